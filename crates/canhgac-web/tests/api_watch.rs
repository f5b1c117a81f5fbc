//! The watch API: monitors (CRUD, validation, filters), their history, maintenance windows,
//! defacement baselines, check now, remote probes and the public status, against the real
//! store (SQLite, and PostgreSQL when configured) and a test double of the watch engine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod watch_support;

use std::sync::Arc;

use api_support::{ids, Api, Auth};
use canhgac_model::{AlertDraft, AlertSource, AlertStatus, Role, Scope, Severity};
use canhgac_store::testing::test_stores;
use canhgac_web::{router, AppState, WebSettings};
use serde_json::{json, Value};
use watch_support::{record, result, snapshot, watch_world, TestWatch, WatchWorld, PROBE};

/// The application over every test store, with the watch double plugged in (or not).
async fn watch_apis(with_watch: bool) -> Vec<(Api, Option<Arc<TestWatch>>)> {
    let mut out = Vec::new();
    for test_store in test_stores().await {
        let mut state = AppState::new(test_store.store.clone(), WebSettings::default());
        let watch = with_watch.then(|| TestWatch::new(test_store.store.clone()));
        if let Some(watch) = &watch {
            state = state.with_watch(watch.clone());
        }
        out.push((Api::from_parts(test_store, router(state)), watch));
    }
    out
}

struct People {
    admin: Auth,
    officer: Auth,
    viewer: Auth,
}

async fn people(api: &Api, w: &WatchWorld) -> People {
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

fn http_monitor(asset: i64, name: &str, target: &str) -> Value {
    json!({"asset_id": asset, "name": name, "kind": "http", "target": target})
}

#[tokio::test]
async fn monitors_are_created_read_changed_and_deleted_with_field_errors() {
    for (api, _) in watch_apis(false).await {
        let w = watch_world(api.store.as_ref()).await;
        let p = people(&api, &w).await;
        let mut body = http_monitor(
            w.asset_a1,
            "  Cổng Alpha 1 (trang tin) ",
            "https://alpha1.example.gov.vn/tin-tuc",
        );
        body["settings"] = json!({
            "conditions": ["[STATUS] == 200", "[RESPONSE_TIME] < 2000"],
            "body_contains": ["Cổng thông tin"],
            "defacement": {"ignore_selectors": [".ngay-thang"], "markers": ["hacked by"]},
        });
        body["interval_secs"] = json!(120);
        body["probes"] = json!(["Local", PROBE]);
        let reply = api.post("/api/v1/monitors", &p.officer, body).await;
        let created = reply.ok(201);
        let id = created["id"].as_i64().unwrap();
        assert_eq!(
            reply.headers["location"].to_str().unwrap(),
            format!("/api/v1/monitors/{id}"),
            "[{}]",
            api.name
        );
        // Normalised by the model; owned by the asset's unit; not checked yet.
        assert_eq!(created["name"], "Cổng Alpha 1 (trang tin)");
        assert_eq!(created["unit_id"], w.a1);
        assert_eq!(created["status"], "pending");
        assert_eq!(created["probes"], json!(["local", PROBE]));
        assert_eq!(created["settings"]["defacement"]["change_threshold"], 0.3);
        assert_eq!(created["settings"]["cert_warn_days"], json!([30, 14, 7]));
        let got = api
            .get(&format!("/api/v1/monitors/{id}"), &p.viewer)
            .await
            .ok(200);
        assert_eq!(got, created);

        // Filters.
        let all = api.get("/api/v1/monitors", &p.admin).await.ok(200);
        assert_eq!(all["total"], 4, "{all}");
        let by_asset = api
            .get(
                &format!("/api/v1/monitors?asset_id={}", w.asset_a1),
                &p.admin,
            )
            .await
            .ok(200);
        let mut found = ids(&by_asset);
        found.sort_unstable();
        assert_eq!(found, vec![w.monitor_a1, id]);
        let by_unit = api
            .get(&format!("/api/v1/monitors?unit_id={}", w.b), &p.admin)
            .await
            .ok(200);
        assert_eq!(ids(&by_unit), vec![w.monitor_b]);
        let by_text = api
            .get("/api/v1/monitors?q=trang%20tin", &p.admin)
            .await
            .ok(200);
        assert_eq!(ids(&by_text), vec![id]);
        let by_kind = api.get("/api/v1/monitors?kind=dns", &p.admin).await.ok(200);
        assert_eq!(by_kind["total"], 0);
        let pending = api
            .get("/api/v1/monitors?status=pending,up&per_page=2", &p.admin)
            .await;
        assert!(pending.headers["link"]
            .to_str()
            .unwrap()
            .contains("rel=\"next\""));
        assert_eq!(pending.ok(200)["items"].as_array().unwrap().len(), 2);
        let problem = api
            .get("/api/v1/monitors?status=sideways", &p.admin)
            .await
            .problem(422);
        assert_eq!(problem["field"], "status");

        // Changes keep the state; a bad change names its field.
        let mut change = got.clone();
        for key in [
            "id",
            "unit_id",
            "system_id",
            "status",
            "status_since",
            "last_check_at",
            "last_latency_ms",
            "last_message",
            "consecutive_failures",
            "automatic",
            "created_at",
            "updated_at",
        ] {
            change.as_object_mut().unwrap().remove(key);
        }
        change["public"] = json!(true);
        let changed = api
            .put(
                &format!("/api/v1/monitors/{id}"),
                &p.officer,
                change.clone(),
            )
            .await
            .ok(200);
        assert_eq!(changed["public"], true);
        assert_eq!(changed["created_at"], created["created_at"]);

        let cases = [
            (json!({"name": " "}), "name"),
            (json!({"target": "ftp://alpha1.example.gov.vn"}), "target"),
            (
                json!({"interval_secs": 30, "timeout_secs": 30}),
                "timeout_secs",
            ),
            (json!({"interval_secs": 5}), "interval_secs"),
            (json!({"retries": 99}), "retries"),
            (json!({"asset_id": 0}), "asset_id"),
            (
                json!({"settings": {"defacement": {"change_threshold": 1.5}}}),
                "settings.defacement.change_threshold",
            ),
            (
                json!({"kind": "dns", "target": "alpha.gov.vn", "settings": {"record_type": "SRV"}}),
                "settings.record_type",
            ),
        ];
        for (patch, field) in cases {
            let mut bad = change.clone();
            for (key, value) in patch.as_object().unwrap() {
                bad[key] = value.clone();
            }
            let problem = api
                .post("/api/v1/monitors", &p.admin, bad.clone())
                .await
                .problem(422);
            assert_eq!(problem["field"], field, "[{}] {patch}: {problem}", api.name);
            let problem = api
                .put(&format!("/api/v1/monitors/{id}"), &p.admin, bad)
                .await
                .problem(422);
            assert_eq!(problem["field"], field, "{patch}");
        }
        let mut mistyped = change.clone();
        mistyped["kind"] = json!("gopher");
        let problem = api
            .post("/api/v1/monitors", &p.admin, mistyped)
            .await
            .problem(400);
        assert_eq!(problem["field"], "kind");

        // Viewers read only.
        api.post("/api/v1/monitors", &p.viewer, change.clone())
            .await
            .problem(403);
        api.delete(&format!("/api/v1/monitors/{id}"), &p.viewer)
            .await
            .problem(403);
        api.delete(&format!("/api/v1/monitors/{id}"), &p.officer)
            .await
            .ok(204);
        api.get(&format!("/api/v1/monitors/{id}"), &p.admin)
            .await
            .problem(404);
        assert_eq!(
            api.get("/api/v1/monitors", &p.admin).await.ok(200)["total"],
            3
        );
    }
}

#[tokio::test]
async fn a_unit_officer_reaches_only_their_units_monitors() {
    for (api, _) in watch_apis(true).await {
        let w = watch_world(api.store.as_ref()).await;
        let p = people(&api, &w).await;
        let listing = api
            .get("/api/v1/monitors?per_page=500", &p.officer)
            .await
            .ok(200);
        let mut own = ids(&listing);
        own.sort_unstable();
        assert_eq!(own, vec![w.monitor_a, w.monitor_a1], "[{}]", api.name);
        for probe in [
            format!("unit_id={}", w.b),
            format!("asset_id={}", w.asset_b),
            "q=bravo".to_string(),
        ] {
            let found = api
                .get(&format!("/api/v1/monitors?{probe}"), &p.officer)
                .await
                .ok(200);
            assert_eq!(found["total"], 0, "{probe}: {found}");
        }
        let b = w.monitor_b;
        for path in [
            format!("/api/v1/monitors/{b}"),
            format!("/api/v1/monitors/{b}/checks"),
            format!("/api/v1/monitors/{b}/rollups"),
            format!("/api/v1/monitors/{b}/availability"),
            format!("/api/v1/monitors/{b}/outages"),
            format!("/api/v1/monitors/{b}/baseline"),
            format!("/api/v1/monitors/{b}/maintenance"),
        ] {
            api.get(&path, &p.officer).await.problem(404);
        }
        for path in [
            format!("/api/v1/monitors/{b}/check"),
            format!("/api/v1/monitors/{b}/baseline/approve"),
        ] {
            api.post(&path, &p.officer, json!({})).await.problem(404);
        }
        api.post(
            &format!("/api/v1/monitors/{b}/maintenance"),
            &p.officer,
            json!({"minutes": 30}),
        )
        .await
        .problem(404);
        api.delete(&format!("/api/v1/monitors/{b}"), &p.officer)
            .await
            .problem(404);
        let refused = api
            .post(
                "/api/v1/monitors",
                &p.officer,
                http_monitor(w.asset_b, "Lạ", "https://bravo.example.gov.vn/"),
            )
            .await;
        assert!(
            matches!(refused.status.as_u16(), 403 | 404 | 422),
            "{}",
            refused.text()
        );
        // The summary of the officer's scope counts A's monitors only.
        let summary = api
            .store
            .watch_summary(&Scope::Units(vec![w.a]))
            .await
            .unwrap();
        assert_eq!(summary.total, 2, "{summary:?}");
    }
}

#[tokio::test]
async fn history_answers_checks_rollups_availability_and_outages() {
    for (api, _) in watch_apis(false).await {
        let w = watch_world(api.store.as_ref()).await;
        let p = people(&api, &w).await;
        let a = w.monitor_a;
        record(
            api.store.as_ref(),
            &[
                result(a, "local", true, Some(40), 50),
                result(a, PROBE, true, Some(90), 40),
                result(a, PROBE, false, None, 20),
            ],
        )
        .await;
        let checks = api
            .get(&format!("/api/v1/monitors/{a}/checks"), &p.officer)
            .await
            .ok(200);
        let checks = checks.as_array().unwrap();
        assert_eq!(checks.len(), 3, "[{}] {checks:?}", api.name);
        assert_eq!(checks[0]["ok"], false, "newest first");
        assert_eq!(checks[2]["latency_ms"], 40);
        let recent = api
            .get(
                &format!(
                    "/api/v1/monitors/{a}/checks?since={}&limit=5",
                    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(30))
                ),
                &p.officer,
            )
            .await
            .ok(200);
        assert_eq!(recent.as_array().unwrap().len(), 1);
        let problem = api
            .get(
                &format!("/api/v1/monitors/{a}/checks?since=h%C3%B4m%20qua"),
                &p.officer,
            )
            .await
            .problem(422);
        assert_eq!(problem["field"], "since");
        api.get(&format!("/api/v1/monitors/{a}/checks?limit=0"), &p.officer)
            .await
            .problem(422);

        let rollups = api
            .get(&format!("/api/v1/monitors/{a}/rollups"), &p.officer)
            .await
            .ok(200);
        let rollups = rollups.as_array().unwrap();
        let checks: u64 = rollups.iter().map(|r| r["checks"].as_u64().unwrap()).sum();
        let ups: u64 = rollups.iter().map(|r| r["ups"].as_u64().unwrap()).sum();
        assert_eq!((checks, ups), (3, 2), "{rollups:?}");
        api.get(
            &format!("/api/v1/monitors/{a}/rollups?from=02/01/2026&to=01/01/2026"),
            &p.officer,
        )
        .await
        .problem(422);

        let availability = api
            .get(&format!("/api/v1/monitors/{a}/availability"), &p.officer)
            .await
            .ok(200);
        let day = availability["day"].as_f64().unwrap();
        assert!((day - 200.0 / 3.0).abs() < 0.5, "{availability}");
        let never = api
            .get(
                &format!("/api/v1/monitors/{}/availability", w.monitor_a1),
                &p.officer,
            )
            .await
            .ok(200);
        assert_eq!(never["day"], Value::Null);

        let outages = api
            .get(&format!("/api/v1/monitors/{a}/outages"), &p.officer)
            .await
            .ok(200);
        let outages = outages.as_array().unwrap();
        assert_eq!(outages.len(), 1, "{outages:?}");
        assert_eq!(outages[0]["ended_at"], Value::Null);
        assert_eq!(outages[0]["reason"], "hết thời gian chờ 10 s");
        let monitor = api
            .get(&format!("/api/v1/monitors/{a}"), &p.officer)
            .await
            .ok(200);
        assert_eq!(monitor["status"], "down");
    }
}

#[tokio::test]
async fn maintenance_windows_ad_hoc_and_scheduled() {
    for (api, _) in watch_apis(false).await {
        let w = watch_world(api.store.as_ref()).await;
        let p = people(&api, &w).await;
        let a = w.monitor_a;
        let url = format!("/api/v1/monitors/{a}/maintenance");
        let adhoc = api
            .post(
                &url,
                &p.officer,
                json!({"minutes": 45, "reason": "Nâng cấp máy chủ"}),
            )
            .await;
        assert!(adhoc.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/maintenance/"));
        let adhoc = adhoc.ok(201);
        let starts: jiff::Timestamp = adhoc["starts_at"].as_str().unwrap().parse().unwrap();
        let ends: jiff::Timestamp = adhoc["ends_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            ends.duration_since(starts),
            jiff::SignedDuration::from_mins(45)
        );
        let tomorrow = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
        let scheduled = api
            .post(
                &url,
                &p.officer,
                json!({
                    "starts_at": tomorrow.to_string(),
                    "ends_at": (tomorrow + jiff::SignedDuration::from_hours(2)).to_string(),
                    "reason": "Bảo trì định kỳ",
                }),
            )
            .await
            .ok(201);
        let listed = api.get(&url, &p.viewer).await.ok(200);
        assert_eq!(
            listed.as_array().unwrap().len(),
            2,
            "[{}] {listed}",
            api.name
        );
        for (body, field) in [
            (json!({"minutes": 0}), "minutes"),
            (
                json!({"minutes": 10, "ends_at": "01/01/2030 10:00"}),
                "minutes",
            ),
            (json!({"ends_at": "01/01/2030 10:00"}), "starts_at"),
            (
                json!({"starts_at": "01/01/2030 10:00", "ends_at": "01/01/2030 09:00"}),
                "ends_at",
            ),
        ] {
            let problem = api.post(&url, &p.officer, body.clone()).await.problem(422);
            assert_eq!(problem["field"], field, "{body}");
        }
        api.post(&url, &p.viewer, json!({"minutes": 5}))
            .await
            .problem(403);
        let id = scheduled["id"].as_i64().unwrap();
        api.delete(&format!("/api/v1/maintenance/{id}"), &p.viewer)
            .await
            .problem(403);
        api.delete(&format!("/api/v1/maintenance/{id}"), &p.officer)
            .await
            .ok(204);
        let listed = api.get(&url, &p.officer).await.ok(200);
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["reason"], "Nâng cấp máy chủ");
    }
}

#[tokio::test]
async fn check_now_and_baseline_approval_go_through_the_engine_and_the_store() {
    for (api, _) in watch_apis(false).await {
        let w = watch_world(api.store.as_ref()).await;
        let p = people(&api, &w).await;
        let problem = api
            .post(
                &format!("/api/v1/monitors/{}/check", w.monitor_a),
                &p.officer,
                json!({}),
            )
            .await
            .problem(503);
        assert!(problem["detail"].as_str().unwrap().contains("not running"));
    }
    for (api, watch) in watch_apis(true).await {
        let watch = watch.unwrap();
        let w = watch_world(api.store.as_ref()).await;
        let p = people(&api, &w).await;
        let a = w.monitor_a;
        api.post(&format!("/api/v1/monitors/{a}/check"), &p.viewer, json!({}))
            .await
            .problem(403);
        let check = api
            .post(
                &format!("/api/v1/monitors/{a}/check"),
                &p.officer,
                json!({}),
            )
            .await
            .ok(200);
        assert_eq!(
            (check["ok"].clone(), check["latency_ms"].clone()),
            (json!(true), json!(42))
        );
        let monitor = api
            .get(&format!("/api/v1/monitors/{a}"), &p.officer)
            .await
            .ok(200);
        assert_eq!(monitor["status"], "up", "[{}]", api.name);
        assert_eq!(monitor["last_latency_ms"], 42);
        *watch.next_check.lock().unwrap() = Err("bộ lập lịch đang dừng".into());
        let problem = api
            .post(
                &format!("/api/v1/monitors/{a}/check"),
                &p.officer,
                json!({}),
            )
            .await
            .problem(503);
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("bộ lập lịch đang dừng"));

        // Baseline: none, then one with a candidate and its diff, then approved.
        let url = format!("/api/v1/monitors/{a}/baseline");
        let none = api.get(&url, &p.officer).await.ok(200);
        assert_eq!(none, json!({"baseline": null, "diff": null}));
        let now = jiff::Timestamp::now();
        api.store
            .set_baseline(
                a,
                &snapshot("Cổng Alpha", "Tin tức\nLịch công tác", &[]),
                now,
            )
            .await
            .unwrap();
        let defaced = snapshot(
            "Hacked by X",
            "Tin tức\nHacked by X",
            &["https://evil.example/m.js"],
        );
        api.store
            .set_candidate(a, Some(&defaced), now)
            .await
            .unwrap();
        api.store
            .record_alerts(
                &[AlertDraft {
                    source: AlertSource::Monitor,
                    rule_key: format!("watch:defacement:{a}"),
                    title: "Thay đổi giao diện: Cổng alpha".into(),
                    severity: Severity::Critical,
                    tags: Vec::new(),
                    unit_id: Some(w.a),
                    host: Some("alpha.example.gov.vn".into()),
                    time: now,
                    evidence: json!({}),
                }],
                jiff::SignedDuration::from_mins(30),
            )
            .await
            .unwrap();
        let view = api.get(&url, &p.viewer).await.ok(200);
        assert_eq!(view["baseline"]["candidate"]["title"], "Hacked by X");
        let diff = view["diff"].as_str().unwrap();
        assert!(
            diff.contains("-Lịch công tác") && diff.contains("+Hacked by X"),
            "{diff}"
        );
        api.post(&format!("{url}/approve"), &p.viewer, json!({}))
            .await
            .problem(403);
        let approved = api
            .post(&format!("{url}/approve"), &p.officer, json!({}))
            .await
            .ok(200);
        assert_eq!(approved["baseline"]["title"], "Hacked by X");
        assert_eq!(approved["candidate"], Value::Null);
        assert_eq!(approved["approved_by"], "can-bo-alpha");
        let alerts = api
            .store
            .list_alerts(
                &Scope::All,
                &Default::default(),
                &canhgac_model::PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        let defacement = alerts
            .items
            .iter()
            .find(|alert| alert.rule_key == format!("watch:defacement:{a}"))
            .unwrap();
        assert_eq!(defacement.status, AlertStatus::Resolved);
        // Nothing waits now.
        api.post(&format!("{url}/approve"), &p.officer, json!({}))
            .await
            .problem(422);
        assert_eq!(api.get(&url, &p.officer).await.ok(200)["diff"], Value::Null);
    }
}

#[tokio::test]
async fn probes_fetch_their_monitors_and_report_results_in_scope() {
    for (api, watch) in watch_apis(true).await {
        let watch = watch.unwrap();
        let w = watch_world(api.store.as_ref()).await;
        let p = people(&api, &w).await;
        let fetch = |auth: &Auth| {
            let auth = auth.clone();
            let api = &api;
            async move {
                let reply = api
                    .get(&format!("/api/v1/probes/{PROBE}/monitors"), &auth)
                    .await
                    .ok(200);
                let mut got: Vec<i64> = reply
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["id"].as_i64().unwrap())
                    .collect();
                got.sort_unstable();
                got
            }
        };
        // The remote probe runs A's and B's monitors; the officer's token reaches A's only.
        let mut both = vec![w.monitor_a, w.monitor_b];
        both.sort_unstable();
        assert_eq!(fetch(&p.admin).await, both, "[{}]", api.name);
        assert_eq!(fetch(&p.officer).await, vec![w.monitor_a]);
        // A disabled monitor is not handed out.
        let mut disabled = api
            .get(&format!("/api/v1/monitors/{}", w.monitor_b), &p.admin)
            .await
            .ok(200);
        for key in [
            "id",
            "unit_id",
            "system_id",
            "status",
            "status_since",
            "last_check_at",
            "last_latency_ms",
            "last_message",
            "consecutive_failures",
            "automatic",
            "created_at",
            "updated_at",
        ] {
            disabled.as_object_mut().unwrap().remove(key);
        }
        disabled["enabled"] = json!(false);
        api.put(
            &format!("/api/v1/monitors/{}", w.monitor_b),
            &p.admin,
            disabled,
        )
        .await
        .ok(200);
        assert_eq!(fetch(&p.admin).await, vec![w.monitor_a]);
        // The server's own name and malformed names are refused.
        api.get("/api/v1/probes/local/monitors", &p.admin)
            .await
            .problem(422);
        api.get("/api/v1/probes/a%20b/monitors", &p.admin)
            .await
            .problem(422);
        let probes = api.get("/api/v1/probes", &p.viewer).await.ok(200);
        assert_eq!(probes.as_array().unwrap().len(), 1, "{probes}");
        assert_eq!(probes[0]["name"], PROBE);

        let url = format!("/api/v1/probes/{PROBE}/results");
        let ok = |id| serde_json::to_value(result(id, PROBE, true, Some(120), 1)).unwrap();
        // A monitor not assigned to this probe, one outside the caller's units, a result
        // under another probe's name: each refused, naming the index; nothing is taken.
        let cases = [
            (json!([ok(w.monitor_a), ok(w.monitor_a1)]), "[1].monitor_id"),
            (json!([ok(w.monitor_b)]), "[0].monitor_id"),
            (json!([ok(987_654)]), "[0].monitor_id"),
            (
                json!([
                    serde_json::to_value(result(w.monitor_a, "khac", true, Some(5), 1)).unwrap()
                ]),
                "[0].probe",
            ),
            (
                json!([
                    serde_json::to_value(result(w.monitor_a, PROBE, true, Some(5), -60)).unwrap()
                ]),
                "[0].at",
            ),
        ];
        for (body, field) in cases {
            let problem = api.post(&url, &p.officer, body).await.problem(422);
            assert_eq!(problem["field"], field, "{problem}");
        }
        assert!(watch.accepted_results().is_empty());
        api.post(&url, &p.viewer, json!([ok(w.monitor_a)]))
            .await
            .problem(403);
        let mut unnamed = ok(w.monitor_a);
        unnamed["probe"] = json!("");
        let taken = api
            .post(&url, &p.officer, json!([ok(w.monitor_a), unnamed]))
            .await
            .ok(200);
        assert_eq!(taken, json!({"accepted": 2}));
        let accepted = watch.accepted_results();
        assert_eq!(accepted.len(), 2);
        assert!(accepted
            .iter()
            .all(|r| r.probe == PROBE && r.monitor_id == w.monitor_a));
        let latest = api
            .store
            .latest_checks_by_probe(&Scope::All, w.monitor_a)
            .await
            .unwrap();
        assert!(latest
            .iter()
            .any(|c| c.probe == PROBE && c.latency_ms == Some(120)));
    }
    // Without a watch engine, results cannot be taken (fetching still works).
    for (api, _) in watch_apis(false).await {
        let w = watch_world(api.store.as_ref()).await;
        let admin = api.admin().await;
        api.get(&format!("/api/v1/probes/{PROBE}/monitors"), &admin)
            .await
            .ok(200);
        let body =
            json!([serde_json::to_value(result(w.monitor_a, PROBE, true, Some(1), 1)).unwrap()]);
        api.post(&format!("/api/v1/probes/{PROBE}/results"), &admin, body)
            .await
            .problem(503);
    }
}

#[tokio::test]
async fn the_public_status_needs_no_sign_in_and_shows_names_and_states_only() {
    for (api, _) in watch_apis(false).await {
        let w = watch_world(api.store.as_ref()).await;
        record(
            api.store.as_ref(),
            &[result(w.monitor_a, "local", true, Some(30), 5)],
        )
        .await;
        let reply = api.get("/api/v1/status/public", &Auth::None).await;
        let text = reply.text();
        let status = reply.ok(200);
        assert_eq!(
            status.as_array().unwrap().len(),
            1,
            "[{}] {status}",
            api.name
        );
        assert_eq!(status[0]["name"], "Cổng alpha");
        assert_eq!(status[0]["status"], "up");
        assert_eq!(status[0]["availability"]["day"], 100.0);
        for secret in ["example.gov.vn", "Alpha", "unit", "target", "HTTP 200"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
