//! The API's one error type, [`ApiError`], answered as `application/problem+json` (RFC 9457), and
//! the extractors whose rejections speak it: [`ApiJson`], [`ApiQuery`] and [`ApiPath`].

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use canhgac_model::FieldError;
use canhgac_store::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The media type of every error the API answers.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The body of an error answer.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:canhgac:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The input field at fault, as named in the request (`value`, `owner_unit_id`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every error of an uploaded file, each naming its line (inventory files as
    /// `file:line: field: message`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// An error of the API: a status with a problem document.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: Option<String>,
    field: Option<String>,
    errors: Vec<String>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, title: &'static str) -> Self {
        Self {
            status,
            kind,
            title,
            detail: None,
            field: None,
            errors: Vec::new(),
        }
    }

    /// Adds a detail message.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Names the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The status answered.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// 400: the request cannot be read (malformed JSON, a bad query string).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "bad request").with_detail(detail)
    }

    /// 403: the caller's role does not allow this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "forbidden").with_detail(detail)
    }

    /// 404: no such record, or none the caller may see (deliberately the same answer).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "not found").with_detail(detail)
    }

    /// 409: the change breaks a rule about other records.
    pub fn conflict(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "conflict")
            .with_field(field)
            .with_detail(detail)
    }

    /// 413: the request body is larger than the server accepts.
    pub fn payload_too_large(limit: Option<usize>) -> Self {
        let detail = match limit {
            Some(limit) => format!("the request body exceeds the limit of {limit} bytes"),
            None => "the request body exceeds the server's limit".to_string(),
        };
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "payload too large",
        )
        .with_detail(detail)
    }

    /// 415: the body is not of a media type this route reads.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "unsupported media type",
        )
        .with_detail(detail)
    }

    /// 422: a value is invalid; `field` names it.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "invalid value",
        )
        .with_field(field)
        .with_detail(detail)
    }

    /// 422 for an inventory file: every error, each naming file, line and field.
    pub fn invalid_file(errors: Vec<String>) -> Self {
        let mut error = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "inventory-file",
            "invalid inventory file",
        )
        .with_detail(format!("{} error(s) in the inventory file", errors.len()));
        error.errors = errors;
        error
    }

    /// 422 for an indicator file: every error, each naming its line.
    pub fn invalid_indicator_file(errors: Vec<String>) -> Self {
        let mut error = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "indicator-file",
            "invalid indicator file",
        )
        .with_detail(format!(
            "{} error(s) in the indicator file; nothing was imported",
            errors.len()
        ));
        error.errors = errors;
        error
    }

    /// 503: the part of the server this request needs is switched off or cannot take work now.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "service unavailable",
        )
        .with_detail(detail)
    }

    /// Lists the errors behind this problem (each naming its line or record).
    pub fn with_errors(mut self, errors: Vec<String>) -> Self {
        self.errors = errors;
        self
    }

    /// 500: something failed inside; the details go to the log, not to the caller.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
        .with_detail("the server failed; the error has been logged")
    }

    /// 405 for a known path with another method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "method not allowed",
        )
        .with_detail("this path does not answer this method")
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:canhgac:problem:{}", self.kind),
            title: self.title.to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self.problem()).unwrap_or_else(|_| {
            format!(
                r#"{{"type":"about:blank","status":{}}}"#,
                self.status.as_u16()
            )
        });
        (self.status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response()
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        ApiError::invalid(error.field, error.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity, id } => {
                ApiError::not_found(format!("{entity} {id} not found"))
            }
            StoreError::OutOfScope(what) => {
                ApiError::forbidden(format!("outside your units: {what}"))
            }
            StoreError::Conflict { field, message } => ApiError::conflict(field, message),
            StoreError::Invalid(field_error) => field_error.into(),
            other => {
                // The message may hold SQL, paths or URLs: keep it in the log only.
                tracing::error!(error = %other, "store failure while serving an API request");
                ApiError::internal()
            }
        }
    }
}

/// A JSON request body. Unlike `axum::Json`, every rejection is a problem document: malformed or
/// mistyped JSON is a 400 carrying serde's message (and the field when serde names it), a wrong
/// media type 415, an oversized body 413.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"))
}

/// Maps a failure to read the body: 413 when over the limit, else 400.
pub(crate) fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(None)
    } else {
        ApiError::bad_request(rejection.body_text())
    }
}

/// Reads JSON from `bytes`, reporting the failing field where serde knows it.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let mut problem = ApiError::bad_request(format!("malformed JSON body: {message}"));
        if let Some(field) = field_of(&path, &message) {
            problem = problem.with_field(field);
        }
        problem
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))?;
    Ok(value)
}

/// The field a serde error is about: its path, extended by the name serde quotes when a field is
/// missing (the path then stops at the parent; an unknown field is already on the path).
fn field_of(path: &str, message: &str) -> Option<String> {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let parent = (path != ".").then_some(path);
    match (parent, missing) {
        (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
        (None, Some(name)) => Some(name.to_string()),
        (Some(parent), None) => Some(parent.to_string()),
        (None, None) => None,
    }
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::unsupported_media_type(
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A query string; a value of the wrong type is a 400 problem.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))
    }
}

/// Path parameters; a value that does not parse (an id that is not a number) names no record,
/// so it answers 404 like any other unknown id.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| ApiError::not_found("no such record"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn serde_errors_name_their_field() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            name: String,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            inner: Inner,
            count: u32,
        }
        let missing = parse_json::<Outer>(br#"{"inner":{},"count":1}"#).unwrap_err();
        assert_eq!(missing.field.as_deref(), Some("inner.name"));
        let typed = parse_json::<Outer>(br#"{"inner":{"name":"a"},"count":"x"}"#).unwrap_err();
        assert_eq!(typed.field.as_deref(), Some("count"));
        let unknown =
            parse_json::<Outer>(br#"{"inner":{"name":"a","zz":1},"count":1}"#).unwrap_err();
        assert_eq!(unknown.field.as_deref(), Some("inner.zz"));
        let syntax = parse_json::<Outer>(b"{").unwrap_err();
        assert_eq!(syntax.status, StatusCode::BAD_REQUEST);
        assert!(syntax.detail.unwrap_or_default().contains("EOF"));
        let trailing = parse_json::<Outer>(br#"{"inner":{"name":"a"},"count":1} x"#);
        assert!(trailing.is_err());
    }

    #[test]
    fn store_errors_map_to_statuses_without_leaking() {
        let cases: Vec<(StoreError, u16)> = vec![
            (
                StoreError::NotFound {
                    entity: "unit",
                    id: "7".into(),
                },
                404,
            ),
            (StoreError::OutOfScope("root unit".into()), 403),
            (
                StoreError::Conflict {
                    field: "code".into(),
                    message: "taken".into(),
                },
                409,
            ),
            (FieldError::new("value", "bad").into(), 422),
            (StoreError::Corrupt("units.secret_column".into()), 500),
        ];
        for (error, status) in cases {
            let api = ApiError::from(error);
            assert_eq!(api.status.as_u16(), status);
            if status == 500 {
                assert!(!api.problem().detail.unwrap_or_default().contains("secret"));
            }
        }
    }
}
