-- Mail Leadwire sends to people rather than leads — today a teammate's invite — when it goes
-- to the built-in outbox (no SMTP relay), kept so the outbox can show it. The message holds the
-- invite link, a credential, so it is stored sealed with the server's secret key.
CREATE TABLE account_emails (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    raw_sealed TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX account_emails_by_workspace ON account_emails(workspace_id, sent_at);
