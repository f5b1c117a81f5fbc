//! Updating from a mirror: a web directory the site keeps (for instance on a machine that may
//! reach the Internet), described by an `index.json` manifest:
//!
//! ```json
//! {
//!   "files": [
//!     { "source": "kev", "path": "known_exploited_vulnerabilities.json", "sha256": "9f2c…" },
//!     { "source": "nvd", "path": "nvd/nvdcve-2.0-2024.json.gz" },
//!     { "source": "osv", "path": "osv/PyPI/all.zip" }
//!   ]
//! }
//! ```
//!
//! `path` is relative to the manifest and must stay under it. `sha256` is optional; when given,
//! the download is checked against it and a file whose digest was already imported from the
//! same URL is not downloaded again. Every file is downloaded and parsed before anything is
//! written, and all are written in one transaction: an update applies completely or not at all.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use url::Url;

use crate::db::{ImportReport, Source, VulnDb};
use crate::error::{Result, VulnDbError};
use crate::import::{parse_bytes, Loaded};

/// The manifest's name under the base URL.
pub const MANIFEST: &str = "index.json";

/// The mirror manifest (`index.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The files to import, in order.
    pub files: Vec<ManifestFile>,
}

/// One file of the mirror.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Its format.
    pub source: Source,
    /// Path relative to the manifest.
    pub path: String,
    /// Lower-case hex SHA-256 of the file, when the mirror states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// What an update did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateReport {
    /// The mirror's base URL.
    pub base_url: String,
    /// The files downloaded and imported.
    pub imported: Vec<ImportReport>,
    /// URLs skipped because the same file (by SHA-256) was imported from them before.
    pub unchanged: Vec<String>,
}

/// An HTTP client for mirrors: rustls with the ring provider and the Mozilla roots. Build your
/// own `reqwest::Client` for [`VulnDb::update_with`] to trust a site's own CA or use a proxy.
pub fn mirror_client() -> Result<reqwest::Client> {
    let mirror_error = |message: String| VulnDbError::Mirror {
        url: String::new(),
        message,
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| mirror_error(format!("TLS set-up: {error}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(30 * 60))
        .user_agent(concat!("canhgac-vulndb/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| mirror_error(format!("HTTP client: {error}")))
}

async fn fetch(client: &reqwest::Client, url: &Url) -> Result<Vec<u8>> {
    let mirror_error = |message: String| VulnDbError::Mirror {
        url: url.to_string(),
        message,
    };
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|error| mirror_error(error.to_string()))?;
    if !response.status().is_success() {
        return Err(mirror_error(format!("HTTP status {}", response.status())));
    }
    let body = response
        .bytes()
        .await
        .map_err(|error| mirror_error(error.to_string()))?;
    Ok(body.to_vec())
}

impl VulnDb {
    /// Updates from the mirror at `base_url` with [`mirror_client`].
    pub async fn update(&self, base_url: &str) -> Result<UpdateReport> {
        self.update_with(&mirror_client()?, base_url).await
    }

    /// Updates from the mirror at `base_url` (where `index.json` is) with the given client.
    pub async fn update_with(
        &self,
        client: &reqwest::Client,
        base_url: &str,
    ) -> Result<UpdateReport> {
        let mirror_error = |url: &str, message: String| VulnDbError::Mirror {
            url: url.to_owned(),
            message,
        };
        let mut base = Url::parse(base_url)
            .map_err(|error| mirror_error(base_url, format!("not a URL: {error}")))?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let manifest_url = base
            .join(MANIFEST)
            .map_err(|error| mirror_error(base_url, error.to_string()))?;
        let manifest_bytes = fetch(client, &manifest_url).await?;
        let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|error| {
            VulnDbError::malformed(manifest_url.as_str(), "mirror manifest", &error)
        })?;

        let mut loaded = Vec::new();
        let mut unchanged = Vec::new();
        for entry in &manifest.files {
            let url = base
                .join(&entry.path)
                .map_err(|error| mirror_error(manifest_url.as_str(), error.to_string()))?;
            if !url.as_str().starts_with(base.as_str()) {
                return Err(mirror_error(
                    manifest_url.as_str(),
                    format!("«{}» points outside the mirror", entry.path),
                ));
            }
            if let Some(expected) = &entry.sha256 {
                if self
                    .already_imported(entry.source, url.as_str(), expected)
                    .await?
                {
                    unchanged.push(url.to_string());
                    continue;
                }
            }
            let bytes = fetch(client, &url).await?;
            let sha256 = hex::encode(Sha256::digest(&bytes));
            if let Some(expected) = &entry.sha256 {
                if !expected.eq_ignore_ascii_case(&sha256) {
                    return Err(mirror_error(
                        url.as_str(),
                        format!("SHA-256 is {sha256}, the manifest says {expected}"),
                    ));
                }
            }
            let source = entry.source;
            let name = url.to_string();
            let parsed = tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                parse_bytes(source, &name, &bytes).map(|parsed| Loaded {
                    source,
                    file: name,
                    sha256,
                    parsed,
                    parse_time: started.elapsed(),
                })
            })
            .await
            .map_err(|error| mirror_error(url.as_str(), format!("parse task failed: {error}")))??;
            loaded.push(parsed);
        }
        let imported = if loaded.is_empty() {
            Vec::new()
        } else {
            self.write_loaded(loaded).await?
        };
        Ok(UpdateReport {
            base_url: base.to_string(),
            imported,
            unchanged,
        })
    }

    async fn already_imported(&self, source: Source, file: &str, sha256: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM import_history
             WHERE source = ?1 AND file = ?2 AND lower(sha256) = lower(?3)",
        )
        .bind(source.as_str())
        .bind(file)
        .bind(sha256)
        .fetch_one(&self.pool)
        .await
        .map_err(VulnDbError::db("reading the import history"))?;
        Ok(row.get::<i64, _>(0) > 0)
    }
}
