//! Version comparison for the strings vendors actually publish.
//!
//! A version is cut into tokens: runs of digits (numbers) and runs of letters (words);
//! everything else (`.`, `-`, `_`, `+`, `~`, spaces) only separates. Tokens compare left to
//! right, a missing token counting as the number 0, so `9.0.0.0` equals `9`. Each token falls
//! in one of three classes, in rising order:
//!
//! 1. **pre-release words** (`dev` < `alpha`/`a` < `beta`/`b` < `milestone` <
//!    `rc`/`cr`/`pre`/`preview`), ranked among themselves by that list: `1.6.0-rc` < `1.6.0`;
//!    `a` and `b` count as pre-release only when a number follows (`1.0a1`), since OpenSSL's
//!    `1.1.1a` is a release after `1.1.1`;
//! 2. **numbers**, by value (`2.4.9` < `2.4.49`, `10.0.17763.1` > `10.0.17763`);
//! 3. **other words** (patch levels such as `p`, `sp`, `patch`, letters such as `k`), by
//!    lower-case text, after every number: `1.1.1k` > `1.1.1` and `1.1.1k` > `1.1.1j`.
//!
//! Words that only say "this is the release" (`ga`, `final`, `release`, `stable`)
//! are dropped, so `8.8.15_GA_4179` reads as `8.8.15.4179`: after
//! `8.8.15`, before `8.8.16`. Case does not matter. Semantic-version build metadata (`+build`)
//! is not treated specially.
//!
//! The order is total and agrees with equality: two versions are equal exactly when their
//! token lists, with trailing zeros removed, are the same.

use std::cmp::Ordering;
use std::fmt;

/// A parsed version, ordered as the module documentation explains.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    tokens: Vec<Token>,
}

/// One comparable piece of a version. Declaration order is the class order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Token {
    /// A pre-release word, by rank (see [`pre_release_rank`]).
    PreRelease(u8),
    /// A number: its digits without leading zeros (`"0"` for zero), compared by length, then
    /// text, so numbers of any length compare by value.
    Number(Number),
    /// Any other word, lower-cased.
    Word(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Number(String);

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

const ZERO: Token = Token::Number(Number(String::new()));

/// Rank of a pre-release word, or `None` when the word is not one. `followed_by_number`
/// decides the single letters `a` and `b`.
fn pre_release_rank(word: &str, followed_by_number: bool) -> Option<u8> {
    match word {
        "dev" | "snapshot" => Some(0),
        "alpha" => Some(1),
        "a" if followed_by_number => Some(1),
        "beta" => Some(2),
        "b" if followed_by_number => Some(2),
        "milestone" => Some(3),
        "rc" | "cr" | "pre" | "preview" => Some(4),
        _ => None,
    }
}

/// Words meaning "the release itself", dropped from the token list.
fn is_release_word(word: &str) -> bool {
    matches!(word, "ga" | "final" | "release" | "stable")
}

impl Version {
    /// Parses any string; there is no invalid version, only versions with fewer tokens.
    pub fn parse(text: &str) -> Version {
        let mut raw: Vec<(bool, String)> = Vec::new(); // (is_number, text)
        let mut chars = text.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                let mut digits = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(d);
                    chars.next();
                }
                raw.push((true, digits));
            } else if c.is_alphabetic() {
                let mut word = String::new();
                while let Some(&l) = chars.peek().filter(|l| l.is_alphabetic()) {
                    word.extend(l.to_lowercase());
                    chars.next();
                }
                raw.push((false, word));
            } else {
                chars.next();
            }
        }
        let mut tokens = Vec::with_capacity(raw.len());
        for (index, (is_number, text)) in raw.iter().enumerate() {
            if *is_number {
                let trimmed = text.trim_start_matches('0');
                tokens.push(Token::Number(Number(trimmed.to_owned())));
            } else if is_release_word(text) {
                continue;
            } else {
                let followed_by_number = raw.get(index + 1).is_some_and(|(number, _)| *number);
                match pre_release_rank(text, followed_by_number) {
                    Some(rank) => tokens.push(Token::PreRelease(rank)),
                    None => tokens.push(Token::Word(text.clone())),
                }
            }
        }
        while tokens.last() == Some(&ZERO) {
            tokens.pop();
        }
        Version { tokens }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = ZERO;
        let longest = self.tokens.len().max(other.tokens.len());
        for index in 0..longest {
            let left = self.tokens.get(index).unwrap_or(&zero);
            let right = other.tokens.get(index).unwrap_or(&zero);
            match left.cmp(right) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for token in &self.tokens {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            match token {
                Token::PreRelease(rank) => write!(f, "pre{rank}")?,
                Token::Number(Number(digits)) if digits.is_empty() => f.write_str("0")?,
                Token::Number(Number(digits)) => f.write_str(digits)?,
                Token::Word(word) => f.write_str(word)?,
            }
        }
        if first {
            f.write_str("0")?;
        }
        Ok(())
    }
}

/// Compares two version strings (see the module documentation).
pub fn compare_versions(left: &str, right: &str) -> Ordering {
    Version::parse(left).cmp(&Version::parse(right))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn less(a: &str, b: &str) {
        assert_eq!(compare_versions(a, b), Ordering::Less, "{a} < {b}");
        assert_eq!(compare_versions(b, a), Ordering::Greater, "{b} > {a}");
    }

    fn same(a: &str, b: &str) {
        assert_eq!(compare_versions(a, b), Ordering::Equal, "{a} == {b}");
        assert_eq!(Version::parse(a), Version::parse(b));
    }

    #[test]
    fn dotted_numbers_compare_by_value() {
        less("2.4.9", "2.4.49");
        less("2.4.49", "2.4.50");
        less("10.0.17763", "10.0.17763.1");
        less("10.0.17763.1", "10.0.17763.2");
        less("9.99", "10.0");
        less("1.2.3", "1.2.10");
        less("99999999999999999999998", "99999999999999999999999");
    }

    #[test]
    fn trailing_zeros_and_leading_zeros_do_not_count() {
        same("9.0.0.0", "9");
        same("9.0.0.0", "9.0");
        same("1.02", "1.2");
        same("", "0");
    }

    #[test]
    fn pre_releases_come_before_the_release() {
        less("1.6.0-rc", "1.6.0");
        less("1.6.0-rc1", "1.6.0-rc2");
        less("1.6.0-beta3", "1.6.0-rc1");
        less("1.6.0-alpha", "1.6.0-beta");
        less("1.6.0-dev", "1.6.0-alpha");
        less("1.0a1", "1.0b1");
        less("1.0b1", "1.0");
        less("1.5.9", "1.6.0-rc");
        same("1.6.0RC1", "1.6.0-rc.1");
    }

    #[test]
    fn letters_and_patch_levels_come_after_the_release() {
        less("1.1.1", "1.1.1a");
        less("1.1.1a", "1.1.1k");
        less("1.1.1k", "1.1.2");
        less("8.8.15", "8.8.15p1");
        less("8.8.15p1", "8.8.15p2");
    }

    #[test]
    fn release_words_are_ignored() {
        same("8.8.15_GA_4179", "8.8.15.4179");
        less("8.8.15", "8.8.15_GA_4179");
        less("8.8.15_GA_4179", "8.8.15_GA_4180");
        less("8.8.15_GA_4179", "8.8.16");
        same("2.0-final", "2.0");
    }

    fn version_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "([0-9]{1,3}|00|rc|a|b|beta|alpha|dev|ga|p|k|sp|final|[A-Z]{1,2})([.\\-_+~]?([0-9]{1,3}|00|rc|a|b|beta|dev|ga|p|k|sp|[A-Z])){0,5}",
        )
        .expect("the pattern is valid")
    }

    proptest! {
        #[test]
        fn comparison_is_a_total_order_agreeing_with_equality(
            a in version_text(), b in version_text(), c in version_text()
        ) {
            let (va, vb, vc) = (Version::parse(&a), Version::parse(&b), Version::parse(&c));
            prop_assert_eq!(va.cmp(&va), Ordering::Equal);
            prop_assert_eq!(va.cmp(&vb), vb.cmp(&va).reverse());
            prop_assert_eq!(va.cmp(&vb) == Ordering::Equal, va == vb);
            if va <= vb && vb <= vc {
                prop_assert!(va <= vc, "{} <= {} <= {} but not {} <= {}", a, b, c, a, c);
            }
            if va == vb {
                prop_assert_eq!(va.cmp(&vc), vb.cmp(&vc));
            }
        }

        #[test]
        fn any_text_parses(text in "\\PC{0,40}") {
            let version = Version::parse(&text);
            prop_assert_eq!(version.cmp(&version), Ordering::Equal);
        }
    }
}
