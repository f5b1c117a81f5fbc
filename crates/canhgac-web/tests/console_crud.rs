//! Console forms: create, edit and delete units, systems, assets, contacts, authorities and
//! users; validation messages next to fields with the input kept; role checks; the dashboard;
//! inventory import (preview, confirm) and export.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use axum::http::Method;
use canhgac_model::{AssetKind, PageRequest, Role, Scope, SystemKind};
use canhgac_store::{AssetFilter, ContactFilter, SystemFilter};
use console_support::*;

#[tokio::test]
async fn create_unit_system_asset_contact_through_forms() {
    for app in apps().await {
        let mut b = admin(&app).await;

        let new_unit = b.get(&app, "/units/new").await;
        new_unit.expect(200);
        assert!(
            new_unit.body.contains("name=\"parent_id\"") && new_unit.body.contains("Sở/ban/ngành")
        );
        let province = b
            .post(
                &app,
                "/units/new",
                "/units",
                &[("name", "UBND tỉnh Hòa Bình Xanh"), ("kind", "province")],
            )
            .await
            .created_id();
        let province_id = province.to_string();
        let dept = b
            .post(
                &app,
                "/units/new",
                "/units",
                &[
                    ("name", "Sở Khoa học và Công nghệ"),
                    ("kind", "department"),
                    ("parent_id", &province_id),
                    ("address", "12 Đường Hoa Sữa"),
                    ("valid_from", "01/03/2025"),
                ],
            )
            .await
            .created_id();
        let page = b.get(&app, &format!("/units/{dept}")).await;
        page.expect(200);
        assert_eq!(page.h1(), "Sở Khoa học và Công nghệ");
        assert!(
            page.body.contains("so-khoa-hoc-va-cong-nghe"),
            "code derived from the name"
        );
        assert!(page.body.contains("01/03/2025") && page.body.contains("UBND tỉnh Hòa Bình Xanh"));

        // The tree shows the child indented under its parent.
        let tree = b.get(&app, "/units").await;
        let p = tree.body.find("UBND tỉnh Hòa Bình Xanh").unwrap();
        let c = tree.body.find("Sở Khoa học và Công nghệ").unwrap();
        assert!(p < c);
        assert!(tree.body.contains("data-depth=\"1\""));
        let search = b.get(&app, "/units?q=khoa+h%E1%BB%8Dc").await;
        assert!(
            search.body.contains("Sở Khoa học và Công nghệ")
                && !search.body.contains(">UBND tỉnh Hòa Bình Xanh<")
        );

        // A system owned by the department.
        let dept_id = dept.to_string();
        let system = b
            .post(
                &app,
                &format!("/systems/new?owner_unit_id={dept}"),
                "/systems",
                &[
                    ("name", "Cổng thông tin điện tử Sở"),
                    ("kind", "portal"),
                    ("owner_unit_id", &dept_id),
                    ("operator_unit_id", &province_id),
                    ("security_level", "3"),
                    ("level_decision_number", "123/QĐ-UBND"),
                    ("level_decision_date", "15/08/2024"),
                    ("information_class", "personal"),
                    ("services", "web\nDNS\n"),
                    ("security_controls", "WAF\ntường lửa"),
                    ("isp", "VNPT"),
                ],
            )
            .await
            .created_id();
        let page = b.get(&app, &format!("/systems/{system}")).await;
        page.expect(200);
        assert_eq!(page.h1(), "Cổng thông tin điện tử Sở");
        assert!(page.body.contains("Cổng thông tin điện tử") && page.body.contains("15/08/2024"));
        let stored = app
            .state
            .store
            .get_system(&Scope::All, system)
            .await
            .unwrap();
        assert_eq!(stored.kind, SystemKind::Portal);
        assert_eq!(stored.security_level, Some(3));
        assert_eq!(stored.services, vec!["web", "DNS"]);
        assert_eq!(stored.operator_unit_id, Some(province));

        // An asset with a bad CIDR comes back with the message next to the field and the input kept.
        let system_id = system.to_string();
        let bad = b
            .post(
                &app,
                &format!("/assets/new?system_id={system}"),
                "/assets",
                &[
                    ("system_id", &system_id),
                    ("kind", "cidr"),
                    ("value", "203.0.113.7/24"),
                    ("name", "dải DMZ"),
                ],
            )
            .await;
        bad.expect(422);
        assert!(
            bad.body.contains("class=\"field-error\"") && bad.body.contains("203.0.113.0/24"),
            "{}",
            bad.body
        );
        assert!(
            bad.body.contains("value=\"dải DMZ\"") && bad.body.contains("value=\"203.0.113.7/24\"")
        );
        let asset = b
            .post(
                &app,
                "/assets/new",
                "/assets",
                &[
                    ("system_id", &system_id),
                    ("kind", "domain"),
                    ("value", "Portal.HoaBinhXanh.GOV.vn"),
                    ("os", "Ubuntu"),
                    ("os_version", "22.04"),
                    ("software", "nginx | 1.24.0\nWordPress | 6.5"),
                ],
            )
            .await
            .created_id();
        let page = b.get(&app, &format!("/assets/{asset}")).await;
        assert_eq!(page.h1(), "portal.hoabinhxanh.gov.vn");
        let stored = app.state.store.get_asset(&Scope::All, asset).await.unwrap();
        assert_eq!(stored.kind, AssetKind::Domain);
        assert_eq!(stored.software.len(), 2);
        assert_eq!(stored.software[1].version.as_deref(), Some("6.5"));
        assert!(b
            .get(&app, &format!("/systems/{system}"))
            .await
            .body
            .contains("portal.hoabinhxanh.gov.vn"));

        // A contact of the department, with a bad email first.
        let bad = b
            .post(
                &app,
                "/contacts/new",
                "/contacts",
                &[
                    ("unit_id", &dept_id),
                    ("name", "Nguyễn Văn An"),
                    ("email", "not-an-email"),
                ],
            )
            .await;
        bad.expect(422);
        assert!(
            bad.body.contains("id=\"email-error\"") && bad.body.contains("value=\"Nguyễn Văn An\"")
        );
        let contact = b
            .post(
                &app,
                "/contacts/new",
                "/contacts",
                &[
                    ("unit_id", &dept_id),
                    ("name", "Nguyễn Văn An"),
                    ("position", "Phó Giám đốc"),
                    ("phone", "0912 345 678"),
                    ("email", "an@khcn.example.vn"),
                ],
            )
            .await
            .created_id();
        assert_eq!(
            b.get(&app, &format!("/contacts/{contact}")).await.h1(),
            "Nguyễn Văn An"
        );
        let unit_page = b.get(&app, &format!("/units/{dept}")).await;
        for text in ["Cổng thông tin điện tử Sở", "Nguyễn Văn An"] {
            assert!(unit_page.body.contains(text), "{text}");
        }

        // The dashboard counts it all.
        let dash = b.get(&app, "/").await;
        assert_eq!(dash.count("units"), 2);
        assert_eq!(dash.count("systems"), 1);
        assert_eq!(dash.count("assets"), 1);
        assert_eq!(dash.count("contacts"), 1);
        assert!(dash.body.contains("data-kind=\"portal\""));

        // Listings and filters.
        let list = b
            .get(&app, &format!("/systems?unit_id={dept}&kind=portal"))
            .await;
        assert!(list.body.contains("Cổng thông tin điện tử Sở"));
        let none = b.get(&app, "/systems?kind=email").await;
        assert!(!none.body.contains("Cổng thông tin điện tử Sở"));
        assert!(b
            .get(&app, "/assets?q=portal")
            .await
            .body
            .contains("portal.hoabinhxanh.gov.vn"));
        assert!(b
            .get(&app, "/contacts")
            .await
            .body
            .contains("Nguyễn Văn An"));

        // Edit keeps what is not changed, and a duplicate code is shown next to the field.
        let edit = b.get(&app, &format!("/systems/{system}/edit")).await;
        edit.expect(200);
        assert!(edit.body.contains("value=\"123/QĐ-UBND\"") && edit.body.contains("15/08/2024"));
        let updated = b
            .post(
                &app,
                &format!("/systems/{system}/edit"),
                &format!("/systems/{system}"),
                &[
                    ("name", "Cổng TTĐT Sở KH&CN"),
                    ("code", "cong-so"),
                    ("kind", "portal"),
                    ("owner_unit_id", &dept_id),
                    ("security_level", "2"),
                ],
            )
            .await;
        updated.expect(303);
        let stored = app
            .state
            .store
            .get_system(&Scope::All, system)
            .await
            .unwrap();
        assert_eq!(
            (stored.name.as_str(), stored.security_level),
            ("Cổng TTĐT Sở KH&CN", Some(2))
        );
        let dup = b
            .post(
                &app,
                "/units/new",
                "/units",
                &[
                    ("name", "Trùng mã"),
                    ("code", "so-khoa-hoc-va-cong-nghe"),
                    ("kind", "department"),
                    ("parent_id", &province_id),
                ],
            )
            .await;
        dup.expect(422);
        assert!(dup.body.contains("id=\"code-error\""), "{}", dup.body);
        assert!(dup.body.contains("value=\"Trùng mã\""));
        let bad_date = b
            .post(
                &app,
                "/units/new",
                "/units",
                &[
                    ("name", "Ngày sai"),
                    ("kind", "commune"),
                    ("valid_from", "31/02/2025"),
                ],
            )
            .await;
        bad_date.expect(422);
        assert!(
            bad_date.body.contains("id=\"valid_from-error\"")
                && bad_date.body.contains("value=\"31/02/2025\"")
        );

        // Every failing field is reported at once, not only the first one.
        let both = b
            .post(
                &app,
                "/units/new",
                "/units",
                &[
                    ("name", " "),
                    ("kind", "commune"),
                    ("valid_to", "1/13/2025"),
                ],
            )
            .await;
        both.expect(422);
        assert!(
            both.body.contains("id=\"name-error\"") && both.body.contains("id=\"valid_to-error\""),
            "{}",
            both.body
        );

        // Deleting: a unit that still has children is refused, the records survive.
        b.post(
            &app,
            &format!("/units/{province}"),
            &format!("/units/{province}/delete"),
            &[],
        )
        .await
        .expect(400);
        app.state
            .store
            .get_unit(&Scope::All, province)
            .await
            .unwrap();
        b.post(
            &app,
            &format!("/assets/{asset}"),
            &format!("/assets/{asset}/delete"),
            &[],
        )
        .await
        .expect(303);
        b.post(
            &app,
            &format!("/contacts/{contact}"),
            &format!("/contacts/{contact}/delete"),
            &[],
        )
        .await
        .expect(303);
        b.post(
            &app,
            &format!("/systems/{system}"),
            &format!("/systems/{system}/delete"),
            &[],
        )
        .await
        .expect(303);
        b.post(
            &app,
            &format!("/units/{dept}"),
            &format!("/units/{dept}/delete"),
            &[],
        )
        .await
        .expect(303);
        b.get(&app, &format!("/units/{dept}")).await.expect(404);
        let scope = Scope::All;
        let all = PageRequest::default();
        assert_eq!(
            app.state
                .store
                .list_systems(&scope, &SystemFilter::default(), &all)
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            app.state
                .store
                .list_assets(&scope, &AssetFilter::default(), &all)
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            app.state
                .store
                .list_contacts(&scope, &ContactFilter::default(), &all)
                .await
                .unwrap()
                .total,
            0
        );

        // Every change is in the audit log, shown to the admin with before/after.
        let audit = b.get(&app, "/audit?entity=system").await;
        audit.expect(200);
        assert!(
            audit.body.contains("Cổng TTĐT Sở KH&amp;CN")
                && audit.body.contains("data-action=\"update\"")
        );
    }
}

#[tokio::test]
async fn viewers_read_only_and_authorities_for_admins_and_analysts() {
    for app in apps().await {
        let mut admin = admin(&app).await;
        let unit = admin
            .post(
                &app,
                "/units/new",
                "/units",
                &[("name", "Sở Y tế"), ("kind", "department")],
            )
            .await
            .created_id();
        create_user(&app, "xem", Role::Viewer, Vec::new()).await;
        let mut viewer = Browser::new();
        viewer.login(&app, "xem", PASSWORD).await;

        let page = viewer.get(&app, &format!("/units/{unit}")).await;
        page.expect(200);
        assert!(
            !page.body.contains(&format!("/units/{unit}/edit")) && !page.body.contains("/delete")
        );
        assert!(!viewer
            .get(&app, "/units")
            .await
            .body
            .contains("href=\"/units/new\""));
        viewer.get(&app, "/units/new").await.expect(403);
        viewer
            .get(&app, &format!("/units/{unit}/edit"))
            .await
            .expect(403);
        let csrf = viewer.get(&app, "/").await.csrf();
        viewer
            .post_raw(
                &app,
                "/units",
                &[
                    ("csrf", &csrf),
                    ("name", "Không được"),
                    ("kind", "department"),
                ],
            )
            .await
            .expect(403);
        viewer
            .post_raw(
                &app,
                &format!("/units/{unit}"),
                &[("csrf", &csrf), ("name", "Đổi tên"), ("kind", "department")],
            )
            .await
            .expect(403);
        viewer
            .post_raw(&app, &format!("/units/{unit}/delete"), &[("csrf", &csrf)])
            .await
            .expect(403);
        assert_eq!(
            app.state
                .store
                .get_unit(&Scope::All, unit)
                .await
                .unwrap()
                .name,
            "Sở Y tế"
        );
        viewer.get(&app, "/authorities/new").await.expect(403);

        // Authorities: effective dates shown; analysts edit, unit officers do not.
        let authority = admin
            .post(
                &app,
                "/authorities/new",
                "/authorities",
                &[
                    (
                        "name",
                        "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam",
                    ),
                    ("code", "vncert"),
                    ("emails", "ir@vncert.example.vn\nbaocao@vncert.example.vn"),
                    ("valid_from", "01/03/2025"),
                ],
            )
            .await
            .created_id();
        let page = viewer.get(&app, &format!("/authorities/{authority}")).await;
        page.expect(200);
        assert!(page.body.contains("01/03/2025") && page.body.contains("Đang hiệu lực"));
        assert!(!page.body.contains("/edit"));
        let stored = app.state.store.get_authority(authority).await.unwrap();
        assert_eq!(stored.emails.len(), 2);

        create_user(&app, "phantich", Role::Analyst, Vec::new()).await;
        let mut analyst = Browser::new();
        analyst.login(&app, "phantich", PASSWORD).await;
        analyst
            .post(
                &app,
                &format!("/authorities/{authority}/edit"),
                &format!("/authorities/{authority}"),
                &[
                    ("name", "VNCERT/CC"),
                    ("code", "vncert"),
                    ("valid_from", "01/03/2025"),
                    ("valid_to", "31/12/2024"),
                ],
            )
            .await
            .expect(422);
        analyst
            .post(
                &app,
                &format!("/authorities/{authority}/edit"),
                &format!("/authorities/{authority}"),
                &[
                    ("name", "VNCERT/CC"),
                    ("code", "vncert"),
                    ("valid_from", "01/03/2025"),
                ],
            )
            .await
            .expect(303);
        assert_eq!(
            app.state.store.get_authority(authority).await.unwrap().name,
            "VNCERT/CC"
        );
        analyst.get(&app, "/users").await.expect(403);

        create_user(&app, "canbo", Role::UnitOfficer, vec![unit]).await;
        let mut officer = Browser::new();
        officer.login(&app, "canbo", PASSWORD).await;
        officer
            .get(&app, &format!("/authorities/{authority}/edit"))
            .await
            .expect(403);
        let csrf = officer.get(&app, "/").await.csrf();
        officer
            .post_raw(
                &app,
                &format!("/authorities/{authority}/delete"),
                &[("csrf", &csrf)],
            )
            .await
            .expect(403);
        app.state.store.get_authority(authority).await.unwrap();
    }
}

#[tokio::test]
async fn admins_manage_users_and_tokens() {
    for app in apps().await {
        let mut b = admin(&app).await;
        let unit = b
            .post(
                &app,
                "/units/new",
                "/units",
                &[("name", "Sở Nội vụ"), ("kind", "department")],
            )
            .await
            .created_id();
        let unit_s = unit.to_string();
        // A unit officer needs a unit; the message sits next to the field.
        let bad = b
            .post(
                &app,
                "/users/new",
                "/users",
                &[
                    ("username", "canbo.noivu"),
                    ("role", "unit_officer"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        bad.expect(422);
        assert!(
            bad.body.contains("id=\"unit_ids-error\"")
                && bad.body.contains("value=\"canbo.noivu\"")
        );
        let weak = b
            .post(
                &app,
                "/users/new",
                "/users",
                &[
                    ("username", "canbo.noivu"),
                    ("role", "unit_officer"),
                    ("unit_ids", &unit_s),
                    ("password", "12345"),
                ],
            )
            .await;
        weak.expect(422);
        assert!(weak.body.contains("id=\"password-error\""));
        let user = b
            .post(
                &app,
                "/users/new",
                "/users",
                &[
                    ("username", "canbo.noivu"),
                    ("display_name", "Trần Thị Bình"),
                    ("role", "unit_officer"),
                    ("unit_ids", &unit_s),
                    ("password", PASSWORD),
                ],
            )
            .await
            .created_id();
        let page = b.get(&app, &format!("/users/{user}")).await;
        assert_eq!(page.h1(), "canbo.noivu");
        assert!(page.body.contains("Cán bộ đơn vị") && page.body.contains("Sở Nội vụ"));
        let mut officer = Browser::new();
        officer.login(&app, "canbo.noivu", PASSWORD).await;

        // An API token: the secret is shown once and works as a Bearer token.
        let created = b
            .post(
                &app,
                &format!("/users/{user}"),
                &format!("/users/{user}/tokens"),
                &[("name", "syslog relay")],
            )
            .await;
        created.expect(200);
        let secret = attr_after(&created.body, "data-token-secret>")
            .map(|_| ())
            .is_some();
        assert!(secret || created.body.contains("data-token-secret"));
        let start = created.body.find("data-token-secret>").unwrap() + "data-token-secret>".len();
        let end = created.body[start..].find('<').unwrap() + start;
        let secret = created.body[start..end].to_string();
        assert!(secret.starts_with("cgk_"), "{secret}");
        let shown_again = b.get(&app, &format!("/users/{user}")).await;
        assert!(!shown_again.body.contains(&secret));
        let token_user = app
            .state
            .store
            .api_token_user(&canhgac_web::auth::secret_hash(&secret))
            .await
            .unwrap();
        assert_eq!(token_user.unwrap().id, user);
        let tokens = app.state.store.list_api_tokens(user).await.unwrap();
        let token_id = tokens[0].id;
        b.post(
            &app,
            &format!("/users/{user}"),
            &format!("/users/{user}/tokens/{token_id}/revoke"),
            &[],
        )
        .await
        .expect(303);
        assert!(app
            .state
            .store
            .api_token_user(&canhgac_web::auth::secret_hash(&secret))
            .await
            .unwrap()
            .is_none());

        // Reset the password: old sessions end, the new password works.
        let new_password = "Mật-khẩu-mới-2026!";
        b.post(
            &app,
            &format!("/users/{user}"),
            &format!("/users/{user}/password"),
            &[("password", "ngắn")],
        )
        .await
        .expect(422);
        b.post(
            &app,
            &format!("/users/{user}"),
            &format!("/users/{user}/password"),
            &[("password", new_password)],
        )
        .await
        .expect(303);
        officer.get(&app, "/").await.expect(303);
        let mut again = Browser::new();
        again.login(&app, "canbo.noivu", new_password).await;

        // Disable: sign-in refused.
        b.post(
            &app,
            &format!("/users/{user}"),
            &format!("/users/{user}/disable"),
            &[],
        )
        .await
        .expect(303);
        assert!(app.state.store.get_user(user).await.unwrap().disabled);
        again.get(&app, "/").await.expect(303);
        Browser::new()
            .post_raw(
                &app,
                "/login",
                &[("username", "canbo.noivu"), ("password", new_password)],
            )
            .await
            .expect(401);
        b.post(
            &app,
            &format!("/users/{user}"),
            &format!("/users/{user}/enable"),
            &[],
        )
        .await
        .expect(303);

        // Edit keeps the multi-select scope; an admin cannot lock themselves out.
        let edit = b.get(&app, &format!("/users/{user}/edit")).await;
        assert!(
            edit.body
                .contains(&format!("<option value=\"{unit}\" selected>")),
            "{}",
            edit.body
        );
        let me = app
            .state
            .store
            .user_credentials("admin")
            .await
            .unwrap()
            .unwrap()
            .user
            .id;
        b.post(
            &app,
            &format!("/users/{me}/edit"),
            &format!("/users/{me}"),
            &[("username", "admin"), ("role", "viewer")],
        )
        .await
        .expect(422);
        assert_eq!(
            app.state.store.get_user(me).await.unwrap().role,
            Role::Admin
        );
        b.post(
            &app,
            &format!("/users/{user}"),
            &format!("/users/{user}/delete"),
            &[],
        )
        .await
        .expect(303);
        b.get(&app, &format!("/users/{user}")).await.expect(404);
    }
}

const YAML: &str = "\
units:
  - code: tinh-hbx
    name: UBND tỉnh Hòa Bình Xanh
    kind: province
  - code: so-khcn
    name: Sở Khoa học và Công nghệ
    kind: department
    parent: tinh-hbx
systems:
  - code: cong-ttdt
    name: Cổng thông tin điện tử tỉnh
    kind: portal
    owner: tinh-hbx
    operator: so-khcn
    security_level: 3
    assets:
      - kind: domain
        value: hoabinhxanh.example.vn
contacts:
  - unit: so-khcn
    name: Lê Văn Cường
    phone: 0912 000 111
";

fn multipart(csrf: &str, file_name: &str, content: &str, prune: bool) -> (String, Vec<u8>) {
    let boundary = "----canhgacTestBoundary7MA4YWxk";
    let mut body = String::new();
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
    ));
    if prune {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"prune\"\r\n\r\n1\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[tokio::test]
async fn inventory_import_previews_then_applies_and_export_round_trips() {
    for app in apps().await {
        let mut b = admin(&app).await;
        let page = b.get(&app, "/inventory").await;
        page.expect(200);
        assert!(page.body.contains("enctype=\"multipart/form-data\""));
        let csrf = page.csrf();

        // Without the CSRF token, nothing is even parsed.
        let (ct, body) = multipart("forged", "units.yaml", YAML, false);
        b.send(&app, Method::POST, "/inventory", Some(&ct), body)
            .await
            .expect(403);

        // Errors name file, line and field; nothing is written.
        let broken = YAML.replace("kind: department", "kind: sở");
        let (ct, body) = multipart(&csrf, "tinh.yaml", &broken, false);
        let errors = b
            .send(&app, Method::POST, "/inventory", Some(&ct), body)
            .await;
        errors.expect(422);
        assert!(
            errors.body.contains("tinh.yaml:7: kind:"),
            "{}",
            errors.body
        );
        assert_eq!(
            app.state.store.all_units(&Scope::All).await.unwrap().len(),
            0
        );

        // Preview lists the creates; nothing is written until confirmed.
        let (ct, body) = multipart(&csrf, "tinh.yaml", YAML, false);
        let preview = b
            .send(&app, Method::POST, "/inventory", Some(&ct), body)
            .await;
        preview.expect(200);
        assert!(
            preview.body.contains("data-plan=\"created\">5<"),
            "{}",
            preview.body
        );
        assert!(preview.body.contains("data-op=\"create\"") && preview.body.contains("cong-ttdt"));
        assert_eq!(
            app.state.store.all_units(&Scope::All).await.unwrap().len(),
            0
        );
        let stash = attr_after(&preview.body, "name=\"stash\" value=\"").unwrap();

        // The stash belongs to its uploader.
        create_user(&app, "admin2", Role::Admin, Vec::new()).await;
        let mut other = Browser::new();
        other.login(&app, "admin2", PASSWORD).await;
        let other_csrf = other.get(&app, "/inventory").await.csrf();
        other
            .post_raw(
                &app,
                "/inventory/apply",
                &[("csrf", &other_csrf), ("stash", &stash)],
            )
            .await
            .expect(410);

        assert_eq!(
            app.state.store.all_units(&Scope::All).await.unwrap().len(),
            0
        );
        let applied = b
            .post_raw(
                &app,
                "/inventory/apply",
                &[("csrf", &csrf), ("stash", &stash)],
            )
            .await;
        applied.expect(200);
        assert!(
            applied.body.contains("data-applied=\"created\">5<"),
            "{}",
            applied.body
        );
        assert_eq!(
            app.state.store.all_units(&Scope::All).await.unwrap().len(),
            2
        );
        b.post_raw(
            &app,
            "/inventory/apply",
            &[("csrf", &csrf), ("stash", &stash)],
        )
        .await
        .expect(410);

        // Re-importing the same file changes nothing.
        let (ct, body) = multipart(&csrf, "tinh.yaml", YAML, false);
        let again = b
            .send(&app, Method::POST, "/inventory", Some(&ct), body)
            .await;
        again.expect(200);
        assert!(again.body.contains("data-plan=\"empty\""), "{}", again.body);

        // An update shows the changed field.
        let changed = YAML.replace("security_level: 3", "security_level: 4");
        let (ct, body) = multipart(&csrf, "tinh.yaml", &changed, false);
        let preview = b
            .send(&app, Method::POST, "/inventory", Some(&ct), body)
            .await;
        assert!(
            preview.body.contains("data-plan=\"updated\">1<")
                && preview.body.contains("security_level: 3 → 4")
        );

        // Export, and importing the export is a no-op.
        let export = b.get(&app, "/inventory/export.yaml").await;
        export.expect(200);
        assert!(
            export.body.contains("cong-ttdt") && export.body.contains("hoabinhxanh.example.vn")
        );
        let (ct, body) = multipart(&csrf, "export.yaml", &export.body, false);
        let again = b
            .send(&app, Method::POST, "/inventory", Some(&ct), body)
            .await;
        assert!(again.body.contains("data-plan=\"empty\""), "{}", again.body);
        let csv = b.get(&app, "/inventory/export/systems.csv").await;
        csv.expect(200);
        assert!(csv.body.contains("cong-ttdt"));
        b.get(&app, "/inventory/export/passwd.csv")
            .await
            .expect(404);
    }
}

/// A province too large to render whole: the tree shows two levels with links to expand the
/// rest, and listings show their unit/system filter as a removable chip instead of a drop-down
/// of every unit.
#[tokio::test]
async fn large_trees_expand_lazily_and_filters_are_chips() {
    use canhgac_model::{Actor, AssetInput, SystemInput, UnitInput, UnitKind};
    for app in apps().await {
        let s = &app.state.store;
        let actor = Actor::system("test");
        let province = s
            .create_unit(
                &actor,
                UnitInput::new("UBND tỉnh Lớn", UnitKind::Province, None),
            )
            .await
            .unwrap()
            .id;
        let mut departments = Vec::new();
        for d in 0..20 {
            let dept = s
                .create_unit(
                    &actor,
                    UnitInput::new(
                        format!("Sở số {d:02}"),
                        UnitKind::Department,
                        Some(province),
                    ),
                )
                .await
                .unwrap()
                .id;
            for c in 0..15 {
                s.create_unit(
                    &actor,
                    UnitInput::new(
                        format!("Phòng {c:02} của Sở {d:02}"),
                        UnitKind::PublicServiceUnit,
                        Some(dept),
                    ),
                )
                .await
                .unwrap();
            }
            departments.push(dept);
        }
        let mut b = admin(&app).await;

        // 321 units: the province and its departments, each with a link to its 15 children.
        let tree = b.get(&app, "/units").await;
        tree.expect(200);
        assert!(tree.body.contains(">UBND tỉnh Lớn<") && tree.body.contains(">Sở số 19<"));
        assert!(!tree.body.contains("Phòng 00 của Sở 00"), "{}", app.name);
        assert!(!tree.body.contains("data-depth=\"2\""));
        assert_eq!(tree.body.matches("data-hidden=\"15\"").count(), 20);
        let d0 = departments[0];
        assert!(tree.body.contains(&format!("href=\"/units?root={d0}\"")));

        // Expanding a department shows its whole (small) subtree, with the way back up.
        let sub = b.get(&app, &format!("/units?root={d0}")).await;
        sub.expect(200);
        assert!(sub.body.contains("Phòng 00 của Sở 00") && sub.body.contains("Phòng 14 của Sở 00"));
        assert!(!sub.body.contains("Phòng 00 của Sở 01") && !sub.body.contains(">Sở số 01<"));
        assert!(sub
            .body
            .contains(&format!("href=\"/units?root={province}\"")));
        assert!(sub.body.contains("data-depth=\"1\"") && !sub.body.contains("data-hidden="));
        // An unknown root falls back to the whole tree.
        let unknown = b.get(&app, "/units?root=999999").await;
        assert!(unknown.body.contains(">UBND tỉnh Lớn<"));

        // The unit page leads to the filtered listings.
        let unit_page = b.get(&app, &format!("/units/{d0}")).await;
        assert!(unit_page
            .body
            .contains(&format!("href=\"/systems?unit_id={d0}\"")));
        assert!(unit_page
            .body
            .contains(&format!("href=\"/assets?unit_id={d0}\"")));
        assert!(unit_page
            .body
            .contains(&format!("href=\"/contacts?unit_id={d0}\"")));

        let system = s
            .create_system(
                &actor,
                SystemInput::new("Cổng Sở 00", SystemKind::Portal, d0),
            )
            .await
            .unwrap()
            .id;
        s.create_system(
            &actor,
            SystemInput::new("Thư Sở 01", SystemKind::Email, departments[1]),
        )
        .await
        .unwrap();
        s.create_asset(&actor, {
            let mut a = AssetInput::new(AssetKind::Domain, "so00.example.vn");
            a.system_id = system;
            a
        })
        .await
        .unwrap();

        // The unit filter is a named chip (no drop-down of every unit); removing it keeps the rest.
        let systems = b
            .get(&app, &format!("/systems?unit_id={d0}&kind=portal"))
            .await;
        systems.expect(200);
        assert!(systems.body.contains("Cổng Sở 00") && !systems.body.contains("Thư Sở 01"));
        assert!(
            systems.body.contains("data-filter=\"unit_id\">Sở số 00<"),
            "the chip names the unit"
        );
        assert!(systems.body.contains("href=\"/systems?kind=portal\""));
        assert!(systems
            .body
            .contains(&format!("name=\"unit_id\" value=\"{d0}\"")));
        assert!(!systems.body.contains("<select id=\"unit_id\""));
        let all = b.get(&app, "/systems").await;
        assert!(all.body.contains("Cổng Sở 00") && all.body.contains("Thư Sở 01"));
        assert!(!all.body.contains("data-filter=") && !all.body.contains("Phòng 00 của Sở 00"));

        let assets = b.get(&app, &format!("/assets?unit_id={d0}")).await;
        assert!(
            assets.body.contains("so00.example.vn")
                && assets.body.contains("data-filter=\"unit_id\"")
        );
        let by_system = b
            .get(&app, &format!("/assets?system_id={system}&q=so00"))
            .await;
        assert!(by_system.body.contains("so00.example.vn"));
        assert!(
            by_system.body.contains("data-filter=\"system_id\"")
                && by_system.body.contains("Cổng Sở 00")
        );
        assert!(by_system.body.contains("href=\"/assets?q=so00\""));
        let other = b
            .get(&app, &format!("/assets?unit_id={}", departments[1]))
            .await;
        assert!(!other.body.contains("so00.example.vn"));

        // Forms still offer every unit and system.
        let form = b.get(&app, "/systems/new").await;
        assert!(form.body.contains("Phòng 14 của Sở 19"));
        let form = b.get(&app, "/assets/new").await;
        assert!(form.body.contains("Cổng Sở 00") && form.body.contains("Thư Sở 01"));
    }
}
