//! The data-state banner of a landing page: where a message's per-user data
//! is, until when, what keeps it, and (for editors) keeping it available.

use leptos::prelude::*;
use recall::types::{DataState, MessageDetail};

use super::{DataStateBadge, RestoreAction, use_hydrated};
use crate::api::{pin_message, unpin_message};
use crate::format;

/// `on_change` runs after a pin or unpin succeeded, so the page can load
/// the message again; the banner shows the new state only from that data.
#[component]
pub fn DataBanner(
    message: MessageDetail,
    /// Editors and admins get the buttons; viewers see the same words.
    can_edit: bool,
    #[prop(into)] on_change: Callback<()>,
) -> impl IntoView {
    let s = message.summary.clone();
    let noun = s.kind.noun();
    let (tone, text) = match s.data_state {
        DataState::Live => (
            "info",
            format!(
                "This {noun} is live: its interaction data is available in real time and does not expire."
            ),
        ),
        DataState::Available => (
            "info",
            match s.expires_at {
                Some(at) => format!(
                    "Interaction data is available until {}. After that it moves to long-term storage unless it is used again.",
                    format::date(at)
                ),
                None => "Interaction data is available and is kept indefinitely (workspace retention: never).".to_string(),
            },
        ),
        DataState::Retained => (
            "retained",
            format!("Interaction data for this {noun} does not expire while something keeps it:"),
        ),
        DataState::Expired => (
            "warn",
            match s.expired_at {
                Some(at) => format!(
                    "Interaction data for this {noun} expired on {} and is in long-term storage.",
                    format::date(at)
                ),
                None => format!(
                    "Interaction data for this {noun} has expired and is in long-term storage."
                ),
            },
        ),
        DataState::Restoring => (
            "info",
            format!("Interaction data for this {noun} is being restored."),
        ),
    };
    let reasons = (s.data_state == DataState::Retained).then(|| {
        let reasons = if message.retained_by.is_empty() {
            vec!["something still uses it".to_string()]
        } else {
            message
                .retained_by
                .iter()
                .map(format::retained_by)
                .collect()
        };
        view! {
            <ul class="reasons" data-testid="retained-by">
                {reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
            </ul>
        }
    });
    let archive = (s.data_state == DataState::Expired).then(|| {
        let a = message.archive.clone();
        view! {
            <dl class="archive-facts" data-testid="archive-summary">
                <div><dt>"Events"</dt><dd>{format::count(a.rows)}</dd></div>
                <div><dt>"Size"</dt><dd>{format::bytes(a.bytes)}</dd></div>
                <div><dt>"Segments"</dt><dd>{format::count(a.segments)}</dd></div>
            </dl>
            <p class="hint">"Analytics below still count it. Retargeting filters can't use it until it is restored."</p>
        }
    });
    // A lapsed pin leaves `pinned` set, but then the data is available
    // again and can be pinned anew.
    let actions = can_edit.then(|| match s.data_state {
        DataState::Available => Some(view! { <PinForm id=s.id on_change/> }.into_any()),
        DataState::Retained if message.pinned => {
            Some(view! { <UnpinButton id=s.id on_change/> }.into_any())
        }
        _ => None,
    });
    // Restoring is shown to everyone; the button only to editors.
    let restore = matches!(s.data_state, DataState::Expired | DataState::Restoring).then(|| {
        view! { <RestoreAction message_id=s.id state=s.data_state can_edit on_done=on_change/> }
    });
    view! {
        <section
            class=format!("banner {tone}")
            aria-label="Interaction data"
            data-testid="data-banner"
            data-state=s.data_state.as_str()
        >
            <div class="banner-body">
                <p class="banner-head">
                    // The sentence below gives the date; the badge names the state.
                    <DataStateBadge state=s.data_state expires_at=None/>
                </p>
                <p data-testid="data-banner-text">{text}</p>
                {reasons}
                {archive}
            </div>
            {actions}
            {restore}
        </section>
    }
}

/// "Keep data available", optionally until a day.
#[component]
fn PinForm(id: i64, on_change: Callback<()>) -> impl IntoView {
    let until = RwSignal::new(String::new());
    let pin = Action::new(move |until: &String| {
        let until = Some(until.clone()).filter(|u| !u.is_empty());
        async move {
            let result = pin_message(id, until).await;
            if result.is_ok() {
                on_change.run(());
            }
            result
        }
    });
    let hydrated = use_hydrated();
    // Stays busy after success until the reloaded page replaces this form.
    let busy = move || pin.pending().get() || matches!(pin.value().get(), Some(Ok(())));
    let input_id = format!("pin-until-{id}");
    view! {
        <form
            class="banner-actions"
            on:submit=move |ev| {
                ev.prevent_default();
                if !busy() {
                    pin.dispatch(until.get_untracked());
                }
            }
        >
            <div class="pin-controls">
                <label class="field compact">
                    <span>"Until " <span class="optional">"(optional)"</span></span>
                    <input id=input_id type="date" name="until" bind:value=until disabled=busy/>
                </label>
                <button
                    type="submit"
                    class="button"
                    disabled=move || !hydrated.get() || busy()
                    aria-busy=move || busy().to_string()
                >
                    {move || if busy() { "Keeping…" } else { "Keep data available" }}
                </button>
            </div>
            <p class="hint">"Without a date, it stays until someone stops keeping it."</p>
            <Failure outcome=move || pin.value().get()/>
        </form>
    }
}

/// "Stop keeping": ends a pin; the retention window starts again now.
#[component]
fn UnpinButton(id: i64, on_change: Callback<()>) -> impl IntoView {
    let unpin = Action::new(move |_: &()| async move {
        let result = unpin_message(id).await;
        if result.is_ok() {
            on_change.run(());
        }
        result
    });
    let hydrated = use_hydrated();
    let busy = move || unpin.pending().get() || matches!(unpin.value().get(), Some(Ok(())));
    view! {
        <div class="banner-actions">
            <button
                type="button"
                class="button secondary"
                disabled=move || !hydrated.get() || busy()
                aria-busy=move || busy().to_string()
                on:click=move |_| {
                    unpin.dispatch(());
                }
            >
                {move || if busy() { "Stopping…" } else { "Stop keeping" }}
            </button>
            <p class="hint">"Its retention window starts again from today."</p>
            <Failure outcome=move || unpin.value().get()/>
        </div>
    }
}

/// The reason an action failed, next to the control that caused it.
#[component]
fn Failure(
    outcome: impl Fn() -> Option<Result<(), ServerFnError>> + Send + Sync + 'static,
) -> impl IntoView {
    move || match outcome() {
        Some(Err(err)) => {
            Some(view! { <p class="form-error" role="alert">{format::failure(&err)}</p> })
        }
        _ => None,
    }
}
