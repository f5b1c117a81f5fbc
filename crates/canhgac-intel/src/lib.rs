//! Threat intelligence for canhgac. For now: breach and exposure lists of official email
//! addresses ([`exposure`]). Indicator feeds (CSV, STIX 2.1, MISP, TAXII), advisories and
//! Shadowserver reports come with the intel capability:
//!
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
//! The crate does no I/O: it takes text and returns values (findings for `canhgac-store`).
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
pub mod indicators;
pub mod recognise;
pub mod shadowserver;
pub mod table;

pub use indicators::{ImportedIndicator, Tlp};
