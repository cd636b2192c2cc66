//! Whether the kills hit what they aim at: for each step a kill was aimed
//! at, where it landed in the worker that runs that step. The bar: at
//! least half of the kills aimed at an expiry or restore step land in a
//! step of that worker (not while it is between passes or has no job).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::phase::Step;
use super::trial::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Worker {
    Expiry,
    Restore,
    Batch,
}

impl Worker {
    fn of(step: Step) -> Worker {
        match step {
            Step::ExpiryIdle
            | Step::ExpiryPlan
            | Step::ExpiryWrite
            | Step::ExpiryVerify
            | Step::ExpiryCommit
            | Step::ExpiryCleanup
            | Step::ExpiryGc => Worker::Expiry,
            Step::RestoreIdle | Step::RestoreClaim | Step::RestoreStage | Step::RestoreCommit => {
                Worker::Restore
            }
            Step::BatchIdle | Step::BatchClose | Step::EmailQueued | Step::EmailWritten => {
                Worker::Batch
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Worker::Expiry => "expiry",
            Worker::Restore => "restore",
            Worker::Batch => "batch/email",
        }
    }

    /// Where this worker was when the kill came.
    fn landed(self, o: &Outcome) -> Step {
        match self {
            Worker::Expiry => o.landed.expiry,
            Worker::Restore => o.landed.restore,
            Worker::Batch => o.landed.batch,
        }
    }
}

fn idle(step: Step) -> bool {
    matches!(step, Step::ExpiryIdle | Step::RestoreIdle | Step::BatchIdle)
}

#[derive(Default)]
struct Row {
    aimed: usize,
    began: usize,
    exact: usize,
    busy: usize,
    places: BTreeMap<Step, usize>,
}

impl Row {
    fn add(&mut self, o: &Outcome, target: Step) {
        let at = Worker::of(target).landed(o);
        self.aimed += 1;
        self.began += usize::from(o.target_seen);
        self.exact += usize::from(at == target);
        self.busy += usize::from(!idle(at));
        *self.places.entry(at).or_default() += 1;
    }

    /// One table line; `places`: list where the kills landed.
    fn line(&self, name: &str, places: bool) -> String {
        let places = if places {
            self.places
                .iter()
                .map(|(s, n)| format!("{s:?} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            String::new()
        };
        format!(
            "| {name} | {} | {} | {} | {} | {} | {places} |",
            self.aimed,
            self.began,
            self.exact,
            self.busy,
            self.aimed - self.busy
        )
    }
}

/// Kills aimed at expiry or restore steps, and how many of them landed in
/// a step of the worker they were aimed at.
pub struct Bar {
    pub aimed: usize,
    pub landed: usize,
}

impl Bar {
    pub fn met(&self) -> bool {
        self.aimed > 0 && 2 * self.landed >= self.aimed
    }

    pub fn sentence(&self) -> String {
        format!(
            "Of the {} kills aimed at an expiry or restore step, {} ({:.0} %) landed in a step of that worker: the bar (at least half) is {}.",
            self.aimed,
            self.landed,
            100.0 * self.landed as f64 / self.aimed.max(1) as f64,
            if self.met() { "met" } else { "NOT met" }
        )
    }
}

pub fn bar(outcomes: &[Outcome]) -> Bar {
    let aimed: Vec<(Step, &Outcome)> = outcomes
        .iter()
        .filter_map(|o| Some((o.target?, o)))
        .filter(|(t, _)| Worker::of(*t) != Worker::Batch)
        .collect();
    Bar {
        aimed: aimed.len(),
        landed: aimed
            .iter()
            .filter(|(t, o)| !idle(Worker::of(*t).landed(o)))
            .count(),
    }
}

/// The aimed-at table (Markdown), the idle counts of every kill, and the bar.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| aimed at | kills | step began before the kill | landed in it | landed in a step of that worker | that worker idle | where they landed |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let mut rows: BTreeMap<Step, Row> = BTreeMap::new();
    let mut totals: BTreeMap<Worker, Row> = BTreeMap::new();
    for o in outcomes {
        if let Some(t) = o.target {
            rows.entry(t).or_default().add(o, t);
            totals.entry(Worker::of(t)).or_default().add(o, t);
        }
    }
    for (step, row) in &rows {
        let _ = writeln!(out, "{}", row.line(&format!("{step:?}"), true));
    }
    for (worker, row) in &totals {
        let name = format!("**all {} steps**", worker.name());
        let _ = writeln!(out, "{}", row.line(&name, false));
    }
    let n = outcomes.len();
    let idle_in = |w: Worker| outcomes.iter().filter(|o| idle(w.landed(o))).count();
    let _ = writeln!(
        out,
        "\nOf all {n} kills (aimed or not), {} came while expiry was between passes, {} while the restore worker had no job in hand, {} while no batch or email was pending.\n",
        idle_in(Worker::Expiry),
        idle_in(Worker::Restore),
        idle_in(Worker::Batch)
    );
    let _ = writeln!(out, "{}", bar(outcomes).sentence());
    out
}
