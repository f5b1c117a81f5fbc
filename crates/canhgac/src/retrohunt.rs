//! The retro-hunt worker: new indicators (from any import path, or added one by one) and hunts
//! asked for from an indicator's page are searched for in the stored events of the last
//! `[intel] retrohunt_days` days, and the hits become alerts, one per indicator, unit and
//! host, marked as retro-hunt, at the time of the events.
//!
//! The queue lives in the store (so a hunt asked for through the API is never lost and a
//! server that dies mid-hunt leaves a lease that lapses); this task only polls it, so no
//! import request ever waits for a hunt. The search itself runs on a blocking thread.
//!
//! Two ways to search, chosen per hunt: a few exact values (addresses, hashes, emails) are
//! looked up with the event log's indexed text search, one query each (block summaries and
//! Bloom filters skip most of the data); many indicators, or ones a text search cannot find
//! (networks, domains with their subdomains, URLs), are matched in one pass over every event
//! of the period with the same [`IndicatorSet`] the live path uses.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use canhgac_detect::IndicatorSet;
use canhgac_eventlog::{EventLog, EventQuery};
use canhgac_model::advisory::{RetroHunt, RetroHuntOutcome};
use canhgac_model::{AlertDraft, AlertSource, Event, Id, IndicatorKind, Timestamp};
use canhgac_store::Store;
use jiff::SignedDuration;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// How long a claimed hunt is held before another worker may take it again.
const LEASE: SignedDuration = SignedDuration::from_mins(30);

/// At most this many indicators are looked up one query each; more are matched in one pass.
/// Measured (retrohunt_bench, 150,000 events over 30 days, debug build): 1,000 addresses take
/// 0.4 s looked up one by one and 1.2 s in one pass.
const MAX_INDEXED_LOOKUPS: usize = 1_000;

/// Events read per page of a search.
const PAGE: usize = 5_000;

/// One event an indicator was seen in.
#[derive(Debug, Clone)]
pub struct Sighting {
    /// Index of the indicator in the set.
    pub indicator: usize,
    /// The field it was seen in.
    pub field: String,
    /// The value as seen.
    pub value: String,
    /// The event.
    pub event: Event,
}

/// What a search over stored events found.
#[derive(Debug, Default)]
pub struct HuntResult {
    /// Events examined.
    pub scanned: u64,
    /// Every (indicator, event) seen, each once.
    pub sightings: Vec<Sighting>,
}

/// Whether a text search finds every occurrence of this kind of indicator.
fn text_searchable(kind: IndicatorKind) -> bool {
    matches!(
        kind,
        IndicatorKind::Ip
            | IndicatorKind::Md5
            | IndicatorKind::Sha1
            | IndicatorKind::Sha256
            | IndicatorKind::Email
    )
}

/// Searches the events of `log` at or after `from` for the indicators of `set`, choosing the
/// indexed lookups or one pass (see the module documentation).
pub fn hunt_events(
    log: &EventLog,
    set: &IndicatorSet,
    from: Timestamp,
    now: Timestamp,
) -> anyhow::Result<HuntResult> {
    let indexed = set.len() <= MAX_INDEXED_LOOKUPS
        && set.indicators().iter().all(|i| text_searchable(i.kind));
    if indexed {
        hunt_indexed(log, set, from, now)
    } else {
        hunt_one_pass(log, set, from, now)
    }
}

/// One pass over every event of the period.
pub fn hunt_one_pass(
    log: &EventLog,
    set: &IndicatorSet,
    from: Timestamp,
    now: Timestamp,
) -> anyhow::Result<HuntResult> {
    let mut result = HuntResult::default();
    let mut query = EventQuery {
        from: Some(from),
        limit: PAGE,
        ..EventQuery::default()
    };
    let mut hits = Vec::new();
    loop {
        let page = log.search(&query)?;
        result.scanned += page.events.len() as u64;
        for stored in page.events {
            hits.clear();
            set.matches_at(&stored.event, now, &mut hits);
            for hit in &hits {
                let indicator = index_of(set, hit.indicator.id);
                result.sightings.push(Sighting {
                    indicator,
                    field: hit.field.clone(),
                    value: hit.value.clone(),
                    event: stored.event.clone(),
                });
            }
        }
        match page.next {
            Some(next) => query.before = Some(next),
            None => break,
        }
    }
    Ok(result)
}

/// One indexed text search per indicator; every event found is checked with the set (a word
/// found by text is not always the indicator in a field).
pub fn hunt_indexed(
    log: &EventLog,
    set: &IndicatorSet,
    from: Timestamp,
    now: Timestamp,
) -> anyhow::Result<HuntResult> {
    let mut result = HuntResult::default();
    let mut seen = HashSet::new();
    let mut hits = Vec::new();
    for indicator in set.indicators() {
        let mut query = EventQuery {
            from: Some(from),
            text: Some(indicator.value.clone()),
            limit: PAGE,
            ..EventQuery::default()
        };
        loop {
            let page = log.search(&query)?;
            result.scanned += page.scanned;
            for stored in page.events {
                hits.clear();
                set.matches_at(&stored.event, now, &mut hits);
                for hit in &hits {
                    if hit.indicator.id != indicator.id
                        || !seen.insert((stored.cursor, hit.indicator.id))
                    {
                        continue;
                    }
                    result.sightings.push(Sighting {
                        indicator: index_of(set, hit.indicator.id),
                        field: hit.field.clone(),
                        value: hit.value.clone(),
                        event: stored.event.clone(),
                    });
                }
            }
            match page.next {
                Some(next) => query.before = Some(next),
                None => break,
            }
        }
    }
    Ok(result)
}

fn index_of(set: &IndicatorSet, id: Id) -> usize {
    set.indicators()
        .iter()
        .position(|i| i.id == id)
        .unwrap_or_default()
}

/// (indicator index, unit, host): what one retro-hunt alert stands for.
type GroupKey = (usize, Option<Id>, Option<String>);

/// The alerts of a hunt: one per (indicator, unit, host), standing for every sighting, at the
/// time of the latest event, with the earliest as the burst's start.
pub fn alert_bursts(
    hunt_id: Id,
    set: &IndicatorSet,
    sightings: &[Sighting],
) -> Vec<(AlertDraft, u64, Timestamp)> {
    let mut groups: BTreeMap<GroupKey, Vec<&Sighting>> = BTreeMap::new();
    for s in sightings {
        groups
            .entry((s.indicator, s.event.unit_id, s.event.host.clone()))
            .or_default()
            .push(s);
    }
    let mut out = Vec::new();
    for ((index, unit_id, host), group) in groups {
        let Some(indicator) = set.indicators().get(index) else {
            continue;
        };
        let (Some(first), Some(last)) = (
            group.iter().min_by_key(|s| s.event.time),
            group.iter().max_by_key(|s| s.event.time),
        ) else {
            continue;
        };
        let mut tags = indicator.tags.clone();
        tags.push("retrohunt".into());
        let draft = AlertDraft {
            source: AlertSource::Indicator,
            rule_key: format!("retrohunt:{}:{}", indicator.kind, indicator.value),
            title: format!(
                "Truy vết hồi tố: chỉ báo {} {} xuất hiện trong nhật ký cũ",
                indicator.kind, indicator.value
            ),
            severity: indicator.severity,
            tags,
            unit_id,
            host,
            time: last.event.time,
            evidence: json!({
                "retrohunt": {
                    "hunt_id": hunt_id,
                    "events": group.len(),
                    "first_event_time": first.event.time.to_string(),
                    "last_event_time": last.event.time.to_string(),
                },
                "indicator": {
                    "id": indicator.id, "kind": indicator.kind, "value": indicator.value,
                    "source": indicator.source, "advisory": indicator.meta.advisory,
                },
                "field": last.field,
                "seen": last.value,
                "event": last.event,
            }),
        };
        out.push((draft, group.len() as u64, first.event.time));
    }
    out
}

/// Runs one claimed hunt to its outcome.
async fn run_hunt(
    store: &Arc<dyn Store>,
    log: &Arc<EventLog>,
    hunt: &RetroHunt,
    fold_window: SignedDuration,
) -> anyhow::Result<RetroHuntOutcome> {
    let now = Timestamp::now();
    let wanted: HashSet<Id> = hunt.indicator_ids.iter().copied().collect();
    let indicators: Vec<_> = store
        .active_indicators(now)
        .await?
        .into_iter()
        .filter(|i| wanted.contains(&i.id))
        .collect();
    if indicators.is_empty() {
        return Ok(RetroHuntOutcome::default());
    }
    let set = Arc::new(IndicatorSet::new(indicators));
    let from = now - SignedDuration::from_hours(24 * i64::from(hunt.days.max(1)));
    let (log, searched) = (Arc::clone(log), Arc::clone(&set));
    let result =
        tokio::task::spawn_blocking(move || hunt_events(&log, &searched, from, now)).await??;
    let bursts = alert_bursts(hunt.id, &set, &result.sightings);
    let alerts: HashSet<Id> = store
        .record_alert_bursts(&bursts, fold_window)
        .await?
        .into_iter()
        .collect();
    Ok(RetroHuntOutcome {
        events_scanned: result.scanned,
        hits: result.sightings.len() as u64,
        alerts: alerts.len() as u64,
    })
}

/// Starts the worker.
pub fn start(config: &Config, store: Arc<dyn Store>, log: Arc<EventLog>, stop: CancellationToken) {
    let days = config.intel.retrohunt_days.max(1);
    let poll = config
        .intel
        .retrohunt_poll
        .0
        .max(Duration::from_millis(100));
    let fold_window = SignedDuration::try_from(config.detection.fold_window.0)
        .unwrap_or(SignedDuration::from_mins(10));
    tokio::spawn(async move {
        loop {
            if let Err(e) = store.queue_new_indicator_hunt(days).await {
                tracing::warn!(error = %e, "retro-hunt: cannot queue the new indicators");
            }
            loop {
                let at = Timestamp::now();
                let hunt = match store.claim_retrohunt(at, at + LEASE).await {
                    Ok(Some(hunt)) => hunt,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "retro-hunt: cannot claim a hunt");
                        break;
                    }
                };
                let outcome = run_hunt(&store, &log, &hunt, fold_window)
                    .await
                    .map_err(|e| e.to_string());
                match &outcome {
                    Ok(done) => tracing::info!(
                        hunt = hunt.id,
                        indicators = hunt.indicator_ids.len(),
                        events = done.events_scanned,
                        hits = done.hits,
                        alerts = done.alerts,
                        "retro-hunt done"
                    ),
                    Err(e) => tracing::warn!(hunt = hunt.id, error = %e, "retro-hunt failed"),
                }
                if let Err(e) = store.finish_retrohunt(hunt.id, outcome).await {
                    tracing::warn!(hunt = hunt.id, error = %e, "retro-hunt: cannot record the outcome");
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(poll) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use canhgac_eventlog::Retention;
    use canhgac_model::{EventKind, Indicator, IndicatorInput, Severity};

    use super::*;

    fn indicator(id: Id, value: &str) -> Indicator {
        let input = IndicatorInput::new(IndicatorKind::Ip, value);
        Indicator {
            id,
            kind: input.kind,
            value: input.value,
            source: "bench".into(),
            description: String::new(),
            severity: Severity::High,
            tags: Vec::new(),
            expires_at: None,
            meta: Default::default(),
            created_at: Timestamp::now(),
        }
    }

    /// `days` days of `per_day` events, each naming a documentation address; one in
    /// `every` names 203.0.113.66.
    fn fill(log: &EventLog, now: Timestamp, days: i64, per_day: i64, every: i64) -> i64 {
        let total = days * per_day;
        let step = SignedDuration::from_secs(86_400) / i32::try_from(per_day).unwrap();
        let mut batch = Vec::with_capacity(10_000);
        for i in 0..total {
            let address = if i % every == 0 {
                "203.0.113.66".to_string()
            } else {
                format!("198.51.{}.{}", (i / 250) % 250, i % 250)
            };
            let mut event = Event::new(
                EventKind::Json,
                format!("conn id={i} dst={address}:443 action=allow"),
            );
            event.time = now - step * i32::try_from(i).unwrap();
            event.host = Some(format!("host{}", i % 50));
            batch.push(event);
            if batch.len() == 10_000 {
                log.append(&batch).unwrap();
                batch.clear();
            }
        }
        log.append(&batch).unwrap();
        total
    }

    #[test]
    fn both_ways_find_the_same_sightings_and_group_them_per_host() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), Retention::default()).unwrap();
        let now = Timestamp::now();
        fill(&log, now, 3, 1_000, 100);
        let set = IndicatorSet::new(vec![indicator(1, "203.0.113.66")]);
        let from = now - SignedDuration::from_hours(48);
        let indexed = hunt_indexed(&log, &set, from, now).unwrap();
        let one_pass = hunt_one_pass(&log, &set, from, now).unwrap();
        // 2 days of 1,000 events, one in 100 names the address, both ends included.
        assert_eq!(indexed.sightings.len(), 21);
        assert_eq!(one_pass.sightings.len(), 21);
        let bursts = alert_bursts(7, &set, &one_pass.sightings);
        assert_eq!(bursts.iter().map(|b| b.1).sum::<u64>(), 21);
        assert!(bursts
            .iter()
            .all(|(d, _, first)| *first <= d.time && d.rule_key == "retrohunt:ip:203.0.113.66"));
    }

    /// Retro-hunt throughput: `CANHGAC_BENCH_DAYS` (default 30) days of
    /// `CANHGAC_BENCH_PER_DAY` (default 20,000) events, searched for 10 and for 1,000 new
    /// addresses, by the worker's choice (indexed lookups for few, one pass for many) against
    /// the baseline of the console's event search run once per indicator. Median of 3.
    /// `cargo test -p canhgac --bin canhgac retrohunt_bench -- --ignored --nocapture`
    #[test]
    #[ignore = "benchmark"]
    fn retrohunt_bench() {
        let env = |key: &str, default: i64| {
            std::env::var(key)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let days = env("CANHGAC_BENCH_DAYS", 30);
        let per_day = env("CANHGAC_BENCH_PER_DAY", 20_000);
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), Retention::default()).unwrap();
        let now = Timestamp::now();
        let started = Instant::now();
        let total = fill(&log, now, days, per_day, 10_000);
        eprintln!(
            "{total} events over {days} days stored in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let from = now - SignedDuration::from_hours(24 * days);
        for count in [10_usize, 1_000] {
            let mut indicators = vec![indicator(1, "203.0.113.66")];
            for i in 1..count {
                let id = Id::try_from(i).unwrap() + 1;
                indicators.push(indicator(id, &format!("192.0.{}.{}", i / 250, i % 250 + 1)));
            }
            let set = IndicatorSet::new(indicators);
            let median = |run: &dyn Fn() -> usize| {
                let mut times: Vec<(f64, usize)> = (0..3)
                    .map(|_| {
                        let t = Instant::now();
                        let found = run();
                        (t.elapsed().as_secs_f64(), found)
                    })
                    .collect();
                times.sort_by(|a, b| a.0.total_cmp(&b.0));
                times[1]
            };
            let (ours, found) =
                median(&|| hunt_events(&log, &set, from, now).unwrap().sightings.len());
            let (baseline, found_baseline) = median(&|| {
                // The console's search, once per indicator, as an analyst would do by hand.
                let mut found = 0;
                for indicator in set.indicators() {
                    let mut query = EventQuery {
                        from: Some(from),
                        text: Some(indicator.value.clone()),
                        limit: PAGE,
                        ..EventQuery::default()
                    };
                    loop {
                        let page = log.search(&query).unwrap();
                        found += page.events.len();
                        match page.next {
                            Some(next) => query.before = Some(next),
                            None => break,
                        }
                    }
                }
                found
            });
            eprintln!(
                "{count} indicators: retro-hunt {:.2} s ({:.0} events/s, {found} sightings); \
                 baseline (event search per indicator) {:.2} s ({:.0} events/s, {found_baseline} events)",
                ours,
                total as f64 / ours,
                baseline,
                total as f64 / baseline,
            );
        }
    }
}
