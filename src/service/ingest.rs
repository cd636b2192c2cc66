//! Event ingest: read the body, validate each item, store the valid ones.

use chrono::{DateTime, Utc};

use crate::domain::batch::{BodyFormat, parse_batch};
use crate::error::Result;
use crate::store::{Db, Workspace};
use crate::types::{IngestResult, RejectedEvent};

/// Valid events are kept even when others in the batch are rejected.
pub async fn ingest(
    db: &Db,
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
    let outcome = db.ingest_events(ws, &valid, now).await?;
    rejected.extend(outcome.rejected);
    rejected.sort_by_key(|r| r.index);
    Ok(IngestResult {
        accepted: outcome.accepted,
        duplicates: outcome.duplicates,
        rejected,
    })
}
