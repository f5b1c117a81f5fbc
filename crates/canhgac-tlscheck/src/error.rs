//! The crate's one error type.

use std::net::SocketAddr;
use std::time::Duration;

use crate::StartTls;

/// Why a probe or a review could not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The TCP connection failed (closed port, unreachable host).
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The target.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// The server said nothing in time.
    #[error("{addr}: no answer within {timeout:?} while {stage}")]
    Timeout {
        /// The target.
        addr: SocketAddr,
        /// What we were waiting for.
        stage: &'static str,
        /// The deadline of one probe.
        timeout: Duration,
    },
    /// Reading or writing the socket failed.
    #[error("{addr}: connection failed while {stage}: {source}")]
    Io {
        /// The target.
        addr: SocketAddr,
        /// What we were doing.
        stage: &'static str,
        /// The socket error.
        source: std::io::Error,
    },
    /// The plaintext STARTTLS prelude did not end in a go-ahead.
    #[error("{addr}: {protocol} STARTTLS refused or not understood; the server said {reply:?}")]
    StartTls {
        /// The target.
        addr: SocketAddr,
        /// The mail protocol.
        protocol: StartTls,
        /// The server's last reply (cut short).
        reply: String,
    },
    /// Every hello was met by a hang-up: nothing to review (a filter, or a service that is not
    /// TLS and waits for its own protocol's first word is usually silent instead).
    #[error("{addr}: the server closed every connection without answering a ClientHello")]
    NoAnswer {
        /// The target.
        addr: SocketAddr,
    },
    /// The service answered, but not with TLS (an HTTP server, a banner, garbage).
    #[error("{addr}: not a TLS service; it answered {excerpt:?}")]
    NotTls {
        /// The target.
        addr: SocketAddr,
        /// The first bytes of the answer, printable characters kept, others as `\xNN`.
        excerpt: String,
    },
}
