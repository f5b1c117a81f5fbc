//! Awareness bulletins end to end, with the real binary and a real SMTP server (Debian's
//! aiosmtpd on loopback): a bulletin to one unit reaches its two officials with personal links;
//! following one link and confirming shows 1 of 2 confirmed; "remind" writes only to the other;
//! while the mail server is down the outbox retries, and delivers once it is back, also across a
//! restart of canhgac.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::smtp::{aiosmtpd_available, free_port, mails, wait_for_mails, Sink};
use common::{admin_token, api, client, wait_for, wait_for_within, Server};
use reqwest::Method;
use serde_json::{json, Value};

fn to(mail: &Value) -> String {
    mail["rcpt_tos"][0].as_str().unwrap().to_string()
}

/// The personal link in a mail's text.
fn link(mail: &Value) -> String {
    mail["text"]
        .as_str()
        .unwrap()
        .lines()
        .find(|l| l.contains("/bulletins/confirm/"))
        .expect("a confirmation link")
        .trim()
        .to_string()
}

fn serve_env(smtp_port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("CANHGAC_SMTP__HOST", "127.0.0.1".into()),
        ("CANHGAC_SMTP__PORT", smtp_port.to_string()),
        ("CANHGAC_SMTP__SECURITY", "none".into()),
        ("CANHGAC_SMTP__FROM", "canhgac@stttt.example.gov.vn".into()),
        ("CANHGAC_SMTP__FROM_NAME", "Sở TT&TT".into()),
        ("CANHGAC_SMTP__TIMEOUT", "3s".into()),
        ("CANHGAC_OUTBOX__RETRY_FIRST", "1s".into()),
        ("CANHGAC_OUTBOX__RETRY_MAX", "2s".into()),
        ("CANHGAC_OUTBOX__POLL", "1s".into()),
        // Request spans logged, so the test can check they carry no link token.
        ("CANHGAC_LOG", "info,tower_http=debug".into()),
    ]
}

fn start_server(cwd: &Path, data: &str, smtp_port: u16) -> Server {
    let env = serve_env(smtp_port);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start_with_env(cwd, &["--data", data], &env)
}

async fn post(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    path: &str,
    body: Value,
) -> Value {
    let (status, reply) = api(http, server, token, Method::POST, path, Some(body)).await;
    assert!(
        (200..300).contains(&status),
        "POST {path}: {status} {reply}"
    );
    reply
}

#[tokio::test]
async fn bulletin_by_email_confirmed_reminded_and_retried() {
    if !aiosmtpd_available() {
        canhgac_store::testing::skip_for_missing_service(
            "aiosmtpd",
            "apt-get install python3-aiosmtpd",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let inbox = cwd.join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let data = cwd.join("data");
    let data = data.to_str().unwrap();
    let token = admin_token(cwd, &["--data", data]);
    let smtp_port = free_port();
    let sink = Sink::start(smtp_port, &inbox);
    let server = start_server(cwd, data, smtp_port);
    let http = client();

    // Two units with contacts; only the first receives the bulletin.
    let unit_a = post(
        &http,
        &server,
        &token,
        "/api/v1/units",
        json!({"name": "Sở Thông tin và Truyền thông", "kind": "department"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let unit_b = post(
        &http,
        &server,
        &token,
        "/api/v1/units",
        json!({"name": "Sở Y tế", "kind": "department"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    for (unit, name, email) in [
        (unit_a, "Nguyễn Văn An", "an@stttt.example.gov.vn"),
        (unit_a, "Trần Thị Bình", "binh@stttt.example.gov.vn"),
        (unit_b, "Lê Văn Cường", "cuong@syt.example.gov.vn"),
    ] {
        post(
            &http,
            &server,
            &token,
            "/api/v1/contacts",
            json!({"unit_id": unit, "name": name, "email": email}),
        )
        .await;
    }
    // A contact without an address receives nothing.
    post(
        &http,
        &server,
        &token,
        "/api/v1/contacts",
        json!({"unit_id": unit_a, "name": "Phạm Văn Dũng", "phone": "0912345678"}),
    )
    .await;

    let created = post(
        &http,
        &server,
        &token,
        "/api/v1/bulletins",
        json!({
            "title": "Cảnh giác thư giả mạo dịp nghỉ lễ",
            "body": "Không mở tệp đính kèm lạ.\n\nBáo ngay cho bộ phận CNTT khi nghi ngờ.",
            "unit_ids": [unit_a],
        }),
    )
    .await;
    let id = created["bulletin"]["id"].as_i64().unwrap();
    assert_eq!(created["bulletin"]["recipients"], 2, "{created}");

    // Both officials get their own email with their own link.
    let got = wait_for_mails(&inbox, 2, &server).await;
    let mut recipients: Vec<String> = got.iter().map(to).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["an@stttt.example.gov.vn", "binh@stttt.example.gov.vn"]
    );
    for mail in &got {
        assert_eq!(
            mail["subject"],
            "[Bản tin ATTT] Cảnh giác thư giả mạo dịp nghỉ lễ"
        );
        assert_eq!(mail["mail_from"], "canhgac@stttt.example.gov.vn");
        assert!(
            mail["from"].as_str().unwrap().contains("Sở TT&TT"),
            "{mail}"
        );
        let text = mail["text"].as_str().unwrap();
        assert!(text.contains("Không mở tệp đính kèm lạ."), "{text}");
        assert!(link(mail).starts_with(&format!("{}/bulletins/confirm/", server.base)));
        assert!(mail["html"].as_str().unwrap().contains(&link(mail)));
    }
    assert_ne!(link(&got[0]), link(&got[1]));
    let an = got.iter().find(|m| to(m).starts_with("an@")).unwrap();
    let an_link = link(an);

    // Opening the link shows the bulletin and confirms nothing yet (mail scanners open links).
    let page = http.get(&an_link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Cảnh giác thư giả mạo dịp nghỉ lễ"), "{html}");
    assert!(html.contains("Tôi đã đọc bản tin này"), "{html}");
    let (_, detail) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/bulletins/{id}"),
        None,
    )
    .await;
    assert_eq!(detail["bulletin"]["confirmed"], 0, "{detail}");
    // Confirming needs no sign-in (a fresh client, no cookie) and thanks in Vietnamese.
    let anonymous = reqwest::Client::new();
    let thanks = anonymous.post(&an_link).send().await.unwrap();
    assert_eq!(thanks.status(), 200);
    let text = thanks.text().await.unwrap();
    assert!(text.contains("Xin cảm ơn Nguyễn Văn An"), "{text}");
    // Again: still fine, still one confirmation.
    let again = anonymous.post(&an_link).send().await.unwrap();
    assert_eq!(again.status(), 200);
    // A made-up token is a plain 404.
    let forged = format!("{}/bulletins/confirm/{}", server.base, "A".repeat(43));
    assert_eq!(anonymous.post(&forged).send().await.unwrap().status(), 404);

    let (_, detail) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/bulletins/{id}"),
        None,
    )
    .await;
    assert_eq!(detail["bulletin"]["confirmed"], 1, "{detail}");
    assert_eq!(detail["bulletin"]["recipients"], 2, "{detail}");
    assert_eq!(
        detail["units"],
        json!([{"unit_id": unit_a, "unit_name": "Sở Thông tin và Truyền thông", "recipients": 2, "confirmed": 1}])
    );
    for r in detail["recipients"].as_array().unwrap() {
        assert_eq!(r["delivery"], "sent", "{r}");
        let confirmed = !r["confirmed_at"].is_null();
        assert_eq!(confirmed, r["name"] == "Nguyễn Văn An", "{r}");
    }

    // "Nhắc lại": one reminder, to the one who has not confirmed.
    let reminded = post(
        &http,
        &server,
        &token,
        &format!("/api/v1/bulletins/{id}/remind"),
        json!({}),
    )
    .await;
    assert_eq!(reminded["reminders"], 1);
    let got = wait_for_mails(&inbox, 3, &server).await;
    let reminder = &got[2];
    assert_eq!(to(reminder), "binh@stttt.example.gov.vn");
    assert!(
        reminder["subject"]
            .as_str()
            .unwrap()
            .starts_with("[Nhắc lại]"),
        "{reminder}"
    );
    // Its fresh link confirms too.
    let binh = anonymous.post(link(reminder)).send().await.unwrap();
    assert_eq!(binh.status(), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(mails(&inbox).len(), 3, "nobody else was written to");
    let (_, detail) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/bulletins/{id}"),
        None,
    )
    .await;
    assert_eq!(detail["bulletin"]["confirmed"], 2, "{detail}");
    // Nobody left to remind.
    let none = post(
        &http,
        &server,
        &token,
        &format!("/api/v1/bulletins/{id}/remind"),
        json!({}),
    )
    .await;
    assert_eq!(none["reminders"], 0);

    // The mail server goes away: the outbox keeps the message and retries.
    sink.stop();
    let second = post(
        &http,
        &server,
        &token,
        "/api/v1/bulletins",
        json!({
            "title": "Cập nhật bản vá khẩn cấp", "body": "Cập nhật ngay.", "unit_ids": [unit_b],
        }),
    )
    .await;
    let second_id = second["bulletin"]["id"].as_i64().unwrap();
    let retried = wait_for(
        &http,
        &server,
        &token,
        &format!("/api/v1/outbox?bulletin_id={second_id}"),
        |page| {
            let m = &page["items"][0];
            (m["attempts"].as_u64() >= Some(2) && m["state"] != "sent").then(|| m.clone())
        },
    )
    .await;
    assert!(
        retried["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{retried}"
    );
    assert_eq!(mails(&inbox).len(), 3);
    // Back: delivered at the next attempt.
    let sink = Sink::start(smtp_port, &inbox);
    let got = wait_for_mails(&inbox, 4, &server).await;
    assert_eq!(to(&got[3]), "cuong@syt.example.gov.vn");
    let sent = wait_for(
        &http,
        &server,
        &token,
        &format!("/api/v1/outbox?bulletin_id={second_id}"),
        |page| {
            let m = &page["items"][0];
            (m["state"] == "sent").then(|| m.clone())
        },
    )
    .await;
    assert!(sent["attempts"].as_u64().unwrap() >= 2, "{sent}");

    // Down again, and canhgac restarts before it comes back: nothing is lost.
    sink.stop();
    let third = post(&http, &server, &token, "/api/v1/bulletins", json!({
        "title": "Diễn tập ứng cứu sự cố", "body": "Lịch diễn tập tuần sau.", "unit_ids": [unit_b],
    })).await;
    let third_id = third["bulletin"]["id"].as_i64().unwrap();
    wait_for(
        &http,
        &server,
        &token,
        &format!("/api/v1/outbox?bulletin_id={third_id}"),
        |page| {
            let m = &page["items"][0];
            (m["attempts"].as_u64() >= Some(1) && m["state"] == "queued").then(|| m.clone())
        },
    )
    .await;
    let first_log = server.stderr();
    assert!(server.stop().success());
    let _sink = Sink::start(smtp_port, &inbox);
    let server = start_server(cwd, data, smtp_port);
    let got = wait_for_mails(&inbox, 5, &server).await;
    assert_eq!(to(&got[4]), "cuong@syt.example.gov.vn");
    assert!(got[4]["subject"]
        .as_str()
        .unwrap()
        .contains("Diễn tập ứng cứu sự cố"));
    wait_for_within(
        &http,
        &server,
        &token,
        "/api/v1/outbox?state=sent",
        Duration::from_secs(10),
        |page| (page["total"] == 5).then(|| page.clone()),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(mails(&inbox).len(), 5, "nothing was sent twice");
    let links: Vec<String> = mails(&inbox).iter().map(link).collect();
    // The restarted server logs confirmation requests too (on its new port: the link was
    // written by the first server, which listened elsewhere).
    let token_path = &links[4][links[4].find("/bulletins/confirm/").unwrap()..];
    let page = http
        .get(format!("{}{token_path}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // Neither server logged a link token, though requests were logged.
    for log in [first_log, server.stderr()] {
        assert!(log.contains("/bulletins/confirm/***"), "{log}");
        for link in &links {
            assert!(!log.contains(link.rsplit('/').next().unwrap()), "{log}");
        }
    }
    assert!(server.stop().success());
}
