//! The collector over real UDP on loopback: our exporter sends, the collector decodes and
//! delivers; unknown exporters are counted and not trusted.

#![allow(clippy::unwrap_used)] // a fixture that fails should stop the test

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use canhgac_flow::collector::{Collector, CollectorConfig, CollectorHandle};
use canhgac_flow::exporter::{ExportFormat, FlowExporter, SamplingExport};
use canhgac_flow::FlowRecord;
use common::{expected_after, sample_flows, single_packet_flows};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// Generous: only reached when something is broken, never a timing margin for passing.
const PATIENCE: Duration = Duration::from_secs(20);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

struct Running {
    address: SocketAddr,
    handle: CollectorHandle,
    batches: mpsc::Receiver<Vec<FlowRecord>>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn start(listen: &str, exporters: &[&str]) -> Running {
        let exporters = exporters.iter().map(|address| address.parse().unwrap());
        let config = CollectorConfig::new(listen.parse().unwrap(), exporters);
        let collector = Collector::bind(config).await.unwrap();
        let address = collector.local_addr().unwrap();
        let handle = collector.handle();
        let (sink, batches) = mpsc::channel(16);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            collector
                .run(sink, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Running {
            address,
            handle,
            batches,
            stop: Some(stop),
            task,
        }
    }

    async fn receive(&mut self, count: usize) -> Vec<FlowRecord> {
        let mut records = Vec::new();
        while records.len() < count {
            let batch = tokio::time::timeout(PATIENCE, self.batches.recv())
                .await
                .expect("records arrive")
                .expect("collector running");
            records.extend(batch);
        }
        records
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("collector stops when asked")
            .unwrap();
    }
}

async fn round_trip(format: ExportFormat, listen: &str, from: &str, ipv6_flows: bool) {
    let mut running = Running::start(listen, &[from]).await;
    let sender = UdpSocket::bind(format!("{from}:0").replace("::1:0", "[::1]:0"))
        .await
        .unwrap();
    let exporter_address: IpAddr = from.parse().unwrap();
    let before = now_ms();
    let flows = if format == ExportFormat::Sflow {
        single_packet_flows(exporter_address, ipv6_flows)
    } else {
        sample_flows(exporter_address, ipv6_flows)
    };
    let mut exporter = FlowExporter::new(format).with_domain(1);
    let export_ms = now_ms();
    exporter
        .send(&sender, running.address, &flows, export_ms)
        .await
        .unwrap();
    let expected = expected_after(format, &flows);
    let mut received = running.receive(expected.len()).await;
    let after = now_ms();
    if format == ExportFormat::Sflow {
        // sFlow carries no flow times: the collector stamps its receive time.
        for record in &mut received {
            assert!((before..=after).contains(&record.first_ms));
            assert_eq!(record.first_ms, record.last_ms);
            record.first_ms = flows[0].first_ms;
            record.last_ms = flows[0].last_ms;
        }
    }
    assert_eq!(received, expected, "{format:?} from {from}");
    let stats = running.handle.stats();
    assert_eq!(stats.exporters.len(), 1);
    assert_eq!(stats.exporters[0].exporter, exporter_address);
    assert_eq!(stats.exporters[0].flows, expected.len() as u64);
    assert!(stats.unknown.is_empty());
    running.stop().await;
}

#[tokio::test]
async fn netflow_v5_round_trips_over_loopback() {
    round_trip(ExportFormat::NetflowV5, "127.0.0.1:0", "127.0.0.1", false).await;
}

#[tokio::test]
async fn netflow_v9_round_trips_ipv4_and_ipv6_flows() {
    round_trip(ExportFormat::NetflowV9, "127.0.0.1:0", "127.0.0.1", false).await;
    round_trip(ExportFormat::NetflowV9, "127.0.0.1:0", "127.0.0.1", true).await;
}

#[tokio::test]
async fn ipfix_round_trips_ipv4_and_ipv6_flows() {
    round_trip(ExportFormat::Ipfix, "127.0.0.1:0", "127.0.0.1", false).await;
    round_trip(ExportFormat::Ipfix, "127.0.0.1:0", "127.0.0.1", true).await;
}

#[tokio::test]
async fn sflow_round_trips_ipv4_and_ipv6_packets() {
    round_trip(ExportFormat::Sflow, "127.0.0.1:0", "127.0.0.1", false).await;
    round_trip(ExportFormat::Sflow, "127.0.0.1:0", "127.0.0.1", true).await;
}

#[tokio::test]
async fn an_exporter_reaching_the_collector_over_ipv6() {
    round_trip(ExportFormat::Ipfix, "[::1]:0", "::1", true).await;
    round_trip(ExportFormat::NetflowV9, "[::1]:0", "::1", false).await;
}

#[tokio::test]
async fn unknown_exporters_are_counted_and_their_flows_not_passed_on() {
    let mut running = Running::start("127.0.0.1:0", &["127.0.0.2"]).await;
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let registered = UdpSocket::bind("127.0.0.2:0").await.unwrap();
    let stranger_flows = sample_flows("127.0.0.1".parse().unwrap(), false);
    let mut forged = FlowExporter::new(ExportFormat::Ipfix);
    let sent = forged
        .send(&stranger, running.address, &stranger_flows, now_ms())
        .await
        .unwrap();
    // The registered exporter's flows arrive after the stranger's datagrams were handled:
    // one socket, one receive loop, arrival order.
    let flows = sample_flows("127.0.0.2".parse().unwrap(), false);
    let mut exporter = FlowExporter::new(ExportFormat::NetflowV9);
    exporter
        .send(&registered, running.address, &flows, now_ms())
        .await
        .unwrap();
    let received = running.receive(flows.len()).await;
    assert_eq!(received, flows, "only the registered exporter's flows");
    let stats = running.handle.stats();
    assert_eq!(stats.unknown.len(), 1);
    assert_eq!(
        stats.unknown[0].source,
        "127.0.0.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(stats.unknown[0].datagrams, sent as u64);
    assert_eq!(stats.exporters.len(), 1, "the stranger taught us nothing");

    // Registering the stranger makes it trusted from then on.
    running
        .handle
        .set_exporters(["127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap()]);
    forged
        .send(&stranger, running.address, &stranger_flows, now_ms())
        .await
        .unwrap();
    assert_eq!(running.receive(stranger_flows.len()).await, stranger_flows);
    assert!(running.handle.stats().unknown.is_empty());
    running.stop().await;
}

#[tokio::test]
async fn the_collector_honours_sampling_and_counts_sequence_gaps_and_garbage() {
    let mut running = Running::start("127.0.0.1:0", &["127.0.0.1"]).await;
    let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let flows = sample_flows("127.0.0.1".parse().unwrap(), false);
    let mut exporter =
        FlowExporter::new(ExportFormat::NetflowV9).with_sampling(1000, SamplingExport::Options);
    exporter
        .send(&sender, running.address, &flows, now_ms())
        .await
        .unwrap();
    exporter.skip_sequence(5);
    for garbage in [&b"\x00\x09 too short"[..], b"\xff\xffnonsense", b""] {
        sender.send_to(garbage, running.address).await.unwrap();
    }
    exporter
        .send(&sender, running.address, &flows, now_ms())
        .await
        .unwrap();
    let received = running.receive(2 * flows.len()).await;
    assert!(received.iter().all(|flow| flow.sampling_rate == 1000));
    assert_eq!(received[0].scaled_packets(), 1000);
    let stats = running.handle.stats().exporters.remove(0);
    assert_eq!(stats.decode_errors, 3);
    assert_eq!(stats.sequence_gaps, 1);
    assert_eq!(stats.lost_datagrams, 5);
    assert_eq!(stats.datagrams, 4 + 3);
    running.stop().await;
}

#[tokio::test]
async fn a_dual_stack_listener_knows_ipv4_exporters_by_their_ipv4_address() {
    let mut running = Running::start("[::]:0", &["127.0.0.1"]).await;
    let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to: SocketAddr = format!("127.0.0.1:{}", running.address.port())
        .parse()
        .unwrap();
    let flows = sample_flows("127.0.0.1".parse().unwrap(), true);
    FlowExporter::new(ExportFormat::Ipfix)
        .send(&sender, to, &flows, now_ms())
        .await
        .unwrap();
    assert_eq!(running.receive(flows.len()).await, flows);
    assert!(running.handle.stats().unknown.is_empty());
    running.stop().await;
}
