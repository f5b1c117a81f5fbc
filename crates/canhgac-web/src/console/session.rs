//! Console sessions and CSRF.
//!
//! - [`Ctx`]: the signed-in user of a console page, with their language; without a session the
//!   browser is sent to `/login?next=...`.
//! - [`CsrfForm`] and [`CsrfMultipart`]: the only extractors console handlers use to read a POST
//!   body. Both check the hidden `csrf` field against the session's token in constant time and
//!   answer 403 otherwise, so a handler cannot forget the check.
//! - [`start_session`] / [`clear_cookie`]: the `canhgac_session` cookie.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use canhgac_model::{Actor, Role, Scope, User};
use canhgac_store::StoreError;

use super::error::{ChromeSlot, PageError};
use super::i18n::Lang;
use super::layout::Chrome;
use crate::auth::{self, AuthRejection, Caller, SESSION_COOKIE};
use crate::AppState;

/// The signed-in user of a console request, and how to speak to them.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The user.
    pub user: User,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
    /// The page language.
    pub lang: Lang,
    /// The path and query of this request (for the language switch and `next`).
    pub path: String,
    /// Time zone for displayed times.
    pub tz: jiff::tz::TimeZone,
    /// Open alerts in the user's scope, for the header (`None` when they cannot be counted);
    /// see [`super::header`].
    pub open_alerts: Option<u64>,
}

impl Ctx {
    /// The caller's scope, for every store read.
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

    /// The page chrome (header, navigation) for this request.
    pub fn chrome(&self) -> Chrome {
        Chrome {
            lang: self.lang,
            user: Some(self.user.clone()),
            csrf: Some(self.csrf.clone()),
            path: self.path.clone(),
            open_alerts: self.open_alerts,
        }
    }

    /// Fails with 403 unless `allowed`.
    pub fn require(&self, allowed: bool) -> Result<(), PageError> {
        if allowed {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// Fails with 403 unless the role may change units, systems, assets and contacts.
    pub fn require_inventory_editor(&self) -> Result<(), PageError> {
        self.require(self.role().can_edit_inventory())
    }

    /// Fails with 403 unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), PageError> {
        self.require(self.role().is_admin())
    }

    /// Translates a table entry into the page language.
    pub fn t(&self, msg: super::i18n::Msg) -> &'static str {
        self.lang.t(msg)
    }

    /// A time in the configured zone.
    pub fn time(&self, at: canhgac_model::Timestamp) -> String {
        super::format::datetime(at, &self.tz)
    }
}

fn request_path(parts: &Parts) -> String {
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
    uri.path_and_query()
        .map_or_else(|| "/".to_string(), |pq| pq.to_string())
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<Ctx>() {
            return Ok(ctx.clone());
        }
        let caller = Caller::from_request_parts(parts, state).await?;
        let lang = Lang::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let open_alerts = state
            .alert_counts
            .open(&state.store, &caller.user.scope())
            .await;
        let ctx = Ctx {
            user: caller.user,
            csrf: caller.csrf_token.unwrap_or_default(),
            lang,
            path: request_path(parts),
            tz: state.settings.time_zone.clone(),
            open_alerts,
        };
        if let Some(slot) = parts.extensions.get::<ChromeSlot>() {
            slot.fill(ctx.chrome());
        }
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

/// The fields of a submitted form, in order (a multi-select sends a name several times).
#[derive(Debug, Clone, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    /// Form data from name/value pairs.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// True when the form has a non-empty `name` (checkboxes).
    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

/// Constant-time comparison of the submitted token with the session's.
fn csrf_ok(expected: &str, submitted: &str) -> bool {
    !expected.is_empty()
        && expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Reads the whole body, up to `max_body_bytes`.
async fn read_body(body: Body, state: &AppState) -> Result<axum::body::Bytes, PageError> {
    axum::body::to_bytes(body, state.settings.max_body_bytes)
        .await
        .map_err(|_| PageError::TooLarge)
}

/// A URL-encoded form whose `csrf` field matched the session's token; the request's [`Ctx`].
pub struct CsrfForm {
    /// The signed-in user.
    pub ctx: Ctx,
    /// The fields (the `csrf` field included).
    pub form: FormData,
}

impl FromRequest<AppState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = read_body(body, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded_pairs(&bytes).map_err(|m| PageError::BadRequest(m).into_response())?;
        let form = FormData::from_pairs(pairs);
        if !csrf_ok(&ctx.csrf, form.get("csrf")) {
            tracing::warn!(user = %ctx.user.username, path = %ctx.path, "CSRF check failed");
            return Err(PageError::Csrf.into_response());
        }
        Ok(CsrfForm { ctx, form })
    }
}

/// Decodes `application/x-www-form-urlencoded` pairs.
pub(crate) fn serde_urlencoded_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the form is not UTF-8".to_string())?;
    let decode = |s: &str| -> Result<String, String> {
        let s = s.replace('+', " ");
        let raw = s.as_bytes();
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'%' {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| "malformed percent-encoding in the form".to_string())?;
                out.push(hex);
                i += 3;
            } else {
                out.push(raw[i]);
                i += 1;
            }
        }
        String::from_utf8(out).map_err(|_| "the form is not UTF-8".to_string())
    };
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// A URL-encoded form posted *before* any session exists: only `/login` and `/setup` use it
/// (there is no session token to check yet; the setup token and the password are the proof).
pub struct PublicForm(pub FormData);

impl FromRequest<AppState> for PublicForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        // No session token exists yet: refuse posts the browser says come from another site
        // (login CSRF).
        if !same_origin(request.headers()) {
            return Err(PageError::Csrf.into_response());
        }
        let bytes = read_body(request.into_body(), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let pairs =
            serde_urlencoded_pairs(&bytes).map_err(|m| PageError::BadRequest(m).into_response())?;
        Ok(PublicForm(FormData::from_pairs(pairs)))
    }
}

/// False for a request the browser marks as coming from another site (`Sec-Fetch-Site:
/// cross-site`). Unlike comparing `Origin` with `Host`, this survives reverse proxies that
/// rewrite `Host`; clients that send no such header (scripts, old browsers) are let through.
fn same_origin(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|site| !site.eq_ignore_ascii_case("cross-site"))
}

/// One uploaded file of a multipart form.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The file name the browser sent (without directories).
    pub file_name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// A multipart form whose `csrf` field matched the session's token.
pub struct CsrfMultipart {
    /// The signed-in user.
    pub ctx: Ctx,
    /// The text fields.
    pub form: FormData,
    /// The file fields, by field name.
    pub files: Vec<(String, UploadedFile)>,
}

impl FromRequest<AppState> for CsrfMultipart {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = read_body(body, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let request = Request::from_parts(parts, Body::from(bytes));
        let bad = |m: String| PageError::BadRequest(m).into_response();
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(|e| bad(e.body_text()))?;
        let mut pairs = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| bad(e.body_text()))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field
                .file_name()
                .map(|f| f.rsplit(['/', '\\']).next().unwrap_or_default().to_string());
            let data = field.bytes().await.map_err(|e| bad(e.body_text()))?;
            match file_name {
                Some(file_name) => files.push((
                    name,
                    UploadedFile {
                        file_name,
                        bytes: data.to_vec(),
                    },
                )),
                None => pairs.push((name, String::from_utf8_lossy(&data).into_owned())),
            }
        }
        let form = FormData::from_pairs(pairs);
        if !csrf_ok(&ctx.csrf, form.get("csrf")) {
            tracing::warn!(user = %ctx.user.username, path = %ctx.path, "CSRF check failed");
            return Err(PageError::Csrf.into_response());
        }
        Ok(CsrfMultipart { ctx, form, files })
    }
}

/// Starts a session for `user`: stores its hash and CSRF token, and returns the `Set-Cookie` value.
pub async fn start_session(state: &AppState, user: &User) -> Result<HeaderValue, StoreError> {
    let secret = auth::new_secret();
    let csrf = auth::new_secret();
    let ttl = state.settings.session_ttl;
    let expires_at = jiff::Timestamp::now()
        .checked_add(
            jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::from_hours(8)),
        )
        .unwrap_or_else(|_| jiff::Timestamp::now());
    state
        .store
        .create_session(user.id, &auth::secret_hash(&secret), &csrf, expires_at)
        .await?;
    let mut cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        ttl.as_secs()
    );
    if state.settings.secure_cookies {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).map_err(|_| StoreError::Corrupt("session cookie".into()))
}

/// A `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let mut cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    if state.settings.secure_cookies {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Ends the session whose cookie these headers carry, if any.
pub async fn end_session(
    headers: &axum::http::HeaderMap,
    state: &AppState,
) -> Result<(), StoreError> {
    if let Some(secret) = super::i18n::cookie(headers, SESSION_COOKIE) {
        state
            .store
            .delete_session(&auth::secret_hash(&secret))
            .await?;
    }
    Ok(())
}

/// A `Location` redirect with 303 See Other (the answer to a successful POST).
pub fn see_other(location: &str) -> Response {
    (
        axum::http::StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// `next` when it is a path on this site (`/...`, not `//host` or `/\host`), else `/`.
pub fn local_path(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(local_path("/units?page=2"), "/units?page=2");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/a\r\nSet-Cookie: x"), "/");
        assert_eq!(local_path(""), "/");
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let mut headers = axum::http::HeaderMap::new();
        assert!(same_origin(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&headers));
    }

    #[test]
    fn csrf_compare() {
        assert!(csrf_ok("abc", "abc"));
        assert!(!csrf_ok("abc", "abd"));
        assert!(!csrf_ok("abc", ""));
        assert!(!csrf_ok("", ""));
    }

    #[test]
    fn form_decoding() {
        let pairs = serde_urlencoded_pairs(b"name=S%E1%BB%9F+Y+t%E1%BA%BF&unit_ids=1&unit_ids=2&x")
            .unwrap();
        let form = FormData::from_pairs(pairs);
        assert_eq!(form.get("name"), "Sở Y tế");
        assert_eq!(form.all("unit_ids"), vec!["1", "2"]);
        assert_eq!(form.get("x"), "");
        assert!(serde_urlencoded_pairs(b"a=%zz").is_err());
    }
}
