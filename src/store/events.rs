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
use super::changes;
use super::sql::{query, query_as, query_scalar};
use super::{Db, Workspace, to_ms};
use crate::domain::{EventKind, ParsedEvent};
use crate::error::Result;
use crate::types::{Aggregates, RejectedEvent};

mod catalog;
mod statements;

use catalog::{load_catalog, resolve};
use statements::{engaged_before, insert_rows, profile_ids, save_profile_times, save_stats};

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

/// One valid event on its way in.
struct Row<'a> {
    event: &'a ParsedEvent,
    variant: i64,
    step: i64,
    profile: i64,
}

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
        // Stamps what this batch writes, for the segment bitmaps (0009).
        let seq = changes::next_seq(&mut tx).await?;
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
        let profiles = profile_ids(&mut tx, ws, &rows, seq).await?;
        for row in &mut rows {
            row.profile = profiles
                .get(row.event.user_id.as_str())
                .copied()
                .ok_or(crate::error::Error::Internal)?;
        }
        let mut seen = engaged_before(&mut tx, &rows).await?;
        let inserted = insert_rows(&mut tx, &rows, seq).await?;

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

/// Days since the Unix epoch, the aggregates' time bucket.
pub(crate) fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(86_400_000)
}
