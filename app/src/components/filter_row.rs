//! One filter of the builder: its type, then only the inputs that type
//! takes (message, step, variant, link, machine opens, days, tag), and a
//! "Not" to turn it into "has not".

use leptos::prelude::*;

use super::{FilterState, MessagePicker};
use crate::api_segments::MessageChoice;
use crate::filters::{DaysMode, Family, FilterKind, Labelled};

#[component]
pub fn FilterRow(
    filter: FilterState,
    tags: Vec<String>,
    id_prefix: &'static str,
    /// "group 1, filter 2", for labels that must say which row.
    #[prop(into)]
    label: Signal<String>,
    /// The engine's complaint about this row.
    #[prop(into)]
    error: Signal<Option<String>>,
    #[prop(into)] on_remove: Callback<()>,
) -> impl IntoView {
    let f = filter;
    let id = move |what: &str| format!("{id_prefix}-f{}-{what}", f.key);
    // Each part of the row rebuilds only when what it depends on changes.
    let kind = Memo::new(move |_| f.kind.get());
    let takes = move |test: fn(FilterKind) -> bool| Memo::new(move |_| test(kind.get()));
    let (takes_message, takes_step, takes_variant, takes_link) = (
        takes(FilterKind::takes_message),
        takes(FilterKind::takes_step),
        takes(FilterKind::takes_variant),
        takes(FilterKind::takes_link),
    );
    let (takes_machine, takes_days, takes_tag) = (
        takes(FilterKind::takes_machine_opens),
        takes(FilterKind::takes_days),
        takes(FilterKind::takes_tag),
    );
    let steps = Memo::new(move |_| f.message.with(|m| m.as_ref().map(|m| m.steps.clone())));
    let variants = Memo::new(move |_| f.message.with(|m| m.as_ref().map(|m| m.variants.clone())));
    let missing = Memo::new(move |_| f.draft().missing());
    let invalid = Signal::derive(move || error.with(Option::is_some));
    // A step or variant the newly chosen message lacks would be refused.
    let on_choose = Callback::new(move |m: MessageChoice| {
        if !m.steps.iter().any(|s| s.key == f.step.get_untracked()) {
            f.step.set(String::new());
        }
        if !m
            .variants
            .iter()
            .any(|v| v.key == f.variant.get_untracked())
        {
            f.variant.set(String::new());
        }
        f.message.set(Some(m));
    });
    let initial_kind = f.kind.get_untracked();
    let tag_now = f.tag.get_untracked();
    let mut tag_options = tags;
    if !tag_now.is_empty() && !tag_options.contains(&tag_now) {
        tag_options.insert(0, tag_now);
    }
    let tag_options = StoredValue::new(tag_options);

    view! {
        <div class="filter-edit" class:invalid=move || invalid.get() data-testid="filter">
            <label class="not-toggle" title="Match people who did not do this">
                <input
                    type="checkbox"
                    checked=f.negate.get_untracked()
                    bind:checked=f.negate
                    aria-label=move || format!("Not ({})", label.get())
                />
                <span aria-hidden="true">"Not"</span>
            </label>
            <div class="field compact">
                <label for=id("kind")>"Filter"</label>
                <select
                    id=id("kind")
                    prop:value=move || kind.get().name()
                    on:change=move |ev| {
                        if let Some(k) = FilterKind::from_name(&event_target_value(&ev)) {
                            f.kind.set(k);
                        }
                    }
                >
                    {Family::ALL.into_iter().map(|family| view! {
                        <optgroup label=family.label()>
                            {FilterKind::ALL.into_iter().filter(|k| k.family() == family).map(|k| view! {
                                <option value=k.name() selected=k == initial_kind>{k.label()}</option>
                            }).collect_view()}
                        </optgroup>
                    }).collect_view()}
                </select>
            </div>
            {move || takes_message.get().then(|| view! {
                <div class="field compact message-field">
                    <label for=id("message")>"Message"</label>
                    <MessagePicker id=id("message") selected=f.message on_choose invalid/>
                </div>
            })}
            {move || (takes_step.get() && steps.with(|s| s.as_ref().is_some_and(|s| !s.is_empty()))).then(|| {
                let current = f.step.get_untracked();
                view! {
                    <div class="field compact">
                        <label for=id("step")>"Step"</label>
                        <select id=id("step") prop:value=move || f.step.get() on:change=move |ev| f.step.set(event_target_value(&ev))>
                            <option value="" selected=current.is_empty()>"Any step"</option>
                            {steps.get().unwrap_or_default().into_iter().map(|s| view! {
                                <option value=s.key.clone() selected=s.key == current>{s.name}</option>
                            }).collect_view()}
                        </select>
                    </div>
                }
            })}
            {move || takes_variant.get().then(|| {
                let current = f.variant.get_untracked();
                view! {
                    <div class="field compact">
                        <label for=id("variant")>"Variant"</label>
                        <select id=id("variant") prop:value=move || f.variant.get() on:change=move |ev| f.variant.set(event_target_value(&ev))>
                            <option value="" selected=current.is_empty()>"Choose a variant…"</option>
                            {variants.get().unwrap_or_default().into_iter().map(|v| view! {
                                <option value=v.key.clone() selected=v.key == current>{v.name}</option>
                            }).collect_view()}
                        </select>
                    </div>
                }
            })}
            {move || takes_link.get().then(|| view! {
                <div class="field compact">
                    <label for=id("link")>"Link alias " <span class="optional">"(optional)"</span></label>
                    <input id=id("link") type="text" placeholder="Any link" value=f.link.get_untracked() bind:value=f.link/>
                </div>
            })}
            {move || takes_machine.get().then(|| view! {
                <label class="check">
                    <input type="checkbox" checked=f.exclude_machine_opens.get_untracked() bind:checked=f.exclude_machine_opens/>
                    "Exclude machine opens"
                </label>
            })}
            {move || takes_days.get().then(|| {
                let mode = f.days_mode.get_untracked();
                view! {
                    <div class="field compact">
                        <label for=id("when")>"When"</label>
                        <select
                            id=id("when")
                            prop:value=move || f.days_mode.get().key()
                            on:change=move |ev| f.days_mode.set(DaysMode::parse(&event_target_value(&ev)))
                        >
                            <option value="within_days" selected=mode == DaysMode::Within>"less than"</option>
                            <option value="more_than_days" selected=mode == DaysMode::MoreThan>"more than"</option>
                        </select>
                    </div>
                    <div class="field compact days-field">
                        <label for=id("days")>"Days ago"</label>
                        <input id=id("days") type="number" inputmode="numeric" min="1" max="3650" value=f.days.get_untracked() bind:value=f.days/>
                    </div>
                }
            })}
            {move || takes_tag.get().then(|| {
                let current = f.tag.get_untracked();
                view! {
                    <div class="field compact">
                        <label for=id("tag")>"Tag"</label>
                        <select id=id("tag") prop:value=move || f.tag.get() on:change=move |ev| f.tag.set(event_target_value(&ev))>
                            <option value="" selected=current.is_empty()>"Choose a tag…"</option>
                            {tag_options.get_value().into_iter().map(|t| view! {
                                <option value=t.clone() selected=t == current>{t.clone()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                }
            })}
            <button
                type="button"
                class="icon-button remove"
                aria-label=move || format!("Remove {}", label.get())
                title="Remove this filter"
                on:click=move |_| on_remove.run(())
            >
                "×"
            </button>
            {move || match (error.get(), missing.get()) {
                (Some(text), _) => Some(view! { <p class="row-error" role="alert">{crate::components::sentence(&text)}</p> }.into_any()),
                (None, Some(what)) => Some(view! { <p class="row-hint">{what}</p> }.into_any()),
                (None, None) => None,
            }}
        </div>
    }
    .into_any()
}
