//! The demo inventory: a fictional province, embedded so `canhgac serve --demo` and tests have
//! realistic data without a file.

use canhgac_model::inventory::InventoryDocument;

/// The name errors in the demo file would carry.
pub const DEMO_FILE_NAME: &str = "demo-province.yaml";

const DEMO_YAML: &str = include_str!("../demo/demo-province.yaml");

/// The demo inventory's YAML text (Tỉnh Hòa Bình Xanh, a fictional province).
pub fn demo_yaml() -> &'static str {
    DEMO_YAML
}

/// The demo inventory: Tỉnh Hòa Bình Xanh with its departments, IT centre, police, two former
/// districts, communes, an ISP, about fifteen systems with their assets, contacts, the
/// authorities that receive reports, and monitors of the provincial portal. Every name, address and number is invented; addresses are
/// documentation ranges and `hoabinhxanh.gov.vn`.
pub fn demo_document() -> InventoryDocument {
    // The file is part of the crate and a test parses it, so failing here is a build defect.
    crate::parse(DEMO_FILE_NAME, DEMO_YAML.as_bytes())
        .map(|parsed| parsed.document)
        .unwrap_or_else(|errors| panic!("the embedded demo inventory is invalid:\n{errors}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{parse, plan, PlanOptions};

    #[test]
    fn demo_parses_validates_and_plans_cleanly() {
        let parsed = parse(DEMO_FILE_NAME, DEMO_YAML.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let doc = &parsed.document;
        assert!(doc.units.len() >= 18, "{}", doc.units.len());
        assert!(doc.systems.len() >= 14, "{}", doc.systems.len());
        assert!(doc.assets.len() >= 40, "{}", doc.assets.len());
        assert!(doc.contacts.len() >= doc.units.len() - 3);
        assert_eq!(doc.monitors.len(), 2);
        assert!(doc.monitors.iter().all(|m| m.system == "portal"));
        let empty = InventoryDocument::default();
        let changes =
            plan(&empty, &parsed, PlanOptions { prune: true }).unwrap_or_else(|e| panic!("{e}"));
        let total = doc.units.len()
            + doc.systems.len()
            + doc.assets.len()
            + doc.contacts.len()
            + doc.authorities.len()
            + doc.monitors.len();
        assert_eq!(changes.summary().created as usize, total);
        assert_eq!(demo_document(), parsed.document);
        // The old and new cybersecurity authorities hand over on 01/03/2025.
        let a05 = doc
            .authorities
            .iter()
            .find(|a| a.code == "a05")
            .expect("A05");
        assert_eq!(
            a05.valid_from.map(|d| d.to_string()).as_deref(),
            Some("2025-03-01")
        );
        let vncert = doc
            .authorities
            .iter()
            .find(|a| a.code == "vncert")
            .expect("VNCERT/CC");
        assert_eq!(vncert.emails, vec!["ir@vncert.vn", "ir@vncert.gov.vn"]);
    }
}
