//! Alerts: the listing (filters by state, severity, unit, source and text), an alert's page
//! (details, ATT&CK tags, evidence events, triage form, "suppress this"), and triage.
//!
//! The store keeps a unit officer to their units' alerts (and leaves unattributed alerts to
//! callers who see every unit); viewers read, every other role triages.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use canhgac_model::{Alert, AlertFilter, AlertSource, AlertStatus, Id, Severity};
use maud::{html, Markup};

use super::error::PageError;
use super::events::evidence_table;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{self, Lang, Msg};
use super::layout;
use super::session::{see_other, CsrfForm, Ctx};
use super::units::unit_names;
use crate::api::may_respond;
use crate::AppState;

/// A severity as a coloured badge.
pub fn severity_badge(lang: Lang, severity: Severity) -> Markup {
    html! {
        span class={ "badge severity sev-" (severity.code()) } data-severity=(severity.code()) {
            (i18n::severity(lang, severity))
        }
    }
}

/// An alert's state as a badge.
pub fn status_badge(lang: Lang, status: AlertStatus) -> Markup {
    html! {
        span class={ "badge alert-" (status.code()) } data-status=(status.code()) {
            (i18n::alert_status(lang, status))
        }
    }
}

fn severity_options(lang: Lang) -> Vec<(String, String)> {
    Severity::ALL
        .iter()
        .rev()
        .map(|s| (s.code().to_string(), i18n::severity(lang, *s).to_string()))
        .collect()
}

fn status_options(lang: Lang) -> Vec<(String, String)> {
    AlertStatus::ALL
        .iter()
        .map(|s| {
            (
                s.code().to_string(),
                i18n::alert_status(lang, *s).to_string(),
            )
        })
        .collect()
}

/// The listing's filter from its query string; malformed values are ignored, like the
/// inventory listings do. `status=open` is new and acknowledged.
fn filter(params: &Params) -> AlertFilter {
    let statuses = match params.get("status").map(String::as_str) {
        Some("open") => vec![AlertStatus::New, AlertStatus::Acknowledged],
        Some(code) => AlertStatus::from_code(code).into_iter().collect(),
        None => Vec::new(),
    };
    AlertFilter {
        statuses,
        min_severity: params
            .get("min_severity")
            .and_then(|s| Severity::from_code(s)),
        unit_id: forms::param_id(params, "unit_id"),
        source: params.get("source").and_then(|s| AlertSource::from_code(s)),
        q: None,
    }
}

/// `GET /alerts?status=&min_severity=&unit_id=&source=&q=&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let filter = filter(&params);
    let page = state
        .store
        .list_alerts(&scope, &filter, &forms::page_request(&params))
        .await?;
    let mut ids: Vec<Id> = page.items.iter().filter_map(|a| a.unit_id).collect();
    ids.extend(filter.unit_id);
    ids.sort_unstable();
    ids.dedup();
    let names = unit_names(&state, &scope, &ids).await?;
    let mut statuses = vec![("open".to_string(), lang.t(Msg::OpenAlerts).to_string())];
    statuses.extend(status_options(lang));
    let sources: Vec<(String, String)> = AlertSource::ALL
        .iter()
        .map(|s| {
            (
                s.code().to_string(),
                i18n::alert_source(lang, *s).to_string(),
            )
        })
        .collect();
    let body = html! {
        (forms::search_form(lang, "/alerts", &params, html! {
            (forms::filter_select(lang, lang.t(Msg::Status), "status", &statuses, &params))
            (forms::filter_select(lang, lang.t(Msg::MinSeverity), "min_severity", &severity_options(lang), &params))
            (forms::filter_select(lang, lang.t(Msg::Source), "source", &sources, &params))
            @if let Some(id) = filter.unit_id {
                @if let Some(name) = names.get(&id) {
                    (forms::filter_chip(lang, "/alerts", lang.t(Msg::Unit), "unit_id", (id, name), &params))
                }
            }
        }))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data.alerts {
                thead { tr {
                    th { (lang.t(Msg::Severity)) } th { (lang.t(Msg::Title)) } th { (lang.t(Msg::Unit)) }
                    th { (lang.t(Msg::Host)) } th.num { (lang.t(Msg::HitCount)) }
                    th { (lang.t(Msg::FirstSeen)) } th { (lang.t(Msg::LastSeen)) } th { (lang.t(Msg::Status)) }
                } }
                tbody {
                    @for alert in &page.items {
                        tr data-alert=(alert.id) {
                            td { (severity_badge(lang, alert.severity)) }
                            td { a href={ "/alerts/" (alert.id) } { (alert.title) } }
                            td {
                                @if let Some(unit) = alert.unit_id {
                                    @if let Some(name) = names.get(&unit) {
                                        a href={ "/alerts?unit_id=" (unit) } { (name) }
                                    } @else {
                                        span.muted { (lang.t(Msg::OutsideScope)) }
                                    }
                                } @else {
                                    span.muted { (lang.t(Msg::Unattributed)) }
                                }
                            }
                            td { (forms::or_dash(alert.host.as_deref())) }
                            td.num { (alert.count) }
                            td.nowrap { (ctx.time(alert.first_seen)) }
                            td.nowrap { (ctx.time(alert.last_seen)) }
                            td { (status_badge(lang, alert.status)) }
                        }
                    }
                }
            }
        }
        (forms::pager(lang, "/alerts", &params, &page))
    };
    Ok(layout::page(&ctx.chrome(), lang.t(Msg::Alerts), body))
}

/// Tags of an alert: ATT&CK ones (`attack.t1059.001`, `attack.execution`) first, as badges.
fn tags(alert: &Alert) -> Markup {
    let (attack, other): (Vec<&String>, Vec<&String>) =
        alert.tags.iter().partition(|t| t.starts_with("attack."));
    html! {
        @if alert.tags.is_empty() { "—" } @else {
            ul.plain.tags {
                @for tag in attack {
                    @let name = tag.trim_start_matches("attack.");
                    li { span.badge.attack data-tag=(tag) {
                        @if name.starts_with('t') && name[1..].starts_with(|c: char| c.is_ascii_digit()) {
                            (name.to_uppercase())
                        } @else {
                            (name.replace('_', " "))
                        }
                    } }
                }
                @for tag in other { li { span.badge { (tag) } } }
            }
        }
    }
}

/// The triage form of an alert.
fn triage_form(ctx: &Ctx, alert: &Alert, values: &FormData, errors: &Errors) -> Markup {
    let lang = ctx.lang;
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    html! {
        form.card.entity-form #triage-form method="post" action={ "/alerts/" (alert.id) "/triage" } {
            h2 { (lang.t(Msg::Triage)) }
            (forms::csrf_field(&ctx.csrf))
            (f.summary(&["status", "comment"]))
            (f.select(lang.t(Msg::Status), "status", &status_options(lang), None, true))
            (f.textarea(lang.t(Msg::Comment), "comment"))
            div.actions { button.primary type="submit" { (lang.t(Msg::TriageSubmit)) } }
        }
    }
}

/// The link that opens the suppression form filled for this alert's rule, unit and host.
fn suppress_link(alert: &Alert) -> String {
    let mut query = vec![format!("rule_key={}", forms::url_encode(&alert.rule_key))];
    if let Some(unit) = alert.unit_id {
        query.push(format!("unit_id={unit}"));
    }
    if let Some(host) = &alert.host {
        query.push("field=host".into());
        query.push(format!("value={}", forms::url_encode(host)));
    }
    format!("/suppressions?{}#new", query.join("&"))
}

async fn alert_page(
    state: &AppState,
    ctx: &Ctx,
    alert: &Alert,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let names = unit_names(
        state,
        &ctx.scope(),
        &alert.unit_id.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    let evidence: Vec<&serde_json::Value> = match &alert.evidence {
        serde_json::Value::Array(items) => items.iter().collect(),
        serde_json::Value::Null => Vec::new(),
        other => vec![other],
    };
    let responder = may_respond(ctx.role());
    let body = html! {
        div.columns {
            section {
                (forms::details(&[
                    (lang.t(Msg::Severity), severity_badge(lang, alert.severity)),
                    (lang.t(Msg::Status), status_badge(lang, alert.status)),
                    (lang.t(Msg::Source), html! { (i18n::alert_source(lang, alert.source)) }),
                    (lang.t(Msg::RuleKey), html! { code { (alert.rule_key) } }),
                    (lang.t(Msg::Unit), html! {
                        @match alert.unit_id {
                            Some(unit) => (super::units::unit_link(lang, &names, unit)),
                            None => span.muted { (lang.t(Msg::Unattributed)) },
                        }
                    }),
                    (lang.t(Msg::Host), html! { (forms::or_dash(alert.host.as_deref())) }),
                    (lang.t(Msg::HitCount), html! { (alert.count) }),
                    (lang.t(Msg::FirstSeen), html! { (ctx.time(alert.first_seen)) }),
                    (lang.t(Msg::LastSeen), html! { (ctx.time(alert.last_seen)) }),
                    (lang.t(Msg::AttackTags), tags(alert)),
                    (lang.t(Msg::Comment), html! { (forms::or_dash(alert.comment.as_deref())) }),
                ]))
            }
            @if responder {
                section {
                    (triage_form(ctx, alert, values, errors))
                    (super::incidents::from_alert_form(ctx, alert))
                    section.card {
                        h2 { (lang.t(Msg::SuppressThis)) }
                        p.hint { (lang.t(Msg::SuppressThisHint)) }
                        p { a.button #suppress-this href=(suppress_link(alert)) { (lang.t(Msg::SuppressThis)) } }
                    }
                }
            }
        }
        section.card.evidence {
            h2 { (lang.t(Msg::Evidence)) " (" (evidence.len()) ")" }
            @if evidence.is_empty() { p.empty { (lang.t(Msg::Empty)) } }
            @for (i, item) in evidence.iter().enumerate() {
                details open[i == 0] {
                    summary { "#" (i + 1) @if let Some(time) = item.get("time").and_then(|t| t.as_str()) {
                        " · " (time.parse::<jiff::Timestamp>().map(|t| ctx.time(t)).unwrap_or_else(|_| time.to_string()))
                    } }
                    (evidence_table(ctx, item))
                }
            }
        }
    };
    let heading = html! {
        div.page-heading {
            h1 { (alert.title) }
            div.actions { a.button href="/alerts" { (lang.t(Msg::Back)) } }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        &alert.title,
        heading,
        body,
    ))
}

fn values_of(alert: &Alert) -> FormData {
    FormData::from_pairs(vec![
        ("status".into(), alert.status.code().into()),
        ("comment".into(), alert.comment.clone().unwrap_or_default()),
    ])
}

/// `GET /alerts/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let alert = state.store.get_alert(&ctx.scope(), id).await?;
    alert_page(&state, &ctx, &alert, &values_of(&alert), &Errors::default()).await
}

/// `POST /alerts/{id}/triage` (status, comment).
pub async fn triage(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    let alert = state.store.get_alert(&ctx.scope(), id).await?;
    ctx.require(may_respond(ctx.role()))?;
    let mut errors = Errors::default();
    let status: Option<AlertStatus> = forms::req_enum(&form, "status", ctx.lang, &mut errors);
    if let Some(status) = status {
        match state
            .store
            .triage_alert(&ctx.actor(), id, status, forms::opt_text(&form, "comment"))
            .await
        {
            Ok(_) => {
                state.alert_counts.forget();
                return Ok(see_other(&format!("/alerts/{id}")));
            }
            Err(err) => errors.store_error(ctx.lang, err)?,
        }
    }
    Ok(forms::unprocessable(
        alert_page(&state, &ctx, &alert, &form, &errors).await?,
    ))
}
