-- PostgreSQL mirror of ../sqlite/0009_change_sequence.sql (keep the two in step).
-- The change sequence segment bitmaps follow (issue #18).
--
-- Every transaction that changes what a segment filter reads (ingest,
-- expiry, restore) takes the next number from `data_seq` and stamps the
-- event rows and new profiles it writes with it (a profile's latest times
-- follow from its events); expiry and restore, which replace a message's
-- rows wholesale, list the message in `data_changes` instead. Writers serialize on the
-- one counter row (SQLite's write lock; a row lock on PostgreSQL), so the
-- numbers commit in order: a process that has applied every change up to
-- N catches up with `seq > N` and misses nothing, whichever process wrote.
CREATE TABLE data_seq (
    id  BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO data_seq (id, seq) VALUES (1, 0);

ALTER TABLE events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX events_by_seq ON events (seq);

ALTER TABLE profiles ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX profiles_by_seq ON profiles (seq);

-- Messages whose hot rows were removed (expiry), by change number.
CREATE TABLE data_changes (
    seq        BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    PRIMARY KEY (seq, message_id)
);
