//! The certificate chain through rustls, for servers that only speak TLS 1.2 and 1.3: a TLS 1.3
//! Certificate message is encrypted, so a real handshake is needed. The verifier records the
//! chain and accepts it; the chain is judged afterwards by [`crate::certificate`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::time::{timeout_at, Instant};

use crate::{TlsError, TlsTarget};

/// Records the chain the server sends and accepts it.
#[derive(Debug)]
struct RecordingVerifier {
    chain: Mutex<Vec<Vec<u8>>>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.to_vec()];
        chain.extend(intermediates.iter().map(|cert| cert.to_vec()));
        if let Ok(mut recorded) = self.chain.lock() {
            *recorded = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// The DER chain the server sends (leaf first) over a rustls TLS 1.2/1.3 connection.
pub async fn chain(target: &TlsTarget, timeout: Duration) -> Result<Vec<Vec<u8>>, TlsError> {
    let addr = target.addr;
    let deadline = Instant::now() + timeout;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(RecordingVerifier {
        chain: Mutex::new(Vec::new()),
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::Io {
            addr,
            stage: "setting up rustls",
            source: std::io::Error::other(error),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let server_name = target
        .server_name
        .as_deref()
        .and_then(|name| ServerName::try_from(name.to_owned()).ok())
        .unwrap_or_else(|| ServerName::IpAddress(addr.ip().into()));

    let stream = crate::probe::connect(target, deadline, timeout).await?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let outcome = timeout_at(deadline, connector.connect(server_name, stream)).await;
    let recorded = verifier
        .chain
        .lock()
        .map(|chain| chain.clone())
        .unwrap_or_default();
    if !recorded.is_empty() {
        return Ok(recorded);
    }
    match outcome {
        Err(_) => Err(TlsError::Timeout {
            addr,
            stage: "fetching the certificate over rustls",
            timeout,
        }),
        Ok(Err(source)) => Err(TlsError::Io {
            addr,
            stage: "fetching the certificate over rustls",
            source,
        }),
        Ok(Ok(_)) => Err(TlsError::Io {
            addr,
            stage: "fetching the certificate over rustls",
            source: std::io::Error::other("the server sent no certificate"),
        }),
    }
}
