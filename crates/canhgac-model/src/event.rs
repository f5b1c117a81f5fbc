//! Log records after decoding: the one shape every source produces and every matcher reads.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::{string_enum, Id, Timestamp};

string_enum! {
    /// The format a record arrived in; decides which logsource mapping applies.
    EventKind {
        /// RFC 3164 (BSD) syslog.
        Syslog3164 = "syslog3164",
        /// RFC 5424 syslog.
        Syslog5424 = "syslog5424",
        /// A JSON object (NDJSON over HTTP, JSON lines files).
        Json = "json",
        /// A Windows event log record (EVTX).
        Evtx = "evtx",
        /// A web server access log line (Apache/Nginx combined format).
        AccessLog = "access_log",
        /// A line canhgac could not decode further; kept whole in `message`.
        Raw = "raw",
    }
}

/// One field value. Numbers stay numbers so that `EventID: 4688` and `lt`/`gt` work; lists hold
/// repeated values (a matcher matches when any element matches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// JSON `null`, an empty EVTX element.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// Several values under one name.
    List(Vec<FieldValue>),
}

impl FieldValue {
    /// The value as a string, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value rendered as text (numbers in decimal, `null` as empty), as matchers compare it.
    pub fn to_text(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            FieldValue::Null => Cow::Borrowed(""),
            FieldValue::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            FieldValue::Int(i) => Cow::Owned(i.to_string()),
            FieldValue::Float(f) => Cow::Owned(f.to_string()),
            FieldValue::Str(s) => Cow::Borrowed(s),
            FieldValue::List(items) => Cow::Owned(
                items
                    .iter()
                    .map(|v| v.to_text().into_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }
}

impl From<&str> for FieldValue {
    fn from(value: &str) -> Self {
        FieldValue::Str(value.to_string())
    }
}

impl From<String> for FieldValue {
    fn from(value: String) -> Self {
        FieldValue::Str(value)
    }
}

impl From<i64> for FieldValue {
    fn from(value: i64) -> Self {
        FieldValue::Int(value)
    }
}

/// The named fields of an event, flat and in arrival order. Nested JSON objects are flattened
/// to dotted names (`process.command_line`); EVTX `EventData` names stand alone (`CommandLine`),
/// next to `EventID`, `Channel`, `Provider_Name` and `Computer`.
///
/// Events carry tens of fields, so a vector with a linear search beats a map here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fields(pub Vec<(String, FieldValue)>);

impl Fields {
    /// An empty set of fields.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The value of the first field with exactly this name.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The value of `name` when it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(FieldValue::as_str)
    }

    /// Sets `name`, replacing an earlier value of the same name.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<FieldValue>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// Appends without looking for an earlier value (decoders that know names are unique).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<FieldValue>) {
        self.0.push((name.into(), value.into()));
    }

    /// Every field, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldValue)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A decoded log record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened: the record's own timestamp, or `received` when it has none.
    pub time: Timestamp,
    /// When canhgac received (or read) it.
    pub received: Timestamp,
    /// The format it arrived in.
    pub kind: EventKind,
    /// The host the record names (syslog HOSTNAME, EVTX `Computer`, JSON `host`), lower-case.
    pub host: Option<String>,
    /// The network peer that sent it, when it came over the network.
    pub peer: Option<IpAddr>,
    /// The unit it is attributed to (by peer address, then host name); `None` is "unattributed".
    pub unit_id: Option<Id>,
    /// The record as a line of text (syslog MSG, access log line, rendered EVTX message or JSON),
    /// for free-text search and Sigma keyword selections.
    pub message: String,
    /// The named fields Sigma rules and indicators match against.
    pub fields: Fields,
}

impl Event {
    /// An event of `kind` received now, with no fields yet.
    pub fn new(kind: EventKind, message: impl Into<String>) -> Self {
        let now = Timestamp::now();
        Self {
            time: now,
            received: now,
            kind,
            host: None,
            peer: None,
            unit_id: None,
            message: message.into(),
            fields: Fields::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_and_get_finds() {
        let mut fields = Fields::new();
        fields.set("EventID", 4688);
        fields.set("Image", "C:\\Windows\\cmd.exe");
        fields.set("EventID", 1);
        assert_eq!(fields.len(), 2);
        assert_eq!(fields.get("EventID"), Some(&FieldValue::Int(1)));
        assert_eq!(fields.get_str("Image"), Some("C:\\Windows\\cmd.exe"));
        assert_eq!(fields.get("image"), None);
    }

    #[test]
    fn fields_serialise_as_an_ordered_list_and_values_untagged() {
        let mut fields = Fields::new();
        fields.push("a", 1);
        fields.push("b", FieldValue::List(vec!["x".into(), FieldValue::Null]));
        let json = serde_json::to_string(&fields).unwrap();
        assert_eq!(json, r#"[["a",1],["b",["x",null]]]"#);
        let back: Fields = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fields);
        assert_eq!(back.get("b").unwrap().to_text(), "x, ");
    }
}
