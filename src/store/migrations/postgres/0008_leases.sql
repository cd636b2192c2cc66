-- Mirrors src/store/migrations/sqlite/0008_leases.sql.
-- Leases: which process does a job that only one may do at a time (the
-- expiry scheduler, mail delivery) when several `recall serve` processes
-- share a database. The holder renews before `until`; when it dies, the
-- lease runs out and another process takes it.
CREATE TABLE leases (
    name   TEXT   PRIMARY KEY,
    holder TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
