//! DKIM key records (RFC 6376 §3.6.1) published at `<selector>._domainkey.<domain>`.

use base64::Engine;
use serde::{Deserialize, Serialize};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::tag_list;

/// One parsed DKIM key record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimRecord {
    /// `k`: the key type (`rsa` when absent).
    pub key_type: String,
    /// The key was revoked: `p=` is empty.
    pub revoked: bool,
    /// Length of the RSA modulus in bits, when the key is RSA and decodes.
    pub rsa_bits: Option<usize>,
    /// `t=y`: the domain is testing DKIM.
    pub testing: bool,
    /// Why the key could not be read (bad base64, not a public key).
    pub problem: Option<String>,
}

impl DkimRecord {
    /// Parses a DKIM key record and measures its key.
    pub fn parse(text: &str) -> DkimRecord {
        let mut record = DkimRecord {
            key_type: "rsa".to_owned(),
            ..DkimRecord::default()
        };
        let mut key = None;
        for (name, value) in tag_list(text) {
            match name.as_str() {
                "k" => record.key_type = value.to_ascii_lowercase(),
                "p" => key = Some(value),
                "t" => record.testing = value.split(':').any(|flag| flag.trim() == "y"),
                _ => {}
            }
        }
        let Some(key) = key else {
            record.problem = Some("thiếu thẻ p (khóa công khai)".to_owned());
            return record;
        };
        // Long keys are published in several TXT strings, sometimes with spaces between.
        let key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
        if key.is_empty() {
            record.revoked = true;
            return record;
        }
        let der = match base64::engine::general_purpose::STANDARD.decode(&key) {
            Ok(der) => der,
            Err(error) => {
                record.problem = Some(format!("khóa không phải base64: {error}"));
                return record;
            }
        };
        if record.key_type == "rsa" {
            match rsa_bits(&der) {
                Some(bits) => record.rsa_bits = Some(bits),
                None => record.problem = Some("khóa không phải khóa công khai RSA".to_owned()),
            }
        }
        record
    }
}

/// Bits of an RSA key given as SubjectPublicKeyInfo (as RFC 6376 says) or, as some signers
/// publish it, a bare PKCS#1 RSAPublicKey.
fn rsa_bits(der: &[u8]) -> Option<usize> {
    if let Ok((_, info)) = SubjectPublicKeyInfo::from_der(der) {
        return match info.parsed() {
            Ok(PublicKey::RSA(rsa)) => Some(modulus_bits(rsa.modulus)),
            _ => None,
        };
    }
    RSAPublicKey::from_der(der)
        .ok()
        .map(|(_, rsa)| modulus_bits(rsa.modulus))
}

/// The modulus length, leading zero bytes and bits not counted.
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant: &[u8] = match modulus.iter().position(|b| *b != 0) {
        Some(start) => &modulus[start..],
        None => return 0,
    };
    significant.len() * 8 - significant[0].leading_zeros() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_skip_leading_zeros() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x01]), 16);
        assert_eq!(modulus_bits(&[0x01, 0x00]), 9);
        assert_eq!(modulus_bits(&[]), 0);
    }

    #[test]
    fn revoked_and_broken_keys() {
        assert!(DkimRecord::parse("v=DKIM1; k=rsa; p=").revoked);
        let broken = DkimRecord::parse("v=DKIM1; p=@@@");
        assert!(broken.problem.unwrap().contains("base64"));
        let not_a_key = DkimRecord::parse("v=DKIM1; p=AAAA");
        assert_eq!(not_a_key.rsa_bits, None);
        assert!(not_a_key.problem.is_some());
        assert!(DkimRecord::parse("v=DKIM1; t=s:y; p=").testing);
        assert!(DkimRecord::parse("v=DKIM1").problem.is_some());
    }
}
