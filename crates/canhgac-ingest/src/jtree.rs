//! A borrowed JSON tree: objects as vectors of pairs (in document order), strings borrowed from
//! the input where they hold no escapes. Cheaper to build than `serde_json::Value`, which is
//! what the EVTX and JSON decoders need: they walk the tree once and copy out flat fields.

use std::borrow::Cow;
use std::fmt;

use canhgac_model::FieldValue;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum J<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An unsigned integer beyond `i64`, kept as its text.
    Big(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Arr(Vec<J<'a>>),
    Obj(Vec<(Cow<'a, str>, J<'a>)>),
}

// serde_json refuses nesting deeper than 128, which also bounds the recursion of every walk
// over a tree.
impl<'a> J<'a> {
    /// Parses `bytes` as one JSON document.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<J<'a>, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The member `key` of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&J<'a>> {
        match self {
            J::Obj(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as text when it is a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar as a field value: numbers stay numbers; arrays become lists; objects become
    /// their JSON text (callers flatten objects before they get here).
    pub(crate) fn to_field(&self) -> FieldValue {
        match self {
            J::Null => FieldValue::Null,
            J::Bool(b) => FieldValue::Bool(*b),
            J::Int(i) => FieldValue::Int(*i),
            J::Big(u) => FieldValue::Str(u.to_string()),
            J::Float(f) => FieldValue::Float(*f),
            J::Str(s) => FieldValue::Str(s.to_string()),
            J::Arr(items) => FieldValue::List(items.iter().map(J::to_field).collect()),
            J::Obj(_) => FieldValue::Str(self.to_json()),
        }
    }

    /// A scalar as a string field value (numbers in decimal), as EVTX data values are kept.
    pub(crate) fn to_text_field(&self) -> FieldValue {
        match self {
            J::Null => FieldValue::Null,
            J::Bool(b) => FieldValue::Str(b.to_string()),
            J::Int(i) => FieldValue::Str(i.to_string()),
            J::Big(u) => FieldValue::Str(u.to_string()),
            J::Float(f) => FieldValue::Str(f.to_string()),
            J::Str(s) => FieldValue::Str(s.to_string()),
            J::Arr(items) => FieldValue::List(items.iter().map(J::to_text_field).collect()),
            J::Obj(_) => FieldValue::Str(self.to_json()),
        }
    }

    /// Compact JSON text of this value.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => {
                let _ = write!(out, "{i}");
            }
            J::Big(u) => {
                let _ = write!(out, "{u}");
            }
            J::Float(f) => match serde_json::to_string(f) {
                Ok(text) => out.push_str(&text),
                Err(_) => out.push_str("null"),
            },
            J::Str(s) => write_json_string(s, out),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            J::Obj(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_json_string(s: &str, out: &mut String) {
    match serde_json::to_string(s) {
        Ok(text) => out.push_str(&text),
        Err(_) => out.push_str("\"\""),
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for J<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JVisitor)
    }
}

pub(crate) struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(J::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(J::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(J::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(J::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map(J::Int).unwrap_or(J::Big(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(J::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(J::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(J::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(J::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(J::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(key) = map.next_key::<KeyCow<'de>>()? {
            let value = map.next_value()?;
            pairs.push((key.0, value));
        }
        Ok(J::Obj(pairs))
    }
}

/// A map key, borrowed when it can be.
pub(crate) struct KeyCow<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for KeyCow<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyCow<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(KeyCow(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(KeyCow(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(KeyCow(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_in_order_and_borrows() {
        let text = br##"{"b":1,"a":[true,null,"x\"y"],"c":{"d":1.5},"e":18446744073709551615}"##;
        let tree = J::parse(text).unwrap();
        let J::Obj(pairs) = &tree else { panic!() };
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "c", "e"]);
        assert!(matches!(pairs[0].0, Cow::Borrowed(_)));
        assert_eq!(tree.get("e"), Some(&J::Big(u64::MAX)));
        assert_eq!(
            tree.to_json(),
            r##"{"b":1,"a":[true,null,"x\"y"],"c":{"d":1.5},"e":18446744073709551615}"##
        );
    }
}
