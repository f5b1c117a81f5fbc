//! Findings of every producer (scanner, password audit, file sweeps, breach lists): merged by
//! `(source, unit, key)`, with a lifecycle open → fixed → reopened, or accepted / false positive
//! with a reason.
//!
//! A batch is written in one transaction and audited as one entry; a batch that carries a
//! snapshot also marks fixed the open findings of the run's shape that it no longer contains.
//! A caller may only write findings for units in its scope; findings without a unit only when
//! it sees every unit. A draft without a unit but with a host is attributed through the
//! inventory's assets first.

use std::collections::{BTreeSet, HashSet};

use canhgac_model::{
    Actor, AssetKind, FieldError, Finding, FindingBatch, FindingCount, FindingDraft, FindingFilter,
    FindingOutcome, FindingSource, FindingStatus, Id, Page, PageRequest, Scope, Timestamp,
};
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::{self, json_text, micros, now, qualified};
use crate::sql::{
    and_unit_subtree, fetch_page, lc, path_in, scope_paths, severity_rank, unit_path, AuditRow,
    Paths, SqlStore,
};
use crate::{Result, StoreError};

/// More findings than this in one batch is refused (split the run).
pub const MAX_BATCH: usize = 50_000;

/// `AND` the finding's unit is in scope; findings without a unit only when the scope is
/// everything.
fn and_finding_scope(sql: &mut Sql, paths: &Paths) {
    if let Some(prefixes) = paths {
        sql.push(" AND f.unit_id IN (SELECT su.id FROM units su WHERE ");
        sql.push_path_scope("su.path", prefixes);
        sql.push(")");
    }
}

fn check_draft(index: usize, draft: &FindingDraft) -> Result<()> {
    let at = |field: &str, message: &str| -> StoreError {
        FieldError::new(format!("findings[{index}].{field}"), message).into()
    };
    let limits: [(&str, &str, usize); 4] = [
        ("key", &draft.key, 1000),
        ("category", &draft.category, 100),
        ("title", &draft.title, 500),
        ("subject", &draft.subject, 2000),
    ];
    for (field, value, max) in limits {
        if field != "subject" && value.trim().is_empty() {
            return Err(at(field, "is empty"));
        }
        if value.chars().count() > max {
            return Err(at(field, &format!("is longer than {max} characters")));
        }
    }
    if draft
        .host
        .as_deref()
        .is_some_and(|h| h.chars().count() > 255)
    {
        return Err(at("host", "is longer than 255 characters"));
    }
    if draft
        .remediation
        .as_deref()
        .is_some_and(|r| r.chars().count() > 4000)
    {
        return Err(at("remediation", "is longer than 4000 characters"));
    }
    if json_text(&draft.evidence).len() > 64 * 1024 {
        return Err(at("evidence", "is larger than 64 KiB"));
    }
    Ok(())
}

/// The inventory's assets, to attribute a draft's host to a unit, system and asset.
struct AssetIndex {
    assets: Vec<(Id, Id, Id, AssetKind, String)>,
}

impl AssetIndex {
    async fn load(conn: &mut AnyConnection) -> Result<Self> {
        let rows = sqlx::query(
            "SELECT a.id, a.system_id, s.owner_unit_id, a.kind, a.value FROM assets a \
             JOIN systems s ON s.id = a.system_id ORDER BY a.id",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut assets = Vec::with_capacity(rows.len());
        for row in rows {
            let kind: String = row.try_get(3)?;
            let kind = AssetKind::from_code(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("assets.kind: {kind:?}")))?;
            assets.push((
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                kind,
                row.try_get(4)?,
            ));
        }
        Ok(Self { assets })
    }

    /// The most specific asset covering `host`: an address or name over a URL over a network
    /// (the longest prefix first). Returns (unit, system, asset).
    fn attribute(&self, host: &str) -> Option<(Id, Id, Id)> {
        let mut best: Option<(u32, (Id, Id, Id))> = None;
        for (asset, system, unit, kind, value) in &self.assets {
            if !canhgac_model::asset_covers(*kind, value, host) {
                continue;
            }
            let score = match kind {
                AssetKind::Ip => 1000,
                AssetKind::Domain if !value.starts_with("*.") => 900,
                AssetKind::Url => 800,
                AssetKind::Domain => 700,
                AssetKind::Cidr => value
                    .rsplit_once('/')
                    .and_then(|(_, len)| len.parse::<u32>().ok())
                    .unwrap_or(0),
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, (*unit, *system, *asset)));
            }
        }
        best.map(|(_, found)| found)
    }
}

impl SqlStore {
    pub(crate) async fn record_findings_impl(
        &self,
        actor: &Actor,
        batch: &FindingBatch,
    ) -> Result<FindingOutcome> {
        if batch.findings.len() > MAX_BATCH {
            return Err(FieldError::new(
                "findings",
                format!("has more than {MAX_BATCH} items; send the run in parts"),
            )
            .into());
        }
        for (i, draft) in batch.findings.iter().enumerate() {
            check_draft(i, draft)?;
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let needs_index = batch
            .findings
            .iter()
            .any(|d| d.unit_id.is_none() && d.host.is_some())
            || batch.snapshot.as_ref().is_some_and(|s| !s.hosts.is_empty());
        let index = if needs_index {
            Some(AssetIndex::load(conn).await?)
        } else {
            None
        };

        // Resolve every draft's unit and check it is the caller's, before writing anything.
        let mut resolved = Vec::with_capacity(batch.findings.len());
        let mut checked_units: HashSet<Id> = HashSet::new();
        for (i, draft) in batch.findings.iter().enumerate() {
            let (mut unit, mut system, mut asset) =
                (draft.unit_id, draft.system_id, draft.asset_id);
            if unit.is_none() {
                if let (Some(host), Some(index)) = (draft.host.as_deref(), index.as_ref()) {
                    if let Some((u, s, a)) = index.attribute(host) {
                        unit = Some(u);
                        system = system.or(Some(s));
                        asset = asset.or(Some(a));
                    }
                }
            }
            match unit {
                None if paths.is_none() => {}
                None => {
                    return Err(StoreError::OutOfScope(format!(
                        "findings[{i}]: no unit of yours owns {:?}",
                        draft.host.as_deref().unwrap_or(&draft.subject)
                    )))
                }
                Some(u) => {
                    if !checked_units.contains(&u) {
                        match unit_path(conn, u).await? {
                            Some(path) if path_in(&paths, &path) => {
                                checked_units.insert(u);
                            }
                            _ => {
                                return Err(StoreError::OutOfScope(format!(
                                    "findings[{i}]: unit {u}"
                                )))
                            }
                        }
                    }
                }
            }
            resolved.push((draft, unit, system, asset));
        }
        // A snapshot over hosts covers the units the inventory gives those hosts.
        let mut snapshot_units: Vec<Option<Id>> = Vec::new();
        if let Some(snapshot) = &batch.snapshot {
            snapshot_units.extend(snapshot.unit_ids.iter().copied());
            for host in &snapshot.hosts {
                let unit = index
                    .as_ref()
                    .and_then(|index| index.attribute(host))
                    .map(|(unit, _, _)| unit);
                if !snapshot_units.contains(&unit) {
                    snapshot_units.push(unit);
                }
            }
        }
        if batch.snapshot.is_some() {
            for unit in &snapshot_units {
                match unit {
                    None if paths.is_some() => {
                        return Err(StoreError::OutOfScope(
                            "snapshot: findings without a unit need access to every unit".into(),
                        ))
                    }
                    None => {}
                    Some(u) if checked_units.contains(u) => {}
                    Some(u) => match unit_path(conn, *u).await? {
                        Some(path) if path_in(&paths, &path) => {
                            checked_units.insert(*u);
                        }
                        _ => return Err(StoreError::OutOfScope(format!("snapshot: unit {u}"))),
                    },
                }
            }
        }

        let at = now();
        let mut outcome = FindingOutcome::default();
        let mut touched: HashSet<Id> = HashSet::with_capacity(resolved.len());
        for (draft, unit, system, asset) in resolved {
            let merge_unit = unit.unwrap_or(0);
            let seen = micros(draft.observed_at);
            let search = lc(&format!(
                "{} {} {} {}",
                draft.title,
                draft.subject,
                draft.host.as_deref().unwrap_or(""),
                draft.key
            ));
            let existing = sqlx::query(
                "SELECT id, status, first_seen, last_seen, status_until FROM findings \
                 WHERE source = $1 AND merge_unit = $2 AND key = $3",
            )
            .bind(draft.source.code())
            .bind(merge_unit)
            .bind(draft.key.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            match existing {
                Some(row) => {
                    let id: Id = row.try_get(0)?;
                    let status: String = row.try_get(1)?;
                    let first: i64 = row.try_get(2)?;
                    let last: i64 = row.try_get(3)?;
                    let status = FindingStatus::from_code(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("findings.status: {status}")))?;
                    let until: Option<i64> = row.try_get(4)?;
                    // A decision whose review date has passed no longer holds.
                    let expired = status.needs_reason() && until.is_some_and(|u| u <= micros(at));
                    let reopen = status == FindingStatus::Fixed || expired;
                    let mut sql = Sql::new("UPDATE findings SET category = ");
                    sql.bind(draft.category.as_str());
                    sql.push(", title = ").bind(draft.title.as_str());
                    sql.push(", severity = ").bind(draft.severity.code());
                    sql.push(", severity_rank = ")
                        .bind(severity_rank(draft.severity));
                    sql.push(", system_id = ").bind(system);
                    sql.push(", asset_id = ").bind(asset);
                    sql.push(", host = ").bind(draft.host.clone());
                    sql.push(", subject = ").bind(draft.subject.as_str());
                    sql.push(", evidence = ").bind(json_text(&draft.evidence));
                    sql.push(", remediation = ").bind(draft.remediation.clone());
                    sql.push(", first_seen = ").bind(first.min(seen));
                    sql.push(", last_seen = ").bind(last.max(seen));
                    sql.push(", sightings = sightings + 1, search_lc = ")
                        .bind(search);
                    if reopen {
                        let reason = expired.then(|| {
                            format!(
                                "Hết hạn {} ngày {}",
                                status.label_vi().to_lowercase(),
                                vn_date(until.unwrap_or_default())
                            )
                        });
                        sql.push(", status = 'reopened', status_until = NULL, status_reason = ")
                            .bind(reason)
                            .push(", status_changed_at = ")
                            .bind(micros(at));
                        outcome.reopened += 1;
                        outcome.raised.push(id);
                    } else {
                        outcome.updated += 1;
                        outcome.updated_ids.push(id);
                    }
                    sql.push(" WHERE id = ").bind(id);
                    sql.query().execute(&mut *conn).await?;
                    touched.insert(id);
                }
                None => {
                    let id: Id = sqlx::query(
                        "INSERT INTO findings (source, key, merge_unit, category, title, \
                         severity, severity_rank, unit_id, system_id, asset_id, host, subject, \
                         evidence, remediation, status, status_reason, first_seen, last_seen, \
                         sightings, status_changed_at, search_lc) VALUES ($1, $2, $3, $4, $5, \
                         $6, $7, $8, $9, $10, $11, $12, $13, $14, 'open', NULL, $15, $15, 1, \
                         $16, $17) RETURNING id",
                    )
                    .bind(draft.source.code())
                    .bind(draft.key.as_str())
                    .bind(merge_unit)
                    .bind(draft.category.as_str())
                    .bind(draft.title.as_str())
                    .bind(draft.severity.code())
                    .bind(severity_rank(draft.severity))
                    .bind(unit)
                    .bind(system)
                    .bind(asset)
                    .bind(draft.host.clone())
                    .bind(draft.subject.as_str())
                    .bind(json_text(&draft.evidence))
                    .bind(draft.remediation.clone())
                    .bind(seen)
                    .bind(micros(at))
                    .bind(search)
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get(0)?;
                    touched.insert(id);
                    outcome.created += 1;
                    outcome.raised.push(id);
                }
            }
        }

        if let Some(snapshot) = &batch.snapshot {
            let mut sql = Sql::new("SELECT id FROM findings WHERE status IN ('open', 'reopened')");
            sql.push(" AND source = ").bind(snapshot.source.code());
            if !snapshot.categories.is_empty() {
                sql.push(" AND category IN (");
                for (i, category) in snapshot.categories.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind(category.as_str());
                }
                sql.push(")");
            }
            sql.push(" AND merge_unit IN (");
            if snapshot_units.is_empty() {
                sql.push("NULL");
            }
            for (i, unit) in snapshot_units.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(unit.unwrap_or(0));
            }
            sql.push(")");
            if !snapshot.hosts.is_empty() {
                sql.push(" AND lower(host) IN (");
                for (i, host) in snapshot.hosts.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind(host.trim_end_matches('.').to_lowercase());
                }
                sql.push(")");
            }
            if let Some(prefix) = snapshot.subject_prefix.as_deref().filter(|p| !p.is_empty()) {
                sql.push(" AND substr(subject, 1, CAST(")
                    .bind(prefix.chars().count() as i64)
                    .push(" AS INTEGER)) = ")
                    .bind(prefix);
            }
            let stale: Vec<Id> = sql
                .query()
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|row| row.try_get::<Id, _>(0))
                .collect::<std::result::Result<_, _>>()?;
            let reason = format!(
                "Không còn phát hiện ở lần rà soát đầy đủ ngày {}",
                at.to_zoned(
                    jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or(jiff::tz::TimeZone::UTC)
                )
                .strftime("%d/%m/%Y")
            );
            for id in stale.into_iter().filter(|id| !touched.contains(id)) {
                sqlx::query(
                    "UPDATE findings SET status = 'fixed', status_reason = $1, \
                     status_changed_at = $2 WHERE id = $3",
                )
                .bind(reason.as_str())
                .bind(micros(at))
                .bind(id)
                .execute(&mut *conn)
                .await?;
                outcome.fixed += 1;
                outcome.fixed_ids.push(id);
            }
        }

        let sources: BTreeSet<&str> = batch.findings.iter().map(|d| d.source.code()).collect();
        let summary = serde_json::json!({
            "sources": sources,
            "outcome": outcome,
            "complete_run": batch.snapshot.is_some(),
        });
        w.commit_audited(
            actor,
            AuditRow::new::<(), _>("record", "findings", None, None, Some(&summary)),
        )
        .await?;
        Ok(outcome)
    }

    pub(crate) async fn list_findings_impl(
        &self,
        scope: &Scope,
        filter: &FindingFilter,
        page: &PageRequest,
    ) -> Result<Page<Finding>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new("FROM findings f WHERE 1 = 1");
        and_finding_scope(&mut sql, &paths);
        sql.and_in("f.status", filter.statuses.iter().map(|s| s.code()));
        if let Some(min) = filter.min_severity {
            sql.push(" AND f.severity_rank >= ")
                .bind(severity_rank(min));
        }
        if let Some(source) = filter.source {
            sql.push(" AND f.source = ").bind(source.code());
        }
        if let Some(category) = filter.category.as_deref().filter(|c| !c.is_empty()) {
            sql.push(" AND f.category = ").bind(category);
        }
        if let Some(unit) = filter.unit_id {
            and_unit_subtree(&mut conn, &mut sql, "f.unit_id", unit).await?;
        }
        let q = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .or(page.query());
        if let Some(q) = q {
            sql.push(" AND ").push_text_search(&["f.search_lc"], q);
        }
        let select = format!("SELECT {}", qualified("f", rows::FINDING_COLS));
        fetch_page(
            &mut conn,
            &select,
            &sql,
            "f.severity_rank DESC, f.last_seen DESC, f.id DESC",
            page,
            rows::finding,
        )
        .await
    }

    pub(crate) async fn get_finding_impl(&self, scope: &Scope, id: Id) -> Result<Finding> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        load_scoped_finding(&mut conn, &paths, id).await
    }

    pub(crate) async fn set_finding_status_impl(
        &self,
        actor: &Actor,
        id: Id,
        status: FindingStatus,
        reason: Option<String>,
        until: Option<Timestamp>,
    ) -> Result<Finding> {
        if until.is_some() && !status.needs_reason() {
            return Err(FieldError::new(
                "until",
                "only an accepted risk or a false positive can expire",
            )
            .into());
        }
        if until.is_some_and(|u| u <= now()) {
            return Err(FieldError::new("until", "must be in the future").into());
        }
        let reason = reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        if status.needs_reason() && reason.is_none() {
            return Err(FieldError::new(
                "reason",
                "is required to accept a risk or call a finding false",
            )
            .into());
        }
        if reason.as_deref().is_some_and(|r| r.chars().count() > 4000) {
            return Err(FieldError::new("reason", "is longer than 4000 characters").into());
        }
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        let before = load_scoped_finding(conn, &paths, id).await?;
        let at = now();
        sqlx::query(
            "UPDATE findings SET status = $1, status_reason = $2, status_changed_at = $3, \
             status_until = $4 WHERE id = $5",
        )
        .bind(status.code())
        .bind(reason.clone())
        .bind(micros(at))
        .bind(until.map(micros))
        .bind(id)
        .execute(&mut *conn)
        .await?;
        let after = Finding {
            status,
            status_reason: reason,
            status_changed_at: at,
            status_until: until,
            ..before.clone()
        };
        let brief = |f: &Finding| serde_json::json!({"status": f.status, "reason": f.status_reason, "until": f.status_until});
        w.commit_audited(
            actor,
            AuditRow::updated("finding", id, &brief(&before), &brief(&after)),
        )
        .await?;
        Ok(after)
    }

    pub(crate) async fn email_directory_impl(
        &self,
        scope: &Scope,
    ) -> Result<crate::EmailDirectory> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(
            "SELECT a.value, s.owner_unit_id FROM assets a JOIN systems s ON s.id = a.system_id \
             JOIN units u ON u.id = s.owner_unit_id WHERE a.kind = 'domain' AND s.kind = 'email'",
        );
        if let Some(prefixes) = &paths {
            sql.push(" AND ");
            sql.push_path_scope("u.path", prefixes);
        }
        sql.push(" ORDER BY a.id");
        let mut directory = crate::EmailDirectory::default();
        for row in sql.query().fetch_all(&mut *conn).await? {
            let domain: String = row.try_get(0)?;
            // A wildcard domain stands for its subdomains, which suffix matching covers.
            let domain = domain.trim_start_matches("*.").to_lowercase();
            directory.domains.push((domain, row.try_get(1)?));
        }
        let mut sql = Sql::new(
            "SELECT c.email, c.unit_id FROM contacts c JOIN units u ON u.id = c.unit_id \
             WHERE c.email IS NOT NULL",
        );
        if let Some(prefixes) = &paths {
            sql.push(" AND ");
            sql.push_path_scope("u.path", prefixes);
        }
        sql.push(" ORDER BY c.id");
        for row in sql.query().fetch_all(&mut *conn).await? {
            let email: String = row.try_get(0)?;
            let email = email.trim().to_lowercase();
            if !email.is_empty() {
                directory.addresses.push((email, row.try_get(1)?));
            }
        }
        Ok(directory)
    }

    pub(crate) async fn finding_counts_impl(
        &self,
        scope: &Scope,
        source: Option<FindingSource>,
    ) -> Result<Vec<FindingCount>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        let mut sql = Sql::new(
            "SELECT f.unit_id, f.source, f.category, f.status, COUNT(*) FROM findings f \
             WHERE 1 = 1",
        );
        and_finding_scope(&mut sql, &paths);
        if let Some(source) = source {
            sql.push(" AND f.source = ").bind(source.code());
        }
        sql.push(" GROUP BY f.unit_id, f.source, f.category, f.status");
        let mut out = Vec::new();
        for row in sql.query().fetch_all(&mut *conn).await? {
            let source: String = row.try_get(1)?;
            let status: String = row.try_get(3)?;
            out.push(FindingCount {
                unit_id: row.try_get(0)?,
                source: FindingSource::from_code(&source)
                    .ok_or_else(|| StoreError::Corrupt(format!("findings.source: {source}")))?,
                category: row.try_get(2)?,
                status: FindingStatus::from_code(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("findings.status: {status}")))?,
                count: row.try_get(4)?,
            });
        }
        out.sort_by(|a, b| {
            (a.unit_id, a.source, &a.category, a.status).cmp(&(
                b.unit_id,
                b.source,
                &b.category,
                b.status,
            ))
        });
        Ok(out)
    }
}

async fn load_scoped_finding(conn: &mut AnyConnection, paths: &Paths, id: Id) -> Result<Finding> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM findings f WHERE f.id = ",
        qualified("f", rows::FINDING_COLS)
    ));
    sql.bind(id);
    and_finding_scope(&mut sql, paths);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => rows::finding(&row),
        None => Err(StoreError::NotFound {
            entity: "finding",
            id: id.to_string(),
        }),
    }
}

/// dd/mm/yyyy in Vietnam's time zone, of a time in microseconds.
fn vn_date(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or(jiff::tz::TimeZone::UTC))
        .strftime("%d/%m/%Y")
        .to_string()
}
