//! Drafts, one per user and lead, versioned; every change is logged for the owner's other tabs.
use super::db::{on_conn, Conn};
use super::events::{append, next_seq, LoggedEvent, Pending};
use super::{now, Store};
use crate::model::channel::Channel;
use crate::model::draft::{Draft, DraftFields, DraftSave};
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, UserId, WorkspaceId};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct DraftRow {
    lead_id: LeadId,
    channel: String,
    subject: Option<String>,
    content: String,
    version: i64,
    updated_at: DateTime<Utc>,
}

impl From<DraftRow> for Draft {
    fn from(r: DraftRow) -> Self {
        Draft {
            lead_id: r.lead_id,
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Email),
            subject: r.subject,
            content: r.content,
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

async fn current(
    mut conn: Conn<'_>,
    workspace: WorkspaceId,
    user: UserId,
    lead: LeadId,
) -> Result<Option<Draft>, sqlx::Error> {
    let row = on_conn!(conn, |c, sql| sqlx::query_as::<_, DraftRow>(sql(
        "SELECT lead_id, channel, subject, content, version, updated_at FROM message_drafts \
         WHERE workspace_id = ? AND user_id = ? AND lead_id = ?",
    ))
    .bind(workspace)
    .bind(user)
    .bind(lead)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(Into::into))
}

impl Store {
    pub async fn draft(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        lead: LeadId,
    ) -> Result<Option<Draft>, sqlx::Error> {
        let mut conn = self.db().acquire().await?;
        current(conn.reborrow(), workspace, user, lead).await
    }

    /// Saves when `fields.base_version` is the stored version (0: none stored); otherwise
    /// changes nothing and answers with what is stored.
    pub async fn save_draft(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        lead: LeadId,
        fields: &DraftFields,
    ) -> Result<DraftSave, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let stored = current(tx.reborrow(), workspace, user, lead).await?;
        let stored_version = stored.as_ref().map_or(0, |d| d.version);
        if fields.base_version != stored_version {
            // `stored` may still be in the batch being built: answer once it is on disk.
            tx.commit(Vec::new()).await?;
            return Ok(DraftSave::Stale { current: stored });
        }
        let (draft, event) = if fields.is_empty() {
            if stored.is_none() {
                return Ok(DraftSave::Saved { draft: None });
            }
            (None, delete_in(tx.reborrow(), workspace, user, lead).await?)
        } else {
            // The version is the seq of this save's event: it only ever grows, even across a
            // send (which deletes the row), so an old tab's version can never match a new draft.
            let draft = Draft {
                lead_id: lead,
                channel: fields.channel,
                subject: fields.subject.clone(),
                content: fields.content.clone(),
                version: next_seq(tx.reborrow(), workspace).await?,
                updated_at: now(),
            };
            on_conn!(tx, |c, sql| {
                sqlx::query(sql("INSERT INTO message_drafts (user_id, lead_id, workspace_id, channel, subject, content, version, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, lead_id) DO UPDATE SET \
                 channel = excluded.channel, subject = excluded.subject, content = excluded.content, \
                 version = excluded.version, updated_at = excluded.updated_at",))
            .bind(user)
            .bind(lead)
            .bind(workspace)
            .bind(draft.channel.as_str())
            .bind(&draft.subject)
            .bind(&draft.content)
            .bind(draft.version)
            .bind(draft.updated_at)
            .execute(c)
            .await.map(super::db::Done::from)
            })?;
            let event =
                draft_event(tx.reborrow(), workspace, user, lead, Some(draft.clone())).await?;
            (Some(draft), Some(event))
        };
        tx.commit(event.into_iter().collect()).await?;
        Ok(DraftSave::Saved { draft })
    }

    /// Removes the draft (whatever its version).
    pub async fn delete_draft(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        lead: LeadId,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let event = delete_in(tx.reborrow(), workspace, user, lead).await?;
        tx.commit(event.into_iter().collect()).await?;
        Ok(())
    }
}

/// Deletes a draft inside a writer transaction, logging it when there was one.
pub(super) async fn delete_in(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    user: UserId,
    lead: LeadId,
) -> Result<Option<LoggedEvent>, sqlx::Error> {
    if !delete_row_in(tx.reborrow(), workspace, user, lead).await? {
        return Ok(None);
    }
    draft_event(tx.reborrow(), workspace, user, lead, None)
        .await
        .map(Some)
}

/// Deletes a draft; binds workspace, user, lead.
pub(super) const DELETE_DRAFT: &str =
    "DELETE FROM message_drafts WHERE workspace_id = ? AND user_id = ? AND lead_id = ?";

/// Deletes `user`'s draft for `lead`; true if there was one (then tell their tabs: [`cleared`]).
pub(super) async fn delete_row_in(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    user: UserId,
    lead: LeadId,
) -> Result<bool, sqlx::Error> {
    let done = on_conn!(tx, |c, sql| sqlx::query(sql(DELETE_DRAFT))
        .bind(workspace)
        .bind(user)
        .bind(lead)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
    Ok(done.rows_affected() > 0)
}

/// The event that tells `user`'s tabs their draft for `lead` is gone.
pub(super) fn cleared(user: UserId, lead: LeadId) -> Pending {
    Pending::new(Some(user), move |seq| ServerFrame::DraftsUpdated {
        seq,
        lead_id: lead,
        draft: None,
    })
}

async fn draft_event(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    user: UserId,
    lead: LeadId,
    draft: Option<Draft>,
) -> Result<LoggedEvent, sqlx::Error> {
    append(tx.reborrow(), workspace, Some(user), |seq| {
        ServerFrame::DraftsUpdated {
            seq,
            lead_id: lead,
            draft,
        }
    })
    .await
}
