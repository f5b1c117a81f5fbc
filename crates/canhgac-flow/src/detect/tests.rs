//! Engine tests: synthetic flows, explicit clocks.

use super::*;
use crate::record::{TCP_ACK, TCP_SYN};

/// A Monday, 10:00 UTC: far from the epoch so no second is 0.
const T0: u64 = 1_764_583_200_000;

fn flow(src: &str, dst: &str, protocol: Protocol) -> FlowRecord {
    FlowRecord {
        exporter: "192.0.2.254".parse().unwrap(),
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        src_port: 40000,
        dst_port: 80,
        protocol,
        tcp_flags: if protocol == Protocol::TCP {
            TCP_SYN | TCP_ACK
        } else {
            0
        },
        packets: 10,
        bytes: 10 * 500,
        sampling_rate: 1,
        fragment: false,
        first_ms: 0,
        last_ms: 0,
    }
}

fn syn(src: &str, dst: &str) -> FlowRecord {
    FlowRecord {
        tcp_flags: TCP_SYN,
        packets: 1,
        bytes: 60,
        ..flow(src, dst, Protocol::TCP)
    }
}

fn group(name: &str, unit_id: i64, prefixes: &[&str]) -> GroupConfig {
    GroupConfig {
        name: name.into(),
        unit_id,
        prefixes: prefixes.iter().map(|p| p.parse().unwrap()).collect(),
        host: ClassThresholds::default(),
        incoming: ClassThresholds::default(),
        outgoing: ClassThresholds::default(),
        scan: None,
        baseline: None,
    }
}

fn pps(limit: u64) -> Option<RateLimit> {
    Some(RateLimit {
        pps: Some(limit),
        ..RateLimit::default()
    })
}

/// The customers of ISP X with per-host limits on every class, IPv4 and IPv6.
fn isp_config() -> DetectConfig {
    let mut customers = group(
        "Khách hàng ISP X",
        7,
        &["203.0.113.0/24", "2001:db8:100::/48"],
    );
    customers.host = ClassThresholds {
        all: Some(RateLimit {
            bps: Some(2_000_000_000),
            ..RateLimit::default()
        }),
        tcp: pps(500_000),
        udp: pps(50_000),
        icmp: pps(5_000),
        syn: pps(10_000),
        fragment: pps(5_000),
        amplification: None,
    };
    DetectConfig {
        window_secs: 3,
        hold_down_secs: 10,
        update_interval_secs: 5,
        groups: vec![customers],
        ..DetectConfig::default()
    }
}

/// Feeds `per_step(ms)` every 100 ms over `from..to` and collects the events with their time.
fn drive(
    detector: &mut Detector,
    from: u64,
    to: u64,
    mut per_step: impl FnMut(u64) -> Vec<FlowRecord>,
) -> Vec<(u64, AttackEvent)> {
    let mut out = Vec::new();
    let mut now = from;
    while now < to {
        let flows = per_step(now);
        out.extend(detector.observe(&flows, now).into_iter().map(|e| (now, e)));
        now += 100;
    }
    out
}

/// `n` copies of a flow from distinct sources (`src_base` plus an index in the last octet or
/// group), so top-source lists have something to rank.
fn from_many(template: FlowRecord, n: usize, v6: bool) -> Vec<FlowRecord> {
    (0..n)
        .map(|i| {
            let src: IpAddr = if v6 {
                format!("2001:db8:bad::{:x}", i % 50 + 1).parse().unwrap()
            } else {
                format!("198.51.100.{}", i % 50 + 1).parse().unwrap()
            };
            FlowRecord { src, ..template }
        })
        .collect()
}

fn started(events: &[(u64, AttackEvent)]) -> Vec<(u64, &Attack)> {
    events
        .iter()
        .filter_map(|(t, e)| match e {
            AttackEvent::Started(a) => Some((*t, a)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_ipv6_syn_flood_is_raised_within_the_window_with_its_fingerprint_and_ends_after_hold_down() {
    let mut detector = Detector::new(isp_config()).unwrap();
    let target = "2001:db8:100::10";
    // 30,000 SYN/s from 50 sources, 1:100 sampled: 30 flows of 1 packet every 100 ms, and
    // normal web traffic to a neighbour that must stay quiet.
    let flood_start = T0 + 250;
    let flood_end = T0 + 20_000;
    let events = drive(&mut detector, T0, T0 + 40_000, |now| {
        let mut flows = vec![flow("198.51.100.200", "2001:db8:100::11", Protocol::TCP)];
        if (flood_start..flood_end).contains(&now) {
            let mut attack = syn("2001:db8:bad::1", target);
            attack.sampling_rate = 100;
            attack.dst_port = 443;
            flows.extend(from_many(attack, 30, true));
        }
        flows
    });
    let starts = started(&events);
    assert_eq!(
        starts.len(),
        1,
        "one attack, nothing for the neighbour: {starts:#?}"
    );
    let (at, attack) = starts[0];
    assert!(
        at - flood_start <= (3 + 1) * 1000,
        "raised {} ms after the first flow",
        at - flood_start
    );
    assert_eq!(attack.kind, AttackKind::SynFlood);
    assert_eq!(attack.target, AttackTarget::Host(target.parse().unwrap()));
    assert_eq!(attack.direction, Direction::Incoming);
    assert_eq!(attack.unit_id, 7);
    assert_eq!(attack.group, "Khách hàng ISP X");
    assert_eq!(attack.trigger.class, TrafficClass::Syn);
    assert_eq!(attack.trigger.metric, Metric::Pps);
    assert!(attack.current.pps > 10_000, "{:?}", attack.current);
    assert!(
        attack.trigger.explain_vi().starts_with("TCP SYN: ")
            && attack
                .trigger
                .explain_vi()
                .ends_with(" gói/s > ngưỡng 10000"),
        "{}",
        attack.trigger.explain_vi()
    );

    // Updates carry the fingerprint collected since the start.
    let update = events
        .iter()
        .find_map(|(_, e)| match e {
            AttackEvent::Updated(a) => Some(a),
            _ => None,
        })
        .expect("an update while the flood goes on");
    assert_eq!(update.id, attack.id);
    assert_eq!(update.top_sources.len(), 10);
    assert!(update.top_sources[0]
        .key
        .to_string()
        .starts_with("2001:db8:bad::"));
    assert_eq!(update.top_protocols[0].key, Protocol::TCP);
    assert_eq!(update.top_destination_ports[0].key, 443);
    assert_eq!(update.sample_flows.len(), 32);
    assert!(update
        .sample_flows
        .iter()
        .all(|f| f.dst == target.parse::<IpAddr>().unwrap()));
    assert!(
        (29_000..=31_000).contains(&update.peak.pps),
        "{:?}",
        update.peak
    );

    let (ended_at, ended) = events
        .iter()
        .find_map(|(t, e)| match e {
            AttackEvent::Ended(a) => Some((*t, a)),
            _ => None,
        })
        .expect("ended after the flood");
    assert_eq!(ended.id, attack.id);
    assert_eq!(ended.ended_ms, Some(ended_at));
    // Under the threshold within a window of the last flood flow, then the hold-down.
    assert!(
        ended_at >= flood_end + 10_000,
        "ended at +{}",
        ended_at - flood_end
    );
    assert!(
        ended_at <= flood_end + 10_000 + 4_000,
        "ended at +{}",
        ended_at - flood_end
    );
    assert_eq!(detector.stats().active_attacks, 0);
}

#[test]
fn sampling_is_undone_before_thresholds_are_applied() {
    let run = |sampling_rate: u32| {
        let mut detector = Detector::new(isp_config()).unwrap();
        let events = drive(&mut detector, T0, T0 + 8_000, |_| {
            // 2 flows × 10 packets every 100 ms: 200 pps unsampled.
            let mut f = flow("198.51.100.1", "203.0.113.9", Protocol::UDP);
            f.sampling_rate = sampling_rate;
            vec![f, f]
        });
        started(&events)
            .iter()
            .map(|(_, a)| a.kind.clone())
            .collect::<Vec<_>>()
    };
    assert!(run(1).is_empty(), "200 pps is normal");
    assert!(
        run(100).is_empty(),
        "20,000 pps is under the 50,000 UDP limit"
    );
    assert_eq!(run(1000), vec![AttackKind::UdpFlood], "200,000 pps is not");
}

#[test]
fn each_protocol_class_names_its_flood_on_ipv4_and_ipv6() {
    struct Case {
        name: &'static str,
        flow: FlowRecord,
        expect: AttackKind,
    }
    let mut cases = Vec::new();
    for (v6, dst, src) in [
        (false, "203.0.113.20", "198.51.100.1"),
        (true, "2001:db8:100::20", "2001:db8:bad::1"),
    ] {
        let mut udp = flow(src, dst, Protocol::UDP);
        udp.src_port = 5555;
        udp.packets = 1000;
        udp.bytes = 1000 * 1200;
        let mut icmp = flow(src, dst, if v6 { Protocol::ICMPV6 } else { Protocol::ICMP });
        icmp.packets = 100;
        icmp.bytes = 100 * 84;
        let mut fragment = udp;
        fragment.fragment = true;
        fragment.src_port = 0;
        fragment.dst_port = 0;
        fragment.packets = 100;
        let mut ntp = udp;
        ntp.src_port = 123;
        ntp.dst_port = 32000;
        let mut memcached = udp;
        memcached.src_port = 11211;
        let mut big_tcp = flow(src, dst, Protocol::TCP);
        big_tcp.packets = 100;
        big_tcp.bytes = 100 * 1500 * 20; // 3 GB/s: only the all/bps limit is crossed
        cases.extend([
            Case {
                name: "udp",
                flow: udp,
                expect: AttackKind::UdpFlood,
            },
            Case {
                name: "icmp",
                flow: icmp,
                expect: AttackKind::IcmpFlood,
            },
            Case {
                name: "fragment",
                flow: fragment,
                expect: AttackKind::FragmentFlood,
            },
            Case {
                name: "ntp",
                flow: ntp,
                expect: AttackKind::Amplification {
                    service: "ntp".into(),
                    port: 123,
                },
            },
            Case {
                name: "memcached",
                flow: memcached,
                expect: AttackKind::Amplification {
                    service: "memcached".into(),
                    port: 11211,
                },
            },
            Case {
                name: "volumetric tcp",
                flow: big_tcp,
                expect: AttackKind::Volumetric,
            },
        ]);
    }
    for case in cases {
        let mut detector = Detector::new(isp_config()).unwrap();
        let events = drive(&mut detector, T0, T0 + 6_000, |_| vec![case.flow; 10]);
        let kinds: Vec<_> = started(&events)
            .into_iter()
            .map(|(_, a)| a.kind.clone())
            .collect();
        assert_eq!(
            kinds,
            vec![case.expect.clone()],
            "{} to {}",
            case.name,
            case.flow.dst
        );
    }
}

#[test]
fn group_totals_catch_a_spread_attack_that_no_single_host_shows() {
    let mut config = isp_config();
    config.groups[0].host = ClassThresholds::default();
    config.groups[0].incoming.udp = pps(100_000);
    config.groups[0].outgoing.all = pps(50_000);
    let mut detector = Detector::new(config).unwrap();
    // 200 hosts × 1000 pps each incoming; one customer sending 60,000 pps outward.
    let events = drive(&mut detector, T0, T0 + 6_000, |_| {
        let mut flows: Vec<FlowRecord> = (0..200)
            .map(|i| {
                let mut f = flow("198.51.100.1", &format!("203.0.113.{i}"), Protocol::UDP);
                f.packets = 100;
                f
            })
            .collect();
        let mut out = flow("2001:db8:100::5", "2001:db8:ffff::1", Protocol::UDP);
        out.packets = 6000;
        flows.push(out);
        flows
    });
    let starts = started(&events);
    assert_eq!(starts.len(), 2, "{starts:#?}");
    let incoming = starts
        .iter()
        .find(|(_, a)| a.direction == Direction::Incoming)
        .unwrap()
        .1;
    assert_eq!(
        incoming.target,
        AttackTarget::Group("Khách hàng ISP X".into())
    );
    assert_eq!(incoming.kind, AttackKind::UdpFlood);
    let outgoing = starts
        .iter()
        .find(|(_, a)| a.direction == Direction::Outgoing)
        .unwrap()
        .1;
    assert_eq!(
        outgoing.kind,
        AttackKind::UdpFlood,
        "all-class limit, UDP-only traffic"
    );
    assert_eq!(outgoing.trigger.class, TrafficClass::All);
}

#[test]
fn a_customer_host_scanning_the_internet_is_flagged_and_a_busy_client_is_not() {
    let mut config = isp_config();
    config.groups[0].scan = Some(ScanThresholds {
        window_secs: 10,
        distinct_destinations: Some(500),
        distinct_ports: Some(1000),
    });
    let mut detector = Detector::new(config).unwrap();
    let mut next = 0u32;
    let events = drive(&mut detector, T0, T0 + 12_000, |_| {
        let mut flows = Vec::new();
        // The scanner: 100 new addresses every 100 ms, port 22.
        for _ in 0..100 {
            next += 1;
            let dst = std::net::Ipv4Addr::from(0x0a00_0000 + next);
            let mut f = syn("203.0.113.66", &dst.to_string());
            f.dst_port = 22;
            flows.push(f);
        }
        // A port sweep of one address from an IPv6 customer.
        for _ in 0..20 {
            let mut f = syn("2001:db8:100::99", "2001:db8:ffff::7");
            f.dst_port = (next % 60_000) as u16;
            next += 1;
            flows.push(f);
        }
        // A busy but normal client: the same 20 servers, ports 443 and 80.
        for i in 0..20 {
            let mut f = flow("203.0.113.5", &format!("192.0.2.{i}"), Protocol::TCP);
            f.dst_port = if i % 2 == 0 { 443 } else { 80 };
            flows.push(f);
        }
        flows
    });
    let starts = started(&events);
    let targets: Vec<_> = starts.iter().map(|(_, a)| a.target.to_string()).collect();
    assert_eq!(targets.len(), 2, "{targets:?}");
    let scanner = starts
        .iter()
        .find(|(_, a)| a.target == AttackTarget::Host("203.0.113.66".parse().unwrap()))
        .expect("the address sweep is flagged");
    assert_eq!(scanner.1.kind, AttackKind::OutgoingScan);
    assert_eq!(scanner.1.direction, Direction::Outgoing);
    assert_eq!(scanner.1.trigger.metric, Metric::DistinctDestinations);
    assert!(scanner.1.distinct_destinations.unwrap() >= 500);
    assert!(scanner.0 - T0 <= 2_000, "flagged at +{} ms", scanner.0 - T0);
    let sweep = starts
        .iter()
        .find(|(_, a)| a.target == AttackTarget::Host("2001:db8:100::99".parse().unwrap()))
        .expect("the port sweep is flagged");
    assert_eq!(sweep.1.trigger.metric, Metric::DistinctPorts);
}

#[test]
fn traffic_with_an_indicator_is_reported_at_once_and_the_set_can_be_replaced() {
    let mut detector = Detector::new(isp_config()).unwrap();
    detector.set_indicators(IndicatorSet::new([
        ("192.0.2.66/32".parse().unwrap(), "C2 Emotet".to_string()),
        (
            "2001:db8:c2::/64".parse().unwrap(),
            "botnet Mirai".to_string(),
        ),
    ]));
    let beacon = flow("203.0.113.40", "192.0.2.66", Protocol::TCP);
    let inbound = flow("2001:db8:c2::9", "2001:db8:100::40", Protocol::UDP);
    let unrelated = flow("198.51.100.1", "192.0.2.66", Protocol::TCP);
    let events = detector.observe(&[beacon, inbound, unrelated, beacon], T0 + 500);
    assert_eq!(events.len(), 2, "{events:#?}");
    let AttackEvent::Started(out) = &events[0] else {
        panic!()
    };
    assert_eq!(out.direction, Direction::Outgoing);
    assert_eq!(
        out.target,
        AttackTarget::Host("203.0.113.40".parse().unwrap())
    );
    assert_eq!(
        out.kind,
        AttackKind::IndicatorTraffic {
            indicator: "192.0.2.66/32".parse().unwrap(),
            label: "C2 Emotet".into()
        }
    );
    let AttackEvent::Started(inc) = &events[1] else {
        panic!()
    };
    assert_eq!(inc.direction, Direction::Incoming);
    assert_eq!(inc.kind.code(), "indicator_traffic");

    // The flows are the evidence.
    let active = detector.active_attacks();
    let beacon_attack = active.iter().find(|a| a.id == out.id).unwrap();
    assert_eq!(beacon_attack.sample_flows, vec![beacon, beacon]);

    // A new list without the C2: the attack ends after the hold-down, no new one starts.
    detector.set_indicators(IndicatorSet::new([(
        "2001:db8:c2::/64".parse().unwrap(),
        "botnet Mirai".to_string(),
    )]));
    let mut ended = Vec::new();
    for s in 1..=12 {
        for e in detector.observe(&[beacon], T0 + 500 + s * 1000) {
            ended.push(e);
        }
    }
    let names: Vec<_> = ended.iter().map(|e| (e.name(), e.attack().id)).collect();
    assert!(names.contains(&("ended", out.id)), "{names:?}");
    assert!(names.contains(&("ended", inc.id)), "{names:?}");
    assert!(!names.iter().any(|(n, _)| *n == "started"), "{names:?}");
}

#[test]
fn hosts_are_bounded_idle_ones_evicted_and_room_made_for_new_ones() {
    let mut config = isp_config();
    config.max_tracked_hosts = 100;
    config.idle_host_secs = 30;
    config.hold_down_secs = 100;
    let mut detector = Detector::new(config).unwrap();
    let hosts: Vec<FlowRecord> = (0..100)
        .map(|i| flow("198.51.100.1", &format!("203.0.113.{i}"), Protocol::TCP))
        .collect();
    detector.observe(&hosts, T0);
    assert_eq!(detector.stats().tracked_hosts, 100);
    // Table full: a new host is counted in the group only.
    let newcomer = flow("198.51.100.1", "203.0.113.200", Protocol::TCP);
    detector.observe(&[newcomer], T0 + 100);
    assert_eq!(detector.stats().flows_untracked, 1);
    // The next second is judged: the oldest tenth goes, the newcomer gets in.
    detector.tick(T0 + 1_000);
    assert_eq!(detector.stats().tracked_hosts, 90);
    assert_eq!(detector.stats().evicted_hosts, 10);
    detector.observe(&[newcomer], T0 + 1_100);
    assert_eq!(detector.stats().flows_untracked, 1);
    assert_eq!(detector.stats().tracked_hosts, 91);
    // Idle hosts are forgotten; a host under attack is not.
    let mut flood = syn("198.51.100.9", "203.0.113.201");
    flood.packets = 50_000;
    detector.observe(&[flood], T0 + 2_000);
    detector.tick(T0 + 3_000);
    assert_eq!(detector.stats().active_attacks, 1);
    detector.tick(T0 + 40_000);
    let stats = detector.stats();
    assert_eq!(stats.tracked_hosts, 1, "{stats:?}");
    assert!(stats.evicted_hosts >= 100, "{stats:?}");
}

#[test]
fn a_learned_baseline_flags_a_multiple_of_the_usual_traffic_and_survives_a_restart() {
    let mut config = isp_config();
    config.groups[0].host = ClassThresholds::default();
    config.groups[0].baseline = Some(BaselineConfig {
        multiplier: 3.0,
        alpha: 0.05,
        min_samples: 60,
        min_pps: 1000.0,
        min_bps: 1e12,
        utc_offset_minutes: 420,
    });
    let usual = |now: u64| {
        let mut f = flow("198.51.100.1", "203.0.113.7", Protocol::UDP);
        // 2,000 to 2,400 pps depending on the second.
        f.packets = 200 + (now / 1000 % 5) * 10;
        vec![f]
    };
    let mut detector = Detector::new(config.clone()).unwrap();
    let learning = drive(&mut detector, T0, T0 + 120_000, usual);
    assert!(started(&learning).is_empty(), "usual traffic is no attack");

    let snapshot = detector.baselines();
    let json = serde_json::to_string(&snapshot).unwrap();
    let restored: BaselineSnapshot = serde_json::from_str(&json).unwrap();
    let mut after_restart = Detector::new(config.clone()).unwrap();
    assert_eq!(after_restart.restore_baselines(&restored), 14);

    for detector in [&mut detector, &mut after_restart] {
        let spike = drive(detector, T0 + 120_000, T0 + 126_000, |_| {
            let mut f = flow("198.51.100.1", "203.0.113.7", Protocol::UDP);
            f.packets = 1000; // 10,000 pps, 4× the usual
            vec![f]
        });
        let starts = started(&spike);
        assert_eq!(starts.len(), 1, "{starts:#?}");
        assert!(starts[0].1.trigger.baseline);
        assert_eq!(
            starts[0].1.target,
            AttackTarget::Group("Khách hàng ISP X".into())
        );
        assert_eq!(starts[0].1.kind, AttackKind::UdpFlood);
    }

    // A fresh detector has nothing learned and stays quiet.
    let mut fresh = Detector::new(config).unwrap();
    let spike = drive(&mut fresh, T0, T0 + 6_000, |_| {
        let mut f = flow("198.51.100.1", "203.0.113.7", Protocol::UDP);
        f.packets = 1000;
        vec![f]
    });
    assert!(started(&spike).is_empty());
}

#[test]
fn a_flood_barely_over_the_limit_is_raised_within_window_plus_one_second() {
    for offset in [0, 1, 500, 999] {
        let mut detector = Detector::new(isp_config()).unwrap();
        let start = T0 + offset;
        let mut events = Vec::new();
        // 10,100 SYN/s (limit 10,000), one flow every 10 ms.
        let mut now = start;
        while now < start + 8_000 && events.is_empty() {
            let mut f = syn("198.51.100.1", "203.0.113.77");
            f.packets = 101;
            events = detector.observe(&[f], now);
            now += 10;
        }
        let at = now - 10;
        assert!(!events.is_empty(), "offset {offset}: never raised");
        assert!(
            at - start <= 4_000,
            "offset {offset}: raised after {} ms",
            at - start
        );
    }
}

#[test]
fn attack_events_serialise_for_the_store_and_the_mitigators() {
    let mut detector = Detector::new(isp_config()).unwrap();
    let mut f = syn("198.51.100.1", "2001:db8:100::10");
    f.packets = 100_000;
    detector.observe(&[f], T0);
    let events = detector.tick(T0 + 1_000);
    let json = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(json["event"], "started");
    assert_eq!(json["attack"]["kind"]["name"], "syn_flood");
    assert_eq!(json["attack"]["target"]["host"], "2001:db8:100::10");
    assert_eq!(json["attack"]["direction"], "incoming");
    let back: AttackEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, events[0]);
    assert!(back
        .attack()
        .summary_vi()
        .starts_with("Tấn công SYN flood vào 2001:db8:100::10"));
    assert!(back
        .attack()
        .summary_en()
        .starts_with("SYN flood against 2001:db8:100::10"));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn addr() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            // Inside and around the customer prefixes, and anywhere.
            (0u32..512).prop_map(|i| IpAddr::from((0xcb00_7100u32 + i).to_be_bytes())),
            (0u16..512).prop_map(|i| IpAddr::from([0x2001, 0xdb8, 0x100, 0, 0, 0, 0, i])),
            any::<u32>().prop_map(|a| IpAddr::from(a.to_be_bytes())),
            any::<u128>().prop_map(|a| IpAddr::from(a.to_be_bytes())),
        ]
    }

    fn record() -> impl Strategy<Value = FlowRecord> {
        (
            (
                addr(),
                addr(),
                any::<u16>(),
                prop_oneof![Just(53u16), Just(123), any::<u16>()],
            ),
            (
                any::<u8>(),
                any::<u8>(),
                any::<u64>(),
                any::<u64>(),
                any::<u32>(),
                any::<bool>(),
            ),
        )
            .prop_map(
                |((src, dst, dst_port, src_port), (proto, flags, packets, bytes, rate, frag))| {
                    FlowRecord {
                        exporter: src,
                        src,
                        dst,
                        src_port,
                        dst_port,
                        protocol: Protocol(proto % 20),
                        tcp_flags: flags,
                        packets,
                        bytes,
                        sampling_rate: rate,
                        fragment: frag,
                        first_ms: 0,
                        last_ms: u64::MAX,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn enormous_counters_odd_clocks_and_any_addresses_never_panic(
            batches in proptest::collection::vec(
                (proptest::collection::vec(record(), 0..40), 0u64..5_000, any::<bool>()),
                1..30,
            ),
        ) {
            let mut config = isp_config();
            config.max_tracked_hosts = 16;
            config.groups[0].scan = Some(ScanThresholds {
                window_secs: 2,
                distinct_destinations: Some(5),
                distinct_ports: Some(5),
            });
            config.groups[0].incoming.all = pps(1);
            config.groups[0].baseline = Some(BaselineConfig { min_samples: 1, ..BaselineConfig::default() });
            let mut detector = Detector::new(config).unwrap();
            detector.set_indicators(IndicatorSet::new([("0.0.0.0/1".parse().unwrap(), "half".into())]));
            let mut now = T0;
            for (flows, step, backwards) in batches {
                now = if backwards { now.saturating_sub(step) } else { now + step };
                let events = detector.observe(&flows, now);
                for event in events {
                    prop_assert!(event.attack().top_sources.len() <= 10);
                    prop_assert!(event.attack().sample_flows.len() <= 32);
                }
                let stats = detector.stats();
                prop_assert!(stats.tracked_hosts <= 16 && stats.tracked_scan_hosts <= 16);
            }
            detector.tick(u64::MAX);
        }
    }
}

#[test]
fn traffic_gives_each_groups_rates_and_its_heaviest_hosts() {
    let mut config = isp_config();
    config
        .groups
        .push(group("Trung tâm dữ liệu", 9, &["192.0.2.0/25"]));
    let mut detector = Detector::new(config).unwrap();
    // 3 s of traffic: 10 flows of 10 packets per 100 ms to .10, 1 flow to .20, and 2 flows out
    // of the data centre; the window is 3 s, so rates are per-second averages over it.
    drive(&mut detector, T0, T0 + 3_000, |_| {
        let mut flows = vec![flow("198.51.100.1", "203.0.113.10", Protocol::UDP); 10];
        flows.push(flow("198.51.100.2", "203.0.113.20", Protocol::UDP));
        flows.push(flow("192.0.2.5", "198.51.100.9", Protocol::TCP));
        flows.push(flow("192.0.2.6", "198.51.100.9", Protocol::TCP));
        flows
    });
    detector.tick(T0 + 3_000);
    let traffic = detector.traffic(1);
    assert_eq!(traffic.len(), 2);
    let customers = &traffic[0];
    assert_eq!(
        (customers.group.as_str(), customers.unit_id),
        ("Khách hàng ISP X", 7)
    );
    // 11 flows × 10 packets × 10 steps a second.
    assert_eq!(customers.incoming.pps, 1_100);
    assert_eq!(customers.incoming.fps, 110);
    assert_eq!(customers.incoming.bps, 1_100 * 500 * 8);
    assert_eq!(customers.outgoing, Rates::default());
    assert_eq!(customers.top_hosts.len(), 1, "{customers:?}");
    assert_eq!(
        customers.top_hosts[0].host,
        "203.0.113.10".parse::<IpAddr>().unwrap()
    );
    assert_eq!(customers.top_hosts[0].rates.pps, 1_000);
    let centre = &traffic[1];
    assert_eq!(centre.outgoing.pps, 200);
    assert_eq!(centre.incoming, Rates::default());
    // No per-host limits in the data centre: no hosts tracked, none listed.
    assert!(centre.top_hosts.is_empty());
    // Quiet for a whole window: back to zero.
    detector.tick(T0 + 7_000);
    assert_eq!(detector.traffic(5)[0].incoming, Rates::default());
    assert!(detector.traffic(5)[0].top_hosts.is_empty());
}
