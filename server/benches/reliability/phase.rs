//! Where a kill landed. The server logs every SQL statement it completes
//! (`sqlx::query=debug`, JSON lines), so after a SIGKILL the tail of its
//! log says what each worker was doing; what SQL cannot show (an object
//! written, a transaction made durable) is read from the data directory.

/// One step of a move, per worker. A kill lands in one step of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    ExpiryIdle,
    ExpiryPlan,
    ExpiryWrite,
    ExpiryVerify,
    ExpiryCommit,
    ExpiryCleanup,
    ExpiryGc,
    RestoreIdle,
    RestoreClaim,
    RestoreStage,
    RestoreCommit,
    BatchIdle,
    BatchClose,
    EmailQueued,
    EmailWritten,
}

impl Step {
    pub const ALL: [Step; 15] = [
        Step::ExpiryPlan,
        Step::ExpiryWrite,
        Step::ExpiryVerify,
        Step::ExpiryCommit,
        Step::ExpiryCleanup,
        Step::ExpiryGc,
        Step::ExpiryIdle,
        Step::RestoreClaim,
        Step::RestoreStage,
        Step::RestoreCommit,
        Step::RestoreIdle,
        Step::BatchClose,
        Step::EmailQueued,
        Step::EmailWritten,
        Step::BatchIdle,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Step::ExpiryPlan => "expiry: choose messages, open the snapshot",
            Step::ExpiryWrite => "expiry: announce and write the segment",
            Step::ExpiryVerify => "expiry: read the segment back and verify it",
            Step::ExpiryCommit => {
                "expiry: commit transaction (list segment, delete hot rows), not yet durable"
            }
            Step::ExpiryCleanup => "expiry: committed; deleting superseded segments, digest",
            Step::ExpiryGc => "expiry: garbage collection",
            Step::ExpiryIdle => "expiry: between passes",
            Step::RestoreClaim => "restore: claim job, clear staging, fetch segment",
            Step::RestoreStage => "restore: stage row groups",
            Step::RestoreCommit => "restore: make visible (one transaction), not yet durable",
            Step::RestoreIdle => "restore: no job in hand",
            Step::BatchClose => "batch: close and queue the email (one transaction)",
            Step::EmailQueued => "email: queued, not yet written",
            Step::EmailWritten => "email: written to the outbox, not yet marked sent",
            Step::BatchIdle => "batch/email: nothing pending",
        }
    }
}

/// What to wait for in the live log before a targeted kill, and how long
/// after it (at most, in ms) the kill may come.
pub fn target(step: Step) -> Option<(&'static str, u64)> {
    Some(match step {
        Step::ExpiryPlan => ("m.location = 'hot' AND m.status IN", 40),
        Step::ExpiryWrite => ("INSERT INTO pending_segments", 400),
        Step::ExpiryCommit => ("UPDATE messages SET location = location", 25),
        Step::ExpiryCleanup => ("action, detail) VALUES (?, ?, ?, ?, ?)", 4),
        Step::ExpiryGc => ("SELECT path FROM segments UNION ALL", 3),
        Step::RestoreClaim => ("DELETE FROM restore_staging", 10),
        Step::RestoreStage => ("INSERT INTO restore_staging", 120),
        Step::RestoreCommit => ("UPDATE restore_jobs SET status = 'succeeded'", 30),
        Step::BatchClose => ("UPDATE restore_batches SET finished_at", 3),
        Step::EmailQueued => ("'restore.finish'", 3000),
        Step::EmailWritten => ("mail written to outbox", 1),
        _ => return None,
    })
}

/// Facts from the data directory after the kill, for this life.
pub struct After {
    /// A segment announced in this life has its object in place.
    pub announced_object_exists: bool,
    /// Moves committed (audit rows) in this life.
    pub moves_committed: usize,
    /// Jobs made visible in this life.
    pub jobs_committed: usize,
    /// Batches closed in this life.
    pub batches_closed: usize,
    /// Restore emails queued and not yet marked sent.
    pub mail_pending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Landed {
    pub expiry: Step,
    pub restore: Step,
    pub batch: Step,
}

fn count(line: &str, field: &str) -> i64 {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v["fields"][field].as_i64())
        .unwrap_or(0)
}

/// Replays the life's log through three small state machines.
pub fn classify(log: &str, after: &After) -> Landed {
    let (mut expiry, mut restore, mut batch) =
        (Step::ExpiryIdle, Step::RestoreIdle, Step::BatchIdle);
    let (mut commits, mut commit_counts, mut job_commits, mut closes) = (0, 0, 0, 0);
    for line in log.lines() {
        let has = |s: &str| line.contains(s);
        // Expiry.
        if has("m.location = 'archived' AND EXISTS") || has("m.location = 'hot' AND m.status IN") {
            expiry = Step::ExpiryPlan;
        } else if has("INSERT INTO pending_segments") {
            expiry = Step::ExpiryWrite;
        } else if has("UPDATE messages SET location = location") {
            expiry = Step::ExpiryCommit;
            commits += 1;
            commit_counts = 0;
        } else if has("SELECT COUNT(*) FROM events WHERE message_id") {
            // The commit re-counts once; a second count is the next snapshot.
            commit_counts += 1;
            if expiry != Step::ExpiryCommit || commit_counts > 1 {
                expiry = Step::ExpiryPlan;
            }
        } else if has("SELECT path FROM segments UNION ALL") {
            expiry = Step::ExpiryGc;
        } else if has("SELECT path FROM pending_segments WHERE created_at") {
            expiry = Step::ExpiryIdle;
        }
        // Restore worker.
        if has("UPDATE restore_jobs SET status = 'running'") && count(line, "rows_returned") > 0 {
            restore = Step::RestoreClaim;
        } else if has("INSERT INTO restore_staging") {
            restore = Step::RestoreStage;
        } else if has("UPDATE restore_jobs SET status = 'succeeded'")
            && count(line, "rows_affected") > 0
        {
            restore = Step::RestoreCommit;
            job_commits += 1;
        } else if has("restore job ended") {
            restore = Step::RestoreIdle;
        }
        // Batches and their email.
        if has("UPDATE restore_batches SET finished_at") && count(line, "rows_affected") > 0 {
            batch = Step::BatchClose;
            closes += 1;
        } else if has("mail written to outbox") {
            batch = Step::EmailWritten;
        } else if has("UPDATE outgoing_mail SET sent_at") {
            batch = Step::BatchIdle;
        }
    }
    if expiry == Step::ExpiryWrite && after.announced_object_exists {
        expiry = Step::ExpiryVerify;
    }
    if expiry == Step::ExpiryCommit && after.moves_committed >= commits {
        expiry = Step::ExpiryCleanup;
    }
    if restore == Step::RestoreCommit && after.jobs_committed >= job_commits {
        // Made visible; what follows is closing batches.
        restore = Step::RestoreIdle;
    }
    if batch == Step::BatchClose && after.batches_closed >= closes {
        batch = Step::BatchIdle;
    }
    if batch == Step::BatchIdle && after.mail_pending {
        batch = Step::EmailQueued;
    }
    Landed {
        expiry,
        restore,
        batch,
    }
}
