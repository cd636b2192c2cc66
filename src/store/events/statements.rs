//! The multi-row statements of one ingest batch: profiles, the "engaged
//! before" probe, the events themselves, daily aggregates and profile times,
//! each a few statements per batch rather than one per event.

use std::collections::{HashMap, HashSet};

use super::{Row, StatKey};
use crate::domain::EventKind;
use crate::error::Result;
use crate::store::sql::{QueryBuilder, Tx, query};
use crate::store::{Workspace, to_ms};
use crate::types::Aggregates;

/// Rows per multi-row statement: 10 parameters each, well under SQLite's
/// limit of 32,766 per statement.
const CHUNK: usize = 2000;

/// Internal ids of every user in the batch, creating the new ones.
pub(super) async fn profile_ids<'a>(
    conn: &mut Tx,
    ws: &Workspace,
    rows: &[Row<'a>],
    seq: i64,
) -> Result<HashMap<&'a str, i64>> {
    let mut users: Vec<&'a str> = rows.iter().map(|r| r.event.user_id.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let mut ids = HashMap::with_capacity(users.len());
    for chunk in users.chunks(CHUNK) {
        let mut insert =
            QueryBuilder::new("INSERT INTO profiles (workspace_id, external_id, seq) ");
        insert.push_values(chunk, |mut b, user| {
            b.push_bind(ws.id).push_bind(*user).push_bind(seq);
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
pub(super) async fn engaged_before(
    conn: &mut Tx,
    rows: &[Row<'_>],
) -> Result<HashSet<(i64, i64, i64, i64)>> {
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
pub(super) async fn insert_rows(
    conn: &mut Tx,
    rows: &[Row<'_>],
    seq: i64,
) -> Result<HashSet<(i64, String)>> {
    let mut inserted = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        let mut qb = QueryBuilder::new(
            "INSERT INTO events \
             (message_id, kind, profile_id, at, event_id, variant, step, machine, link, seq) ",
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
                .push_bind(e.link.as_deref())
                .push_bind(seq);
        });
        qb.push(" ON CONFLICT DO NOTHING RETURNING message_id, event_id");
        let new: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        inserted.extend(new);
    }
    Ok(inserted)
}

pub(super) async fn save_stats(conn: &mut Tx, stats: &HashMap<StatKey, Aggregates>) -> Result<()> {
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
pub(super) async fn save_profile_times(
    conn: &mut Tx,
    column: &str,
    times: &HashMap<i64, i64>,
) -> Result<()> {
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
