//! Settings: retention, users, API keys and mail.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings"/>
        <header class="page-header"><h1>"Settings"</h1></header>
        <EmptyState
            title="Workspace settings"
            detail="Retention: three calendar months after last activity (the default)."
        />
    }
}
