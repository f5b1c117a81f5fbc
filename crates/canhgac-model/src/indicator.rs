//! Indicators of compromise: values that, seen in an event, mean trouble.

use serde::{Deserialize, Serialize};

use crate::{string_enum, FieldError, Id, Severity, Timestamp};

string_enum! {
    /// What an indicator's value is.
    IndicatorKind {
        /// One IPv4 or IPv6 address.
        Ip = "ip",
        /// A network; matches every address inside it.
        Cidr = "cidr",
        /// A domain; matches it and its subdomains.
        Domain = "domain",
        /// A URL; matches the same URL (scheme and host case-insensitive).
        Url = "url",
        /// MD5 file hash.
        Md5 = "md5",
        /// SHA-1 file hash.
        Sha1 = "sha1",
        /// SHA-256 file hash.
        Sha256 = "sha256",
        /// An email address.
        Email = "email",
    }
}

/// What a feed says about an indicator beyond its value. Every field is optional: manual
/// indicators usually carry none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorMeta {
    /// Confidence, 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// Traffic Light Protocol marking, e.g. `TLP:AMBER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<String>,
    /// When the source first saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub first_seen: Option<Timestamp>,
    /// When the source last saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_seen: Option<Timestamp>,
    /// The advisory it came with (number/code such as `2216/CATTT-NCSC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisory: Option<String>,
}

impl IndicatorMeta {
    /// Merges what another sighting of the same indicator says: the earliest first seen, the
    /// latest last seen, the highest confidence; a marking or advisory given replaces the old.
    pub fn merge(&mut self, newer: &IndicatorMeta) {
        let pick = |a: Option<Timestamp>, b: Option<Timestamp>, earliest: bool| match (a, b) {
            (Some(a), Some(b)) => Some(if earliest { a.min(b) } else { a.max(b) }),
            (a, b) => a.or(b),
        };
        self.first_seen = pick(self.first_seen, newer.first_seen, true);
        self.last_seen = pick(self.last_seen, newer.last_seen, false);
        self.confidence = self.confidence.max(newer.confidence);
        if newer.tlp.is_some() {
            self.tlp.clone_from(&newer.tlp);
        }
        if newer.advisory.is_some() {
            self.advisory.clone_from(&newer.advisory);
        }
    }
}

/// A stored indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    /// Identifier.
    pub id: Id,
    /// Kind.
    pub kind: IndicatorKind,
    /// Normalised value (lower-case domains and hashes, canonical IPs and networks).
    pub value: String,
    /// Where it came from (a feed, an advisory number, "manual").
    pub source: String,
    /// Why it matters.
    pub description: String,
    /// Severity of an alert it raises.
    pub severity: Severity,
    /// Tags.
    pub tags: Vec<String>,
    /// After this instant it no longer matches.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<Timestamp>,
    /// When it was added.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// What its feeds said about it.
    #[serde(default, flatten)]
    pub meta: IndicatorMeta,
}

/// A new indicator, from the API, the console or a CSV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorInput {
    /// Kind.
    pub kind: IndicatorKind,
    /// Value; normalised by [`IndicatorInput::validate`].
    pub value: String,
    /// Source.
    #[serde(default)]
    pub source: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Severity (default high).
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Expiry.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<Timestamp>,
    /// What its feed says about it.
    #[serde(default, flatten)]
    pub meta: IndicatorMeta,
}

fn default_severity() -> Severity {
    Severity::High
}

impl IndicatorInput {
    /// A manual indicator of `kind` with default severity.
    pub fn new(kind: IndicatorKind, value: &str) -> Self {
        Self {
            kind,
            value: value.to_string(),
            source: "manual".to_string(),
            description: String::new(),
            severity: default_severity(),
            tags: Vec::new(),
            expires_at: None,
            meta: IndicatorMeta::default(),
        }
    }

    /// Checks and normalises the value for its kind.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        self.value = normalise_indicator(self.kind, &self.value)
            .map_err(|message| FieldError::new("value", message))?;
        if self.source.trim().is_empty() {
            self.source = "manual".to_string();
        }
        if self.meta.confidence.is_some_and(|c| c > 100) {
            return Err(FieldError::new("confidence", "must be from 0 to 100"));
        }
        Ok(())
    }
}

/// Normalises an indicator value for its kind, re-fanging `hxxp://` and `[.]`.
pub fn normalise_indicator(kind: IndicatorKind, raw: &str) -> Result<String, String> {
    let refanged = raw
        .trim()
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[:]", ":")
        .replace("[@]", "@");
    let value = refanged.as_str();
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    let hex_of = |len: usize| -> Result<String, String> {
        if value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(value.to_ascii_lowercase())
        } else {
            Err(format!("must be {len} hexadecimal digits"))
        }
    };
    match kind {
        IndicatorKind::Ip => value
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.to_string())
            .map_err(|_| format!("{value:?} is not an IP address")),
        IndicatorKind::Cidr => value
            .parse::<ipnet::IpNet>()
            .map(|net| net.trunc().to_string())
            .map_err(|_| format!("{value:?} is not a network like 203.0.113.0/24")),
        IndicatorKind::Domain => {
            let domain = value.trim_end_matches('.').to_ascii_lowercase();
            let valid = domain.contains('.')
                && domain.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                });
            if valid {
                Ok(domain)
            } else {
                Err(format!("{value:?} is not a domain name"))
            }
        }
        IndicatorKind::Url => {
            let fixed = if let Some(rest) = value.strip_prefix("hxxp") {
                format!("http{rest}")
            } else {
                value.to_string()
            };
            url::Url::parse(&fixed)
                .map(|url| url.to_string())
                .map_err(|e| format!("{value:?} is not a URL: {e}"))
        }
        IndicatorKind::Md5 => hex_of(32),
        IndicatorKind::Sha1 => hex_of(40),
        IndicatorKind::Sha256 => hex_of(64),
        IndicatorKind::Email => {
            let email = value.to_ascii_lowercase();
            match email.split_once('@') {
                Some((local, domain)) if !local.is_empty() && domain.contains('.') => Ok(email),
                _ => Err(format!("{value:?} is not an email address")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_refanged_and_normalised() {
        let ok = |kind, raw| normalise_indicator(kind, raw).unwrap();
        assert_eq!(ok(IndicatorKind::Ip, " 1.2.3[.]4 "), "1.2.3.4");
        assert_eq!(ok(IndicatorKind::Cidr, "10.1.2.3/8"), "10.0.0.0/8");
        assert_eq!(
            ok(IndicatorKind::Domain, "Evil[.]Example.COM."),
            "evil.example.com"
        );
        assert_eq!(
            ok(IndicatorKind::Url, "hxxp://evil[.]example.com/a"),
            "http://evil.example.com/a"
        );
        assert_eq!(
            ok(IndicatorKind::Md5, "D41D8CD98F00B204E9800998ECF8427E"),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(ok(IndicatorKind::Email, "A@Example[.]com"), "a@example.com");
        assert!(normalise_indicator(IndicatorKind::Sha1, "abc").is_err());
        assert!(normalise_indicator(IndicatorKind::Domain, "localhost").is_err());
        assert!(normalise_indicator(IndicatorKind::Ip, "1.2.3").is_err());
    }
}
