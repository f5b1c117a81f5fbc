//! `canhgac serve`: logging, the data directory lock, the store, first-admin setup or demo data,
//! and the HTTP server with graceful shutdown.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use canhgac_model::{check_password_strength, Actor, Role, Scope, SystemKind, UnitKind, UserInput};
use canhgac_store::Store;
use tokio::signal::unix::{signal, SignalKind};

use crate::config::{mask_url, Config, LogConfig, LogFormat};
use crate::datadir::{self, DataDirLock, SETUP_FILE};

/// How long in-flight requests may take to finish after SIGTERM/SIGINT. Below systemd's
/// `TimeoutStopSec=30` in `deploy/canhgac.service`, so we finish before being killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// How long closing the store may take once requests are done.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Sets up `tracing` on standard error.
pub fn init_logging(log: &LogConfig) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&log.level.0)
        .with_context(|| format!("log.level: invalid filter {:?}", log.level.0))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let result = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

/// Runs the server until SIGTERM or SIGINT.
pub async fn run(mut config: Config, demo: bool) -> anyhow::Result<()> {
    datadir::prepare(&mut config.storage)?;
    let data_dir = config.storage.data_dir.clone();
    let lock = DataDirLock::acquire(&data_dir)?;
    // Install the handlers before anything is announced, so a signal sent as soon as the
    // listening line appears is handled gracefully rather than killing the process.
    let mut sigterm = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut sigint = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;

    let url = config.storage.effective_database_url();
    tracing::info!(database = %mask_url(&url), data_dir = %data_dir.display(), lock = %lock.path().display(), "opening the store");
    // The store's error names the URL, password masked.
    let store = canhgac_store::open(&url).await?;
    tracing::info!(backend = store.backend(), "store ready");

    if demo {
        load_demo(&store).await?;
    }

    let live = crate::detection::start(&config, store.clone(), &data_dir).await?;
    let mut state = canhgac_web::AppState::new(store.clone(), config.web_settings())
        .with_detection(live.web.clone());
    match crate::malware_scan::UploadScanner::load(&data_dir, store.clone()) {
        Ok(scanner) => state = state.with_file_scanner(std::sync::Arc::new(scanner)),
        Err(error) => tracing::warn!(%error, "the console's file scan is off"),
    }
    if let Some(watch) = crate::watch::start(&config, store.clone(), live.stop.clone())? {
        state = state.with_watch(watch);
    }
    // ---- scans on the server ----
    crate::scan_worker::start(&config, store.clone(), live.stop.clone());
    crate::retrohunt::start(&config, store.clone(), live.web.events(), live.stop.clone());
    // ---- ISP network watch ----
    if let Some((bound, board)) =
        crate::flow_worker::start(&config.flow, store.clone(), live.stop.clone()).await?
    {
        // Tests read the port the system picked from this line.
        println!("flow collector on udp {bound}");
        state = state.with_flow(board);
    }
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let addr = listener.local_addr().context("bound address")?;
    // ---- bulletins and the outbox ----
    let listen_url = format!("http://{}", browsable(addr));
    let mut respond =
        crate::respond::start(&config, store.clone(), live.stop.clone(), &listen_url)?;
    // ---- duty roster and paging ----
    let paging = crate::notify::start(
        &config,
        store.clone(),
        live.stop.clone(),
        &crate::respond::public_url(&config, &listen_url)?,
        &data_dir,
        respond.outbox.clone(),
    )?;
    respond.ack_secret = Some(paging.ack_secret);
    state = state.with_respond(respond);
    state = state.with_reports(crate::incidents::report_desk(&config)?);

    let setup_file = data_dir.join(SETUP_FILE);
    if store.count_users().await? == 0 {
        let secret = state.setup.arm();
        let line = format!(
            "Mở liên kết sau để tạo quản trị viên đầu tiên / Open this link to create the first administrator: http://{}/setup?token={secret}",
            browsable(addr)
        );
        // The link is a credential: stdout and a private file, never the log.
        println!("{line}");
        datadir::write_private(&setup_file, &format!("{line}\n"))?;
        tracing::info!(file = %setup_file.display(), "no user yet: first-admin setup link printed and written");
    } else if setup_file.exists() {
        std::fs::remove_file(&setup_file)
            .with_context(|| format!("cannot remove {}", setup_file.display()))?;
    }

    let app = canhgac_web::router(state);
    println!("listening on http://{addr}");
    tracing::info!(%addr, "listening");

    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        tokio::select! {
            _ = sigterm.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = sigint.recv() => tracing::info!("SIGINT: shutting down"),
        }
        let _ = stop_tx.send(true);
    };
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown);
    let grace = async move {
        let _ = stop_rx.wait_for(|stopped| *stopped).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server.into_future() => result.context("server failed")?,
        () = grace => tracing::warn!(grace = ?SHUTDOWN_GRACE, "requests still running after the grace period; stopping anyway"),
    }
    live.stop.cancel();
    if let Some(listeners) = live.listeners {
        if tokio::time::timeout(CLOSE_GRACE, listeners).await.is_err() {
            tracing::warn!("the syslog listeners did not stop in time");
        }
    }
    // Bounded too: after a grace timeout a stuck request may still hold a connection.
    if tokio::time::timeout(CLOSE_GRACE, store.close())
        .await
        .is_err()
    {
        tracing::warn!("the store did not close in time");
    }
    tracing::info!("stopped");
    drop(lock);
    Ok(())
}

/// The address to put in a link: a wildcard address is not reachable as such.
fn browsable(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => format!("127.0.0.1:{}", v4.port()),
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => format!("[::1]:{}", v6.port()),
        other => other.to_string(),
    }
}

/// Loads the demo province and demo users into an empty store; prints the random passwords once.
async fn load_demo(store: &Arc<dyn Store>) -> anyhow::Result<()> {
    let has_units = !store.all_units(&Scope::All).await?.is_empty();
    if has_units || store.count_users().await? > 0 {
        println!("--demo: the store already holds data; demo data not loaded");
        return Ok(());
    }
    let document = canhgac_inventory::demo_document();
    let parsed = canhgac_inventory::ParsedInventory::from_document("demo", document)
        .map_err(|e| anyhow::anyhow!("the built-in demo inventory is invalid:\n{e}"))?;
    let current = store.export_inventory(&Scope::All).await?;
    let plan = canhgac_inventory::plan(
        &current,
        &parsed,
        canhgac_inventory::PlanOptions { prune: false },
    )
    .map_err(|e| anyhow::anyhow!("the built-in demo inventory does not plan:\n{e}"))?;
    let actor = Actor::system("demo");
    let summary = store.apply_inventory(&actor, &plan).await?;
    add_demo_scan_schedules(store, &actor).await?;

    // The unit officer gets the department with the most systems, so their view is not empty.
    let units = store.all_units(&Scope::All).await?;
    let is_department = |id| {
        units
            .iter()
            .any(|u| u.id == id && u.kind == UnitKind::Department)
    };
    let busiest = store
        .dashboard(&Scope::All)
        .await?
        .per_unit
        .iter()
        .find(|counts| is_department(counts.unit_id))
        .map(|counts| counts.unit_id);
    let department = units
        .iter()
        .find(|u| Some(u.id) == busiest)
        .or_else(|| units.iter().find(|u| u.kind == UnitKind::Department))
        .or_else(|| units.first())
        .context("the demo inventory has no unit")?;
    let accounts = [
        ("demo-admin", "Quản trị viên (demo)", Role::Admin, vec![]),
        (
            "demo-analyst",
            "Chuyên viên SOC (demo)",
            Role::Analyst,
            vec![],
        ),
        (
            "demo-officer",
            "Cán bộ CNTT đơn vị (demo)",
            Role::UnitOfficer,
            vec![department.id],
        ),
        ("demo-viewer", "Người xem (demo)", Role::Viewer, vec![]),
    ];
    println!(
        "Demo: tỉnh mẫu đã nạp / demo province loaded ({} records). Tài khoản demo / demo accounts (mật khẩu chỉ hiện một lần / passwords shown once):",
        summary.created
    );
    for (username, display_name, role, unit_ids) in accounts {
        let password = random_password();
        let hash = canhgac_web::auth::hash_password(&password)
            .map_err(|e| anyhow::anyhow!("cannot hash a password: {e}"))?;
        let input = UserInput {
            username: username.to_string(),
            display_name: display_name.to_string(),
            email: None,
            role,
            unit_ids,
            disabled: false,
        };
        store.create_user(&actor, input, Some(hash)).await?;
        let scope = if role == Role::UnitOfficer {
            format!(" ({})", department.name)
        } else {
            String::new()
        };
        println!("  {username:<14} {:<13} {password}{scope}", role.code());
    }
    Ok(())
}

/// Gives the demo's portals and mail systems their usual scan schedules, so a demo user sees
/// the scanner's schedules without setting any up. They are switched off: the demo's addresses
/// are made up, and a demo server left running must not scan whoever really holds them.
async fn add_demo_scan_schedules(store: &Arc<dyn Store>, actor: &Actor) -> anyhow::Result<()> {
    let systems = store
        .list_systems(
            &Scope::All,
            &Default::default(),
            &canhgac_model::PageRequest::new(1, canhgac_model::PageRequest::MAX_PER_PAGE),
        )
        .await?;
    for system in systems.items {
        if !matches!(system.kind, SystemKind::Portal | SystemKind::Email) {
            continue;
        }
        for mut input in canhgac_web::console::scans::default_schedules(system.kind) {
            input.enabled = false;
            store.create_scan_schedule(actor, system.id, &input).await?;
        }
    }
    Ok(())
}

/// A random password that passes the strength rule: 20 letters and digits (~119 bits).
pub fn random_password() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    loop {
        let candidate = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 20);
        if check_password_strength(&candidate).is_ok() {
            return candidate;
        }
    }
}
