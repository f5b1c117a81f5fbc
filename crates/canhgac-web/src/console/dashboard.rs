//! `GET /`: counts within the caller's scope, open alerts by severity, monitors by status, open
//! findings by category, the
//! logs received (when detection runs), systems per kind, and a per-unit table.

use axum::extract::State;
use maud::{html, Markup};

use super::alerts::severity_badge;
use super::error::PageError;
use super::i18n::{self, Msg};
use super::layout;
use super::session::Ctx;
use crate::AppState;

/// `GET /`.
pub async fn show(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, PageError> {
    let counts = state.store.dashboard(&ctx.scope()).await?;
    let alerts = state.store.alert_summary(&ctx.scope()).await?;
    let intake = state.detection.as_ref().map(|d| d.status());
    let monitors = super::monitors::dashboard_card(&state, &ctx).await?;
    let findings = super::findings::dashboard_card(&state, &ctx).await?;
    let scans = super::scans::dashboard_card(&state, &ctx).await?;
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
            section.card #open-alerts {
                h2 { a href="/alerts?status=open" { (lang.t(Msg::OpenAlertsBySeverity)) } }
                p { a href="/alerts?status=open" { strong data-count="open-alerts" { (alerts.open) } " " (lang.t(Msg::NewAlertsInScope)) } }
                @if !alerts.open_by_severity.is_empty() {
                    table.data {
                        thead { tr { th { (lang.t(Msg::Severity)) } th.num { (lang.t(Msg::Alerts)) } } }
                        tbody {
                            @for (severity, n) in &alerts.open_by_severity {
                                tr data-severity=(severity.code()) {
                                    td { (severity_badge(lang, *severity)) }
                                    td.num { a href={ "/alerts?status=open&min_severity=" (severity.code()) } { (n) } }
                                }
                            }
                        }
                    }
                }
            }
            (monitors)
            (findings)
        (scans)
            @if let Some(intake) = &intake {
                section.card #logs-received {
                    h2 { a href="/events" { (lang.t(Msg::LogsReceived)) } }
                    (super::forms::details(&[
                        (lang.t(Msg::LogsReceived), html! { strong data-count="received" { (intake.received) } }),
                        (lang.t(Msg::EventsStored), html! { span data-count="stored" { (intake.eventlog.events) } }),
                        (lang.t(Msg::DecodeErrors), html! { (intake.decode_errors) }),
                        (lang.t(Msg::Dropped), html! { (intake.dropped) }),
                        (lang.t(Msg::Alerts), html! { (intake.alerts) }),
                        (lang.t(Msg::Indicators), html! { (intake.indicators) }),
                        (lang.t(Msg::Listeners), html! {
                            @if intake.listeners.is_empty() { "—" } @else {
                                ul.plain { @for l in &intake.listeners { li { code { (l) } } } }
                            }
                        }),
                    ]))
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
