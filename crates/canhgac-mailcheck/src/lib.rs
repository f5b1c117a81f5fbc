//! Mail posture checks of canhgac: what the external scanner learns about a province's mail
//! system from outside, as [`ScanIssue`]s (categories `mail_dns`, `mail_server`, `fingerprint`)
//! and summaries the console shows.
//!
//! - [`check_domain`] reads a domain's mail records through a [`canhgac_dns::Resolver`]: MX,
//!   SPF (syntax, `all`, the RFC 7208 limit of ten DNS-querying terms counted through includes
//!   and redirects, loops), DMARC, DKIM keys of the configured selectors (RSA key length), the
//!   MTA-STS record and policy (fetched over HTTPS), TLS-RPT. It gives a [`DomainPosture`].
//! - [`check_smtp`] talks to one SMTP server: banner and product, EHLO capabilities, STARTTLS,
//!   AUTH offered in clear, and, only when the caller allows it, the open-relay probe (never
//!   DATA). It gives an [`SmtpReport`]. [`open_starttls`] hands TLS checks a stream upgraded
//!   with STARTTLS.
//! - [`fingerprint_webmail`] names Zimbra, Outlook Web App / Exchange and Roundcube from one
//!   HTTP response; [`probe_webmail`] fetches the usual pages. Products are in CPE
//!   `vendor:product` form for CVE matching.
//!
//! The parsers ([`spf::SpfRecord`], [`dmarc::DmarcRecord`], [`dkim::DkimRecord`],
//! [`mta_sts::MtaStsPolicy`]) do no I/O and never panic on any text.
//!
//! ```no_run
//! # async fn demo() -> Result<(), canhgac_dns::DnsError> {
//! use canhgac_mailcheck::{check_domain, MailOptions};
//! let resolver = canhgac_dns::Resolver::from_config(None)?;
//! let options = MailOptions { dkim_selectors: vec!["mail".into()], ..MailOptions::default() };
//! let posture = check_domain(&resolver, "example.gov.vn", &options).await;
//! for issue in posture.issues() {
//!     println!("{:?} {}", issue.severity, issue.title_vi);
//! }
//! # Ok(()) }
//! ```

use canhgac_model::scan::{ScanEvidence, ScanIssue};
use canhgac_model::Severity;
use serde::{Deserialize, Serialize};

pub mod dkim;
pub mod dmarc;
mod domain;
pub mod mta_sts;
mod smtp;
pub mod spf;
mod webmail;

pub use domain::{
    check_domain, DkimSummary, DmarcSummary, DomainPosture, MailOptions, MtaStsSummary, MxHost,
    SpfSummary,
};
pub use smtp::{check_smtp, open_starttls, RelayProbe, SmtpOptions, SmtpReport};
pub use webmail::{fingerprint_webmail, probe_webmail, WebmailFinding};

/// A product identified, in the form CVE matching uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductVersion {
    /// CPE `vendor:product`, e.g. `postfix:postfix`, `microsoft:exchange_server`.
    pub product: String,
    /// The version when it shows, e.g. `15.1.2507`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where it showed (a header, a path, the banner).
    pub seen_in: String,
}

/// The fields every issue of this crate fills the same way.
pub(crate) struct IssueText<'a> {
    pub check: &'a str,
    pub category: &'a str,
    pub severity: Severity,
    pub title_vi: String,
    pub title_en: String,
    pub remediation_vi: &'a str,
    pub remediation_en: &'a str,
}

impl IssueText<'_> {
    pub(crate) fn issue(
        self,
        host: &str,
        port: Option<u16>,
        subject: &str,
        evidence: ScanEvidence,
    ) -> ScanIssue {
        ScanIssue {
            check: self.check.to_owned(),
            category: self.category.to_owned(),
            severity: self.severity,
            title_vi: self.title_vi,
            title_en: self.title_en,
            host: host.to_owned(),
            port,
            subject: subject.to_owned(),
            evidence,
            remediation_vi: self.remediation_vi.to_owned(),
            remediation_en: self.remediation_en.to_owned(),
            cves: Vec::new(),
            cvss: None,
            known_exploited: false,
        }
    }
}

/// `tag=value` pairs of a DMARC, DKIM, MTA-STS or TLS-RPT record, in order; names lower-case,
/// values trimmed. Pieces without `=` are kept with an empty name so parsers can name them.
pub(crate) fn tag_list(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(|piece| match piece.split_once('=') {
            Some((name, value)) => (name.trim().to_ascii_lowercase(), value.trim().to_owned()),
            None => (String::new(), piece.to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_lists_keep_order_and_name_loose_pieces() {
        assert_eq!(
            tag_list(" v=DMARC1 ;P = reject; ; junk ;rua=mailto:a@b.vn"),
            vec![
                ("v".to_owned(), "DMARC1".to_owned()),
                ("p".to_owned(), "reject".to_owned()),
                (String::new(), "junk".to_owned()),
                ("rua".to_owned(), "mailto:a@b.vn".to_owned()),
            ]
        );
    }
}
