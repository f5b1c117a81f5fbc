//! HTTP checks against an axum portal and a few misbehaving raw servers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use canhgac_model::{DefacementSettings, MonitorKind};
use canhgac_watch::{page, CheckOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{check, input};

const HOME: &str = r#"<!doctype html><html><head><meta charset="utf-8">
<title>Cổng thông tin điện tử tỉnh</title><script src="/js/site.js"></script></head>
<body><h1>Ủy ban nhân dân tỉnh</h1><div class="clock">08:00 01/12/2025</div>
<p>Chào mừng đến với cổng thông tin điện tử của tỉnh.</p>
<p>Thủ tục hành chính và dịch vụ công trực tuyến.</p>
<p>Tin tức, sự kiện và thông báo của các sở, ban, ngành.</p></body></html>"#;

/// What the portal serves now: a status and a page.
#[derive(Clone)]
struct Portal(Arc<Mutex<(StatusCode, String)>>);

impl Portal {
    fn set(&self, status: StatusCode, body: &str) {
        *self.0.lock().unwrap() = (status, body.to_owned());
    }
}

async fn serve(app: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, task)
}

async fn start_portal() -> (Portal, SocketAddr, tokio::task::JoinHandle<()>) {
    let portal = Portal(Arc::new(Mutex::new((StatusCode::OK, HOME.to_owned()))));
    let state = portal.clone();
    let app = Router::new()
        .route(
            "/",
            get(move || {
                let state = state.clone();
                async move {
                    let (status, body) = state.0.lock().unwrap().clone();
                    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
                }
            }),
        )
        .route("/old", get(|| async { Redirect::permanent("/") }))
        .route("/loop/a", get(|| async { Redirect::temporary("/loop/b") }))
        .route("/loop/b", get(|| async { Redirect::temporary("/loop/a") }))
        .route(
            "/chain/{n}",
            get(|Path(n): Path<u32>| async move { Redirect::temporary(&format!("/chain/{}", n + 1)) }),
        )
        .route(
            "/huge",
            get(|| async {
                let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
                let stream = futures_util::stream::repeat_with(move || Ok::<_, Infallible>(chunk.clone()));
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from_stream(stream))
                    .unwrap()
            }),
        )
        .route(
            "/vi-1258",
            get(|| async {
                let mut body = b"<html><head><title>C\xF4ng th\xF4ng tin</title></head><body><p>Vi".to_vec();
                body.extend_from_slice(&[0xEA, 0xF2]);
                body.extend_from_slice(b"t Nam - C\xF4ng d\xE2n</p></body></html>");
                ([(header::CONTENT_TYPE, "text/html; charset=windows-1258")], body).into_response()
            }),
        )
        .route(
            "/tcvn3",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    b"<html><head><meta charset=\"TCVN3\"><title>C\xABng</title></head><body>Tr\xAAn</body></html>".to_vec(),
                )
                    .into_response()
            }),
        );
    let (addr, task) = serve(app).await;
    (portal, addr, task)
}

fn watched(target: &str) -> canhgac_model::MonitorInput {
    let mut input = input(MonitorKind::Http, target);
    input.settings.defacement = Some(DefacementSettings {
        ignore_selectors: vec![".clock".into()],
        ..DefacementSettings::default()
    });
    input
}

#[tokio::test]
async fn a_portal_is_up_then_defaced_then_down() {
    let (portal, addr, server) = start_portal().await;
    let options = CheckOptions::default();
    let monitor = watched(&format!("http://{addr}/"));

    let first = check(&monitor, &options).await;
    assert!(first.result.ok, "{:?}", first.result);
    assert!(
        first.result.message.starts_with("HTTP 200 trong "),
        "{}",
        first.result.message
    );
    assert!(first.result.message.ends_with(" ms"));
    assert!(first.result.latency_ms.is_some());
    assert_eq!(first.result.monitor_id, 7);
    assert_eq!(first.result.probe, "local");
    assert_eq!(first.result.details["status"], 200);
    assert_eq!(first.result.details["ip"], "127.0.0.1");
    assert!(first.certificate.is_none());
    let baseline = first.snapshot.expect("a watched page is captured");
    assert_eq!(baseline.title, "Cổng thông tin điện tử tỉnh");
    assert!(!baseline.text.contains("08:00"), "the clock is ignored");

    // The clock ticks: not defacement.
    portal.set(
        StatusCode::OK,
        &HOME.replace("08:00 01/12/2025", "08:01 01/12/2025"),
    );
    let ticked = check(&monitor, &options).await.snapshot.unwrap();
    let settings = monitor.settings.defacement.clone().unwrap();
    assert!(!page::compare(&baseline, &ticked, &settings).defaced);

    // A miner is injected and the page is signed.
    portal.set(
        StatusCode::OK,
        &HOME.replace(
            "</body>",
            "<p>Hacked by Test Team</p><script src=\"https://miner.example.net/c.js\"></script></body>",
        ),
    );
    let injected = check(&monitor, &options).await;
    assert!(injected.result.ok, "a defaced page still answers 200");
    let current = injected.snapshot.unwrap();
    let verdict = page::compare(&baseline, &current, &settings);
    assert!(verdict.defaced);
    assert_eq!(verdict.new_scripts, vec!["https://miner.example.net/c.js"]);
    assert_eq!(verdict.markers, vec!["hacked by"]);
    let diff = page::diff(&baseline, &current);
    assert!(
        diff.contains("+ script ngoài mới: https://miner.example.net/c.js"),
        "{diff}"
    );
    assert!(diff.contains("+Hacked by Test Team"), "{diff}");

    // The portal fails: no snapshot of an error page.
    portal.set(StatusCode::SERVICE_UNAVAILABLE, "bảo trì");
    let down = check(&monitor, &options).await;
    assert!(!down.result.ok);
    assert!(
        down.result.message.starts_with("HTTP 503 trong ")
            && down
                .result
                .message
                .ends_with(": mã trạng thái ngoài khoảng 200–399"),
        "{}",
        down.result.message
    );
    assert!(down.snapshot.is_none());

    // The server is gone.
    server.abort();
    let _ = server.await;
    let gone = check(&monitor, &options).await;
    assert!(!gone.result.ok);
    assert!(
        gone.result
            .message
            .contains("Không kết nối được tới 127.0.0.1")
            && gone.result.message.contains("từ chối"),
        "{}",
        gone.result.message
    );
    assert_eq!(gone.result.latency_ms, None);
}

#[tokio::test]
async fn conditions_and_body_rules_decide() {
    let (_portal, addr, _server) = start_portal().await;
    let options = CheckOptions::default();
    let mut monitor = input(MonitorKind::Http, &format!("http://{addr}/"));
    monitor.settings.conditions = vec![
        "[STATUS] == 200".into(),
        "[RESPONSE_TIME] < 5000".into(),
        "[BODY] == pat(*dịch vụ công*)".into(),
        "len([BODY]) > 100".into(),
        "[CONNECTED] == true".into(),
    ];
    monitor.settings.body_contains = vec!["Ủy ban nhân dân".into()];
    monitor.settings.body_not_contains = vec!["hacked".into()];
    let outcome = check(&monitor, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    let evaluated = outcome.result.details["conditions"].as_array().unwrap();
    assert_eq!(evaluated.len(), 5);
    assert!(evaluated.iter().all(|c| c["holds"] == true));

    monitor.settings.conditions = vec!["[STATUS] == any(201, 204)".into()];
    monitor.settings.body_contains = vec!["Sở Y tế".into()];
    let outcome = check(&monitor, &options).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome.result.message.ends_with(
            ": nội dung thiếu «Sở Y tế»; điều kiện không đạt: [STATUS] (200) == any(201, 204)"
        ),
        "{}",
        outcome.result.message
    );

    // A condition that is not 2xx/3xx replaces the default.
    let mut monitor = input(MonitorKind::Http, &format!("http://{addr}/missing"));
    monitor.settings.conditions = vec!["[STATUS] == 404".into()];
    assert!(check(&monitor, &options).await.result.ok);

    monitor.settings.conditions = vec!["[STATUS] = 200".into()];
    let outcome = check(&monitor, &options).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome
            .result
            .message
            .starts_with("Cấu hình sai: Điều kiện «[STATUS] = 200»"),
        "{}",
        outcome.result.message
    );
}

#[tokio::test]
async fn redirects_are_followed_and_loops_named() {
    let (_portal, addr, _server) = start_portal().await;
    let options = CheckOptions::default();

    let outcome = check(
        &input(MonitorKind::Http, &format!("http://{addr}/old")),
        &options,
    )
    .await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert_eq!(
        outcome.result.details["final_url"],
        format!("http://{addr}/")
    );
    assert_eq!(
        outcome.result.details["redirects"][0],
        format!("http://{addr}/")
    );

    let outcome = check(
        &input(MonitorKind::Http, &format!("http://{addr}/loop/a")),
        &options,
    )
    .await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        format!(
            "Chuyển hướng vòng lặp: http://{addr}/loop/a → http://{addr}/loop/b → http://{addr}/loop/a"
        )
    );

    let outcome = check(
        &input(MonitorKind::Http, &format!("http://{addr}/chain/0")),
        &options,
    )
    .await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        format!("Quá 10 lần chuyển hướng (lần cuối tới http://{addr}/chain/11)")
    );
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_cap() {
    let (_portal, addr, _server) = start_portal().await;
    let options = CheckOptions {
        max_body_bytes: 256 * 1024,
        ..CheckOptions::default()
    };
    let mut monitor = input(MonitorKind::Http, &format!("http://{addr}/huge"));
    monitor.settings.body_contains = vec!["aaaa".into()];
    let outcome = check(&monitor, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert_eq!(outcome.result.details["body_bytes"], 256 * 1024);
    assert_eq!(outcome.result.details["truncated"], true);
    assert_eq!(
        outcome.result.details["notes"][0],
        "Nội dung dài hơn 256 KiB, chỉ đọc 256 KiB đầu"
    );
}

#[tokio::test]
async fn vietnamese_legacy_pages_are_decoded_or_explained() {
    let (_portal, addr, _server) = start_portal().await;
    let options = CheckOptions::default();

    let mut monitor = watched(&format!("http://{addr}/vi-1258"));
    monitor.settings.body_contains = vec!["Công dân".into()];
    let outcome = check(&monitor, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    let snapshot = outcome.snapshot.unwrap();
    assert_eq!(snapshot.title, "Công thông tin");
    assert_eq!(snapshot.text, "Vi\u{ea}\u{323}t Nam - Công dân");
    assert!(snapshot.notes.is_empty(), "{:?}", snapshot.notes);

    let outcome = check(&watched(&format!("http://{addr}/tcvn3")), &options).await;
    assert!(outcome.result.ok);
    let snapshot = outcome.snapshot.unwrap();
    assert!(
        snapshot
            .notes
            .iter()
            .any(|n| n.contains("TCVN3") && n.contains("windows-1252")),
        "{:?}",
        snapshot.notes
    );
}

/// A server that accepts and then sends `head` and one byte every 300 ms, forever.
async fn start_slow_server(head: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                if socket.write_all(head).await.is_err() {
                    return;
                }
                loop {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    if socket.write_all(b"x").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn slow_loris_servers_are_bounded_by_the_timeout() {
    let options = CheckOptions::default();
    let trickle = start_slow_server(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n").await;
    let mut monitor = input(MonitorKind::Http, &format!("http://{trickle}/"));
    monitor.timeout_secs = 2;
    let started = Instant::now();
    let outcome = check(&monitor, &options).await;
    assert!(started.elapsed() < Duration::from_millis(3500));
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        "Hết thời gian chờ sau 2 giây (đã nhận HTTP 200, đang đọc nội dung)"
    );

    let headers = start_slow_server(b"HTTP/1.1 200 OK\r\n").await;
    let mut monitor = input(MonitorKind::Http, &format!("http://{headers}/"));
    monitor.timeout_secs = 1;
    let outcome = check(&monitor, &options).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome
            .result
            .message
            .starts_with("Hết thời gian chờ sau 1 giây (đang gửi GET http://"),
        "{}",
        outcome.result.message
    );
}

#[tokio::test]
async fn bad_targets_and_methods_are_reported() {
    let options = CheckOptions::default();
    let outcome = check(&input(MonitorKind::Http, "ftp://x.example"), &options).await;
    assert!(!outcome.result.ok);
    assert!(outcome.result.message.starts_with("Địa chỉ sai"));
    let mut monitor = input(MonitorKind::Http, "http://127.0.0.1:9/");
    monitor.settings.method = Some("GE T".into());
    let outcome = check(&monitor, &options).await;
    assert_eq!(
        outcome.result.message,
        "Phương thức HTTP «GE T» không hợp lệ"
    );
}
