//! Writing the YAML format: stable order, Vietnamese as is, quotes only where a reader could
//! take the text for something else.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use canhgac_model::inventory::{AssetRecord, InventoryDocument, MonitorRecord, UnitRecord};
use canhgac_model::{DefacementSettings, MonitorInput, MonitorSettings};

/// Writes `document` as YAML that [`crate::parse`] reads back to the same records.
///
/// Units come parents first (siblings by code), systems by code with their assets nested,
/// contacts by unit and name, authorities by code and start date, monitors by system, asset and
/// name (fields at a new monitor's defaults left out). Every top-level list is
/// written, empty ones as `[]`, so importing the output with pruning means "exactly this".
pub fn to_yaml(document: &InventoryDocument) -> String {
    let mut out = String::new();
    out.push_str(
        "# canhgac inventory. Dates are YYYY-MM-DD; units and systems are referred to by code.\n",
    );

    let units = units_parents_first(&document.units);
    section(&mut out, "units", units.len());
    for unit in units {
        item(&mut out, 1, "code", &unit.code);
        field(&mut out, 2, "name", Some(&unit.name));
        field(&mut out, 2, "kind", Some(unit.kind.code()));
        field(&mut out, 2, "parent", unit.parent.as_deref());
        field(&mut out, 2, "address", unit.address.as_deref());
        date(&mut out, 2, "valid_from", unit.valid_from);
        date(&mut out, 2, "valid_to", unit.valid_to);
    }

    let mut assets: BTreeMap<&str, Vec<&AssetRecord>> = BTreeMap::new();
    for asset in &document.assets {
        assets.entry(asset.system.as_str()).or_default().push(asset);
    }
    let mut systems: Vec<_> = document.systems.iter().collect();
    systems.sort_by(|a, b| a.code.cmp(&b.code));
    section(&mut out, "systems", systems.len());
    for system in systems {
        item(&mut out, 1, "code", &system.code);
        field(&mut out, 2, "name", Some(&system.name));
        field(&mut out, 2, "kind", Some(system.kind.code()));
        field(&mut out, 2, "owner", Some(&system.owner));
        field(&mut out, 2, "operator", system.operator.as_deref());
        if let Some(level) = system.security_level {
            let _ = writeln!(out, "    security_level: {level}");
        }
        field(
            &mut out,
            2,
            "level_decision_number",
            system.level_decision_number.as_deref(),
        );
        date(
            &mut out,
            2,
            "level_decision_date",
            system.level_decision_date,
        );
        field(
            &mut out,
            2,
            "information_class",
            system.information_class.map(|c| c.code()),
        );
        field(&mut out, 2, "purpose", system.purpose.as_deref());
        list(&mut out, 2, "services", &system.services);
        list(&mut out, 2, "security_controls", &system.security_controls);
        field(&mut out, 2, "isp", system.isp.as_deref());
        field(
            &mut out,
            2,
            "security_provider",
            system.security_provider.as_deref(),
        );
        let Some(mut own) = assets.remove(system.code.as_str()) else {
            continue;
        };
        own.sort_by(|a, b| (a.kind, &a.value).cmp(&(b.kind, &b.value)));
        out.push_str("    assets:\n");
        for asset in own {
            item(&mut out, 3, "kind", asset.kind.code());
            field(&mut out, 4, "value", Some(&asset.value));
            field(&mut out, 4, "name", asset.name.as_deref());
            field(&mut out, 4, "os", asset.os.as_deref());
            field(&mut out, 4, "os_version", asset.os_version.as_deref());
            if !asset.software.is_empty() {
                out.push_str("        software:\n");
                for software in &asset.software {
                    item(&mut out, 5, "name", &software.name);
                    field(&mut out, 6, "version", software.version.as_deref());
                    field(&mut out, 6, "cpe", software.cpe.as_deref());
                }
            }
            field(&mut out, 4, "note", asset.note.as_deref());
        }
    }

    let mut contacts: Vec<_> = document.contacts.iter().collect();
    contacts.sort_by(|a, b| (&a.unit, &a.name).cmp(&(&b.unit, &b.name)));
    section(&mut out, "contacts", contacts.len());
    for contact in contacts {
        item(&mut out, 1, "unit", &contact.unit);
        field(&mut out, 2, "name", Some(&contact.name));
        field(&mut out, 2, "position", contact.position.as_deref());
        field(
            &mut out,
            2,
            "responsibility",
            contact.responsibility.as_deref(),
        );
        field(&mut out, 2, "phone", contact.phone.as_deref());
        field(&mut out, 2, "email", contact.email.as_deref());
    }

    let mut authorities: Vec<_> = document.authorities.iter().collect();
    authorities.sort_by(|a, b| (&a.code, a.valid_from).cmp(&(&b.code, b.valid_from)));
    section(&mut out, "authorities", authorities.len());
    for authority in authorities {
        item(&mut out, 1, "code", &authority.code);
        field(&mut out, 2, "name", Some(&authority.name));
        field(&mut out, 2, "address", authority.address.as_deref());
        list(&mut out, 2, "phones", &authority.phones);
        list(&mut out, 2, "emails", &authority.emails);
        date(&mut out, 2, "valid_from", authority.valid_from);
        date(&mut out, 2, "valid_to", authority.valid_to);
        field(&mut out, 2, "note", authority.note.as_deref());
    }

    let mut monitors: Vec<_> = document.monitors.iter().collect();
    monitors.sort_by(|a, b| {
        (&a.system, a.asset_kind, &a.asset, &a.name).cmp(&(
            &b.system,
            b.asset_kind,
            &b.asset,
            &b.name,
        ))
    });
    section(&mut out, "monitors", monitors.len());
    for monitor in monitors {
        write_monitor(&mut out, monitor);
    }
    out
}

fn write_monitor(out: &mut String, monitor: &MonitorRecord) {
    let fresh = MonitorInput::new(0, "", monitor.kind, "");
    let defaults = MonitorSettings::default();
    item(out, 1, "system", &monitor.system);
    field(out, 2, "asset", Some(&monitor.asset));
    // The kind follows from the address; written only should it ever not.
    if crate::values::infer_asset_kind(&monitor.asset).ok() != Some(monitor.asset_kind) {
        field(out, 2, "asset_kind", Some(monitor.asset_kind.code()));
    }
    field(out, 2, "name", Some(&monitor.name));
    field(out, 2, "kind", Some(monitor.kind.code()));
    field(out, 2, "target", Some(&monitor.target));
    let _ = writeln!(out, "    interval: {}", monitor.interval_secs);
    if monitor.timeout_secs != fresh.timeout_secs {
        let _ = writeln!(out, "    timeout: {}", monitor.timeout_secs);
    }
    if monitor.retries != fresh.retries {
        let _ = writeln!(out, "    retries: {}", monitor.retries);
    }
    if monitor.enabled != fresh.enabled {
        let _ = writeln!(out, "    enabled: {}", monitor.enabled);
    }
    if monitor.public != fresh.public {
        let _ = writeln!(out, "    public: {}", monitor.public);
    }
    let local_only = monitor.probes.len() == 1 && monitor.probes[0] == canhgac_model::LOCAL_PROBE;
    if !local_only {
        list(out, 2, "probes", &monitor.probes);
    }
    let settings = &monitor.settings;
    list(out, 2, "conditions", &settings.conditions);
    list(out, 2, "body_contains", &settings.body_contains);
    list(out, 2, "body_not_contains", &settings.body_not_contains);
    field(out, 2, "method", settings.method.as_deref());
    field(out, 2, "record_type", settings.record_type.as_deref());
    list(out, 2, "expected", &settings.expected);
    field(out, 2, "resolver", settings.resolver.as_deref());
    if settings.starttls {
        out.push_str("    starttls: true\n");
    }
    if settings.cert_warn_days != defaults.cert_warn_days {
        let days: Vec<String> = settings.cert_warn_days.iter().map(u32::to_string).collect();
        let _ = writeln!(out, "    cert_warn_days: [{}]", days.join(", "));
    }
    match &settings.defacement {
        None => {}
        Some(d) if *d == DefacementSettings::default() => out.push_str("    defacement: true\n"),
        Some(d) => {
            out.push_str("    defacement:\n");
            list(out, 3, "ignore", &d.ignore_selectors);
            list(out, 3, "markers", &d.markers);
            if d.change_threshold != DefacementSettings::default().change_threshold {
                let _ = writeln!(out, "      change_threshold: {}", d.change_threshold);
            }
        }
    }
}

/// Units with every parent before its children and siblings by code; units whose parent is not
/// in the document (a partial export) start their own trees.
pub(crate) fn units_parents_first(units: &[UnitRecord]) -> Vec<&UnitRecord> {
    let codes: HashSet<&str> = units.iter().map(|u| u.code.as_str()).collect();
    let mut children: BTreeMap<Option<&str>, Vec<&UnitRecord>> = BTreeMap::new();
    for unit in units {
        let parent = unit
            .parent
            .as_deref()
            .filter(|p| codes.contains(p) && *p != unit.code);
        children.entry(parent).or_default().push(unit);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    let mut out = Vec::with_capacity(units.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<&UnitRecord> = children
        .get(&None)
        .into_iter()
        .flatten()
        .rev()
        .copied()
        .collect();
    while let Some(unit) = stack.pop() {
        if !seen.insert(unit.code.as_str()) {
            continue;
        }
        out.push(unit);
        if let Some(kids) = children.get(&Some(unit.code.as_str())) {
            stack.extend(kids.iter().rev().copied());
        }
    }
    // Units in a parent cycle are reachable from no root; they are still written.
    let mut rest: Vec<&UnitRecord> = units
        .iter()
        .filter(|u| !seen.contains(u.code.as_str()))
        .collect();
    rest.sort_by(|a, b| a.code.cmp(&b.code));
    out.extend(rest);
    out
}

fn section(out: &mut String, key: &str, len: usize) {
    if len == 0 {
        let _ = writeln!(out, "{key}: []");
    } else {
        let _ = writeln!(out, "\n{key}:");
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// The first field of a list item, after its `- `.
fn item(out: &mut String, level: usize, key: &str, value: &str) {
    indent(out, level);
    let _ = writeln!(out, "- {key}: {}", quote(value));
}

fn field(out: &mut String, level: usize, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        indent(out, level);
        let _ = writeln!(out, "{key}: {}", quote(value));
    }
}

fn date(out: &mut String, level: usize, key: &str, value: Option<canhgac_model::Date>) {
    if let Some(value) = value {
        indent(out, level);
        let _ = writeln!(out, "{key}: {value}");
    }
}

fn list(out: &mut String, level: usize, key: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    indent(out, level);
    let _ = writeln!(out, "{key}:");
    for value in items {
        indent(out, level + 1);
        let _ = writeln!(out, "- {}", quote(value));
    }
}

/// The text as a YAML scalar: plain when no reader could take it for anything but this text,
/// double-quoted otherwise.
pub(crate) fn quote(text: &str) -> std::borrow::Cow<'_, str> {
    if is_plain_safe(text) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out.into()
}

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if text.trim() != text || "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    if text
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'))
    {
        return false;
    }
    const KEYWORDS: &[&str] = &[
        "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    ];
    if text.len() <= 5 && KEYWORDS.iter().any(|k| text.eq_ignore_ascii_case(k)) {
        return false;
    }
    // YAML numbers and timestamps start with a digit, a sign or a dot; nothing else can be one.
    let numeric_start = first.is_ascii_digit() || matches!(first, '+' | '-' | '.');
    !(numeric_start && looks_like_number_or_date(&text.to_ascii_lowercase()))
}

/// What YAML 1.1 or 1.2 readers would resolve to a number or timestamp.
fn looks_like_number_or_date(lower: &str) -> bool {
    let bytes = lower.as_bytes();
    let digits_colons = lower.contains(':')
        && lower
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.');
    let date_like =
        bytes.len() >= 8 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-';
    lower.parse::<f64>().is_ok()
        || lower.replace('_', "").parse::<f64>().is_ok()
        || lower.starts_with("0x")
        || lower.starts_with("0o")
        || lower.starts_with("0b")
        || lower.starts_with(".inf")
        || lower.starts_with(".nan")
        || lower.starts_with("-.inf")
        || lower.starts_with("+.inf")
        || digits_colons
        || date_like
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("Sở Y tế"), "Sở Y tế");
        assert_eq!(quote("203.0.113.10"), "203.0.113.10");
        assert_eq!(quote("2001:db8::1"), "2001:db8::1");
        assert_eq!(
            quote("https://portal.hoabinhxanh.gov.vn/"),
            "https://portal.hoabinhxanh.gov.vn/"
        );
        assert_eq!(quote("8.8"), "\"8.8\"");
        assert_eq!(quote("22"), "\"22\"");
        assert_eq!(quote("no"), "\"no\"");
        assert_eq!(quote("null"), "\"null\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("a: b"), "\"a: b\"");
        assert_eq!(quote("- x"), "\"- x\"");
        assert_eq!(quote("dòng 1\ndòng \"2\""), "\"dòng 1\\ndòng \\\"2\\\"\"");
        assert_eq!(quote("2025-06-30"), "\"2025-06-30\"");
        assert_eq!(quote("12:30"), "\"12:30\"");
    }
}
