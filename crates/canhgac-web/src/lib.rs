//! The canhgac web server: the HTML console, the JSON API, `/healthz` and `/metrics`.
//!
//! This crate holds no business logic: handlers check who is calling ([`auth::Caller`]), call the
//! [`canhgac_store::Store`] with the caller's scope, and render HTML (the [`console`], server-side,
//! usable without JavaScript) or JSON (the [`api`] under `/api/v1`, with an OpenAPI document at
//! `/api/v1/openapi.json`).
//!
//! ```no_run
//! # async fn demo(store: std::sync::Arc<dyn canhgac_store::Store>) -> anyhow::Result<()> {
//! let state = canhgac_web::AppState::new(store, canhgac_web::WebSettings::default());
//! let app = canhgac_web::router(state);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use canhgac_store::Store;

pub mod api;
pub mod auth;
pub mod console;
pub mod detection;
pub mod events;
pub mod flow;
pub mod malware;
pub mod respond;
pub mod watch;

/// Settings of the web server, from the `[web]` section of the configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// How long a console session lasts after signing in (one working shift by default).
    pub session_ttl: Duration,
    /// Largest request body accepted (uploads included), in bytes.
    pub max_body_bytes: usize,
    /// Failed sign-ins allowed per username and per client address within `login_window`.
    pub login_attempts: u32,
    /// The window for `login_attempts`.
    pub login_window: Duration,
    /// Time zone for displayed times (Asia/Ho_Chi_Minh).
    pub time_zone: jiff::tz::TimeZone,
    /// Console language when the browser has not chosen one: `vi` (default) or `en`.
    pub default_lang: String,
    /// Days of stored events a retro-hunt searches (`[intel] retrohunt_days`).
    pub retrohunt_days: u32,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl: Duration::from_secs(8 * 3600),
            max_body_bytes: 10 * 1024 * 1024,
            login_attempts: 5,
            login_window: Duration::from_secs(15 * 60),
            time_zone: jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh")
                .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(7))),
            default_lang: "vi".to_string(),
            retrohunt_days: 30,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Settings.
    pub settings: Arc<WebSettings>,
    /// The one-time setup secret that creates the first admin, while no user exists.
    pub setup: Arc<auth::SetupToken>,
    /// Failed sign-in counters.
    pub login_limiter: Arc<auth::LoginLimiter>,
    /// Request counters and latencies for `/metrics`.
    pub metrics: Arc<api::metrics::Metrics>,
    /// The live detection path, when the server runs one.
    pub detection: Option<Arc<dyn detection::Detection>>,
    /// The watch engine, when the server runs one.
    pub watch: Option<Arc<dyn watch::Watch>>,
    /// The file scanner (YARA and known-bad hashes), when the server has one.
    pub file_scanner: Option<Arc<dyn malware::FileScanner>>,
    /// Open-alert counts for the console's page header.
    pub alert_counts: console::header::AlertCounts,
    /// Bulletin emails and the outbox sender.
    pub respond: Arc<respond::Respond>,
    /// The live picture of the ISP network watch, when the server runs the flow collector.
    pub flow: Option<Arc<canhgac_flow::board::FlowBoard>>,
    /// Incident reports: issuers and recipients over time, and the mailer.
    pub reports: Arc<canhgac_respond::reports::ReportDesk>,
}

impl AppState {
    /// State over `store` with `settings`, and no setup token.
    pub fn new(store: Arc<dyn Store>, settings: WebSettings) -> Self {
        let limiter = auth::LoginLimiter::new(settings.login_attempts, settings.login_window);
        Self {
            store,
            settings: Arc::new(settings),
            setup: Arc::new(auth::SetupToken::default()),
            login_limiter: Arc::new(limiter),
            metrics: Arc::new(api::metrics::Metrics::default()),
            detection: None,
            watch: None,
            file_scanner: None,
            alert_counts: console::header::AlertCounts::default(),
            respond: Arc::new(respond::Respond::default()),
            flow: None,
            reports: Arc::new(canhgac_respond::reports::ReportDesk::default()),
        }
    }

    /// The same state with the incident reports' configuration and mailer plugged in.
    pub fn with_reports(mut self, reports: canhgac_respond::reports::ReportDesk) -> Self {
        self.reports = Arc::new(reports);
        self
    }

    /// The same state with a watch engine plugged in.
    pub fn with_watch(mut self, watch: Arc<dyn watch::Watch>) -> Self {
        self.watch = Some(watch);
        self
    }

    /// The same state with the flow collector's board plugged in.
    pub fn with_flow(mut self, board: Arc<canhgac_flow::board::FlowBoard>) -> Self {
        self.flow = Some(board);
        self
    }

    /// The same state with a file scanner plugged in.
    pub fn with_file_scanner(mut self, scanner: Arc<dyn malware::FileScanner>) -> Self {
        self.file_scanner = Some(scanner);
        self
    }

    /// The same state with the respond capability's settings (public URL, email) plugged in.
    pub fn with_respond(mut self, respond: respond::Respond) -> Self {
        self.respond = Arc::new(respond);
        self
    }

    /// The same state with a live detection path plugged in.
    pub fn with_detection(mut self, detection: Arc<dyn detection::Detection>) -> Self {
        self.detection = Some(detection);
        self
    }
}

/// The whole application: console, API, health and metrics.
///
/// Layers, outermost first: tracing; request metrics (by route pattern, so they see every answer,
/// 413s included); the body limit (announced lengths refused at once, streamed bodies bounded
/// while read). API writes authenticated by the session cookie also need the CSRF header.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    let api = api::router().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        api::guard::csrf,
    ));
    Router::new()
        .merge(console::router())
        .nest("/api/v1", api)
        .merge(api::ops_router())
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::guard::limit_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::metrics::track,
        ))
        .layer(
            // The span names the path only: query strings can carry secrets (`/setup?token=`),
            // and so do the paths of bulletin confirmation links, which are cut.
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |request: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!(
                        "http",
                        method = %request.method(),
                        path = %loggable_path(request.uri().path()),
                    )
                },
            ),
        )
        .with_state(state)
}

/// A request path fit for the log: the token of a bulletin confirmation link is replaced.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const CONFIRM: &str = canhgac_respond::bulletins::CONFIRM_PATH;
    const ACK: &str = console::duty::ACK_PATH;
    if path.starts_with(CONFIRM) {
        std::borrow::Cow::Owned(format!("{CONFIRM}***"))
    } else if path.starts_with(ACK) {
        std::borrow::Cow::Owned(format!("{ACK}***"))
    } else {
        std::borrow::Cow::Borrowed(path)
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn confirmation_tokens_stay_out_of_the_log() {
        assert_eq!(
            loggable_path("/bulletins/confirm/AbCdEf0123456789abcdefABCDEF0123456789abcde"),
            "/bulletins/confirm/***"
        );
        assert_eq!(loggable_path("/bulletins/7"), "/bulletins/7");
        assert_eq!(loggable_path("/ack/YWxlcnQ.c2ln"), "/ack/***");
    }
}
