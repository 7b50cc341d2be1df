//! Teammate invites: a single-use link that lets someone join a workspace.
use super::db::{on_conn, on_db};
use super::workspaces::{insert_user, NewUser};
use super::{now, Store};
use crate::model::auth::{PendingInvite, Role};
use crate::model::ids::{InviteId, UserId, WorkspaceId};
use chrono::{DateTime, Utc};

/// An invite that can still be accepted.
#[derive(sqlx::FromRow)]
pub struct OpenInvite {
    pub id: InviteId,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub workspace_name: String,
    pub invited_by_name: String,
}

/// Why an invite could not be accepted.
pub enum AcceptError {
    /// Used or expired in the meantime.
    Gone,
    EmailTaken,
    Db(sqlx::Error),
}

impl Store {
    pub async fn create_invite(
        &self,
        workspace: WorkspaceId,
        invited_by: UserId,
        email: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<PendingInvite, sqlx::Error> {
        let invite = PendingInvite {
            id: InviteId::new_random(),
            email: email.to_string(),
            created_at: now(),
            expires_at,
        };
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO invites (id, workspace_id, email, token_hash, invited_by, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",))
        .bind(invite.id)
        .bind(workspace)
        .bind(email)
        .bind(token_hash)
        .bind(invited_by)
        .bind(invite.created_at)
        .bind(expires_at)
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await?;
        Ok(invite)
    }

    pub async fn pending_invites(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<PendingInvite>, sqlx::Error> {
        let rows: Vec<(InviteId, String, DateTime<Utc>, DateTime<Utc>)> = on_db!(
            self.db(),
            |p, sql| {
                sqlx::query_as(sql("SELECT id, email, created_at, expires_at FROM invites \
             WHERE workspace_id = ? AND accepted_at IS NULL AND expires_at > ? ORDER BY created_at DESC",))
        .bind(workspace)
        .bind(now())
        .fetch_all(p)
        .await
            }
        )?;
        Ok(rows
            .into_iter()
            .map(|(id, email, created_at, expires_at)| PendingInvite {
                id,
                email,
                created_at,
                expires_at,
            })
            .collect())
    }

    pub async fn revoke_invite(
        &self,
        workspace: WorkspaceId,
        id: InviteId,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_unlogged_write().await?;
        let done = on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM invites WHERE id = ? AND workspace_id = ? AND accepted_at IS NULL",
        ))
        .bind(id)
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn open_invite(&self, token_hash: &str) -> Result<Option<OpenInvite>, sqlx::Error> {
        on_db!(self.db(), |p, sql| {
            sqlx::query_as::<_, OpenInvite>(sql("SELECT i.id, i.workspace_id, i.email, w.name AS workspace_name, u.name AS invited_by_name \
             FROM invites i JOIN workspaces w ON w.id = i.workspace_id JOIN users u ON u.id = i.invited_by \
             WHERE i.token_hash = ? AND i.accepted_at IS NULL AND i.expires_at > ?",))
        .bind(token_hash)
        .bind(now())
        .fetch_optional(p)
        .await
        })
    }

    /// Marks the invite used and creates the teammate, atomically: an invite makes one account.
    pub async fn accept_invite(
        &self,
        invite: &OpenInvite,
        user: NewUser<'_>,
    ) -> Result<UserId, AcceptError> {
        // Under the writer: the new member is logged (`team_changed`) for open team lists.
        let mut tx = self.begin_write().await.map_err(AcceptError::Db)?;
        let claimed = on_conn!(tx, |c, sql| sqlx::query(sql("UPDATE invites SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL AND expires_at > ?",))
        .bind(now())
        .bind(invite.id)
        .bind(now())
        .execute(c)
        .await.map(super::db::Done::from))
        .map_err(AcceptError::Db)?;
        if claimed.rows_affected() != 1 {
            return Err(AcceptError::Gone);
        }
        let id = UserId::new_random();
        insert_user(tx.reborrow(), invite.workspace_id, id, &user, "member")
            .await
            .map_err(|e| {
                if super::is_unique_violation(&e) {
                    AcceptError::EmailTaken
                } else {
                    AcceptError::Db(e)
                }
            })?;
        let event =
            super::users::team_changed(tx.reborrow(), invite.workspace_id, id, Some(Role::Member))
                .await
                .map_err(AcceptError::Db)?;
        tx.commit(vec![event]).await.map_err(AcceptError::Db)?;
        Ok(id)
    }
}
