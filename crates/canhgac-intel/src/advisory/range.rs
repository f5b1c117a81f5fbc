//! Version ranges as advisories write them, in English or Vietnamese.

use std::cmp::Ordering;

use canhgac_vulndb::compare_versions;
use serde::{Deserialize, Serialize};

use crate::exposure::fold;

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bound {
    /// The version at the end.
    pub version: String,
    /// Whether that version is in the range.
    pub inclusive: bool,
}

/// A range of versions; an end left `None` is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRange {
    /// Lowest version.
    pub lower: Option<Bound>,
    /// Highest version.
    pub upper: Option<Bound>,
}

impl VersionRange {
    /// Exactly `version`.
    pub fn exact(version: &str) -> VersionRange {
        let bound = Some(Bound {
            version: version.to_string(),
            inclusive: true,
        });
        VersionRange {
            lower: bound.clone(),
            upper: bound,
        }
    }

    /// Whether `version` is in the range. `Patch 38`, `P38` and `p38` compare alike.
    pub fn contains(&self, version: &str) -> bool {
        let version = comparable(version);
        let lower_ok = self.lower.as_ref().is_none_or(|bound| {
            match compare_versions(&version, &comparable(&bound.version)) {
                Ordering::Greater => true,
                Ordering::Equal => bound.inclusive,
                Ordering::Less => false,
            }
        });
        let upper_ok = self.upper.as_ref().is_none_or(|bound| {
            match compare_versions(&version, &comparable(&bound.version)) {
                Ordering::Less => true,
                Ordering::Equal => bound.inclusive,
                Ordering::Greater => false,
            }
        });
        lower_ok && upper_ok
    }
}

/// Vendors write a patch level as `Patch 38`, `P38`, `_P38`: all read as `p 38`.
fn comparable(version: &str) -> String {
    version.to_ascii_lowercase().replace("patch", "p")
}

/// Reads a version expression: `8.8.15`; `< 9.0.0 Patch 38`; `>= 10.0.0, < 10.0.6`;
/// `8.8.x`; `9.0.0 đến trước 9.0.0 Patch 40`; `trước 10.0.7`; `10.0.0 đến 10.0.5`;
/// `8.8.15 trở về trước`; `from 2.0 before 2.4.58`; several alternatives separated by `;`,
/// `và`, `and`, `hoặc`, `or` or commas (`8.8.15, 9.0.0` is two versions; a lower bound and
/// an upper bound separated by a comma are one range). `None` when a part is not a version.
pub fn parse_version_ranges(expression: &str) -> Option<Vec<VersionRange>> {
    let folded = fold(expression);
    let mut text = format!(" {} ", folded.trim());
    for separator in [" va ", " and ", " hoac ", " or ", ";"] {
        text = text.replace(separator, "\u{1}");
    }
    let mut ranges: Vec<VersionRange> = Vec::new();
    for alternative in text.split('\u{1}') {
        let mut pending: Option<VersionRange> = None;
        for part in alternative.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let range = parse_one(part)?;
            match pending.take() {
                // `>= 10.0.0, < 10.0.6`: the upper bound completes the lower one.
                Some(open) if open.upper.is_none() && range.lower.is_none() => {
                    ranges.push(VersionRange {
                        lower: open.lower,
                        upper: range.upper,
                    });
                }
                Some(previous) => {
                    ranges.push(previous);
                    pending = Some(range);
                }
                None => pending = Some(range),
            }
        }
        ranges.extend(pending);
    }
    (!ranges.is_empty()).then_some(ranges)
}

fn parse_one(part: &str) -> Option<VersionRange> {
    let mut text = part.trim().to_string();
    for prefix in [
        "cac phien ban",
        "phien ban",
        "versions",
        "version",
        "ban",
        "tu",
        "from",
        "since",
    ] {
        if let Some(rest) = strip_word(&text, prefix) {
            // `từ X` / `from X` alone is a lower bound; with an infix it is the range's start.
            let is_from = matches!(prefix, "tu" | "from" | "since");
            if is_from && !has_infix(rest) {
                return Some(VersionRange {
                    lower: Some(bound(rest, true)?),
                    upper: None,
                });
            }
            text = rest.to_string();
            break;
        }
    }
    for (infix, upper_inclusive) in [
        (" den truoc ", false),
        (" before ", false),
        (" truoc ", false),
        (" den ", true),
        (" toi ", true),
        (" to ", true),
        (" through ", true),
        (" - ", true),
    ] {
        if let Some((low, high)) = text.split_once(infix) {
            if let (Some(lower), Some(upper)) = (bound(low, true), bound(high, upper_inclusive)) {
                return Some(VersionRange {
                    lower: Some(lower),
                    upper: Some(upper),
                });
            }
        }
    }
    for (suffix, at_most) in [
        ("tro ve truoc", true),
        ("tro xuong", true),
        ("va cu hon", true),
        ("and earlier", true),
        ("or earlier", true),
        ("and below", true),
        ("and prior", true),
        ("tro len", false),
        ("tro ve sau", false),
        ("and later", false),
        ("or later", false),
        ("and above", false),
        ("and newer", false),
        ("+", false),
    ] {
        if let Some(rest) = text.strip_suffix(suffix) {
            let end = bound(rest, true)?;
            return Some(if at_most {
                VersionRange {
                    lower: None,
                    upper: Some(end),
                }
            } else {
                VersionRange {
                    lower: Some(end),
                    upper: None,
                }
            });
        }
    }
    // (operator, is the lower end, inclusive)
    for (operator, lower, inclusive) in [
        ("<=", false, true),
        (">=", true, true),
        ("=<", false, true),
        ("=>", true, true),
        ("<", false, false),
        (">", true, false),
        ("==", true, true),
        ("=", true, true),
        ("den truoc", false, false),
        ("truoc", false, false),
        ("duoi", false, false),
        ("thap hon", false, false),
        ("nho hon", false, false),
        ("prior to", false, false),
        ("before", false, false),
        ("below", false, false),
        ("lower than", false, false),
        ("earlier than", false, false),
        ("up to", false, true),
        ("den", false, true),
        ("toi", false, true),
        ("through", false, true),
        ("cao hon", true, false),
        ("later than", true, false),
        ("after", true, false),
    ] {
        if let Some(rest) = text.strip_prefix(operator) {
            if operator.starts_with(|c: char| c.is_ascii_alphabetic()) && !rest.starts_with(' ') {
                continue;
            }
            let end = bound(rest, inclusive)?;
            if operator.starts_with('=')
                && !operator.starts_with("=<")
                && !operator.starts_with("=>")
            {
                return Some(VersionRange::exact(&end.version));
            }
            return Some(if lower {
                VersionRange {
                    lower: Some(end),
                    upper: None,
                }
            } else {
                VersionRange {
                    lower: None,
                    upper: Some(end),
                }
            });
        }
    }
    let version = version_text(&text)?;
    if let Some(prefix) = version
        .strip_suffix(".x")
        .or_else(|| version.strip_suffix(".*"))
    {
        // `8.8.x`: from 8.8 up to, not including, 8.9.
        let next = next_release(prefix)?;
        return Some(VersionRange {
            lower: Some(Bound {
                version: prefix.to_string(),
                inclusive: true,
            }),
            upper: Some(Bound {
                version: next,
                inclusive: false,
            }),
        });
    }
    Some(VersionRange::exact(&version))
}

fn has_infix(text: &str) -> bool {
    let padded = format!(" {text} ");
    [
        " den truoc ",
        " before ",
        " truoc ",
        " den ",
        " toi ",
        " to ",
        " through ",
        " - ",
    ]
    .iter()
    .any(|infix| padded.contains(infix))
}

fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(word)?;
    rest.starts_with(' ').then(|| rest.trim_start())
}

fn bound(text: &str, inclusive: bool) -> Option<Bound> {
    let version = version_text(text)?;
    Some(Bound { version, inclusive })
}

/// A version: starts with a digit (after an optional `v`), at most 64 characters.
fn version_text(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text
        .strip_prefix("phien ban ")
        .or_else(|| text.strip_prefix("version "))
        .unwrap_or(text)
        .trim();
    let text = text
        .strip_prefix('v')
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(text);
    let ok = text.starts_with(|c: char| c.is_ascii_digit())
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-+*~".contains(c));
    ok.then(|| text.to_string())
}

/// `8.8` → `8.9`: the release after every `8.8.*`.
fn next_release(prefix: &str) -> Option<String> {
    let (head, last) = match prefix.rsplit_once('.') {
        Some((head, last)) => (Some(head), last),
        None => (None, prefix),
    };
    let next = last.parse::<u64>().ok()?.checked_add(1)?;
    Some(match head {
        Some(head) => format!("{head}.{next}"),
        None => next.to_string(),
    })
}
