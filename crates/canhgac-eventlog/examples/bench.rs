//! Benchmark of the event store: append throughput and CPU, size on disk, and search latency on
//! a store of synthetic events (Windows-, syslog- and access-log-like, ~200 hosts in 50 units,
//! spread over 7 days), each query against a baseline that scans without block summaries.
//!
//! ```text
//! cargo run --release -p canhgac-eventlog --example bench -- [--events 10000000] [--dir DIR]
//!     [--threads 2] [--runs 21] [--baseline-runs 3] [--keep]
//! ```
//!
//! The store goes in a temporary directory (or `--dir`, which must not exist), deleted at the
//! end unless `--keep`. Searches run with the store in the page cache (it is read right after
//! being written), which is how a server that just ingested it would see it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use canhgac_eventlog::{EventLog, EventQuery, Retention, UnitFilter};
use canhgac_model::{Event, EventKind, Timestamp};

const HOSTS: u64 = 200;
const UNITS: u64 = 50;
const RARE_IP: &str = "198.51.100.77";

/// xorshift64*: fast, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn host_name(h: u64) -> String {
    match h % 3 {
        0 => format!("ws-{h:03}.sotttt.hbx.gov.vn"),
        1 => format!("srv-{h:03}"),
        _ => format!("web-{h:03}.hbx.gov.vn"),
    }
}

/// Host `h` belongs to unit `1 + h % 50`, except every 20th host, which is unattributed.
fn unit_of(h: u64) -> Option<i64> {
    (h % 20 != 19).then_some(1 + (h % UNITS) as i64)
}

const USERS: &[&str] = &[
    "nguyenvana",
    "tranthib",
    "lethic",
    "phamvand",
    "administrator",
    "svc_backup",
    "hoangvane",
    "vuthif",
    "root",
    "admin",
    "dangvang",
    "buithih",
];
const IMAGES: &[&str] = &[
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Windows\\System32\\conhost.exe",
    "C:\\Windows\\System32\\taskhostw.exe",
];
const URIS: &[&str] = &[
    "/",
    "/index.php",
    "/tin-tuc/thong-bao",
    "/dich-vu-cong/nop-ho-so",
    "/wp-login.php",
    "/api/v1/search",
    "/static/js/app.js",
    "/static/css/site.css",
    "/images/logo.png",
    "/van-ban/quyet-dinh",
    "/lien-he",
    "/.env",
    "/admin/login",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];

fn ip(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!(
            "10.{}.{}.{}",
            rng.below(8),
            rng.below(256),
            1 + rng.below(254)
        ),
        1 => format!("192.0.2.{}", 1 + rng.below(254)),
        2 => format!("198.51.100.{}", 1 + rng.below(70)),
        _ => format!("203.0.113.{}", 1 + rng.below(254)),
    }
}

/// Event number `k` of `total`, spread evenly over the 7 days before `end`.
fn make_event(rng: &mut Rng, k: u64, total: u64, end: Timestamp) -> Event {
    let span = 7 * 24 * 3600 * 1_000_000_000i64;
    let offset = span - (span as i128 * k as i128 / total.max(1) as i128) as i64;
    let time = end - jiff::SignedDuration::from_nanos(offset);
    let h = rng.below(HOSTS);
    let host = host_name(h);
    let mut e = Event::new(EventKind::Raw, String::new());
    e.time = time;
    e.received = time + jiff::SignedDuration::from_millis(rng.below(2000) as i64);
    e.host = Some(host.clone());
    e.unit_id = unit_of(h);
    e.peer = Some(
        format!("10.{}.{}.{}", h / 250, h % 250, 10)
            .parse()
            .expect("valid ip"),
    );
    let roll = rng.below(100);
    let f = &mut e.fields;
    if roll < 45 {
        e.kind = EventKind::Evtx;
        let id = [4624, 4625, 4688, 4672, 4634, 4688, 4624, 1, 3][rng.below(9) as usize];
        let user = rng.pick(USERS);
        let image = rng.pick(IMAGES);
        f.push("EventID", id as i64);
        f.push(
            "Channel",
            if id < 10 {
                "Microsoft-Windows-Sysmon/Operational"
            } else {
                "Security"
            },
        );
        f.push(
            "Provider_Name",
            if id < 10 {
                "Microsoft-Windows-Sysmon"
            } else {
                "Microsoft-Windows-Security-Auditing"
            },
        );
        f.push("Computer", host.as_str());
        f.push("Level", 0);
        f.push("Task", 12544);
        f.push("Keywords", "0x8020000000000000");
        f.push("EventRecordID", (k * 7 + 13) as i64);
        f.push("TimeCreated", time.to_string());
        f.push("SubjectUserName", user);
        f.push("TargetUserName", rng.pick(USERS));
        f.push("LogonType", (2 + rng.below(9)) as i64);
        f.push("IpAddress", ip(rng));
        f.push("ProcessId", format!("0x{:x}", rng.below(65536)));
        f.push("Image", image);
        let cmd = if rng.below(500_000) == 0 {
            format!("{image} \"C:\\Users\\Public\\mimikatz.exe\" privilege::debug sekurlsa::logonpasswords")
        } else {
            format!(
                "{image} -k netsvcs -p -s Schedule /id {}",
                rng.below(100_000)
            )
        };
        f.push("CommandLine", cmd.as_str());
        e.message = match id {
            4625 => format!("An account failed to log on. Subject: Account Name: {user} Logon Type: 3 Failure Reason: Unknown user name or bad password. Process: {image} Command: {cmd}"),
            4688 => format!("A new process has been created. Creator Subject: Account Name: {user} New Process Name: {image} Process Command Line: {cmd}"),
            _ => format!("An account was successfully logged on. Subject: Account Name: {user} Logon Information: Logon Type: 3 Process: {image} Command: {cmd}"),
        };
    } else if roll < 80 {
        e.kind = EventKind::Syslog5424;
        let program = rng.pick(&[
            "sshd",
            "sshd",
            "CRON",
            "sudo",
            "kernel",
            "postfix/smtpd",
            "systemd",
        ]);
        let pid = 1000 + rng.below(60_000);
        let user = rng.pick(USERS);
        let src = ip(rng);
        let msg = match program {
            "sshd" if rng.below(3) == 0 => format!("Failed password for invalid user {user} from {src} port {} ssh2", 1024 + rng.below(60_000)),
            "sshd" => format!("Accepted publickey for {user} from {src} port {} ssh2: RSA SHA256:{:x}", 1024 + rng.below(60_000), rng.next()),
            "CRON" => format!("({user}) CMD (/usr/local/bin/backup.sh --target /srv/data/{})", rng.below(50)),
            "sudo" => format!("{user} : TTY=pts/{} ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx", rng.below(5)),
            "kernel" => format!("[UFW BLOCK] IN=eth0 OUT= SRC={src} DST=10.0.0.{} PROTO=TCP SPT={} DPT=22", rng.below(255), rng.below(65535)),
            _ => format!("connect from unknown[{src}] session {:x}", rng.next()),
        };
        f.push(
            "facility",
            if program == "kernel" { "kern" } else { "auth" },
        );
        f.push(
            "severity",
            if msg.starts_with("Failed") {
                "warning"
            } else {
                "info"
            },
        );
        f.push("program", program);
        f.push("pid", pid as i64);
        f.push("hostname", host.as_str());
        f.push("msgid", "-");
        f.push("msg", msg.as_str());
        e.message = format!("<38>1 {time} {host} {program} {pid} - - {msg}");
    } else {
        e.kind = EventKind::AccessLog;
        let client = if rng.below(300_000) == 0 {
            RARE_IP.to_string()
        } else {
            ip(rng)
        };
        let method = rng.pick(&["GET", "GET", "GET", "POST", "HEAD"]);
        let stem = rng.pick(URIS);
        let query = if rng.below(4) == 0 {
            format!("?id={}&page={}", rng.below(100_000), rng.below(20))
        } else {
            String::new()
        };
        let status = [200, 200, 200, 304, 404, 302, 500, 403][rng.below(8) as usize];
        let bytes = rng.below(50_000);
        let agent = rng.pick(AGENTS);
        f.push("c-ip", client.as_str());
        f.push("cs-method", method);
        f.push("cs-uri-stem", stem);
        f.push("cs-uri-query", query.as_str());
        f.push("c-uri", format!("{stem}{query}"));
        f.push("cs-version", "HTTP/1.1");
        f.push("sc-status", status as i64);
        f.push("sc-bytes", bytes as i64);
        f.push("cs-referer", "-");
        f.push("cs-user-agent", agent);
        f.push("cs-host", host.as_str());
        e.message = format!("{client} - - [{time}] \"{method} {stem}{query} HTTP/1.1\" {status} {bytes} \"-\" \"{agent}\"");
    }
    e
}

/// Process CPU time (user + system) from /proc/self/stat.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

struct Args {
    events: u64,
    dir: Option<PathBuf>,
    threads: u64,
    runs: usize,
    baseline_runs: usize,
    keep: bool,
    /// Skip appends and fill: query the store already in `--dir`/store (kept by `--keep`).
    queries_only: bool,
}

fn args() -> Args {
    let mut a = Args {
        events: 10_000_000,
        dir: None,
        threads: 2,
        runs: 21,
        baseline_runs: 3,
        keep: false,
        queries_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--events" => a.events = value().parse().expect("--events N"),
            "--dir" => a.dir = Some(PathBuf::from(value())),
            "--threads" => a.threads = value().parse().expect("--threads N"),
            "--runs" => a.runs = value().parse().expect("--runs N"),
            "--baseline-runs" => a.baseline_runs = value().parse().expect("--baseline-runs N"),
            "--keep" => a.keep = true,
            "--queries-only" => a.queries_only = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let args = args();
    let tmp = tempfile::tempdir().expect("temporary directory");
    let root = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let end = Timestamp::now();

    let dir = root.join("store");
    if !args.queries_only {
        fill(&args, &root, &dir, end);
    }
    let t0 = Instant::now();
    let log = EventLog::open(&dir, Retention::default()).expect("reopen");
    println!("reopen: {:.0} ms", ms(t0.elapsed()));
    queries(&args, &log, end);
    let problems = log.stats().problems;
    assert!(problems.is_empty(), "{problems:?}");
    drop(log);
    if args.keep {
        println!("store kept in {}", dir.display());
        std::mem::forget(tmp);
    }
}

fn fill(args: &Args, root: &Path, dir: &Path, end: Timestamp) {
    let batch = 1000u64;
    // 1. Append throughput on pre-generated batches, so that generation is not counted.
    let mut rng = Rng(0x5eed);
    let pool: Vec<Vec<Event>> = (0..100)
        .map(|b| {
            (0..batch)
                .map(|i| make_event(&mut rng, b * batch + i, 100 * batch, end))
                .collect()
        })
        .collect();
    let json_bytes: usize = pool[0]
        .iter()
        .map(|e| serde_json::to_string(e).map_or(0, |s| s.len()))
        .sum();
    println!(
        "synthetic events: {} bytes of JSON on average",
        json_bytes / batch as usize
    );
    for threads in [1u64, 2, 4] {
        let dir = root.join(format!("append-{threads}"));
        let log = Arc::new(EventLog::open(&dir, Retention::default()).expect("open"));
        let pool = Arc::new(pool.clone());
        let rounds = 5; // 500,000 events per run
        let (cpu0, t0) = (cpu_time(), Instant::now());
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (log, pool) = (Arc::clone(&log), Arc::clone(&pool));
                std::thread::spawn(move || {
                    for r in 0..rounds {
                        for (i, b) in pool.iter().enumerate() {
                            if (i as u64 + r) % threads == t {
                                log.append(b).expect("append");
                            }
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("appender");
        }
        let (wall, cpu) = (t0.elapsed(), cpu_time() - cpu0);
        let n = (rounds * 100 * batch) as f64;
        println!(
            "append, batches of {batch}, {threads} thread(s): {:.0} events/s, {:.2} µs CPU/event ({:.0} events per CPU-second), {:.1} MB on disk ({:.0} bytes/event)",
            n / wall.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / n,
            n / cpu.as_secs_f64().max(1e-9),
            dir_bytes(&dir) as f64 / 1e6,
            dir_bytes(&dir) as f64 / n,
        );
        drop(log);
        let _ = std::fs::remove_dir_all(&dir);
    }
    drop(pool);

    // 2. Fill the store (generation included in the time).
    let log = Arc::new(EventLog::open(dir, Retention::default()).expect("open"));
    let next = Arc::new(AtomicU64::new(0));
    let (cpu0, t0) = (cpu_time(), Instant::now());
    let append_time = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..args.threads)
        .map(|t| {
            let (log, next, append_time) = (
                Arc::clone(&log),
                Arc::clone(&next),
                Arc::clone(&append_time),
            );
            let total = args.events;
            std::thread::spawn(move || {
                let mut rng = Rng(0x1234_5678 + t);
                loop {
                    let start = next.fetch_add(batch, Ordering::Relaxed);
                    if start >= total {
                        break;
                    }
                    let events: Vec<Event> = (start..(start + batch).min(total))
                        .map(|k| make_event(&mut rng, k, total, end))
                        .collect();
                    let a = Instant::now();
                    log.append(&events).expect("append");
                    append_time.fetch_add(a.elapsed().as_nanos() as u64, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("filler");
    }
    let (wall, cpu) = (t0.elapsed(), cpu_time() - cpu0);
    let stats = log.stats();
    println!(
        "fill: {} events in {:.1} s with {} threads ({:.0} events/s including generation, {:.1} s CPU), {} segments, {} blocks, {:.1} MB on disk ({:.0} bytes/event)",
        stats.events,
        wall.as_secs_f64(),
        args.threads,
        stats.events as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64(),
        stats.segments,
        stats.blocks,
        stats.bytes as f64 / 1e6,
        stats.bytes as f64 / stats.events.max(1) as f64,
    );
}

fn queries(args: &Args, log: &EventLog, end: Timestamp) {
    // 3. Queries.
    let day = jiff::SignedDuration::from_hours(24);
    let host = host_name(77);
    let queries: Vec<(&str, EventQuery)> = vec![
        (
            "last 24 h",
            EventQuery {
                from: Some(end - day),
                ..Default::default()
            },
        ),
        (
            "host",
            EventQuery {
                host: Some(host.to_uppercase()),
                ..Default::default()
            },
        ),
        (
            "unit",
            EventQuery {
                units: UnitFilter::Only {
                    units: vec![17],
                    unattributed: false,
                },
                ..Default::default()
            },
        ),
        (
            "field common (EventID=4625)",
            EventQuery {
                fields: vec![("EventID".into(), "4625".into())],
                ..Default::default()
            },
        ),
        (
            "word common (failed)",
            EventQuery {
                text: Some("failed".into()),
                ..Default::default()
            },
        ),
        (
            "host, 1 day 3 days ago",
            EventQuery {
                host: Some(host.clone()),
                from: Some(end - day * 4),
                to: Some(end - day * 3),
                ..Default::default()
            },
        ),
        (
            "unit + word, 24 h",
            EventQuery {
                units: UnitFilter::Only {
                    units: vec![5, 6],
                    unattributed: true,
                },
                text: Some("sudo".into()),
                from: Some(end - day),
                ..Default::default()
            },
        ),
        (
            "field rare (c-ip)",
            EventQuery {
                fields: vec![("c-ip".into(), RARE_IP.into())],
                ..Default::default()
            },
        ),
        (
            "word rare (mimikatz)",
            EventQuery {
                text: Some("mimikatz".into()),
                ..Default::default()
            },
        ),
        (
            "IP in text, rare",
            EventQuery {
                text: Some(RARE_IP.into()),
                ..Default::default()
            },
        ),
        (
            "IP in text, common",
            EventQuery {
                text: Some("203.0.113.77".into()),
                ..Default::default()
            },
        ),
        (
            "word absent",
            EventQuery {
                text: Some("zzqxnotthere".into()),
                ..Default::default()
            },
        ),
        (
            "host + field + word, 7 d",
            EventQuery {
                host: Some(host_name(3)),
                fields: vec![("EventID".into(), "4625".into())],
                text: Some("administrator".into()),
                ..Default::default()
            },
        ),
    ];
    println!("\nqueries (limit 100, {} runs; baseline = the same search without block summaries, {} runs)", args.runs, args.baseline_runs);
    println!(
        "{:<30} {:>7} {:>10} {:>10} {:>10} {:>12} {:>8}",
        "query", "hits", "scanned", "median ms", "p95 ms", "baseline ms", "ratio"
    );
    for (name, q) in &queries {
        let mut times = Vec::new();
        let mut page = None;
        for _ in 0..args.runs {
            let t = Instant::now();
            let p = log.search(q).expect("search");
            times.push(t.elapsed());
            page = Some(p);
        }
        times.sort();
        let page = page.expect("at least one run");
        let mut base = Vec::new();
        for _ in 0..args.baseline_runs {
            let t = Instant::now();
            let p = log.search_scanning_everything(q).expect("search");
            base.push(t.elapsed());
            assert_eq!(
                p.events.len(),
                page.events.len(),
                "{name}: baseline disagrees"
            );
        }
        base.sort();
        let (median, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
        let base_median = if base.is_empty() {
            Duration::ZERO
        } else {
            percentile(&base, 0.5)
        };
        println!(
            "{:<30} {:>7} {:>10} {:>10.2} {:>10.2} {:>12.1} {:>7.1}x",
            name,
            page.events.len(),
            page.scanned,
            ms(median),
            ms(p95),
            ms(base_median),
            base_median.as_secs_f64() / median.as_secs_f64().max(1e-9),
        );
    }
    // Paging deep: the 20th page of a host's events.
    let mut q = EventQuery {
        host: Some(host),
        limit: 50,
        ..Default::default()
    };
    let t = Instant::now();
    for _ in 0..20 {
        let page = log.search(&q).expect("search");
        q.before = page.next;
    }
    println!(
        "20 pages of 50 (one host): {:.1} ms in all",
        ms(t.elapsed())
    );
}
