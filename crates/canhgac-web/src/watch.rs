//! What the console and the API need from the watch engine: take in results from remote probes,
//! run a monitor now, show a page's change against its baseline, and the engine's counters.
//!
//! The web layer holds no watch logic; the binary plugs in the implementation (`canhgac-watch`).
//! When none is plugged in, monitors can still be managed and their history read; the monitor
//! pages say checks are not running.

use async_trait::async_trait;
use canhgac_model::{CheckResult, Monitor, PageSnapshot};
use serde::Serialize;

/// The watch engine, as the web layer sees it.
#[async_trait]
pub trait Watch: Send + Sync + 'static {
    /// Results a remote probe reports for monitors assigned to it: stored, run through the
    /// state machine and alerted on exactly like the server's own checks. The caller has
    /// checked that each result's monitor is assigned to `probe` and in the caller's scope.
    async fn accept_probe_results(
        &self,
        probe: &str,
        results: Vec<CheckResult>,
    ) -> Result<(), String>;

    /// Runs one check of the monitor now, records it like a scheduled one and returns it.
    async fn check_now(&self, monitor: &Monitor) -> Result<CheckResult, String>;

    /// A line diff of the visible text of two captures of a page, for the defacement view.
    fn page_diff(&self, baseline: &PageSnapshot, current: &PageSnapshot) -> String;

    /// Counters of the engine.
    fn status(&self) -> WatchStatus;
}

/// Counters of the watch engine since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WatchStatus {
    /// Monitors scheduled on this server.
    pub scheduled: u64,
    /// Checks run.
    pub checks: u64,
    /// Checks that failed.
    pub failures: u64,
    /// Alerts raised.
    pub alerts: u64,
}
