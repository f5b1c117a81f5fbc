//! Line charts drawn on the server as inline SVG (no JavaScript): one line per series (a probe's
//! response times, a group's traffic), failed checks as red marks along the bottom, time on the
//! x axis in the configured zone.

use std::fmt::Write as _;

use canhgac_model::Timestamp;
use jiff::SignedDuration;
use maud::{html, Markup, PreEscaped};

use super::format;
use super::i18n::{Lang, Msg};

/// One measurement: when, its value (none when nothing was measured, e.g. nothing answered),
/// and whether it passed (a failed one is marked along the bottom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// When.
    pub at: Timestamp,
    /// The value: milliseconds of a response, or a rate.
    pub value: Option<f64>,
    /// The check passed.
    pub ok: bool,
}

/// What the y axis measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// Response times, labelled "120 ms".
    Milliseconds,
    /// A rate, labelled with SI prefixes and this unit, e.g. "1.5 M bit/s".
    Rate(&'static str),
}

impl Axis {
    fn label(self, value: f64) -> String {
        match self {
            Axis::Milliseconds => format!("{} ms", value.round()),
            Axis::Rate(unit) => format!("{} {unit}", si(value)),
        }
    }
}

/// 1500 → "1.5 k", 2000000 → "2 M".
pub fn si(value: f64) -> String {
    let (scaled, prefix) = if value >= 1e9 {
        (value / 1e9, " G")
    } else if value >= 1e6 {
        (value / 1e6, " M")
    } else if value >= 1e3 {
        (value / 1e3, " k")
    } else {
        (value, "")
    };
    let text = format!("{scaled:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{prefix}").trim_end().replace("  ", " ")
}

/// The points of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' name (the legend): a probe, a direction.
    pub name: String,
    /// Points in time order.
    pub points: Vec<Point>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;
const COLOURS: [&str; 5] = ["#0b5c8a", "#8a5a00", "#6b3fa0", "#146c43", "#44525e"];

/// The smallest "round" number (1, 2 or 5 times a power of ten) at or above `value`.
fn nice_ceiling(value: f64) -> f64 {
    let value = value.max(10.0);
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|candidate| *candidate >= value)
        .unwrap_or(10.0 * magnitude)
}

/// Tick marks of the x axis: (instant, label), aligned to local midnight.
fn ticks(from: Timestamp, to: Timestamp, tz: &jiff::tz::TimeZone) -> Vec<(Timestamp, String)> {
    let span = to.duration_since(from);
    let hours = span.as_hours();
    let (step, daily) = if span.as_secs() <= 2 * 3600 {
        (SignedDuration::from_mins(15), false)
    } else if hours <= 48 {
        (
            SignedDuration::from_hours(if hours <= 12 { 2 } else { 4 }),
            false,
        )
    } else {
        let days = (hours / 24 / 6).max(1);
        (SignedDuration::from_hours(days * 24), true)
    };
    let Ok(midnight) = from.to_zoned(tz.clone()).start_of_day() else {
        return Vec::new();
    };
    let mut at = midnight.timestamp();
    let mut out = Vec::new();
    while at <= to && out.len() < 40 {
        if at >= from {
            let local = at.to_zoned(tz.clone());
            let label = if daily {
                format!("{:02}/{:02}", local.day(), local.month())
            } else {
                format!("{:02}:{:02}", local.hour(), local.minute())
            };
            out.push((at, label));
        }
        match at.checked_add(step) {
            Ok(next) => at = next,
            Err(_) => break,
        }
    }
    out
}

/// A response-time chart of `series` between `from` and `to` (see [`line_chart`]).
pub fn response_time_chart(
    lang: Lang,
    caption: &str,
    from: Timestamp,
    to: Timestamp,
    tz: &jiff::tz::TimeZone,
    series: &[Series],
) -> Markup {
    line_chart(lang, caption, from, to, tz, Axis::Milliseconds, series)
}

/// A chart of `series` between `from` and `to`. `caption` names it for screen readers; the
/// element carries `data-points` (points drawn) and `data-failures` (failed marks).
pub fn line_chart(
    lang: Lang,
    caption: &str,
    from: Timestamp,
    to: Timestamp,
    tz: &jiff::tz::TimeZone,
    axis: Axis,
    series: &[Series],
) -> Markup {
    let plotted: usize = series
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| p.value.is_some())
        .count();
    let failures: usize = series
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| !p.ok)
        .count();
    if plotted == 0 && failures == 0 || to <= from {
        return html! { p.empty.chart-empty { (lang.t(Msg::NoMeasurements)) } };
    }
    let max = series
        .iter()
        .flat_map(|s| &s.points)
        .filter_map(|p| p.value)
        .fold(0.0_f64, f64::max);
    let top = nice_ceiling(max);
    let span = to.duration_since(from).as_secs_f64().max(1.0);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |at: Timestamp| {
        LEFT + (at.duration_since(from).as_secs_f64() / span).clamp(0.0, 1.0) * plot_w
    };
    let y = |value: f64| TOP + plot_h - (value / top).clamp(0.0, 1.0) * plot_h;
    let mut svg = String::new();
    // Grid and y labels: 0, half, top.
    for fraction in [0.0, 0.5, 1.0] {
        let gy = TOP + plot_h - fraction * plot_h;
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{LEFT}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}" stroke="#d9dee5"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#5d6776">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            gy + 4.0,
            axis.label(top * fraction)
        );
    }
    for (at, label) in ticks(from, to, tz) {
        let tx = x(at);
        let _ = write!(
            svg,
            r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#b8c0cc"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#5d6776">{label}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 4.0,
            HEIGHT - 10.0
        );
    }
    for (index, one) in series.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        // A failed check without a response time breaks the line.
        let flush = |segment: &mut Vec<(f64, f64)>, svg: &mut String| {
            match segment.as_slice() {
                [] => {}
                [(cx, cy)] => {
                    let _ = write!(
                        svg,
                        r#"<circle class="point" cx="{cx:.1}" cy="{cy:.1}" r="2" fill="{colour}"/>"#
                    );
                }
                points => {
                    let coordinates: Vec<String> = points
                        .iter()
                        .map(|(px, py)| format!("{px:.1},{py:.1}"))
                        .collect();
                    let _ = write!(
                        svg,
                        r#"<polyline class="series" data-probe="{}" fill="none" stroke="{colour}" stroke-width="1.5" points="{}"/>"#,
                        html! { (one.name) }.into_string(),
                        coordinates.join(" ")
                    );
                }
            }
            segment.clear();
        };
        let mut segment: Vec<(f64, f64)> = Vec::new();
        for point in &one.points {
            match point.value {
                Some(value) => segment.push((x(point.at), y(value))),
                None => flush(&mut segment, &mut svg),
            }
        }
        flush(&mut segment, &mut svg);
        for point in one.points.iter().filter(|p| !p.ok) {
            let _ = write!(
                svg,
                r##"<rect class="fail" x="{:.1}" y="{:.1}" width="2" height="6" fill="#b42318"/>"##,
                x(point.at) - 1.0,
                TOP + plot_h - 6.0
            );
        }
    }
    let label = format!(
        "{caption}: {} {} – {}",
        lang.t(Msg::From).to_lowercase(),
        format::datetime(from, tz),
        format::datetime(to, tz)
    );
    html! {
        figure.chart data-points=(plotted) data-failures=(failures) {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(label) {
                title { (label) }
                (PreEscaped(svg))
            }
            @if series.len() > 1 {
                figcaption.legend {
                    @for (index, one) in series.iter().enumerate() {
                        span.legend-item { span.swatch style={ "background:" (COLOURS[index % COLOURS.len()]) } {} " " (one.name) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tz() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()
    }

    #[test]
    fn round_ceilings() {
        assert_eq!(nice_ceiling(0.0), 10.0);
        assert_eq!(nice_ceiling(35.0), 50.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(nice_ceiling(2000.0), 2000.0);
        assert_eq!(nice_ceiling(2001.0), 5000.0);
    }

    #[test]
    fn a_day_of_checks_draws_lines_ticks_and_failures() {
        let to: Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
        let from = to - SignedDuration::from_hours(24);
        let point = |minutes: i64, latency: Option<u32>, ok| Point {
            at: from + SignedDuration::from_mins(minutes),
            value: latency.map(f64::from),
            ok,
        };
        let series = vec![
            Series {
                name: "local".into(),
                points: vec![
                    point(10, Some(40), true),
                    point(20, Some(55), true),
                    point(30, None, false),
                    point(40, Some(1200), true),
                    point(50, Some(80), true),
                ],
            },
            Series {
                name: "ngoai-mang".into(),
                points: vec![point(15, Some(90), true), point(25, Some(95), false)],
            },
        ];
        let html = response_time_chart(Lang::Vi, "24 giờ", from, to, &tz(), &series).into_string();
        assert!(html.contains(r#"data-points="6""#), "{html}");
        assert!(html.contains(r#"data-failures="2""#));
        // The failure splits the first line in two; the second probe has its own line.
        assert_eq!(html.matches("<polyline").count(), 3, "{html}");
        assert_eq!(html.matches(r#"class="fail""#).count(), 2);
        assert!(html.contains(r#"data-probe="ngoai-mang""#));
        // 1,200 ms tops the scale at 2,000.
        assert!(html.contains(">2000 ms<") && html.contains(">1000 ms<"));
        // Hour ticks in Hà Nội time (07:00 UTC+7 is midnight UTC).
        assert!(
            html.contains(">08:00<") && html.contains(">12:00<"),
            "{html}"
        );
        assert!(html.contains("<svg") && html.contains("role=\"img\""));
        assert!(html.contains("legend"));
    }

    #[test]
    fn a_month_uses_day_ticks_and_nothing_draws_a_note() {
        let to: Timestamp = "2026-03-31T00:00:00Z".parse().unwrap();
        let from = to - SignedDuration::from_hours(30 * 24);
        let series = vec![Series {
            name: "local".into(),
            points: vec![Point {
                at: from + SignedDuration::from_hours(30),
                value: Some(42.0),
                ok: true,
            }],
        }];
        let html = response_time_chart(Lang::En, "30 days", from, to, &tz(), &series).into_string();
        assert!(html.contains(r#"data-points="1""#));
        assert!(html.contains("<circle"));
        assert!(html.contains(">06/03<"), "{html}");
        let empty = response_time_chart(Lang::Vi, "x", from, to, &tz(), &[]).into_string();
        assert!(empty.contains("chart-empty") && !empty.contains("<svg"));
    }

    #[test]
    fn an_hour_of_rates_uses_quarter_hour_ticks_and_si_labels() {
        let to: Timestamp = "2026-03-02T01:00:00Z".parse().unwrap();
        let from = to - SignedDuration::from_hours(1);
        let series = vec![Series {
            name: "vào".into(),
            points: (0..6)
                .map(|i| Point {
                    at: from + SignedDuration::from_mins(10 * i),
                    value: Some(1_500_000.0 * i as f64),
                    ok: true,
                })
                .collect(),
        }];
        let html = line_chart(
            Lang::Vi,
            "1 giờ",
            from,
            to,
            &tz(),
            Axis::Rate("bit/s"),
            &series,
        )
        .into_string();
        assert!(html.contains(r#"data-points="6""#), "{html}");
        // 7.5 Mbit/s tops the scale at 10 M.
        assert!(
            html.contains(">10 M bit/s<") && html.contains(">5 M bit/s<"),
            "{html}"
        );
        // 07:00 to 08:00 Hà Nội time, a tick every quarter.
        assert!(
            html.contains(">07:15<") && html.contains(">07:45<"),
            "{html}"
        );
        assert_eq!(si(999.0), "999");
        assert_eq!(si(1_500.0), "1.5 k");
        assert_eq!(si(2_000_000_000.0), "2 G");
    }
}
