//! The flat Windows shape: one EVTX record (as the tree the `evtx` crate's JSON rendering
//! gives, or the same JSON arriving over HTTP) becomes `EventID`, `Channel`, `Provider_Name`,
//! `Computer`, ... plus every `EventData`/`UserData` name.

use canhgac_model::{FieldValue, Fields, Timestamp};

use crate::jtree::J;

/// What the Windows shape yields besides the fields.
pub(crate) struct WindowsShape {
    pub(crate) fields: Fields,
    /// `System.TimeCreated.SystemTime`, parsed.
    pub(crate) time: Option<Timestamp>,
    /// `System.Computer`, lower-case.
    pub(crate) host: Option<String>,
}

/// The `Event` object of `root` when it looks like a rendered EVTX record:
/// `{"Event": {"System": {...}, ...}}`.
pub(crate) fn event_object<'t, 'a>(root: &'t J<'a>) -> Option<&'t J<'a>> {
    let event = root.get("Event")?;
    matches!(event.get("System"), Some(J::Obj(_))).then_some(event)
}

/// Flattens one `Event` object (see [`event_object`]).
pub(crate) fn shape(event: &J<'_>) -> WindowsShape {
    let mut fields = Fields(Vec::with_capacity(32));
    let mut time = None;
    let mut host = None;
    if let Some(J::Obj(system)) = event.get("System") {
        for (key, value) in system {
            system_value(key, value, &mut fields, &mut time, &mut host);
        }
    }
    if let Some(J::Obj(data)) = event.get("EventData") {
        for (key, value) in data {
            match key.as_ref() {
                "#attributes" => {}
                "Data" => {
                    let inner = value.get("#text").unwrap_or(value);
                    set_data(&mut fields, "Data", inner);
                }
                name => set_data(&mut fields, name, value),
            }
        }
    }
    if let Some(J::Obj(user_data)) = event.get("UserData") {
        // One element (e.g. `LogFileCleared`) whose children are the data.
        for (_, inner) in user_data {
            if let J::Obj(children) = inner {
                for (name, value) in children {
                    if name != "#attributes" {
                        set_data(&mut fields, name, value);
                    }
                }
            }
        }
    }
    WindowsShape { fields, time, host }
}

/// One child of `System`.
fn system_value(
    key: &str,
    value: &J<'_>,
    fields: &mut Fields,
    time: &mut Option<Timestamp>,
    host: &mut Option<String>,
) {
    match key {
        "Provider" => {
            if let Some(name) = attribute(value, "Name") {
                fields.push("Provider_Name", name.to_text_field());
            }
            if let Some(guid) = attribute(value, "Guid") {
                fields.push("Provider_Guid", guid.to_text_field());
            }
        }
        "EventID" => {
            let id = value.get("#text").unwrap_or(value);
            fields.push("EventID", integer(id));
        }
        "Version" | "Level" | "Task" | "Opcode" | "EventRecordID" => {
            fields.push(key.to_string(), integer(value));
        }
        "Keywords" | "Channel" => fields.push(key.to_string(), value.to_text_field()),
        "Computer" => {
            if let Some(name) = value.as_str() {
                *host = Some(name.to_lowercase());
            }
            fields.push("Computer", value.to_text_field());
        }
        "TimeCreated" => {
            if let Some(J::Str(text)) = attribute(value, "SystemTime") {
                *time = text.parse::<Timestamp>().ok();
                fields.push("TimeCreated", FieldValue::Str(text.to_string()));
            }
        }
        "Security" => {
            if let Some(user) = attribute(value, "UserID") {
                fields.push("Security_UserID", user.to_text_field());
            }
        }
        _ => {}
    }
}

/// The System children [`system_value`] reads; the rest are skipped unparsed.
fn wanted_system_key(key: &str) -> bool {
    matches!(
        key,
        "Provider"
            | "EventID"
            | "Version"
            | "Level"
            | "Task"
            | "Opcode"
            | "EventRecordID"
            | "Keywords"
            | "Channel"
            | "Computer"
            | "TimeCreated"
            | "Security"
    )
}

/// Reads a rendered EVTX record (`{"Event": {...}}` JSON) straight into the Windows shape,
/// without building a tree of the whole document: `EventData` values go from the parser to
/// the fields. `None` when the document has no `Event.System`.
/// Takes `&str` so that the parser, knowing the text is UTF-8, does not check it again.
pub(crate) fn shape_json(text: &str) -> Result<Option<WindowsShape>, serde_json::Error> {
    let mut acc = Acc {
        shape: WindowsShape {
            fields: Fields(Vec::with_capacity(32)),
            time: None,
            host: None,
        },
        system: false,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    RootSeed(&mut acc).deserialize(&mut de)?;
    de.end()?;
    Ok(acc.system.then_some(acc.shape))
}

struct Acc {
    shape: WindowsShape,
    system: bool,
}

use crate::jtree::KeyCow;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Implements `Visitor` for a seed that only accepts a JSON object.
macro_rules! object_visitor {
    ($seed:ident, |$this:ident, $map:ident| $body:block) => {
        impl<'de> DeserializeSeed<'de> for $seed<'_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> Visitor<'de> for $seed<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut $map: A) -> Result<(), A::Error> {
                let $this = self;
                $body
                Ok(())
            }
            // Anything else (null, a string) holds nothing we read.
            fn visit_unit<E>(self) -> Result<(), E> {
                Ok(())
            }
            fn visit_str<E>(self, _: &str) -> Result<(), E> {
                Ok(())
            }
            fn visit_bool<E>(self, _: bool) -> Result<(), E> {
                Ok(())
            }
            fn visit_i64<E>(self, _: i64) -> Result<(), E> {
                Ok(())
            }
            fn visit_u64<E>(self, _: u64) -> Result<(), E> {
                Ok(())
            }
            fn visit_f64<E>(self, _: f64) -> Result<(), E> {
                Ok(())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
        }
    };
}

struct RootSeed<'a>(&'a mut Acc);
object_visitor!(RootSeed, |this, map| {
    while let Some(key) = map.next_key::<KeyCow<'de>>()? {
        if key.0 == "Event" {
            map.next_value_seed(EventSeed(&mut *this.0))?;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
});

struct EventSeed<'a>(&'a mut Acc);
object_visitor!(EventSeed, |this, map| {
    while let Some(key) = map.next_key::<KeyCow<'de>>()? {
        match key.0.as_ref() {
            "System" => map.next_value_seed(SystemSeed(&mut *this.0))?,
            "EventData" => map.next_value_seed(DataSeed(&mut this.0.shape.fields))?,
            "UserData" => map.next_value_seed(UserDataSeed(&mut this.0.shape.fields))?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
});

struct SystemSeed<'a>(&'a mut Acc);
object_visitor!(SystemSeed, |this, map| {
    this.0.system = true;
    let shape = &mut this.0.shape;
    while let Some(key) = map.next_key::<KeyCow<'de>>()? {
        if wanted_system_key(&key.0) {
            let value: J<'de> = map.next_value()?;
            system_value(
                &key.0,
                &value,
                &mut shape.fields,
                &mut shape.time,
                &mut shape.host,
            );
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
});

/// `EventData` (or the element inside `UserData`): every child by name.
struct DataSeed<'a>(&'a mut Fields);
object_visitor!(DataSeed, |this, map| {
    while let Some(key) = map.next_key::<KeyCow<'de>>()? {
        match key.0.as_ref() {
            "#attributes" => {
                map.next_value::<IgnoredAny>()?;
            }
            "Data" => {
                let value: J<'de> = map.next_value()?;
                set_data(this.0, "Data", value.get("#text").unwrap_or(&value));
            }
            name => match map.next_value::<DataValue<'de>>()? {
                DataValue::Text(value) => this.0.push(name.to_string(), value),
                DataValue::Tree(tree) => set_data(this.0, name, &tree),
            },
        }
    }
});

struct UserDataSeed<'a>(&'a mut Fields);
object_visitor!(UserDataSeed, |this, map| {
    while let Some(_key) = map.next_key::<IgnoredAny>()? {
        map.next_value_seed(DataSeed(&mut *this.0))?;
    }
});

/// One data value: a scalar straight to its text field value, anything else as a tree.
enum DataValue<'a> {
    Text(FieldValue),
    Tree(J<'a>),
}

impl<'de> serde::Deserialize<'de> for DataValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DataValueVisitor)
    }
}

struct DataValueVisitor;

impl<'de> Visitor<'de> for DataValueVisitor {
    type Value = DataValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a data value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(DataValue::Text(FieldValue::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(DataValue::Text(FieldValue::Str(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(DataValue::Text(FieldValue::Str(v.to_string())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(DataValue::Text(FieldValue::Str(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(DataValue::Text(FieldValue::Str(v.to_string())))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(DataValue::Text(FieldValue::Str(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(DataValue::Text(FieldValue::Str(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        crate::jtree::JVisitor.visit_seq(seq).map(DataValue::Tree)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        crate::jtree::JVisitor.visit_map(map).map(DataValue::Tree)
    }
}

/// `{"#attributes": {name: v}}` → `v`.
fn attribute<'t, 'a>(element: &'t J<'a>, name: &str) -> Option<&'t J<'a>> {
    element.get("#attributes")?.get(name)
}

/// A System value that is a number (`EventID`, `Level`, ...): `Int` when it reads as one.
fn integer(value: &J<'_>) -> FieldValue {
    match value {
        J::Int(i) => FieldValue::Int(*i),
        J::Str(s) => s
            .trim()
            .parse::<i64>()
            .map(FieldValue::Int)
            .unwrap_or_else(|_| FieldValue::Str(s.to_string())),
        other => other.to_field(),
    }
}

/// An EventData/UserData value, kept as text (Sigma compares these as strings); an element
/// with attributes contributes its `#text`; a nested element is flattened with dots.
fn set_data(fields: &mut Fields, name: &str, value: &J<'_>) {
    match value {
        J::Obj(pairs) => {
            if let Some(text) = value.get("#text") {
                fields.push(name.to_string(), text.to_text_field());
                return;
            }
            for (key, inner) in pairs {
                if key != "#attributes" {
                    set_data(fields, &format!("{name}.{key}"), inner);
                }
            }
        }
        other => fields.push(name.to_string(), other.to_text_field()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_eventdata_and_qualifiers() {
        let text = br##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"{5770}"}},"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},"Version":2,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2019-08-14T14:06:44.4956748Z"}},"EventRecordID":12294,"Channel":"System","Computer":"WS01.Example.Local","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":{"ServiceName":"evil","ImagePath":"C:\\evil.exe","StartType":3}}}"##;
        let tree = J::parse(text).unwrap();
        let shape = shape(event_object(&tree).unwrap());
        let f = &shape.fields;
        assert_eq!(f.get("EventID"), Some(&FieldValue::Int(7045)));
        assert_eq!(f.get_str("Provider_Name"), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(f.get("Level"), Some(&FieldValue::Int(4)));
        assert_eq!(f.get_str("Channel"), Some("System"));
        assert_eq!(f.get_str("Security_UserID"), Some("S-1-5-18"));
        assert_eq!(f.get_str("ImagePath"), Some("C:\\evil.exe"));
        assert_eq!(f.get_str("StartType"), Some("3"), "EventData stays text");
        assert_eq!(f.get("EventRecordID"), Some(&FieldValue::Int(12294)));
        assert_eq!(shape.host.as_deref(), Some("ws01.example.local"));
        assert_eq!(
            shape.time.unwrap().to_string(),
            "2019-08-14T14:06:44.4956748Z"
        );
    }

    #[test]
    fn unnamed_data_and_user_data() {
        let text = br##"{"Event":{"System":{"EventID":"104","Computer":"a"},"EventData":{"Data":{"#text":["one","2"]},"Binary":"00FF"},"UserData":{"LogFileCleared":{"#attributes":{"xmlns":"y"},"SubjectUserName":"bob","BackupPath":null}}}}"##;
        let tree = J::parse(text).unwrap();
        let f = shape(event_object(&tree).unwrap()).fields;
        assert_eq!(f.get("EventID"), Some(&FieldValue::Int(104)));
        assert_eq!(
            f.get("Data"),
            Some(&FieldValue::List(vec!["one".into(), "2".into()]))
        );
        assert_eq!(f.get_str("Binary"), Some("00FF"));
        assert_eq!(f.get_str("SubjectUserName"), Some("bob"));
        assert_eq!(f.get("BackupPath"), Some(&FieldValue::Null));
        assert_eq!(f.get("xmlns"), None);
    }

    #[test]
    fn streaming_reader_agrees_with_the_tree() {
        for text in [
            r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":0},"#text":7045},"Computer":"A","Correlation":null,"Execution":{"#attributes":{"ProcessID":4}}},"EventData":{"Data":{"#text":["x","y"]},"Binary":"00","Nested":{"#text":"t"},"Deep":{"a":{"b":1}},"Arr":[1,"2"],"N":null,"B":true,"F":1.5}}}"##,
            r##"{"Event":{"System":{"EventID":1},"UserData":{"X":{"#attributes":{"xmlns":"y"},"User":"bob","Sub":{"k":"v"}}}}}"##,
        ] {
            let tree = J::parse(text.as_bytes()).unwrap();
            let from_tree = shape(event_object(&tree).unwrap());
            let streamed = shape_json(text).unwrap().unwrap();
            assert_eq!(streamed.fields, from_tree.fields);
            assert_eq!(streamed.host, from_tree.host);
        }
        assert!(shape_json(r#"{"Event":{"x":1}}"#).unwrap().is_none());
        assert!(shape_json(r#"{"Event":{"System":{}}} trailing"#).is_err());
    }

    #[test]
    fn not_windows_without_system() {
        let tree = J::parse(br##"{"Event":{"x":1}}"##).unwrap();
        assert!(event_object(&tree).is_none());
    }
}
