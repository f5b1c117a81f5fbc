//! Fetching feed documents over HTTP(S) for [`crate::misp`] and [`crate::taxii`]: one rustls
//! client (ring provider, Mozilla roots), a timeout on every request, a cap on every body, and
//! errors that never carry a password.

use std::time::Duration;

use reqwest::header::HeaderMap;
use url::Url;

/// Limits on what a feed may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Whole-request timeout (connect, send, read the body).
    pub timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why a fetch failed. URLs in it have any user name and password removed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built.
    #[error("HTTP client set-up: {0}")]
    Client(String),
    /// The request failed (connection, TLS, timeout).
    #[error("{url}: {message}")]
    Request {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The server refused the credentials (401) or the access (403).
    #[error("{url}: the server refused the credentials (HTTP {status})")]
    Unauthorized {
        /// The URL.
        url: String,
        /// 401 or 403.
        status: u16,
    },
    /// Any other non-success status.
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body is larger than the cap.
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
}

impl FetchError {
    /// Vietnamese message for the console.
    pub fn message_vi(&self) -> String {
        match self {
            FetchError::Client(message) => format!("Không khởi tạo được HTTP client: {message}"),
            FetchError::Request { url, message } => {
                format!("Không tải được {url}: {message}")
            }
            FetchError::Unauthorized { url, status } => format!(
                "Máy chủ {url} từ chối thông tin đăng nhập (HTTP {status}): kiểm tra tên đăng \
                 nhập và mật khẩu"
            ),
            FetchError::Status { url, status } => {
                format!("Máy chủ {url} trả về mã lỗi HTTP {status}")
            }
            FetchError::TooLarge { url, limit } => {
                format!("Dữ liệu từ {url} vượt quá giới hạn {limit} byte")
            }
        }
    }
}

/// A password that never shows in `Debug` output or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// HTTP basic credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password.
    pub password: Secret,
}

/// An HTTP client for feeds: rustls with the ring provider and the Mozilla roots, the
/// timeout of `limits`. Build your own `reqwest::Client` to trust a private CA or use a proxy.
pub fn feed_client(limits: &FetchLimits) -> Result<reqwest::Client, FetchError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| FetchError::Client(format!("TLS: {error}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(limits.timeout.min(Duration::from_secs(30)))
        .timeout(limits.timeout)
        .user_agent(concat!("canhgac-intel/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| FetchError::Client(error.to_string()))
}

/// The URL without user name and password, for messages.
pub(crate) fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    // Only fails for URLs that cannot have credentials, which then have none to hide.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// The message of a reqwest error and its causes, without the URL (ours is redacted).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut message = if error.is_timeout() {
        "timed out".to_string()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// GETs `url` and reads at most `limits.max_body_bytes` of its body.
pub(crate) async fn get(
    client: &reqwest::Client,
    url: &Url,
    accept: &str,
    auth: Option<&BasicAuth>,
    limits: &FetchLimits,
) -> Result<(HeaderMap, Vec<u8>), FetchError> {
    let shown = redacted(url);
    let request_error = |error: reqwest::Error| FetchError::Request {
        url: shown.clone(),
        message: describe(error),
    };
    let mut request = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, accept)
        .timeout(limits.timeout);
    if let Some(auth) = auth {
        request = request.basic_auth(&auth.username, Some(auth.password.expose()));
    }
    let mut response = request.send().await.map_err(request_error)?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(FetchError::Unauthorized {
            url: shown,
            status: status.as_u16(),
        });
    }
    if !status.is_success() {
        return Err(FetchError::Status {
            url: shown,
            status: status.as_u16(),
        });
    }
    let too_large = || FetchError::TooLarge {
        url: shown.clone(),
        limit: limits.max_body_bytes,
    };
    if response
        .content_length()
        .is_some_and(|length| length > limits.max_body_bytes as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request_error)? {
        if body.len() + chunk.len() > limits.max_body_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok((response.headers().clone(), body))
}
