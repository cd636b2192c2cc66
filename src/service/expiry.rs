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
use serde::Serialize;

use crate::archive::{
    Archive, ArchivedEvent, FaultPoint, SegmentReader, SegmentWriter, segment::ROW_GROUP_ROWS,
    segment_path,
};
use crate::domain::{DataLocation, is_due};
use crate::error::{Error, Result};
use crate::store::{Db, MoveCommit, MoveKind, NewSegment, Workspace};
use futures::StreamExt;

use super::patience::{Deadline, Patience};

mod garbage;

/// Larger messages are split so no segment has to fit in memory whole.
pub const SEGMENT_MAX_ROWS: usize = 1_000_000;

/// Messages moved at once: reading one message's rows overlaps with
/// encoding and writing another's. Commits still take turns.
pub const PARALLEL_MOVES: usize = 2;

/// How long an announced write may stay unfinished before garbage
/// collection assumes its writer died.
pub const PENDING_GRACE: Duration = Duration::hours(1);

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

/// The expiry engine: a database and an archive.
#[derive(Clone, Debug)]
pub struct Expiry {
    db: Db,
    archive: Archive,
    actor: String,
    public_url: String,
    segment_max_rows: usize,
    parallel_moves: usize,
    /// How long a pass retries writes while another process holds the
    /// database's write lock.
    patience: Patience,
}

impl Expiry {
    pub fn new(db: Db, archive: Archive) -> Self {
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

    pub fn archive(&self) -> &Archive {
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

    /// Moves one message's hot rows to long-term storage if it is still
    /// due (hot) or has late events (expired). `Ok(None)`: it changed
    /// meanwhile and nothing was deleted.
    pub async fn move_message(
        &self,
        ws: &Workspace,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Moved>> {
        self.move_within(ws, id, now, &self.patience.starting_now())
            .await
    }

    /// [`Expiry::move_message`], retrying its writes while the database is
    /// busy until `deadline`.
    async fn move_within(
        &self,
        ws: &Workspace,
        id: i64,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> Result<Option<Moved>> {
        let location = self.db.message_location(ws, id).await?;
        let listed = self.db.segments(id).await?;
        let mut snapshot = self.db.event_snapshot(id).await?;
        let total = snapshot.total;
        let listed_rows: i64 = listed.iter().map(|s| s.rows).sum();
        let kind = match location {
            DataLocation::Restoring => return Ok(None),
            DataLocation::Archived if total == 0 => return Ok(None),
            DataLocation::Archived => MoveKind::Append,
            DataLocation::Hot if !listed.is_empty() && listed_rows == total => MoveKind::Reuse,
            DataLocation::Hot => MoveKind::Replace,
        };
        let mut segments = Vec::new();
        if kind != MoveKind::Reuse {
            let mut open: Option<OpenSegment> = None;
            loop {
                let page = snapshot
                    .next_page(ROW_GROUP_ROWS.min(self.segment_max_rows))
                    .await?;
                if page.is_empty() {
                    break;
                }
                let segment = match open.as_mut() {
                    Some(segment) => segment,
                    None => open.insert(self.start_segment(ws, id, now, deadline).await?),
                };
                segment.write(&page)?;
                if segment.writer.rows() as usize >= self.segment_max_rows
                    && let Some(full) = open.take()
                {
                    segments.push(self.finish_segment(full).await?);
                }
            }
            if let Some(last) = open.take() {
                segments.push(self.finish_segment(last).await?);
            }
        }
        drop(snapshot);
        self.archive.faults().check(FaultPoint::BeforeCommit)?;
        let commit = MoveCommit {
            message_id: id,
            kind,
            hot_rows: total,
            segments: segments.clone(),
            actor: self.actor.clone(),
        };
        // Safe to repeat: the commit re-checks, in its transaction, that
        // the message is still as this move found it.
        let committed = deadline
            .retry("commit a move", || self.db.commit_move(ws, &commit, now))
            .await?;
        let Some(committed) = committed else {
            self.abandon(&segments).await;
            return Ok(None);
        };
        self.archive.faults().check(FaultPoint::AfterCommit)?;
        for path in committed.superseded {
            // A leftover is harmless: it is no longer listed, so garbage
            // collection removes it.
            if let Err(e) = self.archive.delete(&path).await {
                tracing::warn!(path, error = %e, "could not delete a superseded segment");
            }
        }
        Ok(Some(Moved {
            workspace: ws.slug.clone(),
            id,
            rows: total,
            bytes: segments.iter().map(|s| s.bytes).sum(),
            segments: segments.len(),
            written: kind != MoveKind::Reuse,
            appended: kind == MoveKind::Append,
        }))
    }

    async fn start_segment(
        &self,
        ws: &Workspace,
        id: i64,
        now: DateTime<Utc>,
        deadline: &Deadline,
    ) -> Result<OpenSegment> {
        let path = segment_path(&ws.slug, id, now);
        deadline
            .retry("announce a segment", || {
                self.db.add_pending_segment(&path, id, now)
            })
            .await?;
        let metadata = self.db.segment_metadata(ws, id).await?;
        Ok(OpenSegment {
            path,
            writer: SegmentWriter::new(metadata)?,
            min_at: i64::MAX,
            max_at: i64::MIN,
        })
    }

    /// Writes the object, then reads it back and checks it before it may be
    /// listed: the manifest only ever names files that are really there.
    async fn finish_segment(&self, segment: OpenSegment) -> Result<NewSegment> {
        let OpenSegment {
            path,
            writer,
            min_at,
            max_at,
        } = segment;
        let encoded = writer.finish()?;
        let bytes = encoded.bytes.len() as i64;
        self.archive.put(&path, encoded.bytes).await?;
        let stored = self.archive.get(&path).await?;
        SegmentReader::open(stored, &encoded.checksum, encoded.rows)?;
        Ok(NewSegment {
            path,
            rows: encoded.rows as i64,
            bytes,
            checksum: encoded.checksum,
            min_at,
            max_at,
        })
    }

    /// A move that lost its race: withdraw its objects now rather than
    /// waiting for garbage collection.
    async fn abandon(&self, segments: &[NewSegment]) {
        for segment in segments {
            if matches!(
                self.db.remove_pending_segment(&segment.path).await,
                Ok(true)
            ) && let Err(e) = self.archive.delete(&segment.path).await
            {
                tracing::warn!(path = segment.path, error = %e, "could not remove an abandoned segment");
            }
        }
    }
}

fn record(id: i64, result: Result<Option<Moved>>, report: &mut ExpiryReport) {
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

/// A segment being filled, with the time range it covers.
struct OpenSegment {
    path: String,
    writer: SegmentWriter,
    min_at: i64,
    max_at: i64,
}

impl OpenSegment {
    fn write(&mut self, rows: &[ArchivedEvent]) -> Result<()> {
        for row in rows {
            self.min_at = self.min_at.min(row.at);
            self.max_at = self.max_at.max(row.at);
        }
        self.writer.write(rows)?;
        Ok(())
    }
}
