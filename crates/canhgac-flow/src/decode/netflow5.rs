//! NetFlow v5: a 24-byte header and fixed 48-byte IPv4 records.

use std::net::{IpAddr, Ipv4Addr};

use super::{
    clear_icmp_ports, observe_sequence, uptime_to_unix_ms, Context, DecodeError, Decoded,
    ExporterState, FlowFormat, Reader,
};
use crate::{FlowRecord, Protocol};

const HEADER_LEN: usize = 24;
const RECORD_LEN: usize = 48;

pub(super) fn decode(
    state: &mut ExporterState,
    context: &Context,
    datagram: &[u8],
    out: &mut Vec<FlowRecord>,
) -> Result<Decoded, DecodeError> {
    let mut header = Reader::new(datagram);
    header.skip("v5 header", HEADER_LEN)?;
    let mut header = Reader::new(datagram);
    header.skip("version", 2)?;
    let count = usize::from(header.u16("v5 count")?);
    let sys_uptime = header.u32("v5 sysUptime")?;
    let unix_secs = header.u32("v5 unix_secs")?;
    let unix_nsecs = header.u32("v5 unix_nsecs")?;
    let flow_sequence = header.u32("v5 flow_sequence")?;
    let engine_type = header.u8("v5 engine_type")?;
    let engine_id = header.u8("v5 engine_id")?;
    let sampling = header.u16("v5 sampling_interval")?;

    let records = &datagram[HEADER_LEN..];
    if records.len() < count * RECORD_LEN {
        return Err(DecodeError::BadLength {
            what: "v5 record count",
            at: 2,
            length: count,
        });
    }
    // The top two bits are the sampling mode; the interval is the low 14.
    let sampling_rate = u32::from(sampling & 0x3fff).max(1);
    let export_ms = u64::from(unix_secs) * 1000 + u64::from(unix_nsecs / 1_000_000);
    let uptime_to_ms = |switched: u32| uptime_to_unix_ms(export_ms, sys_uptime, switched);

    let mut blank = context.blank_record();
    blank.sampling_rate = sampling_rate;
    out.reserve(count);
    for record in records.chunks_exact(RECORD_LEN).take(count) {
        let word = |at: usize| {
            u32::from_be_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
        };
        let half = |at: usize| u16::from_be_bytes([record[at], record[at + 1]]);
        let mut flow = blank;
        flow.src = IpAddr::V4(Ipv4Addr::from(word(0)));
        flow.dst = IpAddr::V4(Ipv4Addr::from(word(4)));
        flow.packets = u64::from(word(16));
        flow.bytes = u64::from(word(20));
        flow.first_ms = uptime_to_ms(word(24));
        flow.last_ms = uptime_to_ms(word(28));
        flow.src_port = half(32);
        flow.dst_port = half(34);
        flow.tcp_flags = record[37];
        flow.protocol = Protocol(record[38]);
        clear_icmp_ports(&mut flow);
        out.push(flow);
    }

    let domain = (
        FlowFormat::NetflowV5.tag(),
        u32::from(engine_type) << 8 | u32::from(engine_id),
    );
    observe_sequence(
        state,
        context,
        domain,
        flow_sequence,
        Some(count as u32),
        false,
    )?;
    Ok(Decoded {
        format: FlowFormat::NetflowV5,
        records: count,
        template_misses: 0,
    })
}
