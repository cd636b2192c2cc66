//! The filter builder shared by the segments page and a message's
//! audience: groups that must all match (AND), each a list of filters of
//! which any may match (OR).

use leptos::prelude::*;

use super::FilterRow;
use crate::api_segments::MessageChoice;
use crate::filters::{AudienceDraft, Complaint, DaysMode, FilterDraft, FilterKind};

/// One filter's fields, each its own signal so typing in one input does
/// not rebuild the row around it.
#[derive(Debug, Clone, Copy)]
pub struct FilterState {
    pub key: u64,
    pub kind: RwSignal<FilterKind>,
    pub negate: RwSignal<bool>,
    pub message: RwSignal<Option<MessageChoice>>,
    pub step: RwSignal<String>,
    pub variant: RwSignal<String>,
    pub link: RwSignal<String>,
    pub exclude_machine_opens: RwSignal<bool>,
    pub days_mode: RwSignal<DaysMode>,
    pub days: RwSignal<String>,
    pub tag: RwSignal<String>,
}

impl FilterState {
    fn new(key: u64, d: FilterDraft, messages: &[MessageChoice]) -> Self {
        let message = d
            .message_id
            .and_then(|id| messages.iter().find(|m| m.id == id).cloned());
        Self {
            key,
            kind: RwSignal::new(d.kind),
            negate: RwSignal::new(d.negate),
            message: RwSignal::new(message),
            step: RwSignal::new(d.step),
            variant: RwSignal::new(d.variant),
            link: RwSignal::new(d.link),
            exclude_machine_opens: RwSignal::new(d.exclude_machine_opens),
            days_mode: RwSignal::new(d.days_mode),
            days: RwSignal::new(d.days),
            tag: RwSignal::new(d.tag),
        }
    }

    /// The draft, read reactively.
    pub fn draft(&self) -> FilterDraft {
        FilterDraft {
            kind: self.kind.get(),
            negate: self.negate.get(),
            message_id: self.message.with(|m| m.as_ref().map(|m| m.id)),
            step: self.step.get(),
            variant: self.variant.get(),
            link: self.link.get(),
            exclude_machine_opens: self.exclude_machine_opens.get(),
            days_mode: self.days_mode.get(),
            days: self.days.get(),
            tag: self.tag.get(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct GroupState {
    pub key: u64,
    pub filters: RwSignal<Vec<FilterState>>,
}

/// The whole tree. Rows added later get their signals from the builder's
/// owner, so they are cleaned up with it.
#[derive(Debug, Clone, Copy)]
pub struct BuilderState {
    pub groups: RwSignal<Vec<GroupState>>,
    next_key: StoredValue<u64>,
    owner: StoredValue<Option<Owner>>,
}

impl BuilderState {
    /// `messages` are the choices for the messages `draft` names.
    pub fn new(draft: AudienceDraft, messages: &[MessageChoice]) -> Self {
        let mut key = 0;
        let mut next = || {
            key += 1;
            key
        };
        let groups = draft
            .groups
            .into_iter()
            .map(|g| GroupState {
                key: next(),
                filters: RwSignal::new(
                    g.into_iter()
                        .map(|f| FilterState::new(next(), f, messages))
                        .collect(),
                ),
            })
            .collect();
        Self {
            groups: RwSignal::new(groups),
            next_key: StoredValue::new(key + 1),
            owner: StoredValue::new(Owner::current()),
        }
    }

    pub fn draft(&self) -> AudienceDraft {
        AudienceDraft {
            groups: self.groups.with(|gs| {
                gs.iter()
                    .map(|g| {
                        g.filters
                            .with(|fs| fs.iter().map(FilterState::draft).collect())
                    })
                    .collect()
            }),
        }
    }

    fn key(&self) -> u64 {
        self.next_key.update_value(|k| *k += 1);
        self.next_key.get_value()
    }

    fn in_owner<T>(&self, make: impl FnOnce() -> T) -> T {
        match self.owner.get_value() {
            Some(owner) => owner.with(make),
            None => make(),
        }
    }

    fn blank_filter(&self) -> FilterState {
        let key = self.key();
        self.in_owner(|| FilterState::new(key, FilterDraft::default(), &[]))
    }

    pub fn add_group(&self) {
        let filter = self.blank_filter();
        let key = self.key();
        let group = self.in_owner(|| GroupState {
            key,
            filters: RwSignal::new(vec![filter]),
        });
        self.groups.update(|gs| gs.push(group));
    }

    pub fn add_filter(&self, group: u64) {
        let filter = self.blank_filter();
        if let Some(g) = self.group(group) {
            g.filters.update(|fs| fs.push(filter));
        }
    }

    /// Removing a group's last filter removes the group.
    pub fn remove_filter(&self, group: u64, filter: u64) {
        let Some(g) = self.group(group) else { return };
        g.filters.update(|fs| fs.retain(|f| f.key != filter));
        if g.filters.with_untracked(Vec::is_empty) {
            self.remove_group(group);
        }
    }

    pub fn remove_group(&self, group: u64) {
        self.groups.update(|gs| gs.retain(|g| g.key != group));
    }

    fn group(&self, key: u64) -> Option<GroupState> {
        self.groups
            .with_untracked(|gs| gs.iter().find(|g| g.key == key).copied())
    }

    /// Where a row is now, as the engine counts: (group, filter).
    pub fn position(&self, group: u64, filter: u64) -> Option<(usize, usize)> {
        self.groups.with(|gs| {
            let g = gs.iter().position(|g| g.key == group)?;
            let f = gs[g]
                .filters
                .with(|fs| fs.iter().position(|f| f.key == filter))?;
            Some((g, f))
        })
    }

    fn group_index(&self, group: u64) -> Option<usize> {
        self.groups
            .with(|gs| gs.iter().position(|g| g.key == group))
    }
}

#[component]
pub fn AudienceBuilder(
    state: BuilderState,
    /// The workspace's tags, for the tag filters.
    tags: Vec<String>,
    /// Makes ids unique when two builders share a page.
    id_prefix: &'static str,
    /// What is wrong with the filters, shown at the row it names.
    #[prop(into)]
    error: Signal<Option<Complaint>>,
    /// Controls stay disabled until the page is interactive.
    #[prop(into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let tags = StoredValue::new(tags);
    view! {
        <fieldset class="builder" disabled=move || disabled.get() data-testid="builder">
            <legend class="visually-hidden">"Filters"</legend>
            <Show when=move || state.groups.with(Vec::is_empty)>
                <p class="muted builder-empty">"No filters: everyone matches. Add a group to narrow it down."</p>
            </Show>
            <For each=move || state.groups.get() key=|g| g.key let:group>
                {
                    let index = move || state.group_index(group.key).unwrap_or(0);
                    let group_error = move || error.get().filter(|l| l.filter.is_none() && l.group == Some(index()));
                    view! {
                        {move || (index() > 0).then(|| view! { <p class="joiner and" aria-hidden="true">"and"</p> })}
                        <fieldset class="filter-group" data-testid="filter-group">
                            <legend>
                                {move || format!("Group {}", index() + 1)}
                                <span class="muted">{move || if group.filters.with(|f| f.len() > 1) { " · any of these" } else { "" }}</span>
                            </legend>
                            <For each=move || group.filters.get() key=|f| f.key let:filter>
                                {
                                    let position = move || state.position(group.key, filter.key);
                                    view! {
                                        {move || position().is_some_and(|(_, f)| f > 0).then(|| view! { <p class="joiner or" aria-hidden="true">"or"</p> })}
                                        <FilterRow
                                            filter
                                            tags=tags.get_value()
                                            id_prefix
                                            label=Signal::derive(move || position().map(|(g, f)| format!("group {}, filter {}", g + 1, f + 1)).unwrap_or_default())
                                            error=Signal::derive(move || {
                                                let here = position()?;
                                                error.get().filter(|l| l.group == Some(here.0) && l.filter == Some(here.1)).map(|l| l.text)
                                            })
                                            on_remove=Callback::new(move |()| state.remove_filter(group.key, filter.key))
                                        />
                                    }
                                }
                            </For>
                            {move || group_error().map(|l| view! { <p class="row-error" role="alert">{l.text}</p> })}
                            <div class="group-actions">
                                <button type="button" class="button secondary small" on:click=move |_| state.add_filter(group.key)>
                                    "+ Or"
                                    <span class="visually-hidden">{move || format!(" filter in group {}", index() + 1)}</span>
                                </button>
                                <button type="button" class="button link small" on:click=move |_| state.remove_group(group.key)>
                                    {move || format!("Remove group {}", index() + 1)}
                                </button>
                            </div>
                        </fieldset>
                    }
                }
            </For>
            <button type="button" class="button secondary small add-group" on:click=move |_| state.add_group()>
                "+ And group"
            </button>
        </fieldset>
    }
    .into_any()
}
