//! The ISP network watch of `canhgac serve`, from `[flow]`: a UDP collector takes NetFlow v5/v9,
//! IPFIX and sFlow from the registered exporters, the detector turns the records into attacks
//! per prefix group, each attack becomes an alert of its unit (source `flow`, the fingerprint as
//! evidence, updates folded into the same alert), and the mitigator answers as the group is
//! configured. Every mitigation action is written to the audit log.
//!
//! The detection loop also keeps the [`FlowBoard`] the console's `/flow` page and the API read:
//! group traffic, top hosts, attacks, and the collector's counters every few seconds.
//!
//! Blackholes are only announced inside the unit's registered ranges: the IP and network assets
//! of the systems the unit owns. Indicator addresses (C2, botnets) come from the store and are
//! refreshed every minute.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use canhgac_flow::board::FlowBoard;
use canhgac_flow::collector::{Collector, CollectorConfig, CollectorHandle};
use canhgac_flow::detect::{Attack, AttackEvent, AttackKind, Detector, IndicatorSet};
use canhgac_flow::mitigate::{MitigationRecord, Mitigator};
use canhgac_flow::FlowRecord;
use canhgac_model::{Actor, AlertDraft, AlertSource, AssetKind, IndicatorKind, Scope, Severity};
use canhgac_store::Store;
use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;

use crate::config::FlowConfig;

/// How long updates of one attack fold into its alert.
const FOLD_WINDOW: SignedDuration = SignedDuration::from_secs(3600);

/// How often indicator addresses and the units' ranges are read again.
const REFRESH_EVERY: Duration = Duration::from_secs(60);

/// How often the board takes the collector's counters.
const COLLECTOR_EVERY: Duration = Duration::from_secs(5);

/// Checks the configuration and starts the collector and the detection loop; nothing when
/// `flow.enabled` is off. Returns the address the collector listens on and the live board.
pub async fn start(
    config: &FlowConfig,
    store: Arc<dyn Store>,
    stop: CancellationToken,
) -> Result<Option<(SocketAddr, Arc<FlowBoard>)>> {
    if !config.enabled {
        return Ok(None);
    }
    let listen: SocketAddr = config
        .listen
        .parse()
        .with_context(|| format!("flow.listen = {:?} không phải địa chỉ:cổng", config.listen))?;
    let mut exporters = Vec::with_capacity(config.exporters.len());
    let mut exporter_units = Vec::new();
    for entry in &config.exporters {
        let address = entry.address().trim().parse::<IpAddr>().with_context(|| {
            format!(
                "flow.exporters: {:?} không phải địa chỉ IP / is not an IP address",
                entry.address()
            )
        })?;
        exporters.push(address);
        if let Some(unit) = entry.unit_id() {
            exporter_units.push((address, unit));
        }
    }
    let detector = Detector::new(config.detect.clone()).context("flow.detect")?;
    let http = canhgac_intel::fetch::feed_client(&canhgac_intel::fetch::FetchLimits {
        timeout: Duration::from_secs(10),
        max_body_bytes: 1 << 20,
    })
    .context("flow: HTTP client for webhooks")?;
    let mitigator = Mitigator::new(config.mitigate.clone(), http).context("flow.mitigate")?;
    let collector = Collector::bind(CollectorConfig::new(listen, exporters))
        .await
        .with_context(|| format!("flow: cannot listen on udp {listen}"))?;
    let handle = collector.handle();
    let bound = collector
        .local_addr()
        .context("flow: the collector's address")?;
    let (batches, receive) = tokio::sync::mpsc::channel(64);
    let collector_stop = stop.clone();
    tokio::spawn(async move {
        if let Err(error) = collector
            .run(batches, async move { collector_stop.cancelled().await })
            .await
        {
            tracing::error!(%error, "flow collector stopped");
        }
    });
    let board = Arc::new(FlowBoard::new());
    board.set_exporter_units(exporter_units);
    tokio::spawn(exporter_health(handle, Arc::clone(&board), stop.clone()));
    // The detection loop does no I/O: alerts, mitigations (birdc, scripts, webhooks) and the
    // store reads run in their own task, so a slow BIRD or database never backs up the flows.
    let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();
    let (indicators_tx, indicators_rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(detect(
        detector,
        Arc::clone(&board),
        receive,
        indicators_rx,
        events_tx,
        stop.clone(),
    ));
    tokio::spawn(respond(
        store,
        mitigator,
        Arc::clone(&board),
        events_rx,
        indicators_tx,
        stop,
    ));
    tracing::info!(%bound, "flow collector listening");
    Ok(Some((bound, board)))
}

/// Exporter health on the board every few seconds, and in the log every minute: datagrams,
/// flows, errors, unknown senders.
async fn exporter_health(handle: CollectorHandle, board: Arc<FlowBoard>, stop: CancellationToken) {
    let mut every = tokio::time::interval(COLLECTOR_EVERY);
    let per_log = (REFRESH_EVERY.as_secs() / COLLECTOR_EVERY.as_secs()).max(1);
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let stats = handle.stats();
        ticks += 1;
        if ticks.is_multiple_of(per_log) {
            tracing::info!(?stats, "flow collector");
        }
        board.set_collector(stats);
    }
}

fn now_ms() -> u64 {
    u64::try_from(Timestamp::now().as_millisecond()).unwrap_or(0)
}

/// Flows in, attack events out; indicator sets replaced as they come; the board read every
/// second (it samples group traffic itself every few seconds).
async fn detect(
    mut detector: Detector,
    board: Arc<FlowBoard>,
    mut receive: tokio::sync::mpsc::Receiver<Vec<FlowRecord>>,
    mut indicators: tokio::sync::mpsc::Receiver<IndicatorSet>,
    events: tokio::sync::mpsc::UnboundedSender<AttackEvent>,
    stop: CancellationToken,
) {
    let mut second = tokio::time::interval(Duration::from_secs(1));
    loop {
        let raised = tokio::select! {
            () = stop.cancelled() => return,
            batch = receive.recv() => match batch {
                Some(batch) => detector.observe(&batch, now_ms()),
                None => return,
            },
            _ = second.tick() => {
                let now = now_ms();
                let raised = detector.tick(now);
                board.observe(&detector, now);
                raised
            }
            Some(set) = indicators.recv() => {
                detector.set_indicators(set);
                Vec::new()
            }
        };
        for event in raised {
            board.record(&event);
            if events.send(event).is_err() {
                return;
            }
        }
    }
}

/// Attack events become alerts and mitigations; every minute the indicator addresses and the
/// units' registered ranges are read again.
async fn respond(
    store: Arc<dyn Store>,
    mut mitigator: Mitigator,
    board: Arc<FlowBoard>,
    mut events: tokio::sync::mpsc::UnboundedReceiver<AttackEvent>,
    indicators: tokio::sync::mpsc::Sender<IndicatorSet>,
    stop: CancellationToken,
) {
    let mut second = tokio::time::interval(Duration::from_secs(1));
    let mut refresh = tokio::time::interval(REFRESH_EVERY);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            event = events.recv() => match event {
                Some(event) => handle(&store, &mut mitigator, &board, &event).await,
                None => return,
            },
            _ = second.tick() => {
                for record in mitigator.expire(now_ms()).await {
                    audit(&store, &board, &record).await;
                }
            }
            _ = refresh.tick() => {
                if let Some(set) = refresh_from_store(&store, &mut mitigator).await {
                    // Full means the detector has not taken the last set yet; the next
                    // minute's set replaces it.
                    let _ = indicators.try_send(set);
                }
            }
        }
    }
}

/// Registered ranges for the mitigator; the indicator addresses for the detector (`None` when
/// they could not be read).
async fn refresh_from_store(
    store: &Arc<dyn Store>,
    mitigator: &mut Mitigator,
) -> Option<IndicatorSet> {
    let set = match store.active_indicators(Timestamp::now()).await {
        Ok(indicators) => {
            let listed = indicators.into_iter().filter_map(|i| {
                let net = match i.kind {
                    IndicatorKind::Ip => i.value.parse::<IpAddr>().ok().map(ipnet::IpNet::from),
                    IndicatorKind::Cidr => i.value.parse::<ipnet::IpNet>().ok(),
                    _ => None,
                }?;
                let label = if i.description.is_empty() {
                    i.source
                } else {
                    i.description
                };
                Some((net, label))
            });
            Some(IndicatorSet::new(listed))
        }
        Err(error) => {
            tracing::warn!(%error, "flow: cannot read indicators");
            None
        }
    };
    match store.scan_assets(&Scope::All).await {
        Ok(assets) => {
            let ranges = assets.into_iter().filter_map(|a| {
                let net = match a.kind {
                    AssetKind::Ip => a.value.parse::<IpAddr>().ok().map(ipnet::IpNet::from),
                    AssetKind::Cidr => a.value.parse::<ipnet::IpNet>().ok(),
                    _ => None,
                }?;
                Some((a.unit_id, net))
            });
            mitigator.set_unit_ranges(ranges);
        }
        Err(error) => tracing::warn!(%error, "flow: cannot read the units' ranges"),
    }
    set
}

async fn handle(
    store: &Arc<dyn Store>,
    mitigator: &mut Mitigator,
    board: &FlowBoard,
    event: &AttackEvent,
) {
    let attack = event.attack();
    match event {
        AttackEvent::Started(_) | AttackEvent::Updated(_) => {
            if matches!(event, AttackEvent::Started(_)) {
                tracing::info!(attack = attack.id, kind = attack.kind.code(), target = %attack.target, "flow attack started");
            }
            let draft = alert_for(attack);
            if let Err(error) = store.record_alerts(&[draft], FOLD_WINDOW).await {
                tracing::warn!(%error, attack = attack.id, "flow: cannot record the alert");
            }
        }
        AttackEvent::Ended(_) => {
            tracing::info!(attack = attack.id, target = %attack.target, "flow attack ended");
            // The final fingerprint, with `ended_ms`, becomes the alert's evidence.
            if let Err(error) = store.record_alerts(&[alert_for(attack)], FOLD_WINDOW).await {
                tracing::warn!(%error, attack = attack.id, "flow: cannot record the attack's end");
            }
        }
    }
    for record in mitigator.handle(event, now_ms()).await {
        audit(store, board, &record).await;
    }
}

/// The alert of an attack: its summary as the title, its fingerprint as the evidence.
fn alert_for(attack: &Attack) -> AlertDraft {
    let (severity, tags): (Severity, &[&str]) = match &attack.kind {
        AttackKind::OutgoingScan => (Severity::Medium, &["attack.discovery", "attack.t1046"]),
        AttackKind::IndicatorTraffic { .. } => (Severity::High, &["attack.command_and_control"]),
        AttackKind::Amplification { .. } => {
            (Severity::High, &["attack.impact", "attack.t1498.002"])
        }
        _ => (Severity::High, &["attack.impact", "attack.t1498.001"]),
    };
    AlertDraft {
        source: AlertSource::Flow,
        rule_key: format!("flow:{}", attack.kind.code()),
        title: attack.summary_vi(),
        severity,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        unit_id: Some(attack.unit_id),
        host: Some(attack.target.to_string()),
        time: Timestamp::from_millisecond(i64::try_from(attack.started_ms).unwrap_or(0))
            .unwrap_or_else(|_| Timestamp::now()),
        evidence: serde_json::to_value(attack).unwrap_or_default(),
    }
}

/// Writes the action to the audit log and shows it on the board.
async fn audit(store: &Arc<dyn Store>, board: &FlowBoard, record: &MitigationRecord) {
    board.record_mitigation(record);
    let details = serde_json::to_value(record).unwrap_or_default();
    let action = format!(
        "mitigate:{}",
        details["action"].as_str().unwrap_or("action")
    );
    tracing::info!(?record, "flow mitigation");
    if let Err(error) = store
        .append_audit(
            &Actor::system("flow"),
            &action,
            "flow_attack",
            i64::try_from(record.attack_id).ok(),
            &details,
        )
        .await
    {
        tracing::warn!(%error, "flow: cannot audit a mitigation");
    }
}
