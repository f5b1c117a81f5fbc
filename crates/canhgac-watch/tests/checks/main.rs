//! Every kind of check against servers on loopback: a portal that changes, is defaced and goes
//! down; HTTPS with good, expiring, expired, untrusted and misnamed certificates; redirect loops,
//! huge bodies and slow-loris servers; a windows-1258 page; SMTP and IMAP with STARTTLS; a DNS
//! server whose answers change; closed ports and ping.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod dns;
mod http;
mod https;
mod mail;
mod net;
mod support;
