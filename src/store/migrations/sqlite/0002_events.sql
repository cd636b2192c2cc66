-- Interaction events, user profiles and never-expiring aggregates.

-- One row per external user id. Never expires: "last received / last
-- engaged with any message" filters keep working after campaign data moves.
CREATE TABLE profiles (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id),
    external_id      TEXT    NOT NULL,
    last_received_at INTEGER,
    last_engaged_at  INTEGER,
    CONSTRAINT profiles_unique_external UNIQUE (workspace_id, external_id)
);

CREATE INDEX profiles_by_last_received ON profiles (workspace_id, last_received_at);
CREATE INDEX profiles_by_last_engaged ON profiles (workspace_id, last_engaged_at);

-- The hot per-user interaction data. Clustered on the key retargeting
-- queries walk (message, kind, user), so "received X but not opened X" is a
-- merge of two key ranges, and expiry deletes one contiguous range.
-- kind: 1 received, 2 opened, 3 clicked, 4 converted, 5 control.
CREATE TABLE events (
    message_id INTEGER NOT NULL,
    kind       INTEGER NOT NULL,
    profile_id INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    event_id   TEXT    NOT NULL,
    variant    INTEGER NOT NULL DEFAULT 0,
    step       INTEGER NOT NULL DEFAULT 0,
    machine    INTEGER NOT NULL DEFAULT 0,
    link       TEXT,
    PRIMARY KEY (message_id, kind, profile_id, at, event_id)
) WITHOUT ROWID;

-- The sender's idempotency key, per message: the same id twice is one event.
CREATE UNIQUE INDEX events_dedup ON events (message_id, event_id);

-- Per message, variant, step and UTC day. Maintained at ingest; never
-- expires, so analytics survive expiry.
CREATE TABLE daily_stats (
    message_id    INTEGER NOT NULL,
    variant       INTEGER NOT NULL,
    step          INTEGER NOT NULL,
    day           INTEGER NOT NULL,
    received      INTEGER NOT NULL DEFAULT 0,
    unique_opens  INTEGER NOT NULL DEFAULT 0,
    unique_clicks INTEGER NOT NULL DEFAULT 0,
    conversions   INTEGER NOT NULL DEFAULT 0,
    control       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, variant, step, day)
) WITHOUT ROWID;
