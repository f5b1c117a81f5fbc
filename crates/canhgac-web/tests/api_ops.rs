//! The OpenAPI document, `/healthz` and `/metrics`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use std::collections::BTreeSet;

use api_support::{apis, Auth};
use canhgac_store::testing::test_stores;
use canhgac_web::{router, AppState, WebSettings};
use serde_json::Value;
use utoipa::OpenApi;

/// (method, path) of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                operations.insert((method.to_string(), path.clone()));
            }
        }
    }
    operations
}

/// (method, path) of every route of the router.
fn routed() -> BTreeSet<(String, String)> {
    let api = canhgac_web::api::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), format!("/api/v1{p}")));
    let ops = canhgac_web::api::OPS_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()));
    api.chain(ops).collect()
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let doc = serde_json::to_value(canhgac_web::api::ApiDoc::openapi()).unwrap();
    let documented = documented(&doc);
    let routed = routed();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document: {undocumented:?}"
    );
    let mut operation_ids = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(
                operation_ids.insert(id.to_string()),
                "operationId {id} twice"
            );
        }
    }
    let phantom: Vec<_> = documented.difference(&routed).collect();
    assert!(
        phantom.is_empty(),
        "documented operations without a route: {phantom:?}"
    );
}

#[tokio::test]
async fn the_document_is_served_and_every_documented_route_answers() {
    for api in apis().await {
        let reply = api.get("/api/v1/openapi.json", &Auth::None).await;
        let doc = reply.ok(200);
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["type"], "http");
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(doc["components"]["schemas"]["Problem"]["type"], "object");
        assert!(doc["components"]["schemas"]["Unit"].is_object());
        assert!(doc["paths"]["/api/v1/units/{id}"]["get"]["responses"]["default"].is_object());
        // The router answers every documented operation (401 without credentials, never the
        // 404/405 of an unknown route).
        for (method, path) in documented(&doc) {
            let url = path
                .replace("{id}", "1")
                .replace("{token_id}", "1")
                .replace("{key}", "k");
            let reply = api
                .call(
                    method.to_uppercase().parse().unwrap(),
                    &url,
                    &Auth::None,
                    None,
                )
                .await;
            let status = reply.status.as_u16();
            assert!(
                !matches!(status, 404 | 405),
                "{method} {path} is documented but answers {status}"
            );
        }
    }
}

#[tokio::test]
async fn healthz_reports_the_store() {
    for api in apis().await {
        let reply = api.get("/healthz", &Auth::None).await;
        let body = reply.ok(200);
        assert_eq!(body["status"], "ok");
        assert_eq!(body["store"], api.name);
    }
    // A closed store is unhealthy.
    for test_store in test_stores().await {
        let app = AppState::new(test_store.store.clone(), WebSettings::default());
        test_store.store.close().await;
        let api = api_support::Api::from_parts(test_store, router(app));
        let reply = api.get("/healthz", &Auth::None).await;
        assert_eq!(reply.status.as_u16(), 503, "{}", reply.text());
        assert_eq!(reply.json()["status"], "unavailable");
        let metrics = api.get("/metrics", &Auth::None).await;
        assert!(
            metrics.text().contains("canhgac_up 0\n"),
            "{}",
            metrics.text()
        );
    }
}

#[tokio::test]
async fn metrics_count_by_route_pattern() {
    for api in apis().await {
        let admin = api.admin().await;
        for id in [11, 12, 13] {
            api.get(&format!("/api/v1/units/{id}"), &admin)
                .await
                .problem(404);
        }
        api.get("/api/v1/no/such/route", &admin).await.problem(404);
        let reply = api.get("/metrics", &Auth::None).await;
        assert_eq!(reply.status.as_u16(), 200);
        assert!(reply
            .content_type()
            .starts_with("text/plain; version=0.0.4"));
        let text = reply.text();
        assert!(
            text.contains(r#"canhgac_http_requests_total{method="GET",route="/api/v1/units/{id}",status="404"} 3"#),
            "{text}"
        );
        assert!(text.contains(r#"canhgac_http_request_duration_seconds_count{method="GET",route="/api/v1/units/{id}"} 3"#));
        assert!(text.contains(r#"route="/api/v1/units/{id}",le="+Inf"} 3"#));
        assert!(
            !text.contains("/api/v1/units/11"),
            "raw paths must not become labels"
        );
        assert!(
            !text.contains("no/such"),
            "unknown paths must not become labels"
        );
        assert!(text.contains(&format!(
            "canhgac_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(text.contains("canhgac_up 1\n"));
        assert!(text.contains("# TYPE canhgac_http_request_duration_seconds histogram"));
    }
}
