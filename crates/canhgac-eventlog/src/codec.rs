//! The compact binary form of an [`Event`] inside a block, and the little-endian helpers the
//! frame and summary formats share.
//!
//! An event is written as:
//!
//! ```text
//! time: i64 seconds, u32 nanoseconds      received: i64 seconds, u32 nanoseconds
//! kind: u8 (index in EventKind::ALL)      presence: u8 (bit 0 host, bit 1 peer, bit 2 unit)
//! [unit: i64]  [peer: u8 4|6 + 4|16 bytes]  [host: str]
//! message: str
//! fields: varint count, then (name: str, value) each
//! value: u8 tag (0 null, 1 false, 2 true, 3 int zigzag varint, 4 f64, 5 str, 6 list: varint n + values)
//! str: varint byte length + UTF-8 bytes
//! ```
//!
//! serde_json would also do, but this form is about four times smaller before compression and
//! decodes without a parser, which is what search spends its time on.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use canhgac_model::{Event, EventKind, FieldValue, Fields, Timestamp};

/// Why bytes could not be decoded.
pub(crate) type DecodeResult<T> = Result<T, String>;

const HAS_HOST: u8 = 1;
const HAS_PEER: u8 = 2;
const HAS_UNIT: u8 = 4;

/// Lists nested deeper than this are refused (a corrupt block must not recurse without end).
const MAX_DEPTH: usize = 32;

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn put_time(out: &mut Vec<u8>, t: Timestamp) {
    put_i64(out, t.as_second());
    put_u32(out, t.subsec_nanosecond() as u32);
}

/// Appends the binary form of `event` to `out`.
pub(crate) fn encode_event(event: &Event, out: &mut Vec<u8>) {
    put_time(out, event.time);
    put_time(out, event.received);
    let kind = EventKind::ALL
        .iter()
        .position(|k| *k == event.kind)
        .unwrap_or(0) as u8;
    out.push(kind);
    let mut presence = 0;
    if event.host.is_some() {
        presence |= HAS_HOST;
    }
    if event.peer.is_some() {
        presence |= HAS_PEER;
    }
    if event.unit_id.is_some() {
        presence |= HAS_UNIT;
    }
    out.push(presence);
    if let Some(unit) = event.unit_id {
        put_i64(out, unit);
    }
    match event.peer {
        Some(IpAddr::V4(ip)) => {
            out.push(4);
            out.extend_from_slice(&ip.octets());
        }
        Some(IpAddr::V6(ip)) => {
            out.push(6);
            out.extend_from_slice(&ip.octets());
        }
        None => {}
    }
    if let Some(host) = &event.host {
        put_str(out, host);
    }
    put_str(out, &event.message);
    put_varint(out, event.fields.len() as u64);
    for (name, value) in event.fields.iter() {
        put_str(out, name);
        put_value(out, value);
    }
}

fn put_value(out: &mut Vec<u8>, value: &FieldValue) {
    match value {
        FieldValue::Null => out.push(0),
        FieldValue::Bool(false) => out.push(1),
        FieldValue::Bool(true) => out.push(2),
        FieldValue::Int(i) => {
            out.push(3);
            put_varint(out, ((*i << 1) ^ (*i >> 63)) as u64);
        }
        FieldValue::Float(f) => {
            out.push(4);
            out.extend_from_slice(&f.to_le_bytes());
        }
        FieldValue::Str(s) => {
            out.push(5);
            put_str(out, s);
        }
        FieldValue::List(items) => {
            out.push(6);
            put_varint(out, items.len() as u64);
            for item in items {
                put_value(out, item);
            }
        }
    }
}

/// A cursor over bytes that fails, rather than panics, on anything short or malformed.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn bytes(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        if self.remaining() < n {
            return Err(format!(
                "needs {n} bytes at {}, only {} left",
                self.pos,
                self.remaining()
            ));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> DecodeResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> DecodeResult<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> DecodeResult<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> DecodeResult<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub(crate) fn varint(&mut self) -> DecodeResult<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    /// A length that must fit in what is left of the buffer.
    pub(crate) fn len(&mut self) -> DecodeResult<usize> {
        let n = self.varint()?;
        if n > self.remaining() as u64 {
            return Err(format!(
                "length {n} exceeds the {} bytes left",
                self.remaining()
            ));
        }
        Ok(n as usize)
    }

    fn str(&mut self) -> DecodeResult<&'a str> {
        utf8(self.str_bytes()?)
    }

    /// A string's bytes, not yet checked to be UTF-8.
    fn str_bytes(&mut self) -> DecodeResult<&'a [u8]> {
        let n = self.len()?;
        self.bytes(n)
    }

    pub(crate) fn time(&mut self) -> DecodeResult<Timestamp> {
        let secs = self.i64()?;
        let nanos = self.u32()?;
        Timestamp::new(secs, nanos as i32).map_err(|e| format!("invalid time: {e}"))
    }
}

/// Checks that stored bytes are UTF-8.
pub(crate) fn utf8(bytes: &[u8]) -> DecodeResult<&str> {
    std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8: {e}"))
}

/// An encoded event read in place: what search tests before decoding a match whole. Strings
/// are left as bytes: checking UTF-8 costs more than most tests, and ASCII needs no check.
pub(crate) struct EventView<'a> {
    pub time: Timestamp,
    pub unit_id: Option<i64>,
    pub host: Option<&'a [u8]>,
    pub message: &'a [u8],
    fields: &'a [u8],
    n_fields: usize,
}

/// A field value read in place: strings borrowed, the rest (small) decoded.
pub(crate) enum ValueRef<'a> {
    Str(&'a [u8]),
    Other(FieldValue),
}

/// Reads the head of an encoded event, leaving its fields for [`EventView::fields`].
pub(crate) fn view(buf: &[u8]) -> DecodeResult<EventView<'_>> {
    let mut r = Reader::new(buf);
    let time = r.time()?;
    r.bytes(12 + 1)?;
    let presence = r.u8()?;
    let unit_id = if presence & HAS_UNIT != 0 {
        Some(r.i64()?)
    } else {
        None
    };
    if presence & HAS_PEER != 0 {
        match r.u8()? {
            4 => r.bytes(4)?,
            6 => r.bytes(16)?,
            other => return Err(format!("unknown address family {other}")),
        };
    }
    let host = if presence & HAS_HOST != 0 {
        Some(r.str_bytes()?)
    } else {
        None
    };
    let message = r.str_bytes()?;
    let n_fields = r.len()?;
    Ok(EventView {
        time,
        unit_id,
        host,
        message,
        fields: &buf[r.pos..],
        n_fields,
    })
}

impl<'a> EventView<'a> {
    /// Calls `each` with every field until it returns false.
    pub(crate) fn fields(
        &self,
        mut each: impl FnMut(&'a [u8], ValueRef<'a>) -> bool,
    ) -> DecodeResult<()> {
        let mut r = Reader::new(self.fields);
        for _ in 0..self.n_fields {
            let name = r.str_bytes()?;
            let value = if r.buf.get(r.pos) == Some(&5) {
                r.u8()?;
                ValueRef::Str(r.str_bytes()?)
            } else {
                ValueRef::Other(value(&mut r, 0)?)
            };
            if !each(name, value) {
                break;
            }
        }
        Ok(())
    }
}

/// Decodes one event written by [`encode_event`].
pub(crate) fn decode_event(buf: &[u8]) -> DecodeResult<Event> {
    let mut r = Reader::new(buf);
    let time = r.time()?;
    let received = r.time()?;
    let kind_idx = r.u8()?;
    let kind = *EventKind::ALL
        .get(kind_idx as usize)
        .ok_or_else(|| format!("unknown event kind {kind_idx}"))?;
    let presence = r.u8()?;
    let unit_id = if presence & HAS_UNIT != 0 {
        Some(r.i64()?)
    } else {
        None
    };
    let peer = if presence & HAS_PEER != 0 {
        match r.u8()? {
            4 => Some(IpAddr::V4(Ipv4Addr::from(r.array::<4>()?))),
            6 => Some(IpAddr::V6(Ipv6Addr::from(r.array::<16>()?))),
            other => return Err(format!("unknown address family {other}")),
        }
    } else {
        None
    };
    let host = if presence & HAS_HOST != 0 {
        Some(r.str()?.to_string())
    } else {
        None
    };
    let message = r.str()?.to_string();
    let n = r.len()?;
    let mut fields = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str()?.to_string();
        let value = value(&mut r, 0)?;
        fields.push((name, value));
    }
    if r.remaining() != 0 {
        return Err(format!("{} bytes left after the event", r.remaining()));
    }
    Ok(Event {
        time,
        received,
        kind,
        host,
        peer,
        unit_id,
        message,
        fields: Fields(fields),
    })
}

fn value(r: &mut Reader<'_>, depth: usize) -> DecodeResult<FieldValue> {
    Ok(match r.u8()? {
        0 => FieldValue::Null,
        1 => FieldValue::Bool(false),
        2 => FieldValue::Bool(true),
        3 => {
            let z = r.varint()?;
            FieldValue::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
        }
        4 => FieldValue::Float(f64::from_le_bytes(r.array()?)),
        5 => FieldValue::Str(r.str()?.to_string()),
        6 => {
            if depth >= MAX_DEPTH {
                return Err("lists nested too deep".into());
            }
            let n = r.len()?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(value(r, depth + 1)?);
            }
            FieldValue::List(items)
        }
        tag => return Err(format!("unknown value tag {tag}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Event {
        let mut e = Event::new(EventKind::Evtx, "An account failed to log on");
        e.host = Some("ws-01.example".into());
        e.peer = Some("2001:db8::1".parse().unwrap());
        e.unit_id = Some(-7);
        e.fields.push("EventID", 4625);
        e.fields.push("Neg", FieldValue::Int(i64::MIN));
        e.fields.push("F", FieldValue::Float(1.5));
        e.fields.push("B", FieldValue::Bool(true));
        e.fields.push("N", FieldValue::Null);
        e.fields.push(
            "L",
            FieldValue::List(vec!["a".into(), FieldValue::List(vec![FieldValue::Int(3)])]),
        );
        e
    }

    #[test]
    fn every_value_shape_round_trips() {
        let e = sample();
        let mut buf = Vec::new();
        encode_event(&e, &mut buf);
        assert_eq!(decode_event(&buf).unwrap(), e);
        let view = view(&buf).unwrap();
        assert_eq!(view.time, e.time);
        assert_eq!(view.unit_id, Some(-7));
        assert_eq!(view.host, Some(&b"ws-01.example"[..]));
        assert_eq!(view.message, e.message.as_bytes());
        let mut names = Vec::new();
        view.fields(|n, v| {
            names.push(utf8(n).unwrap());
            if n == b"EventID" {
                assert!(matches!(v, ValueRef::Other(FieldValue::Int(4625))));
            }
            true
        })
        .unwrap();
        assert_eq!(names, ["EventID", "Neg", "F", "B", "N", "L"]);
    }

    #[test]
    fn truncated_or_garbled_bytes_are_errors_not_panics() {
        let mut buf = Vec::new();
        encode_event(&sample(), &mut buf);
        for cut in 0..buf.len() {
            assert!(decode_event(&buf[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0xff;
            let _ = decode_event(&bad); // must not panic
            if let Ok(v) = view(&bad) {
                let _ = v.fields(|_, _| true);
            }
        }
    }
}
