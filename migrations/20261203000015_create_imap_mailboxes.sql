-- A workspace's mailbox that Leadwire watches for replies (IMAP, IDLE where offered). The password
-- is sealed with the server's secret key (`src/server/secrets.rs`), never stored in the clear.
-- `uid_validity` and `last_uid` say how far the mailbox was imported: a restart or a reconnect
-- fetches only what came after, and the Message-ID check of `inbound_emails` makes a repeat
-- harmless. `last_sync_at` and `last_error` are the connection's health, shown in Settings.
CREATE TABLE imap_mailboxes (
    workspace_id BLOB PRIMARY KEY NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security TEXT NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
    username TEXT NOT NULL,
    password_sealed TEXT NOT NULL,
    folder TEXT NOT NULL,
    -- The mailbox's own address: `Reply-To` of the workspace's outgoing email.
    address TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    uid_validity INTEGER,
    last_uid INTEGER NOT NULL DEFAULT 0,
    last_sync_at TEXT,
    last_error TEXT,
    updated_at TEXT NOT NULL
);
