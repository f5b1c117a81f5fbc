//! The duty roster and paging: contacts' paging channels, shifts, holidays, routing rules, and
//! the paging state of each alert (`alert_pages`), with the outbox messages they queue.
//!
//! Scope: a shift, holiday or rule of a unit is seen by callers whose scope holds the unit;
//! province-wide ones (no unit) are seen by everyone, since they serve every unit, and written
//! only by callers who see everything. A page row exists for every alert that was routed, so a
//! restart never pages twice; it is written in the same transaction as its outbox messages.

use canhgac_model::bulletin::OutboxDraft;
use canhgac_model::duty::{
    AlertPage, DutyChannels, DutyContact, DutyHoliday, DutyRule, DutyShift, DutyShiftInput,
};
use canhgac_model::{Actor, Alert, FieldError, Id, Scope, Severity, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::bulletins::insert_outbox;
use crate::query::Sql;
use crate::rows::{self, get, json_text, micros, now, opt_ts, qualified, ts};
use crate::sql::{path_in, scope_paths, unit_path, AuditRow, Paths, SqlStore};
use crate::{Result, StoreError};

const SHIFT_SELECT: &str = "SELECT s.id, s.unit_id, s.starts_at, s.ends_at, s.primary_contact, \
     pc.name AS primary_name, s.backup_contact, bc.name AS backup_name, s.note \
     FROM duty_shifts s JOIN contacts pc ON pc.id = s.primary_contact \
     LEFT JOIN contacts bc ON bc.id = s.backup_contact \
     LEFT JOIN units u ON u.id = s.unit_id WHERE 1 = 1";

const PAGE_COLS: &str = "p.alert_id, p.unit_id, p.severity, p.paged_at, p.reached, \
     p.next_check_at, p.acknowledged_at, p.acknowledged_by";

/// Longest note of a shift.
const MAX_NOTE_CHARS: usize = 500;

fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

fn shift_row(row: &AnyRow) -> Result<DutyShift> {
    const T: &str = "duty_shifts";
    Ok(DutyShift {
        id: get(row, T, "id")?,
        unit_id: get(row, T, "unit_id")?,
        start: ts(row, T, "starts_at")?,
        end: ts(row, T, "ends_at")?,
        primary_id: get(row, T, "primary_contact")?,
        primary_name: get(row, T, "primary_name")?,
        backup_id: get(row, T, "backup_contact")?,
        backup_name: get(row, T, "backup_name")?,
        note: get(row, T, "note")?,
    })
}

fn contact_row(row: &AnyRow) -> Result<DutyContact> {
    const T: &str = "duty_contacts";
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    Ok(DutyContact {
        contact_id: get(row, T, "id")?,
        unit_id: get(row, T, "unit_id")?,
        name: get(row, T, "name")?,
        email: nonempty(get(row, T, "email")?),
        telegram_chat_id: nonempty(get(row, T, "telegram_chat_id")?),
        zalo_user_id: nonempty(get(row, T, "zalo_user_id")?),
        leads_unit: get::<Option<i64>>(row, T, "leads_unit")?.unwrap_or(0) != 0,
    })
}

fn page_row(row: &AnyRow) -> Result<AlertPage> {
    const T: &str = "alert_pages";
    let severity: String = get(row, T, "severity")?;
    Ok(AlertPage {
        alert_id: get(row, T, "alert_id")?,
        unit_id: get(row, T, "unit_id")?,
        severity: Severity::from_code(&severity)
            .ok_or_else(|| StoreError::Corrupt(format!("{T}.severity: {severity:?}")))?,
        paged_at: ts(row, T, "paged_at")?,
        reached: get(row, T, "reached")?,
        next_check_at: opt_ts(row, T, "next_check_at")?,
        acknowledged_at: opt_ts(row, T, "acknowledged_at")?,
        acknowledged_by: get(row, T, "acknowledged_by")?,
    })
}

/// Appends `AND` the unit at `column` is in scope or absent (province-wide).
fn and_unit_or_province(sql: &mut Sql, column: &str, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND (")
            .push(column)
            .push(" IS NULL OR ")
            .push(column)
            .push(" IN (SELECT su.id FROM units su WHERE ");
        sql.push_path_scope("su.path", prefixes);
        sql.push("))");
    }
}

/// Checks the actor may write records of `unit` (`None`: province-wide, needs scope All).
async fn check_unit_writable(
    conn: &mut AnyConnection,
    actor: &Actor,
    unit: Option<Id>,
    field: &str,
) -> Result<()> {
    let paths = scope_paths(conn, &actor.scope).await?;
    match unit {
        None if paths.is_some() => Err(StoreError::OutOfScope(format!(
            "{field}: chỉ cán bộ cấp tỉnh tạo được mục toàn tỉnh / only province-wide users \
             create province-wide entries"
        ))),
        None => Ok(()),
        Some(id) => match unit_path(conn, id).await? {
            Some(path) if path_in(&paths, &path) => Ok(()),
            Some(_) => Err(StoreError::OutOfScope(format!("{field}: unit {id}"))),
            None => Err(FieldError::new(field, format!("no unit {id}")).into()),
        },
    }
}

/// Checks a contact exists and is in the actor's scope; returns its name.
async fn contact_in_scope(
    conn: &mut AnyConnection,
    paths: &Paths,
    id: Id,
    field: &str,
) -> Result<String> {
    let row = sqlx::query(
        "SELECT c.name, u.path FROM contacts c JOIN units u ON u.id = c.unit_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) if path_in(paths, &row.try_get::<String, _>(1)?) => Ok(row.try_get(0)?),
        _ => Err(FieldError::new(
            field,
            format!(
                "không có người liên hệ {id} trong đơn vị của bạn / no contact {id} in your units"
            ),
        )
        .into()),
    }
}

async fn insert_messages(
    conn: &mut AnyConnection,
    messages: &[(OutboxDraft, Timestamp)],
    created: i64,
) -> Result<()> {
    for (draft, due) in messages {
        insert_outbox(conn, draft, created, micros(*due)).await?;
    }
    Ok(())
}

impl SqlStore {
    pub(crate) async fn duty_contacts_impl(&self, scope: &Scope) -> Result<Vec<DutyContact>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(
            "SELECT c.id, c.unit_id, c.name, c.email, d.telegram_chat_id, d.zalo_user_id, \
             d.leads_unit FROM contacts c JOIN units u ON u.id = c.unit_id \
             LEFT JOIN duty_contacts d ON d.contact_id = c.id WHERE 1 = 1",
        );
        if let Some(prefixes) = &paths {
            sql.push(" AND ");
            sql.push_path_scope("u.path", prefixes);
        }
        sql.push(" ORDER BY c.name, c.id");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(contact_row)
            .collect()
    }

    pub(crate) async fn set_duty_channels_impl(
        &self,
        actor: &Actor,
        contact_id: Id,
        channels: DutyChannels,
    ) -> Result<DutyContact> {
        let trimmed = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let telegram = trimmed(channels.telegram_chat_id);
        let zalo = trimmed(channels.zalo_user_id);
        for (field, value) in [("telegram_chat_id", &telegram), ("zalo_user_id", &zalo)] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 100) {
                return Err(FieldError::new(
                    field,
                    "dài quá 100 ký tự / longer than 100 characters",
                )
                .into());
            }
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        if contact_in_scope(conn, &paths, contact_id, "contact_id")
            .await
            .is_err()
        {
            return Err(not_found("contact", contact_id));
        }
        sqlx::query(
            "INSERT INTO duty_contacts (contact_id, telegram_chat_id, zalo_user_id, leads_unit, \
             updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (contact_id) DO UPDATE SET \
             telegram_chat_id = $2, zalo_user_id = $3, leads_unit = $4, updated_at = $5",
        )
        .bind(contact_id)
        .bind(telegram.clone())
        .bind(zalo.clone())
        .bind(i64::from(channels.leads_unit))
        .bind(micros(now()))
        .execute(&mut *conn)
        .await?;
        let after = serde_json::json!({
            "telegram": telegram.is_some(),
            "zalo": zalo.is_some(),
            "leads_unit": channels.leads_unit,
        });
        w.commit_audited(
            actor,
            AuditRow::updated("duty_contact", contact_id, &(), &after),
        )
        .await?;
        let all = self.duty_contacts_impl(&actor.scope).await?;
        all.into_iter()
            .find(|c| c.contact_id == contact_id)
            .ok_or_else(|| not_found("contact", contact_id))
    }

    pub(crate) async fn list_shifts_impl(
        &self,
        scope: &Scope,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<DutyShift>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(SHIFT_SELECT);
        sql.push(" AND s.ends_at > ")
            .bind(micros(from))
            .push(" AND s.starts_at < ")
            .bind(micros(to));
        and_unit_or_province(&mut sql, "s.unit_id", &paths);
        sql.push(" ORDER BY s.starts_at, s.id");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(shift_row)
            .collect()
    }

    pub(crate) async fn create_shifts_impl(
        &self,
        actor: &Actor,
        inputs: &[DutyShiftInput],
    ) -> Result<Vec<DutyShift>> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let created = micros(now());
        let mut ids = Vec::with_capacity(inputs.len());
        let mut audit = Vec::with_capacity(inputs.len());
        for (index, input) in inputs.iter().enumerate() {
            // Row errors name the row (1-based, as a sheet counts).
            let field = |name: &str| {
                if inputs.len() == 1 {
                    name.to_string()
                } else {
                    format!("shifts[{}].{name}", index + 1)
                }
            };
            if input.end <= input.start {
                return Err(FieldError::new(
                    field("end"),
                    "kết thúc không sau bắt đầu / end is not after start",
                )
                .into());
            }
            if input.note.chars().count() > MAX_NOTE_CHARS {
                return Err(FieldError::new(field("note"), "dài quá 500 ký tự / too long").into());
            }
            if input.backup_id == Some(input.primary_id) {
                return Err(FieldError::new(
                    field("backup_id"),
                    "trực chính và dự phòng là một người / primary and backup are the same person",
                )
                .into());
            }
            check_unit_writable(conn, actor, input.unit_id, &field("unit_id")).await?;
            contact_in_scope(conn, &paths, input.primary_id, &field("primary_id")).await?;
            if let Some(backup) = input.backup_id {
                contact_in_scope(conn, &paths, backup, &field("backup_id")).await?;
            }
            let id: Id = sqlx::query(
                "INSERT INTO duty_shifts (unit_id, starts_at, ends_at, primary_contact, \
                 backup_contact, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING id",
            )
            .bind(input.unit_id)
            .bind(micros(input.start))
            .bind(micros(input.end))
            .bind(input.primary_id)
            .bind(input.backup_id)
            .bind(input.note.trim().to_string())
            .bind(created)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
            ids.push(id);
            audit.push(AuditRow::created("duty_shift", id, input));
        }
        crate::sql::write_audit(conn, actor, &audit).await?;
        let mut shifts = Vec::with_capacity(ids.len());
        for id in ids {
            let mut sql = Sql::new(SHIFT_SELECT);
            sql.push(" AND s.id = ").bind(id);
            let row = sql.query().fetch_one(&mut *conn).await?;
            shifts.push(shift_row(&row)?);
        }
        w.commit().await?;
        Ok(shifts)
    }

    pub(crate) async fn delete_shift_impl(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let mut sql = Sql::new(SHIFT_SELECT);
        sql.push(" AND s.id = ").bind(id);
        let shift = match sql.query().fetch_optional(&mut *conn).await? {
            Some(row) => shift_row(&row)?,
            None => return Err(not_found("shift", id)),
        };
        let writable = match shift.unit_id {
            None => paths.is_none(),
            Some(unit) => unit_path(conn, unit)
                .await?
                .is_some_and(|p| path_in(&paths, &p)),
        };
        if !writable {
            return Err(not_found("shift", id));
        }
        sqlx::query("DELETE FROM duty_shifts WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("duty_shift", id, &shift))
            .await
    }

    pub(crate) async fn list_holidays_impl(&self, scope: &Scope) -> Result<Vec<DutyHoliday>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let rows = sqlx::query(
            "SELECT id, name, starts_at, ends_at, unit_ids FROM duty_holidays \
             ORDER BY starts_at, id",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut visible_paths = std::collections::HashMap::new();
        let mut out = Vec::new();
        for row in rows {
            const T: &str = "duty_holidays";
            let units: String = get(&row, T, "unit_ids")?;
            let unit_ids: Vec<Id> = serde_json::from_str(&units)
                .map_err(|_| StoreError::Corrupt(format!("{T}.unit_ids")))?;
            // A holiday of units is shown with the units the caller sees; one of the whole
            // province to everyone.
            let mut kept = Vec::new();
            for unit in &unit_ids {
                let path = match visible_paths.get(unit) {
                    Some(p) => p,
                    None => {
                        let p = unit_path(&mut conn, *unit).await?;
                        visible_paths.entry(*unit).or_insert(p)
                    }
                };
                if path.as_deref().is_some_and(|p| path_in(&paths, p)) {
                    kept.push(*unit);
                }
            }
            if !unit_ids.is_empty() && kept.is_empty() {
                continue;
            }
            out.push(DutyHoliday {
                id: get(&row, T, "id")?,
                name: get(&row, T, "name")?,
                start: ts(&row, T, "starts_at")?,
                end: ts(&row, T, "ends_at")?,
                unit_ids: kept,
            });
        }
        Ok(out)
    }

    pub(crate) async fn create_holiday_impl(
        &self,
        actor: &Actor,
        holiday: &DutyHoliday,
    ) -> Result<DutyHoliday> {
        let name = holiday.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(FieldError::new(
                "name",
                "cần tên, tối đa 200 ký tự / required, at most 200 characters",
            )
            .into());
        }
        if holiday.end <= holiday.start {
            return Err(FieldError::new(
                "end",
                "kết thúc không sau bắt đầu / end is not after start",
            )
            .into());
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        if holiday.unit_ids.is_empty() {
            check_unit_writable(conn, actor, None, "unit_ids").await?;
        }
        for unit in &holiday.unit_ids {
            check_unit_writable(conn, actor, Some(*unit), "unit_ids").await?;
        }
        let id: Id = sqlx::query(
            "INSERT INTO duty_holidays (name, starts_at, ends_at, unit_ids, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name.clone())
        .bind(micros(holiday.start))
        .bind(micros(holiday.end))
        .bind(json_text(&holiday.unit_ids))
        .bind(micros(now()))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let created = DutyHoliday {
            id,
            name,
            ..holiday.clone()
        };
        w.commit_audited(actor, AuditRow::created("duty_holiday", id, &created))
            .await?;
        Ok(created)
    }

    pub(crate) async fn delete_holiday_impl(&self, actor: &Actor, id: Id) -> Result<()> {
        let visible = self.list_holidays_impl(&actor.scope).await?;
        let Some(holiday) = visible.into_iter().find(|h| h.id == id) else {
            return Err(not_found("holiday", id));
        };
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        // Deleting needs every unit of it writable, not just one seen.
        let all: String = sqlx::query("SELECT unit_ids FROM duty_holidays WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found("holiday", id))?
            .try_get(0)?;
        let units: Vec<Id> = serde_json::from_str(&all).unwrap_or_default();
        if units.is_empty() {
            check_unit_writable(conn, actor, None, "id").await?;
        }
        for unit in units {
            check_unit_writable(conn, actor, Some(unit), "id").await?;
        }
        sqlx::query("DELETE FROM duty_holidays WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("duty_holiday", id, &holiday))
            .await
    }

    pub(crate) async fn list_duty_rules_impl(&self, scope: &Scope) -> Result<Vec<DutyRule>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("SELECT r.id, r.unit_id, r.rule FROM duty_rules r WHERE 1 = 1");
        and_unit_or_province(&mut sql, "r.unit_id", &paths);
        sql.push(" ORDER BY r.id");
        let mut out = Vec::new();
        for row in sql.query().fetch_all(&mut *conn).await? {
            const T: &str = "duty_rules";
            let text: String = get(&row, T, "rule")?;
            out.push(DutyRule {
                id: get(&row, T, "id")?,
                unit_id: get(&row, T, "unit_id")?,
                rule: serde_json::from_str(&text)
                    .map_err(|_| StoreError::Corrupt(format!("{T}.rule")))?,
            });
        }
        Ok(out)
    }

    pub(crate) async fn create_duty_rule_impl(
        &self,
        actor: &Actor,
        unit_id: Option<Id>,
        rule: &serde_json::Value,
    ) -> Result<DutyRule> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        check_unit_writable(conn, actor, unit_id, "unit_id").await?;
        let id: Id = sqlx::query(
            "INSERT INTO duty_rules (unit_id, rule, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(unit_id)
        .bind(json_text(rule))
        .bind(micros(now()))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let created = DutyRule {
            id,
            unit_id,
            rule: rule.clone(),
        };
        w.commit_audited(actor, AuditRow::created("duty_rule", id, &created))
            .await?;
        Ok(created)
    }

    pub(crate) async fn delete_duty_rule_impl(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let row = sqlx::query("SELECT unit_id, rule FROM duty_rules WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found("routing rule", id))?;
        let unit: Option<Id> = row.try_get(0)?;
        let rule: String = row.try_get(1)?;
        if check_unit_writable(conn, actor, unit, "id").await.is_err() {
            return Err(not_found("routing rule", id));
        }
        sqlx::query("DELETE FROM duty_rules WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("duty_rule", id, &rule))
            .await
    }

    pub(crate) async fn alerts_to_page_impl(
        &self,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<Alert>> {
        let text = format!(
            "SELECT {} FROM alerts a WHERE a.updated_at >= $1 AND a.status = 'new' \
             AND NOT EXISTS (SELECT 1 FROM alert_pages p WHERE p.alert_id = a.id) \
             ORDER BY a.id LIMIT {}",
            qualified("a", rows::ALERT_COLS),
            limit.max(1)
        );
        sqlx::query(&text)
            .bind(micros(since))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::alert)
            .collect()
    }

    pub(crate) async fn record_page_impl(
        &self,
        page: &AlertPage,
        messages: &[(OutboxDraft, Timestamp)],
    ) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let inserted = sqlx::query(
            "INSERT INTO alert_pages (alert_id, unit_id, severity, paged_at, reached, \
             next_check_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (alert_id) DO NOTHING",
        )
        .bind(page.alert_id)
        .bind(page.unit_id)
        .bind(page.severity.code())
        .bind(micros(page.paged_at))
        .bind(page.reached.as_str())
        .bind(page.next_check_at.map(micros))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        insert_messages(conn, messages, micros(now())).await?;
        w.commit().await?;
        Ok(true)
    }

    pub(crate) async fn due_pages_impl(
        &self,
        at: Timestamp,
        limit: u32,
    ) -> Result<Vec<(AlertPage, Alert)>> {
        let text = format!(
            "SELECT {PAGE_COLS}, {} FROM alert_pages p JOIN alerts a ON a.id = p.alert_id \
             WHERE p.next_check_at IS NOT NULL AND p.next_check_at <= $1 \
             AND p.acknowledged_at IS NULL ORDER BY p.next_check_at, p.alert_id LIMIT {}",
            qualified("a", rows::ALERT_COLS),
            limit.max(1)
        );
        let rows = sqlx::query(&text)
            .bind(micros(at))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((page_row(row)?, rows::alert(row)?)))
            .collect()
    }

    pub(crate) async fn record_escalation_impl(
        &self,
        alert_id: Id,
        from: &str,
        reached: &str,
        next_check: Option<Timestamp>,
        messages: &[(OutboxDraft, Timestamp)],
    ) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        // Only from the level read, and only while unacknowledged: a second server or an
        // acknowledgement in between wins.
        let moved = sqlx::query(
            "UPDATE alert_pages SET reached = $1, next_check_at = $2 WHERE alert_id = $3 \
             AND reached = $4 AND acknowledged_at IS NULL",
        )
        .bind(reached)
        .bind(next_check.map(micros))
        .bind(alert_id)
        .bind(from)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if moved == 0 {
            return Ok(false);
        }
        insert_messages(conn, messages, micros(now())).await?;
        w.commit().await?;
        Ok(true)
    }

    pub(crate) async fn acknowledge_page_impl(
        &self,
        alert_id: Id,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<AlertPage>> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        sqlx::query(
            "UPDATE alert_pages SET acknowledged_at = $1, acknowledged_by = $2, \
             next_check_at = NULL WHERE alert_id = $3 AND acknowledged_at IS NULL",
        )
        .bind(micros(at))
        .bind(by)
        .bind(alert_id)
        .execute(&mut *conn)
        .await?;
        let page = sqlx::query(&format!(
            "SELECT {PAGE_COLS} FROM alert_pages p WHERE p.alert_id = $1"
        ))
        .bind(alert_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| page_row(&row))
        .transpose()?;
        w.commit().await?;
        Ok(page)
    }

    pub(crate) async fn list_pages_impl(
        &self,
        scope: &Scope,
        limit: u32,
    ) -> Result<Vec<AlertPage>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {PAGE_COLS} FROM alert_pages p WHERE 1 = 1"
        ));
        if let Some(prefixes) = &paths {
            // Pages of alerts with no unit only for callers who see everything.
            sql.push(" AND p.unit_id IN (SELECT su.id FROM units su WHERE ");
            sql.push_path_scope("su.path", prefixes);
            sql.push(")");
        }
        sql.push(&format!(
            " ORDER BY p.paged_at DESC, p.alert_id DESC LIMIT {}",
            limit.clamp(1, 1000)
        ));
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(page_row)
            .collect()
    }
}
