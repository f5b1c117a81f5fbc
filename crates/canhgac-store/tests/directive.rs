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
