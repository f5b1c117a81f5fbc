//! The webhook, Telegram and Zalo channels against local axum servers standing in for the
//! receivers and APIs (127.0.0.1, port 0), and an alert routed through the real outbox.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Router;
use canhgac_model::bulletin::{OutboxFilter, OutboxMail, OutboxState};
use canhgac_model::{PageRequest, Scope, Severity, Timestamp};
use canhgac_respond::email::Secret;
use canhgac_respond::escalation::{ack_link, AckToken};
use canhgac_respond::outbox::OutboxWorker;
use canhgac_respond::roster::{vietnam_time_zone, Person, Shift};
use canhgac_respond::routing::{
    route, AlertOrigin, AlertSummary, ChannelKind, Recipient, RosterView, RoutingRule,
};
use canhgac_respond::telegram::{TelegramChannel, TelegramSettings};
use canhgac_respond::webhook::{WebhookChannel, WebhookSettings};
use canhgac_respond::zalo::{ZaloChannel, ZaloSettings};
use canhgac_respond::{Channel, RespondError, RetryPolicy};
use canhgac_store::testing::test_stores;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One request as the stand-in server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A server that records every request and answers with the current scripted reply; with
/// `hang` it never answers.
#[derive(Clone)]
struct Stub {
    seen: Arc<Mutex<Vec<Seen>>>,
    reply: Arc<Mutex<(StatusCode, String)>>,
    hang: bool,
}

impl Stub {
    fn new(status: StatusCode, body: &str) -> Self {
        Self {
            seen: Arc::default(),
            reply: Arc::new(Mutex::new((status, body.to_string()))),
            hang: false,
        }
    }

    fn answer(&self, status: StatusCode, body: &str) {
        *self.reply.lock().unwrap() = (status, body.to_string());
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    async fn serve(self) -> SocketAddr {
        async fn record(
            State(stub): State<Stub>,
            uri: Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> (StatusCode, String) {
            stub.seen.lock().unwrap().push(Seen {
                path: uri.path().to_string(),
                headers,
                body,
            });
            if stub.hang {
                std::future::pending::<()>().await;
            }
            stub.reply.lock().unwrap().clone()
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(record).with_state(self);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }
}

/// A port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn mail(recipient: &str) -> OutboxMail {
    OutboxMail {
        id: 77,
        channel: String::new(),
        recipient: recipient.into(),
        recipient_name: Some("Nguyễn Văn An".into()),
        subject: "[canhgac] [Cao / High] Tấn công dò mật khẩu".into(),
        body_text: "Cảnh báo mức Cao: Tấn công dò mật khẩu\n---\nHigh alert".into(),
        body_html: None,
        attempts: 1,
    }
}

fn json(body: &Bytes) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

const WEBHOOK_SECRET: &str = "whsec-local-test-7f3a9c";
const URL_TOKEN: &str = "T0KEN-IN-THE-PATH";

fn expected_signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn webhook_posts_json_signed_with_the_secret() {
    let stub = Stub::new(StatusCode::NO_CONTENT, "");
    let addr = stub.clone().serve().await;
    let url = format!("http://{addr}/hooks/{URL_TOKEN}");
    let channel = WebhookChannel::new(&WebhookSettings::new(&url, WEBHOOK_SECRET)).unwrap();
    assert_eq!(channel.name(), "webhook");
    channel.deliver(&mail("person:10")).await.unwrap();

    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.path, format!("/hooks/{URL_TOKEN}"));
    let signature = request.headers["x-canhgac-signature"].to_str().unwrap();
    assert_eq!(signature, expected_signature(&request.body));
    // The signature is of these exact bytes: one changed byte no longer matches.
    let mut altered = request.body.to_vec();
    altered[2] ^= 1;
    assert_ne!(signature, expected_signature(&altered));
    assert_eq!(request.headers["x-canhgac-delivery"], "77");
    assert_eq!(request.headers["content-type"], "application/json");
    let body = json(&request.body);
    assert_eq!(body["id"], 77);
    assert_eq!(body["channel"], "webhook");
    assert_eq!(body["recipient"], "person:10");
    assert_eq!(body["recipient_name"], "Nguyễn Văn An");
    assert_eq!(
        body["subject"],
        "[canhgac] [Cao / High] Tấn công dò mật khẩu"
    );
    assert!(body["text"]
        .as_str()
        .unwrap()
        .starts_with("Cảnh báo mức Cao"));
}

#[tokio::test]
async fn webhook_failures_are_retryable_and_name_the_status_but_no_secret() {
    let stub = Stub::new(StatusCode::SERVICE_UNAVAILABLE, "busy");
    let addr = stub.clone().serve().await;
    let url = format!("http://{addr}/hooks/{URL_TOKEN}");
    let channel = WebhookChannel::new(&WebhookSettings::new(&url, WEBHOOK_SECRET)).unwrap();
    for status in [
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::NOT_FOUND,
        StatusCode::FOUND,
    ] {
        stub.answer(status, "");
        let error = channel.deliver(&mail("person:10")).await.unwrap_err();
        assert!(!error.permanent, "{status}: {error}");
        assert!(
            error.message.contains(&status.as_u16().to_string()),
            "{error}"
        );
        assert!(!error.message.contains(URL_TOKEN), "{error}");
    }

    // No answer at all within the timeout.
    let hanging = Stub {
        hang: true,
        ..Stub::new(StatusCode::OK, "")
    };
    let addr = hanging.serve().await;
    let mut settings =
        WebhookSettings::new(format!("http://{addr}/hooks/{URL_TOKEN}"), WEBHOOK_SECRET);
    settings.timeout = Duration::from_millis(300);
    let error = WebhookChannel::new(&settings)
        .unwrap()
        .deliver(&mail("person:10"))
        .await
        .unwrap_err();
    assert!(!error.permanent);
    assert!(error.message.contains("timed out"), "{error}");
    assert!(!error.message.contains(URL_TOKEN), "{error}");

    // Nobody listening.
    let closed = closed_port().await;
    let settings =
        WebhookSettings::new(format!("http://{closed}/hooks/{URL_TOKEN}"), WEBHOOK_SECRET);
    let channel = WebhookChannel::new(&settings).unwrap();
    let error = channel.deliver(&mail("person:10")).await.unwrap_err();
    assert!(!error.permanent);
    for secret in [URL_TOKEN, WEBHOOK_SECRET] {
        assert!(!error.message.contains(secret), "{error}");
        assert!(!format!("{channel:?}").contains(secret));
        assert!(!format!("{settings:?}").contains(secret));
    }
}

const BOT_TOKEN: &str = "123456789:AAH-local_test_token_xyz";

#[tokio::test]
async fn telegram_sends_the_message_to_the_chat() {
    let stub = Stub::new(StatusCode::OK, r#"{"ok":true,"result":{"message_id":5}}"#);
    let addr = stub.clone().serve().await;
    let mut settings = TelegramSettings::new(BOT_TOKEN);
    settings.base_url = format!("http://{addr}/");
    let channel = TelegramChannel::new(&settings).unwrap();
    channel.deliver(&mail("-1001234567")).await.unwrap();
    let seen = stub.seen();
    assert_eq!(seen[0].path, format!("/bot{BOT_TOKEN}/sendMessage"));
    let body = json(&seen[0].body);
    assert_eq!(body["chat_id"], "-1001234567");
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("[canhgac] [Cao / High] Tấn công dò mật khẩu\n\nCảnh báo mức Cao"));
    assert_eq!(body["link_preview_options"]["is_disabled"], true);

    // Over-long messages are cut below Telegram's 4096 characters.
    let mut long = mail("-1001234567");
    long.body_text = "ư".repeat(5000);
    channel.deliver(&long).await.unwrap();
    let seen = stub.seen();
    let text = json(&seen[1].body)["text"].as_str().unwrap().to_string();
    assert!(text.encode_utf16().count() <= 4096 && text.ends_with('…'));
    assert!(
        text.encode_utf16().count() > 4000,
        "cut no shorter than needed"
    );
}

#[tokio::test]
async fn telegram_errors_keep_the_token_out() {
    let stub = Stub::new(
        StatusCode::BAD_REQUEST,
        r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
    );
    let addr = stub.clone().serve().await;
    let mut settings = TelegramSettings::new(BOT_TOKEN);
    settings.base_url = format!("http://{addr}");
    let channel = TelegramChannel::new(&settings).unwrap();
    let error = channel.deliver(&mail("42")).await.unwrap_err();
    assert!(error.permanent, "no such chat cannot be retried away");
    assert!(error.message.contains("chat not found") && error.message.contains("400"));

    stub.answer(
        StatusCode::TOO_MANY_REQUESTS,
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3"}"#,
    );
    let error = channel.deliver(&mail("42")).await.unwrap_err();
    assert!(!error.permanent && error.message.contains("429"));

    // A server that echoes the path (with the token) back.
    stub.answer(
        StatusCode::BAD_GATEWAY,
        &format!(
            r#"{{"ok":false,"description":"upstream failed for /bot{BOT_TOKEN}/sendMessage"}}"#
        ),
    );
    let error = channel.deliver(&mail("42")).await.unwrap_err();
    assert!(!error.permanent);
    assert!(error.message.contains("upstream failed"), "{error}");
    assert!(!error.message.contains(BOT_TOKEN), "{error}");
    assert!(!error.message.contains("AAH-local"), "{error}");

    let closed = closed_port().await;
    settings.base_url = format!("http://{closed}");
    let channel = TelegramChannel::new(&settings).unwrap();
    let error = channel.deliver(&mail("42")).await.unwrap_err();
    assert!(!error.permanent);
    assert!(!error.message.contains("AAH-local"), "{error}");
    assert!(!format!("{channel:?}").contains("AAH-local"));
    assert!(!format!("{settings:?}").contains("AAH-local"));

    let mut bad = TelegramSettings::new("not a token");
    bad.base_url = format!("http://{closed}");
    assert!(matches!(
        TelegramChannel::new(&bad),
        Err(RespondError::Config { key, .. }) if key == "telegram.bot_token"
    ));
}

const ZALO_TOKEN: &str = "zalo-oa-local-access-token-Qm9";

#[tokio::test]
async fn zalo_sends_a_text_with_the_access_token_header() {
    let stub = Stub::new(
        StatusCode::OK,
        r#"{"error":0,"message":"Success","data":{"message_id":"m1","user_id":"84123"}}"#,
    );
    let addr = stub.clone().serve().await;
    let mut settings = ZaloSettings::new(ZALO_TOKEN);
    settings.base_url = format!("http://{addr}");
    let channel = ZaloChannel::new(&settings).unwrap();
    channel.deliver(&mail("84123")).await.unwrap();
    let seen = stub.seen();
    assert_eq!(seen[0].path, "/v3.0/oa/message/cs");
    assert_eq!(seen[0].headers["access_token"], ZALO_TOKEN);
    let body = json(&seen[0].body);
    assert_eq!(body["recipient"]["user_id"], "84123");
    assert!(body["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("[canhgac] [Cao / High]"));

    // Zalo reports its errors in a 200 answer.
    stub.answer(
        StatusCode::OK,
        &format!(r#"{{"error":-216,"message":"Access token {ZALO_TOKEN} is invalid"}}"#),
    );
    let error = channel.deliver(&mail("84123")).await.unwrap_err();
    assert!(!error.permanent);
    assert!(error.message.contains("-216"), "{error}");
    assert!(!error.message.contains(ZALO_TOKEN), "{error}");
    stub.answer(StatusCode::INTERNAL_SERVER_ERROR, "oops");
    let error = channel.deliver(&mail("84123")).await.unwrap_err();
    assert!(!error.permanent && error.message.contains("500"), "{error}");

    let closed = closed_port().await;
    settings.base_url = format!("http://{closed}");
    let channel = ZaloChannel::new(&settings).unwrap();
    let error = channel.deliver(&mail("84123")).await.unwrap_err();
    assert!(!error.message.contains(ZALO_TOKEN), "{error}");
    assert!(!format!("{channel:?}").contains(ZALO_TOKEN));
    assert!(!format!("{settings:?}").contains(ZALO_TOKEN));
    assert!(matches!(
        ZaloChannel::new(&ZaloSettings::new("")),
        Err(RespondError::Config { key, .. }) if key == "zalo.access_token"
    ));
}

fn at(text: &str) -> Timestamp {
    vietnam_time_zone()
        .to_timestamp(text.parse::<jiff::civil::DateTime>().unwrap())
        .unwrap()
}

/// The "done when" path up to delivery: an alert at 02:00 during a Tết night shift is routed to
/// the on-duty engineer, queued twice (routing ran twice), delivered once by the outbox worker
/// to the webhook, with an acknowledgement link that verifies.
#[tokio::test]
async fn an_alert_at_night_reaches_the_on_duty_engineer_once_through_the_outbox() {
    let stub = Stub::new(StatusCode::OK, "{}");
    let addr = stub.clone().serve().await;
    let ack_secret = Secret::new("ack-secret-for-the-local-test");
    let mut an = Person::new(10, "Nguyễn Văn An");
    an.email = Some("an@example.gov.vn".into());
    let roster = RosterView {
        shifts: vec![Shift {
            id: 1,
            start: at("2026-02-16T22:00"),
            end: at("2026-02-17T06:00"),
            unit_id: None,
            primary: an.on_duty(),
            backup: None,
            note: "Đêm mùng 1 Tết".into(),
        }],
        people: vec![an],
        leaders: vec![],
    };
    let mut rule = RoutingRule::new("trực Tết", Severity::High);
    rule.notify = vec![Recipient::OnDutyPrimary];
    rule.channels = vec![ChannelKind::Webhook];
    let alert = AlertSummary {
        key: "alert:42".into(),
        source: AlertOrigin::Detection,
        severity: Severity::High,
        unit_id: None,
        rule_id: "sigma-bruteforce".into(),
        tags: vec![],
        title_vi: "Tấn công dò mật khẩu".into(),
        title_en: "Password guessing".into(),
        link: "https://soc.example.gov.vn/alerts/42".into(),
        raised_at: at("2026-02-17T02:00"),
    };
    let now = at("2026-02-17T02:00");
    for ts in test_stores().await {
        let drafts: Vec<_> = (0..2)
            .flat_map(|_| route(&alert, std::slice::from_ref(&rule), &roster, now).notifications)
            .map(|n| {
                let expires = now
                    .checked_add(jiff::SignedDuration::from_hours(24))
                    .unwrap();
                let token = AckToken::sign(&alert.key, n.person.id, expires, &ack_secret).unwrap();
                n.draft(
                    &alert,
                    Some(&ack_link("https://soc.example.gov.vn", &token)),
                )
            })
            .collect();
        assert_eq!(drafts.len(), 2);
        let queued = ts.store.enqueue_outbox(&drafts).await.unwrap();
        assert!(queued[0].is_some() && queued[1].is_none(), "{}", ts.name);

        let channel = WebhookChannel::new(&WebhookSettings::new(
            format!("http://{addr}/hook"),
            WEBHOOK_SECRET,
        ))
        .unwrap();
        let worker = OutboxWorker::new(ts.store.clone(), Arc::new(channel), RetryPolicy::default());
        let before = stub.seen().len();
        let report = worker.round().await.unwrap();
        assert_eq!(report.sent, 1, "{}", ts.name);
        assert_eq!(worker.round().await.unwrap().sent, 0);
        let seen = stub.seen();
        assert_eq!(seen.len(), before + 1);
        let body = json(&seen[before].body);
        assert_eq!(body["recipient"], "person:10");
        let text = body["text"].as_str().unwrap();
        let link = text
            .lines()
            .find_map(|l| l.strip_prefix("Xác nhận đã nhận: "))
            .unwrap();
        let token = link.rsplit('/').next().unwrap();
        let claims = AckToken::verify(token, &ack_secret, at("2026-02-17T02:10")).unwrap();
        assert_eq!(
            (claims.alert_key.as_str(), claims.person_id),
            ("alert:42", 10)
        );

        let listed = ts
            .store
            .list_outbox(
                &Scope::All,
                &OutboxFilter::default(),
                &PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        let ours: Vec<_> = listed
            .items
            .iter()
            .filter(|m| m.dedup_key == "notify:alert:42:10:webhook")
            .collect();
        assert_eq!(ours.len(), 1);
        assert_eq!(ours[0].state, OutboxState::Sent);
    }
}
