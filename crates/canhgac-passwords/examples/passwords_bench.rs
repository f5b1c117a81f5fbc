//! Benchmark: import N generated SHA-1 `HASH:COUNT` lines (sorted, as the Pwned Passwords
//! download is), then time 100 000 random lookups (half hits, half misses) in the file, against
//! the same lookups in a `HashSet` loaded in memory.
//!
//! `cargo run --release -p canhgac-passwords --example passwords_bench -- [N] [WORK_DIR]`
//! (default N = 10 000 000; see `bench/passwords.sh`).

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use canhgac_passwords::{import, BreachedSet, HashKind};
use rand::{Rng, SeedableRng};

const LOOKUPS: usize = 100_000;

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort_unstable();
    times[((times.len() - 1) as f64 * p) as usize]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    let work = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);

    let started = Instant::now();
    let mut hashes: Vec<[u8; 20]> = (0..n).map(|_| rng.gen()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let list = work.join("bench-pwned-sha1.txt");
    {
        let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&list)?);
        for h in &hashes {
            writeln!(
                out,
                "{}:{}",
                hex::encode_upper(h),
                rng.gen_range(1..100_000u32)
            )?;
        }
        out.flush()?;
    }
    let list_size = std::fs::metadata(&list)?.len();
    println!(
        "generated {} sorted SHA-1 lines ({:.1} MB) in {:.1} s",
        hashes.len(),
        list_size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let db = work.join("bench-pwned-sha1.cgpw");
    let input = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&list)?);
    let report = import(input, HashKind::Sha1, &db)?;
    let secs = report.elapsed.as_secs_f64();
    println!(
        "import: {:.2} s, {:.0} lines/s, {:.0} MB/s of input; file {:.1} MB, {:.2} bytes per record ({} records, sorted input: {})",
        secs,
        report.lines as f64 / secs,
        list_size as f64 / 1e6 / secs,
        report.file_size as f64 / 1e6,
        report.file_size as f64 / report.records as f64,
        report.records,
        report.sorted_input
    );
    std::fs::remove_file(&list)?;

    // Half hits, half misses, in random order.
    let probes: Vec<([u8; 20], bool)> = (0..LOOKUPS)
        .map(|i| {
            if i % 2 == 0 {
                (hashes[rng.gen_range(0..hashes.len())], true)
            } else {
                (rng.gen(), false)
            }
        })
        .collect();

    let set = BreachedSet::open(&db)?;
    // Warm the page cache and check the answers.
    for (h, hit) in &probes {
        let found = set.lookup(h)?.is_some();
        assert!(found == *hit || (!hit && hashes.binary_search(h).is_ok()));
    }
    let mut times = Vec::with_capacity(LOOKUPS);
    let all = Instant::now();
    for (h, _) in &probes {
        let t = Instant::now();
        std::hint::black_box(set.lookup(h)?);
        times.push(t.elapsed());
    }
    let total = all.elapsed();
    let median = percentile(&mut times, 0.5);
    let p99 = percentile(&mut times, 0.99);
    println!(
        "file lookups ({LOOKUPS}, half hits): median {:.2} µs, p99 {:.2} µs, mean {:.2} µs",
        median.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        total.as_secs_f64() * 1e6 / LOOKUPS as f64
    );

    let load = Instant::now();
    let memory: HashSet<[u8; 20]> = hashes.iter().copied().collect();
    let load = load.elapsed();
    drop(hashes);
    let mut times = Vec::with_capacity(LOOKUPS);
    let all = Instant::now();
    for (h, _) in &probes {
        let t = Instant::now();
        std::hint::black_box(memory.contains(h));
        times.push(t.elapsed());
    }
    let total = all.elapsed();
    let median = percentile(&mut times, 0.5);
    let p99 = percentile(&mut times, 0.99);
    println!(
        "HashSet baseline: built in {:.2} s from memory (~{:.0} MB resident), lookups median {:.3} µs, p99 {:.3} µs, mean {:.3} µs",
        load.as_secs_f64(),
        (memory.capacity() * 21) as f64 / 1e6,
        median.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        total.as_secs_f64() * 1e6 / LOOKUPS as f64
    );
    std::fs::remove_file(&db)?;
    Ok(())
}
