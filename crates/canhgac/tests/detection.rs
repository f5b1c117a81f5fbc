//! The detection path end to end, with the real binary and real syslog clients: a user writes a
//! rule, points `logger` at canhgac, sees the alert attributed to their unit, triages it, and
//! finds the event by search; NDJSON over HTTP is acknowledged only once stored.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{admin_token, api, client, wait_for, Server};
use serde_json::{json, Value};

const RULE: &str = r#"
title: Chuỗi đánh dấu thử nghiệm e2e
id: 7d1c2f4e-0000-4000-8000-00000000e2e1
status: test
description: Our own test rule; matches a marker word in a syslog message.
logsource:
    product: linux
detection:
    marker:
        msg|contains: 'canhgac-e2e-marker'
    condition: marker
level: high
tags:
    - attack.t1059
"#;

fn logger_available() -> bool {
    Command::new("logger").arg("--version").output().is_ok()
}

fn send_with_logger(args: &[&str]) {
    let out = Command::new("logger")
        .args(args)
        .output()
        .expect("run logger");
    assert!(
        out.status.success(),
        "logger {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn setup(dir: &Path) -> (String, String) {
    let data = dir.join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let token = admin_token(dir, &["--data", &data_arg]);
    let rules = data.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("e2e_marker.yml"), RULE).unwrap();
    (data_arg, token)
}

#[tokio::test]
async fn logger_to_alert_to_triage_to_search() {
    if !logger_available() {
        canhgac_store::testing::skip_for_missing_service(
            "logger (util-linux)",
            "apt-get install bsdutils",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, token) = setup(dir.path());
    let server = Server::start(dir.path(), &["--data", &data]);
    let http = client();

    // The inventory says 127.0.0.1 belongs to a unit's system: events from it are that unit's.
    let (status, unit) = api(
        &http,
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/units",
        Some(json!({"name": "Sở Thông tin thử nghiệm", "kind": "department"})),
    )
    .await;
    assert_eq!(status, 201, "{unit}");
    let unit_id = unit["id"].as_i64().unwrap();
    let (status, system) = api(&http, &server, &token, reqwest::Method::POST, "/api/v1/systems",
        Some(json!({"name": "Máy chủ nhật ký", "kind": "other", "owner_unit_id": unit_id, "security_level": 2}))).await;
    assert_eq!(status, 201, "{system}");
    let (status, asset) = api(
        &http,
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/assets",
        Some(json!({"system_id": system["id"], "kind": "ip", "value": "127.0.0.1"})),
    )
    .await;
    assert_eq!(status, 201, "{asset}");
    // Attribution tables refresh within seconds of an inventory change.
    tokio::time::sleep(Duration::from_secs(7)).await;

    let udp = server.syslog_addr("udp").expect("udp listener announced");
    let tcp = server.syslog_addr("tcp").expect("tcp listener announced");
    send_with_logger(&[
        "-n",
        "127.0.0.1",
        "-P",
        &udp.port().to_string(),
        "-d",
        "--rfc3164",
        "-t",
        "e2eapp",
        "benign line over udp",
    ]);
    send_with_logger(&[
        "-n",
        "127.0.0.1",
        "-P",
        &tcp.port().to_string(),
        "-T",
        "--rfc5424",
        "--octet-count",
        "-t",
        "e2eapp",
        "user ran canhgac-e2e-marker over tcp",
    ]);

    let alert = wait_for(&http, &server, &token, "/api/v1/alerts", |body| {
        body["items"]
            .as_array()?
            .iter()
            .find(|a| a["title"] == "Chuỗi đánh dấu thử nghiệm e2e")
            .cloned()
    })
    .await;
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["source"], "sigma");
    assert_eq!(
        alert["unit_id"].as_i64(),
        Some(unit_id),
        "attributed by the inventory: {alert}"
    );
    assert!(alert["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "attack.t1059"));

    // Triage.
    let id = alert["id"].as_i64().unwrap();
    let (status, triaged) = api(
        &http,
        &server,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/alerts/{id}/triage"),
        Some(json!({"status": "acknowledged", "comment": "đang xác minh"})),
    )
    .await;
    assert_eq!(status, 200, "{triaged}");
    assert_eq!(triaged["status"], "acknowledged");

    // Both lines are stored and searchable; the marker finds exactly the TCP one.
    let found = wait_for(
        &http,
        &server,
        &token,
        "/api/v1/events?q=canhgac-e2e-marker",
        |body| {
            let events = body["events"].as_array()?;
            (!events.is_empty()).then(|| body.clone())
        },
    )
    .await;
    let events = found["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{found}");
    let event = &events[0]["event"];
    assert_eq!(event["unit_id"].as_i64(), Some(unit_id));
    assert_eq!(event["kind"], "syslog5424");
    wait_for(&http, &server, &token, "/api/v1/events?q=benign", |body| {
        let events = body["events"].as_array()?;
        (events.len() == 1).then(|| body.clone())
    })
    .await;
    server.stop();
}

#[tokio::test]
async fn ndjson_batches_are_acknowledged_after_storage_and_bad_lines_reject_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (data, token) = setup(dir.path());
    let server = Server::start(dir.path(), &["--data", &data]);
    let http = client();
    let post = |body: Vec<u8>, gzip: bool| {
        let mut request = http
            .post(format!("{}/api/v1/events", server.base))
            .bearer_auth(&token)
            .header("content-type", "application/x-ndjson")
            .body(body);
        if gzip {
            request = request.header("content-encoding", "gzip");
        }
        request.send()
    };

    let bad = b"{\"message\": \"first ok\"}\nnot json\n".to_vec();
    let response = post(bad, false).await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let problem: Value = response.json().await.unwrap();
    assert!(problem.to_string().contains("line 2"), "{problem}");

    let good = b"{\"message\": \"ndjson-ok one\", \"host\": \"web01\"}\n{\"message\": \"ndjson-ok two canhgac-e2e-marker\", \"program\": \"app\"}\n".to_vec();
    let response = post(good, false).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(receipt["accepted"], 2);
    // Acknowledged means stored: searchable at once, no waiting.
    let (status, found) = api(
        &http,
        &server,
        &token,
        reqwest::Method::GET,
        "/api/v1/events?q=ndjson-ok",
        None,
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["events"].as_array().unwrap().len(), 2, "{found}");
    let (_, none) = api(
        &http,
        &server,
        &token,
        reqwest::Method::GET,
        "/api/v1/events?q=first",
        None,
    )
    .await;
    assert_eq!(
        none["events"].as_array().unwrap().len(),
        0,
        "the refused batch left nothing: {none}"
    );
    server.stop();
}

#[tokio::test]
async fn kill_9_under_load_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let (data, token) = setup(dir.path());
    let server = Server::start(dir.path(), &["--data", &data]);
    let base = server.base.clone();
    let http = client();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..4 {
        let http = http.clone();
        let base = base.clone();
        let token = token.clone();
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for batch in 0.. {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let marker = format!("killtest{writer}x{batch}end");
                let body: String = (0..200)
                    .map(|i| {
                        format!(
                            "{{\"message\": \"{marker} event {i}\", \"host\": \"load{writer}\"}}\n"
                        )
                    })
                    .collect();
                let sent = http
                    .post(format!("{base}/api/v1/events"))
                    .bearer_auth(&token)
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().is_success() => acknowledged.push(marker),
                    // The kill cuts requests off mid-flight: those were never acknowledged.
                    _ => break,
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let pid = server.pid();
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    drop(server);
    assert!(
        acknowledged.len() >= 8,
        "too little load to prove anything: {}",
        acknowledged.len()
    );

    let server = Server::start(dir.path(), &["--data", &data]);
    for marker in &acknowledged {
        let (status, found) = api(
            &http,
            &server,
            &token,
            reqwest::Method::GET,
            &format!("/api/v1/events?q={marker}&limit=500"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{found}");
        let count = found["events"].as_array().map_or(0, Vec::len);
        assert_eq!(
            count, 200,
            "acknowledged batch {marker} lost events after kill -9"
        );
    }
    server.stop();
}
