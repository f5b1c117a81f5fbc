//! The directive dashboard's facts per unit: a handful of grouped counts over systems, scan
//! runs, findings, monitors and recorded backups, each scoped like every other query.

use std::collections::HashMap;

use canhgac_model::directive::UnitDirectiveFacts;
use canhgac_model::finding::category;
use canhgac_model::{Id, Scope, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::query::Sql;
use crate::rows::micros;
use crate::sql::{scope_paths, Paths, SqlStore};
use crate::Result;

/// Finding categories of malware on the unit's machines (clause 1b).
const MALWARE: &[&str] = &[
    category::WEBSHELL,
    category::MALWARE_FILE,
    category::MALICIOUS_HASH,
];

/// Finding categories of account hygiene and leaked addresses (clauses 1e and 2b).
const ACCOUNTS: &[&str] = &[
    category::BREACHED_PASSWORD,
    category::SHARED_PASSWORD,
    category::EMPTY_PASSWORD,
    category::LM_HASH,
    category::EMAIL_BREACHED,
    category::EMAIL_ON_SOCIAL_SITE,
];

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn push_in(sql: &mut Sql, values: &[&str]) {
    sql.push("(");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(value.to_string());
    }
    sql.push(")");
}

/// Runs a `SELECT unit, n1, n2...` grouped query and hands each row's counts to `apply`.
async fn per_unit(
    conn: &mut AnyConnection,
    sql: Sql,
    facts: &mut HashMap<Id, UnitDirectiveFacts>,
    apply: impl Fn(&mut UnitDirectiveFacts, &[u64]),
) -> Result<()> {
    for row in sql.query().fetch_all(&mut *conn).await? {
        let Some(unit) = row.try_get::<Option<Id>, _>(0)? else {
            continue;
        };
        let mut values = Vec::with_capacity(row.len().saturating_sub(1));
        for i in 1..row.len() {
            values.push(count(row.try_get::<i64, _>(i)?));
        }
        if let Some(entry) = facts.get_mut(&unit) {
            apply(entry, &values);
        }
    }
    Ok(())
}

impl SqlStore {
    pub(crate) async fn directive_facts_impl(
        &self,
        scope: &Scope,
        scanned_since: Timestamp,
    ) -> Result<Vec<UnitDirectiveFacts>> {
        let mut conn = self.pool.acquire().await?;
        let paths: Paths = scope_paths(&mut conn, scope).await?;
        let mut units = Sql::new("SELECT id, name, kind FROM units WHERE 1 = 1");
        if let Some(prefixes) = &paths {
            units.push(" AND ");
            units.push_path_scope("path", prefixes);
        }
        units.push(" ORDER BY path");
        let mut order = Vec::new();
        let mut facts: HashMap<Id, UnitDirectiveFacts> = HashMap::new();
        for row in units.query().fetch_all(&mut *conn).await? {
            let unit_id: Id = row.try_get(0)?;
            order.push(unit_id);
            facts.insert(
                unit_id,
                UnitDirectiveFacts {
                    unit_id,
                    unit_name: row.try_get(1)?,
                    unit_kind: row.try_get(2)?,
                    ..UnitDirectiveFacts::default()
                },
            );
        }
        if order.is_empty() {
            return Ok(Vec::new());
        }
        // Every query below groups by a unit id and keeps only units in `facts` (in scope).
        let systems =
            Sql::new("SELECT owner_unit_id, COUNT(*) FROM systems GROUP BY owner_unit_id");
        per_unit(&mut conn, systems, &mut facts, |f, v| f.systems = v[0]).await?;

        let mut scanned = Sql::new(
            "SELECT s.owner_unit_id, COUNT(DISTINCT r.system_id) FROM scan_runs r \
             JOIN systems s ON s.id = r.system_id WHERE r.status = 'done' AND r.finished_at >= ",
        );
        scanned.bind(micros(scanned_since));
        scanned.push(" GROUP BY s.owner_unit_id");
        per_unit(&mut conn, scanned, &mut facts, |f, v| {
            f.systems_scanned = v[0]
        })
        .await?;

        let mut findings = Sql::new(
            "SELECT unit_id, \
             SUM(CASE WHEN status IN ('open', 'reopened') AND severity_rank >= 3 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status IN ('open', 'reopened') \
                 AND evidence LIKE '%\"known_exploited\":true%' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status IN ('open', 'reopened') AND category IN ",
        );
        push_in(&mut findings, MALWARE);
        findings.push(" THEN 1 ELSE 0 END), SUM(CASE WHEN category IN ");
        push_in(&mut findings, ACCOUNTS);
        findings.push(
            " THEN 1 ELSE 0 END), SUM(CASE WHEN status IN ('open', 'reopened') AND category IN ",
        );
        push_in(&mut findings, ACCOUNTS);
        findings
            .push(" THEN 1 ELSE 0 END) FROM findings WHERE unit_id IS NOT NULL GROUP BY unit_id");
        per_unit(&mut conn, findings, &mut facts, |f, v| {
            f.open_serious_findings = v[0];
            f.open_kev_findings = v[1];
            f.open_malware_findings = v[2];
            f.account_findings = v[3];
            f.account_findings_open = v[4];
        })
        .await?;

        let monitors = Sql::new(
            "SELECT s.owner_unit_id, COUNT(*), \
             SUM(CASE WHEN m.status = 'up' THEN 1 ELSE 0 END) FROM monitors m \
             JOIN assets a ON a.id = m.asset_id JOIN systems s ON s.id = a.system_id \
             WHERE m.enabled = 1 GROUP BY s.owner_unit_id",
        );
        per_unit(&mut conn, monitors, &mut facts, |f, v| {
            f.monitors = v[0];
            f.monitors_up = v[1];
        })
        .await?;

        let cutoff = crate::redundancy::today()
            .checked_sub(jiff::Span::new().days(canhgac_model::redundancy::FAILOVER_TEST_DAYS))
            .unwrap_or(jiff::civil::Date::MIN);
        let mut backups = Sql::new(
            "SELECT s.owner_unit_id, COUNT(*), \
             SUM(CASE WHEN r.last_failover_test >= ",
        );
        // ISO dates compare as text.
        backups.bind(cutoff.to_string());
        backups.push(
            " THEN 1 ELSE 0 END) FROM system_redundancy r JOIN systems s ON s.id = r.system_id \
             WHERE r.backup_system_id IS NOT NULL OR r.backup_description <> '' \
             GROUP BY s.owner_unit_id",
        );
        per_unit(&mut conn, backups, &mut facts, |f, v| {
            f.systems_with_backup = v[0];
            f.backups_tested = v[1];
        })
        .await?;

        Ok(order
            .into_iter()
            .filter_map(|id| facts.remove(&id))
            .collect())
    }
}
