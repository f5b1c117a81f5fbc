//! The new/create/edit/update/delete handlers and the listing/detail page frames shared by units,
//! systems, assets, contacts and authorities. Each of those modules implements [`InventoryPage`]
//! (its store calls, its form) and [`routes`] instantiates the generic handlers, so the order of
//! checks is written once: load the record in the caller's scope (404 outside it) before the role
//! check (403), then parse, validate, store, and redirect (303) or re-render the form with field
//! messages (422).

use std::future::Future;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use canhgac_model::{Actor, FieldError, Id, Scope};
use canhgac_store::Result as StoreResult;
use maud::{html, Markup};

use super::error::PageError;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{Lang, Msg};
use super::layout;
use super::session::{see_other, CsrfForm, Ctx};
use crate::AppState;

/// One editable record family of the console, living at `BASE`, `BASE/new`, `BASE/{id}`,
/// `BASE/{id}/edit` and `BASE/{id}/delete`.
pub trait InventoryPage: Send + Sync + 'static {
    /// The stored record.
    type Record: Send + Sync;
    /// What the form edits; a record converts into it to fill the edit form.
    type Input: Clone + Send + Sync + for<'r> From<&'r Self::Record>;

    /// Path of the listing (`/units`); records live below it.
    const BASE: &'static str;
    /// Name of the family, used in the title of the new-record form.
    const PLURAL: Msg;

    /// Whether the signed-in user may change records of this family; inventory editors unless
    /// the family says otherwise.
    fn may_edit(ctx: &Ctx) -> bool {
        ctx.role().can_edit_inventory()
    }
    /// Loads a record; `NotFound` when it is outside `scope`.
    fn get(
        state: &AppState,
        scope: &Scope,
        id: Id,
    ) -> impl Future<Output = StoreResult<Self::Record>> + Send;
    /// Creates a record and answers its id.
    fn create(
        state: &AppState,
        actor: &Actor,
        input: Self::Input,
    ) -> impl Future<Output = StoreResult<Id>> + Send;
    /// Changes a record.
    fn update(
        state: &AppState,
        actor: &Actor,
        id: Id,
        input: Self::Input,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes a record.
    fn delete(
        state: &AppState,
        actor: &Actor,
        id: Id,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// What the record's page and edit form call the record.
    fn label(record: &Self::Record) -> &str;
    /// Where to go once the record is deleted.
    fn after_delete(record: &Self::Record) -> String;

    /// Initial values of the new-record form (query parameters may preselect a parent).
    fn new_values(params: &Params) -> FormData;
    /// Form values showing `input`.
    fn values(input: &Self::Input) -> FormData;
    /// Reads the form, noting unparsable fields in `errors`.
    fn parse(form: &FormData, lang: Lang, errors: &mut Errors) -> Self::Input;
    /// The model's validation of an input.
    fn validate(input: &mut Self::Input) -> Result<(), FieldError>;
    /// The form's fields; [`form_page`] puts them in the page with the CSRF token and buttons.
    fn fields(
        state: &AppState,
        ctx: &Ctx,
        f: &FieldCtx<'_>,
    ) -> impl Future<Output = Result<Markup, PageError>> + Send;
}

/// A listing page of `E`: its title, with a "New" button for those who may edit.
pub fn list_page<E: InventoryPage>(ctx: &Ctx, body: Markup) -> Markup {
    let lang = ctx.lang;
    let heading = html! {
        div.page-heading {
            h1 { (lang.t(E::PLURAL)) }
            @if E::may_edit(ctx) {
                div.actions { a.button.primary href={ (E::BASE) "/new" } { (lang.t(Msg::New)) } }
            }
        }
    };
    layout::page_with_heading(&ctx.chrome(), lang.t(E::PLURAL), heading, body)
}

/// A record's page of `E`, titled with its label, with edit/delete buttons for those who may edit.
pub fn detail_page<E: InventoryPage>(
    ctx: &Ctx,
    id: Id,
    record: &E::Record,
    body: Markup,
) -> Markup {
    let base = format!("{}/{id}", E::BASE);
    let heading = forms::detail_heading(ctx, E::label(record), &base, E::may_edit(ctx));
    layout::page_with_heading(&ctx.chrome(), E::label(record), heading, body)
}

/// The form of `E` titled `title`, posting to `action` (which is also where "Cancel" leads).
async fn form_page<E: InventoryPage>(
    state: &AppState,
    ctx: &Ctx,
    title: &str,
    action: &str,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let f = FieldCtx {
        lang: ctx.lang,
        values,
        errors,
    };
    let fields = E::fields(state, ctx, &f).await?;
    Ok(forms::form_page(
        &ctx.chrome(),
        title,
        action,
        action,
        fields,
    ))
}

fn new_title<E: InventoryPage>(ctx: &Ctx) -> String {
    format!("{} — {}", ctx.t(E::PLURAL), ctx.t(Msg::New))
}

fn edit_title<E: InventoryPage>(ctx: &Ctx, record: &E::Record) -> String {
    format!("{} — {}", E::label(record), ctx.t(Msg::Edit))
}

/// Parses and validates a submitted form; the input is returned even with errors so that the
/// caller decides whether to store it.
fn read_input<E: InventoryPage>(ctx: &Ctx, data: &FormData) -> (E::Input, Errors) {
    let mut errors = Errors::default();
    let input = E::parse(data, ctx.lang, &mut errors);
    // `validate` may normalise in place; only its verdict matters here, the store gets the input
    // as parsed (and validates it itself).
    errors.model_check(ctx.lang, E::validate(&mut input.clone()));
    (input, errors)
}

/// `GET BASE/new`.
pub async fn new_form<E: InventoryPage>(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    ctx.require(E::may_edit(&ctx))?;
    let title = new_title::<E>(&ctx);
    form_page::<E>(
        &state,
        &ctx,
        &title,
        E::BASE,
        &E::new_values(&params),
        &Errors::default(),
    )
    .await
}

/// `POST BASE`.
pub async fn create<E: InventoryPage>(
    State(state): State<AppState>,
    CsrfForm { ctx, form: data }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(E::may_edit(&ctx))?;
    let (input, mut errors) = read_input::<E>(&ctx, &data);
    if errors.is_empty() {
        match E::create(&state, &ctx.actor(), input).await {
            Ok(id) => return Ok(see_other(&format!("{}/{id}", E::BASE))),
            Err(err) => errors.store_error(ctx.lang, err)?,
        }
    }
    let title = new_title::<E>(&ctx);
    Ok(forms::unprocessable(
        form_page::<E>(&state, &ctx, &title, E::BASE, &data, &errors).await?,
    ))
}

/// `GET BASE/{id}/edit`.
pub async fn edit_form<E: InventoryPage>(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let record = E::get(&state, &ctx.scope(), id).await?;
    ctx.require(E::may_edit(&ctx))?;
    let title = edit_title::<E>(&ctx, &record);
    let base = format!("{}/{id}", E::BASE);
    form_page::<E>(
        &state,
        &ctx,
        &title,
        &base,
        &E::values(&E::Input::from(&record)),
        &Errors::default(),
    )
    .await
}

/// `POST BASE/{id}`.
pub async fn update<E: InventoryPage>(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form: data }: CsrfForm,
) -> Result<Response, PageError> {
    let record = E::get(&state, &ctx.scope(), id).await?;
    ctx.require(E::may_edit(&ctx))?;
    let (input, mut errors) = read_input::<E>(&ctx, &data);
    let base = format!("{}/{id}", E::BASE);
    if errors.is_empty() {
        match E::update(&state, &ctx.actor(), id, input).await {
            Ok(()) => return Ok(see_other(&base)),
            Err(err) => errors.store_error(ctx.lang, err)?,
        }
    }
    let title = edit_title::<E>(&ctx, &record);
    Ok(forms::unprocessable(
        form_page::<E>(&state, &ctx, &title, &base, &data, &errors).await?,
    ))
}

/// `POST BASE/{id}/delete`.
pub async fn delete<E: InventoryPage>(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let record = E::get(&state, &ctx.scope(), id).await?;
    ctx.require(E::may_edit(&ctx))?;
    E::delete(&state, &ctx.actor(), id)
        .await
        .map_err(forms::delete_refused)?;
    Ok(see_other(&E::after_delete(&record)))
}

/// The routes of a family: its own listing and detail pages, and the shared handlers above.
pub fn routes<E: InventoryPage>(
    list: MethodRouter<AppState>,
    show: MethodRouter<AppState>,
) -> Router<AppState> {
    let base = E::BASE;
    Router::new()
        .route(base, list.post(create::<E>))
        .route(&format!("{base}/new"), get(new_form::<E>))
        .route(&format!("{base}/{{id}}"), show.post(update::<E>))
        .route(&format!("{base}/{{id}}/edit"), get(edit_form::<E>))
        .route(&format!("{base}/{{id}}/delete"), post(delete::<E>))
}
