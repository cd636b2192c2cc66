//! Deterministic data for the benchmarks, written straight into SQLite in
//! the order the tables are clustered (the fast path a bulk import takes).

use chrono::{DateTime, Duration, TimeZone, Utc};
use recall::domain::{MessageName, TagName};
use recall::store::{Db, NewMessage, NewVariant, Workspace};
use recall::types::{Channel, MessageKind, MessageStatus};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// `users` profiles with ids 1..=users and external ids `user-<n>`.
pub async fn profiles(db: &Db, ws: &Workspace, users: i64) -> Result<(), recall::Error> {
    sqlx::query(
        "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < ?1) \
         INSERT INTO profiles (id, workspace_id, external_id, last_received_at, last_engaged_at) \
         SELECT x, ?2, 'user-' || x, ?3 + x, CASE WHEN x % 3 = 0 THEN ?3 + x END FROM seq",
    )
    .bind(users)
    .bind(ws.id)
    .bind(t0().timestamp_millis())
    .execute(db.sqlite_pool().expect("the harness runs on SQLite"))
    .await
    .map_err(recall::Error::from)?;
    Ok(())
}

pub fn new_message(name: &str, tags: &[&str], status: MessageStatus, days_ago: i64) -> NewMessage {
    let created_at = t0() - Duration::days(days_ago + 30);
    NewMessage {
        kind: MessageKind::Campaign,
        name: MessageName::parse(name).unwrap_or_else(|_| MessageName::parse("x").expect("name")),
        description: String::new(),
        channel: Channel::Email,
        status,
        tags: TagName::parse_all(tags).unwrap_or_default(),
        variants: vec![NewVariant {
            key: "a".into(),
            name: "A".into(),
            is_control: false,
        }],
        steps: Vec::new(),
        created_at,
        started_at: Some(created_at),
        stopped_at: (status != MessageStatus::Active).then(|| t0() - Duration::days(days_ago)),
    }
}

/// `count` events for message `id`: everyone of `users` (from a spread
/// of starting points) receives, a third open, a tenth click. Each message
/// strides through the users with its own multiplier (odd and not a
/// multiple of 5, so coprime with the user counts used), so audiences of
/// different messages overlap about as randomly chosen ones would. Rows go
/// in in clustered-key order.
pub async fn events(db: &Db, id: i64, count: i64, users: i64) -> Result<(), recall::Error> {
    let received = (count * 10 / 14).max(1);
    let opened = (count * 3 / 14).max(1);
    let clicked = (count - received - opened).max(0);
    for (kind, n) in [(1_i64, received), (2, opened), (3, clicked)] {
        sqlx::query(
            "WITH RECURSIVE seq(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM seq WHERE x < ?1 - 1) \
             INSERT INTO events (message_id, kind, profile_id, at, event_id, variant, step, machine, link) \
             SELECT ?2, ?3, ((x * (7919 + 10 * ?2) + ?2 * 104729) % ?4) + 1, ?5 + x, \
                    'm' || ?2 || '-' || ?3 || '-' || x, 1, 0, (x % 9 = 0), NULL \
             FROM seq ORDER BY 3, 4, 5",
        )
        .bind(n)
        .bind(id)
        .bind(kind)
        .bind(users)
        .bind(t0().timestamp_millis())
        .execute(db.sqlite_pool().expect("the harness runs on SQLite"))
        .await
        .map_err(recall::Error::from)?;
    }
    Ok(())
}
