//! [`SqlStore`]: the [`Store`] over sqlx's `Any` driver, for SQLite and PostgreSQL.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::bulletin::{
    Bulletin, BulletinConfirmation, BulletinDetail, BulletinInput, BulletinLink, OutboxCounts,
    OutboxDraft, OutboxFilter, OutboxMail, OutboxMessage,
};
use canhgac_model::inventory::{InventoryDocument, InventoryPlan, PlanSummary};
use canhgac_model::{
    Actor, Alert, AlertDraft, AlertFilter, AlertStatus, ApiToken, Asset, AssetInput, AuditEntry,
    AuditFilter, Authority, AuthorityInput, Availability, CheckResult, Contact, ContactInput,
    DefacementBaseline, FieldError, Id, Indicator, IndicatorInput, InformationSystem,
    MaintenanceWindow, Monitor, MonitorFilter, MonitorInput, MonitorRollup, MonitorStateUpdate,
    Outage, Page, PageRequest, PageSnapshot, ProbeInfo, PublicMonitorStatus, RuleOverride, Scope,
    Suppression, SystemInput, SystemKind, Timestamp, Unit, UnitInput, User, UserInput,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use sqlx::{AnyConnection, Executor};
use tokio::sync::{Mutex, MutexGuard};

use crate::query::{path_upper_bound, Sql};
use crate::rows::{self, date_text, json_text, micros, now, qualified};
use crate::{
    AlertSummary, AssetFilter, ContactFilter, Dashboard, IndicatorFilter, IndicatorImport, Result,
    Session, Store, StoreError, SystemFilter, UnitBrief, UnitCounts, UnitFilter, UserCredentials,
    WatchSummary, WriteBulletinMail,
};

/// Migrations per backend, applied in order; the number is the version recorded in
/// `schema_migrations`.
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "detection",
        include_str!("../migrations/sqlite/0002_detection.sql"),
    ),
    (
        3,
        "watch",
        include_str!("../migrations/sqlite/0003_watch.sql"),
    ),
    (
        4,
        "findings",
        include_str!("../migrations/sqlite/0004_findings.sql"),
    ),
    // ---- bulletins and the outbox ----
    (
        5,
        "bulletins",
        include_str!("../migrations/sqlite/0005_bulletins.sql"),
    ),
    // ---- scans on the server ----
    (
        6,
        "scans",
        include_str!("../migrations/sqlite/0006_scans.sql"),
    ),
    // ---- accepted risks with an expiry ----
    (
        7,
        "finding_expiry",
        include_str!("../migrations/sqlite/0007_finding_expiry.sql"),
    ),
    // ---- scans resume from a checkpoint ----
    (
        8,
        "scan_checkpoint",
        include_str!("../migrations/sqlite/0008_scan_checkpoint.sql"),
    ),
    // ---- indicators carry what their feeds say ----
    (
        9,
        "indicator_meta",
        include_str!("../migrations/sqlite/0009_indicator_meta.sql"),
    ),
    // ---- duty roster and paging ----
    (
        10,
        "duty_notify",
        include_str!("../migrations/sqlite/0010_duty_notify.sql"),
    ),
    // ---- incidents and the report archive ----
    (
        11,
        "incidents",
        include_str!("../migrations/sqlite/0011_incidents.sql"),
    ),
    // ---- advisory register and retro-hunts ----
    (
        12,
        "advisories",
        include_str!("../migrations/sqlite/0012_advisories.sql"),
    ),
    // ---- systems' backups and failover tests ----
    (
        13,
        "redundancy",
        include_str!("../migrations/sqlite/0013_redundancy.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "detection",
        include_str!("../migrations/postgres/0002_detection.sql"),
    ),
    (
        3,
        "watch",
        include_str!("../migrations/postgres/0003_watch.sql"),
    ),
    (
        4,
        "findings",
        include_str!("../migrations/postgres/0004_findings.sql"),
    ),
    // ---- bulletins and the outbox ----
    (
        5,
        "bulletins",
        include_str!("../migrations/postgres/0005_bulletins.sql"),
    ),
    // ---- scans on the server ----
    (
        6,
        "scans",
        include_str!("../migrations/postgres/0006_scans.sql"),
    ),
    // ---- accepted risks with an expiry ----
    (
        7,
        "finding_expiry",
        include_str!("../migrations/postgres/0007_finding_expiry.sql"),
    ),
    // ---- scans resume from a checkpoint ----
    (
        8,
        "scan_checkpoint",
        include_str!("../migrations/postgres/0008_scan_checkpoint.sql"),
    ),
    // ---- indicators carry what their feeds say ----
    (
        9,
        "indicator_meta",
        include_str!("../migrations/postgres/0009_indicator_meta.sql"),
    ),
    // ---- duty roster and paging ----
    (
        10,
        "duty_notify",
        include_str!("../migrations/postgres/0010_duty_notify.sql"),
    ),
    // ---- incidents and the report archive ----
    (
        11,
        "incidents",
        include_str!("../migrations/postgres/0011_incidents.sql"),
    ),
    // ---- advisory register and retro-hunts ----
    (
        12,
        "advisories",
        include_str!("../migrations/postgres/0012_advisories.sql"),
    ),
    // ---- systems' backups and failover tests ----
    (
        13,
        "redundancy",
        include_str!("../migrations/postgres/0013_redundancy.sql"),
    ),
];

/// How often `last_used_at` of an API token is refreshed at most, so that a busy token does not
/// turn every read into a write.
const TOKEN_TOUCH_INTERVAL_MICROS: i64 = 60_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The SQL implementation of [`Store`] for both SQLite and PostgreSQL.
pub struct SqlStore {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// SQLite allows one writer; serialising writers in-process avoids lock waits and the
    /// `SQLITE_BUSY` a deferred transaction gets when it upgrades to a writer too late.
    write_lock: Mutex<()>,
}

/// A write transaction, holding the SQLite writer lock for its lifetime.
pub(crate) struct WriteTx<'a> {
    pub(crate) tx: Transaction<'static, Any>,
    _guard: Option<MutexGuard<'a, ()>>,
}

impl WriteTx<'_> {
    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Records `change` in the audit log and commits, so the change and its audit entry land
    /// together or not at all. Single-record writes end here.
    pub(crate) async fn commit_audited(mut self, actor: &Actor, change: AuditRow) -> Result<()> {
        write_audit(&mut self.tx, actor, &[change]).await?;
        self.commit().await
    }
}

/// Returns `url` with any password replaced by `***`, for messages and logs.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        // Unparseable: hide everything between `://` and `@`, which is where a password would be.
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}***{}", &url[..start + 3], &url[at..])
            }
            _ => url.to_string(),
        },
    }
}

/// The path of a `sqlite:` URL (`sqlite://PATH`, `sqlite:PATH`), without query.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    Some(path.to_string())
}

fn open_error(url: &str, message: impl std::fmt::Display) -> StoreError {
    StoreError::Open {
        url: mask_url(url),
        message: message.to_string(),
    }
}

/// Maps a unique or foreign-key violation to a [`StoreError::Conflict`] on `field`; other
/// errors pass through.
pub(crate) fn conflict(err: sqlx::Error, field: &str, message: impl Into<String>) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() || db.is_foreign_key_violation() {
            return StoreError::Conflict {
                field: field.to_string(),
                message: message.into(),
            };
        }
    }
    StoreError::Database(err)
}

fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// What an asset's text search matches: its address and name, lower-cased, in one column so a
/// search over 50,000 assets is one comparison per row.
pub(crate) fn asset_search(input: &AssetInput) -> String {
    match &input.name {
        Some(name) => lc(&format!("{} {name}", input.value)),
        None => lc(&input.value),
    }
}

/// The lower-case copy of a name that text search matches against: SQLite's `LOWER` folds
/// only ASCII, which would make "Sở" and "SỞ" differ.
pub(crate) fn lc(text: &str) -> String {
    text.to_lowercase()
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The unit paths a scope covers: `None` for everything.
pub(crate) type Paths = Option<Vec<String>>;

pub(crate) fn path_in(paths: &Paths, path: &str) -> bool {
    match paths {
        None => true,
        Some(prefixes) => prefixes.iter().any(|p| path.starts_with(p.as_str())),
    }
}

/// Resolves a scope to the paths of its root units.
pub(crate) async fn scope_paths(conn: &mut AnyConnection, scope: &Scope) -> Result<Paths> {
    let Scope::Units(ids) = scope else {
        return Ok(None);
    };
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut sql = Sql::new("SELECT path FROM units WHERE id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    let mut paths: Vec<String> = sql
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<std::result::Result<_, _>>()?;
    // Nested roots add nothing and cost an OR each.
    paths.sort();
    let mut kept: Vec<String> = Vec::with_capacity(paths.len());
    for path in paths {
        if !kept.iter().any(|k| path.starts_with(k.as_str())) {
            kept.push(path);
        }
    }
    Ok(Some(kept))
}

/// Appends `AND <alias>.path is in scope`.
fn and_unit_scope(sql: &mut Sql, column: &str, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND ");
        sql.push_path_scope(column, prefixes);
    }
}

/// Appends `AND` the system at `alias` is owned or operated by a unit in scope.
pub(crate) fn and_system_scope(sql: &mut Sql, alias: &str, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND (")
            .push(alias)
            .push(".owner_unit_id IN (SELECT su.id FROM units su WHERE ");
        sql.push_path_scope("su.path", prefixes);
        sql.push(") OR ")
            .push(alias)
            .push(".operator_unit_id IN (SELECT su.id FROM units su WHERE ");
        sql.push_path_scope("su.path", prefixes);
        sql.push("))");
    }
}

/// Runs a page query and, when needed, a count query sharing one `FROM ... WHERE ...` tail.
///
/// The page comes first: a page that is not full (and not past the end) already tells the
/// total, which saves the count's second scan of every row on selective text searches (a search
/// over 50,000 assets that matches a handful scans them once, not twice).
pub(crate) async fn fetch_page<T>(
    conn: &mut AnyConnection,
    select: &str,
    from_where: &Sql,
    order: &str,
    page: &PageRequest,
    decode: fn(&AnyRow) -> Result<T>,
) -> Result<Page<T>> {
    let mut rows = Sql::new(select);
    rows.push(" ");
    rows.text.push_str(&from_where.text);
    rows.args = from_where.args.clone();
    rows.push(&format!(
        " ORDER BY {order} LIMIT {} OFFSET {}",
        page.limit(),
        page.offset()
    ));
    let items = rows
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(decode)
        .collect::<Result<Vec<T>>>()?;
    let shown = items.len() as u64;
    let total = if shown < u64::from(page.limit()) && (shown > 0 || page.offset() == 0) {
        page.offset() + shown
    } else {
        let mut count = Sql::new("SELECT COUNT(*) ");
        count.text.push_str(&from_where.text);
        count.args = from_where.args.clone();
        to_u64(count.query().fetch_one(&mut *conn).await?.try_get(0)?)
    };
    Ok(Page {
        items,
        total,
        page: page.page.max(1),
        per_page: page.limit(),
    })
}

/// Rows per multi-row insert. Kept small on purpose: binding a parameter by name costs SQLite
/// time linear in the statement's parameter count, so huge statements go quadratic; a few
/// hundred parameters amortise the per-statement round trip without that.
pub(crate) const ROWS_PER_INSERT: usize = 32;

/// One audit row, written with the change it records.
pub(crate) struct AuditRow {
    pub(crate) action: String,
    pub(crate) entity: &'static str,
    pub(crate) entity_id: Option<Id>,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
}

impl AuditRow {
    pub(crate) fn new<B: serde::Serialize, A: serde::Serialize>(
        action: &str,
        entity: &'static str,
        entity_id: Option<Id>,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Self {
        Self {
            action: action.to_string(),
            entity,
            entity_id,
            before: before.map(json_text),
            after: after.map(json_text),
        }
    }

    /// A record was created.
    pub(crate) fn created<A: serde::Serialize>(entity: &'static str, id: Id, after: &A) -> Self {
        Self::new::<(), A>("create", entity, Some(id), None, Some(after))
    }

    /// A record changed from `before` to `after`.
    pub(crate) fn updated<B: serde::Serialize, A: serde::Serialize>(
        entity: &'static str,
        id: Id,
        before: &B,
        after: &A,
    ) -> Self {
        Self::new("update", entity, Some(id), Some(before), Some(after))
    }

    /// A record was deleted.
    pub(crate) fn deleted<B: serde::Serialize>(entity: &'static str, id: Id, before: &B) -> Self {
        Self::new::<B, ()>("delete", entity, Some(id), Some(before), None)
    }
}

/// Writes audit rows, many per statement.
pub(crate) async fn write_audit(
    conn: &mut AnyConnection,
    actor: &Actor,
    entries: &[AuditRow],
) -> Result<()> {
    let at = micros(now());
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(
            "INSERT INTO audit_log (at, actor_user_id, actor, action, entity, entity_id, \
             before_json, after_json) VALUES ",
        );
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(at)
                .push(", ")
                .bind(actor.user_id)
                .push(", ")
                .bind(actor.name.as_str())
                .push(", ")
                .bind(e.action.as_str())
                .push(", ")
                .bind(e.entity)
                .push(", ")
                .bind(e.entity_id)
                .push(", ")
                .bind(e.before.clone())
                .push(", ")
                .bind(e.after.clone())
                .push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A unit with its materialised path.
pub(crate) struct UnitWithPath {
    pub(crate) unit: Unit,
    pub(crate) path: String,
}

async fn load_unit(conn: &mut AnyConnection, id: Id) -> Result<Option<UnitWithPath>> {
    let row = sqlx::query(&format!(
        "SELECT {}, path FROM units WHERE id = $1",
        rows::UNIT_COLS
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        Ok(UnitWithPath {
            unit: rows::unit(&row)?,
            path: row.try_get("path")?,
        })
    })
    .transpose()
}

/// `AND column` is `unit` or one of its descendants (a listing's unit filter); an unknown unit
/// matches nothing rather than everything.
pub(crate) async fn and_unit_subtree(
    conn: &mut AnyConnection,
    sql: &mut Sql,
    column: &str,
    unit: Id,
) -> Result<()> {
    let prefix = unit_path(conn, unit)
        .await?
        .unwrap_or_else(|| "\u{1}no-such-unit".into());
    sql.push(" AND ")
        .push(column)
        .push(" IN (SELECT fu.id FROM units fu WHERE ");
    sql.push_path_scope("fu.path", &[prefix]);
    sql.push(")");
    Ok(())
}

/// 0 (informational) to 4 (critical): severities stored as numbers for "at least" filters.
pub(crate) fn severity_rank(severity: canhgac_model::Severity) -> i64 {
    canhgac_model::Severity::ALL
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(0) as i64
}

pub(crate) async fn unit_path(conn: &mut AnyConnection, id: Id) -> Result<Option<String>> {
    Ok(sqlx::query("SELECT path FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get::<String, _>(0))
        .transpose()?)
}

/// Checks that a unit referenced by a new or changed record exists and is in scope. A missing
/// unit is a field error for unscoped callers and `OutOfScope` for scoped ones, so that scoped
/// callers cannot tell missing from hidden.
async fn check_ref_unit(
    conn: &mut AnyConnection,
    paths: &Paths,
    field: &str,
    id: Id,
) -> Result<bool> {
    match unit_path(conn, id).await? {
        Some(path) => Ok(path_in(paths, &path)),
        None if paths.is_none() => {
            Err(FieldError::new(field, format!("no unit with id {id}")).into())
        }
        None => Err(StoreError::OutOfScope(format!("unit {id}"))),
    }
}

/// Systems joined with their units' paths, for scope checks.
async fn load_system(
    conn: &mut AnyConnection,
    id: Id,
) -> Result<Option<(InformationSystem, String, Option<String>)>> {
    let row = sqlx::query(&format!(
        "SELECT {}, ou.path AS owner_path, pu.path AS operator_path FROM systems s \
         JOIN units ou ON ou.id = s.owner_unit_id LEFT JOIN units pu ON pu.id = s.operator_unit_id \
         WHERE s.id = $1",
        qualified("s", rows::SYSTEM_COLS)
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        Ok((
            rows::system(&row)?,
            row.try_get("owner_path")?,
            row.try_get("operator_path")?,
        ))
    })
    .transpose()
}

fn system_in(paths: &Paths, owner_path: &str, operator_path: Option<&str>) -> bool {
    path_in(paths, owner_path) || operator_path.is_some_and(|p| path_in(paths, p))
}

async fn load_scoped_system(
    conn: &mut AnyConnection,
    paths: &Paths,
    id: Id,
) -> Result<InformationSystem> {
    match load_system(conn, id).await? {
        Some((system, owner, operator)) if system_in(paths, &owner, operator.as_deref()) => {
            Ok(system)
        }
        _ => Err(not_found("system", id)),
    }
}

async fn load_scoped_asset(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<Asset> {
    let row = sqlx::query(&format!(
        "SELECT {}, ou.path AS owner_path, pu.path AS operator_path FROM assets a \
         JOIN systems s ON s.id = a.system_id JOIN units ou ON ou.id = s.owner_unit_id \
         LEFT JOIN units pu ON pu.id = s.operator_unit_id WHERE a.id = $1",
        qualified("a", rows::ASSET_COLS)
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        let owner: String = row.try_get("owner_path")?;
        let operator: Option<String> = row.try_get("operator_path")?;
        if system_in(paths, &owner, operator.as_deref()) {
            return rows::asset(&row);
        }
    }
    Err(not_found("asset", id))
}

async fn load_scoped_contact(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<Contact> {
    let row = sqlx::query(&format!(
        "SELECT {}, u.path AS unit_path FROM contacts c JOIN units u ON u.id = c.unit_id \
         WHERE c.id = $1",
        qualified("c", rows::CONTACT_COLS)
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        let path: String = row.try_get("unit_path")?;
        if path_in(paths, &path) {
            return rows::contact(&row);
        }
    }
    Err(not_found("contact", id))
}

/// Checks the owner and operator of a new or changed system: they must exist, and a scoped
/// caller must have one of them in scope.
async fn check_system_units(
    conn: &mut AnyConnection,
    paths: &Paths,
    input: &SystemInput,
) -> Result<()> {
    let owner_in = check_ref_unit(conn, paths, "owner_unit_id", input.owner_unit_id).await?;
    let operator_in = match input.operator_unit_id {
        Some(op) => check_ref_unit(conn, paths, "operator_unit_id", op).await?,
        None => false,
    };
    if owner_in || operator_in {
        Ok(())
    } else {
        Err(StoreError::OutOfScope(format!(
            "a system owned by unit {}",
            input.owner_unit_id
        )))
    }
}

async fn load_user(conn: &mut AnyConnection, id: Id) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {} FROM users WHERE id = $1",
        rows::USER_COLS
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => {
            let mut users = vec![rows::user(&row)?];
            fill_unit_ids(conn, &mut users).await?;
            Ok(users.pop())
        }
        None => Ok(None),
    }
}

/// Loads the unit ids of `users` in one query.
async fn fill_unit_ids(conn: &mut AnyConnection, users: &mut [User]) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("SELECT user_id, unit_id FROM user_units WHERE user_id IN (");
    for (i, user) in users.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(user.id);
    }
    sql.push(") ORDER BY unit_id");
    let mut by_user: HashMap<Id, Vec<Id>> = HashMap::new();
    for row in sql.query().fetch_all(&mut *conn).await? {
        by_user
            .entry(row.try_get(0)?)
            .or_default()
            .push(row.try_get(1)?);
    }
    for user in users {
        user.unit_ids = by_user.remove(&user.id).unwrap_or_default();
    }
    Ok(())
}

async fn set_user_units(conn: &mut AnyConnection, user_id: Id, unit_ids: &[Id]) -> Result<()> {
    sqlx::query("DELETE FROM user_units WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for unit_id in unit_ids {
        if unit_path(conn, *unit_id).await?.is_none() {
            return Err(FieldError::new("unit_ids", format!("no unit with id {unit_id}")).into());
        }
        sqlx::query("INSERT INTO user_units (user_id, unit_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(*unit_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl SqlStore {
    /// Opens and migrates. `sqlite://PATH` creates the file and its directory when missing.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, connect_url) = if let Some(path) = sqlite_path(url) {
            if path.is_empty() {
                return Err(open_error(url, "no file path after sqlite://"));
            }
            if path != ":memory:" {
                let parent = std::path::Path::new(&path).parent();
                if let Some(parent) = parent.filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        open_error(url, format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
            }
            // sqlx percent-decodes the path, so `%`, `?` and `#` in file names must be encoded.
            let encoded = path
                .replace('%', "%25")
                .replace('?', "%3F")
                .replace('#', "%23");
            (Backend::Sqlite, format!("sqlite://{encoded}?mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(open_error(
                url,
                "unsupported URL; use sqlite://PATH or postgres://USER@HOST/DB",
            ));
        };
        // One direct connection first: the pool retries refused connections until its acquire
        // timeout, and a wrong URL or a stopped server should fail at once with the reason.
        let probe = tokio::time::timeout(
            Duration::from_secs(15),
            <AnyConnection as sqlx::Connection>::connect(&connect_url),
        )
        .await
        .map_err(|_| open_error(url, "timed out connecting"))?
        .map_err(|e| open_error(url, e))?;
        let _ = sqlx::Connection::close(probe).await;
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let options = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(8)
                    .min_connections(1)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; FULL sync makes every
                            // acknowledged commit durable across power loss.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
            }
            Backend::Postgres => options.max_connections(10),
        };
        let pool = options
            .connect(&connect_url)
            .await
            .map_err(|e| open_error(url, e))?;
        let store = Self {
            pool,
            backend,
            write_lock: Mutex::new(()),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let failed = |version: i64, e: &dyn std::fmt::Display| StoreError::Migration {
            version,
            message: e.to_string(),
        };
        let mut tx = self.begin_write().await.map_err(|e| failed(0, &e))?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
             name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| failed(0, &e))?;
        if self.backend == Backend::Postgres {
            // Two servers starting at once must not both apply the same migration.
            sqlx::raw_sql("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
                .execute(&mut *tx.tx)
                .await
                .map_err(|e| failed(0, &e))?;
        }
        let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&mut *tx.tx)
            .await
            .map_err(|e| failed(0, &e))?
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| failed(0, &e))?;
        let newest_known = migrations.last().map_or(0, |m| m.0);
        if let Some(newer) = applied.iter().find(|v| **v > newest_known) {
            return Err(StoreError::Migration {
                version: *newer,
                message: "the database was migrated by a newer canhgac; upgrade canhgac".into(),
            });
        }
        for (version, name, text) in migrations {
            if applied.contains(version) {
                continue;
            }
            sqlx::raw_sql(text)
                .execute(&mut *tx.tx)
                .await
                .map_err(|e| failed(*version, &e))?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(*version)
            .bind(*name)
            .bind(micros(now()))
            .execute(&mut *tx.tx)
            .await
            .map_err(|e| failed(*version, &e))?;
            tracing::info!(version, name, "applied migration");
        }
        tx.commit().await.map_err(|e| failed(0, &e))
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite, under the writer lock).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx<'_>> {
        match self.backend {
            Backend::Sqlite => {
                let guard = self.write_lock.lock().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx {
                    tx,
                    _guard: Some(guard),
                })
            }
            Backend::Postgres => Ok(WriteTx {
                tx: self.pool.begin().await?,
                _guard: None,
            }),
        }
    }

    /// Begins a write that computes unit paths (creating, moving or importing units).
    ///
    /// Paths are derived from the parent's path, so two such writes must not interleave. SQLite
    /// already serialises writers; on PostgreSQL the units table is locked against other writers
    /// (readers are not blocked) until the transaction ends.
    pub(crate) async fn begin_unit_tree_write(&self) -> Result<WriteTx<'_>> {
        let mut w = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *w.tx)
                .await?;
        }
        Ok(w)
    }

    async fn insert_returning_id(conn: &mut AnyConnection, sql: &Sql) -> sqlx::Result<Id> {
        sql.query().fetch_one(&mut *conn).await?.try_get(0)
    }
}

fn unit_conflict(e: sqlx::Error, code: &str) -> StoreError {
    conflict(
        e,
        "code",
        format!("a unit with code {code:?} already exists"),
    )
}

fn system_conflict(e: sqlx::Error, code: &str) -> StoreError {
    conflict(
        e,
        "code",
        format!("a system with code {code:?} already exists"),
    )
}

fn asset_conflict(e: sqlx::Error, input: &AssetInput) -> StoreError {
    conflict(
        e,
        "value",
        format!(
            "the system already has a {} asset {:?}",
            input.kind, input.value
        ),
    )
}

fn contact_conflict(e: sqlx::Error, name: &str) -> StoreError {
    conflict(
        e,
        "name",
        format!("the unit already has a contact named {name:?}"),
    )
}

fn authority_conflict(e: sqlx::Error, input: &AuthorityInput) -> StoreError {
    let from = input.valid_from.map_or_else(
        || "no start date".to_string(),
        |d| format!("valid_from {d}"),
    );
    conflict(
        e,
        "code",
        format!(
            "an authority with code {:?} and {from} already exists",
            input.code
        ),
    )
}

pub(crate) fn system_binds(sql: &mut Sql, input: &SystemInput) {
    sql.bind(lc(&input.name))
        .push(", ")
        .bind(input.code.as_str())
        .push(", ")
        .bind(input.name.as_str())
        .push(", ")
        .bind(input.kind.code())
        .push(", ")
        .bind(input.owner_unit_id)
        .push(", ")
        .bind(input.operator_unit_id)
        .push(", ")
        .bind(input.security_level.map(i64::from))
        .push(", ")
        .bind(input.level_decision_number.clone())
        .push(", ")
        .bind(date_text(input.level_decision_date))
        .push(", ")
        .bind(input.information_class.map(|c| c.code()))
        .push(", ")
        .bind(input.purpose.clone())
        .push(", ")
        .bind(json_text(&input.services))
        .push(", ")
        .bind(json_text(&input.security_controls))
        .push(", ")
        .bind(input.isp.clone())
        .push(", ")
        .bind(input.security_provider.clone());
}

pub(crate) fn system_from_input(
    id: Id,
    input: SystemInput,
    created_at: Timestamp,
    updated_at: Timestamp,
) -> InformationSystem {
    InformationSystem {
        id,
        code: input.code,
        name: input.name,
        kind: input.kind,
        owner_unit_id: input.owner_unit_id,
        operator_unit_id: input.operator_unit_id,
        security_level: input.security_level,
        level_decision_number: input.level_decision_number,
        level_decision_date: input.level_decision_date,
        information_class: input.information_class,
        purpose: input.purpose,
        services: input.services,
        security_controls: input.security_controls,
        isp: input.isp,
        security_provider: input.security_provider,
        created_at,
        updated_at,
    }
}

pub(crate) const SYSTEM_INSERT: &str =
    "INSERT INTO systems (name_lc, code, name, kind, owner_unit_id, \
     operator_unit_id, security_level, level_decision_number, level_decision_date, \
     information_class, purpose, services, security_controls, isp, security_provider, \
     created_at, updated_at) VALUES (";

pub(crate) const SYSTEM_UPDATE: &str =
    "UPDATE systems SET (name_lc, code, name, kind, owner_unit_id, \
     operator_unit_id, security_level, level_decision_number, level_decision_date, \
     information_class, purpose, services, security_controls, isp, security_provider, \
     updated_at) = (";

pub(crate) fn asset_from_input(
    id: Id,
    input: AssetInput,
    created_at: Timestamp,
    updated_at: Timestamp,
) -> Asset {
    Asset {
        id,
        system_id: input.system_id,
        kind: input.kind,
        value: input.value,
        name: input.name,
        os: input.os,
        os_version: input.os_version,
        software: input.software,
        note: input.note,
        created_at,
        updated_at,
    }
}

pub(crate) fn asset_binds(sql: &mut Sql, input: &AssetInput) {
    sql.bind(asset_search(input))
        .push(", ")
        .bind(input.system_id)
        .push(", ")
        .bind(input.kind.code())
        .push(", ")
        .bind(input.value.as_str())
        .push(", ")
        .bind(input.name.clone())
        .push(", ")
        .bind(input.os.clone())
        .push(", ")
        .bind(input.os_version.clone())
        .push(", ")
        .bind(json_text(&input.software))
        .push(", ")
        .bind(input.note.clone());
}

pub(crate) fn contact_from_input(
    id: Id,
    input: ContactInput,
    created_at: Timestamp,
    updated_at: Timestamp,
) -> Contact {
    Contact {
        id,
        unit_id: input.unit_id,
        name: input.name,
        position: input.position,
        responsibility: input.responsibility,
        phone: input.phone,
        email: input.email,
        created_at,
        updated_at,
    }
}

pub(crate) fn authority_from_input(
    id: Id,
    input: AuthorityInput,
    created_at: Timestamp,
    updated_at: Timestamp,
) -> Authority {
    Authority {
        id,
        code: input.code,
        name: input.name,
        address: input.address,
        phones: input.phones,
        emails: input.emails,
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        note: input.note,
        created_at,
        updated_at,
    }
}

pub(crate) fn unit_from_input(
    id: Id,
    input: UnitInput,
    created_at: Timestamp,
    updated_at: Timestamp,
) -> Unit {
    Unit {
        id,
        code: input.code,
        name: input.name,
        kind: input.kind,
        parent_id: input.parent_id,
        address: input.address,
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        created_at,
        updated_at,
    }
}

/// Inserts a unit under a parent with path `parent_path` (`None` for a root) and sets its path.
pub(crate) async fn insert_unit(
    conn: &mut AnyConnection,
    input: &UnitInput,
    parent_path: Option<&str>,
    at: i64,
) -> Result<(Id, String)> {
    let id: Id = sqlx::query(
        "INSERT INTO units (code, name, kind, parent_id, path, address, valid_from, valid_to, \
         created_at, updated_at, name_lc) VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, $8, $9) \
         RETURNING id",
    )
    .bind(input.code.as_str())
    .bind(input.name.as_str())
    .bind(input.kind.code())
    .bind(input.parent_id)
    .bind(input.address.clone())
    .bind(date_text(input.valid_from))
    .bind(date_text(input.valid_to))
    .bind(at)
    .bind(lc(&input.name))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unit_conflict(e, &input.code))?
    .try_get(0)?;
    let path = format!("{}{id}/", parent_path.unwrap_or("/"));
    sqlx::query("UPDATE units SET path = $1 WHERE id = $2")
        .bind(path.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok((id, path))
}

/// Updates a unit's fields and, when its parent changed, its subtree's paths.
pub(crate) async fn update_unit_row(
    conn: &mut AnyConnection,
    id: Id,
    input: &UnitInput,
    old_path: &str,
    new_path: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE units SET code = $1, name = $2, kind = $3, parent_id = $4, address = $5, \
         valid_from = $6, valid_to = $7, updated_at = $8, name_lc = $10 WHERE id = $9",
    )
    .bind(input.code.as_str())
    .bind(input.name.as_str())
    .bind(input.kind.code())
    .bind(input.parent_id)
    .bind(input.address.clone())
    .bind(date_text(input.valid_from))
    .bind(date_text(input.valid_to))
    .bind(at)
    .bind(id)
    .bind(lc(&input.name))
    .execute(&mut *conn)
    .await
    .map_err(|e| unit_conflict(e, &input.code))?;
    if old_path != new_path {
        let old_len = i64::try_from(old_path.chars().count()).unwrap_or(i64::MAX);
        sqlx::query(
            "UPDATE units SET path = $1 || SUBSTR(path, CAST($2 AS INTEGER)) \
             WHERE path >= $3 AND path < $4",
        )
        .bind(new_path)
        .bind(old_len + 1)
        .bind(old_path)
        .bind(path_upper_bound(old_path))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Why a unit cannot be deleted, if anything still hangs from it.
pub(crate) async fn unit_dependents(conn: &mut AnyConnection, id: Id) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM units WHERE parent_id = $1), \
         (SELECT COUNT(*) FROM systems WHERE owner_unit_id = $1 OR operator_unit_id = $1), \
         (SELECT COUNT(*) FROM contacts WHERE unit_id = $1), \
         (SELECT COUNT(*) FROM user_units WHERE unit_id = $1)",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let counts: [(i64, &str); 4] = [
        (row.try_get(0)?, "child units"),
        (row.try_get(1)?, "information systems"),
        (row.try_get(2)?, "contacts"),
        (row.try_get(3)?, "users"),
    ];
    let parts: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if parts.is_empty() {
        Ok(None)
    } else {
        Ok(Some(format!(
            "the unit still has {}; move or delete them first",
            parts.join(", ")
        )))
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    // ---- units ----

    async fn list_units(
        &self,
        scope: &Scope,
        filter: &UnitFilter,
        page: &PageRequest,
    ) -> Result<Page<Unit>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM units WHERE 1 = 1");
        and_unit_scope(&mut sql, "path", &paths);
        if let Some(parent) = filter.parent_id {
            sql.push(" AND parent_id = ").bind(parent);
        }
        if let Some(kind) = filter.kind {
            sql.push(" AND kind = ").bind(kind.code());
        }
        if let Some(q) = page.query() {
            sql.push(" AND ").push_text_search(&["name_lc", "code"], q);
        }
        let select = format!("SELECT {}", rows::UNIT_COLS);
        fetch_page(&mut conn, &select, &sql, "name, id", page, rows::unit).await
    }

    async fn all_units(&self, scope: &Scope) -> Result<Vec<Unit>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM units WHERE 1 = 1",
            rows::UNIT_COLS
        ));
        and_unit_scope(&mut sql, "path", &paths);
        sql.push(" ORDER BY name, id");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::unit)
            .collect()
    }

    async fn unit_briefs(&self, scope: &Scope) -> Result<Vec<UnitBrief>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("SELECT id, parent_id, name, kind, valid_to FROM units WHERE 1 = 1");
        and_unit_scope(&mut sql, "path", &paths);
        sql.push(" ORDER BY name, id");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::unit_brief)
            .collect()
    }

    async fn unit_names(&self, scope: &Scope, ids: &[Id]) -> Result<Vec<(Id, String)>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut out = Vec::with_capacity(ids.len());
        // Bounded batches keep the statement's parameter count small on both engines.
        for chunk in ids.chunks(200) {
            let mut sql = Sql::new("SELECT id, name FROM units WHERE id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*id);
            }
            sql.push(")");
            and_unit_scope(&mut sql, "path", &paths);
            sql.push(" ORDER BY id");
            for row in sql.query().fetch_all(&mut *conn).await? {
                out.push((row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?));
            }
        }
        Ok(out)
    }

    async fn get_unit(&self, scope: &Scope, id: Id) -> Result<Unit> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        match load_unit(&mut conn, id).await? {
            Some(u) if path_in(&paths, &u.path) => Ok(u.unit),
            _ => Err(not_found("unit", id)),
        }
    }

    async fn create_unit(&self, actor: &Actor, mut input: UnitInput) -> Result<Unit> {
        input.validate()?;
        let mut w = self.begin_unit_tree_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let parent_path = match input.parent_id {
            None if paths.is_some() => {
                return Err(StoreError::OutOfScope("a unit without a parent".into()))
            }
            None => None,
            Some(parent) => match unit_path(conn, parent).await? {
                Some(path) if path_in(&paths, &path) => Some(path),
                Some(_) => return Err(StoreError::OutOfScope(format!("unit {parent}"))),
                None if paths.is_none() => {
                    return Err(
                        FieldError::new("parent_id", format!("no unit with id {parent}")).into(),
                    )
                }
                None => return Err(StoreError::OutOfScope(format!("unit {parent}"))),
            },
        };
        let at = now();
        let (id, _) = insert_unit(conn, &input, parent_path.as_deref(), micros(at)).await?;
        let unit = unit_from_input(id, input, at, at);
        w.commit_audited(actor, AuditRow::created("unit", id, &unit))
            .await?;
        Ok(unit)
    }

    async fn update_unit(&self, actor: &Actor, id: Id, mut input: UnitInput) -> Result<Unit> {
        input.validate()?;
        let mut w = self.begin_unit_tree_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = match load_unit(conn, id).await? {
            Some(u) if path_in(&paths, &u.path) => u,
            _ => return Err(not_found("unit", id)),
        };
        let mut new_path = before.path.clone();
        if input.parent_id != before.unit.parent_id {
            match input.parent_id {
                None if paths.is_some() => {
                    return Err(StoreError::OutOfScope("a unit without a parent".into()))
                }
                None => new_path = format!("/{id}/"),
                Some(parent) => {
                    let parent_path = match unit_path(conn, parent).await? {
                        Some(path) if path_in(&paths, &path) => path,
                        Some(_) => return Err(StoreError::OutOfScope(format!("unit {parent}"))),
                        None if paths.is_none() => {
                            return Err(FieldError::new(
                                "parent_id",
                                format!("no unit with id {parent}"),
                            )
                            .into())
                        }
                        None => return Err(StoreError::OutOfScope(format!("unit {parent}"))),
                    };
                    if parent_path.starts_with(&before.path) {
                        return Err(StoreError::Conflict {
                            field: "parent_id".into(),
                            message: "a unit cannot be moved under itself or one of its own \
                                      sub-units"
                                .into(),
                        });
                    }
                    new_path = format!("{parent_path}{id}/");
                }
            }
        }
        let at = now();
        update_unit_row(conn, id, &input, &before.path, &new_path, micros(at)).await?;
        let unit = unit_from_input(id, input, before.unit.created_at, at);
        w.commit_audited(actor, AuditRow::updated("unit", id, &before.unit, &unit))
            .await?;
        Ok(unit)
    }

    async fn delete_unit(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = match load_unit(conn, id).await? {
            Some(u) if path_in(&paths, &u.path) => u.unit,
            _ => return Err(not_found("unit", id)),
        };
        if let Some(message) = unit_dependents(conn, id).await? {
            return Err(StoreError::Conflict {
                field: "unit".into(),
                message,
            });
        }
        sqlx::query("DELETE FROM units WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(|e| conflict(e, "unit", "the unit is still referenced"))?;
        w.commit_audited(actor, AuditRow::deleted("unit", id, &before))
            .await
    }

    // ---- systems ----

    async fn list_systems(
        &self,
        scope: &Scope,
        filter: &SystemFilter,
        page: &PageRequest,
    ) -> Result<Page<InformationSystem>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM systems s WHERE 1 = 1");
        and_system_scope(&mut sql, "s", &paths);
        if let Some(unit) = filter.unit_id {
            sql.push(" AND (s.owner_unit_id = ")
                .bind(unit)
                .push(" OR s.operator_unit_id = ")
                .bind(unit)
                .push(")");
        }
        if let Some(kind) = filter.kind {
            sql.push(" AND s.kind = ").bind(kind.code());
        }
        if let Some(q) = page.query() {
            sql.push(" AND ")
                .push_text_search(&["s.name_lc", "s.code"], q);
        }
        let select = format!("SELECT {}", qualified("s", rows::SYSTEM_COLS));
        fetch_page(&mut conn, &select, &sql, "s.name, s.id", page, rows::system).await
    }

    async fn system_names(&self, scope: &Scope) -> Result<Vec<(Id, String)>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("SELECT s.id, s.name FROM systems s WHERE 1 = 1");
        and_system_scope(&mut sql, "s", &paths);
        sql.push(" ORDER BY s.name, s.id");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?)))
            .collect()
    }

    async fn get_system(&self, scope: &Scope, id: Id) -> Result<InformationSystem> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_system(&mut conn, &paths, id).await
    }

    async fn create_system(
        &self,
        actor: &Actor,
        mut input: SystemInput,
    ) -> Result<InformationSystem> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        check_system_units(conn, &paths, &input).await?;
        let at = now();
        let mut sql = Sql::new(SYSTEM_INSERT);
        system_binds(&mut sql, &input);
        sql.push(", ")
            .bind(micros(at))
            .push(", ")
            .bind(micros(at))
            .push(") RETURNING id");
        let id = Self::insert_returning_id(conn, &sql)
            .await
            .map_err(|e| system_conflict(e, &input.code))?;
        let system = system_from_input(id, input, at, at);
        w.commit_audited(actor, AuditRow::created("system", id, &system))
            .await?;
        Ok(system)
    }

    async fn update_system(
        &self,
        actor: &Actor,
        id: Id,
        mut input: SystemInput,
    ) -> Result<InformationSystem> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_system(conn, &paths, id).await?;
        if input.owner_unit_id != before.owner_unit_id
            || input.operator_unit_id != before.operator_unit_id
        {
            check_system_units(conn, &paths, &input).await?;
        }
        let at = now();
        let mut sql = Sql::new(SYSTEM_UPDATE);
        system_binds(&mut sql, &input);
        sql.push(", ")
            .bind(micros(at))
            .push(") WHERE id = ")
            .bind(id);
        sql.query()
            .execute(&mut *conn)
            .await
            .map_err(|e| system_conflict(e, &input.code))?;
        let system = system_from_input(id, input, before.created_at, at);
        w.commit_audited(actor, AuditRow::updated("system", id, &before, &system))
            .await?;
        Ok(system)
    }

    async fn delete_system(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_system(conn, &paths, id).await?;
        let assets: i64 = sqlx::query("SELECT COUNT(*) FROM assets WHERE system_id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        sqlx::query("DELETE FROM assets WHERE system_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM systems WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let mut before_json = serde_json::to_value(&before).unwrap_or_default();
        if let Some(obj) = before_json.as_object_mut() {
            obj.insert("deleted_assets".into(), assets.into());
        }
        w.commit_audited(actor, AuditRow::deleted("system", id, &before_json))
            .await
    }

    // ---- assets ----

    async fn list_assets(
        &self,
        scope: &Scope,
        filter: &AssetFilter,
        page: &PageRequest,
    ) -> Result<Page<Asset>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM assets a WHERE 1 = 1");
        if paths.is_some() {
            sql.push(" AND a.system_id IN (SELECT s.id FROM systems s WHERE 1 = 1");
            and_system_scope(&mut sql, "s", &paths);
            sql.push(")");
        }
        if let Some(system) = filter.system_id {
            sql.push(" AND a.system_id = ").bind(system);
        }
        if let Some(unit) = filter.unit_id {
            sql.push(" AND a.system_id IN (SELECT fs.id FROM systems fs WHERE fs.owner_unit_id = ")
                .bind(unit)
                .push(" OR fs.operator_unit_id = ")
                .bind(unit)
                .push(")");
        }
        if let Some(q) = page.query() {
            sql.push(" AND ").push_text_search(&["a.search_lc"], q);
        }
        let select = format!("SELECT {}", qualified("a", rows::ASSET_COLS));
        fetch_page(&mut conn, &select, &sql, "a.value, a.id", page, rows::asset).await
    }

    async fn get_asset(&self, scope: &Scope, id: Id) -> Result<Asset> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_asset(&mut conn, &paths, id).await
    }

    async fn create_asset(&self, actor: &Actor, mut input: AssetInput) -> Result<Asset> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        check_asset_system(conn, &paths, input.system_id).await?;
        let at = now();
        let mut sql = Sql::new(
            "INSERT INTO assets (search_lc, system_id, kind, value, name, os, os_version, software, note, \
             created_at, updated_at) VALUES (",
        );
        asset_binds(&mut sql, &input);
        sql.push(", ")
            .bind(micros(at))
            .push(", ")
            .bind(micros(at))
            .push(") RETURNING id");
        let id = Self::insert_returning_id(conn, &sql)
            .await
            .map_err(|e| asset_conflict(e, &input))?;
        let asset = asset_from_input(id, input, at, at);
        w.commit_audited(actor, AuditRow::created("asset", id, &asset))
            .await?;
        Ok(asset)
    }

    async fn update_asset(&self, actor: &Actor, id: Id, mut input: AssetInput) -> Result<Asset> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_asset(conn, &paths, id).await?;
        if input.system_id != before.system_id {
            check_asset_system(conn, &paths, input.system_id).await?;
        }
        let at = now();
        let mut sql = Sql::new(
            "UPDATE assets SET (search_lc, system_id, kind, value, name, os, os_version, software, note, \
             updated_at) = (",
        );
        asset_binds(&mut sql, &input);
        sql.push(", ")
            .bind(micros(at))
            .push(") WHERE id = ")
            .bind(id);
        sql.query()
            .execute(&mut *conn)
            .await
            .map_err(|e| asset_conflict(e, &input))?;
        let asset = asset_from_input(id, input, before.created_at, at);
        w.commit_audited(actor, AuditRow::updated("asset", id, &before, &asset))
            .await?;
        Ok(asset)
    }

    async fn delete_asset(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_asset(conn, &paths, id).await?;
        sqlx::query("DELETE FROM assets WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("asset", id, &before))
            .await
    }

    // ---- contacts ----

    async fn list_contacts(
        &self,
        scope: &Scope,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<Contact>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM contacts c WHERE 1 = 1");
        if let Some(prefixes) = &paths {
            sql.push(" AND c.unit_id IN (SELECT su.id FROM units su WHERE ");
            sql.push_path_scope("su.path", prefixes);
            sql.push(")");
        }
        if let Some(unit) = filter.unit_id {
            sql.push(" AND c.unit_id = ").bind(unit);
        }
        if let Some(q) = page.query() {
            sql.push(" AND ")
                .push_text_search(&["c.name_lc", "c.email"], q);
        }
        let select = format!("SELECT {}", qualified("c", rows::CONTACT_COLS));
        fetch_page(
            &mut conn,
            &select,
            &sql,
            "c.name, c.id",
            page,
            rows::contact,
        )
        .await
    }

    async fn get_contact(&self, scope: &Scope, id: Id) -> Result<Contact> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_contact(&mut conn, &paths, id).await
    }

    async fn create_contact(&self, actor: &Actor, mut input: ContactInput) -> Result<Contact> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        if !check_ref_unit(conn, &paths, "unit_id", input.unit_id).await? {
            return Err(StoreError::OutOfScope(format!("unit {}", input.unit_id)));
        }
        let at = now();
        let id: Id = sqlx::query(
            "INSERT INTO contacts (unit_id, name, position, responsibility, phone, email, \
             created_at, updated_at, name_lc) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) \
             RETURNING id",
        )
        .bind(input.unit_id)
        .bind(input.name.as_str())
        .bind(input.position.clone())
        .bind(input.responsibility.clone())
        .bind(input.phone.clone())
        .bind(input.email.clone())
        .bind(micros(at))
        .bind(lc(&input.name))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| contact_conflict(e, &input.name))?
        .try_get(0)?;
        let contact = contact_from_input(id, input, at, at);
        w.commit_audited(actor, AuditRow::created("contact", id, &contact))
            .await?;
        Ok(contact)
    }

    async fn update_contact(
        &self,
        actor: &Actor,
        id: Id,
        mut input: ContactInput,
    ) -> Result<Contact> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_contact(conn, &paths, id).await?;
        if input.unit_id != before.unit_id
            && !check_ref_unit(conn, &paths, "unit_id", input.unit_id).await?
        {
            return Err(StoreError::OutOfScope(format!("unit {}", input.unit_id)));
        }
        let at = now();
        sqlx::query(
            "UPDATE contacts SET unit_id = $1, name = $2, position = $3, responsibility = $4, \
             phone = $5, email = $6, updated_at = $7, name_lc = $9 WHERE id = $8",
        )
        .bind(input.unit_id)
        .bind(input.name.as_str())
        .bind(input.position.clone())
        .bind(input.responsibility.clone())
        .bind(input.phone.clone())
        .bind(input.email.clone())
        .bind(micros(at))
        .bind(id)
        .bind(lc(&input.name))
        .execute(&mut *conn)
        .await
        .map_err(|e| contact_conflict(e, &input.name))?;
        let contact = contact_from_input(id, input, before.created_at, at);
        w.commit_audited(actor, AuditRow::updated("contact", id, &before, &contact))
            .await?;
        Ok(contact)
    }

    async fn delete_contact(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_contact(conn, &paths, id).await?;
        sqlx::query("DELETE FROM contacts WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("contact", id, &before))
            .await
    }

    // ---- authorities ----

    async fn list_authorities(&self, page: &PageRequest) -> Result<Page<Authority>> {
        let mut conn = self.pool.acquire().await?;
        let mut sql = Sql::new("FROM authorities WHERE 1 = 1");
        if let Some(q) = page.query() {
            sql.push(" AND ").push_text_search(&["name_lc", "code"], q);
        }
        let select = format!("SELECT {}", rows::AUTHORITY_COLS);
        fetch_page(&mut conn, &select, &sql, "name, id", page, rows::authority).await
    }

    async fn authorities_on(&self, day: canhgac_model::Date) -> Result<Vec<Authority>> {
        let day = day.to_string();
        sqlx::query(&format!(
            "SELECT {} FROM authorities WHERE (valid_from IS NULL OR valid_from <= $1) \
             AND (valid_to IS NULL OR valid_to >= $1) ORDER BY name, id",
            rows::AUTHORITY_COLS
        ))
        .bind(day)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::authority)
        .collect()
    }

    async fn get_authority(&self, id: Id) -> Result<Authority> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM authorities WHERE id = $1",
            rows::AUTHORITY_COLS
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => rows::authority(&row),
            None => Err(not_found("authority", id)),
        }
    }

    async fn create_authority(
        &self,
        actor: &Actor,
        mut input: AuthorityInput,
    ) -> Result<Authority> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let at = now();
        let id = insert_authority(conn, &input, micros(at)).await?;
        let authority = authority_from_input(id, input, at, at);
        w.commit_audited(actor, AuditRow::created("authority", id, &authority))
            .await?;
        Ok(authority)
    }

    async fn update_authority(
        &self,
        actor: &Actor,
        id: Id,
        mut input: AuthorityInput,
    ) -> Result<Authority> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let row = sqlx::query(&format!(
            "SELECT {} FROM authorities WHERE id = $1",
            rows::AUTHORITY_COLS
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let before = match row {
            Some(row) => rows::authority(&row)?,
            None => return Err(not_found("authority", id)),
        };
        let at = now();
        update_authority_row(conn, id, &input, micros(at)).await?;
        let authority = authority_from_input(id, input, before.created_at, at);
        w.commit_audited(
            actor,
            AuditRow::updated("authority", id, &before, &authority),
        )
        .await?;
        Ok(authority)
    }

    async fn delete_authority(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let row = sqlx::query(&format!(
            "SELECT {} FROM authorities WHERE id = $1",
            rows::AUTHORITY_COLS
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let before = match row {
            Some(row) => rows::authority(&row)?,
            None => return Err(not_found("authority", id)),
        };
        sqlx::query("DELETE FROM authorities WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("authority", id, &before))
            .await
    }

    // ---- users, sessions, tokens ----

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(to_u64(n))
    }

    async fn list_users(&self, page: &PageRequest) -> Result<Page<User>> {
        let mut conn = self.pool.acquire().await?;
        let mut sql = Sql::new("FROM users WHERE 1 = 1");
        if let Some(q) = page.query() {
            sql.push(" AND ")
                .push_text_search(&["username", "name_lc", "email"], q);
        }
        let select = format!("SELECT {}", rows::USER_COLS);
        let mut result = fetch_page(&mut conn, &select, &sql, "username", page, rows::user).await?;
        fill_unit_ids(&mut conn, &mut result.items).await?;
        Ok(result)
    }

    async fn get_user(&self, id: Id) -> Result<User> {
        let mut conn = self.pool.acquire().await?;
        load_user(&mut conn, id)
            .await?
            .ok_or_else(|| not_found("user", id))
    }

    async fn user_credentials(&self, username: &str) -> Result<Option<UserCredentials>> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&format!(
            "SELECT {}, password_hash FROM users WHERE username = $1",
            rows::USER_COLS
        ))
        .bind(username.trim().to_lowercase())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let password_hash: Option<String> = row.try_get("password_hash")?;
        let mut users = vec![rows::user(&row)?];
        fill_unit_ids(&mut conn, &mut users).await?;
        Ok(users.pop().map(|user| UserCredentials {
            user,
            password_hash,
        }))
    }

    async fn create_user(
        &self,
        actor: &Actor,
        mut input: UserInput,
        password_hash: Option<String>,
    ) -> Result<User> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let at = now();
        let id: Id = sqlx::query(
            "INSERT INTO users (username, display_name, email, role, disabled, password_hash, \
             created_at, updated_at, name_lc) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) \
             RETURNING id",
        )
        .bind(input.username.as_str())
        .bind(input.display_name.as_str())
        .bind(input.email.clone())
        .bind(input.role.code())
        .bind(i64::from(input.disabled))
        .bind(password_hash)
        .bind(micros(at))
        .bind(lc(&input.display_name))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            conflict(
                e,
                "username",
                format!("the username {:?} is taken", input.username),
            )
        })?
        .try_get(0)?;
        set_user_units(conn, id, &input.unit_ids).await?;
        let user = User {
            id,
            username: input.username,
            display_name: input.display_name,
            email: input.email,
            role: input.role,
            unit_ids: input.unit_ids,
            disabled: input.disabled,
            created_at: at,
        };
        w.commit_audited(actor, AuditRow::created("user", id, &user))
            .await?;
        Ok(user)
    }

    async fn update_user(&self, actor: &Actor, id: Id, mut input: UserInput) -> Result<User> {
        input.validate()?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let before = load_user(conn, id)
            .await?
            .ok_or_else(|| not_found("user", id))?;
        sqlx::query(
            "UPDATE users SET username = $1, display_name = $2, email = $3, role = $4, \
             disabled = $5, updated_at = $6, name_lc = $8 WHERE id = $7",
        )
        .bind(input.username.as_str())
        .bind(input.display_name.as_str())
        .bind(input.email.clone())
        .bind(input.role.code())
        .bind(i64::from(input.disabled))
        .bind(micros(now()))
        .bind(id)
        .bind(lc(&input.display_name))
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            conflict(
                e,
                "username",
                format!("the username {:?} is taken", input.username),
            )
        })?;
        set_user_units(conn, id, &input.unit_ids).await?;
        let user = User {
            id,
            username: input.username,
            display_name: input.display_name,
            email: input.email,
            role: input.role,
            unit_ids: input.unit_ids,
            disabled: input.disabled,
            created_at: before.created_at,
        };
        w.commit_audited(actor, AuditRow::updated("user", id, &before, &user))
            .await?;
        Ok(user)
    }

    async fn set_password(&self, actor: &Actor, id: Id, password_hash: String) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let done =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(password_hash)
                .bind(micros(now()))
                .bind(id)
                .execute(&mut *conn)
                .await?;
        if done.rows_affected() == 0 {
            return Err(not_found("user", id));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(
            actor,
            AuditRow::new::<(), ()>("set_password", "user", Some(id), None, None),
        )
        .await
    }

    async fn delete_user(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let before = load_user(conn, id)
            .await?
            .ok_or_else(|| not_found("user", id))?;
        for table in ["sessions", "api_tokens", "user_units"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("user", id, &before))
            .await
    }

    async fn create_session(
        &self,
        user_id: Id,
        secret_hash: &str,
        csrf_token: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let at = now();
        // Housekeeping rides along with sign-ins, so expired sessions do not pile up.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(micros(at))
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (secret_hash, user_id, csrf_token, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secret_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(micros(expires_at))
        .bind(micros(at))
        .execute(&mut *w.tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                conflict(e, "session", "a session with this secret already exists")
            }
            _ => conflict(e, "user_id", format!("no user with id {user_id}")),
        })?;
        w.commit().await
    }

    async fn session(&self, secret_hash: &str) -> Result<Option<Session>> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&format!(
            "SELECT {}, s.csrf_token, s.expires_at FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.secret_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
            qualified("u", rows::USER_COLS)
        ))
        .bind(secret_hash)
        .bind(micros(now()))
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let csrf_token: String = row.try_get("csrf_token")?;
        let expires_at = rows::from_micros("sessions", row.try_get("expires_at")?)?;
        let mut users = vec![rows::user(&row)?];
        fill_unit_ids(&mut conn, &mut users).await?;
        Ok(users.pop().map(|user| Session {
            user,
            csrf_token,
            expires_at,
        }))
    }

    async fn delete_session(&self, secret_hash: &str) -> Result<()> {
        let _guard = self.sqlite_write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE secret_hash = $1")
            .bind(secret_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_api_token(
        &self,
        actor: &Actor,
        user_id: Id,
        name: &str,
        prefix: &str,
        secret_hash: &str,
    ) -> Result<ApiToken> {
        let mut name = name.trim().to_string();
        if name.is_empty() {
            return Err(FieldError::new("name", "is required").into());
        }
        if name.chars().count() > 200 {
            name = name.chars().take(200).collect();
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        if load_user(conn, user_id).await?.is_none() {
            return Err(not_found("user", user_id));
        }
        let at = now();
        let id: Id = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, prefix, secret_hash, created_at, revoked) \
             VALUES ($1, $2, $3, $4, $5, 0) RETURNING id",
        )
        .bind(user_id)
        .bind(name.as_str())
        .bind(prefix)
        .bind(secret_hash)
        .bind(micros(at))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| conflict(e, "token", "a token with this secret already exists"))?
        .try_get(0)?;
        let token = ApiToken {
            id,
            user_id,
            name,
            prefix: prefix.to_string(),
            created_at: at,
            last_used_at: None,
            revoked: false,
        };
        w.commit_audited(actor, AuditRow::created("api_token", id, &token))
            .await?;
        Ok(token)
    }

    async fn list_api_tokens(&self, user_id: Id) -> Result<Vec<ApiToken>> {
        sqlx::query(&format!(
            "SELECT {} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
            rows::TOKEN_COLS
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::token)
        .collect()
    }

    async fn revoke_api_token(&self, actor: &Actor, user_id: Id, token_id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let row = sqlx::query(&format!(
            "SELECT {} FROM api_tokens WHERE id = $1 AND user_id = $2",
            rows::TOKEN_COLS
        ))
        .bind(token_id)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
        let before = match row {
            Some(row) => rows::token(&row)?,
            None => return Err(not_found("api_token", token_id)),
        };
        sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE id = $1")
            .bind(token_id)
            .execute(&mut *conn)
            .await?;
        let after = ApiToken {
            revoked: true,
            ..before.clone()
        };
        w.commit_audited(
            actor,
            AuditRow::new(
                "revoke",
                "api_token",
                Some(token_id),
                Some(&before),
                Some(&after),
            ),
        )
        .await
    }

    async fn api_token_user(&self, secret_hash: &str) -> Result<Option<User>> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&format!(
            "SELECT {}, t.id AS token_id, t.last_used_at AS token_used FROM api_tokens t \
             JOIN users u ON u.id = t.user_id \
             WHERE t.secret_hash = $1 AND t.revoked = 0 AND u.disabled = 0",
            qualified("u", rows::USER_COLS)
        ))
        .bind(secret_hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token_id: Id = row.try_get("token_id")?;
        let last_used: Option<i64> = row.try_get("token_used")?;
        let mut users = vec![rows::user(&row)?];
        fill_unit_ids(&mut conn, &mut users).await?;
        drop(conn);
        let at = micros(now());
        // While SQLite's writer is busy (e.g. a large import) the touch is skipped rather than
        // making an authenticated request wait; the next use records it.
        let writer = match self.backend {
            Backend::Sqlite => self.write_lock.try_lock().map(Some).ok(),
            Backend::Postgres => Some(None),
        };
        if let (true, Some(_guard)) = (
            last_used.is_none_or(|t| at - t >= TOKEN_TOUCH_INTERVAL_MICROS),
            writer,
        ) {
            // Best effort: a failed bookkeeping write must not refuse a valid token.
            if let Err(e) = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(at)
                .bind(token_id)
                .execute(&self.pool)
                .await
            {
                tracing::warn!(error = %e, token_id, "cannot record API token use");
            }
        }
        Ok(users.pop())
    }

    // ---- audit ----

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>> {
        let mut conn = self.pool.acquire().await?;
        let mut sql = Sql::new("FROM audit_log WHERE 1 = 1");
        if let Some(entity) = &filter.entity {
            sql.push(" AND entity = ").bind(entity.as_str());
        }
        if let Some(id) = filter.entity_id {
            sql.push(" AND entity_id = ").bind(id);
        }
        if let Some(actor) = &filter.actor {
            sql.push(" AND actor = ").bind(actor.as_str());
        }
        if let Some(q) = page.query() {
            sql.push(" AND ")
                .push_text_search(&["action", "entity", "actor"], q);
        }
        let select = format!("SELECT {}", rows::AUDIT_COLS);
        fetch_page(&mut conn, &select, &sql, "id DESC", page, rows::audit).await
    }

    async fn record_event(
        &self,
        actor: &Actor,
        action: &str,
        entity: &str,
        detail: Option<serde_json::Value>,
    ) -> Result<()> {
        let _guard = self.sqlite_write_guard().await;
        sqlx::query(
            "INSERT INTO audit_log (at, actor_user_id, actor, action, entity, entity_id, \
             before_json, after_json) VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6)",
        )
        .bind(micros(now()))
        .bind(actor.user_id)
        .bind(actor.name.as_str())
        .bind(action)
        .bind(entity)
        .bind(detail.map(|d| d.to_string()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---- dashboard and inventory ----

    async fn dashboard(&self, scope: &Scope) -> Result<Dashboard> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut units = Sql::new("SELECT COUNT(*) FROM units WHERE 1 = 1");
        and_unit_scope(&mut units, "path", &paths);
        let units: i64 = units.query().fetch_one(&mut *conn).await?.try_get(0)?;

        let mut kinds = Sql::new("SELECT s.kind, COUNT(*) FROM systems s WHERE 1 = 1");
        and_system_scope(&mut kinds, "s", &paths);
        kinds.push(" GROUP BY s.kind ORDER BY COUNT(*) DESC, s.kind");
        let mut systems_by_kind = Vec::new();
        let mut systems = 0u64;
        for row in kinds.query().fetch_all(&mut *conn).await? {
            let kind: String = row.try_get(0)?;
            let n = to_u64(row.try_get(1)?);
            let kind = SystemKind::from_code(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("systems.kind: {kind:?}")))?;
            systems += n;
            systems_by_kind.push((kind, n));
        }

        let mut assets = Sql::new("SELECT COUNT(*) FROM assets a");
        if paths.is_some() {
            assets.push(" WHERE a.system_id IN (SELECT s.id FROM systems s WHERE 1 = 1");
            and_system_scope(&mut assets, "s", &paths);
            assets.push(")");
        }
        let assets: i64 = assets.query().fetch_one(&mut *conn).await?.try_get(0)?;

        let mut contacts = Sql::new("SELECT COUNT(*) FROM contacts c");
        if let Some(prefixes) = &paths {
            contacts.push(" WHERE c.unit_id IN (SELECT su.id FROM units su WHERE ");
            contacts.push_path_scope("su.path", prefixes);
            contacts.push(")");
        }
        let contacts: i64 = contacts.query().fetch_one(&mut *conn).await?.try_get(0)?;

        let mut top = Sql::new(
            "SELECT u.id, u.name, COUNT(*) FROM systems s JOIN units u ON u.id = s.owner_unit_id \
             WHERE 1 = 1",
        );
        and_system_scope(&mut top, "s", &paths);
        top.push(" GROUP BY u.id, u.name ORDER BY COUNT(*) DESC, u.name LIMIT 20");
        let mut per_unit = Vec::new();
        for row in top.query().fetch_all(&mut *conn).await? {
            per_unit.push(UnitCounts {
                unit_id: row.try_get(0)?,
                unit_name: row.try_get(1)?,
                systems: to_u64(row.try_get(2)?),
                assets: 0,
            });
        }
        if !per_unit.is_empty() {
            let mut sql = Sql::new(
                "SELECT s.owner_unit_id, COUNT(*) FROM assets a JOIN systems s \
                 ON s.id = a.system_id WHERE 1 = 1",
            );
            and_system_scope(&mut sql, "s", &paths);
            sql.push(" AND s.owner_unit_id IN (");
            for (i, u) in per_unit.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(u.unit_id);
            }
            sql.push(") GROUP BY s.owner_unit_id");
            let mut by_unit: HashMap<Id, u64> = HashMap::new();
            for row in sql.query().fetch_all(&mut *conn).await? {
                by_unit.insert(row.try_get(0)?, to_u64(row.try_get(1)?));
            }
            for u in &mut per_unit {
                u.assets = by_unit.get(&u.unit_id).copied().unwrap_or(0);
            }
        }
        Ok(Dashboard {
            units: to_u64(units),
            systems,
            assets: to_u64(assets),
            contacts: to_u64(contacts),
            systems_by_kind,
            per_unit,
        })
    }

    async fn append_audit(
        &self,
        actor: &Actor,
        action: &str,
        entity: &'static str,
        entity_id: Option<Id>,
        details: &serde_json::Value,
    ) -> Result<()> {
        let w = self.begin_write().await?;
        w.commit_audited(
            actor,
            AuditRow::new::<(), _>(action, entity, entity_id, None, Some(details)),
        )
        .await
    }

    async fn directive_facts(
        &self,
        scope: &Scope,
        scanned_since: Timestamp,
    ) -> Result<Vec<canhgac_model::directive::UnitDirectiveFacts>> {
        self.directive_facts_impl(scope, scanned_since).await
    }

    async fn export_inventory(&self, scope: &Scope) -> Result<InventoryDocument> {
        let mut conn = self.pool.acquire().await?;
        crate::import::export(&mut conn, scope).await
    }

    async fn apply_inventory(&self, actor: &Actor, plan: &InventoryPlan) -> Result<PlanSummary> {
        let mut w = if plan.units.is_empty() {
            self.begin_write().await?
        } else {
            self.begin_unit_tree_write().await?
        };
        let summary = crate::import::apply(&mut w.tx, actor, plan).await?;
        w.commit().await?;
        let changes = summary.created + summary.updated + summary.deleted;
        if changes >= 1000 {
            // The planner's statistics describe the tables before a bulk load; refresh them so
            // the listings right after a first import do not run on stale estimates.
            let refresh = match self.backend {
                Backend::Postgres => "ANALYZE",
                Backend::Sqlite => "PRAGMA optimize",
            };
            let _guard = self.sqlite_write_guard().await;
            if let Err(e) = sqlx::raw_sql(refresh).execute(&self.pool).await {
                tracing::warn!(error = %e, "cannot refresh planner statistics after an import");
            }
        }
        Ok(summary)
    }

    // ---- maintenance ----

    async fn record_alerts(
        &self,
        drafts: &[AlertDraft],
        fold_window: jiff::SignedDuration,
    ) -> Result<Vec<Id>> {
        let items: Vec<_> = drafts.iter().map(|d| (d, 1, d.time)).collect();
        self.record_alerts_impl(&items, fold_window).await
    }

    async fn record_alert_bursts(
        &self,
        bursts: &[(AlertDraft, u64, Timestamp)],
        fold_window: jiff::SignedDuration,
    ) -> Result<Vec<Id>> {
        let items: Vec<_> = bursts
            .iter()
            .map(|(d, count, first)| (d, i64::try_from(*count).unwrap_or(i64::MAX), *first))
            .collect();
        self.record_alerts_impl(&items, fold_window).await
    }

    async fn list_alerts(
        &self,
        scope: &Scope,
        filter: &AlertFilter,
        page: &PageRequest,
    ) -> Result<Page<Alert>> {
        self.list_alerts_impl(scope, filter, page).await
    }

    async fn get_alert(&self, scope: &Scope, id: Id) -> Result<Alert> {
        self.get_alert_impl(scope, id).await
    }

    async fn triage_alert(
        &self,
        actor: &Actor,
        id: Id,
        status: AlertStatus,
        comment: Option<String>,
    ) -> Result<Alert> {
        self.triage_alert_impl(actor, id, status, comment).await
    }

    async fn alert_summary(&self, scope: &Scope) -> Result<AlertSummary> {
        self.alert_summary_impl(scope).await
    }

    async fn list_indicators(
        &self,
        filter: &IndicatorFilter,
        page: &PageRequest,
    ) -> Result<Page<Indicator>> {
        self.list_indicators_impl(filter, page).await
    }

    async fn active_indicators(&self, at: Timestamp) -> Result<Vec<Indicator>> {
        self.active_indicators_impl(at).await
    }

    async fn import_indicators(
        &self,
        actor: &Actor,
        inputs: Vec<IndicatorInput>,
    ) -> Result<IndicatorImport> {
        self.import_indicators_impl(actor, inputs).await
    }

    async fn delete_indicator(&self, actor: &Actor, id: Id) -> Result<()> {
        self.delete_indicator_impl(actor, id).await
    }

    async fn rule_overrides(&self) -> Result<Vec<RuleOverride>> {
        self.rule_overrides_impl().await
    }

    async fn set_rule_override(&self, actor: &Actor, setting: RuleOverride) -> Result<()> {
        self.set_rule_override_impl(actor, setting).await
    }

    async fn delete_rule_override(
        &self,
        actor: &Actor,
        rule_key: &str,
        unit_id: Option<Id>,
    ) -> Result<()> {
        self.delete_rule_override_impl(actor, rule_key, unit_id)
            .await
    }

    async fn list_suppressions(&self, scope: &Scope) -> Result<Vec<Suppression>> {
        self.list_suppressions_impl(scope).await
    }

    async fn create_suppression(&self, actor: &Actor, input: Suppression) -> Result<Suppression> {
        self.create_suppression_impl(actor, input).await
    }

    async fn delete_suppression(&self, actor: &Actor, id: Id) -> Result<()> {
        self.delete_suppression_impl(actor, id).await
    }

    async fn detection_stamp(&self) -> Result<String> {
        self.detection_stamp_impl().await
    }

    async fn attribution_assets(&self) -> Result<Vec<(Id, canhgac_model::AssetKind, String)>> {
        self.attribution_assets_impl().await
    }

    // ---- watch ----

    async fn list_monitors(
        &self,
        scope: &Scope,
        filter: &MonitorFilter,
        page: &PageRequest,
    ) -> Result<Page<Monitor>> {
        self.list_monitors_impl(scope, filter, page).await
    }

    async fn get_monitor(&self, scope: &Scope, id: Id) -> Result<Monitor> {
        self.get_monitor_impl(scope, id).await
    }

    async fn create_monitor(&self, actor: &Actor, input: MonitorInput) -> Result<Monitor> {
        self.create_monitor_impl(actor, input).await
    }

    async fn update_monitor(&self, actor: &Actor, id: Id, input: MonitorInput) -> Result<Monitor> {
        self.update_monitor_impl(actor, id, input).await
    }

    async fn delete_monitor(&self, actor: &Actor, id: Id) -> Result<()> {
        self.delete_monitor_impl(actor, id).await
    }

    async fn create_automatic_monitors(&self, inputs: Vec<MonitorInput>) -> Result<u64> {
        self.create_automatic_monitors_impl(inputs).await
    }

    async fn enabled_monitors(&self) -> Result<Vec<Monitor>> {
        self.enabled_monitors_impl().await
    }

    async fn watch_stamp(&self) -> Result<String> {
        self.watch_stamp_impl().await
    }

    async fn record_check(&self, result: &CheckResult, update: &MonitorStateUpdate) -> Result<()> {
        self.record_check_impl(result, update).await
    }

    async fn recent_checks(
        &self,
        scope: &Scope,
        monitor_id: Id,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<CheckResult>> {
        self.recent_checks_impl(scope, monitor_id, since, limit)
            .await
    }

    async fn latest_checks_by_probe(
        &self,
        scope: &Scope,
        monitor_id: Id,
    ) -> Result<Vec<CheckResult>> {
        self.latest_checks_by_probe_impl(scope, monitor_id).await
    }

    async fn monitor_rollups(
        &self,
        scope: &Scope,
        monitor_id: Id,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<MonitorRollup>> {
        self.monitor_rollups_impl(scope, monitor_id, from, to).await
    }

    async fn availability(
        &self,
        scope: &Scope,
        monitor_ids: &[Id],
        at: Timestamp,
    ) -> Result<Vec<(Id, Availability)>> {
        self.availability_impl(scope, monitor_ids, at).await
    }

    async fn outages(&self, scope: &Scope, monitor_id: Id, limit: u32) -> Result<Vec<Outage>> {
        self.outages_impl(scope, monitor_id, limit).await
    }

    async fn prune_checks(
        &self,
        checks_before: Timestamp,
        rollups_before: Timestamp,
    ) -> Result<u64> {
        self.prune_checks_impl(checks_before, rollups_before).await
    }

    async fn defacement_baseline(
        &self,
        scope: &Scope,
        monitor_id: Id,
    ) -> Result<Option<DefacementBaseline>> {
        self.defacement_baseline_impl(scope, monitor_id).await
    }

    async fn set_baseline(
        &self,
        monitor_id: Id,
        snapshot: &PageSnapshot,
        at: Timestamp,
    ) -> Result<()> {
        self.set_baseline_impl(monitor_id, snapshot, at).await
    }

    async fn set_candidate(
        &self,
        monitor_id: Id,
        snapshot: Option<&PageSnapshot>,
        at: Timestamp,
    ) -> Result<()> {
        self.set_candidate_impl(monitor_id, snapshot, at).await
    }

    async fn approve_candidate(&self, actor: &Actor, monitor_id: Id) -> Result<DefacementBaseline> {
        self.approve_candidate_impl(actor, monitor_id).await
    }

    async fn list_maintenance(
        &self,
        scope: &Scope,
        monitor_id: Option<Id>,
        at: Timestamp,
    ) -> Result<Vec<MaintenanceWindow>> {
        self.list_maintenance_impl(scope, monitor_id, at).await
    }

    async fn create_maintenance(
        &self,
        actor: &Actor,
        window: MaintenanceWindow,
    ) -> Result<MaintenanceWindow> {
        self.create_maintenance_impl(actor, window).await
    }

    async fn delete_maintenance(&self, actor: &Actor, id: Id) -> Result<()> {
        self.delete_maintenance_impl(actor, id).await
    }

    async fn resolve_monitor_alerts(&self, rule_key: &str, comment: &str) -> Result<u64> {
        self.resolve_monitor_alerts_impl(rule_key, comment).await
    }

    async fn touch_probe(&self, name: &str, address: Option<&str>, at: Timestamp) -> Result<()> {
        self.touch_probe_impl(name, address, at).await
    }

    async fn list_probes(&self) -> Result<Vec<ProbeInfo>> {
        self.list_probes_impl().await
    }

    async fn public_status(&self, at: Timestamp) -> Result<Vec<PublicMonitorStatus>> {
        self.public_status_impl(at).await
    }

    async fn watch_summary(&self, scope: &Scope) -> Result<WatchSummary> {
        self.watch_summary_impl(scope).await
    }

    async fn record_findings(
        &self,
        actor: &Actor,
        batch: &canhgac_model::FindingBatch,
    ) -> Result<canhgac_model::FindingOutcome> {
        self.record_findings_impl(actor, batch).await
    }

    async fn list_findings(
        &self,
        scope: &Scope,
        filter: &canhgac_model::FindingFilter,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::Finding>> {
        self.list_findings_impl(scope, filter, page).await
    }

    async fn get_finding(&self, scope: &Scope, id: Id) -> Result<canhgac_model::Finding> {
        self.get_finding_impl(scope, id).await
    }

    async fn set_finding_status(
        &self,
        actor: &Actor,
        id: Id,
        status: canhgac_model::FindingStatus,
        reason: Option<String>,
        until: Option<canhgac_model::Timestamp>,
    ) -> Result<canhgac_model::Finding> {
        self.set_finding_status_impl(actor, id, status, reason, until)
            .await
    }

    async fn email_directory(&self, scope: &Scope) -> Result<crate::EmailDirectory> {
        self.email_directory_impl(scope).await
    }

    async fn finding_counts(
        &self,
        scope: &Scope,
        source: Option<canhgac_model::FindingSource>,
    ) -> Result<Vec<canhgac_model::FindingCount>> {
        self.finding_counts_impl(scope, source).await
    }

    // ---- bulletins and the outbox ----
    async fn create_bulletin(
        &self,
        actor: &Actor,
        input: BulletinInput,
        write: &WriteBulletinMail<'_>,
    ) -> Result<BulletinDetail> {
        self.create_bulletin_impl(actor, input, write).await
    }

    async fn list_bulletins(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Bulletin>> {
        self.list_bulletins_impl(scope, page).await
    }

    async fn get_bulletin(&self, scope: &Scope, id: Id) -> Result<BulletinDetail> {
        self.get_bulletin_impl(scope, id).await
    }

    async fn remind_bulletin(
        &self,
        actor: &Actor,
        id: Id,
        write: &WriteBulletinMail<'_>,
    ) -> Result<u64> {
        self.remind_bulletin_impl(actor, id, write).await
    }

    async fn bulletins_due_for_reminder(
        &self,
        at: Timestamp,
        max_reminders: u32,
    ) -> Result<Vec<Id>> {
        self.bulletins_due_for_reminder_impl(at, max_reminders)
            .await
    }

    async fn confirm_bulletin(
        &self,
        token_hash: &str,
        at: Timestamp,
    ) -> Result<Option<BulletinConfirmation>> {
        self.confirm_bulletin_impl(token_hash, at).await
    }

    async fn bulletin_link(&self, token_hash: &str) -> Result<Option<BulletinLink>> {
        self.bulletin_link_impl(token_hash).await
    }

    async fn enqueue_outbox(&self, drafts: &[OutboxDraft]) -> Result<Vec<Option<Id>>> {
        self.enqueue_outbox_impl(drafts).await
    }

    async fn list_outbox(
        &self,
        scope: &Scope,
        filter: &OutboxFilter,
        page: &PageRequest,
    ) -> Result<Page<OutboxMessage>> {
        self.list_outbox_impl(scope, filter, page).await
    }

    async fn outbox_counts(&self, scope: &Scope) -> Result<OutboxCounts> {
        self.outbox_counts_impl(scope).await
    }

    async fn claim_outbox(
        &self,
        channel: &str,
        at: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxMail>> {
        self.claim_outbox_impl(channel, at, lease_until, limit)
            .await
    }

    async fn outbox_sent(&self, id: Id, at: Timestamp) -> Result<()> {
        self.outbox_sent_impl(id, at).await
    }

    async fn outbox_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
        self.outbox_failed_impl(id, error, retry_at).await
    }

    // ---- scans on the server ----
    async fn scan_assets(&self, scope: &Scope) -> Result<Vec<crate::ScanAsset>> {
        self.scan_assets_impl(scope).await
    }

    async fn create_scan(
        &self,
        actor: &Actor,
        request: &canhgac_model::scan_run::ScanRequest,
    ) -> Result<canhgac_model::scan_run::ScanRun> {
        self.create_scan_impl(actor, request).await
    }

    async fn list_scans(
        &self,
        scope: &Scope,
        filter: &canhgac_model::scan_run::ScanFilter,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::scan_run::ScanRun>> {
        self.list_scans_impl(scope, filter, page).await
    }

    async fn get_scan(&self, scope: &Scope, id: Id) -> Result<canhgac_model::scan_run::ScanRun> {
        self.get_scan_impl(scope, id).await
    }

    async fn scan_findings(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<Vec<(canhgac_model::scan_run::ScanChange, canhgac_model::Finding)>> {
        self.scan_findings_impl(scope, id).await
    }

    async fn cancel_scan(&self, actor: &Actor, id: Id) -> Result<canhgac_model::scan_run::ScanRun> {
        self.cancel_scan_impl(actor, id).await
    }

    async fn claim_scan(
        &self,
        at: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<canhgac_model::scan_run::ScanRun>> {
        self.claim_scan_impl(at, lease_until).await
    }

    async fn scan_progress(
        &self,
        id: Id,
        fraction: f64,
        phase: &str,
        lease_until: Timestamp,
    ) -> Result<bool> {
        self.scan_progress_impl(id, fraction, phase, lease_until)
            .await
    }

    async fn scan_checkpoint(&self, id: Id) -> Result<Option<String>> {
        self.scan_checkpoint_impl(id).await
    }

    async fn save_scan_checkpoint(
        &self,
        id: Id,
        checkpoint: &str,
        fraction: f64,
        lease_until: Timestamp,
    ) -> Result<bool> {
        self.save_scan_checkpoint_impl(id, checkpoint, fraction, lease_until)
            .await
    }

    async fn finish_scan(
        &self,
        id: Id,
        result: &canhgac_model::scan_run::ScanResult,
    ) -> Result<bool> {
        self.finish_scan_impl(id, result).await
    }

    async fn list_scan_schedules(
        &self,
        scope: &Scope,
        system_id: Option<Id>,
    ) -> Result<Vec<canhgac_model::scan_run::ScanSchedule>> {
        self.list_scan_schedules_impl(scope, system_id).await
    }

    async fn get_scan_schedule(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<canhgac_model::scan_run::ScanSchedule> {
        self.get_scan_schedule_impl(scope, id).await
    }

    async fn create_scan_schedule(
        &self,
        actor: &Actor,
        system_id: Id,
        input: &canhgac_model::scan_run::ScanScheduleInput,
    ) -> Result<canhgac_model::scan_run::ScanSchedule> {
        self.create_scan_schedule_impl(actor, system_id, input)
            .await
    }

    async fn update_scan_schedule(
        &self,
        actor: &Actor,
        id: Id,
        input: &canhgac_model::scan_run::ScanScheduleInput,
    ) -> Result<canhgac_model::scan_run::ScanSchedule> {
        self.update_scan_schedule_impl(actor, id, input).await
    }

    async fn delete_scan_schedule(&self, actor: &Actor, id: Id) -> Result<()> {
        self.delete_scan_schedule_impl(actor, id).await
    }

    async fn enqueue_due_scans(&self, at: Timestamp) -> Result<Vec<Id>> {
        self.enqueue_due_scans_impl(at).await
    }

    async fn get_redundancy(
        &self,
        scope: &Scope,
        system_id: Id,
    ) -> Result<Option<canhgac_model::redundancy::Redundancy>> {
        self.get_redundancy_impl(scope, system_id).await
    }

    async fn set_redundancy(
        &self,
        actor: &Actor,
        system_id: Id,
        input: canhgac_model::redundancy::RedundancyInput,
    ) -> Result<canhgac_model::redundancy::Redundancy> {
        self.set_redundancy_impl(actor, system_id, input).await
    }

    // ---- duty roster and paging (issue 6) ----
    async fn duty_contacts(&self, scope: &Scope) -> Result<Vec<canhgac_model::duty::DutyContact>> {
        self.duty_contacts_impl(scope).await
    }
    async fn set_duty_channels(
        &self,
        actor: &Actor,
        contact_id: Id,
        channels: canhgac_model::duty::DutyChannels,
    ) -> Result<canhgac_model::duty::DutyContact> {
        self.set_duty_channels_impl(actor, contact_id, channels)
            .await
    }
    async fn list_shifts(
        &self,
        scope: &Scope,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<canhgac_model::duty::DutyShift>> {
        self.list_shifts_impl(scope, from, to).await
    }
    async fn create_shifts(
        &self,
        actor: &Actor,
        inputs: &[canhgac_model::duty::DutyShiftInput],
    ) -> Result<Vec<canhgac_model::duty::DutyShift>> {
        self.create_shifts_impl(actor, inputs).await
    }
    async fn delete_shift(&self, actor: &Actor, id: Id) -> Result<()> {
        self.delete_shift_impl(actor, id).await
    }
    async fn list_holidays(&self, scope: &Scope) -> Result<Vec<canhgac_model::duty::DutyHoliday>> {
        self.list_holidays_impl(scope).await
    }
    async fn create_holiday(
        &self,
        actor: &Actor,
        holiday: &canhgac_model::duty::DutyHoliday,
    ) -> Result<canhgac_model::duty::DutyHoliday> {
        self.create_holiday_impl(actor, holiday).await
    }
    async fn delete_holiday(&self, actor: &Actor, id: Id) -> Result<()> {
        self.delete_holiday_impl(actor, id).await
    }
    async fn list_duty_rules(&self, scope: &Scope) -> Result<Vec<canhgac_model::duty::DutyRule>> {
        self.list_duty_rules_impl(scope).await
    }
    async fn create_duty_rule(
        &self,
        actor: &Actor,
        unit_id: Option<Id>,
        rule: &serde_json::Value,
    ) -> Result<canhgac_model::duty::DutyRule> {
        self.create_duty_rule_impl(actor, unit_id, rule).await
    }
    async fn delete_duty_rule(&self, actor: &Actor, id: Id) -> Result<()> {
        self.delete_duty_rule_impl(actor, id).await
    }
    async fn alerts_to_page(&self, since: Timestamp, limit: u32) -> Result<Vec<Alert>> {
        self.alerts_to_page_impl(since, limit).await
    }
    async fn record_page(
        &self,
        page: &canhgac_model::duty::AlertPage,
        messages: &[(OutboxDraft, Timestamp)],
    ) -> Result<bool> {
        self.record_page_impl(page, messages).await
    }
    async fn due_pages(
        &self,
        at: Timestamp,
        limit: u32,
    ) -> Result<Vec<(canhgac_model::duty::AlertPage, Alert)>> {
        self.due_pages_impl(at, limit).await
    }
    async fn record_escalation(
        &self,
        alert_id: Id,
        from: &str,
        reached: &str,
        next_check: Option<Timestamp>,
        messages: &[(OutboxDraft, Timestamp)],
    ) -> Result<bool> {
        self.record_escalation_impl(alert_id, from, reached, next_check, messages)
            .await
    }
    async fn acknowledge_page(
        &self,
        alert_id: Id,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<canhgac_model::duty::AlertPage>> {
        self.acknowledge_page_impl(alert_id, by, at).await
    }
    async fn list_pages(
        &self,
        scope: &Scope,
        limit: u32,
    ) -> Result<Vec<canhgac_model::duty::AlertPage>> {
        self.list_pages_impl(scope, limit).await
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
        if self.backend == Backend::Postgres {
            return Err(StoreError::Conflict {
                field: "backend".into(),
                message: "backups of a PostgreSQL store are taken with pg_dump \
                          (e.g. `pg_dump -Fc -f canhgac.dump DBNAME`), not by canhgac"
                    .into(),
            });
        }
        if path.exists() {
            return Err(StoreError::Conflict {
                field: "path".into(),
                message: format!(
                    "{} already exists; refusing to overwrite it",
                    path.display()
                ),
            });
        }
        let Some(text) = path.to_str() else {
            return Err(StoreError::Conflict {
                field: "path".into(),
                message: format!("{} is not valid UTF-8", path.display()),
            });
        };
        // VACUUM INTO takes a read snapshot, so writers keep going while it copies.
        sqlx::query("VACUUM INTO $1")
            .bind(text)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    // ---- incidents and the report archive (issue 6) ----
    async fn create_incident(
        &self,
        actor: &Actor,
        input: canhgac_model::IncidentInput,
    ) -> Result<canhgac_model::Incident> {
        self.create_incident_impl(actor, input).await
    }

    async fn update_incident(
        &self,
        actor: &Actor,
        id: Id,
        input: canhgac_model::IncidentInput,
    ) -> Result<canhgac_model::Incident> {
        self.update_incident_impl(actor, id, input).await
    }

    async fn list_incidents(
        &self,
        scope: &Scope,
        filter: &crate::IncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::Incident>> {
        self.list_incidents_impl(scope, filter, page).await
    }

    async fn get_incident(&self, scope: &Scope, id: Id) -> Result<canhgac_model::IncidentDetail> {
        self.get_incident_impl(scope, id).await
    }

    async fn incidents_of_alert(&self, scope: &Scope, alert_id: Id) -> Result<Vec<(Id, String)>> {
        self.incidents_of_alert_impl(scope, alert_id).await
    }

    async fn add_incident_note(
        &self,
        actor: &Actor,
        id: Id,
        at: Timestamp,
        text: &str,
    ) -> Result<canhgac_model::IncidentNote> {
        self.add_incident_note_impl(actor, id, at, text).await
    }

    async fn add_incident_task(
        &self,
        actor: &Actor,
        id: Id,
        title: &str,
        assignee: Option<&str>,
    ) -> Result<canhgac_model::IncidentTask> {
        self.add_incident_task_impl(actor, id, title, assignee)
            .await
    }

    async fn complete_incident_task(
        &self,
        actor: &Actor,
        id: Id,
        task_id: Id,
        done: bool,
    ) -> Result<canhgac_model::IncidentTask> {
        self.complete_incident_task_impl(actor, id, task_id, done)
            .await
    }

    async fn add_incident_observable(
        &self,
        actor: &Actor,
        id: Id,
        observable: canhgac_model::Observable,
    ) -> Result<canhgac_model::Incident> {
        self.add_incident_observable_impl(actor, id, observable)
            .await
    }

    async fn create_report(
        &self,
        actor: &Actor,
        draft: canhgac_model::ReportDraft,
        render: &crate::RenderReport<'_>,
    ) -> Result<canhgac_model::IncidentReport> {
        self.create_report_impl(actor, draft, render).await
    }

    async fn list_reports(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::IncidentReport>> {
        self.list_reports_impl(scope, page).await
    }

    async fn report_docx(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<(canhgac_model::IncidentReport, Vec<u8>)> {
        self.report_docx_impl(scope, id).await
    }

    async fn record_report_sending(
        &self,
        actor: &Actor,
        id: Id,
        outcome: std::result::Result<Timestamp, String>,
    ) -> Result<canhgac_model::IncidentReport> {
        self.record_report_sending_impl(actor, id, outcome).await
    }

    // ---- advisory register and retro-hunts (issue 7) ----
    async fn create_advisory(
        &self,
        actor: &Actor,
        input: canhgac_model::advisory::AdvisoryInput,
        matches: &[canhgac_model::advisory::AdvisoryMatch],
    ) -> Result<canhgac_model::advisory::AdvisoryDetail> {
        self.create_advisory_impl(actor, input, matches).await
    }

    async fn list_advisories(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::advisory::AdvisoryRecord>> {
        self.list_advisories_impl(scope, page).await
    }

    async fn get_advisory(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<canhgac_model::advisory::AdvisoryDetail> {
        self.get_advisory_impl(scope, id).await
    }

    async fn advisory_attachment(
        &self,
        scope: &Scope,
        advisory_id: Id,
        attachment_id: Id,
    ) -> Result<(canhgac_model::advisory::AdvisoryAttachment, Vec<u8>)> {
        self.advisory_attachment_impl(scope, advisory_id, attachment_id)
            .await
    }

    async fn set_advisory_matches(
        &self,
        actor: &Actor,
        id: Id,
        matches: &[canhgac_model::advisory::AdvisoryMatch],
    ) -> Result<canhgac_model::advisory::AdvisoryDetail> {
        self.set_advisory_matches_impl(actor, id, matches).await
    }

    async fn act_on_advisory_task(
        &self,
        actor: &Actor,
        task_id: Id,
        action: canhgac_model::advisory::AdvisoryTaskAction,
        comment: Option<String>,
    ) -> Result<canhgac_model::advisory::AdvisoryTask> {
        self.act_on_advisory_task_impl(actor, task_id, action, comment)
            .await
    }

    async fn request_retrohunt(
        &self,
        actor: &Actor,
        indicator_ids: &[Id],
        days: u32,
    ) -> Result<canhgac_model::advisory::RetroHunt> {
        self.request_retrohunt_impl(actor, indicator_ids, days)
            .await
    }

    async fn queue_new_indicator_hunt(
        &self,
        days: u32,
    ) -> Result<Option<canhgac_model::advisory::RetroHunt>> {
        self.queue_new_indicator_hunt_impl(days).await
    }

    async fn claim_retrohunt(
        &self,
        at: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<canhgac_model::advisory::RetroHunt>> {
        self.claim_retrohunt_impl(at, lease_until).await
    }

    async fn finish_retrohunt(
        &self,
        id: Id,
        outcome: std::result::Result<canhgac_model::advisory::RetroHuntOutcome, String>,
    ) -> Result<()> {
        self.finish_retrohunt_impl(id, outcome).await
    }

    async fn list_retrohunts(
        &self,
        indicator_id: Option<Id>,
        limit: u32,
    ) -> Result<Vec<canhgac_model::advisory::RetroHunt>> {
        self.list_retrohunts_impl(indicator_id, limit).await
    }
}

impl SqlStore {
    /// The writer lock for single-statement writes outside [`Self::begin_write`] (SQLite only).
    async fn sqlite_write_guard(&self) -> Option<MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }
}

async fn check_asset_system(conn: &mut AnyConnection, paths: &Paths, system_id: Id) -> Result<()> {
    match load_system(conn, system_id).await? {
        Some((_, owner, operator)) if system_in(paths, &owner, operator.as_deref()) => Ok(()),
        Some(_) => Err(StoreError::OutOfScope(format!("system {system_id}"))),
        None if paths.is_none() => {
            Err(FieldError::new("system_id", format!("no system with id {system_id}")).into())
        }
        None => Err(StoreError::OutOfScope(format!("system {system_id}"))),
    }
}

pub(crate) async fn insert_authority(
    conn: &mut AnyConnection,
    input: &AuthorityInput,
    at: i64,
) -> Result<Id> {
    Ok(sqlx::query(
        "INSERT INTO authorities (code, name, address, phones, emails, valid_from, valid_to, \
         note, created_at, updated_at, name_lc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, \
         $10) RETURNING id",
    )
    .bind(input.code.as_str())
    .bind(input.name.as_str())
    .bind(input.address.clone())
    .bind(json_text(&input.phones))
    .bind(json_text(&input.emails))
    .bind(date_text(input.valid_from))
    .bind(date_text(input.valid_to))
    .bind(input.note.clone())
    .bind(at)
    .bind(lc(&input.name))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| authority_conflict(e, input))?
    .try_get(0)?)
}

pub(crate) async fn update_authority_row(
    conn: &mut AnyConnection,
    id: Id,
    input: &AuthorityInput,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE authorities SET code = $1, name = $2, address = $3, phones = $4, emails = $5, \
         valid_from = $6, valid_to = $7, note = $8, updated_at = $9, name_lc = $11 WHERE id = $10",
    )
    .bind(input.code.as_str())
    .bind(input.name.as_str())
    .bind(input.address.clone())
    .bind(json_text(&input.phones))
    .bind(json_text(&input.emails))
    .bind(date_text(input.valid_from))
    .bind(date_text(input.valid_to))
    .bind(input.note.clone())
    .bind(at)
    .bind(id)
    .bind(lc(&input.name))
    .execute(&mut *conn)
    .await
    .map_err(|e| authority_conflict(e, input))?;
    Ok(())
}
