//! Runs our collector on a UDP address, trusting loopback exporters, and counts the records it
//! delivers; on SIGTERM or Ctrl-C prints the totals. The collector side of
//! `bench/flow-decode.sh`.
//!
//! `flowcollect <listen host:port>`

use std::net::SocketAddr;
use std::process::ExitCode;

use canhgac_flow::collector::{Collector, CollectorConfig};
use canhgac_flow::FlowRecord;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(Ok(listen)) = std::env::args().nth(1).map(|arg| arg.parse::<SocketAddr>()) else {
        eprintln!("dùng / usage: flowcollect <host:port>");
        return ExitCode::from(2);
    };
    let loopback = [
        "127.0.0.1".parse().expect("literal"),
        "::1".parse().expect("literal"),
    ];
    let collector = match Collector::bind(CollectorConfig::new(listen, loopback)).await {
        Ok(collector) => collector,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let handle = collector.handle();
    let (sink, mut batches) = mpsc::channel::<Vec<FlowRecord>>(64);
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        eprintln!("không bắt được SIGTERM / cannot handle SIGTERM");
        return ExitCode::FAILURE;
    };
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    let counter = tokio::spawn(async move {
        let mut records = 0u64;
        while let Some(batch) = batches.recv().await {
            records += batch.len() as u64;
        }
        records
    });
    println!(
        "listening on {}",
        collector
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    if let Err(error) = collector.run(sink, shutdown).await {
        eprintln!("{error}");
        return ExitCode::FAILURE;
    }
    let records = counter.await.unwrap_or(0);
    let stats = handle.stats();
    let datagrams: u64 = stats
        .exporters
        .iter()
        .map(|exporter| exporter.datagrams)
        .sum();
    let errors: u64 = stats
        .exporters
        .iter()
        .map(|exporter| exporter.decode_errors)
        .sum();
    println!("received {records} records in {datagrams} datagrams ({errors} decode errors)");
    ExitCode::SUCCESS
}
