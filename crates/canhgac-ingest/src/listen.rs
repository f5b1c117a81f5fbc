//! Syslog listeners on tokio: UDP (one datagram is one message; several LF-separated
//! messages in one datagram are accepted too), TCP ([`crate::syslog::Framer`]: octet counting
//! or LF/NUL framing) and TLS (RFC 5425; rustls with the `ring` provider, certificate chain and
//! key from PEM files). Every message is decoded and sent to a `tokio::sync::mpsc::Sender<Event>`.
//!
//! Back-pressure: when the channel is full, TCP and TLS connections wait (the sender's TCP
//! window fills and it slows down); UDP cannot wait, so it drops the message and counts it in
//! [`IngestCounters::dropped`].
//!
//! Shutdown: cancel the `tokio_util::sync::CancellationToken` given to
//! [`SyslogListener::run`]; the listeners stop accepting, open connections end after the
//! message at hand, and `run` returns once every connection task has finished.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use canhgac_model::{Event, EventKind, Timestamp};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc::{error::TrySendError, Sender};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::syslog::{self, DecodeOptions, Frame, Framer};

/// Default largest message: 64 KiB (RFC 5425 asks receivers to take at least 8 KiB).
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// How long a TLS client may take to finish its handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to listen for syslog.
#[derive(Debug, Clone)]
pub struct SyslogConfig {
    /// UDP address (RFC 5426), e.g. `0.0.0.0:514`.
    pub udp: Option<SocketAddr>,
    /// TCP address (RFC 6587), e.g. `0.0.0.0:514`.
    pub tcp: Option<SocketAddr>,
    /// TLS (RFC 5425), e.g. `0.0.0.0:6514`.
    pub tls: Option<TlsListen>,
    /// Largest message accepted; longer ones are counted in `oversized` and skipped.
    pub max_message: usize,
    /// How to read RFC 3164 timestamps.
    pub decode: DecodeOptions,
}

impl Default for SyslogConfig {
    fn default() -> Self {
        Self {
            udp: None,
            tcp: None,
            tls: None,
            max_message: DEFAULT_MAX_MESSAGE,
            decode: DecodeOptions::default(),
        }
    }
}

/// A TLS listener: its address and PEM files.
#[derive(Debug, Clone)]
pub struct TlsListen {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why the listeners could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// A socket could not be bound.
    #[error("cannot listen on {addr} ({proto}): {source}")]
    Bind {
        /// `udp`, `tcp` or `tls`.
        proto: &'static str,
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate or key could not be loaded.
    #[error("TLS certificate/key: {0}")]
    Tls(String),
}

/// Counters shared with the rest of the process (metrics, status page).
#[derive(Debug, Default)]
pub struct IngestCounters {
    /// Messages decoded and handed on (or dropped, see `dropped`).
    pub received: AtomicU64,
    /// Bytes read from the network (payload).
    pub bytes: AtomicU64,
    /// Messages that did not read as syslog (kept as `Raw` events) or records that failed.
    pub decode_errors: AtomicU64,
    /// Messages longer than the limit, skipped.
    pub oversized: AtomicU64,
    /// UDP messages dropped because the channel was full.
    pub dropped: AtomicU64,
    /// TCP and TLS connections accepted.
    pub connections: AtomicU64,
    /// TLS handshakes that failed or timed out.
    pub tls_failures: AtomicU64,
}

/// A plain copy of [`IngestCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// See [`IngestCounters::received`].
    pub received: u64,
    /// See [`IngestCounters::bytes`].
    pub bytes: u64,
    /// See [`IngestCounters::decode_errors`].
    pub decode_errors: u64,
    /// See [`IngestCounters::oversized`].
    pub oversized: u64,
    /// See [`IngestCounters::dropped`].
    pub dropped: u64,
    /// See [`IngestCounters::connections`].
    pub connections: u64,
    /// See [`IngestCounters::tls_failures`].
    pub tls_failures: u64,
}

impl IngestCounters {
    /// The current values.
    pub fn snapshot(&self) -> CountersSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CountersSnapshot {
            received: get(&self.received),
            bytes: get(&self.bytes),
            decode_errors: get(&self.decode_errors),
            oversized: get(&self.oversized),
            dropped: get(&self.dropped),
            connections: get(&self.connections),
            tls_failures: get(&self.tls_failures),
        }
    }

    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Binds the sockets of `config` and runs them until `shutdown` is cancelled.
pub async fn run_syslog(
    config: SyslogConfig,
    sink: Sender<Event>,
    counters: Arc<IngestCounters>,
    shutdown: CancellationToken,
) -> Result<(), ListenError> {
    SyslogListener::bind(&config)
        .await?
        .run(sink, counters, shutdown)
        .await;
    Ok(())
}

/// Bound syslog sockets, not yet serving (bind first to learn the addresses, e.g. port 0).
pub struct SyslogListener {
    udp: Option<UdpSocket>,
    tcp: Option<TcpListener>,
    tls: Option<(TcpListener, TlsAcceptor)>,
    max_message: usize,
    decode: DecodeOptions,
}

impl SyslogListener {
    /// Loads the TLS material and binds every configured socket.
    pub async fn bind(config: &SyslogConfig) -> Result<Self, ListenError> {
        let udp = match config.udp {
            Some(addr) => {
                Some(
                    UdpSocket::bind(addr)
                        .await
                        .map_err(|source| ListenError::Bind {
                            proto: "udp",
                            addr,
                            source,
                        })?,
                )
            }
            None => None,
        };
        let tcp = match config.tcp {
            Some(addr) => Some(bind_tcp(addr, "tcp").await?),
            None => None,
        };
        let tls = match &config.tls {
            Some(tls) => {
                let acceptor = tls_acceptor(&tls.cert, &tls.key)?;
                Some((bind_tcp(tls.addr, "tls").await?, acceptor))
            }
            None => None,
        };
        Ok(Self {
            udp,
            tcp,
            tls,
            max_message: config.max_message.max(1),
            decode: config.decode.clone(),
        })
    }

    /// The bound UDP address.
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp.as_ref().and_then(|s| s.local_addr().ok())
    }

    /// The bound TCP address.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().and_then(|s| s.local_addr().ok())
    }

    /// The bound TLS address.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls.as_ref().and_then(|(s, _)| s.local_addr().ok())
    }

    /// Serves until `shutdown` is cancelled (or the sink is closed), then waits for the
    /// connection tasks to end.
    pub async fn run(
        self,
        sink: Sender<Event>,
        counters: Arc<IngestCounters>,
        shutdown: CancellationToken,
    ) {
        let ctx = Arc::new(Ctx {
            sink,
            counters,
            shutdown,
            max_message: self.max_message,
            decode: self.decode,
        });
        let mut tasks = JoinSet::new();
        if let Some(socket) = self.udp {
            tasks.spawn(serve_udp(socket, Arc::clone(&ctx)));
        }
        if let Some(listener) = self.tcp {
            tasks.spawn(serve_tcp(listener, None, Arc::clone(&ctx)));
        }
        if let Some((listener, acceptor)) = self.tls {
            tasks.spawn(serve_tcp(listener, Some(acceptor), Arc::clone(&ctx)));
        }
        while tasks.join_next().await.is_some() {}
    }
}

async fn bind_tcp(addr: SocketAddr, proto: &'static str) -> Result<TcpListener, ListenError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ListenError::Bind {
            proto,
            addr,
            source,
        })
}

/// A TLS acceptor for the PEM certificate chain and key (ring provider, TLS 1.2 and 1.3).
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ListenError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ListenError::Tls(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(ListenError::Tls(format!(
            "{}: no certificate found",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ListenError::Tls(format!("{}: {e}", key.display())))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ListenError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| ListenError::Tls(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

struct Ctx {
    sink: Sender<Event>,
    counters: Arc<IngestCounters>,
    shutdown: CancellationToken,
    max_message: usize,
    decode: DecodeOptions,
}

impl Ctx {
    fn decode(&self, message: &[u8], peer: IpAddr) -> Event {
        let event = syslog::decode_with(message, Timestamp::now(), Some(peer), &self.decode);
        IngestCounters::add(&self.counters.received, 1);
        if event.kind == EventKind::Raw {
            IngestCounters::add(&self.counters.decode_errors, 1);
        }
        event
    }
}

/// IPv4-mapped IPv6 peers (dual-stack sockets) as plain IPv4.
fn peer_ip(addr: SocketAddr) -> IpAddr {
    match addr.ip() {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

async fn serve_udp(socket: UdpSocket, ctx: Arc<Ctx>) {
    let mut buf = vec![0u8; 65536];
    loop {
        let (len, from) = tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            received = socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                Err(e) => {
                    // ICMP errors surface here on some systems; keep serving.
                    tracing::debug!("syslog udp receive: {e}");
                    continue;
                }
            },
        };
        IngestCounters::add(&ctx.counters.bytes, len as u64);
        let peer = peer_ip(from);
        for message in buf[..len].split(|b| *b == b'\n' || *b == 0) {
            if message.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            if message.len() > ctx.max_message {
                IngestCounters::add(&ctx.counters.oversized, 1);
                continue;
            }
            let event = ctx.decode(message, peer);
            match ctx.sink.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => IngestCounters::add(&ctx.counters.dropped, 1),
                Err(TrySendError::Closed(_)) => return,
            }
        }
    }
}

async fn serve_tcp(listener: TcpListener, tls: Option<TlsAcceptor>, ctx: Arc<Ctx>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = ctx.shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
            // Reap finished connections as we go.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, from) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!("syslog accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        IngestCounters::add(&ctx.counters.connections, 1);
        let _ = stream.set_nodelay(true);
        let ctx = Arc::clone(&ctx);
        let peer = peer_ip(from);
        match &tls {
            None => {
                connections.spawn(async move { serve_stream(stream, peer, &ctx).await });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    let handshake = tokio::select! {
                        _ = ctx.shutdown.cancelled() => return,
                        handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => handshake,
                    };
                    match handshake {
                        Ok(Ok(stream)) => serve_stream(stream, peer, &ctx).await,
                        Ok(Err(e)) => {
                            IngestCounters::add(&ctx.counters.tls_failures, 1);
                            tracing::info!("syslog TLS handshake with {peer} failed: {e}");
                        }
                        Err(_) => {
                            IngestCounters::add(&ctx.counters.tls_failures, 1);
                            tracing::info!("syslog TLS handshake with {peer} timed out");
                        }
                    }
                });
            }
        }
    }
    while connections.join_next().await.is_some() {}
}

async fn serve_stream<S: AsyncRead + Unpin>(mut stream: S, peer: IpAddr, ctx: &Ctx) {
    let mut framer = Framer::new(ctx.max_message);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let read = tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            read = stream.read(&mut buf) => read,
        };
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        IngestCounters::add(&ctx.counters.bytes, n as u64);
        framer.push(&buf[..n]);
        loop {
            let event = match framer.next_frame() {
                None => break,
                Some(Frame::Oversized { .. }) => {
                    IngestCounters::add(&ctx.counters.oversized, 1);
                    continue;
                }
                Some(Frame::Message(message)) => ctx.decode(message, peer),
            };
            if !send(ctx, event).await {
                return;
            }
        }
    }
    if let Some(Frame::Message(message)) = framer.finish() {
        let event = ctx.decode(message, peer);
        send(ctx, event).await;
    }
}

/// Waits for room in the channel; false when the sink is closed or shutdown began.
async fn send(ctx: &Ctx, event: Event) -> bool {
    tokio::select! {
        _ = ctx.shutdown.cancelled() => false,
        sent = ctx.sink.send(event) => sent.is_ok(),
    }
}
