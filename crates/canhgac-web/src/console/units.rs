//! Units: tree and searchable list, detail (systems, contacts, children), create/edit/delete.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, Query, State};
use canhgac_model::{Actor, FieldError, Id, PageRequest, Scope, Unit, UnitInput, UnitKind};
use canhgac_store::{ContactFilter, Result as StoreResult, SystemFilter, UnitBrief, UnitFilter};
use maud::{html, Markup};

use super::crud::{self, InventoryPage};
use super::error::PageError;
use super::format;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{self, Lang, Msg};
use super::layout;
use super::session::Ctx;
use crate::AppState;

/// Units in tree order (parents before children, siblings by name) with their depth. Units whose
/// parent is outside the list (a unit officer's roots) are roots.
pub fn tree_order(units: &[UnitBrief]) -> Vec<(usize, &UnitBrief)> {
    let children = children_of(units);
    let mut out = Vec::with_capacity(units.len());
    let mut stack: Vec<(usize, &UnitBrief)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|u| (0, *u)).collect())
        .unwrap_or_default();
    while let Some((depth, unit)) = stack.pop() {
        out.push((depth, unit));
        if let Some(kids) = children.get(&Some(unit.id)) {
            stack.extend(kids.iter().rev().map(|k| (depth + 1, *k)));
        }
    }
    out
}

/// Children of each unit in `units` (key `None`: the roots, i.e. units whose parent is not in
/// `units`), siblings by name.
fn children_of(units: &[UnitBrief]) -> HashMap<Option<Id>, Vec<&UnitBrief>> {
    let ids: HashSet<Id> = units.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<Id>, Vec<&UnitBrief>> = HashMap::new();
    for unit in units {
        let parent = unit.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(unit);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    children
}

/// `(id, indented name)` choices of every unit in `units`, in tree order.
pub fn unit_options(units: &[UnitBrief]) -> Vec<(String, String)> {
    tree_order(units)
        .into_iter()
        .map(|(depth, u)| {
            (
                u.id.to_string(),
                format!("{}{}", "\u{a0}\u{a0}".repeat(depth * 2), u.name),
            )
        })
        .collect()
}

/// [`unit_options`], plus the current value of `name` in `values` when it is outside the list
/// (a unit officer editing a record tied to a unit above their scope must be able to keep it).
pub fn unit_options_keeping(
    lang: Lang,
    units: &[UnitBrief],
    values: &FormData,
    name: &str,
) -> Vec<(String, String)> {
    let mut options = unit_options(units);
    let current = values.get(name).trim();
    if !current.is_empty() && !options.iter().any(|(id, _)| id == current) {
        options.push((current.to_string(), lang.t(Msg::OutsideScope).to_string()));
    }
    options
}

/// Names of the units among `ids` that the caller can see, by id: one light query, however many
/// units the scope holds.
pub async fn unit_names(
    state: &AppState,
    scope: &Scope,
    ids: &[Id],
) -> Result<HashMap<Id, String>, PageError> {
    Ok(state
        .store
        .unit_names(scope, ids)
        .await?
        .into_iter()
        .collect())
}

/// A link to a unit, or "(outside your units)" when the caller cannot see it.
pub fn unit_link(lang: Lang, names: &HashMap<Id, String>, id: Id) -> Markup {
    html! {
        @match names.get(&id) {
            Some(name) => a href={ "/units/" (id) } { (name) },
            None => span.muted { (lang.t(Msg::OutsideScope)) },
        }
    }
}

/// Above this many units under the shown roots, the tree shows two levels and links to expand
/// the rest, so the page stays light for a 1,000-unit province; below it, the whole tree.
const FULL_TREE_MAX: usize = 300;

/// The units page's tree: the whole subtree under `root` (or under the scope's roots) when it is
/// small, else two levels with an "expand" link on units whose children are hidden.
fn tree_view(lang: Lang, units: &[UnitBrief], root: Option<Id>) -> Markup {
    let children = children_of(units);
    let by_id: HashMap<Id, &UnitBrief> = units.iter().map(|u| (u.id, u)).collect();
    let root = root.and_then(|id| by_id.get(&id).copied());
    let tops: Vec<&UnitBrief> = match root {
        Some(unit) => vec![unit],
        None => children.get(&None).cloned().unwrap_or_default(),
    };
    // Size of the shown subtree (scope roots: every unit).
    let size = match root {
        None => units.len(),
        Some(unit) => {
            let mut n = 0;
            let mut stack = vec![unit.id];
            while let Some(id) = stack.pop() {
                n += 1;
                if let Some(kids) = children.get(&Some(id)) {
                    stack.extend(kids.iter().map(|k| k.id));
                }
            }
            n
        }
    };
    let max_depth = if size <= FULL_TREE_MAX { usize::MAX } else { 1 };
    let mut rows: Vec<(usize, &UnitBrief, usize)> = Vec::new();
    let mut stack: Vec<(usize, &UnitBrief)> = tops.iter().rev().map(|u| (0, *u)).collect();
    while let Some((depth, unit)) = stack.pop() {
        let kids = children.get(&Some(unit.id)).map_or(&[][..], Vec::as_slice);
        if depth < max_depth {
            rows.push((depth, unit, 0));
            stack.extend(kids.iter().rev().map(|k| (depth + 1, *k)));
        } else {
            rows.push((depth, unit, kids.len()));
        }
    }
    // The way up from `root`, within scope.
    let mut ancestors = Vec::new();
    if let Some(unit) = root {
        let mut parent = unit.parent_id.and_then(|p| by_id.get(&p).copied());
        while let Some(p) = parent {
            ancestors.push(p);
            parent = p.parent_id.and_then(|id| by_id.get(&id).copied());
        }
        ancestors.reverse();
    }
    html! {
        @if root.is_some() {
            nav.breadcrumbs {
                a href="/units" { (lang.t(Msg::WholeTree)) }
                @for a in &ancestors { " › " a href={ "/units?root=" (a.id) } { (a.name) } }
            }
        }
        @if max_depth != usize::MAX { p.hint { (lang.t(Msg::TreeLazyHint)) } }
        @if rows.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            ul.tree {
                @for (depth, unit, hidden) in rows {
                    li style={ "--depth:" (depth) } data-depth=(depth) {
                        a href={ "/units/" (unit.id) } { (unit.name) }
                        " " span.badge { (i18n::unit_kind(lang, unit.kind)) }
                        @if let Some(to) = unit.valid_to { " " span.muted { "→ " (format::date(to)) } }
                        @if hidden > 0 {
                            " " a.expand href={ "/units?root=" (unit.id) } data-hidden=(hidden) {
                                (lang.t(Msg::ShowSubtree)) " (" (hidden) ")"
                            }
                        }
                    }
                }
            }
        }
    }
}

fn kind_options(lang: Lang) -> Vec<(String, String)> {
    UnitKind::ALL
        .iter()
        .map(|k| (k.code().to_string(), i18n::unit_kind(lang, *k).to_string()))
        .collect()
}

/// `GET /units?root=`: the tree (under `root`, lazily when large), or a flat paginated list when
/// searching (`q`, `kind`, `view=list`).
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let kind = params.get("kind").and_then(|k| UnitKind::from_code(k));
    let flat = params.contains_key("q")
        || kind.is_some()
        || params.get("view").is_some_and(|v| v == "list");
    let filters = forms::search_form(
        lang,
        "/units",
        &params,
        html! {
            (forms::filter_select(lang, lang.t(Msg::Kind), "kind", &kind_options(lang), &params))
            input type="hidden" name="view" value="list";
        },
    );
    let content = if flat {
        let filter = UnitFilter {
            parent_id: forms::param_id(&params, "parent_id"),
            kind,
        };
        let page = state
            .store
            .list_units(&ctx.scope(), &filter, &forms::page_request(&params))
            .await?;
        html! {
            @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                table.data {
                    thead { tr { th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Code)) } th { (lang.t(Msg::Kind)) } th { (lang.t(Msg::ValidTo)) } } }
                    tbody {
                        @for unit in &page.items {
                            tr {
                                td { a href={ "/units/" (unit.id) } { (unit.name) } }
                                td { code { (unit.code) } }
                                td { (i18n::unit_kind(lang, unit.kind)) }
                                td { (format::opt_date(unit.valid_to)) }
                            }
                        }
                    }
                }
            }
            (forms::pager(lang, "/units", &params, &page))
        }
    } else {
        let units = state.store.unit_briefs(&ctx.scope()).await?;
        tree_view(lang, &units, forms::param_id(&params, "root"))
    };
    let heading = html! {
        div.page-heading {
            h1 { (lang.t(Msg::Units)) }
            div.actions {
                a.button href="/units" aria-current=[(!flat).then_some("true")] { (lang.t(Msg::TreeView)) }
                " "
                a.button href="/units?view=list" aria-current=[flat.then_some("true")] { (lang.t(Msg::ListView)) }
                @if ctx.role().can_edit_inventory() {
                    " " a.button.primary href="/units/new" { (lang.t(Msg::New)) }
                }
            }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        lang.t(Msg::Units),
        heading,
        html! { (filters) (content) },
    ))
}

/// `GET /units/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let unit = state.store.get_unit(&scope, id).await?;
    let all = PageRequest::new(1, PageRequest::MAX_PER_PAGE);
    let children = state
        .store
        .list_units(
            &scope,
            &UnitFilter {
                parent_id: Some(id),
                kind: None,
            },
            &all,
        )
        .await?;
    let systems = state
        .store
        .list_systems(
            &scope,
            &SystemFilter {
                unit_id: Some(id),
                kind: None,
            },
            &all,
        )
        .await?;
    let contacts = state
        .store
        .list_contacts(&scope, &ContactFilter { unit_id: Some(id) }, &all)
        .await?;
    let parent = match unit.parent_id {
        Some(parent_id) => state.store.get_unit(&scope, parent_id).await.ok(),
        None => None,
    };
    let can_edit = ctx.role().can_edit_inventory();
    let body = html! {
        (forms::details(&[
            (lang.t(Msg::Code), html! { code { (unit.code) } }),
            (lang.t(Msg::Kind), html! { (i18n::unit_kind(lang, unit.kind)) }),
            (lang.t(Msg::Parent), html! {
                @if let Some(parent) = &parent { a href={ "/units/" (parent.id) } { (parent.name) } }
                @else if unit.parent_id.is_some() { span.muted { (lang.t(Msg::OutsideScope)) } }
                @else { "—" }
            }),
            (lang.t(Msg::Address), html! { (forms::or_dash(unit.address.as_deref())) }),
            (lang.t(Msg::ValidFrom), html! { (forms::or_dash(Some(&format::opt_date(unit.valid_from)))) }),
            (lang.t(Msg::ValidTo), html! { (forms::or_dash(Some(&format::opt_date(unit.valid_to)))) }),
            (lang.t(Msg::UpdatedAt), html! { (ctx.time(unit.updated_at)) }),
        ]))
        p.actions.unit-detection {
            a.button href={ "/alerts?status=open&unit_id=" (id) } { (lang.t(Msg::UnitAlerts)) }
            " " a.button href={ "/events?unit_id=" (id) } { (lang.t(Msg::UnitEvents)) }
        }
        section.card {
            div.section-heading {
                h2 { (lang.t(Msg::Systems)) " (" (systems.total) ")" }
                div.actions {
                    a.button href={ "/systems?unit_id=" (id) } { (lang.t(Msg::ViewAllSystems)) }
                    " " a.button href={ "/assets?unit_id=" (id) } { (lang.t(Msg::ViewAllAssets)) }
                    @if can_edit { " " a.button href={ "/systems/new?owner_unit_id=" (id) } { (lang.t(Msg::AddSystem)) } }
                }
            }
            @if systems.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                table.data {
                    thead { tr { th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Kind)) } th.num { (lang.t(Msg::SecurityLevel)) } } }
                    tbody { @for s in &systems.items { tr {
                        td { a href={ "/systems/" (s.id) } { (s.name) } }
                        td { (i18n::system_kind(lang, s.kind)) }
                        td.num { (s.security_level.map(|l| l.to_string()).unwrap_or_else(|| "—".into())) }
                    } } }
                }
            }
        }
        section.card {
            div.section-heading {
                h2 { (lang.t(Msg::Contacts)) " (" (contacts.total) ")" }
                div.actions {
                    a.button href={ "/contacts?unit_id=" (id) } { (lang.t(Msg::ViewAllContacts)) }
                    @if can_edit { " " a.button href={ "/contacts/new?unit_id=" (id) } { (lang.t(Msg::AddContact)) } }
                }
            }
            @if contacts.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                table.data {
                    thead { tr { th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Position)) } th { (lang.t(Msg::Phone)) } th { (lang.t(Msg::Email)) } } }
                    tbody { @for c in &contacts.items { tr {
                        td { a href={ "/contacts/" (c.id) } { (c.name) } }
                        td { (forms::or_dash(c.position.as_deref())) }
                        td { (forms::or_dash(c.phone.as_deref())) }
                        td { (forms::or_dash(c.email.as_deref())) }
                    } } }
                }
            }
        }
        section.card {
            div.section-heading {
                h2 { (lang.t(Msg::Children)) " (" (children.total) ")" }
                div.actions {
                    @if children.total > 0 { a.button href={ "/units?root=" (id) } { (lang.t(Msg::TreeView)) } }
                    @if can_edit { " " a.button href={ "/units/new?parent_id=" (id) } { (lang.t(Msg::AddChild)) } }
                }
            }
            @if children.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                ul { @for child in &children.items { li {
                    a href={ "/units/" (child.id) } { (child.name) } " " span.badge { (i18n::unit_kind(lang, child.kind)) }
                } } }
            }
        }
    };
    Ok(crud::detail_page::<Units>(&ctx, id, &unit, body))
}

/// Units in the shared create/edit/delete handlers.
pub struct Units;

impl InventoryPage for Units {
    type Record = Unit;
    type Input = UnitInput;
    const BASE: &'static str = "/units";
    const PLURAL: Msg = Msg::Units;

    async fn get(state: &AppState, scope: &Scope, id: Id) -> StoreResult<Unit> {
        state.store.get_unit(scope, id).await
    }

    async fn create(state: &AppState, actor: &Actor, input: UnitInput) -> StoreResult<Id> {
        Ok(state.store.create_unit(actor, input).await?.id)
    }

    async fn update(state: &AppState, actor: &Actor, id: Id, input: UnitInput) -> StoreResult<()> {
        state.store.update_unit(actor, id, input).await.map(drop)
    }

    async fn delete(state: &AppState, actor: &Actor, id: Id) -> StoreResult<()> {
        state.store.delete_unit(actor, id).await
    }

    fn label(record: &Unit) -> &str {
        &record.name
    }

    fn after_delete(_record: &Unit) -> String {
        "/units".into()
    }

    fn new_values(params: &Params) -> FormData {
        let mut input = UnitInput::new(
            "",
            UnitKind::Department,
            forms::param_id(params, "parent_id"),
        );
        input.kind = params
            .get("kind")
            .and_then(|k| UnitKind::from_code(k))
            .unwrap_or(UnitKind::Department);
        Self::values(&input)
    }

    fn values(input: &UnitInput) -> FormData {
        FormData::from_pairs(vec![
            ("code".into(), input.code.clone()),
            ("name".into(), input.name.clone()),
            ("kind".into(), input.kind.code().into()),
            (
                "parent_id".into(),
                input.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            ),
            ("address".into(), input.address.clone().unwrap_or_default()),
            ("valid_from".into(), format::opt_date(input.valid_from)),
            ("valid_to".into(), format::opt_date(input.valid_to)),
        ])
    }

    fn parse(form: &FormData, lang: Lang, errors: &mut Errors) -> UnitInput {
        UnitInput {
            code: form.get("code").to_string(),
            name: form.get("name").to_string(),
            kind: forms::req_enum(form, "kind", lang, errors).unwrap_or(UnitKind::Department),
            parent_id: forms::opt_id(form, "parent_id", lang, errors),
            address: forms::opt_text(form, "address"),
            valid_from: forms::opt_date(form, "valid_from", lang, errors),
            valid_to: forms::opt_date(form, "valid_to", lang, errors),
        }
    }

    fn validate(input: &mut UnitInput) -> Result<(), FieldError> {
        input.validate()
    }

    async fn fields(state: &AppState, ctx: &Ctx, f: &FieldCtx<'_>) -> Result<Markup, PageError> {
        let lang = ctx.lang;
        let units = state.store.unit_briefs(&ctx.scope()).await?;
        Ok(html! {
            (f.summary(&["code", "name", "kind", "parent_id", "address", "valid_from", "valid_to"]))
            (f.input(lang.t(Msg::Name), "name", "text", true))
            (f.input(lang.t(Msg::Code), "code", "text", false))
            (f.select(lang.t(Msg::Kind), "kind", &kind_options(lang), None, true))
            (f.select(lang.t(Msg::Parent), "parent_id", &unit_options_keeping(lang, &units, f.values, "parent_id"), ctx.role().sees_everything().then(|| lang.t(Msg::None)), false))
            (f.input(lang.t(Msg::Address), "address", "text", false))
            div.field-row {
                (f.date(lang.t(Msg::ValidFrom), "valid_from"))
                (f.date(lang.t(Msg::ValidTo), "valid_to"))
            }
        })
    }
}
