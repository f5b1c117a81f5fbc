//! ISP network watch: the flow records routers export, and what canhgac makes of them.
//!
//! Directive clause 3 asks ISPs to watch their networks and stop attacks. This room owns:
//!
//! - [`record`]: [`FlowRecord`], the one shape every decoder produces and every detector reads.
//! - [`decode`]: [`decode::Decoder`] turns NetFlow v5/v9, IPFIX and sFlow v5 datagrams into
//!   records, with templates, sampling, sequence gaps and [`decode::ExporterStats`] per exporter.
//! - [`collector`]: [`collector::Collector`], the UDP listener that decodes datagrams from
//!   registered exporters and hands batches of records to a channel.
//! - [`exporter`]: [`exporter::FlowExporter`], our own test exporter that writes all four
//!   formats (used by tests, benchmarks and `examples/flowgen.rs`).
//! - [`detect`]: the [`detect::Detector`], which turns flow batches into attack events (floods,
//!   amplification, outgoing scans, traffic with indicator addresses) per host and prefix group.
//! - [`mitigate`]: the [`mitigate::Mitigator`], which answers attacks with operator scripts,
//!   signed webhooks, BGP blackholes and FlowSpec rules through BIRD 2, and audits each action.
//! - [`board`]: the [`board::FlowBoard`], the live picture for the console: exporter health,
//!   group traffic over the last hour and day, top hosts, attacks in progress and ended.

pub mod board;
pub mod collector;
pub mod decode;
pub mod detect;
pub mod exporter;
pub mod mitigate;
pub mod record;

pub use record::{FlowRecord, Protocol};
