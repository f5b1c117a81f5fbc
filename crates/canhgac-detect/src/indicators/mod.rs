//! Indicators of compromise matched against events.
//!
//! [`IndicatorSet`] indexes up to millions of [`Indicator`]s so that checking an event costs a
//! few hash probes per *candidate* value, not per indicator:
//!
//! - IP addresses and CIDR networks: disjoint ranges per address family (see `ranges`; an
//!   address is a one-address block), one binary search per candidate address, narrowed for
//!   IPv4 by an index of the top 16 bits; every matching address indicator is reported, and of
//!   the networks the most specific unexpired one;
//! - domains: a hash table of the indicator strings; a candidate is looked up with each of its
//!   label suffixes (`a.b.evil.example` tries itself, `b.evil.example`, `evil.example`), after a
//!   cheap check that its last label is the last label of some domain indicator;
//! - URLs: normalised exact match (the same normalisation as stored indicators), tried only when
//!   the URL's host is the host of some URL indicator; the host is also checked as a domain or IP;
//! - MD5 / SHA-1 / SHA-256: hash tables of fixed-size byte arrays, chosen by the hex length;
//! - email addresses: exact match, plus the domain part as a domain.
//!
//! Which values are looked at is decided by their *shape*, not by field names. Every string
//! field value is searched (with `memchr`) for `.`, `:` and `@`: IPs, domains, URLs and emails
//! all hold one. The token around each (a run of letters, digits and `. - _ : @ +`) is
//! classified cheaply (IPv4 digits and three dots, IPv6 hex and colons, dotted name with a
//! known last label, `local@domain`, `scheme://`). Hashes are hex words of 32, 40 or 64 digits,
//! found by sampling every 16th byte. So `DestinationIp`, `c-ip`, an IP inside a syslog
//! `msg` ("Failed password for root from 203.0.113.5 port 22"), a domain in a command line and
//! the hashes of Sysmon's `Hashes` field ("SHA1=…,MD5=…,SHA256=…,IMPHASH=…"; the IMPHASH is not
//! an MD5 and is skipped) are all found. `Event::message` is scanned only when it is not a copy
//! of the fields: for raw lines, and for syslog when no field holds the same text.
//! `Event::host` and `Event::peer` are not looked at: they name the log's source, not what it
//! reports. Numbers are not addresses; lists are scanned element by element.
//!
//! ```
//! use canhgac_detect::IndicatorSet;
//! use canhgac_model::{Event, EventKind, Indicator, IndicatorKind, Severity, Timestamp};
//!
//! let indicator = |kind, value: &str| Indicator {
//!     id: 1, kind, value: value.into(), source: "manual".into(), description: String::new(),
//!     severity: Severity::High, tags: vec![], expires_at: None, created_at: Timestamp::UNIX_EPOCH,
//!     meta: Default::default(),
//! };
//! let set = IndicatorSet::new(vec![indicator(IndicatorKind::Cidr, "203.0.113.0/24")]);
//! let mut event = Event::new(EventKind::Syslog3164, "");
//! event.fields.push("msg", "Failed password for root from 203.0.113.5 port 22");
//! let mut hits = Vec::new();
//! set.matches(&event, &mut hits);
//! assert_eq!(hits[0].field, "msg");
//! assert_eq!(hits[0].value, "203.0.113.5");
//! ```

mod ranges;

use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use canhgac_model::{
    normalise_indicator, Event, EventKind, FieldValue, Id, Indicator, IndicatorKind, Timestamp,
};
use hashbrown::{DefaultHashBuilder, HashTable};

use ranges::{Ranges, NONE};

/// An indicator seen in an event.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorHit<'a> {
    /// The indicator that matched.
    pub indicator: &'a Indicator,
    /// The event field it was seen in (`message` for the event's text).
    pub field: String,
    /// The value as seen: the address, the domain (with its subdomain labels), the URL, the
    /// hash or the email address, lower-cased where the match ignores case.
    pub value: String,
}

/// An indicator [`IndicatorSet::new`] could not use, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedIndicator {
    /// The indicator's id.
    pub id: Id,
    /// Its value as given.
    pub value: String,
    /// Why it was left out.
    pub reason: String,
}

/// Every indicator, indexed for matching events; cheap to share (`Arc`) between ingestion
/// workers, since matching takes `&self`.
#[derive(Debug)]
pub struct IndicatorSet {
    indicators: Vec<Indicator>,
    /// Indicators with the same key form a chain: the head is in the table, the rest follow.
    next_same: Vec<u32>,
    rejected: Vec<RejectedIndicator>,
    hasher: DefaultHashBuilder,
    net4: Ranges<u32>,
    net4_index: Vec<u32>,
    net6: Ranges<u128>,
    /// Domain indicators, by index into `indicators`.
    domains: HashTable<u32>,
    /// The last labels of domain indicators ("com", "vn"): a candidate ending otherwise is
    /// skipped. Labels of up to 8 bytes are packed into a `u64` (see [`pack_label`]).
    short_last_labels: HashTable<u64>,
    /// The longer last labels.
    last_labels: HashTable<Box<[u8]>>,
    urls: HashTable<u32>,
    /// The hosts of URL indicators: only URLs on these hosts are normalised and looked up.
    url_hosts: HashTable<Box<[u8]>>,
    emails: HashTable<u32>,
    md5: HashTable<([u8; 16], u32)>,
    sha1: HashTable<([u8; 20], u32)>,
    sha256: HashTable<([u8; 32], u32)>,
    /// Some hash indicator exists: texts are scanned for hex words.
    has_hashes: bool,
    /// Some IP, network, domain, URL or email indicator exists.
    has_others: bool,
}

impl Default for IndicatorSet {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

/// Per-call state: where this call's hits start in `out` (for de-duplication) and the clock.
struct Ctx<'a, 'o> {
    out: &'o mut Vec<IndicatorHit<'a>>,
    start: usize,
    now: Option<Timestamp>,
    field: &'o str,
}

impl Ctx<'_, '_> {
    /// The instant expiry is judged against; read from the clock at the first hit only.
    fn now(&mut self) -> Timestamp {
        *self.now.get_or_insert_with(Timestamp::now)
    }
}

// Byte classes for the tokenizer.
const TOK: u8 = 1; // may be part of a candidate token
const HEX: u8 = 2; // 0-9 a-f A-F
const V4: u8 = 4; // 0-9 .
const V6: u8 = 8; // 0-9 a-f A-F : .
const DOT: u8 = 16;
const COLON: u8 = 32;
const AT: u8 = 64;
const ALPHA: u8 = 128;

const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let mut class = 0u8;
        if c.is_ascii_digit() {
            class |= TOK | HEX | V4 | V6;
        } else if c.is_ascii_hexdigit() {
            class |= TOK | HEX | V6 | ALPHA;
        } else if c.is_ascii_alphabetic() {
            class |= TOK | ALPHA;
        } else if c == b'.' {
            class |= TOK | V4 | V6 | DOT;
        } else if c == b':' {
            class |= TOK | V6 | COLON;
        } else if c == b'@' {
            class |= TOK | AT;
        } else if c == b'-' || c == b'_' || c == b'+' {
            class |= TOK;
        }
        table[b] = class;
        b += 1;
    }
    table
};

/// Ends a URL inside text.
fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`' | b'|' | b'^')
        || b < 0x20
}

/// Longest domain name.
const MAX_DOMAIN: usize = 253;
/// Longest email address looked up.
const MAX_EMAIL: usize = 320;

impl IndicatorSet {
    /// Indexes `indicators`. Values are normalised again (as [`normalise_indicator`] does);
    /// those that do not parse for their kind are left out and listed by [`Self::rejected`].
    pub fn new(indicators: Vec<Indicator>) -> Self {
        let mut set = IndicatorSet {
            indicators: Vec::with_capacity(indicators.len()),
            next_same: Vec::with_capacity(indicators.len()),
            rejected: Vec::new(),
            hasher: DefaultHashBuilder::default(),
            net4: Ranges::build(Vec::new()),
            net4_index: Vec::new(),
            net6: Ranges::build(Vec::new()),
            domains: HashTable::new(),
            short_last_labels: HashTable::new(),
            last_labels: HashTable::new(),
            urls: HashTable::new(),
            url_hosts: HashTable::new(),
            emails: HashTable::new(),
            md5: HashTable::new(),
            sha1: HashTable::new(),
            sha256: HashTable::new(),
            has_hashes: false,
            has_others: false,
        };
        let mut nets4 = Vec::new();
        let mut nets6 = Vec::new();
        for mut indicator in indicators {
            let value = match normalise_indicator(indicator.kind, &indicator.value) {
                Ok(value) => value,
                Err(reason) => {
                    set.rejected.push(RejectedIndicator {
                        id: indicator.id,
                        value: indicator.value,
                        reason,
                    });
                    continue;
                }
            };
            let idx = set.indicators.len() as u32;
            set.next_same.push(NONE);
            let kept = match indicator.kind {
                // An address is a one-address block among the networks: one search finds both.
                IndicatorKind::Ip => match value.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
                    Ok(IpAddr::V4(ip)) => {
                        nets4.push((u32::from(ip), u32::from(ip), idx));
                        true
                    }
                    Ok(IpAddr::V6(ip)) => {
                        nets6.push((u128::from(ip), u128::from(ip), idx));
                        true
                    }
                    Err(_) => false,
                },
                IndicatorKind::Cidr => match value.parse::<ipnet::IpNet>() {
                    Ok(ipnet::IpNet::V4(net)) => {
                        nets4.push((u32::from(net.network()), u32::from(net.broadcast()), idx));
                        true
                    }
                    Ok(ipnet::IpNet::V6(net)) => {
                        nets6.push((u128::from(net.network()), u128::from(net.broadcast()), idx));
                        true
                    }
                    Err(_) => false,
                },
                IndicatorKind::Domain => {
                    let last = value.rsplit('.').next().unwrap_or_default().as_bytes();
                    match pack_label(last) {
                        Some(packed) => {
                            let hash = set.hasher.hash_one(packed);
                            if set.short_last_labels.find(hash, |&p| p == packed).is_none() {
                                set.short_last_labels
                                    .insert_unique(hash, packed, |&p| set.hasher.hash_one(p));
                            }
                        }
                        None => insert_once(&mut set.last_labels, &set.hasher, last),
                    }
                    insert_str(
                        &mut set.domains,
                        &set.hasher,
                        &mut set.next_same,
                        &set.indicators,
                        value.as_bytes(),
                        idx,
                    );
                    true
                }
                IndicatorKind::Url => match url::Url::parse(&value) {
                    Ok(url) => {
                        if let Some(host) = url.host_str() {
                            insert_once(&mut set.url_hosts, &set.hasher, host.as_bytes());
                        }
                        insert_str(
                            &mut set.urls,
                            &set.hasher,
                            &mut set.next_same,
                            &set.indicators,
                            value.as_bytes(),
                            idx,
                        );
                        true
                    }
                    Err(_) => false,
                },
                IndicatorKind::Email => {
                    insert_str(
                        &mut set.emails,
                        &set.hasher,
                        &mut set.next_same,
                        &set.indicators,
                        value.as_bytes(),
                        idx,
                    );
                    true
                }
                IndicatorKind::Md5 => match decode_hex::<16>(value.as_bytes()) {
                    Some(key) => {
                        insert_fixed(&mut set.md5, &set.hasher, &mut set.next_same, key, idx);
                        true
                    }
                    None => false,
                },
                IndicatorKind::Sha1 => match decode_hex::<20>(value.as_bytes()) {
                    Some(key) => {
                        insert_fixed(&mut set.sha1, &set.hasher, &mut set.next_same, key, idx);
                        true
                    }
                    None => false,
                },
                IndicatorKind::Sha256 => match decode_hex::<32>(value.as_bytes()) {
                    Some(key) => {
                        insert_fixed(&mut set.sha256, &set.hasher, &mut set.next_same, key, idx);
                        true
                    }
                    None => false,
                },
            };
            if kept {
                indicator.value = value;
                set.indicators.push(indicator);
            } else {
                set.next_same.pop();
                set.rejected.push(RejectedIndicator {
                    id: indicator.id,
                    reason: format!("{:?} is not a valid {} value", value, indicator.kind),
                    value: indicator.value,
                });
            }
        }
        set.net4 = Ranges::build(nets4);
        set.net4_index = set.net4.index16();
        set.net6 = Ranges::build(nets6);
        set.has_hashes = !(set.md5.is_empty() && set.sha1.is_empty() && set.sha256.is_empty());
        set.has_others = !(set.net4.len() == 0
            && set.net6.len() == 0
            && set.domains.is_empty()
            && set.urls.is_empty()
            && set.emails.is_empty());
        set
    }

    /// Number of indicators indexed.
    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    /// True when there is no indicator.
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    /// The indicators left out by [`Self::new`], with reasons.
    pub fn rejected(&self) -> &[RejectedIndicator] {
        &self.rejected
    }

    /// Every indicator indexed.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// Appends to `out` every unexpired indicator seen in `event`, each once (in the first field
    /// it was seen in). Expiry is judged against the clock, read only when something matched.
    pub fn matches<'a>(&'a self, event: &Event, out: &mut Vec<IndicatorHit<'a>>) {
        self.scan_event(event, None, out);
    }

    /// As [`Self::matches`], judging expiry against `now` (tests, replays).
    pub fn matches_at<'a>(
        &'a self,
        event: &Event,
        now: Timestamp,
        out: &mut Vec<IndicatorHit<'a>>,
    ) {
        self.scan_event(event, Some(now), out);
    }

    /// Looks for indicators in one piece of text, attributing hits to `field`.
    pub fn matches_text<'a>(
        &'a self,
        text: &str,
        field: &str,
        now: Timestamp,
        out: &mut Vec<IndicatorHit<'a>>,
    ) {
        let start = out.len();
        let mut ctx = Ctx {
            out,
            start,
            now: Some(now),
            field,
        };
        self.scan_text(text.as_bytes(), &mut ctx);
    }

    fn scan_event<'a>(
        &'a self,
        event: &Event,
        mut now: Option<Timestamp>,
        out: &mut Vec<IndicatorHit<'a>>,
    ) {
        if self.indicators.is_empty() {
            return;
        }
        let start = out.len();
        for (name, value) in event.fields.iter() {
            let mut ctx = Ctx {
                out,
                start,
                now,
                field: name,
            };
            self.scan_value(value, &mut ctx);
            now = ctx.now;
        }
        let message_is_copy = match event.kind {
            EventKind::Raw => false,
            EventKind::Syslog3164 | EventKind::Syslog5424 => event
                .fields
                .iter()
                .any(|(_, v)| v.as_str() == Some(event.message.as_str())),
            // JSON, EVTX and access log fields hold everything the text says.
            EventKind::Json | EventKind::Evtx | EventKind::AccessLog => !event.fields.is_empty(),
        };
        if !message_is_copy {
            let mut ctx = Ctx {
                out,
                start,
                now,
                field: "message",
            };
            self.scan_text(event.message.as_bytes(), &mut ctx);
        }
    }

    fn scan_value<'a>(&'a self, value: &FieldValue, ctx: &mut Ctx<'a, '_>) {
        match value {
            FieldValue::Str(s) => self.scan_text(s.as_bytes(), ctx),
            FieldValue::List(items) => {
                for item in items {
                    self.scan_value(item, ctx);
                }
            }
            FieldValue::Null | FieldValue::Bool(_) | FieldValue::Int(_) | FieldValue::Float(_) => {}
        }
    }
}

// Scanning: text → tokens → candidates → lookups.
impl IndicatorSet {
    /// Two passes over a text: hashes (long hex words, found by sampling every 16th byte), then
    /// every token around a `.`, `:` or `@` (found with `memchr`): IPs, domains, URLs and
    /// emails all hold one, so the bytes between them are never classified one by one.
    fn scan_text<'a>(&'a self, b: &[u8], ctx: &mut Ctx<'a, '_>) {
        let n = b.len();
        if n < 4 {
            return;
        }
        if self.has_hashes && n >= 32 {
            self.scan_hashes(b, ctx);
        }
        if !self.has_others {
            return;
        }
        let mut from = 0;
        while let Some(anchor) = find_anchor(b, from) {
            let mut start = anchor;
            while start > from && CLASS[b[start - 1] as usize] & TOK != 0 {
                start -= 1;
            }
            let mut end = anchor + 1;
            while end < n && CLASS[b[end] as usize] & TOK != 0 {
                end += 1;
            }
            let token = &b[start..end];
            if token.len() >= 4
                && b[end - 1] == b':'
                && b[end..].starts_with(b"//")
                && token[..token.len() - 1].iter().all(u8::is_ascii_alphabetic)
            {
                let mut url_end = end + 2;
                while url_end < n && !ends_url(b[url_end]) {
                    url_end += 1;
                }
                // The path and query are scanned as ordinary text after the host.
                from = start + self.scan_url(&b[start..url_end], end + 2 - start, ctx);
                continue;
            }
            if token.len() >= 4 {
                let (or, and) = classes(token);
                self.scan_token(token, or, and, ctx);
            }
            from = end;
        }
    }

    /// Hex words of 32, 40 or 64 digits (not part of a longer word of letters and digits).
    /// Such a word holds two positions that are multiples of 16, so only pairs of hex bytes 16
    /// apart at those positions are looked at more closely.
    fn scan_hashes<'a>(&'a self, b: &[u8], ctx: &mut Ctx<'a, '_>) {
        let n = b.len();
        let mut i = 0;
        while i + 16 < n {
            // Every byte between the two samples is in the word too: checking a few of them
            // first spares expanding around the many hex letters of ordinary text.
            if ![16, 8, 4, 12, 0]
                .iter()
                .all(|&k| b[i + k].is_ascii_hexdigit())
            {
                i += 16;
                continue;
            }
            // At most 15 bytes back: a run reaching the previous sample was handled there.
            let mut start = i;
            while start > 0 && b[start - 1].is_ascii_hexdigit() {
                start -= 1;
            }
            let mut end = i + 1;
            while end < n && b[end].is_ascii_hexdigit() {
                end += 1;
            }
            let bounded = (start == 0 || !b[start - 1].is_ascii_alphanumeric())
                && (end == n || !b[end].is_ascii_alphanumeric());
            // Sysmon's Hashes field ends with IMPHASH=<32 hex>: an import hash, not an MD5.
            let imphash = start >= 8 && b[start - 8..start].eq_ignore_ascii_case(b"IMPHASH=");
            if bounded && matches!(end - start, 32 | 40 | 64) && !imphash {
                self.check_hash(&b[start..end], ctx);
            }
            i = end.div_ceil(16) * 16;
        }
    }

    /// One token holding a `.`, `:` or `@`; `or`/`and` are its byte classes combined.
    fn scan_token<'a>(&'a self, token: &[u8], or: u8, and: u8, ctx: &mut Ctx<'a, '_>) {
        if or & COLON != 0 {
            if and & V6 != 0 {
                let text = trim_end(token, b".");
                if let Some(ip) = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse::<Ipv6Addr>().ok())
                {
                    self.check_ip(IpAddr::V6(ip), text, ctx);
                    return;
                }
            }
            // host:port, proto:addr, a time of day: look at each part.
            for part in token.split(|&c| c == b':') {
                if part.len() >= 4 {
                    let (or, and) = classes(part);
                    self.scan_token(part, or, and, ctx);
                }
            }
            return;
        }
        let trimmed = trim_end(trim_start(token, b".-_+@"), b".-_+@");
        let (token, or, and) = if trimmed.len() == token.len() {
            (token, or, and)
        } else {
            let (or, and) = classes(trimmed);
            (trimmed, or, and)
        };
        if token.len() < 4 {
            return;
        }
        if or & AT != 0 {
            self.scan_email(token, ctx);
        } else if and & V4 != 0 {
            if let Some(ip) = parse_v4(token) {
                self.check_ip(IpAddr::V4(ip), token, ctx);
            }
        } else if or & DOT != 0 && or & ALPHA != 0 {
            self.scan_domain(token, ctx);
        }
    }

    fn scan_email<'a>(&'a self, token: &[u8], ctx: &mut Ctx<'a, '_>) {
        let mut parts = token.split(|&c| c == b'@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            for part in token.split(|&c| c == b'@') {
                if part.len() >= 4 {
                    let (or, and) = classes(part);
                    self.scan_token(part, or, and, ctx);
                }
            }
            return;
        };
        if !self.emails.is_empty() && !local.is_empty() && token.len() <= MAX_EMAIL {
            let mut buf = [0u8; MAX_EMAIL];
            let email = lower_into(token, &mut buf);
            if let Some(head) = find_str(&self.emails, &self.hasher, &self.indicators, email) {
                self.report_chain(head, email, ctx);
            }
        }
        if domain.len() >= 4 {
            let (or, and) = classes(domain);
            self.scan_token(domain, or, and, ctx);
        }
    }

    fn scan_domain<'a>(&'a self, token: &[u8], ctx: &mut Ctx<'a, '_>) {
        if self.domains.is_empty() || token.len() > MAX_DOMAIN {
            return;
        }
        let Some(last_dot) = token.iter().rposition(|&c| c == b'.') else {
            return;
        };
        if !self.known_last_label(&token[last_dot + 1..]) {
            return;
        }
        let mut buf = [0u8; MAX_DOMAIN];
        let name = lower_into(token, &mut buf);
        // Every suffix that still has a dot: the name itself, then its parents.
        let mut pos = 0;
        while pos <= last_dot {
            let suffix = &name[pos..];
            if let Some(head) = find_str(&self.domains, &self.hasher, &self.indicators, suffix) {
                self.report_chain(head, name, ctx);
            }
            match suffix.iter().position(|&c| c == b'.') {
                Some(dot) => pos += dot + 1,
                None => break,
            }
        }
    }

    /// A URL starting at `url[0]` with its authority at `host_start`; returns where its
    /// authority ends (the caller scans the rest as text).
    fn scan_url<'a>(&'a self, url: &[u8], host_start: usize, ctx: &mut Ctx<'a, '_>) -> usize {
        let rest = &url[host_start..];
        let authority_len = rest
            .iter()
            .position(|&c| matches!(c, b'/' | b'?' | b'#' | b'\\'))
            .unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let host_port = match authority.iter().rposition(|&c| c == b'@') {
            Some(at) => &authority[at + 1..],
            None => authority,
        };
        let (host, host_key) = if host_port.first() == Some(&b'[') {
            match host_port.iter().position(|&c| c == b']') {
                Some(close) => (&host_port[1..close], &host_port[..=close]),
                None => (&host_port[1..], &host_port[1..]),
            }
        } else {
            let end = host_port
                .iter()
                .position(|&c| c == b':')
                .unwrap_or(host_port.len());
            (&host_port[..end], &host_port[..end])
        };
        if host.len() >= 4 {
            let (or, and) = classes(host);
            self.scan_token(host, or, and, ctx);
        }
        if !self.urls.is_empty() && !host_key.is_empty() && host_key.len() <= MAX_DOMAIN + 2 {
            let mut buf = [0u8; MAX_DOMAIN + 2];
            let host_key = lower_into(host_key, &mut buf);
            if contains(&self.url_hosts, &self.hasher, host_key) {
                let trimmed = trim_end(url, b".,;:)]}");
                for candidate in [url, trimmed] {
                    if let Some(normal) = std::str::from_utf8(candidate)
                        .ok()
                        .and_then(|text| url::Url::parse(text).ok())
                    {
                        let normal = normal.as_str().as_bytes();
                        if let Some(head) =
                            find_str(&self.urls, &self.hasher, &self.indicators, normal)
                        {
                            self.report_chain(head, normal, ctx);
                            break;
                        }
                    }
                    if trimmed.len() == url.len() {
                        break;
                    }
                }
            }
        }
        host_start + authority_len
    }

    fn check_hash<'a>(&'a self, token: &[u8], ctx: &mut Ctx<'a, '_>) {
        let head = match token.len() {
            32 if !self.md5.is_empty() => {
                decode_hex::<16>(token).and_then(|k| find_fixed(&self.md5, &self.hasher, k))
            }
            40 if !self.sha1.is_empty() => {
                decode_hex::<20>(token).and_then(|k| find_fixed(&self.sha1, &self.hasher, k))
            }
            64 if !self.sha256.is_empty() => {
                decode_hex::<32>(token).and_then(|k| find_fixed(&self.sha256, &self.hasher, k))
            }
            _ => None,
        };
        if let Some(head) = head {
            let mut buf = [0u8; 64];
            let value = lower_into(token, &mut buf);
            self.report_chain(head, value, ctx);
        }
    }

    /// Reports every unexpired address indicator equal to `ip` and the most specific unexpired
    /// network holding it.
    fn check_ip<'a>(&'a self, ip: IpAddr, text: &[u8], ctx: &mut Ctx<'a, '_>) {
        let chain = match ip.to_canonical() {
            IpAddr::V4(ip) if self.net4.len() > 0 => {
                let addr = u32::from(ip);
                let high = (addr >> 16) as usize;
                let hint = (
                    self.net4_index[high] as usize,
                    self.net4_index[high + 1] as usize,
                );
                self.net4.holding(addr, hint)
            }
            IpAddr::V6(ip) if self.net6.len() > 0 => {
                self.net6.holding(u128::from(ip), self.net6.full())
            }
            _ => return,
        };
        let mut network_reported = false;
        for idx in chain {
            let is_network = self.indicators[idx as usize].kind == IndicatorKind::Cidr;
            if (is_network && network_reported) || !self.active(idx, ctx) {
                continue;
            }
            network_reported |= is_network;
            self.push_hit(idx, text, ctx);
        }
    }

    /// Whether some domain indicator ends with this label (any case).
    fn known_last_label(&self, label: &[u8]) -> bool {
        match pack_label(label) {
            Some(packed) => self
                .short_last_labels
                .find(self.hasher.hash_one(packed), |&p| p == packed)
                .is_some(),
            None if label.len() <= 63 => {
                let mut buf = [0u8; 63];
                contains(&self.last_labels, &self.hasher, lower_into(label, &mut buf))
            }
            None => false,
        }
    }

    fn active(&self, idx: u32, ctx: &mut Ctx<'_, '_>) -> bool {
        match self.indicators[idx as usize].expires_at {
            None => true,
            Some(expires) => expires > ctx.now(),
        }
    }

    /// Reports every unexpired indicator of the chain starting at `head`.
    fn report_chain<'a>(&'a self, head: u32, value: &[u8], ctx: &mut Ctx<'a, '_>) {
        let mut idx = head;
        while idx != NONE {
            if self.active(idx, ctx) {
                self.push_hit(idx, value, ctx);
            }
            idx = self.next_same[idx as usize];
        }
    }

    fn push_hit<'a>(&'a self, idx: u32, value: &[u8], ctx: &mut Ctx<'a, '_>) {
        let indicator = &self.indicators[idx as usize];
        if ctx.out[ctx.start..]
            .iter()
            .any(|hit| std::ptr::eq(hit.indicator, indicator))
        {
            return;
        }
        ctx.out.push(IndicatorHit {
            indicator,
            field: ctx.field.to_string(),
            value: String::from_utf8_lossy(value).into_owned(),
        });
    }
}

/// The next `.`, `:` or `@` at or after `from`. Short texts (most field values) are looked at
/// byte by byte: cheaper there than setting up a vectorised search.
fn find_anchor(b: &[u8], from: usize) -> Option<usize> {
    let rest = &b[from..];
    if rest.len() < 32 {
        rest.iter()
            .position(|&c| CLASS[c as usize] & (DOT | COLON | AT) != 0)
            .map(|i| from + i)
    } else {
        memchr::memchr3(b'.', b':', b'@', rest).map(|i| from + i)
    }
}

/// The byte classes of `token`, or-ed and and-ed.
fn classes(token: &[u8]) -> (u8, u8) {
    token.iter().fold((0u8, 0xffu8), |(or, and), &b| {
        let class = CLASS[b as usize];
        (or | class, and & class)
    })
}

fn trim_start<'t>(token: &'t [u8], chars: &[u8]) -> &'t [u8] {
    let skip = token.iter().take_while(|c| chars.contains(c)).count();
    &token[skip..]
}

fn trim_end<'t>(token: &'t [u8], chars: &[u8]) -> &'t [u8] {
    let skip = token.iter().rev().take_while(|c| chars.contains(c)).count();
    &token[..token.len() - skip]
}

/// Lower-cases `text` into `buf` (which must be long enough) and returns the written part.
fn lower_into<'b>(text: &[u8], buf: &'b mut [u8]) -> &'b [u8] {
    let out = &mut buf[..text.len()];
    for (o, c) in out.iter_mut().zip(text) {
        *o = c.to_ascii_lowercase();
    }
    out
}

/// A label of 1 to 8 bytes, lower-cased, as one integer (zero bytes pad; labels hold none).
fn pack_label(label: &[u8]) -> Option<u64> {
    if label.is_empty() || label.len() > 8 {
        return None;
    }
    let mut bytes = [0u8; 8];
    for (o, c) in bytes.iter_mut().zip(label) {
        *o = c.to_ascii_lowercase();
    }
    Some(u64::from_le_bytes(bytes))
}

/// Dotted-quad IPv4, each part 1–3 digits up to 255.
fn parse_v4(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut part = 0usize;
    let mut value = 0u32;
    let mut digits = 0;
    for &c in text {
        if c == b'.' {
            if digits == 0 || part == 3 {
                return None;
            }
            octets[part] = value as u8;
            part += 1;
            value = 0;
            digits = 0;
        } else if c.is_ascii_digit() {
            value = value * 10 + u32::from(c - b'0');
            digits += 1;
            if digits > 3 || value > 255 {
                return None;
            }
        } else {
            return None;
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    octets[3] = value as u8;
    Some(Ipv4Addr::from(octets))
}

fn decode_hex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let nibble = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

fn insert_fixed<K: std::hash::Hash + Eq + Copy>(
    table: &mut HashTable<(K, u32)>,
    hasher: &DefaultHashBuilder,
    next_same: &mut [u32],
    key: K,
    idx: u32,
) {
    let hash = hasher.hash_one(key);
    match table.find(hash, |entry| entry.0 == key) {
        Some(&(_, head)) => {
            next_same[idx as usize] = next_same[head as usize];
            next_same[head as usize] = idx;
        }
        None => {
            table.insert_unique(hash, (key, idx), |entry| hasher.hash_one(entry.0));
        }
    }
}

fn find_fixed<K: std::hash::Hash + Eq + Copy>(
    table: &HashTable<(K, u32)>,
    hasher: &DefaultHashBuilder,
    key: K,
) -> Option<u32> {
    if table.is_empty() {
        return None;
    }
    table
        .find(hasher.hash_one(key), |entry| entry.0 == key)
        .map(|entry| entry.1)
}

/// Inserts into a table of indices into `indicators`, keyed by their values. `idx` is not yet
/// in `indicators`: the table only ever rehashes entries already there.
fn insert_str(
    table: &mut HashTable<u32>,
    hasher: &DefaultHashBuilder,
    next_same: &mut [u32],
    indicators: &[Indicator],
    key: &[u8],
    idx: u32,
) {
    let hash = hasher.hash_one(key);
    match table.find(hash, |&i| indicators[i as usize].value.as_bytes() == key) {
        Some(&head) => {
            next_same[idx as usize] = next_same[head as usize];
            next_same[head as usize] = idx;
        }
        None => {
            table.insert_unique(hash, idx, |&i| {
                hasher.hash_one(indicators[i as usize].value.as_bytes())
            });
        }
    }
}

fn find_str(
    table: &HashTable<u32>,
    hasher: &DefaultHashBuilder,
    indicators: &[Indicator],
    key: &[u8],
) -> Option<u32> {
    table
        .find(hasher.hash_one(key), |&i| {
            indicators[i as usize].value.as_bytes() == key
        })
        .copied()
}

fn insert_once(table: &mut HashTable<Box<[u8]>>, hasher: &DefaultHashBuilder, key: &[u8]) {
    let hash = hasher.hash_one(key);
    if table.find(hash, |entry| &**entry == key).is_none() {
        table.insert_unique(hash, key.into(), |entry| hasher.hash_one(&**entry));
    }
}

fn contains(table: &HashTable<Box<[u8]>>, hasher: &DefaultHashBuilder, key: &[u8]) -> bool {
    table
        .find(hasher.hash_one(key), |entry| &**entry == key)
        .is_some()
}

#[cfg(test)]
mod tests;
