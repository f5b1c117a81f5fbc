//! Monitors: the status board (grouped by unit), a monitor's page (state per probe,
//! availability, response-time charts, outages, maintenance windows, the defacement view with
//! its one-click approval), the form, "check now"; and the public status page `/status`.
//!
//! Editors (every role but viewers) add, change and delete monitors and maintenance windows;
//! responders (the same roles) run checks and approve baselines. The store keeps each caller to
//! the monitors of their units. Conditions are checked by the watch engine, not here: one it
//! cannot read makes the monitor's checks fail with the reason.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use canhgac_model::{
    Asset, AssetKind, Availability, CheckResult, DefacementBaseline, DefacementSettings,
    FieldError, Id, MaintenanceWindow, Monitor, MonitorFilter, MonitorInput, MonitorKind,
    MonitorSettings, MonitorStatus, PageRequest, Timestamp,
};
use canhgac_store::StoreError;
use jiff::SignedDuration;
use maud::{html, Markup};

use super::chart::{response_time_chart, Point, Series};
use super::error::PageError;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{self, Lang, Msg};
use super::layout::{self, Chrome};
use super::session::{see_other, CsrfForm, Ctx};
use super::units::{unit_link, unit_names};
use crate::api::may_respond;
use crate::api::monitors::MaintenanceRequest;
use crate::AppState;

/// A monitor's status as a coloured badge.
pub fn status_badge(lang: Lang, status: MonitorStatus) -> Markup {
    html! {
        span class={ "badge monitor-status mon-" (status.code()) } data-monitor-status=(status.code()) {
            (i18n::monitor_status(lang, status))
        }
    }
}

/// An availability percentage, `—` without checks (Vietnamese writes a decimal comma).
pub fn percent(lang: Lang, value: Option<f64>) -> String {
    match value {
        None => "—".to_string(),
        Some(value) => {
            let text = format!("{value:.2}");
            match lang {
                Lang::Vi => format!("{} %", text.replace('.', ",")),
                Lang::En => format!("{text}%"),
            }
        }
    }
}

fn latency(value: Option<u32>) -> String {
    value.map_or_else(|| "—".to_string(), |ms| format!("{ms} ms"))
}

/// A length of time in words, its two largest units: "2 giờ 5 phút".
fn duration_text(lang: Lang, duration: SignedDuration) -> String {
    let minutes = duration.as_secs().max(0) / 60;
    if minutes == 0 {
        return lang.pick("dưới 1 phút", "under a minute").to_string();
    }
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let units = [
        (days, lang.pick("ngày", "d")),
        (hours, lang.pick("giờ", "h")),
        (mins, lang.pick("phút", "min")),
    ];
    units
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn kind_options(lang: Lang) -> Vec<(String, String)> {
    MonitorKind::ALL
        .iter()
        .map(|k| {
            (
                k.code().to_string(),
                i18n::monitor_kind(lang, *k).to_string(),
            )
        })
        .collect()
}

fn status_options(lang: Lang) -> Vec<(String, String)> {
    MonitorStatus::ALL
        .iter()
        .map(|s| {
            (
                s.code().to_string(),
                i18n::monitor_status(lang, *s).to_string(),
            )
        })
        .collect()
}

fn watch_off(state: &AppState, lang: Lang) -> Markup {
    html! {
        @if state.watch.is_none() {
            div.notice #watch-off role="status" { (lang.t(Msg::WatchOff)) }
        }
    }
}

fn may_edit(ctx: &Ctx) -> bool {
    ctx.role().can_edit_inventory()
}

/// Availability of `ids` now, by monitor.
pub(super) async fn availability_of(
    state: &AppState,
    ctx: &Ctx,
    ids: &[Id],
) -> Result<HashMap<Id, Availability>, PageError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(state
        .store
        .availability(&ctx.scope(), ids, Timestamp::now())
        .await?
        .into_iter()
        .collect())
}

/// A table of monitors with their state and availability (the board and the asset page).
pub fn table(ctx: &Ctx, monitors: &[Monitor], availability: &HashMap<Id, Availability>) -> Markup {
    let lang = ctx.lang;
    html! {
        table.data.monitors {
            thead { tr {
                th { (lang.t(Msg::Status)) } th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Kind)) }
                th { (lang.t(Msg::Target)) } th { (lang.t(Msg::LastCheck)) } th.num { (lang.t(Msg::Latency)) }
                th.num { (lang.t(Msg::Last24h)) } th.num { (lang.t(Msg::Last7d)) } th.num { (lang.t(Msg::Last30d)) }
            } }
            tbody {
                @for monitor in monitors {
                    @let a = availability.get(&monitor.id).copied().unwrap_or_default();
                    tr data-monitor=(monitor.id) {
                        td { (status_badge(lang, monitor.status)) }
                        td { a href={ "/monitors/" (monitor.id) } { (monitor.input.name) } }
                        td { (i18n::monitor_kind(lang, monitor.input.kind)) }
                        td { code { (monitor.input.target) } }
                        td.nowrap { (monitor.last_check_at.map(|t| ctx.time(t)).unwrap_or_else(|| "—".into())) }
                        td.num { (latency(monitor.last_latency_ms)) }
                        td.num { (percent(lang, a.day)) }
                        td.num { (percent(lang, a.week)) }
                        td.num { (percent(lang, a.month)) }
                    }
                }
            }
        }
    }
}

/// The board's filter from its query string; malformed values are ignored.
fn filter(params: &Params) -> MonitorFilter {
    MonitorFilter {
        unit_id: forms::param_id(params, "unit_id"),
        system_id: forms::param_id(params, "system_id"),
        asset_id: forms::param_id(params, "asset_id"),
        statuses: params
            .get("status")
            .and_then(|s| MonitorStatus::from_code(s))
            .into_iter()
            .collect(),
        kind: params.get("kind").and_then(|k| MonitorKind::from_code(k)),
        q: params.get("q").filter(|q| !q.trim().is_empty()).cloned(),
    }
}

/// `GET /monitors?status=&kind=&q=&unit_id=&page=`: the status board, grouped by unit.
pub async fn board(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let filter = filter(&params);
    let mut request = forms::page_request(&params);
    if !params.contains_key("per_page") {
        request.per_page = 200;
    }
    // The filter carries the text; the page request's copy would search twice.
    request.q = None;
    let page = state.store.list_monitors(&scope, &filter, &request).await?;
    let summary = state.store.watch_summary(&scope).await?;
    let ids: Vec<Id> = page.items.iter().map(|m| m.id).collect();
    let availability = availability_of(&state, &ctx, &ids).await?;
    let mut unit_ids: Vec<Id> = page.items.iter().map(|m| m.unit_id).collect();
    unit_ids.extend(filter.unit_id);
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let names = unit_names(&state, &scope, &unit_ids).await?;
    // Groups by unit name, monitors by name within (the store's order).
    let mut groups: BTreeMap<(String, Id), Vec<Monitor>> = BTreeMap::new();
    for monitor in page.items.iter().cloned() {
        let name = names.get(&monitor.unit_id).cloned().unwrap_or_default();
        groups
            .entry((name, monitor.unit_id))
            .or_default()
            .push(monitor);
    }
    let by_status = |status: MonitorStatus| format!("/monitors?status={}", status.code());
    let tiles = [
        (
            "monitors-total",
            lang.t(Msg::Total),
            summary.total,
            "/monitors".to_string(),
        ),
        (
            "monitors-up",
            i18n::monitor_status(lang, MonitorStatus::Up),
            summary.up,
            by_status(MonitorStatus::Up),
        ),
        (
            "monitors-down",
            i18n::monitor_status(lang, MonitorStatus::Down),
            summary.down,
            by_status(MonitorStatus::Down),
        ),
        (
            "monitors-flapping",
            i18n::monitor_status(lang, MonitorStatus::Flapping),
            summary.flapping,
            by_status(MonitorStatus::Flapping),
        ),
        (
            "monitors-other",
            lang.t(Msg::Other),
            summary.other,
            "/monitors".to_string(),
        ),
    ];
    let body = html! {
        (watch_off(&state, lang))
        section.tiles aria-label=(lang.t(Msg::Counts)) {
            @for (key, label, count, href) in &tiles {
                a.tile href=(href) {
                    span.tile-count data-count=(key) { (count) }
                    span.tile-label { (label) }
                }
            }
        }
        (forms::search_form(lang, "/monitors", &params, html! {
            (forms::filter_select(lang, lang.t(Msg::Status), "status", &status_options(lang), &params))
            (forms::filter_select(lang, lang.t(Msg::Kind), "kind", &kind_options(lang), &params))
            @if let Some(id) = filter.unit_id {
                @if let Some(name) = names.get(&id) {
                    (forms::filter_chip(lang, "/monitors", lang.t(Msg::Unit), "unit_id", (id, name), &params))
                }
            }
        }))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } }
        @for ((name, unit_id), monitors) in &groups {
            section.card.unit-group data-unit=(unit_id) {
                h2 {
                    @if name.is_empty() { span.muted { (lang.t(Msg::OutsideScope)) } }
                    @else { a href={ "/monitors?unit_id=" (unit_id) } { (name) } }
                }
                (table(&ctx, monitors, &availability))
            }
        }
        (forms::pager(lang, "/monitors", &params, &page))
    };
    let heading = html! {
        div.page-heading {
            h1 { (lang.t(Msg::Monitors)) }
            @if may_edit(&ctx) {
                div.actions { a.button.primary href="/monitors/new" { (lang.t(Msg::AddMonitor)) } }
            }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        lang.t(Msg::Monitors),
        heading,
        body,
    ))
}

// ---- the form ----

/// The form field that shows a model error: `settings.defacement.change_threshold` is the
/// `change_threshold` field, `settings.record_type` the `record_type` field, and
/// `settings.conditions[2]` the `conditions` field (the message names the condition).
fn form_field(field: &str) -> String {
    let field = field
        .strip_prefix("settings.defacement.")
        .or_else(|| field.strip_prefix("settings."))
        .unwrap_or(field);
    field.split('[').next().unwrap_or(field).to_string()
}

fn add_field_error(errors: &mut Errors, lang: Lang, mut error: FieldError) {
    error.field = form_field(&error.field);
    if errors.get(&error.field).is_none() {
        errors.field_error(lang, &error);
    }
}

fn join_list<T: ToString>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

/// The form's values showing `input`.
fn values_of(input: &MonitorInput) -> FormData {
    let s = &input.settings;
    let flag = |on: bool| if on { "1" } else { "" }.to_string();
    let mut pairs = vec![
        (
            "asset_id".to_string(),
            if input.asset_id > 0 {
                input.asset_id.to_string()
            } else {
                String::new()
            },
        ),
        ("name".into(), input.name.clone()),
        ("kind".into(), input.kind.code().to_string()),
        ("target".into(), input.target.clone()),
        ("interval_secs".into(), input.interval_secs.to_string()),
        ("timeout_secs".into(), input.timeout_secs.to_string()),
        ("retries".into(), input.retries.to_string()),
        ("enabled".into(), flag(input.enabled)),
        ("public".into(), flag(input.public)),
        ("probes".into(), input.probes.join(", ")),
        ("conditions".into(), s.conditions.join("\n")),
        ("body_contains".into(), s.body_contains.join("\n")),
        ("body_not_contains".into(), s.body_not_contains.join("\n")),
        ("method".into(), s.method.clone().unwrap_or_default()),
        (
            "record_type".into(),
            s.record_type.clone().unwrap_or_default(),
        ),
        ("expected".into(), s.expected.join("\n")),
        ("resolver".into(), s.resolver.clone().unwrap_or_default()),
        ("starttls".into(), flag(s.starttls)),
        ("cert_warn_days".into(), join_list(&s.cert_warn_days, ", ")),
        ("defacement".into(), flag(s.defacement.is_some())),
    ];
    let deface = s.defacement.clone().unwrap_or_default();
    pairs.extend([
        (
            "ignore_selectors".into(),
            deface.ignore_selectors.join("\n"),
        ),
        ("markers".into(), deface.markers.join("\n")),
        (
            "change_threshold".into(),
            deface.change_threshold.to_string(),
        ),
    ]);
    FormData::from_pairs(pairs)
}

fn number(form: &FormData, name: &str, default: u32, lang: Lang, errors: &mut Errors) -> u32 {
    match form.get(name).trim() {
        "" => default,
        text => text.parse().unwrap_or_else(|_| {
            errors.add(name, lang.t(Msg::InvalidNumber));
            default
        }),
    }
}

/// Items separated by commas, semicolons or white space.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads the submitted form, noting fields that do not parse.
fn parse_form(form: &FormData, lang: Lang, errors: &mut Errors) -> MonitorInput {
    let defaults = MonitorInput::new(0, "", MonitorKind::Http, "");
    let mut cert_warn_days = Vec::new();
    for word in words(form.get("cert_warn_days")) {
        match word.parse::<u32>() {
            Ok(days) if days > 0 => cert_warn_days.push(days),
            _ => {
                errors.add("cert_warn_days", lang.t(Msg::InvalidNumber));
                break;
            }
        }
    }
    let defacement = form.checked("defacement").then(|| {
        let threshold = match form.get("change_threshold").trim() {
            "" => DefacementSettings::default().change_threshold,
            text => text.replace(',', ".").parse::<f64>().unwrap_or_else(|_| {
                errors.add("change_threshold", lang.t(Msg::InvalidNumber));
                DefacementSettings::default().change_threshold
            }),
        };
        DefacementSettings {
            ignore_selectors: forms::lines(form, "ignore_selectors"),
            change_threshold: threshold,
            markers: forms::lines(form, "markers"),
        }
    });
    MonitorInput {
        asset_id: forms::req_id(form, "asset_id", lang, errors),
        name: form.get("name").to_string(),
        kind: forms::req_enum(form, "kind", lang, errors).unwrap_or(MonitorKind::Http),
        target: form.get("target").to_string(),
        settings: MonitorSettings {
            conditions: forms::lines(form, "conditions"),
            body_contains: forms::lines(form, "body_contains"),
            body_not_contains: forms::lines(form, "body_not_contains"),
            method: forms::opt_text(form, "method").map(|m| m.trim().to_ascii_uppercase()),
            record_type: forms::opt_text(form, "record_type"),
            expected: forms::lines(form, "expected"),
            resolver: forms::opt_text(form, "resolver").map(|r| r.trim().to_string()),
            starttls: form.checked("starttls"),
            cert_warn_days,
            defacement,
        },
        interval_secs: number(form, "interval_secs", defaults.interval_secs, lang, errors),
        timeout_secs: number(form, "timeout_secs", defaults.timeout_secs, lang, errors),
        retries: number(form, "retries", defaults.retries, lang, errors),
        enabled: form.checked("enabled"),
        public: form.checked("public"),
        probes: words(form.get("probes")),
    }
}

/// Parses and validates a submission; the input comes back with the errors.
fn read_form(ctx: &Ctx, form: &FormData) -> (MonitorInput, Errors) {
    let mut errors = Errors::default();
    let input = parse_form(form, ctx.lang, &mut errors);
    if let Err(error) = input.clone().validate() {
        add_field_error(&mut errors, ctx.lang, error);
    }
    (input, errors)
}

/// What a monitor of `asset` would most likely check.
fn suggestion(asset: &Asset) -> (MonitorKind, String) {
    match asset.kind {
        AssetKind::Url => (MonitorKind::Http, asset.value.clone()),
        AssetKind::Domain => (MonitorKind::Http, format!("https://{}/", asset.value)),
        AssetKind::Ip => (MonitorKind::Icmp, asset.value.clone()),
        AssetKind::Cidr => (MonitorKind::Http, String::new()),
    }
}

/// The asset a form refers to, when it is one the caller sees.
async fn form_asset(state: &AppState, ctx: &Ctx, values: &FormData) -> Option<Asset> {
    let id: Id = values.get("asset_id").trim().parse().ok()?;
    state.store.get_asset(&ctx.scope(), id).await.ok()
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    title: &str,
    action: &str,
    cancel: &str,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    let asset = form_asset(state, ctx, values).await;
    let system = match &asset {
        Some(asset) => state
            .store
            .get_system(&ctx.scope(), asset.system_id)
            .await
            .ok(),
        None => None,
    };
    let record_types: Vec<(String, String)> = ["A", "AAAA", "MX", "NS", "TXT", "CNAME"]
        .iter()
        .map(|t| (t.to_string(), t.to_string()))
        .collect();
    let shown = [
        "asset_id",
        "name",
        "kind",
        "target",
        "interval_secs",
        "timeout_secs",
        "retries",
        "probes",
        "conditions",
        "body_contains",
        "body_not_contains",
        "method",
        "record_type",
        "expected",
        "resolver",
        "cert_warn_days",
        "ignore_selectors",
        "markers",
        "change_threshold",
    ];
    let fields = html! {
        (f.summary(&shown))
        @match (&asset, errors.get("asset_id")) {
            (Some(asset), None) => {
                input type="hidden" name="asset_id" value=(asset.id);
                (forms::details(&[
                    (lang.t(Msg::Asset), html! { a href={ "/assets/" (asset.id) } { code { (asset.value) } } }),
                    (lang.t(Msg::System), html! {
                        @if let Some(system) = &system { a href={ "/systems/" (system.id) } { (system.name) } } @else { "—" }
                    }),
                ]))
            }
            _ => {
                (f.input(lang.t(Msg::AssetId), "asset_id", "number", true))
                p.hint { (lang.t(Msg::AssetIdHint)) " " a href="/assets" { (lang.t(Msg::Assets)) } }
            }
        }
        (f.input(lang.t(Msg::Name), "name", "text", true))
        div.field-row {
            (f.select(lang.t(Msg::Kind), "kind", &kind_options(lang), None, true))
            (f.input(lang.t(Msg::Target), "target", "text", true))
        }
        p.hint { (lang.t(Msg::TargetHint)) }
        div.field-row {
            (f.input(lang.t(Msg::IntervalSecs), "interval_secs", "number", false))
            (f.input(lang.t(Msg::TimeoutSecs), "timeout_secs", "number", false))
            (f.input(lang.t(Msg::Retries), "retries", "number", false))
        }
        (f.input(lang.t(Msg::ProbesField), "probes", "text", false))
        p.hint { (lang.t(Msg::ProbesHint)) }
        (f.checkbox(lang.t(Msg::MonitorEnabled), "enabled"))
        (f.checkbox(lang.t(Msg::MonitorPublic), "public"))
        fieldset {
            legend { (lang.t(Msg::SectionHttp)) }
            (f.textarea(lang.t(Msg::Conditions), "conditions"))
            p.hint { (lang.t(Msg::ConditionsHint)) }
            div.field-row {
                (f.textarea(lang.t(Msg::BodyContains), "body_contains"))
                (f.textarea(lang.t(Msg::BodyNotContains), "body_not_contains"))
            }
            (f.input(lang.t(Msg::HttpMethod), "method", "text", false))
        }
        fieldset {
            legend { (lang.t(Msg::SectionDns)) }
            div.field-row {
                (f.select(lang.t(Msg::RecordType), "record_type", &record_types, Some(""), false))
                (f.input(lang.t(Msg::Resolver), "resolver", "text", false))
            }
            (f.textarea(lang.t(Msg::ExpectedValues), "expected"))
        }
        fieldset {
            legend { (lang.t(Msg::SectionMailTls)) }
            (f.checkbox(lang.t(Msg::Starttls), "starttls"))
            (f.input(lang.t(Msg::CertWarnDays), "cert_warn_days", "text", false))
        }
        fieldset {
            legend { (lang.t(Msg::Defacement)) }
            (f.checkbox(lang.t(Msg::DefacementOn), "defacement"))
            div.field-row {
                (f.textarea(lang.t(Msg::IgnoreSelectors), "ignore_selectors"))
                (f.textarea(lang.t(Msg::Markers), "markers"))
            }
            (f.input(lang.t(Msg::ChangeThreshold), "change_threshold", "text", false))
        }
    };
    let chrome = ctx.chrome();
    Ok(layout::page(
        &chrome,
        title,
        html! {
            form.card.entity-form.monitor-form method="post" action=(action) {
                (forms::csrf_field(&ctx.csrf))
                (fields)
                div.actions {
                    button.primary type="submit" { (lang.t(Msg::Save)) }
                    " "
                    a.button href=(cancel) { (lang.t(Msg::Cancel)) }
                }
            }
        },
    ))
}

/// Records a store refusal of a submitted monitor as field messages when it is about the input.
fn store_refusal(errors: &mut Errors, lang: Lang, error: StoreError) -> Result<(), PageError> {
    match error {
        StoreError::Invalid(field_error) => {
            add_field_error(errors, lang, field_error);
            Ok(())
        }
        other => errors.store_error(lang, other),
    }
}

/// `GET /monitors/new?asset_id=`.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    ctx.require(may_edit(&ctx))?;
    let mut input = MonitorInput::new(0, "", MonitorKind::Http, "");
    input.probes = vec![canhgac_model::LOCAL_PROBE.to_string()];
    if let Some(id) = forms::param_id(&params, "asset_id") {
        // An asset outside the caller's units is ignored, like one that does not exist.
        if let Ok(asset) = state.store.get_asset(&ctx.scope(), id).await {
            let (kind, target) = suggestion(&asset);
            input.asset_id = asset.id;
            input.kind = kind;
            input.target = target;
            input.name = asset.name.clone().unwrap_or_else(|| asset.value.clone());
        }
    }
    let title = ctx.t(Msg::AddMonitor);
    form_page(
        &state,
        &ctx,
        title,
        "/monitors",
        "/monitors",
        &values_of(&input),
        &Errors::default(),
    )
    .await
}

/// `POST /monitors`.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_edit(&ctx))?;
    let (input, mut errors) = read_form(&ctx, &form);
    if errors.is_empty() {
        match state.store.create_monitor(&ctx.actor(), input).await {
            Ok(monitor) => return Ok(see_other(&format!("/monitors/{}", monitor.id))),
            Err(error) => store_refusal(&mut errors, ctx.lang, error)?,
        }
    }
    let title = ctx.t(Msg::AddMonitor);
    Ok(forms::unprocessable(
        form_page(
            &state,
            &ctx,
            title,
            "/monitors",
            "/monitors",
            &form,
            &errors,
        )
        .await?,
    ))
}

/// `GET /monitors/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let monitor = state.store.get_monitor(&ctx.scope(), id).await?;
    ctx.require(may_edit(&ctx))?;
    let title = format!("{} — {}", monitor.input.name, ctx.t(Msg::Edit));
    let base = format!("/monitors/{id}");
    form_page(
        &state,
        &ctx,
        &title,
        &base,
        &base,
        &values_of(&monitor.input),
        &Errors::default(),
    )
    .await
}

/// `POST /monitors/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    let monitor = state.store.get_monitor(&ctx.scope(), id).await?;
    ctx.require(may_edit(&ctx))?;
    let (input, mut errors) = read_form(&ctx, &form);
    let base = format!("/monitors/{id}");
    if errors.is_empty() {
        match state.store.update_monitor(&ctx.actor(), id, input).await {
            Ok(_) => return Ok(see_other(&base)),
            Err(error) => store_refusal(&mut errors, ctx.lang, error)?,
        }
    }
    let title = format!("{} — {}", monitor.input.name, ctx.t(Msg::Edit));
    Ok(forms::unprocessable(
        form_page(&state, &ctx, &title, &base, &base, &form, &errors).await?,
    ))
}

/// `GET /monitors/{id}/delete`: asks before deleting.
pub async fn delete_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let monitor = state.store.get_monitor(&ctx.scope(), id).await?;
    ctx.require(may_edit(&ctx))?;
    let lang = ctx.lang;
    let body = html! {
        form.card #delete-monitor method="post" action={ "/monitors/" (id) "/delete" } {
            (forms::csrf_field(&ctx.csrf))
            p { (lang.t(Msg::ConfirmDeleteMonitor)) }
            p { strong { (monitor.input.name) } " " code { (monitor.input.target) } }
            div.actions {
                button.danger type="submit" { (lang.t(Msg::Delete)) }
                " "
                a.button href={ "/monitors/" (id) } { (lang.t(Msg::Cancel)) }
            }
        }
    };
    let title = format!("{} — {}", monitor.input.name, lang.t(Msg::Delete));
    Ok(layout::page(&ctx.chrome(), &title, body))
}

/// `POST /monitors/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    state.store.get_monitor(&ctx.scope(), id).await?;
    ctx.require(may_edit(&ctx))?;
    state
        .store
        .delete_monitor(&ctx.actor(), id)
        .await
        .map_err(forms::delete_refused)?;
    Ok(see_other("/monitors"))
}

// ---- a monitor's page ----

/// Series of the last day's checks, one per probe, oldest first.
fn day_series(checks: &[CheckResult]) -> Vec<Series> {
    let mut by_probe: BTreeMap<&str, Vec<Point>> = BTreeMap::new();
    for check in checks {
        by_probe.entry(&check.probe).or_default().push(Point {
            at: check.at,
            value: check.latency_ms.map(f64::from),
            ok: check.ok,
        });
    }
    by_probe
        .into_iter()
        .map(|(name, mut points)| {
            points.sort_by_key(|p| p.at);
            Series {
                name: name.to_string(),
                points,
            }
        })
        .collect()
}

/// One series of hourly means over every probe, from the rollups.
fn month_series(lang: Lang, rollups: &[canhgac_model::MonitorRollup]) -> Vec<Series> {
    let mut hours: BTreeMap<Timestamp, (u32, u32, u64, u32)> = BTreeMap::new();
    for rollup in rollups {
        let entry = hours.entry(rollup.hour).or_default();
        entry.0 += rollup.checks;
        entry.1 += rollup.ups;
        entry.2 += rollup.latency_sum_ms;
        entry.3 += rollup.latency_count;
    }
    if hours.is_empty() {
        return Vec::new();
    }
    let points = hours
        .into_iter()
        .map(|(hour, (checks, ups, sum, count))| Point {
            at: hour,
            value: (count > 0).then(|| (sum / u64::from(count)) as f64),
            ok: ups >= checks,
        })
        .collect();
    vec![Series {
        name: lang.pick("Mọi điểm đo", "Every probe").to_string(),
        points,
    }]
}

/// The set difference `new − old`.
fn added<'a>(old: &[String], new: &'a [String]) -> Vec<&'a String> {
    new.iter().filter(|item| !old.contains(item)).collect()
}

/// A line diff with `+` lines and `-` lines coloured.
fn diff_block(diff: &str) -> Markup {
    html! {
        pre.page-diff {
            @for line in diff.lines() {
                @let class = if line.starts_with('+') { "diff-add" } else if line.starts_with('-') { "diff-del" } else { "diff-same" };
                span class=(class) { (line) "\n" }
            }
        }
    }
}

fn defacement_section(
    state: &AppState,
    ctx: &Ctx,
    monitor: &Monitor,
    baseline: Option<&DefacementBaseline>,
) -> Markup {
    let lang = ctx.lang;
    html! {
        section.card #defacement {
            h2 { (lang.t(Msg::Defacement)) }
            @match baseline {
                None => p.empty { (lang.t(Msg::NoBaseline)) },
                Some(stored) => {
                    (forms::details(&[
                        (lang.t(Msg::BaselineAt), html! { (ctx.time(stored.baseline_at)) }),
                        (lang.t(Msg::ApprovedBy), html! {
                            @match &stored.approved_by {
                                Some(who) => (who),
                                None => span.muted { (lang.t(Msg::CapturedAutomatically)) },
                            }
                        }),
                    ]))
                    @match &stored.candidate {
                        None => p #page-matches { (lang.t(Msg::PageMatchesBaseline)) },
                        Some(candidate) => {
                            @let before = &stored.baseline;
                            @let scripts = added(&before.external_scripts, &candidate.external_scripts);
                            @let iframes = added(&before.iframes, &candidate.iframes);
                            div.notice.error #candidate role="alert" {
                                (lang.t(Msg::CandidateAt)) ": " (stored.candidate_at.map(|t| ctx.time(t)).unwrap_or_default())
                            }
                            table.data.page-changes {
                                tbody {
                                    @if before.title != candidate.title {
                                        tr { th { (lang.t(Msg::PageTitle)) } td { del { (before.title) } " → " ins { (candidate.title) } } }
                                    }
                                    @if before.size != candidate.size {
                                        tr { th { (lang.t(Msg::PageSize)) } td { (before.size) " → " (candidate.size) " B" } }
                                    }
                                    @if !scripts.is_empty() {
                                        tr { th { (lang.t(Msg::NewScripts)) } td { ul.plain { @for s in &scripts { li { code { (s) } } } } } }
                                    }
                                    @if !iframes.is_empty() {
                                        tr { th { (lang.t(Msg::NewIframes)) } td { ul.plain { @for s in &iframes { li { code { (s) } } } } } }
                                    }
                                }
                            }
                            @if !candidate.notes.is_empty() {
                                ul.hint { @for note in &candidate.notes { li { (note) } } }
                            }
                            h3 { (lang.t(Msg::TextChanges)) }
                            @match &state.watch {
                                Some(watch) => (diff_block(&watch.page_diff(before, candidate))),
                                None => p.muted { (lang.t(Msg::DiffUnavailable)) },
                            }
                            @if may_respond(ctx.role()) {
                                form.approve-baseline method="post" action={ "/monitors/" (monitor.id) "/baseline/approve" } {
                                    (forms::csrf_field(&ctx.csrf))
                                    p.hint { (lang.t(Msg::ApproveBaselineHint)) }
                                    button.primary type="submit" { (lang.t(Msg::ApproveBaseline)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn maintenance_section(
    ctx: &Ctx,
    monitor: &Monitor,
    windows: &[MaintenanceWindow],
    values: &FormData,
    errors: &Errors,
) -> Markup {
    let lang = ctx.lang;
    let editor = may_edit(ctx);
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    let action = format!("/monitors/{}/maintenance", monitor.id);
    html! {
        section.card #maintenance {
            h2 { (lang.t(Msg::MaintenanceWindows)) }
            p.hint { (lang.t(Msg::MaintenanceHint)) }
            @if windows.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                table.data {
                    thead { tr { th { (lang.t(Msg::Started)) } th { (lang.t(Msg::Ended)) } th { (lang.t(Msg::Reason)) } @if editor { th {} } } }
                    tbody {
                        @for window in windows {
                            tr data-window=(window.id) {
                                td.nowrap { (ctx.time(window.starts_at)) }
                                td.nowrap { (ctx.time(window.ends_at)) }
                                td { (forms::or_dash(Some(&window.reason))) }
                                @if editor {
                                    td { (forms::action_button(&format!("/monitors/{}/maintenance/{}/delete", monitor.id, window.id), &ctx.csrf, lang.t(Msg::Delete), "danger")) }
                                }
                            }
                        }
                    }
                }
            }
            @if editor {
                (f.summary(&["minutes", "starts_at", "ends_at", "reason"]))
                div.columns {
                    form.inline-form #maintenance-now method="post" action=(action) {
                        (forms::csrf_field(&ctx.csrf))
                        (f.input(lang.t(Msg::MaintenanceMinutes), "minutes", "number", true))
                        (f.input(lang.t(Msg::Reason), "reason", "text", false))
                        button type="submit" { (lang.t(Msg::MaintenanceNow)) }
                    }
                    form.inline-form #maintenance-schedule method="post" action=(action) {
                        (forms::csrf_field(&ctx.csrf))
                        (f.input(lang.t(Msg::StartsAt), "starts_at", "text", true))
                        (f.input(lang.t(Msg::EndsAt), "ends_at", "text", true))
                        (f.input(lang.t(Msg::Reason), "reason", "text", false))
                        button type="submit" { (lang.t(Msg::ScheduleMaintenance)) }
                    }
                }
            }
        }
    }
}

/// Extra things a monitor's page may show after a form was sent.
#[derive(Default)]
struct PageExtras {
    notice: Option<Markup>,
    maintenance_values: Option<FormData>,
    maintenance_errors: Errors,
}

async fn monitor_page(
    state: &AppState,
    ctx: &Ctx,
    monitor: &Monitor,
    extras: PageExtras,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let id = monitor.id;
    let now = Timestamp::now();
    let day_ago = now - SignedDuration::from_hours(24);
    let month_ago = now - SignedDuration::from_hours(30 * 24);
    let asset = state
        .store
        .get_asset(&scope, monitor.input.asset_id)
        .await
        .ok();
    let system = state.store.get_system(&scope, monitor.system_id).await.ok();
    let names = unit_names(state, &scope, &[monitor.unit_id]).await?;
    let latest = state.store.latest_checks_by_probe(&scope, id).await?;
    let availability = availability_of(state, ctx, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let checks = state.store.recent_checks(&scope, id, day_ago, 5000).await?;
    let rollups = state
        .store
        .monitor_rollups(&scope, id, month_ago, now)
        .await?;
    let outages = state.store.outages(&scope, id, 50).await?;
    let windows = state.store.list_maintenance(&scope, Some(id), now).await?;
    let baseline = state.store.defacement_baseline(&scope, id).await?;
    let failing: Vec<&str> = latest
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.probe.as_str())
        .collect();
    let passing: Vec<&str> = latest
        .iter()
        .filter(|c| c.ok)
        .map(|c| c.probe.as_str())
        .collect();
    let input = &monitor.input;
    let maintenance_values = extras
        .maintenance_values
        .unwrap_or_else(|| FormData::from_pairs(vec![("minutes".into(), "60".into())]));
    let body = html! {
        (watch_off(state, lang))
        @if let Some(notice) = extras.notice { (notice) }
        @if !failing.is_empty() && !passing.is_empty() {
            div.notice.error #probes-disagree role="status" {
                (lang.t(Msg::FailingFrom)) " " (failing.join(", ")) ", " (lang.t(Msg::PassingFrom)) " " (passing.join(", "))
            }
        }
        div.columns {
            section {
                (forms::details(&[
                    (lang.t(Msg::Status), html! {
                        (status_badge(lang, monitor.status))
                        @if let Some(since) = monitor.status_since { " " span.muted { (lang.t(Msg::Since)) " " (ctx.time(since)) } }
                    }),
                    (lang.t(Msg::Kind), html! { (i18n::monitor_kind(lang, input.kind)) }),
                    (lang.t(Msg::Target), html! { code { (input.target) } }),
                    (lang.t(Msg::Asset), html! {
                        @match &asset { Some(a) => a href={ "/assets/" (a.id) } { code { (a.value) } }, None => "—" }
                    }),
                    (lang.t(Msg::System), html! {
                        @match &system { Some(s) => a href={ "/systems/" (s.id) } { (s.name) }, None => "—" }
                    }),
                    (lang.t(Msg::Unit), unit_link(lang, &names, monitor.unit_id)),
                    (lang.t(Msg::LastCheck), html! { (monitor.last_check_at.map(|t| ctx.time(t)).unwrap_or_else(|| "—".into())) }),
                    (lang.t(Msg::Latency), html! { (latency(monitor.last_latency_ms)) }),
                    (lang.t(Msg::LastMessage), html! { (forms::or_dash(monitor.last_message.as_deref())) }),
                    (lang.t(Msg::Timing), html! { (input.interval_secs) " s / " (input.timeout_secs) " s · " (lang.t(Msg::Retries)) ": " (input.retries) }),
                    (lang.t(Msg::ProbesShort), html! { (input.probes.join(", ")) }),
                    (lang.t(Msg::MonitorEnabled), html! { (if input.enabled { lang.t(Msg::Yes) } else { lang.t(Msg::No) }) }),
                    (lang.t(Msg::MonitorPublic), html! { (if input.public { lang.t(Msg::Yes) } else { lang.t(Msg::No) }) }),
                    (lang.t(Msg::Conditions), html! {
                        @if input.settings.conditions.is_empty() { "—" } @else {
                            ul.plain { @for c in &input.settings.conditions { li { code { (c) } } } }
                        }
                    }),
                    (lang.t(Msg::Automatic), html! { (if monitor.automatic { lang.t(Msg::Yes) } else { lang.t(Msg::No) }) }),
                ]))
            }
            section {
                section.card #availability {
                    h2 { (lang.t(Msg::Availability)) }
                    table.data {
                        thead { tr { th.num { (lang.t(Msg::Last24h)) } th.num { (lang.t(Msg::Last7d)) } th.num { (lang.t(Msg::Last30d)) } } }
                        tbody { tr {
                            td.num data-availability="day" { (percent(lang, availability.day)) }
                            td.num data-availability="week" { (percent(lang, availability.week)) }
                            td.num data-availability="month" { (percent(lang, availability.month)) }
                        } }
                    }
                }
                section.card #probe-results {
                    h2 { (lang.t(Msg::ProbeResults)) }
                    @if latest.is_empty() { p.empty { (lang.t(Msg::NoMeasurements)) } } @else {
                        table.data {
                            thead { tr { th { (lang.t(Msg::Probe)) } th { (lang.t(Msg::Status)) } th { (lang.t(Msg::When)) } th.num { (lang.t(Msg::Latency)) } th { (lang.t(Msg::Message)) } } }
                            tbody {
                                @for check in &latest {
                                    tr data-probe=(check.probe) {
                                        td { code { (check.probe) } }
                                        td { @if check.ok { span.badge.mon-up { (lang.t(Msg::Passed)) } } @else { span.badge.mon-down { (lang.t(Msg::Failed)) } } }
                                        td.nowrap { (ctx.time(check.at)) }
                                        td.num { (latency(check.latency_ms)) }
                                        td { (check.message) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card #chart-day {
            h2 { (lang.t(Msg::ResponseTime24h)) }
            (response_time_chart(lang, lang.t(Msg::ResponseTime24h), day_ago, now, &ctx.tz, &day_series(&checks)))
        }
        section.card #chart-month {
            h2 { (lang.t(Msg::ResponseTime30d)) }
            (response_time_chart(lang, lang.t(Msg::ResponseTime30d), month_ago, now, &ctx.tz, &month_series(lang, &rollups)))
        }
        section.card #outages {
            h2 { (lang.t(Msg::Outages)) }
            @if outages.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                table.data.timeline {
                    thead { tr { th { (lang.t(Msg::Started)) } th { (lang.t(Msg::Ended)) } th { (lang.t(Msg::Duration)) } th { (lang.t(Msg::Reason)) } } }
                    tbody {
                        @for outage in &outages {
                            tr.outage.open[outage.ended_at.is_none()] data-outage=(outage.id) {
                                td.nowrap { (ctx.time(outage.started_at)) }
                                td.nowrap {
                                    @match outage.ended_at { Some(end) => (ctx.time(end)), None => span.badge.mon-down { (lang.t(Msg::StillDown)) } }
                                }
                                td.nowrap { (duration_text(lang, outage.ended_at.unwrap_or(now).duration_since(outage.started_at))) }
                                td { (outage.reason) }
                            }
                        }
                    }
                }
            }
        }
        (maintenance_section(ctx, monitor, &windows, &maintenance_values, &extras.maintenance_errors))
        @if input.settings.defacement.is_some() || baseline.is_some() {
            (defacement_section(state, ctx, monitor, baseline.as_ref()))
        }
    };
    let heading = html! {
        div.page-heading {
            h1 { (input.name) }
            div.actions {
                @if may_respond(ctx.role()) && state.watch.is_some() {
                    (forms::action_button(&format!("/monitors/{id}/check"), &ctx.csrf, lang.t(Msg::CheckNow), "primary"))
                }
                @if may_edit(ctx) {
                    a.button href={ "/monitors/" (id) "/edit" } { (lang.t(Msg::Edit)) }
                    a.button.danger href={ "/monitors/" (id) "/delete" } { (lang.t(Msg::Delete)) }
                }
                a.button href="/monitors" { (lang.t(Msg::Back)) }
            }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        &input.name,
        heading,
        body,
    ))
}

/// `GET /monitors/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let monitor = state.store.get_monitor(&ctx.scope(), id).await?;
    monitor_page(&state, &ctx, &monitor, PageExtras::default()).await
}

fn error_notice(text: &str, detail: &str) -> Markup {
    html! { div.notice.error role="alert" { p { strong { (text) } } @if !detail.is_empty() { p { (detail) } } } }
}

/// `POST /monitors/{id}/check`: runs a check now through the watch engine.
pub async fn check_now(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let monitor = state.store.get_monitor(&ctx.scope(), id).await?;
    ctx.require(may_respond(ctx.role()))?;
    let outcome = match &state.watch {
        Some(watch) => watch.check_now(&monitor).await,
        None => Err(String::new()),
    };
    match outcome {
        Ok(_) => {
            state.alert_counts.forget();
            Ok(see_other(&format!("/monitors/{id}")))
        }
        Err(message) => {
            tracing::warn!(monitor = id, %message, "check now failed");
            let notice = error_notice(ctx.t(Msg::CheckFailed), &message);
            let extras = PageExtras {
                notice: Some(notice),
                ..PageExtras::default()
            };
            let page = monitor_page(&state, &ctx, &monitor, extras).await?;
            Ok((StatusCode::SERVICE_UNAVAILABLE, page).into_response())
        }
    }
}

/// `POST /monitors/{id}/baseline/approve`: the page as it is now becomes the baseline.
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let monitor = state.store.get_monitor(&ctx.scope(), id).await?;
    ctx.require(may_respond(ctx.role()))?;
    match state.store.approve_candidate(&ctx.actor(), id).await {
        Ok(_) => {
            state.alert_counts.forget();
            Ok(see_other(&format!("/monitors/{id}#defacement")))
        }
        Err(StoreError::Invalid(error)) => {
            let notice = error_notice(ctx.t(Msg::FormHasErrors), &error.message);
            let extras = PageExtras {
                notice: Some(notice),
                ..PageExtras::default()
            };
            Ok(forms::unprocessable(
                monitor_page(&state, &ctx, &monitor, extras).await?,
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /monitors/{id}/maintenance`: `minutes` from now, or `starts_at` and `ends_at`.
pub async fn add_maintenance(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    let monitor = state.store.get_monitor(&ctx.scope(), id).await?;
    ctx.require(may_edit(&ctx))?;
    let lang = ctx.lang;
    let mut errors = Errors::default();
    let minutes = match form.get("minutes").trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(minutes) => Some(minutes),
            Err(_) => {
                errors.add("minutes", lang.t(Msg::InvalidNumber));
                None
            }
        },
    };
    if errors.is_empty() {
        let request = MaintenanceRequest {
            minutes,
            starts_at: forms::opt_text(&form, "starts_at"),
            ends_at: forms::opt_text(&form, "ends_at"),
            reason: form.get("reason").to_string(),
        };
        match request.window(id, Timestamp::now(), &ctx.tz) {
            Ok(window) => match state.store.create_maintenance(&ctx.actor(), window).await {
                Ok(_) => return Ok(see_other(&format!("/monitors/{id}#maintenance"))),
                Err(error) => errors.store_error(lang, error)?,
            },
            Err(error) => errors.field_error(lang, &error),
        }
    }
    let extras = PageExtras {
        notice: None,
        maintenance_values: Some(form),
        maintenance_errors: errors,
    };
    Ok(forms::unprocessable(
        monitor_page(&state, &ctx, &monitor, extras).await?,
    ))
}

/// `POST /monitors/{id}/maintenance/{window_id}/delete`.
pub async fn delete_maintenance(
    State(state): State<AppState>,
    Path((id, window_id)): Path<(Id, Id)>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let scope = ctx.scope();
    state.store.get_monitor(&scope, id).await?;
    ctx.require(may_edit(&ctx))?;
    let windows = state
        .store
        .list_maintenance(&scope, Some(id), Timestamp::now())
        .await?;
    if !windows.iter().any(|w| w.id == window_id) {
        return Err(PageError::NotFound);
    }
    state
        .store
        .delete_maintenance(&ctx.actor(), window_id)
        .await?;
    Ok(see_other(&format!("/monitors/{id}#maintenance")))
}

/// The monitors of an asset, for its page, with a link to add one.
pub async fn asset_section(state: &AppState, ctx: &Ctx, asset_id: Id) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let filter = MonitorFilter {
        asset_id: Some(asset_id),
        ..MonitorFilter::default()
    };
    let page = state
        .store
        .list_monitors(&ctx.scope(), &filter, &PageRequest::new(1, 100))
        .await?;
    let ids: Vec<Id> = page.items.iter().map(|m| m.id).collect();
    let availability = availability_of(state, ctx, &ids).await?;
    Ok(html! {
        section.card #asset-monitors {
            div.section-heading {
                h2 { (lang.t(Msg::MonitorsOfAsset)) " (" (page.total) ")" }
                @if may_edit(ctx) {
                    div.actions { a.button #add-monitor href={ "/monitors/new?asset_id=" (asset_id) } { (lang.t(Msg::AddMonitor)) } }
                }
            }
            @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                (table(ctx, &page.items, &availability))
            }
        }
    })
}

/// The dashboard's card: monitors in scope by status.
pub async fn dashboard_card(state: &AppState, ctx: &Ctx) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let summary = state.store.watch_summary(&ctx.scope()).await?;
    let rows = [
        ("monitors-up", MonitorStatus::Up, summary.up),
        ("monitors-down", MonitorStatus::Down, summary.down),
        (
            "monitors-flapping",
            MonitorStatus::Flapping,
            summary.flapping,
        ),
    ];
    Ok(html! {
        section.card #monitors-card {
            h2 { a href="/monitors" { (lang.t(Msg::MonitorsByStatus)) } }
            p { a href="/monitors" { strong data-count="monitors-total" { (summary.total) } " " (lang.t(Msg::Monitors).to_lowercase()) } }
            table.data {
                tbody {
                    @for (key, status, count) in rows {
                        tr data-monitor-status=(status.code()) {
                            td { (status_badge(lang, status)) }
                            td.num { a href={ "/monitors?status=" (status.code()) } data-count=(key) { (count) } }
                        }
                    }
                    tr { td { (lang.t(Msg::Other)) } td.num { (summary.other) } }
                }
            }
            (watch_off(state, lang))
        }
    })
}

/// `GET /status`: the public status page (no sign-in): public monitors' names, states and
/// availability, and nothing else.
pub async fn public_status(State(state): State<AppState>, lang: Lang) -> Result<Markup, PageError> {
    let monitors = state.store.public_status(Timestamp::now()).await?;
    let title = lang.t(Msg::PublicStatus);
    let body = html! {
        p.hint { (lang.t(Msg::PublicStatusHint)) }
        @if monitors.is_empty() { p.empty { (lang.t(Msg::NoPublicMonitors)) } } @else {
            table.data.public-status {
                thead { tr {
                    th { (lang.t(Msg::Name)) } th { (lang.t(Msg::Status)) }
                    th.num { (lang.t(Msg::Last24h)) } th.num { (lang.t(Msg::Last7d)) } th.num { (lang.t(Msg::Last30d)) }
                } }
                tbody {
                    @for monitor in &monitors {
                        tr {
                            td { (monitor.name) }
                            td { (status_badge(lang, monitor.status)) }
                            td.num { (percent(lang, monitor.availability.day)) }
                            td.num { (percent(lang, monitor.availability.week)) }
                            td.num { (percent(lang, monitor.availability.month)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &Chrome::anonymous(lang, "/status".to_string()),
        title,
        body,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_durations_read_naturally() {
        assert_eq!(percent(Lang::Vi, Some(99.5)), "99,50 %");
        assert_eq!(percent(Lang::En, Some(100.0)), "100.00%");
        assert_eq!(percent(Lang::Vi, None), "—");
        let d = |m: i64| SignedDuration::from_mins(m);
        assert_eq!(duration_text(Lang::Vi, d(125)), "2 giờ 5 phút");
        assert_eq!(duration_text(Lang::Vi, d(60 * 24 * 3 + 5)), "3 ngày");
        assert_eq!(duration_text(Lang::En, d(45)), "45 min");
        assert_eq!(
            duration_text(Lang::Vi, SignedDuration::from_secs(20)),
            "dưới 1 phút"
        );
    }

    #[test]
    fn the_form_reads_every_setting_and_round_trips() {
        let mut input =
            MonitorInput::new(4, "Cổng tỉnh", MonitorKind::Http, "https://tinh.gov.vn/");
        input.settings.conditions = vec!["[STATUS] == 200".into(), "[RESPONSE_TIME] < 2000".into()];
        input.settings.body_contains = vec!["Cổng thông tin".into()];
        input.settings.defacement = Some(DefacementSettings {
            ignore_selectors: vec![".tin-moi".into()],
            change_threshold: 0.25,
            markers: vec!["hacked by".into()],
        });
        input.settings.cert_warn_days = vec![21, 7];
        input.public = true;
        input.probes = vec!["local".into(), "ngoai-mang".into()];
        let mut errors = Errors::default();
        let parsed = parse_form(&values_of(&input), Lang::Vi, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(parsed, input);

        let form = FormData::from_pairs(vec![
            ("asset_id".into(), "4".into()),
            ("kind".into(), "dns".into()),
            ("interval_secs".into(), "mười".into()),
            ("cert_warn_days".into(), "30, x".into()),
            ("defacement".into(), "1".into()),
            ("change_threshold".into(), "0,5".into()),
        ]);
        let mut errors = Errors::default();
        let parsed = parse_form(&form, Lang::Vi, &mut errors);
        assert!(errors.get("interval_secs").is_some());
        assert!(errors.get("cert_warn_days").is_some());
        assert_eq!(parsed.settings.defacement.unwrap().change_threshold, 0.5);
        assert_eq!(form_field("settings.record_type"), "record_type");
        assert_eq!(
            form_field("settings.defacement.change_threshold"),
            "change_threshold"
        );
        assert_eq!(form_field("target"), "target");
        assert_eq!(form_field("settings.conditions[1]"), "conditions");
    }
}
