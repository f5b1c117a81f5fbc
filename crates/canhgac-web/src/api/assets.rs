//! `/assets`: the addresses of systems in the caller's scope.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Asset, AssetInput, Id, Page};
use canhgac_store::AssetFilter;
use serde::Deserialize;

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, page_request};
use super::{created, require_inventory_editor, Created};
use crate::auth::Caller;
use crate::AppState;

/// Filters of `GET /assets`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text to look for in names and codes.
    pub q: Option<String>,
    /// Only assets of this system.
    pub system_id: Option<Id>,
    /// Only assets of systems owned or operated by this unit.
    pub unit_id: Option<Id>,
}

/// Lists the assets of systems in the caller's scope, by value.
#[utoipa::path(get, operation_id = "list_assets", path = "/api/v1/assets", tag = "assets", params(AssetQuery),
    responses((status = 200, description = "A page of assets", body = Page<Asset>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<AssetQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    let filter = AssetFilter {
        system_id: query.system_id,
        unit_id: query.unit_id,
    };
    let assets = state
        .store
        .list_assets(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, assets))
}

/// One asset.
#[utoipa::path(get, operation_id = "get_asset", path = "/api/v1/assets/{id}", tag = "assets",
    params(("id" = Id, Path, description = "Asset id")),
    responses((status = 200, description = "The asset", body = Asset)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Asset>, ApiError> {
    Ok(Json(state.store.get_asset(&caller.scope(), id).await?))
}

/// Creates an asset on a system in the caller's scope; the address is normalised.
#[utoipa::path(post, operation_id = "create_asset", path = "/api/v1/assets", tag = "assets", request_body = AssetInput,
    responses((status = 201, description = "The new asset", body = Asset)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut input): ApiJson<AssetInput>,
) -> Result<Created<Asset>, ApiError> {
    require_inventory_editor(&caller)?;
    if input.system_id <= 0 {
        return Err(ApiError::invalid(
            "system_id",
            "the system the asset belongs to is required",
        ));
    }
    input.validate()?;
    let record = state.store.create_asset(&caller.actor(), input).await?;
    Ok(created("assets", record.id, record))
}

/// Changes an asset.
#[utoipa::path(put, operation_id = "update_asset", path = "/api/v1/assets/{id}", tag = "assets", request_body = AssetInput,
    params(("id" = Id, Path, description = "Asset id")),
    responses((status = 200, description = "The changed asset", body = Asset)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(mut input): ApiJson<AssetInput>,
) -> Result<Json<Asset>, ApiError> {
    require_inventory_editor(&caller)?;
    if input.system_id <= 0 {
        return Err(ApiError::invalid(
            "system_id",
            "the system the asset belongs to is required",
        ));
    }
    input.validate()?;
    Ok(Json(
        state.store.update_asset(&caller.actor(), id, input).await?,
    ))
}

/// Deletes an asset.
#[utoipa::path(delete, operation_id = "delete_asset", path = "/api/v1/assets/{id}", tag = "assets",
    params(("id" = Id, Path, description = "Asset id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_inventory_editor(&caller)?;
    state.store.delete_asset(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
