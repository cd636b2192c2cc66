//! `/api/v1/restores`: bring expired interaction data back, preview what a
//! restore would do, and follow its progress.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use recall::engine::Scope;
use recall::types::{RestoreBatch, RestorePreview, RestoreRequest};

use super::error::{ApiPath, ErrorBody, RawBody, parse_id, parse_json};
use super::{ApiAuth, ApiError};
use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/restores", post(request).get(list))
        .route("/restores/preview", post(preview))
        .route("/restores/{id}", get(show))
}

/// Restore some messages (`message_ids`) or every message with a `tag`.
/// Messages already restoring join their running job; others that are not
/// expired are listed under `skipped` with the reason. `notify` names who
/// gets the completion email.
#[utoipa::path(post, path = "/api/v1/restores", tag = "restores",
    request_body = RestoreRequest,
    responses((status = 202, description = "Queued", body = RestoreBatch),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn request(
    State(state): State<AppState>,
    auth: ApiAuth,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<RestoreBatch>), ApiError> {
    auth.require(Scope::Manage)?;
    let input: RestoreRequest = parse_json(&body)?;
    let engine = &state.engine;
    let batch = engine
        .request_restore(&auth.actor, &input, engine.now())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(batch)))
}

/// How many messages, rows and bytes a restore would load, and about how
/// long it would take; nothing is queued.
#[utoipa::path(post, path = "/api/v1/restores/preview", tag = "restores",
    request_body = RestoreRequest,
    responses((status = 200, body = RestorePreview), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn preview(
    State(state): State<AppState>,
    auth: ApiAuth,
    RawBody(body): RawBody,
) -> Result<Json<RestorePreview>, ApiError> {
    auth.require(Scope::Read)?;
    let input: RestoreRequest = parse_json(&body)?;
    Ok(Json(
        state.engine.preview_restore(&auth.actor, &input).await?,
    ))
}

/// A restore batch with each job's status, progress and error.
#[utoipa::path(get, path = "/api/v1/restores/{id}", tag = "restores",
    params(("id" = i64, Path, minimum = 1, description = "Restore batch id")),
    responses((status = 200, body = RestoreBatch), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RestoreBatch>, ApiError> {
    auth.require(Scope::Read)?;
    let id = parse_id(&id, "restore")?;
    Ok(Json(state.engine.restore(&auth.actor, id).await?))
}

/// The 50 most recent restore batches, newest first.
#[utoipa::path(get, path = "/api/v1/restores", tag = "restores",
    responses((status = 200, body = Vec<RestoreBatch>)),
    security(("api_key" = [])))]
async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<RestoreBatch>>, ApiError> {
    auth.require(Scope::Read)?;
    Ok(Json(state.engine.list_restores(&auth.actor).await?))
}
