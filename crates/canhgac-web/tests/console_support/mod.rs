//! Shared helpers of the console tests: the whole router over each test store, a tiny
//! "browser" that keeps cookies, forms posted with the page's CSRF token, and HTML probes.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use canhgac_model::{Actor, Id, Role, User, UserInput};
use canhgac_store::testing::{test_stores, TestStore};
use canhgac_web::{auth, router, AppState, WebSettings};
use tower::ServiceExt;

/// A strong password accepted by `check_password_strength`.
pub const PASSWORD: &str = "Mật-khẩu-đủ-mạnh-2025";

/// The application over one test store.
pub struct App {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// The shared state (store, setup token, limiter).
    pub state: AppState,
    /// The router.
    pub router: Router,
    _store: TestStore,
}

/// One application per test store, with `settings`.
pub async fn apps_with(settings: impl Fn() -> WebSettings) -> Vec<App> {
    test_stores()
        .await
        .into_iter()
        .map(|ts| {
            let state = AppState::new(ts.store.clone(), settings());
            App {
                name: ts.name,
                router: router(state.clone()),
                state,
                _store: ts,
            }
        })
        .collect()
}

/// One application per test store, default settings, its state changed by `adjust` (to plug
/// in a live detection path, for instance).
pub async fn apps_adjusted(adjust: impl Fn(AppState) -> AppState) -> Vec<App> {
    test_stores()
        .await
        .into_iter()
        .map(|ts| {
            let state = adjust(AppState::new(ts.store.clone(), WebSettings::default()));
            App {
                name: ts.name,
                router: router(state.clone()),
                state,
                _store: ts,
            }
        })
        .collect()
}

/// One application per test store, default settings.
pub async fn apps() -> Vec<App> {
    apps_with(WebSettings::default).await
}

/// An answer, body read.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header.
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}; location {:?}; body:\n{}",
            self.status,
            self.location(),
            &self.body[..self.body.len().min(3000)]
        );
        self
    }

    /// The hidden CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        attr_after(&self.body, "name=\"csrf\" value=\"").expect("page has a csrf field")
    }

    /// The text of the element carrying `data-count="key"`.
    pub fn count(&self, key: &str) -> u64 {
        let marker = format!("data-count=\"{key}\">");
        let start = self.body.find(&marker).expect("count present") + marker.len();
        let end = self.body[start..].find('<').unwrap() + start;
        self.body[start..end].trim().parse().unwrap()
    }

    /// The content of the first `<h1>`.
    pub fn h1(&self) -> String {
        let start = self.body.find("<h1>").expect("h1 present") + 4;
        let end = self.body[start..].find("</h1>").unwrap() + start;
        self.body[start..end].to_string()
    }

    /// The id at the end of the `Location` of a 303 after a create (`/units/12` → 12).
    pub fn created_id(&self) -> Id {
        self.expect(303);
        self.location()
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("no id in {}", self.location()))
    }
}

/// The value of the first attribute following `prefix` (up to the closing quote).
pub fn attr_after(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Percent-encodes a form value.
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A cookie jar and the requests a browser would send.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
    /// The client address the socket would report (`ConnectInfo`).
    pub addr: Option<SocketAddr>,
}

impl Browser {
    /// A browser without cookies.
    pub fn new() -> Self {
        Self::default()
    }

    fn absorb(&mut self, page: &Page) {
        for cookie in page.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
    }

    /// Sends a request and keeps the cookies it sets.
    pub async fn send(
        &mut self,
        app: &App,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let cookie: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request = request.header(header::COOKIE, cookie.join("; "));
        }
        if let Some(ct) = content_type {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        let mut request = request.body(Body::from(body)).unwrap();
        if let Some(addr) = self.addr {
            request.extensions_mut().insert(ConnectInfo(addr));
        }
        let response = app.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let page = Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        self.absorb(&page);
        page
    }

    /// `GET path`.
    pub async fn get(&mut self, app: &App, path: &str) -> Page {
        self.send(app, Method::GET, path, None, Vec::new()).await
    }

    /// `POST path` with URL-encoded `fields` exactly as given.
    pub async fn post_raw(&mut self, app: &App, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        self.send(
            app,
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.join("&").into_bytes(),
        )
        .await
    }

    /// `POST path` with `fields` plus the CSRF token read from `form_page`.
    pub async fn post(
        &mut self,
        app: &App,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let csrf = self.get(app, form_page).await.expect(200).csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(app, path, &all).await
    }

    /// Signs in through `/login` and asserts it worked.
    pub async fn login(&mut self, app: &App, username: &str, password: &str) {
        let page = self
            .post_raw(
                app,
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        page.expect(303);
        assert!(
            self.cookies.contains_key("canhgac_session"),
            "{:?}",
            page.set_cookies()
        );
    }
}

/// Creates a user straight in the store.
pub async fn create_user(app: &App, username: &str, role: Role, unit_ids: Vec<Id>) -> User {
    let hash = auth::hash_password(PASSWORD).unwrap();
    app.state
        .store
        .create_user(
            &Actor::system("test"),
            UserInput {
                username: username.into(),
                display_name: format!("Người dùng {username}"),
                email: None,
                role,
                unit_ids,
                disabled: false,
            },
            Some(hash),
        )
        .await
        .unwrap()
}

/// A browser signed in as a new admin `admin`.
pub async fn admin(app: &App) -> Browser {
    create_user(app, "admin", Role::Admin, Vec::new()).await;
    let mut browser = Browser::new();
    browser.login(app, "admin", PASSWORD).await;
    browser
}
