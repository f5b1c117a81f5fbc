//! The advisory register and the retro-hunt queue on every backend `test_stores()` gives.
#![allow(clippy::unwrap_used)]

use canhgac_model::advisory::{
    AdvisoryInput, AdvisoryMatch, AdvisoryTaskAction, AdvisoryTaskState, AttachmentInput,
    RetroHuntOutcome, RetroHuntState,
};
use canhgac_model::{
    Actor, Id, IndicatorInput, IndicatorKind, PageRequest, Scope, Timestamp, UnitInput, UnitKind,
};
use canhgac_store::testing::test_stores;
use canhgac_store::StoreError;
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

fn input(number: &str, deadline: Option<Timestamp>) -> AdvisoryInput {
    AdvisoryInput {
        issuer: "NCSC".into(),
        number: number.into(),
        title: "Lỗ hổng Zimbra".into(),
        issued_on: Some("2026-11-20".parse().unwrap()),
        deadline,
        tlp: Some("AMBER".into()),
        details: serde_json::json!({ "cves": ["CVE-2024-45519"] }),
        attachments: vec![AttachmentInput {
            file_name: "2216-CATTT-NCSC.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4 letter".to_vec(),
        }],
    }
}

fn matched(unit_id: Id, system: &str) -> AdvisoryMatch {
    AdvisoryMatch {
        unit_id,
        systems: serde_json::json!([{ "system": system }]),
    }
}

#[tokio::test]
async fn advisory_tasks_are_scoped_and_track_progress() {
    for ts in test_stores().await {
        let store = &*ts.store;
        let name = ts.name;
        let unit = |n: &str, kind, parent| UnitInput::new(n, kind, parent);
        let province = store
            .create_unit(&admin(), unit("UBND tỉnh", UnitKind::Province, None))
            .await
            .unwrap()
            .id;
        let a = store
            .create_unit(&admin(), unit("Sở A", UnitKind::Department, Some(province)))
            .await
            .unwrap()
            .id;
        let b = store
            .create_unit(&admin(), unit("Sở B", UnitKind::Department, Some(province)))
            .await
            .unwrap()
            .id;
        let c = store
            .create_unit(&admin(), unit("Sở C", UnitKind::Department, Some(province)))
            .await
            .unwrap()
            .id;

        // Only analysts (scope All) record advisories.
        let refused = store
            .create_advisory(&officer(vec![a]), input("1/X", None), &[])
            .await;
        assert!(matches!(refused, Err(StoreError::OutOfScope(_))), "{name}");

        let past = Timestamp::now() - SignedDuration::from_hours(24);
        let detail = store
            .create_advisory(
                &admin(),
                input("2216/CATTT-NCSC", Some(past)),
                &[matched(a, "Thư điện tử"), matched(b, "Cổng")],
            )
            .await
            .unwrap();
        let id = detail.advisory.id;
        assert_eq!(detail.tasks.len(), 2, "{name}");
        assert_eq!(detail.advisory.tlp.as_deref(), Some("amber"), "{name}");
        assert_eq!(detail.advisory.progress.overdue, 2, "{name}");
        assert_eq!(detail.attachments.len(), 1, "{name}");

        // The same number from the same issuer twice is a conflict.
        let again = store
            .create_advisory(&admin(), input("2216/CATTT-NCSC", None), &[])
            .await;
        assert!(matches!(again, Err(StoreError::Conflict { .. })), "{name}");

        // Unit A sees its own task only; unit C sees nothing.
        let seen_a = store
            .get_advisory(&Scope::Units(vec![a]), id)
            .await
            .unwrap();
        assert_eq!(seen_a.tasks.len(), 1, "{name}");
        assert_eq!(seen_a.tasks[0].unit_id, a, "{name}");
        let (meta, bytes) = store
            .advisory_attachment(&Scope::Units(vec![a]), id, seen_a.attachments[0].id)
            .await
            .unwrap();
        assert_eq!(meta.file_name, "2216-CATTT-NCSC.pdf", "{name}");
        assert_eq!(bytes, b"%PDF-1.4 letter", "{name}");
        assert!(
            matches!(
                store.get_advisory(&Scope::Units(vec![c]), id).await,
                Err(StoreError::NotFound { .. })
            ),
            "{name}"
        );
        assert!(
            matches!(
                store
                    .advisory_attachment(&Scope::Units(vec![c]), id, meta.id)
                    .await,
                Err(StoreError::NotFound { .. })
            ),
            "{name}"
        );
        let listed_c = store
            .list_advisories(&Scope::Units(vec![c]), &PageRequest::new(1, 50))
            .await
            .unwrap();
        assert_eq!(listed_c.total, 0, "{name}");

        // B cannot act on A's task; "not affected" needs a reason.
        let task_a = seen_a.tasks[0].id;
        assert!(
            matches!(
                store
                    .act_on_advisory_task(
                        &officer(vec![b]),
                        task_a,
                        AdvisoryTaskAction::Remediate,
                        None
                    )
                    .await,
                Err(StoreError::NotFound { .. })
            ),
            "{name}"
        );
        assert!(
            matches!(
                store
                    .act_on_advisory_task(
                        &officer(vec![a]),
                        task_a,
                        AdvisoryTaskAction::NotAffected,
                        Some("  ".into())
                    )
                    .await,
                Err(StoreError::Invalid(_))
            ),
            "{name}"
        );
        let acked = store
            .act_on_advisory_task(
                &officer(vec![a]),
                task_a,
                AdvisoryTaskAction::Acknowledge,
                None,
            )
            .await
            .unwrap();
        assert_eq!(acked.state, AdvisoryTaskState::Open, "{name}");
        assert!(acked.acknowledged_at.is_some(), "{name}");
        let done = store
            .act_on_advisory_task(
                &officer(vec![a]),
                task_a,
                AdvisoryTaskAction::Remediate,
                Some("Đã vá 9.0.0.P41".into()),
            )
            .await
            .unwrap();
        assert_eq!(done.state, AdvisoryTaskState::Remediated, "{name}");
        assert!(!done.overdue, "{name}");

        let listed = store
            .list_advisories(&Scope::All, &PageRequest::new(1, 50))
            .await
            .unwrap();
        assert_eq!(listed.items.len(), 1, "{name}");
        let p = listed.items[0].progress;
        assert_eq!(
            (p.tasks, p.done, p.overdue, p.acknowledged),
            (2, 1, 1, 1),
            "{name}"
        );

        // Re-matching: B no longer runs it (its open, unacknowledged task goes), C now does;
        // A's answered task stays.
        let rematched = store
            .set_advisory_matches(&admin(), id, &[matched(c, "Một cửa")])
            .await
            .unwrap();
        let mut units: Vec<Id> = rematched.tasks.iter().map(|t| t.unit_id).collect();
        units.sort();
        assert_eq!(units, vec![a, c], "{name}");
        assert!(rematched.advisory.matched_at.is_some(), "{name}");
        let audit = store
            .list_audit(&Default::default(), &PageRequest::new(1, 100))
            .await
            .unwrap();
        assert!(
            audit.items.iter().any(|e| e.entity == "advisory_task"),
            "{name}: task changes are audited"
        );
    }
}

#[tokio::test]
async fn new_indicators_queue_one_retrohunt_each_time() {
    for ts in test_stores().await {
        let store = &*ts.store;
        let name = ts.name;
        assert!(store.queue_new_indicator_hunt(30).await.unwrap().is_none());
        store
            .import_indicators(
                &admin(),
                vec![
                    IndicatorInput::new(IndicatorKind::Ip, "203.0.113.9"),
                    IndicatorInput::new(IndicatorKind::Domain, "c2.example.net"),
                ],
            )
            .await
            .unwrap();
        let hunt = store.queue_new_indicator_hunt(30).await.unwrap().unwrap();
        assert_eq!(hunt.indicator_ids.len(), 2, "{name}");
        assert_eq!(hunt.days, 30, "{name}");
        // Nothing new since: nothing queued.
        assert!(
            store.queue_new_indicator_hunt(30).await.unwrap().is_none(),
            "{name}"
        );

        // On demand, by an analyst only.
        let first = hunt.indicator_ids[0];
        assert!(matches!(
            store
                .request_retrohunt(&officer(vec![1]), &[first], 7)
                .await,
            Err(StoreError::OutOfScope(_))
        ));
        assert!(matches!(
            store.request_retrohunt(&admin(), &[999_999], 7).await,
            Err(StoreError::NotFound { .. })
        ));
        let asked = store
            .request_retrohunt(&admin(), &[first], 7)
            .await
            .unwrap();

        let at = Timestamp::now();
        let lease = at + SignedDuration::from_mins(5);
        let claimed = store.claim_retrohunt(at, lease).await.unwrap().unwrap();
        assert_eq!(claimed.id, hunt.id, "{name}: oldest first");
        assert_eq!(claimed.state, RetroHuntState::Running, "{name}");
        store
            .finish_retrohunt(
                claimed.id,
                Ok(RetroHuntOutcome {
                    events_scanned: 10,
                    hits: 2,
                    alerts: 1,
                }),
            )
            .await
            .unwrap();
        let second = store.claim_retrohunt(at, lease).await.unwrap().unwrap();
        assert_eq!(second.id, asked.id, "{name}");
        // A worker that died: its lease lapses and the hunt is taken again.
        let later = lease + SignedDuration::from_secs(1);
        let retaken = store
            .claim_retrohunt(later, later + SignedDuration::from_mins(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(retaken.id, asked.id, "{name}");
        store
            .finish_retrohunt(retaken.id, Err("event store closed".into()))
            .await
            .unwrap();
        assert!(store.claim_retrohunt(later, later).await.unwrap().is_none());

        let of_first = store.list_retrohunts(Some(first), 10).await.unwrap();
        assert_eq!(of_first.len(), 2, "{name}");
        assert_eq!(of_first[0].state, RetroHuntState::Failed, "{name}");
        assert_eq!(of_first[1].state, RetroHuntState::Done, "{name}");
        assert_eq!(of_first[1].alerts, 1, "{name}");
    }
}
