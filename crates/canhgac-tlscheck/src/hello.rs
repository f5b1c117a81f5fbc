//! ClientHellos built by hand, so any version from SSLv3 to TLS 1.3 can be offered.
//!
//! A hello for TLS 1.2 and below names its highest version in `client_version`; a hello that
//! offers TLS 1.3 says `0x0303` there and lists the versions in `supported_versions`, with an
//! x25519 key share made of random bytes (we only need the ServerHello, never the shared key).
//! SSLv3 hellos carry no extensions, as SSLv3 servers may choke on them, and signal secure
//! renegotiation with the SCSV instead.

use crate::suites::EMPTY_RENEGOTIATION_INFO_SCSV;
use crate::TlsVersion;

const HANDSHAKE_RECORD: u8 = 22;
const CLIENT_HELLO: u8 = 1;

const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_SUPPORTED_GROUPS: u16 = 0x000a;
const EXT_EC_POINT_FORMATS: u16 = 0x000b;
const EXT_SIGNATURE_ALGORITHMS: u16 = 0x000d;
const EXT_EXTENDED_MASTER_SECRET: u16 = 0x0017;
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
const EXT_PSK_KEY_EXCHANGE_MODES: u16 = 0x002d;
const EXT_KEY_SHARE: u16 = 0x0033;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;

/// x25519 first, then the NIST curves and finite-field groups old servers know.
const GROUPS: [u16; 7] = [0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101];
const GROUP_X25519: u16 = 0x001d;

/// ECDSA, RSA-PSS, RSA PKCS#1, EdDSA, then the SHA-1 and DSA schemes old servers need.
const SIGNATURE_SCHEMES: [u16; 15] = [
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0808, 0x0203,
    0x0201, 0x0402, 0x0202,
];

/// The most suites one hello offers; more are dropped so the hello fits in one record.
pub const MAX_SUITES: usize = 4096;

/// What one ClientHello offers.
#[derive(Debug, Clone)]
pub struct ClientHelloSpec<'a> {
    /// The lowest version offered.
    pub min_version: TlsVersion,
    /// The highest version offered.
    pub max_version: TlsVersion,
    /// The cipher suites offered, in order of preference (the first [`MAX_SUITES`]).
    pub suites: &'a [u16],
    /// The name sent as SNI (left out when it is an IP address or absent).
    pub server_name: Option<&'a str>,
}

/// The ClientHello for `spec` as one TLS record, ready to write to the socket.
pub fn client_hello(spec: &ClientHelloSpec<'_>) -> Vec<u8> {
    let sslv3_only = spec.max_version == TlsVersion::Ssl3;
    let offers_tls13 = spec.max_version == TlsVersion::Tls13;
    let legacy_version = if offers_tls13 {
        TlsVersion::Tls12.wire()
    } else {
        spec.max_version.wire()
    };

    let mut body = Vec::with_capacity(512);
    push_u16(&mut body, legacy_version);
    body.extend_from_slice(&rand::random::<[u8; 32]>());
    // A session id makes middleboxes treat a TLS 1.3 hello as a resumption, as browsers do.
    body.push(32);
    body.extend_from_slice(&rand::random::<[u8; 32]>());

    let mut suites: Vec<u16> = spec.suites.iter().copied().take(MAX_SUITES).collect();
    if sslv3_only && !suites.contains(&EMPTY_RENEGOTIATION_INFO_SCSV) {
        suites.push(EMPTY_RENEGOTIATION_INFO_SCSV);
    }
    push_u16(&mut body, (suites.len() * 2) as u16);
    for suite in &suites {
        push_u16(&mut body, *suite);
    }
    body.extend_from_slice(&[1, 0]); // compression: null only

    if !sslv3_only {
        let extensions = extensions(spec, offers_tls13);
        push_u16(&mut body, extensions.len() as u16);
        body.extend_from_slice(&extensions);
    }

    let mut handshake = Vec::with_capacity(body.len() + 4);
    handshake.push(CLIENT_HELLO);
    push_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);

    // Record version: 0x0301 is what browsers send, since some servers drop higher ones.
    let record_version = if sslv3_only { 0x0300 } else { 0x0301 };
    let mut record = Vec::with_capacity(handshake.len() + 5);
    record.push(HANDSHAKE_RECORD);
    push_u16(&mut record, record_version);
    push_u16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

fn extensions(spec: &ClientHelloSpec<'_>, offers_tls13: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    if let Some(name) = spec.server_name.filter(|n| is_sni_name(n)) {
        let name = name.trim_end_matches('.').as_bytes();
        let mut data = Vec::with_capacity(name.len() + 5);
        push_u16(&mut data, (name.len() + 3) as u16);
        data.push(0); // host_name
        push_u16(&mut data, name.len() as u16);
        data.extend_from_slice(name);
        push_extension(&mut out, EXT_SERVER_NAME, &data);
    }

    let mut groups = Vec::with_capacity(GROUPS.len() * 2 + 2);
    push_u16(&mut groups, (GROUPS.len() * 2) as u16);
    for group in GROUPS {
        push_u16(&mut groups, group);
    }
    push_extension(&mut out, EXT_SUPPORTED_GROUPS, &groups);
    push_extension(&mut out, EXT_EC_POINT_FORMATS, &[1, 0]);

    let mut schemes = Vec::with_capacity(SIGNATURE_SCHEMES.len() * 2 + 2);
    push_u16(&mut schemes, (SIGNATURE_SCHEMES.len() * 2) as u16);
    for scheme in SIGNATURE_SCHEMES {
        push_u16(&mut schemes, scheme);
    }
    push_extension(&mut out, EXT_SIGNATURE_ALGORITHMS, &schemes);
    push_extension(&mut out, EXT_RENEGOTIATION_INFO, &[0]);
    push_extension(&mut out, EXT_EXTENDED_MASTER_SECRET, &[]);

    if offers_tls13 {
        let versions: Vec<TlsVersion> = TlsVersion::ALL
            .into_iter()
            .rev()
            .filter(|v| *v >= spec.min_version && *v <= spec.max_version)
            .collect();
        let mut data = Vec::with_capacity(versions.len() * 2 + 1);
        data.push((versions.len() * 2) as u8);
        for version in versions {
            push_u16(&mut data, version.wire());
        }
        push_extension(&mut out, EXT_SUPPORTED_VERSIONS, &data);
        push_extension(&mut out, EXT_PSK_KEY_EXCHANGE_MODES, &[1, 1]);

        // Any 32 bytes are a usable x25519 public key.
        let mut share = Vec::with_capacity(38);
        push_u16(&mut share, 36);
        push_u16(&mut share, GROUP_X25519);
        push_u16(&mut share, 32);
        share.extend_from_slice(&rand::random::<[u8; 32]>());
        push_extension(&mut out, EXT_KEY_SHARE, &share);
    }
    out
}

/// SNI carries DNS names only (RFC 6066): not IP literals, nothing longer than a DNS name.
fn is_sni_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.is_ascii()
        && name.parse::<std::net::IpAddr>().is_err()
}

fn push_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    push_u16(out, kind);
    push_u16(out, data.len() as u16);
    out.extend_from_slice(data);
}

fn push_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn push_u24(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&(value as u32).to_be_bytes()[1..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tls_parser::{
        parse_tls_extensions, parse_tls_plaintext, TlsExtension, TlsMessage, TlsMessageHandshake,
    };

    fn parsed(spec: &ClientHelloSpec<'_>) -> (u16, u16, Vec<u16>, Vec<u8>) {
        let record = client_hello(spec);
        let (rest, plaintext) = parse_tls_plaintext(&record).expect("our hello parses");
        assert!(rest.is_empty());
        let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(hello)) = &plaintext.msg[0]
        else {
            panic!("not a ClientHello: {:?}", plaintext.msg);
        };
        (
            plaintext.hdr.version.0,
            hello.version.0,
            hello.ciphers.iter().map(|c| c.0).collect(),
            hello.ext.unwrap_or_default().to_vec(),
        )
    }

    #[test]
    fn a_tls13_hello_lists_versions_and_shares_an_x25519_key() {
        let spec = ClientHelloSpec {
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            suites: &[0x1301, 0xC02F],
            server_name: Some("portal.example.gov.vn"),
        };
        let (record_version, version, suites, ext) = parsed(&spec);
        assert_eq!((record_version, version), (0x0301, 0x0303));
        assert_eq!(suites, vec![0x1301, 0xC02F]);
        let (_, extensions) = parse_tls_extensions(&ext).expect("extensions parse");
        let mut seen_sni = false;
        let mut seen_versions = false;
        let mut seen_share = false;
        for extension in extensions {
            match extension {
                TlsExtension::SNI(names) => {
                    seen_sni = names[0].1 == b"portal.example.gov.vn";
                }
                TlsExtension::SupportedVersions(versions) => {
                    let wire: Vec<u16> = versions.iter().map(|v| v.0).collect();
                    seen_versions = wire == vec![0x0304, 0x0303];
                }
                TlsExtension::KeyShare(share) => seen_share = share.len() == 38,
                _ => {}
            }
        }
        assert!(seen_sni && seen_versions && seen_share);
    }

    #[test]
    fn an_sslv3_hello_has_no_extensions_and_signals_renegotiation() {
        let spec = ClientHelloSpec {
            min_version: TlsVersion::Ssl3,
            max_version: TlsVersion::Ssl3,
            suites: &[0x000A],
            server_name: Some("mail.example.gov.vn"),
        };
        let (record_version, version, suites, ext) = parsed(&spec);
        assert_eq!((record_version, version), (0x0300, 0x0300));
        assert_eq!(suites, vec![0x000A, 0x00FF]);
        assert!(ext.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_hello_we_build_parses_back(
            suites in proptest::collection::vec(proptest::prelude::any::<u16>(), 0..5000),
            name in proptest::option::of(".{0,300}"),
            low in 0usize..5,
            span in 0usize..5,
        ) {
            let min_version = TlsVersion::ALL[low];
            let max_version = TlsVersion::ALL[(low + span).min(4)];
            let spec = ClientHelloSpec {
                min_version,
                max_version,
                suites: &suites,
                server_name: name.as_deref(),
            };
            let record = client_hello(&spec);
            proptest::prop_assert!(record.len() <= 5 + 16384);
            let (rest, plaintext) = parse_tls_plaintext(&record).expect("our hello parses");
            proptest::prop_assert!(rest.is_empty());
            let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(hello)) = &plaintext.msg[0]
            else {
                panic!("not a ClientHello");
            };
            let offered: Vec<u16> = hello.ciphers.iter().map(|c| c.0).collect();
            let kept = suites.len().min(MAX_SUITES);
            proptest::prop_assert_eq!(&offered[..kept], &suites[..kept]);
        }
    }

    #[test]
    fn no_sni_for_an_ip_address() {
        let spec = ClientHelloSpec {
            min_version: TlsVersion::Tls10,
            max_version: TlsVersion::Tls10,
            suites: &[0x002F],
            server_name: Some("192.0.2.7"),
        };
        let (_, version, _, ext) = parsed(&spec);
        assert_eq!(version, 0x0301);
        let (_, extensions) = parse_tls_extensions(&ext).expect("extensions parse");
        assert!(!extensions.iter().any(|e| matches!(e, TlsExtension::SNI(_))));
        assert!(!extensions
            .iter()
            .any(|e| matches!(e, TlsExtension::SupportedVersions(_))));
    }
}
