//! Users (admins only): create with role, unit scope and initial password; edit; disable;
//! reset password; API tokens (the secret is shown once).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use canhgac_model::{check_password_strength, Id, Role, Scope, User, UserInput};
use maud::{html, Markup};

use super::error::PageError;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{self, Lang, Msg};
use super::layout;
use super::session::{see_other, CsrfForm, Ctx};
use super::units::{unit_names, unit_options};
use crate::auth;
use crate::AppState;

fn role_options(lang: Lang) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.code().to_string(), i18n::role(lang, *r).to_string()))
        .collect()
}

fn status(lang: Lang, user: &User) -> Markup {
    html! {
        @if user.disabled { span.badge.status-expired { (lang.t(Msg::Disabled)) } }
        @else { span.badge.status-active { (lang.t(Msg::Active)) } }
    }
}

/// `GET /users`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    ctx.require_admin()?;
    let lang = ctx.lang;
    let page = state
        .store
        .list_users(&forms::page_request(&params))
        .await?;
    let ids: Vec<Id> = page
        .items
        .iter()
        .flat_map(|u| u.unit_ids.iter().copied())
        .collect();
    let names = unit_names(&state, &Scope::All, &ids).await?;
    let heading = html! {
        div.page-heading {
            h1 { (lang.t(Msg::Users)) }
            div.actions { a.button.primary href="/users/new" { (lang.t(Msg::New)) } }
        }
    };
    let body = html! {
        (forms::search_form(lang, "/users", &params, html! {}))
        table.data {
            thead { tr {
                th { (lang.t(Msg::Username)) } th { (lang.t(Msg::DisplayName)) } th { (lang.t(Msg::Role)) }
                th { (lang.t(Msg::UnitScope)) } th { (lang.t(Msg::Status)) }
            } }
            tbody { @for u in &page.items { tr {
                td { a href={ "/users/" (u.id) } { (u.username) } }
                td { (u.display_name) }
                td { (i18n::role(lang, u.role)) }
                td { (scope_text(lang, u, &names)) }
                td { (status(lang, u)) }
            } } }
        }
        (forms::pager(lang, "/users", &params, &page))
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        lang.t(Msg::Users),
        heading,
        body,
    ))
}

fn scope_text(lang: Lang, user: &User, names: &std::collections::HashMap<Id, String>) -> String {
    match user.scope() {
        Scope::All => lang.t(Msg::EveryUnit).to_string(),
        Scope::Units(ids) => ids
            .iter()
            .map(|id| names.get(id).cloned().unwrap_or_else(|| format!("#{id}")))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn values(input: &UserInput) -> FormData {
    let mut pairs = vec![
        ("username".to_string(), input.username.clone()),
        ("display_name".into(), input.display_name.clone()),
        ("email".into(), input.email.clone().unwrap_or_default()),
        ("role".into(), input.role.code().into()),
    ];
    if input.disabled {
        pairs.push(("disabled".into(), "1".into()));
    }
    pairs.extend(
        input
            .unit_ids
            .iter()
            .map(|id| ("unit_ids".to_string(), id.to_string())),
    );
    FormData::from_pairs(pairs)
}

fn parse(form: &FormData, lang: Lang, errors: &mut Errors) -> UserInput {
    let mut unit_ids = Vec::new();
    for raw in form.all("unit_ids") {
        match raw.trim().parse() {
            Ok(id) => unit_ids.push(id),
            Err(_) => errors.add("unit_ids", lang.t(Msg::InvalidChoice)),
        }
    }
    UserInput {
        username: form.get("username").to_string(),
        display_name: form.get("display_name").to_string(),
        email: forms::opt_text(form, "email"),
        role: forms::req_enum(form, "role", lang, errors).unwrap_or(Role::Viewer),
        unit_ids,
        disabled: form.checked("disabled"),
    }
}

async fn form(
    state: &AppState,
    ctx: &Ctx,
    title: &str,
    action: &str,
    cancel: &str,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    // Only a new user gets a password here; existing users have "reset password".
    let with_password = action == "/users";
    let lang = ctx.lang;
    let units = state.store.unit_briefs(&Scope::All).await?;
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    let fields = html! {
        (f.summary(&["username", "display_name", "email", "role", "unit_ids", "password", "disabled"]))
        div.field-row {
            (f.input(lang.t(Msg::Username), "username", "text", true))
            (f.input(lang.t(Msg::DisplayName), "display_name", "text", false))
        }
        (f.input(lang.t(Msg::Email), "email", "email", false))
        (f.select(lang.t(Msg::Role), "role", &role_options(lang), None, true))
        (f.multi_select(lang.t(Msg::UnitScope), "unit_ids", &unit_options(&units), lang.t(Msg::UnitScopeHint)))
        @if with_password {
            (f.input(lang.t(Msg::InitialPassword), "password", "password", true))
        }
        (f.checkbox(lang.t(Msg::Disabled), "disabled"))
    };
    Ok(forms::form_page(
        &ctx.chrome(),
        title,
        action,
        cancel,
        fields,
    ))
}

/// `GET /users/new`.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, PageError> {
    ctx.require_admin()?;
    let title = format!("{} — {}", ctx.t(Msg::Users), ctx.t(Msg::New));
    let values = FormData::from_pairs(vec![("role".into(), Role::Viewer.code().into())]);
    form(
        &state,
        &ctx,
        &title,
        "/users",
        "/users",
        &values,
        &Errors::default(),
    )
    .await
}

/// `POST /users`.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { ctx, form: data }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require_admin()?;
    let lang = ctx.lang;
    let mut errors = Errors::default();
    let input = parse(&data, lang, &mut errors);
    errors.model_check(lang, input.clone().validate());
    let password = data.get("password");
    if let Err(err) = check_password_strength(password) {
        errors.field_error(lang, &err);
    }
    if errors.is_empty() {
        let hash = auth::hash_password(password).map_err(|e| PageError::Internal(e.to_string()))?;
        match state
            .store
            .create_user(&ctx.actor(), input, Some(hash))
            .await
        {
            Ok(user) => return Ok(see_other(&format!("/users/{}", user.id))),
            Err(err) => errors.store_error(lang, err)?,
        }
    }
    let title = format!("{} — {}", ctx.t(Msg::Users), ctx.t(Msg::New));
    Ok(forms::unprocessable(
        form(&state, &ctx, &title, "/users", "/users", &data, &errors).await?,
    ))
}

async fn user_page(
    state: &AppState,
    ctx: &Ctx,
    id: Id,
    secret: Option<&str>,
    password_errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let user = state.store.get_user(id).await?;
    let names = unit_names(state, &Scope::All, &user.unit_ids).await?;
    let tokens = state.store.list_api_tokens(id).await?;
    let base = format!("/users/{id}");
    let empty = FormData::default();
    let f = FieldCtx {
        lang,
        values: &empty,
        errors: password_errors,
    };
    let body = html! {
        @if let Some(secret) = secret {
            div.notice.success role="status" {
                p { (lang.t(Msg::TokenSecretOnce)) }
                p { code.secret data-token-secret { (secret) } }
            }
        }
        (forms::details(&[
            (lang.t(Msg::DisplayName), html! { (user.display_name) }),
            (lang.t(Msg::Email), html! { (forms::or_dash(user.email.as_deref())) }),
            (lang.t(Msg::Role), html! { (i18n::role(lang, user.role)) }),
            (lang.t(Msg::UnitScope), html! { (scope_text(lang, &user, &names)) }),
            (lang.t(Msg::Status), status(lang, &user)),
            (lang.t(Msg::CreatedAt), html! { (ctx.time(user.created_at)) }),
        ]))
        div.actions {
            @if user.disabled {
                (forms::action_button(&format!("{base}/enable"), &ctx.csrf, lang.t(Msg::Enable), ""))
            } @else if user.id != ctx.user.id {
                (forms::action_button(&format!("{base}/disable"), &ctx.csrf, lang.t(Msg::Disable), "danger"))
            }
        }
        section.card {
            h2 { (lang.t(Msg::ResetPassword)) }
            form.inline-form method="post" action={ (base) "/password" } {
                (forms::csrf_field(&ctx.csrf))
                (f.input(lang.t(Msg::NewPassword), "password", "password", true))
                button type="submit" { (lang.t(Msg::ResetPassword)) }
            }
        }
        section.card {
            h2 { (lang.t(Msg::ApiTokens)) }
            @if tokens.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                table.data {
                    thead { tr {
                        th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Prefix)) } th { (lang.t(Msg::CreatedAt)) }
                        th { (lang.t(Msg::LastUsed)) } th { (lang.t(Msg::Status)) }
                    } }
                    tbody { @for t in &tokens { tr {
                        td { (t.name) }
                        td { code { (t.prefix) "…" } }
                        td { (ctx.time(t.created_at)) }
                        td { (t.last_used_at.map(|at| ctx.time(at)).unwrap_or_else(|| "—".into())) }
                        td {
                            @if t.revoked { span.badge.status-expired { (lang.t(Msg::Revoked)) } }
                            @else { (forms::action_button(&format!("{base}/tokens/{}/revoke", t.id), &ctx.csrf, lang.t(Msg::Revoke), "danger")) }
                        }
                    } } }
                }
            }
            form.inline-form method="post" action={ (base) "/tokens" } {
                (forms::csrf_field(&ctx.csrf))
                div.field {
                    label for="token-name" { (lang.t(Msg::TokenName)) }
                    input #token-name type="text" name="name" required maxlength="200";
                }
                button type="submit" { (lang.t(Msg::CreateToken)) }
            }
        }
    };
    let heading = forms::detail_heading(ctx, &user.username, &base, true);
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        &user.username,
        heading,
        body,
    ))
}

/// `GET /users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    ctx.require_admin()?;
    user_page(&state, &ctx, id, None, &Errors::default()).await
}

/// `GET /users/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    ctx.require_admin()?;
    let user = state.store.get_user(id).await?;
    let input = UserInput {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        role: user.role,
        unit_ids: user.unit_ids.clone(),
        disabled: user.disabled,
    };
    let title = format!("{} — {}", user.username, ctx.t(Msg::Edit));
    let base = format!("/users/{id}");
    form(
        &state,
        &ctx,
        &title,
        &base,
        &base,
        &values(&input),
        &Errors::default(),
    )
    .await
}

/// `POST /users/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form: data }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require_admin()?;
    let user = state.store.get_user(id).await?;
    let mut errors = Errors::default();
    let input = parse(&data, ctx.lang, &mut errors);
    errors.model_check(ctx.lang, input.clone().validate());
    if id == ctx.user.id && (input.disabled || input.role != Role::Admin) {
        // An admin locking themselves out leaves nobody to undo it.
        errors.add("role", ctx.t(Msg::ForbiddenText));
    }
    let base = format!("/users/{id}");
    if errors.is_empty() {
        match state.store.update_user(&ctx.actor(), id, input).await {
            Ok(_) => return Ok(see_other(&base)),
            Err(err) => errors.store_error(ctx.lang, err)?,
        }
    }
    let title = format!("{} — {}", user.username, ctx.t(Msg::Edit));
    Ok(forms::unprocessable(
        form(&state, &ctx, &title, &base, &base, &data, &errors).await?,
    ))
}

async fn set_disabled(
    state: &AppState,
    ctx: &Ctx,
    id: Id,
    disabled: bool,
) -> Result<Response, PageError> {
    ctx.require_admin()?;
    if id == ctx.user.id && disabled {
        return Err(PageError::BadRequest(ctx.t(Msg::ForbiddenText).to_string()));
    }
    let user = state.store.get_user(id).await?;
    let input = UserInput {
        username: user.username,
        display_name: user.display_name,
        email: user.email,
        role: user.role,
        unit_ids: user.unit_ids,
        disabled,
    };
    state.store.update_user(&ctx.actor(), id, input).await?;
    Ok(see_other(&format!("/users/{id}")))
}

/// `POST /users/{id}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    set_disabled(&state, &ctx, id, true).await
}

/// `POST /users/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    set_disabled(&state, &ctx, id, false).await
}

/// `POST /users/{id}/password`.
pub async fn reset_password(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form: data }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require_admin()?;
    state.store.get_user(id).await?;
    let password = data.get("password");
    if let Err(err) = check_password_strength(password) {
        let mut errors = Errors::default();
        errors.field_error(ctx.lang, &err);
        return Ok(forms::unprocessable(
            user_page(&state, &ctx, id, None, &errors).await?,
        ));
    }
    let hash = auth::hash_password(password).map_err(|e| PageError::Internal(e.to_string()))?;
    state.store.set_password(&ctx.actor(), id, hash).await?;
    if id == ctx.user.id {
        // Resetting one's own password ends one's own sessions too.
        return Ok(see_other("/login"));
    }
    Ok(see_other(&format!("/users/{id}")))
}

/// `POST /users/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require_admin()?;
    if id == ctx.user.id {
        return Err(PageError::BadRequest(ctx.t(Msg::ForbiddenText).to_string()));
    }
    state.store.get_user(id).await?;
    state
        .store
        .delete_user(&ctx.actor(), id)
        .await
        .map_err(forms::delete_refused)?;
    Ok(see_other("/users"))
}

/// `POST /users/{id}/tokens`: creates a token and shows its secret once.
pub async fn create_token(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form: data }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require_admin()?;
    state.store.get_user(id).await?;
    let name = data.get("name").trim();
    if name.is_empty() || name.chars().count() > 200 {
        let mut errors = Errors::default();
        errors.add("name", i18n::field_message(ctx.lang, "is required"));
        return Ok(forms::unprocessable(
            user_page(&state, &ctx, id, None, &errors).await?,
        ));
    }
    let new = auth::new_api_token();
    state
        .store
        .create_api_token(&ctx.actor(), id, name, &new.prefix, &new.hash)
        .await?;
    let page = user_page(&state, &ctx, id, Some(&new.secret), &Errors::default()).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
}

/// `POST /users/{id}/tokens/{token_id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    Path((id, token_id)): Path<(Id, Id)>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require_admin()?;
    state
        .store
        .revoke_api_token(&ctx.actor(), id, token_id)
        .await?;
    Ok(see_other(&format!("/users/{id}")))
}
