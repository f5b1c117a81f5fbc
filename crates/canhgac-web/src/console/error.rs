//! Error pages (404, 403, 400, 413, 500) rendered inside the console layout.
//!
//! A handler returns a [`PageError`]; it becomes a bare response carrying the error in its
//! extensions, and [`render_error_pages`] (a middleware around every console route) turns it into
//! a full page. The middleware learns the language and the signed-in user from a [`ChromeSlot`]
//! that the console's extractors fill, so error pages look like every other page without each
//! handler passing its context along.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use canhgac_store::StoreError;
use maud::html;

use super::i18n::{Lang, Msg};
use super::layout::{self, Chrome};
use crate::AppState;

/// What went wrong while serving a console page.
#[derive(Debug, Clone)]
pub enum PageError {
    /// No such page or record, or it is outside the caller's units.
    NotFound,
    /// The caller's role does not allow this.
    Forbidden,
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// The request is malformed.
    BadRequest(String),
    /// The body is larger than `max_body_bytes`.
    TooLarge,
    /// A server-side failure (logged; the page says nothing more).
    Internal(String),
}

impl PageError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { .. } => PageError::NotFound,
            StoreError::OutOfScope(_) => PageError::Forbidden,
            StoreError::Conflict { .. } | StoreError::Invalid(_) => {
                PageError::BadRequest(err.to_string())
            }
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let PageError::Internal(message) = &self {
            tracing::error!(%message, "console request failed");
        }
        let status = self.status();
        let mut response = (status, status.canonical_reason().unwrap_or("error")).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Where extractors leave the page chrome (language, user) for the error-page middleware.
#[derive(Clone, Default)]
pub struct ChromeSlot(Arc<Mutex<Option<Chrome>>>);

impl ChromeSlot {
    /// Records the chrome of the current request.
    pub fn fill(&self, chrome: Chrome) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(chrome);
    }

    /// Records the chrome unless an extractor already did (with the signed-in user).
    pub fn fill_if_empty(&self, chrome: Chrome) {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(chrome);
        }
    }

    fn take(&self) -> Option<Chrome> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Middleware: renders [`PageError`] responses as full pages in the layout.
pub async fn render_error_pages(mut request: Request, next: Next) -> Response {
    let slot = ChromeSlot::default();
    request.extensions_mut().insert(slot.clone());
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_string(), |pq| pq.to_string());
    let lang_cookie = {
        let (parts, body) = request.into_parts();
        let lang = Lang::from_parts(&parts, Lang::Vi);
        request = Request::from_parts(parts, body);
        lang
    };
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<PageError>().cloned() else {
        return response;
    };
    let chrome = slot
        .take()
        .unwrap_or_else(|| Chrome::anonymous(lang_cookie, path));
    error_page(&chrome, &error)
}

/// The full error page for `error`.
pub fn error_page(chrome: &Chrome, error: &PageError) -> Response {
    let lang = chrome.lang;
    let (title, text) = match error {
        PageError::NotFound => (
            lang.t(Msg::NotFoundTitle),
            lang.t(Msg::NotFoundText).to_string(),
        ),
        PageError::Forbidden => (
            lang.t(Msg::ForbiddenTitle),
            lang.t(Msg::ForbiddenText).to_string(),
        ),
        PageError::Csrf => (
            lang.t(Msg::ForbiddenTitle),
            lang.t(Msg::CsrfText).to_string(),
        ),
        PageError::BadRequest(message) => (lang.t(Msg::BadRequestTitle), message.clone()),
        PageError::TooLarge => (
            lang.t(Msg::TooLargeTitle),
            lang.t(Msg::TooLargeText).to_string(),
        ),
        PageError::Internal(_) => (lang.t(Msg::ErrorTitle), lang.t(Msg::ErrorText).to_string()),
    };
    let body = html! {
        section.error-page {
            p.error-code { (error.status().as_u16()) }
            p { (text) }
            p { a href="/" { (lang.t(Msg::GoHome)) } }
        }
    };
    let mut response = (error.status(), layout::page(chrome, title, body)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// Fallback for unknown routes: a 404 page in the console, problem+json under `/api/`.
pub async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        let body = serde_json::json!({
            "type": "about:blank", "title": "not found", "status": 404,
            "detail": format!("no route for {}", request.uri().path()),
        });
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response();
    }
    let (mut parts, _) = request.into_parts();
    // Fill the chrome (signed-in user, language) for the error page when there is a session.
    if let Ok(ctx) =
        <super::session::Ctx as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
    {
        drop(ctx);
    } else if let Some(slot) = parts.extensions.get::<ChromeSlot>() {
        let default = Lang::from_code(&state.settings.default_lang).unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |pq| pq.to_string());
        slot.fill(Chrome::anonymous(Lang::from_parts(&parts, default), path));
    }
    PageError::NotFound.into_response()
}
