//! Threat intelligence for canhgac. For now: breach and exposure lists of official email
//! addresses ([`exposure`]). Indicator feeds (CSV, STIX 2.1, MISP, TAXII), advisories and
//! Shadowserver reports come with the intel capability.
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
