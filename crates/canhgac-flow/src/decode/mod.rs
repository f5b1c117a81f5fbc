//! Decoders from one export datagram to [`FlowRecord`]s: NetFlow v5, NetFlow v9 (RFC 3954),
//! IPFIX (RFC 7011) and sFlow v5 flow samples.
//!
//! A [`Decoder`] keeps what a stream of datagrams teaches: v9/IPFIX templates and sampling
//! options per exporter and observation domain, sequence numbers (to count lost export
//! datagrams), and [`ExporterStats`]. Every size it holds is bounded by [`DecoderLimits`], so a
//! spoofed or broken exporter can fill its own share and nothing more.
//!
//! A v9/IPFIX data set whose template is unknown counts as a template miss; a copy is kept for
//! up to five seconds (at most 32 sets, 64 KiB per exporter) and decoded if the template
//! arrives meanwhile, so the first export after a collector restart is not lost.
//!
//! Malformed input is a [`DecodeError`], counted against the exporter; nothing on the input path
//! panics, and every loop consumes at least four bytes per turn, so none can run forever.
//!
//! ```
//! use canhgac_flow::decode::Decoder;
//! use canhgac_flow::exporter::{ExportFormat, FlowExporter};
//! # use canhgac_flow::{FlowRecord, Protocol};
//! # let flow = FlowRecord { exporter: "192.0.2.1".parse().unwrap(), src: "198.51.100.7".parse().unwrap(),
//! #     dst: "203.0.113.9".parse().unwrap(), src_port: 40000, dst_port: 443, protocol: Protocol::TCP,
//! #     tcp_flags: 2, packets: 1, bytes: 60, sampling_rate: 1, fragment: false,
//! #     first_ms: 1_700_000_000_000, last_ms: 1_700_000_000_500 };
//! let mut exporter = FlowExporter::new(ExportFormat::Ipfix);
//! let datagrams = exporter.datagrams(&[flow], 1_700_000_001_000);
//!
//! let mut decoder = Decoder::default();
//! let mut records = Vec::new();
//! for datagram in &datagrams {
//!     decoder.decode(flow.exporter, 1_700_000_001_000, datagram, &mut records).unwrap();
//! }
//! assert_eq!(records, vec![flow]);
//! ```

mod netflow5;
mod sflow;
mod template;

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::FlowRecord;

use template::{DomainKey, DomainSampling, Template};

/// The export formats the decoders understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FlowFormat {
    /// Cisco NetFlow version 5 (fixed IPv4 records).
    NetflowV5,
    /// NetFlow version 9, RFC 3954 (templates).
    NetflowV9,
    /// IPFIX, RFC 7011 (templates, variable-length fields).
    Ipfix,
    /// sFlow version 5 (sampled packet headers).
    SflowV5,
}

impl FlowFormat {
    /// A small number that keys per-format state (the wire version number).
    fn tag(self) -> u8 {
        match self {
            FlowFormat::NetflowV5 => 5,
            FlowFormat::NetflowV9 => 9,
            FlowFormat::Ipfix => 10,
            FlowFormat::SflowV5 => 55,
        }
    }
}

/// Why a datagram could not be decoded. Messages are Vietnamese first, then English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum DecodeError {
    /// The datagram ends before a structure it announces.
    #[error("gói tin bị cắt: {what} tại byte {at} cần {need} byte, chỉ còn {have} / truncated datagram: {what} at byte {at} needs {need} bytes, {have} left")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Byte offset in the datagram.
        at: usize,
        /// Bytes the structure needs.
        need: usize,
        /// Bytes left in the datagram.
        have: usize,
    },
    /// The version field names no format we decode.
    #[error("phiên bản định dạng không hỗ trợ: {version} / unsupported export version {version}")]
    UnsupportedVersion {
        /// The version number read from the datagram.
        version: u32,
    },
    /// A length field contradicts the datagram or the format.
    #[error("độ dài sai: {what} tại byte {at} có độ dài {length} / bad length: {what} at byte {at} has length {length}")]
    BadLength {
        /// The structure whose length is wrong.
        what: &'static str,
        /// Byte offset in the datagram.
        at: usize,
        /// The length found.
        length: usize,
    },
    /// A template that cannot describe records (zero fields, wrong field size, bad id).
    #[error("template {template_id} không hợp lệ: {problem} / invalid template {template_id}: {problem}")]
    BadTemplate {
        /// The template id.
        template_id: u16,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// An sFlow address type other than IPv4 (1) or IPv6 (2).
    #[error("loại địa chỉ sFlow không hợp lệ: {address_type} / invalid sFlow agent address type {address_type}")]
    BadAddressType {
        /// The type found.
        address_type: u32,
    },
    /// The exporter already holds as many templates as [`DecoderLimits`] allow.
    #[error("quá nhiều template từ một nguồn (giới hạn {limit}) / too many templates from one exporter (limit {limit})")]
    TemplateLimit {
        /// The per-exporter limit.
        limit: usize,
    },
    /// The decoder already tracks as many exporters or observation domains as allowed.
    #[error("quá nhiều nguồn hoặc miền quan sát (giới hạn {limit}) / too many exporters or observation domains (limit {limit})")]
    StateLimit {
        /// The limit reached.
        limit: usize,
    },
}

/// Bounds on what a [`Decoder`] keeps, so that no input grows it without limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderLimits {
    /// Exporters tracked (stats, templates, sequences).
    pub max_exporters: usize,
    /// Templates (data and options) per exporter, over all its observation domains.
    pub max_templates_per_exporter: usize,
    /// Observation domains (sampling tables, sequence counters) per exporter.
    pub max_domains_per_exporter: usize,
}

impl Default for DecoderLimits {
    fn default() -> Self {
        DecoderLimits {
            max_exporters: 4096,
            max_templates_per_exporter: 1024,
            max_domains_per_exporter: 256,
        }
    }
}

/// Counters for one exporter, as read by [`Decoder::stats`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExporterStats {
    /// The exporter's address.
    pub exporter: IpAddr,
    /// The format of its last decoded datagram.
    pub format: Option<FlowFormat>,
    /// Datagrams received from it (decoded or not).
    pub datagrams: u64,
    /// Flow records decoded.
    pub flows: u64,
    /// Datagrams that failed to decode.
    pub decode_errors: u64,
    /// Data sets skipped because their template was not (yet) known.
    pub template_misses: u64,
    /// Breaks in the sequence numbers: each means at least one export datagram was lost.
    pub sequence_gaps: u64,
    /// Export datagrams lost, where the format numbers datagrams (NetFlow v9, sFlow).
    pub lost_datagrams: u64,
    /// Flow records lost, where the format numbers records (NetFlow v5, IPFIX).
    pub lost_records: u64,
    /// Templates currently held for it.
    pub templates: usize,
    /// Collector time of the last datagram, milliseconds since the Unix epoch.
    pub last_seen_ms: u64,
    /// The last decode error, for the exporter health page.
    pub last_error: Option<DecodeError>,
}

impl ExporterStats {
    fn new(exporter: IpAddr) -> Self {
        ExporterStats {
            exporter,
            format: None,
            datagrams: 0,
            flows: 0,
            decode_errors: 0,
            template_misses: 0,
            sequence_gaps: 0,
            lost_datagrams: 0,
            lost_records: 0,
            templates: 0,
            last_seen_ms: 0,
            last_error: None,
        }
    }
}

/// What one successful [`Decoder::decode`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    /// The datagram's format.
    pub format: FlowFormat,
    /// Records appended to the output.
    pub records: usize,
    /// Data sets whose template was unknown.
    pub template_misses: u32,
}

/// Sequence numbers within this distance behind the expected one are late datagrams, not a
/// restart of the exporter.
const REORDER_WINDOW: u32 = 1024;
/// A forward jump larger than this is an exporter restart, not loss.
const MAX_PLAUSIBLE_GAP: u32 = 1 << 24;

/// Expected next sequence number of one exporter stream.
#[derive(Debug, Clone, Copy, Default)]
struct SequenceTrack {
    expected: Option<u32>,
}

impl SequenceTrack {
    /// Observes `sequence`; `advance` is how far this datagram moves the counter (None when
    /// unknown, e.g. IPFIX with a template miss). Returns the units lost before it.
    fn observe(&mut self, sequence: u32, advance: Option<u32>) -> u32 {
        let mut lost = 0;
        if let Some(expected) = self.expected {
            let ahead = sequence.wrapping_sub(expected);
            let behind = expected.wrapping_sub(sequence);
            if behind != 0 && behind <= REORDER_WINDOW {
                // A late datagram: it was counted as lost when the gap opened; keep our place.
                return 0;
            }
            if ahead != 0 && ahead <= MAX_PLAUSIBLE_GAP {
                lost = ahead;
            }
        }
        self.expected = advance.map(|advance| sequence.wrapping_add(advance));
        lost
    }
}

/// Everything the decoder remembers about one exporter.
#[derive(Debug)]
struct ExporterState {
    stats: ExporterStats,
    templates: HashMap<(DomainKey, u16), Template>,
    sampling: HashMap<DomainKey, DomainSampling>,
    sequences: HashMap<DomainKey, SequenceTrack>,
    /// v9/IPFIX data sets waiting briefly for their template.
    pending: Vec<template::PendingSet>,
}

impl ExporterState {
    fn new(exporter: IpAddr) -> Self {
        ExporterState {
            stats: ExporterStats::new(exporter),
            templates: HashMap::new(),
            sampling: HashMap::new(),
            sequences: HashMap::new(),
            pending: Vec::new(),
        }
    }
}

/// Decodes datagrams from many exporters, remembering templates, sampling and sequences.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: DecoderLimits,
    exporters: HashMap<IpAddr, ExporterState>,
    /// Datagrams refused because [`DecoderLimits::max_exporters`] was reached.
    refused: u64,
}

impl Decoder {
    /// A decoder with the given bounds.
    pub fn new(limits: DecoderLimits) -> Self {
        Decoder {
            limits,
            exporters: HashMap::new(),
            refused: 0,
        }
    }

    /// Decodes one datagram received from `exporter` at `received_ms` (collector clock,
    /// milliseconds since the Unix epoch), appending its flows to `out`.
    ///
    /// On error nothing is appended (templates learnt before the fault are kept) and the error
    /// is counted against the exporter.
    pub fn decode(
        &mut self,
        exporter: IpAddr,
        received_ms: u64,
        datagram: &[u8],
        out: &mut Vec<FlowRecord>,
    ) -> Result<Decoded, DecodeError> {
        let limits = self.limits;
        if !self.exporters.contains_key(&exporter) && self.exporters.len() >= limits.max_exporters {
            self.refused += 1;
            return Err(DecodeError::StateLimit {
                limit: limits.max_exporters,
            });
        }
        let state = self
            .exporters
            .entry(exporter)
            .or_insert_with(|| ExporterState::new(exporter));
        state.stats.datagrams += 1;
        state.stats.last_seen_ms = received_ms;
        let start = out.len();
        let context = Context {
            exporter,
            received_ms,
            limits,
        };
        let result = decode_any(state, &context, datagram, out);
        match &result {
            Ok(decoded) => {
                state.stats.format = Some(decoded.format);
                state.stats.flows += decoded.records as u64;
                state.stats.template_misses += u64::from(decoded.template_misses);
            }
            Err(error) => {
                out.truncate(start);
                state.stats.decode_errors += 1;
                state.stats.last_error = Some(error.clone());
            }
        }
        state.stats.templates = state.templates.len();
        result
    }

    /// A snapshot of every exporter's counters, ordered by address.
    pub fn stats(&self) -> Vec<ExporterStats> {
        let mut all: Vec<ExporterStats> = self
            .exporters
            .values()
            .map(|state| state.stats.clone())
            .collect();
        all.sort_by_key(|stats| stats.exporter);
        all
    }

    /// One exporter's counters, if it has sent anything.
    pub fn exporter_stats(&self, exporter: IpAddr) -> Option<ExporterStats> {
        self.exporters
            .get(&exporter)
            .map(|state| state.stats.clone())
    }

    /// Datagrams refused because the decoder already tracked
    /// [`DecoderLimits::max_exporters`] exporters.
    pub fn refused_datagrams(&self) -> u64 {
        self.refused
    }

    /// Forgets an exporter: its templates, sampling, sequences and counters.
    pub fn forget(&mut self, exporter: IpAddr) {
        self.exporters.remove(&exporter);
    }
}

/// Facts about the datagram being decoded that every format needs.
#[derive(Debug, Clone, Copy)]
struct Context {
    exporter: IpAddr,
    received_ms: u64,
    limits: DecoderLimits,
}

impl Context {
    /// A record with the collector's defaults, before the format fills it in.
    fn blank_record(&self) -> FlowRecord {
        let unspecified = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        FlowRecord {
            exporter: self.exporter,
            src: unspecified,
            dst: unspecified,
            src_port: 0,
            dst_port: 0,
            protocol: crate::Protocol(0),
            tcp_flags: 0,
            packets: 0,
            bytes: 0,
            sampling_rate: 1,
            fragment: false,
            first_ms: self.received_ms,
            last_ms: self.received_ms,
        }
    }
}

fn decode_any(
    state: &mut ExporterState,
    context: &Context,
    datagram: &[u8],
    out: &mut Vec<FlowRecord>,
) -> Result<Decoded, DecodeError> {
    let mut reader = Reader::new(datagram);
    let version = reader.u16("version")?;
    match version {
        5 => netflow5::decode(state, context, datagram, out),
        9 => template::decode_netflow9(state, context, datagram, out),
        10 => template::decode_ipfix(state, context, datagram, out),
        // sFlow's version is a 32-bit 5: its first two bytes are zero.
        0 => {
            let version = Reader::new(datagram).u32("version")?;
            if version == 5 {
                sflow::decode(state, context, datagram, out)
            } else {
                Err(DecodeError::UnsupportedVersion { version })
            }
        }
        other => Err(DecodeError::UnsupportedVersion {
            version: u32::from(other),
        }),
    }
}

/// Records a sequence observation for `domain`, creating its tracker within the limit.
fn observe_sequence(
    state: &mut ExporterState,
    context: &Context,
    domain: DomainKey,
    sequence: u32,
    advance: Option<u32>,
    counts_datagrams: bool,
) -> Result<(), DecodeError> {
    let limit = context.limits.max_domains_per_exporter;
    if !state.sequences.contains_key(&domain) && state.sequences.len() >= limit {
        return Err(DecodeError::StateLimit { limit });
    }
    let lost = state
        .sequences
        .entry(domain)
        .or_default()
        .observe(sequence, advance);
    if lost > 0 {
        state.stats.sequence_gaps += 1;
        if counts_datagrams {
            state.stats.lost_datagrams += u64::from(lost);
        } else {
            state.stats.lost_records += u64::from(lost);
        }
    }
    Ok(())
}

/// A bounds-checked big-endian cursor over a datagram.
#[derive(Debug, Clone, Copy)]
struct Reader<'a> {
    data: &'a [u8],
    /// Offset of `data[0]` in the whole datagram, for error messages.
    base: usize,
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            base: 0,
            at: 0,
        }
    }

    fn with_base(data: &'a [u8], base: usize) -> Self {
        Reader { data, base, at: 0 }
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.at
    }

    /// Offset of the cursor in the whole datagram.
    fn position(&self) -> usize {
        self.base + self.at
    }

    fn take(&mut self, what: &'static str, need: usize) -> Result<&'a [u8], DecodeError> {
        match self.data.get(self.at..self.at.saturating_add(need)) {
            Some(bytes) => {
                self.at += need;
                Ok(bytes)
            }
            None => Err(DecodeError::Truncated {
                what,
                at: self.position(),
                need,
                have: self.remaining(),
            }),
        }
    }

    fn skip(&mut self, what: &'static str, need: usize) -> Result<(), DecodeError> {
        self.take(what, need).map(|_| ())
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(what, 1)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        let bytes = self.take(what, 2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let bytes = self.take(what, 4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

/// An unsigned big-endian integer of 1 to 8 bytes (reduced-size encoding, RFC 7011 §6.2);
/// longer inputs keep their last 8 bytes, which template checks rule out anyway.
#[inline]
fn be_uint(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0u64, |value, byte| (value << 8) | u64::from(*byte))
}

/// Converts a router-uptime timestamp to Unix milliseconds, given the uptime at `export_ms`.
/// The difference is read as signed: a flow switched a moment "after" the header's whole
/// second is in the future by that moment, not 49 days in the past.
#[inline]
fn uptime_to_unix_ms(export_ms: u64, sys_uptime: u32, switched: u32) -> u64 {
    let ago = i64::from(sys_uptime.wrapping_sub(switched) as i32);
    export_ms.saturating_add_signed(-ago)
}

/// Ports mean nothing for ICMP: exporters put type and code there, which detectors must not
/// mistake for services.
#[inline]
fn clear_icmp_ports(record: &mut FlowRecord) {
    if record.protocol == crate::Protocol::ICMP || record.protocol == crate::Protocol::ICMPV6 {
        record.src_port = 0;
        record.dst_port = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_tracking_counts_gaps_and_tolerates_late_datagrams_and_restarts() {
        let mut track = SequenceTrack::default();
        assert_eq!(
            track.observe(10, Some(1)),
            0,
            "the first datagram sets the pace"
        );
        assert_eq!(track.observe(11, Some(1)), 0);
        assert_eq!(track.observe(14, Some(1)), 2, "12 and 13 were lost");
        assert_eq!(
            track.observe(13, Some(1)),
            0,
            "a late datagram is not a gap"
        );
        assert_eq!(track.observe(15, Some(1)), 0, "and does not move our place");
        assert_eq!(track.observe(5000, Some(1)), 4984);
        assert_eq!(
            track.observe(0, Some(1)),
            0,
            "a restart from zero is not loss"
        );
        assert_eq!(track.observe(1, Some(1)), 0);
        assert_eq!(
            track.observe(1 << 30, Some(1)),
            0,
            "far jumps resynchronise"
        );
        assert_eq!(track.observe(u32::MAX, Some(1)), 0);
        assert_eq!(track.observe(0, Some(1)), 0, "the counter wraps");
        assert_eq!(track.observe(5, None), 4);
        assert_eq!(
            track.observe(9, Some(1)),
            0,
            "unknown advance resynchronises"
        );
    }

    #[test]
    fn unknown_versions_and_empty_datagrams_are_errors() {
        let mut decoder = Decoder::default();
        let exporter: IpAddr = "192.0.2.1".parse().unwrap();
        let mut out = Vec::new();
        for datagram in [
            &[][..],
            &[0],
            &[0, 7, 0, 0],
            &[0, 0, 0, 4, 1],
            &[0xff, 0xff],
        ] {
            assert!(decoder.decode(exporter, 0, datagram, &mut out).is_err());
        }
        let stats = decoder.exporter_stats(exporter).unwrap();
        assert_eq!((stats.datagrams, stats.decode_errors), (5, 5));
        assert_eq!(
            stats.last_error,
            Some(DecodeError::UnsupportedVersion { version: 65535 })
        );
        assert!(out.is_empty());
    }

    #[test]
    fn exporters_beyond_the_limit_are_refused() {
        let mut decoder = Decoder::new(DecoderLimits {
            max_exporters: 2,
            ..DecoderLimits::default()
        });
        let mut out = Vec::new();
        for last in 1..=3u8 {
            let _ = decoder.decode(IpAddr::from([192, 0, 2, last]), 0, &[0, 5], &mut out);
        }
        assert_eq!(decoder.stats().len(), 2);
        assert_eq!(decoder.refused_datagrams(), 1);
    }
}
