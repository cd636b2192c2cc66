//! Saved segments and message audiences, and the retention they imply: a
//! message named by a specific filter that an active message uses
//! (directly or through a segment) is retained.

use chrono::{DateTime, Utc};

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

/// A message's audience as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAudience {
    pub filter: Audience,
    pub segment_ids: Vec<i64>,
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

    /// Replaces a message's audience (see [`replace_audience`]).
    pub async fn set_message_audience(
        &self,
        ws: &Workspace,
        id: i64,
        audience: &StoredAudience,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        replace_audience(&mut tx, ws, id, audience, now).await?;
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

/// Replaces a message's audience (its filters and included segments).
pub(crate) async fn replace_audience(
    tx: &mut Tx,
    ws: &Workspace,
    id: i64,
    audience: &StoredAudience,
    now: DateTime<Utc>,
) -> Result<()> {
    {
        let exists = query("UPDATE messages SET updated_at = ? WHERE id = ? AND workspace_id = ?")
            .bind(to_ms(now))
            .bind(id)
            .bind(ws.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !exists {
            return Err(Error::not_found(format!("message {id}")));
        }
        query(
            "INSERT INTO message_audiences (message_id, filter, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (message_id) DO UPDATE SET filter = excluded.filter, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(audience.filter.to_json().to_string())
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await?;
        query("DELETE FROM message_audience_segments WHERE message_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for segment in &audience.segment_ids {
            let found: Option<i64> =
                query_scalar("SELECT id FROM audience_segments WHERE id = ? AND workspace_id = ?")
                    .bind(segment)
                    .bind(ws.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(Error::invalid(format!("segment {segment} not found")));
            }
            query(
                "INSERT INTO message_audience_segments (message_id, segment_id) VALUES (?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(segment)
            .execute(&mut *tx)
            .await?;
        }
        set_refs(tx, "message", id, &audience.filter).await?;
        recompute_retention(tx, ws.id, now).await?;
        Ok(())
    }
}

impl Db {
    pub async fn message_audience(&self, ws: &Workspace, id: i64) -> Result<StoredAudience> {
        let owner: Option<i64> =
            query_scalar("SELECT id FROM messages WHERE id = ? AND workspace_id = ?")
                .bind(id)
                .bind(ws.id)
                .fetch_optional(self.pool())
                .await?;
        owner.ok_or_else(|| Error::not_found(format!("message {id}")))?;
        let filter: Option<String> =
            query_scalar("SELECT filter FROM message_audiences WHERE message_id = ?")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let segment_ids: Vec<i64> = query_scalar(
            "SELECT segment_id FROM message_audience_segments WHERE message_id = ? ORDER BY segment_id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(StoredAudience {
            filter: match filter {
                Some(f) => parse_stored(&f)?,
                None => Audience { all: Vec::new() },
            },
            segment_ids,
        })
    }

    /// Who retains a message: active messages naming it, directly or
    /// through a segment, as `(message id, name, via segment name)`.
    pub async fn retained_by(&self, id: i64) -> Result<Vec<(i64, String, Option<String>)>> {
        Ok(query_as(
            "SELECT o.id, o.name, NULL FROM audience_refs r JOIN messages o ON o.id = r.owner_id \
             WHERE r.owner_kind = 'message' AND r.message_id = ? AND o.status = 'active' \
             UNION ALL \
             SELECT o.id, o.name, s.name FROM audience_refs r \
             JOIN audience_segments s ON s.id = r.owner_id \
             JOIN message_audience_segments mas ON mas.segment_id = s.id \
             JOIN messages o ON o.id = mas.message_id \
             WHERE r.owner_kind = 'segment' AND r.message_id = ? AND o.status = 'active' \
             ORDER BY 1",
        )
        .bind(id)
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }
}

impl Db {
    /// Variant and step keys of a message in `ws`; `None` if it is not there.
    pub async fn message_keys(
        &self,
        ws: &Workspace,
        id: i64,
    ) -> Result<Option<(Vec<String>, Vec<String>)>> {
        let found: Option<i64> =
            query_scalar("SELECT id FROM messages WHERE id = ? AND workspace_id = ?")
                .bind(id)
                .bind(ws.id)
                .fetch_optional(self.pool())
                .await?;
        if found.is_none() {
            return Ok(None);
        }
        let variants = query_scalar("SELECT key FROM variants WHERE message_id = ?")
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        let steps = query_scalar("SELECT key FROM steps WHERE message_id = ?")
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok(Some((variants, steps)))
    }

    pub async fn tag_exists(&self, ws: &Workspace, tag: &str) -> Result<bool> {
        let found: Option<i64> =
            query_scalar("SELECT id FROM tags WHERE workspace_id = ? AND name = ?")
                .bind(ws.id)
                .bind(tag)
                .fetch_optional(self.pool())
                .await?;
        Ok(found.is_some())
    }
}

fn parse_stored(text: &str) -> Result<Audience> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| Error::Internal)?;
    Ok(Audience::parse(&value)?)
}

async fn set_refs(conn: &mut Tx, kind: &str, owner: i64, filter: &Audience) -> Result<()> {
    query("DELETE FROM audience_refs WHERE owner_kind = ? AND owner_id = ?")
        .bind(kind)
        .bind(owner)
        .execute(&mut *conn)
        .await?;
    for message in filter.named_messages() {
        query("INSERT INTO audience_refs (owner_kind, owner_id, message_id) VALUES (?, ?, ?)")
            .bind(kind)
            .bind(owner)
            .bind(message)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Brings `retained_refs` in line with the references of active messages.
/// A message that stops being referenced gets `now` as activity, so its
/// retention window starts from the moment the reference went away.
pub(super) async fn recompute_retention(
    conn: &mut Tx,
    workspace_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    query(
        "WITH active_refs AS ( \
           SELECT r.message_id FROM audience_refs r JOIN messages o ON o.id = r.owner_id \
            WHERE r.owner_kind = 'message' AND o.status = 'active' AND o.workspace_id = ?1 \
           UNION ALL \
           SELECT r.message_id FROM audience_refs r \
            JOIN message_audience_segments mas ON mas.segment_id = r.owner_id \
            JOIN messages o ON o.id = mas.message_id \
            WHERE r.owner_kind = 'segment' AND o.status = 'active' AND o.workspace_id = ?1), \
         counts AS (SELECT message_id, COUNT(*) AS n FROM active_refs GROUP BY message_id) \
         UPDATE messages SET \
           last_activity_at = CASE WHEN COALESCE((SELECT n FROM counts c WHERE c.message_id = messages.id), 0) = 0 \
                                   THEN (CASE WHEN last_activity_at < ?2 THEN ?2 ELSE last_activity_at END) \
                                   ELSE last_activity_at END, \
           retained_refs = COALESCE((SELECT n FROM counts c WHERE c.message_id = messages.id), 0) \
         WHERE workspace_id = ?1 \
           AND retained_refs != COALESCE((SELECT n FROM counts c WHERE c.message_id = messages.id), 0)",
    )
    .bind(workspace_id)
    .bind(to_ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Where a by-tag filter uses a tag: a segment or a message's audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagReference {
    pub tag: String,
    /// "segment" or "message".
    pub owner_kind: &'static str,
    pub owner_id: i64,
    pub owner_name: String,
}

impl Db {
    /// Every by-tag filter in the workspace's segments and audiences, for
    /// the expiry digest ("these would stop seeing the message's users").
    pub async fn tag_references(&self, ws: &Workspace) -> Result<Vec<TagReference>> {
        let segments: Vec<(i64, String, String)> =
            query_as("SELECT id, name, filter FROM audience_segments WHERE workspace_id = ?")
                .bind(ws.id)
                .fetch_all(self.pool())
                .await?;
        let audiences: Vec<(i64, String, String)> = query_as(
            "SELECT m.id, m.name, a.filter FROM message_audiences a JOIN messages m ON m.id = a.message_id \
             WHERE m.workspace_id = ?",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for (kind, rows) in [("segment", segments), ("message", audiences)] {
            for (id, name, filter) in rows {
                for tag in parse_stored(&filter)?.tags() {
                    out.push(TagReference {
                        tag,
                        owner_kind: kind,
                        owner_id: id,
                        owner_name: name.clone(),
                    });
                }
            }
        }
        Ok(out)
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
