//! A real SMTP server for the end-to-end tests: Debian's aiosmtpd running our sink script, which
//! writes every accepted message (with its attachments) to a directory as JSON.

#![allow(clippy::unwrap_used)] // test helpers: a failure is the test failing

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Server;

const PYTHON: &str = "/usr/bin/python3";

fn sink_script() -> PathBuf {
    // The email channel's own tests use the same sink.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../canhgac-respond/tests/fixtures/smtp_sink.py")
}

/// Whether Debian's `python3-aiosmtpd` is installed.
pub fn aiosmtpd_available() -> bool {
    Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// aiosmtpd on `127.0.0.1:port`, writing every accepted message to a directory as JSON.
pub struct Sink {
    child: Child,
}

impl Sink {
    /// Starts the server and waits until it listens.
    pub fn start(port: u16, dir: &Path) -> Sink {
        let mut child = Command::new(PYTHON)
            .arg(sink_script())
            .arg(port.to_string())
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aiosmtpd");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read");
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        Sink { child }
    }

    /// Stops the server (mail sent now fails, as with a mail server that is down).
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port free on loopback now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Every message received so far, oldest first.
pub fn mails(dir: &Path) -> Vec<Value> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// Waits until `count` messages have arrived.
pub async fn wait_for_mails(dir: &Path, count: usize, server: &Server) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = mails(dir);
        if got.len() >= count {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {count} mails arrived: {got:#?}\nserver log:\n{}",
            got.len(),
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
