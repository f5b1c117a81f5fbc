//! What the detector reports: attacks with their fingerprint, and their lifecycle events.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::record::{FlowRecord, Protocol};

/// Which way traffic crosses a group's border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Towards an address of the group.
    Incoming,
    /// From an address of the group.
    Outgoing,
}

impl Direction {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Direction::Incoming => "chiều vào",
            Direction::Outgoing => "chiều ra",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }
}

/// A slice of traffic that has its own counters and thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficClass {
    /// Everything.
    All,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP and ICMPv6.
    Icmp,
    /// TCP flows with SYN and no ACK.
    Syn,
    /// IP fragments.
    Fragment,
    /// UDP from a configured amplification source port.
    Amplification,
}

impl TrafficClass {
    /// Every class, in counter order.
    pub const ALL: [TrafficClass; 7] = [
        TrafficClass::All,
        TrafficClass::Tcp,
        TrafficClass::Udp,
        TrafficClass::Icmp,
        TrafficClass::Syn,
        TrafficClass::Fragment,
        TrafficClass::Amplification,
    ];

    /// Position in counter arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            TrafficClass::All => "mọi lưu lượng",
            TrafficClass::Tcp => "TCP",
            TrafficClass::Udp => "UDP",
            TrafficClass::Icmp => "ICMP",
            TrafficClass::Syn => "TCP SYN",
            TrafficClass::Fragment => "gói phân mảnh",
            TrafficClass::Amplification => "UDP từ cổng khuếch đại",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            TrafficClass::All => "all traffic",
            TrafficClass::Tcp => "TCP",
            TrafficClass::Udp => "UDP",
            TrafficClass::Icmp => "ICMP",
            TrafficClass::Syn => "TCP SYN",
            TrafficClass::Fragment => "fragments",
            TrafficClass::Amplification => "UDP from amplification ports",
        }
    }
}

/// The rate a threshold is expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Packets per second.
    Pps,
    /// Bits per second.
    Bps,
    /// Flows per second.
    Fps,
    /// Distinct destination addresses in the scan window.
    DistinctDestinations,
    /// Distinct destination ports in the scan window.
    DistinctPorts,
    /// Any flow to or from an indicator.
    IndicatorHit,
}

impl Metric {
    /// Vietnamese unit or label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Metric::Pps => "gói/s",
            Metric::Bps => "bit/s",
            Metric::Fps => "luồng/s",
            Metric::DistinctDestinations => "địa chỉ đích khác nhau",
            Metric::DistinctPorts => "cổng đích khác nhau",
            Metric::IndicatorHit => "lần gặp địa chỉ độc hại",
        }
    }

    /// English unit or label.
    pub fn label_en(self) -> &'static str {
        match self {
            Metric::Pps => "packets/s",
            Metric::Bps => "bits/s",
            Metric::Fps => "flows/s",
            Metric::DistinctDestinations => "distinct destinations",
            Metric::DistinctPorts => "distinct destination ports",
            Metric::IndicatorHit => "indicator hits",
        }
    }
}

/// What an attack is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum AttackKind {
    /// TCP SYN flood.
    SynFlood,
    /// UDP flood.
    UdpFlood,
    /// ICMP flood.
    IcmpFlood,
    /// Flood of IP fragments.
    FragmentFlood,
    /// Reflected UDP from a service such as DNS or NTP.
    Amplification {
        /// The abused service, e.g. `dns`.
        service: String,
        /// Its source port.
        port: u16,
    },
    /// Too much traffic with no dominant signature.
    Volumetric,
    /// A host of the group sweeping many addresses or ports.
    OutgoingScan,
    /// Traffic to or from an indicator address (C2 server, botnet node).
    IndicatorTraffic {
        /// The indicator prefix matched.
        indicator: IpNet,
        /// The caller's label for it.
        label: String,
    },
}

impl AttackKind {
    /// Stable machine name, e.g. `syn_flood`.
    pub fn code(&self) -> &'static str {
        match self {
            AttackKind::SynFlood => "syn_flood",
            AttackKind::UdpFlood => "udp_flood",
            AttackKind::IcmpFlood => "icmp_flood",
            AttackKind::FragmentFlood => "fragment_flood",
            AttackKind::Amplification { .. } => "amplification",
            AttackKind::Volumetric => "volumetric",
            AttackKind::OutgoingScan => "outgoing_scan",
            AttackKind::IndicatorTraffic { .. } => "indicator_traffic",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(&self) -> String {
        match self {
            AttackKind::SynFlood => "Tấn công SYN flood".into(),
            AttackKind::UdpFlood => "Tấn công UDP flood".into(),
            AttackKind::IcmpFlood => "Tấn công ICMP flood".into(),
            AttackKind::FragmentFlood => "Tấn công bằng gói phân mảnh".into(),
            AttackKind::Amplification { service, .. } => {
                format!("Tấn công khuếch đại qua {service}")
            }
            AttackKind::Volumetric => "Tấn công làm nghẽn băng thông".into(),
            AttackKind::OutgoingScan => "Máy trong mạng đang dò quét ra ngoài".into(),
            AttackKind::IndicatorTraffic { label, .. } => {
                format!("Kết nối với địa chỉ độc hại ({label})")
            }
        }
    }

    /// English label.
    pub fn label_en(&self) -> String {
        match self {
            AttackKind::SynFlood => "SYN flood".into(),
            AttackKind::UdpFlood => "UDP flood".into(),
            AttackKind::IcmpFlood => "ICMP flood".into(),
            AttackKind::FragmentFlood => "Fragment flood".into(),
            AttackKind::Amplification { service, .. } => format!("{service} amplification"),
            AttackKind::Volumetric => "Volumetric flood".into(),
            AttackKind::OutgoingScan => "Outgoing scan".into(),
            AttackKind::IndicatorTraffic { label, .. } => {
                format!("Traffic with indicator ({label})")
            }
        }
    }
}

/// Who is attacked (incoming) or attacking (outgoing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackTarget {
    /// One address of the group.
    Host(IpAddr),
    /// The group as a whole (its total traffic).
    Group(String),
}

impl std::fmt::Display for AttackTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttackTarget::Host(addr) => write!(f, "{addr}"),
            AttackTarget::Group(name) => write!(f, "«{name}»"),
        }
    }
}

/// Traffic rates, sampling undone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    /// Packets per second.
    pub pps: u64,
    /// Bits per second.
    pub bps: u64,
    /// Flows per second.
    pub fps: u64,
}

impl Rates {
    pub(crate) fn max(self, other: Rates) -> Rates {
        Rates {
            pps: self.pps.max(other.pps),
            bps: self.bps.max(other.bps),
            fps: self.fps.max(other.fps),
        }
    }
}

/// The threshold that raised the attack.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// The class measured.
    pub class: TrafficClass,
    /// The metric measured.
    pub metric: Metric,
    /// The value measured.
    pub value: f64,
    /// The limit it crossed (a learned one when `baseline`).
    pub limit: f64,
    /// True when the limit came from the learned baseline.
    pub baseline: bool,
}

impl Trigger {
    /// Why the attack was raised, Vietnamese, e.g. "TCP SYN: 30000 gói/s > ngưỡng 10000".
    pub fn explain_vi(&self) -> String {
        format!(
            "{}: {:.0} {} > ngưỡng {}{:.0}",
            self.class.label_vi(),
            self.value,
            self.metric.label_vi(),
            if self.baseline { "học được " } else { "" },
            self.limit
        )
    }

    /// Why the attack was raised, English.
    pub fn explain_en(&self) -> String {
        format!(
            "{}: {:.0} {} > {}threshold {:.0}",
            self.class.label_en(),
            self.value,
            self.metric.label_en(),
            if self.baseline { "learned " } else { "" },
            self.limit
        )
    }
}

/// One entry of a top list, weighted by packets (sampling undone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopEntry<K> {
    /// The source, destination, protocol or port.
    pub key: K,
    /// Packets seen for it since the attack started (an upper bound for the rarer keys).
    pub packets: u64,
}

/// An attack and its fingerprint, as of the event that carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attack {
    /// Unique within one detector's life; see [`super::Detector::set_next_attack_id`].
    pub id: u64,
    /// The host or group attacked (incoming) or attacking (outgoing).
    pub target: AttackTarget,
    /// The group the target belongs to.
    pub group: String,
    /// The ISP unit owning the group.
    pub unit_id: i64,
    /// Direction of the offending traffic.
    pub direction: Direction,
    /// What the attack is.
    pub kind: AttackKind,
    /// What raised it.
    pub trigger: Trigger,
    /// When it was raised, ms since the Unix epoch (detector clock).
    pub started_ms: u64,
    /// When this snapshot was taken.
    pub updated_ms: u64,
    /// When it ended, for the `Ended` event.
    pub ended_ms: Option<u64>,
    /// Rates over the current window.
    pub current: Rates,
    /// Highest rates seen.
    pub peak: Rates,
    /// Highest count of distinct destinations in one scan window (outgoing scans).
    pub distinct_destinations: Option<u64>,
    /// Highest count of distinct destination ports in one scan window (outgoing scans).
    pub distinct_ports: Option<u64>,
    /// Heaviest source addresses since the attack started.
    pub top_sources: Vec<TopEntry<IpAddr>>,
    /// Heaviest destination addresses since the attack started.
    pub top_destinations: Vec<TopEntry<IpAddr>>,
    /// Heaviest IP protocols.
    pub top_protocols: Vec<TopEntry<Protocol>>,
    /// Heaviest source ports.
    pub top_source_ports: Vec<TopEntry<u16>>,
    /// Heaviest destination ports.
    pub top_destination_ports: Vec<TopEntry<u16>>,
    /// The most recent flows of the attack, as evidence.
    pub sample_flows: Vec<FlowRecord>,
}

impl Attack {
    /// One line for an alert title, Vietnamese.
    pub fn summary_vi(&self) -> String {
        format!(
            "{} {} {} (nhóm «{}»): {} gói/s, {} Mbit/s",
            self.kind.label_vi(),
            match self.direction {
                Direction::Incoming => "vào",
                Direction::Outgoing => "từ",
            },
            self.target,
            self.group,
            self.peak.pps,
            self.peak.bps / 1_000_000
        )
    }

    /// One line for an alert title, English.
    pub fn summary_en(&self) -> String {
        format!(
            "{} {} {} (group «{}»): {} pps, {} Mbit/s",
            self.kind.label_en(),
            match self.direction {
                Direction::Incoming => "against",
                Direction::Outgoing => "from",
            },
            self.target,
            self.group,
            self.peak.pps,
            self.peak.bps / 1_000_000
        )
    }
}

/// A change in an attack's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "attack", rename_all = "snake_case")]
pub enum AttackEvent {
    /// A threshold was crossed: a new attack.
    Started(Attack),
    /// The attack goes on; fresh rates and fingerprint.
    Updated(Attack),
    /// Traffic stayed under every threshold for the hold-down time.
    Ended(Attack),
}

impl AttackEvent {
    /// The attack carried.
    pub fn attack(&self) -> &Attack {
        match self {
            AttackEvent::Started(a) | AttackEvent::Updated(a) | AttackEvent::Ended(a) => a,
        }
    }

    /// `started`, `updated` or `ended`.
    pub fn name(&self) -> &'static str {
        match self {
            AttackEvent::Started(_) => "started",
            AttackEvent::Updated(_) => "updated",
            AttackEvent::Ended(_) => "ended",
        }
    }
}
