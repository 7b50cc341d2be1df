-- The per-address limits on sign-ups and public requests (token buckets), kept where every
-- instance sees them (on SQLite, one instance keeps them in memory). UNLOGGED: a crash may
-- forget them, as a restart forgets the in-memory ones.
CREATE UNLOGGED TABLE address_buckets (
    key TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX address_buckets_by_time ON address_buckets(at);
