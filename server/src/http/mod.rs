//! The HTTP surface: dashboard (Leptos SSR + server functions), health
//! probes, and later the REST API. Built by a function so tests can call it
//! without a socket.

pub mod api;
mod health;
pub mod session;

use axum::Router;
use axum::extract::FromRef;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;

use recall::archive::Archive;
use recall::clock::Clock;
use recall::service::archived_ids::ArchivedIds;
use recall::store::Db;
use tokio::sync::Notify;
use tower_http::trace::TraceLayer;

use app::server::ServerContext;
use app::{App, shell};

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The only way to the data; no handler opens its own connection.
    pub db: Db,
    /// Where the compiled dashboard lives, for SSR and static files.
    pub leptos_options: LeptosOptions,
    /// The one source of "now" for requests.
    pub clock: Clock,
    /// Long-term storage, for raw downloads of expired data.
    pub archive: Archive,
    /// What the archive's segments hold, cached across requests, so that
    /// ingest recognises ids sent again after their message expired.
    pub archived_ids: ArchivedIds,
    /// Wakes the restore worker when a request was queued.
    pub restore_wakeup: Arc<Notify>,
    /// Where mail goes when no SMTP server is configured (the dashboard's
    /// Outbox page lists it); `None` with SMTP.
    pub outbox: Option<std::path::PathBuf>,
}

impl AppState {
    pub fn new(db: Db, leptos_options: LeptosOptions, clock: Clock, archive: Archive) -> Self {
        Self {
            db,
            leptos_options,
            clock,
            archived_ids: ArchivedIds::new(archive.clone()),
            archive,
            restore_wakeup: Arc::new(Notify::new()),
            outbox: None,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let ctx = ServerContext {
            db: state.db.clone(),
            clock: state.clock,
            archive: state.archive.clone(),
            restore_wakeup: state.restore_wakeup.clone(),
            outbox: state.outbox.clone(),
        };
        move || provide_context(ctx.clone())
    };
    let options = state.leptos_options.clone();
    Router::new()
        .merge(health::router())
        .merge(api::router())
        .merge(session::router())
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::gate,
        ))
        .layer(axum::middleware::from_fn(session::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

#[cfg(test)]
mod tests {
    /// The auth tests enumerate `SERVER_FUNCTIONS`; a server function left
    /// out of that list would escape them.
    #[test]
    fn every_registered_server_function_is_listed_for_the_auth_tests() {
        let _ = super::router;
        let mut registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.to_string())
            .collect();
        registered.sort();
        let mut listed: Vec<String> = app::api::SERVER_FUNCTIONS
            .iter()
            .map(|n| format!("/api/{n}"))
            .collect();
        listed.sort();
        assert_eq!(registered, listed);
    }
}
