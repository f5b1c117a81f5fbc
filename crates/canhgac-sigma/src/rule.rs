//! Rule and filter documents: metadata, logsource and the detection section.

use canhgac_model::Severity;
use yaml_rust2::Yaml;

use crate::detection::{parse_detection, Detection, ParseContext};
use crate::{LogSource, RuleInfo};

/// A parsed detection rule, before compilation.
#[derive(Debug, Clone)]
pub(crate) struct RuleDoc {
    pub info: RuleInfo,
    pub detection: Detection,
    /// Filters applied to this rule: their detections, each ANDed with the rule's condition.
    pub filters: Vec<Detection>,
}

/// A parsed filter meta-rule (`filter:` document).
#[derive(Debug, Clone)]
pub(crate) struct FilterDoc {
    pub title: String,
    pub origin: String,
    pub logsource: LogSource,
    /// Rule ids or names; empty means every rule of the logsource.
    pub rules: Vec<String>,
    pub detection: Detection,
}

pub(crate) fn get<'a>(doc: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    match doc {
        Yaml::Hash(map) => map.get(&Yaml::String(key.to_string())),
        _ => None,
    }
}

fn text(doc: &Yaml, key: &str) -> Option<String> {
    match get(doc, key)? {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn list(doc: &Yaml, key: &str) -> Vec<String> {
    match get(doc, key) {
        Some(Yaml::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
                Yaml::Integer(i) => Some(i.to_string()),
                _ => None,
            })
            .collect(),
        Some(Yaml::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The document's title, for error messages.
pub(crate) fn title_of(doc: &Yaml) -> Option<String> {
    text(doc, "title")
}

fn logsource(doc: &Yaml) -> Result<LogSource, String> {
    let Some(ls) = get(doc, "logsource") else {
        return Err("missing logsource".into());
    };
    if !matches!(ls, Yaml::Hash(_)) {
        return Err("logsource must be a map".into());
    }
    Ok(LogSource {
        product: text(ls, "product"),
        category: text(ls, "category"),
        service: text(ls, "service"),
        definition: text(ls, "definition"),
    })
}

fn level(doc: &Yaml) -> Result<Severity, String> {
    match text(doc, "level") {
        None => Ok(Severity::Medium),
        Some(l) => Severity::from_code(&l.to_ascii_lowercase())
            .ok_or_else(|| format!("unknown level '{l}'")),
    }
}

/// Parses a detection rule document.
pub(crate) fn parse_rule(
    doc: &Yaml,
    origin: &str,
    ctx: &ParseContext<'_>,
) -> Result<RuleDoc, String> {
    let title = text(doc, "title").ok_or("missing title")?;
    let logsource = logsource(doc)?;
    let detection_yaml = get(doc, "detection").ok_or("missing detection")?;
    let detection = parse_detection(detection_yaml, ctx)?;
    let info = RuleInfo {
        id: text(doc, "id"),
        name: text(doc, "name"),
        title,
        level: level(doc)?,
        tags: list(doc, "tags"),
        status: text(doc, "status"),
        description: text(doc, "description"),
        origin: origin.to_string(),
        logsource,
        falsepositives: list(doc, "falsepositives"),
        references: list(doc, "references"),
        fields: list(doc, "fields"),
        author: text(doc, "author"),
        date: text(doc, "date"),
        modified: text(doc, "modified"),
    };
    Ok(RuleDoc {
        info,
        detection,
        filters: Vec::new(),
    })
}

/// Parses a filter meta-rule document.
pub(crate) fn parse_filter(
    doc: &Yaml,
    origin: &str,
    ctx: &ParseContext<'_>,
) -> Result<FilterDoc, String> {
    let title = text(doc, "title").ok_or("missing title")?;
    let logsource = logsource(doc)?;
    let filter = get(doc, "filter").ok_or("missing filter")?;
    let Yaml::Hash(map) = filter else {
        return Err("filter must be a map".into());
    };
    let rules = list(filter, "rules");
    // The rest of `filter:` is a detection section (selections and condition).
    let mut detection_map = map.clone();
    detection_map.remove(&Yaml::String("rules".into()));
    let detection =
        parse_detection(&Yaml::Hash(detection_map), ctx).map_err(|e| format!("filter: {e}"))?;
    Ok(FilterDoc {
        title,
        origin: origin.to_string(),
        logsource,
        rules,
        detection,
    })
}

/// Whether a filter's logsource covers a rule's: every part the filter names, the rule names
/// the same (case-insensitive).
pub(crate) fn logsource_covers(filter: &LogSource, rule: &LogSource) -> bool {
    fn part(f: &Option<String>, r: &Option<String>) -> bool {
        match (f, r) {
            (None, _) => true,
            (Some(f), Some(r)) => f.eq_ignore_ascii_case(r),
            (Some(_), None) => false,
        }
    }
    part(&filter.product, &rule.product)
        && part(&filter.category, &rule.category)
        && part(&filter.service, &rule.service)
}

/// Merges `over` into `base` (maps recursively, everything else replaced): Sigma's
/// `action: global` / `repeat` collections.
pub(crate) fn merge_yaml(base: &Yaml, over: &Yaml) -> Yaml {
    match (base, over) {
        (Yaml::Hash(b), Yaml::Hash(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match out.get(k) {
                    Some(existing) => merge_yaml(existing, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Yaml::Hash(out)
        }
        (_, o) => o.clone(),
    }
}
