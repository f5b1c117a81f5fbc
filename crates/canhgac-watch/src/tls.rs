//! TLS for the checks: the trusted roots (web PKI plus the province's own CA), a certificate
//! verifier that keeps the chain it was shown (so a refused certificate can still be described),
//! and [`CertificateInfo`].

use std::sync::{Arc, Mutex, OnceLock};

use jiff::Timestamp;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};

use crate::text;

/// What a server's certificate says and whether it can be trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// Subject of the server's certificate (`CN=portal.example.gov.vn`).
    pub subject: String,
    /// Who issued it.
    pub issuer: String,
    /// End of validity.
    pub not_after: Timestamp,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: i64,
    /// The chain leads to a trusted root (web PKI or the province's CA), judged inside the
    /// certificate's validity so an expired certificate is reported as expired, not untrusted.
    pub trusted: bool,
    /// The certificate names the host that was checked.
    pub hostname_matches: bool,
    /// Issued by itself.
    pub self_signed: bool,
    /// What is wrong with it (Vietnamese); empty when it is valid.
    pub problems: Vec<String>,
}

impl CertificateInfo {
    /// Valid: trusted, for this host, inside its validity.
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// "Chứng thư hết hạn sau 5 ngày (01/12/2026)", or what is wrong with it.
    pub fn summary(&self) -> String {
        if self.problems.is_empty() {
            format!(
                "Chứng thư hết hạn sau {} ngày ({})",
                self.days_left,
                text::date(self.not_after)
            )
        } else {
            format!("Chứng thư không hợp lệ: {}", self.problems.join("; "))
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn web_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    })
}

/// The roots a check trusts, with the verifier built on them.
#[derive(Clone)]
pub(crate) struct Trust {
    roots: Arc<RootCertStore>,
    verifier: Result<Arc<WebPkiServerVerifier>, String>,
    /// Problems with the extra roots (Vietnamese), reported in the check's details.
    pub(crate) notes: Vec<String>,
}

impl Trust {
    /// The web PKI roots plus the PEM certificates given (the province's own CA). The last
    /// one built is reused: every check of a process passes the same roots.
    pub(crate) fn new(extra_roots_pem: Option<&[u8]>) -> Self {
        type Cached = Option<(Option<Vec<u8>>, Trust)>;
        static LAST: Mutex<Cached> = Mutex::new(None);
        if let Ok(last) = LAST.lock() {
            if let Some((key, trust)) = last.as_ref() {
                if key.as_deref() == extra_roots_pem {
                    return trust.clone();
                }
            }
        }
        let trust = Self::build(extra_roots_pem);
        if let Ok(mut last) = LAST.lock() {
            *last = Some((extra_roots_pem.map(<[u8]>::to_vec), trust.clone()));
        }
        trust
    }

    fn build(extra_roots_pem: Option<&[u8]>) -> Self {
        let mut roots = web_roots().clone();
        let mut notes = Vec::new();
        if let Some(pem) = extra_roots_pem {
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(pem) {
                match cert
                    .map_err(|e| e.to_string())
                    .and_then(|cert| roots.add(cert).map_err(|e| e.to_string()))
                {
                    Ok(()) => added += 1,
                    Err(error) => {
                        notes.push(format!("Bỏ qua một CA bổ sung không đọc được: {error}"))
                    }
                }
            }
            if added == 0 && notes.is_empty() {
                notes.push("Tệp CA bổ sung không có chứng thư nào".to_owned());
            }
        }
        let roots = Arc::new(roots);
        let verifier = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider())
            .build()
            .map_err(|e| format!("Không tạo được bộ kiểm tra chứng thư: {e}"));
        Self {
            roots,
            verifier,
            notes,
        }
    }

    /// A verifier that records what it is shown.
    pub(crate) fn recorder(&self) -> Result<Arc<Recorder>, String> {
        Ok(Arc::new(Recorder {
            inner: self.verifier.clone()?,
            trust: self.clone(),
            seen: Mutex::new(Vec::new()),
        }))
    }
}

/// One certificate chain a server showed.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) server_name: String,
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) error: Option<rustls::Error>,
}

/// Verifies like the web PKI verifier and keeps every chain it was shown.
#[derive(Debug)]
pub(crate) struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    trust: Trust,
    seen: Mutex<Vec<Seen>>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("roots", &self.roots.len())
            .finish()
    }
}

impl Recorder {
    /// A client configuration verifying through this recorder.
    pub(crate) fn client_config(self: &Arc<Self>) -> Result<ClientConfig, String> {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("Không tạo được cấu hình TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_no_client_auth();
        Ok(config)
    }

    /// The chains shown so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The certificate shown for `host` (or the last one shown), described.
    pub(crate) fn certificate_for(&self, host: &str) -> Option<(CertificateInfo, Option<String>)> {
        let seen = self.seen();
        let pick = seen
            .iter()
            .rev()
            .find(|s| s.server_name.eq_ignore_ascii_case(host))
            .or_else(|| seen.last())?;
        let info = describe(pick, &self.trust, Timestamp::now())?;
        Some((info, pick.error.as_ref().map(|e| e.to_string())))
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        if let Ok(mut seen) = self.seen.lock() {
            // A redirect chain is short; the cap only guards against a misbehaving client loop.
            if seen.len() < 16 {
                seen.push(Seen {
                    server_name: server_name.to_str().into_owned(),
                    chain,
                    error: result.as_ref().err().cloned(),
                });
            }
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Describes a chain: each property judged on its own, so every problem is named.
pub(crate) fn describe(seen: &Seen, trust: &Trust, now: Timestamp) -> Option<CertificateInfo> {
    let leaf = seen.chain.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
    let not_before = Timestamp::from_second(cert.validity().not_before.timestamp()).ok()?;
    let not_after = Timestamp::from_second(cert.validity().not_after.timestamp()).ok()?;
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    let self_signed = cert.subject().as_raw() == cert.issuer().as_raw();
    let days_left = (not_after.as_second() - now.as_second()).div_euclid(86_400);

    let parsed = ParsedCertificate::try_from(leaf);
    let hostname_matches = match (&parsed, ServerName::try_from(seen.server_name.as_str())) {
        (Ok(parsed), Ok(name)) => rustls::client::verify_server_name(parsed, &name).is_ok(),
        _ => false,
    };
    // Judge the chain at a moment inside the certificate's validity: expiry is its own problem.
    let judged_at = now.clamp(not_before, not_after);
    let trust_error = match &parsed {
        Ok(parsed) => rustls::client::verify_server_cert_signed_by_trust_anchor(
            parsed,
            &trust.roots,
            &seen.chain[1..],
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                u64::try_from(judged_at.as_second()).unwrap_or(0),
            )),
            provider().signature_verification_algorithms.all,
        )
        .err()
        .map(|e| e.to_string()),
        Err(error) => Some(error.to_string()),
    };
    let trusted = trust_error.is_none();

    let mut problems = Vec::new();
    if now > not_after {
        problems.push(format!(
            "chứng thư đã hết hạn ngày {}",
            text::date(not_after)
        ));
    }
    if now < not_before {
        problems.push(format!(
            "chứng thư chưa có hiệu lực (từ ngày {})",
            text::date(not_before)
        ));
    }
    if !trusted {
        if self_signed {
            problems.push("chứng thư tự ký, không được tin cậy".to_owned());
        } else {
            problems.push(format!(
                "chứng thư không được tin cậy (không dẫn tới CA tin cậy: {})",
                trust_error.unwrap_or_default()
            ));
        }
    }
    if !hostname_matches {
        problems.push(format!(
            "chứng thư không dành cho tên máy {}",
            seen.server_name
        ));
    }
    if problems.is_empty() {
        if let Some(error) = &seen.error {
            problems.push(format!("chứng thư bị từ chối: {error}"));
        }
    }
    Some(CertificateInfo {
        subject,
        issuer,
        not_after,
        days_left,
        trusted,
        hostname_matches,
        self_signed,
        problems,
    })
}
