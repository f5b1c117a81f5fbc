//! A test double of canhgac's watch engine (`canhgac-watch`), for the web tests: [`TestWatch`]
//! implements the web layer's `Watch` seam over the real store. "Checking" a monitor records a
//! canned result (passing, with a fixed response time, unless the test says otherwise) through
//! `Store::record_check`; probe results are kept for the test to read and recorded the same way;
//! the page diff is a plain line comparison. It exists only to drive the web layer's handlers;
//! the real engine is tested in its own crate.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use canhgac_model::{
    Actor, AssetInput, AssetKind, CheckResult, Id, Monitor, MonitorInput, MonitorKind,
    MonitorStateUpdate, MonitorStatus, PageSnapshot, SystemInput, SystemKind, Timestamp, UnitInput,
    UnitKind, LOCAL_PROBE,
};
use canhgac_store::Store;
use canhgac_web::watch::{Watch, WatchStatus};

/// The test double. See the module documentation.
pub struct TestWatch {
    store: Arc<dyn Store>,
    /// Results accepted from remote probes, as (probe, results).
    pub accepted: Mutex<Vec<(String, Vec<CheckResult>)>>,
    /// What `check_now` answers: `Ok(latency)` for a passing check, `Err` to fail the engine.
    pub next_check: Mutex<Result<u32, String>>,
    checks: AtomicU64,
}

impl TestWatch {
    /// A double over `store` whose checks pass in 42 ms.
    pub fn new(store: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            store,
            accepted: Mutex::new(Vec::new()),
            next_check: Mutex::new(Ok(42)),
            checks: AtomicU64::new(0),
        })
    }

    /// Every result accepted so far, flattened.
    pub fn accepted_results(&self) -> Vec<CheckResult> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, results)| results.clone())
            .collect()
    }
}

/// The state after one result, as a minimal state machine would decide it.
pub fn update_for(result: &CheckResult) -> MonitorStateUpdate {
    MonitorStateUpdate {
        status: if result.ok {
            MonitorStatus::Up
        } else {
            MonitorStatus::Down
        },
        consecutive_failures: u32::from(!result.ok),
        outage_started: (!result.ok).then(|| result.message.clone()),
        outage_ended: result.ok,
    }
}

#[async_trait]
impl Watch for TestWatch {
    async fn accept_probe_results(
        &self,
        probe: &str,
        results: Vec<CheckResult>,
    ) -> Result<(), String> {
        for result in &results {
            self.store
                .record_check(result, &update_for(result))
                .await
                .map_err(|e| e.to_string())?;
        }
        self.accepted
            .lock()
            .unwrap()
            .push((probe.to_string(), results));
        Ok(())
    }

    async fn check_now(&self, monitor: &Monitor) -> Result<CheckResult, String> {
        let latency = self.next_check.lock().unwrap().clone()?;
        self.checks.fetch_add(1, Ordering::Relaxed);
        let result = CheckResult {
            monitor_id: monitor.id,
            probe: LOCAL_PROBE.to_string(),
            at: Timestamp::now(),
            ok: true,
            latency_ms: Some(latency),
            message: format!("HTTP 200 trong {latency} ms"),
            details: serde_json::json!({"status": 200}),
        };
        self.store
            .record_check(&result, &update_for(&result))
            .await
            .map_err(|e| e.to_string())?;
        Ok(result)
    }

    fn page_diff(&self, baseline: &PageSnapshot, current: &PageSnapshot) -> String {
        let old: Vec<&str> = baseline.text.lines().collect();
        let new: Vec<&str> = current.text.lines().collect();
        let mut out = Vec::new();
        for line in &old {
            if new.contains(line) {
                out.push(format!(" {line}"));
            } else {
                out.push(format!("-{line}"));
            }
        }
        for line in &new {
            if !old.contains(line) {
                out.push(format!("+{line}"));
            }
        }
        out.join("\n")
    }

    fn status(&self) -> WatchStatus {
        WatchStatus {
            checks: self.checks.load(Ordering::Relaxed),
            ..WatchStatus::default()
        }
    }
}

/// A province with two departments, A (with a child A1) and B; each owns a portal system with
/// a URL asset, and each asset has an HTTP monitor. A's monitor runs on the server and on the
/// remote probe `ngoai-mang` and is public; A1's runs on the server only; B's runs on
/// `ngoai-mang` only.
pub struct WatchWorld {
    pub province: Id,
    pub a: Id,
    pub a1: Id,
    pub b: Id,
    pub asset_a: Id,
    pub asset_a1: Id,
    pub asset_b: Id,
    pub monitor_a: Id,
    pub monitor_a1: Id,
    pub monitor_b: Id,
}

/// Name of the remote probe of the world.
pub const PROBE: &str = "ngoai-mang";

/// Builds the [`WatchWorld`] in `store`.
pub async fn watch_world(store: &dyn Store) -> WatchWorld {
    let sys = Actor::system("test");
    let unit = |name: &str, kind, parent| UnitInput::new(name, kind, parent);
    let p = store
        .create_unit(&sys, unit("Tỉnh Papa", UnitKind::Province, None))
        .await
        .unwrap();
    let a = store
        .create_unit(&sys, unit("Sở Alpha", UnitKind::Department, Some(p.id)))
        .await
        .unwrap();
    let a1 = store
        .create_unit(
            &sys,
            unit("Phòng Alpha 1", UnitKind::PublicServiceUnit, Some(a.id)),
        )
        .await
        .unwrap();
    let b = store
        .create_unit(&sys, unit("Sở Bravo", UnitKind::Department, Some(p.id)))
        .await
        .unwrap();
    let mut assets = Vec::new();
    for (owner, tag) in [(a.id, "alpha"), (a1.id, "alpha1"), (b.id, "bravo")] {
        let system = store
            .create_system(
                &sys,
                SystemInput::new(format!("Cổng {tag}"), SystemKind::Portal, owner),
            )
            .await
            .unwrap();
        let mut asset = AssetInput::new(AssetKind::Url, format!("https://{tag}.example.gov.vn/"));
        asset.system_id = system.id;
        assets.push(store.create_asset(&sys, asset).await.unwrap().id);
    }
    let monitor = |asset: Id, tag: &str, probes: &[&str], public: bool| {
        let mut input = MonitorInput::new(
            asset,
            &format!("Cổng {tag}"),
            MonitorKind::Http,
            &format!("https://{tag}.example.gov.vn/"),
        );
        input.probes = probes.iter().map(|p| p.to_string()).collect();
        input.public = public;
        input
    };
    let monitor_a = store
        .create_monitor(
            &sys,
            monitor(assets[0], "alpha", &[LOCAL_PROBE, PROBE], true),
        )
        .await
        .unwrap()
        .id;
    let monitor_a1 = store
        .create_monitor(&sys, monitor(assets[1], "alpha1", &[LOCAL_PROBE], false))
        .await
        .unwrap()
        .id;
    let monitor_b = store
        .create_monitor(&sys, monitor(assets[2], "bravo", &[PROBE], false))
        .await
        .unwrap()
        .id;
    WatchWorld {
        province: p.id,
        a: a.id,
        a1: a1.id,
        b: b.id,
        asset_a: assets[0],
        asset_a1: assets[1],
        asset_b: assets[2],
        monitor_a,
        monitor_a1,
        monitor_b,
    }
}

/// A check result of `monitor` from `probe`, `minutes_ago`.
pub fn result(
    monitor: Id,
    probe: &str,
    ok: bool,
    latency: Option<u32>,
    minutes_ago: i64,
) -> CheckResult {
    CheckResult {
        monitor_id: monitor,
        probe: probe.to_string(),
        at: Timestamp::now() - jiff::SignedDuration::from_mins(minutes_ago),
        ok,
        latency_ms: latency,
        message: if ok {
            format!("HTTP 200 trong {} ms", latency.unwrap_or(0))
        } else {
            "hết thời gian chờ 10 s".to_string()
        },
        details: serde_json::json!({}),
    }
}

/// Records `results` straight in the store, as the engine would.
pub async fn record(store: &dyn Store, results: &[CheckResult]) {
    for r in results {
        store.record_check(r, &update_for(r)).await.unwrap();
    }
}

/// A page snapshot with `text` (lines) and `title`.
pub fn snapshot(title: &str, text: &str, scripts: &[&str]) -> PageSnapshot {
    PageSnapshot {
        title: title.to_string(),
        text: text.to_string(),
        structure: vec!["html/body/div".into()],
        external_scripts: scripts.iter().map(|s| s.to_string()).collect(),
        iframes: Vec::new(),
        size: text.len() as u64,
        notes: Vec::new(),
    }
}
