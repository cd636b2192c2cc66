//! The engine handle: one value that holds everything a use case needs
//! (database, long-term storage, mail, clock, settings and the restore
//! worker's wake-up), built once at start-up and shared by the dashboard's
//! server functions, the REST API and the CLI.
//!
//! Every use case is a method of [`Engine`] that takes the [`Actor`] and
//! `now`: it opens the transaction, asks the domain what to do, writes the
//! audit entry in the same transaction, queues follow-up work (restores,
//! mail) there too, and wakes the restore worker after the commit. The
//! store is a set of building blocks these methods compose; adapters never
//! reach it.
//!
//! - [`actor`]: who is asking (a signed-in person, an API key, the CLI).
//! - [`messages`]: messages, pins, tags and the retention setting.
//! - [`segments`]: saved segments, audiences and their evaluation.
//! - [`restores`]: restore requests, previews and their progress.
//! - [`access`]: sign-in, sessions, users, API keys and workspaces.
//! - [`work`]: the background work (restore worker, expiry, mail, leases).

mod access;
mod actor;
mod messages;
mod restores;
mod segments;
mod work;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::service::archived_ids::ArchivedIds;
use crate::service::bitmaps::SegmentIndex;
use crate::service::leader::{DEFAULT_LEASE, process_holder};
use crate::service::patience::Patience;
use crate::service::restore::LEASE;
use crate::storage::LongTermStorage;
use crate::store::Db;

pub use actor::Actor;
// The types adapters hold: who is signed in, which key is asking, where.
pub use crate::store::{ApiKey, SESSION_LIFETIME, Scope, Session, Workspace};

/// Where the engine's parts live and how they behave; the server fills it
/// from flags and `RECALL_*` variables.
#[derive(Debug, Clone)]
pub struct Config {
    /// `postgres://...` or `sqlite://...`; `None` is `recall.db` in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// `s3://bucket/prefix` or a directory; `None` is `archive/` in `data_dir`.
    pub storage_url: Option<String>,
    /// `None` writes mail to the `.eml` outbox in `data_dir`.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Where the dashboard is, for links in mail.
    pub public_url: String,
    /// How long a restore worker may hold a job without progress.
    pub restore_lease: chrono::Duration,
    /// How long a dead leader (scheduler, mail) blocks the other processes.
    pub leader_lease: Duration,
    /// How long opening the database and expiry passes wait out another
    /// process's write lock.
    pub busy_wait: Duration,
    /// This process's name in leases; `None` is the host and process id.
    pub holder: Option<String>,
}

impl Config {
    /// The defaults for a data directory (tests and tools).
    pub fn in_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            database_url: None,
            data_dir: data_dir.into(),
            storage_url: None,
            smtp_url: None,
            mail_from: "Recall <recall@localhost>".into(),
            public_url: "http://127.0.0.1:3000".into(),
            restore_lease: LEASE,
            leader_lease: DEFAULT_LEASE,
            busy_wait: Duration::from_secs(300),
            holder: None,
        }
    }
}

/// Settings that do not change while the process runs.
#[derive(Debug)]
struct Settings {
    public_url: String,
    restore_lease: chrono::Duration,
    leader_lease: Duration,
    /// This process's name in leases.
    holder: String,
    /// How long expiry passes wait out another process's write lock.
    patience: Patience,
}

/// The engine; cheap to clone (every part is shared).
#[derive(Clone, Debug)]
pub struct Engine {
    /// The only way to the data. Use cases open their transactions here.
    db: Db,
    /// Long-term storage: expiry writes segments, restores read them.
    storage: LongTermStorage,
    /// SMTP or the outbox; only the mail lease holder sends.
    mailer: Arc<Mailer>,
    /// The one source of "now" for requests and background work.
    clock: Clock,
    settings: Arc<Settings>,
    /// Wakes the restore worker when a use case queued a restore, so it
    /// starts at once rather than at its next poll.
    restore_wakeup: Arc<Notify>,
    /// What long-term storage's segments hold, cached across requests, so
    /// ingest recognises ids sent again after their message expired.
    archived_ids: ArchivedIds,
    /// Segment bitmaps, built once and kept up to date before each count.
    segment_index: Arc<SegmentIndex>,
}

impl Engine {
    /// Opens the database (waiting out another process's write lock up to
    /// `busy_wait`), long-term storage and mail, and makes sure the
    /// `default` workspace exists.
    pub async fn open(config: Config, clock: Clock) -> Result<Self> {
        let deadline = Patience::new(config.busy_wait).starting_now();
        let db = deadline
            .retry("open the database", || async {
                match &config.database_url {
                    Some(url) => Db::connect(url).await,
                    None => Db::open_in_dir(&config.data_dir).await,
                }
            })
            .await?;
        deadline
            .retry("create the default workspace", || {
                db.ensure_workspace("default", "Default", clock.now())
            })
            .await?;
        let storage = LongTermStorage::open(config.storage_url.as_deref(), &config.data_dir)?;
        let mailer = Mailer::new(
            config.smtp_url.as_deref(),
            &config.mail_from,
            config.data_dir.join("outbox"),
        )
        .map_err(|e| Error::invalid(e.to_string()))?;
        Ok(Self::assemble(db, storage, mailer, clock, &config))
    }

    /// An engine over parts the caller opened (tests that inject faults
    /// into storage or share one database between engines).
    pub fn assemble(
        db: Db,
        storage: LongTermStorage,
        mailer: Mailer,
        clock: Clock,
        config: &Config,
    ) -> Self {
        Self {
            db,
            archived_ids: ArchivedIds::new(storage.clone()),
            storage,
            mailer: Arc::new(mailer),
            clock,
            settings: Arc::new(Settings {
                public_url: config.public_url.clone(),
                restore_lease: config.restore_lease,
                leader_lease: config.leader_lease,
                holder: config.holder.clone().unwrap_or_else(process_holder),
                patience: Patience::new(config.busy_wait),
            }),
            restore_wakeup: Arc::new(Notify::new()),
            segment_index: SegmentIndex::new(),
        }
    }

    /// Builds the segment bitmaps now (a count asked first builds them
    /// too, unless a background build was announced).
    pub async fn build_segment_index(&self) -> Result<()> {
        self.segment_index.build(&self.db).await
    }

    /// Whether the segment bitmaps are built (`/readyz` says so).
    pub async fn segment_index_built(&self) -> bool {
        self.segment_index.is_built().await
    }

    /// Builds the segment bitmaps in the background (`recall serve` at
    /// start-up): counts asked meanwhile come from SQL, exact but slower.
    pub fn spawn_segment_index_build(&self) -> tokio::task::JoinHandle<Result<()>> {
        self.segment_index.build_in_background();
        let engine = self.clone();
        tokio::spawn(async move { engine.build_segment_index().await })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Which database this is (`sqlite` or `postgres`), for logs.
    pub fn database(&self) -> &'static str {
        self.db.backend()
    }

    /// Where long-term storage is, for logs.
    pub fn describe_storage(&self) -> &str {
        self.storage.describe()
    }

    /// Where mail goes, for logs.
    pub fn describe_mail(&self) -> String {
        self.mailer.describe()
    }

    /// The mail outbox directory when no SMTP server is configured.
    pub fn outbox(&self) -> Option<&std::path::Path> {
        self.mailer.outbox_dir()
    }

    /// `/readyz`: the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await
    }

    /// Closes every database connection (tools that reopen the database).
    pub async fn close(&self) {
        self.db.close().await
    }

    /// Called after a commit that queued restore jobs.
    fn restores_queued(&self) {
        self.restore_wakeup.notify_one();
    }

    async fn workspace_of(&self, actor: &Actor) -> Result<Workspace> {
        // The actor's copy may be from sign-in; settings are read afresh.
        self.db.workspace(actor.workspace().id).await
    }
}

#[cfg(test)]
mod tests;
