//! The engine of `canhgac hunt PATH... --rules DIR`: log files run through Sigma rules offline.
//!
//! Reading files is `canhgac-ingest`'s job, so the caller hands [`run`] the list of files and a
//! function that opens one file as an iterator of events; this module runs the files in
//! parallel (one file per worker thread at a time), keeps the events inside the
//! [`HuntFilter`]'s time range, matches the rules, keeps the hits at or above the minimum level,
//! and reports progress. Hits are sorted by event time, then file, then position in the file,
//! then rule, so two runs over the same files print the same thing. When a [`CorrelationSet`] is
//! given, the hits are fed to it in that order afterwards and the correlations that fire are
//! reported too.
//!
//! [`output`] writes hits as an aligned table, JSON lines or CSV to any [`std::io::Write`].
//! The exit code (0 without hits, 1 with) is the binary's: see [`HuntReport::has_hits`].

pub mod output;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use canhgac_model::{Event, Severity, Timestamp};
use canhgac_sigma::{CorrelationHit, CorrelationSet, RuleIdx, RuleSet};

/// Which events and hits a hunt keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HuntFilter {
    /// Events at or after this instant only.
    pub from: Option<Timestamp>,
    /// Events before this instant only.
    pub to: Option<Timestamp>,
    /// Hits of rules at this level or above only.
    pub min_level: Option<Severity>,
}

impl HuntFilter {
    /// Whether an event at `time` is inside the range.
    pub fn keeps_time(&self, time: Timestamp) -> bool {
        self.from.is_none_or(|from| time >= from) && self.to.is_none_or(|to| time < to)
    }

    /// Whether a rule of `level` is reported.
    pub fn keeps_level(&self, level: Severity) -> bool {
        self.min_level.is_none_or(|min| level >= min)
    }
}

/// How a hunt runs.
#[derive(Debug, Clone, PartialEq)]
pub struct HuntOptions {
    /// Filters.
    pub filter: HuntFilter,
    /// Worker threads (at least one; more than the files is pointless).
    pub threads: usize,
    /// Undecodable records remembered with their reason (all are counted).
    pub max_reported_errors: usize,
    /// How often (in events per worker) progress is reported inside a file.
    pub progress_every: u64,
}

impl Default for HuntOptions {
    fn default() -> Self {
        Self {
            filter: HuntFilter::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_reported_errors: 100,
            progress_every: 10_000,
        }
    }
}

/// Where a hunt stands; handed to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Files to read.
    pub files_total: usize,
    /// Files read to the end (or failed).
    pub files_done: usize,
    /// Records read so far (decoded or not).
    pub events: u64,
    /// Hits so far.
    pub hits: u64,
}

/// One rule matching one event.
#[derive(Debug, Clone, PartialEq)]
pub struct HuntHit {
    /// The rule (look it up with [`RuleSet::info`]).
    pub rule: RuleIdx,
    /// The event (shared by the hits of every rule it matched).
    pub event: Arc<Event>,
    /// The file it came from.
    pub file: Arc<Path>,
    /// Its position among the file's records (0-based).
    pub position: u64,
}

/// A file or record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuntError {
    /// The file.
    pub file: PathBuf,
    /// The record's position in the file, or `None` when the file itself failed.
    pub position: Option<u64>,
    /// Why.
    pub reason: String,
}

/// What a hunt found.
#[derive(Debug, Default)]
pub struct HuntReport {
    /// Every hit, sorted by event time, file, position and rule.
    pub hits: Vec<HuntHit>,
    /// Correlations that fired over the hits (when a [`CorrelationSet`] was given).
    pub correlations: Vec<CorrelationHit>,
    /// Files given.
    pub files: usize,
    /// Files that could not be opened.
    pub files_failed: usize,
    /// Records read (decoded or not).
    pub events: u64,
    /// Events outside the time range.
    pub events_outside_range: u64,
    /// Records that did not decode.
    pub bad_records: u64,
    /// The first unreadable files and records, with reasons.
    pub errors: Vec<HuntError>,
    /// Wall time.
    pub elapsed: Duration,
}

impl HuntReport {
    /// True when some rule or correlation matched (the binary exits with 1).
    pub fn has_hits(&self) -> bool {
        !(self.hits.is_empty() && self.correlations.is_empty())
    }
}

/// Runs `files` through `rules`. `read` opens one file as an iterator of decoded events (or
/// per-record errors); it is called from worker threads. `progress` is called from worker
/// threads after each file and every [`HuntOptions::progress_every`] records.
pub fn run<R, I, RE, EE>(
    files: &[PathBuf],
    read: R,
    rules: &RuleSet,
    correlations: Option<&CorrelationSet>,
    options: &HuntOptions,
    progress: impl Fn(Progress) + Sync,
) -> HuntReport
where
    R: Fn(&Path) -> Result<I, RE> + Sync,
    I: Iterator<Item = Result<Event, EE>>,
    RE: Display,
    EE: Display,
{
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let files_done = AtomicUsize::new(0);
    let events = AtomicU64::new(0);
    let hit_count = AtomicU64::new(0);
    let shared = Mutex::new(HuntReport {
        files: files.len(),
        ..HuntReport::default()
    });
    let report_progress = |files_done: usize| {
        progress(Progress {
            files_total: files.len(),
            files_done,
            events: events.load(Ordering::Relaxed),
            hits: hit_count.load(Ordering::Relaxed),
        })
    };
    let threads = options.threads.clamp(1, files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut local = HuntReport::default();
                let mut matched = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let file: Arc<Path> = Arc::from(path.as_path());
                    match read(path) {
                        Err(e) => {
                            local.files_failed += 1;
                            if local.errors.len() < options.max_reported_errors {
                                local.errors.push(HuntError {
                                    file: path.clone(),
                                    position: None,
                                    reason: e.to_string(),
                                });
                            }
                        }
                        Ok(records) => {
                            for (position, record) in records.enumerate() {
                                let position = position as u64;
                                local.events += 1;
                                let seen = events.fetch_add(1, Ordering::Relaxed) + 1;
                                if seen.is_multiple_of(options.progress_every.max(1)) {
                                    report_progress(files_done.load(Ordering::Relaxed));
                                }
                                let event = match record {
                                    Ok(event) => event,
                                    Err(e) => {
                                        local.bad_records += 1;
                                        if local.errors.len() < options.max_reported_errors {
                                            local.errors.push(HuntError {
                                                file: path.clone(),
                                                position: Some(position),
                                                reason: e.to_string(),
                                            });
                                        }
                                        continue;
                                    }
                                };
                                if !options.filter.keeps_time(event.time) {
                                    local.events_outside_range += 1;
                                    continue;
                                }
                                matched.clear();
                                rules.matches(&event, &mut matched);
                                matched
                                    .retain(|&r| options.filter.keeps_level(rules.info(r).level));
                                if matched.is_empty() {
                                    continue;
                                }
                                hit_count.fetch_add(matched.len() as u64, Ordering::Relaxed);
                                let event = Arc::new(event);
                                local.hits.extend(matched.iter().map(|&rule| HuntHit {
                                    rule,
                                    event: Arc::clone(&event),
                                    file: Arc::clone(&file),
                                    position,
                                }));
                            }
                        }
                    }
                    let done = files_done.fetch_add(1, Ordering::Relaxed) + 1;
                    report_progress(done);
                }
                let mut all = shared
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                all.hits.append(&mut local.hits);
                all.files_failed += local.files_failed;
                all.events += local.events;
                all.events_outside_range += local.events_outside_range;
                all.bad_records += local.bad_records;
                let room = options.max_reported_errors.saturating_sub(all.errors.len());
                all.errors.extend(local.errors.into_iter().take(room));
            });
        }
    });
    let mut report = shared
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    report.hits.sort_by(|a, b| {
        a.event
            .time
            .cmp(&b.event.time)
            .then_with(|| a.file.cmp(&b.file))
            .then(a.position.cmp(&b.position))
            .then(a.rule.cmp(&b.rule))
    });
    report
        .errors
        .sort_by(|a, b| a.file.cmp(&b.file).then(a.position.cmp(&b.position)));
    if let Some(set) = correlations.filter(|set| !set.is_empty()) {
        let mut engine = set.engine();
        for hit in &report.hits {
            let info = rules.info(hit.rule);
            if set.references(info) {
                report.correlations.extend(
                    engine
                        .observe(info, &hit.event)
                        .into_iter()
                        .filter(|c| c.info.standalone && options.filter.keeps_level(c.info.level)),
                );
            }
        }
    }
    report.elapsed = started.elapsed();
    report
}

#[cfg(test)]
mod tests;
