//! `/duty/...`: the duty roster (lịch trực) and paging: who can be on duty and how to reach
//! them, shifts (one by one or a CSV sheet, all or nothing), who is on duty now, holidays with
//! their coverage gaps, routing rules, and the paging state of each alert (the delivery state of
//! each message is `GET /outbox`).
//!
//! Everyone reads what concerns their units (province-wide shifts and rules concern everyone);
//! writing needs a role that may act, and province-wide entries a province-wide caller (the
//! store checks scope).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::Json;
use canhgac_model::duty::{
    AlertPage, DutyChannels, DutyContact, DutyHoliday, DutyRule, DutyShift, DutyShiftInput,
};
use canhgac_model::{Actor, Id, Scope, Timestamp};
use canhgac_respond::roster::{
    coverage_gaps, import_csv, on_duty_at, Coverage, DutyPerson, Gap, HolidayPeriod, Person, Shift,
};
use canhgac_respond::routing::RoutingRule;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::{created, require_responder, Created};
use crate::auth::Caller;
use crate::AppState;

/// The window of `GET /duty/shifts`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShiftWindow {
    /// From (RFC 3339); default a week ago.
    pub from: Option<String>,
    /// To (RFC 3339); default 31 days ahead.
    pub to: Option<String>,
}

/// Who is on duty for one unit (or the province) now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OnDutyNow {
    /// The unit; `None` for the province as a whole.
    pub unit_id: Option<Id>,
    /// The unit's name.
    pub unit_name: Option<String>,
    /// Person on duty (contact id and name).
    pub primary: Option<PersonRef>,
    /// Backup.
    pub backup: Option<PersonRef>,
    /// The shift the primary comes from.
    pub shift_id: Option<Id>,
}

/// A person as a roster names them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonRef {
    /// Contact id.
    pub id: Id,
    /// Name.
    pub name: String,
}

impl From<DutyPerson> for PersonRef {
    fn from(p: DutyPerson) -> Self {
        Self {
            id: p.id,
            name: p.name,
        }
    }
}

/// A holiday with the gaps in its coverage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolidayCoverage {
    /// The holiday.
    pub holiday: DutyHoliday,
    /// Intervals with nobody (errors) or no backup (warnings) on duty.
    pub gaps: Vec<CoverageGap>,
}

/// One gap.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageGap {
    /// The unit; `None` for the province.
    pub unit_id: Option<Id>,
    /// Start.
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    /// End.
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    /// Nobody on duty (true) or only no backup (false).
    pub error: bool,
    /// Vietnamese description.
    pub message_vi: String,
    /// English description.
    pub message_en: String,
}

impl From<Gap> for CoverageGap {
    fn from(gap: Gap) -> Self {
        Self {
            unit_id: gap.unit_id,
            start: gap.start,
            end: gap.end,
            error: !gap.is_warning(),
            message_vi: gap.message_vi(),
            message_en: gap.message_en(),
        }
    }
}

/// A rule as a caller enters it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// The unit it concerns; `None` for a province-wide rule.
    #[serde(default)]
    pub unit_id: Option<Id>,
    /// The routing rule: `name`, `min_severity`, `notify` (`on_duty_primary`, ...),
    /// `channels` (`email`, `webhook`, `telegram`, `zalo`), optional filters, digest and quiet
    /// hours.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
}

/// What a CSV import created.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShiftImport {
    /// The shifts.
    pub shifts: Vec<DutyShift>,
    /// Remarks that did not stop the import (overlaps), each naming its line.
    pub warnings: Vec<String>,
}

fn parse_time(field: &str, text: Option<&str>, default: Timestamp) -> Result<Timestamp, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(default),
        Some(t) => t.parse().map_err(|_| {
            ApiError::invalid(
                field,
                "không phải thời điểm RFC 3339 / not an RFC 3339 time",
            )
        }),
    }
}

fn to_roster_shift(s: DutyShift) -> Shift {
    Shift {
        id: s.id,
        start: s.start,
        end: s.end,
        unit_id: s.unit_id,
        primary: DutyPerson {
            id: s.primary_id,
            name: s.primary_name,
        },
        backup: s.backup_id.map(|id| DutyPerson {
            id,
            name: s.backup_name.unwrap_or_default(),
        }),
        note: s.note,
    }
}

/// Who is on duty now for the province and each unit in the caller's scope: the unit's own
/// shift, else a province-wide one.
pub async fn on_duty_now(state: &AppState, scope: &Scope) -> Result<Vec<OnDutyNow>, ApiError> {
    let now = Timestamp::now();
    let shifts: Vec<Shift> = state
        .store
        .list_shifts(
            scope,
            now - SignedDuration::from_hours(24 * 32),
            now + SignedDuration::from_mins(1),
        )
        .await?
        .into_iter()
        .map(to_roster_shift)
        .collect();
    let units = state.store.unit_briefs(scope).await?;
    let mut out = Vec::new();
    let entry = |unit_id: Option<Id>, unit_name: Option<String>| {
        let duty = on_duty_at(&shifts, unit_id, now);
        OnDutyNow {
            unit_id,
            unit_name,
            primary: duty.primary.map(Into::into),
            backup: duty.backup.map(Into::into),
            shift_id: duty.shift_id,
        }
    };
    out.push(entry(None, None));
    for unit in units {
        // Units without shifts of their own show the province's, already listed.
        if shifts.iter().any(|s| s.unit_id == Some(unit.id)) {
            out.push(entry(Some(unit.id), Some(unit.name)));
        }
    }
    Ok(out)
}

/// Who is on duty now: the province's shift and each unit in scope with shifts of its own.
#[utoipa::path(get, operation_id = "duty_now", path = "/api/v1/duty/now", tag = "duty",
    responses((status = 200, description = "On duty now", body = Vec<OnDutyNow>)))]
pub async fn now(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<OnDutyNow>>, ApiError> {
    Ok(Json(on_duty_now(&state, &caller.scope()).await?))
}

/// Contacts of units in scope who can be put on duty, with their channels.
#[utoipa::path(get, operation_id = "duty_people", path = "/api/v1/duty/people", tag = "duty",
    responses((status = 200, description = "People", body = Vec<DutyContact>)))]
pub async fn people(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DutyContact>>, ApiError> {
    Ok(Json(state.store.duty_contacts(&caller.scope()).await?))
}

/// Sets a contact's Telegram chat id, Zalo user id and whether they lead their unit.
#[utoipa::path(put, operation_id = "set_duty_channels", path = "/api/v1/duty/people/{id}", tag = "duty",
    params(("id" = Id, Path, description = "Contact id")), request_body = DutyChannels,
    responses((status = 200, description = "The person", body = DutyContact)))]
pub async fn set_channels(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(channels): ApiJson<DutyChannels>,
) -> Result<Json<DutyContact>, ApiError> {
    require_responder(&caller)?;
    Ok(Json(
        state
            .store
            .set_duty_channels(&caller.actor(), id, channels)
            .await?,
    ))
}

/// Shifts of units in scope and province-wide ones overlapping the window, by start.
#[utoipa::path(get, operation_id = "list_shifts", path = "/api/v1/duty/shifts", tag = "duty", params(ShiftWindow),
    responses((status = 200, description = "Shifts", body = Vec<DutyShift>)))]
pub async fn list_shifts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(window): ApiQuery<ShiftWindow>,
) -> Result<Json<Vec<DutyShift>>, ApiError> {
    let now = Timestamp::now();
    let from = parse_time(
        "from",
        window.from.as_deref(),
        now - SignedDuration::from_hours(24 * 7),
    )?;
    let to = parse_time(
        "to",
        window.to.as_deref(),
        now + SignedDuration::from_hours(24 * 31),
    )?;
    Ok(Json(
        state.store.list_shifts(&caller.scope(), from, to).await?,
    ))
}

/// Adds a shift.
#[utoipa::path(post, operation_id = "create_shift", path = "/api/v1/duty/shifts", tag = "duty", request_body = DutyShiftInput,
    responses((status = 201, description = "The shift", body = DutyShift)))]
pub async fn create_shift(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<DutyShiftInput>,
) -> Result<Created<DutyShift>, ApiError> {
    require_responder(&caller)?;
    let mut shifts = state
        .store
        .create_shifts(&caller.actor(), std::slice::from_ref(&input))
        .await?;
    let shift = shifts
        .pop()
        .ok_or_else(|| ApiError::bad_request("no shift created"))?;
    Ok(created("duty/shifts", shift.id, shift))
}

/// Imports a roster sheet (CSV, `bắt đầu, kết thúc, đơn vị, trực chính, trực dự phòng, ghi
/// chú`; people by name, email or `#id`): all or nothing, every bad row named.
#[utoipa::path(post, operation_id = "import_shifts", path = "/api/v1/duty/shifts/import", tag = "duty",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "The shifts created", body = ShiftImport)))]
pub async fn import_shifts(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<ShiftImport>, ApiError> {
    require_responder(&caller)?;
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(|e| ApiError::bad_request(e.body_text()))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad_request("the sheet is not UTF-8 text"))?;
    match import_sheet(&state, &caller.actor(), text).await {
        Ok(imported) => Ok(Json(imported)),
        Err(SheetError::Rows(rows)) => Err(ApiError::invalid_file(rows)),
        Err(SheetError::Api(error)) => Err(error),
    }
}

/// Why a roster sheet was not imported.
#[derive(Debug)]
pub enum SheetError {
    /// Problems of the sheet, each naming its line (or the missing column).
    Rows(Vec<String>),
    /// The store refused it.
    Api(ApiError),
}

impl From<canhgac_store::StoreError> for SheetError {
    fn from(error: canhgac_store::StoreError) -> Self {
        SheetError::Api(error.into())
    }
}

/// Reads a roster sheet against the actor's people and units and stores it, all or nothing.
pub async fn import_sheet(
    state: &AppState,
    actor: &Actor,
    text: &str,
) -> Result<ShiftImport, SheetError> {
    let scope = actor.scope.clone();
    let people: Vec<Person> = state
        .store
        .duty_contacts(&scope)
        .await?
        .into_iter()
        .map(|c| Person {
            id: c.contact_id,
            name: c.name,
            email: c.email,
            telegram_chat_id: c.telegram_chat_id,
            zalo_user_id: c.zalo_user_id,
        })
        .collect();
    let units = state.store.all_units(&scope).await?;
    let sheet = import_csv(text, &people, &units).map_err(|e| match e {
        canhgac_respond::roster::RosterError::Rows(rows) => {
            SheetError::Rows(rows.iter().map(ToString::to_string).collect())
        }
        other => SheetError::Rows(vec![other.to_string()]),
    })?;
    let inputs: Vec<DutyShiftInput> = sheet
        .shifts
        .into_iter()
        .map(|s| DutyShiftInput {
            unit_id: s.unit_id,
            start: s.start,
            end: s.end,
            primary_id: s.primary.id,
            backup_id: s.backup.map(|b| b.id),
            note: s.note,
        })
        .collect();
    let shifts = state.store.create_shifts(actor, &inputs).await?;
    Ok(ShiftImport {
        shifts,
        warnings: sheet
            .warnings
            .into_iter()
            .map(|w| format!("dòng {} (line {}): {}", w.line, w.line, w.message))
            .collect(),
    })
}

/// Deletes a shift.
#[utoipa::path(delete, operation_id = "delete_shift", path = "/api/v1/duty/shifts/{id}", tag = "duty",
    params(("id" = Id, Path, description = "Shift id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_shift(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<axum::http::StatusCode, ApiError> {
    require_responder(&caller)?;
    state.store.delete_shift(&caller.actor(), id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The gaps of `holiday` in the shifts the caller sees.
pub async fn holiday_coverage(
    state: &AppState,
    scope: &Scope,
    holiday: DutyHoliday,
) -> Result<HolidayCoverage, ApiError> {
    let shifts: Vec<Shift> = state
        .store
        .list_shifts(scope, holiday.start, holiday.end)
        .await?
        .into_iter()
        .map(to_roster_shift)
        .collect();
    let period = HolidayPeriod {
        name: holiday.name.clone(),
        start: holiday.start,
        end: holiday.end,
        coverage: if holiday.unit_ids.is_empty() {
            Coverage::ProvinceWide
        } else {
            Coverage::Units(holiday.unit_ids.clone())
        },
    };
    let gaps = coverage_gaps(&shifts, &period)
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HolidayCoverage { holiday, gaps })
}

/// Holidays concerning units in scope (or the province), each with its coverage gaps.
#[utoipa::path(get, operation_id = "list_holidays", path = "/api/v1/duty/holidays", tag = "duty",
    responses((status = 200, description = "Holidays and their gaps", body = Vec<HolidayCoverage>)))]
pub async fn list_holidays(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<HolidayCoverage>>, ApiError> {
    let scope = caller.scope();
    let mut out = Vec::new();
    for holiday in state.store.list_holidays(&scope).await? {
        out.push(holiday_coverage(&state, &scope, holiday).await?);
    }
    Ok(Json(out))
}

/// Adds a holiday (`unit_ids` empty: the province as a whole, for province-wide callers).
#[utoipa::path(post, operation_id = "create_holiday", path = "/api/v1/duty/holidays", tag = "duty", request_body = DutyHoliday,
    responses((status = 201, description = "The holiday and its gaps", body = HolidayCoverage)))]
pub async fn create_holiday(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(holiday): ApiJson<DutyHoliday>,
) -> Result<Created<HolidayCoverage>, ApiError> {
    require_responder(&caller)?;
    let holiday = state
        .store
        .create_holiday(&caller.actor(), &holiday)
        .await?;
    let id = holiday.id;
    let coverage = holiday_coverage(&state, &caller.scope(), holiday).await?;
    Ok(created("duty/holidays", id, coverage))
}

/// Deletes a holiday.
#[utoipa::path(delete, operation_id = "delete_holiday", path = "/api/v1/duty/holidays/{id}", tag = "duty",
    params(("id" = Id, Path, description = "Holiday id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_holiday(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<axum::http::StatusCode, ApiError> {
    require_responder(&caller)?;
    state.store.delete_holiday(&caller.actor(), id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Routing rules of units in scope and province-wide ones.
#[utoipa::path(get, operation_id = "list_routing_rules", path = "/api/v1/duty/rules", tag = "duty",
    responses((status = 200, description = "Rules", body = Vec<DutyRule>)))]
pub async fn list_rules(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DutyRule>>, ApiError> {
    Ok(Json(state.store.list_duty_rules(&caller.scope()).await?))
}

/// Adds a routing rule (checked: an unknown field or value is refused, naming it).
#[utoipa::path(post, operation_id = "create_routing_rule", path = "/api/v1/duty/rules", tag = "duty", request_body = RuleInput,
    responses((status = 201, description = "The rule", body = DutyRule)))]
pub async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RuleInput>,
) -> Result<Created<DutyRule>, ApiError> {
    require_responder(&caller)?;
    let rule: RoutingRule =
        serde_json::from_value(input.rule).map_err(|e| ApiError::invalid("rule", e.to_string()))?;
    if rule.name.trim().is_empty() {
        return Err(ApiError::invalid(
            "rule.name",
            "cần tên / a name is required",
        ));
    }
    if rule.notify.is_empty() || rule.channels.is_empty() {
        return Err(ApiError::invalid(
            "rule.notify",
            "cần người nhận và kênh / recipients and channels are required",
        ));
    }
    let value = serde_json::to_value(&rule).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let stored = state
        .store
        .create_duty_rule(&caller.actor(), input.unit_id, &value)
        .await?;
    Ok(created("duty/rules", stored.id, stored))
}

/// Deletes a routing rule.
#[utoipa::path(delete, operation_id = "delete_routing_rule", path = "/api/v1/duty/rules/{id}", tag = "duty",
    params(("id" = Id, Path, description = "Rule id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<axum::http::StatusCode, ApiError> {
    require_responder(&caller)?;
    state.store.delete_duty_rule(&caller.actor(), id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// How far the paging of each alert in scope went, newest first (each message's delivery state
/// is in `GET /outbox`).
#[utoipa::path(get, operation_id = "list_pages", path = "/api/v1/duty/pages", tag = "duty",
    responses((status = 200, description = "Pages", body = Vec<AlertPage>)))]
pub async fn pages(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AlertPage>>, ApiError> {
    Ok(Json(state.store.list_pages(&caller.scope(), 200).await?))
}
