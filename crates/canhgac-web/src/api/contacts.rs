//! `/contacts`: focal points of units in the caller's scope.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Contact, ContactInput, Id, Page, PageRequest};
use canhgac_store::ContactFilter;
use serde::Deserialize;

use super::crud::{self, Create, Entity};
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::page_request;
use super::{require_inventory_editor, Created};
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

/// Contacts as an [`Entity`].
pub struct Contacts;

impl Entity for Contacts {
    const COLLECTION: &'static str = "contacts";
    type Record = Contact;
    type Input = ContactInput;
    type Query = ContactQuery;
    type Filter = ContactFilter;

    fn id(record: &Contact) -> Id {
        record.id
    }

    fn may_write(caller: &Caller) -> Result<(), ApiError> {
        require_inventory_editor(caller)
    }

    fn paging(query: ContactQuery) -> Result<(PageRequest, ContactFilter), ApiError> {
        let page = page_request(query.page, query.per_page, query.q)?;
        let filter = ContactFilter {
            unit_id: query.unit_id,
        };
        Ok((page, filter))
    }

    fn check(input: &mut ContactInput) -> Result<(), ApiError> {
        if input.unit_id <= 0 {
            return Err(ApiError::invalid(
                "unit_id",
                "the unit of the contact is required",
            ));
        }
        Ok(input.validate()?)
    }

    crud::store_calls!(scoped: list_contacts, get_contact, update_contact, delete_contact);
}

impl Create for Contacts {
    crud::store_calls!(create: create_contact);
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
    crud::list::<Contacts>(&state, &caller, &uri, query).await
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
    crud::get::<Contacts>(&state, &caller, id).await
}

/// Creates a contact of a unit in the caller's scope.
#[utoipa::path(post, operation_id = "create_contact", path = "/api/v1/contacts", tag = "contacts", request_body = ContactInput,
    responses((status = 201, description = "The new contact", body = Contact)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Created<Contact>, ApiError> {
    crud::create::<Contacts>(&state, &caller, input).await
}

/// Changes a contact.
#[utoipa::path(put, operation_id = "update_contact", path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactInput,
    params(("id" = Id, Path, description = "Contact id")),
    responses((status = 200, description = "The changed contact", body = Contact)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<Contact>, ApiError> {
    crud::update::<Contacts>(&state, &caller, id, input).await
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
    crud::delete::<Contacts>(&state, &caller, id).await
}
