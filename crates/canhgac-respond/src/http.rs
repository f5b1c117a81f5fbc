//! What the HTTP channels (webhook, Telegram, Zalo) share: one client set-up (rustls on ring
//! with the Mozilla roots, a timeout per attempt, no redirects) and error texts that never carry
//! a secret or a URL.

use std::sync::Arc;
use std::time::Duration;

use crate::{DeliveryError, RespondError};

/// A client for one channel; `key` names the channel's configuration for errors.
pub(crate) fn client(key: &str, timeout: Duration) -> Result<reqwest::Client, RespondError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| config_error(key, format!("TLS set-up: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .connect_timeout(timeout)
        // A redirect would carry the secret header or body elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("canhgac/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| config_error(key, format!("HTTP client: {e}")))
}

pub(crate) fn config_error(key: &str, message: impl Into<String>) -> RespondError {
    RespondError::Config {
        key: key.to_string(),
        message: message.into(),
    }
}

/// Parses a configured base URL (http or https), without a trailing slash.
pub(crate) fn base_url(key: &str, text: &str) -> Result<String, RespondError> {
    let text = text.trim().trim_end_matches('/');
    let url =
        reqwest::Url::parse(text).map_err(|e| config_error(key, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(config_error(key, "must be an http:// or https:// URL"));
    }
    Ok(text.to_string())
}

/// Replaces every secret in `text` by `***`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "***");
    }
    text
}

/// A failed request (no answer): retryable, described without the URL.
pub(crate) fn request_error(
    channel: &str,
    error: reqwest::Error,
    secrets: &[&str],
) -> DeliveryError {
    let what = if error.is_timeout() {
        "hết thời gian chờ / timed out".to_string()
    } else if error.is_connect() {
        "không kết nối được / cannot connect".to_string()
    } else {
        "lỗi gửi / request failed".to_string()
    };
    // reqwest's own text is vague ("error sending request"); the causes say what happened.
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    DeliveryError::transient(scrub(&format!("{channel}: {what}: {detail}"), secrets))
}

/// Keeps what fits in `max` UTF-16 code units (how Telegram and Zalo count message length),
/// ending with `…` when something was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.encode_utf16().count() <= max {
        return text.to_string();
    }
    let mut kept = String::new();
    let mut units = 1; // the ellipsis
    for c in text.chars() {
        units += c.len_utf16();
        if units > max {
            break;
        }
        kept.push(c);
    }
    kept.push('…');
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_utf16_units() {
        assert_eq!(truncate("trực ca", 10), "trực ca");
        assert_eq!(truncate("trực ca đêm", 6), "trực …");
        // Astral characters count twice.
        let emoji = "🚨".repeat(10);
        let cut = truncate(&emoji, 9);
        assert_eq!(cut, format!("{}…", "🚨".repeat(4)));
        assert!(cut.encode_utf16().count() <= 9);
        assert_eq!(scrub("a SECRET b", &["SECRET", ""]), "a *** b");
    }
}
