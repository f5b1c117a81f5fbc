//! The plaintext preludes that turn a mail connection into a TLS one.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::TlsError;

/// A mail protocol whose TLS starts after a plaintext command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartTls {
    /// SMTP: banner, `EHLO`, `STARTTLS`, expect `220`.
    Smtp,
    /// IMAP: greeting, `a STARTTLS`, expect `a OK`.
    Imap,
    /// POP3: greeting, `STLS`, expect `+OK`.
    Pop3,
}

impl std::fmt::Display for StartTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StartTls::Smtp => "SMTP",
            StartTls::Imap => "IMAP",
            StartTls::Pop3 => "POP3",
        })
    }
}

/// The name we greet SMTP servers with.
const EHLO_NAME: &str = "canhgac-scanner.invalid";
/// The longest reply we accept in the prelude.
const REPLY_LIMIT: usize = 16 * 1024;

/// Runs the prelude of `protocol` on `stream`; the caller bounds it with a deadline.
pub(crate) async fn prelude(
    stream: &mut TcpStream,
    addr: SocketAddr,
    protocol: StartTls,
) -> Result<(), TlsError> {
    let mut lines = LineReader::new(stream, addr, protocol);
    match protocol {
        StartTls::Smtp => {
            lines.expect_smtp("220").await?;
            lines.send(&format!("EHLO {EHLO_NAME}\r\n")).await?;
            lines.expect_smtp("250").await?;
            lines.send("STARTTLS\r\n").await?;
            lines.expect_smtp("220").await?;
        }
        StartTls::Imap => {
            let greeting = lines.line().await?;
            if !greeting.starts_with("* OK") {
                return Err(lines.refused(&greeting));
            }
            lines.send("a STARTTLS\r\n").await?;
            loop {
                let line = lines.line().await?;
                if line.starts_with("a ") {
                    if line
                        .get(..4)
                        .is_some_and(|s| s.eq_ignore_ascii_case("a ok"))
                    {
                        break;
                    }
                    return Err(lines.refused(&line));
                }
            }
        }
        StartTls::Pop3 => {
            let greeting = lines.line().await?;
            if !greeting.starts_with("+OK") {
                return Err(lines.refused(&greeting));
            }
            lines.send("STLS\r\n").await?;
            let reply = lines.line().await?;
            if !reply.starts_with("+OK") {
                return Err(lines.refused(&reply));
            }
        }
    }
    if !lines.pending.is_empty() {
        // The server spoke before our ClientHello: it is not waiting for TLS.
        let extra = String::from_utf8_lossy(&lines.pending).into_owned();
        return Err(lines.refused(&extra));
    }
    Ok(())
}

/// Reads CRLF lines without reading past them, so no TLS byte is swallowed.
struct LineReader<'a> {
    stream: &'a mut TcpStream,
    addr: SocketAddr,
    protocol: StartTls,
    pending: Vec<u8>,
    read_total: usize,
}

impl<'a> LineReader<'a> {
    fn new(stream: &'a mut TcpStream, addr: SocketAddr, protocol: StartTls) -> Self {
        LineReader {
            stream,
            addr,
            protocol,
            pending: Vec::new(),
            read_total: 0,
        }
    }

    fn refused(&self, reply: &str) -> TlsError {
        TlsError::StartTls {
            addr: self.addr,
            protocol: self.protocol,
            reply: canhgac_model::scan::excerpt(reply.trim_end(), 200),
        }
    }

    async fn send(&mut self, command: &str) -> Result<(), TlsError> {
        self.stream
            .write_all(command.as_bytes())
            .await
            .map_err(|source| TlsError::Io {
                addr: self.addr,
                stage: "sending the STARTTLS prelude",
                source,
            })
    }

    async fn line(&mut self) -> Result<String, TlsError> {
        loop {
            if let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.pending.drain(..end + 2).collect();
                return Ok(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            if self.read_total > REPLY_LIMIT {
                let so_far = String::from_utf8_lossy(&self.pending).into_owned();
                return Err(self.refused(&so_far));
            }
            let mut chunk = [0u8; 1024];
            let read = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|source| TlsError::Io {
                    addr: self.addr,
                    stage: "reading the STARTTLS prelude",
                    source,
                })?;
            if read == 0 {
                let so_far = String::from_utf8_lossy(&self.pending).into_owned();
                return Err(self.refused(&format!("{so_far} (connection closed)")));
            }
            self.read_total += read;
            self.pending.extend_from_slice(&chunk[..read]);
        }
    }

    /// Reads one SMTP reply (all its `code-` lines) and checks its code.
    async fn expect_smtp(&mut self, code: &str) -> Result<(), TlsError> {
        loop {
            let line = self.line().await?;
            if !line.starts_with(code) {
                return Err(self.refused(&line));
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }
}
