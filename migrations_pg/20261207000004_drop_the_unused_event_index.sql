-- `events_by_workspace_seq` (workspace, global seq) served the replay before events were
-- numbered per workspace; every read of the log now goes by (workspace, ws_seq) or by the
-- global seq alone, which `events_by_workspace_ws_seq` and the primary key serve. Each event
-- appended (two or more per send) still wrote an entry into it.
DROP INDEX IF EXISTS events_by_workspace_seq;
