//! MISP: events in MISP's JSON (`{"Event": {…, "Attribute": […], "Object": [{"Attribute":
//! […]}], "Tag": […]}}`) into indicators, and MISP feeds (`manifest.json` listing event UUIDs,
//! and one `<uuid>.json` per event) from a directory or a URL, fetching only the events whose
//! `timestamp` changed since the last poll.
//!
//! Mapping: attribute types `ip-src`, `ip-dst` (and their `|port` forms), `domain`, `hostname`,
//! `domain|ip` (two indicators), `url`, `uri` (when absolute), `md5`, `sha1`, `sha256`,
//! `filename|md5`/`sha1`/`sha256`, `email`, `email-src`, `email-dst`. Only attributes flagged
//! `to_ids` become indicators unless [`MispOptions::only_to_ids`] is off; `deleted` attributes
//! are skipped. `tlp:*` tags (the attribute's, else the event's) → TLP, other tags → tags; the
//! event `info` (and the attribute comment) → description; `threat_level_id` → severity; the
//! attribute's `first_seen`/`last_seen` (else the event date and the attribute timestamp) →
//! first and last seen; the creator organisation (`Orgc`) → source.
//!
//! Reading is all or nothing, and errors name the event and attribute (UUID, else position).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use canhgac_model::{IndicatorInput, IndicatorKind, Severity, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::fetch::{get, FetchError, FetchLimits};
use crate::indicators::{ImportedIndicator, Tlp};
use crate::stix::pattern::indicator_value;

/// How events are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MispOptions {
    /// Only attributes flagged `to_ids` become indicators (the default: MISP's own signal that
    /// an attribute is fit for detection).
    pub only_to_ids: bool,
    /// The source when the event names no creator organisation.
    pub default_source: String,
}

impl Default for MispOptions {
    fn default() -> Self {
        Self {
            only_to_ids: true,
            default_source: "MISP".to_string(),
        }
    }
}

/// Why an event or a feed was refused.
#[derive(Debug, thiserror::Error)]
pub enum MispError {
    /// A document is not JSON.
    #[error("{document}: not JSON: {error}")]
    Json {
        /// `manifest.json`, `<uuid>.json` or `event`.
        document: String,
        /// The parser's message (with line and column).
        error: serde_json::Error,
    },
    /// An event is malformed.
    #[error("MISP event {event}: {problem}")]
    Event {
        /// The event's UUID, else its position.
        event: String,
        /// What is wrong.
        problem: String,
    },
    /// An attribute is malformed.
    #[error("MISP event {event}, attribute {attribute}: {problem}")]
    Attribute {
        /// The event's UUID, else its position.
        event: String,
        /// The attribute's UUID, else its position.
        attribute: String,
        /// What is wrong.
        problem: String,
    },
    /// The feed manifest is malformed.
    #[error("MISP feed manifest: {0}")]
    Manifest(String),
    /// A feed file could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// A feed URL could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

impl MispError {
    /// Vietnamese message for the console.
    pub fn message_vi(&self) -> String {
        match self {
            MispError::Json { document, error } => {
                format!("{document} không phải JSON hợp lệ: {error}")
            }
            MispError::Event { event, problem } => {
                format!("Sự kiện MISP {event} không hợp lệ: {problem}")
            }
            MispError::Attribute {
                event,
                attribute,
                problem,
            } => format!("Sự kiện MISP {event}, thuộc tính {attribute} không hợp lệ: {problem}"),
            MispError::Manifest(problem) => format!("Tệp manifest.json không hợp lệ: {problem}"),
            MispError::Io { path, error } => {
                format!("Không đọc được {}: {error}", path.display())
            }
            MispError::Fetch(error) => error.message_vi(),
        }
    }
}

/// What events held.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MispImport {
    /// Indicators, in event and attribute order.
    pub indicators: Vec<ImportedIndicator>,
    /// Events read.
    pub events: usize,
    /// Attributes of a supported type not flagged `to_ids`, skipped.
    pub skipped_not_to_ids: usize,
    /// Deleted attributes, skipped.
    pub skipped_deleted: usize,
    /// Attributes of other types (and relative `uri`s), by type.
    pub unsupported_types: BTreeMap<String, usize>,
}

impl MispImport {
    fn absorb(&mut self, other: MispImport) {
        self.indicators.extend(other.indicators);
        self.events += other.events;
        self.skipped_not_to_ids += other.skipped_not_to_ids;
        self.skipped_deleted += other.skipped_deleted;
        for (kind, count) in other.unsupported_types {
            *self.unsupported_types.entry(kind).or_default() += count;
        }
    }
}

/// Reads MISP events: `{"Event": {…}}`, a list of those, or `{"response": [...]}` as the MISP
/// API returns.
pub fn read_events(json: &str, options: &MispOptions) -> Result<MispImport, MispError> {
    let document: Value = serde_json::from_str(json).map_err(|error| MispError::Json {
        document: "event".to_string(),
        error,
    })?;
    let wrappers: Vec<&Value> = match &document {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => match map.get("response") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => vec![&document],
        },
        _ => {
            return Err(MispError::Event {
                event: "#0".to_string(),
                problem: "the document is neither an object nor a list".to_string(),
            })
        }
    };
    let mut import = MispImport::default();
    for (index, wrapper) in wrappers.into_iter().enumerate() {
        import.absorb(read_event(index, wrapper, options)?);
    }
    Ok(import)
}

/// Reads one `{"Event": {…}}` (or a bare event object).
fn read_event(
    index: usize,
    wrapper: &Value,
    options: &MispOptions,
) -> Result<MispImport, MispError> {
    let event = wrapper
        .get("Event")
        .unwrap_or(wrapper)
        .as_object()
        .ok_or_else(|| MispError::Event {
            event: format!("#{index}"),
            problem: "\"Event\" is not an object".to_string(),
        })?;
    let name = match event.get("uuid").and_then(Value::as_str) {
        Some(uuid) => uuid.to_string(),
        None => format!("#{index}"),
    };
    let event_error = |problem: String| MispError::Event {
        event: name.clone(),
        problem,
    };
    let info = event
        .get("info")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    let severity = match event.get("threat_level_id") {
        None | Some(Value::Null) => None,
        Some(value) => match integer(value) {
            Some(1) => Some(Severity::High),
            Some(2) => Some(Severity::Medium),
            Some(3) => Some(Severity::Low),
            // 4 is "undefined": the indicator default applies.
            Some(4) => None,
            _ => {
                return Err(event_error(format!(
                    "\"threat_level_id\" {value} is not 1, 2, 3 or 4"
                )))
            }
        },
    };
    let source = ["Orgc", "Org"]
        .iter()
        .find_map(|key| event.get(*key)?.get("name")?.as_str())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or(&options.default_source)
        .to_string();
    let (event_tlp, event_tags) = tags_of(event).map_err(event_error)?;
    let event_date = match event.get("date").and_then(Value::as_str) {
        None => None,
        Some(text) => Some(
            text.parse::<jiff::civil::Date>()
                .ok()
                .and_then(|date| date.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|zoned| zoned.timestamp())
                .ok_or_else(|| event_error(format!("\"date\" {text:?} is not YYYY-MM-DD")))?,
        ),
    };
    let context = EventContext {
        name: &name,
        info,
        severity,
        source,
        tlp: event_tlp,
        tags: event_tags,
        date: event_date,
    };

    let mut import = MispImport {
        events: 1,
        ..MispImport::default()
    };
    let mut position = 0;
    let mut read_list = |list: Option<&Value>, import: &mut MispImport| -> Result<(), MispError> {
        let attributes = match list {
            None | Some(Value::Null) => return Ok(()),
            Some(Value::Array(attributes)) => attributes,
            Some(_) => return Err(event_error("\"Attribute\" is not a list".to_string())),
        };
        for attribute in attributes {
            context.read_attribute(position, attribute, options, import)?;
            position += 1;
        }
        Ok(())
    };
    read_list(event.get("Attribute"), &mut import)?;
    match event.get("Object") {
        None | Some(Value::Null) => {}
        Some(Value::Array(objects)) => {
            for object in objects {
                read_list(object.get("Attribute"), &mut import)?;
            }
        }
        Some(_) => return Err(event_error("\"Object\" is not a list".to_string())),
    }
    Ok(import)
}

struct EventContext<'a> {
    name: &'a str,
    info: String,
    severity: Option<Severity>,
    source: String,
    tlp: Option<Tlp>,
    tags: Vec<String>,
    date: Option<Timestamp>,
}

impl EventContext<'_> {
    fn read_attribute(
        &self,
        position: usize,
        attribute: &Value,
        options: &MispOptions,
        import: &mut MispImport,
    ) -> Result<(), MispError> {
        let label = attribute
            .get("uuid")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{position}"), str::to_string);
        let error = |problem: String| MispError::Attribute {
            event: self.name.to_string(),
            attribute: label.clone(),
            problem,
        };
        let attribute = attribute
            .as_object()
            .ok_or_else(|| error("is not an object".to_string()))?;
        let kind = attribute
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| error("has no \"type\"".to_string()))?;
        let value = attribute
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| error("has no \"value\" string".to_string()))?;
        if flag(attribute, "deleted").map_err(&error)? {
            import.skipped_deleted += 1;
            return Ok(());
        }
        let Some(raw_values) = split_value(kind, value) else {
            *import
                .unsupported_types
                .entry(kind.to_string())
                .or_default() += 1;
            return Ok(());
        };
        if options.only_to_ids && !flag(attribute, "to_ids").map_err(&error)? {
            import.skipped_not_to_ids += 1;
            return Ok(());
        }
        let (attribute_tlp, attribute_tags) = tags_of(attribute).map_err(&error)?;
        let mut tags = self.tags.clone();
        tags.extend(attribute_tags);
        tags.sort();
        tags.dedup();
        let comment = attribute
            .get("comment")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim();
        let description = match (self.info.is_empty(), comment.is_empty()) {
            (_, true) => self.info.clone(),
            (true, false) => comment.to_string(),
            (false, false) => format!("{} — {comment}", self.info),
        };
        let modified = match attribute.get("timestamp") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                integer(value)
                    .and_then(|seconds| Timestamp::from_second(seconds).ok())
                    .ok_or_else(|| error(format!("\"timestamp\" {value} is not Unix seconds")))?,
            ),
        };
        let iso = |name: &str| -> Result<Option<Timestamp>, MispError> {
            match attribute.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
                Some(Value::String(text)) => text
                    .parse::<Timestamp>()
                    .map(Some)
                    .map_err(|_| error(format!("\"{name}\" {text:?} is not an ISO 8601 time"))),
                Some(other) => Err(error(format!("\"{name}\" {other} is not a string"))),
            }
        };
        let first_seen = iso("first_seen")?.or(self.date).or(modified);
        let last_seen = iso("last_seen")?.or(modified);

        for (kind, raw) in raw_values {
            let (kind, value) =
                indicator_value(kind, raw).map_err(|message| error(format!("value: {message}")))?;
            let mut input = IndicatorInput::new(kind, &value);
            input.source = self.source.clone();
            input.description = description.clone();
            if let Some(severity) = self.severity {
                input.severity = severity;
            }
            input.tags = tags.clone();
            import.indicators.push(ImportedIndicator {
                input,
                confidence: None,
                tlp: attribute_tlp.or(self.tlp),
                first_seen,
                last_seen,
                advisory: None,
            });
        }
        Ok(())
    }
}

/// The indicator values of an attribute, or `None` for a type canhgac does not take.
fn split_value<'a>(kind: &str, value: &'a str) -> Option<Vec<(IndicatorKind, &'a str)>> {
    let before_bar = value.rsplit_once('|').map_or(value, |(head, _)| head);
    let after_bar = value.split_once('|').map_or(value, |(_, tail)| tail);
    let values = match kind {
        "ip-src" | "ip-dst" => vec![(IndicatorKind::Ip, value)],
        "ip-src|port" | "ip-dst|port" => vec![(IndicatorKind::Ip, before_bar)],
        "domain" | "hostname" => vec![(IndicatorKind::Domain, value)],
        "domain|ip" => {
            // Without the bar the empty address fails validation, naming the attribute.
            let (domain, ip) = value.split_once('|').unwrap_or((value, ""));
            vec![(IndicatorKind::Domain, domain), (IndicatorKind::Ip, ip)]
        }
        "url" => vec![(IndicatorKind::Url, value)],
        // A `uri` is often a bare path ("/gate.php"): only absolute ones are indicators.
        "uri" if Url::parse(value.trim()).is_ok() => vec![(IndicatorKind::Url, value)],
        "md5" => vec![(IndicatorKind::Md5, value)],
        "sha1" => vec![(IndicatorKind::Sha1, value)],
        "sha256" => vec![(IndicatorKind::Sha256, value)],
        "filename|md5" => vec![(IndicatorKind::Md5, after_bar)],
        "filename|sha1" => vec![(IndicatorKind::Sha1, after_bar)],
        "filename|sha256" => vec![(IndicatorKind::Sha256, after_bar)],
        "email" | "email-src" | "email-dst" => vec![(IndicatorKind::Email, value)],
        _ => return None,
    };
    Some(values)
}

/// `true`/`false`, `1`/`0` or `"1"`/`"0"`, absent meaning false.
fn flag(map: &Map<String, Value>, name: &str) -> Result<bool, String> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(value) => match integer(value) {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => match value.as_str() {
                Some("true") => Ok(true),
                Some("false") => Ok(false),
                _ => Err(format!("\"{name}\" {value} is not a flag")),
            },
        },
    }
}

/// An integer written as a number or a string of digits (MISP writes both).
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// The strictest `tlp:` tag and the other tag names of an event or attribute.
fn tags_of(map: &Map<String, Value>) -> Result<(Option<Tlp>, Vec<String>), String> {
    let tags = match map.get("Tag") {
        None | Some(Value::Null) => return Ok((None, Vec::new())),
        Some(Value::Array(tags)) => tags,
        Some(_) => return Err("\"Tag\" is not a list".to_string()),
    };
    let mut tlp = None;
    let mut names = Vec::new();
    for tag in tags {
        let name = tag
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| "a tag has no \"name\"".to_string())?
            .trim();
        if name.to_ascii_lowercase().starts_with("tlp:") {
            if let Some(level) = Tlp::parse(name) {
                tlp = tlp.max(Some(level));
                continue;
            }
        }
        if !name.is_empty() {
            names.push(name.to_string());
        }
    }
    Ok((tlp, names))
}

/// What a feed's events were at the last poll: event UUID → the manifest's `timestamp`. The
/// caller stores it between polls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    /// Event UUID → timestamp (Unix seconds) when last imported.
    pub events: BTreeMap<String, i64>,
}

/// Where a MISP feed is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedLocation {
    /// A directory holding `manifest.json` and the event files.
    Directory(PathBuf),
    /// The URL of the directory holding `manifest.json` (a trailing `/` is added if missing).
    Url(Url),
}

/// The result of one poll.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedPoll {
    /// Indicators of the new and changed events.
    pub import: MispImport,
    /// UUIDs of the events fetched (new or changed), in UUID order.
    pub fetched: Vec<String>,
    /// Events listed and unchanged since the last poll.
    pub unchanged: usize,
    /// Events of the last poll no longer listed.
    pub removed: Vec<String>,
    /// The state to store for the next poll.
    pub state: FeedState,
}

/// A MISP feed and how to read it.
#[derive(Debug, Clone)]
pub struct MispFeed {
    /// Where it is.
    pub location: FeedLocation,
    /// How events are read.
    pub options: MispOptions,
    /// Timeout and size cap for each document.
    pub limits: FetchLimits,
    /// The HTTP client for URL feeds (see [`crate::fetch::feed_client`]).
    pub client: reqwest::Client,
}

impl MispFeed {
    /// Reads the manifest and the events that are new or whose timestamp changed since `state`.
    /// All or nothing: on error, nothing is returned and `state` stays as it was.
    pub async fn poll(&self, state: &FeedState) -> Result<FeedPoll, MispError> {
        let manifest_bytes = self.document("manifest.json").await?;
        let manifest = parse_manifest(&manifest_bytes)?;
        let mut poll = FeedPoll::default();
        for (uuid, timestamp) in &manifest {
            if state.events.get(uuid) == Some(timestamp) {
                poll.unchanged += 1;
                continue;
            }
            let file = format!("{uuid}.json");
            let bytes = self.document(&file).await?;
            let text = std::str::from_utf8(&bytes).map_err(|_| MispError::Event {
                event: uuid.clone(),
                problem: format!("{file} is not UTF-8"),
            })?;
            let import = read_events(text, &self.options).map_err(|error| match error {
                MispError::Json { error, .. } => MispError::Json {
                    document: file.clone(),
                    error,
                },
                other => other,
            })?;
            poll.import.absorb(import);
            poll.fetched.push(uuid.clone());
        }
        poll.removed = state
            .events
            .keys()
            .filter(|uuid| !manifest.iter().any(|(listed, _)| listed == *uuid))
            .cloned()
            .collect();
        poll.state = FeedState {
            events: manifest.into_iter().collect(),
        };
        Ok(poll)
    }

    async fn document(&self, name: &str) -> Result<Vec<u8>, MispError> {
        match &self.location {
            FeedLocation::Directory(directory) => read_capped(&directory.join(name), &self.limits),
            FeedLocation::Url(base) => {
                let mut base = base.clone();
                if !base.path().ends_with('/') {
                    let path = format!("{}/", base.path());
                    base.set_path(&path);
                }
                let url = base.join(name).map_err(|error| {
                    MispError::Manifest(format!("cannot form the URL of {name}: {error}"))
                })?;
                let (_, body) =
                    get(&self.client, &url, "application/json", None, &self.limits).await?;
                Ok(body)
            }
        }
    }
}

fn read_capped(path: &Path, limits: &FetchLimits) -> Result<Vec<u8>, MispError> {
    let io_error = |error| MispError::Io {
        path: path.to_path_buf(),
        error,
    };
    let length = std::fs::metadata(path).map_err(io_error)?.len();
    if length > limits.max_body_bytes as u64 {
        return Err(io_error(std::io::Error::other(format!(
            "larger than {} bytes",
            limits.max_body_bytes
        ))));
    }
    std::fs::read(path).map_err(io_error)
}

/// The manifest's events, in its order: UUID → timestamp. UUIDs must be UUIDs: they become
/// file names.
fn parse_manifest(bytes: &[u8]) -> Result<Vec<(String, i64)>, MispError> {
    let manifest: Value = serde_json::from_slice(bytes).map_err(|error| MispError::Json {
        document: "manifest.json".to_string(),
        error,
    })?;
    let entries = manifest
        .as_object()
        .ok_or_else(|| MispError::Manifest("the top level is not an object".to_string()))?;
    let mut events = Vec::with_capacity(entries.len());
    for (uuid, entry) in entries {
        let is_uuid = uuid.len() == 36
            && uuid.chars().enumerate().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
        if !is_uuid {
            return Err(MispError::Manifest(format!(
                "{uuid:?} is not an event UUID"
            )));
        }
        let timestamp = entry.get("timestamp").and_then(integer).ok_or_else(|| {
            MispError::Manifest(format!("event {uuid} has no numeric \"timestamp\""))
        })?;
        events.push((uuid.clone(), timestamp));
    }
    Ok(events)
}

#[cfg(test)]
mod tests;
