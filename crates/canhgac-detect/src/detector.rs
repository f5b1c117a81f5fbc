//! The live detector: one event in, alert drafts out.
//!
//! For each event, [`Detector::detect`]:
//! 1. runs the Sigma rules; each hit is checked against [`Tuning`] (a rule switched off for the
//!    event's unit, or a suppression matching the event, drops it: it neither alerts nor feeds
//!    correlations);
//! 2. feeds the remaining hits to the correlation engine, in the order they arrive; every
//!    standalone correlation that fires becomes a draft (source `correlation`, evidence: the
//!    group, the counts and the event that completed it), tuned by the correlation's key;
//! 3. makes a draft of each remaining hit whose rule the correlations do not silence
//!    (`generate: false`, see [`CorrelationSet::suppresses_base`]);
//! 4. matches the indicators; each hit becomes a draft with the key `ioc:<kind>:<value>`.
//!
//! Folding repeated hits into one alert is the store's job. A burst of identical hits (same
//! source, rule key, unit and host) would still make thousands of drafts, so a detector built
//! [`Detector::with_prefold`] passes on the first draft of a key and only counts the repeats
//! that follow within the window; [`Detector::drain_folded`] hands those counts over (call it
//! every second or so, and before shutting down), each as a [`FoldedDraft`] the store adds to
//! the open alert.
//!
//! A `Detector` holds streaming state (correlation windows, pre-fold counters): use one per
//! ingestion worker, all sharing the same `Arc`ed rules, indicators and tuning.

use std::collections::HashMap;
use std::sync::Arc;

use canhgac_model::{AlertDraft, AlertSource, Event, Id, IndicatorKind, Timestamp};
use canhgac_sigma::{CorrelationEngine, CorrelationHit, CorrelationSet, RuleIdx, RuleSet};
use jiff::SignedDuration;
use serde_json::json;

use crate::evidence::{event_json, truncate, EvidenceLimits};
use crate::tuning::Subject;
use crate::{IndicatorHit, IndicatorSet, Tuning};

/// Turns events into alert drafts. See the [module documentation](self).
#[derive(Debug)]
pub struct Detector {
    rules: Arc<RuleSet>,
    correlation: CorrelationEngine,
    /// Per rule: some correlation references it (its hits are fed to the engine).
    feeds_correlation: Vec<bool>,
    /// Per rule: its own hits are not alerts (`generate: false` correlations reference it).
    silenced: Vec<bool>,
    indicators: Arc<IndicatorSet>,
    tuning: Arc<Tuning>,
    limits: EvidenceLimits,
    prefold: Option<PreFold>,
    rule_hits: Vec<RuleIdx>,
    stats: DetectorStats,
}

/// Counters of a [`Detector`] since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetectorStats {
    /// Events looked at.
    pub events: u64,
    /// Sigma rule hits (before tuning).
    pub sigma_hits: u64,
    /// Standalone correlation hits (before tuning).
    pub correlation_hits: u64,
    /// Indicator hits (before tuning).
    pub indicator_hits: u64,
    /// Hits dropped because their rule is switched off.
    pub disabled: u64,
    /// Hits dropped by a suppression.
    pub suppressed: u64,
    /// Drafts held back by pre-folding.
    pub prefolded: u64,
    /// Drafts handed out.
    pub drafts: u64,
}

/// Repeats of one draft that [`Detector::with_prefold`] held back.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldedDraft {
    /// The latest repeat (its time and evidence); source, rule key, unit and host are those of
    /// the draft already passed on.
    pub draft: AlertDraft,
    /// How many hits were held back since the last drain.
    pub count: u64,
    /// Time of the earliest of them.
    pub first: Timestamp,
}

#[derive(Debug)]
struct PreFold {
    window: SignedDuration,
    max_keys: usize,
    pending: HashMap<FoldKey, Pending>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FoldKey {
    source: AlertSource,
    rule_key: String,
    unit_id: Option<Id>,
    host: Option<String>,
}

#[derive(Debug)]
struct Pending {
    /// Time of the draft passed on: the window runs from here.
    opened: Timestamp,
    held: Option<FoldedDraft>,
}

/// The clock, read at most once per event and only when something matched.
struct Clock(Option<Timestamp>);

impl Clock {
    fn now(&mut self) -> Timestamp {
        *self.0.get_or_insert_with(Timestamp::now)
    }
}

impl Detector {
    /// A detector over shared rules, correlations, indicators and tuning.
    pub fn new(
        rules: Arc<RuleSet>,
        correlations: &CorrelationSet,
        indicators: Arc<IndicatorSet>,
        tuning: Arc<Tuning>,
    ) -> Self {
        let feeds_correlation = rules
            .iter()
            .map(|(_, info)| correlations.references(info))
            .collect();
        let silenced = rules
            .iter()
            .map(|(_, info)| correlations.suppresses_base(info))
            .collect();
        Self {
            correlation: correlations.engine(),
            rules,
            feeds_correlation,
            silenced,
            indicators,
            tuning,
            limits: EvidenceLimits::default(),
            prefold: None,
            rule_hits: Vec::new(),
            stats: DetectorStats::default(),
        }
    }

    /// Holds back repeats of a draft (same source, rule key, unit and host) within `window`
    /// of the one passed on, tracking at most `max_keys` keys (beyond that, drafts pass).
    pub fn with_prefold(mut self, window: SignedDuration, max_keys: usize) -> Self {
        self.prefold = Some(PreFold {
            window,
            max_keys,
            pending: HashMap::new(),
        });
        self
    }

    /// Evidence size limits (default: [`EvidenceLimits::default`]).
    pub fn with_evidence_limits(mut self, limits: EvidenceLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Appends the drafts for `event` to `out`. Indicator and suppression expiry are judged
    /// against the clock.
    pub fn detect(&mut self, event: &Event, out: &mut Vec<AlertDraft>) {
        self.run(event, Clock(None), out);
    }

    /// As [`Self::detect`], judging expiry against `now` (tests, replays).
    pub fn detect_at(&mut self, event: &Event, now: Timestamp, out: &mut Vec<AlertDraft>) {
        self.run(event, Clock(Some(now)), out);
    }

    /// The repeats held back since the last call (empty without pre-folding). Keys whose
    /// window has passed, relative to `now`, are forgotten.
    pub fn drain_folded(&mut self, now: Timestamp) -> Vec<FoldedDraft> {
        let Some(prefold) = &mut self.prefold else {
            return Vec::new();
        };
        let window = prefold.window;
        let mut drained = Vec::new();
        prefold.pending.retain(|_, pending| {
            if let Some(held) = pending.held.take() {
                drained.push(held);
            }
            now.duration_since(pending.opened) < window
        });
        drained.sort_by_key(|d| d.first);
        drained
    }

    /// Counters since the detector was made.
    pub fn stats(&self) -> DetectorStats {
        self.stats
    }

    /// Statistics of the correlation engine.
    pub fn correlation_stats(&self) -> canhgac_sigma::correlation::EngineStats {
        self.correlation.stats()
    }

    fn run(&mut self, event: &Event, mut clock: Clock, out: &mut Vec<AlertDraft>) {
        let start = out.len();
        self.stats.events += 1;
        let rules = Arc::clone(&self.rules);
        self.rule_hits.clear();
        rules.matches(event, &mut self.rule_hits);
        let hits = std::mem::take(&mut self.rule_hits);
        for &idx in &hits {
            let info = rules.info(idx);
            let key = info.key();
            self.stats.sigma_hits += 1;
            let Some(severity) = self.tuning.level(key, event.unit_id, info.level) else {
                self.stats.disabled += 1;
                continue;
            };
            if self.tuning.has_suppressions()
                && self.tuning.suppression(key, event, clock.now()).is_some()
            {
                self.stats.suppressed += 1;
                continue;
            }
            if self.feeds_correlation[idx.0 as usize] {
                for hit in self.correlation.observe(info, event) {
                    if hit.info.standalone {
                        self.stats.correlation_hits += 1;
                        self.correlation_draft(&hit, event, &mut clock, out);
                    }
                }
            }
            if !self.silenced[idx.0 as usize] {
                out.push(AlertDraft {
                    source: AlertSource::Sigma,
                    rule_key: key.to_string(),
                    title: info.title.clone(),
                    severity,
                    tags: info.tags.clone(),
                    unit_id: event.unit_id,
                    host: event.host.clone(),
                    time: event.time,
                    evidence: json!({
                        "rule": {
                            "id": info.id, "title": info.title, "origin": info.origin,
                            "level": info.level,
                        },
                        "event": event_json(event, &self.limits),
                    }),
                });
            }
        }
        self.rule_hits = hits;

        let mut ioc_hits: Vec<IndicatorHit<'_>> = Vec::new();
        match clock.0 {
            Some(now) => self.indicators.matches_at(event, now, &mut ioc_hits),
            None => self.indicators.matches(event, &mut ioc_hits),
        }
        for hit in &ioc_hits {
            let indicator = hit.indicator;
            let key = format!("ioc:{}:{}", indicator.kind, indicator.value);
            self.stats.indicator_hits += 1;
            let Some(severity) = self.tuning.level(&key, event.unit_id, indicator.severity) else {
                self.stats.disabled += 1;
                continue;
            };
            if self.tuning.has_suppressions()
                && self.tuning.suppression(&key, event, clock.now()).is_some()
            {
                self.stats.suppressed += 1;
                continue;
            }
            out.push(AlertDraft {
                source: AlertSource::Indicator,
                title: format!(
                    "Chỉ báo xâm phạm: {} {}",
                    kind_label_vi(indicator.kind),
                    truncate(&indicator.value, 200)
                ),
                rule_key: key,
                severity,
                tags: indicator.tags.clone(),
                unit_id: event.unit_id,
                host: event.host.clone(),
                time: event.time,
                evidence: json!({
                    "indicator": {
                        "id": indicator.id, "kind": indicator.kind, "value": indicator.value,
                        "source": indicator.source, "description": indicator.description,
                    },
                    "field": hit.field,
                    "seen": truncate(&hit.value, self.limits.max_value_chars),
                    "event": event_json(event, &self.limits),
                }),
            });
        }
        if self.prefold.is_some() {
            let before = out.len();
            self.prefold_tail(start, out);
            self.stats.prefolded += (before - out.len()) as u64;
        }
        self.stats.drafts += (out.len() - start) as u64;
    }

    fn correlation_draft(
        &mut self,
        hit: &CorrelationHit,
        event: &Event,
        clock: &mut Clock,
        out: &mut Vec<AlertDraft>,
    ) {
        let key = hit.info.key();
        let Some(severity) = self.tuning.level(key, event.unit_id, hit.info.level) else {
            self.stats.disabled += 1;
            return;
        };
        if self.tuning.has_suppressions() {
            let subject = Subject::Group(&hit.group, event.host.as_deref());
            if self
                .tuning
                .suppression_for(key, event.unit_id, &subject, clock.now())
                .is_some()
            {
                self.stats.suppressed += 1;
                return;
            }
        }
        let group: serde_json::Map<String, serde_json::Value> = hit
            .group
            .iter()
            .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
            .collect();
        out.push(AlertDraft {
            source: AlertSource::Correlation,
            rule_key: key.to_string(),
            title: hit.info.title.clone(),
            severity,
            tags: hit.info.tags.clone(),
            unit_id: event.unit_id,
            host: event.host.clone(),
            time: event.time,
            evidence: json!({
                "correlation": {
                    "id": hit.info.id, "name": hit.info.name, "title": hit.info.title,
                    "type": hit.info.kind.code(), "origin": hit.info.origin,
                },
                "group": group,
                "count": hit.count,
                "value": hit.value,
                "first": hit.first.to_string(),
                "last": hit.last.to_string(),
                "event": event_json(event, &self.limits),
            }),
        });
    }

    /// Holds back the drafts appended since `start` that repeat a key within its window.
    fn prefold_tail(&mut self, start: usize, out: &mut Vec<AlertDraft>) {
        let Some(prefold) = &mut self.prefold else {
            return;
        };
        let mut kept = start;
        for i in start..out.len() {
            let draft = &out[i];
            let key = FoldKey {
                source: draft.source,
                rule_key: draft.rule_key.clone(),
                unit_id: draft.unit_id,
                host: draft.host.clone(),
            };
            let pass = match prefold.pending.get_mut(&key) {
                Some(pending)
                    if draft.time.duration_since(pending.opened).abs() < prefold.window =>
                {
                    let time = draft.time;
                    match &mut pending.held {
                        Some(held) => {
                            held.count += 1;
                            held.first = held.first.min(time);
                            if time >= held.draft.time {
                                held.draft = draft.clone();
                            }
                        }
                        None => {
                            pending.held = Some(FoldedDraft {
                                draft: draft.clone(),
                                count: 1,
                                first: time,
                            })
                        }
                    }
                    false
                }
                Some(pending) => {
                    // The window passed: this draft opens a new one. Repeats still held are
                    // handed over by the next drain.
                    pending.opened = draft.time;
                    true
                }
                None => {
                    if prefold.pending.len() < prefold.max_keys {
                        prefold.pending.insert(
                            key,
                            Pending {
                                opened: draft.time,
                                held: None,
                            },
                        );
                    }
                    true
                }
            };
            if pass {
                out.swap(kept, i);
                kept += 1;
            }
        }
        out.truncate(kept);
    }
}

/// Vietnamese name of an indicator kind, for alert titles.
pub fn kind_label_vi(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Ip => "địa chỉ IP",
        IndicatorKind::Cidr => "dải mạng",
        IndicatorKind::Domain => "tên miền",
        IndicatorKind::Url => "URL",
        IndicatorKind::Md5 => "mã băm MD5",
        IndicatorKind::Sha1 => "mã băm SHA-1",
        IndicatorKind::Sha256 => "mã băm SHA-256",
        IndicatorKind::Email => "email",
    }
}

#[cfg(test)]
mod tests;
