//! The scan worker of `canhgac serve`, from `[scan]`: queues the runs of due schedules, claims
//! queued runs with a lease, runs the external scanner on the inventory's targets, writes
//! progress about once a second, records the issues as findings (a complete-run snapshot, so
//! what a run no longer sees becomes fixed) and stores the outcome.
//!
//! A run scans its addresses in batches (`scan.checkpoint_hosts` at a time) and saves a
//! checkpoint after each: the addresses done, their services and issues. A run whose server
//! stops mid-scan keeps its lease until it lapses; the next server (or this one after a restart)
//! claims it again and continues after the last checkpoint. The store fails a run taken too
//! many times.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use canhgac_model::scan::ScanIssue;
use canhgac_model::scan_run::{ScanResult, ScanRun, ScanStatus};
use canhgac_model::{Actor, FindingBatch, FindingOutcome, FindingSnapshot, FindingSource, Scope};
use canhgac_scan::run::{HostReport, Profile, ScanOptions, ScanProgress, ScanReport};
use canhgac_scan::target::{self, ScanHost, TargetSpec};
use canhgac_store::Store;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// How long a claimed run is held without a word from its worker; progress renews it every
/// second, so a lapsed lease means the server died.
const LEASE: SignedDuration = SignedDuration::from_secs(60);

/// How often a running scan's progress is written.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Most services per host and web pages kept in a run's report.
const REPORT_SERVICES_PER_HOST: usize = 200;

/// Starts the worker unless `scan.enabled` is off; it stops with `stop`.
pub fn start(config: &Config, store: Arc<dyn Store>, stop: CancellationToken) {
    if !config.scan.enabled {
        tracing::info!("scan.enabled = false: scans are queued but not run on this server");
        return;
    }
    let slots = Arc::new(Semaphore::new(config.scan.concurrency.max(1) as usize));
    let batch = config.scan.checkpoint_hosts.max(1) as usize;
    let vantage = config.scan.vantage;
    let poll = config.scan.poll.0.max(Duration::from_millis(100));
    let settings = config.scan.clone();
    tokio::spawn(async move {
        let mut extras = Extras::load(&settings).await;
        extras.vantage = vantage;
        let extras = Arc::new(extras);
        run_loop(store, slots, poll, stop, extras, batch).await;
    });
}

/// What every run adds to its profile: templates, the vulnerability database, the resolver.
#[derive(Default)]
struct Extras {
    templates: Option<Arc<Vec<canhgac_nuclei::template::Template>>>,
    vulndb: Option<Arc<canhgac_vulndb::VulnDb>>,
    resolver: Option<std::net::SocketAddr>,
    vantage: canhgac_scan::exposure::Vantage,
}

impl Extras {
    /// Reads the configured templates and opens the database; what cannot be read is logged
    /// and left out, so scans still run.
    async fn load(settings: &crate::config::ScanConfig) -> Extras {
        let mut extras = Extras::default();
        let mut templates = Vec::new();
        for dir in &settings.templates {
            let report = canhgac_nuclei::loader::load_dir(dir);
            tracing::info!(
                dir = %dir.display(),
                loaded = report.templates.len(),
                skipped = report.skipped.len() + report.broken.len(),
                "scan templates"
            );
            templates.extend(report.templates);
        }
        if !templates.is_empty() {
            extras.templates = Some(Arc::new(templates));
        }
        if !settings.vulndb.trim().is_empty() {
            match canhgac_vulndb::VulnDb::open(settings.vulndb.trim()).await {
                Ok(db) => extras.vulndb = Some(Arc::new(db)),
                Err(error) => {
                    tracing::warn!(%error, "scan.vulndb cannot be opened; CVE matching is off")
                }
            }
        }
        if !settings.resolver.trim().is_empty() {
            match canhgac_dns::Resolver::from_config(Some(settings.resolver.trim())) {
                Ok(resolver) => extras.resolver = Some(resolver.addr()),
                Err(error) => {
                    tracing::warn!(%error, "scan.resolver is not an address; the system's is used")
                }
            }
        }
        extras
    }
}

async fn run_loop(
    store: Arc<dyn Store>,
    slots: Arc<Semaphore>,
    poll: Duration,
    stop: CancellationToken,
    extras: Arc<Extras>,
    batch: usize,
) {
    loop {
        match store.enqueue_due_scans(Timestamp::now()).await {
            Ok(queued) if !queued.is_empty() => {
                tracing::info!(runs = ?queued, "scheduled scans queued");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot queue scheduled scans"),
        }
        while let Ok(permit) = slots.clone().try_acquire_owned() {
            let now = Timestamp::now();
            match store.claim_scan(now, now + LEASE).await {
                Ok(Some(run)) => {
                    let store = store.clone();
                    let stop = stop.clone();
                    let extras = extras.clone();
                    tokio::spawn(async move {
                        execute(store, run, stop, &extras, batch).await;
                        drop(permit);
                    });
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim a scan");
                    break;
                }
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// Why a run could not be scanned (shown to people: Vietnamese).
fn failed(error: String) -> ScanResult {
    ScanResult {
        status: ScanStatus::Failed,
        error: Some(error),
        hosts: 0,
        open_ports: 0,
        issues: 0,
        outcome: FindingOutcome::default(),
        report: None,
    }
}

/// Runs one claimed scan to its end (or until it is cancelled or the server stops).
async fn execute(
    store: Arc<dyn Store>,
    run: ScanRun,
    stop: CancellationToken,
    extras: &Extras,
    batch: usize,
) {
    let id = run.id;
    tracing::info!(scan = id, profile = %run.profile, attempt = run.attempts, "scan started");
    let result = match scan(&store, &run, &stop, extras, batch).await {
        Ok(Some(result)) => result,
        // Cancelled, or the server is stopping: nothing to write.
        Ok(None) => return,
        Err(error) => failed(error),
    };
    match store.finish_scan(id, &result).await {
        Ok(true) => tracing::info!(scan = id, status = %result.status, "scan finished"),
        Ok(false) => tracing::info!(scan = id, "scan cancelled before it finished"),
        Err(error) => tracing::warn!(scan = id, %error, "cannot store a scan's outcome"),
    }
}

/// The scan itself: `Ok(None)` when cancelled or stopped, `Err` with a Vietnamese reason.
async fn scan(
    store: &Arc<dyn Store>,
    run: &ScanRun,
    stop: &CancellationToken,
    extras: &Extras,
    batch: usize,
) -> Result<Option<ScanResult>, String> {
    let profile = Profile::parse(&run.profile)
        .ok_or_else(|| format!("hồ sơ rà quét «{}» không tồn tại", run.profile))?;
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for written in &run.targets {
        // A wildcard domain names a family of hosts, not one to connect to.
        if written.starts_with("*.") {
            skipped.push(written.clone());
            continue;
        }
        match TargetSpec::parse(written) {
            Ok(spec) => targets.push(spec),
            Err(_) => skipped.push(written.clone()),
        }
    }
    if targets.is_empty() {
        return Err(format!(
            "không có mục tiêu nào rà quét được (bỏ qua: {})",
            skipped.join(", ")
        ));
    }
    // The inventory may have changed since the run was queued: scan only what it still holds.
    let inventory = store
        .scan_assets(&Scope::All)
        .await
        .map_err(|e| format!("không đọc được danh mục tài sản: {e}"))?;
    // The mail posture is judged on the mail domains of the system scanned.
    let mail_domains: Vec<String> = inventory
        .iter()
        .filter(|a| {
            Some(a.system_id) == run.system_id && a.kind == canhgac_model::AssetKind::Domain
        })
        .map(|a| a.value.trim_start_matches("*.").to_owned())
        .collect();
    let assets: Vec<_> = inventory.into_iter().map(|a| (a.kind, a.value)).collect();
    target::check_scope(&targets, &assets).map_err(|e| e.to_string())?;
    let hosts = target::resolve(&targets).await.map_err(|e| e.to_string())?;

    let mut options = ScanOptions::for_profile(profile);
    options.mail_domains = mail_domains;
    options.templates = extras.templates.clone();
    options.vulndb = extras.vulndb.clone();
    options.resolver = extras.resolver;
    options.vantage = extras.vantage;
    // What an earlier attempt finished; a checkpoint that cannot be read is started over.
    let mut checkpoint: Checkpoint = match store.scan_checkpoint(run.id).await {
        Ok(Some(text)) => serde_json::from_str(&text).unwrap_or_else(|error| {
            tracing::warn!(scan = run.id, %error, "unreadable scan checkpoint: starting over");
            Checkpoint::default()
        }),
        Ok(None) => Checkpoint::default(),
        Err(error) => {
            return Err(format!(
                "không đọc được điểm dừng của lượt rà quét: {error}"
            ))
        }
    };
    let all_ips: BTreeSet<IpAddr> = hosts.iter().map(|h| h.ip).collect();
    checkpoint.done.retain(|ip| all_ips.contains(ip));
    let resumed = checkpoint.done.len();
    if resumed > 0 {
        tracing::info!(
            scan = run.id,
            resumed,
            total = all_ips.len(),
            "scan continues from its checkpoint"
        );
    }
    let started_at = *checkpoint.started_at.get_or_insert_with(Timestamp::now);
    while let Some(batch_hosts) = next_batch(&hosts, &checkpoint.done, batch) {
        let batch_ips: BTreeSet<IpAddr> = batch_hosts.iter().map(|h| h.ip).collect();
        let progress = Arc::new(ScanProgress::default());
        let scanning = canhgac_scan::run::run(&batch_hosts, &options, progress.clone());
        tokio::pin!(scanning);
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        let (done_before, batch_len) = (checkpoint.done.len() as f64, batch_ips.len() as f64);
        let overall = |part: f64| (done_before + part * batch_len) / all_ips.len().max(1) as f64;
        let report = loop {
            tokio::select! {
                report = &mut scanning => break report,
                () = stop.cancelled() => return Ok(None),
                _ = ticker.tick() => {
                    let phase = progress.phase().label_vi();
                    let lease = Timestamp::now() + LEASE;
                    match store.scan_progress(run.id, overall(progress.fraction()), phase, lease).await {
                        Ok(true) => {}
                        Ok(false) => return Ok(None),
                        Err(error) => tracing::warn!(scan = run.id, %error, "cannot write scan progress"),
                    }
                }
            }
        };
        checkpoint.absorb(report, batch_ips);
        let text = serde_json::to_string(&checkpoint)
            .map_err(|e| format!("không ghi được điểm dừng: {e}"))?;
        let lease = Timestamp::now() + LEASE;
        match store
            .save_scan_checkpoint(run.id, &text, overall(1.0), lease)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(error) => tracing::warn!(scan = run.id, %error, "cannot save a scan checkpoint"),
        }
    }
    let report = checkpoint.into_report(profile, started_at, options.categories());
    let outcome = record(store, &report).await?;
    Ok(Some(ScanResult {
        status: ScanStatus::Done,
        error: (!skipped.is_empty())
            .then(|| format!("bỏ qua mục tiêu không rà quét được: {}", skipped.join(", "))),
        hosts: report.hosts.len() as u64,
        open_ports: report.hosts.iter().map(|h| h.services.len() as u64).sum(),
        issues: report.issues.len() as u64,
        outcome,
        report: Some(compact_report(&report, &skipped, resumed)),
    }))
}

/// Records the run's issues as findings: a complete run over the hosts that answered, so open
/// findings of its categories there that it did not see again become fixed.
async fn record(store: &Arc<dyn Store>, report: &ScanReport) -> Result<FindingOutcome, String> {
    let observed = report.finished_at;
    let reached: Vec<String> = report
        .hosts
        .iter()
        .filter(|h| !h.services.is_empty())
        .map(|h| h.name.clone())
        .collect();
    if reached.is_empty() && report.issues.is_empty() {
        // Nothing answered: no evidence either way, nothing becomes fixed.
        return Ok(FindingOutcome::default());
    }
    let batch = FindingBatch {
        findings: report
            .issues
            .iter()
            .cloned()
            .map(|issue| issue.into_draft(observed))
            .collect(),
        snapshot: Some(FindingSnapshot {
            source: FindingSource::Scan,
            categories: report.categories.clone(),
            unit_ids: Vec::new(),
            subject_prefix: None,
            hosts: reached,
        }),
    };
    store
        .record_findings(&Actor::system("scanner"), &batch)
        .await
        .map_err(|e| format!("không ghi được phát hiện: {e}"))
}

/// Services per host and web page titles: what the console shows of a run.
fn compact_report(report: &ScanReport, skipped: &[String], resumed: usize) -> serde_json::Value {
    let hosts: Vec<serde_json::Value> = report
        .hosts
        .iter()
        .map(|host| {
            let services: Vec<serde_json::Value> = host
                .services
                .iter()
                .take(REPORT_SERVICES_PER_HOST)
                .map(|s| {
                    serde_json::json!({
                        "port": s.addr.port,
                        "service": s.service,
                        "tls": s.tls,
                        "product": s.product,
                        "version": s.version,
                    })
                })
                .collect();
            let web: Vec<serde_json::Value> = host
                .web
                .iter()
                .take(REPORT_SERVICES_PER_HOST)
                .map(|w| {
                    serde_json::json!({
                        "url": w.base_url,
                        "status": w.status,
                        "title": w.title,
                    })
                })
                .collect();
            serde_json::json!({
                "name": host.name,
                "ip": host.ip.to_string(),
                "services": services,
                "web": web,
            })
        })
        .collect();
    serde_json::json!({
        "profile": report.profile.as_str(),
        "categories": report.categories,
        "hosts": hosts,
        "skipped": skipped,
        "resumed_hosts": resumed,
    })
}

/// What a run has finished: saved after every batch, read back when a run is taken over.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    /// Addresses fully scanned.
    done: BTreeSet<IpAddr>,
    /// Their reports.
    hosts: Vec<HostReport>,
    /// Issues found so far, one per finding key.
    issues: Vec<ScanIssue>,
    /// Connection attempts and requests so far.
    attempts: u64,
    requests: u64,
    /// When the first attempt began.
    started_at: Option<Timestamp>,
}

impl Checkpoint {
    fn absorb(&mut self, report: ScanReport, ips: BTreeSet<IpAddr>) {
        self.hosts.extend(report.hosts);
        for issue in report.issues {
            // Domain-wide checks (mail posture) come back from every batch: keep one.
            if !self
                .issues
                .iter()
                .any(|i| i.finding_key() == issue.finding_key())
            {
                self.issues.push(issue);
            }
        }
        self.attempts += report.attempts;
        self.requests += report.requests;
        self.done.extend(ips);
    }

    fn into_report(
        mut self,
        profile: Profile,
        started_at: Timestamp,
        categories: Vec<String>,
    ) -> ScanReport {
        self.issues.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.host.cmp(&b.host))
                .then_with(|| a.check.cmp(&b.check))
                .then_with(|| a.subject.cmp(&b.subject))
        });
        ScanReport {
            profile,
            started_at,
            finished_at: Timestamp::now(),
            hosts: self.hosts,
            issues: self.issues,
            categories,
            attempts: self.attempts,
            requests: self.requests,
        }
    }
}

/// The next `size` addresses not yet done, with every name they carry; `None` when all are done.
fn next_batch(hosts: &[ScanHost], done: &BTreeSet<IpAddr>, size: usize) -> Option<Vec<ScanHost>> {
    let mut ips = BTreeSet::new();
    for host in hosts.iter().filter(|h| !done.contains(&h.ip)) {
        if ips.len() == size && !ips.contains(&host.ip) {
            continue;
        }
        ips.insert(host.ip);
    }
    let batch: Vec<ScanHost> = hosts
        .iter()
        .filter(|h| ips.contains(&h.ip))
        .cloned()
        .collect();
    (!batch.is_empty()).then_some(batch)
}
