-- One queue for every outbound channel (issue 14). Until now email kept its attempts, lease and
-- outcome in `outbound_emails` and the provider channels kept the same columns again in
-- `deliveries`, each table with its own copy of the claim, retry and in-doubt SQL. Now a row of
-- `outbound_queue` is the life of every outbound message's hand-over, whatever its channel:
-- when it is due (also the lease while an attempt runs), how many attempts, whether an attempt
-- is in doubt, the last error, and when the relay or provider took it. What each channel sends
-- stays in its own table beside it (`outbound_emails`: the composed mail; `deliveries`: the
-- connection, the address and the provider's message id).
CREATE TABLE outbound_queue (
    message_id BLOB PRIMARY KEY NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- Who hands it over: 'email' (the SMTP relay, or the outbox without one) or 'provider'
    -- (SMS, WhatsApp and Instagram: their connection, or the sandbox).
    worker TEXT NOT NULL CHECK (worker IN ('email', 'provider')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When the worker may (re)try; the lease's end while an attempt is in flight.
    next_attempt_at TEXT NOT NULL,
    -- When the current attempt began to reach the relay or provider; cleared when its outcome
    -- is recorded. Set when claimed: the attempt is in doubt.
    attempt_started_at TEXT,
    last_error TEXT,
    -- When the relay, the provider, the outbox or the sandbox took it.
    sent_at TEXT
);
INSERT INTO outbound_queue (message_id, workspace_id, worker, attempts, next_attempt_at,
                            attempt_started_at, last_error, sent_at)
    SELECT message_id, workspace_id, 'email', attempts, next_attempt_at, attempt_started_at,
           last_error, sent_at
    FROM outbound_emails;
INSERT INTO outbound_queue (message_id, workspace_id, worker, attempts, next_attempt_at,
                            attempt_started_at, last_error, sent_at)
    SELECT message_id, workspace_id, 'provider', attempts, next_attempt_at, attempt_started_at,
           last_error, sent_at
    FROM deliveries;
CREATE INDEX outbound_queue_due ON outbound_queue(worker, next_attempt_at) WHERE sent_at IS NULL;

DROP INDEX outbound_emails_due;
DROP INDEX outbound_emails_outbox;
ALTER TABLE outbound_emails DROP COLUMN attempts;
ALTER TABLE outbound_emails DROP COLUMN next_attempt_at;
ALTER TABLE outbound_emails DROP COLUMN attempt_started_at;
ALTER TABLE outbound_emails DROP COLUMN last_error;
ALTER TABLE outbound_emails DROP COLUMN sent_at;
CREATE INDEX outbound_emails_outbox ON outbound_emails(workspace_id) WHERE delivered_via = 'outbox';

DROP INDEX deliveries_due;
ALTER TABLE deliveries DROP COLUMN attempts;
ALTER TABLE deliveries DROP COLUMN next_attempt_at;
ALTER TABLE deliveries DROP COLUMN attempt_started_at;
ALTER TABLE deliveries DROP COLUMN last_error;
ALTER TABLE deliveries DROP COLUMN sent_at;
