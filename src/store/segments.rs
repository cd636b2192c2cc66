//! Saved segments: named filters that audiences include. Changing one
//! recomputes what active messages retain, in the same transaction.

use chrono::{DateTime, Utc};

use super::audiences::{parse_stored, recompute_retention, set_refs};
use super::sql::{Tx, query, query_as, query_scalar};
use super::{Db, Workspace, from_ms, on_unique, to_ms};
use crate::domain::Audience;
use crate::error::{Error, Result};

/// A saved segment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSegment {
    pub id: i64,
    pub name: String,
    pub filter: Audience,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Messages whose audience includes it.
    pub used_by: Vec<i64>,
}

impl Db {
    pub async fn create_segment(
        &self,
        ws: &Workspace,
        name: &str,
        filter: &Audience,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id = insert_segment(&mut tx, ws, name, filter, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_segment(
        &self,
        ws: &Workspace,
        id: i64,
        name: &str,
        filter: &Audience,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        replace_segment(&mut tx, ws, id, name, filter, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refused while a message's audience includes the segment.
    pub async fn delete_segment(&self, ws: &Workspace, id: i64, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        remove_segment(&mut tx, ws, id, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(crate) async fn insert_segment(
    tx: &mut Tx,
    ws: &Workspace,
    name: &str,
    filter: &Audience,
    now: DateTime<Utc>,
) -> Result<i64> {
    {
        let id: i64 = query_scalar(
            "INSERT INTO audience_segments (workspace_id, name, filter, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(ws.id)
        .bind(name)
        .bind(filter.to_json().to_string())
        .bind(to_ms(now))
        .bind(to_ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            on_unique(e, || {
                Error::conflict(format!("a segment named {name:?} exists"))
            })
        })?;
        set_refs(tx, "segment", id, filter).await?;
        recompute_retention(tx, ws.id, now).await?;
        Ok(id)
    }
}

pub(crate) async fn replace_segment(
    tx: &mut Tx,
    ws: &Workspace,
    id: i64,
    name: &str,
    filter: &Audience,
    now: DateTime<Utc>,
) -> Result<()> {
    {
        let done = query(
            "UPDATE audience_segments SET name = ?, filter = ?, updated_at = ? WHERE id = ? AND workspace_id = ?",
        )
        .bind(name)
        .bind(filter.to_json().to_string())
        .bind(to_ms(now))
        .bind(id)
        .bind(ws.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, || Error::conflict(format!("a segment named {name:?} exists"))))?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found(format!("segment {id}")));
        }
        set_refs(tx, "segment", id, filter).await?;
        recompute_retention(tx, ws.id, now).await?;
        Ok(())
    }
}

/// Refused while a message's audience includes the segment.
pub(crate) async fn remove_segment(
    tx: &mut Tx,
    ws: &Workspace,
    id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    {
        let found: Option<i64> =
            query_scalar("SELECT id FROM audience_segments WHERE id = ? AND workspace_id = ?")
                .bind(id)
                .bind(ws.id)
                .fetch_optional(&mut *tx)
                .await?;
        if found.is_none() {
            return Err(Error::not_found(format!("segment {id}")));
        }
        let used_by: Vec<i64> = query_scalar(
            "SELECT message_id FROM message_audience_segments WHERE segment_id = ? ORDER BY message_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if !used_by.is_empty() {
            return Err(Error::conflict(format!(
                "segment {id} is used by the audience of message(s) {used_by:?}; remove it there first"
            )));
        }
        query("DELETE FROM audience_refs WHERE owner_kind = 'segment' AND owner_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        query("DELETE FROM audience_segments WHERE id = ? AND workspace_id = ?")
            .bind(id)
            .bind(ws.id)
            .execute(&mut *tx)
            .await?;
        recompute_retention(tx, ws.id, now).await?;
        Ok(())
    }
}

impl Db {
    pub async fn segment(&self, ws: &Workspace, id: i64) -> Result<StoredSegment> {
        let row: Option<(i64, String, String, i64, i64)> = query_as(
            "SELECT id, name, filter, created_at, updated_at FROM audience_segments WHERE id = ? AND workspace_id = ?",
        )
        .bind(id)
        .bind(ws.id)
        .fetch_optional(self.pool())
        .await?;
        let row = row.ok_or_else(|| Error::not_found(format!("segment {id}")))?;
        self.segment_from_row(row).await
    }

    /// The segments of `ws` with these ids, in id order; 404 naming the
    /// first that is missing.
    pub async fn segments_by_id(&self, ws: &Workspace, ids: &[i64]) -> Result<Vec<StoredSegment>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let found: Vec<StoredSegment> = self
            .list_segments(ws)
            .await?
            .into_iter()
            .filter(|s| wanted.binary_search(&s.id).is_ok())
            .collect();
        if let Some(missing) = wanted.iter().find(|id| !found.iter().any(|s| s.id == **id)) {
            return Err(Error::not_found(format!("segment {missing}")));
        }
        let mut found = found;
        found.sort_by_key(|s| s.id);
        Ok(found)
    }

    pub async fn list_segments(&self, ws: &Workspace) -> Result<Vec<StoredSegment>> {
        let rows: Vec<(i64, String, String, i64, i64)> = query_as(
            "SELECT id, name, filter, created_at, updated_at FROM audience_segments WHERE workspace_id = ? ORDER BY name",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?;
        // Every segment's users in one read rather than one per segment.
        let uses: Vec<(i64, i64)> = query_as(
            "SELECT mas.segment_id, mas.message_id FROM message_audience_segments mas \
             JOIN audience_segments s ON s.id = mas.segment_id \
             WHERE s.workspace_id = ? ORDER BY mas.segment_id, mas.message_id",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(id, name, filter, created_at, updated_at)| {
                Ok(StoredSegment {
                    id,
                    name,
                    filter: parse_stored(&filter)?,
                    created_at: from_ms(created_at),
                    updated_at: from_ms(updated_at),
                    used_by: uses
                        .iter()
                        .filter(|(segment, _)| *segment == id)
                        .map(|(_, message)| *message)
                        .collect(),
                })
            })
            .collect()
    }

    async fn segment_from_row(
        &self,
        row: (i64, String, String, i64, i64),
    ) -> Result<StoredSegment> {
        let (id, name, filter, created_at, updated_at) = row;
        let used_by: Vec<i64> = query_scalar(
            "SELECT message_id FROM message_audience_segments WHERE segment_id = ? ORDER BY message_id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(StoredSegment {
            id,
            name,
            filter: parse_stored(&filter)?,
            created_at: from_ms(created_at),
            updated_at: from_ms(updated_at),
            used_by,
        })
    }
}

/// Whether an active message's audience includes the segment, inside the
/// caller's transaction.
pub(crate) async fn used_by_active(tx: &mut Tx, segment_id: i64) -> Result<bool> {
    let active: i64 = query_scalar(
        "SELECT COUNT(*) FROM message_audience_segments mas JOIN messages m ON m.id = mas.message_id \
         WHERE mas.segment_id = ? AND m.status = 'active'",
    )
    .bind(segment_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(active > 0)
}
