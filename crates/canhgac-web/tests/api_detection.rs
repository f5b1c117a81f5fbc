//! The detection API: log intake over HTTP, event search, alerts and triage, indicators, rule
//! overrides and suppressions, against the real store (SQLite, and PostgreSQL when configured)
//! and a test double of the live path over a real event log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod detection_support;

use std::io::Write;
use std::sync::Arc;

use api_support::{ids, Api, Auth, Reply};
use axum::body::Body;
use axum::http::{header, Request};
use canhgac_model::{AuditFilter, PageRequest, Role};
use canhgac_store::testing::test_stores;
use canhgac_web::{router, AppState, WebSettings};
use detection_support::{detection_world, three_events, DetectionWorld, TestDetection};
use serde_json::{json, Value};

/// The application over every test store, with the detection double plugged in.
async fn detection_apis(settings: WebSettings) -> Vec<(Api, Arc<TestDetection>)> {
    let mut out = Vec::new();
    for test_store in test_stores().await {
        let detection = TestDetection::new();
        let state = AppState::new(test_store.store.clone(), settings.clone())
            .with_detection(detection.clone());
        out.push((Api::from_parts(test_store, router(state)), detection));
    }
    out
}

/// `POST /api/v1/events` with `body` as NDJSON, gzip-compressed when `gzip`.
async fn submit(api: &Api, auth: &Auth, body: &[u8], gzip: bool) -> Reply {
    let mut request = Request::builder()
        .method("POST")
        .uri("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/x-ndjson");
    let body = if gzip {
        request = request.header(header::CONTENT_ENCODING, "gzip");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(body).unwrap();
        encoder.finish().unwrap()
    } else {
        body.to_vec()
    };
    request = match auth {
        Auth::Bearer(secret) => request.header(header::AUTHORIZATION, format!("Bearer {secret}")),
        Auth::Session { secret, csrf } => {
            let request = request.header(header::COOKIE, format!("canhgac_session={secret}"));
            match csrf {
                Some(csrf) => request.header("x-csrf-token", csrf),
                None => request,
            }
        }
        Auth::None => request,
    };
    api.send(request.body(Body::from(body)).unwrap()).await
}

/// Hosts of the events a search answers.
fn hosts(found: &Value) -> Vec<String> {
    found["events"]
        .as_array()
        .unwrap_or_else(|| panic!("not a search answer: {found}"))
        .iter()
        .map(|e| e["event"]["host"].as_str().unwrap_or("").to_string())
        .collect()
}

struct People {
    admin: Auth,
    officer: Auth,
    viewer: Auth,
}

async fn people(api: &Api, w: &DetectionWorld) -> People {
    let admin = api.admin().await;
    let (_, officer) = api
        .user_with_token("can-bo-alpha", Role::UnitOfficer, vec![w.a])
        .await;
    let (_, viewer) = api.user_with_token("nguoi-xem", Role::Viewer, vec![]).await;
    People {
        admin,
        officer,
        viewer,
    }
}

#[tokio::test]
async fn events_sent_with_a_token_are_stored_then_searchable() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;
        let reply = submit(&api, &p.admin, three_events().as_bytes(), false).await;
        assert_eq!(reply.ok(200), json!({"accepted": 3}), "[{}]", api.name);
        // Acknowledged means stored: the event log holds them before any search.
        assert_eq!(detection.stored_events(), 3);

        let found = api.get("/api/v1/events", &p.admin).await.ok(200);
        // Newest stored first; the admin sees unattributed events too.
        assert_eq!(
            hosts(&found),
            vec!["papa-unknown", "web-bravo", "web-alpha"]
        );
        assert!(found["scanned"].as_u64().unwrap() >= 3, "{found}");
        assert!(found["took_ms"].is_u64());
        let by_field = api
            .get("/api/v1/events?field=CommandLine:WHOAMI%20/all", &p.admin)
            .await
            .ok(200);
        assert_eq!(hosts(&by_field), vec!["web-alpha"]);
        let by_two_fields = api
            .get(
                "/api/v1/events?field=EventID:4688&field=User=bravouser",
                &p.admin,
            )
            .await
            .ok(200);
        assert_eq!(hosts(&by_two_fields), vec!["web-bravo"]);
        let by_text = api
            .get("/api/v1/events?q=failed%20root", &p.admin)
            .await
            .ok(200);
        assert_eq!(hosts(&by_text), vec!["papa-unknown"]);
        let by_host = api
            .get("/api/v1/events?host=WEB-BRAVO", &p.admin)
            .await
            .ok(200);
        assert_eq!(hosts(&by_host), vec!["web-bravo"]);
        // Times in either form; `to` is exclusive. 08:01Z is 15:01 in Hà Nội.
        let window = api
            .get(
                "/api/v1/events?from=25/11/2026%2015:01&to=2026-11-25T08:02:00Z",
                &p.admin,
            )
            .await
            .ok(200);
        assert_eq!(hosts(&window), vec!["web-bravo"]);
        api.get("/api/v1/events?from=h%C3%B4m%20qua", &p.admin)
            .await
            .problem(422);
        // Paging: a limit of one gives a cursor that continues where the page stopped.
        let first = api.get("/api/v1/events?limit=1", &p.admin).await.ok(200);
        assert_eq!(hosts(&first), vec!["papa-unknown"]);
        let next = first["next"].as_str().expect("a cursor").to_string();
        let second = api
            .get(&format!("/api/v1/events?limit=2&before={next}"), &p.admin)
            .await
            .ok(200);
        assert_eq!(hosts(&second), vec!["web-bravo", "web-alpha"]);
        api.get("/api/v1/events?before=zzz", &p.admin)
            .await
            .problem(422);

        // Only callers who see every unit send (attribution follows the inventory, so a unit
        // officer could otherwise plant events in another unit); the viewer may not either.
        submit(
            &api,
            &p.officer,
            b"{\"host\":\"web-alpha\",\"n\":1}\n",
            false,
        )
        .await
        .problem(403);
        submit(&api, &p.admin, b"{\"host\":\"web-alpha\",\"n\":1}\n", false)
            .await
            .ok(200);
        let refused = submit(&api, &p.viewer, b"{\"host\":\"web-alpha\"}\n", false).await;
        refused.problem(403);
        assert_eq!(detection.stored_events(), 4);

        let status = api.get("/api/v1/detection/status", &p.viewer).await.ok(200);
        assert_eq!(status["enabled"], true);
        assert_eq!(status["stored"], 4);
        assert_eq!(status["eventlog"]["events"], 4);
        assert_eq!(status["rules"], 2);
        assert_eq!(status["rule_problems"], 1);
    }
}

#[tokio::test]
async fn gzip_bodies_and_session_writes_with_csrf_are_accepted() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;
        // A sender limited to some units could plant events in others' views: refused.
        submit(&api, &p.officer, three_events().as_bytes(), true)
            .await
            .problem(403);
        let reply = submit(&api, &p.admin, three_events().as_bytes(), true).await;
        assert_eq!(reply.ok(200)["accepted"], 3);
        let found = api
            .get("/api/v1/events?field=EventID:4688", &p.admin)
            .await
            .ok(200);
        assert_eq!(hosts(&found), vec!["web-bravo", "web-alpha"]);

        // A body announced as gzip that is not gzip is refused whole.
        let mut request = Request::builder()
            .method("POST")
            .uri("/api/v1/events")
            .header(header::CONTENT_ENCODING, "gzip");
        if let Auth::Bearer(secret) = &p.admin {
            request = request.header(header::AUTHORIZATION, format!("Bearer {secret}"));
        }
        let reply = api
            .send(request.body(Body::from(three_events())).unwrap())
            .await;
        reply.problem(400);
        // Other encodings are not guessed at.
        let mut request = Request::builder()
            .method("POST")
            .uri("/api/v1/events")
            .header(header::CONTENT_ENCODING, "br");
        if let Auth::Bearer(secret) = &p.admin {
            request = request.header(header::AUTHORIZATION, format!("Bearer {secret}"));
        }
        api.send(request.body(Body::from(three_events())).unwrap())
            .await
            .problem(415);
        assert_eq!(detection.stored_events(), 3);

        // The console's session may send events too, with its CSRF header.
        let admin_user = api
            .store
            .user_credentials("admin")
            .await
            .unwrap()
            .unwrap()
            .user;
        let session = api.session_for(admin_user.id).await;
        submit(&api, &session, b"{\"host\":\"web-alpha\"}\n", false)
            .await
            .ok(200);
        let Auth::Session { secret, .. } = &session else {
            unreachable!()
        };
        let without_csrf = Auth::Session {
            secret: secret.clone(),
            csrf: None,
        };
        submit(&api, &without_csrf, b"{\"host\":\"web-alpha\"}\n", false)
            .await
            .problem(403);
        assert_eq!(detection.stored_events(), 4);
        submit(&api, &Auth::None, b"{}\n", false).await.problem(401);
    }
}

#[tokio::test]
async fn a_bad_line_is_named_and_nothing_of_the_batch_is_stored() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;
        let body = format!("{}{{\"host\": \"web-alpha\", oops}}\n", three_events());
        for gzip in [false, true] {
            let problem = submit(&api, &p.admin, body.as_bytes(), gzip)
                .await
                .problem(400);
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains("line 4"), "{detail}");
            assert!(detail.contains("nothing was stored"), "{detail}");
            assert_eq!(problem["errors"][0].as_str().unwrap()[..6], *"line 4");
        }
        let not_object = submit(&api, &p.admin, b"{\"a\":1}\n[1,2]\n", false)
            .await
            .problem(400);
        assert!(not_object["detail"].as_str().unwrap().contains("line 2"));
        assert_eq!(detection.stored_events(), 0, "[{}]", api.name);
        let found = api.get("/api/v1/events", &p.admin).await.ok(200);
        assert!(hosts(&found).is_empty());
    }
}

#[tokio::test]
async fn oversized_bodies_answer_413() {
    let settings = WebSettings {
        max_body_bytes: 64 * 1024,
        ..WebSettings::default()
    };
    for (api, detection) in detection_apis(settings).await {
        let admin = api.admin().await;
        let line = format!("{{\"host\":\"h\",\"pad\":\"{}\"}}\n", "x".repeat(1000));
        let big = line.repeat(100);
        submit(&api, &admin, big.as_bytes(), false)
            .await
            .problem(413);
        // Compressed small, decompressed beyond what the intake takes.
        let bomb = line.repeat(2000);
        let problem = submit(&api, &admin, bomb.as_bytes(), true)
            .await
            .problem(413);
        assert!(problem["detail"].as_str().unwrap().contains("too large"));
        assert_eq!(detection.stored_events(), 0);
    }
}

#[tokio::test]
async fn without_detection_event_routes_answer_503_and_tuning_still_works() {
    for test_store in test_stores().await {
        let app = router(AppState::new(
            test_store.store.clone(),
            WebSettings::default(),
        ));
        let api = Api::from_parts(test_store, app);
        let admin = api.admin().await;
        submit(&api, &admin, three_events().as_bytes(), false)
            .await
            .problem(503);
        api.get("/api/v1/events", &admin).await.problem(503);
        let status = api.get("/api/v1/detection/status", &admin).await.ok(200);
        assert_eq!(status, json!({"enabled": false}));
        let rules = api.get("/api/v1/rules", &admin).await.ok(200);
        assert_eq!(rules["enabled"], false);
        api.put(
            "/api/v1/rules/r-1/override",
            &admin,
            json!({"enabled": false}),
        )
        .await
        .ok(200);
        let rules = api.get("/api/v1/rules", &admin).await.ok(200);
        assert_eq!(rules["overrides"][0]["rule_key"], "r-1");
    }
}

#[tokio::test]
async fn a_unit_officer_finds_only_their_units_events() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;
        submit(&api, &p.admin, three_events().as_bytes(), false)
            .await
            .ok(200);
        let own = api.get("/api/v1/events", &p.officer).await.ok(200);
        assert_eq!(hosts(&own), vec!["web-alpha"], "[{}]", api.name);
        // Naming B's host, B's unit, B's values or unattributed text finds nothing.
        for probe in [
            "host=web-bravo".to_string(),
            format!("unit_id={}", w.b),
            format!("unit={}", w.province),
            "q=bravouser".into(),
            "q=failed".into(),
            "field=User:bravouser".into(),
        ] {
            let found = api
                .get(&format!("/api/v1/events?{probe}"), &p.officer)
                .await
                .ok(200);
            assert!(hosts(&found).is_empty(), "[{}] {probe}: {found}", api.name);
        }
        // Their own unit filter works (A1 is under A).
        let a1 = api
            .get(&format!("/api/v1/events?unit_id={}", w.a1), &p.officer)
            .await
            .ok(200);
        assert_eq!(hosts(&a1), vec!["web-alpha"]);
        // The admin's unit filter takes the subtree: A holds A1's event.
        let a = api
            .get(&format!("/api/v1/events?unit_id={}", w.a), &p.admin)
            .await
            .ok(200);
        assert_eq!(hosts(&a), vec!["web-alpha"]);
        // A viewer limited to B sees B's.
        let (_, viewer_b) = api
            .user_with_token("xem-bravo", Role::Viewer, vec![w.b])
            .await;
        let theirs = api.get("/api/v1/events", &viewer_b).await.ok(200);
        assert_eq!(hosts(&theirs), vec!["web-bravo"]);
    }
}

#[tokio::test]
async fn a_unit_officer_sees_and_triages_only_their_units_alerts() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;
        let own = api.get("/api/v1/alerts", &p.officer).await.ok(200);
        assert_eq!(ids(&own), vec![w.alert_a1], "[{}]", api.name);
        assert_eq!(own["total"], 1);
        let all = api.get("/api/v1/alerts", &p.admin).await.ok(200);
        assert_eq!(all["total"], 3);
        for id in [w.alert_b, w.alert_unattributed] {
            api.get(&format!("/api/v1/alerts/{id}"), &p.officer)
                .await
                .problem(404);
            api.post(
                &format!("/api/v1/alerts/{id}/triage"),
                &p.officer,
                json!({"status": "resolved"}),
            )
            .await
            .problem(404);
        }
        let filtered = api
            .get(&format!("/api/v1/alerts?unit={}", w.b), &p.officer)
            .await
            .ok(200);
        assert!(ids(&filtered).is_empty());
        // Filters: severity, status (repeated or with commas, `open`), source, text.
        let high = api
            .get("/api/v1/alerts?min_severity=high", &p.admin)
            .await
            .ok(200);
        assert_eq!(ids(&high).len(), 2);
        let by_text = api.get("/api/v1/alerts?q=bravo", &p.admin).await.ok(200);
        assert_eq!(ids(&by_text), vec![w.alert_b]);
        let open = api
            .get("/api/v1/alerts?status=open", &p.admin)
            .await
            .ok(200);
        assert_eq!(open["total"], 3);
        let done = api
            .get(
                "/api/v1/alerts?status=resolved&status=false_positive",
                &p.admin,
            )
            .await
            .ok(200);
        assert_eq!(done["total"], 0);
        api.get("/api/v1/alerts?status=closed", &p.admin)
            .await
            .problem(422);
        api.get("/api/v1/alerts?source=ioc", &p.admin).await.ok(200);
        // The viewer reads but does not triage.
        api.get(&format!("/api/v1/alerts/{}", w.alert_a1), &p.viewer)
            .await
            .ok(200);
        api.post(
            &format!("/api/v1/alerts/{}/triage", w.alert_a1),
            &p.viewer,
            json!({"status": "acknowledged"}),
        )
        .await
        .problem(403);
        let untouched = api
            .store
            .get_alert(&canhgac_model::Scope::All, w.alert_b)
            .await
            .unwrap();
        assert_eq!(untouched.status, canhgac_model::AlertStatus::New);
    }
}

#[tokio::test]
async fn triage_round_trip_is_audited() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;
        let url = format!("/api/v1/alerts/{}/triage", w.alert_a1);
        let alert = api
            .post(
                &url,
                &p.officer,
                json!({"status": "acknowledged", "comment": "Đang kiểm tra máy web-alpha"}),
            )
            .await
            .ok(200);
        assert_eq!(alert["status"], "acknowledged");
        // No comment keeps the previous one.
        let alert = api
            .post(&url, &p.officer, json!({"status": "false_positive"}))
            .await
            .ok(200);
        assert_eq!(alert["comment"], "Đang kiểm tra máy web-alpha");
        let stored = api
            .get(&format!("/api/v1/alerts/{}", w.alert_a1), &p.admin)
            .await
            .ok(200);
        assert_eq!(stored["status"], "false_positive");
        assert_eq!(stored["tags"][1], "attack.t1059.001");
        let open = api
            .get("/api/v1/alerts?status=open", &p.officer)
            .await
            .ok(200);
        assert_eq!(open["total"], 0);
        api.post(&url, &p.officer, json!({"status": "closed"}))
            .await
            .problem(400);
        api.post(&url, &p.officer, json!({"status": "new", "colour": "red"}))
            .await
            .problem(400);
        let audit = api
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
        assert_eq!(audit.items.len(), 2, "[{}]", api.name);
        assert_eq!(audit.items[0].actor, "can-bo-alpha");
        assert_eq!(
            audit.items[0].after.as_ref().unwrap()["status"],
            "false_positive"
        );
        assert_eq!(audit.items[1].before.as_ref().unwrap()["status"], "new");
    }
}

/// Posts `csv` to `/api/v1/indicators/import`.
async fn import_csv(api: &Api, auth: &Auth, csv: &str) -> Reply {
    let mut request = Request::builder()
        .method("POST")
        .uri("/api/v1/indicators/import")
        .header(header::CONTENT_TYPE, "text/csv");
    if let Auth::Bearer(secret) = auth {
        request = request.header(header::AUTHORIZATION, format!("Bearer {secret}"));
    }
    api.send(request.body(Body::from(csv.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn indicator_csv_imports_are_all_or_nothing() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;
        let bad = "kind,value,severity,tags\n\
                   ip,198.51.100.7,high,c2\n\
                   domain,evil[.]example.com,critical,apt;phishing\n\
                   sha256,abc,high,\n\
                   url,hxxp://evil.example.com/x,urgent,\n";
        let problem = import_csv(&api, &p.admin, bad).await.problem(422);
        let errors: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("line 4: value:"), "{errors:?}");
        assert!(errors[1].starts_with("line 5: severity:"), "{errors:?}");
        let listed = api.get("/api/v1/indicators", &p.admin).await.ok(200);
        assert_eq!(listed["total"], 0, "[{}] nothing imported", api.name);

        let good = "kind,value,severity,tags\n\
                    ip,198.51.100.7,high,c2\n\
                    domain,evil[.]example.com,critical,apt;phishing\n";
        let done = import_csv(&api, &p.admin, good).await.ok(200);
        assert_eq!(done, json!({"created": 2, "updated": 0}));
        // Importing again updates instead of duplicating.
        let again = import_csv(&api, &p.admin, good).await.ok(200);
        assert_eq!(again, json!({"created": 0, "updated": 2}));
        let domains = api
            .get("/api/v1/indicators?kind=domain", &p.viewer)
            .await
            .ok(200);
        assert_eq!(domains["items"][0]["value"], "evil.example.com");
        assert_eq!(domains["items"][0]["tags"], json!(["apt", "phishing"]));

        // JSON: one object or a list, all or nothing too.
        api.post(
            "/api/v1/indicators",
            &p.admin,
            json!({"kind": "email", "value": "Phish@Example.com"}),
        )
        .await
        .ok(200);
        let refused = api
            .post(
                "/api/v1/indicators",
                &p.admin,
                json!([{"kind": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
                       {"kind": "ip", "value": "999.1.1.1"}]),
            )
            .await
            .problem(422);
        assert_eq!(refused["field"], "[2].value");
        let listed = api.get("/api/v1/indicators", &p.admin).await.ok(200);
        assert_eq!(listed["total"], 3);

        // Indicators apply to every unit: officers and viewers cannot change them.
        import_csv(&api, &p.officer, good).await.problem(403);
        api.post(
            "/api/v1/indicators",
            &p.officer,
            json!({"kind": "ip", "value": "192.0.2.1"}),
        )
        .await
        .problem(403);
        import_csv(&api, &p.viewer, good).await.problem(403);
        let id = ids(&listed)[0];
        api.delete(&format!("/api/v1/indicators/{id}"), &p.officer)
            .await
            .problem(403);
        api.delete(&format!("/api/v1/indicators/{id}"), &p.viewer)
            .await
            .problem(403);
        api.delete(&format!("/api/v1/indicators/{id}"), &p.admin)
            .await
            .ok(204);
        let listed = api.get("/api/v1/indicators", &p.officer).await.ok(200);
        assert_eq!(listed["total"], 2);
        api.delete(&format!("/api/v1/indicators/{id}"), &p.admin)
            .await
            .problem(404);
    }
}

#[tokio::test]
async fn overrides_and_suppressions_stay_within_scope() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;
        let key = detection_support::RULE_WHOAMI;
        let url = format!("/api/v1/rules/{key}/override");
        // The officer tunes their own units only.
        api.put(&url, &p.officer, json!({"unit_id": w.a1, "enabled": false}))
            .await
            .ok(200);
        for body in [
            json!({"unit_id": w.b, "enabled": false}),
            json!({"unit_id": w.province, "enabled": false}),
            json!({"enabled": false}),
        ] {
            let reply = api.put(&url, &p.officer, body.clone()).await;
            assert!(
                matches!(reply.status.as_u16(), 403 | 404),
                "{body}: {}",
                reply.text()
            );
        }
        api.put(&url, &p.viewer, json!({"unit_id": w.a1, "enabled": false}))
            .await
            .problem(403);
        // The admin sets a global level and one for B.
        api.put(
            &url,
            &p.admin,
            json!({"enabled": true, "severity": "critical"}),
        )
        .await
        .ok(200);
        api.put(&url, &p.admin, json!({"unit_id": w.b, "enabled": false}))
            .await
            .ok(200);
        let rules = api.get("/api/v1/rules", &p.officer).await.ok(200);
        assert_eq!(rules["enabled"], true);
        assert_eq!(rules["rules"].as_array().unwrap().len(), 2);
        assert_eq!(
            rules["problems"][0]["origin"],
            "rules/broken/bad_modifier.yml"
        );
        let units: Vec<Value> = rules["overrides"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["unit_id"].clone())
            .collect();
        assert_eq!(units.len(), 2, "{rules}");
        assert!(units.contains(&json!(w.a1)) && units.contains(&Value::Null));
        let admin_view = api.get("/api/v1/rules", &p.admin).await.ok(200);
        assert_eq!(admin_view["overrides"].as_array().unwrap().len(), 3);
        // Keys that are titles travel percent-encoded, slashes and all.
        let title_key = "Đăng nhập SSH / thất bại";
        let encoded: String = title_key
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let set = api
            .put(
                &format!("/api/v1/rules/{encoded}/override"),
                &p.admin,
                json!({"enabled": false}),
            )
            .await
            .ok(200);
        assert_eq!(set["rule_key"], title_key);
        api.delete(&format!("/api/v1/rules/{encoded}/override"), &p.admin)
            .await
            .ok(204);
        let searched = api.get("/api/v1/rules?q=ssh", &p.admin).await.ok(200);
        assert_eq!(searched["rules"].as_array().unwrap().len(), 1);
        // Removing: B's is not theirs.
        let reply = api
            .delete(&format!("{url}?unit_id={}", w.b), &p.officer)
            .await;
        assert!(
            matches!(reply.status.as_u16(), 403 | 404),
            "{}",
            reply.text()
        );
        api.delete(&format!("{url}?unit_id={}", w.a1), &p.officer)
            .await
            .ok(204);
        api.delete(&format!("{url}?unit_id={}", w.a1), &p.officer)
            .await
            .problem(404);

        // Suppressions.
        let own = api
            .post(
                "/api/v1/suppressions",
                &p.officer,
                json!({"rule_key": key, "unit_id": w.a1, "field": "host", "value": "web-alpha",
                       "comment": "Máy quét lỗ hổng", "expires_at": "2027-01-01T00:00:00Z"}),
            )
            .await
            .ok(201);
        for body in [
            json!({"unit_id": w.b, "field": "host", "value": "web-bravo"}),
            json!({"field": "host", "value": "x"}),
        ] {
            let reply = api.post("/api/v1/suppressions", &p.officer, body).await;
            assert!(
                matches!(reply.status.as_u16(), 403 | 404),
                "{}",
                reply.text()
            );
        }
        let theirs = api
            .post(
                "/api/v1/suppressions",
                &p.admin,
                json!({"unit_id": w.b, "field": "User", "value": "scanner"}),
            )
            .await
            .ok(201);
        let global = api
            .post(
                "/api/v1/suppressions",
                &p.admin,
                json!({"field": "host", "value": "backup-01"}),
            )
            .await
            .ok(201);
        api.post(
            "/api/v1/suppressions",
            &p.admin,
            json!({"field": "", "value": "x"}),
        )
        .await
        .problem(422);
        let listed = api.get("/api/v1/suppressions", &p.officer).await.ok(200);
        let listed: Vec<i64> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        assert_eq!(listed, vec![own["id"].as_i64().unwrap()]);
        let all = api.get("/api/v1/suppressions", &p.admin).await.ok(200);
        assert_eq!(all.as_array().unwrap().len(), 3);
        for other in [&theirs, &global] {
            api.delete(&format!("/api/v1/suppressions/{}", other["id"]), &p.officer)
                .await
                .problem(404);
        }
        api.delete(&format!("/api/v1/suppressions/{}", own["id"]), &p.viewer)
            .await
            .problem(403);
        api.delete(&format!("/api/v1/suppressions/{}", own["id"]), &p.officer)
            .await
            .ok(204);
        let all = api.get("/api/v1/suppressions", &p.admin).await.ok(200);
        assert_eq!(all.as_array().unwrap().len(), 2);
    }
}

/// Posts `body` to `/api/v1/indicators/import/{path}`.
async fn import_feed(api: &Api, auth: &Auth, path: &str, body: Vec<u8>) -> Reply {
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/indicators/import/{path}"))
        .header(header::CONTENT_TYPE, "application/octet-stream");
    if let Auth::Bearer(secret) = auth {
        request = request.header(header::AUTHORIZATION, format!("Bearer {secret}"));
    }
    api.send(request.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn indicator_feeds_import_tables_appendices_stix_and_misp() {
    for (api, detection) in detection_apis(WebSettings::default()).await {
        let w = detection_world(api.store.as_ref(), Some(&detection)).await;
        let p = people(&api, &w).await;

        // An IOC appendix pasted as text, defanged, with its advisory and marking.
        let appendix = "Phụ lục: chỉ báo của chiến dịch\n\
                        Máy chủ điều khiển: 203.0.113[.]45\n\
                        Tên miền: update-vn[.]example[.]com\n\
                        hxxp://evil.example.net/payload\n";
        let done = import_feed(
            &api,
            &p.admin,
            "appendix?advisory=2216/CATTT-NCSC&tlp=amber&source=NCSC",
            appendix.as_bytes().to_vec(),
        )
        .await
        .ok(200);
        assert_eq!(
            (done["read"].as_u64(), done["created"].as_u64()),
            (Some(3), Some(3)),
            "{done}"
        );
        let ips = api
            .get("/api/v1/indicators?kind=ip", &p.viewer)
            .await
            .ok(200);
        let c2 = &ips["items"][0];
        assert_eq!(c2["value"], "203.0.113.45");
        assert_eq!(c2["advisory"], "2216/CATTT-NCSC", "{c2}");
        assert_eq!(c2["tlp"], "TLP:AMBER", "{c2}");
        assert_eq!(c2["source"], "NCSC");

        // A table with Vietnamese headers; a bad row refuses the whole file and is named.
        let bad = "STT,Giá trị,Loại,Mô tả\n1,198.51.100.9,ip,C2\n2,999.1.1.1,ip,hỏng\n";
        let problem = import_feed(&api, &p.admin, "table", bad.as_bytes().to_vec())
            .await
            .problem(422);
        assert!(
            problem.to_string().contains('3'),
            "the bad row is named: {problem}"
        );
        let good =
            "STT,Giá trị,Loại,Mô tả\n1,198.51.100.9,ip,C2\n2,bad.example.org,domain,Lừa đảo\n";
        let done = import_feed(&api, &p.admin, "table", good.as_bytes().to_vec())
            .await
            .ok(200);
        assert_eq!(done["created"], 2, "{done}");

        // STIX 2.1: a simple pattern is imported, a regular expression is listed, not dropped.
        let bundle = json!({
            "type": "bundle", "id": "bundle--6f1e5c38-3b1a-4d0e-9a57-0c3f2d6b8a11",
            "objects": [
                {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--0b1e6a52-0000-4000-8000-000000000101",
                 "created": "2026-11-20T00:00:00Z", "modified": "2026-11-20T00:00:00Z",
                 "pattern": "[ipv4-addr:value = '192.0.2.200']", "pattern_type": "stix",
                 "valid_from": "2026-11-20T00:00:00Z", "confidence": 80},
                {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--0b1e6a52-0000-4000-8000-000000000102",
                 "created": "2026-11-20T00:00:00Z", "modified": "2026-11-20T00:00:00Z",
                 "pattern": "[url:value MATCHES '^http://.*\\\\.vn/x']", "pattern_type": "stix",
                 "valid_from": "2026-11-20T00:00:00Z"}
            ]
        });
        let done = import_feed(&api, &p.admin, "stix", bundle.to_string().into_bytes())
            .await
            .ok(200);
        assert_eq!(done["created"], 1, "{done}");
        assert_eq!(done["not_evaluated"].as_array().unwrap().len(), 1, "{done}");
        let stixed = api
            .get("/api/v1/indicators?q=192.0.2.200", &p.viewer)
            .await
            .ok(200);
        assert_eq!(stixed["items"][0]["confidence"], 80, "{stixed}");

        // MISP: only attributes flagged for detection.
        let event = json!({"Event": {
            "uuid": "5a1c2f00-1111-4222-8333-444455556666", "info": "Chiến dịch APT",
            "threat_level_id": "1", "date": "2026-11-21", "timestamp": "1795000000",
            "Attribute": [
                {"type": "ip-dst", "value": "192.0.2.201", "to_ids": true, "timestamp": "1795000000"},
                {"type": "domain", "value": "not-for-ids.example", "to_ids": false, "timestamp": "1795000000"}
            ]
        }});
        let done = import_feed(&api, &p.admin, "misp", event.to_string().into_bytes())
            .await
            .ok(200);
        assert_eq!(
            (done["read"].as_u64(), done["created"].as_u64()),
            (Some(1), Some(1)),
            "{done}"
        );

        // Shared upward: a STIX bundle that imports back onto the same indicators, and CSV.
        let exported = api
            .get(
                "/api/v1/indicators/export?identity=S%E1%BB%9F%20TTTT",
                &p.viewer,
            )
            .await
            .ok(200);
        assert_eq!(exported["type"], "bundle", "{exported}");
        let objects = exported["objects"].as_array().unwrap();
        let c2 = objects
            .iter()
            .find(|o| {
                o["pattern"]
                    .as_str()
                    .is_some_and(|p| p.contains("203.0.113.45"))
            })
            .unwrap_or_else(|| panic!("the C2 address is in the bundle: {exported}"));
        assert!(c2["object_marking_refs"].is_array(), "{c2}");
        let back = import_feed(&api, &p.admin, "stix", exported.to_string().into_bytes())
            .await
            .ok(200);
        assert_eq!(back["created"], 0, "a re-import merges: {back}");
        let csv = api
            .get("/api/v1/indicators/export?format=csv", &p.viewer)
            .await;
        assert_eq!(csv.status.as_u16(), 200);
        let text = csv.text();
        assert!(text.starts_with("kind,value"), "{text}");
        assert!(
            text.contains("203.0.113.45") && text.contains("TLP:AMBER"),
            "{text}"
        );

        // Unknown formats and callers who do not see every unit are refused.
        import_feed(&api, &p.admin, "yaml", b"x".to_vec())
            .await
            .problem(422);
        let officer = import_feed(&api, &p.officer, "appendix", b"1.2.3.4".to_vec()).await;
        assert_eq!(officer.status.as_u16(), 403, "{}", officer.text());
    }
}
