//! Alerts (folded hits of every detector), indicators, rule overrides and suppressions.
//!
//! Alerts are written by the system, many per second at times, so they are not audited one by
//! one; triage by people is. Alerts without a unit are visible to callers that see everything.

use canhgac_model::{
    Actor, Alert, AlertDraft, AlertFilter, AlertStatus, Id, Indicator, IndicatorInput, Page,
    PageRequest, RuleOverride, Scope, Severity, Suppression, Timestamp,
};
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::{self, json_text, micros, now, qualified};
use crate::sql::{
    and_unit_subtree, fetch_page, lc, scope_paths, severity_rank, unit_path, AuditRow, Paths,
    SqlStore,
};
use crate::{AlertSummary, IndicatorFilter, IndicatorImport, Result, StoreError};

/// Samples of matching events kept in an alert: the first ones and the latest; the hits in
/// between only count.
const EVIDENCE_SAMPLES: usize = 5;

/// `AND` the alert's unit is in scope; unattributed alerts only when the scope is everything.
fn and_alert_scope(sql: &mut Sql, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND a.unit_id IN (SELECT su.id FROM units su WHERE ");
        sql.push_path_scope("su.path", prefixes);
        sql.push(")");
    }
}

fn alert_search_text(draft: &AlertDraft) -> String {
    lc(&format!(
        "{} {} {}",
        draft.title,
        draft.rule_key,
        draft.host.as_deref().unwrap_or("")
    ))
}

/// Whether a unit-bound setting (override, suppression) may be written by `actor`.
async fn check_setting_scope(
    conn: &mut AnyConnection,
    actor: &Actor,
    unit_id: Option<Id>,
) -> Result<()> {
    match unit_id {
        None if actor.scope.is_all() => Ok(()),
        None => Err(StoreError::OutOfScope(
            "a setting for every unit needs access to every unit".into(),
        )),
        Some(unit) => {
            let paths = scope_paths(conn, &actor.scope).await?;
            let path = unit_path(conn, unit).await?;
            match path {
                Some(path) if crate::sql::path_in(&paths, &path) => Ok(()),
                _ => Err(StoreError::OutOfScope(format!("unit {unit}"))),
            }
        }
    }
}

async fn load_scoped_alert(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<Alert> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM alerts a WHERE a.id = ",
        qualified("a", rows::ALERT_COLS)
    ));
    sql.bind(id);
    and_alert_scope(&mut sql, paths);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => rows::alert(&row),
        None => Err(StoreError::NotFound {
            entity: "alert",
            id: id.to_string(),
        }),
    }
}

impl SqlStore {
    /// Folds hits into alerts; each item is a draft standing for `count` hits, the earliest at
    /// `first` and the latest at the draft's time.
    pub(crate) async fn record_alerts_impl(
        &self,
        items: &[(&AlertDraft, i64, Timestamp)],
        fold_window: jiff::SignedDuration,
    ) -> Result<Vec<Id>> {
        let mut ids = Vec::with_capacity(items.len());
        if items.is_empty() {
            return Ok(ids);
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let updated_at = micros(now());
        for &(draft, hits, first_hit) in items {
            let hits = hits.max(1);
            let first_hit = micros(first_hit.min(draft.time));
            let fold_unit = draft.unit_id.unwrap_or(0);
            let fold_host = draft.host.clone().unwrap_or_default();
            let since = draft.time.checked_sub(fold_window).unwrap_or(draft.time);
            let open = sqlx::query(
                "SELECT id, first_seen, last_seen, evidence FROM alerts WHERE source = $1 \
                 AND rule_key = $2 AND fold_unit = $3 AND fold_host = $4 \
                 AND status IN ('new', 'acknowledged') AND last_seen >= $5 \
                 ORDER BY last_seen DESC LIMIT 1",
            )
            .bind(draft.source.code())
            .bind(draft.rule_key.as_str())
            .bind(fold_unit)
            .bind(fold_host.as_str())
            .bind(micros(since))
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(row) = open {
                let id: Id = row.try_get(0)?;
                let first: i64 = row.try_get(1)?;
                let last: i64 = row.try_get(2)?;
                let evidence_text: String = row.try_get(3)?;
                let mut evidence: Vec<serde_json::Value> =
                    serde_json::from_str(&evidence_text).unwrap_or_default();
                // The first samples show how it began; the last slot always holds the latest
                // hit, so an alert that goes on (a flood, an attack that ended) shows its state.
                if evidence.len() >= EVIDENCE_SAMPLES {
                    evidence.truncate(EVIDENCE_SAMPLES - 1);
                }
                evidence.push(draft.evidence.clone());
                let t = micros(draft.time);
                sqlx::query(
                    "UPDATE alerts SET count = count + $8, first_seen = $1, last_seen = $2, \
                     evidence = $3, severity = $4, severity_rank = $5, updated_at = $6 \
                     WHERE id = $7",
                )
                .bind(first.min(first_hit))
                .bind(last.max(t))
                .bind(json_text(&evidence))
                .bind(draft.severity.code())
                .bind(severity_rank(draft.severity))
                .bind(updated_at)
                .bind(id)
                .bind(hits)
                .execute(&mut *conn)
                .await?;
                ids.push(id);
            } else {
                let t = micros(draft.time);
                let id: Id = sqlx::query(
                    "INSERT INTO alerts (source, rule_key, title, severity, severity_rank, tags, \
                     unit_id, host, fold_unit, fold_host, first_seen, last_seen, count, status, \
                     comment, evidence, search_lc, updated_at) VALUES ($1, $2, $3, $4, $5, $6, \
                     $7, $8, $9, $10, $15, $11, $16, 'new', NULL, $12, $13, $14) RETURNING id",
                )
                .bind(draft.source.code())
                .bind(draft.rule_key.as_str())
                .bind(draft.title.as_str())
                .bind(draft.severity.code())
                .bind(severity_rank(draft.severity))
                .bind(json_text(&draft.tags))
                .bind(draft.unit_id)
                .bind(draft.host.clone())
                .bind(fold_unit)
                .bind(fold_host.as_str())
                .bind(t)
                .bind(json_text(&vec![&draft.evidence]))
                .bind(alert_search_text(draft))
                .bind(updated_at)
                .bind(first_hit)
                .bind(hits)
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
                ids.push(id);
            }
        }
        w.commit().await?;
        Ok(ids)
    }

    pub(crate) async fn list_alerts_impl(
        &self,
        scope: &Scope,
        filter: &AlertFilter,
        page: &PageRequest,
    ) -> Result<Page<Alert>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM alerts a WHERE 1 = 1");
        and_alert_scope(&mut sql, &paths);
        sql.and_in("a.status", filter.statuses.iter().map(|s| s.code()));
        if let Some(min) = filter.min_severity {
            sql.push(" AND a.severity_rank >= ")
                .bind(severity_rank(min));
        }
        if let Some(source) = filter.source {
            sql.push(" AND a.source = ").bind(source.code());
        }
        if let Some(unit) = filter.unit_id {
            and_unit_subtree(&mut conn, &mut sql, "a.unit_id", unit).await?;
        }
        let q = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .or(page.query());
        if let Some(q) = q {
            sql.push(" AND ").push_text_search(&["a.search_lc"], q);
        }
        let select = format!("SELECT {}", qualified("a", rows::ALERT_COLS));
        fetch_page(
            &mut conn,
            &select,
            &sql,
            "a.last_seen DESC, a.id DESC",
            page,
            rows::alert,
        )
        .await
    }

    pub(crate) async fn get_alert_impl(&self, scope: &Scope, id: Id) -> Result<Alert> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_alert(&mut conn, &paths, id).await
    }

    pub(crate) async fn triage_alert_impl(
        &self,
        actor: &Actor,
        id: Id,
        status: AlertStatus,
        comment: Option<String>,
    ) -> Result<Alert> {
        let comment = comment
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if let Some(c) = &comment {
            if c.chars().count() > 4000 {
                return Err(canhgac_model::FieldError::new(
                    "comment",
                    "is longer than 4000 characters",
                )
                .into());
            }
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_alert(conn, &paths, id).await?;
        let comment = comment.or_else(|| before.comment.clone());
        sqlx::query("UPDATE alerts SET status = $1, comment = $2, updated_at = $3 WHERE id = $4")
            .bind(status.code())
            .bind(comment.clone())
            .bind(micros(now()))
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let after = Alert {
            status,
            comment,
            ..before.clone()
        };
        let brief = |a: &Alert| serde_json::json!({"status": a.status, "comment": a.comment});
        w.commit_audited(
            actor,
            AuditRow::updated("alert", id, &brief(&before), &brief(&after)),
        )
        .await?;
        Ok(after)
    }

    pub(crate) async fn alert_summary_impl(&self, scope: &Scope) -> Result<AlertSummary> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(
            "SELECT a.severity, COUNT(*) FROM alerts a WHERE a.status IN ('new', 'acknowledged')",
        );
        and_alert_scope(&mut sql, &paths);
        sql.push(" GROUP BY a.severity");
        let mut summary = AlertSummary::default();
        for row in sql.query().fetch_all(&mut *conn).await? {
            let code: String = row.try_get(0)?;
            let count: i64 = row.try_get(1)?;
            if let Some(severity) = Severity::from_code(&code) {
                summary
                    .open_by_severity
                    .push((severity, count.max(0) as u64));
                summary.open += count.max(0) as u64;
            }
        }
        summary
            .open_by_severity
            .sort_by_key(|entry| std::cmp::Reverse(entry.0));
        Ok(summary)
    }

    pub(crate) async fn list_indicators_impl(
        &self,
        filter: &IndicatorFilter,
        page: &PageRequest,
    ) -> Result<Page<Indicator>> {
        let mut conn = self.pool.acquire().await?;
        let mut sql = Sql::new("FROM indicators i WHERE 1 = 1");
        if let Some(kind) = filter.kind {
            sql.push(" AND i.kind = ").bind(kind.code());
        }
        if let Some(q) = page.query() {
            sql.push(" AND ").push_text_search(&["i.search_lc"], q);
        }
        let select = format!("SELECT {}", qualified("i", rows::INDICATOR_COLS));
        fetch_page(
            &mut conn,
            &select,
            &sql,
            "i.created_at DESC, i.id DESC",
            page,
            rows::indicator,
        )
        .await
    }

    pub(crate) async fn active_indicators_impl(&self, at: Timestamp) -> Result<Vec<Indicator>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(&format!(
            "SELECT {} FROM indicators WHERE expires_at IS NULL OR expires_at > $1",
            rows::INDICATOR_COLS
        ))
        .bind(micros(at))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(rows::indicator).collect()
    }

    pub(crate) async fn import_indicators_impl(
        &self,
        actor: &Actor,
        mut inputs: Vec<IndicatorInput>,
    ) -> Result<IndicatorImport> {
        if !actor.scope.is_all() {
            return Err(StoreError::OutOfScope(
                "indicators apply to every unit; ask an administrator or analyst".into(),
            ));
        }
        // All or nothing: every row is checked before anything is written.
        for (i, input) in inputs.iter_mut().enumerate() {
            input.validate().map_err(|e| {
                canhgac_model::FieldError::new(format!("[{}].{}", i + 1, e.field), e.message)
            })?;
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let at = micros(now());
        let mut result = IndicatorImport::default();
        for input in &inputs {
            let existing = sqlx::query(&format!(
                "SELECT {} FROM indicators WHERE kind = $1 AND value = $2",
                rows::INDICATOR_COLS
            ))
            .bind(input.kind.code())
            .bind(input.value.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| rows::indicator(&row))
            .transpose()?;
            let search = lc(&format!(
                "{} {} {}",
                input.value, input.source, input.description
            ));
            match existing {
                Some(old) => {
                    // The same indicator again (another feed, a later export): it merges.
                    let mut meta = old.meta.clone();
                    meta.merge(&input.meta);
                    let mut tags = old.tags.clone();
                    for tag in &input.tags {
                        if !tags.contains(tag) {
                            tags.push(tag.clone());
                        }
                    }
                    sqlx::query(
                        "UPDATE indicators SET source = $1, description = $2, severity = $3, \
                         tags = $4, expires_at = $5, search_lc = $6, confidence = $7, tlp = $8, \
                         first_seen = $9, last_seen = $10, advisory = $11 WHERE id = $12",
                    )
                    .bind(input.source.as_str())
                    .bind(input.description.as_str())
                    .bind(input.severity.code())
                    .bind(json_text(&tags))
                    .bind(input.expires_at.map(micros))
                    .bind(search)
                    .bind(meta.confidence.map(i64::from))
                    .bind(meta.tlp.clone())
                    .bind(meta.first_seen.map(micros))
                    .bind(meta.last_seen.map(micros))
                    .bind(meta.advisory.clone())
                    .bind(old.id)
                    .execute(&mut *conn)
                    .await?;
                    result.updated += 1;
                }
                None => {
                    let meta = &input.meta;
                    sqlx::query(
                        "INSERT INTO indicators (kind, value, source, description, severity, \
                         tags, expires_at, created_at, search_lc, confidence, tlp, first_seen, \
                         last_seen, advisory) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                    )
                    .bind(input.kind.code())
                    .bind(input.value.as_str())
                    .bind(input.source.as_str())
                    .bind(input.description.as_str())
                    .bind(input.severity.code())
                    .bind(json_text(&input.tags))
                    .bind(input.expires_at.map(micros))
                    .bind(at)
                    .bind(search)
                    .bind(meta.confidence.map(i64::from))
                    .bind(meta.tlp.clone())
                    .bind(meta.first_seen.map(micros))
                    .bind(meta.last_seen.map(micros))
                    .bind(meta.advisory.clone())
                    .execute(&mut *conn)
                    .await?;
                    result.created += 1;
                }
            }
        }
        let summary = serde_json::json!({
            "created": result.created,
            "updated": result.updated,
            "sources": inputs.iter().map(|i| i.source.as_str()).collect::<std::collections::BTreeSet<_>>(),
        });
        w.commit_audited(
            actor,
            AuditRow::new::<(), _>("import", "indicator", None, None, Some(&summary)),
        )
        .await?;
        Ok(result)
    }

    pub(crate) async fn delete_indicator_impl(&self, actor: &Actor, id: Id) -> Result<()> {
        if !actor.scope.is_all() {
            return Err(StoreError::OutOfScope(
                "indicators apply to every unit".into(),
            ));
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let before = sqlx::query(&format!(
            "SELECT {} FROM indicators WHERE id = $1",
            rows::INDICATOR_COLS
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| rows::indicator(&row))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound {
            entity: "indicator",
            id: id.to_string(),
        })?;
        sqlx::query("DELETE FROM indicators WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("indicator", id, &before))
            .await
    }

    pub(crate) async fn rule_overrides_impl(&self) -> Result<Vec<RuleOverride>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT rule_key, unit_id, enabled, severity FROM rule_overrides \
             ORDER BY rule_key, fold_unit",
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(rows::rule_override).collect()
    }

    pub(crate) async fn set_rule_override_impl(
        &self,
        actor: &Actor,
        mut setting: RuleOverride,
    ) -> Result<()> {
        setting.rule_key = setting.rule_key.trim().to_string();
        if setting.rule_key.is_empty() {
            return Err(canhgac_model::FieldError::new("rule_key", "is required").into());
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        check_setting_scope(conn, actor, setting.unit_id).await?;
        let fold_unit = setting.unit_id.unwrap_or(0);
        sqlx::query("DELETE FROM rule_overrides WHERE rule_key = $1 AND fold_unit = $2")
            .bind(setting.rule_key.as_str())
            .bind(fold_unit)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO rule_overrides (rule_key, unit_id, fold_unit, enabled, severity, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(setting.rule_key.as_str())
        .bind(setting.unit_id)
        .bind(fold_unit)
        .bind(i64::from(setting.enabled))
        .bind(setting.severity.map(|s| s.code()))
        .bind(micros(now()))
        .execute(&mut *conn)
        .await?;
        w.commit_audited(
            actor,
            AuditRow::new::<(), _>("set", "rule_override", None, None, Some(&setting)),
        )
        .await
    }

    pub(crate) async fn delete_rule_override_impl(
        &self,
        actor: &Actor,
        rule_key: &str,
        unit_id: Option<Id>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        check_setting_scope(conn, actor, unit_id).await?;
        let done = sqlx::query("DELETE FROM rule_overrides WHERE rule_key = $1 AND fold_unit = $2")
            .bind(rule_key)
            .bind(unit_id.unwrap_or(0))
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "rule override",
                id: rule_key.to_string(),
            });
        }
        let before = serde_json::json!({"rule_key": rule_key, "unit_id": unit_id});
        w.commit_audited(
            actor,
            AuditRow::new::<_, ()>("delete", "rule_override", None, Some(&before), None),
        )
        .await
    }

    pub(crate) async fn list_suppressions_impl(&self, scope: &Scope) -> Result<Vec<Suppression>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM suppressions s WHERE 1 = 1",
            qualified("s", rows::SUPPRESSION_COLS)
        ));
        if let Some(prefixes) = &paths {
            sql.push(" AND s.unit_id IN (SELECT su.id FROM units su WHERE ");
            sql.push_path_scope("su.path", prefixes);
            sql.push(")");
        }
        sql.push(" ORDER BY s.id DESC");
        sql.query()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::suppression)
            .collect()
    }

    pub(crate) async fn create_suppression_impl(
        &self,
        actor: &Actor,
        mut input: Suppression,
    ) -> Result<Suppression> {
        input.field = input.field.trim().to_string();
        input.value = input.value.trim().to_string();
        input.comment = input.comment.trim().to_string();
        input.rule_key = input
            .rule_key
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        if input.field.is_empty() {
            return Err(canhgac_model::FieldError::new("field", "is required").into());
        }
        if input.value.is_empty() {
            return Err(canhgac_model::FieldError::new("value", "is required").into());
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        check_setting_scope(conn, actor, input.unit_id).await?;
        let id: Id = sqlx::query(
            "INSERT INTO suppressions (rule_key, unit_id, field, value, comment, expires_at, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(input.rule_key.clone())
        .bind(input.unit_id)
        .bind(input.field.as_str())
        .bind(input.value.as_str())
        .bind(input.comment.as_str())
        .bind(input.expires_at.map(micros))
        .bind(micros(now()))
        .bind(actor.name.as_str())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        input.id = id;
        w.commit_audited(actor, AuditRow::created("suppression", id, &input))
            .await?;
        Ok(input)
    }

    pub(crate) async fn delete_suppression_impl(&self, actor: &Actor, id: Id) -> Result<()> {
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let before = sqlx::query(&format!(
            "SELECT {} FROM suppressions WHERE id = $1",
            rows::SUPPRESSION_COLS
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| rows::suppression(&row))
        .transpose()?;
        let Some(before) = before else {
            return Err(StoreError::NotFound {
                entity: "suppression",
                id: id.to_string(),
            });
        };
        // Out of scope answers like missing.
        if check_setting_scope(conn, actor, before.unit_id)
            .await
            .is_err()
        {
            return Err(StoreError::NotFound {
                entity: "suppression",
                id: id.to_string(),
            });
        }
        sqlx::query("DELETE FROM suppressions WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        w.commit_audited(actor, AuditRow::deleted("suppression", id, &before))
            .await
    }

    pub(crate) async fn detection_stamp_impl(&self) -> Result<String> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM indicators), (SELECT MAX(id) FROM indicators), \
             (SELECT COUNT(*) FROM rule_overrides), (SELECT MAX(updated_at) FROM rule_overrides), \
             (SELECT COUNT(*) FROM suppressions), (SELECT MAX(id) FROM suppressions), \
             (SELECT MAX(at) FROM audit_log WHERE entity IN ('indicator', 'rule_override', \
             'suppression', 'asset', 'system', 'unit'))",
        )
        .fetch_one(&mut *conn)
        .await?;
        let mut parts = Vec::new();
        for i in 0..7 {
            let v: Option<i64> = row.try_get(i)?;
            parts.push(v.unwrap_or(0).to_string());
        }
        Ok(parts.join(":"))
    }

    pub(crate) async fn attribution_assets_impl(
        &self,
    ) -> Result<Vec<(Id, canhgac_model::AssetKind, String)>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT s.owner_unit_id, a.kind, a.value FROM assets a \
             JOIN systems s ON s.id = a.system_id ORDER BY a.id",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let unit: Id = row.try_get(0)?;
            let kind: String = row.try_get(1)?;
            let value: String = row.try_get(2)?;
            let kind = canhgac_model::AssetKind::from_code(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("assets.kind: {kind:?}")))?;
            out.push((unit, kind, value));
        }
        Ok(out)
    }
}
