//! Console tenancy: a unit officer of one subtree cannot see, open, edit or delete anything of
//! another subtree (404, exactly like an id that does not exist), and does not find those
//! records in any listing, filter, form, export or the dashboard counts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use canhgac_model::{
    Actor, AssetInput, AssetKind, ContactInput, Id, MonitorInput, MonitorKind, Role, Scope,
    SystemInput, SystemKind, UnitInput, UnitKind,
};
use console_support::*;

/// Every record of the other subtree (and the province above both) carries one of these in
/// its name or value, so a page that leaks any of them is caught by a substring check.
const FOREIGN_MARKERS: &[&str] = &["Bravo", "bravo", "Papa"];

/// An entity kind's path segment, a record id, and plausible form fields for an update.
type Target = (&'static str, Id, Vec<(&'static str, String)>);

struct World {
    own_units: Vec<Id>,
    foreign_units: Vec<Id>,
    foreign_system: Id,
    foreign_asset: Id,
    foreign_contact: Id,
    own_system: Id,
    own_asset: Id,
    own_monitor: Id,
    foreign_monitor: Id,
}

async fn world(app: &App) -> World {
    let store = &app.state.store;
    let sys = Actor::system("test");
    let unit = |name: &str, kind, parent| UnitInput::new(name, kind, parent);
    let p = store
        .create_unit(&sys, unit("Tỉnh Papa", UnitKind::Province, None))
        .await
        .unwrap();
    let a = store
        .create_unit(&sys, unit("Sở Alpha", UnitKind::Department, Some(p.id)))
        .await
        .unwrap();
    let a1 = store
        .create_unit(
            &sys,
            unit("Phòng Alpha 1", UnitKind::PublicServiceUnit, Some(a.id)),
        )
        .await
        .unwrap();
    let b = store
        .create_unit(&sys, unit("Sở Bravo", UnitKind::Department, Some(p.id)))
        .await
        .unwrap();
    let b1 = store
        .create_unit(
            &sys,
            unit("Phòng Bravo 1", UnitKind::PublicServiceUnit, Some(b.id)),
        )
        .await
        .unwrap();

    let system = |name: &str, owner| SystemInput::new(name, SystemKind::Portal, owner);
    let sa = store
        .create_system(&sys, system("Hệ thống Alpha", a.id))
        .await
        .unwrap();
    let sa1 = store
        .create_system(&sys, system("Thư điện tử Alpha 1", a1.id))
        .await
        .unwrap();
    let sb = store
        .create_system(&sys, system("Hệ thống Bravo", b.id))
        .await
        .unwrap();
    let asset = |system_id, value: &str| AssetInput {
        system_id,
        ..AssetInput::new(AssetKind::Domain, value)
    };
    let xa = store
        .create_asset(&sys, asset(sa.id, "alpha.example.vn"))
        .await
        .unwrap();
    store
        .create_asset(&sys, asset(sa1.id, "mail.alpha.example.vn"))
        .await
        .unwrap();
    let xb = store
        .create_asset(&sys, asset(sb.id, "bravo.example.vn"))
        .await
        .unwrap();
    let contact = |unit_id, name: &str| ContactInput {
        unit_id,
        name: name.into(),
        position: None,
        responsibility: None,
        phone: None,
        email: None,
    };
    store
        .create_contact(&sys, contact(a.id, "Người Alpha"))
        .await
        .unwrap();
    let cb = store
        .create_contact(&sys, contact(b1.id, "Người Bravo"))
        .await
        .unwrap();
    let monitor = |asset: Id, name: &str, target: &str| {
        let mut input = MonitorInput::new(asset, name, MonitorKind::Http, target);
        input.public = true;
        input
    };
    let own_monitor = store
        .create_monitor(
            &sys,
            monitor(xa.id, "Giám sát Alpha", "https://alpha.example.vn/"),
        )
        .await
        .unwrap();
    let foreign_monitor = store
        .create_monitor(
            &sys,
            monitor(xb.id, "Giám sát Bravo", "https://bravo.example.vn/"),
        )
        .await
        .unwrap();
    World {
        own_asset: xa.id,
        own_monitor: own_monitor.id,
        foreign_monitor: foreign_monitor.id,
        own_units: vec![a.id, a1.id],
        foreign_units: vec![p.id, b.id, b1.id],
        foreign_system: sb.id,
        foreign_asset: xb.id,
        foreign_contact: cb.id,
        own_system: sa.id,
    }
}

#[track_caller]
fn assert_no_leak(page: &Page, path: &str) {
    for marker in FOREIGN_MARKERS {
        assert!(
            !page.body.contains(marker),
            "{path} shows {marker:?}:\n{}",
            page.body
        );
    }
}

#[tokio::test]
async fn unit_officer_sees_and_touches_only_their_subtree() {
    for app in apps().await {
        let w = world(&app).await;
        create_user(&app, "canbo.alpha", Role::UnitOfficer, vec![w.own_units[0]]).await;
        let mut officer = Browser::new();
        officer.login(&app, "canbo.alpha", PASSWORD).await;
        let csrf = officer.get(&app, "/").await.csrf();

        // Every by-id route of every entity kind of the other subtree answers 404, and so does
        // an id that was never issued.
        let never = 9_000_000;
        let mut targets: Vec<Target> = Vec::new();
        for id in w.foreign_units.iter().copied().chain([never]) {
            targets.push((
                "units",
                id,
                vec![("name", "Đã bị sửa".into()), ("kind", "department".into())],
            ));
        }
        for id in [w.foreign_system, never] {
            targets.push((
                "systems",
                id,
                vec![
                    ("name", "Đã bị sửa".into()),
                    ("kind", "portal".into()),
                    ("owner_unit_id", w.own_units[0].to_string()),
                ],
            ));
        }
        for id in [w.foreign_asset, never] {
            targets.push((
                "assets",
                id,
                vec![
                    ("system_id", w.own_system.to_string()),
                    ("kind", "domain".into()),
                    ("value", "hacked.example.vn".into()),
                ],
            ));
        }
        for id in [w.foreign_contact, never] {
            targets.push((
                "contacts",
                id,
                vec![
                    ("unit_id", w.own_units[0].to_string()),
                    ("name", "Đã bị sửa".into()),
                ],
            ));
        }
        for id in [w.foreign_monitor, never] {
            targets.push((
                "monitors",
                id,
                vec![
                    ("asset_id", w.own_asset.to_string()),
                    ("name", "Đã bị sửa".into()),
                    ("kind", "http".into()),
                    ("target", "https://hacked.example.vn/".into()),
                ],
            ));
            // The monitor's own actions answer 404 as well.
            officer
                .get(&app, &format!("/monitors/{id}/delete"))
                .await
                .expect(404);
            for action in ["check", "baseline/approve", "maintenance"] {
                officer
                    .post_raw(
                        &app,
                        &format!("/monitors/{id}/{action}"),
                        &[("csrf", &csrf), ("minutes", "30")],
                    )
                    .await
                    .expect(404);
            }
        }
        for (kind, id, fields) in &targets {
            let view = officer.get(&app, &format!("/{kind}/{id}")).await;
            view.expect(404);
            assert_no_leak(&view, &format!("/{kind}/{id}"));
            officer
                .get(&app, &format!("/{kind}/{id}/edit"))
                .await
                .expect(404);
            let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            let update = officer
                .post_raw(&app, &format!("/{kind}/{id}"), &form)
                .await;
            assert_eq!(
                update.status.as_u16(),
                404,
                "POST /{kind}/{id} in {}: {}",
                app.name,
                update.body
            );
            officer
                .post_raw(&app, &format!("/{kind}/{id}/delete"), &[("csrf", &csrf)])
                .await
                .expect(404);
        }
        // ...and nothing changed.
        let store = &app.state.store;
        for id in &w.foreign_units {
            let unit = store.get_unit(&Scope::All, *id).await.unwrap();
            assert!(
                unit.name.contains("Bravo") || unit.name.contains("Papa"),
                "{}",
                unit.name
            );
        }
        assert_eq!(
            store
                .get_system(&Scope::All, w.foreign_system)
                .await
                .unwrap()
                .name,
            "Hệ thống Bravo"
        );
        assert_eq!(
            store
                .get_asset(&Scope::All, w.foreign_asset)
                .await
                .unwrap()
                .value,
            "bravo.example.vn"
        );
        assert_eq!(
            store
                .get_contact(&Scope::All, w.foreign_contact)
                .await
                .unwrap()
                .name,
            "Người Bravo"
        );
        assert_eq!(
            store
                .get_monitor(&Scope::All, w.foreign_monitor)
                .await
                .unwrap()
                .input
                .name,
            "Giám sát Bravo"
        );
        assert!(store
            .list_maintenance(&Scope::All, None, canhgac_model::Timestamp::now())
            .await
            .unwrap()
            .is_empty());

        // Creating records that hang from the other subtree is refused too.
        let b = w.foreign_units[1].to_string();
        let sb = w.foreign_system.to_string();
        let xb = w.foreign_asset.to_string();
        let creates: [(&str, Vec<(&str, &str)>); 5] = [
            (
                "/units",
                vec![
                    ("name", "Con của Bravo"),
                    ("kind", "commune"),
                    ("parent_id", &b),
                ],
            ),
            (
                "/systems",
                vec![
                    ("name", "Hệ thống lạ"),
                    ("kind", "email"),
                    ("owner_unit_id", &b),
                ],
            ),
            (
                "/assets",
                vec![
                    ("system_id", &sb),
                    ("kind", "ip"),
                    ("value", "198.51.100.9"),
                ],
            ),
            ("/contacts", vec![("unit_id", &b), ("name", "Người lạ")]),
            (
                "/monitors",
                vec![
                    ("asset_id", &xb),
                    ("name", "Giám sát lạ"),
                    ("kind", "http"),
                    ("target", "https://la.example.vn/"),
                ],
            ),
        ];
        for (path, fields) in creates {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields);
            let page = officer.post_raw(&app, path, &form).await;
            assert!(
                matches!(page.status.as_u16(), 403 | 404),
                "POST {path} in {}: {} {}",
                app.name,
                page.status,
                page.body
            );
        }
        // A root unit cannot be created either.
        let root = officer
            .post_raw(
                &app,
                "/units",
                &[("csrf", &csrf), ("name", "Gốc mới"), ("kind", "province")],
            )
            .await;
        assert!(
            matches!(root.status.as_u16(), 403 | 422),
            "{} {}",
            root.status,
            root.body
        );
        assert_eq!(store.all_units(&Scope::All).await.unwrap().len(), 5);

        // No listing, filter, form or export shows the other subtree; the own records are there.
        let pages = [
            "/".to_string(),
            "/units".into(),
            "/units?view=list".into(),
            "/units?q=Br".into(),
            format!("/units?view=list&parent_id={}", w.foreign_units[1]),
            "/systems".into(),
            format!("/systems?unit_id={}", w.foreign_units[1]),
            "/assets".into(),
            format!("/assets?system_id={}", w.foreign_system),
            format!("/assets?unit_id={}", w.foreign_units[1]),
            "/contacts".into(),
            format!("/contacts?unit_id={}", w.foreign_units[2]),
            "/units/new".into(),
            "/systems/new".into(),
            "/assets/new".into(),
            "/contacts/new".into(),
            format!("/assets/new?system_id={}", w.foreign_system),
            format!("/units/{}", w.own_units[0]),
            format!("/systems/{}", w.own_system),
            "/inventory/export.yaml".into(),
            "/monitors".into(),
            "/monitors?q=Brav".into(),
            format!("/monitors?unit_id={}", w.foreign_units[1]),
            "/monitors/new".into(),
            format!("/monitors/new?asset_id={}", w.foreign_asset),
            format!("/monitors/{}", w.own_monitor),
            format!("/assets/{}", w.own_asset),
            "/directive".into(),
        ];
        for path in &pages {
            let page = officer.get(&app, path).await;
            page.expect(200);
            assert_no_leak(&page, path);
        }
        let units = officer.get(&app, "/units").await;
        assert!(units.body.contains("Sở Alpha") && units.body.contains("Phòng Alpha 1"));
        let systems = officer.get(&app, "/systems").await;
        assert!(
            systems.body.contains("Hệ thống Alpha") && systems.body.contains("Thư điện tử Alpha 1")
        );
        assert!(officer
            .get(&app, "/assets")
            .await
            .body
            .contains("mail.alpha.example.vn"));
        assert!(officer
            .get(&app, "/contacts")
            .await
            .body
            .contains("Người Alpha"));
        assert!(officer
            .get(&app, "/monitors")
            .await
            .body
            .contains("Giám sát Alpha"));

        // The dashboard counts only the subtree (the admin sees everything).
        let dash = officer.get(&app, "/").await;
        assert_eq!(
            (
                dash.count("units"),
                dash.count("systems"),
                dash.count("assets"),
                dash.count("contacts")
            ),
            (2, 2, 2, 1),
            "{}",
            app.name
        );
        let mut admin = admin(&app).await;
        let all = admin.get(&app, "/").await;
        assert_eq!(
            (
                all.count("units"),
                all.count("systems"),
                all.count("assets"),
                all.count("contacts")
            ),
            (5, 3, 3, 2)
        );

        // Users and the audit log are for admins only.
        officer.get(&app, "/users").await.expect(403);
        officer.get(&app, "/users/1").await.expect(403);
        officer.get(&app, "/audit").await.expect(403);

        // Within the subtree the officer does edit.
        let own = w.own_units[1];
        officer
            .post(
                &app,
                &format!("/units/{own}/edit"),
                &format!("/units/{own}"),
                &[
                    ("name", "Phòng Alpha Một"),
                    ("kind", "public_service_unit"),
                    ("parent_id", &w.own_units[0].to_string()),
                ],
            )
            .await
            .expect(303);
        assert_eq!(
            store.get_unit(&Scope::All, own).await.unwrap().name,
            "Phòng Alpha Một"
        );
        // Their root keeps its parent (outside their scope) when they edit it.
        let root_unit = w.own_units[0];
        let edit = officer.get(&app, &format!("/units/{root_unit}/edit")).await;
        assert_no_leak(&edit, "edit own root");
        officer
            .post(
                &app,
                &format!("/units/{root_unit}/edit"),
                &format!("/units/{root_unit}"),
                &[
                    ("name", "Sở Alpha mới"),
                    ("kind", "department"),
                    ("parent_id", &w.foreign_units[0].to_string()),
                ],
            )
            .await
            .expect(303);
        let stored = store.get_unit(&Scope::All, root_unit).await.unwrap();
        assert_eq!(
            (stored.name.as_str(), stored.parent_id),
            ("Sở Alpha mới", Some(w.foreign_units[0]))
        );
    }
}
