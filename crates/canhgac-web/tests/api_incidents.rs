//! Incidents and reports through the API: every `/incidents` and `/reports` route keeps to the
//! caller's units (the tenancy case of these routes), and reports are generated and archived
//! with consecutive numbers from the issuer in effect on their date.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::{ids, Api};
use canhgac_model::{Actor, Id, IncidentInput, IncidentKind, Role, UnitInput, UnitKind};
use canhgac_respond::reports::{Issuer, Recipient, ReportDesk, ReportProfile};
use canhgac_web::{router, AppState, WebSettings};
use serde_json::json;

fn desk() -> ReportDesk {
    ReportDesk {
        profile: ReportProfile {
            issuers: vec![Issuer {
                name: "Sở Khoa học và Công nghệ".into(),
                place: "Lâm Đồng".into(),
                address: "36 Trần Phú".into(),
                phone: "0263 3822222".into(),
                email: "soc@example.gov.vn".into(),
                code: "BC-SKHCN".into(),
                signer_position: "Giám đốc".into(),
                signer_name: "Nguyễn Văn Ký".into(),
                contact_name: "Lê Thị Trực".into(),
                contact_phone: "0912000111".into(),
                contact_email: "truc@example.gov.vn".into(),
                ..Default::default()
            }],
            recipients: vec![Recipient {
                name: "VNCERT/CC".into(),
                email: "ir@vncert.example.vn".into(),
                ..Default::default()
            }],
        },
        mailer: None,
    }
}

async fn apis_with_reports() -> Vec<Api> {
    let mut apis = Vec::new();
    for test_store in canhgac_store::testing::test_stores().await {
        let state = AppState::new(test_store.store.clone(), WebSettings::default());
        let app = router(state.with_reports(desk()));
        apis.push(Api::from_parts(test_store, app));
    }
    apis
}

async fn incident(api: &Api, unit: Id, title: &str) -> Id {
    let mut input = IncidentInput::new(
        title,
        IncidentKind::Malware,
        unit,
        "2026-03-02T01:00:00Z".parse().unwrap(),
    );
    input.description = "Máy chủ nhiễm mã độc.".into();
    input.system.operator = "Trung tâm CNTT".into();
    input.detection.log_review = true;
    api.store
        .create_incident(&Actor::system("t"), input)
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn every_incident_route_keeps_to_the_callers_units() {
    for api in apis_with_reports().await {
        let system = Actor::system("t");
        let province = api
            .store
            .create_unit(
                &system,
                UnitInput::new("UBND tỉnh", UnitKind::Province, None),
            )
            .await
            .unwrap()
            .id;
        let a = api
            .store
            .create_unit(
                &system,
                UnitInput::new("Sở A", UnitKind::Department, Some(province)),
            )
            .await
            .unwrap()
            .id;
        let b = api
            .store
            .create_unit(
                &system,
                UnitInput::new("Sở B", UnitKind::Department, Some(province)),
            )
            .await
            .unwrap()
            .id;
        let in_a = incident(&api, a, "Sự cố alpha").await;
        let in_b = incident(&api, b, "Sự cố beta").await;
        let admin = api.admin().await;
        let b_report = api
            .post(
                &format!("/api/v1/incidents/{in_b}/reports"),
                &admin,
                json!({"form": "initial", "issued_on": "2026-03-03"}),
            )
            .await
            .ok(201);
        assert_eq!(b_report["number"], "01/BC-SKHCN", "{}", api.name);
        let b_report = b_report["id"].as_i64().unwrap();
        let (_, officer) = api
            .user_with_token("canbo.a", Role::UnitOfficer, vec![a])
            .await;

        // Reads: A's only.
        let listed = api.get("/api/v1/incidents", &officer).await.ok(200);
        assert_eq!(ids(&listed), vec![in_a], "{}", api.name);
        assert_eq!(
            listed["items"][0]["deadlines"][0]["kind"],
            "notify_authorities"
        );
        let reports = api.get("/api/v1/reports", &officer).await.ok(200);
        assert!(ids(&reports).is_empty(), "{}", api.name);
        for path in [
            format!("/api/v1/incidents/{in_b}"),
            format!("/api/v1/reports/{b_report}"),
            format!("/api/v1/reports/{b_report}/docx"),
        ] {
            api.get(&path, &officer).await.problem(404);
        }
        // Changes to B's incident and report: 404, like unknown ids.
        let mut input = api
            .store
            .get_incident(&canhgac_model::Scope::All, in_b)
            .await
            .unwrap()
            .incident
            .details;
        api.put(
            &format!("/api/v1/incidents/{in_b}"),
            &officer,
            serde_json::to_value(&input).unwrap(),
        )
        .await
        .problem(404);
        for (path, body) in [
            (
                format!("/api/v1/incidents/{in_b}/status"),
                json!({"status": "resolved"}),
            ),
            (
                format!("/api/v1/incidents/{in_b}/timeline"),
                json!({"text": "x"}),
            ),
            (
                format!("/api/v1/incidents/{in_b}/tasks"),
                json!({"title": "x"}),
            ),
            (
                format!("/api/v1/incidents/{in_b}/tasks/1"),
                json!({"done": true}),
            ),
            (
                format!("/api/v1/incidents/{in_b}/observables"),
                json!({"kind": "domain", "value": "evil.example"}),
            ),
            (
                format!("/api/v1/incidents/{in_b}/reports"),
                json!({"form": "initial"}),
            ),
            (format!("/api/v1/reports/{b_report}/send"), json!({})),
        ] {
            api.post(&path, &officer, body).await.problem(404);
        }
        // Creating for B is refused; a summary of B too.
        let refused = api
            .post(
                "/api/v1/incidents",
                &officer,
                json!({"title": "x", "kind": "other", "unit_id": b}),
            )
            .await;
        assert!(
            matches!(refused.status.as_u16(), 403 | 404),
            "{}: {}",
            api.name,
            refused.text()
        );
        api.post(
            "/api/v1/reports/summary",
            &officer,
            json!({"unit_id": b, "kind": "half_year", "year": 2026}),
        )
        .await
        .problem(404);
        input.unit_id = a;
        // Their own: works, numbers follow on from B's report (one issuer, one counter).
        let own = api
            .post(
                &format!("/api/v1/incidents/{in_a}/reports"),
                &officer,
                json!({"form": "initial", "issued_on": "2026-03-04"}),
            )
            .await
            .ok(201);
        assert_eq!(own["number"], "02/BC-SKHCN", "{}", api.name);
        let summary = api
            .post(
                "/api/v1/reports/summary",
                &officer,
                json!({"unit_id": a, "kind": "half_year", "year": 2026, "issued_on": "2026-06-10"}),
            )
            .await
            .ok(201);
        assert_eq!(summary["number"], "03/BC-SKHCN");
        let docx = api
            .get(&format!("/api/v1/reports/{}/docx", summary["id"]), &officer)
            .await;
        assert_eq!(docx.status.as_u16(), 200);
        let text = canhgac_respond::documents::docx_to_text(&docx.body).unwrap();
        assert!(text.contains("Số: 03/BC-SKHCN"), "{text}");
        // Without SMTP, sending says so.
        api.post(
            &format!("/api/v1/reports/{}/send", own["id"]),
            &officer,
            json!({}),
        )
        .await
        .problem(503);
    }
}
