//! The work that runs beside requests: ingest, raw downloads, the restore
//! worker, expiry passes, mail delivery and the leases that decide which
//! process runs the scheduler and the mail sender.

use chrono::{DateTime, Utc};

use super::{Actor, Engine};
use crate::domain::batch::BodyFormat;
use crate::error::Result;
use crate::service::expiry::Expiry;
use crate::service::export::{Export, open_export};
use crate::service::ingest::ingest;
use crate::service::leader::Leader;
use crate::service::mail::{Delivery, deliver_pending};
use crate::service::restore::RestoreWorker;
use crate::types::IngestResult;

impl Engine {
    /// Stores a batch of events; valid ones are kept even when others are
    /// rejected, and are durable before this returns.
    pub async fn ingest(
        &self,
        actor: &Actor,
        body: &[u8],
        format: BodyFormat,
        now: DateTime<Utc>,
    ) -> Result<IngestResult> {
        ingest(
            &self.db,
            &self.archived_ids,
            actor.workspace(),
            body,
            format,
            now,
        )
        .await
    }

    /// A message's raw events wherever they are, hot or in long-term
    /// storage, as NDJSON chunks.
    pub async fn export(&self, actor: &Actor, id: i64) -> Result<Export> {
        open_export(&self.db, &self.storage, actor.workspace(), id).await
    }

    /// The restore worker's side: claims queued jobs and runs them.
    pub fn restore_worker(&self) -> RestoreWorker {
        RestoreWorker::new(self.db.clone(), self.storage.clone())
            .with_public_url(self.settings.public_url.clone())
            .with_lease(self.settings.restore_lease)
    }

    /// Resolves when a use case queued a restore (the worker's wake-up).
    pub async fn restores_requested(&self) {
        self.restore_wakeup.notified().await
    }

    /// Expiry passes acting as `actor` in the audit log.
    pub fn expiry(&self, actor: &str) -> Expiry {
        Expiry::new(self.db.clone(), self.storage.clone())
            .with_public_url(self.settings.public_url.clone())
            .acting_as(actor)
            .with_patience(self.settings.patience.clone())
    }

    /// The lease that decides which process does `work`, one at a time.
    pub fn leader(&self, work: &'static str) -> Leader {
        Leader::new(
            self.db.clone(),
            work,
            self.settings.holder.clone(),
            self.settings.leader_lease,
        )
    }

    /// Which process holds the lease named `work`, if any holds it now.
    pub async fn lease_holder(&self, work: &str, now: DateTime<Utc>) -> Result<Option<String>> {
        self.db.lease_holder(work, now).await
    }

    /// Sends the queued mail (completion and warning mails).
    pub async fn deliver_mail(&self, now: DateTime<Utc>) -> Result<Delivery> {
        deliver_pending(&self.db, &self.mailer, now).await
    }
}
