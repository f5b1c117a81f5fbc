//! The checks of canhgac's watch: one function, [`run_check`], runs one monitor once and says
//! what it found, in Vietnamese for people and as JSON details for the console and alerts.
//!
//! - HTTP(S): status, response time, body (capped), `body_contains`, Gatus-style
//!   [`conditions`], redirects (at most 10; a loop is named), the certificate; a page
//!   [`page::snapshot`] for the defacement watch;
//! - TCP: the port accepts connections; TLS: handshake, chain, expiry ([`CertificateInfo`]);
//! - SMTP and IMAP: banner, EHLO / CAPABILITY, STARTTLS and its certificate;
//! - DNS: the records of a name at a resolver, compared with the expected values;
//! - ICMP: an echo, where the process may send pings (a clear message where it may not).
//!
//! Every check is bounded by the monitor's timeout, reads at most
//! [`CheckOptions::max_body_bytes`] and never panics: whatever the network does, the outcome is
//! a [`CheckOutcome`] with `ok` and a message.
//!
//! Around the checks:
//! - [`schedule`] runs monitors on time (spread, bounded), fed by a [`schedule::MonitorFeed`]:
//!   the store inside the server, the server's API in `canhgac probe` ([`remote`]);
//! - [`state`] is the state machine (retries, flapping, maintenance, outages);
//! - [`runtime::Watcher`] is the server's engine: it stores checks, raises and resolves alerts
//!   (down, DNS changed, certificate, defacement) and keeps the [`automatic`] monitors of portal
//!   and email systems.
//!
//! ```no_run
//! use canhgac_model::{MonitorInput, MonitorKind, LOCAL_PROBE};
//! use canhgac_watch::{run_check, CheckOptions};
//! # async fn demo() {
//! let mut input = MonitorInput::new(1, "Cổng tỉnh", MonitorKind::Http, "https://portal.example.gov.vn/");
//! input.settings.conditions = vec!["[STATUS] == 200".into(), "[RESPONSE_TIME] < 2000".into()];
//! let outcome = run_check(7, &input, LOCAL_PROBE, &CheckOptions::default()).await;
//! println!("{}: {}", outcome.result.ok, outcome.result.message); // "true: HTTP 200 trong 35 ms"
//! if let Some(cert) = &outcome.certificate {
//!     println!("{}", cert.summary()); // "Chứng thư hết hạn sau 45 ngày (01/12/2026)"
//! }
//! # }
//! ```

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use canhgac_model::{CheckResult, Id, MonitorInput, MonitorKind, PageSnapshot};
use futures_util::FutureExt;
use serde_json::{json, Map, Value};

pub mod automatic;
/// Gatus-style conditions: the grammar lives in the model, so every input path validates it.
pub use canhgac_model::conditions;
mod dns;
mod http;
mod icmp;
mod mail;
mod net;
pub mod page;
pub mod remote;
pub mod runtime;
pub mod schedule;
pub mod state;
mod text;
mod tls;

pub use page::DefacementVerdict;
pub use tls::CertificateInfo;

use conditions::{Condition, Context};

/// How checks run, the same for every monitor of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// Bytes of an HTTP body read at most (the rest is not downloaded).
    pub max_body_bytes: usize,
    /// `User-Agent` of HTTP checks.
    pub user_agent: String,
    /// PEM certificates of the province's own CA, trusted besides the web PKI roots.
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            user_agent: concat!("canhgac-watch/", env!("CARGO_PKG_VERSION")).to_owned(),
            extra_roots_pem: None,
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Passed or not, response time, the message (Vietnamese) and the measured details.
    pub result: CheckResult,
    /// HTTP monitors with `settings.defacement`: the page, when a 2xx body was read.
    pub snapshot: Option<PageSnapshot>,
    /// HTTPS, TLS, and SMTP/IMAP with TLS: the server's certificate, when one was shown (also
    /// when it was refused).
    pub certificate: Option<CertificateInfo>,
    /// DNS: the answers, normalised (lower-case names without the final dot, MX as
    /// `preference host`, TXT strings joined), sorted.
    pub dns_answers: Option<Vec<String>>,
}

/// Runs one check of a monitor. Bounded by `input.timeout_secs`; never panics.
pub async fn run_check(
    monitor_id: Id,
    input: &MonitorInput,
    probe: &str,
    options: &CheckOptions,
) -> CheckOutcome {
    let at = jiff::Timestamp::now();
    let timeout = Duration::from_secs(u64::from(input.timeout_secs.clamp(1, 120)));
    let mut session = Session::new(input, options);
    let verdict = match conditions::parse_all(&input.settings.conditions) {
        Err(error) => Verdict::fail(format!("Cấu hình sai: {error}")),
        Ok(conditions) => {
            let work = AssertUnwindSafe(tokio::time::timeout(
                timeout,
                dispatch(&mut session, &conditions),
            ))
            .catch_unwind()
            .await;
            match work {
                Ok(Ok(verdict)) => verdict,
                Ok(Err(_elapsed)) => Verdict::fail(session.timeout_message(timeout)),
                Err(_panic) => {
                    tracing::error!(monitor_id, "check panicked");
                    Verdict::fail("Lỗi nội bộ khi kiểm tra (đã ghi nhật ký)".to_owned())
                }
            }
        }
    };
    session.finish(monitor_id, probe, at, verdict)
}

async fn dispatch(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    match session.input.kind {
        MonitorKind::Http => http::check(session, conditions).await,
        MonitorKind::Tcp => net::check_tcp(session, conditions).await,
        MonitorKind::Tls => net::check_tls(session, conditions).await,
        MonitorKind::Smtp => mail::check_smtp(session, conditions).await,
        MonitorKind::Imap => mail::check_imap(session, conditions).await,
        MonitorKind::Dns => dns::check(session, conditions).await,
        MonitorKind::Icmp => icmp::check(session, conditions).await,
    }
}

/// How a check ended.
#[derive(Debug)]
pub(crate) struct Verdict {
    ok: bool,
    message: String,
}

impl Verdict {
    fn fail(message: String) -> Self {
        Self { ok: false, message }
    }

    /// Passed when there is no problem; the problems follow the headline otherwise.
    fn from_problems(headline: String, problems: &[String]) -> Self {
        if problems.is_empty() {
            Self {
                ok: true,
                message: headline,
            }
        } else {
            Self {
                ok: false,
                message: format!("{headline}: {}", problems.join("; ")),
            }
        }
    }
}

/// What a check has measured so far; kept when the timeout cuts the check short.
pub(crate) struct Session<'a> {
    input: &'a MonitorInput,
    options: &'a CheckOptions,
    trust: Option<tls::Trust>,
    started: Instant,
    /// Values for the conditions.
    context: Context,
    details: Map<String, Value>,
    notes: Vec<String>,
    latency: Option<Duration>,
    certificate: Option<CertificateInfo>,
    dns_answers: Option<Vec<String>>,
    snapshot: Option<PageSnapshot>,
    /// Where the check stood, for the timeout message ("đã kết nối, chờ lời chào").
    stage: Option<String>,
}

impl<'a> Session<'a> {
    fn new(input: &'a MonitorInput, options: &'a CheckOptions) -> Self {
        Self {
            input,
            options,
            trust: None,
            started: Instant::now(),
            context: Context::default(),
            details: Map::new(),
            notes: Vec::new(),
            latency: None,
            certificate: None,
            dns_answers: None,
            snapshot: None,
            stage: None,
        }
    }

    /// The roots to trust, built on first use.
    fn trust(&mut self) -> &tls::Trust {
        let options = self.options;
        let notes = &mut self.notes;
        self.trust.get_or_insert_with(|| {
            let trust = tls::Trust::new(options.extra_roots_pem.as_deref());
            notes.extend(trust.notes.iter().cloned());
            trust
        })
    }

    fn detail(&mut self, key: &str, value: impl Into<Value>) {
        self.details.insert(key.to_owned(), value.into());
    }

    /// Response time measured now, from the start of the check.
    fn measure(&mut self) -> Duration {
        let elapsed = self.started.elapsed();
        self.set_latency(elapsed);
        elapsed
    }

    fn set_latency(&mut self, latency: Duration) {
        self.latency = Some(latency);
        self.context.response_time_ms =
            Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
    }

    fn latency_ms(&self) -> u64 {
        self.context.response_time_ms.unwrap_or(0)
    }

    fn set_certificate(&mut self, certificate: CertificateInfo) {
        let left = certificate.not_after.as_millisecond() - jiff::Timestamp::now().as_millisecond();
        self.context.certificate_expiration_ms = Some(left);
        self.certificate = Some(certificate);
    }

    /// Evaluates the monitor's conditions; the failed ones, described.
    fn failed_conditions(&mut self, conditions: &[Condition]) -> Vec<String> {
        let mut failed = Vec::new();
        let mut report = Vec::new();
        for condition in conditions {
            let evaluation = condition.evaluate(&self.context);
            report.push(json!({
                "condition": condition.to_string(),
                "holds": evaluation.holds,
                "resolved": evaluation.resolved,
            }));
            if !evaluation.holds {
                failed.push(format!("điều kiện không đạt: {}", evaluation.resolved));
            }
        }
        if !report.is_empty() {
            self.detail("conditions", Value::Array(report));
        }
        failed
    }

    fn timeout_message(&self, timeout: Duration) -> String {
        let mut message = format!("Hết thời gian chờ sau {}", text::seconds(timeout));
        if let Some(stage) = &self.stage {
            message.push_str(&format!(" ({stage})"));
        }
        message
    }

    fn finish(
        mut self,
        monitor_id: Id,
        probe: &str,
        at: jiff::Timestamp,
        verdict: Verdict,
    ) -> CheckOutcome {
        if let Some(ip) = &self.context.ip {
            self.details
                .insert("ip".to_owned(), Value::String(ip.clone()));
        }
        if let Some(certificate) = &self.certificate {
            if let Ok(value) = serde_json::to_value(certificate) {
                self.details.insert("certificate".to_owned(), value);
            }
        }
        if !self.notes.is_empty() {
            self.details.insert("notes".to_owned(), json!(self.notes));
        }
        let latency_ms = self
            .latency
            .map(|l| u32::try_from(l.as_millis()).unwrap_or(u32::MAX));
        CheckOutcome {
            result: CheckResult {
                monitor_id,
                probe: probe.to_owned(),
                at,
                ok: verdict.ok,
                latency_ms,
                message: verdict.message,
                details: Value::Object(self.details),
            },
            snapshot: self.snapshot,
            certificate: self.certificate,
            dns_answers: self.dns_answers,
        }
    }
}
