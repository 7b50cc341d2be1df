-- An out-of-office or vacation responder's answer (a received email with `Auto-Submitted` and the
-- like): shown in the thread, but not a reply. It opens no run of the lead's for response times,
-- replies to no turn of ours, and counts in no reply figure.
ALTER TABLE messages ADD COLUMN auto_reply INTEGER NOT NULL DEFAULT 0 CHECK (auto_reply IN (0, 1));
