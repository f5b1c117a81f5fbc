//! Monitors: continuous checks of an asset (a portal page, a mail server, a DNS record) and what
//! they found. The watch engine runs them; the store keeps their state, compact history, outages,
//! defacement baselines and maintenance windows.

use serde::{Deserialize, Serialize};

use crate::{string_enum, FieldError, Id, Timestamp};

string_enum! {
    /// What a monitor checks.
    MonitorKind {
        /// An HTTP(S) request: status, response time, body, conditions; optional defacement watch.
        Http = "http",
        /// A TCP port accepts connections.
        Tcp = "tcp",
        /// DNS records equal the expected values.
        Dns = "dns",
        /// A TLS certificate: validity and days to expiry.
        Tls = "tls",
        /// An SMTP server: banner and STARTTLS.
        Smtp = "smtp",
        /// An IMAP server: banner and STARTTLS.
        Imap = "imap",
        /// ICMP echo (needs the capability to send pings).
        Icmp = "icmp",
    }
}

impl MonitorKind {
    /// Vietnamese label for the console.
    pub fn label_vi(self) -> &'static str {
        match self {
            MonitorKind::Http => "HTTP(S)",
            MonitorKind::Tcp => "Cổng TCP",
            MonitorKind::Dns => "Bản ghi DNS",
            MonitorKind::Tls => "Chứng thư TLS",
            MonitorKind::Smtp => "Máy chủ SMTP",
            MonitorKind::Imap => "Máy chủ IMAP",
            MonitorKind::Icmp => "Ping (ICMP)",
        }
    }
}

string_enum! {
    /// Where a monitor is now, as the console shows it.
    MonitorStatus {
        /// Not checked yet.
        Pending = "pending",
        /// The last check passed (or failed fewer times than the retries allow).
        Up = "up",
        /// Failed more times in a row than the retries allow.
        Down = "down",
        /// Changing state too often; alerts are held back until it settles.
        Flapping = "flapping",
        /// Inside a maintenance window: checked, never alerted.
        Maintenance = "maintenance",
        /// Switched off by a user.
        Paused = "paused",
    }
}

impl MonitorStatus {
    /// Vietnamese label for the console.
    pub fn label_vi(self) -> &'static str {
        match self {
            MonitorStatus::Pending => "Chưa kiểm tra",
            MonitorStatus::Up => "Hoạt động",
            MonitorStatus::Down => "Ngừng hoạt động",
            MonitorStatus::Flapping => "Chập chờn",
            MonitorStatus::Maintenance => "Bảo trì",
            MonitorStatus::Paused => "Tạm dừng",
        }
    }
}

/// Defacement watch of an HTTP monitor's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DefacementSettings {
    /// CSS selectors of dynamic parts (dates, counters, news lists) left out of the comparison.
    pub ignore_selectors: Vec<String>,
    /// Share of the visible text that may change before it counts as defacement (0.0–1.0).
    pub change_threshold: f64,
    /// Words that mean defacement on sight, added to the built-in list ("hacked by", ...).
    pub markers: Vec<String>,
}

impl Default for DefacementSettings {
    fn default() -> Self {
        Self {
            ignore_selectors: Vec::new(),
            change_threshold: 0.3,
            markers: Vec::new(),
        }
    }
}

/// How one monitor checks; which fields apply depends on its [`MonitorKind`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MonitorSettings {
    /// Gatus-style conditions, all of which must hold: `[STATUS] == 200`,
    /// `[RESPONSE_TIME] < 2000`, `[CERTIFICATE_EXPIRATION] > 336h`, `[BODY] == pat(*Cổng*)`.
    /// Empty: the kind's default (HTTP: status 2xx/3xx; others: connected).
    pub conditions: Vec<String>,
    /// HTTP: the body must contain each of these.
    pub body_contains: Vec<String>,
    /// HTTP: the body must contain none of these.
    pub body_not_contains: Vec<String>,
    /// HTTP method (default GET).
    pub method: Option<String>,
    /// DNS: record type (A, AAAA, MX, NS, TXT, CNAME).
    pub record_type: Option<String>,
    /// DNS: the expected values (order does not matter); empty means "any answer".
    pub expected: Vec<String>,
    /// DNS: the resolver to ask, `ip:port` (default: the system's first nameserver).
    pub resolver: Option<String>,
    /// SMTP/IMAP: STARTTLS must be offered and succeed.
    pub starttls: bool,
    /// TLS (and HTTPS): alert when the certificate expires within these many days.
    pub cert_warn_days: Vec<u32>,
    /// HTTP: defacement watch of the page, when set.
    pub defacement: Option<DefacementSettings>,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            conditions: Vec::new(),
            body_contains: Vec::new(),
            body_not_contains: Vec::new(),
            method: None,
            record_type: None,
            expected: Vec::new(),
            resolver: None,
            starttls: false,
            cert_warn_days: vec![30, 14, 7],
            defacement: None,
        }
    }
}

/// Where the local server's own checks are recorded; remote probes use their own names.
pub const LOCAL_PROBE: &str = "local";

/// A new or changed monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonitorInput {
    /// The asset checked; its system's owner unit owns the monitor.
    pub asset_id: Id,
    /// Display name.
    pub name: String,
    /// What is checked.
    pub kind: MonitorKind,
    /// HTTP: a URL; TCP/TLS/SMTP/IMAP: `host:port` (or host, with the kind's default port);
    /// DNS: a name; ICMP: a host.
    pub target: String,
    /// Kind-specific settings.
    #[serde(default)]
    pub settings: MonitorSettings,
    /// Seconds between checks (10–86,400).
    #[serde(default = "default_interval")]
    pub interval_secs: u32,
    /// Seconds a check may take (1–120, below the interval).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u32,
    /// Failed checks in a row tolerated before the monitor is down and alerts.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Switched on.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Shown (name and status only) on the public status page.
    #[serde(default)]
    pub public: bool,
    /// Probes that run it: [`LOCAL_PROBE`] for the server itself, or remote probe names.
    /// Empty means the server itself.
    #[serde(default)]
    pub probes: Vec<String>,
}

fn default_interval() -> u32 {
    60
}
fn default_timeout() -> u32 {
    10
}
fn default_retries() -> u32 {
    1
}
fn default_true() -> bool {
    true
}

impl MonitorInput {
    /// A monitor with default timing and settings.
    pub fn new(asset_id: Id, name: &str, kind: MonitorKind, target: &str) -> Self {
        Self {
            asset_id,
            name: name.to_owned(),
            kind,
            target: target.to_owned(),
            settings: MonitorSettings::default(),
            interval_secs: default_interval(),
            timeout_secs: default_timeout(),
            retries: default_retries(),
            enabled: true,
            public: false,
            probes: Vec::new(),
        }
    }

    /// Checks and normalises the input; names the field at fault.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(FieldError::new("name", "không được để trống"));
        }
        self.target = self.target.trim().to_owned();
        if self.target.is_empty() {
            return Err(FieldError::new("target", "không được để trống"));
        }
        match self.kind {
            MonitorKind::Http => {
                let url = url::Url::parse(&self.target)
                    .map_err(|e| FieldError::new("target", format!("URL không hợp lệ: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(FieldError::new(
                        "target",
                        "cần một URL http:// hoặc https:// có tên máy",
                    ));
                }
            }
            MonitorKind::Dns => {
                let record = self
                    .settings
                    .record_type
                    .get_or_insert_with(|| "A".to_owned());
                *record = record.trim().to_ascii_uppercase();
                if !matches!(
                    record.as_str(),
                    "A" | "AAAA" | "MX" | "NS" | "TXT" | "CNAME"
                ) {
                    return Err(FieldError::new(
                        "settings.record_type",
                        "chỉ hỗ trợ A, AAAA, MX, NS, TXT, CNAME",
                    ));
                }
                self.target = self.target.trim_end_matches('.').to_ascii_lowercase();
            }
            _ => {
                if self.target.contains('/') || self.target.contains(char::is_whitespace) {
                    return Err(FieldError::new(
                        "target",
                        "cần tên máy hoặc địa chỉ IP, có thể kèm :cổng",
                    ));
                }
            }
        }
        if !(10..=86_400).contains(&self.interval_secs) {
            return Err(FieldError::new(
                "interval_secs",
                "chu kỳ phải từ 10 đến 86.400 giây",
            ));
        }
        if self.timeout_secs == 0
            || self.timeout_secs > 120
            || self.timeout_secs >= self.interval_secs
        {
            return Err(FieldError::new(
                "timeout_secs",
                "thời gian chờ phải từ 1 đến 120 giây và ngắn hơn chu kỳ",
            ));
        }
        if self.retries > 20 {
            return Err(FieldError::new("retries", "tối đa 20 lần thử lại"));
        }
        for (index, condition) in self.settings.conditions.iter().enumerate() {
            crate::conditions::parse(condition).map_err(|e| {
                FieldError::new(format!("settings.conditions[{index}]"), e.to_string())
            })?;
        }
        if let Some(deface) = &self.settings.defacement {
            if !(0.0..=1.0).contains(&deface.change_threshold) {
                return Err(FieldError::new(
                    "settings.defacement.change_threshold",
                    "phải nằm trong khoảng 0 đến 1",
                ));
            }
        }
        self.probes = normalise_probes(&self.probes);
        Ok(())
    }
}

/// The host a monitor reaches: a URL's host, the host of `host:port` or `[v6]:port`, a DNS
/// name, or an address; `None` when the target names none.
pub fn target_host(kind: MonitorKind, target: &str) -> Option<String> {
    let target = target.trim();
    if kind == MonitorKind::Http {
        let url = url::Url::parse(target).ok()?;
        return url
            .host_str()
            .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase());
    }
    let host = if let Some(rest) = target.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if target.matches(':').count() == 1 {
        target.split(':').next().unwrap_or(target)
    } else {
        target
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Whether an asset (`kind`, normalised `value`) covers `host`: the same address, an address
/// inside the network, the domain or one of its subdomains, or the URL's host. Monitors reach
/// only hosts their system's assets cover, as scans do: the inventory is the scope.
pub fn asset_covers(kind: crate::AssetKind, value: &str, host: &str) -> bool {
    use crate::AssetKind;
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match kind {
        AssetKind::Ip => host
            .parse::<std::net::IpAddr>()
            .ok()
            .zip(value.parse::<std::net::IpAddr>().ok())
            .is_some_and(|(h, v)| h == v),
        AssetKind::Cidr => host
            .parse::<std::net::IpAddr>()
            .ok()
            .zip(value.parse::<ipnet::IpNet>().ok())
            .is_some_and(|(h, net)| net.contains(&h)),
        AssetKind::Domain => {
            let domain = value.strip_prefix("*.").unwrap_or(value);
            host == domain || host.ends_with(&format!(".{domain}"))
        }
        AssetKind::Url => url::Url::parse(value)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
            })
            .is_some_and(|h| h == host),
    }
}

/// Checks that a monitor's target is covered by one of `assets` (kind, normalised value): its
/// system's assets. Names the `target` field when it is not.
pub fn check_target_in_scope(
    input: &MonitorInput,
    assets: &[(crate::AssetKind, String)],
) -> Result<(), FieldError> {
    let Some(host) = target_host(input.kind, &input.target) else {
        return Err(FieldError::new(
            "target",
            "không đọc được tên máy hoặc địa chỉ",
        ));
    };
    if assets
        .iter()
        .any(|(kind, value)| asset_covers(*kind, value, &host))
    {
        Ok(())
    } else {
        Err(FieldError::new(
            "target",
            format!(
                "{host} không thuộc tài sản nào của hệ thống này; hãy thêm nó vào danh mục tài sản trước (giám sát chỉ chạm tới những gì có trong danh mục)"
            ),
        ))
    }
}

/// Trimmed, de-duplicated probe names; the local probe when none is given.
fn normalise_probes(probes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for probe in probes {
        let probe = probe.trim().to_ascii_lowercase();
        if !probe.is_empty() && !out.contains(&probe) {
            out.push(probe);
        }
    }
    if out.is_empty() {
        out.push(LOCAL_PROBE.to_owned());
    }
    out
}

/// A stored monitor with its current state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Monitor {
    /// Identifier.
    pub id: Id,
    /// The unit that owns the asset's system.
    pub unit_id: Id,
    /// The asset's system.
    pub system_id: Id,
    /// Everything the user set.
    #[serde(flatten)]
    pub input: MonitorInput,
    /// Current status.
    pub status: MonitorStatus,
    /// When the status last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub status_since: Option<Timestamp>,
    /// When it was last checked.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_check_at: Option<Timestamp>,
    /// Response time of the last check, milliseconds.
    pub last_latency_ms: Option<u32>,
    /// What the last check said (Vietnamese).
    pub last_message: Option<String>,
    /// Failed checks in a row.
    pub consecutive_failures: u32,
    /// Created automatically for a portal or email system (a user's edit clears it).
    pub automatic: bool,
    /// Created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Last changed by a user.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// Which monitors a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonitorFilter {
    /// Only this unit and its descendants.
    pub unit_id: Option<Id>,
    /// Only this system.
    pub system_id: Option<Id>,
    /// Only this asset.
    pub asset_id: Option<Id>,
    /// Only these states (empty: all).
    pub statuses: Vec<MonitorStatus>,
    /// Only this kind.
    pub kind: Option<MonitorKind>,
    /// Text in the name or target.
    pub q: Option<String>,
}

/// One check of one monitor from one probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckResult {
    /// The monitor.
    pub monitor_id: Id,
    /// Which probe ran it ([`LOCAL_PROBE`] for the server).
    pub probe: String,
    /// When the check started.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Every condition held.
    pub ok: bool,
    /// Response time, milliseconds (none when nothing answered).
    pub latency_ms: Option<u32>,
    /// What happened, for people (Vietnamese): "HTTP 200 trong 35 ms", "hết thời gian chờ 10 s".
    pub message: String,
    /// What was measured, for the console and alerts: status code, certificate expiry, DNS
    /// answers, failed conditions, decoding notes.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// A monitor's state after a check, as the watch engine decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorStateUpdate {
    /// New status.
    pub status: MonitorStatus,
    /// Failed checks in a row.
    pub consecutive_failures: u32,
    /// An outage begins (the monitor went down) with this reason.
    pub outage_started: Option<String>,
    /// The open outage ends (the monitor recovered).
    pub outage_ended: bool,
}

/// Checks of one hour from one probe, kept long after the raw results are pruned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonitorRollup {
    /// The probe.
    pub probe: String,
    /// Start of the hour.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub hour: Timestamp,
    /// Checks run.
    pub checks: u32,
    /// Checks that passed.
    pub ups: u32,
    /// Sum of response times, milliseconds (for the mean).
    pub latency_sum_ms: u64,
    /// Checks with a response time.
    pub latency_count: u32,
    /// Slowest response, milliseconds.
    pub latency_max_ms: u32,
}

/// Availability of a monitor over the last day, week and month (all probes), percent; `None`
/// when there was no check in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Availability {
    /// Last 24 hours.
    pub day: Option<f64>,
    /// Last 7 days.
    pub week: Option<f64>,
    /// Last 30 days.
    pub month: Option<f64>,
}

/// A period during which a monitor was down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outage {
    /// Identifier.
    pub id: Id,
    /// The monitor.
    pub monitor_id: Id,
    /// When it went down.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
    /// When it came back (none while still down).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended_at: Option<Timestamp>,
    /// Why (the failing check's message).
    pub reason: String,
}

/// What a portal page looked like, for defacement comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PageSnapshot {
    /// `<title>`.
    pub title: String,
    /// Visible text, whitespace collapsed, ignored parts removed (capped).
    pub text: String,
    /// The DOM's shape: one entry per element path, in document order (capped).
    pub structure: Vec<String>,
    /// Script sources on other hosts than the page's.
    pub external_scripts: Vec<String>,
    /// Iframe sources.
    pub iframes: Vec<String>,
    /// Body size in bytes.
    pub size: u64,
    /// Notes about the decoding (an encoding that could not be decoded, a truncated body).
    pub notes: Vec<String>,
}

/// A monitor's approved page and, when the page differs, the latest differing capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefacementBaseline {
    /// The monitor.
    pub monitor_id: Id,
    /// The approved page.
    pub baseline: PageSnapshot,
    /// When the baseline was taken or approved.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub baseline_at: Timestamp,
    /// Who approved it (none when captured automatically at the first check).
    pub approved_by: Option<String>,
    /// The latest capture that differed from the baseline, waiting for an analyst.
    pub candidate: Option<PageSnapshot>,
    /// When the candidate was captured.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub candidate_at: Option<Timestamp>,
}

/// A period in which a monitor is checked but never alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceWindow {
    /// Identifier (0 before it is stored).
    pub id: Id,
    /// The monitor.
    pub monitor_id: Id,
    /// Start.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub starts_at: Timestamp,
    /// End.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ends_at: Timestamp,
    /// Why (shown in the console).
    pub reason: String,
}

impl MaintenanceWindow {
    /// Whether `at` falls inside the window.
    pub fn covers(&self, at: Timestamp) -> bool {
        self.starts_at <= at && at < self.ends_at
    }

    /// Checks the window; names the field at fault.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        self.reason = self.reason.trim().to_owned();
        if self.ends_at <= self.starts_at {
            return Err(FieldError::new("ends_at", "phải sau thời điểm bắt đầu"));
        }
        Ok(())
    }
}

/// A remote probe as the server last saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProbeInfo {
    /// Name the probe reports under.
    pub name: String,
    /// When it last fetched its monitors or reported.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen: Timestamp,
    /// The address it connected from.
    pub address: Option<String>,
}

/// What the public status page may show of a monitor: no target, no unit, no message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicMonitorStatus {
    /// Display name.
    pub name: String,
    /// Current status.
    pub status: MonitorStatus,
    /// Availability.
    pub availability: Availability,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_monitors_need_a_web_url() {
        let mut input = MonitorInput::new(1, "Cổng", MonitorKind::Http, "ftp://x.gov.vn");
        assert_eq!(input.validate().unwrap_err().field, "target");
        let mut input = MonitorInput::new(1, "Cổng", MonitorKind::Http, " https://x.gov.vn/ ");
        input.validate().unwrap();
        assert_eq!(input.target, "https://x.gov.vn/");
        assert_eq!(input.probes, vec![LOCAL_PROBE.to_owned()]);
    }

    #[test]
    fn dns_monitors_default_to_a_records_and_refuse_other_types() {
        let mut input = MonitorInput::new(1, "DNS", MonitorKind::Dns, "Portal.GOV.vn.");
        input.validate().unwrap();
        assert_eq!(input.target, "portal.gov.vn");
        assert_eq!(input.settings.record_type.as_deref(), Some("A"));
        input.settings.record_type = Some("srv".into());
        assert_eq!(input.validate().unwrap_err().field, "settings.record_type");
    }

    #[test]
    fn conditions_are_checked_and_the_bad_one_is_named() {
        let mut input = MonitorInput::new(1, "Cổng", MonitorKind::Http, "https://x.gov.vn/");
        input.settings.conditions = vec!["[STATUS] == 200".into(), "[STATUS] = 200".into()];
        let error = input.validate().unwrap_err();
        assert_eq!(error.field, "settings.conditions[1]");
        assert!(
            error.message.contains("[STATUS] = 200"),
            "{}",
            error.message
        );
        input.settings.conditions.pop();
        input.validate().unwrap();
    }

    #[test]
    fn hosts_of_every_target_form() {
        let host = |kind, target| target_host(kind, target);
        assert_eq!(
            host(MonitorKind::Http, "https://Portal.gov.vn:8443/a").as_deref(),
            Some("portal.gov.vn")
        );
        assert_eq!(
            host(MonitorKind::Smtp, "mail.gov.vn:25").as_deref(),
            Some("mail.gov.vn")
        );
        assert_eq!(
            host(MonitorKind::Smtp, "[2001:db8::1]:25").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            host(MonitorKind::Icmp, "2001:db8::1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            host(MonitorKind::Dns, "portal.gov.vn.").as_deref(),
            Some("portal.gov.vn")
        );
    }

    #[test]
    fn targets_must_be_covered_by_the_systems_assets() {
        use crate::AssetKind;
        let assets = vec![
            (AssetKind::Domain, "portal.gov.vn".to_owned()),
            (AssetKind::Cidr, "203.0.113.0/24".to_owned()),
            (AssetKind::Url, "https://dvc.example.vn/a".to_owned()),
            (AssetKind::Ip, "2001:db8::25".to_owned()),
        ];
        let ok = |kind, target: &str| {
            check_target_in_scope(&MonitorInput::new(1, "m", kind, target), &assets).is_ok()
        };
        assert!(ok(MonitorKind::Http, "https://portal.gov.vn/tin-tuc"));
        assert!(ok(MonitorKind::Http, "https://www.portal.gov.vn/"));
        assert!(ok(MonitorKind::Tcp, "203.0.113.7:443"));
        assert!(ok(MonitorKind::Http, "http://dvc.example.vn:8080/"));
        assert!(ok(MonitorKind::Smtp, "[2001:db8::25]:25"));
        assert!(ok(MonitorKind::Dns, "mail.portal.gov.vn"));
        assert!(!ok(
            MonitorKind::Http,
            "http://169.254.169.254/latest/meta-data/"
        ));
        assert!(!ok(MonitorKind::Http, "https://evilportal.gov.vn/"));
        assert!(!ok(MonitorKind::Tcp, "203.0.114.7:443"));
        assert!(!ok(MonitorKind::Http, "https://example.vn/"));
        let error = check_target_in_scope(
            &MonitorInput::new(1, "m", MonitorKind::Icmp, "10.0.0.1"),
            &assets,
        )
        .unwrap_err();
        assert_eq!(error.field, "target");
        assert!(error.message.contains("10.0.0.1"));
    }

    #[test]
    fn timeout_must_be_shorter_than_the_interval() {
        let mut input = MonitorInput::new(1, "TCP", MonitorKind::Tcp, "10.0.0.1:443");
        input.interval_secs = 10;
        input.timeout_secs = 10;
        assert_eq!(input.validate().unwrap_err().field, "timeout_secs");
        input.timeout_secs = 5;
        input.validate().unwrap();
    }

    #[test]
    fn settings_read_from_partial_json() {
        let input: MonitorInput = serde_json::from_str(
            r#"{"asset_id":3,"name":"p","kind":"http","target":"http://a.vn","settings":{"conditions":["[STATUS] == 200"]}}"#,
        )
        .unwrap();
        assert_eq!(input.interval_secs, 60);
        assert_eq!(input.settings.cert_warn_days, vec![30, 14, 7]);
        assert_eq!(input.settings.conditions.len(), 1);
    }
}
