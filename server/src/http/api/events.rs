//! `POST /api/v1/events`: interaction events in batches of up to 10,000.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use recall::domain::batch::BodyFormat;
use recall::engine::Scope;
use recall::types::{EventInput, IngestResult};

use super::error::ErrorBody;
use super::{ApiAuth, ApiError};
use crate::http::AppState;

/// 10,000 events of a few hundred bytes each fit with room to spare.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", post(post_events))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// Request body of `POST /api/v1/events` (JSON form).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct EventBatch {
    /// At most 10,000.
    #[schema(min_items = 1, max_items = 10000)]
    events: Vec<EventInput>,
}

/// Ingest events. Send `application/json` (`{"events": [...]}`) or
/// `application/x-ndjson` (one event per line). Valid events are stored even
/// when others are rejected; the answer comes after they are durable. An id
/// already stored for its message, hot or in long-term storage, counts as
/// a duplicate.
#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    request_body(content = EventBatch, content_type = "application/json"),
    responses(
        (status = 200, description = "Per-item outcome", body = IngestResult),
        (status = 400, description = "Unreadable body", body = ErrorBody),
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 422, description = "Not a batch, empty, or over 10,000 events", body = ErrorBody),
        (status = 503, description = "Long-term storage could not be checked for ids sent before their message expired; nothing was stored, send the batch again", body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn post_events(
    State(state): State<AppState>,
    auth: ApiAuth,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResult>, ApiError> {
    auth.require(Scope::Ingest)?;
    let body = body?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let format = if content_type.starts_with("application/x-ndjson")
        || content_type.starts_with("application/jsonl")
    {
        BodyFormat::NdJson
    } else {
        BodyFormat::Json
    };
    let engine = &state.engine;
    let result = engine
        .ingest(&auth.actor, &body, format, engine.now())
        .await?;
    Ok(Json(result))
}
