-- WhatsApp delivers free text only within 24 hours of the lead's last message on it; outside
-- that window only a template approved in WhatsApp Manager may be sent (issue 14). A workspace
-- declares its approved templates here: the name and language Meta knows them by, and the text
-- with {{1}}, {{2}} … for the parameters. A delivery that sends one names it (JSON: name,
-- language, params), so the provider gets a template, not free text; the message's body is the
-- text the lead reads.
CREATE TABLE message_templates (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (workspace_id, name, language)
);

ALTER TABLE deliveries ADD COLUMN template TEXT;
-- (The window check reads a lead's newest inbound message on a channel through
-- messages_by_lead_direction_time: a lead has few messages.)

