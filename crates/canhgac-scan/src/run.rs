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

use canhgac_nuclei::engine::{Engine, EngineOptions};
use canhgac_nuclei::template::Template;
use canhgac_tlscheck::{StartTls, TlsOptions, TlsTarget};
use canhgac_vulndb::{ProductRef, VulnDb};

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
            category::TLS,
            category::CERTIFICATE,
        ];
        if self.web_paths() {
            out.push(category::WEB_EXPOSURE);
        }
        out
    }
}

/// How a run goes.
#[derive(Debug, Clone)]
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
    /// Identify services and run the checks; when off, the run only lists open ports (like a
    /// connect scan without version detection).
    pub identify_services: bool,
    /// TLS review settings (every service that speaks TLS, and STARTTLS on mail ports).
    pub tls: TlsOptions,
    /// Mail domains whose posture (MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT) is checked; with the
    /// `mail` profile and none given, the targets' host names.
    pub mail_domains: Vec<String>,
    /// Mail posture settings (DKIM selectors...).
    pub mail: canhgac_mailcheck::MailOptions,
    /// SMTP settings; the open-relay probe runs with the `mail` and `full` profiles (targets
    /// are in scope by the time a run starts).
    pub smtp: canhgac_mailcheck::SmtpOptions,
    /// The DNS resolver for mail posture and `dns` templates (the system's when `None`).
    pub resolver: Option<std::net::SocketAddr>,
    /// Nuclei-format templates to run (http against every web service, ssl against every TLS
    /// service, dns against host names, tcp against hosts).
    pub templates: Option<Arc<Vec<Template>>>,
    /// Template engine limits.
    pub engine: EngineOptions,
    /// The vulnerability database products and versions are matched against.
    pub vulndb: Option<Arc<VulnDb>>,
    /// Where the scanner stands: risky services are judged by it.
    pub vantage: exposure::Vantage,
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
            identify_services: true,
            tls: TlsOptions {
                enumerate_ciphers: profile != Profile::Quick,
                ..TlsOptions::default()
            },
            mail_domains: Vec::new(),
            mail: canhgac_mailcheck::MailOptions::default(),
            smtp: canhgac_mailcheck::SmtpOptions {
                relay_test: matches!(profile, Profile::Mail | Profile::Full),
                ..canhgac_mailcheck::SmtpOptions::default()
            },
            resolver: None,
            templates: None,
            engine: EngineOptions::default(),
            vulndb: None,
            vantage: exposure::Vantage::Internet,
        }
    }

    /// Checks the mail posture and SMTP servers.
    pub fn checks_mail(&self) -> bool {
        matches!(self.profile, Profile::Mail | Profile::Full)
    }

    /// The categories this run judges: those of the profile, and those of the extra checks the
    /// options turn on.
    pub fn categories(&self) -> Vec<String> {
        let mut out: Vec<&str> = self.profile.categories();
        for category in out.iter_mut() {
            if *category == category::EXPOSED_SERVICE {
                *category = self.vantage.category();
            }
        }
        if self.checks_mail() {
            out.extend([category::MAIL_DNS, category::MAIL_SERVER]);
        }
        if self.templates.as_ref().is_some_and(|t| !t.is_empty()) {
            out.push(category::TEMPLATE);
        }
        if self.vulndb.is_some() {
            out.push(category::VULNERABILITY);
        }
        out.into_iter().map(str::to_owned).collect()
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

/// TLS review, SMTP checks and known vulnerabilities of one identified service.
async fn service_checks(
    host: &ScanHost,
    service: &Service,
    options: &ScanOptions,
) -> Vec<ScanIssue> {
    let mut issues = Vec::new();
    let port = service.addr.port;
    let server_name = (host.name.parse::<IpAddr>().is_err()).then_some(host.name.as_str());
    let starttls = match (service.service.as_str(), service.tls) {
        ("smtp", false) => Some(StartTls::Smtp),
        ("imap", false) => Some(StartTls::Imap),
        ("pop3", false) => Some(StartTls::Pop3),
        _ => None,
    };
    if service.service == "smtp" && options.checks_mail() {
        let report =
            canhgac_mailcheck::check_smtp(service.addr.addr(), &host.name, &options.smtp).await;
        issues.extend(report.issues().iter().cloned());
    }
    if service.tls || starttls.is_some() {
        let mut target = TlsTarget::new(service.addr.addr(), server_name);
        if let Some(protocol) = starttls {
            target = target.with_starttls(protocol);
        }
        // A mail port without STARTTLS answers the prelude with an error: that is the SMTP
        // check's finding, not a TLS one.
        if let Ok(report) = canhgac_tlscheck::review(&target, &options.tls).await {
            issues.extend(canhgac_tlscheck::issues(&report, &host.name, port));
        }
    }
    if let (Some(db), Some(version)) = (&options.vulndb, &service.version) {
        if let Some(product) = &service.product {
            let product = ProductRef {
                vendor: None,
                product: product.clone(),
                version: version.clone(),
                cpe: service.cpe.clone(),
            };
            issues.extend(known_vulnerabilities(db, &host.name, port, &product).await);
        }
    }
    issues
}

async fn known_vulnerabilities(
    db: &VulnDb,
    host: &str,
    port: u16,
    product: &ProductRef,
) -> Vec<ScanIssue> {
    match db.matches(product).await {
        Ok(found) => found
            .iter()
            .map(|m| canhgac_vulndb::to_issue(m, host, Some(port), product))
            .collect(),
        Err(error) => {
            tracing::warn!(%error, product = %product.product, "vulnerability lookup failed");
            Vec::new()
        }
    }
}

/// Issues of checks that look at hosts and domains rather than one service.
#[derive(Default)]
struct HostChecks {
    issues: Vec<ScanIssue>,
    requests: u64,
}

/// Mail posture of the mail domains, and the templates.
async fn host_checks(
    hosts: &[ScanHost],
    reports: &[HostReport],
    options: &ScanOptions,
) -> HostChecks {
    let mut out = HostChecks::default();
    let resolver = match options.resolver {
        Some(addr) => Some(canhgac_dns::Resolver::new(
            addr,
            std::time::Duration::from_secs(5),
        )),
        None => canhgac_dns::Resolver::from_config(None).ok(),
    };
    let names: Vec<String> = hosts
        .iter()
        .map(|h| h.name.clone())
        .filter(|n| n.parse::<IpAddr>().is_err())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if options.checks_mail() {
        if let Some(resolver) = &resolver {
            let domains = if options.mail_domains.is_empty() && options.profile == Profile::Mail {
                mail_domains_of(resolver, &names).await
            } else {
                options.mail_domains.clone()
            };
            for domain in &domains {
                let posture =
                    canhgac_mailcheck::check_domain(resolver, domain, &options.mail).await;
                out.issues.extend(posture.issues().iter().cloned());
            }
        }
    }
    let Some(templates) = options.templates.as_ref().filter(|t| !t.is_empty()) else {
        return out;
    };
    let mut engine_options = options.engine.clone();
    if engine_options.resolver.is_none() {
        engine_options.resolver = resolver;
    }
    let engine = Engine::new(engine_options);
    let mut targets: Vec<(&'static str, String)> = Vec::new();
    for report in reports {
        let bracket = |name: &str| {
            if name.contains(':') {
                format!("[{name}]")
            } else {
                name.to_owned()
            }
        };
        for service in &report.services {
            let authority = format!("{}:{}", bracket(&report.name), service.addr.port);
            if service.service == "http" {
                let scheme = if service.tls { "https" } else { "http" };
                targets.push(("http", format!("{scheme}://{authority}")));
            }
            if service.tls {
                targets.push(("ssl", authority.clone()));
            }
        }
        if let Some(first) = report.services.first() {
            targets.push((
                "tcp",
                format!("{}:{}", bracket(&report.name), first.addr.port),
            ));
        }
    }
    for name in &names {
        targets.push(("dns", name.clone()));
    }
    // Jobs own what they hold (an index into the shared list, the target): futures built from
    // closures over borrowed items are not `Send` enough for a spawned scan.
    let mut jobs: Vec<(usize, canhgac_nuclei::target::Target)> = Vec::new();
    for (index, template) in templates.iter().enumerate() {
        for (protocol, text) in &targets {
            if *protocol == template.protocol() {
                if let Ok(target) = canhgac_nuclei::target::Target::parse(text) {
                    jobs.push((index, target));
                }
            }
        }
    }
    let engine = Arc::new(engine);
    let results: Vec<(Vec<ScanIssue>, u64)> = stream::iter(jobs)
        .map(|(index, target)| {
            let (engine, templates) = (engine.clone(), templates.clone());
            async move {
                let template = &templates[index];
                let outcome = engine.run(template, &target).await;
                let issues: Vec<ScanIssue> = outcome
                    .hits
                    .iter()
                    .map(|hit| hit.to_issue(template))
                    .collect();
                (issues, outcome.requests_sent as u64)
            }
        })
        .buffer_unordered(options.engine.max_concurrent.max(1))
        .collect()
        .await;
    for (issues, requests) in results {
        out.issues.extend(issues);
        out.requests += requests;
    }
    out
}

/// The mail domains behind host names: the name itself when it has MX records, else its
/// parent when that has them (`mail.sotttt.gov.vn` → `sotttt.gov.vn`); names with neither are
/// left out rather than reported as domains without mail.
async fn mail_domains_of(resolver: &canhgac_dns::Resolver, names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let parent = name
            .split_once('.')
            .map(|(_, rest)| rest)
            .filter(|rest| rest.contains('.'));
        for candidate in std::iter::once(name.as_str()).chain(parent) {
            let has_mx = resolver
                .lookup(candidate, canhgac_dns::RecordType::MX)
                .await
                .is_ok_and(|answer| !answer.texts(canhgac_dns::RecordType::MX).is_empty());
            if has_mx {
                if !out.iter().any(|d| d == candidate) {
                    out.push(candidate.to_owned());
                }
                break;
            }
        }
    }
    out
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
                if !options.identify_services {
                    progress.steps_done.fetch_add(1, Ordering::Relaxed);
                    return ServiceOutcome {
                        host,
                        service: Service::unidentified(open),
                        issues: Vec::new(),
                        web_report: None,
                        requests: 0,
                    };
                }
                let service = services::identify(db, &host.name, open, &options.identify).await;
                let mut issues = Vec::new();
                if let Some(issue) = exposure::issue_for(&host.name, &service, options.vantage) {
                    issues.push(issue);
                }
                let mut web_report = None;
                let mut requests = 0;
                issues.extend(service_checks(&host, &service, options).await);
                if service.service == "http" {
                    let target = WebTarget {
                        host: host.name.clone(),
                        addr: open.addr(),
                        tls: service.tls,
                    };
                    let report = web::check(&target, &options.web).await;
                    requests += u64::from(report.requests);
                    issues.extend(report.issues.iter().cloned());
                    if let Some(db) = &options.vulndb {
                        for tech in report.technologies.iter().filter(|t| t.version.is_some()) {
                            let product = ProductRef {
                                vendor: None,
                                product: tech.product.clone(),
                                version: tech.version.clone().unwrap_or_default(),
                                cpe: Some(tech.cpe.clone()),
                            };
                            issues.extend(
                                known_vulnerabilities(db, &host.name, open.port, &product).await,
                            );
                        }
                    }
                    if options.checks_mail() {
                        let client = web::client_for(&target, &options.web);
                        if let Some(client) = client {
                            for found in
                                canhgac_mailcheck::probe_webmail(&client, &report.base_url).await
                            {
                                issues.push(found.issue(&host.name));
                            }
                        }
                    }
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
    progress.set(Phase::Checks);
    let extra = if options.identify_services {
        host_checks(hosts, &reports, options).await
    } else {
        HostChecks::default()
    };
    requests += extra.requests;
    for issue in extra.issues {
        if !issues
            .iter()
            .any(|i| i.finding_key() == issue.finding_key())
        {
            issues.push(issue);
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
        categories: options.categories(),
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

    #[test]
    fn an_inside_run_judges_internal_services_not_exposed_ones() {
        let mut options = ScanOptions::for_profile(Profile::Quick);
        assert!(options
            .categories()
            .contains(&category::EXPOSED_SERVICE.to_owned()));
        options.vantage = exposure::Vantage::Internal;
        let categories = options.categories();
        assert!(categories.contains(&category::INTERNAL_SERVICE.to_owned()));
        assert!(!categories.contains(&category::EXPOSED_SERVICE.to_owned()));
    }

    #[test]
    fn a_run_can_be_spawned_by_a_server() {
        // Compiles only if a run's future is Send + 'static with owned inputs, as the server's
        // scan worker spawns it.
        fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
        let options = ScanOptions::for_profile(Profile::Full);
        let progress = Arc::new(ScanProgress::default());
        let hosts: Vec<ScanHost> = Vec::new();
        spawnable(async move { run(&hosts, &options, progress).await });
    }

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
