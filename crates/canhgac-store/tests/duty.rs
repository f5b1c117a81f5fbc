//! The duty roster and paging on every backend `test_stores()` gives: shifts scoped to units
//! (province-wide ones seen by all, written only by province-wide callers), imports all or
//! nothing with the row named, an alert paged once, held messages not claimed early, escalation
//! moving one level at a time, acknowledgement ending it.
#![allow(clippy::unwrap_used)]

use canhgac_model::bulletin::{OutboxDraft, EMAIL_CHANNEL};
use canhgac_model::duty::{AlertPage, DutyChannels, DutyHoliday, DutyShiftInput};
use canhgac_model::{
    Actor, AlertDraft, AlertSource, ContactInput, Id, Scope, Severity, Timestamp, UnitInput,
    UnitKind,
};
use canhgac_store::testing::test_stores;
use canhgac_store::{Store, StoreError};
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

async fn contact(store: &dyn Store, unit: Id, name: &str) -> Id {
    store
        .create_contact(
            &admin(),
            ContactInput {
                unit_id: unit,
                name: name.into(),
                position: None,
                responsibility: None,
                phone: None,
                email: Some(format!("{}@example.gov.vn", name.to_lowercase())),
            },
        )
        .await
        .unwrap()
        .id
}

fn shift(
    unit: Option<Id>,
    start: Timestamp,
    hours: i64,
    primary: Id,
    backup: Option<Id>,
) -> DutyShiftInput {
    DutyShiftInput {
        unit_id: unit,
        start,
        end: start + SignedDuration::from_hours(hours),
        primary_id: primary,
        backup_id: backup,
        note: "Tết".into(),
    }
}

fn draft(key: &str) -> OutboxDraft {
    OutboxDraft {
        channel: EMAIL_CHANNEL.into(),
        recipient: "an@example.gov.vn".into(),
        recipient_name: Some("An".into()),
        subject: "s".into(),
        body_text: "b".into(),
        body_html: None,
        dedup_key: key.into(),
        unit_id: None,
        bulletin_id: None,
    }
}

#[tokio::test]
async fn shifts_are_scoped_and_imported_all_or_nothing() {
    for ts in test_stores().await {
        let store = ts.store.as_ref();
        let unit = |name: &str, kind, parent| UnitInput::new(name, kind, parent);
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
        let an = contact(store, a, "An").await;
        let binh = contact(store, a, "Binh").await;
        let cuong = contact(store, b, "Cuong").await;
        let boss = contact(store, province, "Boss").await;
        let t0: Timestamp = "2027-02-05T19:00:00Z".parse().unwrap();

        // A unit officer of A adds A's shift; a province-wide one and one naming B's contact
        // are refused, and the refused import leaves nothing behind.
        let created = store
            .create_shifts(&officer(vec![a]), &[shift(Some(a), t0, 8, an, Some(binh))])
            .await
            .unwrap();
        assert_eq!(created[0].primary_name, "An", "{}", ts.name);
        assert_eq!(created[0].backup_name.as_deref(), Some("Binh"));
        let refused = store
            .create_shifts(&officer(vec![a]), &[shift(None, t0, 8, an, None)])
            .await;
        assert!(
            matches!(refused, Err(StoreError::OutOfScope(_))),
            "{refused:?}"
        );
        let refused = store
            .create_shifts(
                &officer(vec![a]),
                &[
                    shift(Some(a), t0 + SignedDuration::from_hours(8), 8, binh, None),
                    shift(Some(a), t0 + SignedDuration::from_hours(16), 8, cuong, None),
                ],
            )
            .await;
        match refused {
            Err(StoreError::Invalid(e)) => assert_eq!(e.field, "shifts[2].primary_id"),
            other => panic!("{other:?}"),
        }
        store
            .create_shifts(
                &admin(),
                &[
                    shift(None, t0, 24, boss, None),
                    shift(Some(b), t0, 8, cuong, None),
                ],
            )
            .await
            .unwrap();

        let window = |s: &Scope| {
            let s = s.clone();
            async move {
                store
                    .list_shifts(
                        &s,
                        t0 - SignedDuration::from_hours(1),
                        t0 + SignedDuration::from_hours(30),
                    )
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|s| s.primary_name)
                    .collect::<Vec<_>>()
            }
        };
        let mut seen_by_a = window(&Scope::Units(vec![a])).await;
        seen_by_a.sort();
        assert_eq!(seen_by_a, ["An", "Boss"], "{}", ts.name);
        assert_eq!(window(&Scope::All).await.len(), 3);
        // Outside the window: nothing.
        let later = store
            .list_shifts(
                &Scope::All,
                t0 + SignedDuration::from_hours(48),
                t0 + SignedDuration::from_hours(50),
            )
            .await
            .unwrap();
        assert!(later.is_empty());

        // B's officer cannot delete A's shift (it is not found for them).
        let deleted = store.delete_shift(&officer(vec![b]), created[0].id).await;
        assert!(
            matches!(deleted, Err(StoreError::NotFound { .. })),
            "{deleted:?}"
        );

        // Channels: set by A's officer on A's contact only.
        let with = store
            .set_duty_channels(
                &officer(vec![a]),
                an,
                DutyChannels {
                    telegram_chat_id: Some(" 12345 ".into()),
                    zalo_user_id: None,
                    leads_unit: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(with.telegram_chat_id.as_deref(), Some("12345"));
        assert!(with.leads_unit);
        assert!(store
            .set_duty_channels(&officer(vec![a]), cuong, DutyChannels::default())
            .await
            .is_err());
        let people = store.duty_contacts(&Scope::Units(vec![a])).await.unwrap();
        assert_eq!(people.len(), 2);

        // Holidays: B's holiday is not A's.
        store
            .create_holiday(
                &officer(vec![b]),
                &DutyHoliday {
                    id: 0,
                    name: "Tết Đinh Mùi".into(),
                    start: t0,
                    end: t0 + SignedDuration::from_hours(72),
                    unit_ids: vec![b],
                },
            )
            .await
            .unwrap();
        assert!(store
            .list_holidays(&Scope::Units(vec![a]))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .list_holidays(&Scope::Units(vec![b]))
                .await
                .unwrap()
                .len(),
            1
        );

        // Rules: province-wide ones seen by A, B's not.
        store
            .create_duty_rule(&admin(), None, &serde_json::json!({"name": "all"}))
            .await
            .unwrap();
        store
            .create_duty_rule(
                &officer(vec![b]),
                Some(b),
                &serde_json::json!({"name": "b"}),
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .list_duty_rules(&Scope::Units(vec![a]))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(store.list_duty_rules(&Scope::All).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn an_alert_is_paged_once_escalates_and_stops_when_acknowledged() {
    for ts in test_stores().await {
        let store = ts.store.as_ref();
        let start = Timestamp::now() - SignedDuration::from_secs(5);
        let ids = store
            .record_alerts(
                &[AlertDraft {
                    source: AlertSource::Sigma,
                    rule_key: "sigma:bruteforce".into(),
                    title: "Dò mật khẩu".into(),
                    severity: Severity::High,
                    tags: vec![],
                    unit_id: None,
                    host: None,
                    time: Timestamp::now(),
                    evidence: serde_json::json!({}),
                }],
                SignedDuration::from_mins(30),
            )
            .await
            .unwrap();
        let alert = ids[0];
        let due = store.alerts_to_page(start, 10).await.unwrap();
        assert_eq!(
            due.iter().map(|a| a.id).collect::<Vec<_>>(),
            [alert],
            "{}",
            ts.name
        );

        let now = Timestamp::now();
        let page = AlertPage {
            alert_id: alert,
            unit_id: None,
            severity: Severity::High,
            paged_at: now,
            reached: "primary".into(),
            next_check_at: Some(now),
            acknowledged_at: None,
            acknowledged_by: None,
        };
        let later = now + SignedDuration::from_hours(1);
        assert!(store
            .record_page(&page, &[(draft("p1"), now), (draft("p2"), later)])
            .await
            .unwrap());
        // Paged again (a restart): nothing more is queued.
        assert!(!store
            .record_page(&page, &[(draft("p3"), now)])
            .await
            .unwrap());
        assert!(store.alerts_to_page(start, 10).await.unwrap().is_empty());

        // Only the message due now is claimed; the held one waits for its instant.
        let lease = now + SignedDuration::from_hours(2);
        let claimed = store
            .claim_outbox(EMAIL_CHANNEL, now, lease, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "{}", ts.name);
        let claimed = store
            .claim_outbox(EMAIL_CHANNEL, later, lease, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);

        // Escalation: due now, moves once from primary to backup.
        let due = store.due_pages(now, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].0.reached, "primary");
        assert!(store
            .record_escalation(
                alert,
                "primary",
                "backup",
                Some(later),
                &[(draft("e1"), now)]
            )
            .await
            .unwrap());
        assert!(!store
            .record_escalation(
                alert,
                "primary",
                "backup",
                Some(later),
                &[(draft("e2"), now)]
            )
            .await
            .unwrap());
        assert!(store.due_pages(now, 10).await.unwrap().is_empty());
        assert_eq!(store.due_pages(later, 10).await.unwrap().len(), 1);

        // Acknowledged: never due again, and the first acknowledgement stays.
        let acked = store
            .acknowledge_page(alert, "An", now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(acked.acknowledged_by.as_deref(), Some("An"));
        let again = store
            .acknowledge_page(alert, "Binh", later)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.acknowledged_by.as_deref(), Some("An"));
        assert!(store.due_pages(later, 10).await.unwrap().is_empty());
        assert!(!store
            .record_escalation(alert, "backup", "leader", None, &[(draft("e3"), now)])
            .await
            .unwrap());
        assert!(store
            .acknowledge_page(alert + 1000, "x", now)
            .await
            .unwrap()
            .is_none());

        // The page of an alert of no unit is seen only by those who see everything.
        assert_eq!(store.list_pages(&Scope::All, 10).await.unwrap().len(), 1);
        assert!(store
            .list_pages(&Scope::Units(vec![1]), 10)
            .await
            .unwrap()
            .is_empty());
    }
}
