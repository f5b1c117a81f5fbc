//! Template-based formats: NetFlow v9 (RFC 3954) and IPFIX (RFC 7011).
//!
//! A template is compiled once into a list of the fields we read, with their offsets, so a data
//! record costs one pass over a handful of operations and a push; fields we do not use are
//! skipped by offset. Options data records teach the sampling interval of an observation
//! domain (or of one sampler within it); records may also carry their own interval.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{
    be_uint, clear_icmp_ports, observe_sequence, uptime_to_unix_ms, Context, DecodeError, Decoded,
    ExporterState, FlowFormat, Reader,
};
use crate::{FlowRecord, Protocol};

/// (format tag, observation domain / source id): the scope of templates, sampling and sequences.
pub(super) type DomainKey = (u8, u32);

/// Samplers remembered per observation domain.
const MAX_SAMPLERS_PER_DOMAIN: usize = 64;
/// IPFIX marks a variable-length field with this length.
const VARIABLE_LENGTH: u16 = 65535;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

/// The information elements we read; everything else is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Bytes,
    Packets,
    Protocol,
    TcpFlags,
    SrcPort,
    DstPort,
    SrcV4,
    DstV4,
    SrcV6,
    DstV6,
    /// v9 FIRST_SWITCHED / LAST_SWITCHED: sysUptime milliseconds.
    FirstUptime,
    LastUptime,
    StartSecs,
    EndSecs,
    StartMillis,
    EndMillis,
    /// dateTimeMicroseconds / dateTimeNanoseconds: NTP format.
    StartNtp,
    EndNtp,
    /// Microseconds before the IPFIX export time.
    StartDeltaMicros,
    EndDeltaMicros,
    SamplingInterval,
    SamplerRandomInterval,
    SamplerId,
    PacketInterval,
    PacketSpace,
    SamplingSize,
    SamplingPopulation,
    FragmentOffset,
    FragmentFlags,
    Ignored,
}

impl Field {
    fn from_id(id: u16, ipfix: bool) -> Field {
        match (id, ipfix) {
            (1 | 85, _) => Field::Bytes,
            (2 | 86, _) => Field::Packets,
            (4, _) => Field::Protocol,
            (6, _) => Field::TcpFlags,
            (7, _) => Field::SrcPort,
            (11, _) => Field::DstPort,
            (8, _) => Field::SrcV4,
            (12, _) => Field::DstV4,
            (27, _) => Field::SrcV6,
            (28, _) => Field::DstV6,
            // In IPFIX these are relative to systemInitTimeMilliseconds, which we do not track.
            (22, false) => Field::FirstUptime,
            (21, false) => Field::LastUptime,
            (150, true) => Field::StartSecs,
            (151, true) => Field::EndSecs,
            (152, true) => Field::StartMillis,
            (153, true) => Field::EndMillis,
            (154 | 156, true) => Field::StartNtp,
            (155 | 157, true) => Field::EndNtp,
            (158, true) => Field::StartDeltaMicros,
            (159, true) => Field::EndDeltaMicros,
            (34, _) => Field::SamplingInterval,
            (50, _) => Field::SamplerRandomInterval,
            (48, _) | (302, true) => Field::SamplerId,
            (305, true) => Field::PacketInterval,
            (306, true) => Field::PacketSpace,
            (309, true) => Field::SamplingSize,
            (310, true) => Field::SamplingPopulation,
            (88, _) => Field::FragmentOffset,
            (197, true) => Field::FragmentFlags,
            _ => Field::Ignored,
        }
    }

    /// Whether a field of this kind may have `len` bytes.
    fn accepts_length(self, len: u16) -> bool {
        match self {
            Field::Ignored => len > 0,
            Field::SrcV4 | Field::DstV4 => len == 4,
            Field::SrcV6 | Field::DstV6 => len == 16,
            Field::StartNtp | Field::EndNtp => len == 8,
            _ => (1..=8).contains(&len),
        }
    }

    fn is_sampling(self) -> bool {
        matches!(
            self,
            Field::SamplingInterval
                | Field::SamplerRandomInterval
                | Field::SamplerId
                | Field::PacketInterval
                | Field::PacketSpace
                | Field::SamplingSize
                | Field::SamplingPopulation
        )
    }
}

/// One field we read from a fixed-layout record.
#[derive(Debug, Clone, Copy)]
struct Op {
    offset: usize,
    len: usize,
    field: Field,
}

#[derive(Debug, Clone)]
enum Layout {
    /// Every field has a fixed length: records are `record_len` bytes.
    Fixed { record_len: usize, ops: Vec<Op> },
    /// Some field is variable-length (IPFIX): walk every field of every record.
    Variable {
        fields: Vec<(u16, Field)>,
        min_len: usize,
    },
}

/// A compiled data or options template.
#[derive(Debug, Clone)]
pub(super) struct Template {
    layout: Layout,
    options: bool,
    has_sampling: bool,
}

impl Template {
    /// Compiles `(field id, length, enterprise)` triples. v9 options scope fields use their own
    /// numbering and are passed with `skip` set.
    fn compile(
        template_id: u16,
        fields: &[(u16, u16, bool)],
        ipfix: bool,
        options: bool,
    ) -> Result<Template, DecodeError> {
        let bad = |problem| DecodeError::BadTemplate {
            template_id,
            problem,
        };
        if template_id < 256 {
            return Err(bad("id dưới 256 / id below 256"));
        }
        if fields.is_empty() {
            return Err(bad("không có trường / no fields"));
        }
        let mut compiled = Vec::with_capacity(fields.len());
        let mut variable = false;
        for &(id, len, skip) in fields {
            let field = if skip {
                Field::Ignored
            } else {
                Field::from_id(id, ipfix)
            };
            if len == 0 {
                return Err(bad("trường dài 0 byte / zero-length field"));
            }
            if len == VARIABLE_LENGTH && ipfix {
                if field != Field::Ignored {
                    return Err(bad(
                        "trường đã biết có độ dài thay đổi / known field with variable length",
                    ));
                }
                variable = true;
            } else if !field.accepts_length(len) {
                return Err(bad(
                    "độ dài trường không hợp lệ / field length not valid for its type",
                ));
            }
            compiled.push((len, field));
        }
        let has_sampling = compiled.iter().any(|(_, field)| field.is_sampling());
        let layout = if variable {
            let min_len = compiled
                .iter()
                .map(|&(len, _)| {
                    if len == VARIABLE_LENGTH {
                        1
                    } else {
                        usize::from(len)
                    }
                })
                .sum();
            Layout::Variable {
                fields: compiled,
                min_len,
            }
        } else {
            let mut offset = 0;
            let mut ops = Vec::new();
            for (len, field) in compiled {
                if field != Field::Ignored {
                    ops.push(Op {
                        offset,
                        len: usize::from(len),
                        field,
                    });
                }
                offset += usize::from(len);
            }
            Layout::Fixed {
                record_len: offset,
                ops,
            }
        };
        Ok(Template {
            layout,
            options,
            has_sampling,
        })
    }
}

/// Sampling learnt from options data records of one observation domain.
#[derive(Debug, Clone, Default)]
pub(super) struct DomainSampling {
    /// The interval of the last sampler described (0: none yet).
    default_rate: u32,
    by_sampler: Vec<(u64, u32)>,
}

impl DomainSampling {
    fn rate_for(&self, sampler: Option<u64>) -> u32 {
        sampler
            .and_then(|id| {
                self.by_sampler
                    .iter()
                    .find(|(known, _)| *known == id)
                    .map(|(_, rate)| *rate)
            })
            .unwrap_or(self.default_rate)
    }

    fn learn(&mut self, sampler: Option<u64>, rate: u32) {
        self.default_rate = rate;
        if let Some(id) = sampler {
            if let Some(entry) = self.by_sampler.iter_mut().find(|(known, _)| *known == id) {
                entry.1 = rate;
            } else if self.by_sampler.len() < MAX_SAMPLERS_PER_DOMAIN {
                self.by_sampler.push((id, rate));
            }
        }
    }
}

/// Sampling fields found in one record.
#[derive(Debug, Clone, Copy, Default)]
struct RecordSampling {
    interval: u64,
    sampler: Option<u64>,
    packet_interval: u64,
    packet_space: Option<u64>,
    size: u64,
    population: u64,
}

impl RecordSampling {
    /// The `N` of `1:N` sampling the record states itself, if any.
    fn rate(&self) -> Option<u32> {
        let rate = if self.interval > 0 {
            self.interval
        } else if let (true, Some(space)) = (self.packet_interval > 0, self.packet_space) {
            // Select `interval` packets, skip `space`: 1 in (interval + space) / interval.
            self.packet_interval.saturating_add(space) / self.packet_interval
        } else if self.size > 0 && self.population > 0 {
            self.population / self.size
        } else {
            return None;
        };
        Some(u32::try_from(rate).unwrap_or(u32::MAX).max(1))
    }
}

/// Export-time facts for turning record times into Unix milliseconds.
#[derive(Debug, Clone, Copy)]
struct TimeBase {
    export_ms: u64,
    sys_uptime: u32,
}

impl TimeBase {
    fn unix_ms_of_uptime(&self, switched: u64) -> u64 {
        uptime_to_unix_ms(self.export_ms, self.sys_uptime, switched as u32)
    }
}

fn ntp_to_ms(value: u64) -> u64 {
    let secs = (value >> 32).saturating_sub(NTP_UNIX_OFFSET_SECS);
    let fraction_ms = ((value & 0xffff_ffff) * 1000) >> 32;
    secs * 1000 + fraction_ms
}

const FIRST_SET: u8 = 1;
const LAST_SET: u8 = 2;

#[inline]
fn apply(
    field: Field,
    bytes: &[u8],
    flow: &mut FlowRecord,
    time: &TimeBase,
    seen: &mut u8,
    sampling: &mut RecordSampling,
) {
    match field {
        Field::SrcV4 | Field::DstV4 => {
            if let Ok(octets) = <[u8; 4]>::try_from(bytes) {
                let address = IpAddr::V4(Ipv4Addr::from(octets));
                if field == Field::SrcV4 {
                    flow.src = address;
                } else {
                    flow.dst = address;
                }
            }
        }
        Field::SrcV6 | Field::DstV6 => {
            if let Ok(octets) = <[u8; 16]>::try_from(bytes) {
                let address = IpAddr::V6(Ipv6Addr::from(octets));
                if field == Field::SrcV6 {
                    flow.src = address;
                } else {
                    flow.dst = address;
                }
            }
        }
        _ => {
            let value = be_uint(bytes);
            match field {
                Field::Bytes => flow.bytes = value,
                Field::Packets => flow.packets = value,
                Field::Protocol => flow.protocol = Protocol(value as u8),
                // tcpControlBits may be two bytes; the classic flags are the low byte.
                Field::TcpFlags => flow.tcp_flags = value as u8,
                Field::SrcPort => flow.src_port = value as u16,
                Field::DstPort => flow.dst_port = value as u16,
                Field::FirstUptime => set_first(flow, seen, time.unix_ms_of_uptime(value)),
                Field::LastUptime => set_last(flow, seen, time.unix_ms_of_uptime(value)),
                Field::StartSecs => set_first(flow, seen, value.saturating_mul(1000)),
                Field::EndSecs => set_last(flow, seen, value.saturating_mul(1000)),
                Field::StartMillis => set_first(flow, seen, value),
                Field::EndMillis => set_last(flow, seen, value),
                Field::StartNtp => set_first(flow, seen, ntp_to_ms(value)),
                Field::EndNtp => set_last(flow, seen, ntp_to_ms(value)),
                Field::StartDeltaMicros => {
                    set_first(flow, seen, time.export_ms.saturating_sub(value / 1000))
                }
                Field::EndDeltaMicros => {
                    set_last(flow, seen, time.export_ms.saturating_sub(value / 1000))
                }
                Field::SamplingInterval => sampling.interval = value,
                Field::SamplerRandomInterval => sampling.interval = value,
                Field::SamplerId => sampling.sampler = Some(value),
                Field::PacketInterval => sampling.packet_interval = value,
                Field::PacketSpace => sampling.packet_space = Some(value),
                Field::SamplingSize => sampling.size = value,
                Field::SamplingPopulation => sampling.population = value,
                Field::FragmentOffset => flow.fragment |= value & 0x1fff != 0,
                // fragmentFlags mirrors the IPv4 flags: 0x20 is "more fragments".
                Field::FragmentFlags => flow.fragment |= value & 0x20 != 0,
                _ => {}
            }
        }
    }
}

#[inline]
fn set_first(flow: &mut FlowRecord, seen: &mut u8, ms: u64) {
    flow.first_ms = ms;
    *seen |= FIRST_SET;
}

#[inline]
fn set_last(flow: &mut FlowRecord, seen: &mut u8, ms: u64) {
    flow.last_ms = ms;
    *seen |= LAST_SET;
}

/// Finishes a data record: one-sided times, sampling, ICMP ports.
#[inline]
fn finish(
    flow: &mut FlowRecord,
    seen: u8,
    sampling: &RecordSampling,
    domain: Option<&DomainSampling>,
) {
    if seen == FIRST_SET {
        flow.last_ms = flow.first_ms;
    } else if seen == LAST_SET {
        flow.first_ms = flow.last_ms;
    }
    let rate = sampling.rate().unwrap_or_else(|| {
        domain
            .map(|domain| domain.rate_for(sampling.sampler))
            .unwrap_or(0)
    });
    flow.sampling_rate = rate.max(1);
    clear_icmp_ports(flow);
}

/// Receives the fields of each record of a data set, then the end of the record.
trait RecordVisitor {
    fn field(&mut self, field: Field, bytes: &[u8]);
    fn end_record(&mut self);
}

/// Walks every record of a data set body; returns the record count.
fn for_each_record<V: RecordVisitor>(
    template: &Template,
    body: &[u8],
    at: usize,
    visitor: &mut V,
) -> Result<u32, DecodeError> {
    let mut count = 0u32;
    match &template.layout {
        Layout::Fixed { record_len, ops } => {
            for record in body.chunks_exact(*record_len) {
                for op in ops {
                    if let Some(bytes) = record.get(op.offset..op.offset + op.len) {
                        visitor.field(op.field, bytes);
                    }
                }
                visitor.end_record();
                count += 1;
            }
        }
        Layout::Variable { fields, min_len } => {
            let mut reader = Reader::with_base(body, at);
            while reader.remaining() >= *min_len {
                // Check the whole record's lengths first so a bad one fails before any use.
                let mut check = reader;
                for &(len, _) in fields {
                    let len = variable_field_length(&mut check, len)?;
                    check.skip("IPFIX field", len)?;
                }
                for &(len, field) in fields {
                    let len = variable_field_length(&mut reader, len)?;
                    let bytes = reader.take("IPFIX field", len)?;
                    if field != Field::Ignored {
                        visitor.field(field, bytes);
                    }
                }
                visitor.end_record();
                count += 1;
            }
        }
    }
    Ok(count)
}

/// The length of the next field: the template's, or the RFC 7011 §7 length prefix.
fn variable_field_length(reader: &mut Reader<'_>, len: u16) -> Result<usize, DecodeError> {
    if len != VARIABLE_LENGTH {
        return Ok(usize::from(len));
    }
    let short = reader.u8("variable-length field")?;
    if short == 255 {
        Ok(usize::from(reader.u16("variable-length field")?))
    } else {
        Ok(usize::from(short))
    }
}

/// Turns data records into flows.
struct FlowVisitor<'a> {
    blank: &'a FlowRecord,
    time: &'a TimeBase,
    domain: Option<&'a DomainSampling>,
    out: &'a mut Vec<FlowRecord>,
    flow: FlowRecord,
    seen: u8,
    sampling: RecordSampling,
}

impl RecordVisitor for FlowVisitor<'_> {
    #[inline]
    fn field(&mut self, field: Field, bytes: &[u8]) {
        apply(
            field,
            bytes,
            &mut self.flow,
            self.time,
            &mut self.seen,
            &mut self.sampling,
        );
    }

    #[inline]
    fn end_record(&mut self) {
        finish(&mut self.flow, self.seen, &self.sampling, self.domain);
        self.out.push(self.flow);
        self.flow = *self.blank;
        self.seen = 0;
        self.sampling = RecordSampling::default();
    }
}

/// Learns sampling intervals from options data records.
struct SamplingVisitor<'a> {
    blank: &'a FlowRecord,
    time: &'a TimeBase,
    domain: &'a mut DomainSampling,
    scratch: FlowRecord,
    seen: u8,
    sampling: RecordSampling,
}

impl RecordVisitor for SamplingVisitor<'_> {
    fn field(&mut self, field: Field, bytes: &[u8]) {
        apply(
            field,
            bytes,
            &mut self.scratch,
            self.time,
            &mut self.seen,
            &mut self.sampling,
        );
    }

    fn end_record(&mut self) {
        if let Some(rate) = self.sampling.rate() {
            self.domain.learn(self.sampling.sampler, rate);
        }
        self.scratch = *self.blank;
        self.seen = 0;
        self.sampling = RecordSampling::default();
    }
}

fn insert_template(
    state: &mut ExporterState,
    context: &Context,
    key: (DomainKey, u16),
    template: Template,
) -> Result<(), DecodeError> {
    let limit = context.limits.max_templates_per_exporter;
    if !state.templates.contains_key(&key) && state.templates.len() >= limit {
        return Err(DecodeError::TemplateLimit { limit });
    }
    state.templates.insert(key, template);
    Ok(())
}

/// Decodes a data set (data or options) whose template is known; `None` when it is not.
#[allow(clippy::too_many_arguments)]
fn decode_data_set(
    state: &mut ExporterState,
    context: &Context,
    domain: DomainKey,
    set_id: u16,
    body: &[u8],
    at: usize,
    blank: &FlowRecord,
    time: &TimeBase,
    out: &mut Vec<FlowRecord>,
) -> Result<Option<u32>, DecodeError> {
    let ExporterState {
        templates,
        sampling,
        ..
    } = state;
    let Some(template) = templates.get(&(domain, set_id)) else {
        return Ok(None);
    };
    if template.options {
        if !template.has_sampling {
            return for_each_record(template, body, at, &mut IgnoreRecords).map(Some);
        }
        let limit = context.limits.max_domains_per_exporter;
        if !sampling.contains_key(&domain) && sampling.len() >= limit {
            return Err(DecodeError::StateLimit { limit });
        }
        let mut visitor = SamplingVisitor {
            blank,
            time,
            domain: sampling.entry(domain).or_default(),
            scratch: *blank,
            seen: 0,
            sampling: RecordSampling::default(),
        };
        for_each_record(template, body, at, &mut visitor).map(Some)
    } else {
        if let Layout::Fixed { record_len, .. } = template.layout {
            out.reserve(body.len() / record_len);
        }
        let mut visitor = FlowVisitor {
            blank,
            time,
            domain: sampling.get(&domain),
            out,
            flow: *blank,
            seen: 0,
            sampling: RecordSampling::default(),
        };
        for_each_record(template, body, at, &mut visitor).map(Some)
    }
}

/// Options records that say nothing about sampling still count for IPFIX sequence numbers.
struct IgnoreRecords;

impl RecordVisitor for IgnoreRecords {
    fn field(&mut self, _field: Field, _bytes: &[u8]) {}
    fn end_record(&mut self) {}
}

/// How long a data set waits for its template.
const PENDING_FOR_MS: u64 = 5_000;
/// Data sets kept per exporter while their templates are missing, and their total size.
const MAX_PENDING_SETS: usize = 32;
const MAX_PENDING_BYTES: usize = 64 * 1024;

/// A data set that arrived before its template: routers send templates only every few
/// seconds or minutes, so the first data after a collector (re)start would otherwise be lost.
#[derive(Debug, Clone)]
pub(super) struct PendingSet {
    domain: DomainKey,
    set_id: u16,
    body: Vec<u8>,
    body_at: usize,
    time: TimeBase,
    received_ms: u64,
}

/// Keeps a copy of a data set whose template is unknown, within the per-exporter bounds.
fn keep_pending(
    state: &mut ExporterState,
    context: &Context,
    domain: DomainKey,
    set_id: u16,
    body: &[u8],
    body_at: usize,
    time: TimeBase,
) {
    let now = context.received_ms;
    state
        .pending
        .retain(|pending| now.saturating_sub(pending.received_ms) <= PENDING_FOR_MS);
    let held: usize = state.pending.iter().map(|pending| pending.body.len()).sum();
    if state.pending.len() >= MAX_PENDING_SETS || held + body.len() > MAX_PENDING_BYTES {
        return;
    }
    state.pending.push(PendingSet {
        domain,
        set_id,
        body: body.to_vec(),
        body_at,
        time,
        received_ms: now,
    });
}

/// Decodes kept data sets of `domain` whose template has now arrived; drops expired ones.
/// A kept set that turns out malformed is dropped without output.
fn replay_pending(
    state: &mut ExporterState,
    context: &Context,
    domain: DomainKey,
    out: &mut Vec<FlowRecord>,
) {
    if state.pending.is_empty() {
        return;
    }
    let now = context.received_ms;
    let pending = std::mem::take(&mut state.pending);
    for set in pending {
        if now.saturating_sub(set.received_ms) > PENDING_FOR_MS {
            continue;
        }
        if set.domain != domain || !state.templates.contains_key(&(domain, set.set_id)) {
            state.pending.push(set);
            continue;
        }
        let mut blank = context.blank_record();
        blank.first_ms = set.received_ms;
        blank.last_ms = set.received_ms;
        let before = out.len();
        let decoded = decode_data_set(
            state,
            context,
            domain,
            set.set_id,
            &set.body,
            set.body_at,
            &blank,
            &set.time,
            out,
        );
        if decoded.is_err() {
            out.truncate(before);
        }
    }
}

/// Reads a set header; returns (set id, body, body offset).
fn read_set<'a>(
    reader: &mut Reader<'a>,
    what: &'static str,
) -> Result<(u16, &'a [u8], usize), DecodeError> {
    let at = reader.position();
    let set_id = reader.u16(what)?;
    let length = usize::from(reader.u16(what)?);
    if length < 4 {
        return Err(DecodeError::BadLength { what, at, length });
    }
    if length - 4 > reader.remaining() {
        return Err(DecodeError::BadLength { what, at, length });
    }
    let body_at = reader.position();
    let body = reader.take(what, length - 4)?;
    Ok((set_id, body, body_at))
}

pub(super) fn decode_netflow9(
    state: &mut ExporterState,
    context: &Context,
    datagram: &[u8],
    out: &mut Vec<FlowRecord>,
) -> Result<Decoded, DecodeError> {
    let mut reader = Reader::new(datagram);
    reader.skip("v9 header", 20)?;
    let mut header = Reader::new(datagram);
    header.skip("version", 2)?;
    let _count = header.u16("v9 count")?;
    let sys_uptime = header.u32("v9 sysUptime")?;
    let unix_secs = header.u32("v9 unix_secs")?;
    let sequence = header.u32("v9 sequence")?;
    let source_id = header.u32("v9 source id")?;
    let domain = (FlowFormat::NetflowV9.tag(), source_id);
    let time = TimeBase {
        export_ms: u64::from(unix_secs) * 1000,
        sys_uptime,
    };
    let blank = context.blank_record();
    let start = out.len();
    let mut misses = 0u32;
    let mut fields = Vec::new();
    // A flowset is at least 4 bytes; fewer trailing bytes are padding.
    while reader.remaining() >= 4 {
        let (set_id, body, body_at) = read_set(&mut reader, "v9 flowset")?;
        match set_id {
            0 => {
                let mut set = Reader::with_base(body, body_at);
                while set.remaining() >= 4 {
                    let template_id = set.u16("v9 template")?;
                    let count = set.u16("v9 template")?;
                    fields.clear();
                    for _ in 0..count {
                        let id = set.u16("v9 template field")?;
                        let len = set.u16("v9 template field")?;
                        fields.push((id, len, false));
                    }
                    let template = Template::compile(template_id, &fields, false, false)?;
                    insert_template(state, context, (domain, template_id), template)?;
                }
            }
            1 => {
                let mut set = Reader::with_base(body, body_at);
                while set.remaining() >= 6 {
                    let template_id = set.u16("v9 options template")?;
                    let scope_len = usize::from(set.u16("v9 options template")?);
                    let option_len = usize::from(set.u16("v9 options template")?);
                    if scope_len % 4 != 0 || option_len % 4 != 0 {
                        return Err(DecodeError::BadLength {
                            what: "v9 options template",
                            at: set.position(),
                            length: scope_len + option_len,
                        });
                    }
                    fields.clear();
                    for index in 0..(scope_len + option_len) / 4 {
                        let id = set.u16("v9 options field")?;
                        let len = set.u16("v9 options field")?;
                        // Scope field types (system, interface, ...) are not element ids.
                        fields.push((id, len, index < scope_len / 4));
                    }
                    let template = Template::compile(template_id, &fields, false, true)?;
                    insert_template(state, context, (domain, template_id), template)?;
                }
            }
            2..=255 => {}
            _ => match decode_data_set(
                state, context, domain, set_id, body, body_at, &blank, &time, out,
            )? {
                Some(_) => {}
                None => {
                    misses += 1;
                    keep_pending(state, context, domain, set_id, body, body_at, time);
                }
            },
        }
    }
    replay_pending(state, context, domain, out);
    observe_sequence(state, context, domain, sequence, Some(1), true)?;
    Ok(Decoded {
        format: FlowFormat::NetflowV9,
        records: out.len() - start,
        template_misses: misses,
    })
}

pub(super) fn decode_ipfix(
    state: &mut ExporterState,
    context: &Context,
    datagram: &[u8],
    out: &mut Vec<FlowRecord>,
) -> Result<Decoded, DecodeError> {
    let mut header = Reader::new(datagram);
    header.skip("IPFIX header", 16)?;
    let mut header = Reader::new(datagram);
    header.skip("version", 2)?;
    let length = usize::from(header.u16("IPFIX length")?);
    let export_secs = header.u32("IPFIX export time")?;
    let sequence = header.u32("IPFIX sequence")?;
    let observation_domain = header.u32("IPFIX observation domain")?;
    if length != datagram.len() {
        return Err(DecodeError::BadLength {
            what: "IPFIX message",
            at: 2,
            length,
        });
    }
    let domain = (FlowFormat::Ipfix.tag(), observation_domain);
    let time = TimeBase {
        export_ms: u64::from(export_secs) * 1000,
        sys_uptime: 0,
    };
    let blank = context.blank_record();
    let start = out.len();
    let mut data_records = 0u32;
    let mut misses = 0u32;
    let mut fields = Vec::new();
    let mut reader = Reader::with_base(&datagram[16..], 16);
    while reader.remaining() > 0 {
        let (set_id, body, body_at) = read_set(&mut reader, "IPFIX set")?;
        match set_id {
            2 | 3 => {
                let options = set_id == 3;
                let mut set = Reader::with_base(body, body_at);
                while set.remaining() >= 4 {
                    let rest = &body[set.at..];
                    let template_id = set.u16("IPFIX template")?;
                    let count = set.u16("IPFIX template")?;
                    if count == 0 {
                        if template_id == set_id {
                            // Withdraw every template of this kind in the domain.
                            state.templates.retain(|(key_domain, _), template| {
                                *key_domain != domain || template.options != options
                            });
                        } else if template_id >= 256 {
                            state.templates.remove(&(domain, template_id));
                        } else if rest.iter().all(|byte| *byte == 0) {
                            break; // padding
                        } else {
                            return Err(DecodeError::BadTemplate {
                                template_id,
                                problem: "rút template không hợp lệ / invalid withdrawal",
                            });
                        }
                        continue;
                    }
                    if options {
                        let scope_count = set.u16("IPFIX options template")?;
                        if scope_count == 0 || scope_count > count {
                            return Err(DecodeError::BadTemplate {
                                template_id,
                                problem: "số trường phạm vi sai / bad scope field count",
                            });
                        }
                    }
                    fields.clear();
                    for _ in 0..count {
                        let raw_id = set.u16("IPFIX template field")?;
                        let len = set.u16("IPFIX template field")?;
                        let enterprise = raw_id & 0x8000 != 0;
                        if enterprise {
                            set.skip("IPFIX enterprise number", 4)?;
                        }
                        fields.push((raw_id & 0x7fff, len, enterprise));
                    }
                    let template = Template::compile(template_id, &fields, true, options)?;
                    insert_template(state, context, (domain, template_id), template)?;
                }
            }
            0..=255 => {}
            _ => match decode_data_set(
                state, context, domain, set_id, body, body_at, &blank, &time, out,
            )? {
                Some(count) => data_records = data_records.wrapping_add(count),
                None => {
                    misses += 1;
                    keep_pending(state, context, domain, set_id, body, body_at, time);
                }
            },
        }
    }
    replay_pending(state, context, domain, out);
    // IPFIX numbers data records (options records included); after a miss we cannot know how
    // many this message held, so the next message resynchronises.
    let advance = (misses == 0).then_some(data_records);
    observe_sequence(state, context, domain, sequence, advance, false)?;
    Ok(Decoded {
        format: FlowFormat::Ipfix,
        records: out.len() - start,
        template_misses: misses,
    })
}
