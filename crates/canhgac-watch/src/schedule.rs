//! Runs monitors on time: each at its interval, spread with a fixed per-monitor offset so that
//! thousands of monitors do not fire in the same second, a bounded number at once. The same
//! scheduler runs inside the server (monitors from the store, results to the state machine) and
//! in `canhgac probe` (monitors from the server's API, results back to it): a [`MonitorFeed`]
//! is where monitors come from and outcomes go.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::{Id, Monitor};
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::{run_check, CheckOptions, CheckOutcome};

/// Where a scheduler's monitors come from and where their outcomes go.
#[async_trait]
pub trait MonitorFeed: Send + Sync + 'static {
    /// The monitors to run now, or `None` when they have not changed since the last call.
    async fn monitors(&self) -> Result<Option<Vec<Monitor>>, String>;
    /// Takes the outcome of one check.
    async fn deliver(&self, monitor: &Monitor, outcome: CheckOutcome);
}

/// How a scheduler runs.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// The probe name this scheduler runs as (only monitors assigned to it are run).
    pub probe: String,
    /// Options of every check.
    pub options: CheckOptions,
    /// Checks running at once, at most.
    pub max_concurrent: usize,
    /// How often the feed is asked for changes.
    pub reload_every: Duration,
}

/// Counters a scheduler keeps, readable while it runs.
#[derive(Debug, Default)]
pub struct ScheduleCounters {
    /// Monitors scheduled now.
    pub scheduled: std::sync::atomic::AtomicU64,
    /// Checks started.
    pub started: std::sync::atomic::AtomicU64,
    /// Checks skipped because the previous one of the same monitor was still running.
    pub overlapped: std::sync::atomic::AtomicU64,
}

/// Offset of a monitor's checks within its interval: fixed per monitor, spread evenly.
fn spread(id: Id, interval: Duration) -> Duration {
    let millis = interval.as_millis().max(1) as u64;
    // Fibonacci hashing spreads consecutive ids across the interval.
    let hashed = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    Duration::from_millis(hashed % millis)
}

/// How soon a monitor added while running is first checked: soon, so that a user who adds a
/// monitor sees its state, but spread so that an import of many does not fire all at once.
fn first_check(id: Id, interval: Duration, initial_load: bool) -> Duration {
    if initial_load {
        spread(id, interval)
    } else {
        spread(id, interval.min(Duration::from_secs(5)))
    }
}

fn is_assigned(monitor: &Monitor, probe: &str) -> bool {
    monitor.input.enabled && monitor.input.probes.iter().any(|p| p == probe)
}

/// Runs the monitors of `feed` until `cancel` fires. Checks in flight at cancellation are
/// abandoned; nothing they would have reported was acknowledged to anyone.
pub async fn run(
    feed: Arc<dyn MonitorFeed>,
    config: ScheduleConfig,
    counters: Arc<ScheduleCounters>,
    cancel: CancellationToken,
) {
    use std::sync::atomic::Ordering::Relaxed;

    let limit = Arc::new(Semaphore::new(config.max_concurrent.max(1)));
    let running: Arc<Mutex<HashSet<Id>>> = Arc::default();
    let mut monitors: HashMap<Id, Arc<Monitor>> = HashMap::new();
    // (due, id, generation): a changed monitor gets a new generation; older entries are stale.
    let mut due: BinaryHeap<Reverse<(Instant, Id, u64)>> = BinaryHeap::new();
    let mut generations: HashMap<Id, u64> = HashMap::new();
    let mut next_generation = 0_u64;
    let mut in_flight = JoinSet::new();
    let mut next_reload = Instant::now();
    let mut loaded_once = false;

    loop {
        let now = Instant::now();
        if now >= next_reload {
            next_reload = now + config.reload_every;
            match feed.monitors().await {
                Ok(Some(list)) => {
                    let fresh: HashMap<Id, Arc<Monitor>> = list
                        .into_iter()
                        .filter(|m| is_assigned(m, &config.probe))
                        .map(|m| (m.id, Arc::new(m)))
                        .collect();
                    for (id, monitor) in &fresh {
                        let unchanged = monitors
                            .get(id)
                            .is_some_and(|old| old.input == monitor.input);
                        if !unchanged {
                            next_generation += 1;
                            generations.insert(*id, next_generation);
                            let interval = Duration::from_secs(monitor.input.interval_secs.into());
                            due.push(Reverse((
                                now + first_check(*id, interval, !loaded_once),
                                *id,
                                next_generation,
                            )));
                        }
                    }
                    generations.retain(|id, _| fresh.contains_key(id));
                    monitors = fresh;
                    loaded_once = true;
                    counters.scheduled.store(monitors.len() as u64, Relaxed);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "cannot load the monitors; keeping the last ones")
                }
            }
        }
        // Reap finished checks so the set does not grow.
        while in_flight.try_join_next().is_some() {}

        let next_due = due.peek().map(|Reverse((at, _, _))| *at);
        let wake = next_due.map_or(next_reload, |at| at.min(next_reload));
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep_until(wake) => {}
        }

        let now = Instant::now();
        while let Some(Reverse((at, id, generation))) = due.peek().copied() {
            if at > now {
                break;
            }
            due.pop();
            if generations.get(&id) != Some(&generation) {
                continue;
            }
            let Some(monitor) = monitors.get(&id).cloned() else {
                continue;
            };
            let interval = Duration::from_secs(monitor.input.interval_secs.into());
            // Next slot on the monitor's own grid; after a stall, the next one from now.
            let mut next = at + interval;
            if next <= now {
                next = now + spread(id, interval.min(Duration::from_secs(5)));
            }
            due.push(Reverse((next, id, generation)));

            if !running.lock().await.insert(id) {
                counters.overlapped.fetch_add(1, Relaxed);
                continue;
            }
            counters.started.fetch_add(1, Relaxed);
            let feed = feed.clone();
            let limit = limit.clone();
            let running = running.clone();
            let options = config.options.clone();
            let probe = config.probe.clone();
            in_flight.spawn(async move {
                if let Ok(_permit) = limit.acquire_owned().await {
                    let outcome = run_check(monitor.id, &monitor.input, &probe, &options).await;
                    feed.deliver(&monitor, outcome).await;
                }
                running.lock().await.remove(&monitor.id);
            });
        }
    }
    in_flight.abort_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_stay_inside_the_interval_and_spread() {
        let interval = Duration::from_secs(60);
        let offsets: Vec<Duration> = (1..=1000).map(|id| spread(id, interval)).collect();
        assert!(offsets.iter().all(|o| *o < interval));
        // Every ten-second slice of the minute gets a fair share of a thousand monitors.
        for slice in 0..6 {
            let lo = Duration::from_secs(slice * 10);
            let hi = lo + Duration::from_secs(10);
            let count = offsets.iter().filter(|o| **o >= lo && **o < hi).count();
            assert!((120..=215).contains(&count), "slice {slice}: {count}");
        }
    }

    #[test]
    fn monitors_added_while_running_are_checked_within_seconds() {
        for id in 1..100 {
            assert!(first_check(id, Duration::from_secs(3600), false) < Duration::from_secs(5));
        }
    }
}
