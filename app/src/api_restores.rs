//! Server functions for restores and the mail outbox: thin calls into the
//! engine, each checking who is asking first.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use recall::types::{OutboxMail, RestoreBatch, RestoreJob, RestorePreview, RestoreRequest};

/// What a restore of `request` would load (messages, rows, bytes, time).
#[server(input = Json, endpoint = "preview_restore")]
pub async fn preview_restore(request: RestoreRequest) -> Result<RestorePreview, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let session = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let ws = session.workspace;
    recall::service::restore::Restorer::new(ctx.db.clone(), ctx.archive.clone())
        .preview(&ws, &request)
        .await
        .map_err(to_server_error)
}

/// Queues a restore (messages or a tag); the signed-in user gets the
/// completion email.
#[server(input = Json, endpoint = "request_restore")]
pub async fn request_restore(request: RestoreRequest) -> Result<RestoreBatch, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let session = require(recall::types::Role::Editor)?;
    let ctx = context()?;
    let ws = session.workspace;
    let requester = recall::service::restore::Requester {
        actor: format!("user:{}", session.email),
        email: Some(session.email.clone()),
    };
    let request = RestoreRequest {
        notify: None,
        ..request
    };
    let batch = recall::service::restore::Restorer::new(ctx.db.clone(), ctx.archive.clone())
        .request(&ws, &request, &requester, ctx.clock.now())
        .await
        .map_err(to_server_error)?;
    ctx.restore_wakeup.notify_one();
    Ok(batch)
}

/// The 50 most recent restore batches, newest first.
#[server(input = Json, endpoint = "list_restores")]
pub async fn list_restores() -> Result<Vec<RestoreBatch>, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let session = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let ws = session.workspace;
    ctx.db
        .list_restore_batches(&ws, 50)
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_restore")]
pub async fn get_restore(id: i64) -> Result<RestoreBatch, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let session = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let ws = session.workspace;
    ctx.db.restore_batch(&ws, id).await.map_err(to_server_error)
}

/// The latest restore job of a message (the banner's progress bar).
#[server(input = Json, endpoint = "message_restore_job")]
pub async fn message_restore_job(message_id: i64) -> Result<Option<RestoreJob>, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    let session = require(recall::types::Role::Viewer)?;
    let ctx = context()?;
    let ws = session.workspace;
    ctx.db
        .latest_restore_job(&ws, message_id)
        .await
        .map_err(to_server_error)
}

/// Mail written to the outbox (no SMTP configured), newest first. Admins
/// only: mail can name users and messages of the whole workspace.
#[server(input = Json, endpoint = "list_outbox")]
pub async fn list_outbox() -> Result<Vec<OutboxMail>, ServerFnError> {
    use crate::server::{context, require};
    require(recall::types::Role::Admin)?;
    let ctx = context()?;
    let Some(dir) = ctx.outbox.clone() else {
        return Ok(Vec::new());
    };
    let entries = recall::mail::list_outbox(&dir).map_err(|e| {
        tracing::error!(error = %e, "cannot list the outbox");
        ServerFnError::new("the outbox cannot be read")
    })?;
    Ok(entries
        .into_iter()
        .map(|e| OutboxMail {
            file: e.file,
            to: e.to,
            subject: e.subject,
            date: e.date,
            bytes: e.bytes,
        })
        .collect())
}

/// One outbox mail as raw text; only names the listing returned.
#[server(input = Json, endpoint = "read_outbox_mail")]
pub async fn read_outbox_mail(file: String) -> Result<String, ServerFnError> {
    use crate::server::{context, require, to_server_error};
    require(recall::types::Role::Admin)?;
    let ctx = context()?;
    let dir = ctx
        .outbox
        .clone()
        .ok_or_else(|| to_server_error(recall::Error::not_found("outbox (mail goes to SMTP)")))?;
    recall::mail::read_outbox(&dir, &file)
        .map_err(|_| to_server_error(recall::Error::not_found("mail")))
}
