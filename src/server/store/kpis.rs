//! Dashboard figures, summed from the rollups kept beside the rows (see `rollups`): each card
//! and chart reads a few thousand rollup rows however many messages the workspace has, and the
//! rollups change in the same transaction as the rows they count.
use super::db::{on_conn, Conn};
use super::events::append;
use super::Store;
use crate::model::analytics::{bucket_edges, response_bucket, Analytics};
use crate::model::channel::Channel;
use crate::model::event::ServerFrame;
use crate::model::ids::WorkspaceId;
use crate::model::kpi::{DashboardQuery, Kpis, Period};
use crate::model::response_time::{nearest_rank_in, precision_sql};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Seconds per rollup slot; periods start on slot boundaries (whole quarter-hour time zones).
const SLOT_SECS: i64 = 900;
const DAY_SECS: i64 = 86_400;
/// The rollup rows that count every channel (beside one row per channel).
const ALL_CHANNELS: &str = "";

/// The rollup slot a period starting at `start` begins with.
fn slot(start: DateTime<Utc>) -> i64 {
    start.timestamp().div_euclid(SLOT_SECS)
}

#[derive(sqlx::FromRow)]
struct MessageTotals {
    sent_today: i64,
    sent_7d: i64,
    sent_30d: i64,
    received: i64,
    turns: i64,
    replied_turns: i64,
    emails_delivered: i64,
    emails_opened_human: i64,
    emails_opened_any: i64,
    emails_clicked: i64,
}

impl Store {
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
        let mut tx = self.db().begin().await?;
        // The three "sent" figures always show; the rest follow the period.
        let m: MessageTotals = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql("SELECT CAST(COALESCE(SUM(CASE WHEN slot >= ?1 THEN sent END), 0) AS BIGINT) AS sent_today, \
             CAST(COALESCE(SUM(CASE WHEN slot >= ?2 THEN sent END), 0) AS BIGINT) AS sent_7d, \
             CAST(COALESCE(SUM(sent), 0) AS BIGINT) AS sent_30d, \
             CAST(COALESCE(SUM(CASE WHEN slot >= ?4 THEN received END), 0) AS BIGINT) AS received, \
             CAST(COALESCE(SUM(CASE WHEN slot >= ?4 THEN turns END), 0) AS BIGINT) AS turns, \
             CAST(COALESCE(SUM(CASE WHEN slot >= ?4 THEN replied_turns END), 0) AS BIGINT) AS replied_turns, \
             CAST(COALESCE(SUM(CASE WHEN slot >= ?4 THEN emails_delivered END), 0) AS BIGINT) AS emails_delivered, \
             CAST(COALESCE(SUM(CASE WHEN slot >= ?4 THEN emails_opened_human END), 0) AS BIGINT) AS emails_opened_human, \
             CAST(COALESCE(SUM(CASE WHEN slot >= ?4 THEN emails_opened_any END), 0) AS BIGINT) AS emails_opened_any, \
             CAST(COALESCE(SUM(CASE WHEN slot >= ?4 THEN emails_clicked END), 0) AS BIGINT) AS emails_clicked \
             FROM message_rollups WHERE workspace_id = ?5 AND slot >= ?3 AND channel = ?6",))
        .bind(slot(Period::Today.start(now, query.tz)))
        .bind(slot(Period::Days7.start(now, query.tz)))
        .bind(slot(Period::Days30.start(now, query.tz)))
        .bind(slot(start))
        .bind(workspace)
        .bind(channel.unwrap_or(ALL_CHANNELS))
        .fetch_one(c)
        .await
        })?;
        let responses = response_histogram(tx.reborrow(), workspace, start, channel).await?;
        let (pipeline, unclosed): (i64, i64) = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql("SELECT CAST(COALESCE(SUM(CASE WHEN stage NOT IN ('won', 'lost') THEN value_cents END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(unclosed), 0) AS BIGINT) FROM lead_totals WHERE workspace_id = ?",))
        .bind(workspace)
        .fetch_one(c)
        .await
        })?;
        let (won, won_value): (i64, i64) = on_conn!(tx, |c, sql| sqlx::query_as(sql(
            "SELECT COUNT(*), CAST(COALESCE(SUM(deal_value_cents), 0) AS BIGINT) FROM leads \
             WHERE workspace_id = ? AND won_at >= ?",
        ))
        .bind(workspace)
        .bind(start)
        .fetch_one(c)
        .await)?;
        // In play: not closed, or closed during the period.
        let (closed_since,): (i64,) = on_conn!(tx, |c, sql| sqlx::query_as(sql(
            "SELECT COUNT(*) FROM leads WHERE workspace_id = ? AND closed_at >= ?"
        ))
        .bind(workspace)
        .bind(start)
        .fetch_one(c)
        .await)?;
        // Leads by the slot of their newest message, on the channel or on any.
        let (active_conversations,): (i64,) = on_conn!(tx, |c, sql| sqlx::query_as(sql(
            "SELECT CAST(COALESCE(SUM(leads), 0) AS BIGINT) FROM touch_rollups \
             WHERE workspace_id = ? AND channel = ? AND slot >= ?",
        ))
        .bind(workspace)
        .bind(channel.unwrap_or(ALL_CHANNELS))
        .bind(slot(start))
        .fetch_one(c)
        .await)?;
        tx.commit().await?;
        let sent = match query.period {
            Period::Today => m.sent_today,
            Period::Days7 => m.sent_7d,
            Period::Days30 => m.sent_30d,
        };
        Ok(Kpis {
            sent_today: m.sent_today,
            sent_7d: m.sent_7d,
            sent_30d: m.sent_30d,
            sent,
            replies_received: m.received,
            outreach_turns: m.turns,
            replied_turns: m.replied_turns,
            response_median_secs: nearest_rank_in(&responses, 0.5),
            response_p90_secs: nearest_rank_in(&responses, 0.9),
            responses: responses.iter().map(|(_, n)| n).sum(),
            emails_delivered: m.emails_delivered,
            emails_opened_human: m.emails_opened_human,
            emails_opened_any: m.emails_opened_any,
            emails_clicked: m.emails_clicked,
            leads_won: won,
            leads_in_play: unclosed + closed_since,
            pipeline_value_cents: pipeline,
            won_value_cents: won_value,
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
        let edges = bucket_edges(query, now);
        let mut analytics = Analytics::over(query, &edges);
        let start = query.period.start(now, query.tz);
        let channel = query.channel.map(Channel::as_str);
        let mut tx = self.db().begin().await?;
        // Messages by created slot, receipts by the slot they happened in, summed per bucket
        // and channel. Each bucket is its own range of slots (`b` below): a viewer's day is
        // not always 96 slots long (daylight saving), so a bucket cannot be computed by
        // dividing. The channels listed (not the all-channels rows): one index range each.
        let channels = Channel::ALL.map(|c| format!("'{}'", c.as_str())).join(", ");
        let buckets = (0..edges.len().saturating_sub(1))
            .map(|i| format!("({i}, ?{}, ?{})", i + 3, i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "WITH b(i, lo, hi) AS (VALUES {buckets}) \
             SELECT CAST(b.i AS BIGINT), r.channel, CAST(SUM(r.sent + r.received) AS BIGINT), CAST(SUM(r.opens_human) AS BIGINT), \
             CAST(SUM(r.opens_proxy) AS BIGINT), CAST(SUM(r.clicks) AS BIGINT) FROM b JOIN message_rollups r \
             ON r.workspace_id = ?1 AND r.channel IN ({channels}) \
             AND r.slot >= b.lo AND r.slot < b.hi AND (?2 IS NULL OR r.channel = ?2) \
             GROUP BY b.i, r.channel"
        );
        let rows: Vec<(i64, String, i64, i64, i64, i64)> = on_conn!(tx, |c, fit| {
            let mut rows_query = sqlx::query_as(fit(&sql)).bind(workspace).bind(channel);
            for edge in &edges {
                rows_query = rows_query.bind(slot(*edge));
            }
            rows_query.fetch_all(c).await
        })?;
        for (b, channel, messages, human, proxy, clicks) in rows {
            let Some(bucket) = usize::try_from(b)
                .ok()
                .and_then(|b| analytics.buckets.get_mut(b))
            else {
                continue;
            };
            if let Some(i) =
                Channel::parse(&channel).and_then(|c| Channel::ALL.iter().position(|x| *x == c))
            {
                bucket.by_channel[i] = messages;
            }
            bucket.opens_human += human;
            bucket.opens_proxy += proxy;
            bucket.clicks += clicks;
        }
        for (secs, n) in response_histogram(tx.reborrow(), workspace, start, channel).await? {
            analytics.responses[response_bucket(secs)] += n;
        }
        tx.commit().await?;
        Ok(analytics)
    }
}

/// First response times (at display precision, ascending, with their counts) of replies sent
/// since `start`: whole UTC days from `response_rollups`, and the part of a day before the
/// first whole one (a viewer's midnight is rarely UTC's) from the messages themselves.
async fn response_histogram(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    start: DateTime<Utc>,
    channel: Option<&str>,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let first_day = start.timestamp().div_euclid(DAY_SECS)
        + i64::from(start.timestamp().rem_euclid(DAY_SECS) != 0);
    let mut histogram: BTreeMap<i64, i64> = BTreeMap::new();
    let days: Vec<(i64, i64)> = on_conn!(tx, |c, sql| sqlx::query_as(sql(
        "SELECT secs, CAST(SUM(responses) AS BIGINT) FROM response_rollups \
         WHERE workspace_id = ?1 AND day >= ?2 AND channel = ?3 GROUP BY secs",
    ))
    .bind(workspace)
    .bind(first_day)
    .bind(channel.unwrap_or(ALL_CHANNELS))
    .fetch_all(c)
    .await)?;
    let day_start = DateTime::from_timestamp(first_day * DAY_SECS, 0).unwrap_or(start);
    let head: Vec<(i64, i64)> = if day_start > start {
        on_conn!(tx, |c, sql| sqlx::query_as(sql(&format!(
            "SELECT {} AS secs, COUNT(*) FROM messages WHERE workspace_id = ?1 \
             AND response_secs IS NOT NULL AND created_at >= ?2 AND created_at < ?3 \
             AND (?4 IS NULL OR channel = ?4) GROUP BY secs",
            precision_sql("response_secs")
        )))
        .bind(workspace)
        .bind(start)
        .bind(day_start)
        .bind(channel)
        .fetch_all(c)
        .await)?
    } else {
        Vec::new()
    };
    for (secs, n) in days.into_iter().chain(head) {
        *histogram.entry(secs).or_default() += n;
    }
    Ok(histogram.into_iter().collect())
}

impl Store {
    /// Logs the coalesced `stats_updated` and `analytics_updated` of `workspace`, whose figures
    /// were computed after reading its head at seq `basis`, for its changes up to seq `through`
    /// — unless a logged update's figures count `through` already (another instance's
    /// coalescer saw the same burst; under the writer, only one of them finds none). Returns
    /// whether it logged.
    ///
    /// The basis, not the update's own seq, says what it counted: a change committed while
    /// the figures were computed sits below the update in the log but is not in its figures.
    pub async fn log_dashboard_update(
        &self,
        workspace: WorkspaceId,
        through: i64,
        basis: i64,
        stats: Kpis,
        analytics: Analytics,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let counted: Option<i64> = on_conn!(tx, |c, sql| {
            sqlx::query_scalar(sql(
                "SELECT dashboard_basis FROM workspace_event_heads WHERE workspace_id = ?",
            ))
            .bind(workspace)
            .fetch_optional(c)
            .await
        })?;
        if counted.is_some_and(|counted| counted >= through) {
            return Ok(false);
        }
        let timestamp = super::now();
        let stats = append(tx.reborrow(), workspace, None, |seq| {
            ServerFrame::StatsUpdated {
                seq,
                stats,
                timestamp,
            }
        })
        .await?;
        let summary = analytics.summary();
        let charts = append(tx.reborrow(), workspace, None, |seq| {
            ServerFrame::AnalyticsUpdated {
                seq,
                data: analytics,
                summary,
            }
        })
        .await?;
        // Forwards only: logged when what was counted < `through` <= `basis` (the caller read
        // the basis after it saw `through`).
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE workspace_event_heads SET dashboard_basis = ? WHERE workspace_id = ?",
        ))
        .bind(basis)
        .bind(workspace)
        .execute(c)
        .await
        .map(|_| ()))?;
        tx.commit(vec![stats, charts]).await?;
        Ok(true)
    }
}
