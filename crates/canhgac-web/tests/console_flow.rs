//! The ISP network page (`/flow`): traffic charts and top hosts per prefix group, attacks with
//! their fingerprint, exporter health for province-wide staff, and an ISP officer who sees only
//! their own groups and attacks. The board is fed by a real detector over synthetic flows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use std::sync::Arc;

use canhgac_flow::board::FlowBoard;
use canhgac_flow::collector::CollectorStats;
use canhgac_flow::detect::{ClassThresholds, DetectConfig, Detector, GroupConfig, RateLimit};
use canhgac_flow::{FlowRecord, Protocol};
use canhgac_model::{Actor, Role, UnitInput, UnitKind};
use console_support::*;

const T0: u64 = 1_764_583_200_000;

fn group(name: &str, unit_id: i64, prefix: &str) -> GroupConfig {
    GroupConfig {
        name: name.into(),
        unit_id,
        prefixes: vec![prefix.parse().unwrap()],
        host: ClassThresholds {
            syn: Some(RateLimit {
                pps: Some(1_000),
                ..RateLimit::default()
            }),
            ..ClassThresholds::default()
        },
        incoming: ClassThresholds::default(),
        outgoing: ClassThresholds::default(),
        scan: None,
        baseline: None,
    }
}

fn syn_flood(dst: &str) -> Vec<FlowRecord> {
    (0..100)
        .map(|i| FlowRecord {
            exporter: "127.0.0.1".parse().unwrap(),
            src: format!("192.0.2.{}", i + 1).parse().unwrap(),
            dst: dst.parse().unwrap(),
            src_port: 40_000,
            dst_port: 443,
            protocol: Protocol::TCP,
            tcp_flags: 0x02,
            packets: 100,
            bytes: 6_000,
            sampling_rate: 1,
            fragment: false,
            first_ms: 0,
            last_ms: 0,
        })
        .collect()
}

#[tokio::test]
async fn the_flow_page_charts_each_group_and_an_isp_sees_only_its_own() {
    for app in apps_adjusted(|state| state.with_flow(Arc::new(FlowBoard::new()))).await {
        let board = app.state.flow.clone().unwrap();
        let store = &app.state.store;
        let sys = Actor::system("test");
        let a = store
            .create_unit(&sys, UnitInput::new("Nhà mạng Alpha", UnitKind::Isp, None))
            .await
            .unwrap()
            .id;
        let b = store
            .create_unit(&sys, UnitInput::new("Nhà mạng Bravo", UnitKind::Isp, None))
            .await
            .unwrap()
            .id;
        let mut detector = Detector::new(DetectConfig {
            window_secs: 2,
            hold_down_secs: 60,
            groups: vec![
                group("khach-hang-alpha", a, "203.0.113.0/24"),
                group("khach-hang-bravo", b, "198.51.100.0/24"),
            ],
            ..DetectConfig::default()
        })
        .unwrap();
        // 12 s of a SYN flood on a host of Alpha, the board read every second.
        for second in 0..12 {
            let now = T0 + second * 1_000;
            for event in detector.observe(&syn_flood("203.0.113.9"), now) {
                board.record(&event);
            }
            board.observe(&detector, now);
        }
        board.set_collector(CollectorStats {
            exporters: Vec::new(),
            unknown: Vec::new(),
            unknown_unlisted_datagrams: 7,
            batches: 12,
            receive_errors: 0,
        });

        board.record_mitigation(&canhgac_flow::mitigate::MitigationRecord {
            attack_id: 1,
            unit_id: a,
            action: canhgac_flow::mitigate::ActionKind::Webhook,
            target: "https://noc.alpha.example.vn/hook?token=bi-mat".into(),
            at_ms: T0 + 2_000,
            outcome: canhgac_flow::mitigate::Outcome::Done,
            detail: None,
            error: None,
        });
        let mut admin = admin(&app).await;
        let page = admin.get(&app, "/flow").await;
        page.expect(200);
        let body = &page.body;
        assert!(body.contains("Mạng ISP (luồng)"), "{body}");
        assert!(
            body.contains(r#"data-group="khach-hang-alpha""#)
                && body.contains(r#"data-group="khach-hang-bravo""#)
        );
        // Alpha's charts have points (T0 and T0 + 10 s, in and out); the flood's host tops its list; the attack is listed
        // with its fingerprint and a link to the unit's alerts.
        assert!(
            body.contains("<svg") && body.contains("data-points=\"4\""),
            "{body}"
        );
        assert!(body.contains(r#"data-host="203.0.113.9""#), "{body}");
        assert!(body.contains(r#"data-kind="syn_flood""#), "{body}");
        assert!(
            body.contains(&format!("/alerts?source=flow&amp;unit_id={a}")),
            "{body}"
        );
        assert!(body.contains("192.0.2."), "top sources shown: {body}");
        // The webhook called is listed, without the token in its address.
        assert!(body.contains("https://noc.alpha.example.vn/…"), "{body}");
        assert!(!body.contains("bi-mat"), "a webhook's token shown: {body}");
        // Province-wide staff see the routers' side.
        assert!(body.contains("Bộ xuất luồng"), "{body}");
        assert!(body.contains("các nguồn khác"), "{body}");

        create_user(&app, "canbo.bravo", Role::UnitOfficer, vec![b]).await;
        let mut officer = Browser::new();
        officer.login(&app, "canbo.bravo", PASSWORD).await;
        let own = officer.get(&app, "/flow").await;
        own.expect(200);
        assert!(own.body.contains(r#"data-group="khach-hang-bravo""#));
        assert!(
            !own.body.contains("khach-hang-alpha"),
            "another ISP's group leaked"
        );
        assert!(
            !own.body.contains("203.0.113.9"),
            "another ISP's attack leaked"
        );
        assert!(
            !own.body.contains("Bộ xuất luồng"),
            "router counters shown to a unit officer"
        );
        assert!(own.body.contains(r#"id="no-active""#));
        assert!(
            !own.body.contains("noc.alpha"),
            "another ISP's mitigation leaked"
        );

        let english = admin.get(&app, "/flow?lang=en").await;
        english.expect(200);
    }
}

#[tokio::test]
async fn without_a_collector_the_page_says_so() {
    for app in apps().await {
        let mut admin = admin(&app).await;
        let page = admin.get(&app, "/flow").await;
        page.expect(200);
        assert!(page.body.contains(r#"id="flow-off""#), "{}", page.body);
    }
}
