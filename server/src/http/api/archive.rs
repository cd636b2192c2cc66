//! Retention of one message: pin and unpin its hot data, and download its
//! raw events wherever they are (the "limited availability" of expired
//! data, beside aggregates that never expire).

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use recall::engine::Scope;
use recall::types::{MessageDetail, PinInput};

use super::error::{ApiPath, ErrorBody, RawBody, parse_id, parse_json};
use super::{ApiAuth, ApiError};
use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/{id}/pin", post(pin).delete(unpin))
        // POST keeps meaning "archive the message" (the lifecycle action).
        .route(
            "/messages/{id}/archive",
            get(download).post(super::messages::archive_action),
        )
}

/// Keep this message's data available (pin), optionally until a date.
#[utoipa::path(post, path = "/api/v1/messages/{id}/pin", tag = "retention",
    params(("id" = i64, Path, minimum = 1, description = "Message id")),
    request_body(content = Option<PinInput>, description = "Optional; no body pins until unpinned"),
    responses((status = 200, body = MessageDetail), (status = 404, body = ErrorBody),
        (status = 409, description = "Data is in long-term storage; restore first", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn pin(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<Json<MessageDetail>, ApiError> {
    auth.require(Scope::Manage)?;
    let id = parse_id(&id, "message")?;
    // No body and a JSON `null` both mean "no end date". A body of only
    // whitespace is neither: it is not JSON, so it gets a 400.
    let input: PinInput = if body.is_empty() || body.trim_ascii() == b"null" {
        PinInput::default()
    } else {
        parse_json(&body)?
    };
    let engine = &state.engine;
    Ok(Json(
        engine
            .pin(&auth.actor, id, input.until, engine.now())
            .await?,
    ))
}

/// Stop keeping the data; its retention window starts again now.
#[utoipa::path(delete, path = "/api/v1/messages/{id}/pin", tag = "retention",
    params(("id" = i64, Path, minimum = 1, description = "Message id")),
    responses((status = 200, body = MessageDetail), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
async fn unpin(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MessageDetail>, ApiError> {
    auth.require(Scope::Manage)?;
    let id = parse_id(&id, "message")?;
    let engine = &state.engine;
    Ok(Json(engine.unpin(&auth.actor, id, engine.now()).await?))
}

/// Every event of the message as NDJSON, in the shape `POST /events`
/// accepts: long-term storage segments (each checked against its manifest
/// checksum and row count) followed by hot rows.
#[utoipa::path(get, path = "/api/v1/messages/{id}/archive", tag = "retention",
    params(("id" = i64, Path, minimum = 1, description = "Message id")),
    responses((status = 200, description = "NDJSON, one event per line", content_type = "application/x-ndjson"),
        (status = 404, body = ErrorBody),
        (status = 503, description = "Long-term storage unavailable", body = ErrorBody)),
    security(("api_key" = [])))]
async fn download(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    auth.require(Scope::Read)?;
    let id = parse_id(&id, "message")?;
    let mut export = state.engine.export(&auth.actor, id).await?;
    // Read the first chunk before answering, so a missing or corrupt first
    // segment is a proper error status rather than a cut-off body.
    let first = export.next_chunk().await?;
    let rest = futures::stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), Some(export))),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    let head = futures::stream::iter(first.map(|c| Ok::<_, std::io::Error>(Bytes::from(c))));
    let body = Body::from_stream(futures::StreamExt::chain(head, rest));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"message-{id}-events.ndjson\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
