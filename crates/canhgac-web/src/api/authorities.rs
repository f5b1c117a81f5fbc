//! `/authorities`: outside bodies that receive reports. Shared by every unit, so every caller
//! reads them and only admins and analysts change them.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Authority, AuthorityInput, Id, Page, PageRequest};

use super::crud::{self, Create, Entity};
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::PageQuery;
use super::Created;
use crate::auth::Caller;
use crate::AppState;

/// Authorities as an [`Entity`]: not unit-scoped, so the scope is not passed on.
pub struct Authorities;

impl Entity for Authorities {
    const COLLECTION: &'static str = "authorities";
    type Record = Authority;
    type Input = AuthorityInput;
    type Query = PageQuery;
    type Filter = ();

    fn id(record: &Authority) -> Id {
        record.id
    }

    fn may_write(caller: &Caller) -> Result<(), ApiError> {
        if caller.role().can_edit_authorities() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only admins and analysts change authorities",
            ))
        }
    }

    fn paging(query: PageQuery) -> Result<(PageRequest, ()), ApiError> {
        Ok((query.to_request()?, ()))
    }

    fn check(input: &mut AuthorityInput) -> Result<(), ApiError> {
        Ok(input.validate()?)
    }

    crud::store_calls!(unscoped: list_authorities, get_authority, update_authority, delete_authority);
}

impl Create for Authorities {
    crud::store_calls!(create: create_authority);
}

/// Lists the authorities, by name.
#[utoipa::path(get, operation_id = "list_authorities", path = "/api/v1/authorities", tag = "authorities", params(PageQuery),
    responses((status = 200, description = "A page of authorities", body = Page<Authority>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    crud::list::<Authorities>(&state, &caller, &uri, query).await
}

/// One authority.
#[utoipa::path(get, operation_id = "get_authority", path = "/api/v1/authorities/{id}", tag = "authorities",
    params(("id" = Id, Path, description = "Authority id")),
    responses((status = 200, description = "The authority", body = Authority)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Authority>, ApiError> {
    crud::get::<Authorities>(&state, &caller, id).await
}

/// Creates an authority (admins and analysts).
#[utoipa::path(post, operation_id = "create_authority", path = "/api/v1/authorities", tag = "authorities",
    request_body = AuthorityInput,
    responses((status = 201, description = "The new authority", body = Authority)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<AuthorityInput>,
) -> Result<Created<Authority>, ApiError> {
    crud::create::<Authorities>(&state, &caller, input).await
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
    ApiJson(input): ApiJson<AuthorityInput>,
) -> Result<Json<Authority>, ApiError> {
    crud::update::<Authorities>(&state, &caller, id, input).await
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
    crud::delete::<Authorities>(&state, &caller, id).await
}
