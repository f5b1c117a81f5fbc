//! Wiring of the respond capability: the SMTP email channel and its outbox sender, and the
//! automatic bulletin reminders, from `[smtp]`, `[outbox]`, `[bulletins]` and `server.public_url`.

use std::sync::Arc;

use anyhow::Context;
use canhgac_respond::bulletins::{run_reminders, BulletinMailer};
use canhgac_respond::email::{EmailChannel, Secret, SmtpSecurity, SmtpSettings};
use canhgac_respond::outbox::OutboxWorker;
use canhgac_respond::RetryPolicy;
use canhgac_store::Store;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// The settings of the email channel, or `None` when `smtp.host` is empty.
pub fn smtp_settings(config: &Config) -> anyhow::Result<Option<SmtpSettings>> {
    let smtp = &config.smtp;
    if smtp.host.trim().is_empty() {
        return Ok(None);
    }
    let security = SmtpSecurity::parse(&smtp.security).with_context(|| {
        format!(
            "smtp.security: {:?} is not one of none, starttls, tls",
            smtp.security
        )
    })?;
    let port = match smtp.port {
        0 => None,
        p => Some(
            u16::try_from(p)
                .ok()
                .context("smtp.port: must be at most 65535")?,
        ),
    };
    if smtp.from.trim().is_empty() {
        anyhow::bail!("smtp.from: the sender address is required when smtp.host is set");
    }
    Ok(Some(SmtpSettings {
        host: smtp.host.trim().to_string(),
        port,
        security,
        username: smtp.username.clone(),
        password: Secret::new(smtp.password.clone()),
        from_address: smtp.from.trim().to_string(),
        from_name: smtp.from_name.clone(),
        ca_file: (!smtp.ca_file.trim().is_empty()).then(|| smtp.ca_file.trim().into()),
        timeout: smtp.timeout.0,
    }))
}

/// The base URL of links in messages: `server.public_url`, else `listen_url`.
pub fn public_url(config: &Config, listen_url: &str) -> anyhow::Result<String> {
    if config.server.public_url.trim().is_empty() {
        return Ok(listen_url.to_string());
    }
    let url = config.server.public_url.trim();
    url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .with_context(|| format!("server.public_url: {url:?} is not an http(s) URL"))?;
    Ok(url.to_string())
}

/// Starts the outbox sender (when SMTP is configured) and the reminder loop; returns what the
/// web layer needs. `listen_url` is used for links when `server.public_url` is empty.
pub fn start(
    config: &Config,
    store: Arc<dyn Store>,
    stop: CancellationToken,
    listen_url: &str,
) -> anyhow::Result<canhgac_web::respond::Respond> {
    let public_url = public_url(config, listen_url)?;
    let mut respond = canhgac_web::respond::Respond::new(&public_url);
    match smtp_settings(config)? {
        Some(settings) => {
            let channel = EmailChannel::new(&settings)?;
            let policy = RetryPolicy {
                first_delay: config.outbox.retry_first.0,
                max_delay: config.outbox.retry_max.0,
                max_attempts: config.outbox.max_attempts.max(1),
            };
            let worker = OutboxWorker::new(store.clone(), Arc::new(channel), policy)
                .with_poll(config.outbox.poll.0);
            respond.outbox = worker.waker();
            respond.email_configured = true;
            let stop = stop.clone();
            tokio::spawn(worker.run(async move { stop.cancelled().await }));
            tracing::info!(
                host = %settings.host,
                security = ?settings.security,
                authenticated = !settings.username.is_empty(),
                "email: outbox sender started"
            );
        }
        None => {
            tracing::info!("email: no [smtp] host; bulletins and notifications wait in the outbox")
        }
    }
    tokio::spawn(run_reminders(
        store,
        BulletinMailer::new(&public_url),
        config.bulletins.max_reminders,
        config.bulletins.reminder_check.0,
        respond.outbox.clone(),
        async move { stop.cancelled().await },
    ));
    Ok(respond)
}
