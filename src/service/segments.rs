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
    // Everything the filters name, in a fixed number of reads.
    let catalog = db
        .filter_catalog(ws, &audience.named_messages(), &audience.tags())
        .await?;
    let has = |list: &[(i64, String, i64)], id: i64, key: &str| {
        list.iter().any(|(m, k, _)| *m == id && k == key)
    };
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
                if !catalog.messages.contains(&id) {
                    return Err(refused(format!("message {id} not found")));
                }
                if let Some(step) = filter.rule.step().filter(|s| !has(&catalog.steps, id, s)) {
                    return Err(refused(format!("message {id} has no step {step:?}")));
                }
                if let Rule::ReceivedVariant { variant, .. } = &filter.rule
                    && !has(&catalog.variants, id, variant)
                {
                    return Err(refused(format!("message {id} has no variant {variant:?}")));
                }
            }
            if let Some(tag) = filter.rule.tag()
                && !catalog.tags.iter().any(|t| t == tag)
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
    let mut each = evaluate_each(db, index, ws, &[audiences.to_vec()], now).await?;
    each.pop().unwrap_or(Err(Error::Internal))
}

/// [`evaluate`] for several lists of audiences (a list page's segments)
/// in a fixed number of reads; one that cannot be counted does not fail
/// the others.
pub async fn evaluate_each(
    db: &Db,
    index: &SegmentIndex,
    ws: &Workspace,
    lists: &[Vec<&Audience>],
    now: DateTime<Utc>,
) -> Result<Vec<Result<Evaluation>>> {
    let every: Vec<&Audience> = lists.iter().flatten().copied().collect();
    let expired = db.expired_inputs(ws, &every).await?;
    let tagged = db.filter_catalog(ws, &[], &tags_of(&every)).await?.tagged;
    let counts = index.matching_each(db, ws, lists, now).await?;
    let mut out = Vec::with_capacity(lists.len());
    for (audiences, count) in lists.iter().zip(counts) {
        let count = match count {
            Ok(Some(users)) => Ok(users.len() as i64),
            Ok(None) => db.count_audience(ws, audiences, now).await,
            Err(error) => Err(error),
        };
        out.push(count.map(|count| {
            // The expired messages this list names or covers by a tag.
            let tags = tags_of(audiences);
            let named: Vec<i64> = audiences.iter().flat_map(|a| a.named_messages()).collect();
            let expired: Vec<ExpiredInput> = expired
                .iter()
                .filter(|(id, _)| {
                    named.contains(id) || tagged.iter().any(|(t, m)| m == id && tags.contains(t))
                })
                .map(|(id, name)| ExpiredInput {
                    id: *id,
                    name: name.clone(),
                })
                .collect();
            Evaluation {
                count,
                incomplete: !expired.is_empty(),
                expired_messages: expired,
            }
        }));
    }
    Ok(out)
}

fn tags_of(audiences: &[&Audience]) -> Vec<String> {
    let mut tags: Vec<String> = audiences.iter().flat_map(|a| a.tags()).collect();
    tags.sort();
    tags.dedup();
    tags
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
