//! Inventory as code through the API: export, plan, import, errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::{apis, apis_with, Api, Auth, Reply};
use axum::body::Body;
use axum::http::Request;
use canhgac_model::Role;
use canhgac_web::WebSettings;

const FILE: &str = "\
units:
  - code: ubnd
    name: Ủy ban nhân dân tỉnh Hòa Bình Xanh
    kind: province
  - code: so-khcn
    name: Sở Khoa học và Công nghệ
    kind: department
    parent: ubnd
  - code: so-yte
    name: Sở Y tế
    kind: department
    parent: ubnd
systems:
  - code: portal
    name: Cổng thông tin điện tử tỉnh
    kind: portal
    owner: ubnd
    operator: so-khcn
    security_level: 3
    assets:
      - kind: ip
        value: 203.0.113.10
      - kind: domain
        value: Portal.HoaBinhXanh.gov.vn
contacts:
  - unit: so-khcn
    name: Nguyễn Văn An
    phone: 0212.3456.7890
authorities:
  - code: vncert
    name: Trung tâm VNCERT/CC
    emails: [ir@vncert.example.vn]
";

/// Posts a file to `path` (with its query) as `content_type`.
async fn upload(api: &Api, auth: &Auth, path: &str, content_type: &str, body: &str) -> Reply {
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", content_type);
    if let Auth::Bearer(secret) = auth {
        request = request.header("authorization", format!("Bearer {secret}"));
    }
    api.send(request.body(Body::from(body.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn import_plan_export_round_trip() {
    for api in apis().await {
        let admin = api.admin().await;
        // Planning writes nothing.
        let preview = upload(
            &api,
            &admin,
            "/api/v1/inventory/plan",
            "application/yaml",
            FILE,
        )
        .await
        .ok(200);
        assert_eq!(preview["summary"]["created"], 8, "{preview}");
        assert_eq!(preview["plan"]["units"][0]["op"], "create");
        assert_eq!(api.get("/api/v1/units", &admin).await.ok(200)["total"], 0);

        let summary = upload(
            &api,
            &admin,
            "/api/v1/inventory/import",
            "application/yaml; charset=utf-8",
            FILE,
        )
        .await
        .ok(200);
        assert_eq!(summary["created"], 8, "{summary}");
        assert_eq!(summary["updated"], 0);
        assert_eq!(api.get("/api/v1/units", &admin).await.ok(200)["total"], 3);
        let assets = api.get("/api/v1/assets?q=portal", &admin).await.ok(200);
        assert_eq!(assets["items"][0]["value"], "portal.hoabinhxanh.gov.vn");

        // Again: nothing to do.
        let again = upload(&api, &admin, "/api/v1/inventory/import", "text/yaml", FILE)
            .await
            .ok(200);
        assert_eq!(
            (
                again["created"].as_u64(),
                again["updated"].as_u64(),
                again["deleted"].as_u64()
            ),
            (Some(0), Some(0), Some(0))
        );

        // The export re-imports to an empty plan, with pruning too.
        let export = api.get("/api/v1/inventory", &admin).await;
        assert_eq!(export.status.as_u16(), 200);
        assert!(export.content_type().starts_with("application/yaml"));
        let yaml = export.text();
        assert!(
            yaml.contains("so-khcn") && yaml.contains("203.0.113.10"),
            "{yaml}"
        );
        let plan = upload(
            &api,
            &admin,
            "/api/v1/inventory/plan?prune=true&format=yaml",
            "application/octet-stream",
            &yaml,
        )
        .await
        .ok(200);
        assert_eq!(plan["summary"]["created"], 0, "{plan}");
        assert_eq!(plan["summary"]["updated"], 0, "{plan}");
        assert_eq!(plan["summary"]["deleted"], 0, "{plan}");
        let json = api
            .get("/api/v1/inventory?format=json", &admin)
            .await
            .ok(200);
        assert_eq!(json["units"].as_array().unwrap().len(), 3);
        assert_eq!(json["systems"][0]["code"], "portal");

        // Pruning deletes what the file leaves out.
        let smaller = FILE.replace(
            "  - code: so-yte\n    name: Sở Y tế\n    kind: department\n    parent: ubnd\n",
            "",
        );
        let pruned = upload(
            &api,
            &admin,
            "/api/v1/inventory/import?prune=true",
            "application/yaml",
            &smaller,
        )
        .await
        .ok(200);
        assert_eq!(pruned["deleted"], 1, "{pruned}");
        assert_eq!(api.get("/api/v1/units", &admin).await.ok(200)["total"], 2);

        // CSV, one kind per file, the kind told by the header.
        let csv = "code,name,kind,parent\nso-tc,Sở Tài chính,department,ubnd\n";
        let summary = upload(
            &api,
            &admin,
            "/api/v1/inventory/import?name=units.csv",
            "text/csv",
            csv,
        )
        .await
        .ok(200);
        assert_eq!(summary["created"], 1, "{summary}");

        // Exports are audited.
        let audit = api
            .get("/api/v1/audit?entity=inventory", &admin)
            .await
            .ok(200);
        assert!(audit["total"].as_u64().unwrap() >= 1, "{audit}");
    }
}

#[tokio::test]
async fn bad_files_list_every_error_and_change_nothing() {
    for api in apis_with(WebSettings {
        max_body_bytes: 8192,
        ..WebSettings::default()
    })
    .await
    {
        let admin = api.admin().await;
        let bad = "units:\n  - code: x\n    name: X\n    kind: so\n  - code: y\n    name: Y\n    kind: department\n    parent: khong-co\n";
        for path in [
            "/api/v1/inventory/plan?name=units.yaml",
            "/api/v1/inventory/import?name=units.yaml",
        ] {
            let problem = upload(&api, &admin, path, "application/yaml", bad)
                .await
                .problem(422);
            let errors: Vec<&str> = problem["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("{problem}"))
                .iter()
                .map(|e| e.as_str().unwrap())
                .collect();
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with("units.yaml:4: kind: unknown value \"so\"")),
                "{errors:?}"
            );
        }
        // A reference to an unknown unit is reported by the plan, with file and line.
        let dangling =
            "units:\n  - code: y\n    name: Y\n    kind: department\n    parent: khong-co\n";
        let problem = upload(
            &api,
            &admin,
            "/api/v1/inventory/import",
            "application/yaml",
            dangling,
        )
        .await
        .problem(422);
        let first = problem["errors"][0].as_str().unwrap();
        assert!(first.starts_with("inventory.yaml:"), "{first}");
        assert!(first.contains("khong-co"), "{first}");
        assert_eq!(api.get("/api/v1/units", &admin).await.ok(200)["total"], 0);

        upload(&api, &admin, "/api/v1/inventory/import", "text/plain", FILE)
            .await
            .problem(415);
        upload(
            &api,
            &admin,
            "/api/v1/inventory/import?format=xml",
            "application/yaml",
            FILE,
        )
        .await
        .problem(400);
        let huge = format!("{FILE}\n# {}\n", "x".repeat(10_000));
        upload(
            &api,
            &admin,
            "/api/v1/inventory/import",
            "application/yaml",
            &huge,
        )
        .await
        .problem(413);
        assert_eq!(api.get("/api/v1/units", &admin).await.ok(200)["total"], 0);
    }
}

#[tokio::test]
async fn officers_cannot_change_authorities_by_import() {
    for api in apis().await {
        let admin = api.admin().await;
        upload(
            &api,
            &admin,
            "/api/v1/inventory/import",
            "application/yaml",
            FILE,
        )
        .await
        .ok(200);
        let units = api.get("/api/v1/units?q=khoa", &admin).await.ok(200);
        let unit = units["items"][0]["id"].as_i64().unwrap();
        let (_, officer) = api
            .user_with_token("officer", Role::UnitOfficer, vec![unit])
            .await;
        let file = "authorities:\n  - code: ca-tinh\n    name: Công an tỉnh\n";
        upload(
            &api,
            &officer,
            "/api/v1/inventory/import",
            "application/yaml",
            file,
        )
        .await
        .problem(403);
        // Inside their unit they may import.
        let contacts = "contacts:\n  - unit: so-khcn\n    name: Lê Thị Hoa\n";
        let summary = upload(
            &api,
            &officer,
            "/api/v1/inventory/import",
            "application/yaml",
            contacts,
        )
        .await
        .ok(200);
        assert_eq!(summary["created"], 1, "{summary}");
    }
}
