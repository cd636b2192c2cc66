//! Restores: batches of restore jobs and their progress.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn RestoresPage() -> impl IntoView {
    view! {
        <Title text="Restores"/>
        <header class="page-header"><h1>"Restores"</h1></header>
        <EmptyState
            title="No restores yet"
            detail="When interaction data is brought back from long-term storage, each request appears here with its progress."
        />
    }
}
