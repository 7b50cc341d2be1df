-- A teammate an owner removed from the workspace keeps their row, so the messages they wrote and
-- the feed entries of what they did still show their name; `removed_at` says they are gone.
-- Removal also ends their sessions and tokens and frees their email address for a new account
-- (`src/server/store/users.rs`, `remove_member`).
ALTER TABLE users ADD COLUMN removed_at TEXT;
