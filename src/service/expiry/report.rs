//! What expiry tells its callers: the dry run's due messages and a pass's
//! report, and how one move's outcome is recorded in that report.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};

/// A message a pass would expire, and why (the dry run's answer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueMessage {
    pub workspace: String,
    pub id: i64,
    pub name: String,
    pub status: String,
    pub last_activity_at: DateTime<Utc>,
    pub window_ended_at: Option<DateTime<Utc>>,
    pub hot_rows: i64,
    pub reason: String,
}

/// One finished move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moved {
    pub workspace: String,
    pub id: i64,
    pub rows: i64,
    pub bytes: i64,
    pub segments: usize,
    /// False when the existing archive was reused as it is.
    pub written: bool,
    /// True for late events of an already expired message.
    pub appended: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExpiryReport {
    pub moved: Vec<Moved>,
    /// Messages that changed during their move (new events, a restart):
    /// nothing was deleted; the next pass decides again.
    pub deferred: Vec<i64>,
    pub failed: Vec<(i64, String)>,
    /// True when a write gave up waiting for the database's write lock,
    /// which another process kept: what it would have done is left as it
    /// was, for the next pass.
    pub gave_up_waiting: bool,
    pub orphans_removed: usize,
    pub warnings_queued: usize,
}

pub(super) fn record(id: i64, result: Result<Option<Moved>>, report: &mut ExpiryReport) {
    match result {
        Ok(Some(moved)) => {
            tracing::info!(
                message = id,
                rows = moved.rows,
                bytes = moved.bytes,
                "expired"
            );
            report.moved.push(moved);
        }
        Ok(None) => report.deferred.push(id),
        Err(e) => {
            report.gave_up_waiting |= e == Error::Busy;
            tracing::warn!(message = id, error = %e, "expiry failed; will retry next pass");
            report.failed.push((id, e.to_string()));
        }
    }
}
