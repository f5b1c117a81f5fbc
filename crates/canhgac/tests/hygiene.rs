//! Official email exposure with the real binary: a breach list is imported through the API, the
//! province's official addresses become findings of their units, and those used on social
//! networks and forums say so; a malformed list names its line and records nothing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin_token, api, Server};
use reqwest::Method;
use serde_json::{json, Value};

async fn create(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    path: &str,
    body: Value,
) -> i64 {
    let (status, created) = api(http, server, token, Method::POST, path, Some(body)).await;
    assert_eq!(status, 201, "{path}: {created}");
    created["id"].as_i64().unwrap()
}

async fn post_text(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    body: &str,
) -> (u16, Value) {
    let response = http
        .post(format!("{}/api/v1/exposures/import", server.base))
        .bearer_auth(token)
        .header("content-type", "text/plain; charset=utf-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn breach_list_shows_official_addresses_on_social_sites() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let data = cwd.join("data");
    let data_arg = data.to_str().unwrap();
    let token = admin_token(cwd, &["--data", data_arg]);
    let server = Server::start(cwd, &["--data", data_arg]);
    let http = reqwest::Client::new();

    // The province's mail system serves tinh.gov.vn; the department has its own subdomain, and
    // a contact of the commune uses the provincial domain.
    let province = create(
        &http,
        &server,
        &token,
        "/api/v1/units",
        json!({"name": "UBND tỉnh", "code": "ubnd-tinh", "kind": "province"}),
    )
    .await;
    let department = create(&http, &server, &token, "/api/v1/units",
        json!({"name": "Sở Thông tin", "code": "so-tttt", "kind": "department", "parent_id": province})).await;
    let commune = create(&http, &server, &token, "/api/v1/units",
        json!({"name": "UBND xã An Bình", "code": "xa-an-binh", "kind": "commune", "parent_id": province})).await;
    for (unit, code, domain) in [
        (province, "thu-tinh", "tinh.gov.vn"),
        (department, "thu-so", "sotttt.tinh.gov.vn"),
    ] {
        let system = create(&http, &server, &token, "/api/v1/systems",
            json!({"name": format!("Thư điện tử {code}"), "code": code, "kind": "email", "owner_unit_id": unit})).await;
        create(
            &http,
            &server,
            &token,
            "/api/v1/assets",
            json!({"system_id": system, "kind": "domain", "value": domain}),
        )
        .await;
    }
    create(
        &http,
        &server,
        &token,
        "/api/v1/contacts",
        json!({"unit_id": commune, "name": "Lê Thị Hoa", "email": "hoa.lt@tinh.gov.vn"}),
    )
    .await;

    // A combo list: addresses with sites, with passwords, and outside the province.
    let list = "\
        nam.nv@sotttt.tinh.gov.vn:facebook.com\n\
        nam.nv@sotttt.tinh.gov.vn:voz.vn\n\
        hoa.lt@tinh.gov.vn:Adobe\n\
        van.tt@tinh.gov.vn:S3cr3t-Pa55!\n\
        someone@gmail.com:facebook.com\n";
    let (status, report) = post_text(&http, &server, &token, list).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["matched"], 4, "{report}");
    assert_eq!(report["outside_province"], 1, "{report}");
    assert_eq!(report["unrecognised_sources"], 1, "{report}");
    assert_eq!(report["outcome"]["created"], 4, "{report}");

    let (_, found) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/findings?source=exposure&per_page=100",
        None,
    )
    .await;
    assert!(
        !found.to_string().contains("S3cr3t"),
        "a password was kept: {found}"
    );
    let items = found["items"].as_array().unwrap();
    let social: Vec<&Value> = items
        .iter()
        .filter(|f| f["category"] == "email_on_social_site")
        .collect();
    assert_eq!(social.len(), 2, "{found}");
    assert!(social
        .iter()
        .all(|f| f["unit_id"] == department && f["subject"] == "nam.nv@sotttt.tinh.gov.vn"));
    assert!(social
        .iter()
        .any(|f| f["title"].as_str().unwrap().contains("mạng xã hội")));
    let hoa = items
        .iter()
        .find(|f| f["subject"] == "hoa.lt@tinh.gov.vn")
        .unwrap();
    assert_eq!(
        hoa["unit_id"], commune,
        "the contact's unit wins over the domain's"
    );
    assert_eq!(hoa["category"], "email_breached");
    let van = items
        .iter()
        .find(|f| f["subject"] == "van.tt@tinh.gov.vn")
        .unwrap();
    assert_eq!(van["unit_id"], province);

    // The hygiene counts per unit.
    let (_, counts) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/findings/counts?source=exposure",
        None,
    )
    .await;
    let count = |unit: i64, category: &str| -> i64 {
        counts
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["unit_id"] == unit && c["category"] == category)
            .map(|c| c["count"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(count(department, "email_on_social_site"), 2, "{counts}");
    assert_eq!(count(commune, "email_breached"), 1, "{counts}");

    // Importing the same list again merges; a malformed list names the line and records nothing.
    let (_, again) = post_text(&http, &server, &token, list).await;
    assert_eq!(again["outcome"]["created"], 0, "{again}");
    assert_eq!(again["outcome"]["updated"], 4, "{again}");
    let (status, problem) = post_text(
        &http,
        &server,
        &token,
        "moi.nguoi@sotttt.tinh.gov.vn:tiktok.com\nkhong-phai-dia-chi\n",
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem.to_string().contains("line 2"), "{problem}");
    let (_, after) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/findings?source=exposure",
        None,
    )
    .await;
    assert_eq!(
        after["total"], 4,
        "nothing of the refused list was recorded"
    );

    // Breach metadata names a site's category: a forum the catalogue does not know.
    let boundary = "canhgac-test-boundary";
    let part = |name: &str, file: &str, body: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/plain\r\n\r\n{body}\r\n"
        )
    };
    let body = format!(
        "{}{}--{boundary}--\r\n",
        part(
            "list",
            "list.txt",
            "nam.nv@sotttt.tinh.gov.vn:dien-dan-dia-phuong.vn\n"
        ),
        part(
            "sites",
            "sites.csv",
            "site,domain,category\nDiễn đàn địa phương,dien-dan-dia-phuong.vn,diễn đàn\n"
        ),
    );
    let response = http
        .post(format!("{}/api/v1/exposures/import", server.base))
        .bearer_auth(&token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (_, forum) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/findings?category=email_on_social_site&q=dien-dan",
        None,
    )
    .await;
    assert_eq!(forum["total"], 1, "{forum}");
    server.stop();
}

/// A web shell reported by a sweep on a unit's server becomes a finding of that unit and an
/// alert for the people on duty; reporting it again raises nothing new; a complete run without
/// it marks it fixed.
#[tokio::test]
async fn malware_findings_raise_alerts_once() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let data = cwd.join("data");
    let data_arg = data.to_str().unwrap();
    let token = admin_token(cwd, &["--data", data_arg]);
    let server = Server::start(cwd, &["--data", data_arg]);
    let http = reqwest::Client::new();
    let unit = create(
        &http,
        &server,
        &token,
        "/api/v1/units",
        json!({"name": "Sở Y tế", "code": "so-yte", "kind": "department"}),
    )
    .await;
    let system = create(&http, &server, &token, "/api/v1/systems",
        json!({"name": "Cổng Sở Y tế", "code": "cong-yte", "kind": "portal", "owner_unit_id": unit})).await;
    create(
        &http,
        &server,
        &token,
        "/api/v1/assets",
        json!({"system_id": system, "kind": "ip", "value": "10.20.30.40"}),
    )
    .await;

    let batch = |findings: Value| {
        json!({
            "findings": findings,
            "snapshot": {"source": "malware", "categories": ["webshell"], "unit_ids": [unit], "subject_prefix": "/var/www"}
        })
    };
    let shell = json!({
        "source": "malware", "key": "yara:php_eval:web01:/var/www/up/a.php", "category": "webshell",
        "title": "Web shell PHP: /var/www/up/a.php", "severity": "critical", "host": "10.20.30.40",
        "subject": "/var/www/up/a.php", "evidence": {"rule": "php_eval"},
        "observed_at": "2026-11-26T01:00:00Z"
    });
    for round in 0..2 {
        let (status, outcome) = api(
            &http,
            &server,
            &token,
            Method::POST,
            "/api/v1/findings",
            Some(batch(json!([shell.clone()]))),
        )
        .await;
        assert_eq!(status, 200, "{outcome}");
        assert_eq!(
            outcome["created"],
            if round == 0 { 1 } else { 0 },
            "{outcome}"
        );
    }
    let (_, alerts) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/alerts?source=finding",
        None,
    )
    .await;
    assert_eq!(alerts["total"], 1, "{alerts}");
    let alert = &alerts["items"][0];
    assert_eq!(alert["unit_id"], unit);
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["host"], "10.20.30.40");
    let (_, found) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/findings?source=malware",
        None,
    )
    .await;
    assert_eq!(
        found["items"][0]["system_id"], system,
        "attributed through the asset"
    );

    let (_, outcome) = api(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/findings",
        Some(batch(json!([]))),
    )
    .await;
    assert_eq!(outcome["fixed"], 1, "{outcome}");
    server.stop();
}
