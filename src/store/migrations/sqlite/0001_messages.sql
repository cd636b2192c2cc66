-- Workspaces, messages, tags, variants and steps.
-- Times are integer milliseconds since the Unix epoch (portable to
-- PostgreSQL BIGINT, cheap to compare and index).

CREATE TABLE workspaces (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    -- NULL means "never expire".
    retention_months INTEGER DEFAULT 3,
    timezone         TEXT    NOT NULL DEFAULT 'UTC',
    created_at       INTEGER NOT NULL
);

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id),
    kind             TEXT    NOT NULL CHECK (kind IN ('campaign', 'canvas')),
    name             TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    channel          TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'active', 'stopped', 'archived')),
    -- Where the per-user rows are: 'hot', 'archived' or 'restoring'.
    location         TEXT    NOT NULL DEFAULT 'hot',
    has_run          INTEGER NOT NULL DEFAULT 0,
    pinned           INTEGER NOT NULL DEFAULT 0,
    pinned_until     INTEGER,
    -- Number of specific filters of active messages naming this one.
    retained_refs    INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    stopped_at       INTEGER,
    last_activity_at INTEGER NOT NULL,
    expired_at       INTEGER
);

CREATE INDEX messages_by_activity ON messages (workspace_id, kind, last_activity_at);
CREATE INDEX messages_by_name ON messages (workspace_id, kind, name);
CREATE INDEX messages_by_state ON messages (workspace_id, location, status);

CREATE TABLE tags (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    CONSTRAINT tags_unique_name UNIQUE (workspace_id, name)
);

CREATE TABLE message_tags (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, tag_id)
) WITHOUT ROWID;

CREATE INDEX message_tags_by_tag ON message_tags (tag_id, message_id);

-- Ordinals start at 1; 0 in events and aggregates means "none".
CREATE TABLE variants (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    is_control INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, ord),
    CONSTRAINT variants_unique_key UNIQUE (message_id, key)
);

CREATE TABLE steps (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    PRIMARY KEY (message_id, ord),
    CONSTRAINT steps_unique_key UNIQUE (message_id, key)
);
