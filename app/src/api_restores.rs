//! Server functions for restores and the mail outbox: thin calls into the
//! engine, each checking who is asking first.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use recall::types::{OutboxMail, RestoreBatch, RestoreJob, RestorePreview, RestoreRequest};

/// What a restore of `request` would load (messages, rows, bytes, time).
#[server(input = Json, endpoint = "preview_restore")]
pub async fn preview_restore(request: RestoreRequest) -> Result<RestorePreview, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine
        .preview_restore(&actor, &request)
        .await
        .map_err(to_server_error)
}

/// Queues a restore (messages or a tag); the signed-in user gets the
/// completion email.
#[server(input = Json, endpoint = "request_restore")]
pub async fn request_restore(request: RestoreRequest) -> Result<RestoreBatch, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Editor)?;
    // The mail goes to the person asking, never to an address they type.
    let request = RestoreRequest {
        notify: None,
        ..request
    };
    engine
        .request_restore(&actor, &request, engine.now())
        .await
        .map_err(to_server_error)
}

/// The 50 most recent restore batches, newest first.
#[server(input = Json, endpoint = "list_restores")]
pub async fn list_restores() -> Result<Vec<RestoreBatch>, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine.list_restores(&actor).await.map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_restore")]
pub async fn get_restore(id: i64) -> Result<RestoreBatch, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine.restore(&actor, id).await.map_err(to_server_error)
}

/// The latest restore job of a message (the banner's progress bar).
#[server(input = Json, endpoint = "message_restore_job")]
pub async fn message_restore_job(message_id: i64) -> Result<Option<RestoreJob>, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine
        .latest_restore_job(&actor, message_id)
        .await
        .map_err(to_server_error)
}

/// Mail written to the outbox (no SMTP configured), newest first. Admins
/// only: mail can name users and messages of the whole workspace.
#[server(input = Json, endpoint = "list_outbox")]
pub async fn list_outbox() -> Result<Vec<OutboxMail>, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, _) = acting(recall::types::Role::Admin)?;
    engine.list_outbox().map_err(to_server_error)
}

/// One outbox mail as raw text; only names the listing returned.
#[server(input = Json, endpoint = "read_outbox_mail")]
pub async fn read_outbox_mail(file: String) -> Result<String, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, _) = acting(recall::types::Role::Admin)?;
    engine.read_outbox(&file).map_err(to_server_error)
}
