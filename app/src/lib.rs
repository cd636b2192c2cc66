//! Recall's dashboard: Leptos pages and components, plus the server
//! functions they call.
//!
//! # Layout
//! - [`api`]: `#[server]` functions — check the role, parse, call one use
//!   case of the engine (`recall::engine::Engine`), map errors.
//! - [`api_segments`]: the same for segments, audiences and their pickers.
//! - [`api_restores`]: the same for restores and the mail outbox.
//! - `server` (feature `ssr`): the engine and the signed-in actor, as
//!   server functions get them.
//! - [`filters`]: retargeting filters as the builder drafts them, read and
//!   checked with the engine's own parser (`recall::types::filter`), and
//!   their reading in words.
//! - [`format`]: dates, counts, sizes and reasons in words.
//! - [`pages`]: one routed page per file.
//! - [`components`]: shared pieces (app shell, badges, empty states).
//! - [`list_url`]: list filters <-> URL query, so links and the back button
//!   carry the filter state.
//! - [`selection`]: the rows picked on a list page and what a bulk restore
//!   of them asks for.
//!
//! The `ssr` feature builds the server half (engine included); `hydrate`
//! builds the browser half. They are never built together.

// Leptos views are deeply nested types; a page with several builders and
// lists outgrows the default limit when the release build lays them out.
#![recursion_limit = "256"]

pub mod api;
pub mod api_restores;
pub mod api_segments;
pub mod components;
pub mod filters;
pub mod format;
pub mod list_url;
pub mod pages;
pub mod selection;
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{ParamSegment, StaticSegment, path};

use components::AppShell;
use pages::{
    LoginPage, MessageList, MessagePage, NotFound, OutboxPage, RestoresPage, SegmentsPage,
    SettingsPage,
};
use recall::types::MessageKind;

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <Stylesheet id="leptos" href="/pkg/recall.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="Recall keeps campaign interaction data hot while it matters."/>
        <Title formatter=|page: String| format!("{page} · Recall")/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("login") view=LoginPage/>
                <ParentRoute path=path!("") view=AppShell>
                    <Route path=path!("") view=|| view! { <Redirect path="/campaigns"/> }/>
                    <Route
                        path=StaticSegment("campaigns")
                        view=|| view! { <MessageList kind=MessageKind::Campaign/> }
                    />
                    <Route
                        path=StaticSegment("canvases")
                        view=|| view! { <MessageList kind=MessageKind::Canvas/> }
                    />
                    <Route path=(StaticSegment("messages"), ParamSegment("id")) view=MessagePage/>
                    <Route path=StaticSegment("segments") view=SegmentsPage/>
                    <Route path=StaticSegment("restores") view=RestoresPage/>
                    <Route path=StaticSegment("outbox") view=OutboxPage/>
                    <Route path=StaticSegment("settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The page's CSP: scripts only from us or carrying this response's nonce
/// (Leptos puts it on its inline hydration scripts), WASM allowed, no
/// framing.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use http::HeaderValue;
    use http::header::CONTENT_SECURITY_POLICY;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
