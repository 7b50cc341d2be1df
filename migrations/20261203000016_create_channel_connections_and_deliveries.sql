-- SMS, WhatsApp and Instagram leave the machine (issue 14). A workspace connects a channel to a
-- provider (Twilio today) or lets the built-in sandbox stand in for it, as the outbox stands in
-- for an SMTP relay. The sandbox is a connection like the others (provider 'sandbox', made on
-- first use, on by default): it has its own webhook key and signing secret, so what it sends back
-- (a reply as the lead, a delivery or read report) enters through the provider's webhook and its
-- signature check exactly as the provider's would. `secret_sealed` is the provider's auth token
-- (or the sandbox's secret) sealed with the server's key (`src/server/secrets.rs`).
CREATE TABLE channel_connections (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp', 'instagram')),
    provider TEXT NOT NULL CHECK (provider IN ('sandbox', 'twilio')),
    -- In the webhook URL: 128 random bits, hex.
    webhook_key TEXT NOT NULL UNIQUE,
    -- Twilio: the Account SID.
    account_id TEXT NOT NULL,
    -- Twilio: the sender number (`+…`) or a Messaging Service SID (`MG…`).
    sender TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    last_inbound_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (workspace_id, channel, provider)
);

-- The outbound queue of the provider channels: one row per outbound message, stored with the
-- message (status `queued`), leased by the delivery worker, retried with backoff, and marked sent
-- only with the id the provider gave it. Status reports find the message by that id.
CREATE TABLE deliveries (
    message_id BLOB PRIMARY KEY NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    connection_id BLOB NOT NULL REFERENCES channel_connections(id),
    to_address TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    provider_message_id TEXT,
    last_error TEXT
);
CREATE UNIQUE INDEX deliveries_by_provider_id ON deliveries(connection_id, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE sent_at IS NULL;

-- Where an outbound message went: 'smtp', 'twilio', or a stand-in that did not reach the lead
-- ('outbox' for email, 'sandbox' for the other channels), which the thread and the API say.
ALTER TABLE messages ADD COLUMN delivered_via TEXT;
UPDATE messages SET delivered_via =
    (SELECT e.delivered_via FROM outbound_emails e WHERE e.message_id = messages.id)
    WHERE direction = 'outbound' AND channel = 'email';
-- Until now these were marked sent although nothing left the machine.
UPDATE messages SET delivered_via = 'sandbox'
    WHERE direction = 'outbound' AND channel IN ('sms', 'whatsapp', 'instagram') AND status = 'sent';
