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

use recall::engine::Engine;
use tower_http::trace::TraceLayer;

use app::{App, shell};

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The only way to the data: every handler calls one of its use cases.
    pub engine: Engine,
    /// Where the compiled dashboard lives, for SSR and static files.
    pub leptos_options: LeptosOptions,
}

impl AppState {
    pub fn new(engine: Engine, leptos_options: LeptosOptions) -> Self {
        Self {
            engine,
            leptos_options,
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
        let engine = state.engine.clone();
        move || provide_context(engine.clone())
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
