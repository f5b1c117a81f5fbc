//! Threat intelligence for canhgac: what the national centres and feeds send, read into
//! indicators, findings and advisory matches.
//!
//! - [`exposure`]: breach and exposure lists of official email addresses;
//! - [`table`]: indicator tables (CSV, XLSX) with a preview, a guessed column mapping and an
//!   all-or-nothing import that merges duplicates;
//! - [`extract`]: indicators recognised in free text (defanged forms re-fanged), and
//!   [`appendix`]: the text of a DOCX or text-layer PDF appendix for it; [`recognise`] names
//!   the kind of one value;
//! - [`shadowserver`]: Shadowserver-format reports and ministry lists of exposed addresses
//!   become findings per unit, with deadlines; rows matching no unit are listed;
//! - [`advisory`]: an advisory's products and versions matched against the inventory, and read
//!   from a letter's pasted text.
//!
//! Standards for sharing indicators:
//! - [`stix`]: STIX 2.1 bundles in (indicators with simple patterns, the rest kept as not
//!   evaluated) and out (bundles with stable ids, and CSV);
//! - [`misp`]: MISP events and MISP feeds (`manifest.json` and event files, from a directory or
//!   a URL), polled for changed events only;
//! - [`taxii`]: a TAXII 2.1 client (discovery, collections, objects with `added_after` paging,
//!   basic authentication), polled on a schedule.
//!
//! The crate does no I/O beyond fetching feeds (MISP, TAXII): it takes text and returns values
//! (findings and indicators for `canhgac-store`).
//!
//! ```
//! use canhgac_intel::exposure::{findings_for, parse_list, Directory, SiteCatalogue};
//!
//! let catalogue = SiteCatalogue::builtin();
//! let list = parse_list(
//!     "vanthu@so-tttt.tinh.gov.vn:facebook\nban.be@gmail.com:linkedin.com\n",
//!     &catalogue,
//! )?;
//! let directory = Directory {
//!     domains: vec![("tinh.gov.vn".to_string(), 1)],
//!     addresses: vec![],
//! };
//! let report = findings_for(&list, &directory, jiff::Timestamp::UNIX_EPOCH);
//! assert_eq!(report.findings.len(), 1);
//! assert_eq!(report.findings[0].category, "email_on_social_site");
//! assert_eq!(report.outside_province, 1);
//! # Ok::<(), canhgac_intel::exposure::ExposureError>(())
//! ```

pub mod advisory;
pub mod appendix;
mod csv_text;
pub mod exposure;
pub mod extract;
pub mod fetch;
pub mod indicators;
pub mod misp;
pub mod recognise;
pub mod shadowserver;
pub mod stix;
pub mod table;
pub mod taxii;

pub use indicators::{ImportedIndicator, Tlp};
