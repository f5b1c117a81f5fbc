//! `GET /directive`: how far each unit meets the provincial directive, clause by clause. Every
//! cell is a measured fact (from the store, and the event log for logs received) linking to its
//! evidence; a clause whose capability is not in place yet says so instead of guessing.

use axum::extract::{Query, State};
use canhgac_model::directive::UnitDirectiveFacts;
use canhgac_model::Id;
use jiff::{SignedDuration, Timestamp};
use maud::{html, Markup};

use super::error::PageError;
use super::forms::Params;
use super::i18n::{Lang, Msg};
use super::layout;
use super::session::Ctx;
use crate::AppState;

/// Days within which a system counts as scanned, unless `?days=` says otherwise.
pub const DEFAULT_SCAN_DAYS: i64 = 30;

/// One unit's facts with what only the event log knows.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UnitDirective {
    /// Counts from the store.
    #[serde(flatten)]
    pub facts: UnitDirectiveFacts,
    /// Whether events attributed to the unit arrived in the last hour (`None` when this server
    /// does not take logs).
    pub logs_last_hour: Option<bool>,
}

/// The facts of every unit in the caller's scope, with logs of the last hour when detection
/// runs on this server.
pub async fn directive_rows(
    state: &AppState,
    scope: &canhgac_model::Scope,
    days: i64,
) -> Result<Vec<UnitDirective>, canhgac_store::StoreError> {
    let now = Timestamp::now();
    let since = now - SignedDuration::from_hours(24 * days.clamp(1, 366));
    let facts = state.store.directive_facts(scope, since).await?;
    let mut rows = Vec::with_capacity(facts.len());
    for facts in facts {
        let logs_last_hour = match &state.detection {
            Some(detection) => {
                let query = canhgac_eventlog::EventQuery {
                    from: Some(now - SignedDuration::from_hours(1)),
                    units: canhgac_eventlog::UnitFilter::Only {
                        units: vec![facts.unit_id],
                        unattributed: false,
                    },
                    limit: 1,
                    ..canhgac_eventlog::EventQuery::default()
                };
                detection
                    .search(query)
                    .await
                    .ok()
                    .map(|page| !page.events.is_empty())
            }
            None => None,
        };
        rows.push(UnitDirective {
            facts,
            logs_last_hour,
        });
    }
    Ok(rows)
}

/// A cell: met (`ok`), not met (`bad`) or nothing to judge (`none`), linked to its evidence.
fn cell(state: &str, href: &str, text: Markup) -> Markup {
    html! {
        td class={ "directive-" (state) } data-state=(state) {
            a href=(href) { (text) }
        }
    }
}

fn judged(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "bad"
    }
}

fn row(lang: Lang, row: &UnitDirective) -> Markup {
    let f = &row.facts;
    let unit: Id = f.unit_id;
    let scanned = if f.systems == 0 {
        "none"
    } else {
        judged(f.all_scanned())
    };
    let serious = judged(f.open_serious_findings == 0 && f.open_kev_findings == 0);
    let malware = judged(f.open_malware_findings == 0);
    let monitors = if f.monitors == 0 {
        "bad"
    } else {
        judged(f.monitors_up == f.monitors)
    };
    let logs = match row.logs_last_hour {
        Some(true) => "ok",
        Some(false) => "bad",
        None => "none",
    };
    let accounts = if f.account_findings == 0 {
        "none"
    } else {
        judged(f.account_findings_open == 0)
    };
    // Clause 3 asks ISPs for tested redundancy; other units have nothing to judge.
    let redundancy = if f.unit_kind != "isp" {
        "none"
    } else {
        judged(f.isp_redundancy_met())
    };
    html! {
        tr data-unit=(unit) {
            td { a href={ "/units/" (unit) } { (f.unit_name) } }
            (cell(scanned, "/scans", html! {
                (f.systems_scanned) " / " (f.systems)
            }))
            (cell(serious, &format!("/findings?unit_id={unit}&status=open&min_severity=high"), html! {
                (f.open_serious_findings)
                @if f.open_kev_findings > 0 { " (" (f.open_kev_findings) " KEV)" }
            }))
            (cell(malware, &format!("/findings?unit_id={unit}&status=open&category=webshell"), html! {
                (f.open_malware_findings)
            }))
            (cell(monitors, &format!("/monitors?unit_id={unit}"), html! {
                (f.monitors_up) " / " (f.monitors)
            }))
            (cell(logs, &format!("/events?unit_id={unit}"), html! {
                @match row.logs_last_hour {
                    Some(true) => (lang.pick("có", "yes")),
                    Some(false) => (lang.pick("không", "no")),
                    None => "—",
                }
            }))
            (cell(accounts, "/hygiene", html! {
                (f.account_findings_open) " / " (f.account_findings)
            }))
            (cell(redundancy, &format!("/systems?unit_id={unit}"), html! {
                @if f.unit_kind == "isp" { (f.backups_tested) " / " (f.systems) } @else { "—" }
            }))
        }
    }
}

/// `GET /directive?days=`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let days = params
        .get("days")
        .and_then(|d| d.trim().parse::<i64>().ok())
        .filter(|d| (1..=366).contains(d))
        .unwrap_or(DEFAULT_SCAN_DAYS);
    let rows = directive_rows(&state, &ctx.scope(), days).await?;
    let body = html! {
        p.hint { (lang.pick(
            "Mỗi ô là một số liệu đo được, bấm để xem bằng chứng. Xanh: đạt; đỏ: chưa đạt; xám: chưa có gì để đánh giá.",
            "Each cell is a measured fact; follow it to the evidence. Green: met; red: not met; grey: nothing to judge yet.",
        )) }
        @if rows.is_empty() {
            p.empty { (lang.t(Msg::Empty)) }
        } @else {
            table.data #directive {
                thead { tr {
                    th { (lang.t(Msg::Unit)) }
                    th title=(lang.pick("Mục 1a", "Clause 1a")) {
                        (lang.pick("Hệ thống đã rà quét", "Systems scanned")) br; small.muted { (days) " " (lang.pick("ngày", "days")) }
                    }
                    th title=(lang.pick("Mục 1a", "Clause 1a")) { (lang.pick("Phát hiện nghiêm trọng còn mở", "Open serious findings")) }
                    th title=(lang.pick("Mục 1b", "Clause 1b")) { (lang.pick("Mã độc còn mở", "Open malware")) }
                    th title=(lang.pick("Mục 1c", "Clause 1c")) { (lang.pick("Giám sát hoạt động", "Monitors up")) }
                    th title=(lang.pick("Mục 1c", "Clause 1c")) { (lang.pick("Nhật ký trong 1 giờ", "Logs in the last hour")) }
                    th title=(lang.pick("Mục 1e, 2b", "Clauses 1e, 2b")) { (lang.pick("Tài khoản, thư bị lộ còn mở", "Leaked accounts open")) }
                    th title=(lang.pick("Mục 3 (nhà mạng)", "Clause 3 (ISPs)")) { (lang.pick("Dự phòng đã thử chuyển đổi", "Backups failover-tested")) }
                } }
                tbody { @for r in &rows { (row(lang, r)) } }
            }
            p.muted { (lang.pick(
                "Lịch trực dịp lễ (mục 1c) và cảnh báo của NCSC (mục 1d) sẽ hiện ở đây khi có chức năng lịch trực và sổ cảnh báo.",
                "The holiday duty roster (clause 1c) and NCSC advisories (clause 1d) appear here once the roster and the advisory register exist.",
            )) }
        }
    };
    Ok(layout::page(
        &ctx.chrome(),
        lang.pick("Thực hiện chỉ thị", "Directive progress"),
        body,
    ))
}
