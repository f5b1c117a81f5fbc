//! Whole-system tests for canhgac: they drive the real `canhgac` binary, as an operator would,
//! instead of calling its crates.
//!
//! This crate is test-only (`publish = false`). Its library is the harness the tests in `tests/`
//! share:
//!
//! - [`canhgac_binary`] finds (and builds, through Cargo) the `canhgac` binary of this workspace;
//! - [`Canhgac`] starts `canhgac serve` on a free loopback port with a fresh data directory (the
//!   watch off unless a test turns it on with [`Canhgac::start_with_env`]) and reads the address
//!   and the one-time setup link it prints;
//! - [`Chromium`] starts `chromedriver` and a headless Debian `chromium` session driven through
//!   [`fantoccini`] over plain HTTP on loopback (no TLS stack is compiled in);
//! - [`artifacts_dir`] is where screenshots go (`target/e2e-artifacts`, kept by CI).
//!
//! Every process the harness starts runs in its own process group and is killed with it when its
//! guard drops, so a failing test leaves no server or browser behind.
//!
//! ```no_run
//! # async fn demo() -> Result<(), canhgac_e2e::HarnessError> {
//! let server = canhgac_e2e::Canhgac::start(&canhgac_e2e::canhgac_binary()?)?;
//! let Some(paths) = canhgac_e2e::ChromiumPaths::find() else { return Ok(()) };
//! let browser = canhgac_e2e::Chromium::start(&paths).await?;
//! browser.client.goto(&server.base_url).await?;
//! # Ok(()) }
//! ```
//!
//! The benchmark that loads a generated inventory lives in `bench/` at the repository root; its
//! generator is this crate's `gen_inventory` example.

// fantoccini's error types are large (over 128 bytes once the workspace unifies its
// dependencies' features); this harness returns them rarely and only in tests.
#![allow(clippy::result_large_err)]

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;

/// Why the harness could not set up what a test needs.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// An operating-system call failed.
    #[error("{what}: {source}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A started process did not print or do what was expected in time.
    #[error("{what}\n--- output so far ---\n{output}")]
    Process {
        /// What was expected.
        what: String,
        /// What the process printed (stdout and stderr, interleaved).
        output: String,
    },
    /// Building the binary under test failed.
    #[error("building canhgac failed: {0}")]
    Build(String),
    /// chromedriver refused to open a browser session.
    #[error("chromedriver session: {0}")]
    Session(#[from] fantoccini::error::NewSessionError),
    /// A WebDriver command failed.
    #[error("webdriver: {0}")]
    Command(#[from] fantoccini::error::CmdError),
}

fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> HarnessError {
    let what = what.into();
    move |source| HarnessError::Io { what, source }
}

/// Where tests put screenshots and other artifacts: `$CANHGAC_E2E_ARTIFACTS` when set, else
/// `target/e2e-artifacts` under the workspace root (a fixed place CI can collect, whatever
/// `CARGO_TARGET_DIR` is). The directory is created.
pub fn artifacts_dir() -> Result<PathBuf, HarnessError> {
    let dir = match std::env::var_os("CANHGAC_E2E_ARTIFACTS") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("target").join("e2e-artifacts"),
    };
    std::fs::create_dir_all(&dir).map_err(io_error(format!("creating {}", dir.display())))?;
    Ok(dir)
}

fn workspace_root() -> PathBuf {
    // This crate sits at crates/canhgac-e2e.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    root.canonicalize().unwrap_or(root)
}

/// A free TCP port on 127.0.0.1, found by binding port 0 and letting it go. Another process could
/// take it before it is used; on a test machine that race is rare and shows as a clear bind error.
pub fn free_port() -> Result<u16, HarnessError> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io_error("binding 127.0.0.1:0"))?;
    let port = listener
        .local_addr()
        .map_err(io_error("reading the bound port"))?
        .port();
    Ok(port)
}

/// The `canhgac` binary to test.
///
/// `$CANHGAC_BIN` when set (e.g. a release build); otherwise the binary is built with the Cargo
/// that runs the tests (`$CARGO build -p canhgac --bin canhgac`, same profile, same target
/// directory), so the test never runs a stale binary. Building is a no-op when it is current.
pub fn canhgac_binary() -> Result<PathBuf, HarnessError> {
    if let Some(bin) = std::env::var_os("CANHGAC_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .args([
            "build",
            "--quiet",
            "-p",
            "canhgac",
            "--bin",
            "canhgac",
            "--message-format=json",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = command
        .output()
        .map_err(io_error("running cargo build -p canhgac"))?;
    if !output.status.success() {
        return Err(HarnessError::Build(format!(
            "cargo exited with {}",
            output.status
        )));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_bin = message["reason"] == "compiler-artifact"
            && message["target"]["name"] == "canhgac"
            && message["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"));
        if let (true, Some(path)) = (is_bin, message["executable"].as_str()) {
            return Ok(PathBuf::from(path));
        }
    }
    Err(HarnessError::Build(
        "cargo reported no canhgac executable".into(),
    ))
}

/// A child process in its own process group, killed (group and all) when dropped.
#[derive(Debug)]
pub struct ProcessGuard {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl ProcessGuard {
    /// Spawns `command` with piped stdout and stderr, both collected into [`Self::output`].
    pub fn spawn(mut command: Command, what: &str) -> Result<Self, HarnessError> {
        use std::os::unix::process::CommandExt;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so the browser processes chromedriver forks die with it.
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(io_error(format!("starting {what}")))?;
        let output = Arc::new(Mutex::new(String::new()));
        if let Some(stdout) = child.stdout.take() {
            collect(stdout, Arc::clone(&output));
        }
        if let Some(stderr) = child.stderr.take() {
            collect(stderr, Arc::clone(&output));
        }
        Ok(Self { child, output })
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// Waits until `find` returns something for the output so far, the process exits, or
    /// `timeout` passes.
    pub fn wait_for_output<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        find: impl Fn(&str) -> Option<T>,
    ) -> Result<T, HarnessError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = find(&self.output()) {
                return Ok(found);
            }
            let exited = self
                .child
                .try_wait()
                .map_err(io_error("polling a child process"))?;
            if let Some(status) = exited {
                // Give the reader threads a moment to drain the pipes before reporting.
                std::thread::sleep(Duration::from_millis(100));
                if let Some(found) = find(&self.output()) {
                    return Ok(found);
                }
                return Err(HarnessError::Process {
                    what: format!("{what}: the process exited ({status}) first"),
                    output: self.output(),
                });
            }
            if Instant::now() > deadline {
                return Err(HarnessError::Process {
                    what: format!("{what}: nothing after {timeout:?}"),
                    output: self.output(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The operating-system process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        // `kill -KILL -- -PGID` reaches every process of the group the child leads.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut output) = into.lock() {
                output.push_str(&line);
                output.push('\n');
            }
        }
    });
}

/// A running `canhgac serve` on a free loopback port with a fresh data directory.
#[derive(Debug)]
pub struct Canhgac {
    /// `http://127.0.0.1:PORT`, as the server printed it.
    pub base_url: String,
    /// The one-time setup link it printed (`http://.../setup?token=...`).
    pub setup_link: String,
    process: ProcessGuard,
    data: tempfile::TempDir,
}

impl Canhgac {
    /// Starts `BIN serve --listen 127.0.0.1:0 --data TMP` and waits for the `listening on` line
    /// and the setup link.
    pub fn start(bin: &Path) -> Result<Self, HarnessError> {
        Self::start_with_env(bin, &[])
    }

    /// [`Canhgac::start`] with extra environment variables, set after the harness's own so they
    /// win: e.g. `[("CANHGAC_WATCH__ENABLED", "true")]` for a test that serves its own targets
    /// on loopback.
    pub fn start_with_env(bin: &Path, env: &[(&str, &str)]) -> Result<Self, HarnessError> {
        let data = tempfile::Builder::new()
            .prefix("canhgac-e2e-data-")
            .tempdir()
            .map_err(io_error("creating a data directory"))?;
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data")
            .arg(data.path())
            // The test must see the built-in defaults, not the developer's environment.
            .env_remove("CANHGAC_DATABASE")
            .env_remove("CANHGAC_LISTEN")
            .env_remove("CANHGAC_DATA")
            .env_remove("CANHGAC_CONFIG")
            // Syslog on ports the system picks, so a running canhgac does not clash.
            .env("CANHGAC_SYSLOG__UDP", "127.0.0.1:0")
            .env("CANHGAC_SYSLOG__TCP", "127.0.0.1:0")
            // The demo province's portal and mail names are not ours to check: no monitors run.
            .env("CANHGAC_WATCH__ENABLED", "false")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(env.iter().copied());
        let mut process = ProcessGuard::spawn(command, &format!("{} serve", bin.display()))?;
        let timeout = Duration::from_secs(60);
        let base_url =
            process.wait_for_output("waiting for `listening on http://`", timeout, |out| {
                let at = out.find("listening on http://")? + "listening on ".len();
                Some(url_at(&out[at..]).trim_end_matches('/').to_owned())
            })?;
        let setup_link = process.wait_for_output("waiting for the setup link", timeout, |out| {
            let at = out.find("/setup?token=")?;
            let start = out[..at].rfind("http://")?;
            Some(url_at(&out[start..]).to_owned())
        })?;
        Ok(Self {
            base_url,
            setup_link,
            process,
            data,
        })
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The data directory (deleted on drop).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// What the server printed so far, for failure messages.
    pub fn output(&self) -> String {
        self.process.output()
    }
}

/// The URL at the start of `text`: up to the first whitespace, quote or angle bracket.
fn url_at(text: &str) -> &str {
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Where Chromium and chromedriver are installed.
#[derive(Debug, Clone)]
pub struct ChromiumPaths {
    /// The browser (`/usr/bin/chromium` from Debian, or `$CANHGAC_CHROMIUM`).
    pub chromium: PathBuf,
    /// The driver (`chromedriver` on `PATH`, `/usr/bin/chromedriver`, or `$CANHGAC_CHROMEDRIVER`).
    pub chromedriver: PathBuf,
}

impl ChromiumPaths {
    /// Finds both, or `None` when either is missing.
    pub fn find() -> Option<Self> {
        let chromium = std::env::var_os("CANHGAC_CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        let chromedriver = std::env::var_os("CANHGAC_CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| on_path("chromedriver"))
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
        (chromium.is_file() && chromedriver.is_file()).then_some(Self {
            chromium,
            chromedriver,
        })
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A headless Chromium session behind its own chromedriver, on a free loopback port.
///
/// Call [`Chromium::close`] at the end of a test to end the session cleanly; dropping it kills
/// chromedriver and the browser regardless.
pub struct Chromium {
    /// The WebDriver client.
    pub client: fantoccini::Client,
    // Field order matters: the profile directory is removed after the processes are gone.
    driver: ProcessGuard,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Chromium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chromium")
            .field("driver_pid", &self.driver.id())
            .finish_non_exhaustive()
    }
}

/// Viewport of every test browser (`--window-size`), so screenshots are comparable.
pub const WINDOW: (u32, u32) = (1366, 900);

impl Chromium {
    /// Starts chromedriver and opens a headless Chromium session with a fresh profile.
    pub async fn start(paths: &ChromiumPaths) -> Result<Self, HarnessError> {
        let profile = tempfile::Builder::new()
            .prefix("canhgac-e2e-chromium-")
            .tempdir()
            .map_err(io_error("creating a Chromium profile directory"))?;
        let port = free_port()?;
        let mut command = Command::new(&paths.chromedriver);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1");
        let mut driver = ProcessGuard::spawn(command, "chromedriver")?;
        wait_for_port(&mut driver, port, Duration::from_secs(30))?;

        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": paths.chromium, "args": args }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = fantoccini::ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await?;
        Ok(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the browser session (chromedriver is killed on drop).
    pub async fn close(self) -> Result<(), HarnessError> {
        self.client.clone().close().await?;
        Ok(())
    }

    /// What chromedriver printed so far.
    pub fn driver_output(&self) -> String {
        self.driver.output()
    }
}

fn wait_for_port(
    process: &mut ProcessGuard,
    port: u16,
    timeout: Duration,
) -> Result<(), HarnessError> {
    let what = format!("waiting for chromedriver on 127.0.0.1:{port}");
    process.wait_for_output(&what, timeout, |_| {
        TcpStream::connect_timeout(
            &(Ipv4Addr::LOCALHOST, port).into(),
            Duration::from_millis(200),
        )
        .ok()
        .map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_at_stops_at_whitespace_and_quotes() {
        assert_eq!(
            url_at("http://127.0.0.1:4/setup?token=ab\nnext"),
            "http://127.0.0.1:4/setup?token=ab"
        );
        assert_eq!(url_at("http://h/x\" rest"), "http://h/x");
        assert_eq!(url_at("http://h/x"), "http://h/x");
    }

    #[test]
    fn process_guard_kills_its_group_on_drop() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo ready; sleep 60 & wait"]);
        let mut guard = ProcessGuard::spawn(command, "sh").expect("sh starts");
        guard
            .wait_for_output("ready line", Duration::from_secs(10), |o| {
                o.contains("ready").then_some(())
            })
            .expect("sh prints ready");
        let pgid = guard.id();
        drop(guard);
        // Killed processes may linger as zombies when PID 1 does not reap orphans; only a
        // process still running counts as a survivor.
        std::thread::sleep(Duration::from_millis(200));
        let survivors = running_in_group(pgid);
        assert!(
            survivors.is_empty(),
            "process group {pgid} survived the guard: {survivors:?}"
        );
    }

    /// Pids of non-zombie processes whose process group is `pgid`, from /proc.
    fn running_in_group(pgid: u32) -> Vec<String> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc")
            .expect("/proc is readable")
            .flatten()
        {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // Fields after the parenthesised command name: state ppid pgrp ...
            let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" {
                found.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        found
    }
}
