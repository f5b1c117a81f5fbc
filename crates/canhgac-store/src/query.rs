//! A tiny SQL builder: text with `$n` placeholders plus the values to bind, in the subset of SQL
//! that SQLite and PostgreSQL share.
//!
//! sqlx's own `QueryBuilder` writes `?` placeholders for the `Any` driver, which PostgreSQL
//! rejects, hence this.

use std::fmt::Write as _;

use sqlx::any::{Any, AnyArguments};
use sqlx::query::Query;

/// A value to bind. Only the two types the schema uses.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// A 64-bit integer (ids, timestamps, flags).
    Int(Option<i64>),
    /// Text (codes, names, dates, JSON).
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}

/// SQL text under construction with its arguments.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends raw SQL (never user input).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// Appends `col >= lo AND col < hi` alternatives matching paths under any of `prefixes`;
    /// a plain range keeps the path index usable on both engines (unlike `LIKE`).
    /// Appends ` AND column IN (values...)`, or nothing when `values` is empty.
    pub(crate) fn and_in<'v>(
        &mut self,
        column: &str,
        values: impl IntoIterator<Item = &'v str>,
    ) -> &mut Self {
        let mut values = values.into_iter().peekable();
        if values.peek().is_none() {
            return self;
        }
        self.push(" AND ").push(column).push(" IN (");
        for (i, value) in values.enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")")
    }

    pub(crate) fn push_path_scope(&mut self, column: &str, prefixes: &[String]) -> &mut Self {
        if prefixes.is_empty() {
            return self.push("1 = 0");
        }
        self.push("(");
        for (i, prefix) in prefixes.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push("(")
                .push(column)
                .push(" >= ")
                .bind(prefix.as_str())
                .push(" AND ")
                .push(column)
                .push(" < ")
                .bind(path_upper_bound(prefix))
                .push(")");
        }
        self.push(")")
    }

    /// Appends a case-insensitive substring match of `q` on any of `columns`.
    pub(crate) fn push_text_search(&mut self, columns: &[&str], q: &str) -> &mut Self {
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        self.push("(");
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            // `*_lc` columns are stored lower-cased (Unicode-aware), so they need no LOWER().
            if column.ends_with("_lc") {
                self.push(column);
            } else {
                self.push("LOWER(").push(column).push(")");
            }
            self.push(" LIKE LOWER(")
                .bind(pattern.as_str())
                .push(") ESCAPE '\\'");
        }
        self.push(")")
    }

    /// The query, ready to run.
    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The smallest string greater than every string starting with `prefix` (paths end in `/`,
/// whose successor is `0`).
pub(crate) fn path_upper_bound(prefix: &str) -> String {
    let mut out = prefix.to_string();
    match out.pop() {
        Some(last) => {
            out.push(char::from_u32(u32::from(last) + 1).unwrap_or(char::MAX));
        }
        None => out.push(char::MAX),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        let mut sql = Sql::new("SELECT 1 WHERE ");
        sql.push_path_scope("path", &["/1/".into(), "/7/9/".into()]);
        assert_eq!(
            sql.text,
            "SELECT 1 WHERE ((path >= $1 AND path < $2) OR (path >= $3 AND path < $4))"
        );
        assert!(matches!(&sql.args[1], Arg::Text(Some(s)) if s == "/10"));
        let mut empty = Sql::new("");
        empty.push_path_scope("path", &[]);
        assert_eq!(empty.text, "1 = 0");
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        let mut sql = Sql::new("");
        sql.push_text_search(&["name_lc", "code"], "Sở_1");
        assert_eq!(
            sql.text,
            "(name_lc LIKE LOWER($1) ESCAPE '\\' OR LOWER(code) LIKE LOWER($2) ESCAPE '\\')"
        );
        assert!(matches!(&sql.args[0], Arg::Text(Some(s)) if s == "%sở\\_1%"));
    }
}
