//! The server half of the dashboard: what server functions get from the
//! router (the database) and how engine errors become wire errors.

use leptos::prelude::*;
use recall::store::{Db, Workspace};

/// Provided to every render and server function by the `server` crate
/// (`leptos_routes_with_context`), so no call opens its own connection.
#[derive(Clone, Debug)]
pub struct ServerContext {
    pub db: Db,
}

pub fn db() -> Result<Db, ServerFnError> {
    use_context::<ServerContext>()
        .map(|ctx| ctx.db)
        .ok_or_else(|| ServerFnError::new("server context missing"))
}

/// The workspace the dashboard works in.
pub async fn workspace(db: &Db) -> Result<Workspace, ServerFnError> {
    db.workspace_by_slug("default")
        .await
        .map_err(to_server_error)
}

/// Engine errors carry safe texts ("internal error" for anything
/// unexpected), so they can go to the browser as they are.
pub fn to_server_error(err: recall::Error) -> ServerFnError {
    ServerFnError::new(err.to_string())
}
