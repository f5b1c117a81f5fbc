//! TLS review of canhgac's external scanner: which protocol versions (SSLv3 to TLS 1.3) and cipher
//! suites a server offers, and what is wrong with its certificate.
//!
//! Versions and suites are probed with ClientHellos we build by hand ([`hello`]), because rustls
//! and Debian's OpenSSL refuse to speak SSLv3 or TLS 1.0; the server's first flight is read with
//! `tls-parser` ([`answer`]). Only the ServerHello (and, up to TLS 1.2, the Certificate and
//! ServerKeyExchange that follow it, for the chain and the size of a DHE group) is needed, so no
//! handshake is ever finished by hand. Suites are listed by offering every suite we know,
//! striking the one the server picks, and offering the rest again; their classes are in
//! [`suites`]. The certificate chain of a TLS 1.3-only server is encrypted, so it is fetched
//! with a rustls connection whose verifier records the chain and accepts it ([`fetch`]); the
//! chain is then parsed with x509-parser and checked against the Mozilla roots (webpki-roots)
//! with rustls-webpki ([`certificate`]).
//!
//! Mail ports are reviewed after their plaintext STARTTLS prelude ([`StartTls`]); every probe
//! runs the prelude on its own connection.
//!
//! The main entry points:
//! - [`review`] probes a [`TlsTarget`] and returns a serialisable [`TlsReport`];
//! - [`issues`] turns a report into [`ScanIssue`](canhgac_model::scan::ScanIssue)s (categories
//!   `tls` and `certificate`), Vietnamese first;
//! - [`handshake`] is the one-shot probe the nuclei-format `ssl` protocol uses.
//!
//! ```no_run
//! # async fn run() -> Result<(), canhgac_tlscheck::TlsError> {
//! use canhgac_tlscheck::{issues, review, TlsOptions, TlsTarget};
//! let target = TlsTarget::new("203.0.113.10:443".parse().unwrap(), Some("portal.example.gov.vn"));
//! let report = review(&target, &TlsOptions::default()).await?;
//! for issue in issues(&report, "portal.example.gov.vn", 443) {
//!     println!("{}: {}", issue.check, issue.title_vi);
//! }
//! # Ok(()) }
//! ```
//!
//! Every network step has a deadline: a closed port, a silent server, an HTTP server or garbage
//! gives an error or "not offered", never a hang. Connections to one target are bounded by
//! [`TlsOptions::max_concurrent_probes`].

pub mod answer;
pub mod certificate;
mod error;
pub mod fetch;
pub mod hello;
mod issues;
mod probe;
mod review;
mod starttls;
pub mod suites;
mod version;

pub use certificate::{CertificateInfo, CertificateReview, ChainTrust};
pub use error::TlsError;
pub use issues::issues;
pub use probe::{handshake, HandshakeInfo};
pub use review::{
    review, ProbeFailure, SuiteSeen, TlsOptions, TlsReport, TlsTarget, VersionProbe, VersionSuites,
};
pub use starttls::StartTls;
pub use suites::SuiteStrength;
pub use version::TlsVersion;
