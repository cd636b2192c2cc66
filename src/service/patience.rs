//! Waiting out another process's hold on the database's write lock.
//!
//! Inside one process, writers take turns in a queue and hand SQLite's
//! write lock straight to each other (`store::write_tx`). A second process
//! (`recall expire` beside a busy `recall serve`) only polls the lock
//! during its busy timeout, and under saturating load it can miss every
//! gap for longer than that: its statement then fails with SQLITE_BUSY
//! ([`Error::Busy`]). The writes retried here are safe to repeat (an
//! announcement of a new segment, a commit that re-checks everything it
//! relies on), so a pass retries them with growing pauses until its
//! deadline, instead of failing at the first timeout.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::{Error, Result};

/// How long one pass keeps retrying writes that found the database busy.
pub const DEFAULT_PATIENCE: Duration = Duration::from_secs(300);

#[derive(Clone, Debug)]
pub struct Patience {
    limit: Duration,
    /// The pause after the first busy answer; it doubles up to `max_pause`.
    /// Short, since each attempt already waited its busy timeout.
    first_pause: Duration,
    max_pause: Duration,
    /// Retries so far, shared by clones: logs, and tests that release a
    /// lock only once the pass has waited on it.
    retries: Arc<watch::Sender<u64>>,
}

impl Default for Patience {
    fn default() -> Self {
        Self::new(DEFAULT_PATIENCE)
    }
}

impl Patience {
    /// Retry for at most `limit` in all (zero: fail at the first busy answer).
    pub fn new(limit: Duration) -> Self {
        Self {
            limit,
            first_pause: Duration::from_millis(50),
            max_pause: Duration::from_secs(1),
            retries: Arc::new(watch::channel(0).0),
        }
    }

    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Watches the number of retries made so far.
    pub fn retries(&self) -> watch::Receiver<u64> {
        self.retries.subscribe()
    }

    /// A deadline `limit` from now, for one pass.
    pub fn starting_now(&self) -> Deadline {
        Deadline {
            until: Instant::now() + self.limit,
            patience: self.clone(),
        }
    }
}

/// The end of one pass's patience.
#[derive(Clone, Debug)]
pub struct Deadline {
    until: Instant,
    patience: Patience,
}

impl Deadline {
    /// Runs `op` again while it answers [`Error::Busy`] and time is left;
    /// its last answer otherwise. `what` names it in the logs.
    pub async fn retry<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut pause = self.patience.first_pause;
        loop {
            match op().await {
                Err(Error::Busy) if Instant::now() + pause < self.until => {
                    self.patience.retries.send_modify(|n| *n += 1);
                    tracing::info!(
                        what,
                        pause_ms = pause.as_millis() as u64,
                        "database busy: another process holds its write lock; trying again"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.patience.max_pause);
                }
                Err(Error::Busy) => {
                    tracing::warn!(
                        what,
                        waited_s = self.patience.limit.as_secs(),
                        "database busy: giving up"
                    );
                    return Err(Error::Busy);
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_busy_answers_are_retried_and_only_until_the_deadline() {
        let patience = Patience::new(Duration::from_secs(60));
        let deadline = patience.starting_now();
        let mut answers = vec![Ok(7), Err(Error::Busy), Err(Error::Busy)];
        let got = deadline
            .retry("test", || {
                std::future::ready(answers.pop().unwrap_or(Ok(0)))
            })
            .await;
        assert_eq!(got, Ok(7));
        assert_eq!(*patience.retries().borrow(), 2);

        let mut calls = 0;
        let got: Result<()> = deadline
            .retry("test", || {
                calls += 1;
                std::future::ready(Err(Error::Internal))
            })
            .await;
        assert_eq!((got, calls), (Err(Error::Internal), 1));

        let spent = Patience::new(Duration::ZERO).starting_now();
        let mut calls = 0;
        let got: Result<()> = spent
            .retry("test", || {
                calls += 1;
                std::future::ready(Err(Error::Busy))
            })
            .await;
        assert_eq!((got, calls), (Err(Error::Busy), 1));
    }
}
