//! API tokens: `/tokens` for the caller's own, `/users/{id}/tokens` for an admin managing
//! someone else's. The secret is answered once, at creation; only its SHA-256 is stored.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{ApiToken, Id};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiJson, ApiPath};
use super::require_admin;
use crate::auth::{self, Caller};
use crate::AppState;

/// What `POST /tokens` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for, e.g. "syslog relay Sở Y tế".
    pub name: String,
}

/// A token just created, with its secret: shown this once, never again.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedToken {
    /// The stored token.
    pub token: ApiToken,
    /// The secret to send as `Authorization: Bearer SECRET`.
    pub secret: String,
}

async fn create_for(
    state: &AppState,
    caller: &Caller,
    user_id: Id,
    input: NewToken,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name", "is required"));
    }
    if name.chars().count() > 200 {
        return Err(ApiError::invalid("name", "is longer than 200 characters"));
    }
    let new = auth::new_api_token();
    let token = state
        .store
        .create_api_token(&caller.actor(), user_id, name, &new.prefix, &new.hash)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            secret: new.secret,
        }),
    ))
}

/// The caller's own tokens (without secrets).
#[utoipa::path(get, operation_id = "list_tokens", path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "The caller's tokens", body = Vec<ApiToken>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(state.store.list_api_tokens(caller.user.id).await?))
}

/// Creates a token acting as the caller (same role and scope); the secret is answered once.
#[utoipa::path(post, operation_id = "create_token", path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, description = "The token and its secret", body = CreatedToken)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    create_for(&state, &caller, caller.user.id, input).await
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, operation_id = "revoke_token", path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = Id, Path, description = "Token id")),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_api_token(&caller.actor(), caller.user.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's tokens (admins).
#[utoipa::path(get, operation_id = "list_user_tokens", path = "/api/v1/users/{id}/tokens", tag = "users",
    params(("id" = Id, Path, description = "User id")),
    responses((status = 200, description = "The user's tokens", body = Vec<ApiToken>)))]
pub async fn list_for_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user_id): ApiPath<Id>,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    require_admin(&caller)?;
    state.store.get_user(user_id).await?;
    Ok(Json(state.store.list_api_tokens(user_id).await?))
}

/// Creates a token acting as a user (admins); the secret is answered once.
#[utoipa::path(post, operation_id = "create_user_token", path = "/api/v1/users/{id}/tokens", tag = "users", request_body = NewToken,
    params(("id" = Id, Path, description = "User id")),
    responses((status = 201, description = "The token and its secret", body = CreatedToken)))]
pub async fn create_for_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user_id): ApiPath<Id>,
    ApiJson(input): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    require_admin(&caller)?;
    state.store.get_user(user_id).await?;
    create_for(&state, &caller, user_id, input).await
}

/// Revokes a user's token (admins).
#[utoipa::path(delete, operation_id = "revoke_user_token", path = "/api/v1/users/{id}/tokens/{token_id}", tag = "users",
    params(("id" = Id, Path, description = "User id"), ("token_id" = Id, Path, description = "Token id")),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke_for_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((user_id, token_id)): ApiPath<(Id, Id)>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller)?;
    state
        .store
        .revoke_api_token(&caller.actor(), user_id, token_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
