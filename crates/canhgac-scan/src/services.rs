//! Service identification: what answers on an open port, from our own probe database
//! (`data/probes.toml`): the service, product, version and CPE, read from banners and responses.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use regex::bytes::Regex;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::discovery::OpenPort;

/// Ports where TLS is tried before plaintext probes.
const TLS_FIRST_PORTS: &[u16] = &[443, 465, 636, 993, 995, 4443, 7443, 8443, 9443, 10443];

/// The longest response read from one probe.
const RESPONSE_CAP: usize = 16 * 1024;

/// What answers on a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// The address probed.
    pub addr: OpenPort,
    /// Service name (`http`, `ssh`, `smtp`...), `unknown` when nothing matched.
    pub service: String,
    /// The port speaks TLS (the service runs inside it).
    pub tls: bool,
    /// Product, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// CPE 2.3 name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// Extra information (Vietnamese), e.g. "không cần xác thực".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    /// The probe that identified it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
    /// The first bytes of the response, printable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
}

impl Service {
    /// An open port whose service was not looked at.
    pub fn unidentified(addr: OpenPort) -> Service {
        Service {
            addr,
            service: "unknown".to_owned(),
            tls: false,
            product: None,
            version: None,
            cpe: None,
            info: None,
            probe: None,
            banner: None,
        }
    }

    /// `https`, `smtp`, `unknown`...: the service name with TLS folded in for HTTP.
    pub fn display_name(&self) -> String {
        match (self.service.as_str(), self.tls) {
            ("http", true) => "https".to_owned(),
            (name, true) => format!("{name}/tls"),
            (name, false) => name.to_owned(),
        }
    }
}

/// A probe database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProbeDbError {
    /// Not TOML of the expected shape.
    #[error("cơ sở dữ liệu thăm dò không đọc được: {0}")]
    Syntax(#[from] toml::de::Error),
    /// A match's pattern does not compile, or it names an unknown probe.
    #[error("mẫu so khớp thứ {index} (probe {probe}): {problem}")]
    Match {
        /// 1-based position among the matches.
        index: usize,
        /// The probe it belongs to.
        probe: String,
        /// What is wrong.
        problem: String,
    },
    /// A probe's payload has a bad escape.
    #[error("probe {probe}: {problem}")]
    Payload {
        /// The probe.
        probe: String,
        /// What is wrong.
        problem: String,
    },
}

#[derive(Debug, Deserialize)]
struct RawDb {
    #[serde(default)]
    probe: Vec<RawProbe>,
    #[serde(default, rename = "match")]
    matches: Vec<RawMatch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    name: String,
    payload: String,
    #[serde(default)]
    ports: Vec<u16>,
    #[serde(default)]
    tls: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    probe: String,
    service: String,
    pattern: String,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    info: Option<String>,
    #[serde(default)]
    cpe: Option<String>,
}

/// A probe: bytes sent on a fresh connection.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Name, referenced by matches.
    pub name: String,
    payload: String,
    ports: Vec<u16>,
    tls: bool,
}

#[derive(Debug, Clone)]
struct Match {
    probe: String,
    service: String,
    pattern: Regex,
    product: Option<String>,
    version: Option<String>,
    info: Option<String>,
    cpe: Option<String>,
}

/// The probes and what their answers mean.
#[derive(Debug, Clone)]
pub struct ProbeDb {
    probes: Vec<Probe>,
    matches: Vec<Match>,
}

/// What a match read from a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    /// Service name.
    pub service: String,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Extra information.
    pub info: Option<String>,
    /// CPE.
    pub cpe: Option<String>,
}

impl ProbeDb {
    /// Our built-in database.
    pub fn builtin() -> &'static ProbeDb {
        static DB: OnceLock<ProbeDb> = OnceLock::new();
        DB.get_or_init(|| {
            // The file ships with the binary and a unit test reads it: failing here is a bug.
            match ProbeDb::parse(include_str!("../data/probes.toml")) {
                Ok(db) => db,
                Err(error) => panic!("data/probes.toml: {error}"),
            }
        })
    }

    /// Reads a database in the format of `data/probes.toml`.
    pub fn parse(text: &str) -> Result<ProbeDb, ProbeDbError> {
        let raw: RawDb = toml::from_str(text)?;
        let mut probes = Vec::new();
        for probe in raw.probe {
            unescape(&probe.payload).map_err(|problem| ProbeDbError::Payload {
                probe: probe.name.clone(),
                problem,
            })?;
            probes.push(Probe {
                name: probe.name,
                payload: probe.payload,
                ports: probe.ports,
                tls: probe.tls,
            });
        }
        let mut matches = Vec::new();
        for (index, m) in raw.matches.into_iter().enumerate() {
            let problem = |problem: String| ProbeDbError::Match {
                index: index + 1,
                probe: m.probe.clone(),
                problem,
            };
            if !probes.iter().any(|p| p.name == m.probe) {
                return Err(problem("không có probe này".to_owned()));
            }
            let pattern =
                Regex::new(&format!("(?s-u){}", m.pattern)).map_err(|e| problem(e.to_string()))?;
            matches.push(Match {
                probe: m.probe.clone(),
                service: m.service.clone(),
                pattern,
                product: m.product.clone(),
                version: m.version.clone(),
                info: m.info.clone(),
                cpe: m.cpe.clone(),
            });
        }
        Ok(ProbeDb { probes, matches })
    }

    /// The first match of `probe`'s answer `response`.
    pub fn identify(&self, probe: &str, response: &[u8]) -> Option<Identified> {
        self.matches
            .iter()
            .filter(|m| m.probe == probe)
            .find_map(|m| {
                let captures = m.pattern.captures(response)?;
                let fill = |template: &Option<String>| -> Option<String> {
                    let template = template.as_ref()?;
                    let mut out = String::new();
                    let mut chars = template.chars().peekable();
                    while let Some(c) = chars.next() {
                        match (c, chars.peek().and_then(|d| d.to_digit(10))) {
                            ('$', Some(group)) => {
                                chars.next();
                                if let Some(value) = captures.get(group as usize) {
                                    out.push_str(&String::from_utf8_lossy(value.as_bytes()));
                                }
                            }
                            _ => out.push(c),
                        }
                    }
                    let out = out.trim().to_owned();
                    (!out.is_empty()).then_some(out)
                };
                Some(Identified {
                    service: m.service.clone(),
                    product: fill(&m.product),
                    version: fill(&m.version),
                    info: fill(&m.info),
                    cpe: fill(&m.cpe),
                })
            })
    }

    /// Probes in the order tried against `port`: the banner first, then those listing the port,
    /// then the rest.
    fn order(&self, port: u16) -> Vec<&Probe> {
        let mut ordered: Vec<&Probe> = Vec::new();
        ordered.extend(self.probes.iter().filter(|p| p.payload.is_empty()));
        ordered.extend(
            self.probes
                .iter()
                .filter(|p| !p.payload.is_empty() && p.ports.contains(&port)),
        );
        ordered.extend(
            self.probes
                .iter()
                .filter(|p| !p.payload.is_empty() && !p.ports.contains(&port)),
        );
        ordered
    }
}

/// Decodes `\r`, `\n`, `\t`, `\\`, `\0` and `\xNN` escapes.
fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = text
                    .get(i + 2..i + 4)
                    .ok_or_else(|| format!("«\\x» thiếu hai chữ số ở vị trí {i}"))?;
                out.push(
                    u8::from_str_radix(hex, 16)
                        .map_err(|_| format!("«\\x{hex}» không phải số hex ở vị trí {i}"))?,
                );
                i += 2;
            }
            _ => return Err(format!("dãy thoát không hợp lệ ở vị trí {i}")),
        }
        i += 2;
    }
    Ok(out)
}

/// How long identification waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentifyOptions {
    /// Connecting, and the TLS handshake.
    pub connect_timeout: Duration,
    /// Waiting for a service that speaks first.
    pub banner_wait: Duration,
    /// Waiting for the answer to a probe.
    pub read_wait: Duration,
    /// Try every probe, not only those for the port plus HTTP.
    pub all_probes: bool,
}

impl Default for IdentifyOptions {
    fn default() -> Self {
        IdentifyOptions {
            connect_timeout: Duration::from_secs(3),
            banner_wait: Duration::from_millis(1500),
            read_wait: Duration::from_secs(3),
            all_probes: false,
        }
    }
}

/// Identifies the service on `port`; `host` is the target's name (for SNI and `Host:`).
pub async fn identify(
    db: &ProbeDb,
    host: &str,
    port: OpenPort,
    options: &IdentifyOptions,
) -> Service {
    let mut service = Service::unidentified(port);
    let addr = port.addr();
    let probes = db.order(port.port);
    let mut tls = None;
    if TLS_FIRST_PORTS.contains(&port.port) {
        tls = Some(speaks_tls(addr, host, options).await);
    }
    if tls != Some(true) {
        for probe in &probes {
            if !should_try(probe, port.port, options) {
                continue;
            }
            let Ok(payload) = unescape(&probe.payload.replace("{host}", host)) else {
                continue;
            };
            let wait = if payload.is_empty() {
                options.banner_wait
            } else {
                options.read_wait
            };
            let Some(response) = exchange_plain(addr, &payload, wait, options).await else {
                continue;
            };
            if service.banner.is_none() && !response.is_empty() {
                service.banner = Some(printable(&response));
            }
            if let Some(found) = db.identify(&probe.name, &response) {
                apply(&mut service, found, &probe.name);
                return service;
            }
            // A TLS alert or handshake in answer to plaintext: the port speaks TLS.
            if response.len() >= 2
                && (response[0] == 0x15 || response[0] == 0x16)
                && response[1] == 3
            {
                break;
            }
        }
    }
    let speaks = match tls {
        Some(known) => known,
        None => speaks_tls(addr, host, options).await,
    };
    if !speaks {
        return service;
    }
    service.tls = true;
    service.service = "tls".to_owned();
    for probe in probes
        .iter()
        .filter(|p| p.tls && should_try(p, port.port, options))
    {
        let Ok(payload) = unescape(&probe.payload.replace("{host}", host)) else {
            continue;
        };
        let Some(response) = exchange_tls(addr, host, &payload, options).await else {
            continue;
        };
        if !response.is_empty() {
            service.banner = Some(printable(&response));
        }
        if let Some(found) = db.identify(&probe.name, &response) {
            apply(&mut service, found, &probe.name);
            break;
        }
    }
    service
}

fn should_try(probe: &Probe, port: u16, options: &IdentifyOptions) -> bool {
    options.all_probes
        || probe.payload.is_empty()
        || probe.ports.contains(&port)
        || probe.name == "http"
}

fn apply(service: &mut Service, found: Identified, probe: &str) {
    service.service = found.service;
    service.product = found.product;
    service.version = found.version;
    service.info = found.info;
    service.cpe = found.cpe;
    service.probe = Some(probe.to_owned());
}

/// Printable excerpt of a response: text kept, other bytes as `\xNN`, at most 256 bytes.
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(256) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

async fn exchange_plain(
    addr: SocketAddr,
    payload: &[u8],
    wait: Duration,
    options: &IdentifyOptions,
) -> Option<Vec<u8>> {
    let stream = tokio::time::timeout(options.connect_timeout, TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    let response = exchange(stream, payload, wait).await;
    Some(response)
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    payload: &[u8],
    wait: Duration,
) -> Vec<u8> {
    if !payload.is_empty() && stream.write_all(payload).await.is_err() {
        return Vec::new();
    }
    let mut response = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await;
        match read {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                response.extend_from_slice(&buffer[..n]);
                // One complete line of a text banner, or enough bytes, is enough to judge.
                if response.len() >= RESPONSE_CAP
                    || (payload.is_empty() && response.ends_with(b"\n"))
                    || (!payload.is_empty() && looks_complete(&response))
                {
                    break;
                }
            }
        }
    }
    response.truncate(RESPONSE_CAP);
    response
}

/// An HTTP response with its whole body, or a binary answer: no need to wait for more.
fn looks_complete(response: &[u8]) -> bool {
    if !response.starts_with(b"HTTP/") {
        return !response.is_empty() && !response.iter().all(u8::is_ascii);
    }
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(length) => response.len() >= end + 4 + length,
        None => false,
    }
}

/// A TLS client that accepts any certificate: the scanner must reach misconfigured servers (the
/// TLS review judges their certificates). The template engine's, shared.
pub(crate) fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| canhgac_nuclei::client::tls_connector().config().clone())
        .clone()
}

async fn tls_connect(
    addr: SocketAddr,
    host: &str,
    options: &IdentifyOptions,
) -> Option<tokio_rustls::client::TlsStream<TcpStream>> {
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .unwrap_or_else(|_| rustls::pki_types::ServerName::IpAddress(addr.ip().into()));
    let connector = tokio_rustls::TlsConnector::from(tls_config());
    tokio::time::timeout(options.connect_timeout, async {
        let stream = TcpStream::connect(addr).await.ok()?;
        connector.connect(name, stream).await.ok()
    })
    .await
    .ok()
    .flatten()
}

async fn speaks_tls(addr: SocketAddr, host: &str, options: &IdentifyOptions) -> bool {
    tls_connect(addr, host, options).await.is_some()
}

async fn exchange_tls(
    addr: SocketAddr,
    host: &str,
    payload: &[u8],
    options: &IdentifyOptions,
) -> Option<Vec<u8>> {
    let stream = tls_connect(addr, host, options).await?;
    Some(exchange(stream, payload, options.read_wait).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use tokio::net::TcpListener;

    #[test]
    fn the_builtin_database_loads_and_escapes_decode() {
        let db = ProbeDb::builtin();
        assert!(db.probes.len() >= 10);
        for probe in &db.probes {
            unescape(&probe.payload).unwrap();
        }
        assert_eq!(unescape("a\\r\\n\\x00\\x7f").unwrap(), b"a\r\n\x00\x7f");
        assert!(unescape("\\x4").is_err());
        assert!(unescape("\\q").is_err());
    }

    #[test]
    fn a_broken_database_names_the_match() {
        let text = "[[probe]]\nname='banner'\npayload=''\n[[match]]\nprobe='banner'\nservice='x'\npattern='('\n";
        let error = ProbeDb::parse(text).unwrap_err().to_string();
        assert!(error.contains("mẫu so khớp thứ 1"), "{error}");
        let text = "[[match]]\nprobe='nope'\nservice='x'\npattern='a'\n";
        assert!(ProbeDb::parse(text)
            .unwrap_err()
            .to_string()
            .contains("không có probe"));
    }

    #[test]
    fn banners_name_products_and_versions() {
        let db = ProbeDb::builtin();
        let ssh = db
            .identify("banner", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
            .unwrap();
        assert_eq!(ssh.service, "ssh");
        assert_eq!(ssh.version.as_deref(), Some("9.2p1"));
        assert_eq!(
            ssh.cpe.as_deref(),
            Some("cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*")
        );
        let smtp = db
            .identify(
                "banner",
                b"220 mail.sotttt.gov.vn ESMTP Postfix (Debian/GNU)\r\n",
            )
            .unwrap();
        assert_eq!(
            (smtp.service.as_str(), smtp.product.as_deref()),
            ("smtp", Some("Postfix"))
        );
        let mysql = db
            .identify("banner", b"J\x00\x00\x00\x0a8.0.36\x00\x08\x00\x00\x00abc")
            .unwrap();
        assert_eq!(
            (mysql.product.as_deref(), mysql.version.as_deref()),
            (Some("MySQL"), Some("8.0.36"))
        );
        let apache = db
            .identify(
                "http",
                b"HTTP/1.1 200 OK\r\nDate: x\r\nServer: Apache/2.4.49 (Unix)\r\n\r\n",
            )
            .unwrap();
        assert_eq!(apache.version.as_deref(), Some("2.4.49"));
        let redis = db
            .identify("redis", b"-NOAUTH Authentication required.\r\n")
            .unwrap();
        assert_eq!(redis.info.as_deref(), Some("cần xác thực"));
        assert!(db.identify("banner", b"\x00\x01garbage").is_none());
    }

    async fn serve_once(reply: &'static [u8], speaks_first: bool) -> OpenPort {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if !speaks_first {
                        let mut buffer = [0u8; 1024];
                        let _ = stream.read(&mut buffer).await;
                    }
                    let _ = stream.write_all(reply).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        OpenPort {
            ip: Ipv4Addr::LOCALHOST.into(),
            port,
        }
    }

    fn quick() -> IdentifyOptions {
        IdentifyOptions {
            banner_wait: Duration::from_millis(300),
            read_wait: Duration::from_millis(800),
            ..IdentifyOptions::default()
        }
    }

    #[tokio::test]
    async fn identifies_real_services_on_loopback() {
        let db = ProbeDb::builtin();
        let ssh = serve_once(b"SSH-2.0-OpenSSH_8.4p1\r\n", true).await;
        let found = identify(db, "127.0.0.1", ssh, &quick()).await;
        assert_eq!(found.service, "ssh");
        assert_eq!(found.version.as_deref(), Some("8.4p1"));

        let http = serve_once(
            b"HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\nContent-Length: 2\r\n\r\nok",
            false,
        )
        .await;
        let found = identify(db, "127.0.0.1", http, &quick()).await;
        assert_eq!(found.service, "http");
        assert_eq!(found.product.as_deref(), Some("nginx"));
        assert_eq!(found.version.as_deref(), Some("1.18.0"));
        assert!(!found.tls);

        let silent = serve_once(b"", false).await;
        let found = identify(db, "127.0.0.1", silent, &quick()).await;
        assert_eq!(found.service, "unknown");
    }
}
