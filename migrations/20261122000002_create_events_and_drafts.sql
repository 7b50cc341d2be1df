-- The event log every real-time view resumes from, per-user drafts, and idempotent sends.

-- Every change a user must see is appended here in the same transaction as the change itself.
-- `payload` is the complete wire frame (JSON, including "type" and "seq").
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- When set, only this user receives the event (drafts are private).
    user_id BLOB REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX events_by_workspace_seq ON events(workspace_id, seq);
CREATE INDEX events_by_time ON events(created_at);

-- One draft per user and lead; `version` rises by one on every save (optimistic concurrency).
CREATE TABLE message_drafts (
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    lead_id BLOB NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    subject TEXT,
    content TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, lead_id)
);

-- The client-generated id of a send: a retried send finds the original instead of a duplicate.
ALTER TABLE messages ADD COLUMN client_id BLOB;
CREATE UNIQUE INDEX messages_by_client_id ON messages(workspace_id, client_id);
-- Filled by later features (delivery status, email tracking); part of the API shape already.
ALTER TABLE messages ADD COLUMN status_reason TEXT;
ALTER TABLE messages ADD COLUMN opened_at TEXT;
ALTER TABLE messages ADD COLUMN clicked_at TEXT;
