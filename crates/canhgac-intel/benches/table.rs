//! Imports 1,000,000 indicator rows from a CSV generated in memory (issue 7's target: under
//! 30 s and under 1 GB) and prints the time and the peak resident memory.
//!
//! `cargo bench -p canhgac-intel --bench table`

use std::fmt::Write;
use std::time::Instant;

use canhgac_intel::table::{import, preview, ImportDefaults, TableFormat};

const ROWS: usize = 1_000_000;

fn main() {
    let started = Instant::now();
    let mut csv = String::with_capacity(ROWS * 110);
    csv.push_str("Giá trị,Mô tả,Lần đầu,Độ tin cậy,Nhãn\n");
    for n in 0..ROWS {
        // A third each of IPv4 addresses, domains (defanged) and SHA-256 hashes, no kind
        // column: every value's kind is recognised, the slow path.
        match n % 3 {
            0 => write!(csv, "10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
            1 => write!(csv, "host{n}.c2-example[.]top"),
            _ => write!(csv, "{n:064x}"),
        }
        .expect("writing to a String cannot fail");
        writeln!(
            csv,
            ",\"Máy chủ điều khiển, đợt {}\",{:02}/11/2025,{},APT;C2",
            n % 97,
            n % 28 + 1,
            n % 101
        )
        .expect("writing to a String cannot fail");
    }
    println!(
        "generated {ROWS} rows, {} MB, in {:.2?}",
        csv.len() / 1_000_000,
        started.elapsed()
    );

    let started = Instant::now();
    let mapping = preview(csv.as_bytes(), &TableFormat::Csv, 20)
        .expect("the generated CSV previews")
        .mapping;
    let defaults = ImportDefaults {
        source: "bench".into(),
        ..ImportDefaults::default()
    };
    let indicators =
        import(csv.as_bytes(), &TableFormat::Csv, &mapping, &defaults).expect("the CSV imports");
    let elapsed = started.elapsed();
    assert_eq!(indicators.len(), ROWS);
    println!(
        "imported {} indicators in {:.2?} ({:.0} rows/s)",
        indicators.len(),
        elapsed,
        ROWS as f64 / elapsed.as_secs_f64()
    );
    match peak_memory_kb() {
        Some(kb) => println!("peak resident memory (VmHWM): {} MB", kb / 1024),
        None => println!("peak resident memory: unknown (no /proc/self/status)"),
    }
}

fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}
