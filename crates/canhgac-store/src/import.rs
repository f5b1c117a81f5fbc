//! Inventory as code: export to a code-referenced document, apply a plan in one transaction.
//!
//! Applying keeps the unit tree and the system index in memory for the whole transaction, so
//! codes resolve and scope checks run without a query per record; assets (the bulk of a large
//! inventory) are inserted many rows per statement. Monitors are written through the watch
//! section's own row functions, so an imported monitor behaves like one made in the console.

use std::collections::{HashMap, HashSet};

use canhgac_model::inventory::{
    AssetRecord, Change, ContactRecord, InventoryDocument, InventoryPlan, MonitorRecord,
    PlanSummary, SystemRecord, UnitRecord,
};
use canhgac_model::{
    Actor, AssetInput, AssetKind, AuthorityInput, ContactInput, FieldError, Id, MonitorInput,
    Scope, SystemInput, UnitInput,
};
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::{self, json_text, micros, now, qualified};
use crate::sql::{
    and_system_scope, asset_binds, conflict, insert_authority, insert_unit, path_in, scope_paths,
    system_binds, unit_dependents, update_authority_row, update_unit_row, write_audit, AuditRow,
    Paths, SYSTEM_INSERT, SYSTEM_UPDATE,
};
use crate::watch::{
    and_monitor_scope, bump_watch_stamp, delete_monitor_row, insert_monitor, load_scoped_monitor,
    monitor_from, monitor_select, update_monitor_row,
};
use crate::{Result, StoreError};

/// Exports the inventory in `scope`: units parents-before-children, then systems, assets and
/// contacts by code, every authority, and the monitors (automatic ones too) of assets whose
/// system's owner is in scope.
pub(crate) async fn export(conn: &mut AnyConnection, scope: &Scope) -> Result<InventoryDocument> {
    let paths = scope_paths(conn, scope).await?;

    let mut sql = Sql::new(&format!(
        "SELECT {}, u.path AS unit_path, p.code AS parent_code FROM units u \
         LEFT JOIN units p ON p.id = u.parent_id WHERE 1 = 1",
        qualified("u", rows::UNIT_COLS)
    ));
    if let Some(prefixes) = &paths {
        sql.push(" AND ");
        sql.push_path_scope("u.path", prefixes);
    }
    let mut units = Vec::new();
    for row in sql.query().fetch_all(&mut *conn).await? {
        let unit = rows::unit(&row)?;
        let parent: Option<String> = row.try_get("parent_code")?;
        units.push((
            unit.id,
            unit.parent_id,
            UnitRecord {
                code: unit.code,
                name: unit.name,
                kind: unit.kind,
                parent,
                address: unit.address,
                valid_from: unit.valid_from,
                valid_to: unit.valid_to,
            },
        ));
    }
    let units = tree_order(units);

    let mut sql = Sql::new(&format!(
        "SELECT {}, ou.code AS owner_code, pu.code AS operator_code FROM systems s \
         JOIN units ou ON ou.id = s.owner_unit_id LEFT JOIN units pu ON pu.id = s.operator_unit_id \
         WHERE 1 = 1",
        qualified("s", rows::SYSTEM_COLS)
    ));
    and_system_scope(&mut sql, "s", &paths);
    sql.push(" ORDER BY s.code");
    let mut systems = Vec::new();
    for row in sql.query().fetch_all(&mut *conn).await? {
        let s = rows::system(&row)?;
        systems.push(SystemRecord {
            code: s.code,
            name: s.name,
            kind: s.kind,
            owner: row.try_get("owner_code")?,
            operator: row.try_get("operator_code")?,
            security_level: s.security_level,
            level_decision_number: s.level_decision_number,
            level_decision_date: s.level_decision_date,
            information_class: s.information_class,
            purpose: s.purpose,
            services: s.services,
            security_controls: s.security_controls,
            isp: s.isp,
            security_provider: s.security_provider,
        });
    }

    let mut sql = Sql::new(&format!(
        "SELECT {}, s.code AS system_code FROM assets a JOIN systems s ON s.id = a.system_id \
         WHERE 1 = 1",
        qualified("a", rows::ASSET_COLS)
    ));
    and_system_scope(&mut sql, "s", &paths);
    sql.push(" ORDER BY s.code, a.kind, a.value");
    let mut assets = Vec::new();
    for row in sql.query().fetch_all(&mut *conn).await? {
        let a = rows::asset(&row)?;
        assets.push(AssetRecord {
            system: row.try_get("system_code")?,
            kind: a.kind,
            value: a.value,
            name: a.name,
            os: a.os,
            os_version: a.os_version,
            software: a.software,
            note: a.note,
        });
    }

    let mut sql = Sql::new(&format!(
        "SELECT {}, u.code AS unit_code FROM contacts c JOIN units u ON u.id = c.unit_id \
         WHERE 1 = 1",
        qualified("c", rows::CONTACT_COLS)
    ));
    if let Some(prefixes) = &paths {
        sql.push(" AND ");
        sql.push_path_scope("u.path", prefixes);
    }
    sql.push(" ORDER BY u.code, c.name");
    let mut contacts = Vec::new();
    for row in sql.query().fetch_all(&mut *conn).await? {
        let c = rows::contact(&row)?;
        contacts.push(ContactRecord {
            unit: row.try_get("unit_code")?,
            name: c.name,
            position: c.position,
            responsibility: c.responsibility,
            phone: c.phone,
            email: c.email,
        });
    }

    let authorities = sqlx::query(&format!(
        "SELECT {} FROM authorities ORDER BY code, valid_from",
        rows::AUTHORITY_COLS
    ))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| rows::authority(row).map(|a| AuthorityInput::from(&a)))
    .collect::<Result<Vec<_>>>()?;

    let mut sql = Sql::new(&format!(
        "{}, s.code AS system_code, a.kind AS asset_kind, a.value AS asset_value {} WHERE 1 = 1",
        monitor_select(),
        monitor_from()
    ));
    and_monitor_scope(&mut sql, &paths);
    sql.push(" ORDER BY s.code, a.kind, a.value, m.name, m.id");
    let mut monitors = Vec::new();
    for row in sql.query().fetch_all(&mut *conn).await? {
        let m = rows::monitor(&row)?;
        let kind: String = row.try_get("asset_kind")?;
        let asset_kind = AssetKind::from_code(&kind).ok_or_else(|| {
            StoreError::Corrupt(format!("assets.kind holds unknown value {kind:?}"))
        })?;
        monitors.push(MonitorRecord::from_input(
            &row.try_get::<String, _>("system_code")?,
            asset_kind,
            &row.try_get::<String, _>("asset_value")?,
            m.input,
        ));
    }

    Ok(InventoryDocument {
        units,
        systems,
        assets,
        contacts,
        authorities,
        monitors,
    })
}

/// Orders units depth-first from the roots (units whose parent is not exported), siblings by
/// code, so every parent precedes its children.
fn tree_order(units: Vec<(Id, Option<Id>, UnitRecord)>) -> Vec<UnitRecord> {
    let ids: HashSet<Id> = units.iter().map(|(id, _, _)| *id).collect();
    let mut children: HashMap<Option<Id>, Vec<usize>> = HashMap::new();
    for (i, (_, parent, _)) in units.iter().enumerate() {
        let key = parent.filter(|p| ids.contains(p));
        children.entry(key).or_default().push(i);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| units[*a].2.code.cmp(&units[*b].2.code));
    }
    let mut order = Vec::with_capacity(units.len());
    let mut stack: Vec<usize> = children.get(&None).cloned().unwrap_or_default();
    stack.reverse();
    while let Some(i) = stack.pop() {
        order.push(i);
        if let Some(kids) = children.get(&Some(units[i].0)) {
            stack.extend(kids.iter().rev());
        }
    }
    let mut slots: Vec<Option<UnitRecord>> = units.into_iter().map(|(_, _, u)| Some(u)).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// A unit as the apply step tracks it.
struct UnitMem {
    code: String,
    parent_id: Option<Id>,
    path: String,
}

/// Everything an apply needs to resolve codes and check scope without re-reading rows.
struct State {
    units_by_code: HashMap<String, Id>,
    units: HashMap<Id, UnitMem>,
    systems_by_code: HashMap<String, (Id, Id, Option<Id>)>,
    /// The actor's scope roots; `None` for everything.
    roots: Option<Vec<Id>>,
}

impl State {
    fn paths(&self) -> Paths {
        self.roots.as_ref().map(|roots| {
            roots
                .iter()
                .filter_map(|r| self.units.get(r).map(|u| u.path.clone()))
                .collect()
        })
    }

    fn unit_in_scope(&self, paths: &Paths, id: Id) -> bool {
        self.units.get(&id).is_some_and(|u| path_in(paths, &u.path))
    }

    fn system_in_scope(&self, paths: &Paths, owner: Id, operator: Option<Id>) -> bool {
        self.unit_in_scope(paths, owner) || operator.is_some_and(|o| self.unit_in_scope(paths, o))
    }

    /// Resolves a unit code; unknown codes are a field error for unscoped actors and out of
    /// scope for scoped ones (who must not learn which codes exist).
    fn unit_id(&self, what: &str, field: &str, code: &str) -> Result<Id> {
        match self.units_by_code.get(code) {
            Some(id) => Ok(*id),
            None if self.roots.is_none() => Err(invalid(
                what,
                FieldError::new(field, format!("unknown unit {code:?}")),
            )),
            None => Err(StoreError::OutOfScope(format!("{what}: unit {code:?}"))),
        }
    }

    fn system(&self, what: &str, code: &str) -> Result<(Id, Id, Option<Id>)> {
        match self.systems_by_code.get(code) {
            Some(s) => Ok(*s),
            None if self.roots.is_none() => Err(invalid(
                what,
                FieldError::new("system", format!("unknown system {code:?}")),
            )),
            None => Err(StoreError::OutOfScope(format!("{what}: system {code:?}"))),
        }
    }

    /// Records that unit `id` now has `new_path`, moving its subtree along.
    fn repath(&mut self, id: Id, new_path: &str) {
        let Some(old) = self.units.get(&id).map(|u| u.path.clone()) else {
            return;
        };
        if old == new_path {
            return;
        }
        for unit in self.units.values_mut() {
            if unit.path.starts_with(&old) {
                unit.path = format!("{new_path}{}", &unit.path[old.len()..]);
            }
        }
    }
}

/// Puts the record being applied in front of a validation message.
fn invalid(what: &str, e: FieldError) -> StoreError {
    StoreError::Invalid(FieldError::new(e.field, format!("{what}: {}", e.message)))
}

fn not_found(entity: &'static str, key: String) -> StoreError {
    StoreError::NotFound { entity, id: key }
}

fn asset_label(a: &AssetRecord) -> String {
    format!("asset {} {} of system {:?}", a.kind, a.value, a.system)
}

/// Applies `plan` on `conn`, which must be inside a transaction the caller commits.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    actor: &Actor,
    plan: &InventoryPlan,
) -> Result<PlanSummary> {
    let roots = match &actor.scope {
        Scope::All => None,
        Scope::Units(ids) => Some(ids.clone()),
    };
    let mut state = State {
        units_by_code: HashMap::new(),
        units: HashMap::new(),
        systems_by_code: HashMap::new(),
        roots,
    };
    for row in sqlx::query("SELECT id, code, parent_id, path FROM units")
        .fetch_all(&mut *conn)
        .await?
    {
        let id: Id = row.try_get(0)?;
        let code: String = row.try_get(1)?;
        state.units_by_code.insert(code.clone(), id);
        state.units.insert(
            id,
            UnitMem {
                code,
                parent_id: row.try_get(2)?,
                path: row.try_get(3)?,
            },
        );
    }
    let needs_systems =
        !plan.systems.is_empty() || !plan.assets.is_empty() || !plan.monitors.is_empty();
    if needs_systems {
        for row in sqlx::query("SELECT id, code, owner_unit_id, operator_unit_id FROM systems")
            .fetch_all(&mut *conn)
            .await?
        {
            state.systems_by_code.insert(
                row.try_get(1)?,
                (row.try_get(0)?, row.try_get(2)?, row.try_get(3)?),
            );
        }
    }

    let at_ts = now();
    let at = micros(at_ts);
    let mut audit: Vec<AuditRow> = Vec::new();
    let mut summary = PlanSummary::default();

    // Creates and updates, parents first; deletes afterwards, dependants first.
    for change in &plan.units {
        match change {
            Change::Create { after } => {
                apply_unit_create(conn, &mut state, after, at, &mut audit).await?;
                summary.created += 1;
            }
            Change::Update { before, after } => {
                apply_unit_update(conn, &mut state, before, after, at, &mut audit).await?;
                summary.updated += 1;
            }
            Change::Delete { .. } => {}
        }
    }
    for change in &plan.systems {
        match change {
            Change::Create { after } => {
                apply_system(conn, &mut state, None, after, at, &mut audit).await?;
                summary.created += 1;
            }
            Change::Update { before, after } => {
                apply_system(conn, &mut state, Some(before), after, at, &mut audit).await?;
                summary.updated += 1;
            }
            Change::Delete { .. } => {}
        }
    }
    flush_audit(conn, actor, &mut audit, 0).await?;

    let mut asset_batch: Vec<(AssetInput, &AssetRecord)> = Vec::new();
    let mut seen_assets: HashSet<(Id, AssetKind, String)> = HashSet::new();
    for change in &plan.assets {
        match change {
            Change::Create { after } => {
                let input = asset_input(&state, after, true)?;
                if !seen_assets.insert((input.system_id, input.kind, input.value.clone())) {
                    return Err(StoreError::Conflict {
                        field: "value".into(),
                        message: format!("{} appears twice in the import", asset_label(after)),
                    });
                }
                asset_batch.push((input, after));
                if asset_batch.len() >= ASSET_BATCH {
                    insert_assets(conn, &mut asset_batch, at, &mut audit).await?;
                }
                summary.created += 1;
            }
            Change::Update { before, after } => {
                let input = asset_input(&state, after, false)?;
                let id = update_asset_by_key(conn, &input, at)
                    .await?
                    .ok_or_else(|| not_found("asset", asset_label(after)))?;
                audit.push(AuditRow::new(
                    "update",
                    "asset",
                    Some(id),
                    Some(before),
                    Some(after),
                ));
                summary.updated += 1;
            }
            Change::Delete { .. } => {}
        }
        flush_audit(conn, actor, &mut audit, AUDIT_BATCH).await?;
    }
    insert_assets(conn, &mut asset_batch, at, &mut audit).await?;

    for change in &plan.contacts {
        match change {
            Change::Create { after } => {
                let input = contact_input(&state, after, true)?;
                let id: Id = sqlx::query(
                    "INSERT INTO contacts (unit_id, name, position, responsibility, phone, \
                     email, created_at, updated_at, name_lc) VALUES ($1, $2, $3, $4, $5, $6, \
                     $7, $7, $8) RETURNING id",
                )
                .bind(input.unit_id)
                .bind(input.name.as_str())
                .bind(input.position.clone())
                .bind(input.responsibility.clone())
                .bind(input.phone.clone())
                .bind(input.email.clone())
                .bind(at)
                .bind(crate::sql::lc(&input.name))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| {
                    conflict(
                        e,
                        "name",
                        format!(
                            "unit {:?} already has a contact named {:?}",
                            after.unit, after.name
                        ),
                    )
                })?
                .try_get(0)?;
                audit.push(AuditRow::new::<(), _>(
                    "create",
                    "contact",
                    Some(id),
                    None,
                    Some(after),
                ));
                summary.created += 1;
            }
            Change::Update { before, after } => {
                let input = contact_input(&state, after, false)?;
                let id: Id = sqlx::query(
                    "UPDATE contacts SET position = $1, responsibility = $2, phone = $3, \
                     email = $4, updated_at = $5 WHERE unit_id = $6 AND name = $7 RETURNING id",
                )
                .bind(input.position.clone())
                .bind(input.responsibility.clone())
                .bind(input.phone.clone())
                .bind(input.email.clone())
                .bind(at)
                .bind(input.unit_id)
                .bind(input.name.as_str())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| {
                    not_found(
                        "contact",
                        format!("{:?} of unit {:?}", after.name, after.unit),
                    )
                })?
                .try_get(0)?;
                audit.push(AuditRow::new(
                    "update",
                    "contact",
                    Some(id),
                    Some(before),
                    Some(after),
                ));
                summary.updated += 1;
            }
            Change::Delete { .. } => {}
        }
    }

    for change in &plan.authorities {
        match change {
            Change::Create { after } => {
                let mut input = after.clone();
                input
                    .validate()
                    .map_err(|e| invalid(&format!("authority {:?}", after.code), e))?;
                let id = insert_authority(conn, &input, at).await?;
                audit.push(AuditRow::new::<(), _>(
                    "create",
                    "authority",
                    Some(id),
                    None,
                    Some(&input),
                ));
                summary.created += 1;
            }
            Change::Update { before, after } => {
                let mut input = after.clone();
                input
                    .validate()
                    .map_err(|e| invalid(&format!("authority {:?}", after.code), e))?;
                let id = authority_id(conn, &before.code, before.valid_from).await?;
                update_authority_row(conn, id, &input, at).await?;
                audit.push(AuditRow::new(
                    "update",
                    "authority",
                    Some(id),
                    Some(before),
                    Some(&input),
                ));
                summary.updated += 1;
            }
            Change::Delete { before } => {
                let id = authority_id(conn, &before.code, before.valid_from).await?;
                sqlx::query("DELETE FROM authorities WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                audit.push(AuditRow::new::<_, ()>(
                    "delete",
                    "authority",
                    Some(id),
                    Some(before),
                    None,
                ));
                summary.deleted += 1;
            }
        }
    }

    // Monitors once their assets exist; a changed monitor keeps its history.
    for change in &plan.monitors {
        match change {
            Change::Create { after } => {
                let (asset_id, input) = monitor_input(conn, &state, after, true).await?;
                if monitor_id(conn, asset_id, &after.name).await?.is_some() {
                    return Err(StoreError::Conflict {
                        field: "name".into(),
                        message: format!(
                            "{} already exists; plan the import again",
                            monitor_label(after)
                        ),
                    });
                }
                let id = insert_monitor(conn, &input, false, at).await?;
                audit.push(AuditRow::new::<(), _>(
                    "create",
                    "monitor",
                    Some(id),
                    None,
                    Some(after),
                ));
                summary.created += 1;
            }
            Change::Update { before, after } => {
                let (asset_id, input) = monitor_input(conn, &state, after, false).await?;
                let id = monitor_id(conn, asset_id, &after.name)
                    .await?
                    .ok_or_else(|| not_found("monitor", monitor_label(after)))?;
                let stored = load_scoped_monitor(conn, &None, id).await?;
                update_monitor_row(conn, &stored, &input, at).await?;
                audit.push(AuditRow::new(
                    "update",
                    "monitor",
                    Some(id),
                    Some(before),
                    Some(after),
                ));
                summary.updated += 1;
            }
            Change::Delete { .. } => {}
        }
    }

    // Deletes: monitors, assets and contacts, then systems, then units (the plan lists children
    // first).
    for change in &plan.monitors {
        if let Change::Delete { before } = change {
            let what = monitor_label(before);
            let (asset_id, owner) = match monitor_asset(conn, &state, before).await {
                Ok(found) => found,
                Err(_) => return Err(not_found("monitor", what)),
            };
            if !state.unit_in_scope(&state.paths(), owner) {
                return Err(not_found("monitor", what));
            }
            let id = monitor_id(conn, asset_id, &before.name)
                .await?
                .ok_or_else(|| not_found("monitor", what))?;
            let stored = load_scoped_monitor(conn, &None, id).await?;
            delete_monitor_row(conn, &stored, at).await?;
            audit.push(AuditRow::new::<_, ()>(
                "delete",
                "monitor",
                Some(id),
                Some(before),
                None,
            ));
            summary.deleted += 1;
        }
    }
    for change in &plan.assets {
        if let Change::Delete { before } = change {
            let (system_id, owner, operator) = state.system("asset", &before.system)?;
            if !state.system_in_scope(&state.paths(), owner, operator) {
                return Err(not_found("asset", asset_label(before)));
            }
            let kind = before.kind.code();
            let id: Id = sqlx::query(
                "DELETE FROM assets WHERE system_id = $1 AND kind = $2 AND value = $3 RETURNING id",
            )
            .bind(system_id)
            .bind(kind)
            .bind(before.value.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found("asset", asset_label(before)))?
            .try_get(0)?;
            audit.push(AuditRow::new::<_, ()>(
                "delete",
                "asset",
                Some(id),
                Some(before),
                None,
            ));
            summary.deleted += 1;
            flush_audit(conn, actor, &mut audit, AUDIT_BATCH).await?;
        }
    }
    for change in &plan.contacts {
        if let Change::Delete { before } = change {
            let what = format!("contact {:?} of unit {:?}", before.name, before.unit);
            let unit_id = state.unit_id(&what, "unit", &before.unit)?;
            if !state.unit_in_scope(&state.paths(), unit_id) {
                return Err(not_found("contact", what));
            }
            let id: Id =
                sqlx::query("DELETE FROM contacts WHERE unit_id = $1 AND name = $2 RETURNING id")
                    .bind(unit_id)
                    .bind(before.name.as_str())
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or_else(|| not_found("contact", what))?
                    .try_get(0)?;
            audit.push(AuditRow::new::<_, ()>(
                "delete",
                "contact",
                Some(id),
                Some(before),
                None,
            ));
            summary.deleted += 1;
        }
    }
    for change in &plan.systems {
        if let Change::Delete { before } = change {
            let what = format!("system {:?}", before.code);
            let (id, owner, operator) = state.system(&what, &before.code)?;
            if !state.system_in_scope(&state.paths(), owner, operator) {
                return Err(not_found("system", what));
            }
            // Its assets go with it (the plan lists them too, unless the file kept them).
            sqlx::query("DELETE FROM assets WHERE system_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM systems WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            state.systems_by_code.remove(&before.code);
            audit.push(AuditRow::new::<_, ()>(
                "delete",
                "system",
                Some(id),
                Some(before),
                None,
            ));
            summary.deleted += 1;
        }
    }
    for change in &plan.units {
        if let Change::Delete { before } = change {
            let what = format!("unit {:?}", before.code);
            let id = match state.units_by_code.get(&before.code) {
                Some(id) if state.unit_in_scope(&state.paths(), *id) => *id,
                _ => return Err(not_found("unit", what)),
            };
            if let Some(message) = unit_dependents(conn, id).await? {
                return Err(StoreError::Conflict {
                    field: "unit".into(),
                    message: format!("{what}: {message}"),
                });
            }
            sqlx::query("DELETE FROM units WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(|e| conflict(e, "unit", format!("{what} is still referenced")))?;
            state.units_by_code.remove(&before.code);
            state.units.remove(&id);
            audit.push(AuditRow::new::<_, ()>(
                "delete",
                "unit",
                Some(id),
                Some(before),
                None,
            ));
            summary.deleted += 1;
        }
    }

    // The scheduler reloads when monitors changed, including those deleted with their assets.
    fn deletes<T>(changes: &[Change<T>]) -> bool {
        changes.iter().any(|c| matches!(c, Change::Delete { .. }))
    }
    if !plan.monitors.is_empty() || deletes(&plan.assets) || deletes(&plan.systems) {
        bump_watch_stamp(conn).await?;
    }

    audit.push(AuditRow::new::<(), _>(
        "import",
        "inventory",
        None,
        None,
        Some(&summary),
    ));
    flush_audit(conn, actor, &mut audit, 0).await?;
    Ok(summary)
}

/// Rows per multi-row asset insert (10 parameters each).
const ASSET_BATCH: usize = crate::sql::ROWS_PER_INSERT;
/// Audit rows buffered before writing.
const AUDIT_BATCH: usize = 1000;

async fn flush_audit(
    conn: &mut AnyConnection,
    actor: &Actor,
    audit: &mut Vec<AuditRow>,
    threshold: usize,
) -> Result<()> {
    if audit.len() > threshold {
        write_audit(conn, actor, audit).await?;
        audit.clear();
    }
    Ok(())
}

async fn apply_unit_create(
    conn: &mut AnyConnection,
    state: &mut State,
    record: &UnitRecord,
    at: i64,
    audit: &mut Vec<AuditRow>,
) -> Result<()> {
    let what = format!("unit {:?}", record.code);
    let paths = state.paths();
    let parent_id = match &record.parent {
        Some(code) => Some(state.unit_id(&what, "parent", code)?),
        None => None,
    };
    let parent_path = match parent_id {
        None if paths.is_some() => {
            return Err(StoreError::OutOfScope(format!("{what} without a parent")))
        }
        None => None,
        Some(pid) if state.unit_in_scope(&paths, pid) => {
            state.units.get(&pid).map(|u| u.path.clone())
        }
        Some(_) => return Err(StoreError::OutOfScope(what)),
    };
    let mut input = UnitInput {
        code: record.code.clone(),
        name: record.name.clone(),
        kind: record.kind,
        parent_id,
        address: record.address.clone(),
        valid_from: record.valid_from,
        valid_to: record.valid_to,
    };
    input.validate().map_err(|e| invalid(&what, e))?;
    let (id, path) = insert_unit(conn, &input, parent_path.as_deref(), at).await?;
    state.units_by_code.insert(input.code.clone(), id);
    state.units.insert(
        id,
        UnitMem {
            code: input.code.clone(),
            parent_id,
            path,
        },
    );
    audit.push(AuditRow::new::<(), _>(
        "create",
        "unit",
        Some(id),
        None,
        Some(record),
    ));
    Ok(())
}

async fn apply_unit_update(
    conn: &mut AnyConnection,
    state: &mut State,
    before: &UnitRecord,
    record: &UnitRecord,
    at: i64,
    audit: &mut Vec<AuditRow>,
) -> Result<()> {
    let what = format!("unit {:?}", record.code);
    let paths = state.paths();
    let id = match state.units_by_code.get(&record.code) {
        Some(id) if state.unit_in_scope(&paths, *id) => *id,
        _ => return Err(not_found("unit", what)),
    };
    let (old_path, old_parent) = match state.units.get(&id) {
        Some(u) => (u.path.clone(), u.parent_id),
        None => return Err(not_found("unit", what)),
    };
    let parent_id = match &record.parent {
        Some(code) => Some(state.unit_id(&what, "parent", code)?),
        None => None,
    };
    let mut new_path = old_path.clone();
    if parent_id != old_parent {
        match parent_id {
            None if paths.is_some() => {
                return Err(StoreError::OutOfScope(format!("{what} without a parent")))
            }
            None => new_path = format!("/{id}/"),
            Some(pid) => {
                if !state.unit_in_scope(&paths, pid) {
                    return Err(StoreError::OutOfScope(format!(
                        "{what}: parent {:?}",
                        record.parent.as_deref().unwrap_or_default()
                    )));
                }
                let parent_path = state
                    .units
                    .get(&pid)
                    .map(|u| u.path.clone())
                    .unwrap_or_default();
                if parent_path.starts_with(&old_path) {
                    return Err(StoreError::Conflict {
                        field: "parent".into(),
                        message: format!(
                            "{what} cannot move under itself or one of its own sub-units"
                        ),
                    });
                }
                new_path = format!("{parent_path}{id}/");
            }
        }
    }
    let mut input = UnitInput {
        code: record.code.clone(),
        name: record.name.clone(),
        kind: record.kind,
        parent_id,
        address: record.address.clone(),
        valid_from: record.valid_from,
        valid_to: record.valid_to,
    };
    input.validate().map_err(|e| invalid(&what, e))?;
    update_unit_row(conn, id, &input, &old_path, &new_path, at).await?;
    state.repath(id, &new_path);
    if let Some(u) = state.units.get_mut(&id) {
        u.parent_id = parent_id;
        u.code = input.code.clone();
    }
    audit.push(AuditRow::new(
        "update",
        "unit",
        Some(id),
        Some(before),
        Some(record),
    ));
    Ok(())
}

async fn apply_system(
    conn: &mut AnyConnection,
    state: &mut State,
    before: Option<&SystemRecord>,
    record: &SystemRecord,
    at: i64,
    audit: &mut Vec<AuditRow>,
) -> Result<()> {
    let what = format!("system {:?}", record.code);
    let paths = state.paths();
    let existing = match before {
        Some(_) => match state.systems_by_code.get(&record.code) {
            Some((id, owner, operator)) if state.system_in_scope(&paths, *owner, *operator) => {
                Some((*id, *owner, *operator))
            }
            _ => return Err(not_found("system", what)),
        },
        None => None,
    };
    let owner = state.unit_id(&what, "owner", &record.owner)?;
    let operator = match &record.operator {
        Some(code) => Some(state.unit_id(&what, "operator", code)?),
        None => None,
    };
    let units_changed = existing.is_none_or(|(_, o, p)| o != owner || p != operator);
    if units_changed && !state.system_in_scope(&paths, owner, operator) {
        return Err(StoreError::OutOfScope(format!(
            "{what} owned by unit {:?}",
            record.owner
        )));
    }
    let mut input = SystemInput {
        code: record.code.clone(),
        name: record.name.clone(),
        kind: record.kind,
        owner_unit_id: owner,
        operator_unit_id: operator,
        security_level: record.security_level,
        level_decision_number: record.level_decision_number.clone(),
        level_decision_date: record.level_decision_date,
        information_class: record.information_class,
        purpose: record.purpose.clone(),
        services: record.services.clone(),
        security_controls: record.security_controls.clone(),
        isp: record.isp.clone(),
        security_provider: record.security_provider.clone(),
    };
    input.validate().map_err(|e| invalid(&what, e))?;
    let code_conflict = |e| {
        conflict(
            e,
            "code",
            format!("a system with code {:?} already exists", record.code),
        )
    };
    let id = match existing {
        None => {
            let mut sql = Sql::new(SYSTEM_INSERT);
            system_binds(&mut sql, &input);
            sql.push(", ")
                .bind(at)
                .push(", ")
                .bind(at)
                .push(") RETURNING id");
            let id: Id = sql
                .query()
                .fetch_one(&mut *conn)
                .await
                .map_err(code_conflict)?
                .try_get(0)?;
            audit.push(AuditRow::new::<(), _>(
                "create",
                "system",
                Some(id),
                None,
                Some(record),
            ));
            id
        }
        Some((id, _, _)) => {
            let mut sql = Sql::new(SYSTEM_UPDATE);
            system_binds(&mut sql, &input);
            sql.push(", ").bind(at).push(") WHERE id = ").bind(id);
            sql.query()
                .execute(&mut *conn)
                .await
                .map_err(code_conflict)?;
            audit.push(AuditRow::new(
                "update",
                "system",
                Some(id),
                before,
                Some(record),
            ));
            id
        }
    };
    state
        .systems_by_code
        .insert(input.code.clone(), (id, owner, operator));
    Ok(())
}

/// The validated input of an asset record, its system resolved and checked against scope.
fn asset_input(state: &State, record: &AssetRecord, create: bool) -> Result<AssetInput> {
    let what = asset_label(record);
    let (system_id, owner, operator) = state.system(&what, &record.system)?;
    if !state.system_in_scope(&state.paths(), owner, operator) {
        return Err(if create {
            StoreError::OutOfScope(what)
        } else {
            not_found("asset", what)
        });
    }
    let mut input = AssetInput {
        system_id,
        kind: record.kind,
        value: record.value.clone(),
        name: record.name.clone(),
        os: record.os.clone(),
        os_version: record.os_version.clone(),
        software: record.software.clone(),
        note: record.note.clone(),
    };
    input.validate().map_err(|e| invalid(&what, e))?;
    Ok(input)
}

fn contact_input(state: &State, record: &ContactRecord, create: bool) -> Result<ContactInput> {
    let what = format!("contact {:?} of unit {:?}", record.name, record.unit);
    let unit_id = state.unit_id(&what, "unit", &record.unit)?;
    if !state.unit_in_scope(&state.paths(), unit_id) {
        return Err(if create {
            StoreError::OutOfScope(what)
        } else {
            not_found("contact", what)
        });
    }
    let mut input = ContactInput {
        unit_id,
        name: record.name.clone(),
        position: record.position.clone(),
        responsibility: record.responsibility.clone(),
        phone: record.phone.clone(),
        email: record.email.clone(),
    };
    input.validate().map_err(|e| invalid(&what, e))?;
    Ok(input)
}

fn monitor_label(m: &MonitorRecord) -> String {
    format!(
        "monitor {:?} of asset {} {} of system {:?}",
        m.name, m.asset_kind, m.asset, m.system
    )
}

/// The id of the asset a monitor record watches and the owner unit of its system (a monitor's
/// scope, as in the watch section).
async fn monitor_asset(
    conn: &mut AnyConnection,
    state: &State,
    record: &MonitorRecord,
) -> Result<(Id, Id)> {
    let what = monitor_label(record);
    let (system_id, owner, _) = state.system(&what, &record.system)?;
    let row =
        sqlx::query("SELECT id FROM assets WHERE system_id = $1 AND kind = $2 AND value = $3")
            .bind(system_id)
            .bind(record.asset_kind.code())
            .bind(record.asset.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some(row) => Ok((row.try_get(0)?, owner)),
        None if state.roots.is_none() => Err(invalid(
            &what,
            FieldError::new(
                "asset",
                format!(
                    "system {:?} has no asset {} {}",
                    record.system, record.asset_kind, record.asset
                ),
            ),
        )),
        None => Err(StoreError::OutOfScope(what)),
    }
}

/// The validated input of a monitor record, its asset resolved and checked against scope.
async fn monitor_input(
    conn: &mut AnyConnection,
    state: &State,
    record: &MonitorRecord,
    create: bool,
) -> Result<(Id, MonitorInput)> {
    let what = monitor_label(record);
    let (asset_id, owner) = monitor_asset(conn, state, record).await?;
    if !state.unit_in_scope(&state.paths(), owner) {
        return Err(if create {
            StoreError::OutOfScope(what)
        } else {
            not_found("monitor", what)
        });
    }
    let mut input = record.input(asset_id);
    input.validate().map_err(|e| invalid(&what, e))?;
    Ok((asset_id, input))
}

/// The monitor of an asset with this name (the first, should two share it).
async fn monitor_id(conn: &mut AnyConnection, asset_id: Id, name: &str) -> Result<Option<Id>> {
    let row = sqlx::query("SELECT id FROM monitors WHERE asset_id = $1 AND name = $2 ORDER BY id")
        .bind(asset_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Inserts the batched assets in multi-row statements and queues their audit rows.
async fn insert_assets(
    conn: &mut AnyConnection,
    batch: &mut Vec<(AssetInput, &AssetRecord)>,
    at: i64,
    audit: &mut Vec<AuditRow>,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO assets (search_lc, system_id, kind, value, name, os, os_version, software, note, \
         created_at, updated_at) VALUES ",
    );
    for (i, (input, _)) in batch.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(");
        asset_binds(&mut sql, input);
        sql.push(", ").bind(at).push(", ").bind(at).push(")");
    }
    sql.push(" RETURNING id, system_id, kind, value");
    let rows = sql.query().fetch_all(&mut *conn).await.map_err(|e| {
        let first = batch
            .first()
            .map(|(_, r)| asset_label(r))
            .unwrap_or_default();
        conflict(
            e,
            "value",
            format!(
                "an asset of the import already exists (in the batch starting with {first}); \
                 plan the import again"
            ),
        )
    })?;
    // Engines do not promise RETURNING order for multi-row inserts: match rows by key.
    let mut ids: HashMap<(Id, String, String), Id> = HashMap::with_capacity(rows.len());
    for row in rows {
        ids.insert(
            (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?),
            row.try_get(0)?,
        );
    }
    for (input, record) in batch.drain(..) {
        let id = ids
            .get(&(input.system_id, input.kind.code().to_string(), input.value))
            .copied();
        audit.push(AuditRow::new::<(), _>(
            "create",
            "asset",
            id,
            None,
            Some(record),
        ));
    }
    Ok(())
}

async fn update_asset_by_key(
    conn: &mut AnyConnection,
    input: &AssetInput,
    at: i64,
) -> Result<Option<Id>> {
    let row = sqlx::query(
        "UPDATE assets SET name = $1, os = $2, os_version = $3, software = $4, note = $5, \
         updated_at = $6, search_lc = $10 WHERE system_id = $7 AND kind = $8 AND value = $9 \
         RETURNING id",
    )
    .bind(input.name.clone())
    .bind(input.os.clone())
    .bind(input.os_version.clone())
    .bind(json_text(&input.software))
    .bind(input.note.clone())
    .bind(at)
    .bind(input.system_id)
    .bind(input.kind.code())
    .bind(input.value.as_str())
    .bind(crate::sql::asset_search(input))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

async fn authority_id(
    conn: &mut AnyConnection,
    code: &str,
    valid_from: Option<canhgac_model::Date>,
) -> Result<Id> {
    let row =
        sqlx::query("SELECT id FROM authorities WHERE code = $1 AND COALESCE(valid_from, '') = $2")
            .bind(code)
            .bind(valid_from.map(|d| d.to_string()).unwrap_or_default())
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(not_found(
            "authority",
            match valid_from {
                Some(d) => format!("{code:?} from {d}"),
                None => format!("{code:?}"),
            },
        )),
    }
}
