//! `/api/v1/tags`: list with counts, rename, merge.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use recall::engine::Scope;
use recall::types::TagCount;
use serde::Deserialize;

use super::error::{ErrorBody, RawBody, parse_json};
use super::{ApiAuth, ApiError};
use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tags", get(list))
        .route("/tags/rename", post(rename))
        .route("/tags/merge", post(merge))
}

/// Every tag with the number of messages carrying it.
#[utoipa::path(get, path = "/api/v1/tags", tag = "tags",
    responses((status = 200, body = Vec<TagCount>)), security(("api_key" = [])))]
async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<TagCount>>, ApiError> {
    auth.require(Scope::Read)?;
    Ok(Json(state.engine.list_tags(&auth.actor).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RenameTag {
    /// An existing tag.
    #[schema(max_length = 64, pattern = "^[\\w .:/-]*[\\w.:/-][\\w .:/-]*$")]
    from: String,
    /// Letters, digits, spaces and `- _ . : /`; an existing tag merges.
    #[schema(max_length = 64, pattern = "^[\\w .:/-]*[\\w.:/-][\\w .:/-]*$")]
    to: String,
}

/// Rename a tag; renaming onto an existing tag merges the two.
#[utoipa::path(post, path = "/api/v1/tags/rename", tag = "tags", request_body = RenameTag,
    responses((status = 200, body = Vec<TagCount>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn rename(
    State(state): State<AppState>,
    auth: ApiAuth,
    RawBody(body): RawBody,
) -> Result<Json<Vec<TagCount>>, ApiError> {
    auth.require(Scope::Manage)?;
    let req: RenameTag = parse_json(&body)?;
    let engine = &state.engine;
    Ok(Json(
        engine
            .rename_tag(&auth.actor, &req.from, &req.to, engine.now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MergeTags {
    #[schema(min_items = 1)]
    from: Vec<String>,
    /// Letters, digits, spaces and `- _ . : /`.
    #[schema(max_length = 64, pattern = "^[\\w .:/-]*[\\w.:/-][\\w .:/-]*$")]
    into: String,
}

/// Merge several tags into one.
#[utoipa::path(post, path = "/api/v1/tags/merge", tag = "tags", request_body = MergeTags,
    responses((status = 200, body = Vec<TagCount>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn merge(
    State(state): State<AppState>,
    auth: ApiAuth,
    RawBody(body): RawBody,
) -> Result<Json<Vec<TagCount>>, ApiError> {
    auth.require(Scope::Manage)?;
    let req: MergeTags = parse_json(&body)?;
    let engine = &state.engine;
    Ok(Json(
        engine
            .merge_tags(&auth.actor, &req.from, &req.into, engine.now())
            .await?,
    ))
}
