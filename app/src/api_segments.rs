//! Server functions for segments, message audiences and the pickers the
//! builder needs. Like the REST API (`/api/v1/segments`), they check the
//! role, then let the engine validate and decide.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use recall::types::{
    AudienceInput, AudienceView, Evaluation, RestoreBatch, SegmentInput, SegmentView, UserPage,
};
use serde::{Deserialize, Serialize};

pub use crate::filters::MessageChoice;

/// Users per page of a segment's user list in the dashboard.
pub const USERS_PAGE: i64 = 50;

/// A message or segment, named, for links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedRef {
    pub id: i64,
    pub name: String,
}

/// A row of the segment list: the segment, its live count (`None` when it
/// could not be counted) and the messages whose audience uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    pub segment: SegmentView,
    pub evaluation: Option<Evaluation>,
    pub used_by: Vec<NamedRef>,
}

/// One segment with what the builder needs to show it: the messages its
/// filters name, with their steps and variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentDetail {
    pub segment: SegmentView,
    pub messages: Vec<MessageChoice>,
    pub used_by: Vec<NamedRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSegment {
    pub segment: SegmentView,
    /// The restore queued because an active message uses the segment and
    /// it now names expired data.
    pub restore_id: Option<i64>,
}

/// A message's audience, with the names the page shows it by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudienceDetail {
    pub audience: AudienceView,
    pub messages: Vec<MessageChoice>,
    pub segments: Vec<NamedRef>,
}

#[server(input = Json, endpoint = "list_segments")]
pub async fn list_segments() -> Result<Vec<SegmentSummary>, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    use recall::service::segments;
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let now = ctx.clock.now();
    let stored = ctx
        .db
        .list_segments(&s.workspace)
        .await
        .map_err(to_server_error)?;
    let mut out = Vec::with_capacity(stored.len());
    for segment in stored {
        // One segment that cannot be counted must not hide the others.
        let evaluation = segments::evaluate(&ctx.db, &s.workspace, &[&segment.filter], now)
            .await
            .inspect_err(|err| tracing::warn!(segment = segment.id, %err, "segment count"))
            .ok();
        let used_by = ssr::names(&ctx, &s.workspace, &segment.used_by)
            .await
            .map_err(to_server_error)?;
        out.push(SegmentSummary {
            segment: segments::view(segment),
            evaluation,
            used_by,
        });
    }
    Ok(out)
}

#[server(input = Json, endpoint = "get_segment")]
pub async fn get_segment(id: i64) -> Result<SegmentDetail, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let segment = ctx
        .db
        .segment(&s.workspace, id)
        .await
        .map_err(to_server_error)?;
    let messages = ssr::choices(&ctx, &s.workspace, &segment.filter.named_messages())
        .await
        .map_err(to_server_error)?;
    let used_by = ssr::names(&ctx, &s.workspace, &segment.used_by)
        .await
        .map_err(to_server_error)?;
    Ok(SegmentDetail {
        segment: recall::service::segments::view(segment),
        messages,
        used_by,
    })
}

/// The exact count of an unsaved filter, AND-ed with the listed saved
/// segments (a message audience's draft), marked incomplete when it needed
/// expired data. Invalid filters are a 422 naming the place.
#[server(input = Json, endpoint = "evaluate_filter")]
pub async fn evaluate_filter(
    filter: serde_json::Value,
    segment_ids: Vec<i64>,
) -> Result<Evaluation, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    use recall::service::segments;
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let audience = segments::validate(&ctx.db, &s.workspace, &filter)
        .await
        .map_err(to_server_error)?;
    let mut saved = Vec::with_capacity(segment_ids.len());
    for id in segment_ids {
        saved.push(
            ctx.db
                .segment(&s.workspace, id)
                .await
                .map_err(to_server_error)?,
        );
    }
    let mut all = vec![&audience];
    all.extend(saved.iter().map(|seg| &seg.filter));
    segments::evaluate(&ctx.db, &s.workspace, &all, ctx.clock.now())
        .await
        .map_err(to_server_error)
}

/// Creates a segment (`id` = `None`) or replaces one. Replacing a segment
/// an active message uses restores the expired data it now names.
#[server(input = Json, endpoint = "save_segment")]
pub async fn save_segment(
    id: Option<i64>,
    input: SegmentInput,
) -> Result<SavedSegment, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    use recall::service::segments::Audiences;
    let s = require(recall::types::Role::Editor)?;
    let ctx = context()?;
    let now = ctx.clock.now();
    let audiences = Audiences::new(ctx.db.clone(), ctx.archive.clone());
    let (segment, restore_id, verb) = match id {
        None => {
            let view = audiences
                .create_segment(&s.workspace, &input, now)
                .await
                .map_err(to_server_error)?;
            (view, None, "created")
        }
        Some(id) => {
            let (view, restore) = audiences
                .update_segment(&s.workspace, id, &input, &ssr::requester(&s), now)
                .await
                .map_err(to_server_error)?;
            (view, restore, "updated")
        }
    };
    if restore_id.is_some() {
        ctx.restore_wakeup.notify_one();
    }
    let detail = format!("segment {} {:?} {verb}", segment.id, segment.name);
    ssr::audit(&ctx, &s, "segment.save", &detail).await?;
    Ok(SavedSegment {
        segment,
        restore_id,
    })
}

/// Deletes a segment; 409 while a message's audience includes it.
#[server(input = Json, endpoint = "delete_segment")]
pub async fn delete_segment(id: i64) -> Result<(), ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let s = require(recall::types::Role::Editor)?;
    let ctx = context()?;
    let segment = ctx
        .db
        .segment(&s.workspace, id)
        .await
        .map_err(to_server_error)?;
    ctx.db
        .delete_segment(&s.workspace, id, ctx.clock.now())
        .await
        .map_err(to_server_error)?;
    let detail = format!("segment {id} {:?} deleted", segment.name);
    ssr::audit(&ctx, &s, "segment.delete", &detail).await
}

/// A page of a saved segment's users (external ids), `USERS_PAGE` at a
/// time; pass the previous page's `next_cursor` as `after`.
#[server(input = Json, endpoint = "segment_users")]
pub async fn segment_users(id: i64, after: Option<i64>) -> Result<UserPage, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let segment = ctx
        .db
        .segment(&s.workspace, id)
        .await
        .map_err(to_server_error)?;
    recall::service::segments::users(
        &ctx.db,
        &s.workspace,
        &[&segment.filter],
        ctx.clock.now(),
        after.unwrap_or(0).max(0),
        USERS_PAGE,
    )
    .await
    .map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_audience")]
pub async fn get_audience(message_id: i64) -> Result<AudienceDetail, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    use recall::service::segments::Audiences;
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let audience = Audiences::new(ctx.db.clone(), ctx.archive.clone())
        .audience(&s.workspace, message_id, ctx.clock.now())
        .await
        .map_err(to_server_error)?;
    let (draft, _) = crate::filters::AudienceDraft::from_json(&audience.filter);
    let messages = ssr::choices(&ctx, &s.workspace, &draft.message_ids())
        .await
        .map_err(to_server_error)?;
    let mut segments = Vec::with_capacity(audience.segment_ids.len());
    for id in &audience.segment_ids {
        let seg = ctx
            .db
            .segment(&s.workspace, *id)
            .await
            .map_err(to_server_error)?;
        segments.push(NamedRef {
            id: seg.id,
            name: seg.name,
        });
    }
    Ok(AudienceDetail {
        audience,
        messages,
        segments,
    })
}

/// Replaces a message's audience. For an active message, expired data its
/// specific filters (or its segments') name is restored: `restore_id`.
#[server(input = Json, endpoint = "set_audience")]
pub async fn set_audience(
    message_id: i64,
    input: AudienceInput,
) -> Result<AudienceView, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    use recall::service::segments::Audiences;
    let s = require(recall::types::Role::Editor)?;
    let ctx = context()?;
    let view = Audiences::new(ctx.db.clone(), ctx.archive.clone())
        .set_audience(
            &s.workspace,
            message_id,
            &input,
            &ssr::requester(&s),
            ctx.clock.now(),
        )
        .await
        .map_err(to_server_error)?;
    if view.restore_id.is_some() {
        ctx.restore_wakeup.notify_one();
    }
    let detail = format!("audience of message {message_id} changed");
    ssr::audit(&ctx, &s, "message.audience", &detail).await?;
    Ok(view)
}

/// Messages whose name contains `q`, most recently active first, with
/// their steps and variants: what the builder's message picker offers.
#[server(input = Json, endpoint = "message_choices")]
pub async fn message_choices(q: String) -> Result<Vec<MessageChoice>, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    use recall::types::MessageListQuery;
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let query = MessageListQuery {
        q: q.chars().take(200).collect(),
        per_page: 12,
        ..MessageListQuery::default()
    };
    let page = ctx
        .db
        .list_messages(&s.workspace, &query, ctx.clock.now())
        .await
        .map_err(to_server_error)?;
    let ids: Vec<i64> = page.items.iter().map(|m| m.id).collect();
    ssr::choices(&ctx, &s.workspace, &ids)
        .await
        .map_err(to_server_error)
}

/// Queues a restore of exactly these messages (the "Restore these" of an
/// incomplete count). The engine records it in the audit log; messages
/// that are not expired are skipped with a reason.
#[server(input = Json, endpoint = "restore_messages")]
pub async fn restore_messages(ids: Vec<i64>) -> Result<RestoreBatch, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    use recall::service::restore::Restorer;
    use recall::types::RestoreRequest;
    let s = require(recall::types::Role::Editor)?;
    let ctx = context()?;
    let request = RestoreRequest {
        message_ids: ids,
        ..RestoreRequest::default()
    };
    let batch = Restorer::new(ctx.db.clone(), ctx.archive.clone())
        .request(&s.workspace, &request, &ssr::requester(&s), ctx.clock.now())
        .await
        .map_err(to_server_error)?;
    if !batch.jobs.is_empty() {
        ctx.restore_wakeup.notify_one();
    }
    Ok(batch)
}

/// Lookups shared by the functions above; server only.
#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::ServerFnError;
    use recall::service::restore::Requester;
    use recall::store::{Session, Workspace};

    use super::{MessageChoice, NamedRef};
    use crate::server::{ServerContext, to_server_error};

    /// A signed-in person: the restore email goes to them.
    pub fn requester(s: &Session) -> Requester {
        Requester {
            actor: format!("user:{}", s.email),
            email: Some(s.email.clone()),
        }
    }

    pub async fn audit(
        ctx: &ServerContext,
        s: &Session,
        action: &str,
        detail: &str,
    ) -> Result<(), ServerFnError> {
        ctx.db
            .audit(
                Some(s.workspace.id),
                &format!("user:{}", s.email),
                action,
                detail,
                ctx.clock.now(),
            )
            .await
            .map_err(to_server_error)
    }

    pub async fn choices(
        ctx: &ServerContext,
        ws: &Workspace,
        ids: &[i64],
    ) -> recall::Result<Vec<MessageChoice>> {
        let now = ctx.clock.now();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let d = ctx.db.message_detail(ws, *id, now).await?;
            out.push(MessageChoice {
                id: d.summary.id,
                name: d.summary.name,
                kind: d.summary.kind,
                status: d.summary.status,
                data_state: d.summary.data_state,
                variants: d.variants,
                steps: d.steps,
            });
        }
        Ok(out)
    }

    pub async fn names(
        ctx: &ServerContext,
        ws: &Workspace,
        ids: &[i64],
    ) -> recall::Result<Vec<NamedRef>> {
        let now = ctx.clock.now();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let d = ctx.db.message_detail(ws, *id, now).await?;
            out.push(NamedRef {
                id: d.summary.id,
                name: d.summary.name,
            });
        }
        Ok(out)
    }
}
