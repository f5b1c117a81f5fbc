//! Attribution: which unit an event belongs to, from the inventory's assets. By the network
//! peer first (exact IP, then the longest CIDR prefix), then by the host name the event names
//! (exact domain, `*.` wildcard domain, a URL asset's host, or an unqualified name matching
//! the first label of exactly one unit's domains). A client address inside the record (an
//! access log's `c-ip`) is not used: attribution is about the system that reports.

use std::collections::HashMap;
use std::net::IpAddr;

use canhgac_model::{AssetKind, Event, Id};
use ipnet::IpNet;

/// Maps peers and host names to units. Cheap to share (`&self` only).
#[derive(Debug, Default, Clone)]
pub struct Attributor {
    ips: HashMap<IpAddr, Id>,
    /// CIDRs by prefix length, longest first.
    nets: Vec<(u8, bool, HashMap<IpAddr, Id>)>,
    names: HashMap<String, Id>,
    /// `*.example.gov.vn` → `example.gov.vn`.
    wildcards: HashMap<String, Id>,
    /// First label → unit, `None` when several units share it.
    first_labels: HashMap<String, Option<Id>>,
}

impl Attributor {
    /// Builds from `(unit, kind, value)` triples. Values that do not parse are ignored; when
    /// two units claim the same address or name, the first one listed keeps it.
    pub fn new(assets: impl IntoIterator<Item = (Id, AssetKind, String)>) -> Self {
        let mut this = Self::default();
        let mut nets: HashMap<(u8, bool), HashMap<IpAddr, Id>> = HashMap::new();
        for (unit, kind, value) in assets {
            let value = value.trim();
            match kind {
                AssetKind::Ip => {
                    if let Ok(ip) = value.parse::<IpAddr>() {
                        this.ips.entry(canonical(ip)).or_insert(unit);
                    }
                }
                AssetKind::Cidr => {
                    let net = value
                        .parse::<IpNet>()
                        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from));
                    if let Ok(net) = net {
                        let net = net.trunc();
                        nets.entry((net.prefix_len(), net.addr().is_ipv4()))
                            .or_default()
                            .entry(net.addr())
                            .or_insert(unit);
                    }
                }
                AssetKind::Domain => this.add_name(unit, value),
                AssetKind::Url => {
                    if let Some(host) = url::Url::parse(value)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_string))
                    {
                        let host = host.trim_start_matches('[').trim_end_matches(']');
                        match host.parse::<IpAddr>() {
                            Ok(ip) => {
                                this.ips.entry(canonical(ip)).or_insert(unit);
                            }
                            Err(_) => this.add_name(unit, host),
                        }
                    }
                }
            }
        }
        let mut nets: Vec<_> = nets
            .into_iter()
            .map(|((len, v4), map)| (len, v4, map))
            .collect();
        nets.sort_by_key(|net| std::cmp::Reverse(net.0));
        this.nets = nets;
        this
    }

    fn add_name(&mut self, unit: Id, name: &str) {
        let name = name.trim_end_matches('.').to_lowercase();
        if name.is_empty() {
            return;
        }
        if let Some(base) = name.strip_prefix("*.") {
            self.wildcards.entry(base.to_string()).or_insert(unit);
            return;
        }
        if let Some((label, _)) = name.split_once('.') {
            let slot = self
                .first_labels
                .entry(label.to_string())
                .or_insert(Some(unit));
            if *slot != Some(unit) {
                *slot = None;
            }
        }
        self.names.entry(name).or_insert(unit);
    }

    /// The unit of an address, if any asset covers it.
    pub fn unit_of_ip(&self, ip: IpAddr) -> Option<Id> {
        let ip = canonical(ip);
        if let Some(unit) = self.ips.get(&ip) {
            return Some(*unit);
        }
        for (len, v4, map) in &self.nets {
            if *v4 != ip.is_ipv4() {
                continue;
            }
            let Ok(net) = IpNet::new(ip, *len) else {
                continue;
            };
            if let Some(unit) = map.get(&net.trunc().addr()) {
                return Some(*unit);
            }
        }
        None
    }

    /// The unit of a host name (or IP literal), if any asset names it.
    pub fn unit_of_host(&self, host: &str) -> Option<Id> {
        let host = host.trim_end_matches('.').to_lowercase();
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self.unit_of_ip(ip);
        }
        if let Some(unit) = self.names.get(&host) {
            return Some(*unit);
        }
        // `a.b.example.gov.vn` under `*.example.gov.vn`.
        let mut rest = host.as_str();
        while let Some((_, parent)) = rest.split_once('.') {
            if let Some(unit) = self.wildcards.get(parent) {
                return Some(*unit);
            }
            rest = parent;
        }
        if !host.contains('.') {
            if let Some(Some(unit)) = self.first_labels.get(&host) {
                return Some(*unit);
            }
        }
        None
    }

    /// Sets `event.unit_id` from its peer, else its host; leaves it `None` when neither is known.
    pub fn attribute(&self, event: &mut Event) {
        event.unit_id = event
            .peer
            .and_then(|ip| self.unit_of_ip(ip))
            .or_else(|| event.host.as_deref().and_then(|h| self.unit_of_host(h)));
    }
}

/// IPv4-mapped IPv6 (`::ffff:192.0.2.1`, as dual-stack sockets report peers) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_model::EventKind;

    fn attributor() -> Attributor {
        Attributor::new([
            (1, AssetKind::Cidr, "192.0.2.0/24".to_string()),
            (2, AssetKind::Cidr, "192.0.2.128/25".to_string()),
            (3, AssetKind::Ip, "192.0.2.200".to_string()),
            (4, AssetKind::Domain, "mail01.sotn.hbx.gov.vn".to_string()),
            (
                5,
                AssetKind::Url,
                "https://Portal.hbx.gov.vn:8443/x".to_string(),
            ),
            (6, AssetKind::Domain, "*.ubnd.hbx.gov.vn".to_string()),
            (7, AssetKind::Domain, "web.a.example".to_string()),
            (8, AssetKind::Domain, "web.b.example".to_string()),
            (9, AssetKind::Cidr, "2001:db8:1::/48".to_string()),
            (1, AssetKind::Cidr, "not a net".to_string()),
        ])
    }

    fn event(peer: Option<&str>, host: Option<&str>) -> Event {
        let mut e = Event::new(EventKind::Syslog3164, "x");
        e.peer = peer.map(|p| p.parse().unwrap());
        e.host = host.map(str::to_string);
        e
    }

    #[test]
    fn by_peer_exact_then_longest_prefix() {
        let a = attributor();
        let unit = |peer: &str| {
            let mut e = event(Some(peer), None);
            a.attribute(&mut e);
            e.unit_id
        };
        assert_eq!(unit("192.0.2.200"), Some(3));
        assert_eq!(unit("192.0.2.201"), Some(2));
        assert_eq!(unit("192.0.2.5"), Some(1));
        assert_eq!(unit("::ffff:192.0.2.5"), Some(1));
        assert_eq!(unit("2001:db8:1:2::9"), Some(9));
        assert_eq!(unit("198.51.100.1"), None);
    }

    #[test]
    fn by_host_when_peer_is_unknown() {
        let a = attributor();
        let unit = |peer: Option<&str>, host: &str| {
            let mut e = event(peer, Some(host));
            a.attribute(&mut e);
            e.unit_id
        };
        assert_eq!(
            unit(Some("198.51.100.1"), "MAIL01.sotn.hbx.gov.vn"),
            Some(4)
        );
        assert_eq!(unit(None, "portal.hbx.gov.vn"), Some(5));
        assert_eq!(unit(None, "xa1.ubnd.hbx.gov.vn"), Some(6));
        assert_eq!(unit(None, "mail01"), Some(4), "first label, unambiguous");
        assert_eq!(unit(None, "web"), None, "first label shared by two units");
        assert_eq!(unit(None, "192.0.2.7"), Some(1), "an IP as host name");
        assert_eq!(unit(None, "unknown.example"), None);
        // The peer wins over the host.
        assert_eq!(unit(Some("192.0.2.200"), "mail01"), Some(3));
    }
}
