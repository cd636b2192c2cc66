//! Restore batches and jobs: requests and what the dashboard reads. The
//! worker's side is in `restore_jobs`.

use chrono::{DateTime, Utc};

use super::sql::{QueryBuilder, Tx, query, query_as, query_scalar};
use super::{Db, Workspace, from_ms, to_ms};
use crate::domain::{DataLocation, RestoreStep, plan_restore};
use crate::error::{Error, Result};
use crate::types::{RestoreBatch, RestoreJob, RestoreSkip};

/// How a request resolves before it is stored.
#[derive(Debug, Clone, Default)]
pub struct NewBatch {
    pub requested_by: String,
    pub requester_email: Option<String>,
    pub selection: String,
    pub message_ids: Vec<i64>,
    pub skipped: Vec<RestoreSkip>,
}

impl NewBatch {
    /// A request for exactly these messages, in the words the restore
    /// history shows ("message 7", "3 messages").
    pub fn for_messages(requested_by: String, email: Option<String>, mut ids: Vec<i64>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Self {
            requested_by,
            requester_email: email,
            selection: selection_of(&ids),
            message_ids: ids,
            skipped: Vec::new(),
        }
    }
}

/// How a list of messages reads in the restore history.
pub fn selection_of(ids: &[i64]) -> String {
    match ids {
        [one] => format!("message {one}"),
        many => format!("{} messages", many.len()),
    }
}

#[derive(sqlx::FromRow, Clone)]
struct JobRow {
    id: i64,
    message_id: i64,
    name: String,
    status: String,
    rows_total: i64,
    rows_loaded: i64,
    bytes_total: i64,
    error: Option<String>,
    attempts: i64,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

/// A job row with the batch it belongs to (a job can be in several).
#[derive(sqlx::FromRow)]
struct BatchJobRow {
    batch_id: i64,
    #[sqlx(flatten)]
    job: JobRow,
}

impl TryFrom<JobRow> for RestoreJob {
    type Error = Error;
    fn try_from(row: JobRow) -> Result<Self> {
        Ok(RestoreJob {
            id: row.id,
            message_id: row.message_id,
            message_name: row.name,
            status: row.status.parse()?,
            rows_total: row.rows_total,
            rows_loaded: row.rows_loaded,
            bytes_total: row.bytes_total,
            error: row.error,
            attempts: row.attempts,
            created_at: from_ms(row.created_at),
            started_at: row.started_at.map(from_ms),
            finished_at: row.finished_at.map(from_ms),
        })
    }
}

const JOB_COLUMNS: &str = "j.id, j.message_id, m.name, j.status, j.rows_total, j.rows_loaded, \
    j.bytes_total, j.error, j.attempts, j.created_at, j.started_at, j.finished_at";

impl Db {
    /// Stores a request (see [`insert_batch`]) in a transaction of its own.
    pub async fn create_restore_batch(
        &self,
        ws: &Workspace,
        new: &NewBatch,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let batch = insert_batch(&mut tx, ws, new, now).await?;
        tx.commit().await?;
        Ok(batch)
    }

    pub async fn restore_batch(&self, ws: &Workspace, id: i64) -> Result<RestoreBatch> {
        let found: Option<i64> =
            query_scalar("SELECT id FROM restore_batches WHERE id = ? AND workspace_id = ?")
                .bind(id)
                .bind(ws.id)
                .fetch_optional(self.pool())
                .await?;
        let id = found.ok_or_else(|| Error::not_found(format!("restore {id}")))?;
        self.restore_batches(&[id])
            .await?
            .pop()
            .ok_or_else(|| Error::not_found(format!("restore {id}")))
    }

    /// Newest first.
    pub async fn list_restore_batches(
        &self,
        ws: &Workspace,
        limit: i64,
    ) -> Result<Vec<RestoreBatch>> {
        let ids: Vec<i64> = query_scalar(
            "SELECT id FROM restore_batches WHERE workspace_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(ws.id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut batches = self.restore_batches(&ids).await?;
        batches.reverse();
        Ok(batches)
    }

    /// These batches with their jobs, in id order, in two reads whatever
    /// their number. Callers scope `ids` to a workspace.
    pub(crate) async fn restore_batches(&self, ids: &[i64]) -> Result<Vec<RestoreBatch>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(
            "SELECT id, requested_by, selection, skipped, created_at, finished_at \
             FROM restore_batches WHERE id IN (",
        );
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(") ORDER BY id");
        let rows: Vec<(i64, String, String, String, i64, Option<i64>)> =
            q.build_query_as().fetch_all(self.pool()).await?;
        let mut q = QueryBuilder::new(format!(
            "SELECT b.batch_id, {JOB_COLUMNS} FROM restore_batch_jobs b \
             JOIN restore_jobs j ON j.id = b.job_id JOIN messages m ON m.id = j.message_id \
             WHERE b.batch_id IN ("
        ));
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(") ORDER BY b.batch_id, j.id");
        let jobs: Vec<BatchJobRow> = q.build_query_as().fetch_all(self.pool()).await?;
        rows.into_iter()
            .map(
                |(id, requested_by, selection, skipped, created_at, finished_at)| {
                    Ok(RestoreBatch {
                        id,
                        requested_by,
                        selection,
                        created_at: from_ms(created_at),
                        finished_at: finished_at.map(from_ms),
                        jobs: jobs
                            .iter()
                            .filter(|row| row.batch_id == id)
                            .map(|row| RestoreJob::try_from(row.job.clone()))
                            .collect::<Result<_>>()?,
                        skipped: serde_json::from_str(&skipped).unwrap_or_default(),
                    })
                },
            )
            .collect()
    }

    /// The latest job of a message (the landing page's progress bar).
    pub async fn latest_restore_job(
        &self,
        ws: &Workspace,
        message_id: i64,
    ) -> Result<Option<RestoreJob>> {
        let row: Option<JobRow> = query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM restore_jobs j JOIN messages m ON m.id = j.message_id \
             WHERE j.message_id = ? AND j.workspace_id = ? ORDER BY j.id DESC LIMIT 1"
        ))
        .bind(message_id)
        .bind(ws.id)
        .fetch_optional(self.pool())
        .await?;
        row.map(RestoreJob::try_from).transpose()
    }

    /// Messages carrying `tag`, of any kind.
    pub async fn messages_with_tag(&self, ws: &Workspace, tag: &str) -> Result<Vec<i64>> {
        Ok(query_scalar(
            "SELECT mt.message_id FROM tags t JOIN message_tags mt ON mt.tag_id = t.id \
             WHERE t.workspace_id = ? AND t.name = ? ORDER BY mt.message_id",
        )
        .bind(ws.id)
        .bind(tag)
        .fetch_all(self.pool())
        .await?)
    }
}

fn skip(id: i64, reason: &str) -> RestoreSkip {
    RestoreSkip {
        message_id: id,
        reason: reason.into(),
    }
}

async fn active_job(conn: &mut Tx, message_id: i64) -> Result<Option<i64>> {
    Ok(query_scalar(
        "SELECT id FROM restore_jobs WHERE message_id = ? AND status IN ('queued', 'running')",
    )
    .bind(message_id)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn queue_job(conn: &mut Tx, ws: &Workspace, id: i64, now: DateTime<Utc>) -> Result<i64> {
    let (rows, bytes): (i64, i64) = query_as(
        "SELECT CAST(COALESCE(SUM(rows), 0) AS BIGINT), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) \
         FROM segments WHERE message_id = ?",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let job: i64 = query_scalar(
        "INSERT INTO restore_jobs (workspace_id, message_id, status, rows_total, bytes_total, created_at) \
         VALUES (?, ?, 'queued', ?, ?, ?) RETURNING id",
    )
    .bind(ws.id)
    .bind(id)
    .bind(rows)
    .bind(bytes)
    .bind(to_ms(now))
    .fetch_one(&mut *conn)
    .await?;
    query("UPDATE messages SET location = 'restoring' WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(job)
}

/// Stores a request inside the caller's transaction: a new job per expired
/// message, the running job for one already restoring, a reason for
/// everything else. Two identical requests never make two jobs, because
/// every write transaction runs alone.
pub(crate) async fn insert_batch(
    tx: &mut Tx,
    ws: &Workspace,
    new: &NewBatch,
    now: DateTime<Utc>,
) -> Result<i64> {
    // Writing first takes the write lock before anything is read.
    let batch: i64 = query_scalar(
            "INSERT INTO restore_batches (workspace_id, requested_by, requester_email, selection, created_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(ws.id)
        .bind(&new.requested_by)
        .bind(&new.requester_email)
        .bind(&new.selection)
        .bind(to_ms(now))
        .fetch_one(&mut *tx)
        .await?;
    let mut skipped = new.skipped.clone();
    let mut jobs = 0;
    for &id in &new.message_ids {
        let location = super::retention::location(tx, ws, id).await?;
        let running = match location {
            Some(DataLocation::Archived | DataLocation::Restoring) => active_job(tx, id).await?,
            _ => None,
        };
        let job = match plan_restore(location, running) {
            RestoreStep::Skip(reason) => {
                skipped.push(skip(id, reason.text()));
                continue;
            }
            RestoreStep::Join(job) => job,
            RestoreStep::Queue => queue_job(tx, ws, id, now).await?,
        };
        query(
                "INSERT INTO restore_batch_jobs (batch_id, job_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(batch)
            .bind(job)
            .execute(&mut *tx)
            .await?;
        jobs += 1;
    }
    let skipped_json = serde_json::to_string(&skipped).map_err(|_| Error::Internal)?;
    query(
            "UPDATE restore_batches SET skipped = ?, finished_at = CASE WHEN ? = 0 THEN ? END WHERE id = ?",
        )
        .bind(skipped_json)
        .bind(jobs)
        .bind(to_ms(now))
        .bind(batch)
        .execute(&mut *tx)
        .await?;
    let detail = format!(
        "restore batch {batch} ({}): {jobs} job(s), {} skipped",
        new.selection,
        skipped.len()
    );
    query(
            "INSERT INTO audit_log (workspace_id, at, actor, action, detail) VALUES (?, ?, ?, 'restore.request', ?)",
        )
        .bind(ws.id)
        .bind(to_ms(now))
        .bind(&new.requested_by)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
    Ok(batch)
}
