//! The `condition` grammar: `and`, `or`, `not`, parentheses, `1 of x*`, `all of x*`, `N of`,
//! `1 of them`, `all of them`. Precedence, loosest first: `or`, `and`, `not`, `x of`, brackets.

/// A condition over search identifiers (indices into the rule's selection list).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A search identifier.
    Sel(usize),
    /// All must hold.
    And(Vec<Expr>),
    /// One must hold.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// At least `n` of them hold (`N of`).
    AtLeast(usize, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Of,
    All,
    Num(usize),
    Ident(String),
    Pipe,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        match c {
            '(' => {
                chars.next();
                toks.push(Tok::LParen);
            }
            ')' => {
                chars.next();
                toks.push(Tok::RParen);
            }
            '|' => {
                chars.next();
                toks.push(Tok::Pipe);
            }
            _ => {
                let start = i;
                let mut end = i;
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_whitespace() || d == '(' || d == ')' || d == '|' {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                let word = &text[start..end];
                let tok = match word.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "of" => Tok::Of,
                    "all" => Tok::All,
                    w if w.bytes().all(|b| b.is_ascii_digit()) => {
                        Tok::Num(w.parse().map_err(|_| format!("bad number '{w}'"))?)
                    }
                    _ => Tok::Ident(word.to_string()),
                };
                toks.push(tok);
            }
        }
    }
    Ok(toks)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [String],
}

/// Parses a condition against the rule's search identifier names.
pub(crate) fn parse(text: &str, names: &[String]) -> Result<Expr, String> {
    let toks = tokenize(text)?;
    if let Some(p) = toks.iter().position(|t| *t == Tok::Pipe) {
        let _ = p;
        return Err(
            "aggregation in condition (`| count() ...`) is not supported; use a correlation rule"
                .into(),
        );
    }
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
    };
    let expr = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!(
            "unexpected {:?} in condition '{text}'",
            p.toks[p.pos]
        ));
    }
    Ok(expr)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.not()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.peek() == Some(&Tok::Not) {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => Err("missing ')'".into()),
                }
            }
            Some(Tok::Num(n)) => self.quantified(Some(n)),
            Some(Tok::All) => self.quantified(None),
            Some(Tok::Ident(name)) => {
                if name.contains('*') {
                    return Err(format!(
                        "wildcard identifier '{name}' needs '1 of' or 'all of'"
                    ));
                }
                match self.names.iter().position(|n| *n == name) {
                    Some(i) => Ok(Expr::Sel(i)),
                    None => Err(format!("unknown search identifier '{name}'")),
                }
            }
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("condition ends too early".into()),
        }
    }

    /// `N of x` / `all of x` (`n == None` is `all`).
    fn quantified(&mut self, n: Option<usize>) -> Result<Expr, String> {
        if self.next() != Some(Tok::Of) {
            return Err("expected 'of'".into());
        }
        let target = match self.next() {
            Some(Tok::Ident(t)) => t,
            other => {
                return Err(format!(
                    "expected a search identifier after 'of', got {other:?}"
                ))
            }
        };
        let members: Vec<Expr> = if target == "them" {
            self.names
                .iter()
                .enumerate()
                .filter(|(_, n)| !n.starts_with('_'))
                .map(|(i, _)| Expr::Sel(i))
                .collect()
        } else {
            self.names
                .iter()
                .enumerate()
                .filter(|(_, n)| wildcard_name_match(&target, n))
                .map(|(i, _)| Expr::Sel(i))
                .collect()
        };
        if members.is_empty() {
            return Err(format!("no search identifier matches '{target}'"));
        }
        Ok(match n {
            None => Expr::And(members),
            Some(0) => return Err("'0 of' is meaningless".into()),
            Some(1) => Expr::Or(members),
            Some(n) => Expr::AtLeast(n, members),
        })
    }
}

/// Identifier patterns: `*` is any run of characters; everything else literal.
fn wildcard_name_match(pattern: &str, name: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    if pieces.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, piece) in pieces.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(piece) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == pieces.len() - 1 {
            return rest.ends_with(piece);
        } else {
            match rest.find(piece) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn precedence_not_binds_tighter_than_and_than_or() {
        let n = names(&["a", "b", "c"]);
        assert_eq!(
            parse("a or b and not c", &n).unwrap(),
            Expr::Or(vec![
                Expr::Sel(0),
                Expr::And(vec![Expr::Sel(1), Expr::Not(Box::new(Expr::Sel(2)))])
            ])
        );
        assert_eq!(
            parse("(a or b) and c", &n).unwrap(),
            Expr::And(vec![
                Expr::Or(vec![Expr::Sel(0), Expr::Sel(1)]),
                Expr::Sel(2)
            ])
        );
        assert_eq!(
            parse("not not a", &n).unwrap(),
            Expr::Not(Box::new(Expr::Not(Box::new(Expr::Sel(0)))))
        );
    }

    #[test]
    fn quantifiers_expand_wildcards_and_them() {
        let n = names(&["selection_a", "selection_b", "filter_x", "_hidden"]);
        assert_eq!(
            parse("1 of selection_*", &n).unwrap(),
            Expr::Or(vec![Expr::Sel(0), Expr::Sel(1)])
        );
        assert_eq!(
            parse("all of selection_* and not 1 of filter*", &n).unwrap(),
            Expr::And(vec![
                Expr::And(vec![Expr::Sel(0), Expr::Sel(1)]),
                Expr::Not(Box::new(Expr::Or(vec![Expr::Sel(2)])))
            ])
        );
        assert_eq!(
            parse("all of them", &n).unwrap(),
            Expr::And(vec![Expr::Sel(0), Expr::Sel(1), Expr::Sel(2)])
        );
        assert_eq!(
            parse("2 of them", &n).unwrap(),
            Expr::AtLeast(2, vec![Expr::Sel(0), Expr::Sel(1), Expr::Sel(2)])
        );
        assert_eq!(parse("1 of *_b", &n).unwrap(), Expr::Or(vec![Expr::Sel(1)]));
        assert_eq!(
            parse("1 of s*_*", &n).unwrap(),
            Expr::Or(vec![Expr::Sel(0), Expr::Sel(1)])
        );
    }

    #[test]
    fn bad_conditions_say_why() {
        let n = names(&["a", "b"]);
        assert!(parse("a and", &n).unwrap_err().contains("ends too early"));
        assert!(parse("a and c", &n)
            .unwrap_err()
            .contains("unknown search identifier 'c'"));
        assert!(parse("(a or b", &n).unwrap_err().contains("missing ')'"));
        assert!(parse("a | count() > 5", &n)
            .unwrap_err()
            .contains("aggregation"));
        assert!(parse("1 of x*", &n)
            .unwrap_err()
            .contains("no search identifier"));
        assert!(parse("a b", &n).unwrap_err().contains("unexpected"));
        assert!(parse("a*", &n).unwrap_err().contains("needs '1 of'"));
        assert!(parse("", &n).is_err());
    }
}
