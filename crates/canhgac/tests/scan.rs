//! The scanner from the command line, with the real binary: the scope comes from the server's
//! inventory (or `--allow-target`), a weak portal's weaknesses are reported in every format and
//! recorded as findings of its unit, and a fixed weakness is marked fixed by the next scan.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use common::{admin_token, api, run, wait_for_within, Server};
use reqwest::Method;
use serde_json::{json, Value};

/// A portal missing its security headers, showing its server version, and exposing
/// `/.git/config` until `exposed` is switched off.
async fn weak_portal(exposed: Arc<AtomicBool>) -> u16 {
    weak_portal_on(Ipv4Addr::LOCALHOST, exposed).await
}

/// [`weak_portal`] on another loopback address.
async fn weak_portal_on(ip: Ipv4Addr, exposed: Arc<AtomicBool>) -> u16 {
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = Router::new()
        .route(
            "/",
            get(|| async {
                (
                    [("server", "nginx/1.18.0")],
                    "<html><head><title>Cổng thông tin Sở</title></head><body>Xin chào</body></html>",
                )
            }),
        )
        .route(
            "/.git/config",
            get(move || {
                let exposed = exposed.load(Ordering::SeqCst);
                async move {
                    if exposed {
                        (axum::http::StatusCode::OK, "[core]\n\tbare = false\n")
                    } else {
                        (axum::http::StatusCode::NOT_FOUND, "")
                    }
                }
            }),
        )
        .route(
            "/config.php.bak",
            get(|| async { "<?php $DB_PASSWORD = 'x';" }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

async fn scan(cwd: &Path, args: Vec<String>) -> std::process::Output {
    let cwd = cwd.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&cwd, &args, None)
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_without_scope_is_refused_and_allowed_targets_are_reported_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let port = weak_portal(Arc::new(AtomicBool::new(true))).await;
    let base = |format: &str| {
        vec![
            "scan".to_owned(),
            "127.0.0.1".to_owned(),
            "--profile".into(),
            "portal".into(),
            "--ports".into(),
            port.to_string(),
            "--format".into(),
            format.into(),
            "--no-progress".into(),
        ]
    };

    let refused = scan(dir.path(), base("table")).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--allow-target"),
        "{}",
        text(&refused.stderr)
    );

    let mut args = base("json");
    args.push("--allow-target".into());
    args.push("--templates".into());
    args.push(fixtures().to_str().unwrap().into());
    let out = scan(dir.path(), args).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let issues: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let checks: Vec<&str> = issues
        .iter()
        .map(|i| i["check"].as_str().unwrap())
        .collect();
    for expected in [
        "web.exposed.git",
        "http.no_https_redirect",
        "http.banner.version",
        "http.header.content-security-policy",
        "template:canhgac-test-config-backup",
    ] {
        assert!(
            checks.contains(&expected),
            "{expected} missing from {checks:?}"
        );
    }
    let git = issues
        .iter()
        .find(|i| i["check"] == "web.exposed.git")
        .unwrap();
    assert_eq!(
        git["subject"],
        format!("http://127.0.0.1:{port}/.git/config")
    );
    assert!(git["evidence"]["response"]
        .as_str()
        .unwrap()
        .contains("[core]"));
    assert!(
        text(&out.stderr).contains("nạp 1 mẫu, bỏ qua 1"),
        "{}",
        text(&out.stderr)
    );

    let mut args = base("csv");
    args.push("--allow-target".into());
    let csv = text(&scan(dir.path(), args).await.stdout);
    assert!(csv.starts_with("severity,host,port,check,"), "{csv}");
    assert!(csv.contains("web.exposed.git"));

    let mut args = base("sarif");
    args.extend(["--allow-target".into(), "--lang".into(), "en".into()]);
    let sarif: Value = serde_json::from_str(&text(&scan(dir.path(), args).await.stdout)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "web.exposed.git" && r["level"] == "error"));
    assert!(sarif.to_string().contains("Exposed .git repository"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_findings_reach_the_server_and_a_fix_is_seen_on_rescan() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let data = cwd.join("data");
    let data_arg = data.to_str().unwrap();
    let token = admin_token(cwd, &["--data", data_arg]);
    let server = Server::start(cwd, &["--data", data_arg]);
    let http = reqwest::Client::new();
    let exposed = Arc::new(AtomicBool::new(true));
    let port = weak_portal(exposed.clone()).await;

    let (status, unit) = api(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/units",
        Some(json!({"name": "Sở Văn hóa", "code": "so-vh", "kind": "department"})),
    )
    .await;
    assert_eq!(status, 201, "{unit}");
    let (status, system) = api(&http, &server, &token, Method::POST, "/api/v1/systems",
        Some(json!({"name": "Cổng thông tin Sở Văn hóa", "code": "cong-svh", "kind": "portal", "owner_unit_id": unit["id"]}))).await;
    assert_eq!(status, 201, "{system}");
    let (status, asset) = api(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/assets",
        Some(json!({"system_id": system["id"], "kind": "ip", "value": "127.0.0.1"})),
    )
    .await;
    assert_eq!(status, 201, "{asset}");

    let args = |target: &str| {
        vec![
            "scan".to_owned(),
            target.to_owned(),
            "--profile".into(),
            "portal".into(),
            "--ports".into(),
            port.to_string(),
            "--server".into(),
            server.base.clone(),
            "--token".into(),
            token.clone(),
        ]
    };

    // Outside the inventory: refused, naming the target.
    let out = scan(cwd, args("127.0.0.2")).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("127.0.0.2 không thuộc tài sản"),
        "{}",
        text(&out.stderr)
    );

    let out = scan(cwd, args("127.0.0.1")).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("tiến độ: dò cổng"), "{stderr}");
    assert!(stderr.contains("tiến độ: xong"), "{stderr}");
    assert!(
        stderr.contains("mới, 0 cập nhật, 0 tái diễn, 0 đã khắc phục"),
        "{stderr}"
    );
    assert!(!stderr.contains(&token), "the token must never be printed");
    assert!(text(&out.stdout).contains("Lộ thư mục mã nguồn .git"));

    let findings = |query: &'static str| {
        let (http, server, token) = (http.clone(), &server, token.clone());
        async move {
            let (status, body) = api(&http, server, &token, Method::GET, query, None).await;
            assert_eq!(status, 200, "{body}");
            body["items"].as_array().unwrap().clone()
        }
    };
    let all = findings("/api/v1/findings?source=scan&per_page=200").await;
    let git = all
        .iter()
        .find(|f| f["key"].as_str().unwrap().starts_with("web.exposed.git|"))
        .unwrap();
    assert_eq!(git["status"], "open");
    assert_eq!(git["unit_id"], unit["id"]);
    assert_eq!(git["system_id"], system["id"]);
    assert_eq!(git["category"], "web_exposure");

    // The unit removes the repository; the next scan sees it gone.
    exposed.store(false, Ordering::SeqCst);
    let out = scan(cwd, args("127.0.0.1")).await;
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("0 mới,") && stderr.contains("1 đã khắc phục"),
        "{stderr}"
    );
    let (status, after) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/findings/{}", git["id"]),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(after["status"], "fixed", "{after}");
    let still_open = findings("/api/v1/findings?source=scan&status=open&per_page=200").await;
    assert!(still_open.iter().any(|f| f["key"]
        .as_str()
        .unwrap()
        .starts_with("http.banner.version|")));
}

/// A server stopped mid-scan leaves a checkpoint; the next server continues from it instead of
/// starting over. The checkpoint here is written as a stopped worker would have left it: the
/// first address done, with a marker issue a real scan of it could never produce.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_scan_continues_from_its_checkpoint_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let data = cwd.join("data");
    let data_arg = data.to_str().unwrap();
    let token = admin_token(cwd, &["--data", data_arg]);
    let http = reqwest::Client::new();
    let first_port = weak_portal_on(Ipv4Addr::LOCALHOST, Arc::new(AtomicBool::new(true))).await;
    let second_ip = Ipv4Addr::new(127, 0, 0, 2);
    let second_port = weak_portal_on(second_ip, Arc::new(AtomicBool::new(true))).await;

    // Queue the run on a server that does not scan, then stop it.
    let quiet = [("CANHGAC_SCAN__ENABLED", "false")];
    let server = Server::start_with_env(cwd, &["--data", data_arg], &quiet);
    let (_, unit) = api(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/units",
        Some(json!({"name": "Sở Nội vụ", "code": "so-nv", "kind": "department"})),
    )
    .await;
    let (status, system) = api(&http, &server, &token, Method::POST, "/api/v1/systems",
        Some(json!({"name": "Cổng Sở Nội vụ", "code": "cong-snv", "kind": "portal", "owner_unit_id": unit["id"]}))).await;
    assert_eq!(status, 201, "{system}");
    for url in [
        format!("http://127.0.0.1:{first_port}/"),
        format!("http://{second_ip}:{second_port}/"),
    ] {
        let (status, asset) = api(
            &http,
            &server,
            &token,
            Method::POST,
            "/api/v1/assets",
            Some(json!({"system_id": system["id"], "kind": "url", "value": url})),
        )
        .await;
        assert_eq!(status, 201, "{asset}");
    }
    let (status, queued) = api(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/scans",
        Some(json!({"system_id": system["id"], "profile": "portal"})),
    )
    .await;
    assert_eq!(status, 201, "{queued}");
    let run_id = queued["id"].as_i64().unwrap();
    assert_eq!(server.stop().code(), Some(0));

    // What a worker killed after the first address would have left behind.
    let store = canhgac_store::open(&format!("sqlite://{}/canhgac.db", data.display()))
        .await
        .unwrap();
    let long_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(600);
    let claimed = store
        .claim_scan(long_ago, long_ago + jiff::SignedDuration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, run_id);
    let marker = canhgac_model::scan::ScanIssue {
        check: "test.checkpoint.marker".into(),
        category: "web_exposure".into(),
        severity: canhgac_model::Severity::Low,
        title_vi: "Dấu từ điểm dừng".into(),
        title_en: "Checkpoint marker".into(),
        host: "127.0.0.1".into(),
        port: Some(first_port),
        subject: format!("http://127.0.0.1:{first_port}/"),
        evidence: Default::default(),
        remediation_vi: String::new(),
        remediation_en: String::new(),
        cves: Vec::new(),
        cvss: None,
        known_exploited: false,
    };
    let checkpoint = json!({
        "done": ["127.0.0.1"],
        "hosts": [{"name": "127.0.0.1", "ip": "127.0.0.1", "services": []}],
        "issues": [marker],
        "attempts": 1, "requests": 1,
        "started_at": long_ago,
    });
    assert!(store
        .save_scan_checkpoint(run_id, &checkpoint.to_string(), 0.5, long_ago)
        .await
        .unwrap());
    drop(store);

    let busy = [
        ("CANHGAC_SCAN__ENABLED", "true"),
        ("CANHGAC_SCAN__POLL", "200ms"),
        ("CANHGAC_SCAN__CHECKPOINT_HOSTS", "1"),
    ];
    let server = Server::start_with_env(cwd, &["--data", data_arg], &busy);
    let finished = wait_for_within(
        &http,
        &server,
        &token,
        &format!("/api/v1/scans/{run_id}"),
        std::time::Duration::from_secs(90),
        |run| (run["status"] != "queued" && run["status"] != "running").then(|| run.clone()),
    )
    .await;
    assert_eq!(finished["status"], "done", "{finished}");
    assert_eq!(finished["attempts"], 2, "{finished}");
    assert_eq!(finished["report"]["resumed_hosts"], 1, "{finished}");
    let (_, findings) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/findings?source=scan&per_page=200",
        None,
    )
    .await;
    let keys: Vec<&str> = findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.iter()
            .any(|k| k.starts_with("test.checkpoint.marker|")),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .any(|k| k.starts_with("web.exposed.git|") && k.contains("127.0.0.2")),
        "the address left to do was scanned: {keys:?}"
    );
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with("web.exposed.git|") && k.contains("127.0.0.1")),
        "the address done before the stop was not scanned again: {keys:?}"
    );
}

#[test]
fn templates_check_counts_what_loads_and_names_what_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["templates", "check", fixtures().to_str().unwrap()],
        None,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("1 of 2"), "{stdout}");
    assert!(stdout.contains("headless"), "{stdout}");
    let missing = run(dir.path(), &["templates", "check", "/nonexistent"], None);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn vulndb_imports_all_or_nothing_and_matches_known_exploited_first() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../canhgac-vulndb/tests/fixtures");
    let db = dir.path().join("vulndb.sqlite");
    let db_arg = db.to_str().unwrap();
    for (source, file) in [("nvd", "nvd-sample.json"), ("kev", "kev-sample.json")] {
        let out = run(
            dir.path(),
            &[
                "vulndb",
                "import",
                "--source",
                source,
                "--db",
                db_arg,
                fixtures.join(file).to_str().unwrap(),
            ],
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("bản ghi"),
            "{}",
            text(&out.stdout)
        );
    }
    // A broken file is named and changes nothing.
    let broken = run(
        dir.path(),
        &[
            "vulndb",
            "import",
            "--source",
            "nvd",
            "--db",
            db_arg,
            fixtures.join("nvd-broken.json").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(broken.status.code(), Some(2));
    assert!(
        text(&broken.stderr).contains("nvd-broken.json"),
        "{}",
        text(&broken.stderr)
    );

    let out = run(
        dir.path(),
        &[
            "vulndb",
            "match",
            "http_server",
            "2.4.49",
            "--vendor",
            "apache",
            "--db",
            db_arg,
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("CVE-2021-42013\t9.8\tKEV"), "{stdout}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");

    let stats: Value = serde_json::from_str(&text(
        &run(dir.path(), &["vulndb", "stats", "--db", db_arg], None).stdout,
    ))
    .unwrap();
    assert!(stats["kev_entries"].as_u64().unwrap() >= 1, "{stats}");
}
