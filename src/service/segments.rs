//! Segments and audiences: validate filters against the workspace, evaluate
//! exactly, and keep the promise "never silently wrong" — an evaluation that
//! needed expired data says so, and using expired data for an active
//! message's retargeting brings it back.

use chrono::{DateTime, Utc};

use super::restore::{Requester, Restorer};
use crate::archive::Archive;
use crate::domain::{Audience, FilterError, FilterPlace, MessageName, Rule};
use crate::error::{Error, Result};
use crate::store::{Db, StoredAudience, StoredSegment, Workspace};
use crate::types::{
    AudienceInput, AudienceView, Evaluation, ExpiredInput, MessageStatus, RestoreRequest,
    SegmentInput, SegmentView, UserPage,
};

/// Most users one page of a user list holds.
pub const MAX_PAGE: i64 = 10_000;

/// Parses a filter and checks everything it names exists in `ws`: a typo
/// in a message id, step, variant or tag is a 422, not an empty audience.
pub async fn validate(db: &Db, ws: &Workspace, value: &serde_json::Value) -> Result<Audience> {
    let audience = Audience::parse(value)?;
    for (g, group) in audience.all.iter().enumerate() {
        for (i, filter) in group.iter().enumerate() {
            let refused = |reason: String| {
                Error::from(FilterError::new(
                    FilterPlace::Filter {
                        group: g,
                        filter: i,
                    },
                    reason,
                ))
            };
            if let Some(id) = filter.rule.message_id() {
                let (variants, steps) = db
                    .message_keys(ws, id)
                    .await?
                    .ok_or_else(|| refused(format!("message {id} not found")))?;
                if let Some(step) = filter
                    .rule
                    .step()
                    .filter(|s| !steps.iter().any(|k| k.as_str() == *s))
                {
                    return Err(refused(format!("message {id} has no step {step:?}")));
                }
                if let Rule::ReceivedVariant { variant, .. } = &filter.rule
                    && !variants.contains(variant)
                {
                    return Err(refused(format!("message {id} has no variant {variant:?}")));
                }
            }
            if let Some(tag) = filter.rule.tag()
                && db.messages_with_tag(ws, tag).await?.is_empty()
                && !db.tag_exists(ws, tag).await?
            {
                return Err(refused(format!("tag {tag:?} not found")));
            }
        }
    }
    Ok(audience)
}

/// The exact count, and which expired messages it could not see.
pub async fn evaluate(
    db: &Db,
    ws: &Workspace,
    audiences: &[&Audience],
    now: DateTime<Utc>,
) -> Result<Evaluation> {
    let count = db.count_audience(ws, audiences, now).await?;
    let expired: Vec<ExpiredInput> = db
        .expired_inputs(ws, audiences)
        .await?
        .into_iter()
        .map(|(id, name)| ExpiredInput { id, name })
        .collect();
    Ok(Evaluation {
        count,
        incomplete: !expired.is_empty(),
        expired_messages: expired,
    })
}

pub async fn users(
    db: &Db,
    ws: &Workspace,
    audiences: &[&Audience],
    now: DateTime<Utc>,
    after: i64,
    limit: i64,
) -> Result<UserPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let rows = db.audience_users(ws, audiences, now, after, limit).await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.profile_id))
        .flatten();
    Ok(UserPage {
        users: rows.into_iter().map(|r| r.external_id).collect(),
        next_cursor,
    })
}

pub fn view(segment: StoredSegment) -> SegmentView {
    SegmentView {
        id: segment.id,
        name: segment.name,
        filter: segment.filter.to_json(),
        created_at: segment.created_at,
        updated_at: segment.updated_at,
        used_by: segment.used_by,
    }
}

pub fn segment_name(raw: &str) -> Result<String> {
    // Same rules as message names: trimmed, 1-200 characters, printable.
    Ok(MessageName::parse(raw)
        .map_err(|_| Error::invalid("segment name must be 1 to 200 printable characters"))?
        .as_str()
        .to_string())
}

/// Segment and audience writes, which may queue restores.
#[derive(Clone, Debug)]
pub struct Audiences {
    db: Db,
    restorer: Restorer,
}

impl Audiences {
    pub fn new(db: Db, archive: Archive) -> Self {
        let restorer = Restorer::new(db.clone(), archive);
        Self { db, restorer }
    }

    pub async fn create_segment(
        &self,
        ws: &Workspace,
        input: &SegmentInput,
        now: DateTime<Utc>,
    ) -> Result<SegmentView> {
        let name = segment_name(&input.name)?;
        let filter = validate(&self.db, ws, &input.filter).await?;
        let id = self.db.create_segment(ws, &name, &filter, now).await?;
        Ok(view(self.db.segment(ws, id).await?))
    }

    /// Replaces a segment; when an active message uses it, expired data
    /// its specific filters name is restored.
    pub async fn update_segment(
        &self,
        ws: &Workspace,
        id: i64,
        input: &SegmentInput,
        requester: &Requester,
        now: DateTime<Utc>,
    ) -> Result<(SegmentView, Option<i64>)> {
        let name = segment_name(&input.name)?;
        let filter = validate(&self.db, ws, &input.filter).await?;
        self.db.update_segment(ws, id, &name, &filter, now).await?;
        let segment = self.db.segment(ws, id).await?;
        let mut used_by_active = false;
        for message in &segment.used_by {
            let detail = self.db.message_detail(ws, *message, now).await?;
            used_by_active |= detail.summary.status == MessageStatus::Active;
        }
        let restore = if used_by_active {
            self.restore_named(ws, &[&filter], requester, now).await?
        } else {
            None
        };
        Ok((view(segment), restore))
    }

    /// Replaces a message's audience; for an active message, expired data
    /// named by its specific filters (or its segments') is restored.
    pub async fn set_audience(
        &self,
        ws: &Workspace,
        message_id: i64,
        input: &AudienceInput,
        requester: &Requester,
        now: DateTime<Utc>,
    ) -> Result<AudienceView> {
        let filter = validate(&self.db, ws, &input.filter).await?;
        let mut segment_ids = input.segment_ids.clone();
        segment_ids.sort_unstable();
        segment_ids.dedup();
        let stored = StoredAudience {
            filter,
            segment_ids,
        };
        self.db
            .set_message_audience(ws, message_id, &stored, now)
            .await?;
        let status = self
            .db
            .message_detail(ws, message_id, now)
            .await?
            .summary
            .status;
        let restore = if status == MessageStatus::Active {
            self.restore_for_message(ws, message_id, requester, now)
                .await?
        } else {
            None
        };
        let mut view = self.audience(ws, message_id, now).await?;
        view.restore_id = restore;
        Ok(view)
    }

    pub async fn audience(
        &self,
        ws: &Workspace,
        message_id: i64,
        now: DateTime<Utc>,
    ) -> Result<AudienceView> {
        let stored = self.db.message_audience(ws, message_id).await?;
        let segments = self.segments_of(ws, &stored).await?;
        let mut all: Vec<&Audience> = vec![&stored.filter];
        all.extend(segments.iter().map(|s| &s.filter));
        Ok(AudienceView {
            message_id,
            filter: stored.filter.to_json(),
            segment_ids: stored.segment_ids.clone(),
            evaluation: evaluate(&self.db, ws, &all, now).await?,
            restore_id: None,
        })
    }

    /// Starting a message whose audience needs expired data restores it.
    pub async fn restore_for_message(
        &self,
        ws: &Workspace,
        message_id: i64,
        requester: &Requester,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let stored = self.db.message_audience(ws, message_id).await?;
        let segments = self.segments_of(ws, &stored).await?;
        let mut all: Vec<&Audience> = vec![&stored.filter];
        all.extend(segments.iter().map(|s| &s.filter));
        self.restore_named(ws, &all, requester, now).await
    }

    async fn segments_of(
        &self,
        ws: &Workspace,
        stored: &StoredAudience,
    ) -> Result<Vec<StoredSegment>> {
        let mut out = Vec::new();
        for id in &stored.segment_ids {
            out.push(self.db.segment(ws, *id).await?);
        }
        Ok(out)
    }

    /// Queues a restore of the expired messages named by specific filters
    /// (tag filters only mark results incomplete).
    async fn restore_named(
        &self,
        ws: &Workspace,
        audiences: &[&Audience],
        requester: &Requester,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let mut named: Vec<i64> = audiences.iter().flat_map(|a| a.named_messages()).collect();
        named.sort_unstable();
        named.dedup();
        let mut expired = Vec::new();
        for id in named {
            if self.db.message_location(ws, id).await? == crate::domain::DataLocation::Archived {
                expired.push(id);
            }
        }
        if expired.is_empty() {
            return Ok(None);
        }
        let request = RestoreRequest {
            message_ids: expired,
            ..Default::default()
        };
        let batch = self.restorer.request(ws, &request, requester, now).await?;
        Ok(Some(batch.id))
    }
}
