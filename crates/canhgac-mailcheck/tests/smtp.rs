//! SMTP checks against real servers on loopback: aiosmtpd as an open relay and as a closed
//! server (tests/fixtures/smtp_relay.py), and tiny tokio servers that go silent.
#![allow(clippy::unwrap_used)] // fixtures that fail should stop the test

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canhgac_mailcheck::{check_smtp, SmtpOptions, SmtpReport};
use canhgac_model::Severity;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

const PYTHON: &str = "/usr/bin/python3";

/// The aiosmtpd process; stopped (stdin closed, then killed) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The commands the server handled (MAIL, RCPT, DATA, RSET lines).
    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// A directory removed on drop (no tempfile crate needed for one folder).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "canhgac-mailcheck-{name}-{}-{:?}",
        std::process::id(),
        Instant::now()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(name: &str, extra: &[&str]) -> Server {
    let dir = temp_dir(name);
    let log = dir.0.join("commands.log");
    let port = free_port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp_relay.py");
    let mut child = Command::new(PYTHON)
        .arg(script)
        .arg(port.to_string())
        .arg(&log)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        log,
        _dir: dir,
    }
}

fn certificate(dir: &Path) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["mail.example.vn".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (
        cert_path.to_string_lossy().into_owned(),
        key_path.to_string_lossy().into_owned(),
    )
}

fn options(relay_test: bool) -> SmtpOptions {
    SmtpOptions {
        relay_test,
        timeout: Duration::from_secs(3),
        ..SmtpOptions::default()
    }
}

fn checks(report: &SmtpReport) -> Vec<(&str, Severity)> {
    report
        .issues()
        .iter()
        .map(|i| (i.check.as_str(), i.severity))
        .collect()
}

#[tokio::test]
async fn an_open_relay_is_critical_and_never_gets_data() {
    let server = start("open", &["--open", "--auth-in-clear"]);
    let report = check_smtp(server.addr, "mail.example.vn", &options(true)).await;
    assert_eq!(report.error, None);
    let relay = report.relay.as_ref().unwrap();
    assert!(relay.accepted);
    assert!(relay
        .dialogue
        .contains("C: RCPT TO:<relay-probe@example.net>\nS: 250 OK"));
    let found = checks(&report);
    assert!(
        found.contains(&("mail.smtp.open_relay", Severity::Critical)),
        "{found:?}"
    );
    let issue = report
        .issues()
        .iter()
        .find(|i| i.check == "mail.smtp.open_relay")
        .unwrap();
    assert!(issue
        .evidence
        .response
        .as_ref()
        .unwrap()
        .contains("MAIL FROM:<relay-probe@example.com>"));
    assert_eq!(issue.port, Some(server.addr.port()));
    assert_eq!(
        issue.subject,
        format!("mail.example.vn:{}/tcp", server.addr.port())
    );
    // AUTH before TLS, and no STARTTLS on a port that is not submission: medium.
    assert!(found.contains(&("mail.smtp.auth_in_clear", Severity::Medium)));
    assert_eq!(report.auth_in_clear, ["LOGIN", "PLAIN"]);
    assert!(found.contains(&("mail.smtp.no_starttls", Severity::Medium)));
    // The banner names Postfix.
    assert_eq!(report.product.as_ref().unwrap().product, "postfix:postfix");
    assert!(found.contains(&("mail.smtp.product", Severity::Informational)));
    // The server saw the envelope and the reset, never DATA.
    let log = server.log();
    assert_eq!(
        log,
        [
            "MAIL relay-probe@example.com",
            "RCPT relay-probe@example.net",
            "RSET"
        ]
    );
}

#[tokio::test]
async fn the_relay_probe_runs_only_when_allowed() {
    let server = start("noprobe", &["--open"]);
    let report = check_smtp(server.addr, "mail.example.vn", &options(false)).await;
    assert_eq!(report.error, None);
    assert!(report.relay.is_none());
    assert!(server.log().is_empty());
    assert!(!checks(&report)
        .iter()
        .any(|(c, _)| *c == "mail.smtp.open_relay"));
}

#[tokio::test]
async fn a_closed_server_refuses_outside_recipients() {
    let server = start(
        "closed",
        &["--closed", "--banner", "mx.example.vn ESMTP Exim 4.96"],
    );
    let report = check_smtp(server.addr, "mx.example.vn", &options(true)).await;
    assert_eq!(report.error, None);
    let relay = report.relay.as_ref().unwrap();
    assert!(!relay.accepted);
    assert!(relay.dialogue.contains("S: 554 5.7.1 Relay access denied"));
    let found = checks(&report);
    assert!(
        !found.iter().any(|(c, _)| *c == "mail.smtp.open_relay"),
        "{found:?}"
    );
    assert!(!report.starttls);
    assert!(found.contains(&("mail.smtp.no_starttls", Severity::Medium)));
    let product = report.product.as_ref().unwrap();
    assert_eq!(
        (product.product.as_str(), product.version.as_deref()),
        ("exim:exim", Some("4.96"))
    );
    assert!(!server.log().contains(&"DATA".to_owned()));
}

#[tokio::test]
async fn starttls_advertised_raises_nothing() {
    let dir = temp_dir("tlscert");
    let (cert, key) = certificate(&dir.0);
    let server = start("starttls", &["--closed", "--starttls", &cert, &key]);
    let report = check_smtp(server.addr, "mail.example.vn", &options(false)).await;
    assert_eq!(report.error, None);
    assert!(report.starttls, "{:?}", report.capabilities);
    let found = checks(&report);
    assert_eq!(found, [("mail.smtp.product", Severity::Informational)]);
}

#[tokio::test]
async fn silent_servers_do_not_hang_the_check() {
    // Accepts and says nothing.
    let mute = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mute_addr = mute.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = mute.accept().await {
            held.push(stream);
        }
    });
    // Greets, then never answers EHLO.
    let greeter = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let greeter_addr = greeter.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = greeter.accept().await {
            let _ = stream.write_all(b"220 slow.example.vn ESMTP\r\n").await;
            held.push(stream);
        }
    });
    let quick = SmtpOptions {
        relay_test: true,
        timeout: Duration::from_millis(400),
        ..SmtpOptions::default()
    };
    let started = Instant::now();
    let report = check_smtp(mute_addr, "mute.example.vn", &quick).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        report.error.as_ref().unwrap().contains("lời chào"),
        "{:?}",
        report.error
    );
    assert!(report.issues().is_empty());

    let started = Instant::now();
    let report = check_smtp(greeter_addr, "slow.example.vn", &quick).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        report.error.as_ref().unwrap().contains("hết thời gian"),
        "{:?}",
        report.error
    );
    assert_eq!(report.banner.as_deref(), Some("220 slow.example.vn ESMTP"));
    assert!(report.issues().is_empty(), "{:?}", checks(&report));

    // Nothing listening: refused at once.
    let closed = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let report = check_smtp(closed, "closed.example.vn", &quick).await;
    assert!(report
        .error
        .as_ref()
        .unwrap()
        .contains("không kết nối được"));
}

/// A root and a leaf for `mail.example.vn` signed by it, written to `dir`; returns
/// (leaf cert path, leaf key path, root PEM).
fn signed_certificate(dir: &Path) -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "canhgac test root");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["mail.example.vn".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let cert_path = dir.join("leaf.pem");
    let key_path = dir.join("leaf-key.pem");
    std::fs::write(&cert_path, leaf.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (
        cert_path.to_string_lossy().into_owned(),
        key_path.to_string_lossy().into_owned(),
        ca.pem(),
    )
}

#[tokio::test]
async fn starttls_hands_over_a_stream_ready_for_the_handshake() {
    use rustls::pki_types::pem::PemObject;
    let dir = temp_dir("upgrade");
    let (cert, key, root) = signed_certificate(&dir.0);
    let server = start("upgrade", &["--closed", "--starttls", &cert, &key]);
    let stream = canhgac_mailcheck::open_starttls(
        server.addr,
        "canhgac-scanner.invalid",
        Duration::from_secs(3),
    )
    .await
    .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(root.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from("mail.example.vn").unwrap();
    let tls = connector.connect(name, stream).await.unwrap();
    assert!(tls.get_ref().1.protocol_version().is_some());

    // A server without STARTTLS says so.
    let plain = start("plain", &["--closed"]);
    let refused = canhgac_mailcheck::open_starttls(
        plain.addr,
        "canhgac-scanner.invalid",
        Duration::from_secs(3),
    )
    .await
    .unwrap_err();
    assert!(refused.contains("STARTTLS"), "{refused}");
}
