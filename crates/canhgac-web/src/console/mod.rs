//! The HTML console (server-rendered, works without JavaScript).

use axum::Router;

use crate::AppState;

/// Routes of the console.
pub fn router() -> Router<AppState> {
    Router::new()
}
