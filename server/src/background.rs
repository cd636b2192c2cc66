//! Background work inside `recall serve`: the expiry scheduler and mail
//! delivery. Each loop runs one deterministic step (`Expiry::tick`,
//! `deliver_pending`) per period and stops at shutdown between steps, so a
//! step is never cut in half by a graceful stop.

use std::time::Duration;

use std::sync::Arc;

use recall::clock::Clock;
use recall::service::expiry::{Expiry, ExpiryReport};
use recall::service::restore::Restorer;
use tokio::sync::{Notify, mpsc};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::engine::Engine;

/// How often queued mail is looked at.
pub const MAIL_PERIOD: Duration = Duration::from_secs(5);

/// How often the restore worker looks for work when nobody woke it
/// (requests from the CLI or another process).
pub const RESTORE_POLL: Duration = Duration::from_secs(1);

pub fn spawn(
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
    engine: &Engine,
    clock: Clock,
    expiry_every: Option<Duration>,
    restore_wakeup: Arc<Notify>,
) {
    tracker.spawn(restore_loop(
        engine.restorer(),
        clock,
        shutdown.clone(),
        restore_wakeup,
    ));
    if let Some(every) = expiry_every {
        let expiry = engine.expiry("system:scheduler");
        tracker.spawn(expiry_loop(expiry, clock, every, shutdown.clone(), None));
    } else {
        tracing::info!("expiry scheduler off; run `recall expire` to expire data");
    }
    tracker.spawn(mail_loop(engine.clone(), clock, shutdown.clone()));
}

/// Runs a pass at once, then every `every`. `passes` reports each pass
/// (tests use it to wait for a pass without sleeping).
pub async fn expiry_loop(
    expiry: Expiry,
    clock: Clock,
    every: Duration,
    shutdown: CancellationToken,
    passes: Option<mpsc::UnboundedSender<ExpiryReport>>,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = shutdown.cancelled() => return,
        }
        match expiry.tick(clock.now()).await {
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
pub async fn restore_loop(
    restorer: Restorer,
    clock: Clock,
    shutdown: CancellationToken,
    wakeup: Arc<Notify>,
) {
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
            () = wakeup.notified() => {}
            () = tokio::time::sleep(RESTORE_POLL) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

async fn mail_loop(engine: Engine, clock: Clock, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(MAIL_PERIOD);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = shutdown.cancelled() => return,
        }
        if let Err(e) =
            recall::service::mail::deliver_pending(&engine.db, &engine.mailer, clock.now()).await
        {
            tracing::error!(error = %e, "mail delivery pass failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recall::archive::Archive;
    use recall::store::Db;

    /// The loop runs a pass at once and then once per period: with time
    /// paused, advancing by one period is exactly one more pass.
    #[tokio::test]
    async fn the_scheduler_runs_a_pass_at_start_and_then_every_period() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open_in_dir(dir.path()).await.expect("db");
        db.ensure_workspace("default", "Default", chrono::Utc::now())
            .await
            .expect("ws");
        let archive = Archive::local(&dir.path().join("archive")).expect("archive");
        let expiry = Expiry::new(db, archive);
        // Paused only now: the pool's connect timeouts use tokio's clock.
        tokio::time::pause();
        let (tx, mut passes) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let every = Duration::from_secs(300);
        let task = tokio::spawn(expiry_loop(
            expiry,
            Clock::system(),
            every,
            shutdown.clone(),
            Some(tx),
        ));

        passes.recv().await.expect("first pass at start");
        let started = tokio::time::Instant::now();
        passes.recv().await.expect("second pass");
        assert!(started.elapsed() >= every - Duration::from_millis(1));
        assert!(passes.try_recv().is_err(), "no extra pass");

        shutdown.cancel();
        task.await.expect("loop stops at shutdown");
    }
}
