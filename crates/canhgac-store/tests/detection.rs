//! Alerts, indicators, rule overrides and suppressions on every backend `test_stores()` gives.
#![allow(clippy::unwrap_used)]

use canhgac_model::{
    Actor, AlertDraft, AlertFilter, AlertSource, AlertStatus, AuditFilter, Id, IndicatorInput,
    IndicatorKind, PageRequest, RuleOverride, Scope, Severity, Suppression, Timestamp, UnitInput,
    UnitKind,
};
use canhgac_store::testing::test_stores;
use canhgac_store::{IndicatorFilter, Store, StoreError};
use jiff::SignedDuration;

fn officer(units: Vec<Id>) -> Actor {
    Actor {
        user_id: None,
        name: "officer".into(),
        scope: Scope::Units(units),
    }
}

fn draft(rule: &str, unit: Option<Id>, host: &str, time: Timestamp) -> AlertDraft {
    AlertDraft {
        source: AlertSource::Sigma,
        rule_key: rule.into(),
        title: format!("Rule {rule}"),
        severity: Severity::High,
        tags: vec!["attack.t1059".into()],
        unit_id: unit,
        host: Some(host.into()),
        time,
        evidence: serde_json::json!({"n": time.as_second()}),
    }
}

fn all() -> PageRequest {
    PageRequest::new(1, 100)
}

async fn two_units(store: &dyn Store) -> (Id, Id) {
    let admin = Actor::system("t");
    let a = store
        .create_unit(&admin, UnitInput::new("Sở A", UnitKind::Department, None))
        .await
        .unwrap();
    let b = store
        .create_unit(&admin, UnitInput::new("Sở B", UnitKind::Department, None))
        .await
        .unwrap();
    (a.id, b.id)
}

#[tokio::test]
async fn a_long_alert_keeps_its_first_samples_and_its_latest() {
    for t in test_stores().await {
        let store = &*t.store;
        let (a, _) = two_units(store).await;
        let t0: Timestamp = "2026-11-26T01:00:00Z".parse().unwrap();
        let hits: Vec<AlertDraft> = (0..8)
            .map(|i| draft("r9", Some(a), "web01", t0 + SignedDuration::from_secs(i)))
            .collect();
        let mut id = 0;
        for hit in &hits {
            id = store
                .record_alerts(std::slice::from_ref(hit), SignedDuration::from_mins(10))
                .await
                .unwrap()[0];
        }
        let alert = store.get_alert(&Scope::All, id).await.unwrap();
        assert_eq!(alert.count, 8);
        let seconds: Vec<i64> = alert
            .evidence
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["n"].as_i64().unwrap())
            .collect();
        let first = t0.as_second();
        assert_eq!(
            seconds,
            [first, first + 1, first + 2, first + 3, first + 7],
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn hits_fold_within_the_window_and_not_across_hosts_units_or_closed_alerts() {
    for t in test_stores().await {
        let store = &*t.store;
        let (a, b) = two_units(store).await;
        let t0: Timestamp = "2026-11-26T01:00:00Z".parse().unwrap();
        let window = SignedDuration::from_mins(10);
        let ids = store
            .record_alerts(
                &[
                    draft("r1", Some(a), "web01", t0),
                    draft("r1", Some(a), "web01", t0 + SignedDuration::from_mins(5)),
                    draft("r1", Some(a), "web02", t0),
                    draft("r1", Some(b), "web01", t0),
                    draft("r1", None, "web01", t0),
                ],
                window,
            )
            .await
            .unwrap();
        assert_eq!(ids[0], ids[1], "{}: same rule, unit, host fold", t.name);
        assert_ne!(ids[0], ids[2], "{}: another host is another alert", t.name);
        assert_ne!(ids[0], ids[3], "{}: another unit is another alert", t.name);
        let folded = store.get_alert(&Scope::All, ids[0]).await.unwrap();
        assert_eq!(folded.count, 2);
        assert_eq!(folded.first_seen, t0);
        assert_eq!(folded.last_seen, t0 + SignedDuration::from_mins(5));
        assert_eq!(folded.evidence.as_array().unwrap().len(), 2);

        // Past the window: a new alert.
        let late = store
            .record_alerts(
                &[draft(
                    "r1",
                    Some(a),
                    "web01",
                    t0 + SignedDuration::from_mins(30),
                )],
                window,
            )
            .await
            .unwrap();
        assert_ne!(late[0], ids[0], "{}", t.name);

        // A resolved alert does not swallow new hits.
        store
            .triage_alert(
                &Actor::system("t"),
                late[0],
                AlertStatus::Resolved,
                Some("ok".into()),
            )
            .await
            .unwrap();
        let again = store
            .record_alerts(
                &[draft(
                    "r1",
                    Some(a),
                    "web01",
                    t0 + SignedDuration::from_mins(31),
                )],
                window,
            )
            .await
            .unwrap();
        assert_ne!(again[0], late[0], "{}", t.name);
    }
}

#[tokio::test]
async fn officers_see_and_triage_only_their_units_alerts() {
    for t in test_stores().await {
        let store = &*t.store;
        let (a, b) = two_units(store).await;
        let now = Timestamp::now();
        let ids = store
            .record_alerts(
                &[
                    draft("r1", Some(a), "h", now),
                    draft("r2", Some(b), "h", now),
                    draft("r3", None, "h", now),
                ],
                SignedDuration::from_mins(10),
            )
            .await
            .unwrap();
        let officer_a = officer(vec![a]);
        let seen = store
            .list_alerts(&officer_a.scope, &AlertFilter::default(), &all())
            .await
            .unwrap();
        assert_eq!(seen.total, 1, "{}", t.name);
        assert_eq!(seen.items[0].id, ids[0]);
        let everything = store
            .list_alerts(&Scope::All, &AlertFilter::default(), &all())
            .await
            .unwrap();
        assert_eq!(
            everything.total, 3,
            "{}: admins see unattributed too",
            t.name
        );

        assert!(matches!(
            store.get_alert(&officer_a.scope, ids[1]).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store
                .triage_alert(&officer_a, ids[1], AlertStatus::FalsePositive, None)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let triaged = store
            .triage_alert(
                &officer_a,
                ids[0],
                AlertStatus::Acknowledged,
                Some("  đang kiểm tra ".into()),
            )
            .await
            .unwrap();
        assert_eq!(triaged.status, AlertStatus::Acknowledged);
        assert_eq!(triaged.comment.as_deref(), Some("đang kiểm tra"));
        let audit = store
            .list_audit(&AuditFilter::default(), &all())
            .await
            .unwrap();
        assert!(
            audit
                .items
                .iter()
                .any(|e| e.entity == "alert" && e.entity_id == Some(ids[0])),
            "{}: triage is audited",
            t.name
        );

        let filtered = store
            .list_alerts(
                &Scope::All,
                &AlertFilter {
                    statuses: vec![AlertStatus::New],
                    q: Some("rule r2".into()),
                    ..AlertFilter::default()
                },
                &all(),
            )
            .await
            .unwrap();
        assert_eq!(filtered.total, 1, "{}", t.name);
        assert_eq!(filtered.items[0].rule_key, "r2");
        let summary = store.alert_summary(&officer_a.scope).await.unwrap();
        assert_eq!(summary.open, 1);
        assert_eq!(summary.open_by_severity, vec![(Severity::High, 1)]);
    }
}

#[tokio::test]
async fn the_same_indicator_from_two_feeds_merges_what_they_say() {
    for t in test_stores().await {
        let store = &*t.store;
        let admin = Actor::system("t");
        let at = |text: &str| -> Timestamp { text.parse().unwrap() };
        let mut first = IndicatorInput::new(IndicatorKind::Domain, "c2.example");
        first.source = "2216/CATTT-NCSC".into();
        first.tags = vec!["apt".into()];
        first.meta = canhgac_model::IndicatorMeta {
            confidence: Some(60),
            tlp: Some("TLP:AMBER".into()),
            first_seen: Some(at("2026-10-01T00:00:00Z")),
            last_seen: Some(at("2026-10-05T00:00:00Z")),
            advisory: Some("2216/CATTT-NCSC".into()),
        };
        let mut second = IndicatorInput::new(IndicatorKind::Domain, "C2.example");
        second.source = "misp".into();
        second.tags = vec!["c2".into(), "apt".into()];
        second.meta = canhgac_model::IndicatorMeta {
            confidence: Some(40),
            tlp: None,
            first_seen: Some(at("2026-09-20T00:00:00Z")),
            last_seen: Some(at("2026-10-02T00:00:00Z")),
            advisory: None,
        };
        let done = store
            .import_indicators(&admin, vec![first, second])
            .await
            .unwrap();
        assert_eq!((done.created, done.updated), (1, 1), "{}", t.name);
        let stored = store
            .list_indicators(&IndicatorFilter::default(), &all())
            .await
            .unwrap()
            .items
            .remove(0);
        assert_eq!(stored.tags, vec!["apt".to_string(), "c2".to_string()]);
        assert_eq!(stored.meta.confidence, Some(60));
        assert_eq!(stored.meta.tlp.as_deref(), Some("TLP:AMBER"));
        assert_eq!(stored.meta.first_seen, Some(at("2026-09-20T00:00:00Z")));
        assert_eq!(stored.meta.last_seen, Some(at("2026-10-05T00:00:00Z")));
        assert_eq!(stored.meta.advisory.as_deref(), Some("2216/CATTT-NCSC"));
        let mut wrong = IndicatorInput::new(IndicatorKind::Ip, "192.0.2.1");
        wrong.meta.confidence = Some(150);
        let err = store
            .import_indicators(&admin, vec![wrong])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("confidence"), "{err}");
    }
}

#[tokio::test]
async fn indicator_import_is_all_or_nothing_and_upserts() {
    for t in test_stores().await {
        let store = &*t.store;
        let admin = Actor::system("t");
        let good = IndicatorInput::new(IndicatorKind::Ip, "203.0.113[.]5");
        let bad = IndicatorInput::new(IndicatorKind::Sha256, "abc");
        let err = store
            .import_indicators(&admin, vec![good.clone(), bad])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("[2].value"), "{}: {err}", t.name);
        assert_eq!(
            store
                .list_indicators(&IndicatorFilter::default(), &all())
                .await
                .unwrap()
                .total,
            0,
            "{}: nothing imported",
            t.name
        );
        let done = store
            .import_indicators(
                &admin,
                vec![
                    good.clone(),
                    IndicatorInput::new(IndicatorKind::Domain, "Evil.Example"),
                ],
            )
            .await
            .unwrap();
        assert_eq!((done.created, done.updated), (2, 0));
        let mut changed = good.clone();
        changed.description = "C2 của chiến dịch".into();
        changed.expires_at = Some("2020-01-01T00:00:00Z".parse().unwrap());
        let again = store
            .import_indicators(&admin, vec![changed])
            .await
            .unwrap();
        assert_eq!((again.created, again.updated), (0, 1));
        let active = store.active_indicators(Timestamp::now()).await.unwrap();
        assert_eq!(active.len(), 1, "{}: the expired one is not active", t.name);
        assert_eq!(active[0].value, "evil.example");
        assert!(matches!(
            store.import_indicators(&officer(vec![1]), vec![good]).await,
            Err(StoreError::OutOfScope(_))
        ));
        let ips = store
            .list_indicators(
                &IndicatorFilter {
                    kind: Some(IndicatorKind::Ip),
                },
                &all(),
            )
            .await
            .unwrap();
        assert_eq!(ips.items[0].value, "203.0.113.5");
        store
            .delete_indicator(&admin, ips.items[0].id)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn overrides_and_suppressions_respect_scope_and_change_the_stamp() {
    for t in test_stores().await {
        let store = &*t.store;
        let admin = Actor::system("t");
        let (a, b) = two_units(store).await;
        let stamp0 = store.detection_stamp().await.unwrap();
        let officer_a = officer(vec![a]);
        let global = RuleOverride {
            rule_key: "r1".into(),
            unit_id: None,
            enabled: false,
            severity: None,
        };
        assert!(matches!(
            store.set_rule_override(&officer_a, global.clone()).await,
            Err(StoreError::OutOfScope(_))
        ));
        store
            .set_rule_override(&admin, global.clone())
            .await
            .unwrap();
        let for_a = RuleOverride {
            unit_id: Some(a),
            enabled: true,
            severity: Some(Severity::Critical),
            ..global.clone()
        };
        store
            .set_rule_override(&officer_a, for_a.clone())
            .await
            .unwrap();
        // Setting again replaces, not duplicates.
        store
            .set_rule_override(&officer_a, for_a.clone())
            .await
            .unwrap();
        assert_eq!(store.rule_overrides().await.unwrap(), vec![global, for_a]);
        let stamp1 = store.detection_stamp().await.unwrap();
        assert_ne!(stamp0, stamp1, "{}", t.name);

        let sup = Suppression {
            id: 0,
            rule_key: Some("r1".into()),
            unit_id: Some(b),
            field: "host".into(),
            value: "scanner01".into(),
            comment: "máy quét nội bộ".into(),
            expires_at: None,
        };
        assert!(matches!(
            store.create_suppression(&officer_a, sup.clone()).await,
            Err(StoreError::OutOfScope(_))
        ));
        let stored = store.create_suppression(&admin, sup).await.unwrap();
        assert!(store
            .list_suppressions(&officer_a.scope)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store.list_suppressions(&Scope::All).await.unwrap(),
            vec![stored.clone()]
        );
        assert!(matches!(
            store.delete_suppression(&officer_a, stored.id).await,
            Err(StoreError::NotFound { .. })
        ));
        store.delete_suppression(&admin, stored.id).await.unwrap();
        store
            .delete_rule_override(&officer_a, "r1", Some(a))
            .await
            .unwrap();
        assert_ne!(store.detection_stamp().await.unwrap(), stamp1, "{}", t.name);
    }
}

#[tokio::test]
async fn bursts_add_their_counts_and_widen_the_time_range() {
    for t in test_stores().await {
        let store = &*t.store;
        let (a, _) = two_units(store).await;
        let t0: Timestamp = "2026-11-26T02:00:00Z".parse().unwrap();
        let window = SignedDuration::from_mins(10);
        let first = store
            .record_alerts(&[draft("r9", Some(a), "h", t0)], window)
            .await
            .unwrap();
        let burst = store
            .record_alert_bursts(
                &[(
                    draft("r9", Some(a), "h", t0 + SignedDuration::from_mins(2)),
                    499,
                    t0 - SignedDuration::from_secs(30),
                )],
                window,
            )
            .await
            .unwrap();
        assert_eq!(first, burst, "{}", t.name);
        let alert = store.get_alert(&Scope::All, first[0]).await.unwrap();
        assert_eq!(alert.count, 500, "{}", t.name);
        assert_eq!(alert.first_seen, t0 - SignedDuration::from_secs(30));
        assert_eq!(alert.last_seen, t0 + SignedDuration::from_mins(2));
        let fresh = store
            .record_alert_bursts(&[(draft("r10", None, "h", t0), 7, t0)], window)
            .await
            .unwrap();
        assert_eq!(
            store.get_alert(&Scope::All, fresh[0]).await.unwrap().count,
            7
        );
    }
}
