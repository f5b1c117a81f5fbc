//! The engine against real local servers: an axum app serving deliberately weak responses, and a
//! raw TCP service for `tcp` templates. Every request the app receives is logged so tests can
//! count what the engine sent.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use canhgac_model::scan::category;
use canhgac_model::Severity;
use canhgac_nuclei::engine::{Engine, EngineOptions, RunOutcome};
use canhgac_nuclei::loader::load_dir;
use canhgac_nuclei::target::Target;
use canhgac_nuclei::template::{parse_template, Template};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn count(&self, prefix: &str) -> usize {
        self.lines()
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    }
    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response {
    let mut builder = Response::builder().status(StatusCode::from_u16(status).unwrap());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).unwrap()
}

async fn weak_app(
    State(log): State<Log>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    log.0.lock().unwrap().push(format!("{method} {uri} {body}"));
    let cookie = headers
        .get("cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    match (method.as_str(), uri.path()) {
        ("GET", "/.git/config") => reply(
            200,
            &[("Content-Type", "text/plain")],
            "[core]\n\trepositoryformatversion = 0\n",
        ),
        ("GET", "/status") => reply(
            200,
            &[
                ("Server", "Apache/2.4.49 (Unix)"),
                ("X-Powered-By", "PHP/5.6.40"),
            ],
            "<html>Apache Server Status for Apache/2.4.49</html>",
        ),
        ("GET", "/api/plugins") => reply(
            200,
            &[("Content-Type", "application/json")],
            r#"[{"slug":"akismet"},{"slug":"contact-form"}]"#,
        ),
        ("GET", "/empty") => reply(200, &[], ""),
        ("GET", "/signature") => reply(200, &[], vec![0u8, 0xca, 0xfe, 0xba, 0xbe, 1]),
        ("POST", "/login") => {
            if body == "user=admin&pass=secret" {
                reply(
                    302,
                    &[
                        ("Location", "/dashboard"),
                        ("Set-Cookie", "session=abc; Path=/"),
                    ],
                    "",
                )
            } else {
                reply(401, &[], "denied")
            }
        }
        ("GET", "/dashboard") if cookie.contains("session=abc") => reply(200, &[], "Welcome admin"),
        ("GET", "/dashboard") => reply(403, &[], "forbidden"),
        ("GET", "/token") => reply(200, &[], r#"<input name="csrf" csrf="tok123">"#),
        ("GET", "/use") if uri.query() == Some("token=tok123") => reply(200, &[], "token accepted"),
        ("GET", "/use") => reply(400, &[], "bad token"),
        ("GET", "/redirect") => reply(302, &[("Location", "/hop")], ""),
        ("GET", "/hop") => reply(301, &[("Location", "/final")], ""),
        ("GET", "/final") => reply(200, &[], "final page"),
        (_, path) if path.starts_with("/echo") => {
            let mut text = format!("uri={uri}\n");
            for (name, value) in &headers {
                text.push_str(&format!("{name}={}\n", value.to_str().unwrap_or_default()));
            }
            text.push_str(&format!("body={body}\n"));
            reply(200, &[], text)
        }
        _ => reply(404, &[], "not found"),
    }
}

async fn serve() -> (Target, Log) {
    let log = Log::default();
    let app = Router::new().fallback(weak_app).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (Target::parse(&format!("http://{address}")).unwrap(), log)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> Template {
    let path = fixture(&format!("templates/{name}"));
    parse_template(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
}

fn engine() -> Engine {
    Engine::new(EngineOptions {
        timeout: Duration::from_secs(5),
        ..EngineOptions::default()
    })
}

async fn run(name: &str) -> (RunOutcome, Log, Template) {
    let (target, log) = serve().await;
    let template = load(name);
    let outcome = engine().run(&template, &target).await;
    (outcome, log, template)
}

#[tokio::test]
async fn matchers_condition_and_reports_the_exposed_git_config_as_a_scan_issue() {
    let (outcome, log, template) = run("git-config.yaml").await;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.hits.len(), 1);
    assert_eq!(log.count("GET /.git/config"), 1);
    let issue = outcome.hits[0].to_issue(&template);
    assert_eq!(issue.check, "template:test-git-config");
    assert_eq!(issue.category, category::TEMPLATE);
    assert_eq!(issue.severity, Severity::Medium);
    assert_eq!(issue.title_vi, "Kho Git bị lộ (.git/config)");
    assert_eq!(
        issue.remediation_vi,
        "Chặn truy cập thư mục .git trên máy chủ web."
    );
    assert_eq!(issue.cves, vec!["CVE-2099-0001"]);
    assert_eq!(issue.cvss, Some(5.3));
    assert!(issue.known_exploited);
    assert!(issue.subject.ends_with("/.git/config"));
    assert!(issue
        .evidence
        .request
        .unwrap()
        .starts_with("GET /.git/config HTTP/1.1\r\n"));
    assert!(issue.evidence.response.unwrap().contains("[core]"));
}

#[tokio::test]
async fn named_and_negative_matchers_report_one_hit_per_name() {
    let (outcome, _, template) = run("security-headers.yaml").await;
    let mut checks: Vec<String> = outcome
        .hits
        .iter()
        .map(|h| h.to_issue(&template).check)
        .collect();
    checks.sort();
    assert_eq!(
        checks,
        vec![
            "template:test-missing-headers:strict-transport-security",
            "template:test-missing-headers:x-frame-options",
            "template:test-missing-headers:x-powered-by",
        ]
    );
    // No remediation in the template: the generic text, Vietnamese first.
    let issue = outcome.hits[0].to_issue(&template);
    assert!(issue.remediation_vi.starts_with("Kiểm tra"));
    assert_eq!(issue.severity, Severity::Informational);
}

#[tokio::test]
async fn regex_kval_json_and_dsl_extractors_fill_the_evidence() {
    let (outcome, _, template) = run("extractors.yaml").await;
    assert_eq!(outcome.hits.len(), 2, "{:?}", outcome.hits);
    let status_hit = outcome
        .hits
        .iter()
        .find(|h| h.matched_at.ends_with("/status"))
        .unwrap();
    assert!(status_hit.extracted.contains(&"2.4.49".to_owned()));
    assert!(status_hit.extracted.contains(&"PHP/5.6.40".to_owned()));
    assert!(
        status_hit.extracted.contains(&"len=51".to_owned()),
        "{:?}",
        status_hit.extracted
    );
    let json_hit = outcome
        .hits
        .iter()
        .find(|h| h.matched_at.ends_with("/api/plugins"))
        .unwrap();
    assert!(json_hit.extracted.contains(&"akismet".to_owned()));
    assert!(json_hit.extracted.contains(&"contact-form".to_owned()));
    let issue = json_hit.to_issue(&template);
    assert!(issue.evidence.extracted.contains(&"akismet".to_owned()));
}

#[tokio::test]
async fn size_and_binary_matchers() {
    let (outcome, _, _) = run("size-binary.yaml").await;
    let names: Vec<(String, Option<String>)> = outcome
        .hits
        .iter()
        .map(|h| {
            (
                h.matched_at.rsplit('/').next().unwrap().to_owned(),
                h.matcher_name.clone(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("empty".to_owned(), Some("empty".to_owned())),
            ("signature".to_owned(), Some("signature".to_owned())),
        ]
    );
}

#[tokio::test]
async fn payload_attack_modes_send_the_expected_requests() {
    let path = fixture("templates/login-payloads.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (target, log) = serve().await;
    let engine = engine();
    // Battering ram puts one value in every position: the union of the lists, so no
    // admin/secret pair and no hit.
    for (mode, expected_requests, expected_hits) in [
        ("clusterbomb", 6, 1),
        ("pitchfork", 2, 1),
        ("batteringram", 5, 0),
    ] {
        log.clear();
        let template = parse_template(
            &text.replace("attack: clusterbomb", &format!("attack: {mode}")),
            &path,
        )
        .unwrap();
        let outcome = engine.run(&template, &target).await;
        assert_eq!(log.count("POST /login"), expected_requests, "{mode}");
        assert_eq!(outcome.requests_sent, expected_requests, "{mode}");
        let wins = log.count("POST /login user=admin&pass=secret");
        assert_eq!(wins, expected_hits, "{mode}: {:?}", log.lines());
        assert_eq!(outcome.hits.len(), expected_hits, "{mode}");
        if mode == "batteringram" {
            assert_eq!(log.count("POST /login user=guest&pass=guest"), 1);
        } else {
            assert!(outcome.hits[0].request.contains("user=admin&pass=secret"));
        }
    }
}

#[tokio::test]
async fn payloads_from_a_file_next_to_the_template_fill_path_headers_and_body() {
    let (outcome, log, _) = run("file-payloads.yaml").await;
    // Four non-empty lines, four requests.
    assert_eq!(log.count("POST /echo/"), 4, "{:?}", log.lines());
    assert_eq!(outcome.hits.len(), 1);
    assert!(outcome.hits[0].matched_at.ends_with("/echo/.git/config"));
}

#[tokio::test]
async fn req_condition_sees_both_responses() {
    let (outcome, log, _) = run("req-condition.yaml").await;
    assert_eq!(log.lines().len(), 2);
    assert_eq!(outcome.hits.len(), 1);
    assert!(outcome.hits[0].matched_at.ends_with("/final"));
}

#[tokio::test]
async fn an_internal_extractor_feeds_the_next_request_and_stays_out_of_the_report() {
    let (outcome, log, _) = run("internal-extractor.yaml").await;
    assert!(
        log.lines()
            .iter()
            .any(|l| l.starts_with("GET /use?token=tok123")),
        "{:?}",
        log.lines()
    );
    assert_eq!(outcome.hits.len(), 1);
    assert!(outcome.hits[0].extracted.is_empty());
}

#[tokio::test]
async fn raw_requests_go_out_as_written_with_host_and_length_fixed() {
    let (outcome, log, _) = run("raw-host.yaml").await;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.hits.len(), 1, "{:?}", log.lines());
    assert!(outcome.hits[0].request.contains("Content-Length: 14\r\n"));
    assert!(!outcome.hits[0].request.contains("wrong.example"));
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_cap() {
    let (outcome, log, _) = run("redirect.yaml").await;
    assert_eq!(outcome.hits.len(), 1);
    assert_eq!(outcome.requests_sent, 3);
    assert_eq!(log.count("GET /final"), 1);

    let path = fixture("templates/redirect.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let capped =
        parse_template(&text.replace("max-redirects: 3", "max-redirects: 1"), &path).unwrap();
    let (target, log) = serve().await;
    let outcome = engine().run(&capped, &target).await;
    assert!(outcome.hits.is_empty());
    assert_eq!(log.count("GET /final"), 0);
    let unfollowed =
        parse_template(&text.replace("redirects: true", "redirects: false"), &path).unwrap();
    let outcome = engine().run(&unfollowed, &target).await;
    assert_eq!(outcome.requests_sent, 1);
}

#[tokio::test]
async fn randstr_markers_inside_dsl_strings_are_resolved() {
    let (outcome, log, _) = run("randstr-reflect.yaml").await;
    assert_eq!(outcome.hits.len(), 1, "{:?}", log.lines());
    let sent = &log.lines()[0];
    let marker = sent
        .trim_start_matches("PUT /echo/")
        .split('.')
        .next()
        .unwrap();
    assert_eq!(marker.len(), 27);
    assert!(sent.ends_with(marker), "{sent}");
}

#[tokio::test]
async fn cookies_from_one_request_go_with_the_next() {
    let (outcome, log, _) = run("cookie-reuse.yaml").await;
    assert_eq!(outcome.hits.len(), 1, "{:?}", log.lines());
    assert!(outcome.hits[0].request.contains("Cookie: session=abc"));
}

#[tokio::test]
async fn stop_at_first_match_sends_no_more() {
    let (outcome, log, _) = run("stop-first.yaml").await;
    assert_eq!(outcome.hits.len(), 1);
    assert_eq!(log.lines().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_an_error_not_a_hit() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let target = Target::parse(&format!("http://{address}")).unwrap();
    let outcome = engine().run(&load("git-config.yaml"), &target).await;
    assert!(outcome.hits.is_empty());
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
}

#[tokio::test]
async fn tcp_hex_input_binary_and_word_matchers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let seen = received.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 16];
            let n = socket.read(&mut buffer).await.unwrap();
            seen.lock().unwrap().push(buffer[..n].to_vec());
            if buffer[..n] == [0x01, 0x02, 0xff] {
                socket
                    .write_all(b"\x00\xffPROBE_OK version:7.0.1\r\n")
                    .await
                    .unwrap();
            } else {
                socket.write_all(b"ERR\r\n").await.unwrap();
            }
        }
    });
    let template = load("tcp-hex.yaml");
    let target = Target::parse(&address.to_string()).unwrap();
    let outcome = engine().run(&template, &target).await;
    assert_eq!(
        received.lock().unwrap().clone(),
        vec![vec![0x01, 0x02, 0xff]]
    );
    assert_eq!(outcome.hits.len(), 1, "{:?}", outcome.errors);
    assert_eq!(outcome.hits[0].extracted, vec!["7.0.1"]);
    let issue = outcome.hits[0].to_issue(&template);
    assert_eq!(issue.subject, address.to_string());
    assert_eq!(issue.port, Some(address.port()));
}

#[tokio::test]
async fn tcp_named_reads_and_hex_words() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 64];
            let n = socket.read(&mut buffer).await.unwrap();
            if buffer[..n] != *b"HELLO 127.0.0.1\r\n" {
                continue;
            }
            socket.write_all(b"250 hello-ok\r\n").await.unwrap();
            let n = socket.read(&mut buffer).await.unwrap();
            if buffer[..n] == *b"QUIT\r\n" {
                socket.write_all(b"221 bye\r\n").await.unwrap();
            }
        }
    });
    let template = load("tcp-dialogue.yaml");
    let target = Target::parse(&address.to_string()).unwrap();
    let outcome = engine().run(&template, &target).await;
    assert_eq!(outcome.hits.len(), 1, "{:?}", outcome.errors);
    assert_eq!(outcome.hits[0].response, "221 bye\r\n");
    assert!(outcome.hits[0].request.starts_with("HELLO 127.0.0.1"));
}

#[tokio::test]
async fn chunked_bodies_are_decoded_and_capped() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await.unwrap();
            socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                      6\r\nHello \r\n9\r\nchunked!!\r\n0\r\n\r\n",
                )
                .await
                .unwrap();
        }
    });
    let text =
        "id: chunked\ninfo: {name: c, severity: info}\nhttp:\n  - path: ['{{BaseURL}}/']\n    \
                matchers:\n      - type: word\n        words: ['Hello chunked!!']\n";
    let template = parse_template(text, Path::new("chunked.yaml")).unwrap();
    let target = Target::parse(&format!("http://{address}")).unwrap();
    let outcome = engine().run(&template, &target).await;
    assert_eq!(outcome.hits.len(), 1, "{:?}", outcome.errors);

    let capped = parse_template(
        &text.replace("  - path:", "  - max-size: 8\n    path:"),
        Path::new("c.yaml"),
    )
    .unwrap();
    let outcome = engine().run(&capped, &target).await;
    assert!(outcome.hits.is_empty());
}

#[test]
fn unsupported_features_are_skipped_with_the_feature_named() {
    let report = load_dir(&fixture("unsupported"));
    let reasons: Vec<(String, String)> = report
        .skipped
        .iter()
        .map(|s| {
            (
                s.path.file_name().unwrap().to_string_lossy().into_owned(),
                s.reason.clone(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("headless.yaml".to_owned(), "headless protocol".to_owned()),
            (
                "oob.yaml".to_owned(),
                "interactsh (out-of-band) placeholders".to_owned()
            ),
            (
                "unknown-function.yaml".to_owned(),
                "DSL function shuffle_text".to_owned()
            ),
        ]
    );
    assert_eq!(report.broken.len(), 1);
    assert!(report.broken[0].path.ends_with("broken.yaml"));
    assert_eq!(report.broken[0].line, 8);
    assert_eq!(report.templates.len(), 1);
    let summary = report.to_string();
    assert!(summary.starts_with("1 of 5 load (20.0%)"), "{summary}");
    assert!(summary.contains("dns 1/1"), "{summary}");
    assert!(summary.contains("http 0/2"), "{summary}");
    assert!(summary.contains("headless 0/1"), "{summary}");
    assert!(summary.contains("headless protocol"), "{summary}");
    assert!(summary.contains("broken.yaml:8"), "{summary}");
}

#[test]
fn every_fixture_template_loads() {
    let report = load_dir(&fixture("templates"));
    assert!(report.skipped.is_empty(), "{report}");
    assert!(report.broken.is_empty(), "{report}");
    assert_eq!(report.templates.len(), 19);
}

async fn slow_server() -> (Target, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, high) = (in_flight.clone(), peak.clone());
    let app = Router::new().fallback(move || {
        let (now, high) = (now.clone(), high.clone());
        async move {
            let current = now.fetch_add(1, Ordering::SeqCst) + 1;
            high.fetch_max(current, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            "final page"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (Target::parse(&format!("http://{address}")).unwrap(), peak)
}

async fn peak_with(max_per_host: usize, max_concurrent: usize) -> usize {
    let (target, peak) = slow_server().await;
    let engine = Arc::new(Engine::new(EngineOptions {
        max_per_host,
        max_concurrent,
        ..EngineOptions::default()
    }));
    let template = Arc::new(load("redirect.yaml"));
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let (engine, template, target) = (engine.clone(), template.clone(), target.clone());
            tokio::spawn(async move { engine.run(&template, &target).await })
        })
        .collect();
    for run in runs {
        assert_eq!(run.await.unwrap().hits.len(), 1);
    }
    peak.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_respect_the_per_host_and_overall_limits() {
    assert_eq!(peak_with(2, 32).await, 2);
    assert_eq!(peak_with(8, 1).await, 1);
    assert!(peak_with(8, 32).await > 2);
}
