//! Keeps the event log to its retention window, so resume points older than it get `reset`,
//! drops files uploaded for messages never sent (after a day) and expired sessions, and
//! finishes purges of deleted leads' events that a restart cut short.
use crate::server::store::Store;
use std::time::Duration;

/// Runs forever: prunes at start-up, then every quarter of the window (between 1 s and 5 min).
pub async fn prune_forever(store: Store, retention_secs: i64) {
    let every = Duration::from_secs((retention_secs / 4).clamp(1, 300) as u64);
    let age = chrono::Duration::seconds(retention_secs);
    loop {
        match store.prune_events(age).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(pruned = n, "pruned old events"),
            Err(e) => tracing::warn!(error = %e, "pruning events failed"),
        }
        // Deleted leads' events whose purge a restart cut short (see `store::deletion`).
        match store.finish_log_purges().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purges = n, "finished purges of deleted leads' events"),
            Err(e) => {
                tracing::warn!(error = %e, "finishing purges of deleted leads' events failed")
            }
        }
        if let Err(e) = store.delete_expired_sessions().await {
            tracing::warn!(error = %e, "deleting expired sessions failed");
        }
        // Files uploaded for a message that was never sent.
        if let Err(e) = store.prune_uploads(chrono::Duration::days(1)).await {
            tracing::warn!(error = %e, "pruning unsent uploads failed");
        }
        tokio::time::sleep(every).await;
    }
}
