//! The configuration: `canhgac.toml`, then environment overrides, then command-line flags.
//!
//! Every key has a default, so no file is needed. Precedence, strongest first:
//!
//! 1. command-line flags (`serve --listen/--data/--database`);
//! 2. the short environment variables `CANHGAC_LISTEN` (`server.listen`), `CANHGAC_DATA`
//!    (`storage.data_dir`), `CANHGAC_DATABASE_URL` (`storage.database_url`) and `CANHGAC_LOG`
//!    (`log.level`);
//! 3. the generic environment variables `CANHGAC_<SECTION>__<KEY>` (upper case, two underscores
//!    between section and key), e.g. `CANHGAC_WEB__SESSION_TTL=4h` sets `web.session_ttl`;
//! 4. the file (`--config FILE`, else `./canhgac.toml`, else `/etc/canhgac/canhgac.toml`);
//! 5. the built-in defaults.
//!
//! An unknown key or a bad value fails at start with a message naming where it came from and the
//! key, e.g. `canhgac.toml: unknown key web.sesion_ttl` or
//! `CANHGAC_WEB__LOGIN_ATTEMPTS (web.login_attempts): invalid digit found in string`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The documented example configuration, also printed by `canhgac config example`.
pub const EXAMPLE: &str = include_str!("../../../deploy/canhgac.example.toml");

/// Files tried, in order, when `--config` is not given.
pub const DEFAULT_PATHS: &[&str] = &["./canhgac.toml", "/etc/canhgac/canhgac.toml"];

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[server]`
    pub server: ServerConfig,
    /// `[storage]`
    pub storage: StorageConfig,
    /// `[web]`
    pub web: WebConfig,
    /// `[locale]`
    pub locale: LocaleConfig,
    /// `[log]`
    pub log: LogConfig,
    /// `[detection]`
    pub detection: DetectionConfig,
    /// `[syslog]`
    pub syslog: SyslogConfig,
    /// `[events]`
    pub events: EventsConfig,
    /// `[watch]`
    pub watch: WatchConfig,
    /// `[smtp]`
    pub smtp: SmtpConfig,
    /// `[outbox]`
    pub outbox: OutboxConfig,
    /// `[bulletins]`
    pub bulletins: BulletinsConfig,
    /// `[scan]`
    pub scan: ScanConfig,
    /// `[flow]`
    pub flow: FlowConfig,
    /// `[notify]`
    pub notify: NotifyConfig,
    /// `[reports]`
    pub reports: ReportsConfig,
    /// `[intel]`
    pub intel: IntelConfig,
}

/// `[reports]`: who issues the official incident reports (Mẫu 03/04/05) and who receives them,
/// each entry with the dates it is in effect (bodies are renamed and merged over time).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportsConfig {
    /// `[[reports.issuers]]`: the issuing organisation, its number code and signer.
    pub issuers: Vec<canhgac_respond::reports::Issuer>,
    /// `[[reports.recipients]]`: the authorities that receive reports, with their email.
    pub recipients: Vec<canhgac_respond::reports::Recipient>,
}

/// `[server]`: where to listen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port of the HTTP server.
    pub listen: SocketAddr,
    /// The URL people reach the server at (links in emails); empty for `http://<listen>`.
    pub public_url: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: String::new(),
        }
    }
}

/// `[storage]`: where the data lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// The data directory (SQLite database, lock file, first-admin setup link).
    pub data_dir: PathBuf,
    /// The database; empty means `sqlite://<data_dir>/canhgac.db`.
    pub database_url: String,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./canhgac-data"),
            database_url: String::new(),
        }
    }
}

impl StorageConfig {
    /// The database URL, derived from the data directory when not set.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!("sqlite://{}", self.sqlite_default_path().display())
        } else {
            self.database_url.trim().to_string()
        }
    }

    /// The default SQLite file inside the data directory.
    pub fn sqlite_default_path(&self) -> PathBuf {
        self.data_dir.join("canhgac.db")
    }

    /// The SQLite file the configuration points at, or `None` for another backend.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let url = self.effective_database_url();
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        // Connection options after `?` are not part of the file name.
        let path = rest.split('?').next().unwrap_or(rest);
        Some(PathBuf::from(path))
    }
}

/// `[web]`: the console and API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Mark cookies `Secure` (when users reach canhgac over HTTPS).
    #[serde(deserialize_with = "bool_or_string")]
    pub secure_cookies: bool,
    /// How long a console session lasts.
    pub session_ttl: HumanDuration,
    /// Largest request body, e.g. `10MiB`.
    pub max_body: ByteSize,
    /// Failed sign-ins allowed per username and client within `login_window`.
    #[serde(deserialize_with = "u32_or_string")]
    pub login_attempts: u32,
    /// The window for `login_attempts`.
    pub login_window: HumanDuration,
    /// Language of the console before a user picks one.
    pub default_lang: Lang,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl: HumanDuration::parse("8h").expect("valid literal"),
            max_body: ByteSize(10 * 1024 * 1024),
            login_attempts: 5,
            login_window: HumanDuration::parse("15m").expect("valid literal"),
            default_lang: Lang::Vi,
        }
    }
}

/// `[locale]`: how times are shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocaleConfig {
    /// IANA time zone for displayed times.
    pub time_zone: TimeZoneName,
}

impl Default for LocaleConfig {
    fn default() -> Self {
        Self {
            time_zone: TimeZoneName::parse("Asia/Ho_Chi_Minh").expect("bundled time zone"),
        }
    }
}

/// `[log]`: what is logged and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter: `info`, `debug`, `warn,canhgac_web=debug`...
    pub level: LogLevel,
    /// `text` (for people) or `json` (for log shippers).
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: LogLevel("info".into()),
            format: LogFormat::Text,
        }
    }
}

/// `[detection]`: Sigma rules and alert folding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectionConfig {
    /// Directories of Sigma rules read recursively, besides canhgac's own rules; empty means
    /// `<data_dir>/rules`. In the environment: a comma-separated list.
    #[serde(deserialize_with = "list_or_string")]
    pub rules: Vec<PathBuf>,
    /// A logsource mapping file replacing the built-in one; empty for the built-in mapping.
    pub mapping: String,
    /// Repeated hits of one rule on one host within this window fold into one alert.
    pub fold_window: HumanDuration,
    /// Values for Sigma `expand` placeholders, e.g. `admins = ["root", "administrator"]`.
    pub placeholders: BTreeMap<String, Vec<String>>,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            mapping: String::new(),
            fold_window: HumanDuration::parse("10m").expect("valid literal"),
            placeholders: BTreeMap::new(),
        }
    }
}

/// `[syslog]`: where canhgac listens for syslog; an empty address turns that listener off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyslogConfig {
    /// UDP address (RFC 3164/5424 datagrams).
    pub udp: String,
    /// TCP address (octet-counting or newline framing).
    pub tcp: String,
    /// TLS address (RFC 5425); needs `tls_cert` and `tls_key`.
    pub tls: String,
    /// PEM certificate chain for TLS.
    pub tls_cert: String,
    /// PEM private key for TLS.
    pub tls_key: String,
    /// Largest message accepted; longer ones are counted and dropped.
    pub max_message: ByteSize,
}

impl Default for SyslogConfig {
    fn default() -> Self {
        Self {
            udp: "127.0.0.1:5514".into(),
            tcp: "127.0.0.1:5514".into(),
            tls: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            max_message: ByteSize(64 * 1024),
        }
    }
}

/// `[events]`: the event store and its retention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsConfig {
    /// Directory of the event store; empty means `<data_dir>/events`.
    pub dir: String,
    /// Events older than this are deleted.
    pub max_age: HumanDuration,
    /// When the store grows past this, the oldest events are deleted.
    pub max_size: ByteSize,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            dir: String::new(),
            max_age: HumanDuration::parse("720h").expect("valid literal"),
            max_size: ByteSize(20_000_000_000),
        }
    }
}

/// `[watch]`: monitors of portals, mail servers and DNS records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchConfig {
    /// Run the monitors on this server (remote probes run them with `canhgac probe`).
    #[serde(deserialize_with = "bool_or_string")]
    pub enabled: bool,
    /// Create monitors for portal and email systems automatically.
    #[serde(deserialize_with = "bool_or_string")]
    pub automatic: bool,
    /// Checks running at once, at most.
    #[serde(deserialize_with = "u32_or_string")]
    pub max_concurrent: u32,
    /// Largest part of a page body read by a check.
    pub max_body: ByteSize,
    /// PEM file of extra CA certificates trusted by the checks (e.g. the province's own CA);
    /// empty for the public web PKI only.
    pub ca_file: String,
    /// Every check result is kept this long; hourly summaries longer.
    pub keep_checks: HumanDuration,
    /// Hourly summaries (availability, response times) are kept this long.
    pub keep_rollups: HumanDuration,
    /// Repeated alerts of one monitor within this window fold into one (a long outage is one
    /// alert).
    pub fold_window: HumanDuration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            automatic: true,
            max_concurrent: 256,
            max_body: ByteSize(2 * 1024 * 1024),
            ca_file: String::new(),
            keep_checks: HumanDuration::parse("168h").expect("valid literal"),
            keep_rollups: HumanDuration::parse("9600h").expect("valid literal"),
            fold_window: HumanDuration::parse("24h").expect("valid literal"),
        }
    }
}

// ---- bulletins and the outbox ----

/// `[smtp]`: the one mail server of the product (bulletins now, alert notifications later).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Server host name; empty: no email (messages wait in the outbox).
    pub host: String,
    /// Port; 0 for the usual port of `security` (25, 587, 465).
    #[serde(deserialize_with = "u32_or_string")]
    pub port: u32,
    /// `none`, `starttls` or `tls`.
    pub security: String,
    /// User name for authentication; empty for none.
    pub username: String,
    /// Password (better given as `CANHGAC_SMTP__PASSWORD`); never logged nor shown.
    pub password: String,
    /// Sender address.
    pub from: String,
    /// Sender display name.
    pub from_name: String,
    /// PEM file of extra CA certificates trusted for the server; empty for public CAs only.
    pub ca_file: String,
    /// Longest wait for the server per attempt.
    pub timeout: HumanDuration,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 0,
            security: "starttls".into(),
            username: String::new(),
            password: String::new(),
            from: String::new(),
            from_name: "canhgac".into(),
            ca_file: String::new(),
            timeout: HumanDuration::parse("30s").expect("valid literal"),
        }
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"***")
            .field("from", &self.from)
            .field("from_name", &self.from_name)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// `[outbox]`: how failed notifications are retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Wait after the first failed attempt; doubled after each further failure...
    pub retry_first: HumanDuration,
    /// ... up to this.
    pub retry_max: HumanDuration,
    /// Attempts before a message is marked failed.
    #[serde(deserialize_with = "u32_or_string")]
    pub max_attempts: u32,
    /// How often the outbox is looked at (new messages are sent at once anyway).
    pub poll: HumanDuration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            retry_first: HumanDuration::parse("30s").expect("valid literal"),
            retry_max: HumanDuration::parse("1h").expect("valid literal"),
            max_attempts: 10,
            poll: HumanDuration::parse("10s").expect("valid literal"),
        }
    }
}

/// `[bulletins]`: awareness bulletins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BulletinsConfig {
    /// Automatic reminders one official receives at most per bulletin.
    #[serde(deserialize_with = "u32_or_string")]
    pub max_reminders: u32,
    /// How often bulletins are checked for due automatic reminders.
    pub reminder_check: HumanDuration,
}

impl Default for BulletinsConfig {
    fn default() -> Self {
        Self {
            max_reminders: 3,
            reminder_check: HumanDuration::parse("1h").expect("valid literal"),
        }
    }
}

// ---- duty roster and paging ----

/// `[notify]`: alerts to the people on duty (routing, channels, escalation, acknowledgement).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Page the people on duty about new alerts.
    pub enabled: bool,
    /// How often new alerts and due escalations are looked at.
    pub poll: HumanDuration,
    /// Without any stored routing rule: alerts of at least this severity page the on-duty
    /// primary on `channels`.
    pub min_severity: String,
    /// Channels of that default rule, comma-separated: `email`, `webhook`, `telegram`, `zalo`.
    pub channels: String,
    /// Unacknowledged alerts of at least `min_severity` go to the backup after this ...
    pub escalate_to_backup: HumanDuration,
    /// ... and to the unit leader this long after that.
    pub escalate_to_leader: HumanDuration,
    /// Channels escalations are sent on, comma-separated.
    pub escalation_channels: String,
    /// Key signing acknowledgement links (16+ bytes); empty: one is generated in the data dir.
    pub ack_secret: String,
    /// How long an acknowledgement link works.
    pub ack_valid: HumanDuration,
    /// Webhook receiver URL; empty: no webhook channel.
    pub webhook_url: String,
    /// Key of the webhook's HMAC signature.
    pub webhook_secret: String,
    /// Telegram bot token; empty: no Telegram channel.
    pub telegram_bot_token: String,
    /// Telegram Bot API base URL.
    pub telegram_base_url: String,
    /// Zalo Official Account access token; empty: no Zalo channel.
    pub zalo_access_token: String,
    /// Zalo OpenAPI base URL.
    pub zalo_base_url: String,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll: HumanDuration::parse("5s").expect("valid literal"),
            min_severity: "high".into(),
            channels: "email".into(),
            escalate_to_backup: HumanDuration::parse("15m").expect("valid literal"),
            escalate_to_leader: HumanDuration::parse("30m").expect("valid literal"),
            escalation_channels: "email".into(),
            ack_secret: String::new(),
            ack_valid: HumanDuration::parse("72h").expect("valid literal"),
            webhook_url: String::new(),
            webhook_secret: String::new(),
            telegram_bot_token: String::new(),
            telegram_base_url: "https://api.telegram.org".into(),
            zalo_access_token: String::new(),
            zalo_base_url: "https://openapi.zalo.me".into(),
        }
    }
}

impl fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: &str| if v.is_empty() { "" } else { "***" };
        f.debug_struct("NotifyConfig")
            .field("enabled", &self.enabled)
            .field("poll", &self.poll)
            .field("min_severity", &self.min_severity)
            .field("channels", &self.channels)
            .field("escalate_to_backup", &self.escalate_to_backup)
            .field("escalate_to_leader", &self.escalate_to_leader)
            .field("escalation_channels", &self.escalation_channels)
            .field("ack_secret", &set(&self.ack_secret))
            .field("ack_valid", &self.ack_valid)
            .field("webhook_url", &set(&self.webhook_url))
            .field("webhook_secret", &set(&self.webhook_secret))
            .field("telegram_bot_token", &set(&self.telegram_bot_token))
            .field("telegram_base_url", &self.telegram_base_url)
            .field("zalo_access_token", &set(&self.zalo_access_token))
            .field("zalo_base_url", &self.zalo_base_url)
            .finish()
    }
}

/// `[intel]`: retro-hunts of new indicators over stored events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntelConfig {
    /// Days of stored events a retro-hunt searches back.
    #[serde(deserialize_with = "u32_or_string")]
    pub retrohunt_days: u32,
    /// How often the retro-hunt worker looks for new indicators and queued hunts.
    pub retrohunt_poll: HumanDuration,
}

impl Default for IntelConfig {
    fn default() -> Self {
        Self {
            retrohunt_days: 30,
            retrohunt_poll: HumanDuration::parse("10s").expect("valid literal"),
        }
    }
}

/// `[flow]`: the ISP network watch: flows from registered exporters, attack detection per
/// prefix group, and mitigation (scripts, webhooks, BGP blackholes and FlowSpec through BIRD).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowConfig {
    /// Collect and watch flows on this server.
    #[serde(deserialize_with = "bool_or_string")]
    pub enabled: bool,
    /// UDP address the collector listens on (NetFlow v5/v9, IPFIX and sFlow on one port).
    pub listen: String,
    /// The routers whose flows are trusted, each an address or `{ address, unit_id }` (the ISP
    /// unit it belongs to, whose officers then see its counters); others are counted, not used.
    pub exporters: Vec<ExporterEntry>,
    /// `[flow.detect]`: window, hold-down, and `[[flow.detect.groups]]` with their thresholds.
    pub detect: canhgac_flow::detect::DetectConfig,
    /// `[flow.mitigate]`: BIRD and what each group's attacks trigger.
    pub mitigate: canhgac_flow::mitigate::MitigateConfig,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            listen: "[::]:2055".into(),
            exporters: Vec::new(),
            detect: canhgac_flow::detect::DetectConfig::default(),
            mitigate: canhgac_flow::mitigate::MitigateConfig::default(),
        }
    }
}

/// One registered flow exporter: its address alone, or with the ISP unit it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExporterEntry {
    /// `"192.0.2.1"`: trusted, seen by province-wide staff only.
    Address(String),
    /// `{ address = "192.0.2.1", unit_id = 12 }`.
    Registered(RegisteredExporter),
}

/// An exporter registered to an ISP unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredExporter {
    /// The router's address.
    pub address: String,
    /// The ISP unit it belongs to.
    pub unit_id: i64,
}

impl ExporterEntry {
    /// The address as written.
    pub fn address(&self) -> &str {
        match self {
            ExporterEntry::Address(address) => address,
            ExporterEntry::Registered(registered) => &registered.address,
        }
    }

    /// The unit, when registered with one.
    pub fn unit_id(&self) -> Option<i64> {
        match self {
            ExporterEntry::Address(_) => None,
            ExporterEntry::Registered(registered) => Some(registered.unit_id),
        }
    }
}

/// `[scan]`: the external scanner's runs on this server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    /// Run queued and scheduled scans on this server.
    #[serde(deserialize_with = "bool_or_string")]
    pub enabled: bool,
    /// Scans running at once, at most.
    #[serde(deserialize_with = "u32_or_string")]
    pub concurrency: u32,
    /// How often the queue and the schedules are looked at.
    pub poll: HumanDuration,
    /// Directories of nuclei-format templates every scan also runs (read once at start). In the
    /// environment: a comma-separated list.
    #[serde(deserialize_with = "list_or_string")]
    pub templates: Vec<PathBuf>,
    /// The vulnerability database (`canhgac vulndb import`) products and versions are matched
    /// against; empty for none.
    pub vulndb: String,
    /// DNS resolver of the mail posture checks and dns templates (ip or ip:port); empty for the
    /// system's.
    pub resolver: String,
    /// A run saves a checkpoint after every this many addresses, so a run interrupted by a
    /// server stop continues from there.
    #[serde(deserialize_with = "u32_or_string")]
    pub checkpoint_hosts: u32,
    /// Where this server stands relative to the systems it scans: `internet` (outside: risky
    /// services such as RDP or databases are urgent) or `internal` (inside their network).
    pub vantage: canhgac_scan::exposure::Vantage,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            concurrency: 2,
            poll: HumanDuration::parse("2s").expect("valid literal"),
            templates: Vec::new(),
            vulndb: String::new(),
            resolver: String::new(),
            checkpoint_hosts: 16,
            vantage: canhgac_scan::exposure::Vantage::Internet,
        }
    }
}

/// Reads a list from TOML, or from one comma-separated string (environment variables).
fn list_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<PathBuf>),
        Text(String),
    }
    Ok(match ListOrString::deserialize(d)? {
        ListOrString::List(list) => list,
        ListOrString::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
    })
}

/// Console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
}

impl Lang {
    /// The language code the console uses.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A duration written for people: `8h`, `15m`, `1h 30m`, `90s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// Parses `8h`, `15m`, `1h30m`, `PT8H`...; zero and negative durations are refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        let signed = jiff::SignedDuration::from_str(text.trim()).map_err(|e| {
            format!("invalid duration {text:?} ({e}); write e.g. \"8h\", \"15m\" or \"1h 30m\"")
        })?;
        let duration = Duration::try_from(signed)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("duration {text:?} must be positive"))?;
        Ok(Self(duration))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signed = jiff::SignedDuration::try_from(self.0).map_err(|_| fmt::Error)?;
        write!(f, "{signed:#}")
    }
}

/// A size in bytes written for people: `10MiB`, `512KiB`, `1GB`, `1048576`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl ByteSize {
    const UNITS: &'static [(&'static str, u64)] = &[
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("KB", 1_000),
        ("kB", 1_000),
        ("B", 1),
    ];

    /// Parses a number followed by an optional unit (B, KB, MB, GB, KiB, MiB, GiB).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (number, multiplier) = Self::UNITS
            .iter()
            .find_map(|(unit, m)| text.strip_suffix(unit).map(|n| (n.trim(), *m)))
            .unwrap_or((text, 1));
        let value: u64 = number
            .parse()
            .map_err(|_| format!("invalid size {text:?}; write e.g. \"10MiB\" or \"512KiB\""))?;
        value
            .checked_mul(multiplier)
            .filter(|bytes| *bytes > 0)
            .map(Self)
            .ok_or_else(|| format!("size {text:?} must be positive and below 16 EiB"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, m) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if self.0.is_multiple_of(m) {
                return write!(f, "{}{unit}", self.0 / m);
            }
        }
        write!(f, "{}B", self.0)
    }
}

/// An IANA time zone name known to the bundled database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Checks the name against jiff's bundled time zone database.
    pub fn parse(text: &str) -> Result<Self, String> {
        jiff::tz::TimeZone::get(text.trim())
            .map(|_| Self(text.trim().to_string()))
            .map_err(|_| format!("unknown time zone {text:?}; write e.g. \"Asia/Ho_Chi_Minh\""))
    }

    /// The time zone itself.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// A `tracing` filter directive, checked at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLevel(pub String);

impl LogLevel {
    /// Checks the directive parses.
    pub fn parse(text: &str) -> Result<Self, String> {
        tracing_subscriber::EnvFilter::try_new(text.trim())
            .map(|_| Self(text.trim().to_string()))
            .map_err(|e| format!("invalid log filter {text:?}: {e}"))
    }
}

macro_rules! string_backed {
    ($($ty:ty),+) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&DisplayAs(self))
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                <$ty>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    )+};
}
string_backed!(HumanDuration, ByteSize, TimeZoneName, LogLevel);

struct DisplayAs<'a, T>(&'a T);

impl fmt::Display for DisplayAs<'_, HumanDuration> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
impl fmt::Display for DisplayAs<'_, ByteSize> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
impl fmt::Display for DisplayAs<'_, TimeZoneName> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0 .0)
    }
}
impl fmt::Display for DisplayAs<'_, LogLevel> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0 .0)
    }
}

/// Environment values are always strings; numeric and boolean keys accept them too.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar<T> {
    Typed(T),
    Text(String),
}

fn u32_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    match Scalar::<u32>::deserialize(d)? {
        Scalar::Typed(v) => Ok(v),
        Scalar::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
    }
}

fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Scalar::<bool>::deserialize(d)? {
        Scalar::Typed(v) => Ok(v),
        Scalar::Text(text) => match text.trim() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "expected true or false, found {other:?}"
            ))),
        },
    }
}

/// Overrides from the command line (`serve` flags), strongest of all.
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--listen`
    pub listen: Option<SocketAddr>,
    /// `--data`
    pub data_dir: Option<PathBuf>,
    /// `--database`
    pub database_url: Option<String>,
}

/// A configuration that cannot be used, with a message naming the key.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The short environment variables and the key each sets.
pub const SHORT_ENV: &[(&str, &str, &str)] = &[
    ("CANHGAC_LISTEN", "server", "listen"),
    ("CANHGAC_DATA", "storage", "data_dir"),
    ("CANHGAC_DATABASE_URL", "storage", "database_url"),
    ("CANHGAC_LOG", "log", "level"),
];

/// A loaded configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The effective configuration.
    pub config: Config,
    /// The file read, if any.
    pub file: Option<PathBuf>,
    /// `CANHGAC_*` variables that set nothing (probably misspelt), to warn about.
    pub ignored_env: Vec<String>,
}

/// Prefixes of `CANHGAC_*` variables that belong to the test and CI tooling, not to canhgac.
const TOOLING_ENV: &[&str] = &[
    "CANHGAC_TEST_",
    "CANHGAC_REQUIRE_SERVICES",
    "CANHGAC_PG_",
    "CANHGAC_BENCH_",
    "CANHGAC_BIN",
    "CANHGAC_CHROM",
    "CANHGAC_E2E_",
];

/// The variables of `env` that neither the short nor the generic form reads.
pub fn ignored_env(env: &[(String, String)]) -> Vec<String> {
    env.iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with("CANHGAC_") && !name.contains("__"))
        .filter(|name| !SHORT_ENV.iter().any(|(short, _, _)| short == name))
        .filter(|name| !TOOLING_ENV.iter().any(|prefix| name.starts_with(prefix)))
        .cloned()
        .collect()
}

/// Loads the configuration from `explicit` (or the default paths), the process environment and
/// `cli`.
pub fn load(explicit: Option<&Path>, cli: &CliOverrides) -> Result<Loaded, ConfigError> {
    let file = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => DEFAULT_PATHS
            .iter()
            .map(PathBuf::from)
            .find(|path| path.is_file()),
    };
    let text = match &file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("{}: cannot read: {e}", path.display())))?,
        ),
        None => None,
    };
    let env: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| name.starts_with("CANHGAC_"))
        .collect();
    let mut config = from_sources(file.as_deref(), text.as_deref(), &env)?;
    if let Some(listen) = cli.listen {
        config.server.listen = listen;
    }
    if let Some(dir) = &cli.data_dir {
        config.storage.data_dir = dir.clone();
    }
    if let Some(url) = &cli.database_url {
        config.storage.database_url = url.clone();
    }
    Ok(Loaded {
        config,
        file,
        ignored_env: ignored_env(&env),
    })
}

/// Builds the configuration from a file's text and environment variables (pure, for tests).
pub fn from_sources(
    file: Option<&Path>,
    text: Option<&str>,
    env: &[(String, String)],
) -> Result<Config, ConfigError> {
    let file_name = file.map_or_else(|| "canhgac.toml".to_string(), |p| p.display().to_string());
    let known = known_keys();
    let mut table = match text {
        Some(text) => toml::from_str::<toml::Table>(text)
            .map_err(|e| ConfigError(format!("{file_name}: {}", one_line(&e.to_string()))))?,
        None => toml::Table::new(),
    };
    for (section, value) in &table {
        let Some(keys) = known.get(section.as_str()) else {
            return Err(ConfigError(format!(
                "{file_name}: unknown section [{section}] (known: {})",
                known.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        };
        let Some(entries) = value.as_table() else {
            return Err(ConfigError(format!(
                "{file_name}: {section} must be a section ([{section}])"
            )));
        };
        for key in entries.keys() {
            if !keys.contains(key) {
                return Err(ConfigError(format!(
                    "{file_name}: unknown key {section}.{key}"
                )));
            }
        }
    }

    // Where each overridden key came from, to name it in errors.
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    let mut set = |table: &mut toml::Table, var: &str, section: &str, key: &str, value: &str| {
        let entry = table
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let Some(section_table) = entry.as_table_mut() {
            section_table.insert(key.to_string(), toml::Value::String(value.to_string()));
        }
        origin.insert(format!("{section}.{key}"), var.to_string());
    };
    let mut generic: Vec<&(String, String)> =
        env.iter().filter(|(n, _)| n.contains("__")).collect();
    generic.sort();
    for (name, value) in generic {
        let rest = name.strip_prefix("CANHGAC_").unwrap_or(name);
        let (section, key) = rest.split_once("__").unwrap_or((rest, ""));
        let (section, key) = (section.to_lowercase(), key.to_lowercase());
        let valid = known
            .get(section.as_str())
            .is_some_and(|keys| keys.contains(&key));
        if !valid {
            return Err(ConfigError(format!(
                "{name}: unknown key {section}.{key} (variables are CANHGAC_<SECTION>__<KEY>, e.g. CANHGAC_WEB__SESSION_TTL)"
            )));
        }
        set(&mut table, name, &section, &key, value);
    }
    for (var, section, key) in SHORT_ENV {
        if let Some((_, value)) = env.iter().find(|(n, _)| n == var) {
            set(&mut table, var, section, key, value);
        }
    }

    let deserializer = toml::Value::Table(table);
    serde_path_to_error::deserialize::<_, Config>(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let message = one_line(&e.inner().to_string());
        // toml's value deserializer appends the key itself; it is already in front.
        let suffix = format!(" in `{path}`");
        let message = message
            .strip_suffix(&suffix)
            .unwrap_or(&message)
            .to_string();
        match origin.get(&path) {
            Some(var) => ConfigError(format!("{var} ({path}): {message}")),
            None => ConfigError(format!("{file_name}: {path}: {message}")),
        }
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every section and its keys, taken from the defaults so the list cannot drift from the structs.
pub fn known_keys() -> BTreeMap<String, Vec<String>> {
    let defaults = toml::Table::try_from(Config::default()).expect("defaults serialise");
    defaults
        .into_iter()
        .map(|(section, value)| {
            let keys = value
                .as_table()
                .map(|t| t.keys().cloned().collect())
                .unwrap_or_default();
            (section, keys)
        })
        .collect()
}

impl Config {
    /// The effective configuration as TOML, with the database password masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.storage.database_url = mask_url(&shown.storage.effective_database_url());
        if !shown.smtp.password.is_empty() {
            shown.smtp.password = "***".into();
        }
        let notify = &mut shown.notify;
        for secret in [
            &mut notify.ack_secret,
            &mut notify.webhook_url,
            &mut notify.webhook_secret,
            &mut notify.telegram_bot_token,
            &mut notify.zalo_access_token,
        ] {
            if !secret.is_empty() {
                *secret = "***".into();
            }
        }
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }

    /// Settings for the web server.
    pub fn web_settings(&self) -> canhgac_web::WebSettings {
        canhgac_web::WebSettings {
            secure_cookies: self.web.secure_cookies,
            session_ttl: self.web.session_ttl.0,
            max_body_bytes: usize::try_from(self.web.max_body.0).unwrap_or(usize::MAX),
            login_attempts: self.web.login_attempts,
            login_window: self.web.login_window.0,
            time_zone: self.locale.time_zone.time_zone(),
            default_lang: self.web.default_lang.code().to_string(),
            retrohunt_days: self.intel.retrohunt_days.max(1),
        }
    }
}

/// A database URL safe to print or log: the password is replaced by `***`.
pub fn mask_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(_) => raw.to_string(),
        // Not a URL we can parse: it may still hold a secret, so show only the scheme.
        Err(_) => raw.split_once("://").map_or_else(
            || "***".to_string(),
            |(scheme, _)| format!("{scheme}://***"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_file() {
        let config = from_sources(None, None, &[]).expect("defaults");
        assert_eq!(config, Config::default());
        assert_eq!(config.web.session_ttl.0, Duration::from_secs(8 * 3600));
        assert_eq!(config.web.login_window.0, Duration::from_secs(15 * 60));
        assert_eq!(config.web.max_body.0, 10 * 1024 * 1024);
        assert_eq!(
            config.storage.effective_database_url(),
            "sqlite://./canhgac-data/canhgac.db"
        );
    }

    #[test]
    fn example_parses_and_documents_every_key() {
        let config = from_sources(Some(Path::new("canhgac.example.toml")), Some(EXAMPLE), &[])
            .expect("the example parses");
        let mut expected = Config::default();
        expected.storage.data_dir = PathBuf::from("/var/lib/canhgac");
        assert_eq!(
            config, expected,
            "the example shows the defaults (data_dir for systemd)"
        );
        let example: toml::Table = toml::from_str(EXAMPLE).expect("toml");
        for (section, keys) in known_keys() {
            let table = example
                .get(&section)
                .and_then(|v| v.as_table())
                .unwrap_or_else(|| panic!("section [{section}] missing from the example"));
            for key in keys {
                assert!(
                    table.contains_key(&key),
                    "{section}.{key} missing from the example"
                );
                // Documented means a comment line right above the key.
                let pos = EXAMPLE
                    .lines()
                    .position(|l| l.starts_with(&format!("{key} =")))
                    .unwrap_or_else(|| panic!("{key} line"));
                let above = EXAMPLE.lines().nth(pos - 1).unwrap_or("");
                assert!(
                    above.starts_with('#'),
                    "{section}.{key} has no comment above it"
                );
            }
        }
    }

    #[test]
    fn smtp_password_comes_from_the_environment_and_is_never_shown() {
        let env = vec![
            (
                "CANHGAC_SMTP__PASSWORD".to_string(),
                "s3cret-pass".to_string(),
            ),
            ("CANHGAC_SMTP__PORT".to_string(), "2525".to_string()),
        ];
        let config =
            from_sources(None, Some("[smtp]\nhost = \"mail.example.vn\"\n"), &env).expect("parses");
        assert_eq!(config.smtp.password, "s3cret-pass");
        assert_eq!(config.smtp.port, 2525);
        assert!(!config.to_masked_toml().contains("s3cret-pass"));
        assert!(config.to_masked_toml().contains("password = \"***\""));
        assert!(!format!("{config:?}").contains("s3cret-pass"));
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let err = from_sources(
            Some(Path::new("canhgac.toml")),
            Some("[web]\nsesion_ttl = \"8h\"\n"),
            &[],
        )
        .expect_err("unknown key");
        assert_eq!(err.0, "canhgac.toml: unknown key web.sesion_ttl");
        let err = from_sources(None, Some("[wbe]\n"), &[]).expect_err("unknown section");
        assert!(err.0.contains("unknown section [wbe]"), "{}", err.0);
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = from_sources(None, Some("[web]\nsession_ttl = \"8 parsecs\"\n"), &[])
            .expect_err("bad duration");
        assert!(
            err.0
                .starts_with("canhgac.toml: web.session_ttl: invalid duration"),
            "{}",
            err.0
        );
        let err = from_sources(
            None,
            Some("[locale]\ntime_zone = \"Asia/Hanoi_City\"\n"),
            &[],
        )
        .expect_err("bad zone");
        assert!(
            err.0.contains("locale.time_zone: unknown time zone"),
            "{}",
            err.0
        );
        let err =
            from_sources(None, Some("[web]\ndefault_lang = \"fr\"\n"), &[]).expect_err("bad lang");
        assert!(err.0.contains("web.default_lang"), "{}", err.0);
        let err = from_sources(None, Some("[server]\nlisten = \"localhost\"\n"), &[])
            .expect_err("bad listen");
        assert!(err.0.contains("server.listen"), "{}", err.0);
    }

    #[test]
    fn environment_overrides_file_and_names_the_variable() {
        let config = from_sources(
            None,
            Some("[web]\nlogin_attempts = 3\nsecure_cookies = false\n[log]\nlevel = \"warn\"\n"),
            &env(&[
                ("CANHGAC_WEB__LOGIN_ATTEMPTS", "9"),
                ("CANHGAC_WEB__SECURE_COOKIES", "true"),
                ("CANHGAC_WEB__MAX_BODY", "512KiB"),
                ("CANHGAC_LOG", "debug"),
                ("CANHGAC_LISTEN", "0.0.0.0:9000"),
                ("CANHGAC_TEST_DATABASE_URL", "postgres://ignored"),
            ]),
        )
        .expect("valid");
        assert_eq!(config.web.login_attempts, 9);
        assert!(config.web.secure_cookies);
        assert_eq!(config.web.max_body.0, 512 * 1024);
        assert_eq!(config.log.level.0, "debug");
        assert_eq!(config.server.listen.to_string(), "0.0.0.0:9000");

        let err = from_sources(None, None, &env(&[("CANHGAC_WEB__LOGIN_ATTEMPTS", "abc")]))
            .expect_err("bad number");
        assert_eq!(
            err.0,
            "CANHGAC_WEB__LOGIN_ATTEMPTS (web.login_attempts): invalid digit found in string"
        );
        let err = from_sources(None, None, &env(&[("CANHGAC_WEB__SESION_TTL", "1h")]))
            .expect_err("unknown key");
        assert!(
            err.0
                .starts_with("CANHGAC_WEB__SESION_TTL: unknown key web.sesion_ttl"),
            "{}",
            err.0
        );
    }

    #[test]
    fn misspelt_variables_are_reported() {
        let ignored = ignored_env(&env(&[
            ("CANHGAC_LISTN", "x"),
            ("CANHGAC_LISTEN", "x"),
            ("CANHGAC_WEB__SESSION_TTL", "1h"),
            ("CANHGAC_TEST_DATABASE_URL", "x"),
            ("CANHGAC_REQUIRE_SERVICES", "1"),
        ]));
        assert_eq!(ignored, ["CANHGAC_LISTN"]);
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(ByteSize::parse("10MiB").map(|b| b.0), Ok(10 << 20));
        assert_eq!(ByteSize::parse("2 KB").map(|b| b.0), Ok(2000));
        assert_eq!(ByteSize::parse("4096").map(|b| b.0), Ok(4096));
        assert!(ByteSize::parse("ten").is_err());
        assert!(ByteSize::parse("0").is_err());
        assert_eq!(ByteSize(10 << 20).to_string(), "10MiB");
        assert_eq!(
            HumanDuration::parse("1h 30m").map(|d| d.0.as_secs()),
            Ok(5400)
        );
        assert_eq!(HumanDuration::parse("90s").map(|d| d.0.as_secs()), Ok(90));
        assert!(HumanDuration::parse("0s").is_err());
        assert!(HumanDuration::parse("-5m").is_err());
        let round = HumanDuration::parse(&HumanDuration::parse("8h").expect("8h").to_string());
        assert_eq!(round.map(|d| d.0.as_secs()), Ok(8 * 3600));
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(
            mask_url("postgres://canhgac:s3cret@db.local:5432/canhgac"),
            "postgres://canhgac:***@db.local:5432/canhgac"
        );
        let mut config = Config::default();
        config.storage.database_url = "postgres://u:hunter2hunter2@h/db".into();
        let shown = config.to_masked_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(
            mask_url("sqlite:///var/lib/canhgac/canhgac.db"),
            "sqlite:///var/lib/canhgac/canhgac.db"
        );
    }

    #[test]
    fn sqlite_path_from_url() {
        let mut storage = StorageConfig {
            data_dir: PathBuf::from("/var/lib/canhgac"),
            database_url: String::new(),
        };
        assert_eq!(
            storage.sqlite_path(),
            Some(PathBuf::from("/var/lib/canhgac/canhgac.db"))
        );
        storage.database_url = "sqlite:///srv/x.db?mode=rwc".into();
        assert_eq!(storage.sqlite_path(), Some(PathBuf::from("/srv/x.db")));
        storage.database_url = "postgres://h/db".into();
        assert_eq!(storage.sqlite_path(), None);
    }
}
