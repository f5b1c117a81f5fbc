//! TCP connect discovery: which ports of which hosts accept a connection.
//!
//! Probes spread across hosts (every host's first port, then every host's second...), so no
//! single host sees a burst. Worker tasks, one per core, each keep up to their share of the
//! overall concurrency in flight; a per-host limit keeps one host from taking every slot.
//!
//! Timeouts adapt per host like TCP's retransmission timer: once a host has answered (an open
//! port, or a refusal), a silent port is given `srtt + 4·rttvar` (clamped to the configured
//! bounds) instead of the initial timeout, and is tried `retries` more times before it counts as
//! filtered. A host that never answers keeps the initial timeout. Attempts already waiting when
//! a host first answers (or its timeout halves) are woken and held to the new timeout, so the
//! first wave of probes does not sit out the initial timeout on a host that has since answered.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::net::TcpSocket;
use tokio::sync::{Notify, Semaphore};

/// How hard discovery pushes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryOptions {
    /// Connection attempts in flight overall.
    pub concurrency: usize,
    /// Connection attempts in flight against one host.
    pub per_host: usize,
    /// Timeout before a host has answered anything.
    pub initial_timeout: Duration,
    /// Lower bound of the adaptive timeout.
    pub min_timeout: Duration,
    /// Upper bound of the adaptive timeout.
    pub max_timeout: Duration,
    /// Extra attempts for a port that stayed silent.
    pub retries: u8,
    /// Connection attempts per second overall, when limited.
    pub max_rate: Option<u32>,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            concurrency: 4096,
            per_host: 512,
            initial_timeout: Duration::from_millis(1000),
            min_timeout: Duration::from_millis(100),
            max_timeout: Duration::from_millis(3000),
            retries: 1,
            max_rate: None,
        }
    }
}

/// A port that accepted a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OpenPort {
    /// The host's address.
    pub ip: IpAddr,
    /// The port.
    pub port: u16,
}

impl OpenPort {
    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port)
    }
}

/// What discovery found and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryReport {
    /// Open ports, sorted by host then port.
    pub open: Vec<OpenPort>,
    /// Connection attempts made (retries included).
    pub attempts: u64,
    /// Ports that refused (closed).
    pub closed: u64,
    /// Ports that stayed silent through every attempt (filtered).
    pub filtered: u64,
    /// Hosts that answered nothing at all.
    pub silent_hosts: Vec<IpAddr>,
}

/// Counters a caller can read while discovery runs (for a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// Probes (host, port) finished.
    pub done: AtomicU64,
    /// Probes in total.
    pub total: AtomicU64,
    /// Open ports found so far.
    pub open: AtomicU64,
}

/// Round-trip estimate of one host, in microseconds.
#[derive(Debug, Default, Clone, Copy)]
struct Rtt {
    srtt: f64,
    rttvar: f64,
    samples: u32,
}

impl Rtt {
    fn observe(&mut self, sample: Duration) {
        let sample = sample.as_secs_f64() * 1e6;
        if self.samples == 0 {
            self.srtt = sample;
            self.rttvar = sample / 2.0;
        } else {
            self.rttvar = 0.75 * self.rttvar + 0.25 * (self.srtt - sample).abs();
            self.srtt = 0.875 * self.srtt + 0.125 * sample;
        }
        self.samples = self.samples.saturating_add(1);
    }

    fn timeout(&self, options: &DiscoveryOptions) -> Duration {
        if self.samples == 0 {
            return options.initial_timeout;
        }
        let micros = self.srtt + 4.0 * self.rttvar;
        Duration::from_micros(micros as u64).clamp(options.min_timeout, options.max_timeout)
    }
}

struct Host {
    ip: IpAddr,
    slots: Semaphore,
    rtt: Mutex<Rtt>,
    answered: AtomicU64,
    /// Woken when the host's timeout shrinks a lot, so waiting attempts take the new one.
    timeout_shrank: Notify,
}

impl Host {
    fn timeout(&self, options: &DiscoveryOptions) -> Duration {
        self.rtt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .timeout(options)
    }
}

enum Outcome {
    Open,
    Closed,
    Filtered,
}

/// Paces attempts to a maximum rate.
struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// File descriptors discovery leaves to the rest of the process.
const DESCRIPTORS_KEPT: u64 = 256;

/// Raises this process's soft limit of open files to its hard limit (Debian's soft default,
/// 1,024, would cap discovery's attempts in flight) and returns the new soft limit. Called once
/// by the binary; a limit that cannot be raised is left as it is.
pub fn raise_open_file_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(current) = limit.current else {
        return u64::MAX;
    };
    let wanted = limit.maximum.unwrap_or(u64::MAX).min(1 << 20);
    if wanted > current
        && setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(wanted),
                maximum: limit.maximum,
            },
        )
        .is_ok()
    {
        return wanted;
    }
    current
}

/// Attempts in flight the open-file limit allows.
fn descriptor_budget() -> usize {
    let current = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    usize::try_from(current.saturating_sub(DESCRIPTORS_KEPT).max(64)).unwrap_or(usize::MAX)
}

/// Tries every port of every host and reports the open ones.
pub async fn discover(
    hosts: &[IpAddr],
    ports: &[u16],
    options: &DiscoveryOptions,
    progress: Arc<Progress>,
) -> DiscoveryReport {
    let hosts: Arc<Vec<Host>> = Arc::new(
        hosts
            .iter()
            .map(|&ip| Host {
                ip,
                slots: Semaphore::new(options.per_host.max(1)),
                rtt: Mutex::new(Rtt::default()),
                answered: AtomicU64::new(0),
                timeout_shrank: Notify::new(),
            })
            .collect(),
    );
    let ports: Arc<Vec<u16>> = Arc::new(ports.to_vec());
    let total = hosts.len() * ports.len();
    progress.total.store(total as u64, Ordering::Relaxed);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let concurrency = options.concurrency.clamp(1, descriptor_budget());
    let per_worker = (concurrency / workers).max(1);
    let cursor = Arc::new(AtomicUsize::new(0));
    let pacer = options.max_rate.filter(|&r| r > 0).map(|rate| {
        Arc::new(Pacer {
            interval: Duration::from_secs_f64(1.0 / f64::from(rate)),
            next: Mutex::new(Instant::now()),
        })
    });

    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (hosts, ports, cursor, progress) = (
            hosts.clone(),
            ports.clone(),
            cursor.clone(),
            progress.clone(),
        );
        let (options, pacer) = (options.clone(), pacer.clone());
        tasks.push(tokio::spawn(async move {
            let mut found = Vec::new();
            let (mut attempts, mut closed, mut filtered) = (0u64, 0u64, 0u64);
            let mut in_flight = FuturesUnordered::new();
            let next_probe = || {
                let index = cursor.fetch_add(1, Ordering::Relaxed);
                (index < total).then(|| (index % hosts.len(), ports[index / hosts.len()]))
            };
            let mut exhausted = false;
            loop {
                while !exhausted && in_flight.len() < per_worker {
                    match next_probe() {
                        Some((host, port)) => {
                            let (hosts, options, pacer) =
                                (hosts.clone(), options.clone(), pacer.clone());
                            in_flight.push(async move {
                                let host = &hosts[host];
                                let (outcome, tries) =
                                    probe(host, port, &options, pacer.as_deref()).await;
                                (host.ip, port, outcome, tries)
                            });
                        }
                        None => exhausted = true,
                    }
                }
                let Some((ip, port, outcome, tries)) = in_flight.next().await else {
                    break;
                };
                attempts += u64::from(tries);
                match outcome {
                    Outcome::Open => {
                        progress.open.fetch_add(1, Ordering::Relaxed);
                        found.push(OpenPort { ip, port });
                    }
                    Outcome::Closed => closed += 1,
                    Outcome::Filtered => filtered += 1,
                }
                progress.done.fetch_add(1, Ordering::Relaxed);
            }
            (found, attempts, closed, filtered)
        }));
    }

    let mut report = DiscoveryReport::default();
    for task in tasks {
        // A worker only ends by finishing its probes; a panic inside one is a bug worth seeing.
        if let Ok((found, attempts, closed, filtered)) = task.await {
            report.open.extend(found);
            report.attempts += attempts;
            report.closed += closed;
            report.filtered += filtered;
        }
    }
    report.open.sort();
    report.silent_hosts = hosts
        .iter()
        .filter(|h| h.answered.load(Ordering::Relaxed) == 0)
        .map(|h| h.ip)
        .collect();
    report
}

/// One (host, port): connect, retrying silence; returns the outcome and the attempts made.
async fn probe(
    host: &Host,
    port: u16,
    options: &DiscoveryOptions,
    pacer: Option<&Pacer>,
) -> (Outcome, u8) {
    let Ok(_slot) = host.slots.acquire().await else {
        return (Outcome::Filtered, 0);
    };
    let addr = SocketAddr::new(host.ip, port);
    let mut tries = 0u8;
    loop {
        if let Some(pacer) = pacer {
            pacer.wait().await;
        }
        tries = tries.saturating_add(1);
        let started = Instant::now();
        let attempt = connect(addr);
        tokio::pin!(attempt);
        let result = loop {
            // Registered before the timeout is read, so a shrink in between is not missed.
            let shrank = host.timeout_shrank.notified();
            tokio::pin!(shrank);
            shrank.as_mut().enable();
            let deadline = started + host.timeout(options);
            tokio::select! {
                result = &mut attempt => break Ok(result),
                _ = tokio::time::sleep_until(deadline.into()) => break Err(()),
                _ = &mut shrank => continue,
            }
        };
        match result {
            Ok(Ok(())) => {
                answered(host, started.elapsed(), options);
                return (Outcome::Open, tries);
            }
            Ok(Err(error)) if is_refusal(&error) => {
                answered(host, started.elapsed(), options);
                return (Outcome::Closed, tries);
            }
            Ok(Err(error)) if is_local_shortage(&error) => {
                // Out of sockets or ephemeral ports here, not an answer from the host: wait for
                // others to finish and try again without counting the attempt.
                tries = tries.saturating_sub(1);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(Err(_)) | Err(_) => {
                if tries > options.retries {
                    return (Outcome::Filtered, tries);
                }
            }
        }
    }
}

fn answered(host: &Host, elapsed: Duration, options: &DiscoveryOptions) {
    host.answered.fetch_add(1, Ordering::Relaxed);
    let (before, after) = {
        let mut rtt = host.rtt.lock().unwrap_or_else(|e| e.into_inner());
        let before = rtt.timeout(options);
        rtt.observe(elapsed);
        (before, rtt.timeout(options))
    };
    if after < before / 2 {
        host.timeout_shrank.notify_waiters();
    }
}

async fn connect(addr: SocketAddr) -> io::Result<()> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    let stream = socket.connect(addr).await?;
    // Reset instead of a graceful close: no TIME_WAIT left behind on either side.
    let _ = stream.set_zero_linger();
    // On loopback a connection can meet itself (the ephemeral port chosen equals the port
    // tried: TCP simultaneous open); nothing listens there.
    if stream.local_addr().ok() == Some(addr) {
        return Err(io::Error::from(io::ErrorKind::ConnectionRefused));
    }
    Ok(())
}

fn is_refusal(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    )
}

fn is_local_shortage(error: &io::Error) -> bool {
    // EMFILE/ENFILE (too many open files) and EADDRNOTAVAIL (no ephemeral port left).
    matches!(error.raw_os_error(), Some(23) | Some(24) | Some(99))
        || error.kind() == io::ErrorKind::AddrNotAvailable
}

/// Groups open ports by host.
pub fn by_host(open: &[OpenPort]) -> HashMap<IpAddr, Vec<u16>> {
    let mut out: HashMap<IpAddr, Vec<u16>> = HashMap::new();
    for port in open {
        out.entry(port.ip).or_default().push(port.port);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use tokio::net::TcpListener;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finds_exactly_the_listening_ports_on_loopback() {
        let mut listeners = Vec::new();
        let mut expected = Vec::new();
        for _ in 0..3 {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
            expected.push(listener.local_addr().unwrap().port());
            listeners.push(listener);
        }
        expected.sort();
        let (low, high) = (expected[0], expected[2]);
        let ports: Vec<u16> = (low.saturating_sub(200).max(1)..=high.saturating_add(200)).collect();
        let progress = Arc::new(Progress::default());
        let report = discover(
            &[IpAddr::V4(Ipv4Addr::LOCALHOST)],
            &ports,
            &DiscoveryOptions::default(),
            progress.clone(),
        )
        .await;
        let found: Vec<u16> = report.open.iter().map(|p| p.port).collect();
        // Other tests may listen in the range too; ours must all be there.
        for port in &expected {
            assert!(found.contains(port), "{port} missing from {found:?}");
        }
        assert_eq!(progress.done.load(Ordering::Relaxed), ports.len() as u64);
        assert_eq!(report.closed + report.open.len() as u64, ports.len() as u64);
        assert!(report.silent_hosts.is_empty());
        drop(listeners);
    }

    const SILENT_HOST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 93);

    /// A listening port whose accept queue is full: Linux drops the SYNs, as a firewall would.
    /// On its own loopback address, so scans of 127.0.0.1 by other tests never meet it.
    fn silent_port() -> (std::net::TcpListener, Vec<std::net::TcpStream>, u16) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((SILENT_HOST, 0).into()).unwrap();
        let port = socket.local_addr().unwrap().port();
        let listener = socket.listen(0).unwrap().into_std().unwrap();
        let addr = SocketAddr::from((SILENT_HOST, port));
        let mut held = Vec::new();
        for _ in 0..8 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                Ok(stream) => held.push(stream),
                Err(_) => return (listener, held, port),
            }
        }
        panic!("the accept queue of port {port} never filled");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_attempt_takes_the_shorter_timeout_once_its_host_answers() {
        let (_queue, _held, silent) = silent_port();
        let open = std::net::TcpListener::bind((SILENT_HOST, 0)).unwrap();
        let open_port = open.local_addr().unwrap().port();
        let options = DiscoveryOptions {
            initial_timeout: Duration::from_secs(20),
            min_timeout: Duration::from_millis(100),
            retries: 0,
            ..DiscoveryOptions::default()
        };
        let started = Instant::now();
        // The silent port is tried first, while nothing is known of the host: it starts with the
        // 20 s initial timeout and must be cut short when the open port answers.
        let report = discover(
            &[IpAddr::V4(SILENT_HOST)],
            &[silent, open_port],
            &options,
            Arc::new(Progress::default()),
        )
        .await;
        let took = started.elapsed();
        assert_eq!(report.filtered, 1, "{report:?}");
        assert_eq!(report.open.len(), 1, "{report:?}");
        assert!(
            took < Duration::from_secs(10),
            "waited {took:?}: the initial timeout was kept"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ipv6_hosts_are_scanned_too() {
        let listener = TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let ports: Vec<u16> = vec![port, port.wrapping_add(1).max(1)];
        let report = discover(
            &[IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)],
            &ports,
            &DiscoveryOptions::default(),
            Arc::new(Progress::default()),
        )
        .await;
        assert!(report.open.contains(&OpenPort {
            ip: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            port
        }));
        drop(listener);
    }

    #[tokio::test]
    async fn adaptive_timeouts_shrink_after_answers() {
        let options = DiscoveryOptions::default();
        let mut rtt = Rtt::default();
        assert_eq!(rtt.timeout(&options), options.initial_timeout);
        for _ in 0..10 {
            rtt.observe(Duration::from_micros(50));
        }
        assert_eq!(rtt.timeout(&options), options.min_timeout);
        for _ in 0..50 {
            rtt.observe(Duration::from_millis(900));
        }
        let slow = rtt.timeout(&options);
        assert!(
            slow > Duration::from_millis(900) && slow <= options.max_timeout,
            "{slow:?}"
        );
    }

    #[tokio::test]
    async fn a_rate_limit_paces_attempts() {
        let options = DiscoveryOptions {
            max_rate: Some(200),
            ..DiscoveryOptions::default()
        };
        let ports: Vec<u16> = (1..=40).collect();
        let started = Instant::now();
        let report = discover(
            &[IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))],
            &ports,
            &options,
            Arc::new(Progress::default()),
        )
        .await;
        // 40 attempts at 200/s take at least 195 ms.
        assert!(started.elapsed() >= Duration::from_millis(190));
        assert_eq!(report.attempts, 40);
    }
}
