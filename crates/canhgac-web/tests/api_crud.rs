//! CRUD of every inventory entity through the API, and how bad requests are answered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::{apis, apis_with, ids, Api, Auth};
use axum::body::Body;
use axum::http::Request;
use canhgac_web::WebSettings;
use serde_json::{json, Value};

/// Creates, reads, lists, updates and deletes one record of `collection`, checking each answer.
async fn crud(
    api: &Api,
    auth: &Auth,
    collection: &str,
    create: Value,
    change: (&str, Value),
) -> i64 {
    let reply = api
        .post(&format!("/api/v1/{collection}"), auth, create)
        .await;
    let created = reply.ok(201);
    let id = created["id"].as_i64().expect("id");
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("/api/v1/{collection}/{id}")
    );
    let fetched = api
        .get(&format!("/api/v1/{collection}/{id}"), auth)
        .await
        .ok(200);
    assert_eq!(fetched, created);
    let listing = api
        .get(&format!("/api/v1/{collection}?per_page=500"), auth)
        .await
        .ok(200);
    assert!(ids(&listing).contains(&id), "{listing}");
    assert_eq!(listing["page"], 1);
    assert_eq!(listing["per_page"], 500);
    assert!(listing["total"].as_u64().unwrap() >= 1);

    let (field, value) = change;
    let mut body = created.clone();
    for key in ["id", "created_at", "updated_at", "path"] {
        body.as_object_mut().unwrap().remove(key);
    }
    body[field] = value.clone();
    let updated = api
        .put(&format!("/api/v1/{collection}/{id}"), auth, body)
        .await
        .ok(200);
    assert_eq!(updated[field], value, "{collection}.{field}");
    assert_eq!(
        api.get(&format!("/api/v1/{collection}/{id}"), auth)
            .await
            .ok(200)[field],
        value
    );
    id
}

#[tokio::test]
async fn every_entity_round_trips() {
    for api in apis().await {
        let admin = api.admin().await;
        let province = crud(
            &api,
            &admin,
            "units",
            json!({"name": "UBND tỉnh Hòa Bình Xanh", "kind": "province", "valid_from": "2025-07-01"}),
            ("address", json!("Số 1 đường Trung tâm")),
        )
        .await;
        let department = crud(
            &api,
            &admin,
            "units",
            json!({"name": "Sở Khoa học và Công nghệ", "kind": "department", "parent_id": province}),
            ("name", json!("Sở KH&CN")),
        )
        .await;
        let children = api
            .get(&format!("/api/v1/units?parent_id={province}"), &admin)
            .await
            .ok(200);
        assert_eq!(ids(&children), vec![department]);
        let system = crud(
            &api,
            &admin,
            "systems",
            json!({"name": "Cổng thông tin điện tử", "kind": "portal", "owner_unit_id": department, "security_level": 2}),
            ("security_level", json!(3)),
        )
        .await;
        let asset = crud(
            &api,
            &admin,
            "assets",
            json!({"system_id": system, "kind": "cidr", "value": "2001:DB8::/32"}),
            ("os", json!("Ubuntu")),
        )
        .await;
        let normalised = api
            .get(&format!("/api/v1/assets/{asset}"), &admin)
            .await
            .ok(200);
        assert_eq!(normalised["value"], "2001:db8::/32");
        let contact = crud(
            &api,
            &admin,
            "contacts",
            json!({"unit_id": department, "name": "Trần Thị Bình", "phone": "0912 345 678"}),
            ("email", json!("binh@example.gov.vn")),
        )
        .await;
        let authority = crud(
            &api,
            &admin,
            "authorities",
            json!({"code": "vncert", "name": "Trung tâm VNCERT/CC", "emails": ["ir@example.vn"]}),
            ("phones", json!(["024 0000 0000"])),
        )
        .await;

        // Filters reach the store.
        let by_system = api
            .get(&format!("/api/v1/assets?system_id={system}"), &admin)
            .await
            .ok(200);
        assert_eq!(ids(&by_system), vec![asset]);
        let by_kind = api.get("/api/v1/systems?kind=email", &admin).await.ok(200);
        assert!(ids(&by_kind).is_empty());
        let searched = api.get("/api/v1/units?q=khoa", &admin).await.ok(200);
        assert_eq!(ids(&searched), vec![department]);

        // A unit with systems cannot go: 409 naming why.
        let conflict = api
            .delete(&format!("/api/v1/units/{department}"), &admin)
            .await;
        conflict.problem(409);

        for (collection, id) in [
            ("contacts", contact),
            ("assets", asset),
            ("systems", system),
            ("units", department),
            ("units", province),
            ("authorities", authority),
        ] {
            let reply = api
                .delete(&format!("/api/v1/{collection}/{id}"), &admin)
                .await;
            assert_eq!(reply.status.as_u16(), 204, "{collection}: {}", reply.text());
            api.get(&format!("/api/v1/{collection}/{id}"), &admin)
                .await
                .problem(404);
            api.delete(&format!("/api/v1/{collection}/{id}"), &admin)
                .await
                .problem(404);
        }

        // The audit log saw it all, and the dashboard counts are back to zero.
        let audit = api.get("/api/v1/audit?entity=asset", &admin).await.ok(200);
        assert!(audit["total"].as_u64().unwrap() >= 3, "{audit}");
        let dashboard = api.get("/api/v1/dashboard", &admin).await.ok(200);
        assert_eq!(dashboard["units"], 0);
    }
}

#[tokio::test]
async fn pagination_pages_and_links() {
    for api in apis().await {
        let admin = api.admin().await;
        for i in 0..5 {
            api.post(
                "/api/v1/units",
                &admin,
                json!({"name": format!("Đơn vị {i}"), "kind": "enterprise"}),
            )
            .await
            .ok(201);
        }
        let reply = api
            .get("/api/v1/units?per_page=2&page=2&kind=enterprise", &admin)
            .await;
        let page = reply.ok(200);
        assert_eq!(page["total"], 5);
        assert_eq!(page["page"], 2);
        assert_eq!(page["per_page"], 2);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let link = reply.headers["link"].to_str().unwrap();
        assert!(link.contains("kind=enterprise"), "{link}");
        assert!(link.contains("page=3>; rel=\"next\""), "{link}");
        assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
        let last = api
            .get("/api/v1/units?per_page=2&page=3", &admin)
            .await
            .ok(200);
        assert_eq!(last["items"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn invalid_values_are_422_naming_the_field() {
    for api in apis().await {
        let admin = api.admin().await;
        let unit = api
            .post(
                "/api/v1/units",
                &admin,
                json!({"name": "Sở Y tế", "kind": "department"}),
            )
            .await
            .ok(201)["id"]
            .as_i64()
            .unwrap();
        let system = api
            .post(
                "/api/v1/systems",
                &admin,
                json!({"name": "Cổng", "kind": "portal", "owner_unit_id": unit}),
            )
            .await
            .ok(201)["id"]
            .as_i64()
            .unwrap();
        let cases = [
            ("units", json!({"name": "  ", "kind": "department"}), "name"),
            (
                "units",
                json!({"name": "X", "kind": "department", "valid_from": "2025-07-01", "valid_to": "2025-06-30"}),
                "valid_to",
            ),
            (
                "systems",
                json!({"name": "Y", "kind": "portal", "owner_unit_id": unit, "security_level": 7}),
                "security_level",
            ),
            (
                "assets",
                json!({"system_id": system, "kind": "ip", "value": "203.0.113.300"}),
                "value",
            ),
            (
                "assets",
                json!({"system_id": system, "kind": "cidr", "value": "203.0.113.7/24"}),
                "value",
            ),
            (
                "assets",
                json!({"kind": "ip", "value": "203.0.113.3"}),
                "system_id",
            ),
            (
                "contacts",
                json!({"unit_id": unit, "name": "A", "email": "khong-phai-email"}),
                "email",
            ),
            ("contacts", json!({"name": "A"}), "unit_id"),
            (
                "authorities",
                json!({"name": "B", "emails": ["x@"]}),
                "emails",
            ),
            (
                "users",
                json!({"username": "ok.user", "role": "viewer", "password": "ngan"}),
                "password",
            ),
            (
                "users",
                json!({"username": "x", "role": "viewer"}),
                "username",
            ),
            (
                "users",
                json!({"username": "officer", "role": "unit_officer"}),
                "unit_ids",
            ),
        ];
        for (collection, body, field) in cases {
            let reply = api
                .post(&format!("/api/v1/{collection}"), &admin, body.clone())
                .await;
            let problem = reply.problem(422);
            assert_eq!(problem["field"], field, "{collection} {body}: {problem}");
            assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
        }
        // The same checks guard updates.
        api.put(
            &format!("/api/v1/systems/{system}"),
            &admin,
            json!({"name": "Cổng", "kind": "portal", "owner_unit_id": unit, "security_level": 0}),
        )
        .await
        .problem(422);
        // Duplicate codes are conflicts naming the field.
        let dup = api
            .post(
                "/api/v1/units",
                &admin,
                json!({"name": "Sở Y tế", "kind": "department"}),
            )
            .await
            .problem(409);
        assert_eq!(dup["field"], "code", "{dup}");
        // Paging bounds.
        for (query, field) in [
            ("page=0", "page"),
            ("per_page=501", "per_page"),
            ("per_page=0", "per_page"),
            ("page=-3", "page"),
        ] {
            let problem = api
                .get(&format!("/api/v1/units?{query}"), &admin)
                .await
                .problem(422);
            assert_eq!(problem["field"], field, "{query}");
        }
        api.get("/api/v1/units?per_page=500", &admin).await.ok(200);
        api.get("/api/v1/units?page=abc", &admin).await.problem(400);
        api.get("/api/v1/units?kind=so", &admin).await.problem(400);
    }
}

#[tokio::test]
async fn malformed_requests_are_problems() {
    for api in apis_with(WebSettings {
        max_body_bytes: 4096,
        ..WebSettings::default()
    })
    .await
    {
        let Auth::Bearer(secret) = api.admin().await else {
            unreachable!()
        };
        let raw = |method: &str, path: &str, content_type: &str, body: Body| {
            Request::builder()
                .method(method)
                .uri(path)
                .header("authorization", format!("Bearer {secret}"))
                .header("content-type", content_type)
                .body(body)
                .unwrap()
        };
        // Malformed JSON: 400 with serde's message.
        let reply = api
            .send(raw(
                "POST",
                "/api/v1/units",
                "application/json",
                Body::from("{\"name\": "),
            ))
            .await;
        let problem = reply.problem(400);
        assert!(
            problem["detail"].as_str().unwrap().contains("EOF"),
            "{problem}"
        );
        // Wrong types and unknown fields: 400 naming the field.
        let reply = api
            .send(raw(
                "POST",
                "/api/v1/units",
                "application/json",
                Body::from(r#"{"name":"A","kind":"quận"}"#),
            ))
            .await;
        let problem = reply.problem(400);
        assert_eq!(problem["field"], "kind", "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("unknown variant"),
            "{problem}"
        );
        let reply = api
            .send(raw(
                "POST",
                "/api/v1/units",
                "application/json",
                Body::from(r#"{"name":"A","kind":"province","secret":1}"#),
            ))
            .await;
        assert_eq!(reply.problem(400)["field"], "secret");
        let reply = api
            .send(raw(
                "POST",
                "/api/v1/units",
                "application/json",
                Body::from(r#"{"kind":"province"}"#),
            ))
            .await;
        assert_eq!(reply.problem(400)["field"], "name");
        // Not JSON at all: 415.
        api.send(raw(
            "POST",
            "/api/v1/units",
            "text/plain",
            Body::from("name=A"),
        ))
        .await
        .problem(415);
        // Oversized, announced or streamed: 413, nothing created.
        let big = format!(r#"{{"name":"{}","kind":"province"}}"#, "x".repeat(5000));
        api.send(raw(
            "POST",
            "/api/v1/units",
            "application/json",
            Body::from(big.clone()),
        ))
        .await
        .problem(413);
        let stream = futures_stream(big);
        api.send(raw("POST", "/api/v1/units", "application/json", stream))
            .await
            .problem(413);
        let units = api
            .get("/api/v1/units", &Auth::Bearer(secret.clone()))
            .await
            .ok(200);
        assert_eq!(units["total"], 0);
        // Unknown routes and methods under /api: 404 / 405 problems, not the console's HTML.
        for path in [
            "/api/v1/nothing",
            "/api/v1/units/1/nothing",
            "/api/v2/units",
            "/api/v1",
        ] {
            let reply = api.get(path, &Auth::Bearer(secret.clone())).await;
            assert_eq!(
                reply.problem(404)["type"],
                "urn:canhgac:problem:not-found",
                "{path}"
            );
        }
        let unauthenticated = api.get("/api/v1/nothing/at/all", &Auth::None).await;
        unauthenticated.problem(404);
        api.send(raw(
            "PATCH",
            "/api/v1/units",
            "application/json",
            Body::from("{}"),
        ))
        .await
        .problem(405);
        // Ids that are not numbers name nothing.
        api.get("/api/v1/units/abc", &Auth::Bearer(secret.clone()))
            .await
            .problem(404);
    }
}

/// A body without a length, so only the streaming limit can stop it.
fn futures_stream(text: String) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = text
        .into_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    Body::from_stream(tokio_stream_iter(chunks))
}

fn tokio_stream_iter(
    chunks: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    struct Iter(std::vec::IntoIter<Result<Vec<u8>, std::io::Error>>);
    impl futures_core::Stream for Iter {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Iter(chunks.into_iter())
}
