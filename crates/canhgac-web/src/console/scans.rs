//! Scans (Rà quét): the history with a "Rà quét ngay" form (a system and a profile), a run's page
//! (progress that refreshes while it runs, services found, the diff of findings: new, fixed,
//! still open), the schedules of systems (add, edit, delete, and the usual defaults in one
//! click), and the scan view of a finding's evidence.
//!
//! The server's worker does the scanning; these pages only queue runs and read them.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use canhgac_model::scan_run::{
    scan_profile_label_en, scan_profile_label_vi, ScanFilter, ScanFrequency, ScanRun, ScanSchedule,
    ScanScheduleInput, ScanStatus, SCAN_PROFILES,
};
use canhgac_model::{Finding, Id, SystemKind};
use maud::{html, Markup};

use super::alerts::severity_badge;
use super::error::PageError;
use super::findings::status_badge;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{Lang, Msg};
use super::layout;
use super::session::{see_other, CsrfForm, Ctx};
use crate::api::error::ApiError;
use crate::api::may_respond;
use crate::api::scans::{scan_detail, scan_request, NewScan, ScanDetail};
use crate::AppState;

/// Seconds between refreshes of a running scan's page.
const REFRESH_SECS: u32 = 2;

fn title(lang: Lang) -> &'static str {
    lang.pick("Rà quét", "Scans")
}

/// A profile's name in the page's language.
pub fn profile_label(lang: Lang, profile: &str) -> &'static str {
    lang.pick(
        scan_profile_label_vi(profile),
        scan_profile_label_en(profile),
    )
}

fn profile_options(lang: Lang) -> Vec<(String, String)> {
    SCAN_PROFILES
        .iter()
        .map(|p| (p.to_string(), profile_label(lang, p).to_string()))
        .collect()
}

/// A run's state as a badge.
pub fn status_badge_of(lang: Lang, status: ScanStatus) -> Markup {
    let class = match status {
        ScanStatus::Done => "mon-up",
        ScanStatus::Failed => "mon-down",
        ScanStatus::Running | ScanStatus::Queued => "mon-pending",
        ScanStatus::Cancelled => "mon-paused",
    };
    html! {
        span class={ "badge " (class) } data-scan-status=(status.code()) {
            (lang.pick(status.label_vi(), status.label_en()))
        }
    }
}

fn percent(run: &ScanRun) -> u32 {
    (run.progress * 100.0).round().clamp(0.0, 100.0) as u32
}

/// Puts an API refusal (the scope check's Vietnamese message) next to its form field.
fn api_error_to_form(err: ApiError, errors: &mut Errors) -> Result<(), PageError> {
    let problem = err.problem();
    match problem.status {
        400 | 409 | 422 => {
            errors.add(
                problem.field.as_deref().unwrap_or("system_id"),
                problem.detail.unwrap_or(problem.title),
            );
            Ok(())
        }
        403 => Err(PageError::Forbidden),
        404 => Err(PageError::NotFound),
        _ => Err(PageError::Internal(problem.detail.unwrap_or(problem.title))),
    }
}

async fn system_options(state: &AppState, ctx: &Ctx) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .store
        .system_names(&ctx.scope())
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

fn scan_now_form(
    ctx: &Ctx,
    systems: &[(String, String)],
    values: &FormData,
    errors: &Errors,
) -> Markup {
    let lang = ctx.lang;
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    html! {
        form.card.entity-form #scan-now method="post" action="/scans" {
            h2 { (lang.pick("Rà quét ngay", "Scan now")) }
            (forms::csrf_field(&ctx.csrf))
            (f.summary(&["system_id", "profile", "targets"]))
            (f.select(lang.pick("Hệ thống", "System"), "system_id", systems, Some("—"), false))
            (f.select(lang.pick("Hồ sơ rà quét", "Profile"), "profile", &profile_options(lang), None, true))
            (f.input(
                lang.pick("Hoặc các mục tiêu (cách nhau bởi dấu phẩy, phải thuộc danh mục)", "Or targets (comma-separated, must be in the inventory)"),
                "targets",
                "text",
                false,
            ))
            div.actions { button.primary type="submit" { (lang.pick("Rà quét ngay", "Scan now")) } }
        }
    }
}

fn runs_table(ctx: &Ctx, runs: &[ScanRun]) -> Markup {
    let lang = ctx.lang;
    html! {
        table.data #scans {
            thead { tr {
                th { "#" }
                th { (lang.pick("Hệ thống / mục tiêu", "System / targets")) }
                th { (lang.pick("Hồ sơ", "Profile")) }
                th { (lang.t(Msg::Status)) }
                th { (lang.pick("Yêu cầu bởi", "Requested by")) }
                th { (lang.pick("Thời điểm", "Queued")) }
                th.num { (lang.pick("Mới", "New")) }
                th.num { (lang.pick("Đã khắc phục", "Fixed")) }
            } }
            tbody {
                @for run in runs {
                    tr data-scan=(run.id) {
                        td { a href={ "/scans/" (run.id) } { "#" (run.id) } }
                        td {
                            @match &run.system_name {
                                Some(name) => { (name) },
                                None => code { (run.targets.join(", ")) },
                            }
                        }
                        td { (profile_label(lang, &run.profile)) }
                        td {
                            (status_badge_of(lang, run.status))
                            @if run.status == ScanStatus::Running { " " (percent(run)) "%" }
                        }
                        td { (run.requested_by) }
                        td { (ctx.time(run.created_at)) }
                        td.num { (run.findings_created + run.findings_reopened) }
                        td.num { (run.findings_fixed) }
                    }
                }
            }
        }
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    params: &Params,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let filter = ScanFilter {
        status: params.get("status").and_then(|s| ScanStatus::from_code(s)),
        system_id: forms::param_id(params, "system_id"),
    };
    let page = state
        .store
        .list_scans(&ctx.scope(), &filter, &forms::page_request(params))
        .await?;
    let systems = system_options(state, ctx).await?;
    let body = html! {
        @if may_respond(ctx.role()) { (scan_now_form(ctx, &systems, values, errors)) }
        section.card {
            h2 { (lang.pick("Lịch sử rà quét", "Scan history")) }
            @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
                (runs_table(ctx, &page.items))
            }
            (forms::pager(lang, "/scans", params, &page))
        }
    };
    let heading = html! {
        div.page-heading {
            h1 { (title(lang)) }
            div.actions { a.button href="/scans/schedules" { (lang.pick("Lịch rà quét", "Schedules")) } }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        title(lang),
        heading,
        body,
    ))
}

/// `GET /scans`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let values = FormData::from_pairs(vec![("profile".into(), "quick".into())]);
    list_page(&state, &ctx, &params, &values, &Errors::default()).await
}

/// `POST /scans` (system_id or targets, profile).
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let mut errors = Errors::default();
    let system_id = forms::opt_id(&form, "system_id", ctx.lang, &mut errors);
    let request = NewScan {
        system_id,
        targets: form
            .get("targets")
            .split([',', '\n', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        profile: form.get("profile").to_string(),
    };
    if errors.is_empty() {
        match scan_request(&state, &ctx.scope(), &request).await {
            Ok(request) => match state.store.create_scan(&ctx.actor(), &request).await {
                Ok(run) => return Ok(see_other(&format!("/scans/{}", run.id))),
                Err(err) => errors.store_error(ctx.lang, err)?,
            },
            Err(err) => api_error_to_form(err, &mut errors)?,
        }
    }
    Ok(forms::unprocessable(
        list_page(&state, &ctx, &Params::default(), &form, &errors).await?,
    ))
}

fn findings_table(ctx: &Ctx, id: &str, findings: &[Finding]) -> Markup {
    let lang = ctx.lang;
    html! {
        @if findings.is_empty() { p.empty id=(id) { (lang.pick("Không có.", "None.")) } } @else {
            table.data id=(id) {
                thead { tr {
                    th { (lang.t(Msg::Severity)) }
                    th { (lang.pick("Phát hiện", "Finding")) }
                    th { (lang.t(Msg::Host)) }
                    th { (lang.t(Msg::Status)) }
                } }
                tbody {
                    @for f in findings {
                        tr data-finding=(f.id) data-key=(f.key) {
                            td { (severity_badge(lang, f.severity)) }
                            td { a href={ "/findings/" (f.id) } { (finding_title(lang, f)) } }
                            td { (forms::or_dash(f.host.as_deref())) }
                            td { (status_badge(lang, f.status)) }
                        }
                    }
                }
            }
        }
    }
}

fn report_section(lang: Lang, report: &serde_json::Value) -> Markup {
    let hosts = report["hosts"].as_array().cloned().unwrap_or_default();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    html! {
        section.card #services {
            h2 { (lang.pick("Dịch vụ tìm thấy", "Services found")) }
            @if hosts.is_empty() { p.empty { (lang.pick("Không có máy nào trả lời.", "No host answered.")) } }
            @for host in &hosts {
                h3 { code { (text(&host["name"])) } " (" (text(&host["ip"])) ")" }
                @let services = host["services"].as_array().cloned().unwrap_or_default();
                @if services.is_empty() { p.muted { (lang.pick("Không có cổng mở.", "No open port.")) } } @else {
                    table.data.services {
                        thead { tr {
                            th.num { (lang.pick("Cổng", "Port")) }
                            th { (lang.pick("Dịch vụ", "Service")) }
                            th { (lang.pick("Sản phẩm", "Product")) }
                        } }
                        tbody {
                            @for s in &services {
                                tr data-port=(text(&s["port"])) {
                                    td.num { (text(&s["port"])) }
                                    td { (text(&s["service"])) @if s["tls"].as_bool() == Some(true) { " (TLS)" } }
                                    td { (text(&s["product"])) " " (text(&s["version"])) }
                                }
                            }
                        }
                    }
                }
                @let web = host["web"].as_array().cloned().unwrap_or_default();
                @if !web.is_empty() {
                    ul.web-pages {
                        @for page in &web {
                            li { code { (text(&page["url"])) } " — " (text(&page["status"])) " " em { (text(&page["title"])) } }
                        }
                    }
                }
            }
            @if let Some(skipped) = report["skipped"].as_array().filter(|s| !s.is_empty()) {
                p.muted { (lang.pick("Bỏ qua: ", "Skipped: ")) (skipped.iter().map(text).collect::<Vec<_>>().join(", ")) }
            }
        }
    }
}

fn detail_page(ctx: &Ctx, detail: &ScanDetail) -> Markup {
    let lang = ctx.lang;
    let run = &detail.run;
    let body = html! {
        section.card {
            (forms::details(&[
                (lang.t(Msg::Status), html! { (status_badge_of(lang, run.status)) }),
                (lang.pick("Tiến độ", "Progress"), html! {
                    progress #scan-progress max="100" value=(percent(run)) {}
                    " " span data-progress=(percent(run)) { (percent(run)) "%" }
                    @if let Some(phase) = &run.phase { " · " (phase) }
                }),
                (lang.pick("Hệ thống", "System"), html! {
                    @match (run.system_id, &run.system_name) {
                        (Some(id), Some(name)) => a href={ "/systems/" (id) } { (name) },
                        _ => "—",
                    }
                }),
                (lang.pick("Mục tiêu", "Targets"), html! { code { (run.targets.join(", ")) } }),
                (lang.pick("Hồ sơ", "Profile"), html! { (profile_label(lang, &run.profile)) }),
                (lang.pick("Yêu cầu bởi", "Requested by"), html! { (run.requested_by) }),
                (lang.pick("Xếp hàng lúc", "Queued"), html! { (ctx.time(run.created_at)) }),
                (lang.pick("Bắt đầu", "Started"), html! { (run.started_at.map_or("—".into(), |t| ctx.time(t))) }),
                (lang.pick("Kết thúc", "Finished"), html! { (run.finished_at.map_or("—".into(), |t| ctx.time(t))) }),
                (lang.pick("Máy / cổng mở / vấn đề", "Hosts / open ports / issues"), html! {
                    span #scan-counts { (run.hosts) " / " (run.open_ports) " / " (run.issues) }
                }),
                (lang.pick("Phát hiện: mới / cũ còn / mở lại / đã khắc phục", "Findings: new / still open / reopened / fixed"), html! {
                    span #scan-outcome { (run.findings_created) " / " (run.findings_updated) " / " (run.findings_reopened) " / " (run.findings_fixed) }
                }),
            ]))
            @if let Some(error) = &run.error {
                div.notice.error #scan-error role="alert" { (error) }
            }
        }
        @if run.status == ScanStatus::Done {
            section.card {
                h2 { (lang.pick("Phát hiện mới", "New findings")) " (" (detail.new.len()) ")" }
                (findings_table(ctx, "scan-new", &detail.new))
            }
            section.card {
                h2 { (lang.pick("Đã khắc phục", "Fixed")) " (" (detail.fixed.len()) ")" }
                (findings_table(ctx, "scan-fixed", &detail.fixed))
            }
            section.card {
                h2 { (lang.pick("Vẫn còn", "Still open")) " (" (detail.still_open.len()) ")" }
                (findings_table(ctx, "scan-open", &detail.still_open))
            }
        }
        @if let Some(report) = &run.report { (report_section(lang, report)) }
    };
    let heading_title = format!("{} #{}", lang.pick("Lần rà quét", "Scan"), run.id);
    let heading = html! {
        div.page-heading {
            h1 { (heading_title) }
            div.actions {
                @if run.status.is_active() && may_respond(ctx.role()) {
                    (forms::action_button(&format!("/scans/{}/cancel", run.id), &ctx.csrf, lang.pick("Hủy", "Cancel"), "danger"))
                    " "
                }
                a.button href="/scans" { (lang.t(Msg::Back)) }
            }
        }
    };
    let refresh = run.status.is_active().then_some(REFRESH_SECS);
    layout::page_refreshing(&ctx.chrome(), &heading_title, heading, body, refresh)
}

/// `GET /scans/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let detail =
        scan_detail(&state, &ctx.scope(), id)
            .await
            .map_err(|e| match e.problem().status {
                404 => PageError::NotFound,
                403 => PageError::Forbidden,
                _ => PageError::Internal(e.problem().title),
            })?;
    Ok(detail_page(&ctx, &detail))
}

/// `POST /scans/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    state.store.get_scan(&ctx.scope(), id).await?;
    ctx.require(may_respond(ctx.role()))?;
    match state.store.cancel_scan(&ctx.actor(), id).await {
        Ok(_) => Ok(see_other(&format!("/scans/{id}"))),
        Err(err) => Err(forms::delete_refused(err)),
    }
}

// ---- schedules ----

fn weekday_label(lang: Lang, day: u8) -> &'static str {
    match (lang, day) {
        (Lang::Vi, 1) => "Thứ Hai",
        (Lang::Vi, 2) => "Thứ Ba",
        (Lang::Vi, 3) => "Thứ Tư",
        (Lang::Vi, 4) => "Thứ Năm",
        (Lang::Vi, 5) => "Thứ Sáu",
        (Lang::Vi, 6) => "Thứ Bảy",
        (Lang::Vi, _) => "Chủ nhật",
        (Lang::En, 1) => "Monday",
        (Lang::En, 2) => "Tuesday",
        (Lang::En, 3) => "Wednesday",
        (Lang::En, 4) => "Thursday",
        (Lang::En, 5) => "Friday",
        (Lang::En, 6) => "Saturday",
        (Lang::En, _) => "Sunday",
    }
}

fn when_label(lang: Lang, input: &ScanScheduleInput) -> String {
    match (input.frequency, input.weekday) {
        (ScanFrequency::Weekly, Some(day)) => format!(
            "{} {} {}",
            lang.pick("Hằng tuần,", "Weekly,"),
            weekday_label(lang, day),
            input.time
        ),
        _ => format!("{} {}", lang.pick("Hằng ngày", "Daily at"), input.time),
    }
}

/// The usual schedules of a kind of system: a portal daily quick and weekly full, an email
/// system daily mail, anything else weekly quick.
pub fn default_schedules(kind: SystemKind) -> Vec<ScanScheduleInput> {
    let schedule = |profile: &str, frequency, weekday, time: &str| ScanScheduleInput {
        profile: profile.into(),
        frequency,
        weekday,
        time: time.into(),
        enabled: true,
    };
    match kind {
        SystemKind::Portal => vec![
            schedule("quick", ScanFrequency::Daily, None, "02:00"),
            schedule("full", ScanFrequency::Weekly, Some(7), "03:00"),
        ],
        SystemKind::Email => vec![schedule("mail", ScanFrequency::Daily, None, "02:30")],
        _ => vec![schedule("quick", ScanFrequency::Weekly, Some(6), "02:00")],
    }
}

fn schedule_fields(
    ctx: &Ctx,
    systems: Option<&[(String, String)]>,
    values: &FormData,
    errors: &Errors,
) -> Markup {
    let lang = ctx.lang;
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    let frequencies = vec![
        (
            "daily".to_string(),
            lang.pick("Hằng ngày", "Daily").to_string(),
        ),
        (
            "weekly".to_string(),
            lang.pick("Hằng tuần", "Weekly").to_string(),
        ),
    ];
    let weekdays: Vec<(String, String)> = (1..=7u8)
        .map(|d| (d.to_string(), weekday_label(lang, d).to_string()))
        .collect();
    html! {
        (f.summary(&["system_id", "profile", "frequency", "weekday", "time"]))
        @if let Some(systems) = systems {
            (f.select(lang.pick("Hệ thống", "System"), "system_id", systems, None, true))
        }
        (f.select(lang.pick("Hồ sơ rà quét", "Profile"), "profile", &profile_options(lang), None, true))
        (f.select(lang.pick("Tần suất", "Frequency"), "frequency", &frequencies, None, true))
        (f.select(lang.pick("Ngày trong tuần (lịch hằng tuần)", "Weekday (weekly)"), "weekday", &weekdays, Some("—"), false))
        (f.input(lang.pick("Giờ (HH:MM, giờ Việt Nam)", "Time (HH:MM, Vietnam time)"), "time", "text", true))
        (f.checkbox(lang.pick("Đang bật", "Enabled"), "enabled"))
    }
}

fn read_schedule(ctx: &Ctx, form: &FormData, errors: &mut Errors) -> Option<ScanScheduleInput> {
    let frequency: Option<ScanFrequency> = forms::req_enum(form, "frequency", ctx.lang, errors);
    let weekday = forms::opt_u8(form, "weekday", ctx.lang, errors);
    let input = ScanScheduleInput {
        profile: form.get("profile").trim().to_string(),
        frequency: frequency?,
        weekday,
        time: form.get("time").trim().to_string(),
        enabled: form.checked("enabled"),
    };
    errors.model_check(ctx.lang, input.validate().map(|_| ()));
    Some(input)
}

fn schedule_values(input: &ScanScheduleInput) -> FormData {
    FormData::from_pairs(vec![
        ("profile".into(), input.profile.clone()),
        ("frequency".into(), input.frequency.code().into()),
        (
            "weekday".into(),
            input.weekday.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("time".into(), input.time.clone()),
        (
            "enabled".into(),
            if input.enabled { "1" } else { "" }.into(),
        ),
    ])
}

fn schedules_table(ctx: &Ctx, schedules: &[ScanSchedule]) -> Markup {
    let lang = ctx.lang;
    let editable = may_respond(ctx.role());
    html! {
        table.data #scan-schedules {
            thead { tr {
                th { (lang.pick("Hệ thống", "System")) }
                th { (lang.pick("Hồ sơ", "Profile")) }
                th { (lang.pick("Lịch", "When")) }
                th { (lang.pick("Lần chạy tới", "Next run")) }
                th { (lang.pick("Lần gần nhất", "Last scan")) }
                @if editable { th {} }
            } }
            tbody {
                @for s in schedules {
                    tr data-schedule=(s.id) data-profile=(s.input.profile) {
                        td { a href={ "/systems/" (s.system_id) } { (s.system_name) } }
                        td { (profile_label(lang, &s.input.profile)) }
                        td {
                            (when_label(lang, &s.input))
                            @if !s.input.enabled { " " span.badge.mon-paused { (lang.pick("Tắt", "Off")) } }
                        }
                        td { (ctx.time(s.next_run_at)) }
                        td { @match s.last_scan_id { Some(id) => a href={ "/scans/" (id) } { "#" (id) }, None => "—" } }
                        @if editable {
                            td {
                                a.button href={ "/scans/schedules/" (s.id) "/edit" } { (ctx.t(Msg::Edit)) }
                                " "
                                (forms::action_button(&format!("/scans/schedules/{}/delete", s.id), &ctx.csrf, ctx.t(Msg::Delete), "danger"))
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn schedules_page(
    state: &AppState,
    ctx: &Ctx,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let schedules = state.store.list_scan_schedules(&ctx.scope(), None).await?;
    let systems = state
        .store
        .list_systems(
            &ctx.scope(),
            &Default::default(),
            &canhgac_model::PageRequest::new(1, 500),
        )
        .await?
        .items;
    let system_options: Vec<(String, String)> = systems
        .iter()
        .map(|s| (s.id.to_string(), s.name.clone()))
        .collect();
    let editable = may_respond(ctx.role());
    let body = html! {
        section.card {
            @if schedules.is_empty() { p.empty { (lang.pick("Chưa có lịch rà quét nào.", "No scan schedule yet.")) } } @else {
                (schedules_table(ctx, &schedules))
            }
        }
        @if editable {
            section.card #schedule-defaults {
                h2 { (lang.pick("Lịch mặc định", "Default schedules")) }
                p.hint { (lang.pick(
                    "Cổng thông tin: rà quét nhanh hằng ngày và đầy đủ hằng tuần; thư điện tử: rà quét thư hằng ngày; hệ thống khác: nhanh hằng tuần.",
                    "Portals: quick daily and full weekly; email: mail daily; other systems: quick weekly.",
                )) }
                table.data {
                    tbody {
                        @for s in &systems {
                            tr data-system=(s.id) {
                                td { (s.name) }
                                td { (default_schedules(s.kind).iter().map(|d| format!("{} · {}", profile_label(lang, &d.profile), when_label(lang, d))).collect::<Vec<_>>().join("; ")) }
                                td {
                                    form.inline method="post" action="/scans/schedules/defaults" {
                                        (forms::csrf_field(&ctx.csrf))
                                        input type="hidden" name="system_id" value=(s.id);
                                        button type="submit" { (lang.pick("Thêm lịch mặc định", "Add the defaults")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.card.entity-form #new-schedule method="post" action="/scans/schedules" {
                h2 { (lang.pick("Thêm lịch", "Add a schedule")) }
                (forms::csrf_field(&ctx.csrf))
                (schedule_fields(ctx, Some(system_options.as_slice()), values, errors))
                div.actions { button.primary type="submit" { (lang.t(Msg::Save)) } }
            }
        }
    };
    let page_title = lang.pick("Lịch rà quét", "Scan schedules");
    let heading = html! {
        div.page-heading {
            h1 { (page_title) }
            div.actions { a.button href="/scans" { (title(lang)) } }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        page_title,
        heading,
        body,
    ))
}

fn new_schedule_values() -> FormData {
    FormData::from_pairs(vec![
        ("profile".into(), "quick".into()),
        ("frequency".into(), "daily".into()),
        ("time".into(), "02:00".into()),
        ("enabled".into(), "1".into()),
    ])
}

/// `GET /scans/schedules`.
pub async fn schedules(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, PageError> {
    schedules_page(&state, &ctx, &new_schedule_values(), &Errors::default()).await
}

/// `POST /scans/schedules`.
pub async fn create_schedule(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let mut errors = Errors::default();
    let system_id = forms::req_id(&form, "system_id", ctx.lang, &mut errors);
    let input = read_schedule(&ctx, &form, &mut errors);
    if let (true, Some(input)) = (errors.is_empty(), input) {
        match state
            .store
            .create_scan_schedule(&ctx.actor(), system_id, &input)
            .await
        {
            Ok(_) => return Ok(see_other("/scans/schedules")),
            Err(err) => errors.store_error(ctx.lang, err)?,
        }
    }
    Ok(forms::unprocessable(
        schedules_page(&state, &ctx, &form, &errors).await?,
    ))
}

/// `POST /scans/schedules/defaults` (system_id): adds the usual schedules of the system's kind
/// that it does not have yet.
pub async fn create_defaults(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let mut errors = Errors::default();
    let system_id = forms::req_id(&form, "system_id", ctx.lang, &mut errors);
    if !errors.is_empty() {
        return Err(PageError::BadRequest("system_id".into()));
    }
    let system = state.store.get_system(&ctx.scope(), system_id).await?;
    let existing = state
        .store
        .list_scan_schedules(&ctx.scope(), Some(system_id))
        .await?;
    for input in default_schedules(system.kind) {
        let known = existing
            .iter()
            .any(|s| s.input.profile == input.profile && s.input.frequency == input.frequency);
        if !known {
            state
                .store
                .create_scan_schedule(&ctx.actor(), system_id, &input)
                .await?;
        }
    }
    Ok(see_other("/scans/schedules"))
}

fn edit_page(ctx: &Ctx, schedule: &ScanSchedule, values: &FormData, errors: &Errors) -> Markup {
    let lang = ctx.lang;
    forms::form_page(
        &ctx.chrome(),
        &format!(
            "{} · {}",
            lang.pick("Sửa lịch rà quét", "Edit scan schedule"),
            schedule.system_name
        ),
        &format!("/scans/schedules/{}", schedule.id),
        "/scans/schedules",
        schedule_fields(ctx, None, values, errors),
    )
}

/// `GET /scans/schedules/{id}/edit`.
pub async fn edit_schedule(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let schedule = state.store.get_scan_schedule(&ctx.scope(), id).await?;
    ctx.require(may_respond(ctx.role()))?;
    Ok(edit_page(
        &ctx,
        &schedule,
        &schedule_values(&schedule.input),
        &Errors::default(),
    ))
}

/// `POST /scans/schedules/{id}`.
pub async fn update_schedule(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    let schedule = state.store.get_scan_schedule(&ctx.scope(), id).await?;
    ctx.require(may_respond(ctx.role()))?;
    let mut errors = Errors::default();
    let input = read_schedule(&ctx, &form, &mut errors);
    if let (true, Some(input)) = (errors.is_empty(), input) {
        match state
            .store
            .update_scan_schedule(&ctx.actor(), id, &input)
            .await
        {
            Ok(_) => return Ok(see_other("/scans/schedules")),
            Err(err) => errors.store_error(ctx.lang, err)?,
        }
    }
    Ok(forms::unprocessable(edit_page(
        &ctx, &schedule, &form, &errors,
    )))
}

/// `POST /scans/schedules/{id}/delete`.
pub async fn delete_schedule(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    state.store.get_scan_schedule(&ctx.scope(), id).await?;
    ctx.require(may_respond(ctx.role()))?;
    state.store.delete_scan_schedule(&ctx.actor(), id).await?;
    Ok(see_other("/scans/schedules"))
}

// ---- a scan finding's evidence ----

/// A finding's title in the page's language (scan findings carry an English one).
pub fn finding_title(lang: Lang, finding: &Finding) -> String {
    match lang {
        Lang::En => finding.evidence["title_en"]
            .as_str()
            .filter(|t| !t.is_empty())
            .unwrap_or(&finding.title)
            .to_string(),
        Lang::Vi => finding.title.clone(),
    }
}

/// A finding's remediation in the page's language.
pub fn finding_remediation(lang: Lang, finding: &Finding) -> Option<String> {
    let english = finding.evidence["remediation_en"]
        .as_str()
        .filter(|t| !t.is_empty());
    match (lang, english) {
        (Lang::En, Some(text)) => Some(text.to_string()),
        _ => finding.remediation.clone(),
    }
}

/// The evidence of a scan finding: the check, the request sent, the response excerpt, the
/// values extracted, CVEs and details.
pub fn scan_evidence(lang: Lang, evidence: &serde_json::Value) -> Markup {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let present = |v: &serde_json::Value| {
        !(v.is_null()
            || v.as_str() == Some("")
            || v.as_array().is_some_and(Vec::is_empty)
            || v.as_object().is_some_and(serde_json::Map::is_empty))
    };
    html! {
        dl.details #scan-evidence {
            dt { (lang.pick("Kiểm tra", "Check")) }
            dd { code data-check=(text(&evidence["check"])) { (text(&evidence["check"])) } }
            @if present(&evidence["port"]) {
                dt { (lang.pick("Cổng", "Port")) }
                dd { (text(&evidence["port"])) }
            }
            @if present(&evidence["cves"]) {
                dt { "CVE" }
                dd { (evidence["cves"].as_array().map(|a| a.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
            }
            @if present(&evidence["cvss"]) {
                dt { "CVSS" }
                dd { (text(&evidence["cvss"])) }
            }
            @if evidence["known_exploited"].as_bool() == Some(true) {
                dt { (lang.pick("Đang bị khai thác", "Known exploited")) }
                dd { strong { (lang.pick("Có", "Yes")) } }
            }
        }
        @if present(&evidence["request"]) {
            h3 { (lang.pick("Yêu cầu đã gửi", "Request sent")) }
            pre.evidence-request { (text(&evidence["request"])) }
        }
        @if present(&evidence["response"]) {
            h3 { (lang.pick("Trích đoạn phản hồi", "Response excerpt")) }
            pre.evidence-response { (text(&evidence["response"])) }
        }
        @if present(&evidence["extracted"]) {
            h3 { (lang.pick("Giá trị trích xuất", "Extracted values")) }
            @match &evidence["extracted"] {
                serde_json::Value::Array(values) => ul.evidence-extracted { @for v in values { li { code { (text(v)) } } } },
                serde_json::Value::Object(map) => ul.evidence-extracted { @for (k, v) in map { li { code { (k) } ": " code { (text(v)) } } } },
                other => pre.evidence-extracted { (text(other)) },
            }
        }
        @if present(&evidence["details"]) {
            h3 { (lang.pick("Chi tiết", "Details")) }
            pre.json { (serde_json::to_string_pretty(&evidence["details"]).unwrap_or_default()) }
        }
    }
}

/// The dashboard's line: scans running or queued and the last finished one.
pub async fn dashboard_card(state: &AppState, ctx: &Ctx) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let request = canhgac_model::PageRequest::new(1, 1);
    let count = |status| ScanFilter {
        status: Some(status),
        system_id: None,
    };
    let running = state
        .store
        .list_scans(&scope, &count(ScanStatus::Running), &request)
        .await?
        .total;
    let queued = state
        .store
        .list_scans(&scope, &count(ScanStatus::Queued), &request)
        .await?
        .total;
    let last = state
        .store
        .list_scans(&scope, &count(ScanStatus::Done), &request)
        .await?
        .items
        .into_iter()
        .next();
    if running == 0 && queued == 0 && last.is_none() {
        return Ok(html! {});
    }
    Ok(html! {
        section.card #scans-card {
            h2 { a href="/scans" { (title(lang)) } }
            p {
                (lang.pick("Đang chạy: ", "Running: ")) strong { (running) }
                " · " (lang.pick("Đang chờ: ", "Queued: ")) strong { (queued) }
            }
            @if let Some(run) = last {
                p {
                    (lang.pick("Lần gần nhất: ", "Last: "))
                    a href={ "/scans/" (run.id) } { "#" (run.id) " " (run.system_name.as_deref().unwrap_or("")) }
                    " · " (ctx.time(run.finished_at.unwrap_or(run.created_at)))
                    " · " (lang.pick("mới ", "new ")) (run.findings_created + run.findings_reopened)
                    ", " (lang.pick("đã khắc phục ", "fixed ")) (run.findings_fixed)
                }
            }
        }
    })
}
