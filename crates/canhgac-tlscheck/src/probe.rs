//! One probe: connect (and run the STARTTLS prelude), send a hand-built ClientHello, read the
//! answer, all under one deadline.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use crate::answer::{
    printable_excerpt, read_flight, FlightEnd, FlightProgress, ServerAnswer, ServerHelloSeen,
    FLIGHT_LIMIT,
};
use crate::certificate::CertificateInfo;
use crate::hello::{client_hello, ClientHelloSpec};
use crate::suites::{candidate_suites, suite_name};
use crate::{starttls, TlsError, TlsTarget, TlsVersion};

/// Opens a connection ready for a ClientHello: TCP, then the STARTTLS prelude if any.
pub(crate) async fn connect(
    target: &TlsTarget,
    deadline: Instant,
    timeout: Duration,
) -> Result<TcpStream, TlsError> {
    let addr = target.addr;
    let mut stream = match timeout_at(deadline, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(source)) => return Err(TlsError::Connect { addr, source }),
        Err(_) => {
            return Err(TlsError::Timeout {
                addr,
                stage: "connecting",
                timeout,
            })
        }
    };
    if let Some(protocol) = target.starttls {
        match timeout_at(deadline, starttls::prelude(&mut stream, addr, protocol)).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(TlsError::Timeout {
                    addr,
                    stage: "running the STARTTLS prelude",
                    timeout,
                })
            }
        }
    }
    Ok(stream)
}

/// Sends the ClientHello of `spec` on a fresh connection and reads the answer.
pub(crate) async fn offer(
    target: &TlsTarget,
    spec: &ClientHelloSpec<'_>,
    end: FlightEnd,
    timeout: Duration,
) -> Result<ServerAnswer, TlsError> {
    let addr = target.addr;
    let deadline = Instant::now() + timeout;
    let mut stream = connect(target, deadline, timeout).await?;
    let hello = client_hello(spec);
    match timeout_at(deadline, stream.write_all(&hello)).await {
        Ok(Ok(())) => {}
        // A server that hangs up on a hello it dislikes may do so before we finish writing.
        Ok(Err(_)) => return Ok(ServerAnswer::Closed),
        Err(_) => {
            return Err(TlsError::Timeout {
                addr,
                stage: "sending the ClientHello",
                timeout,
            })
        }
    }

    let mut received: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let hello_so_far = match read_flight(&received, end) {
            FlightProgress::Done(answer) => return Ok(answer),
            FlightProgress::NeedMore { hello } => hello,
        };
        if received.len() >= FLIGHT_LIMIT {
            return Ok(cut_short(hello_so_far, &received));
        }
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(cut_short(hello_so_far, &received)),
            Ok(Ok(read)) => received.extend_from_slice(&chunk[..read]),
            Err(_) => {
                if let Some(hello) = hello_so_far {
                    return Ok(ServerAnswer::Hello(hello));
                }
                return Err(TlsError::Timeout {
                    addr,
                    stage: "waiting for the ServerHello",
                    timeout,
                });
            }
        }
    }
}

/// The answer when the flight ends early (hang-up, reset, size limit): the ServerHello if it came,
/// else a refusal without words, else whatever the bytes were.
fn cut_short(hello: Option<ServerHelloSeen>, received: &[u8]) -> ServerAnswer {
    match hello {
        Some(hello) => ServerAnswer::Hello(hello),
        None if received.is_empty() => ServerAnswer::Closed,
        None => ServerAnswer::NotTls {
            excerpt: printable_excerpt(received),
        },
    }
}

/// What one handshake negotiated, for the nuclei-format `ssl` protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandshakeInfo {
    /// The version the server chose.
    pub version: TlsVersion,
    /// The suite the server chose.
    pub cipher_suite: u16,
    /// Its IANA name.
    pub cipher_name: String,
    /// The server's certificate, when it could be read (in clear up to TLS 1.2, through a
    /// rustls connection for TLS 1.3).
    pub certificate: Option<CertificateInfo>,
}

/// One ClientHello offering versions `min_version..=max_version` and `cipher_suites` (all we
/// know for those versions when `None`). `Ok(None)` when the server refuses (alert, hang-up)
/// or picks a version outside the range; an error when it cannot be reached or is not TLS.
pub async fn handshake(
    target: &TlsTarget,
    min_version: TlsVersion,
    max_version: TlsVersion,
    cipher_suites: Option<&[u16]>,
    timeout: Duration,
) -> Result<Option<HandshakeInfo>, TlsError> {
    let default_suites;
    let suites = match cipher_suites {
        Some(suites) => suites,
        None => {
            let mut all = Vec::new();
            if max_version == TlsVersion::Tls13 {
                all.extend(candidate_suites(TlsVersion::Tls13));
            }
            if min_version < TlsVersion::Tls13 {
                all.extend(candidate_suites(max_version.min(TlsVersion::Tls12)));
            }
            default_suites = all;
            &default_suites
        }
    };
    let spec = ClientHelloSpec {
        min_version,
        max_version,
        suites,
        server_name: target.server_name.as_deref(),
    };
    let hello = match offer(target, &spec, FlightEnd::Certificate, timeout).await? {
        ServerAnswer::Hello(hello) => hello,
        ServerAnswer::Alert { .. } | ServerAnswer::Closed => return Ok(None),
        ServerAnswer::NotTls { excerpt } => {
            return Err(TlsError::NotTls {
                addr: target.addr,
                excerpt,
            })
        }
    };
    let Some(version) =
        TlsVersion::from_wire(hello.version).filter(|v| (min_version..=max_version).contains(v))
    else {
        return Ok(None);
    };
    let certificate = match hello.certificates.first() {
        Some(der) => CertificateInfo::parse(der),
        None if version == TlsVersion::Tls13 => crate::fetch::chain(target, timeout)
            .await
            .ok()
            .and_then(|chain| chain.first().and_then(|der| CertificateInfo::parse(der))),
        None => None,
    };
    Ok(Some(HandshakeInfo {
        version,
        cipher_suite: hello.cipher_suite,
        cipher_name: suite_name(hello.cipher_suite),
        certificate,
    }))
}
