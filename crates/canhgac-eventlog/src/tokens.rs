//! What a block's bloom filter holds, and the filter itself.
//!
//! Three kinds of token are hashed, each with its own seed so they never collide by design:
//! - the host (lower-cased), for `host = ...`;
//! - each field as `name = value` (both lower-cased; a list also gives one token per element),
//!   for field equality;
//! - each word of the message and of every field value: maximal runs of alphanumeric
//!   characters, lower-cased, for free text; and each pair of numbers that follow each other
//!   (`203 0`, `0 113`, `113 5` for `203.0.113.5`), so that addresses and times are selective;
//! - each `name = value` token again combined with the host, for `host` plus field queries.
//!
//! The hash is our own (fixed forever: it is on disk), the filter is *blocked*: every token sets
//! [`PROBES`] bits inside one 64-byte line, so testing a token reads 64 bytes of the file.

use canhgac_model::{Event, FieldValue};

const SEED_HOST: u64 = 0x243f_6a88_85a3_08d3;
const SEED_FIELD: u64 = 0x1319_8a2e_0370_7344;
const SEED_WORD: u64 = 0xa409_3822_299f_31d0;
const SEED_PAIR: u64 = 0x082e_fa98_ec4e_6c89;
const SEED_SCOPE: u64 = 0x4528_21e6_38d0_1377;
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// Bytes in one line of the filter.
pub(crate) const LINE: usize = 64;
/// Bits set per token.
const PROBES: u32 = 6;
/// Filter bits per distinct token: about 0.5% false positives with a blocked filter.
const BITS_PER_TOKEN: usize = 12;

fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(MUL);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(MUL);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(MUL);
    }
    mix(h)
}

/// The token of a host name (already lower-cased).
pub(crate) fn host_token(host_lower: &str) -> u64 {
    hash_bytes(SEED_HOST, host_lower.as_bytes())
}

/// The token of `name = value` (both already lower-cased).
pub(crate) fn field_token(name_lower: &str, value_lower: &str) -> u64 {
    hash_bytes(
        hash_bytes(SEED_FIELD, name_lower.as_bytes()),
        value_lower.as_bytes(),
    )
}

/// The token of one word (already lower-cased).
pub(crate) fn word_token(word_lower: &str) -> u64 {
    hash_bytes(SEED_WORD, word_lower.as_bytes())
}

/// The token of two numbers that follow each other in a text (`203.0.113.5` gives `203 0`,
/// `0 113`, `113 5`), so that searching for an address or a time is not left with tokens as
/// common as `0`.
pub(crate) fn pair_token(first: u64, second: u64) -> u64 {
    mix(first.rotate_left(29) ^ second ^ SEED_PAIR)
}

/// A field token seen on a given host, so that `host` with `field = value` skips blocks where
/// both occur but never together.
pub(crate) fn scoped_token(host: u64, field: u64) -> u64 {
    mix(host.rotate_left(17) ^ field ^ SEED_SCOPE)
}

fn is_number(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_digit())
}

/// Pushes the word tokens of `text_lower`, and the pair tokens of consecutive numbers.
pub(crate) fn text_tokens(text_lower: &str, out: &mut Vec<u64>) {
    let mut prev_number: Option<u64> = None;
    words(text_lower, |w| {
        let t = word_token(w);
        out.push(t);
        if is_number(w) {
            if let Some(p) = prev_number {
                out.push(pair_token(p, t));
            }
            prev_number = Some(t);
        } else {
            prev_number = None;
        }
    });
}

/// Calls `each` with every word of `text_lower` (maximal alphanumeric runs).
pub(crate) fn words(text_lower: &str, mut each: impl FnMut(&str)) {
    if text_lower.is_ascii() {
        let bytes = text_lower.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i > start {
                each(&text_lower[start..i]);
            }
        }
        return;
    }
    for word in text_lower.split(|c: char| !c.is_alphanumeric()) {
        if !word.is_empty() {
            each(word);
        }
    }
}

/// Lower-cases into `buf` (reused to spare allocations), returning it.
pub(crate) fn lower_into<'b>(s: &str, buf: &'b mut String) -> &'b str {
    buf.clear();
    if s.is_ascii() {
        buf.push_str(s);
        buf.make_ascii_lowercase();
    } else {
        for c in s.chars() {
            buf.extend(c.to_lowercase());
        }
    }
    buf
}

/// `s` lower-cased: `s` itself when it has no upper-case ASCII letter, else a copy in `buf`.
pub(crate) fn lower<'a>(s: &'a str, buf: &'a mut String) -> &'a str {
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) {
        return s;
    }
    lower_into(s, buf)
}

/// The text of a value as [`FieldValue::to_text`] gives it, borrowing or using `buf`.
pub(crate) fn value_text<'a>(value: &'a FieldValue, buf: &'a mut String) -> &'a str {
    use std::fmt::Write;
    match value {
        FieldValue::Str(s) => s,
        FieldValue::Null => "",
        FieldValue::Bool(true) => "true",
        FieldValue::Bool(false) => "false",
        FieldValue::Int(i) => {
            buf.clear();
            let _ = write!(buf, "{i}");
            buf
        }
        FieldValue::Float(_) | FieldValue::List(_) => {
            buf.clear();
            buf.push_str(&value.to_text());
            buf
        }
    }
}

/// Collects the tokens of events, reusing its buffers between events.
#[derive(Default)]
pub(crate) struct Tokenizer {
    a: String,
    b: String,
    c: String,
}

impl Tokenizer {
    /// Pushes every token of `event` onto `out` (duplicates included).
    pub(crate) fn event_tokens(&mut self, event: &Event, out: &mut Vec<u64>) {
        let Self { a, b, c } = self;
        let host = event.host.as_deref().map(|h| host_token(lower(h, a)));
        out.extend(host);
        text_tokens(lower(&event.message, a), out);
        let field = |t: u64, out: &mut Vec<u64>| {
            out.push(t);
            if let Some(h) = host {
                out.push(scoped_token(h, t));
            }
        };
        for (name, value) in event.fields.iter() {
            let name = lower(name, c);
            if let FieldValue::List(items) = value {
                for item in items {
                    let text = lower(value_text(item, a), b);
                    field(field_token(name, text), out);
                }
            }
            let text = lower(value_text(value, a), b);
            field(field_token(name, text), out);
            text_tokens(text, out);
        }
    }
}

/// Estimates how many distinct values `tokens` holds (linear counting), using `scratch`.
pub(crate) fn estimate_distinct(tokens: &[u64], scratch: &mut Vec<u64>) -> usize {
    let bits = (tokens.len() * 2).next_power_of_two().max(1024);
    scratch.clear();
    scratch.resize(bits / 64, 0);
    for &t in tokens {
        let bit = (t as usize) & (bits - 1);
        scratch[bit / 64] |= 1 << (bit % 64);
    }
    let ones: usize = scratch.iter().map(|w| w.count_ones() as usize).sum();
    let zeros = bits - ones;
    if zeros == 0 {
        return tokens.len();
    }
    let estimate = -(bits as f64) * (zeros as f64 / bits as f64).ln();
    (estimate.ceil() as usize).min(tokens.len())
}

/// Number of 64-byte lines for `distinct` tokens.
pub(crate) fn lines_for(distinct: usize) -> usize {
    (distinct * BITS_PER_TOKEN).div_ceil(LINE * 8).max(1)
}

fn line_of(token: u64, lines: usize) -> usize {
    ((u128::from(token) * lines as u128) >> 64) as usize
}

/// The bits of a token inside its line: 9-bit slices of a second hash of the token.
fn bits_of(token: u64) -> impl Iterator<Item = usize> {
    let h = mix(token ^ MUL);
    (0..PROBES).map(move |i| ((h >> (9 * i)) & 511) as usize)
}

/// Builds a filter of `lines` lines holding `tokens`.
pub(crate) fn build_bloom(tokens: &[u64], lines: usize) -> Vec<u8> {
    let mut bloom = vec![0u8; lines * LINE];
    for &t in tokens {
        let base = line_of(t, lines) * LINE;
        for bit in bits_of(t) {
            bloom[base + bit / 8] |= 1 << (bit % 8);
        }
    }
    bloom
}

/// Where in a filter of `lines` lines `token` lives: the byte offset of its line.
pub(crate) fn line_offset(token: u64, lines: usize) -> usize {
    line_of(token, lines) * LINE
}

/// Whether the line `line` (as found at [`line_offset`]) may hold `token`.
pub(crate) fn line_may_contain(line: &[u8], token: u64) -> bool {
    bits_of(token).all(|bit| line.get(bit / 8).is_some_and(|b| b & (1 << (bit % 8)) != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_punctuation_and_keep_unicode_letters() {
        let mut got = Vec::new();
        words("c:\\tools\\mimikatz.exe đăng_nhập 10.0.0.5", |w| {
            got.push(w.to_string())
        });
        assert_eq!(
            got,
            ["c", "tools", "mimikatz", "exe", "đăng", "nhập", "10", "0", "0", "5"]
        );
    }

    #[test]
    fn distinct_estimate_is_close() {
        let mut scratch = Vec::new();
        let tokens: Vec<u64> = (0..30_000u64)
            .map(|i| word_token(&format!("t{}", i % 7000)))
            .collect();
        let n = estimate_distinct(&tokens, &mut scratch);
        assert!((6500..7500).contains(&n), "{n}");
        assert_eq!(estimate_distinct(&[], &mut scratch), 0);
    }

    #[test]
    fn value_text_agrees_with_to_text() {
        let mut buf = String::new();
        for v in [
            FieldValue::Null,
            FieldValue::Bool(true),
            FieldValue::Int(-42),
            FieldValue::Float(2.5),
            FieldValue::Str("Ab".into()),
            FieldValue::List(vec![FieldValue::Int(1), "x".into()]),
        ] {
            assert_eq!(value_text(&v, &mut buf), v.to_text());
        }
    }

    #[test]
    fn bloom_has_no_false_negatives_and_few_false_positives() {
        let tokens: Vec<u64> = (0..5000).map(|i| word_token(&format!("w{i}"))).collect();
        let lines = lines_for(tokens.len());
        let bloom = build_bloom(&tokens, lines);
        let has = |t: u64| {
            let at = line_offset(t, lines);
            line_may_contain(&bloom[at..at + LINE], t)
        };
        assert!(tokens.iter().all(|&t| has(t)));
        let false_pos = (0..10_000)
            .filter(|i| has(word_token(&format!("absent{i}"))))
            .count();
        assert!(false_pos < 500, "{false_pos} false positives in 10000");
    }
}
