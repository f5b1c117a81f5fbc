//! A scan run: discovery, then service identification, then the checks each service calls for,
//! as the chosen profile says. Produces a [`ScanReport`] whose issues become findings.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use canhgac_model::scan::{category, ScanIssue};
use canhgac_model::Timestamp;
use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::discovery::{self, DiscoveryOptions, OpenPort, Progress};
use crate::exposure;
use crate::ports;
use crate::services::{self, IdentifyOptions, ProbeDb, Service};
use crate::target::ScanHost;
use crate::web::{self, WebOptions, WebReport, WebTarget};

/// What a scan looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Common service ports, services, risky exposures, web headers and banners.
    Quick,
    /// Every port and every check.
    Full,
    /// Web ports with the exposed-file and panel checks.
    Portal,
    /// Mail ports and the mail posture.
    Mail,
}

impl Profile {
    /// Reads `quick`, `full`, `portal`, `mail`.
    pub fn parse(text: &str) -> Option<Profile> {
        match text.trim().to_ascii_lowercase().as_str() {
            "quick" => Some(Profile::Quick),
            "full" => Some(Profile::Full),
            "portal" => Some(Profile::Portal),
            "mail" => Some(Profile::Mail),
            _ => None,
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Full => "full",
            Profile::Portal => "portal",
            Profile::Mail => "mail",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Profile::Quick => "Nhanh",
            Profile::Full => "Đầy đủ",
            Profile::Portal => "Cổng thông tin",
            Profile::Mail => "Thư điện tử",
        }
    }

    /// The ports the profile tries.
    pub fn ports(self) -> Vec<u16> {
        match self {
            Profile::Quick => ports::QUICK.to_vec(),
            Profile::Full => (1..=u16::MAX).collect(),
            Profile::Portal => vec![
                80, 443, 8080, 8443, 8000, 8008, 8081, 8888, 9443, 4443, 7443,
            ],
            Profile::Mail => vec![25, 465, 587, 110, 995, 143, 993, 80, 443],
        }
    }

    /// Probe exposed files, panels and listings.
    pub fn web_paths(self) -> bool {
        matches!(self, Profile::Full | Profile::Portal)
    }

    /// The finding categories a complete run of this profile judges: open findings of these
    /// categories on the scanned hosts that the run did not see again are fixed.
    pub fn categories(self) -> Vec<&'static str> {
        let mut out = vec![
            category::EXPOSED_SERVICE,
            category::HTTP_HARDENING,
            category::FINGERPRINT,
        ];
        if self.web_paths() {
            out.push(category::WEB_EXPOSURE);
        }
        out
    }
}

/// How a run goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanOptions {
    /// The profile.
    pub profile: Profile,
    /// Ports instead of the profile's.
    pub ports: Option<Vec<u16>>,
    /// Discovery limits.
    pub discovery: DiscoveryOptions,
    /// Service identification waits.
    pub identify: IdentifyOptions,
    /// Web check settings.
    pub web: WebOptions,
    /// Services identified at once.
    pub service_concurrency: usize,
}

impl ScanOptions {
    /// The defaults of a profile.
    pub fn for_profile(profile: Profile) -> ScanOptions {
        ScanOptions {
            profile,
            ports: None,
            discovery: DiscoveryOptions::default(),
            identify: IdentifyOptions::default(),
            web: WebOptions {
                paths: profile.web_paths(),
                ..WebOptions::default()
            },
            service_concurrency: 64,
        }
    }
}

/// What was found on one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostReport {
    /// The name scanned.
    pub name: String,
    /// Its address.
    pub ip: IpAddr,
    /// Services on its open ports.
    pub services: Vec<Service>,
    /// Web portals checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub web: Vec<WebReport>,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// The profile.
    pub profile: Profile,
    /// Start.
    pub started_at: Timestamp,
    /// End.
    pub finished_at: Timestamp,
    /// Hosts scanned.
    pub hosts: Vec<HostReport>,
    /// Weaknesses, most severe first.
    pub issues: Vec<ScanIssue>,
    /// Categories the run judged (see [`Profile::categories`]).
    pub categories: Vec<String>,
    /// Connection attempts of discovery.
    pub attempts: u64,
    /// Requests of the checks.
    pub requests: u64,
}

/// Phases a run goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Finding open ports.
    Discovery,
    /// Identifying services.
    Services,
    /// Running checks.
    Checks,
    /// Finished.
    Done,
}

impl Phase {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Phase::Discovery => "dò cổng",
            Phase::Services => "nhận diện dịch vụ",
            Phase::Checks => "kiểm tra",
            Phase::Done => "xong",
        }
    }
}

/// Counters a caller reads while a run goes (a progress bar, the console).
#[derive(Debug)]
pub struct ScanProgress {
    /// Current phase.
    pub phase: Mutex<Phase>,
    /// Discovery counters.
    pub discovery: Arc<Progress>,
    /// Steps (services, checks) finished.
    pub steps_done: AtomicU64,
    /// Steps in total, known once discovery ends.
    pub steps_total: AtomicU64,
    /// Issues found so far.
    pub issues: AtomicU64,
}

impl Default for ScanProgress {
    fn default() -> Self {
        ScanProgress {
            phase: Mutex::new(Phase::Discovery),
            discovery: Arc::new(Progress::default()),
            steps_done: AtomicU64::new(0),
            steps_total: AtomicU64::new(0),
            issues: AtomicU64::new(0),
        }
    }
}

impl ScanProgress {
    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Overall fraction done, 0 to 1: discovery counts for half.
    pub fn fraction(&self) -> f64 {
        let part = |done: u64, total: u64| {
            if total == 0 {
                0.0
            } else {
                done as f64 / total as f64
            }
        };
        match self.phase() {
            Phase::Discovery => {
                0.5 * part(
                    self.discovery.done.load(Ordering::Relaxed),
                    self.discovery.total.load(Ordering::Relaxed),
                )
            }
            Phase::Services | Phase::Checks => {
                0.5 + 0.5
                    * part(
                        self.steps_done.load(Ordering::Relaxed),
                        self.steps_total.load(Ordering::Relaxed),
                    )
            }
            Phase::Done => 1.0,
        }
    }
}

/// What checking one service gave.
struct ServiceOutcome {
    host: ScanHost,
    service: Service,
    issues: Vec<ScanIssue>,
    web_report: Option<WebReport>,
    requests: u64,
}

/// Runs a scan of `hosts` (already in scope).
pub async fn run(
    hosts: &[ScanHost],
    options: &ScanOptions,
    progress: Arc<ScanProgress>,
) -> ScanReport {
    let started_at = Timestamp::now();
    let mut port_list = options
        .ports
        .clone()
        .unwrap_or_else(|| options.profile.ports());
    for host in hosts {
        for port in &host.ports {
            if !port_list.contains(port) {
                port_list.push(*port);
            }
        }
    }
    let ips: Vec<IpAddr> = hosts
        .iter()
        .map(|h| h.ip)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    progress.set(Phase::Discovery);
    let found = discovery::discover(
        &ips,
        &port_list,
        &options.discovery,
        progress.discovery.clone(),
    )
    .await;

    // Every name of an address gets its services identified and checked under that name.
    let mut work: Vec<(ScanHost, OpenPort)> = Vec::new();
    for host in hosts {
        for open in found.open.iter().filter(|o| o.ip == host.ip) {
            work.push((host.clone(), *open));
        }
    }
    progress.set(Phase::Services);
    progress
        .steps_total
        .store(work.len() as u64, Ordering::Relaxed);
    let db = ProbeDb::builtin();
    let identified: Vec<ServiceOutcome> = stream::iter(work)
        .map(|(host, open)| {
            let progress = progress.clone();
            async move {
                let service = services::identify(db, &host.name, open, &options.identify).await;
                let mut issues = Vec::new();
                if let Some(issue) = exposure::issue_for(&host.name, &service) {
                    issues.push(issue);
                }
                let mut web_report = None;
                let mut requests = 0;
                if service.service == "http" {
                    let target = WebTarget {
                        host: host.name.clone(),
                        addr: open.addr(),
                        tls: service.tls,
                    };
                    let report = web::check(&target, &options.web).await;
                    requests += u64::from(report.requests);
                    issues.extend(report.issues.iter().cloned());
                    web_report = Some(report);
                }
                progress
                    .issues
                    .fetch_add(issues.len() as u64, Ordering::Relaxed);
                progress.steps_done.fetch_add(1, Ordering::Relaxed);
                ServiceOutcome {
                    host,
                    service,
                    issues,
                    web_report,
                    requests,
                }
            }
        })
        .buffer_unordered(options.service_concurrency.max(1))
        .collect()
        .await;

    let mut reports: Vec<HostReport> = hosts
        .iter()
        .map(|h| HostReport {
            name: h.name.clone(),
            ip: h.ip,
            services: Vec::new(),
            web: Vec::new(),
        })
        .collect();
    let mut issues: Vec<ScanIssue> = Vec::new();
    let mut requests = 0;
    for ServiceOutcome {
        host,
        service,
        issues: found,
        web_report,
        requests: sent,
    } in identified
    {
        requests += sent;
        if let Some(report) = reports
            .iter_mut()
            .find(|r| r.name == host.name && r.ip == host.ip)
        {
            report.services.push(service);
            report.web.extend(web_report);
        }
        for issue in found {
            if !issues
                .iter()
                .any(|i| i.finding_key() == issue.finding_key())
            {
                issues.push(issue);
            }
        }
    }
    for report in &mut reports {
        report.services.sort_by_key(|s| s.addr.port);
        report.web.sort_by(|a, b| a.base_url.cmp(&b.base_url));
    }
    issues.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.host.cmp(&b.host))
            .then_with(|| a.check.cmp(&b.check))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    progress.set(Phase::Done);
    ScanReport {
        profile: options.profile,
        started_at,
        finished_at: Timestamp::now(),
        hosts: reports,
        issues,
        categories: options
            .profile
            .categories()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        attempts: found.attempts,
        requests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use std::net::Ipv4Addr;

    #[tokio::test]
    async fn a_run_finds_the_portal_and_its_weaknesses() {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let router = Router::new()
            .route(
                "/",
                get(|| async {
                    (
                        [("server", "nginx/1.18.0")],
                        "<html><title>Cổng</title></html>",
                    )
                }),
            )
            .route("/.git/config", get(|| async { "[core]\n" }));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let host = ScanHost {
            name: "127.0.0.1".into(),
            ip: Ipv4Addr::LOCALHOST.into(),
            ports: vec![],
        };
        let mut options = ScanOptions::for_profile(Profile::Portal);
        options.ports = Some(vec![port]);
        let progress = Arc::new(ScanProgress::default());
        let report = run(&[host], &options, progress.clone()).await;
        assert_eq!(progress.phase(), Phase::Done);
        assert_eq!(progress.fraction(), 1.0);
        let services = &report.hosts[0].services;
        assert_eq!(services.len(), 1);
        assert_eq!(services[0].product.as_deref(), Some("nginx"));
        let checks: Vec<&str> = report.issues.iter().map(|i| i.check.as_str()).collect();
        assert!(checks.contains(&"web.exposed.git"), "{checks:?}");
        assert!(checks.contains(&"http.banner.version"), "{checks:?}");
        // Most severe first.
        assert_eq!(report.issues[0].check, "web.exposed.git");
        assert!(report.categories.contains(&"web_exposure".to_owned()));
        assert!(report.requests > 5);
    }
}
