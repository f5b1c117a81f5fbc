//! sFlow version 5: flow samples (plain and expanded) whose raw packet header record we parse
//! into a one-packet flow scaled by the sampling rate. Counter samples and other records are
//! skipped by their lengths.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{
    clear_icmp_ports, observe_sequence, Context, DecodeError, Decoded, ExporterState, FlowFormat,
    Reader,
};
use crate::{FlowRecord, Protocol};

const FLOW_SAMPLE: u32 = 1;
const EXPANDED_FLOW_SAMPLE: u32 = 3;
const RAW_PACKET_HEADER: u32 = 1;
const HEADER_ETHERNET: u32 = 1;
const HEADER_IPV4: u32 = 11;
const HEADER_IPV6: u32 = 12;

pub(super) fn decode(
    state: &mut ExporterState,
    context: &Context,
    datagram: &[u8],
    out: &mut Vec<FlowRecord>,
) -> Result<Decoded, DecodeError> {
    let start = out.len();
    let mut reader = Reader::new(datagram);
    reader.skip("sFlow version", 4)?;
    let address_type = reader.u32("sFlow agent address type")?;
    match address_type {
        1 => reader.skip("sFlow agent address", 4)?,
        2 => reader.skip("sFlow agent address", 16)?,
        other => {
            return Err(DecodeError::BadAddressType {
                address_type: other,
            })
        }
    }
    let sub_agent = reader.u32("sFlow sub-agent id")?;
    let sequence = reader.u32("sFlow sequence")?;
    reader.skip("sFlow uptime", 4)?;
    let samples = reader.u32("sFlow sample count")?;
    let blank = context.blank_record();

    // Each turn consumes at least 8 bytes, so a huge count ends with the data.
    for _ in 0..samples {
        let format = reader.u32("sFlow sample format")?;
        let at = reader.position();
        let length = reader.u32("sFlow sample length")? as usize;
        if length > reader.remaining() {
            return Err(DecodeError::BadLength {
                what: "sFlow sample",
                at,
                length,
            });
        }
        let body_at = reader.position();
        let body = reader.take("sFlow sample", length)?;
        let mut sample = Reader::with_base(body, body_at);
        // Enterprise 0 only; the top 20 bits name the enterprise.
        match format {
            FLOW_SAMPLE => {
                sample.skip("sFlow flow sample", 8)?; // sequence, source id
                flow_sample(&mut sample, 16, &blank, out)?;
            }
            EXPANDED_FLOW_SAMPLE => {
                sample.skip("sFlow expanded flow sample", 12)?; // sequence, source type, index
                flow_sample(&mut sample, 24, &blank, out)?;
            }
            _ => {} // counter samples and others: skipped by length
        }
    }
    if reader.remaining() > 0 {
        return Err(DecodeError::BadLength {
            what: "sFlow datagram",
            at: reader.position(),
            length: datagram.len(),
        });
    }
    let domain = (FlowFormat::SflowV5.tag(), sub_agent);
    observe_sequence(state, context, domain, sequence, Some(1), true)?;
    Ok(Decoded {
        format: FlowFormat::SflowV5,
        records: out.len() - start,
        template_misses: 0,
    })
}

/// The part shared by both flow sample kinds, from the sampling rate on; `interfaces` is the
/// size of the pool, drops and interface fields that follow the rate.
fn flow_sample(
    sample: &mut Reader<'_>,
    interfaces: usize,
    blank: &FlowRecord,
    out: &mut Vec<FlowRecord>,
) -> Result<(), DecodeError> {
    let sampling_rate = sample.u32("sFlow sampling rate")?.max(1);
    sample.skip("sFlow flow sample", interfaces)?;
    let records = sample.u32("sFlow record count")?;
    for _ in 0..records {
        let format = sample.u32("sFlow record format")?;
        let at = sample.position();
        let length = sample.u32("sFlow record length")? as usize;
        if length > sample.remaining() {
            return Err(DecodeError::BadLength {
                what: "sFlow flow record",
                at,
                length,
            });
        }
        let body_at = sample.position();
        let body = sample.take("sFlow flow record", length)?;
        if format != RAW_PACKET_HEADER {
            continue;
        }
        let mut record = Reader::with_base(body, body_at);
        let header_protocol = record.u32("sFlow header protocol")?;
        let frame_length = record.u32("sFlow frame length")?;
        record.skip("sFlow stripped", 4)?;
        let header_length = record.u32("sFlow header length")? as usize;
        let header = record.take("sFlow sampled header", header_length)?;
        let mut flow = *blank;
        flow.packets = 1;
        flow.sampling_rate = sampling_rate;
        flow.bytes = u64::from(frame_length);
        let parsed = match header_protocol {
            HEADER_ETHERNET => parse_ethernet(header, &mut flow),
            HEADER_IPV4 => parse_ipv4(header, &mut flow),
            HEADER_IPV6 => parse_ipv6(header, &mut flow),
            _ => false,
        };
        // A sample of a non-IP frame (ARP, LLDP) is no flow.
        if parsed {
            clear_icmp_ports(&mut flow);
            out.push(flow);
        }
    }
    Ok(())
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// Ethernet II with up to two VLAN tags; false when the frame does not carry IP.
fn parse_ethernet(frame: &[u8], flow: &mut FlowRecord) -> bool {
    let mut at = 12;
    for _ in 0..3 {
        match be16(frame, at) {
            Some(0x8100 | 0x88a8) => at += 4,
            Some(0x0800) => return frame.get(at + 2..).is_some_and(|ip| parse_ipv4(ip, flow)),
            Some(0x86dd) => return frame.get(at + 2..).is_some_and(|ip| parse_ipv6(ip, flow)),
            _ => return false,
        }
    }
    false
}

fn parse_ipv4(packet: &[u8], flow: &mut FlowRecord) -> bool {
    let Some(&version_ihl) = packet.first() else {
        return false;
    };
    let header_len = usize::from(version_ihl & 0x0f) * 4;
    if version_ihl >> 4 != 4 || header_len < 20 || packet.len() < 20 {
        return false;
    }
    let total_length = be16(packet, 2).unwrap_or(0);
    let flags_offset = be16(packet, 6).unwrap_or(0);
    let more_fragments = flags_offset & 0x2000 != 0;
    let offset = flags_offset & 0x1fff;
    flow.protocol = Protocol(packet[9]);
    flow.src = IpAddr::V4(Ipv4Addr::new(
        packet[12], packet[13], packet[14], packet[15],
    ));
    flow.dst = IpAddr::V4(Ipv4Addr::new(
        packet[16], packet[17], packet[18], packet[19],
    ));
    flow.fragment = more_fragments || offset != 0;
    if total_length > 0 {
        flow.bytes = u64::from(total_length);
    }
    // Only the first fragment carries the transport header.
    if offset == 0 {
        if let Some(transport) = packet.get(header_len..) {
            parse_transport(transport, flow);
        }
    }
    true
}

fn parse_ipv6(packet: &[u8], flow: &mut FlowRecord) -> bool {
    if packet.len() < 40 || packet[0] >> 4 != 6 {
        return false;
    }
    let payload_length = be16(packet, 4).unwrap_or(0);
    let mut next_header = packet[6];
    let mut octets = [0u8; 16];
    octets.copy_from_slice(&packet[8..24]);
    flow.src = IpAddr::V6(Ipv6Addr::from(octets));
    octets.copy_from_slice(&packet[24..40]);
    flow.dst = IpAddr::V6(Ipv6Addr::from(octets));
    if payload_length > 0 {
        flow.bytes = u64::from(payload_length) + 40;
    }
    let mut at = 40;
    let mut transport_follows = true;
    // Walk a bounded number of extension headers to the transport protocol.
    for _ in 0..8 {
        match next_header {
            // Hop-by-hop, routing, destination options: length in 8-octet units after the first.
            0 | 43 | 60 => {
                let (Some(&next), Some(&len)) = (packet.get(at), packet.get(at + 1)) else {
                    break;
                };
                next_header = next;
                at += (usize::from(len) + 1) * 8;
            }
            44 => {
                let (Some(&next), Some(offset_flags)) = (packet.get(at), be16(packet, at + 2))
                else {
                    break;
                };
                flow.fragment = true;
                transport_follows = offset_flags >> 3 == 0;
                next_header = next;
                at += 8;
            }
            _ => break,
        }
    }
    flow.protocol = Protocol(next_header);
    if transport_follows {
        if let Some(transport) = packet.get(at..) {
            parse_transport(transport, flow);
        }
    }
    true
}

fn parse_transport(segment: &[u8], flow: &mut FlowRecord) {
    if flow.protocol == Protocol::TCP || flow.protocol == Protocol::UDP {
        if let (Some(src), Some(dst)) = (be16(segment, 0), be16(segment, 2)) {
            flow.src_port = src;
            flow.dst_port = dst;
        }
    }
    if flow.protocol == Protocol::TCP {
        if let Some(&flags) = segment.get(13) {
            flow.tcp_flags = flags;
        }
    }
}
