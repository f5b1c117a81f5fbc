//! The hunt engine over real files: every file under the given paths through a directory of
//! Sigma rules, read with `canhgac-ingest`, as `canhgac hunt` will do.
//!
//! ```sh
//! cargo run --release -p canhgac-detect --example hunt_corpus -- \
//!     ../shared/corpora/sigma/rules/windows ../shared/corpora/evtx-attack-samples [THREADS]
//! ```
//! Prints rule load time and report, records, hits, wall and CPU time (the process's), and the
//! first hits as a table.

use std::path::{Path, PathBuf};
use std::time::Instant;

use canhgac_detect::hunt::{self, output, HuntOptions};
use canhgac_sigma::{load, LoadOptions, RuleSource};

fn walk(path: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for entry in entries {
            walk(&entry, keep, out);
        }
    } else if keep(path) {
        out.push(path.to_path_buf());
    }
}

/// User + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rules_dir), Some(logs)) = (args.first(), args.get(1)) else {
        return Err("usage: hunt_corpus RULES_DIR LOGS_PATH [THREADS]".into());
    };
    let threads = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(2);

    let mut rule_files = Vec::new();
    walk(
        Path::new(rules_dir),
        &|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"),
        &mut rule_files,
    );
    let sources: Vec<RuleSource> = rule_files
        .iter()
        .filter_map(|p| {
            std::fs::read_to_string(p).ok().map(|text| RuleSource {
                origin: p.display().to_string(),
                text,
            })
        })
        .collect();
    let started = Instant::now();
    let loaded = load(&sources, &LoadOptions::default());
    println!(
        "rules: {} documents, {} loaded, {} errors, {} detection rules, {} correlations; load {:.2} s",
        loaded.report.documents,
        loaded.report.loaded,
        loaded.report.errors.len(),
        loaded.rules.len(),
        loaded.correlations.len(),
        started.elapsed().as_secs_f64()
    );

    let mut files = Vec::new();
    walk(
        Path::new(logs),
        &|p| canhgac_ingest::files::sniff(p).is_some(),
        &mut files,
    );
    let cpu = cpu_seconds();
    let report = hunt::run(
        &files,
        |path| canhgac_ingest::files::read_file(path, None),
        &loaded.rules,
        Some(&loaded.correlations),
        &HuntOptions {
            threads,
            ..HuntOptions::default()
        },
        |_| {},
    );
    let cpu = cpu_seconds() - cpu;
    println!(
        "hunt: {} files ({} failed), {} records ({} undecodable), {} hits, {} correlations; {:.2} s wall, {:.2} s CPU on {threads} threads, {:.1} µs CPU per record",
        report.files,
        report.files_failed,
        report.events,
        report.bad_records,
        report.hits.len(),
        report.correlations.len(),
        report.elapsed.as_secs_f64(),
        cpu,
        cpu * 1e6 / report.events.max(1) as f64
    );
    let mut stdout = std::io::stdout().lock();
    output::write_table(
        &mut stdout,
        &loaded.rules,
        &report.hits[..report.hits.len().min(10)],
    )?;
    Ok(())
}
