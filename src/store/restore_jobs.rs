//! The restore worker's side of the tables: claiming a job under a lease,
//! staging rows, and the one transaction that makes them visible; closing
//! a batch together with its email.

use chrono::{DateTime, Utc};

use super::sql::{QueryBuilder, Tx, query, query_as};
use super::{Db, Workspace, to_ms};
use crate::error::Result;
use crate::storage::ArchivedEvent;
use crate::types::{JobStatus, RestoreBatch};

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub workspace_id: i64,
    pub message_id: i64,
    pub attempts: i64,
}

impl Db {
    /// Takes the oldest queued job, or one whose worker's lease ran out.
    /// Its staging is cleared: a job always loads from the start.
    ///
    /// On PostgreSQL several processes claim at once without waiting for
    /// each other or for other writers: each skips the rows another is
    /// claiming (`FOR UPDATE SKIP LOCKED`). SQLite has one writer at a
    /// time, so there the plain subquery is already atomic.
    pub async fn claim_restore_job(
        &self,
        owner: &str,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>> {
        let mut tx = self.concurrent_tx().await?;
        let skip_locked = if tx.is_postgres() {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let claimed: Option<(i64, i64, i64, i64)> = query_as(&format!(
            "UPDATE restore_jobs SET status = 'running', lease_owner = ?, lease_until = ?, \
             attempts = attempts + 1, rows_loaded = 0, started_at = COALESCE(started_at, ?) \
             WHERE id = (SELECT id FROM restore_jobs WHERE status = 'queued' \
                OR (status = 'running' AND lease_until < ?) ORDER BY id LIMIT 1{skip_locked}) \
             RETURNING id, workspace_id, message_id, attempts",
        ))
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
        let held = query(
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
            let mut qb = QueryBuilder::new(
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
        let held = query(
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
        // Staged in segment order, which is the table's key order, so the
        // copy needs no sort.
        // Stamped so the segment bitmaps take the rows in this same commit.
        let seq = super::changes::next_seq(&mut tx).await?;
        query(
            "INSERT INTO events (message_id, kind, profile_id, at, event_id, variant, step, machine, link, seq) \
             SELECT message_id, kind, profile_id, at, event_id, variant, step, machine, link, ? \
             FROM restore_staging WHERE job_id = ? ON CONFLICT DO NOTHING",
        )
        .bind(seq)
        .bind(job.id)
        .execute(&mut *tx)
        .await?;
        super::changes::record_reload(&mut tx, seq, job.message_id).await?;
        clear_staging(&mut tx, job.id).await?;
        query(
            "UPDATE messages SET location = 'hot', expired_at = NULL, \
             last_activity_at = CASE WHEN last_activity_at < ?1 THEN ?1 ELSE last_activity_at END \
             WHERE id = ?2",
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
        self.end_job(job, owner, Some(reason), now, JobStatus::Failed)
            .await
    }

    /// Gives a job back to the queue after a passing problem.
    pub async fn release_restore_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.end_job(job, owner, Some(reason), now, JobStatus::Queued)
            .await
    }

    async fn end_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
        status: JobStatus,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let finished = (status == JobStatus::Failed).then(|| to_ms(now));
        let held = query(
            "UPDATE restore_jobs SET status = ?, error = ?, finished_at = ?, lease_owner = NULL, \
             lease_until = NULL, rows_loaded = 0 WHERE id = ? AND lease_owner = ? AND status = 'running'",
        )
        .bind(status.as_str())
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
            if status == JobStatus::Failed {
                query(
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
    /// Open batches none of whose jobs is queued or running, as
    /// `(batch, workspace, requester email)`.
    pub async fn batches_ready_to_finish(&self) -> Result<Vec<(i64, i64, Option<String>)>> {
        Ok(query_as(
            "SELECT b.id, b.workspace_id, b.requester_email FROM restore_batches b WHERE b.finished_at IS NULL \
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
        let closed = query(
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
        query(
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
}

pub(super) async fn clear_staging(conn: &mut Tx, job: i64) -> Result<()> {
    query("DELETE FROM restore_staging WHERE job_id = ?")
        .bind(job)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
