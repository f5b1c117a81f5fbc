//! The Zalo channel: the province's Zalo Official Account (OA) sends each outbox message as a
//! text message to a follower, through the OA Open API (`POST {base_url}/v3.0/oa/message/cs`
//! with the OA access token in the `access_token` header).
//!
//! The recipient is the person's user id as a follower of the OA. Zalo answers HTTP 200 with
//! `{"error": 0, …}` on success and a non-zero `error` with a `message` otherwise; both that and
//! a non-2xx status are retryable failures (the usual causes, an expired access token or a
//! follower outside the OA's messaging window, are fixed outside this process). The token
//! lives in a [`Secret`]: not in `Debug`, not in errors. Access tokens expire; refreshing them
//! with the OA's refresh token is the configuration's job, not this channel's.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::bulletin::OutboxMail;
use serde::{Deserialize, Serialize};

use crate::email::Secret;
use crate::http;
use crate::routing::ZALO_CHANNEL;
use crate::{Channel, DeliveryError, RespondError};

/// The public OA Open API.
pub const DEFAULT_BASE_URL: &str = "https://openapi.zalo.me";

/// Path of the OA's customer-service text message.
const MESSAGE_PATH: &str = "/v3.0/oa/message/cs";

/// Zalo caps text messages at 2000 characters.
const MAX_TEXT: usize = 2000;

/// How to reach the OA API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZaloSettings {
    /// OA Open API base URL.
    pub base_url: String,
    /// The OA access token.
    pub access_token: Secret,
    /// Longest wait per attempt.
    pub timeout: Duration,
}

impl ZaloSettings {
    /// Settings for the public API with `access_token`, 15-second timeout.
    pub fn new(access_token: impl Into<String>) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.into(),
            access_token: Secret::new(access_token),
            timeout: Duration::from_secs(15),
        }
    }
}

/// The Zalo OA [`Channel`].
pub struct ZaloChannel {
    client: reqwest::Client,
    url: String,
    token: Secret,
}

impl fmt::Debug for ZaloChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZaloChannel")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Request<'a> {
    recipient: UserRef<'a>,
    message: Text<'a>,
}

#[derive(Serialize)]
struct UserRef<'a> {
    user_id: &'a str,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Deserialize)]
struct Answer {
    error: i64,
    message: Option<String>,
}

impl ZaloChannel {
    /// Checks the settings (base URL, a token) and builds the client.
    pub fn new(settings: &ZaloSettings) -> Result<Self, RespondError> {
        let base_url = http::base_url("zalo.base_url", &settings.base_url)?;
        let token = settings.access_token.expose().trim();
        // The token goes in a header: it must be a valid header value and not empty.
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(http::config_error(
                "zalo.access_token",
                "trống hoặc có ký tự không hợp lệ / empty or with invalid characters",
            ));
        }
        Ok(Self {
            client: http::client("zalo", settings.timeout)?,
            url: format!("{base_url}{MESSAGE_PATH}"),
            token: Secret::new(token),
        })
    }
}

#[async_trait]
impl Channel for ZaloChannel {
    fn name(&self) -> &'static str {
        ZALO_CHANNEL
    }

    async fn deliver(&self, mail: &OutboxMail) -> Result<(), DeliveryError> {
        let user_id = mail.recipient.trim();
        if user_id.is_empty() {
            return Err(DeliveryError::permanent("zalo: thiếu user id / no user id"));
        }
        let text = http::truncate(&format!("{}\n\n{}", mail.subject, mail.body_text), MAX_TEXT);
        let secrets = [self.token.expose()];
        let response = self
            .client
            .post(&self.url)
            .header("access_token", self.token.expose())
            .json(&Request {
                recipient: UserRef { user_id },
                message: Text { text: &text },
            })
            .send()
            .await
            .map_err(|e| http::request_error("zalo", e, &secrets))?;
        let status = response.status();
        if !status.is_success() {
            return Err(DeliveryError::transient(format!(
                "zalo: API trả lời HTTP {} / answered HTTP {}",
                status.as_u16(),
                status.as_u16()
            )));
        }
        match response.json::<Answer>().await {
            Ok(Answer { error: 0, .. }) => Ok(()),
            Ok(Answer { error, message }) => Err(DeliveryError::transient(http::scrub(
                &format!(
                    "zalo: lỗi {error} / error {error}: {}",
                    http::truncate(message.as_deref().unwrap_or("-"), 300)
                ),
                &secrets,
            ))),
            Err(_) => Err(DeliveryError::transient(
                "zalo: câu trả lời không đọc được / unreadable answer",
            )),
        }
    }
}
