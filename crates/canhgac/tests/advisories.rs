//! The advisory register and retro-hunts end to end, with the real binary:
//!
//! - an NCSC advisory naming Zimbra before 9.0.0 Patch 41 gives a task to the unit whose mail
//!   server runs 9.0.0 Patch 38, and to no other unit; the other unit's officer cannot see it;
//!   the unit's officer declares it remediated and the register shows 1 of 1 done;
//! - an event stored days ago (backdated) mentions an address; once that address is imported
//!   as an indicator, a retro-hunt alert appears with the event's host and time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{admin_token, api, client, wait_for, Server};
use reqwest::Method;
use serde_json::{json, Value};

async fn officer_token(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    name: &str,
    unit: i64,
) -> String {
    let (status, officer) = api(
        http,
        server,
        token,
        Method::POST,
        "/api/v1/users",
        Some(json!({"username": name, "role": "unit_officer", "unit_ids": [unit]})),
    )
    .await;
    assert_eq!(status, 201, "{officer}");
    let (status, secret) = api(
        http,
        server,
        token,
        Method::POST,
        &format!("/api/v1/users/{}/tokens", officer["id"]),
        Some(json!({"name": "e2e"})),
    )
    .await;
    assert_eq!(status, 201, "{secret}");
    secret["secret"].as_str().unwrap().to_string()
}

async fn create(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    path: &str,
    body: Value,
) -> Value {
    let (status, created) = api(http, server, token, Method::POST, path, Some(body)).await;
    assert_eq!(status, 201, "{path}: {created}");
    created
}

#[tokio::test]
async fn an_advisory_reaches_the_affected_unit_only_and_tracks_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let token = admin_token(dir.path(), &["--data", data_arg]);
    let server = Server::start(dir.path(), &["--data", data_arg]);
    let http = client();

    let mut units = Vec::new();
    for (name, code) in [("Sở Nội vụ", "snv"), ("Sở Tài chính", "stc")] {
        let unit = create(
            &http,
            &server,
            &token,
            "/api/v1/units",
            json!({"name": name, "code": code, "kind": "department"}),
        )
        .await;
        units.push(unit["id"].as_i64().unwrap());
    }
    // Each unit runs a mail server; only the first one's Zimbra is in the affected range.
    for (unit, version) in [(units[0], "9.0.0 Patch 38"), (units[1], "10.1.2")] {
        let system = create(
            &http,
            &server,
            &token,
            "/api/v1/systems",
            json!({"name": format!("Thư điện tử {unit}"), "kind": "email", "owner_unit_id": unit}),
        )
        .await;
        create(
            &http,
            &server,
            &token,
            "/api/v1/assets",
            json!({
                "system_id": system["id"], "kind": "domain",
                "value": format!("mail{unit}.example.gov.vn"),
                "software": [{"name": "Zimbra Collaboration Suite", "version": version}],
            }),
        )
        .await;
    }

    // The letter's text pre-fills the fields.
    let letter = "BỘ CÔNG AN\nTRUNG TÂM GIÁM SÁT AN TOÀN KHÔNG GIAN MẠNG QUỐC GIA (NCSC)\n\
        Số: 2216/CATTT-NCSC\nHà Nội, ngày 20 tháng 11 năm 2026\n\
        V/v cảnh báo lỗ hổng bảo mật trong Zimbra Collaboration\n\
        Lỗ hổng CVE-2024-45519 ảnh hưởng Zimbra Collaboration phiên bản trước 9.0.0 Patch 41.\n\
        Đề nghị các đơn vị:\n- Cập nhật bản vá mới nhất.\n\
        Báo cáo kết quả trước ngày 30/11/2026.\n";
    let response = http
        .post(format!("{}/api/v1/advisories/prefill", server.base))
        .bearer_auth(&token)
        .body(letter)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let draft: Value = response.json().await.unwrap();
    assert_eq!(draft["number"], "2216/CATTT-NCSC", "{draft}");
    assert_eq!(draft["cves"], json!(["CVE-2024-45519"]), "{draft}");

    let detail = create(
        &http,
        &server,
        &token,
        "/api/v1/advisories",
        json!({
            "issuer": "NCSC",
            "number": "2216/CATTT-NCSC",
            "title": "Cảnh báo lỗ hổng Zimbra",
            "cves": ["CVE-2024-45519"],
            "products": [{"product": "Zimbra Collaboration", "versions": ["< 9.0.0 Patch 41"]}],
            "actions": ["Cập nhật bản vá"],
            "deadline": "2026-11-29T17:00:00Z",
            "tlp": "amber",
            "attachments": [{"file_name": "2216.txt", "content_type": "text/plain",
                             "content_base64": "Q8O0bmcgdsSDbg=="}],
        }),
    )
    .await;
    let id = detail["advisory"]["id"].as_i64().unwrap();
    let tasks = detail["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1, "{detail}");
    assert_eq!(tasks[0]["unit_id"].as_i64(), Some(units[0]), "{detail}");
    assert!(
        tasks[0]["systems"].to_string().contains("9.0.0 Patch 38"),
        "{detail}"
    );
    let task_id = tasks[0]["id"].as_i64().unwrap();

    let first = officer_token(&http, &server, &token, "canbo.snv", units[0]).await;
    let second = officer_token(&http, &server, &token, "canbo.stc", units[1]).await;

    // The other unit's officer sees no advisory, and the advisory answers 404.
    let (status, listed) = api(
        &http,
        &server,
        &second,
        Method::GET,
        "/api/v1/advisories",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["total"], 0, "{listed}");
    let (status, _) = api(
        &http,
        &server,
        &second,
        Method::GET,
        &format!("/api/v1/advisories/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = api(
        &http,
        &server,
        &second,
        Method::POST,
        &format!("/api/v1/advisory-tasks/{task_id}"),
        Some(json!({"action": "not_affected", "comment": "không phải của tôi"})),
    )
    .await;
    assert_eq!(status, 404);

    // The affected unit's officer sees it and answers.
    let (status, listed) = api(
        &http,
        &server,
        &first,
        Method::GET,
        "/api/v1/advisories",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"][0]["progress"]["tasks"], 1, "{listed}");
    assert_eq!(listed["items"][0]["progress"]["done"], 0, "{listed}");
    let (status, task) = api(
        &http,
        &server,
        &first,
        Method::POST,
        &format!("/api/v1/advisory-tasks/{task_id}"),
        Some(json!({"action": "remediate", "comment": "Đã nâng lên 9.0.0 Patch 41"})),
    )
    .await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(task["state"], "remediated");
    assert!(task["acknowledged_at"].is_string(), "{task}");

    let (_, listed) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/advisories",
        None,
    )
    .await;
    let progress = &listed["items"][0]["progress"];
    assert_eq!(
        (progress["tasks"].as_u64(), progress["done"].as_u64()),
        (Some(1), Some(1)),
        "{listed}"
    );
    let attachment = http
        .get(format!(
            "{}/api/v1/advisories/{id}/attachments/{}",
            server.base, detail["attachments"][0]["id"]
        ))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(attachment.status(), 200);
    assert_eq!(attachment.text().await.unwrap(), "Công văn");
    server.stop();
}

#[tokio::test]
async fn a_newly_listed_address_is_found_in_events_stored_days_ago() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let token = admin_token(dir.path(), &["--data", data_arg]);
    let server = Server::start_with_env(
        dir.path(),
        &["--data", data_arg],
        &[("CANHGAC_INTEL__RETROHUNT_POLL", "1s")],
    );
    let http = client();

    // A connection to the address five days ago, and an older one outside nothing else.
    let past = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(5 * 24);
    let past = past.round(jiff::Unit::Second).unwrap();
    let lines = format!(
        "{{\"@timestamp\":\"{past}\",\"host\":\"mail01\",\"message\":\"connect to 203.0.113.66:443 from 10.1.2.3\"}}\n\
         {{\"@timestamp\":\"{past}\",\"host\":\"web02\",\"message\":\"nothing to see 203.0.113.67\"}}\n"
    );
    let response = http
        .post(format!("{}/api/v1/events", server.base))
        .bearer_auth(&token)
        .header("content-type", "application/x-ndjson")
        .body(lines)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());

    // Imported after the fact, as a table appendix would be.
    let (status, body) = api(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/indicators",
        Some(json!({"kind": "ip", "value": "203.0.113.66", "source": "NCSC 2216"})),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {body}");

    let alert = wait_for(
        &http,
        &server,
        &token,
        "/api/v1/alerts?per_page=100",
        |body| {
            body["items"]
                .as_array()?
                .iter()
                .find(|a| a["rule_key"] == "retrohunt:ip:203.0.113.66")
                .cloned()
        },
    )
    .await;
    assert_eq!(alert["host"], "mail01", "{alert}");
    let seen: jiff::Timestamp = alert["last_seen"].as_str().unwrap().parse().unwrap();
    assert_eq!(seen, past, "{alert}");
    assert!(
        alert["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "retrohunt"),
        "{alert}"
    );
    // The address nobody listed raised nothing.
    let (_, alerts) = api(&http, &server, &token, Method::GET, "/api/v1/alerts", None).await;
    assert_eq!(alerts["total"], 1, "{alerts}");

    // On demand from the indicator's page: queued at once, done in the background.
    let (_, listed) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/indicators",
        None,
    )
    .await;
    let indicator = listed["items"][0]["id"].as_i64().unwrap();
    let (status, hunt) = api(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/indicators/{indicator}/hunt"),
        Some(json!({"days": 7})),
    )
    .await;
    assert_eq!(status, 202, "{hunt}");
    let done = wait_for(
        &http,
        &server,
        &token,
        &format!("/api/v1/indicators/{indicator}/hunts"),
        |body| {
            body.as_array()?
                .iter()
                .find(|h| h["id"] == hunt["id"] && h["state"] == "done")
                .cloned()
        },
    )
    .await;
    assert_eq!(done["hits"], 1, "{done}");
    server.stop();
}
