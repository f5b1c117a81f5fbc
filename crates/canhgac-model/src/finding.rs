//! Findings: weaknesses found by looking (a scan, an audit, a file sweep, a breach list), as
//! opposed to alerts, which are attacks seen happening. One shape for every producer, so the
//! console, the per-unit views and reports treat them alike.
//!
//! A finding's life: `open` → `fixed` (by hand, or because a later complete run no longer finds
//! it) → `reopened` when it is found again; or `accepted` / `false_positive` with a reason, which
//! later runs leave alone.

use serde::{Deserialize, Serialize};

use crate::{string_enum, Id, Severity, Timestamp};

string_enum! {
    /// Which capability produced a finding.
    FindingSource {
        /// The external scanner.
        Scan = "scan",
        /// Threat intelligence: advisories, exposed-host lists.
        Intel = "intel",
        /// YARA rules or a hash sweep over files.
        Malware = "malware",
        /// A password audit (breached or shared passwords).
        Passwords = "passwords",
        /// Official email addresses in breach data.
        Exposure = "exposure",
    }
}

impl FindingSource {
    /// Vietnamese label for the console.
    pub fn label_vi(self) -> &'static str {
        match self {
            FindingSource::Scan => "Rà quét",
            FindingSource::Intel => "Tình báo mối đe dọa",
            FindingSource::Malware => "Mã độc",
            FindingSource::Passwords => "Mật khẩu",
            FindingSource::Exposure => "Lộ lọt địa chỉ thư",
        }
    }
}

string_enum! {
    /// Where a finding is in its life.
    FindingStatus {
        /// Found, not fixed.
        Open = "open",
        /// Fixed (by hand, or no longer found by a complete run).
        Fixed = "fixed",
        /// Found again after it was fixed.
        Reopened = "reopened",
        /// The risk is accepted, with a reason; later runs leave it alone.
        Accepted = "accepted",
        /// Not a real weakness, with a reason; later runs leave it alone.
        FalsePositive = "false_positive",
    }
}

impl FindingStatus {
    /// Open and reopened findings still need work.
    pub fn is_open(self) -> bool {
        matches!(self, FindingStatus::Open | FindingStatus::Reopened)
    }

    /// Accepting a risk or calling a finding false needs a reason.
    pub fn needs_reason(self) -> bool {
        matches!(self, FindingStatus::Accepted | FindingStatus::FalsePositive)
    }

    /// Vietnamese label for the console.
    pub fn label_vi(self) -> &'static str {
        match self {
            FindingStatus::Open => "Chưa khắc phục",
            FindingStatus::Fixed => "Đã khắc phục",
            FindingStatus::Reopened => "Tái diễn",
            FindingStatus::Accepted => "Chấp nhận rủi ro",
            FindingStatus::FalsePositive => "Không phải lỗi",
        }
    }
}

/// Well-known finding categories (the `category` field is free text so that producers can add
/// their own; these are the ones the hygiene view groups by).
pub mod category {
    /// A file matched a YARA rule for a web shell.
    pub const WEBSHELL: &str = "webshell";
    /// A file matched a YARA rule other than a web shell.
    pub const MALWARE_FILE: &str = "malware_file";
    /// A file's hash is a known-bad indicator.
    pub const MALICIOUS_HASH: &str = "malicious_hash";
    /// An account's password is in a breached-password list.
    pub const BREACHED_PASSWORD: &str = "breached_password";
    /// Several accounts share one password.
    pub const SHARED_PASSWORD: &str = "shared_password";
    /// An account has an empty password.
    pub const EMPTY_PASSWORD: &str = "empty_password";
    /// The directory still stores an LM hash of an account's password (crackable in minutes).
    pub const LM_HASH: &str = "lm_hash";
    /// An official address is in breach data.
    pub const EMAIL_BREACHED: &str = "email_breached";
    /// An official address was used to register on a social network or forum (clause 1e).
    pub const EMAIL_ON_SOCIAL_SITE: &str = "email_on_social_site";
    /// A host reported as infected or attacking others (botnet, sinkhole, honeypot reports).
    pub const COMPROMISED_HOST: &str = "compromised_host";
    /// A service reachable from the Internet that should not be (RDP, SMB, databases, open
    /// resolvers and other amplifiers), or one with a known vulnerability.
    pub const EXPOSED_SERVICE: &str = "exposed_service";
    /// An address (IP, network, host, URL) on an authority's list of exposed or leaked
    /// addresses.
    pub const LISTED_ADDRESS: &str = "listed_address";
}

/// A finding as a producer reports it, before it is merged into a stored [`Finding`].
///
/// Drafts merge into one finding when `source`, `unit_id` and `key` are equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingDraft {
    /// Which capability.
    pub source: FindingSource,
    /// Stable key within the source and unit, e.g. `yara:<rule>:<host>:<path>`,
    /// `breached:<account>`, `exposure:<address>:<site>`.
    pub key: String,
    /// Machine category, see [`category`].
    pub category: String,
    /// Human title (Vietnamese).
    pub title: String,
    /// How serious.
    pub severity: Severity,
    /// The unit it belongs to. When `None` and `host` is set, the server attributes the host
    /// through the inventory; findings without a unit are seen only by callers who see every
    /// unit.
    #[serde(default)]
    pub unit_id: Option<Id>,
    /// The information system, when known.
    #[serde(default)]
    pub system_id: Option<Id>,
    /// The asset, when known.
    #[serde(default)]
    pub asset_id: Option<Id>,
    /// The host it was found on (host name or IP), when there is one.
    #[serde(default)]
    pub host: Option<String>,
    /// What it is about: a file path, an account, an address, a port.
    pub subject: String,
    /// Evidence as JSON (never a password or a full hash).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub evidence: serde_json::Value,
    /// What to do about it (Vietnamese).
    #[serde(default)]
    pub remediation: Option<String>,
    /// When it was seen.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub observed_at: Timestamp,
}

/// Says a batch is the complete result of a run: open findings of this source and these
/// categories, in these units (and under this subject prefix), that the batch does not contain
/// are marked fixed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingSnapshot {
    /// The source the run covers.
    pub source: FindingSource,
    /// The categories the run covers (empty: every category of the source).
    #[serde(default)]
    pub categories: Vec<String>,
    /// The units the run covers; `None` stands for findings without a unit.
    pub unit_ids: Vec<Option<Id>>,
    /// Only findings whose subject starts with this (e.g. the web root a sweep walked).
    #[serde(default)]
    pub subject_prefix: Option<String>,
    /// Only findings on these hosts (e.g. the hosts a scan reached). Their units, as the
    /// inventory attributes them, are added to `unit_ids`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
}

/// Findings reported together, e.g. one run of a tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingBatch {
    /// The findings.
    pub findings: Vec<FindingDraft>,
    /// Present when the batch is a complete run (see [`FindingSnapshot`]).
    #[serde(default)]
    pub snapshot: Option<FindingSnapshot>,
}

/// What recording a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingOutcome {
    /// New findings.
    pub created: u64,
    /// Findings seen again (still open, accepted or false).
    pub updated: u64,
    /// Fixed findings found again.
    pub reopened: u64,
    /// Open findings the snapshot no longer contains, now fixed.
    pub fixed: u64,
    /// Ids of the findings created or reopened by the batch (what may need someone's attention
    /// now).
    #[serde(default)]
    pub raised: Vec<Id>,
    /// Ids of the findings seen again without a change of state (still open, accepted or
    /// false), so a run can tell what it saw from what it raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updated_ids: Vec<Id>,
    /// Ids of the findings the snapshot marked fixed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_ids: Vec<Id>,
}

/// A stored finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// Identifier.
    pub id: Id,
    /// Which capability.
    pub source: FindingSource,
    /// Stable key within the source and unit.
    pub key: String,
    /// Machine category.
    pub category: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Unit.
    pub unit_id: Option<Id>,
    /// Information system.
    pub system_id: Option<Id>,
    /// Asset.
    pub asset_id: Option<Id>,
    /// Host.
    pub host: Option<String>,
    /// What it is about.
    pub subject: String,
    /// Evidence of the last sighting.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub evidence: serde_json::Value,
    /// What to do about it.
    pub remediation: Option<String>,
    /// State.
    pub status: FindingStatus,
    /// Why it was accepted, called false, or fixed.
    pub status_reason: Option<String>,
    /// First sighting.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub first_seen: Timestamp,
    /// Last sighting.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen: Timestamp,
    /// How many times it was reported.
    pub sightings: i64,
    /// Last change of state.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub status_changed_at: Timestamp,
    /// Until when an accepted risk or a false positive holds; after it, a run that still sees
    /// the finding reopens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub status_until: Option<Timestamp>,
}

/// Which findings a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingFilter {
    /// Only these states (empty: all).
    pub statuses: Vec<FindingStatus>,
    /// Only this severity or higher.
    pub min_severity: Option<Severity>,
    /// Only this unit and its descendants.
    pub unit_id: Option<Id>,
    /// Only this source.
    pub source: Option<FindingSource>,
    /// Only this category.
    pub category: Option<String>,
    /// Text in the title, subject, host or key.
    pub q: Option<String>,
}

/// How many findings one unit has of one category in one state (the hygiene view's cells).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingCount {
    /// Unit (none: unattributed).
    pub unit_id: Option<Id>,
    /// Source.
    pub source: FindingSource,
    /// Category.
    pub category: String,
    /// State.
    pub status: FindingStatus,
    /// How many.
    pub count: i64,
}
