//! The Telegram channel: a bot sends each outbox message to the person's chat with the Bot API
//! method `sendMessage`.
//!
//! The recipient is the chat id (the person opened a chat with the bot). The bot token is part
//! of the request path (`{base_url}/bot{token}/sendMessage`), so it lives in a [`Secret`], the
//! channel's `Debug` shows neither it nor the URL, and every error text is scrubbed of it.
//! The base URL is configuration so that tests (and a local Bot API server) can stand in for
//! `https://api.telegram.org`.
//!
//! Failures: 400 (no such chat) and 403 (the person blocked the bot) cannot be fixed by
//! retrying; everything else (429 flood control, 5xx, a wrong token being corrected) is retried.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::bulletin::OutboxMail;
use serde::{Deserialize, Serialize};

use crate::email::Secret;
use crate::http;
use crate::routing::TELEGRAM_CHANNEL;
use crate::{Channel, DeliveryError, RespondError};

/// The public Bot API.
pub const DEFAULT_BASE_URL: &str = "https://api.telegram.org";

/// Telegram refuses texts over 4096 UTF-16 code units.
const MAX_TEXT: usize = 4096;

/// How to reach the Bot API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramSettings {
    /// Bot API base URL.
    pub base_url: String,
    /// The bot token from BotFather (`123456:ABC-…`).
    pub bot_token: Secret,
    /// Longest wait per attempt.
    pub timeout: Duration,
}

impl TelegramSettings {
    /// Settings for the public Bot API with `bot_token`, 15-second timeout.
    pub fn new(bot_token: impl Into<String>) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.into(),
            bot_token: Secret::new(bot_token),
            timeout: Duration::from_secs(15),
        }
    }
}

/// The Telegram [`Channel`].
pub struct TelegramChannel {
    client: reqwest::Client,
    base_url: String,
    token: Secret,
}

impl fmt::Debug for TelegramChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramChannel").finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct SendMessage<'a> {
    chat_id: &'a str,
    text: &'a str,
    link_preview_options: LinkPreview,
}

#[derive(Serialize)]
struct LinkPreview {
    is_disabled: bool,
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    description: Option<String>,
}

impl TelegramChannel {
    /// Checks the settings (base URL, token shape) and builds the client.
    pub fn new(settings: &TelegramSettings) -> Result<Self, RespondError> {
        let base_url = http::base_url("telegram.base_url", &settings.base_url)?;
        let token = settings.bot_token.expose().trim();
        let well_formed = token.split_once(':').is_some_and(|(bot, key)| {
            !bot.is_empty()
                && bot.bytes().all(|b| b.is_ascii_digit())
                && !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !well_formed {
            return Err(http::config_error(
                "telegram.bot_token",
                "không đúng dạng <số>:<khóa> của BotFather / not a BotFather token <digits>:<key>",
            ));
        }
        Ok(Self {
            client: http::client("telegram", settings.timeout)?,
            base_url,
            token: Secret::new(token),
        })
    }
}

#[async_trait]
impl Channel for TelegramChannel {
    fn name(&self) -> &'static str {
        TELEGRAM_CHANNEL
    }

    async fn deliver(&self, mail: &OutboxMail) -> Result<(), DeliveryError> {
        let chat_id = mail.recipient.trim();
        if chat_id.is_empty() {
            return Err(DeliveryError::permanent(
                "telegram: thiếu chat id / no chat id",
            ));
        }
        let text = http::truncate(&format!("{}\n\n{}", mail.subject, mail.body_text), MAX_TEXT);
        let url = format!("{}/bot{}/sendMessage", self.base_url, self.token.expose());
        let secrets = [self.token.expose()];
        let response = self
            .client
            .post(url)
            .json(&SendMessage {
                chat_id,
                text: &text,
                link_preview_options: LinkPreview { is_disabled: true },
            })
            .send()
            .await
            .map_err(|e| http::request_error("telegram", e, &secrets))?;
        let status = response.status();
        let answer: Option<Answer> = response.json().await.ok();
        if status.is_success() && answer.as_ref().is_some_and(|a| a.ok) {
            return Ok(());
        }
        let description = answer
            .and_then(|a| a.description)
            .map(|d| format!(": {}", http::truncate(&d, 300)))
            .unwrap_or_default();
        let message = http::scrub(
            &format!(
                "telegram: Bot API trả lời HTTP {} / answered HTTP {}{description}",
                status.as_u16(),
                status.as_u16()
            ),
            &secrets,
        );
        if matches!(status.as_u16(), 400 | 403) {
            Err(DeliveryError::permanent(message))
        } else {
            Err(DeliveryError::transient(message))
        }
    }
}
