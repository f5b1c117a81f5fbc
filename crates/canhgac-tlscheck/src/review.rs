//! The whole review of one TLS endpoint: versions, suites per version, certificate.

use std::net::SocketAddr;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::answer::{FlightEnd, ServerAnswer};
use crate::certificate::{review_chain, CertificateReview};
use crate::hello::ClientHelloSpec;
use crate::probe::offer;
use crate::suites::{candidate_suites, classify, suite_name, SuiteStrength};
use crate::{StartTls, TlsError, TlsVersion};

/// The endpoint to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsTarget {
    /// Where to connect.
    pub addr: SocketAddr,
    /// The name sent as SNI and checked against the certificate. Without it no SNI is sent
    /// (the server shows its default certificate) and no name mismatch is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// The plaintext prelude to run first, for mail ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<StartTls>,
}

impl TlsTarget {
    /// A target with direct TLS.
    pub fn new(addr: SocketAddr, server_name: Option<&str>) -> Self {
        TlsTarget {
            addr,
            server_name: server_name.map(str::to_owned),
            starttls: None,
        }
    }

    /// The same target behind a STARTTLS prelude.
    pub fn with_starttls(mut self, protocol: StartTls) -> Self {
        self.starttls = Some(protocol);
        self
    }
}

/// How the review runs. The defaults: 10 s per probe, warn 30 days before expiry, no extra
/// roots, suites listed, 4 connections at once, at most 100 hellos per version.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// The longest one probe (connect, prelude, hello, answer) may take.
    pub timeout: Duration,
    /// A certificate expiring within this many days is reported.
    pub expiry_warning_days: u32,
    /// Extra trusted roots (DER), e.g. a provincial CA, besides the Mozilla roots.
    pub extra_roots: Vec<Vec<u8>>,
    /// List the suites each offered version accepts (one connection per accepted suite).
    pub enumerate_ciphers: bool,
    /// Connections open at once against the target.
    pub max_concurrent_probes: usize,
    /// Most hellos sent per version while listing suites.
    pub max_cipher_rounds: usize,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            timeout: Duration::from_secs(10),
            expiry_warning_days: 30,
            extra_roots: Vec::new(),
            enumerate_ciphers: true,
            max_concurrent_probes: 4,
            max_cipher_rounds: 100,
        }
    }
}

/// A cipher suite the server accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteSeen {
    /// IANA number.
    pub id: u16,
    /// IANA name.
    pub name: String,
    /// Strength class.
    pub strength: SuiteStrength,
    /// Why it is in that class.
    pub reason: String,
}

impl SuiteSeen {
    fn new(id: u16) -> Self {
        let (strength, reason, _) = classify(id);
        SuiteSeen {
            id,
            name: suite_name(id),
            strength,
            reason: reason.to_owned(),
        }
    }
}

/// The answer to the hello offering one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionProbe {
    /// The version offered (alone).
    pub version: TlsVersion,
    /// The server accepted it.
    pub offered: bool,
    /// How many suites the hello offered.
    pub suites_offered: usize,
    /// What the server answered, in words (`ServerHello TLS 1.2, TLS_…`, `alert 70`…).
    pub answer: String,
    /// The suite the server chose, when it accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<SuiteSeen>,
}

/// The suites one version accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSuites {
    /// The version.
    pub version: TlsVersion,
    /// Accepted suites, in the order the server chose them (its preference).
    pub suites: Vec<SuiteSeen>,
    /// The list ended with a refusal; false when a probe failed or rounds ran out.
    pub complete: bool,
}

/// A probe that got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeFailure {
    /// Which probe (`version TLS 1.0`, `suites TLS 1.2`, `certificate`).
    pub probe: String,
    /// The error.
    pub error: String,
}

/// Everything the review found; [`crate::issues`] turns it into findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsReport {
    /// The endpoint.
    pub target: TlsTarget,
    /// When the review ran (certificate dates are judged against it).
    pub reviewed_at: Timestamp,
    /// The expiry warning threshold used, in days.
    pub expiry_warning_days: u32,
    /// One probe per version, oldest first.
    pub versions: Vec<VersionProbe>,
    /// Accepted suites per offered version (empty when enumeration was off).
    pub suites: Vec<VersionSuites>,
    /// The size in bits of the finite-field Diffie-Hellman group the server uses with DHE
    /// suites (TLS 1.2 and older), when it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_group_bits: Option<u32>,
    /// The certificate review, when a chain was obtained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateReview>,
    /// Probes that failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<ProbeFailure>,
}

impl TlsReport {
    /// The versions the server accepted, oldest first.
    pub fn offered_versions(&self) -> Vec<TlsVersion> {
        self.versions
            .iter()
            .filter(|probe| probe.offered)
            .map(|probe| probe.version)
            .collect()
    }

    /// Whether the server accepted `version`.
    pub fn offers(&self, version: TlsVersion) -> bool {
        self.versions
            .iter()
            .any(|probe| probe.version == version && probe.offered)
    }
}

struct VersionOutcome {
    probe: VersionProbe,
    certificates: Vec<Vec<u8>>,
    dh_group_bits: Option<u32>,
    result: Result<bool, TlsError>,
}

/// Reviews `target`: one hello per version, then (optionally) the suites of each offered
/// version, then the certificate chain. Fails only when no probe got a TLS answer: the port is
/// closed, silent, hangs up on every hello or speaks something else.
pub async fn review(target: &TlsTarget, options: &TlsOptions) -> Result<TlsReport, TlsError> {
    let permits = Semaphore::new(options.max_concurrent_probes.max(1));
    let permits = &permits;
    let probe = |version| probe_version(target, options, permits, version);
    let (ssl3, tls10, tls11, tls12, tls13) = tokio::join!(
        probe(TlsVersion::Ssl3),
        probe(TlsVersion::Tls10),
        probe(TlsVersion::Tls11),
        probe(TlsVersion::Tls12),
        probe(TlsVersion::Tls13),
    );
    let outcomes = [ssl3, tls10, tls11, tls12, tls13];

    let mut failures = Vec::new();
    let mut first_error: Option<TlsError> = None;
    let mut any_tls_answer = false;
    let mut versions = Vec::new();
    let mut certificates: Option<(TlsVersion, Vec<Vec<u8>>)> = None;
    let mut dh_group_bits = None;
    for outcome in outcomes {
        match outcome.result {
            Ok(true) => any_tls_answer = true,
            Ok(false) => {}
            Err(error) => {
                failures.push(ProbeFailure {
                    probe: format!("version {}", outcome.probe.version),
                    error: error.to_string(),
                });
                // A NotTls answer explains more than a timeout of another probe.
                let better = matches!(error, TlsError::NotTls { .. })
                    && !matches!(first_error, Some(TlsError::NotTls { .. }));
                if first_error.is_none() || better {
                    first_error = Some(error);
                }
            }
        }
        if !outcome.certificates.is_empty() {
            certificates = Some((outcome.probe.version, outcome.certificates));
        }
        dh_group_bits = dh_group_bits.or(outcome.dh_group_bits);
        versions.push(outcome.probe);
    }
    if !any_tls_answer {
        return Err(first_error.unwrap_or(TlsError::NoAnswer { addr: target.addr }));
    }

    let mut suites = Vec::new();
    if options.enumerate_ciphers {
        let enumerate = |probe: &VersionProbe| {
            let offered = probe.offered;
            let version = probe.version;
            let first = probe.chosen.as_ref().map(|suite| suite.id);
            async move {
                match (offered, first) {
                    (true, Some(first)) => {
                        Some(enumerate_suites(target, options, permits, version, first).await)
                    }
                    _ => None,
                }
            }
        };
        let listed = tokio::join!(
            enumerate(&versions[0]),
            enumerate(&versions[1]),
            enumerate(&versions[2]),
            enumerate(&versions[3]),
            enumerate(&versions[4]),
        );
        for (list, mut list_failures) in [listed.0, listed.1, listed.2, listed.3, listed.4]
            .into_iter()
            .flatten()
        {
            suites.push(list);
            failures.append(&mut list_failures);
        }
    }

    // Complete suite lists without a DHE suite make the DHE-only probe pointless.
    let no_dhe_listed = !suites.is_empty()
        && suites.iter().all(|list: &VersionSuites| {
            list.complete
                && !list.suites.iter().any(|suite| {
                    tls_parser::TlsCipherSuite::from_id(suite.id)
                        .is_some_and(|s| s.kx == tls_parser::TlsCipherKx::Dhe)
                })
        });
    if dh_group_bits.is_none() && !no_dhe_listed {
        dh_group_bits = probe_dh_group(target, options, permits, &versions, &mut failures).await;
    }

    let reviewed_at = Timestamp::now();
    let server_name = target.server_name.as_deref();
    let chain = match certificates {
        Some((version, chain)) => Some((chain, format!("{version} handshake"))),
        None if versions
            .iter()
            .any(|p| p.offered && p.version >= TlsVersion::Tls12) =>
        {
            let _permit = permits.acquire().await;
            match crate::fetch::chain(target, options.timeout).await {
                Ok(chain) => Some((chain, "rustls".to_owned())),
                Err(error) => {
                    failures.push(ProbeFailure {
                        probe: "certificate".to_owned(),
                        error: error.to_string(),
                    });
                    None
                }
            }
        }
        None => None,
    };
    let certificate = chain.and_then(|(chain, source)| {
        review_chain(
            &chain,
            server_name,
            &options.extra_roots,
            reviewed_at,
            &source,
        )
    });

    Ok(TlsReport {
        target: target.clone(),
        reviewed_at,
        expiry_warning_days: options.expiry_warning_days,
        versions,
        suites,
        dh_group_bits,
        certificate,
        failures,
    })
}

/// The size of the server's DH group: offers only DHE suites at the newest version up to TLS 1.2
/// the server accepts, and reads the ServerKeyExchange. `None` when it has no DHE suite.
async fn probe_dh_group(
    target: &TlsTarget,
    options: &TlsOptions,
    permits: &Semaphore,
    versions: &[VersionProbe],
    failures: &mut Vec<ProbeFailure>,
) -> Option<u32> {
    let version = versions
        .iter()
        .filter(|p| p.offered && p.version <= TlsVersion::Tls12)
        .map(|p| p.version)
        .max()?;
    let suites: Vec<u16> = candidate_suites(version)
        .into_iter()
        .filter(|id| {
            tls_parser::TlsCipherSuite::from_id(*id)
                .is_some_and(|suite| suite.kx == tls_parser::TlsCipherKx::Dhe)
        })
        .collect();
    let spec = ClientHelloSpec {
        min_version: version,
        max_version: version,
        suites: &suites,
        server_name: target.server_name.as_deref(),
    };
    let _permit = permits.acquire().await;
    match offer(target, &spec, FlightEnd::KeyExchange, options.timeout).await {
        Ok(ServerAnswer::Hello(hello)) => hello.dh_group_bits,
        Ok(_) => None,
        Err(error) => {
            failures.push(ProbeFailure {
                probe: format!("DH group {version}"),
                error: error.to_string(),
            });
            None
        }
    }
}

/// Offers `version` alone with every suite we know for it. `Ok(true)` when the server
/// answered in TLS (hello or alert).
async fn probe_version(
    target: &TlsTarget,
    options: &TlsOptions,
    permits: &Semaphore,
    version: TlsVersion,
) -> VersionOutcome {
    let suites = candidate_suites(version);
    let spec = ClientHelloSpec {
        min_version: version,
        max_version: version,
        suites: &suites,
        server_name: target.server_name.as_deref(),
    };
    // Up to TLS 1.2 the certificate and key exchange come in clear, in the same flight.
    let end = if version <= TlsVersion::Tls12 {
        FlightEnd::KeyExchange
    } else {
        FlightEnd::ServerHello
    };
    let answer = {
        let _permit = permits.acquire().await;
        offer(target, &spec, end, options.timeout).await
    };
    let mut probe = VersionProbe {
        version,
        offered: false,
        suites_offered: suites.len(),
        answer: String::new(),
        chosen: None,
    };
    let mut certificates = Vec::new();
    let mut dh_group_bits = None;
    let result = match answer {
        Ok(answer) => {
            probe.answer = describe(&answer);
            match answer {
                ServerAnswer::Hello(hello) => {
                    // A server that answers with another version does not offer this one.
                    probe.offered = hello.version == version.wire() && !hello.retry_request
                        || hello.retry_request && version == TlsVersion::Tls13;
                    if probe.offered {
                        probe.chosen = Some(SuiteSeen::new(hello.cipher_suite));
                        certificates = hello.certificates;
                        dh_group_bits = hello.dh_group_bits;
                    }
                    Ok(true)
                }
                ServerAnswer::Alert { .. } => Ok(true),
                ServerAnswer::Closed => Ok(false),
                ServerAnswer::NotTls { excerpt } => Err(TlsError::NotTls {
                    addr: target.addr,
                    excerpt,
                }),
            }
        }
        Err(error) => {
            probe.answer = format!("no answer: {error}");
            Err(error)
        }
    };
    VersionOutcome {
        probe,
        certificates,
        dh_group_bits,
        result,
    }
}

/// Lists the suites `version` accepts: offer the remaining list, strike the chosen suite,
/// again, until the server refuses or the rounds run out.
async fn enumerate_suites(
    target: &TlsTarget,
    options: &TlsOptions,
    permits: &Semaphore,
    version: TlsVersion,
    first: u16,
) -> (VersionSuites, Vec<ProbeFailure>) {
    let mut remaining = candidate_suites(version);
    remaining.retain(|id| *id != first);
    let mut accepted = vec![SuiteSeen::new(first)];
    let mut failures = Vec::new();
    let mut complete = false;
    for _ in 0..options.max_cipher_rounds {
        if remaining.is_empty() {
            complete = true;
            break;
        }
        let spec = ClientHelloSpec {
            min_version: version,
            max_version: version,
            suites: &remaining,
            server_name: target.server_name.as_deref(),
        };
        let answer = {
            let _permit = permits.acquire().await;
            offer(target, &spec, FlightEnd::ServerHello, options.timeout).await
        };
        match answer {
            Ok(ServerAnswer::Hello(hello))
                if hello.version == version.wire() && remaining.contains(&hello.cipher_suite) =>
            {
                remaining.retain(|id| *id != hello.cipher_suite);
                accepted.push(SuiteSeen::new(hello.cipher_suite));
            }
            Ok(ServerAnswer::Alert { .. }) | Ok(ServerAnswer::Closed) => {
                complete = true;
                break;
            }
            Ok(other) => {
                failures.push(ProbeFailure {
                    probe: format!("suites {version}"),
                    error: format!("unexpected answer: {}", describe(&other)),
                });
                break;
            }
            Err(error) => {
                failures.push(ProbeFailure {
                    probe: format!("suites {version}"),
                    error: error.to_string(),
                });
                break;
            }
        }
    }
    (
        VersionSuites {
            version,
            suites: accepted,
            complete,
        },
        failures,
    )
}

/// The answer in words, for the report and evidence.
pub(crate) fn describe(answer: &ServerAnswer) -> String {
    match answer {
        ServerAnswer::Hello(hello) => {
            let version = TlsVersion::from_wire(hello.version)
                .map(|v| v.label().to_owned())
                .unwrap_or_else(|| format!("0x{:04X}", hello.version));
            let kind = if hello.retry_request {
                "HelloRetryRequest"
            } else {
                "ServerHello"
            };
            format!("{kind} {version}, {}", suite_name(hello.cipher_suite))
        }
        ServerAnswer::Alert { description } => {
            format!("alert {description} ({})", alert_name(*description))
        }
        ServerAnswer::Closed => "connection closed without an answer".to_owned(),
        ServerAnswer::NotTls { excerpt } => format!("not TLS: {excerpt}"),
    }
}

/// The RFC 8446 name of an alert a refusing server sends.
fn alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        47 => "illegal_parameter",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        120 => "no_application_protocol",
        _ => "other",
    }
}
