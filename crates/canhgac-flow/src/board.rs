//! The live picture of the network watch, for the console and the API: exporter health, each
//! prefix group's traffic now and over time, its heaviest hosts, attacks in progress and the
//! ones that ended recently.
//!
//! The detection loop feeds a [`FlowBoard`] (it is cheap to call every second: the group rates
//! and top hosts are read every [`FINE_STEP_MS`] only); web handlers take a [`BoardSnapshot`].
//! Nothing here is stored: after a restart the charts start again, while attacks live on as
//! alerts in the store.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;

use crate::collector::CollectorStats;
use crate::detect::{Attack, AttackEvent, Detector, DetectorStats, GroupTraffic, Rates};
use crate::mitigate::MitigationRecord;

/// Spacing of the points of the last hour.
pub const FINE_STEP_MS: u64 = 10_000;
/// Spacing of the points of the last day.
pub const COARSE_STEP_MS: u64 = 60_000;
const FINE_POINTS: usize = 360;
const COARSE_POINTS: usize = 1_440;
/// Ended attacks kept for the console, newest first.
const RECENT_ATTACKS: usize = 50;
/// Mitigation actions kept for the console, newest first (all of them are in the audit log).
const RECENT_MITIGATIONS: usize = 100;
/// Heaviest hosts kept per group.
const TOP_HOSTS: usize = 10;

/// One point of a group's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrafficPoint {
    /// When, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Traffic to the group.
    pub incoming: Rates,
    /// Traffic from the group.
    pub outgoing: Rates,
}

/// A group's traffic now and over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupBoard {
    /// Rates over the detector's window and the heaviest hosts.
    pub traffic: GroupTraffic,
    /// The last hour, a point every [`FINE_STEP_MS`], oldest first.
    pub last_hour: Vec<TrafficPoint>,
    /// The last day, a point every [`COARSE_STEP_MS`], oldest first.
    pub last_day: Vec<TrafficPoint>,
}

/// Everything the board knows, as of `updated_ms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardSnapshot {
    /// When the detector last reported, milliseconds since the Unix epoch (0: not yet).
    pub updated_ms: u64,
    /// The collector's counters per exporter, and unknown senders.
    pub collector: Option<CollectorStats>,
    /// The ISP unit each registered exporter belongs to, when registered with one.
    pub exporter_units: BTreeMap<IpAddr, i64>,
    /// The detector's own counters.
    pub detector: DetectorStats,
    /// Every group, in configuration order.
    pub groups: Vec<GroupBoard>,
    /// Attacks in progress.
    pub active: Vec<Attack>,
    /// Attacks that ended, newest first.
    pub recent: Vec<Attack>,
    /// Mitigation actions (scripts, webhooks, routes announced and withdrawn), newest first.
    pub mitigations: Vec<MitigationRecord>,
}

impl BoardSnapshot {
    /// The part of the board that units in `visible` may see: their groups, attacks and
    /// exporters. Unknown senders and the collector's totals are about the whole server, so they
    /// are kept only when `all_units` (province-wide staff).
    pub fn scoped(mut self, all_units: bool, visible: impl Fn(i64) -> bool) -> Self {
        if all_units {
            return self;
        }
        self.exporter_units.retain(|_, unit| visible(*unit));
        let own = &self.exporter_units;
        self.collector = self.collector.take().and_then(|stats| {
            let exporters: Vec<_> = stats
                .exporters
                .into_iter()
                .filter(|e| own.contains_key(&e.exporter))
                .collect();
            (!exporters.is_empty()).then(|| CollectorStats {
                exporters,
                unknown: Vec::new(),
                unknown_unlisted_datagrams: 0,
                batches: 0,
                receive_errors: 0,
            })
        });
        self.groups.retain(|g| visible(g.traffic.unit_id));
        self.active.retain(|a| visible(a.unit_id));
        self.recent.retain(|a| visible(a.unit_id));
        self.mitigations.retain(|m| visible(m.unit_id));
        self
    }
}

#[derive(Debug, Default)]
struct Series {
    fine: VecDeque<TrafficPoint>,
    coarse: VecDeque<TrafficPoint>,
}

#[derive(Debug, Default)]
struct State {
    updated_ms: u64,
    collector: Option<CollectorStats>,
    exporter_units: BTreeMap<IpAddr, i64>,
    detector: DetectorStats,
    groups: Vec<GroupTraffic>,
    series: HashMap<String, Series>,
    next_fine_ms: u64,
    next_coarse_ms: u64,
    active: Vec<Attack>,
    recent: VecDeque<Attack>,
    mitigations: VecDeque<MitigationRecord>,
}

/// The board; share it behind an `Arc` between the detection loop and the web layer.
#[derive(Debug, Default)]
pub struct FlowBoard {
    state: Mutex<State>,
}

impl FlowBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the detector at `now_ms`: its counters and attacks in progress always; group rates,
    /// top hosts and chart points when a step has passed since the last point.
    pub fn observe(&self, detector: &Detector, now_ms: u64) {
        let mut state = self.lock();
        state.updated_ms = now_ms;
        state.detector = detector.stats();
        state.active = detector.active_attacks();
        let fine = now_ms >= state.next_fine_ms;
        let coarse = now_ms >= state.next_coarse_ms;
        if !fine && !coarse {
            return;
        }
        let traffic = detector.traffic(TOP_HOSTS);
        for group in &traffic {
            let point = TrafficPoint {
                at_ms: now_ms,
                incoming: group.incoming,
                outgoing: group.outgoing,
            };
            let series = state.series.entry(group.group.clone()).or_default();
            if fine {
                push_bounded(&mut series.fine, point, FINE_POINTS);
            }
            if coarse {
                push_bounded(&mut series.coarse, point, COARSE_POINTS);
            }
        }
        // Groups no longer configured lose their history.
        state
            .series
            .retain(|name, _| traffic.iter().any(|g| &g.group == name));
        if fine {
            state.next_fine_ms = now_ms - now_ms % FINE_STEP_MS + FINE_STEP_MS;
        }
        if coarse {
            state.next_coarse_ms = now_ms - now_ms % COARSE_STEP_MS + COARSE_STEP_MS;
        }
        state.groups = traffic;
    }

    /// Notes an attack event: an ended attack moves to the recent list.
    pub fn record(&self, event: &AttackEvent) {
        if let AttackEvent::Ended(attack) = event {
            let mut state = self.lock();
            state.active.retain(|a| a.id != attack.id);
            state.recent.push_front(attack.clone());
            state.recent.truncate(RECENT_ATTACKS);
        }
    }

    /// Notes a mitigation action.
    pub fn record_mitigation(&self, record: &MitigationRecord) {
        let mut state = self.lock();
        state.mitigations.push_front(record.clone());
        state.mitigations.truncate(RECENT_MITIGATIONS);
    }

    /// Which ISP unit each registered exporter belongs to (exporters registered without one are
    /// seen by province-wide staff only).
    pub fn set_exporter_units(&self, units: impl IntoIterator<Item = (IpAddr, i64)>) {
        self.lock().exporter_units = units.into_iter().collect();
    }

    /// The collector's counters as they stand.
    pub fn set_collector(&self, stats: CollectorStats) {
        self.lock().collector = Some(stats);
    }

    /// A copy of the whole board.
    pub fn snapshot(&self) -> BoardSnapshot {
        let state = self.lock();
        let groups = state
            .groups
            .iter()
            .map(|traffic| {
                let series = state.series.get(&traffic.group);
                GroupBoard {
                    traffic: traffic.clone(),
                    last_hour: series.map_or_else(Vec::new, |s| s.fine.iter().copied().collect()),
                    last_day: series.map_or_else(Vec::new, |s| s.coarse.iter().copied().collect()),
                }
            })
            .collect();
        BoardSnapshot {
            updated_ms: state.updated_ms,
            collector: state.collector.clone(),
            exporter_units: state.exporter_units.clone(),
            detector: state.detector,
            groups,
            active: state.active.clone(),
            recent: state.recent.iter().cloned().collect(),
            mitigations: state.mitigations.iter().cloned().collect(),
        }
    }
}

fn push_bounded(points: &mut VecDeque<TrafficPoint>, point: TrafficPoint, max: usize) {
    if points.len() == max {
        points.pop_front();
    }
    points.push_back(point);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::detect::{ClassThresholds, DetectConfig, GroupConfig, RateLimit};
    use crate::record::{FlowRecord, Protocol, TCP_SYN};

    const T0: u64 = 1_764_583_200_000;

    fn config() -> DetectConfig {
        let group = |name: &str, unit_id, prefix: &str| GroupConfig {
            name: name.into(),
            unit_id,
            prefixes: vec![prefix.parse().unwrap()],
            host: ClassThresholds {
                syn: Some(RateLimit {
                    pps: Some(1_000),
                    ..RateLimit::default()
                }),
                ..ClassThresholds::default()
            },
            incoming: ClassThresholds::default(),
            outgoing: ClassThresholds::default(),
            scan: None,
            baseline: None,
        };
        DetectConfig {
            window_secs: 2,
            hold_down_secs: 3,
            groups: vec![
                group("Khách hàng A", 7, "203.0.113.0/24"),
                group("Khách hàng B", 8, "198.51.100.0/24"),
            ],
            ..DetectConfig::default()
        }
    }

    fn syn_flood(dst: &str) -> Vec<FlowRecord> {
        (0..100)
            .map(|i| FlowRecord {
                exporter: "192.0.2.254".parse().unwrap(),
                src: format!("192.0.2.{}", i + 1).parse().unwrap(),
                dst: dst.parse().unwrap(),
                src_port: 40_000,
                dst_port: 443,
                protocol: Protocol::TCP,
                tcp_flags: TCP_SYN,
                packets: 100,
                bytes: 6_000,
                sampling_rate: 1,
                fragment: false,
                first_ms: 0,
                last_ms: 0,
            })
            .collect()
    }

    #[test]
    fn the_board_charts_groups_follows_attacks_and_scopes_by_unit() {
        let mut detector = Detector::new(config()).unwrap();
        let board = FlowBoard::new();
        let mut now = T0;
        // 25 s of a SYN flood on a host of A, one batch and one board reading a second.
        while now < T0 + 25_000 {
            for event in detector.observe(&syn_flood("203.0.113.9"), now) {
                board.record(&event);
            }
            board.observe(&detector, now);
            now += 1_000;
        }
        let snap = board.snapshot();
        assert_eq!(snap.updated_ms, T0 + 24_000);
        assert_eq!(snap.groups.len(), 2);
        let a = &snap.groups[0];
        // A point at once, then every 10 s: T0, T0+10 s, T0+20 s.
        assert_eq!(a.last_hour.len(), 3, "{:?}", a.last_hour);
        assert_eq!(a.last_day.len(), 1);
        assert!(a.last_hour[2].incoming.pps >= 10_000, "{:?}", a.last_hour);
        assert_eq!(a.traffic.top_hosts[0].host.to_string(), "203.0.113.9");
        assert_eq!(snap.active.len(), 1);
        assert_eq!(snap.active[0].unit_id, 7);
        assert!(snap.recent.is_empty());

        // The flood stops: after the hold-down the attack is in the recent list.
        while now < T0 + 35_000 {
            for event in detector.tick(now) {
                board.record(&event);
            }
            board.observe(&detector, now);
            now += 1_000;
        }
        let snap = board.snapshot();
        assert!(snap.active.is_empty());
        assert_eq!(snap.recent.len(), 1);
        assert!(snap.recent[0].ended_ms.is_some());

        // Unit 8 sees only its own group and exporter, no attack of unit 7, no unknown senders.
        let exporter = |address: &str| {
            let mut decoder = crate::decode::Decoder::new(crate::decode::DecoderLimits::default());
            let mut out = Vec::new();
            let _ = decoder.decode(address.parse().unwrap(), T0, &[0, 5], &mut out);
            decoder.stats().remove(0)
        };
        board.set_collector(CollectorStats {
            exporters: vec![exporter("192.0.2.7"), exporter("192.0.2.8")],
            unknown: Vec::new(),
            unknown_unlisted_datagrams: 4,
            batches: 3,
            receive_errors: 0,
        });
        board.set_exporter_units([
            ("192.0.2.7".parse().unwrap(), 7),
            ("192.0.2.8".parse().unwrap(), 8),
        ]);
        let all = board.snapshot().scoped(true, |_| false);
        assert_eq!(all.collector.as_ref().unwrap().exporters.len(), 2);
        assert_eq!(all.recent.len(), 1);
        let b = board.snapshot().scoped(false, |unit| unit == 8);
        let theirs = b.collector.as_ref().unwrap();
        assert_eq!(theirs.exporters.len(), 1);
        assert_eq!(theirs.exporters[0].exporter.to_string(), "192.0.2.8");
        assert_eq!(theirs.unknown_unlisted_datagrams, 0);
        assert_eq!(b.exporter_units.len(), 1);
        board.record_mitigation(&MitigationRecord {
            attack_id: 1,
            unit_id: 7,
            action: crate::mitigate::ActionKind::BlackholeAnnounce,
            target: "203.0.113.9/32".into(),
            at_ms: T0,
            outcome: crate::mitigate::Outcome::Done,
            detail: None,
            error: None,
        });
        assert_eq!(
            board.snapshot().scoped(true, |_| false).mitigations.len(),
            1
        );
        assert!(board
            .snapshot()
            .scoped(false, |unit| unit == 8)
            .mitigations
            .is_empty());
        let none = board.snapshot().scoped(false, |unit| unit == 9);
        assert!(none.collector.is_none());
        assert_eq!(b.groups.len(), 1);
        assert_eq!(b.groups[0].traffic.group, "Khách hàng B");
        assert!(b.recent.is_empty() && b.active.is_empty());
    }
}
