//! Monitors and what they found: raw checks, hourly rollups, outages, defacement baselines,
//! maintenance windows and remote probes.
//!
//! A monitor belongs to the owner unit of its asset's system. That unit is joined at query time,
//! not stored, so moving an asset to another system or a system to another owner carries its
//! monitors' scope along. People's changes (monitors, windows, approved baselines) are audited;
//! the watch engine's own writes (checks, captures, automatic monitors, resolving its alerts,
//! pruning) arrive every few seconds and are not audited one by one.

use canhgac_model::{
    Actor, Availability, CheckResult, DefacementBaseline, FieldError, Id, MaintenanceWindow,
    Monitor, MonitorFilter, MonitorInput, MonitorRollup, MonitorStateUpdate, MonitorStatus, Outage,
    Page, PageRequest, PageSnapshot, ProbeInfo, PublicMonitorStatus, Scope, Timestamp,
};
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::{self, json_text, micros, now, qualified};
use crate::sql::{
    conflict, fetch_page, lc, path_in, scope_paths, unit_path, AuditRow, Backend, Paths, SqlStore,
};
use crate::{Result, StoreError, WatchSummary};

const HOUR_MICROS: i64 = 3_600_000_000;
const DAY_MICROS: i64 = 24 * HOUR_MICROS;

/// Ids per `IN (...)` list: keeps statements small on both engines.
const IDS_PER_QUERY: usize = 500;

/// Most checks one call returns.
const MAX_CHECKS: u32 = 10_000;

/// Joins a monitor `m` to its asset `a`, the asset's system `s` and the system's owner unit `u`,
/// whose path decides the scope.
const UNIT_JOINS: &str = "JOIN assets a ON a.id = m.asset_id JOIN systems s ON s.id = a.system_id \
     JOIN units u ON u.id = s.owner_unit_id";

fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// `SELECT` of a whole monitor; the `FROM` must join [`UNIT_JOINS`].
pub(crate) fn monitor_select() -> String {
    format!(
        "SELECT {}, s.id AS system_id, s.owner_unit_id AS unit_id",
        qualified("m", rows::MONITOR_COLS)
    )
}

/// `FROM monitors m` with the joins the scope needs.
pub(crate) fn monitor_from() -> String {
    format!("FROM monitors m {UNIT_JOINS}")
}

/// `AND` the monitor's unit is in scope.
pub(crate) fn and_monitor_scope(sql: &mut Sql, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND ");
        sql.push_path_scope("u.path", prefixes);
    }
}

/// Appends `AND <column> IN (ids...)`.
fn and_ids(sql: &mut Sql, column: &str, ids: &[Id]) {
    sql.push(" AND ").push(column).push(" IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
}

pub(crate) async fn load_scoped_monitor(
    conn: &mut AnyConnection,
    paths: &Paths,
    id: Id,
) -> Result<Monitor> {
    let mut sql = Sql::new(&monitor_select());
    sql.push(" ")
        .push(&monitor_from())
        .push(" WHERE m.id = ")
        .bind(id);
    and_monitor_scope(&mut sql, paths);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => rows::monitor(&row),
        None => Err(not_found("monitor", id)),
    }
}

/// `NotFound` unless the monitor exists and is in scope.
async fn check_monitor_in_scope(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<()> {
    let mut sql = Sql::new("SELECT m.id ");
    sql.push(&monitor_from()).push(" WHERE m.id = ").bind(id);
    and_monitor_scope(&mut sql, paths);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(_) => Ok(()),
        None => Err(not_found("monitor", id)),
    }
}

/// The unit path owning `row`'s record, or `None` when the record does not exist.
async fn owner_path(conn: &mut AnyConnection, sql: &Sql) -> Result<Option<String>> {
    Ok(sql
        .query()
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get::<String, _>(0))
        .transpose()?)
}

/// Checks a record a new or changed record refers to (the asset of a monitor, the monitor of a
/// window): missing is a field error for unscoped callers, and `OutOfScope` for scoped ones so
/// they cannot tell missing from hidden (as for assets referring to systems).
fn check_reference(
    paths: &Paths,
    path: Option<String>,
    field: &str,
    entity: &str,
    id: Id,
) -> Result<()> {
    match path {
        Some(path) if path_in(paths, &path) => Ok(()),
        Some(_) => Err(StoreError::OutOfScope(format!("{entity} {id}"))),
        None if paths.is_none() => {
            Err(FieldError::new(field, format!("no {entity} with id {id}")).into())
        }
        None => Err(StoreError::OutOfScope(format!("{entity} {id}"))),
    }
}

async fn check_monitor_asset(conn: &mut AnyConnection, paths: &Paths, asset_id: Id) -> Result<()> {
    let mut sql = Sql::new(
        "SELECT u.path FROM assets a JOIN systems s ON s.id = a.system_id \
         JOIN units u ON u.id = s.owner_unit_id WHERE a.id = ",
    );
    sql.bind(asset_id);
    let path = owner_path(conn, &sql).await?;
    check_reference(paths, path, "asset_id", "asset", asset_id)
}

/// Moves the watch stamp: the scheduler reloads its monitors and windows.
pub(crate) async fn bump_watch_stamp(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("UPDATE watch_changes SET counter = counter + 1 WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The status a monitor gets when created: waiting for its first check, or off.
fn initial_status(input: &MonitorInput) -> MonitorStatus {
    if input.enabled {
        MonitorStatus::Pending
    } else {
        MonitorStatus::Paused
    }
}

fn search_text(input: &MonitorInput) -> String {
    lc(&format!("{} {}", input.name, input.target))
}

/// Refuses a target that no asset of the monitor's system covers: monitors touch only what is
/// in the inventory, like scans.
pub(crate) async fn check_target(conn: &mut AnyConnection, input: &MonitorInput) -> Result<()> {
    let rows = sqlx::query(
        "SELECT kind, value FROM assets WHERE system_id = \
         (SELECT system_id FROM assets WHERE id = $1)",
    )
    .bind(input.asset_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut assets = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get(0)?;
        let value: String = row.try_get(1)?;
        if let Some(kind) = canhgac_model::AssetKind::from_code(&kind) {
            assets.push((kind, value));
        }
    }
    canhgac_model::check_target_in_scope(input, &assets)?;
    Ok(())
}

/// Inserts a validated monitor of an existing asset; returns its id.
pub(crate) async fn insert_monitor(
    conn: &mut AnyConnection,
    input: &MonitorInput,
    automatic: bool,
    at: i64,
) -> Result<Id> {
    check_target(conn, input).await?;
    let auto = automatic.then(|| (input.kind.code(), input.target.as_str()));
    Ok(sqlx::query(
        "INSERT INTO monitors (asset_id, name, kind, target, search_lc, settings, interval_secs, \
         timeout_secs, retries, enabled, is_public, probes, status, status_since, \
         consecutive_failures, automatic, auto_kind, auto_target, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $16, $17, \
         $14, $14) RETURNING id",
    )
    .bind(input.asset_id)
    .bind(input.name.as_str())
    .bind(input.kind.code())
    .bind(input.target.as_str())
    .bind(search_text(input))
    .bind(json_text(&input.settings))
    .bind(i64::from(input.interval_secs))
    .bind(i64::from(input.timeout_secs))
    .bind(i64::from(input.retries))
    .bind(i64::from(input.enabled))
    .bind(i64::from(input.public))
    .bind(json_text(&input.probes))
    .bind(initial_status(input).code())
    .bind(at)
    .bind(i64::from(automatic))
    .bind(auto.map(|a| a.0))
    .bind(auto.map(|a| a.1))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| conflict(e, "name", NAME_TAKEN))?
    .try_get(0)?)
}

/// Why a monitor's name was refused.
const NAME_TAKEN: &str = "tài sản này đã có một giám sát cùng tên";

/// Writes a user's change of monitor `before` (validated `input`, an asset in scope): status
/// follows switching it off or on, a new page drops the defacement baseline, and it is no longer
/// automatic.
pub(crate) async fn update_monitor_row(
    conn: &mut AnyConnection,
    before: &Monitor,
    input: &MonitorInput,
    at: i64,
) -> Result<()> {
    check_target(conn, input).await?;
    // Switching a monitor off or on is a change of status the console shows.
    let (status, status_since) = match (before.input.enabled, input.enabled) {
        (true, false) => (MonitorStatus::Paused, Some(at)),
        (false, true) => (MonitorStatus::Pending, Some(at)),
        _ => (before.status, before.status_since.map(micros)),
    };
    sqlx::query(
        "UPDATE monitors SET asset_id = $1, name = $2, kind = $3, target = $4, \
         search_lc = $5, settings = $6, interval_secs = $7, timeout_secs = $8, retries = $9, \
         enabled = $10, is_public = $11, probes = $12, status = $13, status_since = $14, \
         automatic = 0, updated_at = $15 WHERE id = $16",
    )
    .bind(input.asset_id)
    .bind(input.name.as_str())
    .bind(input.kind.code())
    .bind(input.target.as_str())
    .bind(search_text(input))
    .bind(json_text(&input.settings))
    .bind(i64::from(input.interval_secs))
    .bind(i64::from(input.timeout_secs))
    .bind(i64::from(input.retries))
    .bind(i64::from(input.enabled))
    .bind(i64::from(input.public))
    .bind(json_text(&input.probes))
    .bind(status.code())
    .bind(status_since)
    .bind(at)
    .bind(before.id)
    .execute(&mut *conn)
    .await
    .map_err(|e| conflict(e, "name", NAME_TAKEN))?;
    if input.kind != before.input.kind || input.target != before.input.target {
        // The approved page was another page: the next check captures the new one.
        sqlx::query("DELETE FROM defacement_baselines WHERE monitor_id = $1")
            .bind(before.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Deletes monitor `before` with its history, remembering what it checked so the automatic
/// pass does not add it back.
pub(crate) async fn delete_monitor_row(
    conn: &mut AnyConnection,
    before: &Monitor,
    at: i64,
) -> Result<()> {
    let origin = sqlx::query("SELECT auto_kind, auto_target FROM monitors WHERE id = $1")
        .bind(before.id)
        .fetch_one(&mut *conn)
        .await?;
    let auto_kind: Option<String> = origin.try_get(0)?;
    let auto_target: Option<String> = origin.try_get(1)?;
    // Remembered so the automatic pass does not bring back what a user removed, under its
    // current and (for an edited automatic monitor) its original kind and target.
    let mut keys = vec![(
        before.input.kind.code().to_string(),
        before.input.target.clone(),
    )];
    if let (Some(kind), Some(target)) = (auto_kind, auto_target) {
        keys.push((kind, target));
    }
    for (kind, target) in keys {
        sqlx::query(
            "INSERT INTO deleted_monitors (asset_id, kind, target, deleted_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (asset_id, kind, target) DO NOTHING",
        )
        .bind(before.input.asset_id)
        .bind(kind)
        .bind(target)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    // Checks, rollups, outages, the baseline and windows go with it (foreign keys cascade).
    sqlx::query("DELETE FROM monitors WHERE id = $1")
        .bind(before.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Availability per monitor from the rollups before `at`; every id gets an entry, in order.
async fn availability_of(
    conn: &mut AnyConnection,
    ids: &[Id],
    at: Timestamp,
) -> Result<Vec<(Id, Availability)>> {
    let end = micros(at);
    let starts = [
        end.saturating_sub(DAY_MICROS),
        end.saturating_sub(7 * DAY_MICROS),
        end.saturating_sub(30 * DAY_MICROS),
    ];
    let mut sums: std::collections::HashMap<Id, [i64; 6]> = std::collections::HashMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let mut sql = Sql::new("SELECT monitor_id");
        for start in starts {
            // PostgreSQL sums BIGINT into NUMERIC; the cast brings it back to what `Any` reads.
            for column in ["checks", "ups"] {
                sql.push(", CAST(SUM(CASE WHEN hour >= ")
                    .bind(start)
                    .push(" THEN ")
                    .push(column)
                    .push(" ELSE 0 END) AS BIGINT)");
            }
        }
        sql.push(" FROM monitor_rollups WHERE hour >= ")
            .bind(starts[2])
            .push(" AND hour < ")
            .bind(end);
        and_ids(&mut sql, "monitor_id", chunk);
        sql.push(" GROUP BY monitor_id");
        for row in sql.query().fetch_all(&mut *conn).await? {
            let id: Id = row.try_get(0)?;
            let mut values = [0i64; 6];
            for (i, value) in values.iter_mut().enumerate() {
                *value = row.try_get::<Option<i64>, _>(i + 1)?.unwrap_or(0);
            }
            sums.insert(id, values);
        }
    }
    let percent = |checks: i64, ups: i64| {
        (checks > 0).then(|| (ups.clamp(0, checks) as f64) * 100.0 / (checks as f64))
    };
    Ok(ids
        .iter()
        .map(|id| {
            let availability = sums
                .get(id)
                .map_or_else(Availability::default, |s| Availability {
                    day: percent(s[0], s[1]),
                    week: percent(s[2], s[3]),
                    month: percent(s[4], s[5]),
                });
            (*id, availability)
        })
        .collect())
}

/// Resolves the open alerts of source `monitor` with `rule_key`.
async fn resolve_alerts(conn: &mut AnyConnection, rule_key: &str, comment: &str) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE alerts SET status = 'resolved', comment = $1, updated_at = $2 \
         WHERE source = 'monitor' AND rule_key = $3 AND status IN ('new', 'acknowledged')",
    )
    .bind(comment)
    .bind(micros(now()))
    .bind(rule_key)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

async fn load_baseline(
    conn: &mut AnyConnection,
    monitor_id: Id,
) -> Result<Option<DefacementBaseline>> {
    sqlx::query(&format!(
        "SELECT {} FROM defacement_baselines WHERE monitor_id = $1",
        rows::BASELINE_COLS
    ))
    .bind(monitor_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|row| rows::baseline(&row))
    .transpose()
}

/// What the audit log keeps of a baseline: not the page text, which can be large.
fn baseline_brief(b: &DefacementBaseline) -> serde_json::Value {
    serde_json::json!({
        "baseline_title": b.baseline.title,
        "baseline_size": b.baseline.size,
        "baseline_at": b.baseline_at,
        "approved_by": b.approved_by,
        "candidate_title": b.candidate.as_ref().map(|c| c.title.as_str()),
        "candidate_at": b.candidate_at,
    })
}

impl SqlStore {
    pub(crate) async fn list_monitors_impl(
        &self,
        scope: &Scope,
        filter: &MonitorFilter,
        page: &PageRequest,
    ) -> Result<Page<Monitor>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(&monitor_from());
        sql.push(" WHERE 1 = 1");
        and_monitor_scope(&mut sql, &paths);
        if let Some(unit) = filter.unit_id {
            // An unknown unit shows nothing rather than everything.
            let prefix = unit_path(&mut conn, unit)
                .await?
                .unwrap_or_else(|| "\u{1}no-such-unit".into());
            sql.push(" AND ").push_path_scope("u.path", &[prefix]);
        }
        if let Some(system) = filter.system_id {
            sql.push(" AND s.id = ").bind(system);
        }
        if let Some(asset) = filter.asset_id {
            sql.push(" AND m.asset_id = ").bind(asset);
        }
        if let Some(kind) = filter.kind {
            sql.push(" AND m.kind = ").bind(kind.code());
        }
        if !filter.statuses.is_empty() {
            sql.push(" AND m.status IN (");
            for (i, status) in filter.statuses.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(status.code());
            }
            sql.push(")");
        }
        let q = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .or(page.query());
        if let Some(q) = q {
            sql.push(" AND ").push_text_search(&["m.search_lc"], q);
        }
        fetch_page(
            &mut conn,
            &monitor_select(),
            &sql,
            "m.name, m.id",
            page,
            rows::monitor,
        )
        .await
    }

    pub(crate) async fn get_monitor_impl(&self, scope: &Scope, id: Id) -> Result<Monitor> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_monitor(&mut conn, &paths, id).await
    }

    pub(crate) async fn create_monitor_impl(
        &self,
        actor: &Actor,
        mut input: MonitorInput,
    ) -> Result<Monitor> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        check_monitor_asset(conn, &paths, input.asset_id).await?;
        let id = insert_monitor(conn, &input, false, micros(now())).await?;
        bump_watch_stamp(conn).await?;
        let monitor = load_scoped_monitor(conn, &None, id).await?;
        w.commit_audited(actor, AuditRow::created("monitor", id, &monitor))
            .await?;
        Ok(monitor)
    }

    pub(crate) async fn update_monitor_impl(
        &self,
        actor: &Actor,
        id: Id,
        mut input: MonitorInput,
    ) -> Result<Monitor> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_monitor(conn, &paths, id).await?;
        if input.asset_id != before.input.asset_id {
            check_monitor_asset(conn, &paths, input.asset_id).await?;
        }
        update_monitor_row(conn, &before, &input, micros(now())).await?;
        bump_watch_stamp(conn).await?;
        let after = load_scoped_monitor(conn, &None, id).await?;
        w.commit_audited(actor, AuditRow::updated("monitor", id, &before, &after))
            .await?;
        Ok(after)
    }

    pub(crate) async fn delete_monitor_impl(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_monitor(conn, &paths, id).await?;
        delete_monitor_row(conn, &before, micros(now())).await?;
        bump_watch_stamp(conn).await?;
        w.commit_audited(actor, AuditRow::deleted("monitor", id, &before))
            .await
    }

    pub(crate) async fn create_automatic_monitors_impl(
        &self,
        inputs: Vec<MonitorInput>,
    ) -> Result<u64> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let at = micros(now());
        let mut created: Vec<Id> = Vec::new();
        for mut input in inputs {
            if let Err(e) = input.validate() {
                tracing::warn!(asset_id = input.asset_id, name = %input.name, error = %e,
                    "automatic monitor skipped: invalid");
                continue;
            }
            let asset = sqlx::query("SELECT id FROM assets WHERE id = $1")
                .bind(input.asset_id)
                .fetch_optional(&mut *conn)
                .await?;
            if asset.is_none() {
                tracing::warn!(
                    asset_id = input.asset_id,
                    "automatic monitor skipped: no such asset"
                );
                continue;
            }
            let taken = sqlx::query(
                "SELECT 1 FROM monitors WHERE asset_id = $1 AND ((kind = $2 AND target = $3) \
                 OR (auto_kind = $2 AND auto_target = $3) OR name = $4) \
                 UNION ALL SELECT 1 FROM deleted_monitors WHERE asset_id = $1 AND kind = $2 \
                 AND target = $3 LIMIT 1",
            )
            .bind(input.asset_id)
            .bind(input.kind.code())
            .bind(input.target.as_str())
            .bind(input.name.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            if taken.is_some() {
                continue;
            }
            if let Err(e) = check_target(conn, &input).await {
                tracing::warn!(asset_id = input.asset_id, error = %e,
                    "automatic monitor skipped: target outside the system's assets");
                continue;
            }
            created.push(insert_monitor(conn, &input, true, at).await?);
        }
        if created.is_empty() {
            w.commit().await?;
            return Ok(0);
        }
        bump_watch_stamp(conn).await?;
        let summary = serde_json::json!({ "automatic": true, "ids": created });
        w.commit_audited(
            &Actor::system("watch"),
            AuditRow::new::<(), _>("create", "monitor", None, None, Some(&summary)),
        )
        .await?;
        Ok(created.len() as u64)
    }

    pub(crate) async fn enabled_monitors_impl(&self) -> Result<Vec<Monitor>> {
        let mut conn = self.pool.acquire().await?;
        let sql = format!(
            "{} {} WHERE m.enabled = 1 ORDER BY m.id",
            monitor_select(),
            monitor_from()
        );
        sqlx::query(&sql)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::monitor)
            .collect()
    }

    pub(crate) async fn watch_stamp_impl(&self) -> Result<String> {
        let mut conn = self.pool.acquire().await?;
        // The counter moves with every change made here; the count catches monitors deleted
        // with their asset; the assets' and systems' times catch a monitor changing unit.
        let row = sqlx::query(
            "SELECT (SELECT counter FROM watch_changes WHERE id = 1), \
             (SELECT COUNT(*) FROM monitors), \
             (SELECT MAX(a.updated_at) FROM monitors m JOIN assets a ON a.id = m.asset_id), \
             (SELECT MAX(s.updated_at) FROM monitors m JOIN assets a ON a.id = m.asset_id \
             JOIN systems s ON s.id = a.system_id)",
        )
        .fetch_one(&mut *conn)
        .await?;
        let mut parts = Vec::with_capacity(4);
        for i in 0..4 {
            let v: Option<i64> = row.try_get(i)?;
            parts.push(v.unwrap_or(0).to_string());
        }
        Ok(parts.join(":"))
    }

    pub(crate) async fn record_check_impl(
        &self,
        result: &CheckResult,
        update: &MonitorStateUpdate,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        // Checks of one monitor from several probes must not interleave their status and outage
        // decisions: PostgreSQL locks the row (SQLite already has a single writer).
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let state = sqlx::query(&format!(
            "SELECT status, status_since FROM monitors WHERE id = $1{lock}"
        ))
        .bind(result.monitor_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found("monitor", result.monitor_id))?;
        let old_status: String = state.try_get(0)?;
        let old_since: Option<i64> = state.try_get(1)?;
        let at = micros(result.at);
        let latency = result.latency_ms.map(i64::from);
        sqlx::query(
            "INSERT INTO monitor_checks (monitor_id, probe, at, ok, latency_ms, message, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(result.monitor_id)
        .bind(result.probe.as_str())
        .bind(at)
        .bind(i64::from(result.ok))
        .bind(latency)
        .bind(result.message.as_str())
        .bind(json_text(&result.details))
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO monitor_rollups (monitor_id, probe, hour, checks, ups, latency_sum_ms, \
             latency_count, latency_max_ms) VALUES ($1, $2, $3, 1, $4, $5, $6, $7) \
             ON CONFLICT (monitor_id, probe, hour) DO UPDATE SET \
             checks = monitor_rollups.checks + 1, ups = monitor_rollups.ups + excluded.ups, \
             latency_sum_ms = monitor_rollups.latency_sum_ms + excluded.latency_sum_ms, \
             latency_count = monitor_rollups.latency_count + excluded.latency_count, \
             latency_max_ms = CASE WHEN excluded.latency_max_ms > monitor_rollups.latency_max_ms \
             THEN excluded.latency_max_ms ELSE monitor_rollups.latency_max_ms END",
        )
        .bind(result.monitor_id)
        .bind(result.probe.as_str())
        .bind(at.div_euclid(HOUR_MICROS) * HOUR_MICROS)
        .bind(i64::from(result.ok))
        .bind(latency.unwrap_or(0))
        .bind(i64::from(latency.is_some()))
        .bind(latency.unwrap_or(0))
        .execute(&mut *conn)
        .await?;
        let since = if old_status == update.status.code() {
            old_since
        } else {
            Some(at)
        };
        sqlx::query(
            "UPDATE monitors SET status = $1, status_since = $2, consecutive_failures = $3, \
             last_check_at = $4, last_latency_ms = $5, last_message = $6 WHERE id = $7",
        )
        .bind(update.status.code())
        .bind(since)
        .bind(i64::from(update.consecutive_failures))
        .bind(at)
        .bind(latency)
        .bind(result.message.as_str())
        .bind(result.monitor_id)
        .execute(&mut *conn)
        .await?;
        if update.outage_ended {
            sqlx::query(
                "UPDATE monitor_outages SET ended_at = $1 WHERE monitor_id = $2 \
                 AND ended_at IS NULL",
            )
            .bind(at)
            .bind(result.monitor_id)
            .execute(&mut *conn)
            .await?;
        }
        if let Some(reason) = &update.outage_started {
            let open = sqlx::query(
                "SELECT id FROM monitor_outages WHERE monitor_id = $1 AND ended_at IS NULL \
                 LIMIT 1",
            )
            .bind(result.monitor_id)
            .fetch_optional(&mut *conn)
            .await?;
            if open.is_none() {
                sqlx::query(
                    "INSERT INTO monitor_outages (monitor_id, started_at, ended_at, reason) \
                     VALUES ($1, $2, NULL, $3)",
                )
                .bind(result.monitor_id)
                .bind(at)
                .bind(reason.as_str())
                .execute(&mut *conn)
                .await?;
            }
        }
        w.commit().await
    }

    pub(crate) async fn recent_checks_impl(
        &self,
        scope: &Scope,
        monitor_id: Id,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<CheckResult>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        check_monitor_in_scope(&mut conn, &paths, monitor_id).await?;
        sqlx::query(&format!(
            "SELECT {} FROM monitor_checks WHERE monitor_id = $1 AND at >= $2 \
             ORDER BY at DESC, id DESC LIMIT {}",
            rows::CHECK_COLS,
            limit.min(MAX_CHECKS)
        ))
        .bind(monitor_id)
        .bind(micros(since))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::check)
        .collect()
    }

    pub(crate) async fn latest_checks_by_probe_impl(
        &self,
        scope: &Scope,
        monitor_id: Id,
    ) -> Result<Vec<CheckResult>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        check_monitor_in_scope(&mut conn, &paths, monitor_id).await?;
        // Every check has a rollup, and the rollups are few: they name the probes cheaply.
        let probes: Vec<String> = sqlx::query(
            "SELECT DISTINCT probe FROM monitor_rollups WHERE monitor_id = $1 ORDER BY probe",
        )
        .bind(monitor_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::with_capacity(probes.len());
        for probe in probes {
            let row = sqlx::query(&format!(
                "SELECT {} FROM monitor_checks WHERE monitor_id = $1 AND probe = $2 \
                 ORDER BY at DESC, id DESC LIMIT 1",
                rows::CHECK_COLS
            ))
            .bind(monitor_id)
            .bind(probe.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(row) = row {
                out.push(rows::check(&row)?);
            }
        }
        Ok(out)
    }

    pub(crate) async fn monitor_rollups_impl(
        &self,
        scope: &Scope,
        monitor_id: Id,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<MonitorRollup>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        check_monitor_in_scope(&mut conn, &paths, monitor_id).await?;
        sqlx::query(&format!(
            "SELECT {} FROM monitor_rollups WHERE monitor_id = $1 AND hour >= $2 AND hour < $3 \
             ORDER BY hour, probe",
            rows::ROLLUP_COLS
        ))
        .bind(monitor_id)
        .bind(micros(from))
        .bind(micros(to))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::rollup)
        .collect()
    }

    pub(crate) async fn availability_impl(
        &self,
        scope: &Scope,
        monitor_ids: &[Id],
        at: Timestamp,
    ) -> Result<Vec<(Id, Availability)>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut visible = std::collections::HashSet::new();
        for chunk in monitor_ids.chunks(IDS_PER_QUERY) {
            let mut sql = Sql::new("SELECT m.id ");
            sql.push(&monitor_from()).push(" WHERE 1 = 1");
            and_ids(&mut sql, "m.id", chunk);
            and_monitor_scope(&mut sql, &paths);
            for row in sql.query().fetch_all(&mut *conn).await? {
                visible.insert(row.try_get::<Id, _>(0)?);
            }
        }
        let mut ids: Vec<Id> = Vec::with_capacity(visible.len());
        for id in monitor_ids {
            if visible.contains(id) && !ids.contains(id) {
                ids.push(*id);
            }
        }
        availability_of(&mut conn, &ids, at).await
    }

    pub(crate) async fn outages_impl(
        &self,
        scope: &Scope,
        monitor_id: Id,
        limit: u32,
    ) -> Result<Vec<Outage>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        check_monitor_in_scope(&mut conn, &paths, monitor_id).await?;
        sqlx::query(&format!(
            "SELECT {} FROM monitor_outages WHERE monitor_id = $1 \
             ORDER BY started_at DESC, id DESC LIMIT {}",
            rows::OUTAGE_COLS,
            limit.min(MAX_CHECKS)
        ))
        .bind(monitor_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::outage)
        .collect()
    }

    pub(crate) async fn prune_checks_impl(
        &self,
        checks_before: Timestamp,
        rollups_before: Timestamp,
    ) -> Result<u64> {
        let mut w = self.begin_write().await?;
        let checks = sqlx::query("DELETE FROM monitor_checks WHERE at < $1")
            .bind(micros(checks_before))
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        let rollups = sqlx::query("DELETE FROM monitor_rollups WHERE hour < $1")
            .bind(micros(rollups_before))
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(checks + rollups)
    }

    pub(crate) async fn defacement_baseline_impl(
        &self,
        scope: &Scope,
        monitor_id: Id,
    ) -> Result<Option<DefacementBaseline>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        check_monitor_in_scope(&mut conn, &paths, monitor_id).await?;
        load_baseline(&mut conn, monitor_id).await
    }

    pub(crate) async fn set_baseline_impl(
        &self,
        monitor_id: Id,
        snapshot: &PageSnapshot,
        at: Timestamp,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        check_monitor_in_scope(conn, &None, monitor_id).await?;
        sqlx::query(
            "INSERT INTO defacement_baselines (monitor_id, baseline, baseline_at, approved_by, \
             candidate, candidate_at) VALUES ($1, $2, $3, NULL, NULL, NULL) \
             ON CONFLICT (monitor_id) DO UPDATE SET baseline = excluded.baseline, \
             baseline_at = excluded.baseline_at, approved_by = NULL, candidate = NULL, \
             candidate_at = NULL",
        )
        .bind(monitor_id)
        .bind(json_text(snapshot))
        .bind(micros(at))
        .execute(&mut *conn)
        .await?;
        w.commit().await
    }

    pub(crate) async fn set_candidate_impl(
        &self,
        monitor_id: Id,
        snapshot: Option<&PageSnapshot>,
        at: Timestamp,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE defacement_baselines SET candidate = $1, candidate_at = $2 \
             WHERE monitor_id = $3",
        )
        .bind(snapshot.map(json_text))
        .bind(snapshot.map(|_| micros(at)))
        .bind(monitor_id)
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 && snapshot.is_some() {
            // A capture differs from a baseline; without one there is nothing to differ from.
            return Err(not_found("defacement baseline", monitor_id));
        }
        w.commit().await
    }

    pub(crate) async fn approve_candidate_impl(
        &self,
        actor: &Actor,
        monitor_id: Id,
    ) -> Result<DefacementBaseline> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        check_monitor_in_scope(conn, &paths, monitor_id).await?;
        let before = load_baseline(conn, monitor_id).await?;
        let Some((before, candidate)) =
            before.and_then(|b| b.candidate.clone().map(|candidate| (b, candidate)))
        else {
            return Err(
                FieldError::new("candidate", "không có bản chụp trang mới nào chờ duyệt").into(),
            );
        };
        let after = DefacementBaseline {
            monitor_id,
            baseline: candidate,
            baseline_at: now(),
            approved_by: Some(actor.name.clone()),
            candidate: None,
            candidate_at: None,
        };
        sqlx::query(
            "UPDATE defacement_baselines SET baseline = $1, baseline_at = $2, approved_by = $3, \
             candidate = NULL, candidate_at = NULL WHERE monitor_id = $4",
        )
        .bind(json_text(&after.baseline))
        .bind(micros(after.baseline_at))
        .bind(actor.name.as_str())
        .bind(monitor_id)
        .execute(&mut *conn)
        .await?;
        resolve_alerts(
            conn,
            &format!("watch:defacement:{monitor_id}"),
            &format!("{} đã duyệt nội dung mới làm trang gốc", actor.name),
        )
        .await?;
        w.commit_audited(
            actor,
            AuditRow::updated(
                "defacement_baseline",
                monitor_id,
                &baseline_brief(&before),
                &baseline_brief(&after),
            ),
        )
        .await?;
        Ok(after)
    }

    pub(crate) async fn list_maintenance_impl(
        &self,
        scope: &Scope,
        monitor_id: Option<Id>,
        at: Timestamp,
    ) -> Result<Vec<MaintenanceWindow>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        if let Some(id) = monitor_id {
            check_monitor_in_scope(&mut conn, &paths, id).await?;
        }
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM maintenance_windows w JOIN monitors m ON m.id = w.monitor_id \
             {UNIT_JOINS} WHERE w.ends_at > ",
            qualified("w", rows::WINDOW_COLS)
        ));
        sql.bind(micros(at));
        if let Some(id) = monitor_id {
            sql.push(" AND w.monitor_id = ").bind(id);
        }
        and_monitor_scope(&mut sql, &paths);
        sql.push(" ORDER BY w.starts_at, w.id");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::window)
            .collect()
    }

    pub(crate) async fn create_maintenance_impl(
        &self,
        actor: &Actor,
        mut window: MaintenanceWindow,
    ) -> Result<MaintenanceWindow> {
        window.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let mut sql = Sql::new("SELECT u.path FROM monitors m ");
        sql.push(UNIT_JOINS)
            .push(" WHERE m.id = ")
            .bind(window.monitor_id);
        let path = owner_path(conn, &sql).await?;
        check_reference(&paths, path, "monitor_id", "monitor", window.monitor_id)?;
        window.id = sqlx::query(
            "INSERT INTO maintenance_windows (monitor_id, starts_at, ends_at, reason, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(window.monitor_id)
        .bind(micros(window.starts_at))
        .bind(micros(window.ends_at))
        .bind(window.reason.as_str())
        .bind(actor.name.as_str())
        .bind(micros(now()))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        bump_watch_stamp(conn).await?;
        w.commit_audited(
            actor,
            AuditRow::created("maintenance_window", window.id, &window),
        )
        .await?;
        Ok(window)
    }

    pub(crate) async fn delete_maintenance_impl(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM maintenance_windows w JOIN monitors m ON m.id = w.monitor_id \
             {UNIT_JOINS} WHERE w.id = ",
            qualified("w", rows::WINDOW_COLS)
        ));
        sql.bind(id);
        and_monitor_scope(&mut sql, &paths);
        let before = match sql.query().fetch_optional(&mut *conn).await? {
            Some(row) => rows::window(&row)?,
            None => return Err(not_found("maintenance window", id)),
        };
        sqlx::query("DELETE FROM maintenance_windows WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        bump_watch_stamp(conn).await?;
        w.commit_audited(actor, AuditRow::deleted("maintenance_window", id, &before))
            .await
    }

    pub(crate) async fn resolve_monitor_alerts_impl(
        &self,
        rule_key: &str,
        comment: &str,
    ) -> Result<u64> {
        let mut w = self.begin_write().await?;
        let resolved = resolve_alerts(&mut w.tx, rule_key, comment).await?;
        w.commit().await?;
        Ok(resolved)
    }

    pub(crate) async fn touch_probe_impl(
        &self,
        name: &str,
        address: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "không được để trống").into());
        }
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO probes (name, last_seen, address) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen, \
             address = COALESCE(excluded.address, probes.address)",
        )
        .bind(name)
        .bind(micros(at))
        .bind(address)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub(crate) async fn list_probes_impl(&self) -> Result<Vec<ProbeInfo>> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT name, last_seen, address FROM probes ORDER BY name")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::probe)
            .collect()
    }

    pub(crate) async fn public_status_impl(
        &self,
        at: Timestamp,
    ) -> Result<Vec<PublicMonitorStatus>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT id, name, status FROM monitors WHERE is_public = 1 ORDER BY name, id",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut listed = Vec::with_capacity(rows.len());
        for row in rows {
            let id: Id = row.try_get(0)?;
            let name: String = row.try_get(1)?;
            let status: String = row.try_get(2)?;
            let status = MonitorStatus::from_code(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("monitors.status: {status:?}")))?;
            listed.push((id, name, status));
        }
        let ids: Vec<Id> = listed.iter().map(|m| m.0).collect();
        let availability = availability_of(&mut conn, &ids, at).await?;
        Ok(listed
            .into_iter()
            .zip(availability)
            .map(
                |((_, name, status), (_, availability))| PublicMonitorStatus {
                    name,
                    status,
                    availability,
                },
            )
            .collect())
    }

    pub(crate) async fn watch_summary_impl(&self, scope: &Scope) -> Result<WatchSummary> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("SELECT m.status, COUNT(*) ");
        sql.push(&monitor_from()).push(" WHERE 1 = 1");
        and_monitor_scope(&mut sql, &paths);
        sql.push(" GROUP BY m.status");
        let mut summary = WatchSummary::default();
        for row in sql.query().fetch_all(&mut *conn).await? {
            let status: String = row.try_get(0)?;
            let count = u64::try_from(row.try_get::<i64, _>(1)?).unwrap_or(0);
            summary.total += count;
            match MonitorStatus::from_code(&status) {
                Some(MonitorStatus::Up) => summary.up += count,
                Some(MonitorStatus::Down) => summary.down += count,
                Some(MonitorStatus::Flapping) => summary.flapping += count,
                _ => summary.other += count,
            }
        }
        Ok(summary)
    }
}
