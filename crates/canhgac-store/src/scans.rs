//! Scans on the server: runs (queued by people or schedules, claimed by the worker with a
//! lease), what each run did to which finding, and schedules per information system.
//!
//! A run belongs to a unit (the owner of the system scanned) and is seen by callers whose scope
//! covers that unit; a schedule belongs to its system's owner. People's changes (queuing,
//! cancelling, schedules) are audited; the worker's progress writes are not, and its outcome is
//! audited through the findings batch it records.

use std::collections::HashMap;

use canhgac_model::scan_run::{
    check_scan_profile, next_scan_time, ScanChange, ScanFilter, ScanFrequency, ScanRequest,
    ScanResult, ScanRun, ScanSchedule, ScanScheduleInput, ScanStatus,
};
use canhgac_model::{
    Actor, AssetKind, FieldError, Finding, Id, Page, PageRequest, Scope, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::{self, get, json_text, micros, now, opt_ts, qualified, ts};
use crate::sql::{
    and_system_scope, fetch_page, path_in, scope_paths, unit_path, AuditRow, Backend, Paths,
    SqlStore,
};
use crate::{Result, StoreError};

/// A stored report larger than this is cut down to its first hosts.
pub const MAX_REPORT_BYTES: usize = 64 * 1024;

/// Most targets one run may name.
pub const MAX_TARGETS: usize = 1000;

/// An asset a caller may scan: of a system in their scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanAsset {
    /// The asset's system.
    pub system_id: Id,
    /// The unit a run of it belongs to: the system's owner, or its operator when only the
    /// operator is in the caller's scope (so an operating unit's officer may scan and see it).
    pub unit_id: Id,
    /// Kind of asset.
    pub kind: AssetKind,
    /// Its value (domain, address, network, URL).
    pub value: String,
}

/// Times a run may be taken by a worker; a run whose server keeps stopping mid-scan then fails.
pub const MAX_SCAN_ATTEMPTS: u32 = 3;

const RUN_COLS: &str = "id, profile, targets, system_id, unit_id, requested_by, schedule_id, \
     status, progress_permille, phase, attempts, created_at, started_at, finished_at, hosts, open_ports, \
     issues, findings_created, findings_updated, findings_reopened, findings_fixed, error, report";

const SCHEDULE_COLS: &str = "id, system_id, profile, frequency, weekday, minute_of_day, enabled, \
     next_run_at, last_scan_id, created_at, updated_at";

fn not_found(entity: &'static str, id: Id) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn run_select() -> String {
    format!(
        "SELECT {}, s.name AS system_name FROM scan_runs r JOIN units u ON u.id = r.unit_id \
         LEFT JOIN systems s ON s.id = r.system_id WHERE 1 = 1",
        qualified("r", RUN_COLS)
    )
}

fn and_run_scope(sql: &mut Sql, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND ");
        sql.push_path_scope("u.path", prefixes);
    }
}

fn decode_run(row: &AnyRow) -> Result<ScanRun> {
    const T: &str = "scan_runs";
    let targets: String = get(row, T, "targets")?;
    let status: String = get(row, T, "status")?;
    let report: Option<String> = get(row, T, "report")?;
    Ok(ScanRun {
        id: get(row, T, "id")?,
        profile: get(row, T, "profile")?,
        targets: serde_json::from_str(&targets)
            .map_err(|e| StoreError::Corrupt(format!("{T}.targets: {e}")))?,
        system_id: get(row, T, "system_id")?,
        system_name: get(row, T, "system_name")?,
        unit_id: get(row, T, "unit_id")?,
        requested_by: get(row, T, "requested_by")?,
        schedule_id: get(row, T, "schedule_id")?,
        status: ScanStatus::from_code(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("{T}.status: {status}")))?,
        progress: get::<i64>(row, T, "progress_permille")?.clamp(0, 1000) as f64 / 1000.0,
        phase: get(row, T, "phase")?,
        attempts: u32::try_from(get::<i64>(row, T, "attempts")?).unwrap_or(u32::MAX),
        created_at: ts(row, T, "created_at")?,
        started_at: opt_ts(row, T, "started_at")?,
        finished_at: opt_ts(row, T, "finished_at")?,
        hosts: to_u64(get(row, T, "hosts")?),
        open_ports: to_u64(get(row, T, "open_ports")?),
        issues: to_u64(get(row, T, "issues")?),
        findings_created: to_u64(get(row, T, "findings_created")?),
        findings_updated: to_u64(get(row, T, "findings_updated")?),
        findings_reopened: to_u64(get(row, T, "findings_reopened")?),
        findings_fixed: to_u64(get(row, T, "findings_fixed")?),
        error: get(row, T, "error")?,
        report: report.and_then(|r| serde_json::from_str(&r).ok()),
    })
}

fn decode_schedule(row: &AnyRow) -> Result<ScanSchedule> {
    const T: &str = "scan_schedules";
    let frequency: String = get(row, T, "frequency")?;
    let minute: i64 = get(row, T, "minute_of_day")?;
    Ok(ScanSchedule {
        id: get(row, T, "id")?,
        system_id: get(row, T, "system_id")?,
        system_name: get(row, T, "system_name")?,
        input: ScanScheduleInput {
            profile: get(row, T, "profile")?,
            frequency: ScanFrequency::from_code(&frequency)
                .ok_or_else(|| StoreError::Corrupt(format!("{T}.frequency: {frequency}")))?,
            weekday: get::<Option<i64>>(row, T, "weekday")?.and_then(|w| u8::try_from(w).ok()),
            time: format!("{:02}:{:02}", minute / 60, minute % 60),
            enabled: get::<i64>(row, T, "enabled")? != 0,
        },
        next_run_at: ts(row, T, "next_run_at")?,
        last_scan_id: get(row, T, "last_scan_id")?,
        created_at: ts(row, T, "created_at")?,
        updated_at: ts(row, T, "updated_at")?,
    })
}

async fn load_scoped_run(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<ScanRun> {
    let mut sql = Sql::new(&run_select());
    sql.push(" AND r.id = ").bind(id);
    and_run_scope(&mut sql, paths);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => decode_run(&row),
        None => Err(not_found("scan", id)),
    }
}

fn schedule_select() -> String {
    format!(
        "SELECT {}, s.name AS system_name FROM scan_schedules sc \
         JOIN systems s ON s.id = sc.system_id WHERE 1 = 1",
        qualified("sc", SCHEDULE_COLS)
    )
}

async fn load_scoped_schedule(
    conn: &mut AnyConnection,
    paths: &Paths,
    id: Id,
) -> Result<ScanSchedule> {
    let mut sql = Sql::new(&schedule_select());
    sql.push(" AND sc.id = ").bind(id);
    and_system_scope(&mut sql, "s", paths);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => decode_schedule(&row),
        None => Err(not_found("scan schedule", id)),
    }
}

/// The system's owner unit when the system is in scope.
pub(crate) async fn scoped_system_owner(
    conn: &mut AnyConnection,
    paths: &Paths,
    system_id: Id,
) -> Result<Id> {
    let mut sql = Sql::new("SELECT s.owner_unit_id FROM systems s WHERE s.id = ");
    sql.bind(system_id);
    and_system_scope(&mut sql, "s", paths);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(not_found("system", system_id)),
    }
}

/// The values of a system's assets, the targets a run of the system scans.
async fn system_targets(conn: &mut AnyConnection, system_id: Id) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT value FROM assets WHERE system_id = $1 ORDER BY id")
        .bind(system_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String, _>(0).map_err(StoreError::from))
        .collect()
}

/// Cuts a report down to fit [`MAX_REPORT_BYTES`]: hosts are dropped from the end.
fn capped_report(report: &serde_json::Value) -> String {
    let text = json_text(report);
    if text.len() <= MAX_REPORT_BYTES {
        return text;
    }
    let mut report = report.clone();
    if let Some(hosts) = report.get_mut("hosts").and_then(|h| h.as_array_mut()) {
        while !hosts.is_empty() && json_text(hosts).len() > MAX_REPORT_BYTES - 256 {
            hosts.pop();
        }
    }
    if let Some(object) = report.as_object_mut() {
        object.insert("truncated".into(), serde_json::Value::Bool(true));
    }
    let text = json_text(&report);
    if text.len() <= MAX_REPORT_BYTES {
        text
    } else {
        json_text(&serde_json::json!({"truncated": true}))
    }
}

async fn insert_run(
    conn: &mut AnyConnection,
    request: &ScanRequest,
    requested_by: &str,
    at: i64,
) -> Result<Id> {
    Ok(sqlx::query(
        "INSERT INTO scan_runs (profile, targets, system_id, unit_id, requested_by, schedule_id, \
         status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7) RETURNING id",
    )
    .bind(request.profile.as_str())
    .bind(json_text(&request.targets))
    .bind(request.system_id)
    .bind(request.unit_id)
    .bind(requested_by)
    .bind(request.schedule_id)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}

fn check_request(request: &ScanRequest) -> Result<()> {
    check_scan_profile(&request.profile)?;
    if request.targets.is_empty() {
        return Err(FieldError::new("targets", "cần ít nhất một mục tiêu").into());
    }
    if request.targets.len() > MAX_TARGETS {
        return Err(FieldError::new(
            "targets",
            format!("tối đa {MAX_TARGETS} mục tiêu mỗi lần rà quét"),
        )
        .into());
    }
    if request.targets.iter().any(|t| t.chars().count() > 2000) {
        return Err(FieldError::new("targets", "một mục tiêu dài quá 2000 ký tự").into());
    }
    Ok(())
}

impl SqlStore {
    pub(crate) async fn scan_assets_impl(&self, scope: &Scope) -> Result<Vec<ScanAsset>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(
            "SELECT a.system_id, s.owner_unit_id, a.kind, a.value, s.operator_unit_id \
             FROM assets a JOIN systems s ON s.id = a.system_id WHERE 1 = 1",
        );
        and_system_scope(&mut sql, "s", &paths);
        sql.push(" ORDER BY a.id");
        let mut visible: HashMap<Id, bool> = HashMap::new();
        let mut out = Vec::new();
        for row in sql.query().fetch_all(&mut *conn).await? {
            let kind: String = row.try_get(2)?;
            let owner: Id = row.try_get(1)?;
            let operator: Option<Id> = row.try_get(4)?;
            let owner_visible = match visible.get(&owner) {
                Some(seen) => *seen,
                None => {
                    let seen = unit_path(&mut conn, owner)
                        .await?
                        .is_some_and(|path| path_in(&paths, &path));
                    visible.insert(owner, seen);
                    seen
                }
            };
            out.push(ScanAsset {
                system_id: row.try_get(0)?,
                unit_id: if owner_visible {
                    owner
                } else {
                    operator.unwrap_or(owner)
                },
                kind: AssetKind::from_code(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("assets.kind: {kind}")))?,
                value: row.try_get(3)?,
            });
        }
        Ok(out)
    }

    pub(crate) async fn create_scan_impl(
        &self,
        actor: &Actor,
        request: &ScanRequest,
    ) -> Result<ScanRun> {
        check_request(request)?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        if let Some(system) = request.system_id {
            scoped_system_owner(conn, &paths, system).await?;
        }
        match unit_path(conn, request.unit_id).await? {
            Some(path) if path_in(&paths, &path) => {}
            _ => return Err(StoreError::OutOfScope(format!("unit {}", request.unit_id))),
        }
        let id = insert_run(conn, request, &actor.name, micros(now())).await?;
        let run = load_scoped_run(conn, &None, id).await?;
        w.commit_audited(actor, AuditRow::created("scan", id, request))
            .await?;
        Ok(run)
    }

    pub(crate) async fn list_scans_impl(
        &self,
        scope: &Scope,
        filter: &ScanFilter,
        page: &PageRequest,
    ) -> Result<Page<ScanRun>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut from = Sql::new(
            "FROM scan_runs r JOIN units u ON u.id = r.unit_id \
             LEFT JOIN systems s ON s.id = r.system_id WHERE 1 = 1",
        );
        and_run_scope(&mut from, &paths);
        if let Some(status) = filter.status {
            from.push(" AND r.status = ").bind(status.code());
        }
        if let Some(system) = filter.system_id {
            from.push(" AND r.system_id = ").bind(system);
        }
        let select = format!("SELECT {}, s.name AS system_name", qualified("r", RUN_COLS));
        fetch_page(&mut conn, &select, &from, "r.id DESC", page, decode_run).await
    }

    pub(crate) async fn get_scan_impl(&self, scope: &Scope, id: Id) -> Result<ScanRun> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_run(&mut conn, &paths, id).await
    }

    pub(crate) async fn scan_findings_impl(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<Vec<(ScanChange, Finding)>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_run(&mut conn, &paths, id).await?;
        let rows = sqlx::query(&format!(
            "SELECT rf.change AS change, {} FROM scan_run_findings rf \
             JOIN findings f ON f.id = rf.finding_id WHERE rf.scan_id = $1 \
             ORDER BY f.severity_rank DESC, f.id",
            qualified("f", rows::FINDING_COLS)
        ))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let change: String = get(&row, "scan_run_findings", "change")?;
            let change = ScanChange::from_code(&change).ok_or_else(|| {
                StoreError::Corrupt(format!("scan_run_findings.change: {change}"))
            })?;
            out.push((change, rows::finding(&row)?));
        }
        Ok(out)
    }

    pub(crate) async fn cancel_scan_impl(&self, actor: &Actor, id: Id) -> Result<ScanRun> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_run(conn, &paths, id).await?;
        if !before.status.is_active() {
            return Err(StoreError::Conflict {
                field: "status".into(),
                message: format!(
                    "lần rà quét đã kết thúc ({}), không hủy được",
                    before.status.label_vi()
                ),
            });
        }
        sqlx::query(
            "UPDATE scan_runs SET status = 'cancelled', finished_at = $1, lease_until = NULL, \
             phase = NULL WHERE id = $2",
        )
        .bind(micros(now()))
        .bind(id)
        .execute(&mut *conn)
        .await?;
        let after = load_scoped_run(conn, &None, id).await?;
        let brief = |r: &ScanRun| serde_json::json!({"status": r.status});
        w.commit_audited(
            actor,
            AuditRow::updated("scan", id, &brief(&before), &brief(&after)),
        )
        .await?;
        Ok(after)
    }

    pub(crate) async fn claim_scan_impl(
        &self,
        at: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<ScanRun>> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        // Queued runs first come first served, then runs whose worker's lease ran out (the
        // server was stopped mid-scan): those continue from their checkpoint, unless they have
        // already been taken `MAX_SCAN_ATTEMPTS` times: a run that keeps killing its server
        // fails rather than being retried for ever.
        let mut text = String::from(
            "SELECT id, attempts FROM scan_runs WHERE status = 'queued' \
             OR (status = 'running' AND lease_until < $1) ORDER BY id LIMIT 1",
        );
        if self.backend == Backend::Postgres {
            text.push_str(" FOR UPDATE SKIP LOCKED");
        }
        loop {
            let Some(row) = sqlx::query(&text)
                .bind(micros(at))
                .fetch_optional(&mut *conn)
                .await?
            else {
                w.commit().await?;
                return Ok(None);
            };
            let id: Id = row.try_get(0)?;
            let attempts: i64 = row.try_get(1)?;
            if attempts >= i64::from(MAX_SCAN_ATTEMPTS) {
                sqlx::query(
                    "UPDATE scan_runs SET status = 'failed', finished_at = $1, lease_until = NULL, \
                     phase = NULL, checkpoint = NULL, error = $2 WHERE id = $3",
                )
                .bind(micros(at))
                .bind(format!(
                    "máy chủ dừng giữa chừng {attempts} lần trong lúc rà quét; không thử lại nữa"
                ))
                .bind(id)
                .execute(&mut *conn)
                .await?;
                continue;
            }
            sqlx::query(
                "UPDATE scan_runs SET status = 'running', lease_until = $1, started_at = $2, \
                 attempts = attempts + 1, phase = NULL WHERE id = $3",
            )
            .bind(micros(lease_until))
            .bind(micros(at))
            .bind(id)
            .execute(&mut *conn)
            .await?;
            let run = load_scoped_run(conn, &None, id).await?;
            w.commit().await?;
            return Ok(Some(run));
        }
    }

    pub(crate) async fn scan_checkpoint_impl(&self, id: Id) -> Result<Option<String>> {
        let row = sqlx::query("SELECT checkpoint FROM scan_runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found("scan run", id))?;
        Ok(row.try_get(0)?)
    }

    pub(crate) async fn save_scan_checkpoint_impl(
        &self,
        id: Id,
        checkpoint: &str,
        fraction: f64,
        lease_until: Timestamp,
    ) -> Result<bool> {
        let permille = (fraction.clamp(0.0, 1.0) * 1000.0).round() as i64;
        let mut w = self.begin_write().await?;
        let saved = sqlx::query(
            "UPDATE scan_runs SET checkpoint = $1, progress_permille = $2, lease_until = $3 \
             WHERE id = $4 AND status = 'running'",
        )
        .bind(checkpoint)
        .bind(permille)
        .bind(micros(lease_until))
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(saved.rows_affected() > 0)
    }

    pub(crate) async fn scan_progress_impl(
        &self,
        id: Id,
        fraction: f64,
        phase: &str,
        lease_until: Timestamp,
    ) -> Result<bool> {
        let permille = (fraction.clamp(0.0, 1.0) * 1000.0).round() as i64;
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE scan_runs SET progress_permille = $1, phase = $2, lease_until = $3 \
             WHERE id = $4 AND status = 'running'",
        )
        .bind(permille)
        .bind(phase)
        .bind(micros(lease_until))
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn finish_scan_impl(&self, id: Id, result: &ScanResult) -> Result<bool> {
        if result.status.is_active() {
            return Err(FieldError::new("status", "a finished run is done or failed").into());
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let mut sql = Sql::new("UPDATE scan_runs SET status = ");
        sql.bind(result.status.code());
        sql.push(", finished_at = ").bind(micros(now()));
        sql.push(", lease_until = NULL, phase = NULL, checkpoint = NULL, progress_permille = ")
            .bind(if result.status == ScanStatus::Done {
                1000_i64
            } else {
                0_i64
            });
        sql.push(", hosts = ").bind(to_i64(result.hosts));
        sql.push(", open_ports = ").bind(to_i64(result.open_ports));
        sql.push(", issues = ").bind(to_i64(result.issues));
        sql.push(", findings_created = ")
            .bind(to_i64(result.outcome.created));
        sql.push(", findings_updated = ")
            .bind(to_i64(result.outcome.updated));
        sql.push(", findings_reopened = ")
            .bind(to_i64(result.outcome.reopened));
        sql.push(", findings_fixed = ")
            .bind(to_i64(result.outcome.fixed));
        sql.push(", error = ").bind(
            result
                .error
                .as_deref()
                .map(|e| e.chars().take(4000).collect::<String>()),
        );
        sql.push(", report = ")
            .bind(result.report.as_ref().map(capped_report));
        // A cancelled run stays cancelled, whatever the worker had got to.
        sql.push(" WHERE id = ")
            .bind(id)
            .push(" AND status = 'running'");
        let finished = sql.query().execute(&mut *conn).await?.rows_affected() > 0;
        if finished {
            let changes = result
                .outcome
                .raised
                .iter()
                .map(|f| (*f, ScanChange::New))
                .chain(
                    result
                        .outcome
                        .updated_ids
                        .iter()
                        .map(|f| (*f, ScanChange::Open)),
                )
                .chain(
                    result
                        .outcome
                        .fixed_ids
                        .iter()
                        .map(|f| (*f, ScanChange::Fixed)),
                );
            for (finding, change) in changes {
                sqlx::query(
                    "INSERT INTO scan_run_findings (scan_id, finding_id, change) \
                     VALUES ($1, $2, $3) ON CONFLICT (scan_id, finding_id) DO NOTHING",
                )
                .bind(id)
                .bind(finding)
                .bind(change.code())
                .execute(&mut *conn)
                .await?;
            }
        }
        w.commit().await?;
        Ok(finished)
    }

    pub(crate) async fn list_scan_schedules_impl(
        &self,
        scope: &Scope,
        system_id: Option<Id>,
    ) -> Result<Vec<ScanSchedule>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(&schedule_select());
        and_system_scope(&mut sql, "s", &paths);
        if let Some(system) = system_id {
            sql.push(" AND sc.system_id = ").bind(system);
        }
        sql.push(" ORDER BY s.name, sc.id");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(decode_schedule)
            .collect()
    }

    pub(crate) async fn get_scan_schedule_impl(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<ScanSchedule> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_schedule(&mut conn, &paths, id).await
    }

    pub(crate) async fn create_scan_schedule_impl(
        &self,
        actor: &Actor,
        system_id: Id,
        input: &ScanScheduleInput,
    ) -> Result<ScanSchedule> {
        let minute = input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        scoped_system_owner(conn, &paths, system_id).await?;
        let at = now();
        let next = next_scan_time(input.frequency, input.weekday, minute, at);
        let id: Id = sqlx::query(
            "INSERT INTO scan_schedules (system_id, profile, frequency, weekday, minute_of_day, \
             enabled, next_run_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(system_id)
        .bind(input.profile.as_str())
        .bind(input.frequency.code())
        .bind(weekday_column(input))
        .bind(i64::from(minute))
        .bind(i64::from(input.enabled))
        .bind(micros(next))
        .bind(micros(at))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let schedule = load_scoped_schedule(conn, &None, id).await?;
        w.commit_audited(actor, AuditRow::created("scan_schedule", id, &schedule))
            .await?;
        Ok(schedule)
    }

    pub(crate) async fn update_scan_schedule_impl(
        &self,
        actor: &Actor,
        id: Id,
        input: &ScanScheduleInput,
    ) -> Result<ScanSchedule> {
        let minute = input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_schedule(conn, &paths, id).await?;
        let at = now();
        let next = next_scan_time(input.frequency, input.weekday, minute, at);
        sqlx::query(
            "UPDATE scan_schedules SET profile = $1, frequency = $2, weekday = $3, \
             minute_of_day = $4, enabled = $5, next_run_at = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(input.profile.as_str())
        .bind(input.frequency.code())
        .bind(weekday_column(input))
        .bind(i64::from(minute))
        .bind(i64::from(input.enabled))
        .bind(micros(next))
        .bind(micros(at))
        .bind(id)
        .execute(&mut *conn)
        .await?;
        let after = load_scoped_schedule(conn, &None, id).await?;
        w.commit_audited(
            actor,
            AuditRow::updated("scan_schedule", id, &before.input, &after.input),
        )
        .await?;
        Ok(after)
    }

    pub(crate) async fn delete_scan_schedule_impl(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_schedule(conn, &paths, id).await?;
        sqlx::query("DELETE FROM scan_schedules WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("scan_schedule", id, &before))
            .await?;
        Ok(())
    }

    pub(crate) async fn enqueue_due_scans_impl(&self, at: Timestamp) -> Result<Vec<Id>> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let due: Vec<ScanSchedule> = {
            let mut sql = Sql::new(&schedule_select());
            sql.push(" AND sc.enabled = 1 AND sc.next_run_at <= ")
                .bind(micros(at));
            sql.push(" ORDER BY sc.next_run_at, sc.id");
            sql.query()
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(decode_schedule)
                .collect::<Result<_>>()?
        };
        let actor = Actor::system("scan-schedule");
        let mut queued = Vec::new();
        let mut audit = Vec::new();
        for schedule in due {
            let minute = schedule.input.validate()?;
            let next = next_scan_time(schedule.input.frequency, schedule.input.weekday, minute, at);
            let targets = system_targets(conn, schedule.system_id).await?;
            let owner: Id = sqlx::query("SELECT owner_unit_id FROM systems WHERE id = $1")
                .bind(schedule.system_id)
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            let mut last = schedule.last_scan_id;
            // A system without assets has nothing to scan; the schedule just moves on.
            if !targets.is_empty() {
                let request = ScanRequest {
                    profile: schedule.input.profile.clone(),
                    targets,
                    system_id: Some(schedule.system_id),
                    unit_id: owner,
                    schedule_id: Some(schedule.id),
                };
                let id = insert_run(conn, &request, &actor.name, micros(at)).await?;
                audit.push(AuditRow::created("scan", id, &request));
                queued.push(id);
                last = Some(id);
            }
            sqlx::query(
                "UPDATE scan_schedules SET next_run_at = $1, last_scan_id = $2 WHERE id = $3",
            )
            .bind(micros(next))
            .bind(last)
            .bind(schedule.id)
            .execute(&mut *conn)
            .await?;
        }
        if !audit.is_empty() {
            crate::sql::write_audit(&mut w.tx, &actor, &audit).await?;
        }
        w.commit().await?;
        Ok(queued)
    }
}

fn weekday_column(input: &ScanScheduleInput) -> Option<i64> {
    match input.frequency {
        ScanFrequency::Weekly => input.weekday.map(i64::from),
        ScanFrequency::Daily => None,
    }
}
