//! The live detection path: events from every source (syslog listeners, HTTP batches, imported
//! files) are attributed to units, run through the detector (Sigma rules, correlations,
//! indicators, tuning), stored durably in the event log, and their hits recorded as alerts.
//!
//! One worker task owns the detector (correlation state is sequential by nature) and handles
//! batches in arrival order; the CPU work runs on a blocking thread. A batch is acknowledged
//! (its [`Intake::submit`] returns) only after its events are fsynced to the event log and its
//! alerts are committed to the store. Rules are reloaded when the rule directories change;
//! indicators, overrides, suppressions and the inventory's addresses when the store says they
//! changed ([`canhgac_store::Store::detection_stamp`]).

mod rules;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use canhgac_detect::{Detector, IndicatorSet, Tuning};
use canhgac_eventlog::EventLog;
use canhgac_ingest::Attributor;
use canhgac_model::{AlertDraft, Event, Scope, Timestamp};
use canhgac_sigma::{CorrelationSet, LoadOptions, LoadReport, LogsourceMapping, RuleSet};
use canhgac_store::Store;
use tokio::sync::{mpsc, oneshot};

pub use rules::{builtin_sources, read_rule_dirs};

/// How the live path behaves; from the `[detection]` section of the configuration.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// Directories (or files) of Sigma rules, read recursively, in addition to the shipped rules.
    pub rule_dirs: Vec<PathBuf>,
    /// A logsource mapping file replacing the built-in mapping.
    pub mapping_file: Option<PathBuf>,
    /// Values for `expand` placeholders (`%admins%` → a list).
    pub placeholders: HashMap<String, Vec<String>>,
    /// Repeated hits of one rule on one host within this window fold into one alert.
    pub fold_window: jiff::SignedDuration,
    /// Largest single event accepted over HTTP.
    pub max_event_bytes: usize,
    /// Events per stored batch from the listeners.
    pub batch_events: usize,
    /// Longest wait before a partial listener batch is stored.
    pub batch_delay: Duration,
    /// How often the store and the rule directories are checked for changes.
    pub refresh_every: Duration,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self {
            rule_dirs: Vec::new(),
            mapping_file: None,
            placeholders: HashMap::new(),
            fold_window: jiff::SignedDuration::from_mins(10),
            max_event_bytes: 256 * 1024,
            batch_events: 2000,
            batch_delay: Duration::from_millis(50),
            refresh_every: Duration::from_secs(5),
        }
    }
}

/// Why a batch was not taken. Nothing of it is stored.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The batch does not decode (the line is named).
    #[error(transparent)]
    Batch(#[from] canhgac_ingest::ndjson::BatchError),
    /// The event log refused the write.
    #[error("event store: {0}")]
    EventLog(#[from] canhgac_eventlog::EventLogError),
    /// The alert store refused the write (the events are stored).
    #[error("alert store: {0}")]
    Store(#[from] canhgac_store::StoreError),
    /// The intake is shutting down.
    #[error("the intake is stopping")]
    Stopped,
    /// Loading rules or tuning failed.
    #[error("{0}")]
    Setup(String),
}

/// What a file import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileImport {
    /// The format it was read as.
    pub format: String,
    /// Events stored.
    pub accepted: usize,
    /// Records that did not decode.
    pub skipped: usize,
    /// The first problems, with their line or record.
    pub problems: Vec<String>,
}

/// Removes a staged upload when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The rule set in force and how it loaded.
#[derive(Debug)]
pub struct RuleSnapshot {
    /// Detection rules.
    pub rules: Arc<RuleSet>,
    /// Correlation rules.
    pub correlations: Arc<CorrelationSet>,
    /// What loaded and what did not.
    pub report: LoadReport,
    /// Directories read (besides the shipped rules).
    pub directories: Vec<String>,
    /// When.
    pub loaded_at: Timestamp,
}

/// Counters since start.
#[derive(Debug, Default)]
pub struct Counters {
    /// Events received (all sources).
    pub received: AtomicU64,
    /// Events stored.
    pub stored: AtomicU64,
    /// Alert drafts raised.
    pub alerts: AtomicU64,
    /// Batches that failed to store.
    pub failed_batches: AtomicU64,
}

/// What the worker needs besides rules: rebuilt when the store changes.
struct Tables {
    indicators: Arc<IndicatorSet>,
    tuning: Arc<Tuning>,
    attributor: Arc<Attributor>,
    stamp: String,
}

struct Batch {
    events: Vec<Event>,
    ack: Option<oneshot::Sender<Result<usize, String>>>,
}

/// The live path. Cheap to share (`Arc<Intake>`).
pub struct Intake {
    store: Arc<dyn Store>,
    events: Arc<EventLog>,
    config: IntakeConfig,
    queue: mpsc::Sender<Batch>,
    rules: RwLock<Arc<RuleSnapshot>>,
    tables: RwLock<Arc<Tables>>,
    rules_fingerprint: Mutex<Vec<(PathBuf, u64, Option<std::time::SystemTime>)>>,
    counters: Arc<Counters>,
    /// Bumped on every rules or tables change, so the worker rebuilds its detector.
    generation: AtomicU64,
    /// Names staged uploads uniquely.
    upload_counter: AtomicU64,
}

impl Intake {
    /// Loads rules and tables and starts the worker and the refresh loop on the current tokio
    /// runtime.
    pub async fn start(
        config: IntakeConfig,
        store: Arc<dyn Store>,
        events: Arc<EventLog>,
    ) -> Result<Arc<Self>, IntakeError> {
        let snapshot = load_rules(&config)?;
        log_rule_report(&snapshot);
        let tables = load_tables(&*store).await?;
        let (queue, receiver) = mpsc::channel(64);
        let intake = Arc::new(Self {
            store,
            events,
            rules_fingerprint: Mutex::new(rules::fingerprint(&config.rule_dirs)),
            config,
            queue,
            rules: RwLock::new(Arc::new(snapshot)),
            tables: RwLock::new(Arc::new(tables)),
            counters: Arc::new(Counters::default()),
            generation: AtomicU64::new(0),
            upload_counter: AtomicU64::new(0),
        });
        tokio::spawn(worker(Arc::clone(&intake), receiver));
        tokio::spawn(refresher(Arc::downgrade(&intake)));
        Ok(intake)
    }

    /// Takes a decoded batch and returns once it is stored and detected.
    pub async fn submit(&self, events: Vec<Event>) -> Result<usize, IntakeError> {
        let count = events.len();
        if count == 0 {
            return Ok(0);
        }
        self.counters
            .received
            .fetch_add(count as u64, Ordering::Relaxed);
        let (ack, done) = oneshot::channel();
        self.queue
            .send(Batch {
                events,
                ack: Some(ack),
            })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        match done.await {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(reason)) => Err(IntakeError::Setup(reason)),
            Err(_) => Err(IntakeError::Stopped),
        }
    }

    /// Decodes an NDJSON body (gzip when asked) and submits it; a bad line rejects it whole.
    pub async fn submit_ndjson(
        &self,
        body: &[u8],
        gzip: bool,
        peer: Option<std::net::IpAddr>,
    ) -> Result<usize, IntakeError> {
        let mut events = canhgac_ingest::ndjson::decode_batch(
            body,
            gzip,
            Timestamp::now(),
            self.config.max_event_bytes,
        )?;
        for event in &mut events {
            if event.peer.is_none() {
                event.peer = peer;
            }
        }
        self.submit(events).await
    }

    /// Decodes a log file held in memory (format sniffed like files on disk) and submits its
    /// events in batches; records that do not decode are counted and the first few reported.
    pub async fn submit_file(&self, name: &str, bytes: Vec<u8>) -> Result<FileImport, IntakeError> {
        use canhgac_ingest::files::{read_file, sniff, FileFormat};
        // The readers sniff and stream from a path; a private temporary file gives them one.
        let path = std::env::temp_dir().join(format!(
            "canhgac-upload-{}-{}",
            std::process::id(),
            self.upload_counter.fetch_add(1, Ordering::Relaxed)
        ));
        let file = TempFile(path.clone());
        std::fs::write(&file.0, &bytes)
            .map_err(|e| IntakeError::Setup(format!("{name}: cannot stage the upload: {e}")))?;
        let format = sniff(&path);
        let events =
            read_file(&path, format).map_err(|e| IntakeError::Setup(format!("{name}: {e}")))?;
        let mut import = FileImport {
            format: match format {
                Some(FileFormat::Evtx) => "evtx",
                Some(FileFormat::JsonLines) => "json",
                Some(FileFormat::Syslog) => "syslog",
                Some(FileFormat::AccessLog) => "access_log",
                None => "empty",
            }
            .to_string(),
            ..FileImport::default()
        };
        let mut batch = Vec::with_capacity(self.config.batch_events);
        for item in events {
            match item {
                Ok(event) => {
                    batch.push(event);
                    if batch.len() == self.config.batch_events {
                        import.accepted += self.submit(std::mem::take(&mut batch)).await?;
                    }
                }
                Err(e) => {
                    import.skipped += 1;
                    if import.problems.len() < 20 {
                        import.problems.push(e.to_string());
                    }
                }
            }
        }
        import.accepted += self.submit(batch).await?;
        drop(file);
        Ok(import)
    }

    /// A sender for listeners: events sent here are batched (up to `batch_events`, or after
    /// `batch_delay`) and stored without acknowledgement to the sender.
    pub fn listener_sink(self: &Arc<Self>) -> mpsc::Sender<Event> {
        let (sender, mut receiver) = mpsc::channel::<Event>(self.config.batch_events * 4);
        let intake = Arc::clone(self);
        tokio::spawn(async move {
            let max = intake.config.batch_events.max(1);
            let delay = intake.config.batch_delay;
            while let Some(first) = receiver.recv().await {
                let mut events = Vec::with_capacity(max);
                events.push(first);
                let deadline = tokio::time::Instant::now() + delay;
                while events.len() < max {
                    match tokio::time::timeout_at(deadline, receiver.recv()).await {
                        Ok(Some(event)) => events.push(event),
                        Ok(None) | Err(_) => break,
                    }
                }
                intake
                    .counters
                    .received
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
                if intake
                    .queue
                    .send(Batch { events, ack: None })
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        sender
    }

    /// The event log.
    pub fn events(&self) -> &Arc<EventLog> {
        &self.events
    }

    /// The rules in force.
    pub fn rules(&self) -> Arc<RuleSnapshot> {
        match self.rules.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Indicators in the matcher now.
    pub fn indicator_count(&self) -> usize {
        self.tables().indicators.len()
    }

    /// Counters since start.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    fn tables(&self) -> Arc<Tables> {
        match self.tables.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reloads rules from the directories now (also done when they change on disk).
    pub fn reload_rules(&self) -> Result<(), IntakeError> {
        let snapshot = load_rules(&self.config)?;
        log_rule_report(&snapshot);
        if let Ok(mut guard) = self.rules.write() {
            *guard = Arc::new(snapshot);
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Checks the store and the rule directories once, rebuilding what changed.
    pub async fn refresh(&self) -> Result<(), IntakeError> {
        let fingerprint = rules::fingerprint(&self.config.rule_dirs);
        let rules_changed = match self.rules_fingerprint.lock() {
            Ok(mut old) if *old != fingerprint => {
                *old = fingerprint;
                true
            }
            _ => false,
        };
        if rules_changed {
            self.reload_rules()?;
        }
        let stamp = self.store.detection_stamp().await?;
        if stamp != self.tables().stamp {
            let tables = load_tables(&*self.store).await?;
            tracing::info!(
                indicators = tables.indicators.len(),
                "detection tables reloaded"
            );
            if let Ok(mut guard) = self.tables.write() {
                *guard = Arc::new(tables);
            }
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

fn load_rules(config: &IntakeConfig) -> Result<RuleSnapshot, IntakeError> {
    let mapping = match &config.mapping_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                IntakeError::Setup(format!("logsource mapping {}: {e}", path.display()))
            })?;
            LogsourceMapping::from_yaml(&text).map_err(|e| {
                IntakeError::Setup(format!("logsource mapping {}: {e}", path.display()))
            })?
        }
        None => LogsourceMapping::builtin(),
    };
    let options = LoadOptions {
        mapping,
        placeholders: config.placeholders.clone(),
    };
    let mut sources = builtin_sources();
    let (user_sources, read_errors) = read_rule_dirs(&config.rule_dirs);
    sources.extend(user_sources);
    let loaded = canhgac_sigma::load(&sources, &options);
    let mut report = loaded.report;
    report.errors.extend(read_errors);
    Ok(RuleSnapshot {
        rules: Arc::new(loaded.rules),
        correlations: Arc::new(loaded.correlations),
        report,
        directories: config
            .rule_dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
        loaded_at: Timestamp::now(),
    })
}

fn log_rule_report(snapshot: &RuleSnapshot) {
    tracing::info!(
        rules = snapshot.rules.len(),
        correlations = snapshot.correlations.len(),
        failed = snapshot.report.errors.len(),
        "rules loaded"
    );
    for error in &snapshot.report.errors {
        tracing::warn!(origin = %error.origin, title = ?error.title, reason = %error.reason, "rule not loaded");
    }
}

async fn load_tables(store: &dyn Store) -> Result<Tables, IntakeError> {
    let stamp = store.detection_stamp().await?;
    let indicators = store.active_indicators(Timestamp::now()).await?;
    let overrides = store.rule_overrides().await?;
    let suppressions = store.list_suppressions(&Scope::All).await?;
    let assets = store.attribution_assets().await?;
    Ok(Tables {
        indicators: Arc::new(IndicatorSet::new(indicators)),
        tuning: Arc::new(Tuning::new(overrides, suppressions)),
        attributor: Arc::new(Attributor::new(assets)),
        stamp,
    })
}

/// How often retention runs even when no events arrive (appends also run it).
const RETENTION_EVERY: Duration = Duration::from_secs(600);

async fn refresher(intake: std::sync::Weak<Intake>) {
    let mut last_retention = tokio::time::Instant::now();
    loop {
        let every = match intake.upgrade() {
            Some(intake) => intake.config.refresh_every,
            None => return,
        };
        tokio::time::sleep(every).await;
        let Some(intake) = intake.upgrade() else {
            return;
        };
        if let Err(e) = intake.refresh().await {
            tracing::warn!(error = %e, "detection refresh failed");
        }
        if last_retention.elapsed() >= RETENTION_EVERY {
            last_retention = tokio::time::Instant::now();
            let log = Arc::clone(&intake.events);
            match tokio::task::spawn_blocking(move || log.enforce_retention()).await {
                Ok(Ok(report)) if report.segments > 0 => tracing::info!(
                    segments = report.segments,
                    events = report.events,
                    bytes = report.bytes,
                    "old events deleted"
                ),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "event retention failed"),
                Err(e) => tracing::warn!(error = %e, "event retention failed"),
            }
        }
    }
}

/// Repeats of a draft within this time of the first are counted in memory, then stored as one
/// burst after the batch.
const PREFOLD_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Distinct (rule, unit, host) keys tracked for pre-folding.
const PREFOLD_KEYS: usize = 100_000;

/// Events stored, drafts to record, and bursts of folded repeats (draft, count, first time).
type Processed = (usize, Vec<AlertDraft>, Vec<(AlertDraft, u64, Timestamp)>);

/// The detector and the generation it was built for.
struct WorkerState {
    detector: Option<Detector>,
    generation: u64,
}

async fn worker(intake: Arc<Intake>, mut receiver: mpsc::Receiver<Batch>) {
    let state = Arc::new(Mutex::new(WorkerState {
        detector: None,
        generation: u64::MAX,
    }));
    while let Some(first) = receiver.recv().await {
        // Batches waiting behind this one are stored together: one fsync for all.
        let mut batches = vec![first];
        let mut queued: usize = batches[0].events.len();
        while queued < 20_000 {
            match receiver.try_recv() {
                Ok(more) => {
                    queued += more.events.len();
                    batches.push(more);
                }
                Err(_) => break,
            }
        }
        let mut events = Vec::with_capacity(queued);
        let mut acks = Vec::new();
        for batch in batches {
            acks.push((batch.events.len(), batch.ack));
            events.extend(batch.events);
        }
        let rules = intake.rules();
        let tables = intake.tables();
        let generation = intake.generation.load(Ordering::SeqCst);
        let log = Arc::clone(&intake.events);
        let state = Arc::clone(&state);
        let processed = tokio::task::spawn_blocking(move || {
            let mut state = match state.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if state.generation != generation || state.detector.is_none() {
                // Bursts of one rule on one host (a password-guessing run) become one draft
                // and a count, not thousands of store writes.
                state.detector = Some(
                    Detector::new(
                        Arc::clone(&rules.rules),
                        &rules.correlations,
                        Arc::clone(&tables.indicators),
                        Arc::clone(&tables.tuning),
                    )
                    .with_prefold(PREFOLD_WINDOW, PREFOLD_KEYS),
                );
                state.generation = generation;
            }
            let mut drafts: Vec<AlertDraft> = Vec::new();
            let mut bursts = Vec::new();
            if let Some(detector) = state.detector.as_mut() {
                for event in &mut events {
                    if event.unit_id.is_none() {
                        tables.attributor.attribute(event);
                    }
                    detector.detect(event, &mut drafts);
                }
                bursts = detector
                    .drain_folded(Timestamp::now())
                    .into_iter()
                    .map(|folded| (folded.draft, folded.count, folded.first))
                    .collect();
            }
            log.append(&events).map(|()| (events.len(), drafts, bursts))
        })
        .await;
        let outcome: Result<Processed, String> = match processed {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(e)) => Err(format!("event store: {e}")),
            Err(e) => Err(format!("detection worker: {e}")),
        };
        let outcome = match outcome {
            Ok((stored, drafts, bursts)) => {
                intake
                    .counters
                    .stored
                    .fetch_add(stored as u64, Ordering::Relaxed);
                intake
                    .counters
                    .alerts
                    .fetch_add(drafts.len() as u64, Ordering::Relaxed);
                let window = intake.config.fold_window;
                let mut result = Ok(());
                if !drafts.is_empty() {
                    result = intake
                        .store
                        .record_alerts(&drafts, window)
                        .await
                        .map(|_| ());
                }
                if result.is_ok() && !bursts.is_empty() {
                    result = intake
                        .store
                        .record_alert_bursts(&bursts, window)
                        .await
                        .map(|_| ());
                }
                result.map_err(|e| format!("alert store: {e}"))
            }
            Err(e) => Err(e),
        };
        if let Err(e) = &outcome {
            intake
                .counters
                .failed_batches
                .fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "a batch was not stored");
        }
        for (count, ack) in acks {
            if let Some(ack) = ack {
                let _ = ack.send(outcome.clone().map(|()| count));
            }
        }
    }
}
