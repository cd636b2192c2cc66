//! The frame around every page: brand, navigation, content.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    // Effects only run in the browser: this marks the moment the page is
    // interactive, which tests and scripts can wait for.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="layout">
            <nav class="sidebar" aria-label="Main">
                <a class="brand" href="/campaigns">
                    <span class="brand-mark" aria-hidden="true">"R"</span>
                    <span class="brand-name">"Recall"</span>
                </a>
                <ul class="nav">
                    <li><A href="/campaigns">"Campaigns"</A></li>
                    <li><A href="/canvases">"Canvases"</A></li>
                    <li><A href="/segments">"Segments"</A></li>
                    <li><A href="/restores">"Restores"</A></li>
                    <li><A href="/settings">"Settings"</A></li>
                </ul>
                <p class="sidebar-foot">"Workspace: default"</p>
            </nav>
            <main id="main" class="content" tabindex="-1">{children()}</main>
        </div>
    }
}
