//! Meetings booked with a lead ("log meeting booked" on the lead page).
use super::activity::{log_entry_in, NewActivity};
use super::db::on_conn;
use super::{now, Store};
use crate::model::activity::{Activity, ActivityKind};
use crate::model::ids::{LeadId, UserId, WorkspaceId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

impl Store {
    /// Records a meeting with `lead` at `starts_at`, booked by `actor`, and tells the feed.
    /// `None` when the lead is not in `workspace`.
    pub async fn book_meeting(
        &self,
        workspace: WorkspaceId,
        actor: UserId,
        lead: LeadId,
        starts_at: DateTime<Utc>,
    ) -> Result<Option<Activity>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let inserted = on_conn!(tx, |c, sql| {
            sqlx::query(sql(
            "INSERT INTO meetings (id, workspace_id, lead_id, booked_by, starts_at, created_at) \
             SELECT ?, workspace_id, id, ?, ?, ? FROM leads WHERE id = ? AND workspace_id = ?",
        ))
        .bind(Uuid::new_v4())
        .bind(actor)
        .bind(starts_at)
        .bind(now())
        .bind(lead)
        .bind(workspace)
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        if inserted.rows_affected() == 0 {
            return Ok(None);
        }
        let mut entry = NewActivity::new(ActivityKind::MeetingBooked, lead);
        entry.actor_id = Some(actor);
        entry.meeting_at = Some(starts_at);
        let (event, activity) = log_entry_in(tx.reborrow(), workspace, entry).await?;
        tx.commit(vec![event]).await?;
        Ok(Some(activity))
    }
}
