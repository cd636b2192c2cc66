//! The move of one message: its hot rows are written to segments, read back
//! and verified, then committed to the manifest in one transaction.

use chrono::{DateTime, Utc};

use crate::domain::DataLocation;
use crate::error::Result;
use crate::service::patience::Deadline;
use crate::storage::{
    ArchivedEvent, FaultPoint, SegmentReader, SegmentWriter, segment::ROW_GROUP_ROWS, segment_path,
};
use crate::store::{MoveCommit, MoveKind, NewSegment, Workspace};

use super::{Expiry, Moved};

impl Expiry {
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
    pub(super) async fn move_within(
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
