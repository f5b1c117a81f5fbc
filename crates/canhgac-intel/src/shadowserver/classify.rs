//! What a report row means: category, severity, titles and the remediation, by report type
//! (and the row's tag or infection when the type is generic).

use canhgac_model::finding::category;
use canhgac_model::Severity;
use serde::Serialize;

/// The meaning of a report row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportClass {
    /// Finding category ([`category::COMPROMISED_HOST`] or [`category::EXPOSED_SERVICE`]).
    pub category: &'static str,
    /// How serious.
    pub severity: Severity,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: String,
    /// What to do (Vietnamese).
    pub remediation_vi: String,
}

/// Services that must not face the Internet: (report word, display name).
const DANGEROUS_SERVICES: &[(&str, &str)] = &[
    ("rdp", "RDP"),
    ("rdpeudp", "RDP (UDP)"),
    ("smb", "SMB"),
    ("telnet", "Telnet"),
    ("vnc", "VNC"),
    ("mysql", "MySQL"),
    ("mssql", "Microsoft SQL Server"),
    ("postgres", "PostgreSQL"),
    ("mongodb", "MongoDB"),
    ("elasticsearch", "Elasticsearch"),
    ("redis", "Redis"),
    ("cassandra", "Cassandra"),
    ("couchdb", "CouchDB"),
    ("docker", "Docker API"),
    ("kubernetes", "Kubernetes API"),
    ("ldap", "LDAP"),
    ("ldap_tcp", "LDAP"),
    ("ftp", "FTP"),
    ("ipp", "IPP (máy in)"),
    ("modbus", "Modbus"),
    ("ics", "ICS/SCADA"),
    ("bacnet", "BACnet"),
    ("s7", "Siemens S7"),
    ("dnp3", "DNP3"),
    ("ssh", "SSH"),
    ("winrm", "WinRM"),
    ("rsync", "rsync"),
    ("amqp", "AMQP"),
    ("mqtt", "MQTT"),
    ("hadoop", "Hadoop"),
];

/// UDP services abused to amplify denial-of-service attacks.
const AMPLIFIERS: &[(&str, &str)] = &[
    ("dns", "DNS phân giải mở (open resolver)"),
    ("ntp", "NTP"),
    ("ntpmonitor", "NTP monlist"),
    ("ssdp", "SSDP"),
    ("memcached", "Memcached"),
    ("chargen", "Chargen"),
    ("qotd", "QOTD"),
    ("snmp", "SNMP"),
    ("portmapper", "Portmapper"),
    ("netbios", "NetBIOS"),
    ("mdns", "mDNS"),
    ("ubiquiti", "Ubiquiti discovery"),
    ("cldap", "CLDAP"),
    ("ldap_udp", "CLDAP"),
    ("tftp", "TFTP"),
    ("coap", "CoAP"),
    ("ws_discovery", "WS-Discovery"),
    ("xdmcp", "XDMCP"),
    ("ard", "Apple Remote Desktop"),
    ("dvr_dhcpdiscover", "DVR DHCPDiscover"),
    ("slp", "SLP"),
];

/// Classifies a row of a report of type `report_type` (e.g. `scan_rdp`,
/// `event4_sinkhole_http`, `honeypot_brute_force`), with its `tag`, `infection`, `port` and
/// `protocol` when the report has them.
pub fn classify(
    report_type: &str,
    tag: Option<&str>,
    infection: Option<&str>,
    port: Option<u16>,
    protocol: Option<&str>,
) -> ReportClass {
    let report = report_type.to_ascii_lowercase();
    let infected_words = [
        "sinkhole",
        "botnet",
        "drone",
        "infection",
        "malware",
        "c2",
        "cnc",
    ];
    let attack_words = [
        "honeypot",
        "brute_force",
        "bruteforce",
        "ddos",
        "scanner",
        "attack",
        "spam",
    ];
    if report.contains("compromised") {
        return compromised(
            Severity::Critical,
            "Trang web hoặc máy chủ bị xâm nhập".into(),
            "Compromised website or server".into(),
        );
    }
    if infected_words.iter().any(|word| report.contains(word)) || infection.is_some() {
        let family = infection.or(tag).unwrap_or("không rõ");
        return compromised(
            Severity::Critical,
            format!("Máy bị nhiễm mã độc (botnet {family})"),
            format!("Infected host (botnet {family})"),
        );
    }
    if attack_words.iter().any(|word| report.contains(word)) {
        return compromised(
            Severity::High,
            "Máy tấn công hệ thống khác (có thể đã bị chiếm quyền)".into(),
            "Host attacking others (likely compromised)".into(),
        );
    }
    let service = service_word(&report)
        .or_else(|| tag.map(|tag| tag.to_ascii_lowercase()))
        .unwrap_or_default();
    let port_text = port
        .map(|port| format!(" (cổng {port})"))
        .unwrap_or_default();
    let port_text_en = port
        .map(|port| format!(" (port {port})"))
        .unwrap_or_default();
    if report.contains("vulnerable") || report.contains("_cve") || service.contains("vulnerable") {
        return exposed(
            Severity::High,
            format!("Dịch vụ có lỗ hổng đã biết lộ ra Internet{port_text}"),
            format!("Vulnerable service exposed to the Internet{port_text_en}"),
            "Cập nhật bản vá theo khuyến cáo của hãng, hạn chế truy cập từ Internet.",
        );
    }
    if let Some(&(_, name)) = DANGEROUS_SERVICES.iter().find(|(word, _)| *word == service) {
        return exposed(
            Severity::High,
            format!("Dịch vụ {name} lộ ra Internet{port_text}"),
            format!("{name} service exposed to the Internet{port_text_en}"),
            "Chặn truy cập từ Internet (tường lửa, VPN), chỉ cho phép địa chỉ quản trị cần thiết.",
        );
    }
    if let Some(&(_, name)) = AMPLIFIERS.iter().find(|(word, _)| *word == service) {
        return exposed(
            Severity::Medium,
            format!("Dịch vụ {name} có thể bị lợi dụng khuếch đại tấn công DDoS{port_text}"),
            format!("{name} can be abused to amplify DDoS attacks{port_text_en}"),
            "Tắt dịch vụ nếu không cần, hoặc chỉ trả lời mạng nội bộ; chặn cổng UDP từ Internet.",
        );
    }
    let shown = if service.is_empty() {
        protocol.unwrap_or("không rõ").to_string()
    } else {
        service
    };
    exposed(
        Severity::Medium,
        format!("Dịch vụ {shown} lộ ra Internet (báo cáo {report_type}){port_text}"),
        format!("{shown} service exposed to the Internet ({report_type} report){port_text_en}"),
        "Xác minh dịch vụ có cần công khai không; nếu không, chặn truy cập từ Internet.",
    )
}

/// `scan_rdp` → `rdp`, `scan6_smb` → `smb`, `scan_ssl_poodle` → `ssl_poodle`.
fn service_word(report: &str) -> Option<String> {
    let rest = report.strip_prefix("scan")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest.strip_prefix('_')?;
    (!rest.is_empty()).then(|| rest.to_string())
}

fn compromised(severity: Severity, title_vi: String, title_en: String) -> ReportClass {
    ReportClass {
        category: category::COMPROMISED_HOST,
        severity,
        title_vi,
        title_en,
        remediation_vi: "Cô lập máy, rà soát mã độc, thay mật khẩu, khôi phục từ bản sạch và báo cáo kết quả xử lý.".into(),
    }
}

fn exposed(
    severity: Severity,
    title_vi: String,
    title_en: String,
    remediation: &str,
) -> ReportClass {
    ReportClass {
        category: category::EXPOSED_SERVICE,
        severity,
        title_vi,
        title_en,
        remediation_vi: remediation.to_string(),
    }
}
