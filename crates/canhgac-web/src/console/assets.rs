//! Assets of information systems: list, detail (with the asset's monitors), create/edit/delete.

use axum::extract::{Path, Query, State};
use canhgac_model::{Actor, Asset, AssetInput, AssetKind, FieldError, Id, Scope, Software};
use canhgac_store::{AssetFilter, Result as StoreResult};
use maud::{html, Markup};

use super::crud::{self, InventoryPage};
use super::error::PageError;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{self, Lang, Msg};
use super::session::Ctx;
use super::units::unit_names;
use crate::AppState;

fn kind_options(lang: Lang) -> Vec<(String, String)> {
    AssetKind::ALL
        .iter()
        .map(|k| (k.code().to_string(), i18n::asset_kind(lang, *k).to_string()))
        .collect()
}

/// A table of assets.
pub fn table(lang: Lang, assets: &[Asset]) -> Markup {
    html! {
        @if assets.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data {
                thead { tr {
                    th { (lang.t(Msg::Value)) } th { (lang.t(Msg::Kind)) } th { (lang.t(Msg::HostName)) }
                    th { (lang.t(Msg::Os)) } th { (lang.t(Msg::SoftwareShort)) }
                } }
                tbody { @for a in assets { tr {
                    td { a href={ "/assets/" (a.id) } { code { (a.value) } } }
                    td { (i18n::asset_kind(lang, a.kind)) }
                    td { (forms::or_dash(a.name.as_deref())) }
                    td { (forms::or_dash(a.os.as_deref())) " " (a.os_version.as_deref().unwrap_or_default()) }
                    td { (a.software.iter().map(|s| match &s.version { Some(v) => format!("{} {v}", s.name), None => s.name.clone() }).collect::<Vec<_>>().join(", ")) }
                } } }
            }
        }
    }
}

/// `GET /assets?system_id=&unit_id=&q=&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let filter = AssetFilter {
        system_id: forms::param_id(&params, "system_id"),
        unit_id: forms::param_id(&params, "unit_id"),
    };
    let page = state
        .store
        .list_assets(&scope, &filter, &forms::page_request(&params))
        .await?;
    let filtered_system = match filter.system_id {
        Some(id) => state.store.get_system(&scope, id).await.ok(),
        None => None,
    };
    let filtered_unit = match filter.unit_id {
        Some(id) => unit_names(&state, &scope, &[id]).await?.remove(&id),
        None => None,
    };
    let body = html! {
        (forms::search_form(lang, "/assets", &params, html! {
            @if let Some(system) = &filtered_system {
                (forms::filter_chip(lang, "/assets", lang.t(Msg::System), "system_id", (system.id, &system.name), &params))
            }
            @if let (Some(id), Some(name)) = (filter.unit_id, &filtered_unit) {
                (forms::filter_chip(lang, "/assets", lang.t(Msg::Unit), "unit_id", (id, name), &params))
            }
        }))
        (table(lang, &page.items))
        (forms::pager(lang, "/assets", &params, &page))
    };
    Ok(crud::list_page::<Assets>(&ctx, body))
}

fn software_lines(software: &[Software]) -> String {
    software
        .iter()
        .map(|s| {
            let mut line = s.name.clone();
            if s.version.is_some() || s.cpe.is_some() {
                line.push_str(" | ");
                line.push_str(s.version.as_deref().unwrap_or_default());
            }
            if let Some(cpe) = &s.cpe {
                line.push_str(" | ");
                line.push_str(cpe);
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_software(text: &str) -> Vec<Software> {
    let blank = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut parts = line.split('|');
            Software {
                name: parts.next().unwrap_or_default().trim().to_string(),
                version: blank(parts.next()),
                cpe: blank(parts.next()),
            }
        })
        .collect()
}

/// `GET /assets/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let asset = state.store.get_asset(&scope, id).await?;
    let system = state.store.get_system(&scope, asset.system_id).await?;
    let names = unit_names(&state, &scope, &[system.owner_unit_id]).await?;
    let monitors = super::monitors::asset_section(&state, &ctx, id).await?;
    let body = html! {
        (forms::details(&[
            (lang.t(Msg::System), html! { a href={ "/systems/" (system.id) } { (system.name) } }),
            (lang.t(Msg::OwnerUnit), super::units::unit_link(lang, &names, system.owner_unit_id)),
            (lang.t(Msg::Kind), html! { (i18n::asset_kind(lang, asset.kind)) }),
            (lang.t(Msg::Value), html! { code { (asset.value) } }),
            (lang.t(Msg::HostName), html! { (forms::or_dash(asset.name.as_deref())) }),
            (lang.t(Msg::Os), html! { (forms::or_dash(asset.os.as_deref())) " " (asset.os_version.as_deref().unwrap_or_default()) }),
            (lang.t(Msg::SoftwareShort), html! {
                @if asset.software.is_empty() { "—" } @else {
                    ul.plain { @for s in &asset.software { li {
                        (s.name) @if let Some(v) = &s.version { " " (v) }
                        @if let Some(cpe) = &s.cpe { " " code.muted { (cpe) } }
                    } } }
                }
            }),
            (lang.t(Msg::Note), html! { (forms::or_dash(asset.note.as_deref())) }),
            (lang.t(Msg::UpdatedAt), html! { (ctx.time(asset.updated_at)) }),
        ]))
        (monitors)
    };
    Ok(crud::detail_page::<Assets>(&ctx, id, &asset, body))
}

/// Assets in the shared create/edit/delete handlers.
pub struct Assets;

impl InventoryPage for Assets {
    type Record = Asset;
    type Input = AssetInput;
    const BASE: &'static str = "/assets";
    const PLURAL: Msg = Msg::Assets;

    async fn get(state: &AppState, scope: &Scope, id: Id) -> StoreResult<Asset> {
        state.store.get_asset(scope, id).await
    }

    async fn create(state: &AppState, actor: &Actor, input: AssetInput) -> StoreResult<Id> {
        Ok(state.store.create_asset(actor, input).await?.id)
    }

    async fn update(state: &AppState, actor: &Actor, id: Id, input: AssetInput) -> StoreResult<()> {
        state.store.update_asset(actor, id, input).await.map(drop)
    }

    async fn delete(state: &AppState, actor: &Actor, id: Id) -> StoreResult<()> {
        state.store.delete_asset(actor, id).await
    }

    fn label(record: &Asset) -> &str {
        &record.value
    }

    fn after_delete(record: &Asset) -> String {
        format!("/systems/{}", record.system_id)
    }

    fn new_values(params: &Params) -> FormData {
        let mut input = AssetInput::new(AssetKind::Ip, "");
        input.system_id = forms::param_id(params, "system_id").unwrap_or(0);
        Self::values(&input)
    }

    fn values(input: &AssetInput) -> FormData {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        FormData::from_pairs(vec![
            (
                "system_id".into(),
                if input.system_id == 0 {
                    String::new()
                } else {
                    input.system_id.to_string()
                },
            ),
            ("kind".into(), input.kind.code().into()),
            ("value".into(), input.value.clone()),
            ("name".into(), opt(&input.name)),
            ("os".into(), opt(&input.os)),
            ("os_version".into(), opt(&input.os_version)),
            ("software".into(), software_lines(&input.software)),
            ("note".into(), opt(&input.note)),
        ])
    }

    fn parse(form: &FormData, lang: Lang, errors: &mut Errors) -> AssetInput {
        AssetInput {
            system_id: forms::req_id(form, "system_id", lang, errors),
            kind: forms::req_enum(form, "kind", lang, errors).unwrap_or(AssetKind::Ip),
            value: form.get("value").to_string(),
            name: forms::opt_text(form, "name"),
            os: forms::opt_text(form, "os"),
            os_version: forms::opt_text(form, "os_version"),
            software: parse_software(form.get("software")),
            note: forms::opt_text(form, "note"),
        }
    }

    fn validate(input: &mut AssetInput) -> Result<(), FieldError> {
        input.validate()
    }

    async fn fields(state: &AppState, ctx: &Ctx, f: &FieldCtx<'_>) -> Result<Markup, PageError> {
        let lang = ctx.lang;
        let systems: Vec<(String, String)> = state
            .store
            .system_names(&ctx.scope())
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect();
        Ok(html! {
            (f.summary(&["system_id", "kind", "value", "name", "os", "os_version", "software", "note"]))
            (f.select(lang.t(Msg::System), "system_id", &systems, Some(""), true))
            div.field-row {
                (f.select(lang.t(Msg::Kind), "kind", &kind_options(lang), None, true))
                (f.input(lang.t(Msg::Value), "value", "text", true))
            }
            (f.input(lang.t(Msg::HostName), "name", "text", false))
            div.field-row {
                (f.input(lang.t(Msg::Os), "os", "text", false))
                (f.input(lang.t(Msg::OsVersion), "os_version", "text", false))
            }
            (f.textarea(lang.t(Msg::Software), "software"))
            (f.textarea(lang.t(Msg::Note), "note"))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn software_lines_round_trip() {
        let software = parse_software(
            "Zimbra | 8.8.15 | cpe:2.3:a:zimbra:collaboration:8.8.15:*:*:*:*:*:*:*\nnginx\n\n",
        );
        assert_eq!(software.len(), 2);
        assert_eq!(software[0].version.as_deref(), Some("8.8.15"));
        assert_eq!(software[1].name, "nginx");
        assert_eq!(software[1].version, None);
        assert_eq!(parse_software(&software_lines(&software)), software);
    }
}
