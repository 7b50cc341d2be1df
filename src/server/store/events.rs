//! The event log: appended in the writer's transaction, published after commit, replayed by seq.
use super::db::{on_conn, on_db, Conn};
use super::script::{placeholders, Script};
use super::{now, Store};
use crate::model::event::{EventKind, ServerFrame};
use crate::model::ids::{UserId, WorkspaceId};
use std::sync::Arc;
use tokio::sync::broadcast;

/// A committed event, as sockets forward it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoggedEvent {
    /// Its number in its workspace: the `seq` clients see, resume from and compare.
    #[sqlx(rename = "ws_seq")]
    pub seq: i64,
    /// Its position in the whole log (internal: never sent, since it would reveal how busy
    /// other workspaces are).
    #[sqlx(rename = "seq")]
    pub log_position: i64,
    pub workspace_id: WorkspaceId,
    /// Only this user may receive it, when set.
    pub user_id: Option<UserId>,
    /// The frame's `type` (`messages_updated`, `stats_updated` …).
    pub kind: EventKind,
    /// The complete JSON frame, `seq` included.
    pub payload: String,
}

/// The seq range a workspace's log still holds.
#[derive(Debug, Clone, Copy)]
pub struct EventWindow {
    /// Newest seq ever assigned in the workspace (0 before its first event).
    pub head: i64,
    /// The oldest seq a resume can still be served from: one past what pruning removed (events
    /// of a deleted lead leave gaps that need no reset); `head + 1` when all was pruned.
    pub oldest: i64,
}

/// A workspace's window, read on `conn`.
async fn window_in(mut conn: Conn<'_>, workspace: WorkspaceId) -> Result<EventWindow, sqlx::Error> {
    // The head table remembers the highest seq even after the rows are pruned, and how far
    // pruning reached.
    let marks: Option<(i64, i64)> = on_conn!(conn, |c, sql| sqlx::query_as(sql(
        "SELECT head, pruned_through FROM workspace_event_heads WHERE workspace_id = ?",
    ))
    .bind(workspace)
    .fetch_optional(c)
    .await)?;
    let (head, pruned_through) = marks.unwrap_or((0, 0));
    Ok(EventWindow {
        head,
        oldest: pruned_through + 1,
    })
}

impl Store {
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<LoggedEvent>> {
        self.events.subscribe()
    }

    pub async fn event_window(&self, workspace: WorkspaceId) -> Result<EventWindow, sqlx::Error> {
        let mut conn = self.db().acquire().await?;
        window_in(conn.reborrow(), workspace).await
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
        let mut tx = self.db().begin().await?;
        let window = window_in(tx.reborrow(), workspace).await?;
        let (due,): (i64,) = on_conn!(tx, |c, sql| sqlx::query_as(sql(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE workspace_id = ? AND ws_seq > ? \
             AND (user_id IS NULL OR user_id = ?) LIMIT ?) AS due",
        ))
        .bind(workspace)
        .bind(after)
        .bind(user)
        .bind(cap + 1)
        .fetch_one(c)
        .await)?;
        let first = events_after_in(tx.reborrow(), workspace, user, after, page).await?;
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
        let mut conn = self.db().acquire().await?;
        events_after_in(conn.reborrow(), workspace, user, after, limit).await
    }

    /// Deletes events older than `age`; returns how many went.
    pub async fn prune_events(&self, age: chrono::Duration) -> Result<u64, sqlx::Error> {
        let before = now() - age;
        let mut tx = self.begin_write().await?;
        // How far each workspace's log is cut, so its window starts there (see `window_in`).
        let cut = pruned_through_sql(self.backend());
        on_conn!(tx, |c, sql| {
            sqlx::query(sql(&cut))
                .bind(before)
                .execute(c)
                .await
                .map(super::db::Done::from)
        })?;
        let done = on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM events WHERE created_at < ?"
        ))
        .bind(before)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(done.rows_affected())
    }

    /// Workspaces with events of `kinds` after log position `after`, each with the seq of its
    /// latest such event (the dashboard's catch-up after lag).
    pub async fn workspaces_with_events_after(
        &self,
        after: i64,
        kinds: &[&str],
    ) -> Result<Vec<(WorkspaceId, i64)>, sqlx::Error> {
        let sql = events_after_sql(self.backend(), kinds.len());
        on_db!(self.db(), |p, fit| {
            let mut query = sqlx::query_as::<_, (WorkspaceId, i64)>(fit(&sql)).bind(after);
            for kind in kinds {
                query = query.bind(*kind);
            }
            query.fetch_all(p).await
        })
    }
}

/// [`Store::workspaces_with_events_after`]'s query for `kinds` kinds. It runs when the log is
/// busy (the coalescer fell behind it), so it must seek to `seq`, not walk the whole log: on
/// SQLite, grouped by the column itself, the planner walks all of (workspace, ws_seq) for its
/// order instead; grouped by `+workspace_id` (the same value, no index order to use) it seeks
/// by the primary key and groups what follows. PostgreSQL plans by its statistics (and has no
/// unary plus for a uuid).
fn events_after_sql(backend: super::db::Backend, kinds: usize) -> String {
    let marks = placeholders(kinds);
    let group = match backend {
        super::db::Backend::Sqlite => "+workspace_id",
        super::db::Backend::Postgres => "workspace_id",
    };
    format!(
        "SELECT workspace_id, MAX(ws_seq) FROM events WHERE seq > ? AND kind IN {marks} \
         GROUP BY {group}"
    )
}

/// Moves workspace ?'s head on by ? seqs (creating it at that many).
const TAKE_SEQS: &str = "INSERT INTO workspace_event_heads (workspace_id, head) VALUES (?, ?) \
     ON CONFLICT (workspace_id) DO UPDATE SET head = workspace_event_heads.head + excluded.head";

/// Takes the workspace's next `n` seqs (for events, or a draft version) and returns the first.
/// Only under the writer, where nobody else can take them meanwhile.
pub(super) async fn next_seqs(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    n: i64,
) -> Result<i64, sqlx::Error> {
    let (last,): (i64,) = on_conn!(tx, |c, sql| sqlx::query_as(sql(&format!(
        "{TAKE_SEQS} RETURNING head"
    )))
    .bind(workspace)
    .bind(n)
    .fetch_one(c)
    .await)?;
    Ok(last - n + 1)
}

/// Takes the workspace's next seq.
pub(super) async fn next_seq(mut tx: Conn<'_>, workspace: WorkspaceId) -> Result<i64, sqlx::Error> {
    next_seqs(tx.reborrow(), workspace, 1).await
}

/// An event to log whose seq is not known yet: who may see it, and its frame given the seq.
pub(super) struct Pending {
    user: Option<UserId>,
    frame: Box<dyn FnOnce(i64) -> ServerFrame + Send>,
}

impl Pending {
    pub(super) fn new(
        user: Option<UserId>,
        frame: impl FnOnce(i64) -> ServerFrame + Send + 'static,
    ) -> Pending {
        Pending {
            user,
            frame: Box::new(frame),
        }
    }
}

/// Appends events inside the writer's transaction, in the order given, with consecutive seqs:
/// two statements however many there are.
pub(super) async fn append_all(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    pending: Vec<Pending>,
) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let first = next_seqs(tx.reborrow(), workspace, pending.len() as i64).await?;
    let frames = (first..)
        .zip(pending)
        .map(|(seq, p)| (p.user, (p.frame)(seq)))
        .collect();
    insert_logged(tx.reborrow(), workspace, first, frames).await
}

/// Appends one event inside the writer's transaction. `frame` gets the event's seq.
pub(super) async fn append(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    user: Option<UserId>,
    frame: impl FnOnce(i64) -> ServerFrame,
) -> Result<LoggedEvent, sqlx::Error> {
    let seq = next_seq(tx.reborrow(), workspace).await?;
    let mut events = insert_logged(tx.reborrow(), workspace, seq, vec![(user, frame(seq))]).await?;
    Ok(events.pop().expect("one event appended"))
}

/// Stores `frames`, numbered from `first`, in one statement.
async fn insert_logged(
    tx: Conn<'_>,
    workspace: WorkspaceId,
    first: i64,
    frames: Vec<(Option<UserId>, ServerFrame)>,
) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    let mut events = logged(workspace, first, frames)?;
    let mut script = Script::for_conn(&tx);
    push_insert(&mut script, &events);
    place(&mut events, script.fetch_all(tx).await?);
    Ok(events)
}

/// Appends `pending` in a write's `script`, numbered after `head`, the workspace's last seq as
/// this write read it (None: no event yet). The script's `RETURNING ws_seq, seq` rows go to
/// [`place`] once it has run.
pub(super) fn push_append(
    script: &mut Script<'_>,
    workspace: WorkspaceId,
    head: Option<i64>,
    pending: Vec<Pending>,
) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let first = head.unwrap_or(0) + 1;
    script
        .push(TAKE_SEQS)
        .bind(workspace)
        .bind(pending.len() as i64);
    let frames = (first..)
        .zip(pending)
        .map(|(seq, p)| (p.user, (p.frame)(seq)))
        .collect();
    let events = logged(workspace, first, frames)?;
    push_insert(script, &events);
    Ok(events)
}

/// The events of `frames`, numbered from `first`, with their payloads.
fn logged(
    workspace: WorkspaceId,
    first: i64,
    frames: Vec<(Option<UserId>, ServerFrame)>,
) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    (first..)
        .zip(frames)
        .map(|(seq, (user, frame))| {
            let payload =
                serde_json::to_string(&frame).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            Ok(LoggedEvent {
                seq,
                log_position: 0,
                workspace_id: workspace,
                user_id: user,
                kind: EventKind::of(&frame),
                payload,
            })
        })
        .collect()
}

/// One statement storing `events`; it returns `(ws_seq, seq)` of each.
fn push_insert(script: &mut Script<'_>, events: &[LoggedEvent]) {
    let at = now();
    let rows = events
        .iter()
        .map(|e| {
            script
                .bind(e.seq)
                .bind(e.workspace_id)
                .bind(e.user_id)
                .bind(e.kind)
                .bind(e.payload.clone())
                .bind(at);
            placeholders(6)
        })
        .collect();
    script.rows_statement(
        "INSERT INTO events (ws_seq, workspace_id, user_id, kind, payload, created_at) VALUES ",
        rows,
        " RETURNING ws_seq, seq",
    );
}

/// Gives `events` their log positions from the insert's `(ws_seq, seq)` rows (RETURNING gives
/// rows in no promised order: matched by seq).
pub(super) fn place(events: &mut [LoggedEvent], rows: Vec<(i64, i64)>) {
    let Some(first) = events.first().map(|e| e.seq) else {
        return;
    };
    for (seq, position) in rows {
        if let Some(event) = usize::try_from(seq - first)
            .ok()
            .and_then(|i| events.get_mut(i))
        {
            event.log_position = position;
        }
    }
}

/// Moves each workspace's `pruned_through` to its newest event older than the cut (`?`), read
/// from the events about to go, by time. (Asked per workspace, SQLite walked every event of the
/// workspace, kept ones too, to find the newest old one: 0.33–0.93 s holding the writer, every
/// send waiting, for a workspace with a million events in its window.)
fn pruned_through_sql(b: super::db::Backend) -> String {
    format!(
        "UPDATE workspace_event_heads SET pruned_through = {}(pruned_through, cut.last) \
         FROM (SELECT workspace_id, MAX(ws_seq) AS last FROM events {} \
               WHERE created_at < ? AND ws_seq IS NOT NULL GROUP BY workspace_id) AS cut \
         WHERE cut.workspace_id = workspace_event_heads.workspace_id",
        b.greatest(),
        b.by_index("events_by_time"),
    )
}

async fn events_after_in(
    mut conn: Conn<'_>,
    workspace: WorkspaceId,
    user: UserId,
    after: i64,
    limit: i64,
) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    on_conn!(conn, |c, sql| {
        sqlx::query_as::<_, LoggedEvent>(sql("SELECT ws_seq, seq, workspace_id, user_id, kind, payload FROM events \
         WHERE workspace_id = ? AND ws_seq > ? AND (user_id IS NULL OR user_id = ?) ORDER BY ws_seq LIMIT ?",))
    .bind(workspace)
    .bind(after)
    .bind(user)
    .bind(limit)
    .fetch_all(c)
    .await
    })
}

#[cfg(test)]
mod tests {
    use super::{events_after_sql, pruned_through_sql};
    use crate::server::store::db::Backend;
    use crate::server::store::query_plan::PlanDb;

    /// The catch-up after a lag seeks to its position in the log rather than reading all of it.
    #[tokio::test]
    async fn the_catch_up_after_a_lag_seeks_to_its_seq() {
        let plan = PlanDb::new()
            .await
            .plan(&events_after_sql(Backend::Sqlite, 2))
            .await;
        assert!(
            plan.iter()
                .any(|step| step.contains("PRIMARY KEY") && step.contains("rowid>?")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "{plan:?}"
        );
    }

    /// Pruning reads only the events that go (by time), never a whole workspace's log.
    #[tokio::test]
    async fn pruning_reads_only_the_events_that_go() {
        let mut db = PlanDb::new().await;
        for sql in [
            pruned_through_sql(Backend::Sqlite),
            "DELETE FROM events WHERE created_at < ?".to_string(),
        ] {
            let plan = db.plan(&sql).await;
            assert!(
                plan.iter()
                    .any(|step| step.contains("INDEX events_by_time (created_at<?)")),
                "{sql}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.starts_with("SCAN events")),
                "{sql}: {plan:?}"
            );
        }
    }
}
