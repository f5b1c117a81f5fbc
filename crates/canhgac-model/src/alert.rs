//! Alerts: what every detector (Sigma, indicators, correlation; later scans, monitors and intel)
//! hands to the rest of canhgac, in one shape, so that triage, notification and incidents treat
//! them alike.

use serde::{Deserialize, Serialize};

use crate::{string_enum, Id, Timestamp};

string_enum! {
    /// How serious a hit is; Sigma's `level` values, in rising order.
    Severity {
        /// Informational: recorded, not notified.
        Informational = "informational",
        /// Low.
        Low = "low",
        /// Medium.
        Medium = "medium",
        /// High.
        High = "high",
        /// Critical.
        Critical = "critical",
    }
}

impl Severity {
    /// Vietnamese label for the console and reports.
    pub fn label_vi(self) -> &'static str {
        match self {
            Severity::Informational => "Thông tin",
            Severity::Low => "Thấp",
            Severity::Medium => "Trung bình",
            Severity::High => "Cao",
            Severity::Critical => "Nghiêm trọng",
        }
    }
}

string_enum! {
    /// Which detector raised an alert.
    AlertSource {
        /// A Sigma detection rule matched an event.
        Sigma = "sigma",
        /// A Sigma correlation rule fired over several events.
        Correlation = "correlation",
        /// An event field matched an indicator of compromise.
        Indicator = "ioc",
        /// A monitor: down, certificate expiring, DNS changed, page defaced.
        Monitor = "monitor",
        /// A finding that is a sign of compromise (a web shell or malware on a server).
        Finding = "finding",
        /// Network flows: a flood, amplification, outgoing scan or traffic with a listed address.
        Flow = "flow",
    }
}

string_enum! {
    /// Where an alert is in triage.
    AlertStatus {
        /// Not looked at yet.
        New = "new",
        /// An analyst is on it.
        Acknowledged = "acknowledged",
        /// Not an attack.
        FalsePositive = "false_positive",
        /// Handled.
        Resolved = "resolved",
    }
}

impl AlertStatus {
    /// New and acknowledged alerts still fold further hits into themselves.
    pub fn is_open(self) -> bool {
        matches!(self, AlertStatus::New | AlertStatus::Acknowledged)
    }

    /// Vietnamese label for the console.
    pub fn label_vi(self) -> &'static str {
        match self {
            AlertStatus::New => "Mới",
            AlertStatus::Acknowledged => "Đang xử lý",
            AlertStatus::FalsePositive => "Cảnh báo sai",
            AlertStatus::Resolved => "Đã xử lý",
        }
    }
}

/// A hit as a detector reports it, before folding into a stored [`Alert`].
///
/// Hits fold into one open alert when `source`, `rule_key`, `unit_id` and `host` are equal and
/// the alert's last hit is within the folding window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDraft {
    /// Which detector.
    pub source: AlertSource,
    /// The rule's stable key within its source: a Sigma rule id, `ioc:<kind>:<value>`, ...
    pub rule_key: String,
    /// Human title (the rule title, or "Indicator matched: …").
    pub title: String,
    /// Severity after per-rule and per-unit overrides.
    pub severity: Severity,
    /// Tags such as `attack.t1059.001`, `attack.execution`.
    pub tags: Vec<String>,
    /// The unit of the event (none when unattributed).
    pub unit_id: Option<Id>,
    /// The host of the event.
    pub host: Option<String>,
    /// Time of the matching event.
    pub time: Timestamp,
    /// The matching event(s) or other evidence, as JSON.
    pub evidence: serde_json::Value,
}

/// A stored, folded alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    /// Identifier.
    pub id: Id,
    /// Which detector.
    pub source: AlertSource,
    /// The rule's stable key within its source.
    pub rule_key: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Tags (MITRE ATT&CK and others).
    pub tags: Vec<String>,
    /// Unit, when attributed.
    pub unit_id: Option<Id>,
    /// Host.
    pub host: Option<String>,
    /// First folded hit.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub first_seen: Timestamp,
    /// Last folded hit.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen: Timestamp,
    /// How many hits were folded in.
    pub count: i64,
    /// Triage state.
    pub status: AlertStatus,
    /// The analyst's last comment.
    pub comment: Option<String>,
    /// Evidence of the first hits (a bounded list).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub evidence: serde_json::Value,
}

/// Which alerts a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertFilter {
    /// Only these states (empty: all).
    pub statuses: Vec<AlertStatus>,
    /// Only this severity or higher.
    pub min_severity: Option<Severity>,
    /// Only this unit and its descendants.
    pub unit_id: Option<Id>,
    /// Only this source.
    pub source: Option<AlertSource>,
    /// Text in the title, rule key or host.
    pub q: Option<String>,
}

/// A rule switched on or off, or given another level, everywhere or for one unit's events,
/// without editing the rule file. A unit setting wins over the global one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleOverride {
    /// The rule's key: a Sigma rule id (or its title when the rule has no id).
    pub rule_key: String,
    /// `None` for every unit; otherwise events of this unit (not its descendants).
    pub unit_id: Option<Id>,
    /// False switches the rule off.
    pub enabled: bool,
    /// Replaces the rule's level.
    pub severity: Option<Severity>,
}

/// A hit that must not become an alert: events where `field` equals `value` (for one rule, or
/// every rule), for one unit or all, until it expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suppression {
    /// Identifier (0 before it is stored).
    pub id: Id,
    /// Only for this rule key; `None` for every rule.
    pub rule_key: Option<String>,
    /// Only for events of this unit; `None` for every unit.
    pub unit_id: Option<Id>,
    /// The event field compared (`host` names the event's host).
    pub field: String,
    /// The value it must equal (case-insensitive).
    pub value: String,
    /// Why (shown in the console).
    pub comment: String,
    /// After this instant the suppression no longer applies.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<Timestamp>,
}
