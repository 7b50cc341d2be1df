//! The event log: appended in the writer's transaction, published after commit, replayed by seq.
use super::{now, Store};
use crate::model::event::ServerFrame;
use crate::model::ids::{UserId, WorkspaceId};
use std::sync::Arc;
use tokio::sync::broadcast;

/// A committed event, as sockets forward it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoggedEvent {
    pub seq: i64,
    pub workspace_id: WorkspaceId,
    /// Only this user may receive it, when set.
    pub user_id: Option<UserId>,
    /// The frame's `type` (`messages_updated`, `stats_updated` …).
    pub kind: String,
    /// The complete JSON frame, `seq` included.
    pub payload: String,
}

impl LoggedEvent {
    /// Whether a socket of `user` in `workspace` may receive this event.
    pub fn visible_to(&self, workspace: WorkspaceId, user: UserId) -> bool {
        self.workspace_id == workspace && self.user_id.is_none_or(|u| u == user)
    }
}

/// The seq range the log still holds.
#[derive(Debug, Clone, Copy)]
pub struct EventWindow {
    /// Newest seq ever assigned (0 before the first event).
    pub head: i64,
    /// Oldest seq still stored; `head + 1` when the log is empty.
    pub oldest: i64,
}

impl Store {
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<LoggedEvent>> {
        self.events.subscribe()
    }

    pub async fn event_window(&self) -> Result<EventWindow, sqlx::Error> {
        // sqlite_sequence remembers the highest seq even after the rows are pruned.
        let head: Option<(i64,)> =
            sqlx::query_as("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
                .fetch_optional(self.pool())
                .await?;
        let head = head.map_or(0, |(h,)| h);
        let (oldest,): (Option<i64>,) = sqlx::query_as("SELECT MIN(seq) FROM events")
            .fetch_one(self.pool())
            .await?;
        Ok(EventWindow {
            head,
            oldest: oldest.unwrap_or(head + 1),
        })
    }

    /// The start of a replay, read in one snapshot so pruning cannot slip in between the
    /// window check and the first page: the window, how many events are due (counted up to
    /// `cap + 1`), and the first page.
    pub async fn replay_start(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        after: i64,
        cap: i64,
        page: i64,
    ) -> Result<(EventWindow, i64, Vec<LoggedEvent>), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let head: Option<(i64,)> =
            sqlx::query_as("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
                .fetch_optional(&mut *tx)
                .await?;
        let head = head.map_or(0, |(h,)| h);
        let (oldest,): (Option<i64>,) = sqlx::query_as("SELECT MIN(seq) FROM events")
            .fetch_one(&mut *tx)
            .await?;
        let window = EventWindow {
            head,
            oldest: oldest.unwrap_or(head + 1),
        };
        let (due,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE workspace_id = ? AND seq > ? \
             AND (user_id IS NULL OR user_id = ?) LIMIT ?)",
        )
        .bind(workspace)
        .bind(after)
        .bind(user)
        .bind(cap + 1)
        .fetch_one(&mut *tx)
        .await?;
        let first = events_after_in(&mut tx, workspace, user, after, page).await?;
        tx.commit().await?;
        Ok((window, due, first))
    }

    /// Events after `after` that `user` of `workspace` may see, oldest first.
    pub async fn events_after(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, sqlx::Error> {
        let mut conn = self.pool().acquire().await?;
        events_after_in(&mut conn, workspace, user, after, limit).await
    }

    /// Deletes events older than `age`; returns how many went.
    pub async fn prune_events(&self, age: chrono::Duration) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM events WHERE created_at < ?")
            .bind(now() - age)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Workspaces with events of `kinds` after `after` (the dashboard's catch-up after lag).
    pub async fn workspaces_with_events_after(
        &self,
        after: i64,
        kinds: &[&str],
    ) -> Result<Vec<WorkspaceId>, sqlx::Error> {
        let marks = vec!["?"; kinds.len()].join(", ");
        let sql =
            format!("SELECT DISTINCT workspace_id FROM events WHERE seq > ? AND kind IN ({marks})");
        let mut query = sqlx::query_as::<_, (WorkspaceId,)>(&sql).bind(after);
        for kind in kinds {
            query = query.bind(*kind);
        }
        Ok(query
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|(w,)| w)
            .collect())
    }

    /// Hands committed events to live sockets. Called with the writer lock still held.
    pub(super) fn publish(&self, events: Vec<LoggedEvent>) {
        for event in events {
            // No receivers is fine: nobody is connected.
            let _ = self.events.send(Arc::new(event));
        }
    }
}

/// The seq the next appended event will get. Only meaningful under the writer lock, where
/// nobody else can take it meanwhile.
pub(super) async fn next_seq(tx: &mut sqlx::SqliteConnection) -> Result<i64, sqlx::Error> {
    let (next,): (i64,) = sqlx::query_as(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1",
    )
    .fetch_one(tx)
    .await?;
    Ok(next)
}

/// Appends one event inside the writer's transaction. `frame` gets the event's seq.
pub(super) async fn append(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
    user: Option<UserId>,
    frame: impl FnOnce(i64) -> ServerFrame,
) -> Result<LoggedEvent, sqlx::Error> {
    let next = next_seq(tx).await?;
    let frame = frame(next);
    let kind = match &frame {
        ServerFrame::MessagesUpdated { .. } => "messages_updated",
        ServerFrame::DraftsUpdated { .. } => "drafts_updated",
        ServerFrame::ReadsUpdated { .. } => "reads_updated",
        ServerFrame::ActivityUpdated { .. } => "activity_updated",
        ServerFrame::StatsUpdated { .. } => "stats_updated",
        ServerFrame::AnalyticsUpdated { .. } => "analytics_updated",
        _ => "other",
    };
    let payload = serde_json::to_string(&frame).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("INSERT INTO events (seq, workspace_id, user_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(next)
        .bind(workspace)
        .bind(user)
        .bind(kind)
        .bind(&payload)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    Ok(LoggedEvent {
        seq: next,
        workspace_id: workspace,
        user_id: user,
        kind: kind.to_string(),
        payload,
    })
}

async fn events_after_in(
    conn: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
    user: UserId,
    after: i64,
    limit: i64,
) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    sqlx::query_as::<_, LoggedEvent>(
        "SELECT seq, workspace_id, user_id, kind, payload FROM events \
         WHERE workspace_id = ? AND seq > ? AND (user_id IS NULL OR user_id = ?) ORDER BY seq LIMIT ?",
    )
    .bind(workspace)
    .bind(after)
    .bind(user)
    .bind(limit)
    .fetch_all(conn)
    .await
}
