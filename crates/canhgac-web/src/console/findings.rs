//! Findings (Phát hiện): the listing (filters by state, severity, source, category, unit and
//! text), a finding's page (details, evidence, what to do, the state form), and the hygiene view
//! (An toàn tài khoản): per unit, breached and shared passwords and official addresses found in
//! breach data, each with how many are still open.
//!
//! The store keeps a unit officer to their units' findings; viewers read, every other role moves
//! findings through their life.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use canhgac_model::finding::category;
use canhgac_model::scan::category as scan_category;
use canhgac_model::{Finding, FindingFilter, FindingSource, FindingStatus, Id, Severity};
use maud::{html, Markup};

use super::alerts::severity_badge;
use super::error::PageError;
use super::events::evidence_table;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{Lang, Msg};
use super::layout;
use super::session::{see_other, CsrfForm, CsrfMultipart, Ctx};
use super::units::unit_names;
use crate::api::may_respond;
use crate::AppState;

/// Names of a finding's state.
pub fn status_label(lang: Lang, status: FindingStatus) -> &'static str {
    match lang {
        Lang::Vi => status.label_vi(),
        Lang::En => match status {
            FindingStatus::Open => "Open",
            FindingStatus::Fixed => "Fixed",
            FindingStatus::Reopened => "Reopened",
            FindingStatus::Accepted => "Risk accepted",
            FindingStatus::FalsePositive => "False positive",
        },
    }
}

/// Names of a finding's producer.
pub fn source_label(lang: Lang, source: FindingSource) -> &'static str {
    match lang {
        Lang::Vi => source.label_vi(),
        Lang::En => match source {
            FindingSource::Scan => "Scan",
            FindingSource::Intel => "Threat intelligence",
            FindingSource::Malware => "Malware",
            FindingSource::Passwords => "Passwords",
            FindingSource::Exposure => "Exposed email addresses",
        },
    }
}

/// Names of the well-known categories (others are shown as they are).
pub fn category_label(lang: Lang, code: &str) -> String {
    let known = match code {
        category::WEBSHELL => lang.pick("Web shell", "Web shell"),
        category::MALWARE_FILE => lang.pick("Tệp mã độc", "Malicious file"),
        category::MALICIOUS_HASH => lang.pick("Tệp có mã băm độc hại", "Known-bad file hash"),
        category::BREACHED_PASSWORD => lang.pick("Mật khẩu đã bị lộ", "Breached password"),
        category::SHARED_PASSWORD => lang.pick("Dùng chung mật khẩu", "Shared password"),
        category::EMPTY_PASSWORD => lang.pick("Mật khẩu rỗng", "Empty password"),
        category::LM_HASH => lang.pick("Còn lưu băm LM", "LM hash stored"),
        category::EMAIL_BREACHED => lang.pick("Thư công vụ bị lộ lọt", "Official address breached"),
        category::EMAIL_ON_SOCIAL_SITE => lang.pick(
            "Thư công vụ dùng trên mạng xã hội, diễn đàn",
            "Official address used on social sites",
        ),
        scan_category::EXPOSED_SERVICE => {
            lang.pick("Dịch vụ rủi ro lộ ra Internet", "Risky service exposed")
        }
        scan_category::INTERNAL_SERVICE => {
            lang.pick("Dịch vụ rủi ro trong mạng nội bộ", "Risky internal service")
        }
        scan_category::TLS => lang.pick("Cấu hình TLS", "TLS configuration"),
        scan_category::CERTIFICATE => lang.pick("Chứng thư số", "Certificate"),
        scan_category::HTTP_HARDENING => lang.pick("Tăng cứng web", "Web hardening"),
        scan_category::WEB_EXPOSURE => lang.pick("Lộ tệp, trang quản trị", "Exposed files, panels"),
        scan_category::MAIL_DNS => lang.pick("Bản ghi thư (SPF, DMARC...)", "Mail DNS records"),
        scan_category::MAIL_SERVER => lang.pick("Máy chủ thư", "Mail server"),
        scan_category::VULNERABILITY => lang.pick("Lỗ hổng đã biết (CVE)", "Known vulnerability"),
        scan_category::TEMPLATE => lang.pick("Mẫu kiểm tra (template)", "Template"),
        scan_category::FINGERPRINT => lang.pick("Phiên bản phần mềm", "Software version"),
        other => return other.to_string(),
    };
    known.to_string()
}

/// A finding's state as a badge.
pub fn status_badge(lang: Lang, status: FindingStatus) -> Markup {
    html! {
        span class={ "badge finding-" (status.code()) } data-status=(status.code()) {
            (status_label(lang, status))
        }
    }
}

fn status_options(lang: Lang) -> Vec<(String, String)> {
    FindingStatus::ALL
        .iter()
        .map(|s| (s.code().to_string(), status_label(lang, *s).to_string()))
        .collect()
}

/// The listing's filter from its query string; malformed values are ignored, like the other
/// listings. `status=open` is open and reopened.
fn filter(params: &Params) -> FindingFilter {
    let statuses = match params.get("status").map(String::as_str) {
        Some("open") => vec![FindingStatus::Open, FindingStatus::Reopened],
        Some(code) => FindingStatus::from_code(code).into_iter().collect(),
        None => Vec::new(),
    };
    FindingFilter {
        statuses,
        min_severity: params
            .get("min_severity")
            .and_then(|s| Severity::from_code(s)),
        unit_id: forms::param_id(params, "unit_id"),
        source: params
            .get("source")
            .and_then(|s| FindingSource::from_code(s)),
        category: params
            .get("category")
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty() && c.len() <= 100),
        q: None,
    }
}

/// `GET /findings?status=&min_severity=&source=&category=&unit_id=&q=&page=`.
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
        .list_findings(&scope, &filter, &forms::page_request(&params))
        .await?;
    let mut ids: Vec<Id> = page.items.iter().filter_map(|f| f.unit_id).collect();
    ids.extend(filter.unit_id);
    ids.sort_unstable();
    ids.dedup();
    let names = unit_names(&state, &scope, &ids).await?;
    let mut statuses = vec![(
        "open".to_string(),
        lang.pick(
            "Còn mở (chưa khắc phục, tái diễn)",
            "Open (open and reopened)",
        )
        .to_string(),
    )];
    statuses.extend(status_options(lang));
    let severities: Vec<(String, String)> = Severity::ALL
        .iter()
        .rev()
        .map(|s| {
            (
                s.code().to_string(),
                super::i18n::severity(lang, *s).to_string(),
            )
        })
        .collect();
    let sources: Vec<(String, String)> = FindingSource::ALL
        .iter()
        .map(|s| (s.code().to_string(), source_label(lang, *s).to_string()))
        .collect();
    let categories: Vec<(String, String)> = [
        category::WEBSHELL,
        category::MALWARE_FILE,
        category::MALICIOUS_HASH,
        category::BREACHED_PASSWORD,
        category::SHARED_PASSWORD,
        category::EMPTY_PASSWORD,
        category::LM_HASH,
        category::EMAIL_BREACHED,
        category::EMAIL_ON_SOCIAL_SITE,
        scan_category::EXPOSED_SERVICE,
        scan_category::INTERNAL_SERVICE,
        scan_category::TLS,
        scan_category::CERTIFICATE,
        scan_category::HTTP_HARDENING,
        scan_category::WEB_EXPOSURE,
        scan_category::MAIL_DNS,
        scan_category::MAIL_SERVER,
        scan_category::VULNERABILITY,
        scan_category::TEMPLATE,
        scan_category::FINGERPRINT,
    ]
    .iter()
    .map(|c| (c.to_string(), category_label(lang, c)))
    .collect();
    let body = html! {
        (forms::search_form(lang, "/findings", &params, html! {
            (forms::filter_select(lang, lang.t(Msg::Status), "status", &statuses, &params))
            (forms::filter_select(lang, lang.t(Msg::MinSeverity), "min_severity", &severities, &params))
            (forms::filter_select(lang, lang.t(Msg::Source), "source", &sources, &params))
            (forms::filter_select(lang, lang.pick("Loại", "Category"), "category", &categories, &params))
            @if let Some(id) = filter.unit_id {
                @if let Some(name) = names.get(&id) {
                    (forms::filter_chip(lang, "/findings", lang.t(Msg::Unit), "unit_id", (id, name), &params))
                }
            }
        }))
        @if page.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data.findings {
                thead { tr {
                    th { (lang.t(Msg::Severity)) } th { (lang.t(Msg::Title)) }
                    th { (lang.pick("Loại", "Category")) } th { (lang.t(Msg::Unit)) }
                    th { (lang.pick("Đối tượng", "Subject")) } th { (lang.t(Msg::LastSeen)) }
                    th { (lang.t(Msg::Status)) }
                } }
                tbody {
                    @for finding in &page.items {
                        tr data-finding=(finding.id) {
                            td { (severity_badge(lang, finding.severity)) }
                            td { a href={ "/findings/" (finding.id) } { (super::scans::finding_title(lang, finding)) } }
                            td { (category_label(lang, &finding.category)) }
                            td {
                                @if let Some(unit) = finding.unit_id {
                                    @if let Some(name) = names.get(&unit) {
                                        a href={ "/findings?unit_id=" (unit) } { (name) }
                                    } @else {
                                        span.muted { (lang.t(Msg::OutsideScope)) }
                                    }
                                } @else {
                                    span.muted { (lang.t(Msg::Unattributed)) }
                                }
                            }
                            td { code { (finding.subject) } }
                            td.nowrap { (ctx.time(finding.last_seen)) }
                            td { (status_badge(lang, finding.status)) }
                        }
                    }
                }
            }
        }
        (forms::pager(lang, "/findings", &params, &page))
    };
    Ok(layout::page(
        &ctx.chrome(),
        lang.pick("Phát hiện", "Findings"),
        body,
    ))
}

fn status_form(ctx: &Ctx, finding: &Finding, values: &FormData, errors: &Errors) -> Markup {
    let lang = ctx.lang;
    let f = FieldCtx {
        lang,
        values,
        errors,
    };
    html! {
        form.card.entity-form #status-form method="post" action={ "/findings/" (finding.id) "/status" } {
            h2 { (lang.pick("Cập nhật trạng thái", "Change state")) }
            (forms::csrf_field(&ctx.csrf))
            (f.summary(&["status", "reason", "until"]))
            (f.select(lang.t(Msg::Status), "status", &status_options(lang), None, true))
            (f.textarea(lang.pick("Lý do (bắt buộc khi chấp nhận rủi ro hoặc không phải lỗi)", "Reason (required to accept a risk or call it false)"), "reason"))
            (f.date(lang.pick("Hiệu lực đến (chấp nhận rủi ro, không phải lỗi; để trống: không hết hạn)", "Holds until (accepted risk, false positive; blank: no expiry)"), "until"))
            div.actions { button.primary type="submit" { (lang.pick("Lưu", "Save")) } }
        }
    }
}

async fn finding_page(
    state: &AppState,
    ctx: &Ctx,
    finding: &Finding,
    values: &FormData,
    errors: &Errors,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let names = unit_names(
        state,
        &ctx.scope(),
        &finding.unit_id.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    let body = html! {
        div.columns {
            section {
                (forms::details(&[
                    (lang.t(Msg::Severity), severity_badge(lang, finding.severity)),
                    (lang.t(Msg::Status), status_badge(lang, finding.status)),
                    (lang.pick("Lý do", "Reason"), html! { (forms::or_dash(finding.status_reason.as_deref())) }),
                    (lang.pick("Hiệu lực đến", "Holds until"), html! {
                        @match finding.status_until {
                            Some(until) => (ctx.time(until)),
                            None => "—",
                        }
                    }),
                    (lang.t(Msg::Source), html! { (source_label(lang, finding.source)) }),
                    (lang.pick("Loại", "Category"), html! { (category_label(lang, &finding.category)) }),
                    (lang.t(Msg::Unit), html! {
                        @match finding.unit_id {
                            Some(unit) => (super::units::unit_link(lang, &names, unit)),
                            None => span.muted { (lang.t(Msg::Unattributed)) },
                        }
                    }),
                    (lang.pick("Hệ thống", "System"), html! {
                        @match finding.system_id {
                            Some(id) => a href={ "/systems/" (id) } { "#" (id) },
                            None => "—",
                        }
                    }),
                    (lang.t(Msg::Host), html! { (forms::or_dash(finding.host.as_deref())) }),
                    (lang.pick("Đối tượng", "Subject"), html! { code { (finding.subject) } }),
                    (lang.t(Msg::FirstSeen), html! { (ctx.time(finding.first_seen)) }),
                    (lang.t(Msg::LastSeen), html! { (ctx.time(finding.last_seen)) }),
                    (lang.pick("Số lần phát hiện", "Sightings"), html! { (finding.sightings) }),
                    (lang.pick("Đổi trạng thái lúc", "State changed"), html! { (ctx.time(finding.status_changed_at)) }),
                ]))
                @if let Some(remediation) = super::scans::finding_remediation(lang, finding) {
                    section.card.remediation {
                        h2 { (lang.pick("Cách khắc phục", "What to do")) }
                        p { (remediation) }
                    }
                }
            }
            @if may_respond(ctx.role()) {
                section { (status_form(ctx, finding, values, errors)) }
            }
        }
        section.card.evidence {
            h2 { (lang.t(Msg::Evidence)) }
            @if finding.source == FindingSource::Scan {
                (super::scans::scan_evidence(lang, &finding.evidence))
            } @else {
                (evidence_table(ctx, &finding.evidence))
            }
        }
    };
    let title = super::scans::finding_title(lang, finding);
    let heading = html! {
        div.page-heading {
            h1 { (title) }
            div.actions { a.button href="/findings" { (lang.t(Msg::Back)) } }
        }
    };
    Ok(layout::page_with_heading(
        &ctx.chrome(),
        &title,
        heading,
        body,
    ))
}

fn values_of(finding: &Finding) -> FormData {
    FormData::from_pairs(vec![
        ("status".into(), finding.status.code().into()),
        (
            "reason".into(),
            finding.status_reason.clone().unwrap_or_default(),
        ),
    ])
}

/// `GET /findings/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Id>,
) -> Result<Markup, PageError> {
    let finding = state.store.get_finding(&ctx.scope(), id).await?;
    finding_page(
        &state,
        &ctx,
        &finding,
        &values_of(&finding),
        &Errors::default(),
    )
    .await
}

/// `POST /findings/{id}/status` (status, reason).
pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    let finding = state.store.get_finding(&ctx.scope(), id).await?;
    ctx.require(may_respond(ctx.role()))?;
    let mut errors = Errors::default();
    let status: Option<FindingStatus> = forms::req_enum(&form, "status", ctx.lang, &mut errors);
    // A review date is the end of that day in Vietnam.
    let until = forms::opt_date(&form, "until", ctx.lang, &mut errors).and_then(|day| {
        day.tomorrow()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").ok()?)
            .ok()
            .map(|z| z.timestamp())
    });
    if let (Some(status), true) = (status, errors.is_empty()) {
        match state
            .store
            .set_finding_status(
                &ctx.actor(),
                id,
                status,
                forms::opt_text(&form, "reason"),
                until,
            )
            .await
        {
            Ok(_) => return Ok(see_other(&format!("/findings/{id}"))),
            Err(err) => errors.store_error(ctx.lang, err)?,
        }
    }
    Ok(forms::unprocessable(
        finding_page(&state, &ctx, &finding, &form, &errors).await?,
    ))
}

/// The dashboard's card: open findings by category (nothing when there are none at all).
pub async fn dashboard_card(state: &AppState, ctx: &Ctx) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let counts = state.store.finding_counts(&ctx.scope(), None).await?;
    if counts.is_empty() {
        return Ok(html! {});
    }
    let mut open: BTreeMap<&str, i64> = BTreeMap::new();
    for count in counts.iter().filter(|c| c.status.is_open()) {
        *open.entry(count.category.as_str()).or_default() += count.count;
    }
    let total: i64 = open.values().sum();
    Ok(html! {
        section.card #open-findings {
            h2 { a href="/findings?status=open" { (lang.pick("Phát hiện chưa khắc phục", "Open findings")) } }
            p { a href="/findings?status=open" { strong data-count="open-findings" { (total) } } }
            @if !open.is_empty() {
                table.data {
                    tbody {
                        @for (category, n) in &open {
                            tr data-category=(category) {
                                td { (category_label(lang, category)) }
                                td.num { a href={ "/findings?status=open&category=" (category) } { (n) } }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// The hygiene view's columns: (category, Vietnamese heading, English heading).
const HYGIENE_COLUMNS: [(&str, &str, &str); 6] = [
    (
        category::BREACHED_PASSWORD,
        "Mật khẩu đã bị lộ",
        "Breached passwords",
    ),
    (
        category::SHARED_PASSWORD,
        "Nhóm dùng chung mật khẩu",
        "Shared-password groups",
    ),
    (category::EMPTY_PASSWORD, "Mật khẩu rỗng", "Empty passwords"),
    (category::LM_HASH, "Còn lưu băm LM", "LM hashes stored"),
    (
        category::EMAIL_ON_SOCIAL_SITE,
        "Thư công vụ trên mạng xã hội, diễn đàn",
        "Official addresses on social sites",
    ),
    (
        category::EMAIL_BREACHED,
        "Thư công vụ bị lộ lọt khác",
        "Other breached official addresses",
    ),
];

/// Open and total findings of one cell.
#[derive(Debug, Default, Clone, Copy)]
struct Cell {
    open: i64,
    fixed: i64,
    total: i64,
}

/// `GET /hygiene`: per unit, accounts and addresses at risk, with how many are still open.
pub async fn hygiene(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, PageError> {
    hygiene_page(&state, &ctx, None).await
}

/// `POST /hygiene/exposures` (multipart: `list`, optional `sites`): imports a breach list and
/// shows the hygiene view with what the import did.
pub async fn import_exposures(
    State(state): State<AppState>,
    CsrfMultipart { ctx, files, .. }: CsrfMultipart,
) -> Result<Response, PageError> {
    // Breach lists cover the whole province.
    ctx.require(may_respond(ctx.role()) && ctx.scope().is_all())?;
    let lang = ctx.lang;
    let file = |name: &str| {
        files
            .iter()
            .find(|(field, f)| field == name && !f.bytes.is_empty())
    };
    let decode = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).ok();
    let notice = match file("list").map(|(_, f)| decode(&f.bytes)) {
        None => error_notice(lang.pick("Chưa chọn tệp danh sách.", "No list file was chosen.")),
        Some(None) => error_notice(lang.pick(
            "Tệp danh sách không phải văn bản UTF-8.",
            "The list is not UTF-8 text.",
        )),
        Some(Some(list)) => {
            let sites = file("sites").and_then(|(_, f)| decode(&f.bytes));
            match crate::api::exposures::import_text(
                &state,
                &ctx.scope(),
                &ctx.actor(),
                &list,
                sites.as_deref(),
            )
            .await
            {
                Ok(result) => html! {
                    div.notice.success role="status" #exposure-result {
                        p {
                            (lang.pick("Đã đọc", "Read")) " " (result.lines) " " (lang.pick("dòng", "lines")) "; "
                            strong data-matched=(result.matched) { (result.matched) } " "
                            (lang.pick("địa chỉ thư công vụ của tỉnh", "official addresses of the province")) ", "
                            (result.outside_province) " " (lang.pick("địa chỉ ngoài tỉnh (bỏ qua)", "outside addresses (skipped)")) ", "
                            (result.unrecognised_sources) " " (lang.pick("nguồn không nhận ra (không lưu, có thể là mật khẩu)", "unrecognised sources (not kept: they may be passwords)")) "."
                        }
                        p {
                            (lang.pick("Phát hiện", "Findings")) ": "
                            span data-created=(result.outcome.created) { (result.outcome.created) } " " (lang.pick("mới", "new")) ", "
                            (result.outcome.updated) " " (lang.pick("đã có", "known")) ", "
                            (result.outcome.reopened) " " (lang.pick("tái diễn", "reopened")) "."
                        }
                    }
                },
                Err(error) => error_notice(&error.to_string()),
            }
        }
    };
    let page = hygiene_page(&state, &ctx, Some(notice)).await?;
    Ok(page.into_response())
}

fn error_notice(message: &str) -> Markup {
    html! { div.notice.error role="alert" #exposure-result { p { (message) } } }
}

async fn hygiene_page(
    state: &AppState,
    ctx: &Ctx,
    notice: Option<Markup>,
) -> Result<Markup, PageError> {
    let state = state.clone();
    let lang = ctx.lang;
    let scope = ctx.scope();
    let counts = state.store.finding_counts(&scope, None).await?;
    let mut table: BTreeMap<Option<Id>, BTreeMap<&str, Cell>> = BTreeMap::new();
    for count in &counts {
        let Some((column, _, _)) = HYGIENE_COLUMNS
            .iter()
            .find(|(c, _, _)| *c == count.category)
        else {
            continue;
        };
        let cell = table
            .entry(count.unit_id)
            .or_default()
            .entry(column)
            .or_default();
        cell.total += count.count;
        if count.status.is_open() {
            cell.open += count.count;
        }
        if count.status == FindingStatus::Fixed {
            cell.fixed += count.count;
        }
    }
    let ids: Vec<Id> = table.keys().flatten().copied().collect();
    let names = unit_names(&state, &scope, &ids).await?;
    let can_import = may_respond(ctx.role()) && scope.is_all();
    let link = |unit: Option<Id>, category: &str, open: bool| {
        let mut query = vec![format!("category={category}")];
        if let Some(unit) = unit {
            query.push(format!("unit_id={unit}"));
        }
        if open {
            query.push("status=open".into());
        }
        format!("/findings?{}", query.join("&"))
    };
    let body = html! {
        @if let Some(notice) = notice { (notice) }
        p.hint { (lang.pick(
            "Tài khoản dùng mật khẩu đã bị lộ hoặc dùng chung mật khẩu (từ kết quả rà soát canhgac passwords audit), và địa chỉ thư công vụ có trong dữ liệu lộ lọt, nhất là địa chỉ đã dùng để đăng ký mạng xã hội, diễn đàn (mục 1e của chỉ thị). Mỗi ô: số còn mở / tổng số; bấm để xem và cập nhật tình trạng khắc phục.",
            "Accounts with breached or shared passwords (from canhgac passwords audit runs), and official addresses found in breach data, above all those used to register on social networks and forums (directive clause 1e). Each cell: still open / total; follow it to see and update remediation.",
        )) }
        @if table.is_empty() {
            p.empty #hygiene-empty { (lang.pick("Chưa có kết quả rà soát nào.", "No audit results yet.")) }
        } @else {
            table.data.hygiene {
                thead { tr {
                    th { (lang.t(Msg::Unit)) }
                    @for (_, vi, en) in HYGIENE_COLUMNS { th.num { (lang.pick(vi, en)) } }
                } }
                tbody {
                    @for (unit, cells) in &table {
                        tr data-unit=(unit.map(|u| u.to_string()).unwrap_or_default()) {
                            td {
                                @match unit {
                                    Some(id) => (super::units::unit_link(lang, &names, *id)),
                                    None => span.muted { (lang.t(Msg::Unattributed)) },
                                }
                            }
                            @for (column, _, _) in HYGIENE_COLUMNS {
                                @let cell = cells.get(column).copied().unwrap_or_default();
                                td.num data-category=(column) data-open=(cell.open) data-total=(cell.total) {
                                    @if cell.total == 0 { span.muted { "—" } } @else {
                                        a href=(link(*unit, column, true)) class=[(cell.open > 0).then_some("open-count")] { (cell.open) }
                                        " / "
                                        a href=(link(*unit, column, false)) { (cell.total) }
                                        @if cell.fixed > 0 {
                                            br; small.muted { (cell.fixed) " " (lang.pick("đã khắc phục", "fixed")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if can_import {
            form.card.entity-form #exposure-form method="post" action="/hygiene/exposures" enctype="multipart/form-data" {
                h2 { (lang.pick("Nhập danh sách địa chỉ thư bị lộ lọt", "Import a breach list of email addresses")) }
                p.hint { (lang.pick(
                    "Danh sách dạng email[:nguồn] mỗi dòng, hoặc CSV có cột email (và site, domain, category). Chỉ giữ địa chỉ thuộc tên miền thư điện tử công vụ trong danh mục (tài sản tên miền của hệ thống thư điện tử) và địa chỉ của đầu mối liên hệ. Nhập tất cả hoặc không gì cả: một dòng lỗi làm hỏng cả tệp và được chỉ rõ số dòng. Nguồn không nhận ra không được lưu (có thể là mật khẩu).",
                    "Lines email[:source], or a CSV with an email column (and site, domain, category). Only addresses of the official email domains in the inventory (domain assets of email systems) and contacts' addresses are kept. All or nothing: a bad line refuses the file and is named. Unrecognised sources are not kept (they may be passwords).",
                )) }
                (forms::csrf_field(&ctx.csrf))
                div.field {
                    label for="list" { (lang.pick("Tệp danh sách", "List file")) }
                    input type="file" id="list" name="list" required;
                }
                div.field {
                    label for="sites" { (lang.pick("Thông tin các trang bị lộ (CSV, không bắt buộc)", "Breach metadata (CSV, optional)")) }
                    input type="file" id="sites" name="sites";
                }
                div.actions { button.primary type="submit" { (lang.pick("Nhập", "Import")) } }
            }
        }
    };
    Ok(layout::page(
        &ctx.chrome(),
        lang.pick("An toàn tài khoản", "Account hygiene"),
        body,
    ))
}
