//! Tracking hits: resolving pixel and link tokens, and recording classified hits in batches
//! together with the read receipts they change.
use super::activity::NewActivity;
use super::db::{on_conn, on_db, Conn};
use super::hit_folding;
use super::message_rows::message_updated;
use super::rollups::MESSAGE_FACTS;
use super::Store;
use crate::model::activity::ActivityKind;
use crate::model::ids::{MessageId, WorkspaceId};
use crate::model::tracking::{Classification, HitKind};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// The email behind a pixel token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PixelTarget {
    pub tracking_token: String,
    pub message_id: MessageId,
    pub workspace_id: WorkspaceId,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The destination behind a link token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkTarget {
    pub link_id: Uuid,
    pub message_id: MessageId,
    pub workspace_id: WorkspaceId,
    pub url: String,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A classified hit, ready to store (the IP already truncated).
#[derive(Debug, Clone)]
pub struct StoredHit {
    pub message_id: MessageId,
    pub workspace_id: WorkspaceId,
    pub kind: HitKind,
    pub link_id: Option<Uuid>,
    pub classification: Classification,
    pub method: &'static str,
    pub ip_prefix: Option<String>,
    pub user_agent: String,
    pub at: DateTime<Utc>,
}

/// A message whose clicks since `since` turned out to be a scanner clicking every link.
#[derive(Debug, Clone)]
pub struct Burst {
    pub message_id: MessageId,
    pub workspace_id: WorkspaceId,
    pub since: DateTime<Utc>,
}

/// Rows per INSERT statement (9 parameters each, well under SQLite's limit).
const INSERT_CHUNK: usize = 200;

impl Store {
    /// The tracked emails behind `tokens`, in workspaces that still have tracking on.
    pub async fn pixel_targets(
        &self,
        tokens: &[&str],
    ) -> Result<HashMap<String, PixelTarget>, sqlx::Error> {
        let mut found = HashMap::new();
        for chunk in tokens.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT e.tracking_token, e.message_id, e.workspace_id, q.sent_at FROM outbound_emails e \
                 JOIN outbound_queue q ON q.message_id = e.message_id \
                 JOIN workspaces w ON w.id = e.workspace_id \
                 WHERE w.email_tracking = TRUE AND e.tracking_token IN ({marks})"
            );
            let targets = on_db!(self.db(), |p, fit| {
                let mut query = sqlx::query_as::<_, PixelTarget>(fit(&sql));
                for token in chunk {
                    query = query.bind(*token);
                }
                query.fetch_all(p).await
            })?;
            for target in targets {
                found.insert(target.tracking_token.clone(), target);
            }
        }
        Ok(found)
    }

    pub async fn link_target(&self, token: &str) -> Result<Option<LinkTarget>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as::<_, LinkTarget>(sql(
            "SELECT l.id AS link_id, l.message_id, e.workspace_id, l.url, q.sent_at \
             FROM tracked_links l JOIN outbound_emails e ON e.message_id = l.message_id \
             JOIN outbound_queue q ON q.message_id = l.message_id \
             JOIN workspaces w ON w.id = e.workspace_id \
             WHERE l.token = ? AND w.email_tracking = TRUE",
        ))
        .bind(token)
        .fetch_optional(p)
        .await)
    }

    /// How many hits of a message are stored (what a flood on its tokens can cost in rows).
    pub async fn tracking_hit_count(&self, message: MessageId) -> Result<i64, sqlx::Error> {
        let (n,): (i64,) = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT COUNT(*) FROM tracking_events WHERE message_id = ?"
        ))
        .bind(message)
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// Every hit a message ever had, by kind and classification: the counters of folded hits
    /// plus the rows still kept.
    pub async fn tracking_counts(
        &self,
        message: MessageId,
    ) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT kind, classification, CAST(SUM(hits) AS BIGINT) FROM ( \
               SELECT kind, classification, hits FROM tracking_counts WHERE message_id = ?1 \
               UNION ALL \
               SELECT kind, classification, COUNT(*) FROM tracking_events WHERE message_id = ?1 \
               GROUP BY kind, classification) AS hits \
             GROUP BY kind, classification ORDER BY kind, classification",
        ))
        .bind(message)
        .fetch_all(p)
        .await)
    }

    /// Clicks on `message` at or after `since`: which link, when.
    pub async fn clicks_since(
        &self,
        message: MessageId,
        since: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, sqlx::Error> {
        on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql("SELECT link_id, at FROM tracking_events WHERE message_id = ? AND kind = 'click' AND at >= ? \
             AND link_id IS NOT NULL",))
        .bind(message)
        .bind(since)
        .fetch_all(p)
        .await
        })
    }

    /// Stores a batch of hits in one transaction, applies scanner bursts to earlier clicks, and
    /// moves each touched message's receipts (first human open and click, first proxy open),
    /// logging an UPDATE for every message that changed. Returns how many changed.
    pub async fn record_hits(
        &self,
        hits: &[StoredHit],
        bursts: &[Burst],
    ) -> Result<usize, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        // A flood's hits that the fold below would count and delete at once are counted
        // without being written as rows first.
        let folded = hit_folding::folded_in_batch(hits);
        let kept: Vec<&StoredHit> = hits
            .iter()
            .zip(&folded)
            .filter_map(|(h, f)| (!f).then_some(h))
            .collect();
        hit_folding::count_folded(tx.reborrow(), hits, &folded).await?;
        for chunk in kept.chunks(INSERT_CHUNK) {
            let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO tracking_events (message_id, workspace_id, kind, link_id, classification, \
                 method, ip_prefix, user_agent, at) VALUES {rows}"
            );
            on_conn!(tx, |c, fit| {
                let mut query = sqlx::query(fit(&sql));
                for h in chunk {
                    query = query
                        .bind(h.message_id)
                        .bind(h.workspace_id)
                        .bind(h.kind.as_str())
                        .bind(h.link_id)
                        .bind(h.classification.as_str())
                        .bind(h.method)
                        .bind(&h.ip_prefix)
                        .bind(&h.user_agent)
                        .bind(h.at);
                }
                query.execute(c).await.map(|_| ())
            })?;
        }
        let mut events = Vec::new();
        for burst in bursts {
            if let Some(event) = reclassify_burst(tx.reborrow(), burst).await? {
                events.push(event);
            }
        }
        let touched: std::collections::HashSet<MessageId> =
            hits.iter().map(|h| h.message_id).collect();
        for message in touched {
            hit_folding::fold_old_hits(tx.reborrow(), message).await?;
        }
        // First human open (a human click counts: they read it), human click, proxy open.
        let mut firsts: HashMap<MessageId, (WorkspaceId, Receipts)> = HashMap::new();
        for h in hits {
            let entry = firsts
                .entry(h.message_id)
                .or_insert((h.workspace_id, Receipts::default()));
            let r = &mut entry.1;
            match (h.classification, h.kind) {
                (Classification::Human, HitKind::Open) => r.opened = earliest(r.opened, h.at),
                (Classification::Human, HitKind::Click) => {
                    r.opened = earliest(r.opened, h.at);
                    r.clicked = earliest(r.clicked, h.at);
                }
                (Classification::ProxyPrefetch, _) => r.proxy = earliest(r.proxy, h.at),
                (Classification::Scanner, _) => {}
            }
        }
        for (message, (workspace, new)) in firsts {
            if new == Receipts::default() {
                continue;
            }
            let Some(before) = super::rollups::message_facts_in(tx.reborrow(), message).await?
            else {
                continue;
            };
            let old = Receipts {
                opened: before.opened_at,
                clicked: before.clicked_at,
                proxy: before.proxy_opened_at,
            };
            // The first one stays first: a later hit never moves a receipt.
            let merged = Receipts {
                opened: old.opened.or(new.opened),
                clicked: old.clicked.or(new.clicked),
                proxy: old.proxy.or(new.proxy),
            };
            if merged == old {
                continue;
            }
            let after = on_conn!(tx, |c, sql| {
                sqlx::query_as(sql(&format!(
                "UPDATE messages SET opened_at = ?, clicked_at = ?, proxy_opened_at = ? WHERE id = ? \
                 RETURNING {MESSAGE_FACTS}"
            )))
            .bind(merged.opened)
            .bind(merged.clicked)
            .bind(merged.proxy)
            .bind(message)
            .fetch_optional(c)
            .await
            })?;
            super::rollups::message_changed_in(tx.reborrow(), Some(before), after).await?;
            let (event, updated) = message_updated(tx.reborrow(), workspace, message).await?;
            events.push(event);
            // The feed hears of the first human open and the first human click.
            for (kind, is_new) in [
                (
                    ActivityKind::EmailOpened,
                    old.opened.is_none() && merged.opened.is_some(),
                ),
                (
                    ActivityKind::LinkClicked,
                    old.clicked.is_none() && merged.clicked.is_some(),
                ),
            ] {
                if is_new {
                    let mut entry = NewActivity::new(kind, updated.lead_id);
                    entry.message_id = Some(message);
                    entry.channel = Some(updated.channel);
                    entry.detail = updated.subject.as_deref();
                    events.push(super::activity::log_in(tx.reborrow(), workspace, entry).await?);
                }
            }
        }
        let changed = events.len();
        tx.commit(events).await?;
        Ok(changed)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Receipts {
    opened: Option<DateTime<Utc>>,
    clicked: Option<DateTime<Utc>>,
    proxy: Option<DateTime<Utc>>,
}

fn earliest(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// Marks the burst's clicks as the scanner's and recomputes the receipts they had set.
async fn reclassify_burst(
    mut tx: Conn<'_>,
    burst: &Burst,
) -> Result<Option<super::events::LoggedEvent>, sqlx::Error> {
    let changed = on_conn!(tx, |c, sql| sqlx::query(sql(
        "UPDATE tracking_events SET classification = 'scanner' \
         WHERE message_id = ? AND kind = 'click' AND at >= ? AND classification = 'human'",
    ))
    .bind(burst.message_id)
    .bind(burst.since)
    .execute(c)
    .await
    .map(super::db::Done::from))?
    .rows_affected();
    if changed == 0 {
        return Ok(None);
    }
    let before = super::rollups::message_facts_in(tx.reborrow(), burst.message_id).await?;
    let after = on_conn!(tx, |c, sql| {
        sqlx::query_as(sql(&format!(
        "UPDATE messages SET \
         opened_at = (SELECT MIN(at) FROM tracking_events WHERE message_id = ?1 AND classification = 'human'), \
         clicked_at = (SELECT MIN(at) FROM tracking_events WHERE message_id = ?1 AND kind = 'click' AND classification = 'human') \
         WHERE id = ?1 RETURNING {MESSAGE_FACTS}"
    )))
    .bind(burst.message_id)
    .fetch_optional(c)
    .await
    })?;
    super::rollups::message_changed_in(tx.reborrow(), before, after).await?;
    Ok(Some(
        message_updated(tx.reborrow(), burst.workspace_id, burst.message_id)
            .await?
            .0,
    ))
}
