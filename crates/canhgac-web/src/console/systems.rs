//! Information systems: filtered list, detail with assets, create/edit/delete.

use axum::extract::{Path, Query, State};
use canhgac_model::{
    Actor, FieldError, Id, InformationClass, InformationSystem, PageRequest, Scope, SystemInput,
    SystemKind,
};
use canhgac_store::{AssetFilter, Result as StoreResult, SystemFilter};
use maud::{html, Markup};

use super::crud::{self, InventoryPage};
use super::error::PageError;
use super::format;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{self, Lang, Msg};
use super::session::Ctx;
use super::units::{unit_link, unit_names, unit_options_keeping};
use crate::AppState;

fn kind_options(lang: Lang) -> Vec<(String, String)> {
    SystemKind::ALL
        .iter()
        .map(|k| {
            (
                k.code().to_string(),
                i18n::system_kind(lang, *k).to_string(),
            )
        })
        .collect()
}

fn class_options(lang: Lang) -> Vec<(String, String)> {
    InformationClass::ALL
        .iter()
        .map(|c| {
            (
                c.code().to_string(),
                i18n::information_class(lang, *c).to_string(),
            )
        })
        .collect()
}

/// `GET /systems?unit_id=&kind=&q=&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let filter = SystemFilter {
        unit_id: forms::param_id(&params, "unit_id"),
        kind: params.get("kind").and_then(|k| SystemKind::from_code(k)),
    };
    let page = state
        .store
        .list_systems(&scope, &filter, &forms::page_request(&params))
        .await?;
    // Names of the units on this page (and of the filter's unit), not of every unit in scope.
    let mut ids: Vec<Id> = page
        .items
        .iter()
        .flat_map(|s| std::iter::once(s.owner_unit_id).chain(s.operator_unit_id))
        .collect();
    ids.extend(filter.unit_id);
    let names = unit_names(&state, &scope, &ids).await?;
    let filters = forms::search_form(
        lang,
        "/systems",
        &params,
        html! {
            @if let Some((id, name)) = filter.unit_id.and_then(|id| names.get(&id).map(|n| (id, n))) {
                (forms::filter_chip(lang, "/systems", lang.t(Msg::Unit), "unit_id", (id, name), &params))
            }
            (forms::filter_select(lang, lang.t(Msg::Kind), "kind", &kind_options(lang), &params))
        },
    );
    let body = html! {
        (filters)
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data {
                thead { tr {
                    th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Kind)) } th { (lang.t(Msg::OwnerUnit)) }
                    th { (lang.t(Msg::OperatorUnit)) } th.num { (lang.t(Msg::SecurityLevel)) }
                } }
                tbody { @for s in &page.items { tr {
                    td { a href={ "/systems/" (s.id) } { (s.name) } }
                    td { (i18n::system_kind(lang, s.kind)) }
                    td { (unit_link(lang, &names, s.owner_unit_id)) }
                    td { @if let Some(op) = s.operator_unit_id { (unit_link(lang, &names, op)) } @else { "—" } }
                    td.num { (s.security_level.map(|l| l.to_string()).unwrap_or_else(|| "—".into())) }
                } } }
            }
        }
        (forms::pager(lang, "/systems", &params, &page))
    };
    Ok(crud::list_page::<Systems>(&ctx, body))
}

const FIELDS: &[&str] = &[
    "code",
    "name",
    "kind",
    "owner_unit_id",
    "operator_unit_id",
    "security_level",
    "level_decision_number",
    "level_decision_date",
    "information_class",
    "purpose",
    "services",
    "security_controls",
    "isp",
    "security_provider",
];

/// `GET /systems/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let system = state.store.get_system(&scope, id).await?;
    let ids: Vec<Id> = std::iter::once(system.owner_unit_id)
        .chain(system.operator_unit_id)
        .collect();
    let names = unit_names(&state, &scope, &ids).await?;
    let assets = state
        .store
        .list_assets(
            &scope,
            &AssetFilter {
                system_id: Some(id),
                unit_id: None,
            },
            &PageRequest::new(1, PageRequest::MAX_PER_PAGE),
        )
        .await?;
    let can_edit = ctx.role().can_edit_inventory();
    let redundancy = super::redundancy::section(&state, &ctx, &system).await?;
    // The service's availability: its monitors over 24 hours, 7 and 30 days (clause 3).
    let monitors = state
        .store
        .list_monitors(
            &scope,
            &canhgac_model::MonitorFilter {
                system_id: Some(id),
                ..canhgac_model::MonitorFilter::default()
            },
            &PageRequest::new(1, PageRequest::MAX_PER_PAGE),
        )
        .await?;
    let monitor_ids: Vec<Id> = monitors.items.iter().map(|m| m.id).collect();
    let availability = super::monitors::availability_of(&state, &ctx, &monitor_ids).await?;
    let list = |items: &[String]| {
        html! {
            @if items.is_empty() { "—" } @else { ul.plain { @for item in items { li { (item) } } } }
        }
    };
    let body = html! {
        (forms::details(&[
            (lang.t(Msg::Code), html! { code { (system.code) } }),
            (lang.t(Msg::Kind), html! { (i18n::system_kind(lang, system.kind)) }),
            (lang.t(Msg::OwnerUnit), unit_link(lang, &names, system.owner_unit_id)),
            (lang.t(Msg::OperatorUnit), html! { @if let Some(op) = system.operator_unit_id { (unit_link(lang, &names, op)) } @else { "—" } }),
            (lang.t(Msg::SecurityLevel), html! { (system.security_level.map(|l| l.to_string()).unwrap_or_else(|| "—".into())) }),
            (lang.t(Msg::LevelDecisionNumber), html! { (forms::or_dash(system.level_decision_number.as_deref())) }),
            (lang.t(Msg::LevelDecisionDate), html! { (forms::or_dash(Some(&format::opt_date(system.level_decision_date)))) }),
            (lang.t(Msg::InformationClass), html! { (system.information_class.map_or("—", |c| i18n::information_class(lang, c))) }),
            (lang.t(Msg::Purpose), html! { (forms::or_dash(system.purpose.as_deref())) }),
            (lang.t(Msg::ServicesShort), list(&system.services)),
            (lang.t(Msg::SecurityControlsShort), list(&system.security_controls)),
            (lang.t(Msg::Isp), html! { (forms::or_dash(system.isp.as_deref())) }),
            (lang.t(Msg::SecurityProvider), html! { (forms::or_dash(system.security_provider.as_deref())) }),
            (lang.t(Msg::UpdatedAt), html! { (ctx.time(system.updated_at)) }),
        ]))
        section.card {
            div.section-heading {
                h2 { (lang.t(Msg::Assets)) " (" (assets.total) ")" }
                div.actions {
                    a.button href={ "/assets?system_id=" (id) } { (lang.t(Msg::ViewAllAssetsOfSystem)) }
                    @if can_edit { " " a.button href={ "/assets/new?system_id=" (id) } { (lang.t(Msg::AddAsset)) } }
                }
            }
            (super::assets::table(lang, &assets.items))
        }
        section.card #availability {
            div.section-heading {
                h2 { (lang.pick("Giám sát và tính sẵn sàng", "Monitors and availability")) " (" (monitors.total) ")" }
                div.actions { a.button href={ "/monitors?system_id=" (id) } { (lang.pick("Xem trên trang giám sát", "Open in monitors")) } }
            }
            @if monitors.items.is_empty() {
                p.empty { (lang.pick("Chưa có giám sát nào cho các tài sản của hệ thống.", "No monitor watches this system's assets yet.")) }
            } @else {
                (super::monitors::table(&ctx, &monitors.items, &availability))
            }
        }
        (redundancy)
    };
    Ok(crud::detail_page::<Systems>(&ctx, id, &system, body))
}

/// Information systems in the shared create/edit/delete handlers.
pub struct Systems;

impl InventoryPage for Systems {
    type Record = InformationSystem;
    type Input = SystemInput;
    const BASE: &'static str = "/systems";
    const PLURAL: Msg = Msg::Systems;

    async fn get(state: &AppState, scope: &Scope, id: Id) -> StoreResult<InformationSystem> {
        state.store.get_system(scope, id).await
    }

    async fn create(state: &AppState, actor: &Actor, input: SystemInput) -> StoreResult<Id> {
        Ok(state.store.create_system(actor, input).await?.id)
    }

    async fn update(
        state: &AppState,
        actor: &Actor,
        id: Id,
        input: SystemInput,
    ) -> StoreResult<()> {
        state.store.update_system(actor, id, input).await.map(drop)
    }

    async fn delete(state: &AppState, actor: &Actor, id: Id) -> StoreResult<()> {
        state.store.delete_system(actor, id).await
    }

    fn label(record: &InformationSystem) -> &str {
        &record.name
    }

    fn after_delete(_record: &InformationSystem) -> String {
        "/systems".into()
    }

    fn new_values(params: &Params) -> FormData {
        Self::values(&SystemInput::new(
            "",
            SystemKind::Portal,
            forms::param_id(params, "owner_unit_id").unwrap_or(0),
        ))
    }

    fn values(input: &SystemInput) -> FormData {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        FormData::from_pairs(vec![
            ("code".into(), input.code.clone()),
            ("name".into(), input.name.clone()),
            ("kind".into(), input.kind.code().into()),
            (
                "owner_unit_id".into(),
                if input.owner_unit_id == 0 {
                    String::new()
                } else {
                    input.owner_unit_id.to_string()
                },
            ),
            (
                "operator_unit_id".into(),
                input
                    .operator_unit_id
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ),
            (
                "security_level".into(),
                input
                    .security_level
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
            ),
            (
                "level_decision_number".into(),
                opt(&input.level_decision_number),
            ),
            (
                "level_decision_date".into(),
                format::opt_date(input.level_decision_date),
            ),
            (
                "information_class".into(),
                input
                    .information_class
                    .map(|c| c.code().to_string())
                    .unwrap_or_default(),
            ),
            ("purpose".into(), opt(&input.purpose)),
            ("services".into(), input.services.join("\n")),
            (
                "security_controls".into(),
                input.security_controls.join("\n"),
            ),
            ("isp".into(), opt(&input.isp)),
            ("security_provider".into(), opt(&input.security_provider)),
        ])
    }

    fn parse(form: &FormData, lang: Lang, errors: &mut Errors) -> SystemInput {
        SystemInput {
            code: form.get("code").to_string(),
            name: form.get("name").to_string(),
            kind: forms::req_enum(form, "kind", lang, errors).unwrap_or(SystemKind::Other),
            owner_unit_id: forms::req_id(form, "owner_unit_id", lang, errors),
            operator_unit_id: forms::opt_id(form, "operator_unit_id", lang, errors),
            security_level: forms::opt_u8(form, "security_level", lang, errors),
            level_decision_number: forms::opt_text(form, "level_decision_number"),
            level_decision_date: forms::opt_date(form, "level_decision_date", lang, errors),
            information_class: forms::opt_enum(form, "information_class", lang, errors),
            purpose: forms::opt_text(form, "purpose"),
            services: forms::lines(form, "services"),
            security_controls: forms::lines(form, "security_controls"),
            isp: forms::opt_text(form, "isp"),
            security_provider: forms::opt_text(form, "security_provider"),
        }
    }

    fn validate(input: &mut SystemInput) -> Result<(), FieldError> {
        input.validate()
    }

    async fn fields(state: &AppState, ctx: &Ctx, f: &FieldCtx<'_>) -> Result<Markup, PageError> {
        let lang = ctx.lang;
        let units = state.store.unit_briefs(&ctx.scope()).await?;
        let levels: Vec<(String, String)> =
            (1..=5).map(|l| (l.to_string(), l.to_string())).collect();
        Ok(html! {
            (f.summary(FIELDS))
            (f.input(lang.t(Msg::Name), "name", "text", true))
            (f.input(lang.t(Msg::Code), "code", "text", false))
            (f.select(lang.t(Msg::Kind), "kind", &kind_options(lang), None, true))
            div.field-row {
                (f.select(lang.t(Msg::OwnerUnit), "owner_unit_id", &unit_options_keeping(lang, &units, f.values, "owner_unit_id"), Some(""), true))
                (f.select(lang.t(Msg::OperatorUnit), "operator_unit_id", &unit_options_keeping(lang, &units, f.values, "operator_unit_id"), Some(lang.t(Msg::None)), false))
            }
            div.field-row {
                (f.select(lang.t(Msg::SecurityLevel), "security_level", &levels, Some("—"), false))
                (f.input(lang.t(Msg::LevelDecisionNumber), "level_decision_number", "text", false))
                (f.date(lang.t(Msg::LevelDecisionDate), "level_decision_date"))
            }
            (f.select(lang.t(Msg::InformationClass), "information_class", &class_options(lang), Some("—"), false))
            (f.textarea(lang.t(Msg::Purpose), "purpose"))
            div.field-row {
                (f.textarea(lang.t(Msg::Services), "services"))
                (f.textarea(lang.t(Msg::SecurityControls), "security_controls"))
            }
            div.field-row {
                (f.input(lang.t(Msg::Isp), "isp", "text", false))
                (f.input(lang.t(Msg::SecurityProvider), "security_provider", "text", false))
            }
        })
    }
}
