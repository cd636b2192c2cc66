//! Restore use cases: requests (by message or by tag), previews, progress,
//! and the mail outbox the completion mail lands in without SMTP.

use chrono::{DateTime, Utc};

use super::{Actor, Engine};
use crate::domain::{RestoreStep, TagName, plan_restore};
use crate::error::{Error, Result};
use crate::store::{NewBatch, Workspace, restores};
use crate::types::{
    OutboxMail, RestoreBatch, RestoreJob, RestorePreview, RestoreRequest, RestoreSkip,
};

/// The most restore batches the history shows.
pub const HISTORY: i64 = 50;

/// The most messages one request may name.
pub const MAX_MESSAGES: usize = 10_000;

/// Rows per second a restore is estimated at for the preview; measured by
/// `make bench` on the reference machine, rounded down.
pub const ESTIMATED_ROWS_PER_SECOND: i64 = 250_000;

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
        let (ids, selection) = self.resolve(ws, request).await?;
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
        let ws = actor.workspace();
        let (ids, _) = self.resolve(ws, request).await?;
        let mut preview = RestorePreview::default();
        for id in ids {
            let location = match self.db.message_location(ws, id).await {
                Err(Error::NotFound(_)) => None,
                Err(e) => return Err(e),
                Ok(location) => Some(location),
            };
            // Joining a running job or queuing one, the rows get loaded.
            match plan_restore(location, None) {
                RestoreStep::Skip(reason) => preview.skipped.push(RestoreSkip {
                    message_id: id,
                    reason: reason.text().into(),
                }),
                RestoreStep::Join(_) | RestoreStep::Queue => {
                    let segments = self.db.segments(id).await?;
                    preview.messages += 1;
                    preview.rows += segments.iter().map(|s| s.rows).sum::<i64>();
                    preview.bytes += segments.iter().map(|s| s.bytes).sum::<i64>();
                }
            }
        }
        preview.estimated_seconds =
            (preview.rows / ESTIMATED_ROWS_PER_SECOND + preview.messages / 4).max(1);
        Ok(preview)
    }

    /// The messages a request names (by id, or every message with a tag)
    /// and how the restore history words the selection.
    async fn resolve(
        &self,
        ws: &Workspace,
        request: &RestoreRequest,
    ) -> Result<(Vec<i64>, String)> {
        match (&request.tag, request.message_ids.is_empty()) {
            (Some(_), false) => Err(Error::invalid("give message_ids or tag, not both")),
            (None, true) => Err(Error::invalid("give message_ids or tag")),
            (Some(tag), true) => {
                let tag = TagName::parse(tag)?;
                let ids = self.db.messages_with_tag(ws, tag.as_str()).await?;
                Ok((ids, format!("tag {}", tag.as_str())))
            }
            (None, false) => {
                if request.message_ids.len() > MAX_MESSAGES {
                    return Err(Error::invalid("at most 10,000 messages per request"));
                }
                let mut ids = request.message_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                let selection = restores::selection_of(&ids);
                Ok((ids, selection))
            }
        }
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
