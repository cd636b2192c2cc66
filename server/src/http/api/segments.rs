//! `/api/v1/segments` and message audiences: saved filters, exact
//! evaluation (count, users, CSV), and what a message retargets.

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use recall::engine::Scope;
use recall::service::segments::MAX_PAGE;
use recall::types::{
    AudienceInput, AudienceView, EvaluateInput, Evaluation, SegmentInput, SegmentView, UserPage,
};

use super::error::{ApiPath, ErrorBody, RawBody, parse_id, parse_json};
use super::{ApiAuth, ApiError};
use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/segments", post(create).get(list))
        .route("/segments/evaluate", post(evaluate_unsaved))
        .route("/segments/{id}", get(show).put(replace).delete(remove))
        .route("/segments/{id}/evaluate", get(evaluate_saved))
        .route("/segments/{id}/users", get(users))
        .route("/messages/{id}/audience", get(audience).put(set_audience))
}

/// Save a filter as a named segment.
#[utoipa::path(post, path = "/api/v1/segments", tag = "segments", request_body = SegmentInput,
    responses((status = 201, body = SegmentView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn create(
    State(state): State<AppState>,
    auth: ApiAuth,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    auth.require(Scope::Manage)?;
    let input: SegmentInput = parse_json(&body)?;
    let engine = &state.engine;
    let view = engine
        .create_segment(&auth.actor, &input, engine.now())
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/segments", tag = "segments",
    responses((status = 200, body = Vec<SegmentView>)), security(("api_key" = [])))]
async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<SegmentView>>, ApiError> {
    auth.require(Scope::Read)?;
    let engine = &state.engine;
    let all = engine.list_segments(&auth.actor, engine.now()).await?;
    Ok(Json(all.into_iter().map(|s| s.segment).collect()))
}

#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "segments",
    params(("id" = i64, Path, minimum = 1)), responses((status = 200, body = SegmentView), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SegmentView>, ApiError> {
    auth.require(Scope::Read)?;
    let id = parse_id(&id, "segment")?;
    Ok(Json(state.engine.segment(&auth.actor, id).await?))
}

/// Replace a segment's name and filter. When an active message uses it,
/// expired data its specific filters name is restored automatically.
#[utoipa::path(put, path = "/api/v1/segments/{id}", tag = "segments", request_body = SegmentInput,
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = SegmentView), (status = 404, body = ErrorBody),
        (status = 409, description = "Another segment has that name", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn replace(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<Json<SegmentView>, ApiError> {
    auth.require(Scope::Manage)?;
    let id = parse_id(&id, "segment")?;
    let input: SegmentInput = parse_json(&body)?;
    let engine = &state.engine;
    let (view, _restore) = engine
        .update_segment(&auth.actor, id, &input, engine.now())
        .await?;
    Ok(Json(view))
}

/// Delete a segment; 409 while a message's audience includes it.
#[utoipa::path(delete, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = i64, Path, minimum = 1)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
async fn remove(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Manage)?;
    let id = parse_id(&id, "segment")?;
    let engine = &state.engine;
    engine.delete_segment(&auth.actor, id, engine.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Exact count of an unsaved filter, marked incomplete when it needed
/// expired data.
#[utoipa::path(post, path = "/api/v1/segments/evaluate", tag = "segments", request_body = EvaluateInput,
    responses((status = 200, body = Evaluation), (status = 422, body = ErrorBody)), security(("api_key" = [])))]
async fn evaluate_unsaved(
    State(state): State<AppState>,
    auth: ApiAuth,
    RawBody(body): RawBody,
) -> Result<Json<Evaluation>, ApiError> {
    auth.require(Scope::Read)?;
    let input: EvaluateInput = parse_json(&body)?;
    let engine = &state.engine;
    Ok(Json(
        engine
            .evaluate(&auth.actor, &input.filter, &[], engine.now())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/segments/{id}/evaluate", tag = "segments", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Evaluation), (status = 404, body = ErrorBody)), security(("api_key" = [])))]
async fn evaluate_saved(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Evaluation>, ApiError> {
    auth.require(Scope::Read)?;
    let id = parse_id(&id, "segment")?;
    let engine = &state.engine;
    Ok(Json(
        engine
            .evaluate_segment(&auth.actor, id, engine.now())
            .await?,
    ))
}

/// The segment's users: JSON pages (`after`, `limit` up to 10,000) or, with
/// `format=csv`, every user as one CSV download.
#[utoipa::path(get, path = "/api/v1/segments/{id}/users", tag = "segments",
    params(("id" = i64, Path, minimum = 1), ("format" = inline(Option<UsersFormat>), Query, description = "Default json"),
        ("after" = Option<i64>, Query, minimum = 0, description = "next_cursor of the previous page"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 10000, description = "Default 1000")),
    responses((status = 200, description = "A page of users, or with format=csv every user", content((UserPage = "application/json"), (String = "text/csv"))), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn users(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    auth.require(Scope::Read)?;
    let id = parse_id(&id, "segment")?;
    let (mut csv, mut after, mut limit) = (false, 0_i64, 1000_i64);
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        // Out of range is an error, not a silent clamp: the document
        // states the range.
        let number = |min: i64, max: i64| {
            value
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    recall::Error::invalid(format!("{key} must be an integer from {min} to {max}"))
                })
        };
        match key.as_ref() {
            "format" if value == "csv" => csv = true,
            "format" if value == "json" => csv = false,
            "format" => return Err(recall::Error::invalid("format must be json or csv").into()),
            "after" => after = number(0, i64::MAX)?,
            "limit" => limit = number(1, MAX_PAGE)?,
            other => {
                return Err(
                    recall::Error::invalid(format!("unknown query parameter {other:?}")).into(),
                );
            }
        }
    }
    let engine = &state.engine;
    let now = engine.now();
    if !csv {
        let page = engine
            .segment_users(&auth.actor, id, after, limit, now)
            .await?;
        return Ok(Json(page).into_response());
    }
    let mut out = String::from("user_id\n");
    let mut cursor = 0;
    loop {
        let page = engine
            .segment_users(&auth.actor, id, cursor, MAX_PAGE, now)
            .await?;
        for user in &page.users {
            out.push_str(&csv_field(user));
            out.push('\n');
        }
        match page.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    let mut response = out.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"segment-{id}-users.csv\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The answer format of a segment's users, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum UsersFormat {
    Json,
    Csv,
}

/// RFC 4180 quoting, plus a leading quote mark against spreadsheet
/// formula injection.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[utoipa::path(get, path = "/api/v1/messages/{id}/audience", tag = "segments", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = AudienceView), (status = 404, body = ErrorBody)), security(("api_key" = [])))]
async fn audience(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AudienceView>, ApiError> {
    auth.require(Scope::Read)?;
    let id = parse_id(&id, "message")?;
    Ok(Json(
        state
            .engine
            .audience(&auth.actor, id, state.engine.now())
            .await?,
    ))
}

/// Replace a message's audience: its filters AND-ed with the listed
/// segments. For an active message, expired data named by a specific
/// filter is restored automatically (`restore_id`).
#[utoipa::path(put, path = "/api/v1/messages/{id}/audience", tag = "segments", params(("id" = i64, Path, minimum = 1)),
    request_body = AudienceInput,
    responses((status = 200, body = AudienceView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
async fn set_audience(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<Json<AudienceView>, ApiError> {
    auth.require(Scope::Manage)?;
    let id = parse_id(&id, "message")?;
    let input: AudienceInput = parse_json(&body)?;
    let engine = &state.engine;
    Ok(Json(
        engine
            .set_audience(&auth.actor, id, &input, engine.now())
            .await?,
    ))
}
