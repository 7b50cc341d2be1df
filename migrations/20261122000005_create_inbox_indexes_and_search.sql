-- The inbox at scale: each lead remembers its newest message (kept by a trigger), so the inbox
-- is an index range scan instead of a per-lead subquery; and full-text search (FTS5) over
-- message subjects and bodies and lead names and companies.
ALTER TABLE leads ADD COLUMN last_message_id BLOB;
ALTER TABLE leads ADD COLUMN last_message_at TEXT;
UPDATE leads SET
    last_message_id = (SELECT id FROM messages m WHERE m.lead_id = leads.id ORDER BY created_at DESC, id DESC LIMIT 1),
    last_message_at = (SELECT MAX(created_at) FROM messages m WHERE m.lead_id = leads.id);
CREATE INDEX leads_by_last_message ON leads(workspace_id, last_message_at DESC);

CREATE TRIGGER messages_track_latest AFTER INSERT ON messages BEGIN
    UPDATE leads SET last_message_id = NEW.id, last_message_at = NEW.created_at
    WHERE id = NEW.lead_id AND (last_message_at IS NULL OR last_message_at <= NEW.created_at);
END;

-- Own copies of the text (not external content): robust against rowid changes. `scope` holds
-- the workspace as one token ('w' + hex id), so the workspace filter is part of the full-text
-- match itself (`scope:wabc… AND …`) instead of a scan over every workspace's hits.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    message_id UNINDEXED, lead_id UNINDEXED, scope, subject, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (message_id, lead_id, scope, subject, body)
    SELECT id, lead_id, 'w' || lower(hex(workspace_id)), COALESCE(subject, ''), body FROM messages;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (message_id, lead_id, scope, subject, body)
    VALUES (NEW.id, NEW.lead_id, 'w' || lower(hex(NEW.workspace_id)), COALESCE(NEW.subject, ''), NEW.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE message_id = OLD.id;
END;

CREATE VIRTUAL TABLE leads_fts USING fts5(
    lead_id UNINDEXED, scope, name, company,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO leads_fts (lead_id, scope, name, company)
    SELECT id, 'w' || lower(hex(workspace_id)), name, COALESCE(company, '') FROM leads;
CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
    INSERT INTO leads_fts (lead_id, scope, name, company)
    VALUES (NEW.id, 'w' || lower(hex(NEW.workspace_id)), NEW.name, COALESCE(NEW.company, ''));
END;
CREATE TRIGGER leads_fts_update AFTER UPDATE OF name, company ON leads BEGIN
    UPDATE leads_fts SET name = NEW.name, company = COALESCE(NEW.company, '') WHERE lead_id = NEW.id;
END;
CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
    DELETE FROM leads_fts WHERE lead_id = OLD.id;
END;
