//! `/systems`: information systems owned or operated by units in the caller's scope.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Id, InformationSystem, Page, PageRequest, SystemInput, SystemKind};
use canhgac_store::SystemFilter;
use serde::Deserialize;

use super::crud::{self, Create, Entity};
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::page_request;
use super::{require_inventory_editor, Created};
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

/// Information systems as an [`Entity`].
pub struct Systems;

impl Entity for Systems {
    const COLLECTION: &'static str = "systems";
    type Record = InformationSystem;
    type Input = SystemInput;
    type Query = SystemQuery;
    type Filter = SystemFilter;

    fn id(record: &InformationSystem) -> Id {
        record.id
    }

    fn may_write(caller: &Caller) -> Result<(), ApiError> {
        require_inventory_editor(caller)
    }

    fn paging(query: SystemQuery) -> Result<(PageRequest, SystemFilter), ApiError> {
        let page = page_request(query.page, query.per_page, query.q)?;
        let filter = SystemFilter {
            unit_id: query.unit_id,
            kind: query.kind,
        };
        Ok((page, filter))
    }

    fn check(input: &mut SystemInput) -> Result<(), ApiError> {
        Ok(input.validate()?)
    }

    crud::store_calls!(scoped: list_systems, get_system, update_system, delete_system);
}

impl Create for Systems {
    crud::store_calls!(create: create_system);
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
    crud::list::<Systems>(&state, &caller, &uri, query).await
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
    crud::get::<Systems>(&state, &caller, id).await
}

/// Creates a system; its owner (or operator) unit must be in the caller's scope.
#[utoipa::path(post, operation_id = "create_system", path = "/api/v1/systems", tag = "systems", request_body = SystemInput,
    responses((status = 201, description = "The new system", body = InformationSystem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<SystemInput>,
) -> Result<Created<InformationSystem>, ApiError> {
    crud::create::<Systems>(&state, &caller, input).await
}

/// Changes a system.
#[utoipa::path(put, operation_id = "update_system", path = "/api/v1/systems/{id}", tag = "systems", request_body = SystemInput,
    params(("id" = Id, Path, description = "System id")),
    responses((status = 200, description = "The changed system", body = InformationSystem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<SystemInput>,
) -> Result<Json<InformationSystem>, ApiError> {
    crud::update::<Systems>(&state, &caller, id, input).await
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
    crud::delete::<Systems>(&state, &caller, id).await
}
