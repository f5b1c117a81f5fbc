//! Planning an import: what creating, updating and (when pruning) deleting records would make of
//! the stored inventory, checked as a whole before anything is written.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use canhgac_model::inventory::{
    AssetRecord, Change, InventoryDocument, InventoryPlan, MonitorRecord, UnitRecord,
};
use canhgac_model::AssetKind;

use crate::error::{Errors, InventoryError, InventoryErrors};
use crate::parsed::{Origin, ParsedInventory};

/// How an import treats what the file does not mention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete stored records absent from the file, but only of the kinds the file holds
    /// ([`crate::Sections`]): a file of systems never deletes contacts. Assets of a deleted
    /// system are deleted with it, and monitors of a deleted asset with it.
    pub prune: bool,
}

/// Compares the stored inventory with a parsed file and lists the changes that make the store
/// match the file.
///
/// Records are matched by key: unit code; system code; asset (system, kind, value); contact
/// (unit, name); authority (code, valid_from); monitor (system, asset kind, asset, name). A
/// record is created when its key is new and updated only when some value differs, so importing
/// an export changes nothing. References (a unit's parent, a system's owner and operator, an
/// asset's system, a contact's unit, a monitor's system and asset) must
/// name a record of the file or of the store that the plan keeps, and parents must not form a
/// cycle. Unit changes come parents first, unit deletions children first; a store applies the
/// other kinds' creations after the units and their deletions before the units.
pub fn plan(
    current: &InventoryDocument,
    parsed: &ParsedInventory,
    options: PlanOptions,
) -> Result<InventoryPlan, InventoryErrors> {
    let doc = &parsed.document;
    let origins = &parsed.origins;
    let sections = parsed.sections;
    let prune = options.prune;
    let mut errors = Errors::new(&parsed.file);
    let mut out = InventoryPlan::default();

    let units = diff(
        &current.units,
        &doc.units,
        |u| u.code.clone(),
        prune && sections.units,
    );
    let systems = diff(
        &current.systems,
        &doc.systems,
        |s| s.code.clone(),
        prune && sections.systems,
    );
    let asset_key = |a: &AssetRecord| (a.system.clone(), a.kind, a.value.clone());
    let mut assets = diff(
        &current.assets,
        &doc.assets,
        asset_key,
        prune && sections.assets,
    );
    let contacts = diff(
        &current.contacts,
        &doc.contacts,
        |c| (c.unit.clone(), c.name.clone()),
        prune && sections.contacts,
    );
    let authorities = diff(
        &current.authorities,
        &doc.authorities,
        |a| (a.code.clone(), a.valid_from),
        prune && sections.authorities,
    );
    let mut monitors = diff(
        &current.monitors,
        &doc.monitors,
        monitor_key,
        prune && sections.monitors,
    );

    // A deleted system takes its assets with it (the file nests assets under systems, so a
    // system's absence speaks for its assets too).
    let file_asset_keys: HashSet<_> = doc.assets.iter().map(asset_key).collect();
    for asset in &current.assets {
        let key = asset_key(asset);
        if systems.deleted.contains(&asset.system)
            && !file_asset_keys.contains(&key)
            && assets.deleted.insert(key)
        {
            assets.deletes.push(Change::Delete {
                before: asset.clone(),
            });
        }
    }

    // A deleted asset takes its monitors with it (the store cascades; the plan shows it).
    let file_monitor_keys: HashSet<_> = doc.monitors.iter().map(monitor_key).collect();
    for monitor in &current.monitors {
        let key = monitor_key(monitor);
        if assets.deleted.contains(&monitor_asset(monitor))
            && !file_monitor_keys.contains(&key)
            && monitors.deleted.insert(key)
        {
            monitors.deletes.push(Change::Delete {
                before: monitor.clone(),
            });
        }
    }

    // The inventory as it will be once the plan is applied, with where each record comes from.
    let final_units: HashMap<&str, (&UnitRecord, Option<&Origin>)> = current
        .units
        .iter()
        .filter(|u| !units.deleted.contains(&u.code))
        .map(|u| (u.code.as_str(), (u, None)))
        .chain(
            doc.units
                .iter()
                .zip(&origins.units)
                .map(|(u, o)| (u.code.as_str(), (u, Some(o)))),
        )
        .collect();
    let final_systems: HashSet<&str> = current
        .systems
        .iter()
        .filter(|s| !systems.deleted.contains(&s.code))
        .chain(&doc.systems)
        .map(|s| s.code.as_str())
        .collect();
    let file_units: HashSet<&str> = doc.units.iter().map(|u| u.code.as_str()).collect();
    let file_systems: HashSet<&str> = doc.systems.iter().map(|s| s.code.as_str()).collect();

    let missing_unit = |code: &str| -> String {
        if units.deleted.contains(code) {
            format!("unit {code:?} is not in the file, so pruning would delete it")
        } else {
            format!("unknown unit {code:?}: neither in the file nor stored")
        }
    };
    let missing_system = |code: &str| -> String {
        if systems.deleted.contains(code) {
            format!("system {code:?} is not in the file, so pruning would delete it")
        } else {
            format!("unknown system {code:?}: neither in the file nor stored")
        }
    };

    // References from the file's records.
    for (unit, origin) in doc.units.iter().zip(&origins.units) {
        if let Some(parent) = &unit.parent {
            if !final_units.contains_key(parent.as_str()) {
                errors.push(origin.error("parent", missing_unit(parent)));
            }
        }
    }
    for (system, origin) in doc.systems.iter().zip(&origins.systems) {
        if !final_units.contains_key(system.owner.as_str()) {
            errors.push(origin.error("owner", missing_unit(&system.owner)));
        }
        if let Some(operator) = &system.operator {
            if !final_units.contains_key(operator.as_str()) {
                errors.push(origin.error("operator", missing_unit(operator)));
            }
        }
    }
    for (asset, origin) in doc.assets.iter().zip(&origins.assets) {
        if !final_systems.contains(asset.system.as_str()) {
            errors.push(origin.error("system", missing_system(&asset.system)));
        }
    }
    for (contact, origin) in doc.contacts.iter().zip(&origins.contacts) {
        if !final_units.contains_key(contact.unit.as_str()) {
            errors.push(origin.error("unit", missing_unit(&contact.unit)));
        }
    }
    if !doc.monitors.is_empty() {
        let final_assets: HashSet<(String, AssetKind, String)> = current
            .assets
            .iter()
            .map(asset_key)
            .filter(|k| !assets.deleted.contains(k))
            .chain(doc.assets.iter().map(asset_key))
            .collect();
        for (monitor, origin) in doc.monitors.iter().zip(&origins.monitors) {
            let key = monitor_asset(monitor);
            if !final_systems.contains(monitor.system.as_str()) {
                errors.push(origin.error("system", missing_system(&monitor.system)));
            } else if assets.deleted.contains(&key) {
                errors.push(origin.error(
                    "asset",
                    format!(
                        "asset {} {:?} of system {:?} is not in the file, so pruning would delete it",
                        monitor.asset_kind, monitor.asset, monitor.system
                    ),
                ));
            } else if !final_assets.contains(&key) {
                errors.push(origin.error(
                    "asset",
                    format!(
                        "system {:?} has no asset {} {:?}: neither in the file nor stored",
                        monitor.system, monitor.asset_kind, monitor.asset
                    ),
                ));
            }
        }
    }

    // Stored records the file does not mention, left pointing at something pruning deletes.
    let stored = |what: String, field: &str, target: String| {
        InventoryError::new(
            &parsed.file,
            None,
            Some(field),
            format!("{what} (stored, not in the file) refers to {target}; include it in the file, or import its section too"),
        )
    };
    for unit in current
        .units
        .iter()
        .filter(|u| !units.deleted.contains(&u.code) && !file_units.contains(u.code.as_str()))
    {
        if let Some(parent) = unit
            .parent
            .as_deref()
            .filter(|p| units.deleted.contains(*p))
        {
            errors.push(stored(
                format!("unit {:?}", unit.code),
                "parent",
                missing_unit(parent),
            ));
        }
    }
    for system in current
        .systems
        .iter()
        .filter(|s| !systems.deleted.contains(&s.code) && !file_systems.contains(s.code.as_str()))
    {
        for (field, unit) in [
            ("owner", Some(&system.owner)),
            ("operator", system.operator.as_ref()),
        ] {
            if let Some(unit) = unit.filter(|u| units.deleted.contains(u.as_str())) {
                errors.push(stored(
                    format!("system {:?}", system.code),
                    field,
                    missing_unit(unit),
                ));
            }
        }
    }
    let file_contacts: HashSet<(&str, &str)> = doc
        .contacts
        .iter()
        .map(|c| (c.unit.as_str(), c.name.as_str()))
        .collect();
    for contact in &current.contacts {
        let key = (contact.unit.clone(), contact.name.clone());
        if units.deleted.contains(&contact.unit)
            && !contacts.deleted.contains(&key)
            && !file_contacts.contains(&(contact.unit.as_str(), contact.name.as_str()))
        {
            errors.push(stored(
                format!("contact {:?}", contact.name),
                "unit",
                missing_unit(&contact.unit),
            ));
        }
    }

    let depth = check_cycles(&final_units, &parsed.file, &mut errors);
    if !errors.is_empty() {
        return errors.finish(out);
    }

    // Parents first: a unit's depth in the tree the plan produces orders its create or update.
    let mut unit_changes = units.changes;
    unit_changes.sort_by_key(|c| match c {
        Change::Create { after } | Change::Update { after, .. } => {
            depth.get(after.code.as_str()).copied().unwrap_or(0)
        }
        Change::Delete { .. } => 0,
    });
    let current_depth = depths(
        current
            .units
            .iter()
            .map(|u| (u.code.as_str(), u.parent.as_deref())),
    );
    let mut unit_deletes = units.deletes;
    unit_deletes.sort_by_key(|c| match c {
        Change::Delete { before } => std::cmp::Reverse(
            current_depth
                .get(before.code.as_str())
                .copied()
                .unwrap_or(0),
        ),
        _ => std::cmp::Reverse(0),
    });
    unit_changes.extend(unit_deletes);
    out.units = unit_changes;
    out.systems = systems.all();
    out.assets = assets.all();
    out.contacts = contacts.all();
    out.authorities = authorities.all();
    out.monitors = monitors.all();
    errors.finish(out)
}

fn monitor_key(m: &MonitorRecord) -> (String, AssetKind, String, String) {
    (
        m.system.clone(),
        m.asset_kind,
        m.asset.clone(),
        m.name.clone(),
    )
}

/// The key of the asset a monitor watches.
fn monitor_asset(m: &MonitorRecord) -> (String, AssetKind, String) {
    (m.system.clone(), m.asset_kind, m.asset.clone())
}

struct Diff<T, K> {
    /// Creates and updates, in file order.
    changes: Vec<Change<T>>,
    deletes: Vec<Change<T>>,
    deleted: HashSet<K>,
}

impl<T, K> Diff<T, K> {
    fn all(mut self) -> Vec<Change<T>> {
        self.changes.append(&mut self.deletes);
        self.changes
    }
}

fn diff<T: Clone + PartialEq, K: Hash + Eq + Clone>(
    current: &[T],
    file: &[T],
    key: impl Fn(&T) -> K,
    prune: bool,
) -> Diff<T, K> {
    let stored: HashMap<K, &T> = current.iter().map(|r| (key(r), r)).collect();
    let mut changes = Vec::new();
    let mut in_file = HashSet::with_capacity(file.len());
    for record in file {
        let k = key(record);
        match stored.get(&k) {
            None => changes.push(Change::Create {
                after: record.clone(),
            }),
            Some(before) if *before != record => changes.push(Change::Update {
                before: (*before).clone(),
                after: record.clone(),
            }),
            Some(_) => {}
        }
        in_file.insert(k);
    }
    let mut deletes = Vec::new();
    let mut deleted = HashSet::new();
    if prune {
        for record in current {
            let k = key(record);
            if !in_file.contains(&k) && deleted.insert(k) {
                deletes.push(Change::Delete {
                    before: record.clone(),
                });
            }
        }
    }
    Diff {
        changes,
        deletes,
        deleted,
    }
}

/// Reports every parent cycle once, at the file record of the cycle written first, and returns
/// each unit's depth when there is none.
fn check_cycles<'a>(
    units: &HashMap<&'a str, (&'a UnitRecord, Option<&'a Origin>)>,
    file: &str,
    errors: &mut Errors,
) -> HashMap<&'a str, usize> {
    let mut done: HashMap<&'a str, usize> = HashMap::with_capacity(units.len());
    let mut codes: Vec<&str> = units.keys().copied().collect();
    codes.sort_unstable();
    for start in codes {
        let mut path: Vec<&'a str> = Vec::new();
        let mut on_path: HashSet<&str> = HashSet::new();
        let mut code = start;
        // Walk up until a unit of known depth, a root, a missing parent, or the path itself.
        let base = loop {
            if let Some(d) = done.get(code) {
                break Some(*d + 1);
            }
            if !on_path.insert(code) {
                break None;
            }
            path.push(code);
            match units.get(code).and_then(|(u, _)| u.parent.as_deref()) {
                Some(parent) if units.contains_key(parent) => {
                    code = units.get_key_value(parent).map_or(parent, |(k, _)| *k);
                }
                _ => break Some(0),
            }
        };
        match base {
            Some(mut d) => {
                for c in path.into_iter().rev() {
                    done.insert(c, d);
                    d += 1;
                }
            }
            None => {
                let from = path.iter().position(|c| *c == code).unwrap_or(0);
                let cycle = &path[from..];
                let mut names: Vec<&str> = cycle.to_vec();
                names.push(code);
                let shown = names.join(" → ");
                let at = cycle
                    .iter()
                    .filter_map(|c| units.get(c).and_then(|(_, o)| *o))
                    .min_by_key(|o| (o.file.clone(), o.line));
                let message = format!("units form a cycle of parents: {shown}");
                match at {
                    Some(origin) => errors.push(origin.error("parent", message)),
                    None => errors.push(InventoryError::new(file, None, Some("parent"), message)),
                }
                for c in path {
                    done.insert(c, 0);
                }
            }
        }
    }
    done
}

/// Depths in a tree that may be inconsistent (stored data is trusted, but never looped on).
fn depths<'a>(units: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> HashMap<&'a str, usize> {
    let parents: HashMap<&str, Option<&str>> = units.collect();
    let mut out = HashMap::with_capacity(parents.len());
    for &code in parents.keys() {
        let mut d = 0;
        let mut at = code;
        while let Some(Some(parent)) = parents.get(at) {
            d += 1;
            at = parent;
            if d > parents.len() {
                break;
            }
        }
        out.insert(code, d);
    }
    out
}
