//! Benchmark: SigmaHQ rules over EVTX files, parse included.
//!
//! `cargo run --release -p canhgac-sigma --example hunt_bench -- RULES_DIR EVTX_DIR [--repeat N]
//!  [--ndjson OUT] [--titles OUT] [--check] [--reader ingest|own] [--detect-only] [--describe]`
//!
//! Loads every `.yml` under RULES_DIR, then reads every `.evtx` under EVTX_DIR with
//! canhgac-ingest's EVTX reader (or, with `--reader own`, the `evtx` crate and a local
//! flattener: System fields `EventID`, `Channel`, `Provider_Name`, `Computer`, ...;
//! EventData/UserData names flat) and matches each event. Prints the rule-load time, the parse-only cost, the parse + match cost per
//! event, the number of matches and the peak RSS. `--ndjson` writes the flattened events
//! (once) for other engines; `--titles` writes the fired rule titles with counts;
//! `--check` also runs the unindexed evaluation and fails on any difference.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use canhgac_model::{Event, EventKind, FieldValue, Fields};
use canhgac_sigma::{load, LoadOptions, RuleIdx, RuleSource};
use serde_json::Value;

fn files(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ext.iter().any(|x| e.eq_ignore_ascii_case(x)))
        {
            out.push(path);
        }
    }
}

fn json_to_field(v: &Value) -> FieldValue {
    match v {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::Int(i),
            None => FieldValue::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => FieldValue::Str(s.clone()),
        Value::Array(items) => FieldValue::List(items.iter().map(json_to_field).collect()),
        Value::Object(map) => match map.get("#text") {
            Some(t) => json_to_field(t),
            None => FieldValue::Null,
        },
    }
}

/// Leaves of EventData/UserData under their own names.
fn flatten_data(v: &Value, name: Option<&str>, fields: &mut Fields) {
    match v {
        Value::Object(map) => {
            if let (Some(t), Some(n)) = (map.get("#text"), name) {
                fields.push(n, json_to_field(t));
                return;
            }
            for (k, child) in map {
                if k == "#attributes" {
                    continue;
                }
                flatten_data(child, Some(k), fields);
            }
        }
        other => {
            if let Some(n) = name {
                fields.push(n, json_to_field(other));
            }
        }
    }
}

fn attr<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get("#attributes").and_then(|a| a.get(key))
}

fn flatten(record: &Value) -> Event {
    let mut event = Event::new(EventKind::Evtx, String::new());
    let root = record.get("Event").unwrap_or(record);
    let fields = &mut event.fields;
    if let Some(sys) = root.get("System") {
        if let Some(map) = sys.as_object() {
            for (k, v) in map {
                match k.as_str() {
                    "Provider" => {
                        if let Some(n) = attr(v, "Name") {
                            fields.push("Provider_Name", json_to_field(n));
                        }
                        if let Some(g) = attr(v, "Guid") {
                            fields.push("Provider_Guid", json_to_field(g));
                        }
                    }
                    "TimeCreated" => {
                        if let Some(t) = attr(v, "SystemTime") {
                            fields.push("TimeCreated", json_to_field(t));
                            if let Some(ts) = t.as_str().and_then(|s| s.parse().ok()) {
                                event.time = ts;
                            }
                        }
                    }
                    "Execution" => {
                        for a in ["ProcessID", "ThreadID"] {
                            if let Some(x) = attr(v, a) {
                                fields.push(format!("Execution_{a}"), json_to_field(x));
                            }
                        }
                    }
                    "Security" => {
                        if let Some(x) = attr(v, "UserID") {
                            fields.push("Security_UserID", json_to_field(x));
                        }
                    }
                    "Correlation" => {}
                    _ => fields.push(k.clone(), json_to_field(v)),
                }
            }
        }
    }
    for part in ["EventData", "UserData"] {
        if let Some(d) = root.get(part) {
            flatten_data(d, None, fields);
        }
    }
    event.host = fields.get_str("Computer").map(str::to_lowercase);
    event
}

/// Which EVTX reader the benchmark uses: canhgac-ingest's (default) or the local flattener.
static OWN_READER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn parse_all(paths: &[PathBuf], mut each: impl FnMut(Event)) -> usize {
    let mut n = 0;
    if !OWN_READER.load(std::sync::atomic::Ordering::Relaxed) {
        for p in paths {
            let Ok(reader) = canhgac_ingest::evtx::read_path(p) else {
                continue;
            };
            for event in reader.flatten() {
                n += 1;
                each(event);
            }
        }
        return n;
    }
    for p in paths {
        let Ok(mut parser) = evtx::EvtxParser::from_path(p) else {
            continue;
        };
        for rec in parser.records_json_bytes().flatten() {
            let Ok(v) = serde_json::from_slice::<Value>(&rec.data) else {
                continue;
            };
            n += 1;
            each(flatten(&v));
        }
    }
    n
}

/// CPU time of this thread in seconds (the machine is shared: wall time lies).
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        })
        .map(|ns| ns / 1e9)
        .unwrap_or(0.0)
}

/// Wall and CPU seconds since a start.
struct Clock(Instant, f64);

impl Clock {
    fn start() -> Self {
        Clock(Instant::now(), cpu())
    }
    fn wall(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
    fn cpu(&self) -> f64 {
        cpu() - self.1
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let positional: Vec<&String> = {
        let mut out = Vec::new();
        let mut skip = false;
        for a in &args {
            if skip {
                skip = false;
                continue;
            }
            if a == "--check" || a == "--describe" || a == "--detect-only" {
                continue;
            }
            if a.starts_with("--") {
                skip = true;
                continue;
            }
            out.push(a);
        }
        out
    };
    let (Some(rules_dir), Some(evtx_dir)) = (positional.first(), positional.get(1)) else {
        eprintln!("usage: hunt_bench RULES_DIR EVTX_DIR [--repeat N] [--ndjson OUT] [--titles OUT] [--check]");
        std::process::exit(2);
    };
    if flag("--reader").as_deref() == Some("own") {
        OWN_READER.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let repeat: usize = flag("--repeat").and_then(|r| r.parse().ok()).unwrap_or(1);
    let check = args.iter().any(|a| a == "--check");

    let t = Instant::now();
    let mut rule_files = Vec::new();
    files(
        Path::new(rules_dir.as_str()),
        &["yml", "yaml"],
        &mut rule_files,
    );
    rule_files.sort();
    let sources: Vec<RuleSource> = rule_files
        .iter()
        .map(|p| RuleSource {
            origin: p.display().to_string(),
            text: std::fs::read_to_string(p).unwrap_or_default(),
        })
        .collect();
    let read = t.elapsed();
    let t = Clock::start();
    let loaded = load(&sources, &LoadOptions::default());
    let (load_wall, load_cpu) = (t.wall(), t.cpu());
    drop(sources);
    let rules = loaded.rules;
    println!(
        "rules: {} documents, {} loaded, {} failed; read {:.3}s, load {load_wall:.3}s wall / {load_cpu:.3}s CPU",
        loaded.report.documents,
        loaded.report.loaded,
        loaded.report.errors.len(),
        read.as_secs_f64(),
    );

    if args.iter().any(|a| a == "--describe") {
        print!("{}", rules.describe_index());
    }
    let mut evtx_files = Vec::new();
    files(Path::new(evtx_dir.as_str()), &["evtx"], &mut evtx_files);
    evtx_files.sort();

    if let Some(out) = flag("--ndjson") {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&out).expect("create ndjson"));
        let n = parse_all(&evtx_files, |e| {
            let mut obj = serde_json::Map::new();
            for (k, v) in e.fields.iter() {
                obj.insert(
                    k.to_string(),
                    serde_json::to_value(v).unwrap_or(Value::Null),
                );
            }
            let _ = writeln!(w, "{}", Value::Object(obj));
        });
        println!("wrote {n} events to {out}");
    }

    let detect_only = args.iter().any(|a| a == "--detect-only");
    // Parse only.
    let t = Clock::start();
    let mut n_parse = 0;
    for _ in 0..if detect_only { 0 } else { repeat } {
        n_parse += parse_all(&evtx_files, |e| {
            std::hint::black_box(&e);
        });
    }
    let (parse_wall, parse_cpu) = (t.wall(), t.cpu());

    // Parse + match.
    let mut counts: BTreeMap<u32, u64> = BTreeMap::new();
    let mut hits = Vec::new();
    let mut matches = 0u64;
    let t = Clock::start();
    let mut n = 0;
    for _ in 0..if detect_only { 0 } else { repeat } {
        n += parse_all(&evtx_files, |e| {
            hits.clear();
            rules.matches(&e, &mut hits);
            matches += hits.len() as u64;
            for h in &hits {
                *counts.entry(h.0).or_default() += 1;
            }
        });
    }
    let (total_wall, total_cpu) = (t.wall(), t.cpu());
    let per = total_cpu * 1e6 / n as f64;
    let parse_per = parse_cpu * 1e6 / n_parse as f64;
    println!(
        "events: {n} ({} files × {repeat}); parse only {parse_wall:.3}s wall / {parse_cpu:.3}s CPU = {parse_per:.2} µs/event; \
         parse+match {total_wall:.3}s wall / {total_cpu:.3}s CPU = {per:.2} µs/event; match only ≈ {:.2} µs/event (CPU)",
        evtx_files.len(),
        per - parse_per
    );
    println!(
        "matches: {matches} (rule×event), {} distinct rules fired; peak RSS {:.0} MiB",
        counts.len(),
        peak_rss_mib()
    );

    // Detection alone, over events parsed beforehand.
    let mut events = Vec::new();
    parse_all(&evtx_files, |e| events.push(e));
    let t = Clock::start();
    let mut m = 0u64;
    for _ in 0..repeat {
        for e in &events {
            hits.clear();
            rules.matches(e, &mut hits);
            m += hits.len() as u64;
        }
    }
    println!(
        "detection only (events in memory): {:.3}s CPU = {:.2} µs/event, {m} matches",
        t.cpu(),
        t.cpu() * 1e6 / (events.len() * repeat) as f64
    );
    let cands: usize = events.iter().map(|e| rules.candidate_count(e)).sum();
    println!(
        "index: {:.1} candidate rule evaluations per event",
        cands as f64 / events.len() as f64
    );
    drop(events);

    if let Some(out) = flag("--titles") {
        let mut by_title: BTreeMap<String, u64> = BTreeMap::new();
        for (idx, c) in &counts {
            *by_title
                .entry(rules.info(RuleIdx(*idx)).title.clone())
                .or_default() += c / repeat as u64;
        }
        let mut w = std::fs::File::create(&out).expect("create titles");
        for (t, c) in by_title {
            let _ = writeln!(w, "{c}\t{t}");
        }
    }

    if check {
        let mut diff = 0;
        let mut a = Vec::new();
        let mut b = Vec::new();
        parse_all(&evtx_files, |e| {
            a.clear();
            b.clear();
            rules.matches(&e, &mut a);
            rules.matches_exhaustive(&e, &mut b);
            if a != b {
                diff += 1;
                if diff <= 10 {
                    let names = |v: &[RuleIdx]| {
                        v.iter()
                            .map(|i| rules.info(*i).title.clone())
                            .collect::<Vec<_>>()
                    };
                    eprintln!(
                        "index differs: indexed {:?} exhaustive {:?}",
                        names(&a),
                        names(&b)
                    );
                }
            }
        });
        println!("check: {diff} events where the index changed the result");
        if diff > 0 {
            std::process::exit(1);
        }
    }
}
