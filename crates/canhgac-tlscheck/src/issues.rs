//! Findings out of a [`TlsReport`], Vietnamese first.

use canhgac_model::scan::{category, ScanEvidence, ScanIssue};
use canhgac_model::Severity;

use crate::certificate::{date_vi, CertificateInfo, ChainTrust, WeakHash};
use crate::suites::{classify, SuiteStrength};
use crate::{SuiteSeen, TlsReport, TlsVersion};

/// What a finding says, before the target's host and port are filled in.
struct Draft {
    check: &'static str,
    category: &'static str,
    severity: Severity,
    title_vi: String,
    title_en: String,
    evidence: ScanEvidence,
    remediation_vi: &'static str,
    remediation_en: &'static str,
}

/// The weaknesses `report` shows, as scanner issues for `host:port`: protocol versions and
/// suites (category `tls`), certificate problems (category `certificate`).
pub fn issues(report: &TlsReport, host: &str, port: u16) -> Vec<ScanIssue> {
    let mut drafts = Vec::new();
    protocol_issues(report, &mut drafts);
    suite_issues(report, &mut drafts);
    dh_issues(report, &mut drafts);
    certificate_issues(report, &mut drafts);
    let subject = format!("{host}:{port}/tcp");
    drafts
        .into_iter()
        .map(|draft| ScanIssue {
            check: draft.check.to_owned(),
            category: draft.category.to_owned(),
            severity: draft.severity,
            title_vi: draft.title_vi,
            title_en: draft.title_en,
            host: host.to_owned(),
            port: Some(port),
            subject: subject.clone(),
            evidence: draft.evidence,
            remediation_vi: draft.remediation_vi.to_owned(),
            remediation_en: draft.remediation_en.to_owned(),
            cves: Vec::new(),
            cvss: None,
            known_exploited: false,
        })
        .collect()
}

const DISABLE_OLD_VI: &str =
    "Tắt SSLv3, TLS 1.0 và TLS 1.1 trên máy chủ (hoặc thiết bị cân bằng tải); \
chỉ bật TLS 1.2 và TLS 1.3. Ví dụ nginx: `ssl_protocols TLSv1.2 TLSv1.3;`, Apache: \
`SSLProtocol -all +TLSv1.2 +TLSv1.3`.";
const DISABLE_OLD_EN: &str =
    "Disable SSLv3, TLS 1.0 and TLS 1.1 on the server (or load balancer); \
enable only TLS 1.2 and TLS 1.3. For nginx: `ssl_protocols TLSv1.2 TLSv1.3;`, for Apache: \
`SSLProtocol -all +TLSv1.2 +TLSv1.3`.";

fn protocol_issues(report: &TlsReport, drafts: &mut Vec<Draft>) {
    let offered: Vec<&str> = report
        .offered_versions()
        .into_iter()
        .map(TlsVersion::label)
        .collect();
    for probe in report.versions.iter().filter(|p| p.offered) {
        let (check, severity, why_vi, why_en) = match probe.version {
            TlsVersion::Ssl3 => (
                "tls.protocol.ssl3",
                Severity::High,
                "bị lỗ hổng POODLE, dữ liệu có thể bị giải mã",
                "broken by POODLE, traffic can be decrypted",
            ),
            TlsVersion::Tls10 => (
                "tls.protocol.tls10",
                Severity::Medium,
                "đã bị loại bỏ theo RFC 8996, chỉ có bộ mã cũ",
                "deprecated by RFC 8996, legacy suites only",
            ),
            TlsVersion::Tls11 => (
                "tls.protocol.tls11",
                Severity::Medium,
                "đã bị loại bỏ theo RFC 8996",
                "deprecated by RFC 8996",
            ),
            TlsVersion::Tls12 | TlsVersion::Tls13 => continue,
        };
        let label = probe.version.label();
        drafts.push(Draft {
            check,
            category: category::TLS,
            severity,
            title_vi: format!("Máy chủ còn chấp nhận giao thức {label}: {why_vi}"),
            title_en: format!("The server still accepts {label}: {why_en}"),
            evidence: version_evidence(report, probe.version, &offered),
            remediation_vi: DISABLE_OLD_VI,
            remediation_en: DISABLE_OLD_EN,
        });
    }
    if !offered.is_empty() && !report.offers(TlsVersion::Tls12) && !report.offers(TlsVersion::Tls13)
    {
        drafts.push(Draft {
            check: "tls.protocol.no_modern",
            category: category::TLS,
            severity: Severity::Medium,
            title_vi: "Máy chủ không hỗ trợ TLS 1.2 hay TLS 1.3".to_owned(),
            title_en: "The server supports neither TLS 1.2 nor TLS 1.3".to_owned(),
            evidence: version_evidence(report, TlsVersion::Tls12, &offered),
            remediation_vi: "Nâng cấp phần mềm máy chủ (OpenSSL, IIS, thiết bị) để hỗ trợ TLS 1.2 \
và TLS 1.3, rồi tắt các phiên bản cũ.",
            remediation_en: "Upgrade the server software (OpenSSL, IIS, appliance) to support TLS \
1.2 and TLS 1.3, then disable the old versions.",
        });
    }
}

fn version_evidence(report: &TlsReport, version: TlsVersion, offered: &[&str]) -> ScanEvidence {
    let probe = report.versions.iter().find(|p| p.version == version);
    let request = format!(
        "ClientHello {} only, {} cipher suites{}{}",
        version.label(),
        probe.map_or(0, |p| p.suites_offered),
        report
            .target
            .server_name
            .as_deref()
            .map(|name| format!(", SNI {name}"))
            .unwrap_or_default(),
        report
            .target
            .starttls
            .map(|p| format!(", after {p} STARTTLS"))
            .unwrap_or_default(),
    );
    let response = probe.map(|p| p.answer.clone()).unwrap_or_default();
    ScanEvidence {
        extracted: offered.iter().map(|v| (*v).to_owned()).collect(),
        details: serde_json::json!({ "offered_versions": offered }),
        ..ScanEvidence::exchange(request, &response)
    }
}

/// The finding for suites of one strength class.
struct SuiteClassFinding {
    strength: SuiteStrength,
    check: &'static str,
    severity: Severity,
    title_vi: &'static str,
    title_en: &'static str,
    remediation_vi: &'static str,
    remediation_en: &'static str,
}

const SUITE_CLASSES: [SuiteClassFinding; 3] = [
    SuiteClassFinding {
        strength: SuiteStrength::Insecure,
        check: "tls.cipher.insecure",
        severity: Severity::High,
        title_vi: "Máy chủ chấp nhận bộ mã hoá không an toàn (NULL, ẩn danh, EXPORT, RC4, DES)",
        title_en: "The server accepts insecure cipher suites (NULL, anonymous, EXPORT, RC4, DES)",
        remediation_vi:
            "Bỏ các bộ mã NULL, ẩn danh (aNULL), EXPORT, RC4 và DES khỏi cấu hình; chỉ \
dùng ECDHE với AES-GCM hoặc ChaCha20-Poly1305 (cấu hình \"intermediate\" của Mozilla).",
        remediation_en:
            "Remove NULL, anonymous (aNULL), EXPORT, RC4 and DES suites; use only ECDHE \
with AES-GCM or ChaCha20-Poly1305 (Mozilla's \"intermediate\" configuration).",
    },
    SuiteClassFinding {
        strength: SuiteStrength::WeakBlock,
        check: "tls.cipher.sweet32",
        severity: Severity::Medium,
        title_vi: "Máy chủ chấp nhận mã khối 64 bit 3DES/IDEA (lỗ hổng Sweet32)",
        title_en: "The server accepts 64-bit block ciphers 3DES/IDEA (Sweet32)",
        remediation_vi: "Bỏ các bộ mã 3DES (DES-CBC3) và IDEA khỏi cấu hình TLS.",
        remediation_en: "Remove 3DES (DES-CBC3) and IDEA suites from the TLS configuration.",
    },
    SuiteClassFinding {
        strength: SuiteStrength::Weak,
        check: "tls.cipher.weak",
        severity: Severity::Low,
        title_vi: "Máy chủ chấp nhận bộ mã yếu (chế độ CBC hoặc không có bí mật chuyển tiếp)",
        title_en: "The server accepts weak cipher suites (CBC mode or no forward secrecy)",
        remediation_vi:
            "Ưu tiên và chỉ giữ các bộ mã ECDHE với AEAD (AES-GCM, ChaCha20-Poly1305); \
bỏ trao đổi khoá RSA tĩnh và các bộ mã CBC khi các máy khách cho phép.",
        remediation_en:
            "Prefer and keep only ECDHE suites with AEAD (AES-GCM, ChaCha20-Poly1305); \
drop static RSA key exchange and CBC suites once clients allow.",
    },
];

fn suite_issues(report: &TlsReport, drafts: &mut Vec<Draft>) {
    // The enumerated lists when we have them, else at least the suite each version chose.
    let mut seen: Vec<(TlsVersion, &SuiteSeen)> = Vec::new();
    if report.suites.is_empty() {
        for probe in &report.versions {
            if let Some(suite) = &probe.chosen {
                seen.push((probe.version, suite));
            }
        }
    } else {
        for list in &report.suites {
            for suite in &list.suites {
                seen.push((list.version, suite));
            }
        }
    }
    for class in SUITE_CLASSES {
        let matching: Vec<&(TlsVersion, &SuiteSeen)> = seen
            .iter()
            .filter(|(_, s)| s.strength == class.strength)
            .collect();
        if matching.is_empty() {
            continue;
        }
        let extracted: Vec<String> = matching
            .iter()
            .map(|(version, suite)| {
                let (_, _, reason_vi) = classify(suite.id);
                format!("{version}: {} ({reason_vi})", suite.name)
            })
            .collect();
        let details = serde_json::json!({
            "suites": matching.iter().map(|(version, suite)| serde_json::json!({
                "version": version,
                "id": format!("0x{:04X}", suite.id),
                "name": suite.name,
                "reason": suite.reason,
            })).collect::<Vec<_>>(),
        });
        let (first_version, first) = matching[0];
        drafts.push(Draft {
            check: class.check,
            category: category::TLS,
            severity: class.severity,
            title_vi: format!("{}: {} bộ mã", class.title_vi, matching.len()),
            title_en: format!("{}: {} suites", class.title_en, matching.len()),
            evidence: ScanEvidence {
                extracted,
                details,
                ..ScanEvidence::exchange(
                    format!("ClientHello {first_version} offering the remaining suites"),
                    &format!("ServerHello {first_version}, {}", first.name),
                )
            },
            remediation_vi: class.remediation_vi,
            remediation_en: class.remediation_en,
        });
    }
}

fn dh_issues(report: &TlsReport, drafts: &mut Vec<Draft>) {
    let Some(bits) = report.dh_group_bits else {
        return;
    };
    let severity = match bits {
        0..1024 => Severity::High,
        1024..2048 => Severity::Medium,
        _ => return,
    };
    drafts.push(Draft {
        check: "tls.dh.weak",
        category: category::TLS,
        severity,
        title_vi: format!("Máy chủ dùng nhóm Diffie-Hellman yếu: {bits} bit (Logjam)"),
        title_en: format!("The server uses a weak Diffie-Hellman group: {bits} bits (Logjam)"),
        evidence: ScanEvidence {
            extracted: vec![format!("DH: {bits} bit")],
            details: serde_json::json!({ "dh_group_bits": bits }),
            ..ScanEvidence::exchange(
                "ClientHello offering only DHE suites",
                &format!("ServerKeyExchange with a {bits}-bit prime"),
            )
        },
        remediation_vi: "Dùng nhóm DH từ 2048 bit trở lên (ví dụ ffdhe2048 theo RFC 7919), hoặc \
bỏ các bộ mã DHE và chỉ giữ ECDHE.",
        remediation_en: "Use a DH group of 2048 bits or more (e.g. RFC 7919 ffdhe2048), or drop \
DHE suites and keep only ECDHE.",
    });
}

fn certificate_issues(report: &TlsReport, drafts: &mut Vec<Draft>) {
    let Some(review) = &report.certificate else {
        return;
    };
    let Some(leaf) = review.leaf() else {
        return;
    };
    let evidence = certificate_evidence(report, leaf);
    let now = report.reviewed_at;
    let mut push = |check, severity, title_vi: String, title_en: String, rem_vi, rem_en| {
        drafts.push(Draft {
            check,
            category: category::CERTIFICATE,
            severity,
            title_vi,
            title_en,
            evidence: evidence.clone(),
            remediation_vi: rem_vi,
            remediation_en: rem_en,
        })
    };

    const RENEW_VI: &str = "Gia hạn hoặc cấp lại chứng thư số (ví dụ Let's Encrypt với gia hạn tự \
động, hoặc chứng thư số của Ban Cơ yếu Chính phủ) và cài lên máy chủ.";
    const RENEW_EN: &str = "Renew or reissue the certificate (e.g. Let's Encrypt with automatic \
renewal, or the Government Cipher Committee CA) and install it.";
    if leaf.not_after < now {
        push(
            "cert.expired",
            Severity::High,
            format!(
                "Chứng thư số đã hết hạn từ ngày {}",
                date_vi(leaf.not_after)
            ),
            format!(
                "The certificate expired on {}",
                leaf.not_after.strftime("%Y-%m-%d")
            ),
            RENEW_VI,
            RENEW_EN,
        );
    } else if leaf.not_before > now {
        push(
            "cert.not_yet_valid",
            Severity::Medium,
            format!(
                "Chứng thư số chưa có hiệu lực (từ ngày {})",
                date_vi(leaf.not_before)
            ),
            format!(
                "The certificate is not valid yet (from {})",
                leaf.not_before.strftime("%Y-%m-%d")
            ),
            "Kiểm tra đồng hồ của máy cấp chứng thư và máy chủ; cài chứng thư số đang có hiệu lực.",
            "Check the clocks of the issuing machine and the server; install a certificate that \
is valid now.",
        );
    } else {
        let days_left = (leaf.not_after.as_second() - now.as_second()) / 86_400;
        if days_left < i64::from(report.expiry_warning_days) {
            push(
                "cert.expiring",
                Severity::Medium,
                format!(
                    "Chứng thư số sắp hết hạn: còn {days_left} ngày (hết hạn ngày {})",
                    date_vi(leaf.not_after)
                ),
                format!(
                    "The certificate expires in {days_left} days ({})",
                    leaf.not_after.strftime("%Y-%m-%d")
                ),
                RENEW_VI,
                RENEW_EN,
            );
        }
    }

    match &review.trust {
        ChainTrust::Trusted => {}
        ChainTrust::SelfSigned => push(
            "cert.self_signed",
            Severity::Medium,
            "Chứng thư số tự ký, trình duyệt sẽ cảnh báo người dùng".to_owned(),
            "Self-signed certificate; browsers warn users".to_owned(),
            "Thay bằng chứng thư số do tổ chức cấp chứng thư tin cậy cấp (Let's Encrypt, Ban Cơ \
yếu Chính phủ, CA thương mại).",
            "Replace it with a certificate from a trusted CA (Let's Encrypt, the Government \
Cipher Committee CA, a commercial CA).",
        ),
        ChainTrust::IncompleteChain { missing_issuer } => push(
            "cert.chain_incomplete",
            Severity::Medium,
            format!("Chuỗi chứng thư số không đầy đủ: thiếu chứng thư của {missing_issuer}"),
            format!("Incomplete certificate chain: the certificate of {missing_issuer} is missing"),
            "Cấu hình máy chủ gửi kèm chứng thư trung gian (fullchain), ví dụ nginx \
`ssl_certificate fullchain.pem;`.",
            "Configure the server to send the intermediate certificates (full chain), e.g. \
nginx `ssl_certificate fullchain.pem;`.",
        ),
        ChainTrust::UntrustedRoot { root } => push(
            "cert.untrusted_root",
            Severity::Medium,
            format!("Chuỗi chứng thư số dẫn tới gốc không được tin cậy: {root}"),
            format!("The certificate chain ends in an untrusted root: {root}"),
            "Dùng chứng thư số của tổ chức cấp chứng thư được tin cậy rộng rãi, hoặc thêm gốc \
nội bộ vào danh sách gốc tin cậy của máy quét nếu đây là hệ thống nội bộ.",
            "Use a certificate from a widely trusted CA, or add the internal root to the \
scanner's extra roots if this is an internal system.",
        ),
        ChainTrust::Invalid { reason } => push(
            "cert.chain_invalid",
            Severity::Medium,
            format!("Chuỗi chứng thư số không hợp lệ ({reason})"),
            format!("Invalid certificate chain ({reason})"),
            "Cấp lại chứng thư số và cài đúng chuỗi chứng thư trung gian.",
            "Reissue the certificate and install the right intermediate chain.",
        ),
    }

    if let (Some(false), Some(name)) = (review.name_matches, review.checked_name.as_deref()) {
        let names = if leaf.dns_names.is_empty() {
            leaf.common_name.clone().unwrap_or_default()
        } else {
            leaf.dns_names.join(", ")
        };
        push(
            "cert.name_mismatch",
            Severity::Medium,
            format!("Chứng thư số không khớp tên miền {name} (chứng thư cấp cho: {names})"),
            format!("The certificate does not match {name} (issued for: {names})"),
            "Cấp chứng thư số có tên miền này trong subjectAltName (SAN), hoặc cấu hình đúng \
chứng thư cho tên miền (SNI).",
            "Issue a certificate with this name in its subjectAltName, or serve the right \
certificate for this name (SNI).",
        );
    }

    let key_severity = match (leaf.key_type.as_str(), leaf.key_bits) {
        ("RSA", Some(bits)) if bits < 1024 => Some(Severity::High),
        ("RSA", Some(bits)) if bits < 2048 => Some(Severity::Medium),
        ("EC", Some(bits)) if bits < 224 => Some(Severity::High),
        ("EC", Some(bits)) if bits < 256 => Some(Severity::Medium),
        ("DSA", _) => Some(Severity::Medium),
        _ => None,
    };
    if let Some(severity) = key_severity {
        let key = key_label(leaf);
        push(
            "cert.weak_key",
            severity,
            format!("Khoá công khai của chứng thư số quá yếu ({key})"),
            format!("The certificate's public key is too weak ({key})"),
            "Cấp lại chứng thư số với khoá RSA từ 2048 bit trở lên hoặc khoá EC P-256 trở lên.",
            "Reissue the certificate with an RSA key of 2048 bits or more, or an EC P-256 key \
or stronger.",
        );
    }

    // The signature of a self-signed root is never checked, so only the others count.
    let weakest = review
        .chain
        .iter()
        .enumerate()
        .filter(|(index, cert)| *index == 0 || !cert.self_signed)
        .filter_map(|(_, cert)| cert.weak_hash().map(|hash| (hash, cert)))
        .min_by_key(|(hash, _)| match hash {
            WeakHash::Md5 => 0,
            WeakHash::Sha1 => 1,
        });
    if let Some((hash, cert)) = weakest {
        let (check, severity, name, state_vi, state_en) = match hash {
            WeakHash::Md5 => (
                "cert.signature_md5",
                Severity::High,
                "MD5",
                "đã bị phá vỡ, có thể giả mạo",
                "broken, forgeable",
            ),
            WeakHash::Sha1 => (
                "cert.signature_sha1",
                Severity::Medium,
                "SHA-1",
                "không còn an toàn, trình duyệt từ chối",
                "no longer safe, rejected by browsers",
            ),
        };
        push(
            check,
            severity,
            format!(
                "Chứng thư số dùng chữ ký {name} ({state_vi}): {} ({})",
                cert.subject, cert.signature_algorithm
            ),
            format!(
                "Certificate signed with {name} ({state_en}): {} ({})",
                cert.subject, cert.signature_algorithm
            ),
            "Cấp lại chứng thư số (và chứng thư trung gian) với chữ ký SHA-256 trở lên.",
            "Reissue the certificate (and intermediates) with SHA-256 or stronger signatures.",
        );
    }
}

fn key_label(cert: &CertificateInfo) -> String {
    match cert.key_bits {
        Some(bits) => format!("{} {bits} bit", cert.key_type),
        None => cert.key_type.clone(),
    }
}

fn certificate_evidence(report: &TlsReport, leaf: &CertificateInfo) -> ScanEvidence {
    let Some(review) = &report.certificate else {
        return ScanEvidence::default();
    };
    let mut extracted = vec![
        format!("Chủ thể / Subject: {}", leaf.subject),
        format!("Tổ chức cấp / Issuer: {}", leaf.issuer),
    ];
    if !leaf.dns_names.is_empty() || !leaf.ip_addresses.is_empty() {
        let mut names = leaf.dns_names.clone();
        names.extend(leaf.ip_addresses.iter().map(|ip| ip.to_string()));
        extracted.push(format!("SAN: {}", names.join(", ")));
    }
    extracted.push(format!(
        "Hiệu lực / Valid: {} - {}",
        date_vi(leaf.not_before),
        date_vi(leaf.not_after)
    ));
    extracted.push(format!("Khoá / Key: {}", key_label(leaf)));
    extracted.push(format!("Chữ ký / Signature: {}", leaf.signature_algorithm));
    ScanEvidence {
        request: Some(format!(
            "certificate chain from the {}{}",
            review.source,
            review
                .checked_name
                .as_deref()
                .map(|name| format!(", checked for {name}"))
                .unwrap_or_default()
        )),
        response: Some(format!(
            "{} certificate(s), leaf {}",
            review.chain.len(),
            leaf.subject
        )),
        extracted,
        details: serde_json::json!({
            "leaf": leaf,
            "chain": review.chain.iter().map(|c| &c.subject).collect::<Vec<_>>(),
            "trust": review.trust,
            "not_before_vi": date_vi(leaf.not_before),
            "not_after_vi": date_vi(leaf.not_after),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CertificateReview, TlsTarget, VersionProbe};
    use jiff::Timestamp;

    fn leaf(key_type: &str, bits: u32, signature_oid: &str, days_left: i64) -> CertificateInfo {
        let now = now();
        CertificateInfo {
            subject: "CN=portal.example.gov.vn".into(),
            issuer: "CN=Intermediate".into(),
            common_name: Some("portal.example.gov.vn".into()),
            dns_names: vec!["portal.example.gov.vn".into()],
            ip_addresses: vec![],
            not_before: Timestamp::from_second(now.as_second() - 86_400 * 100).expect("date"),
            not_after: Timestamp::from_second(now.as_second() + 86_400 * days_left + 3600)
                .expect("date"),
            key_type: key_type.into(),
            key_bits: Some(bits),
            signature_algorithm: signature_oid.into(),
            signature_oid: signature_oid.into(),
            self_signed: false,
            serial: "01".into(),
        }
    }

    fn now() -> Timestamp {
        "2026-06-01T00:00:00Z".parse().expect("timestamp")
    }

    fn report(chain: Vec<CertificateInfo>) -> TlsReport {
        TlsReport {
            target: TlsTarget::new("192.0.2.1:443".parse().expect("addr"), None),
            reviewed_at: now(),
            expiry_warning_days: 30,
            versions: vec![VersionProbe {
                version: TlsVersion::Tls12,
                offered: true,
                suites_offered: 10,
                answer: "ServerHello TLS 1.2".into(),
                chosen: None,
            }],
            suites: vec![],
            dh_group_bits: None,
            certificate: Some(CertificateReview {
                chain,
                trust: ChainTrust::Trusted,
                checked_name: None,
                name_matches: None,
                source: "TLS 1.2 handshake".into(),
            }),
            failures: vec![],
        }
    }

    fn found(chain: Vec<CertificateInfo>) -> Vec<(String, Severity)> {
        issues(&report(chain), "portal.example.gov.vn", 443)
            .into_iter()
            .map(|issue| (issue.check, issue.severity))
            .collect()
    }

    const SHA256_RSA: &str = "1.2.840.113549.1.1.11";

    #[test]
    fn key_sizes_have_thresholds() {
        assert!(found(vec![leaf("RSA", 2048, SHA256_RSA, 200)]).is_empty());
        assert_eq!(
            found(vec![leaf("RSA", 1024, SHA256_RSA, 200)]),
            vec![("cert.weak_key".to_owned(), Severity::Medium)]
        );
        assert_eq!(
            found(vec![leaf("RSA", 512, SHA256_RSA, 200)]),
            vec![("cert.weak_key".to_owned(), Severity::High)]
        );
        assert!(found(vec![leaf("EC", 256, SHA256_RSA, 200)]).is_empty());
        assert_eq!(
            found(vec![leaf("EC", 192, SHA256_RSA, 200)]),
            vec![("cert.weak_key".to_owned(), Severity::High)]
        );
    }

    #[test]
    fn expiry_warning_uses_the_threshold_in_days() {
        assert!(found(vec![leaf("EC", 256, SHA256_RSA, 30)]).is_empty());
        let expiring = found(vec![leaf("EC", 256, SHA256_RSA, 29)]);
        assert_eq!(
            expiring,
            vec![("cert.expiring".to_owned(), Severity::Medium)]
        );
    }

    #[test]
    fn md5_outranks_sha1_and_a_root_self_signature_does_not_count() {
        let md5 = "1.2.840.113549.1.1.4";
        let sha1 = "1.2.840.113549.1.1.5";
        let mut intermediate = leaf("RSA", 2048, md5, 900);
        intermediate.subject = "CN=Intermediate".into();
        assert_eq!(
            found(vec![leaf("RSA", 2048, sha1, 200), intermediate]),
            vec![("cert.signature_md5".to_owned(), Severity::High)]
        );
        let mut root = leaf("RSA", 2048, sha1, 900);
        root.self_signed = true;
        assert!(found(vec![leaf("RSA", 2048, SHA256_RSA, 200), root]).is_empty());
    }
}
