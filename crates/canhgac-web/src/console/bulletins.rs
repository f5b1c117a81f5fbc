//! Awareness bulletins (Bản tin an toàn thông tin): the list, the form that sends one to the
//! officials of chosen units, a bulletin's page (who confirmed, per unit, the delivery state of
//! each email, "Nhắc lại"), the outbox ("Hộp thư đi") and the public confirmation page the
//! emailed links open.
//!
//! The confirmation page is two steps on purpose: opening the link shows the bulletin and a
//! button, and only the button (a POST) confirms. Mail gateways and link scanners open every
//! link in a message with GET; a one-step link would confirm for officials who never saw it.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use canhgac_model::bulletin::{
    BulletinAddressee, BulletinDetail, BulletinInput, OutboxFilter, OutboxState,
};
use canhgac_model::{Id, Timestamp};
use canhgac_respond::bulletins::{is_token, token_hash};
use maud::{html, Markup};

use super::error::PageError;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{Lang, Msg};
use super::layout::{self, Chrome};
use super::session::{see_other, CsrfForm, Ctx};
use crate::api::may_respond;
use crate::AppState;

/// A delivery state in the page's language.
fn state_label(lang: Lang, state: OutboxState) -> &'static str {
    lang.pick(
        state.label_vi(),
        match state {
            OutboxState::Queued => "Queued",
            OutboxState::Sending => "Sending",
            OutboxState::Sent => "Sent",
            OutboxState::Failed => "Failed",
        },
    )
}

/// A delivery state as a badge.
fn delivery_badge(lang: Lang, state: Option<OutboxState>) -> Markup {
    let class = match state {
        Some(OutboxState::Sent) => "mon-up",
        Some(OutboxState::Failed) => "mon-down",
        Some(OutboxState::Sending | OutboxState::Queued) => "mon-pending",
        None => "mon-paused",
    };
    let text = state.map_or("—", |s| state_label(lang, s));
    html! {
        span class={ "badge " (class) } data-delivery=[state.map(|s| s.code())] { (text) }
    }
}

fn email_off(state: &AppState, lang: Lang) -> Markup {
    html! {
        @if !state.respond.email_configured {
            div.notice #email-off role="status" {
                (lang.pick(
                    "Chưa cấu hình máy chủ thư (SMTP): thư được xếp hàng trong hộp thư đi và sẽ gửi khi có cấu hình [smtp].",
                    "No mail server (SMTP) is configured: emails wait in the outbox and are sent once [smtp] is configured.",
                ))
            }
        }
    }
}

fn title(lang: Lang) -> &'static str {
    lang.pick("Bản tin an toàn thông tin", "Awareness bulletins")
}

fn ratio(confirmed: u64, total: u64) -> String {
    format!("{confirmed}/{total}")
}

/// `GET /bulletins`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let request = forms::page_request(&params);
    let page = state.store.list_bulletins(&ctx.scope(), &request).await?;
    let body = html! {
        (email_off(&state, lang))
        (forms::search_form(lang, "/bulletins", &params, html! {}))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data #bulletins {
                thead { tr {
                    th { (lang.pick("Tiêu đề", "Title")) }
                    th { (lang.pick("Người gửi", "Sent by")) }
                    th { (lang.pick("Ngày gửi", "Sent on")) }
                    th.num { (lang.pick("Đã xác nhận", "Confirmed")) }
                } }
                tbody {
                    @for b in &page.items {
                        tr data-bulletin=(b.id) {
                            td { a href={ "/bulletins/" (b.id) } { (b.title) } }
                            td { (b.created_by) }
                            td { (ctx.time(b.created_at)) }
                            td.num data-confirmed=(b.confirmed) data-recipients=(b.recipients) {
                                (ratio(b.confirmed, b.recipients))
                            }
                        }
                    }
                }
            }
        }
        (forms::pager(lang, "/bulletins", &params, &page))
    };
    let heading = html! {
        div.page-heading {
            h1 { (title(lang)) }
            div.actions {
                @if ctx.role().sees_everything() {
                    a.button href="/outbox" { (lang.pick("Hộp thư đi", "Outbox")) } " "
                }
                @if may_respond(ctx.role()) {
                    a.button.primary href="/bulletins/new" { (lang.pick("Gửi bản tin", "Send a bulletin")) }
                }
            }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        title(lang),
        heading,
        body,
    ))
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let units = state.store.unit_briefs(&ctx.scope()).await?;
    let options: Vec<(String, String)> = units
        .iter()
        .map(|u| (u.id.to_string(), u.name.clone()))
        .collect();
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    let fields = html! {
        (email_off(state, lang))
        (f.summary(&["title", "body", "unit_ids", "remind_every_days"]))
        (f.input(lang.pick("Tiêu đề", "Title"), "title", "text", true))
        div.field.has-error[errors.get("body").is_some()] {
            label for="body" { (lang.pick("Nội dung", "Text")) span.req { " *" } }
            textarea id="body" name="body" rows="12" required { (values.get("body")) }
            @if let Some(message) = errors.get("body") { p.field-error role="alert" { (message) } }
        }
        (f.multi_select(
            lang.pick("Gửi tới các đơn vị", "Send to the units"),
            "unit_ids",
            &options,
            lang.pick("giữ Ctrl để chọn nhiều đơn vị", "hold Ctrl to choose several"),
        ))
        (f.checkbox(lang.pick("Gồm cả các đơn vị trực thuộc", "Include their sub-units"), "include_subunits"))
        (f.input(
            lang.pick("Tự động nhắc lại sau mỗi (ngày, để trống nếu không)", "Remind automatically every (days, empty for never)"),
            "remind_every_days",
            "number",
            false,
        ))
        p.hint { (lang.pick(
            "Mỗi đầu mối có địa chỉ thư của các đơn vị được chọn nhận một thư với đường dẫn xác nhận riêng.",
            "Every contact with an email address in the chosen units gets one email with a personal confirmation link.",
        )) }
    };
    Ok(forms::form_page(
        &ctx.chrome(),
        lang.pick("Gửi bản tin", "Send a bulletin"),
        "/bulletins",
        "/bulletins",
        fields,
    ))
}

/// `GET /bulletins/new`.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    form_page(&state, &ctx, &FormData::default(), &Errors::default()).await
}

fn read_form(lang: Lang, form: &FormData, errors: &mut Errors) -> BulletinInput {
    let mut unit_ids = Vec::new();
    for value in form.all("unit_ids") {
        match value.trim().parse::<Id>() {
            Ok(id) => unit_ids.push(id),
            Err(_) => errors.add("unit_ids", lang.pick("đơn vị không hợp lệ", "invalid unit")),
        }
    }
    let remind = form.get("remind_every_days").trim();
    let remind_every_days = if remind.is_empty() {
        None
    } else {
        match remind.parse::<u32>() {
            Ok(days) => Some(days),
            Err(_) => {
                errors.add(
                    "remind_every_days",
                    lang.pick("phải là một số ngày", "must be a number of days"),
                );
                None
            }
        }
    };
    let mut input = BulletinInput {
        title: form.get("title").to_string(),
        body: form.get("body").to_string(),
        unit_ids,
        include_subunits: form.checked("include_subunits"),
        remind_every_days,
    };
    errors.model_check(lang, input.validate());
    input
}

/// `POST /bulletins`.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let mut errors = Errors::default();
    let input = read_form(ctx.lang, &form, &mut errors);
    if errors.is_empty() {
        let respond = state.respond.clone();
        let write = |to: &BulletinAddressee<'_>| respond.write(to);
        match state
            .store
            .create_bulletin(&ctx.actor(), input, &write)
            .await
        {
            Ok(detail) => {
                respond.queued();
                return Ok(see_other(&format!("/bulletins/{}", detail.bulletin.id)));
            }
            Err(error) => errors.store_error(ctx.lang, error)?,
        }
    }
    Ok(forms::unprocessable(
        form_page(&state, &ctx, &form, &errors).await?,
    ))
}

fn detail_body(state: &AppState, ctx: &Ctx, detail: &BulletinDetail, params: &Params) -> Markup {
    let lang = ctx.lang;
    let b = &detail.bulletin;
    let mut by_unit: BTreeMap<Id, Vec<&canhgac_model::bulletin::BulletinRecipient>> =
        BTreeMap::new();
    for r in &detail.recipients {
        by_unit.entry(r.unit_id).or_default().push(r);
    }
    let pending = detail
        .recipients
        .iter()
        .filter(|r| r.confirmed_at.is_none())
        .count();
    html! {
        (email_off(state, lang))
        @if let Some(n) = params.get("reminded") {
            div.notice role="status" #reminded {
                (lang.pick("Đã xếp hàng thư nhắc lại: ", "Reminders queued: ")) (n)
            }
        }
        section.card {
            (forms::details(&[
                (lang.pick("Người gửi", "Sent by"), html! { (b.created_by) }),
                (lang.pick("Ngày gửi", "Sent on"), html! { (ctx.time(b.created_at)) }),
                (lang.pick("Đã xác nhận", "Confirmed"), html! {
                    span #confirmed-total data-confirmed=(b.confirmed) data-recipients=(b.recipients) {
                        (ratio(b.confirmed, b.recipients))
                    }
                }),
                (lang.pick("Nhắc lại tự động", "Automatic reminders"), html! {
                    @match b.remind_every_days {
                        Some(days) => { (lang.pick("mỗi ", "every ")) (days) (lang.pick(" ngày", " days")) }
                        None => { (lang.pick("không", "no")) }
                    }
                }),
            ]))
            div.bulletin-body {
                @for paragraph in b.body.split("\n\n") {
                    p { @for (i, line) in paragraph.lines().enumerate() { @if i > 0 { br; } (line) } }
                }
            }
        }
        section.card {
            h2 { (lang.pick("Theo đơn vị", "By unit")) }
            table.data #bulletin-units {
                thead { tr {
                    th { (lang.t(Msg::Unit)) }
                    th.num { (lang.pick("Người nhận", "Recipients")) }
                    th.num { (lang.pick("Đã xác nhận", "Confirmed")) }
                    th.num { (lang.pick("Chưa xác nhận", "Not yet")) }
                } }
                tbody {
                    @for u in &detail.units {
                        tr data-unit=(u.unit_id) {
                            td { a href={ "/units/" (u.unit_id) } { (u.unit_name) } }
                            td.num { (u.recipients) }
                            td.num data-confirmed=(u.confirmed) { (u.confirmed) }
                            td.num data-pending=(u.recipients - u.confirmed.min(u.recipients)) {
                                (u.recipients - u.confirmed.min(u.recipients))
                            }
                        }
                        @if u.recipients == 0 {
                            tr { td colspan="4" { span.muted { (lang.pick(
                                "Đơn vị chưa có đầu mối nào có địa chỉ thư.",
                                "The unit has no contact with an email address.",
                            )) } } }
                        }
                    }
                }
            }
        }
        section.card {
            div.page-heading {
                h2 { (lang.pick("Người nhận", "Recipients")) }
                @if may_respond(ctx.role()) && pending > 0 {
                    div.actions {
                        (forms::action_button(
                            &format!("/bulletins/{}/remind", b.id),
                            &ctx.csrf,
                            lang.pick("Nhắc lại", "Remind"),
                            "primary",
                        ))
                    }
                }
            }
            @for (unit_id, people) in &by_unit {
                @let name = detail.units.iter().find(|u| u.unit_id == *unit_id).map(|u| u.unit_name.as_str()).unwrap_or("");
                h3 { (name) }
                table.data.recipients data-unit=(unit_id) {
                    thead { tr {
                        th { (lang.t(Msg::Name)) }
                        th { "Email" }
                        th { (lang.pick("Xác nhận", "Confirmation")) }
                        th { (lang.pick("Trạng thái thư", "Delivery")) }
                        th.num { (lang.pick("Số lần nhắc", "Reminders")) }
                    } }
                    tbody {
                        @for r in people {
                            tr data-recipient=(r.email) data-state=(if r.confirmed_at.is_some() { "confirmed" } else { "pending" }) {
                                td { (r.name) }
                                td { (r.email) }
                                td {
                                    @match r.confirmed_at {
                                        Some(at) => span.badge.mon-up { (lang.pick("Đã đọc ", "Read ")) (ctx.time(at)) },
                                        None => span.badge.mon-down { (lang.pick("Chưa xác nhận", "Not yet")) },
                                    }
                                }
                                td {
                                    (delivery_badge(lang, r.delivery))
                                    @if let Some(error) = &r.delivery_error { br; small.muted { (error) } }
                                }
                                td.num { (r.reminders_sent) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /bulletins/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let detail = state.store.get_bulletin(&ctx.scope(), id).await?;
    let body = detail_body(&state, &ctx, &detail, &params);
    Ok(layout::page(&ctx.chrome(), &detail.bulletin.title, body))
}

/// `POST /bulletins/{id}/remind`.
pub async fn remind(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    let respond = state.respond.clone();
    let write = |to: &BulletinAddressee<'_>| respond.write(to);
    let n = state
        .store
        .remind_bulletin(&ctx.actor(), id, &write)
        .await?;
    if n > 0 {
        respond.queued();
    }
    Ok(see_other(&format!("/bulletins/{id}?reminded={n}")))
}

/// `GET /outbox`: every message with its state, attempts and last error (admins, analysts).
pub async fn outbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    ctx.require(ctx.role().sees_everything())?;
    let lang = ctx.lang;
    let scope = ctx.scope();
    let filter = OutboxFilter {
        state: params.get("state").and_then(|s| OutboxState::from_code(s)),
        bulletin_id: forms::param_id(&params, "bulletin_id"),
    };
    let request = forms::page_request(&params);
    let page = state.store.list_outbox(&scope, &filter, &request).await?;
    let counts = state.store.outbox_counts(&scope).await?;
    let states: Vec<(String, String)> = OutboxState::ALL
        .iter()
        .map(|s| (s.code().to_string(), state_label(lang, *s).to_string()))
        .collect();
    let now = Timestamp::now();
    let body = html! {
        (email_off(&state, lang))
        section.tiles {
            a.tile href="/outbox?state=queued" { span.tile-count data-count="pending" { (counts.pending) } span.tile-label { (lang.pick("Đang chờ", "Pending")) } }
            a.tile href="/outbox?state=sent" { span.tile-count data-count="sent" { (counts.sent) } span.tile-label { (lang.pick("Đã gửi", "Sent")) } }
            a.tile href="/outbox?state=failed" { span.tile-count data-count="failed" { (counts.failed) } span.tile-label { (lang.pick("Thất bại", "Failed")) } }
        }
        (forms::search_form(lang, "/outbox", &params, html! {
            (forms::filter_select(lang, lang.t(Msg::Status), "state", &states, &params))
        }))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data #outbox {
                thead { tr {
                    th { (lang.pick("Thời điểm", "Queued")) }
                    th { (lang.pick("Người nhận", "Recipient")) }
                    th { (lang.pick("Tiêu đề", "Subject")) }
                    th { (lang.t(Msg::Status)) }
                    th.num { (lang.pick("Số lần thử", "Attempts")) }
                    th { (lang.pick("Lần thử tới / đã gửi", "Next attempt / sent")) }
                    th { (lang.pick("Lỗi gần nhất", "Last error")) }
                } }
                tbody {
                    @for m in &page.items {
                        tr data-message=(m.id) data-recipient=(m.recipient) {
                            td { (ctx.time(m.created_at)) }
                            td { @if let Some(name) = &m.recipient_name { (name) br; } small { (m.recipient) } }
                            td {
                                @match m.bulletin_id {
                                    Some(id) => a href={ "/bulletins/" (id) } { (m.subject) },
                                    None => (m.subject),
                                }
                            }
                            td { (delivery_badge(lang, Some(m.state))) }
                            td.num { (m.attempts) }
                            td {
                                @match (m.state, m.sent_at) {
                                    (_, Some(at)) => (ctx.time(at)),
                                    (OutboxState::Queued, _) if m.next_attempt_at > now => (ctx.time(m.next_attempt_at)),
                                    (OutboxState::Queued, _) => (lang.pick("ngay", "now")),
                                    _ => "—",
                                }
                            }
                            td { @if let Some(error) = &m.last_error { small { (error) } } @else { "—" } }
                        }
                    }
                }
            }
        }
        (forms::pager(lang, "/outbox", &params, &page))
    };
    Ok(layout::page(
        &ctx.chrome(),
        lang.pick("Hộp thư đi", "Outbox"),
        body,
    ))
}

fn public_page(lang: Lang, token: &str, title: &str, body: Markup) -> Markup {
    layout::page(
        &Chrome::anonymous(lang, format!("/bulletins/confirm/{token}")),
        title,
        body,
    )
}

/// `GET /bulletins/confirm/{token}`: the bulletin and the button that confirms (no sign-in).
pub async fn confirm_page(
    State(state): State<AppState>,
    lang: Lang,
    Path(token): Path<String>,
) -> Result<Markup, PageError> {
    if !is_token(&token) {
        return Err(PageError::NotFound);
    }
    let Some(link) = state.store.bulletin_link(&token_hash(&token)).await? else {
        return Err(PageError::NotFound);
    };
    let tz = &state.settings.time_zone;
    let body = html! {
        section.card {
            p { (lang.pick("Kính gửi ", "Dear ")) (link.name) "," }
            div.bulletin-body {
                @for paragraph in link.body.split("\n\n") {
                    p { @for (i, line) in paragraph.lines().enumerate() { @if i > 0 { br; } (line) } }
                }
            }
            @match link.confirmed_at {
                Some(at) => p #confirmed role="status" {
                    (lang.pick("Anh/chị đã xác nhận đọc bản tin này lúc ", "You confirmed reading this bulletin on "))
                    (super::format::datetime(at, tz)) "."
                },
                None => form method="post" action={ "/bulletins/confirm/" (token) } {
                    button.primary type="submit" #confirm { (lang.pick("Tôi đã đọc bản tin này", "I have read this bulletin")) }
                },
            }
        }
    };
    Ok(public_page(lang, &token, &link.title, body))
}

/// `POST /bulletins/confirm/{token}`: records the confirmation (idempotent) and thanks.
///
/// No CSRF token: there is no session to ride on, and the link's token is the credential.
pub async fn confirm(
    State(state): State<AppState>,
    lang: Lang,
    Path(token): Path<String>,
) -> Result<Markup, PageError> {
    if !is_token(&token) {
        return Err(PageError::NotFound);
    }
    let Some(done) = state
        .store
        .confirm_bulletin(&token_hash(&token), Timestamp::now())
        .await?
    else {
        return Err(PageError::NotFound);
    };
    let tz = &state.settings.time_zone;
    let body = html! {
        section.card #thanks role="status" {
            p { strong { (lang.pick("Xin cảm ơn ", "Thank you, ")) (done.name) "!" } }
            p {
                (lang.pick("Đã ghi nhận anh/chị đọc bản tin “", "We have recorded that you read “"))
                (done.title)
                (lang.pick("” lúc ", "” on "))
                (super::format::datetime(done.confirmed_at, tz)) "."
            }
        }
    };
    Ok(public_page(
        lang,
        &token,
        lang.pick("Xác nhận đã đọc", "Read confirmed"),
        body,
    ))
}
