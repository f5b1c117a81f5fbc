//! Times discovery alone: `discover HOST[,HOST...] PORTS` prints the open ports and the time.
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use canhgac_scan::discovery::{discover, DiscoveryOptions, Progress};
use canhgac_scan::ports::parse_ports;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let hosts: Vec<IpAddr> = args
        .next()
        .unwrap_or_else(|| "127.0.0.1".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let ports = parse_ports(&args.next().unwrap_or_else(|| "all".into()))?;
    let started = Instant::now();
    let report = discover(
        &hosts,
        &ports,
        &DiscoveryOptions::default(),
        Arc::new(Progress::default()),
    )
    .await;
    let elapsed = started.elapsed();
    for open in &report.open {
        println!("{}:{}", open.ip, open.port);
    }
    eprintln!(
        "{} open, {} closed, {} filtered, {} attempts in {:.3} s",
        report.open.len(),
        report.closed,
        report.filtered,
        report.attempts,
        elapsed.as_secs_f64()
    );
    Ok(())
}
