-- The dashboard coalescer logs a `stats_updated` for a burst of changes unless a logged one
-- counts them already. That was judged by the update's place in the log, but its figures are
-- computed before it is logged: a send committed in between sits below it without being
-- counted, and no update followed. Each workspace now records the head (seq) its last logged
-- update's figures were computed after; 0, counting nothing, until the next one.
ALTER TABLE workspace_event_heads ADD COLUMN dashboard_basis INTEGER NOT NULL DEFAULT 0;
