//! A fresh data directory: stopped campaigns whose events are months old,
//! written straight into SQLite (the API stamps "now" as activity, and the
//! point is data that is due at real now), and the passing of time between
//! lives ("aging"), which is what makes restored data due again.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Duration, Utc};
use recall::domain::{MessageName, TagName};
use recall::store::{Db, NewMessage, NewVariant, Scope};
use recall::types::{Channel, MessageKind, MessageStatus};

use super::Error;
use super::ledger::Ledger;

/// Profiles `user-1` .. `user-USERS`; ingest reuses them.
pub const USERS: i64 = 20_000;

/// Tag every seeded message carries (the final restore asks for it).
pub const TAG: &str = "reliability";

pub struct Seeded {
    pub key: String,
    pub messages: Vec<i64>,
}

/// Creates the workspace, profiles, an API key and `sizes.len()`
/// stopped campaigns with `sizes[i]` events each; records every event.
pub async fn seed(dir: &Path, sizes: &[i64], ledger: &mut Ledger) -> Result<Seeded, Error> {
    let db = Db::open_in_dir(dir).await?;
    let long_ago = Utc::now() - Duration::days(400);
    let ws = db.ensure_workspace("default", "Default", long_ago).await?;
    sqlx::query(
        "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < ?1) \
         INSERT INTO profiles (id, workspace_id, external_id, last_received_at, last_engaged_at) \
         SELECT x, ?2, 'user-' || x, ?3, NULL FROM seq",
    )
    .bind(USERS)
    .bind(ws.id)
    .bind(long_ago.timestamp_millis())
    .execute(db.sqlite_pool().expect("the harness runs on SQLite"))
    .await?;
    let (_, key) = db
        .create_api_key(
            &ws,
            "reliability",
            &[Scope::Ingest, Scope::Read, Scope::Manage],
            long_ago,
        )
        .await?;
    let mut messages = Vec::new();
    for (i, &rows) in sizes.iter().enumerate() {
        let new = NewMessage {
            kind: MessageKind::Campaign,
            name: MessageName::parse(&format!("Crash trial {i}"))?,
            description: String::new(),
            channel: Channel::Email,
            status: MessageStatus::Stopped,
            tags: TagName::parse_all(&[TAG])?,
            variants: vec![NewVariant {
                key: "a".into(),
                name: "A".into(),
                is_control: false,
            }],
            steps: Vec::new(),
            created_at: long_ago,
            started_at: Some(long_ago),
            stopped_at: Some(long_ago + Duration::days(10)),
        };
        let id = db.insert_message(&ws, &new).await?;
        // Clustered-key order, as a bulk import would write them.
        sqlx::query(
            "WITH RECURSIVE seq(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM seq WHERE x < ?1 - 1) \
             INSERT INTO events (message_id, kind, profile_id, at, event_id, variant, step, machine, link) \
             SELECT ?2, 1 + x % 3, ((x * 7 + ?2 * 7919) % ?3) + 1, ?4 + x, 's' || ?2 || '-' || x, \
                    1, 0, (x % 9 = 0), CASE WHEN x % 3 = 2 THEN 'cta' END \
             FROM seq ORDER BY 2, 3, 4, 5",
        )
        .bind(rows)
        .bind(id)
        .bind(USERS)
        .bind((long_ago + Duration::days(1)).timestamp_millis())
        .execute(db.sqlite_pool().expect("the harness runs on SQLite"))
        .await?;
        ledger.accept(id, (0..rows).map(|x| format!("s{id}-{x}")));
        messages.push(id);
    }
    db.close().await;
    Ok(Seeded { key, messages })
}

/// Months pass while the server is down: every stopped message whose data
/// is hot becomes due (a restored one re-expires, reusing its segments
/// when it got no new events). Answers how many were aged.
pub async fn age(dir: &Path) -> Result<u64, Error> {
    let db = Db::open_in_dir(dir).await?;
    let long_ago = (Utc::now() - Duration::days(200)).timestamp_millis();
    let done = sqlx::query(
        "UPDATE messages SET last_activity_at = ? WHERE location = 'hot' AND status = 'stopped'",
    )
    .bind(long_ago)
    .execute(db.sqlite_pool().expect("the harness runs on SQLite"))
    .await?;
    db.close().await;
    Ok(done.rows_affected())
}

/// Where each message's data is, as the database says.
pub async fn locations(dir: &Path) -> Result<HashMap<i64, String>, Error> {
    let db = Db::open_in_dir(dir).await?;
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, location FROM messages")
        .fetch_all(db.sqlite_pool().expect("the harness runs on SQLite"))
        .await?;
    db.close().await;
    Ok(rows.into_iter().collect())
}

/// The server was down long enough for the leases of a killed process
/// (the expiry scheduler's, the mail sender's) to run out: their end is
/// moved into the past, so the next life takes them at its first tick
/// instead of waiting out a lease whose holder is gone (which is what
/// made short lives run no expiry pass at all). A holder that stopped
/// cleanly has already given its leases up. Restore jobs keep their own
/// lease: a killed job is taken over only when it runs out, as in
/// production. Answers how many leases were let run out.
pub async fn lapse_leases(dir: &Path) -> Result<u64, Error> {
    let db = Db::open_in_dir(dir).await?;
    let past = Utc::now().timestamp_millis() - 1;
    let done = sqlx::query("UPDATE leases SET until = ?1 WHERE until > ?1")
        .bind(past)
        .execute(db.sqlite_pool().expect("the harness runs on SQLite"))
        .await?;
    db.close().await;
    Ok(done.rows_affected())
}
