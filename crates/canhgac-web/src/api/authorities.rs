//! `/authorities`: outside bodies that receive reports. Shared by every unit, so every caller
//! reads them and only admins and analysts change them.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Authority, AuthorityInput, Id, Page};

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, PageQuery};
use super::{created, Created};
use crate::auth::Caller;
use crate::AppState;

fn require_authority_editor(caller: &Caller) -> Result<(), ApiError> {
    if caller.role().can_edit_authorities() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only admins and analysts change authorities",
        ))
    }
}

/// Lists the authorities, by name.
#[utoipa::path(get, operation_id = "list_authorities", path = "/api/v1/authorities", tag = "authorities", params(PageQuery),
    responses((status = 200, description = "A page of authorities", body = Page<Authority>)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.to_request()?;
    Ok(listing(&uri, state.store.list_authorities(&page).await?))
}

/// One authority.
#[utoipa::path(get, operation_id = "get_authority", path = "/api/v1/authorities/{id}", tag = "authorities",
    params(("id" = Id, Path, description = "Authority id")),
    responses((status = 200, description = "The authority", body = Authority)))]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Authority>, ApiError> {
    Ok(Json(state.store.get_authority(id).await?))
}

/// Creates an authority (admins and analysts).
#[utoipa::path(post, operation_id = "create_authority", path = "/api/v1/authorities", tag = "authorities",
    request_body = AuthorityInput,
    responses((status = 201, description = "The new authority", body = Authority)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut input): ApiJson<AuthorityInput>,
) -> Result<Created<Authority>, ApiError> {
    require_authority_editor(&caller)?;
    input.validate()?;
    let record = state.store.create_authority(&caller.actor(), input).await?;
    Ok(created("authorities", record.id, record))
}

/// Changes an authority (admins and analysts).
#[utoipa::path(put, operation_id = "update_authority", path = "/api/v1/authorities/{id}", tag = "authorities",
    request_body = AuthorityInput,
    params(("id" = Id, Path, description = "Authority id")),
    responses((status = 200, description = "The changed authority", body = Authority)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(mut input): ApiJson<AuthorityInput>,
) -> Result<Json<Authority>, ApiError> {
    require_authority_editor(&caller)?;
    input.validate()?;
    Ok(Json(
        state
            .store
            .update_authority(&caller.actor(), id, input)
            .await?,
    ))
}

/// Deletes an authority (admins and analysts).
#[utoipa::path(delete, operation_id = "delete_authority", path = "/api/v1/authorities/{id}", tag = "authorities",
    params(("id" = Id, Path, description = "Authority id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_authority_editor(&caller)?;
    state.store.delete_authority(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
