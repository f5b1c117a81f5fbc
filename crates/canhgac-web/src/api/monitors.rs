//! `/monitors` and `/maintenance`: continuous checks of the caller's assets, their history
//! (checks, hourly rollups, availability, outages), defacement baselines, maintenance windows,
//! and "check now" through the watch engine.
//!
//! Conditions (`[STATUS] == 200`...) are not parsed here: the web layer does not link the watch
//! engine, which reports a condition it cannot read as a failing check naming the parse error.

use std::sync::Arc;

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{
    Availability, CheckResult, DefacementBaseline, Id, MaintenanceWindow, Monitor, MonitorFilter,
    MonitorInput, MonitorKind, MonitorRollup, MonitorStatus, Outage, Page, Timestamp,
};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiJson, ApiPath};
use super::events::{id_param, query_pairs};
use super::paging::{listing, page_request};
use super::{created, require_inventory_editor, require_responder, Created};
use crate::auth::Caller;
use crate::console::format::parse_datetime;
use crate::watch::Watch;
use crate::AppState;

/// The watch engine, or 503.
pub(crate) fn watch(state: &AppState) -> Result<&Arc<dyn Watch>, ApiError> {
    state
        .watch
        .as_ref()
        .ok_or_else(|| ApiError::unavailable("checks are not running on this server"))
}

/// Filters of `GET /monitors` (documentation; the handler reads repeated `status`es itself).
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct MonitorQuery {
    /// Only monitors of this unit and its descendants.
    unit_id: Option<Id>,
    /// Only monitors of this system's assets.
    system_id: Option<Id>,
    /// Only monitors of this asset.
    asset_id: Option<Id>,
    /// Only these states; repeatable or comma-separated.
    status: Option<Vec<MonitorStatus>>,
    /// Only this kind.
    kind: Option<MonitorKind>,
    /// Text in the name or target.
    q: Option<String>,
    /// 1-based page number (default 1).
    page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    per_page: Option<i64>,
}

fn parse_code<T: std::str::FromStr<Err = String>>(
    field: &'static str,
    value: &str,
) -> Result<T, ApiError> {
    value
        .trim()
        .parse()
        .map_err(|message: String| ApiError::invalid(field, message))
}

/// Reads the monitor filters and paging of a query string.
pub fn monitor_filter(
    pairs: &[(String, String)],
) -> Result<(MonitorFilter, Option<i64>, Option<i64>), ApiError> {
    let mut filter = MonitorFilter::default();
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
            "unit_id" | "unit" => filter.unit_id = Some(id_param("unit_id", value)?),
            "system_id" => filter.system_id = Some(id_param("system_id", value)?),
            "asset_id" => filter.asset_id = Some(id_param("asset_id", value)?),
            "status" => {
                for code in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    filter.statuses.push(parse_code("status", code)?);
                }
            }
            "kind" => filter.kind = Some(parse_code("kind", value)?),
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

/// Lists the monitors of the caller's units, by name.
#[utoipa::path(get, operation_id = "list_monitors", path = "/api/v1/monitors", tag = "monitors", params(MonitorQuery),
    responses((status = 200, description = "A page of monitors", body = Page<Monitor>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (filter, page, per_page) = monitor_filter(&query_pairs(&uri)?)?;
    let page = page_request(page, per_page, None)?;
    let monitors = state
        .store
        .list_monitors(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, monitors))
}

/// One monitor with its current state.
#[utoipa::path(get, operation_id = "get_monitor", path = "/api/v1/monitors/{id}", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 200, description = "The monitor", body = Monitor)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Monitor>, ApiError> {
    Ok(Json(state.store.get_monitor(&caller.scope(), id).await?))
}

fn checked(mut input: MonitorInput) -> Result<MonitorInput, ApiError> {
    if input.asset_id <= 0 {
        return Err(ApiError::invalid(
            "asset_id",
            "the asset the monitor checks is required",
        ));
    }
    input.validate()?;
    Ok(input)
}

/// Adds a monitor to an asset of the caller's units. Its unit is the owner of the asset's
/// system. Conditions are read by the watch engine: one it cannot read makes every check fail
/// with the reason.
#[utoipa::path(post, operation_id = "create_monitor", path = "/api/v1/monitors", tag = "monitors", request_body = MonitorInput,
    responses((status = 201, description = "The new monitor", body = Monitor)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<MonitorInput>,
) -> Result<Created<Monitor>, ApiError> {
    require_inventory_editor(&caller)?;
    let input = checked(input)?;
    let record = state.store.create_monitor(&caller.actor(), input).await?;
    Ok(created("monitors", record.id, record))
}

/// Changes a monitor; its state and history are kept.
#[utoipa::path(put, operation_id = "update_monitor", path = "/api/v1/monitors/{id}", tag = "monitors", request_body = MonitorInput,
    params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 200, description = "The changed monitor", body = Monitor)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<MonitorInput>,
) -> Result<Json<Monitor>, ApiError> {
    state.store.get_monitor(&caller.scope(), id).await?;
    require_inventory_editor(&caller)?;
    let input = checked(input)?;
    Ok(Json(
        state
            .store
            .update_monitor(&caller.actor(), id, input)
            .await?,
    ))
}

/// Deletes a monitor with its history, baseline and maintenance windows.
#[utoipa::path(delete, operation_id = "delete_monitor", path = "/api/v1/monitors/{id}", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    state.store.get_monitor(&caller.scope(), id).await?;
    require_inventory_editor(&caller)?;
    state.store.delete_monitor(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads an optional instant of a query string (`RFC 3339` or `dd/mm/yyyy HH:MM` in the server's
/// time zone).
fn instant(
    state: &AppState,
    pairs: &[(String, String)],
    field: &'static str,
) -> Result<Option<Timestamp>, ApiError> {
    let Some((_, text)) = pairs.iter().find(|(name, _)| name == field) else {
        return Ok(None);
    };
    parse_datetime(text, &state.settings.time_zone).map_err(|_| {
        ApiError::invalid(
            field,
            "is not a time: use RFC 3339 or dd/mm/yyyy HH:MM (server time zone)",
        )
    })
}

/// Reads an optional count of a query string within `1..=max`.
fn count(
    pairs: &[(String, String)],
    field: &'static str,
    default: u32,
    max: u32,
) -> Result<u32, ApiError> {
    match pairs.iter().find(|(name, _)| name == field) {
        None => Ok(default),
        Some((_, text)) if text.trim().is_empty() => Ok(default),
        Some((_, text)) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| ApiError::invalid(field, format!("must be from 1 to {max}"))),
    }
}

/// Filters of `GET /monitors/{id}/checks`.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ChecksQuery {
    /// Earliest check: RFC 3339 or `dd/mm/yyyy HH:MM` (default: 24 hours ago).
    since: Option<String>,
    /// Most checks to answer, 1–10,000 (default 1,000).
    limit: Option<u32>,
}

/// The raw checks of a monitor from every probe, newest first.
#[utoipa::path(get, operation_id = "monitor_checks", path = "/api/v1/monitors/{id}/checks", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id"), ChecksQuery),
    responses((status = 200, description = "Checks, newest first", body = Vec<CheckResult>)))]
pub async fn checks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Vec<CheckResult>>, ApiError> {
    let pairs = query_pairs(&uri)?;
    let since = instant(&state, &pairs, "since")?
        .unwrap_or_else(|| Timestamp::now() - SignedDuration::from_hours(24));
    let limit = count(&pairs, "limit", 1000, 10_000)?;
    let scope = caller.scope();
    state.store.get_monitor(&scope, id).await?;
    Ok(Json(
        state.store.recent_checks(&scope, id, since, limit).await?,
    ))
}

/// Filters of `GET /monitors/{id}/rollups`.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RollupsQuery {
    /// First hour: RFC 3339 or `dd/mm/yyyy HH:MM` (default: 30 days before `to`).
    from: Option<String>,
    /// End (exclusive), same forms (default: now).
    to: Option<String>,
}

/// Longest span of rollups one request may ask for.
const MAX_ROLLUP_DAYS: i64 = 400;

/// Hourly rollups of a monitor per probe (checks, passes, response times), oldest first.
#[utoipa::path(get, operation_id = "monitor_rollups", path = "/api/v1/monitors/{id}/rollups", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id"), RollupsQuery),
    responses((status = 200, description = "Hourly rollups, oldest first", body = Vec<MonitorRollup>)))]
pub async fn rollups(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Vec<MonitorRollup>>, ApiError> {
    let pairs = query_pairs(&uri)?;
    let to = instant(&state, &pairs, "to")?.unwrap_or_else(Timestamp::now);
    let from = match instant(&state, &pairs, "from")? {
        Some(from) => from,
        None => to
            .checked_sub(SignedDuration::from_hours(30 * 24))
            .map_err(|_| ApiError::invalid("to", "is out of range"))?,
    };
    if from >= to {
        return Err(ApiError::invalid("from", "must be before `to`"));
    }
    if to.duration_since(from) > SignedDuration::from_hours(MAX_ROLLUP_DAYS * 24) {
        return Err(ApiError::invalid(
            "from",
            format!("the span may be at most {MAX_ROLLUP_DAYS} days"),
        ));
    }
    let scope = caller.scope();
    state.store.get_monitor(&scope, id).await?;
    Ok(Json(
        state.store.monitor_rollups(&scope, id, from, to).await?,
    ))
}

/// Availability of a monitor over the last day, week and month, percent (null without checks).
#[utoipa::path(get, operation_id = "monitor_availability", path = "/api/v1/monitors/{id}/availability", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 200, description = "Availability", body = Availability)))]
pub async fn availability(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Availability>, ApiError> {
    let scope = caller.scope();
    state.store.get_monitor(&scope, id).await?;
    let found = state
        .store
        .availability(&scope, &[id], Timestamp::now())
        .await?;
    Ok(Json(
        found
            .into_iter()
            .find(|(monitor, _)| *monitor == id)
            .map(|(_, availability)| availability)
            .unwrap_or_default(),
    ))
}

/// Filters of `GET /monitors/{id}/outages`.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OutagesQuery {
    /// Most outages to answer, 1–1,000 (default 100).
    limit: Option<u32>,
}

/// The outages of a monitor, newest first (an open one has no `ended_at`).
#[utoipa::path(get, operation_id = "monitor_outages", path = "/api/v1/monitors/{id}/outages", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id"), OutagesQuery),
    responses((status = 200, description = "Outages, newest first", body = Vec<Outage>)))]
pub async fn outages(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Vec<Outage>>, ApiError> {
    let limit = count(&query_pairs(&uri)?, "limit", 100, 1000)?;
    let scope = caller.scope();
    state.store.get_monitor(&scope, id).await?;
    Ok(Json(state.store.outages(&scope, id, limit).await?))
}

/// What `GET /monitors/{id}/baseline` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BaselineView {
    /// The approved page and the capture waiting for review; null before the first capture.
    pub baseline: Option<DefacementBaseline>,
    /// A line diff of the visible text, baseline to candidate (`-` removed, `+` added); null
    /// without a candidate or when the server runs no watch engine.
    pub diff: Option<String>,
}

/// Builds the baseline view of a monitor, with the diff when a candidate waits.
pub(crate) fn baseline_view(
    state: &AppState,
    baseline: Option<DefacementBaseline>,
) -> BaselineView {
    let diff = match (&baseline, &state.watch) {
        (Some(stored), Some(watch)) => stored
            .candidate
            .as_ref()
            .map(|candidate| watch.page_diff(&stored.baseline, candidate)),
        _ => None,
    };
    BaselineView { baseline, diff }
}

/// The defacement baseline of a monitor and, when the page changed, the capture waiting for an
/// analyst with its diff.
#[utoipa::path(get, operation_id = "monitor_baseline", path = "/api/v1/monitors/{id}/baseline", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 200, description = "Baseline, candidate and diff", body = BaselineView)))]
pub async fn baseline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<BaselineView>, ApiError> {
    let scope = caller.scope();
    state.store.get_monitor(&scope, id).await?;
    let stored = state.store.defacement_baseline(&scope, id).await?;
    Ok(Json(baseline_view(&state, stored)))
}

/// Approves the page's latest capture as its new baseline and resolves the monitor's open
/// defacement alerts (422 when no capture waits).
#[utoipa::path(post, operation_id = "approve_monitor_baseline", path = "/api/v1/monitors/{id}/baseline/approve", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 200, description = "The new baseline", body = DefacementBaseline)))]
pub async fn approve_baseline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<DefacementBaseline>, ApiError> {
    state.store.get_monitor(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let approved = state.store.approve_candidate(&caller.actor(), id).await?;
    state.alert_counts.forget();
    Ok(Json(approved))
}

/// Runs one check of the monitor now (recorded like a scheduled one) and answers it.
#[utoipa::path(post, operation_id = "check_monitor_now", path = "/api/v1/monitors/{id}/check", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 200, description = "The check (`ok` false when it failed)", body = CheckResult),
              (status = 503, description = "This server runs no watch engine")))]
pub async fn check_now(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<CheckResult>, ApiError> {
    let monitor = state.store.get_monitor(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let watch = watch(&state)?.clone();
    let result = watch.check_now(&monitor).await.map_err(|message| {
        tracing::warn!(monitor = id, %message, "check now failed");
        ApiError::unavailable(format!("the check could not run: {message}"))
    })?;
    state.alert_counts.forget();
    Ok(Json(result))
}

/// The maintenance windows of a monitor that have not ended.
#[utoipa::path(get, operation_id = "list_monitor_maintenance", path = "/api/v1/monitors/{id}/maintenance", tag = "monitors",
    params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 200, description = "Current and future windows", body = Vec<MaintenanceWindow>)))]
pub async fn list_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Vec<MaintenanceWindow>>, ApiError> {
    let scope = caller.scope();
    state.store.get_monitor(&scope, id).await?;
    Ok(Json(
        state
            .store
            .list_maintenance(&scope, Some(id), Timestamp::now())
            .await?,
    ))
}

/// What `POST /monitors/{id}/maintenance` reads: `minutes` from now (ad hoc), or `starts_at`
/// and `ends_at`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceRequest {
    /// A window starting now and lasting this many minutes (1–43,200).
    #[serde(default)]
    pub minutes: Option<u32>,
    /// Start: RFC 3339 or `dd/mm/yyyy HH:MM` in the server's time zone.
    #[serde(default)]
    pub starts_at: Option<String>,
    /// End, same forms.
    #[serde(default)]
    pub ends_at: Option<String>,
    /// Why (shown in the console).
    #[serde(default)]
    pub reason: String,
}

/// Longest ad hoc window, in minutes (30 days).
pub const MAX_MAINTENANCE_MINUTES: u32 = 43_200;

impl MaintenanceRequest {
    /// The window this request asks for, for `monitor_id`, as of `now`.
    pub fn window(
        &self,
        monitor_id: Id,
        now: Timestamp,
        tz: &jiff::tz::TimeZone,
    ) -> Result<MaintenanceWindow, canhgac_model::FieldError> {
        use canhgac_model::FieldError;
        let (starts_at, ends_at) = match self.minutes {
            Some(minutes) => {
                if self.starts_at.is_some() || self.ends_at.is_some() {
                    return Err(FieldError::new(
                        "minutes",
                        "give either minutes or starts_at and ends_at",
                    ));
                }
                if !(1..=MAX_MAINTENANCE_MINUTES).contains(&minutes) {
                    return Err(FieldError::new(
                        "minutes",
                        format!("must be from 1 to {MAX_MAINTENANCE_MINUTES}"),
                    ));
                }
                (now, now + SignedDuration::from_mins(i64::from(minutes)))
            }
            None => {
                let read = |field: &'static str, text: &Option<String>| {
                    parse_datetime(text.as_deref().unwrap_or(""), tz)
                        .map_err(|_| {
                            FieldError::new(
                                field,
                                "is not a time: use RFC 3339 or dd/mm/yyyy HH:MM",
                            )
                        })?
                        .ok_or_else(|| {
                            FieldError::new(field, "is required (or give minutes from now)")
                        })
                };
                (
                    read("starts_at", &self.starts_at)?,
                    read("ends_at", &self.ends_at)?,
                )
            }
        };
        let mut window = MaintenanceWindow {
            id: 0,
            monitor_id,
            starts_at,
            ends_at,
            reason: self.reason.clone(),
        };
        window.validate()?;
        if window.ends_at <= now {
            return Err(FieldError::new("ends_at", "is already past"));
        }
        Ok(window)
    }
}

/// Adds a maintenance window to a monitor: checks go on, alerts are held back.
#[utoipa::path(post, operation_id = "create_monitor_maintenance", path = "/api/v1/monitors/{id}/maintenance", tag = "monitors",
    request_body = MaintenanceRequest, params(("id" = Id, Path, description = "Monitor id")),
    responses((status = 201, description = "The window", body = MaintenanceWindow)))]
pub async fn create_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(request): ApiJson<MaintenanceRequest>,
) -> Result<Created<MaintenanceWindow>, ApiError> {
    state.store.get_monitor(&caller.scope(), id).await?;
    require_inventory_editor(&caller)?;
    let window = request.window(id, Timestamp::now(), &state.settings.time_zone)?;
    let window = state
        .store
        .create_maintenance(&caller.actor(), window)
        .await?;
    Ok(created("maintenance", window.id, window))
}

/// Removes a maintenance window.
#[utoipa::path(delete, operation_id = "delete_maintenance", path = "/api/v1/maintenance/{id}", tag = "monitors",
    params(("id" = Id, Path, description = "Window id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_inventory_editor(&caller)?;
    state.store.delete_maintenance(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(
        minutes: Option<u32>,
        starts: Option<&str>,
        ends: Option<&str>,
    ) -> MaintenanceRequest {
        MaintenanceRequest {
            minutes,
            starts_at: starts.map(str::to_string),
            ends_at: ends.map(str::to_string),
            reason: " nâng cấp ".into(),
        }
    }

    #[test]
    fn maintenance_windows_from_minutes_or_times() {
        let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let now: Timestamp = "2026-03-01T01:00:00Z".parse().unwrap();
        let adhoc = request(Some(90), None, None).window(7, now, &tz).unwrap();
        assert_eq!((adhoc.monitor_id, adhoc.starts_at), (7, now));
        assert_eq!(
            adhoc.ends_at.duration_since(now),
            SignedDuration::from_mins(90)
        );
        assert_eq!(adhoc.reason, "nâng cấp");
        let scheduled = request(None, Some("01/03/2026 22:00"), Some("2026-03-01T16:30:00Z"))
            .window(7, now, &tz)
            .unwrap();
        assert_eq!(scheduled.starts_at, "2026-03-01T15:00:00Z".parse().unwrap());
        let field = |r: MaintenanceRequest| r.window(7, now, &tz).unwrap_err().field;
        assert_eq!(field(request(Some(0), None, None)), "minutes");
        assert_eq!(field(request(Some(5), Some("01/03/2026"), None)), "minutes");
        assert_eq!(field(request(None, None, Some("02/03/2026"))), "starts_at");
        assert_eq!(
            field(request(None, Some("01/03/2026 22:00"), Some("hôm nay"))),
            "ends_at"
        );
        assert_eq!(
            field(request(
                None,
                Some("01/03/2026 22:00"),
                Some("01/03/2026 21:00")
            )),
            "ends_at"
        );
        assert_eq!(
            field(request(
                None,
                Some("01/01/2026 07:00"),
                Some("01/01/2026 08:00")
            )),
            "ends_at"
        );
    }

    #[test]
    fn filters_name_the_bad_parameter() {
        let pairs = |q: &[(&str, &str)]| -> Vec<(String, String)> {
            q.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let (filter, page, _) = monitor_filter(&pairs(&[
            ("status", "down,up"),
            ("kind", "http"),
            ("page", "2"),
        ]))
        .unwrap();
        assert_eq!(
            filter.statuses,
            vec![MonitorStatus::Up, MonitorStatus::Down]
        );
        assert_eq!(filter.kind, Some(MonitorKind::Http));
        assert_eq!(page, Some(2));
        let bad = monitor_filter(&pairs(&[("status", "sideways")])).unwrap_err();
        assert_eq!(bad.problem().field.as_deref(), Some("status"));
        let bad = monitor_filter(&pairs(&[("asset_id", "x")])).unwrap_err();
        assert_eq!(bad.problem().field.as_deref(), Some("asset_id"));
    }
}
