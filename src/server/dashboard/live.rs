//! Coalesced `stats_updated` / `analytics_updated`: changes mark their workspace dirty; after
//! the first one the task waits `stats_coalesce_ms` for more, then recomputes each dirty
//! workspace once and logs the pair. A burst of 100 sends is a handful of updates, not 100.
//! With several instances each sees every change (their doorbells read the same log); the
//! first to log an update covering a burst logs it, and the others find it and log nothing.
//!
//! "Covering" is judged by what an update's figures counted, not by where it was logged: its
//! basis is the workspace's head read *before* the figures, so a send that commits while they
//! are computed (below the update in the log, yet not in its figures) still gets an update.
use crate::model::ids::WorkspaceId;
use crate::model::kpi::DashboardQuery;
use crate::server::store::Store;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Events that can move a KPI or a chart.
const MOVES_STATS: &[&str] = &[
    "messages_updated",
    "activity_updated",
    // A lead's deal value or stage (the pipeline cards), or a lead and its messages gone.
    "leads_updated",
    "lead_deleted",
];

/// Runs until the event stream closes (the server stops).
pub async fn run(store: Store, window: Duration) {
    let mut events = store.subscribe_events();
    let mut last_seq = 0;
    loop {
        let mut dirty = HashMap::new();
        // Wait for the first change.
        match next_dirty(&store, &mut events, &mut last_seq, &mut dirty).await {
            Some(()) if dirty.is_empty() => continue,
            Some(()) => {}
            None => return,
        }
        // Gather everything else that happens within the window.
        let deadline = tokio::time::Instant::now() + window;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                more = next_dirty(&store, &mut events, &mut last_seq, &mut dirty) => {
                    if more.is_none() { return; }
                }
            }
        }
        for (workspace, through) in dirty {
            if let Err(e) = update(&store, workspace, through).await {
                tracing::error!(error = %e, %workspace, "logging dashboard update");
            }
        }
    }
}

/// Reads one event and notes its workspace, with the seq of its latest change, when it moves
/// stats. After a lag (the buffer overflowed) the log says which workspaces changed.
/// `None`: the stream is closed.
async fn next_dirty(
    store: &Store,
    events: &mut tokio::sync::broadcast::Receiver<
        std::sync::Arc<crate::server::store::events::LoggedEvent>,
    >,
    last_seq: &mut i64,
    dirty: &mut HashMap<WorkspaceId, i64>,
) -> Option<()> {
    match events.recv().await {
        Ok(event) => {
            *last_seq = event.log_position;
            if MOVES_STATS.contains(&event.kind.as_str()) {
                dirty.insert(event.workspace_id, event.seq);
            }
            Some(())
        }
        Err(RecvError::Lagged(_)) => {
            match store
                .workspaces_with_events_after(*last_seq, MOVES_STATS)
                .await
            {
                Ok(workspaces) => dirty.extend(workspaces),
                Err(e) => tracing::error!(error = %e, "reading workspaces after lag"),
            }
            Some(())
        }
        Err(RecvError::Closed) => None,
    }
}

/// Recomputes the default view (7 days, every channel, UTC days) and logs it, unless an update
/// whose figures count seq `through` (the burst's last change) is logged already.
async fn update(store: &Store, workspace: WorkspaceId, through: i64) -> Result<(), sqlx::Error> {
    let query = DashboardQuery::default();
    let now = chrono::Utc::now();
    // Read first: the figures count at least every change up to it.
    let basis = store.event_window(workspace).await?.head;
    let stats = store.kpis(workspace, &query, now).await?;
    let analytics = store.analytics(workspace, &query, now).await?;
    store
        .log_dashboard_update(workspace, through, basis, stats, analytics)
        .await?;
    Ok(())
}
