//! The UDP flow collector: receives export datagrams, decodes those from registered exporters
//! and hands batches of [`FlowRecord`]s to a channel.
//!
//! Exporters are registered by address (per ISP unit, by the caller). A datagram from any other
//! source is counted per source address, shown in [`CollectorStats::unknown`], and neither
//! decoded nor passed on: UDP sources are easy to forge, and an unknown sender must not teach us
//! templates or inject flows.
//!
//! The receive loop drains every datagram the socket has ready before handing over the batch,
//! so a burst becomes a few large batches and a trickle is delivered at once, with no timer.
//! The channel is bounded by the caller: when the consumer falls behind, the loop waits and
//! the kernel's socket buffer absorbs (then drops) what arrives meanwhile.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::decode::{Decoder, DecoderLimits, ExporterStats};
use crate::FlowRecord;

/// Unknown source addresses remembered; the rest are counted together.
const MAX_UNKNOWN_SOURCES: usize = 1024;

/// What to listen on and whom to trust.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// Address to bind, e.g. `0.0.0.0:2055`, or `[::]:2055` for IPv6 and IPv4 exporters alike.
    pub listen: SocketAddr,
    /// Registered exporters: only their flows are decoded and passed on.
    pub exporters: Vec<IpAddr>,
    /// Bounds on the decoder's state.
    pub limits: DecoderLimits,
    /// Records per batch at most (a batch is also handed over when the socket runs dry).
    pub batch_records: usize,
    /// Kernel receive buffer to ask for (SO_RCVBUF); bursts from many routers need megabytes.
    /// The kernel may cap it (`net.core.rmem_max`). `None` keeps the system default.
    pub receive_buffer_bytes: Option<usize>,
}

impl CollectorConfig {
    /// Listens on `listen`, trusting `exporters`, with default limits and 8,192-record batches.
    pub fn new(listen: SocketAddr, exporters: impl IntoIterator<Item = IpAddr>) -> Self {
        CollectorConfig {
            listen,
            exporters: exporters.into_iter().collect(),
            limits: DecoderLimits::default(),
            batch_records: 8192,
            receive_buffer_bytes: Some(8 << 20),
        }
    }
}

/// Why the collector could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    /// The listen address could not be bound.
    #[error("không mở được cổng UDP {address} / cannot bind UDP {address}: {source}")]
    Bind {
        /// The configured address.
        address: SocketAddr,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Receiving failed in a way that will not pass.
    #[error("lỗi nhận gói UDP / UDP receive failed: {0}")]
    Receive(#[source] io::Error),
}

/// Datagrams from a source that is not a registered exporter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownExporter {
    /// The source address.
    pub source: IpAddr,
    /// Datagrams received (and dropped).
    pub datagrams: u64,
    /// Bytes received (and dropped).
    pub bytes: u64,
    /// Collector time of the last one, milliseconds since the Unix epoch.
    pub last_seen_ms: u64,
}

/// A snapshot of the collector's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectorStats {
    /// Registered exporters that have sent something, by address.
    pub exporters: Vec<ExporterStats>,
    /// Unknown sources, by address.
    pub unknown: Vec<UnknownExporter>,
    /// Datagrams from unknown sources beyond the ones remembered individually.
    pub unknown_unlisted_datagrams: u64,
    /// Batches handed to the channel.
    pub batches: u64,
    /// Receive errors the loop carried on after.
    pub receive_errors: u64,
}

#[derive(Debug)]
struct Shared {
    decoder: Decoder,
    allowed: HashSet<IpAddr>,
    unknown: HashMap<IpAddr, UnknownExporter>,
    unknown_unlisted: u64,
    batches: u64,
    receive_errors: u64,
}

impl Shared {
    fn unknown_datagram(&mut self, source: IpAddr, bytes: usize, now_ms: u64) {
        let known = self.unknown.len() < MAX_UNKNOWN_SOURCES;
        match self.unknown.get_mut(&source) {
            Some(entry) => {
                entry.datagrams += 1;
                entry.bytes += bytes as u64;
                entry.last_seen_ms = now_ms;
            }
            None if known => {
                self.unknown.insert(
                    source,
                    UnknownExporter {
                        source,
                        datagrams: 1,
                        bytes: bytes as u64,
                        last_seen_ms: now_ms,
                    },
                );
            }
            None => self.unknown_unlisted += 1,
        }
    }
}

/// Reads counters and changes the registered exporters while the collector runs.
#[derive(Debug, Clone)]
pub struct CollectorHandle {
    shared: Arc<Mutex<Shared>>,
}

impl CollectorHandle {
    /// The counters as they stand.
    pub fn stats(&self) -> CollectorStats {
        let shared = lock(&self.shared);
        let mut unknown: Vec<UnknownExporter> = shared.unknown.values().cloned().collect();
        unknown.sort_by_key(|entry| entry.source);
        CollectorStats {
            exporters: shared.decoder.stats(),
            unknown,
            unknown_unlisted_datagrams: shared.unknown_unlisted,
            batches: shared.batches,
            receive_errors: shared.receive_errors,
        }
    }

    /// Replaces the registered exporters. Exporters no longer registered lose their templates
    /// and counters; newly registered ones stop being counted as unknown.
    pub fn set_exporters(&self, exporters: impl IntoIterator<Item = IpAddr>) {
        let mut shared = lock(&self.shared);
        let allowed: HashSet<IpAddr> = exporters.into_iter().collect();
        let dropped: Vec<IpAddr> = shared.allowed.difference(&allowed).copied().collect();
        for exporter in dropped {
            shared.decoder.forget(exporter);
        }
        for exporter in &allowed {
            shared.unknown.remove(exporter);
        }
        shared.allowed = allowed;
    }
}

/// Counters stay readable even if a holder of the lock panicked.
fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A bound UDP flow collector; [`Collector::run`] drives it.
#[derive(Debug)]
pub struct Collector {
    socket: UdpSocket,
    shared: Arc<Mutex<Shared>>,
    batch_records: usize,
}

impl Collector {
    /// Binds the listen address.
    pub async fn bind(config: CollectorConfig) -> Result<Collector, CollectorError> {
        let socket = bind_udp(config.listen, config.receive_buffer_bytes).map_err(|source| {
            CollectorError::Bind {
                address: config.listen,
                source,
            }
        })?;
        let shared = Shared {
            decoder: Decoder::new(config.limits),
            allowed: config.exporters.into_iter().collect(),
            unknown: HashMap::new(),
            unknown_unlisted: 0,
            batches: 0,
            receive_errors: 0,
        };
        Ok(Collector {
            socket,
            shared: Arc::new(Mutex::new(shared)),
            batch_records: config.batch_records.max(1),
        })
    }

    /// The bound address (useful when binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// A handle for counters and the exporter list.
    pub fn handle(&self) -> CollectorHandle {
        CollectorHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Receives, decodes and delivers batches to `sink` until `shutdown` completes or the
    /// receiving side of `sink` is dropped.
    pub async fn run(
        self,
        sink: mpsc::Sender<Vec<FlowRecord>>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), CollectorError> {
        tokio::pin!(shutdown);
        let mut buffer = vec![0u8; 65_536];
        let mut batch: Vec<FlowRecord> = Vec::with_capacity(self.batch_records);
        loop {
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                ready = self.socket.readable() => ready.map_err(CollectorError::Receive)?,
            }
            self.drain(&mut buffer, &mut batch);
            if batch.is_empty() {
                continue;
            }
            let full = std::mem::replace(&mut batch, Vec::with_capacity(self.batch_records));
            lock(&self.shared).batches += 1;
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                sent = sink.send(full) => if sent.is_err() { return Ok(()) },
            }
        }
    }

    /// Receives every ready datagram (until the batch is full) and decodes it into `batch`.
    fn drain(&self, buffer: &mut [u8], batch: &mut Vec<FlowRecord>) {
        let mut shared = lock(&self.shared);
        while batch.len() < self.batch_records {
            let (length, source) = match self.socket.try_recv_from(buffer) {
                Ok(received) => received,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    // e.g. an ICMP error surfacing on the socket: count it, try again next wake-up.
                    shared.receive_errors += 1;
                    break;
                }
            };
            let now_ms = unix_now_ms();
            let source = canonical(source.ip());
            let datagram = &buffer[..length];
            if !shared.allowed.contains(&source) {
                shared.unknown_datagram(source, length, now_ms);
                continue;
            }
            // Errors are counted per exporter by the decoder.
            let _ = shared.decoder.decode(source, now_ms, datagram, batch);
        }
    }
}

fn bind_udp(listen: SocketAddr, receive_buffer: Option<usize>) -> io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(listen),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    if let Some(bytes) = receive_buffer {
        // Best effort: an unprivileged process gets at most rmem_max, which is still fine.
        let _ = socket.set_recv_buffer_size(bytes);
    }
    if listen.is_ipv6() {
        // `[::]` hears IPv4 exporters too, whatever the system default; they show up as
        // `::ffff:a.b.c.d` and are mapped back by `canonical`.
        socket.set_only_v6(false)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&listen.into())?;
    UdpSocket::from_std(socket.into())
}

/// An IPv4 exporter reaching a dual-stack socket appears as `::ffff:a.b.c.d`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}
