//! Monitors, checks, rollups, outages, defacement baselines, maintenance windows and probes on
//! every backend `test_stores()` gives.
#![allow(clippy::unwrap_used)]

use canhgac_model::{
    Actor, AlertDraft, AlertSource, AlertStatus, AssetInput, AssetKind, AuditFilter, CheckResult,
    Id, MaintenanceWindow, MonitorFilter, MonitorInput, MonitorKind, MonitorStateUpdate,
    MonitorStatus, PageRequest, PageSnapshot, Scope, Severity, SystemInput, SystemKind, Timestamp,
    UnitInput, UnitKind, LOCAL_PROBE,
};
use canhgac_store::testing::test_stores;
use canhgac_store::{Store, StoreError, WatchSummary};
use jiff::SignedDuration;

fn officer(units: Vec<Id>) -> Actor {
    Actor {
        user_id: None,
        name: "officer".into(),
        scope: Scope::Units(units),
    }
}

fn admin() -> Actor {
    Actor::system("t")
}

fn all() -> PageRequest {
    PageRequest::new(1, 100)
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

/// Two root units, each with a portal system and one asset.
struct Fixture {
    unit_a: Id,
    unit_b: Id,
    system_a: Id,
    asset_a: Id,
    asset_b: Id,
}

async fn fixture(store: &dyn Store) -> Fixture {
    let unit_a = store
        .create_unit(&admin(), UnitInput::new("Sở A", UnitKind::Department, None))
        .await
        .unwrap()
        .id;
    let unit_b = store
        .create_unit(&admin(), UnitInput::new("Sở B", UnitKind::Department, None))
        .await
        .unwrap()
        .id;
    let mut assets = Vec::new();
    let mut systems = Vec::new();
    for (unit, host) in [(unit_a, "a.gov.vn"), (unit_b, "b.gov.vn")] {
        let system = store
            .create_system(
                &admin(),
                SystemInput::new(format!("Cổng {host}"), SystemKind::Portal, unit),
            )
            .await
            .unwrap();
        let mut asset = AssetInput::new(AssetKind::Domain, host);
        asset.system_id = system.id;
        assets.push(store.create_asset(&admin(), asset).await.unwrap().id);
        systems.push(system.id);
    }
    Fixture {
        unit_a,
        unit_b,
        system_a: systems[0],
        asset_a: assets[0],
        asset_b: assets[1],
    }
}

fn http(asset: Id, url: &str) -> MonitorInput {
    MonitorInput::new(asset, &format!("Cổng {url}"), MonitorKind::Http, url)
}

fn check(monitor: Id, time: Timestamp, ok: bool, latency: Option<u32>) -> CheckResult {
    CheckResult {
        monitor_id: monitor,
        probe: LOCAL_PROBE.into(),
        at: time,
        ok,
        latency_ms: latency,
        message: if ok {
            "HTTP 200".into()
        } else {
            "hết thời gian chờ".into()
        },
        details: serde_json::json!({"ok": ok}),
    }
}

fn state(status: MonitorStatus, failures: u32) -> MonitorStateUpdate {
    MonitorStateUpdate {
        status,
        consecutive_failures: failures,
        outage_started: None,
        outage_ended: false,
    }
}

fn snapshot(title: &str) -> PageSnapshot {
    PageSnapshot {
        title: title.into(),
        text: format!("{title} nội dung"),
        structure: vec!["html/body/div".into()],
        external_scripts: Vec::new(),
        iframes: Vec::new(),
        size: 1200,
        notes: Vec::new(),
    }
}

#[tokio::test]
async fn monitors_are_created_changed_and_deleted_with_audit_and_validation() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let mut input = http(f.asset_a, " https://a.gov.vn/ ");
        input.probes = vec![" Hanoi ".into(), "hanoi".into()];
        let created = store.create_monitor(&admin(), input).await.unwrap();
        assert_eq!(created.input.target, "https://a.gov.vn/", "{}", t.name);
        assert_eq!(created.input.probes, vec!["hanoi".to_string()]);
        assert_eq!(created.unit_id, f.unit_a);
        assert_eq!(created.system_id, f.system_a);
        assert_eq!(created.status, MonitorStatus::Pending);
        assert_eq!(created.status_since, Some(created.created_at));
        assert!(!created.automatic);
        assert_eq!(
            store.get_monitor(&Scope::All, created.id).await.unwrap(),
            created,
            "{}",
            t.name
        );

        // Validation names the field.
        let mut bad = http(f.asset_a, "https://a.gov.vn/");
        bad.name = "  ".into();
        let err = store.create_monitor(&admin(), bad).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(e) if e.field == "name"),
            "{err:?}"
        );
        let mut bad = http(f.asset_a, "https://a.gov.vn/");
        bad.interval_secs = 5;
        let err = store.create_monitor(&admin(), bad).await.unwrap_err();
        assert!(matches!(&err, StoreError::Invalid(e) if e.field == "interval_secs"));
        let err = store
            .create_monitor(&admin(), http(9_999, "https://a.gov.vn/"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(e) if e.field == "asset_id"),
            "{err:?}"
        );
        let mut bad = created.input.clone();
        bad.timeout_secs = 0;
        let err = store
            .update_monitor(&admin(), created.id, bad)
            .await
            .unwrap_err();
        assert!(matches!(&err, StoreError::Invalid(e) if e.field == "timeout_secs"));

        // A change keeps the state; switching off pauses.
        let mut change = created.input.clone();
        change.name = "Cổng thông tin A".into();
        change.enabled = false;
        let updated = store
            .update_monitor(&admin(), created.id, change)
            .await
            .unwrap();
        assert_eq!(updated.input.name, "Cổng thông tin A");
        assert_eq!(updated.status, MonitorStatus::Paused);
        assert!(updated.updated_at >= created.updated_at);
        assert_eq!(updated.created_at, created.created_at);
        let listed = store
            .list_monitors(&Scope::All, &MonitorFilter::default(), &all())
            .await
            .unwrap();
        assert_eq!(listed.total, 1);
        assert_eq!(listed.items[0], updated);
        let found = store
            .list_monitors(
                &Scope::All,
                &MonitorFilter {
                    q: Some("THÔNG TIN".into()),
                    ..Default::default()
                },
                &all(),
            )
            .await
            .unwrap();
        assert_eq!(found.total, 1, "{}: Vietnamese search", t.name);
        assert!(store.enabled_monitors().await.unwrap().is_empty());

        store.delete_monitor(&admin(), created.id).await.unwrap();
        assert!(matches!(
            store.get_monitor(&Scope::All, created.id).await,
            Err(StoreError::NotFound { .. })
        ));
        let audit = store
            .list_audit(
                &AuditFilter {
                    entity: Some("monitor".into()),
                    entity_id: Some(created.id),
                    actor: None,
                },
                &all(),
            )
            .await
            .unwrap();
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["delete", "update", "create"], "{}", t.name);
    }
}

#[tokio::test]
async fn officers_of_another_unit_see_nothing_of_a_monitor() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let m = store
            .create_monitor(&admin(), http(f.asset_a, "https://a.gov.vn/"))
            .await
            .unwrap();
        let t0 = at("2026-11-26T01:10:00Z");
        store
            .record_check(
                &check(m.id, t0, false, None),
                &MonitorStateUpdate {
                    outage_started: Some("down".into()),
                    ..state(MonitorStatus::Down, 1)
                },
            )
            .await
            .unwrap();
        store.set_baseline(m.id, &snapshot("A"), t0).await.unwrap();
        let window = store
            .create_maintenance(
                &admin(),
                MaintenanceWindow {
                    id: 0,
                    monitor_id: m.id,
                    starts_at: t0,
                    ends_at: t0 + mins(60),
                    reason: "nâng cấp".into(),
                },
            )
            .await
            .unwrap();

        let b = officer(vec![f.unit_b]);
        let not_found = |r: Result<(), StoreError>| {
            assert!(
                matches!(r, Err(StoreError::NotFound { .. })),
                "{}: {r:?}",
                t.name
            )
        };
        not_found(store.get_monitor(&b.scope, m.id).await.map(drop));
        not_found(
            store
                .update_monitor(&b, m.id, m.input.clone())
                .await
                .map(drop),
        );
        not_found(store.delete_monitor(&b, m.id).await);
        not_found(store.outages(&b.scope, m.id, 10).await.map(drop));
        not_found(store.defacement_baseline(&b.scope, m.id).await.map(drop));
        not_found(store.recent_checks(&b.scope, m.id, t0, 10).await.map(drop));
        not_found(store.latest_checks_by_probe(&b.scope, m.id).await.map(drop));
        not_found(
            store
                .monitor_rollups(&b.scope, m.id, t0 - mins(60), t0 + mins(60))
                .await
                .map(drop),
        );
        not_found(store.approve_candidate(&b, m.id).await.map(drop));
        not_found(
            store
                .list_maintenance(&b.scope, Some(m.id), t0)
                .await
                .map(drop),
        );
        not_found(store.delete_maintenance(&b, window.id).await);
        let listed = store
            .list_monitors(&b.scope, &MonitorFilter::default(), &all())
            .await
            .unwrap();
        assert_eq!(listed.total, 0);
        assert!(store
            .availability(&b.scope, &[m.id], t0 + mins(10))
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .list_maintenance(&b.scope, None, t0)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store.watch_summary(&b.scope).await.unwrap(),
            WatchSummary::default()
        );
        assert!(matches!(
            store
                .create_monitor(&b, http(f.asset_a, "https://a.gov.vn/x"))
                .await,
            Err(StoreError::OutOfScope(_))
        ));
        assert!(matches!(
            store
                .create_monitor(&b, http(9_999, "https://a.gov.vn/x"))
                .await,
            Err(StoreError::OutOfScope(_))
        ));
        let mut moved = m.input.clone();
        moved.asset_id = f.asset_b;
        assert!(matches!(
            store
                .update_monitor(&officer(vec![f.unit_a]), m.id, moved)
                .await,
            Err(StoreError::OutOfScope(_))
        ));

        // The owner unit's officer sees it all.
        let a = officer(vec![f.unit_a]);
        assert_eq!(store.get_monitor(&a.scope, m.id).await.unwrap().id, m.id);
        assert_eq!(store.outages(&a.scope, m.id, 10).await.unwrap().len(), 1);
        assert_eq!(store.watch_summary(&a.scope).await.unwrap().down, 1);

        // The scope follows the system when it changes owner.
        let system = store.get_system(&Scope::All, f.system_a).await.unwrap();
        let mut input = SystemInput::from(&system);
        input.owner_unit_id = f.unit_b;
        store
            .update_system(&admin(), f.system_a, input)
            .await
            .unwrap();
        let seen = store.get_monitor(&b.scope, m.id).await.unwrap();
        assert_eq!(seen.unit_id, f.unit_b, "{}", t.name);
        assert!(store.get_monitor(&a.scope, m.id).await.is_err());
    }
}

#[tokio::test]
async fn checks_build_rollups_availability_outages_and_status_since() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let m = store
            .create_monitor(&admin(), http(f.asset_a, "https://a.gov.vn/"))
            .await
            .unwrap();
        let idle = store
            .create_monitor(&admin(), http(f.asset_a, "https://a.gov.vn/idle"))
            .await
            .unwrap();
        let t0 = at("2026-11-26T01:10:00Z");
        let stamp = store.watch_stamp().await.unwrap();

        store
            .record_check(
                &check(m.id, t0, true, Some(100)),
                &state(MonitorStatus::Up, 0),
            )
            .await
            .unwrap();
        store
            .record_check(
                &check(m.id, t0 + mins(1), true, Some(300)),
                &state(MonitorStatus::Up, 0),
            )
            .await
            .unwrap();
        let up = store.get_monitor(&Scope::All, m.id).await.unwrap();
        assert_eq!(up.status, MonitorStatus::Up, "{}", t.name);
        assert_eq!(
            up.status_since,
            Some(t0),
            "unchanged status keeps its start"
        );
        assert_eq!(up.last_check_at, Some(t0 + mins(1)));
        assert_eq!(up.last_latency_ms, Some(300));
        assert_eq!(up.updated_at, m.updated_at, "checks are not user changes");

        let down = MonitorStateUpdate {
            outage_started: Some("hết thời gian chờ".into()),
            ..state(MonitorStatus::Down, 1)
        };
        store
            .record_check(&check(m.id, t0 + mins(2), false, None), &down)
            .await
            .unwrap();
        let again = MonitorStateUpdate {
            consecutive_failures: 2,
            ..down.clone()
        };
        store
            .record_check(&check(m.id, t0 + mins(3), false, None), &again)
            .await
            .unwrap();
        let m_down = store.get_monitor(&Scope::All, m.id).await.unwrap();
        assert_eq!(m_down.status, MonitorStatus::Down);
        assert_eq!(m_down.status_since, Some(t0 + mins(2)));
        assert_eq!(m_down.consecutive_failures, 2);
        assert_eq!(m_down.last_latency_ms, None);
        assert_eq!(m_down.last_message.as_deref(), Some("hết thời gian chờ"));
        let open = store.outages(&Scope::All, m.id, 10).await.unwrap();
        assert_eq!(open.len(), 1, "{}: one outage while down", t.name);
        assert_eq!(open[0].ended_at, None);
        assert_eq!(open[0].started_at, t0 + mins(2));

        store
            .record_check(
                &check(m.id, t0 + mins(65), true, Some(50)),
                &MonitorStateUpdate {
                    outage_ended: true,
                    ..state(MonitorStatus::Up, 0)
                },
            )
            .await
            .unwrap();
        let outages = store.outages(&Scope::All, m.id, 10).await.unwrap();
        assert_eq!(outages.len(), 1);
        assert_eq!(outages[0].ended_at, Some(t0 + mins(65)));
        assert_eq!(outages[0].reason, "hết thời gian chờ");
        let recovered = store.get_monitor(&Scope::All, m.id).await.unwrap();
        assert_eq!(recovered.status_since, Some(t0 + mins(65)));
        assert_eq!(
            store.watch_stamp().await.unwrap(),
            stamp,
            "checks keep the stamp"
        );

        let rollups = store
            .monitor_rollups(&Scope::All, m.id, t0 - mins(120), t0 + mins(120))
            .await
            .unwrap();
        assert_eq!(rollups.len(), 2, "{}", t.name);
        assert_eq!(rollups[0].hour, at("2026-11-26T01:00:00Z"));
        assert_eq!(
            (
                rollups[0].checks,
                rollups[0].ups,
                rollups[0].latency_sum_ms,
                rollups[0].latency_count,
                rollups[0].latency_max_ms
            ),
            (4, 2, 400, 2, 300)
        );
        assert_eq!(rollups[1].hour, at("2026-11-26T02:00:00Z"));
        assert_eq!((rollups[1].checks, rollups[1].ups), (1, 1));
        let only_first = store
            .monitor_rollups(
                &Scope::All,
                m.id,
                t0 - mins(120),
                at("2026-11-26T02:00:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(only_first.len(), 1, "the end is exclusive");

        let avail = store
            .availability(&Scope::All, &[m.id, idle.id, 9_999], t0 + mins(120))
            .await
            .unwrap();
        assert_eq!(avail.len(), 2, "{}: unknown ids are left out", t.name);
        assert_eq!(avail[0].0, m.id);
        assert_eq!(avail[0].1.day, Some(60.0));
        assert_eq!(avail[0].1.week, Some(60.0));
        assert_eq!(avail[0].1.month, Some(60.0));
        assert_eq!(avail[1].0, idle.id);
        assert_eq!(avail[1].1.day, None);
        let later = store
            .availability(&Scope::All, &[m.id], at("2026-11-28T12:00:00Z"))
            .await
            .unwrap();
        assert_eq!(later[0].1.day, None, "nothing in the last day");
        assert_eq!(later[0].1.week, Some(60.0));

        let recent = store
            .recent_checks(&Scope::All, m.id, t0, 10)
            .await
            .unwrap();
        assert_eq!(recent.len(), 5);
        assert_eq!(recent[0].at, t0 + mins(65), "newest first");
        assert_eq!(recent[0].details, serde_json::json!({"ok": true}));
        assert_eq!(
            store
                .recent_checks(&Scope::All, m.id, t0 + mins(2), 2)
                .await
                .unwrap()
                .len(),
            2
        );

        let mut remote = check(m.id, t0 + mins(66), false, Some(9000));
        remote.probe = "hanoi".into();
        store
            .record_check(&remote, &state(MonitorStatus::Up, 0))
            .await
            .unwrap();
        let latest = store
            .latest_checks_by_probe(&Scope::All, m.id)
            .await
            .unwrap();
        let probes: Vec<(&str, bool)> = latest.iter().map(|c| (c.probe.as_str(), c.ok)).collect();
        assert_eq!(
            probes,
            vec![("hanoi", false), (LOCAL_PROBE, true)],
            "{}",
            t.name
        );

        // Pruning: raw checks before 02:00 and rollups before 01:10 (the 01:00 hour) go.
        let gone = store
            .prune_checks(at("2026-11-26T02:00:00Z"), t0)
            .await
            .unwrap();
        assert_eq!(gone, 4 + 1, "{}", t.name);
        assert_eq!(
            store
                .recent_checks(&Scope::All, m.id, t0 - mins(60), 10)
                .await
                .unwrap()
                .len(),
            2
        );
        let left = store
            .monitor_rollups(&Scope::All, m.id, t0 - mins(120), t0 + mins(120))
            .await
            .unwrap();
        assert_eq!(left.len(), 2, "the 02:00 rollups of both probes stay");

        // Deleting the monitor takes its history with it.
        store.delete_monitor(&admin(), m.id).await.unwrap();
        let everything = at("2100-01-01T00:00:00Z");
        assert_eq!(
            store.prune_checks(everything, everything).await.unwrap(),
            0,
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn automatic_monitors_are_not_duplicated_nor_brought_back_after_deletion() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let portal = http(f.asset_a, "https://a.gov.vn/");
        let tls = MonitorInput::new(f.asset_a, "TLS", MonitorKind::Tls, "a.gov.vn:443");
        let mut invalid = http(f.asset_a, "ftp://a.gov.vn/");
        invalid.name = "sai".into();
        let added = store
            .create_automatic_monitors(vec![
                portal.clone(),
                tls.clone(),
                portal.clone(),
                invalid,
                http(9_999, "https://x.gov.vn/"),
            ])
            .await
            .unwrap();
        assert_eq!(added, 2, "{}", t.name);
        let again = store
            .create_automatic_monitors(vec![portal.clone(), tls.clone()])
            .await
            .unwrap();
        assert_eq!(again, 0);
        let monitors = store
            .list_monitors(&Scope::All, &MonitorFilter::default(), &all())
            .await
            .unwrap()
            .items;
        assert!(monitors.iter().all(|m| m.automatic));
        let portal_m = monitors
            .iter()
            .find(|m| m.input.kind == MonitorKind::Http)
            .unwrap();
        let tls_m = monitors
            .iter()
            .find(|m| m.input.kind == MonitorKind::Tls)
            .unwrap();

        // A user deletes one and edits the other's target.
        store.delete_monitor(&admin(), portal_m.id).await.unwrap();
        let mut edit = tls_m.input.clone();
        edit.target = "mail.a.gov.vn:443".into();
        let edited = store
            .update_monitor(&admin(), tls_m.id, edit)
            .await
            .unwrap();
        assert!(!edited.automatic, "a user's edit clears automatic");
        let after = store
            .create_automatic_monitors(vec![portal.clone(), tls.clone()])
            .await
            .unwrap();
        assert_eq!(after, 0, "{}: neither comes back", t.name);

        // Another asset gets its own, but only for a target its system's assets cover.
        let outside = store
            .create_automatic_monitors(vec![http(f.asset_b, "https://a.gov.vn/")])
            .await
            .unwrap();
        assert_eq!(outside, 0, "{}: a.gov.vn is not system B's", t.name);
        let other = store
            .create_automatic_monitors(vec![http(f.asset_b, "https://b.gov.vn/lien-he")])
            .await
            .unwrap();
        assert_eq!(other, 1);
        // A user's own monitor of the same kind and target counts too.
        store
            .create_monitor(&admin(), http(f.asset_b, "https://b.gov.vn/"))
            .await
            .unwrap();
        assert_eq!(
            store
                .create_automatic_monitors(vec![http(f.asset_b, "https://b.gov.vn/")])
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn approving_a_candidate_makes_it_the_baseline_and_resolves_the_defacement_alert() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let m = store
            .create_monitor(&admin(), http(f.asset_a, "https://a.gov.vn/"))
            .await
            .unwrap();
        let t0 = at("2026-11-26T01:10:00Z");
        assert_eq!(
            store.defacement_baseline(&Scope::All, m.id).await.unwrap(),
            None
        );
        assert!(matches!(
            store.set_candidate(m.id, Some(&snapshot("x")), t0).await,
            Err(StoreError::NotFound { .. })
        ));
        store
            .set_baseline(m.id, &snapshot("Cổng A"), t0)
            .await
            .unwrap();
        let err = store.approve_candidate(&admin(), m.id).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(e) if e.field == "candidate"),
            "{err:?}"
        );
        store
            .set_candidate(m.id, Some(&snapshot("Hacked by X")), t0 + mins(5))
            .await
            .unwrap();
        let pending = store
            .defacement_baseline(&Scope::All, m.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pending.baseline.title, "Cổng A", "{}", t.name);
        assert_eq!(pending.candidate.as_ref().unwrap().title, "Hacked by X");
        assert_eq!(pending.candidate_at, Some(t0 + mins(5)));
        assert_eq!(pending.approved_by, None);

        let draft = |rule: String| AlertDraft {
            source: AlertSource::Monitor,
            rule_key: rule,
            title: "Trang bị thay đổi giao diện".into(),
            severity: Severity::High,
            tags: Vec::new(),
            unit_id: Some(f.unit_a),
            host: Some("a.gov.vn".into()),
            time: t0 + mins(5),
            evidence: serde_json::json!({"diff": "-Cổng A\n+Hacked by X"}),
        };
        let ids = store
            .record_alerts(
                &[
                    draft(format!("watch:defacement:{}", m.id)),
                    draft(format!("watch:down:{}", m.id)),
                ],
                SignedDuration::from_mins(10),
            )
            .await
            .unwrap();

        let approver = Actor {
            user_id: None,
            name: "analyst".into(),
            scope: Scope::Units(vec![f.unit_a]),
        };
        let approved = store.approve_candidate(&approver, m.id).await.unwrap();
        assert_eq!(approved.baseline.title, "Hacked by X");
        assert_eq!(approved.approved_by.as_deref(), Some("analyst"));
        assert_eq!(approved.candidate, None);
        assert_eq!(
            store.defacement_baseline(&Scope::All, m.id).await.unwrap(),
            Some(approved.clone()),
            "{}",
            t.name
        );
        let defaced = store.get_alert(&Scope::All, ids[0]).await.unwrap();
        assert_eq!(defaced.status, AlertStatus::Resolved, "{}", t.name);
        assert!(defaced.comment.unwrap().contains("analyst"));
        let down = store.get_alert(&Scope::All, ids[1]).await.unwrap();
        assert_eq!(down.status, AlertStatus::New, "other rule keys stay open");
        let audit = store
            .list_audit(
                &AuditFilter {
                    entity: Some("defacement_baseline".into()),
                    entity_id: Some(m.id),
                    actor: None,
                },
                &all(),
            )
            .await
            .unwrap();
        assert_eq!(audit.total, 1);

        // The engine resolves its own alerts by rule key.
        let resolved = store
            .resolve_monitor_alerts(&format!("watch:down:{}", m.id), "Đã hoạt động trở lại")
            .await
            .unwrap();
        assert_eq!(resolved, 1);
        let down = store.get_alert(&Scope::All, ids[1]).await.unwrap();
        assert_eq!(down.status, AlertStatus::Resolved);
        assert_eq!(down.comment.as_deref(), Some("Đã hoạt động trở lại"));

        // A new capture, then cleared when the page is back to the baseline.
        store
            .set_candidate(m.id, Some(&snapshot("Khác")), t0 + mins(9))
            .await
            .unwrap();
        store
            .set_candidate(m.id, None, t0 + mins(10))
            .await
            .unwrap();
        let cleared = store
            .defacement_baseline(&Scope::All, m.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cleared.candidate, None);
        assert_eq!(cleared.candidate_at, None);
    }
}

#[tokio::test]
async fn maintenance_windows_are_listed_active_and_deleted() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let m = store
            .create_monitor(&admin(), http(f.asset_a, "https://a.gov.vn/"))
            .await
            .unwrap();
        let now = at("2026-11-26T08:00:00Z");
        let window = |from: i64, to: i64| MaintenanceWindow {
            id: 0,
            monitor_id: m.id,
            starts_at: now + mins(from),
            ends_at: now + mins(to),
            reason: " Nâng cấp máy chủ ".into(),
        };
        let err = store
            .create_maintenance(&admin(), window(60, 60))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(e) if e.field == "ends_at"),
            "{err:?}"
        );
        let err = store
            .create_maintenance(
                &admin(),
                MaintenanceWindow {
                    monitor_id: 9_999,
                    ..window(0, 60)
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(e) if e.field == "monitor_id"),
            "{err:?}"
        );

        let stamp = store.watch_stamp().await.unwrap();
        let a = officer(vec![f.unit_a]);
        let active = store.create_maintenance(&a, window(-60, 60)).await.unwrap();
        assert_eq!(active.reason, "Nâng cấp máy chủ");
        assert_ne!(store.watch_stamp().await.unwrap(), stamp, "{}", t.name);
        let future = store
            .create_maintenance(&a, window(120, 180))
            .await
            .unwrap();
        store
            .create_maintenance(&a, window(-180, -120))
            .await
            .unwrap();

        let listed = store.list_maintenance(&a.scope, None, now).await.unwrap();
        assert_eq!(
            listed.iter().map(|w| w.id).collect::<Vec<_>>(),
            vec![active.id, future.id],
            "{}: ended windows are left out",
            t.name
        );
        assert_eq!(
            store
                .list_maintenance(&Scope::All, Some(m.id), now)
                .await
                .unwrap(),
            listed
        );
        let covering: Vec<_> = listed.iter().filter(|w| w.covers(now)).cloned().collect();
        assert_eq!(covering, vec![active.clone()]);
        assert!(covering[0].covers(now));

        let stamp = store.watch_stamp().await.unwrap();
        store.delete_maintenance(&a, active.id).await.unwrap();
        assert_ne!(store.watch_stamp().await.unwrap(), stamp, "{}", t.name);
        assert!(store
            .list_maintenance(&Scope::All, None, now)
            .await
            .unwrap()
            .iter()
            .all(|w| !w.covers(now)));
        assert!(matches!(
            store.delete_maintenance(&a, active.id).await,
            Err(StoreError::NotFound { .. })
        ));
        let audit = store
            .list_audit(
                &AuditFilter {
                    entity: Some("maintenance_window".into()),
                    entity_id: Some(active.id),
                    actor: None,
                },
                &all(),
            )
            .await
            .unwrap();
        assert_eq!(audit.total, 2);
    }
}

#[tokio::test]
async fn public_status_summary_probes_and_the_stamp() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let s0 = store.watch_stamp().await.unwrap();
        let mut public = http(f.asset_a, "https://a.gov.vn/");
        public.public = true;
        public.name = "Cổng thông tin tỉnh".into();
        let public = store.create_monitor(&admin(), public).await.unwrap();
        let s1 = store.watch_stamp().await.unwrap();
        assert_ne!(s0, s1, "{}", t.name);
        let down = store
            .create_monitor(&admin(), http(f.asset_a, "https://a.gov.vn/mail"))
            .await
            .unwrap();
        store
            .create_monitor(&admin(), http(f.asset_b, "https://b.gov.vn/"))
            .await
            .unwrap();
        let t0 = Timestamp::now() - mins(30);
        store
            .record_check(
                &check(public.id, t0, true, Some(20)),
                &state(MonitorStatus::Up, 0),
            )
            .await
            .unwrap();
        store
            .record_check(
                &check(down.id, t0, false, None),
                &state(MonitorStatus::Down, 3),
            )
            .await
            .unwrap();

        let shown = store.public_status(Timestamp::now()).await.unwrap();
        assert_eq!(shown.len(), 1, "{}", t.name);
        assert_eq!(shown[0].name, "Cổng thông tin tỉnh");
        assert_eq!(shown[0].status, MonitorStatus::Up);
        assert_eq!(shown[0].availability.day, Some(100.0));

        assert_eq!(
            store.watch_summary(&Scope::All).await.unwrap(),
            WatchSummary {
                total: 3,
                up: 1,
                down: 1,
                flapping: 0,
                other: 1
            },
            "{}",
            t.name
        );
        assert_eq!(
            store
                .watch_summary(&Scope::Units(vec![f.unit_a]))
                .await
                .unwrap()
                .total,
            2
        );
        // The scheduler sees every enabled monitor whatever the scope.
        assert_eq!(store.enabled_monitors().await.unwrap().len(), 3);

        // Updates and deletes move the stamp, including deletes through the asset.
        let s2 = store.watch_stamp().await.unwrap();
        let mut renamed = down.input.clone();
        renamed.name = "Thư điện tử".into();
        store
            .update_monitor(&admin(), down.id, renamed)
            .await
            .unwrap();
        let s3 = store.watch_stamp().await.unwrap();
        assert_ne!(s2, s3);
        store.delete_monitor(&admin(), down.id).await.unwrap();
        let s4 = store.watch_stamp().await.unwrap();
        assert_ne!(s3, s4, "{}: a delete moves the stamp", t.name);
        store.delete_asset(&admin(), f.asset_b).await.unwrap();
        let s5 = store.watch_stamp().await.unwrap();
        assert_ne!(s4, s5, "{}: monitors deleted with their asset", t.name);
        assert_eq!(store.enabled_monitors().await.unwrap().len(), 1);

        // Probes.
        let seen = at("2026-11-26T08:00:00Z");
        store
            .touch_probe("hanoi", Some("10.0.0.5"), seen)
            .await
            .unwrap();
        store
            .touch_probe("hanoi", None, seen + mins(1))
            .await
            .unwrap();
        store.touch_probe("cloud", None, seen).await.unwrap();
        let probes = store.list_probes().await.unwrap();
        assert_eq!(probes.len(), 2);
        assert_eq!(probes[0].name, "cloud");
        assert_eq!(probes[1].last_seen, seen + mins(1));
        assert_eq!(probes[1].address.as_deref(), Some("10.0.0.5"));
    }
}

#[tokio::test]
async fn names_tell_the_monitors_of_one_asset_apart() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let first = store
            .create_monitor(&admin(), http(f.asset_a, "https://a.gov.vn/"))
            .await
            .unwrap();
        // The same name on the same asset is refused, naming the field ...
        let mut twin = http(f.asset_a, "https://a.gov.vn/lien-he");
        twin.name = first.input.name.clone();
        match store.create_monitor(&admin(), twin.clone()).await {
            Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "name"),
            other => panic!("expected a name conflict, got {other:?}"),
        }
        // ... also when renaming another monitor to it; on another asset the name is free.
        let other = store
            .create_monitor(&admin(), http(f.asset_a, "https://a.gov.vn/tin-tuc"))
            .await
            .unwrap();
        match store.update_monitor(&admin(), other.id, twin.clone()).await {
            Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "name"),
            other => panic!("expected a name conflict, got {other:?}"),
        }
        twin.asset_id = f.asset_b;
        twin.target = "https://b.gov.vn/lien-he".into();
        store.create_monitor(&admin(), twin).await.unwrap();
        // A target no asset of the system covers is refused, naming the field: monitors touch
        // only what is in the inventory.
        for target in [
            "https://evil.example.net/",
            "http://169.254.169.254/latest/",
        ] {
            match store
                .create_monitor(&admin(), http(f.asset_a, target))
                .await
            {
                Err(StoreError::Invalid(e)) => assert_eq!(e.field, "target"),
                other => panic!("{target}: expected a target error, got {other:?}"),
            }
        }
        let mut moved = store
            .get_monitor(&Scope::All, first.id)
            .await
            .unwrap()
            .input;
        moved.target = "https://b.gov.vn/".into();
        assert!(matches!(
            store.update_monitor(&admin(), first.id, moved).await,
            Err(StoreError::Invalid(_))
        ));
        // An automatic monitor whose name a user already took is not added.
        let mut automatic = http(f.asset_a, "https://a.gov.vn/trang-chu");
        automatic.name = first.input.name.clone();
        assert_eq!(
            store
                .create_automatic_monitors(vec![automatic])
                .await
                .unwrap(),
            0
        );
    }
}
