//! `/api/v1/messages`: create, read, list, edit and move through the
//! lifecycle.

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use recall::domain::Transition;
use recall::engine::Scope;
use recall::types::{
    DataState, MessageDetail, MessageInput, MessageKind, MessageListQuery, MessagePatch,
    MessageStatus, MessageSummary, Page, SortKey,
};

use super::error::{ApiPath, ErrorBody, RawBody, parse_id, parse_json};
use super::{ApiAuth, ApiError};
use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages", post(create).get(list))
        .route("/messages/{id}", get(show).patch(edit))
        .route("/messages/{id}/{action}", post(act))
}

/// Create a campaign or Canvas (as a draft).
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages",
    request_body = MessageInput,
    responses(
        (status = 201, description = "Created", body = MessageDetail),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn create(
    State(state): State<AppState>,
    auth: ApiAuth,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<MessageDetail>), ApiError> {
    auth.require(Scope::Manage)?;
    let input: MessageInput = parse_json(&body)?;
    let engine = &state.engine;
    let message = engine
        .create_message(&auth.actor, input, engine.now())
        .await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// One message with its data state and aggregates.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = i64, Path, minimum = 1, description = "Message id")),
    responses((status = 200, body = MessageDetail), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MessageDetail>, ApiError> {
    auth.require(Scope::Read)?;
    let id = parse_id(&id, "message")?;
    let engine = &state.engine;
    Ok(Json(engine.message(&auth.actor, id, engine.now()).await?))
}

/// Edit name, description, tags or channel. An edit counts as activity.
#[utoipa::path(patch, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = i64, Path, minimum = 1, description = "Message id")),
    request_body = MessagePatch,
    responses((status = 200, body = MessageDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn edit(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<Json<MessageDetail>, ApiError> {
    auth.require(Scope::Manage)?;
    let id = parse_id(&id, "message")?;
    let patch: MessagePatch = parse_json(&body)?;
    let engine = &state.engine;
    Ok(Json(
        engine
            .edit_message(&auth.actor, id, patch, engine.now())
            .await?,
    ))
}

/// A lifecycle action, for the OpenAPI document (the handler parses the
/// path segment itself so that anything else is a 404 that says why).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum Action {
    Start,
    Stop,
    Archive,
    Unarchive,
}

/// `start`, `stop`, `archive` or `unarchive`; 409 when not allowed now.
/// Starting a message whose data expired queues its restore.
#[utoipa::path(post, path = "/api/v1/messages/{id}/{action}", tag = "messages",
    params(("id" = i64, Path, minimum = 1, description = "Message id"), ("action" = inline(Action), Path)),
    responses((status = 200, body = MessageDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
async fn act(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath((id, action)): ApiPath<(String, String)>,
) -> Result<Json<MessageDetail>, ApiError> {
    auth.require(Scope::Manage)?;
    let id = parse_id(&id, "message")?;
    let transition = Transition::parse(&action).map_err(|e| ApiError::not_found(e.to_string()))?;
    let engine = &state.engine;
    Ok(Json(
        engine
            .change_status(&auth.actor, id, transition, engine.now())
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/messages/{id}/archive", tag = "messages",
    params(("id" = i64, Path, minimum = 1, description = "Message id")),
    responses((status = 200, body = MessageDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub(super) async fn archive_action(
    state: State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MessageDetail>, ApiError> {
    act(state, auth, ApiPath((id, "archive".to_string()))).await
}

/// List with the same filters as the dashboard. `tag` may repeat; every
/// tag must match.
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages",
    params(
        ("q" = Option<String>, Query, description = "Name contains (case-insensitive)"),
        ("tag" = Option<Vec<String>>, Query, description = "Tag; repeat for several"),
        ("kind" = Option<MessageKind>, Query),
        ("status" = Option<MessageStatus>, Query, description = "Default: all but archived"),
        ("data_state" = Option<DataState>, Query),
        ("sort" = Option<String>, Query, description = "last_activity | name | created"),
        ("dir" = Option<String>, Query, description = "asc | desc"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 2147483647),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Default 50"),
    ),
    responses((status = 200, body = Page<MessageSummary>), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<MessageSummary>>, ApiError> {
    auth.require(Scope::Read)?;
    let query = parse_list_query(raw.as_deref().unwrap_or(""))?;
    let engine = &state.engine;
    Ok(Json(
        engine
            .list_messages(&auth.actor, &query, engine.now())
            .await?,
    ))
}

/// Strict: an unknown value is an error here (scripts should learn of
/// typos), unlike the dashboard, which falls back to defaults.
fn parse_list_query(raw: &str) -> Result<MessageListQuery, ApiError> {
    let mut query = MessageListQuery::default();
    // Out of range is an error too, not a silent clamp: the OpenAPI
    // document states the range.
    let number = |key: &str, value: &str, max: u32| {
        value
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::from(recall::Error::invalid(format!(
                    "{key} must be an integer from 1 to {max}"
                )))
            })
    };
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "q" => query.q = value.into_owned(),
            "tag" => query.tags.push(value.into_owned()),
            "kind" => query.kind = Some(value.parse()?),
            "status" => query.status = Some(value.parse()?),
            "data_state" => query.data_state = Some(value.parse()?),
            "sort" => {
                query.sort = SortKey::parse(&value).ok_or_else(|| {
                    recall::Error::invalid("sort must be last_activity, name or created")
                })?
            }
            "dir" => {
                query.descending = match value.as_ref() {
                    "asc" => false,
                    "desc" => true,
                    _ => return Err(recall::Error::invalid("dir must be asc or desc").into()),
                }
            }
            // int32 in the document; no list has two billion pages.
            "page" => query.page = number("page", &value, i32::MAX as u32)?,
            "per_page" => {
                query.per_page = number("per_page", &value, MessageListQuery::MAX_PER_PAGE)?
            }
            other => {
                return Err(
                    recall::Error::invalid(format!("unknown query parameter {other:?}")).into(),
                );
            }
        }
    }
    Ok(query.normalized())
}
