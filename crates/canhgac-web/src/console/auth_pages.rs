//! Sign-in, sign-out, first-admin setup and the language switch.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use canhgac_model::{check_password_strength, Actor, Role, Scope, UserInput};
use maud::html;

use super::error::PageError;
use super::forms::{Errors, FieldCtx, FormData};
use super::i18n::{Lang, Msg, LANG_COOKIE};
use super::layout::{self, Chrome};
use super::session::{self, local_path, see_other, CsrfForm, PublicForm};
use crate::auth;
use crate::AppState;

/// The client's address as the socket saw it. `X-Forwarded-For` is deliberately ignored: any
/// client can write it, and trusting it would let one address dodge the sign-in limit.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// `GET /lang/{vi|en}?next=PATH`: remembers the language and goes back.
pub async fn set_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let lang = Lang::from_code(&code).ok_or(PageError::NotFound)?;
    let next = local_path(params.get("next").map_or("/", String::as_str));
    let mut cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    if state.settings.secure_cookies {
        cookie.push_str("; Secure");
    }
    let mut response = see_other(next);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

fn anonymous_page(lang: Lang, path: &str, title: &str, body: maud::Markup) -> maud::Markup {
    layout::page(&Chrome::anonymous(lang, path.to_string()), title, body)
}

fn login_page(
    lang: Lang,
    username: &str,
    next: &str,
    message: Option<&str>,
    hint: bool,
) -> maud::Markup {
    let title = lang.t(Msg::SignIn);
    anonymous_page(
        lang,
        "/login",
        title,
        html! {
            @if let Some(message) = message { div.notice.error role="alert" { (message) } }
            @if hint { div.notice { (lang.t(Msg::NoUsersHint)) } }
            form #login-form .card method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                div.field {
                    label for="username" { (lang.t(Msg::Username)) }
                    input #username type="text" name="username" value=(username) autocomplete="username" required autofocus;
                }
                div.field {
                    label for="password" { (lang.t(Msg::Password)) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                button.primary type="submit" { (lang.t(Msg::SignIn)) }
            }
        },
    )
}

/// `GET /login?next=PATH`.
pub async fn login_form(
    State(state): State<AppState>,
    lang: Lang,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let next = local_path(params.get("next").map_or("/", String::as_str));
    let no_users = state.store.count_users().await? == 0;
    Ok(login_page(lang, "", next, None, no_users).into_response())
}

/// A PHC hash of a random password, checked when the username is unknown so that unknown and
/// known usernames take the same time to refuse.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::new_secret()).unwrap_or_default())
}

/// `POST /login`: checks the password under the rate limit and starts a session.
pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    PublicForm(form): PublicForm,
) -> Result<Response, PageError> {
    let username = form.get("username").trim().to_lowercase();
    let password = form.get("password").to_string();
    let next = local_path(form.get("next")).to_string();
    let mut keys = vec![format!("user:{username}")];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
    }
    let detail = serde_json::json!({ "username": username, "ip": ip.map(|ip| ip.to_string()) });
    // Whoever failed is named in the audit log by what they typed, bounded.
    let anonymous = Actor {
        user_id: None,
        name: username.chars().take(64).collect(),
        scope: Scope::Units(Vec::new()),
    };
    if keys.iter().any(|key| state.login_limiter.is_blocked(key)) {
        state
            .store
            .record_event(&anonymous, "login_blocked", "user", Some(detail))
            .await?;
        let page = login_page(
            lang,
            &username,
            &next,
            Some(lang.t(Msg::LoginBlocked)),
            false,
        );
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    let credentials = state.store.user_credentials(&username).await?;
    let (user, hash) = match credentials {
        Some(c) if !c.user.disabled && c.password_hash.is_some() => {
            let hash = c.password_hash.clone().unwrap_or_default();
            (Some(c.user), hash)
        }
        _ => (None, dummy_hash().to_string()),
    };
    let verified = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let Some(user) = user.filter(|_| verified) else {
        for key in &keys {
            state.login_limiter.record_failure(key);
        }
        state
            .store
            .record_event(&anonymous, "login_failed", "user", Some(detail))
            .await?;
        let page = login_page(
            lang,
            &username,
            &next,
            Some(lang.t(Msg::LoginFailed)),
            false,
        );
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    // Only the username's counter is cleared: an address that sprays guesses keeps its count
    // even if it also knows one valid password.
    state.login_limiter.clear(&keys[0]);
    state
        .store
        .record_event(&user.actor(), "login", "user", Some(detail))
        .await?;
    let cookie = session::start_session(&state, &user).await?;
    let mut response = see_other(&next);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `POST /logout`: ends the session (CSRF-checked, so other sites cannot sign users out).
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { .. }: CsrfForm,
) -> Result<Response, PageError> {
    session::end_session(&headers, &state).await?;
    let mut response = see_other("/login");
    response
        .headers_mut()
        .append(header::SET_COOKIE, session::clear_cookie(&state));
    Ok(response)
}

fn setup_page(lang: Lang, values: &FormData, errors: &Errors) -> maud::Markup {
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    anonymous_page(
        lang,
        "/setup",
        lang.t(Msg::SetupTitle),
        html! {
            (f.summary(&["username", "display_name", "password", "password_confirm", "token"]))
            form #setup-form .card method="post" action="/setup" {
                input type="hidden" name="token" value=(values.get("token"));
                (f.input(lang.t(Msg::Username), "username", "text", true))
                (f.input(lang.t(Msg::DisplayName), "display_name", "text", false))
                (f.input(lang.t(Msg::Password), "password", "password", true))
                (f.input(lang.t(Msg::PasswordConfirm), "password_confirm", "password", true))
                button.primary type="submit" { (lang.t(Msg::SetupSubmit)) }
            }
        },
    )
}

fn setup_refused(lang: Lang, status: StatusCode, msg: Msg) -> Response {
    let body = html! { div.notice.error role="alert" { (lang.t(msg)) } p { a href="/login" { (lang.t(Msg::SignIn)) } } };
    (
        status,
        anonymous_page(lang, "/setup", lang.t(Msg::SetupTitle), body),
    )
        .into_response()
}

/// `GET /setup?token=SECRET`: the first-admin form, while no user exists.
pub async fn setup_form(
    State(state): State<AppState>,
    lang: Lang,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    if state.store.count_users().await? > 0 {
        return Ok(setup_refused(
            lang,
            StatusCode::NOT_FOUND,
            Msg::SetupUnavailable,
        ));
    }
    let token = params.get("token").map_or("", String::as_str);
    if !state.setup.matches(token) {
        return Ok(setup_refused(
            lang,
            StatusCode::FORBIDDEN,
            Msg::SetupTokenInvalid,
        ));
    }
    let values = FormData::from_pairs(vec![("token".into(), token.to_string())]);
    Ok(setup_page(lang, &values, &Errors::default()).into_response())
}

/// `POST /setup`: creates the first admin, consumes the token and signs them in.
pub async fn setup(
    State(state): State<AppState>,
    lang: Lang,
    PublicForm(form): PublicForm,
) -> Result<Response, PageError> {
    let _only_one_setup_at_a_time = state.setup.exclusive().await;
    if state.store.count_users().await? > 0 {
        return Ok(setup_refused(
            lang,
            StatusCode::NOT_FOUND,
            Msg::SetupUnavailable,
        ));
    }
    if !state.setup.matches(form.get("token")) {
        return Ok(setup_refused(
            lang,
            StatusCode::FORBIDDEN,
            Msg::SetupTokenInvalid,
        ));
    }
    let mut errors = Errors::default();
    let mut input = UserInput {
        username: form.get("username").to_string(),
        display_name: form.get("display_name").to_string(),
        email: None,
        role: Role::Admin,
        unit_ids: Vec::new(),
        disabled: false,
    };
    if let Err(err) = input.validate() {
        errors.field_error(lang, &err);
    }
    let password = form.get("password");
    if let Err(err) = check_password_strength(password) {
        errors.field_error(lang, &err);
    } else if password != form.get("password_confirm") {
        errors.add("password_confirm", lang.t(Msg::PasswordMismatch));
    }
    if errors.is_empty() {
        let hash = auth::hash_password(password).map_err(|e| PageError::Internal(e.to_string()))?;
        match state
            .store
            .create_user(&Actor::system("setup"), input, Some(hash))
            .await
        {
            Ok(user) => {
                state.setup.consume();
                let cookie = session::start_session(&state, &user).await?;
                let mut response = see_other("/");
                response.headers_mut().append(header::SET_COOKIE, cookie);
                return Ok(response);
            }
            Err(err) => errors.store_error(lang, err)?,
        }
    }
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        setup_page(lang, &form, &errors),
    )
        .into_response())
}
