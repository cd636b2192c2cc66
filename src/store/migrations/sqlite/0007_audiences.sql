-- Saved segments, message audiences, and the references between them that
-- decide what is retained.

-- "Segments" in the dashboard and API; the table name keeps clear of the
-- long-term storage manifest (`segments`).
CREATE TABLE audience_segments (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    filter       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CONSTRAINT audience_segments_unique_name UNIQUE (workspace_id, name)
);

-- A message's own filters (its retargeting audience), if it has any.
CREATE TABLE message_audiences (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    filter     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Segments a message's audience includes (AND-ed with its own filters).
CREATE TABLE message_audience_segments (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    segment_id INTEGER NOT NULL REFERENCES audience_segments (id),
    PRIMARY KEY (message_id, segment_id)
) WITHOUT ROWID;

CREATE INDEX message_audience_segments_by_segment ON message_audience_segments (segment_id);

-- Messages named by a specific filter of a message audience ('message')
-- or of a segment ('segment'). Kept in step with the filters on every
-- save; `messages.retained_refs` is derived from it.
CREATE TABLE audience_refs (
    owner_kind TEXT    NOT NULL CHECK (owner_kind IN ('message', 'segment')),
    owner_id   INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, message_id)
) WITHOUT ROWID;

CREATE INDEX audience_refs_by_message ON audience_refs (message_id);
