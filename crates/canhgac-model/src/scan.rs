//! What the external scanner's checks report: one [`ScanIssue`] per weakness seen on a target,
//! before the server attributes it to a unit and merges it into a stored finding.
//!
//! Every check (ports and services, TLS, web portal, mail posture, nuclei-format templates,
//! CVE matching) reports this one shape, so the scanner's output formats, the findings table and
//! reports treat them alike.

use serde::{Deserialize, Serialize};

use crate::{FindingDraft, FindingSource, Severity, Timestamp};

/// Finding categories of the scanner (the `category` of a stored finding).
pub mod category {
    /// A risky service reachable from outside (RDP, SMB, a database, memcached...).
    pub const EXPOSED_SERVICE: &str = "exposed_service";
    /// Risky services open on the internal network (a scan from inside: less urgent than the
    /// same service reachable from the Internet, and judged apart from it).
    pub const INTERNAL_SERVICE: &str = "internal_service";
    /// TLS protocol versions or cipher suites that should be off.
    pub const TLS: &str = "tls";
    /// Certificate problems: expired, self-signed, wrong name, weak key or signature, chain.
    pub const CERTIFICATE: &str = "certificate";
    /// Missing HTTP security headers, no HTTPS redirect, version banners.
    pub const HTTP_HARDENING: &str = "http_hardening";
    /// Files and panels that should not be public (`.git/`, `.env`, backups, admin pages,
    /// directory listings).
    pub const WEB_EXPOSURE: &str = "web_exposure";
    /// Mail domain posture: MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT.
    pub const MAIL_DNS: &str = "mail_dns";
    /// Mail server problems: no STARTTLS, open relay.
    pub const MAIL_SERVER: &str = "mail_server";
    /// A known vulnerability (CVE) of a detected product version.
    pub const VULNERABILITY: &str = "vulnerability";
    /// A nuclei-format template matched.
    pub const TEMPLATE: &str = "template";
    /// Software identified (informational: product and version).
    pub const FINGERPRINT: &str = "fingerprint";
}

/// What a check saw: the request it sent and the part of the response that shows the weakness,
/// or the banner. Excerpts are cut to [`EVIDENCE_LIMIT`] bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanEvidence {
    /// The request sent (an HTTP request line and headers, a protocol command, a DNS question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The relevant part of the response (or the banner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// Values the check extracted (versions, header values, record texts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extracted: Vec<String>,
    /// Anything else, as JSON (e.g. a certificate's dates, the offered protocol versions).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// The longest excerpt kept in evidence, in bytes.
pub const EVIDENCE_LIMIT: usize = 2048;

/// Cuts `text` to at most `limit` bytes on a character boundary, marking the cut.
pub fn excerpt(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl ScanEvidence {
    /// Evidence of a request and the response excerpt that shows the weakness.
    pub fn exchange(request: impl Into<String>, response: &str) -> Self {
        ScanEvidence {
            request: Some(excerpt(&request.into(), EVIDENCE_LIMIT)),
            response: Some(excerpt(response, EVIDENCE_LIMIT)),
            ..ScanEvidence::default()
        }
    }

    /// Evidence of a banner or a single response.
    pub fn banner(response: &str) -> Self {
        ScanEvidence {
            response: Some(excerpt(response, EVIDENCE_LIMIT)),
            ..ScanEvidence::default()
        }
    }
}

/// One weakness a check saw on a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanIssue {
    /// Stable id of the check, e.g. `tls.protocol.tls10`, `http.header.hsts`,
    /// `mail.spf.permissive`, `template:git-config`.
    pub check: String,
    /// Machine category, see [`category`].
    pub category: String,
    /// How serious.
    pub severity: Severity,
    /// Title in Vietnamese.
    pub title_vi: String,
    /// Title in English.
    pub title_en: String,
    /// The host scanned (name or IP, as the target named it).
    pub host: String,
    /// The port, when the check is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// What exactly is affected: a URL, `host:port/tcp`, a DNS name. Together with `check` it
    /// identifies the issue across scans.
    pub subject: String,
    /// What the check saw.
    #[serde(default)]
    pub evidence: ScanEvidence,
    /// What to do, in Vietnamese.
    pub remediation_vi: String,
    /// What to do, in English.
    pub remediation_en: String,
    /// CVE ids, when the issue is a known vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
    /// CVSS base score, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f32>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalogue.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub known_exploited: bool,
}

impl ScanIssue {
    /// The stable key of the finding this issue becomes.
    pub fn finding_key(&self) -> String {
        format!("{}|{}", self.check, self.subject)
    }

    /// The finding draft the server merges; the unit is attributed from `host`.
    pub fn into_draft(self, observed_at: Timestamp) -> FindingDraft {
        let key = self.finding_key();
        let evidence = serde_json::json!({
            "check": self.check,
            "port": self.port,
            "request": self.evidence.request,
            "response": self.evidence.response,
            "extracted": self.evidence.extracted,
            "details": self.evidence.details,
            "title_en": self.title_en,
            "remediation_en": self.remediation_en,
            "cves": self.cves,
            "cvss": self.cvss,
            "known_exploited": self.known_exploited,
        });
        FindingDraft {
            source: FindingSource::Scan,
            key,
            category: self.category,
            title: self.title_vi,
            severity: self.severity,
            unit_id: None,
            system_id: None,
            asset_id: None,
            host: Some(self.host),
            subject: self.subject,
            evidence,
            remediation: Some(self.remediation_vi),
            observed_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue() -> ScanIssue {
        ScanIssue {
            check: "http.header.hsts".into(),
            category: category::HTTP_HARDENING.into(),
            severity: Severity::Low,
            title_vi: "Thiếu HSTS".into(),
            title_en: "HSTS missing".into(),
            host: "portal.example.gov.vn".into(),
            port: Some(443),
            subject: "https://portal.example.gov.vn/".into(),
            evidence: ScanEvidence::exchange("GET / HTTP/1.1", "HTTP/1.1 200 OK"),
            remediation_vi: "Bật HSTS".into(),
            remediation_en: "Enable HSTS".into(),
            cves: vec![],
            cvss: None,
            known_exploited: false,
        }
    }

    #[test]
    fn a_draft_keeps_the_host_for_attribution_and_english_in_evidence() {
        let draft = issue().into_draft(jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(draft.source, FindingSource::Scan);
        assert_eq!(draft.key, "http.header.hsts|https://portal.example.gov.vn/");
        assert_eq!(draft.host.as_deref(), Some("portal.example.gov.vn"));
        assert_eq!(draft.evidence["title_en"], "HSTS missing");
        assert_eq!(draft.evidence["port"], 443);
        assert_eq!(draft.remediation.as_deref(), Some("Bật HSTS"));
    }

    #[test]
    fn excerpts_cut_on_a_character_boundary() {
        let text = "ăăăă"; // two bytes each
        assert_eq!(excerpt(text, 3), "ă…");
        assert_eq!(excerpt(text, 8), text);
    }
}
