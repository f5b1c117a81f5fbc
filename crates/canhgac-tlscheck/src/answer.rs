//! Reading the server's first flight: a ServerHello (and, up to TLS 1.2, the Certificate that
//! follows), an alert, or something that is not TLS at all.
//!
//! [`read_flight`] is a pure function over the bytes received so far, so the socket loop stays
//! small and the parser can be fed arbitrary bytes in property tests: it never panics and never
//! asks for more than the records it has started.

use serde::{Deserialize, Serialize};
use tls_parser::{
    parse_tls_message_handshake, parse_tls_raw_record, parse_tls_server_hello_extensions,
    TlsExtension, TlsMessage, TlsMessageHandshake,
};

/// The most we read of one flight; a Certificate message with a long chain fits easily.
pub const FLIGHT_LIMIT: usize = 96 * 1024;

/// The `random` of a ServerHello that is really a HelloRetryRequest (RFC 8446, 4.1.3).
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// What the server chose in its ServerHello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerHelloSeen {
    /// The negotiated version on the wire (from `supported_versions` for TLS 1.3).
    pub version: u16,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The hello was a HelloRetryRequest: the server accepts TLS 1.3 but wants another group.
    pub retry_request: bool,
    /// The DER certificates of the Certificate message, when asked for and sent in clear.
    #[serde(skip)]
    pub certificates: Vec<Vec<u8>>,
    /// The size of the finite-field DH group of a DHE suite's ServerKeyExchange, when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_group_bits: Option<u32>,
}

/// How the server answered a ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAnswer {
    /// A ServerHello.
    Hello(ServerHelloSeen),
    /// A TLS alert (usually `handshake_failure` or `protocol_version`).
    Alert {
        /// The alert's description code.
        description: u8,
    },
    /// The server closed the connection without a word.
    Closed,
    /// The bytes are not TLS.
    NotTls {
        /// The first bytes, printable characters kept.
        excerpt: String,
    },
}

/// Whether the flight read so far is enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlightProgress {
    /// More bytes are needed; `hello` is the ServerHello seen so far, if any, for when the
    /// connection ends early.
    NeedMore {
        /// The ServerHello already read.
        hello: Option<ServerHelloSeen>,
    },
    /// The answer is known.
    Done(ServerAnswer),
}

/// How far into a TLS 1.2-or-older flight to read (TLS 1.3 flights end at the ServerHello:
/// the rest is encrypted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlightEnd {
    /// The ServerHello is enough.
    ServerHello,
    /// Up to the Certificate message.
    Certificate,
    /// Up to the ServerKeyExchange, for the size of the server's DH group.
    KeyExchange,
}

/// Reads the answer out of `bytes`, the start of what the server sent, up to `until` (or a
/// ServerHelloDone, when the messages wanted are not coming).
pub fn read_flight(bytes: &[u8], until: FlightEnd) -> FlightProgress {
    let mut rest = bytes;
    let mut handshake: Vec<u8> = Vec::new();
    let mut consumed = 0usize;
    let mut hello: Option<ServerHelloSeen> = None;

    loop {
        if rest.len() < 5 {
            return need_more_or_not_tls(bytes, rest, hello);
        }
        let content_type = rest[0];
        if !(20..=23).contains(&content_type) || rest[1] != 3 {
            return done_or(hello, bytes);
        }
        let (next, record) = match parse_tls_raw_record(rest) {
            Ok(parsed) => parsed,
            Err(tls_parser::Err::Incomplete(_)) => return FlightProgress::NeedMore { hello },
            Err(_) => return done_or(hello, bytes),
        };
        rest = next;
        match content_type {
            21 => {
                if let Some(hello) = hello {
                    return FlightProgress::Done(ServerAnswer::Hello(hello));
                }
                return match record.data {
                    [_level, description, ..] => FlightProgress::Done(ServerAnswer::Alert {
                        description: *description,
                    }),
                    _ => done_or(None, bytes),
                };
            }
            22 => {
                handshake.extend_from_slice(record.data);
                // Every whole handshake message now in the buffer.
                while handshake.len() - consumed >= 4 {
                    let length = u32::from_be_bytes([
                        0,
                        handshake[consumed + 1],
                        handshake[consumed + 2],
                        handshake[consumed + 3],
                    ]) as usize;
                    let end = consumed + 4 + length;
                    if handshake.len() < end {
                        break;
                    }
                    let message = &handshake[consumed..end];
                    consumed = end;
                    match message[0] {
                        0 => {} // HelloRequest: ignored, as RFC 5246 allows.
                        2 if hello.is_none() => {
                            let Some(seen) = server_hello(message) else {
                                return done_or(None, bytes);
                            };
                            let encrypted_next = seen.version >= 0x0304 || seen.retry_request;
                            if until == FlightEnd::ServerHello || encrypted_next {
                                return FlightProgress::Done(ServerAnswer::Hello(seen));
                            }
                            hello = Some(seen);
                        }
                        11 => {
                            let Some(seen) = hello.as_mut() else {
                                return done_or(None, bytes);
                            };
                            seen.certificates = certificates(message);
                            if until == FlightEnd::Certificate {
                                return done_or(hello, bytes);
                            }
                        }
                        12 => {
                            let Some(seen) = hello.as_mut() else {
                                return done_or(None, bytes);
                            };
                            seen.dh_group_bits = dh_group_bits(seen.cipher_suite, &message[4..]);
                            return done_or(hello, bytes);
                        }
                        _ => {
                            // ServerHelloDone, CertificateRequest...: nothing more is coming.
                            return done_or(hello, bytes);
                        }
                    }
                }
            }
            _ => return done_or(hello, bytes),
        }
    }
}

fn need_more_or_not_tls(all: &[u8], rest: &[u8], hello: Option<ServerHelloSeen>) -> FlightProgress {
    // Decide early on a short non-TLS answer ("+OK", "SSH-") rather than wait for five bytes.
    let looks_like_tls = match rest {
        [] => true,
        [content_type] => (20..=23).contains(content_type),
        [content_type, major, ..] => (20..=23).contains(content_type) && *major == 3,
    };
    if looks_like_tls || hello.is_some() {
        FlightProgress::NeedMore { hello }
    } else {
        done_or(None, all)
    }
}

fn done_or(hello: Option<ServerHelloSeen>, bytes: &[u8]) -> FlightProgress {
    match hello {
        Some(hello) => FlightProgress::Done(ServerAnswer::Hello(hello)),
        None => FlightProgress::Done(ServerAnswer::NotTls {
            excerpt: printable_excerpt(bytes),
        }),
    }
}

fn server_hello(message: &[u8]) -> Option<ServerHelloSeen> {
    let Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ServerHello(hello)))) =
        parse_tls_message_handshake(message)
    else {
        return None;
    };
    let mut version = hello.version.0;
    if let Some(raw) = hello.ext {
        if let Ok((_, extensions)) = parse_tls_server_hello_extensions(raw) {
            for extension in extensions {
                if let TlsExtension::SupportedVersions(versions) = extension {
                    if let Some(chosen) = versions.first() {
                        version = chosen.0;
                    }
                }
            }
        }
    }
    Some(ServerHelloSeen {
        version,
        cipher_suite: hello.cipher.0,
        retry_request: hello.random == HELLO_RETRY_RANDOM,
        certificates: Vec::new(),
        dh_group_bits: None,
    })
}

/// The bit length of `dh_p`, the first field of a DHE ServerKeyExchange (RFC 5246, 7.4.3).
fn dh_group_bits(cipher_suite: u16, body: &[u8]) -> Option<u32> {
    let suite = tls_parser::TlsCipherSuite::from_id(cipher_suite)?;
    if suite.kx != tls_parser::TlsCipherKx::Dhe {
        return None;
    }
    let length = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let prime = body.get(2..2 + length)?;
    let first = prime.iter().position(|byte| *byte != 0)?;
    let significant = &prime[first..];
    Some(significant.len() as u32 * 8 - significant[0].leading_zeros())
}

fn certificates(message: &[u8]) -> Vec<Vec<u8>> {
    match parse_tls_message_handshake(message) {
        Ok((_, TlsMessage::Handshake(TlsMessageHandshake::Certificate(contents)))) => contents
            .cert_chain
            .iter()
            .map(|cert| cert.data.to_vec())
            .collect(),
        _ => Vec::new(),
    }
}

/// The first 64 bytes as text: printable ASCII kept, the rest as `\xNN`.
pub fn printable_excerpt(bytes: &[u8]) -> String {
    let mut out = String::new();
    for byte in bytes.iter().take(64) {
        match byte {
            b' '..=b'~' => out.push(char::from(*byte)),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    if bytes.len() > 64 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A ServerHello record for `version` choosing `suite`; TLS 1.3 says so in an extension.
    fn server_hello_record(version: u16, suite: u16) -> Vec<u8> {
        let mut body = Vec::new();
        let legacy = if version >= 0x0304 {
            0x0303u16
        } else {
            version
        };
        body.extend_from_slice(&legacy.to_be_bytes());
        body.extend_from_slice(&[7; 32]);
        body.push(0);
        body.extend_from_slice(&suite.to_be_bytes());
        body.push(0);
        if version >= 0x0304 {
            body.extend_from_slice(&[0, 6, 0, 0x2b, 0, 2]);
            body.extend_from_slice(&version.to_be_bytes());
        }
        let mut message = vec![2, 0, 0, body.len() as u8];
        message.extend_from_slice(&body);
        let mut record = vec![22, 3, 1, 0, message.len() as u8];
        record.extend_from_slice(&message);
        record
    }

    #[test]
    fn a_tls13_hello_reports_the_supported_version() {
        let record = server_hello_record(0x0304, 0x1302);
        let FlightProgress::Done(ServerAnswer::Hello(hello)) =
            read_flight(&record, FlightEnd::Certificate)
        else {
            panic!("no hello");
        };
        assert_eq!((hello.version, hello.cipher_suite), (0x0304, 0x1302));
    }

    #[test]
    fn a_tls12_hello_waits_for_the_certificate_when_asked() {
        let record = server_hello_record(0x0303, 0xC02F);
        assert!(matches!(
            read_flight(&record, FlightEnd::Certificate),
            FlightProgress::NeedMore { hello: Some(_) }
        ));
        let mut with_cert = record.clone();
        // Certificate message with one three-byte "certificate".
        with_cert.extend_from_slice(&[22, 3, 3, 0, 13, 11, 0, 0, 9, 0, 0, 6, 0, 0, 3, 1, 2, 3]);
        let FlightProgress::Done(ServerAnswer::Hello(hello)) =
            read_flight(&with_cert, FlightEnd::Certificate)
        else {
            panic!("no hello");
        };
        assert_eq!(hello.certificates, vec![vec![1, 2, 3]]);
        // Split across reads: a partial record asks for more.
        assert!(matches!(
            read_flight(&with_cert[..with_cert.len() - 2], FlightEnd::Certificate),
            FlightProgress::NeedMore { .. }
        ));
    }

    #[test]
    fn the_dh_group_size_comes_from_the_server_key_exchange() {
        // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256; dh_p is 0x01 0xff 0xff: 17 bits.
        let mut flight = server_hello_record(0x0303, 0x009E);
        flight.extend_from_slice(&[22, 3, 3, 0, 13, 11, 0, 0, 9, 0, 0, 6, 0, 0, 3, 1, 2, 3]);
        flight.extend_from_slice(&[22, 3, 3, 0, 9, 12, 0, 0, 5, 0, 3, 0x01, 0xff, 0xff]);
        let FlightProgress::Done(ServerAnswer::Hello(hello)) =
            read_flight(&flight, FlightEnd::KeyExchange)
        else {
            panic!("no hello");
        };
        assert_eq!(hello.dh_group_bits, Some(17));
        assert_eq!(hello.certificates, vec![vec![1, 2, 3]]);
        // Stopping at the certificate leaves the size unread.
        let FlightProgress::Done(ServerAnswer::Hello(hello)) =
            read_flight(&flight, FlightEnd::Certificate)
        else {
            panic!("no hello");
        };
        assert_eq!(hello.dh_group_bits, None);
    }

    #[test]
    fn alerts_and_other_protocols_are_told_apart() {
        assert_eq!(
            read_flight(&[21, 3, 3, 0, 2, 2, 70], FlightEnd::ServerHello),
            FlightProgress::Done(ServerAnswer::Alert { description: 70 })
        );
        let FlightProgress::Done(ServerAnswer::NotTls { excerpt }) =
            read_flight(b"HTTP/1.1 400 Bad Request\r\n", FlightEnd::ServerHello)
        else {
            panic!("HTTP taken for TLS");
        };
        assert!(excerpt.starts_with("HTTP/1.1 400"));
        assert!(matches!(
            read_flight(b"+O", FlightEnd::ServerHello),
            FlightProgress::Done(ServerAnswer::NotTls { .. })
        ));
        assert!(matches!(
            read_flight(&[22, 3], FlightEnd::ServerHello),
            FlightProgress::NeedMore { hello: None }
        ));
    }

    proptest! {
        #[test]
        fn the_reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            for end in [FlightEnd::ServerHello, FlightEnd::Certificate, FlightEnd::KeyExchange] {
                let _ = read_flight(&bytes, end);
            }
        }

        #[test]
        fn the_reader_never_panics_on_a_damaged_hello(
            version in prop_oneof![Just(0x0300u16), Just(0x0303u16), Just(0x0304u16)],
            cut in 0usize..120,
            flips in proptest::collection::vec((0usize..120, any::<u8>()), 0..4),
        ) {
            // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, a certificate, a ServerKeyExchange.
            let mut record = server_hello_record(version, 0x009E);
            record.extend_from_slice(&[22, 3, 3, 0, 13, 11, 0, 0, 9, 0, 0, 6, 0, 0, 3, 1, 2, 3]);
            record.extend_from_slice(&[22, 3, 3, 0, 9, 12, 0, 0, 5, 0, 3, 0x01, 0xff, 0xff]);
            for (at, value) in flips {
                if let Some(byte) = record.get_mut(at) {
                    *byte = value;
                }
            }
            record.truncate(cut.min(record.len()));
            for until in [FlightEnd::ServerHello, FlightEnd::Certificate, FlightEnd::KeyExchange] {
                let _ = read_flight(&record, until);
            }
        }
    }
}
