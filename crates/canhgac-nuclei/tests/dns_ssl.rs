//! `dns` templates against canhgac-dns's fixed-zone server, `ssl` templates and HTTPS against a
//! local rustls server with a self-signed certificate.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use canhgac_dns::zone::{Zone, ZoneServer};
use canhgac_dns::RecordType;
use canhgac_nuclei::engine::{Engine, EngineOptions};
use canhgac_nuclei::target::Target;
use canhgac_nuclei::template::{parse_template, Template};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn load(name: &str) -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/templates")
        .join(name);
    parse_template(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
}

async fn dns_engine() -> (Engine, ZoneServer) {
    let zone = Zone::new()
        .with(
            "_dmarc.example.vn",
            RecordType::TXT,
            "v=DMARC1; p=none; rua=mailto:d@example.vn",
        )
        .with("example.vn", RecordType::A, "192.0.2.10");
    let server = ZoneServer::start(zone).await.unwrap();
    let engine = Engine::new(EngineOptions {
        resolver: Some(server.resolver()),
        timeout: Duration::from_secs(3),
        ..EngineOptions::default()
    });
    (engine, server)
}

#[tokio::test]
async fn a_dns_template_matches_and_extracts_from_the_answer_section() {
    let (engine, server) = dns_engine().await;
    let template = load("dns-dmarc.yaml");
    let outcome = engine
        .run(&template, &Target::parse("example.vn").unwrap())
        .await;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.hits.len(), 1);
    assert_eq!(
        outcome.hits[0].extracted,
        vec!["v=DMARC1; p=none; rua=mailto:d@example.vn"]
    );
    assert_eq!(outcome.hits[0].matched_at, "_dmarc.example.vn");
    assert_eq!(server.udp_questions(), 1);

    let other = engine
        .run(&template, &Target::parse("other.vn").unwrap())
        .await;
    assert!(other.hits.is_empty());
}

#[tokio::test]
async fn the_rcode_part_sees_nxdomain() {
    let (engine, _server) = dns_engine().await;
    let template = load("dns-nxdomain.yaml");
    let outcome = engine
        .run(&template, &Target::parse("example.vn").unwrap())
        .await;
    assert_eq!(outcome.hits.len(), 1, "{:?}", outcome.errors);
    assert_eq!(
        outcome.hits[0].to_issue(&template).check,
        "template:test-dangling"
    );
}

async fn tls_server(http: bool) -> SocketAddr {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                if http {
                    let mut buffer = [0u8; 4096];
                    let _ = tls.read(&mut buffer).await;
                    let _ = tls
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nsecret panel")
                        .await;
                }
                let _ = tls.shutdown().await;
            });
        }
    });
    address
}

#[tokio::test]
async fn an_ssl_template_reads_the_certificate_fields() {
    let address = tls_server(false).await;
    let template = load("ssl-self-signed.yaml");
    let engine = Engine::new(EngineOptions::default());
    let target = Target::parse(&format!("localhost:{}", address.port())).unwrap();
    let outcome = engine.run(&template, &target).await;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.hits.len(), 1);
    assert!(
        outcome.hits[0].extracted.contains(&"localhost".to_owned()),
        "{:?}",
        outcome.hits[0]
    );
    let issue = outcome.hits[0].to_issue(&template);
    assert_eq!(issue.title_vi, "Chứng chỉ tự ký");
    assert!(issue
        .evidence
        .response
        .unwrap()
        .contains("\"self_signed\":true"));
}

#[tokio::test]
async fn a_refused_old_version_is_no_hit_and_no_error() {
    let address = tls_server(false).await;
    let template = load("ssl-deprecated.yaml");
    let engine = Engine::new(EngineOptions::default());
    let target = Target::parse(&format!("127.0.0.1:{}", address.port())).unwrap();
    let outcome = engine.run(&template, &target).await;
    assert!(outcome.hits.is_empty());
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.requests_sent, 1);

    // The same request pinned to a version the server speaks is a hit with the version.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates/ssl-deprecated.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("tls10", "tls12")
        .replace("tls11", "tls12");
    let pinned = parse_template(&text, &path).unwrap();
    let outcome = engine.run(&pinned, &target).await;
    assert_eq!(outcome.hits.len(), 1, "{:?}", outcome.errors);
    assert_eq!(outcome.hits[0].extracted, vec!["tls12"]);
}

#[tokio::test]
async fn https_paths_go_over_tls_whatever_the_certificate() {
    let address = tls_server(true).await;
    let text =
        "id: https\ninfo: {name: h, severity: info}\nhttp:\n  - path: ['{{BaseURL}}/admin']\n    \
                matchers:\n      - type: word\n        words: ['secret panel']\n";
    let template = parse_template(text, Path::new("https.yaml")).unwrap();
    let target = Target::parse(&format!("https://localhost:{}", address.port())).unwrap();
    let outcome = Engine::new(EngineOptions::default())
        .run(&template, &target)
        .await;
    assert_eq!(outcome.hits.len(), 1, "{:?}", outcome.errors);
}

#[tokio::test]
async fn a_tcp_request_can_speak_tls() {
    let address = tls_server(true).await;
    let text = "id: tcp-tls\ninfo: {name: t, severity: info}\ntcp:\n  - host: ['tls://{{Hostname}}']\n    \
                inputs:\n      - data: \"GET / HTTP/1.0\\r\\n\\r\\n\"\n    read-size: 256\n    \
                matchers:\n      - type: word\n        words: ['secret panel']\n";
    let template = parse_template(text, Path::new("tcp-tls.yaml")).unwrap();
    let target = Target::parse(&format!("localhost:{}", address.port())).unwrap();
    let outcome = Engine::new(EngineOptions::default())
        .run(&template, &target)
        .await;
    assert_eq!(outcome.hits.len(), 1, "{:?}", outcome.errors);
    assert!(outcome.hits[0].request.starts_with("GET / HTTP/1.0"));
}
