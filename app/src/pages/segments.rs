//! Segments: saved retargeting audiences with their live counts, and the
//! builder for one of them. `?segment=ID` (or `new`) in the URL opens the
//! builder, so links and the back button work.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::segment_editor::SegmentEditor;
use crate::api::{get_viewer, list_tags};
use crate::api_segments::{
    SegmentDetail, SegmentSummary, get_segment, list_segments, segment_users,
};
use crate::components::{EmptyState, ErrorState, LoadingRows};
use crate::format;
use recall::types::{TagCount, UserPage};

/// What the last save or delete did, and which `?segment=` it is about.
pub type Notice = RwSignal<Option<(Option<String>, String)>>;

#[component]
pub fn SegmentsPage() -> impl IntoView {
    let url = use_query_map();
    let selected = Memo::new(move |_| url.with(|q| q.get("segment")));
    let viewer = Resource::new(|| (), |_| get_viewer());
    // Bumped after a save or delete, so the list counts again.
    let version = RwSignal::new(0_u32);
    let list = Resource::new(move || version.get(), |_| list_segments());
    let open = OpenSegment::new(selected);
    // What the last save or delete did, for the segment it was about
    // (`None`: the list), until another segment is opened.
    let notice: Notice = RwSignal::new(None);
    let navigate = use_navigate();
    let on_saved = {
        let navigate = navigate.clone();
        Callback::new(move |(id, text): (i64, String)| {
            notice.set(Some((Some(id.to_string()), text)));
            version.update(|v| *v += 1);
            navigate(&format!("/segments?segment={id}"), Default::default());
        })
    };
    let on_deleted = Callback::new(move |text: String| {
        notice.set(Some((None, text)));
        version.update(|v| *v += 1);
        navigate("/segments", Default::default());
    });
    view! {
        <Title text="Segments"/>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            // The editor is made here, once per opened segment, not inside a
            // closure of the view: rendered on the server, such a closure
            // runs twice and its resources would not match the browser's.
            {move || {
                let sel = selected.get();
                Suspend::new(async move {
                    let can_edit = viewer.await.is_ok_and(|v| v.can_edit());
                    let editor = sel.map(|sel| view! { <EditorLoader sel can_edit open on_saved on_deleted notice/> });
                    view! {
                        <header class="page-header">
                            <div>
                                <h1>"Segments"</h1>
                                <p class="subtitle">"Saved retargeting audiences, counted exactly and live."</p>
                            </div>
                            {can_edit.then(|| view! {
                                <A href="/segments?segment=new" attr:class="button">"New segment"</A>
                            })}
                        </header>
                        {move || notice.get().filter(|(about, _)| *about == selected.get()).map(|(_, text)| view! {
                            <p class="form-success notice" role="status" data-testid="notice">{text}</p>
                        })}
                        {editor}
                        <SegmentTable list selected can_edit/>
                    }
                })
            }}
        </Transition>
    }
    .into_any()
}

/// What the page loads for the open segment. Made once, at the top of the
/// page rather than inside a suspended view (which the server may run more
/// than once), so the server and the browser number these resources alike.
#[derive(Clone, Copy)]
pub struct OpenSegment {
    pub detail: Resource<Result<Option<SegmentDetail>, ServerFnError>>,
    pub tags: Resource<Result<Vec<TagCount>, ServerFnError>>,
    /// The first page of the saved segment's users.
    pub users: Resource<Result<Option<UserPage>, ServerFnError>>,
    /// Bumped after a save, so `users` are of the saved filter.
    pub saved: RwSignal<u32>,
}

impl OpenSegment {
    fn new(selected: Memo<Option<String>>) -> Self {
        let id = move || selected.get().and_then(|s| s.parse::<i64>().ok());
        let saved = RwSignal::new(0_u32);
        Self {
            detail: Resource::new(id, |id| async move {
                match id {
                    Some(id) => get_segment(id).await.map(Some),
                    None => Ok(None),
                }
            }),
            tags: Resource::new(|| (), |_| list_tags()),
            users: Resource::new(
                move || (id(), saved.get()),
                |(id, _)| async move {
                    match id {
                        Some(id) => segment_users(id, None).await.map(Some),
                        None => Ok(None),
                    }
                },
            ),
            saved,
        }
    }
}

/// The chosen segment (or a new one) in the builder, once loaded.
#[component]
fn EditorLoader(
    sel: String,
    can_edit: bool,
    open: OpenSegment,
    on_saved: Callback<(i64, String)>,
    on_deleted: Callback<String>,
    notice: Notice,
) -> impl IntoView {
    if sel.parse::<i64>().is_err() && !can_edit {
        return view! { <p class="muted">"Only editors and admins can create segments."</p> }
            .into_any();
    }
    view! {
        <Transition fallback=|| view! { <section class="card"><p class="loading" role="status">"Loading segment…"</p></section> }>
            {move || Suspend::new(async move {
                let tags: Vec<String> = open.tags.await.unwrap_or_default().into_iter().map(|t| t.name).collect();
                match open.detail.await {
                    Ok(detail) => view! {
                        <SegmentEditor detail tags can_edit open on_saved on_deleted notice/>
                    }.into_any(),
                    Err(err) => view! { <ErrorState message=format::failure(&err)/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn SegmentTable(
    list: Resource<Result<Vec<SegmentSummary>, ServerFnError>>,
    selected: Memo<Option<String>>,
    can_edit: bool,
) -> impl IntoView {
    let head = || {
        view! {
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col" class="num">"People"</th>
                    <th scope="col">"Used by"</th>
                    <th scope="col">"Updated"</th>
                </tr>
            </thead>
        }
    };
    view! {
        <section aria-labelledby="segment-list-title">
            <h2 id="segment-list-title" class="section-title">"Saved segments"</h2>
            <Transition fallback=move || view! { <table class="table segments">{head()}<tbody><LoadingRows columns=4/></tbody></table> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <EmptyState
                                title="No segments yet"
                                detail=if can_edit {
                                    "Build one with “New segment”: combine who received, opened or clicked which messages, and see the exact count as you go."
                                } else {
                                    "Editors and admins build segments; they will be listed here with their live counts."
                                }
                            />
                        }.into_any(),
                        Ok(rows) => view! {
                            <table class="table segments" data-testid="segment-list">
                                {head()}
                                <tbody>
                                    {rows.into_iter().map(|row| view! { <SegmentRow row selected/> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(err) => view! { <ErrorState message=format::failure(&err)/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn SegmentRow(row: SegmentSummary, selected: Memo<Option<String>>) -> impl IntoView {
    let id = row.segment.id;
    let is_current = move || selected.get() == Some(id.to_string());
    let count = match &row.evaluation {
        Some(e) if e.incomplete => view! {
            {format::count(e.count)}
            " "
            <span
                class="badge state-expired"
                title=format!("Incomplete: {} message(s) in long-term storage", e.expired_messages.len())
            >
                "incomplete"
            </span>
        }
        .into_any(),
        Some(e) => view! { {format::count(e.count)} }.into_any(),
        None => view! { <span class="muted" title="This segment could not be counted">"—"</span> }.into_any(),
    };
    let used_by = if row.used_by.is_empty() {
        view! { <span class="muted">"—"</span> }.into_any()
    } else {
        row.used_by
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                view! {
                    {(i > 0).then_some(", ")}
                    <a href=format!("/messages/{}", m.id)>{m.name}</a>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <tr class:current=is_current aria-current=move || is_current().then_some("true")>
            <th scope="row">
                <A href=format!("/segments?segment={id}") attr:class="row-link">{row.segment.name}</A>
            </th>
            <td class="num" data-testid="segment-count">{count}</td>
            <td>{used_by}</td>
            <td>{format::date(row.segment.updated_at)}</td>
        </tr>
    }
    .into_any()
}
