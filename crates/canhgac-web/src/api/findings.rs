//! `/findings`: weaknesses found by scans, password audits, file sweeps and breach lists, within
//! the caller's scope; tools report them here (`canhgac yara --watch`, `canhgac passwords audit
//! --server`), people move them through their lifecycle.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::Json;
use canhgac_model::{
    AlertDraft, AlertSource, Finding, FindingBatch, FindingCount, FindingFilter, FindingOutcome,
    FindingSource, FindingStatus, Id, Page, Scope, Severity,
};
use serde::Deserialize;

use super::alerts::parse_enum;
use super::error::{ApiError, ApiJson, ApiPath};
use super::events::{id_param, query_pairs};
use super::paging::{listing, page_request};
use super::require_responder;
use crate::auth::Caller;
use crate::AppState;

/// Filters of `GET /findings` (documentation; the handler reads repeated `status`es itself).
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FindingQuery {
    /// Only these states; repeatable or comma-separated. `open` stands for open and reopened.
    status: Option<Vec<FindingStatus>>,
    /// Only this severity or higher.
    min_severity: Option<Severity>,
    /// Only findings of this unit and its descendants (also accepted as `unit`).
    unit_id: Option<Id>,
    /// Only this producer.
    source: Option<FindingSource>,
    /// Only this category (`webshell`, `breached_password`, `email_on_social_site`, ...).
    category: Option<String>,
    /// Text in the title, subject, host or key.
    q: Option<String>,
    /// 1-based page number (default 1).
    page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    per_page: Option<i64>,
}

/// Reads the finding filters and paging of a query string (shared with the console).
pub fn finding_filter(
    pairs: &[(String, String)],
) -> Result<(FindingFilter, Option<i64>, Option<i64>), ApiError> {
    let mut filter = FindingFilter::default();
    let (mut page, mut per_page) = (None, None);
    let number = |field: &'static str, value: &str| -> Result<Option<i64>, ApiError> {
        value
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(field, "is not a number"))
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
                            .extend([FindingStatus::Open, FindingStatus::Reopened]);
                    } else {
                        filter.statuses.push(parse_enum("status", code)?);
                    }
                }
            }
            "min_severity" => filter.min_severity = Some(parse_enum("min_severity", value)?),
            "unit_id" | "unit" => filter.unit_id = Some(id_param("unit_id", value)?),
            "source" => filter.source = Some(parse_enum("source", value)?),
            "category" => {
                if value.chars().count() > 100 {
                    return Err(ApiError::invalid(
                        "category",
                        "is longer than 100 characters",
                    ));
                }
                filter.category = Some(value.to_string());
            }
            "q" => {
                if value.chars().count() > 200 {
                    return Err(ApiError::invalid("q", "is longer than 200 characters"));
                }
                filter.q = Some(value.to_string());
            }
            "page" => page = number("page", value)?,
            "per_page" => per_page = number("per_page", value)?,
            _ => {}
        }
    }
    filter.statuses.sort();
    filter.statuses.dedup();
    Ok((filter, page, per_page))
}

/// Lists the findings of the caller's units (findings without a unit too for callers who see
/// every unit), most severe and most recent first.
#[utoipa::path(get, operation_id = "list_findings", path = "/api/v1/findings", tag = "findings", params(FindingQuery),
    responses((status = 200, description = "A page of findings", body = Page<Finding>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (filter, page, per_page) = finding_filter(&query_pairs(&uri)?)?;
    let page = page_request(page, per_page, None)?;
    let findings = state
        .store
        .list_findings(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, findings))
}

/// One finding, with its evidence.
#[utoipa::path(get, operation_id = "get_finding", path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = Id, Path, description = "Finding id")),
    responses((status = 200, description = "The finding", body = Finding)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Finding>, ApiError> {
    Ok(Json(state.store.get_finding(&caller.scope(), id).await?))
}

/// Reports findings, e.g. one run of a tool. With `snapshot`, the batch is the run's complete
/// result and open findings of that shape it no longer contains are marked fixed. A finding
/// without `unit_id` is attributed by its `host` through the inventory; every finding must
/// belong to the caller's units, or nothing is written.
#[utoipa::path(post, operation_id = "record_findings", path = "/api/v1/findings", tag = "findings",
    request_body = FindingBatch,
    responses((status = 200, description = "What the batch did", body = FindingOutcome)))]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(batch): ApiJson<FindingBatch>,
) -> Result<Json<FindingOutcome>, ApiError> {
    require_responder(&caller)?;
    let outcome = state.store.record_findings(&caller.actor(), &batch).await?;
    raise_alerts(&state, &outcome.raised).await?;
    Ok(Json(outcome))
}

/// Findings of malware on a server are signs of compromise: each new or reopened one also
/// becomes an alert, so the people on duty hear of it the way they hear of attacks.
pub async fn raise_alerts(state: &AppState, raised: &[Id]) -> Result<(), ApiError> {
    let mut drafts = Vec::new();
    for id in raised {
        let finding = state.store.get_finding(&Scope::All, *id).await?;
        if finding.source != FindingSource::Malware || finding.severity < Severity::Medium {
            continue;
        }
        drafts.push(AlertDraft {
            source: AlertSource::Finding,
            rule_key: format!("finding:{id}"),
            title: finding.title.clone(),
            severity: finding.severity,
            tags: vec![format!("finding.{}", finding.category)],
            unit_id: finding.unit_id,
            host: finding.host.clone(),
            time: finding.last_seen,
            evidence: serde_json::json!({
                "finding_id": finding.id,
                "subject": finding.subject,
                "category": finding.category,
                "evidence": finding.evidence,
            }),
        });
    }
    if !drafts.is_empty() {
        // One alert per finding (the rule key names it), so the window only folds repeats.
        state
            .store
            .record_alerts(&drafts, jiff::SignedDuration::from_hours(24))
            .await?;
        state.alert_counts.forget();
    }
    Ok(())
}

/// What `POST /findings/{id}/status` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The new state.
    pub status: FindingStatus,
    /// Why; required for `accepted` and `false_positive`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Until when an accepted risk or a false positive holds (RFC 3339); after it, a run that
    /// still sees the finding reopens it.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<canhgac_model::Timestamp>,
}

/// Moves a finding through its life (fixed, reopened, accepted or false positive with a
/// reason); recorded in the audit log.
#[utoipa::path(post, operation_id = "set_finding_status", path = "/api/v1/findings/{id}/status", tag = "findings",
    request_body = StatusChange, params(("id" = Id, Path, description = "Finding id")),
    responses((status = 200, description = "The finding after the change", body = Finding)))]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<StatusChange>,
) -> Result<Json<Finding>, ApiError> {
    // Outside the scope answers 404 before the role is looked at, like the inventory.
    state.store.get_finding(&caller.scope(), id).await?;
    require_responder(&caller)?;
    Ok(Json(
        state
            .store
            .set_finding_status(&caller.actor(), id, input.status, input.reason, input.until)
            .await?,
    ))
}

/// Filters of `GET /findings/counts`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountQuery {
    /// Only this producer.
    pub source: Option<FindingSource>,
}

/// Counts of findings in the caller's scope by unit, source, category and state (the hygiene
/// view's table).
#[utoipa::path(get, operation_id = "finding_counts", path = "/api/v1/findings/counts", tag = "findings",
    params(CountQuery),
    responses((status = 200, description = "Counts", body = Vec<FindingCount>)))]
pub async fn counts(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Vec<FindingCount>>, ApiError> {
    let mut source = None;
    for (name, value) in query_pairs(&uri)? {
        if name == "source" && !value.trim().is_empty() {
            source = Some(parse_enum("source", &value)?);
        }
    }
    Ok(Json(
        state.store.finding_counts(&caller.scope(), source).await?,
    ))
}
