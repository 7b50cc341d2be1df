//! Records tracking hits off the request path: handlers push into a bounded queue and return;
//! one task drains it in batches (everything waiting, up to `MAX_BATCH`), resolves tokens,
//! classifies, and writes the batch in one transaction. A burst of proxy fetches costs one
//! commit, not one per hit.
use crate::model::tracking::{classify, truncate_ip, HitFacts, HitKind, Rules, CLICK_BURST_SECS};
use crate::server::store::tracking::{Burst, LinkTarget, StoredHit};
use crate::server::store::Store;
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Hits waiting beyond this are dropped (and counted): memory stays bounded under any flood.
const QUEUE: usize = 100_000;
const MAX_BATCH: usize = 4096;

/// One request to a tracking endpoint.
#[derive(Debug)]
pub enum Hit {
    Open {
        token: String,
        head: bool,
        user_agent: String,
        ip: Option<IpAddr>,
        at: DateTime<Utc>,
    },
    Click {
        target: LinkTarget,
        head: bool,
        user_agent: String,
        ip: Option<IpAddr>,
        at: DateTime<Utc>,
    },
}

/// The handlers' side of the queue.
pub struct Tracker {
    queue: mpsc::Sender<Hit>,
    dropped: AtomicU64,
    /// Hits answered but not stored because their token or address was over its rate limit.
    unrecorded: AtomicU64,
}

impl Tracker {
    /// Starts the recorder task for `store`.
    pub fn start(store: Store, rules: Rules) -> Tracker {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, receiver, rules));
        Tracker {
            queue,
            dropped: AtomicU64::new(0),
            unrecorded: AtomicU64::new(0),
        }
    }

    /// Counts a hit that was over its rate limit (logged every 1000th time).
    pub fn count_unrecorded(&self) {
        let n = self.unrecorded.fetch_add(1, Ordering::Relaxed) + 1;
        if n % 1000 == 1 {
            tracing::warn!(
                unrecorded = n,
                "tracking hits over their rate limit were not stored"
            );
        }
    }

    /// Never waits: a full queue drops the hit and says so in the log (every 1000th time).
    pub fn record(&self, hit: Hit) {
        if self.queue.try_send(hit).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 1000 == 1 {
                tracing::warn!(dropped = n, "tracking queue full; hits dropped");
            }
        }
    }
}

/// A batch at least this large means a flood (a proxy or scanner fetching again and again, a
/// load test): the recorder then lets the next batch gather for [`GATHER`] first.
const FLOOD_BATCH: usize = 256;
/// How long hits gather between two batches of a flood. Every batch costs a write of its own
/// (token lookups, a savepoint, the fold's queries, a share of a commit), and a flood's batch
/// rewrites the message's newest 100 hits as rows that the next batch deletes again (see
/// `store::hit_folding`): a batch five times larger costs about a fifth of both per hit. A
/// receipt can be this much later under a flood; a single open is recorded at once.
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

async fn run(store: Store, mut receiver: mpsc::Receiver<Hit>, rules: Rules) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let Err(e) = record_batch(&store, &batch, rules).await {
            tracing::error!(error = %e, hits = batch.len(), "could not record tracking hits");
        }
        // A full batch means hits are waiting already: drain on at once.
        let flood = (FLOOD_BATCH..MAX_BATCH).contains(&batch.len());
        batch.clear();
        if flood {
            tokio::time::sleep(GATHER).await;
        }
    }
}

async fn record_batch(store: &Store, batch: &[Hit], rules: Rules) -> Result<(), sqlx::Error> {
    let tokens: Vec<&str> = batch
        .iter()
        .filter_map(|h| match h {
            Hit::Open { token, .. } => Some(token.as_str()),
            Hit::Click { .. } => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let pixels = if tokens.is_empty() {
        HashMap::new()
    } else {
        store.pixel_targets(&tokens).await?
    };
    let (burst_hits, bursts) = find_bursts(store, batch).await?;
    let mut stored = Vec::with_capacity(batch.len());
    for (i, hit) in batch.iter().enumerate() {
        let (kind, head, agent, ip, at, message_id, workspace_id, link_id, sent_at) = match hit {
            Hit::Open {
                token,
                head,
                user_agent,
                ip,
                at,
            } => {
                // Unknown (or tracking switched off): nothing is stored.
                let Some(t) = pixels.get(token) else { continue };
                (
                    HitKind::Open,
                    *head,
                    user_agent,
                    *ip,
                    *at,
                    t.message_id,
                    t.workspace_id,
                    None,
                    t.sent_at,
                )
            }
            Hit::Click {
                target,
                head,
                user_agent,
                ip,
                at,
            } => (
                HitKind::Click,
                *head,
                user_agent,
                *ip,
                *at,
                target.message_id,
                target.workspace_id,
                Some(target.link_id),
                target.sent_at,
            ),
        };
        let facts = HitFacts {
            kind,
            head,
            user_agent: agent,
            ip,
            secs_since_delivery: sent_at.map(|s| (at - s).num_seconds().max(0)),
            burst: burst_hits.contains(&i),
        };
        stored.push(StoredHit {
            message_id,
            workspace_id,
            kind,
            link_id,
            classification: classify(&facts, rules),
            method: if head { "HEAD" } else { "GET" },
            ip_prefix: ip.map(truncate_ip),
            user_agent: agent.clone(),
            at,
        });
    }
    if !stored.is_empty() {
        store.record_hits(&stored, &bursts).await?;
    }
    Ok(())
}

/// Clicks on two different links of one message within [`CLICK_BURST_SECS`] of each other are
/// a scanner following every link. Returns the batch positions of such clicks, and per message
/// the moment from which earlier (already stored) clicks must be reclassified.
async fn find_bursts(
    store: &Store,
    batch: &[Hit],
) -> Result<(HashSet<usize>, Vec<Burst>), sqlx::Error> {
    let window = Duration::seconds(CLICK_BURST_SECS);
    let mut by_message: HashMap<_, Vec<(usize, &LinkTarget, DateTime<Utc>)>> = HashMap::new();
    for (i, hit) in batch.iter().enumerate() {
        if let Hit::Click { target, at, .. } = hit {
            by_message
                .entry(target.message_id)
                .or_default()
                .push((i, target, *at));
        }
    }
    let mut in_burst = HashSet::new();
    let mut bursts = Vec::new();
    for (message, clicks) in by_message {
        let first = clicks.iter().map(|c| c.2).min().unwrap_or_else(Utc::now);
        let earlier = store.clicks_since(message, first - window).await?;
        let mut burst_since: Option<DateTime<Utc>> = None;
        for &(i, target, at) in &clicks {
            let other = earlier
                .iter()
                .map(|(link, t)| (*link, *t))
                .chain(clicks.iter().map(|c| (c.1.link_id, c.2)))
                .filter(|(link, t)| *link != target.link_id && (*t - at).abs() <= window)
                .map(|(_, t)| t)
                .min();
            if let Some(other_at) = other {
                in_burst.insert(i);
                let since = other_at.min(at);
                burst_since = Some(burst_since.map_or(since, |s| s.min(since)));
            }
        }
        if let (Some(since), Some(c)) = (burst_since, clicks.first()) {
            bursts.push(Burst {
                message_id: message,
                workspace_id: c.1.workspace_id,
                since,
            });
        }
    }
    Ok((in_burst, bursts))
}
