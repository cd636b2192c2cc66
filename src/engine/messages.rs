//! Message use cases: reading, creating and editing messages, moving them
//! through their lifecycle, pins, tags and the workspace's retention.

use chrono::{DateTime, Utc};

use super::{Actor, Engine};
use crate::domain::{DataLocation, TagName, Transition};
use crate::error::Result;
use crate::service::messages::{edit_from_patch, validate_input};
use crate::store::{message_writes, restores, retention, tags, users};
use crate::types::{
    AuditEntry, DailyPoint, MessageDetail, MessageInput, MessageListQuery, MessagePatch,
    MessageStatus, MessageSummary, Page, TagCount,
};

impl Engine {
    pub async fn list_messages(
        &self,
        actor: &Actor,
        query: &MessageListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page<MessageSummary>> {
        self.db.list_messages(actor.workspace(), query, now).await
    }

    pub async fn message(
        &self,
        actor: &Actor,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<MessageDetail> {
        self.db.message_detail(actor.workspace(), id, now).await
    }

    /// A message's daily figures; 404 unless it is in the actor's workspace.
    pub async fn message_chart(
        &self,
        actor: &Actor,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<DailyPoint>> {
        self.db.message_detail(actor.workspace(), id, now).await?;
        self.db.message_daily_stats(id).await
    }

    /// Creates a draft message.
    pub async fn create_message(
        &self,
        actor: &Actor,
        input: MessageInput,
        now: DateTime<Utc>,
    ) -> Result<MessageDetail> {
        let new = validate_input(input, now)?;
        let ws = actor.workspace();
        let mut tx = self.db.write_tx().await?;
        let id = crate::store::messages::insert_message_in(&mut tx, ws, &new).await?;
        let detail = format!("message {id} {:?} created", new.name.as_str());
        audit(&mut tx, actor, "message.create", &detail, now).await?;
        tx.commit().await?;
        self.message(actor, id, now).await
    }

    /// Edits a message's name, description, tags or channel.
    pub async fn edit_message(
        &self,
        actor: &Actor,
        id: i64,
        patch: MessagePatch,
        now: DateTime<Utc>,
    ) -> Result<MessageDetail> {
        let edit = edit_from_patch(patch)?;
        let mut tx = self.db.write_tx().await?;
        message_writes::edit(&mut tx, actor.workspace(), id, &edit, now).await?;
        audit(
            &mut tx,
            actor,
            "message.edit",
            &format!("message {id} edited"),
            now,
        )
        .await?;
        tx.commit().await?;
        self.message(actor, id, now).await
    }

    /// Starts, stops, archives or unarchives a message. Starting a message
    /// whose data expired queues its restore, and so does starting one
    /// whose audience names expired messages: in the same transaction, so
    /// no way of starting a message can skip it.
    pub async fn change_status(
        &self,
        actor: &Actor,
        id: i64,
        transition: Transition,
        now: DateTime<Utc>,
    ) -> Result<MessageDetail> {
        let ws = actor.workspace();
        // What the audience names, read before the write; the batch itself
        // re-checks every location inside the transaction.
        let inputs = if transition == Transition::Start {
            self.audience_inputs(ws, id).await?
        } else {
            Vec::new()
        };
        let mut tx = self.db.write_tx().await?;
        let from = message_writes::status(&mut tx, ws, id).await?;
        let to = message_writes::transition(&mut tx, ws, id, transition, now).await?;
        let detail = format!("message {id} {} -> {}", from.as_str(), to.as_str());
        audit(&mut tx, actor, "message.status", &detail, now).await?;
        let mut queued = false;
        if to == MessageStatus::Active {
            if retention::location(&mut tx, ws, id).await? == Some(DataLocation::Archived) {
                let batch = actor.restore_of(vec![id]);
                restores::insert_batch(&mut tx, ws, &batch, now).await?;
                queued = true;
            }
            let expired = retention::expired_among(&mut tx, ws, &inputs).await?;
            if !expired.is_empty() {
                let batch = actor.restore_of(expired);
                restores::insert_batch(&mut tx, ws, &batch, now).await?;
                queued = true;
            }
        }
        tx.commit().await?;
        if queued {
            self.restores_queued();
        }
        self.message(actor, id, now).await
    }

    /// Keeps a message's hot data available until `until` (or until
    /// unpinned). Expired data must be restored first (409).
    pub async fn pin(
        &self,
        actor: &Actor,
        id: i64,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<MessageDetail> {
        let mut tx = self.db.write_tx().await?;
        retention::pin(&mut tx, actor.workspace(), id, until, now).await?;
        let end = until.map_or("unpinned".to_string(), |at| {
            at.format("%Y-%m-%d %H:%M UTC").to_string()
        });
        let detail = format!("message {id} kept available until {end}");
        audit(&mut tx, actor, "message.pin", &detail, now).await?;
        tx.commit().await?;
        self.message(actor, id, now).await
    }

    /// Stops keeping a message's data; its retention window starts again.
    pub async fn unpin(&self, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<MessageDetail> {
        let mut tx = self.db.write_tx().await?;
        retention::unpin(&mut tx, actor.workspace(), id, now).await?;
        audit(
            &mut tx,
            actor,
            "message.unpin",
            &format!("message {id} unpinned"),
            now,
        )
        .await?;
        tx.commit().await?;
        self.message(actor, id, now).await
    }

    /// The workspace's retention window in calendar months (`None` = never).
    pub async fn retention(&self, actor: &Actor) -> Result<Option<u32>> {
        Ok(self.workspace_of(actor).await?.retention.months())
    }

    pub async fn set_retention(
        &self,
        actor: &Actor,
        months: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<Option<u32>> {
        let before = self.workspace_of(actor).await?;
        let mut tx = self.db.write_tx().await?;
        retention::set_retention(&mut tx, &before, months).await?;
        let detail = format!(
            "retention changed from {} to {}",
            months_text(before.retention.months()),
            months_text(months)
        );
        audit(&mut tx, actor, "workspace.retention", &detail, now).await?;
        tx.commit().await?;
        Ok(months)
    }

    pub async fn list_tags(&self, actor: &Actor) -> Result<Vec<TagCount>> {
        self.db.list_tags(actor.workspace()).await
    }

    /// Renames a tag; renaming onto an existing tag merges them.
    pub async fn rename_tag(
        &self,
        actor: &Actor,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<TagCount>> {
        let (from, to) = (TagName::parse(from)?, TagName::parse(to)?);
        let mut tx = self.db.write_tx().await?;
        tags::rename(&mut tx, actor.workspace(), &from, &to).await?;
        let detail = format!("tag {:?} renamed to {:?}", from.as_str(), to.as_str());
        audit(&mut tx, actor, "tag.rename", &detail, now).await?;
        tx.commit().await?;
        self.list_tags(actor).await
    }

    /// Merges tags into one, all or nothing.
    pub async fn merge_tags(
        &self,
        actor: &Actor,
        from: &[String],
        into: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<TagCount>> {
        if from.is_empty() {
            return Err(crate::Error::invalid("from must name at least one tag"));
        }
        let (from, into) = (TagName::parse_all(from)?, TagName::parse(into)?);
        let mut tx = self.db.write_tx().await?;
        tags::merge(&mut tx, actor.workspace(), &from, &into).await?;
        let names: Vec<&str> = from.iter().map(TagName::as_str).collect();
        let detail = format!("tags {names:?} merged into {:?}", into.as_str());
        audit(&mut tx, actor, "tag.merge", &detail, now).await?;
        tx.commit().await?;
        self.list_tags(actor).await
    }

    /// The workspace's audit log, newest first.
    pub async fn audit_log(&self, actor: &Actor, limit: i64) -> Result<Vec<AuditEntry>> {
        self.db.audit_log(actor.workspace(), limit).await
    }

    /// The messages a message's audience names by id (its own filters and
    /// its saved segments').
    pub(super) async fn audience_inputs(
        &self,
        ws: &crate::store::Workspace,
        id: i64,
    ) -> Result<Vec<i64>> {
        let stored = self.db.message_audience(ws, id).await?;
        let mut named = stored.filter.named_messages();
        for segment in self.db.segments_by_id(ws, &stored.segment_ids).await? {
            named.extend(segment.filter.named_messages());
        }
        named.sort_unstable();
        named.dedup();
        Ok(named)
    }
}

/// Writes the actor's audit entry inside the use case's transaction.
pub(super) async fn audit(
    tx: &mut crate::store::Tx,
    actor: &Actor,
    action: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let ws = Some(actor.workspace().id);
    users::record_audit(tx, ws, &actor.audit_name(), action, detail, now).await
}

fn months_text(months: Option<u32>) -> String {
    match months {
        None => "never".into(),
        Some(1) => "1 month".into(),
        Some(m) => format!("{m} months"),
    }
}
