//! The JSON API under `/api/v1`, and the operational endpoints `/healthz` and `/metrics`.

use axum::Router;

use crate::AppState;

/// Routes nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
}

/// `/healthz` and `/metrics`.
pub fn ops_router() -> Router<AppState> {
    Router::new()
}
