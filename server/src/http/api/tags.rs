//! `/api/v1/tags`: list with counts, rename, merge.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use recall::domain::TagName;
use recall::store::Scope;
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
    Ok(Json(state.db.list_tags(&auth.workspace).await?))
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
    let (from, to) = (TagName::parse(&req.from)?, TagName::parse(&req.to)?);
    state.db.rename_tag(&auth.workspace, &from, &to).await?;
    Ok(Json(state.db.list_tags(&auth.workspace).await?))
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
    if req.from.is_empty() {
        return Err(recall::Error::invalid("from must name at least one tag").into());
    }
    let from = TagName::parse_all(&req.from)?;
    let into = TagName::parse(&req.into)?;
    state.db.merge_tags(&auth.workspace, &from, &into).await?;
    Ok(Json(state.db.list_tags(&auth.workspace).await?))
}
