//! Attack detection over flow records: floods, amplification, outgoing scans and traffic with
//! indicator addresses, per destination host and per prefix group, IPv4 and IPv6.
//!
//! The [`Detector`] is fed batches of [`FlowRecord`]s with the current time
//! ([`Detector::observe`]); it never reads a clock. Traffic is counted per one-second bucket and
//! judged over a short sliding window (`window_secs`) each time a second ends, against the
//! thresholds of the [`DetectConfig`], and against learned baselines when enabled. Attacks are
//! reported as [`AttackEvent`]s: `Started`, `Updated` every `update_interval_secs`, `Ended` once
//! traffic has stayed under every threshold for `hold_down_secs`.
//!
//! Flows are counted in the second of `now_ms` (their arrival), not by their own timestamps,
//! so exporters should use short active timeouts (1 to 10 s, as DDoS detectors usually ask): a
//! long-lived flow exported after 60 s arrives as one burst. sFlow samples have no such delay.
//!
//! Memory is bounded: per-host state is a few hundred bytes, at most `max_tracked_hosts` hosts
//! per direction are tracked (idle ones are evicted), and attack fingerprints use fixed-size
//! summaries. The per-flow path does no allocation once a host is known.
//!
//! ```
//! use canhgac_flow::detect::{DetectConfig, Detector};
//!
//! let config: DetectConfig = serde_json::from_value(serde_json::json!({
//!     "groups": [{
//!         "name": "Khách hàng ISP X", "unit_id": 7,
//!         "prefixes": ["203.0.113.0/24", "2001:db8::/48"],
//!         "host": { "syn": { "pps": 20000 } }
//!     }]
//! })).unwrap();
//! let mut detector = Detector::new(config).unwrap();
//! let events = detector.observe(&[], 1_700_000_000_000);
//! assert!(events.is_empty());
//! ```

mod attack;
mod baseline;
mod config;
mod prefix;
mod sketch;

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

pub use attack::{
    Attack, AttackEvent, AttackKind, AttackTarget, Direction, Metric, Rates, TopEntry,
    TrafficClass, Trigger,
};
pub use baseline::{hour_of_week, BaselineSlot, BaselineSnapshot, GroupBaseline, HOURS_PER_WEEK};
pub use config::{
    AmplificationPort, BaselineConfig, ClassThresholds, ConfigError, DetectConfig, GroupConfig,
    RateLimit, ScanThresholds,
};
pub use prefix::PrefixTable;

use crate::record::{FlowRecord, Protocol};
use sketch::{hash_addr, mix64, HyperLogLog, SpaceSaving};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

const CLASSES: usize = TrafficClass::ALL.len();

/// Order in which classes name an attack when several thresholds are crossed: the most
/// specific signature first.
const CLASS_PRIORITY: [TrafficClass; CLASSES] = [
    TrafficClass::Syn,
    TrafficClass::Fragment,
    TrafficClass::Amplification,
    TrafficClass::Udp,
    TrafficClass::Icmp,
    TrafficClass::Tcp,
    TrafficClass::All,
];

/// Counters of one class in one second. Packets and flows fit 32 bits per host-second; bytes
/// may not (a 40 Gbit/s flood is 5 GB/s).
#[derive(Debug, Clone, Copy, Default)]
struct ClassCount {
    packets: u32,
    flows: u32,
    bytes: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    sec: u64,
    counts: [ClassCount; CLASSES],
}

/// Totals of one class over the window.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    packets: u64,
    bytes: u64,
    flows: u64,
}

impl Sum {
    fn rates(&self, window_secs: u64) -> Rates {
        Rates {
            pps: self.packets / window_secs,
            bps: self.bytes.saturating_mul(8) / window_secs,
            fps: self.flows / window_secs,
        }
    }
}

/// A ring of one-second buckets; a bucket is reused when its second comes round again.
#[derive(Debug, Clone)]
struct Window {
    buckets: Box<[Bucket]>,
}

impl Window {
    fn new(window_secs: u32) -> Self {
        Window {
            buckets: vec![Bucket::default(); window_secs as usize].into_boxed_slice(),
        }
    }

    #[inline]
    fn add(&mut self, sec: u64, mask: u8, packets: u64, bytes: u64) {
        let len = self.buckets.len() as u64;
        let bucket = &mut self.buckets[(sec % len) as usize];
        if bucket.sec != sec {
            *bucket = Bucket {
                sec,
                counts: [ClassCount::default(); CLASSES],
            };
        }
        let packets = u32::try_from(packets).unwrap_or(u32::MAX);
        let mut bits = mask;
        while bits != 0 {
            let class = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let count = &mut bucket.counts[class];
            count.packets = count.packets.saturating_add(packets);
            count.flows = count.flows.saturating_add(1);
            count.bytes = count.bytes.saturating_add(bytes);
        }
    }

    /// All-traffic rates over the complete seconds before `end_sec` that are still held: once
    /// the current second has traffic it reuses the oldest second's bucket, so between two
    /// judgements only `len - 1` whole seconds are known.
    fn recent_rates(&self, end_sec: u64) -> Rates {
        let complete = (self.buckets.len() as u64).saturating_sub(1).max(1);
        let first = end_sec.saturating_sub(complete);
        let mut sum = Sum::default();
        for bucket in self.buckets.iter() {
            if bucket.sec >= first && bucket.sec < end_sec {
                let count = &bucket.counts[0];
                sum.packets += u64::from(count.packets);
                sum.flows += u64::from(count.flows);
                sum.bytes = sum.bytes.saturating_add(count.bytes);
            }
        }
        sum.rates(complete)
    }

    /// Totals over the seconds `end - len .. end`.
    fn sums(&self, end_sec: u64) -> [Sum; CLASSES] {
        let len = self.buckets.len() as u64;
        let first = end_sec.saturating_sub(len);
        let mut sums = [Sum::default(); CLASSES];
        for bucket in self.buckets.iter() {
            if bucket.sec >= first && bucket.sec < end_sec {
                for (sum, count) in sums.iter_mut().zip(bucket.counts.iter()) {
                    sum.packets += u64::from(count.packets);
                    sum.flows += u64::from(count.flows);
                    sum.bytes = sum.bytes.saturating_add(count.bytes);
                }
            }
        }
        sums
    }
}

/// The dominant amplification source port by bytes (Boyer–Moore majority vote: one counter).
#[derive(Debug, Clone, Copy, Default)]
struct AmpVote {
    port: u16,
    weight: u64,
}

impl AmpVote {
    #[inline]
    fn vote(&mut self, port: u16, bytes: u64) {
        if self.port == port || self.weight == 0 {
            self.port = port;
            self.weight = self.weight.saturating_add(bytes);
        } else if self.weight > bytes {
            self.weight -= bytes;
        } else {
            self.port = port;
            self.weight = bytes - self.weight;
        }
    }
}

/// An incoming destination host.
struct HostState {
    group: u32,
    window: Window,
    last_seen_sec: u64,
    amp: AmpVote,
    attack: Option<u32>,
}

/// An outgoing source host watched for scanning.
struct ScanState {
    group: u32,
    window_start_sec: u64,
    destinations: HyperLogLog,
    ports: HyperLogLog,
    last_seen_sec: u64,
    attack: Option<u32>,
}

/// Per group and direction.
struct GroupSide {
    window: Window,
    amp: AmpVote,
    attack: Option<u32>,
    /// Baseline slots, `[class][hour]` flattened; empty when baselines are off.
    baseline: Vec<BaselineSlot>,
}

struct GroupState {
    config: GroupConfig,
    host_limits: bool,
    sides: [GroupSide; 2],
}

fn side_index(direction: Direction) -> usize {
    match direction {
        Direction::Incoming => 0,
        Direction::Outgoing => 1,
    }
}

const MASK_ALL: u8 = 1 << 0;
const MASK_TCP: u8 = 1 << 1;
const MASK_UDP: u8 = 1 << 2;
const MASK_ICMP: u8 = 1 << 3;
const MASK_SYN: u8 = 1 << 4;
const MASK_FRAGMENT: u8 = 1 << 5;
const MASK_AMPLIFICATION: u8 = 1 << 6;

/// The caller's indicator addresses (C2 servers, botnet nodes), replaceable at run time.
#[derive(Debug, Clone, Default)]
pub struct IndicatorSet {
    table: PrefixTable<u32>,
    entries: Vec<(IpNet, String)>,
}

impl IndicatorSet {
    /// Builds the set from prefixes (a host is a /32 or /128) and their labels.
    pub fn new(entries: impl IntoIterator<Item = (IpNet, String)>) -> Self {
        let entries: Vec<(IpNet, String)> = entries
            .into_iter()
            .map(|(net, label)| (net.trunc(), label))
            .collect();
        let table = PrefixTable::new(
            entries
                .iter()
                .enumerate()
                .map(|(i, (net, _))| (*net, i as u32)),
        );
        IndicatorSet { table, entries }
    }

    /// Number of indicators.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One prefix group's traffic over the detector's window (see [`Detector::traffic`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupTraffic {
    /// The group's name.
    pub group: String,
    /// The ISP unit owning it.
    pub unit_id: i64,
    /// Traffic to the group's prefixes.
    pub incoming: Rates,
    /// Traffic from the group's prefixes.
    pub outgoing: Rates,
    /// The heaviest destination hosts, most packets first.
    pub top_hosts: Vec<HostRates>,
}

/// One host's incoming rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HostRates {
    /// The host.
    pub host: IpAddr,
    /// Its incoming traffic over the window.
    pub rates: Rates,
}

/// Counters about the detector itself, for the console and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DetectorStats {
    /// Flows observed.
    pub flows: u64,
    /// Flows with neither end in a group (ignored).
    pub flows_outside_groups: u64,
    /// Flows whose host could not be tracked because the host table was full (they still count
    /// in group totals).
    pub flows_untracked: u64,
    /// Incoming hosts tracked now.
    pub tracked_hosts: usize,
    /// Outgoing hosts watched for scanning now.
    pub tracked_scan_hosts: usize,
    /// Hosts forgotten because idle or to make room.
    pub evicted_hosts: u64,
    /// Attacks in progress.
    pub active_attacks: usize,
}

/// The fingerprint being collected for an attack in progress.
struct Evidence {
    sources: SpaceSaving<IpAddr>,
    destinations: SpaceSaving<IpAddr>,
    protocols: SpaceSaving<Protocol>,
    source_ports: SpaceSaving<u16>,
    destination_ports: SpaceSaving<u16>,
    samples: Vec<FlowRecord>,
    next_sample: usize,
    max_samples: usize,
    /// Rates of the attack's own flows, for kinds without a host window (scans, indicators).
    window: Window,
}

impl Evidence {
    fn new(top_k: usize, max_samples: usize, window_secs: u32) -> Self {
        // Space-Saving needs headroom over k to rank the top k reliably.
        let capacity = top_k * 4;
        Evidence {
            sources: SpaceSaving::new(capacity),
            destinations: SpaceSaving::new(capacity),
            protocols: SpaceSaving::new(16),
            source_ports: SpaceSaving::new(capacity),
            destination_ports: SpaceSaving::new(capacity),
            samples: Vec::with_capacity(max_samples),
            next_sample: 0,
            max_samples,
            window: Window::new(window_secs),
        }
    }

    #[inline]
    fn record(&mut self, flow: &FlowRecord, sec: u64, packets: u64, bytes: u64) {
        self.sources.add(flow.src, packets);
        self.destinations.add(flow.dst, packets);
        self.protocols.add(flow.protocol, packets);
        self.source_ports.add(flow.src_port, packets);
        self.destination_ports.add(flow.dst_port, packets);
        self.window.add(sec, MASK_ALL, packets, bytes);
        if self.max_samples == 0 {
            return;
        }
        if self.samples.len() < self.max_samples {
            self.samples.push(*flow);
        } else {
            self.samples[self.next_sample] = *flow;
        }
        self.next_sample = (self.next_sample + 1) % self.max_samples;
    }
}

struct ActiveAttack {
    attack: Attack,
    evidence: Evidence,
    last_exceeded_ms: u64,
    last_update_ms: u64,
}

impl ActiveAttack {
    fn snapshot(&self, top_k: usize) -> Attack {
        fn top<K: Copy + PartialEq>(s: &SpaceSaving<K>, k: usize) -> Vec<TopEntry<K>> {
            s.top(k)
                .into_iter()
                .map(|(key, packets)| TopEntry { key, packets })
                .collect()
        }
        let mut attack = self.attack.clone();
        attack.top_sources = top(&self.evidence.sources, top_k);
        attack.top_destinations = top(&self.evidence.destinations, top_k);
        attack.top_protocols = top(&self.evidence.protocols, top_k);
        attack.top_source_ports = top(&self.evidence.source_ports, top_k);
        attack.top_destination_ports = top(&self.evidence.destination_ports, top_k);
        // Oldest first.
        let samples = &self.evidence.samples;
        let split = if samples.len() < self.evidence.max_samples {
            0
        } else {
            self.evidence.next_sample
        };
        attack.sample_flows = samples[split..]
            .iter()
            .chain(samples[..split].iter())
            .copied()
            .collect();
        attack
    }
}

/// Attacks in progress, in a slab so hosts and groups can point at theirs by index.
struct Attacks {
    slots: Vec<Option<ActiveAttack>>,
    free: Vec<u32>,
    next_id: u64,
    top_k: usize,
    evidence_flows: usize,
    window_secs: u32,
    hold_down_ms: u64,
    update_ms: u64,
}

/// What a new attack is, before it gets an id.
struct NewAttack {
    target: AttackTarget,
    group: u32,
    direction: Direction,
    kind: AttackKind,
    trigger: Trigger,
    rates: Rates,
}

impl Attacks {
    fn start(
        &mut self,
        new: NewAttack,
        groups: &[GroupState],
        now_ms: u64,
        events: &mut Vec<AttackEvent>,
    ) -> u32 {
        let group = &groups[new.group as usize].config;
        let id = self.next_id;
        self.next_id += 1;
        let active = ActiveAttack {
            attack: Attack {
                id,
                target: new.target,
                group: group.name.clone(),
                unit_id: group.unit_id,
                direction: new.direction,
                kind: new.kind,
                trigger: new.trigger,
                started_ms: now_ms,
                updated_ms: now_ms,
                ended_ms: None,
                current: new.rates,
                peak: new.rates,
                distinct_destinations: None,
                distinct_ports: None,
                top_sources: Vec::new(),
                top_destinations: Vec::new(),
                top_protocols: Vec::new(),
                top_source_ports: Vec::new(),
                top_destination_ports: Vec::new(),
                sample_flows: Vec::new(),
            },
            evidence: Evidence::new(self.top_k, self.evidence_flows, self.window_secs),
            last_exceeded_ms: now_ms,
            last_update_ms: now_ms,
        };
        events.push(AttackEvent::Started(active.snapshot(self.top_k)));
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(active);
                slot
            }
            None => {
                self.slots.push(Some(active));
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn get_mut(&mut self, slot: u32) -> Option<&mut ActiveAttack> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// One second of an attack's life; false once it has ended (the slot is then free).
    fn step(
        &mut self,
        slot: u32,
        exceeded: bool,
        current: Option<Rates>,
        now_ms: u64,
        end_sec: u64,
        events: &mut Vec<AttackEvent>,
    ) -> bool {
        let (top_k, hold_down_ms, update_ms, window_secs) = (
            self.top_k,
            self.hold_down_ms,
            self.update_ms,
            u64::from(self.window_secs),
        );
        let Some(active) = self.get_mut(slot) else {
            return false;
        };
        let current =
            current.unwrap_or_else(|| active.evidence.window.sums(end_sec)[0].rates(window_secs));
        active.attack.current = current;
        active.attack.peak = active.attack.peak.max(current);
        active.attack.updated_ms = now_ms;
        if exceeded {
            active.last_exceeded_ms = now_ms;
        }
        if now_ms.saturating_sub(active.last_exceeded_ms) >= hold_down_ms {
            let mut attack = active.snapshot(top_k);
            attack.ended_ms = Some(now_ms);
            events.push(AttackEvent::Ended(attack));
            self.slots[slot as usize] = None;
            self.free.push(slot);
            return false;
        }
        if now_ms.saturating_sub(active.last_update_ms) >= update_ms {
            active.last_update_ms = now_ms;
            events.push(AttackEvent::Updated(active.snapshot(top_k)));
        }
        true
    }

    /// [`Attacks::step`] with the current rates of the class that raised the attack.
    #[allow(clippy::too_many_arguments)]
    fn step_with_sums(
        &mut self,
        slot: u32,
        exceeded: bool,
        sums: &[Sum; CLASSES],
        window_secs: u64,
        now_ms: u64,
        end_sec: u64,
        events: &mut Vec<AttackEvent>,
    ) -> bool {
        let class = self
            .get_mut(slot)
            .map_or(TrafficClass::All, |a| a.attack.trigger.class);
        let rates = sums[class.index()].rates(window_secs);
        self.step(slot, exceeded, Some(rates), now_ms, end_sec, events)
    }

    fn active(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

/// The detection engine. See the [module documentation](self).
pub struct Detector {
    config: DetectConfig,
    groups: Vec<GroupState>,
    group_table: PrefixTable<u32>,
    amp_ports: Box<[u64; 1024]>,
    hosts: FastMap<IpAddr, HostState>,
    scanners: FastMap<IpAddr, ScanState>,
    indicators: IndicatorSet,
    indicator_attacks: FastMap<(IpAddr, Direction), u32>,
    attacks: Attacks,
    /// The second currently being filled; everything before it has been judged.
    sec: u64,
    stats: DetectorStats,
}

impl Detector {
    /// A detector for this configuration, after [`DetectConfig::validate`].
    pub fn new(config: DetectConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let groups: Vec<GroupState> = config
            .groups
            .iter()
            .map(|group| {
                let side = || GroupSide {
                    window: Window::new(config.window_secs),
                    amp: AmpVote::default(),
                    attack: None,
                    baseline: if group.baseline.is_some() {
                        vec![BaselineSlot::default(); CLASSES * HOURS_PER_WEEK]
                    } else {
                        Vec::new()
                    },
                };
                GroupState {
                    config: group.clone(),
                    host_limits: TrafficClass::ALL
                        .iter()
                        .any(|&c| group.host.get(c).is_some()),
                    sides: [side(), side()],
                }
            })
            .collect();
        let group_table =
            PrefixTable::new(config.groups.iter().enumerate().flat_map(|(index, group)| {
                group.prefixes.iter().map(move |net| (*net, index as u32))
            }));
        let mut amp_ports = Box::new([0u64; 1024]);
        for amp in &config.amplification_ports {
            amp_ports[usize::from(amp.port >> 6)] |= 1 << (amp.port & 63);
        }
        let attacks = Attacks {
            slots: Vec::new(),
            free: Vec::new(),
            next_id: 1,
            top_k: config.top_k,
            evidence_flows: config.evidence_flows,
            window_secs: config.window_secs,
            hold_down_ms: u64::from(config.hold_down_secs) * 1000,
            update_ms: u64::from(config.update_interval_secs) * 1000,
        };
        Ok(Detector {
            config,
            groups,
            group_table,
            amp_ports,
            hosts: FastMap::default(),
            scanners: FastMap::default(),
            indicators: IndicatorSet::default(),
            indicator_attacks: FastMap::default(),
            attacks,
            sec: 0,
            stats: DetectorStats::default(),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &DetectConfig {
        &self.config
    }

    /// Ids continue from `next` (e.g. one past the highest id stored before a restart).
    pub fn set_next_attack_id(&mut self, next: u64) {
        self.attacks.next_id = next;
    }

    /// Replaces the indicator addresses; attacks already raised go on until their hold-down.
    pub fn set_indicators(&mut self, indicators: IndicatorSet) {
        self.indicators = indicators;
    }

    /// Counters about the detector.
    pub fn stats(&self) -> DetectorStats {
        DetectorStats {
            tracked_hosts: self.hosts.len(),
            tracked_scan_hosts: self.scanners.len(),
            active_attacks: self.attacks.active(),
            ..self.stats
        }
    }

    /// The attacks in progress, as of the last second judged.
    pub fn active_attacks(&self) -> Vec<Attack> {
        self.attacks
            .slots
            .iter()
            .flatten()
            .map(|a| a.snapshot(self.config.top_k))
            .collect()
    }

    /// Feeds a batch of flows received at `now_ms` (ms since the Unix epoch). Seconds that
    /// ended since the last call are judged first; the events of that judgement and any
    /// indicator hits in the batch are returned.
    pub fn observe(&mut self, flows: &[FlowRecord], now_ms: u64) -> Vec<AttackEvent> {
        let mut events = Vec::new();
        self.advance(now_ms, &mut events);
        let sec = self.sec;
        for flow in flows {
            self.observe_one(flow, sec, now_ms, &mut events);
        }
        events
    }

    /// Lets time pass without flows: judges the seconds that ended, ends quiet attacks.
    pub fn tick(&mut self, now_ms: u64) -> Vec<AttackEvent> {
        let mut events = Vec::new();
        self.advance(now_ms, &mut events);
        events
    }

    fn advance(&mut self, now_ms: u64, events: &mut Vec<AttackEvent>) {
        let sec = now_ms / 1000;
        // A clock going backwards keeps filling the current second.
        if sec > self.sec {
            self.sec = sec;
            self.judge(sec, now_ms, events);
        }
    }

    #[inline]
    fn class_mask(&self, flow: &FlowRecord) -> u8 {
        let mut mask = MASK_ALL;
        match flow.protocol {
            Protocol::TCP => {
                mask |= MASK_TCP;
                if flow.is_syn_only() {
                    mask |= MASK_SYN;
                }
            }
            Protocol::UDP => {
                mask |= MASK_UDP;
                let port = flow.src_port;
                if self.amp_ports[usize::from(port >> 6)] >> (port & 63) & 1 != 0 {
                    mask |= MASK_AMPLIFICATION;
                }
            }
            Protocol::ICMP | Protocol::ICMPV6 => mask |= MASK_ICMP,
            _ => {}
        }
        if flow.fragment {
            mask |= MASK_FRAGMENT;
        }
        mask
    }

    #[inline]
    fn observe_one(
        &mut self,
        flow: &FlowRecord,
        sec: u64,
        now_ms: u64,
        events: &mut Vec<AttackEvent>,
    ) {
        self.stats.flows += 1;
        let dst_group = self.group_table.lookup(flow.dst);
        let src_group = self.group_table.lookup(flow.src);
        if dst_group.is_none() && src_group.is_none() {
            self.stats.flows_outside_groups += 1;
            return;
        }
        let packets = flow.scaled_packets();
        let bytes = flow.scaled_bytes();
        let mask = self.class_mask(flow);
        let max_hosts = self.config.max_tracked_hosts;

        if let Some(g) = dst_group {
            let group = &mut self.groups[g as usize];
            let side = &mut group.sides[0];
            side.window.add(sec, mask, packets, bytes);
            if mask & MASK_AMPLIFICATION != 0 {
                side.amp.vote(flow.src_port, bytes);
            }
            if let Some(active) = side.attack.and_then(|s| self.attacks.get_mut(s)) {
                active.evidence.record(flow, sec, packets, bytes);
            }
            if group.host_limits {
                // One lookup either way: insert while there is room, else only find.
                let window_secs = self.config.window_secs;
                let host = if self.hosts.len() < max_hosts {
                    Some(self.hosts.entry(flow.dst).or_insert_with(|| HostState {
                        group: g,
                        window: Window::new(window_secs),
                        last_seen_sec: sec,
                        amp: AmpVote::default(),
                        attack: None,
                    }))
                } else {
                    self.hosts.get_mut(&flow.dst)
                };
                match host {
                    Some(host) => {
                        host.window.add(sec, mask, packets, bytes);
                        host.last_seen_sec = sec;
                        if mask & MASK_AMPLIFICATION != 0 {
                            host.amp.vote(flow.src_port, bytes);
                        }
                        if let Some(active) = host.attack.and_then(|s| self.attacks.get_mut(s)) {
                            active.evidence.record(flow, sec, packets, bytes);
                        }
                    }
                    None => self.stats.flows_untracked += 1,
                }
            }
        }

        if let Some(g) = src_group {
            let group = &mut self.groups[g as usize];
            let side = &mut group.sides[1];
            side.window.add(sec, mask, packets, bytes);
            if mask & MASK_AMPLIFICATION != 0 {
                side.amp.vote(flow.src_port, bytes);
            }
            if let Some(active) = side.attack.and_then(|s| self.attacks.get_mut(s)) {
                active.evidence.record(flow, sec, packets, bytes);
            }
            if group.config.scan.is_some() {
                let scanner = if self.scanners.len() < max_hosts {
                    Some(self.scanners.entry(flow.src).or_insert_with(|| ScanState {
                        group: g,
                        window_start_sec: sec,
                        destinations: HyperLogLog::default(),
                        ports: HyperLogLog::default(),
                        last_seen_sec: sec,
                        attack: None,
                    }))
                } else {
                    self.scanners.get_mut(&flow.src)
                };
                match scanner {
                    Some(scanner) => {
                        scanner.destinations.insert(hash_addr(flow.dst));
                        scanner.ports.insert(mix64(u64::from(flow.dst_port)));
                        scanner.last_seen_sec = sec;
                        if let Some(active) = scanner.attack.and_then(|s| self.attacks.get_mut(s)) {
                            active.evidence.record(flow, sec, packets, bytes);
                        }
                    }
                    None => self.stats.flows_untracked += 1,
                }
            }
        }

        if !self.indicators.is_empty() {
            if let Some(g) = dst_group {
                if let Some(i) = self.indicators.table.lookup(flow.src) {
                    self.indicator_hit(flow, flow.dst, Direction::Incoming, g, i, now_ms, events);
                }
            }
            if let Some(g) = src_group {
                if let Some(i) = self.indicators.table.lookup(flow.dst) {
                    self.indicator_hit(flow, flow.src, Direction::Outgoing, g, i, now_ms, events);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn indicator_hit(
        &mut self,
        flow: &FlowRecord,
        host: IpAddr,
        direction: Direction,
        group: u32,
        indicator: u32,
        now_ms: u64,
        events: &mut Vec<AttackEvent>,
    ) {
        let sec = self.sec;
        let slot = match self.indicator_attacks.get(&(host, direction)) {
            Some(&slot) => slot,
            None if self.indicator_attacks.len() < self.config.max_tracked_hosts => {
                let Some((net, label)) = self.indicators.entries.get(indicator as usize) else {
                    return;
                };
                let slot = self.attacks.start(
                    NewAttack {
                        target: AttackTarget::Host(host),
                        group,
                        direction,
                        kind: AttackKind::IndicatorTraffic {
                            indicator: *net,
                            label: label.clone(),
                        },
                        trigger: Trigger {
                            class: TrafficClass::All,
                            metric: Metric::IndicatorHit,
                            value: 1.0,
                            limit: 1.0,
                            baseline: false,
                        },
                        rates: Rates::default(),
                    },
                    &self.groups,
                    now_ms,
                    events,
                );
                self.indicator_attacks.insert((host, direction), slot);
                slot
            }
            None => {
                self.stats.flows_untracked += 1;
                return;
            }
        };
        if let Some(active) = self.attacks.get_mut(slot) {
            active.last_exceeded_ms = now_ms;
            active
                .evidence
                .record(flow, sec, flow.scaled_packets(), flow.scaled_bytes());
        }
    }

    /// Judges the window ending at `end_sec` (exclusive): every group, host and scanner.
    fn judge(&mut self, end_sec: u64, now_ms: u64, events: &mut Vec<AttackEvent>) {
        let window_secs = u64::from(self.config.window_secs);

        // Group totals, against fixed thresholds and baselines.
        for g in 0..self.groups.len() {
            for direction in [Direction::Incoming, Direction::Outgoing] {
                let (sums, fired, amp, attack) = {
                    let group = &mut self.groups[g];
                    let limits = match direction {
                        Direction::Incoming => &group.config.incoming,
                        Direction::Outgoing => &group.config.outgoing,
                    };
                    let side = &mut group.sides[side_index(direction)];
                    let sums = side.window.sums(end_sec);
                    let mut fired = check_limits(limits, &sums, window_secs);
                    if let Some(baseline) = group.config.baseline {
                        let hour = hour_of_week(now_ms, baseline.utc_offset_minutes);
                        if fired.is_none() {
                            fired =
                                check_baseline(&baseline, &side.baseline, hour, &sums, window_secs);
                        }
                        // Attacks are not usual traffic: do not learn them.
                        if side.attack.is_none() && fired.is_none() {
                            for class in TrafficClass::ALL {
                                let rates = sums[class.index()].rates(window_secs);
                                side.baseline[class.index() * HOURS_PER_WEEK + hour].learn(
                                    baseline.alpha,
                                    rates.pps as f64,
                                    rates.bps as f64,
                                );
                            }
                        }
                    }
                    (sums, fired, side.amp, side.attack)
                };
                match (attack, fired) {
                    (None, Some(trigger)) => {
                        let kind = classify(trigger.class, &sums, amp, &self.config);
                        let slot = self.attacks.start(
                            NewAttack {
                                target: AttackTarget::Group(self.groups[g].config.name.clone()),
                                group: g as u32,
                                direction,
                                kind,
                                trigger,
                                rates: sums[trigger.class.index()].rates(window_secs),
                            },
                            &self.groups,
                            now_ms,
                            events,
                        );
                        self.groups[g].sides[side_index(direction)].attack = Some(slot);
                    }
                    (Some(slot), fired) => {
                        if !self.attacks.step_with_sums(
                            slot,
                            fired.is_some(),
                            &sums,
                            window_secs,
                            now_ms,
                            end_sec,
                            events,
                        ) {
                            self.groups[g].sides[side_index(direction)].attack = None;
                        }
                    }
                    (None, None) => {}
                }
            }
        }

        // Destination hosts.
        let idle_secs = u64::from(self.config.idle_host_secs);
        for (addr, host) in self.hosts.iter_mut() {
            if host.attack.is_none() && host.last_seen_sec + window_secs < end_sec {
                continue; // nothing in the window
            }
            let group = &self.groups[host.group as usize];
            let sums = host.window.sums(end_sec);
            let fired = check_limits(&group.config.host, &sums, window_secs);
            match (host.attack, fired) {
                (None, Some(trigger)) => {
                    let kind = classify(trigger.class, &sums, host.amp, &self.config);
                    host.attack = Some(self.attacks.start(
                        NewAttack {
                            target: AttackTarget::Host(*addr),
                            group: host.group,
                            direction: Direction::Incoming,
                            kind,
                            trigger,
                            rates: sums[trigger.class.index()].rates(window_secs),
                        },
                        &self.groups,
                        now_ms,
                        events,
                    ));
                }
                (Some(slot), fired) => {
                    if !self.attacks.step_with_sums(
                        slot,
                        fired.is_some(),
                        &sums,
                        window_secs,
                        now_ms,
                        end_sec,
                        events,
                    ) {
                        host.attack = None;
                    }
                }
                (None, None) => {}
            }
        }

        // Outgoing scanners.
        for (addr, scanner) in self.scanners.iter_mut() {
            let Some(scan) = self.groups[scanner.group as usize].config.scan else {
                continue;
            };
            let destinations = scanner.destinations.estimate();
            let ports = scanner.ports.estimate();
            let over = |limit: Option<u32>, value: u64| {
                limit.filter(|&l| value >= u64::from(l)).map(f64::from)
            };
            let fired = over(scan.distinct_destinations, destinations)
                .map(|limit| (Metric::DistinctDestinations, destinations, limit))
                .or_else(|| {
                    over(scan.distinct_ports, ports)
                        .map(|limit| (Metric::DistinctPorts, ports, limit))
                });
            match (scanner.attack, fired) {
                (None, Some((metric, value, limit))) => {
                    let slot = self.attacks.start(
                        NewAttack {
                            target: AttackTarget::Host(*addr),
                            group: scanner.group,
                            direction: Direction::Outgoing,
                            kind: AttackKind::OutgoingScan,
                            trigger: Trigger {
                                class: TrafficClass::All,
                                metric,
                                value: value as f64,
                                limit,
                                baseline: false,
                            },
                            rates: Rates::default(),
                        },
                        &self.groups,
                        now_ms,
                        events,
                    );
                    if let Some(active) = self.attacks.get_mut(slot) {
                        active.attack.distinct_destinations = Some(destinations);
                        active.attack.distinct_ports = Some(ports);
                    }
                    // The Started event was built before the counts were set.
                    if let Some(AttackEvent::Started(attack)) = events.last_mut() {
                        attack.distinct_destinations = Some(destinations);
                        attack.distinct_ports = Some(ports);
                    }
                    scanner.attack = Some(slot);
                }
                (Some(slot), fired) => {
                    if let Some(active) = self.attacks.get_mut(slot) {
                        // The counts restart with each scan window: report the highest.
                        let attack = &mut active.attack;
                        attack.distinct_destinations =
                            attack.distinct_destinations.max(Some(destinations));
                        attack.distinct_ports = attack.distinct_ports.max(Some(ports));
                    }
                    if !self
                        .attacks
                        .step(slot, fired.is_some(), None, now_ms, end_sec, events)
                    {
                        scanner.attack = None;
                    }
                }
                (None, None) => {}
            }
            if end_sec >= scanner.window_start_sec + u64::from(scan.window_secs) {
                scanner.window_start_sec = end_sec;
                scanner.destinations.clear();
                scanner.ports.clear();
            }
        }

        // Indicator traffic: hits refresh the attack as they come; here only the hold-down.
        let attacks = &mut self.attacks;
        self.indicator_attacks
            .retain(|_, slot| attacks.step(*slot, false, None, now_ms, end_sec, events));

        self.evict(end_sec, idle_secs);
    }

    /// Forgets idle hosts; when a table is full, also the least recently seen tenth of it.
    fn evict(&mut self, end_sec: u64, idle_secs: u64) {
        let max = self.config.max_tracked_hosts;
        let idle_cutoff = end_sec.saturating_sub(idle_secs);
        let evicted = evict_from(&mut self.hosts, idle_cutoff, max, |h| {
            (h.last_seen_sec, h.attack.is_some())
        }) + evict_from(&mut self.scanners, idle_cutoff, max, |h| {
            (h.last_seen_sec, h.attack.is_some())
        });
        self.stats.evicted_hosts += evicted as u64;
    }

    /// Each group's traffic over the last window, with its `top_hosts` heaviest destination
    /// hosts by incoming packets (hosts are tracked only in groups with per-host limits).
    pub fn traffic(&self, top_hosts: usize) -> Vec<GroupTraffic> {
        let end_sec = self.sec;
        let mut out: Vec<GroupTraffic> = self
            .groups
            .iter()
            .map(|group| {
                let rates = |direction| {
                    group.sides[side_index(direction)]
                        .window
                        .recent_rates(end_sec)
                };
                GroupTraffic {
                    group: group.config.name.clone(),
                    unit_id: group.config.unit_id,
                    incoming: rates(Direction::Incoming),
                    outgoing: rates(Direction::Outgoing),
                    top_hosts: Vec::new(),
                }
            })
            .collect();
        if top_hosts == 0 {
            return out;
        }
        for (host, state) in &self.hosts {
            let rates = state.window.recent_rates(end_sec);
            if rates == Rates::default() {
                continue;
            }
            if let Some(traffic) = out.get_mut(state.group as usize) {
                traffic.top_hosts.push(HostRates { host: *host, rates });
            }
        }
        for traffic in &mut out {
            traffic.top_hosts.sort_unstable_by(|a, b| {
                (b.rates.pps, b.rates.bps, a.host).cmp(&(a.rates.pps, a.rates.bps, b.host))
            });
            traffic.top_hosts.truncate(top_hosts);
        }
        out
    }

    /// Every baseline learned so far, to store.
    pub fn baselines(&self) -> BaselineSnapshot {
        let mut baselines = Vec::new();
        for group in &self.groups {
            for direction in [Direction::Incoming, Direction::Outgoing] {
                let side = &group.sides[side_index(direction)];
                if side.baseline.is_empty() {
                    continue;
                }
                for class in TrafficClass::ALL {
                    let start = class.index() * HOURS_PER_WEEK;
                    baselines.push(GroupBaseline {
                        group: group.config.name.clone(),
                        direction,
                        class,
                        slots: side.baseline[start..start + HOURS_PER_WEEK].to_vec(),
                    });
                }
            }
        }
        BaselineSnapshot { baselines }
    }

    /// Restores stored baselines; entries for groups no longer configured (or without
    /// baselines) are skipped. Returns how many were restored.
    pub fn restore_baselines(&mut self, snapshot: &BaselineSnapshot) -> usize {
        let mut restored = 0;
        for stored in &snapshot.baselines {
            if stored.slots.len() != HOURS_PER_WEEK {
                continue;
            }
            let Some(group) = self
                .groups
                .iter_mut()
                .find(|g| g.config.name == stored.group)
            else {
                continue;
            };
            let side = &mut group.sides[side_index(stored.direction)];
            if side.baseline.is_empty() {
                continue;
            }
            let start = stored.class.index() * HOURS_PER_WEEK;
            side.baseline[start..start + HOURS_PER_WEEK].copy_from_slice(&stored.slots);
            restored += 1;
        }
        restored
    }
}

/// Removes the entries idle since before `idle_cutoff`; when the table is full, also the least
/// recently seen tenth (ties broken arbitrarily). Entries under attack stay. Returns how many
/// went.
fn evict_from<T>(
    table: &mut FastMap<IpAddr, T>,
    idle_cutoff: u64,
    max: usize,
    state: impl Fn(&T) -> (u64, bool),
) -> usize {
    let before = table.len();
    // Entries seen before `oldest_kept` go; up to `ties` of those seen exactly then go too.
    let (mut oldest_kept, mut ties) = (idle_cutoff, 0usize);
    if before >= max {
        let mut seen: Vec<u64> = table.values().map(|v| state(v).0).collect();
        let quota = (before / 10).max(1);
        let (_, &mut nth, _) = seen.select_nth_unstable(quota - 1);
        if nth >= idle_cutoff {
            let below = seen.iter().filter(|&&s| s < nth).count();
            oldest_kept = nth;
            ties = quota.saturating_sub(below);
        }
    }
    table.retain(|_, v| {
        let (last_seen, attacked) = state(v);
        if attacked || last_seen > oldest_kept {
            return true;
        }
        if last_seen == oldest_kept {
            if ties == 0 {
                return true;
            }
            ties -= 1;
            return false;
        }
        false
    });
    before - table.len()
}

/// The first limit crossed, in [`CLASS_PRIORITY`] order.
fn check_limits(
    limits: &ClassThresholds,
    sums: &[Sum; CLASSES],
    window_secs: u64,
) -> Option<Trigger> {
    for class in CLASS_PRIORITY {
        let Some(limit) = limits.get(class) else {
            continue;
        };
        let rates = sums[class.index()].rates(window_secs);
        for (metric, value, limit) in [
            (Metric::Pps, rates.pps, limit.pps),
            (Metric::Bps, rates.bps, limit.bps),
            (Metric::Fps, rates.fps, limit.fps),
        ] {
            if let Some(limit) = limit {
                if value > limit {
                    return Some(Trigger {
                        class,
                        metric,
                        value: value as f64,
                        limit: limit as f64,
                        baseline: false,
                    });
                }
            }
        }
    }
    None
}

/// The first class whose rate exceeds its learned multiple, once the slot is trusted.
fn check_baseline(
    config: &BaselineConfig,
    slots: &[BaselineSlot],
    hour: usize,
    sums: &[Sum; CLASSES],
    window_secs: u64,
) -> Option<Trigger> {
    for class in CLASS_PRIORITY {
        let slot = slots.get(class.index() * HOURS_PER_WEEK + hour)?;
        if slot.samples < config.min_samples {
            continue;
        }
        let rates = sums[class.index()].rates(window_secs);
        let pps_limit = (slot.mean_pps * config.multiplier).max(config.min_pps);
        let bps_limit = (slot.mean_bps * config.multiplier).max(config.min_bps);
        for (metric, value, limit) in [
            (Metric::Pps, rates.pps as f64, pps_limit),
            (Metric::Bps, rates.bps as f64, bps_limit),
        ] {
            if value > limit {
                return Some(Trigger {
                    class,
                    metric,
                    value,
                    limit,
                    baseline: true,
                });
            }
        }
    }
    None
}

/// Names the attack from the class that fired and the shape of the traffic in the window.
fn classify(
    fired: TrafficClass,
    sums: &[Sum; CLASSES],
    amp: AmpVote,
    config: &DetectConfig,
) -> AttackKind {
    let share = |part: TrafficClass, whole: TrafficClass| {
        let whole = sums[whole.index()].bytes.max(1) as f64;
        sums[part.index()].bytes as f64 / whole
    };
    let packet_share = |part: TrafficClass| {
        let whole = sums[TrafficClass::All.index()].packets.max(1) as f64;
        sums[part.index()].packets as f64 / whole
    };
    let amplification = || {
        let service = config
            .amplification_ports
            .iter()
            .find(|p| p.port == amp.port)
            .map_or_else(|| format!("udp/{}", amp.port), |p| p.service.clone());
        AttackKind::Amplification {
            service,
            port: amp.port,
        }
    };
    match fired {
        TrafficClass::Syn => AttackKind::SynFlood,
        TrafficClass::Fragment => AttackKind::FragmentFlood,
        TrafficClass::Amplification => amplification(),
        TrafficClass::Udp if share(TrafficClass::Amplification, TrafficClass::Udp) >= 0.5 => {
            amplification()
        }
        TrafficClass::Udp => AttackKind::UdpFlood,
        TrafficClass::Icmp => AttackKind::IcmpFlood,
        TrafficClass::Tcp if packet_share(TrafficClass::Syn) >= 0.5 => AttackKind::SynFlood,
        TrafficClass::Tcp => AttackKind::Volumetric,
        TrafficClass::All => {
            if share(TrafficClass::Amplification, TrafficClass::All) >= 0.5 {
                amplification()
            } else if packet_share(TrafficClass::Syn) >= 0.5 {
                AttackKind::SynFlood
            } else if packet_share(TrafficClass::Fragment) >= 0.5 {
                AttackKind::FragmentFlood
            } else if packet_share(TrafficClass::Udp) >= 0.8 {
                AttackKind::UdpFlood
            } else if packet_share(TrafficClass::Icmp) >= 0.8 {
                AttackKind::IcmpFlood
            } else {
                AttackKind::Volumetric
            }
        }
    }
}

#[cfg(test)]
mod tests;
