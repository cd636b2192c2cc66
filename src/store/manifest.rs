//! The long-term storage manifest and the database half of a data move.
//!
//! A move is: note the segment as pending, write and verify the object,
//! then one transaction that re-checks the message, lists the segment and
//! deletes the hot rows it holds. Events are only ever inserted (never
//! updated or deleted outside a move), so "same row count as the snapshot"
//! means "same rows": that is what lets the commit prove it deletes exactly
//! what was written.

use chrono::{DateTime, Utc};

use super::sql::{Tx, query, query_as, query_scalar};
use super::{Db, Workspace, from_ms, to_ms};
use crate::domain::{DataLocation, is_due};
use crate::error::Result;
use crate::storage::ArchivedEvent;

/// One row of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SegmentRecord {
    pub id: i64,
    pub message_id: i64,
    pub path: String,
    pub rows: i64,
    pub bytes: i64,
    pub checksum: String,
    pub min_at: i64,
    pub max_at: i64,
    pub created_at: i64,
}

/// A segment that was written and read back, ready to be listed.
#[derive(Debug, Clone)]
pub struct NewSegment {
    pub path: String,
    pub rows: i64,
    pub bytes: i64,
    pub checksum: String,
    pub min_at: i64,
    pub max_at: i64,
}

/// How the new segments relate to what the manifest already lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveKind {
    /// Hot data expires; the new segments replace any listed ones.
    Replace,
    /// Hot data expires and the listed segments already hold exactly it
    /// (a restored message that got no new events): nothing is written.
    Reuse,
    /// Late events of an already expired message join its segments.
    Append,
}

/// Everything the commit re-checks and records.
#[derive(Debug, Clone)]
pub struct MoveCommit {
    pub message_id: i64,
    pub kind: MoveKind,
    /// Hot rows the snapshot saw; the commit aborts if this changed.
    pub hot_rows: i64,
    pub segments: Vec<NewSegment>,
    pub actor: String,
}

/// What a committed move replaced (objects to delete afterwards).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    pub superseded: Vec<String>,
}

/// A consistent read of one message's hot rows, in clustered-key order.
pub struct EventSnapshot {
    tx: Tx,
    message_id: i64,
    after: Option<(i64, i64, i64, String)>,
    pub total: i64,
}

impl EventSnapshot {
    /// The next `limit` rows; empty at the end.
    pub async fn next_page(&mut self, limit: usize) -> Result<Vec<ArchivedEvent>> {
        let (kind, profile, at, id) =
            self.after
                .clone()
                .unwrap_or((i64::MIN, i64::MIN, i64::MIN, String::new()));
        let rows: Vec<EventRow> = query_as(
            "SELECT e.message_id, e.kind, e.profile_id, p.external_id, e.at, e.event_id, \
             e.variant, e.step, e.machine <> 0 AS machine, e.link \
             FROM events e JOIN profiles p ON p.id = e.profile_id \
             WHERE e.message_id = ? AND (e.kind, e.profile_id, e.at, e.event_id) > (?, ?, ?, ?) \
             ORDER BY e.kind, e.profile_id, e.at, e.event_id LIMIT ?",
        )
        .bind(self.message_id)
        .bind(kind)
        .bind(profile)
        .bind(at)
        .bind(id)
        .bind(limit as i64)
        .fetch_all(&mut self.tx)
        .await?;
        if let Some(last) = rows.last() {
            self.after = Some((last.kind, last.profile_id, last.at, last.event_id.clone()));
        }
        Ok(rows.into_iter().map(ArchivedEvent::from).collect())
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    message_id: i64,
    kind: i64,
    profile_id: i64,
    external_id: String,
    at: i64,
    event_id: String,
    variant: i64,
    step: i64,
    machine: bool,
    link: Option<String>,
}

impl From<EventRow> for ArchivedEvent {
    fn from(row: EventRow) -> Self {
        Self {
            message_id: row.message_id,
            kind: row.kind,
            profile_id: row.profile_id,
            user_id: row.external_id,
            at: row.at,
            event_id: row.event_id,
            variant: row.variant,
            step: row.step,
            machine: row.machine,
            link: row.link,
        }
    }
}

const SEGMENT_COLUMNS: &str =
    "id, message_id, path, rows, bytes, checksum, min_at, max_at, created_at";

impl Db {
    /// Opens a read snapshot of one message's hot rows (WAL readers do not
    /// block ingest, and ingest does not disturb the snapshot).
    pub async fn event_snapshot(&self, message_id: i64) -> Result<EventSnapshot> {
        let mut tx = self.read_snapshot().await?;
        let total: i64 = query_scalar("SELECT COUNT(*) FROM events WHERE message_id = ?")
            .bind(message_id)
            .fetch_one(&mut tx)
            .await?;
        Ok(EventSnapshot {
            tx,
            message_id,
            after: None,
            total,
        })
    }

    /// The manifest of one message, oldest first.
    pub async fn segments(&self, message_id: i64) -> Result<Vec<SegmentRecord>> {
        Ok(query_as(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segments WHERE message_id = ? ORDER BY id"
        ))
        .bind(message_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Every path the manifest names or a writer has announced.
    pub async fn known_object_paths(&self) -> Result<std::collections::HashSet<String>> {
        let paths: Vec<String> =
            query_scalar("SELECT path FROM segments UNION ALL SELECT path FROM pending_segments")
                .fetch_all(self.pool())
                .await?;
        Ok(paths.into_iter().collect())
    }

    /// Announces a segment before its object is written.
    pub async fn add_pending_segment(
        &self,
        path: &str,
        message_id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        query("INSERT INTO pending_segments (path, message_id, created_at) VALUES (?, ?, ?)")
            .bind(path)
            .bind(message_id)
            .bind(to_ms(now))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Withdraws an announcement; true when this call removed it (so the
    /// caller, and only the caller, may delete the object).
    pub async fn remove_pending_segment(&self, path: &str) -> Result<bool> {
        let done = query("DELETE FROM pending_segments WHERE path = ?")
            .bind(path)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Announcements older than `before`: writers that died mid-move.
    pub async fn stale_pending_segments(&self, before: DateTime<Utc>) -> Result<Vec<String>> {
        Ok(
            query_scalar("SELECT path FROM pending_segments WHERE created_at < ?")
                .bind(to_ms(before))
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Expired messages that received events after they expired.
    pub async fn archived_with_hot_rows(&self, ws: &Workspace) -> Result<Vec<i64>> {
        Ok(query_scalar(
            "SELECT m.id FROM messages m WHERE m.workspace_id = ? AND m.location = 'archived' \
             AND EXISTS (SELECT 1 FROM events e WHERE e.message_id = m.id) ORDER BY m.id",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Lists the segments and removes the hot rows they hold, in one
    /// transaction, if the message is still in the state the move was
    /// planned for. `Ok(None)` means "changed meanwhile, try next pass":
    /// nothing was deleted.
    pub async fn commit_move(
        &self,
        ws: &Workspace,
        commit: &MoveCommit,
        now: DateTime<Utc>,
    ) -> Result<Option<Committed>> {
        let mut tx = self.write_tx().await?;
        // Take the write lock first so everything read below stays true
        // until the commit.
        query("UPDATE messages SET location = location WHERE id = ?")
            .bind(commit.message_id)
            .execute(&mut *tx)
            .await?;
        let Some(facts) = super::retention::retention_facts(&mut tx, ws, commit.message_id).await?
        else {
            return Ok(None);
        };
        let still_planned = match commit.kind {
            MoveKind::Replace | MoveKind::Reuse => {
                facts.location == DataLocation::Hot && is_due(&facts, ws.retention, now)
            }
            MoveKind::Append => facts.location == DataLocation::Archived,
        };
        let hot: i64 = query_scalar("SELECT COUNT(*) FROM events WHERE message_id = ?")
            .bind(commit.message_id)
            .fetch_one(&mut *tx)
            .await?;
        if !still_planned || hot != commit.hot_rows {
            return Ok(None);
        }
        for segment in &commit.segments {
            let announced = query("DELETE FROM pending_segments WHERE path = ?")
                .bind(&segment.path)
                .execute(&mut *tx)
                .await?;
            if announced.rows_affected() != 1 {
                // Garbage collection gave up on this write: its object may
                // be gone, so it must not be listed.
                return Ok(None);
            }
        }
        let mut committed = Committed::default();
        if commit.kind == MoveKind::Replace {
            committed.superseded =
                query_scalar("DELETE FROM segments WHERE message_id = ? RETURNING path")
                    .bind(commit.message_id)
                    .fetch_all(&mut *tx)
                    .await?;
        }
        if commit.kind == MoveKind::Reuse {
            let listed: i64 = query_scalar(
                "SELECT CAST(COALESCE(SUM(rows), 0) AS BIGINT) FROM segments WHERE message_id = ?",
            )
            .bind(commit.message_id)
            .fetch_one(&mut *tx)
            .await?;
            if listed != hot {
                return Ok(None);
            }
        }
        for segment in &commit.segments {
            query(
                "INSERT INTO segments (workspace_id, message_id, path, rows, bytes, checksum, \
                 min_at, max_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(ws.id)
            .bind(commit.message_id)
            .bind(&segment.path)
            .bind(segment.rows)
            .bind(segment.bytes)
            .bind(&segment.checksum)
            .bind(segment.min_at)
            .bind(segment.max_at)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        }
        query("DELETE FROM events WHERE message_id = ?")
            .bind(commit.message_id)
            .execute(&mut *tx)
            .await?;
        // The segment bitmaps drop this message's rows in the same commit.
        let seq = super::changes::next_seq(&mut tx).await?;
        super::changes::record_reload(&mut tx, seq, commit.message_id).await?;
        if commit.kind != MoveKind::Append {
            query("UPDATE messages SET location = 'archived', expired_at = ? WHERE id = ?")
                .bind(to_ms(now))
                .bind(commit.message_id)
                .execute(&mut *tx)
                .await?;
        }
        let written: i64 = commit.segments.iter().map(|s| s.bytes).sum();
        let detail = format!(
            "message {}: {} rows, {} segment(s), {} bytes written{}",
            commit.message_id,
            hot,
            commit.segments.len(),
            written,
            match commit.kind {
                MoveKind::Replace => "",
                MoveKind::Reuse => " (archive reused, nothing rewritten)",
                MoveKind::Append => " (late events appended)",
            }
        );
        let action = if commit.kind == MoveKind::Append {
            "archive.append"
        } else {
            "data.expire"
        };
        query(
            "INSERT INTO audit_log (workspace_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(ws.id)
        .bind(to_ms(now))
        .bind(&commit.actor)
        .bind(action)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(committed))
    }
}

impl SegmentRecord {
    pub fn created(&self) -> DateTime<Utc> {
        from_ms(self.created_at)
    }
}
