//! Incidents (Sự cố) and the report archive (Báo cáo sự cố): the incident list with its deadline
//! timers, an incident's page (details, affected system, timeline, observables, linked alerts,
//! reports with "Tạo Mẫu 03/04", "Gửi", "Tải về"), "create incident" from an alert's page, and
//! the archive of every report with its number and sending state.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use canhgac_model::{Id, Incident, IncidentKind, IncidentReport, ReportFormKind, ReportSendState};
use canhgac_respond::deadlines::DeadlineState;
use canhgac_respond::reports;
use canhgac_store::IncidentFilter;
use maud::{html, Markup};

use super::error::PageError;
use super::forms::{self, Params};
use super::i18n::{Lang, Msg};
use super::layout;
use super::session::{see_other, CsrfForm, Ctx};
use crate::api::incidents::{deadlines, desk_error, docx_response, statuses, DeadlineView};
use crate::api::may_respond;
use crate::AppState;

fn deadline_badge(lang: Lang, ctx: &Ctx, d: &DeadlineView) -> Markup {
    let class = match d.state {
        DeadlineState::Overdue => "mon-down",
        DeadlineState::Due if d.soon => "mon-pending",
        DeadlineState::Due => "mon-paused",
        DeadlineState::Met | DeadlineState::MetLate => "mon-up",
    };
    let state = lang.pick(d.state.label_vi(), d.state.label_en());
    html! {
        span class={ "badge " (class) } data-deadline=(serde_json::to_value(d.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
            data-state=(if d.soon { "soon" } else { "" }) title=(d.label) {
            (state) " · " (ctx.time(d.due_at))
        }
    }
}

fn report_state(lang: Lang, report: &IncidentReport) -> Markup {
    let class = match report.state {
        ReportSendState::Sent => "mon-up",
        ReportSendState::Failed => "mon-down",
        ReportSendState::Generated => "mon-paused",
    };
    let text = lang.pick(
        report.state.label_vi(),
        match report.state {
            ReportSendState::Sent => "Sent",
            ReportSendState::Failed => "Failed",
            ReportSendState::Generated => "Not sent",
        },
    );
    html! { span class={ "badge " (class) } data-report-state=(report.state.code()) { (text) } }
}

fn form_label(form: ReportFormKind) -> &'static str {
    match form {
        ReportFormKind::Initial => "Mẫu 03",
        ReportFormKind::Closing => "Mẫu 04",
        ReportFormKind::Summary => "Mẫu 05",
    }
}

fn reports_table(ctx: &Ctx, reports: &[IncidentReport]) -> Markup {
    let lang = ctx.lang;
    let responder = may_respond(ctx.role());
    html! {
        table.data #reports {
            thead { tr {
                th { (lang.pick("Số", "Number")) }
                th { (lang.pick("Mẫu", "Form")) }
                th { (lang.pick("Ngày", "Date")) }
                th { (lang.pick("Nơi nhận", "Recipients")) }
                th { (lang.pick("Trạng thái", "State")) }
                th {}
            } }
            tbody {
                @for r in reports {
                    tr data-report=(r.id) {
                        td { (r.number) }
                        td { (form_label(r.draft.form)) }
                        td { (canhgac_respond::documents::short_date(r.draft.issued_on)) }
                        td { (r.draft.recipients.join(", ")) }
                        td {
                            (report_state(lang, r))
                            @if let Some(error) = &r.last_error { br; small.muted { (error) } }
                        }
                        td {
                            a.button href={ "/reports/" (r.id) "/docx" } { (lang.pick("Tải về", "Download")) }
                            @if responder {
                                " "
                                (forms::action_button(
                                    &format!("/reports/{}/send", r.id),
                                    &ctx.csrf,
                                    if r.state == ReportSendState::Generated { lang.pick("Gửi", "Send") } else { lang.pick("Gửi lại", "Send again") },
                                    "primary",
                                ))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn title(lang: Lang) -> &'static str {
    lang.pick("Sự cố an toàn thông tin", "Incidents")
}

/// `GET /incidents`: incidents with their timers; `status=open` for unresolved ones.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let request = forms::page_request(&params);
    let filter = IncidentFilter {
        statuses: statuses(params.get("status").map(String::as_str)).map_err(|_| {
            PageError::BadRequest(
                lang.pick("trạng thái không hợp lệ", "invalid status")
                    .into(),
            )
        })?,
        ..Default::default()
    };
    let page = state
        .store
        .list_incidents(&ctx.scope(), &filter, &request)
        .await?;
    let body = html! {
        (forms::search_form(lang, "/incidents", &params, html! {}))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data #incidents {
                thead { tr {
                    th { (lang.pick("Sự cố", "Incident")) }
                    th { (lang.pick("Loại", "Type")) }
                    th { (lang.pick("Trạng thái", "Status")) }
                    th { (lang.pick("Phát hiện", "Detected")) }
                    th { (lang.pick("Thời hạn", "Deadlines")) }
                } }
                tbody {
                    @for incident in &page.items {
                        @let d = &incident.details;
                        tr data-incident=(incident.id) {
                            td { a href={ "/incidents/" (incident.id) } { (d.title) } }
                            td { (lang.pick(d.kind.label_vi(), d.kind.label_en())) }
                            td { (lang.pick(d.status.label_vi(), d.status.label_en())) }
                            td { (ctx.time(d.times.detected_at)) }
                            td { @for view in deadlines(incident) { (deadline_badge(lang, &ctx, &view)) " " } }
                        }
                    }
                }
            }
        }
        (forms::pager(lang, "/incidents", &params, &page))
    };
    let heading = html! {
        div.page-heading {
            h1 { (title(lang)) }
            div.actions { a.button href="/reports" { (lang.pick("Báo cáo đã ban hành", "Report archive")) } }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        title(lang),
        heading,
        body,
    ))
}

fn system_rows(lang: Lang, incident: &Incident) -> Markup {
    let s = &incident.details.system;
    fn text(v: &Option<String>) -> &str {
        forms::or_dash(v.as_deref())
    }
    let ips: Vec<String> = s.public_ips.iter().map(ToString::to_string).collect();
    forms::details(&[
        (lang.pick("Tên hệ thống", "System"), html! { (s.name) }),
        (lang.pick("Chủ quản", "Owner"), html! { (s.owner) }),
        (
            lang.pick("Đơn vị vận hành", "Operator"),
            html! { (s.operator) },
        ),
        (
            lang.pick("Cấp độ", "Security level"),
            html! { (s.security_level.map(|l| l.to_string()).unwrap_or_else(|| "—".into())) },
        ),
        (
            lang.pick("Hệ điều hành", "Operating system"),
            html! { (text(&s.os)) " " (text(&s.os_version)) },
        ),
        (
            lang.pick("Dịch vụ", "Services"),
            html! { (s.services.join(", ")) },
        ),
        (
            lang.pick("Địa chỉ IP công khai", "Public IPs"),
            html! { (ips.join(", ")) },
        ),
        (
            lang.pick("Tên miền", "Domains"),
            html! { (s.domains.join(", ")) },
        ),
        (
            lang.pick("Nhà cung cấp kết nối", "ISP"),
            html! { (text(&s.isp)) },
        ),
        (
            lang.pick("Mục đích", "Purpose"),
            html! { (text(&s.purpose)) },
        ),
    ])
}

/// `GET /incidents/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let detail = state.store.get_incident(&ctx.scope(), id).await?;
    let incident = &detail.incident;
    let d = &incident.details;
    let responder = may_respond(ctx.role());
    let has_initial = detail
        .reports
        .iter()
        .any(|r| r.draft.form == ReportFormKind::Initial);
    let body = html! {
        @if let Some(error) = params.get("error") {
            div.notice.error role="alert" #report-error { (error) }
        }
        div.columns {
            section.card {
                h2 { (lang.pick("Thông tin sự cố", "Incident")) }
                (forms::details(&[
                    (lang.pick("Loại", "Type"), html! { (lang.pick(d.kind.label_vi(), d.kind.label_en())) }),
                    (lang.pick("Trạng thái", "Status"), html! { (lang.pick(d.status.label_vi(), d.status.label_en())) }),
                    (lang.pick("Phát hiện lúc", "Detected"), html! { (ctx.time(d.times.detected_at)) }),
                    (lang.pick("Mô tả", "Description"), html! { (d.description) }),
                    (lang.pick("Lộ lọt dữ liệu cá nhân", "Personal data breached"), html! { (if d.personal_data_breach { lang.pick("Có", "Yes") } else { lang.pick("Không", "No") }) }),
                    (lang.pick("Thời hạn", "Deadlines"), html! { @for view in deadlines(incident) { (deadline_badge(lang, &ctx, &view)) br; } }),
                ]))
            }
            section.card {
                h2 { (lang.pick("Hệ thống bị ảnh hưởng", "Affected system")) }
                (system_rows(lang, incident))
            }
        }
        section.card #timeline {
            h2 { (lang.pick("Diễn biến", "Timeline")) }
            @if detail.timeline.is_empty() { p.empty { (lang.t(Msg::Empty)) } }
            ul { @for note in &detail.timeline { li { (ctx.time(note.at)) " — " (note.text) " " small.muted { "(" (note.author) ")" } } } }
            @if responder {
                form.inline method="post" action={ "/incidents/" (id) "/timeline" } {
                    (forms::csrf_field(&ctx.csrf))
                    input type="text" name="text" required placeholder=(lang.pick("Thêm diễn biến…", "Add an entry…"));
                    button type="submit" { (lang.pick("Thêm", "Add")) }
                }
            }
        }
        section.card #observables {
            h2 { (lang.pick("Dấu hiệu (IP, tên miền, mã băm…)", "Observables")) }
            @if d.observables.is_empty() { p.empty { (lang.t(Msg::Empty)) } }
            ul { @for o in &d.observables { li { code { (o.value) } " (" (o.kind.code()) ") " (o.note) } } }
        }
        section.card #linked-alerts {
            h2 { (lang.pick("Cảnh báo liên quan", "Linked alerts")) }
            @if d.alert_ids.is_empty() { p.empty { (lang.t(Msg::Empty)) } }
            ul { @for alert in &d.alert_ids { li { a href={ "/alerts/" (alert) } { "#" (alert) } } } }
        }
        section.card {
            div.page-heading {
                h2 { (lang.pick("Báo cáo", "Reports")) }
                @if responder {
                    div.actions {
                        (generate_button(&ctx, id, "initial", lang.pick("Tạo báo cáo ban đầu (Mẫu 03)", "Generate the initial report (Mẫu 03)")))
                        @if has_initial {
                            " " (generate_button(&ctx, id, "closing", lang.pick("Tạo báo cáo kết thúc (Mẫu 04)", "Generate the closing report (Mẫu 04)")))
                        }
                    }
                }
            }
            @if detail.reports.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else { (reports_table(&ctx, &detail.reports)) }
        }
    };
    Ok(layout::page(&ctx.chrome(), &d.title, body))
}

fn generate_button(ctx: &Ctx, id: Id, form: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/incidents/" (id) "/reports" } {
            (forms::csrf_field(&ctx.csrf))
            input type="hidden" name="form" value=(form);
            button type="submit" class="primary" { (label) }
        }
    }
}

/// The create-incident form shown on an alert's page.
pub fn from_alert_form(ctx: &Ctx, alert: &canhgac_model::Alert) -> Markup {
    let lang = ctx.lang;
    html! {
        section.card #incident-from-alert {
            h2 { (lang.pick("Tạo sự cố từ cảnh báo này", "Open an incident from this alert")) }
            form method="post" action="/incidents" {
                (forms::csrf_field(&ctx.csrf))
                input type="hidden" name="alert_id" value=(alert.id);
                div.field {
                    label for="incident-title" { (lang.pick("Tên sự cố", "Title")) }
                    input #incident-title type="text" name="title" required value=(alert.title);
                }
                div.field {
                    label for="incident-kind" { (lang.pick("Loại sự cố", "Type")) }
                    select #incident-kind name="kind" {
                        @for kind in IncidentKind::ALL {
                            option value=(kind.code()) { (lang.pick(kind.label_vi(), kind.label_en())) }
                        }
                    }
                }
                button type="submit" class="primary" { (lang.pick("Tạo sự cố", "Open incident")) }
            }
        }
    }
}

/// `POST /incidents` (from an alert's page: alert_id, title, kind).
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let bad = |m: &str| PageError::BadRequest(m.to_string());
    let alert_id: Id = form
        .get("alert_id")
        .trim()
        .parse()
        .map_err(|_| bad("alert_id"))?;
    let kind: IncidentKind = form
        .get("kind")
        .trim()
        .parse()
        .map_err(|m: String| bad(&m))?;
    let request = crate::api::incidents::NewIncident {
        title: form.get("title").to_string(),
        kind,
        unit_id: None,
        detected_at: None,
        system_id: None,
        description: String::new(),
        personal_data_breach: false,
        alert_ids: vec![alert_id],
        finding_ids: Vec::new(),
    };
    let incident =
        crate::api::incidents::open_incident(&state, &ctx.scope(), &ctx.actor(), request)
            .await
            .map_err(|e| PageError::BadRequest(e.problem().detail.unwrap_or_default()))?;
    Ok(see_other(&format!("/incidents/{}", incident.id)))
}

/// `POST /incidents/{id}/timeline` (text).
pub async fn add_note(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    state
        .store
        .add_incident_note(
            &ctx.actor(),
            id,
            canhgac_model::Timestamp::now(),
            form.get("text"),
        )
        .await?;
    Ok(see_other(&format!("/incidents/{id}#timeline")))
}

/// `POST /incidents/{id}/reports` (form = initial | closing), today's date.
pub async fn create_report(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let kind: ReportFormKind = form
        .get("form")
        .trim()
        .parse()
        .map_err(PageError::BadRequest)?;
    let now = canhgac_model::Timestamp::now();
    let day = canhgac_respond::deadlines::vietnam_date(now);
    let made = reports::make_incident_report(
        state.store.as_ref(),
        &ctx.actor(),
        &state.reports.profile,
        id,
        kind,
        day,
        now,
    )
    .await;
    match made {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}"))),
        Err(reports::DeskError::Store(e)) => Err(e.into()),
        Err(e) => Ok(see_other(&format!(
            "/incidents/{id}?error={}",
            url_escape(&e.to_string())
        ))),
    }
}

/// `POST /reports/{id}/send`: back to the incident (or the archive) with the outcome shown.
pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let (report, _) = state.store.report_docx(&ctx.scope(), id).await?;
    let back = match report.draft.incident_id {
        Some(incident) => format!("/incidents/{incident}"),
        None => "/reports".to_string(),
    };
    match reports::send_report(state.store.as_ref(), &ctx.actor(), &state.reports, id).await {
        Ok(_) => Ok(see_other(&back)),
        Err(reports::DeskError::Store(e)) => Err(e.into()),
        Err(e) => {
            let problem = desk_error(e).problem();
            Ok(see_other(&format!(
                "{back}?error={}",
                url_escape(&problem.detail.unwrap_or_default())
            )))
        }
    }
}

/// Percent-encodes a query value (every byte outside the unreserved set).
fn url_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `GET /reports`: the archive.
pub async fn archive(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let request = forms::page_request(&params);
    let page = state.store.list_reports(&ctx.scope(), &request).await?;
    let body = html! {
        @if let Some(error) = params.get("error") {
            div.notice.error role="alert" { (error) }
        }
        (forms::search_form(lang, "/reports", &params, html! {}))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else { (reports_table(&ctx, &page.items)) }
        (forms::pager(lang, "/reports", &params, &page))
    };
    Ok(layout::page(
        &ctx.chrome(),
        lang.pick("Báo cáo sự cố đã ban hành", "Report archive"),
        body,
    ))
}

/// `GET /reports/{id}/docx`.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    let (report, docx) = state.store.report_docx(&ctx.scope(), id).await?;
    Ok(docx_response(&report, docx))
}
