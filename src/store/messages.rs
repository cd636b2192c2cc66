//! Messages: rows, list queries and lifecycle updates.

use chrono::{DateTime, Utc};

use super::sql::{Tx, query, query_as, query_scalar};
use super::{Db, Workspace, from_ms, on_unique, to_ms};
use crate::domain::{DataLocation, MessageName, RetentionFacts, TagName, data_state};
use crate::error::{Error, Result};
use crate::types::{
    Channel, MessageDetail, MessageKind, MessageStatus, MessageSummary, RetainedBy, StepInfo,
    VariantInfo,
};

/// A validated message about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub name: MessageName,
    pub description: String,
    pub channel: Channel,
    pub status: MessageStatus,
    pub tags: Vec<TagName>,
    pub variants: Vec<NewVariant>,
    pub steps: Vec<NewStep>,
    pub created_at: DateTime<Utc>,
    /// For messages created already running or stopped (imports, demo).
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewVariant {
    pub key: String,
    pub name: String,
    pub is_control: bool,
}

#[derive(Debug, Clone)]
pub struct NewStep {
    pub key: String,
    pub name: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    pub(super) id: i64,
    kind: String,
    pub(super) name: String,
    description: String,
    channel: String,
    status: String,
    location: String,
    pub(super) pinned: bool,
    pub(super) pinned_until: Option<i64>,
    pub(super) retained_refs: i64,
    created_at: i64,
    updated_at: i64,
    started_at: Option<i64>,
    stopped_at: Option<i64>,
    last_activity_at: i64,
    expired_at: Option<i64>,
}

pub(super) const COLUMNS: &str = "m.id, m.kind, m.name, m.description, m.channel, m.status, m.location, \
    m.pinned <> 0 AS pinned, m.pinned_until, m.retained_refs, m.created_at, m.updated_at, \
    m.started_at, m.stopped_at, m.last_activity_at, m.expired_at";

impl MessageRow {
    pub(super) fn facts(&self) -> Result<RetentionFacts> {
        Ok(RetentionFacts {
            status: self.status.parse()?,
            location: DataLocation::parse(&self.location).ok_or(Error::Internal)?,
            last_activity_at: from_ms(self.last_activity_at),
            pinned_until: self.pinned.then(|| self.pinned_until.map(from_ms)),
            referenced: self.retained_refs > 0,
        })
    }

    pub(super) fn into_summary(
        self,
        ws: &Workspace,
        tags: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<MessageSummary> {
        let facts = self.facts()?;
        let (state, expires_at) = data_state(&facts, ws.retention, now);
        Ok(MessageSummary {
            id: self.id,
            kind: self.kind.parse()?,
            name: self.name,
            channel: self.channel.parse()?,
            status: facts.status,
            tags,
            data_state: state,
            created_at: from_ms(self.created_at),
            last_activity_at: facts.last_activity_at,
            expires_at,
            expired_at: self.expired_at.map(from_ms),
        })
    }
}

impl Db {
    /// Inserts a message with its tags, variants and steps in one
    /// transaction and returns its id.
    pub async fn insert_message(&self, ws: &Workspace, new: &NewMessage) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id = insert_message_in(&mut tx, ws, new).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Inserts many messages in one transaction (imports and the demo).
    pub async fn insert_messages(&self, ws: &Workspace, all: &[NewMessage]) -> Result<Vec<i64>> {
        let mut tx = self.write_tx().await?;
        let mut ids = Vec::with_capacity(all.len());
        for new in all {
            ids.push(insert_message_in(&mut tx, ws, new).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The landing page's view of one message; 404 when it belongs to
    /// another workspace.
    pub async fn message_detail(
        &self,
        ws: &Workspace,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<MessageDetail> {
        let row: MessageRow = query_as(&format!(
            "SELECT {COLUMNS} FROM messages m WHERE m.id = ? AND m.workspace_id = ?"
        ))
        .bind(id)
        .bind(ws.id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| Error::not_found(format!("message {id}")))?;

        let variants: Vec<(String, String, bool)> = query_as(
            "SELECT key, name, is_control <> 0 FROM variants WHERE message_id = ? ORDER BY ord",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let steps: Vec<(String, String)> =
            query_as("SELECT key, name FROM steps WHERE message_id = ? ORDER BY ord")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        let tags = self.tags_of(&[id]).await?.remove(&id).unwrap_or_default();
        let description = row.description.clone();
        let updated_at = from_ms(row.updated_at);
        let started_at = row.started_at.map(from_ms);
        let stopped_at = row.stopped_at.map(from_ms);
        let (pinned, pinned_until, refs) =
            (row.pinned, row.pinned_until.map(from_ms), row.retained_refs);
        let summary = row.into_summary(ws, tags, now)?;
        let (aggregates, by_variant) = self.message_aggregates(id).await?;
        let mut retained_by = Vec::new();
        if pinned && pinned_until.is_none_or(|until| until > now) {
            retained_by.push(RetainedBy::Pin {
                until: pinned_until,
            });
        }
        if refs > 0 {
            for (owner, name, via) in self.retained_by(id).await? {
                retained_by.push(RetainedBy::Audience {
                    message_id: owner,
                    message_name: name,
                    segment: via,
                });
            }
        }
        let (segments, rows, bytes): (i64, i64, i64) = query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(rows), 0) AS BIGINT), \
             CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM segments WHERE message_id = ?",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(MessageDetail {
            summary,
            description,
            variants: variants
                .into_iter()
                .map(|(key, name, is_control)| VariantInfo {
                    key,
                    name,
                    is_control,
                })
                .collect(),
            steps: steps
                .into_iter()
                .map(|(key, name)| StepInfo { key, name })
                .collect(),
            started_at,
            stopped_at,
            updated_at,
            aggregates,
            by_variant,
            pinned,
            pinned_until,
            retained_by,
            archive: crate::types::ArchiveSummary {
                segments,
                rows,
                bytes,
            },
        })
    }

    pub async fn count_messages(&self, ws: &Workspace) -> Result<i64> {
        Ok(
            query_scalar("SELECT COUNT(*) FROM messages WHERE workspace_id = ?")
                .bind(ws.id)
                .fetch_one(self.pool())
                .await?,
        )
    }
}

pub(crate) async fn insert_message_in(
    conn: &mut Tx,
    ws: &Workspace,
    new: &NewMessage,
) -> Result<i64> {
    let at = to_ms(new.created_at);
    let started_at = new.started_at.map(to_ms);
    let stopped_at = new.stopped_at.map(to_ms);
    let has_run = started_at.is_some();
    let last_activity = stopped_at.or(started_at).unwrap_or(at).max(at);
    let id: i64 = query_scalar(
        "INSERT INTO messages (workspace_id, kind, name, description, channel, status, has_run, \
         created_at, updated_at, started_at, stopped_at, last_activity_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(ws.id)
    .bind(new.kind.as_str())
    .bind(new.name.as_str())
    .bind(&new.description)
    .bind(new.channel.as_str())
    .bind(new.status.as_str())
    .bind(has_run)
    .bind(at)
    .bind(at)
    .bind(started_at)
    .bind(stopped_at)
    .bind(last_activity)
    .fetch_one(&mut *conn)
    .await?;

    for (i, v) in new.variants.iter().enumerate() {
        query(
            "INSERT INTO variants (message_id, ord, key, name, is_control) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(i as i64 + 1)
        .bind(&v.key)
        .bind(&v.name)
        .bind(v.is_control)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            on_unique(e, || {
                Error::invalid(format!("variant key {:?} is used twice", v.key))
            })
        })?;
    }
    for (i, s) in new.steps.iter().enumerate() {
        query("INSERT INTO steps (message_id, ord, key, name) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(i as i64 + 1)
            .bind(&s.key)
            .bind(&s.name)
            .execute(&mut *conn)
            .await
            .map_err(|e| {
                on_unique(e, || {
                    Error::invalid(format!("step key {:?} is used twice", s.key))
                })
            })?;
    }
    super::tags::set_message_tags(conn, ws, id, &new.tags).await?;
    Ok(id)
}
