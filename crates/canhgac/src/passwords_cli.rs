//! `canhgac passwords`: breached and shared passwords, offline (no configuration, no store).
//! Exit codes: 0 clean, 1 breached or shared passwords found (or a failure), 2 bad input.
//! A password read here is never printed, logged or written.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use canhgac_passwords::{
    AuditReport, BreachedSet, HashKind, ImportOptions, MalformedLine, PasswordsError,
};

use crate::cli::{AuditServer, HuntFormat, PasswordHashKind, PasswordsCommand};

fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn failure(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// Runs a `passwords` subcommand.
pub fn run(command: &PasswordsCommand) -> ExitCode {
    match command {
        PasswordsCommand::Import {
            kind,
            file,
            out,
            sort_memory,
            quiet,
        } => import(*kind, file, out, *sort_memory, *quiet),
        PasswordsCommand::Check { db } => check(db),
        PasswordsCommand::CheckHashes { db, file, format } => check_hashes(db, file, *format),
        PasswordsCommand::Audit {
            db,
            dump,
            format,
            report,
        } => audit(db, dump, *format, report),
    }
}

/// Opens FILE, or standard input for `-`.
fn open_input(path: &Path) -> std::io::Result<Box<dyn BufRead>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            std::io::stdin(),
        )));
    }
    Ok(Box::new(BufReader::with_capacity(
        1 << 20,
        File::open(path)?,
    )))
}

fn open_set(db: &Path) -> Result<BreachedSet, ExitCode> {
    BreachedSet::open(db).map_err(|e| bad_input(format!("--db: {e}")))
}

fn print_malformed(total: u64, first: &[MalformedLine]) {
    for m in first {
        eprintln!("line {}: {} (skipped)", m.line, m.reason);
    }
    if total > first.len() as u64 {
        eprintln!(
            "... and {} more malformed lines",
            total - first.len() as u64
        );
    }
}

fn import(
    kind: PasswordHashKind,
    file: &Path,
    out: &Path,
    sort_memory: usize,
    quiet: bool,
) -> ExitCode {
    let kind = match kind {
        PasswordHashKind::Sha1 => HashKind::Sha1,
        PasswordHashKind::Ntlm => HashKind::Ntlm,
    };
    let input = match open_input(file) {
        Ok(input) => input,
        Err(e) => return bad_input(format!("{}: {e}", file.display())),
    };
    let started = Instant::now();
    let show_progress = !quiet && std::io::stderr().is_terminal();
    let options = ImportOptions {
        chunk_bytes: sort_memory.max(1) << 20,
        ..ImportOptions::default()
    };
    let result = canhgac_passwords::import_with(input, kind, out, &options, |p| {
        if show_progress {
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            eprint!(
                "\r{} lines, {:.0} MB, {:.0} lines/s, {} malformed   ",
                p.lines,
                p.bytes as f64 / 1e6,
                p.lines as f64 / secs,
                p.malformed
            );
        }
    });
    if show_progress {
        eprintln!();
    }
    let report = match result {
        Ok(report) => report,
        Err(PasswordsError::Empty {
            kind,
            malformed,
            first_malformed,
        }) => {
            print_malformed(malformed, &first_malformed);
            return bad_input(format!(
                "no valid {kind} HASH:COUNT line in {}; {} not written",
                file.display(),
                out.display()
            ));
        }
        Err(e @ PasswordsError::Input(_)) => return bad_input(e),
        Err(e) => return failure(e),
    };
    print_malformed(report.malformed, &report.first_malformed);
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "{} {} hashes written to {} ({:.1} MB, {:.1} bytes per hash) from {} lines in {:.2} s ({:.0} lines/s, {:.0} MB/s); {} malformed, {} repeated; {}",
        report.records,
        report.kind,
        out.display(),
        report.file_size as f64 / 1e6,
        report.file_size as f64 / report.records.max(1) as f64,
        report.lines,
        secs,
        report.lines as f64 / secs,
        report.bytes as f64 / 1e6 / secs,
        report.malformed,
        report.duplicates,
        if report.sorted_input {
            "input already sorted".to_string()
        } else {
            format!("input not sorted: {} sorted runs merged", report.runs)
        }
    );
    ExitCode::SUCCESS
}

/// Reads the password to check: without echo on a terminal, else the first line of stdin.
fn read_password() -> Result<String, ExitCode> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Mật khẩu cần kiểm tra / Password to check: ")
            .map_err(|e| bad_input(format!("reading the password: {e}")));
    }
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) => Err(bad_input("no password on standard input")),
        Ok(_) => {
            let end = line.trim_end_matches(['\r', '\n']).len();
            line.truncate(end);
            Ok(line)
        }
        Err(e) => Err(bad_input(format!("reading the password: {e}"))),
    }
}

fn check(db: &Path) -> ExitCode {
    let set = match open_set(db) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let password = match read_password() {
        Ok(password) => password,
        Err(code) => return code,
    };
    let hash = set.kind().hash(&password);
    drop(password);
    match set.lookup(&hash) {
        Ok(Some(count)) => {
            println!(
                "BỊ LỘ: mật khẩu này đã xuất hiện {count} lần trong các vụ rò rỉ dữ liệu; không được dùng nó."
            );
            ExitCode::from(1)
        }
        Ok(None) => {
            println!(
                "Không có trong danh sách {} mã băm bị lộ (điều đó chưa chứng minh mật khẩu mạnh).",
                set.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => failure(e),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A hash shown to people: its first 8 hex digits, enough to find the line again.
fn hash_prefix(hash: &[u8]) -> String {
    hex::encode(&hash[..4])
}

fn check_hashes(db: &Path, file: &Path, format: HuntFormat) -> ExitCode {
    let set = match open_set(db) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let input = match open_input(file) {
        Ok(input) => input,
        Err(e) => return bad_input(format!("{}: {e}", file.display())),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut checked, mut breached, mut malformed) = (0u64, 0u64, Vec::new());
    let mut malformed_total = 0u64;
    let written = (|| -> Result<(), Box<dyn std::error::Error>> {
        match format {
            HuntFormat::Table => {
                writeln!(out, "{:<8}  {:<10}  {:>12}", "Dòng", "Mã băm", "Số lần lộ")?
            }
            HuntFormat::Csv => writeln!(out, "line,hash_prefix,breach_count")?,
            HuntFormat::Json => {}
        }
        for (index, line) in input.split(b'\n').enumerate() {
            let number = index as u64 + 1;
            let line = line?;
            let text = String::from_utf8_lossy(&line);
            // `HASH` or `HASH:anything` (a count, a user name).
            let text = text.split(':').next().unwrap_or_default().trim();
            if text.is_empty() {
                continue;
            }
            let Some(hash) = set.kind().parse_hex(text) else {
                malformed_total += 1;
                if malformed.len() < canhgac_passwords::MAX_REPORTED_MALFORMED {
                    let reason = if text.len() == set.kind().hash_len() * 2 {
                        canhgac_passwords::MalformedReason::NotHex
                    } else {
                        canhgac_passwords::MalformedReason::WrongLength
                    };
                    malformed.push(MalformedLine {
                        line: number,
                        reason,
                    });
                }
                continue;
            };
            checked += 1;
            let Some(count) = set.lookup(&hash)? else {
                continue;
            };
            breached += 1;
            let prefix = hash_prefix(&hash);
            match format {
                HuntFormat::Table => writeln!(out, "{number:<8}  {prefix}…  {count:>12}")?,
                HuntFormat::Csv => writeln!(out, "{number},{prefix},{count}")?,
                HuntFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::json!({"line": number, "hash_prefix": prefix, "breach_count": count})
                )?,
            }
        }
        out.flush()?;
        Ok(())
    })();
    if let Err(e) = written {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() != std::io::ErrorKind::BrokenPipe {
                return failure(format!("{}: {io}", file.display()));
            }
        } else {
            return failure(e);
        }
    }
    print_malformed(malformed_total, &malformed);
    eprintln!(
        "{checked} {} hashes checked: {breached} breached, {malformed_total} malformed lines",
        set.kind()
    );
    if checked == 0 {
        return bad_input(format!("no {} hash in {}", set.kind(), file.display()));
    }
    if breached > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn audit(db: &Path, dump_path: &Path, format: HuntFormat, server: &AuditServer) -> ExitCode {
    // Check the server options before the (long) audit, not after.
    let mapping = match server.server.as_deref() {
        None => None,
        Some(_) if server.token.is_none() => {
            return bad_input("--server needs --token (or CANHGAC_TOKEN)")
        }
        Some(_) if server.unit.is_none() && server.accounts.is_none() => {
            return bad_input(
                "--server needs --unit CODE or --accounts FILE to know each account's unit",
            )
        }
        Some(_) => match server
            .accounts
            .as_deref()
            .map(|path| {
                std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))
                    .and_then(|text| {
                        canhgac_passwords::findings::parse_account_units(&text)
                            .map_err(|e| format!("{}: {e}", path.display()))
                    })
            })
            .transpose()
        {
            Ok(mapping) => Some(mapping.unwrap_or_default()),
            Err(message) => return bad_input(message),
        },
    };
    let set = match open_set(db) {
        Ok(set) => set,
        Err(code) => return code,
    };
    if set.kind() != HashKind::Ntlm {
        return bad_input(format!(
            "--db {} holds {} hashes; an audit needs an NTLM file (passwords import --kind ntlm)",
            db.display(),
            set.kind()
        ));
    }
    let dump = match open_input(dump_path).and_then(|input| {
        canhgac_passwords::parse_dump(input).map_err(|e| match e {
            PasswordsError::Input(io) => io,
            other => std::io::Error::other(other),
        })
    }) {
        Ok(dump) => dump,
        Err(e) => return bad_input(format!("{}: {e}", dump_path.display())),
    };
    print_malformed(dump.malformed, &dump.first_malformed);
    if dump.accounts.is_empty() {
        return bad_input(format!(
            "no user account in {} (expected user:rid:lmhash:nthash::: lines)",
            dump_path.display()
        ));
    }
    // A fresh key per run: group ids mean nothing outside this report.
    let key: [u8; 32] = rand::random();
    let report = match canhgac_passwords::audit(&dump, &set, &key) {
        Ok(report) => report,
        Err(e) => return failure(e),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match format {
        HuntFormat::Table => write_table(&mut out, &report),
        HuntFormat::Csv => write_csv(&mut out, &report),
        HuntFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
    }
    .and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return failure(format!("writing the report: {e}"));
        }
    }
    eprintln!(
        "{} tài khoản đã kiểm tra: {} mật khẩu bị lộ, {} mật khẩu rỗng, {} dùng chung mật khẩu ({} nhóm), {} còn lưu băm LM; bỏ qua {} tài khoản máy, {} mục lịch sử mật khẩu, {} dòng khác, {} dòng lỗi",
        report.accounts_checked,
        report.breached_accounts,
        report.empty_password_accounts,
        report.shared_accounts,
        report.shared_groups.len(),
        report.lm_hash_accounts,
        report.machine_accounts_skipped,
        report.history_entries_skipped,
        report.ignored_lines,
        report.malformed_lines,
    );
    if let (Some(mapping), Some(url), Some(token)) =
        (mapping, server.server.as_deref(), server.token.as_deref())
    {
        if let Err(e) =
            crate::findings_client::send_audit(url, token, server.unit.as_deref(), mapping, &report)
        {
            return failure(format!("{e:#}"));
        }
    }
    if report.has_findings() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn notes(empty: bool, lm: bool) -> String {
    let mut notes = Vec::new();
    if empty {
        notes.push("mật khẩu rỗng");
    }
    if lm {
        notes.push("còn lưu băm LM");
    }
    notes.join(", ")
}

fn write_table(out: &mut dyn Write, report: &AuditReport) -> std::io::Result<()> {
    if report.findings.is_empty() {
        return writeln!(
            out,
            "Không có tài khoản nào dùng mật khẩu bị lộ, rỗng, dùng chung hay còn lưu băm LM."
        );
    }
    let width = report
        .findings
        .iter()
        .map(|f| f.account.chars().count())
        .max()
        .unwrap_or(0)
        .max("Tài khoản".chars().count());
    writeln!(
        out,
        "{:<width$}  {:>6}  {:>12}  {:<10}  Ghi chú",
        "Tài khoản", "RID", "Số lần lộ", "Nhóm chung"
    )?;
    for f in &report.findings {
        writeln!(
            out,
            "{:<width$}  {:>6}  {:>12}  {:<10}  {}",
            f.account,
            f.rid.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
            f.breach_count
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            f.shared_group.as_deref().unwrap_or("-"),
            notes(f.empty_password, f.lm_hash_stored)
        )?;
    }
    if !report.shared_groups.is_empty() {
        writeln!(out)?;
        writeln!(out, "Nhóm tài khoản dùng chung một mật khẩu:")?;
        for g in &report.shared_groups {
            let mut status = Vec::new();
            if let Some(count) = g.breach_count {
                status.push(format!("bị lộ {count} lần"));
            }
            if g.empty_password {
                status.push("mật khẩu rỗng".to_string());
            }
            writeln!(
                out,
                "  {} ({} tài khoản{}): {}",
                g.id,
                g.accounts.len(),
                if status.is_empty() {
                    String::new()
                } else {
                    format!(", {}", status.join(", "))
                },
                g.accounts.join(", ")
            )?;
        }
    }
    Ok(())
}

fn write_csv(out: &mut dyn Write, report: &AuditReport) -> std::io::Result<()> {
    writeln!(
        out,
        "account,rid,breach_count,empty_password,shared_group,lm_hash_stored"
    )?;
    for f in &report.findings {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            csv_field(&f.account),
            f.rid.map(|r| r.to_string()).unwrap_or_default(),
            f.breach_count.map(|c| c.to_string()).unwrap_or_default(),
            f.empty_password,
            f.shared_group.as_deref().unwrap_or_default(),
            f.lm_hash_stored
        )?;
    }
    Ok(())
}
