//! `GET /api/v1/flow`: the ISP network watch as it stands: traffic of the caller's prefix groups
//! (now, the last hour and the last day), their heaviest hosts, attacks in progress and ended,
//! and, for province-wide staff, each exporter's health.

use axum::extract::State;
use axum::Json;
use canhgac_flow::board::BoardSnapshot;
use serde::Serialize;

use super::error::ApiError;
use crate::auth::Caller;
use crate::AppState;

/// The answer of `GET /flow`.
#[derive(Debug, Clone, Serialize)]
pub struct FlowStatus {
    /// False when this server runs no flow collector (`[flow] enabled = false`).
    pub running: bool,
    /// The board, narrowed to the caller's units; absent when not running.
    #[serde(flatten)]
    pub board: Option<BoardSnapshot>,
}

/// Traffic per prefix group (incoming and outgoing packets, bits and flows per second, now and
/// as points of the last hour and day), top hosts, attacks in progress and the last ended ones
/// of the caller's units; exporter counters for province-wide staff only.
#[utoipa::path(get, operation_id = "flow_board", path = "/api/v1/flow", tag = "flow",
    responses((status = 200, description = "`running`, then `updated_ms`, `collector` (admins and analysts), `detector`, `groups`, `active`, `recent`", body = Object)))]
pub async fn board(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<FlowStatus>, ApiError> {
    let Some(board) = &state.flow else {
        return Ok(Json(FlowStatus {
            running: false,
            board: None,
        }));
    };
    let snapshot = crate::flow::scoped_board(state.store.as_ref(), board, &caller.scope()).await?;
    Ok(Json(FlowStatus {
        running: true,
        board: Some(snapshot),
    }))
}
