//! Whole-crate tests: loading documents and matching events.

use canhgac_model::{Event, EventKind};

use super::*;

pub(crate) fn src(origin: &str, text: &str) -> RuleSource {
    RuleSource {
        origin: origin.into(),
        text: text.into(),
    }
}

pub(crate) fn evtx(channel: &str, id: i64, fields: &[(&str, &str)]) -> Event {
    let mut e = Event::new(EventKind::Evtx, "");
    e.fields.push("Channel", channel);
    e.fields.push("EventID", id);
    for (k, v) in fields {
        e.fields.push(*k, *v);
    }
    e
}

pub(crate) fn titles(set: &RuleSet, event: &Event) -> Vec<String> {
    let mut out = Vec::new();
    set.matches(event, &mut out);
    out.iter().map(|i| set.info(*i).title.clone()).collect()
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

#[test]
fn process_creation_matches_sysmon_and_security_4688_with_renamed_fields() {
    let loaded = load(
        &[src(
            "r.yml",
            r#"
title: Encoded PowerShell
id: 11111111-1111-4111-8111-111111111111
logsource: { product: windows, category: process_creation }
detection:
  selection:
    Image|endswith: '\powershell.exe'
    CommandLine|contains|windash: ' -enc '
  condition: selection
level: high
tags: [attack.execution, attack.t1059.001]
"#,
        )],
        &LoadOptions::default(),
    );
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}",
        loaded.report.errors
    );
    assert_eq!(loaded.report.documents, 1);
    assert_eq!(loaded.report.loaded, 1);
    let set = &loaded.rules;
    let sysmon = evtx(
        SYSMON,
        1,
        &[
            (
                "Image",
                r"C:\Windows\System32\WindowsPowerShell\v1.0\PowerShell.exe",
            ),
            ("CommandLine", "powershell /enc SQBFAFgA"),
        ],
    );
    assert_eq!(titles(set, &sysmon), ["Encoded PowerShell"]);
    let security = evtx(
        "Security",
        4688,
        &[
            (
                "NewProcessName",
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
            ),
            ("CommandLine", "powershell -enc SQBFAFgA"),
        ],
    );
    assert_eq!(titles(set, &security), ["Encoded PowerShell"]);
    // Same fields, wrong channel: the logsource does not apply.
    let other = evtx(
        "Application",
        1,
        &[
            ("Image", r"C:\x\powershell.exe"),
            ("CommandLine", "powershell -enc x"),
        ],
    );
    assert!(titles(set, &other).is_empty());
    // Sysmon event 3 (network) is not process creation.
    let net = evtx(
        SYSMON,
        3,
        &[
            ("Image", r"C:\x\powershell.exe"),
            ("CommandLine", "a -enc b"),
        ],
    );
    assert!(titles(set, &net).is_empty());
    let info = set.info(RuleIdx(0));
    assert_eq!(info.level, Severity::High);
    assert_eq!(info.key(), "11111111-1111-4111-8111-111111111111");
    assert_eq!(
        set.find("11111111-1111-4111-8111-111111111111"),
        Some(RuleIdx(0))
    );
}

#[test]
fn bad_documents_are_reported_and_the_rest_loads() {
    let loaded = load(
        &[
            src("broken.yml", "title: x\ndetection: [\n"),
            src(
                "multi.yml",
                r#"
title: Good
logsource: { product: windows, service: security }
detection:
  sel: { EventID: 4625 }
  condition: sel
---
title: Unknown modifier
logsource: { product: windows, service: security }
detection:
  sel: { TargetUserName|sounds_like: admin }
  condition: sel
---
title: Bad condition
logsource: { product: windows, service: security }
detection:
  sel: { EventID: 1 }
  condition: sel and nope
"#,
            ),
        ],
        &LoadOptions::default(),
    );
    assert_eq!(loaded.report.documents, 4);
    assert_eq!(loaded.report.loaded, 1);
    let reasons: Vec<String> = loaded.report.errors.iter().map(|e| e.to_string()).collect();
    assert!(
        reasons[0].starts_with("broken.yml: invalid YAML"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("multi.yml#2 (Unknown modifier)")
            && reasons[1].contains("unknown modifier 'sounds_like'"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("unknown search identifier 'nope'"),
        "{reasons:?}"
    );
    assert_eq!(
        titles(&loaded.rules, &evtx("Security", 4625, &[])),
        ["Good"]
    );
}
