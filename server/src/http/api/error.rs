//! API errors: always JSON `{"error": "..."}` with a status that fits.
//! Internal details are logged where they happen and never sent.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words meant for the caller.
    pub error: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<recall::Error> for ApiError {
    fn from(err: recall::Error) -> Self {
        let status =
            StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, err.to_string())
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "request body is larger than the {} MiB limit",
                super::events::MAX_BODY_BYTES / (1024 * 1024)
            )
        } else {
            "request body could not be read".to_string()
        };
        Self::new(status, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        // axum's own text ("Invalid URL: Invalid UTF-8 in `id`") is
        // readable; only the shape changes, to the JSON every error has.
        Self::new(rejection.status(), rejection.body_text())
    }
}

/// `Path`, with rejections as JSON errors instead of axum's plain text.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Most a JSON request body may hold outside `POST /events`; segments and
/// messages are a few kilobytes at most.
pub const MAX_JSON_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The raw request body, with rejections (too large, unreadable) as JSON
/// errors that say which limit applies.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(Self::Rejection::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "request body is larger than the {} MiB limit",
                        MAX_JSON_BODY_BYTES / (1024 * 1024)
                    ),
                ))
            }
            Err(rejection) => Err(Self::Rejection::new(
                rejection.status(),
                "request body could not be read",
            )),
        }
    }
}

/// Parses a JSON request body with an error that says what is wrong.
/// Every body this API takes is an object: serde would also read a struct
/// from an array of its fields in order, which no caller means.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let start = body.trim_ascii_start();
    if start.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "request body is empty; send a JSON object",
        ));
    }
    if !start.starts_with(b"{")
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "request body must be a JSON object, not {}",
                json_kind(&value)
            ),
        ));
    }
    serde_json::from_slice(body).map_err(|err| {
        let status = if err.is_syntax() || err.is_eof() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        ApiError::new(
            status,
            format!(
                "invalid request body: {}",
                without_type_names(&err.to_string())
            ),
        )
    })
}

/// serde names the Rust type it expected ("expected struct KeyedInput");
/// callers know it as an object.
fn without_type_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("struct ") {
        out.push_str(&rest[..at]);
        out.push_str("an object");
        let name = &rest[at + "struct ".len()..];
        let end = name
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(name.len());
        rest = &name[end..];
    }
    out.push_str(rest);
    out
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// What the API answers for a method its path does not take (instead of
/// an empty 405); axum adds the `Allow` header.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint does not take that method; the Allow header lists the ones it takes",
    )
}

/// Path ids are positive integers; anything else cannot name a message.
pub fn parse_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found(format!("{what} {raw:?} not found")))
}
