//! The dashboard's rollups (`message_rollups`, `response_rollups`, `touch_rollups`,
//! `lead_totals`, see the migration that creates them), kept by the writes that change what
//! they count, in the same transaction.
//!
//! What each figure counts is said once, here: [`Delta::message`] counts a message row in (or,
//! with sign -1, out of) the rollups, [`Delta::lead`] a lead row. A write that changes a row
//! applies the delta of the row before and after it, so a figure that did not change cancels
//! out and costs no row write; [`Delta::apply`] writes what is left in one round trip. The
//! same code rebuilds a workspace's rollups from its rows after a bulk load ([`rebuild_in`]).
//! `tests/integration/rollups.rs` checks every dashboard figure against one computed from the
//! rows. Over 400 lines on purpose: what each figure counts is read in one place.
//!
//! Time unit: the 15-minute slot (Unix seconds / 900). Every time zone's midnight falls on a
//! slot boundary, so any viewer's day or hour is a whole number of slots.
use super::db::{on_conn, Conn};
use super::script::{placeholders, Script};
use super::Store;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::response_time::precision;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use std::collections::BTreeMap;

const SLOT_SECS: i64 = 900;
const DAY_SECS: i64 = 86_400;

fn slot(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(SLOT_SECS)
}

/// What the dashboard counts of one message.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(super) struct MessageFacts {
    pub workspace_id: WorkspaceId,
    pub lead_id: LeadId,
    pub channel: String,
    pub direction: String,
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub opens_turn: bool,
    pub replied_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub proxy_opened_at: Option<DateTime<Utc>>,
    pub clicked_at: Option<DateTime<Utc>>,
    pub response_secs: Option<i64>,
    pub auto_reply: bool,
}

/// The columns of [`MessageFacts`], for `SELECT {MESSAGE_FACTS} FROM messages` and `RETURNING`.
pub(super) const MESSAGE_FACTS: &str = "workspace_id, lead_id, channel, direction, created_at, \
     status, opens_turn, replied_at, opened_at, proxy_opened_at, clicked_at, response_secs, \
     auto_reply";

/// What the dashboard counts of one lead (its newest message is counted by the message path).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(super) struct LeadFacts {
    pub workspace_id: WorkspaceId,
    pub stage: String,
    pub unclosed: bool,
    pub value_cents: i64,
}

const LEAD_FACTS: &str = "workspace_id, stage, closed_at IS NULL AS unclosed, \
     COALESCE(deal_value_cents, 0) AS value_cents";

/// The counters of one `message_rollups` row, in column order.
const MESSAGE_COUNTERS: [&str; 11] = [
    "sent",
    "received",
    "turns",
    "replied_turns",
    "emails_delivered",
    "emails_opened_human",
    "emails_opened_any",
    "emails_clicked",
    "opens_human",
    "opens_proxy",
    "clicks",
];
type Counters = [i64; 11];
/// (workspace, channel, slot).
type SlotKey = (WorkspaceId, String, i64);
/// (workspace, channel, UTC day, seconds at display precision).
type ResponseKey = (WorkspaceId, String, i64, i64);
/// (workspace, stage).
type StageKey = (WorkspaceId, String);
/// (lead, channel) → (workspace, time of its newest message there).
type LeadChannel = ((LeadId, String), (WorkspaceId, DateTime<Utc>));
const OPENS_HUMAN: usize = 8;
const OPENS_PROXY: usize = 9;
const CLICKS: usize = 10;

/// Changes to the rollups, summed per row; rows whose changes cancel out are not written.
#[derive(Debug, Default)]
pub(super) struct Delta {
    messages: BTreeMap<SlotKey, Counters>,
    responses: BTreeMap<ResponseKey, i64>,
    /// Leads by the slot of their newest message.
    touches: BTreeMap<SlotKey, i64>,
    /// (unclosed leads, deal value).
    totals: BTreeMap<StageKey, (i64, i64)>,
    /// Each lead's newest message per channel: (lead, channel) → (workspace, time).
    lead_channels: BTreeMap<(LeadId, String), (WorkspaceId, DateTime<Utc>)>,
}

impl Delta {
    /// Counts message `m` in (`sign` 1) or out (-1), on its channel's rows and on the
    /// all-channels rows (channel ''), so unfiltered cards read a fifth of the rows.
    pub fn message(&mut self, m: &MessageFacts, sign: i64) {
        let outbound = m.direction == "outbound";
        let email = outbound && m.channel == "email";
        // An email counts as delivered, opened and clicked once it is sent.
        let delivered = email && m.status == "sent";
        let mut created = [0; 11];
        created[0] = i64::from(outbound);
        // An out-of-office is shown, but is no reply.
        created[1] = i64::from(m.direction == "inbound" && !m.auto_reply);
        created[2] = i64::from(m.opens_turn);
        created[3] = i64::from(m.opens_turn && m.replied_at.is_some());
        created[4] = i64::from(delivered);
        created[5] = i64::from(delivered && m.opened_at.is_some());
        created[6] = i64::from(delivered && (m.opened_at.is_some() || m.proxy_opened_at.is_some()));
        created[7] = i64::from(delivered && m.clicked_at.is_some());
        for channel in [m.channel.as_str(), ""] {
            self.add_counters(m.workspace_id, channel, slot(m.created_at), created, sign);
            // The opens and clicks chart counts each receipt in the slot it happened.
            if email {
                for (at, counter) in [
                    (m.opened_at, OPENS_HUMAN),
                    (m.proxy_opened_at, OPENS_PROXY),
                    (m.clicked_at, CLICKS),
                ] {
                    if let Some(at) = at {
                        let mut one = [0; 11];
                        one[counter] = 1;
                        self.add_counters(m.workspace_id, channel, slot(at), one, sign);
                    }
                }
            }
            // First response times by the UTC day of the reply, at the precision shown.
            if let Some(secs) = m.response_secs {
                let key = (
                    m.workspace_id,
                    channel.to_string(),
                    m.created_at.timestamp().div_euclid(DAY_SECS),
                    precision(secs),
                );
                *self.responses.entry(key).or_default() += sign;
            }
        }
    }

    /// Counts lead `l` in or out of the open pipeline of its stage.
    pub fn lead(&mut self, l: &LeadFacts, sign: i64) {
        let total = self
            .totals
            .entry((l.workspace_id, l.stage.clone()))
            .or_default();
        total.0 += sign * i64::from(l.unclosed);
        total.1 += sign * l.value_cents;
    }

    /// A lead whose newest message on `channel` ('' for any channel) moved from `before` to
    /// `after`: "active conversations since S" sums leads by that slot.
    pub fn touch(
        &mut self,
        workspace: WorkspaceId,
        channel: &str,
        before: Option<DateTime<Utc>>,
        after: Option<DateTime<Utc>>,
    ) {
        for (at, sign) in [(before, -1), (after, 1)] {
            if let Some(at) = at {
                *self
                    .touches
                    .entry((workspace, channel.to_string(), slot(at)))
                    .or_default() += sign;
            }
        }
    }

    /// A new message `m`, given its lead's newest message times before it (overall and on
    /// its channel): counts it, and moves the lead's "newest message" slots when it is newer.
    pub fn message_inserted(
        &mut self,
        m: &MessageFacts,
        lead_last: Option<DateTime<Utc>>,
        channel_last: Option<DateTime<Utc>>,
    ) {
        self.message(m, 1);
        for (channel, last) in [("", lead_last), (m.channel.as_str(), channel_last)] {
            if last.is_none_or(|last| last <= m.created_at) {
                self.touch(m.workspace_id, channel, last, Some(m.created_at));
            }
        }
        let newest = self
            .lead_channels
            .entry((m.lead_id, m.channel.clone()))
            .or_insert((m.workspace_id, m.created_at));
        newest.1 = newest.1.max(m.created_at);
    }

    fn add_counters(
        &mut self,
        workspace: WorkspaceId,
        channel: &str,
        slot: i64,
        counters: Counters,
        sign: i64,
    ) {
        if counters == [0; 11] {
            return;
        }
        let row = self
            .messages
            .entry((workspace, channel.to_string(), slot))
            .or_default();
        for (sum, n) in row.iter_mut().zip(counters) {
            *sum += sign * n;
        }
    }

    /// Writes the changes that did not cancel out, in one round trip (one statement per
    /// table, several rows each; large deltas in chunks).
    pub async fn apply(self, conn: Conn<'_>) -> Result<(), sqlx::Error> {
        let mut script = Script::for_conn(&conn);
        self.push_to(&mut script);
        script.execute(conn).await
    }

    /// Adds the statements of [`Delta::apply`] to a write's `script`.
    pub fn push_to(self, script: &mut Script<'_>) {
        let messages: Vec<_> = self
            .messages
            .into_iter()
            .filter(|(_, c)| *c != [0; 11])
            .collect();
        let responses: Vec<_> = self
            .responses
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .collect();
        let touches: Vec<_> = self.touches.into_iter().filter(|(_, n)| *n != 0).collect();
        let totals: Vec<_> = self
            .totals
            .into_iter()
            .filter(|(_, t)| *t != (0, 0))
            .collect();
        let lead_channels: Vec<_> = self.lead_channels.into_iter().collect();
        // Well under SQLite's 32,766 parameters per statement.
        const ROWS: usize = 500;
        for part in messages.chunks(ROWS) {
            push_messages(script, part);
        }
        for part in responses.chunks(ROWS) {
            push_responses(script, part);
        }
        for part in touches.chunks(ROWS) {
            push_touches(script, part);
        }
        for part in totals.chunks(ROWS) {
            push_totals(script, part);
        }
        for part in lead_channels.chunks(ROWS) {
            push_lead_channels(script, part);
        }
    }
}

fn push_messages(script: &mut Script<'_>, rows: &[(SlotKey, Counters)]) {
    let tuples = rows
        .iter()
        .map(|((ws, channel, slot), counters)| {
            script.bind(*ws).bind(channel.clone()).bind(*slot);
            for &n in counters {
                script.bind(n);
            }
            placeholders(3 + counters.len())
        })
        .collect();
    let columns = MESSAGE_COUNTERS.join(", ");
    let sums: Vec<String> = MESSAGE_COUNTERS
        .iter()
        .map(|c| format!("{c} = message_rollups.{c} + excluded.{c}"))
        .collect();
    script.rows_statement(
        &format!("INSERT INTO message_rollups (workspace_id, channel, slot, {columns}) VALUES "),
        tuples,
        &format!(
            " ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET {}",
            sums.join(", ")
        ),
    );
}

fn push_responses(script: &mut Script<'_>, rows: &[(ResponseKey, i64)]) {
    let tuples = rows
        .iter()
        .map(|((ws, channel, day, secs), n)| {
            script
                .bind(*ws)
                .bind(channel.clone())
                .bind(*day)
                .bind(*secs)
                .bind(*n);
            placeholders(5)
        })
        .collect();
    script.rows_statement(
        "INSERT INTO response_rollups (workspace_id, channel, day, secs, responses) VALUES ",
        tuples,
        " ON CONFLICT (workspace_id, channel, day, secs) DO UPDATE SET responses = response_rollups.responses + excluded.responses",
    );
    // A percentile reads the rows as a histogram: a bucket that lost its last response goes.
    let emptied = rows
        .iter()
        .filter(|(_, n)| *n < 0)
        .map(|((ws, channel, day, secs), _)| {
            script
                .bind(*ws)
                .bind(channel.clone())
                .bind(*day)
                .bind(*secs);
            placeholders(4)
        })
        .collect();
    script.rows_statement(
        "DELETE FROM response_rollups WHERE responses = 0 \
         AND (workspace_id, channel, day, secs) IN (VALUES ",
        emptied,
        ")",
    );
}

fn push_touches(script: &mut Script<'_>, rows: &[(SlotKey, i64)]) {
    let tuples = rows
        .iter()
        .map(|((ws, channel, slot), n)| {
            script.bind(*ws).bind(channel.clone()).bind(*slot).bind(*n);
            placeholders(4)
        })
        .collect();
    script.rows_statement(
        "INSERT INTO touch_rollups (workspace_id, channel, slot, leads) VALUES ",
        tuples,
        " ON CONFLICT (workspace_id, channel, slot) DO UPDATE SET leads = touch_rollups.leads + excluded.leads",
    );
}

fn push_totals(script: &mut Script<'_>, rows: &[(StageKey, (i64, i64))]) {
    let tuples = rows
        .iter()
        .map(|((ws, stage), (unclosed, value))| {
            script
                .bind(*ws)
                .bind(stage.clone())
                .bind(*unclosed)
                .bind(*value);
            placeholders(4)
        })
        .collect();
    script.rows_statement(
        "INSERT INTO lead_totals (workspace_id, stage, unclosed, value_cents) VALUES ",
        tuples,
        " ON CONFLICT (workspace_id, stage) DO UPDATE SET unclosed = lead_totals.unclosed + excluded.unclosed, \
         value_cents = lead_totals.value_cents + excluded.value_cents",
    );
}

fn push_lead_channels(script: &mut Script<'_>, rows: &[LeadChannel]) {
    let tuples = rows
        .iter()
        .map(|((lead, channel), (ws, at))| {
            script.bind(*lead).bind(channel.clone()).bind(*ws).bind(*at);
            placeholders(4)
        })
        .collect();
    script.rows_statement(
        "INSERT INTO lead_channels (lead_id, channel, workspace_id, last_message_at) VALUES ",
        tuples,
        " ON CONFLICT (lead_id, channel) DO UPDATE SET last_message_at = excluded.last_message_at \
         WHERE excluded.last_message_at > lead_channels.last_message_at",
    );
}

/// The facts of message `id` as it stands.
pub(super) async fn message_facts_in(
    mut conn: Conn<'_>,
    id: MessageId,
) -> Result<Option<MessageFacts>, sqlx::Error> {
    on_conn!(conn, |c, sql| sqlx::query_as(sql(&format!(
        "SELECT {MESSAGE_FACTS} FROM messages WHERE id = ?"
    )))
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// A message's facts went from `before` to `after` (its update's `RETURNING {MESSAGE_FACTS}`):
/// applies the difference.
pub(super) async fn message_changed_in(
    conn: Conn<'_>,
    before: Option<MessageFacts>,
    after: Option<MessageFacts>,
) -> Result<(), sqlx::Error> {
    if before == after {
        return Ok(());
    }
    let mut delta = Delta::default();
    for (facts, sign) in [(before, -1), (after, 1)] {
        if let Some(facts) = facts {
            delta.message(&facts, sign);
        }
    }
    delta.apply(conn).await
}

/// The facts of lead `id` as it stands.
pub(super) async fn lead_facts_in(
    mut conn: Conn<'_>,
    id: LeadId,
) -> Result<Option<LeadFacts>, sqlx::Error> {
    on_conn!(conn, |c, sql| sqlx::query_as(sql(&format!(
        "SELECT {LEAD_FACTS} FROM leads WHERE id = ?"
    )))
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// After a change to lead `id` whose facts were `before` (None: it was just inserted).
pub(super) async fn lead_changed_in(
    mut conn: Conn<'_>,
    before: Option<LeadFacts>,
    id: LeadId,
) -> Result<(), sqlx::Error> {
    let after = lead_facts_in(conn.reborrow(), id).await?;
    if before == after {
        return Ok(());
    }
    let mut delta = Delta::default();
    for (facts, sign) in [(before, -1), (after, 1)] {
        if let Some(facts) = facts {
            delta.lead(&facts, sign);
        }
    }
    delta.apply(conn).await
}

/// Takes lead `id` out of the rollups before it is deleted: each of its messages, its place in
/// the pipeline, and the slots of its newest messages (overall and per channel).
pub(super) async fn lead_removed_in(mut conn: Conn<'_>, id: LeadId) -> Result<(), sqlx::Error> {
    let mut delta = Delta::default();
    {
        let sql = format!("SELECT {MESSAGE_FACTS} FROM messages WHERE lead_id = ?");
        on_conn!(conn, |c, fit| {
            let mut rows = sqlx::query_as::<_, MessageFacts>(fit(&sql))
                .bind(id)
                .fetch(c);
            while let Some(m) = rows.try_next().await? {
                delta.message(&m, -1);
            }
            Ok::<_, sqlx::Error>(())
        })?;
    }
    let newest: Vec<(WorkspaceId, String, DateTime<Utc>)> =
        on_conn!(conn, |c, sql| sqlx::query_as(sql(
            "SELECT workspace_id, channel, last_message_at FROM lead_channels WHERE lead_id = ?",
        ))
        .bind(id)
        .fetch_all(c)
        .await)?;
    for (workspace, channel, at) in newest {
        delta.touch(workspace, &channel, Some(at), None);
    }
    #[derive(sqlx::FromRow)]
    struct Removed {
        #[sqlx(flatten)]
        facts: LeadFacts,
        last_message_at: Option<DateTime<Utc>>,
    }
    let lead: Option<Removed> = on_conn!(conn, |c, sql| sqlx::query_as(sql(&format!(
        "SELECT {LEAD_FACTS}, last_message_at FROM leads WHERE id = ?"
    )))
    .bind(id)
    .fetch_optional(c)
    .await)?;
    if let Some(lead) = lead {
        delta.touch(lead.facts.workspace_id, "", lead.last_message_at, None);
        delta.lead(&lead.facts, -1);
    }
    delta.apply(conn).await
}

/// Recounts a workspace's rollups from its rows (after rows were written directly: the demo
/// seed, the benchmark's generated workspace, imports), with the same [`Delta`] the writes use.
pub(super) async fn rebuild_in(
    mut conn: Conn<'_>,
    workspace: WorkspaceId,
) -> Result<(), sqlx::Error> {
    for table in [
        "message_rollups",
        "response_rollups",
        "touch_rollups",
        "lead_totals",
        "lead_channels",
    ] {
        on_conn!(conn, |c, sql| sqlx::query(sql(&format!(
            "DELETE FROM {table} WHERE workspace_id = ?"
        )))
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
    }
    let mut delta = Delta::default();
    {
        let sql = format!("SELECT {MESSAGE_FACTS} FROM messages WHERE workspace_id = ?");
        on_conn!(conn, |c, fit| {
            let mut rows = sqlx::query_as::<_, MessageFacts>(fit(&sql))
                .bind(workspace)
                .fetch(c);
            while let Some(m) = rows.try_next().await? {
                delta.message(&m, 1);
                let newest = delta
                    .lead_channels
                    .entry((m.lead_id, m.channel.clone()))
                    .or_insert((m.workspace_id, m.created_at));
                newest.1 = newest.1.max(m.created_at);
            }
            Ok::<_, sqlx::Error>(())
        })?;
    }
    for ((_, channel), (ws, at)) in &delta.lead_channels {
        *delta
            .touches
            .entry((*ws, channel.clone(), slot(*at)))
            .or_default() += 1;
    }
    {
        let sql = format!("SELECT {LEAD_FACTS}, last_message_at FROM leads WHERE workspace_id = ?");
        on_conn!(conn, |c, fit| {
            let mut rows = sqlx::query_as::<
                _,
                (WorkspaceId, String, bool, i64, Option<DateTime<Utc>>),
            >(fit(&sql))
            .bind(workspace)
            .fetch(c);
            while let Some((workspace_id, stage, unclosed, value_cents, last)) =
                rows.try_next().await?
            {
                let facts = LeadFacts {
                    workspace_id,
                    stage,
                    unclosed,
                    value_cents,
                };
                delta.lead(&facts, 1);
                delta.touch(workspace_id, "", None, last);
            }
            Ok::<_, sqlx::Error>(())
        })?;
    }
    delta.apply(conn).await
}

impl Store {
    /// Recounts the workspace's dashboard rollups from its rows (see [`rebuild_in`]).
    pub async fn rebuild_rollups(&self, workspace: WorkspaceId) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        rebuild_in(tx.reborrow(), workspace).await?;
        tx.commit(Vec::new()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    fn email(status: &str) -> MessageFacts {
        MessageFacts {
            workspace_id: WorkspaceId(uuid::Uuid::new_v4()),
            lead_id: LeadId(uuid::Uuid::new_v4()),
            channel: "email".into(),
            direction: "outbound".into(),
            created_at: Utc::now(),
            status: status.into(),
            opens_turn: true,
            replied_at: None,
            opened_at: Some(Utc::now()),
            proxy_opened_at: None,
            clicked_at: None,
            response_secs: Some(75),
            auto_reply: false,
        }
    }

    #[tokio::test]
    async fn a_change_that_moves_no_figure_writes_nothing() {
        // No tables at all: any statement would fail.
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let m = email("queued");
        let mut delta = Delta::default();
        delta.message(&m, -1);
        delta.message(
            &MessageFacts {
                status: "failed".into(),
                ..m.clone()
            },
            1,
        );
        delta.touch(m.workspace_id, "", Some(m.created_at), Some(m.created_at));
        delta.apply(Conn::Sqlite(&mut conn)).await.unwrap();
        // Delivered does move figures (delivered, opened): that one is written.
        let mut delta = Delta::default();
        delta.message(&m, -1);
        delta.message(
            &MessageFacts {
                status: "sent".into(),
                ..m
            },
            1,
        );
        assert!(delta.apply(Conn::Sqlite(&mut conn)).await.is_err());
    }

    #[test]
    fn a_message_counts_on_its_channel_and_on_all_channels() {
        let m = email("sent");
        let mut delta = Delta::default();
        delta.message(&m, 1);
        let channels: Vec<&str> = delta.messages.keys().map(|k| k.1.as_str()).collect();
        // Created slot and the open's slot (the same here), each on 'email' and ''.
        assert_eq!(channels, ["", "email"]);
        let row = delta.messages.values().next().unwrap();
        // sent, turn, delivered, opened (human and any), and the open itself.
        assert_eq!(row, &[1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0]);
        assert_eq!(delta.responses.values().collect::<Vec<_>>(), [&1, &1]);
    }
}
