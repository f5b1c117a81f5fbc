//! Flows shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::IpAddr;

use canhgac_flow::exporter::ExportFormat;
use canhgac_flow::record::{TCP_ACK, TCP_SYN};
use canhgac_flow::{FlowRecord, Protocol};

/// Export time used by decode tests: 2026-11-26T10:00:00.250Z.
pub const EXPORT_MS: u64 = 1_795_687_200_250;

fn flow(
    exporter: IpAddr,
    src: &str,
    dst: &str,
    protocol: Protocol,
    ports: (u16, u16),
) -> FlowRecord {
    FlowRecord {
        exporter,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        src_port: ports.0,
        dst_port: ports.1,
        protocol,
        tcp_flags: 0,
        packets: 1,
        bytes: 60,
        sampling_rate: 1,
        fragment: false,
        first_ms: EXPORT_MS - 30_000,
        last_ms: EXPORT_MS - 1_500,
    }
}

/// A mix the detectors care about: a SYN, an established TCP flow with large counters, DNS,
/// a fragment and an ICMP echo, in IPv4 or IPv6.
pub fn sample_flows(exporter: IpAddr, ipv6: bool) -> Vec<FlowRecord> {
    let (a, b, c) = if ipv6 {
        ("2001:db8:1::7", "2001:db8:2::10", "2001:db8:3::53")
    } else {
        ("198.51.100.7", "203.0.113.10", "203.0.113.53")
    };
    let mut syn = flow(exporter, a, b, Protocol::TCP, (40_001, 443));
    syn.tcp_flags = TCP_SYN;
    let mut established = flow(exporter, b, a, Protocol::TCP, (443, 40_002));
    established.tcp_flags = TCP_SYN | TCP_ACK | 0x08;
    established.packets = 5_000_000_000;
    established.bytes = 7_000_000_000_000;
    let mut dns = flow(exporter, c, a, Protocol::UDP, (53, 33_333));
    dns.bytes = 512;
    let mut fragment = flow(exporter, a, c, Protocol::UDP, (5_000, 123));
    fragment.fragment = true;
    fragment.bytes = 1_500;
    let icmp = flow(
        exporter,
        a,
        b,
        if ipv6 {
            Protocol::ICMPV6
        } else {
            Protocol::ICMP
        },
        (0, 0),
    );
    vec![syn, established, dns, fragment, icmp]
}

/// What `format` can carry of `flows`, as the decoder should return it.
pub fn expected_after(format: ExportFormat, flows: &[FlowRecord]) -> Vec<FlowRecord> {
    flows
        .iter()
        .filter(|flow| format != ExportFormat::NetflowV5 || flow.src.is_ipv4())
        .map(|flow| {
            let mut flow = *flow;
            if format == ExportFormat::NetflowV5 {
                flow.packets = flow.packets.min(u64::from(u32::MAX));
                flow.bytes = flow.bytes.min(u64::from(u32::MAX));
                flow.fragment = false;
            }
            flow
        })
        .collect()
}

/// sFlow carries one sampled packet per record: flows fit for it.
pub fn single_packet_flows(exporter: IpAddr, ipv6: bool) -> Vec<FlowRecord> {
    sample_flows(exporter, ipv6)
        .into_iter()
        .map(|mut flow| {
            flow.packets = 1;
            flow.bytes = 1_200;
            flow
        })
        .collect()
}
