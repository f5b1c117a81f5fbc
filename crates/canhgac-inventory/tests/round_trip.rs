//! Exports read back as the same records, so importing an export changes nothing.

#![allow(clippy::unwrap_used)]

use canhgac_inventory::{
    demo_document, generate_document, parse, parse_files, plan, to_csv, to_yaml, ParsedInventory,
    PlanOptions, Sections,
};
use canhgac_model::inventory::InventoryDocument;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The document with every list sorted, to compare regardless of export order.
fn sorted(mut doc: InventoryDocument) -> InventoryDocument {
    doc.units.sort_by(|a, b| a.code.cmp(&b.code));
    doc.systems.sort_by(|a, b| a.code.cmp(&b.code));
    doc.assets
        .sort_by(|a, b| (&a.system, a.kind, &a.value).cmp(&(&b.system, b.kind, &b.value)));
    doc.contacts
        .sort_by(|a, b| (&a.unit, &a.name).cmp(&(&b.unit, &b.name)));
    doc.authorities
        .sort_by(|a, b| (&a.code, a.valid_from).cmp(&(&b.code, b.valid_from)));
    doc.monitors.sort_by(|a, b| {
        (&a.system, a.asset_kind, &a.asset, &a.name).cmp(&(
            &b.system,
            b.asset_kind,
            &b.asset,
            &b.name,
        ))
    });
    doc
}

/// The document as CSV files can hold it: monitors are written in YAML only.
fn without_monitors(doc: &InventoryDocument) -> InventoryDocument {
    InventoryDocument {
        monitors: Vec::new(),
        ..doc.clone()
    }
}

fn assert_yaml_round_trip(doc: &InventoryDocument) {
    let yaml = to_yaml(doc);
    let parsed = parse("export.yaml", yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(
        sorted(parsed.document.clone()),
        sorted(doc.clone()),
        "{yaml}"
    );
    let changes = plan(doc, &parsed, PlanOptions { prune: true }).unwrap_or_else(|e| panic!("{e}"));
    assert!(changes.is_empty(), "{changes:?}");
    // Writing is stable: the same document gives the same text.
    assert_eq!(to_yaml(&parsed.document), yaml);
}

fn assert_csv_round_trip(doc: &InventoryDocument) {
    let files = to_csv(doc);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "units.csv",
            "systems.csv",
            "assets.csv",
            "contacts.csv",
            "authorities.csv"
        ]
    );
    assert!(files.iter().all(|(_, text)| text.starts_with('\u{feff}')));
    let parsed = parse_files(files.iter().map(|(n, t)| (n.as_str(), t.as_bytes())))
        .unwrap_or_else(|e| panic!("{e}"));
    // CSV files never hold monitors, so importing them with pruning leaves monitors alone.
    let csv_sections = Sections {
        monitors: false,
        ..Sections::ALL
    };
    assert_eq!(parsed.sections, csv_sections);
    assert_eq!(
        sorted(parsed.document.clone()),
        sorted(without_monitors(doc))
    );
    let changes = plan(doc, &parsed, PlanOptions { prune: true }).unwrap_or_else(|e| panic!("{e}"));
    assert!(changes.is_empty(), "{changes:?}");
}

#[test]
fn demo_round_trips_through_yaml_and_csv() {
    let demo = demo_document();
    assert!(!demo.monitors.is_empty());
    assert_yaml_round_trip(&demo);
    assert_csv_round_trip(&demo);
    // Vietnamese is written as is, not escaped.
    assert!(to_yaml(&demo).contains("name: Sở Khoa học và Công nghệ\n"));
}

#[test]
fn generated_documents_round_trip() {
    let doc = generate_document(300, 600, 3000, 42);
    assert_yaml_round_trip(&doc);
    assert_csv_round_trip(&doc);
}

#[test]
fn small_fixture_is_normalised() {
    let parsed = parse("small.yaml", &fixture("small.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let doc = &parsed.document;
    assert_eq!(doc.units[0].code, "ubnd");
    assert_eq!(doc.units[0].name, "UBND tỉnh Hòa Bình Xanh");
    assert_eq!(
        doc.units[1].valid_from.map(|d| d.to_string()).as_deref(),
        Some("2025-03-01")
    );
    assert_eq!(doc.systems[0].operator.as_deref(), Some("ttcntt"));
    assert_eq!(doc.systems[0].services, ["web", "dns"]);
    assert_eq!(doc.assets[0].system, "portal");
    assert_eq!(doc.assets[0].value, "2001:db8::10");
    assert_eq!(doc.assets[1].value, "portal.hoabinhxanh.gov.vn");
    assert_eq!(doc.assets[1].software[0].version.as_deref(), Some("1.24"));
    assert_eq!(
        doc.contacts[0].email.as_deref(),
        Some("BinhNV@hoabinhxanh.gov.vn")
    );
    assert_eq!(
        doc.authorities[0].code,
        "trung-tam-giam-sat-an-toan-khong-gian-mang-quoc-gia"
    );
    assert_eq!(parsed.sections, Sections::ALL);
    // Each record remembers its line, and its fields' lines.
    assert_eq!(parsed.origins.units[1].line, Some(6));
    assert_eq!(parsed.origins.systems[0].line_of("owner"), Some(20));
    assert_eq!(parsed.origins.assets[1].line, Some(27));
    // A monitor's asset is found by its normalised address, its kind told by the address.
    let monitor = &doc.monitors[0];
    assert_eq!(monitor.system, "portal");
    assert_eq!(monitor.asset_kind, canhgac_model::AssetKind::Domain);
    assert_eq!(monitor.asset, "portal.hoabinhxanh.gov.vn");
    assert_eq!(monitor.name, "Trang chủ");
    assert_eq!(monitor.interval_secs, 120);
    assert_eq!(monitor.timeout_secs, 10);
    assert!(monitor.public && monitor.enabled);
    assert_eq!(monitor.probes, ["local"]);
    assert_eq!(monitor.settings.conditions.len(), 2);
    let deface = monitor.settings.defacement.as_ref().expect("defacement");
    assert_eq!(deface.ignore_selectors, [".ngay-gio", "#tin-moi"]);
    assert_eq!(deface.markers, ["bị tấn công"]);
    assert_eq!(deface.change_threshold, 0.3);
    assert_eq!(parsed.origins.monitors[0].line_of("interval"), Some(50));
    assert_yaml_round_trip(doc);
    assert_csv_round_trip(doc);
}

#[test]
fn csv_fixtures_with_bom_read_as_one_inventory() {
    let names = [
        "units.csv",
        "systems.csv",
        "assets.csv",
        "contacts.csv",
        "authorities.csv",
    ];
    let files: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (*n, fixture(n))).collect();
    assert!(
        files[0].1.starts_with(b"\xef\xbb\xbf"),
        "the units fixture starts with a BOM"
    );
    let parsed = parse_files(files.iter().map(|(n, b)| (*n, b.as_slice())))
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = &parsed.document;
    assert_eq!(doc.units.len(), 3);
    assert_eq!(doc.units[0].code, "ubnd");
    assert_eq!(
        doc.units[0].address.as_deref(),
        Some("Số 1, đường Trung Tâm")
    );
    assert_eq!(
        doc.units[2].valid_to.map(|d| d.to_string()).as_deref(),
        Some("2025-06-30")
    );
    assert_eq!(doc.systems[0].security_controls, ["tường lửa", "WAF"]);
    assert_eq!(doc.assets[0].software.len(), 2);
    assert_eq!(doc.assets[0].software[1].name, "PHP");
    assert_eq!(doc.assets[0].software[1].version.as_deref(), Some("8.1"));
    assert_eq!(doc.assets[1].note.as_deref(), Some("ghi chú, có dấu phẩy"));
    assert_eq!(doc.contacts[0].unit, "so-yte");
    assert_eq!(
        doc.authorities[0].emails,
        ["ir@vncert.vn", "ir@vncert.gov.vn"]
    );
    assert_eq!(doc.authorities[1].name, "Cục A05, Bộ Công an");
    assert_eq!(parsed.origins.assets[1].line, Some(3));
    assert_eq!(&*parsed.origins.assets[1].file, "assets.csv");
    let changes = plan(
        &InventoryDocument::default(),
        &parsed,
        PlanOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changes.summary().created, 9);
    assert_csv_round_trip(doc);
    assert_yaml_round_trip(doc);
}

#[test]
fn a_key_in_two_files_is_an_error() {
    let a = b"code,name,kind\nubnd,UBND,province\n";
    let b = b"code,name,kind\nx,X,department\nubnd,UBND,province\n";
    let errors = parse_files([("a.csv", &a[..]), ("b.csv", &b[..])]).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    assert_eq!(
        errors.0[0].to_string(),
        "b.csv:3: code: unit \"ubnd\" is already defined at a.csv:2"
    );
}

/// A deterministic stream of awkward strings: YAML indicators, keywords, numbers, quotes,
/// escapes, line breaks and Vietnamese.
fn awkward_strings(seed: u64, count: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "a",
        "Đ",
        "ạ",
        "Sở",
        " ",
        ": ",
        ":",
        "#",
        " #",
        "- ",
        "-",
        "'",
        "\"",
        "\\",
        "\n",
        "\t",
        "null",
        "~",
        "yes",
        "No",
        "1.0",
        "0x1F",
        "12:30",
        "2025-06-30",
        "{",
        "}",
        "[",
        "]",
        ",",
        "&x",
        "*x",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "?",
        "\u{2028}",
        "\r",
        "\u{1}",
        "\u{feff}",
        "é",
        "😀",
        "--- ",
        "...",
        "=",
        "<<",
    ];
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    (0..count)
        .map(|_| {
            let len = 1 + next() % 5;
            (0..len).map(|_| PIECES[next() % PIECES.len()]).collect()
        })
        .collect()
}

#[test]
fn any_text_survives_yaml_and_csv() {
    let texts = awkward_strings(1, 400);
    let mut checked = 0;
    for chunk in texts.chunks(4) {
        let yaml = "units:\n  - code: u\n    name: N\n    kind: province\nsystems:\n  - code: s\n    name: S\n    kind: other\n    owner: u\n";
        let mut doc = parse("seed.yaml", yaml.as_bytes()).expect("seed").document;
        doc.units[0].name = format!("x{}x", chunk[0]);
        doc.units[0].address = Some(chunk[1].clone());
        doc.systems[0].services = vec![chunk[2].clone(), chunk[3].clone()];
        doc.systems[0].purpose = Some(chunk[3].clone());
        // Validation trims and drops blanks; compare against what it keeps.
        let Ok(expected) = ParsedInventory::from_document("mem", doc) else {
            continue;
        };
        let doc = expected.document;
        let yaml = to_yaml(&doc);
        let back = parse("x.yaml", yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        assert_eq!(back.document, doc, "{yaml}");
        let files = to_csv(&doc);
        let back = parse_files(files.iter().map(|(n, t)| (n.as_str(), t.as_bytes())))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.document, doc, "{files:?}");
        checked += 1;
    }
    assert!(checked > 80, "only {checked} of 100 documents were valid");
}
