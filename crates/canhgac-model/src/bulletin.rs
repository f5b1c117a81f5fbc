//! Awareness bulletins (bản tin an toàn thông tin) and the notification outbox that carries them.
//!
//! A bulletin goes to the contacts with an email address of the units it is addressed to; each
//! recipient gets a personal link to confirm they read it. Every message to a person, bulletin
//! or (later) alert notification, is first a row of the outbox: retried with backoff, unique by
//! a dedup key so the same thing is never sent twice to the same person.

use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};
use crate::{string_enum, Id, Timestamp};

string_enum! {
    /// Where a message of the outbox is.
    OutboxState {
        /// Waiting for its (next) attempt.
        Queued = "queued",
        /// Taken by a sender; if the sender dies, the lease runs out and it is queued again.
        Sending = "sending",
        /// Accepted by the mail server.
        Sent = "sent",
        /// Given up after the last attempt; `last_error` says why.
        Failed = "failed",
    }
}

impl OutboxState {
    /// Vietnamese label for the console.
    pub fn label_vi(self) -> &'static str {
        match self {
            OutboxState::Queued => "Đang chờ gửi",
            OutboxState::Sending => "Đang gửi",
            OutboxState::Sent => "Đã gửi",
            OutboxState::Failed => "Gửi thất bại",
        }
    }
}

/// Channel name of email messages in the outbox.
pub const EMAIL_CHANNEL: &str = "email";

/// A message to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxDraft {
    /// Channel that delivers it (`email`).
    pub channel: String,
    /// Address on that channel.
    pub recipient: String,
    /// Display name of the recipient, if known.
    pub recipient_name: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body_text: String,
    /// HTML body, if any.
    pub body_html: Option<String>,
    /// Unique key: a second draft with the same key is dropped (never sent twice).
    pub dedup_key: String,
    /// The unit the message concerns (decides who sees it in the outbox listing).
    pub unit_id: Option<Id>,
    /// The bulletin it carries, if any.
    pub bulletin_id: Option<Id>,
}

/// A message of the outbox as listings show it: no body (bodies carry personal links).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxMessage {
    /// Database id.
    pub id: Id,
    /// Channel (`email`).
    pub channel: String,
    /// Address.
    pub recipient: String,
    /// Display name.
    pub recipient_name: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Dedup key.
    pub dedup_key: String,
    /// Delivery state.
    pub state: OutboxState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (queued) or the lease ends (sending).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed (no secrets).
    pub last_error: Option<String>,
    /// Unit concerned.
    pub unit_id: Option<Id>,
    /// Bulletin carried.
    pub bulletin_id: Option<Id>,
    /// When it was queued.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the server accepted it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub sent_at: Option<Timestamp>,
}

/// A message a sender has claimed, with everything needed to deliver it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Database id.
    pub id: Id,
    /// Channel (`email`).
    pub channel: String,
    /// Address.
    pub recipient: String,
    /// Display name.
    pub recipient_name: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body_text: String,
    /// HTML body.
    pub body_html: Option<String>,
    /// Attempts made, counting the one being made now.
    pub attempts: u32,
}

/// Which outbox messages a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFilter {
    /// Only this state.
    pub state: Option<OutboxState>,
    /// Only messages of this bulletin.
    pub bulletin_id: Option<Id>,
}

/// Counts of outbox messages per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxCounts {
    /// Queued or being sent.
    pub pending: u64,
    /// Sent.
    pub sent: u64,
    /// Given up.
    pub failed: u64,
}

/// What a caller supplies to send a bulletin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulletinInput {
    /// Title, also the subject of the email.
    pub title: String,
    /// Text of the bulletin (plain text; paragraphs separated by blank lines).
    pub body: String,
    /// Units whose contacts receive it.
    pub unit_ids: Vec<Id>,
    /// Also the contacts of every unit below them.
    #[serde(default)]
    pub include_subunits: bool,
    /// Remind those who have not confirmed every so many days (none: only by hand).
    #[serde(default)]
    pub remind_every_days: Option<u32>,
}

impl BulletinInput {
    /// Normalises and checks every field.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        validate::required_text("title", &mut self.title, 300)?;
        self.body = self.body.replace("\r\n", "\n").trim().to_string();
        if self.body.is_empty() {
            return Err(FieldError::new("body", "không được để trống"));
        }
        if self.body.chars().count() > 50_000 {
            return Err(FieldError::new("body", "dài quá 50.000 ký tự"));
        }
        self.unit_ids.sort_unstable();
        self.unit_ids.dedup();
        if self.unit_ids.is_empty() {
            return Err(FieldError::new("unit_ids", "chọn ít nhất một đơn vị"));
        }
        if let Some(days) = self.remind_every_days {
            if !(1..=90).contains(&days) {
                return Err(FieldError::new(
                    "remind_every_days",
                    "từ 1 đến 90 ngày, hoặc để trống",
                ));
            }
        }
        Ok(())
    }
}

/// A bulletin, with counts over the recipients in the reader's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bulletin {
    /// Database id.
    pub id: Id,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// The units chosen when it was sent.
    pub unit_ids: Vec<Id>,
    /// Whether units below them were included.
    pub include_subunits: bool,
    /// Automatic reminder period, in days.
    pub remind_every_days: Option<u32>,
    /// Who sent it.
    pub created_by: String,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Recipients in scope.
    pub recipients: u64,
    /// Of those, how many confirmed.
    pub confirmed: u64,
}

/// One person a bulletin was sent to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulletinRecipient {
    /// Database id.
    pub id: Id,
    /// Their unit.
    pub unit_id: Id,
    /// The contact record they came from (gone if the contact was deleted since).
    pub contact_id: Option<Id>,
    /// Name at sending time.
    pub name: String,
    /// Address at sending time.
    pub email: String,
    /// When they confirmed reading it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub confirmed_at: Option<Timestamp>,
    /// Reminders queued for them.
    pub reminders_sent: u32,
    /// When the last reminder was queued.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_reminded_at: Option<Timestamp>,
    /// Delivery state of the latest message to them.
    pub delivery: Option<OutboxState>,
    /// Why that message failed, if it did.
    pub delivery_error: Option<String>,
}

/// Confirmations of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulletinUnit {
    /// Unit id.
    pub unit_id: Id,
    /// Unit name.
    pub unit_name: String,
    /// Recipients in the unit (0: the unit has no contact with an email).
    pub recipients: u64,
    /// Of those, confirmed.
    pub confirmed: u64,
}

/// A bulletin with its units and recipients in the reader's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulletinDetail {
    /// The bulletin.
    pub bulletin: Bulletin,
    /// Per unit, by name.
    pub units: Vec<BulletinUnit>,
    /// Per person, by unit then name.
    pub recipients: Vec<BulletinRecipient>,
}

/// Who a bulletin message is for, handed to the code that writes the email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulletinAddressee<'a> {
    /// Bulletin id.
    pub bulletin_id: Id,
    /// Title.
    pub title: &'a str,
    /// Text.
    pub body: &'a str,
    /// Person's name.
    pub name: &'a str,
    /// Their unit's name.
    pub unit_name: &'a str,
    /// 0 for the bulletin itself, then 1, 2... for reminders.
    pub reminder: u32,
}

/// An email written for one addressee, with the hash of the secret token its link carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulletinMail {
    /// SHA-256 (hex) of the token in the link; the token itself is not stored with the recipient.
    pub token_hash: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body_text: String,
    /// HTML body.
    pub body_html: Option<String>,
}

/// What following a confirmation link did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulletinConfirmation {
    /// Bulletin title.
    pub title: String,
    /// Who confirmed.
    pub name: String,
    /// When they (first) confirmed.
    pub confirmed_at: Timestamp,
    /// The link had already been followed before.
    pub already: bool,
}

/// What a confirmation link leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulletinLink {
    /// Bulletin title.
    pub title: String,
    /// Bulletin text.
    pub body: String,
    /// Who the link was sent to.
    pub name: String,
    /// When they confirmed, if they have.
    pub confirmed_at: Option<Timestamp>,
}
