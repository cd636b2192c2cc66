//! Choosing a campaign or Canvas by name: a combobox that searches as you
//! type and shows each message's kind, status and where its data is.
//! Keyboard: type to search, arrows to move, Enter to choose, Escape to
//! close (the WAI-ARIA combobox pattern).

use leptos::prelude::*;

use super::{DataStateBadge, debounce};
use crate::api_segments::{MessageChoice, message_choices};
use crate::filters::kind_label;

#[component]
pub fn MessagePicker(
    /// The input's id, for its `<label for>`.
    id: String,
    #[prop(into)] selected: Signal<Option<MessageChoice>>,
    #[prop(into)] on_choose: Callback<MessageChoice>,
    /// Set when the engine named this row's message as the problem.
    #[prop(into)]
    invalid: Signal<bool>,
) -> impl IntoView {
    let name_of = move || selected.with(|m| m.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    // Untracked: this runs while a suspended view is built, which must not
    // start depending on the choice.
    let query = RwSignal::new(untrack(name_of));
    let open = RwSignal::new(false);
    let active = RwSignal::new(0_usize);
    let settled = debounce(move || query.get(), 200);
    // Asks only while the list is open; the newest search wins. A plain
    // signal rather than a resource, so a search in flight never makes the
    // surrounding suspense boundary fall back.
    let results = RwSignal::new(None::<Result<Vec<MessageChoice>, ServerFnError>>);
    Effect::new(move |_| {
        let (is_open, q) = (open.get(), settled.get());
        if !is_open {
            return;
        }
        // The input shows the chosen name; that is not a search.
        let search = if selected.with_untracked(|m| m.as_ref().is_some_and(|m| m.name == q)) {
            String::new()
        } else {
            q.clone()
        };
        leptos::task::spawn_local(async move {
            let found = message_choices(search).await;
            if settled.try_get_untracked().as_ref() == Some(&q) {
                results.try_set(Some(found));
            }
        });
    });
    let options = move || {
        results.with(|r| match r {
            Some(Ok(found)) => found.clone(),
            _ => Vec::new(),
        })
    };
    let choose = move |m: MessageChoice| {
        query.set(m.name.clone());
        open.set(false);
        on_choose.run(m);
    };
    let close = move || {
        open.set(false);
        query.set(name_of());
    };
    let list_id = format!("{id}-list");
    let option_id = {
        let list_id = list_id.clone();
        move |i: usize| format!("{list_id}-{i}")
    };
    let active_descendant = {
        let option_id = option_id.clone();
        move || (open.get() && !options().is_empty()).then(|| option_id(active.get()))
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" => {
            ev.prevent_default();
            if open.get_untracked() {
                let n = options().len();
                active.update(|a| *a = (*a + 1).min(n.saturating_sub(1)));
            } else {
                open.set(true);
                active.set(0);
            }
        }
        "ArrowUp" => {
            ev.prevent_default();
            active.update(|a| *a = a.saturating_sub(1));
        }
        "Enter" => {
            // Never submits the surrounding form from here.
            ev.prevent_default();
            if open.get_untracked()
                && let Some(m) = options().get(active.get_untracked()).cloned()
            {
                choose(m);
            }
        }
        "Escape" if open.get_untracked() => {
            ev.prevent_default();
            close();
        }
        _ => {}
    };
    view! {
        <div class="picker">
            <div class="picker-input">
                <input
                    id=id.clone()
                    type="text"
                    role="combobox"
                    autocomplete="off"
                    placeholder="Search campaigns and Canvases"
                    aria-autocomplete="list"
                    aria-controls=list_id.clone()
                    aria-expanded=move || open.get().to_string()
                    aria-activedescendant=active_descendant
                    aria-invalid=move || invalid.get().to_string()
                    value=query.get_untracked()
                    prop:value=move || query.get()
                    on:input=move |ev| {
                        query.set(event_target_value(&ev));
                        open.set(true);
                        active.set(0);
                    }
                    on:click=move |_| open.set(true)
                    on:keydown=on_keydown
                    on:blur=move |_| close()
                />
                {move || selected.get().map(|m| view! {
                    <span class="picker-meta" data-testid="picker-meta">
                        <span class="kind">{kind_label(m.kind)}</span>
                        <DataStateBadge state=m.data_state expires_at=None/>
                    </span>
                })}
            </div>
            <ul
                id=list_id
                class="picker-list"
                role="listbox"
                aria-label="Messages"
                hidden=move || !open.get()
            >
                {move || {
                    let found = options();
                    if results.get().is_none() {
                        return view! { <li class="picker-empty" role="presentation">"Searching…"</li> }.into_any();
                    }
                    if let Some(Err(err)) = results.get() {
                        return view! { <li class="picker-empty" role="presentation">{crate::format::failure(&err)}</li> }.into_any();
                    }
                    if found.is_empty() {
                        return view! { <li class="picker-empty" role="presentation">"No messages match."</li> }.into_any();
                    }
                    found.into_iter().enumerate().map(|(i, m)| {
                        let pick = m.clone();
                        view! {
                            <li
                                id=option_id(i)
                                role="option"
                                class="picker-option"
                                aria-selected=move || (active.get() == i).to_string()
                                on:mousedown=move |ev| {
                                    // Keep focus in the input so blur does not close first.
                                    ev.prevent_default();
                                    choose(pick.clone());
                                }
                                on:mouseenter=move |_| active.set(i)
                            >
                                <span class="option-name">{m.name.clone()}</span>
                                <span class="option-meta">
                                    {format!("{} · {}", kind_label(m.kind), m.status.label())}
                                    " "
                                    <DataStateBadge state=m.data_state expires_at=None/>
                                </span>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
        </div>
    }
    .into_any()
}
