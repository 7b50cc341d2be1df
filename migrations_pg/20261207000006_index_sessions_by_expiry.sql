-- The expired-session sweep (`DELETE FROM sessions WHERE expires_at <= ?`, on the pruning
-- timer) read every session while holding the writer, which every send waits for; by expiry it
-- reads only the sessions that go.
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions(expires_at);
