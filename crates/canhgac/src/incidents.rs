//! Wiring of incident reports: the issuers and recipients of `[reports]` (checked at start, the
//! error naming the entry and key) and the `[smtp]` server that sends the reports.

use std::sync::Arc;

use anyhow::Context;
use canhgac_respond::documents::ReportNumber;
use canhgac_respond::email::EmailChannel;
use canhgac_respond::reports::{ReportDesk, ReportProfile};

use crate::config::Config;

/// The report desk of `config`: its profile, and a mailer when `smtp.host` is set.
pub fn report_desk(config: &Config) -> anyhow::Result<ReportDesk> {
    let reports = &config.reports;
    for (index, issuer) in reports.issuers.iter().enumerate() {
        let key = |name: &str| format!("reports.issuers[{index}].{name}");
        ReportNumber::new(1, issuer.code.trim())
            .map_err(|e| anyhow::anyhow!("{}: {e}", key("code")))?;
        for (name, value) in [
            ("name", &issuer.name),
            ("place", &issuer.place),
            ("signer_position", &issuer.signer_position),
            ("signer_name", &issuer.signer_name),
        ] {
            if value.trim().is_empty() {
                anyhow::bail!("{}: is empty", key(name));
            }
        }
        if let (Some(from), Some(to)) = (issuer.valid_from, issuer.valid_to) {
            if to < from {
                anyhow::bail!("{}: is before valid_from", key("valid_to"));
            }
        }
    }
    for (index, recipient) in reports.recipients.iter().enumerate() {
        let key = |name: &str| format!("reports.recipients[{index}].{name}");
        if recipient.name.trim().is_empty() {
            anyhow::bail!("{}: is empty", key("name"));
        }
        let email = recipient.email.trim();
        if !email.contains('@') || email.contains(char::is_whitespace) {
            anyhow::bail!("{}: {email:?} is not an email address", key("email"));
        }
    }
    let mailer = match crate::respond::smtp_settings(config)? {
        Some(settings) => {
            let channel = EmailChannel::new(&settings).context("[smtp]")?;
            Some(Arc::new(channel) as Arc<dyn canhgac_respond::reports::ReportMailer>)
        }
        None => None,
    };
    Ok(ReportDesk {
        profile: ReportProfile {
            issuers: reports.issuers.clone(),
            recipients: reports.recipients.clone(),
        },
        mailer,
    })
}
