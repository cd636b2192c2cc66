//! Status and data-state badges, and tag lists: the same look everywhere a
//! message appears.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use recall::types::{DataState, MessageStatus};

use crate::format;

#[component]
pub fn StatusBadge(status: MessageStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str())>{status.label()}</span> }
}

/// "Available until Mar 3, 2027", "Expired", "Live" ...
#[component]
pub fn DataStateBadge(state: DataState, expires_at: Option<DateTime<Utc>>) -> impl IntoView {
    let text = match (state, expires_at) {
        (DataState::Available, Some(at)) => format!("Available until {}", format::date(at)),
        (state, _) => state.label().to_string(),
    };
    view! {
        <span class=format!("badge state state-{}", state.as_str()) data-state=state.as_str()>
            {text}
        </span>
    }
}

#[component]
pub fn TagList(tags: Vec<String>) -> impl IntoView {
    view! {
        <span class="tags">
            {tags.into_iter().map(|t| view! { <span class="tag">{t}</span> }).collect_view()}
        </span>
    }
}
