//! The bulk restore dialog: before anything is queued it says what the
//! restore will do (messages, rows, bytes, time, and what it skips and
//! why); Confirm queues it. A native modal `<dialog>` keeps focus inside
//! and closes on Escape.

use std::collections::BTreeMap;

use leptos::html::Dialog;
use leptos::prelude::*;
use leptos::task::spawn_local;
use recall::types::{RestoreBatch, RestorePreview, RestoreRequest, RestoreSkip};

use super::restore_progress::estimate;
use crate::api::list_messages;
use crate::api_restores::{preview_restore, request_restore};
use crate::format;
use crate::selection::{MAX_IDS, Target};

/// What the dialog is asked to restore.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreScope {
    pub target: Target,
    /// The selection in words: "3 selected campaigns".
    pub words: String,
}

#[derive(Debug, Clone)]
enum Step {
    Loading,
    Ready(RestoreRequest, RestorePreview),
    Queuing(RestorePreview),
    Failed(String),
}

#[component]
pub fn RestoreDialog(
    /// `Some` opens the dialog for that scope; closing sets it to `None`.
    scope: RwSignal<Option<RestoreScope>>,
    #[prop(into)] on_queued: Callback<RestoreBatch>,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let step = RwSignal::new(Step::Loading);
    // Answers for a scope the dialog no longer shows are dropped.
    let generation = StoredValue::new(0_u64);

    Effect::new(move |_| {
        let current = scope.get();
        let Some(el) = dialog.get() else { return };
        match current {
            Some(scope) => {
                if !el.open() {
                    let _ = el.show_modal();
                }
                let mine = generation.try_update_value(|g| {
                    *g += 1;
                    *g
                });
                step.set(Step::Loading);
                spawn_local(async move {
                    let result = prepare(&scope.target).await;
                    if generation.try_get_value() == mine {
                        step.try_set(match result {
                            Ok((request, preview)) => Step::Ready(request, preview),
                            Err(text) => Step::Failed(text),
                        });
                    }
                });
            }
            None => {
                if el.open() {
                    el.close();
                }
            }
        }
    });

    let close = move || scope.set(None);
    let confirm = move || {
        let Step::Ready(request, preview) = step.get_untracked() else {
            return;
        };
        step.set(Step::Queuing(preview.clone()));
        let mine = generation.get_value();
        spawn_local(async move {
            let queued = request_restore(request.clone()).await;
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match queued {
                Ok(batch) => {
                    scope.try_set(None);
                    on_queued.run(batch);
                }
                Err(err) => {
                    step.try_set(Step::Failed(format::failure(&err)));
                }
            }
        });
    };
    let ready = move || {
        step.with(|s| match s {
            Step::Ready(_, p) => p.messages > 0,
            _ => false,
        })
    };
    let queuing = move || step.with(|s| matches!(s, Step::Queuing(..)));
    let confirm_label = move || {
        step.with(|s| match s {
            Step::Queuing(..) => "Queuing…".to_string(),
            Step::Ready(_, p) if p.messages == 1 => "Restore 1 message".to_string(),
            Step::Ready(_, p) if p.messages > 1 => {
                format!("Restore {} messages", format::count(p.messages))
            }
            _ => "Restore".to_string(),
        })
    };

    view! {
        <dialog
            node_ref=dialog
            class="dialog"
            aria-labelledby="restore-dialog-title"
            aria-describedby="restore-dialog-scope"
            data-testid="restore-dialog"
            on:close=move |_| {
                if scope.get_untracked().is_some() {
                    scope.set(None);
                }
            }
            // A click on the backdrop lands on the dialog itself.
            on:click=move |ev| {
                if ev.target() == ev.current_target() {
                    close();
                }
            }
        >
            <div class="dialog-body">
                <h2 id="restore-dialog-title">"Restore interaction data"</h2>
                <p id="restore-dialog-scope" class="dialog-scope">
                    {move || scope.with(|s| s.as_ref().map(|s| s.words.clone()))}
                </p>
                {move || match step.get() {
                    Step::Loading => view! {
                        <p class="loading" role="status">"Working out what this restores…"</p>
                    }
                    .into_any(),
                    Step::Ready(_, preview) | Step::Queuing(preview) => {
                        view! { <PreviewFacts preview/> }.into_any()
                    }
                    Step::Failed(text) => {
                        view! { <p class="form-error" role="alert">{text}</p> }.into_any()
                    }
                }}
                <div class="dialog-actions">
                    <button type="button" class="button secondary" autofocus=true on:click=move |_| close()>
                        "Cancel"
                    </button>
                    <button
                        type="button"
                        class="button"
                        data-testid="confirm-restore"
                        disabled=move || !ready()
                        aria-busy=move || queuing().to_string()
                        on:click=move |_| confirm()
                    >
                        {confirm_label}
                    </button>
                </div>
            </div>
        </dialog>
    }
    .into_any()
}

/// Collects the ids a target needs, then asks for the preview.
async fn prepare(target: &Target) -> Result<(RestoreRequest, RestorePreview), String> {
    let mut ids = Vec::new();
    if let Target::Matching(query) = target {
        let mut query = query.clone();
        loop {
            let page = list_messages(query.clone())
                .await
                .map_err(|e| format::failure(&e))?;
            if page.total > MAX_IDS {
                return Err(format!(
                    "{} messages match; one restore takes at most {}. Narrow the filter.",
                    format::count(page.total as i64),
                    format::count(MAX_IDS as i64)
                ));
            }
            ids.extend(page.items.iter().map(|m| m.id));
            if page.items.is_empty() || page.page >= page.page_count() {
                break;
            }
            query.page += 1;
        }
    }
    let request = target.request(ids);
    let preview = preview_restore(request.clone())
        .await
        .map_err(|e| format::failure(&e))?;
    Ok((request, preview))
}

/// Messages, rows, size and time, then what is skipped, grouped by reason.
#[component]
fn PreviewFacts(preview: RestorePreview) -> impl IntoView {
    let skipped = preview.skipped.len();
    let reasons = group_reasons(&preview.skipped);
    view! {
        <dl class="preview-facts" data-testid="restore-preview">
            <div><dt>"Messages"</dt><dd data-testid="preview-messages">{format::count(preview.messages)}</dd></div>
            <div><dt>"Events"</dt><dd>{format::count(preview.rows)}</dd></div>
            <div><dt>"Size"</dt><dd>{format::bytes(preview.bytes)}</dd></div>
            <div><dt>"Time"</dt><dd>{estimate(preview.estimated_seconds)}</dd></div>
        </dl>
        {(preview.messages == 0).then(|| view! {
            <p class="form-error" role="alert">"Nothing here is in long-term storage, so there is nothing to restore."</p>
        })}
        {(skipped > 0).then(|| view! {
            <details class="skipped" data-testid="preview-skipped">
                <summary>
                    {if skipped == 1 { "1 message is skipped".to_string() } else { format!("{} messages are skipped", format::count(skipped as i64)) }}
                </summary>
                <ul class="reasons">
                    {reasons.into_iter().map(|(reason, n)| view! {
                        <li>{format!("{}: {}", capitalized(&reason), format::count(n))}</li>
                    }).collect_view()}
                </ul>
            </details>
        })}
        {(preview.messages > 0).then(|| view! {
            <p class="hint">"Each message gets a fresh retention window. You get an email when the restore has finished."</p>
        })}
    }
    .into_any()
}

fn group_reasons(skipped: &[RestoreSkip]) -> BTreeMap<String, i64> {
    let mut reasons = BTreeMap::new();
    for s in skipped {
        *reasons.entry(s.reason.clone()).or_insert(0) += 1;
    }
    reasons
}

/// "interaction data is not expired" -> "Interaction data is not expired".
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
