//! Awareness bulletins, their recipients and confirmation links, and the notification outbox.
//!
//! A bulletin is visible to a reader when one of the units it is addressed to is in their scope,
//! and they see the recipients and counts of those units only. Sending a bulletin (and queueing
//! reminders) writes the recipients, their links and their outbox messages in one transaction,
//! so a crash never leaves a recipient without a message or a message without its recipient.
//!
//! The outbox is a small state machine: `queued` → (claimed) `sending` → `sent`, or back to
//! `queued` with a later `next_attempt_at`, or `failed` for good. A claim is a lease: a sender
//! that dies leaves `sending` rows whose `next_attempt_at` (the lease end) passes, and the next
//! claim takes them again. Delivery is therefore at-least-once across a crash between the mail
//! server's acceptance and the `sent` mark, and exactly-once otherwise; `dedup_key` makes sure
//! the same thing is never *queued* twice.

use std::collections::{HashMap, HashSet};

use canhgac_model::bulletin::{
    Bulletin, BulletinAddressee, BulletinConfirmation, BulletinDetail, BulletinInput, BulletinLink,
    BulletinRecipient, BulletinUnit, OutboxCounts, OutboxDraft, OutboxFilter, OutboxMail,
    OutboxMessage, OutboxState, EMAIL_CHANNEL,
};
use canhgac_model::{Actor, FieldError, Id, Page, PageRequest, Scope, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::{from_micros, get, json_text, micros, now, opt_ts, ts};
use crate::sql::{
    fetch_page, path_in, scope_paths, unit_path, write_audit, AuditRow, Backend, Paths, SqlStore,
};
use crate::{Result, StoreError, WriteBulletinMail};

const DAY_MICROS: i64 = 86_400_000_000;

/// Longest error text kept on a message.
const MAX_ERROR_CHARS: usize = 500;

const BULLETIN_COLS: &str =
    "b.id, b.title, b.body, b.chosen_units, b.include_subunits, b.remind_every_days, \
     b.created_by, b.created_at";

const OUTBOX_COLS: &str = "o.id, o.channel, o.recipient, o.recipient_name, o.subject, \
     o.dedup_key, o.state, o.attempts, o.next_attempt_at, o.last_error, o.unit_id, \
     o.bulletin_id, o.created_at, o.sent_at";

fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

fn bulletin_row(row: &AnyRow) -> Result<Bulletin> {
    const T: &str = "bulletins";
    let chosen: String = get(row, T, "chosen_units")?;
    let unit_ids: Vec<Id> = serde_json::from_str(&chosen)
        .map_err(|_| StoreError::Corrupt(format!("{T}.chosen_units")))?;
    Ok(Bulletin {
        id: get(row, T, "id")?,
        title: get(row, T, "title")?,
        body: get(row, T, "body")?,
        unit_ids,
        include_subunits: get::<i64>(row, T, "include_subunits")? != 0,
        remind_every_days: get::<Option<i64>>(row, T, "remind_every_days")?.map(to_u32),
        created_by: get(row, T, "created_by")?,
        created_at: ts(row, T, "created_at")?,
        recipients: 0,
        confirmed: 0,
    })
}

fn outbox_state(table: &str, code: &str) -> Result<OutboxState> {
    OutboxState::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("{table}.state")))
}

fn outbox_row(row: &AnyRow) -> Result<OutboxMessage> {
    const T: &str = "outbox";
    Ok(OutboxMessage {
        id: get(row, T, "id")?,
        channel: get(row, T, "channel")?,
        recipient: get(row, T, "recipient")?,
        recipient_name: get(row, T, "recipient_name")?,
        subject: get(row, T, "subject")?,
        dedup_key: get(row, T, "dedup_key")?,
        state: outbox_state(T, &get::<String>(row, T, "state")?)?,
        attempts: to_u32(get(row, T, "attempts")?),
        next_attempt_at: ts(row, T, "next_attempt_at")?,
        last_error: get(row, T, "last_error")?,
        unit_id: get(row, T, "unit_id")?,
        bulletin_id: get(row, T, "bulletin_id")?,
        created_at: ts(row, T, "created_at")?,
        sent_at: opt_ts(row, T, "sent_at")?,
    })
}

fn recipient_row(row: &AnyRow) -> Result<BulletinRecipient> {
    const T: &str = "bulletin_recipients";
    let delivery: Option<String> = get(row, T, "delivery")?;
    Ok(BulletinRecipient {
        id: get(row, T, "id")?,
        unit_id: get(row, T, "unit_id")?,
        contact_id: get(row, T, "contact_id")?,
        name: get(row, T, "name")?,
        email: get(row, T, "email")?,
        confirmed_at: opt_ts(row, T, "confirmed_at")?,
        reminders_sent: to_u32(get(row, T, "reminders_sent")?),
        last_reminded_at: opt_ts(row, T, "last_reminded_at")?,
        delivery: delivery.map(|d| outbox_state(T, &d)).transpose()?,
        delivery_error: get(row, T, "delivery_error")?,
    })
}

/// Appends `AND` some unit of bulletin `alias` is in scope.
fn and_bulletin_visible(sql: &mut Sql, alias: &str, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(
            " AND EXISTS (SELECT 1 FROM bulletin_units vb JOIN units vu ON vu.id = vb.unit_id \
             WHERE vb.bulletin_id = ",
        )
        .push(alias)
        .push(".id AND ");
        sql.push_path_scope("vu.path", prefixes);
        sql.push(")");
    }
}

fn and_path_scope(sql: &mut Sql, column: &str, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND ");
        sql.push_path_scope(column, prefixes);
    }
}

/// Cuts an error message to what the outbox keeps.
fn short_error(error: &str) -> String {
    let trimmed = error.trim();
    if trimmed.chars().count() <= MAX_ERROR_CHARS {
        return trimmed.to_string();
    }
    let mut cut: String = trimmed.chars().take(MAX_ERROR_CHARS).collect();
    cut.push('…');
    cut
}

/// Inserts a message unless its dedup key exists, due at `due` (micros; a notification held
/// for quiet hours or an escalation waits); returns the new id.
pub(crate) async fn insert_outbox(
    conn: &mut AnyConnection,
    draft: &OutboxDraft,
    at: i64,
    due: i64,
) -> Result<Option<Id>> {
    if draft.recipient.trim().is_empty() || draft.dedup_key.trim().is_empty() {
        return Err(FieldError::new("recipient", "thiếu người nhận hoặc khóa chống trùng").into());
    }
    Ok(sqlx::query(
        "INSERT INTO outbox (channel, recipient, recipient_name, subject, body_text, body_html, \
         dedup_key, state, attempts, next_attempt_at, unit_id, bulletin_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $11, $9, $10, $8) \
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(draft.channel.as_str())
    .bind(draft.recipient.as_str())
    .bind(draft.recipient_name.clone())
    .bind(draft.subject.as_str())
    .bind(draft.body_text.as_str())
    .bind(draft.body_html.clone())
    .bind(draft.dedup_key.as_str())
    .bind(at)
    .bind(draft.unit_id)
    .bind(draft.bulletin_id)
    .bind(due)
    .fetch_optional(&mut *conn)
    .await?
    .map(|row| row.try_get::<Id, _>(0))
    .transpose()?)
}

/// One person to write to, while sending or reminding.
struct Addressee {
    recipient_id: Id,
    unit_id: Id,
    unit_name: String,
    name: String,
    email: String,
    email_lc: String,
    reminder: u32,
}

/// Writes the message of `to` with `write`, queues it and records its link; returns whether a
/// message was queued (false when its dedup key was already used).
async fn queue_bulletin_mail(
    conn: &mut AnyConnection,
    bulletin: &Bulletin,
    to: &Addressee,
    write: &WriteBulletinMail<'_>,
    at: i64,
) -> Result<bool> {
    let mail = write(&BulletinAddressee {
        bulletin_id: bulletin.id,
        title: &bulletin.title,
        body: &bulletin.body,
        name: &to.name,
        unit_name: &to.unit_name,
        reminder: to.reminder,
    });
    let dedup_key = if to.reminder == 0 {
        format!("bulletin:{}:{}", bulletin.id, to.email_lc)
    } else {
        format!(
            "bulletin:{}:{}:reminder:{}",
            bulletin.id, to.email_lc, to.reminder
        )
    };
    let draft = OutboxDraft {
        channel: EMAIL_CHANNEL.to_string(),
        recipient: to.email.clone(),
        recipient_name: Some(to.name.clone()),
        subject: mail.subject,
        body_text: mail.body_text,
        body_html: mail.body_html,
        dedup_key,
        unit_id: Some(to.unit_id),
        bulletin_id: Some(bulletin.id),
    };
    let Some(outbox_id) = insert_outbox(conn, &draft, at, at).await? else {
        return Ok(false);
    };
    sqlx::query(
        "INSERT INTO bulletin_links (token_hash, recipient_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(mail.token_hash)
    .bind(to.recipient_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE bulletin_recipients SET last_outbox_id = $1 WHERE id = $2")
        .bind(outbox_id)
        .bind(to.recipient_id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// A bulletin in scope, without counts.
async fn load_bulletin(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<Bulletin> {
    let mut sql = Sql::new(&format!(
        "SELECT {BULLETIN_COLS} FROM bulletins b WHERE b.id = "
    ));
    sql.bind(id);
    and_bulletin_visible(&mut sql, "b", paths);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => bulletin_row(&row),
        None => Err(not_found("bulletin", id)),
    }
}

async fn load_detail(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<BulletinDetail> {
    let mut bulletin = load_bulletin(conn, paths, id).await?;
    let mut sql = Sql::new(
        "SELECT u.id, u.name, COUNT(r.id), \
         CAST(COALESCE(SUM(CASE WHEN r.confirmed_at IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) \
         FROM bulletin_units bu JOIN units u ON u.id = bu.unit_id \
         LEFT JOIN bulletin_recipients r ON r.bulletin_id = bu.bulletin_id AND r.unit_id = bu.unit_id \
         WHERE bu.bulletin_id = ",
    );
    sql.bind(id);
    and_path_scope(&mut sql, "u.path", paths);
    sql.push(" GROUP BY u.id, u.name ORDER BY u.name, u.id");
    let mut units = Vec::new();
    for row in sql.query().fetch_all(&mut *conn).await? {
        units.push(BulletinUnit {
            unit_id: row.try_get(0)?,
            unit_name: row.try_get(1)?,
            recipients: to_u64(row.try_get(2)?),
            confirmed: to_u64(row.try_get(3)?),
        });
    }
    let mut sql = Sql::new(
        "SELECT r.id, r.unit_id, r.contact_id, r.name, r.email, r.confirmed_at, r.reminders_sent, \
         r.last_reminded_at, o.state AS delivery, o.last_error AS delivery_error \
         FROM bulletin_recipients r JOIN units u ON u.id = r.unit_id \
         LEFT JOIN outbox o ON o.id = r.last_outbox_id WHERE r.bulletin_id = ",
    );
    sql.bind(id);
    and_path_scope(&mut sql, "u.path", paths);
    sql.push(" ORDER BY u.name, r.unit_id, r.name, r.id");
    let recipients = sql
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(recipient_row)
        .collect::<Result<Vec<_>>>()?;
    bulletin.recipients = recipients.len() as u64;
    bulletin.confirmed = recipients
        .iter()
        .filter(|r| r.confirmed_at.is_some())
        .count() as u64;
    Ok(BulletinDetail {
        bulletin,
        units,
        recipients,
    })
}

/// The unit ids a bulletin goes to: the chosen ones, each in the actor's scope, and with
/// `include_subunits` every unit below them.
async fn target_units(
    conn: &mut AnyConnection,
    paths: &Paths,
    input: &BulletinInput,
) -> Result<Vec<(Id, String, String)>> {
    let mut chosen_paths = Vec::with_capacity(input.unit_ids.len());
    for id in &input.unit_ids {
        match unit_path(conn, *id).await? {
            Some(path) if path_in(paths, &path) => chosen_paths.push(path),
            Some(_) => return Err(StoreError::OutOfScope(format!("unit {id}"))),
            None if paths.is_none() => {
                return Err(FieldError::new("unit_ids", format!("no unit with id {id}")).into())
            }
            None => return Err(StoreError::OutOfScope(format!("unit {id}"))),
        }
    }
    let mut sql = Sql::new("SELECT id, name, path FROM units WHERE ");
    if input.include_subunits {
        sql.push_path_scope("path", &chosen_paths);
    } else {
        sql.push("id IN (");
        for (i, id) in input.unit_ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
    }
    sql.push(" ORDER BY name, id");
    let mut units = Vec::new();
    for row in sql.query().fetch_all(&mut *conn).await? {
        units.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
    }
    Ok(units)
}

impl SqlStore {
    pub(crate) async fn create_bulletin_impl(
        &self,
        actor: &Actor,
        mut input: BulletinInput,
        write: &WriteBulletinMail<'_>,
    ) -> Result<BulletinDetail> {
        input.validate()?;
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let units = target_units(conn, &paths, &input).await?;
        let id: Id = sqlx::query(
            "INSERT INTO bulletins (title, body, chosen_units, include_subunits, \
             remind_every_days, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id",
        )
        .bind(input.title.as_str())
        .bind(input.body.as_str())
        .bind(json_text(&input.unit_ids))
        .bind(i64::from(input.include_subunits))
        .bind(input.remind_every_days.map(i64::from))
        .bind(actor.name.as_str())
        .bind(at)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let bulletin = load_bulletin(conn, &None, id).await?;
        let mut names = HashMap::new();
        for (unit_id, name, _) in &units {
            sqlx::query("INSERT INTO bulletin_units (bulletin_id, unit_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*unit_id)
                .execute(&mut *conn)
                .await?;
            names.insert(*unit_id, name.clone());
        }
        // Contacts with an address, unit by unit in name order; one copy per address.
        let mut seen = HashSet::new();
        for chunk in units.chunks(500) {
            let mut sql = Sql::new(
                "SELECT c.id, c.unit_id, c.name, c.email FROM contacts c JOIN units u \
                 ON u.id = c.unit_id WHERE c.email IS NOT NULL AND c.email <> '' AND c.unit_id IN (",
            );
            for (i, (unit_id, _, _)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*unit_id);
            }
            sql.push(") ORDER BY u.name, c.unit_id, c.name, c.id");
            let contacts = sql.query().fetch_all(&mut *conn).await?;
            for row in contacts {
                let contact_id: Id = row.try_get(0)?;
                let unit_id: Id = row.try_get(1)?;
                let name: String = row.try_get(2)?;
                let email: String = row.try_get(3)?;
                let email_lc = email.trim().to_lowercase();
                if !seen.insert(email_lc.clone()) {
                    continue;
                }
                let recipient_id: Id = sqlx::query(
                    "INSERT INTO bulletin_recipients (bulletin_id, unit_id, contact_id, name, \
                     email, email_lc, reminders_sent) VALUES ($1, $2, $3, $4, $5, $6, 0) \
                     RETURNING id",
                )
                .bind(id)
                .bind(unit_id)
                .bind(contact_id)
                .bind(name.as_str())
                .bind(email.trim())
                .bind(email_lc.as_str())
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
                let to = Addressee {
                    recipient_id,
                    unit_id,
                    unit_name: names.get(&unit_id).cloned().unwrap_or_default(),
                    name,
                    email: email.trim().to_string(),
                    email_lc,
                    reminder: 0,
                };
                queue_bulletin_mail(conn, &bulletin, &to, write, at).await?;
            }
        }
        let detail = load_detail(conn, &None, id).await?;
        let audit = serde_json::json!({
            "title": detail.bulletin.title,
            "unit_ids": detail.bulletin.unit_ids,
            "include_subunits": detail.bulletin.include_subunits,
            "remind_every_days": detail.bulletin.remind_every_days,
            "recipients": detail.bulletin.recipients,
        });
        w.commit_audited(actor, AuditRow::created("bulletin", id, &audit))
            .await?;
        // The reader sees the units and people of their own scope only.
        let mut conn = self.pool.acquire().await?;
        load_detail(&mut conn, &paths, id).await
    }

    pub(crate) async fn list_bulletins_impl(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<Bulletin>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM bulletins b WHERE 1 = 1");
        and_bulletin_visible(&mut sql, "b", &paths);
        if let Some(q) = page.query() {
            sql.push(" AND ").push_text_search(&["b.title"], q);
        }
        let mut listed = fetch_page(
            &mut conn,
            &format!("SELECT {BULLETIN_COLS}"),
            &sql,
            "b.created_at DESC, b.id DESC",
            page,
            bulletin_row,
        )
        .await?;
        if listed.items.is_empty() {
            return Ok(listed);
        }
        let mut counts = Sql::new(
            "SELECT r.bulletin_id, COUNT(r.id), \
             CAST(COALESCE(SUM(CASE WHEN r.confirmed_at IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) \
             FROM bulletin_recipients r JOIN units u ON u.id = r.unit_id WHERE r.bulletin_id IN (",
        );
        for (i, b) in listed.items.iter().enumerate() {
            if i > 0 {
                counts.push(", ");
            }
            counts.bind(b.id);
        }
        counts.push(")");
        and_path_scope(&mut counts, "u.path", &paths);
        counts.push(" GROUP BY r.bulletin_id");
        let mut by_id = HashMap::new();
        for row in counts.query().fetch_all(&mut *conn).await? {
            let id: Id = row.try_get(0)?;
            by_id.insert(id, (to_u64(row.try_get(1)?), to_u64(row.try_get(2)?)));
        }
        for b in &mut listed.items {
            if let Some((recipients, confirmed)) = by_id.get(&b.id) {
                b.recipients = *recipients;
                b.confirmed = *confirmed;
            }
        }
        Ok(listed)
    }

    pub(crate) async fn get_bulletin_impl(&self, scope: &Scope, id: Id) -> Result<BulletinDetail> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_detail(&mut conn, &paths, id).await
    }

    pub(crate) async fn remind_bulletin_impl(
        &self,
        actor: &Actor,
        id: Id,
        write: &WriteBulletinMail<'_>,
    ) -> Result<u64> {
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let bulletin = load_bulletin(conn, &paths, id).await?;
        // Not confirmed, in scope, and whose latest message has left (reminding someone whose
        // first mail still waits for the server would only pile up copies).
        let mut sql = Sql::new(
            "SELECT r.id, r.unit_id, u.name, r.name, r.email, r.email_lc, r.reminders_sent \
             FROM bulletin_recipients r JOIN units u ON u.id = r.unit_id \
             LEFT JOIN outbox o ON o.id = r.last_outbox_id \
             WHERE r.confirmed_at IS NULL AND (o.state IS NULL OR o.state IN ('sent', 'failed')) \
             AND r.bulletin_id = ",
        );
        sql.bind(id);
        and_path_scope(&mut sql, "u.path", &paths);
        sql.push(" ORDER BY u.name, r.name, r.id");
        let rows = sql.query().fetch_all(&mut *conn).await?;
        let mut queued = 0u64;
        for row in rows {
            let reminders: i64 = row.try_get(6)?;
            let to = Addressee {
                recipient_id: row.try_get(0)?,
                unit_id: row.try_get(1)?,
                unit_name: row.try_get(2)?,
                name: row.try_get(3)?,
                email: row.try_get(4)?,
                email_lc: row.try_get(5)?,
                reminder: to_u32(reminders + 1),
            };
            if queue_bulletin_mail(conn, &bulletin, &to, write, at).await? {
                sqlx::query(
                    "UPDATE bulletin_recipients SET reminders_sent = reminders_sent + 1, \
                     last_reminded_at = $1 WHERE id = $2",
                )
                .bind(at)
                .bind(to.recipient_id)
                .execute(&mut *conn)
                .await?;
                queued += 1;
            }
        }
        let change = AuditRow::new::<(), _>(
            "remind",
            "bulletin",
            Some(id),
            None,
            Some(&serde_json::json!({ "reminders": queued })),
        );
        w.commit_audited(actor, change).await?;
        Ok(queued)
    }

    pub(crate) async fn bulletins_due_for_reminder_impl(
        &self,
        at: Timestamp,
        max_reminders: u32,
    ) -> Result<Vec<Id>> {
        let rows = sqlx::query(
            "SELECT DISTINCT b.id FROM bulletins b JOIN bulletin_recipients r \
             ON r.bulletin_id = b.id LEFT JOIN outbox o ON o.id = r.last_outbox_id \
             WHERE b.remind_every_days IS NOT NULL AND r.confirmed_at IS NULL \
             AND r.reminders_sent < $1 AND (o.state IS NULL OR o.state IN ('sent', 'failed')) \
             AND COALESCE(r.last_reminded_at, b.created_at) + b.remind_every_days * $2 <= $3 \
             ORDER BY b.id",
        )
        .bind(i64::from(max_reminders))
        .bind(DAY_MICROS)
        .bind(micros(at))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<Id, _>(0)?))
            .collect()
    }

    pub(crate) async fn confirm_bulletin_impl(
        &self,
        token_hash: &str,
        at: Timestamp,
    ) -> Result<Option<BulletinConfirmation>> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let row = sqlx::query(
            "SELECT r.id, r.name, r.confirmed_at, b.title, b.id FROM bulletin_links l \
             JOIN bulletin_recipients r ON r.id = l.recipient_id \
             JOIN bulletins b ON b.id = r.bulletin_id WHERE l.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let recipient_id: Id = row.try_get(0)?;
        let name: String = row.try_get(1)?;
        let confirmed: Option<i64> = row.try_get(2)?;
        let title: String = row.try_get(3)?;
        let bulletin_id: Id = row.try_get(4)?;
        if let Some(first) = confirmed {
            // Following the link again changes nothing.
            w.commit().await?;
            return Ok(Some(BulletinConfirmation {
                title,
                name,
                confirmed_at: from_micros("bulletin_recipients", first)?,
                already: true,
            }));
        }
        let at = micros(at);
        sqlx::query("UPDATE bulletin_recipients SET confirmed_at = $1 WHERE id = $2")
            .bind(at)
            .bind(recipient_id)
            .execute(&mut *conn)
            .await?;
        // The link is the credential: the audit names the person it was sent to.
        let actor = Actor::system(&format!("liên kết xác nhận: {name}"));
        let change = AuditRow::new::<(), _>(
            "confirm",
            "bulletin",
            Some(bulletin_id),
            None,
            Some(&serde_json::json!({ "recipient_id": recipient_id, "name": name })),
        );
        write_audit(conn, &actor, &[change]).await?;
        w.commit().await?;
        Ok(Some(BulletinConfirmation {
            title,
            name,
            confirmed_at: from_micros("bulletin_recipients", at)?,
            already: false,
        }))
    }

    pub(crate) async fn bulletin_link_impl(
        &self,
        token_hash: &str,
    ) -> Result<Option<BulletinLink>> {
        let row = sqlx::query(
            "SELECT b.title, b.body, r.name, r.confirmed_at FROM bulletin_links l \
             JOIN bulletin_recipients r ON r.id = l.recipient_id \
             JOIN bulletins b ON b.id = r.bulletin_id WHERE l.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(BulletinLink {
                title: row.try_get(0)?,
                body: row.try_get(1)?,
                name: row.try_get(2)?,
                confirmed_at: row
                    .try_get::<Option<i64>, _>(3)?
                    .map(|v| from_micros("bulletin_recipients", v))
                    .transpose()?,
            })
        })
        .transpose()
    }

    pub(crate) async fn enqueue_outbox_impl(
        &self,
        drafts: &[OutboxDraft],
    ) -> Result<Vec<Option<Id>>> {
        let at = micros(now());
        let mut w = self.begin_write().await?;
        let mut ids = Vec::with_capacity(drafts.len());
        for draft in drafts {
            ids.push(insert_outbox(&mut w.tx, draft, at, at).await?);
        }
        w.commit().await?;
        Ok(ids)
    }

    pub(crate) async fn list_outbox_impl(
        &self,
        scope: &Scope,
        filter: &OutboxFilter,
        page: &PageRequest,
    ) -> Result<Page<OutboxMessage>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM outbox o LEFT JOIN units u ON u.id = o.unit_id WHERE 1 = 1");
        and_path_scope(&mut sql, "u.path", &paths);
        if let Some(state) = filter.state {
            sql.push(" AND o.state = ").bind(state.code());
        }
        if let Some(bulletin) = filter.bulletin_id {
            sql.push(" AND o.bulletin_id = ").bind(bulletin);
        }
        if let Some(q) = page.query() {
            sql.push(" AND ")
                .push_text_search(&["o.recipient", "o.subject"], q);
        }
        fetch_page(
            &mut conn,
            &format!("SELECT {OUTBOX_COLS}"),
            &sql,
            "o.created_at DESC, o.id DESC",
            page,
            outbox_row,
        )
        .await
    }

    pub(crate) async fn outbox_counts_impl(&self, scope: &Scope) -> Result<OutboxCounts> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql =
            Sql::new("SELECT o.state, COUNT(*) FROM outbox o LEFT JOIN units u ON u.id = o.unit_id WHERE 1 = 1");
        and_path_scope(&mut sql, "u.path", &paths);
        sql.push(" GROUP BY o.state");
        let mut counts = OutboxCounts::default();
        for row in sql.query().fetch_all(&mut *conn).await? {
            let state: String = row.try_get(0)?;
            let n = to_u64(row.try_get(1)?);
            match OutboxState::from_code(&state) {
                Some(OutboxState::Queued | OutboxState::Sending) => counts.pending += n,
                Some(OutboxState::Sent) => counts.sent += n,
                Some(OutboxState::Failed) => counts.failed += n,
                None => return Err(StoreError::Corrupt("outbox.state".into())),
            }
        }
        Ok(counts)
    }

    pub(crate) async fn claim_outbox_impl(
        &self,
        channel: &str,
        at: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxMail>> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        // Queued rows that are due, and rows whose sender's lease ran out (it died mid-send).
        let mut text = format!(
            "SELECT id, channel, recipient, recipient_name, subject, body_text, body_html, attempts \
             FROM outbox WHERE channel = $1 AND state IN ('queued', 'sending') \
             AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT {}",
            limit.max(1)
        );
        if self.backend == Backend::Postgres {
            // Two servers sharing the database take different rows.
            text.push_str(" FOR UPDATE SKIP LOCKED");
        }
        let rows = sqlx::query(&text)
            .bind(channel)
            .bind(micros(at))
            .fetch_all(&mut *conn)
            .await?;
        let mut mails = Vec::with_capacity(rows.len());
        for row in rows {
            const T: &str = "outbox";
            let mail = OutboxMail {
                id: get(&row, T, "id")?,
                channel: get(&row, T, "channel")?,
                recipient: get(&row, T, "recipient")?,
                recipient_name: get(&row, T, "recipient_name")?,
                subject: get(&row, T, "subject")?,
                body_text: get(&row, T, "body_text")?,
                body_html: get(&row, T, "body_html")?,
                attempts: to_u32(get::<i64>(&row, T, "attempts")? + 1),
            };
            sqlx::query(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, \
                 next_attempt_at = $1 WHERE id = $2",
            )
            .bind(micros(lease_until))
            .bind(mail.id)
            .execute(&mut *conn)
            .await?;
            mails.push(mail);
        }
        w.commit().await?;
        Ok(mails)
    }

    pub(crate) async fn outbox_sent_impl(&self, id: Id, at: Timestamp) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2",
        )
        .bind(micros(at))
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found("outbox message", id));
        }
        w.commit().await
    }

    pub(crate) async fn outbox_failed_impl(
        &self,
        id: Id,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let mut sql = Sql::new("UPDATE outbox SET state = ");
        match retry_at {
            Some(t) => sql
                .bind(OutboxState::Queued.code())
                .push(", next_attempt_at = ")
                .bind(micros(t)),
            None => sql.bind(OutboxState::Failed.code()),
        };
        sql.push(", last_error = ")
            .bind(short_error(error))
            .push(" WHERE id = ")
            .bind(id);
        let done = sql.query().execute(&mut *w.tx).await?;
        if done.rows_affected() == 0 {
            return Err(not_found("outbox message", id));
        }
        w.commit().await
    }
}
