//! Import of the Pwned Passwords download format into a breached-password file.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::set::SetWriter;
use crate::{
    HashKind, LineReader, MalformedLine, MalformedReason, PasswordsError, MAX_REPORTED_MALFORMED,
};

/// Longest line read whole: a hash, a colon and a count fit well within it.
const MAX_LINE: usize = 128;

/// Tuning of an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Memory for one sorted chunk when the input is not sorted (default 64 MiB).
    pub chunk_bytes: usize,
    /// Call the progress callback every this many lines.
    pub progress_every: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            chunk_bytes: 64 << 20,
            progress_every: 1 << 20,
        }
    }
}

/// Where an import is.
#[derive(Debug, Clone, Copy)]
pub struct ImportProgress {
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Malformed lines so far.
    pub malformed: u64,
}

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    /// The hash kind imported.
    pub kind: HashKind,
    /// Lines read (blank lines included).
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Distinct hashes written.
    pub records: u64,
    /// Lines repeating a hash already seen (their counts were added).
    pub duplicates: u64,
    /// Lines skipped as malformed.
    pub malformed: u64,
    /// The first malformed lines, by number and reason.
    pub first_malformed: Vec<MalformedLine>,
    /// Whether the input was already sorted (written straight through, no external sort).
    pub sorted_input: bool,
    /// Sorted runs merged when the input was not sorted.
    pub runs: usize,
    /// Size of the written file in bytes.
    pub file_size: u64,
    /// Wall time of the import.
    #[serde(skip)]
    pub elapsed: Duration,
}

/// An in-memory record; NTLM hashes are padded with zeros, which keeps the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Record {
    hash: [u8; 20],
    count: u32,
}

/// [`import_with`] with default options and no progress.
pub fn import(
    reader: impl BufRead,
    kind: HashKind,
    out: &Path,
) -> Result<ImportReport, PasswordsError> {
    import_with(reader, kind, out, &ImportOptions::default(), |_| {})
}

/// Reads `HASH:COUNT` lines (hex in either case, `\r\n` accepted) and writes the sorted file at
/// `out`, all or nothing: the file appears (replacing any old one) only once complete.
///
/// Sorted input (the official download is) is written as it streams; when a line comes out of
/// order, what was written becomes the first sorted run, the rest is sorted in chunks of
/// `chunk_bytes` into temporary runs beside `out`, and the runs are merged. Repeated hashes are
/// merged, adding their counts. Malformed lines are counted and the first ones named.
pub fn import_with(
    reader: impl BufRead,
    kind: HashKind,
    out: &Path,
    options: &ImportOptions,
    mut progress: impl FnMut(&ImportProgress),
) -> Result<ImportReport, PasswordsError> {
    let started = Instant::now();
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".canhgac-import-")
        .tempfile_in(dir)
        .map_err(|e| PasswordsError::io(dir, e))?;
    let temp_file = temp
        .as_file()
        .try_clone()
        .map_err(|e| PasswordsError::io(temp.path(), e))?;
    let mut writer = Some(SetWriter::new(temp_file, kind, temp.path())?);
    let mut report = ImportReport {
        kind,
        lines: 0,
        bytes: 0,
        records: 0,
        duplicates: 0,
        malformed: 0,
        first_malformed: Vec::new(),
        sorted_input: true,
        runs: 0,
        file_size: 0,
        elapsed: Duration::ZERO,
    };
    let mut sorter: Option<RunSorter> = None;
    let mut pending: Option<Record> = None;
    let mut lines = LineReader::new(reader, MAX_LINE);
    while let Some(line) = lines.next_line()? {
        report.lines = line.number;
        report.bytes += line.consumed;
        if options.progress_every > 0 && line.number % options.progress_every == 0 {
            progress(&ImportProgress {
                lines: report.lines,
                bytes: report.bytes,
                malformed: report.malformed,
            });
        }
        let record = if line.too_long {
            Err(MalformedReason::TooLong)
        } else if line.bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            parse_line(line.bytes, kind)
        };
        let record = match record {
            Ok(record) => record,
            Err(reason) => {
                report.malformed += 1;
                if report.first_malformed.len() < MAX_REPORTED_MALFORMED {
                    report.first_malformed.push(MalformedLine {
                        line: line.number,
                        reason,
                    });
                }
                continue;
            }
        };
        if let Some(sorter) = &mut sorter {
            sorter.push(record)?;
            continue;
        }
        let Some(last) = &mut pending else {
            pending = Some(record);
            continue;
        };
        match record.hash.cmp(&last.hash) {
            std::cmp::Ordering::Equal => {
                report.duplicates += 1;
                last.count = last.count.saturating_add(record.count);
            }
            std::cmp::Ordering::Greater => {
                let w = writer
                    .as_mut()
                    .expect("the writer lives until the input is unsorted");
                w.push(&last.hash[..kind.hash_len()], last.count)?;
                *last = record;
            }
            std::cmp::Ordering::Less => {
                // Out of order: what is written so far is the first sorted run.
                report.sorted_input = false;
                let mut w = writer
                    .take()
                    .expect("the writer lives until the input is unsorted");
                if let Some(last) = pending.take() {
                    w.push(&last.hash[..kind.hash_len()], last.count)?;
                }
                let count = w.count();
                let (file, _) = w.finish()?;
                let mut s = RunSorter::new(kind, dir, options.chunk_bytes);
                s.runs
                    .push(Run::new(file, crate::set::records_start(), count, kind));
                s.push(record)?;
                sorter = Some(s);
            }
        }
    }
    let (file_size, records) = match sorter {
        None => {
            let mut w = writer
                .take()
                .expect("the writer lives until the input is unsorted");
            if let Some(last) = pending {
                w.push(&last.hash[..kind.hash_len()], last.count)?;
            }
            let records = w.count();
            if records == 0 {
                return Err(PasswordsError::Empty {
                    kind,
                    malformed: report.malformed,
                    first_malformed: report.first_malformed,
                });
            }
            let (_, size) = w.finish()?;
            temp.persist(out)
                .map_err(|e| PasswordsError::io(out, e.error))?;
            (size, records)
        }
        Some(mut sorter) => {
            sorter.spill()?;
            report.runs = sorter.runs.len();
            let merged = tempfile::Builder::new()
                .prefix(".canhgac-import-")
                .tempfile_in(dir)
                .map_err(|e| PasswordsError::io(dir, e))?;
            let file = merged
                .as_file()
                .try_clone()
                .map_err(|e| PasswordsError::io(merged.path(), e))?;
            let mut w = SetWriter::new(file, kind, merged.path())?;
            report.duplicates += sorter.merge_into(&mut w)?;
            let records = w.count();
            let (_, size) = w.finish()?;
            merged
                .persist(out)
                .map_err(|e| PasswordsError::io(out, e.error))?;
            drop(temp);
            (size, records)
        }
    };
    report.records = records;
    report.file_size = file_size;
    report.elapsed = started.elapsed();
    Ok(report)
}

fn parse_line(bytes: &[u8], kind: HashKind) -> Result<Record, MalformedReason> {
    let colon = bytes
        .iter()
        .position(|&b| b == b':')
        .ok_or(MalformedReason::BadCount)?;
    let (hash_text, count_text) = (trim(&bytes[..colon]), trim(&bytes[colon + 1..]));
    if hash_text.len() != kind.hash_len() * 2 {
        return Err(MalformedReason::WrongLength);
    }
    let mut hash = [0u8; 20];
    // Table lookups without a branch per digit: the hot loop of an import.
    let mut invalid = 0u8;
    for (i, pair) in hash_text.chunks_exact(2).enumerate() {
        let (high, low) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
        invalid |= high | low;
        hash[i] = high << 4 | low;
    }
    if invalid & 0x80 != 0 {
        return Err(MalformedReason::NotHex);
    }
    if count_text.is_empty() || !count_text.iter().all(u8::is_ascii_digit) {
        return Err(MalformedReason::BadCount);
    }
    // A count beyond u32 still means "very often": keep the largest.
    let count = count_text.iter().fold(0u32, |n, d| {
        n.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    });
    Ok(Record { hash, count })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}

/// Hex digit values; 0xff marks a byte that is not a hex digit.
static HEX: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// A sorted run on disk: raw records from `start`.
struct Run {
    reader: BufReader<File>,
    remaining: u64,
    hash_len: usize,
    start: u64,
}

impl Run {
    fn new(file: File, start: u64, count: u64, kind: HashKind) -> Self {
        Run {
            reader: BufReader::with_capacity(256 << 10, file),
            remaining: count,
            hash_len: kind.hash_len(),
            start,
        }
    }

    fn next(&mut self) -> std::io::Result<Option<Record>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        let mut record = Record {
            hash: [0; 20],
            count: 0,
        };
        self.reader.read_exact(&mut record.hash[..self.hash_len])?;
        let mut count = [0u8; 4];
        self.reader.read_exact(&mut count)?;
        record.count = u32::from_le_bytes(count);
        Ok(Some(record))
    }
}

/// External sort: chunks sorted in memory, spilled as runs, merged.
struct RunSorter {
    kind: HashKind,
    dir: std::path::PathBuf,
    chunk: Vec<Record>,
    chunk_records: usize,
    runs: Vec<Run>,
}

impl RunSorter {
    fn new(kind: HashKind, dir: &Path, chunk_bytes: usize) -> Self {
        let chunk_records = (chunk_bytes / std::mem::size_of::<Record>()).max(1);
        RunSorter {
            kind,
            dir: dir.to_path_buf(),
            chunk: Vec::with_capacity(chunk_records.min(1 << 20)),
            chunk_records,
            runs: Vec::new(),
        }
    }

    fn push(&mut self, record: Record) -> Result<(), PasswordsError> {
        self.chunk.push(record);
        if self.chunk.len() >= self.chunk_records {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the chunk and writes it as a run (repeats within the chunk are merged at the merge).
    fn spill(&mut self) -> Result<(), PasswordsError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        self.chunk.sort_unstable();
        let io = |e| PasswordsError::io(&self.dir, e);
        let file = tempfile::tempfile_in(&self.dir).map_err(io)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let hash_len = self.kind.hash_len();
        for r in &self.chunk {
            out.write_all(&r.hash[..hash_len]).map_err(io)?;
            out.write_all(&r.count.to_le_bytes()).map_err(io)?;
        }
        let mut file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let count = self.chunk.len() as u64;
        self.runs.push(Run::new(file, 0, count, self.kind));
        self.chunk.clear();
        Ok(())
    }

    /// Merges every run into `w`, adding the counts of repeated hashes; returns the repeats.
    fn merge_into(&mut self, w: &mut SetWriter) -> Result<u64, PasswordsError> {
        let io = |e| PasswordsError::io(&self.dir, e);
        let mut heap = BinaryHeap::with_capacity(self.runs.len());
        for (i, run) in self.runs.iter_mut().enumerate() {
            run.reader.seek(SeekFrom::Start(run.start)).map_err(io)?;
            if let Some(r) = run.next().map_err(io)? {
                heap.push(Reverse((r, i)));
            }
        }
        let hash_len = self.kind.hash_len();
        let mut duplicates = 0;
        let mut pending: Option<Record> = None;
        while let Some(Reverse((record, i))) = heap.pop() {
            if let Some(next) = self.runs[i].next().map_err(io)? {
                heap.push(Reverse((next, i)));
            }
            match &mut pending {
                Some(p) if p.hash == record.hash => {
                    duplicates += 1;
                    p.count = p.count.saturating_add(record.count);
                }
                Some(p) => {
                    w.push(&p.hash[..hash_len], p.count)?;
                    *p = record;
                }
                None => pending = Some(record),
            }
        }
        if let Some(p) = pending {
            w.push(&p.hash[..hash_len], p.count)?;
        }
        Ok(duplicates)
    }
}
