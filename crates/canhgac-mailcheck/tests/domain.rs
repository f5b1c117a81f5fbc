//! Domain posture against a real DNS server on loopback (canhgac-dns's zone server) serving
//! good and bad records, and a real HTTPS server serving MTA-STS policies.
#![allow(clippy::unwrap_used)] // fixtures that fail should stop the test

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;

use base64::Engine;
use canhgac_dns::zone::{Zone, ZoneServer};
use canhgac_dns::RecordType;
use canhgac_mailcheck::{check_domain, DomainPosture, MailOptions};
use canhgac_model::Severity;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An RSA public key of `bits` as DKIM publishes it: base64 of the SubjectPublicKeyInfo.
fn dkim_key(bits: u32) -> String {
    let private = Command::new("openssl")
        .args(["genrsa", &bits.to_string()])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(private.status.success());
    let mut public = Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    public
        .stdin
        .take()
        .unwrap()
        .write_all(&private.stdout)
        .unwrap();
    let der = public.wait_with_output().unwrap();
    assert!(der.status.success());
    base64::engine::general_purpose::STANDARD.encode(der.stdout)
}

/// An HTTPS server answering `/.well-known/mta-sts.txt` by Host: the policy of each
/// `mta-sts.<domain>` in `policies`, 404 for others. Returns its address and the root (PEM).
async fn policy_server(policies: Vec<(&'static str, &'static str)>) -> (SocketAddr, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "canhgac test root");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let names = ["strong.vn", "testing.vn", "gone.vn", "brief.vn"]
        .iter()
        .map(|d| format!("mta-sts.{d}"))
        .collect::<Vec<_>>();
    let leaf = rcgen::CertificateParams::new(names)
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let policies = policies.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let request = String::from_utf8_lossy(&request).to_ascii_lowercase();
                let host = request
                    .lines()
                    .find_map(|l| l.strip_prefix("host:"))
                    .map(|h| h.trim().split(':').next().unwrap_or_default().to_owned())
                    .unwrap_or_default();
                let policy = policies
                    .iter()
                    .find(|(domain, _)| host == format!("mta-sts.{domain}"))
                    .filter(|_| request.starts_with("get /.well-known/mta-sts.txt "));
                let response = match policy {
                    Some((_, body)) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    ),
                    None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
                };
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, ca.pem().into_bytes())
}

fn zone() -> Zone {
    // Generated once per test binary: RSA key generation is the slow part of the fixture.
    static KEYS: std::sync::OnceLock<[String; 3]> = std::sync::OnceLock::new();
    let [strong_key, key_512, key_1024] =
        KEYS.get_or_init(|| [dkim_key(2048), dkim_key(512), dkim_key(1024)]);
    Zone::new()
        // A strong domain: everything in place.
        .with("strong.vn", RecordType::MX, "10 mail.strong.vn.")
        .with("mail.strong.vn", RecordType::A, "192.0.2.25")
        .with(
            "strong.vn",
            RecordType::TXT,
            "v=spf1 mx ip4:192.0.2.0/24 -all",
        )
        .with("strong.vn", RecordType::TXT, "google-site-verification=abc")
        .with(
            "_dmarc.strong.vn",
            RecordType::TXT,
            "v=DMARC1; p=reject; rua=mailto:dmarc@strong.vn; ruf=mailto:dmarc@strong.vn",
        )
        .with(
            "mail._domainkey.strong.vn",
            RecordType::TXT,
            &format!("v=DKIM1; k=rsa; p={strong_key}"),
        )
        .with(
            "_mta-sts.strong.vn",
            RecordType::TXT,
            "v=STSv1; id=20261126",
        )
        .with(
            "_smtp._tls.strong.vn",
            RecordType::TXT,
            "v=TLSRPTv1; rua=mailto:tlsrpt@strong.vn",
        )
        // +all and 11 DNS-querying terms through three nested includes.
        .with("relaxed.vn", RecordType::MX, "10 mail.relaxed.vn.")
        .with("mail.relaxed.vn", RecordType::A, "192.0.2.26")
        .with(
            "relaxed.vn",
            RecordType::TXT,
            "v=spf1 a mx include:one.relaxed.vn +all",
        )
        .with(
            "one.relaxed.vn",
            RecordType::TXT,
            "v=spf1 a mx include:two.relaxed.vn ~all",
        )
        .with(
            "two.relaxed.vn",
            RecordType::TXT,
            "v=spf1 a mx exists:x.relaxed.vn include:three.relaxed.vn -all",
        )
        .with("three.relaxed.vn", RecordType::TXT, "v=spf1 a -all")
        .with(
            "_dmarc.relaxed.vn",
            RecordType::TXT,
            "v=DMARC1; p=quarantine; pct=50; sp=none; rua=mailto:d@relaxed.vn",
        )
        // p=none without reports, SPF ~all, an include loop, an MX without address.
        .with("lax.vn", RecordType::MX, "10 ghost.lax.vn.")
        .with("lax.vn", RecordType::TXT, "v=spf1 include:loop.lax.vn ~all")
        .with("loop.lax.vn", RecordType::TXT, "v=spf1 include:lax.vn -all")
        .with("_dmarc.lax.vn", RecordType::TXT, "v=DMARC1; p=none")
        // Weak DKIM keys, a revoked one, SPF syntax errors.
        .with("weak.vn", RecordType::MX, "10 mail.strong.vn.")
        .with(
            "weak.vn",
            RecordType::TXT,
            "v=spf1 ip4:192.0.2.300 inclde:x.vn foo=bar -all",
        )
        .with(
            "_dmarc.weak.vn",
            RecordType::TXT,
            "v=DMARC1; p=reject; rua=mailto:d@weak.vn",
        )
        .with(
            "s512._domainkey.weak.vn",
            RecordType::TXT,
            &format!("v=DKIM1; p={key_512}"),
        )
        .with(
            "s1024._domainkey.weak.vn",
            RecordType::TXT,
            &format!("v=DKIM1; p={key_1024}"),
        )
        .with("old._domainkey.weak.vn", RecordType::TXT, "v=DKIM1; p=")
        // MTA-STS in testing mode without the real MX; and a record whose policy is gone.
        .with("testing.vn", RecordType::MX, "10 mail.strong.vn.")
        .with("testing.vn", RecordType::TXT, "v=spf1 -all")
        .with(
            "_dmarc.testing.vn",
            RecordType::TXT,
            "v=DMARC1; p=reject; rua=mailto:d@testing.vn",
        )
        .with("_mta-sts.testing.vn", RecordType::TXT, "v=STSv1; id=1")
        .with("gone.vn", RecordType::MX, "10 mail.strong.vn.")
        .with("_mta-sts.gone.vn", RecordType::TXT, "v=STSv1; id=2")
        .with("brief.vn", RecordType::MX, "10 mail.strong.vn.")
        .with("_mta-sts.brief.vn", RecordType::TXT, "v=STSv1; id=3")
        // Stale names: two includes, an a: and an mx: that answer nothing.
        .with("stale.vn", RecordType::TXT, "v=spf1 include:gone1.stale.vn include:gone2.stale.vn a:nohost.stale.vn mx:nomx.stale.vn -all")
        .with("_dmarc.stale.vn", RecordType::TXT, "v=DMARC1; p=reject; rua=mailto:d@stale.vn")
        // Two SPF records.
        .with("double.vn", RecordType::TXT, "v=spf1 -all")
        .with("double.vn", RecordType::TXT, "v=spf1 mx -all")
        // A province's record covers its departments' subdomains (sp=none leaves them open);
        // another's covers them with its p.
        .with(
            "_dmarc.tinh.gov.vn",
            RecordType::TXT,
            "v=DMARC1; p=reject; sp=none; rua=mailto:d@tinh.gov.vn",
        )
        .with(
            "_dmarc.chat.gov.vn",
            RecordType::TXT,
            "v=DMARC1; p=reject; rua=mailto:d@chat.gov.vn",
        )
        // Names the bare domain's records do not cover: nothing at all.
        .with("www.bare.vn", RecordType::A, "192.0.2.80")
}

struct Fixture {
    dns: ZoneServer,
    options: MailOptions,
}

async fn fixture() -> Fixture {
    let (https, root) = policy_server(vec![
        (
            "strong.vn",
            "version: STSv1\r\nmode: enforce\r\nmx: mail.strong.vn\r\nmax_age: 604800\r\n",
        ),
        (
            "brief.vn",
            "version: STSv1\nmode: enforce\nmx: mail.strong.vn\nmax_age: 3600\n",
        ),
        (
            "testing.vn",
            "version: STSv1\nmode: testing\nmx: *.testing.vn\nmax_age: 86400\n",
        ),
    ])
    .await;
    let dns = ZoneServer::start(zone()).await.unwrap();
    let options = MailOptions {
        dkim_selectors: vec!["mail".into()],
        mta_sts_address: Some(https),
        extra_roots_pem: Some(root),
        ..MailOptions::default()
    };
    Fixture { dns, options }
}

fn checks(posture: &DomainPosture) -> Vec<(&str, Severity)> {
    posture
        .issues()
        .iter()
        .map(|i| (i.check.as_str(), i.severity))
        .collect()
}

fn has(posture: &DomainPosture, check: &str, severity: Severity) -> bool {
    checks(posture).contains(&(check, severity))
}

#[tokio::test]
async fn a_strong_domain_raises_nothing() {
    let f = fixture().await;
    let posture = check_domain(&f.dns.resolver(), "Strong.VN.", &f.options).await;
    assert!(posture.errors.is_empty(), "{:?}", posture.errors);
    assert!(posture.issues().is_empty(), "{:#?}", checks(&posture));
    assert_eq!(posture.mx[0].host, "mail.strong.vn");
    assert_eq!(posture.mx[0].addresses, ["192.0.2.25"]);
    let spf = posture.spf.as_ref().unwrap();
    assert_eq!(spf.all, Some('-'));
    assert_eq!(spf.lookups, 1);
    assert_eq!(
        posture.dmarc.as_ref().unwrap().parsed.policy.as_deref(),
        Some("reject")
    );
    let dkim = posture.dkim[0].key.as_ref().unwrap();
    assert_eq!(dkim.rsa_bits, Some(2048));
    let mta_sts = posture.mta_sts.as_ref().unwrap();
    assert_eq!(mta_sts.id.as_deref(), Some("20261126"));
    assert_eq!(
        mta_sts.policy.as_ref().unwrap().mode.as_deref(),
        Some("enforce")
    );
    assert!(posture.tls_rpt.is_some());
    // The summary serialises for the console.
    let json = serde_json::to_value(&posture).unwrap();
    assert_eq!(json["spf"]["lookups"], 1);
}

#[tokio::test]
async fn pass_all_and_eleven_lookups_through_nested_includes() {
    let f = fixture().await;
    let posture = check_domain(&f.dns.resolver(), "relaxed.vn", &f.options).await;
    let spf = posture.spf.as_ref().unwrap();
    assert_eq!(spf.lookups, 11);
    assert_eq!(spf.all, Some('+'));
    assert_eq!(
        spf.domains,
        [
            "relaxed.vn",
            "one.relaxed.vn",
            "two.relaxed.vn",
            "three.relaxed.vn"
        ]
    );
    assert!(
        has(&posture, "mail.spf.pass_all", Severity::High),
        "{:?}",
        checks(&posture)
    );
    assert!(has(&posture, "mail.spf.too_many_lookups", Severity::Medium));
    let too_many = posture
        .issues()
        .iter()
        .find(|i| i.check == "mail.spf.too_many_lookups")
        .unwrap();
    assert_eq!(too_many.evidence.details["lookups"], 11);
    assert!(too_many.title_vi.contains("11 lượt"));
    assert_eq!(too_many.subject, "relaxed.vn");
    assert!(has(&posture, "mail.dmarc.partial_pct", Severity::Low));
    assert!(has(&posture, "mail.dmarc.subdomain_none", Severity::Low));
    // No MTA-STS record and no TLS-RPT record.
    assert!(has(&posture, "mail.mta_sts.missing", Severity::Low));
    assert!(has(
        &posture,
        "mail.tls_rpt.missing",
        Severity::Informational
    ));
}

#[tokio::test]
async fn monitoring_only_dmarc_loops_and_dangling_mx() {
    let f = fixture().await;
    let posture = check_domain(&f.dns.resolver(), "lax.vn", &f.options).await;
    assert!(
        has(&posture, "mail.dmarc.policy_none", Severity::Medium),
        "{:?}",
        checks(&posture)
    );
    assert!(has(&posture, "mail.dmarc.no_reports", Severity::Low));
    assert!(has(&posture, "mail.spf.loop", Severity::Medium));
    // ~all without an enforcing DMARC policy is low; beside p=reject it is informational.
    assert!(has(&posture, "mail.spf.softfail", Severity::Low));
    assert!(has(&posture, "mail.mx.unresolvable", Severity::Medium));
    assert!(has(&posture, "mail.dkim.missing", Severity::Medium));
    let looped = posture
        .issues()
        .iter()
        .find(|i| i.check == "mail.spf.loop")
        .unwrap();
    assert!(
        looped.title_en.contains("lax.vn -> loop.lax.vn -> lax.vn"),
        "{}",
        looped.title_en
    );
}

#[tokio::test]
async fn weak_dkim_keys_and_spf_syntax() {
    let f = fixture().await;
    let options = MailOptions {
        dkim_selectors: vec!["s512".into(), "s1024".into(), "old".into()],
        ..f.options.clone()
    };
    let posture = check_domain(&f.dns.resolver(), "weak.vn", &options).await;
    let bits: Vec<Option<usize>> = posture
        .dkim
        .iter()
        .map(|d| d.key.as_ref().unwrap().rsa_bits)
        .collect();
    assert_eq!(bits, [Some(512), Some(1024), None]);
    let weak: Vec<(Severity, &str)> = posture
        .issues()
        .iter()
        .filter(|i| i.check == "mail.dkim.weak_key")
        .map(|i| (i.severity, i.subject.as_str()))
        .collect();
    assert_eq!(
        weak,
        [
            (Severity::High, "s512._domainkey.weak.vn"),
            (Severity::Low, "s1024._domainkey.weak.vn")
        ]
    );
    assert!(has(&posture, "mail.dkim.revoked", Severity::Low));
    let syntax = posture
        .issues()
        .iter()
        .find(|i| i.check == "mail.spf.syntax")
        .unwrap();
    assert!(syntax.title_vi.contains("ip4:192.0.2.300") && syntax.title_vi.contains("inclde:x.vn"));
    assert!(has(&posture, "mail.spf.unknown_modifier", Severity::Low));
}

#[tokio::test]
async fn mta_sts_policies_over_https() {
    let f = fixture().await;
    let testing = check_domain(&f.dns.resolver(), "testing.vn", &f.options).await;
    let policy = testing.mta_sts.as_ref().unwrap().policy.as_ref().unwrap();
    assert_eq!(policy.mode.as_deref(), Some("testing"));
    assert_eq!(policy.mx, ["*.testing.vn"]);
    assert_eq!(policy.max_age, Some(86400));
    assert!(
        has(&testing, "mail.mta_sts.not_enforced", Severity::Low),
        "{:?}",
        checks(&testing)
    );
    assert!(has(&testing, "mail.mta_sts.mx_mismatch", Severity::Medium));

    let brief = check_domain(&f.dns.resolver(), "brief.vn", &f.options).await;
    assert!(
        has(&brief, "mail.mta_sts.short_max_age", Severity::Low),
        "{:?}",
        checks(&brief)
    );
    assert!(!has(&brief, "mail.mta_sts.mx_mismatch", Severity::Medium));

    let gone = check_domain(&f.dns.resolver(), "gone.vn", &f.options).await;
    assert!(has(
        &gone,
        "mail.mta_sts.policy_unavailable",
        Severity::Medium
    ));
    assert!(gone
        .mta_sts
        .as_ref()
        .unwrap()
        .fetch_error
        .as_ref()
        .unwrap()
        .contains("404"));

    // Without our root the policy's certificate is not trusted.
    let untrusted = MailOptions {
        extra_roots_pem: None,
        ..f.options.clone()
    };
    let strong = check_domain(&f.dns.resolver(), "strong.vn", &untrusted).await;
    assert!(has(
        &strong,
        "mail.mta_sts.policy_unavailable",
        Severity::Medium
    ));
}

#[tokio::test]
async fn void_lookups_past_two_are_named() {
    let f = fixture().await;
    let posture = check_domain(&f.dns.resolver(), "stale.vn", &f.options).await;
    let void = posture
        .issues()
        .iter()
        .find(|i| i.check == "mail.spf.void_lookups")
        .unwrap();
    assert_eq!(void.severity, Severity::Medium);
    assert_eq!(
        void.evidence.details["void_lookups"],
        serde_json::json!([
            "gone1.stale.vn",
            "gone2.stale.vn",
            "nohost.stale.vn",
            "nomx.stale.vn"
        ])
    );
    // The strong domain's `mx` answers: no void lookup there.
    let strong = check_domain(&f.dns.resolver(), "strong.vn", &f.options).await;
    assert!(!has(&strong, "mail.spf.void_lookups", Severity::Medium));
}

#[tokio::test]
async fn missing_and_duplicated_records() {
    let f = fixture().await;
    let bare = check_domain(&f.dns.resolver(), "bare.vn", &f.options).await;
    for check in ["mail.mx.missing", "mail.spf.missing", "mail.dmarc.missing"] {
        assert!(
            has(&bare, check, Severity::Medium),
            "{check}: {:?}",
            checks(&bare)
        );
    }
    let double = check_domain(&f.dns.resolver(), "double.vn", &f.options).await;
    assert!(has(&double, "mail.spf.multiple", Severity::Medium));
    assert!(double.spf.is_none());

    // A resolver that never answers: errors, and no "missing" claims.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let resolver = canhgac_dns::Resolver::new(
        silent.local_addr().unwrap(),
        std::time::Duration::from_millis(200),
    );
    let unknown = check_domain(&resolver, "strong.vn", &MailOptions::default()).await;
    assert!(!unknown.errors.is_empty());
    assert!(unknown.issues().is_empty(), "{:?}", checks(&unknown));
}

#[tokio::test]
async fn a_subdomain_without_dmarc_falls_under_its_organisational_domain() {
    let f = fixture().await;
    let resolver = f.dns.resolver();
    let open = check_domain(&resolver, "so-tttt.tinh.gov.vn", &f.options).await;
    assert!(open.errors.is_empty(), "{:?}", open.errors);
    assert!(
        has(&open, "mail.dmarc.policy_none", Severity::Medium),
        "{:?}",
        checks(&open)
    );
    assert!(!has(&open, "mail.dmarc.missing", Severity::Medium));
    let issue = open
        .issues()
        .iter()
        .find(|i| i.check == "mail.dmarc.policy_none")
        .unwrap();
    assert_eq!(
        issue.subject, "_dmarc.tinh.gov.vn",
        "the record judged is named"
    );

    let covered = check_domain(&resolver, "sxd.chat.gov.vn", &f.options).await;
    assert!(
        !checks(&covered)
            .iter()
            .any(|(c, _)| c.starts_with("mail.dmarc.")),
        "{:?}",
        checks(&covered)
    );
    assert_eq!(
        covered.dmarc.as_ref().unwrap().parsed.policy.as_deref(),
        Some("reject")
    );

    // An organisational domain without a record of its own has nothing to fall back on.
    let alone = check_domain(&resolver, "xa.gov.vn", &f.options).await;
    assert!(
        has(&alone, "mail.dmarc.missing", Severity::Medium),
        "{:?}",
        checks(&alone)
    );
}
