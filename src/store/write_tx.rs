//! Write transactions take turns inside the process before they ask
//! SQLite for its write lock. SQLite's own busy handler polls with sleeps
//! of up to 100 ms, so writers that collide there leave the lock idle
//! between them; an async queue hands it over the moment it is free, in
//! arrival order. Other processes (a CLI command beside the server) still
//! meet at SQLite's lock and its busy timeout.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::{Sqlite, SqliteConnection, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The process's turn to write, shared by every clone of a `Db`.
#[derive(Clone, Debug, Default)]
pub(crate) struct WriteTurns(Arc<Mutex<()>>);

impl WriteTurns {
    pub(crate) async fn next(&self) -> OwnedMutexGuard<()> {
        self.0.clone().lock_owned().await
    }
}

/// A `BEGIN IMMEDIATE` transaction holding this process's write turn
/// until it commits or is dropped (which rolls back).
pub(crate) struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: OwnedMutexGuard<()>,
}

impl WriteTx {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>, turn: OwnedMutexGuard<()>) -> Self {
        Self { tx, _turn: turn }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}
