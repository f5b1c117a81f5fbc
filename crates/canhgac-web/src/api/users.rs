//! `/users`: accounts, for admins only. Password hashes never leave the store; passwords are
//! hashed here with argon2id before they reach it.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{check_password_strength, Id, Page, Role, User, UserInput};
use serde::Deserialize;

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::paging::{listing, PageQuery};
use super::{created, require_admin, Created};
use crate::auth::{self, Caller};
use crate::AppState;

/// What `POST /users` reads: a [`UserInput`] plus an optional first password.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Name shown in the console (the username when empty).
    #[serde(default)]
    pub display_name: String,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// Unit subtree roots (required for unit officers).
    #[serde(default)]
    pub unit_ids: Vec<Id>,
    /// Disabled flag.
    #[serde(default)]
    pub disabled: bool,
    /// The first password (at least 12 characters, mixing classes). Without one the user signs
    /// in only through API tokens until a password is set.
    #[serde(default)]
    pub password: Option<String>,
}

/// What `POST /users/{id}/password` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The new password (at least 12 characters, mixing classes).
    pub password: String,
}

/// Checks and hashes a password off the async workers: argon2id is deliberately slow.
async fn hash(password: String) -> Result<String, ApiError> {
    check_password_strength(&password)?;
    let hashed = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|error| {
            tracing::error!(%error, "password hashing task failed");
            ApiError::internal()
        })?;
    hashed.map_err(|error| {
        tracing::error!(%error, "cannot hash a password");
        ApiError::internal()
    })
}

/// Lists the users, by username (admins).
#[utoipa::path(get, operation_id = "list_users", path = "/api/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, description = "A page of users", body = Page<User>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let page = query.to_request()?;
    Ok(listing(&uri, state.store.list_users(&page).await?))
}

/// One user (admins).
#[utoipa::path(get, operation_id = "get_user", path = "/api/v1/users/{id}", tag = "users",
    params(("id" = Id, Path, description = "User id")),
    responses((status = 200, description = "The user", body = User)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<Json<User>, ApiError> {
    require_admin(&caller)?;
    Ok(Json(state.store.get_user(id).await?))
}

/// Creates a user (admins).
#[utoipa::path(post, operation_id = "create_user", path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, description = "The new user", body = User)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<Created<User>, ApiError> {
    require_admin(&caller)?;
    let mut input = UserInput {
        username: new.username,
        display_name: new.display_name,
        email: new.email,
        role: new.role,
        unit_ids: new.unit_ids,
        disabled: new.disabled,
    };
    input.validate()?;
    let password_hash = match new.password {
        Some(password) => Some(hash(password).await?),
        None => None,
    };
    let user = state
        .store
        .create_user(&caller.actor(), input, password_hash)
        .await?;
    Ok(created("users", user.id, user))
}

/// Changes a user, not their password (admins). An admin cannot demote or disable themselves,
/// so the last admin cannot lock everyone out by mistake.
#[utoipa::path(put, operation_id = "update_user", path = "/api/v1/users/{id}", tag = "users", request_body = UserInput,
    params(("id" = Id, Path, description = "User id")),
    responses((status = 200, description = "The changed user", body = User)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(mut input): ApiJson<UserInput>,
) -> Result<Json<User>, ApiError> {
    require_admin(&caller)?;
    input.validate()?;
    if id == caller.user.id {
        if input.role != Role::Admin {
            return Err(ApiError::conflict("role", "you cannot demote yourself"));
        }
        if input.disabled {
            return Err(ApiError::conflict(
                "disabled",
                "you cannot disable yourself",
            ));
        }
    }
    Ok(Json(
        state.store.update_user(&caller.actor(), id, input).await?,
    ))
}

/// Deletes a user with their sessions and tokens (admins; not oneself).
#[utoipa::path(delete, operation_id = "delete_user", path = "/api/v1/users/{id}", tag = "users",
    params(("id" = Id, Path, description = "User id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller)?;
    if id == caller.user.id {
        return Err(ApiError::conflict("id", "you cannot delete yourself"));
    }
    state.store.delete_user(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a user's password and ends their sessions (admins).
#[utoipa::path(post, operation_id = "set_user_password", path = "/api/v1/users/{id}/password", tag = "users",
    request_body = NewPassword,
    params(("id" = Id, Path, description = "User id")),
    responses((status = 204, description = "Password set")))]
pub async fn set_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    ApiJson(input): ApiJson<NewPassword>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller)?;
    let password_hash = hash(input.password).await?;
    state
        .store
        .set_password(&caller.actor(), id, password_hash)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
