//! An expiry pass from a second process while the server holds SQLite's
//! write lock for longer than the pass's busy timeout: it retries until
//! the lock is free and then finishes; when its patience runs out first,
//! it gives up cleanly and the next pass does the work.
//!
//! SQLite only: PostgreSQL waits for its locks without a busy timeout, so
//! under `make test-postgres` these tests have nothing to check and return.

use std::time::Duration as StdDuration;

use super::expiry::Expiry;
use super::patience::Patience;
use super::test_support::{
    Setup, after_window, all_events, assert_no_orphans, setup, state, stopped_campaign,
};
use crate::error::Error;
use crate::store::Db;
use crate::types::DataState;

/// Statements of the second process wait this long for the lock.
const BUSY_TIMEOUT: StdDuration = StdDuration::from_millis(50);

fn sqlite(s: &Setup) -> &sqlx::SqlitePool {
    s.t.db.sqlite_pool().expect("an SQLite test database")
}

/// Another handle on the same database file, as `recall expire` opens it,
/// with a short busy timeout, and an expiry engine on it.
async fn second_process(s: &Setup, patience: Patience) -> Expiry {
    let file: String =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(sqlite(s))
            .await
            .expect("file");
    let db = Db::connect_with_busy_timeout(&format!("sqlite://{file}"), BUSY_TIMEOUT)
        .await
        .expect("second handle");
    Expiry::new(db, s.expiry.archive().clone()).with_patience(patience)
}

#[tokio::test]
async fn a_pass_from_a_second_process_waits_out_a_write_lock_held_past_its_busy_timeout() {
    let s = setup().await;
    if s.t.db.sqlite_pool().is_none() {
        return;
    }
    let id = stopped_campaign(&s, "Busy", 20).await;
    let before = all_events(&s, id).await;
    let patience = Patience::new(StdDuration::from_secs(120));
    let mut retries = patience.retries();
    let cli = second_process(&s, patience).await;

    // The server's side: a write transaction that stays open.
    let holder = sqlite(&s)
        .begin_with("BEGIN IMMEDIATE")
        .await
        .expect("lock");
    let pass = tokio::spawn(async move { cli.tick(after_window()).await });
    // Refused twice, each time after its busy timeout: without retries
    // the pass would have failed by now.
    tokio::time::timeout(StdDuration::from_secs(60), retries.wait_for(|n| *n >= 2))
        .await
        .expect("the pass never met the lock")
        .expect("retries");
    assert!(!pass.is_finished());
    holder.rollback().await.expect("release");

    let report = pass.await.expect("task").expect("tick");
    assert_eq!(report.moved.len(), 1, "{report:?}");
    assert!(report.failed.is_empty() && !report.gave_up_waiting);
    assert_eq!(state(&s, id, after_window()).await, DataState::Expired);
    assert_eq!(s.t.db.count_hot_events(id).await.expect("count"), 0);
    assert_eq!(all_events(&s, id).await, before);
    assert_no_orphans(&s).await;
}

#[tokio::test]
async fn a_pass_out_of_patience_gives_up_cleanly_and_the_next_one_finishes() {
    let s = setup().await;
    if s.t.db.sqlite_pool().is_none() {
        return;
    }
    let id = stopped_campaign(&s, "Starved", 20).await;
    let before = all_events(&s, id).await;
    let cli = second_process(&s, Patience::new(StdDuration::from_millis(300))).await;

    let holder = sqlite(&s)
        .begin_with("BEGIN IMMEDIATE")
        .await
        .expect("lock");
    let report = cli.tick(after_window()).await.expect("tick");
    assert!(report.moved.is_empty());
    assert_eq!(report.failed, vec![(id, Error::Busy.to_string())]);
    assert!(report.gave_up_waiting);
    holder.rollback().await.expect("release");

    assert_eq!(state(&s, id, after_window()).await, DataState::Available);
    assert_eq!(all_events(&s, id).await, before);
    assert!(s.t.db.segments(id).await.expect("segments").is_empty());
    assert_no_orphans(&s).await;

    let report = cli.tick(after_window()).await.expect("tick");
    assert_eq!(report.moved.len(), 1, "{report:?}");
    assert_eq!(state(&s, id, after_window()).await, DataState::Expired);
    assert_eq!(all_events(&s, id).await, before);
}
