-- Received email. Each workspace gets an address for its inbound endpoint
-- (POST /webhooks/email/{key}) and the secret its sender signs each message with; every email
-- taken is remembered by its Message-ID, so a redelivery is recognised and imported once.
CREATE TABLE inbound_email_keys (
    workspace_id BLOB PRIMARY KEY NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- 32 hex digits (128 random bits): the endpoint's path, unguessable.
    key TEXT NOT NULL UNIQUE,
    -- 64 hex digits (256 random bits): the HMAC-SHA256 key of the X-Leadwire-Signature header.
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE inbound_emails (
    message_id BLOB PRIMARY KEY NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- The sender's Message-ID without angle brackets (derived from the content when missing).
    message_id_header TEXT NOT NULL,
    from_address TEXT NOT NULL,
    from_name TEXT,
    -- The quoted history below the new text, kept to be shown folded.
    quoted_text TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (workspace_id, message_id_header)
);
