//! Redundancy of systems (directive clause 3): each protected system's backup and last failover
//! test, scoped like the systems themselves (the owner or operator unit in the caller's scope).

use canhgac_model::redundancy::{Redundancy, RedundancyInput};
use canhgac_model::{Actor, Date, FieldError, Id, Scope};
use sqlx::{AnyConnection, Row};

use crate::rows::{micros, now, ts};
use crate::scans::scoped_system_owner;
use crate::sql::{scope_paths, AuditRow, SqlStore};
use crate::{Result, StoreError};

/// Today in Hà Nội, the day failover tests are judged by.
pub(crate) fn today() -> Date {
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or(jiff::tz::TimeZone::UTC);
    now().to_zoned(zone).date()
}

async fn load(conn: &mut AnyConnection, system_id: Id) -> Result<Option<Redundancy>> {
    let row = sqlx::query(
        "SELECT system_id, backup_system_id, backup_description, last_failover_test, updated_at \
         FROM system_redundancy WHERE system_id = $1",
    )
    .bind(system_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let last_failover_test = row
        .try_get::<Option<String>, _>(3)?
        .map(|text| {
            text.parse::<Date>().map_err(|_| {
                StoreError::Corrupt(format!("system_redundancy.last_failover_test: {text:?}"))
            })
        })
        .transpose()?;
    Ok(Some(Redundancy {
        system_id: row.try_get(0)?,
        backup_system_id: row.try_get(1)?,
        backup_description: row.try_get(2)?,
        last_failover_test,
        updated_at: ts(&row, "system_redundancy", "updated_at")?,
    }))
}

impl SqlStore {
    pub(crate) async fn get_redundancy_impl(
        &self,
        scope: &Scope,
        system_id: Id,
    ) -> Result<Option<Redundancy>> {
        let mut conn = self.pool.acquire().await?;
        let paths = scope_paths(&mut conn, scope).await?;
        scoped_system_owner(&mut conn, &paths, system_id).await?;
        load(&mut conn, system_id).await
    }

    pub(crate) async fn set_redundancy_impl(
        &self,
        actor: &Actor,
        system_id: Id,
        mut input: RedundancyInput,
    ) -> Result<Redundancy> {
        input.validate(system_id, today())?;
        let mut w = self.begin_write().await?;
        let conn = &mut *w.tx;
        let paths = scope_paths(conn, &actor.scope).await?;
        scoped_system_owner(conn, &paths, system_id).await?;
        if let Some(backup) = input.backup_system_id {
            // The backup must be a system the caller may see, like the one it protects.
            if scoped_system_owner(conn, &paths, backup).await.is_err() {
                return Err(FieldError::new(
                    "backup_system_id",
                    format!("không có hệ thống #{backup} / no system #{backup}"),
                )
                .into());
            }
        }
        let before = load(conn, system_id).await?;
        sqlx::query("DELETE FROM system_redundancy WHERE system_id = $1")
            .bind(system_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO system_redundancy (system_id, backup_system_id, backup_description, \
             last_failover_test, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(system_id)
        .bind(input.backup_system_id)
        .bind(input.backup_description.clone())
        .bind(input.last_failover_test.map(|day| day.to_string()))
        .bind(micros(now()))
        .execute(&mut *conn)
        .await?;
        let after = load(conn, system_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("system_redundancy: row not written".into()))?;
        let audit = match &before {
            Some(before) => AuditRow::updated("system_redundancy", system_id, before, &after),
            None => AuditRow::created("system_redundancy", system_id, &after),
        };
        w.commit_audited(actor, audit).await?;
        Ok(after)
    }
}
