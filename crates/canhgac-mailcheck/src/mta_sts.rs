//! MTA-STS (RFC 8461): the `_mta-sts` record, the policy file and its fetch over HTTPS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use serde::{Deserialize, Serialize};

use crate::tag_list;

/// The largest policy file read (RFC 8461 §3.3 suggests 64 KiB).
const POLICY_CAP: usize = 64 * 1024;

/// The `id` of a `_mta-sts` record (`v=STSv1; id=...`), or why it is not one.
pub fn record_id(text: &str) -> Result<String, String> {
    let tags = tag_list(text);
    match tags.first() {
        Some((name, value)) if name == "v" && value == "STSv1" => {}
        _ => return Err("thẻ đầu tiên phải là v=STSv1".to_owned()),
    }
    let id = tags
        .iter()
        .find(|(name, _)| name == "id")
        .map(|(_, value)| value.clone())
        .ok_or_else(|| "thiếu thẻ id".to_owned())?;
    let well_formed =
        !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric());
    if well_formed {
        Ok(id)
    } else {
        Err(format!("id={id} phải là 1–32 chữ cái hoặc chữ số"))
    }
}

/// A parsed policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtaStsPolicy {
    /// `version` (must be `STSv1`).
    pub version: Option<String>,
    /// `mode`: `enforce`, `testing` or `none`.
    pub mode: Option<String>,
    /// `mx` patterns, e.g. `mail.example.vn`, `*.example.vn`.
    pub mx: Vec<String>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// What makes senders refuse the policy.
    pub problems: Vec<String>,
}

impl MtaStsPolicy {
    /// Parses a policy file (`key: value` lines, CRLF or LF).
    pub fn parse(text: &str) -> MtaStsPolicy {
        let mut policy = MtaStsPolicy::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "version" => policy.version = Some(value.to_owned()),
                "mode" => policy.mode = Some(value.to_owned()),
                "mx" => policy.mx.push(value.to_ascii_lowercase()),
                "max_age" => match value.parse::<u64>() {
                    Ok(age) => policy.max_age = Some(age),
                    Err(_) => policy
                        .problems
                        .push(format!("max_age «{value}» không phải số")),
                },
                _ => {}
            }
        }
        if policy.version.as_deref() != Some("STSv1") {
            policy.problems.push("thiếu version: STSv1".to_owned());
        }
        match policy.mode.as_deref() {
            Some("enforce" | "testing" | "none") => {}
            Some(other) => policy
                .problems
                .push(format!("mode «{other}» không phải enforce, testing, none")),
            None => policy.problems.push("thiếu mode".to_owned()),
        }
        if policy.max_age.is_none() && policy.problems.iter().all(|p| !p.starts_with("max_age")) {
            policy.problems.push("thiếu max_age".to_owned());
        }
        if policy.mx.is_empty() && policy.mode.as_deref() != Some("none") {
            policy.problems.push("không có dòng mx".to_owned());
        }
        policy
    }

    /// Whether an MX host name matches one of the policy's patterns (`*.` covers one label).
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.mx
            .iter()
            .any(|pattern| match pattern.strip_prefix("*.") {
                Some(parent) => host.split_once('.').is_some_and(|(_, rest)| rest == parent),
                None => *pattern == host,
            })
    }
}

/// How the policy is fetched; defaults fit the internet, tests point it at loopback.
#[derive(Debug, Clone, Default)]
pub struct PolicyFetch {
    /// Connect to this address instead of resolving `mta-sts.<domain>` (the port included).
    pub address: Option<SocketAddr>,
    /// Root certificates (PEM) trusted beside the web PKI roots.
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Timeout of the whole fetch.
    pub timeout: Duration,
}

/// Fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt` (no redirects, as RFC 8461
/// §3.3 requires); the body on a 200 answer, a Vietnamese reason otherwise.
pub async fn fetch_policy(domain: &str, fetch: &PolicyFetch) -> Result<String, String> {
    let host = format!("mta-sts.{domain}");
    let url = format!("https://{host}/.well-known/mta-sts.txt");
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = &fetch.extra_roots_pem {
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("chứng thư gốc bổ sung không đọc được: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("chứng thư gốc bổ sung không dùng được: {e}"))?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("không cấu hình được TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut builder = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(if fetch.timeout.is_zero() {
            Duration::from_secs(10)
        } else {
            fetch.timeout
        });
    if let Some(address) = fetch.address {
        builder = builder.resolve(&host, address);
    }
    let client = builder
        .build()
        .map_err(|e| format!("không tạo được máy khách HTTPS: {e}"))?;
    let mut response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("không tải được {url}: {}", error_chain(&e)))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(format!("{url} trả lời HTTP {}", response.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("không đọc hết {url}: {}", error_chain(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > POLICY_CAP {
            return Err(format!("{url} dài quá {POLICY_CAP} byte"));
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The error and its causes, as one line (reqwest hides the TLS reason in the sources).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_need_version_and_a_short_id() {
        assert_eq!(record_id("v=STSv1; id=20261126T01").unwrap(), "20261126T01");
        assert!(record_id("v=STSv1;").is_err());
        assert!(record_id("id=1; v=STSv1").is_err());
        assert!(record_id("v=STSv1; id=abc-def").is_err());
    }

    #[test]
    fn policies_parse_and_cover_mx_hosts() {
        let policy = MtaStsPolicy::parse(
            "version: STSv1\r\nmode: enforce\r\nmx: mail.example.vn\r\nmx: *.backup.example.vn\r\nmax_age: 604800\r\n",
        );
        assert!(policy.problems.is_empty(), "{:?}", policy.problems);
        assert!(policy.covers("MAIL.example.vn."));
        assert!(policy.covers("mx2.backup.example.vn"));
        assert!(!policy.covers("a.mx2.backup.example.vn"));
        assert!(!policy.covers("other.example.vn"));

        let broken = MtaStsPolicy::parse("mode: strict\nmax_age: soon\n");
        assert_eq!(broken.problems.len(), 4, "{:?}", broken.problems);
    }
}
