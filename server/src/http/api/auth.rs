//! API-key bearer authentication. Every API handler takes `ApiAuth` and
//! states the scope it needs; the workspace comes from the key, so one
//! tenant's key can never reach another's rows.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use recall::engine::{Actor, ApiKey, Scope};

use super::ApiError;
use crate::http::AppState;

pub struct ApiAuth {
    pub key: ApiKey,
    /// The key as the actor of use cases, in the key's workspace.
    pub actor: Actor,
}

impl ApiAuth {
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.key.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("this API key lacks the {:?} scope", scope.as_str()),
            ))
        }
    }
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = |text: &str| ApiError::new(StatusCode::UNAUTHORIZED, text);
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            unauthorized("missing Authorization header; send 'Authorization: Bearer <API key>'")
        })?;
        let secret = header
            .to_str()
            .ok()
            .and_then(|v| v.trim().split_once(' '))
            // The scheme is case-insensitive (RFC 9110 §11.1).
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, secret)| secret.trim())
            .ok_or_else(|| unauthorized("Authorization header must be 'Bearer <API key>'"))?;
        let (key, actor) = state
            .engine
            .authenticate_api_key(secret, state.engine.now())
            .await
            .map_err(|err| match err {
                recall::Error::Unauthenticated => unauthorized("invalid or revoked API key"),
                other => ApiError::from(other),
            })?;
        Ok(Self { key, actor })
    }
}
