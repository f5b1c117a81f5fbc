//! `/events`: log intake over HTTP (NDJSON, gzip accepted) and event search; and
//! `/detection/status`, the live path's counters. All need the live detection path; without it
//! they answer 503.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, OriginalUri, Request, State};
use axum::http::header;
use axum::Json;
use canhgac_eventlog::StoredEvent;
use canhgac_model::Id;
use serde::Serialize;

use super::error::{bytes_rejection, ApiError};
use super::require_responder;
use crate::auth::Caller;
use crate::detection::{Detection, SubmitError, SubmitReceipt};
use crate::events::{SearchError, SearchFields};
use crate::AppState;

/// The live path, or 503.
pub(crate) fn detection(state: &AppState) -> Result<&Arc<dyn Detection>, ApiError> {
    state
        .detection
        .as_ref()
        .ok_or_else(|| ApiError::unavailable("detection is not running on this server"))
}

impl From<SearchError> for ApiError {
    fn from(error: SearchError) -> Self {
        match error {
            SearchError::Invalid { field, message } => ApiError::invalid(field, message),
            SearchError::Store(store) => store.into(),
        }
    }
}

/// What `POST /events` answers once the batch is stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// Events stored.
    pub accepted: usize,
}

/// True when the body is announced as gzip (`Content-Encoding: gzip`).
fn gzipped(headers: &axum::http::HeaderMap) -> Result<bool, ApiError> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(false);
    };
    let value = value.to_str().unwrap_or("").trim().to_ascii_lowercase();
    match value.as_str() {
        "" | "identity" => Ok(false),
        "gzip" | "x-gzip" => Ok(true),
        other => Err(ApiError::unsupported_media_type(format!(
            "Content-Encoding {other:?} is not supported; send the body plain or as gzip"
        ))),
    }
}

/// Takes a batch of events as NDJSON (one JSON object per line), plain or gzip-compressed.
/// Answers only once every event of the batch is durably stored; a bad line refuses the whole
/// batch (nothing is stored) and the problem names the line.
#[utoipa::path(post, operation_id = "submit_events", path = "/api/v1/events", tag = "detection",
    request_body(content = String, content_type = "application/x-ndjson", description = "One JSON object per line; `Content-Encoding: gzip` accepted"),
    responses(
        (status = 200, description = "Every event is stored", body = Accepted),
        (status = 400, description = "A line is not a JSON object (the problem names it); nothing was stored"),
        (status = 413, description = "The body, once decompressed, or an event is too large"),
        (status = 503, description = "Detection is off or cannot take the batch now; retry later"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<Accepted>, ApiError> {
    require_responder(&caller)?;
    require_event_sender(&caller.scope())?;
    let detection = detection(&state)?.clone();
    let gzip = gzipped(request.headers())?;
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let body = Bytes::from_request(request, &state)
        .await
        .map_err(bytes_rejection)?;
    match detection.submit_ndjson(body, gzip, peer).await {
        Ok(SubmitReceipt { accepted }) => Ok(Json(Accepted { accepted })),
        Err(SubmitError::Invalid { line, reason }) => {
            let message = if line == 0 {
                format!("the body cannot be read: {reason}")
            } else {
                format!("line {line}: {reason}")
            };
            Err(
                ApiError::bad_request(format!("{message}; nothing was stored"))
                    .with_errors(vec![message]),
            )
        }
        Err(SubmitError::TooLarge(what)) => {
            Err(ApiError::payload_too_large(None).with_detail(format!("too large: {what}")))
        }
        Err(SubmitError::Unavailable(why)) => Err(ApiError::unavailable(format!(
            "the event store cannot take the batch now ({why}); retry later"
        ))),
    }
}

/// Events are attributed by the inventory, not by who sends them, so a sender limited to some
/// units could plant events (and alerts) in other units' views: sending needs every unit.
pub fn require_event_sender(scope: &canhgac_model::Scope) -> Result<(), ApiError> {
    if scope.is_all() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "sending events needs access to every unit (use an analyst's or admin's token): \
             events are attributed to units by the inventory, not by the sender",
        ))
    }
}

/// Filters of `GET /events` (documentation; the handler reads repeated `field`s itself).
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventSearchQuery {
    /// Earliest event time: RFC 3339, or `dd/mm/yyyy HH:MM` in the server's time zone.
    from: Option<String>,
    /// Latest event time (exclusive), same forms.
    to: Option<String>,
    /// Only events of this unit and its descendants (also accepted as `unit`).
    unit_id: Option<Id>,
    /// Only events of this host.
    host: Option<String>,
    /// `name:value` (or `name=value`): the field equals the value, ignoring case. Repeatable.
    field: Option<Vec<String>>,
    /// Words that must all appear in the message or a field value.
    q: Option<String>,
    /// Most events to answer, 1–1000 (default 100).
    limit: Option<usize>,
    /// `next` of the previous answer, to continue after it.
    before: Option<String>,
}

/// A page of stored events, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventResults {
    /// The events, each with its `cursor` and the `event` (time, received, kind, host, peer,
    /// unit_id, message, fields as `[name, value]` pairs).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<StoredEvent>,
    /// Pass as `before` for the next page; absent when this page is the last.
    pub next: Option<String>,
    /// Stored events examined to answer.
    pub scanned: u64,
    /// Time the search took, in milliseconds.
    pub took_ms: u64,
}

/// The name/value pairs of a query string, in order (names may repeat).
pub(crate) fn query_pairs(uri: &axum::http::Uri) -> Result<Vec<(String, String)>, ApiError> {
    crate::console::session::serde_urlencoded_pairs(uri.query().unwrap_or("").as_bytes())
        .map_err(ApiError::bad_request)
}

/// Reads an id query value; `field` names it in the problem.
pub(crate) fn id_param(field: &'static str, value: &str) -> Result<Id, ApiError> {
    value
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, "is not an id"))
}

fn search_fields(uri: &axum::http::Uri) -> Result<SearchFields, ApiError> {
    let mut search = SearchFields::default();
    for (name, value) in query_pairs(uri)? {
        match name.as_str() {
            "from" => search.from = Some(value),
            "to" => search.to = Some(value),
            "unit_id" | "unit" if !value.trim().is_empty() => {
                search.unit_id = Some(id_param("unit_id", &value)?);
            }
            "unit_id" | "unit" => {}
            "host" => search.host = Some(value),
            "field" => search.fields.push(value),
            "q" => search.q = Some(value),
            "limit" => {
                search.limit = Some(
                    value
                        .trim()
                        .parse()
                        .map_err(|_| ApiError::invalid("limit", "is not a number"))?,
                );
            }
            "before" => search.before = Some(value),
            _ => {}
        }
    }
    Ok(search)
}

/// Searches stored events of the caller's units (every event, unattributed ones included,
/// for callers who see every unit), newest first.
#[utoipa::path(get, operation_id = "search_events", path = "/api/v1/events", tag = "detection",
    params(EventSearchQuery),
    responses((status = 200, description = "A page of events", body = EventResults),
              (status = 503, description = "Detection is off")))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<EventResults>, ApiError> {
    let detection = detection(&state)?.clone();
    let query = search_fields(&uri)?
        .to_query(
            state.store.as_ref(),
            &caller.scope(),
            &state.settings.time_zone,
            100,
        )
        .await?;
    let started = Instant::now();
    let page = detection.search(query).await.map_err(|message| {
        tracing::error!(%message, "event search failed");
        ApiError::unavailable("the event store cannot be searched now")
    })?;
    Ok(Json(EventResults {
        next: page.next.map(|c| c.to_string()),
        events: page.events,
        scanned: page.scanned,
        took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }))
}

/// What `GET /detection/status` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusAnswer {
    /// False when this server runs no detection (the other fields are then absent).
    pub enabled: bool,
    /// Counters of the live path since start: received, stored, decode_errors, dropped,
    /// alerts, indicators, listeners, eventlog (events, bytes, oldest, newest, segments...).
    #[serde(flatten)]
    #[schema(value_type = Option<Object>)]
    pub status: Option<crate::detection::DetectionStatus>,
    /// Rules loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<usize>,
    /// Rule documents that did not load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_problems: Option<usize>,
}

/// The live path's counters: events received, stored, undecodable, dropped; alerts raised;
/// indicators; listeners; the event store's size and span.
#[utoipa::path(get, operation_id = "detection_status", path = "/api/v1/detection/status", tag = "detection",
    responses((status = 200, description = "Counters, or `enabled: false`", body = StatusAnswer)))]
pub async fn status(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<StatusAnswer>, ApiError> {
    Ok(Json(match &state.detection {
        Some(detection) => {
            let catalog = detection.catalog();
            StatusAnswer {
                enabled: true,
                status: Some(detection.status()),
                rules: Some(catalog.rules.len()),
                rule_problems: Some(catalog.problems.len()),
            }
        }
        None => StatusAnswer {
            enabled: false,
            status: None,
            rules: None,
            rule_problems: None,
        },
    }))
}
