//! Request guards applied as middleware: the body size limit, and CSRF protection for API
//! calls authenticated by the console's session cookie.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::auth::resolve_caller;
use crate::AppState;

/// Header carrying the session's CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Refuses a body announced larger than `settings.max_body_bytes` before reading it: 413 as
/// problem+json under `/api/`, plain text elsewhere. Bodies without a length are bounded while
/// read, by the `DefaultBodyLimit` set next to this layer.
pub async fn limit_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let max = state.settings.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        if request.uri().path().starts_with("/api/") {
            return ApiError::payload_too_large(Some(max)).into_response();
        }
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body too large (limit: {max} bytes)"),
        )
            .into_response();
    }
    next.run(request).await
}

/// Unsafe API requests authenticated by the session cookie must echo the session's CSRF token in
/// `X-CSRF-Token`. SameSite=Strict already keeps the cookie off cross-site requests; this closes
/// the gap for browsers or proxies that do not honour it. Bearer-token calls carry no ambient
/// credential and are exempt.
pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.headers().contains_key(header::AUTHORIZATION) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    // Without a usable session the handler's `Caller` answers 401 itself.
    if let Ok(caller) = resolve_caller(&parts, &state).await {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let expected = caller.csrf_token.as_deref().unwrap_or("");
        if expected.is_empty() || !same(expected.as_bytes(), sent.as_bytes()) {
            return ApiError::forbidden(
                "requests authenticated by the session cookie must carry its X-CSRF-Token header",
            )
            .into_response();
        }
        parts.extensions.insert(caller);
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Constant-time equality, so the token cannot be guessed byte by byte from timings.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
