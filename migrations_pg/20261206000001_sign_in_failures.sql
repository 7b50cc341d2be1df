-- Failed sign-ins, counted where every instance sees them (on SQLite, one instance counts them
-- in memory). UNLOGGED: a crash may forget them, like a restart forgets the in-memory ones.
CREATE UNLOGGED TABLE sign_in_failures (
    key TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_by_key ON sign_in_failures(key, at);
