//! An audience read out in words: each group on its own line, joined by
//! "and", then the saved segments it also requires.

use leptos::prelude::*;

use crate::api_segments::{MessageChoice, NamedRef};
use crate::filters::AudienceDraft;

#[component]
pub fn AudienceWords(
    draft: AudienceDraft,
    /// The messages the filters name, for their names.
    messages: Vec<MessageChoice>,
    /// Saved segments the audience also requires (message audiences).
    #[prop(optional)]
    segments: Vec<NamedRef>,
    /// Said when there is nothing at all to match.
    #[prop(default = "No filters: everyone matches.")]
    empty: &'static str,
) -> impl IntoView {
    if draft.groups.is_empty() && segments.is_empty() {
        return view! { <p class="muted" data-testid="audience-words">{empty}</p> }.into_any();
    }
    let lookup = move |id: i64| messages.iter().find(|m| m.id == id).cloned();
    let lines = draft.describe(&lookup);
    view! {
        <div class="audience-words" data-testid="audience-words">
            {(!lines.is_empty()).then(|| view! {
                <p class="words-lead">"People who"</p>
                <ul class="words">
                    {lines.into_iter().enumerate().map(|(i, line)| view! {
                        <li>
                            {(i > 0).then(|| view! { <span class="joiner-inline">"and "</span> })}
                            {line}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {(!segments.is_empty()).then(|| {
                let n = segments.len();
                view! {
                    <p class="words-segments">
                        {if n == 1 { "In the segment " } else { "In every one of the segments " }}
                        {segments.into_iter().enumerate().map(|(i, s)| view! {
                            {(i > 0).then_some(", ")}
                            <a href=format!("/segments?segment={}", s.id)>{s.name}</a>
                        }).collect_view()}
                    </p>
                }
            })}
        </div>
    }
    .into_any()
}
