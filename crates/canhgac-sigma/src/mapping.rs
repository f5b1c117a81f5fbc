//! Logsource mapping: which events a rule's `logsource` (product, service, category) applies
//! to, and how the rule's field names are read from those events.
//!
//! # Format
//!
//! A mapping is a YAML document with up to three maps, `products`, `services` and
//! `categories`. Each key names a logsource value, each value is a list of *alternatives*
//! (an event matches the key when it matches any alternative):
//!
//! ```yaml
//! products:
//!   windows:
//!     - kind: evtx                  # EventKind code(s): evtx, json, syslog3164, syslog5424,
//!     - kind: json                  #   access_log, raw; a string or a list
//!       exists: [Channel]           # fields that must be present
//! services:
//!   windows/security:               # `<product>/<service>`, or `<service>` for any product
//!     - when: { Channel: Security } # field = value (a list means any of); case-insensitive
//! categories:
//!   windows/process_creation:
//!     - when: { Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1 }
//!     - when: { Channel: Security, EventID: 4688 }
//!       fields:                     # rule field name: event field name, for this alternative
//!         Image: NewProcessName
//!         ParentImage: ParentProcessName
//!   webserver:
//!     - kind: access_log
//! ```
//!
//! A rule applies to an event when the event matches the rule's product, its service and its
//! category; a part the mapping does not know puts no constraint (so a rule with an unmapped
//! category still runs on every event of its product, and a rule of an unknown product on
//! every event). `fields` renames apply only to events matched through that alternative.
//! The built-in mapping is `mapping/default.yml` in this crate.

use canhgac_model::EventKind;
use yaml_rust2::{Yaml, YamlLoader};

use crate::LogSource;

/// Why a mapping document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("logsource mapping: {0}")]
pub struct MappingError(pub String);

/// A value in a `when` condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WhenValue {
    /// Compared as folded text.
    Text(String),
    /// Compared as a number (or its decimal text).
    Int(i64),
}

/// One way an event can belong to a logsource.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Alternative {
    /// Event kinds allowed (`None`: any).
    pub kinds: Option<Vec<EventKind>>,
    /// Field conditions, all required; each field equals one of its values.
    pub when: Vec<(String, Vec<WhenValue>)>,
    /// Fields that must be present.
    pub exists: Vec<String>,
    /// Rule field name → event field name.
    pub fields: Vec<(String, String)>,
}

impl Alternative {
    /// Both alternatives at once; `None` when they contradict.
    fn merge(&self, other: &Alternative) -> Option<Alternative> {
        let kinds = match (&self.kinds, &other.kinds) {
            (None, k) | (k, None) => k.clone(),
            (Some(a), Some(b)) => {
                let both: Vec<EventKind> = a.iter().filter(|k| b.contains(k)).copied().collect();
                if both.is_empty() {
                    return None;
                }
                Some(both)
            }
        };
        let mut when = self.when.clone();
        for (field, values) in &other.when {
            match when.iter_mut().find(|(f, _)| f == field) {
                Some((_, existing)) => {
                    existing.retain(|v| values.contains(v));
                    if existing.is_empty() {
                        return None;
                    }
                }
                None => when.push((field.clone(), values.clone())),
            }
        }
        let mut exists = self.exists.clone();
        for e in &other.exists {
            if !exists.contains(e) {
                exists.push(e.clone());
            }
        }
        let mut fields = self.fields.clone();
        for (from, to) in &other.fields {
            if !fields.iter().any(|(f, _)| f == from) {
                fields.push((from.clone(), to.clone()));
            }
        }
        Some(Alternative {
            kinds,
            when,
            exists,
            fields,
        })
    }
}

/// How logsources map to events; see the [module docs](self) for the YAML format.
#[derive(Debug, Clone, Default)]
pub struct LogsourceMapping {
    products: Vec<(String, Vec<Alternative>)>,
    services: Vec<(String, Vec<Alternative>)>,
    categories: Vec<(String, Vec<Alternative>)>,
}

/// The built-in mapping's text.
pub const DEFAULT_MAPPING: &str = include_str!("../mapping/default.yml");

impl LogsourceMapping {
    /// The built-in mapping (Windows channels and event IDs, Linux syslog programs and
    /// facilities, web server access logs).
    pub fn builtin() -> Self {
        // The built-in text is tested; an empty mapping still evaluates rules (by product
        // only) rather than failing.
        Self::from_yaml(DEFAULT_MAPPING).unwrap_or_default()
    }

    /// A mapping with no entries: every rule applies to every event.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses a mapping document.
    pub fn from_yaml(text: &str) -> Result<Self, MappingError> {
        let docs = YamlLoader::load_from_str(text)
            .map_err(|e| MappingError(format!("invalid YAML: {e}")))?;
        let mut mapping = LogsourceMapping::default();
        for doc in &docs {
            let Yaml::Hash(top) = doc else {
                if matches!(doc, Yaml::Null) {
                    continue;
                }
                return Err(MappingError("the document must be a map".into()));
            };
            for (key, value) in top {
                let section = key.as_str().unwrap_or_default();
                let target = match section {
                    "products" => &mut mapping.products,
                    "services" => &mut mapping.services,
                    "categories" => &mut mapping.categories,
                    "version" => continue,
                    other => {
                        return Err(MappingError(format!(
                            "unknown section '{other}' (expected products, services, categories)"
                        )))
                    }
                };
                let Yaml::Hash(entries) = value else {
                    if matches!(value, Yaml::Null) {
                        continue;
                    }
                    return Err(MappingError(format!("'{section}' must be a map")));
                };
                for (name, alts) in entries {
                    let name = yaml_text(name)
                        .ok_or_else(|| MappingError(format!("{section}: a key is not a string")))?
                        .to_ascii_lowercase();
                    let alts = parse_alternatives(alts)
                        .map_err(|e| MappingError(format!("{section}.{name}: {e}")))?;
                    match target.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, existing)) => existing.extend(alts),
                        None => target.push((name, alts)),
                    }
                }
            }
        }
        Ok(mapping)
    }

    fn lookup<'a>(
        table: &'a [(String, Vec<Alternative>)],
        product: Option<&str>,
        name: &str,
    ) -> Option<&'a [Alternative]> {
        let name = name.to_ascii_lowercase();
        if let Some(p) = product {
            let qualified = format!("{}/{name}", p.to_ascii_lowercase());
            if let Some((_, alts)) = table.iter().find(|(n, _)| *n == qualified) {
                return Some(alts);
            }
        }
        table
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, alts)| alts.as_slice())
    }

    /// The alternatives a logsource resolves to (one unconstrained alternative when nothing
    /// applies); empty only when the parts contradict each other.
    pub(crate) fn resolve(&self, ls: &LogSource) -> Vec<Alternative> {
        let product = ls.product.as_deref();
        let mut parts: Vec<&[Alternative]> = Vec::new();
        if let Some(p) = product {
            if let Some(alts) = Self::lookup(&self.products, None, p) {
                parts.push(alts);
            }
        }
        if let Some(s) = ls.service.as_deref() {
            if let Some(alts) = Self::lookup(&self.services, product, s) {
                parts.push(alts);
            }
        }
        if let Some(c) = ls.category.as_deref() {
            if let Some(alts) = Self::lookup(&self.categories, product, c) {
                parts.push(alts);
            }
        }
        let mut out = vec![Alternative::default()];
        for alts in parts {
            let mut next = Vec::new();
            for have in &out {
                for alt in alts {
                    if let Some(m) = have.merge(alt) {
                        if !next.contains(&m) {
                            next.push(m);
                        }
                    }
                }
            }
            out = next;
        }
        out
    }
}

fn yaml_text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(y: &Yaml) -> Result<Vec<String>, String> {
    match y {
        Yaml::Array(items) => items
            .iter()
            .map(|i| yaml_text(i).ok_or_else(|| "expected a string".to_string()))
            .collect(),
        other => {
            Ok(vec![yaml_text(other).ok_or_else(|| {
                "expected a string or a list".to_string()
            })?])
        }
    }
}

fn when_value(y: &Yaml) -> Result<WhenValue, String> {
    match y {
        Yaml::Integer(i) => Ok(WhenValue::Int(*i)),
        other => yaml_text(other)
            .map(|t| WhenValue::Text(crate::pattern::fold_str(&t)))
            .ok_or_else(|| "a `when` value must be a string or a number".to_string()),
    }
}

fn parse_alternatives(y: &Yaml) -> Result<Vec<Alternative>, String> {
    let items: Vec<&Yaml> = match y {
        Yaml::Array(items) => items.iter().collect(),
        Yaml::Hash(_) => vec![y],
        _ => return Err("expected a list of alternatives".into()),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Yaml::Hash(map) = item else {
            return Err("an alternative must be a map".into());
        };
        let mut alt = Alternative::default();
        for (k, v) in map {
            match k.as_str().unwrap_or_default() {
                "kind" => {
                    let mut kinds = Vec::new();
                    for code in string_list(v)? {
                        kinds.push(
                            EventKind::from_code(&code)
                                .ok_or_else(|| format!("unknown event kind '{code}'"))?,
                        );
                    }
                    alt.kinds = Some(kinds);
                }
                "when" => {
                    let Yaml::Hash(conds) = v else {
                        return Err("`when` must be a map".into());
                    };
                    for (field, values) in conds {
                        let field = yaml_text(field).ok_or("a `when` key is not a string")?;
                        let values = match values {
                            Yaml::Array(vs) => {
                                vs.iter().map(when_value).collect::<Result<_, _>>()?
                            }
                            v => vec![when_value(v)?],
                        };
                        alt.when.push((field, values));
                    }
                }
                "exists" => alt.exists = string_list(v)?,
                "fields" => {
                    let Yaml::Hash(renames) = v else {
                        return Err("`fields` must be a map".into());
                    };
                    for (from, to) in renames {
                        let from = yaml_text(from).ok_or("a `fields` key is not a string")?;
                        let to = yaml_text(to).ok_or("a `fields` value is not a string")?;
                        alt.fields.push((from, to));
                    }
                }
                other => {
                    return Err(format!(
                        "unknown key '{other}' (expected kind, when, exists, fields)"
                    ))
                }
            }
        }
        out.push(alt);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(product: Option<&str>, service: Option<&str>, category: Option<&str>) -> LogSource {
        LogSource {
            product: product.map(str::to_string),
            service: service.map(str::to_string),
            category: category.map(str::to_string),
            definition: None,
        }
    }

    #[test]
    fn builtin_mapping_parses_and_resolves_process_creation() {
        let m = LogsourceMapping::from_yaml(DEFAULT_MAPPING).unwrap();
        let alts = m.resolve(&ls(Some("windows"), None, Some("process_creation")));
        assert!(alts.len() >= 2, "{alts:?}");
        let security = alts
            .iter()
            .find(|a| {
                a.when
                    .iter()
                    .any(|(f, v)| f == "EventID" && v.contains(&WhenValue::Int(4688)))
            })
            .unwrap();
        assert!(security
            .fields
            .contains(&("Image".to_string(), "NewProcessName".to_string())));
        assert!(security.kinds.is_some());
    }

    #[test]
    fn unknown_parts_do_not_constrain_and_contradictions_drop() {
        let m = LogsourceMapping::from_yaml(
            "services:\n  windows/security:\n    - when: {Channel: Security}\ncategories:\n  windows/process_creation:\n    - when: {Channel: Sysmon}\n",
        )
        .unwrap();
        assert_eq!(
            m.resolve(&ls(Some("aws"), None, None)),
            vec![Alternative::default()]
        );
        assert!(m
            .resolve(&ls(
                Some("windows"),
                Some("security"),
                Some("process_creation")
            ))
            .is_empty());
        assert_eq!(
            m.resolve(&ls(Some("Windows"), Some("Security"), None))
                .len(),
            1
        );
    }

    #[test]
    fn bad_mappings_name_the_place() {
        let e = LogsourceMapping::from_yaml("services:\n  x:\n    - kind: floppy\n").unwrap_err();
        assert!(
            e.0.contains("services.x: unknown event kind 'floppy'"),
            "{e}"
        );
        let e = LogsourceMapping::from_yaml("bogus: {}\n").unwrap_err();
        assert!(e.0.contains("unknown section 'bogus'"));
        assert!(LogsourceMapping::from_yaml("a: [").is_err());
    }
}
