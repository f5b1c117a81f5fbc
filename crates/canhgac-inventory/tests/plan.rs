//! Plans: creates and updates only where values differ, deletes only when pruning and only in
//! the sections a file holds, references and cycles checked against file and store together.

#![allow(clippy::unwrap_used)]

use canhgac_inventory::{parse, plan, InventoryErrors, ParsedInventory, PlanOptions};
use canhgac_model::inventory::{Change, InventoryDocument, InventoryPlan};

const STORED: &str = "
units:
  - code: ubnd
    name: UBND tỉnh
    kind: province
  - code: so-yte
    name: Sở Y tế
    kind: department
    parent: ubnd
  - code: benh-vien
    name: Bệnh viện tỉnh
    kind: public_service_unit
    parent: so-yte
  - code: so-cu
    name: Sở Cũ
    kind: department
    parent: ubnd
systems:
  - code: portal
    name: Cổng
    kind: portal
    owner: ubnd
    assets:
      - kind: ip
        value: 203.0.113.10
      - kind: domain
        value: portal.hoabinhxanh.gov.vn
  - code: web-cu
    name: Web cũ
    kind: website
    owner: so-cu
    assets:
      - kind: ip
        value: 203.0.113.99
contacts:
  - unit: so-yte
    name: Bùi Thị Mai
  - unit: so-cu
    name: Người Cũ
authorities:
  - code: vncert
    name: VNCERT/CC
    emails: [ir@vncert.vn]
";

fn yaml(name: &str, text: &str) -> ParsedInventory {
    parse(name, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn stored() -> InventoryDocument {
    yaml("stored.yaml", STORED).document
}

fn ok(result: Result<InventoryPlan, InventoryErrors>) -> InventoryPlan {
    result.unwrap_or_else(|e| panic!("{e}"))
}

fn ops<T>(changes: &[Change<T>], key: impl Fn(&T) -> String) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            Change::Create { after } => format!("create {}", key(after)),
            Change::Update { after, .. } => format!("update {}", key(after)),
            Change::Delete { before } => format!("delete {}", key(before)),
        })
        .collect()
}

#[test]
fn only_differences_become_changes() {
    let current = stored();
    let file = yaml(
        "units.yaml",
        "units:\n  - code: so-yte\n    name: Sở Y tế tỉnh\n    kind: department\n    parent: ubnd\n  - code: so-moi\n    name: Sở Mới\n    kind: department\n    parent: ubnd\n  - code: ubnd\n    name: UBND tỉnh\n    kind: province\n",
    );
    let changes = ok(plan(&current, &file, PlanOptions::default()));
    assert_eq!(
        ops(&changes.units, |u| u.code.clone()),
        ["update so-yte", "create so-moi"]
    );
    let Change::Update { before, after } = &changes.units[0] else {
        panic!("update")
    };
    assert_eq!(before.name, "Sở Y tế");
    assert_eq!(after.name, "Sở Y tế tỉnh");
    assert!(changes.systems.is_empty() && changes.assets.is_empty());
    // Without pruning nothing is deleted, even what the file leaves out.
    assert_eq!(changes.summary().deleted, 0);
}

#[test]
fn prune_deletes_only_within_the_files_sections() {
    let current = stored();
    // A units-and-contacts file without so-cu and benh-vien; systems are not in it, so web-cu
    // (owned by so-cu) is left pointing at a deleted unit: an error naming it.
    let file = yaml(
        "units.yaml",
        "units:\n  - code: ubnd\n    name: UBND tỉnh\n    kind: province\n  - code: so-yte\n    name: Sở Y tế\n    kind: department\n    parent: ubnd\ncontacts:\n  - unit: so-yte\n    name: Bùi Thị Mai\n",
    );
    let errors = plan(&current, &file, PlanOptions { prune: true }).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    let e = &errors.0[0];
    assert_eq!(
        (e.file.as_str(), e.line, e.field.as_deref()),
        ("units.yaml", None, Some("owner"))
    );
    assert!(
        e.message
            .contains("system \"web-cu\" (stored, not in the file)"),
        "{e}"
    );
    assert!(
        e.message
            .contains("\"so-cu\" is not in the file, so pruning would delete it"),
        "{e}"
    );

    // With systems in the file too, web-cu goes, and its asset with it; portal's assets stay
    // because the file has no `assets:` under any system.
    let file = yaml(
        "all.yaml",
        "units:\n  - code: ubnd\n    name: UBND tỉnh\n    kind: province\n  - code: so-yte\n    name: Sở Y tế\n    kind: department\n    parent: ubnd\nsystems:\n  - code: portal\n    name: Cổng\n    kind: portal\n    owner: ubnd\ncontacts:\n  - unit: so-yte\n    name: Bùi Thị Mai\n",
    );
    let changes = ok(plan(&current, &file, PlanOptions { prune: true }));
    // Children before parents: benh-vien is deeper than so-cu.
    assert_eq!(
        ops(&changes.units, |u| u.code.clone()),
        ["delete benh-vien", "delete so-cu"]
    );
    assert_eq!(ops(&changes.systems, |s| s.code.clone()), ["delete web-cu"]);
    assert_eq!(
        ops(&changes.assets, |a| a.value.clone()),
        ["delete 203.0.113.99"]
    );
    assert_eq!(
        ops(&changes.contacts, |c| c.name.clone()),
        ["delete Người Cũ"]
    );
    // Authorities are not in the file: untouched.
    assert!(changes.authorities.is_empty());

    // The same file without pruning changes nothing at all.
    assert!(ok(plan(&current, &file, PlanOptions { prune: false })).is_empty());
}

#[test]
fn prune_with_an_assets_csv_deletes_only_assets() {
    let current = stored();
    let file = parse(
        "assets.csv",
        b"system,kind,value\nportal,ip,203.0.113.10\nportal,ip,2001:db8::1\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let changes = ok(plan(&current, &file, PlanOptions { prune: true }));
    assert_eq!(
        ops(&changes.assets, |a| a.value.clone()),
        [
            "create 2001:db8::1",
            "delete portal.hoabinhxanh.gov.vn",
            "delete 203.0.113.99"
        ]
    );
    assert!(changes.units.is_empty() && changes.systems.is_empty() && changes.contacts.is_empty());
}

#[test]
fn an_empty_section_with_prune_empties_it() {
    let current = stored();
    let file = yaml("a.yaml", "authorities: []\n");
    let changes = ok(plan(&current, &file, PlanOptions { prune: true }));
    assert_eq!(
        ops(&changes.authorities, |a| a.code.clone()),
        ["delete vncert"]
    );
    assert_eq!(changes.summary().deleted, 1);
}

#[test]
fn references_may_point_into_the_store_but_not_nowhere() {
    let current = stored();
    let file = yaml(
        "systems.yaml",
        "systems:\n  - code: his\n    name: HIS\n    kind: other\n    owner: benh-vien\n    operator: ttcntt\n    assets:\n      - kind: ip\n        value: 198.51.100.5\ncontacts:\n  - unit: khong-co\n    name: Ai Đó\n",
    );
    let errors = plan(&current, &file, PlanOptions::default()).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors}");
    assert_eq!(
        errors.0[0].to_string(),
        "systems.yaml:6: operator: unknown unit \"ttcntt\": neither in the file nor stored"
    );
    assert_eq!(
        errors.0[1].to_string(),
        "systems.yaml:11: unit: unknown unit \"khong-co\": neither in the file nor stored"
    );
    // An asset of a system that exists nowhere.
    let file = parse(
        "assets.csv",
        b"system,kind,value\nportal,ip,192.0.2.1\nnope,ip,192.0.2.2\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let errors = plan(&current, &file, PlanOptions::default()).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "assets.csv:3: system: unknown system \"nope\": neither in the file nor stored"
    );
}

#[test]
fn parent_cycles_are_errors() {
    let file = parse(
        "cycle.yaml",
        &std::fs::read(format!(
            "{}/tests/fixtures/cycle.yaml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let errors = plan(&InventoryDocument::default(), &file, PlanOptions::default()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    let e = &errors.0[0];
    // At the `parent:` line of the cycle's first unit in the file.
    assert_eq!((e.line, e.field.as_deref()), (Some(5), Some("parent")));
    assert_eq!(e.message, "units form a cycle of parents: a → c → b → a");

    // A cycle closed by moving a stored unit under its own descendant.
    let current = stored();
    let file = yaml(
        "move.yaml",
        "units:\n  - code: so-yte\n    name: Sở Y tế\n    kind: department\n    parent: benh-vien\n",
    );
    let errors = plan(&current, &file, PlanOptions::default()).unwrap_err();
    assert_eq!(errors.0[0].line, Some(5), "{errors}");
    assert!(errors.0[0].message.contains("cycle"), "{errors}");

    let errors = plan(
        &InventoryDocument::default(),
        &yaml(
            "self.yaml",
            "units:\n  - code: a\n    name: A\n    kind: province\n    parent: a\n",
        ),
        PlanOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        errors.to_string(),
        "self.yaml:5: parent: units form a cycle of parents: a → a"
    );
}

#[test]
fn unit_creates_come_parents_first() {
    let file = yaml(
        "tree.yaml",
        "units:\n  - code: c\n    name: C\n    kind: commune\n    parent: b\n  - code: b\n    name: B\n    kind: department\n    parent: a\n  - code: a\n    name: A\n    kind: province\n  - code: d\n    name: D\n    kind: department\n    parent: a\n",
    );
    let changes = ok(plan(
        &InventoryDocument::default(),
        &file,
        PlanOptions::default(),
    ));
    assert_eq!(
        ops(&changes.units, |u| u.code.clone()),
        ["create a", "create b", "create d", "create c"]
    );

    // Moving a stored unit under a new one: the new parent is created first.
    let current = stored();
    let file = yaml(
        "move.yaml",
        "units:\n  - code: benh-vien\n    name: Bệnh viện tỉnh\n    kind: public_service_unit\n    parent: khoi-yte\n  - code: khoi-yte\n    name: Khối Y tế\n    kind: department\n    parent: so-yte\n",
    );
    let changes = ok(plan(&current, &file, PlanOptions::default()));
    assert_eq!(
        ops(&changes.units, |u| u.code.clone()),
        ["create khoi-yte", "update benh-vien"]
    );
}

#[test]
fn authorities_are_keyed_by_code_and_start_date() {
    let current = yaml(
        "a.yaml",
        "authorities:\n  - code: attt\n    name: Cục ATTT\n    valid_to: 2025-02-28\n",
    )
    .document;
    let file = yaml(
        "a.yaml",
        "authorities:\n  - code: attt\n    name: Cục ATTT\n    valid_to: 2025-02-28\n  - code: attt\n    name: Cục A05\n    valid_from: 2025-03-01\n",
    );
    let changes = ok(plan(&current, &file, PlanOptions { prune: true }));
    assert_eq!(
        ops(&changes.authorities, |a| a.name.clone()),
        ["create Cục A05"]
    );
}
