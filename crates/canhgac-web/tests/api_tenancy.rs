//! Tenancy through the API: a unit officer of subtree A sees and changes nothing of sibling
//! subtree B (nor of the province above them), through an API token and through a session
//! cookie alike. Every API route must be classified in [`case_of`]; a new route without a
//! tenancy case fails [`every_route_has_a_tenancy_case`].

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use std::collections::BTreeSet;

use api_support::{apis, ids, Api, Auth};
use canhgac_model::{
    Actor, AlertDraft, AlertSource, AssetInput, AssetKind, ContactInput, FindingBatch,
    FindingDraft, FindingSource, Id, IndicatorInput, IndicatorKind, MaintenanceWindow,
    MonitorInput, MonitorKind, Role, RuleOverride, Scope, Severity, Suppression, SystemInput,
    SystemKind, UnitInput, UnitKind,
};

/// The remote probe every monitor of the tenancy world is assigned to.
const TENANCY_PROBE: &str = "tenancy-probe";
use serde_json::{json, Value};

/// How a route is covered by the tenancy test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// A listing (or aggregate) that must hold only A's records.
    ScopedRead(&'static str),
    /// `GET/PUT/DELETE /{collection}/{id}` on a scoped collection: B's ids answer 404.
    ScopedById(&'static str),
    /// `POST /{collection}`: records under B are refused.
    ScopedCreate(&'static str),
    /// Importing: files touching B are refused.
    ScopedImport,
    /// The caller's own tokens: another user's token id answers 404.
    OwnTokens,
    /// `POST /alerts/{id}/triage`: B's alerts (and unattributed ones) answer 404.
    ScopedTriage,
    /// `PUT/DELETE /rules/{key}/override`: overrides for B's units or for every unit are refused.
    ScopedOverride,
    /// Changes that apply to every unit (indicators): refused to a unit officer.
    EveryUnitOnly,
    /// `/monitors/{id}/...` reads and actions: B's monitors answer 404, like unknown ids.
    ScopedMonitorSub,
    /// `POST /probes/{name}/results`: results for B's monitors are refused.
    ScopedProbeResults,
    /// `POST /findings`: findings on B's hosts or units (or without a unit) are refused.
    ScopedFindingReport,
    /// `POST /findings/{id}/status`: B's findings (and unattributed ones) answer 404.
    ScopedFindingStatus,
    /// `POST /bulletins/{id}/remind`: B's bulletins answer 404, like unknown ids.
    ScopedBulletinRemind,
    /// Refused (403) to a unit officer: admins and analysts only.
    EveryUnitReader,
    /// `/duty/...`: listings hold only A's (and province-wide) records, B's ids answer 404,
    /// writes for B's units or people are refused.
    Duty,
    /// `POST /advisory-tasks/{id}`: B's tasks answer 404, like unknown ids.
    ScopedAdvisoryTask,
    /// `GET /advisories/{id}/attachments/{attachment_id}`: B's advisories' files answer 404.
    ScopedAdvisoryAttachment,
    /// Not unit-scoped; why.
    Exempt(&'static str),
}

/// The tenancy case of every API route. Adding a route means adding it here.
fn case_of(method: &str, path: &str) -> Case {
    match (method, path) {
        ("get", "/units") => Case::ScopedRead("units"),
        ("get", "/systems") => Case::ScopedRead("systems"),
        ("get", "/assets") => Case::ScopedRead("assets"),
        ("get", "/contacts") => Case::ScopedRead("contacts"),
        ("get", "/dashboard") | ("get", "/directive") => Case::ScopedRead("dashboard"),
        ("get", "/inventory") => Case::ScopedRead("inventory"),
        ("get" | "put" | "delete", "/units/{id}") => Case::ScopedById("units"),
        ("get" | "put" | "delete", "/systems/{id}") => Case::ScopedById("systems"),
        ("get" | "put" | "delete", "/assets/{id}") => Case::ScopedById("assets"),
        ("get" | "put" | "delete", "/contacts/{id}") => Case::ScopedById("contacts"),
        ("post", "/units") => Case::ScopedCreate("units"),
        ("post", "/systems") => Case::ScopedCreate("systems"),
        ("post", "/assets") => Case::ScopedCreate("assets"),
        ("post", "/contacts") => Case::ScopedCreate("contacts"),
        ("post", "/inventory/plan" | "/inventory/import") => Case::ScopedImport,
        ("get" | "post", "/tokens") | ("delete", "/tokens/{id}") => Case::OwnTokens,
        ("get", "/alerts") => Case::ScopedRead("alerts"),
        ("get", "/alerts/{id}") => Case::ScopedById("alerts"),
        ("post", "/alerts/{id}/triage") => Case::ScopedTriage,
        ("get", "/suppressions") => Case::ScopedRead("suppressions"),
        ("post", "/suppressions") => Case::ScopedCreate("suppressions"),
        ("delete", "/suppressions/{id}") => Case::ScopedById("suppressions"),
        ("get", "/rules") => Case::ScopedRead("rules"),
        ("put" | "delete", "/rules/{key}/override") => Case::ScopedOverride,
        (
            "post",
            "/indicators"
            | "/indicators/import"
            | "/indicators/import/{format}"
            | "/exposures/import"
            | "/exposures/report",
        )
        | ("delete", "/indicators/{id}") => Case::EveryUnitOnly,
        ("get", "/indicators" | "/indicators/export") => Case::Exempt("indicators apply to every unit"),
        ("get", "/findings") => Case::ScopedRead("findings"),
        ("get", "/findings/counts") => Case::ScopedRead("finding-counts"),
        ("get", "/findings/{id}") => Case::ScopedById("findings"),
        ("post", "/findings") => Case::ScopedFindingReport,
        ("post", "/findings/{id}/status") => Case::ScopedFindingStatus,
        ("get", "/monitors") => Case::ScopedRead("monitors"),
        ("get" | "put" | "delete", "/monitors/{id}") => Case::ScopedById("monitors"),
        ("post", "/monitors") => Case::ScopedCreate("monitors"),
        (
            "get",
            "/monitors/{id}/checks"
            | "/monitors/{id}/rollups"
            | "/monitors/{id}/availability"
            | "/monitors/{id}/outages"
            | "/monitors/{id}/baseline"
            | "/monitors/{id}/maintenance",
        )
        | (
            "post",
            "/monitors/{id}/baseline/approve"
            | "/monitors/{id}/check"
            | "/monitors/{id}/maintenance",
        ) => Case::ScopedMonitorSub,
        ("delete", "/maintenance/{id}") => Case::ScopedById("maintenance"),
        ("get", "/probes/{name}/monitors") => Case::ScopedRead("probe-monitors"),
        ("post", "/probes/{name}/results") => Case::ScopedProbeResults,
        ("get", "/probes") => {
            Case::Exempt("probe names and addresses: the probes serve every unit")
        }
        ("get", "/status/public") => {
            Case::Exempt("the public page: names and states of monitors marked public")
        }
        ("get", "/events") => Case::Exempt(
            "needs the live path: api_detection::a_unit_officer_finds_only_their_units_events",
        ),
        ("post", "/events") => {
            Case::Exempt("events are attributed by their source, not their sender")
        }
        ("get", "/detection/status") => Case::Exempt("counters of the whole intake"),
        ("get" | "put", "/systems/{id}/redundancy") => Case::Exempt(
            "another unit's systems answer 404 and cannot be named as a backup: canhgac-store tests/directive.rs::an_isps_backups_are_recorded_in_scope_and_counted_when_tested_within_a_year, console_directive.rs::an_isp_records_a_tested_backup_and_the_dashboard_counts_it",
        ),
        ("get", "/flow") => Case::Exempt(
            "needs the flow collector: canhgac/tests/flow.rs::a_syn_flood_on_a_customer_ipv6_address_and_an_outgoing_scan_raise_alerts (the board part)",
        ),
        ("get", "/bulletins") => Case::ScopedRead("bulletins"),
        ("get", "/bulletins/{id}") => Case::ScopedById("bulletins"),
        ("post", "/bulletins") => Case::ScopedCreate("bulletins"),
        ("post", "/bulletins/{id}/remind") => Case::ScopedBulletinRemind,
        ("get", "/outbox") => Case::EveryUnitReader,
        (_, p) if p.starts_with("/duty/") => Case::Duty,
        ("get", "/scans") => Case::ScopedRead("scans"),
        ("get", "/scans/{id}") => Case::ScopedById("scans"),
        ("post", "/scans") => Case::ScopedCreate("scans"),
        ("post", "/scans/{id}/cancel") => Case::Exempt(
            "B's runs answer 404: api_scans::a_finished_run_shows_its_diff_and_other_units_see_nothing",
        ),
        (_, "/systems/{id}/scan-schedules" | "/scan-schedules/{id}") => Case::Exempt(
            "another unit's systems and schedules answer 404: api_scans::schedules_are_added_changed_and_deleted_per_system_within_scope",
        ),
        (_, p) if p.starts_with("/incidents") || p.starts_with("/reports") => Case::Exempt(
            "B's incidents and reports answer 404 and creating for B is refused, on every route: api_incidents::every_incident_route_keeps_to_the_callers_units",
        ),
        ("get", "/advisories") => Case::ScopedRead("advisories"),
        ("get", "/advisories/{id}") => Case::ScopedById("advisories"),
        ("post", "/advisories" | "/advisories/{id}/match" | "/indicators/{id}/hunt") => {
            Case::EveryUnitOnly
        }
        ("post", "/advisories/prefill") => {
            Case::Exempt("reads the posted letter and answers its fields; stores nothing")
        }
        ("get", "/indicators/{id}/hunts") => Case::Exempt("indicators apply to every unit"),
        ("post", "/advisory-tasks/{id}") => Case::ScopedAdvisoryTask,
        ("get", "/advisories/{id}/attachments/{attachment_id}") => Case::ScopedAdvisoryAttachment,
        ("get", "/me") => Case::Exempt("the caller themself"),
        ("get", "/openapi.json") => Case::Exempt("public document"),
        (_, p) if p.starts_with("/authorities") => {
            Case::Exempt("authorities are shared by every unit")
        }
        (_, p) if p.starts_with("/users") => Case::Exempt("admin only (tested in api_auth)"),
        ("get", "/audit") => Case::Exempt("admin only (tested in api_auth)"),
        _ => panic!("add a tenancy case for {method} {path} in api_tenancy.rs"),
    }
}

#[test]
fn every_route_has_a_tenancy_case() {
    for (method, path) in canhgac_web::api::ROUTES {
        let _ = case_of(method, path);
    }
}

/// One side of the tree: ids and codes of its records.
#[derive(Debug, Default, Clone)]
struct Side {
    units: Vec<Id>,
    systems: Vec<Id>,
    assets: Vec<Id>,
    contacts: Vec<Id>,
    alerts: Vec<Id>,
    suppressions: Vec<Id>,
    monitors: Vec<Id>,
    maintenance: Vec<Id>,
    findings: Vec<Id>,
    bulletins: Vec<Id>,
    scans: Vec<Id>,
    shifts: Vec<Id>,
    duty_rules: Vec<Id>,
    holidays: Vec<Id>,
    advisories: Vec<Id>,
    advisory_tasks: Vec<Id>,
    advisory_files: Vec<(Id, Id)>,
    codes: Vec<String>,
    names: Vec<String>,
}

impl Side {
    fn ids(&self, collection: &str) -> &[Id] {
        match collection {
            "units" => &self.units,
            "systems" => &self.systems,
            "assets" => &self.assets,
            "contacts" => &self.contacts,
            "alerts" => &self.alerts,
            "suppressions" => &self.suppressions,
            "monitors" => &self.monitors,
            "maintenance" => &self.maintenance,
            "findings" => &self.findings,
            "bulletins" => &self.bulletins,
            "scans" => &self.scans,
            "duty/shifts" => &self.shifts,
            "duty/rules" => &self.duty_rules,
            "duty/holidays" => &self.holidays,
            "duty/people" => &self.contacts,
            "advisories" => &self.advisories,
            other => panic!("no collection {other}"),
        }
    }
}

struct World {
    /// The officer's subtree.
    a: Side,
    /// Everything else: sibling subtree B and the province root.
    b: Side,
    a_root: Id,
    b_root: Id,
    province: Id,
}

/// Builds: province ⟶ {A ⟶ A1, B ⟶ B1}, each unit with a system (with an asset) and a contact.
async fn world(api: &Api) -> World {
    let actor = Actor::system("test");
    let store = &api.store;
    let mut a = Side::default();
    let mut b = Side::default();

    let unit = |name: &str, code: &str, kind: UnitKind, parent: Option<Id>| {
        let mut input = UnitInput::new(name, kind, parent);
        input.code = code.to_string();
        input
    };
    let province = store
        .create_unit(
            &actor,
            unit(
                "UBND tỉnh Hòa Bình Xanh",
                "tinh-hbx",
                UnitKind::Province,
                None,
            ),
        )
        .await
        .unwrap();
    let a_root = store
        .create_unit(
            &actor,
            unit(
                "Sở Alpha",
                "so-alpha",
                UnitKind::Department,
                Some(province.id),
            ),
        )
        .await
        .unwrap();
    let a1 = store
        .create_unit(
            &actor,
            unit(
                "Trung tâm Alpha Một",
                "tt-alpha-mot",
                UnitKind::PublicServiceUnit,
                Some(a_root.id),
            ),
        )
        .await
        .unwrap();
    let b_root = store
        .create_unit(
            &actor,
            unit(
                "Sở Beta",
                "so-beta",
                UnitKind::Department,
                Some(province.id),
            ),
        )
        .await
        .unwrap();
    let b1 = store
        .create_unit(
            &actor,
            unit(
                "Trung tâm Beta Một",
                "tt-beta-mot",
                UnitKind::PublicServiceUnit,
                Some(b_root.id),
            ),
        )
        .await
        .unwrap();

    let plan = [
        (&province, false, "tinh", 1u8),
        (&a_root, true, "alpha", 2),
        (&a1, true, "alpha-mot", 3),
        (&b_root, false, "beta", 4),
        (&b1, false, "beta-mot", 5),
    ];
    for (owner, in_a, tag, n) in plan {
        let side = if in_a { &mut a } else { &mut b };
        side.units.push(owner.id);
        side.codes.push(owner.code.clone());
        side.names.push(owner.name.clone());
        let mut system = SystemInput::new(format!("Cổng {tag}"), SystemKind::Portal, owner.id);
        system.code = format!("cong-{tag}");
        let system = store.create_system(&actor, system).await.unwrap();
        side.systems.push(system.id);
        side.codes.push(system.code.clone());
        side.names.push(system.name.clone());
        let mut asset = AssetInput::new(AssetKind::Ip, format!("203.0.113.{n}"));
        asset.system_id = system.id;
        let asset = store.create_asset(&actor, asset).await.unwrap();
        side.assets.push(asset.id);
        side.names.push(asset.value.clone());
        let contact = ContactInput {
            unit_id: owner.id,
            name: format!("Nguyễn Văn {tag}"),
            position: None,
            responsibility: None,
            phone: Some(format!("0912 000 00{n}")),
            email: Some(format!("{tag}@example.gov.vn")),
        };
        let contact = store.create_contact(&actor, contact).await.unwrap();
        side.contacts.push(contact.id);
        side.names.push(contact.name.clone());
        // Duty: the contact on a shift of the unit, a routing rule and a holiday of the unit.
        let now = canhgac_model::Timestamp::now();
        let shift = canhgac_model::duty::DutyShiftInput {
            unit_id: Some(owner.id),
            start: now - jiff::SignedDuration::from_hours(1),
            end: now + jiff::SignedDuration::from_hours(8),
            primary_id: contact.id,
            backup_id: None,
            note: format!("Trực {tag}"),
        };
        side.shifts
            .push(store.create_shifts(&actor, &[shift]).await.unwrap()[0].id);
        let rule = json!({"name": format!("quy-tac-{tag}"), "min_severity": "high", "units": [],
            "sources": [], "rule_patterns": [], "tag_patterns": [], "notify": ["on_duty_primary"],
            "channels": ["email"], "digest": null, "quiet_hours": null});
        side.duty_rules.push(
            store
                .create_duty_rule(&actor, Some(owner.id), &rule)
                .await
                .unwrap()
                .id,
        );
        let holiday = canhgac_model::duty::DutyHoliday {
            id: 0,
            name: format!("Tết {tag}"),
            start: now,
            end: now + jiff::SignedDuration::from_hours(48),
            unit_ids: vec![owner.id],
        };
        side.holidays
            .push(store.create_holiday(&actor, &holiday).await.unwrap().id);
        // Detection: an alert on the unit's host, a suppression and a rule override for it.
        let alert = AlertDraft {
            source: AlertSource::Sigma,
            rule_key: format!("rule-{tag}"),
            title: format!("Cảnh báo {tag}"),
            severity: Severity::High,
            tags: vec!["attack.t1059".into()],
            unit_id: Some(owner.id),
            host: Some(format!("host-{tag}")),
            time: canhgac_model::Timestamp::now(),
            evidence: json!({"host": format!("host-{tag}")}),
        };
        let window = jiff::SignedDuration::from_mins(30);
        side.alerts
            .extend(store.record_alerts(&[alert], window).await.unwrap());
        let suppression = Suppression {
            id: 0,
            rule_key: None,
            unit_id: Some(owner.id),
            field: "host".into(),
            value: format!("scanner-{tag}"),
            comment: String::new(),
            expires_at: None,
        };
        side.suppressions.push(
            store
                .create_suppression(&actor, suppression)
                .await
                .unwrap()
                .id,
        );
        let setting = RuleOverride {
            rule_key: "rule-tenancy".into(),
            unit_id: Some(owner.id),
            enabled: false,
            severity: None,
        };
        store.set_rule_override(&actor, setting).await.unwrap();
        // Watch: a monitor of the unit's asset on the tenancy probe, with a maintenance window.
        let mut monitor = MonitorInput::new(
            asset.id,
            &format!("Giám sát {tag}"),
            MonitorKind::Tcp,
            &format!("203.0.113.{n}:443"),
        );
        monitor.probes = vec!["local".into(), TENANCY_PROBE.into()];
        let monitor = store.create_monitor(&actor, monitor).await.unwrap();
        side.monitors.push(monitor.id);
        side.names.push(monitor.input.name.clone());
        let starts = canhgac_model::Timestamp::now() + jiff::SignedDuration::from_hours(24);
        let window = MaintenanceWindow {
            id: 0,
            monitor_id: monitor.id,
            starts_at: starts,
            ends_at: starts + jiff::SignedDuration::from_hours(1),
            reason: format!("Bảo trì {tag}"),
        };
        side.maintenance
            .push(store.create_maintenance(&actor, window).await.unwrap().id);
        // Findings: a web shell on the unit's host, attributed through its asset.
        store
            .record_findings(
                &actor,
                &FindingBatch {
                    findings: vec![finding_on(&format!("203.0.113.{n}"), tag)],
                    snapshot: None,
                },
            )
            .await
            .unwrap();
        let listed = store
            .list_findings(
                &Scope::All,
                &Default::default(),
                &canhgac_model::PageRequest::new(1, 500),
            )
            .await
            .unwrap();
        side.findings.extend(
            listed
                .items
                .iter()
                .filter(|f| f.subject.ends_with(&format!("{tag}.php")))
                .map(|f| f.id),
        );
    }
    // An alert without a unit and a global suppression belong to nobody's subtree: only
    // callers who see every unit reach them.
    let unattributed = AlertDraft {
        source: AlertSource::Indicator,
        rule_key: "ioc:ip:198.51.100.9".into(),
        title: "Chỉ báo khớp".into(),
        severity: Severity::Critical,
        tags: Vec::new(),
        unit_id: None,
        host: Some("host-unknown".into()),
        time: canhgac_model::Timestamp::now(),
        evidence: json!({}),
    };
    b.alerts.extend(
        store
            .record_alerts(&[unattributed], jiff::SignedDuration::from_mins(30))
            .await
            .unwrap(),
    );
    // A finding on a host no unit owns: only callers who see every unit reach it.
    store
        .record_findings(
            &actor,
            &FindingBatch {
                findings: vec![finding_on("198.51.100.99", "orphan")],
                snapshot: None,
            },
        )
        .await
        .unwrap();
    let orphan = store
        .list_findings(
            &Scope::All,
            &Default::default(),
            &canhgac_model::PageRequest::new(1, 500),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|f| f.unit_id.is_none())
        .unwrap();
    b.findings.push(orphan.id);
    let global = Suppression {
        id: 0,
        rule_key: None,
        unit_id: None,
        field: "host".into(),
        value: "backup-all".into(),
        comment: String::new(),
        expires_at: None,
    };
    b.suppressions
        .push(store.create_suppression(&actor, global).await.unwrap().id);
    store
        .import_indicators(
            &actor,
            vec![IndicatorInput::new(IndicatorKind::Ip, "198.51.100.9")],
        )
        .await
        .unwrap();
    // Bulletins: one to A's subtree, one to B's, and one to the whole province, which A sees
    // with A's people only.
    let write = |to: &canhgac_model::bulletin::BulletinAddressee<'_>| {
        canhgac_model::bulletin::BulletinMail {
            token_hash: format!("{}-{}-{}", to.bulletin_id, to.name, to.reminder),
            subject: to.title.to_string(),
            body_text: to.body.to_string(),
            body_html: None,
        }
    };
    for (unit, in_a) in [(a_root.id, true), (b_root.id, false), (province.id, true)] {
        let input = canhgac_model::bulletin::BulletinInput {
            title: format!("Bản tin {unit}"),
            body: "Cảnh báo thư giả mạo.".into(),
            unit_ids: vec![unit],
            include_subunits: true,
            remind_every_days: None,
        };
        let detail = store.create_bulletin(&actor, input, &write).await.unwrap();
        let side = if in_a { &mut a } else { &mut b };
        side.bulletins.push(detail.bulletin.id);
    }
    // Advisories: one concerning A, one B, one both (A sees it with A's task only).
    for (n, units) in [
        (1, vec![a_root.id]),
        (2, vec![b_root.id]),
        (3, vec![a_root.id, b_root.id]),
    ] {
        let input = canhgac_model::advisory::AdvisoryInput {
            issuer: "NCSC".into(),
            number: format!("{n}/CATTT-NCSC"),
            title: format!("Cảnh báo {n}"),
            details: json!({}),
            attachments: vec![canhgac_model::advisory::AttachmentInput {
                file_name: format!("cv-{n}.pdf"),
                content_type: "application/pdf".into(),
                bytes: b"%PDF".to_vec(),
            }],
            ..Default::default()
        };
        let matches: Vec<_> = units
            .iter()
            .map(|u| canhgac_model::advisory::AdvisoryMatch {
                unit_id: *u,
                systems: json!([{"system_name": if *u == a_root.id { "alpha" } else { "beta" }}]),
            })
            .collect();
        let detail = store
            .create_advisory(&actor, input, &matches)
            .await
            .unwrap();
        let side = if units.contains(&a_root.id) {
            &mut a
        } else {
            &mut b
        };
        side.advisories.push(detail.advisory.id);
        if !units.contains(&a_root.id) {
            b.advisory_files
                .push((detail.advisory.id, detail.attachments[0].id));
        }
        for task in &detail.tasks {
            if task.unit_id == a_root.id {
                a.advisory_tasks.push(task.id);
            } else {
                b.advisory_tasks.push(task.id);
            }
        }
    }
    // A scan of each side's first system.
    for side in [&mut a, &mut b] {
        let system = store
            .get_system(&Scope::All, side.systems[0])
            .await
            .unwrap();
        let request = canhgac_model::scan_run::ScanRequest {
            profile: "quick".into(),
            targets: vec!["203.0.113.250".into()],
            system_id: Some(system.id),
            unit_id: system.owner_unit_id,
            schedule_id: None,
        };
        side.scans
            .push(store.create_scan(&actor, &request).await.unwrap().id);
    }
    World {
        a,
        b,
        a_root: a_root.id,
        b_root: b_root.id,
        province: province.id,
    }
}

/// Every record of the world as the admin sees it, to prove refused requests changed nothing.
async fn snapshot(api: &Api) -> Value {
    let all = Scope::All;
    let page = canhgac_model::PageRequest::new(1, 500);
    let store = &api.store;
    let mut bulletins = Vec::new();
    for b in store.list_bulletins(&all, &page).await.unwrap().items {
        bulletins.push(store.get_bulletin(&all, b.id).await.unwrap());
    }
    let mut advisories = Vec::new();
    for a in store.list_advisories(&all, &page).await.unwrap().items {
        advisories.push(store.get_advisory(&all, a.id).await.unwrap());
    }
    json!({
        "units": store.list_units(&all, &Default::default(), &page).await.unwrap().items,
        "systems": store.list_systems(&all, &Default::default(), &page).await.unwrap().items,
        "assets": store.list_assets(&all, &Default::default(), &page).await.unwrap().items,
        "contacts": store.list_contacts(&all, &Default::default(), &page).await.unwrap().items,
        "alerts": store.list_alerts(&all, &Default::default(), &page).await.unwrap().items,
        "suppressions": store.list_suppressions(&all).await.unwrap(),
        "overrides": store.rule_overrides().await.unwrap(),
        "indicators": store.list_indicators(&Default::default(), &page).await.unwrap().items,
        "monitors": store.list_monitors(&all, &Default::default(), &page).await.unwrap().items,
        "maintenance": store.list_maintenance(&all, None, canhgac_model::Timestamp::now()).await.unwrap(),
        "findings": store.list_findings(&all, &Default::default(), &page).await.unwrap().items,
        "bulletins": bulletins,
        "advisories": advisories,
        "retrohunts": store.list_retrohunts(None, 100).await.unwrap(),
    })
}

/// A body that would be valid for `collection` if the record were the caller's.
fn valid_body(collection: &str, w: &World) -> Value {
    match collection {
        "units" => json!({"name": "Đổi tên", "kind": "department", "parent_id": w.a_root}),
        "systems" => json!({"name": "Đổi tên", "kind": "website", "owner_unit_id": w.a_root}),
        "assets" => {
            json!({"system_id": w.a.systems[0], "kind": "domain", "value": "doi-ten.example.gov.vn"})
        }
        "contacts" => json!({"unit_id": w.a_root, "name": "Đổi Tên"}),
        "monitors" => {
            json!({"asset_id": w.a.assets[0], "name": "Đổi tên", "kind": "tcp", "target": "203.0.113.2:443"})
        }
        "maintenance" | "findings" => json!({}),
        other => panic!("no collection {other}"),
    }
}

const NONEXISTENT: Id = 987_654_321;

/// A web shell found on `host` (attributed through the inventory).
fn finding_on(host: &str, tag: &str) -> FindingDraft {
    FindingDraft {
        source: FindingSource::Malware,
        key: format!("yara:tenancy:{host}:/var/www/{tag}.php"),
        category: "webshell".into(),
        title: format!("Web shell {tag}"),
        severity: Severity::Critical,
        unit_id: None,
        system_id: None,
        asset_id: None,
        host: Some(host.into()),
        subject: format!("/var/www/{tag}.php"),
        evidence: json!({}),
        remediation: None,
        observed_at: canhgac_model::Timestamp::now(),
    }
}

async fn check_officer(api: &Api, w: &World, auth: &Auth, mode: &str) {
    let before = snapshot(api).await;
    for (method, path) in canhgac_web::api::ROUTES {
        let what = format!("[{} {mode}] {method} {path}", api.name);
        match case_of(method, path) {
            Case::ScopedRead(kind) => check_read(api, w, auth, kind, &what).await,
            Case::ScopedById(collection) => {
                let mut answers = BTreeSet::new();
                for id in w.b.ids(collection).iter().copied().chain([NONEXISTENT]) {
                    let url = format!("/api/v1/{collection}/{id}");
                    let reply = match *method {
                        "get" => api.get(&url, auth).await,
                        "put" => api.put(&url, auth, valid_body(collection, w)).await,
                        "delete" => api.delete(&url, auth).await,
                        other => panic!("{other}"),
                    };
                    let problem = reply.problem(404);
                    assert_eq!(
                        problem["type"], "urn:canhgac:problem:not-found",
                        "{what} {id}"
                    );
                    // Indistinguishable: the same answer as for an id that does not exist,
                    // once the id the caller sent is blanked out.
                    let mut blanked = problem.clone();
                    if let Some(detail) = problem["detail"].as_str() {
                        blanked["detail"] = json!(detail.replace(&format!(" {id} "), " ID "));
                    }
                    answers.insert(blanked.to_string());
                }
                assert_eq!(answers.len(), 1, "{what}: answers differ: {answers:?}");
                // The officer's own records answer (the 404s above are not a broken route).
                let own = w.a.ids(collection)[0];
                if *method == "get" {
                    api.get(&format!("/api/v1/{collection}/{own}"), auth)
                        .await
                        .ok(200);
                }
            }
            Case::ScopedCreate(collection) => check_create(api, w, auth, collection, &what).await,
            Case::Duty => check_duty(api, w, auth, method, path, &what).await,
            Case::ScopedImport => check_import(api, w, auth, path, &what).await,
            Case::ScopedTriage => {
                let mut answers = BTreeSet::new();
                for id in w.b.alerts.iter().copied().chain([NONEXISTENT]) {
                    let reply = api
                        .post(
                            &format!("/api/v1/alerts/{id}/triage"),
                            auth,
                            json!({"status": "resolved", "comment": "không phải của tôi"}),
                        )
                        .await;
                    let mut problem = reply.problem(404);
                    if let Some(detail) = problem["detail"].as_str() {
                        problem["detail"] = json!(detail.replace(&format!(" {id} "), " ID "));
                    }
                    answers.insert(problem.to_string());
                }
                assert_eq!(answers.len(), 1, "{what}: answers differ: {answers:?}");
            }
            Case::ScopedOverride => {
                let url = "/api/v1/rules/rule-tenancy/override";
                for unit in [Some(w.b_root), Some(w.b.units[2]), Some(w.province), None] {
                    let reply = match *method {
                        "put" => {
                            api.put(url, auth, json!({"unit_id": unit, "enabled": true}))
                                .await
                        }
                        _ => {
                            let query = unit.map(|u| format!("?unit_id={u}")).unwrap_or_default();
                            api.delete(&format!("{url}{query}"), auth).await
                        }
                    };
                    let status = reply.status.as_u16();
                    assert!(matches!(status, 403 | 404), "{what} {unit:?}: {status}");
                    reply.problem(status);
                }
            }
            Case::EveryUnitOnly => {
                let reply = match *path {
                    "/indicators" => {
                        api.post(
                            "/api/v1/indicators",
                            auth,
                            json!({"kind": "ip", "value": "192.0.2.77"}),
                        )
                        .await
                    }
                    "/exposures/import" => {
                        api.post(
                            "/api/v1/exposures/import",
                            auth,
                            json!("ai@alpha.gov.vn:facebook.com"),
                        )
                        .await
                    }
                    "/exposures/report" => {
                        api.post(
                            "/api/v1/exposures/report?kind=list",
                            auth,
                            json!("192.0.2.80"),
                        )
                        .await
                    }
                    "/advisories" => {
                        api.post(
                            "/api/v1/advisories",
                            auth,
                            json!({"issuer": "NCSC", "number": "9/X", "title": "Lạ"}),
                        )
                        .await
                    }
                    "/advisories/{id}/match" => {
                        let own = w.a.advisories[0];
                        api.post(&format!("/api/v1/advisories/{own}/match"), auth, json!({}))
                            .await
                    }
                    "/indicators/{id}/hunt" => {
                        let listed = api.get("/api/v1/indicators", auth).await.ok(200);
                        let id = ids(&listed)[0];
                        api.post(&format!("/api/v1/indicators/{id}/hunt"), auth, json!({}))
                            .await
                    }
                    "/indicators/import" | "/indicators/import/{format}" => {
                        let (uri, body) = if path.ends_with("{format}") {
                            ("/api/v1/indicators/import/appendix", "C2: 192.0.2[.]79\n")
                        } else {
                            ("/api/v1/indicators/import", "kind,value\nip,192.0.2.78\n")
                        };
                        let request = axum::http::Request::builder()
                            .method("POST")
                            .uri(uri)
                            .header("content-type", "text/csv");
                        let request = match auth {
                            Auth::Bearer(secret) => {
                                request.header("authorization", format!("Bearer {secret}"))
                            }
                            Auth::Session { secret, csrf } => request
                                .header("cookie", format!("canhgac_session={secret}"))
                                .header("x-csrf-token", csrf.clone().unwrap_or_default()),
                            Auth::None => request,
                        };
                        api.send(request.body(axum::body::Body::from(body)).unwrap())
                            .await
                    }
                    _ => {
                        let listed = api.get("/api/v1/indicators", auth).await.ok(200);
                        let id = ids(&listed)[0];
                        api.delete(&format!("/api/v1/indicators/{id}"), auth).await
                    }
                };
                reply.problem(403);
            }
            Case::ScopedAdvisoryTask => {
                let mut answers = BTreeSet::new();
                for id in w.b.advisory_tasks.iter().copied().chain([NONEXISTENT]) {
                    let reply = api
                        .post(
                            &format!("/api/v1/advisory-tasks/{id}"),
                            auth,
                            json!({"action": "remediate", "comment": "không phải của tôi"}),
                        )
                        .await;
                    let mut problem = reply.problem(404);
                    if let Some(detail) = problem["detail"].as_str() {
                        problem["detail"] = json!(detail.replace(&format!(" {id} "), " ID "));
                    }
                    answers.insert(problem.to_string());
                }
                assert_eq!(answers.len(), 1, "{what}: answers differ: {answers:?}");
            }
            Case::ScopedAdvisoryAttachment => {
                assert!(!w.b.advisory_files.is_empty(), "{what}");
                for (advisory, file) in &w.b.advisory_files {
                    api.get(
                        &format!("/api/v1/advisories/{advisory}/attachments/{file}"),
                        auth,
                    )
                    .await
                    .problem(404);
                }
            }
            Case::ScopedMonitorSub => {
                let mut answers = BTreeSet::new();
                for id in w.b.monitors.iter().copied().chain([NONEXISTENT]) {
                    let url = format!("/api/v1{}", path.replace("{id}", &id.to_string()));
                    let reply = match *method {
                        "get" => api.get(&url, auth).await,
                        _ => {
                            let body = if path.ends_with("/maintenance") {
                                json!({"minutes": 30, "reason": "không phải của tôi"})
                            } else {
                                json!({})
                            };
                            api.post(&url, auth, body).await
                        }
                    };
                    let mut problem = reply.problem(404);
                    if let Some(detail) = problem["detail"].as_str() {
                        problem["detail"] = json!(detail.replace(&format!(" {id} "), " ID "));
                    }
                    answers.insert(problem.to_string());
                }
                assert_eq!(answers.len(), 1, "{what}: answers differ: {answers:?}");
                if *method == "get" {
                    let own = w.a.monitors[0];
                    let url = format!("/api/v1{}", path.replace("{id}", &own.to_string()));
                    api.get(&url, auth).await.ok(200);
                }
            }
            Case::ScopedProbeResults => {
                let url = format!("/api/v1/probes/{TENANCY_PROBE}/results");
                for (index, id) in w.b.monitors.iter().enumerate() {
                    let result = json!([{
                        "monitor_id": id, "probe": TENANCY_PROBE, "at": "2026-03-01T01:00:00Z",
                        "ok": false, "latency_ms": null, "message": "giả mạo", "details": {},
                    }]);
                    let problem = api.post(&url, auth, result).await.problem(422);
                    assert_eq!(problem["field"], "[0].monitor_id", "{what} #{index}");
                }
            }
            Case::ScopedFindingReport => {
                // On B's host, naming B's unit, naming B's unit as the run's scope, and on a
                // host nobody owns: each refused, nothing written (checked by the snapshot).
                let mut named = finding_on("198.51.100.1", "named");
                named.unit_id = Some(w.b_root);
                let batches = [
                    json!({"findings": [finding_on("203.0.113.4", "beta-host")]}),
                    json!({"findings": [named]}),
                    json!({"findings": [], "snapshot": {"source": "malware", "unit_ids": [w.b_root]}}),
                    json!({"findings": [], "snapshot": {"source": "malware", "unit_ids": [null]}}),
                    json!({"findings": [finding_on("198.51.100.2", "nobody")]}),
                ];
                for (index, batch) in batches.into_iter().enumerate() {
                    let reply = api.post("/api/v1/findings", auth, batch).await;
                    let status = reply.status.as_u16();
                    assert_eq!(status, 403, "{what} #{index}: {}", reply.text());
                    reply.problem(403);
                }
            }
            Case::ScopedFindingStatus => {
                let mut answers = BTreeSet::new();
                for id in w.b.findings.iter().copied().chain([NONEXISTENT]) {
                    let reply = api
                        .post(
                            &format!("/api/v1/findings/{id}/status"),
                            auth,
                            json!({"status": "fixed"}),
                        )
                        .await;
                    let mut problem = reply.problem(404);
                    if let Some(detail) = problem["detail"].as_str() {
                        problem["detail"] = json!(detail.replace(&format!(" {id} "), " ID "));
                    }
                    answers.insert(problem.to_string());
                }
                assert_eq!(answers.len(), 1, "{what}: answers differ: {answers:?}");
            }
            Case::ScopedBulletinRemind => {
                let mut answers = BTreeSet::new();
                for id in w.b.bulletins.iter().copied().chain([NONEXISTENT]) {
                    let reply = api
                        .post(&format!("/api/v1/bulletins/{id}/remind"), auth, json!({}))
                        .await;
                    let mut problem = reply.problem(404);
                    if let Some(detail) = problem["detail"].as_str() {
                        problem["detail"] = json!(detail.replace(&format!(" {id} "), " ID "));
                    }
                    answers.insert(problem.to_string());
                }
                assert_eq!(answers.len(), 1, "{what}: answers differ: {answers:?}");
            }
            Case::EveryUnitReader => {
                api.get(&format!("/api/v1{path}"), auth).await.problem(403);
            }
            Case::OwnTokens => {}
            Case::Exempt(_) => {}
        }
    }
    // Moving one's own records into B is refused too.
    let moves = [
        (
            "units",
            w.a.units[1],
            json!({"name": "Trung tâm Alpha Một", "code": "tt-alpha-mot", "kind": "public_service_unit", "parent_id": w.b_root}),
        ),
        (
            "systems",
            w.a.systems[0],
            json!({"name": "Cổng alpha", "code": "cong-alpha", "kind": "portal", "owner_unit_id": w.b_root}),
        ),
        (
            "assets",
            w.a.assets[0],
            json!({"system_id": w.b.systems[1], "kind": "ip", "value": "203.0.113.2"}),
        ),
        (
            "contacts",
            w.a.contacts[0],
            json!({"unit_id": w.b_root, "name": "Nguyễn Văn alpha"}),
        ),
        (
            "monitors",
            w.a.monitors[0],
            json!({"asset_id": w.b.assets[1], "name": "Giám sát alpha", "kind": "tcp", "target": "203.0.113.2:443"}),
        ),
    ];
    for (collection, id, body) in moves {
        let reply = api
            .put(&format!("/api/v1/{collection}/{id}"), auth, body)
            .await;
        assert!(
            matches!(reply.status.as_u16(), 403 | 404 | 422),
            "[{} {mode}] moving {collection} {id} into B answered {}: {}",
            api.name,
            reply.status,
            reply.text()
        );
    }
    assert_eq!(
        snapshot(api).await,
        before,
        "[{} {mode}] a refused request changed data",
        api.name
    );
}

async fn check_read(api: &Api, w: &World, auth: &Auth, kind: &str, what: &str) {
    match kind {
        "units" | "systems" | "assets" | "contacts" => {
            let listing = api
                .get(&format!("/api/v1/{kind}?per_page=500"), auth)
                .await
                .ok(200);
            let got: BTreeSet<Id> = ids(&listing).into_iter().collect();
            let own: BTreeSet<Id> = w.a.ids(kind).iter().copied().collect();
            assert_eq!(got, own, "{what}: exactly A's records");
            assert_eq!(listing["total"], own.len(), "{what}: total counts only A");
            // Filters and searches naming B's records find nothing either.
            let probes = match kind {
                "units" => vec![
                    format!("parent_id={}", w.b_root),
                    format!("parent_id={}", w.b.units[2]),
                    "q=Beta".into(),
                ],
                "systems" => vec![format!("unit_id={}", w.b_root), "q=beta".into()],
                "assets" => vec![
                    format!("system_id={}", w.b.systems[1]),
                    format!("unit_id={}", w.b_root),
                    "q=203.0.113.4".into(),
                ],
                _ => vec![format!("unit_id={}", w.b_root), "q=beta".into()],
            };
            for probe in probes {
                let reply = api.get(&format!("/api/v1/{kind}?{probe}"), auth).await;
                if reply.status.as_u16() == 404 {
                    continue;
                }
                let listing = reply.ok(200);
                assert!(ids(&listing).is_empty(), "{what}?{probe}: {listing}");
                assert_eq!(listing["total"], 0, "{what}?{probe}");
            }
        }
        "alerts" => {
            let listing = api.get("/api/v1/alerts?per_page=500", auth).await.ok(200);
            let got: BTreeSet<Id> = ids(&listing).into_iter().collect();
            let own: BTreeSet<Id> = w.a.alerts.iter().copied().collect();
            assert_eq!(got, own, "{what}: exactly A's alerts");
            assert_eq!(listing["total"], own.len(), "{what}");
            // (Filtering by the province is filtering by A's ancestors: it finds A's alerts.)
            for probe in [
                format!("unit_id={}", w.b_root),
                format!("unit_id={}", w.b.units[2]),
                "q=beta".into(),
                "q=host-unknown".into(),
            ] {
                let listing = api
                    .get(&format!("/api/v1/alerts?{probe}"), auth)
                    .await
                    .ok(200);
                assert!(ids(&listing).is_empty(), "{what}?{probe}: {listing}");
            }
        }
        "monitors" => {
            let listing = api.get("/api/v1/monitors?per_page=500", auth).await.ok(200);
            let got: BTreeSet<Id> = ids(&listing).into_iter().collect();
            let own: BTreeSet<Id> = w.a.monitors.iter().copied().collect();
            assert_eq!(got, own, "{what}: exactly A's monitors");
            assert_eq!(listing["total"], own.len(), "{what}");
            for probe in [
                format!("unit_id={}", w.b_root),
                format!("system_id={}", w.b.systems[1]),
                format!("asset_id={}", w.b.assets[1]),
                "q=beta".into(),
                "q=203.0.113.4".into(),
            ] {
                let listing = api
                    .get(&format!("/api/v1/monitors?{probe}"), auth)
                    .await
                    .ok(200);
                assert!(ids(&listing).is_empty(), "{what}?{probe}: {listing}");
            }
        }
        "findings" => {
            let listing = api.get("/api/v1/findings?per_page=500", auth).await.ok(200);
            let got: BTreeSet<Id> = ids(&listing).into_iter().collect();
            let own: BTreeSet<Id> = w.a.findings.iter().copied().collect();
            assert!(!own.is_empty());
            assert_eq!(got, own, "{what}: exactly A's findings");
            assert_eq!(listing["total"], own.len(), "{what}");
            for probe in [
                format!("unit_id={}", w.b_root),
                "q=beta".into(),
                "q=orphan".into(),
            ] {
                let listing = api
                    .get(&format!("/api/v1/findings?{probe}"), auth)
                    .await
                    .ok(200);
                assert!(ids(&listing).is_empty(), "{what}?{probe}: {listing}");
            }
        }
        "finding-counts" => {
            let counts = api.get("/api/v1/findings/counts", auth).await.ok(200);
            let rows = counts.as_array().unwrap();
            let total: i64 = rows.iter().map(|r| r["count"].as_i64().unwrap()).sum();
            assert_eq!(total as usize, w.a.findings.len(), "{what}: {counts}");
            for row in rows {
                let unit = row["unit_id"].as_i64().expect("no unattributed row");
                assert!(w.a.units.contains(&unit), "{what}: {row}");
            }
        }
        "probe-monitors" => {
            let handed = api
                .get(&format!("/api/v1/probes/{TENANCY_PROBE}/monitors"), auth)
                .await
                .ok(200);
            let got: BTreeSet<Id> = handed
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_i64().unwrap())
                .collect();
            let own: BTreeSet<Id> = w.a.monitors.iter().copied().collect();
            assert_eq!(got, own, "{what}: exactly A's monitors");
        }
        "suppressions" => {
            let listing = api.get("/api/v1/suppressions", auth).await.ok(200);
            let got: BTreeSet<Id> = listing
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_i64().unwrap())
                .collect();
            let own: BTreeSet<Id> = w.a.suppressions.iter().copied().collect();
            assert_eq!(got, own, "{what}: exactly A's suppressions");
        }
        "rules" => {
            let rules = api.get("/api/v1/rules", auth).await.ok(200);
            let units: BTreeSet<Id> = rules["overrides"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    o["unit_id"]
                        .as_i64()
                        .expect("no global override in this world")
                })
                .collect();
            let own: BTreeSet<Id> = w.a.units.iter().copied().collect();
            assert_eq!(units, own, "{what}: exactly A's overrides");
        }
        "dashboard" => {
            // Children of the province (out of scope itself): only A's root shows.
            let children = api
                .get(&format!("/api/v1/units?parent_id={}", w.province), auth)
                .await
                .ok(200);
            assert_eq!(ids(&children), vec![w.a_root], "{what}: {children}");
            let dashboard = api.get("/api/v1/dashboard", auth).await.ok(200);
            for collection in ["units", "systems", "assets", "contacts"] {
                assert_eq!(
                    dashboard[collection],
                    w.a.ids(collection).len(),
                    "{what}: {collection} in {dashboard}"
                );
            }
            for row in dashboard["per_unit"].as_array().unwrap() {
                let unit = row["unit_id"].as_i64().unwrap();
                assert!(w.a.units.contains(&unit), "{what}: {row}");
            }
            let directive = api.get("/api/v1/directive", auth).await.ok(200);
            let units: BTreeSet<Id> = directive
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["unit_id"].as_i64().unwrap())
                .collect();
            let own: BTreeSet<Id> = w.a.units.iter().copied().collect();
            assert_eq!(
                units, own,
                "{what}: the directive rows are A's units: {directive}"
            );
            api.get("/api/v1/directive?days=0", auth).await.problem(422);
        }
        "inventory" => {
            let yaml = api.get("/api/v1/inventory?format=yaml", auth).await;
            assert_eq!(yaml.status.as_u16(), 200, "{what}: {}", yaml.text());
            let doc = api.get("/api/v1/inventory?format=json", auth).await.ok(200);
            let b_codes: BTreeSet<&str> = w.b.codes.iter().map(String::as_str).collect();
            let field = |section: &str, key: &str| -> Vec<String> {
                doc[section]
                    .as_array()
                    .unwrap_or_else(|| panic!("{what}: no {section} in {doc}"))
                    .iter()
                    .filter_map(|r| r[key].as_str().map(str::to_string))
                    .collect()
            };
            let records = [
                ("units", "code"),
                ("systems", "code"),
                ("systems", "owner"),
                ("assets", "system"),
                ("contacts", "unit"),
            ];
            for (section, key) in records {
                for value in field(section, key) {
                    assert!(
                        !b_codes.contains(value.as_str()),
                        "{what}: {section}.{key} {value}"
                    );
                }
            }
            let units: BTreeSet<String> = field("units", "code").into_iter().collect();
            let expected: BTreeSet<String> =
                w.a.codes
                    .iter()
                    .filter(|c| !c.starts_with("cong-"))
                    .cloned()
                    .collect();
            assert_eq!(units, expected, "{what}: exactly A's units");
            assert_eq!(field("systems", "code").len(), w.a.systems.len(), "{what}");
            assert_eq!(field("assets", "value").len(), w.a.assets.len(), "{what}");
            assert_eq!(
                field("contacts", "name").len(),
                w.a.contacts.len(),
                "{what}"
            );
            // The YAML holds none of B's records either (the province's code may appear only as
            // the parent of A's root, so it is not searched for).
            let text = yaml.text();
            for code in w.b.codes.iter().filter(|c| c.as_str() != "tinh-hbx") {
                assert!(
                    !text.contains(code.as_str()),
                    "{what}: YAML holds B's {code}"
                );
            }
            for name in w.b.names.iter().skip(1) {
                assert!(
                    !text.contains(name.as_str()),
                    "{what}: YAML holds B's {name}"
                );
            }
        }
        "advisories" => {
            let listing = api
                .get("/api/v1/advisories?per_page=500", auth)
                .await
                .ok(200);
            let got: BTreeSet<Id> = ids(&listing).into_iter().collect();
            let own: BTreeSet<Id> = w.a.advisories.iter().copied().collect();
            assert_eq!(
                got, own,
                "{what}: exactly the advisories concerning A's units"
            );
            for id in own {
                let detail = api
                    .get(&format!("/api/v1/advisories/{id}"), auth)
                    .await
                    .ok(200);
                for t in detail["tasks"].as_array().unwrap() {
                    let unit = t["unit_id"].as_i64().unwrap();
                    assert!(w.a.units.contains(&unit), "{what}: {t}");
                }
                assert!(!detail.to_string().contains("beta"), "{what}: {detail}");
            }
        }
        "bulletins" => {
            let listing = api
                .get("/api/v1/bulletins?per_page=500", auth)
                .await
                .ok(200);
            let got: BTreeSet<Id> = ids(&listing).into_iter().collect();
            let own: BTreeSet<Id> = w.a.bulletins.iter().copied().collect();
            assert_eq!(got, own, "{what}: exactly the bulletins sent to A's units");
            for id in own {
                let detail = api
                    .get(&format!("/api/v1/bulletins/{id}"), auth)
                    .await
                    .ok(200);
                for r in detail["recipients"].as_array().unwrap() {
                    let unit = r["unit_id"].as_i64().unwrap();
                    assert!(w.a.units.contains(&unit), "{what}: {r}");
                }
                for u in detail["units"].as_array().unwrap() {
                    let unit = u["unit_id"].as_i64().unwrap();
                    assert!(w.a.units.contains(&unit), "{what}: {u}");
                }
                let text = detail.to_string();
                assert!(!text.contains("beta@"), "{what}: {text}");
            }
            let searched = api.get("/api/v1/bulletins?q=beta", auth).await.ok(200);
            assert!(ids(&searched).iter().all(|id| w.a.bulletins.contains(id)));
        }
        "scans" => {
            let listing = api.get("/api/v1/scans?per_page=500", auth).await.ok(200);
            let got: BTreeSet<Id> = ids(&listing).into_iter().collect();
            let own: BTreeSet<Id> = w.a.scans.iter().copied().collect();
            assert_eq!(got, own, "{what}: exactly the scans of A's systems");
            let filtered = api
                .get(&format!("/api/v1/scans?system_id={}", w.b.systems[0]), auth)
                .await
                .ok(200);
            assert!(ids(&filtered).is_empty(), "{what}: filtered by B's system");
        }
        other => panic!("no read case {other}"),
    }
}

async fn check_create(api: &Api, w: &World, auth: &Auth, collection: &str, what: &str) {
    let refused: Vec<Value> = match collection {
        "units" => vec![
            json!({"name": "Phòng lạ", "code": "phong-la", "kind": "department", "parent_id": w.b_root}),
            json!({"name": "Gốc lạ", "code": "goc-la", "kind": "province"}),
        ],
        "systems" => vec![
            json!({"name": "Hệ thống lạ", "code": "he-thong-la", "kind": "website", "owner_unit_id": w.b_root}),
            json!({"name": "Hệ thống lạ", "code": "he-thong-la-2", "kind": "website", "owner_unit_id": w.province}),
            json!({"name": "Hệ thống lạ", "code": "he-thong-la-3", "kind": "website", "owner_unit_id": NONEXISTENT}),
        ],
        "assets" => vec![
            json!({"system_id": w.b.systems[1], "kind": "ip", "value": "198.51.100.7"}),
            json!({"system_id": NONEXISTENT, "kind": "ip", "value": "198.51.100.8"}),
        ],
        "contacts" => vec![
            json!({"unit_id": w.b_root, "name": "Người lạ"}),
            json!({"unit_id": NONEXISTENT, "name": "Người lạ"}),
        ],
        "suppressions" => vec![
            json!({"unit_id": w.b_root, "field": "host", "value": "x"}),
            json!({"unit_id": w.province, "field": "host", "value": "x"}),
            json!({"unit_id": NONEXISTENT, "field": "host", "value": "x"}),
            json!({"field": "host", "value": "x"}),
        ],
        "monitors" => vec![
            json!({"asset_id": w.b.assets[1], "name": "Lạ", "kind": "tcp", "target": "198.51.100.7:443"}),
            json!({"asset_id": w.b.assets[0], "name": "Lạ", "kind": "tcp", "target": "198.51.100.7:443"}),
            json!({"asset_id": NONEXISTENT, "name": "Lạ", "kind": "tcp", "target": "198.51.100.7:443"}),
        ],
        "bulletins" => vec![
            json!({"title": "Lạ", "body": "x", "unit_ids": [w.b_root]}),
            json!({"title": "Lạ", "body": "x", "unit_ids": [w.province], "include_subunits": true}),
            json!({"title": "Lạ", "body": "x", "unit_ids": [w.a_root, w.b.units[2]]}),
            json!({"title": "Lạ", "body": "x", "unit_ids": [NONEXISTENT]}),
        ],
        "scans" => vec![
            json!({"system_id": w.b.systems[0], "profile": "quick"}),
            json!({"system_id": NONEXISTENT, "profile": "quick"}),
            json!({"targets": ["198.51.100.7"], "profile": "quick"}),
        ],
        other => panic!("no collection {other}"),
    };
    for body in refused {
        let reply = api
            .post(&format!("/api/v1/{collection}"), auth, body.clone())
            .await;
        let status = reply.status.as_u16();
        assert!(
            matches!(status, 403 | 404 | 422),
            "{what}: {body} answered {status}: {}",
            reply.text()
        );
        reply.problem(status);
    }
}

async fn check_import(api: &Api, w: &World, auth: &Auth, path: &str, what: &str) {
    // A file putting a new system under B's unit (which the officer cannot see).
    let yaml = format!(
        "systems:\n  - code: he-thong-nhap-lau\n    name: Hệ thống nhập lậu\n    kind: website\n    owner: {}\n",
        w.b.codes[2]
    );
    let request = axum::http::Request::builder()
        .method("POST")
        .uri(format!("/api/v1{path}"))
        .header("content-type", "application/yaml");
    let request = match auth {
        Auth::Bearer(secret) => request.header("authorization", format!("Bearer {secret}")),
        Auth::Session { secret, csrf } => request
            .header("cookie", format!("canhgac_session={secret}"))
            .header("x-csrf-token", csrf.clone().unwrap_or_default()),
        Auth::None => request,
    };
    let reply = api
        .send(request.body(axum::body::Body::from(yaml)).unwrap())
        .await;
    let status = reply.status.as_u16();
    assert!(
        matches!(status, 403 | 404 | 422),
        "{what}: importing under B answered {status}: {}",
        reply.text()
    );
}

#[tokio::test]
async fn unit_officer_sees_and_changes_only_their_subtree() {
    for api in apis().await {
        let w = world(&api).await;
        let (officer, token) = api
            .user_with_token("can-bo-alpha", Role::UnitOfficer, vec![w.a_root])
            .await;
        check_officer(&api, &w, &token, "token").await;
        let session = api.session_for(officer.id).await;
        check_officer(&api, &w, &session, "session").await;

        // A viewer limited to A is bounded the same way on reads.
        let (_, viewer) = api
            .user_with_token("xem-alpha", Role::Viewer, vec![w.a_root])
            .await;
        for kind in [
            "units",
            "systems",
            "assets",
            "contacts",
            "dashboard",
            "inventory",
            "alerts",
            "suppressions",
            "rules",
            "monitors",
            "probe-monitors",
        ] {
            check_read(
                &api,
                &w,
                &viewer,
                kind,
                &format!("[{} viewer] {kind}", api.name),
            )
            .await;
        }

        // Not vacuous: the officer does create and change records inside A.
        let created = api
            .post(
                "/api/v1/systems",
                &token,
                json!({"name": "Thư điện tử Alpha Một", "kind": "email", "owner_unit_id": w.a.units[1]}),
            )
            .await
            .ok(201);
        let id = created["id"].as_i64().unwrap();
        api.get(&format!("/api/v1/systems/{id}"), &session)
            .await
            .ok(200);
        api.post(
            "/api/v1/assets",
            &session,
            json!({"system_id": id, "kind": "domain", "value": "mail.alpha.example.gov.vn"}),
        )
        .await
        .ok(201);
        api.delete(&format!("/api/v1/systems/{id}"), &token).await;
        api.get(&format!("/api/v1/systems/{id}"), &token)
            .await
            .problem(404);
    }
}

#[tokio::test]
async fn tokens_of_other_users_are_not_found() {
    for api in apis().await {
        let (_, alice) = api.user_with_token("alice", Role::Analyst, vec![]).await;
        let (_, bob) = api.user_with_token("bob", Role::Analyst, vec![]).await;
        let created = api
            .post("/api/v1/tokens", &alice, json!({"name": "relay"}))
            .await
            .ok(201);
        let token_id = created["token"]["id"].as_i64().unwrap();
        // Bob neither sees nor revokes Alice's token.
        let listed = api.get("/api/v1/tokens", &bob).await.ok(200);
        assert!(listed
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"].as_i64() != Some(token_id)));
        api.delete(&format!("/api/v1/tokens/{token_id}"), &bob)
            .await
            .problem(404);
        // Still works for Alice.
        let secret = created["secret"].as_str().unwrap().to_string();
        api.get("/api/v1/me", &Auth::Bearer(secret)).await.ok(200);
    }
}

/// The duty routes for an officer of A: nothing of B is listed, B's ids answer 404, and no
/// write reaches B's units or people.
async fn check_duty(api: &Api, w: &World, auth: &Auth, method: &str, path: &str, what: &str) {
    let b_names: Vec<&String> =
        w.b.names
            .iter()
            .filter(|n| n.starts_with("Nguyễn Văn"))
            .collect();
    let no_b_name = |body: &Value| {
        let text = body.to_string();
        for name in &b_names {
            assert!(
                !text.contains(name.as_str()),
                "{what}: shows {name}: {text}"
            );
        }
    };
    let field_ids = |body: &Value, field: &str| -> BTreeSet<Id> {
        body.as_array()
            .unwrap()
            .iter()
            .filter_map(|item| item.pointer(field).and_then(Value::as_i64))
            .collect()
    };
    let own = |collection: &str| -> BTreeSet<Id> { w.a.ids(collection).iter().copied().collect() };
    match (method, path) {
        ("get", "/duty/shifts") => {
            let body = api.get("/api/v1/duty/shifts", auth).await.ok(200);
            assert_eq!(field_ids(&body, "/id"), own("duty/shifts"), "{what}");
            no_b_name(&body);
        }
        ("get", "/duty/rules") => {
            let body = api.get("/api/v1/duty/rules", auth).await.ok(200);
            assert_eq!(field_ids(&body, "/id"), own("duty/rules"), "{what}");
        }
        ("get", "/duty/holidays") => {
            let body = api.get("/api/v1/duty/holidays", auth).await.ok(200);
            assert_eq!(
                field_ids(&body, "/holiday/id"),
                own("duty/holidays"),
                "{what}"
            );
        }
        ("get", "/duty/people") => {
            let body = api.get("/api/v1/duty/people", auth).await.ok(200);
            assert_eq!(field_ids(&body, "/contact_id"), own("contacts"), "{what}");
            no_b_name(&body);
        }
        ("get", "/duty/now" | "/duty/pages") => {
            let body = api.get(&format!("/api/v1{path}"), auth).await.ok(200);
            no_b_name(&body);
            let b_units: BTreeSet<Id> = w.b.units.iter().copied().collect();
            let b_alerts: BTreeSet<Id> = w.b.alerts.iter().copied().collect();
            assert!(
                field_ids(&body, "/unit_id").is_disjoint(&b_units),
                "{what}: {body}"
            );
            assert!(
                field_ids(&body, "/alert_id").is_disjoint(&b_alerts),
                "{what}: {body}"
            );
        }
        ("put", "/duty/people/{id}") | ("delete", _) => {
            let collection = path.trim_end_matches("/{id}").trim_start_matches('/');
            for id in w.b.ids(collection) {
                let url = format!("/api/v1/{collection}/{id}");
                let reply = if method == "put" {
                    api.put(&url, auth, json!({"telegram_chat_id": "1"})).await
                } else {
                    api.delete(&url, auth).await
                };
                reply.problem(404);
            }
        }
        ("post", "/duty/shifts") => {
            let now = canhgac_model::Timestamp::now();
            let bodies = [
                json!({"unit_id": w.b_root, "start": now, "end": now + jiff::SignedDuration::from_hours(1), "primary_id": w.b.contacts[1]}),
                json!({"unit_id": w.a_root, "start": now, "end": now + jiff::SignedDuration::from_hours(1), "primary_id": w.b.contacts[1]}),
                json!({"start": now, "end": now + jiff::SignedDuration::from_hours(1), "primary_id": w.a.contacts[0]}),
            ];
            for body in bodies {
                let reply = api.post("/api/v1/duty/shifts", auth, body.clone()).await;
                let status = reply.status.as_u16();
                assert!(matches!(status, 403 | 404 | 422), "{what} {body}: {status}");
            }
        }
        ("post", "/duty/rules") => {
            let reply = api
                .post("/api/v1/duty/rules", auth, json!({"unit_id": w.b_root, "rule": {
                    "name": "x", "min_severity": "low", "units": [], "sources": [], "rule_patterns": [],
                    "tag_patterns": [], "notify": ["on_duty_primary"], "channels": ["email"],
                    "digest": null, "quiet_hours": null}}))
                .await;
            let status = reply.status.as_u16();
            assert!(matches!(status, 403 | 404), "{what}: {status}");
        }
        ("post", "/duty/holidays") => {
            let now = canhgac_model::Timestamp::now();
            for units in [json!([w.b_root]), json!([])] {
                let reply = api
                    .post(
                        "/api/v1/duty/holidays",
                        auth,
                        json!({"id": 0, "name": "Tết", "start": now,
                        "end": now + jiff::SignedDuration::from_hours(2), "unit_ids": units}),
                    )
                    .await;
                let status = reply.status.as_u16();
                assert!(matches!(status, 403 | 404), "{what}: {status}");
            }
        }
        ("post", "/duty/shifts/import") => {
            let sheet = "bắt đầu,kết thúc,đơn vị,trực chính\n01/02/2027 08:00,01/02/2027 16:00,Sở Beta,Nguyễn Văn beta\n";
            let request = axum::http::Request::builder()
                .method("POST")
                .uri("/api/v1/duty/shifts/import")
                .header("content-type", "text/csv");
            let request = match auth {
                Auth::Bearer(secret) => request.header("authorization", format!("Bearer {secret}")),
                Auth::Session { secret, csrf } => request
                    .header("cookie", format!("canhgac_session={secret}"))
                    .header("x-csrf-token", csrf.clone().unwrap_or_default()),
                Auth::None => request,
            };
            let reply = api
                .send(request.body(axum::body::Body::from(sheet)).unwrap())
                .await;
            reply.problem(422);
        }
        other => panic!("{what}: no duty check for {other:?}"),
    }
}
