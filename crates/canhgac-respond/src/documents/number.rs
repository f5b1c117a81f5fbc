//! Document numbers (số, ký hiệu) as Decree 30/2020 writes them: "Số: 07/BC-STTTT".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::DocumentError;

/// The number and code of an issued document: a sequence that restarts every year, then the
/// code ("BC-STTTT": the document type, then the issuing body). The counter is stored by the
/// caller; [`ReportNumber::next_sequence`] says what comes next.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReportNumber {
    /// The sequence number within the year, from 1.
    pub sequence: u32,
    /// The code after the slash, e.g. "BC-STTTT" or "BC-CATP".
    pub code: String,
}

impl ReportNumber {
    /// A checked number: the sequence is at least 1; the code is hyphen-separated groups of
    /// letters and digits with no spaces (Vietnamese letters such as Đ are letters).
    pub fn new(sequence: u32, code: impl Into<String>) -> Result<Self, DocumentError> {
        let code = code.into();
        let invalid = |reason: &str| DocumentError::InvalidNumber {
            text: format!("{sequence}/{code}"),
            reason: reason.to_string(),
        };
        if sequence == 0 {
            return Err(invalid("số thứ tự bắt đầu từ 1 (the sequence starts at 1)"));
        }
        if code.is_empty() {
            return Err(invalid("thiếu ký hiệu (the code is missing)"));
        }
        let groups_ok = code
            .split('-')
            .all(|group| !group.is_empty() && group.chars().all(char::is_alphanumeric));
        if !groups_ok {
            return Err(invalid(
                "ký hiệu gồm các nhóm chữ và số nối bằng dấu \"-\", không có khoảng trắng \
                 (the code is letter/digit groups joined by \"-\", without spaces)",
            ));
        }
        Ok(Self { sequence, code })
    }

    /// "07/BC-STTTT": numbers below 10 take a leading zero.
    pub fn format(&self) -> String {
        format!("{:02}/{}", self.sequence, self.code)
    }

    /// The number line of the header: "Số: 07/BC-STTTT".
    pub fn line(&self) -> String {
        format!("Số: {}", self.format())
    }

    /// Reads "Số: 07/BC-STTTT", "07/BC-STTTT" or "7/BC-STTTT".
    pub fn parse(text: &str) -> Result<Self, DocumentError> {
        let trimmed = text.trim();
        let bare = trimmed
            .strip_prefix("Số")
            .or_else(|| trimmed.strip_prefix("số"))
            .map(|rest| rest.trim_start().trim_start_matches(':').trim_start())
            .unwrap_or(trimmed);
        let invalid = |reason: &str| DocumentError::InvalidNumber {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let (sequence, code) = bare.split_once('/').ok_or_else(|| {
            invalid("thiếu dấu \"/\" giữa số và ký hiệu (no \"/\" between number and code)")
        })?;
        if sequence.is_empty() || !sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "số thứ tự không phải là số (the sequence is not a number)",
            ));
        }
        let sequence = sequence
            .parse::<u32>()
            .map_err(|_| invalid("số thứ tự quá lớn (the sequence is too large)"))?;
        Self::new(sequence, code).map_err(|_| {
            invalid("ký hiệu không hợp lệ (the code is not letter/digit groups joined by \"-\")")
        })
    }

    /// The sequence of the next document issued in `year`, given the last one issued (its year
    /// and sequence): numbering restarts at 1 each year.
    pub fn next_sequence(last_issued: Option<(i16, u32)>, year: i16) -> u32 {
        match last_issued {
            Some((last_year, last)) if last_year == year => last.saturating_add(1),
            _ => 1,
        }
    }
}

impl fmt::Display for ReportNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

impl FromStr for ReportNumber {
    type Err = DocumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_a_leading_zero_and_parses_back() {
        let number = ReportNumber::new(7, "BC-STTTT").unwrap();
        assert_eq!(number.line(), "Số: 07/BC-STTTT");
        assert_eq!(number.to_string(), "07/BC-STTTT");
        assert_eq!(
            ReportNumber::new(123, "BC-CATP").unwrap().format(),
            "123/BC-CATP"
        );
        for text in [
            "Số: 07/BC-STTTT",
            "07/BC-STTTT",
            " số 7/BC-STTTT ",
            "Số:7/BC-STTTT",
        ] {
            assert_eq!(ReportNumber::parse(text).unwrap(), number, "{text}");
        }
        let with_d = ReportNumber::parse("Số: 12/QĐ-UBND").unwrap();
        assert_eq!(with_d.code, "QĐ-UBND");
    }

    #[test]
    fn rejects_what_decree_30_does_not_allow() {
        for bad in [
            "",
            "07",
            "/BC",
            "x7/BC",
            "07/",
            "07/BC STTTT",
            "07/BC--X",
            "0/BC-X",
            "07/-BC",
        ] {
            let error = ReportNumber::parse(bad).unwrap_err();
            assert!(
                matches!(error, DocumentError::InvalidNumber { .. }),
                "{bad}: {error}"
            );
        }
        assert!(ReportNumber::new(1, "BC-STTTT ").is_err());
    }

    proptest::proptest! {
        #[test]
        fn what_is_formatted_parses_back(
            sequence in 1u32..1_000_000,
            code in "[A-ZĐ0-9]{1,6}(-[A-ZĐa-z0-9]{1,6}){0,2}",
        ) {
            let number = ReportNumber::new(sequence, code).unwrap();
            proptest::prop_assert_eq!(ReportNumber::parse(&number.line()).unwrap(), number.clone());
            proptest::prop_assert_eq!(number.format().parse::<ReportNumber>().unwrap(), number);
        }
    }

    #[test]
    fn the_sequence_restarts_every_year() {
        assert_eq!(ReportNumber::next_sequence(None, 2026), 1);
        assert_eq!(ReportNumber::next_sequence(Some((2026, 6)), 2026), 7);
        assert_eq!(ReportNumber::next_sequence(Some((2025, 48)), 2026), 1);
    }
}
