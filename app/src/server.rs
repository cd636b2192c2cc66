//! The server half of the dashboard: what server functions get from the
//! router (the database, the clock, the signed-in user) and how engine
//! errors become wire errors.

use leptos::prelude::*;
use recall::clock::Clock;
use recall::store::{Db, Session};
use recall::types::Role;

/// Provided to every render and server function by the `server` crate
/// (`leptos_routes_with_context`), so no call opens its own connection.
#[derive(Clone, Debug)]
pub struct ServerContext {
    pub db: Db,
    pub clock: Clock,
}

pub fn context() -> Result<ServerContext, ServerFnError> {
    use_context::<ServerContext>().ok_or_else(|| ServerFnError::new("internal error"))
}

/// The signed-in user with at least `role`, put on the request by the
/// server's session gate. Every server function starts here.
pub fn require(role: Role) -> Result<Session, ServerFnError> {
    let session = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Session>().cloned())
        .ok_or_else(|| ServerFnError::new("sign in required"))?;
    if session.role.allows(role) {
        Ok(session)
    } else {
        Err(ServerFnError::new(format!(
            "your role ({}) cannot do this",
            session.role
        )))
    }
}

/// Engine errors carry safe texts ("internal error" for anything
/// unexpected), so they can go to the browser as they are.
pub fn to_server_error(err: recall::Error) -> ServerFnError {
    ServerFnError::new(err.to_string())
}
