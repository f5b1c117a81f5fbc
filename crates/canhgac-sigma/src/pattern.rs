//! Sigma string values: wildcards, escapes and the string-producing modifiers (`windash`,
//! `base64`, `base64offset`, `utf16*`/`wide`, `expand`), down to a compiled [`StrPattern`].
//!
//! A value is first parsed into [`SigmaStr`] parts (literal bytes, `*`, `?`), transformed by the
//! modifiers in the order the rule names them, then anchored (`contains`, `startswith`,
//! `endswith`) and simplified: most values end as an exact, prefix, suffix or substring test on
//! bytes, and only the rest as a small glob.

use base64::Engine as _;

/// One piece of a Sigma string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Bytes matched as they are (after case folding unless `cased`).
    Lit(Vec<u8>),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    Quest,
}

/// A Sigma string value: literal bytes and wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SigmaStr(pub(crate) Vec<Part>);

impl SigmaStr {
    /// Parses a plain rule value: `*` and `?` are wildcards, `\*`, `\?` and `\\` are the
    /// literal characters, and a backslash before anything else is itself literal.
    pub(crate) fn parse(text: &str) -> Self {
        let mut out = SigmaStr::default();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&next @ ('*' | '?' | '\\')) => {
                        chars.next();
                        out.push_char(next);
                    }
                    _ => out.push_char('\\'),
                },
                '*' => out.push_wild(Part::Star),
                '?' => out.push_wild(Part::Quest),
                c => out.push_char(c),
            }
        }
        out
    }

    /// A string of literal bytes only (no wildcards).
    pub(crate) fn literal(bytes: &[u8]) -> Self {
        let mut out = SigmaStr::default();
        out.push_bytes(bytes);
        out
    }

    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.push_bytes(c.encode_utf8(&mut buf).as_bytes());
    }

    pub(crate) fn push_bytes(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(Part::Lit(last)) = self.0.last_mut() {
            last.extend_from_slice(bytes);
        } else {
            self.0.push(Part::Lit(bytes.to_vec()));
        }
    }

    fn push_wild(&mut self, part: Part) {
        // `**` is `*`.
        if part == Part::Star && self.0.last() == Some(&Part::Star) {
            return;
        }
        self.0.push(part);
    }

    /// True when the value has a `*` or `?`.
    #[cfg(test)]
    pub(crate) fn has_wildcards(&self) -> bool {
        self.0.iter().any(|p| !matches!(p, Part::Lit(_)))
    }

    /// The literal bytes, when there are no wildcards.
    pub(crate) fn as_literal(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for part in &self.0 {
            match part {
                Part::Lit(b) => out.extend_from_slice(b),
                _ => return None,
            }
        }
        Some(out)
    }

    /// `contains`: `*` around the value.
    pub(crate) fn wrap(mut self, start: bool, end: bool) -> Self {
        if start && self.0.first() != Some(&Part::Star) {
            self.0.insert(0, Part::Star);
        }
        if end && self.0.last() != Some(&Part::Star) {
            self.0.push(Part::Star);
        }
        self
    }

    /// Case folding of the literal parts.
    pub(crate) fn fold(&self) -> Self {
        SigmaStr(
            self.0
                .iter()
                .map(|p| match p {
                    Part::Lit(b) => Part::Lit(fold_bytes(b)),
                    other => other.clone(),
                })
                .collect(),
        )
    }
}

/// Case folding used on both sides of every case-insensitive comparison: each character
/// lower-cased on its own (so folding commutes with concatenation, which `str::to_lowercase`'s
/// final-sigma rule does not). Bytes that are not UTF-8 fold as ASCII.
pub(crate) fn fold_bytes(bytes: &[u8]) -> Vec<u8> {
    if bytes.is_ascii() {
        return bytes.to_ascii_lowercase();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => fold_str(s).into_bytes(),
        Err(_) => bytes.to_ascii_lowercase(),
    }
}

/// [`fold_bytes`] for text, into a reused buffer.
pub(crate) fn fold_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.push_str(s);
        out.make_ascii_lowercase();
    } else {
        out.reserve(s.len());
        for c in s.chars() {
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        }
    }
}

/// [`fold_bytes`] for text.
pub(crate) fn fold_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// The dash-like characters `windash` permutes.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Most dashes one `windash` value may hold (5^n variants).
pub(crate) const WINDASH_MAX_DASHES: usize = 4;

/// `windash`: every permutation of the value in which each of `-`, `/`, en dash, em dash and
/// horizontal bar is replaced by each of the five (the specification's wording: all of these
/// characters are interchangeable). `None` when the value holds more than
/// [`WINDASH_MAX_DASHES`] of them.
pub(crate) fn windash(value: &SigmaStr) -> Option<Vec<SigmaStr>> {
    let mut variants: Vec<SigmaStr> = vec![SigmaStr::default()];
    let mut dashes = 0usize;
    for part in &value.0 {
        match part {
            Part::Lit(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                for c in text.chars() {
                    if DASHES.contains(&c) {
                        dashes += 1;
                        if dashes > WINDASH_MAX_DASHES {
                            return None;
                        }
                        let mut next = Vec::with_capacity(variants.len() * DASHES.len());
                        for v in &variants {
                            for d in DASHES {
                                let mut nv = v.clone();
                                nv.push_char(d);
                                next.push(nv);
                            }
                        }
                        variants = next;
                    } else {
                        for v in &mut variants {
                            v.push_char(c);
                        }
                    }
                }
            }
            wild => {
                for v in &mut variants {
                    v.push_wild(wild.clone());
                }
            }
        }
    }
    Some(variants)
}

/// UTF-16 little-endian bytes of a text.
pub(crate) fn utf16le(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect()
}

/// UTF-16 big-endian bytes of a text.
pub(crate) fn utf16be(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect()
}

/// UTF-16 with a byte-order mark (little-endian, as Windows writes it).
pub(crate) fn utf16bom(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(utf16le(bytes));
    out
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into_bytes()
}

/// `base64offset`: the three encodings of `bytes` as it may sit at offset 0, 1 or 2 inside a
/// longer base64-encoded text, keeping only the characters that depend on `bytes` alone.
pub(crate) fn base64_offsets(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(3);
    for shift in 0..3usize {
        let mut data = vec![0u8; shift];
        data.extend_from_slice(bytes);
        let enc = base64(&data);
        // Leading characters that also encode the shift bytes.
        let start = [0, 2, 3][shift];
        // Trailing characters of an incomplete last group (padding and the partial character).
        let end_cut = match data.len() % 3 {
            0 => 0,
            1 => 3,
            _ => 2,
        };
        let end = enc.len().saturating_sub(end_cut);
        if start < end {
            let piece = enc[start..end].to_vec();
            if !out.contains(&piece) {
                out.push(piece);
            }
        }
    }
    out
}

/// A compiled string test on bytes (already case-folded on both sides unless cased).
#[derive(Debug, Clone)]
pub(crate) enum StrPattern {
    /// The whole value equals the bytes.
    Exact(Vec<u8>),
    /// The value begins with the bytes.
    Prefix(Vec<u8>),
    /// The value ends with the bytes.
    Suffix(Vec<u8>),
    /// The value contains the bytes.
    Contains(Box<memchr::memmem::Finder<'static>>),
    /// Anything (`*`).
    Any,
    /// Wildcards inside: a glob over the parts.
    Glob(Vec<Part>),
}

impl StrPattern {
    /// Compiles a (folded, unless cased) Sigma string.
    pub(crate) fn compile(value: &SigmaStr) -> Self {
        let parts = &value.0;
        match parts.as_slice() {
            [] => StrPattern::Exact(Vec::new()),
            [Part::Star] => StrPattern::Any,
            [Part::Lit(b)] => StrPattern::Exact(b.clone()),
            [Part::Lit(b), Part::Star] => StrPattern::Prefix(b.clone()),
            [Part::Star, Part::Lit(b)] => StrPattern::Suffix(b.clone()),
            [Part::Star, Part::Lit(b), Part::Star] => {
                StrPattern::Contains(Box::new(memchr::memmem::Finder::new(b).into_owned()))
            }
            _ => StrPattern::Glob(parts.clone()),
        }
    }

    /// Tests a value.
    pub(crate) fn is_match(&self, text: &[u8]) -> bool {
        match self {
            StrPattern::Exact(b) => text == b.as_slice(),
            StrPattern::Prefix(b) => text.starts_with(b),
            StrPattern::Suffix(b) => text.ends_with(b),
            StrPattern::Contains(f) => f.find(text).is_some(),
            StrPattern::Any => true,
            StrPattern::Glob(parts) => glob_match(parts, text),
        }
    }
}

/// Width in bytes of the UTF-8 character starting with `b` (1 for stray bytes).
fn char_width(b: u8) -> usize {
    match b {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Glob matching with `*` and `?` (one character) over bytes, by backtracking to the last
/// star: linear for star-only patterns, quadratic at worst.
fn glob_match(parts: &[Part], text: &[u8]) -> bool {
    // Expand to a token list where literal bytes are single tokens.
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Byte(u8),
        Star,
        Quest,
    }
    let mut toks = Vec::with_capacity(parts.len() * 8);
    for p in parts {
        match p {
            Part::Lit(b) => toks.extend(b.iter().map(|&x| Tok::Byte(x))),
            Part::Star => toks.push(Tok::Star),
            Part::Quest => toks.push(Tok::Quest),
        }
    }
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Byte(b)) if *b == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Tok::Quest) => {
                t += char_width(text[t]);
                p += 1;
            }
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    // Let the star swallow one more character.
                    let nt = st + char_width(text[st]);
                    star = Some((sp, nt));
                    p = sp + 1;
                    t = nt;
                }
                None => return false,
            },
        }
    }
    if t > text.len() {
        return false;
    }
    toks[p..].iter().all(|x| *x == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Part {
        Part::Lit(s.as_bytes().to_vec())
    }

    #[test]
    fn escapes_follow_the_spec() {
        assert_eq!(SigmaStr::parse(r"a\*b").0, vec![lit("a*b")]);
        assert_eq!(SigmaStr::parse(r"a\?b").0, vec![lit("a?b")]);
        assert_eq!(SigmaStr::parse(r"\\\\srv").0, vec![lit(r"\\srv")]);
        assert_eq!(SigmaStr::parse(r"C:\Windows\").0, vec![lit(r"C:\Windows\")]);
        assert_eq!(
            SigmaStr::parse(r"\\*.au3").0,
            vec![lit("\\"), Part::Star, lit(".au3")]
        );
        assert_eq!(
            SigmaStr::parse("a**?").0,
            vec![lit("a"), Part::Star, Part::Quest]
        );
    }

    #[test]
    fn patterns_simplify_and_match() {
        let p = StrPattern::compile(&SigmaStr::parse("*\\cmd.exe"));
        assert!(matches!(p, StrPattern::Suffix(_)));
        assert!(p.is_match(b"c:\\windows\\cmd.exe"));
        assert!(!p.is_match(b"c:\\windows\\cmd.exe2"));
        let g = StrPattern::compile(&SigmaStr::parse("a?c*f"));
        assert!(g.is_match(b"abcdef"));
        assert!(g.is_match("aécf".as_bytes()));
        assert!(!g.is_match(b"acf"));
        assert!(!g.is_match(b"abcdefg"));
        assert!(StrPattern::compile(&SigmaStr::parse("*")).is_match(b""));
        assert!(StrPattern::compile(&SigmaStr::parse("")).is_match(b""));
        assert!(!StrPattern::compile(&SigmaStr::parse("")).is_match(b"x"));
    }

    #[test]
    fn windash_permutes_every_dash() {
        let v = windash(&SigmaStr::parse(" -enc ")).unwrap();
        assert_eq!(v.len(), 5);
        let texts: Vec<Vec<u8>> = v.iter().filter_map(|s| s.as_literal()).collect();
        assert!(texts.contains(&b" /enc ".to_vec()));
        assert!(texts.contains(&" \u{2013}enc ".as_bytes().to_vec()));
        assert_eq!(windash(&SigmaStr::parse("a-b")).unwrap().len(), 5);
        assert_eq!(windash(&SigmaStr::parse("-a /b*")).unwrap().len(), 25);
        assert_eq!(windash(&SigmaStr::parse("plain")).unwrap().len(), 1);
        assert!(windash(&SigmaStr::parse("-a -b -c -d -e")).is_none());
    }

    #[test]
    fn base64offset_variants_are_found_in_encoded_text() {
        let needle = b"http://";
        let variants = base64_offsets(needle);
        assert_eq!(variants.len(), 3);
        for prefix in ["", "a", "ab", "abc"] {
            let mut data = prefix.as_bytes().to_vec();
            data.extend_from_slice(needle);
            data.extend_from_slice(b"xyz");
            let enc = base64(&data);
            assert!(
                variants
                    .iter()
                    .any(|v| memchr::memmem::find(&enc, v).is_some()),
                "prefix {prefix:?}"
            );
        }
    }

    #[test]
    fn utf16_encodings() {
        assert_eq!(utf16le(b"cmd"), vec![0x63, 0, 0x6d, 0, 0x64, 0]);
        assert_eq!(utf16be(b"cmd"), vec![0, 0x63, 0, 0x6d, 0, 0x64]);
        assert_eq!(utf16bom(b"cmd")[..2], [0xFF, 0xFE]);
    }
}
