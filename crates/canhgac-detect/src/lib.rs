//! Detection: runs Sigma rules and indicator matchers over events, applies per-rule and per-unit
//! tuning, and emits alert drafts; also the offline hunt over files. Talks to no network and
//! reads no files itself (the hunt is handed a reader).
//!
//! - [`IndicatorSet`]: millions of indicators of compromise (IPs, networks, domains, URLs,
//!   hashes, emails) matched against every field of an event by the shape of its values.
//! - [`Tuning`]: rules switched off or given another level, globally or per unit, and
//!   suppressions (`field = value`, with expiry).
//! - [`Detector`]: Sigma rules, correlations, indicators and tuning together; one event in,
//!   [`AlertDraft`](canhgac_model::AlertDraft)s out, with optional pre-folding of bursts.
//! - [`hunt`]: the offline `canhgac hunt` engine: files in parallel through the rules, with
//!   filters, progress, and table / JSON lines / CSV output.
//!
//! ```
//! use std::sync::Arc;
//! use canhgac_detect::{Detector, IndicatorSet, Tuning};
//! use canhgac_model::{AlertSource, Event, EventKind};
//! use canhgac_sigma::{load, LoadOptions, RuleSource};
//!
//! let rule = "title: Whoami\nid: 7d3a0c4e-0000-4000-8000-000000000001\n\
//!             logsource: { product: windows, category: process_creation }\n\
//!             detection: { sel: { Image|endswith: '\\whoami.exe' }, condition: sel }\nlevel: low\n";
//! let loaded = load(&[RuleSource { origin: "r.yml".into(), text: rule.into() }], &LoadOptions::default());
//! let mut detector = Detector::new(
//!     Arc::new(loaded.rules), &loaded.correlations,
//!     Arc::new(IndicatorSet::default()), Arc::new(Tuning::default()),
//! );
//! let mut event = Event::new(EventKind::Evtx, "");
//! event.fields.push("Channel", "Microsoft-Windows-Sysmon/Operational");
//! event.fields.push("EventID", 1);
//! event.fields.push("Image", r"C:\Windows\System32\whoami.exe");
//! let mut drafts = Vec::new();
//! detector.detect(&event, &mut drafts);
//! assert_eq!(drafts[0].source, AlertSource::Sigma);
//! assert_eq!(drafts[0].rule_key, "7d3a0c4e-0000-4000-8000-000000000001");
//! ```

mod detector;
pub mod evidence;
pub mod hunt;
mod indicators;
mod tuning;

pub use detector::{kind_label_vi, Detector, DetectorStats, FoldedDraft};
pub use evidence::EvidenceLimits;
pub use indicators::{IndicatorHit, IndicatorSet, RejectedIndicator};
pub use tuning::Tuning;
