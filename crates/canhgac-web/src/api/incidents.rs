//! `/incidents` and `/reports`: incidents (sự cố) opened by hand or from alerts and findings,
//! their status, timeline, tasks and observables, with their deadline timers; and the official
//! reports (Mẫu 03, 04, 05) generated as DOCX, archived with their numbers, downloaded and sent
//! by email to the authorities configured for the report's date.
//!
//! Reading follows the caller's scope; changing needs a role that may act (every role but
//! viewers). The work itself is `canhgac_respond::reports`'s.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use canhgac_model::{
    DetectionMethods, Id, Incident, IncidentDetail, IncidentInput, IncidentKind, IncidentNote,
    IncidentReport, IncidentStatus, IncidentTask, IndicatorKind, Observable, Page, ReportFormKind,
    Timestamp,
};
use canhgac_respond::deadlines::{
    for_incident, Deadline, DeadlineKind, DeadlineState, SummaryKind,
};
use canhgac_respond::documents::SummaryPeriod;
use canhgac_respond::reports::{self, DeskError};
use canhgac_store::IncidentFilter;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, page_request};
use super::{created, require_responder, Created};
use crate::auth::Caller;
use crate::AppState;

/// A deadline due within this much is "soon".
const SOON_HOURS: i64 = 24;

/// One timer of an incident, for lists and pages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeadlineView {
    /// `notify_authorities`, `closing_report` or `personal_data_breach`.
    #[schema(value_type = String)]
    pub kind: DeadlineKind,
    /// What is due, in Vietnamese.
    pub label: String,
    /// When it is late.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// When it was done.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<Timestamp>,
    /// `due`, `overdue`, `met` or `met_late`.
    #[schema(value_type = String)]
    pub state: DeadlineState,
    /// Still due and late within 24 hours.
    pub soon: bool,
}

impl DeadlineView {
    fn of(deadline: &Deadline, now: Timestamp) -> Self {
        let soon = deadline.state == DeadlineState::Due
            && deadline
                .remaining(now)
                .is_some_and(|left| left.as_hours() < SOON_HOURS);
        Self {
            kind: deadline.kind,
            label: deadline.kind.label_vi().to_string(),
            due_at: deadline.due_at,
            done_at: deadline.done_at,
            state: deadline.state,
            soon,
        }
    }
}

/// The deadlines of `incident` now.
pub fn deadlines(incident: &Incident) -> Vec<DeadlineView> {
    let now = Timestamp::now();
    for_incident(incident, now)
        .iter()
        .map(|d| DeadlineView::of(d, now))
        .collect()
}

/// An incident in a listing, with its timers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentItem {
    /// The incident.
    #[serde(flatten)]
    pub incident: Incident,
    /// Its deadline timers.
    pub deadlines: Vec<DeadlineView>,
}

/// One incident with its timeline, tasks, reports and timers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentPage {
    /// The incident and what hangs on it.
    #[serde(flatten)]
    pub detail: IncidentDetail,
    /// Its deadline timers.
    pub deadlines: Vec<DeadlineView>,
}

/// Filters of `GET /incidents`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text in the title or the system's name.
    pub q: Option<String>,
    /// Only this status; `open` for every status before resolved.
    pub status: Option<String>,
    /// Only this kind.
    pub kind: Option<IncidentKind>,
}

/// Lists the incidents of the caller's units, the most recently detected first, with their
/// deadline timers (due, soon, overdue).
#[utoipa::path(get, operation_id = "list_incidents", path = "/api/v1/incidents", tag = "incidents", params(IncidentQuery),
    responses((status = 200, description = "A page of incidents", body = Page<IncidentItem>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<IncidentQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    let filter = IncidentFilter {
        statuses: statuses(query.status.as_deref())?,
        kind: query.kind,
        ..Default::default()
    };
    let found = state
        .store
        .list_incidents(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, with_deadlines(found)))
}

/// The statuses a `status` parameter stands for.
pub fn statuses(status: Option<&str>) -> Result<Vec<IncidentStatus>, ApiError> {
    match status.map(str::trim) {
        None | Some("") => Ok(Vec::new()),
        Some("open") => Ok(vec![
            IncidentStatus::New,
            IncidentStatus::Investigating,
            IncidentStatus::Responding,
        ]),
        Some(code) => Ok(vec![code
            .parse()
            .map_err(|m: String| ApiError::invalid("status", m))?]),
    }
}

/// A page of incidents with their timers.
pub fn with_deadlines(page: Page<Incident>) -> Page<IncidentItem> {
    Page {
        items: page
            .items
            .into_iter()
            .map(|incident| IncidentItem {
                deadlines: deadlines(&incident),
                incident,
            })
            .collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    }
}

/// What `POST /incidents` reads: an incident by hand, or from alerts and findings. Fields left
/// out are filled: the unit from the first alert or finding, the detection time from the
/// earliest alert, the affected system from the inventory (`system_id`, else the system whose
/// asset is the first alert's host), the detection method from the alerts' detectors.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// Short title.
    pub title: String,
    /// Type from the official taxonomy.
    pub kind: IncidentKind,
    /// The reporting unit.
    #[serde(default)]
    pub unit_id: Option<Id>,
    /// When it was detected.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub detected_at: Option<Timestamp>,
    /// The inventory system affected.
    #[serde(default)]
    pub system_id: Option<Id>,
    /// Brief description.
    #[serde(default)]
    pub description: String,
    /// Personal data was breached (72-hour timer).
    #[serde(default)]
    pub personal_data_breach: bool,
    /// Alerts the incident comes from.
    #[serde(default)]
    pub alert_ids: Vec<Id>,
    /// Findings the incident comes from.
    #[serde(default)]
    pub finding_ids: Vec<Id>,
}

/// Opens an incident, by hand or from alerts and findings, filling what the inventory knows.
#[utoipa::path(post, operation_id = "create_incident", path = "/api/v1/incidents", tag = "incidents", request_body = NewIncident,
    responses((status = 201, description = "The incident", body = Incident)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewIncident>,
) -> Result<Created<Incident>, ApiError> {
    require_responder(&caller)?;
    let incident = open_incident(&state, &caller.scope(), &caller.actor(), request).await?;
    Ok(created("incidents", incident.id, incident))
}

/// Opens an incident from a request (shared with the console's "create from alert").
pub async fn open_incident(
    state: &AppState,
    scope: &canhgac_model::Scope,
    actor: &canhgac_model::Actor,
    request: NewIncident,
) -> Result<Incident, ApiError> {
    let store = state.store.as_ref();
    let mut alerts = Vec::new();
    for id in &request.alert_ids {
        alerts.push(store.get_alert(scope, *id).await?);
    }
    let mut findings = Vec::new();
    for id in &request.finding_ids {
        findings.push(store.get_finding(scope, *id).await?);
    }
    let unit_id = request
        .unit_id
        .or_else(|| alerts.iter().find_map(|a| a.unit_id))
        .or_else(|| findings.iter().find_map(|f| f.unit_id))
        .ok_or_else(|| {
            ApiError::invalid(
                "unit_id",
                "is required when no alert or finding names a unit",
            )
        })?;
    let detected_at = request
        .detected_at
        .or_else(|| alerts.iter().map(|a| a.first_seen).min())
        .or_else(|| findings.iter().map(|f| f.first_seen).min())
        .unwrap_or_else(Timestamp::now);
    let mut input = IncidentInput::new(request.title, request.kind, unit_id, detected_at);
    input.description = request.description;
    input.personal_data_breach = request.personal_data_breach;
    input.alert_ids = request.alert_ids;
    input.finding_ids = request.finding_ids;
    let mut system_id = request.system_id;
    if system_id.is_none() {
        system_id = findings.iter().find_map(|f| f.system_id);
    }
    if system_id.is_none() {
        for host in alerts.iter().filter_map(|a| a.host.as_deref()) {
            system_id = reports::system_of_host(store, scope, host).await?;
            if system_id.is_some() {
                break;
            }
        }
    }
    if let Some(id) = system_id {
        input.system = reports::fill_from_inventory(store, scope, id).await?;
    }
    if !alerts.is_empty() {
        input.detection = DetectionMethods {
            intrusion_detection: true,
            log_review: alerts.iter().any(|a| {
                matches!(
                    a.source,
                    canhgac_model::AlertSource::Sigma | canhgac_model::AlertSource::Correlation
                )
            }),
            notified_by: None,
            other: None,
        };
    } else if !findings.is_empty() {
        input.detection.other = Some("Rà quét, kiểm tra định kỳ".into());
    }
    Ok(store.create_incident(actor, input).await?)
}

/// One incident with its timeline, tasks, reports and deadline timers.
#[utoipa::path(get, operation_id = "get_incident", path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = Id, Path, description = "Incident id")),
    responses((status = 200, description = "The incident", body = IncidentPage)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<IncidentPage>, ApiError> {
    let detail = state.store.get_incident(&caller.scope(), id).await?;
    Ok(Json(IncidentPage {
        deadlines: deadlines(&detail.incident),
        detail,
    }))
}

/// Replaces every field of an incident (the forms' fields: description, impact, measures,
/// detection, notified parties, the affected system...).
#[utoipa::path(put, operation_id = "update_incident", path = "/api/v1/incidents/{id}", tag = "incidents",
    request_body = IncidentInput, params(("id" = Id, Path, description = "Incident id")),
    responses((status = 200, description = "The incident", body = Incident)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<IncidentInput>,
) -> Result<Json<Incident>, ApiError> {
    state.store.get_incident(&caller.scope(), id).await?;
    require_responder(&caller)?;
    Ok(Json(
        state
            .store
            .update_incident(&caller.actor(), id, input)
            .await?,
    ))
}

/// What `POST /incidents/{id}/status` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The new status.
    pub status: IncidentStatus,
    /// When the response ended (starts the closing-report timer); defaults to now when the
    /// status becomes resolved or closed.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub response_ended_at: Option<Timestamp>,
    /// The outcome, for the closing report.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// Moves an incident to another status; resolving it starts the closing-report timer.
#[utoipa::path(post, operation_id = "set_incident_status", path = "/api/v1/incidents/{id}/status", tag = "incidents",
    request_body = StatusChange, params(("id" = Id, Path, description = "Incident id")),
    responses((status = 200, description = "The incident", body = Incident)))]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(change): ApiJson<StatusChange>,
) -> Result<Json<Incident>, ApiError> {
    let incident = state.store.get_incident(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let mut input = incident.incident.details;
    input.status = change.status;
    if let Some(ended) = change.response_ended_at {
        input.times.response_ended_at = Some(ended);
    } else if change.status.is_handled() && input.times.response_ended_at.is_none() {
        input.times.response_ended_at = Some(Timestamp::now());
    }
    if let Some(outcome) = change.outcome {
        input.outcome = outcome;
    }
    Ok(Json(
        state
            .store
            .update_incident(&caller.actor(), id, input)
            .await?,
    ))
}

/// What `POST /incidents/{id}/timeline` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// What happened.
    pub text: String,
    /// When (default: now).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Timestamp>,
}

/// Adds a timeline entry.
#[utoipa::path(post, operation_id = "add_incident_note", path = "/api/v1/incidents/{id}/timeline", tag = "incidents",
    request_body = NewNote, params(("id" = Id, Path, description = "Incident id")),
    responses((status = 200, description = "The entry", body = IncidentNote)))]
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(note): ApiJson<NewNote>,
) -> Result<Json<IncidentNote>, ApiError> {
    state.store.get_incident(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let at = note.at.unwrap_or_else(Timestamp::now);
    Ok(Json(
        state
            .store
            .add_incident_note(&caller.actor(), id, at, &note.text)
            .await?,
    ))
}

/// What `POST /incidents/{id}/tasks` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// What is to be done.
    pub title: String,
    /// Who does it.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// Adds a task.
#[utoipa::path(post, operation_id = "add_incident_task", path = "/api/v1/incidents/{id}/tasks", tag = "incidents",
    request_body = NewTask, params(("id" = Id, Path, description = "Incident id")),
    responses((status = 200, description = "The task", body = IncidentTask)))]
pub async fn add_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(task): ApiJson<NewTask>,
) -> Result<Json<IncidentTask>, ApiError> {
    state.store.get_incident(&caller.scope(), id).await?;
    require_responder(&caller)?;
    Ok(Json(
        state
            .store
            .add_incident_task(&caller.actor(), id, &task.title, task.assignee.as_deref())
            .await?,
    ))
}

/// What `POST /incidents/{id}/tasks/{task_id}` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDone {
    /// Done (true) or open again (false).
    pub done: bool,
}

/// Marks a task done or open.
#[utoipa::path(post, operation_id = "set_incident_task", path = "/api/v1/incidents/{id}/tasks/{task_id}", tag = "incidents",
    request_body = TaskDone, params(("id" = Id, Path, description = "Incident id"), ("task_id" = Id, Path, description = "Task id")),
    responses((status = 200, description = "The task", body = IncidentTask)))]
pub async fn set_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, task_id)): ApiPath<(Id, Id)>,
    ApiJson(done): ApiJson<TaskDone>,
) -> Result<Json<IncidentTask>, ApiError> {
    state.store.get_incident(&caller.scope(), id).await?;
    require_responder(&caller)?;
    Ok(Json(
        state
            .store
            .complete_incident_task(&caller.actor(), id, task_id, done.done)
            .await?,
    ))
}

/// What `POST /incidents/{id}/observables` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObservable {
    /// `ip`, `domain`, `url`, `sha256`...
    #[schema(value_type = String)]
    pub kind: IndicatorKind,
    /// The value (defanged forms such as `evil[.]example` are accepted).
    pub value: String,
    /// What it was.
    #[serde(default)]
    pub note: String,
}

/// Adds an observable (an address, domain, hash...).
#[utoipa::path(post, operation_id = "add_incident_observable", path = "/api/v1/incidents/{id}/observables", tag = "incidents",
    request_body = NewObservable, params(("id" = Id, Path, description = "Incident id")),
    responses((status = 200, description = "The incident", body = Incident)))]
pub async fn add_observable(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(observable): ApiJson<NewObservable>,
) -> Result<Json<Incident>, ApiError> {
    state.store.get_incident(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let observable = Observable {
        kind: observable.kind,
        value: observable.value,
        note: observable.note,
    };
    Ok(Json(
        state
            .store
            .add_incident_observable(&caller.actor(), id, observable)
            .await?,
    ))
}

/// What `POST /incidents/{id}/reports` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// `initial` (Mẫu 03) or `closing` (Mẫu 04).
    #[schema(value_type = String)]
    pub form: ReportFormKind,
    /// The date of issue (default: today in Vietnam).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub issued_on: Option<canhgac_model::Date>,
}

/// Maps the report desk's errors to problems.
pub fn desk_error(error: DeskError) -> ApiError {
    match error {
        DeskError::Store(e) => e.into(),
        DeskError::NoMailer => ApiError::unavailable(error.to_string()),
        DeskError::Report(e) => ApiError::invalid("report", e.to_string()),
        DeskError::Precondition(message) => ApiError::conflict("form", message),
    }
}

/// Generates the Mẫu 03 or Mẫu 04 of an incident as DOCX and archives it with the next number
/// of the issuer in effect on the date (a Mẫu 04 names the latest Mẫu 03's number and date).
#[utoipa::path(post, operation_id = "create_incident_report", path = "/api/v1/incidents/{id}/reports", tag = "incidents",
    request_body = NewReport, params(("id" = Id, Path, description = "Incident id")),
    responses((status = 201, description = "The archived report", body = IncidentReport)))]
pub async fn create_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(request): ApiJson<NewReport>,
) -> Result<Created<IncidentReport>, ApiError> {
    state.store.get_incident(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let now = Timestamp::now();
    let day = request
        .issued_on
        .unwrap_or_else(|| canhgac_respond::deadlines::vietnam_date(now));
    let report = reports::make_incident_report(
        state.store.as_ref(),
        &caller.actor(),
        &state.reports.profile,
        id,
        request.form,
        day,
        now,
    )
    .await
    .map_err(desk_error)?;
    Ok(created("reports", report.id, report))
}

/// What `POST /reports/summary` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSummary {
    /// The unit whose incidents (and its sub-units') are counted.
    pub unit_id: Id,
    /// `half_year` or `annual`.
    #[schema(value_type = String)]
    pub kind: SummaryKind,
    /// The year.
    pub year: i16,
    /// The date of issue (default: today in Vietnam).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub issued_on: Option<canhgac_model::Date>,
}

/// Generates a Mẫu 05 (half-year or annual summary, counts per incident type) and archives it.
#[utoipa::path(post, operation_id = "create_summary_report", path = "/api/v1/reports/summary", tag = "incidents",
    request_body = NewSummary,
    responses((status = 201, description = "The archived report", body = IncidentReport)))]
pub async fn create_summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewSummary>,
) -> Result<Created<IncidentReport>, ApiError> {
    require_responder(&caller)?;
    let day = request
        .issued_on
        .unwrap_or_else(|| canhgac_respond::deadlines::vietnam_date(Timestamp::now()));
    let period = SummaryPeriod::new(request.kind, request.year);
    let report = reports::make_summary(
        state.store.as_ref(),
        &caller.actor(),
        &state.reports.profile,
        request.unit_id,
        period,
        day,
    )
    .await
    .map_err(desk_error)?;
    Ok(created("reports", report.id, report))
}

/// Paging of `GET /reports`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text in the number.
    pub q: Option<String>,
}

/// The report archive of the caller's units, newest first.
#[utoipa::path(get, operation_id = "list_reports", path = "/api/v1/reports", tag = "incidents", params(ReportQuery),
    responses((status = 200, description = "A page of archived reports", body = Page<IncidentReport>)))]
pub async fn list_reports(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    let found = state.store.list_reports(&caller.scope(), &page).await?;
    Ok(listing(&uri, found))
}

/// One archived report (without its DOCX).
#[utoipa::path(get, operation_id = "get_report", path = "/api/v1/reports/{id}", tag = "incidents",
    params(("id" = Id, Path, description = "Report id")),
    responses((status = 200, description = "The report", body = IncidentReport)))]
pub async fn get_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<IncidentReport>, ApiError> {
    let (report, _) = state.store.report_docx(&caller.scope(), id).await?;
    Ok(Json(report))
}

/// The DOCX of an archived report.
#[utoipa::path(get, operation_id = "download_report", path = "/api/v1/reports/{id}/docx", tag = "incidents",
    params(("id" = Id, Path, description = "Report id")),
    responses((status = 200, description = "The DOCX", content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")))]
pub async fn download_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Response, ApiError> {
    let (report, docx) = state.store.report_docx(&caller.scope(), id).await?;
    Ok(docx_response(&report, docx))
}

/// A DOCX as an attachment named like the archived report (shared with the console).
pub fn docx_response(report: &IncidentReport, docx: Vec<u8>) -> Response {
    let mut response = docx.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    );
    // File names are ASCII by construction; anything else falls back to a plain name.
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", report.file_name))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"report.docx\""));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    response
}

/// Sends an archived report by email, with its DOCX attached, to the recipients in effect on its
/// date; the subject starts with "[TBSC]". The outcome (sent, or failed with the error) is
/// recorded in the archive; a failed report can be sent again.
#[utoipa::path(post, operation_id = "send_report", path = "/api/v1/reports/{id}/send", tag = "incidents",
    params(("id" = Id, Path, description = "Report id")),
    responses((status = 200, description = "The report after the attempt (state sent or failed)", body = IncidentReport)))]
pub async fn send_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<IncidentReport>, ApiError> {
    state.store.report_docx(&caller.scope(), id).await?;
    require_responder(&caller)?;
    let report = reports::send_report(state.store.as_ref(), &caller.actor(), &state.reports, id)
        .await
        .map_err(desk_error)?;
    Ok(Json(report))
}
