-- The live dashboard: conversation facts on messages (turns, replies, response times), when a
-- lead was won or closed, the activity feed, booked meetings and notification preferences.

-- Facts about a message's place in its lead's conversation, derived from the messages around
-- it (`Store::recompute_turns`, in the same transaction as every new message). A "run" is one or
-- more messages in a row in the same direction.
--   opens_turn:    an outbound message that starts a run: one outreach turn.
--   replied_at:    on such an opener, when the lead's next run (their answer) began.
--   response_secs: on such an opener after an inbound run, seconds since that run began.
ALTER TABLE messages ADD COLUMN opens_turn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN replied_at TEXT;
ALTER TABLE messages ADD COLUMN response_secs INTEGER;

WITH ordered AS (
    SELECT id, lead_id, direction, created_at,
        CASE WHEN LAG(direction) OVER w IS NULL OR LAG(direction) OVER w != direction THEN 1 ELSE 0 END AS opens
    FROM messages
    WINDOW w AS (PARTITION BY lead_id ORDER BY created_at, id)
), openers AS (
    SELECT id, direction, created_at,
        LAG(created_at) OVER v AS previous_run_start,
        LEAD(created_at) OVER v AS next_run_start
    FROM ordered WHERE opens = 1
    WINDOW v AS (PARTITION BY lead_id ORDER BY created_at, id)
)
UPDATE messages SET
    opens_turn = 1,
    replied_at = openers.next_run_start,
    response_secs = CASE WHEN openers.previous_run_start IS NULL THEN NULL
        ELSE CAST(ROUND((julianday(openers.created_at) - julianday(openers.previous_run_start)) * 86400) AS INTEGER) END
FROM openers
WHERE messages.id = openers.id AND openers.direction = 'outbound';

-- KPI scans: a range of one workspace's messages by direction and time, channel in the index.
CREATE INDEX messages_kpi ON messages(workspace_id, direction, created_at, channel);
CREATE INDEX messages_turns ON messages(workspace_id, created_at, channel, replied_at) WHERE opens_turn = 1;
CREATE INDEX messages_responses ON messages(workspace_id, created_at, channel, response_secs)
    WHERE response_secs IS NOT NULL;

-- When the lead was marked won, and when it was won or lost (cleared when it is reopened).
ALTER TABLE leads ADD COLUMN won_at TEXT;
ALTER TABLE leads ADD COLUMN closed_at TEXT;
UPDATE leads SET won_at = updated_at WHERE stage = 'won';
UPDATE leads SET closed_at = updated_at WHERE stage IN ('won', 'lost');
CREATE INDEX leads_by_won ON leads(workspace_id, won_at) WHERE won_at IS NOT NULL;

-- The activity feed. Ids grow in commit order (rows are written under the single writer).
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    lead_id BLOB NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    actor_id BLOB REFERENCES users(id) ON DELETE SET NULL,
    message_id BLOB REFERENCES messages(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('lead_created', 'message_sent', 'message_received',
        'email_opened', 'link_clicked', 'message_failed', 'stage_changed', 'lead_converted',
        'meeting_booked')),
    channel TEXT,
    stage TEXT,
    meeting_at TEXT,
    detail TEXT,
    at TEXT NOT NULL
);
CREATE INDEX activities_by_workspace ON activities(workspace_id, id);
CREATE INDEX activities_by_message ON activities(message_id);
CREATE INDEX activities_by_lead ON activities(lead_id);

CREATE TABLE meetings (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    lead_id BLOB NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    booked_by BLOB REFERENCES users(id) ON DELETE SET NULL,
    starts_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX meetings_by_lead ON meetings(lead_id, starts_at);

-- Which events notify a user, and whether with sound. No row: everything on.
CREATE TABLE notification_prefs (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    inbound_message INTEGER NOT NULL DEFAULT 1,
    email_opened INTEGER NOT NULL DEFAULT 1,
    link_clicked INTEGER NOT NULL DEFAULT 1,
    lead_converted INTEGER NOT NULL DEFAULT 1,
    meeting_booked INTEGER NOT NULL DEFAULT 1,
    sound INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);
