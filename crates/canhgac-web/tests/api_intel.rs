//! Exposure reports (`POST /api/v1/exposures/report`): a Shadowserver-format report and a
//! ministry list become findings of the units whose ranges and domains they name; rows matching
//! no unit are returned; a re-import updates instead of duplicating; officers are refused.

#![allow(clippy::unwrap_used)]

mod api_support;

use api_support::{apis, Api, Auth, Reply};
use axum::body::Body;
use axum::http::{header, Request};
use canhgac_model::{
    Actor, AssetInput, AssetKind, Role, SystemInput, SystemKind, UnitInput, UnitKind,
};

/// An RDP scan report of three rows: two for the province's range, one outside it.
const RDP_REPORT: &str = "\"timestamp\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\"\n\
\"2026-11-20 01:12:09\",\"203.113.10.25\",\"tcp\",3389,\"\",\"rdp\",45899,\"VN\"\n\
\"2026-11-20 01:13:40\",\"203.113.10.77\",\"tcp\",3389,\"vanthu.soyte.tinh.gov.vn\",\"rdp\",45899,\"VN\"\n\
\"2026-11-20 01:14:51\",\"198.51.100.3\",\"tcp\",3389,\"\",\"rdp\",64500,\"VN\"\n";

async fn post_report(api: &Api, auth: &Auth, query: &str, body: &str) -> Reply {
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/exposures/report?{query}"))
        .header(header::CONTENT_TYPE, "text/csv");
    if let Auth::Bearer(secret) = auth {
        request = request.header(header::AUTHORIZATION, format!("Bearer {secret}"));
    }
    api.send(request.body(Body::from(body.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn a_shadowserver_report_becomes_findings_per_unit_and_unmatched_rows_are_listed() {
    for api in apis().await {
        let sys = Actor::system("test");
        let unit = api
            .store
            .create_unit(&sys, UnitInput::new("Sở Y tế", UnitKind::Department, None))
            .await
            .unwrap()
            .id;
        let system = api
            .store
            .create_system(
                &sys,
                SystemInput::new("Mạng Sở Y tế", SystemKind::Network, unit),
            )
            .await
            .unwrap()
            .id;
        let mut range = AssetInput::new(AssetKind::Cidr, "203.113.10.0/24");
        range.system_id = system;
        api.store.create_asset(&sys, range).await.unwrap();
        let admin = api.admin().await;

        let done = post_report(
            &api,
            &admin,
            "name=2026-11-20-scan_rdp-vietnam-geo.csv",
            RDP_REPORT,
        )
        .await
        .ok(200);
        assert_eq!(done["report_type"], "scan_rdp", "{done}");
        assert_eq!(done["rows"], 3, "{done}");
        assert_eq!(done["per_unit"][unit.to_string()], 2, "{done}");
        let unmatched = done["unmatched"].as_array().unwrap();
        assert_eq!(unmatched.len(), 1, "{done}");
        assert_eq!(unmatched[0]["subject"], "198.51.100.3");
        assert_eq!(unmatched[0]["row"], 4);
        assert_eq!(done["outcome"]["created"], 2, "{done}");

        let findings = api
            .get(
                &format!("/api/v1/findings?unit_id={unit}&per_page=50"),
                &admin,
            )
            .await
            .ok(200);
        let titles: Vec<&str> = findings["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles.len(), 2, "{findings}");
        assert!(titles.iter().all(|t| t.contains("RDP")), "{titles:?}");

        // The same report next week updates the findings rather than adding more.
        let again = post_report(
            &api,
            &admin,
            "name=2026-11-27-scan_rdp-vietnam-geo.csv",
            RDP_REPORT,
        )
        .await
        .ok(200);
        assert_eq!(
            (
                again["outcome"]["created"].as_u64(),
                again["outcome"]["updated"].as_u64()
            ),
            (Some(0), Some(2)),
            "{again}"
        );

        // A malformed report is refused whole, naming the row.
        let broken = "\"timestamp\",\"ip\",\"port\",\"tag\"\n\"2026-11-20 01:12:09\",\"not-an-ip\",3389,\"rdp\"\n";
        let problem = post_report(
            &api,
            &admin,
            "name=2026-11-20-scan_rdp-vietnam-geo.csv",
            broken,
        )
        .await
        .problem(422);
        assert!(
            problem.to_string().contains('2'),
            "the row is named: {problem}"
        );

        // A unit officer may not import province-wide reports.
        let (_, officer) = api
            .user_with_token("can-bo", Role::UnitOfficer, vec![unit])
            .await;
        let refused = post_report(&api, &officer, "", RDP_REPORT).await;
        assert_eq!(refused.status.as_u16(), 403, "{}", refused.text());
    }
}
