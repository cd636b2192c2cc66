//! "Never silently wrong" on screen: a count that needed expired data says
//! which messages it could not see, and (for editors) brings them back in
//! one click.

use leptos::prelude::*;
use recall::types::{ExpiredInput, RestoreBatch};

use super::use_hydrated;
use crate::api_segments::restore_messages;
use crate::format;

#[component]
pub fn IncompleteWarning(
    expired: Vec<ExpiredInput>,
    /// Editors and admins get "Restore these".
    can_restore: bool,
) -> impl IntoView {
    let n = expired.len();
    let lead = if n == 1 {
        "This count is incomplete: 1 message's data is in long-term storage: ".to_string()
    } else {
        format!("This count is incomplete: {n} messages' data is in long-term storage: ")
    };
    let ids: Vec<i64> = expired.iter().map(|m| m.id).collect();
    let links = expired
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            view! {
                {(i > 0).then_some(", ")}
                <a href=format!("/messages/{}", m.id)>{m.name}</a>
            }
        })
        .collect_view();
    let restore = Action::new(move |ids: &Vec<i64>| restore_messages(ids.clone()));
    let hydrated = use_hydrated();
    let busy = move || restore.pending().get();
    let done = move || matches!(restore.value().get(), Some(Ok(_)));
    view! {
        <div class="incomplete" role="status" data-testid="incomplete">
            <p>
                <span class="incomplete-icon" aria-hidden="true">"!"</span>
                {lead}
                {links}
                "."
            </p>
            {can_restore.then(|| {
                let ids = ids.clone();
                view! {
                    <button
                        type="button"
                        class="button small"
                        disabled=move || !hydrated.get() || busy() || done()
                        aria-busy=move || busy().to_string()
                        on:click=move |_| {
                            restore.dispatch(ids.clone());
                        }
                    >
                        {move || if busy() { "Queuing…" } else { "Restore these" }}
                    </button>
                }
            })}
            {move || restore.value().get().map(|outcome| match outcome {
                Ok(batch) => view! { <RestoreQueued batch/> }.into_any(),
                Err(err) => view! { <p class="form-error" role="alert">{format::failure(&err)}</p> }.into_any(),
            })}
        </div>
    }
    .into_any()
}

/// What a restore request did: queued jobs, and why anything was skipped.
#[component]
fn RestoreQueued(batch: RestoreBatch) -> impl IntoView {
    let queued = batch.jobs.len();
    let head = match queued {
        0 => "Nothing to restore.".to_string(),
        1 => format!("Restore queued (batch #{}) for 1 message.", batch.id),
        n => format!("Restore queued (batch #{}) for {n} messages.", batch.id),
    };
    view! {
        <p class="form-success" data-testid="restore-queued">
            {head}
            {(queued > 0).then_some(" The count is complete once it has finished. ")}
            {(queued > 0).then(|| view! { <a href="/restores">"Follow its progress"</a> })}
        </p>
        {(!batch.skipped.is_empty()).then(|| view! {
            <ul class="reasons">
                {batch.skipped.into_iter().map(|s| view! {
                    <li>{format!("Message {}: {}", s.message_id, s.reason)}</li>
                }).collect_view()}
            </ul>
        })}
    }
    .into_any()
}
