-- The sequence numbers a client sees (an event's `seq`, `hello.head`, a draft's version, an
-- activity entry's id) were global, so one workspace could watch another's volume by how fast
-- they grew. They are counted per workspace from here on; the global `events.seq` and
-- `activities.id` stay as internal row order and are never sent.
CREATE TABLE workspace_event_heads (
    workspace_id BLOB PRIMARY KEY NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- The newest `ws_seq` given out in the workspace (kept when old events are pruned).
    head INTEGER NOT NULL
) WITHOUT ROWID;

-- Existing events keep their numbers, so a tab open across the upgrade resumes without a gap,
-- and each workspace continues from the highest number it has seen (events or draft versions).
ALTER TABLE events ADD COLUMN ws_seq INTEGER;
UPDATE events SET ws_seq = seq;
CREATE UNIQUE INDEX events_by_workspace_ws_seq ON events(workspace_id, ws_seq);
INSERT INTO workspace_event_heads (workspace_id, head)
SELECT w.id, MAX(
    COALESCE((SELECT MAX(e.seq) FROM events e WHERE e.workspace_id = w.id), 0),
    COALESCE((SELECT MAX(d.version) FROM message_drafts d WHERE d.workspace_id = w.id), 0))
FROM workspaces w;

ALTER TABLE activities ADD COLUMN number INTEGER;
UPDATE activities SET number = id;
CREATE UNIQUE INDEX activities_by_workspace_number ON activities(workspace_id, number);
