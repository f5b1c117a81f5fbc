//! The database file: opening it, its reports and statistics.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;

use crate::error::{Result, VulnDbError};

const SCHEMA: &str = include_str!("schema.sql");

/// The offline vulnerability database: one SQLite file holding CVEs with their NVD
/// configurations, OSV records and the KEV catalogue.
#[derive(Debug, Clone)]
pub struct VulnDb {
    pub(crate) pool: SqlitePool,
    pub(crate) write_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    path: PathBuf,
}

/// Where knowledge comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// CISA's Known Exploited Vulnerabilities catalogue (JSON).
    Kev,
    /// NVD CVE API 2.0 / feed files (JSON, optionally gzip-compressed).
    Nvd,
    /// OSV records (a record, a directory of records, or a zip of them).
    Osv,
}

impl Source {
    /// The name used in the database, the mirror manifest and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Kev => "kev",
            Source::Nvd => "nvd",
            Source::Osv => "osv",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "kev" => Ok(Source::Kev),
            "nvd" => Ok(Source::Nvd),
            "osv" => Ok(Source::Osv),
            other => Err(format!("unknown source «{other}»: use kev, nvd or osv")),
        }
    }
}

/// What one import did (one row of the import history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The source format.
    pub source: Source,
    /// The file, directory or URL imported.
    pub file: String,
    /// SHA-256 of the file's bytes (for a directory: of its members' digests in name order).
    pub sha256: String,
    /// Records in the file.
    pub records: u64,
    /// Records inserted or replaced because they were new or newer.
    pub written: u64,
    /// Records left alone because the database already had them as new or newer.
    pub skipped: u64,
    /// Wall time of parsing and writing.
    #[serde(with = "millis")]
    pub duration: Duration,
}

/// The last import of one source, as the history has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastImport {
    /// What was imported and how it went.
    pub report: ImportReport,
    /// When (UTC, RFC 3339).
    pub imported_at: String,
}

/// What the database holds, for `canhgac vulndb stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The database file.
    pub path: PathBuf,
    /// CVE records (from NVD).
    pub cves: u64,
    /// CPE match criteria of those CVEs.
    pub cpe_matches: u64,
    /// KEV catalogue entries.
    pub kev_entries: u64,
    /// OSV records.
    pub osv_records: u64,
    /// The most recent import of each source that has been imported, by source name.
    pub last_imports: Vec<LastImport>,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(value.as_millis().try_into().unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

impl VulnDb {
    /// Opens the database file, creating it and its schema when missing. The file uses the
    /// rollback journal (not WAL), so between imports it is one self-contained file that can be
    /// copied into an air-gapped network.
    pub async fn open(path: impl AsRef<Path>) -> Result<VulnDb> {
        let path = path.as_ref().to_path_buf();
        let open_error = |source| VulnDbError::Open {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|error| open_error(sqlx::Error::Io(error)))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Delete)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        sqlx::raw_sql(SCHEMA)
            .execute(&pool)
            .await
            .map_err(open_error)?;
        Ok(VulnDb {
            pool,
            write_lock: Default::default(),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Counts and the last import of each source.
    pub async fn stats(&self) -> Result<Stats> {
        let count = |table: &'static str| {
            let pool = self.pool.clone();
            async move {
                let row = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await
                    .map_err(VulnDbError::db("counting records"))?;
                Ok::<u64, VulnDbError>(row.get::<i64, _>(0).try_into().unwrap_or(0))
            }
        };
        let rows = sqlx::query(
            "SELECT source, file, sha256, records, written, skipped, imported_at, duration_ms
             FROM import_history h
             WHERE id = (SELECT MAX(id) FROM import_history WHERE source = h.source)
             ORDER BY source",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(VulnDbError::db("reading the import history"))?;
        let mut last_imports = Vec::new();
        for row in rows {
            let Ok(source) = row.get::<String, _>("source").parse::<Source>() else {
                continue;
            };
            let number = |column: &str| row.get::<i64, _>(column).try_into().unwrap_or(0u64);
            last_imports.push(LastImport {
                report: ImportReport {
                    source,
                    file: row.get("file"),
                    sha256: row.get("sha256"),
                    records: number("records"),
                    written: number("written"),
                    skipped: number("skipped"),
                    duration: Duration::from_millis(number("duration_ms")),
                },
                imported_at: row.get("imported_at"),
            });
        }
        Ok(Stats {
            path: self.path.clone(),
            cves: count("cve").await?,
            cpe_matches: count("cpe_match").await?,
            kev_entries: count("kev").await?,
            osv_records: count("osv").await?,
            last_imports,
        })
    }

    /// Closes the connections, so the file can be copied.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
