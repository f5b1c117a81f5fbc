//! `/inventory`: the inventory in the caller's scope as code (export), and importing a YAML or CSV
//! file: preview the plan first, then apply it all or nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use canhgac_inventory::{InventoryErrors, PlanOptions};
use canhgac_model::inventory::{InventoryPlan, PlanSummary};
use serde::{Deserialize, Serialize};

use super::error::{bytes_rejection, ApiError, ApiQuery};
use super::require_inventory_editor;
use crate::auth::Caller;
use crate::AppState;

/// Formats of `GET /inventory`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// YAML, as inventory files are written (the default).
    #[default]
    Yaml,
    /// The same document as JSON.
    Json,
}

/// Query of `GET /inventory`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `yaml` (default) or `json`.
    pub format: Option<ExportFormat>,
}

/// Formats an uploaded inventory file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// YAML (JSON is read as YAML too).
    Yaml,
    /// CSV; the header row says which kind of record it holds.
    Csv,
}

/// Query of `POST /inventory/plan` and `POST /inventory/import`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Delete records in scope that the file does not hold (default false).
    pub prune: Option<bool>,
    /// The file's format; taken from `Content-Type` when absent.
    pub format: Option<FileFormat>,
    /// The file's name, used in error messages (default `inventory.yaml` or `inventory.csv`).
    pub name: Option<String>,
}

/// What `POST /inventory/plan` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanPreview {
    /// Every change, per kind of record, each `{op: create|update|delete, before?, after?}`.
    #[schema(value_type = Object)]
    pub plan: InventoryPlan,
    /// How many records would be created, updated and deleted.
    pub summary: PlanSummary,
}

/// Exports the inventory in the caller's scope (authorities always included).
#[utoipa::path(get, operation_id = "export_inventory", path = "/api/v1/inventory", tag = "inventory", params(ExportQuery),
    responses((status = 200, description = "The inventory document",
        content((String = "application/yaml"), (Object = "application/json")))))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.unwrap_or_default();
    let document = state.store.export_inventory(&caller.scope()).await?;
    state
        .store
        .record_event(
            &caller.actor(),
            "export",
            "inventory",
            Some(serde_json::json!({ "format": format_name(format), "via": "api" })),
        )
        .await?;
    Ok(match format {
        ExportFormat::Json => Json(document).into_response(),
        ExportFormat::Yaml => (
            [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
            canhgac_inventory::to_yaml(&document),
        )
            .into_response(),
    })
}

fn format_name(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Yaml => "yaml",
        ExportFormat::Json => "json",
    }
}

/// The file's format from the query, else from `Content-Type`.
fn file_format(query: &ImportQuery, headers: &HeaderMap) -> Result<FileFormat, ApiError> {
    if let Some(format) = query.format {
        return Ok(format);
    }
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match mime.as_str() {
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml"
        | "application/json" => Ok(FileFormat::Yaml),
        "text/csv" | "application/csv" => Ok(FileFormat::Csv),
        _ => Err(ApiError::unsupported_media_type(
            "send the file as application/yaml or text/csv, or say ?format=yaml|csv",
        )),
    }
}

fn file_errors(errors: InventoryErrors) -> ApiError {
    ApiError::invalid_file(errors.iter().map(ToString::to_string).collect())
}

/// Reads the upload and plans it against the caller's scope; writes nothing.
async fn plan_upload(
    state: &AppState,
    caller: &Caller,
    query: &ImportQuery,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<InventoryPlan, ApiError> {
    require_inventory_editor(caller)?;
    let format = file_format(query, headers)?;
    let body = body.map_err(bytes_rejection)?;
    let name = query
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
        .unwrap_or_else(|| match format {
            FileFormat::Yaml => "inventory.yaml".to_string(),
            FileFormat::Csv => "inventory.csv".to_string(),
        });
    let parser_format = match format {
        FileFormat::Yaml => canhgac_inventory::Format::Yaml,
        FileFormat::Csv => canhgac_inventory::Format::Csv,
    };
    let parsed = canhgac_inventory::parse_as(&name, &body, parser_format).map_err(file_errors)?;
    let current = state.store.export_inventory(&caller.scope()).await?;
    let plan = canhgac_inventory::plan(
        &current,
        &parsed,
        PlanOptions {
            prune: query.prune.unwrap_or(false),
        },
    )
    .map_err(file_errors)?;
    if !plan.authorities.is_empty() && !caller.role().can_edit_authorities() {
        return Err(ApiError::forbidden(
            "the file changes authorities, which only admins and analysts change",
        ));
    }
    Ok(plan)
}

/// Previews an import: what it would create, update and delete. Writes nothing.
#[utoipa::path(post, operation_id = "plan_import", path = "/api/v1/inventory/plan", tag = "inventory", params(ImportQuery),
    request_body(description = "The inventory file",
        content((String = "application/yaml"), (String = "text/csv"))),
    responses((status = 200, description = "The plan and its summary", body = PlanPreview)))]
pub async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<PlanPreview>, ApiError> {
    let plan = plan_upload(&state, &caller, &query, &headers, body).await?;
    let summary = plan.summary();
    Ok(Json(PlanPreview { plan, summary }))
}

/// Imports a file: all or nothing, one audit entry per change. Re-importing the same file
/// changes nothing.
#[utoipa::path(post, operation_id = "import_inventory", path = "/api/v1/inventory/import", tag = "inventory", params(ImportQuery),
    request_body(description = "The inventory file",
        content((String = "application/yaml"), (String = "text/csv"))),
    responses((status = 200, description = "What was changed", body = PlanSummary)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<PlanSummary>, ApiError> {
    let plan = plan_upload(&state, &caller, &query, &headers, body).await?;
    if plan.is_empty() {
        return Ok(Json(PlanSummary::default()));
    }
    Ok(Json(
        state.store.apply_inventory(&caller.actor(), &plan).await?,
    ))
}
