//! Paging end to end, with the real binary, a real SMTP server (Debian's aiosmtpd on loopback)
//! and a local webhook receiver that checks every signature: during a holiday shift an alert
//! reaches the engineer on duty by email and webhook; unacknowledged, it escalates to the
//! backup; acknowledged through the link in the email, it goes no further; killed with messages
//! still queued (the mail server down), canhgac delivers each of them exactly once after a
//! restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use common::smtp::{aiosmtpd_available, free_port, mails, Sink};
use common::{admin_token, api, client, Server};
use reqwest::Method;
use serde_json::{json, Value};

const WEBHOOK_SECRET: &str = "khoa-ky-webhook-thu-nghiem-2027";

fn rule(marker: &str, id_tail: &str) -> String {
    format!(
        r#"
title: Dấu hiệu thử nghiệm phân công trực {marker}
id: 7d1c2f4e-0000-4000-8000-0000000{id_tail}
status: test
description: Our own test rule; matches a marker word in a log message.
logsource:
    product: linux
detection:
    marker:
        msg|contains: '{marker}'
    condition: marker
level: high
"#
    )
}

fn to(mail: &Value) -> String {
    mail["rcpt_tos"][0].as_str().unwrap().to_string()
}

/// Waits until a mail to `address` whose subject contains `about` has arrived; returns it.
async fn wait_for_mail(dir: &Path, address: &str, about: &str, server: &Server) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(mail) = mails(dir)
            .into_iter()
            .find(|m| to(m) == address && m["subject"].as_str().unwrap().contains(about))
        {
            return mail;
        }
        assert!(
            Instant::now() < deadline,
            "no mail to {address} about {about}: {:#?}\nserver log:\n{}",
            mails(dir),
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the webhook receiver got: (signature valid, JSON body).
type Hooks = Arc<Mutex<Vec<(bool, Value)>>>;

/// A local HTTP server taking the webhook's POSTs and checking each signature.
async fn webhook_receiver() -> (String, Hooks) {
    let hooks: Hooks = Arc::default();
    let seen = hooks.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let expected = canhgac_respond::webhook::signature(
                    &canhgac_respond::email::Secret::new(WEBHOOK_SECRET),
                    &body,
                );
                let given = headers
                    .get("x-canhgac-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                seen.lock().unwrap().push((given == expected, json));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hooks)
}

async fn wait_for_hook(hooks: &Hooks, about: &str, server: &Server) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = hooks.lock().unwrap().clone();
        if let Some((valid, body)) = got
            .iter()
            .find(|(_, b)| b["subject"].as_str().unwrap_or_default().contains(about))
        {
            assert!(valid, "webhook signature does not verify: {body}");
            return body.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no webhook about {about}: {got:#?}\nserver log:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn start_server(cwd: &Path, data: &str, smtp_port: u16, webhook: &str) -> Server {
    let env = [
        ("CANHGAC_SMTP__HOST", "127.0.0.1".to_string()),
        ("CANHGAC_SMTP__PORT", smtp_port.to_string()),
        ("CANHGAC_SMTP__SECURITY", "none".into()),
        ("CANHGAC_SMTP__FROM", "canhgac@stttt.example.gov.vn".into()),
        ("CANHGAC_SMTP__TIMEOUT", "3s".into()),
        ("CANHGAC_OUTBOX__RETRY_FIRST", "1s".into()),
        ("CANHGAC_OUTBOX__RETRY_MAX", "2s".into()),
        ("CANHGAC_OUTBOX__MAX_ATTEMPTS", "1000".into()),
        ("CANHGAC_OUTBOX__POLL", "1s".into()),
        ("CANHGAC_NOTIFY__POLL", "1s".into()),
        ("CANHGAC_NOTIFY__MIN_SEVERITY", "high".into()),
        ("CANHGAC_NOTIFY__CHANNELS", "email, webhook".into()),
        ("CANHGAC_NOTIFY__ESCALATION_CHANNELS", "email".into()),
        ("CANHGAC_NOTIFY__ESCALATE_TO_BACKUP", "5s".into()),
        ("CANHGAC_NOTIFY__ESCALATE_TO_LEADER", "5s".into()),
        ("CANHGAC_NOTIFY__WEBHOOK_URL", webhook.to_string()),
        ("CANHGAC_NOTIFY__WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
        ("CANHGAC_LOG", "info,tower_http=debug".into()),
    ];
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

/// Sends one syslog line (RFC 3164 over UDP) to the server's listener.
async fn send_event(server: &Server, message: &str) {
    let addr = server
        .syslog_addr("udp")
        .expect("udp syslog listener announced");
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let line = format!("<34>Nov 26 02:00:00 portal01 sshd[42]: {message}");
    socket.send_to(line.as_bytes(), addr).await.unwrap();
}

/// Every acknowledgement link in a mail's text.
fn ack_link(mail: &Value) -> String {
    mail["text"]
        .as_str()
        .unwrap()
        .lines()
        .find_map(|l| l.split_whitespace().find(|w| w.contains("/ack/")))
        .expect("an acknowledgement link")
        .to_string()
}

#[tokio::test]
async fn holiday_alert_pages_escalates_stops_on_ack_and_survives_a_kill() {
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
    let data_path = cwd.join("data");
    let data = data_path.to_str().unwrap();
    let token = admin_token(cwd, &["--data", data]);
    let rules = data_path.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("duty_one.yml"), rule("canhgac-duty-one", "d001")).unwrap();
    std::fs::write(rules.join("duty_two.yml"), rule("canhgac-duty-two", "d002")).unwrap();
    let smtp_port = free_port();
    let sink = Sink::start(smtp_port, &inbox);
    let (webhook, hooks) = webhook_receiver().await;
    let mut server = start_server(cwd, data, smtp_port, &webhook);
    let http = client();

    // The province's duty team: An on duty, Bình as backup, Cường leads the province.
    let province = post(
        &http,
        &server,
        &token,
        "/api/v1/units",
        json!({"name": "UBND tỉnh thử nghiệm", "kind": "province"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let mut people = Vec::new();
    for (name, email) in [
        ("Nguyễn Văn An", "an@stttt.example.gov.vn"),
        ("Trần Thị Bình", "binh@stttt.example.gov.vn"),
        ("Lê Văn Cường", "cuong@stttt.example.gov.vn"),
    ] {
        let contact = post(
            &http,
            &server,
            &token,
            "/api/v1/contacts",
            json!({"unit_id": province, "name": name, "email": email}),
        )
        .await;
        people.push(contact["id"].as_i64().unwrap());
    }
    let (an, binh, cuong) = (people[0], people[1], people[2]);
    let (status, leader) = api(
        &http,
        &server,
        &token,
        Method::PUT,
        &format!("/api/v1/duty/people/{cuong}"),
        Some(json!({"leads_unit": true})),
    )
    .await;
    assert_eq!(status, 200, "{leader}");

    // Tết: a holiday from an hour ago for two days; the sheet covers the first day only, so the
    // coverage check shows the gap before anyone is paged into it.
    let now = jiff::Timestamp::now();
    let hour = jiff::SignedDuration::from_hours(1);
    let holiday = post(&http, &server, &token, "/api/v1/duty/holidays", json!({
        "id": 0, "name": "Tết Đinh Mùi", "start": now - hour, "end": now + hour * 48, "unit_ids": []
    })).await;
    assert!(
        holiday["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["error"] == true),
        "{holiday}"
    );
    let sheet = format!(
        "bắt đầu,kết thúc,đơn vị,trực chính,trực dự phòng,ghi chú\n{},{},toàn tỉnh,Nguyễn Văn An,binh@stttt.example.gov.vn,Trực Tết\n",
        now - hour,
        now + hour * 24
    );
    let response = http
        .post(format!("{}/api/v1/duty/shifts/import", server.base))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(sheet)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let imported: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{imported}");
    assert_eq!(imported["shifts"][0]["primary_id"], an, "{imported}");
    let (_, on_duty) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/duty/now",
        None,
    )
    .await;
    assert_eq!(on_duty[0]["primary"]["name"], "Nguyễn Văn An", "{on_duty}");
    assert_eq!(on_duty[0]["backup"]["name"], "Trần Thị Bình", "{on_duty}");
    // A sheet with a bad row imports nothing and names the row.
    let response = http
        .post(format!("{}/api/v1/duty/shifts/import", server.base))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(format!("start,end,primary\n{},{},Ai Đó\n", now, now + hour))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(response.text().await.unwrap().contains("dòng 2"));

    // The alert: An gets it by email and webhook, with an acknowledgement link.
    send_event(&server, "login failed canhgac-duty-one").await;
    let first = "canhgac-duty-one";
    common::wait_for(&http, &server, &token, "/api/v1/alerts", |body| {
        body["items"]
            .as_array()
            .and_then(|items| items.first().cloned())
    })
    .await;
    let mail = wait_for_mail(&inbox, "an@stttt.example.gov.vn", first, &server).await;
    let hook = wait_for_hook(&hooks, first, &server).await;
    assert_eq!(hook["recipient"], format!("person:{an}"), "{hook}");
    assert_eq!(hook["recipient_name"], "Nguyễn Văn An");
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("Cảnh báo mức Cao"), "{text}");
    let link = ack_link(&mail);
    assert!(link.starts_with(&format!("{}/ack/", server.base)), "{link}");

    // Nobody acknowledges: Bình, the backup, is paged.
    let escalated = wait_for_mail(&inbox, "binh@stttt.example.gov.vn", first, &server).await;
    assert!(
        escalated["text"].as_str().unwrap().contains("dự phòng"),
        "{escalated}"
    );

    // An acknowledges through the link: opening it changes nothing, the button does.
    let anonymous = reqwest::Client::new();
    let page = anonymous
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Tôi đã nhận và đang xử lý"), "{page}");
    let (_, pages) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/duty/pages",
        None,
    )
    .await;
    assert!(pages[0]["acknowledged_at"].is_null(), "{pages}");
    let thanks = anonymous.post(&link).send().await.unwrap();
    assert_eq!(thanks.status(), 200);
    assert!(thanks.text().await.unwrap().contains("Đã ghi nhận"));
    let (_, pages) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/duty/pages",
        None,
    )
    .await;
    assert_eq!(pages[0]["acknowledged_by"], "Nguyễn Văn An", "{pages}");
    assert!(pages[0]["next_check_at"].is_null(), "{pages}");
    let alert_id = pages[0]["alert_id"].as_i64().unwrap();
    let (_, alert) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/alerts/{alert_id}"),
        None,
    )
    .await;
    assert_eq!(alert["status"], "acknowledged", "{alert}");
    // A tampered link is refused.
    let forged = format!("{}x", link.trim_end_matches('/'));
    let refused = anonymous
        .post(&forged)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refused.contains("liên kết xác nhận"), "{refused}");

    // The mail server goes down; a second alert is paged while it is: its emails wait in the
    // outbox (the webhook still goes), and canhgac is killed with them queued.
    drop(sink);
    let second = "canhgac-duty-two";
    send_event(&server, "web shell canhgac-duty-two").await;
    wait_for_hook(&hooks, second, &server).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, outbox) = api(
            &http,
            &server,
            &token,
            Method::GET,
            "/api/v1/outbox?state=queued",
            None,
        )
        .await;
        let waiting = outbox["items"].as_array().unwrap().iter().any(|m| {
            m["recipient"] == "an@stttt.example.gov.vn" && m["attempts"].as_u64().unwrap_or(0) >= 1
        });
        if waiting {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failed attempt queued: {outbox}\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let killed = Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    server.wait();

    let sink = Sink::start(smtp_port, &inbox);
    let server = start_server(cwd, data, smtp_port, &webhook);
    wait_for_mail(&inbox, "an@stttt.example.gov.vn", second, &server).await;
    // The second alert, unacknowledged, escalates to Bình across the restart too.
    wait_for_mail(&inbox, "binh@stttt.example.gov.vn", second, &server).await;
    // ... while the first, acknowledged, never reached the leader.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let got = mails(&inbox);
    let mut seen: Vec<(String, String)> = got
        .iter()
        .map(|m| (to(m), m["subject"].as_str().unwrap().to_string()))
        .collect();
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "a notification was sent twice: {got:#?}");
    assert!(
        !seen
            .iter()
            .any(|(to, subject)| to.starts_with("cuong@") && subject.contains(first)),
        "the acknowledged alert escalated to the leader: {seen:#?}"
    );
    let hooks_got = hooks.lock().unwrap().clone();
    assert!(hooks_got.iter().all(|(valid, _)| *valid));
    let mut hook_keys: Vec<String> = hooks_got
        .iter()
        .map(|(_, b)| format!("{} {}", b["recipient"], b["subject"]))
        .collect();
    let hook_total = hook_keys.len();
    hook_keys.sort();
    hook_keys.dedup();
    assert_eq!(
        hook_keys.len(),
        hook_total,
        "a webhook was sent twice: {hooks_got:#?}"
    );
    assert_eq!(hook_total, 2, "{hooks_got:#?}");
    // No secret in the log: neither the webhook's key nor a link's token.
    let log = server.stderr();
    assert!(!log.contains(WEBHOOK_SECRET));
    assert!(!log.contains(link.rsplit('/').next().unwrap()));
    let _ = binh;
    drop(sink);
}
