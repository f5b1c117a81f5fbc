//! Mitigation (stub).
