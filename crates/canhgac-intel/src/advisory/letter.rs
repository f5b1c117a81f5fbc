//! An advisory's fields read from the pasted text of an official letter, best effort.

use canhgac_model::Timestamp;
use serde::{Deserialize, Serialize};

use super::range::parse_version_ranges;
use super::{Advisory, AffectedProduct};
use crate::exposure::fold;
use crate::table::parse_date;

/// What the text of a letter says, for the user to check and complete.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryDraft {
    /// Number/code, e.g. "2216/CATTT-NCSC".
    pub number: Option<String>,
    /// Issuer, when a known one is named.
    pub issuer: Option<String>,
    /// Date of issue ("ngày 20 tháng 11 năm 2025", or the first `dd/mm/yyyy`).
    pub date: Option<jiff::civil::Date>,
    /// The subject line ("V/v …").
    pub title: Option<String>,
    /// CVE ids, upper-case, in order of first mention.
    pub cves: Vec<String>,
    /// Products with the versions named after "phiên bản"/"version".
    pub products: Vec<AffectedProduct>,
    /// Recommended actions: the bullet lines after "đề nghị"/"khuyến nghị"/"recommend".
    pub actions: Vec<String>,
    /// "trước ngày dd/mm/yyyy" (UTC+7 midnight).
    pub deadline: Option<Timestamp>,
}

impl AdvisoryDraft {
    /// The advisory the draft describes (fields it lacks are empty).
    pub fn into_advisory(self) -> Advisory {
        Advisory {
            issuer: self.issuer.unwrap_or_default(),
            number: self.number.unwrap_or_default(),
            date: self.date,
            title: self.title.unwrap_or_default(),
            cves: self.cves,
            products: self.products,
            actions: self.actions,
            deadline: self.deadline,
        }
    }
}

/// Issuers recognised by name in a letter, most specific first.
const ISSUERS: &[(&str, &str)] = &[
    ("NCSC", "NCSC"),
    ("VNCERT", "VNCERT/CC"),
    ("Cục An toàn thông tin", "Cục An toàn thông tin"),
    ("A05", "A05 - Bộ Công an"),
    ("Bộ Công an", "Bộ Công an"),
    (
        "Bộ Thông tin và Truyền thông",
        "Bộ Thông tin và Truyền thông",
    ),
    ("Bộ Khoa học và Công nghệ", "Bộ Khoa học và Công nghệ"),
];

/// Reads what it can of a letter's text.
pub fn parse_advisory_text(text: &str) -> AdvisoryDraft {
    let mut draft = AdvisoryDraft {
        number: find_number(text),
        issuer: ISSUERS
            .iter()
            .find(|(needle, _)| text.contains(needle))
            .map(|(_, name)| name.to_string()),
        date: find_issue_date(text),
        cves: find_cves(text),
        deadline: find_deadline(text),
        ..AdvisoryDraft::default()
    };
    let mut actions_follow = false;
    for line in text.lines() {
        let trimmed = line.trim();
        let folded = fold(trimmed);
        if draft.title.is_none() && folded.starts_with("v/v") {
            let title = trimmed
                .get(3..)
                .unwrap_or("")
                .trim_start_matches([':', ' ', '.']);
            draft.title = Some(title.trim().to_string()).filter(|title| !title.is_empty());
        }
        if ["de nghi", "khuyen nghi", "recommend", "khuyen cao"]
            .iter()
            .any(|word| folded.contains(word))
        {
            actions_follow = true;
        } else if actions_follow {
            let bullet = trimmed
                .strip_prefix(['-', '+', '•', '*'])
                .or_else(|| strip_numbering(trimmed));
            if let Some(action) = bullet {
                let action = action.trim();
                if !action.is_empty() && draft.actions.len() < 30 {
                    draft.actions.push(action.to_string());
                }
            }
        }
        for product in products_in_line(trimmed) {
            if !draft.products.contains(&product) {
                draft.products.push(product);
            }
        }
    }
    draft
}

/// `1.`, `2)`, `a)` at the start of a line.
fn strip_numbering(line: &str) -> Option<&str> {
    let end = line.find(['.', ')'])?;
    let head = &line[..end];
    let numbered = (1..=3).contains(&head.len())
        && (head.bytes().all(|b| b.is_ascii_digit())
            || (head.len() == 1 && head.bytes().all(|b| b.is_ascii_lowercase())));
    numbered.then(|| &line[end + 1..])
}

/// The first `digits/CODE` word, e.g. `2216/CATTT-NCSC` or `123/BTTTT-CATTT`.
fn find_number(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|word| word.trim_matches(|c: char| matches!(c, '.' | ':' | '(' | ')' | '"')))
        .find(|word| {
            let Some((digits, code)) = word.split_once('/') else {
                return false;
            };
            !digits.is_empty()
                && digits.len() <= 6
                && digits.bytes().all(|b| b.is_ascii_digit())
                && code.chars().next().is_some_and(|c| c.is_uppercase())
                && code
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '/')
                && !code.chars().all(|c| c.is_ascii_digit() || c == '/')
        })
        .map(str::to_string)
}

fn find_cves(text: &str) -> Vec<String> {
    let mut cves: Vec<String> = Vec::new();
    let upper = text.to_ascii_uppercase();
    let mut rest = upper.as_str();
    while let Some(at) = rest.find("CVE-") {
        let candidate = &rest[at + 4..];
        let year: String = candidate.chars().take_while(char::is_ascii_digit).collect();
        let after_year = &candidate[year.len()..];
        if year.len() == 4 && after_year.starts_with('-') {
            let number: String = after_year[1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if (4..=7).contains(&number.len()) {
                let cve = format!("CVE-{year}-{number}");
                if !cves.contains(&cve) {
                    cves.push(cve);
                }
            }
        }
        rest = &rest[at + 4..];
    }
    cves
}

/// "ngày 20 tháng 11 năm 2025", else the first `dd/mm/yyyy`.
fn find_issue_date(text: &str) -> Option<jiff::civil::Date> {
    let folded = fold(text);
    if let Some(date) = folded
        .match_indices("ngay ")
        .find_map(|(at, _)| spelled_date(&folded[at + 5..]))
    {
        return Some(date);
    }
    folded
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
        .find_map(|word| slash_date(word.trim_end_matches('.')))
}

/// `20 thang 11 nam 2025` at the start of `text`.
fn spelled_date(text: &str) -> Option<jiff::civil::Date> {
    let words: Vec<&str> = text.split_whitespace().take(5).collect();
    match words.as_slice() {
        [day, "thang", month, "nam", year] => {
            let year = year.trim_end_matches(|c: char| !c.is_ascii_digit());
            jiff::civil::Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
        }
        _ => None,
    }
}

fn slash_date(word: &str) -> Option<jiff::civil::Date> {
    let parts: Vec<&str> = word.split('/').collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    if year.len() != 4 {
        return None;
    }
    jiff::civil::Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
}

/// "trước ngày 30/11/2025" or "trước ngày 30 tháng 11 năm 2025"; also "hạn … ngày …".
fn find_deadline(text: &str) -> Option<Timestamp> {
    let folded = fold(text);
    for marker in ["truoc ngay ", "han chot ", "thoi han ", "han "] {
        for (at, _) in folded.match_indices(marker) {
            let after = &folded[at + marker.len()..];
            let after = after.strip_prefix("ngay ").unwrap_or(after);
            let first_word = after
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches(['.', ',', ';', ')']);
            let date = slash_date(first_word).or_else(|| spelled_date(after));
            if let Some(date) = date {
                return parse_date(&date.to_string());
            }
        }
    }
    None
}

/// Products named in a line before "phiên bản"/"version", with the versions after it.
fn products_in_line(line: &str) -> Vec<AffectedProduct> {
    let lower = line.to_lowercase();
    if lower.len() != line.len() {
        return Vec::new();
    }
    let mut products = Vec::new();
    let mut search_from = 0;
    while let Some((at, keyword_len)) = ["phiên bản", "versions", "version"]
        .iter()
        .filter_map(|keyword| {
            lower[search_from..]
                .find(keyword)
                .map(|at| (search_from + at, keyword.len()))
        })
        .min()
    {
        search_from = at + keyword_len;
        let Some(product) = product_before(&line[..at]) else {
            continue;
        };
        let versions = versions_after(&line[at + keyword_len..]);
        if versions.is_empty() {
            continue;
        }
        products.push(AffectedProduct {
            vendor: None,
            product,
            cpe: None,
            versions,
        });
    }
    products
}

/// The product named right before the keyword: after the last "ảnh hưởng (đến|tới)",
/// "sản phẩm", "affects", ":" or similar.
fn product_before(before: &str) -> Option<String> {
    let before = before.trim_end_matches([' ', ';', ',', ':', '(']);
    let lower = before.to_lowercase();
    let triggers = [
        "ảnh hưởng đến",
        "ảnh hưởng tới",
        "ảnh hưởng",
        "sản phẩm",
        "phần mềm",
        " trên ",
        " trong ",
        "affects",
        "affecting",
        "affected",
        ":",
        "•",
        " - ",
        "(",
        ",",
        " và ",
    ];
    let start = triggers
        .iter()
        .filter_map(|trigger| lower.rfind(trigger).map(|at| at + trigger.len()))
        .max()
        .unwrap_or(0);
    let start = if lower.len() == before.len() && before.is_char_boundary(start) {
        start
    } else {
        0
    };
    let name = before[start..]
        .trim()
        .trim_start_matches(['-', '+', '*', ':'])
        .trim();
    let words = name.split_whitespace().count();
    let plausible = (1..=6).contains(&words)
        && name.chars().next().is_some_and(char::is_alphanumeric)
        && !name.to_lowercase().starts_with("các");
    plausible.then(|| name.to_string())
}

/// The version expressions after the keyword, up to the first part that is not one.
fn versions_after(after: &str) -> Vec<String> {
    let after = after.trim_start_matches([':', ' ', 's']);
    // The sentence ends at a line break, a parenthesis, or a full stop not inside a version.
    let mut end = after.len();
    for (at, c) in after.char_indices() {
        let next = after[at + c.len_utf8()..].chars().next();
        if c == '('
            || c == '\n'
            || (c == '.' && next.is_none_or(|n| !n.is_ascii_digit() && n != 'x'))
        {
            end = at;
            break;
        }
    }
    let sentence = &after[..end];
    let mut kept: Vec<String> = Vec::new();
    for part in sentence.split([',', ';']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        // Each alternative joined by "và"/"and" becomes its own entry.
        let alternatives: Vec<&str> = split_alternatives(part);
        if alternatives
            .iter()
            .all(|alt| parse_version_ranges(alt).is_some())
        {
            for alternative in alternatives {
                let alternative = alternative.trim();
                // `>= 10.0.0, < 10.0.6`: an upper bound completes the previous lower bound.
                let completes = alternative.starts_with('<')
                    && kept
                        .last()
                        .is_some_and(|last| last.starts_with('>') && !last.contains('<'));
                match kept.last_mut() {
                    Some(last) if completes => {
                        last.push_str(", ");
                        last.push_str(alternative);
                    }
                    _ => kept.push(alternative.to_string()),
                }
            }
        } else {
            break;
        }
    }
    kept
}

fn split_alternatives(part: &str) -> Vec<&str> {
    let mut pieces = vec![part];
    for separator in [" và ", " and ", " hoặc ", " or "] {
        pieces = pieces
            .into_iter()
            .flat_map(|piece| piece.split(separator))
            .collect();
    }
    pieces
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}
