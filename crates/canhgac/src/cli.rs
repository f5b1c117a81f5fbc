//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// canhgac: security operations for provincial governments.
#[derive(Debug, Parser)]
#[command(name = "canhgac", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file [default: ./canhgac.toml, else /etc/canhgac/canhgac.toml, if present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web console and API.
    Serve(ServeArgs),
    /// Import or export the inventory (units, systems, assets, contacts, authorities).
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write a consistent copy of the SQLite database into DIR, while the server runs.
    Backup {
        /// Directory for the backup file (created if missing).
        dir: PathBuf,
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Replace the SQLite database with a backup (the server must be stopped).
    Restore {
        /// A file written by `canhgac backup`.
        file: PathBuf,
        /// Replace an existing database (it is kept as canhgac.db.before-restore-<time>).
        #[arg(long)]
        force: bool,
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Check or show the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Send log files to a running server.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Hunt through log files offline with Sigma rules (EVTX, JSON lines, syslog, access logs).
    /// Exit code 0: no hits; 1: hits; 2: bad input.
    Hunt(HuntArgs),
    /// Breached and shared passwords, offline: import the Pwned Passwords list, check a password
    /// or hashes, audit an Active Directory NTLM dump.
    #[command(subcommand)]
    Passwords(PasswordsCommand),
    /// Run the monitors assigned to this probe (e.g. one outside the government network) and
    /// report their results to the server, until stopped.
    Probe(ProbeArgs),
    /// Scan files and directories with YARA rules (our web-shell rules built in), or watch a
    /// web root and report to the server. Exit code 0: clean; 1: hits; 2: the run could not
    /// start (bad flag, no rule loaded, a path that does not exist).
    Yara(YaraArgs),
    /// Compare the MD5/SHA-1/SHA-256 of files with known-bad hashes (a list file, or the
    /// server's indicators). Exit code 0: clean; 1: hits; 2: the run could not start.
    Sweep(SweepArgs),
    /// Scan targets for weaknesses: open ports and risky services, TLS, web portal and mail
    /// checks, nuclei-format templates, known CVEs. Exit code 0: no weakness; 1: weaknesses
    /// found; 2: the scan could not run (bad target, out of scope, bad flag).
    Scan(ScanArgs),
    /// Nuclei-format templates.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// The offline vulnerability database (CISA KEV, NVD CVE 2.0, OSV): a file you can carry
    /// into an air-gapped network.
    #[command(subcommand)]
    Vulndb(VulndbCommand),
}

/// `scan`
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Targets: addresses, CIDR networks, host names, URLs, host:port.
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// What to check: quick (common ports), full (every port, every check), portal (web),
    /// mail (mail ports and the domain's mail posture).
    #[arg(long, default_value = "quick", value_parser = ["quick", "full", "portal", "mail"])]
    pub profile: String,
    /// Ports instead of the profile's: 80,443 1-1024 - (all) quick top1000 all.
    #[arg(long, value_name = "SPEC")]
    pub ports: Option<String>,
    /// Run the nuclei-format templates of this directory too (repeatable).
    #[arg(long, value_name = "DIR")]
    pub templates: Vec<std::path::PathBuf>,
    /// Scan targets outside the inventory (you must be allowed to scan them).
    #[arg(long)]
    pub allow_target: bool,
    /// Output format; json is JSON lines, one weakness per line.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv", "sarif"])]
    pub format: String,
    /// Language of titles and advice.
    #[arg(long, default_value = "vi", value_parser = ["vi", "en"])]
    pub lang: String,
    /// Mail domains whose posture to check (mail and full profiles; the targets' names by
    /// default with the mail profile).
    #[arg(long = "mail-domain", value_name = "DOMAIN")]
    pub mail_domains: Vec<String>,
    /// DKIM selectors to check on the mail domains.
    #[arg(long = "dkim-selector", value_name = "SELECTOR")]
    pub dkim_selectors: Vec<String>,
    /// DNS resolver for the mail posture and dns templates, ip or ip:port.
    #[arg(long, value_name = "ADDR")]
    pub resolver: Option<String>,
    /// Match products and versions against this vulnerability database (canhgac vulndb).
    #[arg(long, value_name = "FILE")]
    pub vulndb: Option<std::path::PathBuf>,
    /// Where this machine stands: `internet` (outside the targets' network: risky services such
    /// as RDP or databases are urgent findings) or `internal` (inside it: judged apart, lower).
    #[arg(long, value_name = "WHERE", default_value = "internet", value_parser = parse_vantage)]
    pub vantage: canhgac_scan::exposure::Vantage,
    /// Connection attempts per second overall (no limit by default).
    #[arg(long, value_name = "N")]
    pub rate: Option<u32>,
    /// Connection attempts in flight overall (at most what the open-file limit allows).
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub concurrency: usize,
    /// Connection attempts in flight against one host.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub per_host: usize,
    /// Only list open ports: no service identification, no checks (like a connect scan
    /// without version detection).
    #[arg(long)]
    pub discovery_only: bool,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// The server whose inventory is the scope, and which records the findings (open ones
    /// that this run no longer sees become fixed).
    #[arg(long, value_name = "URL", requires = "token")]
    pub server: Option<String>,
    /// With --server: an API token (canhgac token create).
    #[arg(
        long,
        env = "CANHGAC_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// `templates ...`
#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Load a directory of templates and say how many load and why the others do not.
    Check {
        /// The directory (searched recursively).
        dir: std::path::PathBuf,
    },
}

/// `vulndb ...`
#[derive(Debug, Subcommand)]
pub enum VulndbCommand {
    /// Import files: KEV JSON, NVD CVE 2.0 JSON (.json or .json.gz), OSV records (JSON, a
    /// directory or a .zip). All or nothing per file.
    Import {
        /// Which kind of file.
        #[arg(long, value_parser = ["kev", "nvd", "osv"])]
        source: String,
        /// The files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// The database file.
        #[arg(long, value_name = "FILE", default_value = "vulndb.sqlite")]
        db: std::path::PathBuf,
    },
    /// Fetch what a mirror's index.json names and import what changed.
    Update {
        /// The mirror's base URL.
        url: String,
        /// The database file.
        #[arg(long, value_name = "FILE", default_value = "vulndb.sqlite")]
        db: std::path::PathBuf,
    },
    /// Counts and the last imports.
    Stats {
        /// The database file.
        #[arg(long, value_name = "FILE", default_value = "vulndb.sqlite")]
        db: std::path::PathBuf,
    },
    /// The known vulnerabilities of a product version, known-exploited first.
    Match {
        /// The product (e.g. "http_server", "exchange_server"), or a CPE 2.3 name.
        product: String,
        /// The product's version.
        #[arg(value_name = "VERSION")]
        product_version: String,
        /// The vendor, when the product name is ambiguous.
        #[arg(long)]
        vendor: Option<String>,
        /// The database file.
        #[arg(long, value_name = "FILE", default_value = "vulndb.sqlite")]
        db: std::path::PathBuf,
    },
}

/// Where a file sweep walks, shared by `yara` and `sweep`.
#[derive(Debug, Clone, Args)]
pub struct WalkArgs {
    /// Skip files larger than this many bytes (they are reported).
    #[arg(long, value_name = "BYTES", default_value_t = canhgac_malware::walk::DEFAULT_MAX_SIZE)]
    pub max_size: u64,
    /// Skip paths matching this glob (repeatable); without `/` it matches a file or directory
    /// name (e.g. `node_modules`, `*.log`), with `/` the whole path.
    #[arg(long = "skip", value_name = "GLOB")]
    pub skip: Vec<String>,
    /// Worker threads (default: every core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HuntFormat::Table)]
    pub format: HuntFormat,
    /// No progress line on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `yara`
#[derive(Debug, Args)]
pub struct YaraArgs {
    /// Files or directories to scan (directories recursively).
    #[arg(
        value_name = "PATH",
        required_unless_present = "watch",
        conflicts_with = "watch"
    )]
    pub paths: Vec<std::path::PathBuf>,
    /// Directories (or files) of YARA rules, .yar/.yara (repeatable); added to the built-in
    /// web-shell rules.
    #[arg(long = "rules", short = 'r', value_name = "DIR")]
    pub rules: Vec<std::path::PathBuf>,
    /// Leave out the built-in web-shell rules.
    #[arg(long)]
    pub no_builtin: bool,
    /// Never memory-map files (read every file into memory).
    #[arg(long)]
    pub no_mmap: bool,
    /// Seconds a file's scan may take before it is skipped and reported.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
    /// Scan DIR every interval and post the findings to the server, until stopped.
    #[arg(long, value_name = "DIR", requires_all = ["server", "token"])]
    pub watch: Option<std::path::PathBuf>,
    /// With --watch: the server, e.g. https://canhgac.example.gov.vn.
    #[arg(long, env = "CANHGAC_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// With --watch: an API token (canhgac token create).
    #[arg(
        long,
        env = "CANHGAC_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// With --watch: time between runs, e.g. 30m, 1h, 1d.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub interval: String,
    /// With --watch: the host name reported [default: this machine's name].
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// With --watch: one run, then exit (for cron and tests).
    #[arg(long, requires = "watch")]
    pub once: bool,
    /// Walking and output.
    #[command(flatten)]
    pub walk: WalkArgs,
}

/// `sweep`
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("list").required(true).args(["hashes", "server"]))]
pub struct SweepArgs {
    /// Files or directories to sweep (directories recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<std::path::PathBuf>,
    /// A hash list: one MD5, SHA-1 or SHA-256 per line, optionally followed by a label after a
    /// comma or spaces; `#` starts a comment.
    #[arg(long, value_name = "FILE")]
    pub hashes: Option<std::path::PathBuf>,
    /// Take the md5/sha1/sha256 indicators of this server instead.
    #[arg(long, value_name = "URL", requires = "token")]
    pub server: Option<String>,
    /// With --server: an API token (canhgac token create).
    #[arg(
        long,
        env = "CANHGAC_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Walking and output.
    #[command(flatten)]
    pub walk: WalkArgs,
}

/// `probe`
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The server, e.g. https://canhgac.example.gov.vn.
    #[arg(long, env = "CANHGAC_SERVER", value_name = "URL")]
    pub server: String,
    /// An API token (canhgac token create) of a user who sees the probe's monitors.
    #[arg(
        long,
        env = "CANHGAC_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: String,
    /// The probe's name, as monitors list it in their probes (e.g. ngoai-mang).
    #[arg(long, env = "CANHGAC_PROBE_NAME", value_name = "NAME")]
    pub name: String,
}

/// `events ...`
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Read log files and send their events to a running server (POST /api/v1/events).
    Import {
        /// Files: .evtx, JSON lines, syslog or Apache/Nginx access logs (sniffed).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Force a format instead of sniffing it.
        #[arg(long, value_enum)]
        format: Option<LogFormatArg>,
        /// The server, e.g. http://127.0.0.1:8080.
        #[arg(long, env = "CANHGAC_SERVER", value_name = "URL")]
        server: String,
        /// An API token (canhgac token create).
        #[arg(
            long,
            env = "CANHGAC_TOKEN",
            value_name = "TOKEN",
            hide_env_values = true
        )]
        token: String,
    },
    /// Read log files and print their events as JSON lines (what `import` sends).
    Convert {
        /// Files: .evtx, JSON lines, syslog or Apache/Nginx access logs (sniffed).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Force a format instead of sniffing it.
        #[arg(long, value_enum)]
        format: Option<LogFormatArg>,
    },
}

/// Log file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    /// Windows event log.
    Evtx,
    /// One JSON object per line.
    Json,
    /// Syslog lines.
    Syslog,
    /// Apache/Nginx access log.
    AccessLog,
}

impl LogFormatArg {
    /// The reader's format.
    pub fn file_format(self) -> canhgac_ingest::files::FileFormat {
        use canhgac_ingest::files::FileFormat;
        match self {
            LogFormatArg::Evtx => FileFormat::Evtx,
            LogFormatArg::Json => FileFormat::JsonLines,
            LogFormatArg::Syslog => FileFormat::Syslog,
            LogFormatArg::AccessLog => FileFormat::AccessLog,
        }
    }
}

/// `hunt`
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Files or directories to read (directories recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Sigma rule directories or files (repeatable).
    #[arg(long = "rules", short = 'r', required = true, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// A logsource mapping file replacing the built-in one.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HuntFormat::Table)]
    pub format: HuntFormat,
    /// Only events at or after this time (dd/mm/yyyy [HH:MM], or RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only events before this time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Only hits of rules at this level or above.
    #[arg(long, value_name = "LEVEL")]
    pub min_level: Option<String>,
    /// Force a file format instead of sniffing each file.
    #[arg(long = "log-format", value_enum)]
    pub log_format: Option<LogFormatArg>,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress line on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Hunt output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HuntFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON object per hit per line.
    Json,
    /// CSV with a header.
    Csv,
}

/// `passwords ...`
#[derive(Debug, Subcommand)]
pub enum PasswordsCommand {
    /// Import a Pwned Passwords download (HASH:COUNT lines) into a compact sorted file.
    Import {
        /// The hash algorithm of the list.
        #[arg(long, value_enum)]
        kind: PasswordHashKind,
        /// The list (`-`: standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The file to write (replaced only once the import is complete).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Memory for sorting, in MiB, when the list is not sorted.
        #[arg(long, value_name = "MIB", default_value_t = 64)]
        sort_memory: usize,
        /// No progress line on standard error.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Check one password read from standard input (typed without echo on a terminal); it is
    /// never printed or logged. Exit code 1 when it is breached.
    Check {
        /// A file written by `passwords import`.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
    },
    /// Check a list of hashes (one per line, hex, of the file's kind). Exit code 1 when one is
    /// breached.
    CheckHashes {
        /// A file written by `passwords import`.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The hashes (`-`: standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = HuntFormat::Table)]
        format: HuntFormat,
    },
    /// Audit an NTLM dump (user:rid:lm:nt::: lines, as secretsdump and DSInternals export):
    /// breached, empty and shared passwords, without showing any password or hash.
    /// Exit code 0: clean; 1: findings; 2: bad input.
    Audit {
        /// An NTLM file written by `passwords import --kind ntlm`.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The dump (`-`: standard input).
        #[arg(value_name = "DUMP")]
        dump: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = HuntFormat::Table)]
        format: HuntFormat,
        #[command(flatten)]
        report: AuditServer,
    },
}

/// Where `passwords audit` reports its findings (account names only; never a password or hash).
#[derive(Debug, Clone, clap::Args)]
pub struct AuditServer {
    /// Also send the findings to this server (e.g. http://127.0.0.1:8080) as one complete run:
    /// accounts no longer found are marked fixed there.
    #[arg(long, env = "CANHGAC_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// An API token (canhgac token create); needed with --server.
    #[arg(
        long,
        env = "CANHGAC_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// The unit (its code) of every account the --accounts file does not map.
    #[arg(long, value_name = "CODE")]
    pub unit: Option<String>,
    /// A CSV mapping accounts to units: `account,unit` (the unit's code) per line.
    #[arg(long, value_name = "PATH")]
    pub accounts: Option<PathBuf>,
}

/// Hash algorithms of breached-password lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PasswordHashKind {
    /// SHA-1 (the Pwned Passwords default download).
    Sha1,
    /// NTLM (the Pwned Passwords NTLM download; for Active Directory audits).
    Ntlm,
}

/// Where the data is, shared by every command that opens the store.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreArgs {
    /// Data directory [config: storage.data_dir]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Database URL, sqlite://PATH or postgres://... [config: storage.database_url]
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
}

/// `serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0: any free port) [config: server.listen]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Store location.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Load a fictional demo province and demo users into an empty store.
    #[arg(long)]
    pub demo: bool,
}

/// `inventory ...`
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Import YAML or CSV files, all or nothing.
    Import {
        /// Inventory files (.yaml, .yml, .csv); together they form one inventory.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Delete records that are absent from the files.
        #[arg(long)]
        prune: bool,
        /// Show the changes without applying them.
        #[arg(long)]
        dry_run: bool,
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Export the whole inventory.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Yaml)]
        format: ExportFormat,
        /// Output file (yaml; default: standard output) or directory (csv; required).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One YAML document.
    Yaml,
    /// One CSV file per kind of record, in a directory.
    Csv,
}

/// `user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// admin, analyst, unit_officer or viewer.
        #[arg(long)]
        role: String,
        /// Code of a unit whose subtree the user works on (repeatable).
        #[arg(long = "unit", value_name = "CODE")]
        units: Vec<String>,
        /// Name shown in the console [default: the username]
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a user's password (ends their sessions).
    SetPassword {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List users.
    List {
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print its secret (shown once).
    Create {
        /// Login name of the user the token acts as.
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration; print it with secrets masked.
    Check {
        /// Store location (as `serve` would use it).
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the documented example configuration.
    Example,
}

fn parse_vantage(text: &str) -> Result<canhgac_scan::exposure::Vantage, String> {
    canhgac_scan::exposure::Vantage::parse(text)
        .ok_or_else(|| format!("{text:?}: chọn internet hoặc internal"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_documented_forms() {
        let cli = Cli::try_parse_from([
            "canhgac",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            "/tmp/x",
            "--demo",
        ])
        .expect("serve");
        assert!(matches!(
            cli.command,
            Command::Serve(ServeArgs { demo: true, .. })
        ));
        let cli = Cli::try_parse_from([
            "canhgac",
            "inventory",
            "import",
            "a.yaml",
            "b.csv",
            "--prune",
            "--dry-run",
            "--config",
            "c.toml",
        ])
        .expect("import");
        assert_eq!(cli.config, Some(PathBuf::from("c.toml")));
        match cli.command {
            Command::Inventory(InventoryCommand::Import {
                files,
                prune,
                dry_run,
                ..
            }) => {
                assert_eq!(files.len(), 2);
                assert!(prune && dry_run);
            }
            other => panic!("unexpected {other:?}"),
        }
        let cli = Cli::try_parse_from([
            "canhgac",
            "user",
            "add",
            "--username",
            "u",
            "--role",
            "unit_officer",
            "--unit",
            "a",
            "--unit",
            "b",
        ])
        .expect("user add");
        match cli.command {
            Command::User(UserCommand::Add { units, .. }) => assert_eq!(units, ["a", "b"]),
            other => panic!("unexpected {other:?}"),
        }
        assert!(Cli::try_parse_from(["canhgac", "inventory", "import"]).is_err());
    }
}
