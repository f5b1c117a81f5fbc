use canhgac_model::finding::category;
use canhgac_model::Severity;
use proptest::prelude::*;

use super::*;

const RDP: &str =
    include_str!("../../tests/fixtures/shadowserver/2025-11-20-scan_rdp-vietnam-geo.csv");
const SINKHOLE: &str = include_str!(
    "../../tests/fixtures/shadowserver/2025-11-21-event4_sinkhole_http-vietnam-geo.csv"
);
const NTP: &str = include_str!("../../tests/fixtures/shadowserver/ntp-report.csv");
const MINISTRY: &str = include_str!("../../tests/fixtures/shadowserver/danh-sach-bo.csv");

fn directory() -> Directory {
    Directory {
        networks: vec![
            ("203.113.10.0/24".parse().unwrap(), 1),
            ("203.113.10.96/28".parse().unwrap(), 3),
            ("203.113.12.0/24".parse().unwrap(), 2),
            ("2001:db8:10::/48".parse().unwrap(), 2),
        ],
        domains: vec![("tinh.gov.vn".into(), 1), ("soyte.tinh.gov.vn".into(), 3)],
        email_domains: vec![("tinh.gov.vn".into(), 1), ("soyte.tinh.gov.vn".into(), 3)],
    }
}

fn now() -> Timestamp {
    "2025-11-25T00:00:00Z".parse().unwrap()
}

#[test]
fn report_types_come_from_shadowserver_file_names() {
    let of = |name: &str| report_type_from_file_name(name);
    assert_eq!(
        of("2025-11-20-scan_rdp-vietnam-geo.csv").as_deref(),
        Some("scan_rdp")
    );
    assert_eq!(
        of("/tmp/x/2025-11-21-event4_sinkhole_http-vietnam-geo.csv").as_deref(),
        Some("event4_sinkhole_http")
    );
    assert_eq!(of("scan6_smb-asn.csv").as_deref(), Some("scan6_smb"));
    assert_eq!(of("2025-11-20.csv"), None);
}

#[test]
fn an_rdp_report_gives_exposed_service_findings_per_unit() {
    let name = "2025-11-20-scan_rdp-vietnam-geo.csv";
    let import = import_report(
        RDP,
        Some(name),
        &directory(),
        &DeadlinePolicy::default(),
        now(),
    )
    .unwrap();
    assert_eq!(import.report_type.as_deref(), Some("scan_rdp"));
    assert_eq!(import.rows, 4);
    assert_eq!(import.findings.len(), 2, "the repeated host merges");
    let first = &import.findings[0];
    assert_eq!(first.draft.unit_id, Some(1));
    assert_eq!(first.draft.category, category::EXPOSED_SERVICE);
    assert_eq!(first.draft.severity, Severity::High);
    assert_eq!(first.draft.title, "Dịch vụ RDP lộ ra Internet (cổng 3389)");
    assert_eq!(
        first.title_en,
        "RDP service exposed to the Internet (port 3389)"
    );
    assert_eq!(first.draft.subject, "203.113.10.25:3389");
    assert_eq!(first.draft.key, "shadowserver:scan_rdp:203.113.10.25:3389");
    assert_eq!(
        first.draft.observed_at,
        "2025-11-20T01:14:51Z".parse::<Timestamp>().unwrap(),
        "the latest sighting is kept"
    );
    assert_eq!(
        first.deadline,
        "2025-12-02T00:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(first.draft.evidence["subject_common_name"], "MAYCHU-VANTHU");
    assert_eq!(first.draft.evidence["row"], 3);
    // Outside every network, the host name attributes it.
    assert_eq!(import.findings[1].draft.unit_id, Some(1));
    assert_eq!(
        import.findings[1].draft.host.as_deref(),
        Some("203.113.11.7")
    );
    assert_eq!(
        import.unmatched,
        vec![Unmatched {
            row: 5,
            subject: "198.51.100.77".into(),
            report_type: "scan_rdp".into()
        }]
    );
    // A re-import gives the same keys: the store updates rather than duplicates.
    let again = import_report(
        RDP,
        Some(name),
        &directory(),
        &DeadlinePolicy::default(),
        now(),
    )
    .unwrap();
    let keys = |import: &ReportImport| {
        import
            .findings
            .iter()
            .map(|f| f.draft.key.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&import), keys(&again));
}

#[test]
fn a_sinkhole_report_gives_critical_compromised_hosts() {
    let import = import_report(
        SINKHOLE,
        Some("2025-11-21-event4_sinkhole_http-vietnam-geo.csv"),
        &directory(),
        &DeadlinePolicy::default(),
        now(),
    )
    .unwrap();
    assert_eq!(import.findings.len(), 2);
    let andromeda = &import.findings[0];
    assert_eq!(andromeda.draft.category, category::COMPROMISED_HOST);
    assert_eq!(andromeda.draft.severity, Severity::Critical);
    assert_eq!(
        andromeda.draft.title,
        "Máy bị nhiễm mã độc (botnet andromeda)"
    );
    assert_eq!(andromeda.draft.unit_id, Some(2));
    assert_eq!(
        andromeda.draft.key,
        "shadowserver:event4_sinkhole_http:203.113.12.40:andromeda"
    );
    assert_eq!(
        andromeda.deadline,
        "2025-11-28T00:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert!(import.unmatched.is_empty());
}

#[test]
fn without_a_file_name_the_tag_names_the_report_and_the_narrowest_network_wins() {
    let import = import_report(
        NTP,
        Some("ntp-report.csv"),
        &directory(),
        &DeadlinePolicy::default(),
        now(),
    )
    .unwrap();
    // "ntp-report.csv" gives "ntp", which is also the tag.
    assert_eq!(import.findings.len(), 2);
    let import = import_report(NTP, None, &directory(), &DeadlinePolicy::default(), now()).unwrap();
    assert_eq!(import.report_type, None);
    let units: Vec<_> = import.findings.iter().map(|f| f.draft.unit_id).collect();
    assert_eq!(units, vec![Some(3), Some(2)]);
    let first = &import.findings[0];
    assert_eq!(first.draft.severity, Severity::Medium);
    assert!(
        first
            .draft
            .title
            .starts_with("Dịch vụ NTP có thể bị lợi dụng khuếch đại"),
        "{}",
        first.draft.title
    );
    assert_eq!(first.draft.key, "shadowserver:ntp:203.113.10.99:123");
}

#[test]
fn a_malformed_row_refuses_the_report_and_names_the_row() {
    let text = "timestamp,ip,port\n2025-11-20 01:00:00,203.113.10.1,22\n2025-11-20 01:00:00,203.113.10.x,22\n";
    let error =
        import_report(text, None, &directory(), &DeadlinePolicy::default(), now()).unwrap_err();
    assert!(
        matches!(&error, ReportError::Row { row: 3, problem } if problem.contains("IP")),
        "{error:?}"
    );
    let text = "timestamp,ip,port\n2025-11-20 01:00:00,203.113.10.1,99999\n";
    assert!(matches!(
        import_report(text, None, &directory(), &DeadlinePolicy::default(), now()),
        Err(ReportError::Row { row: 2, .. })
    ));
    let text = "timestamp,ip,port\nhôm qua,203.113.10.1,22\n";
    assert!(matches!(
        import_report(text, None, &directory(), &DeadlinePolicy::default(), now()),
        Err(ReportError::Row { row: 2, .. })
    ));
    let text = "timestamp,ip,port\n2025-11-20 01:00:00,203.113.10.1\n";
    assert!(matches!(
        import_report(text, None, &directory(), &DeadlinePolicy::default(), now()),
        Err(ReportError::Row { row: 2, .. })
    ));
    assert_eq!(
        import_report(
            "timestamp,asn\n1,2\n",
            None,
            &directory(),
            &DeadlinePolicy::default(),
            now()
        ),
        Err(ReportError::NoAddressColumn)
    );
}

#[test]
fn a_ministry_list_maps_ips_urls_and_emails_to_units() {
    let list = MinistryList {
        name: "CV 123/BTTTT".into(),
        severity: Severity::High,
    };
    let policy = DeadlinePolicy {
        high_days: 5,
        ..DeadlinePolicy::default()
    };
    let import = import_list(MINISTRY, &list, &directory(), &policy, now()).unwrap();
    assert_eq!(import.rows, 4);
    let found: Vec<_> = import
        .findings
        .iter()
        .map(|f| {
            (
                f.draft.category.as_str(),
                f.draft.subject.as_str(),
                f.draft.unit_id,
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (category::LISTED_ADDRESS, "203.113.10.25", Some(1)),
            (
                category::LISTED_ADDRESS,
                "https://congthongtin.tinh.gov.vn/admin",
                Some(1)
            ),
            (
                category::EMAIL_BREACHED,
                "van.thu@soyte.tinh.gov.vn",
                Some(3)
            ),
        ]
    );
    assert_eq!(
        import.findings[0].deadline,
        "2025-11-30T00:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(
        import.findings[0].draft.evidence["ghi chú"],
        "Máy chủ lộ thông tin đăng nhập"
    );
    assert_eq!(
        import.findings[1].draft.host.as_deref(),
        Some("congthongtin.tinh.gov.vn")
    );
    assert_eq!(import.unmatched.len(), 1);
    assert_eq!(import.unmatched[0].row, 5);

    // A plain one-column list, and a list with a hash in it.
    let plain = "203.113.12.9\n2001:db8:10::77\n";
    let import = import_list(plain, &list, &directory(), &policy, now()).unwrap();
    assert_eq!(import.findings.len(), 2);
    let bad = "203.113.12.9\nd41d8cd98f00b204e9800998ecf8427e\n";
    assert!(matches!(
        import_list(bad, &list, &directory(), &policy, now()),
        Err(ReportError::Row { row: 2, .. })
    ));
}

#[test]
fn the_directory_prefers_the_most_specific_entry() {
    let mut directory = directory();
    assert!(directory.add_range(
        "198.51.100.10".parse().unwrap(),
        "198.51.100.20".parse().unwrap(),
        7
    ));
    assert_eq!(
        directory.unit_of_ip("198.51.100.10".parse().unwrap()),
        Some(7)
    );
    assert_eq!(
        directory.unit_of_ip("198.51.100.20".parse().unwrap()),
        Some(7)
    );
    assert_eq!(directory.unit_of_ip("198.51.100.21".parse().unwrap()), None);
    assert_eq!(directory.unit_of_ip("198.51.100.9".parse().unwrap()), None);
    assert!(!directory.add_range(
        "198.51.100.20".parse().unwrap(),
        "198.51.100.10".parse().unwrap(),
        7
    ));
    assert_eq!(
        directory.unit_of_ip("203.113.10.97".parse().unwrap()),
        Some(3)
    );
    assert_eq!(
        directory.unit_of_ip("203.113.10.1".parse().unwrap()),
        Some(1)
    );
    assert_eq!(directory.unit_of_host("www.soyte.tinh.gov.vn"), Some(3));
    assert_eq!(directory.unit_of_host("notinh.gov.vn"), None);
    assert_eq!(directory.unit_of_email("a@SoYte.tinh.gov.vn"), Some(3));
}

proptest! {
    #[test]
    fn no_text_panics_the_report_readers(body in "[a-z0-9.,;:\"/ \n-]{0,300}") {
        let text = format!("timestamp,ip,port,hostname,tag,infection\n{body}");
        let _ = import_report(&text, Some("2025-01-01-scan_rdp-x.csv"), &directory(), &DeadlinePolicy::default(), now());
        let _ = import_report(&body, None, &directory(), &DeadlinePolicy::default(), now());
        let list = MinistryList { name: "x".into(), severity: Severity::High };
        let _ = import_list(&body, &list, &directory(), &DeadlinePolicy::default(), now());
    }
}
