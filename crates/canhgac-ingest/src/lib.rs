//! Log sources and decoders: syslog (UDP, TCP, TLS), NDJSON, EVTX, web access logs and files,
//! turned into [`canhgac_model::Event`]s and attributed to units. Evaluates no rules.
//!
//! The rooms:
//! - [`syslog`]: RFC 5424, RFC 3164 and their common variants ([`syslog::decode`] never fails:
//!   what it cannot read becomes a [`canhgac_model::EventKind::Raw`] event), and the TCP
//!   [`syslog::Framer`] (octet counting and newline framing).
//! - [`access_log`]: Apache/Nginx combined and common log lines, with W3C field names.
//! - [`json`]: one JSON object, flattened; JSON rendered from EVTX takes the Windows shape.
//! - [`evtx`]: Windows `.evtx` files, record by record, corrupt chunks reported and skipped.
//! - [`files`]: which format a file holds, and reading any of them as events.
//! - [`listen`]: the syslog listeners (tokio) and [`ndjson::decode_batch`] for the HTTP endpoint.
//! - [`Attributor`]: the unit an event belongs to, from the inventory's assets.
//!
//! ```
//! use canhgac_ingest::syslog;
//! let received = jiff::Timestamp::now();
//! let event = syslog::decode(b"<38>1 2026-11-26T01:02:03Z web01 sshd 42 - - Failed password", received, None);
//! assert_eq!(event.fields.get_str("program"), Some("sshd"));
//! assert_eq!(event.host.as_deref(), Some("web01"));
//! ```

pub mod access_log;
mod attribute;
pub mod evtx;
pub mod files;
pub mod json;
mod jtree;
pub mod listen;
pub mod ndjson;
pub mod syslog;
mod windows;

pub use attribute::Attributor;

/// A record that could not be decoded: where (line number in a file or batch, when known) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct DecodeError {
    /// The 1-based line number (or record number for EVTX), when the input has lines.
    pub line: Option<u64>,
    /// What was wrong.
    pub reason: String,
}

impl DecodeError {
    /// An error without a line number.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            line: None,
            reason: reason.into(),
        }
    }

    /// The same error, at `line`.
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}
