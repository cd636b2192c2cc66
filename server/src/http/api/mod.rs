//! The REST API under `/api/v1`: JSON, API-key bearer auth, described by
//! the OpenAPI document at `/api/v1/openapi.json`.

mod archive;
mod auth;
mod error;
mod events;
mod messages;
mod openapi;
mod restores;
mod segments;
mod tags;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use super::AppState;

pub use auth::ApiAuth;
pub use error::ApiError;

pub fn router() -> Router<AppState> {
    // Events have their own, larger limit.
    let json_bodies = Router::new()
        .merge(messages::router())
        .merge(archive::router())
        .merge(restores::router())
        .merge(segments::router())
        .merge(tags::router())
        .layer(DefaultBodyLimit::max(error::MAX_JSON_BODY_BYTES));
    let v1 = Router::new()
        .merge(json_bodies)
        .merge(events::router())
        .merge(openapi::router())
        .fallback(|| async { ApiError::not_found("no such API endpoint") })
        .method_not_allowed_fallback(error::method_not_allowed);
    Router::new().nest("/api/v1", v1)
}
