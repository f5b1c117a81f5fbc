//! `/advisories`, `/advisory-tasks` and `/indicators/{id}/hunt`: the advisory register and
//! retro-hunts on demand.
//!
//! Recording an advisory matches it at once against the inventory (installed software, OS,
//! CPEs) and the open fingerprint findings of scans, and gives each unit owning an affected
//! system a task with the advisory's deadline. Recording and re-matching need a caller who
//! sees every unit (the store refuses the others); a unit's officer sees the advisories that
//! concern their units and answers their own tasks. A letter's text (pasted, or a DOCX or
//! text-layer PDF) pre-fills the fields with `POST /advisories/prefill`; its IOC appendix is
//! imported with `POST /indicators/import/appendix?advisory=<number>`, which links the
//! indicators to the advisory.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use canhgac_intel::advisory::DetectedProduct;
use canhgac_intel::advisory::{match_advisory, parse_advisory_text, Advisory, AdvisoryDraft};
use canhgac_model::advisory::{
    AdvisoryDetail, AdvisoryInput, AdvisoryMatch, AdvisoryRecord, AdvisoryTask, AdvisoryTaskAction,
    AttachmentInput, RetroHunt,
};
use canhgac_model::{FindingFilter, FindingStatus, Id, Page, PageRequest, Scope};
use canhgac_store::{AssetFilter, Store, SystemFilter};
use serde::{Deserialize, Serialize};

use super::error::{bytes_rejection, parse_json, ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, page_request};
use super::{created, require_responder, Created};
use crate::auth::Caller;
use crate::AppState;

/// Default days of events a retro-hunt on demand searches.
pub const DEFAULT_HUNT_DAYS: u32 = 30;

/// Paging of `GET /advisories`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdvisoryQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text in the number or title.
    pub q: Option<String>,
}

/// A file sent with an advisory.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AttachmentUpload {
    /// File name.
    pub file_name: String,
    /// MIME type (default `application/octet-stream`).
    pub content_type: Option<String>,
    /// The bytes, base64.
    pub content_base64: String,
}

/// `POST /advisories`: what the letter says, its marking and its files.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AdvisoryRequest {
    /// The letter's content: issuer, number, date, title, CVEs, products with version
    /// ranges, actions, deadline.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub advisory: Advisory,
    /// TLP marking.
    pub tlp: Option<String>,
    /// The letter and its appendices.
    #[serde(default)]
    pub attachments: Vec<AttachmentUpload>,
}

/// What a unit answers on its task.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TaskActionRequest {
    /// `acknowledge`, `confirm`, `remediate`, `not_affected` (needs a comment) or `reopen`.
    pub action: AdvisoryTaskAction,
    /// Comment (what was done, or why not affected).
    pub comment: Option<String>,
}

/// `POST /indicators/{id}/hunt`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct HuntRequest {
    /// Days of stored events to search (default 30).
    pub days: Option<u32>,
}

/// One affected asset, as listed on a unit's task.
#[derive(Debug, Clone, Serialize)]
struct AffectedSystem {
    system_id: Option<Id>,
    system_name: Option<String>,
    asset_id: Id,
    asset: Option<String>,
    software: String,
    version: Option<String>,
    seen_in: canhgac_intel::advisory::SeenIn,
    reason: String,
    needs_confirmation: bool,
}

/// Every record of a paged listing, page by page.
async fn every<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = canhgac_store::Result<Page<T>>>,
{
    let mut out = Vec::new();
    for number in 1.. {
        let page = fetch(PageRequest::new(number, PageRequest::MAX_PER_PAGE)).await?;
        let got = page.items.len();
        out.extend(page.items);
        if got < PageRequest::MAX_PER_PAGE as usize || out.len() as u64 >= page.total {
            break;
        }
    }
    Ok(out)
}

/// Matches `advisory` against the whole inventory and the open fingerprint findings of scans,
/// and groups the affected assets by the unit owning their system (the unit of the finding
/// for scans). A version range that cannot be read is refused, naming the product.
pub async fn match_inventory(
    store: &dyn Store,
    advisory: &Advisory,
) -> Result<Vec<AdvisoryMatch>, ApiError> {
    let all = &Scope::All;
    let systems =
        every(|p| async move { store.list_systems(all, &SystemFilter::default(), &p).await })
            .await?;
    let assets =
        every(|p| async move { store.list_assets(all, &AssetFilter::default(), &p).await }).await?;
    let filter = FindingFilter {
        statuses: vec![FindingStatus::Open, FindingStatus::Reopened],
        category: Some(canhgac_model::scan::category::FINGERPRINT.to_string()),
        ..FindingFilter::default()
    };
    let filter = &filter;
    let fingerprints = every(|p| async move { store.list_findings(all, filter, &p).await }).await?;
    let mut finding_unit = BTreeMap::new();
    let detected: Vec<DetectedProduct> = fingerprints
        .iter()
        .filter_map(|finding| {
            let asset_id = finding.asset_id?;
            if let Some(unit) = finding.unit_id {
                finding_unit.insert(asset_id, unit);
            }
            fingerprint_product(asset_id, &finding.title, &finding.evidence)
        })
        .collect();
    let affected = match_advisory(advisory, &assets, &detected)
        .map_err(|e| ApiError::invalid("products", e.to_string()))?;
    let system_of: BTreeMap<Id, &canhgac_model::InformationSystem> =
        systems.iter().map(|s| (s.id, s)).collect();
    let asset_of: BTreeMap<Id, &canhgac_model::Asset> = assets.iter().map(|a| (a.id, a)).collect();
    let mut per_unit: BTreeMap<Id, Vec<AffectedSystem>> = BTreeMap::new();
    for hit in affected {
        let system_id = hit
            .system_id
            .or_else(|| asset_of.get(&hit.asset_id).map(|a| a.system_id));
        let system = system_id.and_then(|id| system_of.get(&id));
        let Some(unit) = system
            .map(|s| s.owner_unit_id)
            .or_else(|| finding_unit.get(&hit.asset_id).copied())
        else {
            continue;
        };
        per_unit.entry(unit).or_default().push(AffectedSystem {
            system_id,
            system_name: system.map(|s| s.name.clone()),
            asset_id: hit.asset_id,
            asset: asset_of.get(&hit.asset_id).map(|a| a.value.clone()),
            software: hit.software,
            version: hit.version,
            seen_in: hit.seen_in,
            reason: hit.reason.label_vi(),
            needs_confirmation: hit.needs_confirmation,
        });
    }
    Ok(per_unit
        .into_iter()
        .map(|(unit_id, systems)| AdvisoryMatch {
            unit_id,
            systems: serde_json::to_value(systems).unwrap_or_default(),
        })
        .collect())
}

/// The product a scan's fingerprint finding names: "Nhận diện phần mềm: nginx" with
/// evidence `extracted: ["nginx 1.24.0"]` and maybe a CPE.
fn fingerprint_product(
    asset_id: Id,
    title: &str,
    evidence: &serde_json::Value,
) -> Option<DetectedProduct> {
    let product = title.split_once(": ").map(|(_, p)| p.trim())?;
    if product.is_empty() {
        return None;
    }
    let extracted = evidence
        .get("extracted")
        .and_then(|e| e.get(0))
        .and_then(|e| e.as_str());
    let version = extracted
        .and_then(|e| e.strip_prefix(product))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let cpe = evidence
        .get("details")
        .and_then(|d| d.get("cpe"))
        .and_then(|c| c.as_str())
        .map(str::to_string);
    Some(DetectedProduct {
        asset_id,
        product: product.to_string(),
        version,
        cpe,
    })
}

/// Advisories concerning the caller's units (every one for analysts), newest first, with the
/// progress of the tasks in scope (done, overdue, acknowledged).
#[utoipa::path(get, operation_id = "list_advisories", path = "/api/v1/advisories", tag = "advisories", params(AdvisoryQuery),
    responses((status = 200, description = "A page of advisories", body = Page<AdvisoryRecord>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<AdvisoryQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    Ok(listing(
        &uri,
        state.store.list_advisories(&caller.scope(), &page).await?,
    ))
}

/// Records an advisory, matches it against the inventory and scans, and gives each affected
/// unit a task with the deadline.
#[utoipa::path(post, operation_id = "create_advisory", path = "/api/v1/advisories", tag = "advisories", request_body = AdvisoryRequest,
    responses((status = 201, description = "The advisory with its tasks", body = AdvisoryDetail)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<AdvisoryRequest>,
) -> Result<Created<AdvisoryDetail>, ApiError> {
    require_responder(&caller)?;
    if !caller.scope().is_all() {
        return Err(ApiError::forbidden(
            "advisories apply to every unit; ask an administrator or analyst",
        ));
    }
    let mut attachments = Vec::new();
    for (i, file) in request.attachments.iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(file.content_base64.trim())
            .map_err(|_| {
                ApiError::invalid(
                    format!("attachments[{i}].content_base64"),
                    "không phải base64",
                )
            })?;
        attachments.push(AttachmentInput {
            file_name: file.file_name.clone(),
            content_type: file
                .content_type
                .clone()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "application/octet-stream".into()),
            bytes,
        });
    }
    let detail = record(
        &*state.store,
        &caller,
        request.advisory,
        request.tlp,
        attachments,
    )
    .await?;
    Ok(created("advisories", detail.advisory.id, detail))
}

/// Matches and records an advisory (shared by the API and the console).
pub async fn record(
    store: &dyn Store,
    caller: &Caller,
    advisory: Advisory,
    tlp: Option<String>,
    attachments: Vec<AttachmentInput>,
) -> Result<AdvisoryDetail, ApiError> {
    let matches = match_inventory(store, &advisory).await?;
    let input = AdvisoryInput {
        issuer: advisory.issuer.clone(),
        number: advisory.number.clone(),
        title: advisory.title.clone(),
        issued_on: advisory.date,
        deadline: advisory.deadline,
        tlp,
        details: serde_json::to_value(&advisory).map_err(|_| ApiError::internal())?,
        attachments,
    };
    Ok(store
        .create_advisory(&caller.actor(), input, &matches)
        .await?)
}

/// Reads a letter (pasted text, a DOCX, or a PDF with a text layer) into the fields of an
/// advisory, best effort, for the user to check before recording it.
#[utoipa::path(post, operation_id = "prefill_advisory", path = "/api/v1/advisories/prefill", tag = "advisories",
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 200, description = "What the letter says", body = Object)))]
pub async fn prefill(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<AdvisoryDraft>, ApiError> {
    require_responder(&caller)?;
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(bytes_rejection)?;
    Ok(Json(parse_advisory_text(&letter_text(&bytes)?)))
}

/// The text of a letter: a DOCX or PDF's text, or the bytes as UTF-8.
pub fn letter_text(bytes: &[u8]) -> Result<String, ApiError> {
    use canhgac_intel::appendix::{appendix_text, AppendixError};
    match appendix_text(bytes) {
        Ok(text) => Ok(text),
        Err(AppendixError::UnknownFormat) => std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| ApiError::invalid("file", "tệp không phải văn bản UTF-8, DOCX hay PDF")),
        Err(e) => Err(ApiError::invalid("file", e.to_string())),
    }
}

/// One advisory with the tasks of the caller's units and its attachments.
#[utoipa::path(get, operation_id = "get_advisory", path = "/api/v1/advisories/{id}", tag = "advisories",
    params(("id" = Id, Path, description = "Advisory id")),
    responses((status = 200, description = "The advisory", body = AdvisoryDetail)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<AdvisoryDetail>, ApiError> {
    Ok(Json(state.store.get_advisory(&caller.scope(), id).await?))
}

/// An attached file (the letter, an appendix).
#[utoipa::path(get, operation_id = "get_advisory_attachment", path = "/api/v1/advisories/{id}/attachments/{attachment_id}", tag = "advisories",
    params(("id" = Id, Path, description = "Advisory id"), ("attachment_id" = Id, Path, description = "Attachment id")),
    responses((status = 200, description = "The file")))]
pub async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, attachment_id)): ApiPath<(Id, Id)>,
) -> Result<Response, ApiError> {
    let (meta, bytes) = state
        .store
        .advisory_attachment(&caller.scope(), id, attachment_id)
        .await?;
    Ok(attachment_response(&meta, bytes))
}

/// A download of an attachment (also the console's).
pub fn attachment_response(
    meta: &canhgac_model::advisory::AdvisoryAttachment,
    bytes: Vec<u8>,
) -> Response {
    // The name goes into a quoted header parameter: keep it to safe characters.
    let safe: String = meta
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// Matches the advisory again (the inventory or the scans changed): new units get tasks, units
/// keep what they answered.
#[utoipa::path(post, operation_id = "match_advisory", path = "/api/v1/advisories/{id}/match", tag = "advisories",
    params(("id" = Id, Path, description = "Advisory id")),
    responses((status = 200, description = "The advisory with its tasks", body = AdvisoryDetail)))]
pub async fn rematch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<AdvisoryDetail>, ApiError> {
    require_responder(&caller)?;
    Ok(Json(rematch_advisory(&*state.store, &caller, id).await?))
}

/// Matches an advisory again (shared by the API and the console).
pub async fn rematch_advisory(
    store: &dyn Store,
    caller: &Caller,
    id: Id,
) -> Result<AdvisoryDetail, ApiError> {
    if !caller.scope().is_all() {
        return Err(ApiError::forbidden(
            "advisories apply to every unit; ask an administrator or analyst",
        ));
    }
    let detail = store.get_advisory(&caller.scope(), id).await?;
    let advisory: Advisory = serde_json::from_value(detail.advisory.details.clone())
        .map_err(|_| ApiError::internal())?;
    let matches = match_inventory(store, &advisory).await?;
    Ok(store
        .set_advisory_matches(&caller.actor(), id, &matches)
        .await?)
}

/// A unit's answer on its task: acknowledge, confirm affected, remediated, not affected
/// (with a reason), or reopen.
#[utoipa::path(post, operation_id = "act_on_advisory_task", path = "/api/v1/advisory-tasks/{id}", tag = "advisories",
    params(("id" = Id, Path, description = "Task id")), request_body = TaskActionRequest,
    responses((status = 200, description = "The task", body = AdvisoryTask)))]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(request): ApiJson<TaskActionRequest>,
) -> Result<Json<AdvisoryTask>, ApiError> {
    require_responder(&caller)?;
    Ok(Json(
        state
            .store
            .act_on_advisory_task(&caller.actor(), id, request.action, request.comment)
            .await?,
    ))
}

/// Searches the stored events of the last days for an indicator, in the background; hits
/// become alerts marked as retro-hunt. Answers at once with the queued hunt.
#[utoipa::path(post, operation_id = "hunt_indicator", path = "/api/v1/indicators/{id}/hunt", tag = "indicators",
    params(("id" = Id, Path, description = "Indicator id")), request_body = HuntRequest,
    responses((status = 202, description = "The hunt, queued", body = RetroHunt)))]
pub async fn hunt(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    body: Bytes,
) -> Result<(StatusCode, Json<RetroHunt>), ApiError> {
    require_responder(&caller)?;
    let request: HuntRequest = if body.iter().all(u8::is_ascii_whitespace) {
        HuntRequest::default()
    } else {
        parse_json(&body)?
    };
    let days = request.days.unwrap_or(state.settings.retrohunt_days).max(1);
    let hunt = state
        .store
        .request_retrohunt(&caller.actor(), &[id], days)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(hunt)))
}

/// Recent retro-hunts of an indicator, newest first.
#[utoipa::path(get, operation_id = "list_indicator_hunts", path = "/api/v1/indicators/{id}/hunts", tag = "indicators",
    params(("id" = Id, Path, description = "Indicator id")),
    responses((status = 200, description = "The hunts", body = Vec<RetroHunt>)))]
pub async fn hunts(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Vec<RetroHunt>>, ApiError> {
    Ok(Json(state.store.list_retrohunts(Some(id), 20).await?))
}
