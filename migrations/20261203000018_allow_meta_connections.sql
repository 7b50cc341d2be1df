-- Meta's WhatsApp Business Cloud API and Instagram's Messenger Platform as providers beside
-- Twilio (issue 14). SQLite cannot widen a CHECK in place, so the table is rebuilt: copied
-- aside, dropped, made again with the same name, and filled back. `deliveries` refers to it;
-- with foreign keys deferred, the drop leaves those references dangling only until the rows
-- come back, and the check runs at COMMIT.
--   account_id: Meta's phone number id (WhatsApp) or the Instagram account id.
--   secret_sealed: Meta's access token (a page access token for Instagram).
--   app_secret_sealed: the Meta app's secret, which signs the webhooks (X-Hub-Signature-256).
--   verify_token: ours, 128 random bits, which Meta echoes in its `hub.challenge` handshake.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE channel_connections_before_meta AS SELECT * FROM channel_connections;
DROP TABLE channel_connections;

CREATE TABLE channel_connections (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp', 'instagram')),
    provider TEXT NOT NULL CHECK (provider IN ('sandbox', 'twilio', 'meta')),
    webhook_key TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    app_secret_sealed TEXT,
    verify_token TEXT,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    last_inbound_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (workspace_id, channel, provider),
    CHECK (provider <> 'meta' OR (app_secret_sealed IS NOT NULL AND verify_token IS NOT NULL))
);

INSERT INTO channel_connections (id, workspace_id, channel, provider, webhook_key, account_id,
    sender, secret_sealed, enabled, last_inbound_at, last_error, last_error_at, updated_at)
SELECT id, workspace_id, channel, provider, webhook_key, account_id,
    sender, secret_sealed, enabled, last_inbound_at, last_error, last_error_at, updated_at
FROM channel_connections_before_meta;

DROP TABLE channel_connections_before_meta;
