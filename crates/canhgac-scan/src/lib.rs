//! External scanner of canhgac: what may be scanned, which ports answer, what runs there, and
//! the weaknesses each check reports as [`canhgac_model::scan::ScanIssue`]s.
//!
//! - [`target`]: targets as users write them, resolution, and the inventory scope check;
//! - [`ports`]: port specs and our named port lists;
//! - [`discovery`]: the TCP connect scan, adaptive to timeouts, with concurrency and rate limits;
//! - [`services`]: what runs on an open port, from our probe database (`data/probes.toml`);
//! - [`web`]: web portal checks (HTTPS, headers, banners, exposed files and panels, CMS);
//! - [`exposure`]: risky services reachable from outside (RDP, SMB, databases...);
//! - [`run`]: profiles and a scan run from discovery to issues, with progress counters;
//! - [`output`]: the report as a table, JSON lines, CSV or SARIF.
//!
//! This crate never scans a target the caller did not put in scope (see the `scope` checks of
//! the server and the CLI's `--allow-target`).

pub mod discovery;
pub mod exposure;
pub mod output;
pub mod ports;
pub mod run;
pub mod services;
pub mod target;
pub mod web;
