//! The normalised flow record.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// IP protocol numbers the detectors care about by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Protocol(pub u8);

impl Protocol {
    /// ICMP (IPv4).
    pub const ICMP: Protocol = Protocol(1);
    /// TCP.
    pub const TCP: Protocol = Protocol(6);
    /// UDP.
    pub const UDP: Protocol = Protocol(17);
    /// ICMPv6.
    pub const ICMPV6: Protocol = Protocol(58);
}

/// TCP SYN flag bit in [`FlowRecord::tcp_flags`].
pub const TCP_SYN: u8 = 0x02;
/// TCP ACK flag bit in [`FlowRecord::tcp_flags`].
pub const TCP_ACK: u8 = 0x10;

/// One flow as an exporter reported it, whatever the wire format.
///
/// Counters are as exported: with sampling `1:N` the real traffic is about `N` times
/// [`packets`](Self::packets) and [`bytes`](Self::bytes); [`FlowRecord::scaled_packets`] and
/// [`FlowRecord::scaled_bytes`] apply it. The record is `Copy` and small because millions pass
/// through per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRecord {
    /// The router (exporter) that sent it, as seen by the collector.
    pub exporter: IpAddr,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port (0 when the protocol has none).
    pub src_port: u16,
    /// Destination port (0 when the protocol has none; ICMP type/code are not ports).
    pub dst_port: u16,
    /// IP protocol.
    pub protocol: Protocol,
    /// Cumulative TCP flags (OR of the flags seen), 0 for other protocols.
    pub tcp_flags: u8,
    /// Packets counted by the exporter.
    pub packets: u64,
    /// Bytes (layer 3) counted by the exporter.
    pub bytes: u64,
    /// Sampling interval `N` of `1:N` sampling; 1 when unsampled (never 0).
    pub sampling_rate: u32,
    /// True when the flow consists of IP fragments (non-first fragments have no ports).
    pub fragment: bool,
    /// First packet, milliseconds since the Unix epoch (collector clock when the format has none).
    pub first_ms: u64,
    /// Last packet, milliseconds since the Unix epoch.
    pub last_ms: u64,
}

impl FlowRecord {
    /// Packets after undoing sampling.
    pub fn scaled_packets(&self) -> u64 {
        self.packets
            .saturating_mul(u64::from(self.sampling_rate.max(1)))
    }

    /// Bytes after undoing sampling.
    pub fn scaled_bytes(&self) -> u64 {
        self.bytes
            .saturating_mul(u64::from(self.sampling_rate.max(1)))
    }

    /// A TCP flow that carried a SYN without an ACK: connection attempts, the SYN flood signature.
    pub fn is_syn_only(&self) -> bool {
        self.protocol == Protocol::TCP
            && self.tcp_flags & TCP_SYN != 0
            && self.tcp_flags & TCP_ACK == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> FlowRecord {
        FlowRecord {
            exporter: "192.0.2.1".parse().unwrap(),
            src: "198.51.100.7".parse().unwrap(),
            dst: "2001:db8::10".parse().unwrap(),
            src_port: 40000,
            dst_port: 443,
            protocol: Protocol::TCP,
            tcp_flags: TCP_SYN,
            packets: 3,
            bytes: 180,
            sampling_rate: 1000,
            fragment: false,
            first_ms: 0,
            last_ms: 0,
        }
    }

    #[test]
    fn sampling_is_undone_and_syn_only_is_told_from_handshakes() {
        let mut flow = record();
        assert_eq!(flow.scaled_packets(), 3000);
        assert_eq!(flow.scaled_bytes(), 180_000);
        assert!(flow.is_syn_only());
        flow.tcp_flags |= TCP_ACK;
        assert!(!flow.is_syn_only());
        flow.sampling_rate = 0;
        assert_eq!(
            flow.scaled_packets(),
            3,
            "a zero rate from a broken exporter counts as 1"
        );
    }
}
