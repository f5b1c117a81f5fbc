//! Sends synthetic flow export datagrams from our exporter to a UDP address, as fast as possible
//! or at a given rate: the load generator of `bench/flow-decode.sh`.
//!
//! `flowgen <v5|v9|ipfix|sflow> <target host:port> <datagrams> [datagrams per second]`
//!
//! A pool of distinct datagrams (100,000 destination hosts) is built first and sent in a cycle;
//! v9/IPFIX templates are repeated every 1,000 datagrams, as routers do. Prints what was sent.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use canhgac_flow::decode::Decoder;
use canhgac_flow::exporter::{synthetic_flows, ExportFormat, FlowExporter};

const POOL_FLOWS: usize = 120_000;
const TEMPLATE_EVERY: usize = 1_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "dùng / usage: flowgen <v5|v9|ipfix|sflow> <host:port> <datagrams> [datagrams/s]";
    let (Some(format), Some(target), Some(count)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let format = match format.as_str() {
        "v5" => ExportFormat::NetflowV5,
        "v9" => ExportFormat::NetflowV9,
        "ipfix" => ExportFormat::Ipfix,
        "sflow" => ExportFormat::Sflow,
        other => {
            eprintln!("định dạng không rõ / unknown format {other:?}; {usage}");
            return ExitCode::from(2);
        }
    };
    let (Ok(target), Ok(count)) = (target.parse::<SocketAddr>(), count.parse::<usize>()) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let rate: Option<f64> = args.get(3).and_then(|rate| rate.parse().ok());

    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0);
    let bind: SocketAddr = if target.is_ipv4() {
        "127.0.0.1:0".parse().expect("literal address")
    } else {
        "[::1]:0".parse().expect("literal address")
    };
    let socket = match UdpSocket::bind(bind) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("không mở được socket / cannot bind: {error}");
            return ExitCode::FAILURE;
        }
    };
    let exporter_ip: IpAddr = bind.ip();
    let flows = synthetic_flows(
        exporter_ip,
        POOL_FLOWS,
        100_000,
        format != ExportFormat::NetflowV5,
        now_ms,
    );
    let mut exporter = FlowExporter::new(format);
    let template = exporter.template_datagram(now_ms);
    let pool = exporter.data_datagrams(&flows, now_ms);
    // Records in each pooled datagram, counted by decoding it once.
    let mut decoder = Decoder::default();
    let mut scratch = Vec::new();
    if let Some(template) = &template {
        let _ = decoder.decode(exporter_ip, now_ms, template, &mut scratch);
    }
    let records_in: Vec<u64> = pool
        .iter()
        .map(|datagram| {
            scratch.clear();
            let _ = decoder.decode(exporter_ip, now_ms, datagram, &mut scratch);
            scratch.len() as u64
        })
        .collect();

    let start = Instant::now();
    let mut records = 0u64;
    let mut errors = 0u64;
    for index in 0..count {
        if index % TEMPLATE_EVERY == 0 {
            if let Some(template) = &template {
                let _ = socket.send_to(template, target);
            }
        }
        let datagram = &pool[index % pool.len()];
        if socket.send_to(datagram, target).is_err() {
            errors += 1;
        }
        records += records_in[index % pool.len()];
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64((index + 1) as f64 / rate);
            let elapsed = start.elapsed();
            if due > elapsed {
                std::thread::sleep(due - elapsed);
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "sent {count} datagrams, {records} records in {elapsed:.3} s: {:.0} records/s ({errors} send errors)",
        records as f64 / elapsed,
    );
    ExitCode::SUCCESS
}
