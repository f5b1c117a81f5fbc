//! The email channel against a real SMTP server (Debian's aiosmtpd on loopback): plain, STARTTLS
//! required, implicit TLS, authentication; certificates checked against `ca_file`; the password
//! never in an error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canhgac_model::bulletin::OutboxMail;
use canhgac_respond::email::{EmailChannel, Secret, SmtpSecurity, SmtpSettings};
use canhgac_respond::Channel;
use serde_json::Value;

const PYTHON: &str = "/usr/bin/python3";
const PASSWORD: &str = "mật-khẩu-smtp-rất-bí-mật";

fn aiosmtpd_available() -> bool {
    let found = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        canhgac_store::testing::skip_for_missing_service(
            "aiosmtpd",
            "apt-get install python3-aiosmtpd",
        );
    }
    found
}

struct Sink(Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sink(port: u16, dir: &Path, extra: &[&str]) -> Sink {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp_sink.py");
    let mut child = Command::new(PYTHON)
        .arg(script)
        .arg(port.to_string())
        .arg(dir)
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
    Sink(child)
}

/// A certificate for 127.0.0.1 and its key, written to `dir`; returns (cert, key) paths.
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

fn mail(to: &str) -> OutboxMail {
    OutboxMail {
        id: 1,
        channel: "email".into(),
        recipient: to.into(),
        recipient_name: Some("Nguyễn Thị Hoa".into()),
        subject: "Bản tin: cảnh báo lừa đảo".into(),
        body_text: "Nội dung tiếng Việt có dấu.\nhttps://canhgac.example.vn/bulletins/confirm/x"
            .into(),
        body_html: Some("<p>Nội dung</p>".into()),
        attempts: 1,
    }
}

fn received(dir: &Path, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        if files.len() >= count || Instant::now() > deadline {
            files.sort();
            return files
                .iter()
                .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
                .collect();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn settings(port: u16, security: SmtpSecurity) -> SmtpSettings {
    let mut s = SmtpSettings::new("127.0.0.1", "canhgac@stttt.example.gov.vn");
    s.port = Some(port);
    s.security = security;
    s.timeout = Duration::from_secs(5);
    s
}

#[tokio::test]
async fn plain_starttls_tls_and_authentication() {
    if !aiosmtpd_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let (cert, key) = certificate(dir.path());
    let (cert_s, key_s) = (cert.to_str().unwrap(), key.to_str().unwrap());

    // Plain text, no authentication.
    let port = free_port();
    let _plain = sink(port, &inbox, &[]);
    let channel = EmailChannel::new(&settings(port, SmtpSecurity::None)).unwrap();
    channel.deliver(&mail("hoa@example.gov.vn")).await.unwrap();
    let got = received(&inbox, 1);
    assert_eq!(got[0]["rcpt_tos"][0], "hoa@example.gov.vn");
    assert_eq!(got[0]["subject"], "Bản tin: cảnh báo lừa đảo");
    assert!(got[0]["text"]
        .as_str()
        .unwrap()
        .contains("Nội dung tiếng Việt có dấu."));
    assert_eq!(got[0]["html"].as_str().unwrap().trim(), "<p>Nội dung</p>");
    assert!(got[0]["to"].as_str().unwrap().contains("Nguyễn Thị Hoa"));

    // STARTTLS required by the server, with authentication over TLS; the CA from ca_file.
    let port = free_port();
    let _starttls = sink(
        port,
        &inbox,
        &["--starttls", cert_s, key_s, "--auth", "canhgac", PASSWORD],
    );
    let mut good = settings(port, SmtpSecurity::StartTls);
    good.ca_file = Some(cert.clone());
    good.username = "canhgac".into();
    good.password = Secret::new(PASSWORD);
    let channel = EmailChannel::new(&good).unwrap();
    channel.deliver(&mail("an@example.gov.vn")).await.unwrap();
    assert_eq!(received(&inbox, 2).len(), 2);

    // A wrong password fails permanently, and the error does not carry the password.
    let mut wrong = good.clone();
    wrong.password = Secret::new(format!("{PASSWORD}-sai"));
    let error = EmailChannel::new(&wrong)
        .unwrap()
        .deliver(&mail("an@example.gov.vn"))
        .await
        .unwrap_err();
    assert!(!error.message.contains(PASSWORD), "{}", error.message);
    assert!(error.permanent, "{error:?}");

    // Without the CA the certificate is refused: nothing is sent in the clear instead.
    let mut untrusted = good.clone();
    untrusted.ca_file = None;
    let error = EmailChannel::new(&untrusted)
        .unwrap()
        .deliver(&mail("an@example.gov.vn"))
        .await
        .unwrap_err();
    assert!(!error.permanent, "{error:?}");

    // Implicit TLS (SMTPS).
    let port = free_port();
    let _tls = sink(port, &inbox, &["--tls", cert_s, key_s]);
    let mut smtps = settings(port, SmtpSecurity::Tls);
    smtps.ca_file = Some(cert.clone());
    EmailChannel::new(&smtps)
        .unwrap()
        .deliver(&mail("binh@example.gov.vn"))
        .await
        .unwrap();
    let got = received(&inbox, 3);
    assert_eq!(got.len(), 3, "nothing arrived from the refused attempts");
    assert_eq!(got[2]["rcpt_tos"][0], "binh@example.gov.vn");

    // A server that does not offer STARTTLS gets nothing when STARTTLS is required.
    let plain_port = free_port();
    let _plain_again = sink(plain_port, &inbox, &[]);
    let mut required = settings(plain_port, SmtpSecurity::StartTls);
    required.ca_file = Some(cert);
    let error = EmailChannel::new(&required)
        .unwrap()
        .deliver(&mail("an@example.gov.vn"))
        .await
        .unwrap_err();
    assert!(!error.message.is_empty());
    assert_eq!(received(&inbox, 4).len(), 3);
}
