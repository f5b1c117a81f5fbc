//! The `detection` section of a rule: named search identifiers (selections) made of field
//! items, each a field name, its value modifiers and values, parsed into [`Matcher`]s.

use std::collections::HashMap;

use yaml_rust2::Yaml;

use crate::pattern::{self, SigmaStr, StrPattern};

/// Interned field name (index into the rule set's field table).
pub(crate) type FieldId = u32;

/// Placeholder before field names are resolved.
pub(crate) const UNRESOLVED: FieldId = u32::MAX;

/// A parsed detection section.
#[derive(Debug, Clone)]
pub(crate) struct Detection {
    /// Search identifiers in document order.
    pub selections: Vec<(String, Selection)>,
    /// The condition strings (a list means OR).
    pub conditions: Vec<String>,
}

/// One search identifier: an OR of AND groups of items (a map is one group, a list of maps
/// several, a keyword list one group with a single keyless item).
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// OR of these groups; each group is an AND of items.
    pub groups: Vec<Vec<Item>>,
}

/// One `field|modifiers: values` entry (or a keyword list: `field` is `None`).
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// The field name as the rule writes it; `None` for keywords (searched everywhere).
    pub field: Option<String>,
    /// The resolved field (after logsource renames); set by the engine.
    pub field_id: FieldId,
    /// One matcher per rule value.
    pub matchers: Vec<Matcher>,
    /// `all`: every matcher must match (otherwise any).
    pub all: bool,
    /// `neq`: the field is present and none of the values match.
    pub negate: bool,
}

/// Numeric comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    /// `==`
    Eq,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

impl Cmp {
    pub(crate) fn test(self, left: f64, right: f64) -> bool {
        match self {
            Cmp::Eq => left == right,
            Cmp::Lt => left < right,
            Cmp::Lte => left <= right,
            Cmp::Gt => left > right,
            Cmp::Gte => left >= right,
        }
    }
}

/// A part of a date the time modifiers extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// How a `fieldref` compares the two fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefMode {
    Equal,
    Contains,
    StartsWith,
    EndsWith,
}

/// A network for `cidr`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cidr {
    /// Network address as a 128-bit number (IPv4 mapped into the low 32 bits).
    pub addr: u128,
    /// Prefix bits within the address family.
    pub bits: u8,
    /// IPv4 (32-bit) or IPv6.
    pub v4: bool,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let (ip, bits) = match text.split_once('/') {
            Some((ip, bits)) => (ip.trim(), Some(bits.trim().parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let ip: std::net::IpAddr = ip.parse().ok()?;
        let (addr, v4, max) = match ip {
            std::net::IpAddr::V4(a) => (u32::from(a) as u128, true, 32u8),
            std::net::IpAddr::V6(a) => (u128::from(a), false, 128u8),
        };
        let bits = bits.unwrap_or(max);
        if bits > max {
            return None;
        }
        let cidr = Cidr { addr, bits, v4 };
        Some(Cidr {
            addr: addr & cidr.mask(),
            ..cidr
        })
    }

    fn mask(&self) -> u128 {
        let width: u32 = if self.v4 { 32 } else { 128 };
        if self.bits == 0 {
            return 0;
        }
        let full: u128 = if self.v4 {
            (1u128 << 32) - 1
        } else {
            u128::MAX
        };
        let host_bits = width - self.bits as u32;
        if host_bits == 0 {
            full
        } else {
            full & !((1u128 << host_bits) - 1)
        }
    }

    pub(crate) fn contains(&self, text: &str) -> bool {
        let text = text.trim();
        // Tolerate `[v6]` and a zone suffix.
        let text = text.trim_start_matches('[').trim_end_matches(']');
        let text = text.split('%').next().unwrap_or(text);
        let Ok(ip) = text.parse::<std::net::IpAddr>() else {
            return false;
        };
        let (addr, v4) = match ip {
            std::net::IpAddr::V4(a) => (u32::from(a) as u128, true),
            std::net::IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(m) if self.v4 => (u32::from(m) as u128, true),
                _ => (u128::from(a), false),
            },
        };
        v4 == self.v4 && addr & self.mask() == self.addr
    }
}

/// A compiled test of one rule value against one field value.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// String patterns (any of them), on folded text unless `cased`.
    Str { pats: Vec<StrPattern>, cased: bool },
    /// A plain integer: equal as a number to numeric fields, as text to the others.
    Int { value: i64, text: Vec<u8> },
    /// A regular expression on the original text.
    Re(std::sync::Arc<LazyRegex>),
    /// The field is an IP address in the network.
    Cidr(Cidr),
    /// `lt`/`lte`/`gt`/`gte`: numeric comparison.
    Num { cmp: Cmp, value: f64 },
    /// Time modifiers: a part of the field's date compared to the value.
    Time {
        part: TimePart,
        cmp: Cmp,
        value: i64,
    },
    /// `exists`.
    Exists(bool),
    /// `null`: the field is absent or null.
    Null,
    /// `fieldref`: compared with another field of the same event.
    FieldRef {
        name: String,
        id: FieldId,
        mode: RefMode,
        cased: bool,
    },
}

/// A regular expression checked for syntax at load time and compiled on first use (most
/// rules never reach their regex: compiling all of SigmaHQ's up front costs more than the rest
/// of loading).
#[derive(Debug)]
pub(crate) struct LazyRegex {
    pattern: String,
    flags: (bool, bool, bool),
    compiled: std::sync::OnceLock<Option<regex::Regex>>,
}

impl LazyRegex {
    fn new(pattern: String, flags: (bool, bool, bool)) -> Result<Self, String> {
        let (i, m, s) = flags;
        regex_syntax::ParserBuilder::new()
            .case_insensitive(i)
            .multi_line(m)
            .dot_matches_new_line(s)
            .build()
            .parse(&pattern)
            .map_err(|e| {
                let text = e.to_string();
                let last = text.lines().last().unwrap_or("").trim().to_string();
                format!("regular expression {pattern:?} not supported: {last}")
            })?;
        Ok(Self {
            pattern,
            flags,
            compiled: std::sync::OnceLock::new(),
        })
    }

    fn get(&self) -> Option<&regex::Regex> {
        self.compiled
            .get_or_init(|| {
                let (i, m, s) = self.flags;
                regex::RegexBuilder::new(&self.pattern)
                    .case_insensitive(i)
                    .multi_line(m)
                    .dot_matches_new_line(s)
                    .size_limit(1 << 22)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Whether the text matches (never, when the expression is too large to compile).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.get().is_some_and(|re| re.is_match(text))
    }
}

impl Matcher {
    /// Matchers that are satisfied when the field is absent.
    pub(crate) fn matches_absent(&self) -> bool {
        matches!(self, Matcher::Null | Matcher::Exists(false))
    }
}

/// Options the parser needs from the loader.
pub(crate) struct ParseContext<'a> {
    pub placeholders: &'a HashMap<String, Vec<String>>,
}

/// Parses the `detection` map.
pub(crate) fn parse_detection(yaml: &Yaml, ctx: &ParseContext<'_>) -> Result<Detection, String> {
    let Yaml::Hash(map) = yaml else {
        return Err("detection must be a map".into());
    };
    let mut selections = Vec::new();
    let mut conditions = Vec::new();
    for (key, value) in map {
        let Some(name) = key.as_str() else {
            return Err(format!("detection key {key:?} is not a string"));
        };
        match name {
            "condition" => match value {
                Yaml::String(s) => conditions.push(s.clone()),
                Yaml::Array(items) => {
                    for item in items {
                        match item.as_str() {
                            Some(s) => conditions.push(s.to_string()),
                            None => return Err("condition list holds a non-string".into()),
                        }
                    }
                }
                _ => return Err("condition must be a string or a list of strings".into()),
            },
            "timeframe" => {
                // Legacy aggregation window: only meaningful with `| count()`, which the
                // condition parser rejects with its own reason.
            }
            _ => {
                let sel = parse_selection(value, ctx)
                    .map_err(|e| format!("search identifier '{name}': {e}"))?;
                selections.push((name.to_string(), sel));
            }
        }
    }
    if conditions.is_empty() {
        return Err("detection has no condition".into());
    }
    Ok(Detection {
        selections,
        conditions,
    })
}

fn parse_selection(yaml: &Yaml, ctx: &ParseContext<'_>) -> Result<Selection, String> {
    match yaml {
        Yaml::Hash(_) => Ok(Selection {
            groups: vec![parse_map(yaml, ctx)?],
        }),
        Yaml::Array(items) => {
            let mut groups = Vec::new();
            let mut keywords = Vec::new();
            for item in items {
                match item {
                    Yaml::Hash(_) => groups.push(parse_map(item, ctx)?),
                    Yaml::Array(_) => return Err("nested list".into()),
                    scalar => keywords.push(scalar.clone()),
                }
            }
            if !keywords.is_empty() {
                groups.push(vec![parse_item(None, &[], &keywords, ctx)?]);
            }
            if groups.is_empty() {
                return Err("empty list".into());
            }
            Ok(Selection { groups })
        }
        Yaml::Null => Err("empty search identifier".into()),
        scalar => Ok(Selection {
            groups: vec![vec![parse_item(
                None,
                &[],
                std::slice::from_ref(scalar),
                ctx,
            )?]],
        }),
    }
}

fn parse_map(yaml: &Yaml, ctx: &ParseContext<'_>) -> Result<Vec<Item>, String> {
    let Yaml::Hash(map) = yaml else {
        return Err("expected a map".into());
    };
    let mut items = Vec::with_capacity(map.len());
    for (key, value) in map {
        let key = match key {
            Yaml::String(s) => s.clone(),
            Yaml::Integer(i) => i.to_string(),
            other => return Err(format!("field name {other:?} is not a string")),
        };
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default().to_string();
        let mods: Vec<&str> = parts.collect();
        let values: Vec<Yaml> = match value {
            Yaml::Array(v) => v.clone(),
            Yaml::Hash(_) => return Err(format!("field '{field}': a map is not a value")),
            v => vec![v.clone()],
        };
        let field = if field.is_empty() { None } else { Some(field) };
        items.push(
            parse_item(field.clone(), &mods, &values, ctx)
                .map_err(|e| format!("field '{}': {e}", field.as_deref().unwrap_or("")))?,
        );
    }
    if items.is_empty() {
        return Err("empty map".into());
    }
    Ok(items)
}

/// The value modifiers, as the rule spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Base64,
    Base64Offset,
    Utf16le,
    Utf16be,
    Utf16,
    Windash,
    Re,
    ReI,
    ReM,
    ReS,
    Cidr,
    Lt,
    Lte,
    Gt,
    Gte,
    Exists,
    FieldRef,
    Cased,
    Neq,
    Expand,
    Time(TimePart),
}

fn parse_modifier(name: &str) -> Result<Modifier, String> {
    Ok(match name {
        "contains" => Modifier::Contains,
        "startswith" => Modifier::StartsWith,
        "endswith" => Modifier::EndsWith,
        "all" => Modifier::All,
        "base64" => Modifier::Base64,
        "base64offset" => Modifier::Base64Offset,
        "utf16le" | "wide" => Modifier::Utf16le,
        "utf16be" => Modifier::Utf16be,
        "utf16" => Modifier::Utf16,
        "windash" => Modifier::Windash,
        "re" => Modifier::Re,
        "i" => Modifier::ReI,
        "m" => Modifier::ReM,
        "s" => Modifier::ReS,
        "cidr" => Modifier::Cidr,
        "lt" => Modifier::Lt,
        "lte" => Modifier::Lte,
        "gt" => Modifier::Gt,
        "gte" => Modifier::Gte,
        "exists" => Modifier::Exists,
        "fieldref" => Modifier::FieldRef,
        "cased" => Modifier::Cased,
        "neq" => Modifier::Neq,
        "expand" => Modifier::Expand,
        "minute" => Modifier::Time(TimePart::Minute),
        "hour" => Modifier::Time(TimePart::Hour),
        "day" => Modifier::Time(TimePart::Day),
        "week" => Modifier::Time(TimePart::Week),
        "month" => Modifier::Time(TimePart::Month),
        "year" => Modifier::Time(TimePart::Year),
        other => return Err(format!("unknown modifier '{other}'")),
    })
}

/// Flags gathered from a modifier chain.
#[derive(Default)]
struct Mods {
    anchor: Option<Modifier>,
    all: bool,
    cased: bool,
    neq: bool,
    expand: bool,
    re: bool,
    re_flags: (bool, bool, bool),
    cidr: bool,
    cmp: Option<Cmp>,
    exists: bool,
    fieldref: bool,
    time: Option<TimePart>,
    /// String transformations in rule order.
    transforms: Vec<Modifier>,
}

fn gather(mods: &[&str]) -> Result<Mods, String> {
    let mut m = Mods::default();
    for name in mods {
        let modifier = parse_modifier(name)?;
        match modifier {
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith => {
                if m.anchor.is_some() {
                    return Err("more than one of contains/startswith/endswith".into());
                }
                m.anchor = Some(modifier);
            }
            Modifier::All => m.all = true,
            Modifier::Cased => m.cased = true,
            Modifier::Neq => m.neq = true,
            Modifier::Expand => m.expand = true,
            Modifier::Re => m.re = true,
            Modifier::ReI => m.re_flags.0 = true,
            Modifier::ReM => m.re_flags.1 = true,
            Modifier::ReS => m.re_flags.2 = true,
            Modifier::Cidr => m.cidr = true,
            Modifier::Lt => m.cmp = Some(Cmp::Lt),
            Modifier::Lte => m.cmp = Some(Cmp::Lte),
            Modifier::Gt => m.cmp = Some(Cmp::Gt),
            Modifier::Gte => m.cmp = Some(Cmp::Gte),
            Modifier::Exists => m.exists = true,
            Modifier::FieldRef => m.fieldref = true,
            Modifier::Time(part) => m.time = Some(part),
            Modifier::Base64
            | Modifier::Base64Offset
            | Modifier::Utf16le
            | Modifier::Utf16be
            | Modifier::Utf16
            | Modifier::Windash => m.transforms.push(modifier),
        }
    }
    let (i, mm, s) = m.re_flags;
    if (i || mm || s) && !m.re {
        return Err("modifiers i/m/s need re".into());
    }
    let kinds = [
        m.re,
        m.cidr,
        m.cmp.is_some() && m.time.is_none(),
        m.exists,
        m.fieldref,
        m.time.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if kinds > 1 {
        return Err("conflicting type modifiers (re, cidr, lt/gt, exists, fieldref, time)".into());
    }
    if kinds == 1 && !m.fieldref && (m.anchor.is_some() || !m.transforms.is_empty()) {
        return Err("contains/startswith/endswith or an encoding cannot apply here".into());
    }
    if m.fieldref && !m.transforms.is_empty() {
        return Err("encodings cannot apply to fieldref".into());
    }
    if m.exists && (m.all || m.neq || m.cased) {
        return Err("exists takes no other modifier".into());
    }
    Ok(m)
}

fn yaml_scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_item(
    field: Option<String>,
    mods: &[&str],
    values: &[Yaml],
    ctx: &ParseContext<'_>,
) -> Result<Item, String> {
    let m = gather(mods)?;
    if m.all && values.len() < 2 && !values.is_empty() && field.is_some() {
        // The spec discourages it; still well defined (AND of one value).
    }
    if values.is_empty() {
        return Err("empty value list".into());
    }
    let keyword = field.is_none();
    if keyword && (m.exists || m.fieldref || m.cidr || m.cmp.is_some()) {
        return Err("keyword search takes only string modifiers".into());
    }
    let mut matchers = Vec::with_capacity(values.len());
    for value in values {
        matchers.push(value_matcher(value, &m, keyword, ctx)?);
    }
    Ok(Item {
        field,
        field_id: UNRESOLVED,
        matchers,
        all: m.all,
        negate: m.neq,
    })
}

fn value_matcher(
    value: &Yaml,
    m: &Mods,
    keyword: bool,
    ctx: &ParseContext<'_>,
) -> Result<Matcher, String> {
    if matches!(value, Yaml::Null) {
        if m.anchor.is_some() || !m.transforms.is_empty() || m.re || m.exists || m.fieldref {
            return Err("null takes no modifier".into());
        }
        return Ok(Matcher::Null);
    }
    if matches!(value, Yaml::Array(_) | Yaml::Hash(_)) {
        return Err("nested value".into());
    }
    if m.exists {
        return match value {
            Yaml::Boolean(b) => Ok(Matcher::Exists(*b)),
            Yaml::String(s) if s.eq_ignore_ascii_case("true") => Ok(Matcher::Exists(true)),
            Yaml::String(s) if s.eq_ignore_ascii_case("false") => Ok(Matcher::Exists(false)),
            _ => Err("exists needs true or false".into()),
        };
    }
    let text = yaml_scalar_text(value).ok_or_else(|| format!("unsupported value {value:?}"))?;
    if m.fieldref {
        let mode = match m.anchor {
            None => RefMode::Equal,
            Some(Modifier::Contains) => RefMode::Contains,
            Some(Modifier::StartsWith) => RefMode::StartsWith,
            _ => RefMode::EndsWith,
        };
        return Ok(Matcher::FieldRef {
            name: text,
            id: UNRESOLVED,
            mode,
            cased: m.cased,
        });
    }
    if m.re {
        return Ok(Matcher::Re(std::sync::Arc::new(LazyRegex::new(
            text, m.re_flags,
        )?)));
    }
    if m.cidr {
        return Cidr::parse(&text)
            .map(Matcher::Cidr)
            .ok_or_else(|| format!("invalid CIDR {text:?}"));
    }
    if let Some(part) = m.time {
        let v: i64 = text
            .trim()
            .parse()
            .map_err(|_| format!("time modifier needs an integer, got {text:?}"))?;
        return Ok(Matcher::Time {
            part,
            cmp: m.cmp.unwrap_or(Cmp::Eq),
            value: v,
        });
    }
    if let Some(cmp) = m.cmp {
        let v: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("lt/lte/gt/gte need a number, got {text:?}"))?;
        return Ok(Matcher::Num { cmp, value: v });
    }
    // Plain integers compare as numbers when nothing turns them into strings.
    if let Yaml::Integer(i) = value {
        if m.anchor.is_none() && m.transforms.is_empty() && !keyword {
            return Ok(Matcher::Int {
                value: *i,
                text: i.to_string().into_bytes(),
            });
        }
    }
    // String family.
    let is_string = matches!(value, Yaml::String(_));
    let mut values: Vec<SigmaStr> = if m.expand {
        expand(&text, ctx.placeholders)?
    } else if is_string {
        vec![SigmaStr::parse(&text)]
    } else {
        // Numbers and booleans are literal text.
        vec![SigmaStr::literal(text.as_bytes())]
    };
    for t in &m.transforms {
        values = apply_transform(*t, values)?;
    }
    let (start, end) = match m.anchor {
        Some(Modifier::Contains) => (true, true),
        Some(Modifier::StartsWith) => (false, true),
        Some(Modifier::EndsWith) => (true, false),
        _ => (keyword, keyword),
    };
    let pats = values
        .into_iter()
        .map(|v| {
            let v = v.wrap(start, end);
            let v = if m.cased { v } else { v.fold() };
            StrPattern::compile(&v)
        })
        .collect();
    Ok(Matcher::Str {
        pats,
        cased: m.cased,
    })
}

fn apply_transform(t: Modifier, values: Vec<SigmaStr>) -> Result<Vec<SigmaStr>, String> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        if t == Modifier::Windash {
            let variants = pattern::windash(&v).ok_or_else(|| {
                format!(
                    "windash on a value with more than {} dashes",
                    pattern::WINDASH_MAX_DASHES
                )
            })?;
            out.extend(variants);
            continue;
        }
        let Some(bytes) = v.as_literal() else {
            return Err("an encoding modifier cannot apply to a value with wildcards".into());
        };
        match t {
            Modifier::Base64 => out.push(SigmaStr::literal(&pattern::base64(&bytes))),
            Modifier::Base64Offset => out.extend(
                pattern::base64_offsets(&bytes)
                    .iter()
                    .map(|b| SigmaStr::literal(b)),
            ),
            Modifier::Utf16le => out.push(SigmaStr::literal(&pattern::utf16le(&bytes))),
            Modifier::Utf16be => out.push(SigmaStr::literal(&pattern::utf16be(&bytes))),
            Modifier::Utf16 => out.push(SigmaStr::literal(&pattern::utf16bom(&bytes))),
            _ => {}
        }
    }
    Ok(out)
}

/// `expand`: `%name%` placeholders replaced by each configured value (the cartesian product
/// when a value holds several); `\%` is a literal percent sign.
fn expand(
    text: &str,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Vec<SigmaStr>, String> {
    // Split into literal text and placeholder names.
    enum Piece {
        Text(String),
        Name(String),
    }
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'%') => {
                chars.next();
                // Keep the escape so the wildcard parser sees a literal percent.
                cur.push('%');
            }
            '%' => {
                let mut name = String::new();
                let mut closed = false;
                for n in chars.by_ref() {
                    if n == '%' {
                        closed = true;
                        break;
                    }
                    name.push(n);
                }
                if !closed || name.is_empty() {
                    return Err(format!("unterminated placeholder in {text:?}"));
                }
                pieces.push(Piece::Text(std::mem::take(&mut cur)));
                pieces.push(Piece::Name(name));
            }
            c => cur.push(c),
        }
    }
    pieces.push(Piece::Text(cur));
    let mut results: Vec<String> = vec![String::new()];
    for piece in pieces {
        match piece {
            Piece::Text(t) => results.iter_mut().for_each(|r| r.push_str(&t)),
            Piece::Name(name) => {
                let values = placeholders
                    .get(&name)
                    .ok_or_else(|| format!("unknown placeholder %{name}%"))?;
                if values.is_empty() {
                    return Err(format!("placeholder %{name}% has no values"));
                }
                let mut next = Vec::with_capacity(results.len() * values.len());
                for r in &results {
                    for v in values {
                        next.push(format!("{r}{v}"));
                    }
                }
                results = next;
            }
        }
    }
    Ok(results.iter().map(|s| SigmaStr::parse(s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parses_and_contains() {
        let net = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.1.2.3"));
        assert!(!net.contains("11.1.2.3"));
        assert!(net.contains("::ffff:10.9.9.9"));
        assert!(!net.contains("not an ip"));
        let v6 = Cidr::parse("fe80::/10").unwrap();
        assert!(v6.contains("fe80::1"));
        assert!(v6.contains("[fe80::1%eth0]"));
        assert!(!v6.contains("10.0.0.1"));
        let host = Cidr::parse("192.168.1.7").unwrap();
        assert!(host.contains("192.168.1.7"));
        assert!(!host.contains("192.168.1.8"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("1.2.3.4"));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
    }

    #[test]
    fn expand_substitutes_and_rejects_unknown() {
        let mut ph = HashMap::new();
        ph.insert(
            "Servers".to_string(),
            vec!["srv*".to_string(), "dc1".to_string()],
        );
        let v = expand("x-%Servers%", &ph).unwrap();
        assert_eq!(v.len(), 2);
        assert!(v[0].has_wildcards());
        assert_eq!(v[1].as_literal().unwrap(), b"x-dc1");
        assert!(expand("%Nope%", &ph)
            .unwrap_err()
            .contains("unknown placeholder %Nope%"));
        let lit = expand(r"\%plain%Servers%", &ph).unwrap();
        assert_eq!(lit.len(), 2);
        assert_eq!(lit[1].as_literal().unwrap(), b"%plaindc1");
    }

    #[test]
    fn modifier_chains_are_validated() {
        assert!(gather(&["contains", "all"]).is_ok());
        assert!(gather(&["contains", "endswith"]).is_err());
        assert!(gather(&["i"]).is_err());
        assert!(gather(&["re", "i", "m", "s"]).is_ok());
        assert!(gather(&["re", "contains"]).is_err());
        assert!(gather(&["fieldref", "contains"]).is_ok());
        assert!(gather(&["hour", "gte"]).is_ok());
        assert!(gather(&["frobnicate"])
            .err()
            .unwrap()
            .contains("unknown modifier 'frobnicate'"));
    }
}
