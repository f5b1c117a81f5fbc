//! Benchmark of the watch engine (`bench/watch.sh` runs it): N HTTP monitors at a 60 s interval
//! against local HTTP servers in a child process, through the whole server path (scheduler,
//! checks, state machine, SQLite store). First, as the baseline, the same requests at the same
//! rate from a bare HTTP client in the same process; then the engine. Prints CPU use as a share
//! of one core over a steady-state window, the ratio to the baseline, peak memory and the checks
//! done.
//!
//! `cargo run --release -p canhgac-watch --example watch_bench -- [MONITORS] [SECONDS]`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use canhgac_model::{
    Actor, AssetInput, AssetKind, MonitorInput, MonitorKind, SystemInput, SystemKind, UnitInput,
    UnitKind,
};
use canhgac_watch::runtime::{Watcher, WatcherConfig};
use tokio_util::sync::CancellationToken;

/// Local HTTP servers (ports) the monitors spread over.
const SERVERS: u16 = 8;

fn cpu_seconds() -> f64 {
    // utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn serve(first_port: u16) {
    let page = "<html><head><title>Cổng thử</title></head><body><p>Trang thử nghiệm cho đo hiệu năng giám sát.</p></body></html>";
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::get(move || async move {
            ([("content-type", "text/html; charset=utf-8")], page)
        }),
    );
    let mut tasks = Vec::new();
    for port in first_port..first_port + SERVERS {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let app = app.clone();
        tasks.push(tokio::spawn(
            async move { axum::serve(listener, app).await },
        ));
    }
    for task in tasks {
        let _ = task.await;
    }
}

async fn measure(watcher: &Watcher, window: Duration) -> (f64, u64) {
    let checks_before = watcher.counters().checks;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let cpu = cpu_seconds() - cpu_before;
    let share = cpu / started.elapsed().as_secs_f64();
    (share, watcher.counters().checks - checks_before)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let port = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(18_080);
        serve(port).await;
        return;
    }
    let monitors: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(5_000);
    let seconds: u64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(120);
    let first_port: u16 = std::env::var("BENCH_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(18_080);

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["serve", &first_port.to_string()])
        .spawn()
        .expect("start the local servers");
    tokio::time::sleep(Duration::from_secs(1)).await;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = canhgac_store::open(&url).await.unwrap();
    let actor = Actor::system("bench");
    let unit = store
        .create_unit(
            &actor,
            UnitInput::new("Sở thử nghiệm", UnitKind::Department, None),
        )
        .await
        .unwrap();
    let system = store
        .create_system(
            &actor,
            SystemInput::new("Cổng thử", SystemKind::Other, unit.id),
        )
        .await
        .unwrap();
    let asset = store
        .create_asset(&actor, {
            let mut input = AssetInput::new(AssetKind::Ip, "127.0.0.1");
            input.system_id = system.id;
            input
        })
        .await
        .unwrap();
    let created = Instant::now();
    for i in 0..monitors {
        let port = first_port + (i as u16 % SERVERS);
        let mut input = MonitorInput::new(
            asset.id,
            &format!("m{i}"),
            MonitorKind::Http,
            &format!("http://127.0.0.1:{port}/p{i}"),
        );
        input.interval_secs = 60;
        store.create_monitor(&actor, input).await.unwrap();
    }
    println!(
        "created {monitors} monitors in {:.1} s",
        created.elapsed().as_secs_f64()
    );

    // Baseline: the same requests at the same rate with a bare HTTP client, no engine.
    let baseline_window = Duration::from_secs(seconds.min(60));
    let client = reqwest::Client::new();
    let stop_baseline = CancellationToken::new();
    let requester = {
        let stop = stop_baseline.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(60.0 / monitors as f64));
            let mut i = 0_usize;
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let port = first_port + (i as u16 % SERVERS);
                let client = client.clone();
                tokio::spawn(async move {
                    if let Ok(response) = client
                        .get(format!("http://127.0.0.1:{port}/p{i}"))
                        .send()
                        .await
                    {
                        let _ = response.bytes().await;
                    }
                });
                i += 1;
            }
        })
    };
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    tokio::time::sleep(baseline_window).await;
    let baseline_share = (cpu_seconds() - cpu_before) / started.elapsed().as_secs_f64();
    stop_baseline.cancel();
    let _ = requester.await;
    println!(
        "baseline: bare HTTP GETs at the same rate ({:.0}/s) for {} s: CPU {:.1}% of one core",
        monitors as f64 / 60.0,
        baseline_window.as_secs(),
        baseline_share * 100.0
    );

    let watcher = Watcher::new(
        store.clone(),
        WatcherConfig {
            automatic: false,
            ..WatcherConfig::default()
        },
    );
    let cancel = CancellationToken::new();
    let engine = watcher.start(cancel.clone());
    // The first minute spreads the first checks over the interval; measure after it.
    tokio::time::sleep(Duration::from_secs(65)).await;
    let (share, checks) = measure(&watcher, Duration::from_secs(seconds)).await;
    let expected = monitors as f64 * seconds as f64 / 60.0;
    let counters = watcher.counters();
    cancel.cancel();
    let _ = engine.await;
    println!(
        "engine: {monitors} monitors, {checks} checks in {seconds} s ({:.0}% of the {expected:.0} due), failures {}",
        checks as f64 * 100.0 / expected,
        counters.failures
    );
    println!(
        "engine: CPU {:.1}% of one core ({:.2}x the bare requests); peak RSS {:.0} MiB",
        share * 100.0,
        share / baseline_share.max(1e-9),
        peak_rss_mib()
    );
    println!(
        "target: under 25% of one core and 200 MiB -> CPU {:.2}x of target, memory {:.2}x of target",
        share / 0.25,
        peak_rss_mib() / 200.0
    );
    let _ = child.kill();
    let _ = child.wait();
}
