//! Segment files and the blocks inside them: building, framing, reading, recovering.
//!
//! ```text
//! segment file  = "CGEVLOG1" first_seq:u64  frame*
//! frame         = header(32) summary data
//! header        = "CGEB" header_crc:u32 summary_len:u32 data_len:u32 raw_len:u32
//!                 summary_crc:u32 data_crc:u32 codec:u8 reserved:[u8;3]
//!                 (header_crc covers bytes 8..32; CRC-32C is not needed, crc32fast's IEEE CRC)
//! summary       = first_seq:u64 count:u32 min_time max_time max_received (i64 s + u32 ns each)
//!                 unattributed:u8 n_units:u32 unit:i64*n bloom_lines:u32 bloom:[u8; 64*lines]
//! data          = lz4 block (codec 1) of: (length:u32, encoded event)*count
//! ```
//!
//! The summary sits in front of the data so that opening a store reads summaries only, and a
//! search reads just the 64-byte bloom lines it needs before deciding to read a block's data.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use canhgac_model::{Event, Timestamp};

use crate::codec::{self, put_time, put_u32, put_u64, Reader};
use crate::tokens::{self, Tokenizer};

pub(crate) const SEGMENT_MAGIC: &[u8; 8] = b"CGEVLOG1";
pub(crate) const SEGMENT_HEADER: u64 = 16;
const FRAME_MAGIC: &[u8; 4] = b"CGEB";
pub(crate) const FRAME_HEADER: u64 = 32;
const CODEC_LZ4: u8 = 1;
/// No block claims more than this (a corrupt length must not make us allocate gigabytes).
const MAX_SECTION: u32 = 256 << 20;

/// A block encoded and compressed, waiting for its sequence number.
pub(crate) struct PreparedBlock {
    count: u32,
    min_time: Timestamp,
    max_time: Timestamp,
    max_received: Timestamp,
    units: Vec<i64>,
    unattributed: bool,
    bloom_lines: u32,
    /// The summary, with a placeholder for the first sequence number.
    summary: Vec<u8>,
    raw_len: u32,
    data: Vec<u8>,
    data_crc: u32,
}

/// Buffers reused by every block a thread builds.
#[derive(Default)]
pub(crate) struct Scratch {
    tokenizer: Tokenizer,
    raw: Vec<u8>,
    tokens: Vec<u64>,
    counting: Vec<u64>,
}

impl PreparedBlock {
    /// Encodes, indexes and compresses `events` (not empty).
    pub(crate) fn build(events: &[Event], scratch: &mut Scratch) -> Self {
        let Scratch {
            tokenizer,
            raw,
            tokens: toks,
            counting,
        } = scratch;
        raw.clear();
        toks.clear();
        let mut units = Vec::new();
        let mut unattributed = false;
        let mut min_time = Timestamp::MAX;
        let mut max_time = Timestamp::MIN;
        let mut max_received = Timestamp::MIN;
        for e in events {
            let at = raw.len();
            put_u32(raw, 0);
            codec::encode_event(e, raw);
            let len = (raw.len() - at - 4) as u32;
            raw[at..at + 4].copy_from_slice(&len.to_le_bytes());
            tokenizer.event_tokens(e, toks);
            match e.unit_id {
                Some(u) => {
                    if let Err(i) = units.binary_search(&u) {
                        units.insert(i, u);
                    }
                }
                None => unattributed = true,
            }
            min_time = min_time.min(e.time);
            max_time = max_time.max(e.time);
            max_received = max_received.max(e.received);
        }
        let lines = tokens::lines_for(tokens::estimate_distinct(toks, counting));
        let bloom = tokens::build_bloom(toks, lines);
        let mut summary = Vec::with_capacity(64 + units.len() * 8 + bloom.len());
        put_u64(&mut summary, 0);
        put_u32(&mut summary, events.len() as u32);
        put_time(&mut summary, min_time);
        put_time(&mut summary, max_time);
        put_time(&mut summary, max_received);
        summary.push(u8::from(unattributed));
        put_u32(&mut summary, units.len() as u32);
        for u in &units {
            summary.extend_from_slice(&u.to_le_bytes());
        }
        put_u32(&mut summary, lines as u32);
        summary.extend_from_slice(&bloom);
        let data = lz4_flex::block::compress(raw);
        Self {
            count: events.len() as u32,
            min_time,
            max_time,
            max_received,
            units,
            unattributed,
            bloom_lines: lines as u32,
            summary,
            raw_len: raw.len() as u32,
            data_crc: crc32fast::hash(&data),
            data,
        }
    }

    /// Number of events in the block.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Appends the frame to `out` and returns its metadata, placed at file offset `offset`.
    pub(crate) fn frame(&mut self, first_seq: u64, offset: u64, out: &mut Vec<u8>) -> BlockMeta {
        self.summary[..8].copy_from_slice(&first_seq.to_le_bytes());
        let mut header = Vec::with_capacity(FRAME_HEADER as usize);
        header.extend_from_slice(FRAME_MAGIC);
        put_u32(&mut header, 0);
        put_u32(&mut header, self.summary.len() as u32);
        put_u32(&mut header, self.data.len() as u32);
        put_u32(&mut header, self.raw_len);
        put_u32(&mut header, crc32fast::hash(&self.summary));
        put_u32(&mut header, self.data_crc);
        header.extend_from_slice(&[CODEC_LZ4, 0, 0, 0]);
        let header_crc = crc32fast::hash(&header[8..]);
        header[4..8].copy_from_slice(&header_crc.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.summary);
        out.extend_from_slice(&self.data);
        BlockMeta {
            offset,
            summary_len: self.summary.len() as u32,
            data_len: self.data.len() as u32,
            raw_len: self.raw_len,
            data_crc: self.data_crc,
            first_seq,
            count: self.count,
            min_time: self.min_time,
            max_time: self.max_time,
            max_received: self.max_received,
            units: self.units.clone().into_boxed_slice(),
            unattributed: self.unattributed,
            bloom_lines: self.bloom_lines,
        }
    }
}

/// What the index keeps in memory about one block (its bloom stays on disk).
#[derive(Debug, Clone)]
pub(crate) struct BlockMeta {
    pub offset: u64,
    pub summary_len: u32,
    pub data_len: u32,
    pub raw_len: u32,
    pub data_crc: u32,
    pub first_seq: u64,
    pub count: u32,
    pub min_time: Timestamp,
    pub max_time: Timestamp,
    pub max_received: Timestamp,
    pub units: Box<[i64]>,
    pub unattributed: bool,
    pub bloom_lines: u32,
}

impl BlockMeta {
    pub(crate) fn bloom_offset(&self) -> u64 {
        self.data_offset() - u64::from(self.bloom_lines) * tokens::LINE as u64
    }

    pub(crate) fn data_offset(&self) -> u64 {
        self.offset + FRAME_HEADER + u64::from(self.summary_len)
    }

    pub(crate) fn end(&self) -> u64 {
        self.data_offset() + u64::from(self.data_len)
    }

    /// Size of the frame on disk.
    pub(crate) fn bytes(&self) -> u64 {
        self.end() - self.offset
    }

    /// One past the last sequence number.
    pub(crate) fn end_seq(&self) -> u64 {
        self.first_seq + u64::from(self.count)
    }
}

/// Reads and checks the frame at `offset`; `verify_data` also checks the data's CRC.
pub(crate) fn read_frame(
    file: &File,
    offset: u64,
    file_len: u64,
    verify_data: bool,
) -> Result<BlockMeta, String> {
    if offset + FRAME_HEADER > file_len {
        return Err(format!(
            "frame header cut short ({} bytes left)",
            file_len - offset
        ));
    }
    let mut header = [0u8; FRAME_HEADER as usize];
    file.read_exact_at(&mut header, offset)
        .map_err(|e| format!("cannot read frame header: {e}"))?;
    if &header[..4] != FRAME_MAGIC {
        return Err("no frame magic".into());
    }
    let mut r = Reader::new(&header[4..]);
    let header_crc = r.u32()?;
    if crc32fast::hash(&header[8..]) != header_crc {
        return Err("frame header checksum mismatch".into());
    }
    let summary_len = r.u32()?;
    let data_len = r.u32()?;
    let raw_len = r.u32()?;
    let summary_crc = r.u32()?;
    let data_crc = r.u32()?;
    let codec = r.u8()?;
    if codec != CODEC_LZ4 {
        return Err(format!("unknown codec {codec}"));
    }
    if summary_len > MAX_SECTION || data_len > MAX_SECTION || raw_len > MAX_SECTION {
        return Err("frame lengths out of range".into());
    }
    let end = offset + FRAME_HEADER + u64::from(summary_len) + u64::from(data_len);
    if end > file_len {
        return Err(format!(
            "frame of {} bytes cut short at the end of the file",
            end - offset
        ));
    }
    let mut summary = vec![0u8; summary_len as usize];
    file.read_exact_at(&mut summary, offset + FRAME_HEADER)
        .map_err(|e| format!("cannot read block summary: {e}"))?;
    if crc32fast::hash(&summary) != summary_crc {
        return Err("block summary checksum mismatch".into());
    }
    let mut r = Reader::new(&summary);
    let first_seq = r.u64()?;
    let count = r.u32()?;
    let min_time = r.time()?;
    let max_time = r.time()?;
    let max_received = r.time()?;
    let unattributed = r.u8()? != 0;
    let n_units = r.u32()? as usize;
    if n_units * 8 > r.remaining() {
        return Err("unit list longer than the summary".into());
    }
    let mut units = Vec::with_capacity(n_units);
    for _ in 0..n_units {
        units.push(r.i64()?);
    }
    let bloom_lines = r.u32()?;
    if r.remaining() != bloom_lines as usize * tokens::LINE {
        return Err("bloom filter size does not match the summary".into());
    }
    if verify_data {
        let data = read_data_at(
            file,
            offset + FRAME_HEADER + u64::from(summary_len),
            data_len,
        )?;
        if crc32fast::hash(&data) != data_crc {
            return Err("block data checksum mismatch".into());
        }
    }
    Ok(BlockMeta {
        offset,
        summary_len,
        data_len,
        raw_len,
        data_crc,
        first_seq,
        count,
        min_time,
        max_time,
        max_received,
        units: units.into_boxed_slice(),
        unattributed,
        bloom_lines,
    })
}

fn read_data_at(file: &File, offset: u64, len: u32) -> Result<Vec<u8>, String> {
    let mut data = vec![0u8; len as usize];
    file.read_exact_at(&mut data, offset)
        .map_err(|e| format!("cannot read block data: {e}"))?;
    Ok(data)
}

/// Reads, checks and decompresses a block's data into `raw` (reused; `data` is scratch).
pub(crate) fn read_block(
    file: &File,
    meta: &BlockMeta,
    data: &mut Vec<u8>,
    raw: &mut Vec<u8>,
) -> Result<(), String> {
    data.resize(meta.data_len as usize, 0);
    file.read_exact_at(data, meta.data_offset())
        .map_err(|e| format!("cannot read block data: {e}"))?;
    if crc32fast::hash(data) != meta.data_crc {
        return Err("block data checksum mismatch".into());
    }
    raw.resize(meta.raw_len as usize, 0);
    let n = lz4_flex::block::decompress_into(data, raw)
        .map_err(|e| format!("cannot decompress block: {e}"))?;
    if n != raw.len() {
        return Err(format!(
            "block decompressed to {n} bytes, {} expected",
            raw.len()
        ));
    }
    Ok(())
}

/// Splits decompressed block data into its events' encodings.
pub(crate) fn split_events(raw: &[u8], count: u32) -> Result<Vec<&[u8]>, String> {
    let mut r = Reader::new(raw);
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let n = r.u32()? as usize;
        out.push(r.bytes(n)?);
    }
    if r.remaining() != 0 {
        return Err(format!(
            "{} bytes left after the block's events",
            r.remaining()
        ));
    }
    Ok(out)
}

/// Checks the bloom lines of `meta` for every token: false when one is surely absent.
pub(crate) fn bloom_may_contain(
    file: &File,
    meta: &BlockMeta,
    tokens: &[u64],
) -> Result<bool, String> {
    let lines = meta.bloom_lines as usize;
    let base = meta.bloom_offset();
    let mut line = [0u8; tokens::LINE];
    for &t in tokens {
        let at = tokens::line_offset(t, lines);
        file.read_exact_at(&mut line, base + at as u64)
            .map_err(|e| format!("cannot read bloom filter: {e}"))?;
        if !tokens::line_may_contain(&line, t) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What reading a segment found.
pub(crate) struct Scan {
    pub blocks: Vec<BlockMeta>,
    /// Where the last good frame ends (or the header, for a segment without blocks).
    pub valid_end: u64,
    /// Bad regions that were skipped: offset and reason.
    pub problems: Vec<(u64, String)>,
    /// A bad region at the end with nothing good after it: offset and reason (a torn write).
    pub torn_tail: Option<(u64, String)>,
}

/// Reads every frame of a segment. `verify_data` checks data checksums too (for the segment
/// that was being written when the process stopped).
pub(crate) fn scan(file: &File, file_len: u64, verify_data: bool) -> io::Result<Scan> {
    let mut out = Scan {
        blocks: Vec::new(),
        valid_end: SEGMENT_HEADER,
        problems: Vec::new(),
        torn_tail: None,
    };
    let mut offset = SEGMENT_HEADER;
    while offset < file_len {
        match read_frame(file, offset, file_len, verify_data) {
            Ok(meta) => {
                offset = meta.end();
                out.valid_end = offset;
                out.blocks.push(meta);
            }
            Err(reason) => match resync(file, offset + 1, file_len, verify_data)? {
                Some(next) => {
                    out.problems
                        .push((offset, format!("{reason}; skipped {} bytes", next - offset)));
                    offset = next;
                }
                None => {
                    out.torn_tail = Some((offset, reason));
                    break;
                }
            },
        }
    }
    Ok(out)
}

/// Finds the next offset at or after `from` where a good frame starts.
fn resync(file: &File, from: u64, file_len: u64, verify_data: bool) -> io::Result<Option<u64>> {
    const CHUNK: u64 = 1 << 20;
    let mut start = from;
    while start < file_len {
        let len = (file_len - start).min(CHUNK + 3);
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, start)?;
        for (i, w) in buf.windows(4).enumerate() {
            if w == FRAME_MAGIC {
                let at = start + i as u64;
                if read_frame(file, at, file_len, verify_data).is_ok() {
                    return Ok(Some(at));
                }
            }
        }
        start += CHUNK;
    }
    Ok(None)
}

/// Reads a segment file's header; returns its first sequence number.
pub(crate) fn read_segment_header(file: &File, file_len: u64) -> Result<u64, String> {
    if file_len < SEGMENT_HEADER {
        return Err("segment header cut short".into());
    }
    let mut header = [0u8; SEGMENT_HEADER as usize];
    file.read_exact_at(&mut header, 0)
        .map_err(|e| format!("cannot read segment header: {e}"))?;
    if &header[..8] != SEGMENT_MAGIC {
        return Err("not a canhgac event segment (bad magic)".into());
    }
    let mut r = Reader::new(&header[8..]);
    r.u64()
}

/// The header of a new segment starting at `first_seq`.
pub(crate) fn segment_header(first_seq: u64) -> Vec<u8> {
    let mut out = SEGMENT_MAGIC.to_vec();
    put_u64(&mut out, first_seq);
    out
}
