//! Wiring of paging: every new alert, whatever raised it, reaches the people on duty, and
//! escalates when nobody acknowledges it. From `[notify]` (and `[smtp]` for email).
//!
//! One hook serves every source: alerts are rows in the store (detection, watch, scan findings
//! and flows all write them through `record_alerts`), so the pager looks for new, never-paged
//! alerts there instead of each source calling it. Paging an alert writes its `alert_pages` row
//! and its outbox messages in one transaction: a kill before leaves the alert to the next round,
//! a kill after leaves the messages to the outbox workers, never twice. Escalation reads the
//! same rows; an alert triaged in the console (no longer `new`) counts as acknowledged.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use canhgac_model::bulletin::OutboxDraft;
use canhgac_model::duty::AlertPage;
use canhgac_model::{Alert, AlertStatus, Id, Scope, Severity, Timestamp};
use canhgac_respond::email::Secret;
use canhgac_respond::escalation::{
    ack_link, next_check, next_escalation, plan_escalation, AckToken, EscalationDelays,
    EscalationLevel, EscalationPolicy, EscalationState, MIN_SECRET_BYTES,
};
use canhgac_respond::outbox::OutboxWorker;
use canhgac_respond::roster::{Person, Shift};
use canhgac_respond::routing::{
    route, AlertSummary, ChannelKind, Recipient, RosterView, RoutePlan, RoutingRule, UnitLeader,
};
use canhgac_respond::telegram::{TelegramChannel, TelegramSettings};
use canhgac_respond::webhook::{WebhookChannel, WebhookSettings};
use canhgac_respond::zalo::{ZaloChannel, ZaloSettings};
use canhgac_respond::{Channel, RetryPolicy};
use canhgac_store::Store;
use jiff::SignedDuration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// File in the data directory holding the generated acknowledgement key.
const ACK_KEY_FILE: &str = "notify-ack.key";

/// New alerts older than this are not paged (a pager switched on late does not page history).
const LOOKBACK: SignedDuration = SignedDuration::from_hours(1);

/// Alerts paged and escalations looked at per round.
const BATCH: u32 = 100;

/// Parses a comma-separated channel list of `key`.
fn channels(key: &str, text: &str) -> anyhow::Result<Vec<ChannelKind>> {
    text.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| match c {
            "email" => Ok(ChannelKind::Email),
            "webhook" => Ok(ChannelKind::Webhook),
            "telegram" => Ok(ChannelKind::Telegram),
            "zalo" => Ok(ChannelKind::Zalo),
            other => anyhow::bail!("{key}: {other:?} is not one of email, webhook, telegram, zalo"),
        })
        .collect()
}

/// The acknowledgement key: configured, or generated once into the data directory.
fn ack_secret(config: &Config, data_dir: &Path) -> anyhow::Result<Secret> {
    let configured = config.notify.ack_secret.trim();
    if !configured.is_empty() {
        if configured.len() < MIN_SECRET_BYTES {
            anyhow::bail!("notify.ack_secret: must be at least {MIN_SECRET_BYTES} characters");
        }
        return Ok(Secret::new(configured));
    }
    let path = data_dir.join(ACK_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= MIN_SECRET_BYTES => Ok(Secret::new(text.trim())),
        _ => {
            let key: [u8; 32] = rand::random();
            let key = hex::encode(key);
            crate::datadir::write_private(&path, &format!("{key}\n"))?;
            Ok(Secret::new(key))
        }
    }
}

/// What the pager decides with.
struct Pager {
    store: Arc<dyn Store>,
    public_url: String,
    secret: Secret,
    ack_valid: SignedDuration,
    default_rule: RoutingRule,
    policy: EscalationPolicy,
    wakers: Vec<Arc<Notify>>,
}

/// What the web layer needs to acknowledge by link.
pub struct Paging {
    /// The key acknowledgement links are signed with.
    pub ack_secret: Secret,
}

/// Starts the channel workers (webhook, Telegram, Zalo; email runs already in
/// [`crate::respond`] and is woken through `email_waker`) and the pager.
pub fn start(
    config: &Config,
    store: Arc<dyn Store>,
    stop: CancellationToken,
    public_url: &str,
    data_dir: &Path,
    email_waker: Arc<Notify>,
) -> anyhow::Result<Paging> {
    let notify = &config.notify;
    let secret = ack_secret(config, data_dir)?;
    let severity = Severity::from_code(notify.min_severity.trim()).with_context(|| {
        format!(
            "notify.min_severity: {:?} is not one of informational, low, medium, high, critical",
            notify.min_severity
        )
    })?;
    let policy_retry = RetryPolicy {
        first_delay: config.outbox.retry_first.0,
        max_delay: config.outbox.retry_max.0,
        max_attempts: config.outbox.max_attempts.max(1),
    };
    let mut wakers = vec![email_waker];
    let mut http_channels: Vec<Arc<dyn Channel>> = Vec::new();
    if !notify.webhook_url.trim().is_empty() {
        let settings =
            WebhookSettings::new(notify.webhook_url.trim(), notify.webhook_secret.clone());
        http_channels.push(Arc::new(
            WebhookChannel::new(&settings).map_err(config_key)?,
        ));
    }
    if !notify.telegram_bot_token.trim().is_empty() {
        let mut settings = TelegramSettings::new(notify.telegram_bot_token.trim());
        settings.base_url = notify.telegram_base_url.trim().to_string();
        http_channels.push(Arc::new(
            TelegramChannel::new(&settings).map_err(config_key)?,
        ));
    }
    if !notify.zalo_access_token.trim().is_empty() {
        let mut settings = ZaloSettings::new(notify.zalo_access_token.trim());
        settings.base_url = notify.zalo_base_url.trim().to_string();
        http_channels.push(Arc::new(ZaloChannel::new(&settings).map_err(config_key)?));
    }
    for channel in http_channels {
        let name = channel.name();
        let worker =
            OutboxWorker::new(store.clone(), channel, policy_retry).with_poll(config.outbox.poll.0);
        wakers.push(worker.waker());
        let stop = stop.clone();
        tokio::spawn(worker.run(async move { stop.cancelled().await }));
        tracing::info!(channel = name, "notify: outbox sender started");
    }
    let paging = Paging {
        ack_secret: secret.clone(),
    };
    if !notify.enabled {
        tracing::info!("notify: paging is off ([notify] enabled = false)");
        return Ok(paging);
    }
    let default_rule = RoutingRule {
        notify: vec![Recipient::OnDutyPrimary],
        channels: channels("notify.channels", &notify.channels)?,
        ..RoutingRule::new("mặc định / default", severity)
    };
    let delays = EscalationDelays {
        to_backup: signed(notify.escalate_to_backup.0),
        to_leader: signed(notify.escalate_to_leader.0),
    };
    let policy = EscalationPolicy {
        delays: Severity::ALL
            .iter()
            .filter(|s| **s >= severity)
            .map(|s| (*s, delays))
            .collect(),
        channels: channels("notify.escalation_channels", &notify.escalation_channels)?,
    };
    let pager = Pager {
        store,
        public_url: public_url.trim_end_matches('/').to_string(),
        secret,
        ack_valid: signed(notify.ack_valid.0),
        default_rule,
        policy,
        wakers,
    };
    let poll = notify.poll.0.max(Duration::from_millis(100));
    tokio::spawn(async move {
        loop {
            if let Err(error) = pager.round().await {
                tracing::warn!(%error, "notify: paging round failed");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(poll) => {}
            }
        }
    });
    tracing::info!("notify: paging started");
    Ok(paging)
}

/// A channel's configuration error under its `[notify]` key (`webhook.url` is
/// `notify.webhook_url`).
fn config_key(error: canhgac_respond::RespondError) -> anyhow::Error {
    match error {
        canhgac_respond::RespondError::Config { key, message } => {
            anyhow::anyhow!("notify.{}: {message}", key.replace('.', "_"))
        }
        other => other.into(),
    }
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

fn level_code(level: EscalationLevel) -> &'static str {
    match level {
        EscalationLevel::Primary => "primary",
        EscalationLevel::Backup => "backup",
        EscalationLevel::Leader => "leader",
    }
}

fn level_from_code(code: &str) -> EscalationLevel {
    match code {
        "backup" => EscalationLevel::Backup,
        "leader" => EscalationLevel::Leader,
        _ => EscalationLevel::Primary,
    }
}

impl Pager {
    async fn round(&self) -> anyhow::Result<()> {
        let now = Timestamp::now();
        let alerts = self.store.alerts_to_page(now - LOOKBACK, BATCH).await?;
        let due = self.store.due_pages(now, BATCH).await?;
        if alerts.is_empty() && due.is_empty() {
            return Ok(());
        }
        let roster = self.roster(now).await?;
        let rules = self.rules().await?;
        let mut queued = false;
        for alert in &alerts {
            queued |= self.page(alert, &roster, &rules, now).await?;
        }
        for (page, alert) in &due {
            queued |= self.escalate(page, alert, &roster, now).await?;
        }
        if queued {
            for waker in &self.wakers {
                waker.notify_one();
            }
        }
        Ok(())
    }

    /// The shifts around `now`, everyone who can be paged, and the leaders of every unit (the
    /// nearest leading contact up the tree; the province's is a leader of a root unit).
    async fn roster(&self, now: Timestamp) -> anyhow::Result<RosterView> {
        let day = SignedDuration::from_hours(24);
        let shifts = self
            .store
            .list_shifts(&Scope::All, now - day, now + day)
            .await?
            .into_iter()
            .map(|s| Shift {
                id: s.id,
                start: s.start,
                end: s.end,
                unit_id: s.unit_id,
                primary: canhgac_respond::roster::DutyPerson {
                    id: s.primary_id,
                    name: s.primary_name,
                },
                backup: s.backup_id.map(|id| canhgac_respond::roster::DutyPerson {
                    id,
                    name: s.backup_name.unwrap_or_default(),
                }),
                note: s.note,
            })
            .collect();
        let contacts = self.store.duty_contacts(&Scope::All).await?;
        let units = self.store.unit_briefs(&Scope::All).await?;
        let parent: HashMap<Id, Option<Id>> = units.iter().map(|u| (u.id, u.parent_id)).collect();
        let own_leader: HashMap<Id, Id> = contacts
            .iter()
            .filter(|c| c.leads_unit)
            .map(|c| (c.unit_id, c.contact_id))
            .collect();
        let mut leaders = Vec::new();
        for unit in &units {
            let mut at = Some(unit.id);
            let mut hops = 0;
            while let Some(id) = at {
                if let Some(person) = own_leader.get(&id) {
                    leaders.push(UnitLeader {
                        unit_id: Some(unit.id),
                        person_id: *person,
                    });
                    if parent.get(&unit.id).copied().flatten().is_none() {
                        leaders.push(UnitLeader {
                            unit_id: None,
                            person_id: *person,
                        });
                    }
                    break;
                }
                at = parent.get(&id).copied().flatten();
                hops += 1;
                if hops > 64 {
                    break;
                }
            }
        }
        let people = contacts
            .into_iter()
            .map(|c| Person {
                id: c.contact_id,
                name: c.name,
                email: c.email,
                telegram_chat_id: c.telegram_chat_id,
                zalo_user_id: c.zalo_user_id,
            })
            .collect();
        Ok(RosterView {
            shifts,
            people,
            leaders,
        })
    }

    /// The stored rules (a unit's rule concerns that unit only), or the default rule.
    async fn rules(&self) -> anyhow::Result<Vec<RoutingRule>> {
        let mut rules = Vec::new();
        for stored in self.store.list_duty_rules(&Scope::All).await? {
            match serde_json::from_value::<RoutingRule>(stored.rule) {
                Ok(mut rule) => {
                    if let Some(unit) = stored.unit_id {
                        rule.units = vec![unit];
                    }
                    rules.push(rule);
                }
                Err(error) => {
                    tracing::warn!(rule = stored.id, %error, "notify: stored routing rule unreadable; skipped")
                }
            }
        }
        if rules.is_empty() {
            rules.push(self.default_rule.clone());
        }
        Ok(rules)
    }

    /// The outbox messages of a plan, each with its signed acknowledgement link.
    fn messages(
        &self,
        plan: &RoutePlan,
        summary: &AlertSummary,
        now: Timestamp,
    ) -> Vec<(OutboxDraft, Timestamp)> {
        let expires = now.checked_add(self.ack_valid).unwrap_or(now);
        plan.notifications
            .iter()
            .map(|planned| {
                let link = AckToken::sign(&summary.key, planned.person.id, expires, &self.secret)
                    .ok()
                    .map(|token| ack_link(&self.public_url, &token));
                (planned.draft(summary, link.as_deref()), planned.send_at)
            })
            .collect()
    }

    fn report_unreachable(plan: &RoutePlan, alert: Id) {
        for missing in &plan.unreachable {
            tracing::warn!(
                alert,
                role = missing.role.label_vi(),
                person = missing.person.as_ref().map(|p| p.name.as_str()),
                channel = missing.channel.map(|c| c.name()),
                "notify: cannot reach someone a rule names"
            );
        }
    }

    async fn page(
        &self,
        alert: &Alert,
        roster: &RosterView,
        rules: &[RoutingRule],
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let summary = AlertSummary::from_alert(alert, &self.public_url);
        let plan = route(&summary, rules, roster, now);
        Self::report_unreachable(&plan, alert.id);
        let state = EscalationState {
            alert_key: summary.key.clone(),
            severity: alert.severity,
            paged_at: now,
            acknowledged_at: None,
            reached: EscalationLevel::Primary,
        };
        // An alert no rule is about is not followed; otherwise escalation runs even when
        // nobody was on duty to page (the backup or the leader may still be reached).
        let next = if plan.matched_rules.is_empty() {
            None
        } else {
            next_check(&state, &self.policy)
        };
        let page = AlertPage {
            alert_id: alert.id,
            unit_id: alert.unit_id,
            severity: alert.severity,
            paged_at: now,
            reached: level_code(EscalationLevel::Primary).into(),
            next_check_at: next,
            acknowledged_at: None,
            acknowledged_by: None,
        };
        let messages = self.messages(&plan, &summary, now);
        let recorded = self.store.record_page(&page, &messages).await?;
        if recorded {
            tracing::info!(
                alert = alert.id,
                messages = messages.len(),
                rules = plan.matched_rules.len(),
                "notify: alert paged"
            );
        }
        Ok(recorded && !messages.is_empty())
    }

    async fn escalate(
        &self,
        page: &AlertPage,
        alert: &Alert,
        roster: &RosterView,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        if alert.status != AlertStatus::New {
            // Triaged in the console: that is an acknowledgement.
            self.store
                .acknowledge_page(alert.id, "console", now)
                .await?;
            return Ok(false);
        }
        let summary = AlertSummary::from_alert(alert, &self.public_url);
        let state = EscalationState {
            alert_key: summary.key.clone(),
            severity: page.severity,
            paged_at: page.paged_at,
            acknowledged_at: None,
            reached: level_from_code(&page.reached),
        };
        let Some(step) = next_escalation(&state, &self.policy, now) else {
            let next = next_check(&state, &self.policy);
            self.store
                .record_escalation(alert.id, &page.reached, &page.reached, next, &[])
                .await?;
            return Ok(false);
        };
        let plan = plan_escalation(&summary, &step, &self.policy, roster, now);
        Self::report_unreachable(&plan, alert.id);
        let reached = EscalationState {
            reached: step.level,
            ..state
        };
        let next = next_check(&reached, &self.policy);
        let messages = self.messages(&plan, &summary, now);
        let moved = self
            .store
            .record_escalation(
                alert.id,
                &page.reached,
                level_code(step.level),
                next,
                &messages,
            )
            .await?;
        if moved {
            tracing::info!(
                alert = alert.id,
                level = level_code(step.level),
                messages = messages.len(),
                "notify: alert escalated"
            );
        }
        Ok(moved && !messages.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_lists_name_the_key_at_fault() {
        assert_eq!(
            channels("notify.channels", "email, webhook").ok(),
            Some(vec![ChannelKind::Email, ChannelKind::Webhook])
        );
        let error = channels("notify.channels", "email,sms")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.starts_with("notify.channels: \"sms\""), "{error}");
    }
}
