//! HTTPS and TLS checks: good, expiring, expired, misnamed and untrusted certificates.

use std::net::SocketAddr;

use canhgac_model::MonitorKind;
use canhgac_watch::CheckOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::support::{
    check, date, input, self_signed_localhost, server_config, shown, trusting, Pki, ServerCert,
};

/// An HTTPS server answering every request with `200 ok`.
async fn start_https(cert: ServerCert) -> SocketAddr {
    let acceptor = TlsAcceptor::from(server_config(cert));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

fn https(addr: SocketAddr) -> canhgac_model::MonitorInput {
    input(
        MonitorKind::Http,
        &format!("https://localhost:{}/", addr.port()),
    )
}

fn tls(addr: SocketAddr) -> canhgac_model::MonitorInput {
    input(MonitorKind::Tls, &format!("localhost:{}", addr.port()))
}

#[tokio::test]
async fn a_valid_certificate_is_described() {
    let pki = Pki::new();
    let addr = start_https(pki.server(&["localhost"], -10, 90)).await;
    let options = trusting(&pki);

    let outcome = check(&https(addr), &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert!(outcome.result.message.starts_with("HTTP 200 trong "));
    let cert = outcome.certificate.expect("HTTPS fills the certificate");
    assert!(cert.trusted && cert.hostname_matches && !cert.self_signed);
    assert!(cert.problems.is_empty());
    assert!((89..=90).contains(&cert.days_left), "{}", cert.days_left);
    assert_eq!(cert.subject, "CN=localhost");
    assert_eq!(cert.issuer, "CN=CA Sở Thông tin thử nghiệm");
    assert_eq!(
        outcome.result.details["certificate"]["days_left"],
        cert.days_left
    );

    let outcome = check(&tls(addr), &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert_eq!(
        outcome.result.message,
        format!(
            "Chứng thư hết hạn sau {} ngày ({})",
            outcome.certificate.as_ref().unwrap().days_left,
            shown(date(90))
        )
    );
}

#[tokio::test]
async fn an_expiring_certificate_passes_but_fails_an_expiry_condition() {
    let pki = Pki::new();
    let addr = start_https(pki.server(&["localhost"], -80, 5)).await;
    let options = trusting(&pki);

    let outcome = check(&https(addr), &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    let cert = outcome.certificate.unwrap();
    assert!((4..=5).contains(&cert.days_left), "{}", cert.days_left);
    assert_eq!(
        cert.summary(),
        format!(
            "Chứng thư hết hạn sau {} ngày ({})",
            cert.days_left,
            shown(date(5))
        )
    );

    let mut monitor = tls(addr);
    monitor.settings.conditions = vec!["[CERTIFICATE_EXPIRATION] > 336h".into()];
    let outcome = check(&monitor, &options).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome
            .result
            .message
            .contains("điều kiện không đạt: [CERTIFICATE_EXPIRATION] ("),
        "{}",
        outcome.result.message
    );
}

#[tokio::test]
async fn an_expired_certificate_fails_and_is_named() {
    let pki = Pki::new();
    let addr = start_https(pki.server(&["localhost"], -100, -2)).await;
    let options = trusting(&pki);
    let expected = format!(
        "Chứng thư không hợp lệ: chứng thư đã hết hạn ngày {}",
        shown(date(-2))
    );

    let outcome = check(&https(addr), &options).await;
    assert!(!outcome.result.ok);
    assert_eq!(outcome.result.message, expected);
    let cert = outcome
        .certificate
        .expect("a refused certificate is still described");
    assert!(
        cert.trusted,
        "judged inside its validity, the chain is trusted"
    );
    assert!(cert.days_left < 0);

    let outcome = check(&tls(addr), &options).await;
    assert!(!outcome.result.ok);
    assert_eq!(outcome.result.message, expected);
}

#[tokio::test]
async fn a_certificate_for_another_host_fails() {
    let pki = Pki::new();
    let addr = start_https(pki.server(&["portal.example.gov.vn"], -1, 60)).await;
    let options = trusting(&pki);
    let outcome = check(&https(addr), &options).await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        "Chứng thư không hợp lệ: chứng thư không dành cho tên máy localhost"
    );
    let cert = outcome.certificate.unwrap();
    assert!(!cert.hostname_matches && cert.trusted);
}

#[tokio::test]
async fn an_unknown_ca_is_untrusted() {
    let pki = Pki::new();
    let addr = start_https(pki.server(&["localhost"], -1, 60)).await;
    let outcome = check(&tls(addr), &CheckOptions::default()).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome
            .result
            .message
            .starts_with("Chứng thư không hợp lệ: chứng thư không được tin cậy"),
        "{}",
        outcome.result.message
    );
    assert!(!outcome.certificate.unwrap().trusted);

    // A broken CA file is noted, not fatal.
    let options = CheckOptions {
        extra_roots_pem: Some(b"not a certificate".to_vec()),
        ..CheckOptions::default()
    };
    let outcome = check(&tls(addr), &options).await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.details["notes"][0],
        "Tệp CA bổ sung không có chứng thư nào"
    );
}

#[tokio::test]
async fn a_plain_server_on_a_tls_port_fails_cleanly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
        }
    });
    let outcome = check(&tls(addr), &CheckOptions::default()).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome.result.message.starts_with("Bắt tay TLS thất bại: "),
        "{}",
        outcome.result.message
    );
    assert!(outcome.certificate.is_none());
}

#[tokio::test]
async fn a_self_signed_certificate_is_trusted_when_given_as_a_root() {
    let (cert, pem) = self_signed_localhost(20);
    let addr = start_https(cert).await;
    let outcome = check(&tls(addr), &CheckOptions::default()).await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        "Chứng thư không hợp lệ: chứng thư tự ký, không được tin cậy"
    );

    let options = CheckOptions {
        extra_roots_pem: Some(pem.into_bytes()),
        ..CheckOptions::default()
    };
    let outcome = check(&https(addr), &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    let cert = outcome.certificate.unwrap();
    assert!(cert.self_signed && cert.trusted && cert.problems.is_empty());
}
