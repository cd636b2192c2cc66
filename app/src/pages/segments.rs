//! Segments: saved retargeting audiences.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn SegmentsPage() -> impl IntoView {
    view! {
        <Title text="Segments"/>
        <header class="page-header"><h1>"Segments"</h1></header>
        <EmptyState
            title="No segments yet"
            detail="Saved retargeting audiences will be listed here, with their live counts."
        />
    }
}
