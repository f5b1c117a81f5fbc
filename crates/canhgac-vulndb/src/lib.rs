//! Offline vulnerability knowledge of canhgac: a portable SQLite file holding CVEs with their
//! NVD configurations (CPE match criteria and version ranges), OSV records and CISA's Known
//! Exploited Vulnerabilities catalogue, and the matching of detected products to them.
//!
//! The file is self-contained (rollback journal, no WAL between uses), so a site can fill it
//! where the Internet is reachable and carry it into an air-gapped network.
//!
//! - [`VulnDb::open`] creates or opens the file; [`VulnDb::import`] reads a KEV catalogue, an
//!   NVD CVE 2.0 file (plain or `.gz`) or OSV records (a file, a directory, a zip) in one
//!   transaction; [`VulnDb::update`] fetches the files a mirror's `index.json` names
//!   ([`update`]); [`VulnDb::stats`] counts what is there.
//! - [`VulnDb::matches`] finds the CVEs of a [`ProductRef`] (vendor, product, version or a CPE,
//!   parsed by [`parse_cpe`]); [`VulnDb::matches_package`] those of an OSV package version.
//!   Versions compare with [`version::Version`]. Results are ranked KEV first, then by CVSS.
//! - [`to_issue`] turns a [`VulnMatch`] into the scanner's
//!   [`ScanIssue`](canhgac_model::scan::ScanIssue).
//!
//! ```no_run
//! # async fn demo() -> Result<(), canhgac_vulndb::VulnDbError> {
//! use canhgac_vulndb::{to_issue, ProductRef, Source, VulnDb};
//!
//! let db = VulnDb::open("/var/lib/canhgac/vulndb.sqlite").await?;
//! db.import(Source::Kev, "known_exploited_vulnerabilities.json").await?;
//! db.import(Source::Nvd, "nvdcve-2.0-2021.json.gz").await?;
//! let apache = ProductRef {
//!     vendor: Some("apache".into()),
//!     product: "http_server".into(),
//!     version: "2.4.49".into(),
//!     cpe: None,
//! };
//! for found in db.matches(&apache).await? {
//!     let issue = to_issue(&found, "portal.example.gov.vn", Some(443), &apache);
//!     println!("{} {}", issue.severity, issue.title_vi);
//! }
//! # Ok(()) }
//! ```
//!
//! This crate does no network I/O except in [`VulnDb::update`].

pub mod cpe;
pub mod cvss;
mod db;
mod error;
mod formats;
mod import;
mod matching;
pub mod update;
pub mod version;
mod zip;

pub use cpe::{parse_cpe, Cpe, CpeError, CpePart, CpeValue};
pub use db::{ImportReport, LastImport, Source, Stats, VulnDb};
pub use error::{Result, VulnDbError};
pub use matching::{to_issue, ProductRef, VulnMatch};
pub use update::{mirror_client, Manifest, ManifestFile, UpdateReport};
pub use version::{compare_versions, Version};
