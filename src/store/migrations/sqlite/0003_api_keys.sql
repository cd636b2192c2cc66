-- API keys: the secret is shown once; only its SHA-256 is stored.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    -- First 8 hex characters of the key, for lookup and display.
    prefix       TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL,
    -- Comma-separated: ingest, read, manage.
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    CONSTRAINT api_keys_unique_prefix UNIQUE (prefix)
);
