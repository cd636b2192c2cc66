//! Restore batches and jobs: requests, the worker's lease, staging and the
//! one transaction that makes a message's data visible.

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{Db, Workspace, from_ms, to_ms};
use crate::archive::ArchivedEvent;
use crate::error::{Error, Result};
use crate::types::{JobStatus, RestoreBatch, RestoreJob, RestoreSkip};

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub workspace_id: i64,
    pub message_id: i64,
    pub attempts: i64,
}

/// How a request resolves before it is stored.
#[derive(Debug, Clone, Default)]
pub struct NewBatch {
    pub requested_by: String,
    pub requester_email: Option<String>,
    pub selection: String,
    pub message_ids: Vec<i64>,
    pub skipped: Vec<RestoreSkip>,
}

#[derive(sqlx::FromRow)]
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
    /// Stores a request: a new job per expired message, the running job
    /// for one already restoring, a reason for everything else. One
    /// transaction, so two identical requests never make two jobs.
    pub async fn create_restore_batch(
        &self,
        ws: &Workspace,
        new: &NewBatch,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        // Writing first takes the write lock before anything is read.
        let batch: i64 = sqlx::query_scalar(
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
            let location: Option<String> = sqlx::query_scalar(
                "SELECT location FROM messages WHERE id = ? AND workspace_id = ?",
            )
            .bind(id)
            .bind(ws.id)
            .fetch_optional(&mut *tx)
            .await?;
            let job = match location.as_deref() {
                None => {
                    skipped.push(skip(id, "message not found"));
                    continue;
                }
                Some("hot") => {
                    skipped.push(skip(
                        id,
                        "interaction data is not expired; nothing to restore",
                    ));
                    continue;
                }
                Some(_) => active_job(&mut tx, id).await?,
            };
            let job = match job {
                Some(job) => job,
                None => queue_job(&mut tx, ws, id, now).await?,
            };
            sqlx::query(
                "INSERT OR IGNORE INTO restore_batch_jobs (batch_id, job_id) VALUES (?, ?)",
            )
            .bind(batch)
            .bind(job)
            .execute(&mut *tx)
            .await?;
            jobs += 1;
        }
        let skipped_json = serde_json::to_string(&skipped).map_err(|_| Error::Internal)?;
        sqlx::query(
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
        sqlx::query(
            "INSERT INTO audit_log (workspace_id, at, actor, action, detail) VALUES (?, ?, ?, 'restore.request', ?)",
        )
        .bind(ws.id)
        .bind(to_ms(now))
        .bind(&new.requested_by)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(batch)
    }

    pub async fn restore_batch(&self, ws: &Workspace, id: i64) -> Result<RestoreBatch> {
        let row: Option<(i64, String, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, requested_by, selection, skipped, created_at, finished_at \
             FROM restore_batches WHERE id = ? AND workspace_id = ?",
        )
        .bind(id)
        .bind(ws.id)
        .fetch_optional(self.pool())
        .await?;
        let (id, requested_by, selection, skipped, created_at, finished_at) =
            row.ok_or_else(|| Error::not_found(format!("restore {id}")))?;
        let jobs: Vec<JobRow> = sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM restore_batch_jobs b JOIN restore_jobs j ON j.id = b.job_id \
             JOIN messages m ON m.id = j.message_id WHERE b.batch_id = ? ORDER BY j.id"
        ))
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(RestoreBatch {
            id,
            requested_by,
            selection,
            created_at: from_ms(created_at),
            finished_at: finished_at.map(from_ms),
            jobs: jobs
                .into_iter()
                .map(RestoreJob::try_from)
                .collect::<Result<_>>()?,
            skipped: serde_json::from_str(&skipped).unwrap_or_default(),
        })
    }

    /// Newest first.
    pub async fn list_restore_batches(
        &self,
        ws: &Workspace,
        limit: i64,
    ) -> Result<Vec<RestoreBatch>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM restore_batches WHERE workspace_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(ws.id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.restore_batch(ws, id).await?);
        }
        Ok(out)
    }

    /// The latest job of a message (the landing page's progress bar).
    pub async fn latest_restore_job(
        &self,
        ws: &Workspace,
        message_id: i64,
    ) -> Result<Option<RestoreJob>> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
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
        Ok(sqlx::query_scalar(
            "SELECT mt.message_id FROM tags t JOIN message_tags mt ON mt.tag_id = t.id \
             WHERE t.workspace_id = ? AND t.name = ? ORDER BY mt.message_id",
        )
        .bind(ws.id)
        .bind(tag)
        .fetch_all(self.pool())
        .await?)
    }

    /// Takes the oldest queued job, or one whose worker's lease ran out.
    /// Its staging is cleared: a job always loads from the start.
    pub async fn claim_restore_job(
        &self,
        owner: &str,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>> {
        let mut tx = self.write_tx().await?;
        let claimed: Option<(i64, i64, i64, i64)> = sqlx::query_as(
            "UPDATE restore_jobs SET status = 'running', lease_owner = ?, lease_until = ?, \
             attempts = attempts + 1, rows_loaded = 0, started_at = COALESCE(started_at, ?) \
             WHERE id = (SELECT id FROM restore_jobs WHERE status = 'queued' \
                OR (status = 'running' AND lease_until < ?) ORDER BY id LIMIT 1) \
             RETURNING id, workspace_id, message_id, attempts",
        )
        .bind(owner)
        .bind(to_ms(lease_until))
        .bind(to_ms(now))
        .bind(to_ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, ..)) = claimed {
            clear_staging(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(
            claimed.map(|(id, workspace_id, message_id, attempts)| ClaimedJob {
                id,
                workspace_id,
                message_id,
                attempts,
            }),
        )
    }

    /// Adds rows to a job's staging and renews its lease. `false` means
    /// the lease was lost (another worker took the job): stop.
    pub async fn stage_restore_rows(
        &self,
        job: &ClaimedJob,
        owner: &str,
        rows: &[ArchivedEvent],
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let held = sqlx::query(
            "UPDATE restore_jobs SET rows_loaded = rows_loaded + ?, lease_until = ? \
             WHERE id = ? AND lease_owner = ? AND status = 'running'",
        )
        .bind(rows.len() as i64)
        .bind(to_ms(lease_until))
        .bind(job.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !held {
            return Ok(false);
        }
        // 10 columns a row; SQLite allows 32,766 parameters a statement.
        for chunk in rows.chunks(3000) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO restore_staging (job_id, message_id, kind, profile_id, at, event_id, \
                 variant, step, machine, link) ",
            );
            qb.push_values(chunk, |mut b, row| {
                b.push_bind(job.id)
                    .push_bind(job.message_id)
                    .push_bind(row.kind)
                    .push_bind(row.profile_id)
                    .push_bind(row.at)
                    .push_bind(&row.event_id)
                    .push_bind(row.variant)
                    .push_bind(row.step)
                    .push_bind(row.machine)
                    .push_bind(&row.link);
            });
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Moves the staged rows into `events` and makes the message hot with
    /// a fresh window, in one transaction. Rows already hot (events that
    /// arrived while it was expired) are kept once.
    pub async fn complete_restore_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let held = sqlx::query(
            "UPDATE restore_jobs SET status = 'succeeded', finished_at = ?, lease_owner = NULL, \
             lease_until = NULL, error = NULL WHERE id = ? AND lease_owner = ? AND status = 'running'",
        )
        .bind(to_ms(now))
        .bind(job.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !held {
            return Ok(false);
        }
        sqlx::query(
            "INSERT OR IGNORE INTO events (message_id, kind, profile_id, at, event_id, variant, step, machine, link) \
             SELECT message_id, kind, profile_id, at, event_id, variant, step, machine, link \
             FROM restore_staging WHERE job_id = ? ORDER BY kind, profile_id, at, event_id",
        )
        .bind(job.id)
        .execute(&mut *tx)
        .await?;
        clear_staging(&mut tx, job.id).await?;
        sqlx::query(
            "UPDATE messages SET location = 'hot', expired_at = NULL, \
             last_activity_at = MAX(last_activity_at, ?) WHERE id = ?",
        )
        .bind(to_ms(now))
        .bind(job.message_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ends a job for good: the message stays expired and says why.
    pub async fn fail_restore_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.end_job(job, owner, Some(reason), now, "failed").await
    }

    /// Gives a job back to the queue after a passing problem.
    pub async fn release_restore_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        reason: &str,
    ) -> Result<bool> {
        self.end_job(job, owner, Some(reason), Utc::now(), "queued")
            .await
    }

    async fn end_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
        status: &str,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let finished = (status == "failed").then(|| to_ms(now));
        let held = sqlx::query(
            "UPDATE restore_jobs SET status = ?, error = ?, finished_at = ?, lease_owner = NULL, \
             lease_until = NULL, rows_loaded = 0 WHERE id = ? AND lease_owner = ? AND status = 'running'",
        )
        .bind(status)
        .bind(reason)
        .bind(finished)
        .bind(job.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if held {
            clear_staging(&mut tx, job.id).await?;
            if status == "failed" {
                sqlx::query(
                    "UPDATE messages SET location = 'archived' WHERE id = ? AND location = 'restoring'",
                )
                .bind(job.message_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(held)
    }

    /// Batches whose jobs have all ended but that were not closed yet.
    pub async fn batches_ready_to_finish(&self) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT b.id, b.workspace_id FROM restore_batches b WHERE b.finished_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM restore_batch_jobs bj JOIN restore_jobs j ON j.id = bj.job_id \
                WHERE bj.batch_id = b.id AND j.status IN ('queued', 'running')) ORDER BY b.id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Closes a batch and queues its email together; `false` when another
    /// worker closed it first (so the email goes out once).
    pub async fn finish_restore_batch(
        &self,
        ws: &Workspace,
        batch: &RestoreBatch,
        mail: Option<&super::MailDraft>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let closed = sqlx::query(
            "UPDATE restore_batches SET finished_at = ? WHERE id = ? AND finished_at IS NULL",
        )
        .bind(to_ms(now))
        .bind(batch.id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !closed {
            return Ok(false);
        }
        if let Some(mail) = mail {
            super::queue_mail(&mut tx, mail, now).await?;
        }
        let ok = batch
            .jobs
            .iter()
            .filter(|j| j.status == JobStatus::Succeeded)
            .count();
        let rows: i64 = batch.jobs.iter().map(|j| j.rows_total).sum();
        let seconds = (now - batch.created_at).num_seconds();
        let detail = format!(
            "restore batch {} ({}): {ok} of {} restored, {rows} rows, {seconds} s",
            batch.id,
            batch.selection,
            batch.jobs.len()
        );
        sqlx::query(
            "INSERT INTO audit_log (workspace_id, at, actor, action, detail) VALUES (?, ?, ?, 'restore.finish', ?)",
        )
        .bind(ws.id)
        .bind(to_ms(now))
        .bind(&batch.requested_by)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn batch_requester_email(&self, id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT requester_email FROM restore_batches WHERE id = ?")
                .bind(id)
                .fetch_optional(self.pool())
                .await?
                .flatten(),
        )
    }
}

fn skip(id: i64, reason: &str) -> RestoreSkip {
    RestoreSkip {
        message_id: id,
        reason: reason.into(),
    }
}

async fn active_job(conn: &mut SqliteConnection, message_id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM restore_jobs WHERE message_id = ? AND status IN ('queued', 'running')",
    )
    .bind(message_id)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn queue_job(
    conn: &mut SqliteConnection,
    ws: &Workspace,
    id: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (rows, bytes): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(rows), 0), COALESCE(SUM(bytes), 0) FROM segments WHERE message_id = ?",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let job: i64 = sqlx::query_scalar(
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
    sqlx::query("UPDATE messages SET location = 'restoring' WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(job)
}

async fn clear_staging(conn: &mut SqliteConnection, job: i64) -> Result<()> {
    sqlx::query("DELETE FROM restore_staging WHERE job_id = ?")
        .bind(job)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
