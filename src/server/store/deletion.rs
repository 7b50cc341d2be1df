//! Deleting a lead with everything recorded about it, or a whole workspace with everything in
//! it. A lead goes with its messages (with their deliveries, receipts, tracking hits and
//! attachments), drafts, read marks, meetings and feed entries in one write: the rollups lose
//! exactly what the lead counted, and every open tab hears `lead_deleted`. The events of the
//! real-time log that carry any of it go right after that write, range by range (see
//! [`LOG_PURGE_RANGE`]): the write notes the purge (`log_purges`), and a purge that a restart
//! cut short is finished by the pruner. Until then a tab that replays may be sent some of them,
//! followed by `lead_deleted`, which drops the lead; nothing another lead's tabs need is ever
//! taken out of the log.
use super::db::{on_conn, on_db};
use super::events::append;
use super::Store;
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, WorkspaceId};

/// The log's events that name a deleted lead go in ranges of this many of the workspace's
/// seqs, one write each, so no write holds the writer for the whole log: in one statement
/// inside the deletion's write the search took 264–376 ms per million events in the window,
/// every send waiting; in ranges of 5,000, 1.5–1.6 ms each (p50; at most 3 ms), about a batch
/// of sends. In the server, with a million events: the slowest of another workspace's sends
/// during the deletion took 354–355 ms before, 11 ms after (2026-12-07, AMD EPYC; the log in
/// docs/benchmarks.md). Debug builds use ranges of 3, so the tests cross range boundaries.
const LOG_PURGE_RANGE: i64 = if cfg!(debug_assertions) { 3 } else { 5_000 };

/// One range of the purge (`ws_seq` in (?, ?]) of the events that carry the lead's id (its 128
/// random bits: no other event contains its text).
const PURGE_RANGE: &str = "DELETE FROM events WHERE workspace_id = ? AND ws_seq > ? \
     AND ws_seq <= ? AND payload LIKE '%' || ? || '%'";

impl Store {
    /// Removes the log's events that name deleted lead `id`, as its deletion noted them (up to
    /// the workspace's head before `lead_deleted`), range by range, then the note.
    async fn purge_log_naming(&self, id: LeadId) -> Result<(), sqlx::Error> {
        let noted: Option<(WorkspaceId, i64, Option<i64>)> = on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql(
                "SELECT workspace_id, purge_through, \
                 (SELECT MIN(e.ws_seq) FROM events e WHERE e.workspace_id = log_purges.workspace_id) \
                 FROM log_purges WHERE lead_id = ?",
            ))
            .bind(id)
            .fetch_optional(p)
            .await
        })?;
        let Some((workspace, through, oldest)) = noted else {
            return Ok(());
        };
        let mut after = oldest.map_or(through, |oldest| oldest - 1);
        while after < through {
            let to = (after + LOG_PURGE_RANGE).min(through);
            // Under the write lock on PostgreSQL too, like the pruner's deletes of events, so
            // the two never wait on each other's rows.
            let mut tx = self.begin_write().await?;
            on_conn!(tx, |c, sql| sqlx::query(sql(PURGE_RANGE))
                .bind(workspace)
                .bind(after)
                .bind(to)
                .bind(id.to_string())
                .execute(c)
                .await
                .map(super::db::Done::from))?;
            tx.commit(Vec::new()).await?;
            after = to;
        }
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM log_purges WHERE lead_id = ?"
        ))
        .bind(id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await
    }

    /// Finishes the purges of deleted leads' events that were cut short (a restart); how many.
    pub async fn finish_log_purges(&self) -> Result<usize, sqlx::Error> {
        let pending: Vec<(LeadId,)> = on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql("SELECT lead_id FROM log_purges"))
                .fetch_all(p)
                .await
        })?;
        for (lead,) in &pending {
            self.purge_log_naming(*lead).await?;
        }
        Ok(pending.len())
    }

    /// Deletes lead `id` of `workspace`. False when the workspace has no such lead (nothing
    /// changes).
    pub async fn delete_lead(
        &self,
        workspace: WorkspaceId,
        id: LeadId,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let found: Option<(i64,)> = on_conn!(tx, |c, sql| sqlx::query_as(sql(
            "SELECT CAST(1 AS BIGINT) FROM leads WHERE id = ? AND workspace_id = ?"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(c)
        .await)?;
        if found.is_none() {
            tx.commit(Vec::new()).await?;
            return Ok(false);
        }
        super::rollups::lead_removed_in(tx.reborrow(), id).await?;
        // The log's copies of its messages, drafts and details: every event that names the
        // lead, up to the head before `lead_deleted` (once the lead is gone no write can name
        // it), removed right after this write. Clients skip seqs they never see, as they do
        // for teammates' private events.
        on_conn!(tx, |c, sql| {
            sqlx::query(sql(
            "INSERT INTO log_purges (lead_id, workspace_id, purge_through) \
             SELECT ?, ?, COALESCE((SELECT head FROM workspace_event_heads WHERE workspace_id = ?), 0)"
        ))
        .bind(id)
        .bind(workspace)
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from)
        })?;
        // The guards of migration 21 let exactly this lead's rows go, within this write; the
        // rest cascades (see the foreign keys onto `leads` and `messages`).
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "INSERT INTO leads_being_deleted (lead_id) VALUES (?)"
        ))
        .bind(id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM leads WHERE id = ? AND workspace_id = ?"
        ))
        .bind(id)
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM leads_being_deleted WHERE lead_id = ?"
        ))
        .bind(id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        let event = append(tx.reborrow(), workspace, None, move |seq| {
            ServerFrame::LeadDeleted { seq, lead_id: id }
        })
        .await?;
        tx.commit(vec![event]).await?;
        // The lead is deleted whatever happens to the purge: one that fails is finished by
        // the pruner (its note stays). On a task of its own, so a caller that goes away does
        // not cut it short.
        let store = self.clone();
        let purged = tokio::spawn(async move { store.purge_log_naming(id).await })
            .await
            .map_err(super::writer::task_failed)
            .and_then(|purged| purged);
        if let Err(e) = purged {
            tracing::warn!(error = %e, "purging a deleted lead's events failed; the pruner retries");
        }
        Ok(true)
    }

    /// Deletes the workspace and everything in it: its people with their sessions, tokens and
    /// invites, its leads and conversations, settings, connections, templates, rollups and log.
    /// False when there is no such workspace. One transaction: a large workspace holds the
    /// writer for as long as the delete takes (seconds per million messages).
    pub async fn delete_workspace(&self, workspace: WorkspaceId) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        // Every lead goes, so the rollups go whole (they cascade with the workspace): the
        // guards of migration 21 only need to know these leads' rows may be deleted.
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "INSERT INTO leads_being_deleted (lead_id) SELECT id FROM leads WHERE workspace_id = ?",
        ))
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        let done = on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM workspaces WHERE id = ?"
        ))
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM leads_being_deleted"
        ))
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::server::store::query_plan::PlanDb;

    /// Each range of the purge seeks to its seqs in the workspace's log, reading nothing else.
    #[tokio::test]
    async fn each_range_of_the_log_purge_reads_only_its_seqs() {
        let plan = PlanDb::new().await.plan(super::PURGE_RANGE).await;
        assert!(
            plan.iter().any(|step| step.contains(
                "INDEX events_by_workspace_ws_seq (workspace_id=? AND ws_seq>? AND ws_seq<?)"
            )),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "{plan:?}"
        );
    }
}
