-- A tab resumes by seq unless events it missed were pruned (then it gets `reset`). That was
-- judged by the oldest event still stored, but deleting a lead also removes the events naming
-- it (migration 21): when those were a workspace's oldest, a tab that had missed nothing it could
-- still be shown was reset. Pruning now records how far it reached, per workspace; the window
-- starts there. Existing workspaces start from what their log holds today.
ALTER TABLE workspace_event_heads ADD COLUMN pruned_through INTEGER NOT NULL DEFAULT 0;
UPDATE workspace_event_heads SET pruned_through = COALESCE(
    (SELECT MIN(e.ws_seq) - 1 FROM events e WHERE e.workspace_id = workspace_event_heads.workspace_id),
    head);
