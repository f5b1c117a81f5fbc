//! Scans on the server: runs queued, claimed with a lease, reclaimed after a lapsed lease,
//! progress, cancel, finish with the findings diff, schedules and their due runs, and scope, on
//! every backend `test_stores()` gives.
#![allow(clippy::unwrap_used)]

use canhgac_model::scan_run::{
    ScanChange, ScanFilter, ScanFrequency, ScanRequest, ScanResult, ScanScheduleInput, ScanStatus,
};
use canhgac_model::{
    Actor, AssetInput, AssetKind, AuditFilter, FindingBatch, FindingDraft, FindingSnapshot,
    FindingSource, FindingStatus, Id, PageRequest, Scope, Severity, SystemInput, SystemKind,
    Timestamp, UnitInput, UnitKind,
};
use canhgac_store::testing::test_stores;
use canhgac_store::{Store, StoreError};

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

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn secs(t: Timestamp, s: i64) -> Timestamp {
    t + jiff::SignedDuration::from_secs(s)
}

struct Fixture {
    unit_a: Id,
    unit_b: Id,
    portal: Id,
    other: Id,
}

/// Unit A owns a portal (portal.a.gov.vn, 10.1.0.5); unit B owns a mail system (mail.b.gov.vn).
async fn fixture(store: &dyn Store) -> Fixture {
    let unit = |name: &'static str| async move {
        store
            .create_unit(&admin(), UnitInput::new(name, UnitKind::Department, None))
            .await
            .unwrap()
            .id
    };
    let unit_a = unit("Sở A").await;
    let unit_b = unit("Sở B").await;
    let portal = store
        .create_system(
            &admin(),
            SystemInput::new("Cổng A", SystemKind::Portal, unit_a),
        )
        .await
        .unwrap()
        .id;
    let other = store
        .create_system(
            &admin(),
            SystemInput::new("Thư B", SystemKind::Email, unit_b),
        )
        .await
        .unwrap()
        .id;
    for (system, kind, value) in [
        (portal, AssetKind::Domain, "portal.a.gov.vn"),
        (portal, AssetKind::Ip, "10.1.0.5"),
        (other, AssetKind::Domain, "mail.b.gov.vn"),
    ] {
        let mut input = AssetInput::new(kind, value);
        input.system_id = system;
        store.create_asset(&admin(), input).await.unwrap();
    }
    Fixture {
        unit_a,
        unit_b,
        portal,
        other,
    }
}

fn request(f: &Fixture) -> ScanRequest {
    ScanRequest {
        profile: "portal".into(),
        targets: vec!["portal.a.gov.vn".into(), "10.1.0.5".into()],
        system_id: Some(f.portal),
        unit_id: f.unit_a,
        schedule_id: None,
    }
}

fn issue(key: &str, observed: Timestamp) -> FindingDraft {
    FindingDraft {
        source: FindingSource::Scan,
        key: key.into(),
        category: "web_exposure".into(),
        title: format!("Lộ {key}"),
        severity: Severity::High,
        unit_id: None,
        system_id: None,
        asset_id: None,
        host: Some("10.1.0.5".into()),
        subject: format!("http://10.1.0.5/{key}"),
        evidence: serde_json::json!({"request": "GET"}),
        remediation: Some("Chặn truy cập".into()),
        observed_at: observed,
    }
}

fn batch(keys: &[&str], observed: Timestamp) -> FindingBatch {
    FindingBatch {
        findings: keys.iter().map(|k| issue(k, observed)).collect(),
        snapshot: Some(FindingSnapshot {
            source: FindingSource::Scan,
            categories: vec!["web_exposure".into()],
            unit_ids: Vec::new(),
            subject_prefix: None,
            hosts: vec!["10.1.0.5".into()],
        }),
    }
}

fn done(outcome: canhgac_model::FindingOutcome) -> ScanResult {
    ScanResult {
        status: ScanStatus::Done,
        error: None,
        hosts: 1,
        open_ports: 2,
        issues: outcome.created + outcome.updated + outcome.reopened,
        outcome,
        report: Some(serde_json::json!({"hosts": [{"name": "10.1.0.5", "services": []}]})),
    }
}

#[tokio::test]
async fn runs_are_claimed_progress_and_finish_with_their_findings_diff() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let a = officer(vec![f.unit_a]);
        let run = store.create_scan(&a, &request(&f)).await.unwrap();
        assert_eq!(run.status, ScanStatus::Queued);
        assert_eq!(run.system_name.as_deref(), Some("Cổng A"));
        assert_eq!(run.requested_by, "officer");

        let t0 = at("2026-11-26T01:00:00Z");
        let claimed = store.claim_scan(t0, secs(t0, 60)).await.unwrap().unwrap();
        assert_eq!((claimed.id, claimed.status), (run.id, ScanStatus::Running));
        assert!(
            store.claim_scan(t0, secs(t0, 60)).await.unwrap().is_none(),
            "a held run is not claimed twice"
        );
        assert!(store
            .scan_progress(run.id, 0.25, "dò cổng", secs(t0, 120))
            .await
            .unwrap());
        let seen = store.get_scan(&a.scope, run.id).await.unwrap();
        assert_eq!(seen.progress, 0.25);
        assert_eq!(seen.phase.as_deref(), Some("dò cổng"));

        // First run: two exposures.
        let outcome = store
            .record_findings(&admin(), &batch(&["git", "env"], t0))
            .await
            .unwrap();
        assert!(store.finish_scan(run.id, &done(outcome)).await.unwrap());
        let finished = store.get_scan(&a.scope, run.id).await.unwrap();
        assert_eq!(finished.status, ScanStatus::Done);
        assert_eq!(
            (
                finished.findings_created,
                finished.open_ports,
                finished.progress
            ),
            (2, 2, 1.0)
        );
        assert!(finished.report.unwrap()["hosts"].is_array());
        let diff = store.scan_findings(&a.scope, run.id).await.unwrap();
        assert_eq!(diff.len(), 2);
        assert!(diff.iter().all(|(c, _)| *c == ScanChange::New));

        // Second run: `.git` is gone (fixed), `.env` still there.
        let second = store.create_scan(&a, &request(&f)).await.unwrap();
        let t1 = secs(t0, 3600);
        store.claim_scan(t1, secs(t1, 60)).await.unwrap().unwrap();
        let outcome = store
            .record_findings(&admin(), &batch(&["env"], t1))
            .await
            .unwrap();
        assert_eq!(outcome.fixed_ids.len(), 1);
        assert_eq!(outcome.updated_ids.len(), 1);
        store.finish_scan(second.id, &done(outcome)).await.unwrap();
        let diff = store.scan_findings(&a.scope, second.id).await.unwrap();
        let by_change = |change: ScanChange| -> Vec<String> {
            diff.iter()
                .filter(|(c, _)| *c == change)
                .map(|(_, f)| f.key.clone())
                .collect()
        };
        assert_eq!(by_change(ScanChange::Fixed), vec!["git".to_string()]);
        assert_eq!(by_change(ScanChange::Open), vec!["env".to_string()]);
        assert!(by_change(ScanChange::New).is_empty());
        let fixed = &diff
            .iter()
            .find(|(c, _)| *c == ScanChange::Fixed)
            .unwrap()
            .1;
        assert_eq!(fixed.status, FindingStatus::Fixed);
        assert_eq!(
            store
                .get_scan(&a.scope, second.id)
                .await
                .unwrap()
                .findings_fixed,
            1
        );

        // Listing, newest first, with filters.
        let page = store
            .list_scans(&a.scope, &ScanFilter::default(), &PageRequest::new(1, 50))
            .await
            .unwrap();
        assert_eq!(
            page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![second.id, run.id]
        );
        let filter = ScanFilter {
            status: Some(ScanStatus::Queued),
            system_id: None,
        };
        let page = store
            .list_scans(&a.scope, &filter, &PageRequest::new(1, 50))
            .await
            .unwrap();
        assert_eq!(page.total, 0);
    }
}

#[tokio::test]
async fn a_run_whose_lease_lapsed_is_claimed_again_and_cancel_stops_it() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let run = store.create_scan(&admin(), &request(&f)).await.unwrap();
        let t0 = at("2026-11-26T01:00:00Z");
        store.claim_scan(t0, secs(t0, 30)).await.unwrap().unwrap();
        // The server died: nothing before the lease ends, the same run after.
        assert!(store
            .claim_scan(secs(t0, 29), secs(t0, 60))
            .await
            .unwrap()
            .is_none());
        let again = store
            .claim_scan(secs(t0, 31), secs(t0, 90))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.id, run.id);

        let cancelled = store.cancel_scan(&admin(), run.id).await.unwrap();
        assert_eq!(cancelled.status, ScanStatus::Cancelled);
        assert!(
            !store
                .scan_progress(run.id, 0.5, "kiểm tra", secs(t0, 120))
                .await
                .unwrap(),
            "the worker learns the run was cancelled"
        );
        let outcome = canhgac_model::FindingOutcome::default();
        assert!(!store.finish_scan(run.id, &done(outcome)).await.unwrap());
        assert_eq!(
            store.get_scan(&Scope::All, run.id).await.unwrap().status,
            ScanStatus::Cancelled
        );
        assert!(matches!(
            store.cancel_scan(&admin(), run.id).await,
            Err(StoreError::Conflict { .. })
        ));
        let audit = store
            .list_audit(
                &AuditFilter {
                    entity: Some("scan".into()),
                    ..Default::default()
                },
                &PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        assert!(
            actions.contains(&"create") && actions.contains(&"update"),
            "{actions:?}"
        );
    }
}

#[tokio::test]
async fn scans_and_schedules_are_scoped_to_the_callers_units() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let a = officer(vec![f.unit_a]);
        let b = officer(vec![f.unit_b]);

        // B cannot scan A's system, nor queue a run for A's unit.
        assert!(store.create_scan(&b, &request(&f)).await.is_err());
        let mut sneaky = request(&f);
        sneaky.system_id = None;
        assert!(matches!(
            store.create_scan(&b, &sneaky).await,
            Err(StoreError::OutOfScope(_))
        ));
        let run = store.create_scan(&a, &request(&f)).await.unwrap();
        assert!(matches!(
            store.get_scan(&b.scope, run.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(store.scan_findings(&b.scope, run.id).await.is_err());
        assert!(store.cancel_scan(&b, run.id).await.is_err());
        let page = store
            .list_scans(&b.scope, &ScanFilter::default(), &PageRequest::new(1, 50))
            .await
            .unwrap();
        assert_eq!(page.total, 0);

        // Assets B may scan are B's only.
        let assets = store.scan_assets(&b.scope).await.unwrap();
        assert_eq!(assets.len(), 1);
        assert_eq!(
            (assets[0].system_id, assets[0].unit_id),
            (f.other, f.unit_b)
        );
        assert_eq!(store.scan_assets(&Scope::All).await.unwrap().len(), 3);

        let input = ScanScheduleInput {
            profile: "quick".into(),
            frequency: ScanFrequency::Daily,
            weekday: None,
            time: "02:00".into(),
            enabled: true,
        };
        assert!(store
            .create_scan_schedule(&b, f.portal, &input)
            .await
            .is_err());
        let schedule = store
            .create_scan_schedule(&a, f.portal, &input)
            .await
            .unwrap();
        assert!(store
            .get_scan_schedule(&b.scope, schedule.id)
            .await
            .is_err());
        assert!(store.delete_scan_schedule(&b, schedule.id).await.is_err());
        assert!(store
            .list_scan_schedules(&b.scope, None)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .list_scan_schedules(&a.scope, Some(f.portal))
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn due_schedules_queue_runs_of_their_systems_and_move_on() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let a = officer(vec![f.unit_a]);
        let daily = ScanScheduleInput {
            profile: "quick".into(),
            frequency: ScanFrequency::Daily,
            weekday: None,
            time: "02:00".into(),
            enabled: true,
        };
        let schedule = store
            .create_scan_schedule(&a, f.portal, &daily)
            .await
            .unwrap();
        assert_eq!(schedule.input.time, "02:00");
        assert_eq!(schedule.system_name, "Cổng A");
        let mut off = daily.clone();
        off.enabled = false;
        store
            .create_scan_schedule(&a, f.portal, &off)
            .await
            .unwrap();

        // Nothing due before the next run.
        let before = secs(schedule.next_run_at, -1);
        assert!(store.enqueue_due_scans(before).await.unwrap().is_empty());
        let queued = store.enqueue_due_scans(schedule.next_run_at).await.unwrap();
        assert_eq!(queued.len(), 1, "only the enabled schedule runs");
        let run = store.get_scan(&a.scope, queued[0]).await.unwrap();
        assert_eq!(run.schedule_id, Some(schedule.id));
        assert_eq!(run.system_id, Some(f.portal));
        assert_eq!(run.unit_id, f.unit_a);
        assert_eq!(run.profile, "quick");
        assert_eq!(run.targets, vec!["portal.a.gov.vn", "10.1.0.5"]);
        let moved = store
            .get_scan_schedule(&a.scope, schedule.id)
            .await
            .unwrap();
        assert_eq!(
            moved.next_run_at,
            secs(schedule.next_run_at, 24 * 3600),
            "a day later"
        );
        assert_eq!(moved.last_scan_id, Some(run.id));
        assert!(store
            .enqueue_due_scans(schedule.next_run_at)
            .await
            .unwrap()
            .is_empty());

        // Editing to weekly on Monday moves the next run to a Monday 02:00 (Hà Nội).
        let mut weekly = daily.clone();
        weekly.frequency = ScanFrequency::Weekly;
        weekly.weekday = Some(1);
        let edited = store
            .update_scan_schedule(&a, schedule.id, &weekly)
            .await
            .unwrap();
        let local = edited
            .next_run_at
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)));
        assert_eq!(local.weekday(), jiff::civil::Weekday::Monday);
        assert_eq!((local.hour(), local.minute()), (2, 0));
        let bad = ScanScheduleInput {
            weekday: None,
            ..weekly.clone()
        };
        assert!(matches!(
            store.update_scan_schedule(&a, schedule.id, &bad).await,
            Err(StoreError::Invalid(_))
        ));
        store.delete_scan_schedule(&a, schedule.id).await.unwrap();
        assert!(store
            .get_scan_schedule(&a.scope, schedule.id)
            .await
            .is_err());
        // Its runs stay.
        assert!(store.get_scan(&a.scope, run.id).await.is_ok());
    }
}

#[tokio::test]
async fn a_taken_over_run_keeps_its_checkpoint_and_fails_after_too_many_attempts() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let run = store.create_scan(&admin(), &request(&f)).await.unwrap();
        let t0 = at("2026-11-26T01:00:00Z");
        let first = store.claim_scan(t0, secs(t0, 30)).await.unwrap().unwrap();
        assert_eq!(first.attempts, 1);
        assert_eq!(store.scan_checkpoint(run.id).await.unwrap(), None);
        assert!(store
            .save_scan_checkpoint(run.id, r#"{"done":["10.1.0.5"]}"#, 0.5, secs(t0, 30))
            .await
            .unwrap());
        assert_eq!(
            store.get_scan(&Scope::All, run.id).await.unwrap().progress,
            0.5
        );

        // The server dies; the next claim sees the checkpoint and the attempt count.
        let mut now = secs(t0, 31);
        let second = store.claim_scan(now, secs(now, 30)).await.unwrap().unwrap();
        assert_eq!((second.id, second.attempts), (run.id, 2));
        assert_eq!(
            store.scan_checkpoint(run.id).await.unwrap().as_deref(),
            Some(r#"{"done":["10.1.0.5"]}"#)
        );
        // It dies on every attempt: after the last allowed one the run fails instead.
        for attempt in 3..=canhgac_store::MAX_SCAN_ATTEMPTS {
            now = secs(now, 31);
            let again = store.claim_scan(now, secs(now, 30)).await.unwrap().unwrap();
            assert_eq!(again.attempts, attempt);
        }
        now = secs(now, 31);
        assert!(store
            .claim_scan(now, secs(now, 30))
            .await
            .unwrap()
            .is_none());
        let failed = store.get_scan(&Scope::All, run.id).await.unwrap();
        assert_eq!(failed.status, ScanStatus::Failed);
        assert!(
            failed
                .error
                .as_deref()
                .unwrap_or("")
                .contains("không thử lại"),
            "{:?}",
            failed.error
        );
        assert_eq!(store.scan_checkpoint(run.id).await.unwrap(), None);
        assert!(!store
            .save_scan_checkpoint(run.id, "{}", 0.9, secs(now, 30))
            .await
            .unwrap());

        // A finished run drops its checkpoint.
        let other = store.create_scan(&admin(), &request(&f)).await.unwrap();
        store.claim_scan(now, secs(now, 30)).await.unwrap().unwrap();
        store
            .save_scan_checkpoint(other.id, "{}", 0.5, secs(now, 30))
            .await
            .unwrap();
        let outcome = canhgac_model::FindingOutcome::default();
        assert!(store.finish_scan(other.id, &done(outcome)).await.unwrap());
        assert_eq!(store.scan_checkpoint(other.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn the_operating_units_officer_may_scan_the_system_it_runs() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let operator = store
            .create_unit(
                &admin(),
                UnitInput::new("Trung tâm CNTT", UnitKind::Department, None),
            )
            .await
            .unwrap()
            .id;
        let mut input = SystemInput::new("Cổng dịch vụ công", SystemKind::Portal, f.unit_a);
        input.operator_unit_id = Some(operator);
        let system = store.create_system(&admin(), input).await.unwrap().id;
        let mut asset = AssetInput::new(AssetKind::Ip, "10.1.0.9");
        asset.system_id = system;
        store.create_asset(&admin(), asset).await.unwrap();

        let officer_of_operator = officer(vec![operator]);
        let assets = store.scan_assets(&officer_of_operator.scope).await.unwrap();
        assert_eq!(assets.len(), 1);
        assert_eq!((assets[0].system_id, assets[0].unit_id), (system, operator));
        // The owner's officer sees the same asset as the owner's.
        let owners = store
            .scan_assets(&officer(vec![f.unit_a]).scope)
            .await
            .unwrap();
        let owned = owners.iter().find(|a| a.system_id == system).unwrap();
        assert_eq!(owned.unit_id, f.unit_a);

        let request = ScanRequest {
            profile: "quick".into(),
            targets: vec!["10.1.0.9".into()],
            system_id: Some(system),
            unit_id: assets[0].unit_id,
            schedule_id: None,
        };
        let run = store
            .create_scan(&officer_of_operator, &request)
            .await
            .unwrap();
        assert_eq!(run.unit_id, operator);
        assert_eq!(
            store
                .get_scan(&officer_of_operator.scope, run.id)
                .await
                .unwrap()
                .id,
            run.id
        );
    }
}
