//! The store's behaviour, run against every backend `test_stores()` returns (SQLite always,
//! PostgreSQL when `CANHGAC_TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use canhgac_model::inventory::{
    AssetRecord, Change, ContactRecord, InventoryPlan, SystemRecord, UnitRecord,
};
use canhgac_model::{
    Actor, AssetInput, AssetKind, AuditFilter, AuthorityInput, ContactInput, Id, InformationClass,
    PageRequest, Role, Scope, Software, SystemInput, SystemKind, UnitInput, UnitKind, UserInput,
};
use canhgac_store::testing::test_stores;
use canhgac_store::{AssetFilter, ContactFilter, Store, StoreError, SystemFilter, UnitFilter};

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

fn page(q: Option<&str>) -> PageRequest {
    PageRequest {
        q: q.map(str::to_string),
        ..PageRequest::new(1, 100)
    }
}

fn unit(name: &str, kind: UnitKind, parent: Option<Id>) -> UnitInput {
    UnitInput::new(name, kind, parent)
}

fn date(s: &str) -> canhgac_model::Date {
    s.parse().unwrap()
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>, backend: &str) {
    assert!(
        matches!(r, Err(StoreError::NotFound { .. })),
        "{backend}: expected NotFound, got {r:?}"
    );
}

#[track_caller]
fn assert_out_of_scope<T: std::fmt::Debug>(r: Result<T, StoreError>, backend: &str) {
    assert!(
        matches!(r, Err(StoreError::OutOfScope(_))),
        "{backend}: expected OutOfScope, got {r:?}"
    );
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, field: &str, backend: &str) {
    match r {
        Err(StoreError::Conflict { field: f, message }) => {
            assert_eq!(
                f, field,
                "{backend}: conflict on the wrong field: {message}"
            );
            assert!(
                !message.to_lowercase().contains("constraint"),
                "{backend}: raw SQL error leaked: {message}"
            );
        }
        other => panic!("{backend}: expected Conflict on {field}, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(r: Result<T, StoreError>, field: &str, backend: &str) {
    match r {
        Err(StoreError::Invalid(e)) => assert_eq!(e.field, field, "{backend}: {e}"),
        other => panic!("{backend}: expected Invalid {field}, got {other:?}"),
    }
}

/// Province P with departments A (and A's child A1) and B.
struct Tree {
    p: Id,
    a: Id,
    a1: Id,
    b: Id,
}

async fn tree(s: &Arc<dyn Store>) -> Tree {
    let p = s
        .create_unit(
            &admin(),
            unit("UBND tỉnh Hòa Bình Xanh", UnitKind::Province, None),
        )
        .await
        .unwrap()
        .id;
    let a = s
        .create_unit(&admin(), unit("Sở Y tế", UnitKind::Department, Some(p)))
        .await
        .unwrap()
        .id;
    let a1 = s
        .create_unit(
            &admin(),
            unit(
                "Bệnh viện Đa khoa tỉnh",
                UnitKind::PublicServiceUnit,
                Some(a),
            ),
        )
        .await
        .unwrap()
        .id;
    let b = s
        .create_unit(
            &admin(),
            unit("Sở Tài chính", UnitKind::Department, Some(p)),
        )
        .await
        .unwrap()
        .id;
    Tree { p, a, a1, b }
}

#[tokio::test]
async fn units_crud_validation_and_conflicts() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let t = tree(s).await;
        let a = s.get_unit(&Scope::All, t.a).await.unwrap();
        assert_eq!(a.code, "so-y-te", "{n}");
        assert_eq!(a.parent_id, Some(t.p));

        let all = s
            .list_units(&Scope::All, &UnitFilter::default(), &page(None))
            .await
            .unwrap();
        assert_eq!(all.total, 4, "{n}");
        let names: Vec<_> = all.items.iter().map(|u| u.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{n}: listing by name");

        let children = s
            .list_units(
                &Scope::All,
                &UnitFilter {
                    parent_id: Some(t.p),
                    kind: None,
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(children.total, 2, "{n}");
        let depts = s
            .list_units(
                &Scope::All,
                &UnitFilter {
                    parent_id: None,
                    kind: Some(UnitKind::PublicServiceUnit),
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(depts.items.len(), 1, "{n}");
        // Case-insensitive substring on name or code.
        let found = s
            .list_units(&Scope::All, &UnitFilter::default(), &page(Some("SỞ")))
            .await
            .unwrap();
        assert_eq!(found.total, 2, "{n}: {:?}", found.items);
        let found = s
            .list_units(
                &Scope::All,
                &UnitFilter::default(),
                &page(Some("TAI-CHINH")),
            )
            .await
            .unwrap();
        assert_eq!(found.total, 1, "{n}");
        // LIKE wildcards in q are literal.
        let none = s
            .list_units(&Scope::All, &UnitFilter::default(), &page(Some("%")))
            .await
            .unwrap();
        assert_eq!(none.total, 0, "{n}");
        let none = s
            .list_units(&Scope::All, &UnitFilter::default(), &page(Some("s_")))
            .await
            .unwrap();
        assert_eq!(none.total, 0, "{n}");

        let mut change = UnitInput::from(&a);
        change.name = "Sở Y tế tỉnh".into();
        change.address = Some("  12 Trần Hưng Đạo ".into());
        change.valid_from = Some(date("2025-07-01"));
        let updated = s.update_unit(&admin(), t.a, change).await.unwrap();
        assert_eq!(updated.address.as_deref(), Some("12 Trần Hưng Đạo"), "{n}");
        assert_eq!(s.get_unit(&Scope::All, t.a).await.unwrap(), updated, "{n}");
        assert_eq!(updated.created_at, a.created_at, "{n}");

        assert_invalid(
            s.create_unit(&admin(), unit("   ", UnitKind::Department, Some(t.p)))
                .await,
            "name",
            n,
        );
        let mut bad_dates = unit("Sở Xây dựng", UnitKind::Department, Some(t.p));
        bad_dates.valid_from = Some(date("2025-07-01"));
        bad_dates.valid_to = Some(date("2025-06-30"));
        assert_invalid(s.create_unit(&admin(), bad_dates).await, "valid_to", n);
        assert_invalid(
            s.create_unit(
                &admin(),
                unit("Ghost child", UnitKind::Department, Some(9999)),
            )
            .await,
            "parent_id",
            n,
        );
        assert_conflict(
            s.create_unit(&admin(), unit("Sở Y tế", UnitKind::Department, Some(t.p)))
                .await,
            "code",
            n,
        );
        let mut dup = UnitInput::from(&s.get_unit(&Scope::All, t.b).await.unwrap());
        dup.code = "so-y-te".into();
        assert_conflict(s.update_unit(&admin(), t.b, dup).await, "code", n);

        match s.delete_unit(&admin(), t.a).await {
            Err(StoreError::Conflict { message, .. }) => {
                assert!(message.contains("1 child units"), "{n}: {message}")
            }
            other => panic!("{n}: {other:?}"),
        }
        s.delete_unit(&admin(), t.a1).await.unwrap();
        assert_not_found(s.get_unit(&Scope::All, t.a1).await, n);
        assert_not_found(s.delete_unit(&admin(), t.a1).await, n);
        assert_eq!(s.all_units(&Scope::All).await.unwrap().len(), 3, "{n}");
    }
}

#[tokio::test]
async fn briefs_and_names_are_scoped_and_light() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let t = tree(s).await;
        let mut ended = UnitInput::from(&s.get_unit(&Scope::All, t.b).await.unwrap());
        ended.valid_to = Some(date("2026-12-31"));
        s.update_unit(&admin(), t.b, ended).await.unwrap();

        // Briefs carry what a tree needs, in the same order as all_units.
        let briefs = s.unit_briefs(&Scope::All).await.unwrap();
        let full = s.all_units(&Scope::All).await.unwrap();
        assert_eq!(
            briefs.iter().map(|b| b.id).collect::<Vec<_>>(),
            full.iter().map(|u| u.id).collect::<Vec<_>>(),
            "{n}"
        );
        for (b, u) in briefs.iter().zip(&full) {
            assert_eq!(
                (b.parent_id, &b.name, b.kind, b.valid_to),
                (u.parent_id, &u.name, u.kind, u.valid_to),
                "{n}"
            );
        }
        let scoped: Vec<Id> = s
            .unit_briefs(&Scope::Units(vec![t.a]))
            .await
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(scoped, vec![t.a1, t.a], "{n}: by name, only A's subtree");

        // Names: only ids in scope answer, duplicates collapse, unknown ids are left out.
        let names = s
            .unit_names(&Scope::Units(vec![t.a]), &[t.b, t.a1, t.a, t.a1, 999_999])
            .await
            .unwrap();
        assert_eq!(
            names,
            vec![
                (t.a, "Sở Y tế".to_string()),
                (t.a1, "Bệnh viện Đa khoa tỉnh".to_string())
            ],
            "{n}"
        );
        assert!(s.unit_names(&Scope::All, &[]).await.unwrap().is_empty());

        // System names: owner or operator in scope.
        let mine = s
            .create_system(
                &admin(),
                SystemInput::new("Cổng Sở Y tế", SystemKind::Portal, t.a),
            )
            .await
            .unwrap();
        let theirs = s
            .create_system(
                &admin(),
                SystemInput::new("Thư điện tử Sở Tài chính", SystemKind::Email, t.b),
            )
            .await
            .unwrap();
        assert_eq!(
            s.system_names(&Scope::All).await.unwrap(),
            vec![
                (mine.id, mine.name.clone()),
                (theirs.id, theirs.name.clone())
            ],
            "{n}"
        );
        assert_eq!(
            s.system_names(&Scope::Units(vec![t.a])).await.unwrap(),
            vec![(mine.id, mine.name.clone())],
            "{n}"
        );
    }
}

#[tokio::test]
async fn page_totals_are_exact_on_every_page() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let t = tree(s).await;
        for i in 0..3 {
            s.create_unit(
                &admin(),
                unit(&format!("Phòng {i}"), UnitKind::Department, Some(t.b)),
            )
            .await
            .unwrap();
        }
        // 7 units: full pages, the last partial page, a page past the end, and a search.
        for (number, per_page, shown) in [
            (1, 3, 3),
            (2, 3, 3),
            (3, 3, 1),
            (4, 3, 0),
            (1, 7, 7),
            (1, 50, 7),
        ] {
            let got = s
                .list_units(
                    &Scope::All,
                    &UnitFilter::default(),
                    &PageRequest::new(number, per_page),
                )
                .await
                .unwrap();
            assert_eq!(
                (got.items.len(), got.total),
                (shown, 7),
                "{n}: page {number} of {per_page}"
            );
        }
        let mut q = PageRequest::new(1, 2);
        q.q = Some("phòng".into());
        let got = s
            .list_units(&Scope::All, &UnitFilter::default(), &q)
            .await
            .unwrap();
        assert_eq!((got.items.len(), got.total), (2, 3), "{n}");
        q.page = 2;
        let got = s
            .list_units(&Scope::All, &UnitFilter::default(), &q)
            .await
            .unwrap();
        assert_eq!((got.items.len(), got.total), (1, 3), "{n}");
    }
}

#[tokio::test]
async fn moving_units_refuses_cycles_and_repaths_subtrees() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let t = tree(s).await;
        let p = s.get_unit(&Scope::All, t.p).await.unwrap();
        let mut cyc = UnitInput::from(&p);
        cyc.parent_id = Some(t.a1);
        assert_conflict(s.update_unit(&admin(), t.p, cyc).await, "parent_id", n);
        let a = s.get_unit(&Scope::All, t.a).await.unwrap();
        let mut own = UnitInput::from(&a);
        own.parent_id = Some(t.a);
        assert_conflict(s.update_unit(&admin(), t.a, own).await, "parent_id", n);

        // Move A (with A1) under B: an officer of B now sees A1, an officer of A still does.
        let mut mv = UnitInput::from(&a);
        mv.parent_id = Some(t.b);
        s.update_unit(&admin(), t.a, mv).await.unwrap();
        let seen_b: Vec<Id> = s
            .all_units(&Scope::Units(vec![t.b]))
            .await
            .unwrap()
            .iter()
            .map(|u| u.id)
            .collect();
        assert_eq!(seen_b.len(), 3, "{n}: {seen_b:?}");
        assert!(seen_b.contains(&t.a1), "{n}");
        s.get_unit(&Scope::Units(vec![t.b]), t.a1).await.unwrap();
        // And back to the top level: B no longer sees them.
        let a = s.get_unit(&Scope::All, t.a).await.unwrap();
        let mut root = UnitInput::from(&a);
        root.parent_id = None;
        s.update_unit(&admin(), t.a, root).await.unwrap();
        assert_not_found(s.get_unit(&Scope::Units(vec![t.b]), t.a1).await, n);
        s.get_unit(&Scope::Units(vec![t.a]), t.a1).await.unwrap();
        assert_eq!(
            s.all_units(&Scope::Units(vec![t.p])).await.unwrap().len(),
            2,
            "{n}"
        );
    }
}

/// Two moves that would each be fine alone but together form a cycle (X under Y's child, Y under
/// X's child) must not both succeed, however they interleave.
#[tokio::test]
async fn concurrent_moves_never_form_a_cycle() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        for round in 0..10 {
            let root = s
                .create_unit(
                    &admin(),
                    unit(&format!("Gốc {round}"), UnitKind::Province, None),
                )
                .await
                .unwrap();
            let mk = |name: String, parent: Id| unit_input_under(name, parent);
            let x = s
                .create_unit(&admin(), mk(format!("X {round}"), root.id))
                .await
                .unwrap();
            let y = s
                .create_unit(&admin(), mk(format!("Y {round}"), root.id))
                .await
                .unwrap();
            let x1 = s
                .create_unit(&admin(), mk(format!("X1 {round}"), x.id))
                .await
                .unwrap();
            let y1 = s
                .create_unit(&admin(), mk(format!("Y1 {round}"), y.id))
                .await
                .unwrap();
            let mut x_under_y1 = UnitInput::from(&x);
            x_under_y1.parent_id = Some(y1.id);
            let mut y_under_x1 = UnitInput::from(&y);
            y_under_x1.parent_id = Some(x1.id);
            let admin = admin();
            let (first, second) = tokio::join!(
                s.update_unit(&admin, x.id, x_under_y1),
                s.update_unit(&admin, y.id, y_under_x1)
            );
            assert!(
                first.is_err() || second.is_err(),
                "{n}: both moves succeeded, the tree now has a cycle"
            );
            // Every unit still reaches the root by parent links, and scope by path agrees.
            let everyone = s.all_units(&Scope::All).await.unwrap();
            for id in [x.id, y.id, x1.id, y1.id] {
                let mut at = id;
                for _ in 0..10 {
                    let u = everyone.iter().find(|u| u.id == at).unwrap();
                    match u.parent_id {
                        Some(p) => at = p,
                        None => break,
                    }
                }
                assert_eq!(at, root.id, "{n}: unit {id} does not reach the root");
                s.get_unit(&Scope::Units(vec![root.id]), id).await.unwrap();
            }
            assert_eq!(
                s.all_units(&Scope::Units(vec![root.id]))
                    .await
                    .unwrap()
                    .len(),
                5,
                "{n}: paths disagree with parent links"
            );
        }
    }
}

fn unit_input_under(name: String, parent: Id) -> UnitInput {
    UnitInput::new(name, UnitKind::Department, Some(parent))
}

fn full_system(owner: Id) -> SystemInput {
    let mut input = SystemInput::new("Cổng thông tin điện tử tỉnh", SystemKind::Portal, owner);
    input.security_level = Some(3);
    input.level_decision_number = Some("123/QĐ-UBND".into());
    input.level_decision_date = Some(date("2024-03-15"));
    input.information_class = Some(InformationClass::Personal);
    input.purpose = Some("Cung cấp thông tin".into());
    input.services = vec!["web".into(), " database ".into(), "".into()];
    input.security_controls = vec!["WAF".into()];
    input.isp = Some("VNPT".into());
    input
}

#[tokio::test]
async fn systems_and_assets_crud() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let t = tree(s).await;
        let mut input = full_system(t.a);
        input.operator_unit_id = Some(t.b);
        let sys = s.create_system(&admin(), input).await.unwrap();
        assert_eq!(sys.services, vec!["web", "database"], "{n}");
        assert_eq!(s.get_system(&Scope::All, sys.id).await.unwrap(), sys, "{n}");

        let mut bad = SystemInput::new("Thư điện tử", SystemKind::Email, t.a);
        bad.security_level = Some(7);
        assert_invalid(s.create_system(&admin(), bad).await, "security_level", n);
        assert_invalid(
            s.create_system(&admin(), SystemInput::new("X", SystemKind::Other, 4242))
                .await,
            "owner_unit_id",
            n,
        );
        assert_conflict(s.create_system(&admin(), full_system(t.b)).await, "code", n);
        let mail = s
            .create_system(
                &admin(),
                SystemInput::new("Thư điện tử công vụ", SystemKind::Email, t.b),
            )
            .await
            .unwrap();

        // Filters: by unit (owner or operator), by kind, by text.
        let of_b = s
            .list_systems(
                &Scope::All,
                &SystemFilter {
                    unit_id: Some(t.b),
                    kind: None,
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(of_b.total, 2, "{n}");
        let emails = s
            .list_systems(
                &Scope::All,
                &SystemFilter {
                    unit_id: None,
                    kind: Some(SystemKind::Email),
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(emails.items, vec![mail.clone()], "{n}");
        let q = s
            .list_systems(&Scope::All, &SystemFilter::default(), &page(Some("CỔNG")))
            .await
            .unwrap();
        assert_eq!(q.total, 1, "{n}");

        let mut change = SystemInput::from(&sys);
        change.security_level = Some(4);
        change.operator_unit_id = None;
        let changed = s.update_system(&admin(), sys.id, change).await.unwrap();
        assert_eq!(
            s.get_system(&Scope::All, sys.id).await.unwrap(),
            changed,
            "{n}"
        );
        let mut dup = SystemInput::from(&mail);
        dup.code = sys.code.clone();
        assert_conflict(s.update_system(&admin(), mail.id, dup).await, "code", n);

        // Assets.
        let mut ip = AssetInput::new(AssetKind::Ip, " 203.0.113.10 ");
        ip.system_id = sys.id;
        ip.name = Some("web01".into());
        ip.software = vec![Software {
            name: "nginx".into(),
            version: Some("1.24".into()),
            cpe: Some("cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*".into()),
        }];
        let asset = s.create_asset(&admin(), ip.clone()).await.unwrap();
        assert_eq!(asset.value, "203.0.113.10", "{n}");
        assert_eq!(
            s.get_asset(&Scope::All, asset.id).await.unwrap(),
            asset,
            "{n}"
        );
        assert_conflict(s.create_asset(&admin(), ip.clone()).await, "value", n);
        let mut other_system = ip.clone();
        other_system.system_id = mail.id;
        s.create_asset(&admin(), other_system).await.unwrap();
        let mut dom = AssetInput::new(AssetKind::Domain, "Portal.HoaBinhXanh.GOV.vn");
        dom.system_id = sys.id;
        let dom = s.create_asset(&admin(), dom).await.unwrap();
        assert_eq!(dom.value, "portal.hoabinhxanh.gov.vn", "{n}");
        let mut bad = AssetInput::new(AssetKind::Cidr, "10.0.0.1/24");
        bad.system_id = sys.id;
        assert_invalid(s.create_asset(&admin(), bad).await, "value", n);
        let mut orphan = AssetInput::new(AssetKind::Ip, "10.0.0.1");
        orphan.system_id = 777_777;
        assert_invalid(s.create_asset(&admin(), orphan).await, "system_id", n);

        let by_system = s
            .list_assets(
                &Scope::All,
                &AssetFilter {
                    system_id: Some(sys.id),
                    unit_id: None,
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(by_system.total, 2, "{n}");
        assert_eq!(by_system.items[0].value, "203.0.113.10", "{n}: by value");
        let by_unit = s
            .list_assets(
                &Scope::All,
                &AssetFilter {
                    system_id: None,
                    unit_id: Some(t.b),
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(by_unit.total, 1, "{n}");
        let q = s
            .list_assets(&Scope::All, &AssetFilter::default(), &page(Some("WEB0")))
            .await
            .unwrap();
        assert_eq!(q.total, 2, "{n}: name match, both systems");
        let q = s
            .list_assets(&Scope::All, &AssetFilter::default(), &page(Some("hoabinh")))
            .await
            .unwrap();
        assert_eq!(q.items, vec![dom.clone()], "{n}");

        let mut change = AssetInput::from(&asset);
        change.os = Some("Ubuntu".into());
        change.os_version = Some("22.04".into());
        let changed = s.update_asset(&admin(), asset.id, change).await.unwrap();
        assert_eq!(
            s.get_asset(&Scope::All, asset.id).await.unwrap(),
            changed,
            "{n}"
        );
        let mut clash = AssetInput::from(&dom);
        clash.kind = AssetKind::Ip;
        clash.value = "203.0.113.10".into();
        assert_conflict(s.update_asset(&admin(), dom.id, clash).await, "value", n);
        s.delete_asset(&admin(), dom.id).await.unwrap();
        assert_not_found(s.get_asset(&Scope::All, dom.id).await, n);

        // Deleting a system deletes its assets.
        s.delete_system(&admin(), sys.id).await.unwrap();
        assert_not_found(s.get_system(&Scope::All, sys.id).await, n);
        assert_not_found(s.get_asset(&Scope::All, asset.id).await, n);
        let left = s
            .list_assets(&Scope::All, &AssetFilter::default(), &page(None))
            .await
            .unwrap();
        assert_eq!(left.total, 1, "{n}");
        // A unit with systems cannot go.
        match s.delete_unit(&admin(), t.b).await {
            Err(StoreError::Conflict { message, .. }) => {
                assert!(message.contains("information systems"), "{n}: {message}")
            }
            other => panic!("{n}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn contacts_and_authorities_crud() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let t = tree(s).await;
        let input = ContactInput {
            unit_id: t.a,
            name: "Nguyễn Văn An".into(),
            position: Some("Phó Giám đốc".into()),
            responsibility: Some("lãnh đạo phụ trách ATTT".into()),
            phone: Some("0912 345 678".into()),
            email: Some("An.NV@SYT.HoaBinhXanh.gov.vn".into()),
        };
        let c = s.create_contact(&admin(), input.clone()).await.unwrap();
        assert_eq!(
            c.email.as_deref(),
            Some("An.NV@syt.hoabinhxanh.gov.vn"),
            "{n}"
        );
        assert_eq!(s.get_contact(&Scope::All, c.id).await.unwrap(), c, "{n}");
        assert_conflict(s.create_contact(&admin(), input.clone()).await, "name", n);
        let mut bad = input.clone();
        bad.name = "Trần Thị Bình".into();
        bad.email = Some("not-an-email".into());
        assert_invalid(s.create_contact(&admin(), bad).await, "email", n);
        let mut other = input.clone();
        other.unit_id = t.b;
        let c2 = s.create_contact(&admin(), other).await.unwrap();
        let q = s
            .list_contacts(
                &Scope::All,
                &ContactFilter::default(),
                &page(Some("syt.hoabinh")),
            )
            .await
            .unwrap();
        assert_eq!(q.total, 2, "{n}: email match");
        let of_a = s
            .list_contacts(
                &Scope::All,
                &ContactFilter { unit_id: Some(t.a) },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(of_a.items, vec![c.clone()], "{n}");
        let mut change = ContactInput::from(&c);
        change.phone = None;
        let changed = s.update_contact(&admin(), c.id, change).await.unwrap();
        assert_eq!(
            s.get_contact(&Scope::All, c.id).await.unwrap(),
            changed,
            "{n}"
        );
        match s.delete_unit(&admin(), t.b).await {
            Err(StoreError::Conflict { message, .. }) => {
                assert!(message.contains("contacts"), "{n}: {message}")
            }
            other => panic!("{n}: {other:?}"),
        }
        s.delete_contact(&admin(), c2.id).await.unwrap();
        s.delete_unit(&admin(), t.b).await.unwrap();

        // Authorities, with effective dates.
        let old = AuthorityInput {
            code: "vncert".into(),
            name: "Trung tâm Ứng cứu khẩn cấp máy tính Việt Nam (VNCERT/CC)".into(),
            address: None,
            phones: vec!["024 3640 4421".into()],
            emails: vec!["IR@vncert.vn".into()],
            valid_from: None,
            valid_to: Some(date("2025-02-28")),
            note: None,
        };
        let a_old = s.create_authority(&admin(), old.clone()).await.unwrap();
        assert_conflict(s.create_authority(&admin(), old.clone()).await, "code", n);
        let mut new = old.clone();
        new.name = "Cục An toàn thông tin".into();
        new.valid_from = Some(date("2025-03-01"));
        new.valid_to = None;
        let a_new = s.create_authority(&admin(), new.clone()).await.unwrap();
        assert_conflict(s.create_authority(&admin(), new.clone()).await, "code", n);
        let mut bad = new.clone();
        bad.code = "x".into();
        bad.emails = vec!["nope".into()];
        assert_invalid(s.create_authority(&admin(), bad).await, "emails", n);
        assert_eq!(s.get_authority(a_old.id).await.unwrap(), a_old, "{n}");
        let on = s.authorities_on(date("2025-01-15")).await.unwrap();
        assert_eq!(on, vec![a_old.clone()], "{n}");
        let on = s.authorities_on(date("2025-03-01")).await.unwrap();
        assert_eq!(on, vec![a_new.clone()], "{n}");
        let listed = s.list_authorities(&page(Some("vncert"))).await.unwrap();
        assert_eq!(listed.total, 2, "{n}");
        let mut change = AuthorityInput::from(&a_new);
        change.note = Some("Nhận báo cáo sự cố".into());
        let changed = s
            .update_authority(&admin(), a_new.id, change)
            .await
            .unwrap();
        assert_eq!(s.get_authority(a_new.id).await.unwrap(), changed, "{n}");
        s.delete_authority(&admin(), a_old.id).await.unwrap();
        assert_not_found(s.get_authority(a_old.id).await, n);
    }
}

#[tokio::test]
async fn unit_officers_see_and_change_only_their_subtree() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let t = tree(s).await;
        let off = officer(vec![t.a]);
        let scope = off.scope.clone();

        // Records in B's subtree.
        let sys_b = s
            .create_system(
                &admin(),
                SystemInput::new("Kế toán", SystemKind::Other, t.b),
            )
            .await
            .unwrap();
        let mut ai = AssetInput::new(AssetKind::Ip, "198.51.100.7");
        ai.system_id = sys_b.id;
        let asset_b = s.create_asset(&admin(), ai).await.unwrap();
        let contact_b = s
            .create_contact(
                &admin(),
                ContactInput {
                    unit_id: t.b,
                    name: "Lê Văn Cường".into(),
                    position: None,
                    responsibility: None,
                    phone: None,
                    email: None,
                },
            )
            .await
            .unwrap();
        // And in A's.
        let sys_a = s
            .create_system(
                &off,
                SystemInput::new("Quản lý bệnh viện", SystemKind::Other, t.a1),
            )
            .await
            .unwrap();
        let mut ai = AssetInput::new(AssetKind::Ip, "198.51.100.8");
        ai.system_id = sys_a.id;
        let asset_a = s.create_asset(&off, ai).await.unwrap();
        let contact_a = s
            .create_contact(
                &off,
                ContactInput {
                    unit_id: t.a1,
                    name: "Phạm Thị Dung".into(),
                    position: None,
                    responsibility: None,
                    phone: None,
                    email: None,
                },
            )
            .await
            .unwrap();

        // Listings are confined.
        let units: Vec<Id> = s
            .list_units(&scope, &UnitFilter::default(), &page(None))
            .await
            .unwrap()
            .items
            .iter()
            .map(|u| u.id)
            .collect();
        assert_eq!(units.len(), 2, "{n}");
        assert!(units.contains(&t.a) && units.contains(&t.a1), "{n}");
        assert_eq!(s.all_units(&scope).await.unwrap().len(), 2, "{n}");
        let systems = s
            .list_systems(&scope, &SystemFilter::default(), &page(None))
            .await
            .unwrap();
        assert_eq!(systems.items, vec![sys_a.clone()], "{n}");
        let assets = s
            .list_assets(&scope, &AssetFilter::default(), &page(None))
            .await
            .unwrap();
        assert_eq!(assets.items, vec![asset_a.clone()], "{n}");
        // Filtering by an out-of-scope id does not leak either.
        let leak = s
            .list_assets(
                &scope,
                &AssetFilter {
                    system_id: Some(sys_b.id),
                    unit_id: None,
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(leak.total, 0, "{n}");
        let contacts = s
            .list_contacts(&scope, &ContactFilter::default(), &page(None))
            .await
            .unwrap();
        assert_eq!(contacts.items, vec![contact_a.clone()], "{n}");
        let dash = s.dashboard(&scope).await.unwrap();
        assert_eq!(
            (dash.units, dash.systems, dash.assets, dash.contacts),
            (2, 1, 1, 1),
            "{n}"
        );
        let full = s.dashboard(&Scope::All).await.unwrap();
        assert_eq!(
            (full.units, full.systems, full.assets, full.contacts),
            (4, 2, 2, 2),
            "{n}"
        );

        // Guessing ids: every id outside the subtree answers NotFound, for reads and writes.
        for id in 1..=20 {
            let visible = id == t.a || id == t.a1;
            match s.get_unit(&scope, id).await {
                Ok(u) => assert!(visible, "{n}: unit {} leaked", u.id),
                Err(StoreError::NotFound { .. }) => assert!(
                    !visible || s.get_unit(&Scope::All, id).await.is_err(),
                    "{n}"
                ),
                Err(e) => panic!("{n}: {e}"),
            }
        }
        for (id, get) in [
            (t.b, s.get_unit(&scope, t.b).await.map(|_| ())),
            (t.p, s.get_unit(&scope, t.p).await.map(|_| ())),
            (sys_b.id, s.get_system(&scope, sys_b.id).await.map(|_| ())),
            (
                asset_b.id,
                s.get_asset(&scope, asset_b.id).await.map(|_| ()),
            ),
            (
                contact_b.id,
                s.get_contact(&scope, contact_b.id).await.map(|_| ()),
            ),
        ] {
            assert!(
                matches!(get, Err(StoreError::NotFound { .. })),
                "{n}: id {id}: {get:?}"
            );
        }
        let b = s.get_unit(&Scope::All, t.b).await.unwrap();
        assert_not_found(s.update_unit(&off, t.b, UnitInput::from(&b)).await, n);
        assert_not_found(s.delete_unit(&off, t.b).await, n);
        assert_not_found(
            s.update_system(&off, sys_b.id, SystemInput::from(&sys_b))
                .await,
            n,
        );
        assert_not_found(s.delete_system(&off, sys_b.id).await, n);
        assert_not_found(
            s.update_asset(&off, asset_b.id, AssetInput::from(&asset_b))
                .await,
            n,
        );
        assert_not_found(s.delete_asset(&off, asset_b.id).await, n);
        assert_not_found(
            s.update_contact(&off, contact_b.id, ContactInput::from(&contact_b))
                .await,
            n,
        );
        assert_not_found(s.delete_contact(&off, contact_b.id).await, n);

        // New records outside the subtree are refused.
        assert_out_of_scope(
            s.create_unit(&off, unit("Tỉnh khác", UnitKind::Province, None))
                .await,
            n,
        );
        assert_out_of_scope(
            s.create_unit(&off, unit("Phòng Kế toán", UnitKind::Department, Some(t.b)))
                .await,
            n,
        );
        assert_out_of_scope(
            s.create_unit(&off, unit("Phòng ma", UnitKind::Department, Some(99_999)))
                .await,
            n,
        );
        assert_out_of_scope(
            s.create_system(
                &off,
                SystemInput::new("Hệ thống lạ", SystemKind::Other, t.b),
            )
            .await,
            n,
        );
        let mut ai = AssetInput::new(AssetKind::Ip, "198.51.100.9");
        ai.system_id = sys_b.id;
        assert_out_of_scope(s.create_asset(&off, ai).await, n);
        assert_out_of_scope(
            s.create_contact(
                &off,
                ContactInput {
                    unit_id: t.b,
                    name: "X Y".into(),
                    position: None,
                    responsibility: None,
                    phone: None,
                    email: None,
                },
            )
            .await,
            n,
        );
        // Moving records of A out to B, or A1 under B, is refused; so is re-rooting A.
        let a1 = s.get_unit(&Scope::All, t.a1).await.unwrap();
        let mut mv = UnitInput::from(&a1);
        mv.parent_id = Some(t.b);
        assert_out_of_scope(s.update_unit(&off, t.a1, mv).await, n);
        let a = s.get_unit(&Scope::All, t.a).await.unwrap();
        let mut up = UnitInput::from(&a);
        up.parent_id = None;
        assert_out_of_scope(s.update_unit(&off, t.a, up).await, n);
        let mut under_own_child = UnitInput::from(&a);
        under_own_child.parent_id = Some(t.a1);
        assert_conflict(
            s.update_unit(&off, t.a, under_own_child).await,
            "parent_id",
            n,
        );
        let mut give_away = SystemInput::from(&sys_a);
        give_away.owner_unit_id = t.b;
        assert_out_of_scope(s.update_system(&off, sys_a.id, give_away).await, n);
        let mut give_away = AssetInput::from(&asset_a);
        give_away.system_id = sys_b.id;
        assert_out_of_scope(s.update_asset(&off, asset_a.id, give_away).await, n);
        // But an officer may rename their own root unit (its parent stays out of scope).
        let mut rename = UnitInput::from(&a);
        rename.name = "Sở Y tế (mới)".into();
        s.update_unit(&off, t.a, rename).await.unwrap();
        // A system operated by one of their units is theirs to see, even if owned elsewhere.
        let mut shared = SystemInput::new("Hệ thống dùng chung", SystemKind::Lgsp, t.b);
        shared.operator_unit_id = Some(t.a1);
        let shared = s.create_system(&off, shared).await.unwrap();
        s.get_system(&scope, shared.id).await.unwrap();

        // Nothing of B changed.
        assert_eq!(
            s.get_system(&Scope::All, sys_b.id).await.unwrap(),
            sys_b,
            "{n}"
        );
        assert_eq!(
            s.get_asset(&Scope::All, asset_b.id).await.unwrap(),
            asset_b,
            "{n}"
        );
        // An empty scope sees nothing.
        let none = s.dashboard(&Scope::Units(vec![])).await.unwrap();
        assert_eq!(
            none.units + none.systems + none.assets + none.contacts,
            0,
            "{n}"
        );
    }
}

#[tokio::test]
async fn every_write_is_audited_with_before_and_after() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let actor = Actor {
            user_id: Some(7),
            name: "lan".into(),
            scope: Scope::All,
        };
        let u = s
            .create_unit(&actor, unit("UBND tỉnh", UnitKind::Province, None))
            .await
            .unwrap();
        let mut change = UnitInput::from(&u);
        change.name = "UBND tỉnh Hòa Bình Xanh".into();
        s.update_unit(&actor, u.id, change).await.unwrap();
        s.delete_unit(&actor, u.id).await.unwrap();
        // A failed write leaves no entry.
        let _ = s
            .create_unit(&actor, unit("", UnitKind::Province, None))
            .await;

        let entries = s
            .list_audit(
                &AuditFilter {
                    entity: Some("unit".into()),
                    entity_id: Some(u.id),
                    actor: None,
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(entries.total, 3, "{n}");
        let actions: Vec<_> = entries.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            vec!["delete", "update", "create"],
            "{n}: newest first"
        );
        let (del, upd, cre) = (&entries.items[0], &entries.items[1], &entries.items[2]);
        assert!(cre.before.is_none(), "{n}");
        assert_eq!(cre.after.as_ref().unwrap()["name"], "UBND tỉnh", "{n}");
        assert_eq!(upd.before.as_ref().unwrap()["name"], "UBND tỉnh", "{n}");
        assert_eq!(
            upd.after.as_ref().unwrap()["name"],
            "UBND tỉnh Hòa Bình Xanh",
            "{n}"
        );
        assert_eq!(
            del.before.as_ref().unwrap()["name"],
            "UBND tỉnh Hòa Bình Xanh",
            "{n}"
        );
        assert!(del.after.is_none(), "{n}");
        assert!(
            entries
                .items
                .iter()
                .all(|e| e.actor == "lan" && e.actor_user_id == Some(7)),
            "{n}"
        );
        assert!(del.id > upd.id && upd.id > cre.id, "{n}");

        s.record_event(
            &actor,
            "login_failed",
            "user",
            Some(serde_json::json!({"username": "lan"})),
        )
        .await
        .unwrap();
        let events = s
            .list_audit(
                &AuditFilter {
                    entity: None,
                    entity_id: None,
                    actor: Some("lan".into()),
                },
                &PageRequest::new(1, 1),
            )
            .await
            .unwrap();
        assert_eq!(events.total, 4, "{n}");
        assert_eq!(events.items.len(), 1, "{n}");
        assert_eq!(events.items[0].action, "login_failed", "{n}");
        assert_eq!(
            events.items[0].after.as_ref().unwrap()["username"],
            "lan",
            "{n}"
        );

        // Users: the password hash never reaches the log.
        let user = s
            .create_user(
                &actor,
                UserInput {
                    username: "hoa".into(),
                    display_name: "Hoa".into(),
                    email: None,
                    role: Role::Analyst,
                    unit_ids: vec![],
                    disabled: false,
                },
                Some("$argon2id$secret".into()),
            )
            .await
            .unwrap();
        s.set_password(&actor, user.id, "$argon2id$other".into())
            .await
            .unwrap();
        let log = s
            .list_audit(
                &AuditFilter {
                    entity: Some("user".into()),
                    entity_id: Some(user.id),
                    actor: None,
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(log.total, 2, "{n}");
        let text = serde_json::to_string(&log.items).unwrap();
        assert!(!text.contains("argon2"), "{n}: {text}");
    }
}

#[tokio::test]
async fn users_sessions_and_tokens() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        assert_eq!(s.count_users().await.unwrap(), 0, "{n}");
        let t = tree(s).await;
        let input = UserInput {
            username: " Officer.A ".into(),
            display_name: "".into(),
            email: Some("a@SYT.vn".into()),
            role: Role::UnitOfficer,
            unit_ids: vec![t.a1, t.a, t.a],
            disabled: false,
        };
        let user = s
            .create_user(&admin(), input.clone(), Some("hash-1".into()))
            .await
            .unwrap();
        assert_eq!(user.username, "officer.a", "{n}");
        assert_eq!(
            user.unit_ids,
            {
                let mut v = vec![t.a, t.a1];
                v.sort();
                v
            },
            "{n}"
        );
        assert_eq!(s.get_user(user.id).await.unwrap(), user, "{n}");
        assert_eq!(s.count_users().await.unwrap(), 1, "{n}");
        assert_conflict(
            s.create_user(&admin(), input.clone(), None).await,
            "username",
            n,
        );
        let mut bad = input.clone();
        bad.username = "x".into();
        assert_invalid(s.create_user(&admin(), bad, None).await, "username", n);
        let mut no_units = input.clone();
        no_units.username = "officer.b".into();
        no_units.unit_ids = vec![];
        assert_invalid(s.create_user(&admin(), no_units, None).await, "unit_ids", n);
        let mut ghost = input.clone();
        ghost.username = "officer.c".into();
        ghost.unit_ids = vec![123_456];
        assert_invalid(s.create_user(&admin(), ghost, None).await, "unit_ids", n);

        let creds = s.user_credentials("OFFICER.A").await.unwrap().unwrap();
        assert_eq!(creds.password_hash.as_deref(), Some("hash-1"), "{n}");
        assert_eq!(creds.user, user, "{n}");
        assert!(s.user_credentials("nobody").await.unwrap().is_none(), "{n}");
        let listed = s.list_users(&page(None)).await.unwrap();
        assert_eq!(listed.items, vec![user.clone()], "{n}");

        // A unit a user works on cannot be deleted.
        match s.delete_unit(&admin(), t.a1).await {
            Err(StoreError::Conflict { message, .. }) => {
                assert!(message.contains("users"), "{n}: {message}")
            }
            other => panic!("{n}: {other:?}"),
        }

        // Sessions.
        let hour = jiff::SignedDuration::from_secs(3600);
        let now = jiff::Timestamp::now();
        s.create_session(user.id, "live-hash", "csrf-1", now + hour)
            .await
            .unwrap();
        s.create_session(user.id, "old-hash", "csrf-2", now - hour)
            .await
            .unwrap();
        let live = s.session("live-hash").await.unwrap().unwrap();
        assert_eq!(
            (live.user.id, live.csrf_token.as_str()),
            (user.id, "csrf-1"),
            "{n}"
        );
        assert_eq!(live.user.unit_ids, user.unit_ids, "{n}");
        assert!(
            s.session("old-hash").await.unwrap().is_none(),
            "{n}: expired"
        );
        assert!(s.session("unknown").await.unwrap().is_none(), "{n}");
        s.delete_session("live-hash").await.unwrap();
        assert!(
            s.session("live-hash").await.unwrap().is_none(),
            "{n}: signed out"
        );
        s.create_session(user.id, "s2", "c", now + hour)
            .await
            .unwrap();
        s.set_password(&admin(), user.id, "hash-2".into())
            .await
            .unwrap();
        assert!(
            s.session("s2").await.unwrap().is_none(),
            "{n}: password change ends sessions"
        );
        assert_eq!(
            s.user_credentials("officer.a")
                .await
                .unwrap()
                .unwrap()
                .password_hash
                .as_deref(),
            Some("hash-2")
        );

        // Tokens.
        let tok = s
            .create_api_token(
                &user.actor(),
                user.id,
                "syslog relay",
                "cg_abcd",
                "tok-hash",
            )
            .await
            .unwrap();
        assert!(tok.last_used_at.is_none() && !tok.revoked, "{n}");
        let who = s.api_token_user("tok-hash").await.unwrap().unwrap();
        assert_eq!(who, user, "{n}");
        let listed = s.list_api_tokens(user.id).await.unwrap();
        assert_eq!(listed.len(), 1, "{n}");
        assert!(listed[0].last_used_at.is_some(), "{n}: last use recorded");
        assert!(s.api_token_user("other").await.unwrap().is_none(), "{n}");
        let other = s
            .create_user(
                &admin(),
                UserInput {
                    username: "viewer".into(),
                    display_name: "V".into(),
                    email: None,
                    role: Role::Viewer,
                    unit_ids: vec![],
                    disabled: false,
                },
                None,
            )
            .await
            .unwrap();
        assert_not_found(s.revoke_api_token(&admin(), other.id, tok.id).await, n);
        s.revoke_api_token(&user.actor(), user.id, tok.id)
            .await
            .unwrap();
        assert!(
            s.api_token_user("tok-hash").await.unwrap().is_none(),
            "{n}: revoked"
        );
        assert!(s.list_api_tokens(user.id).await.unwrap()[0].revoked, "{n}");

        // Disabled users lose sessions and tokens.
        s.create_session(user.id, "s3", "c", now + hour)
            .await
            .unwrap();
        s.create_api_token(&admin(), user.id, "second", "cg_efgh", "tok2")
            .await
            .unwrap();
        assert!(s.api_token_user("tok2").await.unwrap().is_some(), "{n}");
        let mut disable = UserInput::from_user(&user);
        disable.disabled = true;
        let disabled = s.update_user(&admin(), user.id, disable).await.unwrap();
        assert!(disabled.disabled, "{n}");
        assert!(s.session("s3").await.unwrap().is_none(), "{n}: disabled");
        assert!(
            s.api_token_user("tok2").await.unwrap().is_none(),
            "{n}: disabled"
        );

        s.delete_user(&admin(), user.id).await.unwrap();
        assert_not_found(s.get_user(user.id).await, n);
        assert!(s.list_api_tokens(user.id).await.unwrap().is_empty(), "{n}");
        s.delete_unit(&admin(), t.a1).await.unwrap();
    }
}

trait FromUser {
    fn from_user(u: &canhgac_model::User) -> Self;
}
impl FromUser for UserInput {
    fn from_user(u: &canhgac_model::User) -> Self {
        UserInput {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            role: u.role,
            unit_ids: u.unit_ids.clone(),
            disabled: u.disabled,
        }
    }
}

fn unit_rec(code: &str, parent: Option<&str>) -> UnitRecord {
    UnitRecord {
        code: code.into(),
        name: format!("Đơn vị {code}"),
        kind: if parent.is_none() {
            UnitKind::Province
        } else {
            UnitKind::Department
        },
        parent: parent.map(str::to_string),
        address: None,
        valid_from: None,
        valid_to: None,
    }
}

fn system_rec(code: &str, owner: &str) -> SystemRecord {
    SystemRecord {
        code: code.into(),
        name: format!("Hệ thống {code}"),
        kind: SystemKind::Website,
        owner: owner.into(),
        operator: None,
        security_level: Some(2),
        level_decision_number: None,
        level_decision_date: None,
        information_class: None,
        purpose: None,
        services: vec!["web".into()],
        security_controls: vec![],
        isp: None,
        security_provider: None,
    }
}

fn asset_rec(system: &str, value: &str) -> AssetRecord {
    AssetRecord {
        system: system.into(),
        kind: AssetKind::Ip,
        value: value.into(),
        name: None,
        os: None,
        os_version: None,
        software: vec![],
        note: None,
    }
}

fn contact_rec(unit: &str, name: &str) -> ContactRecord {
    ContactRecord {
        unit: unit.into(),
        name: name.into(),
        position: None,
        responsibility: None,
        phone: Some("0290 3822 111".into()),
        email: None,
    }
}

fn create<T>(after: T) -> Change<T> {
    Change::Create { after }
}

fn demo_plan() -> InventoryPlan {
    InventoryPlan {
        units: vec![
            create(unit_rec("tinh", None)),
            create(unit_rec("so-a", Some("tinh"))),
            create(unit_rec("so-a-bv", Some("so-a"))),
            create(unit_rec("so-b", Some("tinh"))),
        ],
        systems: vec![
            create(system_rec("web-a", "so-a")),
            create(system_rec("web-b", "so-b")),
        ],
        assets: vec![
            create(asset_rec("web-a", "203.0.113.1")),
            create(asset_rec("web-a", "203.0.113.2")),
            create(asset_rec("web-b", "203.0.113.3")),
        ],
        contacts: vec![create(contact_rec("so-a", "Nguyễn Văn An"))],
        authorities: vec![create(AuthorityInput {
            code: "ncsc".into(),
            name: "Trung tâm Giám sát an toàn không gian mạng quốc gia".into(),
            address: None,
            phones: vec![],
            emails: vec!["ncsc@example.vn".into()],
            valid_from: None,
            valid_to: None,
            note: None,
        })],
        monitors: vec![],
    }
}

#[tokio::test]
async fn inventory_apply_and_export_round_trip() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let summary = s.apply_inventory(&admin(), &demo_plan()).await.unwrap();
        assert_eq!(
            (summary.created, summary.updated, summary.deleted),
            (11, 0, 0),
            "{n}"
        );
        let doc = s.export_inventory(&Scope::All).await.unwrap();
        let codes: Vec<_> = doc.units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(
            codes,
            vec!["tinh", "so-a", "so-a-bv", "so-b"],
            "{n}: parents first"
        );
        assert_eq!(doc.units[2].parent.as_deref(), Some("so-a"), "{n}");
        assert_eq!(
            doc.systems,
            vec![system_rec("web-a", "so-a"), system_rec("web-b", "so-b")],
            "{n}"
        );
        assert_eq!(doc.assets.len(), 3, "{n}");
        assert_eq!(
            doc.contacts,
            vec![contact_rec("so-a", "Nguyễn Văn An")],
            "{n}"
        );
        assert_eq!(doc.authorities.len(), 1, "{n}");

        // The store's ids and scope follow: the units exist with paths.
        let so_a = s
            .list_units(&Scope::All, &UnitFilter::default(), &page(Some("so-a-bv")))
            .await
            .unwrap()
            .items[0]
            .clone();
        let scoped = s
            .export_inventory(&Scope::Units(vec![so_a.parent_id.unwrap()]))
            .await
            .unwrap();
        assert_eq!(scoped.units.len(), 2, "{n}");
        assert_eq!(scoped.systems.len(), 1, "{n}");
        assert_eq!(scoped.assets.len(), 2, "{n}");
        assert_eq!(scoped.authorities.len(), 1, "{n}: authorities always");

        // Updates and deletes by key; a move under another parent.
        let mut moved = unit_rec("so-a-bv", Some("so-b"));
        moved.name = "Bệnh viện".into();
        let mut sys = system_rec("web-a", "so-a");
        sys.operator = Some("so-b".into());
        let mut asset = asset_rec("web-a", "203.0.113.1");
        asset.os = Some("Debian".into());
        let mut contact = contact_rec("so-a", "Nguyễn Văn An");
        contact.email = Some("an@example.vn".into());
        let plan = InventoryPlan {
            units: vec![
                Change::Update {
                    before: unit_rec("so-a-bv", Some("so-a")),
                    after: moved.clone(),
                },
                Change::Delete {
                    before: unit_rec("so-a", Some("tinh")),
                },
            ],
            systems: vec![
                Change::Update {
                    before: system_rec("web-a", "so-a"),
                    after: sys.clone(),
                },
                Change::Delete {
                    before: system_rec("web-b", "so-b"),
                },
            ],
            assets: vec![
                Change::Update {
                    before: asset_rec("web-a", "203.0.113.1"),
                    after: asset.clone(),
                },
                Change::Delete {
                    before: asset_rec("web-a", "203.0.113.2"),
                },
                Change::Delete {
                    before: asset_rec("web-b", "203.0.113.3"),
                },
            ],
            contacts: vec![Change::Delete {
                before: contact_rec("so-a", "Nguyễn Văn An"),
            }],
            authorities: vec![],
            monitors: vec![],
        };
        // so-a still owns web-a: the whole plan fails and nothing changes.
        let err = s.apply_inventory(&admin(), &plan).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{n}: {err}");
        assert_eq!(
            s.export_inventory(&Scope::All).await.unwrap(),
            doc,
            "{n}: rolled back"
        );

        let mut plan = plan;
        sys.owner = "so-b".into();
        plan.systems[0] = Change::Update {
            before: system_rec("web-a", "so-a"),
            after: sys.clone(),
        };
        let summary = s.apply_inventory(&admin(), &plan).await.unwrap();
        assert_eq!(
            (summary.created, summary.updated, summary.deleted),
            (0, 3, 5),
            "{n}"
        );
        let after = s.export_inventory(&Scope::All).await.unwrap();
        let codes: Vec<_> = after.units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes, vec!["tinh", "so-b", "so-a-bv"], "{n}");
        assert_eq!(after.units[2], moved, "{n}");
        assert_eq!(after.systems, vec![sys], "{n}");
        assert_eq!(after.assets, vec![asset], "{n}");
        assert!(after.contacts.is_empty(), "{n}");
        // The moved unit is now under so-b for scope purposes.
        let so_b = s
            .list_units(
                &Scope::All,
                &UnitFilter::default(),
                &page(Some("đơn vị so-b")),
            )
            .await
            .unwrap()
            .items[0]
            .id;
        assert_eq!(
            s.all_units(&Scope::Units(vec![so_b])).await.unwrap().len(),
            2,
            "{n}"
        );

        // One audit entry per change plus one import entry per apply.
        let imports = s
            .list_audit(
                &AuditFilter {
                    entity: Some("inventory".into()),
                    ..Default::default()
                },
                &page(None),
            )
            .await
            .unwrap();
        assert_eq!(imports.total, 2, "{n}");
        assert_eq!(
            imports.items[0].after.as_ref().unwrap()["deleted"],
            5,
            "{n}"
        );
        let all = s
            .list_audit(&AuditFilter::default(), &page(None))
            .await
            .unwrap();
        assert_eq!(all.total, 11 + 8 + 2, "{n}");
        let asset_updates = s
            .list_audit(
                &AuditFilter {
                    entity: Some("asset".into()),
                    ..Default::default()
                },
                &page(None),
            )
            .await
            .unwrap();
        let upd = asset_updates
            .items
            .iter()
            .find(|e| e.action == "update")
            .unwrap();
        assert!(upd.entity_id.is_some(), "{n}");
        assert_eq!(
            upd.before.as_ref().unwrap()["os"],
            serde_json::Value::Null,
            "{n}"
        );
        assert_eq!(upd.after.as_ref().unwrap()["os"], "Debian", "{n}");
        assert!(
            asset_updates.items.iter().all(|e| e.entity_id.is_some()),
            "{n}"
        );
    }
}

#[tokio::test]
async fn inventory_apply_is_all_or_nothing() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        // The last change is invalid: nothing at all may be written.
        let mut plan = demo_plan();
        plan.authorities.push(create(AuthorityInput {
            code: "bad".into(),
            name: "Bad".into(),
            address: None,
            phones: vec![],
            emails: vec!["not an email".into()],
            valid_from: None,
            valid_to: None,
            note: None,
        }));
        let err = s.apply_inventory(&admin(), &plan).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{n}: {err}");
        // A duplicate of an asset already in the plan, last.
        let mut dup = demo_plan();
        dup.assets.push(create(asset_rec("web-b", "203.0.113.3")));
        assert_conflict(s.apply_inventory(&admin(), &dup).await, "value", n);
        // A reference to an unknown code, last.
        let mut unknown = demo_plan();
        unknown
            .contacts
            .push(create(contact_rec("no-such-unit", "Ai đó")));
        assert_invalid(s.apply_inventory(&admin(), &unknown).await, "unit", n);
        let dash = s.dashboard(&Scope::All).await.unwrap();
        assert_eq!(
            (dash.units, dash.systems, dash.assets, dash.contacts),
            (0, 0, 0, 0),
            "{n}"
        );
        assert!(
            s.list_authorities(&page(None))
                .await
                .unwrap()
                .items
                .is_empty(),
            "{n}"
        );
        assert_eq!(
            s.list_audit(&AuditFilter::default(), &page(None))
                .await
                .unwrap()
                .total,
            0,
            "{n}"
        );

        // A plan re-creating what exists fails on the database's unique key, also all-or-nothing.
        s.apply_inventory(&admin(), &demo_plan()).await.unwrap();
        let mut again = InventoryPlan::default();
        again.units.push(create(unit_rec("so-c", Some("tinh"))));
        again.assets.push(create(asset_rec("web-a", "203.0.113.1")));
        assert_conflict(s.apply_inventory(&admin(), &again).await, "value", n);
        assert_eq!(s.dashboard(&Scope::All).await.unwrap().units, 4, "{n}");

        // Scope: an officer of so-a cannot import into so-b, nor create roots.
        let so_a = s
            .list_units(
                &Scope::All,
                &UnitFilter::default(),
                &page(Some("đơn vị so-a")),
            )
            .await
            .unwrap();
        let so_a = so_a.items.iter().find(|u| u.code == "so-a").unwrap().id;
        let off = officer(vec![so_a]);
        let mut own = InventoryPlan::default();
        own.units.push(create(unit_rec("so-a-phong", Some("so-a"))));
        own.assets.push(create(asset_rec("web-a", "203.0.113.50")));
        let mut foreign = own.clone();
        foreign
            .assets
            .push(create(asset_rec("web-b", "203.0.113.51")));
        assert_out_of_scope(s.apply_inventory(&off, &foreign).await, n);
        let mut root = own.clone();
        root.units.push(create(unit_rec("tinh-2", None)));
        assert_out_of_scope(s.apply_inventory(&off, &root).await, n);
        let mut upd_foreign = own.clone();
        upd_foreign.systems.push(Change::Update {
            before: system_rec("web-b", "so-b"),
            after: system_rec("web-b", "so-a"),
        });
        assert_not_found(s.apply_inventory(&off, &upd_foreign).await, n);
        assert_eq!(s.dashboard(&Scope::All).await.unwrap().units, 4, "{n}");
        s.apply_inventory(&off, &own).await.unwrap();
        assert_eq!(s.dashboard(&off.scope).await.unwrap().assets, 3, "{n}");
    }
}

#[tokio::test]
async fn listings_paginate_with_totals() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        let mut plan = InventoryPlan::default();
        plan.units.push(create(unit_rec("tinh", None)));
        for i in 0..120 {
            plan.units
                .push(create(unit_rec(&format!("xa-{i:03}"), Some("tinh"))));
        }
        plan.units
            .push(create(unit_rec("p100-percent", Some("tinh"))));
        if let Change::Create { after } = plan.units.last_mut().unwrap() {
            after.name = "Phường 100%".into();
        }
        s.apply_inventory(&admin(), &plan).await.unwrap();
        let p2 = s
            .list_units(
                &Scope::All,
                &UnitFilter::default(),
                &PageRequest::new(2, 50),
            )
            .await
            .unwrap();
        assert_eq!(
            (p2.total, p2.items.len(), p2.page, p2.per_page),
            (122, 50, 2, 50),
            "{n}"
        );
        let p3 = s
            .list_units(
                &Scope::All,
                &UnitFilter::default(),
                &PageRequest::new(3, 50),
            )
            .await
            .unwrap();
        assert_eq!(p3.items.len(), 22, "{n}");
        let first = s
            .list_units(
                &Scope::All,
                &UnitFilter::default(),
                &PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        assert!(
            first.items.iter().all(|u| !p2.items.contains(u)),
            "{n}: pages do not overlap"
        );
        let q = PageRequest {
            q: Some("100%".into()),
            ..PageRequest::new(1, 10)
        };
        let found = s
            .list_units(&Scope::All, &UnitFilter::default(), &q)
            .await
            .unwrap();
        assert_eq!(found.items.len(), 1, "{n}: % is literal");
        let q = PageRequest {
            q: Some("XA-11".into()),
            ..PageRequest::new(1, 5)
        };
        let found = s
            .list_units(&Scope::All, &UnitFilter::default(), &q)
            .await
            .unwrap();
        assert_eq!((found.total, found.items.len()), (10, 5), "{n}");
    }
}

#[tokio::test]
async fn backups_open_with_the_same_counts() {
    for ts in test_stores().await {
        let (s, n) = (&ts.store, ts.name);
        s.apply_inventory(&admin(), &demo_plan()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.db");
        if n == "postgres" {
            let err = s.backup_to(&path).await.unwrap_err();
            assert!(err.to_string().contains("pg_dump"), "{n}: {err}");
            continue;
        }
        s.backup_to(&path).await.unwrap();
        match s.backup_to(&path).await {
            Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "path"),
            other => panic!("{n}: overwrote a backup: {other:?}"),
        }
        let copy = canhgac_store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert_eq!(
            copy.dashboard(&Scope::All).await.unwrap(),
            s.dashboard(&Scope::All).await.unwrap(),
            "{n}"
        );
        assert_eq!(
            copy.list_audit(&AuditFilter::default(), &page(None))
                .await
                .unwrap()
                .total,
            s.list_audit(&AuditFilter::default(), &page(None))
                .await
                .unwrap()
                .total
        );
        copy.close().await;
    }
}

#[tokio::test]
async fn sqlite_files_are_created_reopened_and_masked() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/canhgac.db", dir.path().display());
    let store = canhgac_store::open(&url).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    store.ping().await.unwrap();
    store
        .create_unit(&admin(), unit("UBND tỉnh", UnitKind::Province, None))
        .await
        .unwrap();
    assert!(dir.path().join("nested/dir/canhgac.db").exists());
    assert!(
        dir.path().join("nested/dir/canhgac.db-wal").exists(),
        "WAL journal in use"
    );
    store.close().await;
    // Reopening applies no migration twice and keeps the data.
    let again = canhgac_store::open(&url).await.unwrap();
    assert_eq!(again.all_units(&Scope::All).await.unwrap().len(), 1);
    again.close().await;

    let err = canhgac_store::open("postgres://canhgac:s3cr3t@127.0.0.1:1/canhgac")
        .await
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(!text.contains("s3cr3t") && text.contains("***"), "{text}");
    assert!(canhgac_store::open("mysql://x").await.is_err());
}

#[tokio::test]
async fn concurrent_writers_and_readers_all_succeed() {
    for ts in test_stores().await {
        let (s, n) = (ts.store.clone(), ts.name);
        let root = s
            .create_unit(&admin(), unit("UBND tỉnh", UnitKind::Province, None))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..24 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                if i % 3 == 0 {
                    s.list_units(&Scope::All, &UnitFilter::default(), &PageRequest::default())
                        .await
                        .map(|_| ())
                } else {
                    let u = s
                        .create_unit(
                            &admin(),
                            unit(&format!("Xã số {i}"), UnitKind::Commune, Some(root.id)),
                        )
                        .await?;
                    s.create_system(
                        &admin(),
                        SystemInput::new(format!("Cổng xã {i}"), SystemKind::Website, u.id),
                    )
                    .await
                    .map(|_| ())
                }
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap_or_else(|e| panic!("{n}: {e}"));
        }
        let dash = s.dashboard(&Scope::All).await.unwrap();
        assert_eq!((dash.units, dash.systems), (17, 16), "{n}");
    }
}

#[tokio::test]
async fn two_handles_on_one_sqlite_file_share_writes() {
    // The CLI and the server may hold the same file at once.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shared.db", dir.path().display());
    let one = canhgac_store::open(&url).await.unwrap();
    let two = canhgac_store::open(&url).await.unwrap();
    let root = one
        .create_unit(&admin(), unit("UBND tỉnh", UnitKind::Province, None))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        tasks.push(tokio::spawn(async move {
            store
                .create_unit(
                    &admin(),
                    unit(&format!("Phường {i}"), UnitKind::Commune, Some(root.id)),
                )
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(two.all_units(&Scope::All).await.unwrap().len(), 11);
    assert_eq!(one.all_units(&Scope::All).await.unwrap().len(), 11);
}
