//! The server half of the dashboard: what server functions get from the
//! router (the engine and the signed-in user) and how engine errors become
//! wire errors.
//!
//! The engine ([`recall::engine::Engine`]) is provided to every render and
//! server function by the `server` crate (`leptos_routes_with_context`),
//! so no call opens its own connection.

use leptos::prelude::*;
use recall::engine::Session;
use recall::engine::{Actor, Engine};
use recall::types::Role;

pub fn engine() -> Result<Engine, ServerFnError> {
    use_context::<Engine>().ok_or_else(|| ServerFnError::new("internal error"))
}

/// The engine and the signed-in person with at least `role`, as the actor
/// of a use case. Every server function that reads or changes workspace
/// data starts here.
pub fn acting(role: Role) -> Result<(Engine, Actor), ServerFnError> {
    let session = require(role)?;
    Ok((engine()?, Actor::user(&session)))
}

/// The signed-in user with at least `role`, put on the request by the
/// server's session gate. Every server function starts here.
pub fn require(role: Role) -> Result<Session, ServerFnError> {
    let session = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Session>().cloned())
        .ok_or_else(|| fail(http::StatusCode::UNAUTHORIZED, "sign in required"))?;
    if session.role.allows(role) {
        Ok(session)
    } else {
        Err(fail(
            http::StatusCode::FORBIDDEN,
            format!("your role ({}) cannot do this", session.role),
        ))
    }
}

/// Engine errors carry safe texts ("internal error" for anything
/// unexpected), so they can go to the browser as they are. The response
/// gets the error's own status (403, 404, 409, 422 ...) rather than a
/// blanket 500, so API clients and logs can tell refusals from failures.
pub fn to_server_error(err: recall::Error) -> ServerFnError {
    let status = http::StatusCode::from_u16(err.status_code())
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    fail(status, err.to_string())
}

fn fail(status: http::StatusCode, text: impl std::fmt::Display) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(text)
}
