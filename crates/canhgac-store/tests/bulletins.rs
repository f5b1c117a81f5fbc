//! Bulletins, confirmation links and the outbox state machine on every backend `test_stores()`
//! gives.
#![allow(clippy::unwrap_used)]

use canhgac_model::bulletin::{
    BulletinAddressee, BulletinInput, BulletinMail, OutboxDraft, OutboxFilter, OutboxState,
    EMAIL_CHANNEL,
};
use canhgac_model::{Actor, ContactInput, Id, PageRequest, Scope, Timestamp, UnitInput, UnitKind};
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

fn all() -> PageRequest {
    PageRequest::new(1, 100)
}

/// Writes a mail whose token is predictable from the addressee, so tests can follow links.
fn write(to: &BulletinAddressee<'_>) -> BulletinMail {
    BulletinMail {
        token_hash: token(to.bulletin_id, to.name, to.reminder),
        subject: format!("[{}] {}", to.reminder, to.title),
        body_text: format!("Kính gửi {} ({})\n{}", to.name, to.unit_name, to.body),
        body_html: None,
    }
}

fn token(bulletin: Id, name: &str, reminder: u32) -> String {
    format!("hash-{bulletin}-{name}-{reminder}")
}

fn bulletin(title: &str, units: Vec<Id>) -> BulletinInput {
    BulletinInput {
        title: title.into(),
        body: "Nội dung cảnh báo lừa đảo.".into(),
        unit_ids: units,
        include_subunits: false,
        remind_every_days: None,
    }
}

/// Province → (Sở A → Phòng A1), Sở B; contacts: two in A (one without email), one in A1, one
/// in B, and the second A contact's address again in B (one copy per address).
struct Fixture {
    sở_a: Id,
    phòng_a1: Id,
    sở_b: Id,
}

async fn contact(store: &dyn Store, unit: Id, name: &str, email: Option<&str>) {
    store
        .create_contact(
            &admin(),
            ContactInput {
                unit_id: unit,
                name: name.into(),
                position: None,
                responsibility: None,
                phone: None,
                email: email.map(str::to_string),
            },
        )
        .await
        .unwrap();
}

async fn fixture(store: &dyn Store) -> Fixture {
    let unit = |name: &str, kind, parent| UnitInput::new(name, kind, parent);
    let province = store
        .create_unit(&admin(), unit("UBND tỉnh", UnitKind::Province, None))
        .await
        .unwrap()
        .id;
    let sở_a = store
        .create_unit(&admin(), unit("Sở A", UnitKind::Department, Some(province)))
        .await
        .unwrap()
        .id;
    let phòng_a1 = store
        .create_unit(&admin(), unit("Phòng A1", UnitKind::Department, Some(sở_a)))
        .await
        .unwrap()
        .id;
    let sở_b = store
        .create_unit(&admin(), unit("Sở B", UnitKind::Department, Some(province)))
        .await
        .unwrap()
        .id;
    contact(store, sở_a, "An", Some("an@a.gov.vn")).await;
    contact(store, sở_a, "Ba", None).await;
    contact(store, sở_a, "Cúc", Some("Cuc@a.gov.vn")).await;
    contact(store, phòng_a1, "Dũng", Some("dung@a1.gov.vn")).await;
    contact(store, sở_b, "Em", Some("em@b.gov.vn")).await;
    contact(store, sở_b, "Cúc B", Some("cuc@A.gov.vn")).await;
    Fixture {
        sở_a,
        phòng_a1,
        sở_b,
    }
}

fn draft(key: &str) -> OutboxDraft {
    OutboxDraft {
        channel: EMAIL_CHANNEL.into(),
        recipient: "x@example.vn".into(),
        recipient_name: Some("X".into()),
        subject: "s".into(),
        body_text: "b".into(),
        body_html: None,
        dedup_key: key.into(),
        unit_id: None,
        bulletin_id: None,
    }
}

#[tokio::test]
async fn bulletin_recipients_links_and_scope() {
    for ts in test_stores().await {
        let store = ts.store.as_ref();
        let f = fixture(store).await;
        let mut input = bulletin("Cảnh báo lừa đảo", vec![f.sở_a, f.sở_b]);
        input.include_subunits = true;
        let detail = store
            .create_bulletin(&admin(), input, &write)
            .await
            .unwrap();
        // An, Cúc, Dũng, Em: Ba has no address, Cúc B shares Cúc's.
        let names: Vec<&str> = detail.recipients.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Dũng", "An", "Cúc", "Em"], "{}", ts.name);
        assert_eq!(detail.bulletin.recipients, 4);
        assert_eq!(detail.bulletin.confirmed, 0);
        let per_unit: Vec<(&str, u64)> = detail
            .units
            .iter()
            .map(|u| (u.unit_name.as_str(), u.recipients))
            .collect();
        assert_eq!(per_unit, [("Phòng A1", 1), ("Sở A", 2), ("Sở B", 1)]);
        assert!(detail
            .recipients
            .iter()
            .all(|r| r.delivery == Some(OutboxState::Queued)));
        let id = detail.bulletin.id;

        // Four queued messages, each addressed and written for its person.
        let queued = store
            .list_outbox(&Scope::All, &OutboxFilter::default(), &all())
            .await
            .unwrap();
        assert_eq!(queued.total, 4);
        assert!(queued.items.iter().all(|m| m.bulletin_id == Some(id)));

        // A unit officer of Sở A sees the bulletin with Sở A's subtree only, and only those
        // messages; an officer of an unrelated unit does not see it at all.
        let scope_a = Scope::Units(vec![f.sở_a]);
        let seen = store.get_bulletin(&scope_a, id).await.unwrap();
        assert_eq!(seen.recipients.len(), 3);
        assert!(seen.recipients.iter().all(|r| r.unit_id != f.sở_b));
        let listed = store.list_bulletins(&scope_a, &all()).await.unwrap();
        assert_eq!(listed.items.len(), 1);
        assert_eq!(
            (listed.items[0].recipients, listed.items[0].confirmed),
            (3, 0)
        );
        let outbox_a = store
            .list_outbox(&scope_a, &OutboxFilter::default(), &all())
            .await
            .unwrap();
        assert_eq!(outbox_a.total, 3);
        let lonely = store
            .create_unit(&admin(), UnitInput::new("Sở C", UnitKind::Department, None))
            .await
            .unwrap()
            .id;
        let scope_c = Scope::Units(vec![lonely]);
        assert!(matches!(
            store.get_bulletin(&scope_c, id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            store.list_bulletins(&scope_c, &all()).await.unwrap().total,
            0
        );

        // Sending to a unit outside one's scope is refused; inside it works.
        assert!(matches!(
            store
                .create_bulletin(
                    &officer(vec![f.phòng_a1]),
                    bulletin("x", vec![f.sở_b]),
                    &write
                )
                .await,
            Err(StoreError::OutOfScope(_))
        ));
        let own = store
            .create_bulletin(
                &officer(vec![f.phòng_a1]),
                bulletin("y", vec![f.phòng_a1]),
                &write,
            )
            .await
            .unwrap();
        assert_eq!(own.recipients.len(), 1);

        // Confirming: unknown tokens do nothing; a link confirms once, and again is harmless.
        let at: Timestamp = "2026-11-20T03:00:00Z".parse().unwrap();
        assert!(store.confirm_bulletin("nope", at).await.unwrap().is_none());
        assert!(store.bulletin_link("nope").await.unwrap().is_none());
        // Opening the link shows the bulletin and confirms nothing.
        let link = store
            .bulletin_link(&token(id, "An", 0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((link.name.as_str(), link.confirmed_at), ("An", None));
        assert_eq!(link.body, "Nội dung cảnh báo lừa đảo.");
        let first = store
            .confirm_bulletin(&token(id, "An", 0), at)
            .await
            .unwrap()
            .unwrap();
        assert!(!first.already);
        assert_eq!(
            (first.name.as_str(), first.title.as_str()),
            ("An", "Cảnh báo lừa đảo")
        );
        let again = store
            .confirm_bulletin(&token(id, "An", 0), at + SignedDuration::from_hours(1))
            .await
            .unwrap()
            .unwrap();
        assert!(again.already);
        assert_eq!(again.confirmed_at, at);
        let link = store
            .bulletin_link(&token(id, "An", 0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(link.confirmed_at, Some(at));
        let detail = store.get_bulletin(&Scope::All, id).await.unwrap();
        assert_eq!(detail.bulletin.confirmed, 1);
        let sở_a_row = detail.units.iter().find(|u| u.unit_id == f.sở_a).unwrap();
        assert_eq!((sở_a_row.recipients, sở_a_row.confirmed), (2, 1));

        // Reminders wait until the first messages have left the outbox.
        assert_eq!(
            store.remind_bulletin(&admin(), id, &write).await.unwrap(),
            0
        );
        let now = Timestamp::now();
        let lease = now + SignedDuration::from_mins(5);
        for mail in store
            .claim_outbox(EMAIL_CHANNEL, now, lease, 100)
            .await
            .unwrap()
        {
            store.outbox_sent(mail.id, now).await.unwrap();
        }
        // The Sở A officer reminds their own unconfirmed people only (Cúc, Dũng).
        assert_eq!(
            store
                .remind_bulletin(&officer(vec![f.sở_a]), id, &write)
                .await
                .unwrap(),
            2
        );
        let reminded = store.get_bulletin(&Scope::All, id).await.unwrap();
        let counts: Vec<(&str, u32)> = reminded
            .recipients
            .iter()
            .map(|r| (r.name.as_str(), r.reminders_sent))
            .collect();
        assert_eq!(counts, [("Dũng", 1), ("An", 0), ("Cúc", 1), ("Em", 0)]);
        // The reminder carries a new link, and the first one still works.
        let cúc = store
            .confirm_bulletin(&token(id, "Cúc", 1), at)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cúc.name, "Cúc");
        assert!(store
            .confirm_bulletin(&token(id, "Dũng", 0), at)
            .await
            .unwrap()
            .is_some());
        let audit = store.list_audit(&Default::default(), &all()).await.unwrap();
        let actions: Vec<(&str, &str)> = audit
            .items
            .iter()
            .filter(|e| e.entity == "bulletin")
            .map(|e| (e.action.as_str(), e.actor.as_str()))
            .collect();
        assert!(actions.contains(&("create", "t")), "{actions:?}");
        assert!(actions.contains(&("remind", "officer")), "{actions:?}");
        assert!(
            actions.contains(&("confirm", "liên kết xác nhận: An")),
            "{actions:?}"
        );
    }
}

#[tokio::test]
async fn outbox_dedup_retry_and_failure() {
    for ts in test_stores().await {
        let store = ts.store.as_ref();
        let ids = store
            .enqueue_outbox(&[draft("k1"), draft("k2"), draft("k1")])
            .await
            .unwrap();
        assert!(ids[0].is_some() && ids[1].is_some(), "{}", ts.name);
        assert_eq!(ids[2], None, "same key in the same batch is dropped");
        assert_eq!(store.enqueue_outbox(&[draft("k2")]).await.unwrap(), [None]);

        let t0: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let lease = |t: Timestamp| t + SignedDuration::from_mins(5);
        // Nothing is due before it was queued... (queued "now", t0 is later: both due).
        let claimed = store
            .claim_outbox(EMAIL_CHANNEL, t0, lease(t0), 1)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "limit is honoured");
        assert_eq!(claimed[0].attempts, 1);
        let first = claimed[0].id;
        // Another channel has nothing.
        assert!(store
            .claim_outbox("telegram", t0, lease(t0), 10)
            .await
            .unwrap()
            .is_empty());
        // A claimed message is not handed out again while its lease runs.
        let second = store
            .claim_outbox(EMAIL_CHANNEL, t0, lease(t0), 10)
            .await
            .unwrap();
        assert_eq!(second.len(), 1);
        assert_ne!(second[0].id, first);
        store.outbox_sent(second[0].id, t0).await.unwrap();

        // A failed attempt is retried at the time given, not before.
        let retry_at = t0 + SignedDuration::from_secs(60);
        store
            .outbox_failed(first, "connection refused", Some(retry_at))
            .await
            .unwrap();
        assert!(store
            .claim_outbox(
                EMAIL_CHANNEL,
                t0 + SignedDuration::from_secs(59),
                lease(t0),
                10
            )
            .await
            .unwrap()
            .is_empty());
        let again = store
            .claim_outbox(EMAIL_CHANNEL, retry_at, lease(retry_at), 10)
            .await
            .unwrap();
        assert_eq!((again.len(), again[0].id, again[0].attempts), (1, first, 2));
        // The sender dies: once its lease has passed the message is claimed again.
        let later = lease(retry_at);
        let retaken = store
            .claim_outbox(EMAIL_CHANNEL, later, lease(later), 10)
            .await
            .unwrap();
        assert_eq!((retaken.len(), retaken[0].attempts), (1, 3));
        // Gives up: failed with the last error, never claimed again.
        store
            .outbox_failed(first, "550 mailbox unavailable", None)
            .await
            .unwrap();
        let far = later + SignedDuration::from_hours(100);
        assert!(store
            .claim_outbox(EMAIL_CHANNEL, far, lease(far), 10)
            .await
            .unwrap()
            .is_empty());

        let listed = store
            .list_outbox(&Scope::All, &OutboxFilter::default(), &all())
            .await
            .unwrap();
        let by_key = |k: &str| listed.items.iter().find(|m| m.dedup_key == k).unwrap();
        let failed = by_key("k1");
        assert_eq!(failed.state, OutboxState::Failed);
        assert_eq!(failed.attempts, 3);
        assert_eq!(
            failed.last_error.as_deref(),
            Some("550 mailbox unavailable")
        );
        let sent = by_key("k2");
        assert_eq!((sent.state, sent.sent_at), (OutboxState::Sent, Some(t0)));
        let counts = store.outbox_counts(&Scope::All).await.unwrap();
        assert_eq!((counts.pending, counts.sent, counts.failed), (0, 1, 1));
        // Messages about no unit are not shown to unit officers.
        assert_eq!(
            store
                .list_outbox(&Scope::Units(vec![]), &OutboxFilter::default(), &all())
                .await
                .unwrap()
                .total,
            0
        );
        // Long errors are cut.
        let ids = store.enqueue_outbox(&[draft("k3")]).await.unwrap();
        store
            .outbox_failed(ids[0].unwrap(), &"x".repeat(5000), None)
            .await
            .unwrap();
        let filter = OutboxFilter {
            state: Some(OutboxState::Failed),
            bulletin_id: None,
        };
        let failed = store
            .list_outbox(&Scope::All, &filter, &all())
            .await
            .unwrap();
        assert_eq!(failed.total, 2);
        assert!(failed
            .items
            .iter()
            .all(|m| m.last_error.as_ref().unwrap().chars().count() <= 501));
    }
}

#[tokio::test]
async fn queued_mail_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/canhgac.db", dir.path().display());
    {
        let store = canhgac_store::open(&url).await.unwrap();
        store.enqueue_outbox(&[draft("keep")]).await.unwrap();
        // Claimed by a sender that then dies with the process.
        let now = Timestamp::now();
        let lease = now + SignedDuration::from_secs(30);
        assert_eq!(
            store
                .claim_outbox(EMAIL_CHANNEL, now, lease, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        store.close().await;
    }
    let store = canhgac_store::open(&url).await.unwrap();
    let now = Timestamp::now();
    // Still leased right after the restart, handed out again once the lease has run out.
    assert!(store
        .claim_outbox(EMAIL_CHANNEL, now, now, 10)
        .await
        .unwrap()
        .is_empty());
    let later = now + SignedDuration::from_secs(31);
    let mails = store
        .claim_outbox(EMAIL_CHANNEL, later, later, 10)
        .await
        .unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!((mails[0].attempts, mails[0].body_text.as_str()), (2, "b"));
    // And the key is still taken.
    assert_eq!(
        store.enqueue_outbox(&[draft("keep")]).await.unwrap(),
        [None]
    );
    store.close().await;
}

#[tokio::test]
async fn automatic_reminders_come_due() {
    for ts in test_stores().await {
        let store = ts.store.as_ref();
        let f = fixture(store).await;
        let mut input = bulletin("Nghỉ lễ", vec![f.sở_b]);
        input.remind_every_days = Some(3);
        let id = store
            .create_bulletin(&admin(), input, &write)
            .await
            .unwrap()
            .bulletin
            .id;
        store
            .create_bulletin(&admin(), bulletin("Không nhắc", vec![f.sở_b]), &write)
            .await
            .unwrap();
        let now = Timestamp::now();
        let in_4_days = now + SignedDuration::from_hours(96);
        // Not while the first messages are still queued.
        assert!(store
            .bulletins_due_for_reminder(in_4_days, 3)
            .await
            .unwrap()
            .is_empty());
        for mail in store
            .claim_outbox(EMAIL_CHANNEL, now, now, 100)
            .await
            .unwrap()
        {
            store.outbox_sent(mail.id, now).await.unwrap();
        }
        assert!(
            store
                .bulletins_due_for_reminder(now, 3)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            ts.name
        );
        assert_eq!(
            store
                .bulletins_due_for_reminder(in_4_days, 3)
                .await
                .unwrap(),
            [id]
        );
        // At the cap, no more.
        assert!(store
            .bulletins_due_for_reminder(in_4_days, 0)
            .await
            .unwrap()
            .is_empty());
    }
}
