//! Answering attacks: operator scripts, signed webhooks, BGP blackholes (RTBH) and FlowSpec
//! rules through BIRD 2, each action audited.
//!
//! The [`Mitigator`] takes the detector's [`AttackEvent`]s with the current time and acts as the
//! attacked group's [`GroupMitigation`] says:
//!
//! - **script**: runs the operator's program with the event as JSON on stdin and the main fields
//!   in `CANHGAC_*` environment variables, killed after its timeout;
//! - **webhook**: POSTs the event as JSON, signed with HMAC-SHA256 of the body under the
//!   configured secret in `X-Canhgac-Signature: sha256=<hex>`;
//! - **blackhole** / **flowspec**: announces the attacked host (/32 or /128) through BIRD
//!   ([`bird`]), only for incoming attacks on one host, and only when the host lies inside the
//!   ranges registered for the attack's ISP unit ([`Mitigator::set_unit_ranges`]): anything
//!   else is refused and the refusal recorded. Routes are withdrawn by [`Mitigator::expire`]
//!   once their timeout has passed; `Updated` events of a continuing attack push it back.
//!
//! Every action returns a [`MitigationRecord`] for the audit log. The mitigator keeps its clock
//! explicit (`now_ms`), like the detector: the caller calls [`Mitigator::expire`] at
//! [`Mitigator::next_expiry_ms`]. Routes survive a restart when the caller stores
//! [`Mitigator::announcements`] and gives them back with [`Mitigator::restore_announcements`]
//! before [`Mitigator::sync`].
//!
//! ```toml
//! [bird]
//! socket = "/run/bird/bird.ctl"
//! routes_file = "/var/lib/canhgac/bird-routes.conf"
//! flow6_table = "flowtab6"
//!
//! [[groups]]
//! group = "Khách hàng ISP X"
//! kinds = ["syn_flood", "udp_flood", "amplification"]
//! blackhole = { communities = ["65535:666"], timeout_secs = 1800 }
//! flowspec = { action = "discard" }
//! webhook = { url = "https://noc.example.vn/canhgac", secret = "…" }
//! script = { path = "/usr/local/bin/chan-tan-cong", timeout_secs = 30 }
//! ```

pub mod bird;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use hmac::{Hmac, Mac};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;

use crate::detect::{Attack, AttackEvent, AttackKind, AttackTarget, Direction};
use bird::{BirdConfig, FlowSpecAction, FlowSpecRule, Route};

/// Header carrying the webhook body's HMAC-SHA256, as `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-canhgac-signature";
/// Header naming the event (`started`, `updated`, `ended`).
pub const EVENT_HEADER: &str = "x-canhgac-event";

/// A failure of one action or a configuration refused at start.
#[derive(Debug, thiserror::Error)]
pub enum MitigateError {
    /// A BGP community that is not `a:b` (16-bit parts) or `a:b:c` (32-bit parts).
    #[error("cộng đồng BGP «{0}» không hợp lệ: cần dạng 65535:666 hoặc 65000:666:1")]
    BadCommunity(String),
    /// A group's mitigation needs BIRD (`[bird]`) and none is configured.
    #[error("nhóm «{0}» dùng blackhole/FlowSpec nhưng chưa cấu hình BIRD")]
    NoBird(String),
    /// Routes were asked of a mitigator without BIRD.
    #[error("chưa cấu hình BIRD")]
    BirdNotConfigured,
    /// FlowSpec asked for an address family without a flow table.
    #[error("chưa cấu hình bảng {0} cho FlowSpec")]
    NoFlowTable(&'static str),
    /// The announcement falls outside the unit's registered ranges.
    #[error("từ chối công bố {prefix}: không thuộc dải địa chỉ đã đăng ký của đơn vị {unit_id}")]
    OutsideRegisteredRanges {
        /// The prefix refused.
        prefix: IpNet,
        /// The unit whose ranges were checked.
        unit_id: i64,
    },
    /// Writing the include file failed.
    #[error("không ghi được tệp tuyến {path}: {problem}")]
    RoutesFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        problem: String,
    },
    /// `birdc configure` failed or BIRD refused the configuration.
    #[error("birdc configure thất bại: {problem}")]
    Birdc {
        /// BIRD's reply or the error.
        problem: String,
    },
    /// The script could not run, timed out or failed.
    #[error("kịch bản {path}: {problem}")]
    Script {
        /// The program.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The webhook could not be delivered or was refused.
    #[error("webhook {url}: {problem}")]
    Webhook {
        /// The URL.
        url: String,
        /// What went wrong.
        problem: String,
    },
}

/// A BGP community, written `65535:666` (standard) or `65000:666:1` (large).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Community {
    /// RFC 1997 community.
    Standard(u16, u16),
    /// RFC 8092 large community.
    Large(u32, u32, u32),
}

impl TryFrom<String> for Community {
    type Error = MitigateError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        let bad = || MitigateError::BadCommunity(text.clone());
        let parts: Vec<&str> = text.trim().split(':').collect();
        match parts.as_slice() {
            [a, b] => Ok(Community::Standard(
                a.parse().map_err(|_| bad())?,
                b.parse().map_err(|_| bad())?,
            )),
            [a, b, c] => Ok(Community::Large(
                a.parse().map_err(|_| bad())?,
                b.parse().map_err(|_| bad())?,
                c.parse().map_err(|_| bad())?,
            )),
            _ => Err(bad()),
        }
    }
}

impl From<Community> for String {
    fn from(c: Community) -> String {
        match c {
            Community::Standard(a, b) => format!("{a}:{b}"),
            Community::Large(a, b, c) => format!("{a}:{b}:{c}"),
        }
    }
}

/// The whole mitigation configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MitigateConfig {
    /// The BIRD daemon used for blackholes and FlowSpec.
    #[serde(default)]
    pub bird: Option<BirdConfig>,
    /// What to do per group (by the detector's group name).
    #[serde(default)]
    pub groups: Vec<GroupMitigation>,
}

/// The actions for the attacks of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupMitigation {
    /// The detector's group name.
    pub group: String,
    /// Attack kinds acted on (`syn_flood`, `amplification`, ...); all when empty.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Run a program.
    #[serde(default)]
    pub script: Option<ScriptAction>,
    /// Call a webhook.
    #[serde(default)]
    pub webhook: Option<WebhookAction>,
    /// Announce a blackhole for the attacked host.
    #[serde(default)]
    pub blackhole: Option<BlackholeAction>,
    /// Announce a FlowSpec rule for the attacked host.
    #[serde(default)]
    pub flowspec: Option<FlowSpecConfig>,
}

/// Which events an action runs on.
fn default_events() -> Vec<String> {
    vec!["started".into(), "ended".into()]
}

/// An operator's program to run on attack events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptAction {
    /// The program.
    pub path: PathBuf,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Killed after this many seconds.
    #[serde(default = "default_script_timeout")]
    pub timeout_secs: u64,
    /// Events it runs on (`started`, `updated`, `ended`).
    #[serde(default = "default_events")]
    pub events: Vec<String>,
}

fn default_script_timeout() -> u64 {
    30
}

/// A URL to POST attack events to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookAction {
    /// The URL.
    pub url: String,
    /// The HMAC-SHA256 key; the receiver checks the signature header with it.
    pub secret: String,
    /// Request timeout in seconds.
    #[serde(default = "default_webhook_timeout")]
    pub timeout_secs: u64,
    /// Events it is called on (`started`, `updated`, `ended`).
    #[serde(default = "default_events")]
    pub events: Vec<String>,
}

fn default_webhook_timeout() -> u64 {
    10
}

/// Blackholing the attacked host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlackholeAction {
    /// Communities on the route; RFC 7999's BLACKHOLE (65535:666) by default.
    #[serde(default = "default_blackhole_communities")]
    pub communities: Vec<Community>,
    /// Withdrawn this many seconds after the last sign of the attack.
    #[serde(default = "default_announce_secs")]
    pub timeout_secs: u64,
}

fn default_blackhole_communities() -> Vec<Community> {
    vec![Community::Standard(65535, 666)]
}

fn default_announce_secs() -> u64 {
    1800
}

/// A FlowSpec rule matching the attack's signature towards the attacked host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSpecConfig {
    /// Discard or rate-limit.
    #[serde(default = "default_flowspec_action")]
    pub action: FlowSpecAction,
    /// Extra communities on the rule.
    #[serde(default)]
    pub communities: Vec<Community>,
    /// Withdrawn this many seconds after the last sign of the attack.
    #[serde(default = "default_announce_secs")]
    pub timeout_secs: u64,
}

fn default_flowspec_action() -> FlowSpecAction {
    FlowSpecAction::Discard
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// An operator script ran.
    Script,
    /// A webhook was called.
    Webhook,
    /// A blackhole was announced.
    BlackholeAnnounce,
    /// A blackhole was withdrawn.
    BlackholeWithdraw,
    /// A FlowSpec rule was announced.
    FlowSpecAnnounce,
    /// A FlowSpec rule was withdrawn.
    FlowSpecWithdraw,
}

impl ActionKind {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            ActionKind::Script => "chạy kịch bản",
            ActionKind::Webhook => "gọi webhook",
            ActionKind::BlackholeAnnounce => "công bố blackhole",
            ActionKind::BlackholeWithdraw => "rút blackhole",
            ActionKind::FlowSpecAnnounce => "công bố luật FlowSpec",
            ActionKind::FlowSpecWithdraw => "rút luật FlowSpec",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ActionKind::Script => "script run",
            ActionKind::Webhook => "webhook call",
            ActionKind::BlackholeAnnounce => "blackhole announced",
            ActionKind::BlackholeWithdraw => "blackhole withdrawn",
            ActionKind::FlowSpecAnnounce => "FlowSpec rule announced",
            ActionKind::FlowSpecWithdraw => "FlowSpec rule withdrawn",
        }
    }
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Done,
    /// Not done on purpose (e.g. outside the unit's ranges).
    Refused,
    /// Tried and failed.
    Failed,
}

impl Outcome {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Outcome::Done => "đã thực hiện",
            Outcome::Refused => "bị từ chối",
            Outcome::Failed => "thất bại",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// One action for the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MitigationRecord {
    /// The attack acted on.
    pub attack_id: u64,
    /// Its ISP unit.
    pub unit_id: i64,
    /// What was done.
    pub action: ActionKind,
    /// On what: the script path, webhook URL or route.
    pub target: String,
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Output or reply worth keeping (truncated).
    pub detail: Option<String>,
    /// Why it was refused or failed (Vietnamese).
    pub error: Option<String>,
}

/// A route we announce and until when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    /// The route.
    pub route: Route,
    /// The attack that caused it (the last one to extend it).
    pub attack_id: u64,
    /// The unit it was announced for.
    pub unit_id: i64,
    /// Withdrawn at or after this time.
    pub expires_ms: u64,
}

/// Runs the configured actions for attack events. See the [module documentation](self).
pub struct Mitigator {
    config: MitigateConfig,
    http: reqwest::Client,
    unit_ranges: HashMap<i64, Vec<IpNet>>,
    /// Keyed by the route's description, which names it uniquely.
    announcements: BTreeMap<String, Announcement>,
    /// Routes refused for an attack, so its updates do not refuse (and record) them again.
    refused: HashSet<(u64, String)>,
}

const DETAIL_LIMIT: usize = 2000;

/// Delay before a failed withdrawal is tried again.
const RETRY_WITHDRAW_MS: u64 = 60_000;

fn truncate(mut text: String) -> String {
    if text.len() > DETAIL_LIMIT {
        let mut cut = DETAIL_LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

impl Mitigator {
    /// A mitigator for this configuration; `http` is the client webhooks go through (the
    /// caller sets its TLS roots and proxy).
    pub fn new(config: MitigateConfig, http: reqwest::Client) -> Result<Self, MitigateError> {
        for group in &config.groups {
            if (group.blackhole.is_some() || group.flowspec.is_some()) && config.bird.is_none() {
                return Err(MitigateError::NoBird(group.group.clone()));
            }
        }
        Ok(Mitigator {
            config,
            http,
            unit_ranges: HashMap::new(),
            announcements: BTreeMap::new(),
            refused: HashSet::new(),
        })
    }

    /// The address ranges registered to each ISP unit; routes are only announced inside them.
    /// Replaces the previous set.
    pub fn set_unit_ranges(&mut self, ranges: impl IntoIterator<Item = (i64, IpNet)>) {
        self.unit_ranges.clear();
        for (unit, net) in ranges {
            self.unit_ranges.entry(unit).or_default().push(net.trunc());
        }
    }

    /// Routes announced now.
    pub fn announcements(&self) -> Vec<Announcement> {
        self.announcements.values().cloned().collect()
    }

    /// Takes back the routes of a previous run (from [`Mitigator::announcements`], stored by the
    /// caller), so their timeouts go on; call [`Mitigator::sync`] afterwards.
    pub fn restore_announcements(&mut self, announcements: impl IntoIterator<Item = Announcement>) {
        for announcement in announcements {
            self.announcements
                .insert(announcement.route.describe(), announcement);
        }
    }

    /// Rewrites BIRD's include file from the routes held now and reloads BIRD. At start-up this
    /// withdraws whatever an earlier run left behind and was not restored.
    pub async fn sync(&self) -> Result<String, MitigateError> {
        let Some(config) = &self.config.bird else {
            return Err(MitigateError::BirdNotConfigured);
        };
        let routes: Vec<&Route> = self.announcements.values().map(|a| &a.route).collect();
        bird::apply(config, &bird::render(config, &routes)).await
    }

    /// When the next route is due to be withdrawn, for the caller's timer.
    pub fn next_expiry_ms(&self) -> Option<u64> {
        self.announcements.values().map(|a| a.expires_ms).min()
    }

    /// Acts on one event; returns a record per action tried.
    pub async fn handle(&mut self, event: &AttackEvent, now_ms: u64) -> Vec<MitigationRecord> {
        let attack = event.attack();
        let Some(group) = self
            .config
            .groups
            .iter()
            .find(|g| g.group == attack.group)
            .cloned()
        else {
            return Vec::new();
        };
        if !group.kinds.is_empty() && !group.kinds.iter().any(|k| k == attack.kind.code()) {
            return Vec::new();
        }
        let mut records = Vec::new();
        let body = match serde_json::to_vec(event) {
            Ok(body) => body,
            Err(_) => return records, // an attack always serialises; nothing sensible to do
        };
        if let Some(script) = &group.script {
            if script.events.iter().any(|e| e == event.name()) {
                records.push(record(
                    attack,
                    ActionKind::Script,
                    script.path.display().to_string(),
                    now_ms,
                    run_script(script, event, &body).await,
                ));
            }
        }
        if let Some(webhook) = &group.webhook {
            if webhook.events.iter().any(|e| e == event.name()) {
                records.push(record(
                    attack,
                    ActionKind::Webhook,
                    webhook.url.clone(),
                    now_ms,
                    call_webhook(&self.http, webhook, event.name(), body).await,
                ));
            }
        }

        // Routes: only for an incoming attack on one host.
        let (AttackTarget::Host(host), Direction::Incoming) = (&attack.target, attack.direction)
        else {
            return records;
        };
        if matches!(event, AttackEvent::Ended(_)) {
            // The timeout withdraws; an attack that comes back soon stays blocked meanwhile.
            self.refused.retain(|(id, _)| *id != attack.id);
            return records;
        }
        let host = IpNet::from(*host);
        let mut wanted: Vec<(ActionKind, Route, u64)> = Vec::new();
        if let Some(blackhole) = &group.blackhole {
            wanted.push((
                ActionKind::BlackholeAnnounce,
                Route::Blackhole {
                    prefix: host,
                    communities: blackhole.communities.clone(),
                },
                blackhole.timeout_secs,
            ));
        }
        if let Some(flowspec) = &group.flowspec {
            wanted.push((
                ActionKind::FlowSpecAnnounce,
                Route::FlowSpec {
                    rule: flowspec_rule(attack, host, flowspec.action),
                    communities: flowspec.communities.clone(),
                },
                flowspec.timeout_secs,
            ));
        }
        let mut changed = Vec::new();
        for (action, route, timeout_secs) in wanted {
            let key = route.describe();
            let expires_ms = now_ms.saturating_add(timeout_secs.saturating_mul(1000));
            if let Some(existing) = self.announcements.get_mut(&key) {
                // Already announced: the attack goes on, so the route stays longer.
                existing.expires_ms = existing.expires_ms.max(expires_ms);
                existing.attack_id = attack.id;
                continue;
            }
            if self.refused.contains(&(attack.id, key.clone())) {
                continue;
            }
            if let Err(err) = self.check_range(&route, attack.unit_id) {
                self.refused.insert((attack.id, key.clone()));
                records.push(record(attack, action, key, now_ms, Err(err)));
                continue;
            }
            self.announcements.insert(
                key.clone(),
                Announcement {
                    route,
                    attack_id: attack.id,
                    unit_id: attack.unit_id,
                    expires_ms,
                },
            );
            changed.push((action, key));
        }
        if !changed.is_empty() {
            let result = self.sync_bird().await;
            if result.is_err() {
                // Not announced after all: the attack's next event tries again.
                for (_, key) in &changed {
                    self.announcements.remove(key);
                }
            }
            for (action, key) in changed {
                records.push(record(attack, action, key, now_ms, result.clone()));
            }
        }
        records
    }

    /// Withdraws the routes whose timeout has passed.
    pub async fn expire(&mut self, now_ms: u64) -> Vec<MitigationRecord> {
        let due: Vec<String> = self
            .announcements
            .iter()
            .filter(|(_, a)| a.expires_ms <= now_ms)
            .map(|(k, _)| k.clone())
            .collect();
        if due.is_empty() {
            return Vec::new();
        }
        let removed: Vec<(String, Announcement)> = due
            .into_iter()
            .filter_map(|k| self.announcements.remove(&k).map(|a| (k, a)))
            .collect();
        let result = self.sync_bird().await;
        if result.is_err() {
            // BIRD may still announce them: keep them and try again in a minute.
            for (key, announcement) in &removed {
                let mut retry = announcement.clone();
                retry.expires_ms = now_ms.saturating_add(RETRY_WITHDRAW_MS);
                self.announcements.insert(key.clone(), retry);
            }
        }
        removed
            .into_iter()
            .map(|(key, announcement)| {
                let action = match announcement.route {
                    Route::Blackhole { .. } => ActionKind::BlackholeWithdraw,
                    Route::FlowSpec { .. } => ActionKind::FlowSpecWithdraw,
                };
                let (outcome, detail, error) = split(result.clone());
                MitigationRecord {
                    attack_id: announcement.attack_id,
                    unit_id: announcement.unit_id,
                    action,
                    target: key,
                    at_ms: now_ms,
                    outcome,
                    detail,
                    error,
                }
            })
            .collect()
    }

    fn check_range(&self, route: &Route, unit_id: i64) -> Result<(), MitigateError> {
        let prefix = route.prefix();
        let inside = self
            .unit_ranges
            .get(&unit_id)
            .is_some_and(|ranges| ranges.iter().any(|r| r.contains(&prefix)));
        if !inside {
            return Err(MitigateError::OutsideRegisteredRanges { prefix, unit_id });
        }
        if let Route::FlowSpec { rule, .. } = route {
            let bird = self.config.bird.as_ref();
            match rule.destination {
                IpNet::V4(_) if bird.and_then(|b| b.flow4_table.as_ref()).is_none() => {
                    return Err(MitigateError::NoFlowTable("flow4"))
                }
                IpNet::V6(_) if bird.and_then(|b| b.flow6_table.as_ref()).is_none() => {
                    return Err(MitigateError::NoFlowTable("flow6"))
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn sync_bird(&self) -> Result<String, String> {
        self.sync().await.map_err(|e| e.to_string())
    }
}

/// A FlowSpec rule matching the attack's signature.
fn flowspec_rule(attack: &Attack, host: IpNet, action: FlowSpecAction) -> FlowSpecRule {
    let v6 = matches!(host, IpNet::V6(_));
    let mut rule = FlowSpecRule {
        destination: host,
        protocol: None,
        source_port: None,
        syn_only: false,
        fragments: false,
        action,
    };
    match &attack.kind {
        AttackKind::SynFlood => {
            rule.protocol = Some(6);
            rule.syn_only = true;
        }
        AttackKind::UdpFlood => rule.protocol = Some(17),
        AttackKind::IcmpFlood => rule.protocol = Some(if v6 { 58 } else { 1 }),
        AttackKind::FragmentFlood => rule.fragments = true,
        AttackKind::Amplification { port, .. } => {
            rule.protocol = Some(17);
            rule.source_port = Some(*port);
        }
        AttackKind::Volumetric | AttackKind::OutgoingScan | AttackKind::IndicatorTraffic { .. } => {
        }
    }
    rule
}

fn split(result: Result<String, String>) -> (Outcome, Option<String>, Option<String>) {
    match result {
        Ok(detail) => (
            Outcome::Done,
            (!detail.is_empty()).then(|| truncate(detail)),
            None,
        ),
        Err(error) => (Outcome::Failed, None, Some(truncate(error))),
    }
}

fn record(
    attack: &Attack,
    action: ActionKind,
    target: String,
    now_ms: u64,
    result: Result<String, impl Into<ActionError>>,
) -> MitigationRecord {
    let (outcome, detail, error) = match result.map_err(Into::into) {
        Ok(detail) => split(Ok(detail)),
        Err(ActionError::Refused(e)) => (Outcome::Refused, None, Some(e)),
        Err(ActionError::Failed(e)) => split(Err(e)),
    };
    MitigationRecord {
        attack_id: attack.id,
        unit_id: attack.unit_id,
        action,
        target,
        at_ms: now_ms,
        outcome,
        detail,
        error,
    }
}

/// An action's failure, told apart from a refusal.
enum ActionError {
    Refused(String),
    Failed(String),
}

impl From<MitigateError> for ActionError {
    fn from(e: MitigateError) -> Self {
        match e {
            MitigateError::OutsideRegisteredRanges { .. } | MitigateError::NoFlowTable(_) => {
                ActionError::Refused(e.to_string())
            }
            other => ActionError::Failed(other.to_string()),
        }
    }
}

impl From<String> for ActionError {
    fn from(e: String) -> Self {
        ActionError::Failed(e)
    }
}

async fn run_script(
    script: &ScriptAction,
    event: &AttackEvent,
    body: &[u8],
) -> Result<String, MitigateError> {
    let attack = event.attack();
    let fail = |problem: String| MitigateError::Script {
        path: script.path.clone(),
        problem,
    };
    let mut child = tokio::process::Command::new(&script.path)
        .args(&script.args)
        .env("CANHGAC_EVENT", event.name())
        .env("CANHGAC_ATTACK_ID", attack.id.to_string())
        .env("CANHGAC_ATTACK_KIND", attack.kind.code())
        .env("CANHGAC_TARGET", attack.target.to_string())
        .env("CANHGAC_GROUP", &attack.group)
        .env("CANHGAC_UNIT_ID", attack.unit_id.to_string())
        .env(
            "CANHGAC_DIRECTION",
            match attack.direction {
                Direction::Incoming => "incoming",
                Direction::Outgoing => "outgoing",
            },
        )
        .env("CANHGAC_PPS", attack.peak.pps.to_string())
        .env("CANHGAC_BPS", attack.peak.bps.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(format!("không chạy được: {e}")))?;
    let run = async {
        if let Some(mut stdin) = child.stdin.take() {
            // A script that ignores stdin closes it early; that is its right.
            let _ = stdin.write_all(body).await;
            drop(stdin);
        }
        child.wait_with_output().await
    };
    let output = tokio::time::timeout(Duration::from_secs(script.timeout_secs), run)
        .await
        .map_err(|_| fail(format!("quá {} giây, đã dừng", script.timeout_secs)))?
        .map_err(|e| fail(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(fail(format!(
            "kết thúc với {}: {}",
            output.status,
            if stderr.is_empty() { stdout } else { stderr }
        )))
    }
}

/// The signature header's value for a body: `sha256=` and the hex HMAC-SHA256.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn call_webhook(
    http: &reqwest::Client,
    webhook: &WebhookAction,
    event_name: &str,
    body: Vec<u8>,
) -> Result<String, MitigateError> {
    let fail = |problem: String| MitigateError::Webhook {
        url: webhook.url.clone(),
        problem,
    };
    let signature = sign(webhook.secret.as_bytes(), &body);
    let response = http
        .post(&webhook.url)
        .timeout(Duration::from_secs(webhook.timeout_secs))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_HEADER, event_name)
        .body(body)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_success() {
        Ok(format!("HTTP {status} {}", text.trim()).trim().to_owned())
    } else {
        Err(fail(format!("HTTP {status}: {}", text.trim())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn communities_read_as_operators_write_them_and_bad_ones_are_named() {
        assert_eq!(
            Community::try_from("65535:666".to_string()).unwrap(),
            Community::Standard(65535, 666)
        );
        assert_eq!(
            Community::try_from("4200000000:666:1".to_string()).unwrap(),
            Community::Large(4_200_000_000, 666, 1)
        );
        for bad in ["65536:666", "666", "a:b", "1:2:3:4", ""] {
            let err = Community::try_from(bad.to_string()).unwrap_err();
            assert!(err.to_string().contains(&format!("«{bad}»")), "{err}");
        }
        assert_eq!(String::from(Community::Standard(65535, 666)), "65535:666");
    }

    #[test]
    fn a_toml_configuration_reads_and_routes_without_bird_are_refused_at_start() {
        let config: MitigateConfig = toml::from_str(
            r#"
            [bird]
            socket = "/run/bird/bird.ctl"
            routes_file = "/var/lib/canhgac/bird-routes.conf"
            flow6_table = "flowtab6"

            [[groups]]
            group = "Khách hàng ISP X"
            kinds = ["syn_flood", "amplification"]
            blackhole = { communities = ["65535:666", "65000:666:1"], timeout_secs = 900 }
            flowspec = { action = { rate_limit = { bytes_per_sec = 125000.0 } } }
            webhook = { url = "https://noc.example.vn/hook", secret = "s" }
            script = { path = "/usr/local/bin/block", args = ["--now"] }
            "#,
        )
        .unwrap();
        let bird = config.bird.as_ref().unwrap();
        assert_eq!(bird.birdc, PathBuf::from("/usr/sbin/birdc"));
        let group = &config.groups[0];
        assert_eq!(group.blackhole.as_ref().unwrap().communities.len(), 2);
        assert_eq!(group.flowspec.as_ref().unwrap().timeout_secs, 1800);
        assert_eq!(
            group.flowspec.as_ref().unwrap().action,
            FlowSpecAction::RateLimit {
                bytes_per_sec: 125000.0
            }
        );
        assert_eq!(group.script.as_ref().unwrap().events, ["started", "ended"]);
        let http = reqwest::Client::new();
        assert!(Mitigator::new(config.clone(), http.clone()).is_ok());

        let mut without_bird = config;
        without_bird.bird = None;
        let err = Mitigator::new(without_bird, http).err().unwrap();
        assert_eq!(
            err.to_string(),
            "nhóm «Khách hàng ISP X» dùng blackhole/FlowSpec nhưng chưa cấu hình BIRD"
        );
        let bad = toml::from_str::<MitigateConfig>(
            "[[groups]]\ngroup = \"a\"\nblackhole = { communities = [\"65535-666\"] }",
        )
        .unwrap_err();
        assert!(bad.to_string().contains("65535-666"), "{bad}");
    }

    /// Compiles only if the mitigator's futures can go to `tokio::spawn`.
    // The explicit `+ Send` is the point, hence no `async fn`.
    #[allow(dead_code, clippy::manual_async_fn)]
    fn futures_are_send<'a>(
        mitigator: &'a mut Mitigator,
        event: &'a AttackEvent,
    ) -> impl std::future::Future<Output = Vec<MitigationRecord>> + Send + 'a {
        async move {
            let mut records = mitigator.handle(event, 0).await;
            records.extend(mitigator.expire(0).await);
            records
        }
    }
}
