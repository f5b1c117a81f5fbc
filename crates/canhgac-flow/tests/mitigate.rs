//! Mitigation against real things: two BIRD 2 daemons peering over BGP on loopback, an axum
//! webhook receiver, shell scripts. The attacks come from a real detector run.
#![allow(clippy::unwrap_used)] // a fixture that fails should stop the test

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canhgac_flow::detect::{
    AttackEvent, AttackTarget, ClassThresholds, DetectConfig, Detector, GroupConfig, RateLimit,
};
use canhgac_flow::mitigate::bird::{self, BirdConfig, FlowSpecAction, FlowSpecRule, Route};
use canhgac_flow::mitigate::{
    ActionKind, BlackholeAction, Community, FlowSpecConfig, GroupMitigation, MitigateConfig,
    Mitigator, Outcome, ScriptAction, WebhookAction,
};
use canhgac_flow::record::{FlowRecord, Protocol, TCP_SYN};

const T0: u64 = 1_764_583_200_000;
const GROUP: &str = "Khách hàng ISP X";
const TARGET: &str = "2001:db8:100::10";

/// A SYN flood against `TARGET` run through a detector: its `Started` and a later `Updated`.
fn syn_flood_events() -> (AttackEvent, AttackEvent) {
    let mut group = GroupConfig {
        name: GROUP.into(),
        unit_id: 7,
        prefixes: vec!["2001:db8:100::/48".parse().unwrap()],
        host: ClassThresholds::default(),
        incoming: ClassThresholds::default(),
        outgoing: ClassThresholds::default(),
        scan: None,
        baseline: None,
    };
    group.host.syn = Some(RateLimit {
        pps: Some(10_000),
        ..RateLimit::default()
    });
    let config = DetectConfig {
        update_interval_secs: 2,
        groups: vec![group],
        ..DetectConfig::default()
    };
    let mut detector = Detector::new(config).unwrap();
    let flood = FlowRecord {
        exporter: "192.0.2.254".parse().unwrap(),
        src: "2001:db8:bad::1".parse().unwrap(),
        dst: TARGET.parse().unwrap(),
        src_port: 40000,
        dst_port: 443,
        protocol: Protocol::TCP,
        tcp_flags: TCP_SYN,
        packets: 50,
        bytes: 3000,
        sampling_rate: 1000,
        fragment: false,
        first_ms: 0,
        last_ms: 0,
    };
    let mut events = Vec::new();
    for step in 0..60 {
        events.extend(detector.observe(&[flood], T0 + step * 100));
    }
    let started = events
        .iter()
        .find(|e| matches!(e, AttackEvent::Started(_)))
        .cloned()
        .expect("the flood is detected");
    let updated = events
        .iter()
        .find(|e| matches!(e, AttackEvent::Updated(_)))
        .cloned()
        .expect("and updated");
    (started, updated)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

// ---------------------------------------------------------------------------------------------
// BIRD

/// Kills the daemon when the test ends, passing or not.
struct BirdGuard(Child);

impl Drop for BirdGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn birdc(socket: &Path, args: &[&str]) -> String {
    let out = Command::new("/usr/sbin/birdc")
        .arg("-s")
        .arg(socket)
        .args(args)
        .output()
        .expect("birdc runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls until `check` holds; the deadline is generous because BGP sessions take seconds to
/// come up and the machine is shared, and a passing check returns at once.
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

fn start_bird(dir: &Path, name: &str, conf: &str) -> (BirdGuard, PathBuf) {
    let conf_path = dir.join(format!("{name}.conf"));
    std::fs::write(&conf_path, conf).unwrap();
    let socket = dir.join(format!("{name}.ctl"));
    let child = Command::new("/usr/sbin/bird")
        .arg("-f")
        .arg("-c")
        .arg(&conf_path)
        .arg("-s")
        .arg(&socket)
        .arg("-P")
        .arg(dir.join(format!("{name}.pid")))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("bird starts");
    let guard = BirdGuard(child);
    wait_for(&format!("{name}'s control socket"), || {
        birdc(&socket, &["show", "status"]).contains("Daemon is up")
    });
    (guard, socket)
}

fn bird_installed() -> bool {
    if Path::new("/usr/sbin/bird").exists() && Path::new("/usr/sbin/birdc").exists() {
        return true;
    }
    if std::env::var("CANHGAC_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("bird2 is required (CANHGAC_REQUIRE_SERVICES=1) but /usr/sbin/bird is missing");
    }
    println!("SKIPPED: bird2 not installed");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackhole_and_a_flowspec_rule_reach_the_bgp_peer_and_are_withdrawn_after_the_timeout() {
    if !bird_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let routes_file = dir.path().join("canhgac-routes.conf");
    let (port_a, port_b) = (free_port(), free_port());
    let bird_config = BirdConfig {
        birdc: "/usr/sbin/birdc".into(),
        socket: dir.path().join("a.ctl"),
        routes_file: routes_file.clone(),
        protocol_prefix: "canhgac".into(),
        ipv4_table: None,
        ipv6_table: None,
        flow4_table: Some("flowtab4".into()),
        flow6_table: Some("flowtab6".into()),
    };
    // BIRD refuses to start on a missing include: start with our empty file.
    std::fs::write(&routes_file, bird::render(&bird_config, &[])).unwrap();

    // A: the router canhgac drives, announcing to B over iBGP on ::1. The next hop is set to a
    // documentation address, since B would refuse its own ::1 as a next hop.
    let timers = "connect delay time 1; connect retry time 2; error wait time 1, 2;";
    let (_a, socket_a) = start_bird(
        dir.path(),
        "a",
        &format!(
            r#"router id 10.255.0.1;
protocol device {{}}
flow4 table flowtab4;
flow6 table flowtab6;
include "{routes}";
protocol bgp peer_b {{
  local ::1 port {port_a} as 65000;
  neighbor ::1 port {port_b} as 65000;
  {timers}
  ipv6 {{ import none; export all; next hop address 2001:db8:ffff::1; }};
  ipv4 {{ import none; export all; extended next hop on; next hop address 2001:db8:ffff::1; }};
  flow6 {{ table flowtab6; import none; export all; }};
}}
"#,
            routes = routes_file.display()
        ),
    );
    // B: the peer whose table we read.
    let (_b, socket_b) = start_bird(
        dir.path(),
        "b",
        &format!(
            r#"router id 10.255.0.2;
protocol device {{}}
flow6 table flowtab6;
protocol bgp peer_a {{
  local ::1 port {port_b} as 65000;
  neighbor ::1 port {port_a} as 65000;
  {timers}
  ipv6 {{ import all; export none; }};
  ipv4 {{ import all; export none; extended next hop on; }};
  flow6 {{ table flowtab6; import all; export none; }};
}}
"#
        ),
    );
    wait_for("the BGP session", || {
        birdc(&socket_b, &["show", "protocols", "peer_a"]).contains("Established")
    });

    let config = MitigateConfig {
        bird: Some(bird_config),
        groups: vec![GroupMitigation {
            group: GROUP.into(),
            blackhole: Some(BlackholeAction {
                communities: vec![Community::Standard(65535, 666)],
                timeout_secs: 600,
            }),
            flowspec: Some(FlowSpecConfig {
                action: FlowSpecAction::Discard,
                communities: vec![],
                timeout_secs: 600,
            }),
            ..GroupMitigation::default()
        }],
    };
    let ranges = [
        (7, "2001:db8:100::/48".parse().unwrap()),
        (7, "203.0.113.0/24".parse().unwrap()),
    ];
    let mut mitigator = Mitigator::new(config.clone(), http()).unwrap();
    mitigator.set_unit_ranges(ranges);
    let (started, updated) = syn_flood_events();
    let now = started.attack().started_ms;

    let records = mitigator.handle(&started, now).await;
    assert_eq!(records.len(), 2, "{records:#?}");
    for r in &records {
        assert_eq!(r.outcome, Outcome::Done, "{r:#?}");
        assert_eq!(r.attack_id, started.attack().id);
    }
    assert_eq!(records[0].action, ActionKind::BlackholeAnnounce);
    assert_eq!(records[0].target, format!("blackhole {TARGET}/128"));
    assert_eq!(records[1].action, ActionKind::FlowSpecAnnounce);

    // The peer has the /128 with the blackhole community, and the FlowSpec rule.
    wait_for("the blackhole at the peer", || {
        let table = birdc(&socket_b, &["show", "route", "table", "master6", "all"]);
        table.contains(&format!("{TARGET}/128")) && table.contains("BGP.community: (65535,666)")
    });
    wait_for("the FlowSpec rule at the peer", || {
        let table = birdc(&socket_b, &["show", "route", "table", "flowtab6", "all"]);
        table.contains(&format!("dst {TARGET}/128; next header 6; tcp flags"))
            && table.contains("(generic, 0x80060000, 0x0)")
    });

    // An IPv4 target too (the same fingerprint, another host): FlowSpec has no flow4 export
    // here, so only the blackhole is checked at the peer.
    let mut v4 = started.attack().clone();
    v4.id += 100;
    v4.target = AttackTarget::Host("203.0.113.10".parse().unwrap());
    let records = mitigator.handle(&AttackEvent::Started(v4), now).await;
    assert!(
        records.iter().all(|r| r.outcome == Outcome::Done),
        "{records:#?}"
    );
    wait_for("the IPv4 blackhole at the peer", || {
        let table = birdc(&socket_b, &["show", "route", "table", "master4", "all"]);
        table.contains("203.0.113.10/32") && table.contains("BGP.community: (65535,666)")
    });

    // canhgac restarts: the stored announcements come back and keep their timeouts.
    let saved = serde_json::to_string(&mitigator.announcements()).unwrap();
    drop(mitigator);
    let mut mitigator = Mitigator::new(config, http()).unwrap();
    mitigator.set_unit_ranges(ranges);
    mitigator.restore_announcements(
        serde_json::from_str::<Vec<canhgac_flow::mitigate::Announcement>>(&saved).unwrap(),
    );
    let reply = mitigator.sync().await.unwrap();
    assert!(reply.contains("Reconfigured"), "{reply}");
    assert_eq!(mitigator.announcements().len(), 4);

    // The IPv6 attack goes on: its update pushes its withdrawal back, without touching BIRD;
    // the IPv4 routes, without news of their attack, go at their timeout.
    assert!(mitigator.expire(now + 300_000).await.is_empty());
    assert!(mitigator.handle(&updated, now + 500_000).await.is_empty());
    let withdrawn = mitigator.expire(now + 600_000).await;
    assert_eq!(withdrawn.len(), 2, "{withdrawn:#?}");
    assert!(withdrawn
        .iter()
        .all(|r| r.target.contains("203.0.113.10/32")));
    assert_eq!(mitigator.next_expiry_ms(), Some(now + 1_100_000));
    wait_for("the IPv4 withdrawal at the peer", || {
        let unicast4 = birdc(&socket_b, &["show", "route", "table", "master4", "all"]);
        unicast4.contains("Table master4") && !unicast4.contains("203.0.113.10")
    });
    assert!(birdc(&socket_b, &["show", "route", "table", "master6", "all"]).contains(TARGET));
    let withdrawn = mitigator.expire(now + 1_100_000).await;
    assert_eq!(withdrawn.len(), 2, "{withdrawn:#?}");
    assert!(
        withdrawn.iter().all(|r| r.outcome == Outcome::Done),
        "{withdrawn:#?}"
    );
    assert!(withdrawn
        .iter()
        .any(|r| r.action == ActionKind::BlackholeWithdraw));
    assert!(withdrawn
        .iter()
        .any(|r| r.action == ActionKind::FlowSpecWithdraw));
    assert!(mitigator.announcements().is_empty());

    wait_for("the withdrawal at the peer", || {
        let unicast = birdc(&socket_b, &["show", "route", "table", "master6", "all"]);
        let unicast4 = birdc(&socket_b, &["show", "route", "table", "master4", "all"]);
        let flow = birdc(&socket_b, &["show", "route", "table", "flowtab6", "all"]);
        !unicast.contains(TARGET)
            && !flow.contains(TARGET)
            && !unicast4.contains("203.0.113.10")
            && unicast.contains("Table master6")
            && unicast4.contains("Table master4")
    });
    // Our own router has dropped them too, from a file that still parses.
    let table_a = birdc(&socket_a, &["show", "route", "all"]);
    assert!(
        !table_a.contains(TARGET) && !table_a.contains("203.0.113.10"),
        "{table_a}"
    );
}

#[tokio::test]
async fn an_announcement_outside_the_units_registered_ranges_is_refused_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let routes_file = dir.path().join("routes.conf");
    let config = MitigateConfig {
        bird: Some(BirdConfig {
            // Never reached: a call would fail as Failed, not Refused.
            birdc: dir.path().join("no-birdc"),
            socket: dir.path().join("no.ctl"),
            routes_file: routes_file.clone(),
            protocol_prefix: "canhgac".into(),
            ipv4_table: None,
            ipv6_table: None,
            flow4_table: None,
            flow6_table: None,
        }),
        groups: vec![GroupMitigation {
            group: GROUP.into(),
            blackhole: Some(BlackholeAction {
                communities: vec![Community::Standard(65535, 666)],
                timeout_secs: 600,
            }),
            flowspec: Some(FlowSpecConfig {
                action: FlowSpecAction::Discard,
                communities: vec![],
                timeout_secs: 600,
            }),
            ..GroupMitigation::default()
        }],
    };
    let mut mitigator = Mitigator::new(config, http()).unwrap();
    // Unit 7 registered only IPv4 space and another unit's IPv6: the target is not its own.
    mitigator.set_unit_ranges([
        (7, "203.0.113.0/24".parse().unwrap()),
        (8, "2001:db8:100::/48".parse().unwrap()),
    ]);
    let (started, updated) = syn_flood_events();
    let records = mitigator.handle(&started, T0).await;
    assert_eq!(records.len(), 2, "{records:#?}");
    for r in &records {
        assert_eq!(r.outcome, Outcome::Refused, "{r:#?}");
        assert_eq!(
            r.error.as_deref(),
            Some("từ chối công bố 2001:db8:100::10/128: không thuộc dải địa chỉ đã đăng ký của đơn vị 7")
        );
    }
    assert!(mitigator.announcements().is_empty());
    assert!(!routes_file.exists(), "nothing was written for BIRD");
    // Refused once per attack: its updates do not fill the audit log with the same refusal.
    assert!(mitigator.handle(&updated, T0 + 10_000).await.is_empty());
    let ended = AttackEvent::Ended(updated.attack().clone());
    assert!(mitigator.handle(&ended, T0 + 20_000).await.is_empty());

    // Inside the ranges, FlowSpec without a flow6 table is refused too, the blackhole tried.
    mitigator.set_unit_ranges([(7, "2001:db8::/32".parse().unwrap())]);
    let records = mitigator.handle(&started, T0).await;
    let flowspec = records
        .iter()
        .find(|r| r.action == ActionKind::FlowSpecAnnounce)
        .unwrap();
    assert_eq!(flowspec.outcome, Outcome::Refused);
    assert_eq!(
        flowspec.error.as_deref(),
        Some("chưa cấu hình bảng flow6 cho FlowSpec")
    );
    let blackhole = records
        .iter()
        .find(|r| r.action == ActionKind::BlackholeAnnounce)
        .unwrap();
    assert_eq!(
        blackhole.outcome,
        Outcome::Failed,
        "birdc is missing: {blackhole:#?}"
    );
    assert!(routes_file.exists());
}

// ---------------------------------------------------------------------------------------------
// Webhook

#[derive(Clone)]
struct Received(tokio::sync::mpsc::UnboundedSender<(axum::http::HeaderMap, Vec<u8>)>);

async fn receive(
    axum::extract::State(received): axum::extract::State<Received>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, &'static str) {
    let fail = headers.get("x-test-fail").is_some();
    let _ = received.0.send((headers, body.to_vec()));
    if fail {
        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "hỏng")
    } else {
        (axum::http::StatusCode::OK, "ok")
    }
}

#[tokio::test]
async fn the_webhook_gets_the_event_signed_with_hmac_sha256_and_a_refusal_is_recorded() {
    use hmac::{Hmac, Mac};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(Received(tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let secret = "bí mật chung";
    let group = |url: String| GroupMitigation {
        group: GROUP.into(),
        webhook: Some(WebhookAction {
            url,
            secret: secret.into(),
            timeout_secs: 10,
            events: vec!["started".into()],
        }),
        ..GroupMitigation::default()
    };
    let config = MitigateConfig {
        bird: None,
        groups: vec![group(format!("http://{addr}/hook"))],
    };
    let mut mitigator = Mitigator::new(config, http()).unwrap();
    let (started, updated) = syn_flood_events();
    let records = mitigator.handle(&started, T0).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, Outcome::Done, "{records:#?}");
    assert_eq!(records[0].action, ActionKind::Webhook);

    let (headers, body) = rx.recv().await.unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(headers["x-canhgac-signature"], expected.as_str());
    assert_eq!(headers["x-canhgac-event"], "started");
    assert_eq!(headers["content-type"], "application/json");
    let event: AttackEvent = serde_json::from_slice(&body).unwrap();
    assert_eq!(event, started);

    // Not configured for updates.
    assert!(mitigator.handle(&updated, T0).await.is_empty());

    // A receiver answering 500 is a failed action, with its reply.
    let failing = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::HeaderName::from_static("x-test-fail"),
                reqwest::header::HeaderValue::from_static("1"),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let config = MitigateConfig {
        bird: None,
        groups: vec![group(format!("http://{addr}/hook"))],
    };
    let mut mitigator = Mitigator::new(config, failing).unwrap();
    let records = mitigator.handle(&started, T0).await;
    assert_eq!(records[0].outcome, Outcome::Failed);
    let error = records[0].error.as_deref().unwrap();
    assert!(
        error.contains("HTTP 500") && error.contains("hỏng"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// Script

fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn the_script_gets_the_attack_on_stdin_and_in_its_environment_and_is_killed_on_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(
        dir.path(),
        "block.sh",
        r#"cat > "$1/stdin.json"
env | grep '^CANHGAC_' | sort > "$1/env.txt"
echo "đã chặn $CANHGAC_TARGET""#,
    );
    let slow = write_script(dir.path(), "slow.sh", "exec sleep 30");
    let failing = write_script(dir.path(), "fail.sh", "echo 'no route' >&2; exit 3");
    let action = |path: PathBuf, timeout_secs| ScriptAction {
        path,
        args: vec![dir.path().display().to_string()],
        timeout_secs,
        events: vec!["started".into(), "updated".into()],
    };
    let mitigator = |script| {
        Mitigator::new(
            MitigateConfig {
                bird: None,
                groups: vec![GroupMitigation {
                    group: GROUP.into(),
                    script: Some(script),
                    ..GroupMitigation::default()
                }],
            },
            http(),
        )
        .unwrap()
    };

    let (started, _) = syn_flood_events();
    let records = mitigator(action(script.clone(), 30))
        .handle(&started, T0)
        .await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, Outcome::Done, "{records:#?}");
    assert_eq!(
        records[0].detail.as_deref(),
        Some(format!("đã chặn {TARGET}").as_str())
    );
    let stdin: AttackEvent =
        serde_json::from_slice(&std::fs::read(dir.path().join("stdin.json")).unwrap()).unwrap();
    assert_eq!(stdin, started);
    let env = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    let attack = started.attack();
    for line in [
        format!("CANHGAC_ATTACK_ID={}", attack.id),
        "CANHGAC_ATTACK_KIND=syn_flood".into(),
        "CANHGAC_DIRECTION=incoming".into(),
        "CANHGAC_EVENT=started".into(),
        format!("CANHGAC_GROUP={GROUP}"),
        format!("CANHGAC_PPS={}", attack.peak.pps),
        format!("CANHGAC_TARGET={TARGET}"),
        "CANHGAC_UNIT_ID=7".into(),
    ] {
        assert!(
            env.lines().any(|l| l == line),
            "{line} missing from:\n{env}"
        );
    }

    let records = mitigator(action(failing, 30)).handle(&started, T0).await;
    assert_eq!(records[0].outcome, Outcome::Failed);
    let error = records[0].error.as_deref().unwrap();
    assert!(
        error.contains("exit status: 3") && error.contains("no route"),
        "{error}"
    );

    let begun = Instant::now();
    let records = mitigator(action(slow, 1)).handle(&started, T0).await;
    assert_eq!(records[0].outcome, Outcome::Failed);
    assert!(
        records[0].error.as_deref().unwrap().contains("quá 1 giây"),
        "{records:#?}"
    );
    assert!(
        begun.elapsed() < Duration::from_secs(25),
        "killed, not waited for"
    );
}

#[test]
fn every_kind_of_route_we_render_parses_in_bird() {
    if !bird_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = BirdConfig {
        birdc: "/usr/sbin/birdc".into(),
        socket: dir.path().join("x.ctl"),
        routes_file: dir.path().join("routes.conf"),
        protocol_prefix: "canhgac".into(),
        ipv4_table: Some("rtbh4".into()),
        ipv6_table: None,
        flow4_table: Some("flowtab4".into()),
        flow6_table: Some("flowtab6".into()),
    };
    let mut routes = Vec::new();
    for host in ["203.0.113.5/32", "2001:db8:100::5/128"] {
        let destination: ipnet::IpNet = host.parse().unwrap();
        routes.push(Route::Blackhole {
            prefix: destination,
            communities: vec![
                Community::Standard(65535, 666),
                Community::Large(4_200_000_000, 666, 0),
            ],
        });
        let v6 = matches!(destination, ipnet::IpNet::V6(_));
        let base = FlowSpecRule {
            destination,
            protocol: None,
            source_port: None,
            syn_only: false,
            fragments: false,
            action: FlowSpecAction::Discard,
        };
        for rule in [
            base.clone(),
            FlowSpecRule {
                protocol: Some(6),
                syn_only: true,
                ..base.clone()
            },
            FlowSpecRule {
                protocol: Some(17),
                source_port: Some(11211),
                ..base.clone()
            },
            FlowSpecRule {
                protocol: Some(if v6 { 58 } else { 1 }),
                ..base.clone()
            },
            FlowSpecRule {
                fragments: true,
                ..base.clone()
            },
            FlowSpecRule {
                protocol: Some(17),
                action: FlowSpecAction::RateLimit {
                    bytes_per_sec: 1_000_000.0,
                },
                ..base.clone()
            },
        ] {
            routes.push(Route::FlowSpec {
                rule,
                communities: vec![Community::Standard(65000, 1)],
            });
        }
    }
    let include = dir.path().join("routes.conf");
    std::fs::write(
        &include,
        bird::render(&config, &routes.iter().collect::<Vec<_>>()),
    )
    .unwrap();
    let main = dir.path().join("bird.conf");
    std::fs::write(
        &main,
        format!(
            "router id 10.0.0.1;\nipv4 table rtbh4;\nflow4 table flowtab4;\nflow6 table flowtab6;\ninclude \"{}\";\n",
            include.display()
        ),
    )
    .unwrap();
    let out = Command::new("/usr/sbin/bird")
        .arg("-p")
        .arg("-c")
        .arg(&main)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&include).unwrap()
    );
    // And a broken file is caught by the same check (the test can fail).
    std::fs::write(&include, "protocol static { route nonsense; }").unwrap();
    let out = Command::new("/usr/sbin/bird")
        .arg("-p")
        .arg("-c")
        .arg(&main)
        .output()
        .unwrap();
    assert!(!out.status.success());
}
