//! ISP network watch: the flow records routers export, and what canhgac makes of them.
//!
//! Directive clause 3 asks ISPs to watch their networks and stop attacks. This room owns:
//!
//! - [`record`]: [`FlowRecord`], the one shape every decoder produces and every detector reads.
//! - [`detect`]: the [`detect::Detector`], which turns flow batches into attack events (floods,
//!   amplification, outgoing scans, traffic with indicator addresses) per host and prefix group.
//! - [`mitigate`]: the [`mitigate::Mitigator`], which answers attacks with operator scripts,
//!   signed webhooks, BGP blackholes and FlowSpec rules through BIRD 2, and audits each action.
//!
//! Decoders (NetFlow v5, v9, IPFIX, sFlow v5), the UDP collector, attack detection and mitigation
//! (scripts, webhooks, BGP blackhole and FlowSpec through BIRD) arrive as modules of this crate.

pub mod detect;
pub mod mitigate;
pub mod record;

pub use record::{FlowRecord, Protocol};
