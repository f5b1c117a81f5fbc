//! A test double of canhgac's own live detection path (`canhgac-intake`), for the web tests:
//! [`TestDetection`] implements the web layer's `Detection` seam over a real
//! `canhgac_eventlog::EventLog` in a temporary directory. It decodes NDJSON minimally (each line
//! a JSON object; top-level scalars become fields, `host` the host, `time` the event time),
//! attributes events by host name from a table the test fills, and runs no rules. It exists
//! only to drive the web layer's handlers; the real path is tested in its own crate.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Bytes;
use canhgac_eventlog::{EventLog, EventPage, EventQuery, Retention};
use canhgac_model::{Event, EventKind, FieldValue, Id, Severity, Timestamp};
use canhgac_web::detection::{
    Detection, DetectionStatus, FileReceipt, RuleCatalog, RuleProblem, RuleSummary, SubmitError,
    SubmitReceipt,
};

/// Largest decompressed body the double accepts.
pub const MAX_DECODED: usize = 1024 * 1024;

/// The test double. See the module documentation.
pub struct TestDetection {
    log: EventLog,
    _dir: tempfile::TempDir,
    hosts: Mutex<HashMap<String, Id>>,
    received: AtomicU64,
    stored: AtomicU64,
    decode_errors: AtomicU64,
    catalog: Arc<RuleCatalog>,
}

impl TestDetection {
    /// A double with an empty event log and a two-rule catalog with one load problem.
    pub fn new() -> Arc<Self> {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), Retention::default()).unwrap();
        Arc::new(Self {
            log,
            _dir: dir,
            hosts: Mutex::new(HashMap::new()),
            received: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            decode_errors: AtomicU64::new(0),
            catalog: Arc::new(catalog()),
        })
    }

    /// Events from `host` belong to `unit` from now on.
    pub fn attribute(&self, host: &str, unit: Id) {
        self.hosts.lock().unwrap().insert(host.to_lowercase(), unit);
    }

    /// Events stored so far (straight from the event log).
    pub fn stored_events(&self) -> u64 {
        self.log.stats().events
    }

    fn decode(&self, text: &str) -> Result<Vec<Event>, SubmitError> {
        let hosts = self.hosts.lock().unwrap().clone();
        let received = Timestamp::now();
        let mut events = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let invalid = |reason: String| SubmitError::Invalid {
                line: index + 1,
                reason,
            };
            let value: serde_json::Value =
                serde_json::from_str(line).map_err(|e| invalid(format!("invalid JSON: {e}")))?;
            let serde_json::Value::Object(object) = value else {
                return Err(invalid("not a JSON object".into()));
            };
            let mut event = Event::new(EventKind::Json, line);
            event.received = received;
            event.time = object
                .get("time")
                .and_then(|t| t.as_str())
                .and_then(|t| t.parse().ok())
                .unwrap_or(received);
            event.host = object
                .get("host")
                .and_then(|h| h.as_str())
                .map(str::to_lowercase);
            event.unit_id = event.host.as_ref().and_then(|h| hosts.get(h).copied());
            for (name, value) in &object {
                let value = match value {
                    serde_json::Value::String(s) => FieldValue::Str(s.clone()),
                    serde_json::Value::Bool(b) => FieldValue::Bool(*b),
                    serde_json::Value::Number(n) => match n.as_i64() {
                        Some(i) => FieldValue::Int(i),
                        None => FieldValue::Float(n.as_f64().unwrap_or_default()),
                    },
                    _ => continue,
                };
                event.fields.push(name.clone(), value);
            }
            events.push(event);
        }
        Ok(events)
    }
}

#[async_trait]
impl Detection for TestDetection {
    async fn submit_ndjson(
        &self,
        body: Bytes,
        gzip: bool,
        _peer: Option<IpAddr>,
    ) -> Result<SubmitReceipt, SubmitError> {
        let mut bytes = Vec::new();
        if gzip {
            let decoder = flate2::read::GzDecoder::new(&body[..]);
            decoder
                .take(MAX_DECODED as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| SubmitError::Invalid {
                    line: 0,
                    reason: format!("not gzip: {e}"),
                })?;
        } else {
            bytes = body.to_vec();
        }
        if bytes.len() > MAX_DECODED {
            return Err(SubmitError::TooLarge(format!(
                "the body holds more than {MAX_DECODED} bytes"
            )));
        }
        let text = std::str::from_utf8(&bytes).map_err(|e| SubmitError::Invalid {
            line: 0,
            reason: format!("not UTF-8: {e}"),
        })?;
        let events = match self.decode(text) {
            Ok(events) => events,
            Err(error) => {
                self.decode_errors.fetch_add(1, Ordering::Relaxed);
                return Err(error);
            }
        };
        self.received
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        self.log
            .append(&events)
            .map_err(|e| SubmitError::Unavailable(e.to_string()))?;
        self.stored
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        Ok(SubmitReceipt {
            accepted: events.len(),
        })
    }

    /// Reads the file as JSON lines, skipping (and reporting) lines that do not decode.
    async fn submit_file(&self, _name: String, bytes: Bytes) -> Result<FileReceipt, SubmitError> {
        let text = String::from_utf8_lossy(&bytes);
        let mut events = Vec::new();
        let mut problems = Vec::new();
        for (index, line) in text.lines().enumerate() {
            match self.decode(line) {
                Ok(mut decoded) => events.append(&mut decoded),
                Err(SubmitError::Invalid { reason, .. }) => {
                    problems.push(format!("line {}: {reason}", index + 1));
                }
                Err(other) => return Err(other),
            }
        }
        self.log
            .append(&events)
            .map_err(|e| SubmitError::Unavailable(e.to_string()))?;
        Ok(FileReceipt {
            format: "json".into(),
            accepted: events.len(),
            skipped: problems.len(),
            problems,
        })
    }

    async fn search(&self, query: EventQuery) -> Result<EventPage, String> {
        self.log.search(&query).map_err(|e| e.to_string())
    }

    fn catalog(&self) -> Arc<RuleCatalog> {
        self.catalog.clone()
    }

    fn status(&self) -> DetectionStatus {
        DetectionStatus {
            received: self.received.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            decode_errors: self.decode_errors.load(Ordering::Relaxed),
            dropped: 0,
            alerts: 0,
            indicators: 0,
            listeners: vec!["http /api/v1/events".into()],
            eventlog: self.log.stats(),
        }
    }
}

/// Key of the first rule of the double's catalog.
pub const RULE_WHOAMI: &str = "5f1c9e7a-1111-4d2e-9a55-000000000001";

fn catalog() -> RuleCatalog {
    RuleCatalog {
        rules: vec![
            RuleSummary {
                key: RULE_WHOAMI.into(),
                title: "Whoami chạy từ dịch vụ web".into(),
                level: Severity::High,
                tags: vec!["attack.discovery".into(), "attack.t1033".into()],
                status: Some("test".into()),
                description: Some("Máy chủ web chạy whoami".into()),
                origin: "rules/web/whoami.yml".into(),
                logsource: "windows/process_creation".into(),
                kind: "detection".into(),
            },
            RuleSummary {
                key: "Nhiều lần đăng nhập SSH thất bại".into(),
                title: "Nhiều lần đăng nhập SSH thất bại".into(),
                level: Severity::Medium,
                tags: vec!["attack.credential_access".into(), "attack.t1110".into()],
                status: None,
                description: None,
                origin: "rules/linux/ssh_brute.yml".into(),
                logsource: "linux/auth".into(),
                kind: "correlation".into(),
            },
        ],
        problems: vec![RuleProblem {
            origin: "rules/broken/bad_modifier.yml".into(),
            title: Some("Luật hỏng".into()),
            reason: "unknown modifier 'containz'".into(),
        }],
        directories: vec!["rules".into()],
        loaded_at: Timestamp::now(),
    }
}

/// A province with two departments: A (with a child A1) and B. Alerts exist for A1, for B and
/// for no unit; the double attributes host `web-alpha` to A1 and `web-bravo` to B.
pub struct DetectionWorld {
    pub province: Id,
    pub a: Id,
    pub a1: Id,
    pub b: Id,
    pub alert_a1: Id,
    pub alert_b: Id,
    pub alert_unattributed: Id,
}

/// An alert draft of `rule` on `host` in `unit`.
pub fn draft(
    rule: &str,
    unit: Option<Id>,
    host: &str,
    severity: Severity,
) -> canhgac_model::AlertDraft {
    canhgac_model::AlertDraft {
        source: canhgac_model::AlertSource::Sigma,
        rule_key: rule.to_string(),
        title: format!("Luật {rule}"),
        severity,
        tags: vec!["attack.execution".into(), "attack.t1059.001".into()],
        unit_id: unit,
        host: Some(host.to_string()),
        time: Timestamp::now(),
        evidence: serde_json::json!({
            "time": "2026-11-25T08:00:00Z",
            "kind": "json",
            "host": host,
            "message": format!("whoami on {host}"),
            "fields": [["EventID", 4688], ["CommandLine", "whoami /all"], ["User", format!("svc-{host}")]],
        }),
    }
}

/// Builds the [`DetectionWorld`] in `store` and tells `detection` (if any) about its hosts.
pub async fn detection_world(
    store: &dyn canhgac_store::Store,
    detection: Option<&TestDetection>,
) -> DetectionWorld {
    use canhgac_model::{Actor, UnitInput, UnitKind};
    let sys = Actor::system("test");
    let unit = |name: &str, kind, parent| UnitInput::new(name, kind, parent);
    let p = store
        .create_unit(&sys, unit("Tỉnh Papa", UnitKind::Province, None))
        .await
        .unwrap();
    let a = store
        .create_unit(&sys, unit("Sở Alpha", UnitKind::Department, Some(p.id)))
        .await
        .unwrap();
    let a1 = store
        .create_unit(
            &sys,
            unit("Phòng Alpha 1", UnitKind::PublicServiceUnit, Some(a.id)),
        )
        .await
        .unwrap();
    let b = store
        .create_unit(&sys, unit("Sở Bravo", UnitKind::Department, Some(p.id)))
        .await
        .unwrap();
    let window = jiff::SignedDuration::from_mins(30);
    let ids = store
        .record_alerts(
            &[
                draft("rule-alpha", Some(a1.id), "web-alpha", Severity::High),
                draft("rule-bravo", Some(b.id), "web-bravo", Severity::Critical),
                draft("rule-papa", None, "papa-unknown", Severity::Low),
            ],
            window,
        )
        .await
        .unwrap();
    if let Some(detection) = detection {
        detection.attribute("web-alpha", a1.id);
        detection.attribute("web-bravo", b.id);
    }
    DetectionWorld {
        province: p.id,
        a: a.id,
        a1: a1.id,
        b: b.id,
        alert_a1: ids[0],
        alert_b: ids[1],
        alert_unattributed: ids[2],
    }
}

/// NDJSON of three events: one from each attributed host and one from an unknown host.
pub fn three_events() -> String {
    [
        r#"{"time":"2026-11-25T08:00:00Z","host":"web-alpha","EventID":4688,"CommandLine":"whoami /all","User":"alphauser"}"#,
        r#"{"time":"2026-11-25T08:01:00Z","host":"web-bravo","EventID":4688,"CommandLine":"net user","User":"bravouser"}"#,
        r#"{"time":"2026-11-25T08:02:00Z","host":"papa-unknown","program":"sshd","msg":"Failed password for root"}"#,
    ]
    .join("\n")
        + "\n"
}
