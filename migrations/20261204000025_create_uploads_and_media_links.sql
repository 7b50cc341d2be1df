-- Files a teammate sends to a lead on SMS, WhatsApp or Instagram (issue 14, outbound media).
-- The composer uploads a file first (`POST /api/uploads`) and sends the message with its id;
-- the send copies it into `channel_media` beside the message, as inbound media are kept, so
-- the thread shows it the same way. Uploads are drafts: they go a day after they were made.
CREATE TABLE uploads (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX uploads_by_age ON uploads(created_at);

-- The provider fetches an outbound file from us (Twilio's MediaUrl, the Graph API's `link`):
-- each file sent gets a random token (128 bits, 32 hex digits) naming it at `/media/{token}`
-- without a session. Received files have none and are never served that way.
ALTER TABLE channel_media ADD COLUMN public_token TEXT;
CREATE UNIQUE INDEX channel_media_by_token ON channel_media(public_token) WHERE public_token IS NOT NULL;
