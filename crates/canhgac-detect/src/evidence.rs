//! Events as bounded JSON evidence: long values are cut so that one noisy event cannot bloat
//! an alert or a hunt report.

use canhgac_model::{Event, FieldValue};
use serde_json::{Map, Value};

/// How much of an event goes into evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceLimits {
    /// Longest string kept, in characters; longer ones end with `…`.
    pub max_value_chars: usize,
    /// Longest `message` kept, in characters.
    pub max_message_chars: usize,
    /// Fields kept (the first ones, in event order).
    pub max_fields: usize,
    /// Elements kept of a list value.
    pub max_list_items: usize,
}

impl Default for EvidenceLimits {
    fn default() -> Self {
        Self {
            max_value_chars: 1024,
            max_message_chars: 2048,
            max_fields: 128,
            max_list_items: 32,
        }
    }
}

/// `text` cut to `max` characters, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// The event as a JSON object: `time`, `kind`, `host`, `peer`, `unit_id`, `message` and
/// `fields` (an object, first value of a repeated name wins), within `limits`.
pub fn event_json(event: &Event, limits: &EvidenceLimits) -> Value {
    let mut fields = Map::new();
    let mut omitted = 0usize;
    for (name, value) in event.fields.iter() {
        if fields.contains_key(name) {
            continue;
        }
        if fields.len() >= limits.max_fields {
            omitted += 1;
            continue;
        }
        fields.insert(name.to_string(), value_json(value, limits));
    }
    let mut object = Map::new();
    object.insert("time".into(), Value::String(event.time.to_string()));
    object.insert("kind".into(), Value::String(event.kind.code().into()));
    if let Some(host) = &event.host {
        object.insert("host".into(), Value::String(host.clone()));
    }
    if let Some(peer) = event.peer {
        object.insert("peer".into(), Value::String(peer.to_string()));
    }
    if let Some(unit) = event.unit_id {
        object.insert("unit_id".into(), Value::from(unit));
    }
    if !event.message.is_empty() {
        object.insert(
            "message".into(),
            Value::String(truncate(&event.message, limits.max_message_chars)),
        );
    }
    object.insert("fields".into(), Value::Object(fields));
    if omitted > 0 {
        object.insert("fields_omitted".into(), Value::from(omitted));
    }
    Value::Object(object)
}

fn value_json(value: &FieldValue, limits: &EvidenceLimits) -> Value {
    match value {
        FieldValue::Null => Value::Null,
        FieldValue::Bool(b) => Value::Bool(*b),
        FieldValue::Int(i) => Value::from(*i),
        FieldValue::Float(f) => Value::from(*f),
        FieldValue::Str(s) => Value::String(truncate(s, limits.max_value_chars)),
        FieldValue::List(items) => Value::Array(
            items
                .iter()
                .take(limits.max_list_items)
                .map(|item| value_json(item, limits))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_model::EventKind;

    #[test]
    fn long_values_and_many_fields_are_cut() {
        let limits = EvidenceLimits {
            max_value_chars: 5,
            max_message_chars: 3,
            max_fields: 2,
            max_list_items: 1,
        };
        let mut event = Event::new(EventKind::Json, "thông điệp");
        event.time = "2026-11-26T01:02:03Z".parse().unwrap();
        event.host = Some("ws1".into());
        event.fields.push("a", "Nguyễn Văn A");
        event.fields.push("a", "again");
        event
            .fields
            .push("b", FieldValue::List(vec![1i64.into(), 2i64.into()]));
        event.fields.push("c", 3i64);
        let json = event_json(&event, &limits);
        assert_eq!(
            json,
            serde_json::json!({
                "time": "2026-11-26T01:02:03Z", "kind": "json", "host": "ws1",
                "message": "thô…",
                "fields": {"a": "Nguyễ…", "b": [1]},
                "fields_omitted": 1
            })
        );
        assert_eq!(truncate("abc", 3), "abc");
    }
}
