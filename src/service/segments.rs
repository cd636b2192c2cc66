//! Segment evaluation: validate filters against the workspace and
//! evaluate exactly, keeping the promise "never silently wrong": an
//! evaluation that needed expired data says so. The use cases that change
//! segments and audiences (and restore what an active message's audience
//! needs) are the engine's (`engine::segments`).

use chrono::{DateTime, Utc};

use crate::domain::{Audience, FilterError, FilterPlace, MessageName, Rule};
use crate::error::{Error, Result};
use crate::service::bitmaps::{self, SegmentIndex};
use crate::store::{Db, StoredSegment, Workspace};
use crate::types::{Evaluation, ExpiredInput, SegmentView, UserPage};

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

/// The exact count, and which expired messages it could not see: from
/// the bitmaps, or from SQL while they are not built yet.
pub async fn evaluate(
    db: &Db,
    index: &SegmentIndex,
    ws: &Workspace,
    audiences: &[&Audience],
    now: DateTime<Utc>,
) -> Result<Evaluation> {
    let count = match index.matching(db, ws, audiences, now).await? {
        Some(users) => users.len() as i64,
        None => db.count_audience(ws, audiences, now).await?,
    };
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

/// A page of matching users in profile order, after the cursor `after`.
pub async fn users(
    db: &Db,
    index: &SegmentIndex,
    ws: &Workspace,
    audiences: &[&Audience],
    now: DateTime<Utc>,
    after: i64,
    limit: i64,
) -> Result<UserPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let rows: Vec<(i64, String)> = match index.matching(db, ws, audiences, now).await? {
        Some(users) => {
            db.external_ids(&bitmaps::page(&users, after, limit))
                .await?
        }
        None => db
            .audience_users(ws, audiences, now, after, limit)
            .await?
            .into_iter()
            .map(|u| (u.profile_id, u.external_id))
            .collect(),
    };
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.0))
        .flatten();
    Ok(UserPage {
        users: rows.into_iter().map(|r| r.1).collect(),
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
