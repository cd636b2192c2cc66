//! Segment and audience use cases: saved segments, what a message
//! retargets, exact evaluation, and the restores that using expired data
//! for an active message queues (in the same transaction as the change).

use chrono::{DateTime, Utc};

use super::messages::audit;
use super::{Actor, Engine};
use crate::domain::Audience;
use crate::error::Result;
use crate::service::segments::{self, segment_name};
use crate::store::{
    StoredAudience, Workspace, audiences, message_writes, restores, retention,
    segments as stored_segments,
};
use crate::types::{
    AudienceInput, AudienceView, Evaluation, MessageDetail, MessageStatus, NamedRef, SegmentInput,
    SegmentSummary, SegmentView, UserPage,
};

impl Engine {
    /// Checks a filter against the workspace: a typo in a message id,
    /// step, variant or tag is a 422, not an empty audience.
    pub async fn validate_filter(
        &self,
        actor: &Actor,
        filter: &serde_json::Value,
    ) -> Result<Audience> {
        segments::validate(&self.db, actor.workspace(), filter).await
    }

    /// The exact count of a filter AND the saved segments named, and which
    /// expired messages it could not see.
    pub async fn evaluate(
        &self,
        actor: &Actor,
        filter: &serde_json::Value,
        segment_ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Evaluation> {
        let ws = actor.workspace();
        let audience = segments::validate(&self.db, ws, filter).await?;
        let saved = self.db.segments_by_id(ws, segment_ids).await?;
        let mut all = vec![&audience];
        all.extend(saved.iter().map(|s| &s.filter));
        segments::evaluate(&self.db, &self.segment_index, ws, &all, now).await
    }

    pub async fn evaluate_segment(
        &self,
        actor: &Actor,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Evaluation> {
        let ws = actor.workspace();
        let segment = self.db.segment(ws, id).await?;
        segments::evaluate(&self.db, &self.segment_index, ws, &[&segment.filter], now).await
    }

    /// Every saved segment with its count and the messages that use it.
    pub async fn list_segments(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<SegmentSummary>> {
        let ws = actor.workspace();
        let stored = self.db.list_segments(ws).await?;
        let mut users: Vec<i64> = stored.iter().flat_map(|s| s.used_by.clone()).collect();
        users.sort_unstable();
        users.dedup();
        let names = self.message_refs(ws, &users).await?;
        let lists: Vec<Vec<&Audience>> = stored.iter().map(|s| vec![&s.filter]).collect();
        let evaluations =
            segments::evaluate_each(&self.db, &self.segment_index, ws, &lists, now).await?;
        let mut out = Vec::with_capacity(stored.len());
        for (segment, evaluation) in stored.into_iter().zip(evaluations) {
            // One segment that cannot be counted must not hide the others.
            let evaluation = evaluation
                .inspect_err(|err| tracing::warn!(segment = segment.id, %err, "segment count"))
                .ok();
            let used_by = pick(&names, &segment.used_by);
            out.push(SegmentSummary {
                segment: segments::view(segment),
                evaluation,
                used_by,
            });
        }
        Ok(out)
    }

    pub async fn segment(&self, actor: &Actor, id: i64) -> Result<SegmentView> {
        Ok(segments::view(
            self.db.segment(actor.workspace(), id).await?,
        ))
    }

    /// Names of messages of the actor's workspace, in one read; ids that
    /// are not there are left out.
    pub async fn message_names(&self, actor: &Actor, ids: &[i64]) -> Result<Vec<NamedRef>> {
        self.message_refs(actor.workspace(), ids).await
    }

    /// `(id, name)` of saved segments, in id order; 404 for a missing one.
    pub async fn segment_names(&self, actor: &Actor, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        let found = self.db.segments_by_id(actor.workspace(), ids).await?;
        Ok(found.into_iter().map(|s| (s.id, s.name)).collect())
    }

    /// Full details of these messages (the builder's pickers).
    pub async fn messages(
        &self,
        actor: &Actor,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Vec<MessageDetail>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.db.message_detail(actor.workspace(), *id, now).await?);
        }
        Ok(out)
    }

    pub async fn create_segment(
        &self,
        actor: &Actor,
        input: &SegmentInput,
        now: DateTime<Utc>,
    ) -> Result<SegmentView> {
        let ws = actor.workspace();
        let name = segment_name(&input.name)?;
        let filter = segments::validate(&self.db, ws, &input.filter).await?;
        let mut tx = self.db.write_tx().await?;
        let id = stored_segments::insert_segment(&mut tx, ws, &name, &filter, now).await?;
        audit(
            &mut tx,
            actor,
            "segment.save",
            &format!("segment {id} {name:?} created"),
            now,
        )
        .await?;
        tx.commit().await?;
        self.segment(actor, id).await
    }

    /// Replaces a segment. When an active message uses it, the expired
    /// data its filters name is restored: the restore is queued in the
    /// same transaction (its batch id is returned).
    pub async fn update_segment(
        &self,
        actor: &Actor,
        id: i64,
        input: &SegmentInput,
        now: DateTime<Utc>,
    ) -> Result<(SegmentView, Option<i64>)> {
        let ws = actor.workspace();
        let name = segment_name(&input.name)?;
        let filter = segments::validate(&self.db, ws, &input.filter).await?;
        let mut tx = self.db.write_tx().await?;
        stored_segments::replace_segment(&mut tx, ws, id, &name, &filter, now).await?;
        audit(
            &mut tx,
            actor,
            "segment.save",
            &format!("segment {id} {name:?} updated"),
            now,
        )
        .await?;
        let restore = if stored_segments::used_by_active(&mut tx, id).await? {
            queue_restore(&mut tx, actor, &filter.named_messages(), now).await?
        } else {
            None
        };
        tx.commit().await?;
        if restore.is_some() {
            self.restores_queued();
        }
        Ok((self.segment(actor, id).await?, restore))
    }

    /// Deletes a segment; 409 while a message's audience includes it.
    pub async fn delete_segment(&self, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<()> {
        let ws = actor.workspace();
        let segment = self.db.segment(ws, id).await?;
        let mut tx = self.db.write_tx().await?;
        stored_segments::remove_segment(&mut tx, ws, id, now).await?;
        let detail = format!("segment {id} {:?} deleted", segment.name);
        audit(&mut tx, actor, "segment.delete", &detail, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of a saved segment's users (external ids), keyset-paged.
    pub async fn segment_users(
        &self,
        actor: &Actor,
        id: i64,
        after: i64,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<UserPage> {
        let ws = actor.workspace();
        let segment = self.db.segment(ws, id).await?;
        segments::users(
            &self.db,
            &self.segment_index,
            ws,
            &[&segment.filter],
            now,
            after.max(0),
            limit,
        )
        .await
    }

    /// A message's audience with its exact evaluation.
    pub async fn audience(
        &self,
        actor: &Actor,
        message_id: i64,
        now: DateTime<Utc>,
    ) -> Result<AudienceView> {
        let ws = actor.workspace();
        let stored = self.db.message_audience(ws, message_id).await?;
        let saved = self.db.segments_by_id(ws, &stored.segment_ids).await?;
        let mut all: Vec<&Audience> = vec![&stored.filter];
        all.extend(saved.iter().map(|s| &s.filter));
        Ok(AudienceView {
            message_id,
            filter: stored.filter.to_json(),
            segment_ids: stored.segment_ids.clone(),
            evaluation: segments::evaluate(&self.db, &self.segment_index, ws, &all, now).await?,
            restore_id: None,
        })
    }

    /// Replaces a message's audience. For an active message, the expired
    /// data it names (directly or through its segments) is restored, queued
    /// in the same transaction.
    pub async fn set_audience(
        &self,
        actor: &Actor,
        message_id: i64,
        input: &AudienceInput,
        now: DateTime<Utc>,
    ) -> Result<AudienceView> {
        let ws = actor.workspace();
        let filter = segments::validate(&self.db, ws, &input.filter).await?;
        let mut segment_ids = input.segment_ids.clone();
        segment_ids.sort_unstable();
        segment_ids.dedup();
        let saved = self
            .db
            .segments_by_id(ws, &segment_ids)
            .await
            .map_err(|e| match e {
                crate::Error::NotFound(what) => crate::Error::invalid(format!("{what} not found")),
                other => other,
            })?;
        let mut named = filter.named_messages();
        named.extend(saved.iter().flat_map(|s| s.filter.named_messages()));
        let stored = StoredAudience {
            filter,
            segment_ids,
        };
        let mut tx = self.db.write_tx().await?;
        audiences::replace_audience(&mut tx, ws, message_id, &stored, now).await?;
        let detail = format!("audience of message {message_id} changed");
        audit(&mut tx, actor, "message.audience", &detail, now).await?;
        let restore =
            if message_writes::status(&mut tx, ws, message_id).await? == MessageStatus::Active {
                queue_restore(&mut tx, actor, &named, now).await?
            } else {
                None
            };
        tx.commit().await?;
        if restore.is_some() {
            self.restores_queued();
        }
        let mut view = self.audience(actor, message_id, now).await?;
        view.restore_id = restore;
        Ok(view)
    }

    async fn message_refs(&self, ws: &Workspace, ids: &[i64]) -> Result<Vec<NamedRef>> {
        Ok(self
            .db
            .message_names(ws, ids)
            .await?
            .into_iter()
            .map(|(id, name)| NamedRef { id, name })
            .collect())
    }
}

/// Queues a restore of the expired messages among `named`, inside the
/// caller's transaction; `None` when none is expired.
async fn queue_restore(
    tx: &mut crate::store::Tx,
    actor: &Actor,
    named: &[i64],
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let mut named = named.to_vec();
    named.sort_unstable();
    named.dedup();
    let expired = retention::expired_among(tx, actor.workspace(), &named).await?;
    if expired.is_empty() {
        return Ok(None);
    }
    let batch = actor.restore_of(expired);
    Ok(Some(
        restores::insert_batch(tx, actor.workspace(), &batch, now).await?,
    ))
}

fn pick(names: &[NamedRef], ids: &[i64]) -> Vec<NamedRef> {
    ids.iter()
        .filter_map(|id| names.iter().find(|n| n.id == *id).cloned())
        .collect()
}
