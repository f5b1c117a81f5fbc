//! `canhgac scan`, `canhgac templates check` and `canhgac vulndb`: the scanner from the command
//! line. The scope is the server's inventory (`--server`), or targets the user names with
//! `--allow-target`; a progress bar goes to stderr, the report to stdout.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use canhgac_model::{AssetKind, FindingBatch, FindingSnapshot, FindingSource};
use canhgac_scan::output::{self, Format, Lang};
use canhgac_scan::run::{self, Phase, Profile, ScanOptions, ScanProgress};
use canhgac_scan::target::{self, TargetSpec};

use crate::cli::{ScanArgs, TemplatesCommand, VulndbCommand};
use crate::findings_client::{list_all, post_findings};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `canhgac scan`.
pub fn scan(args: &ScanArgs) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(scan_async(args)) {
        Ok(true) => ExitCode::from(1),
        Ok(false) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lỗi: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The inventory's assets, as the server's API lists them to this token.
async fn inventory_assets(server: &str, token: &str) -> anyhow::Result<Vec<(AssetKind, String)>> {
    let items = list_all(&reqwest::Client::new(), server, token, "/api/v1/assets").await?;
    Ok(items
        .iter()
        .filter_map(|asset| {
            let kind = asset["kind"].as_str()?.parse::<AssetKind>().ok()?;
            Some((kind, asset["value"].as_str()?.to_owned()))
        })
        .collect())
}

async fn scan_async(args: &ScanArgs) -> anyhow::Result<bool> {
    let targets: Vec<TargetSpec> = args
        .targets
        .iter()
        .map(|t| TargetSpec::parse(t))
        .collect::<Result<_, _>>()?;
    let profile = Profile::parse(&args.profile).context("unknown profile")?;
    let format = match args.format.as_str() {
        "json" => Format::Json,
        "csv" => Format::Csv,
        "sarif" => Format::Sarif,
        _ => Format::Table,
    };
    let lang = if args.lang == "en" {
        Lang::En
    } else {
        Lang::Vi
    };
    let server = args
        .server
        .as_deref()
        .map(|s| s.trim_end_matches('/').to_owned());
    let token = args.token.as_deref().unwrap_or_default();

    // Scope: the server's inventory, unless the user takes responsibility for the targets.
    match &server {
        Some(server) => {
            let assets = inventory_assets(server, token).await?;
            if let Err(error) = target::check_scope(&targets, &assets) {
                if !args.allow_target {
                    return Err(error.into());
                }
                eprintln!("chú ý: {error}; vẫn quét vì có --allow-target");
            }
        }
        _ if args.allow_target => {}
        _ => bail!(
            "không có danh mục tài sản để biết phạm vi: dùng --server URL --token TOKEN để quét trong danh mục, hoặc --allow-target nếu bạn được phép quét {}",
            targets.iter().map(TargetSpec::label).collect::<Vec<_>>().join(", ")
        ),
    }

    let mut options = ScanOptions::for_profile(profile);
    if let Some(spec) = &args.ports {
        options.ports = Some(canhgac_scan::ports::parse_ports(spec)?);
    }
    options.discovery.concurrency = args.concurrency.max(1);
    options.discovery.per_host = args.per_host.max(1);
    options.vantage = args.vantage;
    options.discovery.max_rate = args.rate;
    options.identify_services = !args.discovery_only;
    options.mail_domains = args.mail_domains.clone();
    options.mail.dkim_selectors = args.dkim_selectors.clone();
    if let Some(resolver) = &args.resolver {
        options.resolver = Some(
            canhgac_dns::Resolver::from_config(Some(resolver))
                .map_err(|e| anyhow::anyhow!("--resolver: {e}"))?
                .addr(),
        );
    }
    if !args.templates.is_empty() {
        let mut loaded = Vec::new();
        for dir in &args.templates {
            let report = canhgac_nuclei::loader::load_dir(dir);
            if report.templates.is_empty() {
                bail!("{}: không nạp được mẫu nào\n{report}", dir.display());
            }
            eprintln!(
                "{}: nạp {} mẫu, bỏ qua {}",
                dir.display(),
                report.templates.len(),
                report.skipped.len() + report.broken.len()
            );
            loaded.extend(report.templates);
        }
        options.templates = Some(Arc::new(loaded));
    }
    if let Some(path) = &args.vulndb {
        if !path.exists() {
            bail!(
                "{}: không có cơ sở dữ liệu lỗ hổng (canhgac vulndb import)",
                path.display()
            );
        }
        options.vulndb = Some(Arc::new(canhgac_vulndb::VulnDb::open(path).await?));
    }

    let hosts = target::resolve(&targets).await?;
    let progress = Arc::new(ScanProgress::default());
    let drawer = (!args.no_progress).then(|| tokio::spawn(draw_progress(progress.clone())));
    let started = std::time::Instant::now();
    let report = run::run(&hosts, &options, progress.clone()).await;
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(drawer) = drawer {
        drawer.abort();
        let _ = drawer.await;
        finish_progress(&progress);
    }

    eprintln!(
        "{} máy, {} phép thử cổng, {} yêu cầu kiểm tra trong {elapsed:.1} s",
        report.hosts.len(),
        report.attempts,
        report.requests
    );
    {
        let mut stdout = std::io::stdout().lock();
        output::write(&report, format, lang, &mut stdout).context("cannot write the report")?;
        stdout.flush().ok();
    }
    let weaknesses = report
        .issues
        .iter()
        .any(|i| i.severity != canhgac_model::Severity::Informational);

    if let Some(server) = &server {
        let observed = report.finished_at;
        let batch = FindingBatch {
            findings: report
                .issues
                .iter()
                .cloned()
                .map(|i| i.into_draft(observed))
                .collect(),
            snapshot: Some(FindingSnapshot {
                source: FindingSource::Scan,
                categories: report.categories.clone(),
                unit_ids: Vec::new(),
                subject_prefix: None,
                hosts: hosts.iter().map(|h| h.name.clone()).collect(),
            }),
        };
        let outcome = post_findings(&reqwest::Client::new(), server, token, &batch).await?;
        eprintln!(
            "máy chủ ghi nhận: {} mới, {} cập nhật, {} tái diễn, {} đã khắc phục",
            outcome.created, outcome.updated, outcome.reopened, outcome.fixed
        );
    }
    Ok(weaknesses)
}

/// Draws the bar on a terminal; elsewhere prints each phase once, so logs stay readable.
async fn draw_progress(progress: Arc<ScanProgress>) {
    let terminal = std::io::stderr().is_terminal();
    let mut last_phase = None;
    loop {
        let phase = progress.phase();
        if terminal {
            let fraction = progress.fraction();
            let filled = (fraction * 30.0).round() as usize;
            eprint!(
                "\r[{}{}] {:>3}% {:<20} cổng mở {:<5} điểm yếu {:<5}",
                "#".repeat(filled),
                " ".repeat(30 - filled.min(30)),
                (fraction * 100.0).round(),
                phase.label_vi(),
                progress.discovery.open.load(Ordering::Relaxed),
                progress.issues.load(Ordering::Relaxed)
            );
        } else if last_phase != Some(phase) {
            eprintln!("tiến độ: {}", phase.label_vi());
        }
        last_phase = Some(phase);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn finish_progress(progress: &ScanProgress) {
    let discovery = &progress.discovery;
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    eprintln!(
        "tiến độ: {} — {}/{} phép thử cổng, {} cổng mở, {} điểm yếu",
        Phase::Done.label_vi(),
        discovery.done.load(Ordering::Relaxed),
        discovery.total.load(Ordering::Relaxed),
        discovery.open.load(Ordering::Relaxed),
        progress.issues.load(Ordering::Relaxed)
    );
}

/// `canhgac templates check DIR`: exit 0 when at least one template loads.
pub fn templates(command: &TemplatesCommand) -> ExitCode {
    match command {
        TemplatesCommand::Check { dir } => {
            if !dir.is_dir() {
                eprintln!("lỗi: {} không phải thư mục", dir.display());
                return ExitCode::from(2);
            }
            let report = canhgac_nuclei::loader::load_dir(dir);
            println!("{report}");
            if report.templates.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// `canhgac vulndb ...`.
pub fn vulndb(command: &VulndbCommand) -> ExitCode {
    let result = runtime().and_then(|runtime| runtime.block_on(vulndb_async(command)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lỗi: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn open(db: &Path) -> anyhow::Result<canhgac_vulndb::VulnDb> {
    canhgac_vulndb::VulnDb::open(db)
        .await
        .with_context(|| format!("cannot open {}", db.display()))
}

async fn vulndb_async(command: &VulndbCommand) -> anyhow::Result<()> {
    match command {
        VulndbCommand::Import { source, files, db } => {
            let source: canhgac_vulndb::Source = source
                .parse()
                .map_err(|_| anyhow::anyhow!("unknown source {source}"))?;
            let db = open(db).await?;
            for file in files {
                let report = db.import(source, file).await?;
                println!(
                    "{}: {} bản ghi, {} ghi mới/cập nhật, {} bỏ qua ({:.2} s)",
                    file.display(),
                    report.records,
                    report.written,
                    report.skipped,
                    report.duration.as_secs_f64()
                );
            }
            db.close().await;
        }
        VulndbCommand::Update { url, db } => {
            let db = open(db).await?;
            let report = db.update(url).await?;
            for imported in &report.imported {
                println!("{}: {} bản ghi", imported.file, imported.records);
            }
            for unchanged in &report.unchanged {
                println!("{unchanged}: không đổi");
            }
            db.close().await;
        }
        VulndbCommand::Stats { db } => {
            let db = open(db).await?;
            let stats = db.stats().await?;
            println!("{}", serde_json::to_string_pretty(&stats)?);
            db.close().await;
        }
        VulndbCommand::Match {
            product,
            product_version: version,
            vendor,
            db,
        } => {
            let db = open(db).await?;
            let (cpe, name) = if product.starts_with("cpe:") {
                (Some(product.clone()), String::new())
            } else {
                (None, product.clone())
            };
            let product = canhgac_vulndb::ProductRef {
                vendor: vendor.clone(),
                product: name,
                version: version.clone(),
                cpe,
            };
            for found in db.matches(&product).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    found.cve,
                    found
                        .cvss
                        .map(|c| format!("{c:.1}"))
                        .unwrap_or_else(|| "-".into()),
                    if found.known_exploited { "KEV" } else { "" },
                    found.summary.chars().take(120).collect::<String>()
                );
            }
            db.close().await;
        }
    }
    Ok(())
}
