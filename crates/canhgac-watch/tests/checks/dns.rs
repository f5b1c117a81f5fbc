//! DNS checks against a tiny DNS server whose records the tests change.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use canhgac_model::MonitorKind;
use canhgac_watch::CheckOptions;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{A, MX, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

use crate::support::{check, input};

type Zone = Arc<Mutex<HashMap<(String, RecordType), Vec<RData>>>>;

/// Answers from `zone`; NXDOMAIN for names it does not hold. With `truncate`, UDP answers are
/// empty and truncated, and the full answer comes over TCP on the same port.
async fn start_dns(zone: Zone, truncate: bool) -> SocketAddr {
    // The system picks the UDP port; the same TCP port may be taken by another test's
    // connection, so try again with another port rather than fail.
    let mut bound = None;
    for _ in 0..32 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        if let Ok(tcp) = TcpListener::bind(addr).await {
            bound = Some((udp, addr, tcp));
            break;
        }
    }
    let (udp, addr, tcp) = bound.expect("a UDP and TCP port pair on 127.0.0.1");
    let udp_zone = zone.clone();
    tokio::spawn(async move {
        let mut buffer = [0u8; 512];
        while let Ok((read, peer)) = udp.recv_from(&mut buffer).await {
            let Some(mut reply) = answer(&udp_zone, &buffer[..read]) else {
                continue;
            };
            if truncate {
                reply.answers.clear();
                reply.metadata.truncation = true;
            }
            let _ = udp.send_to(&reply.to_vec().unwrap(), peer).await;
        }
    });
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = tcp.accept().await {
            let mut length = [0u8; 2];
            if stream.read_exact(&mut length).await.is_err() {
                continue;
            }
            let mut query = vec![0u8; usize::from(u16::from_be_bytes(length))];
            if stream.read_exact(&mut query).await.is_err() {
                continue;
            }
            let Some(reply) = answer(&zone, &query) else {
                continue;
            };
            let bytes = reply.to_vec().unwrap();
            let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&bytes);
            let _ = stream.write_all(&framed).await;
        }
    });
    addr
}

fn answer(zone: &Zone, query: &[u8]) -> Option<Message> {
    let query = Message::from_vec(query).ok()?;
    let question = query.queries.first()?.clone();
    let name = question
        .name()
        .to_ascii()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let zone = zone.lock().unwrap();
    let known = zone.keys().any(|(n, _)| *n == name);
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.add_query(question.clone());
    if !known {
        reply.metadata.response_code = ResponseCode::NXDomain;
        return Some(reply);
    }
    for data in zone
        .get(&(name, question.query_type()))
        .cloned()
        .unwrap_or_default()
    {
        reply.add_answer(Record::from_rdata(question.name().clone(), 300, data));
    }
    Some(reply)
}

fn a(ip: [u8; 4]) -> RData {
    RData::A(A(Ipv4Addr::from(ip)))
}

fn set(zone: &Zone, name: &str, kind: RecordType, data: Vec<RData>) {
    zone.lock().unwrap().insert((name.to_owned(), kind), data);
}

fn monitor(
    addr: SocketAddr,
    name: &str,
    kind: &str,
    expected: &[&str],
) -> canhgac_model::MonitorInput {
    let mut monitor = input(MonitorKind::Dns, name);
    monitor.settings.record_type = Some(kind.into());
    monitor.settings.resolver = Some(addr.to_string());
    monitor.settings.expected = expected.iter().map(|e| e.to_string()).collect();
    monitor
}

#[tokio::test]
async fn a_changed_a_record_is_caught() {
    let zone = Zone::default();
    set(
        &zone,
        "portal.test",
        RecordType::A,
        vec![a([192, 0, 2, 10])],
    );
    let addr = start_dns(zone.clone(), false).await;
    let options = CheckOptions::default();
    let watched = monitor(addr, "Portal.Test.", "A", &["192.0.2.10"]);

    let outcome = check(&watched, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert!(
        outcome
            .result
            .message
            .starts_with("DNS A Portal.Test: 192.0.2.10 ("),
        "{}",
        outcome.result.message
    );
    assert_eq!(outcome.dns_answers, Some(vec!["192.0.2.10".to_owned()]));
    assert_eq!(outcome.result.details["rcode"], "NOERROR");
    assert_eq!(outcome.result.details["resolver"], addr.to_string());

    // The record is hijacked.
    set(
        &zone,
        "portal.test",
        RecordType::A,
        vec![a([198, 51, 100, 66]), a([192, 0, 2, 10])],
    );
    let outcome = check(&watched, &options).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome
            .result
            .message
            .ends_with(": khác giá trị mong đợi: có thêm 198.51.100.66"),
        "{}",
        outcome.result.message
    );
    set(
        &zone,
        "portal.test",
        RecordType::A,
        vec![a([198, 51, 100, 66])],
    );
    let outcome = check(&watched, &options).await;
    assert!(outcome
        .result
        .message
        .ends_with(": khác giá trị mong đợi: thiếu 192.0.2.10, có thêm 198.51.100.66"));
    assert_eq!(outcome.result.details["missing"][0], "192.0.2.10");
    assert_eq!(outcome.result.details["unexpected"][0], "198.51.100.66");
    assert_eq!(outcome.dns_answers, Some(vec!["198.51.100.66".to_owned()]));

    // Without expected values any answer will do.
    let any = monitor(addr, "portal.test", "A", &[]);
    assert!(check(&any, &options).await.result.ok);
}

#[tokio::test]
async fn mx_and_txt_answers_are_normalised() {
    let zone = Zone::default();
    set(
        &zone,
        "tinh.test",
        RecordType::MX,
        vec![
            RData::MX(MX::new(10, Name::from_ascii("Mail.Tinh.Test.").unwrap())),
            RData::MX(MX::new(20, Name::from_ascii("backup.tinh.test.").unwrap())),
        ],
    );
    set(
        &zone,
        "tinh.test",
        RecordType::TXT,
        vec![RData::TXT(TXT::new(vec![
            "v=spf1 ip4:192.0.2.0/24 ".into(),
            "-all".into(),
        ]))],
    );
    let addr = start_dns(zone, false).await;
    let options = CheckOptions::default();

    let outcome = check(
        &monitor(
            addr,
            "tinh.test",
            "MX",
            &["20 backup.tinh.test.", "10 mail.tinh.test"],
        ),
        &options,
    )
    .await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert_eq!(
        outcome.dns_answers.unwrap(),
        vec!["10 mail.tinh.test", "20 backup.tinh.test"]
    );
    // Hosts only, when the user wrote no preferences.
    let outcome = check(
        &monitor(
            addr,
            "tinh.test",
            "MX",
            &["mail.tinh.test", "backup.tinh.test"],
        ),
        &options,
    )
    .await;
    assert!(outcome.result.ok, "{:?}", outcome.result);

    let outcome = check(
        &monitor(
            addr,
            "tinh.test",
            "TXT",
            &["\"v=spf1 ip4:192.0.2.0/24 -all\""],
        ),
        &options,
    )
    .await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert_eq!(
        outcome.dns_answers.unwrap(),
        vec!["v=spf1 ip4:192.0.2.0/24 -all"]
    );
}

#[tokio::test]
async fn missing_names_and_truncated_answers() {
    let zone = Zone::default();
    set(
        &zone,
        "portal.test",
        RecordType::A,
        vec![a([192, 0, 2, 10])],
    );
    let addr = start_dns(zone.clone(), false).await;
    let options = CheckOptions::default();

    let outcome = check(&monitor(addr, "nothing.test", "A", &[]), &options).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome
            .result
            .message
            .starts_with("DNS A nothing.test: không có bản ghi (NXDOMAIN) ("),
        "{}",
        outcome.result.message
    );
    assert!(outcome
        .result
        .message
        .ends_with(": máy chủ trả lời NXDOMAIN"));

    // A name that must not exist.
    let mut absent = monitor(addr, "nothing.test", "A", &[]);
    absent.settings.conditions = vec!["[DNS_RCODE] == NXDOMAIN".into()];
    assert!(check(&absent, &options).await.result.ok);

    // An existing name without records of the type.
    let outcome = check(&monitor(addr, "portal.test", "AAAA", &[]), &options).await;
    assert!(!outcome.result.ok);
    assert!(outcome.result.message.ends_with(": không có bản ghi"));

    let truncating = start_dns(zone, true).await;
    let outcome = check(
        &monitor(truncating, "portal.test", "A", &["192.0.2.10"]),
        &options,
    )
    .await;
    assert!(
        outcome.result.ok,
        "answers over TCP after a truncated UDP answer: {:?}",
        outcome.result
    );
}

#[tokio::test]
async fn a_silent_resolver_times_out_and_bad_settings_are_named() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let mut watched = monitor(addr, "portal.test", "A", &[]);
    watched.timeout_secs = 1;
    let outcome = check(&watched, &CheckOptions::default()).await;
    assert_eq!(
        outcome.result.message,
        format!("Hết thời gian chờ sau 1 giây (chờ trả lời từ máy chủ DNS {addr})")
    );
    drop(silent);

    let mut watched = monitor(addr, "portal.test", "SRV", &[]);
    let outcome = check(&watched, &CheckOptions::default()).await;
    assert!(outcome.result.message.starts_with("Loại bản ghi «SRV»"));
    watched.settings.record_type = Some("A".into());
    watched.settings.resolver = Some("dns.example".into());
    let outcome = check(&watched, &CheckOptions::default()).await;
    assert!(outcome
        .result
        .message
        .starts_with("Máy chủ DNS «dns.example» không hợp lệ"));
}
