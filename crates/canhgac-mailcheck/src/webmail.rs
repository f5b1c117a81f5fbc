//! Webmail products named from HTTP responses: Zimbra, Outlook Web App / Exchange, Roundcube.

use std::sync::OnceLock;

use canhgac_model::scan::{category, ScanEvidence, ScanIssue};
use canhgac_model::Severity;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::{IssueText, ProductVersion};

/// The most of a page read when probing.
const BODY_CAP: usize = 512 * 1024;

/// Pages where webmail usually answers, relative to the base URL.
const PROBE_PATHS: [&str; 5] = [
    "",
    "owa/auth/logon.aspx",
    "zimbra/",
    "roundcube/",
    "webmail/",
];

fn pattern(cell: &'static OnceLock<Option<Regex>>, text: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(text).ok()).as_ref()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn found(product: &str, version: Option<String>, seen_in: &str) -> Option<ProductVersion> {
    Some(ProductVersion {
        product: product.to_owned(),
        version,
        seen_in: seen_in.to_owned(),
    })
}

/// Names the webmail product behind one HTTP response (the URL asked, the status, headers and
/// body), with its version when the response shows it. Pure: no I/O.
pub fn fingerprint_webmail(
    url: &str,
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Option<ProductVersion> {
    static OWA_PATH: OnceLock<Option<Regex>> = OnceLock::new();
    static OWA_MARK: OnceLock<Option<Regex>> = OnceLock::new();
    static ROUNDCUBE_VERSION: OnceLock<Option<Regex>> = OnceLock::new();
    static ZIMBRA_VERSION: OnceLock<Option<Regex>> = OnceLock::new();

    // Exchange: the header gives the full build, the resource paths the first three parts.
    if let Some(version) = header(headers, "X-OWA-Version") {
        return found(
            "microsoft:exchange_server",
            Some(version.to_owned()),
            "X-OWA-Version",
        );
    }
    if let Some(captures) = pattern(
        &OWA_PATH,
        r"(?i)/owa/(?:auth/)?(\d{1,2}\.\d+\.\d+(?:\.\d+)?)/",
    )
    .and_then(|p| p.captures(body))
    {
        return found(
            "microsoft:exchange_server",
            Some(captures[1].to_owned()),
            "owa path",
        );
    }
    let owa_marked = pattern(&OWA_MARK, r"(?i)outlook web app|/owa/auth/|owaLogon|X-OWA-")
        .is_some_and(|p| p.is_match(body))
        || header(headers, "X-FEServer").is_some()
        // An answered /owa/ page that says Outlook, when the markers above were renamed.
        || url.to_ascii_lowercase().contains("/owa/") && status == 200 && body.contains("Outlook");
    if owa_marked {
        return found("microsoft:exchange_server", None, "owa page");
    }

    // Roundcube: rcversion is major*10000 + minor*100 + patch.
    if let Some(captures) =
        pattern(&ROUNDCUBE_VERSION, r#""rcversion"\s*:\s*(\d{4,6})"#).and_then(|p| p.captures(body))
    {
        let number: u32 = captures[1].parse().unwrap_or_default();
        let version = format!("{}.{}.{}", number / 10000, number / 100 % 100, number % 100);
        return found("roundcube:webmail", Some(version), "rcversion");
    }
    let roundcube_cookie = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.contains("roundcube_sessid"));
    if roundcube_cookie || body.contains("Roundcube Webmail") || body.contains("rcmloginuser") {
        return found("roundcube:webmail", None, "roundcube page");
    }

    // Zimbra: the login page names itself; some builds print the version.
    let lower = body.to_ascii_lowercase();
    let zimbra_cookie = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.starts_with("ZM_"));
    if lower.contains("zimbra") || zimbra_cookie {
        let version = pattern(
            &ZIMBRA_VERSION,
            r"(?i)zimbra(?: collaboration)?(?: suite)?(?: network edition| open source edition)?\s+(?:version\s+)?(\d+\.\d+\.\d+)",
        )
        .and_then(|p| p.captures(body))
        .map(|c| c[1].to_owned());
        return found("zimbra:collaboration", version, "zimbra page");
    }
    None
}

/// A webmail product found at a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebmailFinding {
    /// The page that showed it.
    pub url: String,
    /// The product.
    pub product: ProductVersion,
}

impl WebmailFinding {
    /// The informational issue CVE matching and the console read.
    pub fn issue(&self, host: &str) -> ScanIssue {
        let named = match &self.product.version {
            Some(version) => format!("{} {version}", self.product.product),
            None => self.product.product.clone(),
        };
        let mut evidence =
            ScanEvidence::exchange(format!("GET {}", self.url), &self.product.seen_in);
        evidence.extracted = vec![named.clone()];
        IssueText {
            check: "mail.webmail.product",
            category: category::FINGERPRINT,
            severity: Severity::Informational,
            title_vi: format!("Webmail tại {} là {named}", self.url),
            title_en: format!("Webmail at {} is {named}", self.url),
            remediation_vi: "Cập nhật webmail lên bản vá mới nhất; hạn chế truy cập trang quản trị từ Internet.",
            remediation_en: "Keep the webmail on the latest patch; restrict admin pages from the Internet.",
        }
        .issue(host, None, &self.url, evidence)
    }
}

/// Fetches the usual webmail pages under `base_url` and names the products found (one per
/// product, the first page that showed a version preferred).
pub async fn probe_webmail(client: &reqwest::Client, base_url: &str) -> Vec<WebmailFinding> {
    let base = if base_url.ends_with('/') {
        base_url.to_owned()
    } else {
        format!("{base_url}/")
    };
    let mut findings: Vec<WebmailFinding> = Vec::new();
    for path in PROBE_PATHS {
        let url = format!("{base}{path}");
        let Ok(mut response) = client.get(&url).send().await else {
            continue;
        };
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() >= BODY_CAP {
                break;
            }
        }
        let body = String::from_utf8_lossy(&body);
        let Some(product) = fingerprint_webmail(&url, status, &headers, &body) else {
            continue;
        };
        match findings
            .iter_mut()
            .find(|f| f.product.product == product.product)
        {
            Some(known) if known.product.version.is_none() && product.version.is_some() => {
                *known = WebmailFinding { url, product };
            }
            Some(_) => {}
            None => findings.push(WebmailFinding { url, product }),
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn exchange_from_header_or_paths() {
        let by_header = fingerprint_webmail(
            "https://mail.example.vn/owa/",
            200,
            &headers(&[("X-OWA-Version", "15.1.2507.39")]),
            "",
        )
        .unwrap();
        assert_eq!(by_header.product, "microsoft:exchange_server");
        assert_eq!(by_header.version.as_deref(), Some("15.1.2507.39"));

        let page = include_str!("../tests/fixtures/owa_logon.html");
        let by_path = fingerprint_webmail(
            "https://mail.example.vn/owa/auth/logon.aspx",
            200,
            &[],
            page,
        )
        .unwrap();
        assert_eq!(by_path.version.as_deref(), Some("15.2.1118"));
    }

    #[test]
    fn roundcube_version_from_rcversion() {
        let page = include_str!("../tests/fixtures/roundcube_login.html");
        let found = fingerprint_webmail(
            "https://webmail.example.vn/",
            200,
            &headers(&[("Set-Cookie", "roundcube_sessid=abc; path=/")]),
            page,
        )
        .unwrap();
        assert_eq!(found.product, "roundcube:webmail");
        assert_eq!(found.version.as_deref(), Some("1.6.5"));
    }

    #[test]
    fn zimbra_login_pages() {
        let page = include_str!("../tests/fixtures/zimbra_login.html");
        let found = fingerprint_webmail("https://mail.example.vn/", 200, &[], page).unwrap();
        assert_eq!(found.product, "zimbra:collaboration");
        assert_eq!(found.version.as_deref(), Some("8.8.15"));
        let cookie_only = fingerprint_webmail(
            "https://mail.example.vn/",
            200,
            &headers(&[("Set-Cookie", "ZM_TEST=true")]),
            "<html></html>",
        )
        .unwrap();
        assert_eq!(cookie_only.version, None);
    }

    #[test]
    fn ordinary_pages_are_no_webmail() {
        let page = "<html><head><title>Cổng thông tin điện tử tỉnh</title></head><body>Tin tức</body></html>";
        assert!(fingerprint_webmail("https://example.vn/", 200, &[], page).is_none());
    }
}
