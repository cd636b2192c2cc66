//! Settings: the retention window (admins change it) and, for admins, the
//! audit log.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{RetentionSetting, get_audit_log, get_retention, get_viewer, set_retention};
use crate::components::{EmptyState, ErrorState, use_hydrated};
use crate::format;

/// The windows an admin can pick; one set another way (the API, an older
/// version) is shown as an extra choice.
const CHOICES: [Option<u32>; 6] = [Some(1), Some(2), Some(3), Some(6), Some(12), None];

#[component]
pub fn SettingsPage() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
    view! {
        <Title text="Settings"/>
        <header class="page-header"><h1>"Settings"</h1></header>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(v) if v.is_admin() => view! { <Retention can_change=true/> <AuditLog/> }.into_any(),
                    Ok(_) => view! {
                        <Retention can_change=false/>
                        <p class="muted">"The audit log is visible to admins."</p>
                    }.into_any(),
                    Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What saving a retention window returns.
type SaveRetention = Action<Option<u32>, Result<RetentionSetting, ServerFnError>>;

/// The workspace's retention window; admins can change it.
#[component]
fn Retention(can_change: bool) -> impl IntoView {
    let current = Resource::new(|| (), |_| get_retention());
    // Lives outside the Transition, so its outcome stays on screen when the
    // reloaded setting re-renders the form.
    let save: SaveRetention = Action::new(move |months: &Option<u32>| {
        let months = *months;
        async move {
            let saved = set_retention(months).await;
            if saved.is_ok() {
                current.refetch();
            }
            saved
        }
    });
    view! {
        <section class="card retention" aria-labelledby="retention-title" data-testid="retention">
            <h2 id="retention-title">"Data retention"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(setting) => view! {
                            <RetentionSummary setting/>
                            {if can_change {
                                view! { <RetentionForm setting save/> }.into_any()
                            } else {
                                view! { <p class="hint">"Only admins can change it."</p> }.into_any()
                            }}
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{format::failure(&err)}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || match save.value().get() {
                Some(Ok(saved)) => Some(view! {
                    <p class="form-success" role="status">
                        {format!("Saved. Retention is now {}.", format::retention(saved.months).to_lowercase())}
                    </p>
                }.into_any()),
                Some(Err(err)) => Some(view! { <p class="form-error" role="alert">{format::failure(&err)}</p> }.into_any()),
                None => None,
            }}
        </section>
    }
}

#[component]
fn RetentionSummary(setting: RetentionSetting) -> impl IntoView {
    let window = view! { <strong data-testid="retention-window">{format::retention(setting.months)}</strong> };
    let sentence = match setting.months {
        Some(_) => view! {
            "Interaction data of stopped messages stays available for " {window}
            " after its last activity, then moves to long-term storage."
        }
        .into_any(),
        None => view! {
            "Retention is set to " {window}
            ": interaction data of stopped messages stays available indefinitely."
        }
        .into_any(),
    };
    view! {
        <p class="retention-lead">{sentence}</p>
        <p class="hint">"Live and retained data never expire, whatever the window."</p>
    }
}

#[component]
fn RetentionForm(setting: RetentionSetting, save: SaveRetention) -> impl IntoView {
    let choice = RwSignal::new(choice_value(setting.months));
    let hydrated = use_hydrated();
    let unchanged = move || choice.get() == choice_value(setting.months);
    let mut choices = CHOICES.to_vec();
    if !choices.contains(&setting.months) {
        choices.insert(0, setting.months);
    }
    view! {
        <form
            class="inline-form"
            on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(parse_choice(&choice.get_untracked()));
            }
        >
            <label class="field-label" for="retention-months">
                "Keep the data of stopped messages available for"
            </label>
            <div class="inline-controls">
                <select id="retention-months" name="months" bind:value=choice>
                    {choices
                        .into_iter()
                        .map(|months| {
                            // `selected` too: before hydration the select
                            // shows the current window without the binding.
                            view! {
                                <option value=choice_value(months) selected=months == setting.months>
                                    {format::retention(months)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <button
                    type="submit"
                    class="button"
                    disabled=move || !hydrated.get() || save.pending().get() || unchanged()
                    aria-busy=move || save.pending().get().to_string()
                >
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
            </div>
        </form>
        <p class="hint">"A shorter window applies at once: data past it moves to long-term storage at the next expiry run."</p>
    }
}

/// `<option>` values: the months, or "never".
fn choice_value(months: Option<u32>) -> String {
    months.map_or_else(|| "never".to_string(), |m| m.to_string())
}

fn parse_choice(value: &str) -> Option<u32> {
    value.parse().ok()
}

#[component]
fn AuditLog() -> impl IntoView {
    let entries = Resource::new(|| (), |_| get_audit_log());
    view! {
        <section class="card" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title="Nothing recorded yet" detail="Sign-ins, restores, expiries and key changes appear here."/> }.into_any(),
                        Ok(list) => view! {
                            <table class="table audit">
                                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Detail"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr><td>{format::date_time(e.at)}</td><td>{e.actor}</td><td><code>{e.action}</code></td><td>{e.detail}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
