//! Findings: merging, lifecycle, complete-run snapshots, host attribution and scope, on every
//! backend `test_stores()` gives.
#![allow(clippy::unwrap_used)]

use canhgac_model::{
    Actor, AssetInput, AssetKind, AuditFilter, FindingBatch, FindingDraft, FindingFilter,
    FindingSnapshot, FindingSource, FindingStatus, Id, PageRequest, Scope, Severity, SystemInput,
    SystemKind, Timestamp, UnitInput, UnitKind,
};
use canhgac_store::testing::test_stores;
use canhgac_store::{Store, StoreError};

fn officer(units: Vec<Id>) -> Actor {
    Actor {
        user_id: None,
        name: "officer".into(),
        scope: Scope::Units(units),
    }
}

fn admin() -> Actor {
    Actor::system("t")
}

fn all() -> PageRequest {
    PageRequest::new(1, 100)
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

struct Fixture {
    unit_a: Id,
    unit_b: Id,
    system_a: Id,
    asset_a: Id,
}

/// Two root units; unit A owns a web server at 10.1.0.5 inside its network 10.1.0.0/24 and the
/// domain a.gov.vn, unit B owns 10.2.0.0/16.
async fn fixture(store: &dyn Store) -> Fixture {
    let unit_a = store
        .create_unit(&admin(), UnitInput::new("Sở A", UnitKind::Department, None))
        .await
        .unwrap()
        .id;
    let unit_b = store
        .create_unit(&admin(), UnitInput::new("Sở B", UnitKind::Department, None))
        .await
        .unwrap()
        .id;
    let system_a = store
        .create_system(
            &admin(),
            SystemInput::new("Cổng A", SystemKind::Portal, unit_a),
        )
        .await
        .unwrap()
        .id;
    let system_b = store
        .create_system(
            &admin(),
            SystemInput::new("Mạng B", SystemKind::Network, unit_b),
        )
        .await
        .unwrap()
        .id;
    let mut asset_a = 0;
    for (system, kind, value) in [
        (system_a, AssetKind::Cidr, "10.1.0.0/24"),
        (system_a, AssetKind::Ip, "10.1.0.5"),
        (system_a, AssetKind::Domain, "a.gov.vn"),
        (system_b, AssetKind::Cidr, "10.2.0.0/16"),
    ] {
        let mut input = AssetInput::new(kind, value);
        input.system_id = system;
        let id = store.create_asset(&admin(), input).await.unwrap().id;
        if value == "10.1.0.5" {
            asset_a = id;
        }
    }
    Fixture {
        unit_a,
        unit_b,
        system_a,
        asset_a,
    }
}

fn shell(path: &str, host: &str, observed: &str) -> FindingDraft {
    FindingDraft {
        source: FindingSource::Malware,
        key: format!("yara:php_shell:{host}:{path}"),
        category: "webshell".into(),
        title: "Web shell PHP".into(),
        severity: Severity::Critical,
        unit_id: None,
        system_id: None,
        asset_id: None,
        host: Some(host.into()),
        subject: path.into(),
        evidence: serde_json::json!({"rule": "php_shell"}),
        remediation: Some("Xoá tệp, tìm lối vào".into()),
        observed_at: at(observed),
    }
}

fn run(findings: Vec<FindingDraft>, prefix: &str, unit: Id) -> FindingBatch {
    FindingBatch {
        findings,
        snapshot: Some(FindingSnapshot {
            source: FindingSource::Malware,
            categories: vec!["webshell".into()],
            unit_ids: vec![Some(unit)],
            subject_prefix: Some(prefix.into()),
            hosts: Vec::new(),
        }),
    }
}

#[tokio::test]
async fn findings_merge_fix_reopen_and_keep_accepted_ones() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let a = officer(vec![f.unit_a]);

        // First run: two shells on 10.1.0.5, attributed to unit A's most specific asset.
        let first = run(
            vec![
                shell("/var/www/up/x.php", "10.1.0.5", "2026-11-20T01:00:00Z"),
                shell("/var/www/up/y.php", "10.1.0.5", "2026-11-20T01:00:00Z"),
            ],
            "/var/www",
            f.unit_a,
        );
        let outcome = store.record_findings(&a, &first).await.unwrap();
        assert_eq!(
            (outcome.created, outcome.updated, outcome.fixed),
            (2, 0, 0),
            "{}",
            t.name
        );
        let page = store
            .list_findings(&Scope::All, &FindingFilter::default(), &all())
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        let x = page
            .items
            .iter()
            .find(|f| f.subject.ends_with("x.php"))
            .unwrap()
            .clone();
        assert_eq!(x.unit_id, Some(f.unit_a));
        assert_eq!(x.system_id, Some(f.system_a));
        assert_eq!(
            x.asset_id,
            Some(f.asset_a),
            "the address wins over the network"
        );
        assert_eq!(x.status, FindingStatus::Open);
        assert_eq!(x.sightings, 1);

        // y.php is accepted with a reason; a reason is required.
        let y = page
            .items
            .iter()
            .find(|f| f.subject.ends_with("y.php"))
            .unwrap()
            .clone();
        let err = store
            .set_finding_status(&a, y.id, FindingStatus::Accepted, Some("  ".into()), None)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        store
            .set_finding_status(
                &a,
                y.id,
                FindingStatus::Accepted,
                Some("tệp mẫu của nhà cung cấp".into()),
                None,
            )
            .await
            .unwrap();

        // Second run finds only y.php: x.php is fixed by the snapshot, y.php stays accepted.
        let second = run(
            vec![shell(
                "/var/www/up/y.php",
                "10.1.0.5",
                "2026-11-21T01:00:00Z",
            )],
            "/var/www",
            f.unit_a,
        );
        let outcome = store.record_findings(&a, &second).await.unwrap();
        assert_eq!((outcome.created, outcome.updated, outcome.fixed), (0, 1, 1));
        let x2 = store.get_finding(&Scope::All, x.id).await.unwrap();
        assert_eq!(x2.status, FindingStatus::Fixed);
        assert!(x2.status_reason.unwrap().contains("Không còn phát hiện"));
        let y2 = store.get_finding(&Scope::All, y.id).await.unwrap();
        assert_eq!(y2.status, FindingStatus::Accepted);
        assert_eq!(y2.sightings, 2);
        assert_eq!(y2.last_seen, at("2026-11-21T01:00:00Z"));

        // A run over another directory does not fix findings outside its prefix.
        let other = run(Vec::new(), "/srv/other", f.unit_a);
        assert_eq!(store.record_findings(&a, &other).await.unwrap().fixed, 0);

        // x.php is back: reopened, not a new finding.
        let third = run(
            vec![shell(
                "/var/www/up/x.php",
                "10.1.0.5",
                "2026-11-22T01:00:00Z",
            )],
            "/var/www",
            f.unit_a,
        );
        let outcome = store.record_findings(&a, &third).await.unwrap();
        assert_eq!((outcome.created, outcome.reopened), (0, 1));
        let x3 = store.get_finding(&Scope::All, x.id).await.unwrap();
        assert_eq!(x3.status, FindingStatus::Reopened);
        assert_eq!(x3.first_seen, at("2026-11-20T01:00:00Z"));
        assert_eq!(x3.status_reason, None);

        // Counts for the hygiene view.
        let counts = store
            .finding_counts(&a.scope, Some(FindingSource::Malware))
            .await
            .unwrap();
        let total: i64 = counts.iter().map(|c| c.count).sum();
        assert_eq!(total, 2);
        assert!(counts
            .iter()
            .any(|c| c.status == FindingStatus::Accepted && c.unit_id == Some(f.unit_a)));

        // Filters.
        let filter = FindingFilter {
            statuses: vec![FindingStatus::Reopened],
            q: Some("x.php".into()),
            ..Default::default()
        };
        assert_eq!(
            store
                .list_findings(&a.scope, &filter, &all())
                .await
                .unwrap()
                .total,
            1
        );

        // Batches and status changes are audited.
        let audit = store
            .list_audit(&AuditFilter::default(), &PageRequest::new(1, 200))
            .await
            .unwrap();
        assert!(audit
            .items
            .iter()
            .any(|e| e.entity == "findings" && e.action == "record"));
        assert!(audit
            .items
            .iter()
            .any(|e| e.entity == "finding" && e.entity_id == Some(y.id)));
    }
}

#[tokio::test]
async fn findings_stay_in_their_units() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let a = officer(vec![f.unit_a]);
        let b = officer(vec![f.unit_b]);

        // B's officer cannot report a finding on A's host, nor name A's unit, nor report an
        // unknown host (it would be visible to no unit of theirs); nothing is written.
        let on_a = FindingBatch {
            findings: vec![shell("/x.php", "a.gov.vn", "2026-11-20T01:00:00Z")],
            snapshot: None,
        };
        assert!(
            matches!(
                store.record_findings(&b, &on_a).await.unwrap_err(),
                StoreError::OutOfScope(_)
            ),
            "{}",
            t.name
        );
        let mut named = shell("/x.php", "10.2.3.4", "2026-11-20T01:00:00Z");
        named.unit_id = Some(f.unit_a);
        let mixed = FindingBatch {
            findings: vec![shell("/ok.php", "10.2.3.4", "2026-11-20T01:00:00Z"), named],
            snapshot: None,
        };
        assert!(matches!(
            store.record_findings(&b, &mixed).await.unwrap_err(),
            StoreError::OutOfScope(_)
        ));
        let unknown = FindingBatch {
            findings: vec![shell("/x.php", "192.0.2.1", "2026-11-20T01:00:00Z")],
            snapshot: None,
        };
        assert!(store.record_findings(&b, &unknown).await.is_err());
        assert_eq!(
            store
                .list_findings(&Scope::All, &FindingFilter::default(), &all())
                .await
                .unwrap()
                .total,
            0,
            "an all-or-nothing batch wrote nothing"
        );

        // B's own host is fine; the administrator may record an unattributed one.
        let own = FindingBatch {
            findings: vec![shell("/ok.php", "10.2.3.4", "2026-11-20T01:00:00Z")],
            snapshot: None,
        };
        store.record_findings(&b, &own).await.unwrap();
        store.record_findings(&admin(), &unknown).await.unwrap();

        // Each sees their own: B one, A none, everything for the administrator; an unattributed
        // finding is not visible to a unit officer, even by id.
        let list = |scope: Scope| async move {
            store
                .list_findings(&scope, &FindingFilter::default(), &all())
                .await
                .unwrap()
        };
        assert_eq!(list(b.scope.clone()).await.total, 1);
        assert_eq!(list(a.scope.clone()).await.total, 0);
        let everything = list(Scope::All).await;
        assert_eq!(everything.total, 2);
        let orphan = everything
            .items
            .iter()
            .find(|f| f.unit_id.is_none())
            .unwrap();
        assert!(matches!(
            store.get_finding(&b.scope, orphan.id).await.unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(store
            .set_finding_status(&a, orphan.id, FindingStatus::Fixed, None, None)
            .await
            .is_err());

        // A snapshot naming another unit is refused.
        let sweep = run(Vec::new(), "/", f.unit_a);
        assert!(matches!(
            store.record_findings(&b, &sweep).await.unwrap_err(),
            StoreError::OutOfScope(_)
        ));

        // Bad drafts name the item and field.
        let mut bad = shell("/x.php", "10.2.3.4", "2026-11-20T01:00:00Z");
        bad.title = " ".into();
        let batch = FindingBatch {
            findings: vec![shell("/ok.php", "10.2.3.4", "2026-11-20T01:00:00Z"), bad],
            snapshot: None,
        };
        let err = store
            .record_findings(&b, &batch)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("findings[1].title"), "{err}");
    }
}

#[tokio::test]
async fn email_directory_holds_mail_domains_and_contacts_in_scope() {
    use canhgac_model::ContactInput;
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        // Unit A's mail system serves a.gov.vn (the portal's domain asset is not a mail domain);
        // unit B has a contact with an address.
        let mail = store
            .create_system(
                &admin(),
                SystemInput::new("Thư A", SystemKind::Email, f.unit_a),
            )
            .await
            .unwrap();
        let mut domain = AssetInput::new(AssetKind::Domain, "*.Mail-A.gov.vn");
        domain.system_id = mail.id;
        store.create_asset(&admin(), domain).await.unwrap();
        let contact = ContactInput {
            unit_id: f.unit_b,
            name: "Trần Văn Bình".into(),
            position: None,
            responsibility: None,
            phone: None,
            email: Some("Binh@B.gov.vn".into()),
        };
        store.create_contact(&admin(), contact).await.unwrap();

        let all = store.email_directory(&Scope::All).await.unwrap();
        assert_eq!(
            all.domains,
            vec![("mail-a.gov.vn".to_string(), f.unit_a)],
            "{}",
            t.name
        );
        assert_eq!(all.addresses, vec![("binh@b.gov.vn".to_string(), f.unit_b)]);
        let only_a = store
            .email_directory(&officer(vec![f.unit_a]).scope)
            .await
            .unwrap();
        assert_eq!(only_a.domains.len(), 1);
        assert!(only_a.addresses.is_empty());
    }
}

fn scan_issue(host: &str, check: &str, observed: &str) -> FindingDraft {
    FindingDraft {
        source: FindingSource::Scan,
        key: format!("{check}|https://{host}/"),
        category: "http_hardening".into(),
        title: "Thiếu HSTS".into(),
        severity: Severity::Medium,
        unit_id: None,
        system_id: None,
        asset_id: None,
        host: Some(host.into()),
        subject: format!("https://{host}/"),
        evidence: serde_json::json!({}),
        remediation: None,
        observed_at: at(observed),
    }
}

#[tokio::test]
async fn a_scan_snapshot_over_hosts_fixes_only_what_those_hosts_no_longer_show() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let a = officer(vec![f.unit_a]);
        let b = officer(vec![f.unit_b]);
        let snapshot = |hosts: &[&str]| {
            Some(FindingSnapshot {
                source: FindingSource::Scan,
                categories: vec!["http_hardening".into()],
                unit_ids: Vec::new(),
                subject_prefix: None,
                hosts: hosts.iter().map(|h| h.to_string()).collect(),
            })
        };
        let first = FindingBatch {
            findings: vec![
                scan_issue(
                    "portal.a.gov.vn",
                    "http.header.hsts",
                    "2026-11-20T01:00:00Z",
                ),
                scan_issue("portal.a.gov.vn", "http.header.csp", "2026-11-20T01:00:00Z"),
                scan_issue("mail.a.gov.vn", "http.header.hsts", "2026-11-20T01:00:00Z"),
            ],
            snapshot: snapshot(&["portal.a.gov.vn", "mail.a.gov.vn"]),
        };
        let outcome = store.record_findings(&a, &first).await.unwrap();
        assert_eq!(outcome.created, 3, "{}", t.name);

        // The portal is rescanned alone and HSTS is now set: only the portal's HSTS finding is
        // fixed; the mail host was not scanned and keeps its finding.
        let second = FindingBatch {
            findings: vec![scan_issue(
                "portal.a.gov.vn",
                "http.header.csp",
                "2026-11-21T01:00:00Z",
            )],
            snapshot: snapshot(&["Portal.A.gov.vn."]),
        };
        let outcome = store.record_findings(&a, &second).await.unwrap();
        assert_eq!((outcome.updated, outcome.fixed), (1, 1), "{}", t.name);
        let open: Vec<String> = store
            .list_findings(&a.scope, &FindingFilter::default(), &all())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|f| f.status.is_open())
            .map(|f| format!("{} {}", f.host.unwrap_or_default(), f.key))
            .collect();
        assert_eq!(open.len(), 2, "{}: {open:?}", t.name);
        assert!(open
            .iter()
            .all(|k| !k.starts_with("portal.a.gov.vn http.header.hsts")));

        // B's officer cannot close A's findings by claiming to have scanned A's host.
        let sneaky = FindingBatch {
            findings: Vec::new(),
            snapshot: snapshot(&["mail.a.gov.vn"]),
        };
        assert!(
            matches!(
                store.record_findings(&b, &sneaky).await.unwrap_err(),
                StoreError::OutOfScope(_)
            ),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn an_accepted_risk_expires_and_the_next_run_reopens_it() {
    for t in test_stores().await {
        let store = &*t.store;
        let f = fixture(store).await;
        let a = officer(vec![f.unit_a]);
        let batch = |observed: &str| FindingBatch {
            findings: vec![scan_issue("portal.a.gov.vn", "http.header.hsts", observed)],
            snapshot: None,
        };
        store
            .record_findings(&a, &batch("2026-11-20T01:00:00Z"))
            .await
            .unwrap();
        let id = store
            .list_findings(&a.scope, &FindingFilter::default(), &all())
            .await
            .unwrap()
            .items[0]
            .id;

        // An expiry needs an accepting decision, and a future date.
        let soon = Timestamp::now() + std::time::Duration::from_secs(2);
        for (status, until) in [
            (FindingStatus::Fixed, Some(soon)),
            (FindingStatus::Accepted, Some(at("2020-01-01T00:00:00Z"))),
        ] {
            let err = store
                .set_finding_status(&a, id, status, Some("lý do".into()), until)
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::Invalid(_)), "{}: {err}", t.name);
        }
        let accepted = store
            .set_finding_status(
                &a,
                id,
                FindingStatus::Accepted,
                Some("máy chủ nội bộ".into()),
                Some(soon),
            )
            .await
            .unwrap();
        assert_eq!(accepted.status_until, Some(soon));

        // Seen again before the date: still accepted.
        let outcome = store
            .record_findings(&a, &batch("2026-11-21T01:00:00Z"))
            .await
            .unwrap();
        assert_eq!((outcome.updated, outcome.reopened), (1, 0), "{}", t.name);

        // Seen again after it: reopened, with the reason saying why, and raised again.
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let outcome = store
            .record_findings(&a, &batch("2026-11-22T01:00:00Z"))
            .await
            .unwrap();
        assert_eq!(
            (outcome.reopened, outcome.raised.clone()),
            (1, vec![id]),
            "{}",
            t.name
        );
        let finding = store.get_finding(&a.scope, id).await.unwrap();
        assert_eq!(finding.status, FindingStatus::Reopened);
        assert_eq!(finding.status_until, None);
        assert!(
            finding
                .status_reason
                .as_deref()
                .unwrap_or("")
                .starts_with("Hết hạn chấp nhận rủi ro ngày"),
            "{}: {:?}",
            t.name,
            finding.status_reason
        );
    }
}
