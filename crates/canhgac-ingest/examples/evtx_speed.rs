//! Reads every `.evtx` file under a directory (default: the shared attack-samples corpus) with
//! `canhgac_ingest::evtx` and prints records, errors and microseconds per record.
//!
//! `cargo run --release -p canhgac-ingest --example evtx_speed [DIR] [REPEAT]`

use std::path::{Path, PathBuf};
use std::time::Instant;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("evtx") {
            out.push(path);
        }
    }
}

/// CPU seconds this process has used (user + system), from `/proc/self/stat`; the machine is
/// shared, so CPU time is the fairer figure.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let after = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/work/shared/corpora/evtx-attack-samples".to_string());
    let repeat: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let mut files = Vec::new();
    collect(Path::new(&dir), &mut files);
    files.sort();
    let (mut records, mut errors, mut fields) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    for _ in 0..repeat {
        for file in &files {
            match canhgac_ingest::evtx::read_path(file) {
                Ok(reader) => {
                    for item in reader {
                        match item {
                            Ok(event) => {
                                records += 1;
                                fields += event.fields.len() as u64;
                            }
                            Err(err) => {
                                errors += 1;
                                if repeat == 1 {
                                    eprintln!("{err}");
                                }
                            }
                        }
                    }
                }
                Err(err) => {
                    errors += 1;
                    eprintln!("{err}");
                }
            }
        }
    }
    let elapsed = start.elapsed();
    let cpu = cpu_seconds() - cpu_start;
    println!(
        "files {} x{repeat}, records {records}, errors {errors}, fields/record {:.1}, wall {:.3} s ({:.2} us/record), cpu {:.2} s ({:.2} us/record)",
        files.len(),
        fields as f64 / records.max(1) as f64,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / records.max(1) as f64,
        cpu,
        cpu * 1e6 / records.max(1) as f64
    );
}
