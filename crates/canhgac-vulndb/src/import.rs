//! Imports: files are read and parsed completely first, then written in one transaction, so
//! a file broken anywhere changes nothing. Re-importing merges: a CVE or OSV record replaces the
//! stored one only when its modification time is later; a KEV entry, when its catalogue was
//! released no earlier than the stored one's.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::cpe::{CpePart, CpeValue};
use crate::cvss::cvss3_base_score;
use crate::db::{ImportReport, Source, VulnDb};
use crate::error::{Result, VulnDbError};
use crate::formats::{
    is_cve_id, parse_osv, KevCatalog, LangString, NvdCve, NvdFile, NvdMetric, OsvEvent, OsvRecord,
};
use crate::version::Version;
use crate::zip;

/// The most a gzip file may inflate to: NVD's largest yearly file is a few hundred megabytes.
const GZIP_LIMIT: u64 = 4 << 30;

/// Records per multi-row statement: well under SQLite's 32,766 bound variables.
const BATCH: usize = 500;

/// A file read and parsed, not yet written.
pub(crate) struct Loaded {
    pub(crate) source: Source,
    pub(crate) file: String,
    pub(crate) sha256: String,
    pub(crate) parsed: Parsed,
    pub(crate) parse_time: Duration,
}

/// The records of a parsed file.
pub(crate) enum Parsed {
    Kev(KevCatalog),
    Nvd(Vec<NvdCve>),
    Osv(Vec<OsvRecord>),
}

impl Parsed {
    fn records(&self) -> u64 {
        let count = match self {
            Parsed::Kev(catalog) => catalog.vulnerabilities.len(),
            Parsed::Nvd(cves) => cves.len(),
            Parsed::Osv(records) => records.len(),
        };
        count as u64
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// A source's timestamp in one fixed-width UTC form (`2024-01-05T10:00:00.000000000Z`), so
/// that "newer" is a text comparison whatever precision or offset the source wrote. NVD writes
/// UTC without an offset; OSV writes RFC 3339. Text that is neither is kept as it is.
pub(crate) fn normalise_time(text: &str) -> String {
    let trimmed = text.trim();
    let civil = if let Ok(instant) = trimmed.parse::<jiff::Timestamp>() {
        instant.to_zoned(jiff::tz::TimeZone::UTC).datetime()
    } else if let Ok(civil) = trimmed.parse::<jiff::civil::DateTime>() {
        civil
    } else {
        return trimmed.to_owned();
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute(),
        civil.second(),
        civil.subsec_nanosecond()
    )
}

/// Normalises the timestamps that decide which copy of a record is newer.
fn normalise_times(parsed: &mut Parsed) {
    match parsed {
        Parsed::Kev(_) => {}
        Parsed::Nvd(cves) => {
            for cve in cves {
                cve.last_modified = normalise_time(&cve.last_modified);
                cve.published = cve.published.as_deref().map(normalise_time);
            }
        }
        Parsed::Osv(records) => {
            for record in records {
                record.modified = normalise_time(&record.modified);
                record.published = record.published.as_deref().map(normalise_time);
            }
        }
    }
}

/// Parses the bytes of one file named `name` (a path or URL, for messages).
pub(crate) fn parse_bytes(source: Source, name: &str, bytes: &[u8]) -> Result<Parsed> {
    let mut parsed = parse_json(source, name, bytes)?;
    normalise_times(&mut parsed);
    Ok(parsed)
}

fn parse_json(source: Source, name: &str, bytes: &[u8]) -> Result<Parsed> {
    let inflated;
    let bytes = if is_gzip(bytes) {
        let mut out = Vec::with_capacity(bytes.len().saturating_mul(6).min(1 << 28));
        MultiGzDecoder::new(bytes)
            .take(GZIP_LIMIT + 1)
            .read_to_end(&mut out)
            .map_err(|error| VulnDbError::Invalid {
                path: name.to_owned(),
                message: format!("not a readable gzip file: {error}"),
            })?;
        if out.len() as u64 > GZIP_LIMIT {
            return Err(VulnDbError::Invalid {
                path: name.to_owned(),
                message: format!("inflates to more than {GZIP_LIMIT} bytes"),
            });
        }
        inflated = out;
        &inflated[..]
    } else {
        bytes
    };
    match source {
        Source::Kev => serde_json::from_slice::<KevCatalog>(bytes)
            .map(Parsed::Kev)
            .map_err(|error| VulnDbError::malformed(name, "CISA KEV", &error)),
        Source::Nvd => serde_json::from_slice::<NvdFile>(bytes)
            .map(|file| {
                Parsed::Nvd(
                    file.vulnerabilities
                        .into_iter()
                        .map(|item| item.cve)
                        .collect(),
                )
            })
            .map_err(|error| VulnDbError::malformed(name, "NVD CVE 2.0", &error)),
        Source::Osv if zip::looks_like_zip(bytes) => {
            let members = zip::read_members(bytes, |member| member.ends_with(".json")).map_err(
                |message| VulnDbError::Invalid {
                    path: name.to_owned(),
                    message,
                },
            )?;
            let mut records = Vec::new();
            for member in members {
                let member_name = format!("{name}!/{}", member.name);
                records.extend(
                    parse_osv(&member.data)
                        .map_err(|error| VulnDbError::malformed(&member_name, "OSV", &error))?,
                );
            }
            Ok(Parsed::Osv(records))
        }
        Source::Osv => parse_osv(bytes)
            .map(Parsed::Osv)
            .map_err(|error| VulnDbError::malformed(name, "OSV", &error)),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| VulnDbError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Reads and parses a file, or for OSV a directory of `.json` records (searched recursively).
pub(crate) fn load_path(source: Source, path: &Path) -> Result<Loaded> {
    let started = Instant::now();
    let file = path.display().to_string();
    let is_dir = std::fs::metadata(path)
        .map_err(|source| VulnDbError::Read {
            path: file.clone(),
            source,
        })?
        .is_dir();
    let (sha256, parsed) = if is_dir {
        if source != Source::Osv {
            return Err(VulnDbError::Invalid {
                path: file,
                message: format!("a directory can only be imported as OSV records, not {source}"),
            });
        }
        let mut files = Vec::new();
        collect_json_files(path, &mut files)?;
        files.sort();
        let mut digests = Sha256::new();
        let mut records = Vec::new();
        for member in files {
            let bytes = read(&member)?;
            digests.update(Sha256::digest(&bytes));
            let member_name = member.display().to_string();
            match parse_bytes(Source::Osv, &member_name, &bytes)? {
                Parsed::Osv(more) => records.extend(more),
                Parsed::Kev(_) | Parsed::Nvd(_) => {}
            }
        }
        (hex::encode(digests.finalize()), Parsed::Osv(records))
    } else {
        let bytes = read(path)?;
        (sha256_hex(&bytes), parse_bytes(source, &file, &bytes)?)
    };
    Ok(Loaded {
        source,
        file,
        sha256,
        parsed,
        parse_time: started.elapsed(),
    })
}

fn collect_json_files(dir: &Path, into: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|source| VulnDbError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| VulnDbError::Read {
            path: dir.display().to_string(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_json_files(&path, into)?;
        } else if path.extension().is_some_and(|ext| ext == "json") {
            into.push(path);
        }
    }
    Ok(())
}

impl VulnDb {
    /// Imports one file (`.json`, or `.json.gz` for NVD; for OSV also a `.zip` or a
    /// directory). All or nothing: when any record is malformed the error names the file, line
    /// and column, and the database is unchanged.
    pub async fn import(&self, source: Source, path: impl AsRef<Path>) -> Result<ImportReport> {
        let path = path.as_ref().to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || load_path(source, &path))
            .await
            .map_err(|error| VulnDbError::Invalid {
                path: String::new(),
                message: format!("the import task failed: {error}"),
            })??;
        let mut reports = self.write_loaded(vec![loaded]).await?;
        Ok(reports.remove(0))
    }

    /// Writes parsed files in one transaction, with one history row each.
    pub(crate) async fn write_loaded(&self, files: Vec<Loaded>) -> Result<Vec<ImportReport>> {
        // One writer at a time. Two deferred transactions upgrading to write locks would fail
        // with SQLITE_BUSY instead of waiting, so the write lock is taken at BEGIN (where
        // SQLite waits up to the busy timeout for another process's import); in this process
        // writers queue on the mutex and never run into that timeout.
        let _writer = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(VulnDbError::db("starting the import"))?;
        let mut reports = Vec::with_capacity(files.len());
        for loaded in files {
            let started = Instant::now();
            let written = match &loaded.parsed {
                Parsed::Kev(catalog) => write_kev(&mut tx, catalog).await?,
                Parsed::Nvd(cves) => write_nvd(&mut tx, cves).await?,
                Parsed::Osv(records) => write_osv(&mut tx, records).await?,
            };
            let records = loaded.parsed.records();
            let report = ImportReport {
                source: loaded.source,
                file: loaded.file,
                sha256: loaded.sha256,
                records,
                written,
                skipped: records.saturating_sub(written),
                duration: loaded.parse_time + started.elapsed(),
            };
            record_history(&mut tx, &report).await?;
            reports.push(report);
        }
        tx.commit()
            .await
            .map_err(VulnDbError::db("committing the import"))?;
        Ok(reports)
    }
}

async fn record_history(conn: &mut SqliteConnection, report: &ImportReport) -> Result<()> {
    sqlx::query(
        "INSERT INTO import_history
             (source, file, sha256, records, written, skipped, imported_at, duration_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(report.source.as_str())
    .bind(&report.file)
    .bind(&report.sha256)
    .bind(i64::try_from(report.records).unwrap_or(i64::MAX))
    .bind(i64::try_from(report.written).unwrap_or(i64::MAX))
    .bind(i64::try_from(report.skipped).unwrap_or(i64::MAX))
    .bind(jiff::Timestamp::now().to_string())
    .bind(i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX))
    .execute(conn)
    .await
    .map_err(VulnDbError::db("recording the import"))?;
    Ok(())
}

// ---- KEV ------------------------------------------------------------------------------------

async fn write_kev(conn: &mut SqliteConnection, catalog: &KevCatalog) -> Result<u64> {
    let mut written = 0;
    for chunk in catalog.vulnerabilities.chunks(BATCH) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO kev (cve_id, vendor_project, product, vulnerability_name, date_added,
                 short_description, required_action, due_date, known_ransomware_campaign_use,
                 notes, cwes, catalog_released) ",
        );
        query.push_values(chunk, |mut row, entry| {
            row.push_bind(&entry.cve_id.0)
                .push_bind(&entry.vendor_project)
                .push_bind(&entry.product)
                .push_bind(&entry.vulnerability_name)
                .push_bind(&entry.date_added)
                .push_bind(&entry.short_description)
                .push_bind(&entry.required_action)
                .push_bind(&entry.due_date)
                .push_bind(
                    entry
                        .known_ransomware_campaign_use
                        .as_deref()
                        .unwrap_or("Unknown"),
                )
                .push_bind(&entry.notes)
                .push_bind(entry.cwes.join(","))
                .push_bind(&catalog.date_released);
        });
        query.push(
            " ON CONFLICT (cve_id) DO UPDATE SET
                 vendor_project = excluded.vendor_project, product = excluded.product,
                 vulnerability_name = excluded.vulnerability_name,
                 date_added = excluded.date_added,
                 short_description = excluded.short_description,
                 required_action = excluded.required_action, due_date = excluded.due_date,
                 known_ransomware_campaign_use = excluded.known_ransomware_campaign_use,
                 notes = excluded.notes, cwes = excluded.cwes,
                 catalog_released = excluded.catalog_released
             WHERE excluded.catalog_released >= kev.catalog_released",
        );
        written += query
            .build()
            .execute(&mut *conn)
            .await
            .map_err(VulnDbError::db("writing KEV entries"))?
            .rows_affected();
    }
    Ok(written)
}

// ---- NVD ------------------------------------------------------------------------------------

/// Keeps, among records with the same id, the one modified last (later ones win ties).
fn newest_by_id<'a, T>(records: &'a [T], key: impl Fn(&'a T) -> (&'a str, &'a str)) -> Vec<&'a T> {
    let mut by_id: HashMap<&str, &T> = HashMap::with_capacity(records.len());
    let mut order = Vec::with_capacity(records.len());
    for record in records {
        let (id, modified) = key(record);
        match by_id.get(id) {
            Some(&kept) if key(kept).1 > modified => {}
            Some(_) => {
                by_id.insert(id, record);
            }
            None => {
                by_id.insert(id, record);
                order.push(id);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| by_id.get(id).copied())
        .collect()
}

/// The stored modification time of each of `ids` found in `table`.
async fn stored_modified(
    conn: &mut SqliteConnection,
    table: &'static str,
    ids: &[&str],
) -> Result<HashMap<String, String>> {
    let mut query =
        QueryBuilder::<Sqlite>::new(format!("SELECT id, modified FROM {table} WHERE id IN ("));
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    query.push(")");
    let rows = query
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(VulnDbError::db("reading stored records"))?;
    Ok(rows
        .into_iter()
        .map(|row| (row.get::<String, _>(0), row.get::<String, _>(1)))
        .collect())
}

/// Deletes the rows of `ids` from tables keyed by `column`.
async fn delete_children(
    conn: &mut SqliteConnection,
    tables: &[&'static str],
    column: &'static str,
    ids: &[&str],
) -> Result<()> {
    for table in tables {
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("DELETE FROM {table} WHERE {column} IN ("));
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(")");
        query
            .build()
            .execute(&mut *conn)
            .await
            .map_err(VulnDbError::db("replacing stored records"))?;
    }
    Ok(())
}

/// The metric to show: NVD's own (`Primary`) first, then the first a CNA gave.
fn best_metric(metrics: &[NvdMetric]) -> Option<&NvdMetric> {
    metrics
        .iter()
        .find(|metric| metric.kind.as_deref() == Some("Primary"))
        .or_else(|| metrics.first())
}

fn english(texts: &[LangString]) -> String {
    texts
        .iter()
        .find(|text| text.lang == "en")
        .or_else(|| texts.first())
        .map(|text| text.value.clone())
        .unwrap_or_default()
}

fn cpe_text(value: &CpeValue) -> &str {
    match value {
        CpeValue::Any => "*",
        CpeValue::NotApplicable => "-",
        CpeValue::Value(text) => text,
    }
}

fn part_letter(part: CpePart) -> &'static str {
    match part {
        CpePart::Application => "a",
        CpePart::OperatingSystem => "o",
        CpePart::Hardware => "h",
        CpePart::Any => "*",
    }
}

async fn write_nvd(conn: &mut SqliteConnection, cves: &[NvdCve]) -> Result<u64> {
    let mut written = 0u64;
    for chunk in cves.chunks(BATCH) {
        let newest = newest_by_id(chunk, |cve| (cve.id.0.as_str(), cve.last_modified.as_str()));
        let ids: Vec<&str> = newest.iter().map(|cve| cve.id.0.as_str()).collect();
        let stored = stored_modified(conn, "cve", &ids).await?;
        let newer: Vec<&NvdCve> = newest
            .into_iter()
            .filter(|cve| {
                stored
                    .get(&cve.id.0)
                    .is_none_or(|modified| modified.as_str() < cve.last_modified.as_str())
            })
            .collect();
        if newer.is_empty() {
            continue;
        }
        let newer_ids: Vec<&str> = newer.iter().map(|cve| cve.id.0.as_str()).collect();
        delete_children(conn, &["cpe_match"], "cve_id", &newer_ids).await?;

        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO cve (id, published, modified, summary, cvss3_score, cvss3_vector,
                 cvss4_score, cvss4_vector, severity, cwes) ",
        );
        query.push_values(&newer, |mut row, cve| {
            let v3 = best_metric(&cve.metrics.v31).or_else(|| best_metric(&cve.metrics.v30));
            let v4 = best_metric(&cve.metrics.v40);
            let severity = v3
                .or(v4)
                .and_then(|metric| metric.cvss_data.base_severity.as_deref())
                .map(str::to_lowercase);
            let mut cwes: Vec<&str> = cve
                .weaknesses
                .iter()
                .flat_map(|weakness| &weakness.description)
                .map(|text| text.value.as_str())
                .filter(|value| value.starts_with("CWE-"))
                .collect();
            cwes.sort_unstable();
            cwes.dedup();
            row.push_bind(&cve.id.0)
                .push_bind(&cve.published)
                .push_bind(&cve.last_modified)
                .push_bind(english(&cve.descriptions))
                .push_bind(v3.map(|metric| metric.cvss_data.base_score))
                .push_bind(v3.map(|metric| metric.cvss_data.vector_string.clone()))
                .push_bind(v4.map(|metric| metric.cvss_data.base_score))
                .push_bind(v4.map(|metric| metric.cvss_data.vector_string.clone()))
                .push_bind(severity)
                .push_bind(cwes.join(","));
        });
        query.push(
            " ON CONFLICT (id) DO UPDATE SET published = excluded.published,
                 modified = excluded.modified, summary = excluded.summary,
                 cvss3_score = excluded.cvss3_score, cvss3_vector = excluded.cvss3_vector,
                 cvss4_score = excluded.cvss4_score, cvss4_vector = excluded.cvss4_vector,
                 severity = excluded.severity, cwes = excluded.cwes",
        );
        query
            .build()
            .execute(&mut *conn)
            .await
            .map_err(VulnDbError::db("writing CVE records"))?;

        let matches: Vec<_> = newer
            .iter()
            .flat_map(|cve| {
                cve.configurations
                    .iter()
                    .enumerate()
                    .flat_map(move |(config_index, config)| {
                        config
                            .nodes
                            .iter()
                            .enumerate()
                            .flat_map(move |(node_index, node)| {
                                node.cpe_match.iter().map(move |cpe_match| {
                                    (cve, config_index, node_index, node, cpe_match)
                                })
                            })
                    })
            })
            .collect();
        for rows in matches.chunks(BATCH) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO cpe_match (cve_id, configuration, node, operator, negate,
                     vulnerable, criteria, part, vendor, product, version, cpe_update,
                     version_start_including, version_start_excluding,
                     version_end_including, version_end_excluding) ",
            );
            query.push_values(rows, |mut row, (cve, config_index, node_index, node, m)| {
                let cpe = &m.criteria.cpe;
                row.push_bind(&cve.id.0)
                    .push_bind(*config_index as i64)
                    .push_bind(*node_index as i64)
                    .push_bind(&node.operator)
                    .push_bind(node.negate)
                    .push_bind(m.vulnerable)
                    .push_bind(&m.criteria.text)
                    .push_bind(part_letter(cpe.part))
                    .push_bind(cpe_text(&cpe.vendor))
                    .push_bind(cpe_text(&cpe.product))
                    .push_bind(cpe_text(&cpe.version))
                    .push_bind(cpe_text(&cpe.update))
                    .push_bind(&m.version_start_including)
                    .push_bind(&m.version_start_excluding)
                    .push_bind(&m.version_end_including)
                    .push_bind(&m.version_end_excluding);
            });
            query
                .build()
                .execute(&mut *conn)
                .await
                .map_err(VulnDbError::db("writing CPE match criteria"))?;
        }
        written += newer.len() as u64;
    }
    Ok(written)
}

// ---- OSV ------------------------------------------------------------------------------------

/// One affected interval: from `introduced` up to `fixed` (exclusive) or `last_affected`
/// (inclusive), or without end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interval {
    pub(crate) introduced: String,
    pub(crate) fixed: Option<String>,
    pub(crate) last_affected: Option<String>,
}

/// Turns a range's events into intervals. SEMVER and ECOSYSTEM events are put in version
/// order first (OSV does not promise an order); GIT events stay as given.
pub(crate) fn intervals(range_type: &str, events: &[OsvEvent]) -> Vec<Interval> {
    let mut ordered: Vec<&OsvEvent> = events.iter().collect();
    if range_type != "GIT" {
        ordered.sort_by_cached_key(|event| {
            let version = event
                .introduced
                .as_deref()
                .or(event.fixed.as_deref())
                .or(event.last_affected.as_deref())
                .unwrap_or("");
            // "0" means "from the very first version", below any pre-release.
            let is_start = event.introduced.as_deref() == Some("0");
            (!is_start, Version::parse(version))
        });
    }
    let mut out = Vec::new();
    let mut open: Option<String> = None;
    for event in ordered {
        if let Some(introduced) = &event.introduced {
            if open.is_none() {
                open = Some(introduced.clone());
            }
        } else if let Some(fixed) = &event.fixed {
            if let Some(introduced) = open.take() {
                out.push(Interval {
                    introduced,
                    fixed: Some(fixed.clone()),
                    last_affected: None,
                });
            }
        } else if let Some(last) = &event.last_affected {
            if let Some(introduced) = open.take() {
                out.push(Interval {
                    introduced,
                    fixed: None,
                    last_affected: Some(last.clone()),
                });
            }
        }
    }
    if let Some(introduced) = open {
        out.push(Interval {
            introduced,
            fixed: None,
            last_affected: None,
        });
    }
    out
}

fn osv_summary(record: &OsvRecord) -> String {
    if !record.summary.trim().is_empty() {
        return record.summary.trim().to_owned();
    }
    let first_line = record.details.lines().find(|line| !line.trim().is_empty());
    let line = first_line.unwrap_or("").trim();
    line.chars().take(300).collect()
}

async fn write_osv(conn: &mut SqliteConnection, records: &[OsvRecord]) -> Result<u64> {
    let mut written = 0u64;
    for chunk in records.chunks(BATCH) {
        let newest = newest_by_id(chunk, |record| {
            (record.id.as_str(), record.modified.as_str())
        });
        let ids: Vec<&str> = newest.iter().map(|record| record.id.as_str()).collect();
        let stored = stored_modified(conn, "osv", &ids).await?;
        let newer: Vec<&OsvRecord> = newest
            .into_iter()
            .filter(|record| {
                stored
                    .get(&record.id)
                    .is_none_or(|modified| modified.as_str() < record.modified.as_str())
            })
            .collect();
        if newer.is_empty() {
            continue;
        }
        let newer_ids: Vec<&str> = newer.iter().map(|record| record.id.as_str()).collect();
        delete_children(
            conn,
            &["osv_alias", "osv_range", "osv_version"],
            "osv_id",
            &newer_ids,
        )
        .await?;

        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO osv (id, modified, published, summary, severity_type, severity,
                 cvss_score) ",
        );
        query.push_values(&newer, |mut row, record| {
            let severity = record
                .severity
                .iter()
                .find(|severity| severity.kind == "CVSS_V3")
                .or_else(|| record.severity.first());
            row.push_bind(&record.id)
                .push_bind(&record.modified)
                .push_bind(&record.published)
                .push_bind(osv_summary(record))
                .push_bind(severity.map(|severity| severity.kind.clone()))
                .push_bind(severity.map(|severity| severity.score.clone()))
                .push_bind(severity.and_then(|severity| cvss3_base_score(&severity.score)));
        });
        query.push(
            " ON CONFLICT (id) DO UPDATE SET modified = excluded.modified,
                 published = excluded.published, summary = excluded.summary,
                 severity_type = excluded.severity_type, severity = excluded.severity,
                 cvss_score = excluded.cvss_score",
        );
        query
            .build()
            .execute(&mut *conn)
            .await
            .map_err(VulnDbError::db("writing OSV records"))?;

        let mut aliases: Vec<(&str, &str)> = Vec::new();
        let mut ranges: Vec<(&str, &str, &str, &str, Interval)> = Vec::new();
        let mut versions: Vec<(&str, &str, &str, &str)> = Vec::new();
        for record in &newer {
            let mut own: Vec<&str> = record.aliases.iter().map(String::as_str).collect();
            // A record that is itself a CVE (e.g. an NVD-derived one) is its own alias.
            if is_cve_id(&record.id) {
                own.push(record.id.as_str());
            }
            own.sort_unstable();
            own.dedup();
            aliases.extend(own.into_iter().map(|alias| (record.id.as_str(), alias)));
            for affected in &record.affected {
                let Some(package) = &affected.package else {
                    continue;
                };
                for range in &affected.ranges {
                    for interval in intervals(&range.kind, &range.events) {
                        ranges.push((
                            record.id.as_str(),
                            package.ecosystem.as_str(),
                            package.name.as_str(),
                            range.kind.as_str(),
                            interval,
                        ));
                    }
                }
                for version in &affected.versions {
                    versions.push((
                        record.id.as_str(),
                        package.ecosystem.as_str(),
                        package.name.as_str(),
                        version.as_str(),
                    ));
                }
            }
        }
        for rows in aliases.chunks(BATCH) {
            let mut query =
                QueryBuilder::<Sqlite>::new("INSERT OR IGNORE INTO osv_alias (osv_id, alias) ");
            query.push_values(rows, |mut row, (id, alias)| {
                row.push_bind(*id).push_bind(*alias);
            });
            query
                .build()
                .execute(&mut *conn)
                .await
                .map_err(VulnDbError::db("writing OSV aliases"))?;
        }
        for rows in ranges.chunks(BATCH) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO osv_range (osv_id, ecosystem, package, range_type, introduced,
                     fixed, last_affected) ",
            );
            query.push_values(rows, |mut row, (id, ecosystem, package, kind, interval)| {
                row.push_bind(*id)
                    .push_bind(*ecosystem)
                    .push_bind(*package)
                    .push_bind(*kind)
                    .push_bind(&interval.introduced)
                    .push_bind(&interval.fixed)
                    .push_bind(&interval.last_affected);
            });
            query
                .build()
                .execute(&mut *conn)
                .await
                .map_err(VulnDbError::db("writing OSV ranges"))?;
        }
        for rows in versions.chunks(BATCH) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO osv_version (osv_id, ecosystem, package, version) ",
            );
            query.push_values(rows, |mut row, (id, ecosystem, package, version)| {
                row.push_bind(*id)
                    .push_bind(*ecosystem)
                    .push_bind(*package)
                    .push_bind(*version);
            });
            query
                .build()
                .execute(&mut *conn)
                .await
                .map_err(VulnDbError::db("writing OSV versions"))?;
        }
        written += newer.len() as u64;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_are_refused_without_panicking(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)
        ) {
            for source in [Source::Kev, Source::Nvd, Source::Osv] {
                let _ = parse_bytes(source, "fuzz", &bytes);
            }
        }
    }

    #[test]
    fn gzip_garbage_is_named() {
        let error = parse_bytes(Source::Nvd, "bad.json.gz", &[0x1f, 0x8b, 0, 1, 2]);
        assert!(matches!(error, Err(VulnDbError::Invalid { path, .. }) if path == "bad.json.gz"));
    }

    #[test]
    fn timestamps_are_normalised_to_one_comparable_form() {
        assert_eq!(
            normalise_time("2024-01-05T10:00:00.123"),
            "2024-01-05T10:00:00.123000000Z"
        );
        assert_eq!(
            normalise_time("2025-01-10T00:00:00Z"),
            "2025-01-10T00:00:00.000000000Z"
        );
        assert_eq!(
            normalise_time("2025-01-10T07:00:00.5+07:00"),
            "2025-01-10T00:00:00.500000000Z"
        );
        // Whole seconds written without a fraction still sort before a later fraction.
        assert!(normalise_time("2025-01-10T00:00:00Z") < normalise_time("2025-01-10T00:00:00.1Z"));
        assert_eq!(normalise_time("not a time"), "not a time");
    }

    #[test]
    fn osv_events_become_intervals_in_version_order() {
        let event = |introduced: Option<&str>, fixed: Option<&str>, last: Option<&str>| OsvEvent {
            introduced: introduced.map(str::to_owned),
            fixed: fixed.map(str::to_owned),
            last_affected: last.map(str::to_owned),
        };
        let events = [
            event(None, Some("2.0.1"), None),
            event(Some("2.0.0"), None, None),
            event(Some("0"), None, None),
            event(None, Some("1.0.0"), None),
        ];
        let found = intervals("SEMVER", &events);
        assert_eq!(
            found,
            [
                Interval {
                    introduced: "0".into(),
                    fixed: Some("1.0.0".into()),
                    last_affected: None
                },
                Interval {
                    introduced: "2.0.0".into(),
                    fixed: Some("2.0.1".into()),
                    last_affected: None
                },
            ]
        );
        // GIT events are commits: kept in the given order.
        let git = intervals(
            "GIT",
            &[event(Some("0"), None, None), event(None, Some("abc"), None)],
        );
        assert_eq!(git.len(), 1);
        assert_eq!(git[0].fixed.as_deref(), Some("abc"));
    }
}
