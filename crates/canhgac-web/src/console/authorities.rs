//! Authorities (cơ quan chức năng): shared by every unit, with effective dates. Everyone reads
//! them; only admins and analysts change them.

use axum::extract::{Path, Query, State};
use canhgac_model::{Actor, Authority, AuthorityInput, Date, FieldError, Id, Scope};
use canhgac_store::Result as StoreResult;
use maud::{html, Markup};

use super::crud::{self, InventoryPage};
use super::error::PageError;
use super::format;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{Lang, Msg};
use super::session::Ctx;
use crate::AppState;

fn status(lang: Lang, authority: &Authority, today: Date) -> Markup {
    let (class, msg) = if authority.valid_from.is_some_and(|from| today < from) {
        ("status-future", Msg::NotYet)
    } else if authority.valid_to.is_some_and(|to| to < today) {
        ("status-expired", Msg::Expired)
    } else {
        ("status-active", Msg::InForce)
    };
    html! { span.badge class=(class) { (lang.t(msg)) } }
}

fn period(authority: &Authority) -> String {
    match (authority.valid_from, authority.valid_to) {
        (None, None) => "—".into(),
        (from, to) => format!(
            "{} – {}",
            from.map(format::date).unwrap_or_else(|| "…".into()),
            to.map(format::date).unwrap_or_else(|| "…".into())
        ),
    }
}

/// `GET /authorities?q=&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let page = state
        .store
        .list_authorities(&forms::page_request(&params))
        .await?;
    let today = format::today(&ctx.tz);
    let body = html! {
        (forms::search_form(lang, "/authorities", &params, html! {}))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data {
                thead { tr {
                    th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Code)) } th { (lang.t(Msg::Email)) }
                    th { (lang.t(Msg::ValidFrom)) " – " (lang.t(Msg::ValidTo)) } th { (lang.t(Msg::Status)) }
                } }
                tbody { @for a in &page.items { tr {
                    td { a href={ "/authorities/" (a.id) } { (a.name) } }
                    td { code { (a.code) } }
                    td { (a.emails.join(", ")) }
                    td { (period(a)) }
                    td { (status(lang, a, today)) }
                } } }
            }
        }
        (forms::pager(lang, "/authorities", &params, &page))
    };
    Ok(crud::list_page::<Authorities>(&ctx, body))
}

/// `GET /authorities/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let a = state.store.get_authority(id).await?;
    let today = format::today(&ctx.tz);
    let body = forms::details(&[
        (lang.t(Msg::Code), html! { code { (a.code) } }),
        (lang.t(Msg::Status), status(lang, &a, today)),
        (
            lang.t(Msg::ValidFrom),
            html! { (forms::or_dash(Some(&format::opt_date(a.valid_from)))) },
        ),
        (
            lang.t(Msg::ValidTo),
            html! { (forms::or_dash(Some(&format::opt_date(a.valid_to)))) },
        ),
        (
            lang.t(Msg::Address),
            html! { (forms::or_dash(a.address.as_deref())) },
        ),
        (
            lang.t(Msg::Phone),
            html! { @if a.phones.is_empty() { "—" } @else { (a.phones.join(", ")) } },
        ),
        (
            lang.t(Msg::Email),
            html! {
                @if a.emails.is_empty() { "—" } @else {
                    @for (i, email) in a.emails.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href={ "mailto:" (email) } { (email) }
                    }
                }
            },
        ),
        (
            lang.t(Msg::Note),
            html! { (forms::or_dash(a.note.as_deref())) },
        ),
        (lang.t(Msg::UpdatedAt), html! { (ctx.time(a.updated_at)) }),
    ]);
    Ok(crud::detail_page::<Authorities>(&ctx, id, &a, body))
}

/// Authorities in the shared create/edit/delete handlers; they are not unit-scoped.
pub struct Authorities;

impl InventoryPage for Authorities {
    type Record = Authority;
    type Input = AuthorityInput;
    const BASE: &'static str = "/authorities";
    const PLURAL: Msg = Msg::Authorities;

    fn may_edit(ctx: &Ctx) -> bool {
        ctx.role().can_edit_authorities()
    }

    async fn get(state: &AppState, _scope: &Scope, id: Id) -> StoreResult<Authority> {
        state.store.get_authority(id).await
    }

    async fn create(state: &AppState, actor: &Actor, input: AuthorityInput) -> StoreResult<Id> {
        Ok(state.store.create_authority(actor, input).await?.id)
    }

    async fn update(
        state: &AppState,
        actor: &Actor,
        id: Id,
        input: AuthorityInput,
    ) -> StoreResult<()> {
        state
            .store
            .update_authority(actor, id, input)
            .await
            .map(drop)
    }

    async fn delete(state: &AppState, actor: &Actor, id: Id) -> StoreResult<()> {
        state.store.delete_authority(actor, id).await
    }

    fn label(record: &Authority) -> &str {
        &record.name
    }

    fn after_delete(_record: &Authority) -> String {
        "/authorities".into()
    }

    fn new_values(_params: &Params) -> FormData {
        FormData::default()
    }

    fn values(input: &AuthorityInput) -> FormData {
        FormData::from_pairs(vec![
            ("code".into(), input.code.clone()),
            ("name".into(), input.name.clone()),
            ("address".into(), input.address.clone().unwrap_or_default()),
            ("phones".into(), input.phones.join("\n")),
            ("emails".into(), input.emails.join("\n")),
            ("valid_from".into(), format::opt_date(input.valid_from)),
            ("valid_to".into(), format::opt_date(input.valid_to)),
            ("note".into(), input.note.clone().unwrap_or_default()),
        ])
    }

    fn parse(form: &FormData, lang: Lang, errors: &mut Errors) -> AuthorityInput {
        AuthorityInput {
            code: form.get("code").to_string(),
            name: form.get("name").to_string(),
            address: forms::opt_text(form, "address"),
            phones: forms::lines(form, "phones"),
            emails: forms::lines(form, "emails"),
            valid_from: forms::opt_date(form, "valid_from", lang, errors),
            valid_to: forms::opt_date(form, "valid_to", lang, errors),
            note: forms::opt_text(form, "note"),
        }
    }

    fn validate(input: &mut AuthorityInput) -> Result<(), FieldError> {
        input.validate()
    }

    async fn fields(_state: &AppState, ctx: &Ctx, f: &FieldCtx<'_>) -> Result<Markup, PageError> {
        let lang = ctx.lang;
        Ok(html! {
            (f.summary(&["code", "name", "address", "phones", "emails", "valid_from", "valid_to", "note"]))
            (f.input(lang.t(Msg::Name), "name", "text", true))
            (f.input(lang.t(Msg::Code), "code", "text", false))
            (f.input(lang.t(Msg::Address), "address", "text", false))
            div.field-row {
                (f.textarea(lang.t(Msg::Phones), "phones"))
                (f.textarea(lang.t(Msg::Emails), "emails"))
            }
            div.field-row {
                (f.date(lang.t(Msg::ValidFrom), "valid_from"))
                (f.date(lang.t(Msg::ValidTo), "valid_to"))
            }
            (f.textarea(lang.t(Msg::Note), "note"))
        })
    }
}
