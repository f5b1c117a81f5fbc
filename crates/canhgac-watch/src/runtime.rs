//! The watch engine inside the server: schedules the monitors from the store, runs every outcome
//! (its own and remote probes') through the state machine, stores it, and raises and resolves
//! alerts: down and recovered, expiring or invalid certificates, changed DNS records, defaced
//! pages. It also keeps the automatic monitors of portal and email systems and prunes history.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::{
    AlertDraft, AlertSource, CheckResult, Id, MaintenanceWindow, Monitor, MonitorKind, PageRequest,
    Scope, Severity, SystemKind, Timestamp,
};
use canhgac_store::{AssetFilter, Store, StoreError, SystemFilter};
use jiff::SignedDuration;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::automatic::automatic_monitors;
use crate::schedule::{self, MonitorFeed, ScheduleConfig, ScheduleCounters};
use crate::state::{decide, FlapPolicy, MonitorMemory, Observation, Transition};
use crate::{page, run_check, CheckOptions, CheckOutcome};

/// How the server's watch engine runs.
#[derive(Debug, Clone)]
pub struct WatcherConfig {
    /// The probe name of the server's own checks.
    pub probe: String,
    /// Options of every check.
    pub options: CheckOptions,
    /// Checks running at once, at most.
    pub max_concurrent: usize,
    /// How often monitors and maintenance windows are re-read.
    pub reload_every: Duration,
    /// When a monitor counts as flapping.
    pub flap: FlapPolicy,
    /// Alerts of the same monitor and kind fold within this window.
    pub fold_window: SignedDuration,
    /// Raw checks are kept this long (hourly rollups stay longer).
    pub keep_checks: SignedDuration,
    /// Hourly rollups are kept this long.
    pub keep_rollups: SignedDuration,
    /// Create monitors for portal and email systems automatically.
    pub automatic: bool,
}

impl Default for WatcherConfig {
    fn default() -> Self {
        Self {
            probe: canhgac_model::LOCAL_PROBE.to_owned(),
            options: CheckOptions::default(),
            max_concurrent: 256,
            reload_every: Duration::from_secs(5),
            flap: FlapPolicy::default(),
            fold_window: SignedDuration::from_hours(24),
            keep_checks: SignedDuration::from_hours(24 * 7),
            keep_rollups: SignedDuration::from_hours(24 * 400),
            automatic: true,
        }
    }
}

/// Counters of the engine since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatcherCounters {
    /// Monitors scheduled on this server.
    pub scheduled: u64,
    /// Checks handled (local and remote).
    pub checks: u64,
    /// Checks that failed.
    pub failures: u64,
    /// Alerts raised.
    pub alerts: u64,
}

/// What the engine remembers of one monitor.
#[derive(Debug)]
struct Tracked {
    state: MonitorMemory,
    /// The smallest certificate warning threshold already alerted (0: invalid or expired).
    cert_alerted: Option<u32>,
}

struct Inner {
    store: Arc<dyn Store>,
    config: WatcherConfig,
    tracked: Mutex<HashMap<Id, Arc<Mutex<Tracked>>>>,
    maintenance: Mutex<(Option<Timestamp>, Vec<MaintenanceWindow>)>,
    schedule: Arc<ScheduleCounters>,
    checks: AtomicU64,
    failures: AtomicU64,
    alerts: AtomicU64,
}

/// The server's watch engine. Cheap to clone.
#[derive(Clone)]
pub struct Watcher {
    inner: Arc<Inner>,
}

impl Watcher {
    /// An engine over `store`; nothing runs until [`Watcher::start`].
    pub fn new(store: Arc<dyn Store>, config: WatcherConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                config,
                tracked: Mutex::default(),
                maintenance: Mutex::default(),
                schedule: Arc::default(),
                checks: AtomicU64::new(0),
                failures: AtomicU64::new(0),
                alerts: AtomicU64::new(0),
            }),
        }
    }

    /// Starts the scheduler and the housekeeping (automatic monitors, pruning); both stop when
    /// `cancel` fires.
    pub fn start(&self, cancel: CancellationToken) -> JoinHandle<()> {
        let feed: Arc<dyn MonitorFeed> = Arc::new(StoreFeed {
            watcher: self.clone(),
            stamp: Mutex::new(None),
        });
        let config = ScheduleConfig {
            probe: self.inner.config.probe.clone(),
            options: self.inner.config.options.clone(),
            max_concurrent: self.inner.config.max_concurrent,
            reload_every: self.inner.config.reload_every,
        };
        let scheduler = tokio::spawn(schedule::run(
            feed,
            config,
            self.inner.schedule.clone(),
            cancel.clone(),
        ));
        let housekeeping = tokio::spawn(self.clone().housekeeping(cancel));
        tokio::spawn(async move {
            let _ = scheduler.await;
            let _ = housekeeping.await;
        })
    }

    /// Counters since start.
    pub fn counters(&self) -> WatcherCounters {
        WatcherCounters {
            scheduled: self.inner.schedule.scheduled.load(Relaxed),
            checks: self.inner.checks.load(Relaxed),
            failures: self.inner.failures.load(Relaxed),
            alerts: self.inner.alerts.load(Relaxed),
        }
    }

    /// Runs one check of `monitor` now and handles it like a scheduled one.
    pub async fn check_now(&self, monitor: &Monitor) -> Result<CheckResult, StoreError> {
        let outcome = run_check(
            monitor.id,
            &monitor.input,
            &self.inner.config.probe,
            &self.inner.config.options,
        )
        .await;
        let result = outcome.result.clone();
        self.accept(monitor, outcome).await?;
        Ok(result)
    }

    /// Handles results a remote probe reported (no page capture or certificate travels with
    /// them: defacement and certificate alerts come from the server's own checks).
    pub async fn accept_remote(&self, results: Vec<CheckResult>) -> Result<(), StoreError> {
        for result in results {
            let monitor = self
                .inner
                .store
                .get_monitor(&Scope::All, result.monitor_id)
                .await?;
            let outcome = CheckOutcome {
                result,
                snapshot: None,
                certificate: None,
                dns_answers: None,
            };
            self.accept(&monitor, outcome).await?;
        }
        Ok(())
    }

    /// Runs one outcome through the state machine, stores it, and raises or resolves alerts.
    pub async fn accept(&self, monitor: &Monitor, outcome: CheckOutcome) -> Result<(), StoreError> {
        let inner = &self.inner;
        let tracked = {
            let mut all = inner.tracked.lock().await;
            all.entry(monitor.id)
                .or_insert_with(|| {
                    Arc::new(Mutex::new(Tracked {
                        state: MonitorMemory::new(monitor.status, monitor.consecutive_failures),
                        cert_alerted: None,
                    }))
                })
                .clone()
        };
        // One outcome of a monitor at a time: local, remote and "check now" may race.
        let mut tracked = tracked.lock().await;
        let result = &outcome.result;
        let in_maintenance = self.in_maintenance(monitor.id, result.at).await?;
        let (update, transition) = decide(
            &mut tracked.state,
            monitor.input.retries,
            Observation {
                ok: result.ok,
                message: &result.message,
                at: result.at,
                in_maintenance,
            },
            inner.config.flap,
        );
        inner.store.record_check(result, &update).await?;
        inner.checks.fetch_add(1, Relaxed);
        if !result.ok {
            inner.failures.fetch_add(1, Relaxed);
        }

        let mut drafts = Vec::new();
        let down_key = down_rule_key(monitor);
        match transition {
            Some(Transition::WentDown) => drafts.push(self.down_alert(monitor, result)),
            Some(Transition::Recovered) => {
                let comment = format!(
                    "Đã hoạt động trở lại lúc {} ({})",
                    format_time(result.at),
                    result.message
                );
                inner
                    .store
                    .resolve_monitor_alerts(&down_key, &comment)
                    .await?;
                // The recovery itself is on the alert list too (for the on-duty staff and the
                // notification log), already resolved: nobody has to triage good news.
                let recovered_key = format!("watch:recovered:{}", monitor.id);
                let notice = self.draft(
                    monitor,
                    recovered_key.clone(),
                    format!("Đã hoạt động trở lại: {}", monitor.input.name),
                    Severity::Informational,
                    result.at,
                    serde_json::json!({
                        "monitor_id": monitor.id,
                        "target": monitor.input.target,
                        "probe": result.probe,
                        "message": result.message,
                    }),
                );
                inner
                    .store
                    .record_alerts(&[notice], inner.config.fold_window)
                    .await?;
                inner.alerts.fetch_add(1, Relaxed);
                inner
                    .store
                    .resolve_monitor_alerts(&recovered_key, &comment)
                    .await?;
            }
            None => {}
        }
        if !in_maintenance {
            if let Some(draft) = self
                .certificate_alert(monitor, &outcome, &mut tracked)
                .await?
            {
                drafts.push(draft);
            }
            if let Some(draft) = self.defacement_alert(monitor, &outcome).await? {
                drafts.push(draft);
            }
        }
        if !drafts.is_empty() {
            inner.alerts.fetch_add(drafts.len() as u64, Relaxed);
            inner
                .store
                .record_alerts(&drafts, inner.config.fold_window)
                .await?;
        }
        Ok(())
    }

    async fn in_maintenance(&self, monitor_id: Id, at: Timestamp) -> Result<bool, StoreError> {
        let mut cache = self.inner.maintenance.lock().await;
        let stale = cache.0.is_none_or(|read| {
            at.duration_since(read).abs()
                > SignedDuration::try_from(self.inner.config.reload_every)
                    .unwrap_or(SignedDuration::from_secs(5))
        });
        if stale {
            let now = Timestamp::now();
            // Every window not yet ended, including those that start before the next read.
            let windows = self
                .inner
                .store
                .list_maintenance(&Scope::All, None, now)
                .await?;
            *cache = (Some(now), windows);
        }
        Ok(cache
            .1
            .iter()
            .any(|w| w.monitor_id == monitor_id && w.covers(at)))
    }

    fn draft(
        &self,
        monitor: &Monitor,
        rule_key: String,
        title: String,
        severity: Severity,
        at: Timestamp,
        evidence: serde_json::Value,
    ) -> AlertDraft {
        AlertDraft {
            source: AlertSource::Monitor,
            rule_key,
            title,
            severity,
            tags: vec![format!("monitor.{}", monitor.input.kind.code())],
            unit_id: Some(monitor.unit_id),
            host: canhgac_model::target_host(monitor.input.kind, &monitor.input.target),
            time: at,
            evidence,
        }
    }

    fn down_alert(&self, monitor: &Monitor, result: &CheckResult) -> AlertDraft {
        let title = if monitor.input.kind == MonitorKind::Dns {
            format!("Bản ghi DNS sai khác: {}", monitor.input.name)
        } else {
            format!("Ngừng hoạt động: {}", monitor.input.name)
        };
        self.draft(
            monitor,
            down_rule_key(monitor),
            title,
            Severity::High,
            result.at,
            serde_json::json!({
                "monitor_id": monitor.id,
                "target": monitor.input.target,
                "probe": result.probe,
                "message": result.message,
                "details": result.details,
            }),
        )
    }

    async fn certificate_alert(
        &self,
        monitor: &Monitor,
        outcome: &CheckOutcome,
        tracked: &mut Tracked,
    ) -> Result<Option<AlertDraft>, StoreError> {
        let Some(cert) = &outcome.certificate else {
            return Ok(None);
        };
        let key = format!("watch:cert:{}", monitor.id);
        let broken = !cert.trusted || !cert.hostname_matches || cert.days_left < 0;
        let threshold = if broken {
            Some(0)
        } else {
            monitor
                .input
                .settings
                .cert_warn_days
                .iter()
                .copied()
                .filter(|days| cert.days_left <= i64::from(*days))
                .min()
        };
        let Some(threshold) = threshold else {
            if tracked.cert_alerted.take().is_some() {
                let comment = format!(
                    "Chứng thư đã được thay, còn hạn đến {}",
                    format_time(cert.not_after)
                );
                self.inner
                    .store
                    .resolve_monitor_alerts(&key, &comment)
                    .await?;
            }
            return Ok(None);
        };
        if tracked
            .cert_alerted
            .is_some_and(|alerted| alerted <= threshold)
        {
            return Ok(None);
        }
        tracked.cert_alerted = Some(threshold);
        let (title, severity) = if broken {
            let reason = if cert.problems.is_empty() {
                "không hợp lệ".to_owned()
            } else {
                cert.problems.join("; ")
            };
            (
                format!(
                    "Chứng thư TLS không hợp lệ ({reason}): {}",
                    monitor.input.name
                ),
                Severity::High,
            )
        } else {
            let severity = match cert.days_left {
                ..=7 => Severity::High,
                8..=14 => Severity::Medium,
                _ => Severity::Low,
            };
            (
                format!(
                    "Chứng thư TLS sắp hết hạn (còn {} ngày, đến {}): {}",
                    cert.days_left,
                    format_date(cert.not_after),
                    monitor.input.name
                ),
                severity,
            )
        };
        Ok(Some(self.draft(
            monitor,
            key,
            title,
            severity,
            outcome.result.at,
            serde_json::json!({
                "monitor_id": monitor.id,
                "target": monitor.input.target,
                "subject": cert.subject,
                "issuer": cert.issuer,
                "not_after": cert.not_after,
                "days_left": cert.days_left,
                "problems": cert.problems,
            }),
        )))
    }

    async fn defacement_alert(
        &self,
        monitor: &Monitor,
        outcome: &CheckOutcome,
    ) -> Result<Option<AlertDraft>, StoreError> {
        // A failing check (an error page, a timeout) says nothing about defacement.
        let (Some(snapshot), Some(settings), true) = (
            &outcome.snapshot,
            &monitor.input.settings.defacement,
            outcome.result.ok,
        ) else {
            return Ok(None);
        };
        let store = &self.inner.store;
        let at = outcome.result.at;
        let Some(baseline) = store.defacement_baseline(&Scope::All, monitor.id).await? else {
            store.set_baseline(monitor.id, snapshot, at).await?;
            return Ok(None);
        };
        let verdict = page::compare(&baseline.baseline, snapshot, settings);
        if !verdict.defaced {
            if baseline.candidate.is_some() {
                store.set_candidate(monitor.id, None, at).await?;
            }
            return Ok(None);
        }
        store.set_candidate(monitor.id, Some(snapshot), at).await?;
        let severity = if verdict.markers.is_empty()
            && verdict.new_scripts.is_empty()
            && verdict.new_iframes.is_empty()
        {
            Severity::High
        } else {
            Severity::Critical
        };
        Ok(Some(self.draft(
            monitor,
            format!("watch:defacement:{}", monitor.id),
            format!("Nghi thay đổi giao diện trang: {}", monitor.input.name),
            severity,
            at,
            serde_json::json!({
                "monitor_id": monitor.id,
                "url": monitor.input.target,
                "reasons": verdict.reasons,
                "change_ratio": verdict.change_ratio,
                "title_changed": verdict.title_changed,
                "new_scripts": verdict.new_scripts,
                "new_iframes": verdict.new_iframes,
                "markers": verdict.markers,
                "diff": page::diff(&baseline.baseline, snapshot),
            }),
        )))
    }

    /// Adds the automatic monitors of portal and email systems that do not have them yet.
    pub async fn create_automatic(&self) -> Result<u64, StoreError> {
        let store = &self.inner.store;
        let mut inputs = Vec::new();
        for kind in [SystemKind::Portal, SystemKind::Email] {
            let filter = SystemFilter {
                kind: Some(kind),
                ..SystemFilter::default()
            };
            let mut page_no = 1;
            loop {
                let page = PageRequest::new(page_no, PageRequest::MAX_PER_PAGE);
                let systems = store.list_systems(&Scope::All, &filter, &page).await?;
                for system in &systems.items {
                    let assets = all_assets(store.as_ref(), system.id).await?;
                    inputs.extend(automatic_monitors(kind, &assets));
                }
                if u64::from(page_no) >= systems.pages() {
                    break;
                }
                page_no += 1;
            }
        }
        store.create_automatic_monitors(inputs).await
    }

    async fn housekeeping(self, cancel: CancellationToken) {
        let mut inventory_stamp: Option<String> = None;
        let mut last_prune: Option<Timestamp> = None;
        // Inventory changes show up as automatic monitors within seconds.
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            if self.inner.config.automatic {
                match self.inner.store.detection_stamp().await {
                    Ok(stamp) if inventory_stamp.as_ref() != Some(&stamp) => {
                        match self.create_automatic().await {
                            Ok(0) => {}
                            Ok(added) => tracing::info!(
                                added,
                                "automatic monitors added for portal and email systems"
                            ),
                            Err(error) => tracing::warn!(%error, "cannot add automatic monitors"),
                        }
                        inventory_stamp = Some(stamp);
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "cannot read the inventory stamp"),
                }
            }
            let now = Timestamp::now();
            if last_prune.is_none_or(|at| now.duration_since(at) > SignedDuration::from_hours(1)) {
                let config = &self.inner.config;
                match self
                    .inner
                    .store
                    .prune_checks(now - config.keep_checks, now - config.keep_rollups)
                    .await
                {
                    Ok(0) => {}
                    Ok(rows) => tracing::info!(rows, "old monitor checks pruned"),
                    Err(error) => tracing::warn!(%error, "cannot prune monitor checks"),
                }
                last_prune = Some(now);
            }
        }
    }
}

async fn all_assets(
    store: &dyn Store,
    system_id: Id,
) -> Result<Vec<canhgac_model::Asset>, StoreError> {
    let filter = AssetFilter {
        system_id: Some(system_id),
        ..AssetFilter::default()
    };
    let mut assets = Vec::new();
    let mut page_no = 1;
    loop {
        let page = PageRequest::new(page_no, PageRequest::MAX_PER_PAGE);
        let found = store.list_assets(&Scope::All, &filter, &page).await?;
        let pages = found.pages();
        assets.extend(found.items);
        if u64::from(page_no) >= pages {
            return Ok(assets);
        }
        page_no += 1;
    }
}

/// The server's own feed: enabled monitors from the store, re-read when they change.
struct StoreFeed {
    watcher: Watcher,
    stamp: Mutex<Option<String>>,
}

#[async_trait]
impl MonitorFeed for StoreFeed {
    async fn monitors(&self) -> Result<Option<Vec<Monitor>>, String> {
        let store = &self.watcher.inner.store;
        let stamp = store.watch_stamp().await.map_err(|e| e.to_string())?;
        let mut last = self.stamp.lock().await;
        if last.as_ref() == Some(&stamp) {
            return Ok(None);
        }
        let monitors = store.enabled_monitors().await.map_err(|e| e.to_string())?;
        *last = Some(stamp);
        Ok(Some(monitors))
    }

    async fn deliver(&self, monitor: &Monitor, outcome: CheckOutcome) {
        if let Err(error) = self.watcher.accept(monitor, outcome).await {
            tracing::warn!(monitor = monitor.id, %error, "cannot store a check");
        }
    }
}

/// The rule key of a monitor's "down" alert.
pub fn down_rule_key(monitor: &Monitor) -> String {
    if monitor.input.kind == MonitorKind::Dns {
        format!("watch:dns:{}", monitor.id)
    } else {
        format!("watch:down:{}", monitor.id)
    }
}

fn format_time(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or(jiff::tz::TimeZone::UTC))
        .strftime("%H:%M %d/%m/%Y")
        .to_string()
}

fn format_date(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or(jiff::tz::TimeZone::UTC))
        .strftime("%d/%m/%Y")
        .to_string()
}
