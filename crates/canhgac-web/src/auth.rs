//! Who is calling: sessions (console) and API tokens (machines), passwords, setup token, and the
//! sign-in rate limit. Both kinds of credential resolve to a [`Caller`], whose scope every store
//! call takes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use canhgac_model::{Actor, Role, Scope, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;

/// Name of the session cookie (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "canhgac_session";

/// Prefix of API token secrets, so leaked tokens are recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "cgk_";

/// A signed-in user and how they proved it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// The session's CSRF token; `None` for API-token callers (no cookies, no CSRF risk).
    pub csrf_token: Option<String>,
}

impl Caller {
    /// The units the caller may see.
    pub fn scope(&self) -> Scope {
        self.user.scope()
    }

    /// The caller as the author of a change.
    pub fn actor(&self) -> Actor {
        self.user.actor()
    }

    /// The caller's role.
    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// Why a request has no usable caller or may not do what it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No valid session or token.
    Unauthenticated,
    /// Authenticated, but the role does not allow this.
    Forbidden,
    /// The store failed while checking credentials.
    StoreFailed,
}

impl AuthFailure {
    /// The matching HTTP status.
    pub fn status(self) -> axum::http::StatusCode {
        match self {
            AuthFailure::Unauthenticated => axum::http::StatusCode::UNAUTHORIZED,
            AuthFailure::Forbidden => axum::http::StatusCode::FORBIDDEN,
            AuthFailure::StoreFailed => axum::http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// An [`AuthFailure`] answered the way the caller's side of the application speaks: problem+json
/// under `/api/`, a redirect to the sign-in page (or an HTML error) in the console.
#[derive(Debug, Clone)]
pub struct AuthRejection {
    /// What failed.
    pub failure: AuthFailure,
    /// True for API requests.
    pub api: bool,
    /// The path and query asked for, to come back to after signing in.
    pub path: String,
}

impl axum::response::IntoResponse for AuthRejection {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{header, StatusCode};
        let status = self.failure.status();
        if self.api {
            let title = match self.failure {
                AuthFailure::Unauthenticated => "authentication required",
                AuthFailure::Forbidden => "forbidden",
                AuthFailure::StoreFailed => "store unavailable",
            };
            let body = serde_json::json!({ "type": "about:blank", "title": title, "status": status.as_u16() });
            return (
                status,
                [(header::CONTENT_TYPE, "application/problem+json")],
                body.to_string(),
            )
                .into_response();
        }
        if self.failure == AuthFailure::Unauthenticated {
            let next: String = self
                .path
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            return (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/login?next={next}"))],
            )
                .into_response();
        }
        (status, status.canonical_reason().unwrap_or("error")).into_response()
    }
}

/// Resolves the caller of a request: a `Bearer` API token if present, else the session cookie.
pub async fn resolve_caller(parts: &Parts, state: &AppState) -> Result<Caller, AuthFailure> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AuthFailure::Unauthenticated)?;
        let user = state
            .store
            .api_token_user(&secret_hash(token))
            .await
            .map_err(|_| AuthFailure::StoreFailed)?
            .ok_or(AuthFailure::Unauthenticated)?;
        return Ok(Caller {
            user,
            csrf_token: None,
        });
    }
    let secret = session_secret(parts).ok_or(AuthFailure::Unauthenticated)?;
    let session = state
        .store
        .session(&secret_hash(&secret))
        .await
        .map_err(|_| AuthFailure::StoreFailed)?
        .ok_or(AuthFailure::Unauthenticated)?;
    Ok(Caller {
        user: session.user,
        csrf_token: Some(session.csrf_token),
    })
}

/// The session cookie's secret, if the request carries one.
pub fn session_secret(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = resolve_caller(parts, state).await.map_err(|failure| {
            let uri = parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
            AuthRejection {
                failure,
                api: uri.path().starts_with("/api/"),
                path: uri
                    .path_and_query()
                    .map_or_else(|| "/".to_string(), |pq| pq.to_string()),
            }
        })?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A new random secret: 32 bytes, URL-safe base64.
pub fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A freshly generated API token: the secret to show once, and what the store keeps.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    /// The whole secret (`cgk_...`), shown to the user once and never stored.
    pub secret: String,
    /// The first characters of the secret, stored in clear to tell tokens apart.
    pub prefix: String,
    /// The secret's hash, as stored.
    pub hash: String,
}

/// Generates an API token. The console, the API and the CLI all create tokens through this.
pub fn new_api_token() -> NewApiToken {
    /// `cgk_` plus six characters: enough to tell tokens apart, far too few to guess the rest.
    const PREFIX_CHARS: usize = TOKEN_PREFIX.len() + 6;
    let secret = format!("{TOKEN_PREFIX}{}", new_secret());
    let prefix = secret.chars().take(PREFIX_CHARS).collect();
    let hash = secret_hash(&secret);
    NewApiToken {
        secret,
        prefix,
        hash,
    }
}

/// The SHA-256 (hex) under which session and token secrets are stored. Secrets are random and
/// long, so a fast hash is enough; passwords use argon2id instead.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hashes a password with argon2id (the crate's default parameters) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a PHC string; false for a malformed hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The one-time secret printed at start while no user exists; it opens `/setup` once.
#[derive(Debug, Default)]
pub struct SetupToken {
    secret: Mutex<Option<String>>,
    /// Held while a setup request checks and creates the first admin, so two simultaneous
    /// requests cannot both see "no users yet".
    gate: tokio::sync::Mutex<()>,
}

impl SetupToken {
    /// Serialises setup attempts: hold the guard from the "no users yet" check until the admin exists.
    pub async fn exclusive(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.gate.lock().await
    }

    /// Arms the setup with a new secret and returns it (to print).
    pub fn arm(&self) -> String {
        let secret = new_secret();
        *self.secret.lock().unwrap_or_else(|p| p.into_inner()) = Some(secret.clone());
        secret
    }

    /// True when `candidate` is the armed secret (constant-time compare).
    pub fn matches(&self, candidate: &str) -> bool {
        let guard = self.secret.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .as_deref()
            .is_some_and(|secret| constant_time_eq(secret.as_bytes(), candidate.as_bytes()))
    }

    /// Disarms the setup once the first admin exists.
    pub fn consume(&self) {
        *self.secret.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counts failed sign-ins per key (username, client address) in a sliding window.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// A limiter allowing `max_failures` per key within `window`.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// True when `key` has used up its failures; such attempts are refused before checking the password.
    pub fn is_blocked(&self, key: &str) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match map.get_mut(key) {
            Some(times) => {
                times.retain(|t| now.duration_since(*t) < self.window);
                times.len() >= self.max_failures as usize
            }
            None => false,
        }
    }

    /// Records a failure for `key`.
    pub fn record_failure(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a spray of usernames: forget the oldest state wholesale.
            map.clear();
        }
        map.entry(key.to_string()).or_default().push(Instant::now());
    }

    /// Forgets `key`'s failures after a success.
    pub fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let phc = hash_password("đúng-mật-khẩu-123").expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("đúng-mật-khẩu-123", &phc));
        assert!(!verify_password("sai", &phc));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn limiter_blocks_after_max_failures() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        assert!(!limiter.is_blocked("u"));
        limiter.record_failure("u");
        limiter.record_failure("u");
        assert!(limiter.is_blocked("u"));
        assert!(!limiter.is_blocked("v"));
        limiter.clear("u");
        assert!(!limiter.is_blocked("u"));
    }

    #[test]
    fn api_tokens_are_distinct_and_hash_to_what_is_stored() {
        let a = new_api_token();
        let b = new_api_token();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert!(a.secret.starts_with(&a.prefix));
        assert_eq!(a.prefix.len(), TOKEN_PREFIX.len() + 6);
        assert_eq!(a.hash, secret_hash(&a.secret));
    }

    #[test]
    fn setup_token_is_one_time() {
        let setup = SetupToken::default();
        assert!(!setup.matches(""));
        let secret = setup.arm();
        assert!(setup.matches(&secret));
        assert!(!setup.matches("guess"));
        setup.consume();
        assert!(!setup.matches(&secret));
    }
}
