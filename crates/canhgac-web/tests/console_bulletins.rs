//! Bulletin pages of the console, on both backends: an admin sends a province-wide bulletin with
//! the form; a unit officer sees it with their own people only, cannot send to another subtree
//! and does not reach the outbox; the emailed link opens a page that confirms only with its
//! button, without signing in; "Nhắc lại" writes to those who have not confirmed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use canhgac_model::bulletin::EMAIL_CHANNEL;
use canhgac_model::{Actor, ContactInput, Role, Timestamp, UnitInput, UnitKind};
use console_support::*;
use jiff::SignedDuration;

#[tokio::test]
async fn send_read_confirm_and_remind_through_the_console() {
    for app in apps().await {
        let store = &app.state.store;
        let sys = Actor::system("test");
        let unit = |name: &str, kind, parent| UnitInput::new(name, kind, parent);
        let p = store
            .create_unit(&sys, unit("Tỉnh Papa", UnitKind::Province, None))
            .await
            .unwrap();
        let a = store
            .create_unit(&sys, unit("Sở Alpha", UnitKind::Department, Some(p.id)))
            .await
            .unwrap();
        let b = store
            .create_unit(&sys, unit("Sở Bravo", UnitKind::Department, Some(p.id)))
            .await
            .unwrap();
        for (unit_id, name, email) in [
            (a.id, "An Alpha", "an@alpha.example.gov.vn"),
            (b.id, "Bình Bravo", "binh@bravo.example.gov.vn"),
        ] {
            let contact = ContactInput {
                unit_id,
                name: name.into(),
                position: None,
                responsibility: None,
                phone: None,
                email: Some(email.into()),
            };
            store.create_contact(&sys, contact).await.unwrap();
        }

        // The admin sends to the whole province with the form.
        let mut admin = admin(&app).await;
        let form = admin.get(&app, "/bulletins/new").await;
        form.expect(200);
        assert!(form.body.contains("Sở Bravo") && form.body.contains("email-off"));
        let province = p.id.to_string();
        let sent = admin
            .post(
                &app,
                "/bulletins/new",
                "/bulletins",
                &[
                    ("title", "Cảnh báo mã độc tống tiền"),
                    ("body", "Sao lưu dữ liệu.\r\n\r\nKhông mở tệp lạ."),
                    ("unit_ids", &province),
                    ("include_subunits", "1"),
                ],
            )
            .await;
        let id = sent.created_id();
        let detail = admin.get(&app, &format!("/bulletins/{id}")).await;
        detail.expect(200);
        assert!(detail.body.contains("An Alpha") && detail.body.contains("Bình Bravo"));
        assert!(detail
            .body
            .contains(r#"data-confirmed="0" data-recipients="2""#));
        // An empty form is refused with the fields named, in Vietnamese.
        let empty = admin
            .post(&app, "/bulletins/new", "/bulletins", &[("title", "")])
            .await;
        empty.expect(422);
        let all = canhgac_model::PageRequest::new(1, 10);
        let scope = canhgac_model::Scope::All;
        assert_eq!(store.list_bulletins(&scope, &all).await.unwrap().total, 1);

        // A unit officer of Alpha: the bulletin with Alpha's people only.
        create_user(&app, "canbo.alpha", Role::UnitOfficer, vec![a.id]).await;
        let mut officer = Browser::new();
        officer.login(&app, "canbo.alpha", PASSWORD).await;
        let list = officer.get(&app, "/bulletins").await;
        list.expect(200);
        assert!(list
            .body
            .contains(r#"data-confirmed="0" data-recipients="1""#));
        let theirs = officer.get(&app, &format!("/bulletins/{id}")).await;
        theirs.expect(200);
        assert!(theirs.body.contains("An Alpha"));
        assert!(!theirs.body.contains("Bravo"), "{}", theirs.body);
        let their_form = officer.get(&app, "/bulletins/new").await;
        assert!(their_form.body.contains("Sở Alpha") && !their_form.body.contains("Sở Bravo"));
        let foreign = b.id.to_string();
        let refused = officer
            .post(
                &app,
                "/bulletins/new",
                "/bulletins",
                &[("title", "Lạ"), ("body", "Lạ"), ("unit_ids", &foreign)],
            )
            .await;
        assert_eq!(refused.status.as_u16(), 403, "{}", refused.body);
        officer.get(&app, "/outbox").await.expect(403);
        let outbox = admin.get(&app, "/outbox").await;
        outbox.expect(200);
        assert_eq!(outbox.count("pending"), 2);

        // The emails, as the sender takes them; An opens the link.
        let now = Timestamp::now();
        let mails = store
            .claim_outbox(EMAIL_CHANNEL, now, now + SignedDuration::from_mins(5), 10)
            .await
            .unwrap();
        assert_eq!(mails.len(), 2);
        for mail in &mails {
            store.outbox_sent(mail.id, now).await.unwrap();
        }
        let an = mails
            .iter()
            .find(|m| m.recipient == "an@alpha.example.gov.vn")
            .unwrap();
        let at = an.body_text.find("/bulletins/confirm/").unwrap();
        let path = an.body_text[at..]
            .lines()
            .next()
            .unwrap()
            .trim()
            .to_string();
        let mut anonymous = Browser::new();
        let page = anonymous.get(&app, &path).await;
        page.expect(200);
        assert!(page.body.contains("Không mở tệp lạ.") && page.body.contains("Tôi đã đọc"));
        let unchanged = admin.get(&app, &format!("/bulletins/{id}")).await;
        assert!(unchanged
            .body
            .contains(r#"data-confirmed="0" data-recipients="2""#));
        let thanks = anonymous.post_raw(&app, &path, &[]).await;
        thanks.expect(200);
        assert!(thanks.body.contains("Xin cảm ơn An Alpha"));
        anonymous.post_raw(&app, &path, &[]).await.expect(200);
        let opened = anonymous.get(&app, &path).await;
        assert!(opened.body.contains("đã xác nhận đọc"), "{}", opened.body);
        anonymous
            .get(&app, "/bulletins/confirm/not-a-token")
            .await
            .expect(404);

        // Counted; the officer's "Nhắc lại" finds nobody left in Alpha, the admin's Bình.
        let detail = admin.get(&app, &format!("/bulletins/{id}")).await;
        assert!(detail
            .body
            .contains(r#"data-confirmed="1" data-recipients="2""#));
        let none = officer
            .post(
                &app,
                &format!("/bulletins/{id}"),
                &format!("/bulletins/{id}/remind"),
                &[],
            )
            .await;
        assert_eq!(none.location(), format!("/bulletins/{id}?reminded=0"));
        let one = admin
            .post(
                &app,
                &format!("/bulletins/{id}"),
                &format!("/bulletins/{id}/remind"),
                &[],
            )
            .await;
        assert_eq!(one.location(), format!("/bulletins/{id}?reminded=1"));
        let later = Timestamp::now();
        let reminders = store
            .claim_outbox(
                EMAIL_CHANNEL,
                later,
                later + SignedDuration::from_mins(5),
                10,
            )
            .await
            .unwrap();
        assert_eq!(reminders.len(), 1);
        assert_eq!(reminders[0].recipient, "binh@bravo.example.gov.vn");

        // Viewers read but do not send.
        create_user(&app, "xem", Role::Viewer, vec![]).await;
        let mut viewer = Browser::new();
        viewer.login(&app, "xem", PASSWORD).await;
        viewer.get(&app, "/bulletins").await.expect(200);
        viewer.get(&app, "/bulletins/new").await.expect(403);
    }
}
