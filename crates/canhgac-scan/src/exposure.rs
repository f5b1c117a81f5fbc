//! Risky services reachable by the scanner: remote desktops, file sharing, databases, caches,
//! cleartext logins. Each is a finding: such services belong behind a VPN or firewall, not on
//! the side the scanner stands on. Where the scanner stands is its [`Vantage`]: from the
//! Internet side such a service is urgent; from inside the network it is worth review, at a
//! lower severity and in a category of its own, so that inside and outside runs never mark each
//! other's findings fixed.

use canhgac_model::scan::{category, ScanEvidence, ScanIssue};
use canhgac_model::Severity;

use crate::services::Service;

/// Where the scanner stands relative to the targets' network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vantage {
    /// Outside, as an attacker on the Internet would be (the default).
    #[default]
    Internet,
    /// Inside the unit's network.
    Internal,
}

impl Vantage {
    /// Reads `internet` or `internal`.
    pub fn parse(text: &str) -> Option<Vantage> {
        match text.trim().to_ascii_lowercase().as_str() {
            "internet" | "external" | "outside" => Some(Vantage::Internet),
            "internal" | "inside" | "lan" => Some(Vantage::Internal),
            _ => None,
        }
    }

    /// The finding category of risky services seen from here.
    pub fn category(self) -> &'static str {
        match self {
            Vantage::Internet => category::EXPOSED_SERVICE,
            Vantage::Internal => category::INTERNAL_SERVICE,
        }
    }
}

struct Rule {
    service: &'static str,
    severity: Severity,
    name: &'static str,
    why_vi: &'static str,
    why_en: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        service: "rdp",
        severity: Severity::High,
        name: "RDP (Remote Desktop)",
        why_vi: "bị dò mật khẩu và khai thác lỗ hổng (BlueKeep) thường xuyên",
        why_en: "constantly brute-forced and exploited (BlueKeep)",
    },
    Rule {
        service: "smb",
        severity: Severity::High,
        name: "SMB (chia sẻ tệp Windows)",
        why_vi: "là đường lây lan của mã độc tống tiền (EternalBlue, WannaCry)",
        why_en: "is how ransomware spreads (EternalBlue, WannaCry)",
    },
    Rule {
        service: "telnet",
        severity: Severity::High,
        name: "Telnet",
        why_vi: "truyền mật khẩu không mã hóa",
        why_en: "sends passwords in clear text",
    },
    Rule {
        service: "ftp",
        severity: Severity::Medium,
        name: "FTP",
        why_vi: "truyền mật khẩu không mã hóa",
        why_en: "sends passwords in clear text",
    },
    Rule {
        service: "vnc",
        severity: Severity::High,
        name: "VNC",
        why_vi: "cho điều khiển máy từ xa, thường mật khẩu yếu",
        why_en: "gives remote control, often with weak passwords",
    },
    Rule {
        service: "mysql",
        severity: Severity::High,
        name: "MySQL/MariaDB",
        why_vi: "để lộ cơ sở dữ liệu cho dò mật khẩu",
        why_en: "exposes the database to password guessing",
    },
    Rule {
        service: "postgresql",
        severity: Severity::High,
        name: "PostgreSQL",
        why_vi: "để lộ cơ sở dữ liệu cho dò mật khẩu",
        why_en: "exposes the database to password guessing",
    },
    Rule {
        service: "mssql",
        severity: Severity::High,
        name: "Microsoft SQL Server",
        why_vi: "để lộ cơ sở dữ liệu cho dò mật khẩu",
        why_en: "exposes the database to password guessing",
    },
    Rule {
        service: "mongodb",
        severity: Severity::High,
        name: "MongoDB",
        why_vi: "thường không đặt mật khẩu và bị tống tiền dữ liệu",
        why_en: "often runs without a password and gets held to ransom",
    },
    Rule {
        service: "redis",
        severity: Severity::High,
        name: "Redis",
        why_vi: "cho phép ghi tệp và chiếm máy chủ khi không có mật khẩu",
        why_en: "lets anyone write files and take the server over without a password",
    },
    Rule {
        service: "memcached",
        severity: Severity::High,
        name: "memcached",
        why_vi: "bị dùng khuếch đại tấn công DDoS và để lộ dữ liệu đệm",
        why_en: "is abused for DDoS amplification and leaks cached data",
    },
    Rule {
        service: "elasticsearch",
        severity: Severity::High,
        name: "Elasticsearch",
        why_vi: "để lộ toàn bộ chỉ mục dữ liệu khi không xác thực",
        why_en: "exposes every index without authentication",
    },
    Rule {
        service: "ldap",
        severity: Severity::Medium,
        name: "LDAP",
        why_vi: "để lộ thư mục người dùng và cho dò mật khẩu",
        why_en: "exposes the user directory to enumeration and password guessing",
    },
];

/// The finding for a risky service, if it is one.
pub fn issue_for(host: &str, service: &Service, vantage: Vantage) -> Option<ScanIssue> {
    let rule = RULES.iter().find(|r| r.service == service.service)?;
    let mut severity = rule.severity;
    let open_without_auth = service.info.as_deref() == Some("không cần xác thực");
    if open_without_auth || service.info.as_deref().is_some_and(|i| i.contains("SMB1")) {
        severity = Severity::Critical;
    }
    if vantage == Vantage::Internal {
        // Reachable from inside is how such services are meant to be; only an open door
        // (no authentication, SMB1) stays serious.
        severity = if severity == Severity::Critical {
            Severity::High
        } else {
            Severity::Low
        };
    }
    let port = service.addr.port;
    let mut evidence = service
        .banner
        .as_deref()
        .map(ScanEvidence::banner)
        .unwrap_or_default();
    evidence.extracted = [
        service.product.clone(),
        service.version.clone(),
        service.info.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    evidence.details = serde_json::json!({ "service": service.service, "tls": service.tls, "probe": service.probe });
    let suffix_vi = if open_without_auth {
        " (không cần xác thực)"
    } else {
        ""
    };
    let suffix_en = if open_without_auth {
        " (no authentication)"
    } else {
        ""
    };
    let (check, title_vi, title_en) = match vantage {
        Vantage::Internet => (
            format!("service.exposed.{}", service.service),
            format!(
                "Dịch vụ {} truy cập được từ bên ngoài{suffix_vi}",
                rule.name
            ),
            format!("{} reachable from outside{suffix_en}", rule.name),
        ),
        Vantage::Internal => (
            format!("service.internal.{}", service.service),
            format!("Dịch vụ {} mở trong mạng nội bộ{suffix_vi}", rule.name),
            format!("{} open on the internal network{suffix_en}", rule.name),
        ),
    };
    Some(ScanIssue {
        check,
        category: vantage.category().to_owned(),
        severity,
        title_vi,
        title_en,
        host: host.to_owned(),
        port: Some(port),
        subject: format!("{host}:{port}/tcp"),
        evidence,
        remediation_vi: format!(
            "Đóng cổng {port} trên tường lửa với Internet, chỉ cho phép từ mạng nội bộ hoặc qua VPN; dịch vụ này {}.",
            rule.why_vi
        ),
        remediation_en: format!(
            "Close port {port} to the Internet at the firewall and allow it only from the internal network or a VPN; this service {}.",
            rule.why_en
        ),
        cves: Vec::new(),
        cvss: None,
        known_exploited: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::OpenPort;

    fn service(name: &str, info: Option<&str>) -> Service {
        Service {
            addr: OpenPort {
                ip: "10.0.0.5".parse().unwrap(),
                port: 6379,
            },
            service: name.into(),
            tls: false,
            product: Some("Redis".into()),
            version: Some("7.0.15".into()),
            cpe: None,
            info: info.map(str::to_owned),
            probe: Some("redis".into()),
            banner: Some("$2000\\r\\n# Server".into()),
        }
    }

    #[test]
    fn risky_services_are_findings_and_open_ones_critical() {
        let issue = issue_for(
            "db.example.vn",
            &service("redis", Some("cần xác thực")),
            Vantage::Internet,
        )
        .unwrap();
        assert_eq!(issue.severity, Severity::High);
        assert_eq!(issue.subject, "db.example.vn:6379/tcp");
        assert_eq!(issue.check, "service.exposed.redis");
        assert!(issue.evidence.extracted.contains(&"7.0.15".to_owned()));
        let open = issue_for(
            "db.example.vn",
            &service("redis", Some("không cần xác thực")),
            Vantage::Internet,
        )
        .unwrap();
        assert_eq!(open.severity, Severity::Critical);
        assert!(open.title_vi.contains("không cần xác thực"));
        assert!(issue_for("db.example.vn", &service("http", None), Vantage::Internet).is_none());
        assert!(issue_for("db.example.vn", &service("ssh", None), Vantage::Internet).is_none());

        // From inside, the same services are judged apart and less urgently.
        let inside = issue_for(
            "db.example.vn",
            &service("redis", Some("cần xác thực")),
            Vantage::Internal,
        )
        .unwrap();
        assert_eq!(inside.severity, Severity::Low);
        assert_eq!(inside.check, "service.internal.redis");
        assert_eq!(inside.category, category::INTERNAL_SERVICE);
        assert!(inside.title_vi.contains("mạng nội bộ"));
        let open_inside = issue_for(
            "db.example.vn",
            &service("redis", Some("không cần xác thực")),
            Vantage::Internal,
        )
        .unwrap();
        assert_eq!(open_inside.severity, Severity::High);
        assert_eq!(Vantage::parse("Inside"), Some(Vantage::Internal));
        assert_eq!(Vantage::parse("mars"), None);
    }
}
