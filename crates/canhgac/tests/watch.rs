//! The watch capability end to end, with the real binary and real servers on loopback: a user
//! adds a portal, sees it green; the portal is defaced and the alert shows the diff within one
//! interval; approving the change as the new baseline clears it; a hijacked DNS record and an
//! expiring certificate raise alerts; a portal that goes down and comes back opens and closes
//! an outage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{admin_token, api, client, wait_for_within, Server};
use reqwest::Method;
use serde_json::{json, Value};

const HOME: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>Cổng thông tin tỉnh thử nghiệm</title></head>
<body><h1>Cổng thông tin điện tử tỉnh</h1>
<p>Ủy ban nhân dân tỉnh thông báo lịch tiếp công dân tháng 12.</p>
<p>Hướng dẫn nộp hồ sơ trực tuyến qua cổng dịch vụ công.</p>
<p>Tin tức hoạt động của các sở, ban, ngành trong tỉnh.</p>
</body></html>"#;

const DEFACED: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>Hacked by e2e-team</title>
<script src="https://miner.example.net/c.js"></script></head>
<body><h1>Hacked by e2e-team</h1><p>Your security is a joke.</p></body></html>"#;

/// The portal under test: serves whatever `page` holds, or 503 when `page` is empty.
async fn start_portal(page: Arc<Mutex<String>>) -> SocketAddr {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move {
                let body = page.lock().unwrap().clone();
                if body.is_empty() {
                    (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        [("content-type", "text/plain")],
                        "down".to_owned(),
                    )
                } else {
                    (
                        axum::http::StatusCode::OK,
                        [("content-type", "text/html; charset=utf-8")],
                        body,
                    )
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A DNS server answering every A question with the addresses in `answers`.
fn start_dns(answers: Arc<Mutex<Vec<[u8; 4]>>>) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0_u8; 512];
        while let Ok((len, peer)) = socket.recv_from(&mut buf) {
            let query = &buf[..len];
            if len < 12 {
                continue;
            }
            // The question runs from byte 12 to the end of QNAME plus QTYPE and QCLASS.
            let mut end = 12;
            while end < len && query[end] != 0 {
                end += usize::from(query[end]) + 1;
            }
            let question_end = (end + 5).min(len);
            let answers = answers.lock().unwrap().clone();
            let mut reply = Vec::new();
            reply.extend_from_slice(&query[0..2]);
            reply.extend_from_slice(&[0x81, 0x80, 0, 1]);
            reply.extend_from_slice(&(answers.len() as u16).to_be_bytes());
            reply.extend_from_slice(&[0, 0, 0, 0]);
            reply.extend_from_slice(&query[12..question_end]);
            for ip in answers {
                reply.extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
                reply.extend_from_slice(&ip);
            }
            let _ = socket.send_to(&reply, peer);
        }
    });
    addr
}

/// A TLS server for 127.0.0.1 whose certificate expires in `days` days; returns its port and
/// the certificate's PEM (the test trusts it through `[watch] ca_file`).
async fn start_tls(days: i64) -> (u16, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let expiry = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    params.not_after = rcgen::date_time_ymd(
        i32::from(expiry.year()),
        expiry.month() as u8,
        expiry.day() as u8,
    );
    let cert = params.self_signed(&key).unwrap();
    let pem = cert.pem();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = [0_u8; 1024];
                    let _ =
                        tokio::time::timeout(Duration::from_millis(300), tls.read(&mut buf)).await;
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    (port, pem)
}

/// A server with the watch on (tests keep it off by default) and an admin token.
fn start_watching(dir: &std::path::Path, env: &[(&str, &str)]) -> (Server, String) {
    let data = dir.join("data");
    let data_arg = data.to_str().unwrap().to_owned();
    let token = admin_token(dir, &["--data", &data_arg]);
    let mut env = env.to_vec();
    env.push(("CANHGAC_WATCH__ENABLED", "true"));
    let server = Server::start_with_env(dir, &["--data", &data_arg], &env);
    (server, token)
}

async fn create(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    path: &str,
    body: Value,
) -> Value {
    let (status, created) = api(http, server, token, Method::POST, path, Some(body)).await;
    assert_eq!(status, 201, "POST {path}: {created}");
    created
}

fn open_alert(body: &Value, rule_key: &str) -> Option<Value> {
    body["items"]
        .as_array()?
        .iter()
        .find(|a| {
            a["rule_key"] == rule_key && (a["status"] == "new" || a["status"] == "acknowledged")
        })
        .cloned()
}

#[tokio::test]
async fn portal_defacement_dns_and_certificate_alerts() {
    let page = Arc::new(Mutex::new(HOME.to_owned()));
    let portal = start_portal(page.clone()).await;
    let dns_answers = Arc::new(Mutex::new(vec![[127, 0, 0, 1]]));
    let dns = start_dns(dns_answers.clone());
    let (tls_port, tls_pem) = start_tls(5).await;

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &tls_pem).unwrap();
    let (server, token) = start_watching(
        dir.path(),
        &[("CANHGAC_WATCH__CA_FILE", ca_file.to_str().unwrap())],
    );
    let http = client();

    // The user adds the portal to the inventory: a portal system gets a defacement-watched
    // monitor of its page automatically.
    let unit = create(
        &http,
        &server,
        &token,
        "/api/v1/units",
        json!({"name": "Văn phòng UBND tỉnh thử nghiệm", "kind": "department"}),
    )
    .await;
    let system = create(&http, &server, &token, "/api/v1/systems",
        json!({"name": "Cổng thông tin điện tử", "kind": "portal", "owner_unit_id": unit["id"], "security_level": 3})).await;
    let portal_url = format!("http://{portal}/");
    let asset = create(
        &http,
        &server,
        &token,
        "/api/v1/assets",
        json!({"system_id": system["id"], "kind": "url", "value": portal_url}),
    )
    .await;
    let auto = wait_for_within(
        &http,
        &server,
        &token,
        &format!("/api/v1/monitors?asset_id={}", asset["id"]),
        Duration::from_secs(40),
        |body| body["items"].as_array()?.first().cloned(),
    )
    .await;
    assert_eq!(auto["kind"], "http");
    assert_eq!(auto["automatic"], true);
    assert!(auto["settings"]["defacement"].is_object(), "{auto}");
    let id = auto["id"].as_i64().unwrap();

    // Check every 10 s (the shortest interval), so "within one interval" is quick to prove.
    let mut input = auto.clone();
    input["interval_secs"] = json!(10);
    input["timeout_secs"] = json!(5);
    input["retries"] = json!(0);
    let (status, updated) = api(
        &http,
        &server,
        &token,
        Method::PUT,
        &format!("/api/v1/monitors/{id}"),
        Some(input),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["automatic"], false, "a user's edit makes it theirs");

    // Green, with a response time, and a baseline of the page.
    let green = wait_for_within(
        &http,
        &server,
        &token,
        &format!("/api/v1/monitors/{id}"),
        Duration::from_secs(30),
        |m| (m["status"] == "up").then(|| m.clone()),
    )
    .await;
    assert!(green["last_latency_ms"].as_u64().is_some(), "{green}");
    let (status, checks) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/monitors/{id}/checks"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{checks}");
    let checks = checks
        .as_array()
        .or_else(|| checks["items"].as_array())
        .cloned()
        .unwrap_or_default();
    assert!(
        checks
            .iter()
            .any(|c| c["ok"] == true && c["probe"] == "local"),
        "{checks:?}"
    );
    wait_for_within(
        &http,
        &server,
        &token,
        &format!("/api/v1/monitors/{id}/baseline"),
        Duration::from_secs(15),
        |b| {
            b["baseline"]["baseline"]["title"]
                .as_str()
                .map(|t| json!(t))
        },
    )
    .await;

    // Defaced: the alert shows the diff within one interval (10 s, plus a check's time).
    *page.lock().unwrap() = DEFACED.to_owned();
    let defaced_at = std::time::Instant::now();
    let alert = wait_for_within(
        &http,
        &server,
        &token,
        "/api/v1/alerts?source=monitor",
        Duration::from_secs(20),
        |body| open_alert(body, &format!("watch:defacement:{id}")),
    )
    .await;
    assert!(defaced_at.elapsed() < Duration::from_secs(20));
    assert_eq!(alert["source"], "monitor");
    assert_eq!(alert["unit_id"], unit["id"]);
    assert_eq!(
        alert["severity"], "critical",
        "a marker and a new external script: {alert}"
    );
    let evidence = alert["evidence"].to_string();
    assert!(
        evidence.contains("Hacked by e2e-team"),
        "the diff shows the new text: {evidence}"
    );
    assert!(
        evidence.contains("miner.example.net"),
        "the new script is named: {evidence}"
    );

    // The analyst approves the change as the new baseline: the alert is resolved, and the next
    // checks of the same page raise nothing.
    let (status, approved) = api(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/monitors/{id}/baseline/approve"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    let (_, resolved) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/alerts/{}", alert["id"]),
        None,
    )
    .await;
    assert_eq!(resolved["status"], "resolved", "{resolved}");
    tokio::time::sleep(Duration::from_secs(12)).await;
    let (_, alerts) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/alerts?source=monitor",
        None,
    )
    .await;
    assert!(
        open_alert(&alerts, &format!("watch:defacement:{id}")).is_none(),
        "{alerts}"
    );

    // The portal goes down, then comes back: an alert, an outage, and both closed on recovery.
    page.lock().unwrap().clear();
    let down = wait_for_within(
        &http,
        &server,
        &token,
        "/api/v1/alerts?source=monitor",
        Duration::from_secs(25),
        |body| open_alert(body, &format!("watch:down:{id}")),
    )
    .await;
    assert_eq!(down["severity"], "high");
    *page.lock().unwrap() = DEFACED.to_owned();
    wait_for_within(
        &http,
        &server,
        &token,
        &format!("/api/v1/alerts/{}", down["id"]),
        Duration::from_secs(25),
        |a| (a["status"] == "resolved").then(|| a.clone()),
    )
    .await;
    // The recovery is on the alert list too, already resolved.
    let (_, alerts) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/alerts?source=monitor",
        None,
    )
    .await;
    let recovered = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule_key"] == format!("watch:recovered:{id}"))
        .cloned()
        .unwrap_or_else(|| panic!("no recovery notice: {alerts}"));
    assert_eq!(recovered["severity"], "informational");
    assert_eq!(recovered["status"], "resolved");
    let (_, outages) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/monitors/{id}/outages"),
        None,
    )
    .await;
    let outages = outages
        .as_array()
        .cloned()
        .or_else(|| outages["items"].as_array().cloned())
        .unwrap_or_default();
    assert_eq!(outages.len(), 1, "{outages:?}");
    assert!(outages[0]["ended_at"].is_string(), "{outages:?}");

    // A DNS record that must point at 127.0.0.1 is changed: alert.
    let domain = create(
        &http,
        &server,
        &token,
        "/api/v1/assets",
        json!({"system_id": system["id"], "kind": "domain", "value": "portal.thu-nghiem.vn"}),
    )
    .await;
    let dns_monitor = create(
        &http,
        &server,
        &token,
        "/api/v1/monitors",
        json!({
            "asset_id": domain["id"], "name": "A portal.thu-nghiem.vn", "kind": "dns",
            "target": "portal.thu-nghiem.vn", "retries": 0,
            "settings": {"record_type": "A", "expected": ["127.0.0.1"], "resolver": dns.to_string()}
        }),
    )
    .await;
    let dns_id = dns_monitor["id"].as_i64().unwrap();
    let (status, first) = api(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/monitors/{dns_id}/check"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["ok"], true, "{first}");
    *dns_answers.lock().unwrap() = vec![[203, 0, 113, 66]];
    let (_, hijacked) = api(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/monitors/{dns_id}/check"),
        None,
    )
    .await;
    assert_eq!(hijacked["ok"], false, "{hijacked}");
    let dns_alert = wait_for_within(
        &http,
        &server,
        &token,
        "/api/v1/alerts?source=monitor",
        Duration::from_secs(20),
        |body| open_alert(body, &format!("watch:dns:{dns_id}")),
    )
    .await;
    assert!(
        dns_alert["evidence"].to_string().contains("203.0.113.66"),
        "{dns_alert}"
    );

    // A certificate that expires in five days: alert, naming the days left.
    let tls_asset = create(
        &http,
        &server,
        &token,
        "/api/v1/assets",
        json!({"system_id": system["id"], "kind": "ip", "value": "127.0.0.1"}),
    )
    .await;
    let tls_monitor = create(
        &http,
        &server,
        &token,
        "/api/v1/monitors",
        json!({
            "asset_id": tls_asset["id"], "name": "Chứng thư cổng", "kind": "tls",
            "target": format!("127.0.0.1:{tls_port}")
        }),
    )
    .await;
    let tls_id = tls_monitor["id"].as_i64().unwrap();
    let (status, checked) = api(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/monitors/{tls_id}/check"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{checked}");
    let cert_alert = wait_for_within(
        &http,
        &server,
        &token,
        "/api/v1/alerts?source=monitor",
        Duration::from_secs(20),
        |body| open_alert(body, &format!("watch:cert:{tls_id}")),
    )
    .await;
    assert_eq!(cert_alert["severity"], "high", "{cert_alert}");
    let title = cert_alert["title"].as_str().unwrap();
    assert!(
        title.contains("sắp hết hạn")
            && (title.contains("còn 4 ngày") || title.contains("còn 5 ngày")),
        "{title}"
    );

    server.stop();
}

#[tokio::test]
async fn a_remote_probe_runs_its_monitors_and_reports_back() {
    let page = Arc::new(Mutex::new(HOME.to_owned()));
    let portal = start_portal(page.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = start_watching(dir.path(), &[]);
    let http = client();

    let unit = create(
        &http,
        &server,
        &token,
        "/api/v1/units",
        json!({"name": "Trung tâm giám sát thử nghiệm", "kind": "department"}),
    )
    .await;
    let system = create(
        &http,
        &server,
        &token,
        "/api/v1/systems",
        json!({"name": "Hệ thống thử", "kind": "other", "owner_unit_id": unit["id"]}),
    )
    .await;
    let asset = create(
        &http,
        &server,
        &token,
        "/api/v1/assets",
        json!({"system_id": system["id"], "kind": "ip", "value": "127.0.0.1"}),
    )
    .await;
    // Run only from the probe "ngoai-mang", not from the server itself.
    let monitor = create(
        &http,
        &server,
        &token,
        "/api/v1/monitors",
        json!({
            "asset_id": asset["id"], "name": "Cổng nhìn từ ngoài", "kind": "http",
            "target": format!("http://{portal}/"), "interval_secs": 10, "timeout_secs": 5,
            "probes": ["ngoai-mang"]
        }),
    )
    .await;
    let id = monitor["id"].as_i64().unwrap();

    let mut probe = common::canhgac(dir.path())
        .args(["probe", "--server", &server.base, "--name", "ngoai-mang"])
        .env("CANHGAC_TOKEN", &token)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let check = wait_for_within(
        &http,
        &server,
        &token,
        &format!("/api/v1/monitors/{id}/checks"),
        Duration::from_secs(30),
        |body| {
            body.as_array()
                .or_else(|| body["items"].as_array())?
                .iter()
                .find(|c| c["probe"] == "ngoai-mang")
                .cloned()
        },
    )
    .await;
    assert_eq!(check["ok"], true, "{check}");
    let up = wait_for_within(
        &http,
        &server,
        &token,
        &format!("/api/v1/monitors/{id}"),
        Duration::from_secs(10),
        |m| (m["status"] == "up").then(|| m.clone()),
    )
    .await;
    assert_eq!(up["status"], "up");
    let (_, probes) = api(&http, &server, &token, Method::GET, "/api/v1/probes", None).await;
    assert!(probes.to_string().contains("ngoai-mang"), "{probes}");

    // The portal fails as seen from the probe: the server raises the alert.
    page.lock().unwrap().clear();
    wait_for_within(
        &http,
        &server,
        &token,
        "/api/v1/alerts?source=monitor",
        Duration::from_secs(40),
        |body| open_alert(body, &format!("watch:down:{id}")),
    )
    .await;
    let (_, checks) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/monitors/{id}/checks"),
        None,
    )
    .await;
    let checks = checks.as_array().cloned().unwrap_or_default();
    assert!(
        checks.iter().all(|c| c["probe"] == "ngoai-mang"),
        "the server itself never ran it: {checks:?}"
    );

    let _ = probe.kill();
    let _ = probe.wait();
    server.stop();
}
