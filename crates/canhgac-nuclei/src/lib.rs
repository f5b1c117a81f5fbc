//! Nuclei-compatible template engine of canhgac: it loads nuclei-format YAML templates (the
//! `http`, `dns`, `ssl` and `tcp` subset), evaluates their DSL, runs their requests against a
//! target and reports each match as a [`canhgac_model::scan::ScanIssue`].
//!
//! - [`loader::load_dir`] reads a directory into a [`loader::LoadReport`]: templates that load,
//!   templates skipped with the unsupported feature named, broken YAML with its line.
//! - [`template::Template`] is the typed model; [`operators`] holds matchers and extractors;
//!   [`dsl`] the expression language and `{{...}}` interpolation.
//! - [`engine::Engine::run`] sends the requests with its own HTTP/1.1 client (raw requests go
//!   out as written), `tcp` over tokio (TLS by rustls, any certificate accepted), `dns` through
//!   `canhgac-dns` and `ssl` through `canhgac-tlscheck`, and returns [`engine::RunOutcome`];
//!   [`engine::TemplateHit::to_issue`] turns a hit into the scanner's result.
//!
//! ```no_run
//! # async fn example() {
//! use canhgac_nuclei::{engine::{Engine, EngineOptions}, loader::load_dir, target::Target};
//! let report = load_dir(std::path::Path::new("/srv/templates"));
//! println!("{report}");
//! let engine = Engine::new(EngineOptions::default());
//! let target = Target::parse("https://portal.example.gov.vn").expect("valid target");
//! for template in &report.templates {
//!     let outcome = engine.run(template, &target).await;
//!     for hit in &outcome.hits {
//!         let issue = hit.to_issue(template);
//!         println!("{} {}", issue.check, issue.subject);
//!     }
//! }
//! # }
//! ```
//!
//! Network traffic happens only in [`engine`] and [`client`]; loading and matching do no I/O
//! beyond reading template files.

pub mod client;
pub mod dns_ssl;
pub mod dsl;
pub mod engine;
pub mod functions;
pub mod issue;
pub mod loader;
pub mod operators;
pub mod target;
pub mod template;
