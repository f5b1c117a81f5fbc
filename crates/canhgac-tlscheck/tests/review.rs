//! The review against real servers on loopback.

// Test set-up failing is a test failure; allow-unwrap-in-tests does not reach helpers.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canhgac_model::Severity;
use canhgac_tlscheck::{
    handshake, issues, review, ChainTrust, StartTls, SuiteStrength, TlsError, TlsOptions,
    TlsReport, TlsTarget, TlsVersion,
};
use support::*;

fn options() -> TlsOptions {
    TlsOptions {
        timeout: Duration::from_secs(5),
        ..TlsOptions::default()
    }
}

fn checks(report: &TlsReport) -> Vec<(String, Severity)> {
    issues(report, "portal.example.gov.vn", report.target.addr.port())
        .into_iter()
        .map(|issue| (issue.check, issue.severity))
        .collect()
}

fn has(report: &TlsReport, check: &str, severity: Severity) -> bool {
    checks(report)
        .iter()
        .any(|(c, s)| c == check && *s == severity)
}

fn suite_ids(report: &TlsReport, version: TlsVersion) -> BTreeSet<u16> {
    report
        .suites
        .iter()
        .find(|list| list.version == version)
        .map(|list| list.suites.iter().map(|s| s.id).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_tls10_only_openssl_server_and_its_suites() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_certificate(
        dir.path(),
        "old",
        2048,
        "sha256",
        "portal.example.gov.vn",
        365,
    );
    let server = OpensslServer::start(
        &cert,
        &key,
        &[
            "-tls1",
            "-cipher",
            "ECDHE-RSA-AES128-SHA:AES256-SHA:NULL-SHA:@SECLEVEL=0",
        ],
    );
    let target = TlsTarget::new(server.addr, Some("portal.example.gov.vn"));
    let report = review(&target, &options()).await.unwrap();

    assert_eq!(report.offered_versions(), vec![TlsVersion::Tls10]);
    assert!(
        !report.offers(TlsVersion::Ssl3),
        "Debian's OpenSSL cannot speak SSLv3"
    );
    let tls10 = report
        .suites
        .iter()
        .find(|l| l.version == TlsVersion::Tls10)
        .unwrap();
    assert!(tls10.complete);
    // ECDHE-RSA-AES128-SHA, AES256-SHA, NULL-SHA
    assert_eq!(
        suite_ids(&report, TlsVersion::Tls10),
        BTreeSet::from([0xC013, 0x0035, 0x0002])
    );
    let null = tls10.suites.iter().find(|s| s.id == 0x0002).unwrap();
    assert_eq!(null.strength, SuiteStrength::Insecure);
    assert_eq!(null.name, "TLS_RSA_WITH_NULL_SHA");

    assert!(has(&report, "tls.protocol.tls10", Severity::Medium));
    assert!(has(&report, "tls.protocol.no_modern", Severity::Medium));
    assert!(has(&report, "tls.cipher.insecure", Severity::High));
    assert!(has(&report, "tls.cipher.weak", Severity::Low));
    assert!(has(&report, "cert.self_signed", Severity::Medium));
    assert!(!checks(&report)
        .iter()
        .any(|(c, _)| c == "tls.protocol.ssl3"));
    // A 2048-bit SHA-256 certificate for the right name raises nothing about key, name, hash.
    assert!(!checks(&report).iter().any(|(c, _)| c == "cert.weak_key"
        || c == "cert.name_mismatch"
        || c.starts_with("cert.signature")));

    let certificate = report.certificate.as_ref().unwrap();
    assert_eq!(certificate.source, "TLS 1.0 handshake");
    let leaf = certificate.leaf().unwrap();
    assert_eq!((leaf.key_type.as_str(), leaf.key_bits), ("RSA", Some(2048)));
    assert_eq!(leaf.signature_algorithm, "sha256WithRSAEncryption");
    assert_eq!(leaf.dns_names, vec!["portal.example.gov.vn".to_owned()]);

    let issue = issues(&report, "portal.example.gov.vn", 443)
        .into_iter()
        .find(|i| i.check == "tls.protocol.tls10")
        .unwrap();
    assert_eq!(issue.subject, "portal.example.gov.vn:443/tcp");
    assert!(issue.title_vi.contains("TLS 1.0"));
    assert!(issue
        .evidence
        .request
        .as_deref()
        .unwrap()
        .contains("SNI portal.example.gov.vn"));
    assert!(issue
        .evidence
        .response
        .as_deref()
        .unwrap()
        .starts_with("ServerHello TLS 1.0"));
    // The report is serialisable as it is.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["versions"][1]["version"], "tls1.0");
}

#[tokio::test]
async fn a_weak_openssl_certificate_for_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) =
        openssl_certificate(dir.path(), "weak", 1024, "sha1", "other.example.gov.vn", 10);
    let server = OpensslServer::start(&cert, &key, &["-tls1_2", "-cipher", "DEFAULT@SECLEVEL=0"]);
    let target = TlsTarget::new(server.addr, Some("portal.example.gov.vn"));
    let report = review(&target, &options()).await.unwrap();

    assert_eq!(report.offered_versions(), vec![TlsVersion::Tls12]);
    let tls12 = report
        .suites
        .iter()
        .find(|l| l.version == TlsVersion::Tls12)
        .unwrap();
    assert!(tls12.complete && tls12.suites.len() > 5, "{tls12:?}");
    assert!(
        tls12.suites.iter().any(|s| s.id == 0xC030),
        "ECDHE-RSA-AES256-GCM-SHA384"
    );

    assert!(has(&report, "cert.weak_key", Severity::Medium));
    assert!(has(&report, "cert.signature_sha1", Severity::Medium));
    assert!(has(&report, "cert.name_mismatch", Severity::Medium));
    assert!(has(&report, "cert.expiring", Severity::Medium));
    assert!(has(&report, "cert.self_signed", Severity::Medium));
    assert!(!checks(&report)
        .iter()
        .any(|(c, _)| c.starts_with("tls.protocol")));

    let expiring = issues(&report, "portal.example.gov.vn", 443)
        .into_iter()
        .find(|i| i.check == "cert.expiring")
        .unwrap();
    let leaf = report.certificate.as_ref().unwrap().leaf().unwrap();
    let date = canhgac_tlscheck::certificate::date_vi(leaf.not_after);
    assert!(expiring.title_vi.contains(&date), "{}", expiring.title_vi);
    assert!(date.len() == 10 && date.as_bytes()[2] == b'/' && date.as_bytes()[5] == b'/');
    assert!(expiring
        .evidence
        .extracted
        .iter()
        .any(|line| line.starts_with("Khoá / Key: RSA 1024")));
}

#[tokio::test]
async fn legacy_tls_with_an_expired_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = expired_self_signed_pem(dir.path(), "portal.example.gov.vn");
    let server = OpensslServer::start(&cert, &key, &["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    let target = TlsTarget::new(server.addr, Some("portal.example.gov.vn"));
    let report = review(&target, &options()).await.unwrap();
    assert_eq!(report.offered_versions(), vec![TlsVersion::Tls10]);
    let certificate = report.certificate.as_ref().unwrap();
    assert_eq!(certificate.trust, ChainTrust::SelfSigned);
    assert_eq!(certificate.name_matches, Some(true));
    let found = issues(&report, "portal.example.gov.vn", 443);
    let expired = found.iter().find(|i| i.check == "cert.expired").unwrap();
    assert_eq!(expired.severity, Severity::High);
    assert_eq!(expired.category, "certificate");
    assert_eq!(
        expired.title_vi,
        "Chứng thư số đã hết hạn từ ngày 01/01/2021"
    );
    assert!(expired.remediation_vi.starts_with("Gia hạn"));
    assert!(expired
        .evidence
        .extracted
        .contains(&"Hiệu lực / Valid: 01/01/2019 - 01/01/2021".to_owned()));
    assert!(has(&report, "cert.self_signed", Severity::Medium));
    assert!(has(&report, "tls.protocol.tls10", Severity::Medium));
}

#[tokio::test]
async fn a_modern_openssl_server_raises_no_protocol_issue() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_certificate(
        dir.path(),
        "modern",
        2048,
        "sha256",
        "portal.example.gov.vn",
        365,
    );
    let server = OpensslServer::start(&cert, &key, &[]);
    let target = TlsTarget::new(server.addr, Some("portal.example.gov.vn"));
    let report = review(&target, &options()).await.unwrap();
    assert_eq!(
        report.offered_versions(),
        vec![TlsVersion::Tls12, TlsVersion::Tls13]
    );
    assert_eq!(
        suite_ids(&report, TlsVersion::Tls13),
        BTreeSet::from([0x1301, 0x1302, 0x1303])
    );
    assert!(!checks(&report)
        .iter()
        .any(|(c, _)| c.starts_with("tls.protocol")));
    assert!(!checks(&report)
        .iter()
        .any(|(c, _)| c == "tls.cipher.insecure"));
    assert_eq!(
        report.dh_group_bits,
        Some(2048),
        "OpenSSL's automatic DH group"
    );
    assert!(!checks(&report).iter().any(|(c, _)| c == "tls.dh.weak"));
}

#[tokio::test]
async fn a_1024_bit_dh_group_is_logjam() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_certificate(
        dir.path(),
        "dh",
        2048,
        "sha256",
        "portal.example.gov.vn",
        365,
    );
    // The 1024-bit MODP group of RFC 2409 (Oakley group 2), still found on old appliances;
    // generating a fresh one takes seconds.
    let dhparam = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dh1024-rfc2409-group2.pem"
    );
    // ECDHE is preferred in our hellos, so the version probe does not see the DH group: the
    // DHE-only probe must.
    let server = OpensslServer::start(
        &cert,
        &key,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
            "-dhparam",
            dhparam,
        ],
    );
    let target = TlsTarget::new(server.addr, Some("portal.example.gov.vn"));
    let report = review(&target, &options()).await.unwrap();
    assert_eq!(report.versions[3].chosen.as_ref().unwrap().id, 0xC02F);
    assert_eq!(report.dh_group_bits, Some(1024));
    assert!(has(&report, "tls.dh.weak", Severity::Medium));
}

#[tokio::test]
async fn a_tls13_only_server_gives_its_chain_through_rustls() {
    let issued = self_signed("portal.example.gov.vn");
    let addr = rustls_server(vec![issued.der], issued.key, &[&rustls::version::TLS13]).await;
    let report = review(
        &TlsTarget::new(addr, Some("portal.example.gov.vn")),
        &options(),
    )
    .await
    .unwrap();
    assert_eq!(report.offered_versions(), vec![TlsVersion::Tls13]);
    assert_eq!(
        suite_ids(&report, TlsVersion::Tls13),
        BTreeSet::from([0x1301, 0x1302, 0x1303])
    );
    let certificate = report.certificate.as_ref().unwrap();
    assert_eq!(certificate.source, "rustls");
    assert_eq!(certificate.trust, ChainTrust::SelfSigned);
    assert_eq!(certificate.name_matches, Some(true));
    let leaf = certificate.leaf().unwrap();
    assert_eq!((leaf.key_type.as_str(), leaf.key_bits), ("EC", Some(256)));
    assert_eq!(
        checks(&report),
        vec![("cert.self_signed".to_owned(), Severity::Medium)]
    );
}

#[tokio::test]
async fn ipv6_and_a_certificate_for_an_ip_address() {
    // rcgen puts "::1" in the subjectAltName as an IP address.
    let issued = self_signed("::1");
    let versions = [&rustls::version::TLS12, &rustls::version::TLS13];
    let addr = rustls_server_on("[::1]:0", vec![issued.der], issued.key, &versions).await;
    let quick = TlsOptions {
        enumerate_ciphers: false,
        ..options()
    };
    let report = review(&TlsTarget::new(addr, Some("::1")), &quick)
        .await
        .unwrap();
    assert_eq!(
        report.offered_versions(),
        vec![TlsVersion::Tls12, TlsVersion::Tls13]
    );
    let certificate = report.certificate.as_ref().unwrap();
    assert_eq!(
        certificate.leaf().unwrap().ip_addresses,
        vec!["::1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(certificate.name_matches, Some(true));

    let report = review(&TlsTarget::new(addr, Some("::2")), &quick)
        .await
        .unwrap();
    assert!(has(&report, "cert.name_mismatch", Severity::Medium));
}

#[tokio::test]
async fn chain_completeness_with_and_without_the_intermediate() {
    let pki = Pki::new();
    let root = pki.root.der().to_vec();
    let with_root = TlsOptions {
        extra_roots: vec![root.clone()],
        enumerate_ciphers: false,
        ..options()
    };
    let versions = [&rustls::version::TLS12, &rustls::version::TLS13];
    let name = Some("portal.example.gov.vn");

    let leaf = pki.leaf("portal.example.gov.vn", None);
    let full = rustls_server(
        vec![leaf.der.clone(), pki.intermediate.der().clone()],
        leaf.key.clone_key(),
        &versions,
    )
    .await;
    let report = review(&TlsTarget::new(full, name), &with_root)
        .await
        .unwrap();
    assert_eq!(
        report.certificate.as_ref().unwrap().trust,
        ChainTrust::Trusted
    );
    assert!(
        !checks(&report).iter().any(|(c, _)| c.starts_with("cert.")),
        "{:?}",
        checks(&report)
    );
    assert!(report.suites.is_empty(), "enumeration was off");

    let bare = rustls_server(vec![leaf.der.clone()], leaf.key.clone_key(), &versions).await;
    let report = review(&TlsTarget::new(bare, name), &with_root)
        .await
        .unwrap();
    match &report.certificate.as_ref().unwrap().trust {
        ChainTrust::IncompleteChain { missing_issuer } => {
            assert!(missing_issuer.contains("Intermediate"), "{missing_issuer}")
        }
        other => panic!("not reported incomplete: {other:?}"),
    }
    assert!(has(&report, "cert.chain_incomplete", Severity::Medium));

    // The whole chain, root included, but nobody trusts the root.
    let untrusted = rustls_server(
        vec![
            leaf.der.clone(),
            pki.intermediate.der().clone(),
            pki.root.der().clone(),
        ],
        leaf.key.clone_key(),
        &versions,
    )
    .await;
    let report = review(&TlsTarget::new(untrusted, name), &options())
        .await
        .unwrap();
    assert!(matches!(
        report.certificate.as_ref().unwrap().trust,
        ChainTrust::UntrustedRoot { .. }
    ));
    assert!(has(&report, "cert.untrusted_root", Severity::Medium));

    // An expired leaf is expired, not untrusted: the chain is judged inside its validity.
    let old = pki.leaf("portal.example.gov.vn", Some((2020, 2021)));
    let expired = rustls_server(
        vec![old.der, pki.intermediate.der().clone()],
        old.key,
        &versions,
    )
    .await;
    let report = review(&TlsTarget::new(expired, name), &with_root)
        .await
        .unwrap();
    assert_eq!(
        report.certificate.as_ref().unwrap().trust,
        ChainTrust::Trusted
    );
    let expired_issue = issues(&report, "portal.example.gov.vn", 443)
        .into_iter()
        .find(|i| i.check == "cert.expired")
        .unwrap();
    assert_eq!(expired_issue.severity, Severity::High);
    assert!(
        expired_issue.title_vi.contains("01/01/2021"),
        "{}",
        expired_issue.title_vi
    );

    let future = pki.leaf("portal.example.gov.vn", Some((2090, 2091)));
    let early = rustls_server(
        vec![future.der, pki.intermediate.der().clone()],
        future.key,
        &versions,
    )
    .await;
    let report = review(&TlsTarget::new(early, name), &with_root)
        .await
        .unwrap();
    assert!(has(&report, "cert.not_yet_valid", Severity::Medium));
}

#[tokio::test]
async fn smtp_starttls_then_tls() {
    let addr = mail_server(StartTls::Smtp, self_signed("mail.example.gov.vn"), false).await;
    let target = TlsTarget::new(addr, Some("mail.example.gov.vn")).with_starttls(StartTls::Smtp);
    let report = review(&target, &options()).await.unwrap();
    assert_eq!(
        report.offered_versions(),
        vec![TlsVersion::Tls12, TlsVersion::Tls13]
    );
    assert!(
        suite_ids(&report, TlsVersion::Tls12).contains(&0xC02B),
        "ECDHE-ECDSA-AES128-GCM"
    );
    let certificate = report.certificate.as_ref().unwrap();
    assert_eq!(certificate.name_matches, Some(true));
    assert_eq!(
        certificate.leaf().unwrap().common_name.as_deref(),
        Some("mail.example.gov.vn")
    );

    let refusing = mail_server(StartTls::Smtp, self_signed("mail.example.gov.vn"), true).await;
    let target = TlsTarget::new(refusing, None).with_starttls(StartTls::Smtp);
    match review(&target, &options()).await {
        Err(TlsError::StartTls { reply, .. }) => assert!(reply.starts_with("454"), "{reply}"),
        other => panic!("expected a STARTTLS refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn imap_and_pop3_starttls_preludes() {
    for protocol in [StartTls::Imap, StartTls::Pop3] {
        let addr = mail_server(protocol, self_signed("mail.example.gov.vn"), false).await;
        let target = TlsTarget::new(addr, Some("mail.example.gov.vn")).with_starttls(protocol);
        let quick = TlsOptions {
            enumerate_ciphers: false,
            ..options()
        };
        let report = review(&target, &quick).await.unwrap();
        assert_eq!(
            report.offered_versions(),
            vec![TlsVersion::Tls12, TlsVersion::Tls13],
            "{protocol}"
        );
        assert!(report.certificate.is_some(), "{protocol}");

        let refusing = mail_server(protocol, self_signed("mail.example.gov.vn"), true).await;
        let target = TlsTarget::new(refusing, None).with_starttls(protocol);
        assert!(
            matches!(
                review(&target, &quick).await,
                Err(TlsError::StartTls { .. })
            ),
            "{protocol}"
        );
    }
}

#[tokio::test]
async fn a_hello_retry_request_still_means_tls13_is_offered() {
    let addr = p256_only_server(self_signed("portal.example.gov.vn")).await;
    let report = review(
        &TlsTarget::new(addr, Some("portal.example.gov.vn")),
        &options(),
    )
    .await
    .unwrap();
    assert_eq!(report.offered_versions(), vec![TlsVersion::Tls13]);
    let probe = &report.versions[4];
    assert!(
        probe.answer.starts_with("HelloRetryRequest TLS 1.3"),
        "{}",
        probe.answer
    );
    assert_eq!(suite_ids(&report, TlsVersion::Tls13).len(), 3);
    assert!(
        report.certificate.is_some(),
        "rustls finishes the retry with P-256"
    );
}

#[tokio::test]
async fn sslv3_is_seen_on_a_server_that_speaks_it() {
    // 3DES and RC4, SSLv3 only.
    let addr = legacy_server(
        0x0300,
        &[0x000A, 0x0005],
        Duration::ZERO,
        Arc::new(Concurrency::default()),
    )
    .await;
    let report = review(&TlsTarget::new(addr, None), &options())
        .await
        .unwrap();
    assert_eq!(report.offered_versions(), vec![TlsVersion::Ssl3]);
    assert_eq!(
        suite_ids(&report, TlsVersion::Ssl3),
        BTreeSet::from([0x000A, 0x0005])
    );
    assert!(has(&report, "tls.protocol.ssl3", Severity::High));
    assert!(has(&report, "tls.cipher.insecure", Severity::High), "RC4");
    assert!(has(&report, "tls.cipher.sweet32", Severity::Medium), "3DES");
    // Asked for TLS 1.2, the server falls back to SSLv3: that is not TLS 1.2 offered.
    let tls12 = report
        .versions
        .iter()
        .find(|p| p.version == TlsVersion::Tls12)
        .unwrap();
    assert!(!tls12.offered);
    assert!(
        tls12.answer.starts_with("ServerHello SSLv3"),
        "{}",
        tls12.answer
    );
}

#[tokio::test]
async fn probes_never_exceed_the_concurrency_limit() {
    for limit in [1, 3] {
        let concurrency = Arc::new(Concurrency::default());
        // A TLS 1.1 server with three suites, slow to answer so probes overlap.
        let addr = legacy_server(
            0x0302,
            &[0xC013, 0x002F, 0x0035],
            Duration::from_millis(40),
            concurrency.clone(),
        )
        .await;
        let limited = TlsOptions {
            max_concurrent_probes: limit,
            ..options()
        };
        let report = review(&TlsTarget::new(addr, None), &limited).await.unwrap();
        assert_eq!(report.offered_versions(), vec![TlsVersion::Tls11]);
        assert_eq!(
            suite_ids(&report, TlsVersion::Tls11),
            BTreeSet::from([0xC013, 0x002F, 0x0035])
        );
        assert_eq!(
            concurrency.most.load(Ordering::SeqCst),
            limit,
            "limit {limit}"
        );
    }
}

#[tokio::test]
async fn the_nuclei_handshake_reports_version_suite_and_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_certificate(
        dir.path(),
        "hs",
        2048,
        "sha256",
        "portal.example.gov.vn",
        365,
    );
    let server = OpensslServer::start(
        &cert,
        &key,
        &["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"],
    );
    let target = TlsTarget::new(server.addr, Some("portal.example.gov.vn"));
    let timeout = Duration::from_secs(5);
    let info = handshake(&target, TlsVersion::Tls10, TlsVersion::Tls13, None, timeout)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.version, TlsVersion::Tls10);
    assert_eq!(info.cipher_name, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
    assert_eq!(
        info.certificate.unwrap().common_name.as_deref(),
        Some("portal.example.gov.vn")
    );
    let refused = handshake(&target, TlsVersion::Tls12, TlsVersion::Tls13, None, timeout)
        .await
        .unwrap();
    assert!(refused.is_none());
    let no_shared_suite = handshake(
        &target,
        TlsVersion::Tls10,
        TlsVersion::Tls10,
        Some(&[0x009C]),
        timeout,
    )
    .await
    .unwrap();
    assert!(no_shared_suite.is_none());

    let issued = self_signed("portal.example.gov.vn");
    let addr = rustls_server(vec![issued.der], issued.key, &[&rustls::version::TLS13]).await;
    let target = TlsTarget::new(addr, Some("portal.example.gov.vn"));
    let info = handshake(
        &target,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
        Some(&[0x1303]),
        timeout,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(info.version, TlsVersion::Tls13);
    assert_eq!(info.cipher_name, "TLS_CHACHA20_POLY1305_SHA256");
    assert_eq!(info.certificate.unwrap().key_type, "EC");
}

#[tokio::test]
async fn closed_silent_http_and_garbage_endpoints_fail_clearly_and_quickly() {
    let quick = TlsOptions {
        timeout: Duration::from_millis(700),
        ..TlsOptions::default()
    };
    let started = Instant::now();

    let closed = review(&TlsTarget::new(closed_port(), None), &quick).await;
    assert!(
        matches!(closed, Err(TlsError::Connect { .. })),
        "{closed:?}"
    );

    let silent = review(&TlsTarget::new(silent_server().await, None), &quick).await;
    match silent {
        Err(TlsError::Timeout { stage, .. }) => assert_eq!(stage, "waiting for the ServerHello"),
        other => panic!("expected a timeout, got {other:?}"),
    }

    let http = reply_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
    match review(&TlsTarget::new(http, None), &quick).await {
        Err(error @ TlsError::NotTls { .. }) => {
            assert!(error.to_string().contains("HTTP/1.1 400"), "{error}")
        }
        other => panic!("expected not TLS, got {other:?}"),
    }

    // A handshake record header announcing an impossible length, then junk.
    let garbage = reply_server(&[22, 3, 3, 0xff, 0xff, 0, 1, 2, 3, 0xde, 0xad]).await;
    assert!(matches!(
        review(&TlsTarget::new(garbage, None), &quick).await,
        Err(TlsError::NotTls { .. })
    ));

    // A truncated ServerHello, then the server hangs up: not offered, no error.
    let truncated = reply_server(&[22, 3, 3, 0, 60, 2, 0, 0, 56, 3, 3, 1, 2]).await;
    let report = review(&TlsTarget::new(truncated, None), &quick).await;
    assert!(
        matches!(&report, Err(TlsError::NotTls { .. })),
        "a half record is not TLS we can use: {report:?}"
    );

    // Hangs up on every hello.
    let hang_up = reply_server(b"").await;
    assert!(matches!(
        review(&TlsTarget::new(hang_up, None), &quick).await,
        Err(TlsError::NoAnswer { .. })
    ));

    // An SMTP server behind a port we review with POP3's prelude.
    let smtp = mail_server(StartTls::Smtp, self_signed("mail.example.gov.vn"), false).await;
    let wrong = review(
        &TlsTarget::new(smtp, None).with_starttls(StartTls::Pop3),
        &quick,
    )
    .await;
    assert!(matches!(wrong, Err(TlsError::StartTls { .. })), "{wrong:?}");

    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}
