//! `GET /audit` (admins): every change and sign-in event, newest first, with before/after JSON.

use axum::extract::{Query, State};
use canhgac_model::AuditFilter;
use maud::{html, Markup};

use super::error::PageError;
use super::forms::{self, Params};
use super::i18n::{Lang, Msg};
use super::layout;
use super::session::Ctx;
use crate::AppState;

fn json(value: &Option<serde_json::Value>) -> Markup {
    html! {
        @match value {
            Some(v) => pre.json { (serde_json::to_string_pretty(v).unwrap_or_default()) },
            None => span.muted { "—" },
        }
    }
}

/// The label of an audit entity code (unknown codes are shown as they are).
fn entity_label(lang: Lang, code: &str) -> String {
    let msg = match code {
        "unit" => Msg::Unit,
        "system" => Msg::System,
        "asset" => Msg::Asset,
        "contact" => Msg::Contact,
        "authority" => Msg::Authority,
        "user" => Msg::User,
        "api_token" => Msg::ApiTokens,
        "inventory" => Msg::Inventory,
        other => return other.to_string(),
    };
    lang.t(msg).to_string()
}

/// The label of an audit action code (unknown codes are shown as they are).
fn action_label(lang: Lang, code: &str) -> String {
    let (vi, en) = match code {
        "create" => ("Thêm mới", "Create"),
        "update" => ("Cập nhật", "Update"),
        "delete" => ("Xóa", "Delete"),
        "login" => ("Đăng nhập", "Sign-in"),
        "login_failed" => ("Đăng nhập sai", "Failed sign-in"),
        "login_blocked" => ("Đăng nhập bị chặn", "Sign-in blocked"),
        "import" => ("Nhập danh mục", "Import"),
        "export" => ("Xuất danh mục", "Export"),
        other => return other.to_string(),
    };
    lang.pick(vi, en).to_string()
}

/// `GET /audit?entity=&actor=&entity_id=&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    ctx.require_admin()?;
    let lang = ctx.lang;
    let text = |name: &str| {
        params
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let filter = AuditFilter {
        entity: text("entity"),
        entity_id: forms::param_id(&params, "entity_id"),
        actor: text("actor"),
    };
    let page = state
        .store
        .list_audit(&filter, &forms::page_request(&params))
        .await?;
    let entities: Vec<(String, String)> = [
        "unit",
        "system",
        "asset",
        "contact",
        "authority",
        "user",
        "api_token",
        "inventory",
    ]
    .iter()
    .map(|e| (e.to_string(), entity_label(lang, e)))
    .collect();
    let body = html! {
        form.filters method="get" action="/audit" {
            (forms::filter_select(lang, lang.t(Msg::Entity), "entity", &entities, &params))
            div.field {
                label for="actor" { (lang.t(Msg::Actor)) }
                input #actor type="text" name="actor" value=(params.get("actor").map_or("", String::as_str));
            }
            button type="submit" { (lang.t(Msg::Filter)) }
        }
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data.audit {
                thead { tr {
                    th { (lang.t(Msg::When)) } th { (lang.t(Msg::Actor)) } th { (lang.t(Msg::Action)) }
                    th { (lang.t(Msg::Entity)) } th { (lang.t(Msg::Details)) }
                } }
                tbody { @for e in &page.items { tr data-action=(e.action) {
                    td.nowrap { (ctx.time(e.at)) }
                    td { (e.actor) }
                    td { (action_label(lang, &e.action)) }
                    td { (entity_label(lang, &e.entity)) @if let Some(id) = e.entity_id { " #" (id) } }
                    td {
                        @if e.before.is_some() || e.after.is_some() {
                            details {
                                summary { (lang.t(Msg::Details)) }
                                div.diff {
                                    div { h3 { (lang.t(Msg::Before)) } (json(&e.before)) }
                                    div { h3 { (lang.t(Msg::After)) } (json(&e.after)) }
                                }
                            }
                        }
                    }
                } } }
            }
        }
        (forms::pager(lang, "/audit", &params, &page))
    };
    Ok(layout::page(&ctx.chrome(), lang.t(Msg::Audit), body))
}
