-- Website chat has no widget yet (issue 14): a message written to a visitor reaches nobody.
-- It was stored as `sent` with nothing saying so; like the outbox and the sandbox, it now says
-- where it stopped (`delivered_via = 'held'`), and the thread labels it. New ones are stored so.
UPDATE messages SET delivered_via = 'held'
 WHERE channel = 'chat' AND direction = 'outbound' AND delivered_via IS NULL;
