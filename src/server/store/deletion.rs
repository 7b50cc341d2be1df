//! Deleting a lead with everything recorded about it, or a whole workspace with everything in
//! it. A lead goes with its messages (with their deliveries, receipts, tracking hits and
//! attachments), drafts, read marks, meetings, feed entries, and the events of the real-time log
//! that carry any of it, in one write: the rollups lose exactly what the lead counted, and every
//! open tab hears `lead_deleted`.
use super::db::on_conn;
use super::events::append;
use super::Store;
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, WorkspaceId};

impl Store {
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
        // lead (its id is 128 random bits, so no other event contains its text). Clients skip
        // seqs they never see, as they do for teammates' private events.
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM events WHERE workspace_id = ? AND payload LIKE '%' || ? || '%'"
        ))
        .bind(workspace)
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
