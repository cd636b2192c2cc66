//! Server functions: public HTTP endpoints. Each checks who is asking and
//! validates its input, then calls the engine; none holds logic of its own.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
/// Every server function's endpoint under `/api/`. The auth tests call
/// each of them; a unit test in the server checks this list is complete.
pub const SERVER_FUNCTIONS: &[&str] = &[
    "get_viewer",
    "list_messages",
    "list_tags",
    "get_message",
    "get_message_chart",
    "get_audit_log",
];

use recall::types::{
    AuditEntry, DailyPoint, MessageDetail, MessageListQuery, MessageSummary, Page, TagCount, Viewer,
};

#[server(input = Json, endpoint = "get_viewer")]
pub async fn get_viewer() -> Result<Viewer, ServerFnError> {
    use recall::types::Role;
    let s = crate::server::require(Role::Viewer)?;
    Ok(Viewer {
        email: s.email,
        workspace: s.workspace.slug,
        role: s.role,
    })
}

#[server(input = Json, endpoint = "list_messages")]
pub async fn list_messages(query: MessageListQuery) -> Result<Page<MessageSummary>, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    ctx.db
        .list_messages(&s.workspace, &query, ctx.clock.now())
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "list_tags")]
pub async fn list_tags() -> Result<Vec<TagCount>, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let s = require(recall::types::Role::Viewer)?;
    context()?
        .db
        .list_tags(&s.workspace)
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_message")]
pub async fn get_message(id: i64) -> Result<MessageDetail, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    ctx.db
        .message_detail(&s.workspace, id, ctx.clock.now())
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_message_chart")]
pub async fn get_message_chart(id: i64) -> Result<Vec<DailyPoint>, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let s = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    // The message must belong to the caller's workspace before its stats
    // are read (404 otherwise).
    ctx.db
        .message_detail(&s.workspace, id, ctx.clock.now())
        .await
        .map_err(to_server_error)?;
    ctx.db
        .message_daily_stats(id)
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_audit_log")]
pub async fn get_audit_log() -> Result<Vec<AuditEntry>, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let s = require(recall::types::Role::Admin)?;
    context()?
        .db
        .audit_log(&s.workspace, 200)
        .await
        .map_err(to_server_error)
}
