//! The YAML example in the crate documentation is a valid inventory.

#![allow(clippy::unwrap_used)]

use canhgac_inventory::{parse, plan, PlanOptions};
use canhgac_model::inventory::InventoryDocument;

#[test]
fn the_documented_example_parses_and_plans() {
    let source = include_str!("../src/lib.rs");
    let mut in_block = false;
    let mut yaml = String::new();
    for line in source.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            continue;
        };
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        if doc == "```yaml" {
            in_block = true;
        } else if in_block && doc == "```" {
            break;
        } else if in_block {
            yaml.push_str(doc);
            yaml.push('\n');
        }
    }
    assert!(yaml.contains("authorities:"), "example not found");
    let parsed = parse("example.yaml", yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let doc = &parsed.document;
    assert_eq!(
        (
            doc.units.len(),
            doc.systems.len(),
            doc.assets.len(),
            doc.contacts.len(),
            doc.authorities.len(),
            doc.monitors.len()
        ),
        (3, 1, 2, 1, 1, 3)
    );
    assert_eq!(
        doc.units[2].valid_to.map(|d| d.to_string()).as_deref(),
        Some("2025-06-30")
    );
    assert_eq!(doc.assets[0].os_version.as_deref(), Some("22.04"));
    let changes = plan(
        &InventoryDocument::default(),
        &parsed,
        PlanOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changes.summary().created, 11);
    assert_eq!(doc.monitors[1].interval_secs, 300);
}
