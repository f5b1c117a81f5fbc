//! Synthetic inventories of any size, for benchmarks and scale tests.

use canhgac_model::inventory::{AssetRecord, InventoryDocument, SystemRecord, UnitRecord};
use std::net::Ipv6Addr;

use canhgac_model::{AssetKind, Software, SystemKind, UnitKind};

/// A small deterministic generator (SplitMix64), so the same seed gives the same document on
/// every platform without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A valid document of `units` units, `systems` systems and `assets` assets, the same for the
/// same arguments. Unit `u0` is the province; the others hang off earlier units, mostly near the
/// top, so the tree is a few levels deep. Systems belong to random units (operated by `u1`
/// when there is one), assets to random systems, with unique addresses (IPv4 in 10.0.0.0/8,
/// IPv6 in 2001:db8::/32, networks, domains under `example.gov.vn`, URLs). No contacts or
/// authorities. With `systems == 0`, no assets are generated.
pub fn generate_document(
    units: usize,
    systems: usize,
    assets: usize,
    seed: u64,
) -> InventoryDocument {
    let mut rng = Rng(seed);
    let mut doc = InventoryDocument::default();
    let kinds = [
        UnitKind::Department,
        UnitKind::Commune,
        UnitKind::PublicServiceUnit,
        UnitKind::District,
    ];
    for i in 0..units {
        let (kind, parent) = if i == 0 {
            (UnitKind::Province, None)
        } else {
            // Bias parents towards early units: a wide, shallow tree like a real province.
            let window = if rng.below(4) == 0 { i } else { i.min(12) };
            (
                kinds[rng.below(kinds.len())],
                Some(format!("u{}", rng.below(window))),
            )
        };
        doc.units.push(UnitRecord {
            code: format!("u{i}"),
            name: format!("Đơn vị số {i}"),
            kind,
            parent,
            address: (rng.below(2) == 0)
                .then(|| format!("Số {} đường Số {}", i + 1, rng.below(100))),
            valid_from: None,
            valid_to: None,
        });
    }
    if units == 0 {
        return doc;
    }
    let system_kinds = SystemKind::ALL;
    for i in 0..systems {
        let owner = format!("u{}", rng.below(units));
        doc.systems.push(SystemRecord {
            code: format!("s{i}"),
            name: format!("Hệ thống số {i}"),
            kind: system_kinds[rng.below(system_kinds.len())],
            owner,
            operator: (units > 1).then(|| "u1".to_string()),
            security_level: Some(1 + rng.below(5) as u8),
            level_decision_number: Some(format!("{}/QĐ-UBND", 100 + i)),
            level_decision_date: None,
            information_class: None,
            purpose: None,
            services: vec!["web".to_string()],
            security_controls: Vec::new(),
            isp: None,
            security_provider: None,
        });
    }
    if systems == 0 {
        return doc;
    }
    for i in 0..assets {
        let system = format!("s{}", rng.below(systems));
        let n = i as u32;
        // Written through `Ipv6Addr` so the text is already canonical, as validation makes it.
        let (hi, lo) = ((n >> 16) as u16, (n & 0xffff) as u16);
        let (kind, value) = match i % 5 {
            0 | 1 => (
                AssetKind::Ip,
                format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
            ),
            2 => (
                AssetKind::Ip,
                Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, hi, lo).to_string(),
            ),
            3 => (AssetKind::Domain, format!("h{i}.example.gov.vn")),
            _ => (
                AssetKind::Cidr,
                format!("{}/64", Ipv6Addr::new(0x2001, 0xdb8, hi, lo, 0, 0, 0, 0)),
            ),
        };
        let software = if rng.below(2) == 0 {
            vec![Software {
                name: "nginx".to_string(),
                version: Some("1.24.0".to_string()),
                cpe: Some("cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*".to_string()),
            }]
        } else {
            Vec::new()
        };
        doc.assets.push(AssetRecord {
            system,
            kind,
            value,
            name: Some(format!("host-{i}")),
            os: Some("Ubuntu".to_string()),
            os_version: Some("22.04".to_string()),
            software,
            note: None,
        });
    }
    doc
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{plan, ParsedInventory, PlanOptions};

    #[test]
    fn same_seed_same_document_and_it_is_valid() {
        let a = generate_document(200, 300, 2000, 7);
        assert_eq!(a, generate_document(200, 300, 2000, 7));
        assert_ne!(a, generate_document(200, 300, 2000, 8));
        assert_eq!(
            (a.units.len(), a.systems.len(), a.assets.len()),
            (200, 300, 2000)
        );
        // Valid records are unchanged by validation, and plan cleanly from nothing.
        let parsed = ParsedInventory::from_document("generated", a.clone()).unwrap();
        assert_eq!(parsed.document, a);
        let changes = plan(
            &InventoryDocument::default(),
            &parsed,
            PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(changes.summary().created, 2500);
        assert!(plan(&a, &parsed, PlanOptions { prune: true })
            .unwrap()
            .is_empty());
    }

    #[test]
    fn degenerate_sizes() {
        assert!(generate_document(0, 5, 5, 1).systems.is_empty());
        assert!(generate_document(3, 0, 5, 1).assets.is_empty());
    }
}
