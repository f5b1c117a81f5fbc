//! `/me`, `/dashboard` and `/audit`.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::Json;
use canhgac_model::{AuditEntry, AuditFilter, Id, Page, SystemKind, User};
use canhgac_store::Dashboard;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiQuery};
use super::paging::{listing, page_request};
use super::require_admin;
use crate::auth::Caller;
use crate::AppState;

/// The caller.
#[utoipa::path(get, operation_id = "me", path = "/api/v1/me", tag = "account",
    responses((status = 200, description = "The signed-in user", body = User)))]
pub async fn me(caller: Caller) -> Json<User> {
    Json(caller.user)
}

/// Systems of one kind on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KindCount {
    /// The kind.
    pub kind: SystemKind,
    /// Systems of that kind in scope.
    pub systems: u64,
}

/// One unit's counts on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitCountsView {
    /// Unit id.
    pub unit_id: Id,
    /// Unit name.
    pub unit_name: String,
    /// Systems it owns.
    pub systems: u64,
    /// Assets of those systems.
    pub assets: u64,
}

/// Counts within the caller's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DashboardView {
    /// Units in scope.
    pub units: u64,
    /// Systems in scope.
    pub systems: u64,
    /// Assets in scope.
    pub assets: u64,
    /// Contacts in scope.
    pub contacts: u64,
    /// Systems per kind (kinds with none are omitted).
    pub systems_by_kind: Vec<KindCount>,
    /// Per unit owning systems, most systems first.
    pub per_unit: Vec<UnitCountsView>,
}

impl From<Dashboard> for DashboardView {
    fn from(d: Dashboard) -> Self {
        Self {
            units: d.units,
            systems: d.systems,
            assets: d.assets,
            contacts: d.contacts,
            systems_by_kind: d
                .systems_by_kind
                .into_iter()
                .map(|(kind, systems)| KindCount { kind, systems })
                .collect(),
            per_unit: d
                .per_unit
                .into_iter()
                .map(|u| UnitCountsView {
                    unit_id: u.unit_id,
                    unit_name: u.unit_name,
                    systems: u.systems,
                    assets: u.assets,
                })
                .collect(),
        }
    }
}

/// Counts of units, systems, assets and contacts in the caller's scope.
#[utoipa::path(get, operation_id = "dashboard", path = "/api/v1/dashboard", tag = "account",
    responses((status = 200, description = "Counts in scope", body = DashboardView)))]
pub async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<DashboardView>, ApiError> {
    Ok(Json(state.store.dashboard(&caller.scope()).await?.into()))
}

/// Query of `GET /directive`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectiveQuery {
    /// Days within which a system counts as scanned (1–366, default 30).
    pub days: Option<i64>,
}

/// How far each unit in the caller's scope meets the directive: measured facts per unit.
#[utoipa::path(get, operation_id = "directive", path = "/api/v1/directive", tag = "account",
    params(DirectiveQuery),
    responses((status = 200, description = "Facts per unit, in tree order",
        body = [crate::console::directive::UnitDirective])))]
pub async fn directive(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Query(query): axum::extract::Query<DirectiveQuery>,
) -> Result<Json<Vec<crate::console::directive::UnitDirective>>, ApiError> {
    let days = query
        .days
        .unwrap_or(crate::console::directive::DEFAULT_SCAN_DAYS);
    if !(1..=366).contains(&days) {
        return Err(ApiError::invalid("days", "must be from 1 to 366"));
    }
    let rows = crate::console::directive::directive_rows(&state, &caller.scope(), days).await?;
    Ok(Json(rows))
}

/// Filters of `GET /audit`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Only this kind of record (`unit`, `system`, `user`...).
    pub entity: Option<String>,
    /// Only this record.
    pub entity_id: Option<Id>,
    /// Only this actor name.
    pub actor: Option<String>,
}

/// The audit log, newest first (admins).
#[utoipa::path(get, operation_id = "audit", path = "/api/v1/audit", tag = "account", params(AuditQuery),
    responses((status = 200, description = "A page of audit entries", body = Page<AuditEntry>)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let page = page_request(query.page, query.per_page, None)?;
    let filter = AuditFilter {
        entity: query.entity.filter(|e| !e.trim().is_empty()),
        entity_id: query.entity_id,
        actor: query.actor.filter(|a| !a.trim().is_empty()),
    };
    Ok(listing(&uri, state.store.list_audit(&filter, &page).await?))
}
