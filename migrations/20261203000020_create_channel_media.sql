-- The pictures, voice notes, videos and documents leads send on SMS (MMS), WhatsApp and
-- Instagram (issue 14): fetched from the provider when the webhook arrives (with the
-- connection's credentials, up to the size limit in the README) and kept with the message, so
-- the thread shows pictures inline and offers the rest as downloads, as it does for email.
CREATE TABLE channel_media (
    id BLOB PRIMARY KEY NOT NULL,
    message_id BLOB NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX channel_media_by_message ON channel_media(message_id, position);
