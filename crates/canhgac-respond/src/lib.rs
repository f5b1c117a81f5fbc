//! The respond capability of canhgac: getting word to people.
//!
//! DESIGN.md gives this room the roster, routing, the notification outbox, incidents and report
//! documents. Its pieces:
//!
//! - [`outbox`]: the delivery loop over the store's persisted outbox. Messages are queued in the
//!   store (unique by a dedup key, so never queued twice for the same person), claimed with a
//!   lease, delivered through a [`Channel`], and marked sent, retried with capped exponential
//!   backoff ([`RetryPolicy`]) or failed with the last error. All state is in the store, so a
//!   restart loses nothing.
//! - [`email`]: the one email [`Channel`] of the product, SMTP through `lettre` (plain, STARTTLS
//!   or implicit TLS, with authentication), configured once by [`email::SmtpSettings`]. The password is
//!   never logged, shown or written into an error.
//! - [`roster`]: the duty roster: shifts per unit or province-wide, who is on duty now, coverage
//!   gaps of a holiday (Tết) before it starts, a month calendar, CSV import.
//! - [`routing`]: routing rules from an [`routing::AlertSummary`] (any source) to the people on
//!   duty and their channels, with quiet hours, digests and a dedup key per alert, person and
//!   channel; and the Vietnamese-first message drafts.
//! - [`escalation`]: unacknowledged alerts to the backup, then the unit leader; signed,
//!   expiring acknowledgement links ([`escalation::AckToken`]).
//! - [`webhook`], [`telegram`], [`zalo`]: the HTTP [`Channel`]s: HMAC-signed JSON POSTs, a
//!   Telegram bot, a Zalo Official Account. Tokens and secrets never reach `Debug` or errors.
//! - [`bulletins`]: awareness bulletins: the email each official receives, with a personal link
//!   `{public_url}/bulletins/confirm/{token}` to confirm they read it, and reminders.
//! - [`documents`]: the official incident reports as DOCX (Circular 20/2017 Mẫu 03, 04 and 05 in
//!   the Decree 30/2020 layout), with document numbers ([`documents::ReportNumber`]) and
//!   [`documents::docx_to_text`] to read a report back.
//! - [`reports`]: from an incident to the report that leaves: issuers and recipients with
//!   effective dates, the affected system filled from the inventory, the DOCX, the email.
//! - [`deadlines`]: the reporting timers: 5 days to notify, 5 days for the closing report, 72
//!   hours for a personal-data breach, and the half-year and annual summary due dates.
//!
//! ```no_run
//! # async fn demo(store: std::sync::Arc<dyn canhgac_store::Store>) -> Result<(), canhgac_respond::RespondError> {
//! use std::sync::Arc;
//! use canhgac_respond::email::{EmailChannel, SmtpSettings};
//! use canhgac_respond::{outbox::OutboxWorker, RetryPolicy};
//! let settings = SmtpSettings::new("mail.example.gov.vn", "canhgac@example.gov.vn");
//! let channel = Arc::new(EmailChannel::new(&settings)?);
//! let worker = OutboxWorker::new(store, channel, RetryPolicy::default());
//! let wake = worker.waker();
//! tokio::spawn(worker.run(std::future::pending()));
//! wake.notify_one(); // something was queued: look now rather than at the next poll
//! # Ok(()) }
//! ```

pub mod bulletins;
pub mod deadlines;
pub mod documents;
pub mod email;
pub mod escalation;
mod http;
pub mod outbox;
pub mod reports;
pub mod roster;
pub mod routing;
pub mod telegram;
pub mod webhook;
pub mod zalo;

use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::bulletin::OutboxMail;

/// What can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    /// The channel's configuration cannot be used (names the key at fault).
    #[error("{key}: {message}")]
    Config {
        /// The configuration key, e.g. `smtp.ca_file`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] canhgac_store::StoreError),
}

/// Why a delivery attempt failed. The text must hold no secret: it is stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    /// What happened, for the console.
    pub message: String,
    /// Retrying cannot help (e.g. the server refused the address with a 5xx reply).
    pub permanent: bool,
}

impl DeliveryError {
    /// A failure worth retrying (network, 4xx, timeouts).
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    /// A failure retrying cannot fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

/// A way to deliver outbox messages to people: email, webhook, Telegram, Zalo.
#[async_trait]
pub trait Channel: Send + Sync + 'static {
    /// The outbox channel name this delivers (`email`).
    fn name(&self) -> &'static str;
    /// Delivers one message.
    async fn deliver(&self, mail: &OutboxMail) -> Result<(), DeliveryError>;
}

/// How failed deliveries are retried: `first_delay`, doubled per attempt up to `max_delay`,
/// given up after `max_attempts` attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure.
    pub first_delay: Duration,
    /// Longest wait between attempts.
    pub max_delay: Duration,
    /// Attempts before a message is marked failed.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based), or `None` to give up.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let doublings = attempt.saturating_sub(1).min(30);
        let delay = self.first_delay.saturating_mul(1u32 << doublings);
        Some(delay.min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_then_gives_up() {
        let policy = RetryPolicy {
            first_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
            max_attempts: 6,
        };
        let delays: Vec<Option<u64>> = (1..=7)
            .map(|a| policy.delay_after(a).map(|d| d.as_secs()))
            .collect();
        assert_eq!(
            delays,
            [Some(10), Some(20), Some(40), Some(60), Some(60), None, None]
        );
        // Huge attempt numbers do not overflow.
        let lenient = RetryPolicy {
            max_attempts: u32::MAX,
            ..policy
        };
        assert_eq!(lenient.delay_after(1000), Some(Duration::from_secs(60)));
    }
}
