//! The webhook channel: each outbox message is POSTed as JSON to one configured URL, signed so
//! the receiver can tell it came from us.
//!
//! The body is
//! `{"id":…,"channel":"webhook","recipient":"person:10","recipient_name":…,"subject":…,"text":…}`
//! and the header `X-Canhgac-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body bytes
//! under the configured secret. `X-Canhgac-Delivery` carries the outbox id: a retry after a
//! lost answer sends the same id again, so receivers can drop repeats. Any answer but 2xx is a
//! retryable failure naming the status. The URL (which may hold a token of its own) and the
//! secret never appear in `Debug` output or errors.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::bulletin::OutboxMail;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::email::Secret;
use crate::http;
use crate::routing::WEBHOOK_CHANNEL;
use crate::{Channel, DeliveryError, RespondError};

/// Header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Canhgac-Signature";
/// Header carrying the outbox id of the message (the same on every retry).
pub const DELIVERY_HEADER: &str = "X-Canhgac-Delivery";

/// Where and how to POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The receiver's URL (http or https).
    pub url: Secret,
    /// Key of the HMAC signature.
    pub secret: Secret,
    /// Longest wait per attempt.
    pub timeout: Duration,
}

impl WebhookSettings {
    /// Settings for `url` signed with `secret`, 10-second timeout.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            url: Secret::new(url),
            secret: Secret::new(secret),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The webhook [`Channel`].
pub struct WebhookChannel {
    client: reqwest::Client,
    url: String,
    secret: Secret,
}

impl fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannel").finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Payload<'a> {
    id: i64,
    channel: &'static str,
    recipient: &'a str,
    recipient_name: Option<&'a str>,
    subject: &'a str,
    text: &'a str,
}

/// `sha256=<hex>` of `body` under `secret`: the value of [`SIGNATURE_HEADER`].
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl WebhookChannel {
    /// Checks the settings (an http(s) URL, a secret) and builds the client.
    pub fn new(settings: &WebhookSettings) -> Result<Self, RespondError> {
        let url = http::base_url("webhook.url", settings.url.expose()).map_err(|e| match e {
            // The parse error could quote the URL.
            RespondError::Config { key, .. } => http::config_error(
                &key,
                "không phải URL http(s) hợp lệ / not a valid http(s) URL",
            ),
            other => other,
        })?;
        if settings.secret.expose().trim().is_empty() {
            return Err(http::config_error(
                "webhook.secret",
                "trống: cần khóa để ký / empty: a signing key is required",
            ));
        }
        Ok(Self {
            client: http::client("webhook", settings.timeout)?,
            url,
            secret: settings.secret.clone(),
        })
    }
}

#[async_trait]
impl Channel for WebhookChannel {
    fn name(&self) -> &'static str {
        WEBHOOK_CHANNEL
    }

    async fn deliver(&self, mail: &OutboxMail) -> Result<(), DeliveryError> {
        let body = serde_json::to_vec(&Payload {
            id: mail.id,
            channel: WEBHOOK_CHANNEL,
            recipient: &mail.recipient,
            recipient_name: mail.recipient_name.as_deref(),
            subject: &mail.subject,
            text: &mail.body_text,
        })
        .map_err(|e| DeliveryError::permanent(format!("webhook: JSON: {e}")))?;
        let secrets = [self.url.as_str(), self.secret.expose()];
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(&self.secret, &body))
            .header(DELIVERY_HEADER, mail.id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| http::request_error("webhook", e, &secrets))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(DeliveryError::transient(format!(
            "webhook: máy nhận trả lời HTTP {} / receiver answered HTTP {}",
            status.as_u16(),
            status.as_u16()
        )))
    }
}
