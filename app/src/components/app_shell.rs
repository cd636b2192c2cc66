//! The frame around every signed-in page: brand, navigation, who is
//! signed in, and the page itself.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::api::get_viewer;

#[component]
pub fn AppShell() -> impl IntoView {
    // Effects only run in the browser: this marks the moment the page is
    // interactive, which tests and scripts can wait for.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    let viewer = Resource::new(|| (), |_| get_viewer());
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
                    // The outbox is for admins; the page itself says so to anyone else.
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            viewer.await.ok().filter(|v| v.is_admin()).map(|_| view! {
                                <li><A href="/outbox">"Outbox"</A></li>
                            })
                        })}
                    </Transition>
                    <li><A href="/settings">"Settings"</A></li>
                </ul>
                <div class="sidebar-foot">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            viewer.await.ok().map(|v| view! {
                                <p class="who" data-testid="viewer">
                                    <span class="who-email">{v.email}</span>
                                    <span class="who-role">{format!("{} · {}", v.workspace, v.role.as_str())}</span>
                                </p>
                            })
                        })}
                    </Transition>
                    <form method="post" action="/logout">
                        <button type="submit" class="button secondary small">"Sign out"</button>
                    </form>
                </div>
            </nav>
            <main id="main" class="content" tabindex="-1"><Outlet/></main>
        </div>
    }
}
