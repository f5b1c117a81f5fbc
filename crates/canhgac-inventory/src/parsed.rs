//! The result of reading inventory files: a validated document, which sections the files hold,
//! and where each record was written (so later errors, such as unknown references found while
//! planning, can still name a file and line).

use std::collections::HashMap;
use std::sync::Arc;

use canhgac_model::inventory::{
    AssetRecord, ContactRecord, InventoryDocument, MonitorRecord, SystemRecord, UnitRecord,
};
use canhgac_model::{
    normalise_address, AssetInput, AssetKind, AuthorityInput, ContactInput, FieldError,
    SystemInput, UnitInput,
};

use crate::error::{Errors, InventoryError, InventoryErrors};
use crate::values::reference;

/// Which kinds of record a file holds. Pruning deletes only within these: a file of systems
/// says nothing about contacts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sections {
    /// A `units` list (YAML) or a units CSV.
    pub units: bool,
    /// A `systems` list or a systems CSV.
    pub systems: bool,
    /// An `assets` list under at least one system, or an assets CSV.
    pub assets: bool,
    /// A `contacts` list or a contacts CSV.
    pub contacts: bool,
    /// An `authorities` list or an authorities CSV.
    pub authorities: bool,
    /// A `monitors` list (YAML only).
    pub monitors: bool,
}

impl Sections {
    /// Every section (a complete export).
    pub const ALL: Sections = Sections {
        units: true,
        systems: true,
        assets: true,
        contacts: true,
        authorities: true,
        monitors: true,
    };

    /// The sections either holds.
    pub fn union(self, other: Sections) -> Sections {
        Sections {
            units: self.units || other.units,
            systems: self.systems || other.systems,
            assets: self.assets || other.assets,
            contacts: self.contacts || other.contacts,
            authorities: self.authorities || other.authorities,
            monitors: self.monitors || other.monitors,
        }
    }
}

/// Where one record was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file's name.
    pub file: Arc<str>,
    /// The line the record starts on; `None` for records not read from a file.
    pub line: Option<usize>,
    /// The line of each field written in the record.
    pub fields: Vec<(&'static str, usize)>,
    /// The line of each item of an asset's `software` list (YAML only).
    pub software: Vec<usize>,
}

impl Origin {
    /// An origin without lines (a record built in code).
    pub fn unlocated(file: &Arc<str>) -> Self {
        Self {
            file: file.clone(),
            line: None,
            fields: Vec::new(),
            software: Vec::new(),
        }
    }

    /// A record written on one line (a CSV row).
    pub fn at_line(file: &Arc<str>, line: usize) -> Self {
        Self {
            file: file.clone(),
            line: Some(line),
            fields: Vec::new(),
            software: Vec::new(),
        }
    }

    /// The line of `field`, else the record's own line.
    pub fn line_of(&self, field: &str) -> Option<usize> {
        self.fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, line)| *line)
            .or(self.line)
    }

    /// An error about `field` of this record.
    pub fn error(&self, field: &str, message: impl Into<String>) -> InventoryError {
        InventoryError::new(&*self.file, self.line_of(field), Some(field), message)
    }
}

/// Where each record of a [`ParsedInventory`] was written, index for index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordOrigins {
    /// Of `document.units`.
    pub units: Vec<Origin>,
    /// Of `document.systems`.
    pub systems: Vec<Origin>,
    /// Of `document.assets`.
    pub assets: Vec<Origin>,
    /// Of `document.contacts`.
    pub contacts: Vec<Origin>,
    /// Of `document.authorities`.
    pub authorities: Vec<Origin>,
    /// Of `document.monitors`.
    pub monitors: Vec<Origin>,
}

/// One or more inventory files, read and validated: every record normalised as the model's
/// `validate` methods do it (trimmed text, lower-case codes and domains, canonical addresses),
/// and no key twice. References between records are checked by [`crate::plan`], which also
/// knows what is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedInventory {
    /// The file name(s), for errors not tied to one record.
    pub file: String,
    /// The records.
    pub document: InventoryDocument,
    /// Which kinds of record the files hold.
    pub sections: Sections,
    /// Where each record was written.
    pub origins: RecordOrigins,
}

impl ParsedInventory {
    /// Validates a document built in code (or received as JSON) as if it were a file holding
    /// every section: records are normalised, keys checked for duplicates.
    pub fn from_document(
        file: &str,
        document: InventoryDocument,
    ) -> Result<ParsedInventory, InventoryErrors> {
        let name: Arc<str> = Arc::from(file);
        let origins = RecordOrigins {
            units: vec![Origin::unlocated(&name); document.units.len()],
            systems: vec![Origin::unlocated(&name); document.systems.len()],
            assets: vec![Origin::unlocated(&name); document.assets.len()],
            contacts: vec![Origin::unlocated(&name); document.contacts.len()],
            authorities: vec![Origin::unlocated(&name); document.authorities.len()],
            monitors: vec![Origin::unlocated(&name); document.monitors.len()],
        };
        let mut errors = Errors::new(file);
        let parsed = finish(file, document, Sections::ALL, origins, &mut errors);
        errors.finish(parsed)
    }

    /// Joins inventories read from several files (say `units.csv`, `systems.csv`, `assets.csv`)
    /// into one, failing if a key appears in two of them.
    pub fn merge(parts: Vec<ParsedInventory>) -> Result<ParsedInventory, InventoryErrors> {
        let names: Vec<&str> = parts.iter().map(|p| p.file.as_str()).collect();
        let file = names.join(", ");
        let mut document = InventoryDocument::default();
        let mut origins = RecordOrigins::default();
        let mut sections = Sections::default();
        for part in parts {
            sections = sections.union(part.sections);
            document.units.extend(part.document.units);
            document.systems.extend(part.document.systems);
            document.assets.extend(part.document.assets);
            document.contacts.extend(part.document.contacts);
            document.authorities.extend(part.document.authorities);
            document.monitors.extend(part.document.monitors);
            origins.units.extend(part.origins.units);
            origins.systems.extend(part.origins.systems);
            origins.assets.extend(part.origins.assets);
            origins.contacts.extend(part.origins.contacts);
            origins.authorities.extend(part.origins.authorities);
            origins.monitors.extend(part.origins.monitors);
        }
        let parsed = ParsedInventory {
            file: file.clone(),
            document,
            sections,
            origins,
        };
        let mut errors = Errors::new(&file);
        check_duplicates(&parsed, &mut errors);
        errors.finish(parsed)
    }
}

/// Validates and normalises every record, then checks keys; records that fail are dropped
/// (their errors are recorded) so one bad record does not hide the others' errors.
pub(crate) fn finish(
    file: &str,
    document: InventoryDocument,
    sections: Sections,
    origins: RecordOrigins,
    errors: &mut Errors,
) -> ParsedInventory {
    let mut out = ParsedInventory {
        file: file.to_string(),
        document: InventoryDocument::default(),
        sections,
        origins: RecordOrigins::default(),
    };
    keep_valid(
        document.units,
        origins.units,
        errors,
        check_unit,
        &mut out.document.units,
        &mut out.origins.units,
    );
    keep_valid(
        document.systems,
        origins.systems,
        errors,
        check_system,
        &mut out.document.systems,
        &mut out.origins.systems,
    );
    keep_valid(
        document.assets,
        origins.assets,
        errors,
        check_asset,
        &mut out.document.assets,
        &mut out.origins.assets,
    );
    keep_valid(
        document.contacts,
        origins.contacts,
        errors,
        check_contact,
        &mut out.document.contacts,
        &mut out.origins.contacts,
    );
    keep_valid(
        document.authorities,
        origins.authorities,
        errors,
        check_authority,
        &mut out.document.authorities,
        &mut out.origins.authorities,
    );
    keep_valid(
        document.monitors,
        origins.monitors,
        errors,
        check_monitor,
        &mut out.document.monitors,
        &mut out.origins.monitors,
    );
    check_duplicates(&out, errors);
    out
}

fn keep_valid<T>(
    records: Vec<T>,
    origins: Vec<Origin>,
    errors: &mut Errors,
    check: fn(&mut T, &Origin) -> Result<(), InventoryError>,
    out: &mut Vec<T>,
    out_origins: &mut Vec<Origin>,
) {
    for (mut record, origin) in records.into_iter().zip(origins) {
        match check(&mut record, &origin) {
            Ok(()) => {
                out.push(record);
                out_origins.push(origin);
            }
            Err(error) => errors.push(error),
        }
    }
}

fn field_error(origin: &Origin, error: FieldError) -> InventoryError {
    origin.error(&error.field, error.message)
}

/// Codes are the keys of files, so unlike the API (which derives one from the name) a file must
/// write them.
fn require_code(code: &str, origin: &Origin) -> Result<(), InventoryError> {
    if code.trim().is_empty() {
        return Err(origin.error("code", "is required"));
    }
    Ok(())
}

fn optional_reference(value: &mut Option<String>) {
    *value = value.as_deref().map(reference).filter(|r| !r.is_empty());
}

fn check_unit(unit: &mut UnitRecord, origin: &Origin) -> Result<(), InventoryError> {
    require_code(&unit.code, origin)?;
    let mut input = UnitInput {
        code: std::mem::take(&mut unit.code),
        name: std::mem::take(&mut unit.name),
        kind: unit.kind,
        parent_id: None,
        address: unit.address.take(),
        valid_from: unit.valid_from,
        valid_to: unit.valid_to,
    };
    input.validate().map_err(|e| field_error(origin, e))?;
    unit.code = input.code;
    unit.name = input.name;
    unit.address = input.address;
    optional_reference(&mut unit.parent);
    Ok(())
}

fn check_system(system: &mut SystemRecord, origin: &Origin) -> Result<(), InventoryError> {
    require_code(&system.code, origin)?;
    system.owner = reference(&system.owner);
    if system.owner.is_empty() {
        return Err(origin.error("owner", "is required"));
    }
    optional_reference(&mut system.operator);
    let mut input = SystemInput {
        code: std::mem::take(&mut system.code),
        name: std::mem::take(&mut system.name),
        kind: system.kind,
        owner_unit_id: 0,
        operator_unit_id: None,
        security_level: system.security_level,
        level_decision_number: system.level_decision_number.take(),
        level_decision_date: system.level_decision_date,
        information_class: system.information_class,
        purpose: system.purpose.take(),
        services: std::mem::take(&mut system.services),
        security_controls: std::mem::take(&mut system.security_controls),
        isp: system.isp.take(),
        security_provider: system.security_provider.take(),
    };
    input.validate().map_err(|e| field_error(origin, e))?;
    system.code = input.code;
    system.name = input.name;
    system.level_decision_number = input.level_decision_number;
    system.purpose = input.purpose;
    system.services = input.services;
    system.security_controls = input.security_controls;
    system.isp = input.isp;
    system.security_provider = input.security_provider;
    Ok(())
}

fn check_asset(asset: &mut AssetRecord, origin: &Origin) -> Result<(), InventoryError> {
    asset.system = reference(&asset.system);
    if asset.system.is_empty() {
        return Err(origin.error("system", "is required"));
    }
    // The model reports a bad software item as `software.cpe` without saying which item;
    // checking each item alone (on a known-good address) finds the line to point at.
    for (i, software) in asset.software.iter().enumerate() {
        let mut probe = AssetInput::new(AssetKind::Ip, "192.0.2.1");
        probe.software = vec![software.clone()];
        if let Err(e) = probe.validate() {
            let line = origin
                .software
                .get(i)
                .copied()
                .or(origin.line_of("software"));
            return Err(InventoryError::new(
                &*origin.file,
                line,
                Some(&e.field),
                e.message,
            ));
        }
    }
    let mut input = AssetInput {
        system_id: 0,
        kind: asset.kind,
        value: std::mem::take(&mut asset.value),
        name: asset.name.take(),
        os: asset.os.take(),
        os_version: asset.os_version.take(),
        software: std::mem::take(&mut asset.software),
        note: asset.note.take(),
    };
    input.validate().map_err(|e| field_error(origin, e))?;
    asset.value = input.value;
    asset.name = input.name;
    asset.os = input.os;
    asset.os_version = input.os_version;
    asset.software = input.software;
    asset.note = input.note;
    Ok(())
}

fn check_contact(contact: &mut ContactRecord, origin: &Origin) -> Result<(), InventoryError> {
    contact.unit = reference(&contact.unit);
    if contact.unit.is_empty() {
        return Err(origin.error("unit", "is required"));
    }
    let mut input = ContactInput {
        unit_id: 0,
        name: std::mem::take(&mut contact.name),
        position: contact.position.take(),
        responsibility: contact.responsibility.take(),
        phone: contact.phone.take(),
        email: contact.email.take(),
    };
    input.validate().map_err(|e| field_error(origin, e))?;
    contact.name = input.name;
    contact.position = input.position;
    contact.responsibility = input.responsibility;
    contact.phone = input.phone;
    contact.email = input.email;
    Ok(())
}

fn check_authority(authority: &mut AuthorityInput, origin: &Origin) -> Result<(), InventoryError> {
    authority.validate().map_err(|e| field_error(origin, e))
}

/// Where the model's names for a monitor's fields are written in a file.
fn monitor_field(field: &str) -> &str {
    match field {
        "interval_secs" => "interval",
        "timeout_secs" => "timeout",
        other => other.strip_prefix("settings.").unwrap_or(other),
    }
}

fn check_monitor(monitor: &mut MonitorRecord, origin: &Origin) -> Result<(), InventoryError> {
    monitor.system = reference(&monitor.system);
    if monitor.system.is_empty() {
        return Err(origin.error("system", "is required"));
    }
    monitor.asset = normalise_address(monitor.asset_kind, &monitor.asset)
        .map_err(|e| origin.error("asset", e.message))?;
    let mut input = monitor.input(0);
    input.validate().map_err(|e| {
        let field = monitor_field(&e.field);
        origin.error(field, format!("invalid monitor: {}", e.message))
    })?;
    let system = std::mem::take(&mut monitor.system);
    let asset = std::mem::take(&mut monitor.asset);
    *monitor = MonitorRecord::from_input(&system, monitor.asset_kind, &asset, input);
    Ok(())
}

/// Reports each key written twice, at its second place, naming the first.
fn check_duplicates(parsed: &ParsedInventory, errors: &mut Errors) {
    /// `describe` is only called for a duplicate: most files have none, and big ones have
    /// hundreds of thousands of keys.
    fn scan<K: std::hash::Hash + Eq>(
        keys: impl Iterator<Item = K>,
        origins: &[Origin],
        field: &str,
        errors: &mut Errors,
        describe: impl Fn(usize) -> String,
    ) {
        let mut seen: HashMap<K, &Origin> = HashMap::with_capacity(origins.len());
        for (i, (key, origin)) in keys.zip(origins).enumerate() {
            if let Some(first) = seen.get(&key) {
                let place = match (first.line, first.file == origin.file) {
                    (Some(line), true) => format!("line {line}"),
                    (Some(line), false) => format!("{}:{line}", first.file),
                    (None, _) => first.file.to_string(),
                };
                let shown = describe(i);
                errors.push(origin.error(field, format!("{shown} is already defined at {place}")));
            } else {
                seen.insert(key, origin);
            }
        }
    }
    let doc = &parsed.document;
    let o = &parsed.origins;
    scan(
        doc.units.iter().map(|u| u.code.as_str()),
        &o.units,
        "code",
        errors,
        |i| format!("unit {:?}", doc.units[i].code),
    );
    scan(
        doc.systems.iter().map(|s| s.code.as_str()),
        &o.systems,
        "code",
        errors,
        |i| format!("system {:?}", doc.systems[i].code),
    );
    scan(
        doc.assets
            .iter()
            .map(|a| (a.system.as_str(), a.kind, a.value.as_str())),
        &o.assets,
        "value",
        errors,
        |i| {
            let a = &doc.assets[i];
            format!("asset {} {:?} of system {:?}", a.kind, a.value, a.system)
        },
    );
    scan(
        doc.contacts
            .iter()
            .map(|c| (c.unit.as_str(), c.name.as_str())),
        &o.contacts,
        "name",
        errors,
        |i| {
            let c = &doc.contacts[i];
            format!("contact {:?} of unit {:?}", c.name, c.unit)
        },
    );
    scan(
        doc.authorities
            .iter()
            .map(|a| (a.code.as_str(), a.valid_from)),
        &o.authorities,
        "code",
        errors,
        |i| {
            let a = &doc.authorities[i];
            let from = a
                .valid_from
                .map_or_else(|| "(no start date)".to_string(), |d| d.to_string());
            format!("authority {:?} valid from {from}", a.code)
        },
    );
    scan(
        doc.monitors.iter().map(|m| {
            (
                m.system.as_str(),
                m.asset_kind,
                m.asset.as_str(),
                m.name.as_str(),
            )
        }),
        &o.monitors,
        "name",
        errors,
        |i| {
            let m = &doc.monitors[i];
            format!(
                "monitor {:?} of asset {} {} of system {:?}",
                m.name, m.asset_kind, m.asset, m.system
            )
        },
    );
}
