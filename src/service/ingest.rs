//! Event ingest: read the body, validate each item, store the valid ones.
//!
//! The same event id twice for a message is one event, wherever the first
//! one is. The hot table's unique index catches it while the message's
//! rows are hot; for a message whose rows are in long-term storage
//! ('archived', or 'restoring' until the restore commits), its segments
//! are checked before the write transaction (reads of the archive never
//! hold SQLite's write lock), and the transaction proves that no move
//! listed a segment the check did not see. If one did, the check runs
//! again on what is listed now. Batches for hot messages only never touch
//! the archive.

use chrono::{DateTime, Utc};

use crate::domain::ParsedEvent;
use crate::domain::batch::{BodyFormat, parse_batch};
use crate::error::{Error, Result};
use crate::service::archived_ids::ArchivedIds;
use crate::store::{ArchiveCheck, Db, IngestOutcome, Ingested, Workspace, batch_messages};
use crate::types::{IngestResult, RejectedEvent};

/// Checks and writes per request before giving up: each retry means a
/// move committed for one of its messages in the moment between the two,
/// which happens once per message and retention window.
pub const MAX_ATTEMPTS: usize = 4;

/// Valid events are kept even when others in the batch are rejected.
pub async fn ingest(
    db: &Db,
    archived: &ArchivedIds,
    ws: &Workspace,
    body: &[u8],
    format: BodyFormat,
    now: DateTime<Utc>,
) -> Result<IngestResult> {
    let batch = parse_batch(body, format, now)?;
    let mut rejected = Vec::new();
    let mut valid = Vec::with_capacity(batch.len());
    for (index, item) in batch.into_iter().enumerate() {
        match item {
            Ok(event) => valid.push((index, event)),
            Err(error) => rejected.push(RejectedEvent { index, error }),
        }
    }
    let outcome = store(db, archived, ws, &valid, now, async |_| {}).await?;
    rejected.extend(outcome.rejected);
    rejected.sort_by_key(|r| r.index);
    Ok(IngestResult {
        accepted: outcome.accepted,
        duplicates: outcome.duplicates,
        rejected,
    })
}

/// Checks long-term storage for the ids of `valid`, then writes them;
/// `between(attempt)` runs after each check, before its write (tests make
/// a move commit there).
pub(crate) async fn store(
    db: &Db,
    archived: &ArchivedIds,
    ws: &Workspace,
    valid: &[(usize, ParsedEvent)],
    now: DateTime<Utc>,
    mut between: impl AsyncFnMut(usize),
) -> Result<IngestOutcome> {
    let mut segments = db.archived_segments(ws, &batch_messages(valid)).await?;
    for attempt in 0..MAX_ATTEMPTS {
        let duplicates = if segments.is_empty() {
            Default::default()
        } else {
            archived.held(&segments, valid).await?
        };
        between(attempt).await;
        let checked = ArchiveCheck {
            segments,
            duplicates,
        };
        match db.ingest_events(ws, valid, &checked, now).await? {
            Ingested::Stored(outcome) => return Ok(outcome),
            Ingested::ArchiveChanged(listed) => {
                tracing::debug!(attempt, "a move committed during ingest; checking again");
                segments = listed;
            }
        }
    }
    tracing::warn!("ingest gave up: long-term storage kept changing under it");
    Err(Error::Unavailable(
        "long-term storage changed while this batch was checked for duplicates; nothing was stored, send it again"
            .into(),
    ))
}
