//! The real CISA KEV catalogue (read in place from the shared corpora when present) and timed
//! figures: KEV import, a generated NVD file of realistic shape, matching per product.
//! Run with `--nocapture` to see the figures.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use canhgac_vulndb::{ProductRef, Source, VulnDb};

const KEV_CORPUS: &str = "/work/shared/corpora/kev/known_exploited_vulnerabilities.json";

#[tokio::test]
async fn the_real_kev_catalogue_imports_completely() {
    if !Path::new(KEV_CORPUS).exists() {
        eprintln!("skipped: {KEV_CORPUS} is not here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = VulnDb::open(dir.path().join("vulndb.sqlite"))
        .await
        .unwrap();
    let started = Instant::now();
    let report = db.import(Source::Kev, KEV_CORPUS).await.unwrap();
    let took = started.elapsed();
    assert_eq!(report.records, 1404);
    assert_eq!(report.written, 1404);
    let stats = db.stats().await.unwrap();
    assert_eq!(stats.kev_entries, 1404);
    eprintln!("figure: KEV corpus import (1,404 entries) {took:?}");

    let started = Instant::now();
    let again = db.import(Source::Kev, KEV_CORPUS).await.unwrap();
    eprintln!("figure: KEV corpus re-import {:?}", started.elapsed());
    assert_eq!(again.written, 1404);
    assert_eq!(db.stats().await.unwrap().kev_entries, 1404);
}

/// An NVD 2.0 file of `cves` records over `products` products, each record with a
/// vulnerable range, an exact version and a platform criteria, like real ones.
fn generated_nvd(cves: usize, products: usize) -> String {
    let mut out = String::from(r#"{"format":"NVD_CVE","version":"2.0","vulnerabilities":["#);
    for index in 0..cves {
        if index > 0 {
            out.push(',');
        }
        let product = index % products;
        let minor = index % 20;
        let score = 4.0 + (index % 60) as f64 / 10.0;
        write!(
            out,
            r#"{{"cve":{{"id":"CVE-2020-{id:05}","published":"2020-01-01T00:00:00.000",
            "lastModified":"2024-01-01T00:00:00.000",
            "descriptions":[{{"lang":"en","value":"Generated record {id}."}}],
            "metrics":{{"cvssMetricV31":[{{"type":"Primary","cvssData":{{"baseScore":{score:.1},
              "vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseSeverity":"HIGH"}}}}]}},
            "configurations":[{{"operator":"AND","nodes":[
              {{"operator":"OR","negate":false,"cpeMatch":[
                {{"vulnerable":true,"criteria":"cpe:2.3:a:vendor{product}:product{product}:*:*:*:*:*:*:*:*",
                  "versionStartIncluding":"1.{minor}.0","versionEndExcluding":"1.{minor}.9"}},
                {{"vulnerable":true,"criteria":"cpe:2.3:a:vendor{product}:product{product}:2.{minor}.1:*:*:*:*:*:*:*"}}]}},
              {{"operator":"OR","negate":false,"cpeMatch":[
                {{"vulnerable":false,"criteria":"cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*"}}]}}]}}]}}}}"#,
            id = index + 10000,
        )
        .unwrap();
    }
    out.push_str("]}");
    out
}

#[tokio::test]
async fn figures_for_a_generated_nvd_file_and_matching() {
    const CVES: usize = 20_000;
    const PRODUCTS: usize = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let db = VulnDb::open(dir.path().join("vulndb.sqlite"))
        .await
        .unwrap();
    let file = dir.path().join("nvdcve-2.0-generated.json");
    std::fs::write(&file, generated_nvd(CVES, PRODUCTS)).unwrap();

    let started = Instant::now();
    let report = db.import(Source::Nvd, &file).await.unwrap();
    let import = started.elapsed();
    assert_eq!(report.written, CVES as u64);
    let stats = db.stats().await.unwrap();
    assert_eq!(stats.cpe_matches, 3 * CVES as u64);
    eprintln!(
        "figure: NVD import of {CVES} generated CVEs ({} criteria) {import:?}",
        stats.cpe_matches
    );

    let lookups = 2_000;
    let mut total = 0;
    let started = Instant::now();
    for index in 0..lookups {
        let product = index % PRODUCTS;
        let found = db
            .matches(&ProductRef {
                vendor: Some(format!("vendor{product}")),
                product: format!("product{product}"),
                version: format!("1.{}.3", product % 20),
                cpe: None,
            })
            .await
            .unwrap();
        total += found.len();
    }
    let per_lookup = started.elapsed() / lookups as u32;
    // Each product has 10 records; its ranges 1.m.0..1.m.9 for m = product % 20 + 20k.
    assert_eq!(total, lookups * 10);
    eprintln!(
        "figure: matching per product {per_lookup:?} ({} matches each)",
        total / lookups
    );
}
