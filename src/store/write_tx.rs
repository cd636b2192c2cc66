//! Write transactions take turns inside the process before they ask the
//! database for its write lock. SQLite's own busy handler polls with
//! sleeps of up to 100 ms, so writers that collide there leave the lock
//! idle between them; an async queue hands it over the moment it is free,
//! in arrival order. Other processes (a CLI command beside the server, or
//! other `recall serve` processes on PostgreSQL) meet at the database's
//! lock: SQLite's file lock, or on PostgreSQL a transaction-scoped advisory
//! lock that gives write transactions the same one-at-a-time semantics the
//! store was written for.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};

use super::sql::{Pool, Tx, query};

/// The advisory lock key every PostgreSQL write transaction takes.
const WRITE_LOCK_KEY: i64 = 0x5245_4341_4c4c; // "RECALL"

/// The process's turn to write, shared by every clone of a `Db`.
#[derive(Clone, Debug, Default)]
pub(crate) struct WriteTurns(Arc<Mutex<()>>);

impl WriteTurns {
    pub(crate) async fn next(&self) -> OwnedMutexGuard<()> {
        self.0.clone().lock_owned().await
    }
}

/// A write transaction holding this process's write turn until it commits
/// or is dropped (which rolls back).
pub(crate) struct WriteTx {
    tx: Tx,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Waits for this process's turn, then for the database's write lock.
    pub(crate) async fn begin(pool: &Pool, turns: &WriteTurns) -> Result<Self, sqlx::Error> {
        let turn = turns.next().await;
        let tx = match pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => {
                let mut tx = Tx::Postgres(pool.begin().await?);
                query("SELECT pg_advisory_xact_lock(?)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut tx)
                    .await?;
                tx
            }
        };
        Ok(Self {
            tx,
            _turn: Some(turn),
        })
    }

    /// A transaction that does not serialize with other writers: on
    /// PostgreSQL it relies on row locks alone (claims with `SKIP LOCKED`);
    /// on SQLite, where every write takes the one lock, it is a write
    /// transaction like any other.
    pub(crate) async fn concurrent(pool: &Pool, turns: &WriteTurns) -> Result<Self, sqlx::Error> {
        match pool {
            Pool::Sqlite(_) => Self::begin(pool, turns).await,
            Pool::Postgres(pool) => Ok(Self {
                tx: Tx::Postgres(pool.begin().await?),
                _turn: None,
            }),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl Deref for WriteTx {
    type Target = Tx;

    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}
