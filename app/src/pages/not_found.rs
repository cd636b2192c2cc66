//! The page for URLs that match no route.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http_status_not_found());
    }
    view! {
        <Title text="Not found"/>
        <EmptyState title="Page not found" detail="There is nothing at this address.">
            <a class="button" href="/campaigns">"Go to Campaigns"</a>
        </EmptyState>
    }
}

#[cfg(feature = "ssr")]
fn http_status_not_found() -> http::StatusCode {
    http::StatusCode::NOT_FOUND
}
