//! The landing page's restore control: "Restore interaction data", then a
//! progress bar that follows the job live, then (through the page's
//! reload) the message's new state. A failed job says why and offers a
//! retry.

use leptos::prelude::*;
use leptos::task::spawn_local;
use recall::types::{DataState, JobStatus, RestoreJob, RestoreRequest};

use super::restore_progress::{Poller, ProgressBar, rows_line};
use super::use_hydrated;
use crate::api_restores::{message_restore_job, request_restore};
use crate::format;

/// Consecutive failed polls after which the bar stops asking.
const MAX_POLL_ERRORS: u32 = 30;

#[component]
pub fn RestoreAction(
    message_id: i64,
    /// The state the page loaded with; `restoring` starts following the
    /// job at once.
    state: DataState,
    /// Editors and admins get the buttons; viewers see the progress.
    can_edit: bool,
    /// Runs when the job succeeded, so the page loads the new state.
    #[prop(into)]
    on_done: Callback<()>,
) -> impl IntoView {
    // The job shown: the latest one that matters for this page.
    let job = RwSignal::new(None::<RestoreJob>);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let errors = StoredValue::new(0_u32);
    let poller = Poller::new();
    let hydrated = use_hydrated();

    let follow = move || {
        poller.start(move || async move {
            if job.try_get_untracked().is_none() {
                return false;
            }
            match message_restore_job(message_id).await {
                Ok(Some(latest)) => {
                    errors.set_value(0);
                    let status = latest.status;
                    job.try_set(Some(latest));
                    if status == JobStatus::Succeeded {
                        on_done.run(());
                    }
                    !status.is_finished()
                }
                // The job is not visible yet (or any more): ask again.
                Ok(None) => true,
                Err(_) => {
                    errors.update_value(|n| *n += 1);
                    errors.get_value() < MAX_POLL_ERRORS
                }
            }
        })
    };

    // In the browser: pick up a job already under way, or the reason the
    // last one failed.
    Effect::new(move |_| {
        spawn_local(async move {
            let latest = message_restore_job(message_id).await.ok().flatten();
            match latest {
                Some(j) if !j.status.is_finished() => {
                    job.try_set(Some(j));
                    follow();
                }
                Some(j) if j.status == JobStatus::Failed => {
                    job.try_set(Some(j));
                }
                // It finished between the page load and now.
                Some(j) if state == DataState::Restoring => {
                    job.try_set(Some(j));
                    on_done.run(());
                }
                // An earlier restore, since expired again: not news.
                Some(_) => {}
                None if state == DataState::Restoring => follow(),
                None => {}
            }
        });
    });

    let restore = move || {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            let request = RestoreRequest {
                message_ids: vec![message_id],
                ..Default::default()
            };
            match request_restore(request).await {
                Ok(batch) => match batch.jobs.into_iter().find(|j| j.message_id == message_id) {
                    Some(queued) => {
                        let done = queued.status == JobStatus::Succeeded;
                        job.try_set(Some(queued));
                        if done {
                            on_done.run(());
                        } else {
                            follow();
                        }
                    }
                    None => {
                        let reason = batch
                            .skipped
                            .into_iter()
                            .next()
                            .map(|s| s.reason)
                            .unwrap_or_else(|| "nothing to restore".into());
                        failure.try_set(Some(format::failure(&ServerFnError::new(reason))));
                        on_done.run(());
                    }
                },
                Err(err) => {
                    failure.try_set(Some(format::failure(&err)));
                }
            }
            busy.try_set(false);
        });
    };

    let button = move |label: &'static str| {
        view! {
            <button
                type="button"
                class="button"
                disabled=move || !hydrated.get() || busy.get()
                aria-busy=move || busy.get().to_string()
                on:click=move |_| restore()
            >
                {move || if busy.get() { "Queuing…" } else { label }}
            </button>
        }
    };

    let body = move || match job.get() {
        Some(j) if j.status != JobStatus::Failed => view! { <Progress job=j/> }.into_any(),
        Some(j) => view! {
            <p class="restore-failed" data-testid="restore-failed">
                <strong>"The last restore failed: "</strong>
                {j.error.unwrap_or_else(|| "no reason was recorded".into())}
            </p>
            {can_edit.then(|| button("Retry"))}
        }
        .into_any(),
        None if state == DataState::Restoring => view! {
            <div class="restore-progress" data-testid="restore-progress" data-status="queued">
                <p class="progress-head"><strong>"Restoring…"</strong></p>
                <ProgressBar percent=None label="Restore progress"/>
            </div>
        }
        .into_any(),
        None if can_edit => view! {
            {button("Restore interaction data")}
            <p class="hint">"You get an email when it is back."</p>
        }
        .into_any(),
        None => view! { <p class="hint">"Editors can restore it."</p> }.into_any(),
    };

    view! {
        <div class="banner-actions restore-action" data-testid="restore-action">
            {body}
            {move || failure.get().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
        </div>
    }
    .into_any()
}

/// "Restoring… 45% · 1,200 of 2,600 rows" over a bar.
#[component]
fn Progress(job: RestoreJob) -> impl IntoView {
    let percent = job.percent();
    let (head, hint) = match job.status {
        JobStatus::Queued => (
            format!("Restoring… {percent}%"),
            "Queued: waiting for the restore worker.",
        ),
        JobStatus::Running => (
            format!("Restoring… {percent}%"),
            "Loading from long-term storage.",
        ),
        _ => ("Restored 100%".to_string(), "Done. Loading the new state…"),
    };
    // Until the job knows its size, the bar cannot say how far it is.
    let known = job.rows_total > 0 || job.status == JobStatus::Succeeded;
    view! {
        <div
            class="restore-progress"
            data-testid="restore-progress"
            data-status=job.status.as_str()
            data-percent=percent
        >
            <p class="progress-head" role="status">
                <strong>{head}</strong>
                <span class="progress-rows">{format!(" · {}", rows_line(&job))}</span>
            </p>
            <ProgressBar percent=known.then_some(percent) label="Restore progress"/>
            <p class="hint">{hint}</p>
        </div>
    }
    .into_any()
}
