//! Wiring of the live detection path: the event store, the intake, the syslog listeners, and
//! the adapter that shows them to the web layer.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use async_trait::async_trait;
use canhgac_eventlog::{EventLog, EventPage, EventQuery, Retention};
use canhgac_ingest::listen::{
    IngestCounters, SyslogConfig as ListenConfig, SyslogListener, TlsListen,
};
use canhgac_intake::{Intake, IntakeConfig, IntakeError, RuleSnapshot};
use canhgac_model::Timestamp;
use canhgac_store::Store;
use canhgac_web::detection::{
    Detection, DetectionStatus, FileReceipt, RuleCatalog, RuleProblem, RuleSummary, SubmitError,
    SubmitReceipt,
};
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// The running live path.
pub struct Live {
    /// What the web layer sees.
    pub web: Arc<LiveDetection>,
    /// Cancelled at shutdown: the listeners stop taking logs.
    pub stop: CancellationToken,
    /// The listeners' task.
    pub listeners: Option<tokio::task::JoinHandle<()>>,
}

fn parse_addr(key: &str, text: &str) -> anyhow::Result<Option<SocketAddr>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .with_context(|| format!("{key}: {text:?} is not an address like 0.0.0.0:514"))
}

/// Opens the event store, loads rules and tables, binds the syslog listeners.
pub async fn start(
    config: &Config,
    store: Arc<dyn Store>,
    data_dir: &Path,
) -> anyhow::Result<Live> {
    let events_dir = if config.events.dir.trim().is_empty() {
        data_dir.join("events")
    } else {
        PathBuf::from(config.events.dir.trim())
    };
    let retention = Retention {
        max_age: config.events.max_age.0,
        max_bytes: config.events.max_size.0,
    };
    let dir = events_dir.clone();
    let log = tokio::task::spawn_blocking(move || EventLog::open(&dir, retention))
        .await
        .context("opening the event store")?
        .with_context(|| format!("cannot open the event store in {}", events_dir.display()))?;
    let log = Arc::new(log);

    let rule_dirs = if config.detection.rules.is_empty() {
        let default = data_dir.join("rules");
        std::fs::create_dir_all(&default)
            .with_context(|| format!("cannot create {}", default.display()))?;
        vec![default]
    } else {
        config.detection.rules.clone()
    };
    let intake_config = IntakeConfig {
        rule_dirs,
        mapping_file: Some(config.detection.mapping.trim())
            .filter(|m| !m.is_empty())
            .map(PathBuf::from),
        placeholders: config
            .detection
            .placeholders
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        fold_window: jiff::SignedDuration::try_from(config.detection.fold_window.0)
            .unwrap_or(jiff::SignedDuration::from_mins(10)),
        ..IntakeConfig::default()
    };
    let intake = Intake::start(intake_config, store, log)
        .await
        .map_err(|e| anyhow::anyhow!("detection: {e}"))?;

    let syslog = &config.syslog;
    let tls = match parse_addr("syslog.tls", &syslog.tls)? {
        Some(addr) => {
            if syslog.tls_cert.trim().is_empty() || syslog.tls_key.trim().is_empty() {
                anyhow::bail!("syslog.tls is set: syslog.tls_cert and syslog.tls_key are needed");
            }
            Some(TlsListen {
                addr,
                cert: PathBuf::from(syslog.tls_cert.trim()),
                key: PathBuf::from(syslog.tls_key.trim()),
            })
        }
        None => None,
    };
    let listen = ListenConfig {
        udp: parse_addr("syslog.udp", &syslog.udp)?,
        tcp: parse_addr("syslog.tcp", &syslog.tcp)?,
        tls,
        max_message: usize::try_from(syslog.max_message.0).unwrap_or(usize::MAX),
        ..ListenConfig::default()
    };
    let counters = Arc::new(IngestCounters::default());
    let stop = CancellationToken::new();
    let mut addresses = Vec::new();
    let mut listeners = None;
    if listen.udp.is_some() || listen.tcp.is_some() || listen.tls.is_some() {
        let bound = SyslogListener::bind(&listen)
            .await
            .map_err(|e| anyhow::anyhow!("syslog: {e}"))?;
        for (proto, addr) in [
            ("udp", bound.udp_addr()),
            ("tcp", bound.tcp_addr()),
            ("tls", bound.tls_addr()),
        ] {
            if let Some(addr) = addr {
                // Tests and scripts read this line to find ports chosen with :0.
                println!("syslog {proto} on {addr}");
                addresses.push(format!("syslog/{proto} {addr}"));
            }
        }
        let sink = intake.listener_sink();
        let counters = Arc::clone(&counters);
        let stop = stop.clone();
        listeners = Some(tokio::spawn(async move {
            bound.run(sink, counters, stop).await;
        }));
    }
    Ok(Live {
        web: Arc::new(LiveDetection {
            intake,
            ingest: counters,
            listeners: addresses,
            catalog: Mutex::new(None),
        }),
        stop,
        listeners,
    })
}

impl LiveDetection {
    /// The event store (for the retro-hunt worker).
    pub fn events(&self) -> Arc<EventLog> {
        Arc::clone(self.intake.events())
    }
}

/// The live path as the web layer sees it.
pub struct LiveDetection {
    intake: Arc<Intake>,
    ingest: Arc<IngestCounters>,
    listeners: Vec<String>,
    catalog: Mutex<Option<(Timestamp, Arc<RuleCatalog>)>>,
}

fn catalog_of(snapshot: &RuleSnapshot) -> RuleCatalog {
    let mut rules: Vec<RuleSummary> = snapshot
        .rules
        .iter()
        .map(|(_, info)| {
            let logsource = [
                info.logsource.product.as_deref(),
                info.logsource.category.as_deref(),
                info.logsource.service.as_deref(),
            ]
            .iter()
            .map(|part| part.unwrap_or("*"))
            .collect::<Vec<_>>()
            .join("/");
            RuleSummary {
                key: info.key().to_string(),
                title: info.title.clone(),
                level: info.level,
                tags: info.tags.clone(),
                status: info.status.clone(),
                description: info.description.clone(),
                origin: info.origin.clone(),
                logsource,
                kind: "detection".into(),
            }
        })
        .collect();
    rules.extend(snapshot.correlations.infos().map(|info| {
        RuleSummary {
            key: info
                .id
                .clone()
                .or_else(|| info.name.clone())
                .unwrap_or_else(|| info.title.clone()),
            title: info.title.clone(),
            level: info.level,
            tags: info.tags.clone(),
            status: None,
            description: None,
            origin: info.origin.clone(),
            logsource: format!("{:?}", info.kind),
            kind: "correlation".into(),
        }
    }));
    RuleCatalog {
        rules,
        problems: snapshot
            .report
            .errors
            .iter()
            .map(|e| RuleProblem {
                origin: e.origin.clone(),
                title: e.title.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
        directories: snapshot.directories.clone(),
        loaded_at: snapshot.loaded_at,
    }
}

#[async_trait]
impl Detection for LiveDetection {
    async fn submit_ndjson(
        &self,
        body: axum::body::Bytes,
        gzip: bool,
        peer: Option<std::net::IpAddr>,
    ) -> Result<SubmitReceipt, SubmitError> {
        match self.intake.submit_ndjson(&body, gzip, peer).await {
            Ok(accepted) => Ok(SubmitReceipt { accepted }),
            Err(IntakeError::Batch(e)) => {
                use canhgac_ingest::ndjson::BatchError;
                Err(match e {
                    BatchError::TooLarge | BatchError::EventTooLarge { .. } => {
                        SubmitError::TooLarge(e.to_string())
                    }
                    BatchError::Line { line, reason } => SubmitError::Invalid {
                        line: usize::try_from(line).unwrap_or(usize::MAX),
                        reason,
                    },
                    BatchError::Gzip(reason) => SubmitError::Invalid { line: 0, reason },
                })
            }
            Err(e) => Err(SubmitError::Unavailable(e.to_string())),
        }
    }

    async fn submit_file(
        &self,
        name: String,
        bytes: axum::body::Bytes,
    ) -> Result<FileReceipt, SubmitError> {
        match self.intake.submit_file(&name, bytes.to_vec()).await {
            Ok(import) => Ok(FileReceipt {
                format: import.format,
                accepted: import.accepted,
                skipped: import.skipped,
                problems: import.problems,
            }),
            Err(e) => Err(SubmitError::Unavailable(e.to_string())),
        }
    }

    async fn search(&self, query: EventQuery) -> Result<EventPage, String> {
        let log = Arc::clone(self.intake.events());
        tokio::task::spawn_blocking(move || log.search(&query))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }

    fn catalog(&self) -> Arc<RuleCatalog> {
        let snapshot = self.intake.rules();
        let mut cached = match self.catalog.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((loaded_at, catalog)) = cached.as_ref() {
            if *loaded_at == snapshot.loaded_at {
                return Arc::clone(catalog);
            }
        }
        let catalog = Arc::new(catalog_of(&snapshot));
        *cached = Some((snapshot.loaded_at, Arc::clone(&catalog)));
        catalog
    }

    fn status(&self) -> DetectionStatus {
        use std::sync::atomic::Ordering;
        let ingest = self.ingest.snapshot();
        let counters = self.intake.counters();
        DetectionStatus {
            received: counters.received.load(Ordering::Relaxed),
            stored: counters.stored.load(Ordering::Relaxed),
            decode_errors: ingest.decode_errors,
            dropped: ingest.dropped + ingest.oversized,
            alerts: counters.alerts.load(Ordering::Relaxed),
            indicators: self.intake.indicator_count(),
            listeners: self.listeners.clone(),
            eventlog: self.intake.events().stats(),
        }
    }
}
