//! `canhgac hunt`: Sigma rules over log files, offline, like chainsaw or hayabusa.
//! Exit code 0: no hits; 1: hits; 2: bad input (nothing to read, no rule loaded, bad flag).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use canhgac_detect::hunt::{self, output, HuntFilter, HuntOptions};
use canhgac_ingest::files::{read_file, FileFormat};
use canhgac_model::{Severity, Timestamp};
use canhgac_sigma::{LoadOptions, LogsourceMapping};

use crate::cli::{HuntArgs, HuntFormat};

/// Extensions of log files picked up when walking a directory (files named on the command line
/// are always read).
const LOG_EXTENSIONS: &[&str] = &["evtx", "json", "jsonl", "ndjson", "log", "txt", "syslog"];

fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Parses `dd/mm/yyyy`, `dd/mm/yyyy HH:MM[:SS]` (Asia/Ho_Chi_Minh) or RFC 3339.
pub fn parse_time(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let (date, time) = text.split_once(' ').unwrap_or((text, "00:00"));
    let parts: Vec<&str> = date.split('/').collect();
    let invalid =
        || format!("invalid time {text:?}; write dd/mm/yyyy, dd/mm/yyyy HH:MM or RFC 3339");
    if parts.len() != 3 {
        return Err(invalid());
    }
    let iso = format!("{}-{}-{}T{}", parts[2], parts[1], parts[0], time.trim());
    let civil: jiff::civil::DateTime = iso.parse().map_err(|_| invalid())?;
    civil
        .to_zoned(output::local_zone())
        .map(|z| z.timestamp())
        .map_err(|_| invalid())
}

fn collect_files(path: &Path, named: bool, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        let known = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| LOG_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if named || known {
            out.push(path.to_path_buf());
        }
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        collect_files(&entry, false, out)?;
    }
    Ok(())
}

/// Runs the hunt described by `args`.
pub fn run(args: &HuntArgs) -> ExitCode {
    let started = Instant::now();
    let filter = HuntFilter {
        from: match args.from.as_deref().map(parse_time).transpose() {
            Ok(t) => t,
            Err(e) => return bad_input(format!("--from: {e}")),
        },
        to: match args.to.as_deref().map(parse_time).transpose() {
            Ok(t) => t,
            Err(e) => return bad_input(format!("--to: {e}")),
        },
        min_level: match args
            .min_level
            .as_deref()
            .map(str::parse::<Severity>)
            .transpose()
        {
            Ok(level) => level,
            Err(e) => return bad_input(format!("--min-level: {e}")),
        },
    };
    let mut files = Vec::new();
    for path in &args.paths {
        if let Err(e) = collect_files(path, true, &mut files) {
            return bad_input(format!("{}: {e}", path.display()));
        }
    }
    if files.is_empty() {
        return bad_input("no log files under the given paths");
    }

    let mapping = match &args.mapping {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| LogsourceMapping::from_yaml(&text).map_err(|e| e.to_string()))
        {
            Ok(mapping) => mapping,
            Err(e) => return bad_input(format!("--mapping {}: {e}", path.display())),
        },
        None => LogsourceMapping::builtin(),
    };
    let load_started = Instant::now();
    let (sources, read_errors) = canhgac_intake::read_rule_dirs(&args.rules);
    let loaded = canhgac_sigma::load(
        &sources,
        &LoadOptions {
            mapping,
            ..LoadOptions::default()
        },
    );
    let load_time = load_started.elapsed();
    let failed: Vec<_> = read_errors.iter().chain(&loaded.report.errors).collect();
    for error in &failed {
        eprintln!(
            "rule not loaded: {}{}: {}",
            error.origin,
            error
                .title
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default(),
            error.reason
        );
    }
    if loaded.rules.is_empty() && loaded.correlations.is_empty() {
        return bad_input("no rule loaded from the --rules paths");
    }
    if !args.quiet {
        eprintln!(
            "{} rules and {} correlations loaded in {:.2} s, {} not loaded; {} files",
            loaded.rules.len(),
            loaded.correlations.len(),
            load_time.as_secs_f64(),
            failed.len(),
            files.len()
        );
    }

    let format: Option<FileFormat> = args.log_format.map(crate::cli::LogFormatArg::file_format);
    let options = HuntOptions {
        filter,
        threads: args
            .threads
            .unwrap_or_else(|| HuntOptions::default().threads)
            .max(1),
        ..HuntOptions::default()
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let last_shown = Mutex::new(Instant::now());
    let correlations = (!loaded.correlations.is_empty()).then_some(&loaded.correlations);
    let report = hunt::run(
        &files,
        |path| read_file(path, format),
        &loaded.rules,
        correlations,
        &options,
        |progress| {
            if !show_progress {
                return;
            }
            let Ok(mut last) = last_shown.lock() else {
                return;
            };
            if last.elapsed().as_millis() < 200 && progress.files_done < progress.files_total {
                return;
            }
            *last = Instant::now();
            eprint!(
                "\r[{}/{} files] {} events, {} hits   ",
                progress.files_done, progress.files_total, progress.events, progress.hits
            );
        },
    );
    if show_progress {
        eprintln!();
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let format = match args.format {
        HuntFormat::Table => output::Format::Table,
        HuntFormat::Json => output::Format::Json,
        HuntFormat::Csv => output::Format::Csv,
    };
    let written = output::write(format, &mut out, &loaded.rules, &report.hits)
        .and_then(|()| write_correlations(&mut out, args.format, &report.correlations))
        .and_then(|()| out.flush());
    if let Err(e) = written {
        // A closed pipe (`| head`) is not a failure of the hunt.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing the results: {e}");
            return ExitCode::FAILURE;
        }
    }
    for error in &report.errors {
        eprintln!(
            "{}{}: {}",
            error.file.display(),
            error
                .position
                .map(|p| format!(" record {p}"))
                .unwrap_or_default(),
            error.reason
        );
    }
    if !args.quiet {
        let events = report.events.max(1);
        eprintln!(
            "{} events in {} files ({} unreadable, {} bad records, {} outside the time range); {} hits, {} correlations; {:.2} s ({:.1} µs per event)",
            report.events,
            report.files,
            report.files_failed,
            report.bad_records,
            report.events_outside_range,
            report.hits.len(),
            report.correlations.len(),
            started.elapsed().as_secs_f64(),
            report.elapsed.as_secs_f64() * 1e6 / events as f64,
        );
    }
    if report.has_hits() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn write_correlations(
    out: &mut dyn Write,
    format: HuntFormat,
    hits: &[canhgac_sigma::CorrelationHit],
) -> std::io::Result<()> {
    let zone = output::local_zone();
    for hit in hits {
        let group = hit
            .group
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        match format {
            HuntFormat::Json => {
                let line = serde_json::json!({
                    "correlation": hit.info.title,
                    "id": hit.info.id,
                    "level": hit.info.level,
                    "group": group,
                    "first": hit.first.to_string(),
                    "last": hit.last.to_string(),
                    "count": hit.count,
                });
                writeln!(out, "{line}")?;
            }
            HuntFormat::Csv | HuntFormat::Table => writeln!(
                out,
                "correlation: {} [{}] {} .. {} count {} {}",
                hit.info.title,
                hit.info.level,
                output::local_time(hit.first, &zone),
                output::local_time(hit.last, &zone),
                hit.count,
                group
            )?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_rfc3339_times_parse() {
        let t = parse_time("26/11/2026 08:30").unwrap();
        assert_eq!(t.to_string(), "2026-11-26T01:30:00Z");
        assert_eq!(
            parse_time("26/11/2026").unwrap().to_string(),
            "2026-11-25T17:00:00Z"
        );
        assert_eq!(
            parse_time("2026-11-26T01:30:00Z").unwrap().to_string(),
            "2026-11-26T01:30:00Z"
        );
        assert!(parse_time("26-11-2026").is_err());
        assert!(parse_time("31/02/2026").is_err());
    }
}
