//! Incidents and official reports end to end, with the real binary and a real SMTP server
//! (Debian's aiosmtpd on loopback): an alert on a portal becomes an incident whose affected
//! system is filled from the inventory; its Mẫu 03 is generated, fails to send while the mail
//! server is down, and is sent on retry: VNCERT's mailbox receives "[TBSC] ..." with the DOCX,
//! which carries the report number, the unit, the system and the incident's fields. Later the
//! Mẫu 04 names the Mẫu 03's number and date. A unit officer of another unit sees none of it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::smtp::{aiosmtpd_available, free_port, mails, wait_for_mails, Sink};
use common::{admin_token, api, client, run_ok, Server};
use reqwest::Method;
use serde_json::{json, Value};

const RULE: &str = r#"title: Portal defacement marker
id: 6f1d1f3e-7a55-4f0e-9a43-1f5a3c2b9d10
status: test
logsource:
    product: linux
detection:
    marker:
        message|contains: 'defaced-by-e2e'
    condition: marker
level: critical
"#;

/// The text of a DOCX's document part, the XML tags taken out (unzip, read, strip).
fn docx_text(docx: &[u8], dir: &Path) -> String {
    let file = dir.join("report.docx");
    std::fs::write(&file, docx).unwrap();
    let out = Command::new("unzip")
        .arg("-p")
        .arg(&file)
        .arg("word/document.xml")
        .output()
        .expect("run unzip");
    assert!(out.status.success(), "unzip failed");
    let xml = String::from_utf8(out.stdout).unwrap();
    // Paragraph ends become line breaks, every other tag disappears.
    let mut text = String::new();
    let mut rest = xml.as_str();
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        if rest[start..end].starts_with("</w:p>") {
            text.push('\n');
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .expect("the sink writes base64")
}

async fn call(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let (status, reply) = api(http, server, token, method.clone(), path, body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {reply}\nserver log:\n{}",
        server.stderr()
    );
    reply
}

fn write_config(cwd: &Path, smtp_port: u16, rules: &Path) -> PathBuf {
    let rules = rules.display();
    let config = format!(
        r#"
[detection]
rules = ["{rules}"]

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "soc@skhcn.example.gov.vn"
timeout = "3s"

[[reports.issuers]]
valid_to = 2025-06-30
name = "Sở Thông tin và Truyền thông"
place = "Lâm Đồng"
address = "36 Trần Phú, Đà Lạt"
phone = "0263 3000000"
email = "stttt@example.gov.vn"
code = "BC-STTTT"
signer_position = "Giám đốc"
signer_name = "Trần Văn Cũ"

[[reports.issuers]]
valid_from = 2025-07-01
parent_body = "UBND TỈNH LÂM ĐỒNG"
name = "Sở Khoa học và Công nghệ"
place = "Lâm Đồng"
address = "36 Trần Phú, Đà Lạt"
phone = "0263 3822222"
email = "soc@skhcn.example.gov.vn"
code = "BC-SKHCN"
signer_prefix = "KT. GIÁM ĐỐC"
signer_position = "Phó Giám đốc"
signer_name = "Nguyễn Văn Ký"
contact_name = "Lê Thị Trực"
contact_phone = "0912000111"
contact_email = "truc@skhcn.example.gov.vn"
distribution = ["Lưu: VT, CNTT"]

[[reports.recipients]]
valid_to = 2025-02-28
name = "Cục An toàn thông tin"
email = "old-ais@example.vn"

[[reports.recipients]]
name = "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC)"
email = "ir@vncert.example.vn"
"#
    );
    let path = cwd.join("canhgac.toml");
    std::fs::write(&path, config).unwrap();
    path
}

#[tokio::test]
async fn an_alert_becomes_an_incident_reported_to_vncert_by_email() {
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
    let data = data.to_str().unwrap().to_string();
    let token = admin_token(cwd, &["--data", &data]);
    let rules = cwd.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("defaced.yml"), RULE).unwrap();
    let smtp_port = free_port();
    let config = write_config(cwd, smtp_port, &rules);
    let server = Server::start(
        cwd,
        &["--config", config.to_str().unwrap(), "--data", &data],
    );
    let http = client();

    // Inventory: a portal of Sở Y tế, and another department with its own officer.
    let unit = call(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/units",
        Some(json!({"name": "Sở Y tế", "kind": "department"})),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let other = call(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/units",
        Some(json!({"name": "Sở Tài chính", "kind": "department"})),
    )
    .await;
    let other_code = other["code"]
        .as_str()
        .expect("units get a code")
        .to_string();
    let system = call(&http, &server, &token, Method::POST, "/api/v1/systems",
        Some(json!({"name": "Cổng thông tin điện tử Sở Y tế", "kind": "portal", "owner_unit_id": unit,
            "security_level": 2, "isp": "VNPT Lâm Đồng", "purpose": "Cung cấp thông tin cho người dân",
            "services": ["web"], "security_controls": ["tường lửa"]}))).await["id"].as_i64().unwrap();
    for (kind, value, os) in [
        ("ip", "14.160.20.10", Some("Ubuntu")),
        ("domain", "syt.example.gov.vn", None),
    ] {
        call(&http, &server, &token, Method::POST, "/api/v1/assets",
            Some(json!({"system_id": system, "kind": kind, "value": value, "os": os, "os_version": "22.04"}))).await;
    }

    // The portal logs a defacement; the inventory attributes it to Sở Y tế (attribution tables
    // refresh within seconds, so the event is sent again until the alert names the unit).
    let deadline = Instant::now() + Duration::from_secs(25);
    let alert = loop {
        let line = json!({"message": "index.html defaced-by-e2e", "program": "nginx", "host": "syt.example.gov.vn"});
        let response = http
            .post(format!("{}/api/v1/events", server.base))
            .bearer_auth(&token)
            .header("content-type", "application/x-ndjson")
            .body(format!("{line}\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (_, alerts) = api(
            &http,
            &server,
            &token,
            Method::GET,
            &format!("/api/v1/alerts?unit_id={unit}"),
            None,
        )
        .await;
        if let Some(found) = alerts["items"].as_array().and_then(|a| a.first()) {
            break found.clone();
        }
        if Instant::now() >= deadline {
            let (_, all) = api(&http, &server, &token, Method::GET, "/api/v1/alerts", None).await;
            let (_, events) = api(
                &http,
                &server,
                &token,
                Method::GET,
                "/api/v1/events?q=defaced-by-e2e",
                None,
            )
            .await;
            panic!(
                "no attributed alert: {all}\nevents: {events}\n{}",
                server.stderr()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let alert_id = alert["id"].as_i64().unwrap();

    // The alert becomes an incident; the affected system comes from the inventory.
    let incident = call(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/incidents",
        Some(
            json!({"title": "Cổng thông tin Sở Y tế bị thay đổi giao diện", "kind": "defacement",
            "alert_ids": [alert_id], "description": "Trang chủ bị thay bằng nội dung lạ."}),
        ),
    )
    .await;
    let id = incident["id"].as_i64().unwrap();
    assert_eq!(incident["unit_id"], unit, "{incident}");
    assert_eq!(incident["alert_ids"], json!([alert_id]));
    assert_eq!(incident["system"]["name"], "Cổng thông tin điện tử Sở Y tế");
    assert_eq!(incident["system"]["owner"], "Sở Y tế");
    assert_eq!(incident["system"]["public_ips"], json!(["14.160.20.10"]));
    assert_eq!(incident["system"]["domains"], json!(["syt.example.gov.vn"]));
    assert_eq!(incident["system"]["os"], "Ubuntu");
    assert_eq!(incident["system"]["isp"], "VNPT Lâm Đồng");
    assert_eq!(incident["detection"]["intrusion_detection"], true);
    call(&http, &server, &token, Method::POST, &format!("/api/v1/incidents/{id}/observables"),
        Some(json!({"kind": "domain", "value": "deface-crew[.]example", "note": "chữ ký nhóm tấn công"}))).await;
    call(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/incidents/{id}/timeline"),
        Some(json!({"text": "Đã cô lập máy chủ web"})),
    )
    .await;
    let page = call(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/incidents/{id}"),
        None,
    )
    .await;
    assert_eq!(page["timeline"][0]["text"], "Đã cô lập máy chủ web");
    assert_eq!(
        page["incident"]["observables"][0]["value"],
        "deface-crew.example"
    );
    assert_eq!(page["deadlines"][0]["kind"], "notify_authorities");
    assert_eq!(page["deadlines"][0]["state"], "due");

    // Mẫu 03, numbered by the issuer in effect on its date.
    let report = call(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/incidents/{id}/reports"),
        Some(json!({"form": "initial", "issued_on": "2026-03-05"})),
    )
    .await;
    let report_id = report["id"].as_i64().unwrap();
    assert_eq!(report["number"], "01/BC-SKHCN", "{report}");
    assert_eq!(report["recipients"], json!(["ir@vncert.example.vn"]));
    assert_eq!(report["state"], "generated");

    // The mail server is not up yet: the attempt fails and says so; the retry succeeds.
    let failed = call(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/reports/{report_id}/send"),
        None,
    )
    .await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(failed["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    let sink = Sink::start(smtp_port, &inbox);
    let sent = call(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/reports/{report_id}/send"),
        None,
    )
    .await;
    assert_eq!(sent["state"], "sent", "{sent}");
    let got = wait_for_mails(&inbox, 1, &server).await;
    let mail = &got[0];
    assert_eq!(mail["rcpt_tos"], json!(["ir@vncert.example.vn"]));
    let subject = mail["subject"].as_str().unwrap();
    assert!(subject.starts_with("[TBSC] "), "{subject}");
    assert!(subject.contains("01/BC-SKHCN"), "{subject}");
    let attachment = &mail["attachments"][0];
    assert_eq!(attachment["filename"], "01-BC-SKHCN_Mau03.docx", "{mail}");
    let docx = base64_decode(attachment["data"].as_str().unwrap());
    let text = docx_text(&docx, cwd);
    for expected in [
        "Số: 01/BC-SKHCN",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "Cổng thông tin điện tử Sở Y tế",
        "Sở Y tế",
        "14.160.20.10",
        "syt.example.gov.vn",
        "Trang chủ bị thay bằng nội dung lạ.",
        "Lê Thị Trực",
        "VNCERT/CC",
        "ngày 05 tháng 3 năm 2026",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from the Mẫu 03:\n{text}"
        );
    }
    // The archived copy is the one that left.
    let downloaded = http
        .get(format!("{}/api/v1/reports/{report_id}/docx", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(downloaded.status(), 200);
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), docx);
    // Sending stopped the notification timer.
    let page = call(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/incidents/{id}"),
        None,
    )
    .await;
    assert_eq!(page["deadlines"][0]["state"], "met", "{page}");

    // The response ends; the Mẫu 04 names the Mẫu 03's number and date.
    call(&http, &server, &token, Method::POST, &format!("/api/v1/incidents/{id}/status"),
        Some(json!({"status": "resolved", "outcome": "Đã khôi phục trang từ bản sao lưu, vá lỗ hổng."}))).await;
    let closing = call(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/incidents/{id}/reports"),
        Some(json!({"form": "closing", "issued_on": "2026-03-09"})),
    )
    .await;
    assert_eq!(closing["number"], "02/BC-SKHCN");
    let closing_id = closing["id"].as_i64().unwrap();
    let sent = call(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/reports/{closing_id}/send"),
        None,
    )
    .await;
    assert_eq!(sent["state"], "sent", "{sent}");
    let got = wait_for_mails(&inbox, 2, &server).await;
    let closing_mail = got
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("02/BC-SKHCN"))
        .unwrap();
    assert!(closing_mail["subject"]
        .as_str()
        .unwrap()
        .starts_with("[TBSC] Báo cáo kết thúc"));
    let text = docx_text(
        &base64_decode(closing_mail["attachments"][0]["data"].as_str().unwrap()),
        cwd,
    );
    assert!(
        text.contains("01/BC-SKHCN"),
        "Mẫu 04 names the Mẫu 03's number:\n{text}"
    );
    assert!(
        text.contains("05/03/2026"),
        "Mẫu 04 names the Mẫu 03's date:\n{text}"
    );
    assert!(text.contains("Đã khôi phục trang từ bản sao lưu"), "{text}");

    // An officer of another unit sees no incident and no report, not even by id.
    run_ok(
        cwd,
        &[
            "user",
            "add",
            "--username",
            "canbo.stc",
            "--role",
            "unit_officer",
            "--unit",
            &other_code,
            "--password-stdin",
            "--data",
            &data,
        ],
        Some("Mật-khẩu-rất-dài-2026!\n"),
    );
    let officer = run_ok(
        cwd,
        &[
            "token",
            "create",
            "--user",
            "canbo.stc",
            "--name",
            "t",
            "--data",
            &data,
        ],
        None,
    )
    .trim()
    .to_string();
    let listed = call(
        &http,
        &server,
        &officer,
        Method::GET,
        "/api/v1/incidents",
        None,
    )
    .await;
    assert_eq!(listed["total"], 0, "{listed}");
    let reports = call(
        &http,
        &server,
        &officer,
        Method::GET,
        "/api/v1/reports",
        None,
    )
    .await;
    assert_eq!(reports["total"], 0, "{reports}");
    for path in [
        format!("/api/v1/incidents/{id}"),
        format!("/api/v1/reports/{report_id}"),
        format!("/api/v1/reports/{report_id}/docx"),
    ] {
        let (status, _) = api(&http, &server, &officer, Method::GET, &path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = api(
        &http,
        &server,
        &officer,
        Method::POST,
        &format!("/api/v1/reports/{report_id}/send"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(mails(&inbox).len(), 2, "the officer sent nothing");
    drop(sink);
    server.stop();
}
