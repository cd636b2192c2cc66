//! The restore worker (DESIGN.md §1 "Restore"): it claims queued jobs,
//! loads each job's segments into staging, checking every checksum and row
//! count, then makes the data visible in one transaction. When a batch's
//! last job ends, its requester gets one email. Requests and previews are
//! the engine's use cases (`engine::restores`); this is the other side.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};
use crate::storage::{FaultPoint, LongTermStorage, SegmentReader};
use crate::store::{ClaimedJob, Db, MailDraft, Workspace};
use crate::types::{JobStatus, RestoreBatch};

/// How long a worker may hold a job without showing progress before
/// another worker takes it over (the default; see `with_lease`).
pub const LEASE: Duration = Duration::minutes(5);

/// Passing failures (storage unreachable) are retried this many times.
pub const MAX_ATTEMPTS: i64 = 5;

/// What one `run_once` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutcome {
    pub job_id: i64,
    pub message_id: i64,
    pub status: JobStatus,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct RestoreWorker {
    db: Db,
    archive: LongTermStorage,
    owner: String,
    public_url: String,
    lease: Duration,
}

impl RestoreWorker {
    pub fn new(db: Db, archive: LongTermStorage) -> Self {
        let owner = format!(
            "worker-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        Self {
            db,
            archive,
            owner,
            public_url: "http://127.0.0.1:3000".into(),
            lease: LEASE,
        }
    }

    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = url.into();
        self
    }

    /// A shorter lease lets a restarted process take over a killed one's
    /// job sooner; it must outlast the slowest row group's staging.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Names this worker in leases (tests run several).
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
    }

    /// Claims one job and runs it to its end; `None` when nothing is
    /// waiting. Also closes batches whose jobs have all ended.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Option<JobOutcome>> {
        self.finish_batches(now).await?;
        let started = Instant::now();
        let lease_until = |now: DateTime<Utc>| now + elapsed(started) + self.lease;
        let Some(job) = self
            .db
            .claim_restore_job(&self.owner, lease_until(now), now)
            .await?
        else {
            return Ok(None);
        };
        let loaded = self.load(&job, now, started).await;
        let outcome = match loaded {
            Ok(true) => {
                self.archive.faults().check(FaultPoint::BeforeCommit)?;
                let done = self
                    .db
                    .complete_restore_job(&job, &self.owner, now + elapsed(started))
                    .await?;
                outcome(&job, done.then_some(JobStatus::Succeeded), None)
            }
            Ok(false) => outcome(&job, None, None),
            Err(e) if is_permanent(&e) || job.attempts >= MAX_ATTEMPTS => {
                let reason = e.to_string();
                tracing::warn!(job = job.id, message = job.message_id, %reason, "restore failed");
                self.db
                    .fail_restore_job(&job, &self.owner, &reason, now)
                    .await?;
                outcome(&job, Some(JobStatus::Failed), Some(reason))
            }
            Err(e) => {
                tracing::warn!(job = job.id, error = %e, "restore interrupted; requeued");
                self.db
                    .release_restore_job(&job, &self.owner, &e.to_string(), now + elapsed(started))
                    .await?;
                outcome(&job, Some(JobStatus::Queued), Some(e.to_string()))
            }
        };
        self.finish_batches(now + elapsed(started)).await?;
        Ok(Some(outcome))
    }

    /// Reads every listed segment into staging. `Ok(false)`: the lease was
    /// lost to another worker, which now owns the job.
    async fn load(&self, job: &ClaimedJob, now: DateTime<Utc>, started: Instant) -> Result<bool> {
        for segment in self.db.segments(job.message_id).await? {
            let bytes = self.archive.get(&segment.path).await?;
            let reader = SegmentReader::open(bytes, &segment.checksum, segment.rows as u64)
                .map_err(|e| Error::conflict(format!("segment {}: {e}", segment.path)))?;
            for group in 0..reader.row_groups() {
                let rows = reader.read_row_group(group)?;
                let lease = now + elapsed(started) + self.lease;
                if !self
                    .db
                    .stage_restore_rows(job, &self.owner, &rows, lease)
                    .await?
                {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Closes every batch whose jobs have all ended, queuing its email in
    /// the same transaction. Safe to run anywhere, any number of times.
    pub async fn finish_batches(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut closed = 0;
        let ready = self.db.batches_ready_to_finish().await?;
        if ready.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = ready.iter().map(|(id, _, _)| *id).collect();
        let batches = self.db.restore_batches(&ids).await?;
        let mut workspaces: Vec<Workspace> = Vec::new();
        for ((_, workspace_id, email), batch) in ready.into_iter().zip(batches) {
            let ws = match workspaces.iter().find(|w| w.id == workspace_id) {
                Some(ws) => ws.clone(),
                None => {
                    let ws = self.db.workspace(workspace_id).await?;
                    workspaces.push(ws.clone());
                    ws
                }
            };
            let mail = email.map(|to| completion_mail(&batch, to, &self.public_url));
            if self
                .db
                .finish_restore_batch(&ws, &batch, mail.as_ref(), now)
                .await?
            {
                closed += 1;
            }
        }
        Ok(closed)
    }
}

fn elapsed(started: Instant) -> Duration {
    Duration::from_std(started.elapsed()).unwrap_or_default()
}

/// Missing or damaged data will not heal by retrying; storage outages and
/// database hiccups might.
fn is_permanent(e: &Error) -> bool {
    matches!(
        e,
        Error::Conflict(_) | Error::Invalid(_) | Error::NotFound(_)
    )
}

fn outcome(job: &ClaimedJob, status: Option<JobStatus>, error: Option<String>) -> JobOutcome {
    JobOutcome {
        job_id: job.id,
        message_id: job.message_id,
        status: status.unwrap_or(JobStatus::Running),
        error,
    }
}

/// The one email a batch sends when it ends.
pub fn completion_mail(batch: &RestoreBatch, to: String, public_url: &str) -> MailDraft {
    let base = public_url.trim_end_matches('/');
    let ok = batch
        .jobs
        .iter()
        .filter(|j| j.status == JobStatus::Succeeded)
        .count();
    let failed = batch.jobs.len() - ok;
    let mut text = format!(
        "Your restore of {} ({}) has finished: {ok} restored, {failed} failed.\n\n",
        batch.selection,
        plural(batch.jobs.len(), "message")
    );
    for job in &batch.jobs {
        let line = match job.status {
            JobStatus::Succeeded => format!(
                "- {}: restored, {} events available for retargeting",
                job.message_name, job.rows_total
            ),
            _ => format!(
                "- {}: failed: {}",
                job.message_name,
                job.error.as_deref().unwrap_or("unknown error")
            ),
        };
        text.push_str(&format!("{line}\n  {base}/messages/{}\n", job.message_id));
    }
    if failed > 0 {
        text.push_str(&format!(
            "\nFailed restores leave the data in long-term storage; retry them from {base}/restores\n"
        ));
    }
    text.push_str(
        "\nRestored data expires again after a full retention window without activity.\n",
    );
    MailDraft {
        key: format!("restore-batch-{}@recall", batch.id),
        recipients: vec![to],
        subject: format!(
            "Recall: restore of {} finished ({ok} of {} restored)",
            batch.selection,
            batch.jobs.len()
        ),
        text,
        html: None,
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
