//! What the server's certificate chain says and what is wrong with it: dates, names, key,
//! signature, and whether it leads to a trusted root.

use std::net::IpAddr;

use jiff::Timestamp;
use rustls::pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

/// Signature algorithm OIDs whose hash is broken (MD2, MD5) or deprecated (SHA-1).
const MD_SIGNATURES: [&str; 2] = ["1.2.840.113549.1.1.2", "1.2.840.113549.1.1.4"];
const SHA1_SIGNATURES: [&str; 4] = [
    "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
    "1.2.840.10045.4.1",    // ecdsa-with-SHA1
    "1.2.840.10040.4.3",    // dsa-with-sha1
    "1.3.14.3.2.29",        // sha1WithRSASignature (OIW)
];

/// The facts of one certificate that the review reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// The subject's common name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// DNS names of the subjectAltName extension.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
    /// IP addresses of the subjectAltName extension.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_addresses: Vec<IpAddr>,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// Public key type: `RSA`, `EC`, `DSA`, `Ed25519`, `Ed448` or the algorithm OID.
    pub key_type: String,
    /// Public key size in bits, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u32>,
    /// Signature algorithm name (e.g. `sha256WithRSAEncryption`), or its OID.
    pub signature_algorithm: String,
    /// Signature algorithm OID.
    pub signature_oid: String,
    /// Subject and issuer are the same name.
    pub self_signed: bool,
    /// Serial number in hex.
    pub serial: String,
}

/// Hashes of certificate signatures we report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeakHash {
    /// MD2 or MD5: forgeable.
    Md5,
    /// SHA-1: collisions are practical, browsers reject it.
    Sha1,
}

impl CertificateInfo {
    /// Parses a DER certificate; `None` when it is not one.
    pub fn parse(der: &[u8]) -> Option<CertificateInfo> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                    GeneralName::IPAddress(bytes) => {
                        if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                            ip_addresses.push(IpAddr::from(v4));
                        } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                            ip_addresses.push(IpAddr::from(v6));
                        }
                    }
                    _ => {}
                }
            }
        }
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let key_oid = cert.public_key().algorithm.algorithm.to_id_string();
        let (key_type, key_bits) = match cert.public_key().parsed() {
            Ok(PublicKey::RSA(rsa)) => ("RSA".to_owned(), Some(rsa.key_size() as u32)),
            Ok(PublicKey::EC(point)) => ("EC".to_owned(), Some(point.key_size() as u32)),
            Ok(PublicKey::DSA(_)) => ("DSA".to_owned(), None),
            _ => match key_oid.as_str() {
                "1.3.101.112" => ("Ed25519".to_owned(), Some(256)),
                "1.3.101.113" => ("Ed448".to_owned(), Some(456)),
                _ => (key_oid, None),
            },
        };
        let signature_oid = cert.signature_algorithm.algorithm.to_id_string();
        let signature_algorithm = x509_parser::objects::oid2sn(
            &cert.signature_algorithm.algorithm,
            x509_parser::objects::oid_registry(),
        )
        .map(str::to_owned)
        .unwrap_or_else(|_| signature_oid.clone());
        Some(CertificateInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            common_name,
            dns_names,
            ip_addresses,
            not_before: Timestamp::from_second(cert.validity().not_before.timestamp()).ok()?,
            not_after: Timestamp::from_second(cert.validity().not_after.timestamp()).ok()?,
            key_type,
            key_bits,
            signature_algorithm,
            signature_oid,
            self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
            serial: cert.raw_serial_as_string(),
        })
    }

    /// Whether the certificate is valid for `name` (a DNS name or an IP address): the
    /// subjectAltName entries, or the common name when there are no DNS entries. A wildcard
    /// stands for exactly one leftmost label.
    pub fn matches_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Ok(ip) = name.parse::<IpAddr>() {
            return self.ip_addresses.contains(&ip);
        }
        if self.dns_names.is_empty() {
            return self
                .common_name
                .as_deref()
                .is_some_and(|cn| dns_name_matches(cn, &name));
        }
        self.dns_names
            .iter()
            .any(|pattern| dns_name_matches(pattern, &name))
    }

    /// The broken or deprecated hash of the signature, if it uses one.
    pub fn weak_hash(&self) -> Option<WeakHash> {
        if MD_SIGNATURES.contains(&self.signature_oid.as_str()) {
            Some(WeakHash::Md5)
        } else if SHA1_SIGNATURES.contains(&self.signature_oid.as_str()) {
            Some(WeakHash::Sha1)
        } else {
            None
        }
    }
}

fn dns_name_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        // `*.vn` would cover a whole country code: a wildcard needs two labels after it.
        Some(suffix) => match name.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest == suffix && suffix.contains('.'),
            None => false,
        },
        None => pattern == name,
    }
}

/// Where the chain leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChainTrust {
    /// It leads to a Mozilla root or one of the extra roots.
    Trusted,
    /// The leaf signs itself.
    SelfSigned,
    /// A certificate's issuer is neither sent nor a trusted root: the server leaves out an
    /// intermediate (or the issuer is unknown).
    IncompleteChain {
        /// The issuer name that could not be found.
        missing_issuer: String,
    },
    /// The chain is whole but ends in a root nobody trusts.
    UntrustedRoot {
        /// The root's subject.
        root: String,
    },
    /// Another verification failure (e.g. a bad signature or a CA without the CA flag).
    Invalid {
        /// What rustls-webpki said.
        reason: String,
    },
}

/// The certificate part of a review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateReview {
    /// The certificates as sent, leaf first (the ones that could be parsed).
    pub chain: Vec<CertificateInfo>,
    /// Where the chain leads.
    pub trust: ChainTrust,
    /// The name checked against the leaf, if the target named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_name: Option<String>,
    /// Whether the leaf is valid for that name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_matches: Option<bool>,
    /// How the chain was obtained (`TLS 1.2 handshake` or `rustls`).
    pub source: String,
}

impl CertificateReview {
    /// The leaf certificate.
    pub fn leaf(&self) -> Option<&CertificateInfo> {
        self.chain.first()
    }
}

/// Reviews a DER chain (leaf first) for `server_name`, with the Mozilla roots plus
/// `extra_roots` (DER) as trust anchors. Chain trust is checked at a moment inside the leaf's
/// validity, so an expired leaf is reported as expired rather than as an untrusted chain.
pub fn review_chain(
    chain: &[Vec<u8>],
    server_name: Option<&str>,
    extra_roots: &[Vec<u8>],
    now: Timestamp,
    source: &str,
) -> Option<CertificateReview> {
    let leaf_der = chain.first()?;
    let infos: Vec<CertificateInfo> = chain
        .iter()
        .filter_map(|der| CertificateInfo::parse(der))
        .collect();
    let leaf = CertificateInfo::parse(leaf_der)?;
    let at = if leaf.not_before <= now && now <= leaf.not_after {
        now
    } else {
        let middle = (leaf.not_before.as_second() + leaf.not_after.as_second()) / 2;
        Timestamp::from_second(middle).unwrap_or(now)
    };
    let trust = chain_trust(chain, &leaf, extra_roots, at);
    let name_matches = server_name.map(|name| leaf.matches_name(name));
    Some(CertificateReview {
        chain: infos,
        trust,
        checked_name: server_name.map(str::to_owned),
        name_matches,
        source: source.to_owned(),
    })
}

fn chain_trust(
    chain: &[Vec<u8>],
    leaf: &CertificateInfo,
    extra_roots: &[Vec<u8>],
    at: Timestamp,
) -> ChainTrust {
    let extra: Vec<TrustAnchor<'static>> = extra_roots
        .iter()
        .filter_map(|der| {
            webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
                .ok()
                .map(|anchor| anchor.to_owned())
        })
        .collect();
    let anchors: Vec<TrustAnchor<'_>> = webpki_roots::TLS_SERVER_ROOTS
        .iter()
        .cloned()
        .chain(extra)
        .collect();
    let leaf_der = CertificateDer::from(chain[0].as_slice());
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|der| CertificateDer::from(der.as_slice()))
        .collect();
    let seconds = u64::try_from(at.as_second()).unwrap_or(0);
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds));
    let verified = webpki::EndEntityCert::try_from(&leaf_der).and_then(|end_entity| {
        end_entity
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &anchors,
                &intermediates,
                time,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .map(|_| ())
    });
    match verified {
        Ok(()) => ChainTrust::Trusted,
        Err(_) if leaf.self_signed => ChainTrust::SelfSigned,
        Err(webpki::Error::UnknownIssuer) => walk_to_top(chain),
        Err(error) => ChainTrust::Invalid {
            reason: format!("{error:?}"),
        },
    }
}

/// Follows issuer names through the sent chain to say whether an issuer is missing or the
/// chain ends in an untrusted root.
fn walk_to_top(chain: &[Vec<u8>]) -> ChainTrust {
    let parsed: Vec<X509Certificate<'_>> = chain
        .iter()
        .filter_map(|der| X509Certificate::from_der(der).ok().map(|(_, cert)| cert))
        .collect();
    let Some(mut current) = parsed.first() else {
        return ChainTrust::Invalid {
            reason: "unparsable leaf".to_owned(),
        };
    };
    for _ in 0..parsed.len() {
        if current.subject().as_raw() == current.issuer().as_raw() {
            return ChainTrust::UntrustedRoot {
                root: current.subject().to_string(),
            };
        }
        match parsed
            .iter()
            .find(|cert| cert.subject().as_raw() == current.issuer().as_raw())
        {
            Some(issuer) => current = issuer,
            None => {
                return ChainTrust::IncompleteChain {
                    missing_issuer: current.issuer().to_string(),
                }
            }
        }
    }
    ChainTrust::Invalid {
        reason: "issuer loop in the chain".to_owned(),
    }
}

/// A date as Vietnamese text shows it: dd/mm/yyyy, Vietnam time.
pub fn date_vi(at: Timestamp) -> String {
    let vietnam = jiff::tz::TimeZone::fixed(jiff::tz::offset(7));
    at.to_zoned(vietnam).strftime("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(dns: &[&str], cn: Option<&str>) -> CertificateInfo {
        CertificateInfo {
            subject: String::new(),
            issuer: String::new(),
            common_name: cn.map(str::to_owned),
            dns_names: dns.iter().map(|d| d.to_string()).collect(),
            ip_addresses: vec!["192.0.2.1".parse().expect("ip")],
            not_before: Timestamp::UNIX_EPOCH,
            not_after: Timestamp::UNIX_EPOCH,
            key_type: "EC".into(),
            key_bits: Some(256),
            signature_algorithm: String::new(),
            signature_oid: String::new(),
            self_signed: false,
            serial: String::new(),
        }
    }

    #[test]
    fn wildcards_cover_one_label_only() {
        let cert = info(&["*.example.gov.vn", "example.gov.vn"], None);
        assert!(cert.matches_name("portal.example.gov.vn"));
        assert!(cert.matches_name("PORTAL.Example.gov.vn."));
        assert!(cert.matches_name("example.gov.vn"));
        assert!(!cert.matches_name("a.portal.example.gov.vn"));
        assert!(!cert.matches_name("portalexample.gov.vn"));
        assert!(!info(&["*.vn"], None).matches_name("gov.vn"));
        assert!(cert.matches_name("192.0.2.1"));
        assert!(!cert.matches_name("192.0.2.2"));
    }

    #[test]
    fn the_common_name_counts_only_without_dns_names() {
        assert!(info(&[], Some("mail.example.gov.vn")).matches_name("mail.example.gov.vn"));
        assert!(!info(&["www.example.gov.vn"], Some("mail.example.gov.vn"))
            .matches_name("mail.example.gov.vn"));
    }

    #[test]
    fn dates_are_day_month_year_in_vietnam_time() {
        // 2026-03-04 20:00 UTC is already the 5th in Hà Nội.
        let at: Timestamp = "2026-03-04T20:00:00Z".parse().expect("timestamp");
        assert_eq!(date_vi(at), "05/03/2026");
    }
}
