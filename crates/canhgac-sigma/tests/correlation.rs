//! Correlation rules end to end: rule text through `load`, events through `RuleSet::matches`,
//! hits through `CorrelationEngine::observe`, as the detector wires them.

use canhgac_model::{Event, EventKind, Severity, Timestamp};
use canhgac_sigma::correlation::CorrelationKind;
use canhgac_sigma::{load, LoadOptions, Loaded, RuleSource};

/// Detection rules shared by the scenarios (Windows Security and Sysmon events).
const DETECTION: &str = r#"
title: Failed logon
id: 9b1a3c52-0d0e-4d55-9a55-3e8f1c6a0001
name: failed_logon
logsource: { product: windows, service: security }
detection:
  selection: { EventID: 4625 }
  condition: selection
level: low
---
title: Successful logon
id: 9b1a3c52-0d0e-4d55-9a55-3e8f1c6a0002
name: successful_logon
logsource: { product: windows, service: security }
detection:
  selection: { EventID: 4624 }
  condition: selection
level: informational
---
title: Logon with explicit credentials
name: explicit_credentials
logsource: { product: windows, service: security }
detection:
  selection: { EventID: 4648 }
  condition: selection
level: low
---
title: Whoami
name: recon_whoami
logsource: { product: windows, category: process_creation }
detection:
  selection: { Image|endswith: '\whoami.exe' }
  condition: selection
level: low
---
title: Net user
name: recon_net_user
logsource: { product: windows, category: process_creation }
detection:
  selection:
    Image|endswith: ['\net.exe', '\net1.exe']
    CommandLine|contains: ' user'
  condition: selection
level: low
---
title: Ipconfig
name: recon_ipconfig
logsource: { product: windows, category: process_creation }
detection:
  selection: { Image|endswith: '\ipconfig.exe' }
  condition: selection
level: medium
"#;

fn loaded(correlations: &str) -> Loaded {
    let sources = [
        RuleSource {
            origin: "detection.yml".into(),
            text: DETECTION.into(),
        },
        RuleSource {
            origin: "correlation.yml".into(),
            text: correlations.into(),
        },
    ];
    load(&sources, &LoadOptions::default())
}

fn loaded_ok(correlations: &str) -> Loaded {
    let loaded = loaded(correlations);
    assert!(
        loaded.report.errors.is_empty(),
        "{:#?}",
        loaded.report.errors
    );
    loaded
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + second).expect("fixture times are in range")
}

fn security(second: i64, event_id: i64, fields: &[(&str, &str)]) -> Event {
    let mut event = Event::new(EventKind::Evtx, "");
    event.time = at(second);
    event.fields.push("Channel", "Security");
    event.fields.push("EventID", event_id);
    event.fields.push("Computer", "dc1.example.vn");
    for (k, v) in fields {
        event.fields.push(*k, *v);
    }
    event
}

fn process(second: i64, host: &str, image: &str, command_line: &str) -> Event {
    let mut event = Event::new(EventKind::Evtx, "");
    event.time = at(second);
    event
        .fields
        .push("Channel", "Microsoft-Windows-Sysmon/Operational");
    event.fields.push("EventID", 1);
    event.fields.push("Computer", host);
    event.fields.push("User", "CORP\\mallory");
    event.fields.push("Image", image);
    event.fields.push("CommandLine", command_line);
    event
}

/// What the detector would do with one event: base alerts (rule titles not suppressed) and
/// correlation hits.
#[derive(Debug, Default)]
struct Outcome {
    base: Vec<String>,
    correlations: Vec<canhgac_sigma::CorrelationHit>,
}

struct Run {
    loaded: Loaded,
    engine: canhgac_sigma::CorrelationEngine,
}

impl Run {
    fn new(loaded: Loaded) -> Self {
        let engine = loaded.correlations.engine();
        Run { loaded, engine }
    }

    fn event(&mut self, event: &Event) -> Outcome {
        let mut hits = Vec::new();
        self.loaded.rules.matches(event, &mut hits);
        assert!(!hits.is_empty(), "fixture event matched no rule: {event:?}");
        let mut outcome = Outcome::default();
        for idx in hits {
            let info = self.loaded.rules.info(idx);
            if !self.loaded.correlations.suppresses_base(info) {
                outcome.base.push(info.title.clone());
            }
            outcome
                .correlations
                .extend(self.engine.observe(info, event));
        }
        outcome
    }

    /// Feeds every event; returns, per event, the titles of the correlations that fired.
    fn titles(&mut self, events: &[Event]) -> Vec<Vec<String>> {
        events
            .iter()
            .map(|e| {
                self.event(e)
                    .correlations
                    .into_iter()
                    .map(|h| h.info.title)
                    .collect()
            })
            .collect()
    }
}

fn none() -> Vec<String> {
    Vec::new()
}

const BRUTE_FORCE: &str = r#"
title: Brute force against one account
id: 5d0c1f7e-6a47-4bd7-9a8e-1c2d3e4f0001
name: brute_force
level: high
tags: [attack.credential_access, attack.t1110.001]
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: { gte: 5 }
"#;

#[test]
fn event_count_fires_on_the_fifth_failure_and_suppresses_the_base_rule() {
    let mut run = Run::new(loaded_ok(BRUTE_FORCE));
    assert_eq!(run.loaded.correlations.len(), 1);
    let info = run.loaded.correlations.infos().next().unwrap();
    assert_eq!(info.kind, CorrelationKind::EventCount);
    assert_eq!(info.level, Severity::High);

    for i in 0..4 {
        let out = run.event(&security(i * 10, 4625, &[("TargetUserName", "admin")]));
        assert!(
            out.correlations.is_empty(),
            "failure {} fired too early",
            i + 1
        );
        assert!(
            out.base.is_empty(),
            "generate defaults to false: no stand-alone alert"
        );
        // Another account's failures are a separate group.
        assert!(run
            .event(&security(i * 10, 4625, &[("TargetUserName", "guest")]))
            .correlations
            .is_empty());
    }
    let out = run.event(&security(45, 4625, &[("TargetUserName", "admin")]));
    assert_eq!(out.correlations.len(), 1);
    let hit = &out.correlations[0];
    assert_eq!(hit.info.title, "Brute force against one account");
    assert_eq!(
        hit.info.tags,
        vec!["attack.credential_access", "attack.t1110.001"]
    );
    assert_eq!(
        hit.group,
        vec![("TargetUserName".to_string(), "admin".to_string())]
    );
    assert_eq!((hit.first, hit.last, hit.count), (at(0), at(45), 5));

    // Unreferenced rules still alert on their own.
    let out = run.event(&security(50, 4624, &[("TargetUserName", "admin")]));
    assert_eq!(out.base, vec!["Successful logon"]);
}

#[test]
fn event_count_window_slides_and_resets_after_firing() {
    let mut run = Run::new(loaded_ok(BRUTE_FORCE));
    let fail = |s| security(s, 4625, &[("TargetUserName", "admin")]);
    // 0, 100, 200, 300 then 301: the failure at 0 is 301 s old, outside 5 minutes.
    let fired = run.titles(&[fail(0), fail(100), fail(200), fail(300), fail(301)]);
    assert!(fired.iter().all(Vec::is_empty), "{fired:?}");
    assert_eq!(run.titles(&[fail(302)])[0].len(), 1, "100..302 holds five");
    // The five that fired are spent: four more do not fire, the fifth does.
    let fired = run.titles(&[fail(303), fail(304), fail(305), fail(306), fail(307)]);
    let counts: Vec<usize> = fired.iter().map(Vec::len).collect();
    assert_eq!(counts, vec![0, 0, 0, 0, 1]);
}

#[test]
fn value_count_detects_password_spraying_from_one_address() {
    let mut run = Run::new(loaded_ok(
        r#"
title: Password spraying
correlation:
  type: value_count
  rules: [9b1a3c52-0d0e-4d55-9a55-3e8f1c6a0001]
  group-by: [IpAddress]
  timespan: 10m
  condition: { field: TargetUserName, gte: 3 }
"#,
    ));
    let fail = |s, ip, user| security(s, 4625, &[("IpAddress", ip), ("TargetUserName", user)]);
    let fired = run.titles(&[
        fail(0, "203.0.113.7", "alice"),
        fail(1, "203.0.113.7", "alice"),
        fail(2, "203.0.113.7", "bob"),
        fail(3, "198.51.100.1", "carol"),
        fail(4, "203.0.113.7", "bob"),
        fail(5, "203.0.113.7", "carol"),
    ]);
    assert_eq!(
        fired,
        vec![
            none(),
            none(),
            none(),
            none(),
            none(),
            vec!["Password spraying".to_string()]
        ]
    );
}

const RECON: &str = r#"
title: Reconnaissance burst
correlation:
  type: temporal
  rules: [recon_whoami, recon_net_user, recon_ipconfig]
  group-by: [Computer, User]
  timespan: 5m
"#;

#[test]
fn temporal_fires_when_every_rule_has_matched_on_one_host() {
    let mut run = Run::new(loaded_ok(RECON));
    let info = run.loaded.correlations.infos().next().unwrap();
    assert_eq!(
        info.level,
        Severity::Medium,
        "no level: the highest referenced"
    );
    let fired = run.titles(&[
        process(
            0,
            "pc1",
            r"C:\Windows\System32\ipconfig.exe",
            "ipconfig /all",
        ),
        process(10, "pc2", r"C:\Windows\System32\whoami.exe", "whoami"),
        process(20, "pc1", r"C:\Windows\System32\ipconfig.exe", "ipconfig"),
        process(30, "pc1", r"C:\Windows\System32\whoami.exe", "whoami /all"),
        process(
            40,
            "pc1",
            r"C:\Windows\System32\net.exe",
            "net user /domain",
        ),
    ]);
    assert_eq!(
        fired,
        vec![
            none(),
            none(),
            none(),
            none(),
            vec!["Reconnaissance burst".to_string()]
        ]
    );
}

#[test]
fn temporal_ordered_requires_the_listed_order() {
    let ordered = RECON.replace("type: temporal", "type: temporal_ordered");
    let events = [
        process(0, "pc1", r"C:\Windows\System32\net.exe", "net user"),
        process(1, "pc1", r"C:\Windows\System32\whoami.exe", "whoami"),
        process(2, "pc1", r"C:\Windows\System32\ipconfig.exe", "ipconfig"),
        process(3, "pc1", r"C:\Windows\System32\net.exe", "net user"),
        process(4, "pc1", r"C:\Windows\System32\ipconfig.exe", "ipconfig"),
    ];
    let unordered: Vec<usize> = Run::new(loaded_ok(RECON))
        .titles(&events)
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(unordered, vec![0, 0, 1, 0, 0]);
    let in_order: Vec<usize> = Run::new(loaded_ok(&ordered))
        .titles(&events)
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(in_order, vec![0, 0, 0, 0, 1], "whoami@1, net@3, ipconfig@4");
}

#[test]
fn aliases_join_different_fields_of_different_rules() {
    let mut run = Run::new(loaded_ok(
        r#"
title: Failure then explicit credentials for the same account
correlation:
  type: temporal_ordered
  rules: [failed_logon, explicit_credentials]
  group-by: [account]
  timespan: 1m
  aliases:
    account:
      failed_logon: TargetUserName
      explicit_credentials: SubjectUserName
"#,
    ));
    let fired = run.titles(&[
        security(
            0,
            4625,
            &[("TargetUserName", "svc_sql"), ("SubjectUserName", "-")],
        ),
        security(
            1,
            4648,
            &[("TargetUserName", "svc_sql"), ("SubjectUserName", "bob")],
        ),
        security(
            2,
            4648,
            &[("TargetUserName", "x"), ("SubjectUserName", "svc_sql")],
        ),
    ]);
    assert_eq!(fired[0], none());
    assert_eq!(fired[1], none(), "bob is another account");
    assert_eq!(fired[2].len(), 1);
}

#[test]
fn chained_correlations_many_failures_then_success() {
    // The specification's own example, as two documents in one file.
    let mut run = Run::new(loaded_ok(
        r#"
title: Many failed logons
name: many_failed_logins
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 10m
  condition: { gte: 3 }
---
title: Successful logon after many failures
level: critical
correlation:
  type: temporal_ordered
  rules: [many_failed_logins, successful_logon]
  group-by: [TargetUserName]
  timespan: 1h
"#,
    ));
    assert_eq!(run.loaded.correlations.len(), 2);
    let user = [("TargetUserName", "admin")];
    let out: Vec<Outcome> = [
        security(0, 4624, &user),
        security(10, 4625, &user),
        security(20, 4625, &user),
        security(30, 4625, &user),
        security(40, 4624, &[("TargetUserName", "bob")]),
        security(50, 4624, &user),
    ]
    .iter()
    .map(|e| run.event(e))
    .collect();
    let titles = |o: &Outcome| -> Vec<(String, bool)> {
        o.correlations
            .iter()
            .map(|h| (h.info.title.clone(), h.info.standalone))
            .collect()
    };
    assert!(
        out[0].correlations.is_empty(),
        "a success before the failures"
    );
    assert!(titles(&out[1]).is_empty() && titles(&out[2]).is_empty());
    assert_eq!(
        titles(&out[3]),
        vec![("Many failed logons".to_string(), false)],
        "the inner link fires, marked as not an alert on its own"
    );
    assert!(out[4].correlations.is_empty());
    let last = &out[5].correlations;
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].info.title, "Successful logon after many failures");
    assert!(last[0].info.standalone);
    assert_eq!(last[0].info.level, Severity::Critical);
    assert_eq!((last[0].first, last[0].last), (at(30), at(50)));
    // Successful logons are referenced (by the outer correlation, generate false): suppressed.
    assert!(out[4].base.is_empty());
}

#[test]
fn generate_true_keeps_the_base_rule_alerting() {
    let mut run = Run::new(loaded_ok(&BRUTE_FORCE.replace(
        "  condition: { gte: 5 }",
        "  condition: { gte: 5 }\n  generate: true",
    )));
    let out = run.event(&security(0, 4625, &[("TargetUserName", "admin")]));
    assert_eq!(out.base, vec!["Failed logon"]);
}

#[test]
fn metric_correlation_sums_a_field() {
    let mut run = Run::new(loaded_ok(
        r#"
title: Many logon failures by count field
correlation:
  type: value_sum
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 1h
  condition: { field: FailureCount, gt: 10 }
"#,
    ));
    let fail = |s, n| security(s, 4625, &[("TargetUserName", "a"), ("FailureCount", n)]);
    let fired: Vec<usize> = run
        .titles(&[fail(0, "4"), fail(1, "6"), fail(2, "1")])
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(fired, vec![0, 0, 1]);
}

#[test]
fn malformed_and_unresolved_correlations_are_reported_and_the_rest_loads() {
    let loaded = loaded(
        r#"
title: Unknown type
correlation: { type: event_cnt, rules: [failed_logon], timespan: 5m, condition: { gte: 2 } }
---
title: Bad timespan
correlation: { type: event_count, rules: [failed_logon], timespan: 5x, condition: { gte: 2 } }
---
title: Bad operator
correlation: { type: event_count, rules: [failed_logon], timespan: 5m, condition: { ge: 2 } }
---
title: No rules
correlation: { type: event_count, timespan: 5m, condition: { gte: 2 } }
---
title: Unknown reference
correlation: { type: event_count, rules: [failed_logon, no_such_rule], timespan: 5m, condition: { gte: 2 } }
---
title: Fine
correlation: { type: event_count, rules: [successful_logon], timespan: 5m, condition: { gte: 2 } }
"#,
    );
    let errors: Vec<(String, String, String)> = loaded
        .report
        .errors
        .iter()
        .map(|e| {
            (
                e.origin.clone(),
                e.title.clone().unwrap_or_default(),
                e.reason.clone(),
            )
        })
        .collect();
    let expect = [
        (
            "correlation.yml#1",
            "Unknown type",
            "unknown correlation type \"event_cnt\"",
        ),
        (
            "correlation.yml#2",
            "Bad timespan",
            "invalid timespan \"5x\"",
        ),
        (
            "correlation.yml#3",
            "Bad operator",
            "unknown condition operator \"ge\"",
        ),
        ("correlation.yml#4", "No rules", "missing correlation.rules"),
        (
            "correlation.yml#5",
            "Unknown reference",
            "unknown rule reference \"no_such_rule\"",
        ),
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    for ((origin, title, reason), (eo, et, er)) in errors.iter().zip(expect) {
        assert_eq!((origin.as_str(), title.as_str()), (eo, et));
        assert!(reason.contains(er), "{title}: {reason}");
    }
    assert_eq!(loaded.correlations.len(), 1);
    assert_eq!(loaded.correlations.infos().next().unwrap().title, "Fine");
    // The correlation that failed to resolve does not silence failed_logon.
    let failed = loaded
        .rules
        .iter()
        .find(|(_, info)| info.title == "Failed logon")
        .unwrap()
        .1;
    assert!(!loaded.correlations.suppresses_base(failed));
}
