//! Live data-state badges on the list pages: while rows are restoring,
//! one request a second (the recent batches) moves every row's percent,
//! and the list reloads when a job ends so the badge shows the new state.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use recall::types::{DataState, JobStatus, RestoreJob};

use super::DataStateBadge;
use super::restore_progress::Poller;
use crate::api_restores::list_restores;

/// Consecutive failed polls after which the badges stop asking.
const MAX_POLL_ERRORS: u32 = 30;

#[derive(Clone, Copy)]
pub struct LiveRestores {
    /// The latest job of each message this page follows.
    jobs: RwSignal<HashMap<i64, RestoreJob>>,
    /// Messages this page queued or saw restoring; only their jobs
    /// change badges (an old job of a message expired again does not).
    watched: StoredValue<HashSet<i64>>,
    /// Jobs whose end already reloaded the list, so it reloads once each.
    reloaded: StoredValue<HashSet<i64>>,
    errors: StoredValue<u32>,
    poller: Poller,
}

impl LiveRestores {
    pub fn new() -> Self {
        Self {
            jobs: RwSignal::new(HashMap::new()),
            watched: StoredValue::new(HashSet::new()),
            reloaded: StoredValue::new(HashSet::new()),
            errors: StoredValue::new(0),
            poller: Poller::new(),
        }
    }

    /// Jobs a request just queued: their badges move at once.
    pub fn add(self, queued: &[RestoreJob]) {
        self.watched
            .update_value(|w| w.extend(queued.iter().map(|j| j.message_id)));
        self.jobs.update(|m| {
            for job in queued {
                m.insert(job.message_id, job.clone());
            }
        });
    }

    /// The followed job of a message (tracked).
    pub fn job(self, message_id: i64) -> Option<RestoreJob> {
        self.jobs.with(|m| m.get(&message_id).cloned())
    }

    /// Polls until no visible row is restoring. `rows` gives the visible
    /// rows as loaded; `reload` loads them again.
    pub fn follow(
        self,
        rows: impl Fn() -> Vec<(i64, DataState)> + Copy + 'static,
        reload: Callback<()>,
    ) {
        let live = self;
        self.poller.start(move || async move {
            let batches = match list_restores().await {
                Ok(b) => b,
                Err(_) => {
                    live.errors.update_value(|n| *n += 1);
                    return live.errors.try_get_value().unwrap_or(MAX_POLL_ERRORS)
                        < MAX_POLL_ERRORS;
                }
            };
            live.errors.set_value(0);
            // Batches come newest first: the first job seen is the latest.
            let mut latest: HashMap<i64, RestoreJob> = HashMap::new();
            for job in batches.into_iter().flat_map(|b| b.jobs) {
                latest.entry(job.message_id).or_insert(job);
            }
            let rows = rows();
            live.watched.update_value(|w| {
                w.extend(
                    rows.iter()
                        .filter(|(_, s)| *s == DataState::Restoring)
                        .map(|(id, _)| *id),
                )
            });
            let watched = live.watched.get_value();
            live.jobs.try_update(|m| {
                for (id, job) in &latest {
                    if watched.contains(id) && m.get(id) != Some(job) {
                        m.insert(*id, job.clone());
                    }
                }
            });
            let mut again = false;
            let mut reload_now = false;
            for (id, state) in rows {
                let followed = state == DataState::Restoring
                    || (state == DataState::Expired && watched.contains(&id));
                if !followed {
                    continue;
                }
                match latest.get(&id) {
                    Some(job) if job.status.is_finished() => {
                        let fresh = live.reloaded.try_update_value(|r| r.insert(job.id));
                        reload_now |= fresh == Some(true);
                    }
                    Some(_) => again = true,
                    None => again |= state == DataState::Restoring,
                }
            }
            if reload_now {
                reload.run(());
                // Check once more that the reloaded rows have settled.
                again = true;
            }
            again
        });
    }
}

impl Default for LiveRestores {
    fn default() -> Self {
        Self::new()
    }
}

/// A row's data state, with a followed restore's progress over it:
/// "Restoring 45%", then the state the reloaded row has.
#[component]
pub fn LiveDataBadge(
    live: LiveRestores,
    message_id: i64,
    state: DataState,
    expires_at: Option<DateTime<Utc>>,
) -> impl IntoView {
    move || {
        let restorable = matches!(state, DataState::Expired | DataState::Restoring);
        match live.job(message_id) {
            Some(job) if restorable && job.status == JobStatus::Failed => view! {
                <span
                    class="badge state state-failed"
                    data-state="expired"
                    title=job.error.unwrap_or_default()
                >
                    "Restore failed"
                </span>
            }
            .into_any(),
            Some(job) if restorable => {
                view! { <RestoringBadge percent=Some(job.percent())/> }.into_any()
            }
            _ if state == DataState::Restoring => {
                view! { <RestoringBadge percent=None/> }.into_any()
            }
            _ => view! { <DataStateBadge state expires_at/> }.into_any(),
        }
    }
}

#[component]
fn RestoringBadge(percent: Option<u8>) -> impl IntoView {
    let text = match percent {
        Some(p) => format!("Restoring {p}%"),
        None => "Restoring".to_string(),
    };
    view! {
        <span class="badge state state-restoring" data-state="restoring" data-percent=percent>
            {text}
        </span>
    }
}
