//! `/scans` and scan schedules: runs of the external scanner on the server, over an information
//! system's assets or explicit targets the inventory covers, within the caller's units; and
//! daily or weekly schedules per system. The worker in `canhgac serve` runs them.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::scan_run::{
    check_scan_profile, ScanChange, ScanFilter, ScanRequest, ScanRun, ScanSchedule,
    ScanScheduleInput, ScanStatus,
};
use canhgac_model::{Finding, Id, Page, Scope};
use canhgac_scan::target::{check_scope, TargetSpec};
use serde::{Deserialize, Serialize};

use super::alerts::parse_enum;
use super::error::{ApiError, ApiJson, ApiPath};
use super::events::{id_param, query_pairs};
use super::paging::{listing, page_request};
use super::{created, require_responder, Created};
use crate::auth::Caller;
use crate::AppState;

/// What `POST /scans` reads: a system, or targets of the inventory, and a profile.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScan {
    /// Scan this system's assets.
    #[serde(default)]
    pub system_id: Option<Id>,
    /// Or these targets (IP, CIDR, domain, URL); each must be covered by an asset of a system
    /// of the caller's units.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `quick`, `full`, `portal` or `mail`.
    pub profile: String,
}

/// Turns a request into a run the caller may queue: the system's assets, or targets checked
/// against the caller's inventory (anything else is refused, naming the target). Shared with
/// the console.
pub async fn scan_request(
    state: &AppState,
    scope: &Scope,
    scan: &NewScan,
) -> Result<ScanRequest, ApiError> {
    check_scan_profile(scan.profile.trim())?;
    let profile = scan.profile.trim().to_string();
    let targets: Vec<String> = scan
        .targets
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    let assets = state.store.scan_assets(scope).await?;
    match (scan.system_id, targets.is_empty()) {
        (Some(_), false) => Err(ApiError::invalid(
            "targets",
            "chọn một hệ thống hoặc liệt kê mục tiêu, không cả hai",
        )),
        (None, true) => Err(ApiError::invalid(
            "system_id",
            "cần chọn hệ thống hoặc liệt kê mục tiêu để rà quét",
        )),
        (Some(system_id), true) => {
            let own: Vec<_> = assets.iter().filter(|a| a.system_id == system_id).collect();
            let Some(first) = own.first() else {
                // Hidden and missing systems answer alike; a visible one simply has no assets.
                state.store.get_system(scope, system_id).await?;
                return Err(ApiError::invalid(
                    "system_id",
                    "hệ thống chưa có tài sản nào trong danh mục để rà quét",
                ));
            };
            Ok(ScanRequest {
                profile,
                targets: own.iter().map(|a| a.value.clone()).collect(),
                system_id: Some(system_id),
                unit_id: first.unit_id,
                schedule_id: None,
            })
        }
        (None, false) => {
            let specs = targets
                .iter()
                .map(|t| TargetSpec::parse(t))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::invalid("targets", e.to_string()))?;
            let owned: Vec<_> = assets.iter().map(|a| (a.kind, a.value.clone())).collect();
            check_scope(&specs, &owned).map_err(|e| ApiError::invalid("targets", e.to_string()))?;
            // The run belongs to the system covering its first target; it names a system when
            // one system covers every target.
            let covering = |spec: &TargetSpec| {
                assets
                    .iter()
                    .filter(|a| spec.covered_by(&[(a.kind, a.value.clone())]))
                    .map(|a| (a.system_id, a.unit_id))
                    .collect::<Vec<_>>()
            };
            let first = covering(&specs[0]);
            let Some(&(_, unit_id)) = first.first() else {
                return Err(ApiError::invalid(
                    "targets",
                    "mục tiêu không thuộc danh mục",
                ));
            };
            let system_id = first.iter().map(|(s, _)| *s).find(|system| {
                specs
                    .iter()
                    .all(|spec| covering(spec).iter().any(|(s, _)| s == system))
            });
            Ok(ScanRequest {
                profile,
                targets,
                system_id,
                unit_id,
                schedule_id: None,
            })
        }
    }
}

/// Queues a scan of a system of the caller's units, or of targets the inventory covers. The
/// server's worker runs it; follow it with `GET /scans/{id}`.
#[utoipa::path(post, operation_id = "create_scan", path = "/api/v1/scans", tag = "scans", request_body = NewScan,
    responses((status = 201, description = "The queued run", body = ScanRun)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(scan): ApiJson<NewScan>,
) -> Result<Created<ScanRun>, ApiError> {
    require_responder(&caller)?;
    let request = scan_request(&state, &caller.scope(), &scan).await?;
    let run = state.store.create_scan(&caller.actor(), &request).await?;
    Ok(created("scans", run.id, run))
}

/// Filters of `GET /scans`.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ScanQuery {
    /// Only runs in this state.
    status: Option<ScanStatus>,
    /// Only runs of this system.
    system_id: Option<Id>,
    /// 1-based page number (default 1).
    page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    per_page: Option<i64>,
}

/// Reads the scan filters and paging of a query string (shared with the console).
pub fn scan_filter(
    pairs: &[(String, String)],
) -> Result<(ScanFilter, Option<i64>, Option<i64>), ApiError> {
    let mut filter = ScanFilter::default();
    let (mut page, mut per_page) = (None, None);
    for (name, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "status" => filter.status = Some(parse_enum("status", value)?),
            "system_id" | "system" => filter.system_id = Some(id_param("system_id", value)?),
            "page" => page = Some(id_param("page", value)?),
            "per_page" => per_page = Some(id_param("per_page", value)?),
            _ => {}
        }
    }
    Ok((filter, page, per_page))
}

/// Scan runs of the caller's units, newest first.
#[utoipa::path(get, operation_id = "list_scans", path = "/api/v1/scans", tag = "scans", params(ScanQuery),
    responses((status = 200, description = "A page of runs", body = Page<ScanRun>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (filter, page, per_page) = scan_filter(&query_pairs(&uri)?)?;
    let page = page_request(page, per_page, None)?;
    let runs = state
        .store
        .list_scans(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, runs))
}

/// A run with what it did to the findings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanDetail {
    /// The run: state, progress, counts, report.
    #[serde(flatten)]
    pub run: ScanRun,
    /// Findings the run created or reopened.
    pub new: Vec<Finding>,
    /// Findings the run no longer saw, now fixed.
    pub fixed: Vec<Finding>,
    /// Findings the run saw again.
    pub still_open: Vec<Finding>,
}

/// Reads a run of the caller's units with its diff (shared with the console).
pub async fn scan_detail(state: &AppState, scope: &Scope, id: Id) -> Result<ScanDetail, ApiError> {
    let run = state.store.get_scan(scope, id).await?;
    let mut detail = ScanDetail {
        run,
        new: Vec::new(),
        fixed: Vec::new(),
        still_open: Vec::new(),
    };
    for (change, finding) in state.store.scan_findings(scope, id).await? {
        match change {
            ScanChange::New => detail.new.push(finding),
            ScanChange::Fixed => detail.fixed.push(finding),
            ScanChange::Open => detail.still_open.push(finding),
        }
    }
    Ok(detail)
}

/// One run: state, progress, counts, the report (services per host, web titles) and the diff:
/// new, fixed and still open findings.
#[utoipa::path(get, operation_id = "get_scan", path = "/api/v1/scans/{id}", tag = "scans",
    params(("id" = Id, Path, description = "Scan id")),
    responses((status = 200, description = "The run", body = ScanDetail)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<ScanDetail>, ApiError> {
    Ok(Json(scan_detail(&state, &caller.scope(), id).await?))
}

/// Cancels a queued or running scan; a finished one is a conflict.
#[utoipa::path(post, operation_id = "cancel_scan", path = "/api/v1/scans/{id}/cancel", tag = "scans",
    params(("id" = Id, Path, description = "Scan id")),
    responses((status = 200, description = "The cancelled run", body = ScanRun)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<ScanRun>, ApiError> {
    state.store.get_scan(&caller.scope(), id).await?;
    require_responder(&caller)?;
    Ok(Json(state.store.cancel_scan(&caller.actor(), id).await?))
}

/// Scan schedules of a system of the caller's units.
#[utoipa::path(get, operation_id = "list_scan_schedules", path = "/api/v1/systems/{id}/scan-schedules", tag = "scans",
    params(("id" = Id, Path, description = "System id")),
    responses((status = 200, description = "The schedules", body = Vec<ScanSchedule>)))]
pub async fn list_schedules(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Vec<ScanSchedule>>, ApiError> {
    state.store.get_system(&caller.scope(), id).await?;
    Ok(Json(
        state
            .store
            .list_scan_schedules(&caller.scope(), Some(id))
            .await?,
    ))
}

/// Adds a schedule to a system: daily or weekly (with `weekday`, 1 = Monday), at `time`
/// (`HH:MM`, Asia/Ho_Chi_Minh).
#[utoipa::path(post, operation_id = "create_scan_schedule", path = "/api/v1/systems/{id}/scan-schedules", tag = "scans",
    request_body = ScanScheduleInput, params(("id" = Id, Path, description = "System id")),
    responses((status = 201, description = "The schedule", body = ScanSchedule)))]
pub async fn create_schedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<ScanScheduleInput>,
) -> Result<Created<ScanSchedule>, ApiError> {
    state.store.get_system(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let schedule = state
        .store
        .create_scan_schedule(&caller.actor(), id, &input)
        .await?;
    Ok(created("scan-schedules", schedule.id, schedule))
}

/// Changes a schedule; its next run is computed again.
#[utoipa::path(put, operation_id = "update_scan_schedule", path = "/api/v1/scan-schedules/{id}", tag = "scans",
    request_body = ScanScheduleInput, params(("id" = Id, Path, description = "Schedule id")),
    responses((status = 200, description = "The schedule", body = ScanSchedule)))]
pub async fn update_schedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<ScanScheduleInput>,
) -> Result<Json<ScanSchedule>, ApiError> {
    state.store.get_scan_schedule(&caller.scope(), id).await?;
    require_responder(&caller)?;
    Ok(Json(
        state
            .store
            .update_scan_schedule(&caller.actor(), id, &input)
            .await?,
    ))
}

/// Deletes a schedule; the runs it queued stay.
#[utoipa::path(delete, operation_id = "delete_scan_schedule", path = "/api/v1/scan-schedules/{id}", tag = "scans",
    params(("id" = Id, Path, description = "Schedule id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_schedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    state.store.get_scan_schedule(&caller.scope(), id).await?;
    require_responder(&caller)?;
    state
        .store
        .delete_scan_schedule(&caller.actor(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
