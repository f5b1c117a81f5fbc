//! Sigma rules: parse, compile, evaluate and correlate. Pure: callers hand in rule text and
//! events; this crate reads no files and opens no sockets.
