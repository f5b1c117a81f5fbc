//! `GET /`: counts within the caller's scope, systems per kind, and a per-unit table.

use axum::extract::State;
use maud::{html, Markup};

use super::error::PageError;
use super::i18n::{self, Msg};
use super::layout;
use super::session::Ctx;
use crate::AppState;

/// `GET /`.
pub async fn show(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, PageError> {
    let counts = state.store.dashboard(&ctx.scope()).await?;
    let lang = ctx.lang;
    let tiles = [
        ("units", Msg::Units, counts.units, "/units"),
        ("systems", Msg::Systems, counts.systems, "/systems"),
        ("assets", Msg::Assets, counts.assets, "/assets"),
        ("contacts", Msg::Contacts, counts.contacts, "/contacts"),
    ];
    let body = html! {
        section.tiles aria-label=(lang.t(Msg::Counts)) {
            @for (key, label, count, href) in tiles {
                a.tile href=(href) {
                    span.tile-count data-count=(key) { (count) }
                    span.tile-label { (lang.t(label)) }
                }
            }
        }
        div.columns {
            section.card {
                h2 { (lang.t(Msg::SystemsByKind)) }
                @if counts.systems_by_kind.is_empty() {
                    p.empty { (lang.t(Msg::Empty)) }
                } @else {
                    table.data {
                        thead { tr { th { (lang.t(Msg::Kind)) } th.num { (lang.t(Msg::SystemCount)) } } }
                        tbody {
                            @for (kind, n) in &counts.systems_by_kind {
                                tr data-kind=(kind.code()) {
                                    td { a href={ "/systems?kind=" (kind.code()) } { (i18n::system_kind(lang, *kind)) } }
                                    td.num { (n) }
                                }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { (lang.t(Msg::PerUnit)) }
                @if counts.per_unit.is_empty() {
                    p.empty { (lang.t(Msg::Empty)) }
                } @else {
                    table.data {
                        thead { tr {
                            th { (lang.t(Msg::Unit)) }
                            th.num { (lang.t(Msg::SystemCount)) }
                            th.num { (lang.t(Msg::AssetCount)) }
                        } }
                        tbody {
                            @for row in &counts.per_unit {
                                tr {
                                    td { a href={ "/units/" (row.unit_id) } { (row.unit_name) } }
                                    td.num { a href={ "/systems?unit_id=" (row.unit_id) } { (row.systems) } }
                                    td.num { (row.assets) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&ctx.chrome(), lang.t(Msg::Dashboard), body))
}
