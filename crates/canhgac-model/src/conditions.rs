//! Gatus-style conditions: `[STATUS] == 200`, `[RESPONSE_TIME] < 2000`,
//! `[CERTIFICATE_EXPIRATION] > 336h`, `[BODY] == pat(*Cổng thông tin*)`, `len([BODY]) > 100`,
//! `[STATUS] == any(200, 301)`, `[CONNECTED] == true`, `[DNS_RCODE] == NOERROR`.
//!
//! [`parse`] checks a condition as the console saves it (the error names the condition and the
//! problem, in Vietnamese); [`Condition::evaluate`] applies it to what a check measured
//! ([`Context`]).
//!
//! ```
//! use canhgac_model::conditions::{parse, Context};
//! let condition = parse("[RESPONSE_TIME] < 500").unwrap();
//! let context = Context { response_time_ms: Some(35), ..Context::default() };
//! assert!(condition.evaluate(&context).holds);
//! assert!(parse("[STATUS] = 200").is_err());
//! ```

use std::cmp::Ordering;
use std::fmt;

/// A value a check measured, named in square brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `[STATUS]`: the HTTP status code.
    Status,
    /// `[RESPONSE_TIME]`: milliseconds.
    ResponseTime,
    /// `[BODY]`: the response body (HTTP), the banner (SMTP/IMAP), the answers (DNS).
    Body,
    /// `[CONNECTED]`: `true` when a connection was made.
    Connected,
    /// `[CERTIFICATE_EXPIRATION]`: time left before the certificate expires, in milliseconds;
    /// compared with durations such as `336h`, `30d`, `90m`.
    CertificateExpiration,
    /// `[IP]`: the address connected to (DNS: the first address answered).
    Ip,
    /// `[DNS_RCODE]`: the DNS response code (`NOERROR`, `NXDOMAIN`, ...).
    DnsRcode,
}

impl Placeholder {
    /// Every placeholder, in the order the console lists them.
    pub const ALL: [Placeholder; 7] = [
        Placeholder::Status,
        Placeholder::ResponseTime,
        Placeholder::Body,
        Placeholder::Connected,
        Placeholder::CertificateExpiration,
        Placeholder::Ip,
        Placeholder::DnsRcode,
    ];

    /// The bracketed name, e.g. `[STATUS]`.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Status => "[STATUS]",
            Placeholder::ResponseTime => "[RESPONSE_TIME]",
            Placeholder::Body => "[BODY]",
            Placeholder::Connected => "[CONNECTED]",
            Placeholder::CertificateExpiration => "[CERTIFICATE_EXPIRATION]",
            Placeholder::Ip => "[IP]",
            Placeholder::DnsRcode => "[DNS_RCODE]",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// Whether the value is a number (ordering comparisons make sense).
    fn numeric(self) -> bool {
        matches!(
            self,
            Placeholder::Status | Placeholder::ResponseTime | Placeholder::CertificateExpiration
        )
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
}

impl Operator {
    /// Longest first, so `<=` is not read as `<`.
    const ALL: [Operator; 6] = [
        Operator::Equal,
        Operator::NotEqual,
        Operator::LessOrEqual,
        Operator::GreaterOrEqual,
        Operator::Less,
        Operator::Greater,
    ];

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Equal => "==",
            Operator::NotEqual => "!=",
            Operator::Less => "<",
            Operator::LessOrEqual => "<=",
            Operator::Greater => ">",
            Operator::GreaterOrEqual => ">=",
        }
    }

    fn ordering(self) -> bool {
        !matches!(self, Operator::Equal | Operator::NotEqual)
    }

    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            Operator::Equal => ordering == Ordering::Equal,
            Operator::NotEqual => ordering != Ordering::Equal,
            Operator::Less => ordering == Ordering::Less,
            Operator::LessOrEqual => ordering != Ordering::Greater,
            Operator::Greater => ordering == Ordering::Greater,
            Operator::GreaterOrEqual => ordering != Ordering::Less,
        }
    }
}

/// One side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A measured value.
    Placeholder(Placeholder),
    /// `len(...)`: the length in characters of a value.
    Len(Box<Operand>),
    /// `pat(...)`: a pattern where `*` stands for any text.
    Pattern(String),
    /// `any(a, b, ...)`: equal to one of these.
    Any(Vec<String>),
    /// A literal: a number, a duration (`336h`), `true`, a word.
    Literal(String),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Placeholder(p) => f.write_str(p.name()),
            Operand::Len(inner) => write!(f, "len({inner})"),
            Operand::Pattern(p) => write!(f, "pat({p})"),
            Operand::Any(values) => write!(f, "any({})", values.join(", ")),
            Operand::Literal(v) => f.write_str(v),
        }
    }
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The left side.
    pub left: Operand,
    /// The comparison.
    pub operator: Operator,
    /// The right side.
    pub right: Operand,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.operator.symbol(), self.right)
    }
}

/// Why a condition could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Điều kiện «{condition}»: {problem}")]
pub struct ConditionError {
    /// The condition as written.
    pub condition: String,
    /// What is wrong (Vietnamese).
    pub problem: String,
}

/// What a check measured, for evaluating conditions. `None`: not measured (a condition on it
/// does not hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// HTTP status code.
    pub status: Option<u16>,
    /// Response time, milliseconds.
    pub response_time_ms: Option<u64>,
    /// Body (HTTP), banner (SMTP/IMAP), answers (DNS).
    pub body: Option<String>,
    /// A connection was made.
    pub connected: bool,
    /// Milliseconds before the certificate expires (negative once expired).
    pub certificate_expiration_ms: Option<i64>,
    /// Address connected to.
    pub ip: Option<String>,
    /// DNS response code.
    pub dns_rcode: Option<String>,
}

impl Context {
    fn value(&self, placeholder: Placeholder) -> Option<String> {
        match placeholder {
            Placeholder::Status => self.status.map(|s| s.to_string()),
            Placeholder::ResponseTime => self.response_time_ms.map(|t| t.to_string()),
            Placeholder::Body => self.body.clone(),
            Placeholder::Connected => Some(self.connected.to_string()),
            Placeholder::CertificateExpiration => {
                self.certificate_expiration_ms.map(|t| t.to_string())
            }
            Placeholder::Ip => self.ip.clone(),
            Placeholder::DnsRcode => self.dns_rcode.clone(),
        }
    }
}

/// The outcome of one condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The condition holds.
    pub holds: bool,
    /// The condition with the measured values, e.g. `[STATUS] (503) == 200`.
    pub resolved: String,
}

/// Reads one condition; the error names the condition and the problem.
pub fn parse(text: &str) -> Result<Condition, ConditionError> {
    let fail = |problem: &str| ConditionError {
        condition: text.trim().to_owned(),
        problem: problem.to_owned(),
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(fail("điều kiện trống"));
    }
    let (at, operator) =
        find_operator(trimmed).ok_or_else(|| fail("thiếu phép so sánh (==, !=, <, <=, >, >=)"))?;
    let left_text = trimmed[..at].trim();
    let right_text = trimmed[at + operator.symbol().len()..].trim();
    if left_text.is_empty() {
        return Err(fail("thiếu vế trái của phép so sánh"));
    }
    if right_text.is_empty() {
        return Err(fail("thiếu vế phải của phép so sánh"));
    }
    let left = parse_operand(left_text).map_err(|p| fail(&p))?;
    let right = parse_operand(right_text).map_err(|p| fail(&p))?;
    if !mentions_placeholder(&left) && !mentions_placeholder(&right) {
        return Err(fail(
            "cần ít nhất một giá trị đo như [STATUS], [RESPONSE_TIME], [BODY]",
        ));
    }
    if operator.ordering() {
        for side in [&left, &right] {
            match side {
                Operand::Pattern(_) | Operand::Any(_) => {
                    return Err(fail("pat() và any() chỉ dùng với == hoặc !="))
                }
                Operand::Literal(value) if number(value).is_none() => {
                    return Err(fail(&format!(
                        "«{value}» không phải là số hay khoảng thời gian (như 336h) nên không so sánh lớn nhỏ được"
                    )))
                }
                Operand::Placeholder(p) if !p.numeric() => {
                    return Err(fail(&format!(
                        "{} không phải là số; dùng len({}) để so sánh độ dài",
                        p.name(),
                        p.name()
                    )))
                }
                _ => {}
            }
        }
    }
    if matches!(left, Operand::Pattern(_) | Operand::Any(_))
        && matches!(right, Operand::Pattern(_) | Operand::Any(_))
    {
        return Err(fail("chỉ một vế được dùng pat() hoặc any()"));
    }
    Ok(Condition {
        left,
        operator,
        right,
    })
}

/// Reads every condition of a monitor; the first error stops.
pub fn parse_all<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Condition>, ConditionError> {
    texts.iter().map(|t| parse(t.as_ref())).collect()
}

/// The first operator outside parentheses and brackets.
fn find_operator(text: &str) -> Option<(usize, Operator)> {
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            _ if depth == 0 => {
                for op in Operator::ALL {
                    if bytes[i..].starts_with(op.symbol().as_bytes()) {
                        return Some((i, op));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_operand(text: &str) -> Result<Operand, String> {
    if text.starts_with('[') {
        let end = text
            .find(']')
            .ok_or_else(|| format!("thiếu dấu ] trong «{text}»"))?;
        if end + 1 != text.len() {
            return Err(format!(
                "«{text}»: chỉ hỗ trợ giá trị đo nguyên vẹn (không hỗ trợ đường dẫn JSON như [BODY].x)"
            ));
        }
        return Placeholder::from_name(text)
            .map(Operand::Placeholder)
            .ok_or_else(|| {
                format!(
                    "không biết giá trị đo {text}; dùng một trong {}",
                    Placeholder::ALL.map(Placeholder::name).join(", ")
                )
            });
    }
    if let Some((name, inner)) = function_call(text)? {
        return match name.to_ascii_lowercase().as_str() {
            "len" => {
                let inner = parse_operand(inner.trim())?;
                match inner {
                    Operand::Placeholder(_) | Operand::Literal(_) => {
                        Ok(Operand::Len(Box::new(inner)))
                    }
                    _ => Err("len() chỉ nhận một giá trị đo như [BODY]".to_owned()),
                }
            }
            "pat" => {
                let pattern = inner.trim();
                if pattern.is_empty() {
                    Err("pat() cần một mẫu, ví dụ pat(*Cổng thông tin*)".to_owned())
                } else {
                    Ok(Operand::Pattern(pattern.to_owned()))
                }
            }
            "any" => {
                let values: Vec<String> = inner.split(',').map(|v| v.trim().to_owned()).collect();
                if values.iter().any(String::is_empty) {
                    Err(
                        "any() cần các giá trị cách nhau bởi dấu phẩy, ví dụ any(200, 301)"
                            .to_owned(),
                    )
                } else {
                    Ok(Operand::Any(values))
                }
            }
            other => Err(format!(
                "không biết hàm {other}(); chỉ hỗ trợ len(), pat(), any()"
            )),
        };
    }
    if text.contains(['(', ')', '[', ']']) {
        return Err(format!("không đọc được «{text}»"));
    }
    Ok(Operand::Literal(text.to_owned()))
}

/// `name(inner)` when the text is a function call.
fn function_call(text: &str) -> Result<Option<(&str, &str)>, String> {
    let Some(open) = text.find('(') else {
        return Ok(None);
    };
    let name = &text[..open];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
        return Ok(None);
    }
    if !text.ends_with(')') {
        return Err(format!("thiếu dấu ) trong «{text}»"));
    }
    Ok(Some((name, &text[open + 1..text.len() - 1])))
}

fn mentions_placeholder(operand: &Operand) -> bool {
    match operand {
        Operand::Placeholder(_) => true,
        Operand::Len(inner) => mentions_placeholder(inner),
        _ => false,
    }
}

/// A literal as a number: an integer or decimal, or a duration in milliseconds (`90m`,
/// `336h`, `30d`, `1h30m`, `500ms`, `10s`).
fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(value) = text.parse::<f64>() {
        return value.is_finite().then_some(value);
    }
    duration_ms(text).map(|ms| ms as f64)
}

fn duration_ms(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let amount: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit_ms, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('d') {
            (86_400_000, 1)
        } else {
            return None;
        };
        rest = &rest[len..];
        total = total.checked_add(amount.checked_mul(unit_ms)?)?;
    }
    Some(total)
}

/// `*` stands for any text (also none); everything else is literal.
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) {
        return false;
    }
    let mut rest = &text[first.len()..];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A side resolved against the context: `None` when the value was not measured.
enum Resolved {
    Value(String),
    Pattern(String),
    Any(Vec<String>),
    Missing,
}

impl Condition {
    /// Applies the condition to what a check measured.
    pub fn evaluate(&self, context: &Context) -> Evaluation {
        let left = resolve(&self.left, context);
        let right = resolve(&self.right, context);
        let holds = compare(&left, self.operator, &right);
        let resolved = format!(
            "{} {} {}",
            describe(&self.left, &left),
            self.operator.symbol(),
            describe(&self.right, &right)
        );
        Evaluation { holds, resolved }
    }
}

fn resolve(operand: &Operand, context: &Context) -> Resolved {
    match operand {
        Operand::Placeholder(p) => context.value(*p).map_or(Resolved::Missing, Resolved::Value),
        Operand::Len(inner) => match resolve(inner, context) {
            Resolved::Value(v) => Resolved::Value(v.chars().count().to_string()),
            _ => Resolved::Missing,
        },
        Operand::Pattern(p) => Resolved::Pattern(p.clone()),
        Operand::Any(values) => Resolved::Any(values.clone()),
        Operand::Literal(v) => Resolved::Value(v.clone()),
    }
}

fn describe(operand: &Operand, resolved: &Resolved) -> String {
    match (operand, resolved) {
        (Operand::Placeholder(_) | Operand::Len(_), Resolved::Value(v)) => {
            let mut shown: String = v.chars().take(80).collect();
            if shown.len() < v.len() {
                shown.push('…');
            }
            format!("{operand} ({shown})")
        }
        (Operand::Placeholder(_) | Operand::Len(_), Resolved::Missing) => {
            format!("{operand} (không có)")
        }
        _ => operand.to_string(),
    }
}

fn values_equal(a: &str, b: &str) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b || (a.eq_ignore_ascii_case(b) && is_word(a)),
    }
}

/// Codes like `NOERROR` and `true` compare without case; free text does not.
fn is_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn compare(left: &Resolved, operator: Operator, right: &Resolved) -> bool {
    match (left, right) {
        (Resolved::Missing, _) | (_, Resolved::Missing) => false,
        (Resolved::Value(value), Resolved::Pattern(p))
        | (Resolved::Pattern(p), Resolved::Value(value)) => {
            let matched = pattern_matches(p, value);
            match operator {
                Operator::Equal => matched,
                Operator::NotEqual => !matched,
                _ => false,
            }
        }
        (Resolved::Value(value), Resolved::Any(values))
        | (Resolved::Any(values), Resolved::Value(value)) => {
            let matched = values.iter().any(|v| values_equal(value, v));
            match operator {
                Operator::Equal => matched,
                Operator::NotEqual => !matched,
                _ => false,
            }
        }
        (Resolved::Value(a), Resolved::Value(b)) => {
            if operator.ordering() {
                match (number(a), number(b)) {
                    (Some(x), Some(y)) => x.partial_cmp(&y).is_some_and(|o| operator.accepts(o)),
                    _ => false,
                }
            } else {
                let equal = values_equal(a, b);
                if operator == Operator::Equal {
                    equal
                } else {
                    !equal
                }
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ctx() -> Context {
        Context {
            status: Some(200),
            response_time_ms: Some(120),
            body: Some("<h1>Cổng thông tin điện tử</h1>".to_owned()),
            connected: true,
            certificate_expiration_ms: Some(20 * 86_400_000),
            ip: Some("10.0.0.5".to_owned()),
            dns_rcode: Some("NOERROR".to_owned()),
        }
    }

    fn holds(text: &str) -> bool {
        parse(text).unwrap().evaluate(&ctx()).holds
    }

    #[test]
    fn gatus_examples_hold_or_not_as_expected() {
        assert!(holds("[STATUS] == 200"));
        assert!(!holds("[STATUS] != 200"));
        assert!(holds("[STATUS] < 300"));
        assert!(holds("[RESPONSE_TIME] <= 120"));
        assert!(!holds("[RESPONSE_TIME] > 500"));
        assert!(holds("[BODY] == pat(*thông tin*)"));
        assert!(!holds("[BODY] == pat(*hacked*)"));
        assert!(holds("[BODY] != pat(*hacked*)"));
        assert!(holds("len([BODY]) > 10"));
        assert!(holds("[STATUS] == any(200, 301)"));
        assert!(!holds("[STATUS] == any(500, 503)"));
        assert!(holds("[CONNECTED] == true"));
        assert!(holds("[CERTIFICATE_EXPIRATION] > 336h"));
        assert!(!holds("[CERTIFICATE_EXPIRATION] > 30d"));
        assert!(holds("[CERTIFICATE_EXPIRATION] > 1d12h"));
        assert!(holds("[IP] == 10.0.0.5"));
        assert!(holds("[DNS_RCODE] == noerror"));
        assert!(holds("200 == [STATUS]"));
    }

    #[test]
    fn missing_values_fail_and_say_so() {
        let condition = parse("[STATUS] == 200").unwrap();
        let evaluation = condition.evaluate(&Context::default());
        assert!(!evaluation.holds);
        assert_eq!(evaluation.resolved, "[STATUS] (không có) == 200");
        let evaluation = condition.evaluate(&Context {
            status: Some(503),
            ..Context::default()
        });
        assert_eq!(evaluation.resolved, "[STATUS] (503) == 200");
    }

    #[test]
    fn errors_name_the_condition_and_the_problem() {
        let error = parse("[STATUS] = 200").unwrap_err();
        assert_eq!(error.condition, "[STATUS] = 200");
        assert!(error.problem.contains("phép so sánh"), "{error}");
        assert!(parse("[STAT] == 200")
            .unwrap_err()
            .problem
            .contains("[STAT]"));
        assert!(parse("[BODY] > 3").unwrap_err().problem.contains("len("));
        assert!(parse("[STATUS] > abc").unwrap_err().problem.contains("abc"));
        assert!(parse("[BODY] == foo(x)")
            .unwrap_err()
            .problem
            .contains("foo"));
        assert!(parse("[BODY] == pat(*x*").is_err());
        assert!(parse("200 == 200").is_err());
        assert!(parse("[BODY].data == 1").is_err());
        assert!(parse("").is_err());
        assert!(parse("[STATUS] == ").is_err());
        assert_eq!(
            parse("[STATUS] = 200").unwrap_err().to_string(),
            "Điều kiện «[STATUS] = 200»: thiếu phép so sánh (==, !=, <, <=, >, >=)"
        );
    }

    #[test]
    fn patterns_use_stars_only() {
        assert!(pattern_matches("*", ""));
        assert!(pattern_matches("a*c", "abc"));
        assert!(pattern_matches("a*c", "ac"));
        assert!(!pattern_matches("a*c", "ab"));
        assert!(pattern_matches("*a*a*", "aa"));
        assert!(!pattern_matches("*a*a*", "a"));
        assert!(!pattern_matches("ab*ba", "aba"));
        assert!(pattern_matches("x?y", "x?y"));
    }

    #[test]
    fn durations_read_in_milliseconds() {
        assert_eq!(duration_ms("336h"), Some(336 * 3_600_000));
        assert_eq!(duration_ms("90m"), Some(90 * 60_000));
        assert_eq!(duration_ms("1h30m"), Some(90 * 60_000));
        assert_eq!(duration_ms("250ms"), Some(250));
        assert_eq!(duration_ms("h"), None);
        assert_eq!(duration_ms("10x"), None);
        assert_eq!(duration_ms("99999999999999999999d"), None);
    }

    fn placeholder() -> impl Strategy<Value = Placeholder> {
        proptest::sample::select(Placeholder::ALL.to_vec())
    }

    fn operator() -> impl Strategy<Value = Operator> {
        proptest::sample::select(Operator::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,60}") {
            let _ = parse(&text);
        }

        #[test]
        fn parse_never_panics_on_condition_like_text(
            text in "[\\[\\]()<>=!*, a-zA-Z_0-9.]{0,40}"
        ) {
            if let Ok(condition) = parse(&text) {
                let _ = condition.evaluate(&Context::default());
            }
        }

        #[test]
        fn printed_conditions_read_back_the_same(
            p in placeholder(), op in operator(), n in 0u32..100_000, spaces in 0usize..3
        ) {
            let pad = " ".repeat(spaces);
            let text = format!("{pad}{}{pad}{}{pad}{n}{pad}", p.name(), op.symbol());
            match parse(&text) {
                Ok(condition) => {
                    prop_assert_eq!(&condition.left, &Operand::Placeholder(p));
                    prop_assert_eq!(condition.operator, op);
                    let again = parse(&condition.to_string()).unwrap();
                    prop_assert_eq!(again, condition);
                }
                Err(error) => {
                    // Only ordering comparisons of non-numbers are refused.
                    prop_assert!(op.ordering() && !p.numeric(), "{}", error);
                }
            }
        }

        #[test]
        fn numeric_comparisons_agree_with_rust(
            status in 100u16..600, op in operator(), n in 100u16..600
        ) {
            let condition = parse(&format!("[STATUS] {} {n}", op.symbol())).unwrap();
            let context = Context { status: Some(status), ..Context::default() };
            prop_assert_eq!(condition.evaluate(&context).holds, op.accepts(status.cmp(&n)));
        }

        #[test]
        fn star_patterns_match_their_own_pieces(
            prefix in "[a-zà-ỹ ]{0,8}", middle in "[a-zà-ỹ ]{0,8}", suffix in "[a-zà-ỹ ]{0,8}"
        ) {
            let text = format!("{prefix}{middle}{suffix}");
            let pattern = format!("*{middle}*");
            prop_assert!(pattern_matches(&pattern, &text));
            let pattern = format!("{prefix}*{suffix}");
            prop_assert!(pattern_matches(&pattern, &text));
        }
    }
}
