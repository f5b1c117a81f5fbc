//! The typed template model and the loader that builds it from YAML.
//!
//! Anything outside the supported subset makes the template [`LoadError::Unsupported`] with the
//! feature named; it never fails a whole directory.

use std::path::{Path, PathBuf};

use regex::Regex;
use thiserror::Error;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

use crate::dsl::{self, Expr, Value};
use crate::functions;
use crate::operators::{
    Condition, DslExpression, Extractor, ExtractorKind, JsonQuery, Matcher, MatcherKind, Operators,
};

/// Why a template did not load.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoadError {
    /// The file is not valid YAML.
    #[error("YAML error at line {line}: {message}")]
    Yaml {
        /// 1-based line.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// The template uses a feature outside our subset.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The template is malformed (missing id, wrong types...).
    #[error("invalid template: {0}")]
    Invalid(String),
}

/// A template's severity as written (`info.severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TemplateSeverity {
    /// `info`
    Info,
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
    /// `unknown` or absent.
    #[default]
    Unknown,
}

impl TemplateSeverity {
    fn parse(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "info" | "informational" => TemplateSeverity::Info,
            "low" => TemplateSeverity::Low,
            "medium" => TemplateSeverity::Medium,
            "high" => TemplateSeverity::High,
            "critical" => TemplateSeverity::Critical,
            _ => TemplateSeverity::Unknown,
        }
    }
}

/// `info.classification`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classification {
    /// CVE ids.
    pub cve_ids: Vec<String>,
    /// CWE ids.
    pub cwe_ids: Vec<String>,
    /// CVSS base score.
    pub cvss_score: Option<f32>,
    /// CVSS vector.
    pub cvss_metrics: Option<String>,
    /// CPE.
    pub cpe: Option<String>,
}

/// `info`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Info {
    /// Name (shown as the title).
    pub name: String,
    /// Authors.
    pub authors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Severity.
    pub severity: TemplateSeverity,
    /// Description.
    pub description: Option<String>,
    /// References.
    pub references: Vec<String>,
    /// Remediation text.
    pub remediation: Option<String>,
    /// CVE, CWE, CVSS, CPE.
    pub classification: Classification,
    /// Free metadata (`max-request`, `shodan-query`...), as JSON.
    pub metadata: serde_json::Value,
}

/// Payload combination (`attack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttackMode {
    /// Every payload position takes the same value (one list, or the union of several).
    #[default]
    BatteringRam,
    /// Lists advance together (zip).
    Pitchfork,
    /// Every combination.
    ClusterBomb,
}

/// Named payload lists and how to combine them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Payloads {
    /// Name → values, in template order.
    pub lists: Vec<(String, Vec<String>)>,
    /// Combination mode.
    pub attack: AttackMode,
}

impl Payloads {
    /// Every combination to send (one empty set when there are no payloads).
    pub fn combinations(&self) -> Vec<Vec<(String, String)>> {
        if self.lists.is_empty() {
            return vec![Vec::new()];
        }
        match self.attack {
            AttackMode::Pitchfork => {
                let rounds = self.lists.iter().map(|(_, v)| v.len()).min().unwrap_or(0);
                (0..rounds)
                    .map(|i| {
                        self.lists
                            .iter()
                            .map(|(name, values)| (name.clone(), values[i].clone()))
                            .collect()
                    })
                    .collect()
            }
            AttackMode::BatteringRam if self.lists.len() == 1 => self.lists[0]
                .1
                .iter()
                .map(|value| vec![(self.lists[0].0.clone(), value.clone())])
                .collect(),
            AttackMode::BatteringRam => {
                // Every position takes the same value: the union of the lists, in order.
                let mut values: Vec<&String> = Vec::new();
                for (_, list) in &self.lists {
                    for value in list {
                        if !values.contains(&value) {
                            values.push(value);
                        }
                    }
                }
                values
                    .into_iter()
                    .map(|value| {
                        self.lists
                            .iter()
                            .map(|(name, _)| (name.clone(), value.clone()))
                            .collect()
                    })
                    .collect()
            }
            AttackMode::ClusterBomb => {
                let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
                for (name, values) in &self.lists {
                    let mut next = Vec::with_capacity(combos.len() * values.len());
                    for combo in &combos {
                        for value in values {
                            let mut extended = combo.clone();
                            extended.push((name.clone(), value.clone()));
                            next.push(extended);
                        }
                    }
                    combos = next;
                }
                combos
            }
        }
    }
}

/// One `http` request block.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// `id` of the block, if any.
    pub id: Option<String>,
    /// Method for `path` requests.
    pub method: String,
    /// Paths (`{{BaseURL}}/x`).
    pub paths: Vec<String>,
    /// Raw requests, as written.
    pub raw: Vec<String>,
    /// Headers for `path` requests.
    pub headers: Vec<(String, String)>,
    /// Body for `path` requests.
    pub body: Option<String>,
    /// Payloads.
    pub payloads: Payloads,
    /// Follow redirects.
    pub redirects: bool,
    /// Follow redirects only on the same host.
    pub host_redirects: bool,
    /// Redirect cap.
    pub max_redirects: usize,
    /// Response body read cap.
    pub max_size: Option<usize>,
    /// Reuse cookies across the requests of the block (nuclei's default is on).
    pub cookie_reuse: bool,
    /// Matchers see every earlier response (`status_code_1`, `body_2`...) and run once at the end.
    pub req_condition: bool,
    /// Stop after the first match.
    pub stop_at_first_match: bool,
    /// Matchers and extractors.
    pub operators: Operators,
}

/// One `dns` request block.
#[derive(Debug, Clone, Default)]
pub struct DnsRequest {
    /// Name queried (`{{FQDN}}`).
    pub name: String,
    /// Record type (`A`, `TXT`...).
    pub record_type: String,
    /// Class (`inet`).
    pub class: String,
    /// Retries.
    pub retries: u32,
    /// Recursion desired.
    pub recursion: bool,
    /// Payloads.
    pub payloads: Payloads,
    /// Matchers and extractors.
    pub operators: Operators,
}

/// One `ssl` request block.
#[derive(Debug, Clone, Default)]
pub struct SslRequest {
    /// `host:port` to connect to.
    pub address: String,
    /// Lowest version offered (`sslv3`, `tls10`...).
    pub min_version: Option<String>,
    /// Highest version offered.
    pub max_version: Option<String>,
    /// Cipher suites offered.
    pub cipher_suites: Vec<String>,
    /// Matchers and extractors.
    pub operators: Operators,
}

/// One input of a `tcp` request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TcpInput {
    /// Data to send (after interpolation); hex when `hex` is set.
    pub data: String,
    /// `type: hex`.
    pub hex: bool,
    /// Bytes to read after sending.
    pub read: Option<usize>,
    /// Name of the read data (becomes a part).
    pub name: Option<String>,
}

/// One `tcp` (formerly `network`) request block.
#[derive(Debug, Clone, Default)]
pub struct TcpRequest {
    /// Hosts (`{{Hostname}}`, `tls://{{Host}}:{{Port}}`).
    pub hosts: Vec<String>,
    /// Ports to use instead of the target's.
    pub ports: Vec<String>,
    /// Inputs sent in order.
    pub inputs: Vec<TcpInput>,
    /// Bytes read at the end (default 1024).
    pub read_size: usize,
    /// Read until the peer closes.
    pub read_all: bool,
    /// Payloads.
    pub payloads: Payloads,
    /// Matchers and extractors.
    pub operators: Operators,
}

/// A loaded template.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// `id`.
    pub id: String,
    /// `info`.
    pub info: Info,
    /// `variables`, in order, unevaluated.
    pub variables: Vec<(String, String)>,
    /// `constants`.
    pub constants: Vec<(String, Value)>,
    /// `stop-at-first-match` at the top.
    pub stop_at_first_match: bool,
    /// `http` (or `requests`).
    pub http: Vec<HttpRequest>,
    /// `dns`.
    pub dns: Vec<DnsRequest>,
    /// `ssl`.
    pub ssl: Vec<SslRequest>,
    /// `tcp` (or `network`).
    pub tcp: Vec<TcpRequest>,
    /// The file it came from.
    pub path: PathBuf,
}

impl Template {
    /// The protocol of the template's requests (`http`, `dns`, `ssl`, `tcp`).
    pub fn protocol(&self) -> &'static str {
        if !self.http.is_empty() {
            "http"
        } else if !self.dns.is_empty() {
            "dns"
        } else if !self.ssl.is_empty() {
            "ssl"
        } else {
            "tcp"
        }
    }
}

/// Top-level keys of protocols and features we do not run.
const UNSUPPORTED_TOP: &[(&str, &str)] = &[
    ("headless", "headless protocol"),
    ("code", "code protocol"),
    ("javascript", "javascript protocol"),
    ("flow", "flow (JavaScript orchestration)"),
    ("file", "file protocol"),
    ("websocket", "websocket protocol"),
    ("whois", "whois protocol"),
    ("workflows", "workflows"),
    ("self-contained", "self-contained requests"),
    ("multi-protocol", "multi-protocol templates"),
];

/// Request keys we do not run.
const UNSUPPORTED_REQUEST: &[(&str, &str)] = &[
    ("unsafe", "unsafe (rawhttp) requests"),
    ("pipeline", "HTTP pipelining"),
    ("race", "race requests"),
    ("race_count", "race requests"),
    ("fuzzing", "fuzzing rules"),
    ("digest-username", "digest authentication"),
    ("digest-password", "digest authentication"),
    ("threads", "per-request threads"),
    ("iterate-all", "iterate-all"),
];

/// The protocol a YAML document declares, for the load report.
pub fn declared_protocol(doc: &Yaml) -> Option<&'static str> {
    let hash = doc.as_hash()?;
    for (key, protocol) in [
        ("http", "http"),
        ("requests", "http"),
        ("dns", "dns"),
        ("ssl", "ssl"),
        ("tcp", "tcp"),
        ("network", "tcp"),
        ("headless", "headless"),
        ("code", "code"),
        ("javascript", "javascript"),
        ("file", "file"),
        ("websocket", "websocket"),
        ("whois", "whois"),
        ("workflows", "workflows"),
    ] {
        if hash.contains_key(&Yaml::String(key.into())) {
            return Some(protocol);
        }
    }
    None
}

/// Parses YAML text into documents, mapping scanner errors to a line.
pub fn parse_yaml(text: &str) -> Result<Vec<Yaml>, LoadError> {
    YamlLoader::load_from_str(text).map_err(|e| LoadError::Yaml {
        line: e.marker().line(),
        message: e.info().to_owned(),
    })
}

/// Loads one template from its text; `path` locates payload files next to it.
pub fn parse_template(text: &str, path: &Path) -> Result<Template, LoadError> {
    let docs = parse_yaml(text)?;
    let doc = docs
        .first()
        .ok_or_else(|| LoadError::Invalid("empty document".into()))?;
    from_yaml(doc, path)
}

fn key<'a>(hash: &'a Hash, name: &str) -> Option<&'a Yaml> {
    hash.get(&Yaml::String(name.to_owned()))
}

/// A scalar as text (strings, numbers, booleans).
fn scalar(yaml: &Yaml) -> Option<String> {
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text_of(hash: &Hash, name: &str) -> Option<String> {
    key(hash, name).and_then(scalar)
}

/// A list of scalars, or one scalar (or a comma list, for `author`/`tags`).
fn list_of(hash: &Hash, name: &str) -> Result<Vec<String>, LoadError> {
    match key(hash, name) {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::Array(items)) => items
            .iter()
            .map(|item| {
                scalar(item).ok_or_else(|| LoadError::Invalid(format!("{name}: expected scalars")))
            })
            .collect(),
        Some(other) => scalar(other)
            .map(|s| vec![s])
            .ok_or_else(|| LoadError::Invalid(format!("{name}: expected a list"))),
    }
}

fn comma_list(hash: &Hash, name: &str) -> Result<Vec<String>, LoadError> {
    Ok(list_of(hash, name)?
        .iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

fn flag(hash: &Hash, name: &str) -> bool {
    match key(hash, name) {
        Some(Yaml::Boolean(b)) => *b,
        Some(Yaml::String(s)) => s == "true",
        _ => false,
    }
}

fn number_of(hash: &Hash, name: &str) -> Result<Option<usize>, LoadError> {
    match key(hash, name) {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::Integer(i)) => usize::try_from(*i)
            .map(Some)
            .map_err(|_| LoadError::Invalid(format!("{name}: negative"))),
        Some(other) => scalar(other)
            .and_then(|s| s.trim().parse().ok())
            .map(Some)
            .ok_or_else(|| LoadError::Invalid(format!("{name}: expected a number"))),
    }
}

fn to_json(yaml: &Yaml) -> serde_json::Value {
    match yaml {
        Yaml::String(s) => serde_json::Value::String(s.clone()),
        Yaml::Integer(i) => serde_json::Value::from(*i),
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(
                || serde_json::Value::String(r.clone()),
                serde_json::Value::Number,
            ),
        Yaml::Boolean(b) => serde_json::Value::Bool(*b),
        Yaml::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(hash) => serde_json::Value::Object(
            hash.iter()
                .filter_map(|(k, v)| Some((scalar(k)?, to_json(v))))
                .collect(),
        ),
        _ => serde_json::Value::Null,
    }
}

/// Builds a template from a parsed YAML document.
pub fn from_yaml(doc: &Yaml, path: &Path) -> Result<Template, LoadError> {
    let hash = doc
        .as_hash()
        .ok_or_else(|| LoadError::Invalid("the document is not a mapping".into()))?;
    for (name, feature) in UNSUPPORTED_TOP {
        if key(hash, name).is_some_and(|v| !v.is_null() && *v != Yaml::Boolean(false)) {
            return Err(LoadError::Unsupported((*feature).to_owned()));
        }
    }
    let id = text_of(hash, "id").ok_or_else(|| LoadError::Invalid("missing id".into()))?;
    let info = match key(hash, "info").and_then(Yaml::as_hash) {
        Some(info) => parse_info(info)?,
        None => return Err(LoadError::Invalid("missing info".into())),
    };
    let mut template = Template {
        id,
        info,
        stop_at_first_match: flag(hash, "stop-at-first-match"),
        path: path.to_owned(),
        ..Template::default()
    };
    if let Some(vars) = key(hash, "variables").and_then(Yaml::as_hash) {
        for (k, v) in vars {
            let (Some(k), Some(v)) = (scalar(k), scalar(v)) else {
                return Err(LoadError::Invalid("variables: expected scalars".into()));
            };
            check_markers(&v)?;
            template.variables.push((k, v));
        }
    }
    if let Some(constants) = key(hash, "constants").and_then(Yaml::as_hash) {
        for (k, v) in constants {
            let k = scalar(k).ok_or_else(|| LoadError::Invalid("constants: bad key".into()))?;
            let value = match v {
                Yaml::Integer(i) => Value::Num(*i as f64),
                Yaml::Real(r) => r.parse().map(Value::Num).unwrap_or(Value::Str(r.clone())),
                Yaml::Boolean(b) => Value::Bool(*b),
                other => Value::Str(scalar(other).unwrap_or_default()),
            };
            template.constants.push((k, value));
        }
    }
    let base_dir = path.parent().unwrap_or(Path::new("."));
    for block in ["http", "requests"] {
        for request in blocks(hash, block)? {
            template.http.push(parse_http(request, base_dir)?);
        }
    }
    for request in blocks(hash, "dns")? {
        template.dns.push(parse_dns(request, base_dir)?);
    }
    for request in blocks(hash, "ssl")? {
        template.ssl.push(parse_ssl(request)?);
    }
    for block in ["tcp", "network"] {
        for request in blocks(hash, block)? {
            template.tcp.push(parse_tcp(request, base_dir)?);
        }
    }
    if template.http.is_empty()
        && template.dns.is_empty()
        && template.ssl.is_empty()
        && template.tcp.is_empty()
    {
        return Err(LoadError::Unsupported(
            "no http, dns, ssl or tcp requests".into(),
        ));
    }
    Ok(template)
}

fn blocks<'a>(hash: &'a Hash, name: &str) -> Result<Vec<&'a Hash>, LoadError> {
    match key(hash, name) {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_hash()
                    .ok_or_else(|| LoadError::Invalid(format!("{name}: expected mappings")))
            })
            .collect(),
        Some(_) => Err(LoadError::Invalid(format!("{name}: expected a list"))),
    }
}

fn parse_info(info: &Hash) -> Result<Info, LoadError> {
    let mut parsed = Info {
        name: text_of(info, "name").unwrap_or_default(),
        authors: comma_list(info, "author")?,
        tags: comma_list(info, "tags")?,
        severity: text_of(info, "severity")
            .map(|s| TemplateSeverity::parse(&s))
            .unwrap_or_default(),
        description: text_of(info, "description").map(|s| s.trim().to_owned()),
        references: list_of(info, "reference")?,
        remediation: text_of(info, "remediation").map(|s| s.trim().to_owned()),
        metadata: key(info, "metadata").map_or(serde_json::Value::Null, to_json),
        ..Info::default()
    };
    if let Some(class) = key(info, "classification").and_then(Yaml::as_hash) {
        parsed.classification = Classification {
            cve_ids: comma_list(class, "cve-id")?
                .into_iter()
                .map(|c| c.to_uppercase())
                .collect(),
            cwe_ids: comma_list(class, "cwe-id")?,
            cvss_score: text_of(class, "cvss-score").and_then(|s| s.parse().ok()),
            cvss_metrics: text_of(class, "cvss-metrics"),
            cpe: text_of(class, "cpe"),
        };
    }
    Ok(parsed)
}

fn check_request_keys(request: &Hash) -> Result<(), LoadError> {
    for (name, feature) in UNSUPPORTED_REQUEST {
        if key(request, name).is_some_and(|v| !v.is_null() && *v != Yaml::Boolean(false)) {
            return Err(LoadError::Unsupported((*feature).to_owned()));
        }
    }
    Ok(())
}

/// Refuses markers we cannot resolve: out-of-band placeholders and unknown functions.
fn check_markers(text: &str) -> Result<(), LoadError> {
    if text.contains("interactsh") {
        return Err(LoadError::Unsupported(
            "interactsh (out-of-band) placeholders".into(),
        ));
    }
    for marker in dsl::markers(text) {
        let inner = marker.trim();
        if inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            continue;
        }
        // A marker that does not parse is left as literal text (e.g. a template-injection probe).
        let flattened = dsl::interpolate(inner, &Default::default());
        if let Ok(expr) = dsl::parse(&flattened).or_else(|_| dsl::parse(inner)) {
            check_functions(&expr)?;
        }
        check_markers(inner)?;
    }
    Ok(())
}

fn check_functions(expr: &Expr) -> Result<(), LoadError> {
    let mut names = Vec::new();
    expr.functions(&mut names);
    match names.into_iter().find(|name| !functions::is_known(name)) {
        Some(unknown) => Err(LoadError::Unsupported(format!("DSL function {unknown}"))),
        None => Ok(()),
    }
}

fn parse_dsl(text: &str) -> Result<DslExpression, LoadError> {
    if text.contains("interactsh") {
        return Err(LoadError::Unsupported(
            "interactsh (out-of-band) placeholders".into(),
        ));
    }
    check_markers(text)?;
    let expr = dsl::parse(text.trim()).map_err(|e| LoadError::Invalid(e.to_string()))?;
    check_functions(&expr)?;
    Ok(DslExpression {
        source: text.trim().to_owned(),
        expr,
    })
}

fn compile_regex(pattern: &str) -> Result<Regex, LoadError> {
    Regex::new(&go_braces(pattern))
        .map_err(|e| LoadError::Unsupported(format!("regex the engine cannot compile: {e}")))
}

/// Go's RE2 reads a `{` that does not start a repetition (`{type:`) as a literal; the `regex`
/// crate refuses it, so such braces are escaped first.
fn go_braces(pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len());
    let mut escaped = false;
    for (i, c) in pattern.char_indices() {
        if escaped {
            escaped = false;
            out.push(c);
            continue;
        }
        match c {
            '\\' => escaped = true,
            '{' if !is_repetition(&bytes[i + 1..]) => {
                out.push_str("\\{");
                continue;
            }
            '}' if !closes_repetition(&bytes[..i]) => {
                out.push_str("\\}");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// `n}`, `n,}` or `n,m}` follows.
fn is_repetition(after: &[u8]) -> bool {
    let Some(close) = after.iter().position(|b| *b == b'}') else {
        return false;
    };
    let inner = &after[..close];
    let mut halves = inner.splitn(2, |b| *b == b',');
    let first = halves.next().unwrap_or_default();
    let second = halves.next().unwrap_or_default();
    !first.is_empty()
        && first.iter().all(u8::is_ascii_digit)
        && second.iter().all(u8::is_ascii_digit)
}

/// The `}` ends a repetition opened just before it.
fn closes_repetition(before: &[u8]) -> bool {
    match before.iter().rposition(|b| *b == b'{') {
        Some(open) => {
            let mut after = before[open + 1..].to_vec();
            after.push(b'}');
            is_repetition(&after) && (open == 0 || before[open - 1] != b'\\')
        }
        None => false,
    }
}

fn parse_payloads(request: &Hash, base_dir: &Path) -> Result<Payloads, LoadError> {
    let mut payloads = Payloads {
        attack: match text_of(request, "attack").as_deref() {
            None | Some("batteringram") => AttackMode::BatteringRam,
            Some("pitchfork") => AttackMode::Pitchfork,
            Some("clusterbomb") => AttackMode::ClusterBomb,
            Some(other) => return Err(LoadError::Invalid(format!("attack {other:?}"))),
        },
        lists: Vec::new(),
    };
    let Some(map) = key(request, "payloads").and_then(Yaml::as_hash) else {
        return Ok(payloads);
    };
    for (name, values) in map {
        let name = scalar(name).ok_or_else(|| LoadError::Invalid("payloads: bad name".into()))?;
        let list: Vec<String> = match values {
            Yaml::Array(items) => items.iter().filter_map(scalar).collect(),
            other => {
                let file = scalar(other)
                    .ok_or_else(|| LoadError::Invalid(format!("payloads.{name}: bad value")))?;
                // Relative to the template, or to a parent (the templates root holds `helpers/`).
                let content = base_dir
                    .ancestors()
                    .find_map(|dir| std::fs::read_to_string(dir.join(&file)).ok())
                    .ok_or_else(|| {
                        LoadError::Unsupported(format!(
                            "payload file {file} not found next to the template"
                        ))
                    })?;
                content
                    .lines()
                    .map(|line| line.trim_end_matches('\r').to_owned())
                    .filter(|line| !line.is_empty())
                    .collect()
            }
        };
        for value in &list {
            check_markers(value)?;
        }
        payloads.lists.push((name, list));
    }
    Ok(payloads)
}

fn parse_operators(request: &Hash) -> Result<Operators, LoadError> {
    let condition = parse_condition(request, "matchers-condition")?;
    let mut operators = Operators {
        condition,
        ..Operators::default()
    };
    for matcher in blocks(request, "matchers")? {
        operators.matchers.push(parse_matcher(matcher)?);
    }
    for extractor in blocks(request, "extractors")? {
        operators.extractors.push(parse_extractor(extractor)?);
    }
    Ok(operators)
}

fn parse_condition(hash: &Hash, name: &str) -> Result<Condition, LoadError> {
    match text_of(hash, name)
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("or") => Ok(Condition::Or),
        Some("and") => Ok(Condition::And),
        Some(other) => Err(LoadError::Invalid(format!("{name}: {other:?}"))),
    }
}

fn check_part(part: &Option<String>) -> Result<(), LoadError> {
    match part.as_deref() {
        Some(p) if p.starts_with("interactsh") => Err(LoadError::Unsupported(
            "interactsh (out-of-band) parts".into(),
        )),
        _ => Ok(()),
    }
}

fn parse_matcher(m: &Hash) -> Result<Matcher, LoadError> {
    let kind_name =
        text_of(m, "type").ok_or_else(|| LoadError::Invalid("matcher without type".into()))?;
    let case_insensitive = flag(m, "case-insensitive");
    let hex_encoded = text_of(m, "encoding").as_deref() == Some("hex");
    let kind = match kind_name.as_str() {
        "status" => MatcherKind::Status(
            list_of(m, "status")?
                .iter()
                .map(|s| {
                    s.parse()
                        .map_err(|_| LoadError::Invalid(format!("status {s:?}")))
                })
                .collect::<Result<_, _>>()?,
        ),
        "size" => MatcherKind::Size(
            list_of(m, "size")?
                .iter()
                .map(|s| {
                    s.parse()
                        .map_err(|_| LoadError::Invalid(format!("size {s:?}")))
                })
                .collect::<Result<_, _>>()?,
        ),
        "word" if hex_encoded => MatcherKind::Binary(
            // Hex words are byte strings; an odd trailing digit is dropped, as Go's decoder does.
            list_of(m, "words")?
                .iter()
                .map(|w| {
                    let digits = w.trim();
                    let even = &digits[..digits.len() - digits.len() % 2];
                    hex::decode(even).map_err(|e| LoadError::Invalid(format!("hex word: {e}")))
                })
                .collect::<Result<_, _>>()?,
        ),
        "word" => {
            let words = list_of(m, "words")?;
            for word in &words {
                check_markers(word)?;
            }
            MatcherKind::Words(words)
        }
        "regex" => MatcherKind::Regex(
            list_of(m, "regex")?
                .iter()
                .map(|r| {
                    if case_insensitive {
                        compile_regex(&format!("(?i){r}"))
                    } else {
                        compile_regex(r)
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        "binary" => MatcherKind::Binary(
            list_of(m, "binary")?
                .iter()
                .map(|b| {
                    hex::decode(b.trim()).map_err(|e| LoadError::Invalid(format!("binary: {e}")))
                })
                .collect::<Result<_, _>>()?,
        ),
        "dsl" => MatcherKind::Dsl(
            list_of(m, "dsl")?
                .iter()
                .map(|d| parse_dsl(d))
                .collect::<Result<_, _>>()?,
        ),
        "xpath" => return Err(LoadError::Unsupported("xpath matcher".into())),
        other => return Err(LoadError::Unsupported(format!("matcher type {other}"))),
    };
    let part = text_of(m, "part");
    check_part(&part)?;
    Ok(Matcher {
        kind,
        part,
        condition: parse_condition(m, "condition")?,
        negative: flag(m, "negative"),
        name: text_of(m, "name"),
        case_insensitive,
        match_all: flag(m, "match-all"),
        internal: flag(m, "internal"),
    })
}

fn parse_extractor(e: &Hash) -> Result<Extractor, LoadError> {
    let kind_name =
        text_of(e, "type").ok_or_else(|| LoadError::Invalid("extractor without type".into()))?;
    let kind = match kind_name.as_str() {
        "regex" => ExtractorKind::Regex {
            regexes: list_of(e, "regex")?
                .iter()
                .map(|r| compile_regex(r))
                .collect::<Result<_, _>>()?,
            group: number_of(e, "group")?.unwrap_or(0),
        },
        "kval" => ExtractorKind::Kval(list_of(e, "kval")?),
        "json" => ExtractorKind::Json(
            list_of(e, "json")?
                .iter()
                .map(|q| JsonQuery::parse(q).map_err(LoadError::Unsupported))
                .collect::<Result<_, _>>()?,
        ),
        "dsl" => ExtractorKind::Dsl(
            list_of(e, "dsl")?
                .iter()
                .map(|d| parse_dsl(d))
                .collect::<Result<_, _>>()?,
        ),
        "xpath" => return Err(LoadError::Unsupported("xpath extractor".into())),
        other => return Err(LoadError::Unsupported(format!("extractor type {other}"))),
    };
    let part = text_of(e, "part");
    check_part(&part)?;
    Ok(Extractor {
        kind,
        name: text_of(e, "name"),
        part,
        internal: flag(e, "internal"),
    })
}

fn parse_http(request: &Hash, base_dir: &Path) -> Result<HttpRequest, LoadError> {
    check_request_keys(request)?;
    let paths = list_of(request, "path")?;
    let raw = list_of(request, "raw")?;
    if paths.is_empty() && raw.is_empty() {
        return Err(LoadError::Invalid(
            "http request without path or raw".into(),
        ));
    }
    let mut headers = Vec::new();
    if let Some(map) = key(request, "headers").and_then(Yaml::as_hash) {
        for (k, v) in map {
            if let (Some(k), Some(v)) = (scalar(k), scalar(v)) {
                headers.push((k, v));
            }
        }
    }
    let body = text_of(request, "body");
    for text in paths
        .iter()
        .chain(raw.iter())
        .chain(headers.iter().map(|(_, v)| v))
        .chain(body.iter())
    {
        check_markers(text)?;
    }
    let redirects = flag(request, "redirects");
    let host_redirects = flag(request, "host-redirects");
    Ok(HttpRequest {
        id: text_of(request, "id"),
        method: text_of(request, "method")
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase(),
        paths,
        raw,
        headers,
        body,
        payloads: parse_payloads(request, base_dir)?,
        redirects,
        host_redirects,
        max_redirects: number_of(request, "max-redirects")?.unwrap_or(10),
        max_size: number_of(request, "max-size")?,
        cookie_reuse: !flag(request, "disable-cookie"),
        req_condition: flag(request, "req-condition"),
        stop_at_first_match: flag(request, "stop-at-first-match"),
        operators: parse_operators(request)?,
    })
}

const DNS_TYPES: &[&str] = &[
    "A", "NS", "DS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "CAA", "TLSA", "ANY", "SRV",
    "NAPTR", "DNSKEY", "CERT",
];

fn parse_dns(request: &Hash, base_dir: &Path) -> Result<DnsRequest, LoadError> {
    let name =
        text_of(request, "name").ok_or_else(|| LoadError::Invalid("dns without name".into()))?;
    check_markers(&name)?;
    let record_type = text_of(request, "type")
        .unwrap_or_else(|| "A".into())
        .to_uppercase();
    if record_type == "AXFR" {
        return Err(LoadError::Unsupported("dns AXFR (zone transfer)".into()));
    }
    if !DNS_TYPES.contains(&record_type.as_str()) {
        return Err(LoadError::Unsupported(format!(
            "dns record type {record_type}"
        )));
    }
    if key(request, "trace").is_some_and(|v| *v == Yaml::Boolean(true)) {
        return Err(LoadError::Unsupported("dns trace".into()));
    }
    Ok(DnsRequest {
        name,
        record_type,
        class: text_of(request, "class").unwrap_or_else(|| "inet".into()),
        retries: number_of(request, "retries")?.unwrap_or(1) as u32,
        recursion: key(request, "recursion") != Some(&Yaml::Boolean(false)),
        payloads: parse_payloads(request, base_dir)?,
        operators: parse_operators(request)?,
    })
}

fn parse_ssl(request: &Hash) -> Result<SslRequest, LoadError> {
    for (name, feature) in [
        ("tls_version_enum", "ssl version enumeration"),
        ("tls_cipher_enum", "ssl cipher enumeration"),
    ] {
        if flag(request, name) {
            return Err(LoadError::Unsupported(feature.into()));
        }
    }
    let address = text_of(request, "address")
        .ok_or_else(|| LoadError::Invalid("ssl without address".into()))?;
    check_markers(&address)?;
    let versions = ["sslv3", "tls10", "tls11", "tls12", "tls13"];
    let min_version = text_of(request, "min_version");
    let max_version = text_of(request, "max_version");
    for version in min_version.iter().chain(max_version.iter()) {
        if !versions.contains(&version.as_str()) {
            return Err(LoadError::Unsupported(format!("ssl version {version}")));
        }
    }
    Ok(SslRequest {
        address,
        min_version,
        max_version,
        cipher_suites: list_of(request, "cipher_suites")?,
        operators: parse_operators(request)?,
    })
}

fn parse_tcp(request: &Hash, base_dir: &Path) -> Result<TcpRequest, LoadError> {
    let hosts = list_of(request, "host")?;
    if hosts.is_empty() {
        return Err(LoadError::Invalid("tcp without host".into()));
    }
    let mut inputs = Vec::new();
    for input in blocks(request, "inputs")? {
        let parsed = TcpInput {
            data: text_of(input, "data").unwrap_or_default(),
            hex: text_of(input, "type").as_deref() == Some("hex"),
            read: number_of(input, "read")?,
            name: text_of(input, "name"),
        };
        check_markers(&parsed.data)?;
        if parsed.hex && !parsed.data.contains("{{") && hex::decode(parsed.data.trim()).is_err() {
            return Err(LoadError::Invalid("tcp input: bad hex".into()));
        }
        inputs.push(parsed);
    }
    for host in &hosts {
        check_markers(host)?;
    }
    Ok(TcpRequest {
        hosts,
        ports: comma_list(request, "port")?,
        inputs,
        read_size: number_of(request, "read-size")?.unwrap_or(1024),
        read_all: flag(request, "read-all"),
        payloads: parse_payloads(request, base_dir)?,
        operators: parse_operators(request)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Template, LoadError> {
        parse_template(text, Path::new("inline.yaml"))
    }

    #[test]
    fn payload_attack_modes_combine_as_nuclei_does() {
        let lists = vec![
            ("user".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            (
                "pass".to_owned(),
                vec!["1".to_owned(), "2".to_owned(), "3".to_owned()],
            ),
        ];
        let count = |attack| {
            Payloads {
                lists: lists.clone(),
                attack,
            }
            .combinations()
            .len()
        };
        assert_eq!(count(AttackMode::Pitchfork), 2);
        assert_eq!(count(AttackMode::ClusterBomb), 6);
        assert_eq!(count(AttackMode::BatteringRam), 5);
    }

    #[test]
    fn unsupported_features_are_named() {
        let base = "id: x\ninfo: {name: x, severity: info}\n";
        let cases = [
            ("headless:\n  - steps: []\n", "headless protocol"),
            ("flow: http(1)\nhttp:\n  - path: ['{{BaseURL}}']\n", "flow (JavaScript orchestration)"),
            ("http:\n  - unsafe: true\n    raw: ['GET / HTTP/1.1']\n", "unsafe (rawhttp) requests"),
            ("http:\n  - path: ['{{BaseURL}}/{{interactsh-url}}']\n", "interactsh (out-of-band) placeholders"),
            ("http:\n  - path: ['{{BaseURL}}/{{shuffle_text(\"a\")}}']\n", "DSL function shuffle_text"),
            ("http:\n  - path: ['{{BaseURL}}']\n    matchers:\n      - type: xpath\n        xpath: ['/a']\n", "xpath matcher"),
            ("http:\n  - path: ['{{BaseURL}}']\n    matchers:\n      - type: regex\n        regex: ['(?<=a)b']\n", "regex the engine cannot compile"),
        ];
        for (body, feature) in cases {
            match load(&format!("{base}{body}")) {
                Err(LoadError::Unsupported(reason)) => {
                    assert!(reason.starts_with(feature), "{reason} vs {feature}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn broken_yaml_reports_the_line() {
        match load("id: x\ninfo:\n  name: [unclosed\n") {
            Err(LoadError::Yaml { line, .. }) => assert!(line >= 3, "line {line}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn info_and_classification_are_typed() {
        let t = load(
            "id: cve-x\ninfo:\n  name: X\n  author: a, b\n  severity: High\n  tags: cve,kev\n  \
             classification:\n    cve-id: cve-2021-1\n    cvss-score: 9.8\n    cwe-id: CWE-22\n\
             network:\n  - host: ['{{Hostname}}']\n    inputs:\n      - data: '00ff'\n        type: hex\n    \
             matchers:\n      - type: binary\n        binary: ['ff']\n",
        )
        .unwrap();
        assert_eq!(t.info.authors, vec!["a", "b"]);
        assert_eq!(t.info.severity, TemplateSeverity::High);
        assert_eq!(t.info.classification.cve_ids, vec!["CVE-2021-1"]);
        assert_eq!(t.info.classification.cvss_score, Some(9.8));
        assert_eq!(t.protocol(), "tcp");
        assert!(t.tcp[0].inputs[0].hex);
    }

    #[test]
    fn go_literal_braces_compile() {
        let re = compile_regex(r#"CLIENT_VERSION",\s+{type:Z, v:"(.*?)"}"#).unwrap();
        assert!(re.is_match(r#"CLIENT_VERSION", {type:Z, v:"1"}"#));
        let re = compile_regex("a{2,3}b{1}").unwrap();
        assert!(re.is_match("aab") && !re.is_match("ab"));
    }
}
