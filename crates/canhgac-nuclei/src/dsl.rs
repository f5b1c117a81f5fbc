//! The expression language of templates: govaluate-style expressions (`status_code == 200 &&
//! contains(body, 'x')`) with nuclei's helper functions, and `{{expr}}` interpolation.
//!
//! Values are strings, numbers (f64, like govaluate), booleans and lists. A name that is not a
//! variable is an error, so a matcher over a part the response lacks does not match.

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

use crate::functions;

/// The variables an expression sees: built-in target variables, template variables, response
/// parts, extracted values.
pub type Vars = BTreeMap<String, Value>;

/// A DSL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text (also raw bytes as lossy UTF-8).
    Str(String),
    /// A number; govaluate keeps every number as a float.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// A list (extracted values, `split` results).
    List(Vec<Value>),
}

impl Value {
    /// Truthiness: `true`, a non-zero number, a non-empty string or list other than "false".
    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0,
            Value::Str(s) => !s.is_empty() && s != "false",
            Value::List(items) => !items.is_empty(),
        }
    }

    /// The value as a number, when it is one or a string that parses as one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Str(s) => s.trim().parse().ok(),
            Value::List(_) => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            Value::Num(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::List(items) => {
                let texts: Vec<String> = items.iter().map(Value::to_string).collect();
                f.write_str(&texts.join(","))
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

/// Why an expression could not be parsed or evaluated.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DslError {
    /// The text is not a valid expression.
    #[error("expression {expr:?}: {reason} at offset {offset}")]
    Syntax {
        /// The expression text.
        expr: String,
        /// What was wrong.
        reason: String,
        /// Byte offset of the problem.
        offset: usize,
    },
    /// A name that is not a variable (yet).
    #[error("unknown variable {0:?}")]
    UnknownVariable(String),
    /// A function we do not implement.
    #[error("unknown function {0:?}")]
    UnknownFunction(String),
    /// A function called with wrong arguments, or failing on them.
    #[error("{function}: {reason}")]
    Call {
        /// The function name.
        function: String,
        /// What went wrong.
        reason: String,
    },
    /// An operator applied to values it does not take.
    #[error("operator {op}: {reason}")]
    Operator {
        /// The operator.
        op: String,
        /// What went wrong.
        reason: String,
    },
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Literal(Value),
    /// A variable reference.
    Var(String),
    /// `!x` or `-x`.
    Unary(char, Box<Expr>),
    /// A binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `cond ? a : b`.
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A helper function call.
    Call(String, Vec<Expr>),
}

/// Binary operators, govaluate's subset that templates use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=~` (regex match)
    Match,
    /// `!~`
    NotMatch,
    /// `+` (numbers add, strings concatenate)
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Match => "=~",
            BinOp::NotMatch => "!~",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(f64),
    Str(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

const OPERATORS: [&str; 20] = [
    "||", "&&", "==", "!=", "<=", ">=", "=~", "!~", "<", ">", "+", "-", "*", "/", "%", "!", "?",
    ":", "[", "]",
];

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, DslError> {
    let syntax = |reason: &str, offset: usize| DslError::Syntax {
        expr: text.to_owned(),
        reason: reason.to_owned(),
        offset,
    };
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == b'\'' || c == b'"' {
            let quote = c;
            let mut out = String::new();
            i += 1;
            loop {
                let Some(ch) = text[i..].chars().next() else {
                    return Err(syntax("unterminated string", start));
                };
                i += ch.len_utf8();
                if ch as u32 == quote as u32 {
                    break;
                }
                if ch == '\\' {
                    let Some(escaped) = text[i..].chars().next() else {
                        return Err(syntax("unterminated string", start));
                    };
                    i += escaped.len_utf8();
                    match escaped {
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        '\\' | '\'' | '"' => out.push(escaped),
                        // Regexes in single-quoted strings keep their backslashes (`\s`, `\d`).
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                } else {
                    out.push(ch);
                }
            }
            tokens.push((Token::Str(out), start));
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            if c == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) {
                i += 2;
                while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
                    i += 1;
                }
                let n = i64::from_str_radix(&text[start + 2..i], 16)
                    .map_err(|_| syntax("bad hex number", start))?;
                tokens.push((Token::Num(n as f64), start));
                continue;
            }
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let n = text[start..i]
                .parse()
                .map_err(|_| syntax("bad number", start))?;
            tokens.push((Token::Num(n), start));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push((Token::Ident(text[start..i].to_owned()), start));
        } else if c == b'(' {
            i += 1;
            tokens.push((Token::LParen, start));
        } else if c == b')' {
            i += 1;
            tokens.push((Token::RParen, start));
        } else if c == b',' {
            i += 1;
            tokens.push((Token::Comma, start));
        } else if let Some(op) = OPERATORS.iter().find(|op| text[i..].starts_with(**op)) {
            i += op.len();
            tokens.push((Token::Op(op), start));
        } else {
            return Err(syntax("unexpected character", start));
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    pos: usize,
    depth: usize,
}

/// Deep nesting is refused rather than overflowing the stack on hostile input.
const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn error(&self, reason: &str) -> DslError {
        let offset = self
            .tokens
            .get(self.pos)
            .map_or(self.text.len(), |(_, at)| *at);
        DslError::Syntax {
            expr: self.text.to_owned(),
            reason: reason.to_owned(),
            offset,
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.peek() == Some(&Token::Op(static_op(op))) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expression(&mut self) -> Result<Expr, DslError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("expression nested too deeply"));
        }
        let cond = self.binary(0)?;
        let result = if self.eat_op("?") {
            let then = self.expression()?;
            if !self.eat_op(":") {
                return Err(self.error("expected ':'"));
            }
            let otherwise = self.expression()?;
            Expr::Ternary(Box::new(cond), Box::new(then), Box::new(otherwise))
        } else {
            cond
        };
        self.depth -= 1;
        Ok(result)
    }

    fn binary(&mut self, level: usize) -> Result<Expr, DslError> {
        const LEVELS: [&[(&str, BinOp)]; 5] = [
            &[("||", BinOp::Or)],
            &[("&&", BinOp::And)],
            &[
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
                ("=~", BinOp::Match),
                ("!~", BinOp::NotMatch),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        'outer: loop {
            for (symbol, op) in LEVELS[level] {
                if self.eat_op(symbol) {
                    let right = self.binary(level + 1)?;
                    left = Expr::Binary(*op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }

    fn unary(&mut self) -> Result<Expr, DslError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("expression nested too deeply"));
        }
        let result = if self.eat_op("!") {
            Expr::Unary('!', Box::new(self.unary()?))
        } else if self.eat_op("-") {
            Expr::Unary('-', Box::new(self.unary()?))
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Ok(result)
    }

    fn primary(&mut self) -> Result<Expr, DslError> {
        let Some((token, _)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.error("unexpected end"));
        };
        self.pos += 1;
        match token {
            Token::Num(n) => Ok(Expr::Literal(Value::Num(n))),
            Token::Str(s) => Ok(Expr::Literal(Value::Str(s))),
            Token::Ident(name) => match name.as_str() {
                "true" => Ok(Expr::Literal(Value::Bool(true))),
                "false" => Ok(Expr::Literal(Value::Bool(false))),
                _ if self.peek() == Some(&Token::LParen) => {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if self.peek() == Some(&Token::RParen) {
                        self.pos += 1;
                        return Ok(Expr::Call(name, args));
                    }
                    loop {
                        args.push(self.expression()?);
                        match self.peek() {
                            Some(Token::Comma) => self.pos += 1,
                            Some(Token::RParen) => {
                                self.pos += 1;
                                return Ok(Expr::Call(name, args));
                            }
                            _ => return Err(self.error("expected ',' or ')'")),
                        }
                    }
                }
                _ => Ok(Expr::Var(name)),
            },
            Token::LParen => {
                let inner = self.expression()?;
                if self.peek() != Some(&Token::RParen) {
                    return Err(self.error("expected ')'"));
                }
                self.pos += 1;
                Ok(inner)
            }
            _ => {
                self.pos -= 1;
                Err(self.error("unexpected token"))
            }
        }
    }
}

fn static_op(op: &str) -> &'static str {
    OPERATORS.iter().find(|o| **o == op).copied().unwrap_or("")
}

/// Parses an expression.
pub fn parse(text: &str) -> Result<Expr, DslError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.expression()?;
    if parser.pos != parser.tokens.len() {
        return Err(parser.error("unexpected trailing input"));
    }
    Ok(expr)
}

impl Expr {
    /// Evaluates against the variables.
    pub fn eval(&self, vars: &Vars) -> Result<Value, DslError> {
        match self {
            Expr::Literal(v) => Ok(v.clone()),
            Expr::Var(name) => vars
                .get(name)
                .cloned()
                .ok_or_else(|| DslError::UnknownVariable(name.clone())),
            Expr::Unary('!', inner) => Ok(Value::Bool(!inner.eval(vars)?.truthy())),
            Expr::Unary(_, inner) => {
                let value = inner.eval(vars)?;
                let n = value.as_number().ok_or_else(|| DslError::Operator {
                    op: "-".into(),
                    reason: format!("{value} is not a number"),
                })?;
                Ok(Value::Num(-n))
            }
            Expr::Ternary(cond, then, otherwise) => {
                if cond.eval(vars)?.truthy() {
                    then.eval(vars)
                } else {
                    otherwise.eval(vars)
                }
            }
            Expr::Binary(BinOp::And, left, right) => Ok(Value::Bool(
                left.eval(vars)?.truthy() && right.eval(vars)?.truthy(),
            )),
            Expr::Binary(BinOp::Or, left, right) => Ok(Value::Bool(
                left.eval(vars)?.truthy() || right.eval(vars)?.truthy(),
            )),
            Expr::Binary(op, left, right) => binary(*op, left.eval(vars)?, right.eval(vars)?),
            Expr::Call(name, args) => {
                let values = args
                    .iter()
                    .map(|a| a.eval(vars))
                    .collect::<Result<Vec<_>, _>>()?;
                functions::call(name, &values)
            }
        }
    }

    /// Names of every function the expression calls.
    pub fn functions(&self, out: &mut Vec<String>) {
        match self {
            Expr::Literal(_) | Expr::Var(_) => {}
            Expr::Unary(_, inner) => inner.functions(out),
            Expr::Binary(_, a, b) => {
                a.functions(out);
                b.functions(out);
            }
            Expr::Ternary(a, b, c) => {
                a.functions(out);
                b.functions(out);
                c.functions(out);
            }
            Expr::Call(name, args) => {
                out.push(name.clone());
                for arg in args {
                    arg.functions(out);
                }
            }
        }
    }
}

fn binary(op: BinOp, left: Value, right: Value) -> Result<Value, DslError> {
    let numbers = match (&left, &right) {
        (Value::Str(_), Value::Str(_)) => None,
        _ => left.as_number().zip(right.as_number()),
    };
    let operator_error = |reason: String| DslError::Operator {
        op: op.symbol().to_owned(),
        reason,
    };
    Ok(match op {
        BinOp::Eq | BinOp::Ne => {
            let equal = match (&left, &right, numbers) {
                (Value::Bool(a), Value::Bool(b), _) => a == b,
                (_, _, Some((a, b))) => a == b,
                _ => left.to_string() == right.to_string(),
            };
            Value::Bool(equal == (op == BinOp::Eq))
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ordering = match numbers {
                Some((a, b)) => a.partial_cmp(&b),
                None => Some(left.to_string().cmp(&right.to_string())),
            };
            let Some(ordering) = ordering else {
                return Ok(Value::Bool(false));
            };
            Value::Bool(match op {
                BinOp::Lt => ordering.is_lt(),
                BinOp::Le => ordering.is_le(),
                BinOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        BinOp::Match | BinOp::NotMatch => {
            let matched = functions::regex_match(&right.to_string(), &left.to_string())
                .map_err(|e| operator_error(e.to_string()))?;
            Value::Bool(matched == (op == BinOp::Match))
        }
        BinOp::Add => match numbers {
            Some((a, b)) => Value::Num(a + b),
            None => Value::Str(format!("{left}{right}")),
        },
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
            let (a, b) = numbers
                .ok_or_else(|| operator_error(format!("{left} and {right} are not numbers")))?;
            Value::Num(match op {
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div if b == 0.0 => return Err(operator_error("division by zero".into())),
                BinOp::Div => a / b,
                _ if b == 0.0 => return Err(operator_error("division by zero".into())),
                _ => a % b,
            })
        }
        // Short-circuited in `Expr::eval`; kept total for callers that pass evaluated sides.
        BinOp::And => Value::Bool(left.truthy() && right.truthy()),
        BinOp::Or => Value::Bool(left.truthy() || right.truthy()),
    })
}

/// Replaces every `{{...}}` in `text`: a variable's value when the inner text names one, else the
/// value of the expression. Markers that do not resolve (unknown variable, bad expression) stay
/// as written, so the caller can see what is unresolved. `§name§` payload markers are replaced
/// too.
pub fn interpolate(text: &str, vars: &Vars) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = find_closing(after) else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &after[..end];
        match resolve(inner, vars) {
            Some(value) => out.push_str(&value),
            None => {
                out.push_str("{{");
                out.push_str(inner);
                out.push_str("}}");
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if out.contains('§') {
        for (name, value) in vars {
            let marker = format!("§{name}§");
            if out.contains(&marker) {
                out = out.replace(&marker, &value.to_string());
            }
        }
    }
    out
}

/// The offset of the `}}` closing a marker, skipping `}}` inside nested `{{ }}` and quotes.
fn find_closing(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
        } else if c == b'\'' || c == b'"' {
            quote = Some(c);
        } else if bytes[i..].starts_with(b"{{") {
            depth += 1;
            i += 1;
        } else if bytes[i..].starts_with(b"}}") {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
            i += 1;
        }
        i += 1;
    }
    // An unbalanced quote inside a marker (e.g. a JSON payload): fall back to the first `}}`.
    if quote.is_some() {
        return text.find("}}");
    }
    None
}

fn resolve(inner: &str, vars: &Vars) -> Option<String> {
    let name = inner.trim();
    if let Some(value) = vars.get(name) {
        return Some(value.to_string());
    }
    // Nested markers inside an expression are resolved first (`md5('{{user}}')`).
    let inner = if inner.contains("{{") {
        interpolate(inner, vars)
    } else {
        inner.to_owned()
    };
    parse(&inner)
        .ok()?
        .eval(vars)
        .ok()
        .map(|value| value.to_string())
}

/// The `{{...}}` markers of a text, as written (without braces).
pub fn markers(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = find_closing(after) else {
            break;
        };
        found.push(after[..end].to_owned());
        rest = &after[end + 2..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, vars: &Vars) -> Value {
        parse(text).unwrap().eval(vars).unwrap()
    }

    fn vars() -> Vars {
        let mut vars = Vars::new();
        vars.insert("status_code".into(), Value::Num(200.0));
        vars.insert("body".into(), "<html>Hello Tomcat</html>".into());
        vars.insert("user".into(), "admin".into());
        vars
    }

    #[test]
    fn operators_follow_govaluate_precedence() {
        let v = vars();
        assert_eq!(eval("1 + 2 * 3", &v), Value::Num(7.0));
        assert_eq!(eval("(1 + 2) * 3", &v), Value::Num(9.0));
        assert_eq!(eval("10 % 4 - 1", &v), Value::Num(1.0));
        assert_eq!(eval("status_code == 200 && !false", &v), Value::Bool(true));
        assert_eq!(
            eval("status_code != 301 && status_code != 302", &v),
            Value::Bool(true)
        );
        assert_eq!(eval("status_code >= 500 || 1 < 2", &v), Value::Bool(true));
        assert_eq!(eval("'a' + 'b' + 1", &v), Value::Str("ab1".into()));
        assert_eq!(eval("-3 + 1", &v), Value::Num(-2.0));
        assert_eq!(
            eval("status_code == 200 ? 'yes' : 'no'", &v),
            Value::Str("yes".into())
        );
        assert_eq!(eval("body =~ 'Tom(cat)'", &v), Value::Bool(true));
    }

    #[test]
    fn helpers_are_called_with_nested_arguments() {
        let v = vars();
        assert_eq!(
            eval("contains(tolower(body), 'tomcat') && len(body) > 3", &v),
            Value::Bool(true)
        );
        assert_eq!(
            eval("!regex('(?i)x-frame-options', body)", &v),
            Value::Bool(true)
        );
        assert_eq!(
            eval("base64(user + ':' + 'pw')", &v),
            Value::Str("YWRtaW46cHc=".into())
        );
    }

    #[test]
    fn unknown_names_are_errors_not_false() {
        let v = vars();
        assert_eq!(
            parse("header_2 == 'x'").unwrap().eval(&v),
            Err(DslError::UnknownVariable("header_2".into()))
        );
        assert!(matches!(
            parse("nosuch(1)").unwrap().eval(&v),
            Err(DslError::UnknownFunction(_))
        ));
        assert!(parse("1 +").is_err());
        assert!(parse("(1").is_err());
        assert!(parse("'open").is_err());
    }

    #[test]
    fn interpolation_resolves_variables_and_expressions_and_keeps_the_rest() {
        let v = vars();
        assert_eq!(
            interpolate("/login?u={{user}}&h={{md5(user)}}", &v),
            "/login?u=admin&h=21232f297a57a5a743894a0e4a801fc3"
        );
        assert_eq!(interpolate("{{missing}}/x", &v), "{{missing}}/x");
        assert_eq!(interpolate("{{base64('{{user}}')}}", &v), "YWRtaW4=");
        assert_eq!(interpolate("a §user§ b", &v), "a admin b");
        assert_eq!(interpolate("no markers {{ open", &v), "no markers {{ open");
    }
}
