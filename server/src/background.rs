//! Background work inside `recall serve`: the expiry scheduler and mail
//! delivery. Each loop runs one deterministic step (`Expiry::tick`,
//! `deliver_pending`) per period and stops at shutdown between steps, so a
//! step is never cut in half by a graceful stop.

use std::time::Duration;

use recall::clock::Clock;
use recall::service::expiry::{Expiry, ExpiryReport};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::engine::Engine;

/// How often queued mail is looked at.
pub const MAIL_PERIOD: Duration = Duration::from_secs(5);

pub fn spawn(
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
    engine: &Engine,
    clock: Clock,
    expiry_every: Option<Duration>,
) {
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
