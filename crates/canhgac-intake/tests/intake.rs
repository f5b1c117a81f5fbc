//! The live path over the real stores (SQLite, and PostgreSQL when configured) and a real
//! event log: batches come back acknowledged only once stored and detected; rules, indicators
//! and the inventory's addresses are picked up while running.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use canhgac_eventlog::{EventLog, EventQuery, Retention, UnitFilter};
use canhgac_intake::{Intake, IntakeConfig};
use canhgac_model::{
    Actor, AlertFilter, AlertSource, AssetInput, AssetKind, Event, EventKind, IndicatorInput,
    IndicatorKind, PageRequest, Scope, SystemInput, SystemKind, UnitInput, UnitKind,
};
use canhgac_store::testing::test_stores;

const RULE: &str = "title: Intake test marker\nid: 11111111-2222-4333-8444-555555555555\n\
logsource:\n    product: linux\ndetection:\n    marker:\n        msg|contains: intake-marker\n    condition: marker\nlevel: high\n";

fn syslog_event(text: &str, peer: &str) -> Event {
    let mut event = canhgac_ingest::syslog::decode(
        format!("<38>1 2026-11-26T01:02:03Z web01 app 1 - - {text}").as_bytes(),
        canhgac_model::Timestamp::now(),
        Some(peer.parse().unwrap()),
    );
    event.time = canhgac_model::Timestamp::now();
    event
}

fn config(rules: &std::path::Path) -> IntakeConfig {
    IntakeConfig {
        rule_dirs: vec![rules.to_path_buf()],
        refresh_every: Duration::from_millis(200),
        ..IntakeConfig::default()
    }
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_attributed_detected_stored_and_alerted() {
    for t in test_stores().await {
        let store = t.store.clone();
        let admin = Actor::system("test");
        let unit = store
            .create_unit(&admin, UnitInput::new("Sở thử", UnitKind::Department, None))
            .await
            .unwrap();
        let mut system = SystemInput::new("Máy chủ web", SystemKind::Portal, unit.id);
        system.security_level = Some(2);
        let system = store.create_system(&admin, system).await.unwrap();
        store
            .create_asset(
                &admin,
                AssetInput {
                    system_id: system.id,
                    ..AssetInput::new(AssetKind::Cidr, "10.20.0.0/16")
                },
            )
            .await
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(rules.join("marker.yml"), RULE).unwrap();
        let log =
            Arc::new(EventLog::open(&dir.path().join("events"), Retention::default()).unwrap());
        let intake = Intake::start(config(&rules), store.clone(), log.clone())
            .await
            .unwrap();
        assert!(
            intake.rules().report.errors.is_empty(),
            "{:?}",
            intake.rules().report.errors
        );

        let stored = intake
            .submit(vec![
                syslog_event("nothing to see", "10.20.1.1"),
                syslog_event("user typed intake-marker", "10.20.1.2"),
                syslog_event("stranger intake-marker", "192.0.2.9"),
            ])
            .await
            .unwrap();
        assert_eq!(stored, 3);
        // Acknowledged means stored: searchable now.
        let page = log
            .search(&EventQuery {
                units: UnitFilter::Only {
                    units: vec![unit.id],
                    unattributed: false,
                },
                limit: 10,
                ..EventQuery::default()
            })
            .unwrap();
        assert_eq!(
            page.events.len(),
            2,
            "{}: two events from the unit's network",
            t.name
        );
        let alerts = store
            .list_alerts(
                &Scope::All,
                &AlertFilter::default(),
                &PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        assert_eq!(alerts.total, 2, "{}: {:?}", t.name, alerts.items);
        let ours = alerts
            .items
            .iter()
            .find(|a| a.unit_id == Some(unit.id))
            .unwrap();
        assert_eq!(ours.title, "Intake test marker");
        assert_eq!(ours.source, AlertSource::Sigma);
        assert!(
            alerts.items.iter().any(|a| a.unit_id.is_none()),
            "{}: unattributed kept",
            t.name
        );

        // A new indicator is matched after the refresh notices it.
        store
            .import_indicators(
                &admin,
                vec![IndicatorInput::new(IndicatorKind::Ip, "198.51.100.77")],
            )
            .await
            .unwrap();
        wait_until("the indicator", || {
            let intake = intake.clone();
            async move { intake.indicator_count() == 1 }
        })
        .await;
        intake
            .submit(vec![syslog_event(
                "connection to 198.51.100.77 refused",
                "10.20.3.3",
            )])
            .await
            .unwrap();
        let ioc = store
            .list_alerts(
                &Scope::All,
                &AlertFilter {
                    source: Some(AlertSource::Indicator),
                    ..AlertFilter::default()
                },
                &PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        assert_eq!(ioc.total, 1, "{}", t.name);
        assert_eq!(ioc.items[0].unit_id, Some(unit.id));

        // A rule file edited on disk is reloaded without a restart.
        std::fs::write(
            rules.join("marker.yml"),
            RULE.replace("intake-marker", "second-marker"),
        )
        .unwrap();
        wait_until("the edited rule", || {
            let intake = intake.clone();
            async move {
                let rules = intake.rules();
                rules
                    .rules
                    .iter()
                    .any(|(_, info)| info.title == "Intake test marker")
                    && rules.loaded_at.as_second() >= 0
                    && rules.report.documents > 0
                    && {
                        let mut out = Vec::new();
                        rules
                            .rules
                            .matches(&syslog_event("x second-marker", "10.20.1.2"), &mut out);
                        !out.is_empty()
                    }
            }
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_ndjson_line_rejects_the_whole_batch() {
    let t = test_stores().await.remove(0);
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events"), Retention::default()).unwrap());
    let intake = Intake::start(IntakeConfig::default(), t.store.clone(), log.clone())
        .await
        .unwrap();
    let err = intake
        .submit_ndjson(b"{\"message\": \"a\"}\n[1, 2]\n", false, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    assert_eq!(log.stats().events, 0);
    let n = intake
        .submit_ndjson(
            b"{\"message\": \"a\"}\n\n{\"message\": \"b\"}\n",
            false,
            None,
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(log.stats().events, 2);
    assert_eq!(
        log.search(&EventQuery {
            limit: 5,
            ..EventQuery::default()
        })
        .unwrap()
        .events[0]
            .event
            .kind,
        EventKind::Json
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_files_are_sniffed_and_bad_records_reported_by_line() {
    let t = test_stores().await.remove(0);
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events"), Retention::default()).unwrap());
    let intake = Intake::start(IntakeConfig::default(), t.store.clone(), log.clone())
        .await
        .unwrap();
    let json = intake
        .submit_file(
            "a.jsonl",
            b"{\"message\": \"one\"}\nnot json\n{\"message\": \"two\"}\n".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(json.format, "json");
    assert_eq!((json.accepted, json.skipped), (2, 1));
    assert!(
        json.problems[0].starts_with("line 2"),
        "{:?}",
        json.problems
    );
    let access = intake
        .submit_file(
            "access.log",
            b"203.0.113.9 - - [26/Nov/2026:08:00:00 +0700] \"GET /shell.php?cmd=id HTTP/1.1\" 200 12 \"-\" \"curl/8\"\n".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!((access.format.as_str(), access.accepted), ("access_log", 1));
    // The shipped web shell rule fires on it.
    let alerts = t
        .store
        .list_alerts(
            &Scope::All,
            &AlertFilter::default(),
            &PageRequest::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(alerts.total, 1, "{:?}", alerts.items);
    assert_eq!(
        alerts.items[0].title,
        "Web request to a script with a command parameter"
    );
    assert_eq!(log.stats().events, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_hits_becomes_one_alert_with_its_count() {
    let t = test_stores().await.remove(0);
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("marker.yml"), RULE).unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events"), Retention::default()).unwrap());
    let intake = Intake::start(config(&rules), t.store.clone(), log)
        .await
        .unwrap();
    for _ in 0..3 {
        let batch = (0..1000)
            .map(|_| syslog_event("again intake-marker", "192.0.2.1"))
            .collect();
        intake.submit(batch).await.unwrap();
    }
    let alerts = t
        .store
        .list_alerts(
            &Scope::All,
            &AlertFilter::default(),
            &PageRequest::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(alerts.total, 1, "{:?}", alerts.items);
    assert_eq!(alerts.items[0].count, 3000);
}
