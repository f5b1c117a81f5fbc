//! Reading the YAML format: the line-annotated tree becomes records, with an error (file, line,
//! field) for everything that does not fit.

use std::collections::HashMap;
use std::sync::Arc;

use canhgac_model::inventory::{
    AssetRecord, ContactRecord, InventoryDocument, MonitorRecord, SystemRecord, UnitRecord,
};
use canhgac_model::{
    AssetKind, AuthorityInput, Date, DefacementSettings, MonitorInput, MonitorKind, Software,
};

use crate::error::Errors;
use crate::parsed::{finish, Origin, ParsedInventory, RecordOrigins, Sections};
use crate::tree::{self, Node, Value};
use crate::values;

pub(crate) const TOP_KEYS: &[&str] = &["units", "systems", "contacts", "authorities", "monitors"];
pub(crate) const UNIT_KEYS: &[&str] = &[
    "code",
    "name",
    "kind",
    "parent",
    "address",
    "valid_from",
    "valid_to",
];
pub(crate) const SYSTEM_KEYS: &[&str] = &[
    "code",
    "name",
    "kind",
    "owner",
    "operator",
    "security_level",
    "level_decision_number",
    "level_decision_date",
    "information_class",
    "purpose",
    "services",
    "security_controls",
    "isp",
    "security_provider",
    "assets",
];
pub(crate) const ASSET_KEYS: &[&str] = &[
    "kind",
    "value",
    "name",
    "os",
    "os_version",
    "software",
    "note",
];
pub(crate) const SOFTWARE_KEYS: &[&str] = &["name", "version", "cpe"];
pub(crate) const CONTACT_KEYS: &[&str] = &[
    "unit",
    "name",
    "position",
    "responsibility",
    "phone",
    "email",
];
pub(crate) const MONITOR_KEYS: &[&str] = &[
    "system",
    "asset",
    "asset_kind",
    "name",
    "kind",
    "target",
    "interval",
    "timeout",
    "retries",
    "enabled",
    "public",
    "probes",
    "conditions",
    "body_contains",
    "body_not_contains",
    "method",
    "record_type",
    "expected",
    "resolver",
    "starttls",
    "cert_warn_days",
    "defacement",
];
pub(crate) const DEFACEMENT_KEYS: &[&str] = &["ignore", "markers", "change_threshold"];
pub(crate) const AUTHORITY_KEYS: &[&str] = &[
    "code",
    "name",
    "address",
    "phones",
    "emails",
    "valid_from",
    "valid_to",
    "note",
];

/// Reads a YAML inventory.
pub(crate) fn read(file: &str, text: &str, errors: &mut Errors) -> ParsedInventory {
    let name: Arc<str> = Arc::from(file);
    let mut reader = Reader {
        file: name,
        errors,
        document: InventoryDocument::default(),
        origins: RecordOrigins::default(),
        sections: Sections::default(),
    };
    match tree::parse(text) {
        Err(e) => reader.errors.at(
            Some(e.line),
            None,
            format!("YAML syntax error: {}", e.message),
        ),
        Ok(None) => {}
        Ok(Some(root)) => reader.root(&root),
    }
    let Reader {
        document,
        origins,
        sections,
        errors,
        ..
    } = reader;
    finish(file, document, sections, origins, errors)
}

struct Reader<'e> {
    file: Arc<str>,
    errors: &'e mut Errors,
    document: InventoryDocument,
    origins: RecordOrigins,
    sections: Sections,
}

/// The fields of one record, checked against the keys its kind allows.
struct Fields<'a> {
    map: HashMap<&'static str, &'a Node>,
    origin: Origin,
    /// Set when any field failed, so the record is dropped instead of half-read.
    failed: bool,
}

impl<'e> Reader<'e> {
    fn root(&mut self, root: &Node) {
        if root.is_null() {
            return;
        }
        let Some(fields) = self.fields(root, TOP_KEYS, None) else {
            return;
        };
        // Top-level keys are read in a fixed order so units exist before what refers to them.
        for key in TOP_KEYS {
            let Some(node) = fields.map.get(key) else {
                continue;
            };
            let items = match &node.value {
                _ if node.is_null() => &[][..],
                Value::Seq(items) => items.as_slice(),
                _ => {
                    self.errors.at(
                        Some(node.line),
                        Some(*key),
                        format!("expected a list of records, found {}", node.shape()),
                    );
                    continue;
                }
            };
            match *key {
                "units" => {
                    self.sections.units = true;
                    items.iter().for_each(|n| self.unit(n));
                }
                "systems" => {
                    self.sections.systems = true;
                    items.iter().for_each(|n| self.system(n));
                }
                "contacts" => {
                    self.sections.contacts = true;
                    items.iter().for_each(|n| self.contact(n));
                }
                "monitors" => {
                    self.sections.monitors = true;
                    items.iter().for_each(|n| self.monitor(n));
                }
                _ => {
                    self.sections.authorities = true;
                    items.iter().for_each(|n| self.authority(n));
                }
            }
        }
    }

    /// Checks that `node` is a mapping with known, scalar, unique keys.
    fn fields<'a>(
        &mut self,
        node: &'a Node,
        allowed: &'static [&'static str],
        what: Option<&str>,
    ) -> Option<Fields<'a>> {
        let Value::Map(entries) = &node.value else {
            let expected = what.map_or("a mapping".to_string(), |w| format!("a mapping (one {w})"));
            self.errors.at(
                Some(node.line),
                None,
                format!("expected {expected}, found {}", node.shape()),
            );
            return None;
        };
        let mut fields = Fields {
            map: HashMap::new(),
            origin: Origin {
                file: self.file.clone(),
                line: Some(node.line),
                fields: Vec::with_capacity(entries.len()),
                software: Vec::new(),
            },
            failed: false,
        };
        for (key, value) in entries {
            let Value::Scalar { text, .. } = &key.value else {
                self.errors
                    .at(Some(key.line), None, "a key must be a single word");
                fields.failed = true;
                continue;
            };
            let Some(known) = allowed.iter().find(|k| **k == text.as_str()) else {
                self.errors.at(
                    Some(key.line),
                    Some(text),
                    format!(
                        "unknown key {text:?}, expected one of: {}",
                        allowed.join(", ")
                    ),
                );
                fields.failed = true;
                continue;
            };
            if let Some(first) = fields
                .origin
                .fields
                .iter()
                .find(|(k, _)| k == known)
                .map(|(_, l)| l)
            {
                self.errors.at(
                    Some(key.line),
                    Some(text),
                    format!("key written twice (first on line {first})"),
                );
                fields.failed = true;
                continue;
            }
            fields.origin.fields.push((known, key.line));
            fields.map.insert(known, value);
        }
        Some(fields)
    }

    fn scalar<'a>(&mut self, f: &mut Fields<'a>, key: &str) -> Option<&'a str> {
        let node = f.map.get(key)?;
        if node.is_null() {
            return None;
        }
        match &node.value {
            Value::Scalar { text, .. } => Some(text.as_str()),
            _ => {
                self.errors.at(
                    f.origin.line_of(key),
                    Some(key),
                    format!("expected a single value, found {}", node.shape()),
                );
                f.failed = true;
                None
            }
        }
    }

    fn text(&mut self, f: &mut Fields<'_>, key: &str) -> Option<String> {
        self.scalar(f, key).map(str::to_string)
    }

    /// Records "is required" when `key` is absent or empty.
    fn present(&mut self, f: &mut Fields<'_>, key: &str) -> bool {
        if f.map.get(key).is_some_and(|n| !n.is_null()) {
            return true;
        }
        self.errors
            .at(f.origin.line_of(key), Some(key), "is required");
        f.failed = true;
        false
    }

    fn required_text(&mut self, f: &mut Fields<'_>, key: &str) -> String {
        if !self.present(f, key) {
            return String::new();
        }
        self.text(f, key).unwrap_or_default()
    }

    fn convert<T>(
        &mut self,
        f: &mut Fields<'_>,
        key: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.scalar(f, key)?;
        match parse(raw) {
            Ok(value) => Some(value),
            Err(message) => {
                self.errors.at(f.origin.line_of(key), Some(key), message);
                f.failed = true;
                None
            }
        }
    }

    fn required<T>(
        &mut self,
        f: &mut Fields<'_>,
        key: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        if !self.present(f, key) {
            return None;
        }
        self.convert(f, key, parse)
    }

    fn date(&mut self, f: &mut Fields<'_>, key: &str) -> Option<Date> {
        self.convert(f, key, values::parse_date)
    }

    /// The items of a list field; an absent or empty field is an empty list.
    fn items<'a>(&mut self, f: &mut Fields<'a>, key: &str) -> &'a [Node] {
        let Some(node) = f.map.get(key) else {
            return &[];
        };
        match &node.value {
            _ if node.is_null() => &[],
            Value::Seq(items) => items,
            _ => {
                self.errors.at(
                    f.origin.line_of(key),
                    Some(key),
                    format!("expected a list, found {}", node.shape()),
                );
                f.failed = true;
                &[]
            }
        }
    }

    fn text_list(&mut self, f: &mut Fields<'_>, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for item in self.items(f, key) {
            match &item.value {
                Value::Scalar { text, .. } if !item.is_null() => out.push(text.clone()),
                _ => {
                    self.errors.at(
                        Some(item.line),
                        Some(key),
                        format!("expected a list of single values, found {}", item.shape()),
                    );
                    f.failed = true;
                }
            }
        }
        out
    }

    fn unit(&mut self, node: &Node) {
        let Some(mut f) = self.fields(node, UNIT_KEYS, Some("unit")) else {
            return;
        };
        let code = self.required_text(&mut f, "code");
        let name = self.required_text(&mut f, "name");
        let kind = self.required(&mut f, "kind", values::parse_enum);
        let parent = self.text(&mut f, "parent");
        let address = self.text(&mut f, "address");
        let valid_from = self.date(&mut f, "valid_from");
        let valid_to = self.date(&mut f, "valid_to");
        if let (false, Some(kind)) = (f.failed, kind) {
            self.document.units.push(UnitRecord {
                code,
                name,
                kind,
                parent,
                address,
                valid_from,
                valid_to,
            });
            self.origins.units.push(f.origin);
        }
    }

    fn system(&mut self, node: &Node) {
        let Some(mut f) = self.fields(node, SYSTEM_KEYS, Some("system")) else {
            return;
        };
        let code = self.required_text(&mut f, "code");
        let name = self.required_text(&mut f, "name");
        let kind = self.required(&mut f, "kind", values::parse_enum);
        let owner = self.required_text(&mut f, "owner");
        let operator = self.text(&mut f, "operator");
        let security_level = self.convert(&mut f, "security_level", values::parse_level);
        let level_decision_number = self.text(&mut f, "level_decision_number");
        let level_decision_date = self.date(&mut f, "level_decision_date");
        let information_class = self.convert(&mut f, "information_class", values::parse_enum);
        let purpose = self.text(&mut f, "purpose");
        let services = self.text_list(&mut f, "services");
        let security_controls = self.text_list(&mut f, "security_controls");
        let isp = self.text(&mut f, "isp");
        let security_provider = self.text(&mut f, "security_provider");
        if f.map.contains_key("assets") {
            self.sections.assets = true;
        }
        // Assets are read even when the system has errors, so their own errors show too.
        let system_code = values::reference(&code);
        for item in self.items(&mut f, "assets") {
            self.asset(item, &system_code);
        }
        if let (false, Some(kind)) = (f.failed, kind) {
            self.document.systems.push(SystemRecord {
                code,
                name,
                kind,
                owner,
                operator,
                security_level,
                level_decision_number,
                level_decision_date,
                information_class,
                purpose,
                services,
                security_controls,
                isp,
                security_provider,
            });
            self.origins.systems.push(f.origin);
        }
    }

    fn asset(&mut self, node: &Node, system: &str) {
        let Some(mut f) = self.fields(node, ASSET_KEYS, Some("asset")) else {
            return;
        };
        let kind: Option<AssetKind> = self.required(&mut f, "kind", values::parse_enum);
        let value = self.required_text(&mut f, "value");
        let name = self.text(&mut f, "name");
        let os = self.text(&mut f, "os");
        let os_version = self.text(&mut f, "os_version");
        let note = self.text(&mut f, "note");
        let mut software = Vec::new();
        for item in self.items(&mut f, "software") {
            let Some(mut s) = self.fields(item, SOFTWARE_KEYS, Some("software item")) else {
                f.failed = true;
                continue;
            };
            f.origin.software.push(item.line);
            let name = self.text(&mut s, "name").unwrap_or_default();
            let version = self.text(&mut s, "version");
            let cpe = self.text(&mut s, "cpe");
            f.failed |= s.failed;
            software.push(Software { name, version, cpe });
        }
        if let (false, Some(kind)) = (f.failed, kind) {
            self.document.assets.push(AssetRecord {
                system: system.to_string(),
                kind,
                value,
                name,
                os,
                os_version,
                software,
                note,
            });
            self.origins.assets.push(f.origin);
        }
    }

    fn contact(&mut self, node: &Node) {
        let Some(mut f) = self.fields(node, CONTACT_KEYS, Some("contact")) else {
            return;
        };
        let unit = self.required_text(&mut f, "unit");
        let name = self.required_text(&mut f, "name");
        let position = self.text(&mut f, "position");
        let responsibility = self.text(&mut f, "responsibility");
        let phone = self.text(&mut f, "phone");
        let email = self.text(&mut f, "email");
        if !f.failed {
            self.document.contacts.push(ContactRecord {
                unit,
                name,
                position,
                responsibility,
                phone,
                email,
            });
            self.origins.contacts.push(f.origin);
        }
    }

    fn authority(&mut self, node: &Node) {
        let Some(mut f) = self.fields(node, AUTHORITY_KEYS, Some("authority")) else {
            return;
        };
        let code = self.text(&mut f, "code").unwrap_or_default();
        let name = self.required_text(&mut f, "name");
        let address = self.text(&mut f, "address");
        let phones = self.text_list(&mut f, "phones");
        let emails = self.text_list(&mut f, "emails");
        let valid_from = self.date(&mut f, "valid_from");
        let valid_to = self.date(&mut f, "valid_to");
        let note = self.text(&mut f, "note");
        if !f.failed {
            self.document.authorities.push(AuthorityInput {
                code,
                name,
                address,
                phones,
                emails,
                valid_from,
                valid_to,
                note,
            });
            self.origins.authorities.push(f.origin);
        }
    }

    fn flag(&mut self, f: &mut Fields<'_>, key: &str, default: bool) -> bool {
        self.convert(f, key, values::parse_bool).unwrap_or(default)
    }

    fn monitor(&mut self, node: &Node) {
        let Some(mut f) = self.fields(node, MONITOR_KEYS, Some("monitor")) else {
            return;
        };
        let system = self.required_text(&mut f, "system");
        let asset = self.required_text(&mut f, "asset");
        let written_kind: Option<AssetKind> =
            self.convert(&mut f, "asset_kind", values::parse_enum);
        let asset_kind = match written_kind {
            Some(kind) => Some(kind),
            None if f.failed || asset.is_empty() || f.map.contains_key("asset_kind") => None,
            None => match values::infer_asset_kind(&asset) {
                Ok(kind) => Some(kind),
                Err(message) => {
                    self.errors
                        .at(f.origin.line_of("asset"), Some("asset"), message);
                    f.failed = true;
                    None
                }
            },
        };
        let name = self.required_text(&mut f, "name");
        let kind: Option<MonitorKind> = self.required(&mut f, "kind", values::parse_enum);
        let target = self.required_text(&mut f, "target");
        // Unwritten fields are a new monitor's, as in the console and the API.
        let mut input = MonitorInput::new(0, &name, kind.unwrap_or(MonitorKind::Http), &target);
        let timing = [
            (
                "interval",
                &mut input.interval_secs,
                values::parse_seconds as fn(&str) -> _,
            ),
            ("timeout", &mut input.timeout_secs, values::parse_seconds),
            ("retries", &mut input.retries, values::parse_count),
        ];
        for (key, slot, parse) in timing {
            if let Some(value) = self.convert(&mut f, key, parse) {
                *slot = value;
            }
        }
        input.enabled = self.flag(&mut f, "enabled", input.enabled);
        input.public = self.flag(&mut f, "public", input.public);
        input.probes = self.text_list(&mut f, "probes");
        let settings = &mut input.settings;
        settings.conditions = self.text_list(&mut f, "conditions");
        settings.body_contains = self.text_list(&mut f, "body_contains");
        settings.body_not_contains = self.text_list(&mut f, "body_not_contains");
        settings.method = self.text(&mut f, "method");
        settings.record_type = self.text(&mut f, "record_type");
        settings.expected = self.text_list(&mut f, "expected");
        settings.resolver = self.text(&mut f, "resolver");
        settings.starttls = self.flag(&mut f, "starttls", settings.starttls);
        if f.map.contains_key("cert_warn_days") {
            let mut days = Vec::new();
            for item in self.items(&mut f, "cert_warn_days") {
                match &item.value {
                    Value::Scalar { text, .. } if !item.is_null() => {
                        match values::parse_count(text) {
                            Ok(d) => days.push(d),
                            Err(message) => {
                                self.errors
                                    .at(Some(item.line), Some("cert_warn_days"), message);
                                f.failed = true;
                            }
                        }
                    }
                    _ => {
                        self.errors.at(
                            Some(item.line),
                            Some("cert_warn_days"),
                            format!("expected a list of numbers of days, found {}", item.shape()),
                        );
                        f.failed = true;
                    }
                }
            }
            settings.cert_warn_days = days;
        }
        settings.defacement = self.defacement(&mut f);
        if let (false, Some(asset_kind), Some(_)) = (f.failed, asset_kind, kind) {
            self.document.monitors.push(MonitorRecord::from_input(
                &system, asset_kind, &asset, input,
            ));
            self.origins.monitors.push(f.origin);
        }
    }

    /// `defacement: true` (the default settings), `false`, or a mapping of settings.
    fn defacement(&mut self, f: &mut Fields<'_>) -> Option<DefacementSettings> {
        let node = f.map.get("defacement").copied()?;
        if node.is_null() {
            return None;
        }
        if let Value::Scalar { .. } = &node.value {
            return self
                .flag(f, "defacement", false)
                .then(DefacementSettings::default);
        }
        let Some(mut d) = self.fields(node, DEFACEMENT_KEYS, Some("defacement settings")) else {
            f.failed = true;
            return None;
        };
        let mut settings = DefacementSettings {
            ignore_selectors: self.text_list(&mut d, "ignore"),
            markers: self.text_list(&mut d, "markers"),
            ..DefacementSettings::default()
        };
        if let Some(share) = self.convert(&mut d, "change_threshold", values::parse_share) {
            settings.change_threshold = share;
        }
        if let Some(line) = d
            .origin
            .fields
            .iter()
            .find(|(k, _)| *k == "change_threshold")
        {
            f.origin
                .fields
                .push(("defacement.change_threshold", line.1));
        }
        f.failed |= d.failed;
        Some(settings)
    }
}
