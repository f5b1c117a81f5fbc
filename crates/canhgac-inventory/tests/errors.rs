//! Every kind of error names the file, the right line and the right field.

#![allow(clippy::unwrap_used)]

use canhgac_inventory::{parse, InventoryErrors};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn errors_of(name: &str) -> InventoryErrors {
    match parse(name, &fixture(name)) {
        Ok(_) => panic!("{name} parsed without errors"),
        Err(e) => e,
    }
}

/// Asserts an error at `line` about `field` whose message contains `needle`.
fn expect(errors: &InventoryErrors, line: usize, field: Option<&str>, needle: &str) {
    let found = errors
        .iter()
        .any(|e| e.line == Some(line) && e.field.as_deref() == field && e.message.contains(needle));
    assert!(
        found,
        "no error at line {line} field {field:?} containing {needle:?} in:\n{errors}"
    );
}

#[test]
fn yaml_errors_name_line_and_field() {
    let errors = errors_of("errors.yaml");
    assert!(errors.iter().all(|e| e.file == "errors.yaml"));
    expect(
        &errors,
        8,
        Some("colour"),
        "unknown key \"colour\", expected one of: code, name",
    );
    expect(
        &errors,
        9,
        Some("code"),
        "unit \"ubnd\" is already defined at line 2",
    );
    expect(&errors, 12, Some("code"), "is required");
    expect(
        &errors,
        17,
        Some("valid_from"),
        "\"31/02/2025\" is not a day of the calendar",
    );
    expect(
        &errors,
        18,
        Some("kind"),
        "key written twice (first on line 16)",
    );
    expect(
        &errors,
        21,
        Some("kind"),
        "unknown value \"sở\", expected one of: province, department",
    );
    expect(
        &errors,
        27,
        Some("security_level"),
        "\"ba\" is not a security level",
    );
    expect(
        &errors,
        28,
        Some("services"),
        "expected a list, found a single value",
    );
    expect(
        &errors,
        31,
        Some("value"),
        "\"203.0.113.300\" is not an IPv4 or IPv6 address",
    );
    expect(
        &errors,
        33,
        Some("value"),
        "has host bits set; the network is 203.0.113.0/24",
    );
    expect(&errors, 35, Some("value"), "is not a domain name");
    // The second software item, not the first, is at fault.
    expect(
        &errors,
        40,
        Some("software.cpe"),
        "\"zimbra-8.8\" is not a CPE name",
    );
    expect(&errors, 42, Some("owner"), "is required");
    expect(
        &errors,
        43,
        Some("name"),
        "expected a single value, found a list",
    );
    expect(&errors, 48, Some("email"), "is not an email address");
    expect(
        &errors,
        52,
        Some("valid_to"),
        "2025-02-28 is before valid_from 2025-03-01",
    );
    expect(
        &errors,
        53,
        None,
        "expected a mapping (one authority), found a single value",
    );
    // Errors come in line order, and the display is `file:line: field: message`.
    let lines: Vec<usize> = errors.iter().filter_map(|e| e.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    assert!(errors
        .to_string()
        .lines()
        .any(|l| l == "errors.yaml:21: kind: unknown value \"sở\", expected one of: province, department, district, commune, public_service_unit, isp, enterprise"));
    assert_eq!(errors.len(), 17, "{errors}");
}

#[test]
fn yaml_syntax_errors_have_a_line() {
    let text = "units:\n  - code: a\n    name: \"unterminated\n    kind: province\n";
    let errors = parse("bad.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    let e = &errors.0[0];
    assert!(e.message.starts_with("YAML syntax error"), "{e}");
    assert!(matches!(e.line, Some(3..=5)), "{e}");

    let text = "units:\n  - code: a\n   name: x\n";
    let errors = parse("bad.yaml", text.as_bytes()).unwrap_err();
    assert!(
        errors.0[0].message.starts_with("YAML syntax error"),
        "{errors}"
    );
    assert_eq!(errors.0[0].line, Some(3), "{errors}");
}

#[test]
fn yaml_top_level_shapes() {
    let errors = parse("x.yaml", b"- a\n- b\n").unwrap_err();
    assert_eq!(errors.0[0].line, Some(1));
    assert!(
        errors.0[0].message.contains("expected a mapping"),
        "{errors}"
    );

    let errors = parse("x.yaml", b"units: []\nsistems: []\n").unwrap_err();
    expect(
        &errors,
        2,
        Some("sistems"),
        "unknown key \"sistems\", expected one of: units, systems, contacts, authorities",
    );

    let errors = parse("x.yaml", b"units:\n  code: a\n").unwrap_err();
    expect(
        &errors,
        2,
        Some("units"),
        "expected a list of records, found a mapping",
    );

    let parsed = parse("x.yaml", b"# nothing yet\n").expect("an empty file is an empty inventory");
    assert_eq!(parsed.document, Default::default());
    assert!(!parsed.sections.units);
}

#[test]
fn missing_required_fields() {
    let text = "systems:\n  - code: s\n    kind: portal\n";
    let errors = parse("s.yaml", text.as_bytes()).unwrap_err();
    expect(&errors, 2, Some("name"), "is required");
    expect(&errors, 2, Some("owner"), "is required");
    let text = "systems:\n  - code: s\n    name: S\n    owner: ~\n";
    let errors = parse("s.yaml", text.as_bytes()).unwrap_err();
    expect(&errors, 2, Some("kind"), "is required");
    expect(&errors, 4, Some("owner"), "is required");
}

#[test]
fn csv_errors_name_the_csv_line() {
    let errors = errors_of("errors-assets.csv");
    expect(&errors, 3, Some("kind"), "unknown value \"host\"");
    expect(&errors, 4, Some("value"), "has host bits set");
    expect(&errors, 5, Some("system"), "is required");
    expect(&errors, 6, Some("software"), "has more than three parts");
    expect(
        &errors,
        7,
        Some("value"),
        "asset ip \"203.0.113.10\" of system \"portal\" is already defined at line 2",
    );
    expect(
        &errors,
        8,
        Some("software.cpe"),
        "\"not-a-cpe\" is not a CPE name",
    );
    assert_eq!(errors.len(), 6, "{errors}");
    assert!(errors
        .to_string()
        .starts_with("errors-assets.csv:3: kind: unknown value"));
}

#[test]
fn csv_header_problems() {
    let errors = parse("x.csv", b"code,name,kind,colour\na,A,province,red\n").unwrap_err();
    expect(
        &errors,
        1,
        Some("colour"),
        "unknown column for a units file",
    );
    let errors = parse("x.csv", b"foo,bar\n1,2\n").unwrap_err();
    expect(&errors, 1, None, "cannot tell what the file holds");
    // The file name decides when the header cannot.
    let errors = parse("contacts.csv", b"name,phone\nA,1\n").unwrap_err();
    expect(
        &errors,
        1,
        Some("unit"),
        "required column missing from the header of a contacts file",
    );
    let errors = parse("x.csv", b"code,name,kind\na,A,province,extra\n").unwrap_err();
    expect(
        &errors,
        2,
        None,
        "the row has 4 cells but the header names 3 columns",
    );
    let errors = parse("x.csv", b"").unwrap_err();
    expect(&errors, 1, None, "the file is empty");
}

#[test]
fn csv_multiline_cells_keep_line_numbers() {
    let text = "code,name,kind,address\na,A,province,\"dòng 1\ndòng 2\"\nb,B,tỉnh,\n";
    let errors = parse("u.csv", text.as_bytes()).unwrap_err();
    expect(&errors, 4, Some("kind"), "unknown value \"tỉnh\"");
}

#[test]
fn not_utf8_and_unknown_format() {
    let errors = parse("u.csv", b"code,name,kind\na,\xC0\xC1,province\n").unwrap_err();
    expect(&errors, 2, None, "not UTF-8");
    let errors = parse("inventory.xlsx", b"").unwrap_err();
    assert!(
        errors.0[0].message.contains(".yaml, .yml or .csv"),
        "{errors}"
    );
}

#[test]
fn too_many_errors_are_capped() {
    let mut text = String::from("code,name,kind\n");
    for i in 0..150 {
        text.push_str(&format!("u{i},U,nope\n"));
    }
    let errors = parse("u.csv", text.as_bytes()).unwrap_err();
    assert!(
        errors.len() <= canhgac_inventory::MAX_ERRORS + 1,
        "{}",
        errors.len()
    );
    assert!(errors.len() >= canhgac_inventory::MAX_ERRORS);
}

#[test]
fn windows_line_endings_and_bom_in_yaml() {
    let text = "\u{feff}units:\r\n  - code: a\r\n    name: A\r\n    kind: tinh\r\n";
    let errors = parse("win.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(errors.to_string().lines().count(), 1, "{errors}");
    expect(&errors, 4, Some("kind"), "unknown value \"tinh\"");
    let ok = text.replace("tinh", "province");
    let parsed = parse("win.yaml", ok.as_bytes()).unwrap();
    assert_eq!(parsed.document.units[0].name, "A");
}
