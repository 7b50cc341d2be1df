-- Dashboard pre-aggregates. The KPI cards and charts used to scan every message of the period
-- (a 30-day view of a 1M-message workspace read ~330,000 rows, 0.7-2 s); they now sum a few
-- thousand rollup rows. Triggers keep the rollups in the same transaction as every change to
-- the rows they describe, so they are the rows' sums by construction and cannot drift;
-- `tests/integration/rollups.rs` checks every figure against one computed from the rows.
--
-- Time unit: the 15-minute slot, CAST(strftime('%s', t) AS INTEGER) / 900. Every time zone's
-- midnight falls on a slot boundary (offsets are whole quarter hours), so any viewer's day
-- or hour is a whole number of slots.

-- Messages by the slot they were created in (sent, received, turns, email delivery and
-- receipts of the emails sent in it) and by the slot a receipt happened in (the opens and
-- clicks chart). Each change is counted on its channel's row and on the all-channels row
-- (channel ''), so the unfiltered cards read a fifth of the rows.
CREATE TABLE message_rollups (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    slot INTEGER NOT NULL,
    channel TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    received INTEGER NOT NULL DEFAULT 0,
    turns INTEGER NOT NULL DEFAULT 0,
    replied_turns INTEGER NOT NULL DEFAULT 0,
    emails_delivered INTEGER NOT NULL DEFAULT 0,
    emails_opened_human INTEGER NOT NULL DEFAULT 0,
    emails_opened_any INTEGER NOT NULL DEFAULT 0,
    emails_clicked INTEGER NOT NULL DEFAULT 0,
    opens_human INTEGER NOT NULL DEFAULT 0,
    opens_proxy INTEGER NOT NULL DEFAULT 0,
    clicks INTEGER NOT NULL DEFAULT 0,
    -- Channel before time: a card reads one channel's (or the all-channels) range of slots.
    PRIMARY KEY (workspace_id, channel, slot)
) WITHOUT ROWID;

-- First response times by the UTC day of the reply, at the precision the dashboard shows
-- (`model::response_time::precision`): percentiles read here equal those of the exact values
-- as shown. Per channel and for all channels (''), like `message_rollups`. A viewer's period
-- that starts mid-UTC-day reads that part from `messages`.
CREATE TABLE response_rollups (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    day INTEGER NOT NULL,
    channel TEXT NOT NULL,
    secs INTEGER NOT NULL,
    responses INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, channel, day, secs)
) WITHOUT ROWID;

-- Each lead's newest message per channel, and leads by the slot of their newest message,
-- overall (channel '', from leads.last_message_at) and per channel: "active conversations
-- since S" is a sum over slots, however many leads there are.
CREATE TABLE lead_channels (
    lead_id BLOB NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    workspace_id BLOB NOT NULL,
    last_message_at TEXT NOT NULL,
    PRIMARY KEY (lead_id, channel)
) WITHOUT ROWID;
CREATE TABLE touch_rollups (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    slot INTEGER NOT NULL,
    leads INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, channel, slot)
) WITHOUT ROWID;

-- Leads per stage: how many are not closed, and their deal value (the open pipeline and the
-- leads in play without a scan of the leads).
CREATE TABLE lead_totals (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    unclosed INTEGER NOT NULL,
    value_cents INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, stage)
) WITHOUT ROWID;

-- Backfill from the rows that exist.
INSERT INTO message_rollups (workspace_id, slot, channel, sent, received, turns, replied_turns,
    emails_delivered, emails_opened_human, emails_opened_any, emails_clicked)
SELECT workspace_id, CAST(strftime('%s', created_at) AS INTEGER) / 900, channel,
    SUM(direction = 'outbound'), SUM(direction = 'inbound'), SUM(opens_turn = 1),
    SUM(opens_turn = 1 AND replied_at IS NOT NULL),
    SUM(direction = 'outbound' AND channel = 'email' AND status = 'sent'),
    SUM(direction = 'outbound' AND channel = 'email' AND status = 'sent' AND opened_at IS NOT NULL),
    SUM(direction = 'outbound' AND channel = 'email' AND status = 'sent'
        AND (opened_at IS NOT NULL OR proxy_opened_at IS NOT NULL)),
    SUM(direction = 'outbound' AND channel = 'email' AND status = 'sent' AND clicked_at IS NOT NULL)
FROM messages GROUP BY 1, 2, 3;
INSERT INTO message_rollups (workspace_id, slot, channel, opens_human)
SELECT workspace_id, CAST(strftime('%s', opened_at) AS INTEGER) / 900, channel, COUNT(*)
FROM messages WHERE direction = 'outbound' AND channel = 'email' AND opened_at IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET opens_human = excluded.opens_human;
INSERT INTO message_rollups (workspace_id, slot, channel, opens_proxy)
SELECT workspace_id, CAST(strftime('%s', proxy_opened_at) AS INTEGER) / 900, channel, COUNT(*)
FROM messages WHERE direction = 'outbound' AND channel = 'email' AND proxy_opened_at IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET opens_proxy = excluded.opens_proxy;
INSERT INTO message_rollups (workspace_id, slot, channel, clicks)
SELECT workspace_id, CAST(strftime('%s', clicked_at) AS INTEGER) / 900, channel, COUNT(*)
FROM messages WHERE direction = 'outbound' AND channel = 'email' AND clicked_at IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET clicks = excluded.clicks;
INSERT INTO message_rollups
SELECT workspace_id, slot, '', SUM(sent), SUM(received), SUM(turns), SUM(replied_turns),
    SUM(emails_delivered), SUM(emails_opened_human), SUM(emails_opened_any), SUM(emails_clicked),
    SUM(opens_human), SUM(opens_proxy), SUM(clicks)
FROM message_rollups GROUP BY workspace_id, slot;

INSERT INTO response_rollups (workspace_id, day, channel, secs, responses)
SELECT workspace_id, CAST(strftime('%s', created_at) AS INTEGER) / 86400, channel,
    CASE WHEN response_secs < 60 THEN response_secs WHEN response_secs < 3600 THEN response_secs / 60 * 60
        WHEN response_secs < 86400 THEN response_secs / 360 * 360
        WHEN response_secs < 864000 THEN response_secs / 8640 * 8640
        ELSE response_secs / 86400 * 86400 END,
    COUNT(*)
FROM messages WHERE response_secs IS NOT NULL GROUP BY 1, 2, 3, 4;
INSERT INTO response_rollups
SELECT workspace_id, day, '', secs, SUM(responses) FROM response_rollups GROUP BY workspace_id, day, secs;

INSERT INTO lead_channels (lead_id, channel, workspace_id, last_message_at)
SELECT lead_id, channel, workspace_id, MAX(created_at) FROM messages GROUP BY lead_id, channel;
INSERT INTO touch_rollups (workspace_id, channel, slot, leads)
SELECT workspace_id, channel, CAST(strftime('%s', last_message_at) AS INTEGER) / 900, COUNT(*)
FROM lead_channels GROUP BY 1, 2, 3;
INSERT INTO touch_rollups (workspace_id, channel, slot, leads)
SELECT workspace_id, '', CAST(strftime('%s', last_message_at) AS INTEGER) / 900, COUNT(*)
FROM leads WHERE last_message_at IS NOT NULL GROUP BY 1, 3;

INSERT INTO lead_totals (workspace_id, stage, unclosed, value_cents)
SELECT workspace_id, stage, SUM(closed_at IS NULL), COALESCE(SUM(deal_value_cents), 0)
FROM leads GROUP BY 1, 2;

-- Messages keep their workspace, lead, channel, direction and time, and are never deleted:
-- the rollups count them by those. Say so loudly instead of drifting if that ever changes.
CREATE TRIGGER messages_keep_their_keys BEFORE UPDATE OF workspace_id, lead_id, channel, direction, created_at
ON messages
WHEN OLD.workspace_id IS NOT NEW.workspace_id OR OLD.lead_id IS NOT NEW.lead_id
    OR OLD.channel IS NOT NEW.channel OR OLD.direction IS NOT NEW.direction
    OR OLD.created_at IS NOT NEW.created_at
BEGIN
    SELECT RAISE(ABORT, 'messages keep their workspace, lead, channel, direction and time (dashboard rollups count them)');
END;
CREATE TRIGGER messages_are_kept BEFORE DELETE ON messages BEGIN
    SELECT RAISE(ABORT, 'messages are not deleted (dashboard rollups count them)');
END;
CREATE TRIGGER leads_are_kept BEFORE DELETE ON leads BEGIN
    SELECT RAISE(ABORT, 'leads are not deleted (dashboard rollups count them)');
END;

CREATE TRIGGER messages_rollup_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_rollups (workspace_id, slot, channel, sent, received, turns, replied_turns,
        emails_delivered, emails_opened_human, emails_opened_any, emails_clicked)
    SELECT NEW.workspace_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 900, ch,
        NEW.direction = 'outbound', NEW.direction = 'inbound', NEW.opens_turn = 1,
        NEW.opens_turn = 1 AND NEW.replied_at IS NOT NULL,
        NEW.direction = 'outbound' AND NEW.channel = 'email' AND NEW.status = 'sent',
        NEW.direction = 'outbound' AND NEW.channel = 'email' AND NEW.status = 'sent' AND NEW.opened_at IS NOT NULL,
        NEW.direction = 'outbound' AND NEW.channel = 'email' AND NEW.status = 'sent'
            AND (NEW.opened_at IS NOT NULL OR NEW.proxy_opened_at IS NOT NULL),
        NEW.direction = 'outbound' AND NEW.channel = 'email' AND NEW.status = 'sent' AND NEW.clicked_at IS NOT NULL
    FROM (SELECT NEW.channel AS ch UNION ALL SELECT '') WHERE true
    ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET
        sent = sent + excluded.sent, received = received + excluded.received,
        turns = turns + excluded.turns, replied_turns = replied_turns + excluded.replied_turns,
        emails_delivered = emails_delivered + excluded.emails_delivered,
        emails_opened_human = emails_opened_human + excluded.emails_opened_human,
        emails_opened_any = emails_opened_any + excluded.emails_opened_any,
        emails_clicked = emails_clicked + excluded.emails_clicked;
    -- Receipts stamped at insert (imports): each in the slot it happened.
    INSERT INTO message_rollups (workspace_id, slot, channel, opens_human, opens_proxy, clicks)
    SELECT NEW.workspace_id, CAST(strftime('%s', t) AS INTEGER) / 900, ch, kind = 0, kind = 1, kind = 2
    FROM (SELECT 0 AS kind, NEW.opened_at AS t UNION ALL SELECT 1, NEW.proxy_opened_at
        UNION ALL SELECT 2, NEW.clicked_at), (SELECT NEW.channel AS ch UNION ALL SELECT '')
    WHERE t IS NOT NULL AND NEW.direction = 'outbound' AND NEW.channel = 'email'
    ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET opens_human = opens_human + excluded.opens_human,
        opens_proxy = opens_proxy + excluded.opens_proxy, clicks = clicks + excluded.clicks;
    INSERT INTO response_rollups (workspace_id, day, channel, secs, responses)
    SELECT NEW.workspace_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 86400, ch,
        CASE WHEN NEW.response_secs < 60 THEN NEW.response_secs
            WHEN NEW.response_secs < 3600 THEN NEW.response_secs / 60 * 60
            WHEN NEW.response_secs < 86400 THEN NEW.response_secs / 360 * 360
            WHEN NEW.response_secs < 864000 THEN NEW.response_secs / 8640 * 8640
            ELSE NEW.response_secs / 86400 * 86400 END, 1
    FROM (SELECT NEW.channel AS ch UNION ALL SELECT '')
    WHERE NEW.response_secs IS NOT NULL
    ON CONFLICT (workspace_id, channel, day, secs) DO UPDATE SET responses = responses + 1;
    INSERT INTO lead_channels (lead_id, channel, workspace_id, last_message_at)
    VALUES (NEW.lead_id, NEW.channel, NEW.workspace_id, NEW.created_at)
    ON CONFLICT (lead_id, channel) DO UPDATE SET last_message_at = excluded.last_message_at
        WHERE excluded.last_message_at > last_message_at;
END;

-- The mutable facts of a message (delivery status, turn facts, receipts). Its slot and
-- channel cannot change (see messages_keep_their_keys), so the created-slot row takes the
-- difference; a receipt time moves from its old slot to its new one.
CREATE TRIGGER messages_rollup_update
AFTER UPDATE OF status, opens_turn, replied_at, opened_at, proxy_opened_at, clicked_at ON messages
BEGIN
    INSERT INTO message_rollups (workspace_id, slot, channel, turns, replied_turns,
        emails_delivered, emails_opened_human, emails_opened_any, emails_clicked)
    SELECT NEW.workspace_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 900, ch,
        (NEW.opens_turn = 1) - (OLD.opens_turn = 1),
        (NEW.opens_turn = 1 AND NEW.replied_at IS NOT NULL) - (OLD.opens_turn = 1 AND OLD.replied_at IS NOT NULL),
        (NEW.direction = 'outbound' AND NEW.channel = 'email' AND NEW.status = 'sent')
            - (OLD.direction = 'outbound' AND OLD.channel = 'email' AND OLD.status = 'sent'),
        (NEW.direction = 'outbound' AND NEW.channel = 'email' AND NEW.status = 'sent' AND NEW.opened_at IS NOT NULL)
            - (OLD.direction = 'outbound' AND OLD.channel = 'email' AND OLD.status = 'sent' AND OLD.opened_at IS NOT NULL),
        (NEW.direction = 'outbound' AND NEW.channel = 'email' AND NEW.status = 'sent'
            AND (NEW.opened_at IS NOT NULL OR NEW.proxy_opened_at IS NOT NULL))
            - (OLD.direction = 'outbound' AND OLD.channel = 'email' AND OLD.status = 'sent'
            AND (OLD.opened_at IS NOT NULL OR OLD.proxy_opened_at IS NOT NULL)),
        (NEW.direction = 'outbound' AND NEW.channel = 'email' AND NEW.status = 'sent' AND NEW.clicked_at IS NOT NULL)
            - (OLD.direction = 'outbound' AND OLD.channel = 'email' AND OLD.status = 'sent' AND OLD.clicked_at IS NOT NULL)
    FROM (SELECT NEW.channel AS ch UNION ALL SELECT '') WHERE true
    ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET
        turns = turns + excluded.turns, replied_turns = replied_turns + excluded.replied_turns,
        emails_delivered = emails_delivered + excluded.emails_delivered,
        emails_opened_human = emails_opened_human + excluded.emails_opened_human,
        emails_opened_any = emails_opened_any + excluded.emails_opened_any,
        emails_clicked = emails_clicked + excluded.emails_clicked;
    INSERT INTO message_rollups (workspace_id, slot, channel, opens_human, opens_proxy, clicks)
    SELECT NEW.workspace_id, CAST(strftime('%s', t) AS INTEGER) / 900, ch,
        sign * (kind = 0), sign * (kind = 1), sign * (kind = 2)
    FROM (SELECT 0 AS kind, -1 AS sign, OLD.opened_at AS t, OLD.opened_at IS NOT NEW.opened_at AS moved
        UNION ALL SELECT 0, 1, NEW.opened_at, OLD.opened_at IS NOT NEW.opened_at
        UNION ALL SELECT 1, -1, OLD.proxy_opened_at, OLD.proxy_opened_at IS NOT NEW.proxy_opened_at
        UNION ALL SELECT 1, 1, NEW.proxy_opened_at, OLD.proxy_opened_at IS NOT NEW.proxy_opened_at
        UNION ALL SELECT 2, -1, OLD.clicked_at, OLD.clicked_at IS NOT NEW.clicked_at
        UNION ALL SELECT 2, 1, NEW.clicked_at, OLD.clicked_at IS NOT NEW.clicked_at),
        (SELECT NEW.channel AS ch UNION ALL SELECT '')
    WHERE moved AND t IS NOT NULL AND NEW.direction = 'outbound' AND NEW.channel = 'email'
    ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET opens_human = opens_human + excluded.opens_human,
        opens_proxy = opens_proxy + excluded.opens_proxy, clicks = clicks + excluded.clicks;
END;

CREATE TRIGGER messages_response_update AFTER UPDATE OF response_secs ON messages
WHEN OLD.response_secs IS NOT NEW.response_secs
BEGIN
    INSERT INTO response_rollups (workspace_id, day, channel, secs, responses)
    SELECT NEW.workspace_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 86400, ch,
        CASE WHEN s < 60 THEN s WHEN s < 3600 THEN s / 60 * 60 WHEN s < 86400 THEN s / 360 * 360
            WHEN s < 864000 THEN s / 8640 * 8640 ELSE s / 86400 * 86400 END, sign
    FROM (SELECT -1 AS sign, OLD.response_secs AS s UNION ALL SELECT 1, NEW.response_secs),
        (SELECT NEW.channel AS ch UNION ALL SELECT '')
    WHERE s IS NOT NULL
    ON CONFLICT (workspace_id, channel, day, secs) DO UPDATE SET responses = responses + excluded.responses;
    DELETE FROM response_rollups WHERE workspace_id = NEW.workspace_id
        AND day = CAST(strftime('%s', NEW.created_at) AS INTEGER) / 86400 AND channel IN (NEW.channel, '')
        AND responses = 0;
END;

CREATE TRIGGER lead_channels_touch_insert AFTER INSERT ON lead_channels BEGIN
    INSERT INTO touch_rollups (workspace_id, channel, slot, leads)
    VALUES (NEW.workspace_id, NEW.channel, CAST(strftime('%s', NEW.last_message_at) AS INTEGER) / 900, 1)
    ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET leads = leads + 1;
END;
CREATE TRIGGER lead_channels_touch_update AFTER UPDATE OF last_message_at ON lead_channels BEGIN
    INSERT INTO touch_rollups (workspace_id, channel, slot, leads)
    SELECT NEW.workspace_id, NEW.channel, CAST(strftime('%s', t) AS INTEGER) / 900, sign
    FROM (SELECT -1 AS sign, OLD.last_message_at AS t UNION ALL SELECT 1, NEW.last_message_at)
    WHERE true
    ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET leads = leads + excluded.leads;
END;

CREATE TRIGGER leads_rollup_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_totals (workspace_id, stage, unclosed, value_cents)
    VALUES (NEW.workspace_id, NEW.stage, NEW.closed_at IS NULL, COALESCE(NEW.deal_value_cents, 0))
    ON CONFLICT (workspace_id, stage) DO UPDATE SET unclosed = unclosed + excluded.unclosed, value_cents = value_cents + excluded.value_cents;
    INSERT INTO touch_rollups (workspace_id, channel, slot, leads)
    SELECT NEW.workspace_id, '', CAST(strftime('%s', NEW.last_message_at) AS INTEGER) / 900, 1
    WHERE NEW.last_message_at IS NOT NULL
    ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET leads = leads + 1;
END;
CREATE TRIGGER leads_rollup_update AFTER UPDATE OF workspace_id, stage, closed_at, deal_value_cents ON leads BEGIN
    INSERT INTO lead_totals (workspace_id, stage, unclosed, value_cents)
    SELECT ws, stage, sign * unclosed, sign * value
    FROM (SELECT -1 AS sign, OLD.workspace_id AS ws, OLD.stage AS stage, OLD.closed_at IS NULL AS unclosed,
            COALESCE(OLD.deal_value_cents, 0) AS value
        UNION ALL SELECT 1, NEW.workspace_id, NEW.stage, NEW.closed_at IS NULL, COALESCE(NEW.deal_value_cents, 0))
    WHERE true
    ON CONFLICT (workspace_id, stage) DO UPDATE SET unclosed = unclosed + excluded.unclosed,
        value_cents = value_cents + excluded.value_cents;
END;
CREATE TRIGGER leads_touch_update AFTER UPDATE OF last_message_at ON leads
WHEN OLD.last_message_at IS NOT NEW.last_message_at
BEGIN
    INSERT INTO touch_rollups (workspace_id, channel, slot, leads)
    SELECT NEW.workspace_id, '', CAST(strftime('%s', t) AS INTEGER) / 900, sign
    FROM (SELECT -1 AS sign, OLD.last_message_at AS t UNION ALL SELECT 1, NEW.last_message_at)
    WHERE t IS NOT NULL
    ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET leads = leads + excluded.leads;
END;

-- The won figures read (won_at, deal value) from the index alone; closed leads by close time.
DROP INDEX leads_by_won;
CREATE INDEX leads_by_won ON leads(workspace_id, won_at, deal_value_cents) WHERE won_at IS NOT NULL;
CREATE INDEX leads_by_closed ON leads(workspace_id, closed_at) WHERE closed_at IS NOT NULL;
