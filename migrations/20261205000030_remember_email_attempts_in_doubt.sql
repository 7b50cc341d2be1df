-- When an email's data left for the SMTP relay on its current attempt; cleared when the relay's
-- answer is recorded. An email claimed again with this set was in doubt when the server
-- stopped: the relay may have taken it, so it is not sent again unasked.
ALTER TABLE outbound_emails ADD COLUMN attempt_started_at TEXT;
