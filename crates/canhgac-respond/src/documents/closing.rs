//! Mẫu 04 of Circular 20/2017: BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ (the closing report), linked to
//! the initial report by its number and date.

use canhgac_model::{AffectedSystem, Date, IncidentInput, Timestamp};
use serde::{Deserialize, Serialize};

use super::initial::{check_level, level_boxes};
use super::layout::Body;
use super::{
    ooxml, require, short_date, vietnam_date_text, vietnam_time_text, DocumentError, DocumentFrame,
    ReportNumber, ReportingParty,
};

const FORM: &str = "Mẫu 04";

/// Everything printed on a Mẫu 04.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosingReport {
    /// Issuer, number, date, recipients, signer.
    pub frame: DocumentFrame,
    /// Item 1, the reporting organisation or person.
    pub reporter: ReportingParty,
    /// Item 2: the initial report's number ...
    pub initial_report_number: ReportNumber,
    /// ... and date.
    pub initial_report_date: Date,
    /// Item 3: operator, owner, name and level of the affected system.
    pub system: AffectedSystem,
    /// Item 4, the incident's name or description.
    pub incident: String,
    /// Item 5, when it was detected.
    pub detected_at: Timestamp,
    /// Item 6, the outcome: what happened, how it was resolved, how to do better next time.
    pub outcome: String,
    /// Item 7, attached documents ("Báo cáo diễn biến sự cố", "Log file", ...).
    pub attachments: Vec<String>,
}

impl ClosingReport {
    /// The closing report of `incident`, linked to the initial report `initial_number` issued
    /// on `initial_date`.
    pub fn from_incident(
        frame: DocumentFrame,
        reporter: ReportingParty,
        initial_number: ReportNumber,
        initial_date: Date,
        incident: &IncidentInput,
        attachments: Vec<String>,
    ) -> Self {
        let mut description = incident.title.trim().to_string();
        if !incident.description.trim().is_empty() {
            description.push_str(": ");
            description.push_str(incident.description.trim());
        }
        Self {
            frame,
            reporter,
            initial_report_number: initial_number,
            initial_report_date: initial_date,
            system: incident.system.clone(),
            incident: description,
            detected_at: incident.times.detected_at,
            outcome: incident.outcome.clone(),
            attachments,
        }
    }

    fn check(&self) -> Result<(), DocumentError> {
        self.frame.check(FORM)?;
        let required = [
            (
                &self.reporter.name,
                "Tên tổ chức/cá nhân báo cáo sự cố",
                "reporter's name",
            ),
            (&self.reporter.address, "Địa chỉ", "reporter's address"),
            (&self.reporter.phone, "Điện thoại", "reporter's phone"),
            (&self.reporter.email, "Email", "reporter's email"),
            (
                &self.system.operator,
                "Tên đơn vị vận hành hệ thống thông tin",
                "operator",
            ),
        ];
        for (value, field_vi, field_en) in required {
            require(FORM, value, field_vi, field_en)?;
        }
        check_level(self.system.security_level)
    }
}

/// Mẫu 04, the closing report, as a DOCX.
pub fn closing_report(report: &ClosingReport) -> Result<Vec<u8>, DocumentError> {
    report.check()?;
    let mut body = Body::default();
    body.header(&report.frame);
    body.title(&report.frame, &["BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ"]);

    body.section("1. Thông tin về tổ chức/cá nhân báo cáo sự cố");
    body.field(
        "Tên tổ chức/cá nhân báo cáo sự cố (*)",
        &report.reporter.name,
    );
    body.field("Địa chỉ (*)", &report.reporter.address);
    body.field("Điện thoại (*)", &report.reporter.phone);
    body.field("Email (*)", &report.reporter.email);

    body.section("2. Ký hiệu báo cáo ban đầu sự cố");
    body.field("Số ký hiệu", &report.initial_report_number.format());
    body.field("Ngày báo cáo", &short_date(report.initial_report_date));

    body.section("3. Thông tin về hệ thống bị sự cố");
    body.field(
        "Tên đơn vị vận hành hệ thống thông tin (*)",
        &report.system.operator,
    );
    body.field("Cơ quan chủ quản", &report.system.owner);
    body.field("Tên hệ thống bị sự cố", &report.system.name);
    body.choices(
        "Phân loại cấp độ của hệ thống thông tin (nếu có)",
        &level_boxes(report.system.security_level),
    );

    body.section("4. Tên/Mô tả về sự cố");
    body.text(&report.incident);

    body.section("5. Thời điểm phát hiện sự cố");
    body.field(
        "Ngày phát hiện sự cố (*)",
        &vietnam_date_text(report.detected_at),
    );
    body.field(
        "Thời gian phát hiện (*)",
        &vietnam_time_text(report.detected_at),
    );

    body.section("6. Kết quả xử lý sự cố");
    body.text(&report.outcome);

    body.section("7. Các tài liệu đính kèm");
    for attachment in report.attachments.iter().filter(|a| !a.trim().is_empty()) {
        body.text(&format!("- {}", attachment.trim()));
    }
    body.signature(&report.frame, "(Ký tên, đóng dấu)");

    let title = format!("Báo cáo kết thúc ứng phó sự cố {}", report.frame.number);
    ooxml::package(
        &body.into_xml(),
        &title,
        &report.frame.letterhead.issuing_body,
    )
}
