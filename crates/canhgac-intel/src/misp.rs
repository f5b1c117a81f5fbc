//! MISP.
