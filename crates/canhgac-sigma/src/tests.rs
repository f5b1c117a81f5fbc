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

/// One rule with this detection body (indented under `detection:`), for any event.
fn rule(detection: &str) -> RuleSet {
    rule_with(detection, &LoadOptions::default())
}

fn rule_with(detection: &str, options: &LoadOptions) -> RuleSet {
    let text = format!("title: T\nlogsource: {{ product: test }}\ndetection:\n{detection}");
    let loaded = load(&[src("t.yml", &text)], options);
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}\n{text}",
        loaded.report.errors
    );
    loaded.rules
}

fn load_error(detection: &str) -> String {
    let text = format!("title: T\nlogsource: {{ product: test }}\ndetection:\n{detection}");
    let loaded = load(&[src("t.yml", &text)], &LoadOptions::default());
    assert_eq!(loaded.rules.len(), 0, "expected a load error for\n{text}");
    loaded.report.errors[0].reason.clone()
}

fn json_event(fields: &[(&str, FieldValue)]) -> Event {
    let mut e = Event::new(EventKind::Json, "");
    for (k, v) in fields {
        e.fields.push(*k, v.clone());
    }
    e
}

fn s(v: &str) -> FieldValue {
    FieldValue::Str(v.into())
}

/// Does the one-rule set match an event with these fields, with and without the index?
fn hit(set: &RuleSet, fields: &[(&str, FieldValue)]) -> bool {
    let e = json_event(fields);
    let mut a = Vec::new();
    let mut b = Vec::new();
    set.matches(&e, &mut a);
    set.matches_exhaustive(&e, &mut b);
    assert_eq!(
        a, b,
        "index and exhaustive evaluation disagree on {fields:?}"
    );
    !a.is_empty()
}

use canhgac_model::FieldValue;

#[test]
fn plain_values_are_case_insensitive_exact_with_wildcards() {
    let set = rule("  sel:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: sel\n");
    assert!(hit(&set, &[("Image", s(r"c:\windows\CMD.EXE"))]));
    assert!(!hit(&set, &[("Image", s(r"c:\windows\cmd.exe.bak"))]));
    assert!(!hit(&set, &[("Other", s(r"c:\windows\cmd.exe"))]));
    let set = rule("  sel:\n    Image: '*\\c?d.exe'\n  condition: sel\n");
    assert!(hit(&set, &[("Image", s(r"x\CMD.exe"))]));
    assert!(hit(&set, &[("Image", s(r"x\cxd.exe"))]));
    assert!(!hit(&set, &[("Image", s(r"x\cd.exe"))]));
    let set = rule("  sel:\n    Image: 'a\\*b'\n  condition: sel\n");
    assert!(hit(&set, &[("Image", s("a*b"))]));
    assert!(!hit(&set, &[("Image", s("axb"))]));
}

#[test]
fn lists_are_or_and_maps_are_and() {
    let set = rule(
        "  sel:\n    - Image|endswith: '\\a.exe'\n      User: bob\n    - Image|endswith: '\\b.exe'\n  condition: sel\n",
    );
    assert!(hit(&set, &[("Image", s(r"x\a.exe")), ("User", s("BOB"))]));
    assert!(!hit(
        &set,
        &[("Image", s(r"x\a.exe")), ("User", s("alice"))]
    ));
    assert!(hit(&set, &[("Image", s(r"x\b.exe"))]));
    let set = rule(
        "  sel:\n    CommandLine|contains:\n      - ' -a '\n      - ' -b '\n  condition: sel\n",
    );
    assert!(hit(&set, &[("CommandLine", s("x -b y"))]));
    assert!(!hit(&set, &[("CommandLine", s("x -c y"))]));
}

#[test]
fn contains_all_needs_every_value() {
    let set = rule("  sel:\n    CommandLine|contains|all:\n      - 'vssadmin'\n      - 'delete'\n  condition: sel\n");
    assert!(hit(
        &set,
        &[("CommandLine", s("VSSADMIN.exe Delete Shadows"))]
    ));
    assert!(!hit(&set, &[("CommandLine", s("vssadmin list shadows"))]));
}

#[test]
fn startswith_endswith_and_cased() {
    let set = rule("  sel:\n    Path|startswith: 'C:\\Temp\\'\n  condition: sel\n");
    assert!(hit(&set, &[("Path", s(r"c:\temp\x.exe"))]));
    assert!(!hit(&set, &[("Path", s(r"d:\c:\temp\x.exe"))]));
    let set = rule("  sel:\n    Path|endswith|cased: 'Evil.EXE'\n  condition: sel\n");
    assert!(hit(&set, &[("Path", s(r"c:\Evil.EXE"))]));
    assert!(!hit(&set, &[("Path", s(r"c:\evil.exe"))]));
    let set = rule("  sel:\n    Path|cased: 'ABC'\n  condition: sel\n");
    assert!(hit(&set, &[("Path", s("ABC"))]));
    assert!(!hit(&set, &[("Path", s("abc"))]));
}

#[test]
fn numbers_compare_with_int_fields_and_text() {
    let set = rule("  sel:\n    EventID: 4688\n  condition: sel\n");
    assert!(hit(&set, &[("EventID", FieldValue::Int(4688))]));
    assert!(hit(&set, &[("EventID", s("4688"))]));
    assert!(!hit(&set, &[("EventID", FieldValue::Int(46880))]));
    let set = rule("  sel:\n    Port|gte: 1024\n    Port|lt: 2048\n  condition: sel\n");
    assert!(hit(&set, &[("Port", FieldValue::Int(1024))]));
    assert!(hit(&set, &[("Port", s("2047"))]));
    assert!(!hit(&set, &[("Port", FieldValue::Int(2048))]));
    assert!(!hit(&set, &[("Port", s("high"))]));
    let set = rule("  sel:\n    Size|gt: 1.5\n    Size|lte: 3\n  condition: sel\n");
    assert!(hit(&set, &[("Size", FieldValue::Float(2.5))]));
    assert!(!hit(&set, &[("Size", FieldValue::Float(1.5))]));
    assert!(load_error("  sel:\n    Port|gt: many\n  condition: sel\n").contains("need a number"));
}

#[test]
fn null_exists_and_empty() {
    let set = rule("  sel:\n    A: 1\n  f:\n    B: null\n  condition: sel and f\n");
    assert!(hit(&set, &[("A", FieldValue::Int(1))]));
    assert!(hit(
        &set,
        &[("A", FieldValue::Int(1)), ("B", FieldValue::Null)]
    ));
    assert!(!hit(&set, &[("A", FieldValue::Int(1)), ("B", s(""))]));
    let set = rule("  sel:\n    B: ''\n  condition: sel\n");
    assert!(hit(&set, &[("B", s(""))]));
    assert!(!hit(&set, &[]));
    let set = rule("  sel:\n    B|exists: true\n  condition: sel\n");
    assert!(hit(&set, &[("B", s(""))]));
    assert!(!hit(&set, &[("C", s(""))]));
    let set = rule("  sel:\n    B|exists: false\n  condition: sel\n");
    assert!(!hit(&set, &[("B", s("x"))]));
    assert!(hit(&set, &[("C", s(""))]));
    assert!(
        load_error("  sel:\n    B|exists: maybe\n  condition: sel\n")
            .contains("exists needs true or false")
    );
}

#[test]
fn neq_means_present_and_different() {
    let set = rule("  sel:\n    User|neq: SYSTEM\n  condition: sel\n");
    assert!(hit(&set, &[("User", s("bob"))]));
    assert!(!hit(&set, &[("User", s("system"))]));
    assert!(!hit(&set, &[]));
    let set = rule("  sel:\n    Port|neq:\n      - 80\n      - 443\n  condition: sel\n");
    assert!(hit(&set, &[("Port", FieldValue::Int(8080))]));
    assert!(!hit(&set, &[("Port", FieldValue::Int(443))]));
}

#[test]
fn regular_expressions_with_flags() {
    let set = rule("  sel:\n    CommandLine|re: '^cmd\\.exe /c [a-z]+$'\n  condition: sel\n");
    assert!(hit(&set, &[("CommandLine", s("cmd.exe /c whoami"))]));
    assert!(
        !hit(&set, &[("CommandLine", s("CMD.EXE /c whoami"))]),
        "re is case-sensitive"
    );
    let set = rule("  sel:\n    CommandLine|re|i: '^cmd\\.exe'\n  condition: sel\n");
    assert!(hit(&set, &[("CommandLine", s("CMD.EXE /c whoami"))]));
    let set = rule("  sel:\n    Text|re|m: '^second$'\n  condition: sel\n");
    assert!(hit(&set, &[("Text", s("first\nsecond\nthird"))]));
    let set = rule("  sel:\n    Text|re|s: 'a.b'\n  condition: sel\n");
    assert!(hit(&set, &[("Text", s("a\nb"))]));
    let set = rule("  sel:\n    Text|re: 'a.b'\n  condition: sel\n");
    assert!(!hit(&set, &[("Text", s("a\nb"))]));
    assert!(
        load_error("  sel:\n    Text|re: '(unclosed'\n  condition: sel\n")
            .contains("regular expression")
    );
}

#[test]
fn cidr_matches_addresses_in_the_network() {
    let set = rule("  sel:\n    DestinationIp|cidr:\n      - '10.0.0.0/8'\n      - 'fd00::/8'\n  condition: sel\n");
    assert!(hit(&set, &[("DestinationIp", s("10.20.30.40"))]));
    assert!(hit(&set, &[("DestinationIp", s("fd12::1"))]));
    assert!(!hit(&set, &[("DestinationIp", s("192.168.1.1"))]));
    assert!(!hit(&set, &[("DestinationIp", s("10.0.0.0.0"))]));
    assert!(
        load_error("  sel:\n    Ip|cidr: '10.0.0.0/40'\n  condition: sel\n")
            .contains("invalid CIDR")
    );
}

#[test]
fn fieldref_compares_two_fields() {
    let set = rule("  sel:\n    SourceUser|fieldref: TargetUser\n  condition: sel\n");
    assert!(hit(
        &set,
        &[("SourceUser", s("Bob")), ("TargetUser", s("bob"))]
    ));
    assert!(!hit(
        &set,
        &[("SourceUser", s("bob")), ("TargetUser", s("alice"))]
    ));
    assert!(!hit(&set, &[("SourceUser", s("bob"))]));
    let set = rule("  sel:\n    CommandLine|fieldref|contains: Image\n  condition: sel\n");
    assert!(hit(
        &set,
        &[
            ("CommandLine", s(r"run C:\x.exe now")),
            ("Image", s(r"c:\X.exe"))
        ]
    ));
    let set = rule("  sel:\n    CommandLine|fieldref|endswith: Image\n  condition: sel\n");
    assert!(!hit(
        &set,
        &[
            ("CommandLine", s(r"run C:\x.exe now")),
            ("Image", s(r"c:\X.exe"))
        ]
    ));
    let set = rule("  sel:\n    A|fieldref|neq: B\n  condition: sel\n");
    assert!(hit(&set, &[("A", s("1")), ("B", s("2"))]));
    assert!(!hit(&set, &[("A", s("1")), ("B", s("1"))]));
}

#[test]
fn encodings_base64_utf16_and_windash() {
    // base64 of "whoami" is d2hvYW1p.
    let set = rule("  sel:\n    Payload|base64: 'whoami'\n  condition: sel\n");
    assert!(hit(&set, &[("Payload", s("d2hvYW1p"))]));
    let set = rule("  sel:\n    Payload|base64offset|contains: 'http://'\n  condition: sel\n");
    for prefix in ["", "x", "xy"] {
        let data = format!("{prefix}http://evil.example/");
        let enc = String::from_utf8(crate::pattern::base64(data.as_bytes())).unwrap();
        assert!(
            hit(&set, &[("Payload", s(&format!("powershell -e {enc}")))]),
            "{prefix:?}"
        );
    }
    assert!(!hit(&set, &[("Payload", s("aGVsbG8gd29ybGQ="))]));
    // UTF-16LE then base64: PowerShell's -EncodedCommand.
    let set = rule("  sel:\n    CommandLine|wide|base64offset|contains: 'IEX'\n  condition: sel\n");
    let utf16: Vec<u8> = "x IEX (New-Object)"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let enc = String::from_utf8(crate::pattern::base64(&utf16)).unwrap();
    assert!(hit(
        &set,
        &[("CommandLine", s(&format!("powershell -enc {enc}")))]
    ));
    let set = rule("  sel:\n    CommandLine|contains|windash: ' -exec bypass'\n  condition: sel\n");
    for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        assert!(
            hit(
                &set,
                &[("CommandLine", s(&format!("powershell {dash}exec bypass")))]
            ),
            "{dash}"
        );
    }
    assert!(!hit(&set, &[("CommandLine", s("powershell +exec bypass"))]));
    assert!(load_error("  sel:\n    A|base64: 'a*'\n  condition: sel\n").contains("wildcards"));
}

#[test]
fn keywords_search_message_and_every_field() {
    let set = rule("  keywords:\n    - 'mimikatz'\n    - 'sekurlsa::'\n  condition: keywords\n");
    let mut e = json_event(&[("x", s("nothing"))]);
    e.message = "ran Mimikatz here".into();
    let mut out = Vec::new();
    set.matches(&e, &mut out);
    assert_eq!(out.len(), 1);
    assert!(hit(
        &set,
        &[("CommandLine", s("x sekurlsa::logonpasswords"))]
    ));
    assert!(hit(
        &set,
        &[("List", FieldValue::List(vec![s("a"), s("MIMIKATZ.exe")]))]
    ));
    assert!(!hit(&set, &[("CommandLine", s("notepad"))]));
    let set = rule("  keywords:\n    '|all':\n      - 'Oab'\n      - ' -ExternalUrl '\n  condition: keywords\n");
    assert!(hit(
        &set,
        &[
            ("a", s("set-oabvirtualdirectory")),
            ("b", s("x -externalurl y"))
        ]
    ));
    assert!(!hit(&set, &[("a", s("set-oabvirtualdirectory"))]));
}

#[test]
fn expand_uses_configured_placeholders_or_fails_the_rule() {
    let mut options = LoadOptions::default();
    options
        .placeholders
        .insert("Admins".into(), vec!["adm_*".into(), "root".into()]);
    let set = rule_with(
        "  sel:\n    User|expand: '%Admins%'\n  condition: sel\n",
        &options,
    );
    assert!(hit(&set, &[("User", s("ADM_bob"))]));
    assert!(hit(&set, &[("User", s("root"))]));
    assert!(!hit(&set, &[("User", s("bob"))]));
    let reason = load_error("  sel:\n    User|expand: '%Admins%'\n  condition: sel\n");
    assert!(reason.contains("unknown placeholder %Admins%"), "{reason}");
}

#[test]
fn time_modifiers_read_dates() {
    let set = rule("  sel:\n    UtcTime|hour|gte: 22\n  condition: sel\n");
    assert!(hit(&set, &[("UtcTime", s("2024-05-01 23:10:00.123"))]));
    assert!(!hit(&set, &[("UtcTime", s("2024-05-01T08:00:00Z"))]));
    let set = rule(
        "  sel:\n    When|month: 12\n    When|day: 25\n    When|year: 2024\n  condition: sel\n",
    );
    assert!(hit(&set, &[("When", s("2024-12-25T10:00:00Z"))]));
    assert!(!hit(&set, &[("When", s("2024-12-24T10:00:00Z"))]));
    let set = rule("  sel:\n    When|week: 1\n    When|minute: 30\n  condition: sel\n");
    assert!(hit(&set, &[("When", s("2024-01-03T10:30:00Z"))]));
    // Keyless: the event's own time.
    let set = rule("  sel:\n    '|year': 1999\n  condition: sel\n");
    let mut e = json_event(&[]);
    e.time = "1999-06-01T00:00:00Z".parse().unwrap();
    let mut out = Vec::new();
    set.matches(&e, &mut out);
    assert_eq!(out.len(), 1);
}

#[test]
fn list_valued_fields_match_any_element() {
    let set = rule("  sel:\n    Tags|contains: evil\n  condition: sel\n");
    assert!(hit(
        &set,
        &[("Tags", FieldValue::List(vec![s("good"), s("EVIL-ish")]))]
    ));
    assert!(!hit(&set, &[("Tags", FieldValue::List(vec![s("good")]))]));
}

#[test]
fn conditions_combine_selections() {
    let det = "  a:\n    X: 1\n  b:\n    Y: 1\n  filter_1:\n    Z: 1\n  filter_2:\n    W: 1\n";
    let i = |v: i64| FieldValue::Int(v);
    let set = rule(&format!(
        "{det}  condition: (a or b) and not 1 of filter_*\n"
    ));
    assert!(hit(&set, &[("X", i(1))]));
    assert!(hit(&set, &[("Y", i(1))]));
    assert!(!hit(&set, &[("Y", i(1)), ("W", i(1))]));
    let set = rule(&format!("{det}  condition: 2 of them\n"));
    assert!(hit(&set, &[("X", i(1)), ("Z", i(1))]));
    assert!(!hit(&set, &[("X", i(1))]));
    let set = rule(&format!("{det}  condition: all of filter_*\n"));
    assert!(hit(&set, &[("Z", i(1)), ("W", i(1))]));
    assert!(!hit(&set, &[("Z", i(1))]));
    let set = rule(&format!(
        "{det}  condition:\n    - a and b\n    - filter_1\n"
    ));
    assert!(hit(&set, &[("X", i(1)), ("Y", i(1))]));
    assert!(hit(&set, &[("Z", i(1))]));
    assert!(!hit(&set, &[("X", i(1))]));
}

#[test]
fn unknown_modifier_and_bad_shapes_are_reported() {
    assert!(
        load_error("  sel:\n    A|contains|bogus: x\n  condition: sel\n")
            .contains("unknown modifier 'bogus'")
    );
    assert!(load_error("  sel:\n    A:\n      B: c\n  condition: sel\n")
        .contains("a map is not a value"));
    assert!(load_error("  sel:\n    A: x\n").contains("no condition"));
    assert!(
        load_error("  sel:\n    A: x\n  condition: sel | count() > 3\n").contains("aggregation")
    );
    assert!(
        load_error("  sel:\n    A|re|contains: x\n  condition: sel\n").contains("cannot apply")
    );
}
