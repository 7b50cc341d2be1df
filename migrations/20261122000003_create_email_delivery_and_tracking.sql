-- Outbound email: the delivery queue (and the local outbox), tracked links, and every tracking hit.

-- Tracking can be switched off per workspace (no pixel, no rewritten links).
ALTER TABLE workspaces ADD COLUMN email_tracking INTEGER NOT NULL DEFAULT 1;

-- The first open by a mail privacy proxy: "delivered", but not "read".
ALTER TABLE messages ADD COLUMN proxy_opened_at TEXT;

-- One row per outbound email message: what goes on the wire, and where its delivery stands.
-- The content is composed once, when the message is recorded, so a retry sends the same mail.
CREATE TABLE outbound_emails (
    message_id BLOB PRIMARY KEY NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    to_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    -- Message-ID without angle brackets; In-Reply-To / References thread the lead's emails.
    message_id_header TEXT NOT NULL UNIQUE,
    in_reply_to TEXT,
    references_header TEXT,
    -- 32 hex digits (128 random bits) for the pixel; NULL when tracking was off.
    tracking_token TEXT UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When the worker may (re)try; far in the future while an attempt is in flight.
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    sent_at TEXT,
    -- 'smtp' or 'outbox' (no relay configured: kept here to be viewed at /outbox).
    delivered_via TEXT,
    -- The complete RFC 5322 message as sent to the outbox.
    raw_message TEXT
);
CREATE INDEX outbound_emails_due ON outbound_emails(next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbound_emails_outbox ON outbound_emails(workspace_id, sent_at) WHERE delivered_via = 'outbox';

-- Every link of a tracked email, rewritten to /t/c/{token}; the destination lives only here.
CREATE TABLE tracked_links (
    id BLOB PRIMARY KEY NOT NULL,
    message_id BLOB NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX tracked_links_by_message ON tracked_links(message_id);

-- Every pixel or link hit, classified. IPs are truncated (/24, /48) before they get here.
CREATE TABLE tracking_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id BLOB NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('open', 'click')),
    link_id BLOB REFERENCES tracked_links(id) ON DELETE CASCADE,
    classification TEXT NOT NULL CHECK (classification IN ('human', 'proxy_prefetch', 'scanner')),
    method TEXT NOT NULL,
    ip_prefix TEXT,
    user_agent TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX tracking_events_by_message ON tracking_events(message_id, kind, at);
