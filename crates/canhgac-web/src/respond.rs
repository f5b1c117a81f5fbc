//! What the console and the API need from the respond capability: who writes bulletin emails
//! (and their links), how to wake the outbox sender, and whether email is configured at all.
//!
//! The binary plugs in the real values ([`AppState::with_respond`](crate::AppState::with_respond)).
//! Without SMTP, bulletins can still be created: their emails stay queued in the outbox and the
//! pages say email is not configured.

use std::sync::Arc;

use canhgac_model::bulletin::{BulletinAddressee, BulletinMail};
use canhgac_respond::bulletins::BulletinMailer;
use tokio::sync::Notify;

/// The respond capability as the web layer sees it.
#[derive(Debug, Clone)]
pub struct Respond {
    /// Writes bulletin emails with links under the server's public URL.
    pub mailer: BulletinMailer,
    /// Wakes the outbox sender after something was queued.
    pub outbox: Arc<Notify>,
    /// An SMTP server is configured and the sender runs.
    pub email_configured: bool,
    /// The key alert acknowledgement links are signed with, when paging runs.
    pub ack_secret: Option<canhgac_respond::email::Secret>,
}

impl Respond {
    /// Links under `public_url`, no email configured.
    pub fn new(public_url: &str) -> Self {
        Self {
            mailer: BulletinMailer::new(public_url),
            outbox: Arc::new(Notify::new()),
            email_configured: false,
            ack_secret: None,
        }
    }

    /// Writes one bulletin email (for [`canhgac_store::Store::create_bulletin`]).
    pub fn write(&self, to: &BulletinAddressee<'_>) -> BulletinMail {
        self.mailer.write(to)
    }

    /// Something was queued: the sender looks now rather than at its next poll.
    pub fn queued(&self) {
        self.outbox.notify_one();
    }
}

impl Default for Respond {
    fn default() -> Self {
        Self::new("http://127.0.0.1:8080")
    }
}
