//! Persistence: sqlx only. Row structs stay private to this module tree and
//! become domain or wire types before they leave it.
//!
//! Migrations are embedded in the binary and run at startup, so a CLI
//! command and a running server on the same data directory always agree on
//! the schema. Nothing is cached in memory: every read goes to the database,
//! which is what lets `recall seed` beside `recall serve` show up at once.

pub(crate) mod api_keys;
mod archived_segments;
pub(crate) mod audiences;
pub(crate) mod changes;
mod evaluate;
mod events;
mod leases;
mod mail_queue;
mod manifest;
mod message_list;
mod message_names;
pub(crate) mod message_writes;
pub(crate) mod messages;
mod restore_jobs;
pub(crate) mod restores;
pub(crate) mod retention;
pub(crate) mod segments;
mod sql;
mod stats;
pub(crate) mod tags;
pub(crate) mod users;
mod workspaces;
mod write_tx;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{Error, Result};
pub(crate) use sql::Tx;
use sql::{Pool, query};
use write_tx::{WriteTurns, WriteTx};

pub use api_keys::{ApiKey, Scope};
pub use archived_segments::{ArchiveCheck, ArchivedSegment, batch_messages};
pub use audiences::{StoredAudience, TagReference};
pub use evaluate::AudienceUser;
pub use events::{IngestOutcome, Ingested};
pub(crate) use mail_queue::queue_mail;
pub use mail_queue::{MAX_ATTEMPTS, MailDraft, QueuedMail};
pub use manifest::{Committed, EventSnapshot, MoveCommit, MoveKind, NewSegment, SegmentRecord};
pub use message_writes::MessageEdit;
pub use messages::{NewMessage, NewStep, NewVariant};
pub use restore_jobs::ClaimedJob;
pub use restores::NewBatch;
pub use retention::ExpiryCandidate;
pub use segments::StoredSegment;
pub use users::{Credentials, SESSION_LIFETIME, Session};
pub use workspaces::Workspace;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/postgres");

/// A handle to the database; cheap to clone (it is a pool).
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    write_turns: WriteTurns,
}

impl Db {
    /// Opens (creating if needed) `recall.db` inside `data_dir`.
    pub async fn open_in_dir(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let url = format!("sqlite://{}", data_dir.join("recall.db").display());
        Self::connect(&url).await
    }

    /// Connects to a `sqlite:` or `postgres:` URL and brings the schema
    /// up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with_busy_timeout(url, Duration::from_secs(10)).await
    }

    /// [`Db::connect`], with each SQLite statement waiting at most
    /// `busy_timeout` for a write lock another process holds (tests make it
    /// short). PostgreSQL waits for its locks without a timeout.
    pub async fn connect_with_busy_timeout(url: &str, busy_timeout: Duration) -> Result<Self> {
        let pool = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self::connect_postgres(url).await?
        } else {
            Self::connect_sqlite(url, busy_timeout).await?
        };
        Ok(Self {
            pool,
            write_turns: WriteTurns::default(),
        })
    }

    async fn connect_sqlite(url: &str, busy_timeout: Duration) -> Result<Pool> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|_| {
                Error::invalid("bad database url: expected sqlite://PATH or postgres://...")
            })?
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL in WAL mode syncs the log at every commit: an accepted
            // event survives power loss, not only a process crash.
            .synchronous(SqliteSynchronous::Full)
            // Another process (a CLI command beside the server) may hold the
            // write lock for a moment; wait instead of failing.
            .busy_timeout(busy_timeout)
            // 16 MiB of page cache per connection (8 at most): memory stays
            // bounded; the OS page cache holds the rest of the file.
            .pragma("cache_size", "-16384")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await?;
        SQLITE_MIGRATOR.run(&pool).await?;
        Ok(Pool::Sqlite(pool))
    }

    async fn connect_postgres(url: &str) -> Result<Pool> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| Error::invalid("bad database url: expected postgres://USER@HOST/DB"))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            .connect_with(options)
            .await?;
        // Several processes may start at once: the migrator serializes
        // them with an advisory lock.
        POSTGRES_MIGRATOR.run(&pool).await?;
        Ok(Pool::Postgres(pool))
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Which database this is, for logs and `/readyz`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// A transaction that takes the write lock up front. A deferred one
    /// that reads first fails outright (SQLITE_BUSY_SNAPSHOT) if another
    /// connection commits before its first write; this one waits its turn.
    pub(crate) async fn write_tx(&self) -> Result<WriteTx> {
        Ok(WriteTx::begin(&self.pool, &self.write_turns).await?)
    }

    /// A read-only transaction that sees one consistent state throughout
    /// (SQLite's WAL snapshot; PostgreSQL's repeatable read).
    pub(crate) async fn read_snapshot(&self) -> Result<sql::Tx> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => sql::Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => {
                let mut tx = sql::Tx::Postgres(pool.begin().await?);
                query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut tx)
                    .await?;
                tx
            }
        })
    }

    /// SQLite's pool, for tools that inspect the file directly
    /// (benchmark and crash-trial harnesses); `None` on PostgreSQL.
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        match &self.pool {
            Pool::Sqlite(pool) => Some(pool),
            Pool::Postgres(_) => None,
        }
    }

    /// A transaction for work that locks only its own rows (claiming a
    /// job): on PostgreSQL it does not wait for other writers.
    pub(crate) async fn concurrent_tx(&self) -> Result<WriteTx> {
        Ok(WriteTx::concurrent(&self.pool, &self.write_turns).await?)
    }

    /// Closes every connection (tests and tools that reopen the database).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// Cheap liveness probe for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Stored times are integer milliseconds since the epoch.
pub(crate) fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Stored milliseconds as a time, for readers outside the store.
pub fn from_ms_public(ms: i64) -> DateTime<Utc> {
    from_ms(ms)
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Maps a unique-constraint violation to a client error; anything else
/// stays an internal error (logged, never shown).
pub(crate) fn on_unique(err: sqlx::Error, to: impl FnOnce() -> Error) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => to(),
        _ => Error::from(err),
    }
}

#[cfg(test)]
pub(crate) mod tests;
