-- Long-term storage manifest, expiry warnings and the outgoing-mail queue.

-- One row per immutable Parquet segment in the object store. A segment is
-- only listed here after it was written and read back; an object without a
-- row here is an orphan that garbage collection removes. Rows stay while a
-- restored message is hot, so a re-expiry with no new events rewrites
-- nothing.
CREATE TABLE segments (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    message_id   INTEGER NOT NULL REFERENCES messages (id),
    path         TEXT    NOT NULL UNIQUE,
    rows         INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    -- Lowercase hex SHA-256 of the whole file.
    checksum     TEXT    NOT NULL,
    min_at       INTEGER NOT NULL,
    max_at       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE INDEX segments_by_message ON segments (message_id);

-- A segment being written. The row is committed before the object is put
-- and removed in the same transaction that lists the segment, so garbage
-- collection can tell "being written" from "orphaned" without a race: an
-- object named by neither table is an orphan.
CREATE TABLE pending_segments (
    path       TEXT    PRIMARY KEY,
    message_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Which expiry date an admin was already warned about, so each warning goes
-- out once even though every scheduler pass looks ahead.
CREATE TABLE expiry_warnings (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    warned_at  INTEGER NOT NULL,
    PRIMARY KEY (message_id, expires_at)
) WITHOUT ROWID;

-- Mail is queued in the same transaction as the change it reports and
-- delivered afterwards, so a crash never loses an email. `key` is the
-- deterministic Message-ID: queuing the same mail twice is one mail.
CREATE TABLE outgoing_mail (
    id         INTEGER PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE,
    recipients TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    body_text  TEXT    NOT NULL,
    body_html  TEXT,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);

CREATE INDEX outgoing_mail_pending ON outgoing_mail (sent_at, id);
