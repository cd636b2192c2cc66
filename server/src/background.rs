//! Background work inside `recall serve`: the expiry scheduler, restore
//! worker and mail delivery. Each loop runs one deterministic step
//! (`Expiry::tick`, `RestoreWorker::run_once`, `deliver_pending`) per period and
//! stops at shutdown between steps, so a step is never cut in half by a
//! graceful stop.
//!
//! When several processes share a database, the scheduler and mail
//! delivery run only in the process holding their lease (`Leader`); every
//! process's restore worker claims jobs on its own.

use std::time::Duration;

use recall::clock::Clock;
use recall::engine::Engine;
use recall::service::expiry::{Expiry, ExpiryReport};
use recall::service::leader::Leader;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How often queued mail is looked at.
pub const MAIL_PERIOD: Duration = Duration::from_secs(5);

/// How often the restore worker looks for work when nobody woke it
/// (requests from the CLI or another process).
pub const RESTORE_POLL: Duration = Duration::from_secs(1);

pub fn spawn(
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
    engine: &Engine,
    expiry_every: Option<Duration>,
) {
    let clock = engine.clock();
    tracker.spawn(build_segment_index(engine, shutdown.clone()));
    tracker.spawn(restore_loop(engine.clone(), shutdown.clone()));
    if let Some(every) = expiry_every {
        let expiry = engine.expiry("system:scheduler");
        tracker.spawn(expiry_loop(
            expiry,
            engine.leader("expiry"),
            clock,
            every,
            shutdown.clone(),
            None,
        ));
    } else {
        tracing::info!("expiry scheduler off; run `recall expire` to expire data");
    }
    tracker.spawn(mail_loop(
        engine.clone(),
        engine.leader("mail"),
        clock,
        shutdown.clone(),
    ));
}

/// Builds the segment bitmaps once at start-up; counts asked meanwhile
/// are answered in SQL. A shutdown drops an unfinished build.
fn build_segment_index(
    engine: &Engine,
    shutdown: CancellationToken,
) -> impl std::future::Future<Output = ()> + use<> {
    let build = engine.spawn_segment_index_build();
    async move {
        let abort = build.abort_handle();
        tokio::select! {
            result = build => match result {
                Ok(Ok(())) => {}
                // Counts stay exact: they are answered in SQL.
                Ok(Err(error)) => tracing::error!(%error, "building the segment bitmaps failed"),
                Err(error) => tracing::error!(%error, "the segment bitmap build stopped"),
            },
            () = shutdown.cancelled() => abort.abort(),
        }
    }
}

/// Keeps `leader`'s lease while this process has it, renewing it a few
/// times per lease; says whether it leads right now.
struct Leadership {
    leader: Leader,
    leading: bool,
}

impl Leadership {
    async fn renew(&mut self, clock: Clock) -> bool {
        let was = self.leading;
        self.leading = match self.leader.hold(clock.now()).await {
            Ok(leading) => leading,
            Err(e) => {
                tracing::warn!(lease = self.leader.name(), error = %e, "could not renew the lease");
                false
            }
        };
        if self.leading != was {
            tracing::info!(
                lease = self.leader.name(),
                leading = self.leading,
                "leadership changed"
            );
        }
        self.leading
    }

    /// Runs `work` while renewing the lease beside it, so a pass longer
    /// than the lease keeps it. `None`: the lease was lost meanwhile (a
    /// stalled process whose lease ran out and was taken): the work is
    /// dropped at once, so it starts nothing more; what it had in flight
    /// is safe to finish or abandon, as after a crash, because every move
    /// checks the database at its commit.
    async fn while_renewing<T>(
        &mut self,
        clock: Clock,
        work: impl Future<Output = T>,
    ) -> Option<T> {
        let mut work = std::pin::pin!(work);
        let mut renew = tokio::time::interval(self.leader.renew_every());
        renew.tick().await;
        loop {
            tokio::select! {
                out = &mut work => return Some(out),
                _ = renew.tick() => {
                    if !self.renew(clock).await {
                        tracing::warn!(lease = self.leader.name(), "lost the lease mid-way; stopped");
                        return None;
                    }
                }
            }
        }
    }

    async fn release(self) {
        if self.leading
            && let Err(e) = self.leader.release().await
        {
            tracing::warn!(lease = self.leader.name(), error = %e, "could not release the lease");
        }
    }
}

/// Runs a pass at once, then every `every`, while this process holds the
/// scheduler's lease (renewed in between). `passes` reports each pass
/// (tests use it to wait for a pass without sleeping).
pub async fn expiry_loop(
    expiry: Expiry,
    leader: Leader,
    clock: Clock,
    every: Duration,
    shutdown: CancellationToken,
    passes: Option<mpsc::UnboundedSender<ExpiryReport>>,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut renew = tokio::time::interval(leader.renew_every());
    renew.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut leadership = Leadership {
        leader,
        leading: false,
    };
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = renew.tick() => {
                leadership.renew(clock).await;
                continue;
            }
            () = shutdown.cancelled() => return leadership.release().await,
        }
        if !leadership.renew(clock).await {
            continue;
        }
        let Some(pass) = leadership
            .while_renewing(clock, expiry.tick(clock.now()))
            .await
        else {
            continue;
        };
        match pass {
            Ok(report) => {
                if !report.moved.is_empty() || !report.failed.is_empty() {
                    tracing::info!(
                        moved = report.moved.len(),
                        failed = report.failed.len(),
                        orphans = report.orphans_removed,
                        "expiry pass"
                    );
                }
                if let Some(passes) = &passes {
                    let _ = passes.send(report);
                }
            }
            Err(e) => tracing::error!(error = %e, "expiry pass failed; retrying next period"),
        }
    }
}

/// Works through queued restores, one job at a time, then waits for a
/// wake-up or the poll period. A job in progress is finished before a
/// graceful stop; a killed process's job is taken over when its lease ends.
pub async fn restore_loop(engine: Engine, shutdown: CancellationToken) {
    let (restorer, clock) = (engine.restore_worker(), engine.clock());
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        match restorer.run_once(clock.now()).await {
            Ok(Some(outcome)) => {
                tracing::info!(job = outcome.job_id, message = outcome.message_id, status = %outcome.status, "restore job ended");
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "restore worker step failed"),
        }
        tokio::select! {
            () = engine.restores_requested() => {}
            () = tokio::time::sleep(RESTORE_POLL) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// Delivers queued mail every period while this process holds the mail
/// lease, so two processes never send the same mail at once.
async fn mail_loop(engine: Engine, leader: Leader, clock: Clock, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(MAIL_PERIOD.min(leader.renew_every()));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut leadership = Leadership {
        leader,
        leading: false,
    };
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = shutdown.cancelled() => return leadership.release().await,
        }
        if !leadership.renew(clock).await {
            continue;
        }
        let delivery = engine.deliver_mail(clock.now());
        if let Some(Err(e)) = leadership.while_renewing(clock, delivery).await {
            tracing::error!(error = %e, "mail delivery pass failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recall::engine::Config;

    /// An engine on `dir` whose leases name `holder` (one per "process").
    async fn engine(dir: &std::path::Path, holder: &str, lease: Duration) -> Engine {
        let mut config = Config::in_dir(dir);
        config.holder = Some(holder.into());
        config.leader_lease = lease;
        Engine::open(config, Clock::system()).await.expect("engine")
    }

    /// The loop runs a pass at once and then once per period.
    #[tokio::test]
    async fn the_scheduler_runs_a_pass_at_start_and_then_every_period() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = engine(dir.path(), "serve-1-test", Duration::from_secs(60)).await;
        // Real time, a short period: paused time would run out the pool's
        // acquire timeouts while SQLite works on its own threads.
        let (tx, mut passes) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let every = Duration::from_millis(400);
        let task = tokio::spawn(expiry_loop(
            engine.expiry("system:scheduler"),
            engine.leader("expiry"),
            Clock::system(),
            every,
            shutdown.clone(),
            Some(tx),
        ));

        within(passes.recv()).await.expect("first pass at start");
        let started = tokio::time::Instant::now();
        within(passes.recv()).await.expect("second pass");
        // A period after the first tick, less the first pass's own time.
        assert!(started.elapsed() >= every / 2, "{:?}", started.elapsed());
        assert!(passes.try_recv().is_err(), "no extra pass");

        shutdown.cancel();
        task.await.expect("loop stops at shutdown");
    }

    async fn within<T>(wait: impl Future<Output = Option<T>>) -> Option<T> {
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .ok()
            .flatten()
    }

    /// Two processes' schedulers on one database: only the lease holder
    /// runs passes; when it stops, the other takes over.
    #[tokio::test]
    async fn only_the_lease_holder_runs_passes_and_the_other_takes_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Real time, short periods: the leases are read from the database
        // with the wall clock, and paused time would also run out the
        // pool's acquire timeouts while SQLite works on its threads.
        let lease = Duration::from_secs(3);
        let every = Duration::from_millis(150);
        let a = engine(dir.path(), "serve-1-a", lease).await;
        let b = engine(dir.path(), "serve-2-b", lease).await;
        let start = |engine: &Engine| {
            let (tx, passes) = mpsc::unbounded_channel();
            let shutdown = CancellationToken::new();
            let task = tokio::spawn(expiry_loop(
                engine.expiry("system:scheduler"),
                engine.leader("expiry"),
                Clock::system(),
                every,
                shutdown.clone(),
                Some(tx),
            ));
            (passes, shutdown, task)
        };
        let (mut a_passes, a_stop, a_task) = start(&a);
        within(a_passes.recv())
            .await
            .expect("a leads from the start");
        let (mut b_passes, b_stop, b_task) = start(&b);
        within(a_passes.recv()).await.expect("a's next pass");
        within(a_passes.recv()).await.expect("and the next");
        assert!(
            b_passes.try_recv().is_err(),
            "b never ran a pass while a led"
        );

        // A clean stop releases the lease: b leads from its next renewal.
        a_stop.cancel();
        a_task.await.expect("a stops");
        within(b_passes.recv()).await.expect("b took over");
        assert_eq!(
            b.lease_holder("expiry", chrono::Utc::now())
                .await
                .expect("holder")
                .as_deref(),
            Some("serve-2-b")
        );
        b_stop.cancel();
        b_task.await.expect("b stops");
    }
}
