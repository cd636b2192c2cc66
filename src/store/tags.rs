//! Tags: first-class, per workspace, lowercased; listed with counts,
//! renamed and merged.

use std::collections::HashMap;

use super::sql::{QueryBuilder, Tx, query, query_as, query_scalar};
use super::{Db, Workspace};
use crate::domain::TagName;
use crate::error::{Error, Result};
use crate::types::TagCount;

/// Replaces a message's tags, creating tags that do not exist yet.
pub(super) async fn set_message_tags(
    conn: &mut Tx,
    ws: &Workspace,
    message_id: i64,
    tags: &[TagName],
) -> Result<()> {
    query("DELETE FROM message_tags WHERE message_id = ?")
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        let tag_id: i64 = query_scalar(
            "INSERT INTO tags (workspace_id, name) VALUES (?, ?) \
             ON CONFLICT (workspace_id, name) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(ws.id)
        .bind(tag.as_str())
        .fetch_one(&mut *conn)
        .await?;
        query("INSERT INTO message_tags (message_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(message_id)
            .bind(tag_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Db {
    /// Tag names per message, sorted, for the given messages.
    /// The tag names of one message, sorted.
    pub async fn message_tags(&self, id: i64) -> Result<Vec<String>> {
        Ok(self.tags_of(&[id]).await?.remove(&id).unwrap_or_default())
    }

    pub(super) async fn tags_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut qb = QueryBuilder::new(
            "SELECT mt.message_id, t.name FROM message_tags mt JOIN tags t ON t.id = mt.tag_id \
             WHERE mt.message_id IN (",
        );
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY t.name");
        let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(self.pool()).await?;
        for (id, name) in rows {
            out.entry(id).or_default().push(name);
        }
        Ok(out)
    }

    /// Every tag of the workspace with the number of messages carrying it
    /// (archived ones included: a tag restore covers them too).
    pub async fn list_tags(&self, ws: &Workspace) -> Result<Vec<TagCount>> {
        let rows: Vec<(String, i64)> = query_as(
            "SELECT t.name, COUNT(mt.message_id) FROM tags t \
             LEFT JOIN message_tags mt ON mt.tag_id = t.id \
             WHERE t.workspace_id = ? GROUP BY t.id ORDER BY t.name",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(name, n)| TagCount {
                name,
                messages: n as u64,
            })
            .collect())
    }

    /// Renames a tag (see [`rename`]) in a transaction of its own.
    pub async fn rename_tag(&self, ws: &Workspace, from: &TagName, to: &TagName) -> Result<()> {
        let mut tx = self.write_tx().await?;
        rename(&mut tx, ws, from, to).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Merges tags (see [`merge`]) in a transaction of its own.
    pub async fn merge_tags(
        &self,
        ws: &Workspace,
        sources: &[TagName],
        into: &TagName,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        merge(&mut tx, ws, sources, into).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Renames a tag; renaming onto an existing tag is a merge.
pub(crate) async fn rename(
    tx: &mut Tx,
    ws: &Workspace,
    from: &TagName,
    to: &TagName,
) -> Result<()> {
    let from_id = tag_id(tx, ws, from)
        .await?
        .ok_or_else(|| Error::not_found(format!("tag {:?}", from.as_str())))?;
    match tag_id(tx, ws, to).await? {
        Some(to_id) if to_id != from_id => {
            query(
                "INSERT INTO message_tags (message_id, tag_id) \
                 SELECT message_id, ? FROM message_tags WHERE tag_id = ? ON CONFLICT DO NOTHING",
            )
            .bind(to_id)
            .bind(from_id)
            .execute(&mut *tx)
            .await?;
            query("DELETE FROM tags WHERE id = ?")
                .bind(from_id)
                .execute(&mut *tx)
                .await?;
        }
        Some(_) => {}
        None => {
            query("UPDATE tags SET name = ? WHERE id = ?")
                .bind(to.as_str())
                .bind(from_id)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// Merges every tag in `sources` into `into`, all or nothing.
pub(crate) async fn merge(
    tx: &mut Tx,
    ws: &Workspace,
    sources: &[TagName],
    into: &TagName,
) -> Result<()> {
    for source in sources.iter().filter(|s| *s != into) {
        rename(tx, ws, source, into).await?;
    }
    Ok(())
}

async fn tag_id(conn: &mut Tx, ws: &Workspace, tag: &TagName) -> Result<Option<i64>> {
    Ok(
        query_scalar("SELECT id FROM tags WHERE workspace_id = ? AND name = ?")
            .bind(ws.id)
            .bind(tag.as_str())
            .fetch_optional(&mut *conn)
            .await?,
    )
}
