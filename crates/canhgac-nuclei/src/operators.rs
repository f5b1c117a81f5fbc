//! Matchers and extractors: what a template checks in a response and what it pulls out of it.
//!
//! A response is seen as [`Parts`]: named texts (`body`, `header`, `status_code`, `answer`,
//! `data`...) that are also the DSL's variables, plus the raw bytes of the parts that can hold
//! binary data.

use std::collections::BTreeMap;

use regex::Regex;

use crate::dsl::{self, Expr, Value, Vars};

/// `and`/`or` between a list's items or between matchers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Condition {
    /// Any item.
    #[default]
    Or,
    /// Every item.
    And,
}

/// A DSL expression of a matcher or extractor. Markers inside it (`contains(body,
/// "{{randstr}}")`) are resolved at match time, then the text is parsed again.
#[derive(Debug, Clone)]
pub struct DslExpression {
    /// The text as written.
    pub source: String,
    /// The expression parsed at load time.
    pub expr: Expr,
}

impl DslExpression {
    /// Evaluates against the response's variables.
    pub fn eval(&self, vars: &Vars) -> Result<Value, dsl::DslError> {
        if self.source.contains("{{") {
            dsl::parse(&dsl::interpolate(&self.source, vars))?.eval(vars)
        } else {
            self.expr.eval(vars)
        }
    }
}

/// What one matcher tests.
#[derive(Debug, Clone)]
pub enum MatcherKind {
    /// Status codes (any).
    Status(Vec<u16>),
    /// Content lengths (any).
    Size(Vec<usize>),
    /// Words (after `{{}}` interpolation); hex-decoded when `encoding: hex`.
    Words(Vec<String>),
    /// Regular expressions.
    Regex(Vec<Regex>),
    /// Byte strings, written in hex in the template.
    Binary(Vec<Vec<u8>>),
    /// DSL expressions that must be true.
    Dsl(Vec<DslExpression>),
}

/// A matcher of a request.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The test.
    pub kind: MatcherKind,
    /// The part read; `None` for the protocol's default part.
    pub part: Option<String>,
    /// Between the items of the list.
    pub condition: Condition,
    /// Inverts the result.
    pub negative: bool,
    /// Named matchers are reported as `template-id:name`.
    pub name: Option<String>,
    /// Words compared without case.
    pub case_insensitive: bool,
    /// Collect every match, not only the first (evidence).
    pub match_all: bool,
    /// Not reported on its own.
    pub internal: bool,
}

/// What one extractor pulls out.
#[derive(Debug, Clone)]
pub enum ExtractorKind {
    /// Regex matches, the given capture group.
    Regex {
        /// The expressions.
        regexes: Vec<Regex>,
        /// Capture group (0 = whole match).
        group: usize,
    },
    /// Header or cookie values by key (`content_type` for `Content-Type`).
    Kval(Vec<String>),
    /// A jq subset over a JSON part.
    Json(Vec<JsonQuery>),
    /// DSL expressions.
    Dsl(Vec<DslExpression>),
}

/// An extractor of a request.
#[derive(Debug, Clone)]
pub struct Extractor {
    /// The extraction.
    pub kind: ExtractorKind,
    /// The variable the first value becomes, for later requests.
    pub name: Option<String>,
    /// The part read; `None` for the protocol's default part.
    pub part: Option<String>,
    /// Values are not reported, only used by later requests.
    pub internal: bool,
}

/// The matchers and extractors of a request.
#[derive(Debug, Clone, Default)]
pub struct Operators {
    /// Matchers.
    pub matchers: Vec<Matcher>,
    /// Between matchers (`matchers-condition`).
    pub condition: Condition,
    /// Extractors.
    pub extractors: Vec<Extractor>,
}

/// A response as operators see it.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    /// Texts by part name; also the DSL variables (with the template's variables merged in).
    pub vars: Vars,
    /// Raw bytes of parts that may be binary (body, data, raw), for `binary` matchers.
    pub raw: BTreeMap<String, Vec<u8>>,
    /// The part used when a matcher or extractor names none.
    pub default_part: &'static str,
}

impl Parts {
    fn text(&self, part: Option<&str>) -> Option<String> {
        let name = part.unwrap_or(self.default_part);
        self.vars.get(name).map(Value::to_string)
    }

    fn bytes(&self, part: Option<&str>) -> Option<Vec<u8>> {
        let name = part.unwrap_or(self.default_part);
        match self.raw.get(name) {
            Some(bytes) => Some(bytes.clone()),
            None => self.text(Some(name)).map(String::into_bytes),
        }
    }
}

/// The outcome of a request's operators.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperatorResult {
    /// Whether the request matched (matchers-condition applied; true when there are no
    /// matchers but extractors found something).
    pub matched: bool,
    /// Names of the named, non-internal matchers that matched.
    pub matched_names: Vec<String>,
    /// What the matchers matched (words, regex matches), for evidence.
    pub matched_snippets: Vec<String>,
    /// Reported values of non-internal extractors.
    pub extracted: Vec<String>,
    /// Variables set by named extractors (first value).
    pub dynamic: Vec<(String, String)>,
}

impl Matcher {
    /// Tests the matcher; returns whether it matched (after `negative`) and what it matched.
    pub fn matches(&self, parts: &Parts) -> (bool, Vec<String>) {
        let (matched, snippets) = self.test(parts);
        if self.negative {
            (!matched, Vec::new())
        } else {
            (matched, snippets)
        }
    }

    fn combine(&self, results: impl Iterator<Item = Option<String>>) -> (bool, Vec<String>) {
        let mut snippets = Vec::new();
        let mut any = false;
        for found in results {
            match (found, self.condition) {
                (Some(snippet), Condition::Or) => {
                    snippets.push(snippet);
                    any = true;
                    if !self.match_all {
                        return (true, snippets);
                    }
                }
                (Some(snippet), Condition::And) => {
                    snippets.push(snippet);
                    any = true;
                }
                (None, Condition::And) => return (false, Vec::new()),
                (None, Condition::Or) => {}
            }
        }
        (any, snippets)
    }

    fn test(&self, parts: &Parts) -> (bool, Vec<String>) {
        match &self.kind {
            MatcherKind::Status(codes) => {
                let status = parts.vars.get("status_code").and_then(Value::as_number);
                let matched = status.is_some_and(|s| codes.iter().any(|c| f64::from(*c) == s));
                (matched, Vec::new())
            }
            MatcherKind::Size(sizes) => {
                let length = parts
                    .vars
                    .get("content_length")
                    .and_then(Value::as_number)
                    .or_else(|| parts.text(self.part.as_deref()).map(|t| t.len() as f64));
                let matched = length.is_some_and(|l| sizes.iter().any(|s| *s as f64 == l));
                (matched, Vec::new())
            }
            MatcherKind::Words(words) => {
                let Some(corpus) = parts.text(self.part.as_deref()) else {
                    return (false, Vec::new());
                };
                let corpus = if self.case_insensitive {
                    corpus.to_lowercase()
                } else {
                    corpus
                };
                self.combine(words.iter().map(|word| {
                    let word = dsl::interpolate(word, &parts.vars);
                    let word = if self.case_insensitive {
                        word.to_lowercase()
                    } else {
                        word
                    };
                    corpus.contains(&word).then_some(word)
                }))
            }
            MatcherKind::Regex(regexes) => {
                let Some(corpus) = parts.text(self.part.as_deref()) else {
                    return (false, Vec::new());
                };
                self.combine(
                    regexes
                        .iter()
                        .map(|re| re.find(&corpus).map(|found| found.as_str().to_owned())),
                )
            }
            MatcherKind::Binary(needles) => {
                let Some(corpus) = parts.bytes(self.part.as_deref()) else {
                    return (false, Vec::new());
                };
                self.combine(needles.iter().map(|needle| {
                    (!needle.is_empty()
                        && corpus.windows(needle.len()).any(|w| w == needle.as_slice()))
                    .then(|| hex::encode(needle))
                }))
            }
            MatcherKind::Dsl(expressions) => self.combine(expressions.iter().map(|expr| {
                expr.eval(&parts.vars)
                    .ok()
                    .filter(Value::truthy)
                    .map(|_| String::new())
            })),
        }
    }
}

impl Extractor {
    /// The values the extractor finds, deduplicated in order.
    pub fn extract(&self, parts: &Parts) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        let mut push = |value: String| {
            if !value.is_empty() && !values.contains(&value) {
                values.push(value);
            }
        };
        match &self.kind {
            ExtractorKind::Regex { regexes, group } => {
                if let Some(corpus) = parts.text(self.part.as_deref()) {
                    for re in regexes {
                        for captures in re.captures_iter(&corpus) {
                            if let Some(found) = captures.get(*group) {
                                push(found.as_str().to_owned());
                            }
                        }
                    }
                }
            }
            ExtractorKind::Kval(keys) => {
                for key in keys {
                    let key = key.to_lowercase().replace('-', "_");
                    if let Some(value) = parts.vars.get(&key) {
                        push(value.to_string());
                    }
                }
            }
            ExtractorKind::Json(queries) => {
                if let Some(corpus) = parts.text(self.part.as_deref()) {
                    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&corpus) {
                        for query in queries {
                            for found in query.run(&json) {
                                push(match found {
                                    serde_json::Value::String(s) => s,
                                    other => other.to_string(),
                                });
                            }
                        }
                    }
                }
            }
            ExtractorKind::Dsl(expressions) => {
                for expr in expressions {
                    if let Ok(value) = expr.eval(&parts.vars) {
                        push(value.to_string());
                    }
                }
            }
        }
        values
    }
}

impl Operators {
    /// Runs every extractor, then the matchers (which may read extracted variables).
    pub fn execute(&self, parts: &mut Parts) -> OperatorResult {
        let mut result = OperatorResult::default();
        for extractor in &self.extractors {
            let values = extractor.extract(parts);
            if let (Some(name), Some(first)) = (&extractor.name, values.first()) {
                parts.vars.insert(name.clone(), Value::Str(first.clone()));
                result.dynamic.push((name.clone(), first.clone()));
            }
            if !extractor.internal {
                for value in values {
                    if !result.extracted.contains(&value) {
                        result.extracted.push(value);
                    }
                }
            }
        }
        if self.matchers.is_empty() {
            result.matched = !result.extracted.is_empty();
            return result;
        }
        let mut all = true;
        let mut any = false;
        for matcher in &self.matchers {
            let (matched, snippets) = matcher.matches(parts);
            if matched {
                any = true;
                result.matched_snippets.extend(snippets);
                if let (Some(name), false) = (&matcher.name, matcher.internal) {
                    result.matched_names.push(name.clone());
                }
            } else {
                all = false;
                if self.condition == Condition::And {
                    break;
                }
            }
        }
        result.matched = match self.condition {
            Condition::And => all,
            Condition::Or => any,
        };
        if self.condition == Condition::And && !result.matched {
            result.matched_names.clear();
            result.matched_snippets.clear();
        }
        result
    }
}

/// A jq subset: `.a.b`, `.a[]`, `.a[0]`, `.[]`, `.["key"]`, joined by `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonQuery {
    steps: Vec<JsonStep>,
    text: String,
}

#[derive(Debug, Clone, PartialEq)]
enum JsonStep {
    Key(String),
    Index(i64),
    Iterate,
}

impl JsonQuery {
    /// Parses a query; `Err` names what is outside the subset.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut steps = Vec::new();
        for stage in text.split('|') {
            let stage = stage.trim();
            if !stage.starts_with('.') {
                return Err(format!(
                    "jq expression {text:?} is outside the supported subset"
                ));
            }
            let mut rest = &stage[1..];
            while !rest.is_empty() {
                if let Some(after) = rest.strip_prefix('[') {
                    let close = after
                        .find(']')
                        .ok_or_else(|| format!("jq expression {text:?}: missing ']'"))?;
                    let inside = after[..close].trim();
                    if inside.is_empty() {
                        steps.push(JsonStep::Iterate);
                    } else if let Ok(index) = inside.parse::<i64>() {
                        steps.push(JsonStep::Index(index));
                    } else if inside.len() >= 2 && inside.starts_with('"') && inside.ends_with('"')
                    {
                        steps.push(JsonStep::Key(inside[1..inside.len() - 1].to_owned()));
                    } else {
                        return Err(format!("jq expression {text:?}: unsupported [{inside}]"));
                    }
                    rest = &after[close + 1..];
                } else {
                    let rest_key = rest.strip_prefix('.').unwrap_or(rest);
                    let end = rest_key.find(['.', '[']).unwrap_or(rest_key.len());
                    let key = &rest_key[..end];
                    if key.is_empty()
                        || !key
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                    {
                        return Err(format!(
                            "jq expression {text:?} is outside the supported subset"
                        ));
                    }
                    steps.push(JsonStep::Key(key.to_owned()));
                    rest = &rest_key[end..];
                }
            }
        }
        Ok(JsonQuery {
            steps,
            text: text.to_owned(),
        })
    }

    /// The values the query yields.
    pub fn run(&self, json: &serde_json::Value) -> Vec<serde_json::Value> {
        let mut current = vec![json.clone()];
        for step in &self.steps {
            let mut next = Vec::new();
            for value in current {
                match (step, value) {
                    (JsonStep::Key(key), serde_json::Value::Object(mut map)) => {
                        if let Some(found) = map.remove(key) {
                            next.push(found);
                        }
                    }
                    (JsonStep::Index(i), serde_json::Value::Array(items)) => {
                        let index = if *i < 0 { items.len() as i64 + i } else { *i };
                        if let Some(found) = usize::try_from(index).ok().and_then(|i| items.get(i))
                        {
                            next.push(found.clone());
                        }
                    }
                    (JsonStep::Iterate, serde_json::Value::Array(items)) => next.extend(items),
                    (JsonStep::Iterate, serde_json::Value::Object(map)) => {
                        next.extend(map.into_iter().map(|(_, v)| v))
                    }
                    _ => {}
                }
            }
            current = next;
        }
        current.into_iter().filter(|v| !v.is_null()).collect()
    }
}

impl std::fmt::Display for JsonQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(body: &str) -> Parts {
        let mut parts = Parts {
            default_part: "body",
            ..Parts::default()
        };
        parts.vars.insert("body".into(), body.into());
        parts.vars.insert("status_code".into(), Value::Num(200.0));
        parts
    }

    fn words(list: &[&str], condition: Condition) -> Matcher {
        Matcher {
            kind: MatcherKind::Words(list.iter().map(|w| (*w).to_owned()).collect()),
            part: None,
            condition,
            negative: false,
            name: None,
            case_insensitive: false,
            match_all: false,
            internal: false,
        }
    }

    #[test]
    fn word_conditions_and_negation() {
        let p = parts("alpha beta");
        assert!(words(&["alpha", "gamma"], Condition::Or).matches(&p).0);
        assert!(!words(&["alpha", "gamma"], Condition::And).matches(&p).0);
        let mut negative = words(&["gamma"], Condition::Or);
        negative.negative = true;
        assert!(negative.matches(&p).0);
        let mut insensitive = words(&["ALPHA"], Condition::Or);
        assert!(!insensitive.matches(&p).0);
        insensitive.case_insensitive = true;
        assert!(insensitive.matches(&p).0);
    }

    #[test]
    fn jq_subset_walks_objects_and_arrays() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"a":{"b":[{"slug":"x"},{"slug":"y"}]},"n":3}"#).unwrap();
        let run = |q: &str| JsonQuery::parse(q).unwrap().run(&json);
        assert_eq!(run(".a.b[] | .slug"), vec!["x", "y"]);
        assert_eq!(run(".a.b[1].slug"), vec!["y"]);
        assert_eq!(run(".a.b[-1].slug"), vec!["y"]);
        assert_eq!(run(".n"), vec![3]);
        assert_eq!(run(".[\"n\"]"), vec![3]);
        assert!(run(".missing").is_empty());
        assert!(JsonQuery::parse("map(.x)").is_err());
        assert!(JsonQuery::parse(".a | select(.b)").is_err());
    }

    #[test]
    fn and_condition_needs_every_matcher() {
        let mut p = parts("ok");
        let ops = Operators {
            matchers: vec![
                words(&["ok"], Condition::Or),
                Matcher {
                    kind: MatcherKind::Status(vec![404]),
                    ..words(&[], Condition::Or)
                },
            ],
            condition: Condition::And,
            extractors: vec![],
        };
        assert!(!ops.execute(&mut p).matched);
        let ops = Operators {
            condition: Condition::Or,
            ..ops
        };
        assert!(ops.execute(&mut p).matched);
    }
}
