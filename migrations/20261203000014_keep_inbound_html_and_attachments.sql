-- What a received email brings besides its text: its HTML part (shown in a sandboxed frame with
-- a strict content security policy, never inline) and its files (served as downloads, pictures
-- shown inline; Leadwire never opens, unpacks or runs them). `omitted` says, one per line, what
-- was left out (too many attachments, an oversized HTML part).
ALTER TABLE inbound_emails ADD COLUMN html_body TEXT;
ALTER TABLE inbound_emails ADD COLUMN omitted TEXT;
CREATE TABLE inbound_attachments (
    id BLOB PRIMARY KEY NOT NULL,
    message_id BLOB NOT NULL REFERENCES inbound_emails(message_id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    -- The Content-ID the HTML part refers to it by (cid:…), for embedded pictures.
    content_id TEXT,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX inbound_attachments_by_message ON inbound_attachments(message_id, position);
