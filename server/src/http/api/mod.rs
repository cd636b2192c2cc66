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

use super::AppState;

pub use auth::ApiAuth;
pub use error::ApiError;

pub fn router() -> Router<AppState> {
    let v1 = Router::new()
        .merge(messages::router())
        .merge(archive::router())
        .merge(restores::router())
        .merge(segments::router())
        .merge(events::router())
        .merge(tags::router())
        .merge(openapi::router())
        .fallback(|| async { ApiError::not_found("no such API endpoint") });
    Router::new().nest("/api/v1", v1)
}
