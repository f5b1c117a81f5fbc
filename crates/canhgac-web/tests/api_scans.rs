//! The scans API: queuing a scan of a system or of inventory targets (and refusing anything
//! else, naming the target), listing, the run with its diff, cancel, schedules, and unit scope,
//! against the real store (SQLite, and PostgreSQL when configured).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::{apis, ids, Api, Auth};
use canhgac_model::scan_run::{ScanResult, ScanStatus};
use canhgac_model::{
    Actor, AssetInput, AssetKind, FindingBatch, FindingDraft, FindingSnapshot, FindingSource, Id,
    Role, Severity, SystemInput, SystemKind, UnitInput, UnitKind,
};
use serde_json::json;

struct World {
    unit_a: Id,
    portal_a: Id,
    mail_b: Id,
    bare_a: Id,
}

async fn world(api: &Api) -> World {
    let sys = Actor::system("test");
    let store = api.store.as_ref();
    let unit = |name: &'static str| async move {
        store
            .create_unit(
                &Actor::system("test"),
                UnitInput::new(name, UnitKind::Department, None),
            )
            .await
            .unwrap()
            .id
    };
    let unit_a = unit("Sở Alpha").await;
    let unit_b = unit("Sở Bravo").await;
    let system = |name: &'static str, kind, owner| async move {
        store
            .create_system(&Actor::system("test"), SystemInput::new(name, kind, owner))
            .await
            .unwrap()
            .id
    };
    let portal_a = system("Cổng Alpha", SystemKind::Portal, unit_a).await;
    let mail_b = system("Thư Bravo", SystemKind::Email, unit_b).await;
    let bare_a = system("Chưa có tài sản", SystemKind::Other, unit_a).await;
    for (system, kind, value) in [
        (portal_a, AssetKind::Url, "https://alpha.example.gov.vn/"),
        (portal_a, AssetKind::Cidr, "10.1.0.0/24"),
        (mail_b, AssetKind::Domain, "mail.bravo.gov.vn"),
    ] {
        let mut asset = AssetInput::new(kind, value);
        asset.system_id = system;
        store.create_asset(&sys, asset).await.unwrap();
    }
    World {
        unit_a,
        portal_a,
        mail_b,
        bare_a,
    }
}

async fn officer(api: &Api, unit: Id, name: &str) -> Auth {
    api.user_with_token(name, Role::UnitOfficer, vec![unit])
        .await
        .1
}

#[tokio::test]
async fn scans_are_queued_for_systems_or_inventory_targets_and_refused_outside() {
    for api in apis().await {
        let w = world(&api).await;
        let officer_a = officer(&api, w.unit_a, "can-bo-alpha").await;
        let (_, viewer) = api.user_with_token("nguoi-xem", Role::Viewer, vec![]).await;

        // A system: its assets are the targets, its owner the run's unit.
        let reply = api
            .post(
                "/api/v1/scans",
                &officer_a,
                json!({"system_id": w.portal_a, "profile": "portal"}),
            )
            .await;
        let run = reply.ok(201);
        assert_eq!(run["status"], "queued", "[{}]", api.name);
        assert_eq!(run["unit_id"], w.unit_a);
        assert_eq!(
            run["targets"],
            json!(["https://alpha.example.gov.vn/", "10.1.0.0/24"])
        );
        assert_eq!(run["requested_by"], "can-bo-alpha");

        // Explicit targets inside the inventory: the run names the system covering them all.
        let run2 = api
            .post(
                "/api/v1/scans",
                &officer_a,
                json!({"targets": ["10.1.0.7", "alpha.example.gov.vn"], "profile": "quick"}),
            )
            .await
            .ok(201);
        assert_eq!(run2["system_id"], w.portal_a, "[{}]", api.name);

        // Outside the inventory (or another unit's): refused, naming the target, in Vietnamese.
        for target in ["10.9.9.9", "mail.bravo.gov.vn"] {
            let problem = api
                .post(
                    "/api/v1/scans",
                    &officer_a,
                    json!({"targets": [target], "profile": "quick"}),
                )
                .await
                .problem(422);
            assert_eq!(problem["field"], "targets");
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains(target) && detail.contains("không thuộc tài sản nào"),
                "{detail}"
            );
        }
        // Another unit's system is not there at all; a system without assets says so.
        api.post(
            "/api/v1/scans",
            &officer_a,
            json!({"system_id": w.mail_b, "profile": "mail"}),
        )
        .await
        .problem(404);
        let problem = api
            .post(
                "/api/v1/scans",
                &officer_a,
                json!({"system_id": w.bare_a, "profile": "quick"}),
            )
            .await
            .problem(422);
        assert_eq!(problem["field"], "system_id");
        let problem = api
            .post(
                "/api/v1/scans",
                &officer_a,
                json!({"system_id": w.portal_a, "profile": "nmap"}),
            )
            .await
            .problem(422);
        assert_eq!(problem["field"], "profile");
        api.post(
            "/api/v1/scans",
            &viewer,
            json!({"system_id": w.portal_a, "profile": "quick"}),
        )
        .await
        .problem(403);

        // Listing and filters.
        let listing = api.get("/api/v1/scans", &officer_a).await.ok(200);
        let (id1, id2) = (run["id"].as_i64().unwrap(), run2["id"].as_i64().unwrap());
        assert_eq!(ids(&listing), vec![id2, id1]);
        let listing = api
            .get("/api/v1/scans?status=done", &officer_a)
            .await
            .ok(200);
        assert!(ids(&listing).is_empty());
        api.get("/api/v1/scans?status=bogus", &officer_a)
            .await
            .problem(422);

        // Cancel, then cancelling again is a conflict.
        let cancelled = api
            .post(
                &format!("/api/v1/scans/{id2}/cancel"),
                &officer_a,
                json!({}),
            )
            .await
            .ok(200);
        assert_eq!(cancelled["status"], "cancelled");
        api.post(
            &format!("/api/v1/scans/{id2}/cancel"),
            &officer_a,
            json!({}),
        )
        .await
        .problem(409);
    }
}

fn draft(key: &str) -> FindingDraft {
    FindingDraft {
        source: FindingSource::Scan,
        key: key.into(),
        category: "web_exposure".into(),
        title: format!("Lộ {key}"),
        severity: Severity::High,
        unit_id: None,
        system_id: None,
        asset_id: None,
        host: Some("10.1.0.5".into()),
        subject: format!("http://10.1.0.5/{key}"),
        evidence: json!({"check": key}),
        remediation: None,
        observed_at: jiff::Timestamp::now(),
    }
}

#[tokio::test]
async fn a_finished_run_shows_its_diff_and_other_units_see_nothing() {
    for api in apis().await {
        let w = world(&api).await;
        let officer_a = officer(&api, w.unit_a, "can-bo-alpha").await;
        let unit_b = api
            .store
            .get_system(&canhgac_model::Scope::All, w.mail_b)
            .await
            .unwrap()
            .owner_unit_id;
        let officer_b = officer(&api, unit_b, "can-bo-bravo").await;
        // Two runs, as the worker would record them: `.git` then gone.
        let mut run_ids = Vec::new();
        for keys in [vec!["git", "env"], vec!["env"]] {
            let id = api
                .post(
                    "/api/v1/scans",
                    &officer_a,
                    json!({"system_id": w.portal_a, "profile": "portal"}),
                )
                .await
                .ok(201)["id"]
                .as_i64()
                .unwrap();
            let now = jiff::Timestamp::now();
            let claimed = api
                .store
                .claim_scan(now, now + jiff::SignedDuration::from_secs(60))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(claimed.id, id);
            let batch = FindingBatch {
                findings: keys.iter().map(|k| draft(k)).collect(),
                snapshot: Some(FindingSnapshot {
                    source: FindingSource::Scan,
                    categories: vec!["web_exposure".into()],
                    unit_ids: Vec::new(),
                    subject_prefix: None,
                    hosts: vec!["10.1.0.5".into()],
                }),
            };
            let outcome = api
                .store
                .record_findings(&Actor::system("scanner"), &batch)
                .await
                .unwrap();
            let result = ScanResult {
                status: ScanStatus::Done,
                error: None,
                hosts: 1,
                open_ports: 1,
                issues: keys.len() as u64,
                outcome,
                report: Some(json!({"hosts": [{"name": "10.1.0.5", "services": [{"port": 80}]}]})),
            };
            assert!(api.store.finish_scan(id, &result).await.unwrap());
            run_ids.push(id);
        }
        let detail = api
            .get(&format!("/api/v1/scans/{}", run_ids[1]), &officer_a)
            .await
            .ok(200);
        assert_eq!(detail["status"], "done", "[{}]", api.name);
        assert_eq!(detail["progress"], 1.0);
        assert_eq!(detail["findings_fixed"], 1);
        let keys = |list: &serde_json::Value| -> Vec<String> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|f| f["key"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(keys(&detail["fixed"]), vec!["git"]);
        assert_eq!(keys(&detail["still_open"]), vec!["env"]);
        assert!(keys(&detail["new"]).is_empty());
        assert_eq!(detail["fixed"][0]["status"], "fixed");
        assert_eq!(detail["report"]["hosts"][0]["services"][0]["port"], 80);

        // Unit B sees none of it.
        for id in &run_ids {
            api.get(&format!("/api/v1/scans/{id}"), &officer_b)
                .await
                .problem(404);
            api.post(&format!("/api/v1/scans/{id}/cancel"), &officer_b, json!({}))
                .await
                .problem(404);
        }
        let listing = api.get("/api/v1/scans", &officer_b).await.ok(200);
        assert!(ids(&listing).is_empty());
    }
}

#[tokio::test]
async fn schedules_are_added_changed_and_deleted_per_system_within_scope() {
    for api in apis().await {
        let w = world(&api).await;
        let officer_a = officer(&api, w.unit_a, "can-bo-alpha").await;
        let path = format!("/api/v1/systems/{}/scan-schedules", w.portal_a);
        let reply = api
            .post(
                &path,
                &officer_a,
                json!({"profile": "quick", "frequency": "daily", "time": "02:00"}),
            )
            .await;
        let schedule = reply.ok(201);
        let id = schedule["id"].as_i64().unwrap();
        assert_eq!(
            reply.headers["location"].to_str().unwrap(),
            format!("/api/v1/scan-schedules/{id}")
        );
        assert_eq!(schedule["enabled"], true, "[{}]", api.name);
        assert_eq!(schedule["system_name"], "Cổng Alpha");
        assert!(schedule["next_run_at"].is_string());
        let problem = api
            .post(
                &path,
                &officer_a,
                json!({"profile": "full", "frequency": "weekly", "time": "03:00"}),
            )
            .await
            .problem(422);
        assert_eq!(problem["field"], "weekday");
        let changed = api
            .put(
                &format!("/api/v1/scan-schedules/{id}"),
                &officer_a,
                json!({"profile": "full", "frequency": "weekly", "weekday": 7, "time": "03:00", "enabled": false}),
            )
            .await
            .ok(200);
        assert_eq!(
            (
                changed["profile"].as_str(),
                changed["weekday"].as_i64(),
                changed["enabled"].as_bool()
            ),
            (Some("full"), Some(7), Some(false))
        );
        let listed = api.get(&path, &officer_a).await.ok(200);
        assert_eq!(listed.as_array().unwrap().len(), 1);

        // Another unit's system: not found.
        api.get(
            &format!("/api/v1/systems/{}/scan-schedules", w.mail_b),
            &officer_a,
        )
        .await
        .problem(404);
        api.post(
            &format!("/api/v1/systems/{}/scan-schedules", w.mail_b),
            &officer_a,
            json!({"profile": "mail", "frequency": "daily", "time": "02:30"}),
        )
        .await
        .problem(404);

        let reply = api
            .delete(&format!("/api/v1/scan-schedules/{id}"), &officer_a)
            .await;
        assert_eq!(reply.status.as_u16(), 204);
        api.delete(&format!("/api/v1/scan-schedules/{id}"), &officer_a)
            .await
            .problem(404);
    }
}
