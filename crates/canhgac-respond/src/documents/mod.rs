//! Official incident reports as DOCX: the forms of Circular 20/2017/TT-BTTTT inside the layout
//! of Decree 30/2020/NĐ-CP (Appendix I).
//!
//! - [`initial_report`]: Mẫu 03, the initial incident report (báo cáo ban đầu sự cố), every
//!   field of the form in order;
//! - [`closing_report`]: Mẫu 04, the closing report, naming the initial report's number and date;
//! - [`summary_report`]: Mẫu 05, the six-month or annual summary with counts per incident kind.
//!
//! Each document is A4 with Decree 30 margins, Times New Roman 14 pt, the header table (issuing
//! body over its number on the left; national title, motto and the place-and-date line on the
//! right), the title, the body, then "Nơi nhận:" and the signature block. Everything that names a
//! body, a place, a recipient or a signer is an input ([`DocumentFrame`]): those change with
//! reorganisations and are configuration with effective dates, never constants here.
//!
//! [`ReportForm`] gives each document's email subject (`[TBSC] ...`) and file name.
//!
//! The OOXML is written by hand (`ooxml`) and zipped with deflate; [`docx_to_text`] reads the
//! text back, one line per paragraph, for tests and for checking an archived report.
//!
//! ```
//! use canhgac_respond::documents::{DocumentFrame, Letterhead, ReportNumber, Signer};
//! let frame = DocumentFrame {
//!     letterhead: Letterhead {
//!         parent_body: Some("UBND TỈNH LÂM ĐỒNG".into()),
//!         issuing_body: "Sở Khoa học và Công nghệ".into(),
//!         place: "Lâm Đồng".into(),
//!     },
//!     number: ReportNumber::parse("Số: 07/BC-SKHCN").unwrap(),
//!     issued_on: jiff::civil::date(2026, 1, 5),
//!     legal_basis: None,
//!     recipients: vec!["Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC)".into()],
//!     distribution: vec!["Như trên".into(), "Lưu: VT, CNTT".into()],
//!     signer: Signer { prefix: Some("KT. GIÁM ĐỐC".into()), position: "Phó Giám đốc".into(), name: "Nguyễn Văn A".into() },
//! };
//! assert_eq!(frame.place_and_date(), "Lâm Đồng, ngày 05 tháng 01 năm 2026");
//! ```

mod closing;
mod initial;
mod layout;
mod number;
mod ooxml;
mod summary;

use std::io::Read as _;

use canhgac_model::{Date, Timestamp};
use serde::{Deserialize, Serialize};

pub use closing::{closing_report, ClosingReport};
pub use initial::{initial_report, ContactPerson, InitialReport, ReportingParty};
pub use number::ReportNumber;
pub use summary::{summary_report, SummaryPeriod, SummaryReport, SummaryRow};

/// What can go wrong making or reading a report document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A field the form marks (*) is empty.
    #[error("{form}: thiếu trường bắt buộc «{field_vi}» (required field missing: {field_en})")]
    MissingField {
        /// The form, e.g. "Mẫu 03".
        form: &'static str,
        /// The field's label on the form.
        field_vi: &'static str,
        /// The field in English.
        field_en: &'static str,
    },
    /// A document number that Decree 30 does not allow.
    #[error("số, ký hiệu văn bản không hợp lệ {text:?}: {reason} (invalid document number)")]
    InvalidNumber {
        /// The text as given.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// A value out of range (names the field).
    #[error("{field}: {reason}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// What is wrong, Vietnamese then English.
        reason: String,
    },
    /// The zip package could not be written.
    #[error("không tạo được tệp DOCX (cannot write the DOCX package): {0}")]
    Package(String),
    /// A DOCX could not be read back.
    #[error("không đọc được tệp DOCX (cannot read the DOCX): {0}")]
    Read(String),
}

/// Which of the Circular 20/2017 forms a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportForm {
    /// Mẫu 03, the initial report.
    Initial,
    /// Mẫu 04, the closing report.
    Closing,
    /// Mẫu 05, the periodic summary.
    Summary,
}

impl ReportForm {
    /// "Mẫu 03", "Mẫu 04", "Mẫu 05".
    pub fn form_vi(self) -> &'static str {
        match self {
            ReportForm::Initial => "Mẫu 03",
            ReportForm::Closing => "Mẫu 04",
            ReportForm::Summary => "Mẫu 05",
        }
    }

    /// Vietnamese name of the document.
    pub fn label_vi(self) -> &'static str {
        match self {
            ReportForm::Initial => "Báo cáo ban đầu sự cố mạng",
            ReportForm::Closing => "Báo cáo kết thúc ứng phó sự cố",
            ReportForm::Summary => "Báo cáo tổng hợp tình hình tiếp nhận và xử lý sự cố",
        }
    }

    /// English name of the document.
    pub fn label_en(self) -> &'static str {
        match self {
            ReportForm::Initial => "Initial incident report",
            ReportForm::Closing => "Incident response closing report",
            ReportForm::Summary => "Incident handling summary report",
        }
    }

    /// The subject of the email carrying the report. Circular 20/2017 requires incident
    /// notifications by email to start with `[TBSC]`; `about` names the incident or period.
    pub fn email_subject(self, number: &ReportNumber, about: &str) -> String {
        let about = about.trim();
        let mut subject = format!("[TBSC] {} số {}", self.label_vi(), number.format());
        if !about.is_empty() {
            subject.push_str(" - ");
            subject.push_str(about);
        }
        // A subject is one line: fold any line break an incident title may carry.
        subject
            .split(['\r', '\n'])
            .filter(|part| !part.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A file name for the attachment and the archive: "07-BC-SKHCN_Mau03.docx" (ASCII, no
    /// slash, so every mail client and file system keeps it).
    pub fn file_name(self, number: &ReportNumber) -> String {
        let code: String = number
            .code
            .chars()
            .map(|c| match c {
                'Đ' => 'D',
                'đ' => 'd',
                c if c.is_ascii_alphanumeric() || c == '-' => c,
                _ => '_',
            })
            .collect();
        let form = match self {
            ReportForm::Initial => "Mau03",
            ReportForm::Closing => "Mau04",
            ReportForm::Summary => "Mau05",
        };
        format!("{:02}-{code}_{form}.docx", number.sequence)
    }
}

/// The issuing body, as printed top left, and the place of the date line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letterhead {
    /// The parent body, printed above in regular weight ("UBND TỈNH LÂM ĐỒNG"), if any.
    pub parent_body: Option<String>,
    /// The issuing body ("Sở Khoa học và Công nghệ"); printed in capitals, bold.
    pub issuing_body: String,
    /// The place of the date line ("Lâm Đồng" gives "Lâm Đồng, ngày ...").
    pub place: String,
}

/// Who signs: the authority prefix, the position and the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// "TM. ỦY BAN NHÂN DÂN", "KT. GIÁM ĐỐC", "TL. ...", if the signer signs for someone.
    pub prefix: Option<String>,
    /// The position ("Phó Giám đốc"); printed in capitals, bold.
    pub position: String,
    /// Full name.
    pub name: String,
}

/// The Decree 30 frame around a form: who issues it, its number and date, who receives it, who
/// signs. All of it is configuration (with effective dates) or the analyst's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFrame {
    /// The issuing body and place.
    pub letterhead: Letterhead,
    /// The number and code.
    pub number: ReportNumber,
    /// The date of issue (the date line).
    pub issued_on: Date,
    /// A line under the title citing the form's legal basis, if wanted
    /// ("Mẫu số 03 ban hành kèm theo Thông tư số 20/2017/TT-BTTTT").
    pub legal_basis: Option<String>,
    /// "Kính gửi:" recipients.
    pub recipients: Vec<String>,
    /// "Nơi nhận:" list, in order; end it with the file copy ("Lưu: VT, CNTT").
    pub distribution: Vec<String>,
    /// The signer.
    pub signer: Signer,
}

impl DocumentFrame {
    /// The date line: "Lâm Đồng, ngày 05 tháng 01 năm 2026".
    pub fn place_and_date(&self) -> String {
        format!(
            "{}, {}",
            self.letterhead.place.trim(),
            long_date(self.issued_on)
        )
    }

    fn check(&self, form: &'static str) -> Result<(), DocumentError> {
        let required = [
            (
                &self.letterhead.issuing_body,
                "Cơ quan ban hành",
                "issuing body",
            ),
            (&self.letterhead.place, "Địa danh", "place"),
            (
                &self.signer.position,
                "Chức vụ người ký",
                "signer's position",
            ),
            (&self.signer.name, "Họ tên người ký", "signer's name"),
        ];
        for (value, field_vi, field_en) in required {
            require(form, value, field_vi, field_en)?;
        }
        Ok(())
    }
}

pub(crate) fn require(
    form: &'static str,
    value: &str,
    field_vi: &'static str,
    field_en: &'static str,
) -> Result<(), DocumentError> {
    if value.trim().is_empty() {
        return Err(DocumentError::MissingField {
            form,
            field_vi,
            field_en,
        });
    }
    Ok(())
}

/// "ngày 05 tháng 01 năm 2026": days below 10 and the months January and February take a leading
/// zero (Decree 30, Appendix I), other months do not ("tháng 6").
pub fn long_date(date: Date) -> String {
    let month = if date.month() <= 2 {
        format!("{:02}", date.month())
    } else {
        date.month().to_string()
    };
    format!("ngày {:02} tháng {month} năm {}", date.day(), date.year())
}

/// "05/01/2026".
pub fn short_date(date: Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// An instant as its date in Vietnam, "05/01/2026".
pub fn vietnam_date_text(at: Timestamp) -> String {
    short_date(crate::deadlines::vietnam_date(at))
}

/// An instant as its time of day in Vietnam, "14 giờ 30 phút".
pub fn vietnam_time_text(at: Timestamp) -> String {
    let local = at.to_zoned(crate::deadlines::vietnam());
    format!("{:02} giờ {:02} phút", local.hour(), local.minute())
}

/// The text of a DOCX's main document, one line per paragraph (table cells included, in
/// order); tabs as `\t`, line breaks as `\n`.
pub fn docx_to_text(docx: &[u8]) -> Result<String, DocumentError> {
    let xml = docx_part(docx, "word/document.xml")?;
    let doc = roxmltree::Document::parse(&xml)
        .map_err(|e| DocumentError::Read(format!("word/document.xml: {e}")))?;
    let mut lines = Vec::new();
    for para in doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "p")
    {
        let mut line = String::new();
        for node in para.descendants() {
            match node.tag_name().name() {
                "t" => line.push_str(node.text().unwrap_or("")),
                "tab" => line.push('\t'),
                "br" => line.push('\n'),
                _ => {}
            }
        }
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// One part of a DOCX package as text, e.g. `word/styles.xml`.
pub fn docx_part(docx: &[u8], name: &str) -> Result<String, DocumentError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx))
        .map_err(|e| DocumentError::Read(e.to_string()))?;
    let mut file = archive
        .by_name(name)
        .map_err(|e| DocumentError::Read(format!("{name}: {e}")))?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| DocumentError::Read(format!("{name}: {e}")))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_subjects_start_with_tbsc_and_file_names_are_plain() {
        let number = ReportNumber::parse("Số: 07/QĐ-SKHCN").unwrap();
        assert_eq!(
            ReportForm::Initial.email_subject(&number, "Cổng thông tin\r\nbị tấn công"),
            "[TBSC] Báo cáo ban đầu sự cố mạng số 07/QĐ-SKHCN - Cổng thông tin bị tấn công"
        );
        assert_eq!(
            ReportForm::Closing.email_subject(&number, " "),
            "[TBSC] Báo cáo kết thúc ứng phó sự cố số 07/QĐ-SKHCN"
        );
        assert_eq!(
            ReportForm::Summary.file_name(&number),
            "07-QD-SKHCN_Mau05.docx"
        );
    }

    #[test]
    fn dates_follow_decree_30() {
        assert_eq!(
            long_date(jiff::civil::date(2026, 1, 5)),
            "ngày 05 tháng 01 năm 2026"
        );
        assert_eq!(
            long_date(jiff::civil::date(2026, 2, 28)),
            "ngày 28 tháng 02 năm 2026"
        );
        assert_eq!(
            long_date(jiff::civil::date(2026, 6, 9)),
            "ngày 09 tháng 6 năm 2026"
        );
        assert_eq!(
            long_date(jiff::civil::date(2026, 12, 15)),
            "ngày 15 tháng 12 năm 2026"
        );
        assert_eq!(short_date(jiff::civil::date(2026, 3, 7)), "07/03/2026");
        // 19:05 UTC on 31/12 is 02:05 on 01/01 in Vietnam.
        let at: Timestamp = "2026-12-31T19:05:00Z".parse().unwrap();
        assert_eq!(vietnam_date_text(at), "01/01/2027");
        assert_eq!(vietnam_time_text(at), "02 giờ 05 phút");
    }
}
