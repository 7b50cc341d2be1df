-- Leads can be deleted (an owner's "Delete lead", `DELETE /api/leads/{id}`). The store takes
-- the lead's messages and the lead itself out of the dashboard rollups in the same transaction
-- (`src/server/store/lead_deletion.rs`), and marks the lead here while it deletes it. The
-- guards keep refusing every other delete, so a delete that skips the rollups still fails loudly
-- instead of leaving figures that count rows no longer there.
CREATE TABLE leads_being_deleted (
    lead_id BLOB PRIMARY KEY NOT NULL
) WITHOUT ROWID;

DROP TRIGGER messages_are_kept;
DROP TRIGGER leads_are_kept;
CREATE TRIGGER messages_are_kept BEFORE DELETE ON messages
WHEN OLD.lead_id NOT IN (SELECT lead_id FROM leads_being_deleted) BEGIN
    SELECT RAISE(ABORT, 'messages are deleted only with their lead, by the store (dashboard rollups count them)');
END;
CREATE TRIGGER leads_are_kept BEFORE DELETE ON leads
WHEN OLD.id NOT IN (SELECT lead_id FROM leads_being_deleted) BEGIN
    SELECT RAISE(ABORT, 'leads are deleted only by the store (dashboard rollups count them)');
END;
