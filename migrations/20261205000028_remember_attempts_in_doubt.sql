-- A delivery's attempt starts before the provider is asked and ends when its answer is
-- recorded. A server that stops in between (or a provider whose answer never comes) leaves the
-- attempt in doubt: the provider may have taken the message. The next attempt must find out
-- before sending again, so the start is kept until the outcome is known.
ALTER TABLE deliveries ADD COLUMN attempt_started_at TEXT;
