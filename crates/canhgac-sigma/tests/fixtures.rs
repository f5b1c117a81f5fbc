//! Loads the rule fixtures in `tests/rules/` (written for canhgac) and matches events of
//! each log family against them: Windows (Sysmon and Security 4688), Linux syslog, web
//! access logs; filters, multi-document files and a rule that must fail.

use std::path::Path;

use canhgac_model::{Event, EventKind, FieldValue};
use canhgac_sigma::{load, LoadOptions, Loaded, RuleSet, RuleSource};

fn fixtures() -> Loaded {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/rules exists")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    let sources: Vec<RuleSource> = paths
        .iter()
        .map(|p| RuleSource {
            origin: p
                .file_name()
                .expect("a file")
                .to_string_lossy()
                .into_owned(),
            text: std::fs::read_to_string(p).expect("readable fixture"),
        })
        .collect();
    load(&sources, &LoadOptions::default())
}

fn titles(set: &RuleSet, event: &Event) -> Vec<String> {
    let mut out = Vec::new();
    set.matches(event, &mut out);
    let mut exhaustive = Vec::new();
    set.matches_exhaustive(event, &mut exhaustive);
    assert_eq!(out, exhaustive, "the index changed the result");
    out.iter().map(|i| set.info(*i).title.clone()).collect()
}

fn evtx(fields: &[(&str, FieldValue)]) -> Event {
    let mut e = Event::new(EventKind::Evtx, "");
    for (k, v) in fields {
        e.fields.push(*k, v.clone());
    }
    e
}

fn s(v: &str) -> FieldValue {
    FieldValue::Str(v.into())
}

#[test]
fn fixtures_load_except_the_broken_one() {
    let loaded = fixtures();
    let r = &loaded.report;
    // 1 + 3 (two rules, one filter) + 1 + 1 + 1 broken.
    assert_eq!(r.documents, 7, "{r:?}");
    assert_eq!(r.loaded, 6);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].origin, "broken_unknown_modifier.yml");
    assert!(r.errors[0].reason.contains("unknown modifier 'containz'"));
    assert_eq!(loaded.rules.len(), 5);
    let info = loaded
        .rules
        .info(loaded.rules.find("failed_logon_disabled").unwrap());
    assert_eq!(info.origin, "win_security_failed_logons.yml#1");
    assert_eq!(info.logsource.service.as_deref(), Some("security"));
}

#[test]
fn windows_process_creation_from_sysmon_and_security() {
    let set = fixtures().rules;
    let sysmon = evtx(&[
        ("Channel", s("Microsoft-Windows-Sysmon/Operational")),
        ("EventID", FieldValue::Int(1)),
        ("Image", s(r"C:\Windows\System32\certutil.exe")),
        ("CommandLine", s(r"certutil /decode a.b64 a.exe")),
        ("User", s(r"CORP\alice")),
    ]);
    assert_eq!(titles(&set, &sysmon), ["Certutil Decodes A File"]);
    // The optional filter: admin accounts are excluded.
    let mut admin = sysmon.clone();
    admin.fields.set("User", "adm_alice");
    assert!(titles(&set, &admin).is_empty());
    // Security 4688 names the image NewProcessName; renamed OriginalFileName also works.
    let security = evtx(&[
        ("Channel", s("Security")),
        ("EventID", FieldValue::Int(4688)),
        ("NewProcessName", s(r"C:\Windows\System32\CertUtil.exe")),
        ("CommandLine", s(r"certutil.exe -decode x y")),
    ]);
    assert_eq!(titles(&set, &security), ["Certutil Decodes A File"]);
    let renamed = evtx(&[
        ("Channel", s("Microsoft-Windows-Sysmon/Operational")),
        ("EventID", FieldValue::Int(1)),
        ("Image", s(r"C:\Temp\cu.exe")),
        ("OriginalFileName", s("CertUtil.exe")),
        ("CommandLine", s("cu.exe –decode x y")),
    ]);
    assert_eq!(titles(&set, &renamed), ["Certutil Decodes A File"]);
}

#[test]
fn windows_security_rules_and_the_filter() {
    let set = fixtures().rules;
    let logon = |ip: &str, ws: &str, id: i64| {
        evtx(&[
            ("Channel", s("Security")),
            ("EventID", FieldValue::Int(id)),
            ("IpAddress", s(ip)),
            ("WorkstationName", s(ws)),
            ("SubStatus", s("0xC0000072")),
        ])
    };
    assert_eq!(
        titles(&set, &logon("8.8.8.8", "PC1", 4624)),
        ["Logon From A Public Address"]
    );
    assert!(titles(&set, &logon("10.1.1.1", "PC1", 4624)).is_empty());
    assert!(titles(&set, &logon("-", "PC1", 4624)).is_empty());
    // The filter document suppresses the jump host for the rule it names only.
    assert!(titles(&set, &logon("8.8.8.8", "jump01", 4624)).is_empty());
    assert_eq!(
        titles(&set, &logon("8.8.8.8", "jump01", 4625)),
        ["Failed Logon For A Disabled Account"]
    );
    assert_eq!(
        titles(&set, &logon("8.8.4.4", "PC2", 4625)),
        [
            "Failed Logon For A Disabled Account",
            "Logon From A Public Address"
        ]
    );
    // Another channel with the same event id is not the security service.
    let mut system = logon("8.8.8.8", "PC1", 4624);
    system.fields.set("Channel", "System");
    assert!(titles(&set, &system).is_empty());
}

#[test]
fn linux_syslog_and_web_access_logs() {
    let set = fixtures().rules;
    let mut ssh = Event::new(
        EventKind::Syslog3164,
        "Accepted password for root from 203.0.113.9 port 52113 ssh2",
    );
    ssh.fields.push("program", "sshd");
    ssh.fields.push("facility", "auth");
    ssh.fields.push(
        "msg",
        "Accepted password for root from 203.0.113.9 port 52113 ssh2",
    );
    assert_eq!(titles(&set, &ssh), ["SSH Root Login Accepted"]);
    let mut other = ssh.clone();
    other.fields.set("program", "su");
    assert!(
        titles(&set, &other).is_empty(),
        "service sshd is program sshd"
    );

    let web = |query: &str, status: i64| {
        let mut e = Event::new(EventKind::AccessLog, "GET /x");
        e.fields.push("cs-method", "GET");
        e.fields.push("cs-uri-stem", "/download");
        e.fields.push("cs-uri-query", query);
        e.fields.push("sc-status", status);
        e
    };
    assert_eq!(
        titles(&set, &web("file=..%2F..%2Fetc%2Fpasswd", 200)),
        ["Path Traversal In A Web Request"]
    );
    assert!(titles(&set, &web("file=../../etc/passwd", 404)).is_empty());
    assert!(titles(&set, &web("file=report.pdf", 200)).is_empty());
    // The same fields in a JSON event are not a web server log.
    let mut json = web("file=../x", 200);
    json.kind = EventKind::Json;
    assert!(titles(&set, &json).is_empty());
}
