//! What the detector watches and when it raises an attack: prefix groups, thresholds, baselines,
//! scan limits. Deserialisable so it can live in canhgac's TOML configuration.

use std::collections::HashMap;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// A configuration the detector refuses, naming the group or key at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// A setting outside its allowed range.
    #[error("cấu hình phát hiện: «{key}» = {value} không hợp lệ ({problem})")]
    OutOfRange {
        /// The key, e.g. `window_secs` or `groups[2].baseline.multiplier`.
        key: String,
        /// The value given.
        value: String,
        /// What is allowed.
        problem: &'static str,
    },
    /// Two groups share a name; attacks and baselines are keyed by it.
    #[error("nhóm dải địa chỉ «{0}» được khai báo hai lần")]
    DuplicateGroup(String),
    /// A prefix with bits set after its length (e.g. `10.0.0.1/24`), usually a typo.
    #[error(
        "nhóm «{group}»: dải {prefix} có bit máy trạm sau độ dài tiền tố (ý bạn là {network}?)"
    )]
    HostBitsSet {
        /// The group.
        group: String,
        /// The prefix as written.
        prefix: IpNet,
        /// The network it probably means.
        network: IpNet,
    },
    /// The same prefix in two groups: the direction and thresholds of its traffic would be
    /// ambiguous.
    #[error("dải {prefix} thuộc cả nhóm «{first}» và nhóm «{second}»")]
    PrefixInTwoGroups {
        /// The prefix.
        prefix: IpNet,
        /// The group that declared it first.
        first: String,
        /// The group that declared it again.
        second: String,
    },
}

/// The detector's whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Length of the sliding window rates are averaged over, in seconds (1 to 60). An attack at
    /// or above a threshold is raised at most `window_secs + 1` seconds after its first flow.
    #[serde(default = "default_window_secs")]
    pub window_secs: u32,
    /// How long traffic must stay under every threshold before an attack ends, in seconds.
    #[serde(default = "default_hold_down_secs")]
    pub hold_down_secs: u32,
    /// How often an ongoing attack emits an `Updated` event, in seconds.
    #[serde(default = "default_update_interval_secs")]
    pub update_interval_secs: u32,
    /// Hosts tracked at most, per direction; beyond that new hosts are counted in their group's
    /// totals only until idle hosts are evicted.
    #[serde(default = "default_max_tracked_hosts")]
    pub max_tracked_hosts: usize,
    /// A host with no traffic for this long (seconds) and no attack is forgotten.
    #[serde(default = "default_idle_host_secs")]
    pub idle_host_secs: u32,
    /// Source ports whose incoming UDP marks reflection/amplification, with the service name.
    #[serde(default = "default_amplification_ports")]
    pub amplification_ports: Vec<AmplificationPort>,
    /// Entries in each attack's top lists (sources, destinations, protocols, ports).
    #[serde(default = "default_top_k")]
    pub top_k: usize,
    /// Flows kept as evidence per attack (the most recent ones).
    #[serde(default = "default_evidence_flows")]
    pub evidence_flows: usize,
    /// The prefix groups watched.
    #[serde(default)]
    pub groups: Vec<GroupConfig>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            window_secs: default_window_secs(),
            hold_down_secs: default_hold_down_secs(),
            update_interval_secs: default_update_interval_secs(),
            max_tracked_hosts: default_max_tracked_hosts(),
            idle_host_secs: default_idle_host_secs(),
            amplification_ports: default_amplification_ports(),
            top_k: default_top_k(),
            evidence_flows: default_evidence_flows(),
            groups: Vec::new(),
        }
    }
}

fn default_window_secs() -> u32 {
    3
}
fn default_hold_down_secs() -> u32 {
    60
}
fn default_update_interval_secs() -> u32 {
    10
}
fn default_max_tracked_hosts() -> usize {
    200_000
}
fn default_idle_host_secs() -> u32 {
    120
}
fn default_top_k() -> usize {
    10
}
fn default_evidence_flows() -> usize {
    32
}
fn default_amplification_ports() -> Vec<AmplificationPort> {
    [
        (53, "dns"),
        (123, "ntp"),
        (1900, "ssdp"),
        (11211, "memcached"),
    ]
    .into_iter()
    .map(|(port, service)| AmplificationPort {
        port,
        service: service.to_owned(),
    })
    .collect()
}

/// A UDP source port that marks reflected (amplified) traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmplificationPort {
    /// The reflector's source port.
    pub port: u16,
    /// The service abused, e.g. `dns`, `ntp`.
    pub service: String,
}

/// A named set of prefixes belonging to one ISP unit, with its thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// Unique name, e.g. "Khách hàng doanh nghiệp VNPT".
    pub name: String,
    /// The ISP unit owning the prefixes.
    pub unit_id: i64,
    /// IPv4 and IPv6 prefixes; traffic *to* them is incoming, traffic *from* them outgoing.
    pub prefixes: Vec<IpNet>,
    /// Incoming limits for every single destination host in the group.
    #[serde(default)]
    pub host: ClassThresholds,
    /// Limits on the group's total incoming traffic.
    #[serde(default)]
    pub incoming: ClassThresholds,
    /// Limits on the group's total outgoing traffic.
    #[serde(default)]
    pub outgoing: ClassThresholds,
    /// Outgoing scan detection for hosts of this group; off when absent.
    #[serde(default)]
    pub scan: Option<ScanThresholds>,
    /// Learned per-hour-of-week baselines for the group totals; off when absent.
    #[serde(default)]
    pub baseline: Option<BaselineConfig>,
}

/// Limits per traffic class; a class without a limit is not checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassThresholds {
    /// All traffic.
    #[serde(default)]
    pub all: Option<RateLimit>,
    /// TCP.
    #[serde(default)]
    pub tcp: Option<RateLimit>,
    /// UDP.
    #[serde(default)]
    pub udp: Option<RateLimit>,
    /// ICMP and ICMPv6.
    #[serde(default)]
    pub icmp: Option<RateLimit>,
    /// TCP flows with SYN and no ACK.
    #[serde(default)]
    pub syn: Option<RateLimit>,
    /// IP fragments.
    #[serde(default)]
    pub fragment: Option<RateLimit>,
    /// UDP from the amplification source ports.
    #[serde(default)]
    pub amplification: Option<RateLimit>,
}

impl ClassThresholds {
    /// The limit for one class.
    pub fn get(&self, class: super::TrafficClass) -> Option<&RateLimit> {
        use super::TrafficClass as C;
        match class {
            C::All => self.all.as_ref(),
            C::Tcp => self.tcp.as_ref(),
            C::Udp => self.udp.as_ref(),
            C::Icmp => self.icmp.as_ref(),
            C::Syn => self.syn.as_ref(),
            C::Fragment => self.fragment.as_ref(),
            C::Amplification => self.amplification.as_ref(),
        }
    }

    fn is_empty(&self) -> bool {
        super::TrafficClass::ALL
            .iter()
            .all(|&class| self.get(class).is_none())
    }
}

/// Rates above which traffic is an attack; any one exceeded is enough.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Packets per second.
    #[serde(default)]
    pub pps: Option<u64>,
    /// Bits per second.
    #[serde(default)]
    pub bps: Option<u64>,
    /// Flows per second.
    #[serde(default)]
    pub fps: Option<u64>,
}

/// When a host of the group is scanning outward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanThresholds {
    /// Window the distinct counts are taken over, in seconds.
    #[serde(default = "default_scan_window_secs")]
    pub window_secs: u32,
    /// Distinct destination addresses in a window at or above which the host is scanning.
    #[serde(default)]
    pub distinct_destinations: Option<u32>,
    /// Distinct destination ports in a window at or above which the host is scanning.
    #[serde(default)]
    pub distinct_ports: Option<u32>,
}

fn default_scan_window_secs() -> u32 {
    10
}

/// Learning the usual traffic of a group per hour of the week and flagging multiples of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineConfig {
    /// Traffic above `multiplier ×` the learned mean is an attack.
    #[serde(default = "default_multiplier")]
    pub multiplier: f64,
    /// Weight of each new one-second sample in the exponentially weighted mean (0 to 1).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Samples a slot needs before it is trusted.
    #[serde(default = "default_min_samples")]
    pub min_samples: u64,
    /// Packets per second under which the baseline never fires (quiet hours are noisy).
    #[serde(default = "default_min_pps")]
    pub min_pps: f64,
    /// Bits per second under which the baseline never fires.
    #[serde(default = "default_min_bps")]
    pub min_bps: f64,
    /// Offset of local time from UTC in minutes, for the hour of the week (Vietnam: 420).
    #[serde(default = "default_utc_offset_minutes")]
    pub utc_offset_minutes: i32,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            multiplier: default_multiplier(),
            alpha: default_alpha(),
            min_samples: default_min_samples(),
            min_pps: default_min_pps(),
            min_bps: default_min_bps(),
            utc_offset_minutes: default_utc_offset_minutes(),
        }
    }
}

fn default_multiplier() -> f64 {
    3.0
}
fn default_alpha() -> f64 {
    0.001
}
fn default_min_samples() -> u64 {
    1800
}
fn default_min_pps() -> f64 {
    10_000.0
}
fn default_min_bps() -> f64 {
    100_000_000.0
}
fn default_utc_offset_minutes() -> i32 {
    420
}

fn out_of_range(
    key: impl Into<String>,
    value: impl ToString,
    problem: &'static str,
) -> ConfigError {
    ConfigError::OutOfRange {
        key: key.into(),
        value: value.to_string(),
        problem,
    }
}

impl DetectConfig {
    /// Checks the settings the detector relies on; [`super::Detector::new`] calls it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=60).contains(&self.window_secs) {
            return Err(out_of_range("window_secs", self.window_secs, "1 đến 60"));
        }
        if self.update_interval_secs == 0 {
            return Err(out_of_range("update_interval_secs", 0, "ít nhất 1"));
        }
        if self.max_tracked_hosts == 0 {
            return Err(out_of_range("max_tracked_hosts", 0, "ít nhất 1"));
        }
        if self.top_k == 0 || self.top_k > 1000 {
            return Err(out_of_range("top_k", self.top_k, "1 đến 1000"));
        }
        if self.evidence_flows > 10_000 {
            return Err(out_of_range(
                "evidence_flows",
                self.evidence_flows,
                "tối đa 10000",
            ));
        }
        let mut names: HashMap<&str, ()> = HashMap::new();
        let mut owners: HashMap<IpNet, &str> = HashMap::new();
        for (index, group) in self.groups.iter().enumerate() {
            if group.name.trim().is_empty() {
                return Err(out_of_range(
                    format!("groups[{index}].name"),
                    "\"\"",
                    "không được để trống",
                ));
            }
            if names.insert(&group.name, ()).is_some() {
                return Err(ConfigError::DuplicateGroup(group.name.clone()));
            }
            for prefix in &group.prefixes {
                if prefix.trunc() != *prefix {
                    return Err(ConfigError::HostBitsSet {
                        group: group.name.clone(),
                        prefix: *prefix,
                        network: prefix.trunc(),
                    });
                }
                if let Some(first) = owners.insert(*prefix, &group.name) {
                    return Err(ConfigError::PrefixInTwoGroups {
                        prefix: *prefix,
                        first: first.to_owned(),
                        second: group.name.clone(),
                    });
                }
            }
            if let Some(scan) = &group.scan {
                if scan.window_secs == 0 {
                    return Err(out_of_range(
                        format!("groups[{index}].scan.window_secs"),
                        0,
                        "ít nhất 1",
                    ));
                }
            }
            if let Some(baseline) = &group.baseline {
                if !(baseline.multiplier > 1.0 && baseline.multiplier.is_finite()) {
                    return Err(out_of_range(
                        format!("groups[{index}].baseline.multiplier"),
                        baseline.multiplier,
                        "lớn hơn 1",
                    ));
                }
                if !(baseline.alpha > 0.0 && baseline.alpha <= 1.0) {
                    return Err(out_of_range(
                        format!("groups[{index}].baseline.alpha"),
                        baseline.alpha,
                        "trong khoảng (0, 1]",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl GroupConfig {
    /// True when some rate threshold is set for this group (host or totals).
    pub fn has_rate_thresholds(&self) -> bool {
        !(self.host.is_empty() && self.incoming.is_empty() && self.outgoing.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_configuration_reads_with_defaults_filled_in() {
        let config: DetectConfig = toml::from_str(
            r#"
            window_secs = 5
            [[groups]]
            name = "Khách hàng ISP X"
            unit_id = 7
            prefixes = ["203.0.113.0/24", "2001:db8::/48"]
            host.syn = { pps = 20000 }
            host.all = { bps = 1000000000 }
            incoming.udp = { pps = 500000, fps = 10000 }
            scan = { distinct_destinations = 200 }
            baseline = {}
            "#,
        )
        .unwrap();
        assert_eq!(config.window_secs, 5);
        assert_eq!(config.hold_down_secs, 60);
        assert_eq!(config.amplification_ports.len(), 4);
        let group = &config.groups[0];
        assert_eq!(group.host.syn.unwrap().pps, Some(20000));
        assert_eq!(group.incoming.udp.unwrap().fps, Some(10000));
        assert_eq!(group.scan.unwrap().window_secs, 10);
        assert_eq!(group.baseline.unwrap().multiplier, 3.0);
        config.validate().unwrap();
    }

    #[test]
    fn unknown_keys_and_bad_settings_are_refused_with_their_name() {
        let err = toml::from_str::<DetectConfig>("windows_secs = 3").unwrap_err();
        assert!(err.to_string().contains("windows_secs"), "{err}");

        let group = |name: &str, prefix: &str| GroupConfig {
            name: name.into(),
            unit_id: 1,
            prefixes: vec![prefix.parse().unwrap()],
            host: ClassThresholds::default(),
            incoming: ClassThresholds::default(),
            outgoing: ClassThresholds::default(),
            scan: None,
            baseline: None,
        };
        let mut config = DetectConfig {
            groups: vec![group("a", "10.0.0.1/24")],
            ..DetectConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::HostBitsSet { .. })
        ));
        config.groups = vec![group("a", "10.0.0.0/24"), group("b", "10.0.0.0/24")];
        let err = config.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "dải 10.0.0.0/24 thuộc cả nhóm «a» và nhóm «b»"
        );
        config.groups = vec![group("a", "10.0.0.0/24"), group("a", "10.0.1.0/24")];
        assert_eq!(
            config.validate(),
            Err(ConfigError::DuplicateGroup("a".into()))
        );
        config.groups.clear();
        config.window_secs = 0;
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("window_secs"));
    }
}
