//! The watch pages of the console: the status board, a monitor's page (probes, availability,
//! charts, outages, maintenance, check now, the defacement diff and its one-click approval), the
//! form with its field errors, the asset page's link, the dashboard card and the public status
//! page; for an admin, a unit officer and a viewer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;
mod watch_support;

use std::sync::{Arc, Mutex};

use canhgac_model::{
    AlertDraft, AlertSource, AlertStatus, MonitorKind, PageRequest, Role, Scope, Severity,
};
use console_support::*;
use serde_json::json;
use watch_support::{record, result, snapshot, watch_world, TestWatch, WatchWorld, PROBE};

/// One application per test store with its watch double.
async fn watch_apps() -> Vec<(App, Arc<TestWatch>)> {
    let doubles = Mutex::new(Vec::new());
    let apps = apps_adjusted(|state| {
        let watch = TestWatch::new(state.store.clone());
        doubles.lock().unwrap().push(watch.clone());
        state.with_watch(watch)
    })
    .await;
    apps.into_iter()
        .zip(doubles.into_inner().unwrap())
        .collect()
}

async fn signed_in(app: &App, name: &str, role: Role, units: Vec<i64>) -> Browser {
    create_user(app, name, role, units).await;
    let mut browser = Browser::new();
    browser.login(app, name, PASSWORD).await;
    browser
}

async fn officer(app: &App, w: &WatchWorld) -> Browser {
    signed_in(app, "can-bo-alpha", Role::UnitOfficer, vec![w.a]).await
}

async fn viewer(app: &App) -> Browser {
    signed_in(app, "nguoi-xem", Role::Viewer, vec![]).await
}

/// The HTML of the element with `id` up to the end of its section.
fn section<'a>(page: &'a Page, id: &str) -> &'a str {
    let start = page
        .body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in\n{}", page.body));
    let rest = &page.body[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn every_watch_page_renders_for_admin_officer_and_viewer() {
    for (app, _) in watch_apps().await {
        let w = watch_world(app.state.store.as_ref()).await;
        let mut admin = admin(&app).await;
        let mut officer = officer(&app, &w).await;
        let mut viewer = viewer(&app).await;
        let pages = [
            "/".to_string(),
            "/monitors".into(),
            format!("/monitors/{}", w.monitor_a),
            format!("/assets/{}", w.asset_a),
        ];
        for (who, browser) in [
            ("admin", &mut admin),
            ("officer", &mut officer),
            ("viewer", &mut viewer),
        ] {
            for path in &pages {
                let page = browser.get(&app, path).await;
                page.expect(200);
                assert!(
                    page.body.contains(r#"<a href="/monitors""#) && page.body.contains("Giám sát"),
                    "[{}] {who} {path}: no navigation entry",
                    app.name
                );
                assert!(
                    !page.body.contains("watch-off"),
                    "{who} {path}: engine is plugged in"
                );
            }
        }
        // The viewer reads every page but is offered no form that changes anything.
        for path in &pages {
            let page = viewer.get(&app, path).await;
            assert_eq!(
                page.body.matches("method=\"post\"").count(),
                1,
                "viewer {path}: only the sign-out form"
            );
            assert!(!page.body.contains("/monitors/new"), "viewer {path}");
        }
        viewer.get(&app, "/monitors/new").await.expect(403);
        viewer
            .get(&app, &format!("/monitors/{}/edit", w.monitor_a))
            .await
            .expect(403);
        // Editors get the buttons.
        let page = officer
            .get(&app, &format!("/monitors/{}", w.monitor_a))
            .await;
        for marker in [
            "Kiểm tra ngay",
            "/edit\"",
            &format!("/monitors/{}/delete", w.monitor_a),
            "id=\"maintenance-now\"",
        ] {
            assert!(page.body.contains(marker), "{marker}");
        }
        // English on request.
        admin.get(&app, "/lang/en?next=/monitors").await.expect(303);
        let english = admin.get(&app, "/monitors").await;
        assert!(
            english.body.contains("<h1>Monitors</h1>"),
            "{}",
            english.h1()
        );
        assert!(english.body.contains("Not checked yet"));
    }
    // Without an engine, the pages say checks are not running and offer no "check now".
    for app in apps().await {
        let w = watch_world(app.state.store.as_ref()).await;
        let mut admin = admin(&app).await;
        for path in [
            "/monitors".to_string(),
            format!("/monitors/{}", w.monitor_a),
        ] {
            let page = admin.get(&app, &path).await;
            page.expect(200);
            assert!(page.body.contains("id=\"watch-off\""), "{path}");
            assert!(page.body.contains("chưa chạy kiểm tra giám sát"));
            assert!(!page.body.contains("Kiểm tra ngay"));
        }
        let check = admin
            .post(
                &app,
                &format!("/monitors/{}", w.monitor_a),
                &format!("/monitors/{}/check", w.monitor_a),
                &[],
            )
            .await;
        check.expect(503);
        assert!(check.body.contains("Không chạy được lần kiểm tra"));
    }
}

#[tokio::test]
async fn a_monitor_is_added_from_its_asset_edited_and_deleted_with_inline_errors() {
    for (app, _) in watch_apps().await {
        let w = watch_world(app.state.store.as_ref()).await;
        let mut officer = officer(&app, &w).await;
        let asset_page = officer.get(&app, &format!("/assets/{}", w.asset_a1)).await;
        let link = format!("/monitors/new?asset_id={}", w.asset_a1);
        assert!(asset_page.body.contains(&link), "{}", asset_page.body);
        assert!(asset_page.body.contains("Thêm giám sát"));
        assert!(
            asset_page.body.contains("Cổng alpha1"),
            "the asset's monitor is listed"
        );
        // The form is filled from the asset.
        let form = officer.get(&app, &link).await;
        form.expect(200);
        assert!(form
            .body
            .contains("value=\"https://alpha1.example.gov.vn/\""));
        assert!(form
            .body
            .contains(&format!("name=\"asset_id\" value=\"{}\"", w.asset_a1)));

        let asset = w.asset_a1.to_string();
        let base = vec![
            ("asset_id", asset.as_str()),
            ("name", "Trang tin Alpha 1"),
            ("kind", "http"),
            ("target", "https://alpha1.example.gov.vn/tin-tuc"),
            ("interval_secs", "60"),
            ("timeout_secs", "10"),
            ("retries", "2"),
            ("enabled", "1"),
            ("probes", "local, ngoai-mang"),
            (
                "conditions",
                "[STATUS] == 200\r\n[RESPONSE_TIME] < 2000\r\n",
            ),
            ("body_contains", "Cổng thông tin"),
            ("cert_warn_days", "30, 7"),
            ("defacement", "1"),
            ("ignore_selectors", ".ngay-thang\n#bo-dem"),
            ("markers", "bị hack bởi"),
            ("change_threshold", "0,4"),
        ];
        let with = |changes: &[(&'static str, &'static str)]| {
            let mut fields = base.clone();
            for &(key, value) in changes {
                match fields.iter_mut().find(|slot| slot.0 == key) {
                    Some(slot) => slot.1 = value,
                    None => fields.push((key, value)),
                }
            }
            fields
        };
        let bad_cases: [(&[(&str, &str)], &str); 5] = [
            (&[("target", "alpha1.example.gov.vn")], "target"),
            (&[("timeout_secs", "60")], "timeout_secs"),
            (&[("interval_secs", "mười")], "interval_secs"),
            (
                &[
                    ("kind", "dns"),
                    ("target", "alpha.gov.vn"),
                    ("record_type", "SRV"),
                ],
                "record_type",
            ),
            (&[("change_threshold", "2")], "change_threshold"),
        ];
        for (changes, field) in bad_cases {
            let page = officer.post(&app, &link, "/monitors", &with(changes)).await;
            page.expect(422);
            assert!(
                page.body.contains(&format!("id=\"{field}-error\"")),
                "[{}] {changes:?}: no inline error for {field}\n{}",
                app.name,
                page.body
            );
            // What was typed is kept.
            assert!(page.body.contains("Trang tin Alpha 1"));
        }
        let created = officer.post(&app, &link, "/monitors", &base).await;
        let id = created.created_id();
        let monitor = app.state.store.get_monitor(&Scope::All, id).await.unwrap();
        assert_eq!(monitor.unit_id, w.a1);
        assert_eq!(monitor.input.kind, MonitorKind::Http);
        assert_eq!(monitor.input.retries, 2);
        assert_eq!(monitor.input.probes, vec!["local", PROBE]);
        assert_eq!(
            monitor.input.settings.conditions,
            vec!["[STATUS] == 200", "[RESPONSE_TIME] < 2000"]
        );
        assert_eq!(monitor.input.settings.cert_warn_days, vec![30, 7]);
        let deface = monitor.input.settings.defacement.clone().unwrap();
        assert_eq!(deface.ignore_selectors, vec![".ngay-thang", "#bo-dem"]);
        assert_eq!(deface.change_threshold, 0.4);
        assert!(!monitor.input.public);

        // Edit: the form shows the stored values; the change keeps the history.
        let edit_path = format!("/monitors/{id}/edit");
        let edit = officer.get(&app, &edit_path).await;
        assert!(
            edit.body.contains("bị hack bởi") && edit.body.contains("[RESPONSE_TIME] &lt; 2000")
        );
        officer
            .post(
                &app,
                &edit_path,
                &format!("/monitors/{id}"),
                &with(&[
                    ("public", "1"),
                    ("defacement", ""),
                    ("name", "Trang tin mới"),
                ]),
            )
            .await
            .expect(303);
        let changed = app.state.store.get_monitor(&Scope::All, id).await.unwrap();
        assert!(changed.input.public && changed.input.settings.defacement.is_none());
        assert_eq!(changed.input.name, "Trang tin mới");

        // Delete asks first.
        let confirm = officer.get(&app, &format!("/monitors/{id}/delete")).await;
        confirm.expect(200);
        assert!(confirm.body.contains("Xóa giám sát này"));
        officer
            .post(
                &app,
                &format!("/monitors/{id}/delete"),
                &format!("/monitors/{id}/delete"),
                &[],
            )
            .await
            .expect(303);
        officer
            .get(&app, &format!("/monitors/{id}"))
            .await
            .expect(404);
        // Without the CSRF token nothing happens.
        officer
            .post_raw(&app, &format!("/monitors/{}/delete", w.monitor_a1), &[])
            .await
            .expect(403);
    }
}

#[tokio::test]
async fn the_board_groups_by_unit_filters_and_counts() {
    for (app, _) in watch_apps().await {
        let w = watch_world(app.state.store.as_ref()).await;
        record(
            app.state.store.as_ref(),
            &[
                result(w.monitor_a, "local", true, Some(35), 5),
                result(w.monitor_b, PROBE, false, None, 3),
            ],
        )
        .await;
        let mut admin = admin(&app).await;
        let board = admin.get(&app, "/monitors").await;
        board.expect(200);
        let alpha = board.body.find("data-unit=\"").unwrap();
        assert!(alpha > 0);
        for unit in [w.a, w.a1, w.b] {
            assert!(
                board.body.contains(&format!("data-unit=\"{unit}\"")),
                "{unit}"
            );
        }
        // Units in name order: Phòng Alpha 1, Sở Alpha, Sở Bravo.
        let position = |id: i64| board.body.find(&format!("data-unit=\"{id}\"")).unwrap();
        assert!(position(w.a1) < position(w.a) && position(w.a) < position(w.b));
        assert_eq!(board.count("monitors-total"), 3);
        assert_eq!(board.count("monitors-up"), 1);
        assert_eq!(board.count("monitors-down"), 1);
        let row = |page: &Page, id: i64| {
            let start = page.body.find(&format!("data-monitor=\"{id}\"")).unwrap();
            page.body[start..start + page.body[start..].find("</tr>").unwrap()].to_string()
        };
        let up = row(&board, w.monitor_a);
        assert!(
            up.contains("data-monitor-status=\"up\"") && up.contains("35 ms"),
            "{up}"
        );
        assert!(up.contains("100,00 %"), "{up}");
        assert!(row(&board, w.monitor_b).contains("Ngừng hoạt động"));

        let down = admin.get(&app, "/monitors?status=down").await;
        assert!(down.body.contains("Cổng bravo") && !down.body.contains("Cổng alpha"));
        let q = admin.get(&app, "/monitors?q=alpha1").await;
        assert!(q.body.contains("Cổng alpha1") && !q.body.contains("Cổng bravo"));
        let dns = admin.get(&app, "/monitors?kind=dns").await;
        assert!(dns.body.contains("Chưa có dữ liệu"));
        let unit = admin.get(&app, &format!("/monitors?unit_id={}", w.a)).await;
        assert!(unit.body.contains("data-filter=\"unit_id\""));
        assert!(unit.body.contains("Cổng alpha1") && !unit.body.contains("Cổng bravo"));

        // The dashboard card.
        let dash = admin.get(&app, "/").await;
        assert_eq!(dash.count("monitors-total"), 3);
        assert_eq!(dash.count("monitors-down"), 1);
        assert_eq!(dash.count("monitors-flapping"), 0);
        // The officer's board and card count their units only.
        let mut officer = officer(&app, &w).await;
        let board = officer.get(&app, "/monitors").await;
        assert!(!board.body.contains("bravo") && !board.body.contains("Bravo"));
        assert_eq!(board.count("monitors-total"), 2);
        assert_eq!(officer.get(&app, "/").await.count("monitors-down"), 0);
    }
}

#[tokio::test]
async fn a_monitor_page_shows_probes_history_charts_and_maintenance() {
    for (app, _) in watch_apps().await {
        let w = watch_world(app.state.store.as_ref()).await;
        let a = w.monitor_a;
        record(
            app.state.store.as_ref(),
            &[
                result(a, "local", true, Some(40), 50),
                result(a, "local", true, Some(60), 30),
                result(a, PROBE, false, None, 10),
            ],
        )
        .await;
        let mut officer = officer(&app, &w).await;
        let path = format!("/monitors/{a}");
        let page = officer.get(&app, &path).await;
        page.expect(200);
        // The probes disagree, and the page says so.
        let disagree = section(&page, "probes-disagree");
        assert!(
            disagree.contains("Lỗi từ probe ngoai-mang")
                && disagree.contains("bình thường từ probe local"),
            "{disagree}"
        );
        let probes = section(&page, "probe-results");
        assert!(
            probes.contains("data-probe=\"local\"") && probes.contains("data-probe=\"ngoai-mang\"")
        );
        assert!(probes.contains("hết thời gian chờ 10 s"));
        // Availability: 2 of 3 checks passed.
        assert!(section(&page, "availability").contains("66,67 %"));
        // The charts: two measured points today, one failure mark; hourly means for the month.
        let day = section(&page, "chart-day");
        assert!(
            day.contains("<svg") && day.contains("data-points=\"2\""),
            "{day}"
        );
        assert!(day.contains("data-failures=\"1\""));
        assert!(day.contains("<polyline"));
        let month = section(&page, "chart-month");
        assert!(
            month.contains("<svg") && !month.contains("data-points=\"0\""),
            "{month}"
        );
        // The outage that the failure opened.
        let outages = section(&page, "outages");
        assert!(outages.contains("Đang ngừng") && outages.contains("hết thời gian chờ"));
        assert!(page.body.contains("data-monitor-status=\"down\""));

        // Maintenance: ad hoc for 30 minutes, a scheduled one refused, then deleted.
        officer
            .post(
                &app,
                &path,
                &format!("{path}/maintenance"),
                &[("minutes", "30"), ("reason", "Nâng cấp")],
            )
            .await
            .expect(303);
        let bad = officer
            .post(
                &app,
                &path,
                &format!("{path}/maintenance"),
                &[
                    ("starts_at", "01/01/2030 10:00"),
                    ("ends_at", "01/01/2030 09:00"),
                ],
            )
            .await;
        bad.expect(422);
        assert!(bad.body.contains("id=\"ends_at-error\""), "{}", bad.body);
        let page = officer.get(&app, &path).await;
        let maintenance = section(&page, "maintenance");
        assert!(maintenance.contains("Nâng cấp"));
        let windows = app
            .state
            .store
            .list_maintenance(&Scope::All, Some(a), canhgac_model::Timestamp::now())
            .await
            .unwrap();
        assert_eq!(windows.len(), 1, "[{}]", app.name);
        let ends = windows[0].ends_at.duration_since(windows[0].starts_at);
        assert_eq!(ends, jiff::SignedDuration::from_mins(30));
        officer
            .post(
                &app,
                &path,
                &format!("{path}/maintenance/{}/delete", windows[0].id),
                &[],
            )
            .await
            .expect(303);
        // Another monitor's path does not reach this window.
        assert!(app
            .state
            .store
            .list_maintenance(&Scope::All, Some(a), canhgac_model::Timestamp::now())
            .await
            .unwrap()
            .is_empty());

        // Check now records a check through the engine.
        officer
            .post(&app, &path, &format!("{path}/check"), &[])
            .await
            .expect(303);
        let monitor = app.state.store.get_monitor(&Scope::All, a).await.unwrap();
        assert_eq!(monitor.last_latency_ms, Some(42));
    }
}

#[tokio::test]
async fn approving_the_new_baseline_in_one_click_resolves_the_defacement_alert() {
    for (app, _) in watch_apps().await {
        let w = watch_world(app.state.store.as_ref()).await;
        let a = w.monitor_a;
        let store = app.state.store.clone();
        let now = canhgac_model::Timestamp::now();
        store
            .set_baseline(
                a,
                &snapshot("Cổng Alpha", "Tin tức\nLịch công tác", &[]),
                now,
            )
            .await
            .unwrap();
        store
            .set_candidate(
                a,
                Some(&snapshot(
                    "Hacked by X",
                    "Tin tức\nHacked by X",
                    &["https://evil.example/miner.js"],
                )),
                now,
            )
            .await
            .unwrap();
        store
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
        let path = format!("/monitors/{a}");
        let mut viewer = viewer(&app).await;
        let seen = viewer.get(&app, &path).await;
        let defacement = section(&seen, "defacement");
        assert!(
            defacement.contains("class=\"diff-add\">+Hacked by X"),
            "{defacement}"
        );
        assert!(defacement.contains("class=\"diff-del\">-Lịch công tác"));
        assert!(defacement.contains("https://evil.example/miner.js"));
        assert!(
            !defacement.contains("Duyệt làm mốc mới"),
            "viewers do not approve"
        );
        let csrf = seen.csrf();
        viewer
            .post_raw(
                &app,
                &format!("{path}/baseline/approve"),
                &[("csrf", &csrf)],
            )
            .await
            .expect(403);

        let mut officer = officer(&app, &w).await;
        let page = officer.get(&app, &path).await;
        assert!(section(&page, "defacement").contains("Duyệt làm mốc mới"));
        officer
            .post_raw(
                &app,
                &format!("{path}/baseline/approve"),
                &[("csrf", "sai")],
            )
            .await
            .expect(403);
        let approved = officer
            .post(&app, &path, &format!("{path}/baseline/approve"), &[])
            .await;
        approved.expect(303);
        assert_eq!(approved.location(), format!("{path}#defacement"));
        let baseline = store
            .defacement_baseline(&Scope::All, a)
            .await
            .unwrap()
            .unwrap();
        assert!(baseline.candidate.is_none(), "[{}]", app.name);
        assert_eq!(baseline.baseline.title, "Hacked by X");
        assert_eq!(baseline.approved_by.as_deref(), Some("can-bo-alpha"));
        let alerts = store
            .list_alerts(&Scope::All, &Default::default(), &PageRequest::new(1, 50))
            .await
            .unwrap();
        let alert = alerts
            .items
            .iter()
            .find(|alert| alert.rule_key == format!("watch:defacement:{a}"))
            .unwrap();
        assert_eq!(alert.status, AlertStatus::Resolved);
        let after = officer.get(&app, &path).await;
        assert!(section(&after, "defacement").contains("id=\"page-matches\""));
        // Approving again, with nothing waiting, says so.
        let again = officer
            .post(&app, &path, &format!("{path}/baseline/approve"), &[])
            .await;
        again.expect(422);
    }
}

#[tokio::test]
async fn the_public_status_page_shows_public_monitors_only_without_signing_in() {
    for app in apps().await {
        let w = watch_world(app.state.store.as_ref()).await;
        record(
            app.state.store.as_ref(),
            &[result(w.monitor_a, "local", true, Some(30), 5)],
        )
        .await;
        let mut anyone = Browser::new();
        let page = anyone.get(&app, "/status").await;
        page.expect(200);
        assert_eq!(page.h1(), "Trạng thái dịch vụ");
        assert!(page.body.contains("Cổng alpha<") && page.body.contains("Hoạt động"));
        assert!(page.body.contains("100,00 %"));
        for secret in [
            "alpha1",
            "bravo",
            "example.gov.vn",
            "Sở Alpha",
            "HTTP 200",
            "/monitors",
        ] {
            assert!(
                !page.body.contains(secret),
                "{secret} shown:\n{}",
                page.body
            );
        }
        anyone.get(&app, "/lang/en?next=/status").await.expect(303);
        let english = anyone.get(&app, "/status").await;
        assert_eq!(english.h1(), "Service status");
        assert!(english.body.contains(">Up<"));
        // The rest of the console still needs a session.
        let board = anyone.get(&app, "/monitors").await;
        board.expect(303);
    }
}
