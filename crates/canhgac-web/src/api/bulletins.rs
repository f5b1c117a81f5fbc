//! `/bulletins` and `/outbox`: awareness bulletins sent by email to the officials of chosen
//! units, who confirm reading them through a personal link; reminders; and the delivery state of
//! every message.
//!
//! Sending and reminding need a role that may act (every role but viewers) and units in the
//! caller's scope; readers see the units and people of their own scope only. The outbox is for
//! admins and analysts.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::Json;
use canhgac_model::bulletin::{
    Bulletin, BulletinAddressee, BulletinDetail, BulletinInput, OutboxFilter, OutboxMessage,
    OutboxState,
};
use canhgac_model::{Id, Page};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, page_request};
use super::{created, require_responder, Created};
use crate::auth::Caller;
use crate::AppState;

/// Paging of `GET /bulletins`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulletinQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text in the title.
    pub q: Option<String>,
}

/// Filters of `GET /outbox`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Text in the address or subject.
    pub q: Option<String>,
    /// Only this delivery state.
    pub state: Option<OutboxState>,
    /// Only the messages of this bulletin.
    pub bulletin_id: Option<Id>,
}

/// What `POST /bulletins/{id}/remind` did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reminded {
    /// Reminders queued (people in the caller's scope who have not confirmed and whose last
    /// email has left the outbox).
    pub reminders: u64,
}

/// Bulletins addressed to units in the caller's scope, newest first, with the confirmation
/// counts of that scope.
#[utoipa::path(get, operation_id = "list_bulletins", path = "/api/v1/bulletins", tag = "bulletins", params(BulletinQuery),
    responses((status = 200, description = "A page of bulletins", body = Page<Bulletin>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<BulletinQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    let bulletins = state.store.list_bulletins(&caller.scope(), &page).await?;
    Ok(listing(&uri, bulletins))
}

/// Sends a bulletin: one email to each contact with an address of the chosen units (and their
/// sub-units with `include_subunits`), each with a personal confirmation link.
#[utoipa::path(post, operation_id = "create_bulletin", path = "/api/v1/bulletins", tag = "bulletins", request_body = BulletinInput,
    responses((status = 201, description = "The bulletin with its recipients, their emails queued", body = BulletinDetail)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut input): ApiJson<BulletinInput>,
) -> Result<Created<BulletinDetail>, ApiError> {
    require_responder(&caller)?;
    input.validate()?;
    let respond = state.respond.clone();
    let write = |to: &BulletinAddressee<'_>| respond.write(to);
    let detail = state
        .store
        .create_bulletin(&caller.actor(), input, &write)
        .await?;
    respond.queued();
    Ok(created("bulletins", detail.bulletin.id, detail))
}

/// One bulletin: confirmations per unit and per person (in the caller's scope), with the
/// delivery state of each person's latest email.
#[utoipa::path(get, operation_id = "get_bulletin", path = "/api/v1/bulletins/{id}", tag = "bulletins",
    params(("id" = Id, Path, description = "Bulletin id")),
    responses((status = 200, description = "The bulletin", body = BulletinDetail)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<BulletinDetail>, ApiError> {
    Ok(Json(state.store.get_bulletin(&caller.scope(), id).await?))
}

/// Queues a reminder, with a fresh link, to everyone in the caller's scope who has not
/// confirmed.
#[utoipa::path(post, operation_id = "remind_bulletin", path = "/api/v1/bulletins/{id}/remind", tag = "bulletins",
    params(("id" = Id, Path, description = "Bulletin id")),
    responses((status = 200, description = "How many reminders were queued", body = Reminded)))]
pub async fn remind(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<Reminded>, ApiError> {
    require_responder(&caller)?;
    let respond = state.respond.clone();
    let write = |to: &BulletinAddressee<'_>| respond.write(to);
    let reminders = state
        .store
        .remind_bulletin(&caller.actor(), id, &write)
        .await?;
    if reminders > 0 {
        respond.queued();
    }
    Ok(Json(Reminded { reminders }))
}

/// Messages of the outbox, newest first, with their delivery state, attempts and last error
/// (bodies are not shown: they carry personal links). Admins and analysts.
#[utoipa::path(get, operation_id = "list_outbox", path = "/api/v1/outbox", tag = "bulletins", params(OutboxQuery),
    responses((status = 200, description = "A page of messages", body = Page<OutboxMessage>)))]
pub async fn outbox(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> Result<Response, ApiError> {
    if !caller.role().sees_everything() {
        return Err(ApiError::forbidden(
            "only admins and analysts see the outbox",
        ));
    }
    let page = page_request(query.page, query.per_page, query.q)?;
    let filter = OutboxFilter {
        state: query.state,
        bulletin_id: query.bulletin_id,
    };
    let messages = state
        .store
        .list_outbox(&caller.scope(), &filter, &page)
        .await?;
    Ok(listing(&uri, messages))
}
