//! The email channel: SMTP through `lettre`, one configuration for the whole product.
//!
//! Security modes: `none` (plain, for a relay on the same host or in tests), `starttls` (upgrade
//! required: the server must offer STARTTLS, or nothing is sent) and `tls` (implicit TLS, port
//! 465). Server certificates are checked against the public web PKI plus the PEM certificates of
//! `ca_file`, if given (a province's own CA, or a test CA).
//!
//! The password lives in [`Secret`], whose `Debug` prints `***`, and error texts are scrubbed of
//! it before they reach a log or the outbox.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use canhgac_model::bulletin::{OutboxMail, EMAIL_CHANNEL};
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Channel, DeliveryError, RespondError};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    /// Plain text (local relays and tests only).
    None,
    /// Plain connection upgraded with STARTTLS; refuses servers that do not offer it.
    #[default]
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

impl SmtpSecurity {
    /// Parses `none`, `starttls` or `tls`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "starttls" => Some(Self::StartTls),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }

    /// The usual port of the mode.
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Tls => 465,
        }
    }
}

/// A secret string: never printed by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where and how to send email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Server host name (also the name its certificate must carry).
    pub host: String,
    /// Port; `None` for the mode's usual port.
    pub port: Option<u16>,
    /// Connection protection.
    pub security: SmtpSecurity,
    /// User name for `AUTH`; empty for none.
    pub username: String,
    /// Password for `AUTH`.
    pub password: Secret,
    /// Sender address.
    pub from_address: String,
    /// Sender display name.
    pub from_name: String,
    /// PEM file of extra trusted CA certificates.
    pub ca_file: Option<std::path::PathBuf>,
    /// Longest wait for the server per attempt.
    pub timeout: Duration,
}

impl SmtpSettings {
    /// Settings for `host` with STARTTLS on its usual port, no authentication, sending as `from`.
    pub fn new(host: impl Into<String>, from_address: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: None,
            security: SmtpSecurity::StartTls,
            username: String::new(),
            password: Secret::default(),
            from_address: from_address.into(),
            from_name: "canhgac".into(),
            ca_file: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// The email [`Channel`].
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Strings that must never appear in an error (the password and its encodings).
    secrets: Vec<String>,
}

impl fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailChannel")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

fn config_error(key: &str, message: impl Into<String>) -> RespondError {
    RespondError::Config {
        key: key.to_string(),
        message: message.into(),
    }
}

impl EmailChannel {
    /// Builds the channel; checks the settings (host, sender, CA file) without connecting.
    pub fn new(settings: &SmtpSettings) -> Result<Self, RespondError> {
        let host = settings.host.trim();
        if host.is_empty() {
            return Err(config_error("smtp.host", "is empty"));
        }
        let address = settings
            .from_address
            .trim()
            .parse()
            .map_err(|e| config_error("smtp.from", format!("not an email address: {e}")))?;
        let name = settings.from_name.trim();
        let from = Mailbox::new((!name.is_empty()).then(|| name.to_string()), address);
        let tls_parameters = || -> Result<TlsParameters, RespondError> {
            let mut builder = TlsParameters::builder(host.to_string());
            if let Some(path) = &settings.ca_file {
                let pem = std::fs::read(path).map_err(|e| {
                    config_error(
                        "smtp.ca_file",
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|e| {
                    config_error("smtp.ca_file", format!("{}: {e}", path.display()))
                })?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| config_error("smtp.ca_file", e.to_string()))
        };
        let tls = match settings.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters()?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(settings.port.unwrap_or(settings.security.default_port()))
            .tls(tls)
            .timeout(Some(settings.timeout));
        let mut secrets = Vec::new();
        if !settings.username.trim().is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.trim().to_string(),
                settings.password.expose().to_string(),
            ));
            let password = settings.password.expose();
            if !password.is_empty() {
                let b64 = base64::engine::general_purpose::STANDARD;
                secrets.push(password.to_string());
                secrets.push(b64.encode(password));
                secrets.push(b64.encode(format!("\0{}\0{password}", settings.username.trim())));
            }
        }
        Ok(Self {
            transport: builder.build(),
            from,
            secrets,
        })
    }

    /// Removes the password (and its base64 forms) from a text bound for logs or the outbox.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            if !secret.is_empty() {
                text = text.replace(secret.as_str(), "***");
            }
        }
        text
    }

    fn message(&self, mail: &OutboxMail) -> Result<Message, DeliveryError> {
        let address = mail.recipient.trim().parse().map_err(|e| {
            DeliveryError::permanent(format!("địa chỉ người nhận không hợp lệ: {e}"))
        })?;
        let to = Mailbox::new(mail.recipient_name.clone(), address);
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        let built = match &mail.body_html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                mail.body_text.clone(),
                html.clone(),
            )),
            None => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.body_text.clone()),
            ),
        };
        built.map_err(|e| DeliveryError::permanent(format!("cannot build the message: {e}")))
    }
}

#[async_trait]
impl crate::reports::ReportMailer for EmailChannel {
    async fn send_report(
        &self,
        to: &[String],
        subject: &str,
        body: &str,
        file_name: &str,
        docx: &[u8],
    ) -> Result<(), String> {
        let mut builder = Message::builder().from(self.from.clone()).subject(subject);
        for address in to {
            let mailbox: Mailbox = address
                .trim()
                .parse()
                .map_err(|e| format!("địa chỉ người nhận không hợp lệ {address:?}: {e}"))?;
            builder = builder.to(mailbox);
        }
        let docx_type = ContentType::parse(DOCX_CONTENT_TYPE)
            .map_err(|e| format!("cannot build the message: {e}"))?;
        let message = builder
            .multipart(
                MultiPart::mixed()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(body.to_string()),
                    )
                    .singlepart(
                        Attachment::new(file_name.to_string()).body(docx.to_vec(), docx_type),
                    ),
            )
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| self.scrub(&e.to_string()))
    }
}

/// The media type of a DOCX attachment.
const DOCX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

#[async_trait]
impl Channel for EmailChannel {
    fn name(&self) -> &'static str {
        EMAIL_CHANNEL
    }

    async fn deliver(&self, mail: &OutboxMail) -> Result<(), DeliveryError> {
        let message = self.message(mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let text = self.scrub(&e.to_string());
                if e.is_permanent() {
                    Err(DeliveryError::permanent(text))
                } else {
                    Err(DeliveryError::transient(text))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn secrets_stay_hidden() {
        let mut settings = SmtpSettings::new("mail.example.vn", "canhgac@example.vn");
        settings.username = "u".into();
        settings.password = Secret::new("hunter2-very-secret");
        assert!(!format!("{settings:?}").contains("hunter2"));
        let channel = EmailChannel::new(&settings).unwrap();
        let scrubbed =
            channel.scrub("535 rejected hunter2-very-secret AHUAaHVudGVyMi12ZXJ5LXNlY3JldA==");
        assert!(!scrubbed.contains("hunter2"), "{scrubbed}");
        assert!(!scrubbed.contains("AHUAaHVudGVy"), "{scrubbed}");
        assert!(!format!("{channel:?}").contains("hunter2"));
    }

    #[test]
    fn settings_are_checked() {
        let bad_from = SmtpSettings::new("mail.example.vn", "not an address");
        assert!(matches!(
            EmailChannel::new(&bad_from),
            Err(RespondError::Config { key, .. }) if key == "smtp.from"
        ));
        let mut bad_ca = SmtpSettings::new("mail.example.vn", "a@example.vn");
        bad_ca.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(matches!(
            EmailChannel::new(&bad_ca),
            Err(RespondError::Config { key, .. }) if key == "smtp.ca_file"
        ));
        assert_eq!(
            SmtpSecurity::parse("STARTTLS"),
            Some(SmtpSecurity::StartTls)
        );
        assert_eq!(SmtpSecurity::parse("ssl"), None);
    }
}
