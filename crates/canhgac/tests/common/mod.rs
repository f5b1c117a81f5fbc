//! Helpers for the end-to-end tests: run the real `canhgac` binary, as a server or a command.

#![allow(dead_code)] // each test file uses a different part

pub mod smtp;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_canhgac");

/// A strong password for test users.
pub const PASSWORD: &str = "Mật-khẩu-thử-2025";

/// A command running the binary in `cwd` with no `CANHGAC_*` variable inherited (so a developer's
/// environment or CI's test variables cannot change the configuration under test).
pub fn canhgac(cwd: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(cwd);
    for (name, _) in std::env::vars() {
        if name.starts_with("CANHGAC_") {
            command.env_remove(name);
        }
    }
    command.env("CANHGAC_LOG", "warn");
    // Tests run servers side by side: syslog on ports the system picks (printed at start).
    command.env("CANHGAC_SYSLOG__UDP", "127.0.0.1:0");
    command.env("CANHGAC_SYSLOG__TCP", "127.0.0.1:0");
    // Monitors check their targets on the network: only tests that serve their own targets on
    // loopback switch the watch on (`CANHGAC_WATCH__ENABLED=true`).
    command.env("CANHGAC_WATCH__ENABLED", "false");
    command
}

/// Runs a command to completion, feeding `stdin`.
pub fn run(cwd: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = canhgac(cwd);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn canhgac");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("wait canhgac")
}

/// Runs a command that must succeed; returns its stdout.
pub fn run_ok(cwd: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = run(cwd, args, stdin);
    assert!(
        out.status.success(),
        "canhgac {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Creates an admin with the CLI and returns an API token for it. `store` are the flags that
/// say where the store is (`--data DIR`, `--database URL`).
pub fn admin_token(cwd: &Path, store: &[&str]) -> String {
    let mut add = vec![
        "user",
        "add",
        "--username",
        "admin",
        "--role",
        "admin",
        "--password-stdin",
    ];
    add.extend_from_slice(store);
    run_ok(cwd, &add, Some(&format!("{PASSWORD}\n")));
    let mut create = vec!["token", "create", "--user", "admin", "--name", "e2e"];
    create.extend_from_slice(store);
    run_ok(cwd, &create, None).trim().to_string()
}

/// A running `canhgac serve`.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Lines printed on stdout before the listening line.
    pub banner: Vec<String>,
    stderr_path: PathBuf,
}

impl Server {
    /// Starts `serve --listen 127.0.0.1:0` plus `args` in `cwd`, and waits for the listening line.
    pub fn start(cwd: &Path, args: &[&str]) -> Server {
        Self::start_with_env(cwd, args, &[])
    }

    /// As [`Server::start`], with extra environment variables.
    pub fn start_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let stderr_path = cwd.join(format!(
            "serve-{}.stderr",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_nanos()
        ));
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let mut command = canhgac(cwd);
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("CANHGAC_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = command.spawn().expect("spawn canhgac serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        // Keep draining stdout for the server's whole life so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Nobody listens any more; keep reading so the pipe never fills.
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut banner = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("listening on http://") {
                        let base = format!("http://{}", addr.trim());
                        return Server {
                            child: Some(child),
                            base,
                            banner,
                            stderr_path,
                        };
                    }
                    banner.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    panic!(
                        "canhgac serve did not print its listening line (status {status:?});\nstdout: {banner:#?}\nstderr: {}",
                        std::fs::read_to_string(&stderr_path).unwrap_or_default()
                    );
                }
            }
        }
    }

    /// The address of a syslog listener (`udp`, `tcp`, `tls`) printed at start.
    pub fn syslog_addr(&self, proto: &str) -> Option<std::net::SocketAddr> {
        self.printed_addr(&format!("syslog {proto} on "))
    }

    /// An address printed at start on a line beginning with `prefix`.
    pub fn printed_addr(&self, prefix: &str) -> Option<std::net::SocketAddr> {
        self.banner
            .iter()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|addr| addr.trim().parse().ok())
    }

    /// The one-time setup link printed at start, if any.
    pub fn setup_link(&self) -> Option<String> {
        self.banner.iter().find_map(|line| {
            line.find("http://")
                .filter(|_| line.contains("/setup?token="))
                .map(|at| line[at..].trim().to_string())
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// What the server logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Sends SIGTERM.
    pub fn signal_term(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to end (at most 60 s).
    pub fn wait(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("canhgac serve did not stop within 60 s:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> ExitStatus {
        self.signal_term();
        self.wait()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An HTTP client that keeps cookies and does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Completes the first-admin setup through the printed link; returns the signed-in client.
pub async fn complete_setup(server: &Server, username: &str) -> reqwest::Client {
    let link = server.setup_link().expect("a setup link was printed");
    let token = link
        .split_once("token=")
        .map(|(_, t)| t.to_string())
        .expect("token in link");
    let http = client();
    let form = http.get(&link).send().await.expect("GET setup");
    assert_eq!(form.status(), 200, "the setup link opens the form");
    let body = form.text().await.expect("body");
    assert!(body.contains("password_confirm"), "setup form: {body}");
    let done = http
        .post(format!("{}/setup", server.base))
        .form(&[
            ("token", token.as_str()),
            ("username", username),
            ("display_name", "Quản trị viên"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .expect("POST setup");
    assert_eq!(
        done.status(),
        303,
        "setup redirects: {:?}",
        done.text().await
    );
    http
}

/// Skips (or fails under `CANHGAC_REQUIRE_SERVICES=1`) when PostgreSQL is not configured;
/// returns the admin URL otherwise.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("CANHGAC_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            canhgac_store::testing::skip_for_missing_service(
                "PostgreSQL",
                "set CANHGAC_TEST_DATABASE_URL",
            );
            None
        }
    }
}

/// A throwaway PostgreSQL database on the server of `CANHGAC_TEST_DATABASE_URL`.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// URL of the new database.
    pub url: String,
}

impl PgDatabase {
    /// Creates a database with a unique name.
    pub async fn create(admin_url: &str) -> PgDatabase {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("connect to CANHGAC_TEST_DATABASE_URL");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos();
        let name = format!("canhgac_bin_{}_{nanos}", std::process::id());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        let _ = conn.close().await;
        let mut url = url::Url::parse(admin_url).expect("admin URL");
        url.set_path(&format!("/{name}"));
        PgDatabase {
            admin_url: admin_url.to_string(),
            name,
            url: url.to_string(),
        }
    }

    /// Drops the database (best effort).
    pub async fn drop_database(self) {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}

/// Calls the API with a bearer token; returns the status and the body (JSON, or a string).
pub async fn api(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = http
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// Polls `path` until `pick` finds something, or fails after 20 s.
pub async fn wait_for(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    path: &str,
    pick: impl Fn(&serde_json::Value) -> Option<serde_json::Value>,
) -> serde_json::Value {
    wait_for_within(http, server, token, path, Duration::from_secs(20), pick).await
}

/// Polls `path` until `pick` finds something, or fails after `within`.
pub async fn wait_for_within(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    path: &str,
    within: Duration,
    pick: impl Fn(&serde_json::Value) -> Option<serde_json::Value>,
) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let (status, body) = api(http, server, token, reqwest::Method::GET, path, None).await;
        if status == 200 {
            if let Some(found) = pick(&body) {
                return found;
            }
        }
        assert!(
            Instant::now() < deadline,
            "nothing at {path} after {within:?}: {status} {body}\nserver log:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
