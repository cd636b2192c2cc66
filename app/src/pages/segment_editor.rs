//! One segment on the segments page: its name and filters (editable for
//! editors, in words for viewers), the live count, and its first users.

use leptos::prelude::*;
use recall::types::SegmentInput;
use recall::types::filter::Audience;

use crate::api_segments::{SegmentDetail, USERS_PAGE, delete_segment, save_segment, segment_users};
use crate::components::{
    AudienceBuilder, AudienceWords, BuilderState, LiveCount, complaint_words, sentence,
    use_hydrated, use_live_count,
};
use crate::filters::{AudienceDraft, Complaint, FilterDraft};
use crate::format;

#[component]
pub fn SegmentEditor(
    /// `None` for a new segment.
    detail: Option<SegmentDetail>,
    tags: Vec<String>,
    can_edit: bool,
    /// After a save: the segment's id and what to tell the person.
    on_saved: Callback<(i64, String)>,
    on_deleted: Callback<String>,
    /// The page's resources for this segment (its users among them).
    open: super::segments::OpenSegment,
    notice: super::segments::Notice,
) -> impl IntoView {
    let id = detail.as_ref().map(|d| d.segment.id);
    let (initial, unknown) = match &detail {
        Some(d) => AudienceDraft::from_json(&d.segment.filter),
        None => (
            AudienceDraft {
                groups: vec![vec![FilterDraft::default()]],
            },
            0,
        ),
    };
    let messages = detail
        .as_ref()
        .map(|d| d.messages.clone())
        .unwrap_or_default();
    let used_by = detail
        .as_ref()
        .map(|d| d.used_by.clone())
        .unwrap_or_default();
    let saved_name = detail
        .as_ref()
        .map(|d| d.segment.name.clone())
        .unwrap_or_default();
    let name = RwSignal::new(saved_name.clone());
    let state = BuilderState::new(initial.clone(), &messages);
    let draft = Memo::new(move |_| state.draft());
    let count = use_live_count(draft, Signal::stored(Vec::new()));
    let hydrated = use_hydrated();
    let saved = open.saved;

    let save = Action::new(move |input: &SegmentInput| {
        let input = input.clone();
        async move {
            // The shared parser names the row a mistake is in; only what
            // it accepts goes to the engine.
            if let Err(err) = Audience::parse(&input.filter) {
                return Err(complaint_words(&Complaint::from(&err)));
            }
            let result = save_segment(id, input).await.map_err(|e| save_error(&e));
            if let Ok(s) = &result {
                saved.update(|v| *v += 1);
                let text = match s.restore_id {
                    Some(batch) => format!(
                        "Saved “{}”. Active messages use it, so the expired data it names is being restored (batch #{batch}).",
                        s.segment.name
                    ),
                    None => format!("Saved “{}”.", s.segment.name),
                };
                on_saved.run((s.segment.id, text));
            }
            result
        }
    });
    let delete = Action::new(move |id: &i64| {
        let id = *id;
        let name = name.get_untracked();
        async move {
            let result = delete_segment(id).await;
            if result.is_ok() {
                on_deleted.run(format!("Deleted “{name}”."));
            }
            result
        }
    });
    let confirming = RwSignal::new(false);
    let busy = move || save.pending().get() || delete.pending().get();
    let title = if id.is_some() {
        "Edit segment"
    } else {
        "New segment"
    };
    let heading = if can_edit {
        title.to_string()
    } else {
        saved_name.clone()
    };

    view! {
        <section class="card segment-editor" aria-labelledby="segment-editor-title" data-testid="segment-editor">
            <div class="card-head">
                <h2 id="segment-editor-title">{heading}</h2>
                <a class="button link small" href="/segments">"Close"</a>
            </div>
            {(unknown > 0).then(|| view! {
                <p class="form-error" role="alert">
                    {format!("{unknown} filter(s) of this segment are of a kind this dashboard does not know; saving here would drop them.")}
                </p>
            })}
            {(!used_by.is_empty()).then(|| view! {
                <p class="hint used-by">
                    "Used by the audience of "
                    {used_by.clone().into_iter().enumerate().map(|(i, m)| view! {
                        {(i > 0).then_some(", ")}
                        <a href=format!("/messages/{}", m.id)>{m.name}</a>
                    }).collect_view()}
                    ". While an active message uses it, the messages it names keep their data."
                </p>
            })}
            {if can_edit {
                view! {
                    <form
                        class="segment-form"
                        on:submit=move |ev| {
                            ev.prevent_default();
                            notice.set(None);
                            if !busy() {
                                save.dispatch(SegmentInput {
                                    name: name.get_untracked(),
                                    filter: draft.get_untracked().to_json(),
                                });
                            }
                        }
                    >
                        <div class="field name-field">
                            <label for="segment-name">"Name"</label>
                            <input
                                id="segment-name"
                                type="text"
                                required
                                maxlength="200"
                                placeholder="e.g. Spring sale: received, did not open"
                                value=saved_name.clone()
                                bind:value=name
                            />
                        </div>
                        <AudienceBuilder
                            state
                            tags
                            id_prefix="seg"
                            error=Signal::derive(move || count.get().invalid().cloned())
                            disabled=Signal::derive(move || !hydrated.get())
                        />
                        <LiveCount state=count can_restore=true/>
                        {move || match save.value().get() {
                            Some(Err(err)) => Some(view! {
                                <p class="form-error" role="alert" data-testid="save-error">{err}</p>
                            }),
                            _ => None,
                        }}
                        <div class="form-actions">
                            <button
                                type="submit"
                                class="button"
                                disabled=move || !hydrated.get() || busy()
                                aria-busy=move || save.pending().get().to_string()
                            >
                                {move || if save.pending().get() { "Saving…" } else { "Save segment" }}
                            </button>
                            {id.map(|id| view! {
                                <DeleteControl id confirming delete busy=Signal::derive(busy) used=!used_by.is_empty()/>
                            })}
                        </div>
                    </form>
                }.into_any()
            } else {
                view! {
                    <AudienceWords draft=initial messages/>
                    <LiveCount state=count can_restore=false/>
                    <p class="hint">"Viewers see segments; editors and admins change them."</p>
                }.into_any()
            }}
            {id.map(|id| view! { <SegmentUsers id users=open.users/> })}
        </section>
    }
    .into_any()
}

/// "Delete segment", asking once more before it does.
#[component]
fn DeleteControl(
    id: i64,
    confirming: RwSignal<bool>,
    delete: Action<i64, Result<(), ServerFnError>>,
    busy: Signal<bool>,
    used: bool,
) -> impl IntoView {
    view! {
        <div class="delete-control">
            {move || if confirming.get() {
                view! {
                    <span class="confirm" role="group" aria-label="Confirm deletion">
                        <span>"Delete this segment?"</span>
                        <button type="button" class="button danger small" disabled=move || busy.get()
                            on:click=move |_| { delete.dispatch(id); }>
                            "Yes, delete"
                        </button>
                        <button type="button" class="button secondary small" on:click=move |_| confirming.set(false)>
                            "Keep it"
                        </button>
                    </span>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="button secondary danger-text" disabled=move || busy.get()
                        title=used.then_some("A message's audience uses it: remove it there first")
                        on:click=move |_| confirming.set(true)>
                        "Delete segment"
                    </button>
                }.into_any()
            }}
            {move || match delete.value().get() {
                Some(Err(err)) => Some(view! { <p class="form-error" role="alert">{format::failure(&err)}</p> }),
                _ => None,
            }}
        </div>
    }
    .into_any()
}

/// A save the server refused, in words: the engine's reason as it gave
/// it, or why the server could not be reached.
fn save_error(err: &ServerFnError) -> String {
    match err {
        ServerFnError::ServerError(text) => sentence(text),
        other => format::failure(other),
    }
}

/// The saved segment's first users, with more on request.
#[component]
fn SegmentUsers(
    id: i64,
    users: Resource<Result<Option<recall::types::UserPage>, ServerFnError>>,
) -> impl IntoView {
    view! {
        <section class="segment-users" aria-labelledby="segment-users-title">
            <h3 id="segment-users-title">"People in the saved segment"</h3>
            <Transition fallback=|| view! { <p class="loading">"Loading people…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(Some(page)) if !page.users.is_empty() => view! { <UserList id first=page/> }.into_any(),
                        Ok(_) => view! {
                            <p class="muted">"Nobody matches the saved filters right now."</p>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{format::failure(&err)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn UserList(id: i64, first: recall::types::UserPage) -> impl IntoView {
    let users = RwSignal::new(first.users);
    let cursor = RwSignal::new(first.next_cursor);
    let more = Action::new(move |after: &i64| {
        let after = *after;
        async move {
            let page = segment_users(id, Some(after)).await?;
            users.update(|u| u.extend(page.users));
            cursor.set(page.next_cursor);
            Ok::<(), ServerFnError>(())
        }
    });
    view! {
        <ul class="user-list" data-testid="segment-users">
            <For each=move || users.get() key=|u| u.clone() let:user>
                <li><code>{user}</code></li>
            </For>
        </ul>
        <p class="hint">
            {move || format!("Showing {} in user-id order, {USERS_PAGE} at a time.", format::count(users.with(Vec::len) as i64))}
            " The full list is available as CSV from the REST API ("
            <code>{format!("GET /api/v1/segments/{id}/users?format=csv")}</code>
            ")."
        </p>
        {move || cursor.get().map(|after| view! {
            <button type="button" class="button secondary small" disabled=move || more.pending().get()
                on:click=move |_| { more.dispatch(after); }>
                {move || if more.pending().get() { "Loading…" } else { "Show more" }}
            </button>
        })}
        {move || match more.value().get() {
            Some(Err(err)) => Some(view! { <p class="form-error" role="alert">{format::failure(&err)}</p> }),
            _ => None,
        }}
    }
    .into_any()
}
