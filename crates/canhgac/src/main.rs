//! `canhgac`: the binary. It parses the command line and the configuration, then wires the
//! store, inventory and web crates together; it holds no business logic.
//!
//! - `serve` runs the console and API ([`serve`]);
//! - `inventory`, `user`, `token`, `backup`, `restore` are administration commands run on the host
//!   ([`admin`]);
//! - `config check` / `config example` help write `canhgac.toml` ([`config`]);
//! - `probe` runs monitors away from the server and reports to it ([`watch`]);
//! - `hunt` and `passwords` work offline on local files ([`hunt_cli`], [`passwords_cli`]);
//! - `yara` and `sweep` look for malware in files; `yara --watch` reports a web root's findings
//!   to the server ([`malware_cli`]).
//!
//! Exit codes: 0 success, 1 failure, 2 bad input (configuration, inventory files, arguments).

mod admin;
mod cli;
mod config;
mod datadir;
mod detection;
mod events_cli;
mod findings_client;
mod flow_worker;
mod hunt_cli;
mod incidents;
mod malware_cli;
mod malware_scan;
mod notify;
mod passwords_cli;
mod respond;
mod retrohunt;
mod scan_cli;
mod scan_worker;
mod serve;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, ConfigCommand};
use config::{CliOverrides, ConfigError};

/// Bad input the user must fix; exits with code 2 (the errors were already printed).
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Scan(_) | Command::Serve(_)) {
        // Scans keep thousands of connection attempts in flight, one descriptor each.
        canhgac_scan::discovery::raise_open_file_limit();
    }
    // Hunting is offline: no configuration, no store; its exit code says whether it found hits.
    if let Command::Hunt(args) = &cli.command {
        return hunt_cli::run(args);
    }
    // So are the password checks: they read a local file and never touch the store.
    if let Command::Passwords(command) = &cli.command {
        return passwords_cli::run(command);
    }
    // Malware sweeps too (the watch mode talks to the server only through its API).
    match &cli.command {
        Command::Yara(args) => return malware_cli::yara(args),
        Command::Sweep(args) => return malware_cli::sweep(args),
        // Scans, templates and the vulnerability database need no store either: the scope and
        // the findings go through the server's API when --server is given.
        Command::Scan(args) => return scan_cli::scan(args),
        Command::Templates(command) => return scan_cli::templates(command),
        Command::Vulndb(command) => return scan_cli::vulndb(command),
        _ => {}
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if let Some(input) = error.downcast_ref::<InputError>() {
                if !input.0.is_empty() {
                    eprintln!("error: {input}");
                }
                return ExitCode::from(2);
            }
            if let Some(config) = error.downcast_ref::<ConfigError>() {
                eprintln!("error: configuration: {config}");
                return ExitCode::from(2);
            }
            // The store refusing a value (duplicate, invalid field, unknown record) is bad input
            // too, not a failure of canhgac.
            if let Some(
                canhgac_store::StoreError::Conflict { .. }
                | canhgac_store::StoreError::Invalid(_)
                | canhgac_store::StoreError::NotFound { .. }
                | canhgac_store::StoreError::OutOfScope(_),
            ) = error.downcast_ref::<canhgac_store::StoreError>()
            {
                eprintln!("error: {error:#}");
                return ExitCode::from(2);
            }
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let explicit = cli.config.as_deref();
    // Every command that touches the store takes --data/--database; serve also --listen.
    let (store, listen) = match &cli.command {
        Command::Config(ConfigCommand::Example) => {
            print!("{}", config::EXAMPLE);
            return Ok(());
        }
        Command::Serve(args) => (&args.store, args.listen),
        Command::Inventory(cli::InventoryCommand::Import { store, .. })
        | Command::Inventory(cli::InventoryCommand::Export { store, .. })
        | Command::User(cli::UserCommand::Add { store, .. })
        | Command::User(cli::UserCommand::SetPassword { store, .. })
        | Command::User(cli::UserCommand::List { store })
        | Command::Token(cli::TokenCommand::Create { store, .. })
        | Command::Backup { store, .. }
        | Command::Restore { store, .. }
        | Command::Config(ConfigCommand::Check { store }) => (store, None),
        Command::Events(cli::EventsCommand::Import {
            files,
            format,
            server,
            token,
        }) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let format = format.map(cli::LogFormatArg::file_format);
            return runtime.block_on(events_cli::import(files, format, server, token));
        }
        Command::Events(cli::EventsCommand::Convert { files, format }) => {
            let format = format.map(cli::LogFormatArg::file_format);
            return events_cli::convert(files, format);
        }
        Command::Hunt(_)
        | Command::Passwords(_)
        | Command::Yara(_)
        | Command::Sweep(_)
        | Command::Scan(_)
        | Command::Templates(_)
        | Command::Vulndb(_) => return Ok(()),
        Command::Probe(args) => {
            let loaded = config::load(explicit, &CliOverrides::default())?;
            serve::init_logging(&loaded.config.log)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            return runtime.block_on(watch::run_probe(
                &loaded.config,
                &args.server,
                args.token.clone(),
                &args.name,
            ));
        }
    };
    let overrides = CliOverrides {
        listen,
        data_dir: store.data.clone(),
        database_url: store.database.clone(),
    };
    let loaded = config::load(explicit, &overrides)?;
    for name in &loaded.ignored_env {
        eprintln!(
            "warning: ignoring {name}: not a canhgac setting (CANHGAC_LISTEN, CANHGAC_DATA, CANHGAC_DATABASE_URL, CANHGAC_LOG or CANHGAC_<SECTION>__<KEY>)"
        );
    }

    if let Command::Config(ConfigCommand::Check { .. }) = &cli.command {
        match &loaded.file {
            Some(file) => println!("# configuration OK: {}", file.display()),
            None => println!("# configuration OK: no file, built-in defaults"),
        }
        print!("{}", loaded.config.to_masked_toml());
        return Ok(());
    }

    serve::init_logging(&loaded.config.log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let config = loaded.config;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(config, args.demo).await,
            Command::Inventory(cli::InventoryCommand::Import {
                files,
                prune,
                dry_run,
                ..
            }) => admin::inventory_import(&config, &files, prune, dry_run).await,
            Command::Inventory(cli::InventoryCommand::Export { format, output, .. }) => {
                admin::inventory_export(&config, format, output.as_deref()).await
            }
            Command::User(cli::UserCommand::Add {
                username,
                role,
                units,
                display_name,
                password_stdin,
                ..
            }) => {
                admin::user_add(
                    &config,
                    &username,
                    &role,
                    &units,
                    display_name,
                    password_stdin,
                )
                .await
            }
            Command::User(cli::UserCommand::SetPassword {
                username,
                password_stdin,
                ..
            }) => admin::user_set_password(&config, &username, password_stdin).await,
            Command::User(cli::UserCommand::List { .. }) => admin::user_list(&config).await,
            Command::Token(cli::TokenCommand::Create { user, name, .. }) => {
                admin::token_create(&config, &user, &name).await
            }
            Command::Backup { dir, .. } => admin::backup(&config, &dir).await,
            Command::Restore { file, force, .. } => admin::restore(&config, &file, force).await,
            Command::Config(_)
            | Command::Events(_)
            | Command::Hunt(_)
            | Command::Passwords(_)
            | Command::Yara(_)
            | Command::Sweep(_)
            | Command::Scan(_)
            | Command::Templates(_)
            | Command::Vulndb(_)
            | Command::Probe(_) => Ok(()),
        }
    })
}
