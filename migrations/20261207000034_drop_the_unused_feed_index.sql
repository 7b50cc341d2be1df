-- `activities_by_workspace` (workspace, global id) served no read: the feed pages by the
-- per-workspace `number` (`activities_by_workspace_number`, which also serves a workspace's
-- deletion), and the other reads go by lead or by message. Every send still wrote an entry
-- into it (about 2.4 pages a commit of `P3`'s sends).
DROP INDEX IF EXISTS activities_by_workspace;
