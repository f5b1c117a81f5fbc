//! Detector throughput with 100,000 tracked hosts, and time from attack start to `Started`.
//!
//! `cargo bench -p canhgac-flow --bench detect` (single thread: the figure is per core).
//! Simulated load: 1,000,000 flow records per simulated second in batches of 1,000 (one batch
//! per simulated millisecond), 1:1000 sampled, to 100,000 customer hosts (half IPv4, half
//! IPv6) from random Internet sources, with some SYN-only, UDP and ICMP flows; 8,000 more
//! prefixes fill the group table. After 3 simulated seconds a SYN flood against one IPv6
//! customer is mixed in (1 record in 100).
//!
//! Then the whole pipeline the server runs per core, for NetFlow v9 and IPFIX: the same records
//! encoded by our exporter (sampling announced in an options record), decoded datagram by
//! datagram, and fed to the detector; records/s of that loop, and the simulated time from
//! the flood's start to `Started`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use canhgac_flow::decode::{Decoder, DecoderLimits};
use canhgac_flow::detect::{
    AttackEvent, AttackKind, ClassThresholds, DetectConfig, Detector, GroupConfig, RateLimit,
};
use canhgac_flow::exporter::{ExportFormat, FlowExporter, SamplingExport};
use canhgac_flow::record::{FlowRecord, Protocol, TCP_ACK, TCP_SYN};

const HOSTS: u32 = 100_000;
const BATCH: usize = 1_000;
const POOL: usize = 1_000_000;
const SIMULATED_SECS: u64 = 8;
const FLOOD_AT_SECS: u64 = 3;
const RUNS: usize = 5;
const T0: u64 = 1_764_583_200_000;

/// A small deterministic generator (xorshift64*), so every run sees the same traffic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn customer(i: u32) -> IpAddr {
    if i.is_multiple_of(2) {
        // 100.64.0.0/10 has room for the IPv4 half.
        IpAddr::V4(Ipv4Addr::from(0x6440_0000 + i))
    } else {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0x100,
            0,
            0,
            0,
            (i >> 16) as u16,
            i as u16,
        ))
    }
}

fn normal_flow(rng: &mut Rng) -> FlowRecord {
    let host = customer((rng.next() % u64::from(HOSTS)) as u32);
    let r = rng.next();
    let src = match host {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + (r as u32 & 0x00ff_ffff))),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::new(
            0x2a00,
            0,
            0,
            0,
            0,
            0,
            (r >> 16) as u16,
            r as u16,
        )),
    };
    let (protocol, tcp_flags) = match r >> 56 {
        0..=179 => (Protocol::TCP, TCP_SYN | TCP_ACK),
        180..=189 => (Protocol::TCP, TCP_SYN),
        190..=239 => (Protocol::UDP, 0),
        _ => (Protocol::ICMP, 0),
    };
    FlowRecord {
        exporter: "192.0.2.1".parse().expect("literal"),
        src,
        dst: host,
        src_port: (r >> 32) as u16 | 1024,
        dst_port: if protocol == Protocol::TCP { 443 } else { 53 },
        protocol,
        tcp_flags,
        packets: 1 + (r >> 40) % 4,
        bytes: 600,
        sampling_rate: 1000,
        fragment: false,
        first_ms: 0,
        last_ms: 0,
    }
}

fn flood_flow(rng: &mut Rng, target: IpAddr) -> FlowRecord {
    let r = rng.next();
    FlowRecord {
        src: IpAddr::V6(Ipv6Addr::new(
            0x2a00,
            0xbad,
            0,
            0,
            0,
            0,
            (r >> 16) as u16,
            r as u16,
        )),
        dst: target,
        protocol: Protocol::TCP,
        tcp_flags: TCP_SYN,
        dst_port: 80,
        packets: 2,
        bytes: 120,
        ..normal_flow(rng)
    }
}

/// The customer ranges plus 4,000 IPv4 /24s and 4,000 IPv6 /56s elsewhere, so the
/// longest-prefix match searches a realistically large table.
fn prefixes() -> Vec<ipnet::IpNet> {
    let mut prefixes: Vec<ipnet::IpNet> = vec![
        "100.64.0.0/10".parse().expect("literal"),
        "2001:db8:100::/48".parse().expect("literal"),
    ];
    for i in 0..4_000u32 {
        let v4 = Ipv4Addr::from(0xac10_0000 + (i << 8));
        prefixes.push(ipnet::IpNet::new(IpAddr::V4(v4), 24).expect("valid length"));
        let v6 = Ipv6Addr::new(
            0x2001,
            0xdb8,
            0x200 + (i >> 8) as u16,
            (i & 0xff) as u16 * 256,
            0,
            0,
            0,
            0,
        );
        prefixes.push(ipnet::IpNet::new(IpAddr::V6(v6), 56).expect("valid length"));
    }
    prefixes
}

fn config() -> DetectConfig {
    let limit = |pps| {
        Some(RateLimit {
            pps: Some(pps),
            ..RateLimit::default()
        })
    };
    DetectConfig {
        window_secs: 3,
        max_tracked_hosts: 200_000,
        groups: vec![GroupConfig {
            name: "customers".into(),
            unit_id: 1,
            prefixes: prefixes(),
            host: ClassThresholds {
                all: limit(1_000_000),
                syn: limit(200_000),
                udp: limit(500_000),
                icmp: limit(100_000),
                ..ClassThresholds::default()
            },
            incoming: ClassThresholds::default(),
            outgoing: ClassThresholds::default(),
            scan: None,
            baseline: None,
        }],
        ..DetectConfig::default()
    }
}

fn main() {
    let target = customer(12_345);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let normal: Vec<FlowRecord> = (0..POOL).map(|_| normal_flow(&mut rng)).collect();
    let mut flooded = normal.clone();
    for slot in flooded.iter_mut().step_by(100) {
        *slot = flood_flow(&mut rng, target);
    }

    let pools_kb = memory_kb("VmRSS:");
    let mut rates = Vec::new();
    let mut latency_ms = None;
    let mut hosts = 0;
    for run in 0..RUNS {
        let mut detector = Detector::new(config()).expect("valid configuration");
        let batches_per_sec = 1_000u64;
        let flood_start = T0 + FLOOD_AT_SECS * 1000;
        let mut started = None;
        let mut records = 0usize;
        let begun = Instant::now();
        let cpu_begun = cpu_secs();
        for batch in 0..SIMULATED_SECS * batches_per_sec {
            let now = T0 + batch;
            let pool = if now >= flood_start {
                &flooded
            } else {
                &normal
            };
            let offset = (batch as usize * BATCH) % POOL;
            let flows = &pool[offset..offset + BATCH];
            records += flows.len();
            for event in detector.observe(black_box(flows), now) {
                if let AttackEvent::Started(attack) = &event {
                    if attack.kind == AttackKind::SynFlood && started.is_none() {
                        started = Some(attack.started_ms);
                    } else {
                        eprintln!("unexpected: {}", attack.summary_en());
                    }
                }
            }
        }
        let elapsed = begun.elapsed();
        let cpu = cpu_secs() - cpu_begun;
        // CPU time, not wall time: the machine is often shared with builds.
        let rate = records as f64 / cpu;
        println!(
            "run {run}: {records} records in {:.3} s wall, {cpu:.2} s CPU = {:.0} records per CPU-second",
            elapsed.as_secs_f64(),
            rate
        );
        rates.push(rate);
        latency_ms = started.map(|s| s - flood_start);
        hosts = detector.stats().tracked_hosts;
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    println!(
        "median: {:.0} records per CPU-second (one core), {hosts} hosts tracked",
        rates[rates.len() / 2]
    );
    match latency_ms {
        Some(ms) => println!("SYN flood start to Started: {ms} ms (simulated time)"),
        None => println!("SYN flood NOT detected"),
    }
    // Untimed: a flood only 1.25× the SYN threshold, starting mid-second, is the slow case.
    let mut detector = Detector::new(config()).expect("valid configuration");
    let weak_start = T0 + 3_500;
    let mut batch_flows = Vec::with_capacity(BATCH);
    let mut weak_latency = None;
    for batch in 0..SIMULATED_SECS * 1_000 {
        let now = T0 + batch;
        let offset = (batch as usize * BATCH) % POOL;
        batch_flows.clear();
        batch_flows.extend_from_slice(&normal[offset..offset + BATCH]);
        // 125 flood records/s × 2 packets × 1:1000 = 250,000 SYN/s against a 200,000 limit.
        if now >= weak_start && batch % 8 == 0 {
            batch_flows[0] = flood_flow(&mut rng, target);
        }
        for event in detector.observe(&batch_flows, now) {
            if let AttackEvent::Started(attack) = &event {
                weak_latency.get_or_insert(attack.started_ms - weak_start);
            }
        }
    }
    match weak_latency {
        Some(ms) => println!("weak SYN flood (1.25× threshold, mid-second) to Started: {ms} ms"),
        None => println!("weak SYN flood NOT detected"),
    }

    for format in [ExportFormat::NetflowV9, ExportFormat::Ipfix] {
        pipeline(format, &normal, &flooded);
    }

    if let (Some(peak), Some(pools)) = (memory_kb("VmHWM:"), pools_kb) {
        println!(
            "peak memory {} MB, of which the detector about {} MB (the rest: replay pools)",
            peak / 1024,
            peak.saturating_sub(pools) / 1024
        );
    }
}

/// A `/proc/self/status` figure in kB (Linux only).
fn memory_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Decode + detect, one core: `normal` and `flooded` encoded in `format`, one batch of
/// datagrams per simulated millisecond, decoded and observed as the server's loop does.
fn pipeline(format: ExportFormat, normal: &[FlowRecord], flooded: &[FlowRecord]) {
    let exporter_addr: IpAddr = "192.0.2.1".parse().expect("literal");
    let mut exporter = FlowExporter::new(format).with_sampling(1000, SamplingExport::Options);
    let templates = exporter.template_datagram(T0);
    let encode = |exporter: &mut FlowExporter, pool: &[FlowRecord]| -> Vec<Vec<Vec<u8>>> {
        pool.chunks(BATCH)
            .enumerate()
            .map(|(i, batch)| exporter.data_datagrams(batch, T0 + i as u64))
            .collect()
    };
    let normal = encode(&mut exporter, normal);
    let flooded = encode(&mut exporter, flooded);
    let bytes: usize = normal.iter().flatten().map(Vec::len).sum();
    let mut rates = Vec::new();
    let mut latency_ms = None;
    for _ in 0..3 {
        let mut decoder = Decoder::new(DecoderLimits::default());
        let mut detector = Detector::new(config()).expect("valid configuration");
        let mut flows = Vec::with_capacity(BATCH);
        if let Some(templates) = &templates {
            decoder
                .decode(exporter_addr, T0, templates, &mut flows)
                .expect("our templates decode");
        }
        let flood_start = T0 + FLOOD_AT_SECS * 1000;
        let mut started = None;
        let mut records = 0usize;
        let cpu_begun = cpu_secs();
        for batch in 0..SIMULATED_SECS * 1_000 {
            let now = T0 + batch;
            let pool = if now >= flood_start {
                &flooded
            } else {
                &normal
            };
            flows.clear();
            for datagram in &pool[batch as usize % pool.len()] {
                // Sequence numbers repeat as the pool replays: counted as gaps, decoded anyway.
                let _ = decoder.decode(exporter_addr, now, black_box(datagram), &mut flows);
            }
            records += flows.len();
            for event in detector.observe(&flows, now) {
                if let AttackEvent::Started(attack) = &event {
                    started.get_or_insert(attack.started_ms);
                }
            }
        }
        rates.push(records as f64 / (cpu_secs() - cpu_begun));
        latency_ms = started.map(|s| s - flood_start);
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    println!(
        "decode + detect {format:?}: median {:.0} records per CPU-second ({} datagrams, {:.1} bytes/record); flood start to Started: {}",
        rates[rates.len() / 2],
        normal.iter().map(Vec::len).sum::<usize>(),
        bytes as f64 / POOL as f64,
        latency_ms.map_or("NOT detected".to_string(), |ms| format!("{ms} ms (simulated time)"))
    );
}

/// CPU time of this process so far, seconds (utime + stime from `/proc/self/stat`, in clock
/// ticks of 1/100 s, which Linux uses on every architecture canhgac runs on).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line; 12 and 13 after the name and state.
    (ticks(11) + ticks(12)) as f64 / 100.0
}
