//! Scan targets as users write them (an address, a network, a host name, a URL) and whether the
//! inventory covers them: the server scans only assets in its inventory, the CLI anything else
//! only with `--allow-target`.

use std::net::IpAddr;

use canhgac_model::{asset_covers, AssetKind};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The most hosts one network target may expand to.
pub const MAX_HOSTS_PER_NETWORK: usize = 65_536;

/// A target could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not an address, network, host name or URL.
    #[error("mục tiêu «{0}» không hợp lệ: cần địa chỉ IP, dải mạng CIDR, tên miền hoặc URL")]
    Unreadable(String),
    /// A network too large to expand.
    #[error("dải mạng «{0}» quá lớn (tối đa {MAX_HOSTS_PER_NETWORK} địa chỉ)")]
    TooLarge(String),
    /// A host name that does not resolve.
    #[error("không phân giải được «{0}»")]
    Unresolved(String),
    /// Outside the inventory.
    #[error("{0} không thuộc tài sản nào trong danh mục; chỉ rà quét những gì có trong danh mục (dòng lệnh: thêm --allow-target nếu được phép)")]
    OutOfScope(String),
}

/// A target as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetSpec {
    /// One address.
    Ip(IpAddr),
    /// A network.
    Network(IpNet),
    /// A host name (with a port when a URL or `host:port` named one).
    Host {
        /// The name, lower case.
        name: String,
        /// Port named by the target.
        port: Option<u16>,
    },
}

impl TargetSpec {
    /// Reads `10.0.0.1`, `10.0.0.0/24`, `portal.example.gov.vn`, `host:8443`,
    /// `https://portal.example.gov.vn/path`, `[::1]:443`.
    pub fn parse(text: &str) -> Result<TargetSpec, TargetError> {
        let text = text.trim();
        let unreadable = || TargetError::Unreadable(text.to_owned());
        if text.is_empty() {
            return Err(unreadable());
        }
        if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(TargetSpec::Ip(ip));
        }
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(TargetSpec::Network(net.trunc()));
        }
        if text.contains("://") {
            let url = url::Url::parse(text).map_err(|_| unreadable())?;
            let port = url.port();
            return match url.host().ok_or_else(unreadable)? {
                url::Host::Ipv4(ip) if port.is_none() => Ok(TargetSpec::Ip(ip.into())),
                url::Host::Ipv6(ip) if port.is_none() => Ok(TargetSpec::Ip(ip.into())),
                url::Host::Ipv4(ip) => Ok(TargetSpec::Host {
                    name: ip.to_string(),
                    port,
                }),
                url::Host::Ipv6(ip) => Ok(TargetSpec::Host {
                    name: ip.to_string(),
                    port,
                }),
                url::Host::Domain(name) => Ok(TargetSpec::Host {
                    name: name.to_ascii_lowercase(),
                    port: port
                        .or(url.port_or_known_default())
                        .filter(|_| port.is_some()),
                }),
            };
        }
        if let Ok(addr) = text.parse::<std::net::SocketAddr>() {
            return Ok(TargetSpec::Host {
                name: addr.ip().to_string(),
                port: Some(addr.port()),
            });
        }
        let (name, port) = match text.rsplit_once(':') {
            Some((name, port)) => (name, Some(port.parse::<u16>().map_err(|_| unreadable())?)),
            None => (text, None),
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let valid = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    && !label.starts_with('-')
            });
        if !valid {
            return Err(unreadable());
        }
        Ok(TargetSpec::Host { name, port })
    }

    /// How the target names itself in findings.
    pub fn label(&self) -> String {
        match self {
            TargetSpec::Ip(ip) => ip.to_string(),
            TargetSpec::Network(net) => net.to_string(),
            TargetSpec::Host { name, .. } => name.clone(),
        }
    }

    /// Whether `assets` (kind, normalised value) cover the whole target.
    pub fn covered_by(&self, assets: &[(AssetKind, String)]) -> bool {
        let covers = |host: &str| {
            assets
                .iter()
                .any(|(kind, value)| asset_covers(*kind, value, host))
        };
        match self {
            TargetSpec::Ip(ip) => covers(&ip.to_string()),
            TargetSpec::Host { name, .. } => covers(name),
            TargetSpec::Network(net) => assets.iter().any(|(kind, value)| match kind {
                AssetKind::Cidr => value
                    .parse::<IpNet>()
                    .is_ok_and(|outer| outer.contains(net)),
                AssetKind::Ip => {
                    net.prefix_len() == net.max_prefix_len()
                        && value.parse::<IpAddr>().is_ok_and(|ip| ip == net.addr())
                }
                _ => false,
            }),
        }
    }
}

/// A host to scan: how users name it, and its address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScanHost {
    /// The name (for `Host:`, SNI and findings); the address itself when there is no name.
    pub name: String,
    /// The address connected to.
    pub ip: IpAddr,
    /// Ports named by the target itself (a URL's port).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<u16>,
}

/// Checks every target against the inventory; names the ones outside it.
pub fn check_scope(
    targets: &[TargetSpec],
    assets: &[(AssetKind, String)],
) -> Result<(), TargetError> {
    let outside: Vec<String> = targets
        .iter()
        .filter(|t| !t.covered_by(assets))
        .map(TargetSpec::label)
        .collect();
    if outside.is_empty() {
        Ok(())
    } else {
        Err(TargetError::OutOfScope(outside.join(", ")))
    }
}

/// Expands networks and resolves names into hosts; one host per (name, address).
pub async fn resolve(targets: &[TargetSpec]) -> Result<Vec<ScanHost>, TargetError> {
    let mut hosts: Vec<ScanHost> = Vec::new();
    let mut push = |host: ScanHost| {
        if let Some(known) = hosts
            .iter_mut()
            .find(|h| h.name == host.name && h.ip == host.ip)
        {
            for port in host.ports {
                if !known.ports.contains(&port) {
                    known.ports.push(port);
                }
            }
        } else {
            hosts.push(host);
        }
    };
    for target in targets {
        match target {
            TargetSpec::Ip(ip) => push(ScanHost {
                name: ip.to_string(),
                ip: *ip,
                ports: Vec::new(),
            }),
            TargetSpec::Network(net) => {
                let count = match net {
                    IpNet::V4(v4) => 1u128 << (32 - v4.prefix_len()),
                    IpNet::V6(v6) => 1u128
                        .checked_shl(128 - u32::from(v6.prefix_len()))
                        .unwrap_or(u128::MAX),
                };
                if count > MAX_HOSTS_PER_NETWORK as u128 {
                    return Err(TargetError::TooLarge(net.to_string()));
                }
                // Single addresses and /31, /127 have no network or broadcast address to skip.
                let all: Vec<IpAddr> = if count <= 2 {
                    std::iter::successors(Some(net.network()), |ip| next_ip(*ip))
                        .take(count as usize)
                        .collect()
                } else {
                    net.hosts().collect()
                };
                for ip in all {
                    push(ScanHost {
                        name: ip.to_string(),
                        ip,
                        ports: Vec::new(),
                    });
                }
            }
            TargetSpec::Host { name, port } => {
                let addrs: Vec<IpAddr> = match name.parse::<IpAddr>() {
                    Ok(ip) => vec![ip],
                    Err(_) => tokio::net::lookup_host((name.as_str(), port.unwrap_or(0)))
                        .await
                        .map_err(|_| TargetError::Unresolved(name.clone()))?
                        .map(|a| a.ip())
                        .collect(),
                };
                if addrs.is_empty() {
                    return Err(TargetError::Unresolved(name.clone()));
                }
                let mut seen = Vec::new();
                for ip in addrs {
                    if seen.contains(&ip) {
                        continue;
                    }
                    seen.push(ip);
                    push(ScanHost {
                        name: name.clone(),
                        ip,
                        ports: port.iter().copied().collect(),
                    });
                }
            }
        }
    }
    Ok(hosts)
}

fn next_ip(ip: IpAddr) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(v4) => u32::from(v4).checked_add(1).map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(v6) => u128::from(v6).checked_add(1).map(|n| IpAddr::V6(n.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_as_users_write_them() {
        assert_eq!(
            TargetSpec::parse("10.0.0.1").unwrap(),
            TargetSpec::Ip("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            TargetSpec::parse("[::1]").unwrap(),
            TargetSpec::Ip("::1".parse().unwrap())
        );
        assert_eq!(
            TargetSpec::parse("10.0.0.7/24").unwrap(),
            TargetSpec::Network("10.0.0.0/24".parse().unwrap())
        );
        assert_eq!(
            TargetSpec::parse("https://Portal.Example.gov.vn:8443/a").unwrap(),
            TargetSpec::Host {
                name: "portal.example.gov.vn".into(),
                port: Some(8443)
            }
        );
        assert_eq!(
            TargetSpec::parse("https://portal.example.gov.vn/").unwrap(),
            TargetSpec::Host {
                name: "portal.example.gov.vn".into(),
                port: None
            }
        );
        assert_eq!(
            TargetSpec::parse("mail.example.vn:25").unwrap(),
            TargetSpec::Host {
                name: "mail.example.vn".into(),
                port: Some(25)
            }
        );
        for bad in ["", "not a host", "a..b", "-x.vn", "host:99999", "http://"] {
            assert!(TargetSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scope_comes_from_the_inventory() {
        let assets = vec![
            (AssetKind::Domain, "sotttt.gov.vn".to_owned()),
            (AssetKind::Cidr, "10.10.0.0/16".to_owned()),
            (AssetKind::Ip, "192.0.2.5".to_owned()),
        ];
        for inside in [
            "portal.sotttt.gov.vn",
            "10.10.3.4",
            "10.10.8.0/24",
            "192.0.2.5",
            "192.0.2.5/32",
        ] {
            assert!(
                TargetSpec::parse(inside).unwrap().covered_by(&assets),
                "{inside}"
            );
        }
        for outside in ["example.com", "10.11.0.1", "10.0.0.0/8", "192.0.2.0/30"] {
            assert!(
                !TargetSpec::parse(outside).unwrap().covered_by(&assets),
                "{outside}"
            );
        }
        let targets = vec![
            TargetSpec::parse("portal.sotttt.gov.vn").unwrap(),
            TargetSpec::parse("example.com").unwrap(),
        ];
        let error = check_scope(&targets, &assets).unwrap_err().to_string();
        assert!(
            error.contains("example.com") && !error.contains("portal"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn networks_expand_and_names_resolve() {
        let hosts = resolve(&[TargetSpec::parse("127.1.0.0/30").unwrap()])
            .await
            .unwrap();
        let ips: Vec<String> = hosts.iter().map(|h| h.ip.to_string()).collect();
        assert_eq!(ips, vec!["127.1.0.1", "127.1.0.2"]);
        let hosts = resolve(&[TargetSpec::parse("localhost:8080").unwrap()])
            .await
            .unwrap();
        assert!(hosts
            .iter()
            .all(|h| h.name == "localhost" && h.ports == vec![8080]));
        assert!(hosts.iter().any(|h| h.ip.is_loopback()));
        assert!(matches!(
            resolve(&[TargetSpec::parse("10.0.0.0/8").unwrap()]).await,
            Err(TargetError::TooLarge(_))
        ));
        assert!(matches!(
            resolve(&[TargetSpec::parse("no-such-host.invalid").unwrap()]).await,
            Err(TargetError::Unresolved(_))
        ));
    }
}
