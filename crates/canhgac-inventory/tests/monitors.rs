//! Monitors in inventory files: read with line-numbered errors, written back so that importing
//! an export changes nothing, planned by (system, asset, name) like the other records.

#![allow(clippy::unwrap_used)]

use canhgac_inventory::{parse, plan, to_yaml, InventoryErrors, ParsedInventory, PlanOptions};
use canhgac_model::inventory::{Change, InventoryDocument, MonitorRecord};
use canhgac_model::{AssetKind, DefacementSettings};

const STORED: &str = "
units:
  - code: ubnd
    name: UBND tỉnh
    kind: province
systems:
  - code: portal
    name: Cổng
    kind: portal
    owner: ubnd
    assets:
      - kind: url
        value: https://portal.hoabinhxanh.gov.vn/
      - kind: domain
        value: portal.hoabinhxanh.gov.vn
      - kind: ip
        value: 203.0.113.10
  - code: email
    name: Thư công vụ
    kind: email
    owner: ubnd
    assets:
      - kind: ip
        value: 203.0.113.20
monitors:
  - system: portal
    asset: https://portal.hoabinhxanh.gov.vn/
    name: Trang chủ
    kind: http
    target: https://portal.hoabinhxanh.gov.vn/
    defacement: true
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    name: Bản ghi A
    kind: dns
    target: portal.hoabinhxanh.gov.vn
    expected: [203.0.113.10]
  - system: email
    asset: 203.0.113.20
    name: SMTP
    kind: smtp
    target: 203.0.113.20:25
    starttls: true
";

fn yaml(name: &str, text: &str) -> ParsedInventory {
    parse(name, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn stored() -> InventoryDocument {
    yaml("stored.yaml", STORED).document
}

fn errors_of(name: &str, text: &str) -> InventoryErrors {
    match parse(name, text.as_bytes()) {
        Ok(_) => panic!("{name} parsed without errors"),
        Err(e) => e,
    }
}

/// Asserts an error at `line` about `field` whose message contains `needle`.
fn expect(errors: &InventoryErrors, line: Option<usize>, field: &str, needle: &str) {
    let found = errors
        .iter()
        .any(|e| e.line == line && e.field.as_deref() == Some(field) && e.message.contains(needle));
    assert!(
        found,
        "no error at line {line:?} field {field:?} containing {needle:?} in:\n{errors}"
    );
}

fn names(changes: &[Change<MonitorRecord>]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            Change::Create { after } => format!("create {}", after.name),
            Change::Update { after, .. } => format!("update {}", after.name),
            Change::Delete { before } => format!("delete {}", before.name),
        })
        .collect()
}

#[test]
fn monitors_read_with_a_new_monitors_defaults_and_normalised() {
    let doc = stored();
    assert_eq!(doc.monitors.len(), 3);
    let page = &doc.monitors[0];
    assert_eq!(page.asset_kind, AssetKind::Url);
    assert_eq!(
        (page.interval_secs, page.timeout_secs, page.retries),
        (60, 10, 1)
    );
    assert!(page.enabled && !page.public);
    assert_eq!(
        page.settings.defacement,
        Some(DefacementSettings::default())
    );
    assert_eq!(page.settings.cert_warn_days, [30, 14, 7]);
    let dns = &doc.monitors[1];
    assert_eq!(dns.asset_kind, AssetKind::Domain);
    // The model's validation fills in the record type.
    assert_eq!(dns.settings.record_type.as_deref(), Some("A"));
    assert_eq!(doc.monitors[2].asset_kind, AssetKind::Ip);
    assert!(doc.monitors[2].settings.starttls);
}

#[test]
fn every_setting_survives_writing_and_reading() {
    let mut doc = stored();
    let mut odd = doc.monitors[0].clone();
    odd.name = "Trang \"tin tức\": #1".into();
    odd.interval_secs = 300;
    odd.timeout_secs = 30;
    odd.retries = 0;
    odd.enabled = false;
    odd.public = true;
    odd.probes = vec!["local".into(), "ngoai-mang".into()];
    odd.settings.conditions = vec!["[STATUS] == 200".into(), "[BODY] == pat(*Cổng*)".into()];
    odd.settings.body_contains = vec!["Cổng thông tin".into()];
    odd.settings.body_not_contains = vec!["hacked by".into(), "- x".into()];
    odd.settings.method = Some("HEAD".into());
    odd.settings.cert_warn_days = vec![];
    odd.settings.defacement = Some(DefacementSettings {
        ignore_selectors: vec![".ngay-gio".into(), "#tin-moi".into()],
        change_threshold: 0.45,
        markers: vec!["bị tấn công".into()],
    });
    doc.monitors.push(odd);
    let mut dns = doc.monitors[1].clone();
    dns.name = "MX".into();
    dns.settings.record_type = Some("MX".into());
    dns.settings.resolver = Some("192.0.2.53:53".into());
    dns.settings.cert_warn_days = vec![20];
    doc.monitors.push(dns);
    let doc = ParsedInventory::from_document("mem", doc)
        .unwrap_or_else(|e| panic!("{e}"))
        .document;

    let text = to_yaml(&doc);
    let back = yaml("export.yaml", &text);
    let mut expected = doc.monitors.clone();
    let mut got = back.document.monitors.clone();
    let key = |m: &MonitorRecord| (m.system.clone(), m.asset.clone(), m.name.clone());
    expected.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(got, expected, "{text}");
    assert!(text.contains("    interval: 300\n"), "{text}");
    assert!(text.contains("    cert_warn_days: []\n"), "{text}");
    assert!(text.contains("    defacement: true\n"), "{text}");
    // Defaults are left out: the export reads like a file written by hand.
    assert!(!text.contains("timeout: 10"), "{text}");
    assert!(!text.contains("asset_kind"), "{text}");
    let changes = plan(&doc, &back, PlanOptions { prune: true }).unwrap_or_else(|e| panic!("{e}"));
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(to_yaml(&back.document), text);
}

#[test]
fn monitor_errors_name_line_and_field() {
    let text = "\
monitors:
  - system: portal
    asset: không phải địa chỉ
    name: A
    kind: http
    target: https://a.vn/
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    name: B
    kind: http
    target: ftp://a.vn/
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    name: C
    kind: tcp
    target: 203.0.113.10:443
    interval: 5
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    name: D
    kind: ping
    target: 203.0.113.10
    colour: do
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    asset_kind: ip
    name: E
    kind: tcp
    target: 203.0.113.10:443
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    name: G
    kind: tcp
    target: 203.0.113.10:443
    timeout: mãi mãi
    enabled: có
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    name: F
    kind: http
    target: https://a.vn/
    defacement:
      ignore: [.x]
      change_threshold: 2
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    name: H
    kind: tcp
    target: 203.0.113.10:443
  - system: Portal
    asset: Portal.HoaBinhXanh.gov.vn
    name: H
    kind: tcp
    target: 203.0.113.10:8443
";
    let errors = errors_of("monitors.yaml", text);
    assert!(errors.iter().all(|e| e.file == "monitors.yaml"));
    expect(
        &errors,
        Some(3),
        "asset",
        "is not an IP address, network, domain",
    );
    expect(
        &errors,
        Some(11),
        "target",
        "invalid monitor: cần một URL http://",
    );
    expect(
        &errors,
        Some(17),
        "interval",
        "invalid monitor: chu kỳ phải từ 10",
    );
    expect(&errors, Some(21), "kind", "unknown value \"ping\"");
    expect(&errors, Some(23), "colour", "unknown key \"colour\"");
    expect(&errors, Some(25), "asset", "is not an IPv4 or IPv6 address");
    expect(
        &errors,
        Some(35),
        "timeout",
        "\"mãi mãi\" is not a duration",
    );
    expect(&errors, Some(36), "enabled", "\"có\" is not true or false");
    expect(
        &errors,
        Some(44),
        "defacement.change_threshold",
        "invalid monitor: phải nằm trong khoảng 0 đến 1",
    );
    expect(
        &errors,
        Some(52),
        "name",
        "monitor \"H\" of asset domain portal.hoabinhxanh.gov.vn of system \"portal\" is already defined at line 45",
    );
}

#[test]
fn plan_checks_the_system_and_the_asset() {
    let current = stored();
    let file = yaml(
        "monitors.yaml",
        "\
monitors:
  - system: cong-cu
    asset: https://portal.hoabinhxanh.gov.vn/
    name: A
    kind: http
    target: https://portal.hoabinhxanh.gov.vn/
  - system: email
    asset: https://portal.hoabinhxanh.gov.vn/
    name: B
    kind: http
    target: https://portal.hoabinhxanh.gov.vn/
",
    );
    let errors = plan(&current, &file, PlanOptions::default()).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors}");
    expect(
        &errors,
        Some(2),
        "system",
        "unknown system \"cong-cu\": neither in the file nor stored",
    );
    expect(
        &errors,
        Some(8),
        "asset",
        "system \"email\" has no asset url \"https://portal.hoabinhxanh.gov.vn/\"",
    );

    // An asset of the same file is a valid target.
    let file = yaml(
        "both.yaml",
        "\
systems:
  - code: web
    name: Web
    kind: website
    owner: ubnd
    assets:
      - kind: domain
        value: web.hoabinhxanh.gov.vn
monitors:
  - system: web
    asset: web.hoabinhxanh.gov.vn
    name: TLS
    kind: tls
    target: web.hoabinhxanh.gov.vn:443
",
    );
    let changes = plan(&current, &file, PlanOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&changes.monitors), ["create TLS"]);
    assert_eq!(changes.summary().created, 3);
}

#[test]
fn plan_updates_by_key_and_prunes_only_with_a_monitors_section() {
    let current = stored();
    // One monitor changed, one new, one left out.
    let file = yaml(
        "monitors.yaml",
        "\
monitors:
  - system: portal
    asset: https://portal.hoabinhxanh.gov.vn/
    name: Trang chủ
    kind: http
    target: https://portal.hoabinhxanh.gov.vn/
    interval: 2m
    defacement: true
  - system: portal
    asset: portal.hoabinhxanh.gov.vn
    name: Bản ghi A
    kind: dns
    target: portal.hoabinhxanh.gov.vn
    expected: [203.0.113.10]
  - system: portal
    asset: 203.0.113.10
    name: HTTPS
    kind: tcp
    target: 203.0.113.10:443
",
    );
    let changes = plan(&current, &file, PlanOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        names(&changes.monitors),
        ["update Trang chủ", "create HTTPS"]
    );
    let Change::Update { before, after } = &changes.monitors[0] else {
        panic!("update")
    };
    assert_eq!((before.interval_secs, after.interval_secs), (60, 120));
    let changes =
        plan(&current, &file, PlanOptions { prune: true }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        names(&changes.monitors),
        ["update Trang chủ", "create HTTPS", "delete SMTP"]
    );

    // A file without a monitors section never deletes monitors.
    let file = yaml(
        "units.yaml",
        "units:\n  - code: ubnd\n    name: UBND tỉnh\n    kind: province\n",
    );
    let changes =
        plan(&current, &file, PlanOptions { prune: true }).unwrap_or_else(|e| panic!("{e}"));
    assert!(changes.monitors.is_empty(), "{changes:?}");
}

#[test]
fn a_deleted_asset_takes_its_monitors_and_cannot_be_watched() {
    let current = stored();
    // The email system's assets are written without its IP: pruning deletes the IP and the
    // SMTP monitor of it, although the file has no monitors section.
    let file = yaml(
        "systems.yaml",
        "\
systems:
  - code: portal
    name: Cổng
    kind: portal
    owner: ubnd
    assets:
      - kind: url
        value: https://portal.hoabinhxanh.gov.vn/
      - kind: domain
        value: portal.hoabinhxanh.gov.vn
      - kind: ip
        value: 203.0.113.10
  - code: email
    name: Thư công vụ
    kind: email
    owner: ubnd
",
    );
    let changes =
        plan(&current, &file, PlanOptions { prune: true }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&changes.monitors), ["delete SMTP"]);

    // The same file keeping the SMTP monitor: the monitor would lose its asset.
    let text = "\
systems:
  - code: email
    name: Thư công vụ
    kind: email
    owner: ubnd
    assets: []
monitors:
  - system: email
    asset: 203.0.113.20
    name: SMTP
    kind: smtp
    target: 203.0.113.20:25
    starttls: true
";
    let errors = plan(&current, &yaml("x.yaml", text), PlanOptions { prune: true }).unwrap_err();
    expect(
        &errors,
        Some(9),
        "asset",
        "asset ip \"203.0.113.20\" of system \"email\" is not in the file, so pruning would delete it",
    );
}
