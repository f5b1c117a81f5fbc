//! Loads the SigmaHQ Windows rules from the shared corpus (not part of this repository) and
//! checks that at least 99% load; prints every failure grouped by reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use canhgac_sigma::{load, LoadOptions, RuleSource};

const CORPUS: &str = "/work/shared/corpora/sigma/rules/windows";

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            out.push(path);
        }
    }
}

/// The SigmaHQ rule directory, or why the test cannot run.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var("SIGMA_WINDOWS_RULES").unwrap_or_else(|_| CORPUS.to_string());
    let dir = PathBuf::from(dir);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED sigmahq_windows_rules_load: {} is absent (set SIGMA_WINDOWS_RULES to a SigmaHQ rules/windows checkout)",
            dir.display()
        );
        None
    }
}

#[test]
fn sigmahq_windows_rules_load() {
    let Some(dir) = corpus() else {
        return;
    };
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    files.sort();
    let sources: Vec<RuleSource> = files
        .iter()
        .map(|p| RuleSource {
            origin: p.display().to_string(),
            text: std::fs::read_to_string(p).unwrap_or_default(),
        })
        .collect();
    let started = std::time::Instant::now();
    let loaded = load(&sources, &LoadOptions::default());
    let took = started.elapsed();
    let report = &loaded.report;
    let mut by_reason: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &report.errors {
        // Group by the reason's shape: drop quoted specifics.
        let key = e
            .reason
            .split(['"', '\''])
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        by_reason.entry(key).or_default().push(e.to_string());
    }
    eprintln!(
        "SigmaHQ windows: {} documents, {} loaded, {} failed, load {:?}",
        report.documents,
        report.loaded,
        report.errors.len(),
        took
    );
    for (reason, items) in &by_reason {
        eprintln!("  {} × {reason}", items.len());
        for i in items {
            eprintln!("      {i}");
        }
    }
    assert!(report.documents >= 2000, "expected the full rule set");
    let ratio = report.loaded as f64 / report.documents as f64;
    assert!(ratio >= 0.99, "only {:.2}% loaded", ratio * 100.0);
}
