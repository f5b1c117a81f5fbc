//! Assets: the addresses of an information system, which define scan scope and event attribution.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};
use crate::{string_enum, Id, Timestamp};

string_enum! {
    /// What an asset's `value` holds.
    AssetKind {
        /// One IPv4 or IPv6 address.
        Ip = "ip",
        /// An IPv4 or IPv6 network in CIDR notation.
        Cidr = "cidr",
        /// A DNS name (`*.` wildcard allowed as the first label).
        Domain = "domain",
        /// An http(s) URL.
        Url = "url",
    }
}

/// A piece of software installed on an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Software {
    /// Product name, e.g. "Zimbra Collaboration".
    pub name: String,
    /// Version string as the vendor writes it.
    #[serde(default)]
    pub version: Option<String>,
    /// CPE 2.3 name, when known (`cpe:2.3:a:zimbra:collaboration:8.8.15:...`).
    #[serde(default)]
    pub cpe: Option<String>,
}

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Asset {
    /// Database id.
    pub id: Id,
    /// The system the asset belongs to.
    pub system_id: Id,
    /// What `value` holds.
    pub kind: AssetKind,
    /// The normalised address: canonical IP, network address with prefix, lower-case domain, URL.
    pub value: String,
    /// Host name or label.
    pub name: Option<String>,
    /// Operating system, e.g. "Ubuntu".
    pub os: Option<String>,
    /// Operating system version, e.g. "22.04".
    pub os_version: Option<String>,
    /// Installed software.
    pub software: Vec<Software>,
    /// Free-form note.
    pub note: Option<String>,
    /// When the record was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the record last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// What a caller supplies to create or change an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssetInput {
    /// The system the asset belongs to (ignored by inventory files, which nest assets).
    #[serde(default)]
    pub system_id: Id,
    /// What `value` holds.
    pub kind: AssetKind,
    /// The address.
    pub value: String,
    /// Host name or label.
    #[serde(default)]
    pub name: Option<String>,
    /// Operating system.
    #[serde(default)]
    pub os: Option<String>,
    /// Operating system version.
    #[serde(default)]
    pub os_version: Option<String>,
    /// Installed software.
    #[serde(default)]
    pub software: Vec<Software>,
    /// Free-form note.
    #[serde(default)]
    pub note: Option<String>,
}

impl AssetInput {
    /// A minimal input (system id 0, to be set by the caller).
    pub fn new(kind: AssetKind, value: impl Into<String>) -> Self {
        Self {
            system_id: 0,
            kind,
            value: value.into(),
            name: None,
            os: None,
            os_version: None,
            software: Vec::new(),
            note: None,
        }
    }

    /// Normalises the address for its kind and checks every field.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        self.value = normalise_address(self.kind, &self.value)?;
        validate::optional_text("name", &mut self.name, 255)?;
        validate::optional_text("os", &mut self.os, 100)?;
        validate::optional_text("os_version", &mut self.os_version, 100)?;
        validate::optional_text("note", &mut self.note, 2000)?;
        for software in &mut self.software {
            validate::required_text("software.name", &mut software.name, 200)?;
            validate::optional_text("software.version", &mut software.version, 100)?;
            validate::optional_text("software.cpe", &mut software.cpe, 300)?;
            if let Some(cpe) = &software.cpe {
                if !cpe.starts_with("cpe:2.3:") && !cpe.starts_with("cpe:/") {
                    return Err(FieldError::new(
                        "software.cpe",
                        format!("{cpe:?} is not a CPE name"),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl From<&Asset> for AssetInput {
    fn from(a: &Asset) -> Self {
        Self {
            system_id: a.system_id,
            kind: a.kind,
            value: a.value.clone(),
            name: a.name.clone(),
            os: a.os.clone(),
            os_version: a.os_version.clone(),
            software: a.software.clone(),
            note: a.note.clone(),
        }
    }
}

/// Parses `raw` as an address of `kind` and returns its canonical text.
pub fn normalise_address(kind: AssetKind, raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    let bad = |why: &str| FieldError::new("value", format!("{raw:?} {why}"));
    if raw.is_empty() {
        return Err(FieldError::new("value", "is required"));
    }
    match kind {
        AssetKind::Ip => raw
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .map_err(|_| bad("is not an IPv4 or IPv6 address")),
        AssetKind::Cidr => {
            let net: ipnet::IpNet = raw
                .parse()
                .map_err(|_| bad("is not a network in CIDR notation (e.g. 203.0.113.0/24)"))?;
            if net.trunc() != net {
                return Err(bad(&format!(
                    "has host bits set; the network is {}",
                    net.trunc()
                )));
            }
            Ok(net.to_string())
        }
        AssetKind::Domain => {
            let lower = raw.to_ascii_lowercase();
            let lower = lower.strip_suffix('.').unwrap_or(&lower).to_string();
            let host = lower.strip_prefix("*.").unwrap_or(&lower);
            if !raw.is_ascii() {
                return Err(bad(
                    "is not ASCII; write internationalised names in their xn-- form",
                ));
            }
            if !validate::is_hostname(host) || !host.contains('.') || host.parse::<IpAddr>().is_ok()
            {
                return Err(bad("is not a domain name"));
            }
            Ok(lower)
        }
        AssetKind::Url => {
            let url = url::Url::parse(raw).map_err(|e| bad(&format!("is not a URL ({e})")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(bad("is not an http or https URL"));
            }
            if url.host_str().is_none_or(str::is_empty) {
                return Err(bad("has no host"));
            }
            Ok(url.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(kind: AssetKind, raw: &str) -> Result<String, FieldError> {
        normalise_address(kind, raw)
    }

    #[test]
    fn ips_are_canonical() {
        assert_eq!(norm(AssetKind::Ip, " 203.0.113.5 ").unwrap(), "203.0.113.5");
        assert_eq!(
            norm(AssetKind::Ip, "2001:DB8:0:0::1").unwrap(),
            "2001:db8::1"
        );
        assert!(norm(AssetKind::Ip, "203.0.113.300").is_err());
    }

    #[test]
    fn cidrs_reject_host_bits() {
        assert_eq!(
            norm(AssetKind::Cidr, "203.0.113.0/24").unwrap(),
            "203.0.113.0/24"
        );
        assert_eq!(
            norm(AssetKind::Cidr, "2001:db8::/32").unwrap(),
            "2001:db8::/32"
        );
        let err = norm(AssetKind::Cidr, "203.0.113.7/24").unwrap_err();
        assert!(err.message.contains("203.0.113.0/24"), "{err}");
        assert!(norm(AssetKind::Cidr, "10.0.0.0/33").is_err());
    }

    #[test]
    fn domains_and_urls() {
        assert_eq!(
            norm(AssetKind::Domain, "Mail.Tinh.GOV.VN.").unwrap(),
            "mail.tinh.gov.vn"
        );
        assert_eq!(
            norm(AssetKind::Domain, "*.tinh.gov.vn").unwrap(),
            "*.tinh.gov.vn"
        );
        assert!(norm(AssetKind::Domain, "localhost").is_err());
        assert!(norm(AssetKind::Domain, "1.2.3.4").is_err());
        assert!(norm(AssetKind::Domain, "bad_name.vn").is_err());
        assert_eq!(
            norm(AssetKind::Url, "https://Portal.vn/a?b=1").unwrap(),
            "https://portal.vn/a?b=1"
        );
        assert!(norm(AssetKind::Url, "ftp://x.vn/").is_err());
        assert!(norm(AssetKind::Url, "not a url").is_err());
    }
}
