//! Shared helpers of the API tests: a router over each test store, users with tokens or
//! sessions, and one-shot requests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use canhgac_model::{Actor, Id, Role, User, UserInput};
use canhgac_store::testing::{test_stores, TestStore};
use canhgac_store::Store;
use canhgac_web::{auth, router, AppState, WebSettings};
use serde_json::Value;
use tower::ServiceExt;

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Bearer SECRET`.
    Bearer(String),
    /// The session cookie, and the CSRF header for writes when `csrf` is set.
    Session {
        /// The cookie's secret.
        secret: String,
        /// The session's CSRF token, sent as `X-CSRF-Token` (None to omit it).
        csrf: Option<String>,
    },
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (Null when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The Content-Type.
    pub fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    /// Asserts a problem+json answer with `status`, and returns the problem.
    #[track_caller]
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            self.text()
        );
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "{}",
            self.text()
        );
        let problem = self.json();
        assert_eq!(problem["status"], status, "{problem}");
        assert!(problem["type"].is_string() && problem["title"].is_string());
        problem
    }

    /// Asserts `status` and returns the JSON body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            self.text()
        );
        self.json()
    }
}

/// The application over one test store.
pub struct Api {
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    pub app: Router,
    /// Keeps the store's database alive.
    _test_store: TestStore,
}

/// The application over every test store (SQLite always, PostgreSQL when configured).
pub async fn apis() -> Vec<Api> {
    apis_with(WebSettings::default()).await
}

/// Same, with `settings`.
pub async fn apis_with(settings: WebSettings) -> Vec<Api> {
    let mut apis = Vec::new();
    for test_store in test_stores().await {
        let store = test_store.store.clone();
        let app = router(AppState::new(store.clone(), settings.clone()));
        apis.push(Api {
            name: test_store.name,
            store,
            app,
            _test_store: test_store,
        });
    }
    assert!(!apis.is_empty(), "no test store");
    apis
}

/// A strong password for test users.
pub const PASSWORD: &str = "Mật-khẩu-đủ-mạnh-2025";

impl Api {
    /// An application over a store prepared by the test.
    pub fn from_parts(test_store: TestStore, app: Router) -> Api {
        Api {
            name: test_store.name,
            store: test_store.store.clone(),
            app,
            _test_store: test_store,
        }
    }

    /// Sends one request.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        match auth {
            Auth::None => {}
            Auth::Bearer(secret) => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {secret}"));
            }
            Auth::Session { secret, csrf } => {
                builder =
                    builder.header(header::COOKIE, format!("{}={secret}", auth::SESSION_COOKIE));
                if let Some(csrf) = csrf {
                    builder = builder.header("x-csrf-token", csrf);
                }
            }
        }
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .unwrap();
        self.send(request).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::GET, path, auth, None).await
    }

    pub async fn post(&self, path: &str, auth: &Auth, body: Value) -> Reply {
        self.call(Method::POST, path, auth, Some(body)).await
    }

    pub async fn put(&self, path: &str, auth: &Auth, body: Value) -> Reply {
        self.call(Method::PUT, path, auth, Some(body)).await
    }

    pub async fn delete(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::DELETE, path, auth, None).await
    }

    /// Creates a user directly in the store (no password) and an API token for them.
    pub async fn user_with_token(
        &self,
        username: &str,
        role: Role,
        unit_ids: Vec<Id>,
    ) -> (User, Auth) {
        let user = self.user(username, role, unit_ids).await;
        let token = self.token_for(user.id).await;
        (user, token)
    }

    /// Creates a user directly in the store, with [`PASSWORD`].
    pub async fn user(&self, username: &str, role: Role, unit_ids: Vec<Id>) -> User {
        let input = UserInput {
            username: username.to_string(),
            display_name: String::new(),
            email: None,
            role,
            unit_ids,
            disabled: false,
        };
        let hash = auth::hash_password(PASSWORD).unwrap();
        self.store
            .create_user(&Actor::system("test"), input, Some(hash))
            .await
            .unwrap()
    }

    /// A new API token of `user_id`, made the way the API makes them.
    pub async fn token_for(&self, user_id: Id) -> Auth {
        let secret = format!("{}{}", auth::TOKEN_PREFIX, auth::new_secret());
        self.store
            .create_api_token(
                &Actor::system("test"),
                user_id,
                "test",
                &secret[..8],
                &auth::secret_hash(&secret),
            )
            .await
            .unwrap();
        Auth::Bearer(secret)
    }

    /// A new console session of `user_id`, sending its CSRF token on writes.
    pub async fn session_for(&self, user_id: Id) -> Auth {
        let secret = auth::new_secret();
        let csrf = auth::new_secret();
        let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
        self.store
            .create_session(user_id, &auth::secret_hash(&secret), &csrf, expires)
            .await
            .unwrap();
        Auth::Session {
            secret,
            csrf: Some(csrf),
        }
    }

    /// An admin with a token.
    pub async fn admin(&self) -> Auth {
        self.user_with_token("admin", Role::Admin, vec![]).await.1
    }
}

/// The ids of a listing's items.
#[track_caller]
pub fn ids(listing: &Value) -> Vec<Id> {
    listing["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a listing: {listing}"))
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}
