//! The "Audience" section of a landing page: who the message retargets, in
//! words, with its live count; editors change it with the same builder as
//! the segments page, plus saved segments.

use leptos::prelude::*;
use recall::types::{AudienceInput, AudienceView, MessageKind, MessageStatus};

use super::{
    AudienceBuilder, AudienceWords, BuilderState, CountState, LiveCount, use_hydrated,
    use_live_count,
};
use crate::api::list_tags;
use crate::api_segments::{AudienceDetail, get_audience, list_segments, set_audience};
use crate::filters::AudienceDraft;
use crate::format;

#[component]
pub fn AudiencePanel(
    message_id: i64,
    kind: MessageKind,
    status: MessageStatus,
    can_edit: bool,
) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let detail = Resource::new(move || version.get(), move |_| get_audience(message_id));
    let editing = RwSignal::new(false);
    // What the last save did, kept above the summary it refreshed.
    let outcome = RwSignal::new(None::<String>);
    let hydrated = use_hydrated();
    let noun = kind.noun();
    let on_saved = Callback::new(move |view: AudienceView| {
        outcome.set(Some(match view.restore_id {
            Some(batch) => format!(
                "Audience saved. Restore queued (batch #{batch}): it names expired data, and this {noun} is active."
            ),
            None => "Audience saved.".to_string(),
        }));
        editing.set(false);
        version.update(|v| *v += 1);
    });
    let on_cancel = Callback::new(move |()| editing.set(false));
    view! {
        <section class="card audience" aria-labelledby="audience-title" data-testid="audience">
            <div class="card-head">
                <h2 id="audience-title">"Audience"</h2>
                {move || (can_edit && !editing.get()).then(|| view! {
                    <button
                        type="button"
                        class="button secondary small"
                        disabled=move || !hydrated.get()
                        on:click=move |_| {
                            outcome.set(None);
                            editing.set(true);
                        }
                    >
                        "Edit audience"
                    </button>
                })}
            </div>
            <p class="hint">
                {format!("Who this {noun} retargets. Its specific filters keep the data of the messages they name available while it is active.")}
            </p>
            {move || outcome.get().map(|text| view! {
                <p class="form-success" role="status" data-testid="audience-saved">{text}</p>
            })}
            <Transition fallback=|| view! { <p class="loading">"Loading audience…"</p> }>
                {move || {
                    let editing_now = editing.get();
                    Suspend::new(async move {
                        match detail.await {
                            Ok(detail) if editing_now => view! {
                                <AudienceEditor detail message_id status on_saved on_cancel/>
                            }.into_any(),
                            Ok(detail) => view! { <AudienceSummary detail can_edit/> }.into_any(),
                            Err(err) => view! {
                                <p class="form-error" role="alert">{format::failure(&err)}</p>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn AudienceSummary(detail: AudienceDetail, can_edit: bool) -> impl IntoView {
    let (draft, _) = AudienceDraft::from_json(&detail.audience.filter);
    let evaluation = detail.audience.evaluation.clone();
    let count = Memo::new(move |_| CountState::Counted {
        evaluation: evaluation.clone(),
        stale: false,
    });
    view! {
        <AudienceWords
            draft
            messages=detail.messages
            segments=detail.segments
            empty="No retargeting filters: everyone is in the audience."
        />
        <LiveCount state=count can_restore=can_edit noun="people are in this audience now"/>
    }
    .into_any()
}

#[component]
fn AudienceEditor(
    detail: AudienceDetail,
    message_id: i64,
    status: MessageStatus,
    on_saved: Callback<AudienceView>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let (initial, _) = AudienceDraft::from_json(&detail.audience.filter);
    let state = BuilderState::new(initial, &detail.messages);
    let draft = Memo::new(move |_| state.draft());
    let segment_ids = RwSignal::new(detail.audience.segment_ids.clone());
    let count = use_live_count(draft, segment_ids.into());
    let segments = Resource::new(|| (), |_| list_segments());
    let tags = Resource::new(|| (), |_| list_tags());
    let hydrated = use_hydrated();
    let save = Action::new(move |input: &AudienceInput| {
        let input = input.clone();
        async move {
            let result = set_audience(message_id, input).await;
            if let Ok(view) = &result {
                on_saved.run(view.clone());
            }
            result
        }
    });
    view! {
        <form
            class="audience-editor"
            on:submit=move |ev| {
                ev.prevent_default();
                if !save.pending().get_untracked() {
                    save.dispatch(AudienceInput {
                        filter: draft.get_untracked().to_json(),
                        segment_ids: segment_ids.get_untracked(),
                    });
                }
            }
        >
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let tags: Vec<String> = tags.await.unwrap_or_default().into_iter().map(|t| t.name).collect();
                    let all = segments.await;
                    view! {
                        <AudienceBuilder
                            state
                            tags
                            id_prefix="aud"
                            error=Signal::derive(move || count.get().invalid().cloned())
                            disabled=Signal::derive(move || !hydrated.get())
                        />
                        <fieldset class="segment-choice">
                            <legend>"Also require these saved segments"</legend>
                            {match all {
                                Ok(all) if all.is_empty() => view! {
                                    <p class="muted">"No saved segments yet. "<a href="/segments?segment=new">"Create one"</a></p>
                                }.into_any(),
                                Ok(all) => all.into_iter().map(|row| {
                                    let id = row.segment.id;
                                    let on = segment_ids.with_untracked(|ids| ids.contains(&id));
                                    let count = row.evaluation.map(|e| format!("{} people", format::count(e.count))).unwrap_or_default();
                                    view! {
                                        <label class="check">
                                            <input
                                                type="checkbox"
                                                checked=on
                                                prop:checked=move || segment_ids.with(|ids| ids.contains(&id))
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    segment_ids.update(|ids| {
                                                        ids.retain(|x| *x != id);
                                                        if on { ids.push(id); }
                                                    });
                                                }
                                            />
                                            {row.segment.name}
                                            <span class="muted">{count}</span>
                                        </label>
                                    }
                                }).collect_view().into_any(),
                                Err(err) => view! { <p class="form-error" role="alert">{format::failure(&err)}</p> }.into_any(),
                            }}
                        </fieldset>
                    }
                })}
            </Transition>
            <LiveCount state=count can_restore=true noun="people would be in this audience"/>
            {(status == MessageStatus::Active).then(|| view! {
                <p class="hint">"This message is active: saving restores any expired data its specific filters name."</p>
            })}
            {move || match save.value().get() {
                Some(Err(err)) => Some(view! { <p class="form-error" role="alert">{format::failure(&err)}</p> }),
                _ => None,
            }}
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || !hydrated.get() || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save audience" }}
                </button>
                <button type="button" class="button secondary" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
    .into_any()
}
