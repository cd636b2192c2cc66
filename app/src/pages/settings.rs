//! Settings: retention and, for admins, the audit log.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_audit_log, get_viewer};
use crate::components::{EmptyState, ErrorState};
use crate::format;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
    view! {
        <Title text="Settings"/>
        <header class="page-header"><h1>"Settings"</h1></header>
        <section class="card">
            <h2>"Retention"</h2>
            <p>"Interaction data of stopped messages stays available for three calendar months after its last activity, then moves to long-term storage."</p>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(v) if v.is_admin() => view! { <AuditLog/> }.into_any(),
                    Ok(_) => view! { <p class="muted">"The audit log is visible to admins."</p> }.into_any(),
                    Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
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
