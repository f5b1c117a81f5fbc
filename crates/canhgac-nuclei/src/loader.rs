//! Loading a directory of templates into a [`LoadReport`]: what loaded, what was skipped and
//! why, what is broken YAML.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::template::{self, LoadError, Template};

/// A template left out, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTemplate {
    /// The file.
    pub path: PathBuf,
    /// The protocol it declares, when it could be read.
    pub protocol: Option<String>,
    /// The feature or defect that made us skip it.
    pub reason: String,
}

/// A file that is not valid YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenTemplate {
    /// The file.
    pub path: PathBuf,
    /// 1-based line of the error.
    pub line: usize,
    /// The parser's message.
    pub message: String,
}

/// The outcome of [`load_dir`].
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Templates that loaded.
    pub templates: Vec<Template>,
    /// Templates skipped, with the reason.
    pub skipped: Vec<SkippedTemplate>,
    /// Files that are not YAML.
    pub broken: Vec<BrokenTemplate>,
    /// Wall time of the load.
    pub elapsed: Duration,
}

impl LoadReport {
    /// Every file seen.
    pub fn total(&self) -> usize {
        self.templates.len() + self.skipped.len() + self.broken.len()
    }

    /// Loaded and seen counts among the templates of the given protocols (`http`, `dns`, `ssl`,
    /// `tcp`); broken files count as seen when their protocol is unknown.
    pub fn load_ratio(&self, protocols: &[&str]) -> (usize, usize) {
        let loaded = self
            .templates
            .iter()
            .filter(|t| protocols.contains(&t.protocol()))
            .count();
        let skipped = self
            .skipped
            .iter()
            .filter(|s| {
                s.protocol
                    .as_deref()
                    .is_some_and(|p| protocols.contains(&p))
            })
            .count();
        (loaded, loaded + skipped + self.broken.len())
    }

    /// Per declared protocol: (loaded, seen). Broken files have no known protocol and are left
    /// out.
    pub fn per_protocol(&self) -> BTreeMap<String, (usize, usize)> {
        let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for template in &self.templates {
            let entry = counts.entry(template.protocol().to_owned()).or_default();
            entry.0 += 1;
            entry.1 += 1;
        }
        for skipped in &self.skipped {
            let protocol = skipped.protocol.clone().unwrap_or_else(|| "unknown".into());
            counts.entry(protocol).or_default().1 += 1;
        }
        counts
    }

    /// Skip reasons with their counts, most frequent first.
    pub fn reasons(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for skipped in &self.skipped {
            *counts.entry(skipped.reason.clone()).or_insert(0) += 1;
        }
        let mut sorted: Vec<(String, usize)> = counts.into_iter().collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        sorted
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        writeln!(
            f,
            "{} of {} load ({:.1}%) in {} ms",
            self.templates.len(),
            total,
            percent(self.templates.len(), total),
            self.elapsed.as_millis()
        )?;
        let per_protocol: Vec<String> = self
            .per_protocol()
            .iter()
            .map(|(protocol, (loaded, seen))| format!("{protocol} {loaded}/{seen}"))
            .collect();
        writeln!(f, "per protocol (loaded/seen): {}", per_protocol.join(", "))?;
        if !self.skipped.is_empty() {
            writeln!(f, "skipped {}:", self.skipped.len())?;
            for (reason, count) in self.reasons() {
                writeln!(f, "  {count:>4}  {reason}")?;
            }
        }
        if !self.broken.is_empty() {
            writeln!(f, "broken YAML {}:", self.broken.len())?;
            for broken in &self.broken {
                writeln!(
                    f,
                    "  {}:{}: {}",
                    broken.path.display(),
                    broken.line,
                    broken.message
                )?;
            }
        }
        Ok(())
    }
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files);
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            files.push(path);
        }
    }
}

/// Loads every `.yaml`/`.yml` file under `dir` (recursively). Never fails as a whole: each file
/// is loaded, skipped with a reason, or reported broken.
pub fn load_dir(dir: &Path) -> LoadReport {
    let started = Instant::now();
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.sort();
    let mut report = LoadReport::default();
    for path in files {
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                report.skipped.push(SkippedTemplate {
                    path,
                    protocol: None,
                    reason: format!("unreadable: {e}"),
                });
                continue;
            }
        };
        load_one(&text, path, &mut report);
    }
    report.elapsed = started.elapsed();
    report
}

fn load_one(text: &str, path: PathBuf, report: &mut LoadReport) {
    let docs = match template::parse_yaml(text) {
        Ok(docs) => docs,
        Err(LoadError::Yaml { line, message }) => {
            report.broken.push(BrokenTemplate {
                path,
                line,
                message,
            });
            return;
        }
        Err(other) => {
            report.skipped.push(SkippedTemplate {
                path,
                protocol: None,
                reason: other.to_string(),
            });
            return;
        }
    };
    let Some(doc) = docs.first() else {
        report.skipped.push(SkippedTemplate {
            path,
            protocol: None,
            reason: "empty document".into(),
        });
        return;
    };
    match template::from_yaml(doc, &path) {
        Ok(template) => report.templates.push(template),
        Err(error) => report.skipped.push(SkippedTemplate {
            protocol: template::declared_protocol(doc).map(str::to_owned),
            path,
            reason: match error {
                LoadError::Unsupported(feature) => feature,
                other => other.to_string(),
            },
        }),
    }
}
