//! Restores: every batch of restore jobs, newest first, with each job's
//! progress, rows and errors, live while anything runs; editors retry
//! failed jobs here.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use recall::types::{JobStatus, RestoreBatch, RestoreJob, RestoreRequest};

use crate::api::get_viewer;
use crate::api_restores::{list_restores, request_restore};
use crate::components::{
    EmptyState, ErrorState, JobStatusBadge, Poller, ProgressBar, elapsed, rows_line, use_hydrated,
};
use crate::format;

/// Consecutive failed polls after which the page stops asking.
const MAX_POLL_ERRORS: u32 = 30;

#[component]
pub fn RestoresPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| list_restores());
    let viewer = Resource::new(|| (), |_| get_viewer());
    view! {
        <Title text="Restores"/>
        <header class="page-header">
            <div>
                <h1>"Restores"</h1>
                <p class="subtitle">"Interaction data brought back from long-term storage, newest request first."</p>
            </div>
        </header>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_edit = viewer.await.is_ok_and(|v| v.can_edit());
                match first.await {
                    Ok(batches) => view! { <Batches initial=batches can_edit/> }.into_any(),
                    Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The list, kept live: the first load comes with the page, later ones
/// replace it once a second while any batch is unfinished.
#[component]
fn Batches(initial: Vec<RestoreBatch>, can_edit: bool) -> impl IntoView {
    let batches = RwSignal::new(initial);
    let poller = Poller::new();
    let errors = StoredValue::new(0_u32);
    let follow = move || {
        poller.start(move || async move {
            match list_restores().await {
                Ok(latest) => {
                    errors.set_value(0);
                    let running = latest.iter().any(|b| b.finished_at.is_none());
                    if batches.try_get_untracked().as_ref() != Some(&latest) {
                        batches.try_set(latest);
                    }
                    running
                }
                Err(_) => {
                    errors.update_value(|n| *n += 1);
                    errors.try_get_value().unwrap_or(MAX_POLL_ERRORS) < MAX_POLL_ERRORS
                }
            }
        })
    };
    Effect::new(move |_| {
        if batches.with_untracked(|b| b.iter().any(|b| b.finished_at.is_none())) {
            follow();
        }
    });
    let retried = Callback::new(move |batch: RestoreBatch| {
        batches.update(|b| b.insert(0, batch));
        follow();
    });
    move || {
        if batches.with(Vec::is_empty) {
            return view! {
                <EmptyState
                    title="No restores yet"
                    detail="When interaction data is brought back from long-term storage (from a message's page, a selection on the Campaigns or Canvases list, or the API), each request appears here with its progress."
                />
            }
            .into_any();
        }
        view! {
            <div class="batches">
                <For
                    each=move || with_superseded(batches.get())
                    key=|(b, superseded)| (b.id, b.finished_at, b.jobs.iter().map(|j| (j.status, j.rows_loaded, j.rows_total)).collect::<Vec<_>>(), superseded.clone())
                    let((batch, superseded))
                >
                    <BatchCard batch superseded can_edit retried/>
                </For>
            </div>
        }
        .into_any()
    }
}

#[component]
fn BatchCard(
    batch: RestoreBatch,
    /// Jobs a later request for the same message replaced.
    superseded: Vec<i64>,
    can_edit: bool,
    retried: Callback<RestoreBatch>,
) -> impl IntoView {
    let count = |status: JobStatus| batch.jobs.iter().filter(|j| j.status == status).count();
    let (ok, failed) = (count(JobStatus::Succeeded), count(JobStatus::Failed));
    let waiting = batch.jobs.len() - ok - failed;
    let (tone, state) = match (batch.finished_at, failed) {
        (None, _) => ("running", "In progress"),
        (Some(_), 0) => ("succeeded", "Finished"),
        (Some(_), n) if n == batch.jobs.len() => ("failed", "Failed"),
        (Some(_), _) => ("failed", "Finished with failures"),
    };
    let mut summary = vec![format!("{ok} restored")];
    if failed > 0 {
        summary.push(format!("{failed} failed"));
    }
    if waiting > 0 {
        summary.push(format!("{waiting} in progress"));
    }
    if !batch.skipped.is_empty() {
        summary.push(format!("{} skipped", batch.skipped.len()));
    }
    let took = match batch.finished_at {
        Some(end) => format!(
            "took {}",
            elapsed((end - batch.created_at).num_milliseconds())
        ),
        None => "still running".to_string(),
    };
    // Big finished batches fold away; anything running or failed stays open.
    let open = batch.finished_at.is_none() || failed > 0 || batch.jobs.len() <= 5;
    let jobs = batch.jobs.len();
    let title_id = format!("batch-{}", batch.id);
    let labelled_by = title_id.clone();
    view! {
        <section class=format!("card batch batch-{tone}") aria-labelledby=labelled_by data-testid="restore-batch" data-batch=batch.id data-state=tone>
            <div class="batch-head">
                <h2 id=title_id>{format!("#{} · {}", batch.id, batch.selection)}</h2>
                <span class=format!("badge job-{tone}")>{state}</span>
            </div>
            <p class="batch-meta">
                {requester(&batch.requested_by)}
                " · "
                <time datetime=batch.created_at.to_rfc3339()>{format::date_time(batch.created_at)}</time>
                " · "
                {took}
            </p>
            <p class="batch-summary" data-testid="batch-summary">{summary.join(" · ")}</p>
            <details class="batch-jobs" open=open>
                <summary>{if jobs == 1 { "1 job".to_string() } else { format!("{jobs} jobs") }}</summary>
                {(jobs > 0).then(|| view! {
                    <table class="table jobs">
                        <thead>
                            <tr>
                                <th scope="col">"Message"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col" class="progress-col">"Progress"</th>
                                <th scope="col" class="num">"Rows"</th>
                                <th scope="col" class="num">"Size"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {batch.jobs.clone().into_iter().map(|job| {
                                let later = superseded.contains(&job.id);
                                view! { <JobRow job later can_edit retried/> }
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            </details>
            {(!batch.skipped.is_empty()).then(|| view! {
                <details class="skipped">
                    <summary>{format!("{} skipped", batch.skipped.len())}</summary>
                    <ul class="reasons">
                        {batch.skipped.iter().map(|s| view! {
                            <li><a href=format!("/messages/{}", s.message_id)>{format!("Message {}", s.message_id)}</a>{format!(": {}", s.reason)}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn JobRow(
    job: RestoreJob,
    /// A later request for this message replaced this job.
    later: bool,
    can_edit: bool,
    retried: Callback<RestoreBatch>,
) -> impl IntoView {
    let percent = job.percent();
    let known = job.rows_total > 0 || job.status == JobStatus::Succeeded;
    let label = format!("Progress of {}", job.message_name);
    let error = job
        .error
        .clone()
        .filter(|_| job.status == JobStatus::Failed);
    let retry = match (job.status, later) {
        (JobStatus::Failed, true) => {
            Some(view! { <span class="muted">"Requested again since"</span> }.into_any())
        }
        (JobStatus::Failed, false) if can_edit => Some(
            view! { <RetryButton message_id=job.message_id name=job.message_name.clone() retried/> }
                .into_any(),
        ),
        _ => None,
    };
    view! {
        <tr data-job=job.id data-status=job.status.as_str()>
            <td>
                <a class="row-link" href=format!("/messages/{}", job.message_id)>{job.message_name.clone()}</a>
                {error.map(|e| view! { <p class="job-error" data-testid="job-error">{e}</p> })}
            </td>
            <td><JobStatusBadge status=job.status/></td>
            <td class="progress-col">
                <div class=format!("progress-cell {}", job.status.as_str())>
                    <ProgressBar percent=known.then_some(percent) label/>
                    <span class="progress-pct">{format!("{percent}%")}</span>
                </div>
            </td>
            <td class="num">{rows_line(&job)}</td>
            <td class="num">{format::bytes(job.bytes_total)}</td>
            <td class="actions">{retry}</td>
        </tr>
    }
    .into_any()
}

/// Retrying is asking again for that one message.
#[component]
fn RetryButton(message_id: i64, name: String, retried: Callback<RestoreBatch>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let hydrated = use_hydrated();
    let retry = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let request = RestoreRequest {
                message_ids: vec![message_id],
                ..Default::default()
            };
            match request_restore(request).await {
                Ok(batch) => retried.run(batch),
                Err(err) => {
                    failure.try_set(Some(format::failure(&err)));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <button
            type="button"
            class="button small secondary"
            aria-label=format!("Retry restoring {name}")
            disabled=move || !hydrated.get() || busy.get()
            aria-busy=move || busy.get().to_string()
            on:click=retry
        >
            {move || if busy.get() { "Retrying…" } else { "Retry" }}
        </button>
        {move || failure.get().map(|t| view! { <p class="form-error" role="alert">{t}</p> })}
    }
    .into_any()
}

/// Pairs each batch (newest first) with its jobs that a newer batch
/// asked for again: only the latest job of a message offers a retry.
fn with_superseded(batches: Vec<RestoreBatch>) -> Vec<(RestoreBatch, Vec<i64>)> {
    let mut seen = HashSet::new();
    batches
        .into_iter()
        .map(|b| {
            let superseded = b
                .jobs
                .iter()
                .filter(|j| !seen.insert(j.message_id))
                .map(|j| j.id)
                .collect();
            (b, superseded)
        })
        .collect()
}

/// `user:ana@example.com` -> "ana@example.com", `apikey:3` -> "API key 3".
fn requester(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("user", email)) => email.to_string(),
        Some(("apikey", id)) => format!("API key {id}"),
        _ if actor == "cli" => "Command line".to_string(),
        _ => actor.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{requester, with_superseded};
    use recall::types::{JobStatus, RestoreBatch, RestoreJob};

    fn batch(id: i64, jobs: &[(i64, i64)]) -> RestoreBatch {
        let at = chrono::DateTime::UNIX_EPOCH;
        RestoreBatch {
            id,
            requested_by: "cli".into(),
            selection: String::new(),
            created_at: at,
            finished_at: Some(at),
            jobs: jobs
                .iter()
                .map(|&(job, message)| RestoreJob {
                    id: job,
                    message_id: message,
                    message_name: String::new(),
                    status: JobStatus::Failed,
                    rows_total: 0,
                    rows_loaded: 0,
                    bytes_total: 0,
                    error: None,
                    attempts: 1,
                    created_at: at,
                    started_at: None,
                    finished_at: None,
                })
                .collect(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn only_the_latest_job_of_a_message_offers_a_retry() {
        let pairs = with_superseded(vec![batch(2, &[(3, 7)]), batch(1, &[(1, 7), (2, 8)])]);
        assert!(pairs[0].1.is_empty());
        assert_eq!(pairs[1].1, vec![1]);
    }

    #[test]
    fn requesters_read_as_people_keys_or_the_command_line() {
        assert_eq!(requester("user:ana@example.com"), "ana@example.com");
        assert_eq!(requester("apikey:3"), "API key 3");
        assert_eq!(requester("cli"), "Command line");
    }
}
