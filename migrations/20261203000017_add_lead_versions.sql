-- Every change to a lead bumps its version: an edit based on an older version is refused
-- (409) instead of silently overwriting a teammate's change.
ALTER TABLE leads ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
