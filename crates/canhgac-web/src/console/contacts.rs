//! Contacts (đầu mối liên hệ) of units: list, detail, create/edit/delete.

use axum::extract::{Path, Query, State};
use canhgac_model::{Actor, Contact, ContactInput, FieldError, Id, Scope};
use canhgac_store::{ContactFilter, Result as StoreResult};
use maud::{html, Markup};

use super::crud::{self, InventoryPage};
use super::error::PageError;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{Lang, Msg};
use super::session::Ctx;
use super::units::{unit_link, unit_names, unit_options_keeping};
use crate::AppState;

/// `GET /contacts?unit_id=&q=&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let filter = ContactFilter {
        unit_id: forms::param_id(&params, "unit_id"),
    };
    let page = state
        .store
        .list_contacts(&scope, &filter, &forms::page_request(&params))
        .await?;
    let mut ids: Vec<Id> = page.items.iter().map(|c| c.unit_id).collect();
    ids.extend(filter.unit_id);
    let names = unit_names(&state, &scope, &ids).await?;
    let body = html! {
        (forms::search_form(lang, "/contacts", &params, html! {
            @if let Some((id, name)) = filter.unit_id.and_then(|id| names.get(&id).map(|n| (id, n))) {
                (forms::filter_chip(lang, "/contacts", lang.t(Msg::Unit), "unit_id", (id, name), &params))
            }
        }))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data {
                thead { tr {
                    th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Unit)) } th { (lang.t(Msg::Position)) }
                    th { (lang.t(Msg::Responsibility)) } th { (lang.t(Msg::Phone)) } th { (lang.t(Msg::Email)) }
                } }
                tbody { @for c in &page.items { tr {
                    td { a href={ "/contacts/" (c.id) } { (c.name) } }
                    td { (unit_link(lang, &names, c.unit_id)) }
                    td { (forms::or_dash(c.position.as_deref())) }
                    td { (forms::or_dash(c.responsibility.as_deref())) }
                    td { (forms::or_dash(c.phone.as_deref())) }
                    td { (forms::or_dash(c.email.as_deref())) }
                } } }
            }
        }
        (forms::pager(lang, "/contacts", &params, &page))
    };
    Ok(crud::list_page::<Contacts>(&ctx, body))
}

/// `GET /contacts/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let contact = state.store.get_contact(&scope, id).await?;
    let names = unit_names(&state, &scope, &[contact.unit_id]).await?;
    let body = forms::details(&[
        (lang.t(Msg::Unit), unit_link(lang, &names, contact.unit_id)),
        (
            lang.t(Msg::Position),
            html! { (forms::or_dash(contact.position.as_deref())) },
        ),
        (
            lang.t(Msg::Responsibility),
            html! { (forms::or_dash(contact.responsibility.as_deref())) },
        ),
        (
            lang.t(Msg::Phone),
            html! {
                @if let Some(phone) = &contact.phone { a href={ "tel:" (phone.replace(' ', "")) } { (phone) } } @else { "—" }
            },
        ),
        (
            lang.t(Msg::Email),
            html! {
                @if let Some(email) = &contact.email { a href={ "mailto:" (email) } { (email) } } @else { "—" }
            },
        ),
        (
            lang.t(Msg::UpdatedAt),
            html! { (ctx.time(contact.updated_at)) },
        ),
    ]);
    Ok(crud::detail_page::<Contacts>(&ctx, id, &contact, body))
}

/// Contacts in the shared create/edit/delete handlers.
pub struct Contacts;

impl InventoryPage for Contacts {
    type Record = Contact;
    type Input = ContactInput;
    const BASE: &'static str = "/contacts";
    const PLURAL: Msg = Msg::Contacts;

    async fn get(state: &AppState, scope: &Scope, id: Id) -> StoreResult<Contact> {
        state.store.get_contact(scope, id).await
    }

    async fn create(state: &AppState, actor: &Actor, input: ContactInput) -> StoreResult<Id> {
        Ok(state.store.create_contact(actor, input).await?.id)
    }

    async fn update(
        state: &AppState,
        actor: &Actor,
        id: Id,
        input: ContactInput,
    ) -> StoreResult<()> {
        state.store.update_contact(actor, id, input).await.map(drop)
    }

    async fn delete(state: &AppState, actor: &Actor, id: Id) -> StoreResult<()> {
        state.store.delete_contact(actor, id).await
    }

    fn label(record: &Contact) -> &str {
        &record.name
    }

    fn after_delete(record: &Contact) -> String {
        format!("/units/{}", record.unit_id)
    }

    fn new_values(params: &Params) -> FormData {
        Self::values(&ContactInput {
            unit_id: forms::param_id(params, "unit_id").unwrap_or(0),
            name: String::new(),
            position: None,
            responsibility: None,
            phone: None,
            email: None,
        })
    }

    fn values(input: &ContactInput) -> FormData {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        FormData::from_pairs(vec![
            (
                "unit_id".into(),
                if input.unit_id == 0 {
                    String::new()
                } else {
                    input.unit_id.to_string()
                },
            ),
            ("name".into(), input.name.clone()),
            ("position".into(), opt(&input.position)),
            ("responsibility".into(), opt(&input.responsibility)),
            ("phone".into(), opt(&input.phone)),
            ("email".into(), opt(&input.email)),
        ])
    }

    fn parse(form: &FormData, lang: Lang, errors: &mut Errors) -> ContactInput {
        ContactInput {
            unit_id: forms::req_id(form, "unit_id", lang, errors),
            name: form.get("name").to_string(),
            position: forms::opt_text(form, "position"),
            responsibility: forms::opt_text(form, "responsibility"),
            phone: forms::opt_text(form, "phone"),
            email: forms::opt_text(form, "email"),
        }
    }

    fn validate(input: &mut ContactInput) -> Result<(), FieldError> {
        input.validate()
    }

    async fn fields(state: &AppState, ctx: &Ctx, f: &FieldCtx<'_>) -> Result<Markup, PageError> {
        let lang = ctx.lang;
        let units = state.store.unit_briefs(&ctx.scope()).await?;
        Ok(html! {
            (f.summary(&["unit_id", "name", "position", "responsibility", "phone", "email"]))
            (f.select(lang.t(Msg::Unit), "unit_id", &unit_options_keeping(lang, &units, f.values, "unit_id"), Some(""), true))
            (f.input(lang.t(Msg::Name), "name", "text", true))
            div.field-row {
                (f.input(lang.t(Msg::Position), "position", "text", false))
                (f.input(lang.t(Msg::Responsibility), "responsibility", "text", false))
            }
            div.field-row {
                (f.input(lang.t(Msg::Phone), "phone", "tel", false))
                (f.input(lang.t(Msg::Email), "email", "email", false))
            }
        })
    }
}
