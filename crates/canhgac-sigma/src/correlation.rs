//! Sigma correlation rules (specification v2.1): documents that relate the hits of other rules
//! over time, evaluated as a stream in a pure engine (no I/O, no clock of its own).
//!
//! Three pieces:
//! - [`parse_document`] turns one YAML document with a top-level `correlation:` key into a
//!   [`CorrelationRule`], or says precisely what is wrong with it;
//! - [`CorrelationSet::new`] resolves the rules each correlation refers to (detection rules by
//!   `id` or `name`, and other correlations, which makes chains), refusing only the
//!   correlations whose references do not resolve;
//! - [`CorrelationEngine::observe`] is fed every detection hit (the rule and the event) in
//!   event-time order and returns the correlations that fire.
//!
//! # Semantics, as this engine reads the specification
//!
//! - **Windows** slide: a correlation holds when the events of one group that lie within
//!   `timespan` of the newest one (inclusive: an event exactly `timespan` older still counts)
//!   satisfy the condition. Time is [`Event::time`] (or the `now` given to
//!   [`CorrelationEngine::observe_at`]). Units `s`, `m`, `h`, `d` (the specification) and `w`.
//! - **Groups**: the values of the `group-by` fields in the event (after `aliases`, which map a
//!   group-by name to a different field per referenced rule). An event that lacks one of the
//!   group-by fields does not take part in that correlation (as a SIEM's `stats … by` drops
//!   it); [`EngineStats::missing_group_field`] counts such events. No `group-by` means one
//!   group for everything.
//! - **Conditions** (`gt`, `gte`, `lt`, `lte`, `eq`, `neq`; several keys form a range joined
//!   by AND) are checked each time an event enters a group's window, on:
//!   the number of events (`event_count`); the number of distinct values of `field`
//!   (`value_count`; a list of fields counts distinct combinations); the number of distinct
//!   referenced rules seen (`temporal`, default condition: all of them); the length of the
//!   longest run of distinct referenced rules seen in the listed order (`temporal_ordered`,
//!   default: all of them); the sum, mean or `percentile`-th percentile (linear
//!   interpolation) of the numeric `field` (`value_sum`, `value_avg`, `value_percentile`; and
//!   `value_median`, which pySigma also accepts).
//!   The temporal kinds also take a boolean condition over the rules, as in the
//!   specification's examples (`recon_a AND (recon_b OR recon_c)`; `and`/`or`/`not` in any
//!   case, brackets; every listed rule must appear in it): `temporal` fires when it holds over
//!   the rules seen in the window, `temporal_ordered` when it holds and the rules seen came in
//!   the listed order.
//!   Because the check runs as events arrive, a condition with only an upper bound (`lt: 5`)
//!   holds on the first event; a range fires as soon as its lower bound is reached.
//! - **After a correlation fires for a group, that group's state is cleared**: the events that
//!   made it fire never fire it again; the next hit needs a fresh set of events.
//! - **Ordered** means non-decreasing event time in the listed order (events fed in time order;
//!   two rules matching at the same instant count in the order they are fed).
//! - **Late events** (older than the newest event already seen for their group) count as if
//!   they arrived with that newest event, so a window never runs backwards.
//! - **Chains**: a correlation's hit is fed to the correlations that reference it, at the same
//!   time, with its group values as fields (the triggering event's own fields are looked up
//!   when the outer correlation groups by a field the inner one does not have).
//! - **`generate`** (default `false`): the referenced rules are building blocks, not alerts. A
//!   rule's own hits are suppressed ([`CorrelationSet::suppresses_base`]) when at least one
//!   loaded correlation references it and none of those says `generate: true`: an explicit
//!   request for stand-alone output wins. (pySigma disables a rule's output as soon as any
//!   referencing correlation has `generate: false`; the specification states the flag per
//!   correlation and does not settle the conflict.) The same applies to correlations
//!   referenced by other correlations ([`CorrelationInfo::standalone`]).
//! - **`level`**: when absent, the highest level among the referenced rules.
//! - **Memory** is bounded: a group's state is dropped once its newest event is older than the
//!   timespan (swept once per timespan); each correlation holds at most
//!   [`EngineLimits::max_groups`] groups (new groups beyond it are dropped and counted) and
//!   each group at most [`EngineLimits::max_entries_per_group`] remembered events (the oldest
//!   are forgotten and counted).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use canhgac_model::{Event, Severity, Timestamp};
use yaml_rust2::Yaml;

use crate::{LoadError, RuleInfo, RuleSet};

/// The kind of relation a correlation rule looks for (`correlation.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrelationKind {
    /// `event_count`: how many events.
    EventCount,
    /// `value_count`: how many distinct values of a field.
    ValueCount,
    /// `temporal`: how many of the referenced rules, in any order.
    Temporal,
    /// `temporal_ordered`: the referenced rules in the order listed.
    TemporalOrdered,
    /// `value_sum`: the sum of a numeric field (v2.1).
    ValueSum,
    /// `value_avg`: the mean of a numeric field (v2.1).
    ValueAvg,
    /// `value_percentile`: a percentile of a numeric field (v2.1).
    ValuePercentile,
    /// `value_median`: the median of a numeric field (pySigma's extension; the 50th percentile).
    ValueMedian,
}

impl CorrelationKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [CorrelationKind] = &[
        CorrelationKind::EventCount,
        CorrelationKind::ValueCount,
        CorrelationKind::Temporal,
        CorrelationKind::TemporalOrdered,
        CorrelationKind::ValueSum,
        CorrelationKind::ValueAvg,
        CorrelationKind::ValuePercentile,
        CorrelationKind::ValueMedian,
    ];

    /// The name used in rule files (`event_count`, …).
    pub fn code(self) -> &'static str {
        match self {
            CorrelationKind::EventCount => "event_count",
            CorrelationKind::ValueCount => "value_count",
            CorrelationKind::Temporal => "temporal",
            CorrelationKind::TemporalOrdered => "temporal_ordered",
            CorrelationKind::ValueSum => "value_sum",
            CorrelationKind::ValueAvg => "value_avg",
            CorrelationKind::ValuePercentile => "value_percentile",
            CorrelationKind::ValueMedian => "value_median",
        }
    }

    /// Parses a name as written by [`Self::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// True for the kinds whose condition needs a `field`.
    pub fn needs_field(self) -> bool {
        !matches!(
            self,
            CorrelationKind::EventCount
                | CorrelationKind::Temporal
                | CorrelationKind::TemporalOrdered
        )
    }

    fn is_temporal(self) -> bool {
        matches!(
            self,
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered
        )
    }
}

impl std::fmt::Display for CorrelationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A comparison operator of a correlation condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `gt`: greater than.
    Gt,
    /// `gte`: greater than or equal.
    Gte,
    /// `lt`: less than.
    Lt,
    /// `lte`: less than or equal.
    Lte,
    /// `eq`: equal.
    Eq,
    /// `neq`: not equal.
    Neq,
}

impl CompareOp {
    const ALL: &'static [CompareOp] = &[
        CompareOp::Gt,
        CompareOp::Gte,
        CompareOp::Lt,
        CompareOp::Lte,
        CompareOp::Eq,
        CompareOp::Neq,
    ];

    /// The key used in rule files.
    pub fn code(self) -> &'static str {
        match self {
            CompareOp::Gt => "gt",
            CompareOp::Gte => "gte",
            CompareOp::Lt => "lt",
            CompareOp::Lte => "lte",
            CompareOp::Eq => "eq",
            CompareOp::Neq => "neq",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|op| op.code() == code)
    }

    /// Whether `value <op> bound`.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            CompareOp::Gt => value > bound,
            CompareOp::Gte => value >= bound,
            CompareOp::Lt => value < bound,
            CompareOp::Lte => value <= bound,
            CompareOp::Eq => value == bound,
            CompareOp::Neq => value != bound,
        }
    }
}

/// A boolean condition over the referenced rules (`temporal` and `temporal_ordered` only):
/// `recon_a and (recon_b or recon_c)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleExpr {
    /// The rule at this position of `correlation.rules` has matched in the window.
    Rule(usize),
    /// All of them.
    And(Vec<RuleExpr>),
    /// At least one of them.
    Or(Vec<RuleExpr>),
    /// Not it.
    Not(Box<RuleExpr>),
}

impl RuleExpr {
    /// Evaluates with `seen(position)` telling whether a rule matched.
    pub fn eval(&self, seen: &dyn Fn(usize) -> bool) -> bool {
        match self {
            RuleExpr::Rule(pos) => seen(*pos),
            RuleExpr::And(items) => items.iter().all(|e| e.eval(seen)),
            RuleExpr::Or(items) => items.iter().any(|e| e.eval(seen)),
            RuleExpr::Not(inner) => !inner.eval(seen),
        }
    }

    fn positions(&self, out: &mut Vec<usize>) {
        match self {
            RuleExpr::Rule(pos) => out.push(*pos),
            RuleExpr::And(items) | RuleExpr::Or(items) => {
                items.iter().for_each(|e| e.positions(out))
            }
            RuleExpr::Not(inner) => inner.positions(out),
        }
    }

    /// Parses `a and (b or not c)`: names from `rules`, `and`/`or`/`not` in any case, brackets;
    /// `not` binds tightest, then `and`, then `or`.
    fn parse(text: &str, rules: &[String]) -> Result<RuleExpr, String> {
        let mut tokens = Vec::new();
        let mut rest = text;
        loop {
            rest = rest.trim_start();
            let Some(c) = rest.chars().next() else { break };
            if c == '(' || c == ')' {
                tokens.push(c.to_string());
                rest = &rest[1..];
                continue;
            }
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .unwrap_or(rest.len());
            tokens.push(rest[..end].to_string());
            rest = &rest[end..];
        }
        let mut parser = ExprParser {
            tokens,
            at: 0,
            rules,
        };
        let expr = parser.or()?;
        if let Some(extra) = parser.tokens.get(parser.at) {
            return Err(format!(
                "correlation.condition: unexpected {extra:?} in {text:?}"
            ));
        }
        Ok(expr)
    }
}

struct ExprParser<'a> {
    tokens: Vec<String>,
    at: usize,
    rules: &'a [String],
}

impl ExprParser<'_> {
    fn peek_keyword(&self, keyword: &str) -> bool {
        self.tokens
            .get(self.at)
            .is_some_and(|t| t.eq_ignore_ascii_case(keyword))
    }

    fn or(&mut self) -> Result<RuleExpr, String> {
        let mut items = vec![self.and()?];
        while self.peek_keyword("or") {
            self.at += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            RuleExpr::Or(items)
        })
    }

    fn and(&mut self) -> Result<RuleExpr, String> {
        let mut items = vec![self.not()?];
        while self.peek_keyword("and") {
            self.at += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            RuleExpr::And(items)
        })
    }

    fn not(&mut self) -> Result<RuleExpr, String> {
        if self.peek_keyword("not") {
            self.at += 1;
            return Ok(RuleExpr::Not(Box::new(self.not()?)));
        }
        let Some(token) = self.tokens.get(self.at).cloned() else {
            return Err("correlation.condition ends where a rule name was expected".to_string());
        };
        self.at += 1;
        if token == "(" {
            let inner = self.or()?;
            if self.tokens.get(self.at).map(String::as_str) != Some(")") {
                return Err("correlation.condition: missing closing bracket".to_string());
            }
            self.at += 1;
            return Ok(inner);
        }
        if token == ")" || ["and", "or"].iter().any(|k| token.eq_ignore_ascii_case(k)) {
            return Err(format!(
                "correlation.condition: unexpected {token:?} where a rule name was expected"
            ));
        }
        match self.rules.iter().position(|r| *r == token) {
            Some(pos) => Ok(RuleExpr::Rule(pos)),
            None => Err(format!(
                "correlation.condition names {token:?}, which is not in correlation.rules"
            )),
        }
    }
}

/// The `condition` of a correlation: one or more comparisons (all must hold), the field(s) a
/// value-based kind aggregates, and the percentile of `value_percentile`; or, for the temporal
/// kinds, a boolean expression over the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationCondition {
    /// The comparisons, in file order; all must hold (empty with an `expression`).
    pub bounds: Vec<(CompareOp, f64)>,
    /// `field`: the field(s) whose values are counted or aggregated (empty for the kinds that
    /// count events or rules).
    pub fields: Vec<String>,
    /// `percentile` (0 to 100) for `value_percentile`.
    pub percentile: Option<f64>,
    /// A boolean condition over the rules (`temporal`, `temporal_ordered`).
    pub expression: Option<RuleExpr>,
}

impl CorrelationCondition {
    /// Whether `value` satisfies every comparison.
    pub fn holds(&self, value: f64) -> bool {
        self.bounds
            .iter()
            .all(|(op, bound)| op.holds(value, *bound))
    }
}

/// A parsed `timespan` (`90m`, `1h`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timespan {
    /// As written in the rule.
    pub text: String,
    /// Length in seconds.
    pub seconds: u64,
}

impl Timespan {
    /// Parses `<positive integer><unit>` with unit `s`, `m`, `h`, `d` (the specification's) or
    /// `w` (weeks, as pySigma accepts).
    pub fn parse(text: &str) -> Result<Timespan, String> {
        let bad = || {
            format!(
                "invalid timespan {text:?}: expected a positive whole number followed by s, m, h, d or w (e.g. 90m)"
            )
        };
        let unit_at = text.len().checked_sub(1).ok_or_else(bad)?;
        if !text.is_char_boundary(unit_at) {
            return Err(bad());
        }
        let (number, unit) = text.split_at(unit_at);
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let count: u64 = number.parse().map_err(|_| bad())?;
        let unit_seconds: u64 = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            "M" | "y" => {
                return Err(format!(
                    "invalid timespan {text:?}: months and years are not fixed lengths; use days (e.g. 30d)"
                ))
            }
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(format!(
                "invalid timespan {text:?}: must be greater than zero"
            ));
        }
        let seconds = count
            .checked_mul(unit_seconds)
            .filter(|s| *s <= 100 * 366 * 86_400)
            .ok_or_else(|| format!("invalid timespan {text:?}: longer than a hundred years"))?;
        Ok(Timespan {
            text: text.to_string(),
            seconds,
        })
    }

    fn nanos(&self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000
    }
}

/// One entry of `aliases`: a group-by name standing for a different field in the events of each
/// referenced rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldAlias {
    /// The name used in `group-by`.
    pub alias: String,
    /// (rule reference as written — a rule's `name` or `id` —, field name in that rule's events).
    pub fields: Vec<(String, String)>,
}

/// A parsed correlation rule, before its references are resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationRule {
    /// Where it came from (file path), for messages.
    pub origin: String,
    /// `title`.
    pub title: String,
    /// `id`.
    pub id: Option<String>,
    /// `name` (how other correlations and aliases may refer to it).
    pub name: Option<String>,
    /// `level`; `None` takes the highest level among the referenced rules.
    pub level: Option<Severity>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `status`.
    pub status: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `correlation.type`.
    pub kind: CorrelationKind,
    /// `correlation.rules`: references (id or name) to detection or correlation rules, in order.
    pub rules: Vec<String>,
    /// `correlation.group-by`.
    pub group_by: Vec<String>,
    /// `correlation.timespan`.
    pub timespan: Timespan,
    /// `correlation.condition` (for temporal kinds without one: at least all the rules).
    pub condition: CorrelationCondition,
    /// `correlation.aliases`.
    pub aliases: Vec<FieldAlias>,
    /// `generate` (in `correlation:` or at the top level): whether the referenced rules also
    /// alert on their own.
    pub generate: bool,
}

impl CorrelationRule {
    /// The key other rules use for it: `id`, else `name`, else the title.
    pub fn key(&self) -> &str {
        self.id
            .as_deref()
            .or(self.name.as_deref())
            .unwrap_or(&self.title)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const TOP_KEYS: &[&str] = &[
    "title",
    "id",
    "name",
    "level",
    "tags",
    "status",
    "description",
    "author",
    "references",
    "date",
    "modified",
    "falsepositives",
    "correlation",
    "generate",
    "related",
    "license",
    "fields",
    "taxonomy",
    "scope",
];

const CORRELATION_KEYS: &[&str] = &[
    "type",
    "rules",
    "group-by",
    "timespan",
    "condition",
    "aliases",
    "generate",
];

fn key_str(key: &Yaml) -> String {
    match key {
        Yaml::String(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Real(r) => r.clone(),
        Yaml::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

fn get<'a>(map: &'a yaml_rust2::yaml::Hash, key: &str) -> Option<&'a Yaml> {
    map.get(&Yaml::String(key.to_string()))
        .filter(|v| !matches!(v, Yaml::Null | Yaml::BadValue))
}

fn optional_string(map: &yaml_rust2::yaml::Hash, key: &str) -> Result<Option<String>, String> {
    match get(map, key) {
        None => Ok(None),
        Some(Yaml::String(s)) => Ok(Some(s.clone())),
        Some(Yaml::Integer(i)) => Ok(Some(i.to_string())),
        Some(Yaml::Real(r)) => Ok(Some(r.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn string_list(value: &Yaml, what: &str) -> Result<Vec<String>, String> {
    match value {
        Yaml::String(s) => Ok(vec![s.clone()]),
        Yaml::Array(items) => items
            .iter()
            .map(|item| match item {
                Yaml::String(s) => Ok(s.clone()),
                Yaml::Integer(i) => Ok(i.to_string()),
                _ => Err(format!("{what} must be a string or a list of strings")),
            })
            .collect(),
        _ => Err(format!("{what} must be a string or a list of strings")),
    }
}

fn number(value: &Yaml) -> Option<f64> {
    match value {
        Yaml::Integer(i) => Some(*i as f64),
        Yaml::Real(r) => r.parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// Parses one YAML document with a top-level `correlation:` key.
///
/// `origin` names the source (a path) in messages. Every malformed case gives an error saying
/// which key is wrong and what was expected.
pub fn parse_document(doc: &Yaml, origin: &str) -> Result<CorrelationRule, String> {
    let Yaml::Hash(top) = doc else {
        return Err("a correlation rule must be a YAML mapping".to_string());
    };
    for key in top.keys() {
        let name = key_str(key);
        if !TOP_KEYS.contains(&name.as_str()) {
            // Custom top-level attributes are allowed by the specification; only
            // `detection`/`logsource` make no sense next to `correlation`.
            if name == "detection" || name == "logsource" {
                return Err(format!(
                    "a correlation rule has no {name}: it refers to detection rules through correlation.rules"
                ));
            }
        }
    }
    let title = match get(top, "title") {
        Some(Yaml::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Yaml::String(_)) | None => return Err("missing title".to_string()),
        Some(_) => return Err("title must be a string".to_string()),
    };
    let id = optional_string(top, "id")?;
    let name = optional_string(top, "name")?;
    let level = match optional_string(top, "level")? {
        None => None,
        Some(text) => Some(Severity::from_code(&text).ok_or_else(|| {
            format!(
                "unknown level {text:?}; expected one of informational, low, medium, high, critical"
            )
        })?),
    };
    let tags = match get(top, "tags") {
        None => Vec::new(),
        Some(v) => string_list(v, "tags")?,
    };
    let status = optional_string(top, "status")?;
    let description = optional_string(top, "description")?;

    let body = match top.get(&Yaml::String("correlation".to_string())) {
        Some(Yaml::Hash(body)) => body,
        Some(Yaml::Null) | None => return Err("missing correlation section".to_string()),
        Some(_) => return Err("correlation must be a mapping".to_string()),
    };
    for key in body.keys() {
        let name = key_str(key);
        if !CORRELATION_KEYS.contains(&name.as_str()) {
            let hint = match name.as_str() {
                "field" => "; field belongs under condition",
                "group_by" | "groupby" | "group" => "; did you mean group-by?",
                "timeframe" => "; did you mean timespan?",
                _ => "",
            };
            return Err(format!(
                "unknown key correlation.{name}{hint} (expected one of: {})",
                CORRELATION_KEYS.join(", ")
            ));
        }
    }

    let kind = match get(body, "type") {
        None => return Err("missing correlation.type".to_string()),
        Some(Yaml::String(code)) => CorrelationKind::from_code(code).ok_or_else(|| {
            let known: Vec<&str> = CorrelationKind::ALL.iter().map(|k| k.code()).collect();
            format!(
                "unknown correlation type {code:?}; expected one of: {}",
                known.join(", ")
            )
        })?,
        Some(_) => return Err("correlation.type must be a string".to_string()),
    };

    let rules = match get(body, "rules") {
        None => return Err("missing correlation.rules".to_string()),
        Some(v) => string_list(v, "correlation.rules")?,
    };
    if rules.is_empty() {
        return Err("correlation.rules is empty".to_string());
    }
    let mut seen = HashSet::new();
    for rule in &rules {
        if rule.trim().is_empty() {
            return Err("correlation.rules contains an empty reference".to_string());
        }
        if !seen.insert(rule.as_str()) {
            return Err(format!("correlation.rules lists {rule:?} twice"));
        }
    }

    let group_by = match get(body, "group-by") {
        None => Vec::new(),
        Some(v) => string_list(v, "correlation.group-by")?,
    };
    let mut seen = HashSet::new();
    for field in &group_by {
        if !seen.insert(field.as_str()) {
            return Err(format!("correlation.group-by lists {field:?} twice"));
        }
    }

    let timespan = match get(body, "timespan") {
        None => return Err("missing correlation.timespan".to_string()),
        Some(Yaml::String(text)) => Timespan::parse(text)?,
        Some(Yaml::Integer(i)) => {
            return Err(format!(
                "invalid timespan {i}: a unit is required (s, m, h, d or w), e.g. {i}s"
            ))
        }
        Some(_) => return Err("correlation.timespan must be a string such as 5m".to_string()),
    };

    let condition = parse_condition(get(body, "condition"), kind, &rules)?;

    let aliases = match get(body, "aliases") {
        None => Vec::new(),
        Some(Yaml::Hash(map)) => {
            let mut aliases = Vec::new();
            for (alias, per_rule) in map {
                let alias = key_str(alias);
                let Yaml::Hash(per_rule) = per_rule else {
                    return Err(format!(
                        "correlation.aliases.{alias} must map rule names to field names"
                    ));
                };
                let mut fields = Vec::new();
                for (rule, field) in per_rule {
                    let rule = key_str(rule);
                    let Yaml::String(field) = field else {
                        return Err(format!(
                            "correlation.aliases.{alias}.{rule} must be a field name"
                        ));
                    };
                    fields.push((rule, field.clone()));
                }
                aliases.push(FieldAlias { alias, fields });
            }
            aliases
        }
        Some(_) => return Err("correlation.aliases must be a mapping".to_string()),
    };

    let generate = match (get(body, "generate"), get(top, "generate")) {
        (Some(Yaml::Boolean(b)), _) | (None, Some(Yaml::Boolean(b))) => *b,
        (None, None) => false,
        _ => return Err("generate must be true or false".to_string()),
    };

    Ok(CorrelationRule {
        origin: origin.to_string(),
        title,
        id,
        name,
        level,
        tags,
        status,
        description,
        kind,
        rules,
        group_by,
        timespan,
        condition,
        aliases,
        generate,
    })
}

fn parse_condition(
    value: Option<&Yaml>,
    kind: CorrelationKind,
    rules: &[String],
) -> Result<CorrelationCondition, String> {
    let map = match value {
        None if kind.is_temporal() => {
            return Ok(CorrelationCondition {
                bounds: vec![(CompareOp::Gte, rules.len() as f64)],
                fields: Vec::new(),
                percentile: None,
                expression: None,
            })
        }
        None => return Err(format!("missing correlation.condition (required for {kind})")),
        Some(Yaml::Hash(map)) => map,
        Some(Yaml::String(text)) if kind.is_temporal() => {
            let expression = RuleExpr::parse(text, rules)?;
            let mut used = Vec::new();
            expression.positions(&mut used);
            if let Some(missing) = (0..rules.len()).find(|p| !used.contains(p)) {
                return Err(format!(
                    "correlation.condition does not mention {:?}, which correlation.rules lists",
                    rules[missing]
                ));
            }
            return Ok(CorrelationCondition {
                bounds: Vec::new(),
                fields: Vec::new(),
                percentile: None,
                expression: Some(expression),
            });
        }
        Some(Yaml::String(_)) => {
            return Err(format!(
                "correlation.condition must be a map such as {{gte: 10}} for {kind} (boolean conditions are for temporal kinds)"
            ))
        }
        Some(_) => {
            return Err("correlation.condition must be a map such as {gte: 10}".to_string())
        }
    };
    let mut bounds = Vec::new();
    let mut fields = Vec::new();
    let mut percentile = None;
    for (key, value) in map {
        let key = key_str(key);
        if let Some(op) = CompareOp::from_code(&key) {
            let bound = number(value).ok_or_else(|| {
                format!("correlation.condition.{key} must be a number, not {value:?}")
            })?;
            if !kind.needs_field() && bound.fract() != 0.0 {
                return Err(format!(
                    "correlation.condition.{key} must be a whole number for {kind}"
                ));
            }
            bounds.push((op, bound));
        } else if key == "field" {
            fields = string_list(value, "correlation.condition.field")?;
            if fields.is_empty() {
                return Err("correlation.condition.field is empty".to_string());
            }
        } else if key == "percentile" {
            let p = number(value)
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| {
                    "correlation.condition.percentile must be a number from 0 to 100".to_string()
                })?;
            percentile = Some(p);
        } else {
            let hint = match key.as_str() {
                "ge" | ">=" => "; did you mean gte?",
                "le" | "<=" => "; did you mean lte?",
                "ne" | "!=" => "; did you mean neq?",
                ">" => "; did you mean gt?",
                "<" => "; did you mean lt?",
                "=" | "==" => "; did you mean eq?",
                _ => "",
            };
            return Err(format!(
                "unknown condition operator {key:?}{hint} (expected gt, gte, lt, lte, eq, neq, field, percentile)"
            ));
        }
    }
    if bounds.is_empty() {
        return Err(
            "correlation.condition has no comparison (gt, gte, lt, lte, eq or neq)".to_string(),
        );
    }
    if kind.needs_field() && fields.is_empty() {
        return Err(format!("{kind} needs correlation.condition.field"));
    }
    if !kind.needs_field() && !fields.is_empty() {
        return Err(format!(
            "correlation.condition.field has no meaning for {kind} (use value_count to count distinct values)"
        ));
    }
    if kind.needs_field() && kind != CorrelationKind::ValueCount && fields.len() > 1 {
        return Err(format!("{kind} aggregates one numeric field, not a list"));
    }
    match (kind, percentile) {
        (CorrelationKind::ValuePercentile, None) => {
            return Err(
                "value_percentile needs correlation.condition.percentile (0 to 100)".to_string(),
            )
        }
        (CorrelationKind::ValuePercentile, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            return Err(format!(
                "correlation.condition.percentile has no meaning for {kind}"
            ))
        }
    }
    if !satisfiable(&bounds) {
        let text: Vec<String> = bounds
            .iter()
            .map(|(op, b)| format!("{} {b}", op.code()))
            .collect();
        return Err(format!(
            "correlation.condition can never hold: {}",
            text.join(" and ")
        ));
    }
    Ok(CorrelationCondition {
        bounds,
        fields,
        percentile,
        expression: None,
    })
}

/// Whether some value satisfies all bounds (checked on the bounds themselves and points near
/// them, which is enough for conjunctions of comparisons with constants).
fn satisfiable(bounds: &[(CompareOp, f64)]) -> bool {
    let mut candidates = vec![f64::MIN / 2.0, f64::MAX / 2.0];
    for (_, b) in bounds {
        let tiny = b.abs() * 1e-9 + 1e-9;
        candidates.extend([*b, b - 0.5, b + 0.5, b - tiny, b + tiny]);
        for (_, c) in bounds {
            candidates.push((b + c) / 2.0);
        }
    }
    candidates
        .iter()
        .any(|v| bounds.iter().all(|(op, b)| op.holds(*v, *b)))
}

// ---------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------

/// What a correlation hit says about the correlation that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationInfo {
    /// `id`.
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `level`, or the highest level among the referenced rules.
    pub level: Severity,
    /// `tags`.
    pub tags: Vec<String>,
    /// `correlation.type`.
    pub kind: CorrelationKind,
    /// Where the rule came from.
    pub origin: String,
    /// False when other correlations reference this one and none of them has
    /// `generate: true`: its hits feed those correlations but are not alerts on their own.
    pub standalone: bool,
}

impl CorrelationInfo {
    /// `id`, else `name`, else the title.
    pub fn key(&self) -> &str {
        self.id
            .as_deref()
            .or(self.name.as_deref())
            .unwrap_or(&self.title)
    }
}

/// Where a referenced rule's hits go: correlation `corr`, position `pos` in its `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Listener {
    corr: usize,
    pos: usize,
}

/// A resolved, ready-to-run correlation.
#[derive(Debug)]
struct Compiled {
    kind: CorrelationKind,
    span: i128,
    /// Group-by names as written (the names in [`CorrelationHit::group`]).
    group_by: Vec<String>,
    /// Per position in `rules`: the field to read for each group-by name.
    group_fields: Vec<Vec<String>>,
    /// Per position in `rules`: the field(s) to aggregate.
    value_fields: Vec<Vec<String>>,
    condition: CorrelationCondition,
    rule_count: usize,
}

#[derive(Debug)]
struct Shared {
    compiled: Vec<Compiled>,
    infos: Vec<CorrelationInfo>,
    /// Detection rule key ([`detection_key`]) → listeners.
    by_rule: HashMap<String, Vec<Listener>>,
    /// Per correlation → listeners (correlations that reference it).
    by_correlation: Vec<Vec<Listener>>,
    /// Detection rule keys whose own hits are suppressed.
    suppressed: HashSet<String>,
}

/// The loaded correlation rules, resolved against the detection rules and each other.
#[derive(Debug, Clone)]
pub struct CorrelationSet {
    shared: Arc<Shared>,
    limits: EngineLimits,
}

impl Default for CorrelationSet {
    fn default() -> Self {
        CorrelationSet {
            shared: Arc::new(Shared {
                compiled: Vec::new(),
                infos: Vec::new(),
                by_rule: HashMap::new(),
                by_correlation: Vec::new(),
                suppressed: HashSet::new(),
            }),
            limits: EngineLimits::default(),
        }
    }
}

/// How a detection rule is recognised when its hits are observed: `id`, else `name`.
fn detection_key(info: &RuleInfo) -> Option<&str> {
    info.id.as_deref().or(info.name.as_deref())
}

/// What resolution needs to know of a detection rule.
#[derive(Debug, Clone)]
struct DetRule {
    key: String,
    id: Option<String>,
    name: Option<String>,
    level: Severity,
}

type DetIndex<'a> = HashMap<&'a str, Vec<&'a DetRule>>;

#[derive(Debug, Clone)]
enum Target {
    /// Detection rule keys (one reference may match several rules sharing a name).
    Detection(Vec<String>),
    Correlation(usize),
}

impl CorrelationSet {
    /// Resolves each correlation's references by `id` or `name` against the detection rules and
    /// the other correlations. A correlation with an unknown or ambiguous reference, an alias
    /// naming a rule it does not reference, a duplicate id/name, a reference cycle, or a
    /// reference to a correlation that failed, is left out with a [`LoadError`]; the others
    /// load.
    pub fn new(
        rules: Vec<CorrelationRule>,
        detection: &RuleSet,
    ) -> (CorrelationSet, Vec<LoadError>) {
        let dets: Vec<DetRule> = detection
            .iter()
            .filter_map(|(_, info)| {
                detection_key(info).map(|key| DetRule {
                    key: key.to_string(),
                    id: info.id.clone(),
                    name: info.name.clone(),
                    level: info.level,
                })
            })
            .collect();
        Self::build(rules, &dets)
    }

    fn build(rules: Vec<CorrelationRule>, dets: &[DetRule]) -> (CorrelationSet, Vec<LoadError>) {
        let mut errors: Vec<Option<String>> = vec![None; rules.len()];

        // Detection rules by id and by name.
        let mut det_by_ref: DetIndex<'_> = HashMap::new();
        for det in dets {
            if let Some(id) = det.id.as_deref() {
                det_by_ref.entry(id).or_default().push(det);
            }
            if let Some(name) = det.name.as_deref() {
                if det.id.as_deref() != Some(name) {
                    det_by_ref.entry(name).or_default().push(det);
                }
            }
        }

        // Correlations by id and by name; duplicates are errors for the later one.
        let mut corr_by_ref: HashMap<&str, usize> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            for r in [rule.id.as_deref(), rule.name.as_deref()]
                .into_iter()
                .flatten()
            {
                match corr_by_ref.get(r) {
                    Some(&other) if other != i => {
                        errors[i].get_or_insert_with(|| {
                            format!(
                                "another correlation ({}, in {}) already uses the id or name {r:?}",
                                rules[other].title, rules[other].origin
                            )
                        });
                    }
                    _ => {
                        corr_by_ref.insert(r, i);
                    }
                }
            }
        }

        // Resolve references.
        let mut targets: Vec<Vec<Target>> = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let mut resolved = Vec::with_capacity(rule.rules.len());
            for reference in &rule.rules {
                let det = det_by_ref.get(reference.as_str());
                let corr = corr_by_ref.get(reference.as_str()).copied();
                match (det, corr) {
                    (Some(_), Some(_)) => {
                        errors[i].get_or_insert_with(|| {
                            format!("ambiguous rule reference {reference:?}: both a detection rule and a correlation rule have it as id or name")
                        });
                    }
                    (Some(det), None) => {
                        let mut keys: Vec<String> = det.iter().map(|d| d.key.clone()).collect();
                        keys.sort();
                        keys.dedup();
                        resolved.push(Target::Detection(keys));
                    }
                    (None, Some(c)) if c == i => {
                        errors[i].get_or_insert_with(|| {
                            format!("correlation refers to itself ({reference:?})")
                        });
                    }
                    (None, Some(c)) => resolved.push(Target::Correlation(c)),
                    (None, None) => {
                        errors[i].get_or_insert_with(|| {
                            format!("unknown rule reference {reference:?}: no loaded detection or correlation rule has this id or name")
                        });
                    }
                }
            }
            // Two references to one rule (its id and its name) would count one hit twice.
            if errors[i].is_none() {
                'pairs: for (a, ta) in resolved.iter().enumerate() {
                    for (b, tb) in resolved.iter().enumerate().skip(a + 1) {
                        let same = match (ta, tb) {
                            (Target::Detection(x), Target::Detection(y)) => {
                                x.iter().any(|k| y.contains(k))
                            }
                            (Target::Correlation(x), Target::Correlation(y)) => x == y,
                            _ => false,
                        };
                        if same {
                            errors[i] = Some(format!(
                                "references {:?} and {:?} designate the same rule",
                                rule.rules[a], rule.rules[b]
                            ));
                            break 'pairs;
                        }
                    }
                }
            }
            targets.push(resolved);
        }

        // Aliases must name referenced rules.
        for (i, rule) in rules.iter().enumerate() {
            if errors[i].is_some() {
                continue;
            }
            for alias in &rule.aliases {
                for (rule_ref, _) in &alias.fields {
                    if alias_position(rule, &targets[i], rule_ref, &rules, &det_by_ref).is_none() {
                        errors[i] = Some(format!(
                            "alias {:?} names rule {rule_ref:?}, which is not among correlation.rules",
                            alias.alias
                        ));
                    }
                }
            }
        }

        // Cycles and failed dependencies, in dependency order (depth-first).
        let n = rules.len();
        let mut order = Vec::with_capacity(n);
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        for start in 0..n {
            visit(
                start,
                &targets,
                &mut state,
                &mut order,
                &mut errors,
                &rules,
                &mut Vec::new(),
            );
        }
        // `order` lists dependencies before dependents; propagate failures.
        for &i in &order {
            if errors[i].is_some() {
                continue;
            }
            for t in &targets[i] {
                if let Target::Correlation(c) = t {
                    if errors[*c].is_some() {
                        errors[i] = Some(format!(
                            "refers to correlation {:?}, which did not load",
                            rules[*c].key()
                        ));
                        break;
                    }
                }
            }
        }

        // Compile the loadable ones, dependencies first, so levels can be inherited.
        let mut new_index: Vec<Option<usize>> = vec![None; n];
        let mut compiled = Vec::new();
        let mut infos: Vec<CorrelationInfo> = Vec::new();
        let mut generate_flags: Vec<bool> = Vec::new();
        let mut by_rule: HashMap<String, Vec<Listener>> = HashMap::new();
        let mut corr_targets: Vec<Vec<(usize, usize)>> = Vec::new(); // (inner new idx, pos)
        let mut det_level: HashMap<&str, Severity> = HashMap::new();
        for det in dets {
            let e = det_level.entry(det.key.as_str()).or_insert(det.level);
            *e = (*e).max(det.level);
        }
        for &i in &order {
            if errors[i].is_some() {
                continue;
            }
            let rule = &rules[i];
            let me = compiled.len();
            new_index[i] = Some(me);
            let mut level = Severity::Informational;
            let mut inner = Vec::new();
            for (pos, t) in targets[i].iter().enumerate() {
                match t {
                    Target::Detection(keys) => {
                        for key in keys {
                            let list = by_rule.entry(key.clone()).or_default();
                            let l = Listener { corr: me, pos };
                            if !list.contains(&l) {
                                list.push(l);
                            }
                            if let Some(lv) = det_level.get(key.as_str()) {
                                level = level.max(*lv);
                            }
                        }
                    }
                    Target::Correlation(c) => {
                        if let Some(ci) = new_index[*c] {
                            level = level.max(infos[ci].level);
                            inner.push((ci, pos));
                        }
                    }
                }
            }
            let (group_fields, value_fields) =
                resolve_fields(rule, &targets[i], &rules, &det_by_ref);
            compiled.push(Compiled {
                kind: rule.kind,
                span: rule.timespan.nanos(),
                group_by: rule.group_by.clone(),
                group_fields,
                value_fields,
                condition: rule.condition.clone(),
                rule_count: rule.rules.len(),
            });
            infos.push(CorrelationInfo {
                id: rule.id.clone(),
                name: rule.name.clone(),
                title: rule.title.clone(),
                level: rule.level.unwrap_or(level),
                tags: rule.tags.clone(),
                kind: rule.kind,
                origin: rule.origin.clone(),
                standalone: true,
            });
            generate_flags.push(rule.generate);
            corr_targets.push(inner);
        }

        // Correlation → correlation listeners, and which correlations are stand-alone.
        let mut by_correlation: Vec<Vec<Listener>> = vec![Vec::new(); compiled.len()];
        let mut referenced = vec![false; compiled.len()];
        let mut wanted = vec![false; compiled.len()];
        for (outer, inner) in corr_targets.iter().enumerate() {
            for &(ci, pos) in inner {
                by_correlation[ci].push(Listener { corr: outer, pos });
                referenced[ci] = true;
                wanted[ci] |= generate_flags[outer];
            }
        }
        for (ci, info) in infos.iter_mut().enumerate() {
            info.standalone = !referenced[ci] || wanted[ci];
        }

        // Detection rules suppressed: referenced, and no referencing correlation generates.
        let mut suppressed = HashSet::new();
        for (key, listeners) in &by_rule {
            if !listeners.iter().any(|l| generate_flags[l.corr]) {
                suppressed.insert(key.clone());
            }
        }

        let load_errors = rules
            .iter()
            .zip(errors)
            .filter_map(|(rule, error)| {
                error.map(|reason| LoadError {
                    origin: rule.origin.clone(),
                    title: Some(rule.title.clone()),
                    reason,
                })
            })
            .collect();

        let set = CorrelationSet {
            shared: Arc::new(Shared {
                compiled,
                infos,
                by_rule,
                by_correlation,
                suppressed,
            }),
            limits: EngineLimits::default(),
        };
        (set, load_errors)
    }

    /// Number of correlations that loaded.
    pub fn len(&self) -> usize {
        self.shared.compiled.len()
    }

    /// True when no correlation loaded.
    pub fn is_empty(&self) -> bool {
        self.shared.compiled.is_empty()
    }

    /// The loaded correlations.
    pub fn infos(&self) -> impl Iterator<Item = &CorrelationInfo> {
        self.shared.infos.iter()
    }

    /// The same set whose engines use these limits.
    pub fn with_limits(mut self, limits: EngineLimits) -> Self {
        self.limits = limits;
        self
    }

    /// A fresh engine (empty state) over these correlations. Engines are independent: one per
    /// stream of events (e.g. one per hunt, one for the live path).
    pub fn engine(&self) -> CorrelationEngine {
        CorrelationEngine {
            shared: Arc::clone(&self.shared),
            limits: self.limits,
            states: (0..self.shared.compiled.len())
                .map(|_| CorrState::default())
                .collect(),
            stats: EngineStats::default(),
            key: String::new(),
            value: String::new(),
        }
    }

    /// True when `rule`'s own hits should not be alerts: at least one loaded correlation
    /// references it and none of those has `generate: true` (see the module documentation for
    /// this reading of the specification).
    pub fn suppresses_base(&self, rule: &RuleInfo) -> bool {
        detection_key(rule).is_some_and(|key| self.shared.suppressed.contains(key))
    }

    /// True when some loaded correlation references `rule` (its hits should be fed to
    /// [`CorrelationEngine::observe`]).
    pub fn references(&self, rule: &RuleInfo) -> bool {
        detection_key(rule).is_some_and(|key| self.shared.by_rule.contains_key(key))
    }
}

/// The position in `rule.rules` that an alias entry's rule reference designates: the reference
/// as written, or the id or name of the rule a reference resolved to.
fn alias_position(
    rule: &CorrelationRule,
    targets: &[Target],
    alias_ref: &str,
    rules: &[CorrelationRule],
    det_by_ref: &DetIndex<'_>,
) -> Option<usize> {
    if let Some(pos) = rule.rules.iter().position(|r| r == alias_ref) {
        return Some(pos);
    }
    rule.rules.iter().enumerate().find_map(|(pos, reference)| {
        let names: Vec<&str> = match targets.get(pos) {
            Some(Target::Correlation(c)) => [rules[*c].id.as_deref(), rules[*c].name.as_deref()]
                .into_iter()
                .flatten()
                .collect(),
            _ => det_by_ref
                .get(reference.as_str())
                .map(|d| {
                    d.iter()
                        .flat_map(|det| [det.id.as_deref(), det.name.as_deref()])
                        .flatten()
                        .collect()
                })
                .unwrap_or_default(),
        };
        names.contains(&alias_ref).then_some(pos)
    })
}

fn resolve_fields(
    rule: &CorrelationRule,
    targets: &[Target],
    rules: &[CorrelationRule],
    det_by_ref: &DetIndex<'_>,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let field_for = |pos: usize, name: &str| -> String {
        rule.aliases
            .iter()
            .find(|a| a.alias == name)
            .and_then(|a| {
                a.fields.iter().find_map(|(r, f)| {
                    (alias_position(rule, targets, r, rules, det_by_ref) == Some(pos))
                        .then(|| f.clone())
                })
            })
            .unwrap_or_else(|| name.to_string())
    };
    let group = (0..rule.rules.len())
        .map(|pos| rule.group_by.iter().map(|g| field_for(pos, g)).collect())
        .collect();
    let values = (0..rule.rules.len())
        .map(|pos| {
            rule.condition
                .fields
                .iter()
                .map(|f| field_for(pos, f))
                .collect()
        })
        .collect();
    (group, values)
}

fn visit(
    i: usize,
    targets: &[Vec<Target>],
    state: &mut [u8],
    order: &mut Vec<usize>,
    errors: &mut [Option<String>],
    rules: &[CorrelationRule],
    stack: &mut Vec<usize>,
) {
    if state[i] == 2 {
        return;
    }
    if state[i] == 1 {
        // A cycle: every correlation on it fails.
        let from = stack.iter().position(|&s| s == i).unwrap_or(0);
        let cycle: Vec<&str> = stack[from..]
            .iter()
            .chain(std::iter::once(&i))
            .map(|&c| rules[c].key())
            .collect();
        let text = cycle.join(" → ");
        for &c in &stack[from..] {
            errors[c].get_or_insert_with(|| format!("reference cycle: {text}"));
        }
        return;
    }
    state[i] = 1;
    stack.push(i);
    for t in &targets[i] {
        if let Target::Correlation(c) = t {
            visit(*c, targets, state, order, errors, rules, stack);
        }
    }
    stack.pop();
    state[i] = 2;
    order.push(i);
}

// ---------------------------------------------------------------------------------------------
// Engine
// ---------------------------------------------------------------------------------------------

/// Bounds on an engine's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineLimits {
    /// Most groups one correlation tracks at once (default 100,000); events of new groups
    /// beyond it are dropped and counted in [`EngineStats::dropped_groups`].
    pub max_groups: usize,
    /// Most events one group remembers (default 10,000); older ones are forgotten and counted
    /// in [`EngineStats::dropped_entries`]. Only `value_count` with many repeated values and the
    /// metric kinds can reach it: the counting kinds fire, and reset, first.
    pub max_entries_per_group: usize,
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            max_groups: 100_000,
            max_entries_per_group: 10_000,
        }
    }
}

/// Counters of an engine, for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Hits fed to correlations (one per referencing correlation).
    pub observed: u64,
    /// Correlation hits returned.
    pub fired: u64,
    /// Events that lacked a group-by field (or the aggregated field) and were left out.
    pub missing_group_field: u64,
    /// Events left out because their correlation already tracked `max_groups` groups.
    pub dropped_groups: u64,
    /// Remembered events forgotten because a group reached `max_entries_per_group`.
    pub dropped_entries: u64,
    /// Groups expired because their newest event left the window.
    pub expired_groups: u64,
    /// Groups tracked now, over all correlations.
    pub groups: u64,
}

/// A correlation that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationHit {
    /// Which correlation.
    pub info: CorrelationInfo,
    /// The group: (group-by name, value), in `group-by` order.
    pub group: Vec<(String, String)>,
    /// Time of the earliest event that counted.
    pub first: Timestamp,
    /// Time of the event that made it fire.
    pub last: Timestamp,
    /// Events in the window (`event_count`, metric kinds), distinct values (`value_count`) or
    /// distinct rules (`temporal`, `temporal_ordered`).
    pub count: u64,
    /// The value the condition was checked on (the count, sum, mean or percentile).
    pub value: f64,
}

#[derive(Debug, Default)]
struct CorrState {
    /// Encoded group key ([`push_part`]) → state.
    groups: HashMap<String, Group>,
    next_sweep: Option<i128>,
}

#[derive(Debug)]
struct Group {
    newest: i128,
    window: Window,
}

#[derive(Debug)]
enum Window {
    /// Event times, oldest first.
    Events(std::collections::VecDeque<i128>),
    /// Distinct value (or combination of values) → newest time seen in the window.
    Values(HashMap<String, i128>),
    /// Per referenced rule: time of its newest hit.
    Rules(Vec<Option<i128>>),
    /// `chains[j][k]`: the latest start time of a run of k+1 distinct rules seen in the listed
    /// order and ending with rule j.
    Ordered(Vec<Vec<Option<i128>>>),
    /// (time, value), oldest first, and their running sum.
    Numbers(std::collections::VecDeque<(i128, f64)>, f64),
}

/// Where field values come from: an event, or a correlation hit that feeds a chain.
enum Source<'a> {
    Event(&'a Event),
    Hit(&'a [(String, String)], &'a Event),
}

/// Appends `value` to an encoded key: its byte length, `:`, the value. Unambiguous for any
/// values, and lets a group be looked up by `&str` without allocating.
fn push_part(buf: &mut String, value: &str) {
    use std::fmt::Write as _;
    let _ = write!(buf, "{}:", value.len());
    buf.push_str(value);
}

/// The values of a key built by [`push_part`].
fn decode_key(mut key: &str) -> Vec<String> {
    let mut values = Vec::new();
    while let Some((len, rest)) = key.split_once(':') {
        let Ok(len) = len.parse::<usize>() else { break };
        let Some(value) = rest.get(..len) else { break };
        values.push(value.to_string());
        key = &rest[len..];
    }
    values
}

impl Source<'_> {
    /// Appends the value of `field` to `buf` ([`push_part`]); false when the field is absent.
    fn push_value(&self, field: &str, buf: &mut String) -> bool {
        if let Source::Hit(group, _) = self {
            if let Some((_, v)) = group.iter().find(|(name, _)| name == field) {
                push_part(buf, v);
                return true;
            }
        }
        let event = match self {
            Source::Event(event) | Source::Hit(_, event) => event,
        };
        match event.fields.get(field) {
            None | Some(canhgac_model::FieldValue::Null) => false,
            Some(v) => {
                push_part(buf, &v.to_text());
                true
            }
        }
    }

    fn number(&self, field: &str) -> Option<f64> {
        let event = match self {
            Source::Event(event) => event,
            Source::Hit(group, event) => {
                if let Some((_, v)) = group.iter().find(|(name, _)| name == field) {
                    return v.trim().parse::<f64>().ok().filter(|f| f.is_finite());
                }
                event
            }
        };
        match event.fields.get(field)? {
            canhgac_model::FieldValue::Int(i) => Some(*i as f64),
            canhgac_model::FieldValue::Float(f) if f.is_finite() => Some(*f),
            canhgac_model::FieldValue::Str(s) => {
                s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
            }
            _ => None,
        }
    }
}

/// Streaming state of a [`CorrelationSet`]: feed it detection hits, get correlation hits.
#[derive(Debug)]
pub struct CorrelationEngine {
    shared: Arc<Shared>,
    limits: EngineLimits,
    states: Vec<CorrState>,
    stats: EngineStats,
    /// Reused buffers for the group key and the counted value.
    key: String,
    value: String,
}

fn timestamp(nanos: i128) -> Timestamp {
    Timestamp::from_nanosecond(nanos).unwrap_or(Timestamp::MIN)
}

impl CorrelationEngine {
    /// Feeds one detection hit (the rule that matched, the event), at the event's own time.
    /// Call it for every hit, in event-time order; rules no correlation references cost one
    /// hash lookup. Returns the correlations that fire, inner links of a chain before the
    /// correlations they complete.
    pub fn observe(&mut self, rule: &RuleInfo, event: &Event) -> Vec<CorrelationHit> {
        self.observe_at(rule, event, event.time)
    }

    /// As [`Self::observe`], with `now` as the event's time (e.g. the time it was received,
    /// for sources whose clocks cannot be trusted).
    pub fn observe_at(
        &mut self,
        rule: &RuleInfo,
        event: &Event,
        now: Timestamp,
    ) -> Vec<CorrelationHit> {
        match detection_key(rule) {
            Some(key) => self.observe_key(key, event, now),
            None => Vec::new(),
        }
    }

    /// As [`Self::observe_at`], for the detection rule whose `id` (else `name`) is `key`.
    pub fn observe_key(&mut self, key: &str, event: &Event, now: Timestamp) -> Vec<CorrelationHit> {
        let mut hits = Vec::new();
        let Some(listeners) = self.shared.by_rule.get(key) else {
            return hits;
        };
        let mut feeder = Feeder {
            shared: &self.shared,
            limits: self.limits,
            states: &mut self.states,
            stats: &mut self.stats,
            key: &mut self.key,
            value: &mut self.value,
            now: now.as_nanosecond(),
        };
        let mut fired: Vec<usize> = Vec::new();
        for l in listeners {
            if let Some(hit) = feeder.feed(*l, &Source::Event(event)) {
                fired.push(l.corr);
                hits.push(hit);
            }
        }
        // Chains: each hit feeds the correlations that reference its correlation.
        let mut i = 0;
        while i < hits.len() {
            let corr = fired[i];
            for l in &feeder.shared.by_correlation[corr] {
                let group = hits[i].group.clone();
                if let Some(hit) = feeder.feed(*l, &Source::Hit(&group, event)) {
                    fired.push(l.corr);
                    hits.push(hit);
                }
            }
            i += 1;
        }
        self.stats.fired += hits.len() as u64;
        hits
    }

    /// The engine's counters.
    pub fn stats(&self) -> EngineStats {
        let mut stats = self.stats;
        stats.groups = self.states.iter().map(|s| s.groups.len() as u64).sum();
        stats
    }

    /// Drops every group whose newest event is older than its correlation's timespan before
    /// `now` (done automatically as time advances; call it when a stream goes quiet).
    pub fn expire(&mut self, now: Timestamp) {
        let now = now.as_nanosecond();
        for (corr, state) in self.states.iter_mut().enumerate() {
            let span = self.shared.compiled[corr].span;
            let before = state.groups.len();
            state.groups.retain(|_, g| g.newest >= now - span);
            self.stats.expired_groups += (before - state.groups.len()) as u64;
        }
    }
}

/// The engine's parts one observation works on (borrowed apart so the shared rules need no
/// reference count bump per hit).
struct Feeder<'a> {
    shared: &'a Shared,
    limits: EngineLimits,
    states: &'a mut [CorrState],
    stats: &'a mut EngineStats,
    key: &'a mut String,
    value: &'a mut String,
    now: i128,
}

impl Feeder<'_> {
    fn feed(&mut self, listener: Listener, source: &Source<'_>) -> Option<CorrelationHit> {
        let shared = self.shared;
        let c = &shared.compiled[listener.corr];
        let now = self.now;
        self.stats.observed += 1;

        self.key.clear();
        for field in &c.group_fields[listener.pos] {
            if !source.push_value(field, self.key) {
                self.stats.missing_group_field += 1;
                return None;
            }
        }
        let mut number = 0.0;
        let fields = &c.value_fields[listener.pos];
        match c.kind {
            CorrelationKind::ValueCount => {
                self.value.clear();
                for f in fields {
                    if !source.push_value(f, self.value) {
                        self.stats.missing_group_field += 1;
                        return None;
                    }
                }
            }
            CorrelationKind::ValueSum
            | CorrelationKind::ValueAvg
            | CorrelationKind::ValuePercentile
            | CorrelationKind::ValueMedian => match fields.first().and_then(|f| source.number(f)) {
                Some(n) => number = n,
                None => {
                    self.stats.missing_group_field += 1;
                    return None;
                }
            },
            _ => {}
        }

        let state = &mut self.states[listener.corr];
        let cutoff = now - c.span;

        // Sweep expired groups once per timespan.
        if state.next_sweep.is_none_or(|t| now >= t) {
            let before = state.groups.len();
            state.groups.retain(|_, g| g.newest >= cutoff);
            self.stats.expired_groups += (before - state.groups.len()) as u64;
            state.next_sweep = Some(now.saturating_add(c.span));
        }

        if !state.groups.contains_key(self.key.as_str()) {
            if state.groups.len() >= self.limits.max_groups {
                let before = state.groups.len();
                state.groups.retain(|_, g| g.newest >= cutoff);
                self.stats.expired_groups += (before - state.groups.len()) as u64;
                if state.groups.len() >= self.limits.max_groups {
                    self.stats.dropped_groups += 1;
                    return None;
                }
            }
            let window = match c.kind {
                CorrelationKind::EventCount => Window::Events(Default::default()),
                CorrelationKind::ValueCount => Window::Values(HashMap::new()),
                CorrelationKind::Temporal => Window::Rules(vec![None; c.rule_count]),
                CorrelationKind::TemporalOrdered => {
                    Window::Ordered(vec![vec![None; c.rule_count]; c.rule_count])
                }
                CorrelationKind::ValueSum
                | CorrelationKind::ValueAvg
                | CorrelationKind::ValuePercentile
                | CorrelationKind::ValueMedian => Window::Numbers(Default::default(), 0.0),
            };
            state.groups.insert(
                self.key.clone(),
                Group {
                    newest: now,
                    window,
                },
            );
        }
        let group = state.groups.get_mut(self.key.as_str())?;
        // A late event (older than the group's newest) counts as arriving with the newest one,
        // which keeps each window in time order.
        let now = now.max(group.newest);
        let cutoff = now - c.span;
        group.newest = now;
        let max_entries = self.limits.max_entries_per_group.max(1);

        // Update the window, then measure it: (value, count, first).
        let (value, count, first) = match &mut group.window {
            Window::Events(times) => {
                while times.front().is_some_and(|t| *t < cutoff) {
                    times.pop_front();
                }
                times.push_back(now);
                if times.len() > max_entries {
                    times.pop_front();
                    self.stats.dropped_entries += 1;
                }
                let n = times.len();
                (n as f64, n as u64, times.front().copied().unwrap_or(now))
            }
            Window::Values(values) => {
                values.retain(|_, t| *t >= cutoff);
                match values.get_mut(self.value.as_str()) {
                    Some(t) => *t = now,
                    None => {
                        values.insert(self.value.clone(), now);
                    }
                }
                if values.len() > max_entries {
                    if let Some(oldest) = values
                        .iter()
                        .min_by_key(|(_, t)| **t)
                        .map(|(k, _)| k.clone())
                    {
                        values.remove(&oldest);
                        self.stats.dropped_entries += 1;
                    }
                }
                let n = values.len();
                let first = values.values().copied().min().unwrap_or(now);
                (n as f64, n as u64, first)
            }
            Window::Rules(newest) => {
                newest[listener.pos] = Some(now);
                let (n, first) = newest
                    .iter()
                    .flatten()
                    .filter(|t| **t >= cutoff)
                    .fold((0u64, now), |(n, first), t| (n + 1, first.min(*t)));
                if let Some(expr) = &c.condition.expression {
                    let seen = |pos: usize| newest[pos].is_some_and(|t| t >= cutoff);
                    if !expr.eval(&seen) {
                        return None;
                    }
                }
                (n as f64, n, first)
            }
            Window::Ordered(chains) => {
                let j = listener.pos;
                let valid = |t: &Option<i128>| t.filter(|t| *t >= cutoff);
                // Runs ending at j: a run of k+1 extends a run of k ending at an earlier rule.
                // Longest first, so each step reads the runs as they were before this hit.
                for k in (1..c.rule_count).rev() {
                    let extended = (0..j).filter_map(|i| valid(&chains[i][k - 1])).max();
                    chains[j][k] = valid(&chains[j][k]).max(extended);
                }
                chains[j][0] = Some(now);
                let mut best = (0usize, now);
                for k in (0..c.rule_count).rev() {
                    if let Some(start) =
                        (0..c.rule_count).filter_map(|i| valid(&chains[i][k])).max()
                    {
                        best = (k + 1, start);
                        break;
                    }
                }
                if let Some(expr) = &c.condition.expression {
                    // The expression holds over the rules seen, and those came in order.
                    let seen = |pos: usize| valid(&chains[pos][0]).is_some();
                    let seen_count = (0..c.rule_count).filter(|p| seen(*p)).count();
                    if !expr.eval(&seen) || best.0 != seen_count {
                        return None;
                    }
                }
                (best.0 as f64, best.0 as u64, best.1)
            }
            Window::Numbers(entries, sum) => {
                while entries.front().is_some_and(|(t, _)| *t < cutoff) {
                    if let Some((_, v)) = entries.pop_front() {
                        *sum -= v;
                    }
                }
                entries.push_back((now, number));
                *sum += number;
                if entries.len() > max_entries {
                    if let Some((_, v)) = entries.pop_front() {
                        *sum -= v;
                    }
                    self.stats.dropped_entries += 1;
                }
                let len = entries.len();
                let value = match c.kind {
                    // Recomputed rather than trusting the running sum after removals.
                    CorrelationKind::ValueSum => entries.iter().map(|(_, v)| v).sum(),
                    CorrelationKind::ValueAvg => {
                        entries.iter().map(|(_, v)| v).sum::<f64>() / len as f64
                    }
                    _ => {
                        let mut values: Vec<f64> = entries.iter().map(|(_, v)| *v).collect();
                        values.sort_by(f64::total_cmp);
                        percentile(&values, c.condition.percentile.unwrap_or(50.0))
                    }
                };
                let first = entries.front().map(|(t, _)| *t).unwrap_or(now);
                (value, len as u64, first)
            }
        };

        if !c.condition.holds(value) {
            return None;
        }
        // Fired: this group starts afresh.
        let key = state
            .groups
            .remove_entry(self.key.as_str())
            .map(|(k, _)| k)
            .unwrap_or_default();
        let group = c.group_by.iter().cloned().zip(decode_key(&key)).collect();
        Some(CorrelationHit {
            info: shared.infos[listener.corr].clone(),
            group,
            first: timestamp(first),
            last: timestamp(now),
            count,
            value,
        })
    }
}

/// The `p`-th percentile (0–100) of sorted `values`, by linear interpolation between closest
/// ranks.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let rank = (p / 100.0) * (n - 1) as f64;
            let lo = rank.floor() as usize;
            let hi = rank.ceil() as usize;
            let frac = rank - lo as f64;
            sorted[lo] + (sorted[hi.min(n - 1)] - sorted[lo]) * frac
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_model::EventKind;
    use yaml_rust2::YamlLoader;

    fn parse(text: &str) -> Result<CorrelationRule, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        parse_document(&docs[0], "test.yml")
    }

    fn det(id: &str, name: &str, level: Severity) -> DetRule {
        DetRule {
            key: id.to_string(),
            id: Some(id.to_string()),
            name: Some(name.to_string()),
            level,
        }
    }

    /// Detection rules a, b, c (ids "id-a"…, names "a"…) and the failed/successful login pair.
    fn dets() -> Vec<DetRule> {
        vec![
            det("id-a", "a", Severity::Low),
            det("id-b", "b", Severity::Medium),
            det("id-c", "c", Severity::Low),
            det("id-failed", "failed_login", Severity::Low),
            det("id-ok", "successful_login", Severity::Informational),
        ]
    }

    fn set(docs: &[&str]) -> (CorrelationSet, Vec<LoadError>) {
        let rules = docs.iter().map(|d| parse(d).unwrap()).collect();
        CorrelationSet::build(rules, &dets())
    }

    fn engine(doc: &str) -> CorrelationEngine {
        let (set, errors) = set(&[doc]);
        assert!(errors.is_empty(), "{errors:?}");
        set.engine()
    }

    fn ev(second: i64, fields: &[(&str, &str)]) -> Event {
        let mut event = Event::new(EventKind::Json, "");
        event.time = Timestamp::from_second(1_800_000_000 + second).unwrap();
        for (k, v) in fields {
            event.fields.set(*k, *v);
        }
        event
    }

    /// Feeds `key` at `second` with `fields`; returns the titles of what fired.
    fn feed(
        e: &mut CorrelationEngine,
        key: &str,
        second: i64,
        fields: &[(&str, &str)],
    ) -> Vec<String> {
        let event = ev(second, fields);
        e.observe_key(key, &event, event.time)
            .into_iter()
            .map(|h| h.info.title)
            .collect()
    }

    const COUNT3: &str = "
title: three
correlation:
  type: event_count
  rules: [a]
  group-by: [User]
  timespan: 60s
  condition: {gte: 3}
";

    #[test]
    fn event_count_fires_on_the_third_event_not_the_second() {
        let mut e = engine(COUNT3);
        assert!(feed(&mut e, "id-a", 0, &[("User", "alice")]).is_empty());
        assert!(feed(&mut e, "id-a", 10, &[("User", "alice")]).is_empty());
        let event = ev(20, &[("User", "alice")]);
        let hits = e.observe_key("id-a", &event, event.time);
        assert_eq!(hits.len(), 1);
        let hit = &hits[0];
        assert_eq!(hit.group, vec![("User".to_string(), "alice".to_string())]);
        assert_eq!(hit.count, 3);
        assert_eq!(hit.first, ev(0, &[]).time);
        assert_eq!(hit.last, ev(20, &[]).time);
        assert_eq!(hit.info.kind, CorrelationKind::EventCount);
        assert_eq!(
            hit.info.level,
            Severity::Low,
            "inherits the referenced rule's level"
        );
    }

    #[test]
    fn event_count_resets_after_firing() {
        let mut e = engine(COUNT3);
        let fired: Vec<usize> = (0..7)
            .map(|i| feed(&mut e, "id-a", i, &[("User", "alice")]).len())
            .collect();
        assert_eq!(fired, vec![0, 0, 1, 0, 0, 1, 0]);
    }

    #[test]
    fn event_count_groups_are_separate() {
        let mut e = engine(COUNT3);
        for s in 0..2 {
            assert!(feed(&mut e, "id-a", s, &[("User", "alice")]).is_empty());
            assert!(feed(&mut e, "id-a", s, &[("User", "bob")]).is_empty());
        }
        assert_eq!(feed(&mut e, "id-a", 5, &[("User", "bob")]), vec!["three"]);
        assert_eq!(feed(&mut e, "id-a", 6, &[("User", "alice")]), vec!["three"]);
    }

    #[test]
    fn timespan_is_inclusive_and_old_events_expire() {
        let mut e = engine(COUNT3);
        feed(&mut e, "id-a", 0, &[("User", "u")]);
        feed(&mut e, "id-a", 30, &[("User", "u")]);
        assert_eq!(
            feed(&mut e, "id-a", 60, &[("User", "u")]).len(),
            1,
            "0..=60 is within 60s"
        );

        let mut e = engine(COUNT3);
        feed(&mut e, "id-a", 0, &[("User", "u")]);
        feed(&mut e, "id-a", 30, &[("User", "u")]);
        assert!(
            feed(&mut e, "id-a", 61, &[("User", "u")]).is_empty(),
            "the event at 0 left"
        );
        assert_eq!(
            feed(&mut e, "id-a", 62, &[("User", "u")]).len(),
            1,
            "30, 61, 62"
        );
    }

    #[test]
    fn unrelated_rules_and_missing_group_fields_do_not_count() {
        let mut e = engine(COUNT3);
        for s in 0..5 {
            assert!(feed(&mut e, "id-b", s, &[("User", "u")]).is_empty());
            assert!(feed(&mut e, "id-a", s, &[("Other", "u")]).is_empty());
        }
        assert_eq!(e.stats().missing_group_field, 5);
        assert_eq!(e.stats().groups, 0);
    }

    #[test]
    fn value_count_counts_distinct_values() {
        let mut e = engine(
            "
title: spray
correlation:
  type: value_count
  rules: [id-a]
  group-by: [SourceIp]
  timespan: 5m
  condition: {field: User, gt: 2}
",
        );
        let ip = ("SourceIp", "10.0.0.1");
        assert!(feed(&mut e, "id-a", 0, &[ip, ("User", "u1")]).is_empty());
        assert!(feed(&mut e, "id-a", 1, &[ip, ("User", "u1")]).is_empty());
        assert!(feed(&mut e, "id-a", 2, &[ip, ("User", "u2")]).is_empty());
        assert!(feed(&mut e, "id-a", 3, &[ip, ("User", "u2")]).is_empty());
        assert!(feed(
            &mut e,
            "id-a",
            4,
            &[("SourceIp", "10.0.0.2"), ("User", "u3")]
        )
        .is_empty());
        let event = ev(5, &[ip, ("User", "u3")]);
        let hits = e.observe_key("id-a", &event, event.time);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].count, 3);
        assert_eq!(hits[0].first, ev(1, &[]).time, "u1's newest sighting");
    }

    #[test]
    fn value_count_forgets_values_older_than_the_timespan() {
        let mut e = engine(
            "
title: spray
correlation:
  type: value_count
  rules: [a]
  timespan: 10s
  condition: {field: User, gte: 3}
",
        );
        assert!(feed(&mut e, "id-a", 0, &[("User", "u1")]).is_empty());
        assert!(feed(&mut e, "id-a", 5, &[("User", "u2")]).is_empty());
        assert!(
            feed(&mut e, "id-a", 11, &[("User", "u3")]).is_empty(),
            "u1 expired"
        );
        assert_eq!(feed(&mut e, "id-a", 12, &[("User", "u1")]).len(), 1);
    }

    const TEMPORAL: &str = "
title: recon
correlation:
  type: temporal
  rules: [a, b, c]
  group-by: [Host]
  timespan: 5m
";

    #[test]
    fn temporal_needs_every_rule_in_any_order() {
        let mut e = engine(TEMPORAL);
        let h = [("Host", "pc1")];
        assert!(feed(&mut e, "id-c", 0, &h).is_empty());
        assert!(feed(&mut e, "id-c", 1, &h).is_empty());
        assert!(feed(&mut e, "id-a", 2, &h).is_empty());
        assert!(feed(&mut e, "id-a", 3, &[("Host", "pc2")]).is_empty());
        let event = ev(4, &h);
        let hits = e.observe_key("id-b", &event, event.time);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].count, 3);
        assert_eq!(hits[0].first, ev(1, &[]).time);
        assert_eq!(
            hits[0].info.level,
            Severity::Medium,
            "highest referenced level"
        );
    }

    #[test]
    fn temporal_window_expires_old_rule_hits() {
        let mut e = engine(TEMPORAL);
        let h = [("Host", "pc1")];
        feed(&mut e, "id-a", 0, &h);
        feed(&mut e, "id-b", 100, &h);
        assert!(feed(&mut e, "id-c", 301, &h).is_empty(), "a is 301 s old");
        assert_eq!(feed(&mut e, "id-a", 302, &h).len(), 1);
    }

    #[test]
    fn temporal_condition_counts_distinct_rules() {
        let mut e = engine(
            "
title: two of three
correlation:
  type: temporal
  rules: [a, b, c]
  timespan: 5m
  condition: {gte: 2}
",
        );
        assert!(feed(&mut e, "id-b", 0, &[]).is_empty());
        assert!(feed(&mut e, "id-b", 1, &[]).is_empty());
        assert_eq!(feed(&mut e, "id-c", 2, &[]).len(), 1);
    }

    const ORDERED: &str = "
title: in order
correlation:
  type: temporal_ordered
  rules: [a, b, c]
  group-by: [Host]
  timespan: 5m
";

    #[test]
    fn temporal_ordered_needs_the_listed_order() {
        let h = [("Host", "pc1")];
        // c, b, a: every rule seen, wrong order.
        let mut e = engine(ORDERED);
        assert!(feed(&mut e, "id-c", 0, &h).is_empty());
        assert!(feed(&mut e, "id-b", 1, &h).is_empty());
        assert!(feed(&mut e, "id-a", 2, &h).is_empty());
        // The unordered variant fires on the same events.
        let mut u = engine(&ORDERED.replace("temporal_ordered", "temporal"));
        assert!(feed(&mut u, "id-c", 0, &h).is_empty());
        assert!(feed(&mut u, "id-b", 1, &h).is_empty());
        assert_eq!(feed(&mut u, "id-a", 2, &h).len(), 1);
        // Continuing the ordered one: a (at 2), then b, then c completes the order.
        assert!(feed(&mut e, "id-b", 3, &h).is_empty());
        assert_eq!(feed(&mut e, "id-c", 4, &h).len(), 1);
    }

    #[test]
    fn temporal_ordered_keeps_an_earlier_start_when_a_rule_repeats() {
        let h = [("Host", "pc1")];
        let mut e = engine(ORDERED);
        feed(&mut e, "id-a", 0, &h);
        feed(&mut e, "id-b", 10, &h);
        feed(&mut e, "id-a", 20, &h);
        let event = ev(30, &h);
        let hits = e.observe_key("id-c", &event, event.time);
        assert_eq!(hits.len(), 1, "a@0 b@10 c@30 is in order");
        assert_eq!(hits[0].first, ev(0, &[]).time);
    }

    #[test]
    fn temporal_ordered_run_must_fit_in_the_timespan() {
        let h = [("Host", "pc1")];
        let mut e = engine(ORDERED);
        feed(&mut e, "id-a", 0, &h);
        feed(&mut e, "id-b", 200, &h);
        assert!(feed(&mut e, "id-c", 301, &h).is_empty(), "a is too old");
        feed(&mut e, "id-a", 310, &h);
        assert!(
            feed(&mut e, "id-c", 320, &h).is_empty(),
            "b came before this a"
        );
        feed(&mut e, "id-b", 330, &h);
        assert_eq!(feed(&mut e, "id-c", 340, &h).len(), 1);
    }

    #[test]
    fn aliases_map_group_by_names_per_rule() {
        let mut e = engine(
            "
title: error then connection
correlation:
  type: temporal
  rules: [a, b]
  group-by: [internal_ip, remote_ip]
  timespan: 10s
  aliases:
    internal_ip:
      a: destination.ip
      b: source.ip
    remote_ip:
      a: source.ip
      b: destination.ip
",
        );
        let a = [("destination.ip", "10.0.0.5"), ("source.ip", "203.0.113.9")];
        assert!(feed(&mut e, "id-a", 0, &a).is_empty());
        // Same addresses in the same fields (not swapped): a different group.
        assert!(feed(&mut e, "id-b", 1, &a).is_empty());
        let b = [("source.ip", "10.0.0.5"), ("destination.ip", "203.0.113.9")];
        let event = ev(2, &b);
        let hits = e.observe_key("id-b", &event, event.time);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].group,
            vec![
                ("internal_ip".to_string(), "10.0.0.5".to_string()),
                ("remote_ip".to_string(), "203.0.113.9".to_string())
            ]
        );
    }

    const MANY_FAILED: &str = "
title: many failed logins
name: many_failed_logins
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 10m
  condition: {gte: 3}
";
    const FOLLOWED: &str = "
title: failed logins then success
level: critical
correlation:
  type: temporal_ordered
  rules: [many_failed_logins, successful_login]
  group-by: [User]
  timespan: 1h
";

    #[test]
    fn chained_correlations_fire_in_order() {
        let (set, errors) = set(&[FOLLOWED, MANY_FAILED]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(set.len(), 2);
        let mut e = set.engine();
        let u = [("User", "alice")];
        // A success before the failures does not count.
        assert!(feed(&mut e, "id-ok", 0, &u).is_empty());
        assert!(feed(&mut e, "id-failed", 1, &u).is_empty());
        assert!(feed(&mut e, "id-failed", 2, &u).is_empty());
        assert_eq!(feed(&mut e, "id-failed", 3, &u), vec!["many failed logins"]);
        assert!(feed(&mut e, "id-ok", 4, &[("User", "bob")]).is_empty());
        let event = ev(5, &u);
        let hits = e.observe_key("id-ok", &event, event.time);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].info.title, "failed logins then success");
        assert_eq!(hits[0].info.level, Severity::Critical);
        assert_eq!(hits[0].first, ev(3, &[]).time);
        // The inner correlation is a building block (generate defaults to false) …
        let inner = set
            .infos()
            .find(|i| i.title == "many failed logins")
            .unwrap();
        assert!(!inner.standalone);
        let outer = set.infos().find(|i| i.title.contains("then")).unwrap();
        assert!(outer.standalone);
    }

    #[test]
    fn a_chain_can_complete_within_one_observation() {
        let (set, errors) = set(&[
            MANY_FAILED,
            "
title: failures on a host
correlation:
  type: event_count
  rules: [many_failed_logins]
  group-by: [User, Host]
  timespan: 1h
  condition: {gte: 1}
",
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        let mut e = set.engine();
        let f = [("User", "alice"), ("Host", "pc9")];
        feed(&mut e, "id-failed", 0, &f);
        feed(&mut e, "id-failed", 1, &f);
        let event = ev(2, &f);
        let hits = e.observe_key("id-failed", &event, event.time);
        let titles: Vec<&str> = hits.iter().map(|h| h.info.title.as_str()).collect();
        assert_eq!(titles, vec!["many failed logins", "failures on a host"]);
        // Host is not a group-by of the inner correlation: taken from the triggering event.
        assert_eq!(
            hits[1].group,
            vec![
                ("User".to_string(), "alice".to_string()),
                ("Host".to_string(), "pc9".to_string())
            ]
        );
    }

    #[test]
    fn generate_decides_whether_base_rules_alert() {
        let (set, _) = set(&[COUNT3]);
        assert!(set.shared.suppressed.contains("id-a"));
        assert!(!set.shared.suppressed.contains("id-b"), "not referenced");
        let generating = COUNT3.replace("timespan: 60s", "timespan: 60s\n  generate: true");
        let (set, _) = self::set(&[COUNT3, &generating.replace("title: three", "title: four")]);
        assert!(
            !set.shared.suppressed.contains("id-a"),
            "one correlation asks for stand-alone output"
        );
        let top_level = format!("generate: true\n{COUNT3}");
        let (set, errors) = self::set(&[&top_level]);
        assert!(errors.is_empty());
        assert!(!set.shared.suppressed.contains("id-a"));
    }

    #[test]
    fn reference_errors_fail_only_that_correlation() {
        let (set, errors) = set(&[
            COUNT3,
            &COUNT3
                .replace("rules: [a]", "rules: [a, nope]")
                .replace("title: three", "title: broken"),
        ]);
        assert_eq!(set.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].title.as_deref(), Some("broken"));
        assert_eq!(errors[0].origin, "test.yml");
        assert!(
            errors[0].reason.contains("unknown rule reference \"nope\""),
            "{}",
            errors[0].reason
        );
        // A failed reference does not suppress the base rule through the broken correlation.
        let (set, _) = self::set(&[&COUNT3.replace("rules: [a]", "rules: [a, nope]")]);
        assert!(!set.shared.suppressed.contains("id-a"));
    }

    #[test]
    fn cycles_duplicates_and_dependents_of_failures_are_refused() {
        let one = "
title: one
name: one
correlation: {type: event_count, rules: [two], timespan: 1m, condition: {gte: 1}}
";
        let two = "
title: two
name: two
correlation: {type: event_count, rules: [one], timespan: 1m, condition: {gte: 1}}
";
        let three = "
title: three
name: three
correlation: {type: event_count, rules: [one, a], timespan: 1m, condition: {gte: 1}}
";
        let (set, errors) = set(&[one, two, three, COUNT3]);
        assert_eq!(set.len(), 1);
        let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
        assert!(reasons[0].contains("reference cycle"), "{reasons:?}");
        assert!(reasons[1].contains("reference cycle"), "{reasons:?}");
        assert!(reasons[2].contains("did not load"), "{reasons:?}");

        let selfref = "
title: me
name: me
correlation: {type: event_count, rules: [me], timespan: 1m, condition: {gte: 1}}
";
        let (_, errors) = self::set(&[selfref]);
        assert!(errors[0].reason.contains("itself"), "{errors:?}");

        let dup = MANY_FAILED.replace("title: many failed logins", "title: again");
        let (set, errors) = self::set(&[MANY_FAILED, &dup]);
        assert_eq!(set.len(), 1);
        assert!(errors[0].reason.contains("already uses"), "{errors:?}");

        let ambiguous = "
title: x
name: a
correlation: {type: event_count, rules: [b], timespan: 1m, condition: {gte: 1}}
";
        let user = "
title: y
correlation: {type: event_count, rules: [a], timespan: 1m, condition: {gte: 1}}
";
        let (_, errors) = self::set(&[ambiguous, user]);
        assert!(errors[0].reason.contains("ambiguous"), "{errors:?}");
    }

    #[test]
    fn two_references_to_one_rule_are_refused() {
        let (set, errors) = set(&[&COUNT3.replace("rules: [a]", "rules: [a, id-a]")]);
        assert!(set.is_empty());
        assert!(
            errors[0]
                .reason
                .contains("\"a\" and \"id-a\" designate the same rule"),
            "{errors:?}"
        );
    }

    #[test]
    fn aliases_must_name_referenced_rules() {
        let doc = "
title: x
correlation:
  type: temporal
  rules: [a, b]
  group-by: [ip]
  timespan: 1m
  aliases:
    ip: {a: src, zzz: dst}
";
        let (set, errors) = set(&[doc]);
        assert!(set.is_empty());
        assert!(errors[0].reason.contains("\"zzz\""), "{errors:?}");
        // By id works as well as by name.
        let (set, errors) = self::set(&[&doc.replace("zzz", "id-b")]);
        assert!(errors.is_empty() && set.len() == 1, "{errors:?}");
    }

    #[test]
    fn conditions_eq_neq_and_ranges() {
        let doc = |cond: &str| COUNT3.replace("{gte: 3}", cond);
        let fire_at = |cond: &str| -> Vec<usize> {
            let mut e = engine(&doc(cond));
            (0..6)
                .map(|s| feed(&mut e, "id-a", s, &[("User", "u")]).len())
                .collect()
        };
        assert_eq!(fire_at("{eq: 2}"), vec![0, 1, 0, 1, 0, 1]);
        assert_eq!(fire_at("{gt: 3}"), vec![0, 0, 0, 1, 0, 0]);
        assert_eq!(fire_at("{neq: 1}"), vec![0, 1, 0, 1, 0, 1]);
        assert_eq!(fire_at("{gt: 1, lte: 5}"), vec![0, 1, 0, 1, 0, 1]);
        assert_eq!(
            fire_at("{lt: 5}"),
            vec![1, 1, 1, 1, 1, 1],
            "checked as events arrive"
        );
    }

    #[test]
    fn metric_kinds_aggregate_a_numeric_field() {
        let doc = |kind: &str, cond: &str| {
            format!(
                "
title: m
correlation:
  type: {kind}
  rules: [a]
  group-by: [User]
  timespan: 1h
  condition: {cond}
"
            )
        };
        let mut e = engine(&doc("value_sum", "{field: bytes, gt: 1000}"));
        assert!(feed(&mut e, "id-a", 0, &[("User", "u"), ("bytes", "600")]).is_empty());
        assert!(feed(&mut e, "id-a", 1, &[("User", "u"), ("bytes", "oops")]).is_empty());
        assert!(feed(&mut e, "id-a", 2, &[("User", "u"), ("bytes", "400")]).is_empty());
        let event = ev(3, &[("User", "u"), ("bytes", "1")]);
        let hits = e.observe_key("id-a", &event, event.time);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].value, 1001.0);
        assert_eq!(hits[0].count, 3);

        let mut e = engine(&doc("value_avg", "{field: bytes, gte: 100}"));
        assert!(feed(&mut e, "id-a", 0, &[("User", "u"), ("bytes", "10")]).is_empty());
        assert!(feed(&mut e, "id-a", 1, &[("User", "u"), ("bytes", "180")]).is_empty());
        assert_eq!(
            feed(&mut e, "id-a", 2, &[("User", "u"), ("bytes", "110")]).len(),
            1
        );

        let mut e = engine(&doc("value_median", "{field: ms, lte: 5}"));
        assert!(feed(&mut e, "id-a", 0, &[("User", "u"), ("ms", "9")]).is_empty());
        assert!(
            feed(&mut e, "id-a", 1, &[("User", "u"), ("ms", "3")]).is_empty(),
            "median 6"
        );
        assert_eq!(
            feed(&mut e, "id-a", 2, &[("User", "u"), ("ms", "1")]).len(),
            1,
            "median 3"
        );

        let mut e = engine(&doc(
            "value_percentile",
            "{field: ms, percentile: 50, gt: 100}",
        ));
        assert!(feed(&mut e, "id-a", 0, &[("User", "u"), ("ms", "10")]).is_empty());
        assert!(feed(&mut e, "id-a", 1, &[("User", "u"), ("ms", "20")]).is_empty());
        assert!(
            feed(&mut e, "id-a", 2, &[("User", "u"), ("ms", "500")]).is_empty(),
            "median 20"
        );
        let event = ev(3, &[("User", "u"), ("ms", "600")]);
        let hits = e.observe_key("id-a", &event, event.time);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].value, 260.0, "median of 10, 20, 500, 600");
    }

    #[test]
    fn group_and_entry_caps_hold_and_are_counted() {
        let (set, _) = set(&[COUNT3]);
        let mut e = set
            .with_limits(EngineLimits {
                max_groups: 2,
                max_entries_per_group: 10,
            })
            .engine();
        feed(&mut e, "id-a", 0, &[("User", "u1")]);
        feed(&mut e, "id-a", 0, &[("User", "u2")]);
        feed(&mut e, "id-a", 0, &[("User", "u3")]);
        assert_eq!(e.stats().dropped_groups, 1);
        assert_eq!(e.stats().groups, 2);
        // Once the old groups expire, new ones are admitted again.
        feed(&mut e, "id-a", 100, &[("User", "u3")]);
        assert_eq!(e.stats().dropped_groups, 1);
        assert_eq!(e.stats().groups, 1);
        assert!(e.stats().expired_groups >= 2);
        e.expire(ev(1000, &[]).time);
        assert_eq!(e.stats().groups, 0);
    }

    #[test]
    fn entry_cap_forgets_the_oldest_numbers() {
        let doc = "
title: m
correlation:
  type: value_sum
  rules: [a]
  timespan: 1h
  condition: {field: n, gte: 100}
";
        let (set, _) = set(&[doc]);
        let mut e = set
            .with_limits(EngineLimits {
                max_groups: 10,
                max_entries_per_group: 3,
            })
            .engine();
        for s in 0..5 {
            assert!(
                feed(&mut e, "id-a", s, &[("n", "30")]).is_empty(),
                "at most 3 × 30"
            );
        }
        assert_eq!(e.stats().dropped_entries, 2);
    }

    #[test]
    fn group_keys_encode_any_values_unambiguously() {
        let cases: &[&[&str]] = &[
            &["alice"],
            &["", ""],
            &["3:abc", "x"],
            &["a:b", "c"],
            &["a", "b:c"],
            &["Nguyễn Văn A", "máy-01"],
        ];
        let mut seen = HashSet::new();
        for values in cases {
            let mut key = String::new();
            for v in *values {
                push_part(&mut key, v);
            }
            assert_eq!(decode_key(&key), *values);
            assert!(seen.insert(key), "{values:?} collides");
        }
    }

    #[test]
    fn late_events_count_at_their_groups_newest_time() {
        let mut e = engine(
            "
title: spray
correlation:
  type: value_count
  rules: [a]
  timespan: 10s
  condition: {field: User, gte: 3}
",
        );
        assert!(feed(&mut e, "id-a", 100, &[("User", "u1")]).is_empty());
        assert!(feed(&mut e, "id-a", 105, &[("User", "u2")]).is_empty());
        // u1 again, stamped 90 (late): it counts as seen at 105, not as a sighting at 90.
        assert!(feed(&mut e, "id-a", 90, &[("User", "u1")]).is_empty());
        let event = ev(112, &[("User", "u3")]);
        let hits = e.observe_key("id-a", &event, event.time);
        assert_eq!(hits.len(), 1, "u1 and u2 at 105, u3 at 112");
        assert_eq!(hits[0].first, ev(105, &[]).time);
    }

    #[test]
    fn sets_and_engines_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<CorrelationSet>();
        send_sync::<CorrelationEngine>();
        send_sync::<CorrelationHit>();
    }

    #[test]
    fn boolean_conditions_over_rules() {
        let doc = |kind: &str, cond: &str| {
            format!("title: x\ncorrelation:\n  type: {kind}\n  rules: [a, b, c]\n  timespan: 1m\n  condition: {cond}\n")
        };
        let mut e = engine(&doc("temporal", "a and (b or c)"));
        assert!(feed(&mut e, "id-b", 0, &[]).is_empty());
        assert_eq!(feed(&mut e, "id-a", 1, &[]).len(), 1);

        let mut e = engine(&doc("temporal", "a AND NOT b OR c and not c"));
        assert!(feed(&mut e, "id-b", 0, &[]).is_empty());
        assert!(feed(&mut e, "id-a", 1, &[]).is_empty(), "b was seen");
        assert_eq!(feed(&mut e, "id-a", 61, &[]).len(), 1, "b left the window");

        // Ordered: the rules seen must have come in the listed order.
        let mut e = engine(&doc("temporal_ordered", "a and (b or c)"));
        assert!(feed(&mut e, "id-c", 0, &[]).is_empty());
        assert!(feed(&mut e, "id-a", 1, &[]).is_empty(), "c came before a");
        assert!(
            feed(&mut e, "id-b", 2, &[]).is_empty(),
            "c still out of order"
        );
        assert_eq!(feed(&mut e, "id-c", 3, &[]).len(), 1, "a, b, c in order");
        let mut e = engine(&doc("temporal_ordered", "a and (b or c)"));
        assert!(feed(&mut e, "id-a", 0, &[]).is_empty());
        assert_eq!(feed(&mut e, "id-c", 1, &[]).len(), 1);
    }

    #[test]
    fn the_specifications_examples_parse() {
        let examples = [
            "title: Many failed logins\nid: 0e95725d-7320-415d-80f7-004da920fc11\ncorrelation:\n    type: event_count\n    rules:\n        - 5638f7c0-ac70-491d-8465-2a65075e0d86\n    group-by:\n        - ComputerName\n    timespan: 1h\n    condition:\n        gte: 100",
            "title: Failed login\nid: 0e95725d-7320-415d-80f7-004da920fc12\ncorrelation:\n    type: value_count\n    rules:\n        - 5638f7c0-ac70-491d-8465-2a65075e0d86\n    group-by:\n        - ComputerName\n        - WorkstationName\n    timespan: 1d\n    condition:\n        field: User\n        gte: 100",
            "title: Recon\ncorrelation:\n    type: temporal\n    rules:\n        - recon_cmd_a\n        - recon_cmd_b\n        - recon_cmd_c\n    group-by:\n        - ComputerName\n        - User\n    timespan: 5m\n    condition: recon_cmd_a AND recon_cmd_b AND recon_cmd_c\n",
            "title: Recon ordered\ncorrelation:\n    type: temporal_ordered\n    rules:\n        - recon_cmd_a\n        - recon_cmd_b\n        - recon_cmd_c\n    group-by:\n        - ComputerName\n        - User\n    timespan: 5m",
            "title: Possible Exfiltration to Website\ncorrelation:\n    type: value_sum\n    rules:\n        - website_access\n    group-by:\n        - SourceIP\n        - User\n    timespan: 1h\n    condition:\n        field: bytes_sent\n        gt: 1000000",
            "title: Many failed logins\nid: 0e95725d-7320-415d-80f7-004da920fc11\ntaxonomy: ecs\ncorrelation:\n    type: event_count\n    rules:\n        - 5638f7c0-ac70-491d-8465-2a65075e0d86\n    group-by:\n        - dns.question.name\n    timespan: 1h\n    condition:\n        gte: 100",
            "title: Suspicious average network traffic\ncorrelation:\n    type: value_avg\n    rules: \n        - rule_a_id\n    group-by:\n        - SourceIP\n        - User\n    timespan: 24h\n    condition:\n        field: BytesOut\n        gt: 500",
        ];
        for text in examples {
            if let Err(e) = parse(text) {
                panic!("{e}\n{text}");
            }
        }
    }

    #[test]
    fn percentile_interpolates() {
        assert_eq!(percentile(&[1.0], 90.0), 1.0);
        assert_eq!(percentile(&[10.0, 20.0], 50.0), 15.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 100.0), 5.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.0), 1.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 75.0), 4.0);
    }

    #[test]
    fn timespans() {
        assert_eq!(Timespan::parse("90m").unwrap().seconds, 5_400);
        assert_eq!(Timespan::parse("1s").unwrap().seconds, 1);
        assert_eq!(Timespan::parse("2h").unwrap().seconds, 7_200);
        assert_eq!(Timespan::parse("1d").unwrap().seconds, 86_400);
        assert_eq!(Timespan::parse("1w").unwrap().seconds, 604_800);
        for bad in [
            "5x",
            "",
            "m",
            "0m",
            "-5m",
            "5",
            "1.5h",
            " 5m",
            "5 m",
            "5mm",
            "99999999999999999999d",
            "5é",
        ] {
            let err = Timespan::parse(bad).unwrap_err();
            assert!(err.contains("timespan"), "{bad}: {err}");
        }
        assert!(Timespan::parse("1M")
            .unwrap_err()
            .contains("not fixed lengths"));
    }

    fn err(doc: &str) -> String {
        parse(doc).unwrap_err()
    }

    #[test]
    fn malformed_documents_say_what_is_wrong() {
        let base = "
title: t
correlation:
  type: event_count
  rules: [a]
  group-by: [User]
  timespan: 5m
  condition: {gte: 3}
";
        assert!(parse(base).is_ok());
        let cases: &[(&str, &str, &str)] = &[
            (
                "type: event_count",
                "type: event_cnt",
                "unknown correlation type \"event_cnt\"",
            ),
            ("  type: event_count\n", "", "missing correlation.type"),
            ("  rules: [a]\n", "", "missing correlation.rules"),
            ("rules: [a]", "rules: []", "correlation.rules is empty"),
            ("rules: [a]", "rules: [a, a]", "lists \"a\" twice"),
            ("rules: [a]", "rules: {a: 1}", "correlation.rules must be"),
            ("timespan: 5m", "timespan: 5x", "invalid timespan \"5x\""),
            ("timespan: 5m", "timespan: 5", "a unit is required"),
            ("  timespan: 5m\n", "", "missing correlation.timespan"),
            (
                "{gte: 3}",
                "{ge: 3}",
                "unknown condition operator \"ge\"; did you mean gte?",
            ),
            (
                "{gte: 3}",
                "{gte: many}",
                "correlation.condition.gte must be a number",
            ),
            ("{gte: 3}", "{gte: 2.5}", "whole number"),
            ("{gte: 3}", "{}", "has no comparison"),
            ("{gte: 3}", "[3]", "must be a map"),
            (
                "{gte: 3}",
                "{gt: 10, lt: 5}",
                "can never hold: gt 10 and lt 5",
            ),
            (
                "{gte: 3}",
                "{gte: 3, field: User}",
                "has no meaning for event_count",
            ),
            (
                "  condition: {gte: 3}\n",
                "",
                "missing correlation.condition",
            ),
            (
                "group-by: [User]",
                "group-by: [User, User]",
                "lists \"User\" twice",
            ),
            (
                "group-by: [User]",
                "group_by: [User]",
                "did you mean group-by?",
            ),
            (
                "group-by: [User]",
                "field: User",
                "field belongs under condition",
            ),
            ("title: t", "title: [t]", "title must be a string"),
            ("title: t\n", "", "missing title"),
            (
                "title: t",
                "title: t\nlevel: severe",
                "unknown level \"severe\"",
            ),
            (
                "title: t",
                "title: t\ngenerate: yes please",
                "generate must be true or false",
            ),
            (
                "title: t",
                "title: t\ndetection: {sel: {a: 1}, condition: sel}",
                "has no detection",
            ),
        ];
        for (from, to, expected) in cases {
            let doc = base.replacen(from, to, 1);
            assert_ne!(doc, base, "{from} not in base");
            let e = err(&doc);
            assert!(
                e.contains(expected),
                "{from} → {to}: got {e:?}, expected {expected:?}"
            );
        }
        assert!(err("- a\n- b").contains("must be a YAML mapping"));
        assert!(err("title: t\ncorrelation: 5").contains("correlation must be a mapping"));
    }

    #[test]
    fn kind_specific_condition_rules() {
        let doc = |kind: &str, cond: &str| {
            format!("title: t\ncorrelation:\n  type: {kind}\n  rules: [a, b]\n  timespan: 5m\n  condition: {cond}\n")
        };
        assert!(err(&doc("value_count", "{gte: 3}"))
            .contains("value_count needs correlation.condition.field"));
        assert!(err(&doc("value_sum", "{gte: 3}"))
            .contains("value_sum needs correlation.condition.field"));
        assert!(err(&doc("value_sum", "{gte: 3, field: [x, y]}")).contains("one numeric field"));
        assert!(err(&doc("value_percentile", "{gte: 3, field: x}"))
            .contains("needs correlation.condition.percentile"));
        assert!(err(&doc(
            "value_percentile",
            "{gte: 3, field: x, percentile: 101}"
        ))
        .contains("0 to 100"));
        assert!(err(&doc("value_avg", "{gte: 3, field: x, percentile: 5}"))
            .contains("no meaning for value_avg"));
        assert!(err(&doc("event_count", "a and b")).contains("must be a map"));
        assert!(err(&doc("temporal", "a and")).contains("ends where a rule name"));
        assert!(
            err(&doc("temporal", "a and z")).contains("\"z\", which is not in correlation.rules")
        );
        assert!(err(&doc("temporal", "a")).contains("does not mention \"b\""));
        assert!(err(&doc("temporal", "(a or b")).contains("missing closing bracket"));
        assert!(err(&doc("temporal", "a b")).contains("unexpected \"b\""));
        let t = parse(&doc("temporal", "a AND NOT (b or a)")).unwrap();
        assert_eq!(
            t.condition.expression,
            Some(RuleExpr::And(vec![
                RuleExpr::Rule(0),
                RuleExpr::Not(Box::new(RuleExpr::Or(vec![
                    RuleExpr::Rule(1),
                    RuleExpr::Rule(0)
                ])))
            ]))
        );
        // Fractional thresholds are fine for the metric kinds, and value_count takes a list.
        assert!(parse(&doc("value_avg", "{gte: 2.5, field: x}")).is_ok());
        let multi = parse(&doc("value_count", "{gte: 3, field: [x, y]}")).unwrap();
        assert_eq!(multi.condition.fields, vec!["x", "y"]);
        // Temporal kinds default to "all the rules".
        let t = parse(
            "title: t\ncorrelation: {type: temporal_ordered, rules: [a, b, c], timespan: 5m}",
        )
        .unwrap();
        assert_eq!(t.condition.bounds, vec![(CompareOp::Gte, 3.0)]);
        assert!(t.group_by.is_empty());
        assert!(!t.generate);
    }

    #[test]
    fn parses_every_attribute() {
        let rule = parse(
            "
title: Failed logins followed by success
id: 0e95725d-7320-415d-80f7-004da920fc11
name: bruteforce_success
status: test
description: d
level: high
tags: [attack.credential_access, attack.t1110]
correlation:
  type: temporal_ordered
  rules: [many_failed_logins, successful_login]
  group-by: User
  timespan: 1h
  generate: true
  aliases:
    User:
      many_failed_logins: TargetUserName
      successful_login: SubjectUserName
",
        )
        .unwrap();
        assert_eq!(rule.title, "Failed logins followed by success");
        assert_eq!(
            rule.id.as_deref(),
            Some("0e95725d-7320-415d-80f7-004da920fc11")
        );
        assert_eq!(rule.name.as_deref(), Some("bruteforce_success"));
        assert_eq!(rule.key(), "0e95725d-7320-415d-80f7-004da920fc11");
        assert_eq!(rule.level, Some(Severity::High));
        assert_eq!(rule.status.as_deref(), Some("test"));
        assert_eq!(rule.tags.len(), 2);
        assert_eq!(rule.kind, CorrelationKind::TemporalOrdered);
        assert_eq!(rule.group_by, vec!["User"]);
        assert_eq!(rule.timespan.seconds, 3_600);
        assert!(rule.generate);
        assert_eq!(rule.aliases.len(), 1);
        assert_eq!(
            rule.aliases[0].fields[1],
            (
                "successful_login".to_string(),
                "SubjectUserName".to_string()
            )
        );
    }

    /// The engine against a brute-force model that keeps every event of a group since its last
    /// firing and recomputes the aggregate from scratch at each event.
    mod model {
        use super::*;
        use proptest::prelude::*;

        struct Entry {
            time: i64,
            pos: usize,
            value: String,
            number: f64,
        }

        fn aggregate(kind: CorrelationKind, window: &[&Entry], percentile_rank: f64) -> f64 {
            match kind {
                CorrelationKind::EventCount => window.len() as f64,
                CorrelationKind::ValueCount => window
                    .iter()
                    .map(|e| &e.value)
                    .collect::<HashSet<_>>()
                    .len() as f64,
                CorrelationKind::Temporal => {
                    window.iter().map(|e| e.pos).collect::<HashSet<_>>().len() as f64
                }
                CorrelationKind::TemporalOrdered => {
                    // Longest strictly increasing run of rule positions, in arrival order.
                    let mut best = vec![0usize; window.len()];
                    for i in 0..window.len() {
                        best[i] = 1
                            + (0..i)
                                .filter(|&j| window[j].pos < window[i].pos)
                                .map(|j| best[j])
                                .max()
                                .unwrap_or(0);
                    }
                    best.into_iter().max().unwrap_or(0) as f64
                }
                CorrelationKind::ValueSum => window.iter().map(|e| e.number).sum(),
                CorrelationKind::ValueAvg => {
                    window.iter().map(|e| e.number).sum::<f64>() / window.len() as f64
                }
                CorrelationKind::ValuePercentile => {
                    let mut v: Vec<f64> = window.iter().map(|e| e.number).collect();
                    v.sort_by(f64::total_cmp);
                    percentile(&v, percentile_rank)
                }
                CorrelationKind::ValueMedian => {
                    let mut v: Vec<f64> = window.iter().map(|e| e.number).collect();
                    v.sort_by(f64::total_cmp);
                    percentile(&v, 50.0)
                }
            }
        }

        fn kind_doc(kind: CorrelationKind, cond: &str, span: u64) -> String {
            let field = match kind {
                CorrelationKind::ValueCount => "field: V, ",
                CorrelationKind::ValuePercentile => "field: N, percentile: 75, ",
                k if k.needs_field() => "field: N, ",
                _ => "",
            };
            format!(
                "title: m\ncorrelation:\n  type: {kind}\n  rules: [a, b, c]\n  group-by: [G]\n  timespan: {span}s\n  condition: {{{field}{cond}}}\n"
            )
        }

        fn longest_run(window: &[&Entry]) -> usize {
            let mut best = vec![0usize; window.len()];
            for i in 0..window.len() {
                best[i] = 1
                    + (0..i)
                        .filter(|&j| window[j].pos < window[i].pos)
                        .map(|j| best[j])
                        .max()
                        .unwrap_or(0);
            }
            best.into_iter().max().unwrap_or(0)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]
            #[test]
            fn boolean_conditions_match_brute_force(
                ordered in any::<bool>(),
                cond in prop::sample::select(vec![
                    "a and b and c", "a and (b or c)", "a and not b or c", "not a and b and c",
                    "(a or b) and not (c and a)",
                ]),
                span in 1u64..30,
                events in prop::collection::vec((0i64..6, 0usize..3), 1..80),
            ) {
                let kind = if ordered { "temporal_ordered" } else { "temporal" };
                let doc = format!("title: x\ncorrelation:\n  type: {kind}\n  rules: [a, b, c]\n  timespan: {span}s\n  condition: {cond}\n");
                let rule = parse(&doc).map_err(TestCaseError::fail)?;
                let expr = rule.condition.expression.clone().ok_or_else(|| TestCaseError::fail("no expression"))?;
                let (set, _) = CorrelationSet::build(vec![rule], &dets());
                let mut engine = set.engine();
                let keys = ["id-a", "id-b", "id-c"];
                let mut entries: Vec<Entry> = Vec::new();
                let mut t = 0i64;
                for (i, (dt, pos)) in events.into_iter().enumerate() {
                    t += dt;
                    let event = ev(t, &[]);
                    let fired = engine.observe_key(keys[pos], &event, event.time).len();
                    entries.push(Entry { time: t, pos, value: String::new(), number: 0.0 });
                    let window: Vec<&Entry> = entries.iter().filter(|e| e.time >= t - span as i64).collect();
                    let seen: HashSet<usize> = window.iter().map(|e| e.pos).collect();
                    let mut holds = expr.eval(&|p| seen.contains(&p));
                    if ordered {
                        holds &= longest_run(&window) == seen.len();
                    }
                    if holds {
                        entries.clear();
                    }
                    prop_assert_eq!(fired, usize::from(holds), "event {} at {}", i, t);
                }
            }

            #[test]
            fn engine_matches_brute_force(
                kind in prop::sample::select(CorrelationKind::ALL.to_vec()),
                op in prop::sample::select(vec!["gte", "gt", "eq", "neq", "lte"]),
                bound in 1u32..5,
                span in 1u64..30,
                events in prop::collection::vec((0i64..6, 0usize..3, 0u8..2, 0u8..4, 0u8..50), 1..80),
            ) {
                let bound = if kind.needs_field() && kind != CorrelationKind::ValueCount {
                    bound * 10
                } else {
                    bound
                };
                let cond = format!("{op}: {bound}");
                let doc = kind_doc(kind, &cond, span);
                let rule = match parse(&doc) {
                    Ok(rule) => rule,
                    // e.g. "eq" on a kind where it cannot hold is still a valid document; a
                    // refused one is not the engine's concern here.
                    Err(e) => return Err(TestCaseError::reject(e)),
                };
                let condition = rule.condition.clone();
                let (set, errors) = CorrelationSet::build(vec![rule], &dets());
                prop_assert!(errors.is_empty());
                let mut engine = set.engine();
                let keys = ["id-a", "id-b", "id-c"];
                let mut groups: HashMap<u8, Vec<Entry>> = HashMap::new();
                let mut t = 0i64;
                for (i, (dt, pos, group, value, number)) in events.into_iter().enumerate() {
                    t += dt;
                    let event = ev(t, &[
                        ("G", &group.to_string()),
                        ("V", &value.to_string()),
                        ("N", &number.to_string()),
                    ]);
                    let fired = engine.observe_key(keys[pos], &event, event.time).len();

                    let entries = groups.entry(group).or_default();
                    entries.push(Entry { time: t, pos, value: value.to_string(), number: f64::from(number) });
                    let window: Vec<&Entry> = entries.iter().filter(|e| e.time >= t - span as i64).collect();
                    let value = aggregate(kind, &window, 75.0);
                    let expected = usize::from(condition.holds(value));
                    if expected == 1 {
                        entries.clear();
                    }
                    prop_assert_eq!(fired, expected, "event {} at {}: {} = {}", i, t, kind, value);
                }
            }
        }
    }
}
