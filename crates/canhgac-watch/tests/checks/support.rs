//! Shared pieces of the check tests: monitor inputs, a test PKI, TLS server configurations.

use std::sync::Arc;

use canhgac_model::{MonitorInput, MonitorKind, LOCAL_PROBE};
use canhgac_watch::{run_check, CheckOptions, CheckOutcome};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A monitor of `kind` on `target` with a short timeout.
pub fn input(kind: MonitorKind, target: &str) -> MonitorInput {
    let mut input = MonitorInput::new(1, "thử nghiệm", kind, target);
    input.timeout_secs = 5;
    input
}

/// Runs one check.
pub async fn check(input: &MonitorInput, options: &CheckOptions) -> CheckOutcome {
    run_check(7, input, LOCAL_PROBE, options).await
}

/// Options trusting the test CA.
pub fn trusting(pki: &Pki) -> CheckOptions {
    CheckOptions {
        extra_roots_pem: Some(pki.ca_pem.as_bytes().to_vec()),
        ..CheckOptions::default()
    }
}

/// The civil UTC date `days` from now.
pub fn date(days: i64) -> jiff::civil::Date {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

fn rcgen_date(days: i64) -> (i32, u8, u8) {
    let d = date(days);
    (i32::from(d.year()), d.month() as u8, d.day() as u8)
}

/// A province CA that signs server certificates.
pub struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    /// The CA certificate, trusted by the checks through `extra_roots_pem`.
    pub ca_pem: String,
}

/// A server certificate chain and its key.
pub struct ServerCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Pki {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "CA Sở Thông tin thử nghiệm");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let (y, m, d) = rcgen_date(-400);
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = rcgen_date(3650);
        params.not_after = rcgen::date_time_ymd(y, m, d);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let ca_pem = ca.pem();
        Self { ca, ca_pem }
    }

    /// A certificate for `names`, valid from `from` to `to` days from now.
    pub fn server(&self, names: &[&str], from: i64, to: i64) -> ServerCert {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("x"));
        let (y, m, d) = rcgen_date(from);
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = rcgen_date(to);
        params.not_after = rcgen::date_time_ymd(y, m, d);
        let cert = params.signed_by(&key, &self.ca).unwrap();
        ServerCert {
            chain: vec![cert.der().clone(), self.ca.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        }
    }
}

/// A TLS server configuration presenting `cert`.
pub fn server_config(cert: ServerCert) -> Arc<rustls::ServerConfig> {
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(cert.chain, cert.key)
        .unwrap(),
    )
}

/// The dd/mm/yyyy form of a UTC civil date as the messages show it (Vietnam is ahead of UTC,
/// and certificates here end at UTC midnight, so the Vietnamese date is the same day).
pub fn shown(date: jiff::civil::Date) -> String {
    date.strftime("%d/%m/%Y").to_string()
}

/// A self-signed certificate for `localhost` (a server the province trusts directly) and its
/// PEM.
pub fn self_signed_localhost(days: i64) -> (ServerCert, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let (y, m, d) = rcgen_date(days);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    let cert = params.self_signed(&key).unwrap();
    let pem = cert.pem();
    (
        ServerCert {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        },
        pem,
    )
}
