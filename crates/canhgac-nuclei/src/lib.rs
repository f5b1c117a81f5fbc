//! Nuclei-compatible template engine of canhgac.
pub mod dsl;
pub mod functions;
pub mod loader;
pub mod operators;
pub mod template;
