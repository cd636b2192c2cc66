//! Ingest: stores a batch of validated events in one transaction, with the
//! aggregates, profiles and message activity they imply.
//!
//! The whole batch commits together (WAL, `synchronous=FULL`), so an event
//! counted as accepted is on disk before the caller answers, and a crash
//! mid-batch leaves none of it behind.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::archived_segments::{
    ArchiveCheck, ArchivedSegment, archived_segments_on, batch_messages,
};
use super::sql::{QueryBuilder, Tx, query, query_as, query_scalar};
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

/// How an ingest transaction ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ingested {
    Stored(IngestOutcome),
    /// Expiry listed segments for the batch's messages that the check did
    /// not look into (a move committed after it): nothing was written.
    /// These are the segments listed now.
    ArchiveChanged(Vec<ArchivedSegment>),
}

type StatKey = (i64, i64, i64, i64);

impl Db {
    /// Stores `events` (each with its index in the request) for `ws`.
    ///
    /// Set-at-a-time: profiles, events and the "seen before" probe for
    /// unique opens and clicks are each a few multi-row statements per
    /// batch, not one per event, because statement overhead, not SQLite,
    /// is what limits ingest.
    ///
    /// The unique index only knows hot rows: `checked` names the events
    /// whose id long-term storage holds, found before this transaction
    /// from the segments it lists. They count as duplicates, provided no
    /// segment was listed for these messages since.
    pub async fn ingest_events(
        &self,
        ws: &Workspace,
        events: &[(usize, ParsedEvent)],
        checked: &ArchiveCheck,
        now: DateTime<Utc>,
    ) -> Result<Ingested> {
        let mut out = IngestOutcome::default();
        if events.is_empty() {
            return Ok(Ingested::Stored(out));
        }
        let mut tx = self.write_tx().await?;
        // Under the write lock no move can commit until this one does.
        let listed = archived_segments_on((&mut *tx).into(), ws, &batch_messages(events)).await?;
        if !checked.covers(&listed) {
            return Ok(Ingested::ArchiveChanged(listed));
        }
        let catalog = load_catalog(&mut tx, ws, events).await?;
        let mut rows: Vec<Row<'_>> = Vec::with_capacity(events.len());
        for (index, event) in events {
            match resolve(&catalog, event) {
                Ok(_) if checked.duplicates.contains(index) => out.duplicates += 1,
                Ok((variant, step)) => rows.push(Row {
                    event,
                    variant,
                    step,
                    profile: 0,
                }),
                Err(error) => out.rejected.push(RejectedEvent {
                    index: *index,
                    error,
                }),
            }
        }
        let profiles = profile_ids(&mut tx, ws, &rows).await?;
        for row in &mut rows {
            row.profile = profiles
                .get(row.event.user_id.as_str())
                .copied()
                .ok_or(crate::error::Error::Internal)?;
        }
        let mut seen = engaged_before(&mut tx, &rows).await?;
        let inserted = insert_rows(&mut tx, &rows).await?;

        let mut stats: HashMap<StatKey, Aggregates> = HashMap::new();
        let mut received_at: HashMap<i64, i64> = HashMap::new();
        let mut engaged_at: HashMap<i64, i64> = HashMap::new();
        let mut touched: Vec<i64> = Vec::new();
        let mut counted: HashSet<(i64, &str)> = HashSet::new();
        for row in &rows {
            let event = row.event;
            let key = (event.message_id, event.id.as_str());
            // Ignored rows are duplicates, and so is a second row with the
            // same id in this batch.
            if !inserted.contains(&(event.message_id, event.id.clone())) || !counted.insert(key) {
                out.duplicates += 1;
                continue;
            }
            out.accepted += 1;
            let at = to_ms(event.at);
            let first_of_kind = matches!(event.kind, EventKind::Opened | EventKind::Clicked)
                && seen.insert((event.message_id, event.kind.code(), row.profile, row.step));
            let agg = stats
                .entry((event.message_id, row.variant, row.step, day_of_ms(at)))
                .or_default();
            match event.kind {
                EventKind::Received => agg.received += 1,
                EventKind::Opened => agg.unique_opens += i64::from(first_of_kind),
                EventKind::Clicked => agg.unique_clicks += i64::from(first_of_kind),
                EventKind::Converted => agg.conversions += 1,
                EventKind::Control => agg.control += 1,
            }
            if event.kind == EventKind::Received {
                let e = received_at.entry(row.profile).or_insert(at);
                *e = (*e).max(at);
            }
            if event.kind.is_engagement() {
                let e = engaged_at.entry(row.profile).or_insert(at);
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
            query("UPDATE messages SET last_activity_at = ? WHERE id = ? AND last_activity_at < ?")
                .bind(to_ms(now))
                .bind(id)
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Ingested::Stored(out))
    }

    /// Number of hot events of one message (tests, dashboards, expiry).
    pub async fn count_hot_events(&self, message_id: i64) -> Result<i64> {
        Ok(
            query_scalar("SELECT COUNT(*) FROM events WHERE message_id = ?")
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
        let row: Option<(Option<i64>, Option<i64>)> = query_as(
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
    conn: &mut Tx,
    ws: &Workspace,
    events: &[(usize, ParsedEvent)],
) -> Result<HashMap<i64, Catalog>> {
    let mut ids: Vec<i64> = events.iter().map(|(_, e)| e.message_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut catalog: HashMap<i64, Catalog> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut qb = QueryBuilder::new("SELECT id FROM messages WHERE workspace_id = ");
        qb.push_bind(ws.id).push(" AND id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(")");
        let found: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
        for id in found {
            let variants: Vec<(String, i64)> =
                query_as("SELECT key, ord FROM variants WHERE message_id = ?")
                    .bind(id)
                    .fetch_all(&mut *conn)
                    .await?;
            let steps: Vec<(String, i64)> =
                query_as("SELECT key, ord FROM steps WHERE message_id = ?")
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

/// One valid event on its way in.
struct Row<'a> {
    event: &'a ParsedEvent,
    variant: i64,
    step: i64,
    profile: i64,
}

/// Rows per multi-row statement: 9 parameters each, well under SQLite's
/// limit of 32,766 per statement.
const CHUNK: usize = 2000;

/// Internal ids of every user in the batch, creating the new ones.
async fn profile_ids<'a>(
    conn: &mut Tx,
    ws: &Workspace,
    rows: &[Row<'a>],
) -> Result<HashMap<&'a str, i64>> {
    let mut users: Vec<&'a str> = rows.iter().map(|r| r.event.user_id.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let mut ids = HashMap::with_capacity(users.len());
    for chunk in users.chunks(CHUNK) {
        let mut insert = QueryBuilder::new("INSERT INTO profiles (workspace_id, external_id) ");
        insert.push_values(chunk, |mut b, user| {
            b.push_bind(ws.id).push_bind(*user);
        });
        insert.push(" ON CONFLICT DO NOTHING");
        insert.build().execute(&mut *conn).await?;
        let mut select =
            QueryBuilder::new("SELECT external_id, id FROM profiles WHERE workspace_id = ");
        select.push_bind(ws.id).push(" AND external_id IN (");
        let mut sep = select.separated(", ");
        for user in chunk {
            sep.push_bind(*user);
        }
        select.push(")");
        let found: Vec<(String, i64)> = select.build_query_as().fetch_all(&mut *conn).await?;
        let by_name: HashMap<String, i64> = found.into_iter().collect();
        for user in chunk {
            if let Some(id) = by_name.get(*user) {
                ids.insert(*user, *id);
            }
        }
    }
    Ok(ids)
}

/// `(message, kind, profile, step)` keys of opens and clicks in the batch
/// that already had an event before it: their new events are not unique.
async fn engaged_before(conn: &mut Tx, rows: &[Row<'_>]) -> Result<HashSet<(i64, i64, i64, i64)>> {
    let mut keys: Vec<(i64, i64, i64)> = rows
        .iter()
        .filter(|r| matches!(r.event.kind, EventKind::Opened | EventKind::Clicked))
        .map(|r| (r.event.message_id, r.event.kind.code(), r.profile))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut seen = HashSet::new();
    for chunk in keys.chunks(CHUNK) {
        let mut qb = QueryBuilder::new(
            "SELECT DISTINCT message_id, kind, profile_id, step FROM events              WHERE (message_id, kind, profile_id) IN (VALUES ",
        );
        let mut sep = qb.separated(", ");
        for (message, kind, profile) in chunk {
            sep.push("(")
                .push_bind_unseparated(*message)
                .push_unseparated(", ")
                .push_bind_unseparated(*kind)
                .push_unseparated(", ")
                .push_bind_unseparated(*profile)
                .push_unseparated(")");
        }
        qb.push(")");
        let found: Vec<(i64, i64, i64, i64)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        seen.extend(found);
    }
    Ok(seen)
}

/// Inserts the rows, ignoring ids already stored; returns the
/// `(message, id)` pairs that were new.
async fn insert_rows(conn: &mut Tx, rows: &[Row<'_>]) -> Result<HashSet<(i64, String)>> {
    let mut inserted = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        let mut qb = QueryBuilder::new(
            "INSERT INTO events \
             (message_id, kind, profile_id, at, event_id, variant, step, machine, link) ",
        );
        qb.push_values(chunk, |mut b, row| {
            let e = row.event;
            b.push_bind(e.message_id)
                .push_bind(e.kind.code())
                .push_bind(row.profile)
                .push_bind(to_ms(e.at))
                .push_bind(e.id.as_str())
                .push_bind(row.variant)
                .push_bind(row.step)
                .push_bind(e.machine)
                .push_bind(e.link.as_deref());
        });
        qb.push(" ON CONFLICT DO NOTHING RETURNING message_id, event_id");
        let new: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        inserted.extend(new);
    }
    Ok(inserted)
}

async fn save_stats(conn: &mut Tx, stats: &HashMap<StatKey, Aggregates>) -> Result<()> {
    for ((message_id, variant, step, day), a) in stats {
        query(
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
async fn save_profile_times(conn: &mut Tx, column: &str, times: &HashMap<i64, i64>) -> Result<()> {
    let times: Vec<(i64, i64)> = times.iter().map(|(id, at)| (*id, *at)).collect();
    for chunk in times.chunks(CHUNK) {
        let mut qb = QueryBuilder::new(format!(
            "UPDATE profiles SET {column} = v.column2 FROM (VALUES "
        ));
        let mut sep = qb.separated(", ");
        for (id, at) in chunk {
            sep.push("(")
                .push_bind_unseparated(*id)
                .push_unseparated(", ")
                .push_bind_unseparated(*at)
                .push_unseparated(")");
        }
        qb.push(format!(
            ") AS v WHERE profiles.id = v.column1 AND (profiles.{column} IS NULL OR profiles.{column} < v.column2)"
        ));
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Days since the Unix epoch, the aggregates' time bucket.
pub(crate) fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(86_400_000)
}
