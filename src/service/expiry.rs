//! Expiry: moves the per-user data of messages whose retention window has
//! passed into long-term storage (DESIGN.md §1 "Expiry").
//!
//! One pass is `tick(now)`; the scheduler in `recall serve` and the
//! `recall expire` command both call it. The order of a move is
//! announce -> write -> verify -> commit -> clean up, and each step is safe
//! to die in: before the commit the hot rows are untouched (the announced
//! object is collected as garbage later); after it, the data is listed in
//! the manifest and gone from hot storage in the same transaction.

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;

use crate::domain::is_due;
use crate::error::{Error, Result};
use crate::storage::LongTermStorage;
use crate::store::{Db, Workspace};

use super::patience::{Deadline, Patience};

mod garbage;
mod message_move;
mod report;

use report::record;
pub use report::{DueMessage, ExpiryReport, Moved};

/// Larger messages are split so no segment has to fit in memory whole.
pub const SEGMENT_MAX_ROWS: usize = 1_000_000;

/// Messages moved at once: reading one message's rows overlaps with
/// encoding and writing another's. Commits still take turns.
pub const PARALLEL_MOVES: usize = 2;

/// How long an announced write may stay unfinished before garbage
/// collection assumes its writer died.
pub const PENDING_GRACE: Duration = Duration::hours(1);

/// The expiry engine: a database and an archive.
#[derive(Clone, Debug)]
pub struct Expiry {
    db: Db,
    archive: LongTermStorage,
    actor: String,
    public_url: String,
    segment_max_rows: usize,
    parallel_moves: usize,
    /// How long a pass retries writes while another process holds the
    /// database's write lock.
    patience: Patience,
}

impl Expiry {
    pub fn new(db: Db, archive: LongTermStorage) -> Self {
        Self {
            db,
            archive,
            actor: "system:scheduler".into(),
            public_url: "http://127.0.0.1:3000".into(),
            segment_max_rows: SEGMENT_MAX_ROWS,
            parallel_moves: PARALLEL_MOVES,
            patience: Patience::default(),
        }
    }

    /// How long each pass waits out another process's write lock.
    pub fn with_patience(mut self, patience: Patience) -> Self {
        self.patience = patience;
        self
    }

    /// Splits segments at `rows` (tests use small numbers to see splits).
    pub fn with_segment_rows(mut self, rows: usize) -> Self {
        self.segment_max_rows = rows.max(1);
        self
    }

    /// How many messages one pass moves at once (at least one).
    pub fn with_parallel_moves(mut self, moves: usize) -> Self {
        self.parallel_moves = moves.max(1);
        self
    }

    /// The dashboard's address, for links in emails.
    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = url.into();
        self
    }

    /// Who the audit log names for moves made by this instance.
    pub fn acting_as(mut self, actor: impl Into<String>) -> Self {
        self.actor = actor.into();
        self
    }

    pub fn archive(&self) -> &LongTermStorage {
        &self.archive
    }

    /// What a pass at `now` would expire, without moving anything.
    pub async fn due(&self, now: DateTime<Utc>) -> Result<Vec<DueMessage>> {
        let mut out = Vec::new();
        for ws in self.db.list_workspaces().await? {
            for candidate in self.db.expiry_candidates(&ws).await? {
                if !is_due(&candidate.facts, ws.retention, now) {
                    continue;
                }
                let ended = crate::domain::data_state(&candidate.facts, ws.retention, now).1;
                let months = ws.retention.months().unwrap_or_default();
                out.push(DueMessage {
                    workspace: ws.slug.clone(),
                    id: candidate.id,
                    name: candidate.name,
                    status: candidate.facts.status.as_str().into(),
                    last_activity_at: candidate.facts.last_activity_at,
                    window_ended_at: ended,
                    hot_rows: self.db.count_hot_events(candidate.id).await?,
                    reason: format!(
                        "{} and not retained; no activity for {months} month(s) since {}",
                        candidate.facts.status.as_str(),
                        candidate.facts.last_activity_at.format("%Y-%m-%d")
                    ),
                });
            }
        }
        Ok(out)
    }

    /// One full pass: late events of expired messages, due messages,
    /// garbage, and the warning digests.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<ExpiryReport> {
        let mut report = ExpiryReport::default();
        let deadline = self.patience.starting_now();
        for ws in self.db.list_workspaces().await? {
            // Late events of expired messages first, then the due ones.
            let late = self.db.archived_with_hot_rows(&ws).await?;
            self.move_all(&ws, late, now, &deadline, &mut report).await;
            let due = self
                .db
                .expiry_candidates(&ws)
                .await?
                .into_iter()
                .filter(|c| is_due(&c.facts, ws.retention, now))
                .map(|c| c.id)
                .collect();
            self.move_all(&ws, due, now, &deadline, &mut report).await;
            let digest = deadline.retry("queue the warning digest", || {
                super::expiry_warnings::queue_digest(&self.db, &ws, now, &self.public_url)
            });
            report.warnings_queued += digest.await.unwrap_or_else(|e| {
                report.gave_up_waiting |= e == Error::Busy;
                tracing::warn!(error = %e, workspace = %ws.slug, "expiry digest failed");
                0
            });
        }
        report.orphans_removed = match self.collect(now, &deadline).await {
            Err(Error::Busy) => {
                // Garbage waits for the next pass as well as it does here.
                report.gave_up_waiting = true;
                0
            }
            other => other?,
        };
        Ok(report)
    }

    /// Moves `ids`, a few at a time, and reports each in the given order.
    async fn move_all(
        &self,
        ws: &Workspace,
        ids: Vec<i64>,
        now: DateTime<Utc>,
        deadline: &Deadline,
        report: &mut ExpiryReport,
    ) {
        let moves = futures::stream::iter(ids).map(|id| {
            let (expiry, ws, deadline) = (self.clone(), ws.clone(), deadline.clone());
            let task =
                tokio::spawn(async move { expiry.move_within(&ws, id, now, &deadline).await });
            async move { (id, task.await) }
        });
        let mut moves = std::pin::pin!(moves.buffered(self.parallel_moves));
        while let Some((id, result)) = moves.next().await {
            let result = result.unwrap_or_else(|e| {
                tracing::error!(message = id, error = %e, "expiry task ended abnormally");
                Err(Error::Internal)
            });
            record(id, result, report);
        }
    }
}
