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
            match key.as_ref() {
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
                        host = Some(name.to_lowercase());
                    }
                    fields.push("Computer", value.to_text_field());
                }
                "TimeCreated" => {
                    if let Some(J::Str(text)) = attribute(value, "SystemTime") {
                        time = text.parse::<Timestamp>().ok();
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
    fn not_windows_without_system() {
        let tree = J::parse(br##"{"Event":{"x":1}}"##).unwrap();
        assert!(event_object(&tree).is_none());
    }
}
