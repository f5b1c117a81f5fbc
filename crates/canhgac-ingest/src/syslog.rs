//! Syslog messages: RFC 5424, RFC 3164 and the variants real senders use, and the TCP framer.
//!
//! [`decode`] never fails. It reads, in order:
//! - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG` (nil values `-`, structured
//!   data as fields `<sdid>.<param>`, a UTF-8 BOM before MSG dropped);
//! - RFC 3164 and kin: optional `<PRI>`, a timestamp (`Mmm dd hh:mm:ss` with optional
//!   fraction or year, or RFC 3339 as rsyslog writes it), an optional host name or IP, then
//!   `TAG[PID]: MSG`. A 3164 timestamp carries no year and no zone: the year is the one that
//!   puts the time nearest to `received`, the zone is [`DecodeOptions::time_zone`]
//!   (default Asia/Ho_Chi_Minh);
//! - anything else: a [`EventKind::Raw`] event holding the line.
//!
//! Fields: `facility`, `severity` (names: `auth`, `err`, ...), `hostname`, `program`, `pid`,
//! `msgid`, `msg`. `Event.message` is the whole line; `Event.host` the host name, lower-case.

use std::net::IpAddr;
use std::sync::OnceLock;

use canhgac_model::{Event, EventKind, Fields, Timestamp};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

/// Facility names by number (RFC 5424 table 1, with the names rsyslog and Sigma use).
pub const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// Severity names by number.
pub const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// How to read what a message leaves open.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// The zone of RFC 3164 timestamps, which carry none.
    pub time_zone: TimeZone,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            time_zone: default_zone().clone(),
        }
    }
}

fn default_zone() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(|| {
        TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or_else(|_| {
            // Viet Nam has kept UTC+7 without daylight saving since 1975.
            TimeZone::fixed(jiff::tz::offset(7))
        })
    })
}

/// Decodes one syslog message with the default options (3164 times in Asia/Ho_Chi_Minh).
pub fn decode(line: &[u8], received: Timestamp, peer: Option<IpAddr>) -> Event {
    decode_in(line, received, peer, default_zone())
}

/// Decodes one syslog message with `options`.
pub fn decode_with(
    line: &[u8],
    received: Timestamp,
    peer: Option<IpAddr>,
    options: &DecodeOptions,
) -> Event {
    decode_in(line, received, peer, &options.time_zone)
}

fn decode_in(line: &[u8], received: Timestamp, peer: Option<IpAddr>, zone: &TimeZone) -> Event {
    let line = trim_line(line);
    let text = String::from_utf8_lossy(line);
    let mut event = Event {
        time: received,
        received,
        kind: EventKind::Raw,
        host: None,
        peer,
        unit_id: None,
        message: String::new(),
        fields: Fields(Vec::with_capacity(8)),
    };
    let (pri, rest) = match parse_pri(&text) {
        Some((pri, rest)) => (Some(pri), rest),
        None => (None, text.as_ref()),
    };
    if let Some(pri) = pri {
        let facility = usize::from(pri / 8);
        event.fields.push(
            "facility",
            FACILITIES.get(facility).copied().unwrap_or("unknown"),
        );
        event
            .fields
            .push("severity", SEVERITIES[usize::from(pri % 8)]);
    }
    let parsed = match rest.strip_prefix("1 ") {
        Some(after) if pri.is_some() => parse_5424(after, &mut event),
        _ => false,
    } || parse_3164(rest, pri.is_some(), received, zone, &mut event);
    if !parsed {
        event.kind = EventKind::Raw;
        event
            .fields
            .0
            .retain(|(n, _)| n == "facility" || n == "severity");
    }
    event.message = text.into_owned();
    event
}

/// Drops trailing CR, LF and NUL, and leading LF/NUL (a stray frame separator).
fn trim_line(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n' | b'\0'] = line {
        line = rest;
    }
    while let [b'\n' | b'\0' | b'\r', rest @ ..] = line {
        line = rest;
    }
    line
}

/// `<N>` with N in 0..=191 and at most 3 digits.
fn parse_pri(text: &str) -> Option<(u8, &str)> {
    let rest = text.strip_prefix('<')?;
    let end = rest.find('>')?;
    let digits = &rest[..end];
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pri: u16 = digits.parse().ok()?;
    (pri <= 191).then_some((pri as u8, &rest[end + 1..]))
}

/// Splits off one space-delimited token.
fn token(text: &str) -> Option<(&str, &str)> {
    if text.is_empty() {
        return None;
    }
    Some(match text.find(' ') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    })
}

fn nil(value: &str) -> Option<&str> {
    (value != "-" && !value.is_empty()).then_some(value)
}

/// RFC 5424 after `<PRI>1 `. Leaves `event` untouched (but for pushed fields it removes) when
/// the header does not read.
fn parse_5424(text: &str, event: &mut Event) -> bool {
    let Some((ts, rest)) = token(text) else {
        return false;
    };
    let time = match ts {
        "-" => None,
        ts => match ts.parse::<Timestamp>() {
            Ok(t) => Some(t),
            Err(_) => return false,
        },
    };
    let Some((host, rest)) = token(rest) else {
        return false;
    };
    let Some((app, rest)) = token(rest) else {
        return false;
    };
    let Some((procid, rest)) = token(rest) else {
        return false;
    };
    let Some((msgid, rest)) = token(rest) else {
        return false;
    };
    let mut sd_fields = Vec::new();
    let msg = if let Some(after) = rest.strip_prefix('-') {
        after
    } else if rest.starts_with('[') {
        match parse_structured_data(rest, &mut sd_fields) {
            Some(after) => after,
            None => return false,
        }
    } else {
        return false;
    };
    // rsyslog forwards a 3164 message's MSG with its leading space (`- -  text`); spaces
    // before MSG carry nothing.
    let msg = msg.trim_start_matches(' ');
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    event.kind = EventKind::Syslog5424;
    if let Some(time) = time {
        event.time = time;
    }
    if let Some(host) = nil(host) {
        event.host = Some(host.to_lowercase());
        event.fields.push("hostname", host);
    }
    if let Some(app) = nil(app) {
        event.fields.push("program", app);
    }
    if let Some(pid) = nil(procid) {
        event.fields.push("pid", pid);
    }
    if let Some(msgid) = nil(msgid) {
        event.fields.push("msgid", msgid);
    }
    for (name, value) in sd_fields {
        event.fields.set(name, value);
    }
    event.fields.push("msg", msg);
    true
}

/// `[id k="v" ...][id2 ...]`; returns the text after the last element. Values unescape
/// `\"`, `\\` and `\]`; any other backslash stays.
fn parse_structured_data<'a>(
    mut text: &'a str,
    out: &mut Vec<(String, String)>,
) -> Option<&'a str> {
    while let Some(after) = text.strip_prefix('[') {
        let id_end = after.find([' ', ']'])?;
        let id = &after[..id_end];
        if id.is_empty() {
            return None;
        }
        let mut rest = &after[id_end..];
        loop {
            rest = rest.trim_start_matches(' ');
            if let Some(after) = rest.strip_prefix(']') {
                rest = after;
                break;
            }
            let eq = rest.find('=')?;
            let name = &rest[..eq];
            if name.is_empty() || name.contains([' ', ']', '"']) {
                return None;
            }
            let quoted = rest[eq + 1..].strip_prefix('"')?;
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                let (i, c) = chars.next()?;
                match c {
                    '\\' => match chars.clone().next() {
                        Some((_, next @ ('"' | '\\' | ']'))) => {
                            value.push(next);
                            chars.next();
                        }
                        _ => value.push('\\'),
                    },
                    '"' => break i,
                    c => value.push(c),
                }
            };
            out.push((format!("{id}.{name}"), value));
            rest = &quoted[end + 1..];
        }
        text = rest;
    }
    Some(text)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// RFC 3164 and the BSD-style lines of syslog files. Without a PRI, a timestamp is required
/// (else the line is not syslog at all).
fn parse_3164(
    text: &str,
    has_pri: bool,
    received: Timestamp,
    zone: &TimeZone,
    event: &mut Event,
) -> bool {
    let (time, rest) = match parse_3164_time(text, received, zone) {
        Some((time, rest)) => (Some(time), rest),
        None if has_pri => (None, text),
        None => return false,
    };
    event.kind = EventKind::Syslog3164;
    if let Some(time) = time {
        event.time = time;
    }
    let rest = rest.trim_start_matches(' ');
    // HOSTNAME, unless the next token is already the tag (`tag:` / `tag[pid]:`), as local
    // senders and `logger` without a host write it.
    let rest = match token(rest) {
        Some((host, after)) if time.is_some() && is_hostname(host) && !after.is_empty() => {
            event.host = Some(host.to_lowercase());
            event.fields.push("hostname", host);
            after
        }
        _ => rest,
    };
    let msg = match parse_tag(rest) {
        Some((program, pid, msg)) => {
            event.fields.push("program", program);
            if let Some(pid) = pid {
                event.fields.push("pid", pid);
            }
            msg
        }
        None => rest,
    };
    event.fields.push("msg", msg);
    true
}

/// A host name or IP literal: letters, digits, `-`, `.`, `_`, `:` (IPv6); not ending in `:`
/// and no `[` (those are tags).
fn is_hostname(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 255
        && !token.ends_with(':')
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
}

/// `TAG[PID]: MSG`, `TAG: MSG` or `TAG[PID] MSG`. TAG: up to 48 printable characters
/// without spaces, `[` or `:`.
fn parse_tag(text: &str) -> Option<(&str, Option<&str>, &str)> {
    let end = text.find(['[', ':', ' '])?;
    let tag = &text[..end];
    if tag.is_empty() || tag.len() > 48 {
        return None;
    }
    let rest = &text[end..];
    let (pid, rest) = match rest.strip_prefix('[') {
        Some(after) => {
            let close = after.find(']')?;
            (Some(&after[..close]), &after[close + 1..])
        }
        None => (None, rest),
    };
    let msg = if let Some(after) = rest.strip_prefix(':') {
        after.strip_prefix(' ').unwrap_or(after)
    } else if pid.is_some() {
        rest.strip_prefix(' ').unwrap_or(rest)
    } else {
        // `word rest` with no colon: not a tag.
        return None;
    };
    Some((tag, pid, msg))
}

/// `Mmm dd hh:mm:ss[.frac]`, `Mmm dd yyyy hh:mm:ss`, or an RFC 3339 timestamp.
fn parse_3164_time<'a>(
    text: &'a str,
    received: Timestamp,
    zone: &TimeZone,
) -> Option<(Timestamp, &'a str)> {
    let first = text.as_bytes().first()?;
    if first.is_ascii_digit() {
        let (ts, rest) = token(text)?;
        return Some((ts.parse::<Timestamp>().ok()?, rest));
    }
    let month = MONTHS.iter().position(|m| text.get(..3) == Some(*m))? as i8 + 1;
    let rest = text.get(3..)?.strip_prefix(' ')?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest); // "Nov  5"
    let (day, rest) = token(rest)?;
    let day: i8 = day.parse().ok()?;
    let (mut clock, mut rest) = token(rest)?;
    let mut year = None;
    if clock.len() == 4 && clock.bytes().all(|b| b.is_ascii_digit()) {
        year = clock.parse::<i16>().ok();
        (clock, rest) = token(rest)?;
    }
    let time = parse_clock(clock)?;
    let at = |year: i16| -> Option<Timestamp> {
        let date = Date::new(year, month, day).ok()?;
        zone.to_timestamp(DateTime::from_parts(date, time)).ok()
    };
    let timestamp = match year {
        Some(year) => at(year)?,
        None => {
            let this_year = received.to_zoned(zone.clone()).year();
            [this_year, this_year - 1, this_year + 1]
                .into_iter()
                .filter_map(at)
                .min_by_key(|t| (t.as_second() - received.as_second()).unsigned_abs())?
        }
    };
    Some((timestamp, rest))
}

fn parse_clock(clock: &str) -> Option<Time> {
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (clock, None),
    };
    let mut parts = hms.split(':');
    let hour: i8 = parts.next()?.parse().ok()?;
    let minute: i8 = parts.next()?.parse().ok()?;
    let second: i8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let nanos = match frac {
        Some(frac)
            if !frac.is_empty() && frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit()) =>
        {
            frac.parse::<i32>().ok()? * 10i32.pow(9 - frac.len() as u32)
        }
        Some(_) => return None,
        None => 0,
    };
    Time::new(hour, minute, second, nanos).ok()
}

/// What [`Framer::next_frame`] yields.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// One message (without its delimiter or length prefix).
    Message(&'a [u8]),
    /// A message longer than the limit was skipped; `len` is its length when known (octet
    /// counting), else the bytes dropped before the skip began.
    Oversized {
        /// Length of the skipped message, or the bytes seen so far.
        len: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    None,
    /// Dropping the rest of an octet-counted message.
    Bytes(usize),
    /// Dropping until the next LF or NUL.
    ToDelimiter,
}

/// Splits a TCP byte stream into syslog messages (RFC 6587): octet counting (`LEN SP MSG`)
/// and non-transparent framing (messages ended by LF or NUL), told apart at the start of each
/// frame (a frame starting with a digit is counted, `<` or anything else is delimited), so a
/// sender may use either. Messages longer than `max_message` are counted and skipped up to the
/// next frame; the connection goes on.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    start: usize,
    max: usize,
    skip: Skip,
}

impl Framer {
    /// A framer for messages of at most `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max: max_message.max(1),
            skip: Skip::None,
        }
    }

    /// Adds bytes read from the connection.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && (self.start >= self.buf.len() || self.start > 64 * 1024) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes held that do not yet form a frame.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame, or `None` until more bytes are pushed.
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        loop {
            match self.skip {
                Skip::Bytes(n) => {
                    let take = n.min(self.pending());
                    self.start += take;
                    if take < n {
                        self.skip = Skip::Bytes(n - take);
                        return None;
                    }
                    self.skip = Skip::None;
                }
                Skip::ToDelimiter => {
                    let data = &self.buf[self.start..];
                    match memchr::memchr2(b'\n', 0, data) {
                        Some(i) => {
                            self.start += i + 1;
                            self.skip = Skip::None;
                        }
                        None => {
                            self.start = self.buf.len();
                            return None;
                        }
                    }
                }
                Skip::None => {}
            }
            let data = &self.buf[self.start..];
            // Separators between frames (a sender's trailing LF after a counted frame).
            let blank = data
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r' | b'\0' | b' '))
                .count();
            if blank > 0 {
                self.start += blank;
                continue;
            }
            let first = *data.first()?;
            if first.is_ascii_digit() {
                match octet_count(data) {
                    Count::Need => {
                        return None;
                    }
                    Count::Len(len, header) => {
                        if len > self.max {
                            self.start += header;
                            self.skip = Skip::Bytes(len);
                            return Some(Frame::Oversized { len });
                        }
                        if data.len() < header + len {
                            return None;
                        }
                        let begin = self.start + header;
                        self.start = begin + len;
                        return Some(Frame::Message(&self.buf[begin..begin + len]));
                    }
                    Count::NotCounted => {}
                }
            }
            let data = &self.buf[self.start..];
            return match memchr::memchr2(b'\n', 0, data) {
                Some(i) if i <= self.max => {
                    let begin = self.start;
                    self.start += i + 1;
                    Some(Frame::Message(&self.buf[begin..begin + i]))
                }
                Some(i) => {
                    self.start += i + 1;
                    Some(Frame::Oversized { len: i })
                }
                None if data.len() > self.max => {
                    let len = data.len();
                    self.start = self.buf.len();
                    self.skip = Skip::ToDelimiter;
                    Some(Frame::Oversized { len })
                }
                None => None,
            };
        }
    }

    /// At end of stream: what is left, as a last message when it is not empty (a sender that
    /// closes without a final LF).
    pub fn finish(&mut self) -> Option<Frame<'_>> {
        if self.skip != Skip::None || self.pending() == 0 {
            return None;
        }
        let begin = self.start;
        self.start = self.buf.len();
        let rest = &self.buf[begin..];
        (rest.len() <= self.max).then_some(Frame::Message(rest))
    }
}

enum Count {
    Need,
    Len(usize, usize),
    NotCounted,
}

/// `DIGITS SP` at the start of `data`: the length and the header size.
fn octet_count(data: &[u8]) -> Count {
    let digits = data.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > 10 {
        return Count::NotCounted;
    }
    match data.get(digits) {
        None => Count::Need,
        Some(b' ') => {
            let mut len = 0usize;
            for b in &data[..digits] {
                len = len.saturating_mul(10).saturating_add(usize::from(b - b'0'));
            }
            if len == 0 {
                return Count::NotCounted;
            }
            Count::Len(len, digits + 1)
        }
        Some(_) => Count::NotCounted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received() -> Timestamp {
        "2026-11-26T01:00:00Z".parse().unwrap()
    }

    fn d(line: &str) -> Event {
        decode(line.as_bytes(), received(), None)
    }

    #[test]
    fn rfc5424_full() {
        let line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Appli\\\"cation\" eventID=\"1011\"][examplePriority@32473 class=\"high\\]x\"] \u{feff}An application event";
        let e = d(line);
        assert_eq!(e.kind, EventKind::Syslog5424);
        assert_eq!(e.fields.get_str("facility"), Some("local4"));
        assert_eq!(e.fields.get_str("severity"), Some("notice"));
        assert_eq!(e.fields.get_str("hostname"), Some("mymachine.example.com"));
        assert_eq!(e.host.as_deref(), Some("mymachine.example.com"));
        assert_eq!(e.fields.get_str("program"), Some("evntslog"));
        assert_eq!(e.fields.get("pid"), None);
        assert_eq!(e.fields.get_str("msgid"), Some("ID47"));
        assert_eq!(
            e.fields.get_str("exampleSDID@32473.eventSource"),
            Some("Appli\"cation")
        );
        assert_eq!(
            e.fields.get_str("examplePriority@32473.class"),
            Some("high]x")
        );
        assert_eq!(e.fields.get_str("msg"), Some("An application event"));
        assert_eq!(e.time.to_string(), "2003-10-11T22:14:15.003Z");
        assert_eq!(e.message, line);
    }

    #[test]
    fn rfc5424_nil_everything() {
        let e = d("<13>1 - - - - - -");
        assert_eq!(e.kind, EventKind::Syslog5424);
        assert_eq!(e.time, received());
        assert_eq!(e.host, None);
        assert_eq!(e.fields.get_str("msg"), Some(""));
    }

    #[test]
    fn rfc3164_with_pid_and_year_inference() {
        let e =
            d("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(e.kind, EventKind::Syslog3164);
        assert_eq!(e.fields.get_str("facility"), Some("auth"));
        assert_eq!(e.fields.get_str("severity"), Some("crit"));
        assert_eq!(e.fields.get_str("hostname"), Some("mymachine"));
        assert_eq!(e.fields.get_str("program"), Some("su"));
        assert_eq!(e.fields.get_str("pid"), Some("230"));
        assert_eq!(
            e.fields.get_str("msg"),
            Some("'su root' failed for lonvick on /dev/pts/8")
        );
        // 22:14:15 in UTC+7, the year of `received`.
        assert_eq!(e.time.to_string(), "2026-10-11T15:14:15Z");
    }

    #[test]
    fn december_lines_read_in_january_belong_to_last_year() {
        let jan: Timestamp = "2027-01-01T00:30:00Z".parse().unwrap();
        let e = decode(b"<13>Dec 31 23:59:00 h app: x", jan, None);
        assert_eq!(e.time.to_string(), "2026-12-31T16:59:00Z");
        let dec: Timestamp = "2026-12-31T23:59:00Z".parse().unwrap();
        let e = decode(b"<13>Jan  1 07:01:00 h app: x", dec, None);
        assert_eq!(e.time.to_string(), "2027-01-01T00:01:00Z");
    }

    #[test]
    fn configurable_zone() {
        let options = DecodeOptions {
            time_zone: TimeZone::UTC,
        };
        let e = decode_with(b"<13>Nov 26 00:59:00 h app: x", received(), None, &options);
        assert_eq!(e.time.to_string(), "2026-11-26T00:59:00Z");
    }

    #[test]
    fn rfc3164_without_host_and_ip_host() {
        let e = d("<13>Nov  5 10:00:00 sshd[99]: Accepted publickey");
        assert_eq!(e.host, None);
        assert_eq!(e.fields.get_str("program"), Some("sshd"));
        assert_eq!(e.fields.get_str("pid"), Some("99"));
        let e = d("<13>Nov  5 10:00:00 192.0.2.7 kernel: boom");
        assert_eq!(e.host.as_deref(), Some("192.0.2.7"));
        assert_eq!(e.fields.get_str("program"), Some("kernel"));
        assert_eq!(e.fields.get_str("msg"), Some("boom"));
    }

    #[test]
    fn syslog_file_lines_without_pri() {
        let e = d("Nov 26 07:59:01 web01 CRON[1234]: (root) CMD (run-parts)");
        assert_eq!(e.kind, EventKind::Syslog3164);
        assert_eq!(e.fields.get("facility"), None);
        assert_eq!(e.fields.get_str("program"), Some("CRON"));
        let e = d("2026-11-26T07:59:01.123456+07:00 web01 systemd[1]: Started x.");
        assert_eq!(e.kind, EventKind::Syslog3164);
        assert_eq!(e.time.to_string(), "2026-11-26T00:59:01.123456Z");
        assert_eq!(e.host.as_deref(), Some("web01"));
        assert_eq!(e.fields.get_str("program"), Some("systemd"));
        assert_eq!(e.fields.get_str("msg"), Some("Started x."));
    }

    #[test]
    fn pri_but_no_timestamp_keeps_the_rest() {
        let e = d("<12>sudo: pam_unix(sudo:session): session opened");
        assert_eq!(e.kind, EventKind::Syslog3164);
        assert_eq!(e.time, received());
        assert_eq!(e.fields.get_str("program"), Some("sudo"));
        assert_eq!(e.fields.get_str("severity"), Some("warning"));
    }

    #[test]
    fn anything_else_is_raw() {
        for line in [
            "hello world",
            "",
            "<999>x",
            "\u{1}\u{2}",
            "<13>1 notatime h a p m - x",
        ] {
            let e = d(line);
            assert!(
                e.kind == EventKind::Raw || line.starts_with("<13>1"),
                "{line:?} -> {:?}",
                e.kind
            );
            assert_eq!(e.message, line);
        }
        // A 5424 header that does not read falls back to 3164 reading (PRI kept).
        let e = d("<13>1 notatime h a p m - x");
        assert_eq!(e.kind, EventKind::Syslog3164);
        assert_eq!(e.fields.get_str("facility"), Some("user"));
    }

    #[test]
    fn trailing_newline_and_invalid_utf8() {
        let e = decode(b"<13>Nov 26 07:00:00 h app: caf\xff\r\n", received(), None);
        assert_eq!(e.fields.get_str("msg"), Some("caf\u{fffd}"));
        assert!(!e.message.ends_with('\n'));
    }

    fn frames(framer: &mut Framer) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(frame) = framer.next_frame() {
            out.push(match frame {
                Frame::Message(m) => String::from_utf8_lossy(m).into_owned(),
                Frame::Oversized { len } => format!("OVERSIZED {len}"),
            });
        }
        out
    }

    #[test]
    fn framer_lf_nul_and_octet_counting_mixed_and_split() {
        let mut f = Framer::new(100);
        let stream = b"<13>a\n<13>b\x0011 <13>counted\n\n5 <13>c<13>d\r\n";
        // Feed one byte at a time: frames must not depend on read boundaries.
        let mut got = Vec::new();
        for b in stream {
            f.push(&[*b]);
            got.extend(frames(&mut f));
        }
        assert_eq!(got, ["<13>a", "<13>b", "<13>counted", "<13>c", "<13>d\r"]);
        assert_eq!(f.finish(), None);
    }

    #[test]
    fn framer_skips_oversized_and_goes_on() {
        let mut f = Framer::new(10);
        f.push(b"20 aaaaaaaaaaaaaaaaaaaa3 <1>");
        assert_eq!(frames(&mut f), ["OVERSIZED 20", "<1>"]);
        f.push(b"<13>this line is too long\n<13>ok\n");
        assert_eq!(frames(&mut f), ["OVERSIZED 25", "<13>ok"]);
        // Unterminated overlong line: skipped up to the next delimiter even across pushes.
        f.push(b"<13>xxxxxxxxxxxxxxxx");
        assert_eq!(frames(&mut f), ["OVERSIZED 20"]);
        f.push(b"yyyy\n<13>next");
        assert_eq!(frames(&mut f), Vec::<String>::new());
        assert_eq!(f.finish(), Some(Frame::Message(b"<13>next")));
    }
}
