use super::*;
use canhgac_model::{EventKind, Indicator, RuleOverride, Severity, Suppression};
use canhgac_sigma::{load, LoadOptions, RuleSource};

const RULES: &str = r#"
title: Failed SSH password
id: 0b1e6a52-0000-4000-8000-000000000001
name: ssh_failed
logsource: { product: linux, service: sshd }
detection:
  sel:
    msg|contains: 'Failed password'
  condition: sel
level: low
tags: [attack.credential-access, attack.t1110]
---
title: Whoami run
id: 0b1e6a52-0000-4000-8000-000000000002
logsource: { product: windows, category: process_creation }
detection:
  sel:
    Image|endswith: '\whoami.exe'
  condition: sel
level: medium
tags: [attack.discovery, attack.t1033]
---
title: SSH brute force
id: 0b1e6a52-0000-4000-8000-0000000000c1
correlation:
  type: event_count
  rules: [ssh_failed]
  group-by: [hostname]
  timespan: 5m
  condition: { gte: 3 }
level: high
"#;

fn rules() -> canhgac_sigma::Loaded {
    let loaded = load(
        &[RuleSource {
            origin: "test.yml".into(),
            text: RULES.into(),
        }],
        &LoadOptions::default(),
    );
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}",
        loaded.report.errors
    );
    assert_eq!(loaded.rules.len(), 2);
    assert_eq!(loaded.correlations.len(), 1);
    loaded
}

fn detector(indicators: Vec<Indicator>, tuning: Tuning) -> Detector {
    let loaded = rules();
    Detector::new(
        Arc::new(loaded.rules),
        &loaded.correlations,
        Arc::new(IndicatorSet::new(indicators)),
        Arc::new(tuning),
    )
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_795_000_000 + seconds).unwrap()
}

fn whoami(host: &str, unit: Option<Id>) -> Event {
    let mut e = Event::new(EventKind::Evtx, "");
    e.time = at(0);
    e.host = Some(host.into());
    e.unit_id = unit;
    e.fields
        .push("Channel", "Microsoft-Windows-Sysmon/Operational");
    e.fields.push("EventID", 1i64);
    e.fields.push("Image", r"C:\Windows\System32\whoami.exe");
    e.fields.push("CommandLine", "whoami /all");
    e
}

fn ssh_failure(host: &str, from: &str, seconds: i64) -> Event {
    let mut e = Event::new(EventKind::Syslog3164, "");
    e.time = at(seconds);
    e.host = Some(host.into());
    e.fields.push("hostname", host);
    e.fields.push("program", "sshd");
    e.fields.push(
        "msg",
        format!("Failed password for root from {from} port 22 ssh2"),
    );
    e
}

fn run(d: &mut Detector, events: &[Event]) -> Vec<AlertDraft> {
    let mut out = Vec::new();
    for e in events {
        d.detect_at(e, at(0), &mut out);
    }
    out
}

fn ip_indicator(value: &str, severity: Severity) -> Indicator {
    Indicator {
        id: 9,
        kind: IndicatorKind::Ip,
        value: value.into(),
        source: "VNCERT".into(),
        description: "C2".into(),
        severity,
        tags: vec!["c2".into()],
        expires_at: None,
        created_at: at(0),
        meta: Default::default(),
    }
}

#[test]
fn sigma_hit_becomes_a_draft_with_rule_metadata_and_bounded_event_evidence() {
    let mut d = detector(vec![], Tuning::default()).with_evidence_limits(EvidenceLimits {
        max_value_chars: 4,
        ..Default::default()
    });
    let drafts = run(&mut d, &[whoami("ws-01", Some(3))]);
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0];
    assert_eq!(draft.source, AlertSource::Sigma);
    assert_eq!(draft.rule_key, "0b1e6a52-0000-4000-8000-000000000002");
    assert_eq!(draft.title, "Whoami run");
    assert_eq!(draft.severity, Severity::Medium);
    assert_eq!(draft.tags, vec!["attack.discovery", "attack.t1033"]);
    assert_eq!(draft.unit_id, Some(3));
    assert_eq!(draft.host.as_deref(), Some("ws-01"));
    assert_eq!(draft.time, at(0));
    assert_eq!(draft.evidence["event"]["fields"]["CommandLine"], "whoa…");
    assert_eq!(draft.evidence["event"]["fields"]["EventID"], 1);
    assert_eq!(draft.evidence["rule"]["origin"], "test.yml#2");
}

#[test]
fn overrides_switch_off_and_relevel_per_unit() {
    let key = "0b1e6a52-0000-4000-8000-000000000002";
    let tuning = Tuning::new(
        vec![
            RuleOverride {
                rule_key: key.into(),
                unit_id: None,
                enabled: true,
                severity: Some(Severity::Critical),
            },
            RuleOverride {
                rule_key: key.into(),
                unit_id: Some(2),
                enabled: false,
                severity: None,
            },
        ],
        vec![],
    );
    let mut d = detector(vec![], tuning);
    let drafts = run(
        &mut d,
        &[
            whoami("a", Some(1)),
            whoami("b", Some(2)),
            whoami("c", None),
        ],
    );
    let got: Vec<(Option<&str>, Severity)> = drafts
        .iter()
        .map(|d| (d.host.as_deref(), d.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("a"), Severity::Critical),
            (Some("c"), Severity::Critical)
        ]
    );
}

#[test]
fn suppressions_drop_drafts_of_their_rule_and_unit_only() {
    let key = "0b1e6a52-0000-4000-8000-000000000002";
    let suppression = |rule: Option<&str>, unit, field: &str, value: &str| Suppression {
        id: 1,
        rule_key: rule.map(String::from),
        unit_id: unit,
        field: field.into(),
        value: value.into(),
        comment: "quản trị viên kiểm tra định kỳ".into(),
        expires_at: None,
    };
    let tuning = Tuning::new(
        vec![],
        vec![
            suppression(Some(key), Some(1), "host", "WS-ADMIN"),
            suppression(None, None, "CommandLine", "WHOAMI /ALL"),
        ],
    );
    let mut d = detector(vec![], tuning);
    let mut other = whoami("ws-admin", Some(2));
    other.fields.set("CommandLine", "whoami /priv");
    let mut admin = whoami("ws-admin", Some(1));
    admin.fields.set("CommandLine", "whoami /priv");
    let drafts = run(&mut d, &[whoami("x", Some(1)), admin, other]);
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].unit_id, Some(2));
    let stats = d.stats();
    assert_eq!(
        (
            stats.events,
            stats.sigma_hits,
            stats.suppressed,
            stats.drafts
        ),
        (3, 3, 2, 1)
    );
}

#[test]
fn correlation_fires_and_silences_its_base_rule() {
    let mut d = detector(vec![], Tuning::default());
    let events: Vec<Event> = (0..6)
        .map(|i| ssh_failure("gw", "198.51.100.9", i * 10))
        .chain([ssh_failure("other", "198.51.100.9", 55)])
        .collect();
    let drafts = run(&mut d, &events);
    // The base rule is referenced by a correlation without `generate: true`: no own drafts.
    assert!(
        drafts.iter().all(|d| d.source == AlertSource::Correlation),
        "{drafts:#?}"
    );
    // Fires at the third event in the window; the engine then starts the group afresh, so it
    // fires again at the sixth; the other host's single event is not enough.
    assert_eq!(drafts.len(), 2);
    assert_eq!(drafts[1].time, at(50));
    let first = &drafts[0];
    assert_eq!(first.rule_key, "0b1e6a52-0000-4000-8000-0000000000c1");
    assert_eq!(first.title, "SSH brute force");
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.host.as_deref(), Some("gw"));
    assert_eq!(first.time, at(20));
    assert_eq!(first.evidence["group"]["hostname"], "gw");
    assert_eq!(first.evidence["count"], 3);
    assert_eq!(first.evidence["correlation"]["type"], "event_count");
    assert_eq!(first.evidence["first"], at(0).to_string());
}

#[test]
fn a_disabled_base_rule_does_not_feed_its_correlation() {
    let tuning = Tuning::new(
        vec![RuleOverride {
            rule_key: "0b1e6a52-0000-4000-8000-000000000001".into(),
            unit_id: None,
            enabled: false,
            severity: None,
        }],
        vec![],
    );
    let mut d = detector(vec![], tuning);
    let events: Vec<Event> = (0..5)
        .map(|i| ssh_failure("gw", "198.51.100.9", i))
        .collect();
    assert!(run(&mut d, &events).is_empty());
}

#[test]
fn indicator_hits_become_drafts_with_ioc_keys() {
    let mut d = detector(
        vec![ip_indicator("203.0.113.5", Severity::Critical)],
        Tuning::default(),
    );
    let drafts = run(&mut d, &[ssh_failure("gw", "203.0.113.5", 0)]);
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0];
    assert_eq!(draft.source, AlertSource::Indicator);
    assert_eq!(draft.rule_key, "ioc:ip:203.0.113.5");
    assert_eq!(draft.title, "Chỉ báo xâm phạm: địa chỉ IP 203.0.113.5");
    assert_eq!(draft.severity, Severity::Critical);
    assert_eq!(draft.tags, vec!["c2"]);
    assert_eq!(draft.evidence["field"], "msg");
    assert_eq!(draft.evidence["seen"], "203.0.113.5");
    assert_eq!(draft.evidence["indicator"]["source"], "VNCERT");
    // Tuning applies to indicator keys too.
    let tuning = Tuning::new(
        vec![RuleOverride {
            rule_key: "ioc:ip:203.0.113.5".into(),
            unit_id: None,
            enabled: true,
            severity: Some(Severity::Low),
        }],
        vec![],
    );
    let mut d = detector(
        vec![ip_indicator("203.0.113.5", Severity::Critical)],
        tuning,
    );
    let drafts = run(&mut d, &[ssh_failure("gw", "203.0.113.5", 0)]);
    assert_eq!(drafts[0].severity, Severity::Low);
}

#[test]
fn prefold_passes_the_first_draft_and_counts_repeats_within_the_window() {
    let mut d =
        detector(vec![], Tuning::default()).with_prefold(SignedDuration::from_mins(5), 1000);
    let mut out = Vec::new();
    for i in 0..1000 {
        let mut e = whoami("ws-01", Some(1));
        e.time = at(i / 10);
        d.detect_at(&e, at(0), &mut out);
    }
    // Another host is another key.
    d.detect_at(&whoami("ws-02", Some(1)), at(0), &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!((d.stats().prefolded, d.stats().drafts), (999, 2));
    let folded = d.drain_folded(at(200));
    assert_eq!(folded.len(), 1);
    assert_eq!(folded[0].count, 999);
    assert_eq!(folded[0].first, at(0));
    assert_eq!(folded[0].draft.time, at(99));
    assert_eq!(folded[0].draft.host.as_deref(), Some("ws-01"));
    assert!(d.drain_folded(at(200)).is_empty(), "drained once");
    // Still inside the window: held back again.
    let mut e = whoami("ws-01", Some(1));
    e.time = at(250);
    out.clear();
    d.detect_at(&e, at(0), &mut out);
    assert!(out.is_empty());
    assert_eq!(d.drain_folded(at(250))[0].count, 1);
    // After the window (and a drain that forgot the key): passed on again.
    d.drain_folded(at(1000));
    e.time = at(1000);
    d.detect_at(&e, at(0), &mut out);
    assert_eq!(out.len(), 1);
}
