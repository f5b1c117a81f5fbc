//! Incidents (sự cố) with their timeline, tasks and links to alerts and findings, and the archive
//! of official reports (Mẫu 03/04/05) with their numbers.
//!
//! An incident belongs to one unit and is visible to readers whose scope holds that unit; so are
//! its reports. The form fields are kept as one JSON document (`details`) next to the columns
//! listings filter on, because the forms change as a whole and are read as a whole.
//!
//! Report numbers run per year per issuing code ("07/BC-SKHCN"). [`Store::create_report`]
//! allocates the next number and archives the rendered DOCX in one transaction: the counter row
//! is an upsert that increments (its row lock orders concurrent writers on PostgreSQL; SQLite
//! has one writer), and a report whose rendering fails rolls the number back, so numbers have
//! neither gaps nor doubles.
//!
//! [`Store::create_report`]: crate::Store::create_report

use canhgac_model::{
    Actor, FieldError, Id, Incident, IncidentDetail, IncidentInput, IncidentKind, IncidentNote,
    IncidentReport, IncidentStatus, IncidentTask, Observable, Page, PageRequest, ReportDraft,
    ReportFormKind, ReportSendState, Scope, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::{get, json_text, micros, now, opt_ts, ts};
use crate::sql::{fetch_page, lc, path_in, scope_paths, unit_path, AuditRow, Paths, SqlStore};
use crate::{Result, StoreError};

/// Renders a report's DOCX once its sequence number is known: `(file name, bytes)`, or why not.
pub type RenderReport<'a> =
    dyn Fn(u32) -> std::result::Result<(String, Vec<u8>), String> + Send + Sync + 'a;

/// Filters for listings of incidents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    /// Only these statuses (any when empty).
    pub statuses: Vec<IncidentStatus>,
    /// Only this kind.
    pub kind: Option<IncidentKind>,
    /// Only incidents detected at or after this instant.
    pub detected_from: Option<Timestamp>,
    /// Only incidents detected before this instant.
    pub detected_before: Option<Timestamp>,
}

/// Longest sending error kept on a report.
const MAX_ERROR_CHARS: usize = 500;

const INCIDENT_COLS: &str = "i.id, i.details, i.created_at, i.updated_at";

const REPORT_COLS: &str = "r.id, r.form, r.incident_id, r.unit_id, r.code, r.year, r.sequence, \
     r.number, r.issued_on, r.recipients, r.period, r.file_name, r.state, r.last_error, \
     r.sent_at, r.created_by, r.created_at";

fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

fn incident_row(row: &AnyRow) -> Result<Incident> {
    const T: &str = "incidents";
    let details: String = get(row, T, "details")?;
    Ok(Incident {
        id: get(row, T, "id")?,
        details: serde_json::from_str(&details)
            .map_err(|e| StoreError::Corrupt(format!("{T}.details: {e}")))?,
        created_at: ts(row, T, "created_at")?,
        updated_at: ts(row, T, "updated_at")?,
    })
}

fn report_row(row: &AnyRow) -> Result<IncidentReport> {
    const T: &str = "incident_reports";
    let form: String = get(row, T, "form")?;
    let state: String = get(row, T, "state")?;
    let issued: String = get(row, T, "issued_on")?;
    let recipients: String = get(row, T, "recipients")?;
    Ok(IncidentReport {
        id: get(row, T, "id")?,
        draft: ReportDraft {
            form: ReportFormKind::from_code(&form)
                .ok_or_else(|| StoreError::Corrupt(format!("{T}.form")))?,
            incident_id: get(row, T, "incident_id")?,
            unit_id: get(row, T, "unit_id")?,
            code: get(row, T, "code")?,
            issued_on: issued
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("{T}.issued_on")))?,
            recipients: serde_json::from_str(&recipients)
                .map_err(|_| StoreError::Corrupt(format!("{T}.recipients")))?,
            period: get(row, T, "period")?,
        },
        sequence: u32::try_from(get::<i64>(row, T, "sequence")?)
            .map_err(|_| StoreError::Corrupt(format!("{T}.sequence")))?,
        number: get(row, T, "number")?,
        file_name: get(row, T, "file_name")?,
        state: ReportSendState::from_code(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("{T}.state")))?,
        last_error: get(row, T, "last_error")?,
        sent_at: opt_ts(row, T, "sent_at")?,
        created_by: get(row, T, "created_by")?,
        created_at: ts(row, T, "created_at")?,
    })
}

fn note_row(row: &AnyRow) -> Result<IncidentNote> {
    const T: &str = "incident_notes";
    Ok(IncidentNote {
        id: get(row, T, "id")?,
        incident_id: get(row, T, "incident_id")?,
        at: ts(row, T, "at")?,
        author: get(row, T, "author")?,
        text: get(row, T, "body")?,
    })
}

fn task_row(row: &AnyRow) -> Result<IncidentTask> {
    const T: &str = "incident_tasks";
    Ok(IncidentTask {
        id: get(row, T, "id")?,
        incident_id: get(row, T, "incident_id")?,
        title: get(row, T, "title")?,
        assignee: get(row, T, "assignee")?,
        done_at: opt_ts(row, T, "done_at")?,
        created_at: ts(row, T, "created_at")?,
    })
}

/// Appends `AND` the unit at `column` (a unit id) is in scope.
fn and_unit_in_scope(sql: &mut Sql, column: &str, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND ")
            .push(column)
            .push(" IN (SELECT su.id FROM units su WHERE ");
        sql.push_path_scope("su.path", prefixes);
        sql.push(")");
    }
}

/// Fails unless unit `unit_id` exists and is in scope.
async fn check_unit(conn: &mut AnyConnection, paths: &Paths, unit_id: Id) -> Result<()> {
    match unit_path(conn, unit_id).await? {
        Some(path) if path_in(paths, &path) => Ok(()),
        _ => Err(StoreError::OutOfScope(format!("unit {unit_id}"))),
    }
}

/// Fails unless every alert (`table` = "alerts") or finding has a unit in scope.
async fn check_linked(
    conn: &mut AnyConnection,
    paths: &Paths,
    table: &'static str,
    ids: &[Id],
) -> Result<()> {
    for id in ids {
        let row = sqlx::query(&format!(
            "SELECT u.path FROM {table} t LEFT JOIN units u ON u.id = t.unit_id WHERE t.id = $1"
        ))
        .bind(*id)
        .fetch_optional(&mut *conn)
        .await?;
        let path: Option<Option<String>> = row.map(|r| r.try_get(0)).transpose()?;
        let visible = match (path, paths) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(Some(path)), paths) => path_in(paths, &path),
            (Some(None), Some(_)) => false,
        };
        if !visible {
            let entity = if table == "alerts" {
                "alert"
            } else {
                "finding"
            };
            return Err(not_found(entity, id));
        }
    }
    Ok(())
}

async fn load_incident(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<Incident> {
    let mut sql = Sql::new(&format!(
        "SELECT {INCIDENT_COLS} FROM incidents i WHERE i.id = "
    ));
    sql.bind(id);
    and_unit_in_scope(&mut sql, "i.unit_id", paths);
    let row = sql.query().fetch_optional(&mut *conn).await?;
    row.as_ref()
        .map(incident_row)
        .transpose()?
        .ok_or_else(|| not_found("incident", id))
}

async fn load_report(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<IncidentReport> {
    let mut sql = Sql::new(&format!(
        "SELECT {REPORT_COLS} FROM incident_reports r WHERE r.id = "
    ));
    sql.bind(id);
    and_unit_in_scope(&mut sql, "r.unit_id", paths);
    let row = sql.query().fetch_optional(&mut *conn).await?;
    row.as_ref()
        .map(report_row)
        .transpose()?
        .ok_or_else(|| not_found("report", id))
}

/// Writes the details and the listing columns of incident `id`, and its links.
async fn save_incident(
    conn: &mut AnyConnection,
    id: Id,
    input: &IncidentInput,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE incidents SET unit_id = $1, title = $2, title_lc = $3, kind = $4, status = $5, \
         detected_at = $6, personal_data_breach = $7, system_name = $8, details = $9, \
         updated_at = $10 WHERE id = $11",
    )
    .bind(input.unit_id)
    .bind(input.title.as_str())
    .bind(lc(&input.title))
    .bind(input.kind.code())
    .bind(input.status.code())
    .bind(micros(input.times.detected_at))
    .bind(i64::from(input.personal_data_breach))
    .bind(input.system.name.as_str())
    .bind(json_text(input))
    .bind(at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM incident_alerts WHERE incident_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM incident_findings WHERE incident_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for alert in &input.alert_ids {
        sqlx::query("INSERT INTO incident_alerts (incident_id, alert_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*alert)
            .execute(&mut *conn)
            .await?;
    }
    for finding in &input.finding_ids {
        sqlx::query("INSERT INTO incident_findings (incident_id, finding_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*finding)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Normalises the input and checks it against the scope: its unit, alerts and findings.
async fn check_input(
    conn: &mut AnyConnection,
    paths: &Paths,
    input: &mut IncidentInput,
) -> Result<()> {
    input.validate()?;
    input.alert_ids.sort_unstable();
    input.alert_ids.dedup();
    input.finding_ids.sort_unstable();
    input.finding_ids.dedup();
    check_unit(conn, paths, input.unit_id).await?;
    check_linked(conn, paths, "alerts", &input.alert_ids).await?;
    check_linked(conn, paths, "findings", &input.finding_ids).await
}

impl SqlStore {
    pub(crate) async fn create_incident_impl(
        &self,
        actor: &Actor,
        mut input: IncidentInput,
    ) -> Result<Incident> {
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        check_input(conn, &paths, &mut input).await?;
        let id: Id = sqlx::query(
            "INSERT INTO incidents (unit_id, title, title_lc, kind, status, detected_at, \
             personal_data_breach, system_name, details, created_by, created_at, updated_at) \
             VALUES ($1, '', '', '', '', 0, 0, '', '{}', $2, $3, $3) RETURNING id",
        )
        .bind(input.unit_id)
        .bind(actor.name.as_str())
        .bind(at)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        save_incident(conn, id, &input, at).await?;
        let incident = load_incident(conn, &None, id).await?;
        w.commit_audited(actor, AuditRow::created("incident", id, &incident))
            .await?;
        Ok(incident)
    }

    pub(crate) async fn update_incident_impl(
        &self,
        actor: &Actor,
        id: Id,
        mut input: IncidentInput,
    ) -> Result<Incident> {
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_incident(conn, &paths, id).await?;
        check_input(conn, &paths, &mut input).await?;
        save_incident(conn, id, &input, at).await?;
        let after = load_incident(conn, &None, id).await?;
        w.commit_audited(actor, AuditRow::updated("incident", id, &before, &after))
            .await?;
        Ok(after)
    }

    pub(crate) async fn list_incidents_impl(
        &self,
        scope: &Scope,
        filter: &IncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<Incident>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM incidents i WHERE 1 = 1");
        and_unit_in_scope(&mut sql, "i.unit_id", &paths);
        sql.and_in("i.status", filter.statuses.iter().map(|s| s.code()));
        if let Some(kind) = filter.kind {
            sql.push(" AND i.kind = ").bind(kind.code());
        }
        if let Some(from) = filter.detected_from {
            sql.push(" AND i.detected_at >= ").bind(micros(from));
        }
        if let Some(before) = filter.detected_before {
            sql.push(" AND i.detected_at < ").bind(micros(before));
        }
        if let Some(q) = page.query() {
            sql.push(" AND ")
                .push_text_search(&["i.title_lc", "i.system_name"], q);
        }
        fetch_page(
            &mut conn,
            &format!("SELECT {INCIDENT_COLS}"),
            &sql,
            "i.detected_at DESC, i.id DESC",
            page,
            incident_row,
        )
        .await
    }

    pub(crate) async fn get_incident_impl(&self, scope: &Scope, id: Id) -> Result<IncidentDetail> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let incident = load_incident(&mut conn, &paths, id).await?;
        let timeline = sqlx::query(
            "SELECT id, incident_id, at, author, body FROM incident_notes \
             WHERE incident_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(note_row)
        .collect::<Result<Vec<_>>>()?;
        let tasks = sqlx::query(
            "SELECT id, incident_id, title, assignee, done_at, created_at FROM incident_tasks \
             WHERE incident_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(task_row)
        .collect::<Result<Vec<_>>>()?;
        let reports = sqlx::query(&format!(
            "SELECT {REPORT_COLS} FROM incident_reports r WHERE r.incident_id = $1 ORDER BY r.id"
        ))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(report_row)
        .collect::<Result<Vec<_>>>()?;
        Ok(IncidentDetail {
            incident,
            timeline,
            tasks,
            reports,
        })
    }

    pub(crate) async fn incidents_of_alert_impl(
        &self,
        scope: &Scope,
        alert_id: Id,
    ) -> Result<Vec<(Id, String)>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(
            "SELECT i.id, i.title FROM incidents i JOIN incident_alerts l ON l.incident_id = i.id \
             WHERE l.alert_id = ",
        );
        sql.bind(alert_id);
        and_unit_in_scope(&mut sql, "i.unit_id", &paths);
        sql.push(" ORDER BY i.id");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    pub(crate) async fn add_incident_note_impl(
        &self,
        actor: &Actor,
        id: Id,
        at: Timestamp,
        text: &str,
    ) -> Result<IncidentNote> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 10_000 {
            return Err(FieldError::new("text", "must be 1 to 10000 characters").into());
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        load_incident(conn, &paths, id).await?;
        let note_id: Id = sqlx::query(
            "INSERT INTO incident_notes (incident_id, at, author, body) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(id)
        .bind(micros(at))
        .bind(actor.name.as_str())
        .bind(text)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let note = IncidentNote {
            id: note_id,
            incident_id: id,
            at: Timestamp::from_microsecond(micros(at)).unwrap_or(at),
            author: actor.name.clone(),
            text: text.to_string(),
        };
        w.commit_audited(actor, AuditRow::created("incident_note", note_id, &note))
            .await?;
        Ok(note)
    }

    pub(crate) async fn add_incident_task_impl(
        &self,
        actor: &Actor,
        id: Id,
        title: &str,
        assignee: Option<&str>,
    ) -> Result<IncidentTask> {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 500 {
            return Err(FieldError::new("title", "must be 1 to 500 characters").into());
        }
        let assignee = assignee.map(str::trim).filter(|a| !a.is_empty());
        let at = now();
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        load_incident(conn, &paths, id).await?;
        let task_id: Id = sqlx::query(
            "INSERT INTO incident_tasks (incident_id, title, assignee, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(title)
        .bind(assignee)
        .bind(micros(at))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let task = IncidentTask {
            id: task_id,
            incident_id: id,
            title: title.to_string(),
            assignee: assignee.map(str::to_string),
            done_at: None,
            created_at: at,
        };
        w.commit_audited(actor, AuditRow::created("incident_task", task_id, &task))
            .await?;
        Ok(task)
    }

    pub(crate) async fn complete_incident_task_impl(
        &self,
        actor: &Actor,
        id: Id,
        task_id: Id,
        done: bool,
    ) -> Result<IncidentTask> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        load_incident(conn, &paths, id).await?;
        let done_at = done.then(|| micros(now()));
        let changed = sqlx::query(
            "UPDATE incident_tasks SET done_at = $1 WHERE id = $2 AND incident_id = $3",
        )
        .bind(done_at)
        .bind(task_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(not_found("task", task_id));
        }
        let row = sqlx::query(
            "SELECT id, incident_id, title, assignee, done_at, created_at FROM incident_tasks \
             WHERE id = $1",
        )
        .bind(task_id)
        .fetch_one(&mut *conn)
        .await?;
        let task = task_row(&row)?;
        let change = AuditRow::new::<(), _>(
            if done { "done" } else { "reopen" },
            "incident_task",
            Some(task_id),
            None,
            Some(&task),
        );
        w.commit_audited(actor, change).await?;
        Ok(task)
    }

    pub(crate) async fn add_incident_observable_impl(
        &self,
        actor: &Actor,
        id: Id,
        observable: Observable,
    ) -> Result<Incident> {
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_incident(conn, &paths, id).await?;
        let mut input = before.details.clone();
        input.observables.push(observable);
        input.validate()?;
        // The same value twice says nothing more.
        let last = input.observables.len() - 1;
        let added = &input.observables[last];
        if input.observables[..last]
            .iter()
            .any(|o| o.kind == added.kind && o.value == added.value)
        {
            input.observables.pop();
        }
        save_incident(conn, id, &input, at).await?;
        let after = load_incident(conn, &None, id).await?;
        w.commit_audited(actor, AuditRow::updated("incident", id, &before, &after))
            .await?;
        Ok(after)
    }

    pub(crate) async fn create_report_impl(
        &self,
        actor: &Actor,
        mut draft: ReportDraft,
        render: &RenderReport<'_>,
    ) -> Result<IncidentReport> {
        draft.code = draft.code.trim().to_string();
        if draft.code.is_empty() {
            return Err(FieldError::new("code", "the issuer's number code is empty").into());
        }
        let at = micros(now());
        let year = i64::from(draft.issued_on.year());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        check_unit(conn, &paths, draft.unit_id).await?;
        if let Some(incident_id) = draft.incident_id {
            let incident = load_incident(conn, &paths, incident_id).await?;
            if incident.details.unit_id != draft.unit_id {
                return Err(FieldError::new("unit_id", "is not the incident's unit").into());
            }
        }
        let sequence: i64 = sqlx::query(
            "INSERT INTO report_counters (code, year, last_sequence) VALUES ($1, $2, 1) \
             ON CONFLICT (code, year) DO UPDATE \
             SET last_sequence = report_counters.last_sequence + 1 RETURNING last_sequence",
        )
        .bind(draft.code.as_str())
        .bind(year)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let sequence = u32::try_from(sequence)
            .map_err(|_| StoreError::Corrupt("report_counters.last_sequence".into()))?;
        let (file_name, docx) =
            render(sequence).map_err(|message| FieldError::new("report", message))?;
        let number = format!("{sequence:02}/{}", draft.code);
        let id: Id = sqlx::query(
            "INSERT INTO incident_reports (form, incident_id, unit_id, code, year, sequence, \
             number, issued_on, recipients, period, file_name, docx, state, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15) RETURNING id",
        )
        .bind(draft.form.code())
        .bind(draft.incident_id)
        .bind(draft.unit_id)
        .bind(draft.code.as_str())
        .bind(year)
        .bind(i64::from(sequence))
        .bind(number.as_str())
        .bind(draft.issued_on.to_string())
        .bind(json_text(&draft.recipients))
        .bind(draft.period.as_deref())
        .bind(file_name.as_str())
        .bind(docx)
        .bind(ReportSendState::Generated.code())
        .bind(actor.name.as_str())
        .bind(at)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let report = load_report(conn, &None, id).await?;
        w.commit_audited(actor, AuditRow::created("report", id, &report))
            .await?;
        Ok(report)
    }

    pub(crate) async fn list_reports_impl(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<IncidentReport>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM incident_reports r WHERE 1 = 1");
        and_unit_in_scope(&mut sql, "r.unit_id", &paths);
        if let Some(q) = page.query() {
            sql.push(" AND ").push_text_search(&["r.number"], q);
        }
        fetch_page(
            &mut conn,
            &format!("SELECT {REPORT_COLS}"),
            &sql,
            "r.created_at DESC, r.id DESC",
            page,
            report_row,
        )
        .await
    }

    pub(crate) async fn report_docx_impl(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<(IncidentReport, Vec<u8>)> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let report = load_report(&mut conn, &paths, id).await?;
        let docx: Vec<u8> = sqlx::query("SELECT docx FROM incident_reports WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        Ok((report, docx))
    }

    pub(crate) async fn record_report_sending_impl(
        &self,
        actor: &Actor,
        id: Id,
        outcome: std::result::Result<Timestamp, String>,
    ) -> Result<IncidentReport> {
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_report(conn, &paths, id).await?;
        match &outcome {
            Ok(sent_at) => {
                sqlx::query(
                    "UPDATE incident_reports SET state = $1, sent_at = $2, last_error = NULL \
                     WHERE id = $3",
                )
                .bind(ReportSendState::Sent.code())
                .bind(micros(*sent_at))
                .bind(id)
                .execute(&mut *conn)
                .await?;
                // The deadline timers stop when the report has left.
                if let Some(incident_id) = before.draft.incident_id {
                    let incident = load_incident(conn, &None, incident_id).await?;
                    let mut details = incident.details;
                    let times = &mut details.times;
                    match before.draft.form {
                        ReportFormKind::Initial => {
                            times.authorities_notified_at.get_or_insert(*sent_at);
                        }
                        ReportFormKind::Closing => {
                            times.closing_report_sent_at.get_or_insert(*sent_at);
                        }
                        ReportFormKind::Summary => {}
                    }
                    save_incident(conn, incident_id, &details, at).await?;
                }
            }
            Err(error) => {
                let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
                let state = if before.state == ReportSendState::Sent {
                    // A failed resend does not unsend the copy that already left.
                    ReportSendState::Sent
                } else {
                    ReportSendState::Failed
                };
                sqlx::query(
                    "UPDATE incident_reports SET state = $1, last_error = $2 WHERE id = $3",
                )
                .bind(state.code())
                .bind(error)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
        }
        let after = load_report(conn, &None, id).await?;
        let change = AuditRow::new(
            if outcome.is_ok() {
                "send"
            } else {
                "send_failed"
            },
            "report",
            Some(id),
            Some(&before),
            Some(&after),
        );
        w.commit_audited(actor, change).await?;
        Ok(after)
    }
}
