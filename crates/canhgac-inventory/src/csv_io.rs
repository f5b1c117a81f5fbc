//! The CSV format: one file per kind of record, the kind told by the header row, lists
//! `;`-separated and software as `name|version|cpe` (a `\` escapes a separator inside a value).

use std::collections::HashMap;
use std::sync::Arc;

use canhgac_model::inventory::{
    AssetRecord, ContactRecord, InventoryDocument, SystemRecord, UnitRecord,
};
use canhgac_model::AuthorityInput;

use crate::error::Errors;
use crate::parsed::{finish, Origin, ParsedInventory, RecordOrigins, Sections};
use crate::values;
use crate::yaml_write::units_parents_first;

/// The kinds of CSV file, with their columns in the order exports write them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Units,
    Systems,
    Assets,
    Contacts,
    Authorities,
}

const UNIT_COLUMNS: &[&str] = &[
    "code",
    "name",
    "kind",
    "parent",
    "address",
    "valid_from",
    "valid_to",
];
const SYSTEM_COLUMNS: &[&str] = &[
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
];
const ASSET_COLUMNS: &[&str] = &[
    "system",
    "kind",
    "value",
    "name",
    "os",
    "os_version",
    "software",
    "note",
];
const CONTACT_COLUMNS: &[&str] = &[
    "unit",
    "name",
    "position",
    "responsibility",
    "phone",
    "email",
];
const AUTHORITY_COLUMNS: &[&str] = &[
    "code",
    "name",
    "address",
    "phones",
    "emails",
    "valid_from",
    "valid_to",
    "note",
];

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Units,
        Kind::Systems,
        Kind::Assets,
        Kind::Contacts,
        Kind::Authorities,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Units => "units",
            Kind::Systems => "systems",
            Kind::Assets => "assets",
            Kind::Contacts => "contacts",
            Kind::Authorities => "authorities",
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Units => UNIT_COLUMNS,
            Kind::Systems => SYSTEM_COLUMNS,
            Kind::Assets => ASSET_COLUMNS,
            Kind::Contacts => CONTACT_COLUMNS,
            Kind::Authorities => AUTHORITY_COLUMNS,
        }
    }

    /// Tells the kind from the columns that only it has; the file name (`units.csv`...) breaks
    /// a tie, which only a header missing its telling columns can cause.
    fn detect(header: &[String], file: &str) -> Option<Kind> {
        let has = |c: &str| header.iter().any(|h| h == c);
        let by_header = if has("system") && has("value") {
            Some(Kind::Assets)
        } else if has("owner") || has("security_level") {
            Some(Kind::Systems)
        } else if has("unit") {
            Some(Kind::Contacts)
        } else if has("phones") || has("emails") {
            Some(Kind::Authorities)
        } else if has("parent") || has("kind") {
            Some(Kind::Units)
        } else {
            None
        };
        by_header.or_else(|| {
            let stem = file.rsplit(['/', '\\']).next().unwrap_or(file);
            let stem = stem.split('.').next().unwrap_or(stem).to_ascii_lowercase();
            Kind::ALL.into_iter().find(|k| stem == k.name())
        })
    }
}

/// One row's cells by column name, with the line for errors.
struct Row<'a> {
    cells: HashMap<&'a str, &'a str>,
    origin: Origin,
    failed: bool,
}

impl Row<'_> {
    fn text(&self, column: &str) -> Option<String> {
        self.cells
            .get(column)
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .map(str::to_string)
    }

    fn required(&mut self, errors: &mut Errors, column: &str) -> String {
        self.text(column).unwrap_or_else(|| {
            errors.push(self.origin.error(column, "is required"));
            self.failed = true;
            String::new()
        })
    }

    fn convert<T>(
        &mut self,
        errors: &mut Errors,
        column: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.text(column)?;
        parse(&raw)
            .map_err(|message| {
                errors.push(self.origin.error(column, message));
                self.failed = true;
            })
            .ok()
    }

    fn required_convert<T>(
        &mut self,
        errors: &mut Errors,
        column: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        if self.text(column).is_none() {
            self.required(errors, column);
            return None;
        }
        self.convert(errors, column, parse)
    }

    fn list(&self, column: &str) -> Vec<String> {
        self.cells
            .get(column)
            .map(|c| values::parse_list(c))
            .unwrap_or_default()
    }
}

/// Reads one CSV file.
pub(crate) fn read(file: &str, text: &str, errors: &mut Errors) -> ParsedInventory {
    let name: Arc<str> = Arc::from(file);
    let mut document = InventoryDocument::default();
    let mut origins = RecordOrigins::default();
    let mut sections = Sections::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        None => {
            errors.at(
                Some(1),
                None,
                "the file is empty; the first row must name the columns",
            );
            return finish(file, document, sections, origins, errors);
        }
        Some(Err(e)) => {
            errors.at(
                e.position().map(|p| p.line() as usize),
                None,
                format!("CSV error: {e}"),
            );
            return finish(file, document, sections, origins, errors);
        }
        Some(Ok(row)) => row.iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
    };
    let Some(kind) = Kind::detect(&header, file) else {
        let expected: Vec<String> = Kind::ALL
            .iter()
            .map(|k| format!("{}: {}", k.name(), k.columns().join(",")))
            .collect();
        errors.at(
            Some(1),
            None,
            format!(
                "cannot tell what the file holds from its header row; expected one of\n  {}",
                expected.join("\n  ")
            ),
        );
        return finish(file, document, sections, origins, errors);
    };
    let mut header_ok = true;
    for (i, column) in header.iter().enumerate() {
        if !kind.columns().contains(&column.as_str()) {
            errors.at(
                Some(1),
                Some(column),
                format!(
                    "unknown column for a {} file, expected: {}",
                    kind.name(),
                    kind.columns().join(", ")
                ),
            );
            header_ok = false;
        } else if header[..i].contains(column) {
            errors.at(Some(1), Some(column), "column written twice");
            header_ok = false;
        }
    }
    let required: &[&str] = match kind {
        Kind::Units | Kind::Systems => &["code", "name", "kind"],
        Kind::Assets => &["system", "kind", "value"],
        Kind::Contacts => &["unit", "name"],
        Kind::Authorities => &["name"],
    };
    for column in required.iter().chain(if kind == Kind::Systems {
        &["owner"][..]
    } else {
        &[]
    }) {
        if !header.iter().any(|h| h == column) {
            errors.at(
                Some(1),
                Some(column),
                format!(
                    "required column missing from the header of a {} file",
                    kind.name()
                ),
            );
            header_ok = false;
        }
    }
    match kind {
        Kind::Units => sections.units = true,
        Kind::Systems => sections.systems = true,
        Kind::Assets => sections.assets = true,
        Kind::Contacts => sections.contacts = true,
        Kind::Authorities => sections.authorities = true,
    }
    if !header_ok {
        return finish(file, document, sections, origins, errors);
    }

    for result in records {
        if errors.is_full() {
            break;
        }
        let record = match result {
            Ok(record) => record,
            Err(e) => {
                errors.at(
                    e.position().map(|p| p.line() as usize),
                    None,
                    format!("CSV error: {e}"),
                );
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record
            .iter()
            .skip(header.len())
            .any(|c| !c.trim().is_empty())
        {
            errors.at(
                Some(line),
                None,
                format!(
                    "the row has {} cells but the header names {} columns",
                    record.len(),
                    header.len()
                ),
            );
            continue;
        }
        let mut row = Row {
            cells: header
                .iter()
                .map(String::as_str)
                .zip(record.iter())
                .collect(),
            origin: Origin::at_line(&name, line),
            failed: false,
        };
        match kind {
            Kind::Units => {
                let code = row.required(errors, "code");
                let name = row.required(errors, "name");
                let kind = row.required_convert(errors, "kind", values::parse_enum);
                let valid_from = row.convert(errors, "valid_from", values::parse_date);
                let valid_to = row.convert(errors, "valid_to", values::parse_date);
                if let (false, Some(kind)) = (row.failed, kind) {
                    document.units.push(UnitRecord {
                        code,
                        name,
                        kind,
                        parent: row.text("parent"),
                        address: row.text("address"),
                        valid_from,
                        valid_to,
                    });
                    origins.units.push(row.origin);
                }
            }
            Kind::Systems => {
                let code = row.required(errors, "code");
                let name = row.required(errors, "name");
                let kind = row.required_convert(errors, "kind", values::parse_enum);
                let owner = row.required(errors, "owner");
                let security_level = row.convert(errors, "security_level", values::parse_level);
                let level_decision_date =
                    row.convert(errors, "level_decision_date", values::parse_date);
                let information_class =
                    row.convert(errors, "information_class", values::parse_enum);
                if let (false, Some(kind)) = (row.failed, kind) {
                    document.systems.push(SystemRecord {
                        code,
                        name,
                        kind,
                        owner,
                        operator: row.text("operator"),
                        security_level,
                        level_decision_number: row.text("level_decision_number"),
                        level_decision_date,
                        information_class,
                        purpose: row.text("purpose"),
                        services: row.list("services"),
                        security_controls: row.list("security_controls"),
                        isp: row.text("isp"),
                        security_provider: row.text("security_provider"),
                    });
                    origins.systems.push(row.origin);
                }
            }
            Kind::Assets => {
                let system = row.required(errors, "system");
                let kind = row.required_convert(errors, "kind", values::parse_enum);
                let value = row.required(errors, "value");
                let software = row.convert(errors, "software", values::parse_software);
                if let (false, Some(kind)) = (row.failed, kind) {
                    document.assets.push(AssetRecord {
                        system,
                        kind,
                        value,
                        name: row.text("name"),
                        os: row.text("os"),
                        os_version: row.text("os_version"),
                        software: software.unwrap_or_default(),
                        note: row.text("note"),
                    });
                    origins.assets.push(row.origin);
                }
            }
            Kind::Contacts => {
                let unit = row.required(errors, "unit");
                let name = row.required(errors, "name");
                if !row.failed {
                    document.contacts.push(ContactRecord {
                        unit,
                        name,
                        position: row.text("position"),
                        responsibility: row.text("responsibility"),
                        phone: row.text("phone"),
                        email: row.text("email"),
                    });
                    origins.contacts.push(row.origin);
                }
            }
            Kind::Authorities => {
                let name = row.required(errors, "name");
                let valid_from = row.convert(errors, "valid_from", values::parse_date);
                let valid_to = row.convert(errors, "valid_to", values::parse_date);
                if !row.failed {
                    document.authorities.push(AuthorityInput {
                        code: row.text("code").unwrap_or_default(),
                        name,
                        address: row.text("address"),
                        phones: row.list("phones"),
                        emails: row.list("emails"),
                        valid_from,
                        valid_to,
                        note: row.text("note"),
                    });
                    origins.authorities.push(row.origin);
                }
            }
        }
    }
    finish(file, document, sections, origins, errors)
}

/// Writes `document` as five CSV files (`units.csv`, `systems.csv`, `assets.csv`,
/// `contacts.csv`, `authorities.csv`), each with its header row even when empty, in the same
/// order as [`crate::to_yaml`]. Each starts with a UTF-8 byte-order mark so that Excel shows
/// Vietnamese correctly; [`crate::parse`] accepts it. Monitors have no CSV form (their settings
/// are lists and nested mappings): they are exported and imported as YAML only.
pub fn to_csv(document: &InventoryDocument) -> Vec<(String, String)> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let date = |d: Option<canhgac_model::Date>| d.map(|d| d.to_string()).unwrap_or_default();

    let units = units_parents_first(&document.units)
        .into_iter()
        .map(|u| {
            vec![
                u.code.clone(),
                u.name.clone(),
                u.kind.code().to_string(),
                opt(&u.parent),
                opt(&u.address),
                date(u.valid_from),
                date(u.valid_to),
            ]
        })
        .collect();

    let mut systems: Vec<_> = document.systems.iter().collect();
    systems.sort_by(|a, b| a.code.cmp(&b.code));
    let systems = systems
        .into_iter()
        .map(|s| {
            vec![
                s.code.clone(),
                s.name.clone(),
                s.kind.code().to_string(),
                s.owner.clone(),
                opt(&s.operator),
                s.security_level.map(|l| l.to_string()).unwrap_or_default(),
                opt(&s.level_decision_number),
                date(s.level_decision_date),
                s.information_class
                    .map(|c| c.code().to_string())
                    .unwrap_or_default(),
                opt(&s.purpose),
                values::write_list(&s.services),
                values::write_list(&s.security_controls),
                opt(&s.isp),
                opt(&s.security_provider),
            ]
        })
        .collect();

    let mut assets: Vec<_> = document.assets.iter().collect();
    assets.sort_by(|a, b| (&a.system, a.kind, &a.value).cmp(&(&b.system, b.kind, &b.value)));
    let assets = assets
        .into_iter()
        .map(|a| {
            vec![
                a.system.clone(),
                a.kind.code().to_string(),
                a.value.clone(),
                opt(&a.name),
                opt(&a.os),
                opt(&a.os_version),
                values::write_software(&a.software),
                opt(&a.note),
            ]
        })
        .collect();

    let mut contacts: Vec<_> = document.contacts.iter().collect();
    contacts.sort_by(|a, b| (&a.unit, &a.name).cmp(&(&b.unit, &b.name)));
    let contacts = contacts
        .into_iter()
        .map(|c| {
            vec![
                c.unit.clone(),
                c.name.clone(),
                opt(&c.position),
                opt(&c.responsibility),
                opt(&c.phone),
                opt(&c.email),
            ]
        })
        .collect();

    let mut authorities: Vec<_> = document.authorities.iter().collect();
    authorities.sort_by(|a, b| (&a.code, a.valid_from).cmp(&(&b.code, b.valid_from)));
    let authorities = authorities
        .into_iter()
        .map(|a| {
            vec![
                a.code.clone(),
                a.name.clone(),
                opt(&a.address),
                values::write_list(&a.phones),
                values::write_list(&a.emails),
                date(a.valid_from),
                date(a.valid_to),
                opt(&a.note),
            ]
        })
        .collect();

    [
        (Kind::Units, units),
        (Kind::Systems, systems),
        (Kind::Assets, assets),
        (Kind::Contacts, contacts),
        (Kind::Authorities, authorities),
    ]
    .into_iter()
    .map(|(kind, rows)| {
        (
            format!("{}.csv", kind.name()),
            write_rows(kind.columns(), rows),
        )
    })
    .collect()
}

fn write_rows(columns: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; the results are checked by the round-trip tests.
    let _ = writer.write_record(columns);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let mut out = String::from("\u{feff}");
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}
