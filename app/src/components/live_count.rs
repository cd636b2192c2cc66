//! The exact count of the audience being built, asked for again whenever
//! the filters settle after a change.

use leptos::prelude::*;
use recall::types::{Evaluation, ExpiredInput};
use serde_json::Value;

use super::{IncompleteWarning, debounce};
use crate::api_segments::evaluate_filter;
use crate::filters::{AudienceDraft, Complaint, Missing};
use crate::format;

/// Where the count stands.
#[derive(Debug, Clone, PartialEq)]
pub enum CountState {
    /// Something still has to be chosen; the engine is not asked yet.
    Waiting(Missing),
    /// First answer not in yet.
    Counting,
    /// `stale` while a newer count is on its way.
    Counted { evaluation: Evaluation, stale: bool },
    /// The filters were refused: by the shared parser before the engine
    /// was asked, or by the engine (what needs the workspace to tell).
    /// `complaint` points at the row when it can.
    Invalid { complaint: Complaint, stale: bool },
    /// The count could not be had (network, server).
    Failed(String),
}

impl CountState {
    /// What is wrong, for the row it names.
    pub fn invalid(&self) -> Option<&Complaint> {
        match self {
            CountState::Invalid { complaint, .. } => Some(complaint),
            _ => None,
        }
    }
}

type Request = (Value, Vec<i64>);

/// Why the engine is not asked (yet).
#[derive(Debug, Clone, PartialEq)]
enum Hold {
    Missing(Missing),
    Refused(Complaint),
}
type Answer = (Request, Result<Evaluation, ServerFnError>);

/// Counts `draft` AND-ed with `segment_ids`, once they have been still for
/// a moment. Browser only: on the server (and while hydrating) it stays
/// `Counting`.
pub fn use_live_count(
    draft: Memo<AudienceDraft>,
    segment_ids: Signal<Vec<i64>>,
) -> Memo<CountState> {
    let request = Memo::new(move |_| {
        let draft = draft.get();
        if let Some(missing) = draft.missing() {
            return Err(Hold::Missing(missing));
        }
        match draft.checked_json() {
            Ok(json) => Ok((json, segment_ids.get())),
            Err(err) => Err(Hold::Refused(Complaint::from(&err))),
        }
    });
    let settled = debounce(move || request.get().ok(), 350);
    // A plain signal, not a resource: a pending resource read here would
    // make the page's suspense boundary fall back and rebuild the builder.
    let answer = RwSignal::new(None::<Answer>);
    Effect::new(move |_| {
        let Some(asked) = settled.get() else { return };
        leptos::task::spawn_local(async move {
            let outcome = evaluate_filter(asked.0.clone(), asked.1.clone()).await;
            // Only the newest question's answer is kept.
            if settled.try_get_untracked().flatten().as_ref() == Some(&asked) {
                answer.try_set(Some((asked, outcome)));
            }
        });
    });
    Memo::new(move |_| {
        let current = match request.get() {
            Err(Hold::Missing(missing)) => return CountState::Waiting(missing),
            Err(Hold::Refused(complaint)) => {
                return CountState::Invalid {
                    complaint,
                    stale: false,
                };
            }
            Ok(current) => current,
        };
        match answer.get() {
            Some((asked, outcome)) => {
                let stale = asked != current;
                match outcome {
                    Ok(evaluation) => CountState::Counted { evaluation, stale },
                    Err(ServerFnError::ServerError(text)) => CountState::Invalid {
                        complaint: Complaint::unplaced(text),
                        stale,
                    },
                    Err(err) => CountState::Failed(format::failure(&err)),
                }
            }
            None => CountState::Counting,
        }
    })
}

/// The count, big, with the incomplete warning under it.
#[component]
pub fn LiveCount(
    state: Memo<CountState>,
    /// Editors get "Restore these" on an incomplete count.
    can_restore: bool,
    /// What is counted, for the label: "people match".
    #[prop(default = "people match these filters")]
    noun: &'static str,
) -> impl IntoView {
    let busy = move || {
        matches!(
            state.get(),
            CountState::Counting
                | CountState::Counted { stale: true, .. }
                | CountState::Invalid { stale: true, .. }
        )
    };
    // Only a different list of expired messages replaces the warning, so a
    // recount does not wipe out "Restore queued".
    let expired = Memo::new(
        move |prev: Option<&Option<Vec<ExpiredInput>>>| match state.get() {
            CountState::Counted { evaluation, .. } => {
                evaluation.incomplete.then_some(evaluation.expired_messages)
            }
            CountState::Counting => prev.cloned().flatten(),
            _ => None,
        },
    );
    view! {
        <div class="live-count" data-testid="live-count" aria-busy=move || busy().to_string()>
            <div aria-live="polite">
                {move || match state.get() {
                    CountState::Waiting(missing) => view! {
                        <p class="count-line muted" data-testid="count-waiting">
                            {format!("{} in group {}, filter {} to see the count.", missing.what, missing.group + 1, missing.filter + 1)}
                        </p>
                    }.into_any(),
                    CountState::Counting => view! {
                        <p class="count-line muted">"Counting…"</p>
                    }.into_any(),
                    CountState::Counted { evaluation, stale } => view! {
                        <p class="count-line" class:stale=stale>
                            <strong class="count-value" data-testid="count-value">{format::count(evaluation.count)}</strong>
                            " "
                            <span class="count-noun">{noun}</span>
                            {stale.then(|| view! { <span class="counting muted">" · counting…"</span> })}
                        </p>
                    }.into_any(),
                    CountState::Invalid { complaint, .. } => view! {
                        <p class="form-error" role="alert" data-testid="filter-error">
                            {complaint_words(&complaint)}
                        </p>
                    }.into_any(),
                    CountState::Failed(text) => view! {
                        <p class="form-error" role="alert">{text}</p>
                    }.into_any(),
                }}
            </div>
            {move || expired.get().map(|expired| view! { <IncompleteWarning expired can_restore/> })}
        </div>
    }
    .into_any()
}

/// A complaint with the row it points at in words: "Group 1, filter 2:
/// Missing message_id."
pub fn complaint_words(complaint: &Complaint) -> String {
    match (complaint.group, complaint.filter) {
        (Some(g), Some(f)) => format!(
            "Group {}, filter {}: {}",
            g + 1,
            f + 1,
            sentence(&complaint.text)
        ),
        (Some(g), None) => format!("Group {}: {}", g + 1, sentence(&complaint.text)),
        _ => sentence(&complaint.text),
    }
}

/// An engine message as a sentence: capital first letter, final stop. A
/// leading parameter name (`within_days must be ...`) keeps its case.
pub fn sentence(text: &str) -> String {
    let first_word = text.split_whitespace().next().unwrap_or_default();
    if first_word.contains('_') {
        let mut out = text.trim().to_string();
        if !out.ends_with('.') {
            out.push('.');
        }
        return out;
    }
    format::failure(&ServerFnError::new(text))
}
