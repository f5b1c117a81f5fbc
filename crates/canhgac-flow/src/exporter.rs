//! Our test exporter: writes [`FlowRecord`]s as NetFlow v5, NetFlow v9, IPFIX or sFlow v5
//! datagrams, the way a router would, and sends them over UDP.
//!
//! It exists so the collector can be tested and benchmarked against traffic we fully know:
//! templates (in two layouts, to test refreshes), sampling (announced in options records or
//! carried per record), sequence numbers (with [`FlowExporter::skip_sequence`] to simulate loss).
//!
//! What each format can carry: v5 only IPv4 (IPv6 flows are left out) and no fragment flag;
//! sFlow describes one sampled packet per record, so `packets` is written as 1 and the times are
//! the collector's.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::FlowRecord;

/// The wire format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// NetFlow v5.
    NetflowV5,
    /// NetFlow v9 (RFC 3954).
    NetflowV9,
    /// IPFIX (RFC 7011).
    Ipfix,
    /// sFlow v5 flow samples with raw packet headers.
    Sflow,
}

/// The data template layout (v9 and IPFIX), to test template refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateLayout {
    /// Addresses first, 8-byte counters.
    Standard,
    /// A different field order and 4-byte counters (reduced-size encoding).
    Compact,
}

/// How the sampling interval reaches the collector (v9 and IPFIX).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingExport {
    /// An options template and options data record describe the sampler; records name it.
    Options,
    /// Every record carries samplingInterval (field 34).
    PerRecord,
}

/// Template ids we use.
const IPV4_TEMPLATE: u16 = 256;
const IPV6_TEMPLATE: u16 = 257;
const SAMPLING_OPTIONS_TEMPLATE: u16 = 258;
/// The sampler / selector id our records name.
const SAMPLER_ID: u32 = 1;
/// Keep datagrams under a typical MTU.
const DEFAULT_MAX_DATAGRAM: usize = 1400;
/// Pretend the router booted this long before its first export.
const UPTIME_AT_FIRST_EXPORT_MS: u64 = 86_400_000;

/// Writes flow datagrams in one format, keeping the state a router keeps (sequence numbers,
/// uptime).
#[derive(Debug, Clone)]
pub struct FlowExporter {
    format: ExportFormat,
    domain: u32,
    sampling_rate: u32,
    sampling_export: SamplingExport,
    layout: TemplateLayout,
    agent: IpAddr,
    vlan: Option<u16>,
    max_datagram: usize,
    sequence: u32,
    sample_sequence: u32,
    boot_ms: Option<u64>,
}

impl FlowExporter {
    /// An exporter of `format`, unsampled, observation domain 0, standard layout.
    pub fn new(format: ExportFormat) -> Self {
        FlowExporter {
            format,
            domain: 0,
            sampling_rate: 1,
            sampling_export: SamplingExport::Options,
            layout: TemplateLayout::Standard,
            agent: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            vlan: None,
            max_datagram: DEFAULT_MAX_DATAGRAM,
            sequence: 0,
            sample_sequence: 0,
            boot_ms: None,
        }
    }

    /// The observation domain (IPFIX), source id (v9), engine id (v5, low 8 bits) or sub-agent
    /// id (sFlow).
    pub fn with_domain(mut self, domain: u32) -> Self {
        self.domain = domain;
        self
    }

    /// Announces `1:rate` packet sampling, and how (ignored by v5 and sFlow, which have one way).
    pub fn with_sampling(mut self, rate: u32, how: SamplingExport) -> Self {
        self.sampling_rate = rate.max(1);
        self.sampling_export = how;
        self
    }

    /// Tags sFlow's sampled Ethernet frames with an 802.1Q VLAN id.
    pub fn with_vlan(mut self, vlan: u16) -> Self {
        self.vlan = Some(vlan & 0x0fff);
        self
    }

    /// The sFlow agent address written in datagrams.
    pub fn with_agent(mut self, agent: IpAddr) -> Self {
        self.agent = agent;
        self
    }

    /// The largest datagram to write (at least 256 bytes).
    pub fn with_max_datagram(mut self, bytes: usize) -> Self {
        self.max_datagram = bytes.max(256);
        self
    }

    /// Switches the data template layout; the next [`FlowExporter::template_datagram`] refreshes
    /// the templates under the same ids.
    pub fn set_layout(&mut self, layout: TemplateLayout) {
        self.layout = layout;
    }

    /// Advances the sequence number as if `units` export datagrams (v9, sFlow) or flow records
    /// (v5, IPFIX) had been lost on the way.
    pub fn skip_sequence(&mut self, units: u32) {
        self.sequence = self.sequence.wrapping_add(units);
    }

    /// The format written.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// Templates (and the sampling options record) in one datagram; `None` for formats without
    /// templates.
    pub fn template_datagram(&mut self, export_ms: u64) -> Option<Vec<u8>> {
        let ipfix = match self.format {
            ExportFormat::NetflowV9 => false,
            ExportFormat::Ipfix => true,
            ExportFormat::NetflowV5 | ExportFormat::Sflow => return None,
        };
        let mut message = self.start_message(export_ms);
        let set = SetWriter::open(&mut message, if ipfix { 2 } else { 0 });
        for template_id in [IPV4_TEMPLATE, IPV6_TEMPLATE] {
            let fields = self.data_fields(template_id == IPV6_TEMPLATE);
            set.buf.extend_from_slice(&template_id.to_be_bytes());
            set.buf
                .extend_from_slice(&(fields.len() as u16).to_be_bytes());
            for (id, len) in fields {
                set.buf.extend_from_slice(&id.to_be_bytes());
                set.buf.extend_from_slice(&len.to_be_bytes());
            }
        }
        set.close(!ipfix);
        let mut records = 0;
        if self.sampling_rate > 1 && self.sampling_export == SamplingExport::Options {
            let set = SetWriter::open(&mut message, if ipfix { 3 } else { 1 });
            let id = SAMPLING_OPTIONS_TEMPLATE.to_be_bytes();
            if ipfix {
                // selectorId (scope), selectorAlgorithm, samplingPacketInterval, samplingPacketSpace.
                for word in [id, 4u16.to_be_bytes(), 1u16.to_be_bytes()] {
                    set.buf.extend_from_slice(&word);
                }
                for (field, len) in [(302u16, 4u16), (304, 2), (305, 4), (306, 4)] {
                    set.buf.extend_from_slice(&field.to_be_bytes());
                    set.buf.extend_from_slice(&len.to_be_bytes());
                }
            } else {
                // Scope: System (type 1); options: sampler id, mode, random interval.
                for word in [id, 4u16.to_be_bytes(), 12u16.to_be_bytes()] {
                    set.buf.extend_from_slice(&word);
                }
                for (field, len) in [(1u16, 4u16), (48, 1), (49, 1), (50, 4)] {
                    set.buf.extend_from_slice(&field.to_be_bytes());
                    set.buf.extend_from_slice(&len.to_be_bytes());
                }
            }
            set.close(!ipfix);
            let set = SetWriter::open(&mut message, SAMPLING_OPTIONS_TEMPLATE);
            if ipfix {
                set.buf.extend_from_slice(&SAMPLER_ID.to_be_bytes());
                set.buf.extend_from_slice(&1u16.to_be_bytes());
                set.buf.extend_from_slice(&1u32.to_be_bytes());
                set.buf
                    .extend_from_slice(&(self.sampling_rate - 1).to_be_bytes());
            } else {
                set.buf.extend_from_slice(&0u32.to_be_bytes());
                set.buf.push(SAMPLER_ID as u8);
                set.buf.push(2); // random sampling
                set.buf.extend_from_slice(&self.sampling_rate.to_be_bytes());
            }
            set.close(!ipfix);
            records = 1;
        }
        let template_records = if records == 1 { 4 } else { 2 };
        Some(self.finish_message(message, template_records, records))
    }

    /// Data datagrams for `flows` (no templates), split to fit the datagram size.
    pub fn data_datagrams(&mut self, flows: &[FlowRecord], export_ms: u64) -> Vec<Vec<u8>> {
        match self.format {
            ExportFormat::NetflowV5 => self.netflow5(flows, export_ms),
            ExportFormat::NetflowV9 | ExportFormat::Ipfix => self.templated(flows, export_ms),
            ExportFormat::Sflow => self.sflow(flows, export_ms),
        }
    }

    /// Everything needed to decode `flows`: the template datagram (if the format has one)
    /// followed by the data datagrams.
    pub fn datagrams(&mut self, flows: &[FlowRecord], export_ms: u64) -> Vec<Vec<u8>> {
        let mut all: Vec<Vec<u8>> = self.template_datagram(export_ms).into_iter().collect();
        all.extend(self.data_datagrams(flows, export_ms));
        all
    }

    /// Sends [`FlowExporter::datagrams`] for `flows` from `socket` to `to`; returns the number of
    /// datagrams sent.
    pub async fn send(
        &mut self,
        socket: &tokio::net::UdpSocket,
        to: SocketAddr,
        flows: &[FlowRecord],
        export_ms: u64,
    ) -> io::Result<usize> {
        let datagrams = self.datagrams(flows, export_ms);
        for datagram in &datagrams {
            socket.send_to(datagram, to).await?;
        }
        Ok(datagrams.len())
    }

    /// Router uptime at `ms`: the exporter "boots" a day before its first export.
    fn uptime_at(&mut self, ms: u64) -> u32 {
        let boot = *self
            .boot_ms
            .get_or_insert(ms.saturating_sub(UPTIME_AT_FIRST_EXPORT_MS));
        ms.wrapping_sub(boot) as u32
    }

    fn relative(&mut self, ms: u64) -> u32 {
        let boot = self
            .boot_ms
            .unwrap_or(ms.saturating_sub(UPTIME_AT_FIRST_EXPORT_MS));
        ms.wrapping_sub(boot) as u32
    }

    fn netflow5(&mut self, flows: &[FlowRecord], export_ms: u64) -> Vec<Vec<u8>> {
        let ipv4: Vec<&FlowRecord> = flows.iter().filter(|flow| flow.src.is_ipv4()).collect();
        let uptime = self.uptime_at(export_ms);
        let sampling = if self.sampling_rate > 1 {
            0x4000 | self.sampling_rate.min(0x3fff) as u16
        } else {
            0
        };
        let mut datagrams = Vec::new();
        // v5 allows 30 records; fewer when the datagram size asks for it.
        let per_datagram = ((self.max_datagram - 24) / 48).clamp(1, 30);
        for chunk in ipv4.chunks(per_datagram) {
            let mut buf = Vec::with_capacity(24 + 48 * chunk.len());
            buf.extend_from_slice(&5u16.to_be_bytes());
            buf.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            buf.extend_from_slice(&uptime.to_be_bytes());
            buf.extend_from_slice(&((export_ms / 1000) as u32).to_be_bytes());
            buf.extend_from_slice(&((export_ms % 1000) as u32 * 1_000_000).to_be_bytes());
            buf.extend_from_slice(&self.sequence.to_be_bytes());
            buf.push(0);
            buf.push(self.domain as u8);
            buf.extend_from_slice(&sampling.to_be_bytes());
            for flow in chunk {
                buf.extend_from_slice(&address_octets(flow.src));
                buf.extend_from_slice(&address_octets(flow.dst));
                buf.extend_from_slice(&[0; 4]); // next hop
                buf.extend_from_slice(&[0, 1, 0, 2]); // input, output interfaces
                buf.extend_from_slice(&saturate32(flow.packets).to_be_bytes());
                buf.extend_from_slice(&saturate32(flow.bytes).to_be_bytes());
                let first = self.relative(flow.first_ms);
                let last = self.relative(flow.last_ms);
                buf.extend_from_slice(&first.to_be_bytes());
                buf.extend_from_slice(&last.to_be_bytes());
                buf.extend_from_slice(&flow.src_port.to_be_bytes());
                buf.extend_from_slice(&flow.dst_port.to_be_bytes());
                buf.extend_from_slice(&[0, flow.tcp_flags, flow.protocol.0, 0]);
                buf.extend_from_slice(&[0; 4]); // AS numbers
                buf.extend_from_slice(&[0; 4]); // masks, padding
            }
            self.sequence = self.sequence.wrapping_add(chunk.len() as u32);
            datagrams.push(buf);
        }
        datagrams
    }

    /// (element id, length) of the data template for one address family.
    fn data_fields(&self, ipv6: bool) -> Vec<(u16, u16)> {
        let ipfix = self.format == ExportFormat::Ipfix;
        let (src, dst, address_len) = if ipv6 { (27, 28, 16) } else { (8, 12, 4) };
        let (first, last, time_len) = if ipfix { (152, 153, 8) } else { (22, 21, 4) };
        let fragment = if ipfix { (197, 1) } else { (88, 2) };
        let mut fields = match self.layout {
            TemplateLayout::Standard => vec![
                (src, address_len),
                (dst, address_len),
                (7, 2),
                (11, 2),
                (4, 1),
                (6, 1),
                fragment,
                (2, 8),
                (1, 8),
                (first, time_len),
                (last, time_len),
            ],
            TemplateLayout::Compact => vec![
                (dst, address_len),
                (11, 2),
                (4, 1),
                (1, 4),
                (2, 4),
                (src, address_len),
                (7, 2),
                (6, 1),
                (last, time_len),
                (first, time_len),
                fragment,
            ],
        };
        if self.sampling_rate > 1 {
            fields.push(match (self.sampling_export, ipfix) {
                (SamplingExport::PerRecord, _) => (34, 4),
                (SamplingExport::Options, true) => (302, 4),
                (SamplingExport::Options, false) => (48, 1),
            });
        }
        fields
    }

    fn write_record(&mut self, buf: &mut Vec<u8>, flow: &FlowRecord) {
        let fields = self.data_fields(flow.src.is_ipv6());
        for (id, len) in fields {
            match id {
                8 | 12 | 27 | 28 => {
                    buf.extend_from_slice(&address_octets(if id == 8 || id == 27 {
                        flow.src
                    } else {
                        flow.dst
                    }))
                }
                7 => buf.extend_from_slice(&flow.src_port.to_be_bytes()),
                11 => buf.extend_from_slice(&flow.dst_port.to_be_bytes()),
                4 => buf.push(flow.protocol.0),
                6 => buf.push(flow.tcp_flags),
                88 => buf.extend_from_slice(&u16::from(flow.fragment).to_be_bytes()),
                197 => buf.push(if flow.fragment { 0x20 } else { 0 }),
                1 | 2 => {
                    let value = if id == 1 { flow.bytes } else { flow.packets };
                    if len == 8 {
                        buf.extend_from_slice(&value.to_be_bytes());
                    } else {
                        buf.extend_from_slice(&saturate32(value).to_be_bytes());
                    }
                }
                152 => buf.extend_from_slice(&flow.first_ms.to_be_bytes()),
                153 => buf.extend_from_slice(&flow.last_ms.to_be_bytes()),
                22 => {
                    let first = self.relative(flow.first_ms);
                    buf.extend_from_slice(&first.to_be_bytes());
                }
                21 => {
                    let last = self.relative(flow.last_ms);
                    buf.extend_from_slice(&last.to_be_bytes());
                }
                34 => buf.extend_from_slice(&self.sampling_rate.to_be_bytes()),
                302 => buf.extend_from_slice(&SAMPLER_ID.to_be_bytes()),
                48 => buf.push(SAMPLER_ID as u8),
                _ => buf.extend(std::iter::repeat_n(0, usize::from(len))),
            }
        }
    }

    fn record_len(&self, ipv6: bool) -> usize {
        self.data_fields(ipv6)
            .iter()
            .map(|(_, len)| usize::from(*len))
            .sum()
    }

    /// A v9 or IPFIX header with placeholders for count/length.
    fn start_message(&mut self, export_ms: u64) -> Vec<u8> {
        let mut buf = Vec::with_capacity(self.max_datagram);
        if self.format == ExportFormat::Ipfix {
            buf.extend_from_slice(&10u16.to_be_bytes());
            buf.extend_from_slice(&0u16.to_be_bytes()); // length, set at the end
            buf.extend_from_slice(&((export_ms / 1000) as u32).to_be_bytes());
            buf.extend_from_slice(&self.sequence.to_be_bytes());
            buf.extend_from_slice(&self.domain.to_be_bytes());
        } else {
            // v9 times are relative to whole seconds: the header has no sub-second field.
            let export_ms = export_ms / 1000 * 1000;
            let uptime = self.uptime_at(export_ms);
            buf.extend_from_slice(&9u16.to_be_bytes());
            buf.extend_from_slice(&0u16.to_be_bytes()); // count, set at the end
            buf.extend_from_slice(&uptime.to_be_bytes());
            buf.extend_from_slice(&((export_ms / 1000) as u32).to_be_bytes());
            buf.extend_from_slice(&self.sequence.to_be_bytes());
            buf.extend_from_slice(&self.domain.to_be_bytes());
        }
        buf
    }

    /// Fills in the count (v9) or length (IPFIX) and advances the sequence number.
    fn finish_message(
        &mut self,
        mut buf: Vec<u8>,
        v9_records: usize,
        data_records: u32,
    ) -> Vec<u8> {
        if self.format == ExportFormat::Ipfix {
            let length = (buf.len() as u16).to_be_bytes();
            buf[2..4].copy_from_slice(&length);
            self.sequence = self.sequence.wrapping_add(data_records);
        } else {
            buf[2..4].copy_from_slice(&(v9_records as u16).to_be_bytes());
            self.sequence = self.sequence.wrapping_add(1);
        }
        buf
    }

    fn templated(&mut self, flows: &[FlowRecord], export_ms: u64) -> Vec<Vec<u8>> {
        let ipfix = self.format == ExportFormat::Ipfix;
        // v9 records are relative to uptime: make sure boot time is fixed before writing them.
        self.uptime_at(export_ms / 1000 * 1000);
        let mut datagrams = Vec::new();
        let mut rest = flows;
        while !rest.is_empty() {
            let mut message = self.start_message(export_ms);
            let mut records = 0usize;
            while let Some(first) = rest.first() {
                let ipv6 = first.src.is_ipv6();
                let record_len = self.record_len(ipv6);
                // One set per run of one address family, as long as it fits.
                let room = self.max_datagram.saturating_sub(message.len() + 4 + 3);
                let fit = (room / record_len).max(usize::from(records == 0));
                let run = rest
                    .iter()
                    .take(fit)
                    .take_while(|flow| flow.src.is_ipv6() == ipv6)
                    .count();
                if run == 0 {
                    break;
                }
                let set_id = if ipv6 { IPV6_TEMPLATE } else { IPV4_TEMPLATE };
                let mut body = Vec::with_capacity(run * record_len);
                for flow in &rest[..run] {
                    self.write_record(&mut body, flow);
                }
                let set = SetWriter::open(&mut message, set_id);
                set.buf.extend_from_slice(&body);
                set.close(!ipfix);
                records += run;
                rest = &rest[run..];
            }
            datagrams.push(self.finish_message(message, records, records as u32));
        }
        datagrams
    }

    fn sflow(&mut self, flows: &[FlowRecord], export_ms: u64) -> Vec<Vec<u8>> {
        let uptime = self.uptime_at(export_ms);
        let mut datagrams = Vec::new();
        let mut rest = flows;
        while !rest.is_empty() {
            let mut buf = Vec::with_capacity(self.max_datagram);
            buf.extend_from_slice(&5u32.to_be_bytes());
            match self.agent {
                IpAddr::V4(agent) => {
                    buf.extend_from_slice(&1u32.to_be_bytes());
                    buf.extend_from_slice(&agent.octets());
                }
                IpAddr::V6(agent) => {
                    buf.extend_from_slice(&2u32.to_be_bytes());
                    buf.extend_from_slice(&agent.octets());
                }
            }
            buf.extend_from_slice(&self.domain.to_be_bytes());
            buf.extend_from_slice(&self.sequence.to_be_bytes());
            buf.extend_from_slice(&uptime.to_be_bytes());
            let count_at = buf.len();
            buf.extend_from_slice(&0u32.to_be_bytes());
            let mut samples = 0u32;
            while let Some(flow) = rest.first() {
                let sample = self.flow_sample(flow);
                if samples > 0 && buf.len() + sample.len() > self.max_datagram {
                    break;
                }
                buf.extend_from_slice(&sample);
                samples += 1;
                rest = &rest[1..];
            }
            buf[count_at..count_at + 4].copy_from_slice(&samples.to_be_bytes());
            self.sequence = self.sequence.wrapping_add(1);
            datagrams.push(buf);
        }
        datagrams
    }

    fn flow_sample(&mut self, flow: &FlowRecord) -> Vec<u8> {
        let header = packet_header(flow, self.vlan);
        let padded = header.len().div_ceil(4) * 4;
        let mut record = Vec::with_capacity(16 + padded);
        record.extend_from_slice(&1u32.to_be_bytes()); // Ethernet
        let frame_length = saturate32(flow.bytes.saturating_add(18));
        record.extend_from_slice(&frame_length.to_be_bytes());
        record.extend_from_slice(&4u32.to_be_bytes()); // FCS stripped
        record.extend_from_slice(&(header.len() as u32).to_be_bytes());
        record.extend_from_slice(&header);
        record.resize(16 + padded, 0);

        self.sample_sequence = self.sample_sequence.wrapping_add(1);
        let rate = flow.sampling_rate.max(self.sampling_rate).max(1);
        let mut sample = Vec::with_capacity(8 + 32 + 8 + record.len());
        sample.extend_from_slice(&1u32.to_be_bytes()); // flow sample
        sample.extend_from_slice(&((32 + 8 + record.len()) as u32).to_be_bytes());
        for word in [
            self.sample_sequence,
            1, // source id: interface 1
            rate,
            self.sample_sequence.wrapping_mul(rate), // sample pool
            0,                                       // drops
            1,                                       // input
            2,                                       // output
            1,                                       // records
            1,                                       // raw packet header
            record.len() as u32,
        ] {
            sample.extend_from_slice(&word.to_be_bytes());
        }
        sample.extend_from_slice(&record);
        sample
    }
}

/// An Ethernet (optionally VLAN-tagged) + IP + TCP/UDP header describing one packet of `flow`.
fn packet_header(flow: &FlowRecord, vlan: Option<u16>) -> Vec<u8> {
    let mut packet = Vec::with_capacity(128);
    packet.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
    if let Some(vlan) = vlan {
        packet.extend_from_slice(&0x8100u16.to_be_bytes());
        packet.extend_from_slice(&vlan.to_be_bytes());
    }
    let protocol = flow.protocol.0;
    let ip_total = u16::try_from(flow.bytes).unwrap_or(u16::MAX);
    match (flow.src, flow.dst) {
        (IpAddr::V6(src), dst) => {
            let dst = match dst {
                IpAddr::V6(dst) => dst,
                IpAddr::V4(dst) => dst.to_ipv6_mapped(),
            };
            packet.extend_from_slice(&0x86ddu16.to_be_bytes());
            packet.extend_from_slice(&[0x60, 0, 0, 0]);
            packet.extend_from_slice(&ip_total.saturating_sub(40).to_be_bytes());
            packet.push(if flow.fragment { 44 } else { protocol });
            packet.push(64);
            packet.extend_from_slice(&src.octets());
            packet.extend_from_slice(&dst.octets());
            if flow.fragment {
                // First fragment: offset 0, more fragments.
                packet.extend_from_slice(&[protocol, 0, 0, 1, 0, 0, 0, 7]);
            }
        }
        (IpAddr::V4(src), dst) => {
            let dst = match dst {
                IpAddr::V4(dst) => dst,
                IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
            };
            packet.extend_from_slice(&0x0800u16.to_be_bytes());
            packet.extend_from_slice(&[0x45, 0]);
            packet.extend_from_slice(&ip_total.to_be_bytes());
            packet.extend_from_slice(&[0, 7]);
            let flags: u16 = if flow.fragment { 0x2000 } else { 0x4000 };
            packet.extend_from_slice(&flags.to_be_bytes());
            packet.extend_from_slice(&[64, protocol, 0, 0]);
            packet.extend_from_slice(&src.octets());
            packet.extend_from_slice(&dst.octets());
        }
    }
    match protocol {
        6 => {
            packet.extend_from_slice(&flow.src_port.to_be_bytes());
            packet.extend_from_slice(&flow.dst_port.to_be_bytes());
            packet.extend_from_slice(&[0; 8]); // sequence, acknowledgement
            packet.extend_from_slice(&[0x50, flow.tcp_flags, 0xff, 0xff, 0, 0, 0, 0]);
        }
        17 => {
            packet.extend_from_slice(&flow.src_port.to_be_bytes());
            packet.extend_from_slice(&flow.dst_port.to_be_bytes());
            packet.extend_from_slice(&[0, 8, 0, 0]);
        }
        _ => packet.extend_from_slice(&[8, 0, 0, 0]), // e.g. an ICMP echo request
    }
    packet
}

/// A set (v9 flowset) being written: header now, length at close.
struct SetWriter<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> SetWriter<'a> {
    fn open(buf: &'a mut Vec<u8>, set_id: u16) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&set_id.to_be_bytes());
        buf.extend_from_slice(&0u16.to_be_bytes());
        SetWriter { buf, start }
    }

    /// Writes the length; v9 pads sets to four bytes.
    fn close(self, pad: bool) {
        if pad {
            while !(self.buf.len() - self.start).is_multiple_of(4) {
                self.buf.push(0);
            }
        }
        let length = ((self.buf.len() - self.start) as u16).to_be_bytes();
        self.buf[self.start + 2..self.start + 4].copy_from_slice(&length);
    }
}

fn address_octets(address: IpAddr) -> Vec<u8> {
    match address {
        IpAddr::V4(address) => address.octets().to_vec(),
        IpAddr::V6(address) => address.octets().to_vec(),
    }
}

fn saturate32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Deterministic synthetic traffic for benchmarks and load generation: `count` flows towards
/// `hosts` distinct destinations (IPv4 in 10.0.0.0/8, and every fourth flow IPv6 in
/// 2001:db8::/32 when `with_ipv6`), mixed TCP/UDP/ICMP, ending shortly before `now_ms`.
pub fn synthetic_flows(
    exporter: IpAddr,
    count: usize,
    hosts: u32,
    with_ipv6: bool,
    now_ms: u64,
) -> Vec<FlowRecord> {
    // xorshift64: reproducible without a dependency.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let hosts = u64::from(hosts.max(1));
    (0..count)
        .map(|index| {
            let random = next();
            let host = (random % hosts) as u32;
            let (src, dst) = if with_ipv6 && index % 4 == 3 {
                let src = std::net::Ipv6Addr::new(
                    0x2001,
                    0xdb8,
                    0xffff,
                    0,
                    0,
                    0,
                    0,
                    (random >> 40) as u16,
                );
                let dst = std::net::Ipv6Addr::new(
                    0x2001,
                    0xdb8,
                    0,
                    0,
                    0,
                    0,
                    (host >> 16) as u16,
                    host as u16,
                );
                (IpAddr::V6(src), IpAddr::V6(dst))
            } else {
                let src = Ipv4Addr::from(0xc633_6400 | ((random >> 32) as u32 & 0xff));
                let dst = Ipv4Addr::from(0x0a00_0000 | (host & 0x00ff_ffff));
                (IpAddr::V4(src), IpAddr::V4(dst))
            };
            let (protocol, tcp_flags) = match random % 10 {
                0..=5 => (
                    crate::Protocol::TCP,
                    if random % 7 == 0 { 0x02 } else { 0x1b },
                ),
                6..=8 => (crate::Protocol::UDP, 0),
                _ => (crate::Protocol::ICMP, 0),
            };
            let icmp = protocol == crate::Protocol::ICMP;
            let packets = 1 + (random >> 48) % 100;
            FlowRecord {
                exporter,
                src,
                dst,
                src_port: if icmp {
                    0
                } else {
                    1024 + (random >> 16) as u16 % 60_000
                },
                dst_port: if icmp {
                    0
                } else {
                    [80, 443, 53, 123, 22][(random >> 8) as usize % 5]
                },
                protocol: if icmp && src.is_ipv6() {
                    crate::Protocol::ICMPV6
                } else {
                    protocol
                },
                tcp_flags,
                packets,
                bytes: packets * (64 + (random >> 24) % 1400),
                sampling_rate: 1,
                fragment: false,
                first_ms: now_ms - 60_000 + (random >> 20) % 30_000,
                last_ms: now_ms - 1_000,
            }
        })
        .collect()
}
