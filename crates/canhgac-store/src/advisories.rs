//! The advisory register: advisories, their attachments and one task per affected unit; and
//! the queue of retro-hunts.
//!
//! Advisories apply to the whole province, so recording one and re-matching it need scope
//! `All` (as indicators do). A reader sees an advisory when one of its tasks is for a unit in
//! their scope (readers with scope `All` see every advisory), and sees the tasks and counts of
//! those units only. A unit acts on its own task (acknowledge, confirm, remediate, not
//! affected): the task's unit must be in the actor's scope.
//!
//! Retro-hunts are a small queue: `queued` → (claimed, with a lease) `running` → `done` or
//! `failed`. New indicators are found by a cursor (the highest indicator id already queued), so
//! every import path, and indicators added one by one, are hunted for without the importer
//! knowing about retro-hunts.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use canhgac_model::advisory::{
    AdvisoryAttachment, AdvisoryDetail, AdvisoryInput, AdvisoryMatch, AdvisoryProgress,
    AdvisoryRecord, AdvisoryTask, AdvisoryTaskAction, AdvisoryTaskState, RetroHunt,
    RetroHuntOutcome, RetroHuntState,
};
use canhgac_model::{Actor, FieldError, Id, Page, PageRequest, Scope, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::{get, json_text, micros, now, opt_ts, ts};
use crate::sql::{fetch_page, lc, scope_paths, unit_path, AuditRow, Paths, SqlStore};
use crate::{Result, StoreError};

const ADVISORY_COLS: &str = "a.id, a.issuer, a.number, a.title, a.issued_on, a.deadline, \
     a.tlp, a.details, a.created_by, a.created_at, a.matched_at";

const TASK_COLS: &str = "t.id, t.advisory_id, t.unit_id, u.name AS unit_name, t.state, \
     t.systems, t.comment, t.acknowledged_at, t.acknowledged_by, t.updated_at, t.updated_by, \
     a.deadline";

const HUNT_COLS: &str = "id, indicator_ids, days, state, requested_by, requested_at, \
     finished_at, events_scanned, hits, alerts, error";

/// Longest comment a unit may leave on its task.
const MAX_COMMENT_CHARS: usize = 4000;

/// Most indicators one retro-hunt request names.
pub const MAX_HUNT_INDICATORS: usize = 100_000;

fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn need_all(actor: &Actor, what: &str) -> Result<()> {
    if actor.scope.is_all() {
        Ok(())
    } else {
        Err(StoreError::OutOfScope(format!(
            "{what} applies to every unit; ask an administrator or analyst"
        )))
    }
}

fn advisory_row(row: &AnyRow) -> Result<AdvisoryRecord> {
    const T: &str = "advisories";
    let issued_on = get::<Option<String>>(row, T, "issued_on")?
        .map(|d| {
            d.parse()
                .map_err(|_| StoreError::Corrupt(format!("{T}.issued_on")))
        })
        .transpose()?;
    let details: String = get(row, T, "details")?;
    Ok(AdvisoryRecord {
        id: get(row, T, "id")?,
        issuer: get(row, T, "issuer")?,
        number: get(row, T, "number")?,
        title: get(row, T, "title")?,
        issued_on,
        deadline: opt_ts(row, T, "deadline")?,
        tlp: get(row, T, "tlp")?,
        details: serde_json::from_str(&details)
            .map_err(|_| StoreError::Corrupt(format!("{T}.details")))?,
        created_by: get(row, T, "created_by")?,
        created_at: ts(row, T, "created_at")?,
        matched_at: opt_ts(row, T, "matched_at")?,
        progress: AdvisoryProgress::default(),
    })
}

fn task_row(row: &AnyRow, at: Timestamp) -> Result<AdvisoryTask> {
    const T: &str = "advisory_tasks";
    let state: String = get(row, T, "state")?;
    let state = AdvisoryTaskState::from_code(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("{T}.state")))?;
    let systems: String = get(row, T, "systems")?;
    let deadline = opt_ts(row, T, "deadline")?;
    Ok(AdvisoryTask {
        id: get(row, T, "id")?,
        advisory_id: get(row, T, "advisory_id")?,
        unit_id: get(row, T, "unit_id")?,
        unit_name: get(row, T, "unit_name")?,
        state,
        systems: serde_json::from_str(&systems)
            .map_err(|_| StoreError::Corrupt(format!("{T}.systems")))?,
        comment: get(row, T, "comment")?,
        deadline,
        overdue: !state.is_done() && deadline.is_some_and(|d| d < at),
        acknowledged_at: opt_ts(row, T, "acknowledged_at")?,
        acknowledged_by: get(row, T, "acknowledged_by")?,
        updated_at: ts(row, T, "updated_at")?,
        updated_by: get(row, T, "updated_by")?,
    })
}

fn hunt_row(row: &AnyRow) -> Result<RetroHunt> {
    const T: &str = "retrohunts";
    let ids: String = get(row, T, "indicator_ids")?;
    let state: String = get(row, T, "state")?;
    Ok(RetroHunt {
        id: get(row, T, "id")?,
        indicator_ids: serde_json::from_str(&ids)
            .map_err(|_| StoreError::Corrupt(format!("{T}.indicator_ids")))?,
        days: u32::try_from(get::<i64>(row, T, "days")?).unwrap_or(0),
        state: RetroHuntState::from_code(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("{T}.state")))?,
        requested_by: get(row, T, "requested_by")?,
        requested_at: ts(row, T, "requested_at")?,
        finished_at: opt_ts(row, T, "finished_at")?,
        events_scanned: to_u64(get(row, T, "events_scanned")?),
        hits: to_u64(get(row, T, "hits")?),
        alerts: to_u64(get(row, T, "alerts")?),
        error: get(row, T, "error")?,
    })
}

fn progress(tasks: &[AdvisoryTask]) -> AdvisoryProgress {
    AdvisoryProgress {
        tasks: tasks.len() as u64,
        done: tasks.iter().filter(|t| t.state.is_done()).count() as u64,
        overdue: tasks.iter().filter(|t| t.overdue).count() as u64,
        acknowledged: tasks.iter().filter(|t| t.acknowledged_at.is_some()).count() as u64,
    }
}

/// Appends `AND` advisory `a` has a task of a unit in scope.
fn and_advisory_visible(sql: &mut Sql, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(
            " AND EXISTS (SELECT 1 FROM advisory_tasks vt JOIN units vu ON vu.id = vt.unit_id \
             WHERE vt.advisory_id = a.id AND ",
        );
        sql.push_path_scope("vu.path", prefixes);
        sql.push(")");
    }
}

/// Tasks of the given advisories for units in scope, by unit name.
async fn tasks_of(
    conn: &mut AnyConnection,
    paths: &Paths,
    advisory_ids: &[Id],
    at: Timestamp,
) -> Result<Vec<AdvisoryTask>> {
    if advisory_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT {TASK_COLS} FROM advisory_tasks t JOIN units u ON u.id = t.unit_id \
         JOIN advisories a ON a.id = t.advisory_id WHERE t.advisory_id IN ("
    ));
    for (i, id) in advisory_ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    if let Some(prefixes) = paths {
        sql.push(" AND ");
        sql.push_path_scope("u.path", prefixes);
    }
    sql.push(" ORDER BY u.name, t.unit_id");
    sql.query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| task_row(row, at))
        .collect()
}

async fn load_detail(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<AdvisoryDetail> {
    let mut sql = Sql::new(&format!(
        "SELECT {ADVISORY_COLS} FROM advisories a WHERE a.id = "
    ));
    sql.bind(id);
    and_advisory_visible(&mut sql, paths);
    let Some(row) = sql.query().fetch_optional(&mut *conn).await? else {
        return Err(not_found("advisory", id));
    };
    let mut advisory = advisory_row(&row)?;
    let tasks = tasks_of(conn, paths, &[id], now()).await?;
    advisory.progress = progress(&tasks);
    let attachments = sqlx::query(
        "SELECT id, file_name, content_type, size FROM advisory_attachments \
         WHERE advisory_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        const T: &str = "advisory_attachments";
        Ok(AdvisoryAttachment {
            id: get(row, T, "id")?,
            file_name: get(row, T, "file_name")?,
            content_type: get(row, T, "content_type")?,
            size: to_u64(get(row, T, "size")?),
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(AdvisoryDetail {
        advisory,
        tasks,
        attachments,
    })
}

/// Writes the tasks of `matches`: a new unit gets an open task, a unit that has one keeps its
/// state and gets the new list of systems; an open, unacknowledged task of a unit no longer
/// matched goes (the others stay: what a unit answered is history).
async fn write_matches(
    conn: &mut AnyConnection,
    actor: &Actor,
    advisory_id: Id,
    matches: &[AdvisoryMatch],
    at: i64,
) -> Result<()> {
    let existing: HashMap<Id, (Id, String, Option<i64>)> = sqlx::query(
        "SELECT unit_id, id, state, acknowledged_at FROM advisory_tasks WHERE advisory_id = $1",
    )
    .bind(advisory_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get::<Id, _>(0)?,
            (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?),
        ))
    })
    .collect::<std::result::Result<_, sqlx::Error>>()?;
    let mut matched = HashSet::new();
    for m in matches {
        if !matched.insert(m.unit_id) {
            continue;
        }
        if unit_path(conn, m.unit_id).await?.is_none() {
            return Err(
                FieldError::new("unit_id", format!("no unit with id {}", m.unit_id)).into(),
            );
        }
        match existing.get(&m.unit_id) {
            Some((task_id, _, _)) => {
                sqlx::query("UPDATE advisory_tasks SET systems = $1 WHERE id = $2")
                    .bind(json_text(&m.systems))
                    .bind(*task_id)
                    .execute(&mut *conn)
                    .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO advisory_tasks (advisory_id, unit_id, state, systems, \
                     updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(advisory_id)
                .bind(m.unit_id)
                .bind(AdvisoryTaskState::Open.code())
                .bind(json_text(&m.systems))
                .bind(at)
                .bind(actor.name.as_str())
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    for (unit_id, (task_id, state, acknowledged)) in &existing {
        if !matched.contains(unit_id)
            && state == AdvisoryTaskState::Open.code()
            && acknowledged.is_none()
        {
            sqlx::query("DELETE FROM advisory_tasks WHERE id = $1")
                .bind(*task_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    sqlx::query("UPDATE advisories SET matched_at = $1 WHERE id = $2")
        .bind(at)
        .bind(advisory_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl SqlStore {
    pub(crate) async fn create_advisory_impl(
        &self,
        actor: &Actor,
        mut input: AdvisoryInput,
        matches: &[AdvisoryMatch],
    ) -> Result<AdvisoryDetail> {
        need_all(actor, "an advisory")?;
        input.validate()?;
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let id: Id = sqlx::query(
            "INSERT INTO advisories (issuer, number, title, title_lc, issued_on, deadline, tlp, \
             details, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING id",
        )
        .bind(input.issuer.as_str())
        .bind(input.number.as_str())
        .bind(input.title.as_str())
        .bind(lc(&format!("{} {}", input.number, input.title)))
        .bind(input.issued_on.map(|d| d.to_string()))
        .bind(input.deadline.map(micros))
        .bind(input.tlp.clone())
        .bind(json_text(&input.details))
        .bind(actor.name.as_str())
        .bind(at)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            crate::sql::conflict(
                e,
                "number",
                format!(
                    "công văn {} của {} đã có trong sổ",
                    input.number, input.issuer
                ),
            )
        })?
        .try_get(0)?;
        for file in &input.attachments {
            sqlx::query(
                "INSERT INTO advisory_attachments (advisory_id, file_name, content_type, size, \
                 content) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(file.file_name.trim())
            .bind(file.content_type.as_str())
            .bind(i64::try_from(file.bytes.len()).unwrap_or(i64::MAX))
            .bind(base64::engine::general_purpose::STANDARD.encode(&file.bytes))
            .execute(&mut *conn)
            .await?;
        }
        write_matches(conn, actor, id, matches, at).await?;
        let detail = load_detail(conn, &None, id).await?;
        let audit = serde_json::json!({
            "issuer": detail.advisory.issuer,
            "number": detail.advisory.number,
            "title": detail.advisory.title,
            "tasks": detail.tasks.iter().map(|t| t.unit_id).collect::<Vec<_>>(),
            "attachments": detail.attachments.iter().map(|a| &a.file_name).collect::<Vec<_>>(),
        });
        w.commit_audited(actor, AuditRow::created("advisory", id, &audit))
            .await?;
        Ok(detail)
    }

    pub(crate) async fn list_advisories_impl(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<AdvisoryRecord>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM advisories a WHERE 1 = 1");
        and_advisory_visible(&mut sql, &paths);
        if let Some(q) = page.query() {
            sql.push(" AND ").push_text_search(&["a.title_lc"], q);
        }
        let mut listed = fetch_page(
            &mut conn,
            &format!("SELECT {ADVISORY_COLS}"),
            &sql,
            "a.created_at DESC, a.id DESC",
            page,
            advisory_row,
        )
        .await?;
        let ids: Vec<Id> = listed.items.iter().map(|a| a.id).collect();
        let tasks = tasks_of(&mut conn, &paths, &ids, now()).await?;
        for advisory in &mut listed.items {
            let own: Vec<AdvisoryTask> = tasks
                .iter()
                .filter(|t| t.advisory_id == advisory.id)
                .cloned()
                .collect();
            advisory.progress = progress(&own);
        }
        Ok(listed)
    }

    pub(crate) async fn get_advisory_impl(&self, scope: &Scope, id: Id) -> Result<AdvisoryDetail> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_detail(&mut conn, &paths, id).await
    }

    pub(crate) async fn advisory_attachment_impl(
        &self,
        scope: &Scope,
        advisory_id: Id,
        attachment_id: Id,
    ) -> Result<(AdvisoryAttachment, Vec<u8>)> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        // Visibility follows the advisory's.
        load_detail(&mut conn, &paths, advisory_id).await?;
        let row = sqlx::query(
            "SELECT id, file_name, content_type, size, content FROM advisory_attachments \
             WHERE id = $1 AND advisory_id = $2",
        )
        .bind(attachment_id)
        .bind(advisory_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found("attachment", attachment_id))?;
        const T: &str = "advisory_attachments";
        let content: String = get(&row, T, "content")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|_| StoreError::Corrupt(format!("{T}.content")))?;
        Ok((
            AdvisoryAttachment {
                id: get(&row, T, "id")?,
                file_name: get(&row, T, "file_name")?,
                content_type: get(&row, T, "content_type")?,
                size: to_u64(get(&row, T, "size")?),
            },
            bytes,
        ))
    }

    pub(crate) async fn set_advisory_matches_impl(
        &self,
        actor: &Actor,
        id: Id,
        matches: &[AdvisoryMatch],
    ) -> Result<AdvisoryDetail> {
        need_all(actor, "matching an advisory")?;
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let before = load_detail(conn, &None, id).await?;
        write_matches(conn, actor, id, matches, at).await?;
        let after = load_detail(conn, &None, id).await?;
        let units = |d: &AdvisoryDetail| d.tasks.iter().map(|t| t.unit_id).collect::<Vec<_>>();
        w.commit_audited(
            actor,
            AuditRow::new(
                "match",
                "advisory",
                Some(id),
                Some(&serde_json::json!({ "tasks": units(&before) })),
                Some(&serde_json::json!({ "tasks": units(&after) })),
            ),
        )
        .await?;
        Ok(after)
    }

    pub(crate) async fn act_on_advisory_task_impl(
        &self,
        actor: &Actor,
        task_id: Id,
        action: AdvisoryTaskAction,
        comment: Option<String>,
    ) -> Result<AdvisoryTask> {
        let comment = comment
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
        {
            return Err(FieldError::new(
                "comment",
                format!("ghi chú dài quá {MAX_COMMENT_CHARS} ký tự"),
            )
            .into());
        }
        if action == AdvisoryTaskAction::NotAffected && comment.is_none() {
            return Err(
                FieldError::new("comment", "khai báo không bị ảnh hưởng cần ghi rõ lý do").into(),
            );
        }
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_task(conn, &paths, task_id).await?;
        let state = action.state().unwrap_or(before.state);
        sqlx::query(
            "UPDATE advisory_tasks SET state = $1, comment = COALESCE($2, comment), \
             acknowledged_at = COALESCE(acknowledged_at, $3), \
             acknowledged_by = COALESCE(acknowledged_by, $4), updated_at = $3, updated_by = $4 \
             WHERE id = $5",
        )
        .bind(state.code())
        .bind(comment)
        .bind(at)
        .bind(actor.name.as_str())
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
        let after = load_task(conn, &paths, task_id).await?;
        let view = |t: &AdvisoryTask| {
            serde_json::json!({
                "advisory_id": t.advisory_id, "unit_id": t.unit_id, "state": t.state,
                "comment": t.comment, "acknowledged_at": t.acknowledged_at,
            })
        };
        w.commit_audited(
            actor,
            AuditRow::updated("advisory_task", task_id, &view(&before), &view(&after)),
        )
        .await?;
        Ok(after)
    }

    pub(crate) async fn request_retrohunt_impl(
        &self,
        actor: &Actor,
        indicator_ids: &[Id],
        days: u32,
    ) -> Result<RetroHunt> {
        need_all(actor, "a retro-hunt")?;
        if indicator_ids.is_empty() {
            return Err(FieldError::new("indicator_ids", "cần ít nhất một chỉ báo").into());
        }
        if indicator_ids.len() > MAX_HUNT_INDICATORS {
            return Err(FieldError::new(
                "indicator_ids",
                format!("tối đa {MAX_HUNT_INDICATORS} chỉ báo mỗi lần"),
            )
            .into());
        }
        if days == 0 {
            return Err(FieldError::new("days", "số ngày phải lớn hơn 0").into());
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        for id in indicator_ids {
            let known = sqlx::query("SELECT 1 FROM indicators WHERE id = $1")
                .bind(*id)
                .fetch_optional(&mut *conn)
                .await?;
            if known.is_none() {
                return Err(not_found("indicator", id));
            }
        }
        let hunt = insert_hunt(conn, indicator_ids, days, &actor.name).await?;
        w.commit_audited(actor, AuditRow::created("retrohunt", hunt.id, &hunt))
            .await?;
        Ok(hunt)
    }

    pub(crate) async fn queue_new_indicator_hunt_impl(
        &self,
        days: u32,
    ) -> Result<Option<RetroHunt>> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let cursor: i64 =
            sqlx::query("SELECT last_indicator_id FROM retrohunt_cursor WHERE id = 1")
                .fetch_optional(&mut *conn)
                .await?
                .map(|row| row.try_get(0))
                .transpose()?
                .unwrap_or(0);
        let ids: Vec<Id> =
            sqlx::query("SELECT id FROM indicators WHERE id > $1 ORDER BY id LIMIT 100000")
                .bind(cursor)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
        let Some(last) = ids.last().copied() else {
            return Ok(None);
        };
        let hunt = insert_hunt(conn, &ids, days, "system").await?;
        let updated =
            sqlx::query("UPDATE retrohunt_cursor SET last_indicator_id = $1 WHERE id = 1")
                .bind(last)
                .execute(&mut *conn)
                .await?;
        if updated.rows_affected() == 0 {
            sqlx::query("INSERT INTO retrohunt_cursor (id, last_indicator_id) VALUES (1, $1)")
                .bind(last)
                .execute(&mut *conn)
                .await?;
        }
        w.commit().await?;
        Ok(Some(hunt))
    }

    pub(crate) async fn claim_retrohunt_impl(
        &self,
        at: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<RetroHunt>> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let row = sqlx::query(&format!(
            "SELECT {HUNT_COLS} FROM retrohunts WHERE state = 'queued' \
             OR (state = 'running' AND lease_until < $1) ORDER BY id LIMIT 1"
        ))
        .bind(micros(at))
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut hunt = hunt_row(&row)?;
        sqlx::query("UPDATE retrohunts SET state = 'running', lease_until = $1 WHERE id = $2")
            .bind(micros(lease_until))
            .bind(hunt.id)
            .execute(&mut *conn)
            .await?;
        w.commit().await?;
        hunt.state = RetroHuntState::Running;
        Ok(Some(hunt))
    }

    pub(crate) async fn finish_retrohunt_impl(
        &self,
        id: Id,
        outcome: std::result::Result<RetroHuntOutcome, String>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let (state, counts, error) = match outcome {
            Ok(counts) => (RetroHuntState::Done, counts, None),
            Err(e) => (
                RetroHuntState::Failed,
                RetroHuntOutcome::default(),
                Some(e.chars().take(500).collect::<String>()),
            ),
        };
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        sqlx::query(
            "UPDATE retrohunts SET state = $1, finished_at = $2, events_scanned = $3, hits = $4, \
             alerts = $5, error = $6, lease_until = NULL WHERE id = $7",
        )
        .bind(state.code())
        .bind(micros(now()))
        .bind(as_i64(counts.events_scanned))
        .bind(as_i64(counts.hits))
        .bind(as_i64(counts.alerts))
        .bind(error)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub(crate) async fn list_retrohunts_impl(
        &self,
        indicator_id: Option<Id>,
        limit: u32,
    ) -> Result<Vec<RetroHunt>> {
        let mut conn = self.pool.acquire().await?;
        // Ids are kept as a JSON array; the filter runs here (the list is short).
        let rows = sqlx::query(&format!(
            "SELECT {HUNT_COLS} FROM retrohunts ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit.clamp(1, 1000)) * if indicator_id.is_some() { 10 } else { 1 })
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let hunt = hunt_row(row)?;
            if indicator_id.is_none_or(|id| hunt.indicator_ids.contains(&id)) {
                out.push(hunt);
            }
            if out.len() >= limit as usize {
                break;
            }
        }
        Ok(out)
    }
}

/// A task of a unit in scope.
async fn load_task(conn: &mut AnyConnection, paths: &Paths, task_id: Id) -> Result<AdvisoryTask> {
    let mut sql = Sql::new(&format!(
        "SELECT {TASK_COLS} FROM advisory_tasks t JOIN units u ON u.id = t.unit_id \
         JOIN advisories a ON a.id = t.advisory_id WHERE t.id = "
    ));
    sql.bind(task_id);
    if let Some(prefixes) = paths {
        sql.push(" AND ");
        sql.push_path_scope("u.path", prefixes);
    }
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => task_row(&row, now()),
        None => Err(not_found("advisory task", task_id)),
    }
}

async fn insert_hunt(
    conn: &mut AnyConnection,
    indicator_ids: &[Id],
    days: u32,
    requested_by: &str,
) -> Result<RetroHunt> {
    let row = sqlx::query(&format!(
        "INSERT INTO retrohunts (indicator_ids, days, state, requested_by, requested_at) \
         VALUES ($1, $2, 'queued', $3, $4) RETURNING {HUNT_COLS}"
    ))
    .bind(json_text(&indicator_ids))
    .bind(i64::from(days))
    .bind(requested_by)
    .bind(micros(now()))
    .fetch_one(&mut *conn)
    .await?;
    hunt_row(&row)
}
