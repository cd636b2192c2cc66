//! Liveness and readiness probes for orchestrators and load balancers.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process is up and serving HTTP.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can do its job: the database answers. Until the segment
/// bitmaps are built it says so (counts are exact meanwhile, from SQL,
/// only slower).
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.engine.ping().await {
        Ok(()) if state.engine.segment_index_built().await => (StatusCode::OK, "ready"),
        Ok(()) => (StatusCode::OK, "ready; building segment bitmaps"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
