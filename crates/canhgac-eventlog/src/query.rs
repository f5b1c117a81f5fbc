//! Queries: what a caller asks for, and its compiled form that tests blocks and events.

use std::fmt;
use std::str::FromStr;

use canhgac_model::{FieldValue, Id, Timestamp};
use serde::{Deserialize, Serialize};

use crate::codec::{utf8, DecodeResult, EventView, ValueRef};
use crate::segment::BlockMeta;
use crate::tokens::{self, field_token, host_token, lower_into, value_text};

/// Which units' events a search may return.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitFilter {
    /// Every event, unattributed ones included (administrators).
    #[default]
    Any,
    /// Only events of these units, plus unattributed events when `unattributed` is set.
    Only {
        /// The units whose events may be returned.
        units: Vec<Id>,
        /// Whether events attributed to no unit may be returned.
        unattributed: bool,
    },
}

/// A search over stored events. Every condition given must hold; text comparisons ignore case.
///
/// - `from` (inclusive) and `to` (exclusive) bound the event's own time;
/// - `host` equals the event's host;
/// - each `(name, value)` of `fields` equals the text of a field of that name (names compare
///   ignoring case too; a list field matches when any element, or the whole list as text,
///   equals the value);
/// - every whitespace-separated term of `text` appears in the message or in a field value,
///   starting and ending on word boundaries: `mimikatz` finds `C:\t\mimikatz.exe`, `mimi`
///   does not; `10.0.0.5` finds `from 10.0.0.5:443` but not `10.0.0.51`.
///
/// Results come newest first in the order they were stored (arrival order, not event time:
/// an imported old file appears where it was imported), at most `limit` of them, strictly
/// before the `before` cursor when one is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventQuery {
    /// Earliest event time, inclusive.
    pub from: Option<Timestamp>,
    /// Latest event time, exclusive.
    pub to: Option<Timestamp>,
    /// Which units' events may be returned.
    pub units: UnitFilter,
    /// The event's host, compared ignoring case.
    pub host: Option<String>,
    /// `field = value` conditions, compared ignoring case.
    pub fields: Vec<(String, String)>,
    /// Words that must all appear in the message or field values.
    pub text: Option<String>,
    /// Most events to return.
    pub limit: usize,
    /// Continue after a previous page: only events stored before this cursor.
    pub before: Option<Cursor>,
}

impl Default for EventQuery {
    /// Everything, newest first, 100 at a time.
    fn default() -> Self {
        Self {
            from: None,
            to: None,
            units: UnitFilter::Any,
            host: None,
            fields: Vec::new(),
            text: None,
            limit: 100,
            before: None,
        }
    }
}

/// The position of a stored event, for paging. Opaque: print it with `to_string`, read it back
/// with `parse` (it is URL-safe), or carry it through serde as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(pub(crate) u64);

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{:x}", self.0)
    }
}

/// A string that is not a cursor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an event cursor: {0:?}")]
pub struct CursorError(pub String);

impl FromStr for Cursor {
    type Err = CursorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.strip_prefix('e')
            .filter(|hex| !hex.is_empty() && hex.len() <= 16)
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .map(Cursor)
            .ok_or_else(|| CursorError(s.to_string()))
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A query prepared for testing: lower-cased, tokenised.
pub(crate) struct Compiled {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// `None` for any unit; else sorted units and whether unattributed events are allowed.
    pub units: Option<(Vec<Id>, bool)>,
    pub host: Option<String>,
    pub fields: Vec<(String, String)>,
    pub terms: Vec<Term>,
    /// Tokens every matching block's bloom filter must hold.
    pub tokens: Vec<u64>,
    pub before: u64,
    pub limit: usize,
    /// Whether block summaries may rule blocks out (off only for the benchmark's baseline).
    pub use_summaries: bool,
}

impl Compiled {
    pub(crate) fn new(q: &EventQuery) -> Self {
        let mut buf = String::new();
        let mut toks = Vec::new();
        let host = q
            .host
            .as_deref()
            .map(|h| lower_into(h.trim(), &mut buf).to_string());
        if let Some(h) = &host {
            toks.push(host_token(h));
        }
        let fields: Vec<(String, String)> = q
            .fields
            .iter()
            .map(|(n, v)| {
                let n = lower_into(n.trim(), &mut buf).to_string();
                let v = lower_into(v, &mut buf).to_string();
                (n, v)
            })
            .collect();
        for (n, v) in &fields {
            let t = field_token(n, v);
            toks.push(t);
            if let Some(h) = &host {
                toks.push(tokens::scoped_token(host_token(h), t));
            }
        }
        let terms: Vec<String> = q
            .text
            .as_deref()
            .map(|t| {
                lower_into(t, &mut buf)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        for term in &terms {
            tokens::text_tokens(term, &mut toks);
        }
        let terms: Vec<Term> = terms.iter().map(|t| Term::new(t)).collect();
        toks.sort_unstable();
        toks.dedup();
        let units = match &q.units {
            UnitFilter::Any => None,
            UnitFilter::Only {
                units,
                unattributed,
            } => {
                let mut units = units.clone();
                units.sort_unstable();
                units.dedup();
                Some((units, *unattributed))
            }
        };
        Self {
            from: q.from,
            to: q.to,
            units,
            host,
            fields,
            terms,
            tokens: toks,
            before: q.before.map_or(u64::MAX, |c| c.0),
            limit: q.limit,
            use_summaries: true,
        }
    }

    /// Whether events in the time range `[min, max]` may match.
    pub(crate) fn time_overlaps(&self, min: Timestamp, max: Timestamp) -> bool {
        self.from.is_none_or(|from| max >= from) && self.to.is_none_or(|to| min < to)
    }

    fn time_ok(&self, t: Timestamp) -> bool {
        self.time_overlaps(t, t)
    }

    fn unit_ok(&self, unit: Option<Id>) -> bool {
        match (&self.units, unit) {
            (None, _) => true,
            (Some((units, _)), Some(u)) => units.binary_search(&u).is_ok(),
            (Some((_, unattributed)), None) => *unattributed,
        }
    }

    /// Whether a block may hold a match, by its summary (bloom filter aside).
    pub(crate) fn block_may_match(&self, meta: &BlockMeta) -> bool {
        if meta.first_seq >= self.before || !self.time_overlaps(meta.min_time, meta.max_time) {
            return false;
        }
        match &self.units {
            None => true,
            Some((units, unattributed)) => {
                (*unattributed && meta.unattributed)
                    || units.iter().any(|u| meta.units.binary_search(u).is_ok())
            }
        }
    }

    /// Whether an event's time and unit (read before decoding the rest) allow a match.
    pub(crate) fn head_ok(&self, time: Timestamp, unit: Option<Id>) -> bool {
        self.time_ok(time) && self.unit_ok(unit)
    }

    /// The full test of an event read in place (time and unit are checked by [`Self::head_ok`]).
    pub(crate) fn matches(&self, v: &EventView<'_>, s: &mut MatchScratch) -> DecodeResult<bool> {
        if let Some(h) = &self.host {
            match v.host {
                Some(eh) if eq_lower(eh, h, &mut s.a)? => {}
                _ => return Ok(false),
            }
        }
        if self.fields.is_empty() && self.terms.is_empty() {
            return Ok(true);
        }
        let all_fields = mask(self.fields.len());
        let all_terms = mask(self.terms.len());
        let mut fields_found = 0u64;
        let mut terms_found = 0u64;
        let MatchScratch { a, b, c, bytes } = s;
        if !self.terms.is_empty() {
            let m = lower_bytes(v.message, bytes, a)?;
            terms_found |= self.terms_in(m, terms_found);
        }
        let mut failure = None;
        v.fields(|name, value| {
            let text = match &value {
                ValueRef::Str(text) => *text,
                ValueRef::Other(other) => value_text(other, a).as_bytes(),
            };
            let mut step = || -> DecodeResult<()> {
                if fields_found != all_fields {
                    for (i, (want_name, want_value)) in self.fields.iter().enumerate().take(64) {
                        if eq_lower(name, want_name, b)?
                            && (eq_lower(text, want_value, c)?
                                || matches!(&value, ValueRef::Other(FieldValue::List(items))
                                    if items.iter().any(|item| value_equals(item, want_value, c))))
                        {
                            fields_found |= 1 << i;
                        }
                    }
                }
                if terms_found != all_terms {
                    let text = lower_bytes(text, bytes, b)?;
                    terms_found |= self.terms_in(text, terms_found);
                }
                Ok(())
            };
            if let Err(e) = step() {
                failure = Some(e);
                return false;
            }
            fields_found != all_fields || terms_found != all_terms
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(fields_found == all_fields && terms_found == all_terms)
    }

    /// Whether a block's decompressed bytes may hold a match: false when a term that can be
    /// looked for in raw bytes is absent from them (`buf` is scratch).
    pub(crate) fn block_bytes_may_match(&self, raw: &[u8], buf: &mut Vec<u8>) -> bool {
        if !self.terms.iter().any(Term::can_prefilter) {
            return true;
        }
        ascii_lower_for_search(raw, buf);
        self.terms
            .iter()
            .filter(|t| t.can_prefilter())
            .all(|t| t.finder.find(buf).is_some())
    }

    /// The terms not yet in `found` that occur in `text_lower`, as a mask.
    fn terms_in(&self, text_lower: &[u8], found: u64) -> u64 {
        let mut mask = 0;
        for (i, t) in self.terms.iter().enumerate().take(64) {
            if found & (1 << i) == 0 && t.occurs_in(text_lower) {
                mask |= 1 << i;
            }
        }
        mask
    }
}

/// A free-text term with its searcher built once.
pub(crate) struct Term {
    text: String,
    finder: memchr::memmem::Finder<'static>,
    first_alnum: bool,
    last_alnum: bool,
}

impl Term {
    fn new(text_lower: &str) -> Self {
        Self {
            finder: memchr::memmem::Finder::new(text_lower.as_bytes()).into_owned(),
            first_alnum: text_lower.chars().next().is_some_and(char::is_alphanumeric),
            last_alnum: text_lower
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric),
            text: text_lower.to_string(),
        }
    }

    /// Whether a block whose bytes do not hold this term can be skipped. Numbers, booleans and
    /// lists of them are stored in binary, so the term must be one their text cannot hold:
    /// that text is made of digits, `.` (one per number), `-` (leading), the words `true`,
    /// `false`, `NaN`, `inf`, and `, ` between list items. So: ASCII, no comma, and a word
    /// that is none of those, or another sign, or two dots, or a dash inside
    /// (`mimikatz`, `10.0.0.5`, `2026-11-20`, `a:b` qualify; `4625`, `-1.5`, `true` do not).
    fn can_prefilter(&self) -> bool {
        let t = &self.text;
        if !t.is_ascii() || t.contains(',') {
            return false;
        }
        let mut wordy = false;
        tokens::words(t, |w| {
            if !w.bytes().all(|b| b.is_ascii_digit())
                && !["true", "false", "nan", "inf"].contains(&w)
            {
                wordy = true;
            }
        });
        let other_sign = t
            .bytes()
            .any(|b| !b.is_ascii_alphanumeric() && b != b'.' && b != b'-');
        let dots = t.bytes().filter(|&b| b == b'.').count();
        let inner_dash = t.bytes().skip(1).any(|b| b == b'-');
        wordy || other_sign || dots >= 2 || inner_dash
    }

    /// Whether the term occurs in `hay` (lower-cased UTF-8) where it does not cut a word in two.
    fn occurs_in(&self, hay: &[u8]) -> bool {
        self.finder.find_iter(hay).any(|start| {
            let end = start + self.text.len();
            (!self.first_alnum || !alnum_before(hay, start))
                && (!self.last_alnum || !alnum_at(hay, end))
        })
    }
}

/// Buffers reused across the events of a search.
#[derive(Default)]
pub(crate) struct MatchScratch {
    a: String,
    b: String,
    c: String,
    bytes: Vec<u8>,
}

/// A mask of the first `n` bits (conditions beyond 64 are ignored: no query has that many).
fn mask(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// Whether stored `text` lower-cased equals `want_lower`.
fn eq_lower(text: &[u8], want_lower: &str, buf: &mut String) -> DecodeResult<bool> {
    if text.is_ascii() {
        // ASCII lower-cases to ASCII: a non-ASCII `want_lower` cannot be equal.
        return Ok(want_lower.is_ascii() && text.eq_ignore_ascii_case(want_lower.as_bytes()));
    }
    Ok(lower_into(utf8(text)?, buf) == want_lower)
}

/// Stored `text` lower-cased, in `buf`: UTF-8 bytes.
fn lower_bytes<'b>(
    text: &[u8],
    buf: &'b mut Vec<u8>,
    chars: &mut String,
) -> DecodeResult<&'b [u8]> {
    buf.clear();
    if text.is_ascii() {
        buf.extend(text.iter().map(u8::to_ascii_lowercase));
    } else {
        buf.extend_from_slice(lower_into(utf8(text)?, chars).as_bytes());
    }
    Ok(buf)
}

/// Lower-cases ASCII letters of `raw` into `out`, and the two characters whose lower case
/// holds an ASCII letter (U+212A KELVIN SIGN, U+0130 CAPITAL I WITH DOT ABOVE) into it, so that
/// an ASCII term found in an event's lower-cased text is found in `out` too.
fn ascii_lower_for_search(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let kelvin = "\u{212A}".as_bytes();
    let dotted_i = "\u{130}".as_bytes();
    let special = memchr::memmem::find(raw, kelvin).is_some()
        || memchr::memmem::find(raw, dotted_i).is_some();
    if !special {
        // The common case, which the compiler vectorises.
        out.extend(raw.iter().map(u8::to_ascii_lowercase));
        return;
    }
    out.reserve(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i..].starts_with(kelvin) {
            out.push(b'k');
            i += kelvin.len();
        } else if raw[i..].starts_with(dotted_i) {
            out.extend_from_slice("i\u{307}".as_bytes());
            i += dotted_i.len();
        } else {
            out.push(raw[i].to_ascii_lowercase());
            i += 1;
        }
    }
}

/// The character of UTF-8 `s` that starts at byte `at`, if any.
fn alnum_at(s: &[u8], at: usize) -> bool {
    match s.get(at) {
        None => false,
        Some(b) if b.is_ascii() => b.is_ascii_alphanumeric(),
        Some(_) => {
            let end = (at + 4).min(s.len());
            let text = match std::str::from_utf8(&s[at..end]) {
                Ok(t) => t,
                Err(e) => std::str::from_utf8(&s[at..at + e.valid_up_to()]).unwrap_or(""),
            };
            text.chars().next().is_some_and(char::is_alphanumeric)
        }
    }
}

/// Whether the character of UTF-8 `s` that ends at byte `at` is alphanumeric.
fn alnum_before(s: &[u8], at: usize) -> bool {
    if at == 0 {
        return false;
    }
    let mut start = at - 1;
    // Back over continuation bytes to the first byte of the character.
    while start > 0 && at - start < 4 && s[start] & 0xc0 == 0x80 {
        start -= 1;
    }
    alnum_at(&s[..at], start)
}

fn value_equals(v: &FieldValue, want_lower: &str, buf: &mut String) -> bool {
    if lower_into(&v.to_text(), buf) == want_lower {
        return true;
    }
    match v {
        FieldValue::List(items) => items.iter().any(|i| value_equals(i, want_lower, buf)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_as_text_and_json() {
        let c = Cursor(0xdead_beef);
        let s = c.to_string();
        assert_eq!(s, "edeadbeef");
        assert_eq!(s.parse::<Cursor>().unwrap(), c);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), c);
        for bad in ["", "e", "x12", "e12345678901234567", "e-1", "ezz"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }

    fn contains_on_boundaries(hay: &str, needle: &str) -> bool {
        Term::new(needle).occurs_in(hay.as_bytes())
    }

    #[test]
    fn terms_match_on_word_boundaries_only() {
        assert!(contains_on_boundaries("c:\\t\\mimikatz.exe", "mimikatz"));
        assert!(!contains_on_boundaries("c:\\t\\mimikatz.exe", "mimi"));
        assert!(contains_on_boundaries("from 10.0.0.5:443", "10.0.0.5"));
        assert!(!contains_on_boundaries("from 10.0.0.51", "10.0.0.5"));
        assert!(contains_on_boundaries(
            "x10.0.0.51 and 10.0.0.5",
            "10.0.0.5"
        ));
        assert!(contains_on_boundaries("đăng nhập thất bại", "nhập"));
        assert!(!contains_on_boundaries("đăngnhập", "nhập"));
        assert!(!contains_on_boundaries("nhậpđ", "nhập"));
        assert!(contains_on_boundaries("ăn nhập", "nhập"));
        assert!(contains_on_boundaries("a=-enc b", "-enc"));
    }

    #[test]
    fn only_wordy_ascii_terms_filter_raw_blocks() {
        let t = |s: &str| Term::new(s).can_prefilter();
        assert!(t("mimikatz") && t("10.0.0.5:x") && t("failed") && t("10.0.0.5"));
        assert!(t("2026-11-20") && t("a:1") && t("1.2.3"));
        assert!(!t("4625") && !t("-1.5") && !t("true") && !t("-inf") && !t("nhập"));
        assert!(!t("admin,") && !t("1.5") && !t("-12"));
        let mut buf = Vec::new();
        ascii_lower_for_search("A\u{212A}ELVIN \u{130}X".as_bytes(), &mut buf);
        assert_eq!(String::from_utf8(buf).unwrap(), "akelvin i\u{307}x");
    }
}
