//! A small HTTP/1.1 client over a TCP (or TLS) stream that sends the request bytes exactly as the
//! template wrote them, and the TLS connector shared with `tcp` requests.
//!
//! Certificates are not verified: we scan misconfigured servers and want their answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why an exchange failed.
#[derive(Debug, Error)]
pub enum ClientError {
    /// Connecting failed.
    #[error("connect to {address}: {source}")]
    Connect {
        /// `host:port`.
        address: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The TLS handshake failed.
    #[error("TLS handshake with {address}: {source}")]
    Tls {
        /// `host:port`.
        address: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading or writing failed.
    #[error("I/O with {address}: {source}")]
    Io {
        /// `host:port`.
        address: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The deadline passed.
    #[error("timed out after {0:?} talking to {1}")]
    Timeout(Duration, String),
    /// The answer is not HTTP.
    #[error("malformed HTTP response from {address}: {reason}")]
    Malformed {
        /// `host:port`.
        address: String,
        /// What was wrong.
        reason: String,
    },
    /// The host name is not usable for TLS.
    #[error("invalid server name {0:?}")]
    ServerName(String),
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Wrap the stream in TLS.
    pub tls: bool,
    /// Host name or IP.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Endpoint {
    /// `host:port` (IPv6 in brackets).
    pub fn address(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A parsed HTTP response.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Status line and header lines as received (CRLF-separated, without the blank line).
    pub head: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body (decoded from chunked), cut at the size cap.
    pub body: Vec<u8>,
    /// Time from connect to the end of the read.
    pub duration: Duration,
}

impl HttpResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Any stream we read and write.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS connector (ring provider) that accepts any certificate.
pub fn tls_connector() -> tokio_rustls::TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .expect("the ring provider supports TLS 1.2 and 1.3");
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Opens a TCP stream, wrapped in TLS when the endpoint asks for it.
pub async fn connect(
    endpoint: &Endpoint,
    tls: &tokio_rustls::TlsConnector,
) -> Result<Box<dyn Stream>, ClientError> {
    let address = endpoint.address();
    let tcp = TcpStream::connect((endpoint.host.trim_matches(['[', ']']), endpoint.port))
        .await
        .map_err(|source| ClientError::Connect {
            address: address.clone(),
            source,
        })?;
    if !endpoint.tls {
        return Ok(Box::new(tcp));
    }
    let name = ServerName::try_from(endpoint.host.trim_matches(['[', ']']).to_owned())
        .map_err(|_| ClientError::ServerName(endpoint.host.clone()))?;
    let stream = tls
        .connect(name, tcp)
        .await
        .map_err(|source| ClientError::Tls { address, source })?;
    Ok(Box::new(stream))
}

/// Sends `request` as written and reads one response: the body by `Content-Length`, chunked, or
/// to the end of the stream, at most `max_body` bytes.
pub async fn exchange(
    endpoint: &Endpoint,
    tls: &tokio_rustls::TlsConnector,
    request: &[u8],
    max_body: usize,
    timeout: Duration,
) -> Result<HttpResponse, ClientError> {
    let address = endpoint.address();
    let started = Instant::now();
    let work = async {
        let mut stream = connect(endpoint, tls).await?;
        let io = |source| ClientError::Io {
            address: address.clone(),
            source,
        };
        stream.write_all(request).await.map_err(io)?;
        stream.flush().await.map_err(io)?;
        let head_request = request.starts_with(b"HEAD ");
        read_response(&mut stream, &address, max_body, head_request).await
    };
    let mut response = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ClientError::Timeout(timeout, address.clone()))??;
    response.duration = started.elapsed();
    Ok(response)
}

const MAX_HEAD: usize = 64 * 1024;

async fn read_response(
    stream: &mut Box<dyn Stream>,
    address: &str,
    max_body: usize,
    head_request: bool,
) -> Result<HttpResponse, ClientError> {
    let io = |source| ClientError::Io {
        address: address.to_owned(),
        source,
    };
    let malformed = |reason: &str| ClientError::Malformed {
        address: address.to_owned(),
        reason: reason.to_owned(),
    };
    let mut buffer = Vec::with_capacity(8192);
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return Err(malformed("header section too large"));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.map_err(io)?;
        if n == 0 {
            if buffer.is_empty() {
                return Err(malformed("connection closed without a response"));
            }
            // A head without the blank line (a server that closes early): take what came.
            break buffer.len();
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut rest = buffer[(head_end + 4).min(buffer.len())..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    if !status_line.starts_with("HTTP/") {
        return Err(malformed("no HTTP status line"));
    }
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| malformed("bad status code"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let no_body = head_request || status < 200 || status == 204 || status == 304;
    let chunked =
        header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length: Option<usize> = header("content-length").and_then(|v| v.parse().ok());
    let body = if no_body {
        Vec::new()
    } else if chunked {
        read_chunked(stream, rest, max_body).await.map_err(io)?
    } else {
        let wanted = length.unwrap_or(usize::MAX).min(max_body);
        while rest.len() < wanted {
            let mut chunk = [0u8; 16384];
            let n = stream.read(&mut chunk).await.map_err(io)?;
            if n == 0 {
                break;
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(wanted);
        rest
    };
    Ok(HttpResponse {
        status,
        head,
        headers,
        body,
        duration: Duration::ZERO,
    })
}

async fn read_chunked(
    stream: &mut Box<dyn Stream>,
    mut buffer: Vec<u8>,
    max_body: usize,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut offset = 0;
    loop {
        // Make sure a whole size line is buffered.
        let line_end = loop {
            if let Some(end) = find(&buffer[offset..], b"\r\n") {
                break Some(offset + end);
            }
            if !fill(stream, &mut buffer).await? {
                break None;
            }
        };
        let Some(line_end) = line_end else {
            return Ok(body);
        };
        let size_text = String::from_utf8_lossy(&buffer[offset..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            return Ok(body);
        };
        if size == 0 {
            return Ok(body);
        }
        let start = line_end + 2;
        while buffer.len() < start + size + 2 {
            if !fill(stream, &mut buffer).await? {
                break;
            }
        }
        let end = (start + size).min(buffer.len());
        body.extend_from_slice(&buffer[start..end]);
        if body.len() >= max_body {
            body.truncate(max_body);
            return Ok(body);
        }
        offset = (start + size + 2).min(buffer.len());
        if end < start + size {
            return Ok(body);
        }
    }
}

async fn fill(stream: &mut Box<dyn Stream>, buffer: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 16384];
    let n = stream.read(&mut chunk).await?;
    buffer.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
