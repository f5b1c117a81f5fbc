//! DNS client of canhgac: one question to one resolver, answered as text.
//!
//! A [`Resolver`] sends a recursive question over UDP (with EDNS(0), so most answers fit one
//! datagram), retries over TCP when the answer comes back truncated, checks the message id and
//! gives an [`Answer`]: the response code by name (`NOERROR`, `NXDOMAIN`...) and every record in
//! a stable text form (`10 mail.example.vn` for MX, TXT strings joined, names lower-case without
//! the final dot). The watch's DNS monitor, the mail posture checks and the scanner all ask
//! through it.
//!
//! Behind the `zone-server` feature, `zone::ZoneServer` serves a fixed in-memory zone on
//! loopback, for tests of this and other crates.
//!
//! ```no_run
//! # async fn demo() -> Result<(), canhgac_dns::DnsError> {
//! use canhgac_dns::{RecordType, Resolver};
//! let resolver = Resolver::from_config(None)?; // the system's first nameserver
//! let answer = resolver.lookup("example.gov.vn", RecordType::MX).await?;
//! for mx in answer.texts(RecordType::MX) {
//!     println!("{mx}");
//! }
//! # Ok(()) }
//! ```

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record as WireRecord};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

pub use hickory_proto::rr::RecordType;

#[cfg(feature = "zone-server")]
pub mod zone;

/// The UDP payload size we advertise: the DNS flag day 2020 value, which avoids fragmentation.
const EDNS_PAYLOAD: u16 = 1232;

/// How long a UDP question waits before it is sent again.
const UDP_RETRY_AFTER: Duration = Duration::from_millis(800);

/// Largest DNS message accepted over TCP.
const TCP_MESSAGE_CAP: usize = 65_535;

/// Why a question got no answer.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// The configured resolver is not an IP address (with an optional port).
    #[error("Máy chủ DNS «{0}» không hợp lệ: cần địa chỉ IP, có thể kèm :cổng")]
    BadResolver(String),
    /// No resolver configured and none found in /etc/resolv.conf.
    #[error("Không biết hỏi máy chủ DNS nào: hãy nhập máy chủ DNS (không đọc được nameserver trong /etc/resolv.conf)")]
    NoSystemResolver,
    /// The name asked about is not a valid domain name.
    #[error("Tên miền «{0}» không hợp lệ")]
    BadName(String),
    /// The question could not be encoded.
    #[error("Không tạo được câu hỏi DNS: {0}")]
    Encode(String),
    /// A network operation failed.
    #[error("DNS {resolver}: {action}: {}", io_text(.source))]
    Io {
        /// The resolver asked.
        resolver: SocketAddr,
        /// What was being done, in Vietnamese.
        action: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// No answer within the timeout.
    #[error("DNS {resolver}: hết thời gian chờ trả lời sau {} ms", .timeout.as_millis())]
    Timeout {
        /// The resolver asked.
        resolver: SocketAddr,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// The answer over TCP was not a valid response to our question.
    #[error("DNS {0} (TCP): trả lời không hợp lệ")]
    BadResponse(SocketAddr),
}

fn io_text(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => "kết nối bị từ chối (cổng đóng)".to_owned(),
        io::ErrorKind::ConnectionReset => "kết nối bị ngắt".to_owned(),
        io::ErrorKind::HostUnreachable => "không tới được máy".to_owned(),
        io::ErrorKind::NetworkUnreachable => "không tới được mạng".to_owned(),
        io::ErrorKind::UnexpectedEof => "máy chủ đóng kết nối giữa chừng".to_owned(),
        _ => error.to_string(),
    }
}

/// One resource record in text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The owner name, lower-case ASCII (IDNA) without the final dot.
    pub name: String,
    /// The record's type.
    pub record_type: RecordType,
    /// Time to live, in seconds.
    pub ttl: u32,
    /// The data in text form, see [`record_text`].
    pub text: String,
}

/// A resolver's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The response code by name: `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`... (`RCODE<n>` for
    /// others).
    pub rcode: String,
    /// The answer section, in the order received (a CNAME chain included).
    pub records: Vec<Record>,
    /// The authority section.
    pub authority: Vec<Record>,
    /// The additional section (the EDNS OPT pseudo-record excluded).
    pub additional: Vec<Record>,
    /// The answer came over TCP after a truncated UDP answer.
    pub over_tcp: bool,
}

impl Answer {
    /// The name exists and the question was answered (possibly with no record of the type).
    pub fn is_noerror(&self) -> bool {
        self.rcode == "NOERROR"
    }

    /// The name does not exist.
    pub fn is_nxdomain(&self) -> bool {
        self.rcode == "NXDOMAIN"
    }

    /// Texts of the answer records of one type, in the order received.
    pub fn texts(&self, record_type: RecordType) -> Vec<String> {
        self.records
            .iter()
            .filter(|r| r.record_type == record_type)
            .map(|r| r.text.clone())
            .collect()
    }
}

/// One resolver asked over UDP, then TCP when the answer is truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolver {
    addr: SocketAddr,
    timeout: Duration,
}

impl Resolver {
    /// The default timeout of one question (UDP and TCP together).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// A resolver at `addr`; each lookup is bounded by `timeout`.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Resolver { addr, timeout }
    }

    /// The resolver as configured: `ip:port`, `ip` or `[ipv6]` (port 53), or, when nothing is
    /// configured, the first nameserver of /etc/resolv.conf. Timeout [`Self::DEFAULT_TIMEOUT`].
    pub fn from_config(configured: Option<&str>) -> Result<Resolver, DnsError> {
        let addr = resolver_address(configured, || {
            std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default()
        })?;
        Ok(Resolver::new(addr, Self::DEFAULT_TIMEOUT))
    }

    /// The same resolver with another timeout.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Resolver { timeout, ..self }
    }

    /// The resolver's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The timeout of one lookup.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks for the records of `record_type` at `name` (a domain name, Unicode or ASCII, with
    /// or without the final dot).
    pub async fn lookup(&self, name: &str, record_type: RecordType) -> Result<Answer, DnsError> {
        let trimmed = name.trim().trim_end_matches('.');
        let wire_name = Name::from_utf8(format!("{trimmed}."))
            .map_err(|_| DnsError::BadName(trimmed.to_owned()))?;
        let mut query = Message::query();
        query.metadata.recursion_desired = true;
        query.add_query(Query::query(wire_name, record_type));
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        query.set_edns(edns);
        let id = query.metadata.id;
        let bytes = query
            .to_vec()
            .map_err(|e| DnsError::Encode(e.to_string()))?;
        let resolver = self.addr;
        let exchange = async {
            let response = exchange_udp(resolver, &bytes, id).await?;
            if response.metadata.truncation {
                let response = exchange_tcp(resolver, &bytes, id).await?;
                Ok((response, true))
            } else {
                Ok((response, false))
            }
        };
        let (response, over_tcp) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| DnsError::Timeout {
                resolver,
                timeout: self.timeout,
            })??;
        Ok(Answer {
            rcode: rcode_name(response.metadata.response_code),
            records: texts_of(&response.answers),
            authority: texts_of(&response.authorities),
            additional: texts_of(&response.additionals),
            over_tcp,
        })
    }
}

fn texts_of(records: &[WireRecord]) -> Vec<Record> {
    records
        .iter()
        .filter(|r| r.record_type() != RecordType::OPT)
        .map(|r| Record {
            name: name_text(&r.name),
            record_type: r.record_type(),
            ttl: r.ttl,
            text: record_text(&r.data),
        })
        .collect()
}

/// `ip:port`, `ip` (port 53), or the first nameserver of the resolv.conf text `read_conf` gives.
fn resolver_address(
    configured: Option<&str>,
    read_conf: impl FnOnce() -> String,
) -> Result<SocketAddr, DnsError> {
    if let Some(text) = configured.map(str::trim).filter(|t| !t.is_empty()) {
        if let Ok(address) = text.parse::<SocketAddr>() {
            return Ok(address);
        }
        if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, 53));
        }
        return Err(DnsError::BadResolver(text.to_owned()));
    }
    system_resolver(&read_conf()).ok_or(DnsError::NoSystemResolver)
}

/// The first `nameserver` line of a resolv.conf (a zone index such as `%eth0` dropped).
fn system_resolver(conf: &str) -> Option<SocketAddr> {
    conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != "nameserver" {
            return None;
        }
        let address = words.next()?.split('%').next()?;
        address
            .parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

async fn exchange_udp(resolver: SocketAddr, query: &[u8], id: u16) -> Result<Message, DnsError> {
    let io_error = |action: &'static str| {
        move |source| DnsError::Io {
            resolver,
            action,
            source,
        }
    };
    let local: SocketAddr = if resolver.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(io_error("không mở được cổng UDP"))?;
    socket
        .connect(resolver)
        .await
        .map_err(io_error("không kết nối được"))?;
    let mut buffer = vec![0u8; 4096];
    // A lost datagram is retried after a pause; the caller's timeout bounds the whole wait.
    loop {
        socket
            .send(query)
            .await
            .map_err(io_error("không gửi được câu hỏi"))?;
        let wait = tokio::time::timeout(UDP_RETRY_AFTER, async {
            loop {
                let read = socket
                    .recv(&mut buffer)
                    .await
                    .map_err(io_error("không nhận được trả lời"))?;
                // Stray or forged datagrams (another id) are skipped.
                if let Some(message) = decode_response(&buffer[..read], id) {
                    return Ok(message);
                }
            }
        });
        if let Ok(result) = wait.await {
            return result;
        }
    }
}

async fn exchange_tcp(resolver: SocketAddr, query: &[u8], id: u16) -> Result<Message, DnsError> {
    let io_error = |action: &'static str| {
        move |source| DnsError::Io {
            resolver,
            action,
            source,
        }
    };
    let mut stream = TcpStream::connect(resolver)
        .await
        .map_err(io_error("không kết nối TCP được"))?;
    let length =
        u16::try_from(query.len()).map_err(|_| DnsError::Encode("câu hỏi quá dài".into()))?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    stream
        .write_all(&framed)
        .await
        .map_err(io_error("không gửi được câu hỏi qua TCP"))?;
    let mut length = [0u8; 2];
    stream
        .read_exact(&mut length)
        .await
        .map_err(io_error("không nhận được trả lời qua TCP"))?;
    let length = usize::from(u16::from_be_bytes(length)).min(TCP_MESSAGE_CAP);
    let mut buffer = vec![0u8; length];
    stream
        .read_exact(&mut buffer)
        .await
        .map_err(io_error("không nhận được trả lời qua TCP"))?;
    decode_response(&buffer, id).ok_or(DnsError::BadResponse(resolver))
}

fn decode_response(bytes: &[u8], id: u16) -> Option<Message> {
    let message = Message::from_vec(bytes).ok()?;
    (message.metadata.id == id && message.metadata.message_type == MessageType::Response)
        .then_some(message)
}

/// A response code by name.
pub fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::NXDomain => "NXDOMAIN".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        other => format!("RCODE{}", u16::from(other)),
    }
}

/// A domain name as shown and compared: lower-case ASCII (IDNA), no final dot.
pub fn name_text(name: &Name) -> String {
    let text = name.to_ascii();
    let text = text.trim_end_matches('.');
    if text.is_empty() {
        ".".to_owned()
    } else {
        text.to_ascii_lowercase()
    }
}

/// A domain name written by a user in the form answers show names (IDNA ASCII, lower-case, no
/// final dot); `None` when it is not a valid name.
pub fn domain_text(name: &str) -> Option<String> {
    let trimmed = name.trim().trim_end_matches('.');
    Name::from_utf8(format!("{trimmed}."))
        .ok()
        .map(|n| name_text(&n))
}

/// The text form of record data: an address for A and AAAA, `preference host` for MX, the name
/// for NS, CNAME and PTR, the strings joined for TXT (as SPF, DKIM and DMARC read them),
/// `mname rname serial refresh retry expire minimum` for SOA, `priority weight port target` for
/// SRV, `flags tag "value"` for CAA, `usage selector matching hex` for TLSA; the presentation
/// format for other types.
pub fn record_text(data: &RData) -> String {
    match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(aaaa) => aaaa.0.to_string(),
        RData::MX(mx) => format!("{} {}", mx.preference, name_text(&mx.exchange)),
        RData::NS(ns) => name_text(&ns.0),
        RData::CNAME(cname) => name_text(&cname.0),
        RData::PTR(ptr) => name_text(&ptr.0),
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|part| String::from_utf8_lossy(part))
            .collect::<String>(),
        RData::SOA(soa) => format!(
            "{} {} {} {} {} {} {}",
            name_text(&soa.mname),
            name_text(&soa.rname),
            soa.serial,
            soa.refresh,
            soa.retry,
            soa.expire,
            soa.minimum
        ),
        RData::SRV(srv) => format!(
            "{} {} {} {}",
            srv.priority,
            srv.weight,
            srv.port,
            name_text(&srv.target)
        ),
        // CAA and TLSA print in their presentation form already.
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_resolver_is_the_first_nameserver() {
        let conf = "# comment\nsearch x\nnameserver fe80::1%eth0\nnameserver 10.0.0.53\n";
        assert_eq!(system_resolver(conf), Some("[fe80::1]:53".parse().unwrap()));
        assert_eq!(system_resolver("options ndots:1\n"), None);
    }

    #[test]
    fn configured_resolvers_are_ip_with_optional_port() {
        let no_conf = String::new;
        assert_eq!(
            resolver_address(Some("127.0.0.1:5353"), no_conf).unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            resolver_address(Some(" ::1 "), no_conf).unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert_eq!(
            resolver_address(Some("[2001:db8::1]"), no_conf).unwrap(),
            "[2001:db8::1]:53".parse().unwrap()
        );
        assert!(matches!(
            resolver_address(Some("dns.google"), no_conf),
            Err(DnsError::BadResolver(_))
        ));
        assert!(matches!(
            resolver_address(None, no_conf),
            Err(DnsError::NoSystemResolver)
        ));
        assert_eq!(
            resolver_address(Some(""), || "nameserver 10.0.0.53\n".to_owned()).unwrap(),
            "10.0.0.53:53".parse().unwrap()
        );
    }

    #[test]
    fn record_texts_are_stable() {
        use hickory_proto::rr::rdata::{MX, SOA, SRV, TXT};
        let name = |s: &str| Name::from_ascii(s).unwrap();
        assert_eq!(
            record_text(&RData::MX(MX::new(10, name("Mail.Example.VN.")))),
            "10 mail.example.vn"
        );
        assert_eq!(
            record_text(&RData::TXT(TXT::new(vec![
                "v=spf1 include:a.vn ".into(),
                "-all".into()
            ]))),
            "v=spf1 include:a.vn -all"
        );
        assert_eq!(
            record_text(&RData::SRV(SRV::new(0, 5, 443, name("web.example.vn.")))),
            "0 5 443 web.example.vn"
        );
        assert_eq!(
            record_text(&RData::SOA(SOA::new(
                name("ns1.example.vn."),
                name("hostmaster.example.vn."),
                7,
                3600,
                600,
                86400,
                300
            ))),
            "ns1.example.vn hostmaster.example.vn 7 3600 600 86400 300"
        );
        assert_eq!(
            record_text(
                &RData::try_from_str(RecordType::CAA, "0 issue \"ca.example.vn\"").unwrap()
            ),
            "0 issue \"ca.example.vn\""
        );
    }

    #[test]
    fn user_names_take_the_answers_form() {
        assert_eq!(
            domain_text(" Mail.Example.VN. ").as_deref(),
            Some("mail.example.vn")
        );
        let idn = domain_text("Cổng.vn").unwrap();
        assert!(idn.starts_with("xn--") && idn.ends_with(".vn"), "{idn}");
        assert_eq!(domain_text("a..b"), None);
    }

    #[test]
    fn a_bad_name_is_refused_before_sending() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let resolver = Resolver::new("127.0.0.1:9".parse().unwrap(), Duration::from_secs(1));
        let result = runtime.block_on(resolver.lookup("a..b", RecordType::A));
        assert!(matches!(result, Err(DnsError::BadName(_))), "{result:?}");
    }
}
