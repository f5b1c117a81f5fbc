//! One JSON object as an event: nested objects flattened to dotted names, arrays kept as
//! [`FieldValue::List`]. JSON shaped like the `evtx` crate's rendering (`Event.System`,
//! `Event.EventData`) takes the flat Windows shape, exactly as EVTX files do, with kind
//! [`EventKind::Evtx`].
//!
//! - time: `@timestamp`, `timestamp`, `time`, `TimeCreated` (or its `SystemTime`) (RFC 3339 text, or epoch seconds or
//!   milliseconds as a number); `received` when none reads;
//! - host: `host`, `hostname`, `host.name`, `Computer` (lower-case);
//! - message: `message` or `msg`, else the JSON text itself.

use canhgac_model::{Event, EventKind, FieldValue, Fields, Timestamp};

use crate::jtree::J;
use crate::{windows, DecodeError};

/// Decodes one JSON object.
pub fn decode(bytes: &[u8], received: Timestamp) -> Result<Event, DecodeError> {
    let tree = J::parse(bytes).map_err(|e| DecodeError::new(format!("invalid JSON: {e}")))?;
    if !matches!(tree, J::Obj(_)) {
        return Err(DecodeError::new("not a JSON object"));
    }
    let text = String::from_utf8_lossy(bytes).trim().to_string();
    if let Some(event) = windows::event_object(&tree) {
        let shape = windows::shape(event);
        return Ok(Event {
            time: shape.time.unwrap_or(received),
            received,
            kind: EventKind::Evtx,
            host: shape.host,
            peer: None,
            unit_id: None,
            message: text,
            fields: shape.fields,
        });
    }
    let mut fields = Fields(Vec::with_capacity(16));
    flatten(&tree, &mut String::new(), &mut fields);
    let time = [
        "@timestamp",
        "timestamp",
        "time",
        "TimeCreated",
        "TimeCreated.SystemTime",
    ]
    .iter()
    .find_map(|name| fields.get(name).and_then(read_time))
    .unwrap_or(received);
    let host = ["host", "hostname", "host.name", "Computer"]
        .iter()
        .find_map(|name| fields.get_str(name))
        .map(str::to_lowercase);
    let message = ["message", "msg"]
        .iter()
        .find_map(|name| fields.get_str(name))
        .map(str::to_string)
        .unwrap_or(text);
    Ok(Event {
        time,
        received,
        kind: EventKind::Json,
        host,
        peer: None,
        unit_id: None,
        message,
        fields,
    })
}

/// Appends every leaf of `value` under `prefix` (dotted), objects flattened, arrays as lists.
fn flatten(value: &J<'_>, prefix: &mut String, out: &mut Fields) {
    match value {
        J::Obj(pairs) => {
            for (key, inner) in pairs {
                let len = prefix.len();
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(key);
                flatten(inner, prefix, out);
                prefix.truncate(len);
            }
        }
        leaf => {
            if !prefix.is_empty() {
                out.set(prefix.clone(), leaf.to_field());
            }
        }
    }
}

/// An RFC 3339 string, or epoch seconds (or milliseconds, for values past the year 5138).
pub(crate) fn read_time(value: &FieldValue) -> Option<Timestamp> {
    match value {
        FieldValue::Str(text) => text
            .parse::<Timestamp>()
            .ok()
            .or_else(|| text.parse::<f64>().ok().and_then(epoch)),
        FieldValue::Int(i) => epoch(*i as f64),
        FieldValue::Float(f) => epoch(*f),
        _ => None,
    }
}

fn epoch(value: f64) -> Option<Timestamp> {
    if !value.is_finite() {
        return None;
    }
    // Seconds up to ~5138 AD; beyond that the number is milliseconds.
    let seconds = if value.abs() >= 1e11 {
        value / 1000.0
    } else {
        value
    };
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1e9).round() as i32;
    Timestamp::new(whole as i64, nanos.clamp(0, 999_999_999)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received() -> Timestamp {
        "2026-11-26T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn flattens_and_reads_time_host_message() {
        let e = decode(
            br##"{"@timestamp":"2026-11-25T10:00:00+07:00","host":{"name":"Web01"},"process":{"command_line":"bash -c id","pid":42},"tags":["a","b"],"message":"hello"}"##,
            received(),
        )
        .unwrap();
        assert_eq!(e.kind, EventKind::Json);
        assert_eq!(e.time.to_string(), "2026-11-25T03:00:00Z");
        assert_eq!(e.host.as_deref(), Some("web01"));
        assert_eq!(e.message, "hello");
        assert_eq!(e.fields.get_str("process.command_line"), Some("bash -c id"));
        assert_eq!(e.fields.get("process.pid"), Some(&FieldValue::Int(42)));
        assert_eq!(
            e.fields.get("tags"),
            Some(&FieldValue::List(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn epoch_seconds_and_millis_and_raw_message() {
        let e = decode(br##"{"time":1764115200,"hostname":"A"}"##, received()).unwrap();
        assert_eq!(e.time.to_string(), "2025-11-26T00:00:00Z");
        assert_eq!(e.message, r##"{"time":1764115200,"hostname":"A"}"##);
        let e = decode(br##"{"timestamp":1764115200500}"##, received()).unwrap();
        assert_eq!(e.time.to_string(), "2025-11-26T00:00:00.5Z");
        let e = decode(br##"{"timestamp":"garbage"}"##, received()).unwrap();
        assert_eq!(e.time, received());
    }

    #[test]
    fn evtx_shaped_json_becomes_windows_shape() {
        let e = decode(
            br##"{"Event":{"System":{"EventID":4688,"Channel":"Security","Computer":"DC1","TimeCreated":{"#attributes":{"SystemTime":"2020-01-01T00:00:00Z"}}},"EventData":{"NewProcessName":"C:\\x.exe"}}}"##,
            received(),
        )
        .unwrap();
        assert_eq!(e.kind, EventKind::Evtx);
        assert_eq!(e.fields.get("EventID"), Some(&FieldValue::Int(4688)));
        assert_eq!(e.fields.get_str("NewProcessName"), Some("C:\\x.exe"));
        assert_eq!(e.host.as_deref(), Some("dc1"));
        assert_eq!(e.time.to_string(), "2020-01-01T00:00:00Z");
    }

    #[test]
    fn rejects_non_objects_and_bad_json() {
        assert!(decode(b"[1,2]", received()).is_err());
        let err = decode(b"{\"a\":", received()).unwrap_err();
        assert!(err.reason.contains("invalid JSON"), "{err}");
    }
}
