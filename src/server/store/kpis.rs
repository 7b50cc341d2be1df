//! Dashboard figures, computed from the rows on every request (no counters that could drift),
//! and the conversation facts on messages that make reply rate and response time cheap.
use super::events::append;
use super::Store;
use crate::model::analytics::{response_bucket, Analytics};
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::kpi::{nearest_rank, DashboardQuery, Kpis, Period};
use crate::model::message::{Channel, Direction};
use chrono::{DateTime, Utc};

/// Derives `opens_turn`, `replied_at` and `response_secs` (see the migration that adds them)
/// from the order of one workspace's messages. The migration ran a frozen copy of this once,
/// over every workspace, to backfill rows that existed before it.
const TURNS_SQL: &str = "\
WITH ordered AS (
    SELECT id, lead_id, direction, created_at,
        CASE WHEN LAG(direction) OVER w IS NULL OR LAG(direction) OVER w != direction THEN 1 ELSE 0 END AS opens
    FROM messages WHERE workspace_id = ?
    WINDOW w AS (PARTITION BY lead_id ORDER BY created_at, id)
), openers AS (
    SELECT id, direction, created_at,
        LAG(created_at) OVER v AS previous_run_start,
        LEAD(created_at) OVER v AS next_run_start
    FROM ordered WHERE opens = 1
    WINDOW v AS (PARTITION BY lead_id ORDER BY created_at, id)
)
UPDATE messages SET
    opens_turn = 1,
    replied_at = openers.next_run_start,
    response_secs = CASE WHEN openers.previous_run_start IS NULL THEN NULL
        ELSE CAST(ROUND((julianday(openers.created_at) - julianday(openers.previous_run_start)) * 86400) AS INTEGER) END
FROM openers
WHERE messages.id = openers.id AND openers.direction = 'outbound'";

/// Recomputes the conversation facts of every message in `workspace` (after a bulk import),
/// inside the caller's transaction.
pub(super) async fn recompute_turns_in(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE messages SET opens_turn = 0, replied_at = NULL, response_secs = NULL \
         WHERE workspace_id = ? AND (opens_turn != 0 OR response_secs IS NOT NULL)",
    )
    .bind(workspace)
    .execute(&mut *tx)
    .await?;
    sqlx::query(TURNS_SQL)
        .bind(workspace)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Sets the conversation facts of `message`, just recorded as the newest of its lead, from
/// the message before it: the same rules as [`recompute_turns_in`], for one row (a full
/// recompute per send would cost a window over the whole thread).
pub(super) async fn note_newest_in(
    tx: &mut sqlx::SqliteConnection,
    lead: LeadId,
    message: MessageId,
    direction: Direction,
) -> Result<(), sqlx::Error> {
    let previous: Option<(String,)> = sqlx::query_as(
        "SELECT direction FROM messages WHERE lead_id = ? AND id != ? \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(lead)
    .bind(message)
    .fetch_optional(&mut *tx)
    .await?;
    let previous = previous.as_ref().map(|(d,)| d.as_str());
    match (direction, previous) {
        // The first message of a thread, ours: an outreach turn with nothing to respond to.
        (Direction::Outbound, None) => {
            sqlx::query("UPDATE messages SET opens_turn = 1 WHERE id = ?")
                .bind(message)
                .execute(&mut *tx)
                .await?;
        }
        // Our answer to the lead's run: a turn, timed from the first message of that run.
        (Direction::Outbound, Some("inbound")) => {
            sqlx::query(
                "UPDATE messages SET opens_turn = 1, response_secs = (\
                 SELECT CAST(ROUND((julianday(messages.created_at) - julianday(MIN(i.created_at))) * 86400) AS INTEGER) \
                 FROM messages i WHERE i.lead_id = ?1 AND i.direction = 'inbound' AND i.created_at > \
                 COALESCE((SELECT MAX(o.created_at) FROM messages o WHERE o.lead_id = ?1 \
                 AND o.direction = 'outbound' AND o.id != ?2), '')) WHERE id = ?2",
            )
            .bind(lead)
            .bind(message)
            .execute(&mut *tx)
            .await?;
        }
        // The lead answers our run: its opening message is replied to.
        (Direction::Inbound, Some("outbound")) => {
            sqlx::query(
                "UPDATE messages SET replied_at = (SELECT created_at FROM messages WHERE id = ?2) \
                 WHERE id = (SELECT id FROM messages WHERE lead_id = ?1 AND opens_turn = 1 \
                 ORDER BY created_at DESC, id DESC LIMIT 1) AND replied_at IS NULL",
            )
            .bind(lead)
            .bind(message)
            .execute(&mut *tx)
            .await?;
        }
        // A message continuing a run changes nothing.
        _ => {}
    }
    Ok(())
}

/// One row of the lead totals.
#[derive(sqlx::FromRow)]
struct LeadTotals {
    won: i64,
    in_play: i64,
    pipeline: i64,
    won_value: i64,
}

#[derive(sqlx::FromRow)]
struct EmailTotals {
    delivered: i64,
    opened_human: i64,
    opened_any: i64,
    clicked: i64,
}

impl Store {
    /// Recomputes every message's conversation facts in `workspace` (seeds and imports that
    /// insert rows directly call this once at the end).
    pub async fn recompute_turns(&self, workspace: WorkspaceId) -> Result<(), sqlx::Error> {
        let (_writer, mut tx) = self.begin_write().await?;
        recompute_turns_in(&mut tx, workspace).await?;
        tx.commit().await
    }

    /// The KPI cards for `query`, as of `now`.
    pub async fn kpis(
        &self,
        workspace: WorkspaceId,
        query: &DashboardQuery,
        now: DateTime<Utc>,
    ) -> Result<Kpis, sqlx::Error> {
        let start = query.period.start(now, query.tz);
        let channel = query.channel.map(Channel::as_str);
        // One read snapshot: every card describes the same moment.
        let mut tx = self.pool().begin().await?;
        let (sent_today, sent_7d, sent_30d): (i64, i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(created_at >= ?1), 0), COALESCE(SUM(created_at >= ?2), 0), COUNT(*) \
             FROM messages WHERE workspace_id = ?4 AND direction = 'outbound' AND created_at >= ?3 \
             AND (?5 IS NULL OR channel = ?5)",
        )
        .bind(Period::Today.start(now, query.tz))
        .bind(Period::Days7.start(now, query.tz))
        .bind(Period::Days30.start(now, query.tz))
        .bind(workspace)
        .bind(channel)
        .fetch_one(&mut *tx)
        .await?;
        let (replies_received,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM messages WHERE workspace_id = ?1 AND direction = 'inbound' \
             AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3)",
        )
        .bind(workspace)
        .bind(start)
        .bind(channel)
        .fetch_one(&mut *tx)
        .await?;
        let (outreach_turns, replied_turns): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(replied_at) FROM messages WHERE workspace_id = ?1 \
             AND opens_turn = 1 AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3)",
        )
        .bind(workspace)
        .bind(start)
        .bind(channel)
        .fetch_one(&mut *tx)
        .await?;
        let responses = response_times(&mut tx, workspace, start, channel).await?;
        let emails = if matches!(query.channel, None | Some(Channel::Email)) {
            sqlx::query_as::<_, EmailTotals>(
                "SELECT COUNT(*) AS delivered, COUNT(opened_at) AS opened_human, \
                 COALESCE(SUM(opened_at IS NOT NULL OR proxy_opened_at IS NOT NULL), 0) AS opened_any, \
                 COUNT(clicked_at) AS clicked FROM messages WHERE workspace_id = ? \
                 AND direction = 'outbound' AND created_at >= ? AND channel = 'email' AND status = 'sent'",
            )
            .bind(workspace)
            .bind(start)
            .fetch_one(&mut *tx)
            .await?
        } else {
            EmailTotals {
                delivered: 0,
                opened_human: 0,
                opened_any: 0,
                clicked: 0,
            }
        };
        let leads = sqlx::query_as::<_, LeadTotals>(
            "SELECT COALESCE(SUM(won_at >= ?2), 0) AS won, \
             COALESCE(SUM(closed_at IS NULL OR closed_at >= ?2), 0) AS in_play, \
             COALESCE(SUM(CASE WHEN stage NOT IN ('won', 'lost') THEN deal_value_cents END), 0) AS pipeline, \
             COALESCE(SUM(CASE WHEN won_at >= ?2 THEN deal_value_cents END), 0) AS won_value \
             FROM leads WHERE workspace_id = ?1",
        )
        .bind(workspace)
        .bind(start)
        .fetch_one(&mut *tx)
        .await?;
        let (active_conversations,): (i64,) =
            match channel {
                // Each lead keeps its newest message's time: an index range, however many leads.
                None => sqlx::query_as(
                    "SELECT COUNT(*) FROM leads WHERE workspace_id = ? AND last_message_at >= ?",
                )
                .bind(workspace)
                .bind(start)
                .fetch_one(&mut *tx)
                .await?,
                Some(channel) => {
                    sqlx::query_as(
                        "SELECT COUNT(DISTINCT lead_id) FROM messages WHERE workspace_id = ? \
                     AND direction IN ('inbound', 'outbound') AND created_at >= ? AND channel = ?",
                    )
                    .bind(workspace)
                    .bind(start)
                    .bind(channel)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
        tx.commit().await?;
        let sent = match query.period {
            Period::Today => sent_today,
            Period::Days7 => sent_7d,
            Period::Days30 => sent_30d,
        };
        Ok(Kpis {
            sent_today,
            sent_7d,
            sent_30d,
            sent,
            replies_received,
            outreach_turns,
            replied_turns,
            response_median_secs: nearest_rank(&responses, 0.5),
            response_p90_secs: nearest_rank(&responses, 0.9),
            responses: responses.len() as i64,
            emails_delivered: emails.delivered,
            emails_opened_human: emails.opened_human,
            emails_opened_any: emails.opened_any,
            emails_clicked: emails.clicked,
            leads_won: leads.won,
            leads_in_play: leads.in_play,
            pipeline_value_cents: leads.pipeline,
            won_value_cents: leads.won_value,
            active_conversations,
        })
    }

    /// The chart data for `query`, as of `now`.
    pub async fn analytics(
        &self,
        workspace: WorkspaceId,
        query: &DashboardQuery,
        now: DateTime<Utc>,
    ) -> Result<Analytics, sqlx::Error> {
        let mut analytics = Analytics::empty(query, now);
        let start = query.period.start(now, query.tz);
        let size = analytics.bucket_secs;
        let channel = query.channel.map(Channel::as_str);
        // The bucket of a stored time: whole `size`s since the period's start.
        let bucket = |column: &str| {
            format!("CAST((julianday({column}) - julianday(?2)) * 86400 / ?3 AS INTEGER)")
        };
        let mut tx = self.pool().begin().await?;
        let per_channel: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
            "SELECT {} AS b, channel, COUNT(*) FROM messages WHERE workspace_id = ?1 \
             AND direction IN ('inbound', 'outbound') AND created_at >= ?2 \
             AND (?4 IS NULL OR channel = ?4) GROUP BY b, channel",
            bucket("created_at")
        ))
        .bind(workspace)
        .bind(start)
        .bind(size)
        .bind(channel)
        .fetch_all(&mut *tx)
        .await?;
        for (b, channel, n) in per_channel {
            let slot =
                Channel::parse(&channel).and_then(|c| Channel::ALL.iter().position(|x| *x == c));
            if let (Some(bucket), Some(slot)) = (analytics.buckets.get_mut(b as usize), slot) {
                bucket.by_channel[slot] = n;
            }
        }
        if matches!(query.channel, None | Some(Channel::Email)) {
            for (column, pick) in [
                ("opened_at", 0usize),
                ("proxy_opened_at", 1),
                ("clicked_at", 2),
            ] {
                let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
                    "SELECT {} AS b, COUNT(*) FROM messages WHERE workspace_id = ?1 \
                     AND channel = 'email' AND direction = 'outbound' AND {column} >= ?2 GROUP BY b",
                    bucket(column)
                ))
                .bind(workspace)
                .bind(start)
                .bind(size)
                .fetch_all(&mut *tx)
                .await?;
                for (b, n) in rows {
                    if let Some(bucket) = analytics.buckets.get_mut(b as usize) {
                        match pick {
                            0 => bucket.opens_human = n,
                            1 => bucket.opens_proxy = n,
                            _ => bucket.clicks = n,
                        }
                    }
                }
            }
        }
        for secs in response_times(&mut tx, workspace, start, channel).await? {
            analytics.responses[response_bucket(secs)] += 1;
        }
        tx.commit().await?;
        Ok(analytics)
    }
}

/// First response times (seconds, ascending) of replies sent since `start`.
async fn response_times(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
    start: DateTime<Utc>,
    channel: Option<&str>,
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT response_secs FROM messages WHERE workspace_id = ?1 AND response_secs IS NOT NULL \
         AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3) ORDER BY response_secs",
    )
    .bind(workspace)
    .bind(start)
    .bind(channel)
    .fetch_all(tx)
    .await?;
    Ok(rows.into_iter().map(|(s,)| s).collect())
}

impl Store {
    /// Logs the coalesced `stats_updated` and `analytics_updated` of `workspace`.
    pub async fn log_dashboard_update(
        &self,
        workspace: WorkspaceId,
        stats: Kpis,
        analytics: Analytics,
    ) -> Result<(), sqlx::Error> {
        let (_writer, mut tx) = self.begin_write().await?;
        let timestamp = super::now();
        let stats = append(&mut tx, workspace, None, |seq| ServerFrame::StatsUpdated {
            seq,
            stats,
            timestamp,
        })
        .await?;
        let summary = analytics.summary();
        let charts = append(&mut tx, workspace, None, |seq| {
            ServerFrame::AnalyticsUpdated {
                seq,
                data: analytics,
                summary,
            }
        })
        .await?;
        tx.commit().await?;
        self.publish(vec![stats, charts]);
        Ok(())
    }
}
