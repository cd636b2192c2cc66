//! The Campaigns and Canvases list pages: search, tag chips, status and
//! data-state filters, sorting and pagination, all held in the URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_navigate, use_query_map};
use recall::types::{
    DataState, MessageKind, MessageListQuery, MessageStatus, MessageSummary, Page, SortKey,
};

use crate::api::{list_messages, list_tags};
use crate::components::{
    DataStateBadge, EmptyState, ErrorState, LoadingRows, StatusBadge, TagList,
};
use crate::format;
use crate::list_url::{list_href, parse_list_query, sort_by, toggle_tag};

#[component]
pub fn MessageList(kind: MessageKind) -> impl IntoView {
    let (base, title) = match kind {
        MessageKind::Campaign => ("/campaigns", "Campaigns"),
        MessageKind::Canvas => ("/canvases", "Canvases"),
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
        <Transition fallback=move || view! { <MessageTable base query rows=None/> }>
            {move || Suspend::new(async move {
                match messages.await {
                    Ok(page) => view! { <MessageTable base query rows=Some(page)/> }.into_any(),
                    Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MessageTable(
    base: &'static str,
    query: Memo<MessageListQuery>,
    rows: Option<Page<MessageSummary>>,
) -> impl IntoView {
    let header = move |label: &'static str, key: SortKey| {
        let q = query.get();
        let aria = if q.sort == key {
            if q.descending {
                "descending"
            } else {
                "ascending"
            }
        } else {
            "none"
        };
        view! {
            <th scope="col" aria-sort=aria>
                <A href=list_href(base, &sort_by(&q, key))>{label}</A>
            </th>
        }
    };
    let Some(page) = rows else {
        return view! {
            <table class="table"><tbody><LoadingRows columns=5/></tbody></table>
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
    let prev = (page.page > 1).then(|| {
        list_href(
            base,
            &MessageListQuery {
                page: page.page - 1,
                ..q.clone()
            },
        )
    });
    let next = (page.page < pages).then(|| {
        list_href(
            base,
            &MessageListQuery {
                page: page.page + 1,
                ..q.clone()
            },
        )
    });
    view! {
        <p class="result-count" data-total=page.total>
            {format!("Showing {}–{} of {}", format::count(first as i64), format::count(last as i64), format::count(page.total as i64))}
        </p>
        <table class="table messages">
            <thead>
                <tr>
                    {header("Name", SortKey::Name)}
                    <th scope="col">"Status"</th>
                    <th scope="col">"Data"</th>
                    {header("Last activity", SortKey::LastActivity)}
                    {header("Created", SortKey::Created)}
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|m| view! { <MessageRow message=m/> }).collect_view()}
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
fn MessageRow(message: MessageSummary) -> impl IntoView {
    let href = format!("/messages/{}", message.id);
    view! {
        <tr data-id=message.id>
            <td class="name-cell">
                <A href=href attr:class="row-link">{message.name.clone()}</A>
                <TagList tags=message.tags.clone()/>
            </td>
            <td><StatusBadge status=message.status/></td>
            <td><DataStateBadge state=message.data_state expires_at=message.expires_at/></td>
            <td>{format::date(message.last_activity_at)}</td>
            <td>{format::date(message.created_at)}</td>
        </tr>
    }
}
