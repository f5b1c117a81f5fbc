//! The delivery loop over the persisted outbox.
//!
//! The worker claims due messages of its channel from the store (a claim is a lease of
//! [`LEASE`]: if this process dies mid-send, another claim takes the message once the lease has
//! run out), delivers them one by one and records the outcome. It polls every `poll` and can be
//! woken early through [`OutboxWorker::waker`] when something was just queued.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use canhgac_model::bulletin::OutboxMail;
use canhgac_model::Timestamp;
use canhgac_store::Store;
use jiff::SignedDuration;
use tokio::sync::Notify;

use crate::{Channel, RetryPolicy};

/// How long a claimed message is reserved for its sender.
pub const LEASE: Duration = Duration::from_secs(300);

/// Messages claimed per round.
const BATCH: u32 = 20;

/// Delivers the outbox messages of one channel.
pub struct OutboxWorker {
    store: Arc<dyn Store>,
    channel: Arc<dyn Channel>,
    policy: RetryPolicy,
    poll: Duration,
    wake: Arc<Notify>,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Delivered.
    pub sent: u32,
    /// Failed, to be retried.
    pub retrying: u32,
    /// Failed for good.
    pub failed: u32,
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

impl OutboxWorker {
    /// A worker polling every 5 seconds.
    pub fn new(store: Arc<dyn Store>, channel: Arc<dyn Channel>, policy: RetryPolicy) -> Self {
        Self {
            store,
            channel,
            policy,
            poll: Duration::from_secs(5),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Sets how often the store is polled.
    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_millis(50));
        self
    }

    /// A handle that wakes the worker before its next poll.
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Claims the due messages once and tries each; store errors end the round early.
    pub async fn round(&self) -> Result<RoundReport, canhgac_store::StoreError> {
        let mut report = RoundReport::default();
        loop {
            let now = Timestamp::now();
            let mails = self
                .store
                .claim_outbox(
                    self.channel.name(),
                    now,
                    now.saturating_add(signed(LEASE)).unwrap_or(now),
                    BATCH,
                )
                .await?;
            let claimed = mails.len();
            for mail in mails {
                self.deliver(&mail, &mut report).await?;
            }
            if claimed < BATCH as usize {
                return Ok(report);
            }
        }
    }

    async fn deliver(
        &self,
        mail: &OutboxMail,
        report: &mut RoundReport,
    ) -> Result<(), canhgac_store::StoreError> {
        if mail.attempts > self.policy.max_attempts {
            // Claimed again after a crash on its last allowed attempt.
            self.store
                .outbox_failed(mail.id, "số lần thử đã hết (bị gián đoạn)", None)
                .await?;
            report.failed += 1;
            return Ok(());
        }
        match self.channel.deliver(mail).await {
            Ok(()) => {
                self.store.outbox_sent(mail.id, Timestamp::now()).await?;
                report.sent += 1;
                tracing::info!(
                    id = mail.id,
                    channel = self.channel.name(),
                    "notification sent"
                );
            }
            Err(error) => {
                let retry_at = if error.permanent {
                    None
                } else {
                    self.policy
                        .delay_after(mail.attempts)
                        .and_then(|d| Timestamp::now().checked_add(signed(d)).ok())
                };
                self.store
                    .outbox_failed(mail.id, &error.message, retry_at)
                    .await?;
                if retry_at.is_some() {
                    report.retrying += 1;
                } else {
                    report.failed += 1;
                }
                tracing::warn!(
                    id = mail.id,
                    attempt = mail.attempts,
                    retry = retry_at.is_some(),
                    error = %error.message,
                    "notification not delivered"
                );
            }
        }
        Ok(())
    }

    /// Runs rounds until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.round().await {
                tracing::warn!(error = %e, "outbox round failed");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }
}
