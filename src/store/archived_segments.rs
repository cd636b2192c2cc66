//! The segments ingest must look into besides the hot table: those of the
//! messages whose rows are not hot ('archived', or 'restoring' until the
//! restore commits). A hot message's ids are all covered by the unique
//! index `events_dedup`, so ordinary ingest never needs more than this one
//! lookup by primary key.

use std::collections::HashSet;

use super::sql::{Ex, QueryBuilder};

use super::{Db, Workspace};
use crate::domain::ParsedEvent;
use crate::error::Result;

/// One listed segment of a message whose rows are not hot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::FromRow)]
pub struct ArchivedSegment {
    pub message_id: i64,
    pub id: i64,
    pub path: String,
    pub rows: i64,
    /// Lowercase hex SHA-256: names the content, whatever the id or path.
    pub checksum: String,
}

/// What ingest found in long-term storage before its write transaction.
#[derive(Debug, Clone, Default)]
pub struct ArchiveCheck {
    /// Every segment the check looked into.
    pub segments: Vec<ArchivedSegment>,
    /// Request indexes of the events whose id one of them holds.
    pub duplicates: HashSet<usize>,
}

impl ArchiveCheck {
    /// True when every segment listed now was looked into. A message's set
    /// of ids only grows (moves copy rows before deleting them, restores
    /// bring all of them back), so ids found earlier are still duplicates,
    /// and a message that became hot meanwhile is covered by the index.
    pub(super) fn covers(&self, listed: &[ArchivedSegment]) -> bool {
        listed.iter().all(|s| self.segments.contains(s))
    }
}

impl Db {
    /// The segments of those of `message_ids` (in `ws`) whose rows are not
    /// hot, by message and id. One statement, so a consistent snapshot.
    pub async fn archived_segments(
        &self,
        ws: &Workspace,
        message_ids: &[i64],
    ) -> Result<Vec<ArchivedSegment>> {
        archived_segments_on(self.pool().into(), ws, message_ids).await
    }
}

pub(super) async fn archived_segments_on(
    mut on: Ex<'_>,
    ws: &Workspace,
    message_ids: &[i64],
) -> Result<Vec<ArchivedSegment>> {
    let mut out = Vec::new();
    for chunk in message_ids.chunks(500) {
        let mut qb = QueryBuilder::new(
            "SELECT s.message_id, s.id, s.path, s.rows, s.checksum \
             FROM messages m JOIN segments s ON s.message_id = m.id \
             WHERE m.location IN ('archived', 'restoring') AND m.workspace_id = ",
        );
        qb.push_bind(ws.id).push(" AND m.id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY s.message_id, s.id");
        out.extend(
            qb.build_query_as::<ArchivedSegment>()
                .fetch_all(on.reborrow())
                .await?,
        );
    }
    Ok(out)
}

/// The distinct messages a batch names, in order.
pub fn batch_messages(events: &[(usize, ParsedEvent)]) -> Vec<i64> {
    let mut ids: Vec<i64> = events.iter().map(|(_, e)| e.message_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
