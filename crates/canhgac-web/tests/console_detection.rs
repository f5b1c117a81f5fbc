//! The detection pages of the console: alerts (list, page, triage, "suppress this"), event
//! search, indicators (add, CSV upload, delete), rules and overrides, suppressions, the
//! dashboard card; for an admin and for a unit officer who must see only their units.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;
mod detection_support;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::Method;
use canhgac_model::{AlertStatus, AuditFilter, PageRequest, Role, Scope};
use canhgac_web::detection::Detection;
use console_support::*;
use detection_support::{detection_world, DetectionWorld, TestDetection, RULE_WHOAMI};

/// One application per test store with its detection double.
async fn detection_apps() -> Vec<(App, Arc<TestDetection>)> {
    let doubles = Mutex::new(Vec::new());
    let apps = apps_adjusted(|state| {
        let detection = TestDetection::new();
        doubles.lock().unwrap().push(detection.clone());
        state.with_detection(detection)
    })
    .await;
    apps.into_iter()
        .zip(doubles.into_inner().unwrap())
        .collect()
}

/// Events received now from the world's hosts (so they fall in the default last 24 hours).
async fn send_events(detection: &TestDetection) {
    let body = [
        r#"{"host":"web-alpha","EventID":4688,"CommandLine":"whoami /all","User":"alphauser"}"#,
        r#"{"host":"web-bravo","EventID":4688,"CommandLine":"net user","User":"bravouser"}"#,
        r#"{"host":"papa-unknown","program":"sshd","msg":"Failed password for root"}"#,
    ]
    .join("\n");
    detection
        .submit_ndjson(Bytes::from(body), false, None)
        .await
        .unwrap();
}

async fn officer(app: &App, w: &DetectionWorld) -> Browser {
    create_user(app, "can-bo-alpha", Role::UnitOfficer, vec![w.a]).await;
    let mut browser = Browser::new();
    browser.login(app, "can-bo-alpha", PASSWORD).await;
    browser
}

async fn viewer(app: &App) -> Browser {
    create_user(app, "nguoi-xem", Role::Viewer, vec![]).await;
    let mut browser = Browser::new();
    browser.login(app, "nguoi-xem", PASSWORD).await;
    browser
}

#[tokio::test]
async fn every_detection_page_renders_for_admin_officer_and_viewer() {
    for (app, detection) in detection_apps().await {
        let w = detection_world(app.state.store.as_ref(), Some(&detection)).await;
        send_events(&detection).await;
        let mut admin = admin(&app).await;
        let mut officer = officer(&app, &w).await;
        let mut viewer = viewer(&app).await;
        let rule_page = format!("/rules/rule?key={}", enc(RULE_WHOAMI));
        let pages = [
            "/".to_string(),
            "/alerts".into(),
            format!("/alerts/{}", w.alert_a1),
            "/events".into(),
            "/indicators".into(),
            "/rules".into(),
            rule_page.clone(),
            "/suppressions".into(),
        ];
        for (who, browser) in [
            ("admin", &mut admin),
            ("officer", &mut officer),
            ("viewer", &mut viewer),
        ] {
            for path in &pages {
                let page = browser.get(&app, path).await;
                page.expect(200);
                for label in [
                    "Vận hành",
                    "Cảnh báo",
                    "Sự kiện",
                    "Chỉ báo (IOC)",
                    "Luật phát hiện",
                    "Loại trừ",
                ] {
                    assert!(
                        page.body.contains(label),
                        "[{}] {who} {path}: no {label}",
                        app.name
                    );
                }
            }
        }

        // The viewer reads every page but is offered no form that changes anything.
        for path in &pages {
            let page = viewer.get(&app, path).await;
            let forms = page.body.matches("method=\"post\"").count();
            assert_eq!(forms, 1, "viewer {path}: only the sign-out form");
        }
        // The officer sees their units' alerts and events only.
        let list = officer.get(&app, "/alerts").await;
        assert!(list.body.contains("Luật rule-alpha"), "{}", list.body);
        assert!(!list.body.contains("rule-bravo") && !list.body.contains("rule-papa"));
        assert!(list.body.contains("data-total=\"1\""));
        for id in [w.alert_b, w.alert_unattributed] {
            officer
                .get(&app, &format!("/alerts/{id}"))
                .await
                .expect(404);
        }
        let events = officer.get(&app, "/events").await;
        assert!(events.body.contains("web-alpha"), "{}", events.body);
        assert!(!events.body.contains("bravo") && !events.body.contains("papa-unknown"));
        let probe = officer
            .get(&app, &format!("/events?unit_id={}&from=", w.b))
            .await;
        assert!(!probe.body.contains("web-bravo"));
        // A unit's page leads to its alerts and events, filtered with a chip.
        let unit_page = officer.get(&app, &format!("/units/{}", w.a1)).await;
        assert!(unit_page
            .body
            .contains(&format!("/alerts?status=open&amp;unit_id={}", w.a1)));
        assert!(unit_page
            .body
            .contains(&format!("/events?unit_id={}", w.a1)));
        let of_unit = officer
            .get(&app, &format!("/alerts?status=open&unit_id={}", w.a1))
            .await;
        assert!(
            of_unit.body.contains("Luật rule-alpha")
                && of_unit.body.contains("data-filter=\"unit_id\"")
        );
        let of_b = admin.get(&app, &format!("/alerts?unit_id={}", w.b)).await;
        assert!(of_b.body.contains("Luật rule-bravo") && !of_b.body.contains("Luật rule-alpha"));
        // The admin sees everything, unattributed events too, each with all its fields.
        let list = admin.get(&app, "/alerts").await;
        assert!(list.body.contains("data-total=\"3\""));
        let events = admin.get(&app, "/events").await;
        for host in ["web-alpha", "web-bravo", "papa-unknown"] {
            assert!(events.body.contains(host), "{host}");
        }
        assert!(events.body.contains("<details>") && events.body.contains("bravouser"));
        assert!(events.body.contains("data-scanned="));
        // The dashboard counts open alerts in scope.
        assert_eq!(admin.get(&app, "/").await.count("open-alerts"), 3);
        assert_eq!(officer.get(&app, "/").await.count("open-alerts"), 1);
        assert_eq!(admin.get(&app, "/").await.count("received"), 3);
        // The rules page lists the rules and, first, the one that did not load.
        let rules = admin.get(&app, "/rules").await;
        assert!(rules.body.contains("Whoami chạy từ dịch vụ web"));
        assert!(rules.body.contains("rules/broken/bad_modifier.yml"));
        assert!(rules.body.contains("unknown modifier"));
        assert!(rules.body.find("rule-problems").unwrap() < rules.body.find("data-rule=").unwrap());
        let searched = admin.get(&app, "/rules?q=ssh").await;
        assert!(!searched.body.contains("Whoami") && searched.body.contains("SSH"));
        admin
            .get(&app, "/rules/rule?key=no-such-rule")
            .await
            .expect(404);
        // English is there too.
        let english = admin.get(&app, "/lang/en?next=/alerts").await;
        english.expect(303);
        let alerts = admin.get(&app, "/alerts").await;
        assert!(alerts.body.contains("Severity at least") && alerts.body.contains("Alerts"));
    }
}

#[tokio::test]
async fn events_search_filters_and_pages() {
    for (app, detection) in detection_apps().await {
        let w = detection_world(app.state.store.as_ref(), Some(&detection)).await;
        send_events(&detection).await;
        let mut admin = admin(&app).await;
        let by_field = admin.get(&app, "/events?field=User%3Dbravouser").await;
        assert!(by_field.body.contains("web-bravo") && !by_field.body.contains("web-alpha"));
        let by_text = admin.get(&app, "/events?q=failed+root").await;
        assert!(by_text.body.contains("papa-unknown") && !by_text.body.contains("web-bravo"));
        let by_unit = admin.get(&app, &format!("/events?unit_id={}", w.a)).await;
        assert!(by_unit.body.contains("web-alpha") && !by_unit.body.contains("papa-unknown"));
        assert!(
            by_unit.body.contains("data-filter=\"unit_id\""),
            "a unit chip"
        );
        // An old window finds nothing; a malformed time is said so.
        let old = admin
            .get(&app, "/events?from=01/01/2020+00:00&to=02/01/2020+00:00")
            .await;
        assert!(old.body.contains("Không tìm thấy sự kiện nào."));
        let bad = admin.get(&app, "/events?from=h%C3%B4m+qua").await;
        bad.expect(200);
        assert!(bad.body.contains("<code>from</code>"), "{}", bad.body);
        // More: the page after the first event.
        for i in 0..60 {
            detection
                .submit_ndjson(
                    Bytes::from(format!("{{\"host\":\"web-alpha\",\"n\":{i}}}")),
                    false,
                    None,
                )
                .await
                .unwrap();
        }
        let first = admin.get(&app, "/events").await;
        let more = attr_after(&first.body, "rel=\"next\" href=\"").expect("a more link");
        let more = more.replace("&amp;", "&");
        assert!(more.contains("before=e"), "{more}");
        let second = admin.get(&app, &more).await;
        second.expect(200);
        assert!(
            second.body.contains("papa-unknown"),
            "the oldest events are on page two"
        );
        assert!(!first.body.contains("papa-unknown"));
    }
}

#[tokio::test]
async fn triage_from_the_alert_page_is_audited_and_needs_csrf() {
    for (app, detection) in detection_apps().await {
        let w = detection_world(app.state.store.as_ref(), Some(&detection)).await;
        let mut officer = officer(&app, &w).await;
        let page_path = format!("/alerts/{}", w.alert_a1);
        let page = officer.get(&app, &page_path).await;
        page.expect(200);
        assert!(page.body.contains("T1059.001"), "ATT&CK tags shown");
        assert!(page.body.contains("whoami /all"), "evidence fields shown");
        // The evidence event's time in the console's zone: 08:00Z is 15:00 in Hà Nội.
        assert!(
            page.body.contains("25/11/2026 15:00"),
            "evidence time shown locally"
        );
        assert!(page.body.contains("id=\"triage-form\""));
        let action = format!("/alerts/{}/triage", w.alert_a1);
        officer
            .post_raw(&app, &action, &[("csrf", "forged"), ("status", "resolved")])
            .await
            .expect(403);
        officer
            .post(&app, &page_path, &action, &[("status", "closed")])
            .await
            .expect(422);
        officer
            .post(
                &app,
                &page_path,
                &action,
                &[
                    ("status", "acknowledged"),
                    ("comment", "Đã liên hệ quản trị máy"),
                ],
            )
            .await
            .expect(303);
        let alert = app
            .state
            .store
            .get_alert(&Scope::All, w.alert_a1)
            .await
            .unwrap();
        assert_eq!(alert.status, AlertStatus::Acknowledged);
        // The header counts open alerts in scope; acknowledged is still open, resolved is not.
        let header = |page: &Page| {
            let marker = "data-count=\"header-alerts\">";
            let start = page.body.find(marker).unwrap() + marker.len();
            page.body[start..start + page.body[start..].find('<').unwrap()].to_string()
        };
        assert_eq!(header(&officer.get(&app, "/alerts").await), "1");
        assert_eq!(alert.comment.as_deref(), Some("Đã liên hệ quản trị máy"));
        let audit = app
            .state
            .store
            .list_audit(
                &AuditFilter {
                    entity: Some("alert".into()),
                    entity_id: Some(w.alert_a1),
                    actor: None,
                },
                &PageRequest::new(1, 10),
            )
            .await
            .unwrap();
        assert_eq!(audit.items.len(), 1);
        assert_eq!(audit.items[0].actor, "can-bo-alpha");
        officer
            .post(&app, &page_path, &action, &[("status", "resolved")])
            .await
            .expect(303);
        assert_eq!(header(&officer.get(&app, "/alerts").await), "0");
        let mut admin = admin(&app).await;
        assert_eq!(header(&admin.get(&app, "/").await), "2");
        // B's alert cannot be triaged by the officer; the viewer triages nothing.
        officer
            .post(
                &app,
                &page_path,
                &format!("/alerts/{}/triage", w.alert_b),
                &[("status", "resolved")],
            )
            .await
            .expect(404);
        let mut viewer = viewer(&app).await;
        let seen = viewer.get(&app, &page_path).await;
        seen.expect(200);
        assert!(!seen.body.contains("triage-form"));
        viewer
            .post(&app, &page_path, &action, &[("status", "resolved")])
            .await
            .expect(403);
        let alert = app
            .state
            .store
            .get_alert(&Scope::All, w.alert_b)
            .await
            .unwrap();
        assert_eq!(alert.status, AlertStatus::New);
    }
}

#[tokio::test]
async fn suppress_this_prefills_a_suppression_for_the_alert() {
    for (app, detection) in detection_apps().await {
        let w = detection_world(app.state.store.as_ref(), Some(&detection)).await;
        let mut officer = officer(&app, &w).await;
        let page = officer.get(&app, &format!("/alerts/{}", w.alert_a1)).await;
        let link = attr_after(&page.body, "id=\"suppress-this\" href=\"")
            .or_else(|| attr_after(&page.body, "href=\"/suppressions?"))
            .expect("a suppress link")
            .replace("&amp;", "&");
        assert!(link.contains("rule_key=rule-alpha"), "{link}");
        assert!(link.contains(&format!("unit_id={}", w.a1)) && link.contains("value=web-alpha"));
        let form = officer.get(&app, &link).await;
        form.expect(200);
        assert!(
            form.body.contains("value=\"web-alpha\""),
            "value pre-filled"
        );
        assert!(form
            .body
            .contains(&format!("<option value=\"{}\" selected", w.a1)));
        officer
            .post(
                &app,
                "/suppressions",
                "/suppressions",
                &[
                    ("rule_key", "rule-alpha"),
                    ("unit_id", &w.a1.to_string()),
                    ("field", "host"),
                    ("value", "web-alpha"),
                    ("comment", "Máy quét định kỳ"),
                    ("expires_at", "31/12/2026"),
                ],
            )
            .await
            .expect(303);
        let stored = app
            .state
            .store
            .list_suppressions(&Scope::All)
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        // Valid through the day typed: it ends at midnight after 31/12/2026 in Hà Nội.
        assert_eq!(
            stored[0].expires_at,
            Some("2026-12-31T17:00:00Z".parse().unwrap())
        );
        // B's unit and every unit are refused with a message; nothing is stored.
        for unit in [w.b.to_string(), String::new()] {
            let refused = officer
                .post(
                    &app,
                    "/suppressions",
                    "/suppressions",
                    &[("unit_id", &unit), ("field", "host"), ("value", "x")],
                )
                .await;
            refused.expect(422);
        }
        officer
            .post(
                &app,
                "/suppressions",
                "/suppressions",
                &[
                    ("unit_id", &w.a1.to_string()),
                    ("field", ""),
                    ("value", "x"),
                ],
            )
            .await
            .expect(422);
        assert_eq!(
            app.state
                .store
                .list_suppressions(&Scope::All)
                .await
                .unwrap()
                .len(),
            1
        );
        let listed = officer.get(&app, "/suppressions").await;
        assert!(listed.body.contains("Máy quét định kỳ"));
        let id = stored[0].id;
        officer
            .post_raw(
                &app,
                &format!("/suppressions/{id}/delete"),
                &[("csrf", "x")],
            )
            .await
            .expect(403);
        officer
            .post(
                &app,
                "/suppressions",
                &format!("/suppressions/{id}/delete"),
                &[],
            )
            .await
            .expect(303);
        assert!(app
            .state
            .store
            .list_suppressions(&Scope::All)
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn rule_overrides_from_the_console_stay_within_scope() {
    for (app, detection) in detection_apps().await {
        let w = detection_world(app.state.store.as_ref(), Some(&detection)).await;
        let mut officer = officer(&app, &w).await;
        let rule_page = format!("/rules/rule?key={}", enc(RULE_WHOAMI));
        let page = officer.get(&app, &rule_page).await;
        assert!(page.body.contains("id=\"override-form\""));
        // An officer's choices are their units, not "every unit".
        assert!(!page.body.contains("Toàn tỉnh"), "{}", page.body);
        officer
            .post(
                &app,
                &rule_page,
                "/rules/override",
                &[
                    ("rule_key", RULE_WHOAMI),
                    ("unit_id", &w.a1.to_string()),
                    ("enabled", "off"),
                    ("severity", ""),
                ],
            )
            .await
            .expect(303);
        for unit in [w.b.to_string(), String::new()] {
            officer
                .post(
                    &app,
                    &rule_page,
                    "/rules/override",
                    &[
                        ("rule_key", RULE_WHOAMI),
                        ("unit_id", &unit),
                        ("enabled", "off"),
                    ],
                )
                .await
                .expect(422);
        }
        let overrides = app.state.store.rule_overrides().await.unwrap();
        assert_eq!(overrides.len(), 1);
        assert_eq!(overrides[0].unit_id, Some(w.a1));
        assert!(!overrides[0].enabled);
        // The admin switches it off everywhere from the list, with a level for B.
        let mut admin = admin(&app).await;
        admin
            .post(
                &app,
                "/rules",
                "/rules/override",
                &[
                    ("rule_key", RULE_WHOAMI),
                    ("enabled", "off"),
                    ("next", "list"),
                ],
            )
            .await
            .expect(303);
        admin
            .post(
                &app,
                &rule_page,
                "/rules/override",
                &[
                    ("rule_key", RULE_WHOAMI),
                    ("unit_id", &w.b.to_string()),
                    ("enabled", "on"),
                    ("severity", "critical"),
                ],
            )
            .await
            .expect(303);
        let list = admin.get(&app, "/rules").await;
        assert!(list.body.contains("data-state=\"off\""));
        // The officer sees the global override and theirs, not B's.
        let page = officer.get(&app, &rule_page).await;
        assert!(page.body.contains(&format!("data-unit=\"{}\"", w.a1)));
        assert!(page.body.contains("data-unit=\"\""));
        assert!(!page.body.contains(&format!("data-unit=\"{}\"", w.b)));
        officer
            .post(
                &app,
                &rule_page,
                "/rules/override/delete",
                &[("rule_key", RULE_WHOAMI), ("unit_id", &w.b.to_string())],
            )
            .await
            .expect(403);
        officer
            .post(
                &app,
                &rule_page,
                "/rules/override/delete",
                &[("rule_key", RULE_WHOAMI), ("unit_id", &w.a1.to_string())],
            )
            .await
            .expect(303);
        assert_eq!(app.state.store.rule_overrides().await.unwrap().len(), 2);
        let mut viewer = viewer(&app).await;
        let seen = viewer.get(&app, &rule_page).await;
        assert!(!seen.body.contains("override-form"));
        viewer
            .post(
                &app,
                &rule_page,
                "/rules/override",
                &[("rule_key", RULE_WHOAMI), ("enabled", "off")],
            )
            .await
            .expect(403);
    }
}

fn multipart(csrf: &str, content: &str) -> (String, Vec<u8>) {
    multipart_named(csrf, "ioc.csv", content)
}

fn multipart_named(csrf: &str, file_name: &str, content: &str) -> (String, Vec<u8>) {
    let boundary = "----canhgacIocBoundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[tokio::test]
async fn indicator_upload_is_all_or_nothing_and_names_the_line() {
    for (app, detection) in detection_apps().await {
        let w = detection_world(app.state.store.as_ref(), Some(&detection)).await;
        let mut admin = admin(&app).await;
        let page = admin.get(&app, "/indicators").await;
        let csrf = page.csrf();
        assert!(page.body.contains("enctype=\"multipart/form-data\""));
        let bad = "kind,value\nip,198.51.100.7\nip,300.1.1.1\ndomain,evil.example.com\n";
        let (ct, body) = multipart("forged", bad);
        admin
            .send(&app, Method::POST, "/indicators/import", Some(&ct), body)
            .await
            .expect(403);
        let (ct, body) = multipart(&csrf, bad);
        let refused = admin
            .send(&app, Method::POST, "/indicators/import", Some(&ct), body)
            .await;
        refused.expect(422);
        assert!(refused.body.contains("line 3: value:"), "{}", refused.body);
        let none = app
            .state
            .store
            .list_indicators(&Default::default(), &PageRequest::new(1, 10))
            .await
            .unwrap();
        assert_eq!(none.total, 0, "nothing imported");
        let good = "kind,value,severity\nip,198.51.100.7,critical\ndomain,evil[.]example.com,\n";
        let (ct, body) = multipart(&csrf, good);
        let done = admin
            .send(&app, Method::POST, "/indicators/import", Some(&ct), body)
            .await;
        done.expect(303);
        let listed = admin.get(&app, &done.location()).await;
        assert!(
            listed.body.contains("data-created=\"2\""),
            "{}",
            listed.body
        );
        assert!(listed.body.contains("evil.example.com"));
        // One by one.
        admin
            .post(
                &app,
                "/indicators",
                "/indicators",
                &[("kind", "md5"), ("value", "abc"), ("severity", "high")],
            )
            .await
            .expect(422);
        admin
            .post(
                &app,
                "/indicators",
                "/indicators",
                &[
                    ("kind", "email"),
                    ("value", "Phish@Example.com"),
                    ("severity", "medium"),
                    ("tags", "phishing; apt"),
                    ("expires_at", "31/12/2026 23:00"),
                ],
            )
            .await
            .expect(303);
        let filtered = admin.get(&app, "/indicators?kind=email").await;
        assert!(
            filtered.body.contains("phish@example.com")
                && !filtered.body.contains("evil.example.com")
        );
        // Indicators apply to every unit: the officer reads but cannot change them.
        let mut officer = officer(&app, &w).await;
        let seen = officer.get(&app, "/indicators").await;
        assert!(seen.body.contains("evil.example.com"));
        assert!(!seen.body.contains("indicator-import"));
        let csrf = seen.csrf();
        let (ct, body) = multipart(&csrf, good);
        officer
            .send(&app, Method::POST, "/indicators/import", Some(&ct), body)
            .await
            .expect(403);
        let all = app
            .state
            .store
            .list_indicators(&Default::default(), &PageRequest::new(1, 10))
            .await
            .unwrap();
        assert_eq!(all.total, 3);
        let id = all.items[0].id;
        officer
            .post(
                &app,
                "/indicators",
                &format!("/indicators/{id}/delete"),
                &[],
            )
            .await
            .expect(403);
        admin
            .post(
                &app,
                "/indicators",
                &format!("/indicators/{id}/delete"),
                &[],
            )
            .await
            .expect(303);
        let left = app
            .state
            .store
            .list_indicators(&Default::default(), &PageRequest::new(1, 10))
            .await
            .unwrap();
        assert_eq!(left.total, 2);
    }
}

#[tokio::test]
async fn without_detection_the_pages_say_so() {
    for app in apps().await {
        let mut admin = admin(&app).await;
        for path in ["/events", "/rules"] {
            let page = admin.get(&app, path).await;
            page.expect(200);
            assert!(page.body.contains("chưa bật giám sát"), "{path}");
        }
        for path in ["/alerts", "/indicators", "/suppressions", "/"] {
            admin.get(&app, path).await.expect(200);
        }
        assert!(!admin.get(&app, "/").await.body.contains("logs-received"));
    }
}

#[tokio::test]
async fn every_detection_form_needs_the_csrf_token() {
    for (app, detection) in detection_apps().await {
        let w = detection_world(app.state.store.as_ref(), Some(&detection)).await;
        let mut admin = admin(&app).await;
        for path in [
            format!("/alerts/{}/triage", w.alert_a1),
            "/indicators".into(),
            "/indicators/1/delete".into(),
            "/rules/override".into(),
            "/rules/override/delete".into(),
            "/suppressions".into(),
            "/suppressions/1/delete".into(),
        ] {
            admin
                .post_raw(
                    &app,
                    &path,
                    &[
                        ("status", "resolved"),
                        ("rule_key", RULE_WHOAMI),
                        ("field", "host"),
                        ("value", "x"),
                        ("enabled", "off"),
                    ],
                )
                .await
                .expect(403);
        }
        assert!(app.state.store.rule_overrides().await.unwrap().is_empty());
        assert!(app
            .state
            .store
            .list_suppressions(&Scope::All)
            .await
            .unwrap()
            .is_empty());
        let alert = app
            .state
            .store
            .get_alert(&Scope::All, w.alert_a1)
            .await
            .unwrap();
        assert_eq!(alert.status, AlertStatus::New);
    }
}

#[tokio::test]
async fn a_log_file_uploaded_from_the_events_page_is_stored_and_its_bad_records_listed() {
    for (app, detection) in detection_apps().await {
        let w = detection_world(app.state.store.as_ref(), Some(&detection)).await;
        let file = "{\"host\":\"web-alpha\",\"CommandLine\":\"certutil -urlcache\"}\n\
                    not json at all\n\
                    {\"host\":\"web-alpha\",\"CommandLine\":\"whoami\"}\n";
        // Events are attributed by the inventory, not the sender: an officer limited to some
        // units could plant events in others' views, so only callers who see every unit upload.
        let mut officer = officer(&app, &w).await;
        let page = officer.get(&app, "/events").await;
        assert!(!page.body.contains("id=\"log-upload\""));
        let (ct, body) = multipart_named(&page.csrf(), "may-web.jsonl", file);
        officer
            .send(&app, Method::POST, "/events/import", Some(&ct), body)
            .await
            .expect(403);
        let mut admin = admin(&app).await;
        let page = admin.get(&app, "/events").await;
        assert!(page.body.contains("id=\"log-upload\""));
        let csrf = page.csrf();
        let (ct, body) = multipart_named("forged", "may-web.jsonl", file);
        admin
            .send(&app, Method::POST, "/events/import", Some(&ct), body)
            .await
            .expect(403);
        let (ct, body) = multipart_named(&csrf, "may-web.jsonl", file);
        let done = admin
            .send(&app, Method::POST, "/events/import", Some(&ct), body)
            .await;
        done.expect(200);
        assert!(done.body.contains("data-accepted=\"2\""), "{}", done.body);
        assert!(done.body.contains("data-skipped=\"1\""));
        assert!(done.body.contains("line 2:"), "the bad record is named");
        assert_eq!(detection.stored_events(), 2);
        let found = officer.get(&app, "/events?q=certutil").await;
        assert!(found.body.contains("certutil -urlcache"));
        // Viewers read events but import nothing.
        let mut viewer = viewer(&app).await;
        let seen = viewer.get(&app, "/events").await;
        assert!(!seen.body.contains("log-upload"));
        let (ct, body) = multipart_named(&seen.csrf(), "x.jsonl", file);
        viewer
            .send(&app, Method::POST, "/events/import", Some(&ct), body)
            .await
            .expect(403);
        assert_eq!(detection.stored_events(), 2);
    }
}
