//! Message audiences and the retention they imply: a message named by a
//! specific filter that an active message uses (directly or through a
//! saved segment, `segments`) is retained.

use chrono::{DateTime, Utc};

use super::sql::{Tx, query, query_as, query_scalar};
use super::{Db, Workspace, to_ms};
use crate::domain::Audience;
use crate::error::{Error, Result};

/// A message's audience as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAudience {
    pub filter: Audience,
    pub segment_ids: Vec<i64>,
}

impl Db {
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

pub(super) fn parse_stored(text: &str) -> Result<Audience> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| Error::Internal)?;
    Ok(Audience::parse(&value)?)
}

pub(super) async fn set_refs(
    conn: &mut Tx,
    kind: &str,
    owner: i64,
    filter: &Audience,
) -> Result<()> {
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
