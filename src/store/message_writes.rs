//! Message changes after creation: edits and status transitions.

use chrono::{DateTime, Utc};

use super::sql::{Tx, query, query_as};
use super::{Db, Workspace, to_ms};
use crate::domain::{MessageName, TagName, Transition, apply_transition};
use crate::error::{Error, Result};
use crate::types::{Channel, MessageStatus};

/// A validated edit; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct MessageEdit {
    pub name: Option<MessageName>,
    pub description: Option<String>,
    pub tags: Option<Vec<TagName>>,
    pub channel: Option<Channel>,
}

impl Db {
    /// Applies an edit (see [`edit`]) in a transaction of its own.
    pub async fn edit_message(
        &self,
        ws: &Workspace,
        id: i64,
        change: &MessageEdit,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        edit(&mut tx, ws, id, change, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a message through its lifecycle (see [`transition`]) in a
    /// transaction of its own.
    pub async fn transition_message(
        &self,
        ws: &Workspace,
        id: i64,
        transition: Transition,
        now: DateTime<Utc>,
    ) -> Result<MessageStatus> {
        let mut tx = self.write_tx().await?;
        let to = self::transition(&mut tx, ws, id, transition, now).await?;
        tx.commit().await?;
        Ok(to)
    }
}

/// Applies an edit; an edit counts as activity.
pub(crate) async fn edit(
    tx: &mut Tx,
    ws: &Workspace,
    id: i64,
    edit: &MessageEdit,
    now: DateTime<Utc>,
) -> Result<()> {
    {
        let at = to_ms(now);
        let updated = query(
            "UPDATE messages SET name = COALESCE(?, name), description = COALESCE(?, description), \
             channel = COALESCE(?, channel), updated_at = ?, \
             last_activity_at = CASE WHEN last_activity_at < ? THEN ? ELSE last_activity_at END \
             WHERE id = ? AND workspace_id = ?",
        )
        .bind(edit.name.as_ref().map(MessageName::as_str))
        .bind(edit.description.as_deref())
        .bind(edit.channel.map(Channel::as_str))
        .bind(at)
        .bind(at)
        .bind(at)
        .bind(id)
        .bind(ws.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(Error::not_found(format!("message {id}")));
        }
        if let Some(tags) = &edit.tags {
            super::tags::set_message_tags(tx, ws, id, tags).await?;
        }
        Ok(())
    }
}

/// Moves a message through its lifecycle; 409 when the move is illegal.
pub(crate) async fn transition(
    tx: &mut Tx,
    ws: &Workspace,
    id: i64,
    transition: Transition,
    now: DateTime<Utc>,
) -> Result<MessageStatus> {
    {
        let row: Option<(String, bool)> =
            query_as("SELECT status, has_run <> 0 FROM messages WHERE id = ? AND workspace_id = ?")
                .bind(id)
                .bind(ws.id)
                .fetch_optional(&mut *tx)
                .await?;
        let (status, has_run) = row.ok_or_else(|| Error::not_found(format!("message {id}")))?;
        let from: MessageStatus = status.parse()?;
        let to = apply_transition(from, transition, has_run)?;
        let at = to_ms(now);
        // Leaving `active` is a stop: it sets the stop time, which starts
        // the retention window.
        let stops = from == MessageStatus::Active;
        let starts = to == MessageStatus::Active;
        query(
            "UPDATE messages SET status = ?, updated_at = ?, \
             has_run = CASE WHEN ? <> 0 THEN 1 ELSE has_run END, \
             started_at = CASE WHEN ? <> 0 AND started_at IS NULL THEN ? ELSE started_at END, \
             stopped_at = CASE WHEN ? <> 0 THEN ? ELSE stopped_at END, \
             last_activity_at = CASE WHEN last_activity_at < ? THEN ? ELSE last_activity_at END \
             WHERE id = ?",
        )
        .bind(to.as_str())
        .bind(at)
        .bind(starts)
        .bind(starts)
        .bind(at)
        .bind(stops)
        .bind(at)
        .bind(at)
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // Starting or stopping a message changes what its audience retains.
        super::audiences::recompute_retention(tx, ws.id, now).await?;
        Ok(to)
    }
}

impl Db {
    /// Sets the last activity outright (imports and the demo, whose history
    /// is older than the moment it is written).
    pub async fn set_last_activity(&self, updates: &[(i64, DateTime<Utc>)]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for (id, at) in updates {
            query("UPDATE messages SET last_activity_at = ? WHERE id = ?")
                .bind(to_ms(*at))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// A message's status, read inside the caller's transaction; 404 when it
/// is not in `ws`.
pub(crate) async fn status(tx: &mut Tx, ws: &Workspace, id: i64) -> Result<MessageStatus> {
    let status: Option<String> =
        super::sql::query_scalar("SELECT status FROM messages WHERE id = ? AND workspace_id = ?")
            .bind(id)
            .bind(ws.id)
            .fetch_optional(&mut *tx)
            .await?;
    status
        .ok_or_else(|| Error::not_found(format!("message {id}")))?
        .parse()
}
