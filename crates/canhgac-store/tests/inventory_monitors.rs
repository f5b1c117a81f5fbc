//! Monitors in inventory plans and exports, on every backend `test_stores()` gives: applied in
//! the import's transaction, audited, scoped by the asset's system owner, exported (automatic
//! ones too) as the records that were imported.
#![allow(clippy::unwrap_used)]

use canhgac_model::inventory::{
    AssetRecord, Change, InventoryPlan, MonitorRecord, SystemRecord, UnitRecord,
};
use canhgac_model::{
    Actor, AssetKind, AuditFilter, DefacementSettings, Id, MonitorFilter, MonitorInput,
    MonitorKind, MonitorStatus, PageRequest, Scope, SystemKind, UnitKind,
};
use canhgac_store::testing::test_stores;
use canhgac_store::{Store, StoreError};

fn admin() -> Actor {
    Actor::system("test-admin")
}

fn officer(units: Vec<Id>) -> Actor {
    Actor {
        user_id: None,
        name: "officer".into(),
        scope: Scope::Units(units),
    }
}

fn unit(code: &str) -> UnitRecord {
    UnitRecord {
        code: code.into(),
        name: format!("Đơn vị {code}"),
        kind: UnitKind::Department,
        parent: None,
        address: None,
        valid_from: None,
        valid_to: None,
    }
}

fn system(code: &str, owner: &str) -> SystemRecord {
    SystemRecord {
        code: code.into(),
        name: format!("Cổng {code}"),
        kind: SystemKind::Portal,
        owner: owner.into(),
        operator: None,
        security_level: None,
        level_decision_number: None,
        level_decision_date: None,
        information_class: None,
        purpose: None,
        services: vec![],
        security_controls: vec![],
        isp: None,
        security_provider: None,
    }
}

fn asset(system: &str, kind: AssetKind, value: &str) -> AssetRecord {
    AssetRecord {
        system: system.into(),
        kind,
        value: value.into(),
        name: None,
        os: None,
        os_version: None,
        software: vec![],
        note: None,
    }
}

/// A validated monitor record, as a parsed file holds it.
fn monitor(system: &str, kind: AssetKind, asset: &str, input: MonitorInput) -> MonitorRecord {
    let mut input = input;
    input.validate().unwrap();
    MonitorRecord::from_input(system, kind, asset, input)
}

fn home_page() -> MonitorRecord {
    let mut input = MonitorInput::new(
        0,
        "Trang chủ",
        MonitorKind::Http,
        "https://a.hoabinhxanh.gov.vn/",
    );
    input.settings.conditions = vec!["[STATUS] == 200".into()];
    input.settings.defacement = Some(DefacementSettings {
        ignore_selectors: vec![".ngay-gio".into()],
        ..DefacementSettings::default()
    });
    input.public = true;
    monitor(
        "cong-a",
        AssetKind::Url,
        "https://a.hoabinhxanh.gov.vn/",
        input,
    )
}

fn dns_a() -> MonitorRecord {
    let mut input = MonitorInput::new(0, "Bản ghi A", MonitorKind::Dns, "a.hoabinhxanh.gov.vn");
    input.settings.expected = vec!["203.0.113.10".into()];
    input.interval_secs = 300;
    monitor("cong-a", AssetKind::Domain, "a.hoabinhxanh.gov.vn", input)
}

fn tcp_b() -> MonitorRecord {
    let input = MonitorInput::new(0, "HTTPS", MonitorKind::Tcp, "203.0.113.20:443");
    monitor("cong-b", AssetKind::Ip, "203.0.113.20", input)
}

fn create<T>(after: T) -> Change<T> {
    Change::Create { after }
}

/// Two units, each with a portal; unit A's portal has a URL and a domain, B's an IP; three
/// monitors.
fn base_plan() -> InventoryPlan {
    InventoryPlan {
        units: vec![create(unit("so-a")), create(unit("so-b"))],
        systems: vec![
            create(system("cong-a", "so-a")),
            create(system("cong-b", "so-b")),
        ],
        assets: vec![
            create(asset(
                "cong-a",
                AssetKind::Url,
                "https://a.hoabinhxanh.gov.vn/",
            )),
            create(asset("cong-a", AssetKind::Domain, "a.hoabinhxanh.gov.vn")),
            create(asset("cong-b", AssetKind::Ip, "203.0.113.20")),
        ],
        monitors: vec![create(home_page()), create(dns_a()), create(tcp_b())],
        ..InventoryPlan::default()
    }
}

fn sorted(mut monitors: Vec<MonitorRecord>) -> Vec<MonitorRecord> {
    monitors.sort_by(|a, b| (&a.system, &a.asset, &a.name).cmp(&(&b.system, &b.asset, &b.name)));
    monitors
}

async fn unit_id(store: &dyn Store, code: &str) -> Id {
    let units = store
        .list_units(
            &Scope::All,
            &canhgac_store::UnitFilter::default(),
            &PageRequest::new(1, 100),
        )
        .await
        .unwrap();
    units
        .items
        .iter()
        .find(|u| u.code == code)
        .map(|u| u.id)
        .unwrap()
}

async fn monitors_named(store: &dyn Store, name: &str) -> Vec<canhgac_model::Monitor> {
    let mut all = store
        .list_monitors(
            &Scope::All,
            &MonitorFilter::default(),
            &PageRequest::new(1, 100),
        )
        .await
        .unwrap()
        .items;
    all.retain(|m| m.input.name == name);
    all
}

#[tokio::test]
async fn imported_monitors_are_created_audited_and_exported_as_imported() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let stamp = s.watch_stamp().await.unwrap();
        let summary = s.apply_inventory(&admin(), &base_plan()).await.unwrap();
        assert_eq!(summary.created, 2 + 2 + 3 + 3, "{n}");
        assert_ne!(s.watch_stamp().await.unwrap(), stamp, "{n}: scheduler told");

        let doc = s.export_inventory(&Scope::All).await.unwrap();
        assert_eq!(
            sorted(doc.monitors.clone()),
            sorted(vec![home_page(), dns_a(), tcp_b()]),
            "{n}"
        );
        let page = monitors_named(s.as_ref(), "Trang chủ").await;
        assert_eq!(page.len(), 1, "{n}");
        assert_eq!(page[0].status, MonitorStatus::Pending, "{n}");
        assert!(!page[0].automatic, "{n}");
        assert_eq!(
            page[0].input.settings.conditions,
            ["[STATUS] == 200"],
            "{n}"
        );

        let audit = s
            .list_audit(
                &AuditFilter {
                    entity: Some("monitor".into()),
                    ..AuditFilter::default()
                },
                &PageRequest::new(1, 100),
            )
            .await
            .unwrap();
        assert_eq!(audit.total, 3, "{n}: one audit entry per monitor");
        assert!(audit.items.iter().all(|e| e.action == "create"), "{n}");

        // An officer of unit A exports A's monitors only.
        let a = unit_id(s.as_ref(), "so-a").await;
        let doc = s.export_inventory(&Scope::Units(vec![a])).await.unwrap();
        assert_eq!(
            sorted(doc.monitors),
            sorted(vec![home_page(), dns_a()]),
            "{n}"
        );
    }
}

#[tokio::test]
async fn updates_keep_the_monitor_and_deletes_stay_deleted() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        s.apply_inventory(&admin(), &base_plan()).await.unwrap();
        let id = monitors_named(s.as_ref(), "Trang chủ").await[0].id;

        let mut changed = home_page();
        changed.interval_secs = 120;
        changed.enabled = false;
        let plan = InventoryPlan {
            monitors: vec![
                Change::Update {
                    before: home_page(),
                    after: changed.clone(),
                },
                Change::Delete { before: tcp_b() },
            ],
            ..InventoryPlan::default()
        };
        let summary = s.apply_inventory(&admin(), &plan).await.unwrap();
        assert_eq!((summary.updated, summary.deleted), (1, 1), "{n}");
        let page = s.get_monitor(&Scope::All, id).await.unwrap();
        assert_eq!(page.id, id, "{n}: the same monitor, with its history");
        assert_eq!(page.input.interval_secs, 120, "{n}");
        assert_eq!(page.status, MonitorStatus::Paused, "{n}");
        assert!(monitors_named(s.as_ref(), "HTTPS").await.is_empty(), "{n}");
        let doc = s.export_inventory(&Scope::All).await.unwrap();
        assert_eq!(sorted(doc.monitors), sorted(vec![changed, dns_a()]), "{n}");

        // The automatic pass does not bring back a monitor an import deleted.
        let asset_id = {
            let doc = s
                .list_assets(
                    &Scope::All,
                    &canhgac_store::AssetFilter::default(),
                    &PageRequest::new(1, 100),
                )
                .await
                .unwrap();
            doc.items
                .iter()
                .find(|a| a.value == "203.0.113.20")
                .unwrap()
                .id
        };
        let again = MonitorInput::new(asset_id, "HTTPS", MonitorKind::Tcp, "203.0.113.20:443");
        assert_eq!(
            s.create_automatic_monitors(vec![again]).await.unwrap(),
            0,
            "{n}"
        );
    }
}

#[tokio::test]
async fn automatic_monitors_are_exported_and_asset_deletes_take_monitors() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        s.apply_inventory(&admin(), &base_plan()).await.unwrap();
        let assets = s
            .list_assets(
                &Scope::All,
                &canhgac_store::AssetFilter::default(),
                &PageRequest::new(1, 100),
            )
            .await
            .unwrap();
        let domain = assets
            .items
            .iter()
            .find(|a| a.value == "a.hoabinhxanh.gov.vn")
            .unwrap()
            .id;
        let tls = MonitorInput::new(domain, "TLS", MonitorKind::Tls, "a.hoabinhxanh.gov.vn:443");
        assert_eq!(
            s.create_automatic_monitors(vec![tls]).await.unwrap(),
            1,
            "{n}"
        );
        let doc = s.export_inventory(&Scope::All).await.unwrap();
        let exported = doc.monitors.iter().find(|m| m.name == "TLS").unwrap();
        assert_eq!(exported.asset_kind, AssetKind::Domain, "{n}");
        assert_eq!(exported.kind, MonitorKind::Tls, "{n}");

        // Deleting the domain, with its two monitors as a plan lists them.
        let tls_record = exported.clone();
        let plan = InventoryPlan {
            monitors: vec![
                Change::Delete { before: dns_a() },
                Change::Delete { before: tls_record },
            ],
            assets: vec![Change::Delete {
                before: asset("cong-a", AssetKind::Domain, "a.hoabinhxanh.gov.vn"),
            }],
            ..InventoryPlan::default()
        };
        let summary = s.apply_inventory(&admin(), &plan).await.unwrap();
        assert_eq!(summary.deleted, 3, "{n}");
        let doc = s.export_inventory(&Scope::All).await.unwrap();
        assert_eq!(
            sorted(doc.monitors),
            sorted(vec![home_page(), tcp_b()]),
            "{n}"
        );
    }
}

#[tokio::test]
async fn bad_monitors_fail_the_whole_import() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        // A monitor of an asset the system does not have: nothing of the plan is written.
        let mut plan = base_plan();
        plan.monitors.push(create(monitor(
            "cong-b",
            AssetKind::Ip,
            "203.0.113.99",
            MonitorInput::new(0, "Lạc", MonitorKind::Tcp, "203.0.113.99:22"),
        )));
        let err = s.apply_inventory(&admin(), &plan).await.unwrap_err();
        match &err {
            StoreError::Invalid(e) => {
                assert_eq!(e.field, "asset", "{n}");
                assert!(
                    e.message.contains("has no asset ip 203.0.113.99"),
                    "{n}: {e}"
                );
            }
            other => panic!("{n}: {other}"),
        }
        let doc = s.export_inventory(&Scope::All).await.unwrap();
        assert!(doc.units.is_empty() && doc.monitors.is_empty(), "{n}");

        // A monitor the model refuses.
        let mut plan = base_plan();
        if let Change::Create { after } = &mut plan.monitors[0] {
            after.interval_secs = 5;
        }
        let err = s.apply_inventory(&admin(), &plan).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(e) if e.field == "interval_secs"),
            "{n}: {err}"
        );

        // Creating what already exists (a stale plan) is a conflict.
        s.apply_inventory(&admin(), &base_plan()).await.unwrap();
        let stale = InventoryPlan {
            monitors: vec![create(tcp_b())],
            ..InventoryPlan::default()
        };
        let err = s.apply_inventory(&admin(), &stale).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict { field, .. } if field == "name"),
            "{n}: {err}"
        );

        // An officer of unit A cannot add a monitor to B's portal, nor delete one.
        let a = unit_id(s.as_ref(), "so-a").await;
        let mut other = tcp_b();
        other.name = "Khác".into();
        let plan = InventoryPlan {
            monitors: vec![create(other)],
            ..InventoryPlan::default()
        };
        let err = s
            .apply_inventory(&officer(vec![a]), &plan)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::OutOfScope(_)), "{n}: {err}");
        let plan = InventoryPlan {
            monitors: vec![Change::Delete { before: tcp_b() }],
            ..InventoryPlan::default()
        };
        let err = s
            .apply_inventory(&officer(vec![a]), &plan)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{n}: {err}");
        assert_eq!(monitors_named(s.as_ref(), "HTTPS").await.len(), 1, "{n}");
    }
}
