//! `/units`: the organisation tree, within the caller's scope.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Id, Page, Unit, UnitInput, UnitKind};
use canhgac_store::UnitFilter;
use serde::Deserialize;

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, page_request};
use super::{created, require_inventory_editor, Created};
use crate::auth::Caller;
use crate::AppState;

/// Filters of `GET /units`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text to look for in names and codes.
    pub q: Option<String>,
    /// Only children of this unit.
    pub parent_id: Option<Id>,
    /// Only this kind.
    pub kind: Option<UnitKind>,
}

/// Lists the units in the caller's scope, by name.
#[utoipa::path(get, operation_id = "list_units", path = "/api/v1/units", tag = "units", params(UnitQuery),
    responses((status = 200, description = "A page of units", body = Page<Unit>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<UnitQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    let filter = UnitFilter {
        parent_id: query.parent_id,
        kind: query.kind,
    };
    let units = state
        .store
        .list_units(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, units))
}

/// One unit.
#[utoipa::path(get, operation_id = "get_unit", path = "/api/v1/units/{id}", tag = "units",
    params(("id" = Id, Path, description = "Unit id")),
    responses((status = 200, description = "The unit", body = Unit)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Unit>, ApiError> {
    Ok(Json(state.store.get_unit(&caller.scope(), id).await?))
}

/// Creates a unit under a parent in the caller's scope (only admins and analysts create roots).
#[utoipa::path(post, operation_id = "create_unit", path = "/api/v1/units", tag = "units", request_body = UnitInput,
    responses((status = 201, description = "The new unit", body = Unit)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut input): ApiJson<UnitInput>,
) -> Result<Created<Unit>, ApiError> {
    require_inventory_editor(&caller)?;
    input.validate()?;
    let unit = state.store.create_unit(&caller.actor(), input).await?;
    Ok(created("units", unit.id, unit))
}

/// Changes a unit.
#[utoipa::path(put, operation_id = "update_unit", path = "/api/v1/units/{id}", tag = "units", request_body = UnitInput,
    params(("id" = Id, Path, description = "Unit id")),
    responses((status = 200, description = "The changed unit", body = Unit)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(mut input): ApiJson<UnitInput>,
) -> Result<Json<Unit>, ApiError> {
    require_inventory_editor(&caller)?;
    input.validate()?;
    Ok(Json(
        state.store.update_unit(&caller.actor(), id, input).await?,
    ))
}

/// Deletes a unit that has no children, systems, contacts or users.
#[utoipa::path(delete, operation_id = "delete_unit", path = "/api/v1/units/{id}", tag = "units",
    params(("id" = Id, Path, description = "Unit id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_inventory_editor(&caller)?;
    state.store.delete_unit(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
