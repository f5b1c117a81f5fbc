//! Whole runs against real local servers: a portal over HTTPS with a self-signed certificate,
//! and a mail server that relays for anyone under a domain with a permissive SPF and no DMARC.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use canhgac_dns::zone::{Zone, ZoneServer};
use canhgac_model::Severity;
use canhgac_scan::run::{run, Profile, ScanOptions, ScanProgress};
use canhgac_scan::target::ScanHost;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An HTTPS portal with a self-signed certificate for portal.example.vn and no headers.
async fn https_portal() -> u16 {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["portal.example.vn".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut buffer = vec![0u8; 4096];
                let _ = tls.read(&mut buffer).await;
                let body = "<html><head><title>Cổng</title></head><body>ok</body></html>";
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_portal_gets_tls_certificate_and_header_findings() {
    let port = https_portal().await;
    let host = ScanHost {
        name: "portal.example.vn".into(),
        ip: Ipv4Addr::LOCALHOST.into(),
        ports: vec![],
    };
    let mut options = ScanOptions::for_profile(Profile::Quick);
    options.ports = Some(vec![port]);
    let report = run(&[host], &options, Arc::new(ScanProgress::default())).await;
    let service = &report.hosts[0].services[0];
    assert_eq!(
        (service.service.as_str(), service.tls),
        ("http", true),
        "{service:?}"
    );
    let checks: Vec<&str> = report.issues.iter().map(|i| i.check.as_str()).collect();
    for expected in [
        "cert.self_signed",
        "http.header.strict-transport-security",
        "http.header.content-security-policy",
    ] {
        assert!(
            checks.contains(&expected),
            "{expected} missing from {checks:?}"
        );
    }
    // HTTPS itself is not a redirect problem.
    assert!(!checks.contains(&"http.no_https_redirect"));
    let categories = &report.categories;
    assert!(categories.contains(&"tls".to_owned()));
    assert!(categories.contains(&"certificate".to_owned()));
}

struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn open_relay(log: &Path) -> (Relay, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../canhgac-mailcheck/tests/fixtures/smtp_relay.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(port.to_string())
        .arg(log)
        .arg("--open")
        // The script runs until its stdin closes: the pipe lives as long as the child.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("/usr/bin/python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    (Relay(child), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_scan_finds_the_open_relay_and_the_weak_domain() {
    let dir = tempfile::tempdir().unwrap();
    let (_relay, port) = open_relay(&dir.path().join("commands.log"));
    let zone = ZoneServer::start(
        Zone::parse(
            "example.vn MX 10 mail.example.vn\n\
             mail.example.vn A 127.0.0.1\n\
             example.vn TXT v=spf1 +all\n",
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let host = ScanHost {
        name: "mail.example.vn".into(),
        ip: Ipv4Addr::LOCALHOST.into(),
        ports: vec![],
    };
    let mut options = ScanOptions::for_profile(Profile::Mail);
    options.ports = Some(vec![port]);
    options.mail_domains = vec!["example.vn".into()];
    options.resolver = Some(zone.addr());
    options.smtp.timeout = Duration::from_secs(5);
    let report = run(&[host], &options, Arc::new(ScanProgress::default())).await;
    let checks: Vec<(&str, Severity)> = report
        .issues
        .iter()
        .map(|i| (i.check.as_str(), i.severity))
        .collect();
    assert!(
        checks.contains(&("mail.smtp.open_relay", Severity::Critical)),
        "{checks:?} {:?}",
        report.hosts
    );
    for expected in [
        "mail.smtp.no_starttls",
        "mail.spf.pass_all",
        "mail.dmarc.missing",
    ] {
        assert!(
            checks.iter().any(|(c, _)| *c == expected),
            "{expected} missing from {checks:?}"
        );
    }
    // Most severe first, and the run says it judged mail.
    assert_eq!(report.issues[0].severity, Severity::Critical);
    assert!(report.categories.contains(&"mail_dns".to_owned()));
    let relay = report
        .issues
        .iter()
        .find(|i| i.check == "mail.smtp.open_relay")
        .unwrap();
    assert_eq!(relay.host, "mail.example.vn");
}
