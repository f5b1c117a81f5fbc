//! Hunt hits written for people and for tools: an aligned table, JSON lines, CSV.
//!
//! Times are shown as `dd/mm/yyyy HH:MM:SS` in Asia/Ho_Chi_Minh (UTC+7, no daylight saving);
//! JSON lines also carry the instant in RFC 3339 (UTC). Each hit shows a few *key fields*: the
//! rule's own `fields` when the event has them, else a choice by kind of event (command line,
//! image, target, addresses, syslog program and message, request line).

use std::io::{self, Write};
use std::str::FromStr;

use canhgac_model::{Event, EventKind, FieldValue, Timestamp};
use canhgac_sigma::{RuleInfo, RuleSet};
use jiff::tz::TimeZone;
use serde_json::json;

use super::HuntHit;
use crate::evidence::{event_json, truncate, EvidenceLimits};

/// An output format of `canhgac hunt --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON object per line.
    Json,
    /// Comma-separated values with a header.
    Csv,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(Format::Table),
            "json" | "jsonl" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!(
                "unknown format {other:?}, expected table, json or csv"
            )),
        }
    }
}

/// Writes `hits` in `format`.
pub fn write(
    format: Format,
    out: &mut dyn Write,
    rules: &RuleSet,
    hits: &[HuntHit],
) -> io::Result<()> {
    match format {
        Format::Table => write_table(out, rules, hits),
        Format::Json => write_json_lines(out, rules, hits),
        Format::Csv => write_csv(out, rules, hits),
    }
}

/// Asia/Ho_Chi_Minh (a fixed UTC+7 when the time zone database lacks it).
pub fn local_zone() -> TimeZone {
    TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(7)))
}

/// `dd/mm/yyyy HH:MM:SS` in `zone`.
pub fn local_time(time: Timestamp, zone: &TimeZone) -> String {
    time.to_zoned(zone.clone())
        .strftime("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// Longest key-field text in the table and CSV.
const MAX_DETAILS: usize = 160;
/// Widest rule title column in the table.
const MAX_TITLE: usize = 60;
/// Widest host column in the table.
const MAX_HOST: usize = 30;

/// Field names tried, in order, when the rule lists none the event has.
const EVTX_KEYS: &[&str] = &[
    "EventID",
    "CommandLine",
    "Image",
    "ParentImage",
    "TargetFilename",
    "TargetObject",
    "QueryName",
    "DestinationIp",
    "DestinationHostname",
    "IpAddress",
    "TargetUserName",
    "SubjectUserName",
    "ServiceName",
    "ImagePath",
    "ScriptBlockText",
];
const SYSLOG_KEYS: &[&str] = &["program", "msg"];
const ACCESS_KEYS: &[&str] = &["c-ip", "cs-method", "c-uri", "sc-status", "cs-user-agent"];
/// At most this many key fields.
const MAX_KEYS: usize = 4;

/// The key fields of a hit as `Name=value; Name=value`, cut to [`MAX_DETAILS`] characters.
pub fn key_fields(info: &RuleInfo, event: &Event) -> String {
    let present = |name: &&str| {
        event
            .fields
            .get(name)
            .is_some_and(|v| !matches!(v, FieldValue::Null))
    };
    let mut names: Vec<&str> = info
        .fields
        .iter()
        .map(String::as_str)
        .filter(present)
        .take(MAX_KEYS)
        .collect();
    if names.is_empty() {
        let defaults = match event.kind {
            EventKind::Evtx => EVTX_KEYS,
            EventKind::Syslog3164 | EventKind::Syslog5424 => SYSLOG_KEYS,
            EventKind::AccessLog => ACCESS_KEYS,
            EventKind::Json | EventKind::Raw => &[],
        };
        names = defaults
            .iter()
            .copied()
            .filter(present)
            .take(MAX_KEYS)
            .collect();
    }
    let text = if names.is_empty() {
        event.message.clone()
    } else {
        names
            .iter()
            .filter_map(|name| {
                event
                    .fields
                    .get(name)
                    .map(|v| format!("{name}={}", v.to_text()))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate(&one_line, MAX_DETAILS)
}

/// An aligned table: time, level, rule, host, key fields.
pub fn write_table(out: &mut dyn Write, rules: &RuleSet, hits: &[HuntHit]) -> io::Result<()> {
    let zone = local_zone();
    let header = ["Thời gian", "Mức", "Luật", "Máy", "Chi tiết"];
    let rows: Vec<[String; 5]> = hits
        .iter()
        .map(|hit| {
            let info = rules.info(hit.rule);
            [
                local_time(hit.event.time, &zone),
                info.level.label_vi().to_string(),
                truncate(&info.title, MAX_TITLE),
                truncate(hit.event.host.as_deref().unwrap_or("-"), MAX_HOST),
                key_fields(info, &hit.event),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; 5]| -> io::Result<()> {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(cell);
                let pad = widths[i] - cell.chars().count() + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, header)?;
    let rule_line = widths.map(|w| "─".repeat(w));
    line(out, [0, 1, 2, 3, 4].map(|i| rule_line[i].as_str()))?;
    for row in &rows {
        line(out, [0, 1, 2, 3, 4].map(|i| row[i].as_str()))?;
    }
    Ok(())
}

/// One JSON object per hit: `time` (RFC 3339, UTC), `time_local`, `level`, `rule` (id, title,
/// key, tags, origin), `file`, `host`, `event` (bounded as alert evidence is).
pub fn write_json_lines(out: &mut dyn Write, rules: &RuleSet, hits: &[HuntHit]) -> io::Result<()> {
    let zone = local_zone();
    let limits = EvidenceLimits::default();
    for hit in hits {
        let info = rules.info(hit.rule);
        let line = json!({
            "time": hit.event.time.to_string(),
            "time_local": local_time(hit.event.time, &zone),
            "level": info.level.code(),
            "rule": {
                "id": info.id, "title": info.title, "key": info.key(), "tags": info.tags,
                "origin": info.origin,
            },
            "file": hit.file.display().to_string(),
            "host": hit.event.host,
            "event": event_json(&hit.event, &limits),
        });
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// CSV with a header: time (local), level, rule id, rule title, tags, host, file, key fields.
pub fn write_csv(out: &mut dyn Write, rules: &RuleSet, hits: &[HuntHit]) -> io::Result<()> {
    let zone = local_zone();
    let mut writer = csv::Writer::from_writer(out);
    let csv_error = |e: csv::Error| io::Error::other(e.to_string());
    writer
        .write_record([
            "time",
            "level",
            "rule_id",
            "rule_title",
            "tags",
            "host",
            "file",
            "details",
        ])
        .map_err(csv_error)?;
    for hit in hits {
        let info = rules.info(hit.rule);
        writer
            .write_record([
                local_time(hit.event.time, &zone).as_str(),
                info.level.code(),
                info.id.as_deref().unwrap_or(""),
                info.title.as_str(),
                info.tags.join(" ").as_str(),
                hit.event.host.as_deref().unwrap_or(""),
                hit.file.display().to_string().as_str(),
                key_fields(info, &hit.event).as_str(),
            ])
            .map_err(csv_error)?;
    }
    writer.flush()
}
