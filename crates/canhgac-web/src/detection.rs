//! What the console and the API need from the live detection path: take in event batches,
//! search stored events, show the loaded rules and the intake's counters.
//!
//! The web layer holds no detection logic; the binary plugs in the implementation
//! (`canhgac-intake`). When none is plugged in, the event pages say detection is off.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Bytes;
use canhgac_eventlog::{EventLogStats, EventPage, EventQuery};
use canhgac_model::{Severity, Timestamp};
use serde::Serialize;

/// The live detection path, as the web layer sees it.
#[async_trait]
pub trait Detection: Send + Sync + 'static {
    /// Decodes an NDJSON body (one JSON object per line; gunzipped first when `gzip`),
    /// attributes, detects and stores the batch. Returns only once every event is durable;
    /// a bad line rejects the whole batch and names the line.
    async fn submit_ndjson(
        &self,
        body: Bytes,
        gzip: bool,
        peer: Option<IpAddr>,
    ) -> Result<SubmitReceipt, SubmitError>;

    /// Decodes an uploaded log file (EVTX, JSON lines, syslog or access log, sniffed) and
    /// stores and detects its events like any batch. Records that do not decode are skipped
    /// and reported (the first few, with their line or record number).
    async fn submit_file(&self, name: String, bytes: Bytes) -> Result<FileReceipt, SubmitError> {
        let _ = (name, bytes);
        Err(SubmitError::Unavailable(
            "file import is not available here".into(),
        ))
    }

    /// Searches stored events (the caller has already narrowed `query.units` to its scope).
    async fn search(&self, query: EventQuery) -> Result<EventPage, String>;

    /// The rules loaded now and the ones that did not load.
    fn catalog(&self) -> Arc<RuleCatalog>;

    /// Counters of the intake.
    fn status(&self) -> DetectionStatus;
}

/// An accepted batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SubmitReceipt {
    /// Events stored.
    pub accepted: usize,
}

/// An imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReceipt {
    /// The format it was read as (`evtx`, `json`, `syslog`, `access_log`).
    pub format: String,
    /// Events stored.
    pub accepted: usize,
    /// Records that did not decode.
    pub skipped: usize,
    /// The first problems, e.g. `line 12: expected a JSON object`.
    pub problems: Vec<String>,
}

/// Why a batch was refused. Nothing of a refused batch is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// A line is not a JSON object, or the body is not valid gzip.
    #[error("line {line}: {reason}")]
    Invalid {
        /// 1-based line number (0 for the body as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An event or the decompressed body is larger than allowed.
    #[error("too large: {0}")]
    TooLarge(String),
    /// The event store cannot take the batch now (disk full, shutting down); retry later.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// A loaded rule, as listed in the console.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSummary {
    /// Stable key (rule id, else title): what overrides and alerts refer to.
    pub key: String,
    /// Title.
    pub title: String,
    /// Level in the rule file.
    pub level: Severity,
    /// Tags (ATT&CK).
    pub tags: Vec<String>,
    /// Sigma status (stable, test, experimental, ...).
    pub status: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// File it came from.
    pub origin: String,
    /// Logsource as `product/category/service`.
    pub logsource: String,
    /// `detection` or `correlation`.
    pub kind: String,
}

/// A rule document that did not load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleProblem {
    /// File.
    pub origin: String,
    /// Title, when it could be read.
    pub title: Option<String>,
    /// Why.
    pub reason: String,
}

/// The rule set in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCatalog {
    /// Loaded rules (detection and correlation).
    pub rules: Vec<RuleSummary>,
    /// Documents that did not load.
    pub problems: Vec<RuleProblem>,
    /// Rule directories read.
    pub directories: Vec<String>,
    /// When the set was loaded.
    pub loaded_at: Timestamp,
}

/// Counters of the live path since start.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DetectionStatus {
    /// Events received from every source.
    pub received: u64,
    /// Events stored.
    pub stored: u64,
    /// Lines or records that could not be decoded.
    pub decode_errors: u64,
    /// Events dropped (UDP under overload, oversized).
    pub dropped: u64,
    /// Alert drafts raised.
    pub alerts: u64,
    /// Indicators in the matcher.
    pub indicators: usize,
    /// Where canhgac listens for logs (e.g. `syslog/udp 0.0.0.0:514`).
    pub listeners: Vec<String>,
    /// The event store.
    pub eventlog: EventLogStats,
}
