//! Restore use cases: requests (by message or by tag), previews, progress,
//! and the mail outbox the completion mail lands in without SMTP.

use chrono::{DateTime, Utc};

use super::{Actor, Engine};
use crate::error::{Error, Result};
use crate::store::{NewBatch, restores};
use crate::types::{OutboxMail, RestoreBatch, RestoreJob, RestorePreview, RestoreRequest};

/// The most restore batches the history shows.
pub const HISTORY: i64 = 50;

impl Engine {
    /// Queues a restore and answers with the batch as it stands. The
    /// completion mail goes to the actor (a signed-in person) or to the
    /// address the request names.
    pub async fn request_restore(
        &self,
        actor: &Actor,
        request: &RestoreRequest,
        now: DateTime<Utc>,
    ) -> Result<RestoreBatch> {
        let ws = actor.workspace();
        let (ids, selection) = self.restore_worker().resolve(ws, request).await?;
        let email = actor
            .email()
            .map(str::to_string)
            .or_else(|| request.notify.clone());
        if let Some(email) = &email
            && !email.contains('@')
        {
            return Err(Error::invalid("notify must be an email address"));
        }
        let new = NewBatch {
            requested_by: actor.audit_name(),
            requester_email: email,
            selection,
            message_ids: ids,
            skipped: Vec::new(),
        };
        let mut tx = self.db.write_tx().await?;
        let id = restores::insert_batch(&mut tx, ws, &new, now).await?;
        tx.commit().await?;
        let batch = self.db.restore_batch(ws, id).await?;
        if !batch.jobs.is_empty() {
            self.restores_queued();
        }
        Ok(batch)
    }

    /// What a request would load (messages, rows, bytes, time), without
    /// queuing anything.
    pub async fn preview_restore(
        &self,
        actor: &Actor,
        request: &RestoreRequest,
    ) -> Result<RestorePreview> {
        self.restore_worker()
            .preview(actor.workspace(), request)
            .await
    }

    /// The most recent restore batches, newest first.
    pub async fn list_restores(&self, actor: &Actor) -> Result<Vec<RestoreBatch>> {
        self.db
            .list_restore_batches(actor.workspace(), HISTORY)
            .await
    }

    pub async fn restore(&self, actor: &Actor, id: i64) -> Result<RestoreBatch> {
        self.db.restore_batch(actor.workspace(), id).await
    }

    /// The latest restore job of a message (the banner's progress bar).
    pub async fn latest_restore_job(
        &self,
        actor: &Actor,
        message_id: i64,
    ) -> Result<Option<RestoreJob>> {
        self.db
            .latest_restore_job(actor.workspace(), message_id)
            .await
    }

    /// Mail written to the outbox (no SMTP configured), newest first.
    pub fn list_outbox(&self) -> Result<Vec<OutboxMail>> {
        let Some(dir) = self.outbox() else {
            return Ok(Vec::new());
        };
        let entries = crate::mail::list_outbox(dir).map_err(|e| {
            tracing::error!(error = %e, "cannot list the outbox");
            Error::Unavailable("the outbox cannot be read".into())
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
    pub fn read_outbox(&self, file: &str) -> Result<String> {
        let dir = self
            .outbox()
            .ok_or_else(|| Error::not_found("outbox (mail goes to SMTP)"))?;
        crate::mail::read_outbox(dir, file).map_err(|_| Error::not_found("mail"))
    }
}
