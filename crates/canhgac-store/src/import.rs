//! Inventory as code: export to a code-referenced document, apply a plan in one transaction.

use canhgac_model::inventory::{InventoryDocument, InventoryPlan, PlanSummary};
use canhgac_model::{Actor, Scope};
use sqlx::AnyConnection;

use crate::{Result, StoreError};

pub(crate) async fn export(_conn: &mut AnyConnection, _scope: &Scope) -> Result<InventoryDocument> {
    Err(StoreError::Corrupt("export not implemented yet".into()))
}

pub(crate) async fn apply(
    _conn: &mut AnyConnection,
    _actor: &Actor,
    _plan: &InventoryPlan,
) -> Result<PlanSummary> {
    Err(StoreError::Corrupt("import not implemented yet".into()))
}
