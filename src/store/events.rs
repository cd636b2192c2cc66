//! Ingest: stores a batch of validated events in one transaction, with the
//! aggregates, profiles and message activity they imply.
//!
//! The whole batch commits together (WAL, `synchronous=FULL`), so an event
//! counted as accepted is on disk before the caller answers, and a crash
//! mid-batch leaves none of it behind.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{Db, Workspace, to_ms};
use crate::domain::{EventKind, ParsedEvent};
use crate::error::Result;
use crate::types::{Aggregates, RejectedEvent};

/// What ingest needs to know about a message to accept its events.
struct Catalog {
    variants: HashMap<String, i64>,
    steps: HashMap<String, i64>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: Vec<RejectedEvent>,
}

type StatKey = (i64, i64, i64, i64);

impl Db {
    /// Stores `events` (each with its index in the request) for `ws`.
    pub async fn ingest_events(
        &self,
        ws: &Workspace,
        events: &[(usize, ParsedEvent)],
        now: DateTime<Utc>,
    ) -> Result<IngestOutcome> {
        let mut out = IngestOutcome::default();
        if events.is_empty() {
            return Ok(out);
        }
        let mut tx = self.write_tx().await?;
        let catalog = load_catalog(&mut tx, ws, events).await?;
        let mut profiles: HashMap<&str, i64> = HashMap::new();
        let mut stats: HashMap<StatKey, Aggregates> = HashMap::new();
        let mut received_at: HashMap<i64, i64> = HashMap::new();
        let mut engaged_at: HashMap<i64, i64> = HashMap::new();
        let mut touched: Vec<i64> = Vec::new();

        for (index, event) in events {
            let resolved = resolve(&catalog, event);
            let (variant, step) = match resolved {
                Ok(ords) => ords,
                Err(error) => {
                    out.rejected.push(RejectedEvent {
                        index: *index,
                        error,
                    });
                    continue;
                }
            };
            let profile_id = match profiles.get(event.user_id.as_str()) {
                Some(id) => *id,
                None => {
                    let id = profile_id(&mut tx, ws, &event.user_id).await?;
                    profiles.insert(&event.user_id, id);
                    id
                }
            };
            let first_of_kind = if matches!(event.kind, EventKind::Opened | EventKind::Clicked) {
                !has_event(&mut tx, event.message_id, event.kind, profile_id, step).await?
            } else {
                false
            };
            let at = to_ms(event.at);
            let inserted = sqlx::query(
                "INSERT OR IGNORE INTO events \
                 (message_id, kind, profile_id, at, event_id, variant, step, machine, link) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(event.message_id)
            .bind(event.kind.code())
            .bind(profile_id)
            .bind(at)
            .bind(&event.id)
            .bind(variant)
            .bind(step)
            .bind(event.machine)
            .bind(&event.link)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !inserted {
                out.duplicates += 1;
                continue;
            }
            out.accepted += 1;
            let agg = stats
                .entry((event.message_id, variant, step, day_of_ms(at)))
                .or_default();
            match event.kind {
                EventKind::Received => agg.received += 1,
                EventKind::Opened => agg.unique_opens += i64::from(first_of_kind),
                EventKind::Clicked => agg.unique_clicks += i64::from(first_of_kind),
                EventKind::Converted => agg.conversions += 1,
                EventKind::Control => agg.control += 1,
            }
            if event.kind == EventKind::Received {
                let e = received_at.entry(profile_id).or_insert(at);
                *e = (*e).max(at);
            }
            if event.kind.is_engagement() {
                let e = engaged_at.entry(profile_id).or_insert(at);
                *e = (*e).max(at);
            }
            if !touched.contains(&event.message_id) {
                touched.push(event.message_id);
            }
        }

        save_stats(&mut tx, &stats).await?;
        save_profile_times(&mut tx, "last_received_at", &received_at).await?;
        save_profile_times(&mut tx, "last_engaged_at", &engaged_at).await?;
        // Arrival of an event is activity: it restarts the retention window.
        for id in touched {
            sqlx::query(
                "UPDATE messages SET last_activity_at = ? WHERE id = ? AND last_activity_at < ?",
            )
            .bind(to_ms(now))
            .bind(id)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Number of hot events of one message (tests, dashboards, expiry).
    pub async fn count_hot_events(&self, message_id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE message_id = ?")
                .bind(message_id)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// `(last_received_at, last_engaged_at)` of one user, if known.
    pub async fn profile_times(
        &self,
        ws: &Workspace,
        user_id: &str,
    ) -> Result<Option<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)>> {
        let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT last_received_at, last_engaged_at FROM profiles WHERE workspace_id = ? AND external_id = ?",
        )
        .bind(ws.id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(r, e)| (r.map(super::from_ms), e.map(super::from_ms))))
    }
}

async fn load_catalog(
    conn: &mut SqliteConnection,
    ws: &Workspace,
    events: &[(usize, ParsedEvent)],
) -> Result<HashMap<i64, Catalog>> {
    let mut ids: Vec<i64> = events.iter().map(|(_, e)| e.message_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut catalog: HashMap<i64, Catalog> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT id FROM messages WHERE workspace_id = ");
        qb.push_bind(ws.id).push(" AND id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(")");
        let found: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
        for id in found {
            let variants: Vec<(String, i64)> =
                sqlx::query_as("SELECT key, ord FROM variants WHERE message_id = ?")
                    .bind(id)
                    .fetch_all(&mut *conn)
                    .await?;
            let steps: Vec<(String, i64)> =
                sqlx::query_as("SELECT key, ord FROM steps WHERE message_id = ?")
                    .bind(id)
                    .fetch_all(&mut *conn)
                    .await?;
            catalog.insert(
                id,
                Catalog {
                    variants: variants.into_iter().collect(),
                    steps: steps.into_iter().collect(),
                },
            );
        }
    }
    Ok(catalog)
}

/// Maps variant and step keys to ordinals; 0 means none.
fn resolve(catalog: &HashMap<i64, Catalog>, event: &ParsedEvent) -> Result<(i64, i64), String> {
    let Some(message) = catalog.get(&event.message_id) else {
        return Err(format!("message {} not found", event.message_id));
    };
    let variant = match &event.variant {
        Some(key) => *message
            .variants
            .get(key)
            .ok_or_else(|| format!("message {} has no variant {key:?}", event.message_id))?,
        None => 0,
    };
    let step = match &event.step {
        Some(key) => *message
            .steps
            .get(key)
            .ok_or_else(|| format!("message {} has no step {key:?}", event.message_id))?,
        None => 0,
    };
    Ok((variant, step))
}

async fn profile_id(conn: &mut SqliteConnection, ws: &Workspace, external_id: &str) -> Result<i64> {
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM profiles WHERE workspace_id = ? AND external_id = ?")
            .bind(ws.id)
            .bind(external_id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO profiles (workspace_id, external_id) VALUES (?, ?) RETURNING id",
    )
    .bind(ws.id)
    .bind(external_id)
    .fetch_one(&mut *conn)
    .await?)
}

async fn has_event(
    conn: &mut SqliteConnection,
    message_id: i64,
    kind: EventKind,
    profile_id: i64,
    step: i64,
) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM events WHERE message_id = ? AND kind = ? AND profile_id = ? AND step = ? LIMIT 1",
    )
    .bind(message_id)
    .bind(kind.code())
    .bind(profile_id)
    .bind(step)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

async fn save_stats(
    conn: &mut SqliteConnection,
    stats: &HashMap<StatKey, Aggregates>,
) -> Result<()> {
    for ((message_id, variant, step, day), a) in stats {
        sqlx::query(
            "INSERT INTO daily_stats \
             (message_id, variant, step, day, received, unique_opens, unique_clicks, conversions, control) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (message_id, variant, step, day) DO UPDATE SET \
             received = daily_stats.received + excluded.received, \
             unique_opens = daily_stats.unique_opens + excluded.unique_opens, \
             unique_clicks = daily_stats.unique_clicks + excluded.unique_clicks, \
             conversions = daily_stats.conversions + excluded.conversions, \
             control = daily_stats.control + excluded.control",
        )
        .bind(message_id)
        .bind(variant)
        .bind(step)
        .bind(day)
        .bind(a.received)
        .bind(a.unique_opens)
        .bind(a.unique_clicks)
        .bind(a.conversions)
        .bind(a.control)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Moves a profile time forward only (late events never move it back).
async fn save_profile_times(
    conn: &mut SqliteConnection,
    column: &str,
    times: &HashMap<i64, i64>,
) -> Result<()> {
    let sql = format!(
        "UPDATE profiles SET {column} = ? WHERE id = ? AND ({column} IS NULL OR {column} < ?)"
    );
    for (id, at) in times {
        sqlx::query(&sql)
            .bind(at)
            .bind(id)
            .bind(at)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Days since the Unix epoch, the aggregates' time bucket.
pub(crate) fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(86_400_000)
}
