//! ISP network watch: the flow records routers export, and what canhgac makes of them.
//!
//! Directive clause 3 asks ISPs to watch their networks and stop attacks. This room owns:
//!
//! - [`record`]: [`FlowRecord`], the one shape every decoder produces and every detector reads.
//!
//! Decoders (NetFlow v5, v9, IPFIX, sFlow v5), the UDP collector, attack detection and mitigation
//! (scripts, webhooks, BGP blackhole and FlowSpec through BIRD) arrive as modules of this crate.

pub mod record;

pub use record::{FlowRecord, Protocol};
