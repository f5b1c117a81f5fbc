//! Duty pages of the console: the roster (`/duty`: who is on duty now, the month calendar,
//! holidays with their coverage gaps, the CSV import form), the paging of alerts
//! (`/duty/pages`), and the public acknowledgement page a notification links to
//! (`/ack/{token}`, no sign-in: the signed token is the credential).
//!
//! Opening the link only shows the alert and a button: mail scanners open links too, and an
//! alert must not count as acknowledged because a scanner fetched it. The button's POST
//! acknowledges: the alert's triage state becomes "acknowledged" (audited) and its escalation
//! stops.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use canhgac_model::{Actor, AlertStatus, Id, Scope, Timestamp};
use canhgac_respond::escalation::{AckError, AckToken};
use canhgac_respond::roster::{calendar, DutyPerson, Shift};
use jiff::SignedDuration;
use maud::{html, Markup};

use super::error::PageError;
use super::forms::{self, Params};
use super::i18n::Lang;
use super::layout::{self, Chrome};
use super::session::{see_other, CsrfForm, Ctx};
use crate::api::duty::{holiday_coverage, import_sheet, on_duty_now, SheetError};
use crate::api::may_respond;
use crate::AppState;

/// The path prefix of acknowledgement links (their tokens are cut from the log).
pub const ACK_PATH: &str = "/ack/";

/// The verified token's alert id, or the page to show instead.
fn verify(state: &AppState, lang: Lang, token: &str) -> Result<(AckToken, Id), Markup> {
    let refused = |message: String| {
        page(
            lang,
            token,
            html! { section.card #refused role="alert" { p { (message) } } },
        )
    };
    let Some(secret) = state.respond.ack_secret.as_ref() else {
        return Err(refused(AckError::Malformed.to_string()));
    };
    let claims =
        AckToken::verify(token, secret, Timestamp::now()).map_err(|e| refused(e.to_string()))?;
    let id = claims
        .alert_key
        .strip_prefix("alert:")
        .and_then(|id| id.parse::<Id>().ok())
        .ok_or_else(|| refused(AckError::Malformed.to_string()))?;
    Ok((claims, id))
}

fn page(lang: Lang, token: &str, body: Markup) -> Markup {
    layout::page(
        &Chrome::anonymous(lang, format!("{ACK_PATH}{token}")),
        lang.pick("Xác nhận đã nhận cảnh báo", "Acknowledge an alert"),
        body,
    )
}

/// The name of the person a token was signed for.
async fn person_name(state: &AppState, person: Id) -> Result<String, PageError> {
    Ok(state
        .store
        .duty_contacts(&Scope::All)
        .await?
        .into_iter()
        .find(|c| c.contact_id == person)
        .map(|c| c.name)
        .unwrap_or_else(|| format!("#{person}")))
}

/// `GET /ack/{token}`: the alert and the button that acknowledges it.
pub async fn ack_page(
    State(state): State<AppState>,
    lang: Lang,
    Path(token): Path<String>,
) -> Result<Markup, PageError> {
    let (claims, id) = match verify(&state, lang, &token) {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let alert = state.store.get_alert(&Scope::All, id).await?;
    let name = person_name(&state, claims.person_id).await?;
    let tz = &state.settings.time_zone;
    let body = html! {
        section.card {
            p { (lang.pick("Kính gửi ", "Dear ")) (name) "," }
            p { strong { "[" (alert.severity.label_vi()) "] " (alert.title) } }
            p { (lang.pick("Lần đầu: ", "First seen: ")) (super::format::datetime(alert.first_seen, tz)) }
            @if alert.status == AlertStatus::New {
                form method="post" action={ (ACK_PATH) (token) } {
                    button.primary type="submit" #ack { (lang.pick("Tôi đã nhận và đang xử lý", "I have it and am on it")) }
                }
            } @else {
                p #acknowledged role="status" { (lang.pick("Cảnh báo đã được tiếp nhận: ", "The alert was taken up: ")) (alert.status.label_vi()) }
            }
        }
    };
    Ok(page(lang, &token, body))
}

/// `POST /ack/{token}`: acknowledges the alert (idempotent) and stops its escalation.
///
/// No CSRF token: there is no session to ride on, and the link's token is the credential.
pub async fn ack(
    State(state): State<AppState>,
    lang: Lang,
    Path(token): Path<String>,
) -> Result<Markup, PageError> {
    let (claims, id) = match verify(&state, lang, &token) {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let name = person_name(&state, claims.person_id).await?;
    let alert = state.store.get_alert(&Scope::All, id).await?;
    if alert.status == AlertStatus::New {
        let actor = Actor::system(&format!("ack-link: {name}"));
        state
            .store
            .triage_alert(&actor, id, AlertStatus::Acknowledged, None)
            .await?;
    }
    let page_state = state
        .store
        .acknowledge_page(id, &name, Timestamp::now())
        .await?;
    let tz = &state.settings.time_zone;
    let body = html! {
        section.card #thanks role="status" {
            p { strong { (lang.pick("Đã ghi nhận, xin cảm ơn ", "Recorded, thank you, ")) (name) "." } }
            p { (alert.title) }
            @if let Some(at) = page_state.and_then(|p| p.acknowledged_at) {
                p { (lang.pick("Tiếp nhận lúc ", "Acknowledged on ")) (super::format::datetime(at, tz)) "." }
            }
        }
    };
    Ok(page(lang, &token, body))
}

fn api_error(error: crate::api::error::ApiError) -> PageError {
    PageError::BadRequest(error.to_string())
}

/// The month shown: `?month=2027-02`, else the current one (Asia/Ho_Chi_Minh).
fn month_of(params: &Params, tz: &jiff::tz::TimeZone) -> jiff::civil::Date {
    params
        .get("month")
        .and_then(|m| format!("{m}-01").parse::<jiff::civil::Date>().ok())
        .unwrap_or_else(|| {
            Timestamp::now()
                .to_zoned(tz.clone())
                .date()
                .first_of_month()
        })
}

async fn roster_body(
    state: &AppState,
    ctx: &Ctx,
    params: &Params,
    import_errors: &[String],
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let tz = &state.settings.time_zone;
    let month = month_of(params, tz);
    let from = month
        .to_zoned(tz.clone())
        .map_err(|e| PageError::Internal(e.to_string()))?
        .timestamp();
    let to = from + SignedDuration::from_hours(24 * 32);
    let shifts: Vec<Shift> = state
        .store
        .list_shifts(&scope, from - SignedDuration::from_hours(24), to)
        .await?
        .into_iter()
        .map(|s| Shift {
            id: s.id,
            start: s.start,
            end: s.end,
            unit_id: s.unit_id,
            primary: DutyPerson {
                id: s.primary_id,
                name: s.primary_name,
            },
            backup: s.backup_id.map(|id| DutyPerson {
                id,
                name: s.backup_name.unwrap_or_default(),
            }),
            note: s.note,
        })
        .collect();
    let days = calendar(&shifts, month);
    let now_rows = on_duty_now(state, &scope).await.map_err(api_error)?;
    let mut holidays = Vec::new();
    for holiday in state.store.list_holidays(&scope).await? {
        holidays.push(
            holiday_coverage(state, &scope, holiday)
                .await
                .map_err(api_error)?,
        );
    }
    let units: std::collections::HashMap<Id, String> = state
        .store
        .unit_briefs(&scope)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let unit_name = |unit: Option<Id>| match unit {
        None => lang.pick("Toàn tỉnh", "Province-wide").to_string(),
        Some(id) => units.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
    };
    let previous = month.saturating_sub(jiff::Span::new().months(1));
    let next = month.saturating_add(jiff::Span::new().months(1));
    Ok(html! {
        section.card #on-duty-now {
            h2 { (lang.pick("Đang trực", "On duty now")) }
            table.data {
                thead { tr { th { (lang.pick("Đơn vị", "Unit")) } th { (lang.pick("Trực chính", "Primary")) } th { (lang.pick("Dự phòng", "Backup")) } } }
                tbody {
                    @for row in &now_rows {
                        tr {
                            td { (row.unit_name.clone().unwrap_or_else(|| unit_name(None))) }
                            td { @match &row.primary { Some(p) => (p.name), None => strong.bad { (lang.pick("Không có ai trực", "Nobody on duty")) } } }
                            td { @match &row.backup { Some(p) => (p.name), None => "—" } }
                        }
                    }
                }
            }
        }
        section.card #holidays {
            h2 { (lang.pick("Kỳ nghỉ lễ và khoảng trống lịch trực", "Holidays and coverage gaps")) }
            @if holidays.is_empty() { p.empty { (lang.pick("Chưa có kỳ nghỉ nào.", "No holiday yet.")) } }
            @for h in &holidays {
                h3 { (h.holiday.name) " (" (super::format::datetime(h.holiday.start, tz)) " – " (super::format::datetime(h.holiday.end, tz)) ")" }
                @if h.gaps.is_empty() {
                    p.ok { (lang.pick("Lịch trực phủ kín kỳ nghỉ.", "The roster covers the whole holiday.")) }
                } @else {
                    ul.gaps {
                        @for g in &h.gaps {
                            li class=(if g.error { "bad" } else { "warn" }) {
                                (unit_name(g.unit_id)) ": "
                                (if lang == Lang::En { g.message_en.clone() } else { g.message_vi.clone() })
                            }
                        }
                    }
                }
            }
        }
        section.card #calendar {
            h2 {
                a href={ "/duty?month=" (previous.strftime("%Y-%m")) } { "‹" } " "
                (lang.pick("Lịch trực tháng ", "Roster of ")) (month.strftime("%m/%Y")) " "
                a href={ "/duty?month=" (next.strftime("%Y-%m")) } { "›" }
            }
            table.data.calendar {
                thead { tr { th { (lang.pick("Ngày", "Day")) } th { (lang.pick("Ca trực", "Shifts")) } } }
                tbody {
                    @for day in &days {
                        tr {
                            td { (day.label) }
                            td {
                                @for s in &day.shifts {
                                    div.shift {
                                        (s.from) "–" (s.to) " · " (unit_name(s.unit_id)) " · " strong { (s.primary.name) }
                                        @if let Some(b) = &s.backup { " / " (b.name) }
                                        @if !s.note.is_empty() { " · " small { (s.note) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if may_respond(ctx.role()) {
            section.card #import {
                h2 { (lang.pick("Nhập lịch trực từ CSV", "Import a roster (CSV)")) }
                p { small { (lang.pick("Cột: bắt đầu, kết thúc, đơn vị, trực chính, trực dự phòng, ghi chú. Một dòng lỗi thì không nhập dòng nào.", "Columns: start, end, unit, primary, backup, note. One bad row imports nothing.")) } }
                @if !import_errors.is_empty() {
                    ul.errors role="alert" { @for e in import_errors { li { (e) } } }
                }
                form method="post" action="/duty/import" {
                    (forms::csrf_field(&ctx.csrf))
                    textarea name="csv" rows="8" cols="100" {}
                    button.primary type="submit" { (lang.pick("Nhập", "Import")) }
                }
            }
        }
    })
}

/// `GET /duty`: who is on duty now, the month calendar, holidays with their gaps, the import.
pub async fn roster_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let body = roster_body(&state, &ctx, &params, &[]).await?;
    Ok(layout::page(
        &ctx.chrome(),
        ctx.lang.pick("Lịch trực", "Duty roster"),
        body,
    ))
}

/// `POST /duty/import`: imports a CSV roster, all or nothing; the page again with every row
/// error otherwise.
pub async fn import(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_respond(ctx.role()))?;
    match import_sheet(&state, &ctx.actor(), form.get("csv")).await {
        Ok(_) => Ok(see_other("/duty")),
        Err(error) => {
            let errors = match error {
                SheetError::Rows(rows) => rows,
                SheetError::Api(error) => vec![error.to_string()],
            };
            let body = roster_body(&state, &ctx, &Params::default(), &errors).await?;
            let page = layout::page(
                &ctx.chrome(),
                ctx.lang.pick("Lịch trực", "Duty roster"),
                body,
            );
            Ok(forms::unprocessable(page))
        }
    }
}

/// `GET /duty/pages`: how far the paging of each alert went, with links to the messages.
pub async fn pages_page(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let pages = state.store.list_pages(&ctx.scope(), 200).await?;
    let level = |code: &str| match code {
        "backup" => lang.pick("Đã chuyển trực dự phòng", "Escalated to backup"),
        "leader" => lang.pick("Đã chuyển lãnh đạo", "Escalated to leader"),
        _ => lang.pick("Đã báo trực chính", "Primary paged"),
    };
    let body = html! {
        p { a href="/outbox" { (lang.pick("Trạng thái gửi từng tin: Hộp thư đi", "Delivery of each message: the outbox")) } }
        @if pages.is_empty() { p.empty { (lang.pick("Chưa có cảnh báo nào được báo.", "No alert paged yet.")) } } @else {
            table.data #pages {
                thead { tr {
                    th { (lang.pick("Cảnh báo", "Alert")) }
                    th { (lang.pick("Mức", "Severity")) }
                    th { (lang.pick("Báo lúc", "Paged")) }
                    th { (lang.pick("Tiến độ", "Progress")) }
                    th { (lang.pick("Tiếp nhận", "Acknowledged")) }
                } }
                tbody {
                    @for p in &pages {
                        tr data-alert=(p.alert_id) {
                            td { a href={ "/alerts/" (p.alert_id) } { "#" (p.alert_id) } }
                            td { (p.severity.label_vi()) }
                            td { (ctx.time(p.paged_at)) }
                            td { (level(&p.reached)) }
                            td {
                                @match (p.acknowledged_at, &p.acknowledged_by) {
                                    (Some(at), Some(by)) => { (by) " · " (ctx.time(at)) },
                                    (Some(at), None) => (ctx.time(at)),
                                    _ => strong.bad { (lang.pick("Chưa", "Not yet")) },
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &ctx.chrome(),
        lang.pick("Báo động trực", "Paging"),
        body,
    ))
}
