//! `/systems`: information systems owned or operated by units in the caller's scope.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Id, InformationSystem, Page, SystemInput, SystemKind};
use canhgac_store::SystemFilter;
use serde::Deserialize;

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, page_request};
use super::{created, require_inventory_editor, Created};
use crate::auth::Caller;
use crate::AppState;

/// Filters of `GET /systems`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SystemQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text to look for in names and codes.
    pub q: Option<String>,
    /// Only systems owned or operated by this unit.
    pub unit_id: Option<Id>,
    /// Only this kind.
    pub kind: Option<SystemKind>,
}

/// Lists the systems owned or operated by units in the caller's scope, by name.
#[utoipa::path(get, operation_id = "list_systems", path = "/api/v1/systems", tag = "systems", params(SystemQuery),
    responses((status = 200, description = "A page of systems", body = Page<InformationSystem>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<SystemQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    let filter = SystemFilter {
        unit_id: query.unit_id,
        kind: query.kind,
    };
    let systems = state
        .store
        .list_systems(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, systems))
}

/// One information system.
#[utoipa::path(get, operation_id = "get_system", path = "/api/v1/systems/{id}", tag = "systems",
    params(("id" = Id, Path, description = "System id")),
    responses((status = 200, description = "The system", body = InformationSystem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<InformationSystem>, ApiError> {
    Ok(Json(state.store.get_system(&caller.scope(), id).await?))
}

/// Creates a system; its owner (or operator) unit must be in the caller's scope.
#[utoipa::path(post, operation_id = "create_system", path = "/api/v1/systems", tag = "systems", request_body = SystemInput,
    responses((status = 201, description = "The new system", body = InformationSystem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut input): ApiJson<SystemInput>,
) -> Result<Created<InformationSystem>, ApiError> {
    require_inventory_editor(&caller)?;
    input.validate()?;
    let record = state.store.create_system(&caller.actor(), input).await?;
    Ok(created("systems", record.id, record))
}

/// Changes a system.
#[utoipa::path(put, operation_id = "update_system", path = "/api/v1/systems/{id}", tag = "systems", request_body = SystemInput,
    params(("id" = Id, Path, description = "System id")),
    responses((status = 200, description = "The changed system", body = InformationSystem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(mut input): ApiJson<SystemInput>,
) -> Result<Json<InformationSystem>, ApiError> {
    require_inventory_editor(&caller)?;
    input.validate()?;
    Ok(Json(
        state
            .store
            .update_system(&caller.actor(), id, input)
            .await?,
    ))
}

/// Deletes a system and its assets.
#[utoipa::path(delete, operation_id = "delete_system", path = "/api/v1/systems/{id}", tag = "systems",
    params(("id" = Id, Path, description = "System id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_inventory_editor(&caller)?;
    state.store.delete_system(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The system's backup and last failover test (`null` when none is recorded).
#[utoipa::path(get, operation_id = "get_system_redundancy", path = "/api/v1/systems/{id}/redundancy", tag = "systems",
    params(("id" = Id, Path, description = "System id")),
    responses((status = 200, description = "The record, or null", body = Option<canhgac_model::redundancy::Redundancy>)))]
pub async fn get_redundancy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Option<canhgac_model::redundancy::Redundancy>>, ApiError> {
    Ok(Json(state.store.get_redundancy(&caller.scope(), id).await?))
}

/// Records the system's backup (another system in scope, or a description) and the day of the
/// last failover test (directive clause 3; an ISP's backups tested within a year count on the
/// directive dashboard).
#[utoipa::path(put, operation_id = "set_system_redundancy", path = "/api/v1/systems/{id}/redundancy", tag = "systems",
    params(("id" = Id, Path, description = "System id")),
    request_body = canhgac_model::redundancy::RedundancyInput,
    responses((status = 200, description = "The record", body = canhgac_model::redundancy::Redundancy)))]
pub async fn set_redundancy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<canhgac_model::redundancy::RedundancyInput>,
) -> Result<Json<canhgac_model::redundancy::Redundancy>, ApiError> {
    require_inventory_editor(&caller)?;
    Ok(Json(
        state
            .store
            .set_redundancy(&caller.actor(), id, input)
            .await?,
    ))
}
