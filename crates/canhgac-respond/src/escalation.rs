//! Escalation of unacknowledged alerts, and the signed links that acknowledge them.
//!
//! An alert paged to the on-duty primary that nobody acknowledges goes to the backup after the
//! first delay of its severity, then to the unit leader after the second delay (counted from
//! the escalation to the backup): [`next_escalation`] says which step is due at a given instant,
//! [`next_check`] when to look again, and [`plan_escalation`] plans its notifications through
//! the same routing as the first page (so dedup keys never send twice). Time is always passed
//! in, never read here, so a scheduler (and a test) controls the clock.
//!
//! [`AckToken`] is what a message's "acknowledge" link carries: the alert, the person and an
//! expiry, signed with HMAC-SHA256 under a server secret and checked in constant time.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use canhgac_model::{Id, Severity, Timestamp};
use hmac::{Hmac, Mac};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::email::Secret;
use crate::roster::format_local;
use crate::routing::{
    route, AlertSummary, ChannelKind, Recipient, RosterView, RoutePlan, RoutingRule,
};

/// How far an alert's paging has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationLevel {
    /// The on-duty primary was paged.
    Primary,
    /// Escalated to the on-duty backup.
    Backup,
    /// Escalated to the unit leader.
    Leader,
}

impl EscalationLevel {
    /// The role paged at this level.
    pub fn recipient(self) -> Recipient {
        match self {
            EscalationLevel::Primary => Recipient::OnDutyPrimary,
            EscalationLevel::Backup => Recipient::OnDutyBackup,
            EscalationLevel::Leader => Recipient::UnitLeader,
        }
    }
}

/// The two delays of one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationDelays {
    /// From the first page to the backup.
    pub to_backup: SignedDuration,
    /// From the escalation to the backup to the unit leader.
    pub to_leader: SignedDuration,
}

impl EscalationDelays {
    /// Delays given in minutes.
    pub fn minutes(to_backup: i64, to_leader: i64) -> Self {
        Self {
            to_backup: SignedDuration::from_mins(to_backup),
            to_leader: SignedDuration::from_mins(to_leader),
        }
    }
}

/// When and how unacknowledged alerts escalate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPolicy {
    /// Delays per severity; severities not listed never escalate.
    pub delays: BTreeMap<Severity, EscalationDelays>,
    /// Channels escalations are sent on.
    pub channels: Vec<ChannelKind>,
}

impl Default for EscalationPolicy {
    /// Critical 10 + 20 minutes, high 15 + 30, medium 60 + 120; low and informational alerts
    /// do not escalate. Email only.
    fn default() -> Self {
        Self {
            delays: BTreeMap::from([
                (Severity::Critical, EscalationDelays::minutes(10, 20)),
                (Severity::High, EscalationDelays::minutes(15, 30)),
                (Severity::Medium, EscalationDelays::minutes(60, 120)),
            ]),
            channels: vec![ChannelKind::Email],
        }
    }
}

/// What is known of an alert's paging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationState {
    /// The alert's key.
    pub alert_key: String,
    /// Its severity.
    pub severity: Severity,
    /// When the primary was first paged (the clock of every delay).
    pub paged_at: Timestamp,
    /// When someone acknowledged it.
    pub acknowledged_at: Option<Timestamp>,
    /// The last level paged.
    pub reached: EscalationLevel,
}

/// A step that is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The level to page now.
    pub level: EscalationLevel,
    /// When it fell due.
    pub due_at: Timestamp,
}

/// The next step after `state.reached` and when it falls due, acknowledged or not.
fn next_step(state: &EscalationState, policy: &EscalationPolicy) -> Option<Escalation> {
    let delays = policy.delays.get(&state.severity)?;
    let to_backup = state.paged_at.checked_add(delays.to_backup).ok()?;
    match state.reached {
        EscalationLevel::Primary => Some(Escalation {
            level: EscalationLevel::Backup,
            due_at: to_backup,
        }),
        EscalationLevel::Backup => Some(Escalation {
            level: EscalationLevel::Leader,
            due_at: to_backup.checked_add(delays.to_leader).ok()?,
        }),
        EscalationLevel::Leader => None,
    }
}

/// The escalation due at `now`, if any: none once acknowledged, none past the leader, and one
/// level at a time (a scheduler that was down pages the backup, records it, and asks again).
pub fn next_escalation(
    state: &EscalationState,
    policy: &EscalationPolicy,
    now: Timestamp,
) -> Option<Escalation> {
    if state.acknowledged_at.is_some() {
        return None;
    }
    next_step(state, policy).filter(|step| step.due_at <= now)
}

/// When the next escalation of an unacknowledged alert falls due (for the scheduler's timer).
pub fn next_check(state: &EscalationState, policy: &EscalationPolicy) -> Option<Timestamp> {
    if state.acknowledged_at.is_some() {
        return None;
    }
    next_step(state, policy).map(|step| step.due_at)
}

/// The notifications of an escalation: the role of its level, on duty at `now`, on the
/// policy's channels, at once (quiet hours do not hold an escalation).
pub fn plan_escalation(
    alert: &AlertSummary,
    escalation: &Escalation,
    policy: &EscalationPolicy,
    roster: &RosterView,
    now: Timestamp,
) -> RoutePlan {
    let rule = RoutingRule {
        notify: vec![escalation.level.recipient()],
        channels: policy.channels.clone(),
        ..RoutingRule::new(
            format!("escalation:{}", level_code(escalation.level)),
            Severity::Informational,
        )
    };
    route(alert, &[rule], roster, now)
}

fn level_code(level: EscalationLevel) -> &'static str {
    match level {
        EscalationLevel::Primary => "primary",
        EscalationLevel::Backup => "backup",
        EscalationLevel::Leader => "leader",
    }
}

/// Why an acknowledgement link was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// Not a token this server writes.
    #[error("liên kết xác nhận không hợp lệ / malformed acknowledgement link")]
    Malformed,
    /// The signature does not match: altered, or signed under another secret.
    #[error("liên kết xác nhận đã bị sửa đổi / acknowledgement link was tampered with")]
    BadSignature,
    /// Authentic but past its expiry.
    #[error("liên kết xác nhận đã hết hạn lúc {} / acknowledgement link expired", format_local(*.expired_at))]
    Expired {
        /// When it expired.
        expired_at: Timestamp,
    },
    /// The configured secret is too short to sign with.
    #[error("khóa ký quá ngắn (cần ít nhất {MIN_SECRET_BYTES} byte) / signing secret too short")]
    WeakSecret,
}

/// Shortest secret accepted for signing links.
pub const MIN_SECRET_BYTES: usize = 16;

/// Separates these MACs from any other use of the same secret.
const ACK_CONTEXT: &[u8] = b"canhgac-ack-v1.";

/// The claims of an acknowledgement link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckToken {
    /// The alert's key.
    pub alert_key: String,
    /// The person acknowledging.
    pub person_id: Id,
    /// The last instant the link works.
    pub expires: Timestamp,
}

fn mac(secret: &Secret, payload: &str) -> Result<Hmac<Sha256>, AckError> {
    if secret.expose().len() < MIN_SECRET_BYTES {
        return Err(AckError::WeakSecret);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| AckError::WeakSecret)?;
    mac.update(ACK_CONTEXT);
    mac.update(payload.as_bytes());
    Ok(mac)
}

impl AckToken {
    /// A URL-safe token (`[A-Za-z0-9_-]` and one `.`) for `person_id` acknowledging
    /// `alert_key` until `expires`.
    pub fn sign(
        alert_key: &str,
        person_id: Id,
        expires: Timestamp,
        secret: &Secret,
    ) -> Result<String, AckError> {
        let claims = format!("{alert_key}\n{person_id}\n{}", expires.as_second());
        let payload = URL_SAFE_NO_PAD.encode(claims);
        let tag = mac(secret, &payload)?.finalize().into_bytes();
        Ok(format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag)))
    }

    /// Checks a token's signature (in constant time) and then its expiry; a token altered in any
    /// way is [`AckError::BadSignature`], an authentic one past `expires` is
    /// [`AckError::Expired`].
    pub fn verify(token: &str, secret: &Secret, now: Timestamp) -> Result<AckToken, AckError> {
        let (payload, tag) = token.trim().split_once('.').ok_or(AckError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| AckError::Malformed)?;
        mac(secret, payload)?
            .verify_slice(&tag)
            .map_err(|_| AckError::BadSignature)?;
        // Authentic from here on: a malformed payload would be our own bug.
        let claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(AckError::Malformed)?;
        let mut parts = claims.split('\n');
        let (Some(alert_key), Some(person), Some(expires), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AckError::Malformed);
        };
        let person_id = person.parse().map_err(|_| AckError::Malformed)?;
        let expires = expires
            .parse()
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .ok_or(AckError::Malformed)?;
        if now > expires {
            return Err(AckError::Expired {
                expired_at: expires,
            });
        }
        Ok(AckToken {
            alert_key: alert_key.to_string(),
            person_id,
            expires,
        })
    }
}

/// The acknowledgement link of a token: `{console_url}/ack/{token}`.
pub fn ack_link(console_url: &str, token: &str) -> String {
    format!("{}/ack/{token}", console_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::roster::{vietnam_time_zone, Person, Shift};
    use crate::routing::{AlertOrigin, UnitLeader};
    use jiff::civil::DateTime;

    fn at(text: &str) -> Timestamp {
        vietnam_time_zone()
            .to_timestamp(text.parse::<DateTime>().unwrap())
            .unwrap()
    }

    fn state(severity: Severity) -> EscalationState {
        EscalationState {
            alert_key: "alert:42".into(),
            severity,
            paged_at: at("2026-02-16T02:00"),
            acknowledged_at: None,
            reached: EscalationLevel::Primary,
        }
    }

    #[test]
    fn unacknowledged_alerts_go_to_the_backup_then_the_leader() {
        let policy = EscalationPolicy::default();
        let mut s = state(Severity::High);
        // The clock is ours: 14:59 after the page, nothing; at 15:00, the backup.
        assert_eq!(
            next_escalation(&s, &policy, at("2026-02-16T02:14:59")),
            None
        );
        assert_eq!(next_check(&s, &policy), Some(at("2026-02-16T02:15")));
        let step = next_escalation(&s, &policy, at("2026-02-16T02:15")).unwrap();
        assert_eq!(step.level, EscalationLevel::Backup);
        s.reached = step.level;
        // The leader 30 minutes after the backup.
        assert_eq!(next_escalation(&s, &policy, at("2026-02-16T02:44")), None);
        let step = next_escalation(&s, &policy, at("2026-02-16T02:45")).unwrap();
        assert_eq!(
            (step.level, step.due_at),
            (EscalationLevel::Leader, at("2026-02-16T02:45"))
        );
        s.reached = step.level;
        assert_eq!(next_escalation(&s, &policy, at("2026-02-17T00:00")), None);
        assert_eq!(next_check(&s, &policy), None);

        // A scheduler that slept through both delays still goes one level at a time.
        let late = state(Severity::Critical);
        let step = next_escalation(&late, &policy, at("2026-02-16T09:00")).unwrap();
        assert_eq!(
            (step.level, step.due_at),
            (EscalationLevel::Backup, at("2026-02-16T02:10"))
        );

        // Acknowledged alerts and severities without delays never escalate.
        let mut acked = state(Severity::Critical);
        acked.acknowledged_at = Some(at("2026-02-16T02:05"));
        assert_eq!(
            next_escalation(&acked, &policy, at("2026-02-16T09:00")),
            None
        );
        assert_eq!(
            next_escalation(&state(Severity::Low), &policy, at("2026-02-20T00:00")),
            None
        );
    }

    #[test]
    fn escalations_page_the_backup_and_leader_on_duty() {
        let mut an = Person::new(10, "Nguyễn Văn An");
        an.email = Some("an@example.gov.vn".into());
        let mut binh = Person::new(11, "Trần Thị Bình");
        binh.email = Some("binh@example.gov.vn".into());
        let mut chi = Person::new(12, "Lê Minh Chi");
        chi.email = Some("chi@example.gov.vn".into());
        let roster = RosterView {
            shifts: vec![Shift {
                id: 1,
                start: at("2026-02-16T00:00"),
                end: at("2026-02-16T08:00"),
                unit_id: Some(5),
                primary: an.on_duty(),
                backup: Some(binh.on_duty()),
                note: String::new(),
            }],
            people: vec![an, binh, chi],
            leaders: vec![UnitLeader {
                unit_id: Some(5),
                person_id: 12,
            }],
        };
        let alert = AlertSummary {
            key: "alert:42".into(),
            source: AlertOrigin::Detection,
            severity: Severity::High,
            unit_id: Some(5),
            rule_id: "r".into(),
            tags: vec![],
            title_vi: "Tấn công".into(),
            title_en: "Attack".into(),
            link: "https://soc/alerts/42".into(),
            raised_at: at("2026-02-16T02:00"),
        };
        let policy = EscalationPolicy::default();
        let now = at("2026-02-16T02:15");
        let backup = Escalation {
            level: EscalationLevel::Backup,
            due_at: now,
        };
        let plan = plan_escalation(&alert, &backup, &policy, &roster, now);
        let keys: Vec<&str> = plan
            .notifications
            .iter()
            .map(|n| n.dedup_key.as_str())
            .collect();
        assert_eq!(keys, ["notify:alert:42:11:email"]);
        let leader = Escalation {
            level: EscalationLevel::Leader,
            due_at: now,
        };
        let plan = plan_escalation(&alert, &leader, &policy, &roster, now);
        assert_eq!(plan.notifications[0].person.id, 12);
        assert_eq!(plan.notifications[0].role, Recipient::UnitLeader);
    }

    #[test]
    fn ack_tokens_round_trip_and_refuse_tampering_and_expiry() {
        let secret = Secret::new("a-test-secret-of-enough-length");
        let expires = at("2026-02-17T02:00");
        let token = AckToken::sign("alert:42", 10, expires, &secret).unwrap();
        assert!(token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'));
        let claims = AckToken::verify(&token, &secret, at("2026-02-16T03:00")).unwrap();
        assert_eq!(
            claims,
            AckToken {
                alert_key: "alert:42".into(),
                person_id: 10,
                expires
            }
        );
        // At the expiry instant it still works; a second later it does not.
        assert!(AckToken::verify(&token, &secret, expires).is_ok());
        let after = expires.checked_add(SignedDuration::from_secs(1)).unwrap();
        assert_eq!(
            AckToken::verify(&token, &secret, after),
            Err(AckError::Expired {
                expired_at: expires
            })
        );
        // Another person's claims under the same signature.
        let (payload, tag) = token.split_once('.').unwrap();
        let forged_claims =
            URL_SAFE_NO_PAD.encode(format!("alert:42\n11\n{}", expires.as_second()));
        assert_ne!(forged_claims, payload);
        let forged = format!("{forged_claims}.{tag}");
        let now = at("2026-02-16T03:00");
        assert_eq!(
            AckToken::verify(&forged, &secret, now),
            Err(AckError::BadSignature)
        );
        // A longer expiry, same trick: still refused, not "expired" or accepted.
        let later =
            URL_SAFE_NO_PAD.encode(format!("alert:42\n10\n{}", expires.as_second() + 86400));
        assert_eq!(
            AckToken::verify(&format!("{later}.{tag}"), &secret, after),
            Err(AckError::BadSignature)
        );
        // Each character of the signature matters.
        let mut flipped = token.clone().into_bytes();
        let inside = payload.len() + 5;
        flipped[inside] = if flipped[inside] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            AckToken::verify(&flipped, &secret, now),
            Err(AckError::BadSignature)
        );
        // Another server's secret.
        let other = Secret::new("another-secret-of-enough-length");
        assert_eq!(
            AckToken::verify(&token, &other, now),
            Err(AckError::BadSignature)
        );
        assert_eq!(
            AckToken::verify("no-dot-here", &secret, now),
            Err(AckError::Malformed)
        );
        assert_eq!(
            AckToken::sign("alert:42", 10, expires, &Secret::new("short")),
            Err(AckError::WeakSecret)
        );
        let expired = AckError::Expired {
            expired_at: expires,
        }
        .to_string();
        assert!(
            expired.starts_with("liên kết xác nhận đã hết hạn lúc 17/02/2026 02:00"),
            "{expired}"
        );
        assert_eq!(
            ack_link("https://soc.example.gov.vn/", &token),
            format!("https://soc.example.gov.vn/ack/{token}")
        );
    }
}
