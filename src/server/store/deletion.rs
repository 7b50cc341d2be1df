//! Deleting a lead with everything recorded about it, or a whole workspace with everything in
//! it. A lead goes with its messages (with their deliveries, receipts, tracking hits and
//! attachments), drafts, read marks, meetings and feed entries in one write: the rollups lose
//! exactly what the lead counted, and every open tab hears `lead_deleted`. The events of the
//! real-time log that carry any of it go too: most just before that write, range by range, the
//! rest (any appended meanwhile) within it.
use super::db::{on_conn, on_db};
use super::events::append;
use super::Store;
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, WorkspaceId};

/// The log's events that name a lead being deleted go in ranges of this many of the
/// workspace's seqs, one write each, so no write holds the writer for the whole log: in one
/// statement the search took 264–376 ms per million events in the window, every send waiting;
/// in ranges of 5,000, 1.5–1.6 ms each (p50; at most 3 ms), about a batch of sends (2026-12-07,
/// AMD EPYC). Debug builds use ranges of 3, so the tests cross range boundaries.
const LOG_PURGE_RANGE: i64 = if cfg!(debug_assertions) { 3 } else { 5_000 };

/// One range of the purge (`ws_seq` in (?, ?]) of the events that carry the lead's id (its 128
/// random bits: no other event contains its text).
const PURGE_RANGE: &str = "DELETE FROM events WHERE workspace_id = ? AND ws_seq > ? \
     AND ws_seq <= ? AND payload LIKE '%' || ? || '%'";

impl Store {
    /// Removes the log's events that name lead `id` of `workspace`, up to the workspace's head
    /// as it is now, range by range (see [`LOG_PURGE_RANGE`]); the head they were removed up
    /// to, or None when the workspace has no such lead (nothing changes). Before the lead's own
    /// deletion, not after: should that never come (a crash), the lead is still there, and no
    /// copy of a deleted lead outlives it in the log.
    async fn purge_log_naming(
        &self,
        workspace: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<i64>, sqlx::Error> {
        let span: Option<(Option<i64>, Option<i64>)> = on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql(
                "SELECT (SELECT MIN(ws_seq) FROM events WHERE workspace_id = ?), \
                 (SELECT head FROM workspace_event_heads WHERE workspace_id = ?) \
                 FROM leads WHERE id = ? AND workspace_id = ?",
            ))
            .bind(workspace)
            .bind(workspace)
            .bind(id)
            .bind(workspace)
            .fetch_optional(p)
            .await
        })?;
        let Some((oldest, head)) = span else {
            return Ok(None);
        };
        let head = head.unwrap_or(0);
        let mut after = oldest.map_or(head, |oldest| oldest - 1);
        while after < head {
            let through = (after + LOG_PURGE_RANGE).min(head);
            let mut tx = self.begin_unlogged_write().await?;
            on_conn!(tx, |c, sql| sqlx::query(sql(PURGE_RANGE))
                .bind(workspace)
                .bind(after)
                .bind(through)
                .bind(id.to_string())
                .execute(c)
                .await
                .map(super::db::Done::from))?;
            tx.commit(Vec::new()).await?;
            after = through;
        }
        Ok(Some(head))
    }

    /// Deletes lead `id` of `workspace`. False when the workspace has no such lead (nothing
    /// changes).
    pub async fn delete_lead(
        &self,
        workspace: WorkspaceId,
        id: LeadId,
    ) -> Result<bool, sqlx::Error> {
        let Some(purged_through) = self.purge_log_naming(workspace, id).await? else {
            return Ok(false);
        };
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
        // lead, those up to `purged_through` gone already. Clients skip seqs they never see, as
        // they do for teammates' private events.
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM events WHERE workspace_id = ? AND ws_seq > ? \
             AND payload LIKE '%' || ? || '%'"
        ))
        .bind(workspace)
        .bind(purged_through)
        .bind(id.to_string())
        .execute(c)
        .await
        .map(super::db::Done::from))?;
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
