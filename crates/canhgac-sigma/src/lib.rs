//! Sigma rules: parse, compile, evaluate and correlate. Pure: callers hand in rule text and
//! events; this crate reads no files and opens no sockets.
//!
//! - [`load`] parses rule documents ([`RuleSource`]: an origin for messages and the YAML
//!   text, several documents per file allowed) into a [`Loaded`]: the detection [`RuleSet`],
//!   the [`CorrelationSet`] and a [`LoadReport`] naming every document that did not load and
//!   why. One bad rule never fails the set.
//! - [`RuleSet::matches`] appends the [`RuleIdx`] of every rule matching an [`Event`];
//!   [`RuleSet::info`] gives the rule's [`RuleInfo`] (title, level, tags, ...).
//! - [`LogsourceMapping`] says which events a rule's `logsource` applies to (Windows channels
//!   and event IDs, syslog programs, access logs) and how its field names read those events;
//!   the built-in one is `mapping/default.yml`, a user can supply their own.
//! - Filter meta-rules (`filter:` documents) are merged into the rules they name; correlation
//!   rules (`correlation:` documents) are handed to [`correlation`].
//!
//! Supported: the Sigma v2.1 detection format with every value modifier (`contains`,
//! `startswith`, `endswith`, `all`, `base64`, `base64offset`, `utf16le`/`utf16be`/`utf16`/
//! `wide`, `windash`, `re` with `i`/`m`/`s`, `cidr`, `lt`/`lte`/`gt`/`gte`, `exists`,
//! `fieldref`, `cased`, `neq`, `expand`, `minute`/`hour`/`day`/`week`/`month`/`year`), `*`/`?`
//! wildcards with `\` escapes, `null`, keyword lists, and conditions with `and`/`or`/`not`,
//! brackets, `1 of`/`all of`/`N of` with wildcards and `them`.
//!
//! ```
//! use canhgac_model::{Event, EventKind};
//! use canhgac_sigma::{load, LoadOptions, RuleSource};
//!
//! let rule = r#"
//! title: Whoami
//! logsource: { product: windows, category: process_creation }
//! detection:
//!   selection:
//!     Image|endswith: '\whoami.exe'
//!   condition: selection
//! level: low
//! "#;
//! let loaded = load(&[RuleSource { origin: "whoami.yml".into(), text: rule.into() }], &LoadOptions::default());
//! assert!(loaded.report.errors.is_empty());
//!
//! let mut event = Event::new(EventKind::Evtx, "");
//! event.fields.push("Channel", "Microsoft-Windows-Sysmon/Operational");
//! event.fields.push("EventID", 1);
//! event.fields.push("Image", r"C:\Windows\System32\WHOAMI.EXE");
//! let mut hits = Vec::new();
//! loaded.rules.matches(&event, &mut hits);
//! assert_eq!(loaded.rules.info(hits[0]).title, "Whoami");
//! ```

use std::cell::RefCell;
use std::collections::HashMap;

use canhgac_model::{Event, Severity};
use yaml_rust2::{Yaml, YamlLoader};

mod condition;
pub mod correlation;
mod detection;
mod engine;
mod eval;
mod index;
mod mapping;
mod pattern;
mod rule;

pub use correlation::{CorrelationEngine, CorrelationHit, CorrelationInfo, CorrelationSet};
pub use eval::Scratch;
pub use mapping::{LogsourceMapping, MappingError, DEFAULT_MAPPING};

/// One rule file's text.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Where it came from (a path), used in messages and [`RuleInfo::origin`].
    pub origin: String,
    /// The YAML text (one or more documents).
    pub text: String,
}

/// How rules are loaded.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Logsource mapping.
    pub mapping: LogsourceMapping,
    /// Values of `%name%` placeholders for the `expand` modifier; a rule naming a placeholder
    /// missing here fails to load.
    pub placeholders: HashMap<String, Vec<String>>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            mapping: LogsourceMapping::builtin(),
            placeholders: HashMap::new(),
        }
    }
}

/// What [`load`] produced.
#[derive(Debug)]
pub struct Loaded {
    /// The detection rules.
    pub rules: RuleSet,
    /// The correlation rules.
    pub correlations: CorrelationSet,
    /// Counts and the documents that did not load.
    pub report: LoadReport,
}

/// Summary of a load.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// YAML documents seen (a file that is not valid YAML counts as one).
    pub documents: usize,
    /// Documents loaded: detection rules, filters and correlations.
    pub loaded: usize,
    /// Documents that did not load, with the reason.
    pub errors: Vec<LoadError>,
}

/// A document that did not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}{}: {reason}", title.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
pub struct LoadError {
    /// The file (with `#N` for the N-th document of a multi-document file).
    pub origin: String,
    /// The document's title, when it has one.
    pub title: Option<String>,
    /// Why.
    pub reason: String,
}

/// A rule's position in its [`RuleSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleIdx(pub u32);

/// A rule's `logsource`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    /// `product` (windows, linux, ...).
    pub product: Option<String>,
    /// `category` (process_creation, webserver, ...).
    pub category: Option<String>,
    /// `service` (security, sysmon, sshd, ...).
    pub service: Option<String>,
    /// `definition`: free text for the user.
    pub definition: Option<String>,
}

/// A detection rule's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    /// `id` (a UUID in SigmaHQ rules).
    pub id: Option<String>,
    /// `name` (unique name, used by correlations).
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `level` (medium when absent).
    pub level: Severity,
    /// `tags` (e.g. `attack.t1059.001`).
    pub tags: Vec<String>,
    /// `status`.
    pub status: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// The file it came from.
    pub origin: String,
    /// `logsource`.
    pub logsource: LogSource,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `fields`: fields worth showing with a hit.
    pub fields: Vec<String>,
    /// `author`.
    pub author: Option<String>,
    /// `date`.
    pub date: Option<String>,
    /// `modified`.
    pub modified: Option<String>,
}

impl RuleInfo {
    /// The rule's stable key: its id, else its title.
    pub fn key(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.title)
    }
}

/// Compiled detection rules. `Send + Sync`: share one behind an `Arc` across threads.
#[derive(Debug, Default)]
pub struct RuleSet {
    infos: Vec<RuleInfo>,
    engine: engine::Engine,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

impl RuleSet {
    /// A set with no rules.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// A rule's metadata. Panics on an index from another set.
    pub fn info(&self, idx: RuleIdx) -> &RuleInfo {
        &self.infos[idx.0 as usize]
    }

    /// Every rule with its index.
    pub fn iter(&self) -> impl Iterator<Item = (RuleIdx, &RuleInfo)> {
        self.infos
            .iter()
            .enumerate()
            .map(|(i, info)| (RuleIdx(i as u32), info))
    }

    /// The rule with this id, else this name.
    pub fn find(&self, key: &str) -> Option<RuleIdx> {
        self.iter()
            .find(|(_, i)| i.id.as_deref() == Some(key))
            .or_else(|| self.iter().find(|(_, i)| i.name.as_deref() == Some(key)))
            .map(|(idx, _)| idx)
    }

    /// Appends the indices of every rule matching `event` to `out` (thread-safe: &self),
    /// in ascending order, each once. Uses a per-thread [`Scratch`].
    pub fn matches(&self, event: &Event, out: &mut Vec<RuleIdx>) {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.engine.matches(event, &mut scratch, out),
            // Re-entered from inside a match on this thread (cannot happen today): use a
            // fresh scratch rather than panic.
            Err(_) => self.engine.matches(event, &mut Scratch::new(), out),
        })
    }

    /// [`Self::matches`] without the rule index: every compiled rule is evaluated. Same
    /// result, much slower; for tests and benchmarks that check the index.
    #[doc(hidden)]
    pub fn matches_exhaustive(&self, event: &Event, out: &mut Vec<RuleIdx>) {
        self.engine
            .matches_exhaustive(event, &mut Scratch::new(), out)
    }

    /// How many compiled rules the index selects for full evaluation of `event` (for tests
    /// and benchmarks of the index).
    #[doc(hidden)]
    pub fn candidate_count(&self, event: &Event) -> usize {
        let mut out = Vec::new();
        let mut scratch = Scratch::new();
        self.engine.matches(event, &mut scratch, &mut out);
        scratch.cands.len()
    }

    /// The rule index's buckets, one per line (for benchmarks and debugging).
    #[doc(hidden)]
    pub fn describe_index(&self) -> String {
        self.engine.describe()
    }

    /// [`Self::matches`] with caller-owned working memory.
    pub fn matches_with(&self, event: &Event, scratch: &mut Scratch, out: &mut Vec<RuleIdx>) {
        self.engine.matches(event, scratch, out)
    }
}

/// Loads rules from `sources`: detection rules, filters (merged into the rules they name) and
/// correlations. Never fails as a whole: documents that do not load are in the report.
pub fn load(sources: &[RuleSource], options: &LoadOptions) -> Loaded {
    let ctx = detection::ParseContext {
        placeholders: &options.placeholders,
    };
    let mut report = LoadReport::default();
    let mut rules: Vec<rule::RuleDoc> = Vec::new();
    let mut filters: Vec<rule::FilterDoc> = Vec::new();
    let mut correlations = Vec::new();
    for source in sources {
        let docs = match YamlLoader::load_from_str(&source.text) {
            Ok(docs) => docs,
            Err(e) => {
                report.documents += 1;
                report.errors.push(LoadError {
                    origin: source.origin.clone(),
                    title: None,
                    reason: format!("invalid YAML: {e}"),
                });
                continue;
            }
        };
        let many = docs.iter().filter(|d| !matches!(d, Yaml::Null)).count() > 1;
        let mut global: Option<Yaml> = None;
        let mut previous: Option<Yaml> = None;
        for (i, raw) in docs.iter().enumerate() {
            if matches!(raw, Yaml::Null) {
                continue;
            }
            let origin = if many {
                format!("{}#{}", source.origin, i + 1)
            } else {
                source.origin.clone()
            };
            // Sigma rule collections: `action: global` sets defaults for the following
            // documents, `reset` clears them, `repeat` reuses the previous document.
            let action = rule::get(raw, "action").and_then(Yaml::as_str);
            let doc = match action {
                Some("global") => {
                    global = Some(strip_action(raw));
                    continue;
                }
                Some("reset") => {
                    global = None;
                    continue;
                }
                Some("repeat") => match &previous {
                    Some(prev) => rule::merge_yaml(prev, &strip_action(raw)),
                    None => {
                        report.documents += 1;
                        report.errors.push(LoadError {
                            origin,
                            title: rule::title_of(raw),
                            reason: "action: repeat with no previous document".into(),
                        });
                        continue;
                    }
                },
                Some(other) => {
                    report.documents += 1;
                    report.errors.push(LoadError {
                        origin,
                        title: rule::title_of(raw),
                        reason: format!("unknown action '{other}'"),
                    });
                    continue;
                }
                None => match &global {
                    Some(g) => rule::merge_yaml(g, raw),
                    None => raw.clone(),
                },
            };
            previous = Some(doc.clone());
            report.documents += 1;
            let title = rule::title_of(&doc);
            let fail = |reason: String| LoadError {
                origin: origin.clone(),
                title: title.clone(),
                reason,
            };
            if rule::get(&doc, "correlation").is_some() {
                match correlation::parse_document(&doc, &origin) {
                    Ok(c) => correlations.push(c),
                    Err(e) => report.errors.push(fail(e)),
                }
            } else if rule::get(&doc, "filter").is_some() {
                match rule::parse_filter(&doc, &origin, &ctx) {
                    Ok(f) => filters.push(f),
                    Err(e) => report.errors.push(fail(e)),
                }
            } else if !matches!(doc, Yaml::Hash(_)) {
                report.errors.push(fail("the document is not a map".into()));
            } else {
                match rule::parse_rule(&doc, &origin, &ctx) {
                    Ok(r) => rules.push(r),
                    Err(e) => report.errors.push(fail(e)),
                }
            }
        }
    }

    // Filters: merged into the rules they name (by id or name), or into every rule of their
    // logsource when they name none.
    let mut filters_loaded = 0;
    for f in &filters {
        let mut applied = 0;
        for r in rules.iter_mut() {
            let named = if f.rules.is_empty() {
                true
            } else {
                f.rules.iter().any(|k| {
                    r.info.id.as_deref() == Some(k.as_str())
                        || r.info.name.as_deref() == Some(k.as_str())
                })
            };
            if named && rule::logsource_covers(&f.logsource, &r.info.logsource) {
                r.filters.push(f.detection.clone());
                applied += 1;
            }
        }
        if applied == 0 && !f.rules.is_empty() {
            report.errors.push(LoadError {
                origin: f.origin.clone(),
                title: Some(f.title.clone()),
                reason: format!(
                    "filter names no loaded rule with a matching logsource ({})",
                    f.rules.join(", ")
                ),
            });
        } else {
            filters_loaded += 1;
        }
    }

    // Compile.
    let mut set = RuleSet::default();
    let mut seen_ids: HashMap<String, String> = HashMap::new();
    for r in rules {
        let fail = |reason: String| LoadError {
            origin: r.info.origin.clone(),
            title: Some(r.info.title.clone()),
            reason,
        };
        if let Some(id) = &r.info.id {
            if let Some(first) = seen_ids.get(id) {
                report.errors.push(fail(format!(
                    "duplicate rule id {id} (first loaded from {first})"
                )));
                continue;
            }
        }
        let idx = RuleIdx(set.infos.len() as u32);
        match set.engine.add(idx, &r, &options.mapping) {
            Ok(()) => {
                if let Some(id) = &r.info.id {
                    seen_ids.insert(id.clone(), r.info.origin.clone());
                }
                set.infos.push(r.info);
            }
            Err(e) => report.errors.push(fail(e)),
        }
    }
    set.engine.finish();

    let (correlations, corr_errors) = CorrelationSet::new(correlations, &set);
    report.errors.extend(corr_errors);
    report.loaded = set.len() + filters_loaded + correlations.len();
    Loaded {
        rules: set,
        correlations,
        report,
    }
}

fn strip_action(doc: &Yaml) -> Yaml {
    match doc {
        Yaml::Hash(map) => {
            let mut m = map.clone();
            m.remove(&Yaml::String("action".into()));
            Yaml::Hash(m)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
