-- Tracking hits beyond what receipts need are counted, not kept. Per message, the newest 100 hits
-- and the earliest 5 of each kind and classification stay as rows (receipts are recomputed from
-- the earliest ones when a scanner burst is recognised); older hits are added to these counters
-- and deleted in the same transaction, so a flood on one token cannot fill the disk.
CREATE TABLE tracking_counts (
    message_id BLOB NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    classification TEXT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (message_id, kind, classification)
) WITHOUT ROWID;
