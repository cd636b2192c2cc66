//! The change sequence (migration 0009): what segment bitmaps read to
//! follow the rows. Writers stamp rows with [`next_seq`]; readers ask for
//! everything after the number they have applied, in one snapshot.

pub(crate) use super::sql::Tx;
use super::sql::{QueryBuilder, query, query_as, query_scalar};
use super::{Db, Workspace};
use crate::error::Result;

/// One event row as far as a filter can tell: who, which message, what
/// kind, when, and the attributes filters narrow by.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FactRow {
    pub message_id: i64,
    pub kind: i64,
    pub profile_id: i64,
    pub at: i64,
    pub variant: i64,
    pub step: i64,
    pub machine: i64,
    pub link: Option<String>,
    /// The change that wrote it.
    pub seq: i64,
}

/// A user profile's never-expiring times.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProfileRow {
    pub workspace_id: i64,
    pub id: i64,
    pub last_received_at: Option<i64>,
    pub last_engaged_at: Option<i64>,
}

/// What a filter names besides rows: step and variant numbers, tagged
/// messages.
#[derive(Debug, Default, Clone)]
pub struct FilterCatalog {
    /// `(message, key) -> ord`.
    pub steps: Vec<(i64, String, i64)>,
    pub variants: Vec<(i64, String, i64)>,
    /// `(tag, message)` for the tags asked about, in the workspace.
    pub tagged: Vec<(String, i64)>,
    /// Of the messages and tags asked about, those the workspace has.
    pub messages: Vec<i64>,
    pub tags: Vec<String>,
}

const FACT_COLUMNS: &str = "message_id, kind, profile_id, at, variant, step, machine, link, seq";

/// Takes the next change number inside a write transaction. Every writer
/// updates the one row, so the numbers commit in the order they are taken.
pub(crate) async fn next_seq(tx: &mut Tx) -> Result<i64> {
    Ok(
        query_scalar("UPDATE data_seq SET seq = seq + 1 WHERE id = 1 RETURNING seq")
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// Records that `message_id`'s hot rows were replaced wholesale at change
/// `seq` (expired, or restored): followers reload them rather than apply
/// them one by one.
pub(crate) async fn record_reload(tx: &mut Tx, seq: i64, message_id: i64) -> Result<()> {
    query("INSERT INTO data_changes (seq, message_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .bind(seq)
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The last change number committed.
pub(crate) async fn current_seq(tx: &mut Tx) -> Result<i64> {
    Ok(query_scalar("SELECT seq FROM data_seq WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?)
}

/// Every message id (hot or not: an expired one simply has no rows).
pub(crate) async fn all_message_ids(tx: &mut Tx) -> Result<Vec<i64>> {
    Ok(query_scalar("SELECT id FROM messages ORDER BY id")
        .fetch_all(&mut *tx)
        .await?)
}

/// The hot rows of one message, in key order (kind, profile, time).
pub(crate) async fn message_rows(tx: &mut Tx, message_id: i64) -> Result<Vec<FactRow>> {
    Ok(query_as(&format!(
        "SELECT {FACT_COLUMNS} FROM events WHERE message_id = ? ORDER BY kind, profile_id, at"
    ))
    .bind(message_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// Rows stamped after `after`, up to and including `upto`.
pub(crate) async fn rows_between(tx: &mut Tx, after: i64, upto: i64) -> Result<Vec<FactRow>> {
    Ok(query_as(&format!(
        "SELECT {FACT_COLUMNS} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq"
    ))
    .bind(after)
    .bind(upto)
    .fetch_all(&mut *tx)
    .await?)
}

/// `(seq, message)` of the messages whose rows were replaced after
/// `after`, up to `upto`.
pub(crate) async fn reloaded_between(
    tx: &mut Tx,
    after: i64,
    upto: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(query_as(
        "SELECT seq, message_id FROM data_changes WHERE seq > ? AND seq <= ? ORDER BY seq, message_id",
    )
    .bind(after)
    .bind(upto)
    .fetch_all(&mut *tx)
    .await?)
}

const PROFILE_COLUMNS: &str = "workspace_id, id, last_received_at, last_engaged_at";

/// Up to `limit` profiles with ids after `after`, in id order (a full
/// build reads them a page at a time, to keep its memory flat).
pub(crate) async fn profiles_after(tx: &mut Tx, after: i64, limit: i64) -> Result<Vec<ProfileRow>> {
    Ok(query_as(&format!(
        "SELECT {PROFILE_COLUMNS} FROM profiles WHERE id > ? ORDER BY id LIMIT ?"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?)
}

/// Profiles created after `after`, up to `upto` (with their times now).
pub(crate) async fn profiles_between(
    tx: &mut Tx,
    after: i64,
    upto: i64,
) -> Result<Vec<ProfileRow>> {
    Ok(query_as(&format!(
        "SELECT {PROFILE_COLUMNS} FROM profiles WHERE seq > ? AND seq <= ? ORDER BY id"
    ))
    .bind(after)
    .bind(upto)
    .fetch_all(&mut *tx)
    .await?)
}

impl Db {
    /// The last change number committed, outside any transaction: the
    /// cheap check before a segment count that nothing is new.
    pub(crate) async fn data_seq(&self) -> Result<i64> {
        Ok(query_scalar("SELECT seq FROM data_seq WHERE id = 1")
            .fetch_one(self.pool())
            .await?)
    }

    /// Steps and variants of `messages`, and the messages of `tags`, in `ws`.
    pub(crate) async fn filter_catalog(
        &self,
        ws: &Workspace,
        messages: &[i64],
        tags: &[String],
    ) -> Result<FilterCatalog> {
        let mut catalog = FilterCatalog::default();
        if !messages.is_empty() {
            let mut qb = QueryBuilder::new("SELECT id FROM messages WHERE workspace_id = ");
            qb.push_bind(ws.id).push(" AND id IN (");
            let mut ids = qb.separated(", ");
            for id in messages {
                ids.push_bind(*id);
            }
            qb.push(")");
            catalog.messages = qb.build_query_scalar().fetch_all(self.pool()).await?;
            for (table, into) in [
                ("steps", &mut catalog.steps),
                ("variants", &mut catalog.variants),
            ] {
                let mut qb = QueryBuilder::new(format!(
                    "SELECT message_id, key, ord FROM {table} WHERE message_id IN ("
                ));
                let mut ids = qb.separated(", ");
                for id in messages {
                    ids.push_bind(*id);
                }
                qb.push(")");
                *into = qb.build_query_as().fetch_all(self.pool()).await?;
            }
        }
        if !tags.is_empty() {
            let mut qb = QueryBuilder::new(
                "SELECT t.name, mt.message_id FROM tags t JOIN message_tags mt ON mt.tag_id = t.id \
                 WHERE t.workspace_id = ",
            );
            qb.push_bind(ws.id).push(" AND t.name IN (");
            let mut names = qb.separated(", ");
            for tag in tags {
                names.push_bind(tag.as_str());
            }
            qb.push(")");
            catalog.tagged = qb.build_query_as().fetch_all(self.pool()).await?;
            let mut qb = QueryBuilder::new("SELECT name FROM tags WHERE workspace_id = ");
            qb.push_bind(ws.id).push(" AND name IN (");
            let mut names = qb.separated(", ");
            for tag in tags {
                names.push_bind(tag.as_str());
            }
            qb.push(")");
            catalog.tags = qb.build_query_scalar().fetch_all(self.pool()).await?;
        }
        Ok(catalog)
    }

    /// External ids of `profiles`, in the order given.
    pub(crate) async fn external_ids(&self, profiles: &[u32]) -> Result<Vec<(i64, String)>> {
        let mut found: Vec<(i64, String)> = Vec::with_capacity(profiles.len());
        for chunk in profiles.chunks(2000) {
            let mut qb = QueryBuilder::new("SELECT id, external_id FROM profiles WHERE id IN (");
            let mut ids = qb.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            qb.push(") ORDER BY id");
            found.extend(
                qb.build_query_as::<(i64, String)>()
                    .fetch_all(self.pool())
                    .await?,
            );
        }
        Ok(found)
    }
}
