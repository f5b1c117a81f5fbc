//! Wiring of the watch engine: the server's own monitors, the adapter that shows the engine to
//! the web layer, and `canhgac probe`.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use canhgac_model::{CheckResult, Monitor, PageSnapshot};
use canhgac_store::Store;
use canhgac_watch::runtime::{Watcher, WatcherConfig};
use canhgac_watch::CheckOptions;
use canhgac_web::watch::{Watch, WatchStatus};
use jiff::SignedDuration;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// Check options from the configuration (the extra CA file is read here, once).
pub fn check_options(config: &Config) -> anyhow::Result<CheckOptions> {
    let mut options = CheckOptions {
        max_body_bytes: usize::try_from(config.watch.max_body.0).unwrap_or(usize::MAX),
        ..CheckOptions::default()
    };
    let ca_file = config.watch.ca_file.trim();
    if !ca_file.is_empty() {
        let pem = std::fs::read(ca_file)
            .with_context(|| format!("watch.ca_file: cannot read {ca_file}"))?;
        options.extra_roots_pem = Some(pem);
    }
    Ok(options)
}

fn signed(duration: std::time::Duration) -> SignedDuration {
    SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX)
}

/// Starts the engine when `[watch] enabled`; returns what the web layer sees.
pub fn start(
    config: &Config,
    store: Arc<dyn Store>,
    stop: CancellationToken,
) -> anyhow::Result<Option<Arc<LiveWatch>>> {
    if !config.watch.enabled {
        tracing::info!("watch: monitors do not run on this server ([watch] enabled = false)");
        return Ok(None);
    }
    let watcher = Watcher::new(
        store,
        WatcherConfig {
            options: check_options(config)?,
            max_concurrent: usize::try_from(config.watch.max_concurrent.max(1)).unwrap_or(256),
            fold_window: signed(config.watch.fold_window.0),
            keep_checks: signed(config.watch.keep_checks.0),
            keep_rollups: signed(config.watch.keep_rollups.0),
            automatic: config.watch.automatic,
            ..WatcherConfig::default()
        },
    );
    // The handle is not awaited: the engine keeps no unacknowledged data, so at shutdown it
    // simply stops with the runtime.
    let _engine = watcher.start(stop);
    Ok(Some(Arc::new(LiveWatch { watcher })))
}

/// The engine as the web layer sees it.
pub struct LiveWatch {
    watcher: Watcher,
}

#[async_trait]
impl Watch for LiveWatch {
    async fn accept_probe_results(
        &self,
        _probe: &str,
        results: Vec<CheckResult>,
    ) -> Result<(), String> {
        self.watcher
            .accept_remote(results)
            .await
            .map_err(|e| e.to_string())
    }

    async fn check_now(&self, monitor: &Monitor) -> Result<CheckResult, String> {
        self.watcher
            .check_now(monitor)
            .await
            .map_err(|e| e.to_string())
    }

    fn page_diff(&self, baseline: &PageSnapshot, current: &PageSnapshot) -> String {
        canhgac_watch::page::diff(baseline, current)
    }

    fn status(&self) -> WatchStatus {
        let counters = self.watcher.counters();
        WatchStatus {
            scheduled: counters.scheduled,
            checks: counters.checks,
            failures: counters.failures,
            alerts: counters.alerts,
        }
    }
}

/// `canhgac probe`: runs the monitors assigned to this probe and reports to the server until
/// SIGTERM or SIGINT.
pub async fn run_probe(
    config: &Config,
    server: &str,
    token: String,
    name: &str,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};

    let name = name.trim().to_ascii_lowercase();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        anyhow::bail!("--name: use letters, digits, '-' and '_' (e.g. ngoai-mang)");
    }
    let feed =
        canhgac_watch::remote::RemoteFeed::new(server, token, &name).map_err(anyhow::Error::msg)?;
    let options = check_options(config)?;
    let mut sigterm = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut sigint = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = sigint.recv() => {}
        }
        stopper.cancel();
    });
    println!("probe {name} reporting to {server}");
    canhgac_watch::remote::run_probe(feed, name, options, cancel).await;
    Ok(())
}
