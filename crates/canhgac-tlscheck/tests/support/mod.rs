//! Real servers on loopback for the review tests: `openssl s_server`, rustls servers, an SMTP
//! server with STARTTLS, a tiny SSLv3 server, and servers that misbehave.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use canhgac_tlscheck::StartTls;

/// An `openssl s_server -www`, killed on drop.
pub struct OpensslServer {
    child: Child,
    pub addr: SocketAddr,
}

impl OpensslServer {
    pub fn start(cert: &Path, key: &Path, args: &[&str]) -> Self {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let mut child = Command::new("openssl")
                .arg("s_server")
                .arg("-accept")
                .arg(addr.to_string())
                .arg("-cert")
                .arg(cert)
                .arg("-key")
                .arg(key)
                .arg("-www")
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("openssl is installed");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                if std::net::TcpStream::connect(addr).is_ok() {
                    return OpensslServer { child, addr };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("openssl s_server did not start with {args:?}");
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed RSA certificate made with the openssl CLI: `(cert.pem, key.pem)`.
pub fn openssl_certificate(
    dir: &Path,
    stem: &str,
    rsa_bits: u32,
    digest: &str,
    name: &str,
    days: u32,
) -> (PathBuf, PathBuf) {
    let cert = dir.join(format!("{stem}.pem"));
    let key = dir.join(format!("{stem}.key"));
    let status = Command::new("openssl")
        .args(["req", "-x509", "-nodes", "-newkey"])
        .arg(format!("rsa:{rsa_bits}"))
        .arg(format!("-{digest}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .arg("-subj")
        .arg(format!("/CN={name}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{name}"))
        .arg("-days")
        .arg(days.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl req runs");
    assert!(status.success(), "openssl req failed");
    (cert, key)
}

/// A certificate and its key, for rustls servers.
pub struct Issued {
    pub der: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

fn params(common_name: &str, names: &[&str], ca: bool) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "So TTTT Thu nghiem");
    params.distinguished_name = dn;
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    }
    params
}

fn key_der(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// A self-signed EC (P-256) certificate for `name`.
pub fn self_signed(name: &str) -> Issued {
    let key = KeyPair::generate().unwrap();
    let cert = params(name, &[name], false).self_signed(&key).unwrap();
    Issued {
        der: cert.der().clone(),
        key: key_der(&key),
    }
}

/// A self-signed EC certificate for `name` that expired on 1 January 2021, written as PEM
/// files for openssl: `(cert.pem, key.pem)`.
pub fn expired_self_signed_pem(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = KeyPair::generate().unwrap();
    let mut params = params(name, &[name], false);
    params.not_before = rcgen::date_time_ymd(2019, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let cert_path = dir.join("expired.pem");
    let key_path = dir.join("expired.key");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

/// A small PKI: root, intermediate, and leaves signed by the intermediate.
pub struct Pki {
    pub root: CertifiedIssuer<'static, KeyPair>,
    pub intermediate: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    pub fn new() -> Self {
        let root = CertifiedIssuer::self_signed(
            params("Thu nghiem Root CA", &[], true),
            KeyPair::generate().unwrap(),
        )
        .unwrap();
        let intermediate = CertifiedIssuer::signed_by(
            params("Thu nghiem Intermediate CA", &[], true),
            KeyPair::generate().unwrap(),
            &root,
        )
        .unwrap();
        Pki { root, intermediate }
    }

    /// A leaf for `name`, valid from `not_before` to `not_after` (years).
    pub fn leaf(&self, name: &str, valid: Option<(i32, i32)>) -> Issued {
        let key = KeyPair::generate().unwrap();
        let mut params = params(name, &[name], false);
        if let Some((from, to)) = valid {
            params.not_before = rcgen::date_time_ymd(from, 1, 1);
            params.not_after = rcgen::date_time_ymd(to, 1, 1);
        }
        let cert = params.signed_by(&key, &self.intermediate).unwrap();
        Issued {
            der: cert.der().clone(),
            key: key_der(&key),
        }
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    Arc::new(config)
}

/// A rustls server on 127.0.0.1 sending `chain`, speaking `versions`.
pub async fn rustls_server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> SocketAddr {
    rustls_server_on("127.0.0.1:0", chain, key, versions).await
}

/// A rustls server on `bind` (e.g. `[::1]:0`).
pub async fn rustls_server_on(
    bind: &str,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> SocketAddr {
    let acceptor = TlsAcceptor::from(server_config(chain, key, versions));
    let listener = TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

/// What a mail server says up to the TLS handshake.
struct MailScript {
    greeting: &'static [u8],
    /// Commands expected before STARTTLS (their prefix) and the replies.
    steps: Vec<(&'static str, &'static [u8])>,
    starttls: &'static str,
    go_ahead: &'static [u8],
    refusal: &'static [u8],
}

fn mail_script(protocol: StartTls) -> MailScript {
    match protocol {
        StartTls::Smtp => MailScript {
            greeting: b"220 mail.example.gov.vn ESMTP\r\n",
            steps: vec![(
                "EHLO ",
                b"250-mail.example.gov.vn\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
            )],
            starttls: "STARTTLS\r\n",
            go_ahead: b"220 2.0.0 Ready\r\n",
            refusal: b"454 4.7.0 TLS not available\r\n",
        },
        StartTls::Imap => MailScript {
            greeting: b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
            steps: vec![],
            starttls: "a STARTTLS\r\n",
            // An untagged line before the tagged answer, as servers may send.
            go_ahead: b"* BYE not really\r\na OK Begin TLS now\r\n",
            refusal: b"a BAD not now\r\n",
        },
        StartTls::Pop3 => MailScript {
            greeting: b"+OK POP3 ready\r\n",
            steps: vec![],
            starttls: "STLS\r\n",
            go_ahead: b"+OK Begin TLS\r\n",
            refusal: b"-ERR not now\r\n",
        },
    }
}

/// A mail server that offers STARTTLS in `protocol`'s words and then speaks TLS 1.2/1.3 with
/// rustls; with `refuse`, it turns the STARTTLS command down.
pub async fn mail_server(protocol: StartTls, cert: Issued, refuse: bool) -> SocketAddr {
    let acceptor = TlsAcceptor::from(server_config(
        vec![cert.der],
        cert.key,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                let MailScript {
                    greeting,
                    steps,
                    starttls,
                    go_ahead,
                    refusal,
                } = mail_script(protocol);
                if reader.get_mut().write_all(greeting).await.is_err() {
                    return;
                }
                let mut line = String::new();
                for (command, reply) in steps {
                    line.clear();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0
                        || !line.starts_with(command)
                    {
                        return;
                    }
                    let _ = reader.get_mut().write_all(reply).await;
                }
                line.clear();
                if reader.read_line(&mut line).await.unwrap_or(0) == 0 || line != starttls {
                    let _ = reader.get_mut().write_all(refusal).await;
                    return;
                }
                if refuse {
                    let _ = reader.get_mut().write_all(refusal).await;
                    return;
                }
                let _ = reader.get_mut().write_all(go_ahead).await;
                if let Ok(mut tls) = acceptor.accept(reader.into_inner()).await {
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

/// A rustls server whose only key-exchange group is P-256, so our x25519 key share earns a
/// HelloRetryRequest.
pub async fn p256_only_server(cert: Issued) -> SocketAddr {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = vec![rustls::crypto::ring::kx_group::SECP256R1];
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der], cert.key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

/// A server that reads the hello and answers `reply`, then hangs up.
pub async fn reply_server(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(reply).await;
            });
        }
    });
    addr
}

/// A server that accepts and never says anything.
pub async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A port nothing listens on.
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// Counts the connections a server holds open at once.
#[derive(Default)]
pub struct Concurrency {
    open: AtomicUsize,
    pub most: AtomicUsize,
}

/// A server of one old `version` that we write by hand (OpenSSL here cannot speak SSLv3): to a
/// hello whose `client_version` is at least `version` it answers a well-formed ServerHello of
/// `version` (choosing the first of `suites` the client offers, else a `handshake_failure`
/// alert) and a ServerHelloDone; to an older hello a `protocol_version` alert. Each connection
/// is held `hold` before answering, and counted in `concurrency`.
pub async fn legacy_server(
    version: u16,
    suites: &'static [u16],
    hold: Duration,
    concurrency: Arc<Concurrency>,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let concurrency = concurrency.clone();
            tokio::spawn(async move {
                let open = concurrency.open.fetch_add(1, Ordering::SeqCst) + 1;
                concurrency.most.fetch_max(open, Ordering::SeqCst);
                tokio::time::sleep(hold).await;
                let answer = legacy_answer(&mut stream, version, suites).await;
                // Counted out before answering: the client holds its permit until it has read
                // the answer, so what we count never exceeds what it allows.
                concurrency.open.fetch_sub(1, Ordering::SeqCst);
                if let Some(answer) = answer {
                    let _ = stream.write_all(&answer).await;
                }
            });
        }
    });
    addr
}

async fn legacy_answer(
    stream: &mut tokio::net::TcpStream,
    version: u16,
    suites: &[u16],
) -> Option<Vec<u8>> {
    let [major, minor] = version.to_be_bytes();
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).await.ok()?;
    let length = u16::from_be_bytes([header[3], header[4]]) as usize;
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    let client_version = u16::from_be_bytes([*body.get(4)?, *body.get(5)?]);
    if client_version < version {
        return Some(vec![21, major, minor, 0, 2, 2, 70]);
    }
    let session_len = *body.get(38)? as usize;
    let at = 39 + session_len;
    let suites_len = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]) as usize;
    let offered: Vec<u16> = body
        .get(at + 2..at + 2 + suites_len)?
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let Some(chosen) = offered.iter().find(|s| suites.contains(s)) else {
        return Some(vec![21, major, minor, 0, 2, 2, 40]);
    };
    let mut hello = vec![major, minor];
    hello.extend_from_slice(&[0x5a; 32]);
    hello.push(0);
    hello.extend_from_slice(&chosen.to_be_bytes());
    hello.push(0);
    let mut messages = vec![2, 0, 0, hello.len() as u8];
    messages.extend_from_slice(&hello);
    messages.extend_from_slice(&[14, 0, 0, 0]);
    let mut record = vec![22, major, minor, 0, messages.len() as u8];
    record.extend_from_slice(&messages);
    Some(record)
}
