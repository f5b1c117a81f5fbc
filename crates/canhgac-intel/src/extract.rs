//! Indicators recognised in free text: an IOC appendix pasted into the console, or the text of
//! a DOCX or PDF appendix ([`crate::appendix`]).
//!
//! Each line is re-fanged ([`crate::recognise::refang`]), cut into words at characters no
//! indicator holds (spaces, quotes, brackets, commas…), and each word, stripped of the
//! punctuation that ends a sentence, is named by [`crate::recognise::recognise`]. Words right
//! after "version", "ver", "v" or "phiên bản" that read as IPv4 addresses are version numbers
//! and skipped. Results are de-duplicated by kind and value; each keeps the first line it was
//! seen on. One pass, no backtracking: megabytes take milliseconds.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use canhgac_model::IndicatorKind;
use serde::{Deserialize, Serialize};

use crate::recognise::{recognise, refang};
use crate::table::ImportDefaults;
use crate::ImportedIndicator;

/// One indicator found in text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedIndicator {
    /// What it is.
    pub kind: IndicatorKind,
    /// The value, re-fanged and normalised.
    pub value: String,
    /// 1-based line of its first occurrence.
    pub line: usize,
    /// How many times it occurs.
    pub occurrences: usize,
}

impl ExtractedIndicator {
    /// The indicator ready for import, with the source, severity, TLP, advisory and expiry of
    /// `defaults`.
    pub fn to_imported(&self, defaults: &ImportDefaults) -> ImportedIndicator {
        defaults.indicator(self.kind, self.value.clone())
    }
}

/// Every indicator in `text`, in order of first occurrence, de-duplicated.
pub fn extract(text: &str) -> Vec<ExtractedIndicator> {
    let mut found: Vec<ExtractedIndicator> = Vec::new();
    let mut seen: HashMap<(IndicatorKind, String), usize> = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let line_text = refang(line);
        let mut previous: &str = "";
        for word in line_text.split(is_separator) {
            let candidate = word
                .trim_start_matches(LEADING_PUNCTUATION)
                .trim_end_matches(TRAILING_PUNCTUATION);
            let before = previous;
            if !word.is_empty() {
                previous = word;
            }
            if candidate.len() < 4 || !could_be_indicator(candidate) {
                continue;
            }
            let Some((kind, value)) = recognise(candidate) else {
                continue;
            };
            if kind == IndicatorKind::Ip
                && (is_version_word(before) || is_meaningless_address(&value))
            {
                continue;
            }
            match seen.entry((kind, value)) {
                Entry::Occupied(at) => found[*at.get()].occurrences += 1,
                Entry::Vacant(slot) => {
                    let value = slot.key().1.clone();
                    slot.insert(found.len());
                    found.push(ExtractedIndicator {
                        kind,
                        value,
                        line: index + 1,
                        occurrences: 1,
                    });
                }
            }
        }
    }
    found
}

/// Characters no indicator contains (URLs with these are cut there, which keeps the host).
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '<'
                | '>'
                | ','
                | ';'
                | '|'
                | '`'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '\u{201c}'
                | '\u{201d}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{ab}'
                | '\u{bb}'
        )
}

const LEADING_PUNCTUATION: &[char] = &['.', ':', '-', '*', '•', '!', '?'];
const TRAILING_PUNCTUATION: &[char] = &['.', ':', '!', '?', '-', '*'];

/// Cheap test before the full recognition: an indicator has a dot, a colon, an `@` or is a
/// run of hex digits.
fn could_be_indicator(word: &str) -> bool {
    word.bytes().any(|b| matches!(b, b'.' | b':' | b'@'))
        || (matches!(word.len(), 32 | 40 | 64) && word.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_version_word(word: &str) -> bool {
    let lower = word.to_lowercase();
    matches!(
        lower.trim_end_matches(['.', ':']),
        "version" | "ver" | "v" | "bản" | "phiên" | "build" | "release" | "firmware"
    )
}

/// Addresses that mean nothing as an indicator (`::`, loopback, `0.0.0.0`).
fn is_meaningless_address(value: &str) -> bool {
    value
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_unspecified() || ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(text: &str) -> Vec<(IndicatorKind, String, usize)> {
        extract(text)
            .into_iter()
            .map(|found| (found.kind, found.value, found.line))
            .collect()
    }

    #[test]
    fn an_ioc_appendix_is_read_with_kinds_and_lines() {
        let text = "PHỤ LỤC: DANH SÁCH IOC\n\
            1. Máy chủ điều khiển: 45.77.12[.]9 và hxxps://cdn-update[.]top/api/v2 (đã xác minh).\n\
            2. Tên miền: mail-govvn[.]com, login.tinh-gov[.]xyz;\n\
            3. Mạng 103.97.124.0/22\n\
            4. SHA256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n\
            5. MD5 \"d41d8cd98f00b204e9800998ecf8427e\"\n\
            6. Thư giả mạo: hotro.ncsc[at]gmail[.]com\n\
            7. IPv6: 2001:db8:85a3::8a2e:370:7334\n\
            Lặp lại: 45.77.12.9\n";
        assert_eq!(
            values(text),
            vec![
                (IndicatorKind::Ip, "45.77.12.9".into(), 2),
                (
                    IndicatorKind::Url,
                    "https://cdn-update.top/api/v2".into(),
                    2
                ),
                (IndicatorKind::Domain, "mail-govvn.com".into(), 3),
                (IndicatorKind::Domain, "login.tinh-gov.xyz".into(), 3),
                (IndicatorKind::Cidr, "103.97.124.0/22".into(), 4),
                (
                    IndicatorKind::Sha256,
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                    5
                ),
                (
                    IndicatorKind::Md5,
                    "d41d8cd98f00b204e9800998ecf8427e".into(),
                    6
                ),
                (IndicatorKind::Email, "hotro.ncsc@gmail.com".into(), 7),
                (IndicatorKind::Ip, "2001:db8:85a3::8a2e:370:7334".into(), 8),
            ]
        );
        assert_eq!(extract(text)[0].occurrences, 2);
    }

    #[test]
    fn file_names_versions_and_times_are_not_reported() {
        let text = "Tệp đính kèm invoice.pdf và update.exe, tài liệu HuongDan.docx.\n\
            Zimbra phiên bản 8.8.15.0 và version 10.0.6.1 bị ảnh hưởng; họp lúc 10:30.\n\
            Xem mục 1.2.3, TP.HCM, v.v. Ví dụ: e.g. this, i.e. that.\n\
            Địa chỉ :: và 127.0.0.1 không phải IOC.\n";
        assert_eq!(values(text), vec![]);
    }

    #[test]
    fn megabytes_of_text_are_read_quickly_and_deduplicated() {
        let mut text = String::new();
        for n in 0..40_000u32 {
            text.push_str(&format!(
                "Dòng {n}: kết nối tới 10.{}.{}.{} qua cổng 443 từ máy trạm, không có gì khác.\n",
                n % 7,
                n % 11,
                n % 13
            ));
        }
        assert!(text.len() > 3_000_000);
        let found = extract(&text);
        // 7 × 11 × 13 distinct addresses (coprime cycles).
        assert_eq!(found.len(), 1001);
        assert_eq!(found.iter().map(|f| f.occurrences).sum::<usize>(), 40_000);
    }

    proptest! {
        #[test]
        fn no_text_panics_the_extractor(text in "\\PC{0,300}") {
            let _ = extract(&text);
        }

        #[test]
        fn no_indicator_like_text_panics_the_extractor(
            text in "[0-9a-fA-F.:/@\\[\\]()hxtps ]{0,200}"
        ) {
            for found in extract(&text) {
                prop_assert!(found.line >= 1);
            }
        }
    }
}
