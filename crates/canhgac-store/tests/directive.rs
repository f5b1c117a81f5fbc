//! The directive dashboard's facts per unit, on every backend `test_stores()` gives: systems
//! scanned in the window, open serious / KEV / malware findings, account findings handled,
//! monitors, and scope.
#![allow(clippy::unwrap_used)]

use canhgac_model::finding::category;
use canhgac_model::scan_run::{ScanRequest, ScanResult, ScanStatus};
use canhgac_model::{
    Actor, AssetInput, AssetKind, FindingBatch, FindingDraft, FindingOutcome, FindingSource,
    FindingStatus, Id, MonitorInput, MonitorKind, Scope, Severity, SystemInput, SystemKind,
    Timestamp, UnitInput, UnitKind,
};
use canhgac_store::testing::test_stores;

fn admin() -> Actor {
    Actor::system("t")
}

fn draft(unit: Id, key: &str, category: &str, severity: Severity, kev: bool) -> FindingDraft {
    FindingDraft {
        source: FindingSource::Scan,
        key: key.into(),
        category: category.into(),
        title: key.into(),
        severity,
        unit_id: Some(unit),
        system_id: None,
        asset_id: None,
        host: None,
        subject: key.into(),
        evidence: serde_json::json!({ "known_exploited": kev }),
        remediation: None,
        observed_at: Timestamp::now(),
    }
}

#[tokio::test]
async fn facts_per_unit_count_what_the_directive_asks_within_scope() {
    for t in test_stores().await {
        let store = &*t.store;
        let unit = |name: &'static str| async move {
            store
                .create_unit(&admin(), UnitInput::new(name, UnitKind::Department, None))
                .await
                .unwrap()
                .id
        };
        let (a, b) = (unit("Sở A").await, unit("Sở B").await);
        let system = |name: &'static str, owner: Id| async move {
            store
                .create_system(&admin(), SystemInput::new(name, SystemKind::Portal, owner))
                .await
                .unwrap()
                .id
        };
        let portal = system("Cổng A", a).await;
        system("Thư A", a).await;
        system("Cổng B", b).await;
        let mut asset = AssetInput::new(AssetKind::Domain, "portal.a.gov.vn");
        asset.system_id = portal;
        let asset = store.create_asset(&admin(), asset).await.unwrap().id;
        for (name, target) in [
            ("Trang chủ", "https://portal.a.gov.vn/"),
            ("DNS", "portal.a.gov.vn"),
        ] {
            let kind = if name == "DNS" {
                MonitorKind::Dns
            } else {
                MonitorKind::Http
            };
            let input = MonitorInput::new(asset, name, kind, target);
            store.create_monitor(&admin(), input).await.unwrap();
        }

        // The portal was scanned (done) in the window; nothing of B's.
        let run = store
            .create_scan(
                &admin(),
                &ScanRequest {
                    profile: "quick".into(),
                    targets: vec!["portal.a.gov.vn".into()],
                    system_id: Some(portal),
                    unit_id: a,
                    schedule_id: None,
                },
            )
            .await
            .unwrap();
        let now = Timestamp::now();
        store
            .claim_scan(now, now + jiff::SignedDuration::from_secs(60))
            .await
            .unwrap();
        let done = ScanResult {
            status: ScanStatus::Done,
            error: None,
            hosts: 1,
            open_ports: 1,
            issues: 0,
            outcome: FindingOutcome::default(),
            report: None,
        };
        assert!(store.finish_scan(run.id, &done).await.unwrap());

        let batch = FindingBatch {
            findings: vec![
                draft(a, "cve", category::WEBSHELL, Severity::Critical, false),
                draft(a, "kev", "vulnerability", Severity::High, true),
                draft(a, "low", "http_hardening", Severity::Low, false),
                draft(
                    a,
                    "leak1",
                    category::EMAIL_BREACHED,
                    Severity::Medium,
                    false,
                ),
                draft(
                    a,
                    "leak2",
                    category::EMAIL_ON_SOCIAL_SITE,
                    Severity::Medium,
                    false,
                ),
                draft(b, "b-high", "tls", Severity::High, false),
            ],
            snapshot: None,
        };
        let outcome = store.record_findings(&admin(), &batch).await.unwrap();
        assert_eq!(outcome.created, 6);
        // One leaked address handled.
        let leak = store
            .list_findings(
                &Scope::All,
                &canhgac_model::FindingFilter::default(),
                &canhgac_model::PageRequest::new(1, 50),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|f| f.key == "leak1")
            .unwrap();
        store
            .set_finding_status(&admin(), leak.id, FindingStatus::Fixed, None, None)
            .await
            .unwrap();

        let since = now - jiff::SignedDuration::from_secs(30 * 86_400);
        let facts = store.directive_facts(&Scope::All, since).await.unwrap();
        let of = |id: Id| facts.iter().find(|f| f.unit_id == id).unwrap().clone();
        let fa = of(a);
        assert_eq!((fa.systems, fa.systems_scanned), (2, 1));
        assert!(!fa.all_scanned());
        assert_eq!(fa.open_serious_findings, 2, "{fa:?}");
        assert_eq!(fa.open_kev_findings, 1);
        assert_eq!(fa.open_malware_findings, 1);
        assert_eq!((fa.account_findings, fa.account_findings_open), (2, 1));
        assert_eq!((fa.monitors, fa.monitors_up), (2, 0));
        let fb = of(b);
        assert_eq!(
            (fb.systems, fb.systems_scanned, fb.open_serious_findings),
            (1, 0, 1)
        );

        // A scan older than the window does not count.
        let later = now + jiff::SignedDuration::from_secs(60);
        let facts = store.directive_facts(&Scope::All, later).await.unwrap();
        assert_eq!(
            facts
                .iter()
                .find(|f| f.unit_id == a)
                .unwrap()
                .systems_scanned,
            0
        );

        // B's officer sees B only.
        let facts = store
            .directive_facts(&Scope::Units(vec![b]), since)
            .await
            .unwrap();
        assert_eq!(facts.iter().map(|f| f.unit_id).collect::<Vec<_>>(), vec![b]);
    }
}

#[tokio::test]
async fn an_isps_backups_are_recorded_in_scope_and_counted_when_tested_within_a_year() {
    use canhgac_model::redundancy::RedundancyInput;
    use canhgac_model::Date;
    for t in test_stores().await {
        let store = &*t.store;
        let isp = store
            .create_unit(&admin(), UnitInput::new("Nhà mạng A", UnitKind::Isp, None))
            .await
            .unwrap()
            .id;
        let other = store
            .create_unit(&admin(), UnitInput::new("Nhà mạng B", UnitKind::Isp, None))
            .await
            .unwrap()
            .id;
        let system = |name: &'static str, owner: Id| async move {
            store
                .create_system(&admin(), SystemInput::new(name, SystemKind::Network, owner))
                .await
                .unwrap()
                .id
        };
        let (core, standby, access) = (
            system("Mạng lõi", isp).await,
            system("Mạng lõi dự phòng", isp).await,
            system("Mạng truy nhập", isp).await,
        );
        let foreign = system("Mạng lõi B", other).await;
        let today: Date = jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
            .date();
        let days_ago = |n: i64| today.checked_sub(jiff::Span::new().days(n)).unwrap();

        assert_eq!(store.get_redundancy(&Scope::All, core).await.unwrap(), None);
        let recorded = store
            .set_redundancy(
                &admin(),
                core,
                RedundancyInput {
                    backup_system_id: Some(standby),
                    backup_description: " Trạm dự phòng Đà Nẵng ".into(),
                    last_failover_test: Some(days_ago(30)),
                },
            )
            .await
            .unwrap();
        assert_eq!(recorded.backup_description, "Trạm dự phòng Đà Nẵng");
        assert_eq!(
            store.get_redundancy(&Scope::All, core).await.unwrap(),
            Some(recorded.clone())
        );
        // A backup link tested too long ago, and one never tested.
        store
            .set_redundancy(
                &admin(),
                access,
                RedundancyInput {
                    backup_description: "Đường truyền thứ hai".into(),
                    last_failover_test: Some(days_ago(400)),
                    ..RedundancyInput::default()
                },
            )
            .await
            .unwrap();
        store
            .set_redundancy(
                &admin(),
                standby,
                RedundancyInput {
                    backup_system_id: Some(core),
                    ..RedundancyInput::default()
                },
            )
            .await
            .unwrap();

        // B's officer can neither read A's record nor name A's system as their backup.
        let b_officer = Actor {
            scope: Scope::Units(vec![other]),
            ..admin()
        };
        assert!(store.get_redundancy(&b_officer.scope, core).await.is_err());
        let err = store
            .set_redundancy(
                &b_officer,
                foreign,
                RedundancyInput {
                    backup_system_id: Some(standby),
                    ..RedundancyInput::default()
                },
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("backup_system_id"), "{err}");
        assert!(store
            .set_redundancy(&b_officer, core, RedundancyInput::default())
            .await
            .is_err());

        let since = Timestamp::now() - jiff::SignedDuration::from_hours(24 * 30);
        let facts = store.directive_facts(&Scope::All, since).await.unwrap();
        let a = facts.iter().find(|f| f.unit_id == isp).unwrap();
        assert_eq!(
            (a.systems, a.systems_with_backup, a.backups_tested),
            (3, 3, 1)
        );
        assert!(!a.isp_redundancy_met());
        let b = facts.iter().find(|f| f.unit_id == other).unwrap();
        assert_eq!((b.systems_with_backup, b.backups_tested), (0, 0));

        // Deleting the standby system keeps the core's record, without the link.
        store.delete_system(&admin(), standby).await.unwrap();
        let kept = store
            .get_redundancy(&Scope::All, core)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.backup_system_id, None);
        assert_eq!(kept.backup_description, "Trạm dự phòng Đà Nẵng");
    }
}
