//! What the console header's open-alert count costs per page (`Store::alert_summary`) and what
//! the alerts listing's first page costs (`Store::list_alerts`), over many alerts, for an admin
//! and for a unit officer. A measurement, not a check: run it with
//! `cargo test -p canhgac-web --test header_cost -- --ignored --nocapture`
//! (ALERTS=100000 to change the number of alerts).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use canhgac_model::{
    Actor, AlertDraft, AlertSource, Scope, Severity, Timestamp, UnitInput, UnitKind,
};
use canhgac_store::testing::test_stores;

#[tokio::test]
#[ignore = "a measurement; run explicitly"]
async fn header_count_cost() {
    let alerts: usize = std::env::var("ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    for test_store in test_stores().await {
        let store = &test_store.store;
        let sys = Actor::system("bench");
        let province = store
            .create_unit(&sys, UnitInput::new("Tỉnh", UnitKind::Province, None))
            .await
            .unwrap();
        let mut units = Vec::new();
        for i in 0..50 {
            let unit = store
                .create_unit(
                    &sys,
                    UnitInput::new(format!("Sở {i}"), UnitKind::Department, Some(province.id)),
                )
                .await
                .unwrap();
            units.push(unit.id);
        }
        let started = Instant::now();
        let now = Timestamp::now();
        for chunk in (0..alerts).collect::<Vec<_>>().chunks(5000) {
            let drafts: Vec<AlertDraft> = chunk
                .iter()
                .map(|i| AlertDraft {
                    source: AlertSource::Sigma,
                    rule_key: format!("rule-{}", i % 300),
                    title: format!("Rule {}", i % 300),
                    severity: Severity::ALL[i % 5],
                    tags: vec![],
                    unit_id: Some(units[i % units.len()]),
                    // Distinct hosts, so nothing folds.
                    host: Some(format!("host-{i}")),
                    time: now,
                    evidence: serde_json::json!({}),
                })
                .collect();
            store
                .record_alerts(&drafts, jiff::SignedDuration::from_mins(1))
                .await
                .unwrap();
        }
        println!(
            "[{}] {alerts} alerts recorded in {:?}",
            test_store.name,
            started.elapsed()
        );
        for (who, scope) in [
            ("admin", Scope::All),
            ("officer of 1 unit", Scope::Units(vec![units[0]])),
        ] {
            store.alert_summary(&scope).await.unwrap();
            let runs = 20;
            let started = Instant::now();
            let mut open = 0;
            for _ in 0..runs {
                open = store.alert_summary(&scope).await.unwrap().open;
            }
            println!(
                "[{}] alert_summary as {who}: {open} open, {:?} per call",
                test_store.name,
                started.elapsed() / runs
            );
            // The first page of the alerts listing, as the console asks for it.
            let page = canhgac_model::PageRequest::new(1, 50);
            let filter = canhgac_model::AlertFilter {
                statuses: vec![
                    canhgac_model::AlertStatus::New,
                    canhgac_model::AlertStatus::Acknowledged,
                ],
                ..Default::default()
            };
            let started = Instant::now();
            for _ in 0..runs {
                store.list_alerts(&scope, &filter, &page).await.unwrap();
            }
            println!(
                "[{}] list_alerts(status=open, page 1) as {who}: {:?} per call",
                test_store.name,
                started.elapsed() / runs
            );
        }
    }
}
