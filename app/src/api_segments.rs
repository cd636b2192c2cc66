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

pub use recall::types::{NamedRef, SegmentSummary};

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
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    let all = engine
        .list_segments(&actor, engine.now())
        .await
        .map_err(to_server_error)?;
    Ok(all)
}

#[server(input = Json, endpoint = "get_segment")]
pub async fn get_segment(id: i64) -> Result<SegmentDetail, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    let segment = engine.segment(&actor, id).await.map_err(to_server_error)?;
    let (draft, _) = crate::filters::AudienceDraft::from_json(&segment.filter);
    let messages = ssr::choices(&engine, &actor, &draft.message_ids())
        .await
        .map_err(to_server_error)?;
    let used_by = engine
        .message_names(&actor, &segment.used_by)
        .await
        .map_err(to_server_error)?;
    Ok(SegmentDetail {
        segment,
        messages,
        used_by,
    })
}

/// The live count of an unsaved filter AND the saved segments named.
#[server(input = Json, endpoint = "evaluate_filter")]
pub async fn evaluate_filter(
    filter: serde_json::Value,
    segment_ids: Vec<i64>,
) -> Result<Evaluation, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine
        .evaluate(&actor, &filter, &segment_ids, engine.now())
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
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Editor)?;
    let now = engine.now();
    let (segment, restore_id) = match id {
        None => (
            engine
                .create_segment(&actor, &input, now)
                .await
                .map_err(to_server_error)?,
            None,
        ),
        Some(id) => engine
            .update_segment(&actor, id, &input, now)
            .await
            .map_err(to_server_error)?,
    };
    Ok(SavedSegment {
        segment,
        restore_id,
    })
}

/// Deletes a segment; 409 while a message's audience includes it.
#[server(input = Json, endpoint = "delete_segment")]
pub async fn delete_segment(id: i64) -> Result<(), ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Editor)?;
    engine
        .delete_segment(&actor, id, engine.now())
        .await
        .map_err(to_server_error)
}

/// A page of a saved segment's users (external ids), `USERS_PAGE` at a
/// time; pass the previous page's `next_cursor` as `after`.
#[server(input = Json, endpoint = "segment_users")]
pub async fn segment_users(id: i64, after: Option<i64>) -> Result<UserPage, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine
        .segment_users(&actor, id, after.unwrap_or(0), USERS_PAGE, engine.now())
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_audience")]
pub async fn get_audience(message_id: i64) -> Result<AudienceDetail, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    let audience = engine
        .audience(&actor, message_id, engine.now())
        .await
        .map_err(to_server_error)?;
    let (draft, _) = crate::filters::AudienceDraft::from_json(&audience.filter);
    let messages = ssr::choices(&engine, &actor, &draft.message_ids())
        .await
        .map_err(to_server_error)?;
    let segments = engine
        .segment_names(&actor, &audience.segment_ids)
        .await
        .map_err(to_server_error)?;
    Ok(AudienceDetail {
        audience,
        messages,
        segments: segments
            .into_iter()
            .map(|(id, name)| NamedRef { id, name })
            .collect(),
    })
}

/// Replaces a message's audience. For an active message, expired data its
/// specific filters (or its segments') name is restored: `restore_id`.
#[server(input = Json, endpoint = "set_audience")]
pub async fn set_audience(
    message_id: i64,
    input: AudienceInput,
) -> Result<AudienceView, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Editor)?;
    engine
        .set_audience(&actor, message_id, &input, engine.now())
        .await
        .map_err(to_server_error)
}

/// Messages whose name contains `q`, most recently active first, with
/// their steps and variants: what the builder's message picker offers.
#[server(input = Json, endpoint = "message_choices")]
pub async fn message_choices(q: String) -> Result<Vec<MessageChoice>, ServerFnError> {
    use crate::server::{acting, to_server_error};
    use recall::types::MessageListQuery;
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    let query = MessageListQuery {
        q: q.chars().take(200).collect(),
        per_page: 12,
        ..MessageListQuery::default()
    };
    let page = engine
        .list_messages(&actor, &query, engine.now())
        .await
        .map_err(to_server_error)?;
    let ids: Vec<i64> = page.items.iter().map(|m| m.id).collect();
    ssr::choices(&engine, &actor, &ids)
        .await
        .map_err(to_server_error)
}

/// Queues a restore of exactly these messages (the "Restore these" of an
/// incomplete count). The engine records it in the audit log; messages
/// that are not expired are skipped with a reason.
#[server(input = Json, endpoint = "restore_messages")]
pub async fn restore_messages(ids: Vec<i64>) -> Result<RestoreBatch, ServerFnError> {
    use crate::server::{acting, to_server_error};
    use recall::types::RestoreRequest;
    let (engine, actor) = acting(recall::types::Role::Editor)?;
    let request = RestoreRequest {
        message_ids: ids,
        ..RestoreRequest::default()
    };
    engine
        .request_restore(&actor, &request, engine.now())
        .await
        .map_err(to_server_error)
}

/// Mapping shared by the functions above; server only.
#[cfg(feature = "ssr")]
mod ssr {
    use recall::engine::{Actor, Engine};

    use super::MessageChoice;

    pub async fn choices(
        engine: &Engine,
        actor: &Actor,
        ids: &[i64],
    ) -> recall::Result<Vec<MessageChoice>> {
        let details = engine.messages(actor, ids, engine.now()).await?;
        Ok(details
            .into_iter()
            .map(|d| MessageChoice {
                id: d.summary.id,
                name: d.summary.name,
                kind: d.summary.kind,
                status: d.summary.status,
                data_state: d.summary.data_state,
                variants: d.variants,
                steps: d.steps,
            })
            .collect())
    }
}
