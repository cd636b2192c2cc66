-- Restores: a batch per request, one job per message, and a staging area
-- that makes a message's data visible all at once.

CREATE TABLE restore_batches (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    requested_by    TEXT    NOT NULL,
    -- Where the completion email goes; NULL for requests without a person.
    requester_email TEXT,
    selection       TEXT    NOT NULL,
    skipped         TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);

CREATE INDEX restore_batches_by_workspace ON restore_batches (workspace_id, id);

CREATE TABLE restore_jobs (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    message_id   INTEGER NOT NULL REFERENCES messages (id),
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    rows_total   INTEGER NOT NULL DEFAULT 0,
    rows_loaded  INTEGER NOT NULL DEFAULT 0,
    bytes_total  INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- The worker holding the job, until when; an expired lease is claimed
    -- again by any worker.
    lease_owner  TEXT,
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER
);

-- At most one unfinished job per message: asking again joins it.
CREATE UNIQUE INDEX restore_jobs_one_active ON restore_jobs (message_id)
    WHERE status IN ('queued', 'running');
CREATE INDEX restore_jobs_claimable ON restore_jobs (status, id);

-- A job can serve several batches (a second request joins a running job).
CREATE TABLE restore_batch_jobs (
    batch_id INTEGER NOT NULL REFERENCES restore_batches (id),
    job_id   INTEGER NOT NULL REFERENCES restore_jobs (id),
    PRIMARY KEY (batch_id, job_id)
) WITHOUT ROWID;

CREATE INDEX restore_batch_jobs_by_job ON restore_batch_jobs (job_id, batch_id);

-- Rows read from segments, waiting for the one transaction that moves
-- them into `events`. Cleared when a job restarts, fails or finishes.
CREATE TABLE restore_staging (
    job_id     INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    kind       INTEGER NOT NULL,
    profile_id INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    event_id   TEXT    NOT NULL,
    variant    INTEGER NOT NULL,
    step       INTEGER NOT NULL,
    machine    INTEGER NOT NULL,
    link       TEXT
);

CREATE INDEX restore_staging_by_job ON restore_staging (job_id);
