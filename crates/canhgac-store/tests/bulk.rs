//! Timing of a province-sized inventory: 1,000 units, 5,000 systems, 50,000 assets.
//!
//! Ignored by default (it takes seconds); run with
//! `cargo test -p canhgac-store --release --test bulk -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use canhgac_model::inventory::{AssetRecord, Change, InventoryPlan, SystemRecord, UnitRecord};
use canhgac_model::{Actor, AssetKind, PageRequest, Scope, SystemKind, UnitKind};
use canhgac_store::testing::test_stores;
use canhgac_store::{AssetFilter, SystemFilter, UnitFilter};

fn big_plan() -> InventoryPlan {
    let mut plan = InventoryPlan::default();
    let unit = |code: String, kind, parent: Option<String>| UnitRecord {
        name: format!("Đơn vị {code}"),
        code,
        kind,
        parent,
        address: None,
        valid_from: None,
        valid_to: None,
    };
    plan.units.push(Change::Create {
        after: unit("tinh".into(), UnitKind::Province, None),
    });
    for d in 0..99 {
        plan.units.push(Change::Create {
            after: unit(format!("so-{d}"), UnitKind::Department, Some("tinh".into())),
        });
    }
    for c in 0..900 {
        plan.units.push(Change::Create {
            after: unit(
                format!("xa-{c}"),
                UnitKind::Commune,
                Some(format!("so-{}", c % 99)),
            ),
        });
    }
    for s in 0..5000 {
        let owner = if s % 2 == 0 {
            format!("so-{}", s % 99)
        } else {
            format!("xa-{}", s % 900)
        };
        plan.systems.push(Change::Create {
            after: SystemRecord {
                code: format!("ht-{s}"),
                name: format!("Hệ thống thông tin số {s}"),
                kind: SystemKind::ALL[s % SystemKind::ALL.len()],
                owner,
                operator: None,
                security_level: Some(2),
                level_decision_number: None,
                level_decision_date: None,
                information_class: None,
                purpose: None,
                services: vec!["web".into()],
                security_controls: vec![],
                isp: Some("VNPT".into()),
                security_provider: None,
            },
        });
    }
    for a in 0..50_000u32 {
        plan.assets.push(Change::Create {
            after: AssetRecord {
                system: format!("ht-{}", a % 5000),
                kind: AssetKind::Ip,
                value: format!("10.{}.{}.{}", a >> 16, (a >> 8) & 255, a & 255),
                name: Some(format!("host-{a}")),
                os: Some("Ubuntu".into()),
                os_version: Some("22.04".into()),
                software: vec![],
                note: None,
            },
        });
    }
    plan
}

async fn time<T>(label: &str, f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let out = f.await;
    let took = start.elapsed();
    println!("{label}: {took:?}");
    (out, took)
}

#[tokio::test]
#[ignore = "timing run; see the module docs"]
async fn province_sized_import_and_listings() {
    let plan = big_plan();
    for ts in test_stores().await {
        let s = &ts.store;
        println!("--- {}", ts.name);
        let (summary, took) = time(
            "apply 1,000 units + 5,000 systems + 50,000 assets",
            s.apply_inventory(&Actor::system("bench"), &plan),
        )
        .await;
        let summary = summary.unwrap();
        assert_eq!(summary.created, 56_000);
        assert!(took < Duration::from_secs(10), "{}: {took:?}", ts.name);

        let dept = s
            .list_units(
                &Scope::All,
                &UnitFilter::default(),
                &PageRequest {
                    q: Some("so-7".into()),
                    ..PageRequest::new(1, 50)
                },
            )
            .await
            .unwrap()
            .items
            .iter()
            .find(|u| u.code == "so-7")
            .unwrap()
            .id;
        let officer = Scope::Units(vec![dept]);
        let q = |text: &str| PageRequest {
            q: Some(text.into()),
            ..PageRequest::new(1, 50)
        };
        let mut worst = Duration::ZERO;
        for _ in 0..3 {
            let runs = [
                time(
                    "list assets p1",
                    s.list_assets(
                        &Scope::All,
                        &AssetFilter::default(),
                        &PageRequest::new(1, 50),
                    ),
                )
                .await
                .1,
                time(
                    "list assets p500",
                    s.list_assets(
                        &Scope::All,
                        &AssetFilter::default(),
                        &PageRequest::new(500, 50),
                    ),
                )
                .await
                .1,
                time(
                    "search assets",
                    s.list_assets(&Scope::All, &AssetFilter::default(), &q("HOST-4999")),
                )
                .await
                .1,
                time(
                    "officer assets",
                    s.list_assets(&officer, &AssetFilter::default(), &PageRequest::new(1, 50)),
                )
                .await
                .1,
                time(
                    "search systems",
                    s.list_systems(&Scope::All, &SystemFilter::default(), &q("số 12")),
                )
                .await
                .1,
                time(
                    "officer systems",
                    s.list_systems(&officer, &SystemFilter::default(), &PageRequest::new(1, 50)),
                )
                .await
                .1,
                time(
                    "list units",
                    s.list_units(
                        &Scope::All,
                        &UnitFilter::default(),
                        &PageRequest::new(1, 50),
                    ),
                )
                .await
                .1,
                time("dashboard all", s.dashboard(&Scope::All)).await.1,
                time("dashboard officer", s.dashboard(&officer)).await.1,
            ];
            worst = runs.into_iter().max().unwrap_or_default();
        }
        println!("worst listing in the last round: {worst:?}");
        let (doc, _) = time("export", s.export_inventory(&Scope::All)).await;
        assert_eq!(doc.unwrap().assets.len(), 50_000);
    }
}
