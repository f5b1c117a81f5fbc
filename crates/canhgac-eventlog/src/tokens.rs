//! What a block's bloom filter holds, and the filter itself.
//!
//! Three kinds of token are hashed, each with its own seed so they never collide by design:
//! - the host (lower-cased), for `host = ...`;
//! - each field as `name = value` (both lower-cased; a list also gives one token per element),
//!   for field equality;
//! - each word of the message and of every field value: maximal runs of alphanumeric
//!   characters, lower-cased, for free text.
//!
//! The hash is our own (fixed forever: it is on disk), the filter is *blocked*: every token sets
//! [`PROBES`] bits inside one 64-byte line, so testing a token reads 64 bytes of the file.

use canhgac_model::{Event, FieldValue};

const SEED_HOST: u64 = 0x243f_6a88_85a3_08d3;
const SEED_FIELD: u64 = 0x1319_8a2e_0370_7344;
const SEED_WORD: u64 = 0xa409_3822_299f_31d0;
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// Bytes in one line of the filter.
pub(crate) const LINE: usize = 64;
/// Bits set per token.
const PROBES: u32 = 6;
/// Filter bits per distinct token: about 2% false positives with a blocked filter.
const BITS_PER_TOKEN: usize = 10;

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

/// Calls `each` with every word of `text_lower` (maximal alphanumeric runs).
pub(crate) fn words(text_lower: &str, mut each: impl FnMut(&str)) {
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

/// Collects the tokens of events, reusing its buffers between events.
#[derive(Default)]
pub(crate) struct Tokenizer {
    name: String,
    text: String,
    elem: String,
}

impl Tokenizer {
    /// Pushes every token of `event` onto `out` (duplicates included).
    pub(crate) fn event_tokens(&mut self, event: &Event, out: &mut Vec<u64>) {
        if let Some(host) = &event.host {
            out.push(host_token(lower_into(host, &mut self.text)));
        }
        words(lower_into(&event.message, &mut self.text), |w| {
            out.push(word_token(w))
        });
        for (name, value) in event.fields.iter() {
            let name = lower_into(name, &mut self.name);
            if let FieldValue::List(items) = value {
                for item in items {
                    let text = lower_into(&item.to_text(), &mut self.elem).to_string();
                    out.push(field_token(name, &text));
                }
            }
            let text = lower_into(&value.to_text(), &mut self.text);
            out.push(field_token(name, text));
            words(text, |w| out.push(word_token(w)));
        }
    }
}

/// Number of 64-byte lines for `distinct` tokens.
pub(crate) fn lines_for(distinct: usize) -> usize {
    (distinct * BITS_PER_TOKEN).div_ceil(LINE * 8).max(1)
}

fn line_of(token: u64, lines: usize) -> usize {
    ((u128::from(token) * lines as u128) >> 64) as usize
}

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
