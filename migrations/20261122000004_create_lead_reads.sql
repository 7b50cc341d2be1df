-- Read status per user: inbound messages of a lead up to `read_until` have been seen by the user.
-- No row: nothing read yet. Unread counts are computed from this and `messages`, never stored.
CREATE TABLE lead_reads (
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    lead_id BLOB NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    read_until TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, lead_id)
);
CREATE INDEX messages_by_lead_direction_time ON messages(lead_id, direction, created_at);
