//! `/contacts`: focal points of units in the caller's scope.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Contact, ContactInput, Id, Page};
use canhgac_store::ContactFilter;
use serde::Deserialize;

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, page_request};
use super::{created, require_inventory_editor, Created};
use crate::auth::Caller;
use crate::AppState;

/// Filters of `GET /contacts`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text to look for in names and codes.
    pub q: Option<String>,
    /// Only contacts of this unit.
    pub unit_id: Option<Id>,
}

/// Lists the contacts of units in the caller's scope, by name.
#[utoipa::path(get, operation_id = "list_contacts", path = "/api/v1/contacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, description = "A page of contacts", body = Page<Contact>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<ContactQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    let filter = ContactFilter {
        unit_id: query.unit_id,
    };
    let contacts = state
        .store
        .list_contacts(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, contacts))
}

/// One contact.
#[utoipa::path(get, operation_id = "get_contact", path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = Id, Path, description = "Contact id")),
    responses((status = 200, description = "The contact", body = Contact)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(state.store.get_contact(&caller.scope(), id).await?))
}

/// Creates a contact of a unit in the caller's scope.
#[utoipa::path(post, operation_id = "create_contact", path = "/api/v1/contacts", tag = "contacts", request_body = ContactInput,
    responses((status = 201, description = "The new contact", body = Contact)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut input): ApiJson<ContactInput>,
) -> Result<Created<Contact>, ApiError> {
    require_inventory_editor(&caller)?;
    if input.unit_id <= 0 {
        return Err(ApiError::invalid(
            "unit_id",
            "the unit of the contact is required",
        ));
    }
    input.validate()?;
    let record = state.store.create_contact(&caller.actor(), input).await?;
    Ok(created("contacts", record.id, record))
}

/// Changes a contact.
#[utoipa::path(put, operation_id = "update_contact", path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactInput,
    params(("id" = Id, Path, description = "Contact id")),
    responses((status = 200, description = "The changed contact", body = Contact)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(mut input): ApiJson<ContactInput>,
) -> Result<Json<Contact>, ApiError> {
    require_inventory_editor(&caller)?;
    if input.unit_id <= 0 {
        return Err(ApiError::invalid(
            "unit_id",
            "the unit of the contact is required",
        ));
    }
    input.validate()?;
    Ok(Json(
        state
            .store
            .update_contact(&caller.actor(), id, input)
            .await?,
    ))
}

/// Deletes a contact.
#[utoipa::path(delete, operation_id = "delete_contact", path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = Id, Path, description = "Contact id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_inventory_editor(&caller)?;
    state.store.delete_contact(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
