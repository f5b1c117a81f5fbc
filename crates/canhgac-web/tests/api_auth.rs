//! Who may call what: tokens, sessions and CSRF, roles, users and their passwords.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::{apis, ids, Auth, PASSWORD};
use canhgac_model::Role;
use canhgac_web::auth;
use serde_json::json;

#[tokio::test]
async fn tokens_authenticate_until_revoked() {
    for api in apis().await {
        // No credential, a wrong one, a malformed header: 401 problems.
        api.get("/api/v1/me", &Auth::None).await.problem(401);
        api.get("/api/v1/units", &Auth::Bearer("cgk_guess".into()))
            .await
            .problem(401);
        let (user, first) = api.user_with_token("analyst", Role::Analyst, vec![]).await;
        let me = api.get("/api/v1/me", &first).await.ok(200);
        assert_eq!(me["id"], user.id);
        assert_eq!(me["role"], "analyst");

        // A token made through the API works, shows its secret once, and lists without it.
        let created = api
            .post(
                "/api/v1/tokens",
                &first,
                json!({"name": "  syslog relay  "}),
            )
            .await
            .ok(201);
        let secret = created["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with(auth::TOKEN_PREFIX) && secret.len() > 40);
        assert_eq!(created["token"]["prefix"], secret[..10]);
        assert_eq!(created["token"]["name"], "syslog relay");
        let second = Auth::Bearer(secret.clone());
        api.get("/api/v1/me", &second).await.ok(200);
        let listed = api.get("/api/v1/tokens", &second).await;
        let tokens = listed.ok(200);
        assert_eq!(tokens.as_array().unwrap().len(), 2, "{tokens}");
        assert!(!listed.text().contains(&secret[8..]), "the secret leaked");
        assert!(!listed.text().contains("hash"));
        api.post("/api/v1/tokens", &first, json!({"name": " "}))
            .await
            .problem(422);

        // Revoked: 401 from then on.
        let id = created["token"]["id"].as_i64().unwrap();
        let reply = api.delete(&format!("/api/v1/tokens/{id}"), &first).await;
        assert_eq!(reply.status.as_u16(), 204, "{}", reply.text());
        api.get("/api/v1/me", &second).await.problem(401);
        api.get("/api/v1/units", &second).await.problem(401);
        api.get("/api/v1/me", &first).await.ok(200);
    }
}

#[tokio::test]
async fn sessions_work_and_writes_need_the_csrf_header() {
    for api in apis().await {
        let user = api.user("analyst", Role::Analyst, vec![]).await;
        let session = api.session_for(user.id).await;
        api.get("/api/v1/me", &session).await.ok(200);
        let created = api
            .post(
                "/api/v1/units",
                &session,
                json!({"name": "Sở Nội vụ", "kind": "department"}),
            )
            .await
            .ok(201);
        let Auth::Session { secret, csrf } = &session else {
            unreachable!()
        };
        for wrong in [None, Some("sai".to_string())] {
            let forged = Auth::Session {
                secret: secret.clone(),
                csrf: wrong,
            };
            api.get("/api/v1/units", &forged).await.ok(200);
            let problem = api
                .post(
                    "/api/v1/units",
                    &forged,
                    json!({"name": "Sở Tư pháp", "kind": "department"}),
                )
                .await
                .problem(403);
            assert!(
                problem["detail"].as_str().unwrap().contains("CSRF"),
                "{problem}"
            );
            api.delete(&format!("/api/v1/units/{}", created["id"]), &forged)
                .await
                .problem(403);
        }
        assert_eq!(api.get("/api/v1/units", &session).await.ok(200)["total"], 1);
        let unknown = Auth::Session {
            secret: "khong-ton-tai".into(),
            csrf: csrf.clone(),
        };
        api.get("/api/v1/me", &unknown).await.problem(401);
        api.post(
            "/api/v1/units",
            &unknown,
            json!({"name": "X", "kind": "department"}),
        )
        .await
        .problem(401);
    }
}

#[tokio::test]
async fn viewers_only_read() {
    for api in apis().await {
        let admin = api.admin().await;
        let unit = api
            .post(
                "/api/v1/units",
                &admin,
                json!({"name": "Sở Tài chính", "kind": "department"}),
            )
            .await
            .ok(201)["id"]
            .as_i64()
            .unwrap();
        let system = api
            .post(
                "/api/v1/systems",
                &admin,
                json!({"name": "Kế toán", "kind": "other", "owner_unit_id": unit}),
            )
            .await
            .ok(201)["id"]
            .as_i64()
            .unwrap();
        let bulletin = api
            .post(
                "/api/v1/bulletins",
                &admin,
                json!({"title": "Bản tin", "body": "Nội dung", "unit_ids": [unit]}),
            )
            .await
            .ok(201)["bulletin"]["id"]
            .as_i64()
            .unwrap();
        let (_, viewer) = api.user_with_token("viewer", Role::Viewer, vec![]).await;
        assert_eq!(api.get("/api/v1/units", &viewer).await.ok(200)["total"], 1);
        // Viewers read bulletins, but not the outbox (admins and analysts).
        assert_eq!(
            api.get("/api/v1/bulletins", &viewer).await.ok(200)["total"],
            1
        );
        api.get("/api/v1/outbox", &viewer).await.problem(403);
        api.get("/api/v1/outbox", &admin).await.ok(200);
        api.get(&format!("/api/v1/systems/{system}"), &viewer)
            .await
            .ok(200);
        let writes = [
            (
                "POST",
                "/api/v1/units".to_string(),
                Some(json!({"name": "X", "kind": "department"})),
            ),
            (
                "PUT",
                format!("/api/v1/units/{unit}"),
                Some(json!({"name": "X", "kind": "department"})),
            ),
            ("DELETE", format!("/api/v1/units/{unit}"), None),
            (
                "POST",
                "/api/v1/systems".into(),
                Some(json!({"name": "X", "kind": "other", "owner_unit_id": unit})),
            ),
            ("DELETE", format!("/api/v1/systems/{system}"), None),
            (
                "POST",
                "/api/v1/assets".into(),
                Some(json!({"system_id": system, "kind": "ip", "value": "192.0.2.1"})),
            ),
            (
                "POST",
                "/api/v1/contacts".into(),
                Some(json!({"unit_id": unit, "name": "X"})),
            ),
            (
                "POST",
                "/api/v1/authorities".into(),
                Some(json!({"name": "X"})),
            ),
            (
                "POST",
                "/api/v1/bulletins".into(),
                Some(json!({"title": "X", "body": "X", "unit_ids": [unit]})),
            ),
            ("POST", format!("/api/v1/bulletins/{bulletin}/remind"), None),
        ];
        for (method, path, body) in writes {
            let reply = api
                .call(method.parse().unwrap(), &path, &viewer, body)
                .await;
            reply.problem(403);
        }
        let reply = api
            .send(
                axum::http::Request::builder()
                    .method("POST")
                    .uri("/api/v1/inventory/import")
                    .header(
                        "authorization",
                        match &viewer {
                            Auth::Bearer(s) => format!("Bearer {s}"),
                            _ => unreachable!(),
                        },
                    )
                    .header("content-type", "application/yaml")
                    .body(axum::body::Body::from("units: []\n"))
                    .unwrap(),
            )
            .await;
        reply.problem(403);
        // Nothing changed.
        assert_eq!(api.get("/api/v1/units", &admin).await.ok(200)["total"], 1);
        assert_eq!(api.get("/api/v1/systems", &admin).await.ok(200)["total"], 1);
    }
}

#[tokio::test]
async fn authorities_are_changed_by_admins_and_analysts_only() {
    for api in apis().await {
        let admin = api.admin().await;
        let (_, analyst) = api.user_with_token("analyst", Role::Analyst, vec![]).await;
        let unit = api
            .post(
                "/api/v1/units",
                &admin,
                json!({"name": "Sở Công Thương", "kind": "department"}),
            )
            .await
            .ok(201)["id"]
            .as_i64()
            .unwrap();
        let (_, officer) = api
            .user_with_token("officer", Role::UnitOfficer, vec![unit])
            .await;
        let created = api
            .post(
                "/api/v1/authorities",
                &analyst,
                json!({"name": "Công an tỉnh", "code": "ca-tinh"}),
            )
            .await
            .ok(201);
        let id = created["id"].as_i64().unwrap();
        api.get(&format!("/api/v1/authorities/{id}"), &officer)
            .await
            .ok(200);
        api.post("/api/v1/authorities", &officer, json!({"name": "X"}))
            .await
            .problem(403);
        api.put(
            &format!("/api/v1/authorities/{id}"),
            &officer,
            json!({"name": "X", "code": "ca-tinh"}),
        )
        .await
        .problem(403);
        api.delete(&format!("/api/v1/authorities/{id}"), &officer)
            .await
            .problem(403);
        let reply = api
            .delete(&format!("/api/v1/authorities/{id}"), &analyst)
            .await;
        assert_eq!(reply.status.as_u16(), 204);
    }
}

#[tokio::test]
async fn only_admins_manage_users_and_read_the_audit_log() {
    for api in apis().await {
        let admin = api.admin().await;
        let unit = api
            .post(
                "/api/v1/units",
                &admin,
                json!({"name": "Sở Xây dựng", "kind": "department"}),
            )
            .await
            .ok(201)["id"]
            .as_i64()
            .unwrap();
        let (_, analyst) = api.user_with_token("analyst", Role::Analyst, vec![]).await;
        let (_, officer) = api
            .user_with_token("officer", Role::UnitOfficer, vec![unit])
            .await;
        let (viewer_user, viewer) = api.user_with_token("viewer", Role::Viewer, vec![]).await;
        for caller in [&analyst, &officer, &viewer] {
            for path in [
                "/api/v1/users".to_string(),
                format!("/api/v1/users/{}", viewer_user.id),
                format!("/api/v1/users/{}/tokens", viewer_user.id),
                "/api/v1/audit".into(),
            ] {
                api.get(&path, caller).await.problem(403);
            }
            api.post(
                "/api/v1/users",
                caller,
                json!({"username": "moi", "role": "admin", "password": PASSWORD}),
            )
            .await
            .problem(403);
            api.post(
                &format!("/api/v1/users/{}/password", viewer_user.id),
                caller,
                json!({"password": PASSWORD}),
            )
            .await
            .problem(403);
            api.post(
                &format!("/api/v1/users/{}/tokens", viewer_user.id),
                caller,
                json!({"name": "x"}),
            )
            .await
            .problem(403);
        }
        assert!(
            api.get("/api/v1/audit", &admin).await.ok(200)["total"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
}

#[tokio::test]
async fn admins_manage_users_passwords_and_their_tokens() {
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
        let reply = api
            .post(
                "/api/v1/users",
                &admin,
                json!({"username": "Can.Bo", "display_name": "Cán bộ Y tế", "role": "unit_officer", "unit_ids": [unit], "password": PASSWORD}),
            )
            .await;
        let created = reply.ok(201);
        assert!(!reply.text().contains("argon2") && !reply.text().contains("password"));
        let id = created["id"].as_i64().unwrap();
        assert_eq!(created["username"], "can.bo");
        let stored = api.store.user_credentials("can.bo").await.unwrap().unwrap();
        assert!(auth::verify_password(
            PASSWORD,
            stored.password_hash.as_deref().unwrap()
        ));
        // Duplicate usernames conflict.
        api.post(
            "/api/v1/users",
            &admin,
            json!({"username": "can.bo", "role": "viewer"}),
        )
        .await
        .problem(409);

        let listed = api.get("/api/v1/users", &admin).await;
        assert!(ids(&listed.ok(200)).contains(&id));
        assert!(!listed.text().contains("argon2"));
        let updated = api
            .put(
                &format!("/api/v1/users/{id}"),
                &admin,
                json!({"username": "can.bo", "display_name": "Cán bộ", "role": "viewer", "unit_ids": [unit]}),
            )
            .await
            .ok(200);
        assert_eq!(updated["role"], "viewer");

        // Passwords: weak ones refused naming the field, strong ones set.
        let weak = api
            .post(
                &format!("/api/v1/users/{id}/password"),
                &admin,
                json!({"password": "12345678"}),
            )
            .await
            .problem(422);
        assert_eq!(weak["field"], "password");
        let new_password = "Mật-khẩu-mới-2026!";
        let reply = api
            .post(
                &format!("/api/v1/users/{id}/password"),
                &admin,
                json!({"password": new_password}),
            )
            .await;
        assert_eq!(reply.status.as_u16(), 204, "{}", reply.text());
        let stored = api.store.user_credentials("can.bo").await.unwrap().unwrap();
        assert!(auth::verify_password(
            new_password,
            stored.password_hash.as_deref().unwrap()
        ));
        api.post(
            "/api/v1/users/987654/password",
            &admin,
            json!({"password": new_password}),
        )
        .await
        .problem(404);

        // Tokens of that user, managed by the admin.
        let token = api
            .post(
                &format!("/api/v1/users/{id}/tokens"),
                &admin,
                json!({"name": "máy quét"}),
            )
            .await
            .ok(201);
        let secret = Auth::Bearer(token["secret"].as_str().unwrap().to_string());
        assert_eq!(api.get("/api/v1/me", &secret).await.ok(200)["id"], id);
        let tokens = api
            .get(&format!("/api/v1/users/{id}/tokens"), &admin)
            .await
            .ok(200);
        assert_eq!(tokens.as_array().unwrap().len(), 1);
        let token_id = token["token"]["id"].as_i64().unwrap();
        let reply = api
            .delete(&format!("/api/v1/users/{id}/tokens/{token_id}"), &admin)
            .await;
        assert_eq!(reply.status.as_u16(), 204);
        api.get("/api/v1/me", &secret).await.problem(401);
        api.get("/api/v1/users/987654/tokens", &admin)
            .await
            .problem(404);

        // An admin cannot lock themself out.
        let me = api.get("/api/v1/me", &admin).await.ok(200);
        let my_id = me["id"].as_i64().unwrap();
        api.delete(&format!("/api/v1/users/{my_id}"), &admin)
            .await
            .problem(409);
        api.put(
            &format!("/api/v1/users/{my_id}"),
            &admin,
            json!({"username": "admin", "role": "viewer"}),
        )
        .await
        .problem(409);

        let reply = api.delete(&format!("/api/v1/users/{id}"), &admin).await;
        assert_eq!(reply.status.as_u16(), 204);
        api.get(&format!("/api/v1/users/{id}"), &admin)
            .await
            .problem(404);
    }
}
