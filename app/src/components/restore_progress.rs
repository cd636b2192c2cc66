//! Restore progress as every page shows it: a bar with rows loaded, the
//! job's status in words, and the polling that keeps them live.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use recall::types::{JobStatus, RestoreJob};

use crate::format;

/// How often live restore views ask the server again.
pub const POLL_EVERY: Duration = Duration::from_millis(1000);

/// One polling loop per view: `start` is a no-op while a loop runs, and
/// the loop ends by itself when the view that owns it is gone.
#[derive(Clone, Copy)]
pub struct Poller {
    /// Whether a loop is scheduled; disposed with the owning view, which
    /// is what stops an orphaned loop.
    running: StoredValue<bool>,
}

type Tick = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = bool>>>>;

impl Poller {
    pub fn new() -> Self {
        Self {
            running: StoredValue::new(false),
        }
    }

    /// Runs `tick` every [`POLL_EVERY`] (first after one period) until it
    /// answers `false`. Browser only: call it from effects and handlers.
    pub fn start<F, Fut>(self, tick: F)
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = bool> + 'static,
    {
        if self.running.try_get_value() != Some(false) {
            return;
        }
        self.running.set_value(true);
        let tick: Tick = Rc::new(move || Box::pin(tick()));
        schedule(self.running, tick);
    }
}

impl Default for Poller {
    fn default() -> Self {
        Self::new()
    }
}

fn schedule(running: StoredValue<bool>, tick: Tick) {
    set_timeout(
        move || {
            if running.try_get_value() != Some(true) {
                return;
            }
            leptos::task::spawn_local(async move {
                let again = tick().await;
                if again && running.try_get_value() == Some(true) {
                    schedule(running, tick);
                } else {
                    running.try_set_value(false);
                }
            });
        },
        POLL_EVERY,
    );
}

/// A labelled progress bar. `percent: None` is an indeterminate bar (the
/// job's size is not known yet). A native `<progress>` needs no inline
/// style, which the page's CSP forbids.
#[component]
pub fn ProgressBar(
    #[prop(into)] percent: Signal<Option<u8>>,
    #[prop(into)] label: String,
) -> impl IntoView {
    view! {
        <progress
            class="progress"
            max="100"
            value=move || percent.get().map(|p| p.to_string())
            aria-label=label
        ></progress>
    }
}

/// "1,200 of 2,600 rows".
pub fn rows_line(job: &RestoreJob) -> String {
    format!(
        "{} of {} rows",
        format::count(job.rows_loaded.min(job.rows_total)),
        format::count(job.rows_total)
    )
}

/// The status of a job in words, for badges.
pub fn status_label(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "Queued",
        JobStatus::Running => "Restoring",
        JobStatus::Succeeded => "Restored",
        JobStatus::Failed => "Failed",
    }
}

#[component]
pub fn JobStatusBadge(status: JobStatus) -> impl IntoView {
    view! {
        <span class=format!("badge job-{}", status.as_str()) data-status=status.as_str()>
            {status_label(status)}
        </span>
    }
}

/// 3 -> "about 3 seconds", 150 -> "about 3 minutes": estimates in words.
pub fn estimate(seconds: i64) -> String {
    match seconds.max(1) {
        1 => "about 1 second".to_string(),
        s if s < 90 => format!("about {s} seconds"),
        s if s < 90 * 60 => format!("about {} minutes", (s + 30) / 60),
        s => format!("about {} hours", (s + 1800) / 3600),
    }
}

/// 260 -> "0.3 s", 75_000 -> "1 min 15 s": how long something took.
pub fn elapsed(millis: i64) -> String {
    let millis = millis.max(0);
    if millis < 100 {
        return "under 0.1 s".to_string();
    }
    if millis < 10_000 {
        return format!("{:.1} s", millis as f64 / 1000.0);
    }
    let secs = millis / 1000;
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_read_as_words() {
        assert_eq!(estimate(0), "about 1 second");
        assert_eq!(estimate(3), "about 3 seconds");
        assert_eq!(estimate(150), "about 3 minutes");
        assert_eq!(estimate(7200), "about 2 hours");
    }

    #[test]
    fn durations_are_short_and_precise_enough() {
        assert_eq!(elapsed(40), "under 0.1 s");
        assert_eq!(elapsed(260), "0.3 s");
        assert_eq!(elapsed(12_000), "12 s");
        assert_eq!(elapsed(75_000), "1 min 15 s");
        assert_eq!(elapsed(3_723_000), "1 h 2 min");
    }
}
