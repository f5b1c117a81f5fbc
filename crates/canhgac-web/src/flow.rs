//! The ISP network watch as the web layer sees it: the [`FlowBoard`] the server's flow
//! collector keeps, narrowed to the caller's units. The board itself (exporter health, group
//! traffic, attacks) is `canhgac-flow`'s; this room only scopes it.

use std::collections::HashSet;

use canhgac_flow::board::{BoardSnapshot, FlowBoard};
use canhgac_model::Scope;
use canhgac_store::{Store, StoreError};

/// What `scope` may see of `board`: every group and attack of its units (and their
/// descendants); the routers' counters only for province-wide staff.
pub async fn scoped_board(
    store: &dyn Store,
    board: &FlowBoard,
    scope: &Scope,
) -> Result<BoardSnapshot, StoreError> {
    let snapshot = board.snapshot();
    if scope.is_all() {
        return Ok(snapshot);
    }
    let visible: HashSet<i64> = store
        .unit_briefs(scope)
        .await?
        .into_iter()
        .map(|unit| unit.id)
        .collect();
    Ok(snapshot.scoped(false, |unit| visible.contains(&unit)))
}
