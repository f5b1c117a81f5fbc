//! Durable event storage: append (acknowledged only once on disk), search, and retention by age
//! and size that needs no maintenance.
//!
//! Events are not kept in the SQL store (which holds state such as alerts); they live here, in
//! one directory of append-only segment files. The main types:
//!
//! - [`EventLog`]: [`open`](EventLog::open) a directory, [`append`](EventLog::append) batches
//!   (returns once the batch is written and fsync'ed; concurrent appenders share one fsync),
//!   [`search`](EventLog::search) with an [`EventQuery`], [`enforce_retention`](EventLog::enforce_retention);
//! - [`EventQuery`], [`UnitFilter`] and [`Cursor`] (opaque, URL-safe, for paging);
//! - [`EventPage`] of [`StoredEvent`]s;
//! - [`Retention`] (default 30 days, 20 GB) and [`Options`] for segment sizes.
//!
//! ```
//! use canhgac_eventlog::{EventLog, EventQuery, Retention};
//! use canhgac_model::{Event, EventKind};
//! let dir = tempfile::tempdir().unwrap();
//! let log = EventLog::open(dir.path(), Retention::default()).unwrap();
//! let mut e = Event::new(EventKind::Syslog3164, "sshd[42]: Failed password for root");
//! e.host = Some("web-01".into());
//! log.append(&[e]).unwrap();
//! let page = log
//!     .search(&EventQuery { text: Some("FAILED root".into()), ..EventQuery::default() })
//!     .unwrap();
//! assert_eq!(page.events.len(), 1);
//! ```
//!
//! # On disk
//!
//! The directory holds segment files named by the sequence number of their first event
//! (`00000000000000000000.seg`); every stored event has a sequence number, which is also its
//! [`Cursor`]. A segment is a 16-byte header followed by *frames*, each holding one *block*
//! of up to a few thousand events (one append, or a part of a large one):
//!
//! - a 32-byte frame header (magic, lengths, CRC-32 of the header, the summary and the data);
//! - the block *summary*: first sequence number and count, event time min/max, newest
//!   `received`, the sorted set of unit ids and whether unattributed events are present, and a
//!   blocked bloom filter (12 bits per distinct token, 64-byte lines, 6 bits per token, about
//!   0.5% false positives)
//!   over lower-cased tokens: the host; every `field = value` (also combined with the host);
//!   every word of the message and of field values, and every pair of numbers that follow each
//!   other (so `203.0.113.5` in free text is as selective as a rare word);
//! - the *data*: the events in a compact binary form (see `codec.rs`), each behind a 4-byte
//!   length, compressed with LZ4 (`lz4_flex`, pure Rust).
//!
//! The exact byte layout is in `segment.rs`; the tokens in `tokens.rs`.
//!
//! On open, summaries are read into memory (blooms stay on disk); the newest segment is also
//! checked block by block, and a torn write at its end (a crash mid-append: never an
//! acknowledged batch, since acknowledgement follows fsync) is truncated away. A bad region
//! elsewhere is reported as a [`Problem`] (file and offset) and skipped, as is a block whose
//! data fails its checksum when a search reads it.
//!
//! A search walks blocks newest first and skips those whose summary rules them out (time, unit,
//! cursor), then those whose bloom filter lacks a wanted token (one 64-byte read per token),
//! decompresses the rest and tests each event in place (no allocation), decoding only the
//! matches, and stops at `limit` results. Queries whose every condition is common but whose
//! combination is rare (a word and a field value, both everywhere) cannot be helped by the
//! filters and read every block of the time range.
//!
//! A new segment starts when the current one reaches [`Options::segment_bytes`] or is older
//! than [`Options::segment_age`] (one hour). Retention deletes whole segments: those whose
//! newest event was *received* longer ago than `max_age`, then the oldest while the directory
//! holds more than `max_bytes`. It runs on every segment roll and at most every
//! [`Options::retention_interval`] from `append`; callers may also drive it with a timer.
//!
//! One process at a time may open a directory.

mod codec;
mod query;
mod segment;
mod tokens;

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use canhgac_model::{Event, Timestamp};
use parking_lot::{Condvar, Mutex, RwLock};
use serde::{Deserialize, Serialize};

use query::{Compiled, MatchScratch};
pub use query::{Cursor, CursorError, EventQuery, UnitFilter};
use segment::Scratch;
use segment::{BlockMeta, PreparedBlock};

thread_local! {
    /// Encoding buffers of the appending thread.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// How long and how much to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Segments whose newest event was received longer ago than this are deleted.
    pub max_age: Duration,
    /// The oldest segments are deleted while the store is larger than this many bytes.
    pub max_bytes: u64,
}

impl Default for Retention {
    /// 30 days, 20 GB.
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(30 * 24 * 3600),
            max_bytes: 20_000_000_000,
        }
    }
}

/// Tuning beyond [`Retention`]; [`Options::new`] picks values that need no attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How long and how much to keep.
    pub retention: Retention,
    /// A segment is closed once it holds this many bytes (default: `max_bytes / 64`, between
    /// 64 KiB and 128 MiB, so retention by size deletes in steps of under 2%).
    pub segment_bytes: u64,
    /// A segment is closed once it is this old (default one hour), so that retention by age
    /// deletes in steps of an hour.
    pub segment_age: Duration,
    /// `append` enforces retention at most this often (default one minute) besides on rolls.
    pub retention_interval: Duration,
}

impl Options {
    /// Defaults for `retention`.
    pub fn new(retention: Retention) -> Self {
        Self {
            retention,
            segment_bytes: (retention.max_bytes / 64).clamp(64 << 10, 128 << 20),
            segment_age: Duration::from_secs(3600),
            retention_interval: Duration::from_secs(60),
        }
    }
}

/// One event as stored, with the cursor that points at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Where it is; pass as [`EventQuery::before`] to continue after it.
    pub cursor: Cursor,
    /// The event.
    pub event: Event,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    /// Matching events, newest stored first.
    pub events: Vec<StoredEvent>,
    /// The cursor for the next page, when `limit` was reached (the next page may be empty).
    pub next: Option<Cursor>,
    /// How many stored events were examined (decoded and tested).
    pub scanned: u64,
}

/// What [`EventLog::enforce_retention`] deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionReport {
    /// Segment files deleted.
    pub segments: usize,
    /// Events in them.
    pub events: u64,
    /// Bytes freed.
    pub bytes: u64,
}

/// Size and span of the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventLogStats {
    /// Events stored.
    pub events: u64,
    /// Bytes on disk.
    pub bytes: u64,
    /// Earliest event time.
    pub oldest: Option<Timestamp>,
    /// Latest event time.
    pub newest: Option<Timestamp>,
    /// Segment files.
    pub segments: usize,
    /// Blocks in them.
    pub blocks: usize,
    /// Damage found on disk since opening (at most the first 1,000).
    pub problems: Vec<Problem>,
}

/// Damage found on disk: which file, where, and what was wrong. The bad part is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The segment file.
    pub path: PathBuf,
    /// Byte offset in it.
    pub offset: u64,
    /// What was wrong and what was done.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at offset {}: {}",
            self.path.display(),
            self.offset,
            self.reason
        )
    }
}

/// Errors of the event log.
#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An earlier write or fsync failed; the log accepts no more writes until reopened, since
    /// what reached the disk is unknown.
    #[error("the event log refuses writes after an earlier failure: {0}")]
    Failed(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> EventLogError + '_ {
    move |source| EventLogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

const MAX_PROBLEMS: usize = 1000;
/// A block holds at most this many events...
const BLOCK_EVENTS: usize = 4096;
/// ...and roughly at most this many bytes before compression.
const BLOCK_BYTES: usize = 1 << 20;

/// One segment file and the summaries of its blocks.
struct Segment {
    first_seq: u64,
    path: PathBuf,
    file: File,
    index: RwLock<SegmentIndex>,
}

#[derive(Default)]
struct SegmentIndex {
    blocks: Vec<Arc<BlockMeta>>,
    bytes: u64,
    events: u64,
    min_time: Option<Timestamp>,
    max_time: Option<Timestamp>,
    max_received: Option<Timestamp>,
}

impl SegmentIndex {
    fn push(&mut self, meta: BlockMeta) {
        self.bytes += meta.bytes();
        self.events += u64::from(meta.count);
        self.min_time = Some(
            self.min_time
                .map_or(meta.min_time, |t| t.min(meta.min_time)),
        );
        self.max_time = Some(
            self.max_time
                .map_or(meta.max_time, |t| t.max(meta.max_time)),
        );
        self.max_received = Some(
            self.max_received
                .map_or(meta.max_received, |t| t.max(meta.max_received)),
        );
        self.blocks.push(Arc::new(meta));
    }
}

struct Writer {
    segment: Arc<Segment>,
    /// Where the next frame goes.
    len: u64,
    started: Instant,
    next_seq: u64,
    /// Incremented by every write; fsync makes all generations up to a value durable.
    write_gen: u64,
    failed: Option<String>,
    buf: Vec<u8>,
}

struct SyncState {
    synced_gen: u64,
    syncing: bool,
    failed: Option<String>,
}

/// The event store of one directory. `Send + Sync`: share it in an `Arc`; appends are blocking
/// I/O (run them in `spawn_blocking`), searches run alongside appends and see every
/// acknowledged event.
pub struct EventLog {
    dir: PathBuf,
    options: Options,
    /// Oldest first; the last is the one being written.
    segments: RwLock<Vec<Arc<Segment>>>,
    writer: Mutex<Writer>,
    sync: Mutex<SyncState>,
    synced: Condvar,
    problems: Mutex<Vec<Problem>>,
    last_retention: Mutex<Instant>,
}

fn segment_name(first_seq: u64) -> String {
    format!("{first_seq:020}.seg")
}

fn sync_dir(dir: &Path) -> Result<(), EventLogError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

impl EventLog {
    /// Opens (creating if needed) the store in `dir` with default [`Options`] for `retention`.
    pub fn open(dir: &Path, retention: Retention) -> Result<Self, EventLogError> {
        Self::open_with(dir, Options::new(retention))
    }

    /// Opens (creating if needed) the store in `dir`, recovering from an interrupted write.
    pub fn open_with(dir: &Path, options: Options) -> Result<Self, EventLogError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let mut names: Vec<(u64, PathBuf)> = Vec::new();
        for entry in fs::read_dir(dir).map_err(io_err(dir))? {
            let entry = entry.map_err(io_err(dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(seq) = name
                .strip_suffix(".seg")
                .filter(|s| s.len() == 20)
                .and_then(|s| s.parse::<u64>().ok())
            {
                names.push((seq, entry.path()));
            }
        }
        names.sort();
        let mut problems = Vec::new();
        let mut segments = Vec::new();
        let mut next_seq = 0;
        let count = names.len();
        for (i, (seq, path)) in names.into_iter().enumerate() {
            let is_last = i + 1 == count;
            if let Some(seg) = Self::open_segment(seq, &path, is_last, &mut problems)? {
                let index = seg.index.read();
                next_seq = next_seq
                    .max(seg.first_seq)
                    .max(index.blocks.last().map_or(0, |b| b.end_seq()));
                drop(index);
                segments.push(Arc::new(seg));
            }
        }
        for p in &problems {
            tracing::warn!(problem = %p, "event log damage found on open");
        }
        // Append to the newest segment (its torn tail, if any, is gone), or start one.
        let active = match segments.last() {
            Some(last) => Arc::clone(last),
            None => {
                let seg = Arc::new(create_segment(dir, next_seq)?);
                segments.push(Arc::clone(&seg));
                seg
            }
        };
        let len = active.file_len();
        Ok(Self {
            dir: dir.to_path_buf(),
            options,
            segments: RwLock::new(segments),
            writer: Mutex::new(Writer {
                segment: active,
                len,
                started: Instant::now(),
                next_seq,
                write_gen: 0,
                failed: None,
                buf: Vec::new(),
            }),
            sync: Mutex::new(SyncState {
                synced_gen: 0,
                syncing: false,
                failed: None,
            }),
            synced: Condvar::new(),
            problems: Mutex::new(problems),
            last_retention: Mutex::new(Instant::now()),
        })
    }

    fn open_segment(
        seq: u64,
        path: &Path,
        is_last: bool,
        problems: &mut Vec<Problem>,
    ) -> Result<Option<Segment>, EventLogError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_err(path))?;
        let len = file.metadata().map_err(io_err(path))?.len();
        match segment::read_segment_header(&file, len) {
            Ok(first) if first == seq => {}
            Ok(first) => {
                problems.push(Problem {
                    path: path.to_path_buf(),
                    offset: 0,
                    reason: format!(
                        "header names first event {first}, file name {seq}; renamed to .bad"
                    ),
                });
                set_aside(path)?;
                return Ok(None);
            }
            Err(reason) if is_last && len < segment::SEGMENT_HEADER => {
                // Created but never written: a crash right after a roll.
                fs::remove_file(path).map_err(io_err(path))?;
                tracing::info!(path = %path.display(), %reason, "removed an empty segment");
                return Ok(None);
            }
            Err(reason) => {
                problems.push(Problem {
                    path: path.to_path_buf(),
                    offset: 0,
                    reason: format!("{reason}; renamed to .bad"),
                });
                set_aside(path)?;
                return Ok(None);
            }
        }
        let scan = segment::scan(&file, len, is_last).map_err(io_err(path))?;
        for (offset, reason) in scan.problems {
            problems.push(Problem {
                path: path.to_path_buf(),
                offset,
                reason,
            });
        }
        if let Some((offset, reason)) = scan.torn_tail {
            if is_last {
                // An append cut short by a crash: it was never acknowledged.
                tracing::warn!(path = %path.display(), offset, %reason, "truncating a torn write");
                file.set_len(offset).map_err(io_err(path))?;
                file.sync_all().map_err(io_err(path))?;
            } else {
                problems.push(Problem {
                    path: path.to_path_buf(),
                    offset,
                    reason: format!("{reason}; rest of the file ignored"),
                });
            }
        }
        let mut index = SegmentIndex {
            bytes: segment::SEGMENT_HEADER,
            ..SegmentIndex::default()
        };
        for meta in scan.blocks {
            index.push(meta);
        }
        Ok(Some(Segment {
            first_seq: seq,
            path: path.to_path_buf(),
            file,
            index: RwLock::new(index),
        }))
    }

    /// The directory of the store.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores `events` and returns once they are on disk (written and fsync'ed). Concurrent
    /// calls share fsyncs (group commit). After an I/O failure every later call fails.
    pub fn append(&self, events: &[Event]) -> Result<(), EventLogError> {
        if events.is_empty() {
            return Ok(());
        }
        // Encoding, indexing and compression happen before taking the lock, in parallel.
        let mut blocks: Vec<PreparedBlock> = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            split_blocks(events)
                .map(|chunk| PreparedBlock::build(chunk, &mut scratch))
                .collect()
        });
        let (gen, rolled) = {
            let mut w = self.writer.lock();
            if let Some(reason) = &w.failed {
                return Err(EventLogError::Failed(reason.clone()));
            }
            let mut rolled = false;
            let written = !w.segment.index.read().blocks.is_empty();
            if written
                && (w.len >= self.options.segment_bytes
                    || w.started.elapsed() >= self.options.segment_age)
            {
                self.roll(&mut w)?;
                rolled = true;
            }
            let mut buf = std::mem::take(&mut w.buf);
            buf.clear();
            let mut metas = Vec::with_capacity(blocks.len());
            let mut seq = w.next_seq;
            for block in &mut blocks {
                let offset = w.len + buf.len() as u64;
                metas.push(block.frame(seq, offset, &mut buf));
                seq += u64::from(block.count());
            }
            let segment = Arc::clone(&w.segment);
            if let Err(e) = segment.file.write_all_at(&buf, w.len) {
                // Cut off whatever part reached the file so the next frame follows a good one.
                if let Err(e2) = segment.file.set_len(w.len) {
                    w.failed = Some(format!("write failed ({e}) and could not be undone ({e2})"));
                }
                return Err(io_err(&segment.path)(e));
            }
            w.len += buf.len() as u64;
            w.next_seq = seq;
            {
                let mut index = segment.index.write();
                for meta in metas {
                    index.push(meta);
                }
            }
            w.write_gen += 1;
            w.buf = buf;
            (w.write_gen, rolled)
        };
        let due = {
            let mut last = self.last_retention.lock();
            let due = rolled || last.elapsed() >= self.options.retention_interval;
            if due {
                *last = Instant::now();
            }
            due
        };
        if due {
            if let Err(e) = self.enforce_retention() {
                tracing::warn!(error = %e, "event log retention failed");
            }
        }
        self.wait_durable(gen)
    }

    /// Closes the current segment (already fsync'ed on return) and starts a new one.
    fn roll(&self, w: &mut Writer) -> Result<(), EventLogError> {
        if let Err(e) = w.segment.file.sync_data() {
            let reason = format!("fsync of {} failed: {e}", w.segment.path.display());
            w.failed = Some(reason.clone());
            return Err(EventLogError::Failed(reason));
        }
        let seg = Arc::new(create_segment(&self.dir, w.next_seq)?);
        self.segments.write().push(Arc::clone(&seg));
        w.len = seg.file_len();
        w.segment = seg;
        w.started = Instant::now();
        Ok(())
    }

    /// Waits until write generation `gen` is fsync'ed, running the fsync itself when no other
    /// caller is: one fsync covers every write made before it started.
    fn wait_durable(&self, gen: u64) -> Result<(), EventLogError> {
        let mut st = self.sync.lock();
        loop {
            if let Some(reason) = &st.failed {
                return Err(EventLogError::Failed(reason.clone()));
            }
            if st.synced_gen >= gen {
                return Ok(());
            }
            if st.syncing {
                self.synced.wait(&mut st);
                continue;
            }
            st.syncing = true;
            drop(st);
            let (target, segment) = {
                let w = self.writer.lock();
                (w.write_gen, Arc::clone(&w.segment))
            };
            // Earlier segments were fsync'ed when rolled, so the current one is all that is left.
            let result = segment.file.sync_data();
            st = self.sync.lock();
            st.syncing = false;
            match result {
                Ok(()) => st.synced_gen = st.synced_gen.max(target),
                Err(e) => {
                    let reason = format!("fsync of {} failed: {e}", segment.path.display());
                    st.failed = Some(reason.clone());
                    self.writer.lock().failed = Some(reason);
                }
            }
            self.synced.notify_all();
        }
    }

    /// Deletes the segments that retention no longer keeps. Runs by itself on segment rolls and
    /// periodically from `append`; call it from a timer too when appends may stop for long.
    pub fn enforce_retention(&self) -> Result<RetentionReport, EventLogError> {
        let retention = self.options.retention;
        let max_age =
            jiff::SignedDuration::try_from(retention.max_age).unwrap_or(jiff::SignedDuration::MAX);
        let cutoff = Timestamp::now()
            .checked_sub(max_age)
            .unwrap_or(Timestamp::MIN);
        let expired = |seg: &Segment| {
            let index = seg.index.read();
            index.max_received.is_none_or(|t| t < cutoff)
        };
        let active = {
            let mut w = self.writer.lock();
            let stale = {
                let index = w.segment.index.read();
                !index.blocks.is_empty() && index.max_received.is_some_and(|t| t < cutoff)
            };
            if stale && w.failed.is_none() {
                self.roll(&mut w)?;
            }
            w.segment.first_seq
        };
        let doomed: Vec<Arc<Segment>> = {
            let mut segments = self.segments.write();
            let mut total: u64 = segments.iter().map(|s| s.index.read().bytes).sum();
            let mut keep = Vec::with_capacity(segments.len());
            let mut doomed = Vec::new();
            for seg in segments.drain(..) {
                if seg.first_seq != active && (total > retention.max_bytes || expired(&seg)) {
                    total -= seg.index.read().bytes;
                    doomed.push(seg);
                } else {
                    keep.push(seg);
                }
            }
            *segments = keep;
            doomed
        };
        let mut report = RetentionReport::default();
        for seg in &doomed {
            let index = seg.index.read();
            report.segments += 1;
            report.events += index.events;
            report.bytes += index.bytes;
            // Searches holding the segment keep reading it through their open handle.
            fs::remove_file(&seg.path).map_err(io_err(&seg.path))?;
        }
        if !doomed.is_empty() {
            sync_dir(&self.dir)?;
            tracing::info!(
                segments = report.segments,
                events = report.events,
                bytes = report.bytes,
                "event log retention"
            );
        }
        Ok(report)
    }

    /// Size, span and damage of the store.
    pub fn stats(&self) -> EventLogStats {
        let segments = self.segments.read().clone();
        let mut stats = EventLogStats {
            segments: segments.len(),
            problems: self.problems.lock().clone(),
            ..EventLogStats::default()
        };
        for seg in &segments {
            let index = seg.index.read();
            stats.events += index.events;
            stats.bytes += index.bytes;
            stats.blocks += index.blocks.len();
            stats.oldest = min_opt(stats.oldest, index.min_time);
            stats.newest = max_opt(stats.newest, index.max_time);
        }
        stats
    }

    fn problem(&self, path: &Path, offset: u64, reason: String) {
        let mut problems = self.problems.lock();
        if problems.len() >= MAX_PROBLEMS
            || problems
                .iter()
                .any(|p| p.path == path && p.offset == offset)
        {
            return;
        }
        let p = Problem {
            path: path.to_path_buf(),
            offset,
            reason,
        };
        tracing::warn!(problem = %p, "event log damage skipped");
        problems.push(p);
    }

    /// Finds events, newest stored first. See [`EventQuery`] for what each condition means.
    pub fn search(&self, query: &EventQuery) -> Result<EventPage, EventLogError> {
        self.search_with(query, true)
    }

    /// [`search`](Self::search) without block summaries: decodes and tests every event until
    /// `limit` are found. The baseline of the benchmark; not for use.
    #[doc(hidden)]
    pub fn search_scanning_everything(
        &self,
        query: &EventQuery,
    ) -> Result<EventPage, EventLogError> {
        self.search_with(query, false)
    }

    fn search_with(&self, query: &EventQuery, summaries: bool) -> Result<EventPage, EventLogError> {
        let mut q = Compiled::new(query);
        q.use_summaries = summaries;
        let mut page = EventPage {
            events: Vec::new(),
            next: None,
            scanned: 0,
        };
        if q.limit == 0 {
            return Ok(page);
        }
        let segments = self.segments.read().clone();
        let mut scratch = SearchScratch::default();
        for seg in segments.iter().rev() {
            if seg.first_seq >= q.before {
                continue;
            }
            let blocks = {
                let index = seg.index.read();
                match (index.min_time, index.max_time) {
                    (Some(min), Some(max)) if !q.use_summaries || q.time_overlaps(min, max) => {}
                    _ => continue,
                }
                index.blocks.clone()
            };
            for meta in blocks.iter().rev() {
                if self.search_block(seg, meta, &q, &mut page, &mut scratch) {
                    return Ok(page);
                }
            }
        }
        Ok(page)
    }

    /// Adds the block's matches to `page`; true once `limit` is reached.
    fn search_block(
        &self,
        seg: &Segment,
        meta: &BlockMeta,
        q: &Compiled,
        page: &mut EventPage,
        scratch: &mut SearchScratch,
    ) -> bool {
        if meta.first_seq >= q.before {
            return false;
        }
        if q.use_summaries && !q.block_may_match(meta) {
            return false;
        }
        if q.use_summaries && !q.tokens.is_empty() {
            match segment::bloom_may_contain(&seg.file, meta, &q.tokens) {
                Ok(true) => {}
                Ok(false) => return false,
                Err(reason) => {
                    self.problem(&seg.path, meta.offset, reason);
                    return false;
                }
            }
        }
        let SearchScratch {
            data,
            raw,
            matching,
        } = scratch;
        if let Err(reason) = segment::read_block(&seg.file, meta, data, raw) {
            self.problem(&seg.path, meta.offset, format!("{reason}; block skipped"));
            return false;
        }
        // Bloom false positives mostly end here, without testing a thousand events.
        if q.use_summaries && !q.block_bytes_may_match(raw, data) {
            return false;
        }
        let encoded = match segment::split_events(raw, meta.count) {
            Ok(e) => e,
            Err(reason) => {
                self.problem(&seg.path, meta.offset, format!("{reason}; block skipped"));
                return false;
            }
        };
        for (i, bytes) in encoded.iter().enumerate().rev() {
            let seq = meta.first_seq + i as u64;
            if seq >= q.before {
                continue;
            }
            page.scanned += 1;
            let matched = codec::view(bytes).and_then(|view| {
                if q.head_ok(view.time, view.unit_id) {
                    q.matches(&view, matching)
                } else {
                    Ok(false)
                }
            });
            let event =
                match matched.and_then(|m| m.then(|| codec::decode_event(bytes)).transpose()) {
                    Ok(Some(event)) => event,
                    Ok(None) => continue,
                    Err(reason) => {
                        self.problem(&seg.path, meta.offset, format!("event {seq}: {reason}"));
                        continue;
                    }
                };
            page.events.push(StoredEvent {
                cursor: Cursor(seq),
                event,
            });
            if page.events.len() >= q.limit {
                page.next = Some(Cursor(seq));
                return true;
            }
        }
        false
    }
}

/// Buffers reused across the blocks of a search.
#[derive(Default)]
struct SearchScratch {
    data: Vec<u8>,
    raw: Vec<u8>,
    matching: MatchScratch,
}

impl Segment {
    fn file_len(&self) -> u64 {
        self.index
            .read()
            .blocks
            .last()
            .map_or(segment::SEGMENT_HEADER, |b| b.end())
    }
}

/// Moves an unreadable segment out of the way, so its name can be used again.
fn set_aside(path: &Path) -> Result<(), EventLogError> {
    let mut bad = path.as_os_str().to_owned();
    bad.push(".bad");
    fs::rename(path, &bad).map_err(io_err(path))
}

fn create_segment(dir: &Path, first_seq: u64) -> Result<Segment, EventLogError> {
    let path = dir.join(segment_name(first_seq));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io_err(&path))?;
    file.write_all_at(&segment::segment_header(first_seq), 0)
        .map_err(io_err(&path))?;
    file.sync_all().map_err(io_err(&path))?;
    sync_dir(dir)?;
    Ok(Segment {
        first_seq,
        path,
        file,
        index: RwLock::new(SegmentIndex {
            bytes: segment::SEGMENT_HEADER,
            ..SegmentIndex::default()
        }),
    })
}

/// Splits a batch into block-sized runs.
fn split_blocks(events: &[Event]) -> impl Iterator<Item = &[Event]> {
    let mut rest = events;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let mut n = 0;
        while n < rest.len() && n < BLOCK_EVENTS && bytes < BLOCK_BYTES {
            let e = &rest[n];
            bytes += 64 + e.message.len() + 48 * e.fields.len();
            n += 1;
        }
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        Some(chunk)
    })
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests;
