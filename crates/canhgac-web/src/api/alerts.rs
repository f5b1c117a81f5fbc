//! `/alerts`: hits of every detector folded into alerts, within the caller's scope, and their
//! triage.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::Json;
use canhgac_model::{Alert, AlertFilter, AlertSource, AlertStatus, Id, Page, Severity};
use serde::Deserialize;

use super::error::{ApiError, ApiJson, ApiPath};
use super::events::{id_param, query_pairs};
use super::paging::{listing, page_request};
use super::require_responder;
use crate::auth::Caller;
use crate::AppState;

/// Filters of `GET /alerts` (documentation; the handler reads repeated `status`es itself).
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AlertQuery {
    /// Only these states; repeatable (`status=new&status=acknowledged`) or comma-separated.
    /// `open` stands for new and acknowledged.
    status: Option<Vec<AlertStatus>>,
    /// Only this severity or higher.
    min_severity: Option<Severity>,
    /// Only alerts of this unit and its descendants (also accepted as `unit`).
    unit_id: Option<Id>,
    /// Only this detector.
    source: Option<AlertSource>,
    /// Text in the title, rule key or host.
    q: Option<String>,
    /// 1-based page number (default 1).
    page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    per_page: Option<i64>,
}

/// Reads an enum code of a query parameter, naming the parameter when it is not one.
pub(crate) fn parse_enum<T: std::str::FromStr<Err = String>>(
    field: &'static str,
    value: &str,
) -> Result<T, ApiError> {
    value
        .trim()
        .parse()
        .map_err(|message: String| ApiError::invalid(field, message))
}

/// Reads the alert filters and paging of a query string (shared with the console).
pub fn alert_filter(
    pairs: &[(String, String)],
) -> Result<(AlertFilter, Option<i64>, Option<i64>), ApiError> {
    let mut filter = AlertFilter::default();
    let (mut page, mut per_page) = (None, None);
    let number = |field: &'static str, value: &str| -> Result<Option<i64>, ApiError> {
        match value.trim() {
            "" => Ok(None),
            text => text
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(field, "is not a number")),
        }
    };
    for (name, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "status" => {
                for code in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    if code == "open" {
                        filter
                            .statuses
                            .extend([AlertStatus::New, AlertStatus::Acknowledged]);
                    } else {
                        filter.statuses.push(parse_enum("status", code)?);
                    }
                }
            }
            "min_severity" => filter.min_severity = Some(parse_enum("min_severity", value)?),
            "unit_id" | "unit" => filter.unit_id = Some(id_param("unit_id", value)?),
            "source" => filter.source = Some(parse_enum("source", value)?),
            "q" => filter.q = Some(value.to_string()),
            "page" => page = number("page", value)?,
            "per_page" => per_page = number("per_page", value)?,
            _ => {}
        }
    }
    filter.statuses.sort();
    filter.statuses.dedup();
    Ok((filter, page, per_page))
}

/// Lists the alerts of the caller's units (unattributed ones too for callers who see every
/// unit), most recent hit first.
#[utoipa::path(get, operation_id = "list_alerts", path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, description = "A page of alerts", body = Page<Alert>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (filter, page, per_page) = alert_filter(&query_pairs(&uri)?)?;
    let page = page_request(page, per_page, None)?;
    if filter.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid("q", "is longer than 200 characters"));
    }
    let alerts = state
        .store
        .list_alerts(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, alerts))
}

/// One alert, with its evidence (the first matching events).
#[utoipa::path(get, operation_id = "get_alert", path = "/api/v1/alerts/{id}", tag = "alerts",
    params(("id" = Id, Path, description = "Alert id")),
    responses((status = 200, description = "The alert", body = Alert)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(state.store.get_alert(&caller.scope(), id).await?))
}

/// What `POST /alerts/{id}/triage` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Triage {
    /// The new state.
    pub status: AlertStatus,
    /// Why; absent or blank keeps the previous comment.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Moves an alert through triage (new, acknowledged, false positive, resolved) with a comment;
/// recorded in the audit log.
#[utoipa::path(post, operation_id = "triage_alert", path = "/api/v1/alerts/{id}/triage", tag = "alerts",
    request_body = Triage, params(("id" = Id, Path, description = "Alert id")),
    responses((status = 200, description = "The alert after triage", body = Alert)))]
pub async fn triage(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<Triage>,
) -> Result<Json<Alert>, ApiError> {
    // Outside the scope answers 404 before the role is looked at, like the inventory.
    state.store.get_alert(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let alert = state
        .store
        .triage_alert(&caller.actor(), id, input.status, input.comment)
        .await?;
    state.alert_counts.forget();
    Ok(Json(alert))
}
