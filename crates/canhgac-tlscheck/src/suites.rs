//! The cipher suites we offer and how strong each one is.
//!
//! Names and parameters come from tls-parser's copy of the IANA registry, so there is one list
//! of suites; the strength class is ours:
//!
//! - **insecure**: no encryption (NULL), no authentication (anonymous DH/ECDH), export-grade,
//!   RC4, RC2, single DES, or any cipher key under 112 bits. Broken in practice.
//! - **weak**: a 64-bit block cipher (3DES, IDEA: Sweet32), which we report at medium; CBC mode
//!   (padding-oracle family: Lucky13, POODLE for TLS) or a key exchange without forward secrecy
//!   (static RSA, static DH/ECDH), which we report at low. They still resist a casual attacker
//!   but have no place in a current configuration (Mozilla's "intermediate" profile drops them).
//! - **secure**: AEAD (GCM, ChaCha20-Poly1305, CCM) with ephemeral (EC)DHE, and every TLS 1.3
//!   suite.

use serde::{Deserialize, Serialize};
use tls_parser::{TlsCipherEnc, TlsCipherEncMode, TlsCipherKx, TlsCipherMac, TlsCipherSuite};

use crate::TlsVersion;

/// How strong a cipher suite is; see the module documentation for the classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuiteStrength {
    /// Broken: NULL, anonymous, export, RC4, DES.
    Insecure,
    /// 64-bit block cipher (3DES, IDEA): reported at medium severity.
    WeakBlock,
    /// CBC mode or no forward secrecy: reported at low severity.
    Weak,
    /// AEAD with forward secrecy.
    Secure,
}

/// The TLS 1.3 suites (RFC 8446 and the CCM ones).
pub const TLS13_SUITES: [u16; 5] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];

/// The signalling value asking for secure renegotiation, sent with SSLv3 hellos that carry no
/// extensions.
pub const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00ff;

/// The IANA name of a suite, or its number in hex when the registry does not know it.
pub fn suite_name(id: u16) -> String {
    match TlsCipherSuite::from_id(id) {
        Some(suite) => suite.name.to_owned(),
        None => format!("0x{id:04X}"),
    }
}

/// The strength class of a suite and the reason in English and Vietnamese.
pub fn classify(id: u16) -> (SuiteStrength, &'static str, &'static str) {
    let Some(suite) = TlsCipherSuite::from_id(id) else {
        return (SuiteStrength::Weak, "unknown suite", "bộ mã không rõ");
    };
    if suite.kx == TlsCipherKx::Tls13 {
        return (SuiteStrength::Secure, "TLS 1.3 AEAD", "AEAD của TLS 1.3");
    }
    if suite.enc == TlsCipherEnc::Null {
        return (
            SuiteStrength::Insecure,
            "no encryption (NULL)",
            "không mã hoá (NULL)",
        );
    }
    let anonymous =
        matches!(suite.au, tls_parser::TlsCipherAu::Null) || suite.kx == TlsCipherKx::Aecdh;
    if anonymous {
        return (
            SuiteStrength::Insecure,
            "anonymous key exchange, no server authentication",
            "trao đổi khoá ẩn danh, không xác thực máy chủ",
        );
    }
    if suite.name.contains("EXPORT") {
        return (
            SuiteStrength::Insecure,
            "export-grade",
            "mã hoá cấp xuất khẩu (EXPORT)",
        );
    }
    match suite.enc {
        TlsCipherEnc::Rc4 => return (SuiteStrength::Insecure, "RC4", "RC4"),
        TlsCipherEnc::Rc2 => return (SuiteStrength::Insecure, "RC2", "RC2"),
        TlsCipherEnc::Des => return (SuiteStrength::Insecure, "single DES", "DES đơn"),
        TlsCipherEnc::TripleDes | TlsCipherEnc::Idea => {
            return (
                SuiteStrength::WeakBlock,
                "64-bit block cipher (Sweet32)",
                "mã khối 64 bit (Sweet32)",
            )
        }
        _ => {}
    }
    if suite.enc_size < 112 {
        return (
            SuiteStrength::Insecure,
            "key under 112 bits",
            "khoá dưới 112 bit",
        );
    }
    if !matches!(suite.kx, TlsCipherKx::Ecdhe | TlsCipherKx::Dhe) {
        return (
            SuiteStrength::Weak,
            "no forward secrecy (static key exchange)",
            "không có bí mật chuyển tiếp (trao đổi khoá tĩnh)",
        );
    }
    if suite.enc_mode == TlsCipherEncMode::Cbc || suite.mac != TlsCipherMac::Aead {
        return (SuiteStrength::Weak, "CBC mode", "chế độ CBC");
    }
    (
        SuiteStrength::Secure,
        "AEAD with forward secrecy",
        "AEAD có bí mật chuyển tiếp",
    )
}

/// The suites a ClientHello for `version` offers: every registry suite a server could pick
/// without a pre-shared key or Kerberos, TLS 1.3 suites only for TLS 1.3. AEAD suites are not
/// defined before TLS 1.2, but a broken server might still pick one, so they stay in.
pub fn candidate_suites(version: TlsVersion) -> Vec<u16> {
    if version == TlsVersion::Tls13 {
        return TLS13_SUITES.to_vec();
    }
    let mut ids: Vec<u16> = tls_parser::CIPHERS
        .values()
        .filter(|suite| {
            !matches!(
                suite.kx,
                TlsCipherKx::Psk
                    | TlsCipherKx::Krb5
                    | TlsCipherKx::Srp
                    | TlsCipherKx::Eccpwd
                    | TlsCipherKx::Tls13
            ) && !matches!(suite.au, tls_parser::TlsCipherAu::Psk)
                && suite.id.0 != 0x0000
                && suite.id.0 != EMPTY_RENEGOTIATION_INFO_SCSV
                && suite.id.0 != 0x5600
        })
        .map(|suite| suite.id.0)
        .collect();
    // Strongest first and ECDHE before DHE, as a browser would, so the version probe sees a
    // suite the server likes.
    ids.sort_by_key(|id| {
        let ecdhe = TlsCipherSuite::from_id(*id).is_some_and(|s| s.kx == TlsCipherKx::Ecdhe);
        (std::cmp::Reverse(classify(*id).0), !ecdhe, *id)
    });
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_documented_rules() {
        // TLS_RSA_WITH_RC4_128_SHA
        assert_eq!(classify(0x0005).0, SuiteStrength::Insecure);
        // TLS_RSA_WITH_NULL_SHA256
        assert_eq!(classify(0x003B).0, SuiteStrength::Insecure);
        // TLS_DH_anon_WITH_AES_128_GCM_SHA256
        assert_eq!(classify(0x00A6).0, SuiteStrength::Insecure);
        // TLS_RSA_EXPORT_WITH_DES40_CBC_SHA
        assert_eq!(classify(0x0008).0, SuiteStrength::Insecure);
        // TLS_RSA_WITH_DES_CBC_SHA
        assert_eq!(classify(0x0009).0, SuiteStrength::Insecure);
        // TLS_RSA_WITH_3DES_EDE_CBC_SHA
        assert_eq!(classify(0x000A).0, SuiteStrength::WeakBlock);
        // TLS_RSA_WITH_AES_128_GCM_SHA256: no forward secrecy
        assert_eq!(classify(0x009C).0, SuiteStrength::Weak);
        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
        assert_eq!(classify(0xC013).0, SuiteStrength::Weak);
        // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        assert_eq!(classify(0xC02F).0, SuiteStrength::Secure);
        // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        assert_eq!(classify(0xCCA9).0, SuiteStrength::Secure);
        assert_eq!(classify(0x1301).0, SuiteStrength::Secure);
    }

    #[test]
    fn candidates_leave_out_psk_and_signalling_values_and_put_strong_suites_first() {
        let ids = candidate_suites(TlsVersion::Tls12);
        assert!(ids.contains(&0xC02F) && ids.contains(&0x000A) && ids.contains(&0x0005));
        assert!(!ids.contains(&0x00FF) && !ids.contains(&0x5600) && !ids.contains(&0x1301));
        assert!(
            !ids.contains(&0x00A8),
            "PSK suites need a key we do not have"
        );
        assert_eq!(classify(ids[0]).0, SuiteStrength::Secure);
        assert_eq!(ids[0], 0xC02B, "ECDHE before DHE");
        assert_eq!(candidate_suites(TlsVersion::Tls13), TLS13_SUITES.to_vec());
        assert_eq!(suite_name(0xC02F), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(suite_name(0xFAFA), "0xFAFA");
    }
}
