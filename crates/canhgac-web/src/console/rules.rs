//! Detection rules and their tuning: the rules in force (search, paging) with the documents that
//! did not load shown first; a rule's page with its overrides and the form that switches it
//! on or off or changes its level, for every unit or one unit; and suppressions (list, add,
//! delete), which the alert page's "suppress this" opens pre-filled.
//!
//! Settings for every unit need a caller who sees every unit; a unit officer tunes the units
//! of their subtrees (the store checks both). Viewers read.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use canhgac_model::{Id, Page, RuleOverride, Severity, Suppression};
use canhgac_store::UnitBrief;
use maud::{html, Markup};

use super::alerts::severity_badge;
use super::error::PageError;
use super::format;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{self, Lang, Msg};
use super::layout;
use super::session::{see_other, CsrfForm, Ctx};
use super::units::unit_options;
use crate::api::may_respond;
use crate::api::rules::{overrides_in_scope, rule_matches};
use crate::detection::{RuleCatalog, RuleSummary};
use crate::AppState;

/// Rules per page.
const PER_PAGE: u32 = 50;

fn severity_options(lang: Lang) -> Vec<(String, String)> {
    Severity::ALL
        .iter()
        .rev()
        .map(|s| (s.code().to_string(), i18n::severity(lang, *s).to_string()))
        .collect()
}

/// Where a setting applies: every unit (for callers who see every unit), or one of the units
/// in scope, in tree order.
fn target_options(ctx: &Ctx, units: &[UnitBrief]) -> Vec<(String, String)> {
    let mut options = Vec::new();
    if ctx.scope().is_all() {
        options.push((String::new(), ctx.t(Msg::EveryUnit).to_string()));
    }
    options.extend(unit_options(units));
    options
}

fn unit_label(lang: Lang, names: &HashMap<Id, String>, unit: Option<Id>) -> Markup {
    html! {
        @match unit {
            None => strong { (lang.t(Msg::EveryUnit)) },
            Some(id) => (super::units::unit_link(lang, names, id)),
        }
    }
}

fn rule_href(key: &str) -> String {
    format!("/rules/rule?key={}", forms::url_encode(key))
}

fn problems(lang: Lang, catalog: &RuleCatalog) -> Markup {
    html! {
        @if !catalog.problems.is_empty() {
            section.notice.error #rule-problems role="alert" {
                p { strong { (lang.t(Msg::RuleProblems)) " (" (catalog.problems.len()) ")" } }
                table.data {
                    thead { tr { th { (lang.t(Msg::Origin)) } th { (lang.t(Msg::Title)) } th { (lang.t(Msg::Reason)) } } }
                    tbody { @for problem in &catalog.problems { tr {
                        td { code { (problem.origin) } }
                        td { (forms::or_dash(problem.title.as_deref())) }
                        td { (problem.reason) }
                    } } }
                }
            }
        }
    }
}

/// The state of a rule for every unit: its global override, if any.
fn global_state(lang: Lang, rule: &RuleSummary, overrides: &[RuleOverride]) -> Markup {
    let global = overrides
        .iter()
        .find(|o| o.rule_key == rule.key && o.unit_id.is_none());
    let per_unit = overrides
        .iter()
        .filter(|o| o.rule_key == rule.key && o.unit_id.is_some())
        .count();
    html! {
        @match global {
            Some(o) if !o.enabled => span.badge.status-expired data-state="off" { (lang.t(Msg::DisabledRule)) },
            _ => span.badge.status-active data-state="on" { (lang.t(Msg::Enabled)) },
        }
        @if let Some(level) = global.and_then(|o| o.severity) {
            " → " (severity_badge(lang, level))
        }
        @if per_unit > 0 {
            " " span.muted { "(+" (per_unit) " " (lang.t(Msg::Unit).to_lowercase()) ")" }
        }
    }
}

/// `GET /rules?q=&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let overrides = overrides_in_scope(state.store.as_ref(), &ctx.scope()).await?;
    let Some(detection) = &state.detection else {
        let body = html! { div.notice { p { (lang.t(Msg::DetectionOff)) } } };
        return Ok(layout::page(&ctx.chrome(), lang.t(Msg::Rules), body));
    };
    let catalog = detection.catalog();
    let q = params.get("q").map_or("", String::as_str);
    let matching: Vec<&RuleSummary> = catalog
        .rules
        .iter()
        .filter(|r| rule_matches(r, q))
        .collect();
    let request = forms::page_request(&params);
    let per_page = request.per_page.clamp(1, PER_PAGE);
    let pages = Page::<()> {
        items: Vec::new(),
        total: matching.len() as u64,
        page: request.page.max(1),
        per_page,
    };
    let start = (pages.page as usize - 1).saturating_mul(per_page as usize);
    let shown: Vec<&RuleSummary> = matching
        .iter()
        .skip(start)
        .take(per_page as usize)
        .copied()
        .collect();
    let global_toggle = may_respond(ctx.role()) && ctx.scope().is_all();
    let body = html! {
        (problems(lang, &catalog))
        p.muted {
            (lang.t(Msg::RulesLoaded)) ": " strong data-count="rules" { (catalog.rules.len()) }
            " · " (lang.t(Msg::LoadedAt)) ": " (ctx.time(catalog.loaded_at))
            @if !catalog.directories.is_empty() { " · " code { (catalog.directories.join(", ")) } }
        }
        (forms::search_form(lang, "/rules", &params, html! {}))
        @if shown.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data.rules {
                thead { tr {
                    th { (lang.t(Msg::Title)) } th { (lang.t(Msg::Level)) } th { (lang.t(Msg::Logsource)) }
                    th { (lang.t(Msg::Tags)) } th { (lang.t(Msg::Origin)) } th { (lang.t(Msg::Status)) }
                    @if global_toggle { th {} }
                } }
                tbody {
                    @for rule in &shown {
                        tr data-rule=(rule.key) {
                            td { a href=(rule_href(&rule.key)) { (rule.title) } @if rule.kind != "detection" { " " span.badge { (rule.kind) } } }
                            td { (severity_badge(lang, rule.level)) }
                            td { code { (rule.logsource) } }
                            td { (rule.tags.join(", ")) }
                            td { code.muted { (rule.origin) } }
                            td.nowrap { (global_state(lang, rule, &overrides)) }
                            @if global_toggle {
                                @let off = overrides.iter().any(|o| o.rule_key == rule.key && o.unit_id.is_none() && !o.enabled);
                                td {
                                    form.inline method="post" action="/rules/override" {
                                        (forms::csrf_field(&ctx.csrf))
                                        input type="hidden" name="rule_key" value=(rule.key);
                                        input type="hidden" name="enabled" value=(if off { "on" } else { "off" });
                                        input type="hidden" name="next" value="list";
                                        button type="submit" { (lang.t(if off { Msg::TurnOn } else { Msg::TurnOff })) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (forms::pager(lang, "/rules", &params, &pages))
    };
    Ok(layout::page(&ctx.chrome(), lang.t(Msg::Rules), body))
}

async fn rule_page(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let catalog = state.detection.as_ref().map(|d| d.catalog());
    let rule = catalog
        .as_ref()
        .and_then(|c| c.rules.iter().find(|r| r.key == key).cloned());
    let overrides: Vec<RuleOverride> = overrides_in_scope(state.store.as_ref(), &scope)
        .await?
        .into_iter()
        .filter(|o| o.rule_key == key)
        .collect();
    // A rule that is not loaded still shows when the caller has overrides for it (so they
    // can be removed); otherwise it does not exist.
    if rule.is_none() && overrides.is_empty() {
        return Err(PageError::NotFound);
    }
    let units = state.store.unit_briefs(&scope).await?;
    let names: HashMap<Id, String> = units.iter().map(|u| (u.id, u.name.clone())).collect();
    let responder = may_respond(ctx.role());
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    let states = vec![
        ("on".to_string(), lang.t(Msg::Enabled).to_string()),
        ("off".to_string(), lang.t(Msg::DisabledRule).to_string()),
    ];
    let title = rule.as_ref().map_or(key, |r| r.title.as_str()).to_string();
    let body = html! {
        @if let Some(rule) = &rule {
            (forms::details(&[
                (lang.t(Msg::RuleKey), html! { code { (rule.key) } }),
                (lang.t(Msg::Level), severity_badge(lang, rule.level)),
                (lang.t(Msg::Logsource), html! { code { (rule.logsource) } }),
                (lang.t(Msg::Tags), html! { (forms::or_dash(Some(&rule.tags.join(", ")))) }),
                (lang.t(Msg::Status), html! { (forms::or_dash(rule.status.as_deref())) }),
                (lang.t(Msg::Description), html! { (forms::or_dash(rule.description.as_deref())) }),
                (lang.t(Msg::Origin), html! { code { (rule.origin) } }),
            ]))
        } @else {
            div.notice { p { code { (key) } } }
        }
        section.card {
            h2 { (lang.t(Msg::Overrides)) }
            @if overrides.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                table.data.overrides {
                    thead { tr { th { (lang.t(Msg::ForUnit)) } th { (lang.t(Msg::Status)) } th { (lang.t(Msg::Level)) } @if responder { th {} } } }
                    tbody { @for o in &overrides {
                        tr data-unit=(o.unit_id.map(|u| u.to_string()).unwrap_or_default()) {
                            td { (unit_label(lang, &names, o.unit_id)) }
                            td { @if o.enabled { (lang.t(Msg::Enabled)) } @else { strong { (lang.t(Msg::DisabledRule)) } } }
                            td { @match o.severity { Some(s) => (severity_badge(lang, s)), None => span.muted { (lang.t(Msg::LevelFromRule)) } } }
                            @if responder {
                                td {
                                    form.inline method="post" action="/rules/override/delete" {
                                        (forms::csrf_field(&ctx.csrf))
                                        input type="hidden" name="rule_key" value=(key);
                                        input type="hidden" name="unit_id" value=(o.unit_id.map(|u| u.to_string()).unwrap_or_default());
                                        button.danger type="submit" { (lang.t(Msg::RemoveOverride)) }
                                    }
                                }
                            }
                        }
                    } }
                }
            }
        }
        @if responder {
            form.card.entity-form #override-form method="post" action="/rules/override" {
                h2 { (lang.t(Msg::Override)) }
                (forms::csrf_field(&ctx.csrf))
                input type="hidden" name="rule_key" value=(key);
                (f.summary(&["unit_id", "enabled", "severity"]))
                (f.select(lang.t(Msg::ForUnit), "unit_id", &target_options(ctx, &units), None, true))
                div.field-row {
                    (f.select(lang.t(Msg::Status), "enabled", &states, None, true))
                    (f.select(lang.t(Msg::SetLevel), "severity", &severity_options(lang), Some(lang.t(Msg::LevelFromRule)), false))
                }
                div.actions { button.primary type="submit" { (lang.t(Msg::Save)) } }
            }
        }
    };
    let heading = html! {
        div.page-heading {
            h1 { (title) }
            div.actions { a.button href="/rules" { (lang.t(Msg::Back)) } }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        &title,
        heading,
        body,
    ))
}

/// `GET /rules/rule?key=`: one rule, its overrides, and the override form.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let key = params.get("key").map_or("", String::as_str).trim();
    if key.is_empty() {
        return Err(PageError::NotFound);
    }
    let values = FormData::from_pairs(vec![("enabled".into(), "off".into())]);
    rule_page(&state, &ctx, key, &values, &Errors::default()).await
}

/// `POST /rules/override` (rule_key, unit_id blank for every unit, enabled on/off, severity).
pub async fn set_override(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let lang = ctx.lang;
    let key = form.get("rule_key").trim().to_string();
    if key.is_empty() {
        return Err(PageError::BadRequest("rule_key is required".into()));
    }
    let mut errors = Errors::default();
    let unit_id = forms::opt_id(&form, "unit_id", lang, &mut errors);
    let enabled = match form.get("enabled") {
        "on" => true,
        "off" => false,
        _ => {
            errors.add("enabled", lang.t(Msg::InvalidChoice));
            true
        }
    };
    let severity: Option<Severity> = forms::opt_enum(&form, "severity", lang, &mut errors);
    if errors.is_empty() {
        let setting = RuleOverride {
            rule_key: key.clone(),
            unit_id,
            enabled,
            severity,
        };
        match state.store.set_rule_override(&ctx.actor(), setting).await {
            Ok(()) if form.get("next") == "list" => return Ok(see_other("/rules")),
            Ok(()) => return Ok(see_other(&rule_href(&key))),
            Err(canhgac_store::StoreError::OutOfScope(_)) => {
                errors.add("unit_id", lang.t(Msg::ForbiddenText));
            }
            Err(err) => errors.store_error(lang, err)?,
        }
    }
    Ok(forms::unprocessable(
        rule_page(&state, &ctx, &key, &form, &errors).await?,
    ))
}

/// `POST /rules/override/delete` (rule_key, unit_id blank for every unit).
pub async fn delete_override(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let key = form.get("rule_key").trim().to_string();
    let mut errors = Errors::default();
    let unit_id = forms::opt_id(&form, "unit_id", ctx.lang, &mut errors);
    if !errors.is_empty() {
        return Err(PageError::NotFound);
    }
    state
        .store
        .delete_rule_override(&ctx.actor(), &key, unit_id)
        .await?;
    Ok(see_other(&rule_href(&key)))
}

async fn suppressions_page(
    state: &AppState,
    ctx: &Ctx,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let suppressions = state.store.list_suppressions(&scope).await?;
    let units = state.store.unit_briefs(&scope).await?;
    let names: HashMap<Id, String> = units.iter().map(|u| (u.id, u.name.clone())).collect();
    let responder = may_respond(ctx.role());
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    let body = html! {
        @if suppressions.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data.suppressions {
                thead { tr {
                    th { (lang.t(Msg::RuleKey)) } th { (lang.t(Msg::ForUnit)) } th { (lang.t(Msg::Field)) }
                    th { (lang.t(Msg::FieldValue)) } th { (lang.t(Msg::Comment)) } th { (lang.t(Msg::ExpiresAt)) }
                    @if responder { th {} }
                } }
                tbody { @for s in &suppressions {
                    tr data-suppression=(s.id) {
                        td { @match &s.rule_key { Some(key) => a href=(rule_href(key)) { code { (key) } }, None => span.muted { (lang.t(Msg::AnyRule)) } } }
                        td { (unit_label(lang, &names, s.unit_id)) }
                        td { code { (s.field) } }
                        td { code { (s.value) } }
                        td { (forms::or_dash(Some(&s.comment))) }
                        td.nowrap { (s.expires_at.map(|t| ctx.time(t)).unwrap_or_else(|| lang.t(Msg::Never).to_string())) }
                        @if responder {
                            td { (forms::action_button(&format!("/suppressions/{}/delete", s.id), &ctx.csrf, lang.t(Msg::Delete), "danger")) }
                        }
                    }
                } }
            }
        }
        @if responder {
            form.card.entity-form #new method="post" action="/suppressions" {
                h2 { (lang.t(Msg::AddSuppression)) }
                (forms::csrf_field(&ctx.csrf))
                (f.summary(&["rule_key", "unit_id", "field", "value", "comment", "expires_at"]))
                (f.input(&format!("{} ({})", lang.t(Msg::RuleKey), lang.t(Msg::AnyRule).to_lowercase()), "rule_key", "text", false))
                (f.select(lang.t(Msg::ForUnit), "unit_id", &target_options(ctx, &units), None, true))
                div.field-row {
                    (f.input(lang.t(Msg::Field), "field", "text", true))
                    (f.input(lang.t(Msg::FieldValue), "value", "text", true))
                }
                (f.input(lang.t(Msg::Comment), "comment", "text", false))
                (f.date(lang.t(Msg::ExpiresOn), "expires_at"))
                div.actions { button.primary type="submit" { (lang.t(Msg::AddSuppression)) } }
            }
        }
    };
    Ok(layout::page(&ctx.chrome(), lang.t(Msg::Suppressions), body))
}

/// `GET /suppressions?rule_key=&unit_id=&field=&value=`: the list, and the add form filled
/// from the query (the alert page's "suppress this").
pub async fn suppressions(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let prefill = ["rule_key", "unit_id", "field", "value", "comment"]
        .iter()
        .filter_map(|name| params.get(*name).map(|v| (name.to_string(), v.clone())))
        .collect();
    suppressions_page(
        &state,
        &ctx,
        &FormData::from_pairs(prefill),
        &Errors::default(),
    )
    .await
}

/// The instant a suppression typed as expiring on a day stops: the end of that day in `tz`
/// (a time may also be typed).
fn expiry(text: &str, tz: &jiff::tz::TimeZone) -> Result<Option<jiff::Timestamp>, ()> {
    let text = text.trim();
    if text.contains(':') {
        return format::parse_datetime(text, tz).map_err(drop);
    }
    match format::parse_date(text).map_err(drop)? {
        None => Ok(None),
        Some(day) => {
            let next = day.tomorrow().map_err(drop)?;
            next.to_zoned(tz.clone())
                .map(|z| Some(z.timestamp()))
                .map_err(drop)
        }
    }
}

/// `POST /suppressions`.
pub async fn create_suppression(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let lang = ctx.lang;
    let mut errors = Errors::default();
    let unit_id = forms::opt_id(&form, "unit_id", lang, &mut errors);
    let expires_at = expiry(form.get("expires_at"), &ctx.tz).unwrap_or_else(|()| {
        errors.add("expires_at", lang.t(Msg::InvalidDate));
        None
    });
    if errors.is_empty() {
        let input = Suppression {
            id: 0,
            rule_key: forms::opt_text(&form, "rule_key"),
            unit_id,
            field: form.get("field").to_string(),
            value: form.get("value").to_string(),
            comment: form.get("comment").to_string(),
            expires_at,
        };
        match state.store.create_suppression(&ctx.actor(), input).await {
            Ok(_) => return Ok(see_other("/suppressions")),
            Err(canhgac_store::StoreError::OutOfScope(_)) => {
                errors.add("unit_id", lang.t(Msg::ForbiddenText));
            }
            Err(err) => errors.store_error(lang, err)?,
        }
    }
    Ok(forms::unprocessable(
        suppressions_page(&state, &ctx, &form, &errors).await?,
    ))
}

/// `POST /suppressions/{id}/delete`.
pub async fn delete_suppression(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    state.store.delete_suppression(&ctx.actor(), id).await?;
    Ok(see_other("/suppressions"))
}
