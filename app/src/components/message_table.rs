//! The table of a list page: sortable headers, pagination, and for
//! editors a checkbox per row, one for the page, and the bulk bar
//! ("Select all N matching", "Restore interaction data").

use leptos::prelude::*;
use leptos_router::components::A;
use recall::types::{MessageListQuery, MessageSummary, Page, SortKey};

use super::live_restores::{LiveDataBadge, LiveRestores};
use super::{EmptyState, LoadingRows, StatusBadge, TagList, use_hydrated};
use crate::format;
use crate::list_url::{list_href, sort_by};
use crate::selection::{PageCheck, Selection};

/// What the table needs to offer selection and bulk restore.
#[derive(Clone, Copy)]
pub struct Bulk {
    /// False for viewers: no checkboxes, nothing to do in bulk.
    pub enabled: bool,
    pub selection: RwSignal<Selection>,
    pub live: LiveRestores,
    /// Opens the restore dialog for the current selection.
    pub on_restore: Callback<()>,
    /// "campaign"/"campaigns" or "Canvas"/"Canvases".
    pub nouns: (&'static str, &'static str),
}

#[component]
pub fn MessageTable(
    base: &'static str,
    query: Memo<MessageListQuery>,
    rows: Option<Page<MessageSummary>>,
    bulk: Bulk,
) -> impl IntoView {
    let columns = if bulk.enabled { 6 } else { 5 };
    let header = move |label: &'static str, key: SortKey| {
        let q = query.get();
        let aria = match (q.sort == key, q.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        };
        view! {
            <th scope="col" aria-sort=aria>
                <A href=list_href(base, &sort_by(&q, key))>{label}</A>
            </th>
        }
    };
    let Some(page) = rows else {
        return view! {
            <table class="table"><tbody><LoadingRows columns/></tbody></table>
        }
        .into_any();
    };
    if page.items.is_empty() {
        let filtered = query.with(|q| {
            !q.q.is_empty() || !q.tags.is_empty() || q.status.is_some() || q.data_state.is_some()
        });
        let detail = if filtered {
            "Nothing matches these filters."
        } else {
            "Messages appear here once they are created through the API."
        };
        return view! {
            <EmptyState title="No messages found" detail=detail>
                {filtered.then(|| view! { <a class="button secondary" href=base>"Clear filters"</a> })}
            </EmptyState>
        }
        .into_any();
    }
    let q = query.get();
    let first = q.offset() + 1;
    let last = q.offset() + page.items.len() as u64;
    let pages = page.page_count();
    let at_page = |n: u32| {
        list_href(
            base,
            &MessageListQuery {
                page: n,
                ..q.clone()
            },
        )
    };
    let prev = (page.page > 1).then(|| at_page(page.page - 1));
    let next = (page.page < pages).then(|| at_page(page.page + 1));
    let page_ids: Vec<i64> = page.items.iter().map(|m| m.id).collect();
    let total = page.total;
    view! {
        <div class="list-toolbar">
            <p class="result-count" data-total=page.total>
                {format!("Showing {}–{} of {}", format::count(first as i64), format::count(last as i64), format::count(page.total as i64))}
            </p>
            {bulk.enabled.then(|| view! { <BulkBar bulk total page_ids=page_ids.clone()/> })}
        </div>
        <table class="table messages">
            <thead>
                <tr>
                    {bulk.enabled.then(|| view! { <th scope="col" class="check-cell"><PageCheckbox bulk page_ids=page_ids.clone()/></th> })}
                    {header("Name", SortKey::Name)}
                    <th scope="col">"Status"</th>
                    <th scope="col">"Data"</th>
                    {header("Last activity", SortKey::LastActivity)}
                    {header("Created", SortKey::Created)}
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|m| view! { <MessageRow message=m bulk page_ids=page_ids.clone()/> }).collect_view()}
            </tbody>
        </table>
        <nav class="pagination" aria-label="Pages">
            {match prev {
                Some(href) => view! { <A href=href attr:rel="prev">"← Previous"</A> }.into_any(),
                None => view! { <span class="disabled">"← Previous"</span> }.into_any(),
            }}
            <span>{format!("Page {} of {}", page.page, pages)}</span>
            {match next {
                Some(href) => view! { <A href=href attr:rel="next">"Next →"</A> }.into_any(),
                None => view! { <span class="disabled">"Next →"</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}

#[component]
fn MessageRow(message: MessageSummary, bulk: Bulk, page_ids: Vec<i64>) -> impl IntoView {
    let href = format!("/messages/{}", message.id);
    let id = message.id;
    let selection = bulk.selection;
    let hydrated = use_hydrated();
    let check = bulk.enabled.then(|| {
        let label = format!("Select {}", message.name);
        view! {
            <td class="check-cell">
                <input
                    type="checkbox"
                    aria-label=label
                    disabled=move || !hydrated.get()
                    prop:checked=move || selection.with(|s| s.contains(id))
                    on:change=move |_| selection.update(|s| s.toggle(id, &page_ids))
                />
            </td>
        }
    });
    view! {
        <tr data-id=id class:selected=move || bulk.enabled && selection.with(|s| s.contains(id))>
            {check}
            <td class="name-cell">
                <A href=href attr:class="row-link">{message.name.clone()}</A>
                <TagList tags=message.tags.clone()/>
            </td>
            <td><StatusBadge status=message.status/></td>
            <td class="state-cell">
                <LiveDataBadge live=bulk.live message_id=id state=message.data_state expires_at=message.expires_at/>
            </td>
            <td class="date-cell">{format::date(message.last_activity_at)}</td>
            <td class="date-cell">{format::date(message.created_at)}</td>
        </tr>
    }
}

/// The header checkbox: the whole visible page, or part of it.
#[component]
fn PageCheckbox(bulk: Bulk, page_ids: Vec<i64>) -> impl IntoView {
    let selection = bulk.selection;
    let hydrated = use_hydrated();
    let ids = StoredValue::new(page_ids);
    let state = move || selection.with(|s| ids.with_value(|ids| s.page_check(ids)));
    view! {
        <input
            type="checkbox"
            aria-label="Select every row on this page"
            data-testid="select-page"
            disabled=move || !hydrated.get()
            prop:checked=move || state() == PageCheck::All
            prop:indeterminate=move || state() == PageCheck::Some
            on:change=move |_| selection.update(|s| ids.with_value(|ids| s.toggle_page(ids)))
        />
    }
}

/// Shown while something is selected: how much, "Select all N
/// matching", "Clear", and the restore button.
#[component]
fn BulkBar(bulk: Bulk, total: u64, page_ids: Vec<i64>) -> impl IntoView {
    let selection = bulk.selection;
    let (one, many) = bulk.nouns;
    let on_page = page_ids.len();
    let ids = StoredValue::new(page_ids);
    let whole_page =
        move || selection.with(|s| ids.with_value(|ids| s.page_check(ids)) == PageCheck::All);
    move || {
        let s = selection.get();
        if s.is_empty() {
            return None;
        }
        let count = s.count(total);
        let words = if s.all_matching {
            format!(
                "All {} matching {many} selected",
                format::count(count as i64)
            )
        } else if count == 1 {
            format!("1 {one} selected")
        } else {
            format!("{} {many} selected", format::count(count as i64))
        };
        let offer_all = !s.all_matching && whole_page() && total > on_page as u64;
        Some(view! {
            <div class="bulk-bar" role="group" aria-label="Bulk actions" data-testid="bulk-bar">
                <span class="bulk-count" aria-live="polite" data-testid="selected-count">{words}</span>
                {offer_all.then(|| view! {
                    <button
                        type="button"
                        class="button link small"
                        data-testid="select-all-matching"
                        on:click=move |_| selection.set(Selection { all_matching: true, ..Default::default() })
                    >
                        {format!("Select all {} matching", format::count(total as i64))}
                    </button>
                })}
                <button type="button" class="button link small" on:click=move |_| selection.set(Selection::default())>
                    "Clear selection"
                </button>
                <button type="button" class="button small" on:click=move |_| bulk.on_restore.run(())>
                    "Restore interaction data"
                </button>
            </div>
        })
    }
}
