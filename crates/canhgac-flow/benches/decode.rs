//! Decode throughput per format: records per second on one core, median of several runs.
//!
//! `cargo bench -p canhgac-flow --bench decode` (release build). Datagrams come from our
//! exporter with realistic sizes (≈1,400 bytes) and 100,000 distinct hosts.

use std::net::IpAddr;
use std::time::Instant;

use canhgac_flow::decode::Decoder;
use canhgac_flow::exporter::{synthetic_flows, ExportFormat, FlowExporter};

const FLOWS: usize = 200_000;
const RUNS: usize = 7;

fn main() {
    let router: IpAddr = "192.0.2.1".parse().expect("literal address");
    let export_ms = 1_795_687_200_000;
    for (name, format) in [
        ("NetFlow v5", ExportFormat::NetflowV5),
        ("NetFlow v9", ExportFormat::NetflowV9),
        ("IPFIX", ExportFormat::Ipfix),
        ("sFlow v5", ExportFormat::Sflow),
    ] {
        let flows = synthetic_flows(
            router,
            FLOWS,
            100_000,
            format != ExportFormat::NetflowV5,
            export_ms,
        );
        let mut exporter = FlowExporter::new(format);
        let datagrams = exporter.datagrams(&flows, export_ms);
        let bytes: usize = datagrams.iter().map(Vec::len).sum();
        let mut rates = Vec::with_capacity(RUNS);
        let mut out = Vec::with_capacity(4096);
        let mut decoded = 0;
        for _ in 0..RUNS {
            let mut decoder = Decoder::default();
            decoded = 0;
            let start = Instant::now();
            for datagram in &datagrams {
                out.clear();
                if decoder
                    .decode(router, export_ms, datagram, &mut out)
                    .is_ok()
                {
                    decoded += out.len();
                }
            }
            let elapsed = start.elapsed().as_secs_f64();
            rates.push(decoded as f64 / elapsed);
        }
        rates.sort_by(f64::total_cmp);
        let median = rates[RUNS / 2];
        println!(
            "{name:<11} {decoded:>8} records in {:>6} datagrams ({:.1} MB): median {:>6.2} M records/s (min {:.2}, max {:.2}, {RUNS} runs)",
            datagrams.len(),
            bytes as f64 / 1e6,
            median / 1e6,
            rates[0] / 1e6,
            rates[RUNS - 1] / 1e6,
        );
    }
}
