//! The engine's moving parts built once from the global flags, so `serve`
//! and the one-shot commands run the same code on the same storage.

use std::sync::Arc;
use std::time::Duration;

use recall::archive::Archive;
use recall::mail::Mailer;
use recall::service::expiry::Expiry;
use recall::service::leader::{DEFAULT_LEASE, Leader, process_holder};
use recall::service::patience::Patience;
use recall::service::restore::Restorer;
use recall::store::Db;

use crate::cli::GlobalArgs;
use crate::commands::open_db;

#[derive(Clone, Debug)]
pub struct Engine {
    pub db: Db,
    pub archive: Archive,
    pub mailer: Arc<Mailer>,
    pub public_url: String,
    pub restore_lease: chrono::Duration,
    /// How long a dead leader (scheduler, mail) blocks the other processes.
    pub leader_lease: std::time::Duration,
    /// This process's name in leases.
    pub holder: String,
    /// How long expiry passes wait out another process's write lock.
    pub patience: Patience,
}

impl Engine {
    /// `default_url`: where the dashboard is when `RECALL_PUBLIC_URL` is
    /// not set (serve knows its address; commands assume the default).
    pub async fn open(global: &GlobalArgs, default_url: &str) -> Result<Self, recall::Error> {
        let db = open_db(global).await?;
        let archive = Archive::open(global.archive_url.as_deref(), &global.data_dir)?;
        let mailer = Mailer::new(
            global.smtp_url.as_deref(),
            &global.mail_from,
            global.data_dir.join("outbox"),
        )
        .map_err(|e| recall::Error::invalid(e.to_string()))?;
        let public_url = global
            .public_url
            .clone()
            .unwrap_or_else(|| default_url.to_string());
        Ok(Self {
            db,
            archive,
            mailer: Arc::new(mailer),
            public_url,
            restore_lease: chrono::Duration::seconds(global.restore_lease as i64),
            leader_lease: DEFAULT_LEASE,
            holder: process_holder(),
            patience: Patience::new(Duration::from_secs(global.busy_wait)),
        })
    }

    pub fn restorer(&self) -> Restorer {
        Restorer::new(self.db.clone(), self.archive.clone())
            .with_public_url(self.public_url.clone())
            .with_lease(self.restore_lease)
    }

    /// The lease that decides which process does `work` (one at a time).
    pub fn leader(&self, work: &'static str) -> Leader {
        Leader::new(
            self.db.clone(),
            work,
            self.holder.clone(),
            self.leader_lease,
        )
    }

    pub fn expiry(&self, actor: &str) -> Expiry {
        Expiry::new(self.db.clone(), self.archive.clone())
            .with_public_url(self.public_url.clone())
            .acting_as(actor)
            .with_patience(self.patience.clone())
    }
}
