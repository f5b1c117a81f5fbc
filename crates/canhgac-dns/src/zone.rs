//! A fixed in-memory zone served authoritatively on loopback, for tests and the demo.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use canhgac_dns::zone::{Zone, ZoneServer};
//! use canhgac_dns::RecordType;
//! let zone = Zone::new()
//!     .with("example.vn", RecordType::MX, "10 mail.example.vn.")
//!     .with("example.vn", RecordType::TXT, "v=spf1 mx -all");
//! let server = ZoneServer::start(zone).await?;
//! let answer = server.resolver().lookup("example.vn", RecordType::TXT).await;
//! # Ok(()) }
//! ```
//!
//! Names the zone does not hold get NXDOMAIN, names it holds (or that lie above a name it
//! holds) without records of the asked type get NOERROR and no record; a name holding a CNAME
//! answers it for any other type. UDP answers longer than the client's EDNS payload size (512
//! bytes without EDNS) come back truncated, so clients retry over TCP on the same port.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RData, Record as WireRecord, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

use crate::{name_text, Resolver};

/// TTL of every record served.
const ZONE_TTL: u32 = 300;

/// Why a record could not be added to a zone.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    /// The owner name is not a valid domain name.
    #[error("tên miền «{0}» không hợp lệ")]
    BadName(String),
    /// A line of zone text is not `name TYPE data`.
    #[error("dòng {line} «{text}» không có dạng «tên LOẠI dữ liệu»")]
    BadLine {
        /// The line number, from 1.
        line: usize,
        /// The line.
        text: String,
    },
    /// The record data does not parse for its type.
    #[error("dữ liệu bản ghi {record_type} «{text}» không hợp lệ: {reason}")]
    BadData {
        /// The record's type.
        record_type: RecordType,
        /// The data given.
        text: String,
        /// What the parser said.
        reason: String,
    },
}

/// Records by owner name (lower-case, no final dot).
#[derive(Debug, Clone, Default)]
pub struct Zone {
    names: HashMap<String, Vec<WireRecord>>,
}

impl Zone {
    /// An empty zone.
    pub fn new() -> Zone {
        Zone::default()
    }

    /// Adds a record given in presentation form (`10 mail.example.vn.` for MX). TXT data is
    /// taken whole, unquoted, and cut into 255-byte strings as the wire needs. Names in data
    /// should end with a dot.
    pub fn add(
        &mut self,
        name: &str,
        record_type: RecordType,
        text: &str,
    ) -> Result<(), ZoneError> {
        let data = if record_type == RecordType::TXT {
            RData::TXT(TXT::new(txt_strings(text)))
        } else {
            RData::try_from_str(record_type, text).map_err(|e| ZoneError::BadData {
                record_type,
                text: text.to_owned(),
                reason: e.to_string(),
            })?
        };
        self.add_rdata(name, data)
    }

    /// Adds a record from its data.
    pub fn add_rdata(&mut self, name: &str, data: RData) -> Result<(), ZoneError> {
        let trimmed = name.trim().trim_end_matches('.');
        let owner = Name::from_utf8(format!("{trimmed}."))
            .map_err(|_| ZoneError::BadName(trimmed.to_owned()))?;
        let key = name_text(&owner);
        self.names
            .entry(key)
            .or_default()
            .push(WireRecord::from_rdata(owner, ZONE_TTL, data));
        Ok(())
    }

    /// The zone with one more record, for building fixtures in one expression.
    ///
    /// # Panics
    /// When the name or data is invalid: a broken fixture should stop the test at once.
    pub fn with(mut self, name: &str, record_type: RecordType, text: &str) -> Zone {
        if let Err(error) = self.add(name, record_type, text) {
            panic!("zone fixture: {error}");
        }
        self
    }

    /// A zone from text, one record per line: `name TYPE data`, e.g.
    /// `example.vn MX 10 mail.example.vn.` or `example.vn TXT "v=spf1 mx -all"` (TXT data may
    /// be quoted as a whole). Blank lines and lines starting with `#` or `;` are skipped.
    pub fn parse(text: &str) -> Result<Zone, ZoneError> {
        let mut zone = Zone::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let bad_line = || ZoneError::BadLine {
                line: index + 1,
                text: line.to_owned(),
            };
            let (name, rest) = line.split_once(char::is_whitespace).ok_or_else(bad_line)?;
            let rest = rest.trim_start();
            let (type_name, data) = rest.split_once(char::is_whitespace).ok_or_else(bad_line)?;
            let record_type: RecordType = type_name
                .to_ascii_uppercase()
                .parse()
                .map_err(|_| bad_line())?;
            let data = data.trim();
            let data = if record_type == RecordType::TXT {
                data.strip_prefix('"')
                    .and_then(|d| d.strip_suffix('"'))
                    .unwrap_or(data)
            } else {
                data
            };
            zone.add(name, record_type, data)?;
        }
        Ok(zone)
    }

    /// The response to one request; `None` for what is not a question at all.
    fn respond(&self, request: &[u8], udp: bool) -> Option<Vec<u8>> {
        let request = Message::from_vec(request).ok()?;
        if request.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.authoritative = true;
        response.add_queries(request.queries.iter().cloned());
        if let Some(edns) = &request.edns {
            let mut ours = Edns::new();
            ours.set_max_payload(edns.max_payload().max(512));
            response.set_edns(ours);
        }
        response.metadata.response_code =
            match (&request.metadata.op_code, request.queries.as_slice()) {
                (OpCode::Query, [query]) => {
                    let (code, answers) = self.answer(&name_text(query.name()), query.query_type());
                    response.add_answers(answers);
                    code
                }
                (OpCode::Query, _) => ResponseCode::FormErr,
                _ => ResponseCode::NotImp,
            };
        let bytes = response.to_vec().ok()?;
        let limit = usize::from(
            request
                .edns
                .as_ref()
                .map_or(512, |e| e.max_payload().max(512)),
        );
        if udp && bytes.len() > limit {
            return response.truncate().to_vec().ok();
        }
        Some(bytes)
    }

    fn answer(&self, name: &str, record_type: RecordType) -> (ResponseCode, Vec<WireRecord>) {
        let Some(records) = self.names.get(name) else {
            // A name above a held name exists, with no records of its own (RFC 8020).
            let suffix = format!(".{name}");
            let exists = self.names.keys().any(|held| held.ends_with(&suffix));
            let code = if exists {
                ResponseCode::NoError
            } else {
                ResponseCode::NXDomain
            };
            return (code, Vec::new());
        };
        let matching: Vec<WireRecord> = records
            .iter()
            .filter(|r| record_type == RecordType::ANY || r.record_type() == record_type)
            .cloned()
            .collect();
        if matching.is_empty() {
            let aliases: Vec<WireRecord> = records
                .iter()
                .filter(|r| r.record_type() == RecordType::CNAME)
                .cloned()
                .collect();
            return (ResponseCode::NoError, aliases);
        }
        (ResponseCode::NoError, matching)
    }
}

/// TXT data cut into the 255-byte strings of the wire, on character boundaries.
fn txt_strings(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        if current.len() + ch.len_utf8() > 255 {
            parts.push(std::mem::take(&mut current));
        }
        current.push(ch);
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// How many questions a [`ZoneServer`] has answered, by transport.
#[derive(Debug, Default)]
struct Counters {
    udp: AtomicUsize,
    tcp: AtomicUsize,
}

/// A [`Zone`] served on 127.0.0.1 over UDP and TCP on the same port; stops when dropped.
#[derive(Debug)]
pub struct ZoneServer {
    addr: SocketAddr,
    counters: Arc<Counters>,
    tasks: Vec<JoinHandle<()>>,
}

impl ZoneServer {
    /// Serves `zone` on 127.0.0.1 at a free port (the same one for UDP and TCP).
    pub async fn start(zone: Zone) -> io::Result<ZoneServer> {
        let (udp, tcp) = bind_pair().await?;
        Ok(Self::serve(zone, udp, tcp))
    }

    /// Serves `zone` at a given address (UDP and TCP), e.g. a fixed port for the demo.
    pub async fn start_at(zone: Zone, addr: SocketAddr) -> io::Result<ZoneServer> {
        if addr.port() == 0 && addr.ip() == Ipv4Addr::LOCALHOST {
            return Self::start(zone).await;
        }
        let udp = UdpSocket::bind(addr).await?;
        let tcp = TcpListener::bind(udp.local_addr()?).await?;
        Ok(Self::serve(zone, udp, tcp))
    }

    fn serve(zone: Zone, udp: UdpSocket, tcp: TcpListener) -> ZoneServer {
        // Both sockets are bound; an unreadable local address would be a kernel fault.
        let addr = udp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let zone = Arc::new(zone);
        let counters = Arc::new(Counters::default());
        let udp_task = tokio::spawn(serve_udp(udp, Arc::clone(&zone), Arc::clone(&counters)));
        let tcp_task = tokio::spawn(serve_tcp(tcp, zone, Arc::clone(&counters)));
        ZoneServer {
            addr,
            counters,
            tasks: vec![udp_task, tcp_task],
        }
    }

    /// Where the zone is served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A resolver asking this server, with a 2-second timeout.
    pub fn resolver(&self) -> Resolver {
        Resolver::new(self.addr, Duration::from_secs(2))
    }

    /// Questions answered over UDP so far.
    pub fn udp_questions(&self) -> usize {
        self.counters.udp.load(Ordering::Relaxed)
    }

    /// Questions answered over TCP so far.
    pub fn tcp_questions(&self) -> usize {
        self.counters.tcp.load(Ordering::Relaxed)
    }
}

impl Drop for ZoneServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A UDP socket and a TCP listener on one free loopback port.
async fn bind_pair() -> io::Result<(UdpSocket, TcpListener)> {
    let mut last_error = None;
    // Another process may hold the TCP side of the port UDP got; try a few ports.
    for _ in 0..32 {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = udp.local_addr()?.port();
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free port pair")))
}

async fn serve_udp(socket: UdpSocket, zone: Arc<Zone>, counters: Arc<Counters>) {
    let mut buffer = vec![0u8; 4096];
    loop {
        let Ok((read, peer)) = socket.recv_from(&mut buffer).await else {
            continue;
        };
        if let Some(response) = zone.respond(&buffer[..read], true) {
            counters.udp.fetch_add(1, Ordering::Relaxed);
            // A lost datagram is the client's timeout to handle, as on a real network.
            let _ = socket.send_to(&response, peer).await;
        }
    }
}

async fn serve_tcp(listener: TcpListener, zone: Arc<Zone>, counters: Arc<Counters>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let zone = Arc::clone(&zone);
        let counters = Arc::clone(&counters);
        tokio::spawn(async move {
            let _ = serve_tcp_connection(stream, &zone, &counters).await;
        });
    }
}

async fn serve_tcp_connection(
    mut stream: TcpStream,
    zone: &Zone,
    counters: &Counters,
) -> io::Result<()> {
    loop {
        let mut length = [0u8; 2];
        stream.read_exact(&mut length).await?;
        let mut request = vec![0u8; usize::from(u16::from_be_bytes(length))];
        stream.read_exact(&mut request).await?;
        let Some(response) = zone.respond(&request, false) else {
            return Ok(());
        };
        counters.tcp.fetch_add(1, Ordering::Relaxed);
        let length = u16::try_from(response.len()).map_err(io::Error::other)?;
        let mut framed = length.to_be_bytes().to_vec();
        framed.extend_from_slice(&response);
        stream.write_all(&framed).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_data_is_cut_at_255_bytes_on_character_boundaries() {
        let long = "ă".repeat(200); // 400 bytes
        let parts = txt_strings(&long);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.len() <= 255));
        assert_eq!(parts.concat(), long);
        assert_eq!(txt_strings(""), vec![String::new()]);
    }

    #[test]
    fn zone_text_is_name_type_data_per_line() {
        let zone = Zone::parse(
            "# comment\n\nexample.vn MX 10 mail.example.vn.\n; other\nexample.vn txt \"v=spf1 mx -all\"\n_dmarc.example.vn TXT v=DMARC1; p=reject\n",
        )
        .unwrap();
        let (code, mx) = zone.answer("example.vn", RecordType::MX);
        assert_eq!(code, ResponseCode::NoError);
        assert_eq!(crate::record_text(&mx[0].data), "10 mail.example.vn");
        let (_, txt) = zone.answer("example.vn", RecordType::TXT);
        assert_eq!(crate::record_text(&txt[0].data), "v=spf1 mx -all");
        let (_, dmarc) = zone.answer("_dmarc.example.vn", RecordType::TXT);
        assert_eq!(crate::record_text(&dmarc[0].data), "v=DMARC1; p=reject");
        let error = Zone::parse("ok.vn A 192.0.2.1\nbroken\n").unwrap_err();
        assert!(error.to_string().starts_with("dòng 2"), "{error}");
        assert!(Zone::parse("x.vn NOPE data").is_err());
    }

    #[test]
    fn bad_fixture_data_is_refused_with_its_type() {
        let mut zone = Zone::new();
        let error = zone.add("x.vn", RecordType::MX, "ten mail").unwrap_err();
        assert!(error.to_string().contains("MX"), "{error}");
        assert!(zone.add("x..vn", RecordType::A, "10.0.0.1").is_err());
    }
}
