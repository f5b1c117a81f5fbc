use std::io::Write as _;

use super::output::{self, Format};
use super::*;
use canhgac_model::{EventKind, FieldValue};
use canhgac_sigma::{load, LoadOptions, RuleSource};

const RULES: &str = r#"
title: Whoami run
id: 11111111-0000-4000-8000-000000000001
name: whoami
logsource: { product: windows, category: process_creation }
detection:
  sel:
    Image|endswith: '\whoami.exe'
  condition: sel
level: medium
tags: [attack.discovery, attack.t1033]
fields: [CommandLine, User]
---
title: Logon
id: 11111111-0000-4000-8000-000000000002
logsource: { product: windows, service: security }
detection:
  sel:
    EventID: 4624
  condition: sel
level: low
---
title: Whoami twice on one host
id: 11111111-0000-4000-8000-0000000000c1
correlation:
  type: event_count
  rules: [whoami]
  group-by: [Computer]
  timespan: 1h
  condition: { gte: 2 }
  generate: true
level: high
"#;

fn rules() -> canhgac_sigma::Loaded {
    let loaded = load(
        &[RuleSource {
            origin: "hunt.yml".into(),
            text: RULES.into(),
        }],
        &LoadOptions::default(),
    );
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}",
        loaded.report.errors
    );
    loaded
}

/// A stand-in for canhgac-ingest's JSON lines reader: EVTX-shaped objects with `time`.
fn read_json_lines(path: &Path) -> Result<impl Iterator<Item = Result<Event, String>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines: Vec<String> = text.lines().map(String::from).collect();
    Ok(lines.into_iter().map(|line| {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&line).map_err(|e| format!("invalid JSON: {e}"))?;
        let mut event = Event::new(EventKind::Evtx, line.clone());
        for (name, value) in object {
            match value {
                serde_json::Value::String(s) if name == "time" => {
                    event.time = s.parse().map_err(|e| format!("bad time: {e}"))?;
                }
                serde_json::Value::String(s) => {
                    if name == "Computer" {
                        event.host = Some(s.to_lowercase());
                    }
                    event.fields.push(name, s);
                }
                serde_json::Value::Number(n) => {
                    event
                        .fields
                        .push(name, n.as_i64().map_or(FieldValue::Null, FieldValue::Int));
                }
                _ => {}
            }
        }
        Ok(event)
    }))
}

fn whoami(time: &str, host: &str, user: &str) -> String {
    serde_json::json!({
        "time": time, "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
        "Computer": host, "Image": "C:\\Windows\\System32\\whoami.exe",
        "CommandLine": "whoami /all", "User": user,
    })
    .to_string()
}

fn logon(time: &str, host: &str) -> String {
    serde_json::json!({
        "time": time, "Channel": "Security", "EventID": 4624, "Computer": host,
        "TargetUserName": "admin", "IpAddress": "192.0.2.10",
    })
    .to_string()
}

fn write_files(dir: &Path) -> Vec<PathBuf> {
    let files = [
        (
            "a.jsonl",
            vec![
                whoami("2026-11-20T01:00:00Z", "WS-01", "HBX\\an"),
                logon("2026-11-20T01:00:05Z", "WS-01"),
                "{not json".to_string(),
                whoami("2026-11-20T03:00:00Z", "WS-01", "HBX\\an"),
            ],
        ),
        (
            "b.jsonl",
            vec![
                logon("2026-11-20T00:59:00Z", "DC-01"),
                whoami("2026-11-20T01:30:00Z", "WS-01", "HBX\\binh"),
                whoami("2026-11-21T00:00:00Z", "WS-02", "HBX\\chi"),
            ],
        ),
        ("c.jsonl", vec![logon("2026-11-20T02:00:00Z", "DC-01")]),
    ];
    let mut paths = Vec::new();
    for (name, lines) in files {
        let path = dir.join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        for line in lines {
            writeln!(file, "{line}").unwrap();
        }
        paths.push(path);
    }
    paths.push(dir.join("missing.jsonl"));
    paths
}

fn summary(report: &HuntReport, rules: &RuleSet) -> Vec<String> {
    report
        .hits
        .iter()
        .map(|h| {
            format!(
                "{} {} {}#{}",
                h.event.time,
                rules.info(h.rule).title,
                h.file.file_name().unwrap().to_string_lossy(),
                h.position
            )
        })
        .collect()
}

#[test]
fn hunt_reads_every_file_sorts_hits_and_counts_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path());
    let loaded = rules();
    let last = Mutex::new(None);
    let options = HuntOptions {
        threads: 3,
        progress_every: 1,
        ..HuntOptions::default()
    };
    let report = run(
        &files,
        read_json_lines,
        &loaded.rules,
        Some(&loaded.correlations),
        &options,
        |p| {
            let mut last = last.lock().unwrap();
            if last.is_none_or(|l: Progress| p.files_done >= l.files_done) {
                *last = Some(p);
            }
        },
    );
    assert_eq!(
        summary(&report, &loaded.rules),
        vec![
            "2026-11-20T00:59:00Z Logon b.jsonl#0",
            "2026-11-20T01:00:00Z Whoami run a.jsonl#0",
            "2026-11-20T01:00:05Z Logon a.jsonl#1",
            "2026-11-20T01:30:00Z Whoami run b.jsonl#1",
            "2026-11-20T02:00:00Z Logon c.jsonl#0",
            "2026-11-20T03:00:00Z Whoami run a.jsonl#3",
            "2026-11-21T00:00:00Z Whoami run b.jsonl#2",
        ]
    );
    assert_eq!(report.files, 4);
    assert_eq!(report.files_failed, 1);
    assert_eq!(report.events, 8);
    assert_eq!(report.bad_records, 1);
    assert_eq!(report.errors.len(), 2);
    assert_eq!(report.errors[0].position, Some(2));
    assert!(
        report.errors[0].reason.starts_with("invalid JSON"),
        "{:?}",
        report.errors
    );
    assert_eq!(report.errors[1].position, None);
    assert!(report.errors[1].reason.contains("missing.jsonl"));
    assert!(report.has_hits());
    // The two whoami on WS-01 within an hour (sorted by time first) make the correlation fire.
    assert_eq!(report.correlations.len(), 1);
    assert_eq!(
        report.correlations[0].info.title,
        "Whoami twice on one host"
    );
    assert_eq!(
        report.correlations[0].group,
        vec![("Computer".into(), "WS-01".into())]
    );
    let last = last.lock().unwrap().unwrap();
    assert_eq!((last.files_total, last.files_done), (4, 4));
    assert_eq!(last.events, 8);
}

#[test]
fn hunt_filters_by_time_range_and_level_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path());
    let loaded = rules();
    let filter = HuntFilter {
        from: Some("2026-11-20T01:00:00Z".parse().unwrap()),
        to: Some("2026-11-20T03:00:00Z".parse().unwrap()),
        min_level: Some(Severity::Medium),
    };
    let hunt = |threads| {
        run(
            &files,
            read_json_lines,
            &loaded.rules,
            None,
            &HuntOptions {
                filter: filter.clone(),
                threads,
                ..HuntOptions::default()
            },
            |_| {},
        )
    };
    let one = hunt(1);
    assert_eq!(
        summary(&one, &loaded.rules),
        vec![
            "2026-11-20T01:00:00Z Whoami run a.jsonl#0",
            "2026-11-20T01:30:00Z Whoami run b.jsonl#1",
        ]
    );
    // 0:59 before, 3:00 (the end is excluded) and 21/11 after.
    assert_eq!(one.events_outside_range, 3);
    assert!(one.correlations.is_empty());
    assert_eq!(
        summary(&hunt(4), &loaded.rules),
        summary(&one, &loaded.rules)
    );
    // No hits at all: the binary exits with 0.
    let none = run(
        &files[2..3],
        read_json_lines,
        &loaded.rules,
        None,
        &HuntOptions {
            filter: HuntFilter {
                min_level: Some(Severity::High),
                ..HuntFilter::default()
            },
            ..HuntOptions::default()
        },
        |_| {},
    );
    assert!(!none.has_hits());
    assert_eq!(none.events, 1);
}

fn golden_hits(rules: &RuleSet) -> Vec<HuntHit> {
    let mut a = Event::new(EventKind::Evtx, "");
    a.time = "2026-11-20T01:02:03Z".parse().unwrap();
    a.host = Some("ws-01".into());
    a.fields.push("EventID", 1i64);
    a.fields.push("Image", "C:\\Windows\\System32\\whoami.exe");
    a.fields.push("CommandLine", "whoami /all");
    a.fields.push("User", "HBX\\an, \"quản trị\"");
    let mut b = Event::new(EventKind::Evtx, "");
    b.time = "2026-11-20T17:30:00Z".parse().unwrap();
    b.host = Some("dc-01".into());
    b.fields.push("EventID", 4624i64);
    b.fields.push("TargetUserName", "admin");
    b.fields.push("IpAddress", "192.0.2.10");
    let whoami = rules.find("11111111-0000-4000-8000-000000000001").unwrap();
    let logon = rules.find("11111111-0000-4000-8000-000000000002").unwrap();
    vec![
        HuntHit {
            rule: whoami,
            event: Arc::new(a),
            file: Arc::from(Path::new("/logs/a.evtx")),
            position: 0,
        },
        HuntHit {
            rule: logon,
            event: Arc::new(b),
            file: Arc::from(Path::new("/logs/b.evtx")),
            position: 7,
        },
    ]
}

fn render(format: Format, rules: &RuleSet, hits: &[HuntHit]) -> String {
    let mut out = Vec::new();
    output::write(format, &mut out, rules, hits).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn table_output_is_aligned_in_local_time() {
    let loaded = rules();
    let text = render(Format::Table, &loaded.rules, &golden_hits(&loaded.rules));
    let expected = "\
Thời gian            Mức         Luật        Máy    Chi tiết
───────────────────  ──────────  ──────────  ─────  ────────────────────────────────────────────────────────
20/11/2026 08:02:03  Trung bình  Whoami run  ws-01  CommandLine=whoami /all; User=HBX\\an, \"quản trị\"
21/11/2026 00:30:00  Thấp        Logon       dc-01  EventID=4624; IpAddress=192.0.2.10; TargetUserName=admin
";
    assert_eq!(text, expected, "\n{text}");
}

#[test]
fn json_lines_output_has_one_object_per_hit() {
    let loaded = rules();
    let text = render(Format::Json, &loaded.rules, &golden_hits(&loaded.rules));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        serde_json::json!({
            "time": "2026-11-20T01:02:03Z",
            "time_local": "20/11/2026 08:02:03",
            "level": "medium",
            "rule": {
                "id": "11111111-0000-4000-8000-000000000001", "title": "Whoami run",
                "key": "11111111-0000-4000-8000-000000000001",
                "tags": ["attack.discovery", "attack.t1033"], "origin": "hunt.yml#1",
            },
            "file": "/logs/a.evtx",
            "host": "ws-01",
            "event": {
                "time": "2026-11-20T01:02:03Z", "kind": "evtx", "host": "ws-01",
                "fields": {
                    "EventID": 1, "Image": "C:\\Windows\\System32\\whoami.exe",
                    "CommandLine": "whoami /all", "User": "HBX\\an, \"quản trị\"",
                },
            },
        })
    );
    assert_eq!(lines[1]["level"], "low");
}

#[test]
fn csv_output_quotes_and_has_a_header() {
    let loaded = rules();
    let text = render(Format::Csv, &loaded.rules, &golden_hits(&loaded.rules));
    let expected = "\
time,level,rule_id,rule_title,tags,host,file,details
20/11/2026 08:02:03,medium,11111111-0000-4000-8000-000000000001,Whoami run,attack.discovery attack.t1033,ws-01,/logs/a.evtx,\"CommandLine=whoami /all; User=HBX\\an, \"\"quản trị\"\"\"
21/11/2026 00:30:00,low,11111111-0000-4000-8000-000000000002,Logon,,dc-01,/logs/b.evtx,EventID=4624; IpAddress=192.0.2.10; TargetUserName=admin
";
    assert_eq!(text, expected, "\n{text}");
    assert_eq!("json".parse::<Format>(), Ok(Format::Json));
    assert!("xml".parse::<Format>().is_err());
}
