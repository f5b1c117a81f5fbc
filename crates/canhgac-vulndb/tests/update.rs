//! `update` against a real HTTP mirror on loopback (axum).

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::Router;
use canhgac_vulndb::{Manifest, ManifestFile, ProductRef, Source, VulnDb, VulnDbError};
use sha2::{Digest, Sha256};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

#[derive(Clone, Default)]
struct Mirror {
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Mirror {
    fn put(&self, path: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(path.to_owned(), bytes);
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

async fn serve_file(State(mirror): State<Mirror>, uri: Uri) -> (StatusCode, Vec<u8>) {
    let path = uri.path().to_owned();
    *mirror.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    match mirror.files.lock().unwrap().get(&path) {
        Some(bytes) => (StatusCode::OK, bytes.clone()),
        None => (StatusCode::NOT_FOUND, b"not found".to_vec()),
    }
}

async fn start(mirror: Mirror) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Router::new().fallback(serve_file).with_state(mirror);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    address
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn manifest(files: &[(Source, &str, Option<&[u8]>)]) -> Vec<u8> {
    let manifest = Manifest {
        files: files
            .iter()
            .map(|(source, path, bytes)| ManifestFile {
                source: *source,
                path: (*path).to_owned(),
                sha256: bytes.map(sha256),
            })
            .collect(),
    };
    serde_json::to_vec_pretty(&manifest).unwrap()
}

/// A mirror holding the KEV and NVD fixtures (with digests) and one OSV record (without).
fn full_mirror() -> Mirror {
    let mirror = Mirror::default();
    let kev = fixture("kev-sample.json");
    let nvd = gzip(&fixture("nvd-sample.json"));
    let osv = fixture("osv/PYSEC-2099-1.json");
    mirror.put(
        "/mirror/index.json",
        manifest(&[
            (
                Source::Kev,
                "kev/known_exploited_vulnerabilities.json",
                Some(&kev),
            ),
            (Source::Nvd, "nvd/nvdcve-2.0-2021.json.gz", Some(&nvd)),
            (Source::Osv, "osv/PYSEC-2099-1.json", None),
        ]),
    );
    mirror.put("/mirror/kev/known_exploited_vulnerabilities.json", kev);
    mirror.put("/mirror/nvd/nvdcve-2.0-2021.json.gz", nvd);
    mirror.put("/mirror/osv/PYSEC-2099-1.json", osv);
    mirror
}

async fn fresh() -> (tempfile::TempDir, VulnDb) {
    let dir = tempfile::tempdir().unwrap();
    let db = VulnDb::open(dir.path().join("vulndb.sqlite"))
        .await
        .unwrap();
    (dir, db)
}

#[tokio::test]
async fn an_update_imports_what_the_manifest_names_and_skips_what_is_unchanged() {
    let mirror = full_mirror();
    let address = start(mirror.clone()).await;
    let (_dir, db) = fresh().await;
    let base = format!("http://{address}/mirror");

    let report = db.update(&base).await.unwrap();
    assert_eq!(report.base_url, format!("{base}/"));
    let sources: Vec<Source> = report.imported.iter().map(|r| r.source).collect();
    assert_eq!(sources, [Source::Kev, Source::Nvd, Source::Osv]);
    assert_eq!(report.imported[1].records, 10);
    assert!(report.imported[1]
        .file
        .ends_with("/mirror/nvd/nvdcve-2.0-2021.json.gz"));
    assert!(report.unchanged.is_empty());
    let stats = db.stats().await.unwrap();
    assert_eq!(
        (stats.cves, stats.kev_entries, stats.osv_records),
        (10, 3, 1)
    );
    let found = db
        .matches(&ProductRef {
            vendor: Some("apache".into()),
            product: "http_server".into(),
            version: "2.4.49".into(),
            cpe: None,
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 3);
    assert!(found[0].known_exploited);

    // Again: files with a digest already imported are not downloaded; the OSV file has none.
    let again = db.update(&base).await.unwrap();
    assert_eq!(again.unchanged.len(), 2);
    assert_eq!(again.imported.len(), 1);
    assert_eq!(again.imported[0].written, 0);
    assert_eq!(
        mirror.hits("/mirror/kev/known_exploited_vulnerabilities.json"),
        1
    );
    assert_eq!(mirror.hits("/mirror/nvd/nvdcve-2.0-2021.json.gz"), 1);
    assert_eq!(mirror.hits("/mirror/osv/PYSEC-2099-1.json"), 2);
    assert_eq!(mirror.hits("/mirror/index.json"), 2);
}

#[tokio::test]
async fn a_digest_mismatch_aborts_the_whole_update() {
    let mirror = full_mirror();
    // The NVD file changed after the manifest was written.
    mirror.put(
        "/mirror/nvd/nvdcve-2.0-2021.json.gz",
        gzip(&fixture("nvd-update.json")),
    );
    let address = start(mirror).await;
    let (_dir, db) = fresh().await;
    let error = db
        .update(&format!("http://{address}/mirror/"))
        .await
        .unwrap_err();
    match &error {
        VulnDbError::Mirror { url, message } => {
            assert!(url.ends_with("nvdcve-2.0-2021.json.gz"), "{url}");
            assert!(message.contains("SHA-256"), "{message}");
        }
        other => panic!("unexpected error {other}"),
    }
    let stats = db.stats().await.unwrap();
    assert_eq!(
        stats.kev_entries, 0,
        "the KEV file before it was not kept either"
    );
    assert!(stats.last_imports.is_empty());
}

#[tokio::test]
async fn a_broken_file_on_the_mirror_is_named_by_url_and_nothing_changes() {
    let mirror = Mirror::default();
    let kev = fixture("kev-sample.json");
    mirror.put(
        "/index.json",
        manifest(&[
            (Source::Kev, "kev.json", None),
            (Source::Nvd, "broken.json", None),
        ]),
    );
    mirror.put("/kev.json", kev);
    mirror.put("/broken.json", fixture("nvd-broken.json"));
    let address = start(mirror).await;
    let (_dir, db) = fresh().await;
    let error = db.update(&format!("http://{address}")).await.unwrap_err();
    match &error {
        VulnDbError::Malformed { path, line, .. } => {
            assert_eq!(path, &format!("http://{address}/broken.json"));
            assert_eq!(*line, 118);
        }
        other => panic!("unexpected error {other}"),
    }
    assert_eq!(db.stats().await.unwrap().kev_entries, 0);
}

#[tokio::test]
async fn manifest_paths_must_stay_under_the_mirror() {
    let mirror = Mirror::default();
    mirror.put(
        "/mirror/index.json",
        manifest(&[(Source::Kev, "../secret/kev.json", None)]),
    );
    mirror.put("/secret/kev.json", fixture("kev-sample.json"));
    let address = start(mirror.clone()).await;
    let (_dir, db) = fresh().await;
    let error = db
        .update(&format!("http://{address}/mirror/"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("outside the mirror"), "{error}");
    assert_eq!(mirror.hits("/secret/kev.json"), 0);
}

#[tokio::test]
async fn a_missing_manifest_is_reported_with_the_status() {
    let address = start(Mirror::default()).await;
    let (_dir, db) = fresh().await;
    let error = db
        .update(&format!("http://{address}/nothing/"))
        .await
        .unwrap_err();
    match error {
        VulnDbError::Mirror { url, message } => {
            assert!(url.ends_with("/nothing/index.json"), "{url}");
            assert!(message.contains("404"), "{message}");
        }
        other => panic!("unexpected error {other}"),
    }
}
