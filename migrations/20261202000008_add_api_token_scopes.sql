-- API tokens get explicit scopes: `read` (GET under /api and the event socket) and `write`
-- (creating and changing leads, messages, drafts, meetings). No scope manages accounts: tokens,
-- teammates, invites and workspace settings need a signed-in session. Tokens made before scopes
-- existed could read and write through the API, so they keep exactly that.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write';
