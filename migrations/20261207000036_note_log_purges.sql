-- A deleted lead's copies in the real-time log, still to be removed: the deletion's write notes
-- the lead with its workspace's head before `lead_deleted`, the copies then go range by range
-- in writes of their own (a single search of the whole log held the writer, every send
-- waiting, for ~0.3 s per million events), and the note goes last. The pruner finishes any
-- purge that a restart cut short. See src/server/store/deletion.rs.
CREATE TABLE log_purges (
    lead_id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    purge_through INTEGER NOT NULL
) WITHOUT ROWID;
