//! Incidents (sự cố an toàn thông tin mạng): what the official report forms of Circular 20/2017
//! (Mẫu 03, 04, 05) and the deadline timers need to know about one incident.
//!
//! The affected system's details are copied from the inventory when the incident is opened
//! ([`AffectedSystem`]), because a report must say what the system was at the time, even after
//! the inventory changes.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};
use crate::{normalise_indicator, string_enum, Id, IndicatorKind, Timestamp};

string_enum! {
    /// The official incident taxonomy: the rows of Circular 20/2017's Mẫu 05 (VNCERT's list).
    IncidentKind {
        /// Denial of service (từ chối dịch vụ, DoS/DDoS).
        DenialOfService = "dos",
        /// Spoofing and phishing (tấn công giả mạo).
        Spoofing = "spoofing",
        /// Malware (tấn công sử dụng mã độc).
        Malware = "malware",
        /// Unauthorised access, takeover (truy cập trái phép, chiếm quyền điều khiển).
        UnauthorisedAccess = "unauthorised_access",
        /// Defacement (thay đổi giao diện).
        Defacement = "defacement",
        /// Encryption of software, data or devices: ransomware (mã hóa phần mềm, dữ liệu, thiết bị).
        Encryption = "encryption",
        /// Destruction of information, data or software (phá hoại thông tin, dữ liệu, phần mềm).
        Destruction = "destruction",
        /// Eavesdropping, espionage, data theft (nghe trộm, gián điệp, lấy cắp thông tin, dữ liệu).
        Espionage = "espionage",
        /// A combined attack using several of the above (tấn công tổng hợp).
        Combined = "combined",
        /// Any other kind (các hình thức tấn công khác).
        Other = "other",
    }
}

impl IncidentKind {
    /// The Vietnamese row label, as printed on Mẫu 05.
    pub fn label_vi(self) -> &'static str {
        match self {
            IncidentKind::DenialOfService => "Từ chối dịch vụ",
            IncidentKind::Spoofing => "Tấn công giả mạo",
            IncidentKind::Malware => "Tấn công sử dụng mã độc",
            IncidentKind::UnauthorisedAccess => "Truy cập trái phép, chiếm quyền điều khiển",
            IncidentKind::Defacement => "Thay đổi giao diện",
            IncidentKind::Encryption => "Mã hóa phần mềm, dữ liệu, thiết bị",
            IncidentKind::Destruction => "Phá hoại thông tin, dữ liệu, phần mềm",
            IncidentKind::Espionage => "Nghe trộm, gián điệp, lấy cắp thông tin, dữ liệu",
            IncidentKind::Combined => "Tấn công tổng hợp sử dụng kết hợp nhiều hình thức",
            IncidentKind::Other => "Các hình thức tấn công khác",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            IncidentKind::DenialOfService => "Denial of service",
            IncidentKind::Spoofing => "Spoofing / phishing",
            IncidentKind::Malware => "Malware",
            IncidentKind::UnauthorisedAccess => "Unauthorised access / takeover",
            IncidentKind::Defacement => "Defacement",
            IncidentKind::Encryption => "Encryption of software, data or devices (ransomware)",
            IncidentKind::Destruction => "Destruction of information, data or software",
            IncidentKind::Espionage => "Eavesdropping, espionage, data theft",
            IncidentKind::Combined => "Combined attack",
            IncidentKind::Other => "Other",
        }
    }
}

string_enum! {
    /// Where an incident is in its life.
    IncidentStatus {
        /// Opened, nobody on it yet.
        New = "new",
        /// Being analysed: scope, cause, affected systems.
        Investigating = "investigating",
        /// Containment, eradication, recovery under way.
        Responding = "responding",
        /// The response has ended; the closing report (Mẫu 04) is due.
        Resolved = "resolved",
        /// Reported and archived.
        Closed = "closed",
    }
}

impl IncidentStatus {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            IncidentStatus::New => "Mới",
            IncidentStatus::Investigating => "Đang điều tra",
            IncidentStatus::Responding => "Đang ứng cứu",
            IncidentStatus::Resolved => "Đã xử lý",
            IncidentStatus::Closed => "Đã đóng",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            IncidentStatus::New => "New",
            IncidentStatus::Investigating => "Investigating",
            IncidentStatus::Responding => "Responding",
            IncidentStatus::Resolved => "Resolved",
            IncidentStatus::Closed => "Closed",
        }
    }

    /// Resolved or closed: Mẫu 03's "Đã được xử lý" (handled) box.
    pub fn is_handled(self) -> bool {
        matches!(self, IncidentStatus::Resolved | IncidentStatus::Closed)
    }
}

/// The affected system as it was when the incident happened (Mẫu 03 sections C and D).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AffectedSystem {
    /// The inventory's system, when the details were filled from it.
    pub system_id: Option<Id>,
    /// Name of the system (tên hệ thống).
    pub name: String,
    /// The operator (đơn vị vận hành), or the party hired to operate it.
    pub operator: String,
    /// The owner (cơ quan chủ quản).
    pub owner: String,
    /// Approved security level 1–5, if any.
    pub security_level: Option<u8>,
    /// Security service provider (tổ chức cung cấp dịch vụ ATTT), if any.
    pub security_provider: Option<String>,
    /// External connectivity provider (ISP), if any.
    pub isp: Option<String>,
    /// One more provider the form has a free row for: its name.
    pub other_provider_name: Option<String>,
    /// ... and what it provides.
    pub other_provider_details: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Its version.
    pub os_version: Option<String>,
    /// Services on the system (web, mail, database, others by name).
    pub services: Vec<String>,
    /// Security controls in place (antivirus, firewall, IDS, others by name).
    pub security_controls: Vec<String>,
    /// Internet-facing addresses only: the form forbids internal ones.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub public_ips: Vec<IpAddr>,
    /// Domain names.
    pub domains: Vec<String>,
    /// Main purpose of the system.
    pub purpose: Option<String>,
}

/// How the incident was detected (Mẫu 03 field 20; several may apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DetectionMethods {
    /// Through an intrusion detection system.
    pub intrusion_detection: bool,
    /// By reviewing logs.
    pub log_review: bool,
    /// Notified by someone: who.
    pub notified_by: Option<String>,
    /// Some other way: which.
    pub other: Option<String>,
}

impl DetectionMethods {
    /// True when no method is given.
    pub fn is_empty(&self) -> bool {
        !self.intrusion_detection
            && !self.log_review
            && self.notified_by.is_none()
            && self.other.is_none()
    }
}

/// Who has already been told (Mẫu 03 field 21; several may apply).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct NotifiedParties {
    /// The response-network member responsible for the organisation.
    pub response_network_member: bool,
    /// The ISP serving the system.
    pub isp: bool,
    /// The national coordinator (VNCERT/CC).
    pub coordinator: bool,
}

/// What is sent along with the initial report (Mẫu 03 field 28).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct EvidenceSent {
    /// System logs.
    pub system_logs: bool,
    /// A malware sample.
    pub malware_sample: bool,
    /// Something else: what.
    pub other: Option<String>,
}

/// Help received while handling the incident (the columns and lists of Mẫu 05).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Assistance {
    /// Vietnamese organisations that helped.
    pub domestic_organisations: Vec<String>,
    /// Foreign organisations that helped.
    pub foreign_organisations: Vec<String>,
    /// VNCERT/CC was asked for help.
    pub vncert_requested: bool,
}

impl Assistance {
    /// Handled in-house: nobody else helped.
    pub fn is_in_house(&self) -> bool {
        self.domestic_organisations.is_empty()
            && self.foreign_organisations.is_empty()
            && !self.vncert_requested
    }
}

/// An observable of the incident: an address, domain, hash... with what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Observable {
    /// Kind, shared with indicators so an observable can become one.
    pub kind: IndicatorKind,
    /// Normalised value.
    pub value: String,
    /// What it was ("C2 server", "dropped file").
    #[serde(default)]
    pub note: String,
}

/// The instants the deadline timers count from and stop at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentTimes {
    /// When the incident began, if known (a personal-data breach counts from here).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub occurred_at: Option<Timestamp>,
    /// When it was detected (phát hiện): the 5-day notification timer starts here.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub detected_at: Timestamp,
    /// When the authorities were notified (the initial report sent).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub authorities_notified_at: Option<Timestamp>,
    /// When the response ended: the closing-report timer starts here.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub response_ended_at: Option<Timestamp>,
    /// When the closing report (Mẫu 04) was sent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub closing_report_sent_at: Option<Timestamp>,
    /// When the personal-data breach was notified to the Ministry of Public Security (A05).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub personal_data_notified_at: Option<Timestamp>,
}

impl IncidentTimes {
    /// Times of an incident detected at `detected_at` and nothing else yet.
    pub fn detected(detected_at: Timestamp) -> Self {
        Self {
            occurred_at: None,
            detected_at,
            authorities_notified_at: None,
            response_ended_at: None,
            closing_report_sent_at: None,
            personal_data_notified_at: None,
        }
    }
}

/// What a caller supplies to open or change an incident: everything the forms need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentInput {
    /// Short title for lists.
    pub title: String,
    /// Type from the official taxonomy.
    pub kind: IncidentKind,
    /// Status.
    pub status: IncidentStatus,
    /// The unit reporting the incident (usually the affected system's owner).
    pub unit_id: Id,
    /// Timer instants.
    pub times: IncidentTimes,
    /// The affected system.
    #[serde(default)]
    pub system: AffectedSystem,
    /// Brief description (mô tả sơ bộ): what happened, whether the attack succeeded, risks.
    pub description: String,
    /// Impact: services disrupted, data and people affected.
    #[serde(default)]
    pub impact: String,
    /// Measures taken so far (biện pháp đã thực hiện).
    #[serde(default)]
    pub measures_taken: String,
    /// Requests for support (kiến nghị, đề xuất hỗ trợ).
    #[serde(default)]
    pub support_request: String,
    /// Outcome of the response, for the closing report (kết quả xử lý sự cố).
    #[serde(default)]
    pub outcome: String,
    /// How it was detected.
    #[serde(default)]
    pub detection: DetectionMethods,
    /// Who has already been told.
    #[serde(default)]
    pub notified: NotifiedParties,
    /// What is sent along with the initial report.
    #[serde(default)]
    pub evidence: EvidenceSent,
    /// Help received.
    #[serde(default)]
    pub assistance: Assistance,
    /// Estimated damage in đồng, if assessed.
    #[serde(default)]
    pub estimated_damage_vnd: Option<u64>,
    /// Personal data was breached: the 72-hour notification to A05 applies (Decree 13/2023).
    #[serde(default)]
    pub personal_data_breach: bool,
    /// The reporter asks that the report be kept confidential (Mẫu 03 field 29).
    #[serde(default)]
    pub confidential: bool,
    /// Observables: addresses, domains, hashes.
    #[serde(default)]
    pub observables: Vec<Observable>,
    /// Alerts the incident was opened from.
    #[serde(default)]
    pub alert_ids: Vec<Id>,
    /// Findings the incident was opened from.
    #[serde(default)]
    pub finding_ids: Vec<Id>,
}

impl IncidentInput {
    /// A new incident detected at `detected_at`, with every optional part empty.
    pub fn new(
        title: impl Into<String>,
        kind: IncidentKind,
        unit_id: Id,
        detected_at: Timestamp,
    ) -> Self {
        Self {
            title: title.into(),
            kind,
            status: IncidentStatus::New,
            unit_id,
            times: IncidentTimes::detected(detected_at),
            system: AffectedSystem::default(),
            description: String::new(),
            impact: String::new(),
            measures_taken: String::new(),
            support_request: String::new(),
            outcome: String::new(),
            detection: DetectionMethods::default(),
            notified: NotifiedParties::default(),
            evidence: EvidenceSent::default(),
            assistance: Assistance::default(),
            estimated_damage_vnd: None,
            personal_data_breach: false,
            confidential: false,
            observables: Vec::new(),
            alert_ids: Vec::new(),
            finding_ids: Vec::new(),
        }
    }

    /// Normalises and checks every field; the error names the field at fault.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        validate::required_text("title", &mut self.title, 300)?;
        let system = &mut self.system;
        if let Some(level) = system.security_level {
            if !(1..=5).contains(&level) {
                return Err(FieldError::new(
                    "system.security_level",
                    "must be between 1 and 5",
                ));
            }
        }
        for ip in &system.public_ips {
            if !is_public_address(ip) {
                return Err(FieldError::new(
                    "system.public_ips",
                    format!(
                        "{ip} is not an Internet address; the report lists public addresses only"
                    ),
                ));
            }
        }
        for domain in &mut system.domains {
            *domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            if !validate::is_hostname(domain) {
                return Err(FieldError::new(
                    "system.domains",
                    format!("{domain:?} is not a domain name"),
                ));
            }
        }
        validate::text_list("system.services", &mut system.services, 200)?;
        validate::text_list(
            "system.security_controls",
            &mut system.security_controls,
            200,
        )?;
        for (index, observable) in self.observables.iter_mut().enumerate() {
            observable.value = normalise_indicator(observable.kind, &observable.value)
                .map_err(|message| FieldError::new(format!("observables[{index}]"), message))?;
        }
        let times = &self.times;
        let after_detection = [
            (
                "times.authorities_notified_at",
                times.authorities_notified_at,
            ),
            ("times.response_ended_at", times.response_ended_at),
            ("times.closing_report_sent_at", times.closing_report_sent_at),
        ];
        for (field, at) in after_detection {
            if at.is_some_and(|at| at < times.detected_at) {
                return Err(FieldError::new(field, "is before the detection time"));
            }
        }
        if times.occurred_at.is_some_and(|at| at > times.detected_at) {
            return Err(FieldError::new(
                "times.occurred_at",
                "is after the detection time",
            ));
        }
        Ok(())
    }
}

/// True for addresses reachable from the Internet (not private, loopback, link-local...): the
/// only ones an incident report may list.
pub fn is_public_address(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let shared = v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64; // 100.64/10, CGNAT
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || shared)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            let unique_local = (first & 0xfe00) == 0xfc00;
            let link_local = (first & 0xffc0) == 0xfe80;
            !(v6.is_loopback() || v6.is_unspecified() || unique_local || link_local)
        }
    }
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    /// Database id.
    pub id: Id,
    /// Everything the forms need.
    #[serde(flatten)]
    pub details: IncidentInput,
    /// When the record was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the record last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// A timeline entry of an incident (diễn biến): what happened or was done, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentNote {
    /// Database id.
    pub id: Id,
    /// The incident.
    pub incident_id: Id,
    /// When it happened (not when it was written down).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Who wrote it.
    pub author: String,
    /// What happened.
    pub text: String,
}

/// A task of an incident's response (việc cần làm), done or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentTask {
    /// Database id.
    pub id: Id,
    /// The incident.
    pub incident_id: Id,
    /// What is to be done.
    pub title: String,
    /// Who does it, if assigned.
    pub assignee: Option<String>,
    /// When it was done; `None` while open.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub done_at: Option<Timestamp>,
    /// When it was added.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// An incident with its timeline and tasks, as the incident page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentDetail {
    /// The incident.
    pub incident: Incident,
    /// Timeline, oldest first.
    pub timeline: Vec<IncidentNote>,
    /// Tasks, in the order they were added.
    pub tasks: Vec<IncidentTask>,
    /// Reports issued for it, oldest first.
    pub reports: Vec<IncidentReport>,
}

string_enum! {
    /// Which official form an archived report is (Circular 20/2017).
    ReportFormKind {
        /// Mẫu 03, the initial report.
        Initial = "initial",
        /// Mẫu 04, the closing report.
        Closing = "closing",
        /// Mẫu 05, the six-month or annual summary.
        Summary = "summary",
    }
}

string_enum! {
    /// Where an archived report is in sending.
    ReportSendState {
        /// Generated, not sent yet.
        Generated = "generated",
        /// Accepted by the mail server for every recipient.
        Sent = "sent",
        /// The last attempt failed (see the error); it can be sent again.
        Failed = "failed",
    }
}

impl ReportSendState {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            ReportSendState::Generated => "Chưa gửi",
            ReportSendState::Sent => "Đã gửi",
            ReportSendState::Failed => "Gửi lỗi",
        }
    }
}

/// What is archived about one generated report, besides its DOCX bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDraft {
    /// The form.
    pub form: ReportFormKind,
    /// The incident (Mẫu 03 and 04); `None` for a summary.
    pub incident_id: Option<Id>,
    /// The unit the report belongs to (the incident's unit; for a summary, the issuer's unit).
    pub unit_id: Id,
    /// The issuing organisation's number code (the part after the slash, "BC-SKHCN"): numbers
    /// run per year per code.
    pub code: String,
    /// The date of issue; its year is the numbering year.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub issued_on: crate::Date,
    /// Email addresses of the recipients in effect on that date.
    pub recipients: Vec<String>,
    /// For a summary: the period it covers ("6 tháng đầu năm 2026").
    pub period: Option<String>,
}

/// An archived report (Mẫu 03/04/05) with its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentReport {
    /// Database id.
    pub id: Id,
    /// What was asked for.
    #[serde(flatten)]
    pub draft: ReportDraft,
    /// The sequence number within the year and code.
    pub sequence: u32,
    /// The number as printed without "Số: " ("07/BC-SKHCN").
    pub number: String,
    /// The attachment's file name.
    pub file_name: String,
    /// Sending state.
    pub state: ReportSendState,
    /// The last sending error, if any.
    pub last_error: Option<String>,
    /// When it was sent.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub sent_at: Option<Timestamp>,
    /// Who generated it.
    pub created_by: String,
    /// When it was generated.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn kinds_are_the_ten_rows_of_form_05_with_both_labels() {
        assert_eq!(IncidentKind::ALL.len(), 10);
        assert_eq!(IncidentKind::ALL[0].label_vi(), "Từ chối dịch vụ");
        assert_eq!(
            IncidentKind::Other.label_vi(),
            "Các hình thức tấn công khác"
        );
        assert_eq!(
            "encryption".parse::<IncidentKind>().unwrap().label_en(),
            "Encryption of software, data or devices (ransomware)"
        );
        assert!("ransom".parse::<IncidentKind>().is_err());
        assert!(IncidentStatus::Resolved.is_handled());
        assert!(!IncidentStatus::Responding.is_handled());
    }

    #[test]
    fn validate_normalises_and_names_the_field_at_fault() {
        let mut input = IncidentInput::new(
            " Portal defaced ",
            IncidentKind::Defacement,
            3,
            at("2026-01-05T07:30:00Z"),
        );
        input.system.domains = vec!["Portal.Example.GOV.vn.".into()];
        input.system.public_ips = vec!["203.0.114.10".parse().unwrap()];
        input.observables = vec![Observable {
            kind: IndicatorKind::Domain,
            value: "evil[.]example".into(),
            note: String::new(),
        }];
        input.validate().unwrap();
        assert_eq!(input.title, "Portal defaced");
        assert_eq!(input.system.domains, ["portal.example.gov.vn"]);
        assert_eq!(input.observables[0].value, "evil.example");

        let mut internal = input.clone();
        internal.system.public_ips = vec!["10.1.2.3".parse().unwrap()];
        assert_eq!(internal.validate().unwrap_err().field, "system.public_ips");
        let mut ula = input.clone();
        ula.system.public_ips = vec!["fd00::1".parse().unwrap()];
        assert_eq!(ula.validate().unwrap_err().field, "system.public_ips");

        let mut level = input.clone();
        level.system.security_level = Some(6);
        assert_eq!(level.validate().unwrap_err().field, "system.security_level");

        let mut early = input.clone();
        early.times.response_ended_at = Some(at("2026-01-01T00:00:00Z"));
        assert_eq!(
            early.validate().unwrap_err().field,
            "times.response_ended_at"
        );
    }

    #[test]
    fn a_stored_incident_serialises_flat() {
        let incident = Incident {
            id: 7,
            details: IncidentInput::new("x", IncidentKind::Malware, 1, at("2026-01-05T07:30:00Z")),
            created_at: at("2026-01-05T08:00:00Z"),
            updated_at: at("2026-01-05T08:00:00Z"),
        };
        let json = serde_json::to_value(&incident).unwrap();
        assert_eq!(json["kind"], "malware");
        assert_eq!(json["times"]["detected_at"], "2026-01-05T07:30:00Z");
        let back: Incident = serde_json::from_value(json).unwrap();
        assert_eq!(back, incident);
    }
}
