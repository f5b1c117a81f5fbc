//! Imports and matching against fixtures we wrote in the real formats.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;

use canhgac_model::scan::category;
use canhgac_model::Severity;
use canhgac_vulndb::{to_issue, ProductRef, Source, VulnDb, VulnDbError, VulnMatch};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

async fn fresh() -> (tempfile::TempDir, VulnDb) {
    let dir = tempfile::tempdir().unwrap();
    let db = VulnDb::open(dir.path().join("vulndb.sqlite"))
        .await
        .unwrap();
    (dir, db)
}

async fn loaded() -> (tempfile::TempDir, VulnDb) {
    let (dir, db) = fresh().await;
    db.import(Source::Kev, fixture("kev-sample.json"))
        .await
        .unwrap();
    db.import(Source::Nvd, fixture("nvd-sample.json"))
        .await
        .unwrap();
    db.import(Source::Osv, fixture("osv")).await.unwrap();
    (dir, db)
}

fn product(vendor: Option<&str>, name: &str, version: &str) -> ProductRef {
    ProductRef {
        vendor: vendor.map(str::to_owned),
        product: name.to_owned(),
        version: version.to_owned(),
        cpe: None,
    }
}

fn by_cpe(cpe: &str) -> ProductRef {
    ProductRef {
        cpe: Some(cpe.to_owned()),
        ..ProductRef::default()
    }
}

fn ids(found: &[VulnMatch]) -> Vec<&str> {
    found.iter().map(|m| m.cve.as_str()).collect()
}

async fn apache(db: &VulnDb, version: &str) -> Vec<String> {
    let found = db
        .matches(&product(Some("Apache"), "HTTP Server", version))
        .await
        .unwrap();
    found.into_iter().map(|m| m.cve).collect()
}

#[tokio::test]
async fn matches_are_ranked_known_exploited_first_then_by_cvss() {
    let (_dir, db) = loaded().await;
    let found = db
        .matches(&product(Some("apache"), "http_server", "2.4.49"))
        .await
        .unwrap();
    assert_eq!(
        ids(&found),
        ["CVE-2021-42013", "CVE-2021-41773", "CVE-2024-90001"]
    );
    let first = &found[0];
    assert!(first.known_exploited);
    assert_eq!(first.cvss, Some(9.8));
    assert_eq!(first.severity, Severity::Critical);
    assert_eq!(first.kev_due_date.as_deref(), Some("2021-11-17"));
    assert_eq!(
        first.kev_required_action.as_deref(),
        Some("Apply updates per vendor instructions.")
    );
    assert!(first.known_ransomware);
    assert!(!found[1].known_ransomware);
    let last = &found[2];
    assert!(!last.known_exploited);
    assert_eq!(last.fixed_in.as_deref(), Some("2.4.52"));
    assert_eq!(last.severity, Severity::Medium);
    assert!(last.matched_by.contains(">= 2.4.0"), "{}", last.matched_by);
    assert_eq!(
        last.summary,
        "Fixture: flaw from 2.4.0 up to (excluding) 2.4.52."
    );
}

#[tokio::test]
async fn range_ends_are_included_or_excluded_as_stated() {
    let (_dir, db) = loaded().await;
    // versionStartIncluding 2.4.0 / versionEndExcluding 2.4.52 (90001);
    // versionStartExcluding 2.4.49 / versionEndIncluding 2.4.55 (90002).
    assert_eq!(apache(&db, "2.3.99").await, Vec::<String>::new());
    assert_eq!(apache(&db, "2.4.0").await, ["CVE-2024-90001"]);
    assert_eq!(
        apache(&db, "2.4.50").await,
        ["CVE-2021-42013", "CVE-2024-90002", "CVE-2024-90001"]
    );
    assert_eq!(
        apache(&db, "2.4.51").await,
        ["CVE-2024-90002", "CVE-2024-90001"]
    );
    assert_eq!(apache(&db, "2.4.52").await, ["CVE-2024-90002"]);
    assert_eq!(apache(&db, "2.4.55").await, ["CVE-2024-90002"]);
    assert_eq!(apache(&db, "2.4.56").await, Vec::<String>::new());
    // Without a version only "every version" criteria could match; the fixture has none.
    assert_eq!(apache(&db, "").await, Vec::<String>::new());
}

#[tokio::test]
async fn vendor_is_optional_but_must_agree_when_given() {
    let (_dir, db) = loaded().await;
    let any_vendor = db
        .matches(&product(None, "http_server", "2.4.49"))
        .await
        .unwrap();
    assert_eq!(any_vendor.len(), 3);
    let wrong_vendor = db
        .matches(&product(Some("nginx"), "http_server", "2.4.49"))
        .await
        .unwrap();
    assert!(wrong_vendor.is_empty());
}

#[tokio::test]
async fn a_platform_criteria_never_matches_by_itself() {
    let (_dir, db) = loaded().await;
    let hardware = db
        .matches(&by_cpe("cpe:2.3:h:acme:router_x100:-:*:*:*:*:*:*:*"))
        .await
        .unwrap();
    assert!(hardware.is_empty(), "{hardware:?}");
    let firmware = db
        .matches(&by_cpe("cpe:/o:acme:router_os:3.1.9"))
        .await
        .unwrap();
    assert_eq!(ids(&firmware), ["CVE-2024-90003"]);
    assert_eq!(firmware[0].fixed_in.as_deref(), Some("3.2"));
    let fixed = db
        .matches(&by_cpe("cpe:/o:acme:router_os:3.2"))
        .await
        .unwrap();
    assert!(fixed.is_empty());
}

#[tokio::test]
async fn negated_nodes_do_not_match() {
    let (_dir, db) = loaded().await;
    let found = db
        .matches(&product(Some("acme"), "negated_tool", "1.0"))
        .await
        .unwrap();
    assert!(found.is_empty());
}

#[tokio::test]
async fn exact_versions_compare_the_update_only_when_the_product_states_one() {
    let (_dir, db) = loaded().await;
    let p30 = db
        .matches(&by_cpe(
            "cpe:2.3:a:zimbra:collaboration:8.8.15:p30:*:*:*:*:*:*",
        ))
        .await
        .unwrap();
    assert_eq!(ids(&p30), ["CVE-2024-90005"]);
    let p31 = db
        .matches(&by_cpe(
            "cpe:2.3:a:zimbra:collaboration:8.8.15:p31:*:*:*:*:*:*",
        ))
        .await
        .unwrap();
    assert!(p31.is_empty());
    let unknown_patch = db
        .matches(&by_cpe("cpe:/a:zimbra:collaboration:8.8.15"))
        .await
        .unwrap();
    assert_eq!(ids(&unknown_patch), ["CVE-2024-90005"]);
    // A build number is a different version from 8.8.15 itself.
    let build = db
        .matches(&product(Some("zimbra"), "collaboration", "8.8.15_GA_4179"))
        .await
        .unwrap();
    assert!(build.is_empty());
    // Trailing zeros do not make a different version.
    let padded = db
        .matches(&product(Some("zimbra"), "collaboration", "8.8.15.0"))
        .await
        .unwrap();
    assert_eq!(ids(&padded), ["CVE-2024-90005"]);
}

#[tokio::test]
async fn cpe_parts_and_long_build_numbers_are_respected() {
    let (_dir, db) = loaded().await;
    let old = db
        .matches(&by_cpe("cpe:/o:microsoft:windows_server_2019:10.0.17763.1"))
        .await
        .unwrap();
    assert_eq!(ids(&old), ["CVE-2024-90006"]);
    assert_eq!(old[0].fixed_in.as_deref(), Some("10.0.17763.5830"));
    let patched = db
        .matches(&by_cpe(
            "cpe:/o:microsoft:windows_server_2019:10.0.17763.5830",
        ))
        .await
        .unwrap();
    assert!(patched.is_empty());
    let wrong_part = db
        .matches(&by_cpe(
            "cpe:2.3:a:microsoft:windows_server_2019:10.0.17763.1:*:*:*:*:*:*:*",
        ))
        .await
        .unwrap();
    assert!(wrong_part.is_empty());
}

#[tokio::test]
async fn pre_releases_sort_before_the_release_and_cvss4_is_used_alone() {
    let (_dir, db) = loaded().await;
    let rc = db
        .matches(&product(Some("acme"), "portal", "1.6.0-rc"))
        .await
        .unwrap();
    assert_eq!(ids(&rc), ["CVE-2024-90004"]);
    assert_eq!(rc[0].cvss, Some(8.7));
    assert_eq!(rc[0].severity, Severity::High);
    assert!(rc[0]
        .cvss_vector
        .as_deref()
        .unwrap()
        .starts_with("CVSS:4.0/"));
    let release = db
        .matches(&product(Some("acme"), "portal", "1.6.0"))
        .await
        .unwrap();
    assert!(release.is_empty());
}

#[tokio::test]
async fn escaped_cpe_names_match_plain_product_names() {
    let (_dir, db) = loaded().await;
    let found = db
        .matches(&product(Some("Microsoft"), ".NET Framework", "4.8"))
        .await
        .unwrap();
    assert_eq!(ids(&found), ["CVE-2024-90008"]);
}

#[tokio::test]
async fn a_malformed_cpe_is_an_error_not_an_empty_answer() {
    let (_dir, db) = loaded().await;
    let error = db.matches(&by_cpe("cpe:2.3:z:acme")).await.unwrap_err();
    assert!(matches!(error, VulnDbError::Cpe(_)), "{error}");
}

#[tokio::test]
async fn a_broken_nvd_file_is_named_and_changes_nothing() {
    let (_dir, db) = loaded().await;
    let before = db.stats().await.unwrap();
    let error = db
        .import(Source::Nvd, fixture("nvd-broken.json"))
        .await
        .unwrap_err();
    match &error {
        VulnDbError::Malformed {
            path, line, column, ..
        } => {
            assert!(path.ends_with("nvd-broken.json"), "{path}");
            assert_eq!(*line, 118);
            assert!(*column > 20, "column {column}");
        }
        other => panic!("unexpected error {other}"),
    }
    let message = error.to_string();
    assert!(message.contains("line 118"), "{message}");
    let after = db.stats().await.unwrap();
    assert_eq!(after.cves, before.cves);
    assert_eq!(after.cpe_matches, before.cpe_matches);
    assert_eq!(after.last_imports, before.last_imports);
    // The first record of the broken file (a newer CVE-2024-90001) was not written.
    assert_eq!(apache(&db, "2.4.53").await, ["CVE-2024-90002"]);
}

#[tokio::test]
async fn a_bad_value_in_a_kev_file_is_named_with_its_position() {
    let (_dir, db) = fresh().await;
    let error = db
        .import(Source::Kev, fixture("kev-broken.json"))
        .await
        .unwrap_err();
    match &error {
        VulnDbError::Malformed {
            path,
            line,
            message,
            format,
            ..
        } => {
            assert!(path.ends_with("kev-broken.json"));
            assert_eq!(*format, "CISA KEV");
            assert_eq!(*line, 18);
            assert!(message.contains("CVE-23-1"), "{message}");
        }
        other => panic!("unexpected error {other}"),
    }
    let stats = db.stats().await.unwrap();
    assert_eq!(
        stats.kev_entries, 0,
        "the valid entry before the bad one was not kept"
    );
    assert!(stats.last_imports.is_empty());
}

#[tokio::test]
async fn reimporting_keeps_the_newer_record() {
    let (_dir, db) = loaded().await;
    let before = db.stats().await.unwrap();
    let report = db
        .import(Source::Nvd, fixture("nvd-update.json"))
        .await
        .unwrap();
    assert_eq!((report.records, report.written, report.skipped), (3, 2, 1));
    // CVE-2024-90001 was widened to < 2.4.54 by the newer record.
    assert_eq!(
        apache(&db, "2.4.53").await,
        ["CVE-2024-90002", "CVE-2024-90001"]
    );
    let found = db
        .matches(&product(None, "http_server", "2.4.53"))
        .await
        .unwrap();
    assert_eq!(found[1].fixed_in.as_deref(), Some("2.4.54"));
    // The stale CVE-2024-90002 was ignored: it would match 1.9 and no longer 2.4.50.
    assert_eq!(apache(&db, "1.9").await, Vec::<String>::new());
    assert!(apache(&db, "2.4.50")
        .await
        .contains(&"CVE-2024-90002".to_owned()));

    // The same file again changes nothing and leaves no duplicate criteria.
    let again = db
        .import(Source::Nvd, fixture("nvd-sample.json"))
        .await
        .unwrap();
    assert_eq!((again.records, again.written, again.skipped), (10, 0, 10));
    let after = db.stats().await.unwrap();
    assert_eq!(after.cves, before.cves + 1);
    assert_eq!(after.cpe_matches, before.cpe_matches + 1);

    let kev_again = db
        .import(Source::Kev, fixture("kev-sample.json"))
        .await
        .unwrap();
    assert_eq!(
        kev_again.written, 3,
        "a catalogue as new as the stored one is re-applied"
    );
    assert_eq!(db.stats().await.unwrap().kev_entries, 3);
}

#[tokio::test]
async fn gzip_compressed_nvd_files_import() {
    let (dir, db) = fresh().await;
    let gz = dir.path().join("nvdcve-2.0-fixture.json.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    encoder
        .write_all(&std::fs::read(fixture("nvd-sample.json")).unwrap())
        .unwrap();
    encoder.finish().unwrap();
    let report = db.import(Source::Nvd, &gz).await.unwrap();
    assert_eq!(report.records, 10);
    assert_eq!(report.sha256.len(), 64);
    assert_eq!(apache(&db, "2.4.49").await.len(), 3);
}

#[tokio::test]
async fn osv_semver_and_ecosystem_ranges_match() {
    let (_dir, db) = loaded().await;
    let pypi = |version: &'static str| {
        let db = db.clone();
        async move {
            db.matches_package("PyPI", "acmeweb", version)
                .await
                .unwrap()
        }
    };
    let hit = pypi("2.1.2").await;
    assert_eq!(ids(&hit), ["CVE-2024-90010"]);
    assert_eq!(
        hit[0].cvss,
        Some(9.8),
        "scored from the record's CVSS vector"
    );
    assert_eq!(hit[0].fixed_in.as_deref(), Some("2.1.3"));
    assert_eq!(
        hit[0].summary,
        "Fixture: template injection in acmeweb before 2.1.3"
    );
    assert_eq!(ids(&pypi("2.0.0rc1").await), ["CVE-2024-90010"]);
    assert!(pypi("2.1.3").await.is_empty());
    assert_eq!(
        ids(&db.matches_package("pypi", "acmeweb", "0.1").await.unwrap()),
        ["CVE-2024-90010"],
        "ecosystems compare without case"
    );

    let npm = |version: &'static str| {
        let db = db.clone();
        async move {
            db.matches_package("npm", "acme-parser", version)
                .await
                .unwrap()
        }
    };
    let hit = npm("1.4.1").await;
    assert_eq!(ids(&hit), ["CVE-2024-90011"]);
    assert!(
        hit[0].known_exploited,
        "its CVE alias is in the KEV fixture"
    );
    assert_eq!(hit[0].fixed_in.as_deref(), Some("1.4.2"));
    assert_eq!(
        hit[0].summary,
        "Fixture: prototype pollution in acme-parser."
    );
    assert!(npm("0.9.0").await.is_empty());
    assert!(npm("1.4.2").await.is_empty());
    assert!(npm("1.9.9").await.is_empty());
    assert_eq!(ids(&npm("2.0.0-rc.1").await), ["CVE-2024-90011"]);
    assert_eq!(ids(&npm("2.0.5").await), ["CVE-2024-90011"]);
    assert_eq!(npm("2.0.5").await[0].fixed_in, None);
    assert!(npm("2.0.6").await.is_empty());

    let go = db
        .matches_package("Go", "example.invalid/acme/kit", "0.9.1")
        .await
        .unwrap();
    assert_eq!(
        ids(&go),
        ["OSV-2099-3"],
        "no CVE alias: the OSV id stands in"
    );
    assert!(db
        .matches_package("Go", "example.invalid/acme/kit", "0.2.9")
        .await
        .unwrap()
        .is_empty());
    assert!(db
        .matches_package("OSS-Fuzz", "acme-codec", "1.0")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn osv_records_import_from_a_zip_archive() {
    let (dir, db) = fresh().await;
    let archive = dir.path().join("all.zip");
    let status = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(
            "import sys, zipfile, pathlib\n\
             with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
             \x20   for p in sorted(pathlib.Path(sys.argv[2]).glob('*.json')):\n\
             \x20       z.write(p, p.name)\n\
             \x20   z.writestr('README.txt', 'not a record')\n",
        )
        .arg(&archive)
        .arg(fixture("osv"))
        .status()
        .unwrap();
    assert!(status.success());
    let report = db.import(Source::Osv, &archive).await.unwrap();
    assert_eq!(report.records, 3);
    assert_eq!(db.stats().await.unwrap().osv_records, 3);
    let hit = db
        .matches_package("npm", "acme-parser", "1.0.0")
        .await
        .unwrap();
    assert_eq!(ids(&hit), ["CVE-2024-90011"]);
}

#[tokio::test]
async fn a_broken_osv_record_is_named() {
    let (_dir, db) = fresh().await;
    let error = db
        .import(Source::Osv, fixture("osv-broken.json"))
        .await
        .unwrap_err();
    match error {
        VulnDbError::Malformed { path, line, .. } => {
            assert!(path.ends_with("osv-broken.json"));
            assert_eq!(line, 7);
        }
        other => panic!("unexpected error {other}"),
    }
    assert_eq!(db.stats().await.unwrap().osv_records, 0);
}

#[tokio::test]
async fn stats_count_records_and_the_last_import_of_each_source() {
    let (_dir, db) = loaded().await;
    db.import(Source::Nvd, fixture("nvd-update.json"))
        .await
        .unwrap();
    let stats = db.stats().await.unwrap();
    assert_eq!(stats.cves, 11);
    assert_eq!(stats.kev_entries, 3);
    assert_eq!(stats.osv_records, 3);
    assert!(stats.cpe_matches >= 13);
    let sources: Vec<Source> = stats.last_imports.iter().map(|l| l.report.source).collect();
    assert_eq!(sources, [Source::Kev, Source::Nvd, Source::Osv]);
    let nvd = &stats.last_imports[1];
    assert!(nvd.report.file.ends_with("nvd-update.json"));
    assert_eq!(nvd.report.records, 3);
    assert!(nvd.imported_at.parse::<jiff::Timestamp>().is_ok());
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["last_imports"][0]["report"]["source"], "kev");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_imports_wait_for_each_other() {
    let (dir, db) = fresh().await;
    // A second handle on the same file stands for another process (its own pool and lock).
    let other = VulnDb::open(dir.path().join("vulndb.sqlite"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for round in 0..4 {
        let (db_nvd, db_osv, db_kev) = (db.clone(), other.clone(), db.clone());
        let update = if round % 2 == 0 {
            "nvd-sample.json"
        } else {
            "nvd-update.json"
        };
        tasks.push(tokio::spawn(async move {
            db_nvd.import(Source::Nvd, fixture(update)).await
        }));
        tasks.push(tokio::spawn(async move {
            db_osv.import(Source::Osv, fixture("osv")).await
        }));
        tasks.push(tokio::spawn(async move {
            db_kev.import(Source::Kev, fixture("kev-sample.json")).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = db.stats().await.unwrap();
    assert_eq!(
        (stats.cves, stats.osv_records, stats.kev_entries),
        (11, 3, 3)
    );
    // Whatever the order, the newer CVE-2024-90001 won.
    assert_eq!(
        apache(&db, "2.4.53").await,
        ["CVE-2024-90002", "CVE-2024-90001"]
    );
}

#[tokio::test]
async fn the_database_survives_being_closed_and_reopened() {
    let (dir, db) = loaded().await;
    db.close().await;
    let path = dir.path().join("copy.sqlite");
    std::fs::copy(dir.path().join("vulndb.sqlite"), &path).unwrap();
    let copy = VulnDb::open(&path).await.unwrap();
    assert_eq!(copy.stats().await.unwrap().cves, 10);
    assert_eq!(apache(&copy, "2.4.49").await.len(), 3);
}

#[tokio::test]
async fn an_issue_says_what_to_update_to_in_both_languages() {
    let (_dir, db) = loaded().await;
    let apache = ProductRef {
        vendor: Some("apache".into()),
        product: "Apache HTTP Server".into(),
        version: "2.4.49".into(),
        cpe: Some("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*".into()),
    };
    let found = db.matches(&apache).await.unwrap();
    assert_eq!(found.len(), 3);

    let kev = to_issue(&found[0], "portal.example.gov.vn", Some(443), &apache);
    assert_eq!(kev.check, "cve:CVE-2021-42013");
    assert_eq!(kev.category, category::VULNERABILITY);
    assert_eq!(kev.severity, Severity::Critical);
    assert!(kev.known_exploited);
    assert_eq!(kev.cves, ["CVE-2021-42013"]);
    assert_eq!(kev.cvss, Some(9.8));
    assert_eq!(kev.subject, "portal.example.gov.vn:443/tcp");
    assert_eq!(
        kev.title_vi,
        "Apache HTTP Server 2.4.49 có lỗ hổng CVE-2021-42013 (đang bị khai thác thực tế)"
    );
    assert!(kev.title_en.contains("known to be exploited"));
    assert!(kev.remediation_vi.contains("KEV"));
    assert!(kev.remediation_vi.contains("2021-11-17"));
    assert!(kev
        .remediation_en
        .contains("CISA KEV required action: Apply updates per vendor instructions."));

    let ranged = to_issue(&found[2], "portal.example.gov.vn", Some(443), &apache);
    assert_eq!(ranged.severity, Severity::Medium);
    assert!(!ranged.known_exploited);
    assert_eq!(
        ranged.remediation_vi,
        "Cập nhật Apache HTTP Server lên phiên bản 2.4.52 hoặc mới hơn."
    );
    assert_eq!(
        ranged.remediation_en,
        "Update Apache HTTP Server to 2.4.52 or later."
    );
    assert_eq!(ranged.evidence.details["fixed_in"], "2.4.52");
    assert_eq!(
        ranged.into_draft(jiff::Timestamp::UNIX_EPOCH).title,
        "Apache HTTP Server 2.4.49 có lỗ hổng CVE-2024-90001"
    );

    // A product known only by its CPE is named by it.
    let cpe_only = by_cpe("cpe:/a:apache:http_server:2.4.49");
    let named = to_issue(&found[2], "10.0.0.5", Some(80), &cpe_only);
    assert_eq!(
        named.title_en,
        "http_server 2.4.49 is affected by CVE-2024-90001"
    );
    assert_eq!(named.subject, "10.0.0.5:80/tcp");

    // Known exploitation lifts a low score to at least high.
    let low_but_exploited = VulnMatch {
        cvss: Some(3.1),
        severity: Severity::Low,
        known_exploited: true,
        fixed_in: None,
        ..found[0].clone()
    };
    let issue = to_issue(&low_but_exploited, "mail.example.gov.vn", None, &apache);
    assert_eq!(issue.severity, Severity::High);
    assert_eq!(issue.subject, "mail.example.gov.vn");
    assert!(issue
        .remediation_en
        .starts_with("Update Apache HTTP Server to the latest version that fixes CVE-2021-42013"));
}
