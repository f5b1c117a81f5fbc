//! CPE names: the 2.3 formatted string (`cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*`)
//! and the older 2.2 URI (`cpe:/a:apache:http_server:2.4.49`).
//!
//! Values are kept unescaped and lower-cased (CPE matching is case-insensitive), so
//! `cpe:2.3:a:microsoft:.net_framework:...` and the URI `cpe:/a:microsoft:.net_framework`
//! give the same product. `*` (any) and `-` (not applicable) are kept apart from values.
//! Wildcards inside a value (`2.4*`) are kept as literal text: NVD's match criteria use
//! version ranges instead.

use std::fmt;

/// One attribute of a CPE name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum CpeValue {
    /// `*`: any value.
    #[default]
    Any,
    /// `-`: the attribute does not apply.
    NotApplicable,
    /// A value, unescaped and lower-cased.
    Value(String),
}

impl CpeValue {
    /// The value, when there is one.
    pub fn as_value(&self) -> Option<&str> {
        match self {
            CpeValue::Value(value) => Some(value),
            _ => None,
        }
    }

    /// Whether this attribute is `*`.
    pub fn is_any(&self) -> bool {
        matches!(self, CpeValue::Any)
    }
}

/// What kind of thing a CPE names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CpePart {
    /// `a`: an application.
    Application,
    /// `o`: an operating system.
    OperatingSystem,
    /// `h`: hardware.
    Hardware,
    /// `*` or empty: any of them.
    Any,
}

impl CpePart {
    fn letter(self) -> char {
        match self {
            CpePart::Application => 'a',
            CpePart::OperatingSystem => 'o',
            CpePart::Hardware => 'h',
            CpePart::Any => '*',
        }
    }
}

/// A parsed CPE name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpe {
    /// Application, operating system or hardware.
    pub part: CpePart,
    /// Vendor, e.g. `apache`.
    pub vendor: CpeValue,
    /// Product, e.g. `http_server`.
    pub product: CpeValue,
    /// Version, e.g. `2.4.49`.
    pub version: CpeValue,
    /// Update (patch level), e.g. `p1`, `sp2`.
    pub update: CpeValue,
    /// Edition (legacy).
    pub edition: CpeValue,
    /// Language.
    pub language: CpeValue,
    /// Software edition.
    pub sw_edition: CpeValue,
    /// Target software, e.g. `wordpress` for a plug-in.
    pub target_sw: CpeValue,
    /// Target hardware.
    pub target_hw: CpeValue,
    /// Anything else.
    pub other: CpeValue,
}

/// Why a string is not a CPE name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpeError {
    /// Neither `cpe:2.3:` nor `cpe:/`.
    #[error("«{0}» is not a CPE name: it must start with cpe:2.3: or cpe:/")]
    Prefix(String),
    /// The part is not `a`, `o`, `h` or `*`.
    #[error("CPE «{name}»: part «{part}» is not a, o or h")]
    Part {
        /// The name.
        name: String,
        /// The part found.
        part: String,
    },
    /// More attributes than a CPE has.
    #[error("CPE «{0}» has more than 11 attributes")]
    TooManyAttributes(String),
    /// A formatted string ending in a lone backslash.
    #[error("CPE «{0}» ends in an unfinished escape")]
    Escape(String),
    /// A URI with a bad `%xx` sequence.
    #[error("CPE «{0}» has a bad percent escape")]
    PercentEscape(String),
}

/// Parses a CPE 2.3 formatted string or a CPE 2.2 URI. Missing trailing attributes are `*`.
pub fn parse_cpe(text: &str) -> Result<Cpe, CpeError> {
    let trimmed = text.trim();
    if let Some(rest) = strip_prefix_ignore_case(trimmed, "cpe:2.3:") {
        parse_formatted(trimmed, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(trimmed, "cpe:/") {
        parse_uri(trimmed, rest)
    } else {
        Err(CpeError::Prefix(text.to_owned()))
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn parse_part(name: &str, part: &str) -> Result<CpePart, CpeError> {
    match part {
        "a" | "A" => Ok(CpePart::Application),
        "o" | "O" => Ok(CpePart::OperatingSystem),
        "h" | "H" => Ok(CpePart::Hardware),
        "*" | "" => Ok(CpePart::Any),
        other => Err(CpeError::Part {
            name: name.to_owned(),
            part: other.to_owned(),
        }),
    }
}

/// Splits a formatted string on unescaped colons, unescaping each attribute.
fn parse_formatted(name: &str, rest: &str) -> Result<Cpe, CpeError> {
    let mut fields: Vec<(String, bool)> = Vec::new(); // (unescaped text, had escapes)
    let mut current = String::new();
    let mut escaped_any = false;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars
                    .next()
                    .ok_or_else(|| CpeError::Escape(name.to_owned()))?;
                current.push(next);
                escaped_any = true;
            }
            ':' => {
                fields.push((std::mem::take(&mut current), escaped_any));
                escaped_any = false;
            }
            other => current.push(other),
        }
    }
    fields.push((current, escaped_any));
    if fields.len() > 11 {
        return Err(CpeError::TooManyAttributes(name.to_owned()));
    }
    let mut values = fields.into_iter();
    let part = match values.next() {
        Some((text, _)) => parse_part(name, &text)?,
        None => CpePart::Any,
    };
    let mut next = || match values.next() {
        None => CpeValue::Any,
        Some((text, true)) => CpeValue::Value(text.to_lowercase()),
        Some((text, false)) => formatted_value(&text),
    };
    Ok(Cpe {
        part,
        vendor: next(),
        product: next(),
        version: next(),
        update: next(),
        edition: next(),
        language: next(),
        sw_edition: next(),
        target_sw: next(),
        target_hw: next(),
        other: next(),
    })
}

fn formatted_value(text: &str) -> CpeValue {
    match text {
        "*" | "" => CpeValue::Any,
        "-" => CpeValue::NotApplicable,
        value => CpeValue::Value(value.to_lowercase()),
    }
}

/// A 2.2 URI: colon-separated, percent-encoded, empty meaning any; the edition may pack the
/// 2.3 extended attributes as `~edition~sw_edition~target_sw~target_hw~other`.
fn parse_uri(name: &str, rest: &str) -> Result<Cpe, CpeError> {
    let fields: Vec<&str> = rest.split(':').collect();
    if fields.len() > 7 {
        return Err(CpeError::TooManyAttributes(name.to_owned()));
    }
    let field = |index: usize| -> Result<CpeValue, CpeError> {
        match fields.get(index) {
            None => Ok(CpeValue::Any),
            Some(text) => uri_value(name, text),
        }
    };
    let part = parse_part(name, fields.first().copied().unwrap_or(""))?;
    let mut cpe = Cpe {
        part,
        vendor: field(1)?,
        product: field(2)?,
        version: field(3)?,
        update: field(4)?,
        edition: CpeValue::Any,
        language: field(6)?,
        sw_edition: CpeValue::Any,
        target_sw: CpeValue::Any,
        target_hw: CpeValue::Any,
        other: CpeValue::Any,
    };
    match fields.get(5) {
        Some(packed) if packed.starts_with('~') => {
            let mut pieces = packed[1..].split('~');
            let mut next = || match pieces.next() {
                Some(text) => uri_value(name, text),
                None => Ok(CpeValue::Any),
            };
            cpe.edition = next()?;
            cpe.sw_edition = next()?;
            cpe.target_sw = next()?;
            cpe.target_hw = next()?;
            cpe.other = next()?;
        }
        Some(text) => cpe.edition = uri_value(name, text)?,
        None => {}
    }
    Ok(cpe)
}

fn uri_value(name: &str, text: &str) -> Result<CpeValue, CpeError> {
    match text {
        "" | "*" => return Ok(CpeValue::Any),
        "-" => return Ok(CpeValue::NotApplicable),
        _ => {}
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes
                .get(index + 1..index + 3)
                .and_then(|pair| std::str::from_utf8(pair).ok())
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| CpeError::PercentEscape(name.to_owned()))?;
            decoded.push(hex);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    let value = String::from_utf8(decoded).map_err(|_| CpeError::PercentEscape(name.to_owned()))?;
    Ok(CpeValue::Value(value.to_lowercase()))
}

/// Writes one attribute of a formatted string, escaping what must be.
fn write_formatted(f: &mut fmt::Formatter<'_>, value: &CpeValue) -> fmt::Result {
    match value {
        CpeValue::Any => f.write_str("*"),
        CpeValue::NotApplicable => f.write_str("-"),
        CpeValue::Value(text) => {
            for c in text.chars() {
                if c.is_alphanumeric() || c == '_' {
                    write!(f, "{c}")?;
                } else {
                    write!(f, "\\{c}")?;
                }
            }
            Ok(())
        }
    }
}

impl fmt::Display for Cpe {
    /// The CPE 2.3 formatted string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpe:2.3:{}", self.part.letter())?;
        for value in [
            &self.vendor,
            &self.product,
            &self.version,
            &self.update,
            &self.edition,
            &self.language,
            &self.sw_edition,
            &self.target_sw,
            &self.target_hw,
            &self.other,
        ] {
            f.write_str(":")?;
            write_formatted(f, value)?;
        }
        Ok(())
    }
}

/// Lower-cases a product or vendor name the way NVD writes it: spaces become `_`.
pub fn normalise_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value(text: &str) -> CpeValue {
        CpeValue::Value(text.to_owned())
    }

    #[test]
    fn a_formatted_string_parses_with_any_and_not_applicable() {
        let cpe = parse_cpe("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*").unwrap();
        assert_eq!(cpe.part, CpePart::Application);
        assert_eq!(cpe.vendor, value("apache"));
        assert_eq!(cpe.product, value("http_server"));
        assert_eq!(cpe.version, value("2.4.49"));
        assert_eq!(cpe.update, CpeValue::Any);
        let cpe = parse_cpe("cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:x64:*").unwrap();
        assert_eq!(cpe.part, CpePart::OperatingSystem);
        assert_eq!(cpe.version, CpeValue::NotApplicable);
        assert_eq!(cpe.target_hw, value("x64"));
    }

    #[test]
    fn escapes_are_undone_and_colons_inside_values_survive() {
        let cpe = parse_cpe(r"cpe:2.3:a:microsoft:\.net_framework:4\.8:*:*:*:*:*:*:*").unwrap();
        assert_eq!(cpe.product, value(".net_framework"));
        assert_eq!(cpe.version, value("4.8"));
        let cpe = parse_cpe(r"cpe:2.3:a:acme:tool:1\:2:*:*:*:*:*:*:*").unwrap();
        assert_eq!(cpe.version, value("1:2"));
        assert_eq!(cpe.update, CpeValue::Any);
        // An escaped star is a literal star, not "any".
        let cpe = parse_cpe(r"cpe:2.3:a:acme:\*:1").unwrap();
        assert_eq!(cpe.product, value("*"));
    }

    #[test]
    fn a_uri_parses_with_percent_escapes_and_packed_editions() {
        let cpe = parse_cpe("cpe:/a:zimbra:collaboration_suite:8.8.15").unwrap();
        assert_eq!(cpe.vendor, value("zimbra"));
        assert_eq!(cpe.version, value("8.8.15"));
        assert_eq!(cpe.update, CpeValue::Any);
        let cpe = parse_cpe("cpe:/a:microsoft:%2enet_framework:4.8::~~~wordpress~~").unwrap();
        assert_eq!(cpe.product, value(".net_framework"));
        assert_eq!(cpe.target_sw, value("wordpress"));
        let cpe = parse_cpe("CPE:/O:Microsoft:Windows_Server_2019:-").unwrap();
        assert_eq!(cpe.part, CpePart::OperatingSystem);
        assert_eq!(cpe.vendor, value("microsoft"));
        assert_eq!(cpe.version, CpeValue::NotApplicable);
    }

    #[test]
    fn malformed_names_are_refused_with_the_reason() {
        assert!(matches!(parse_cpe("apache 2.4"), Err(CpeError::Prefix(_))));
        assert!(matches!(
            parse_cpe("cpe:2.3:x:a:b"),
            Err(CpeError::Part { .. })
        ));
        assert!(matches!(
            parse_cpe(r"cpe:2.3:a:b:c\"),
            Err(CpeError::Escape(_))
        ));
        assert!(matches!(
            parse_cpe("cpe:2.3:a:b:c:d:e:f:g:h:i:j:k:l"),
            Err(CpeError::TooManyAttributes(_))
        ));
        assert!(matches!(
            parse_cpe("cpe:/a:b:%zz"),
            Err(CpeError::PercentEscape(_))
        ));
    }

    #[test]
    fn the_formatted_string_round_trips() {
        let text = r"cpe:2.3:a:microsoft:\.net_framework:4\.8:*:*:*:*:*:*:*";
        let cpe = parse_cpe(text).unwrap();
        assert_eq!(cpe.to_string(), text);
        assert_eq!(parse_cpe(&cpe.to_string()).unwrap(), cpe);
    }

    #[test]
    fn names_are_normalised_like_nvd() {
        assert_eq!(normalise_name(" HTTP  Server "), "http_server");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,80}") {
            let _ = parse_cpe(&text);
        }

        #[test]
        fn parsing_cpe_shaped_text_never_panics_and_round_trips(
            text in "cpe:(2\\.3|/):[aoh*]?(:[a-z0-9_.%~*\\\\:\\-]{0,8}){0,12}"
        ) {
            if let Ok(cpe) = parse_cpe(&text) {
                let again = parse_cpe(&cpe.to_string());
                prop_assert_eq!(again, Ok(cpe));
            }
        }
    }
}
