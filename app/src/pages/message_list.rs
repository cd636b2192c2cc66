//! The Campaigns and Canvases list pages: search, tag chips, status and
//! data-state filters, sorting and pagination, all held in the URL; and
//! for editors, selecting rows (or every match) to restore in bulk, with
//! the rows' badges following the restore live.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_navigate, use_query_map};
use recall::types::{DataState, MessageKind, MessageListQuery, MessageStatus, RestoreBatch};

use crate::api::{get_viewer, list_messages, list_tags};
use crate::components::{
    Bulk, ErrorState, LiveRestores, MessageTable, RestoreDialog, RestoreScope,
};
use crate::format;
use crate::list_url::{list_href, parse_list_query, toggle_tag};
use crate::selection::{Selection, Target, same_filter};

#[component]
pub fn MessageList(kind: MessageKind) -> impl IntoView {
    let (base, title, nouns) = match kind {
        MessageKind::Campaign => ("/campaigns", "Campaigns", ("campaign", "campaigns")),
        MessageKind::Canvas => ("/canvases", "Canvases", ("Canvas", "Canvases")),
    };
    let url = use_query_map();
    let query = Memo::new(move |_| {
        url.with(|map| {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for key in ["q", "status", "state", "sort", "dir", "page", "per_page"] {
                if let Some(v) = map.get(key) {
                    pairs.push((key.to_string(), v));
                }
            }
            for tag in map.get_all("tag").unwrap_or_default() {
                pairs.push(("tag".to_string(), tag));
            }
            parse_list_query(kind, &pairs)
        })
    });
    let messages = Resource::new(move || query.get(), list_messages);
    let tags = Resource::new(|| (), |_| list_tags());
    let viewer = Resource::new(|| (), |_| get_viewer());
    let selection = RwSignal::new(Selection::default());
    let live = LiveRestores::new();
    let scope = RwSignal::new(None::<RestoreScope>);
    let queued = RwSignal::new(None::<RestoreBatch>);

    // A new filter starts a new selection; paging and sorting keep it.
    Effect::new(move |prev: Option<MessageListQuery>| {
        let now = query.get();
        if prev.is_some_and(|p| !same_filter(&p, &now)) {
            selection.set(Selection::default());
            queued.set(None);
        }
        now
    });
    let rows = move || {
        messages
            .get_untracked()
            .and_then(Result::ok)
            .map(|p| p.items.iter().map(|m| (m.id, m.data_state)).collect())
            .unwrap_or_default()
    };
    let reload = Callback::new(move |()| messages.refetch());
    // Rows that load while restoring are followed until they settle.
    Effect::new(move |_| {
        let restoring = messages.with(|page| {
            page.as_ref()
                .and_then(|r| r.as_ref().ok())
                .is_some_and(|p| p.items.iter().any(|m| m.data_state == DataState::Restoring))
        });
        if restoring {
            live.follow(rows, reload);
        }
    });
    let on_restore = Callback::new(move |()| {
        let q = query.get_untracked();
        let s = selection.get_untracked();
        let total = messages
            .get_untracked()
            .and_then(Result::ok)
            .map_or(0, |p| p.total);
        let target = Target::of(&s, &q);
        let words = scope_words(&target, s.count(total), nouns);
        scope.set(Some(RestoreScope { target, words }));
    });
    let on_queued = Callback::new(move |batch: RestoreBatch| {
        selection.set(Selection::default());
        live.add(&batch.jobs);
        queued.set(Some(batch));
        // The badges show the queued jobs at once; the list reloads when
        // they end.
        live.follow(rows, reload);
    });

    let navigate = use_navigate();
    let go = move |next: MessageListQuery| navigate(&list_href(base, &next), Default::default());
    let on_status = {
        let go = go.clone();
        move |ev| {
            let mut next = query.get_untracked();
            next.status = event_target_value(&ev).parse::<MessageStatus>().ok();
            next.page = 1;
            go(next);
        }
    };
    let on_state = move |ev| {
        let mut next = query.get_untracked();
        next.data_state = event_target_value(&ev).parse::<DataState>().ok();
        next.page = 1;
        go(next);
    };

    view! {
        <Title text=title/>
        <header class="page-header">
            <h1>{title}</h1>
        </header>
        <section class="filters" aria-label="Filters">
            <Form method="GET" action=base>
                <div class="filter-row">
                    <label class="search">
                        <span class="visually-hidden">"Search by name"</span>
                        <input
                            type="search"
                            name="q"
                            placeholder=format!("Search {}", title.to_lowercase())
                            prop:value=move || query.with(|q| q.q.clone())
                        />
                    </label>
                    {move || query.with(|q| q.tags.iter().map(|t| view! { <input type="hidden" name="tag" value=t.clone()/> }).collect_view())}
                    <label>
                        <span class="visually-hidden">"Status"</span>
                        <select name="status" on:change=on_status>
                            <option value="" selected=move || query.with(|q| q.status.is_none())>"Any status"</option>
                            {MessageStatus::ALL.iter().map(|s| {
                                let s = *s;
                                view! { <option value=s.as_str() selected=move || query.with(|q| q.status == Some(s))>{s.label()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label>
                        <span class="visually-hidden">"Data state"</span>
                        <select name="state" on:change=on_state>
                            <option value="" selected=move || query.with(|q| q.data_state.is_none())>"Any data state"</option>
                            {DataState::ALL.iter().map(|s| {
                                let s = *s;
                                view! { <option value=s.as_str() selected=move || query.with(|q| q.data_state == Some(s))>{s.label()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button secondary">"Apply"</button>
                </div>
            </Form>
            <div class="chips" role="group" aria-label="Filter by tag">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let all = tags.await.unwrap_or_default();
                        all.into_iter().map(|tag| {
                            let name = tag.name.clone();
                            let active = query.with(|q| q.tags.contains(&name));
                            let href = query.with(|q| list_href(base, &toggle_tag(q, &name)));
                            let label = name.clone();
                            view! {
                                <A href=href attr:class=if active { "chip active" } else { "chip" } attr:aria-pressed=active.to_string() attr:data-tag=name>
                                    {label} <span class="chip-count">{tag.messages}</span>
                                </A>
                            }
                        }).collect_view()
                    })}
                </Transition>
            </div>
        </section>
        {move || queued.get().map(|batch| view! { <Queued batch/> })}
        <Transition fallback=move || {
            let bulk = Bulk { enabled: false, selection, live, on_restore, nouns };
            view! { <MessageTable base query rows=None bulk/> }
        }>
            {move || Suspend::new(async move {
                let enabled = viewer.await.is_ok_and(|v| v.can_edit());
                let bulk = Bulk { enabled, selection, live, on_restore, nouns };
                match messages.await {
                    Ok(page) => view! { <MessageTable base query rows=Some(page) bulk/> }.into_any(),
                    Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                }
            })}
        </Transition>
        <RestoreDialog scope on_queued/>
    }
}

/// The selection in words, for the dialog.
fn scope_words(target: &Target, count: u64, (one, many): (&str, &str)) -> String {
    match target {
        Target::Tag(tag) => format!(
            "Every message tagged \u{201c}{tag}\u{201d}: campaigns and Canvases, archived ones included."
        ),
        Target::Matching(_) => format!(
            "All {} {many} matching this filter.",
            format::count(count as i64)
        ),
        Target::Ids(ids) if ids.len() == 1 => format!("1 selected {one}."),
        Target::Ids(ids) => format!("{} selected {many}.", format::count(ids.len() as i64)),
    }
}

/// What the last bulk request queued, with a way to follow it.
#[component]
fn Queued(batch: RestoreBatch) -> impl IntoView {
    let jobs = batch.jobs.len();
    let skipped = batch.skipped.len();
    let head = match jobs {
        0 => "Nothing was queued: none of it is in long-term storage.".to_string(),
        1 => format!("Restore #{} queued for 1 message.", batch.id),
        n => format!(
            "Restore #{} queued for {} messages.",
            batch.id,
            format::count(n as i64)
        ),
    };
    let tail = match skipped {
        0 => String::new(),
        1 => " 1 skipped.".to_string(),
        n => format!(" {} skipped.", format::count(n as i64)),
    };
    view! {
        <p class="form-success notice" role="status" data-testid="restore-queued">
            {head}
            {tail}
            " "
            <A href="/restores">"Follow it on the Restores page"</A>
        </p>
    }
}
