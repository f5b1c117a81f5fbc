//! Routes for BIRD 2: the include file we own, written atomically, and `birdc configure`.
//!
//! The operator's `bird.conf` includes our file once (`include "/var/lib/canhgac/bird.conf";`)
//! and decides in its own BGP protocols what to export where. Our file holds only static
//! protocols: `<prefix>_blackhole4`/`6` in the unicast tables, and `<prefix>_flowspec4`/`6` in
//! the flow tables when those are configured.
//!
//! A minimal operator side, announcing our blackholes to an upstream that honours RFC 7999
//! (the next hop is the operator's choice, e.g. a discard address):
//!
//! ```text
//! flow6 table flowtab6;                      # only for FlowSpec
//! include "/var/lib/canhgac/bird-routes.conf";
//! protocol bgp upstream {
//!   local as 64500; neighbor 192.0.2.1 as 64501;
//!   ipv4 { import none; export where proto ~ "canhgac_*"; next hop address 192.0.2.254; };
//!   ipv6 { import none; export where proto ~ "canhgac_*"; next hop address 100::1; };
//!   flow6 { table flowtab6; import none; export all; };
//! }
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::{Community, MitigateError};

/// Where BIRD is and how our routes reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BirdConfig {
    /// The `birdc` client.
    #[serde(default = "default_birdc")]
    pub birdc: PathBuf,
    /// BIRD's control socket (`bird -s`).
    pub socket: PathBuf,
    /// The file BIRD's configuration includes; rewritten whole on every change.
    pub routes_file: PathBuf,
    /// Name prefix of our static protocols.
    #[serde(default = "default_protocol_prefix")]
    pub protocol_prefix: String,
    /// IPv4 unicast table for blackholes (BIRD's default `master4` when absent).
    #[serde(default)]
    pub ipv4_table: Option<String>,
    /// IPv6 unicast table for blackholes (BIRD's default `master6` when absent).
    #[serde(default)]
    pub ipv6_table: Option<String>,
    /// `flow4` table declared in the operator's configuration; FlowSpec is off without it.
    #[serde(default)]
    pub flow4_table: Option<String>,
    /// `flow6` table declared in the operator's configuration; FlowSpec is off without it.
    #[serde(default)]
    pub flow6_table: Option<String>,
}

fn default_birdc() -> PathBuf {
    PathBuf::from("/usr/sbin/birdc")
}

fn default_protocol_prefix() -> String {
    "canhgac".into()
}

/// What a FlowSpec rule does to matching traffic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowSpecAction {
    /// Drop it (traffic-rate 0).
    Discard,
    /// Police it to this many bytes per second.
    RateLimit {
        /// Bytes per second.
        bytes_per_sec: f32,
    },
}

/// A FlowSpec rule: a destination and optional protocol, port and flag matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowSpecRule {
    /// The destination prefix (the attacked host).
    pub destination: IpNet,
    /// IP protocol (IPv4) or next header (IPv6).
    pub protocol: Option<u8>,
    /// Source port.
    pub source_port: Option<u16>,
    /// Only SYN-without-ACK TCP packets.
    pub syn_only: bool,
    /// Only fragments.
    pub fragments: bool,
    /// What to do with matching traffic.
    pub action: FlowSpecAction,
}

impl FlowSpecRule {
    /// The rule in BIRD's `flow4 { ... }` / `flow6 { ... }` syntax.
    pub fn to_bird(&self) -> String {
        let v6 = matches!(self.destination, IpNet::V6(_));
        let mut out = format!(
            "{} {{ dst {};",
            if v6 { "flow6" } else { "flow4" },
            self.destination
        );
        if let Some(protocol) = self.protocol {
            let key = if v6 { "next header" } else { "proto" };
            let _ = write!(out, " {key} {protocol};");
        }
        if let Some(port) = self.source_port {
            let _ = write!(out, " sport {port};");
        }
        if self.syn_only {
            // SYN set, ACK clear.
            out.push_str(" tcp flags 0x02/0x12;");
        }
        if self.fragments {
            out.push_str(" fragment is_fragment;");
        }
        out.push_str(" }");
        out
    }
}

/// One route we announce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Route {
    /// A blackhole (RTBH) for a host prefix, with its communities.
    Blackhole {
        /// The /32 or /128.
        prefix: IpNet,
        /// Communities attached (e.g. 65535:666).
        communities: Vec<Community>,
    },
    /// A FlowSpec rule.
    FlowSpec {
        /// The rule.
        rule: FlowSpecRule,
        /// Extra communities attached.
        communities: Vec<Community>,
    },
}

impl Route {
    /// The destination the route acts on.
    pub fn prefix(&self) -> IpNet {
        match self {
            Route::Blackhole { prefix, .. } => *prefix,
            Route::FlowSpec { rule, .. } => rule.destination,
        }
    }

    /// A short description for the audit log, e.g. `blackhole 2001:db8::10/128`.
    pub fn describe(&self) -> String {
        match self {
            Route::Blackhole { prefix, .. } => format!("blackhole {prefix}"),
            Route::FlowSpec { rule, .. } => format!("flowspec {}", rule.to_bird()),
        }
    }
}

fn community_statements(communities: &[Community]) -> String {
    let mut out = String::new();
    for community in communities {
        match community {
            Community::Standard(a, b) => {
                let _ = write!(out, " bgp_community.add(({a},{b}));");
            }
            Community::Large(a, b, c) => {
                let _ = write!(out, " bgp_large_community.add(({a},{b},{c}));");
            }
        }
    }
    out
}

/// The whole include file for these routes.
pub fn render(config: &BirdConfig, routes: &[&Route]) -> String {
    let prefix = &config.protocol_prefix;
    let mut out = String::from(
        "# Written by canhgac (blackhole and FlowSpec routes). Rewritten on every change: do not edit.\n",
    );
    let channel = |kind: &str, table: &Option<String>| match table {
        Some(table) => format!("{kind} {{ table {table}; }};"),
        None => format!("{kind};"),
    };
    for (v6, name, table) in [
        (false, "blackhole4", &config.ipv4_table),
        (true, "blackhole6", &config.ipv6_table),
    ] {
        let _ = writeln!(
            out,
            "protocol static {prefix}_{name} {{\n  {}",
            channel(if v6 { "ipv6" } else { "ipv4" }, table)
        );
        for route in routes {
            if let Route::Blackhole {
                prefix: net,
                communities,
            } = route
            {
                if matches!(net, IpNet::V6(_)) == v6 {
                    let _ = writeln!(
                        out,
                        "  route {net} blackhole {{{} }};",
                        community_statements(communities)
                    );
                }
            }
        }
        out.push_str("}\n");
    }
    for (v6, name, table) in [
        (false, "flowspec4", &config.flow4_table),
        (true, "flowspec6", &config.flow6_table),
    ] {
        let Some(table) = table else { continue };
        let _ = writeln!(
            out,
            "protocol static {prefix}_{name} {{\n  {} {{ table {table}; }};",
            if v6 { "flow6" } else { "flow4" }
        );
        for route in routes {
            if let Route::FlowSpec { rule, communities } = route {
                if matches!(rule.destination, IpNet::V6(_)) == v6 {
                    let action = match rule.action {
                        FlowSpecAction::Discard => 0,
                        FlowSpecAction::RateLimit { bytes_per_sec } => bytes_per_sec.to_bits(),
                    };
                    // Traffic-rate extended community (RFC 8955 §7.3): type 0x8006, the
                    // rate as an IEEE float in the low four bytes.
                    let _ = writeln!(
                        out,
                        "  route {} {{ bgp_ext_community.add((generic, 0x80060000, 0x{action:x}));{} }};",
                        rule.to_bird(),
                        community_statements(communities)
                    );
                }
            }
        }
        out.push_str("}\n");
    }
    out
}

/// Writes the file atomically (temporary file in the same directory, then rename) and asks
/// BIRD to reload its configuration.
pub async fn apply(config: &BirdConfig, contents: &str) -> Result<String, MitigateError> {
    write_atomically(&config.routes_file, contents).await?;
    let output = tokio::process::Command::new(&config.birdc)
        .arg("-s")
        .arg(&config.socket)
        .arg("configure")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), output)
        .await
        .map_err(|_| MitigateError::Birdc {
            problem: "không trả lời sau 30 giây".into(),
        })?
        .map_err(|err| MitigateError::Birdc {
            problem: format!("không chạy được {}: {err}", config.birdc.display()),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // birdc exits 0 even when BIRD refuses the configuration; the reply says which.
    if output.status.success() && stdout.contains("Reconfigur") {
        Ok(stdout.trim().to_owned())
    } else {
        Err(MitigateError::Birdc {
            problem: format!("{} {}", stdout.trim(), stderr.trim())
                .trim()
                .to_owned(),
        })
    }
}

async fn write_atomically(path: &Path, contents: &str) -> Result<(), MitigateError> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    let io = |err: std::io::Error| MitigateError::RoutesFile {
        path: path.to_owned(),
        problem: err.to_string(),
    };
    tokio::fs::write(&temp, contents).await.map_err(io)?;
    tokio::fs::rename(&temp, path).await.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_include_file_has_blackholes_with_communities_and_flowspec_with_traffic_rate() {
        let config = BirdConfig {
            birdc: default_birdc(),
            socket: "/run/bird.ctl".into(),
            routes_file: "/tmp/x.conf".into(),
            protocol_prefix: "canhgac".into(),
            ipv4_table: None,
            ipv6_table: Some("rtbh6".into()),
            flow4_table: Some("flowtab4".into()),
            flow6_table: None,
        };
        let v6 = Route::Blackhole {
            prefix: "2001:db8::10/128".parse().unwrap(),
            communities: vec![
                Community::Standard(65535, 666),
                Community::Large(65000, 666, 1),
            ],
        };
        let v4 = Route::FlowSpec {
            rule: FlowSpecRule {
                destination: "203.0.113.5/32".parse().unwrap(),
                protocol: Some(17),
                source_port: Some(53),
                syn_only: false,
                fragments: false,
                action: FlowSpecAction::Discard,
            },
            communities: vec![],
        };
        let text = render(&config, &[&v6, &v4]);
        assert_eq!(
            text,
            "# Written by canhgac (blackhole and FlowSpec routes). Rewritten on every change: do not edit.
protocol static canhgac_blackhole4 {
  ipv4;
}
protocol static canhgac_blackhole6 {
  ipv6 { table rtbh6; };
  route 2001:db8::10/128 blackhole { bgp_community.add((65535,666)); bgp_large_community.add((65000,666,1)); };
}
protocol static canhgac_flowspec4 {
  flow4 { table flowtab4; };
  route flow4 { dst 203.0.113.5/32; proto 17; sport 53; } { bgp_ext_community.add((generic, 0x80060000, 0x0)); };
}
"
        );
    }
}
