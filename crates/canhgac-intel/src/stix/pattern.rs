//! The STIX 2.1 patterning language: a tokeniser and a recursive-descent parser into a
//! [`Pattern`] tree, and [`simple_values`], which says whether a pattern is in the subset canhgac
//! evaluates (plain values of addresses, domains, URLs, emails and file hashes) and lists them.
//!
//! The parser reads the whole grammar (qualifiers, `FOLLOWEDBY`, `LIKE`, `MATCHES`, `EXISTS`,
//! every literal form), so that a pattern outside the subset is recognised as such rather than
//! rejected as malformed.

use std::fmt;

use canhgac_model::{normalise_indicator, IndicatorKind};

/// Nesting deeper than this is refused: no real pattern needs it, and recursion must stay bounded.
const MAX_DEPTH: usize = 64;

/// A parsed pattern: observation expressions joined by observation operators.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// `[ comparison expression ]`.
    Observation(ComparisonExpr),
    /// Observation expressions joined by `AND`, `OR` or `FOLLOWEDBY`.
    Combined {
        /// The operator joining them.
        operator: ObservationOperator,
        /// Two or more operands, in order.
        operands: Vec<Pattern>,
    },
    /// An observation expression with `WITHIN`, `REPEATS` or `START … STOP`.
    Qualified {
        /// The qualified expression.
        pattern: Box<Pattern>,
        /// The qualifier.
        qualifier: Qualifier,
    },
}

/// An operator between observation expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservationOperator {
    /// Both observations occur.
    And,
    /// Either observation occurs.
    Or,
    /// The first, then the second.
    FollowedBy,
}

/// A qualifier of an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`.
    Within(f64),
    /// `REPEATS n TIMES`.
    Repeats(u64),
    /// `START t'…' STOP t'…'`.
    StartStop(String, String),
}

impl Qualifier {
    fn keyword(&self) -> &'static str {
        match self {
            Qualifier::Within(_) => "WITHIN",
            Qualifier::Repeats(_) => "REPEATS",
            Qualifier::StartStop(..) => "START/STOP",
        }
    }
}

/// The inside of an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// One comparison.
    Comparison(Comparison),
    /// All of these hold (on the same object).
    And(Vec<ComparisonExpr>),
    /// One of these holds.
    Or(Vec<ComparisonExpr>),
}

/// `object-path [NOT] operator value`, or `EXISTS object-path`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The property compared.
    pub path: ObjectPath,
    /// `NOT` before the operator.
    pub negated: bool,
    /// The operator.
    pub operator: Operator,
    /// The right-hand side; `None` for `EXISTS`.
    pub value: Option<Literal>,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=`.
    Equal,
    /// `!=`.
    NotEqual,
    /// `<`.
    Less,
    /// `<=`.
    LessOrEqual,
    /// `>`.
    Greater,
    /// `>=`.
    GreaterOrEqual,
    /// `IN (…)`.
    In,
    /// `LIKE` (SQL wildcards).
    Like,
    /// `MATCHES` (a regular expression).
    Matches,
    /// `ISSUBSET` (network containment).
    IsSubset,
    /// `ISSUPERSET` (network containment).
    IsSuperset,
    /// `EXISTS`.
    Exists,
}

impl Operator {
    /// The operator as written in a pattern.
    pub fn text(self) -> &'static str {
        match self {
            Operator::Equal => "=",
            Operator::NotEqual => "!=",
            Operator::Less => "<",
            Operator::LessOrEqual => "<=",
            Operator::Greater => ">",
            Operator::GreaterOrEqual => ">=",
            Operator::In => "IN",
            Operator::Like => "LIKE",
            Operator::Matches => "MATCHES",
            Operator::IsSubset => "ISSUBSET",
            Operator::IsSuperset => "ISSUPERSET",
            Operator::Exists => "EXISTS",
        }
    }
}

/// `type:property.property[index]…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    /// The cyber-observable type, e.g. `ipv4-addr`.
    pub object_type: String,
    /// The property steps after the colon.
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A property name (quoted names such as `'SHA-256'` are unquoted).
    Property(String),
    /// A list index; `None` for `[*]`.
    Index(Option<u64>),
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (position, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Property(name) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if plain {
                        f.write_str(name)?;
                    } else {
                        write!(f, "'{name}'")?;
                    }
                }
                PathStep::Index(Some(index)) => write!(f, "[{index}]")?,
                PathStep::Index(None) => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'`.
    String(String),
    /// An integer.
    Integer(i64),
    /// A decimal number.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `t'2024-01-01T00:00:00Z'` (kept as written).
    Timestamp(String),
    /// `h'ab01'` (kept as written).
    Hex(String),
    /// `b'AQID'` (kept as written).
    Binary(String),
    /// `('a', 'b')`, the right-hand side of `IN`.
    Set(Vec<Literal>),
}

/// A pattern that is not valid STIX patterning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pattern character {offset}: {message}")]
pub struct PatternError {
    /// 0-based character offset where the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Why a valid pattern is outside the subset canhgac evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// A pattern language other than STIX (`sigma`, `snort`, `yara`…).
    Language(String),
    /// An operator other than `=` and `IN` (e.g. `MATCHES`, `LIKE`, `!=`), or `NOT`.
    Operator(String),
    /// A property canhgac does not match on (e.g. `file:name`).
    Property(String),
    /// A qualifier (`WITHIN`, `REPEATS`, `START/STOP`) or `FOLLOWEDBY`: about timing, which an
    /// indicator list cannot express.
    Timing(String),
    /// A value that is not a string.
    Value(String),
}

impl Unsupported {
    /// Vietnamese explanation for the console.
    pub fn message_vi(&self) -> String {
        match self {
            Unsupported::Language(language) => {
                format!("mẫu viết bằng ngôn ngữ {language} chưa được đánh giá")
            }
            Unsupported::Operator(op) => format!("toán tử {op} chưa được đánh giá"),
            Unsupported::Property(path) => format!("thuộc tính {path} chưa được đối chiếu"),
            Unsupported::Timing(what) => format!("điều kiện thời gian {what} chưa được đánh giá"),
            Unsupported::Value(path) => format!("giá trị của {path} không phải chuỗi"),
        }
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::Language(language) => {
                write!(f, "{language} patterns are not evaluated")
            }
            Unsupported::Operator(op) => write!(f, "operator {op} is not evaluated"),
            Unsupported::Property(path) => write!(f, "property {path} is not matched"),
            Unsupported::Timing(what) => write!(f, "timing condition {what} is not evaluated"),
            Unsupported::Value(path) => write!(f, "the value compared with {path} is not a string"),
        }
    }
}

/// A value in a supported comparison that is not valid for its kind
/// (e.g. `ipv4-addr:value = 'example.com'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidValue {
    /// The object path.
    pub path: String,
    /// What is wrong with the value.
    pub message: String,
}

/// What [`simple_values`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evaluation {
    /// Every comparison is in the subset: these normalised values, in pattern order, without
    /// duplicates.
    Values(Vec<(IndicatorKind, String)>),
    /// The pattern is valid but outside the subset.
    NotEvaluated(Unsupported),
    /// A comparison is in the subset but its value is invalid.
    Invalid(InvalidValue),
}

/// Parses a STIX 2.1 pattern.
pub fn parse_pattern(text: &str) -> Result<Pattern, PatternError> {
    let tokens = tokenise(text)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        depth: 0,
        end: text.chars().count(),
    };
    let pattern = parser.pattern()?;
    if let Some(token) = parser.peek() {
        return Err(parser.error_at(token.offset, "unexpected text after the pattern"));
    }
    Ok(pattern)
}

/// The values of a pattern in the simple subset: `=` and `IN` over `ipv4-addr:value`,
/// `ipv6-addr:value`, `domain-name:value`, `url:value`, `email-addr:value` and
/// `file:hashes.MD5`/`'SHA-1'`/`'SHA-256'`, joined by `AND`/`OR` inside and between observation
/// expressions.
///
/// `AND` is read like `OR`: each value becomes an indicator by itself. For the usual
/// `[file:hashes.MD5 = … AND file:hashes.'SHA-256' = …]` (one file, two hashes) that is exact;
/// for two addresses that must be seen together it over-matches, which for intake of indicators
/// of compromise is the safe side.
pub fn simple_values(pattern: &Pattern) -> Evaluation {
    let mut values = Vec::new();
    match collect_pattern(pattern, &mut values) {
        Ok(()) => {
            let mut unique: Vec<(IndicatorKind, String)> = Vec::with_capacity(values.len());
            for value in values {
                if !unique.contains(&value) {
                    unique.push(value);
                }
            }
            Evaluation::Values(unique)
        }
        Err(Outside::Unsupported(reason)) => Evaluation::NotEvaluated(reason),
        Err(Outside::Invalid(invalid)) => Evaluation::Invalid(invalid),
    }
}

enum Outside {
    Unsupported(Unsupported),
    Invalid(InvalidValue),
}

fn collect_pattern(
    pattern: &Pattern,
    values: &mut Vec<(IndicatorKind, String)>,
) -> Result<(), Outside> {
    match pattern {
        Pattern::Observation(expr) => collect_comparisons(expr, values),
        Pattern::Combined {
            operator: ObservationOperator::FollowedBy,
            ..
        } => Err(Outside::Unsupported(Unsupported::Timing(
            "FOLLOWEDBY".to_string(),
        ))),
        Pattern::Combined { operands, .. } => operands
            .iter()
            .try_for_each(|operand| collect_pattern(operand, values)),
        Pattern::Qualified { qualifier, .. } => Err(Outside::Unsupported(Unsupported::Timing(
            qualifier.keyword().to_string(),
        ))),
    }
}

fn collect_comparisons(
    expr: &ComparisonExpr,
    values: &mut Vec<(IndicatorKind, String)>,
) -> Result<(), Outside> {
    match expr {
        ComparisonExpr::Comparison(comparison) => collect_comparison(comparison, values),
        ComparisonExpr::And(parts) | ComparisonExpr::Or(parts) => parts
            .iter()
            .try_for_each(|part| collect_comparisons(part, values)),
    }
}

fn collect_comparison(
    comparison: &Comparison,
    values: &mut Vec<(IndicatorKind, String)>,
) -> Result<(), Outside> {
    let path = comparison.path.to_string();
    let kind = supported_path(&comparison.path)
        .ok_or_else(|| Outside::Unsupported(Unsupported::Property(path.clone())))?;
    if comparison.negated {
        return Err(Outside::Unsupported(Unsupported::Operator(format!(
            "NOT {}",
            comparison.operator.text()
        ))));
    }
    let strings: Vec<&str> = match (comparison.operator, &comparison.value) {
        (Operator::Equal, Some(Literal::String(text))) => vec![text.as_str()],
        (Operator::In, Some(Literal::Set(items))) => items
            .iter()
            .map(|item| match item {
                Literal::String(text) => Ok(text.as_str()),
                _ => Err(Outside::Unsupported(Unsupported::Value(path.clone()))),
            })
            .collect::<Result<_, _>>()?,
        (Operator::Equal | Operator::In, _) => {
            return Err(Outside::Unsupported(Unsupported::Value(path)))
        }
        (operator, _) => {
            return Err(Outside::Unsupported(Unsupported::Operator(
                operator.text().to_string(),
            )))
        }
    };
    let invalid = |message: String| {
        Outside::Invalid(InvalidValue {
            path: path.clone(),
            message,
        })
    };
    for text in strings {
        let value = indicator_value(kind, text).map_err(invalid)?;
        let family_ok = match comparison.path.object_type.as_str() {
            "ipv4-addr" => !value.1.contains(':'),
            "ipv6-addr" => value.1.contains(':'),
            _ => true,
        };
        if !family_ok {
            return Err(invalid(format!(
                "{text:?} is not an address of the {} family",
                comparison.path.object_type
            )));
        }
        values.push(value);
    }
    Ok(())
}

/// The kind a supported object path holds; addresses are `Ip` here and may become `Cidr` by
/// their value.
fn supported_path(path: &ObjectPath) -> Option<IndicatorKind> {
    let property = |index: usize| match path.steps.get(index) {
        Some(PathStep::Property(name)) => Some(name.as_str()),
        _ => None,
    };
    match (path.object_type.as_str(), path.steps.len()) {
        ("ipv4-addr" | "ipv6-addr", 1) if property(0) == Some("value") => Some(IndicatorKind::Ip),
        ("domain-name", 1) if property(0) == Some("value") => Some(IndicatorKind::Domain),
        ("url", 1) if property(0) == Some("value") => Some(IndicatorKind::Url),
        ("email-addr", 1) if property(0) == Some("value") => Some(IndicatorKind::Email),
        ("file", 2) if property(0) == Some("hashes") => hash_kind(property(1).unwrap_or_default()),
        _ => None,
    }
}

/// The hash kind of a STIX hash-algorithm name (`MD5`, `SHA-1`, `SHA-256`; producers also write
/// `SHA256` and lower case).
pub(crate) fn hash_kind(algorithm: &str) -> Option<IndicatorKind> {
    match algorithm.to_ascii_uppercase().replace('-', "").as_str() {
        "MD5" => Some(IndicatorKind::Md5),
        "SHA1" => Some(IndicatorKind::Sha1),
        "SHA256" => Some(IndicatorKind::Sha256),
        _ => None,
    }
}

/// Normalises a value; an address with a prefix is a network unless the prefix covers one
/// address (`/32`, `/128`).
pub(crate) fn indicator_value(
    kind: IndicatorKind,
    text: &str,
) -> Result<(IndicatorKind, String), String> {
    if kind == IndicatorKind::Ip || kind == IndicatorKind::Cidr {
        if let Some((address, prefix)) = text.trim().split_once('/') {
            let single = match prefix.trim() {
                "32" => !address.contains(':'),
                "128" => address.contains(':'),
                _ => false,
            };
            return if single {
                normalise_indicator(IndicatorKind::Ip, address).map(|v| (IndicatorKind::Ip, v))
            } else {
                normalise_indicator(IndicatorKind::Cidr, text).map(|v| (IndicatorKind::Cidr, v))
            };
        }
        return normalise_indicator(IndicatorKind::Ip, text).map(|v| (IndicatorKind::Ip, v));
    }
    normalise_indicator(kind, text).map(|value| (kind, value))
}

/// Quotes a string for a pattern.
pub(crate) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        if c == '\'' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

// ---------------------------------------------------------------------------------------------
// Tokeniser

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    Comma,
    Colon,
    Dot,
    Comparator(Operator),
    Str(String),
    Integer(i64),
    Float(f64),
    Timestamp(String),
    Hex(String),
    Binary(String),
    Star,
    /// An identifier or keyword (letters, digits, `_`, `-`).
    Word(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: TokenKind,
    /// Character offset in the pattern.
    offset: usize,
}

fn tokenise(text: &str) -> Result<Vec<Token>, PatternError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let error = |offset: usize, message: &str| PatternError {
        offset,
        message: message.to_string(),
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let single = match c {
            '[' => Some(TokenKind::LeftBracket),
            ']' => Some(TokenKind::RightBracket),
            '(' => Some(TokenKind::LeftParen),
            ')' => Some(TokenKind::RightParen),
            ',' => Some(TokenKind::Comma),
            ':' => Some(TokenKind::Colon),
            '.' if !chars.get(i + 1).is_some_and(char::is_ascii_digit) => Some(TokenKind::Dot),
            '*' => Some(TokenKind::Star),
            _ => None,
        };
        if let Some(kind) = single {
            tokens.push(Token {
                kind,
                offset: start,
            });
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let comparator = match (c, next) {
            ('=', Some('='))
            | ('!', Some('='))
            | ('<', Some('>'))
            | ('<', Some('='))
            | ('>', Some('=')) => {
                i += 2;
                Some(match (c, next) {
                    ('=', _) => Operator::Equal,
                    ('>', _) => Operator::GreaterOrEqual,
                    (_, Some('=')) if c == '<' => Operator::LessOrEqual,
                    _ => Operator::NotEqual,
                })
            }
            ('=', _) => {
                i += 1;
                Some(Operator::Equal)
            }
            ('<', _) => {
                i += 1;
                Some(Operator::Less)
            }
            ('>', _) => {
                i += 1;
                Some(Operator::Greater)
            }
            _ => None,
        };
        if let Some(operator) = comparator {
            tokens.push(Token {
                kind: TokenKind::Comparator(operator),
                offset: start,
            });
            continue;
        }
        if c == '\'' {
            let (value, after) = read_quoted(&chars, i)?;
            tokens.push(Token {
                kind: TokenKind::Str(value),
                offset: start,
            });
            i = after;
            continue;
        }
        if matches!(c, 't' | 'h' | 'b') && next == Some('\'') {
            let (value, after) = read_quoted(&chars, i + 1)?;
            let kind = match c {
                't' => TokenKind::Timestamp(value),
                'h' => {
                    if !value.bytes().all(|b| b.is_ascii_hexdigit()) || value.len() % 2 != 0 {
                        return Err(error(start, "a hex literal needs pairs of hex digits"));
                    }
                    TokenKind::Hex(value)
                }
                _ => TokenKind::Binary(value),
            };
            tokens.push(Token {
                kind,
                offset: start,
            });
            i = after;
            continue;
        }
        if c.is_ascii_digit()
            || ((c == '-' || c == '+' || c == '.')
                && next.is_some_and(|n| n.is_ascii_digit() || n == '.'))
        {
            let mut end = i + 1;
            while end < chars.len() && (chars[end].is_ascii_digit() || chars[end] == '.') {
                end += 1;
            }
            let literal: String = chars[i..end].iter().collect();
            let kind = if literal.contains('.') {
                literal
                    .parse::<f64>()
                    .map(TokenKind::Float)
                    .map_err(|_| error(start, "malformed number"))?
            } else {
                literal
                    .parse::<i64>()
                    .map(TokenKind::Integer)
                    .map_err(|_| error(start, "malformed or too large integer"))?
            };
            tokens.push(Token {
                kind,
                offset: start,
            });
            i = end;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut end = i + 1;
            while end < chars.len()
                && (chars[end].is_ascii_alphanumeric() || chars[end] == '_' || chars[end] == '-')
            {
                end += 1;
            }
            tokens.push(Token {
                kind: TokenKind::Word(chars[i..end].iter().collect()),
                offset: start,
            });
            i = end;
            continue;
        }
        return Err(error(start, &format!("unexpected character {c:?}")));
    }
    Ok(tokens)
}

/// Reads a single-quoted string starting at `chars[open]` (the quote); `\'` and `\\` escape.
fn read_quoted(chars: &[char], open: usize) -> Result<(String, usize), PatternError> {
    let mut value = String::new();
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => match chars.get(i + 1) {
                Some(&escaped @ ('\'' | '\\')) => {
                    value.push(escaped);
                    i += 2;
                }
                _ => {
                    return Err(PatternError {
                        offset: i,
                        message: "only \\' and \\\\ may be escaped in a string".to_string(),
                    })
                }
            },
            '\'' => return Ok((value, i + 1)),
            other => {
                value.push(other);
                i += 1;
            }
        }
    }
    Err(PatternError {
        offset: open,
        message: "string not closed".to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    depth: usize,
    /// Character count of the pattern, for errors at its end.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn peek_kind(&self) -> Option<&TokenKind> {
        self.peek().map(|token| &token.kind)
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.end, |token| token.offset)
    }

    fn error_at(&self, offset: usize, message: &str) -> PatternError {
        PatternError {
            offset,
            message: message.to_string(),
        }
    }

    fn error_here(&self, message: &str) -> PatternError {
        let found = match self.peek_kind() {
            None => "the end of the pattern".to_string(),
            Some(kind) => describe(kind),
        };
        self.error_at(self.offset(), &format!("{message}, found {found}"))
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek_kind(), Some(TokenKind::Word(word)) if word.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.is_keyword(keyword);
        if found {
            self.position += 1;
        }
        found
    }

    fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<(), PatternError> {
        if self.peek_kind() == Some(kind) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error_here(&format!("expected {what}")))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(self.offset(), "nested too deeply"));
        }
        Ok(())
    }

    /// pattern := followed-by ; FOLLOWEDBY binds loosest, then OR, then AND.
    fn pattern(&mut self) -> Result<Pattern, PatternError> {
        self.enter()?;
        let result = self.observation_chain(0);
        self.depth -= 1;
        result
    }

    fn observation_chain(&mut self, level: usize) -> Result<Pattern, PatternError> {
        const LEVELS: [(&str, ObservationOperator); 3] = [
            ("FOLLOWEDBY", ObservationOperator::FollowedBy),
            ("OR", ObservationOperator::Or),
            ("AND", ObservationOperator::And),
        ];
        let Some(&(keyword, operator)) = LEVELS.get(level) else {
            return self.qualified_observation();
        };
        let mut operands = vec![self.observation_chain(level + 1)?];
        while self.eat_keyword(keyword) {
            operands.push(self.observation_chain(level + 1)?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Pattern::Combined { operator, operands }
        })
    }

    fn qualified_observation(&mut self) -> Result<Pattern, PatternError> {
        let mut pattern = match self.peek_kind() {
            Some(TokenKind::LeftBracket) => {
                self.position += 1;
                self.enter()?;
                let expr = self.comparison_or()?;
                self.depth -= 1;
                self.expect(&TokenKind::RightBracket, "']'")?;
                Pattern::Observation(expr)
            }
            Some(TokenKind::LeftParen) => {
                self.position += 1;
                let inner = self.pattern()?;
                self.expect(&TokenKind::RightParen, "')'")?;
                inner
            }
            _ => return Err(self.error_here("expected '[' to open an observation expression")),
        };
        while let Some(qualifier) = self.qualifier()? {
            pattern = Pattern::Qualified {
                pattern: Box::new(pattern),
                qualifier,
            };
        }
        Ok(pattern)
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, PatternError> {
        if self.eat_keyword("WITHIN") {
            let seconds = match self.peek_kind() {
                Some(&TokenKind::Integer(n)) if n > 0 => n as f64,
                Some(&TokenKind::Float(n)) if n > 0.0 => n,
                _ => return Err(self.error_here("expected a positive number after WITHIN")),
            };
            self.position += 1;
            if !self.eat_keyword("SECONDS") {
                return Err(self.error_here("expected SECONDS"));
            }
            return Ok(Some(Qualifier::Within(seconds)));
        }
        if self.eat_keyword("REPEATS") {
            let times = match self.peek_kind() {
                Some(&TokenKind::Integer(n)) if n > 0 => n as u64,
                _ => return Err(self.error_here("expected a positive integer after REPEATS")),
            };
            self.position += 1;
            if !self.eat_keyword("TIMES") {
                return Err(self.error_here("expected TIMES"));
            }
            return Ok(Some(Qualifier::Repeats(times)));
        }
        if self.eat_keyword("START") {
            let start = self.timestamp("START")?;
            if !self.eat_keyword("STOP") {
                return Err(self.error_here("expected STOP"));
            }
            let stop = self.timestamp("STOP")?;
            return Ok(Some(Qualifier::StartStop(start, stop)));
        }
        Ok(None)
    }

    fn timestamp(&mut self, after: &str) -> Result<String, PatternError> {
        match self.peek_kind() {
            Some(TokenKind::Timestamp(text)) => {
                let text = text.clone();
                self.position += 1;
                Ok(text)
            }
            _ => Err(self.error_here(&format!("expected a t'…' timestamp after {after}"))),
        }
    }

    fn comparison_or(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut parts = vec![self.comparison_and()?];
        while self.eat_keyword("OR") {
            parts.push(self.comparison_and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            ComparisonExpr::Or(parts)
        })
    }

    fn comparison_and(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut parts = vec![self.comparison_term()?];
        while self.eat_keyword("AND") {
            parts.push(self.comparison_term()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            ComparisonExpr::And(parts)
        })
    }

    fn comparison_term(&mut self) -> Result<ComparisonExpr, PatternError> {
        if self.peek_kind() == Some(&TokenKind::LeftParen) {
            self.position += 1;
            self.enter()?;
            let inner = self.comparison_or()?;
            self.depth -= 1;
            self.expect(&TokenKind::RightParen, "')'")?;
            return Ok(inner);
        }
        if self.eat_keyword("EXISTS") {
            let path = self.object_path()?;
            return Ok(ComparisonExpr::Comparison(Comparison {
                path,
                negated: false,
                operator: Operator::Exists,
                value: None,
            }));
        }
        let path = self.object_path()?;
        let negated = self.eat_keyword("NOT");
        let operator = match self.peek_kind() {
            Some(TokenKind::Comparator(operator)) => *operator,
            Some(TokenKind::Word(word)) => match word.to_ascii_uppercase().as_str() {
                "IN" => Operator::In,
                "LIKE" => Operator::Like,
                "MATCHES" => Operator::Matches,
                "ISSUBSET" => Operator::IsSubset,
                "ISSUPERSET" => Operator::IsSuperset,
                _ => return Err(self.error_here("expected a comparison operator")),
            },
            _ => return Err(self.error_here("expected a comparison operator")),
        };
        self.position += 1;
        let value = if operator == Operator::In {
            self.set_literal()?
        } else {
            self.literal()?
        };
        let string_only = matches!(
            operator,
            Operator::Like | Operator::Matches | Operator::IsSubset | Operator::IsSuperset
        );
        if string_only && !matches!(value, Literal::String(_)) {
            return Err(self.error_at(
                self.offset(),
                &format!("{} needs a string", operator.text()),
            ));
        }
        Ok(ComparisonExpr::Comparison(Comparison {
            path,
            negated,
            operator,
            value: Some(value),
        }))
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match self.peek_kind() {
            Some(TokenKind::Word(word)) => word.clone(),
            _ => return Err(self.error_here("expected an object type such as ipv4-addr")),
        };
        let valid_type = object_type.starts_with(|c: char| c.is_ascii_lowercase())
            && object_type
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_type {
            return Err(self.error_here("expected an object type such as ipv4-addr"));
        }
        self.position += 1;
        self.expect(&TokenKind::Colon, "':' after the object type")?;
        let mut steps = vec![PathStep::Property(self.property_name()?)];
        loop {
            match self.peek_kind() {
                Some(TokenKind::Dot) => {
                    self.position += 1;
                    steps.push(PathStep::Property(self.property_name()?));
                }
                Some(TokenKind::LeftBracket) => {
                    self.position += 1;
                    let index = match self.peek_kind() {
                        Some(&TokenKind::Integer(n)) if n >= 0 => Some(n as u64),
                        Some(TokenKind::Star) => None,
                        _ => return Err(self.error_here("expected a list index or '*'")),
                    };
                    self.position += 1;
                    self.expect(&TokenKind::RightBracket, "']'")?;
                    steps.push(PathStep::Index(index));
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }

    fn property_name(&mut self) -> Result<String, PatternError> {
        match self.peek_kind() {
            Some(TokenKind::Word(word) | TokenKind::Str(word)) => {
                let name = word.clone();
                self.position += 1;
                Ok(name)
            }
            _ => Err(self.error_here("expected a property name")),
        }
    }

    fn set_literal(&mut self) -> Result<Literal, PatternError> {
        self.expect(&TokenKind::LeftParen, "'(' to open the IN list")?;
        let mut items = vec![self.literal()?];
        while self.peek_kind() == Some(&TokenKind::Comma) {
            self.position += 1;
            items.push(self.literal()?);
        }
        self.expect(&TokenKind::RightParen, "')' to close the IN list")?;
        Ok(Literal::Set(items))
    }

    fn literal(&mut self) -> Result<Literal, PatternError> {
        let literal = match self.peek_kind() {
            Some(TokenKind::Str(text)) => Literal::String(text.clone()),
            Some(TokenKind::Integer(n)) => Literal::Integer(*n),
            Some(TokenKind::Float(n)) => Literal::Float(*n),
            Some(TokenKind::Timestamp(text)) => Literal::Timestamp(text.clone()),
            Some(TokenKind::Hex(text)) => Literal::Hex(text.clone()),
            Some(TokenKind::Binary(text)) => Literal::Binary(text.clone()),
            Some(TokenKind::Word(word)) if word == "true" => Literal::Bool(true),
            Some(TokenKind::Word(word)) if word == "false" => Literal::Bool(false),
            _ => return Err(self.error_here("expected a value")),
        };
        self.position += 1;
        Ok(literal)
    }
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::LeftBracket => "'['".to_string(),
        TokenKind::RightBracket => "']'".to_string(),
        TokenKind::LeftParen => "'('".to_string(),
        TokenKind::RightParen => "')'".to_string(),
        TokenKind::Comma => "','".to_string(),
        TokenKind::Colon => "':'".to_string(),
        TokenKind::Dot => "'.'".to_string(),
        TokenKind::Star => "'*'".to_string(),
        TokenKind::Comparator(operator) => format!("'{}'", operator.text()),
        TokenKind::Str(_) => "a string".to_string(),
        TokenKind::Integer(_) | TokenKind::Float(_) => "a number".to_string(),
        TokenKind::Timestamp(_) => "a timestamp".to_string(),
        TokenKind::Hex(_) | TokenKind::Binary(_) => "a binary value".to_string(),
        TokenKind::Word(word) => format!("{word:?}"),
    }
}

#[cfg(test)]
mod tests;
