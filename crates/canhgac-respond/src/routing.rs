//! Notification routing: which people hear of an alert, on which channels, and when.
//!
//! Every source (detection alerts, scan and intel findings, watch monitors, flow detectors)
//! hands over the same small [`AlertSummary`]. [`route`] matches it against the
//! [`RoutingRule`]s (severity at least X, units, sources, rule-id and tag patterns), resolves
//! each rule's recipients through the roster ([`RosterView`]: the on-duty primary and backup,
//! the unit leader, named people) and plans one [`PlannedNotification`] per person and channel,
//! with a dedup key `notify:{alert}:{person}:{channel}` that the outbox keeps unique, so routing
//! the same alert again never sends twice.
//!
//! Timing: low severities can go to a digest sent at fixed times of day; quiet hours (e.g.
//! 22:00–06:00) hold everything but critical alerts until they end. Times of day are
//! Asia/Ho_Chi_Minh.
//!
//! ```
//! use canhgac_model::{Severity, Timestamp};
//! use canhgac_respond::roster::{Person, Shift};
//! use canhgac_respond::routing::{route, AlertOrigin, AlertSummary, RosterView, RoutingRule};
//!
//! let now: Timestamp = "2026-02-16T19:00:00Z".parse().unwrap(); // 02:00 in Hà Nội
//! let mut an = Person::new(10, "Nguyễn Văn An");
//! an.email = Some("an@example.gov.vn".into());
//! let roster = RosterView {
//!     shifts: vec![Shift {
//!         id: 1,
//!         start: "2026-02-16T15:00:00Z".parse().unwrap(),
//!         end: "2026-02-16T23:00:00Z".parse().unwrap(),
//!         unit_id: None,
//!         primary: an.on_duty(),
//!         backup: None,
//!         note: String::new(),
//!     }],
//!     people: vec![an],
//!     leaders: vec![],
//! };
//! let alert = AlertSummary {
//!     key: "alert:42".into(),
//!     source: AlertOrigin::Detection,
//!     severity: Severity::High,
//!     unit_id: Some(5),
//!     rule_id: "sigma-bruteforce".into(),
//!     tags: vec![],
//!     title_vi: "Tấn công dò mật khẩu".into(),
//!     title_en: "Password guessing".into(),
//!     link: "https://soc.example.gov.vn/alerts/42".into(),
//!     raised_at: now,
//! };
//! let plan = route(&alert, &[RoutingRule::new("cao", Severity::High)], &roster, now);
//! assert_eq!(plan.notifications[0].dedup_key, "notify:alert:42:10:email");
//! let draft = plan.notifications[0].draft(&alert, None); // into the outbox
//! assert_eq!(draft.recipient, "an@example.gov.vn");
//! ```

use std::fmt;

use canhgac_model::bulletin::{OutboxDraft, EMAIL_CHANNEL};
use canhgac_model::{Alert, AlertSource, Finding, FindingSource, Id, Severity, Timestamp};
use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::roster::{format_local, on_duty_at, vietnam_time_zone, DutyPerson, Person, Shift};

/// Outbox channel name of webhook messages.
pub const WEBHOOK_CHANNEL: &str = "webhook";
/// Outbox channel name of Telegram messages.
pub const TELEGRAM_CHANNEL: &str = "telegram";
/// Outbox channel name of Zalo messages.
pub const ZALO_CHANNEL: &str = "zalo";

/// A way of reaching people; its [`name`](ChannelKind::name) is the outbox channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// SMTP email to the person's address.
    Email,
    /// A signed JSON POST to the configured webhook, naming the person.
    Webhook,
    /// A Telegram bot message to the person's chat.
    Telegram,
    /// A Zalo Official Account message to the person.
    Zalo,
}

impl ChannelKind {
    /// The outbox channel name.
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Email => EMAIL_CHANNEL,
            ChannelKind::Webhook => WEBHOOK_CHANNEL,
            ChannelKind::Telegram => TELEGRAM_CHANNEL,
            ChannelKind::Zalo => ZALO_CHANNEL,
        }
    }

    /// The person's address on this channel, if they have one. Every person is reachable by
    /// webhook: the receiving system is told who is paged (`person:{id}`).
    pub fn address(self, person: &Person) -> Option<String> {
        let nonempty = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        match self {
            ChannelKind::Email => nonempty(&person.email),
            ChannelKind::Webhook => Some(format!("person:{}", person.id)),
            ChannelKind::Telegram => nonempty(&person.telegram_chat_id),
            ChannelKind::Zalo => nonempty(&person.zalo_user_id),
        }
    }
}

/// The kind of source an alert comes from, as routing rules name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertOrigin {
    /// Detection: Sigma rules, correlations, indicator matches.
    Detection,
    /// The external scanner (and other findings of weaknesses).
    Scan,
    /// Monitors: down, certificate expiring, DNS changed, defacement.
    Watch,
    /// Threat intelligence: advisories, exposed hosts, leaked accounts.
    Intel,
    /// Network flow detectors (DDoS, scans).
    Flow,
}

impl AlertOrigin {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            AlertOrigin::Detection => "Phát hiện tấn công",
            AlertOrigin::Scan => "Rà quét",
            AlertOrigin::Watch => "Giám sát",
            AlertOrigin::Intel => "Tình báo mối đe dọa",
            AlertOrigin::Flow => "Lưu lượng mạng",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            AlertOrigin::Detection => "detection",
            AlertOrigin::Scan => "scan",
            AlertOrigin::Watch => "watch",
            AlertOrigin::Intel => "intel",
            AlertOrigin::Flow => "flow",
        }
    }
}

/// What routing needs to know of an alert, whatever raised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSummary {
    /// Stable identity across sources: `alert:42`, `finding:7`, `flow:3`, ... It is part of
    /// every dedup key and acknowledgement link.
    pub key: String,
    /// Kind of source.
    pub source: AlertOrigin,
    /// Severity.
    pub severity: Severity,
    /// Unit concerned; `None` when unattributed (routed as the province).
    pub unit_id: Option<Id>,
    /// The rule's id within its source (Sigma id, check id, monitor id, ...).
    pub rule_id: String,
    /// Tags such as `attack.t1190`.
    pub tags: Vec<String>,
    /// Title in Vietnamese.
    pub title_vi: String,
    /// Title in English.
    pub title_en: String,
    /// Link to the alert in the console.
    pub link: String,
    /// When it was raised.
    pub raised_at: Timestamp,
}

impl AlertSummary {
    /// The summary of a stored alert; `console_url` is the console's public base URL.
    pub fn from_alert(alert: &Alert, console_url: &str) -> Self {
        let source = match alert.source {
            AlertSource::Sigma | AlertSource::Correlation | AlertSource::Indicator => {
                AlertOrigin::Detection
            }
            AlertSource::Monitor => AlertOrigin::Watch,
            AlertSource::Finding => AlertOrigin::Scan,
            AlertSource::Flow => AlertOrigin::Flow,
        };
        Self {
            key: format!("alert:{}", alert.id),
            source,
            severity: alert.severity,
            unit_id: alert.unit_id,
            rule_id: alert.rule_key.clone(),
            tags: alert.tags.clone(),
            title_vi: alert.title.clone(),
            title_en: alert.title.clone(),
            link: format!("{}/alerts/{}", console_url.trim_end_matches('/'), alert.id),
            raised_at: alert.first_seen,
        }
    }

    /// The summary of a stored finding.
    pub fn from_finding(finding: &Finding, console_url: &str) -> Self {
        let source = match finding.source {
            FindingSource::Intel | FindingSource::Exposure => AlertOrigin::Intel,
            FindingSource::Scan | FindingSource::Malware | FindingSource::Passwords => {
                AlertOrigin::Scan
            }
        };
        Self {
            key: format!("finding:{}", finding.id),
            source,
            severity: finding.severity,
            unit_id: finding.unit_id,
            rule_id: finding.key.clone(),
            tags: vec![finding.category.clone()],
            title_vi: finding.title.clone(),
            title_en: finding.title.clone(),
            link: format!(
                "{}/findings/{}",
                console_url.trim_end_matches('/'),
                finding.id
            ),
            raised_at: finding.first_seen,
        }
    }
}

/// Who a rule notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The primary on duty for the alert's unit.
    OnDutyPrimary,
    /// The backup on duty for the alert's unit.
    OnDutyBackup,
    /// The leader of the alert's unit (or of the province when the unit has none).
    UnitLeader,
    /// A named person.
    Person(Id),
}

impl Recipient {
    /// Vietnamese label of the role.
    pub fn label_vi(self) -> &'static str {
        match self {
            Recipient::OnDutyPrimary => "trực chính",
            Recipient::OnDutyBackup => "trực dự phòng",
            Recipient::UnitLeader => "lãnh đạo đơn vị",
            Recipient::Person(_) => "người nhận chỉ định",
        }
    }
}

/// A daily window, in Asia/Ho_Chi_Minh, that may wrap midnight (22:00–06:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Start of the window.
    pub start: Time,
    /// End of the window (the first minute notifications go out again).
    pub end: Time,
}

impl QuietHours {
    /// True when `at` falls in the window.
    pub fn contains(&self, at: Timestamp) -> bool {
        let time = at.to_zoned(vietnam_time_zone()).time();
        if self.start <= self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// The end of the window that holds `at`, or `at` itself outside the window.
    pub fn release(&self, at: Timestamp) -> Timestamp {
        if !self.contains(at) {
            return at;
        }
        next_time_of_day(at, &[self.end]).unwrap_or(at)
    }
}

/// The first instant strictly after `after` whose local time is one of `times`.
fn next_time_of_day(after: Timestamp, times: &[Time]) -> Option<Timestamp> {
    let zoned = after.to_zoned(vietnam_time_zone());
    let today = zoned.date();
    let mut best: Option<Timestamp> = None;
    for day in [Some(today), today.tomorrow().ok()].into_iter().flatten() {
        for time in times {
            let Ok(candidate) = day.to_datetime(*time).to_zoned(vietnam_time_zone()) else {
                continue;
            };
            let candidate = candidate.timestamp();
            if candidate > after && best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
    }
    best
}

/// Collect alerts below a severity into one message at fixed times of day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestPolicy {
    /// Alerts of lower severity than this go to the digest.
    pub below: Severity,
    /// When digests are sent, Asia/Ho_Chi_Minh (e.g. 08:00 and 16:30).
    pub at: Vec<Time>,
}

/// A routing rule: which alerts, to whom, on which channels, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    /// Name, shown in the console and in plans.
    pub name: String,
    /// Lowest severity the rule takes.
    pub min_severity: Severity,
    /// Units the rule takes; empty for all (and unattributed alerts).
    pub units: Vec<Id>,
    /// Sources the rule takes; empty for all.
    pub sources: Vec<AlertOrigin>,
    /// Rule-id patterns (`*` matches any run of characters, case ignored); empty for all.
    pub rule_patterns: Vec<String>,
    /// Tag patterns, one tag matching one pattern is enough; empty for all.
    pub tag_patterns: Vec<String>,
    /// Who is notified.
    pub notify: Vec<Recipient>,
    /// On which channels.
    pub channels: Vec<ChannelKind>,
    /// Low severities to a digest instead of one message each.
    pub digest: Option<DigestPolicy>,
    /// Hold non-critical notifications during these hours.
    pub quiet_hours: Option<QuietHours>,
}

impl RoutingRule {
    /// A rule taking every alert of `min_severity` or more, paging the on-duty primary by email.
    pub fn new(name: impl Into<String>, min_severity: Severity) -> Self {
        Self {
            name: name.into(),
            min_severity,
            units: Vec::new(),
            sources: Vec::new(),
            rule_patterns: Vec::new(),
            tag_patterns: Vec::new(),
            notify: vec![Recipient::OnDutyPrimary],
            channels: vec![ChannelKind::Email],
            digest: None,
            quiet_hours: None,
        }
    }

    /// True when the rule takes the alert.
    pub fn matches(&self, alert: &AlertSummary) -> bool {
        alert.severity >= self.min_severity
            && (self.units.is_empty() || alert.unit_id.is_some_and(|u| self.units.contains(&u)))
            && (self.sources.is_empty() || self.sources.contains(&alert.source))
            && (self.rule_patterns.is_empty()
                || self.rule_patterns.iter().any(|p| glob(p, &alert.rule_id)))
            && (self.tag_patterns.is_empty()
                || self
                    .tag_patterns
                    .iter()
                    .any(|p| alert.tags.iter().any(|t| glob(p, t))))
    }
}

/// `*`-wildcard match, case ignored.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    // Greedy match with backtracking to the last star: linear for patterns of one star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// A unit's leader, whom escalation reaches last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitLeader {
    /// The unit; `None` for the province's leader (the fallback of every unit).
    pub unit_id: Option<Id>,
    /// The person.
    pub person_id: Id,
}

/// What routing reads of the roster: shifts, people with their addresses, unit leaders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterView {
    /// Shifts around now.
    pub shifts: Vec<Shift>,
    /// Everyone who can be notified.
    pub people: Vec<Person>,
    /// Leaders of units.
    pub leaders: Vec<UnitLeader>,
}

impl RosterView {
    /// The person with this id.
    pub fn person(&self, id: Id) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// The leader of `unit`, else of the province.
    pub fn leader(&self, unit: Option<Id>) -> Option<&Person> {
        let of = |unit: Option<Id>| self.leaders.iter().find(|l| l.unit_id == unit);
        unit.and_then(|u| of(Some(u)))
            .or_else(|| of(None))
            .and_then(|l| self.person(l.person_id))
    }

    /// The person a recipient stands for at `now` (none when the role is empty).
    pub fn resolve(
        &self,
        recipient: Recipient,
        unit: Option<Id>,
        now: Timestamp,
    ) -> Option<&Person> {
        match recipient {
            Recipient::OnDutyPrimary => on_duty_at(&self.shifts, unit, now)
                .primary
                .and_then(|p| self.person(p.id)),
            Recipient::OnDutyBackup => on_duty_at(&self.shifts, unit, now)
                .backup
                .and_then(|p| self.person(p.id)),
            Recipient::UnitLeader => self.leader(unit),
            Recipient::Person(id) => self.person(id),
        }
    }
}

/// When a planned notification goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Now.
    Immediate,
    /// At the end of quiet hours.
    AfterQuietHours,
    /// In the next digest.
    Digest,
}

/// One message to one person on one channel about one alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedNotification {
    /// The alert's [`AlertSummary::key`].
    pub alert_key: String,
    /// Who.
    pub person: DutyPerson,
    /// Why them.
    pub role: Recipient,
    /// How.
    pub channel: ChannelKind,
    /// Their address on the channel.
    pub address: String,
    /// Now, the end of quiet hours, or the digest time.
    pub send_at: Timestamp,
    /// Which of those.
    pub delivery: Delivery,
    /// `notify:{alert}:{person}:{channel}`: the same for every routing of the same alert.
    pub dedup_key: String,
    /// The rule that planned it (the first, when several did).
    pub rule: String,
}

/// The dedup key of a notification about `alert_key` to `person` on `channel`.
pub fn dedup_key(alert_key: &str, person: Id, channel: ChannelKind) -> String {
    format!("notify:{alert_key}:{person}:{}", channel.name())
}

/// A recipient a rule named who cannot be reached on a channel (no address), or a role with
/// nobody in it: shown to the analyst, since a silent page is the worst failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreachable {
    /// The role.
    pub role: Recipient,
    /// The person, when the role has one.
    pub person: Option<DutyPerson>,
    /// The channel lacking an address (none when the role is empty).
    pub channel: Option<ChannelKind>,
}

/// What [`route`] decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutePlan {
    /// Messages to queue, one per person and channel.
    pub notifications: Vec<PlannedNotification>,
    /// Who could not be reached.
    pub unreachable: Vec<Unreachable>,
    /// Names of the rules that matched.
    pub matched_rules: Vec<String>,
}

/// Plans the notifications of `alert` at `now`: every matching rule's recipients on its
/// channels; when several rules reach the same person on the same channel the earliest delivery
/// wins. Critical alerts ignore quiet hours and digests.
pub fn route(
    alert: &AlertSummary,
    rules: &[RoutingRule],
    roster: &RosterView,
    now: Timestamp,
) -> RoutePlan {
    let mut plan = RoutePlan::default();
    for rule in rules.iter().filter(|r| r.matches(alert)) {
        plan.matched_rules.push(rule.name.clone());
        let (delivery, send_at) = timing(alert, rule, now);
        for &role in &rule.notify {
            let Some(person) = roster.resolve(role, alert.unit_id, now) else {
                push_unique(
                    &mut plan.unreachable,
                    Unreachable {
                        role,
                        person: None,
                        channel: None,
                    },
                );
                continue;
            };
            for &channel in &rule.channels {
                let Some(address) = channel.address(person) else {
                    push_unique(
                        &mut plan.unreachable,
                        Unreachable {
                            role,
                            person: Some(person.on_duty()),
                            channel: Some(channel),
                        },
                    );
                    continue;
                };
                let planned = PlannedNotification {
                    alert_key: alert.key.clone(),
                    person: person.on_duty(),
                    role,
                    channel,
                    address,
                    send_at,
                    delivery,
                    dedup_key: dedup_key(&alert.key, person.id, channel),
                    rule: rule.name.clone(),
                };
                merge(&mut plan.notifications, planned);
            }
        }
    }
    plan
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn merge(list: &mut Vec<PlannedNotification>, planned: PlannedNotification) {
    match list.iter_mut().find(|p| p.dedup_key == planned.dedup_key) {
        Some(existing)
            if (planned.send_at, planned.delivery) < (existing.send_at, existing.delivery) =>
        {
            *existing = PlannedNotification {
                rule: existing.rule.clone(),
                role: existing.role,
                ..planned
            };
        }
        Some(_) => {}
        None => list.push(planned),
    }
}

fn timing(alert: &AlertSummary, rule: &RoutingRule, now: Timestamp) -> (Delivery, Timestamp) {
    if alert.severity == Severity::Critical {
        return (Delivery::Immediate, now);
    }
    if let Some(digest) = &rule.digest {
        if alert.severity < digest.below {
            if let Some(at) = next_time_of_day(now, &digest.at) {
                return (Delivery::Digest, at);
            }
        }
    }
    match rule.quiet_hours {
        Some(quiet) if quiet.contains(now) => (Delivery::AfterQuietHours, quiet.release(now)),
        _ => (Delivery::Immediate, now),
    }
}

/// English severity word.
pub fn severity_en(severity: Severity) -> &'static str {
    match severity {
        Severity::Informational => "Informational",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

/// The unit of an alert in a message: `#id`, or the province.
struct UnitLabel(Option<Id>);

impl fmt::Display for UnitLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(unit) => write!(f, "#{unit}"),
            None => f.write_str("toàn tỉnh / province-wide"),
        }
    }
}

impl PlannedNotification {
    /// The outbox message: Vietnamese first, then English; `ack_link` is the person's signed
    /// acknowledgement link ([`crate::escalation::AckToken`]), if acknowledgement is offered.
    pub fn draft(&self, alert: &AlertSummary, ack_link: Option<&str>) -> OutboxDraft {
        let severity_vi = alert.severity.label_vi();
        let severity_en = severity_en(alert.severity);
        let subject = format!(
            "[canhgac] [{severity_vi} / {severity_en}] {}",
            alert.title_vi
        );
        let mut text = format!(
            "Cảnh báo mức {severity_vi}: {}\n\
             Nguồn: {}\n\
             Đơn vị: {}\n\
             Quy tắc: {}\n\
             Thời điểm: {} (giờ Việt Nam)\n\
             Bạn nhận tin này với vai trò {}.\n\
             Chi tiết: {}\n",
            alert.title_vi,
            alert.source.label_vi(),
            UnitLabel(alert.unit_id),
            alert.rule_id,
            format_local(alert.raised_at),
            self.role.label_vi(),
            alert.link,
        );
        if let Some(link) = ack_link {
            text.push_str(&format!("Xác nhận đã nhận: {link}\n"));
        }
        text.push_str(&format!(
            "\n---\n{severity_en} alert: {}\nSource: {}\nRule: {}\nDetails: {}\n",
            alert.title_en,
            alert.source.label_en(),
            alert.rule_id,
            alert.link,
        ));
        if let Some(link) = ack_link {
            text.push_str(&format!("Acknowledge: {link}\n"));
        }
        OutboxDraft {
            channel: self.channel.name().to_string(),
            recipient: self.address.clone(),
            recipient_name: Some(self.person.name.clone()),
            subject,
            body_text: text,
            body_html: None,
            dedup_key: self.dedup_key.clone(),
            unit_id: alert.unit_id,
            bulletin_id: None,
        }
    }
}

/// The digest message for one person and channel at `slot` (the digest time), listing
/// `alerts`; its dedup key `digest:{person}:{channel}:{slot}` makes it go once per slot.
pub fn digest_draft(
    person: &DutyPerson,
    channel: ChannelKind,
    address: &str,
    slot: Timestamp,
    alerts: &[AlertSummary],
) -> OutboxDraft {
    let when = format_local(slot);
    let mut text = format!("Tổng hợp {} cảnh báo mức thấp đến {when}:\n", alerts.len());
    for alert in alerts {
        text.push_str(&format!(
            "- [{}] {} ({})\n  {}\n",
            alert.severity.label_vi(),
            alert.title_vi,
            format_local(alert.raised_at),
            alert.link
        ));
    }
    text.push_str(&format!(
        "\n---\nDigest of {} low-severity alerts up to {when}.\n",
        alerts.len()
    ));
    OutboxDraft {
        channel: channel.name().to_string(),
        recipient: address.to_string(),
        recipient_name: Some(person.name.clone()),
        subject: format!(
            "[canhgac] Tổng hợp cảnh báo / Alert digest {when} ({})",
            alerts.len()
        ),
        body_text: text,
        body_html: None,
        dedup_key: format!(
            "digest:{}:{}:{}",
            person.id,
            channel.name(),
            slot.as_second()
        ),
        unit_id: None,
        bulletin_id: None,
    }
}

/// The digest messages due from planned [`Delivery::Digest`] notifications (with the alert each
/// is about): one per person, channel and digest time, alerts in the order given.
pub fn digest_drafts(planned: &[(PlannedNotification, AlertSummary)]) -> Vec<OutboxDraft> {
    let mut groups: Vec<(&PlannedNotification, Vec<AlertSummary>)> = Vec::new();
    for (notification, alert) in planned
        .iter()
        .filter(|(n, _)| n.delivery == Delivery::Digest)
    {
        let same = |g: &&mut (&PlannedNotification, Vec<AlertSummary>)| {
            g.0.person.id == notification.person.id
                && g.0.channel == notification.channel
                && g.0.send_at == notification.send_at
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(group) => group.1.push(alert.clone()),
            None => groups.push((notification, vec![alert.clone()])),
        }
    }
    groups
        .into_iter()
        .map(|(n, alerts)| digest_draft(&n.person, n.channel, &n.address, n.send_at, &alerts))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::civil::{time, DateTime};

    fn at(text: &str) -> Timestamp {
        vietnam_time_zone()
            .to_timestamp(text.parse::<DateTime>().unwrap())
            .unwrap()
    }

    fn roster() -> RosterView {
        let mut an = Person::new(10, "Nguyễn Văn An");
        an.email = Some("an@example.gov.vn".into());
        an.telegram_chat_id = Some("1001".into());
        let mut binh = Person::new(11, "Trần Thị Bình");
        binh.email = Some("binh@example.gov.vn".into());
        let mut chi = Person::new(12, "Lê Minh Chi");
        chi.email = Some("chi@example.gov.vn".into());
        chi.zalo_user_id = Some("z-12".into());
        RosterView {
            shifts: vec![Shift {
                id: 1,
                start: at("2026-02-14T00:00"),
                end: at("2026-02-18T00:00"),
                unit_id: Some(5),
                primary: an.on_duty(),
                backup: Some(binh.on_duty()),
                note: String::new(),
            }],
            people: vec![an, binh, chi],
            leaders: vec![UnitLeader {
                unit_id: None,
                person_id: 12,
            }],
        }
    }

    fn alert(severity: Severity) -> AlertSummary {
        AlertSummary {
            key: "alert:42".into(),
            source: AlertOrigin::Detection,
            severity,
            unit_id: Some(5),
            rule_id: "sigma-webshell-1".into(),
            tags: vec!["attack.t1505.003".into(), "attack.persistence".into()],
            title_vi: "Phát hiện web shell trên cổng thông tin".into(),
            title_en: "Web shell on the portal".into(),
            link: "https://soc.example.gov.vn/alerts/42".into(),
            raised_at: at("2026-02-16T02:00"),
        }
    }

    fn quiet() -> QuietHours {
        QuietHours {
            start: time(22, 0, 0, 0),
            end: time(6, 0, 0, 0),
        }
    }

    #[test]
    fn severity_threshold_and_filters_select_rules() {
        let mut rule = RoutingRule::new("cao", Severity::High);
        rule.sources = vec![AlertOrigin::Detection];
        rule.tag_patterns = vec!["attack.t1505*".into()];
        assert!(rule.matches(&alert(Severity::High)));
        assert!(rule.matches(&alert(Severity::Critical)));
        assert!(!rule.matches(&alert(Severity::Medium)));
        let mut scan = alert(Severity::High);
        scan.source = AlertOrigin::Scan;
        assert!(!rule.matches(&scan));
        rule.units = vec![6];
        assert!(!rule.matches(&alert(Severity::High)));
        rule.units = vec![5, 6];
        rule.rule_patterns = vec!["SIGMA-*-1".into()];
        assert!(rule.matches(&alert(Severity::High)));
        rule.rule_patterns = vec!["sigma-*-2".into()];
        assert!(!rule.matches(&alert(Severity::High)));
        assert!(glob("*a*b", "xxaxxb") && !glob("a*b", "ab c") && glob("*", ""));
    }

    #[test]
    fn routes_to_the_on_duty_people_with_stable_dedup_keys() {
        let mut rule = RoutingRule::new("trực", Severity::Medium);
        rule.notify = vec![Recipient::OnDutyPrimary, Recipient::OnDutyBackup];
        rule.channels = vec![
            ChannelKind::Email,
            ChannelKind::Telegram,
            ChannelKind::Webhook,
        ];
        let now = at("2026-02-16T02:00");
        let plan = route(&alert(Severity::High), &[rule.clone()], &roster(), now);
        let got: Vec<(&str, &str, Delivery)> = plan
            .notifications
            .iter()
            .map(|n| (n.dedup_key.as_str(), n.address.as_str(), n.delivery))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "notify:alert:42:10:email",
                    "an@example.gov.vn",
                    Delivery::Immediate
                ),
                ("notify:alert:42:10:telegram", "1001", Delivery::Immediate),
                (
                    "notify:alert:42:10:webhook",
                    "person:10",
                    Delivery::Immediate
                ),
                (
                    "notify:alert:42:11:email",
                    "binh@example.gov.vn",
                    Delivery::Immediate
                ),
                (
                    "notify:alert:42:11:webhook",
                    "person:11",
                    Delivery::Immediate
                ),
            ]
        );
        // Bình has no Telegram chat: reported, not silently dropped.
        assert_eq!(
            plan.unreachable,
            [Unreachable {
                role: Recipient::OnDutyBackup,
                person: Some(roster().people[1].on_duty()),
                channel: Some(ChannelKind::Telegram),
            }]
        );
        // Routing again later, or with the rule twice, plans the same keys.
        let again = route(
            &alert(Severity::High),
            &[rule.clone(), rule],
            &roster(),
            at("2026-02-16T03:00"),
        );
        let keys = |p: &RoutePlan| -> Vec<String> {
            p.notifications
                .iter()
                .map(|n| n.dedup_key.clone())
                .collect()
        };
        assert_eq!(keys(&plan), keys(&again));
        // Outside any shift of unit 5 the primary role is empty.
        let later = route(
            &alert(Severity::High),
            &[RoutingRule::new("x", Severity::Low)],
            &roster(),
            at("2026-03-01T00:00"),
        );
        assert!(later.notifications.is_empty());
        assert_eq!(later.unreachable[0].person, None);
    }

    #[test]
    fn quiet_hours_hold_all_but_critical() {
        let mut rule = RoutingRule::new("đêm", Severity::Medium);
        rule.quiet_hours = Some(quiet());
        let night = at("2026-02-16T02:00");
        let high = route(&alert(Severity::High), &[rule.clone()], &roster(), night);
        assert_eq!(high.notifications[0].delivery, Delivery::AfterQuietHours);
        assert_eq!(high.notifications[0].send_at, at("2026-02-16T06:00"));
        // 23:00 is held to 06:00 of the next day.
        let late = route(
            &alert(Severity::High),
            &[rule.clone()],
            &roster(),
            at("2026-02-15T23:00"),
        );
        assert_eq!(late.notifications[0].send_at, at("2026-02-16T06:00"));
        let critical = route(
            &alert(Severity::Critical),
            &[rule.clone()],
            &roster(),
            night,
        );
        assert_eq!(critical.notifications[0].delivery, Delivery::Immediate);
        assert_eq!(critical.notifications[0].send_at, night);
        // At 06:00 exactly quiet hours are over.
        let morning = at("2026-02-16T06:00");
        let day = route(&alert(Severity::High), &[rule], &roster(), morning);
        assert_eq!(
            (day.notifications[0].delivery, day.notifications[0].send_at),
            (Delivery::Immediate, morning)
        );
    }

    #[test]
    fn low_severities_go_to_the_digest_and_the_earliest_rule_wins() {
        let mut digest = RoutingRule::new("tổng hợp", Severity::Low);
        digest.digest = Some(DigestPolicy {
            below: Severity::High,
            at: vec![time(8, 0, 0, 0), time(16, 30, 0, 0)],
        });
        let noon = at("2026-02-16T12:00");
        let plan = route(&alert(Severity::Medium), &[digest.clone()], &roster(), noon);
        assert_eq!(plan.notifications[0].delivery, Delivery::Digest);
        assert_eq!(plan.notifications[0].send_at, at("2026-02-16T16:30"));
        let evening = route(
            &alert(Severity::Low),
            &[digest.clone()],
            &roster(),
            at("2026-02-16T17:00"),
        );
        assert_eq!(evening.notifications[0].send_at, at("2026-02-17T08:00"));
        let high = route(&alert(Severity::High), &[digest.clone()], &roster(), noon);
        assert_eq!(high.notifications[0].delivery, Delivery::Immediate);
        // A second rule paging the same person at once beats the digest, under one key.
        let both = route(
            &alert(Severity::Medium),
            &[digest.clone(), RoutingRule::new("ngay", Severity::Medium)],
            &roster(),
            noon,
        );
        assert_eq!(both.notifications.len(), 1);
        assert_eq!(both.notifications[0].delivery, Delivery::Immediate);
        assert_eq!(both.matched_rules, ["tổng hợp", "ngay"]);

        let person = roster().people[0].on_duty();
        let draft = digest_draft(
            &person,
            ChannelKind::Email,
            "an@example.gov.vn",
            at("2026-02-16T16:30"),
            &[alert(Severity::Medium), alert(Severity::Low)],
        );
        assert_eq!(
            draft.dedup_key,
            format!("digest:10:email:{}", at("2026-02-16T16:30").as_second())
        );
        assert!(draft.body_text.starts_with("Tổng hợp 2 cảnh báo"));

        // Grouping what routing planned: one digest per person, channel and time.
        let mut second = alert(Severity::Low);
        second.key = "alert:43".into();
        let mut planned = Vec::new();
        for a in [alert(Severity::Medium), second, alert(Severity::High)] {
            for n in route(&a, std::slice::from_ref(&digest), &roster(), noon).notifications {
                planned.push((n, a.clone()));
            }
        }
        let drafts = digest_drafts(&planned);
        assert_eq!(drafts.len(), 1, "the high alert went out at once");
        assert!(drafts[0].body_text.starts_with("Tổng hợp 2 cảnh báo"));
        assert_eq!(drafts[0].recipient, "an@example.gov.vn");
    }

    #[test]
    fn leader_falls_back_to_the_province_and_drafts_are_vietnamese_first() {
        let mut rule = RoutingRule::new("lãnh đạo", Severity::Critical);
        rule.notify = vec![Recipient::UnitLeader];
        rule.channels = vec![ChannelKind::Zalo];
        let plan = route(
            &alert(Severity::Critical),
            &[rule],
            &roster(),
            at("2026-02-16T02:00"),
        );
        let n = &plan.notifications[0];
        assert_eq!((n.person.id, n.address.as_str()), (12, "z-12"));
        let draft = n.draft(
            &alert(Severity::Critical),
            Some("https://soc.example.gov.vn/ack/t"),
        );
        assert_eq!(draft.channel, "zalo");
        assert_eq!(draft.dedup_key, "notify:alert:42:12:zalo");
        assert!(draft
            .subject
            .starts_with("[canhgac] [Nghiêm trọng / Critical] Phát hiện web shell"));
        let vi = draft
            .body_text
            .find("Xác nhận đã nhận: https://soc.example.gov.vn/ack/t")
            .unwrap();
        let en = draft
            .body_text
            .find("Critical alert: Web shell on the portal")
            .unwrap();
        assert!(vi < en);
        assert!(draft.body_text.contains("16/02/2026 02:00"));
    }
}
