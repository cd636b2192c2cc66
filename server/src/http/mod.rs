//! The HTTP surface: dashboard (Leptos SSR + server functions), health
//! probes, and later the REST API. Built by a function so tests can call it
//! without a socket.

mod health;

use axum::Router;
use axum::extract::FromRef;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use recall::store::Db;
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
}

impl AppState {
    pub fn new(db: Db, leptos_options: LeptosOptions) -> Self {
        Self { db, leptos_options }
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
        let db = state.db.clone();
        move || provide_context(ServerContext { db: db.clone() })
    };
    let options = state.leptos_options.clone();
    Router::new()
        .merge(health::router())
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
