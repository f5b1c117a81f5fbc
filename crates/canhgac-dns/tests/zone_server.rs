//! The client against the fixed-zone server over real loopback sockets.
#![allow(clippy::unwrap_used)] // fixtures that fail should stop the test

use std::time::{Duration, Instant};

use canhgac_dns::zone::{Zone, ZoneServer};
use canhgac_dns::{DnsError, RecordType, Resolver};

fn zone() -> Zone {
    let mut zone = Zone::new()
        .with("example.vn", RecordType::A, "192.0.2.10")
        .with("example.vn", RecordType::AAAA, "2001:db8::10")
        .with("example.vn", RecordType::MX, "20 mx2.example.vn.")
        .with("example.vn", RecordType::MX, "10 MX1.Example.VN.")
        .with("example.vn", RecordType::NS, "ns1.example.vn.")
        .with("example.vn", RecordType::TXT, "v=spf1 mx -all")
        .with(
            "example.vn",
            RecordType::SOA,
            "ns1.example.vn. hostmaster.example.vn. 2026112601 3600 600 86400 300",
        )
        .with("example.vn", RecordType::CAA, "0 issue \"ca.example.vn\"")
        .with("www.example.vn", RecordType::CNAME, "example.vn.")
        .with(
            "_sip._tcp.example.vn",
            RecordType::SRV,
            "10 60 5060 sip.example.vn.",
        )
        .with("10.2.0.192.in-addr.arpa", RecordType::PTR, "example.vn.")
        .with("sel._domainkey.example.vn", RecordType::TXT, "v=DKIM1; p=");
    // Twelve 200-byte strings: past the 1232-byte EDNS payload, so UDP must truncate.
    for i in 0..12 {
        zone.add(
            "big.example.vn",
            RecordType::TXT,
            &format!("{i:02}{}", "x".repeat(198)),
        )
        .unwrap();
    }
    zone
}

#[tokio::test]
async fn answers_come_back_in_text_form() {
    let server = ZoneServer::start(zone()).await.unwrap();
    let resolver = server.resolver();

    let mx = resolver
        .lookup("Example.VN.", RecordType::MX)
        .await
        .unwrap();
    assert_eq!(mx.rcode, "NOERROR");
    assert!(!mx.over_tcp);
    let mut texts = mx.texts(RecordType::MX);
    texts.sort();
    assert_eq!(texts, ["10 mx1.example.vn", "20 mx2.example.vn"]);
    assert_eq!(mx.records[0].name, "example.vn");
    assert_eq!(mx.records[0].ttl, 300);

    let cases = [
        ("example.vn", RecordType::A, "192.0.2.10"),
        ("example.vn", RecordType::AAAA, "2001:db8::10"),
        ("example.vn", RecordType::NS, "ns1.example.vn"),
        ("example.vn", RecordType::TXT, "v=spf1 mx -all"),
        (
            "example.vn",
            RecordType::SOA,
            "ns1.example.vn hostmaster.example.vn 2026112601 3600 600 86400 300",
        ),
        ("example.vn", RecordType::CAA, "0 issue \"ca.example.vn\""),
        (
            "_sip._tcp.example.vn",
            RecordType::SRV,
            "10 60 5060 sip.example.vn",
        ),
        ("10.2.0.192.in-addr.arpa", RecordType::PTR, "example.vn"),
        ("sel._domainkey.example.vn", RecordType::TXT, "v=DKIM1; p="),
    ];
    for (name, record_type, expected) in cases {
        let answer = resolver.lookup(name, record_type).await.unwrap();
        assert_eq!(
            answer.texts(record_type),
            [expected],
            "{name} {record_type}"
        );
    }

    let alias = resolver
        .lookup("www.example.vn", RecordType::A)
        .await
        .unwrap();
    assert_eq!(alias.texts(RecordType::CNAME), ["example.vn"]);
    assert!(alias.texts(RecordType::A).is_empty());
}

#[tokio::test]
async fn unknown_names_are_nxdomain_and_missing_types_are_empty() {
    let server = ZoneServer::start(zone()).await.unwrap();
    let resolver = server.resolver();

    let missing = resolver
        .lookup("nowhere.example.vn", RecordType::A)
        .await
        .unwrap();
    assert_eq!(missing.rcode, "NXDOMAIN");
    assert!(missing.is_nxdomain());
    assert!(missing.records.is_empty());

    let no_type = resolver
        .lookup("example.vn", RecordType::SRV)
        .await
        .unwrap();
    assert!(no_type.is_noerror());
    assert!(no_type.records.is_empty());

    // `_domainkey.example.vn` holds nothing itself but lies above a held name.
    let above = resolver
        .lookup("_domainkey.example.vn", RecordType::TXT)
        .await
        .unwrap();
    assert_eq!(above.rcode, "NOERROR");
}

#[tokio::test]
async fn large_answers_are_truncated_over_udp_and_fetched_over_tcp() {
    let server = ZoneServer::start(zone()).await.unwrap();
    let answer = server
        .resolver()
        .lookup("big.example.vn", RecordType::TXT)
        .await
        .unwrap();
    assert!(answer.over_tcp);
    let mut texts = answer.texts(RecordType::TXT);
    texts.sort();
    assert_eq!(texts.len(), 12);
    assert!(texts[11].starts_with("11x") && texts[11].len() == 200);
    assert_eq!(server.udp_questions(), 1);
    assert_eq!(server.tcp_questions(), 1);
}

#[tokio::test]
async fn a_silent_resolver_times_out() {
    // A bound UDP socket that never answers.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let resolver = Resolver::new(silent.local_addr().unwrap(), Duration::from_millis(300));
    let started = Instant::now();
    let result = resolver.lookup("example.vn", RecordType::A).await;
    assert!(
        matches!(result, Err(DnsError::Timeout { .. })),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    let message = result.unwrap_err().to_string();
    assert!(message.contains("hết thời gian"), "{message}");
}

#[tokio::test]
async fn the_server_stops_when_dropped() {
    let server = ZoneServer::start(zone()).await.unwrap();
    let addr = server.addr();
    drop(server);
    tokio::task::yield_now().await;
    // The TCP side no longer accepts once the listener task is gone.
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused);
}

#[tokio::test]
async fn a_zone_served_at_a_chosen_address() {
    let zone = Zone::parse("demo.vn A 192.0.2.7\n").unwrap();
    // 127.0.0.2 is loopback too; port 0 lets the system choose.
    let server = ZoneServer::start_at(zone, "127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(server.addr().ip().to_string(), "127.0.0.2");
    let answer = server
        .resolver()
        .lookup("demo.vn", RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer.texts(RecordType::A), ["192.0.2.7"]);
}

#[tokio::test]
async fn a_lost_datagram_is_sent_again() {
    use hickory_proto::op::Message;
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{RData, Record};
    // Ignores the first question, answers the second.
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut buffer = [0u8; 2048];
        let _ = socket.recv_from(&mut buffer).await.unwrap();
        let (read, peer) = socket.recv_from(&mut buffer).await.unwrap();
        let query = Message::from_vec(&buffer[..read]).unwrap();
        let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
        let question = query.queries[0].clone();
        reply.add_answer(Record::from_rdata(
            question.name().clone(),
            60,
            RData::A(A::new(192, 0, 2, 9)),
        ));
        reply.add_query(question);
        socket
            .send_to(&reply.to_vec().unwrap(), peer)
            .await
            .unwrap();
    });
    let resolver = Resolver::new(addr, Duration::from_secs(3));
    let started = Instant::now();
    let answer = resolver.lookup("retry.vn", RecordType::A).await.unwrap();
    assert_eq!(answer.texts(RecordType::A), ["192.0.2.9"]);
    assert!(started.elapsed() < Duration::from_secs(2));
    server.await.unwrap();
}
