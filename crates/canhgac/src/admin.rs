//! Administration commands run on the host: inventory import/export, users, tokens, backup and
//! restore. They act as `Actor::system("cli")`: whoever can run them can read the data directory.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use canhgac_model::inventory::{Change, InventoryPlan};
use canhgac_model::{check_password_strength, Actor, PageRequest, Role, Scope, UserInput};
use canhgac_store::Store;

use crate::cli::ExportFormat;
use crate::config::Config;
use crate::datadir::{self, DataDirLock};
use crate::InputError;

fn cli_actor() -> Actor {
    Actor::system("cli")
}

/// `inventory import FILE... [--prune] [--dry-run]`
pub async fn inventory_import(
    config: &Config,
    files: &[PathBuf],
    prune: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    // Parse every file before touching the store; every file's errors are reported together.
    let mut contents = Vec::new();
    for path in files {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        contents.push((path.display().to_string(), bytes));
    }
    let parsed = canhgac_inventory::parse_files(
        contents
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
    )
    .map_err(|e| report_errors(e.iter()))?;

    let mut storage = config.storage.clone();
    let store = datadir::open_store(&mut storage, !dry_run).await?;
    let current = store.export_inventory(&Scope::All).await?;
    let plan = canhgac_inventory::plan(&current, &parsed, canhgac_inventory::PlanOptions { prune })
        .map_err(|e| report_errors(e.iter()))?;

    let summary = plan.summary();
    if plan.is_empty() {
        println!("no changes: the store already matches {}", parsed.file);
        store.close().await;
        return Ok(());
    }
    for line in plan_lines(&plan) {
        println!("{line}");
    }
    println!(
        "{} to create, {} to update, {} to delete",
        summary.created, summary.updated, summary.deleted
    );
    if dry_run {
        println!("dry run: nothing written");
    } else {
        let applied = store.apply_inventory(&cli_actor(), &plan).await?;
        println!(
            "applied: {} created, {} updated, {} deleted",
            applied.created, applied.updated, applied.deleted
        );
    }
    store.close().await;
    Ok(())
}

/// Prints inventory errors one per line (`file:line: field: message`) and turns them into an
/// exit code 2.
fn report_errors<'a>(
    errors: impl Iterator<Item = &'a canhgac_inventory::InventoryError>,
) -> anyhow::Error {
    let mut count = 0;
    for error in errors {
        eprintln!("{error}");
        count += 1;
    }
    eprintln!("{count} error(s); nothing was imported");
    InputError(String::new()).into()
}

/// One line per change: `create unit so-tttt`, `update system cong-thong-tin`, ...
fn plan_lines(plan: &InventoryPlan) -> Vec<String> {
    fn lines<T>(
        out: &mut Vec<String>,
        kind: &str,
        changes: &[Change<T>],
        key: impl Fn(&T) -> String,
    ) {
        for change in changes {
            let record = match change {
                Change::Create { after } | Change::Update { after, .. } => after,
                Change::Delete { before } => before,
            };
            out.push(format!("  {:<6} {kind:<9} {}", change.op(), key(record)));
        }
    }
    let mut out = Vec::new();
    lines(&mut out, "unit", &plan.units, |u| {
        format!("{} ({})", u.code, u.name)
    });
    lines(&mut out, "system", &plan.systems, |s| {
        format!("{} ({})", s.code, s.name)
    });
    lines(&mut out, "asset", &plan.assets, |a| {
        format!("{} {} {}", a.system, a.kind, a.value)
    });
    lines(&mut out, "contact", &plan.contacts, |c| {
        format!("{}: {}", c.unit, c.name)
    });
    lines(&mut out, "authority", &plan.authorities, |a| {
        match a.valid_from {
            Some(from) => format!("{} from {from} ({})", a.code, a.name),
            None => format!("{} ({})", a.code, a.name),
        }
    });
    lines(&mut out, "monitor", &plan.monitors, |m| {
        format!("{} {} {}: {}", m.system, m.asset_kind, m.asset, m.name)
    });
    out
}

/// `inventory export [--format yaml|csv] [-o PATH]`
pub async fn inventory_export(
    config: &Config,
    format: ExportFormat,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let csv_dir = match (format, output) {
        (ExportFormat::Csv, None) => {
            return Err(InputError(
                "csv export writes one file per kind: give a directory with -o DIR".into(),
            )
            .into())
        }
        (ExportFormat::Csv, Some(dir)) => Some(dir),
        (ExportFormat::Yaml, _) => None,
    };
    let mut storage = config.storage.clone();
    let store = datadir::open_store(&mut storage, false).await?;
    let document = store.export_inventory(&Scope::All).await?;
    store
        .record_event(&cli_actor(), "export", "inventory", None)
        .await?;
    store.close().await;
    if let Some(dir) = csv_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (name, content) in canhgac_inventory::to_csv(&document) {
            let path = dir.join(name);
            std::fs::write(&path, content)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    } else if let Some(path) = output {
        std::fs::write(path, canhgac_inventory::to_yaml(&document))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    } else {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(canhgac_inventory::to_yaml(&document).as_bytes())?;
        stdout.flush()?;
    }
    Ok(())
}

/// Reads a new password: the first line of stdin with `--password-stdin`, else a prompt without
/// echo (twice) on a terminal. Checks its strength.
fn read_new_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Mật khẩu / Password: ")?;
        let second = rpassword::prompt_password("Nhập lại / Repeat: ")?;
        if first != second {
            return Err(InputError("the passwords differ".into()).into());
        }
        first
    } else {
        return Err(InputError(
            "standard input is not a terminal: pass --password-stdin and pipe the password".into(),
        )
        .into());
    };
    check_password_strength(&password).map_err(|e| InputError(e.to_string()))?;
    Ok(password)
}

fn hash(password: &str) -> anyhow::Result<String> {
    canhgac_web::auth::hash_password(password)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

async fn find_user(store: &dyn Store, username: &str) -> anyhow::Result<canhgac_model::User> {
    let name = username.trim().to_lowercase();
    store
        .user_credentials(&name)
        .await?
        .map(|c| c.user)
        .ok_or_else(|| InputError(format!("no user named {name:?}")).into())
}

/// `user add`
pub async fn user_add(
    config: &Config,
    username: &str,
    role: &str,
    unit_codes: &[String],
    display_name: Option<String>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let role: Role = role
        .parse()
        .map_err(|e| InputError(format!("--role: {e}")))?;
    let password = read_new_password(password_stdin)?;
    let mut storage = config.storage.clone();
    let store = datadir::open_store(&mut storage, true).await?;
    let units = store.all_units(&Scope::All).await?;
    let mut unit_ids = Vec::new();
    for code in unit_codes {
        let unit = units
            .iter()
            .find(|u| u.code == code.trim())
            .ok_or_else(|| InputError(format!("--unit: no unit with code {code:?}")))?;
        unit_ids.push(unit.id);
    }
    let mut input = UserInput {
        username: username.to_string(),
        display_name: display_name.unwrap_or_default(),
        email: None,
        role,
        unit_ids,
        disabled: false,
    };
    input.validate().map_err(|e| InputError(e.to_string()))?;
    let user = store
        .create_user(&cli_actor(), input, Some(hash(&password)?))
        .await?;
    store.close().await;
    println!(
        "created user {} ({}), id {}",
        user.username, user.role, user.id
    );
    Ok(())
}

/// `user set-password`
pub async fn user_set_password(
    config: &Config,
    username: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let mut storage = config.storage.clone();
    let store = datadir::open_store(&mut storage, false).await?;
    let user = find_user(store.as_ref(), username).await?;
    let password = read_new_password(password_stdin)?;
    store
        .set_password(&cli_actor(), user.id, hash(&password)?)
        .await?;
    store.close().await;
    println!(
        "password of {} changed; their sessions were ended",
        user.username
    );
    Ok(())
}

/// `user list`
pub async fn user_list(config: &Config) -> anyhow::Result<()> {
    let mut storage = config.storage.clone();
    let store = datadir::open_store(&mut storage, false).await?;
    let units = store.all_units(&Scope::All).await?;
    let mut page = PageRequest::new(1, PageRequest::MAX_PER_PAGE);
    println!(
        "{:<6} {:<24} {:<13} {:<8} units",
        "id", "username", "role", "status"
    );
    loop {
        let users = store.list_users(&page).await?;
        for user in &users.items {
            let codes: Vec<&str> = user
                .unit_ids
                .iter()
                .map(|id| {
                    units
                        .iter()
                        .find(|u| u.id == *id)
                        .map_or("?", |u| u.code.as_str())
                })
                .collect();
            println!(
                "{:<6} {:<24} {:<13} {:<8} {}",
                user.id,
                user.username,
                user.role.code(),
                if user.disabled { "disabled" } else { "active" },
                codes.join(",")
            );
        }
        if u64::from(page.page) >= users.pages() {
            break;
        }
        page.page += 1;
    }
    store.close().await;
    Ok(())
}

/// `token create --user U --name N`
pub async fn token_create(config: &Config, username: &str, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(InputError("--name: is required".into()).into());
    }
    let mut storage = config.storage.clone();
    let store = datadir::open_store(&mut storage, false).await?;
    let user = find_user(store.as_ref(), username).await?;
    let new = canhgac_web::auth::new_api_token();
    let token = store
        .create_api_token(&cli_actor(), user.id, name, &new.prefix, &new.hash)
        .await?;
    let secret = new.secret;
    store.close().await;
    eprintln!(
        "token {} ({:?}) for {}: the secret below is shown once, store it now",
        token.id, token.name, user.username
    );
    println!("{secret}");
    Ok(())
}

fn timestamp(config: &Config) -> String {
    jiff::Timestamp::now()
        .to_zoned(config.locale.time_zone.time_zone())
        .strftime("%Y%m%d-%H%M%S")
        .to_string()
}

/// `backup DIR`
pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<()> {
    let mut storage = config.storage.clone();
    let store = datadir::open_store(&mut storage, false).await?;
    if store.backend() != "sqlite" {
        bail!(
            "backup copies the embedded SQLite store; for PostgreSQL use pg_dump (see deploy/README.md)"
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(format!("canhgac-{}.db", timestamp(config)));
    if path.exists() {
        bail!("{} exists already; try again in a second", path.display());
    }
    store
        .backup_to(&path)
        .await
        .with_context(|| format!("backup to {} failed", path.display()))?;
    store.close().await;
    println!("{}", path.display());
    Ok(())
}

/// `restore FILE [--force]`
pub async fn restore(config: &Config, file: &Path, force: bool) -> anyhow::Result<()> {
    let mut storage = config.storage.clone();
    let Some(db_path) = storage.sqlite_path() else {
        bail!("restore replaces the embedded SQLite store; for PostgreSQL use pg_restore");
    };
    check_backup(file).await?;
    datadir::prepare(&mut storage)?;
    // Holding the lock keeps a server from starting while the files are swapped.
    let _lock =
        DataDirLock::acquire(&storage.data_dir).context("restore needs the server stopped")?;
    let db_path = storage.sqlite_path().unwrap_or(db_path);

    let exists = db_path.exists();
    if exists && !force {
        return Err(InputError(format!(
            "{} exists; pass --force to replace it (it is kept as {}.before-restore-<time>)",
            db_path.display(),
            db_path.display()
        ))
        .into());
    }

    let dir = db_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let file_name = db_path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "canhgac.db".into());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    // Copy next to the target first, so the swap below is a rename and cannot leave half a file.
    let incoming = dir.join(format!("{file_name}.restoring"));
    std::fs::copy(file, &incoming)
        .with_context(|| format!("cannot copy {} to {}", file.display(), incoming.display()))?;
    std::fs::File::open(&incoming)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", incoming.display()))?;

    let sidecar = |suffix: &str| dir.join(format!("{file_name}{suffix}"));
    if exists {
        let aside = dir.join(format!("{file_name}.before-restore-{}", timestamp(config)));
        std::fs::rename(&db_path, &aside)
            .with_context(|| format!("cannot move {} aside", db_path.display()))?;
        // A WAL may hold committed pages not yet in the main file: keep it with its database
        // (SQLite finds it by name) so the set-aside copy stays complete.
        let wal = sidecar("-wal");
        if wal.exists() {
            let aside_wal = PathBuf::from(format!("{}-wal", aside.display()));
            std::fs::rename(&wal, &aside_wal)
                .with_context(|| format!("cannot move {} aside", wal.display()))?;
        }
        println!("previous database kept as {}", aside.display());
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        let stale = sidecar(suffix);
        if stale.exists() {
            std::fs::remove_file(&stale)
                .with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    std::fs::rename(&incoming, &db_path)
        .with_context(|| format!("cannot move the backup into {}", db_path.display()))?;
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))?;
    println!("restored {} into {}", file.display(), db_path.display());
    Ok(())
}

/// Checks `file` is a canhgac SQLite database: SQLite's header, then a readable
/// `schema_migrations` table with at least one migration. Opened read-only and immutable, so
/// the check writes nothing (no WAL or shared-memory files) next to the backup.
async fn check_backup(file: &Path) -> anyhow::Result<()> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};

    let not_ours = |why: String| -> anyhow::Error {
        InputError(format!("{} is not a canhgac backup: {why}", file.display())).into()
    };
    let mut header = [0u8; 16];
    {
        use std::io::Read;
        let mut f =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        f.read_exact(&mut header)
            .map_err(|_| not_ours("too short for an SQLite database".into()))?;
    }
    if &header != b"SQLite format 3\0" {
        return Err(not_ours("not an SQLite database".into()));
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(|e| not_ours(e.to_string()))?;
    let migrations: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
    match migrations {
        Ok(n) if n > 0 => Ok(()),
        Ok(_) => Err(not_ours("no migration applied".into())),
        Err(e) => Err(not_ours(format!("no schema_migrations table ({e})"))),
    }
}
