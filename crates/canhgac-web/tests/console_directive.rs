//! The directive dashboard (`/directive`, `GET /api/v1/directive`): one row per unit in scope,
//! each clause's cell judged from measured facts and linked to its evidence.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use canhgac_model::{
    Actor, AssetInput, AssetKind, FindingBatch, FindingDraft, FindingSource, MonitorInput,
    MonitorKind, Role, Severity, SystemInput, SystemKind, Timestamp, UnitInput, UnitKind,
};
use console_support::*;

/// The `data-state` of the cell of `unit` in column `index` (0 = systems scanned).
fn cell_state(body: &str, unit: i64, index: usize) -> String {
    let row_start = body
        .find(&format!("<tr data-unit=\"{unit}\""))
        .unwrap_or_else(|| panic!("no row for unit {unit}"));
    let row = &body[row_start..];
    let row = &row[..row.find("</tr>").unwrap()];
    row.split("data-state=\"")
        .nth(index + 1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn each_unit_gets_a_row_of_judged_facts_and_officers_see_their_own() {
    for app in apps().await {
        let store = &app.state.store;
        let sys = Actor::system("test");
        let a = store
            .create_unit(&sys, UnitInput::new("Sở Alpha", UnitKind::Department, None))
            .await
            .unwrap()
            .id;
        let b = store
            .create_unit(&sys, UnitInput::new("Sở Bravo", UnitKind::Department, None))
            .await
            .unwrap()
            .id;
        let portal = store
            .create_system(&sys, SystemInput::new("Cổng Alpha", SystemKind::Portal, a))
            .await
            .unwrap()
            .id;
        let mut asset = AssetInput::new(AssetKind::Domain, "alpha.example.vn");
        asset.system_id = portal;
        let asset = store.create_asset(&sys, asset).await.unwrap().id;
        store
            .create_monitor(
                &sys,
                MonitorInput::new(
                    asset,
                    "Trang chủ",
                    MonitorKind::Http,
                    "https://alpha.example.vn/",
                ),
            )
            .await
            .unwrap();
        let web_shell = FindingDraft {
            source: FindingSource::Malware,
            key: "yara:shell".into(),
            category: canhgac_model::finding::category::WEBSHELL.into(),
            title: "Web shell".into(),
            severity: Severity::Critical,
            unit_id: Some(a),
            system_id: None,
            asset_id: None,
            host: None,
            subject: "/var/www/up.php".into(),
            evidence: serde_json::json!({}),
            remediation: None,
            observed_at: Timestamp::now(),
        };
        store
            .record_findings(
                &sys,
                &FindingBatch {
                    findings: vec![web_shell],
                    snapshot: None,
                },
            )
            .await
            .unwrap();

        let mut admin = admin(&app).await;
        let page = admin.get(&app, "/directive").await;
        page.expect(200);
        assert!(page.body.contains("Thực hiện chỉ thị"));
        assert!(page.body.contains("Sở Alpha") && page.body.contains("Sở Bravo"));
        // Alpha: its portal never scanned, serious and malware findings open, a monitor not
        // up yet; Bravo owns nothing to scan and has no findings.
        assert_eq!(cell_state(&page.body, a, 0), "bad");
        assert_eq!(cell_state(&page.body, a, 1), "bad");
        assert_eq!(cell_state(&page.body, a, 2), "bad");
        assert_eq!(cell_state(&page.body, a, 3), "bad");
        assert_eq!(cell_state(&page.body, b, 0), "none");
        assert_eq!(cell_state(&page.body, b, 1), "ok");
        assert_eq!(cell_state(&page.body, b, 2), "ok");
        assert!(page.body.contains(&format!(
            "/findings?unit_id={a}&amp;status=open&amp;min_severity=high"
        )));

        let week = admin.get(&app, "/directive?days=7").await;
        week.expect(200);
        assert!(week.body.contains("7 ngày"));

        create_user(&app, "canbo.bravo", Role::UnitOfficer, vec![b]).await;
        let mut officer = Browser::new();
        officer.login(&app, "canbo.bravo", PASSWORD).await;
        let own = officer.get(&app, "/directive").await;
        own.expect(200);
        assert!(own.body.contains("Sở Bravo"));
        assert!(!own.body.contains("Sở Alpha"), "another unit's row leaked");
    }
}

#[tokio::test]
async fn an_isp_records_a_tested_backup_and_the_dashboard_counts_it() {
    for app in apps().await {
        let store = &app.state.store;
        let sys = Actor::system("test");
        let isp = store
            .create_unit(
                &sys,
                UnitInput::new("Nhà mạng Sông Lam", UnitKind::Isp, None),
            )
            .await
            .unwrap()
            .id;
        let core = store
            .create_system(&sys, SystemInput::new("Mạng lõi", SystemKind::Network, isp))
            .await
            .unwrap()
            .id;
        let standby = store
            .create_system(
                &sys,
                SystemInput::new("Mạng lõi dự phòng", SystemKind::Network, isp),
            )
            .await
            .unwrap()
            .id;
        let mut admin = admin(&app).await;
        // Nothing recorded: the ISP's cell is not met, and the system page says so.
        let page = admin.get(&app, "/directive").await;
        page.expect(200);
        assert_eq!(cell_state(&page.body, isp, 6), "bad");
        let system = admin.get(&app, &format!("/systems/{core}")).await;
        system.expect(200);
        assert!(
            system.body.contains("Chưa có phương án dự phòng"),
            "{}",
            system.body
        );
        assert!(
            system.body.contains(r#"id="availability""#),
            "{}",
            system.body
        );

        let today = jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
            .date();
        let tested = today.checked_sub(jiff::Span::new().days(10)).unwrap();
        let tested_text = format!(
            "{:02}/{:02}/{}",
            tested.day(),
            tested.month(),
            tested.year()
        );
        for (system, backup) in [(core, standby), (standby, core)] {
            let saved = admin
                .post(
                    &app,
                    &format!("/systems/{system}"),
                    &format!("/systems/{system}/redundancy"),
                    &[
                        ("backup_system_id", &backup.to_string()),
                        ("backup_description", "Trạm Vinh ↔ Hà Tĩnh"),
                        ("last_failover_test", &tested_text),
                    ],
                )
                .await;
            assert_eq!(saved.status, 303, "{}", saved.body);
        }
        let system = admin.get(&app, &format!("/systems/{core}")).await;
        system.expect(200);
        assert!(
            system.body.contains("Đã thử chuyển đổi trong năm"),
            "{}",
            system.body
        );
        assert!(system.body.contains(&tested_text));
        let page = admin.get(&app, "/directive").await;
        page.expect(200);
        assert_eq!(cell_state(&page.body, isp, 6), "ok", "{}", page.body);

        // A date in the future is refused with the field named; nothing changes.
        let future = today.checked_add(jiff::Span::new().days(3)).unwrap();
        let refused = admin
            .post(
                &app,
                &format!("/systems/{core}"),
                &format!("/systems/{core}/redundancy"),
                &[
                    ("backup_system_id", &standby.to_string()),
                    ("last_failover_test", &future.to_string()),
                ],
            )
            .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(
            refused.body.contains("last_failover_test"),
            "{}",
            refused.body
        );
        let kept = store
            .get_redundancy(&canhgac_model::Scope::All, core)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.last_failover_test, Some(tested));
    }
}
