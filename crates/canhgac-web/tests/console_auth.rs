//! Console sign-in: first-admin setup, login/logout, wrong passwords and the rate limit, CSRF,
//! languages, error pages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use std::net::SocketAddr;
use std::time::Duration;

use canhgac_model::{AuditFilter, PageRequest, Role, Scope};
use canhgac_web::WebSettings;
use console_support::*;

#[tokio::test]
async fn setup_creates_the_first_admin_once() {
    for app in apps().await {
        let token = app.state.setup.arm();
        let mut browser = Browser::new();

        // Without users, the sign-in page points at the setup link.
        let login = browser.get(&app, "/login").await;
        login.expect(200);
        assert!(login.body.contains("liên kết cài đặt"), "{}", app.name);

        browser.get(&app, "/setup").await.expect(403);
        browser.get(&app, "/setup?token=wrong").await.expect(403);
        let form = browser.get(&app, &format!("/setup?token={token}")).await;
        form.expect(200);
        assert!(form.body.contains("name=\"password_confirm\""));

        // A weak password is refused next to the field, the username kept.
        let weak = browser
            .post_raw(
                &app,
                "/setup",
                &[
                    ("token", &token),
                    ("username", "quantri"),
                    ("display_name", "Quản trị"),
                    ("password", "short"),
                    ("password_confirm", "short"),
                ],
            )
            .await;
        weak.expect(422);
        assert!(
            weak.body.contains("phải có ít nhất 12 ký tự"),
            "{}",
            weak.body
        );
        assert!(weak.body.contains("value=\"quantri\""));
        let mismatch = browser
            .post_raw(
                &app,
                "/setup",
                &[
                    ("token", &token),
                    ("username", "quantri"),
                    ("password", PASSWORD),
                    ("password_confirm", "Khác-hẳn-2025-xyz"),
                ],
            )
            .await;
        mismatch.expect(422);
        assert!(mismatch.body.contains("Hai mật khẩu không khớp"));
        assert_eq!(app.state.store.count_users().await.unwrap(), 0);

        // A wrong token is refused even with a good form.
        browser
            .post_raw(
                &app,
                "/setup",
                &[
                    ("token", "guess"),
                    ("username", "quantri"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await
            .expect(403);

        let done = browser
            .post_raw(
                &app,
                "/setup",
                &[
                    ("token", &token),
                    ("username", "QuanTri"),
                    ("display_name", "Quản trị viên"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        done.expect(303);
        assert_eq!(done.location(), "/");
        let cookie = done
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("canhgac_session="))
            .expect("session cookie");
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "not configured: {cookie}");

        let users = app
            .state
            .store
            .list_users(&PageRequest::default())
            .await
            .unwrap();
        assert_eq!(users.total, 1);
        assert_eq!(users.items[0].username, "quantri");
        assert_eq!(users.items[0].role, Role::Admin);
        let creds = app
            .state
            .store
            .user_credentials("quantri")
            .await
            .unwrap()
            .unwrap();
        assert!(creds.password_hash.unwrap().starts_with("$argon2id$"));

        // Signed in straight away, and the token is spent.
        let dashboard = browser.get(&app, "/").await;
        dashboard.expect(200);
        assert!(dashboard.body.contains("Quản trị viên"));
        assert!(!app.state.setup.matches(&token));
        browser
            .get(&app, &format!("/setup?token={token}"))
            .await
            .expect(404);
        let mut other = Browser::new();
        other
            .post_raw(
                &app,
                "/setup",
                &[
                    ("token", &token),
                    ("username", "second"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await
            .expect(404);
        assert_eq!(app.state.store.count_users().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn login_and_logout() {
    for app in apps_with(|| WebSettings {
        secure_cookies: true,
        ..WebSettings::default()
    })
    .await
    {
        create_user(&app, "canbo", Role::Analyst, Vec::new()).await;
        let mut browser = Browser::new();

        let bounced = browser.get(&app, "/systems?kind=email").await;
        bounced.expect(303);
        assert_eq!(bounced.location(), "/login?next=/systems%3Fkind%3Demail");

        let form = browser.get(&app, "/login?next=/units").await;
        form.expect(200);
        assert!(form.body.contains("id=\"login-form\""));
        assert!(form.body.contains("name=\"next\" value=\"/units\""));

        let wrong = browser
            .post_raw(
                &app,
                "/login",
                &[
                    ("username", "canbo"),
                    ("password", "sai-mật-khẩu"),
                    ("next", "/units"),
                ],
            )
            .await;
        wrong.expect(401);
        assert!(wrong
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng."));
        assert!(!browser.cookies.contains_key("canhgac_session"));
        // Unknown users get the very same answer.
        let unknown = browser
            .post_raw(
                &app,
                "/login",
                &[("username", "khongco"), ("password", "sai-mật-khẩu")],
            )
            .await;
        unknown.expect(401);
        assert!(unknown
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng."));

        let ok = browser
            .post_raw(
                &app,
                "/login",
                &[
                    ("username", "CanBo"),
                    ("password", PASSWORD),
                    ("next", "/units"),
                ],
            )
            .await;
        ok.expect(303);
        assert_eq!(ok.location(), "/units");
        assert!(ok
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("canhgac_session=") && c.contains("Secure")));
        browser.get(&app, "/units").await.expect(200);

        let audit = app
            .state
            .store
            .list_audit(&AuditFilter::default(), &PageRequest::default())
            .await
            .unwrap();
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions.iter().filter(|a| **a == "login_failed").count(),
            2,
            "{actions:?}"
        );
        assert!(actions.contains(&"login"), "{actions:?}");

        // `next` must stay on this site.
        let mut other = Browser::new();
        for evil in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
        ] {
            let page = other
                .post_raw(
                    &app,
                    "/login",
                    &[
                        ("username", "canbo"),
                        ("password", PASSWORD),
                        ("next", evil),
                    ],
                )
                .await;
            page.expect(303);
            assert_eq!(page.location(), "/", "{evil}");
        }

        // Sign-out needs the CSRF token.
        browser.post_raw(&app, "/logout", &[]).await.expect(403);
        browser
            .post_raw(&app, "/logout", &[("csrf", "forged")])
            .await
            .expect(403);
        browser.get(&app, "/").await.expect(200);
        let secret = browser.cookies["canhgac_session"].clone();
        let out = browser.post(&app, "/", "/logout", &[]).await;
        out.expect(303);
        assert_eq!(out.location(), "/login");
        assert!(!browser.cookies.contains_key("canhgac_session"));
        // The old cookie no longer works even if replayed.
        let mut replay = Browser::new();
        replay.cookies.insert("canhgac_session".into(), secret);
        replay.get(&app, "/").await.expect(303);
    }
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_per_user_and_per_address() {
    let settings = || WebSettings {
        login_attempts: 3,
        login_window: Duration::from_secs(600),
        ..WebSettings::default()
    };
    for app in apps_with(settings).await {
        create_user(&app, "nhanvien", Role::Viewer, Vec::new()).await;
        create_user(&app, "khac", Role::Viewer, Vec::new()).await;
        let mut browser = Browser::new();
        for _ in 0..3 {
            browser
                .post_raw(
                    &app,
                    "/login",
                    &[("username", "nhanvien"), ("password", "sai")],
                )
                .await
                .expect(401);
        }
        // Now even the right password is refused for this username.
        let blocked = browser
            .post_raw(
                &app,
                "/login",
                &[("username", "nhanvien"), ("password", PASSWORD)],
            )
            .await;
        blocked.expect(429);
        assert!(blocked.body.contains("quá nhiều lần"));
        assert!(!browser.cookies.contains_key("canhgac_session"));
        // Other users are unaffected.
        browser.login(&app, "khac", PASSWORD).await;

        // One address guessing many usernames is stopped too; X-Forwarded-For is not trusted,
        // so the address is the socket's.
        let addr: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let mut sprayer = Browser {
            addr: Some(addr),
            ..Browser::default()
        };
        for name in ["a1", "a2", "a3"] {
            sprayer
                .post_raw(&app, "/login", &[("username", name), ("password", "x")])
                .await
                .expect(401);
        }
        sprayer
            .post_raw(
                &app,
                "/login",
                &[("username", "khac"), ("password", PASSWORD)],
            )
            .await
            .expect(429);
        let mut elsewhere = Browser {
            addr: Some("192.0.2.8:40000".parse().unwrap()),
            ..Browser::default()
        };
        elsewhere.login(&app, "khac", PASSWORD).await;

        let audit = app
            .state
            .store
            .list_audit(&AuditFilter::default(), &PageRequest::default())
            .await
            .unwrap();
        assert!(audit.items.iter().any(|e| e.action == "login_blocked"));
    }
}

#[tokio::test]
async fn forms_without_the_session_csrf_token_are_refused() {
    for app in apps().await {
        let mut browser = admin(&app).await;
        let fields = [("name", "Sở Giả mạo"), ("kind", "department")];
        browser.post_raw(&app, "/units", &fields).await.expect(403);
        let mut forged = vec![("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")];
        forged.extend_from_slice(&fields);
        let page = browser.post_raw(&app, "/units", &forged).await;
        page.expect(403);
        assert!(page.body.contains("Biểu mẫu đã hết hạn"), "{}", page.body);

        // Another session's token is no good either.
        create_user(&app, "thu2", Role::Admin, Vec::new()).await;
        let mut second = Browser::new();
        second.login(&app, "thu2", PASSWORD).await;
        let theirs = second.get(&app, "/units/new").await.csrf();
        let mut with_theirs = vec![("csrf", theirs.as_str())];
        with_theirs.extend_from_slice(&fields);
        browser
            .post_raw(&app, "/units", &with_theirs)
            .await
            .expect(403);

        assert_eq!(
            app.state.store.all_units(&Scope::All).await.unwrap().len(),
            0,
            "{}",
            app.name
        );
        // With the right token it works.
        browser
            .post(&app, "/units/new", "/units", &fields)
            .await
            .expect(303);
        assert_eq!(
            app.state.store.all_units(&Scope::All).await.unwrap().len(),
            1
        );
    }
}

#[tokio::test]
async fn vietnamese_by_default_english_on_switch() {
    for app in apps().await {
        let mut browser = admin(&app).await;
        let page = browser.get(&app, "/units").await;
        page.expect(200);
        assert!(page.body.contains("<html lang=\"vi\">"));
        for text in [
            "Tổng quan",
            "Đơn vị",
            "Hệ thống thông tin",
            "Tài sản",
            "Đầu mối liên hệ",
            "Cơ quan chức năng",
            "Người dùng",
            "Nhật ký",
            "Nhập/xuất danh mục",
            "Đăng xuất",
            "Quản trị viên",
        ] {
            assert!(page.body.contains(text), "missing {text}");
        }
        assert!(
            page.body.contains("href=\"/lang/en?next=/units\""),
            "switch link"
        );

        let switch = browser
            .get(&app, "/lang/en?next=/units%3Fview%3Dlist")
            .await;
        switch.expect(303);
        assert_eq!(switch.location(), "/units?view=list");
        assert!(switch
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("canhgac_lang=en")));
        let page = browser.get(&app, "/units").await;
        assert!(page.body.contains("<html lang=\"en\">"));
        assert!(page.body.contains("Information systems") && page.body.contains("Sign out"));
        assert!(!page.body.contains("Đăng xuất"));

        // Only local paths are followed; unknown languages are 404.
        let evil = browser.get(&app, "/lang/vi?next=//evil.example/x").await;
        assert_eq!(evil.location(), "/");
        browser.get(&app, "/lang/fr").await.expect(404);
        assert!(browser.get(&app, "/").await.body.contains("Tổng quan"));

        // Dates are typed and shown as dd/mm/yyyy.
        let created = browser
            .post(
                &app,
                "/units/new",
                "/units",
                &[
                    ("name", "Huyện Cũ"),
                    ("kind", "district"),
                    ("valid_to", "30/06/2025"),
                ],
            )
            .await;
        let id = created.created_id();
        let unit = browser.get(&app, &format!("/units/{id}")).await;
        assert!(unit.body.contains("30/06/2025"), "{}", unit.body);
        assert!(unit.body.contains("Huyện (trước 2025)"));
        let stored = app.state.store.get_unit(&Scope::All, id).await.unwrap();
        assert_eq!(stored.valid_to.unwrap().to_string(), "2025-06-30");
    }
    // The default language is a setting.
    for app in apps_with(|| WebSettings {
        default_lang: "en".into(),
        ..WebSettings::default()
    })
    .await
    {
        let page = Browser::new().get(&app, "/login").await;
        assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Sign in"));
    }
}

#[tokio::test]
async fn unknown_routes_and_forbidden_pages_render_in_the_layout() {
    for app in apps().await {
        let css = Browser::new().get(&app, "/static/console.css").await;
        css.expect(200);
        assert!(css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css"));
        assert!(css.body.contains(".sidebar") && css.body.contains("@media"));

        let anonymous = Browser::new().get(&app, "/khong-co-trang-nay").await;
        anonymous.expect(404);
        assert!(anonymous.body.contains("Không tìm thấy") && anonymous.body.contains("canhgac"));

        let mut browser = admin(&app).await;
        let page = browser.get(&app, "/khong-co-trang-nay").await;
        page.expect(404);
        assert!(page.body.contains("Không tìm thấy"));
        assert!(
            page.body.contains("Đăng xuất"),
            "layout with the user header"
        );
        browser.get(&app, "/units/999999").await.expect(404);
        browser.get(&app, "/units/abc").await.expect(400);

        create_user(&app, "xem", Role::Viewer, Vec::new()).await;
        let mut viewer = Browser::new();
        viewer.login(&app, "xem", PASSWORD).await;
        let users = viewer.get(&app, "/users").await;
        users.expect(403);
        assert!(users.body.contains("Không có quyền") && users.body.contains("Đăng xuất"));
        viewer.get(&app, "/audit").await.expect(403);
        let nav = viewer.get(&app, "/").await;
        assert!(!nav.body.contains("href=\"/users\"") && !nav.body.contains("href=\"/audit\""));
    }
}
