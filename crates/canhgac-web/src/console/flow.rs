//! `GET /flow`: the ISP network watch. Attacks in progress with their fingerprint, each prefix
//! group's traffic (now, the last hour and the last day as SVG charts, and its heaviest hosts),
//! attacks that ended, and, for province-wide staff, the health of every exporter and the
//! unknown senders. An ISP officer sees only the groups and attacks of their own units.

use std::net::IpAddr;

use axum::extract::State;
use canhgac_flow::board::{BoardSnapshot, GroupBoard, TrafficPoint};
use canhgac_flow::collector::CollectorStats;
use canhgac_flow::decode::FlowFormat;
use canhgac_flow::detect::{Attack, Rates, TopEntry};
use canhgac_flow::Protocol;
use jiff::{SignedDuration, Timestamp};
use maud::{html, Markup};

use super::chart::{line_chart, si, Axis, Point, Series};
use super::error::PageError;
use super::format;
use super::i18n::{Lang, Msg};
use super::layout;
use super::session::Ctx;
use crate::AppState;

/// The page reloads itself this often, like a running scan's.
const REFRESH_SECS: u32 = 30;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_millisecond(i64::try_from(ms).unwrap_or(0)).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn when(ms: u64, tz: &jiff::tz::TimeZone) -> String {
    if ms == 0 {
        "—".into()
    } else {
        format::datetime(at(ms), tz)
    }
}

fn rates(lang: Lang, r: Rates) -> Markup {
    html! {
        span.rates data-pps=(r.pps) data-bps=(r.bps) {
            (si(r.pps as f64)) " " (lang.pick("gói/s", "pps")) " · "
            (si(r.bps as f64)) " bit/s · "
            (si(r.fps as f64)) " " (lang.pick("luồng/s", "flows/s"))
        }
    }
}

fn format_name(format: Option<FlowFormat>) -> &'static str {
    match format {
        Some(FlowFormat::NetflowV5) => "NetFlow v5",
        Some(FlowFormat::NetflowV9) => "NetFlow v9",
        Some(FlowFormat::Ipfix) => "IPFIX",
        Some(FlowFormat::SflowV5) => "sFlow v5",
        None => "—",
    }
}

fn protocol_name(protocol: Protocol) -> String {
    match protocol.0 {
        1 => "ICMP".into(),
        6 => "TCP".into(),
        17 => "UDP".into(),
        47 => "GRE".into(),
        50 => "ESP".into(),
        58 => "ICMPv6".into(),
        other => other.to_string(),
    }
}

fn top_list<K>(entries: &[TopEntry<K>], show: impl Fn(&K) -> String) -> Markup {
    html! {
        @if entries.is_empty() { "—" } @else {
            @for (i, entry) in entries.iter().enumerate() {
                @if i > 0 { ", " }
                (show(&entry.key)) " (" (si(entry.packets as f64)) ")"
            }
        }
    }
}

fn attack_rows(lang: Lang, tz: &jiff::tz::TimeZone, attacks: &[Attack], ended: bool) -> Markup {
    html! {
        table.data {
            thead { tr {
                th { (lang.pick("Loại", "Kind")) }
                th { (lang.pick("Mục tiêu", "Target")) }
                th { (lang.pick("Nhóm", "Group")) }
                th { (lang.pick("Hướng", "Direction")) }
                th { (lang.pick("Bắt đầu", "Started")) }
                @if ended { th { (lang.pick("Kết thúc", "Ended")) } } @else { th { (lang.pick("Hiện tại", "Now")) } }
                th { (lang.pick("Đỉnh", "Peak")) }
                th { (lang.pick("Dấu vết", "Fingerprint")) }
            } }
            tbody {
                @for a in attacks {
                    tr.attack data-attack=(a.id) data-unit=(a.unit_id) data-kind=(a.kind.code()) {
                        td { (match lang { Lang::Vi => a.kind.label_vi(), Lang::En => a.kind.label_en() }) }
                        td { code { (a.target.to_string()) } }
                        td { (a.group) }
                        td { (match lang { Lang::Vi => a.direction.label_vi(), Lang::En => a.direction.label_en() }) }
                        td { (when(a.started_ms, tz)) }
                        @if ended { td { (when(a.ended_ms.unwrap_or(0), tz)) } } @else { td { (rates(lang, a.current)) } }
                        td { (rates(lang, a.peak)) }
                        td {
                            details {
                                summary { (match lang { Lang::Vi => a.trigger.explain_vi(), Lang::En => a.trigger.explain_en() }) }
                                dl {
                                    dt { (lang.pick("Nguồn nhiều nhất", "Top sources")) }
                                    dd { (top_list(&a.top_sources, IpAddr::to_string)) }
                                    dt { (lang.pick("Đích nhiều nhất", "Top destinations")) }
                                    dd { (top_list(&a.top_destinations, IpAddr::to_string)) }
                                    dt { (lang.pick("Giao thức", "Protocols")) }
                                    dd { (top_list(&a.top_protocols, |p| protocol_name(*p))) }
                                    dt { (lang.pick("Cổng nguồn", "Source ports")) }
                                    dd { (top_list(&a.top_source_ports, u16::to_string)) }
                                    dt { (lang.pick("Cổng đích", "Destination ports")) }
                                    dd { (top_list(&a.top_destination_ports, u16::to_string)) }
                                }
                                p { a href={ "/alerts?source=flow&unit_id=" (a.unit_id) } { (lang.pick("Cảnh báo của đơn vị", "The unit's alerts")) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Two charts (packets and bits per second, incoming and outgoing) over `points`.
fn charts(
    lang: Lang,
    tz: &jiff::tz::TimeZone,
    caption: &str,
    span: SignedDuration,
    now: Timestamp,
    points: &[TrafficPoint],
) -> Markup {
    let series = |pick: fn(&Rates) -> u64| {
        let line = |name: &str, side: fn(&TrafficPoint) -> Rates| Series {
            name: name.to_string(),
            points: points
                .iter()
                .map(|p| Point {
                    at: at(p.at_ms),
                    value: Some(pick(&side(p)) as f64),
                    ok: true,
                })
                .collect(),
        };
        vec![
            line(lang.pick("Vào", "In"), |p| p.incoming),
            line(lang.pick("Ra", "Out"), |p| p.outgoing),
        ]
    };
    let from = now - span;
    html! {
        div.flow-charts {
            (line_chart(lang, &format!("{caption} — {}", lang.pick("gói/s", "packets/s")), from, now, tz, Axis::Rate(lang.pick("gói/s", "pps")), &series(|r| r.pps)))
            (line_chart(lang, &format!("{caption} — bit/s"), from, now, tz, Axis::Rate("bit/s"), &series(|r| r.bps)))
        }
    }
}

fn group_section(
    lang: Lang,
    tz: &jiff::tz::TimeZone,
    now: Timestamp,
    group: &GroupBoard,
) -> Markup {
    let t = &group.traffic;
    html! {
        section.flow-group data-group=(t.group) data-unit=(t.unit_id) {
            h3 { (t.group) " " small.muted { a href={ "/units/" (t.unit_id) } { (lang.t(Msg::Unit)) " #" (t.unit_id) } } }
            table.data.compact {
                tbody {
                    tr { th { (lang.pick("Vào", "In")) } td.incoming { (rates(lang, t.incoming)) } }
                    tr { th { (lang.pick("Ra", "Out")) } td.outgoing { (rates(lang, t.outgoing)) } }
                }
            }
            (charts(lang, tz, lang.pick("1 giờ qua", "Last hour"), SignedDuration::from_hours(1), now, &group.last_hour))
            details {
                summary { (lang.pick("24 giờ qua", "Last 24 hours")) }
                (charts(lang, tz, lang.pick("24 giờ qua", "Last 24 hours"), SignedDuration::from_hours(24), now, &group.last_day))
            }
            h4 { (lang.pick("Máy nhận nhiều nhất", "Top destination hosts")) }
            @if t.top_hosts.is_empty() {
                p.muted { (lang.pick(
                    "Chưa có (chỉ theo dõi từng máy ở nhóm có ngưỡng theo máy).",
                    "None yet (hosts are tracked in groups with per-host limits).",
                )) }
            } @else {
                table.data.top-hosts {
                    thead { tr { th { (lang.pick("Máy", "Host")) } th { (lang.pick("Lưu lượng vào", "Incoming")) } } }
                    tbody { @for h in &t.top_hosts {
                        tr data-host=(h.host) { td { code { (h.host) } } td { (rates(lang, h.rates)) } }
                    } }
                }
            }
        }
    }
}

fn exporters_section(
    lang: Lang,
    tz: &jiff::tz::TimeZone,
    collector: &CollectorStats,
    units: &std::collections::BTreeMap<IpAddr, i64>,
) -> Markup {
    html! {
        h2 { (lang.pick("Bộ xuất luồng (router)", "Flow exporters (routers)")) }
        @if collector.exporters.is_empty() {
            p.empty { (lang.pick("Chưa nhận gói nào từ bộ xuất đã đăng ký.", "Nothing received from a registered exporter yet.")) }
        } @else {
            table.data #exporters {
                thead { tr {
                    th { (lang.pick("Địa chỉ", "Address")) }
                    th { (lang.t(Msg::Unit)) }
                    th { (lang.pick("Định dạng", "Format")) }
                    th.num { (lang.pick("Gói xuất", "Datagrams")) }
                    th.num { (lang.pick("Luồng", "Flows")) }
                    th.num { (lang.pick("Lỗi giải mã", "Decode errors")) }
                    th.num { (lang.pick("Thiếu template", "Template misses")) }
                    th.num { (lang.pick("Đứt số thứ tự", "Sequence gaps")) }
                    th.num { (lang.pick("Mất (gói/luồng)", "Lost (datagrams/records)")) }
                    th { (lang.pick("Lần cuối", "Last seen")) }
                    th { (lang.pick("Lỗi gần nhất", "Last error")) }
                } }
                tbody { @for e in &collector.exporters {
                    tr data-exporter=(e.exporter) data-flows=(e.flows) data-errors=(e.decode_errors) {
                        td { code { (e.exporter) } }
                        td { @match units.get(&e.exporter) {
                            Some(unit) => a href={ "/units/" (unit) } { "#" (unit) },
                            None => (lang.pick("toàn tỉnh", "province-wide")),
                        } }
                        td { (format_name(e.format)) }
                        td.num { (e.datagrams) }
                        td.num { (e.flows) }
                        td.num { (e.decode_errors) }
                        td.num { (e.template_misses) }
                        td.num { (e.sequence_gaps) }
                        td.num { (e.lost_datagrams) " / " (e.lost_records) }
                        td { (when(e.last_seen_ms, tz)) }
                        td { @if let Some(error) = &e.last_error { small { (error.to_string()) } } @else { "—" } }
                    }
                } }
            }
        }
        @if !collector.unknown.is_empty() || collector.unknown_unlisted_datagrams > 0 {
            h3 { (lang.pick("Nguồn lạ (không được tin, không giải mã)", "Unknown senders (not trusted, not decoded)")) }
            table.data #unknown-exporters {
                thead { tr {
                    th { (lang.pick("Địa chỉ", "Address")) }
                    th.num { (lang.pick("Gói", "Datagrams")) }
                    th.num { "Byte" }
                    th { (lang.pick("Lần cuối", "Last seen")) }
                } }
                tbody {
                    @for u in &collector.unknown {
                        tr data-unknown=(u.source) {
                            td { code { (u.source) } }
                            td.num { (u.datagrams) }
                            td.num { (u.bytes) }
                            td { (when(u.last_seen_ms, tz)) }
                        }
                    }
                    @if collector.unknown_unlisted_datagrams > 0 {
                        tr { td { (lang.pick("các nguồn khác", "other senders")) } td.num { (collector.unknown_unlisted_datagrams) } td {} td {} }
                    }
                }
            }
        }
    }
}

/// A mitigation's target as shown: a webhook URL without its path and query, which may carry
/// a token.
fn shown_target(target: &str) -> String {
    for scheme in ["https://", "http://"] {
        if let Some(rest) = target.strip_prefix(scheme) {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            // Drop user:password@ as well.
            let host = authority.rsplit('@').next().unwrap_or(authority);
            return format!("{scheme}{host}/…");
        }
    }
    target.to_string()
}

fn board_body(lang: Lang, tz: &jiff::tz::TimeZone, board: &BoardSnapshot) -> Markup {
    let now = if board.updated_ms == 0 {
        Timestamp::now()
    } else {
        at(board.updated_ms)
    };
    html! {
        p.muted { (lang.pick("Cập nhật lúc", "Updated at")) " " (when(board.updated_ms, tz))
            " · " (lang.pick("luồng đã xử lý", "flows processed")) " " span #flows-seen { (board.detector.flows) } }
        h2 { (lang.pick("Tấn công đang diễn ra", "Attacks in progress")) }
        @if board.active.is_empty() {
            p.empty #no-active { (lang.pick("Không có.", "None.")) }
        } @else {
            div #active { (attack_rows(lang, tz, &board.active, false)) }
        }
        h2 { (lang.pick("Lưu lượng theo nhóm địa chỉ", "Traffic per prefix group")) }
        @if board.groups.is_empty() {
            p.empty { (lang.t(Msg::Empty)) }
        }
        @for group in &board.groups { (group_section(lang, tz, now, group)) }
        h2 { (lang.pick("Tấn công đã kết thúc", "Ended attacks")) }
        @if board.recent.is_empty() {
            p.empty { (lang.pick("Chưa có.", "None yet.")) }
        } @else {
            div #recent { (attack_rows(lang, tz, &board.recent, true)) }
        }
        h2 { (lang.pick("Biện pháp giảm thiểu", "Mitigation actions")) }
        @if board.mitigations.is_empty() {
            p.empty { (lang.pick("Chưa có.", "None yet.")) }
        } @else {
            table.data #mitigations {
                thead { tr {
                    th { (lang.pick("Lúc", "When")) }
                    th { (lang.pick("Tấn công", "Attack")) }
                    th { (lang.pick("Hành động", "Action")) }
                    th { (lang.pick("Đối tượng", "Target")) }
                    th { (lang.pick("Kết quả", "Outcome")) }
                } }
                tbody { @for m in &board.mitigations {
                    tr data-action=(serde_json::to_string(&m.action).unwrap_or_default().trim_matches('"')) data-unit=(m.unit_id) {
                        td { (when(m.at_ms, tz)) }
                        td { "#" (m.attack_id) }
                        td { (match lang { Lang::Vi => m.action.label_vi(), Lang::En => m.action.label_en() }) }
                        td { code { (shown_target(&m.target)) } }
                        td {
                            (match lang { Lang::Vi => m.outcome.label_vi(), Lang::En => m.outcome.label_en() })
                            @if let Some(error) = &m.error { br; small { (error) } }
                        }
                    }
                } }
            }
        }
        @if let Some(collector) = &board.collector { (exporters_section(lang, tz, collector, &board.exporter_units)) }
    }
}

/// `GET /flow`.
pub async fn show(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let title = lang.pick("Mạng ISP (luồng)", "ISP network (flows)");
    let body = match &state.flow {
        None => html! {
            p.empty #flow-off { (lang.pick(
                "Máy chủ này không chạy bộ thu luồng NetFlow/IPFIX/sFlow (mục [flow] trong tệp cấu hình).",
                "This server runs no NetFlow/IPFIX/sFlow collector (the [flow] section of the configuration).",
            )) }
        },
        Some(board) => {
            let snapshot =
                crate::flow::scoped_board(state.store.as_ref(), board, &ctx.scope()).await?;
            board_body(lang, &ctx.tz, &snapshot)
        }
    };
    Ok(layout::page_refreshing(
        &ctx.chrome(),
        title,
        html! { h1 { (title) } },
        body,
        Some(REFRESH_SECS),
    ))
}
