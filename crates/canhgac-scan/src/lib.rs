//! External scanner of canhgac: what may be scanned, which ports answer, what runs there, and
//! the weaknesses each check reports as [`canhgac_model::scan::ScanIssue`]s.
//!
//! - [`ports`]: port specs and our named port lists;
//! - [`discovery`]: the TCP connect scan, adaptive to timeouts, with concurrency and rate limits;
//! - [`services`]: what runs on an open port, from our probe database (`data/probes.toml`);
//! - [`web`]: web portal checks (HTTPS, headers, banners, exposed files and panels, CMS).
//!
//! This crate never scans a target the caller did not put in scope (see the `scope` checks of
//! the server and the CLI's `--allow-target`).

pub mod discovery;
pub mod ports;
pub mod services;
pub mod web;
