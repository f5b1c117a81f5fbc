//! The DNS check: one question to one resolver, answers compared with the expected values.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use hickory_proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use crate::conditions::Condition;
use crate::{text, Session, Verdict};

/// Largest DNS message accepted over TCP.
const TCP_MESSAGE_CAP: usize = 65_535;

pub(crate) async fn check(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    let settings = &session.input.settings;
    let type_name = settings
        .record_type
        .as_deref()
        .unwrap_or("A")
        .trim()
        .to_ascii_uppercase();
    let record_type = match type_name.as_str() {
        "A" => RecordType::A,
        "AAAA" => RecordType::AAAA,
        "MX" => RecordType::MX,
        "NS" => RecordType::NS,
        "TXT" => RecordType::TXT,
        "CNAME" => RecordType::CNAME,
        other => {
            return Verdict::fail(format!(
                "Loại bản ghi «{other}» không được hỗ trợ (A, AAAA, MX, NS, TXT, CNAME)"
            ))
        }
    };
    let domain = session.input.target.trim().trim_end_matches('.').to_owned();
    let Ok(name) = Name::from_utf8(format!("{domain}.")) else {
        return Verdict::fail(format!("Tên miền «{domain}» không hợp lệ"));
    };
    let resolver = match resolver_address(settings.resolver.as_deref()) {
        Ok(resolver) => resolver,
        Err(problem) => return Verdict::fail(problem),
    };
    let expected: BTreeSet<String> = settings
        .expected
        .iter()
        .map(|e| normalise_expected(record_type, e))
        .filter(|e| !e.is_empty())
        .collect();
    session.detail("resolver", resolver.to_string());
    session.detail("record_type", type_name.clone());

    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(name, record_type));
    let id = query.metadata.id;
    let bytes = match query.to_vec() {
        Ok(bytes) => bytes,
        Err(error) => return Verdict::fail(format!("Không tạo được câu hỏi DNS: {error}")),
    };

    let started = Instant::now();
    session.stage = Some(format!("chờ trả lời từ máy chủ DNS {resolver}"));
    let mut response = match exchange_udp(resolver, &bytes, id).await {
        Ok(response) => response,
        Err(problem) => return Verdict::fail(format!("DNS {resolver}: {problem}")),
    };
    if response.metadata.truncation {
        session.stage = Some(format!("chờ trả lời qua TCP từ {resolver}"));
        response = match exchange_tcp(resolver, &bytes, id).await {
            Ok(response) => response,
            Err(problem) => return Verdict::fail(format!("DNS {resolver} (TCP): {problem}")),
        };
    }
    session.set_latency(started.elapsed());
    session.context.connected = true;
    let rcode = rcode_name(response.metadata.response_code);
    session.context.dns_rcode = Some(rcode.clone());
    session.detail("rcode", rcode.clone());

    let answers: BTreeSet<String> = response
        .answers
        .iter()
        .filter(|r| r.record_type() == record_type)
        .filter_map(|r| normalise_answer(&r.data))
        .collect();
    let answers: Vec<String> = answers.into_iter().collect();
    session.context.ip = answers
        .iter()
        .find(|a| a.parse::<IpAddr>().is_ok())
        .cloned();
    session.context.body = Some(answers.join("\n"));
    session.detail("answers", answers.clone());
    session.dns_answers = Some(answers.clone());

    let ms = started.elapsed().as_millis();
    let mut problems = Vec::new();
    if conditions.is_empty() {
        if response.metadata.response_code != ResponseCode::NoError {
            problems.push(format!("máy chủ trả lời {rcode}"));
        } else if answers.is_empty() {
            problems.push("không có bản ghi".to_owned());
        }
    }
    // Compared as the user wrote them: MX without preferences compares the hosts only.
    let compared: BTreeSet<String> = if record_type == RecordType::MX
        && !expected.is_empty()
        && expected.iter().all(|e| !e.contains(' '))
    {
        answers
            .iter()
            .map(|a| a.rsplit(' ').next().unwrap_or(a).to_owned())
            .collect()
    } else {
        answers.iter().cloned().collect()
    };
    if !expected.is_empty() && compared != expected {
        let missing: Vec<&String> = expected.difference(&compared).collect();
        let unexpected: Vec<&String> = compared.difference(&expected).collect();
        session.detail("expected", expected.iter().cloned().collect::<Vec<_>>());
        session.detail(
            "missing",
            missing.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        session.detail(
            "unexpected",
            unexpected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        let mut change = Vec::new();
        if !missing.is_empty() {
            change.push(format!("thiếu {}", join(&missing)));
        }
        if !unexpected.is_empty() {
            change.push(format!("có thêm {}", join(&unexpected)));
        }
        problems.push(format!("khác giá trị mong đợi: {}", change.join(", ")));
    }
    problems.extend(session.failed_conditions(conditions));

    let shown = if answers.is_empty() {
        format!("không có bản ghi ({rcode})")
    } else {
        text::clip(&answers.join(", "), 200)
    };
    let headline = format!("DNS {type_name} {domain}: {shown} ({ms} ms)");
    Verdict::from_problems(headline, &problems)
}

fn join(values: &[&String]) -> String {
    text::clip(
        &values
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        200,
    )
}

/// `ip:port`, `ip` (port 53), or the first nameserver of /etc/resolv.conf.
fn resolver_address(configured: Option<&str>) -> Result<SocketAddr, String> {
    if let Some(text) = configured.map(str::trim).filter(|t| !t.is_empty()) {
        if let Ok(address) = text.parse::<SocketAddr>() {
            return Ok(address);
        }
        if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, 53));
        }
        return Err(format!(
            "Máy chủ DNS «{text}» không hợp lệ: cần địa chỉ IP, có thể kèm :cổng"
        ));
    }
    let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    system_resolver(&conf).ok_or_else(|| {
        "Không biết hỏi máy chủ DNS nào: hãy nhập máy chủ DNS cho giám sát (không đọc được /etc/resolv.conf)"
            .to_owned()
    })
}

fn system_resolver(conf: &str) -> Option<SocketAddr> {
    conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != "nameserver" {
            return None;
        }
        let address = words.next()?;
        let address = address.split('%').next()?;
        address
            .parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

async fn exchange_udp(resolver: SocketAddr, query: &[u8], id: u16) -> Result<Message, String> {
    let local: SocketAddr = if resolver.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| format!("không mở được cổng UDP: {e}"))?;
    socket
        .connect(resolver)
        .await
        .map_err(|e| crate::net::connect_error(&e))?;
    socket
        .send(query)
        .await
        .map_err(|e| format!("không gửi được câu hỏi: {}", crate::net::connect_error(&e)))?;
    let mut buffer = vec![0u8; 4096];
    loop {
        let read = socket
            .recv(&mut buffer)
            .await
            .map_err(|e| format!("không nhận được trả lời: {}", crate::net::connect_error(&e)))?;
        // Stray or forged datagrams (another id) are skipped; the timeout bounds the wait.
        if let Some(message) = decode_response(&buffer[..read], id) {
            return Ok(message);
        }
    }
}

async fn exchange_tcp(resolver: SocketAddr, query: &[u8], id: u16) -> Result<Message, String> {
    let mut stream = TcpStream::connect(resolver)
        .await
        .map_err(|e| crate::net::connect_error(&e))?;
    let length = u16::try_from(query.len()).map_err(|_| "câu hỏi quá dài".to_owned())?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    stream
        .write_all(&framed)
        .await
        .map_err(|e| crate::net::connect_error(&e))?;
    let mut length = [0u8; 2];
    stream
        .read_exact(&mut length)
        .await
        .map_err(|e| crate::net::connect_error(&e))?;
    let length = usize::from(u16::from_be_bytes(length)).min(TCP_MESSAGE_CAP);
    let mut buffer = vec![0u8; length];
    stream
        .read_exact(&mut buffer)
        .await
        .map_err(|e| crate::net::connect_error(&e))?;
    decode_response(&buffer, id).ok_or_else(|| "trả lời DNS không hợp lệ".to_owned())
}

fn decode_response(bytes: &[u8], id: u16) -> Option<Message> {
    let message = Message::from_vec(bytes).ok()?;
    (message.metadata.id == id && message.metadata.message_type == MessageType::Response)
        .then_some(message)
}

fn rcode_name(code: ResponseCode) -> String {
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

fn name_text(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

/// An answer as compared and shown.
fn normalise_answer(data: &RData) -> Option<String> {
    Some(match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(aaaa) => aaaa.0.to_string(),
        RData::MX(mx) => format!("{} {}", mx.preference, name_text(&mx.exchange)),
        RData::NS(ns) => name_text(&ns.0),
        RData::CNAME(cname) => name_text(&cname.0),
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|part| String::from_utf8_lossy(part))
            .collect::<String>(),
        _ => return None,
    })
}

/// An expected value written by a user, in the form answers take.
fn normalise_expected(record_type: RecordType, value: &str) -> String {
    let value = value.trim();
    let name = |text: &str| {
        let text = text.trim().trim_end_matches('.');
        Name::from_utf8(format!("{text}."))
            .map(|n| name_text(&n))
            .unwrap_or_else(|_| text.to_ascii_lowercase())
    };
    match record_type {
        RecordType::A | RecordType::AAAA => value
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .unwrap_or_else(|_| value.to_owned()),
        RecordType::MX => match value.split_once(char::is_whitespace) {
            Some((preference, host)) if preference.parse::<u16>().is_ok() => {
                format!(
                    "{} {}",
                    preference.parse::<u16>().unwrap_or_default(),
                    name(host)
                )
            }
            _ => name(value),
        },
        RecordType::NS | RecordType::CNAME => name(value),
        RecordType::TXT => value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value)
            .to_owned(),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_values_take_the_answers_form() {
        assert_eq!(normalise_expected(RecordType::A, " 10.0.0.1 "), "10.0.0.1");
        assert_eq!(
            normalise_expected(RecordType::AAAA, "2001:DB8::0:1"),
            "2001:db8::1"
        );
        assert_eq!(
            normalise_expected(RecordType::MX, "10  Mail.Example.VN."),
            "10 mail.example.vn"
        );
        assert_eq!(
            normalise_expected(RecordType::MX, "mail.example.vn"),
            "mail.example.vn"
        );
        assert_eq!(
            normalise_expected(RecordType::NS, "NS1.Example.vn."),
            "ns1.example.vn"
        );
        assert_eq!(
            normalise_expected(RecordType::TXT, "\"v=spf1 -all\""),
            "v=spf1 -all"
        );
        let idn = normalise_expected(RecordType::CNAME, "Cổng.vn");
        assert!(idn.starts_with("xn--") && idn.ends_with(".vn"), "{idn}");
    }

    #[test]
    fn the_system_resolver_is_the_first_nameserver() {
        let conf = "# comment\nsearch x\nnameserver fe80::1%eth0\nnameserver 10.0.0.53\n";
        assert_eq!(system_resolver(conf), Some("[fe80::1]:53".parse().unwrap()));
        assert_eq!(system_resolver("options ndots:1\n"), None);
        assert_eq!(
            resolver_address(Some("127.0.0.1:5353")),
            Ok("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            resolver_address(Some("::1")),
            Ok("[::1]:53".parse().unwrap())
        );
        assert!(resolver_address(Some("dns.google")).is_err());
    }
}
