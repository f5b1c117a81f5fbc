//! A remote probe (`canhgac probe`): fetches the monitors assigned to it from the server's API,
//! runs them on the same scheduler as the server, and reports every result back. Results that
//! cannot be delivered are kept (bounded) and sent with the next delivery.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::{CheckResult, Monitor};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::schedule::{self, MonitorFeed, ScheduleConfig, ScheduleCounters};
use crate::{CheckOptions, CheckOutcome};

/// Results kept while the server cannot be reached; the oldest go first beyond this.
const MAX_PENDING: usize = 10_000;

/// Monitors from, and results to, a canhgac server.
pub struct RemoteFeed {
    client: reqwest::Client,
    monitors_url: url::Url,
    results_url: url::Url,
    token: String,
    last: Mutex<Option<Vec<Monitor>>>,
    pending: Mutex<Vec<CheckResult>>,
}

impl RemoteFeed {
    /// A feed for probe `probe` of the server at `server` (e.g. `https://canhgac.example:8080`),
    /// authenticating with an API token.
    pub fn new(server: &str, token: String, probe: &str) -> Result<Self, String> {
        let base = url::Url::parse(server).map_err(|e| format!("--server {server:?}: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!("--server {server:?}: cần http:// hoặc https://"));
        }
        let join = |path: &str| {
            base.join(&format!("/api/v1/probes/{probe}/{path}"))
                .map_err(|e| format!("--server {server:?}: {e}"))
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("canhgac-probe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            monitors_url: join("monitors")?,
            results_url: join("results")?,
            token,
            last: Mutex::new(None),
            pending: Mutex::new(Vec::new()),
        })
    }

    async fn send(&self, results: &[CheckResult]) -> Result<(), String> {
        let response = self
            .client
            .post(self.results_url.clone())
            .bearer_auth(&self.token)
            .json(results)
            .send()
            .await
            .map_err(|e| format!("cannot reach the server: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            Err(format!("the server refused the results ({status}): {body}"))
        }
    }
}

/// A listing as the API returns it: a plain array, or a page with `items`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Listing {
    Plain(Vec<Monitor>),
    Paged { items: Vec<Monitor> },
}

#[async_trait]
impl MonitorFeed for RemoteFeed {
    async fn monitors(&self) -> Result<Option<Vec<Monitor>>, String> {
        let response = self
            .client
            .get(self.monitors_url.clone())
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| format!("cannot reach the server: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(format!("the server answered {status}: {body}"));
        }
        let listing: Listing = response
            .json()
            .await
            .map_err(|e| format!("unexpected answer from the server: {e}"))?;
        let monitors = match listing {
            Listing::Plain(items) | Listing::Paged { items } => items,
        };
        let mut last = self.last.lock().await;
        let same = last.as_ref().is_some_and(|old| {
            old.len() == monitors.len()
                && old
                    .iter()
                    .zip(&monitors)
                    .all(|(a, b)| a.id == b.id && a.input == b.input)
        });
        if same {
            return Ok(None);
        }
        *last = Some(monitors.clone());
        Ok(Some(monitors))
    }

    async fn deliver(&self, _monitor: &Monitor, outcome: CheckOutcome) {
        let batch = {
            let mut pending = self.pending.lock().await;
            pending.push(outcome.result);
            std::mem::take(&mut *pending)
        };
        if let Err(error) = self.send(&batch).await {
            tracing::warn!(%error, kept = batch.len(), "results not delivered; kept for the next try");
            let mut pending = self.pending.lock().await;
            let mut kept = batch;
            kept.append(&mut pending);
            if kept.len() > MAX_PENDING {
                let dropped = kept.len() - MAX_PENDING;
                kept.drain(..dropped);
                tracing::warn!(
                    dropped,
                    "too many undelivered results; the oldest were dropped"
                );
            }
            *pending = kept;
        }
    }
}

/// Runs a remote probe until `cancel` fires.
pub async fn run_probe(
    feed: RemoteFeed,
    probe: String,
    options: CheckOptions,
    cancel: CancellationToken,
) {
    let config = ScheduleConfig {
        probe,
        options,
        max_concurrent: 64,
        reload_every: Duration::from_secs(30),
    };
    schedule::run(
        Arc::new(feed),
        config,
        Arc::new(ScheduleCounters::default()),
        cancel,
    )
    .await;
}
