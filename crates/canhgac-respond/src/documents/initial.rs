//! Mẫu 03 of Circular 20/2017: BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG (the initial incident report).

use canhgac_model::{
    AffectedSystem, DetectionMethods, EvidenceSent, IncidentInput, NotifiedParties, Timestamp,
};
use serde::{Deserialize, Serialize};

use super::layout::{sort_into_boxes, Body};
use super::{ooxml, require, vietnam_date_text, vietnam_time_text, DocumentError, DocumentFrame};

const FORM: &str = "Mẫu 03";

/// The organisation or person reporting (Mẫu 03 section A; Mẫu 04 item 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingParty {
    /// Name of the organisation or person.
    pub name: String,
    /// Address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Email.
    pub email: String,
}

/// The contact person (Mẫu 03 section B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPerson {
    /// Full name.
    pub name: String,
    /// Position, if given.
    pub position: Option<String>,
    /// Phone.
    pub phone: String,
    /// Email.
    pub email: String,
}

/// Everything printed on a Mẫu 03.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitialReport {
    /// Issuer, number, date, recipients, signer.
    pub frame: DocumentFrame,
    /// Section A.
    pub reporter: ReportingParty,
    /// Section B.
    pub contact: ContactPerson,
    /// Sections C and D.
    pub system: AffectedSystem,
    /// Field 16, brief description.
    pub description: String,
    /// Fields 17–18, when it was detected.
    pub detected_at: Timestamp,
    /// Field 19: handled (true) or not yet.
    pub handled: bool,
    /// Field 20.
    pub detection: DetectionMethods,
    /// Field 21.
    pub notified: NotifiedParties,
    /// Field 28.
    pub evidence: EvidenceSent,
    /// Field 29: keep the report confidential.
    pub confidential: bool,
    /// Field 30, requests for support.
    pub support_request: String,
    /// Field 31, when the report was made.
    pub reported_at: Timestamp,
}

impl InitialReport {
    /// The report of `incident`, made at `reported_at`. The description carries the impact and
    /// the measures taken, which the form asks for in its guidance to field 16.
    pub fn from_incident(
        frame: DocumentFrame,
        reporter: ReportingParty,
        contact: ContactPerson,
        incident: &IncidentInput,
        reported_at: Timestamp,
    ) -> Self {
        let mut description = incident.description.trim().to_string();
        for (heading, text) in [
            ("Ảnh hưởng", &incident.impact),
            ("Biện pháp đã thực hiện", &incident.measures_taken),
        ] {
            if !text.trim().is_empty() {
                if !description.is_empty() {
                    description.push('\n');
                }
                description.push_str(&format!("{heading}: {}", text.trim()));
            }
        }
        Self {
            frame,
            reporter,
            contact,
            system: incident.system.clone(),
            description,
            detected_at: incident.times.detected_at,
            handled: incident.status.is_handled(),
            detection: incident.detection.clone(),
            notified: incident.notified,
            evidence: incident.evidence.clone(),
            confidential: incident.confidential,
            support_request: incident.support_request.clone(),
            reported_at,
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
                &self.contact.name,
                "Họ và tên (người liên hệ)",
                "contact's name",
            ),
            (
                &self.contact.phone,
                "Điện thoại (người liên hệ)",
                "contact's phone",
            ),
            (
                &self.contact.email,
                "Email (người liên hệ)",
                "contact's email",
            ),
            (
                &self.system.operator,
                "Tên đơn vị vận hành hệ thống thông tin",
                "operator",
            ),
            (
                &self.description,
                "Mô tả sơ bộ về sự cố",
                "brief description",
            ),
        ];
        for (value, field_vi, field_en) in required {
            require(FORM, value, field_vi, field_en)?;
        }
        if self.detection.is_empty() {
            return Err(DocumentError::MissingField {
                form: FORM,
                field_vi: "Cách thức phát hiện",
                field_en: "detection method",
            });
        }
        check_level(self.system.security_level)
    }
}

pub(crate) fn check_level(level: Option<u8>) -> Result<(), DocumentError> {
    match level {
        Some(level) if !(1..=5).contains(&level) => Err(DocumentError::InvalidValue {
            field: "system.security_level",
            reason: format!("cấp độ {level} không nằm trong 1–5 (level is not 1 to 5)"),
        }),
        _ => Ok(()),
    }
}

/// "□ Cấp độ 1 ... □ Cấp độ 5" with the system's level ticked.
pub(crate) fn level_boxes(level: Option<u8>) -> Vec<(bool, String)> {
    (1..=5u8)
        .map(|n| (level == Some(n), format!("Cấp độ {n}")))
        .collect()
}

fn or_blank(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or("")
}

fn with_other(mut boxes: Vec<(bool, String)>, label: &str, others: &[&str]) -> Vec<(bool, String)> {
    let text = others.join(", ");
    boxes.push((
        !others.is_empty(),
        format!("{label} {text}").trim_end().to_string(),
    ));
    boxes
}

/// Mẫu 03, the initial incident report, as a DOCX: every field of the form, in order.
pub fn initial_report(report: &InitialReport) -> Result<Vec<u8>, DocumentError> {
    report.check()?;
    let system = &report.system;
    let mut body = Body::default();
    body.header(&report.frame);
    body.title(&report.frame, &["BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG"]);

    body.section("A. THÔNG TIN VỀ TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ");
    body.field(
        "1. Tên tổ chức/cá nhân báo cáo sự cố (*)",
        &report.reporter.name,
    );
    body.field("2. Địa chỉ (*)", &report.reporter.address);
    body.field("3. Điện thoại (*)", &report.reporter.phone);
    body.field("4. Email (*)", &report.reporter.email);

    body.section("B. NGƯỜI LIÊN HỆ");
    body.field("5. Họ và tên (*)", &report.contact.name);
    body.field("6. Chức vụ", or_blank(&report.contact.position));
    body.field("7. Điện thoại (*)", &report.contact.phone);
    body.field("8. Email (*)", &report.contact.email);

    body.section("C. THÔNG TIN CHI TIẾT VỀ HỆ THỐNG BỊ SỰ CỐ");
    body.field(
        "9. Tên đơn vị vận hành hệ thống thông tin (*)",
        &system.operator,
    );
    body.field("10. Cơ quan chủ quản", &system.owner);
    body.field(
        "11. Tên hệ thống bị sự cố (tên miền, địa chỉ IP liên quan)",
        &system_name_with_addresses(system),
    );
    body.choices(
        "12. Phân loại cấp độ của hệ thống thông tin (nếu có)",
        &level_boxes(system.security_level),
    );
    body.field(
        "13. Tổ chức cung cấp dịch vụ an toàn thông tin (nếu có)",
        or_blank(&system.security_provider),
    );
    body.field(
        "14. Tên nhà cung cấp dịch vụ kết nối bên ngoài (nếu có)",
        or_blank(&system.isp),
    );
    body.field(
        "15. Nhà cung cấp khác (nếu có)",
        &[
            or_blank(&system.other_provider_name),
            or_blank(&system.other_provider_details),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(": "),
    );
    body.field("16. Mô tả sơ bộ về sự cố (*)", &report.description);
    body.field(
        "17. Ngày phát hiện sự cố (*)",
        &vietnam_date_text(report.detected_at),
    );
    body.field(
        "18. Thời gian phát hiện (*)",
        &vietnam_time_text(report.detected_at),
    );
    body.choices(
        "19. Hiện trạng sự cố (*)",
        &[
            (report.handled, "Đã được xử lý".to_string()),
            (!report.handled, "Chưa được xử lý".to_string()),
        ],
    );
    let detection = &report.detection;
    body.choice_list(
        "20. Cách thức phát hiện (*)",
        &[
            (
                detection.intrusion_detection,
                "Qua hệ thống phát hiện xâm nhập".to_string(),
            ),
            (
                detection.log_review,
                "Kiểm tra dữ liệu lưu lại (Log File)".to_string(),
            ),
            (
                detection.notified_by.is_some(),
                format!(
                    "Nhận được thông báo từ: {}",
                    or_blank(&detection.notified_by)
                ),
            ),
            (
                detection.other.is_some(),
                format!("Khác, đó là: {}", or_blank(&detection.other)),
            ),
        ],
    );
    body.choice_list(
        "21. Đã gửi thông báo sự cố cho (*)",
        &[
            (
                report.notified.response_network_member,
                "Thành viên mạng lưới chịu trách nhiệm ứng cứu sự cố cho tổ chức, cá nhân"
                    .to_string(),
            ),
            (
                report.notified.isp,
                "ISP đang trực tiếp cung cấp dịch vụ".to_string(),
            ),
            (report.notified.coordinator, "Cơ quan điều phối".to_string()),
        ],
    );

    body.section("D. THÔNG TIN BỔ SUNG VỀ HỆ THỐNG XẢY RA SỰ CỐ");
    body.field(
        "22. Hệ điều hành",
        &format!(
            "{}; Phiên bản (version): {}",
            or_blank(&system.os),
            or_blank(&system.os_version)
        ),
    );
    let (services, other_services) = sort_into_boxes(
        &system.services,
        &[
            ("Web server", &["web", "web server", "http", "https"]),
            (
                "Mail server",
                &["mail", "mail server", "email", "smtp", "imap", "pop3"],
            ),
            (
                "Database server",
                &["database", "database server", "db", "sql", "cơ sở dữ liệu"],
            ),
        ],
    );
    body.choices(
        "23. Các dịch vụ có trên hệ thống",
        &with_other(services, "Dịch vụ khác, đó là:", &other_services),
    );
    let (controls, other_controls) = sort_into_boxes(
        &system.security_controls,
        &[
            (
                "Antivirus",
                &["antivirus", "anti-virus", "av", "phần mềm diệt virus"],
            ),
            ("Firewall", &["firewall", "tường lửa"]),
            (
                "Hệ thống phát hiện xâm nhập",
                &[
                    "ids",
                    "ids/ips",
                    "ips",
                    "intrusion detection",
                    "hệ thống phát hiện xâm nhập",
                ],
            ),
        ],
    );
    body.choices(
        "24. Các biện pháp an toàn thông tin đã triển khai",
        &with_other(controls, "Khác:", &other_controls),
    );
    let ips: Vec<String> = system.public_ips.iter().map(|ip| ip.to_string()).collect();
    body.field("25. Các địa chỉ IP của hệ thống", &ips.join(", "));
    body.field("26. Các tên miền của hệ thống", &system.domains.join(", "));
    body.field(
        "27. Mục đích chính sử dụng hệ thống",
        or_blank(&system.purpose),
    );
    let evidence = &report.evidence;
    body.choices(
        "28. Thông tin gửi kèm",
        &[
            (evidence.system_logs, "Nhật ký hệ thống".to_string()),
            (evidence.malware_sample, "Mẫu virus / mã độc".to_string()),
            (
                evidence.other.is_some(),
                format!("Khác: {}", or_blank(&evidence.other))
                    .trim_end()
                    .to_string(),
            ),
        ],
    );
    body.choices(
        "29. Các thông tin cung cấp trong thông báo sự cố này đều phải được giữ bí mật",
        &[
            (report.confidential, "Có".to_string()),
            (!report.confidential, "Không".to_string()),
        ],
    );

    body.section("E. KIẾN NGHỊ, ĐỀ XUẤT HỖ TRỢ");
    body.field("30. Mô tả về đề xuất, kiến nghị", &report.support_request);
    body.field(
        "31. Thời gian thực hiện báo cáo sự cố (*)",
        &format!(
            "{}, ngày {}",
            vietnam_time_text(report.reported_at),
            vietnam_date_text(report.reported_at)
        ),
    );
    body.signature(&report.frame, "(Ký tên, đóng dấu)");

    let title = format!("Báo cáo ban đầu sự cố mạng {}", report.frame.number);
    ooxml::package(
        &body.into_xml(),
        &title,
        &report.frame.letterhead.issuing_body,
    )
}

/// Field 11: the system's name with its domains and addresses.
fn system_name_with_addresses(system: &AffectedSystem) -> String {
    let addresses: Vec<String> = system
        .domains
        .iter()
        .cloned()
        .chain(system.public_ips.iter().map(|ip| ip.to_string()))
        .collect();
    if addresses.is_empty() {
        system.name.trim().to_string()
    } else {
        format!("{} ({})", system.name.trim(), addresses.join(", "))
    }
}
