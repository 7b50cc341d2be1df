//! Users and their workspace membership.
use super::db::{on_conn, on_db};
use super::Store;
use crate::model::auth::{CurrentUser, Role, TeamMember};
use crate::model::event::ServerFrame;
use crate::model::ids::{ApiTokenId, UserId, WorkspaceId};

/// A user joined with their workspace, as sessions and tokens resolve to.
#[derive(sqlx::FromRow)]
pub struct UserRecord {
    pub id: UserId,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub password_hash: String,
    pub currency: String,
}

impl From<UserRecord> for CurrentUser {
    fn from(r: UserRecord) -> Self {
        CurrentUser {
            id: r.id,
            name: r.name,
            email: r.email,
            role: Role::from_db(&r.role),
            workspace_id: r.workspace_id,
            workspace_name: r.workspace_name,
            currency: r.currency,
        }
    }
}

/// The columns of a [`UserRecord`] (for queries that select more beside them).
macro_rules! user_record_columns {
    () => {
        "u.id, u.workspace_id, w.name AS workspace_name, u.name, u.email, u.role, u.password_hash, \
         w.currency"
    };
}
pub(super) use user_record_columns;

/// The select list shared by every query that resolves to a [`UserRecord`].
pub(super) const USER_RECORD_SELECT: &str = concat!(
    "SELECT ",
    user_record_columns!(),
    " FROM users u JOIN workspaces w ON w.id = u.workspace_id"
);

impl Store {
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as::<_, UserRecord>(sql(
            &format!("{USER_RECORD_SELECT} WHERE u.email = ?")
        ))
        .bind(email)
        .fetch_optional(p)
        .await)
    }

    pub async fn email_taken(&self, email: &str) -> Result<bool, sqlx::Error> {
        let row: Option<(i64,)> = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT CAST(1 AS BIGINT) FROM users WHERE email = ?"
        ))
        .bind(email)
        .fetch_optional(p)
        .await)?;
        Ok(row.is_some())
    }

    pub async fn team_members(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<TeamMember>, sqlx::Error> {
        let rows: Vec<(UserId, String, String, String)> = on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql("SELECT id, name, email, role FROM users WHERE workspace_id = ? AND removed_at IS NULL \
             ORDER BY lower(name)",))
        .bind(workspace)
        .fetch_all(p)
        .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, name, email, role)| TeamMember {
                id,
                name,
                email,
                role: Role::from_db(&role),
            })
            .collect())
    }

    /// Whether `user` belongs to `workspace` and was not removed (lead owners must).
    pub async fn is_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<bool, sqlx::Error> {
        let row: Option<(i64,)> = on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql(
            "SELECT CAST(1 AS BIGINT) FROM users WHERE id = ? AND workspace_id = ? AND removed_at IS NULL",
        ))
        .bind(user)
        .bind(workspace)
        .fetch_optional(p)
        .await
        })?;
        Ok(row.is_some())
    }

    /// The user's stored password hash (a change must check the current password first).
    pub async fn password_hash(&self, user: UserId) -> Result<Option<String>, sqlx::Error> {
        let row: Option<(String,)> = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT password_hash FROM users WHERE id = ?"
        ))
        .bind(user)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(hash,)| hash))
    }

    /// Stores a new password hash and ends every other session of the user, in one
    /// transaction; returns the ended sessions' token hashes (their sockets close too).
    pub async fn set_password(
        &self,
        user: UserId,
        hash: &str,
        keep_session: Option<&str>,
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE users SET password_hash = ? WHERE id = ?"
        ))
        .bind(hash)
        .bind(user)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        let ended: Vec<(String,)> = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql(
            "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS DISTINCT FROM ?2 RETURNING token_hash",
        ))
        .bind(user)
        .bind(keep_session)
        .fetch_all(c)
        .await
        })?;
        tx.commit(Vec::new()).await?;
        Ok(ended.into_iter().map(|(hash,)| hash).collect())
    }

    /// The name teammates see (owner column, presence, message authors). Logged as
    /// `member_renamed`, so open pages of the workspace show the new name at once; its seq
    /// moves the workspace's head, as every write that changes what the inbox shows must: pages
    /// cached under the old head (`server::inbox_cache`) are not served again, on any instance.
    pub async fn rename_user(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        name: &str,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE users SET name = ? WHERE id = ? AND workspace_id = ?"
        ))
        .bind(name)
        .bind(user)
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        let name = name.to_string();
        let event = super::events::append(tx.reborrow(), workspace, None, move |seq| {
            ServerFrame::MemberRenamed {
                seq,
                user_id: user,
                name,
            }
        })
        .await?;
        tx.commit(vec![event]).await
    }

    /// Gives a member of `workspace` another role. The owner count is checked by the UPDATE
    /// itself, so two owners stepping down at once cannot leave the workspace without one.
    pub async fn set_role(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
    ) -> Result<RoleChange, sqlx::Error> {
        // Under the writer: two owners stepping down at once must see each other (on
        // PostgreSQL, a lone UPDATE would count the owners before either committed).
        let mut tx = self.begin_write().await?;
        let changed = on_conn!(tx, |c, sql| sqlx::query(sql("UPDATE users SET role = ?1 WHERE id = ?2 AND workspace_id = ?3 AND removed_at IS NULL \
             AND (?1 = 'owner' OR role <> 'owner' \
                  OR (SELECT COUNT(*) FROM users WHERE workspace_id = ?3 AND role = 'owner') > 1)",))
        .bind(role.as_str())
        .bind(user)
        .bind(workspace)
        .execute(c)
        .await.map(super::db::Done::from))?
        .rows_affected();
        if changed > 0 {
            let event = team_changed(tx.reborrow(), workspace, user, Some(role)).await?;
            tx.commit(vec![event]).await?;
            return Ok(RoleChange::Changed);
        }
        tx.commit(Vec::new()).await?;
        // Nothing changed: either not one of the workspace's people, or its last owner.
        Ok(if self.is_member(workspace, user).await? {
            RoleChange::LastOwner
        } else {
            RoleChange::NotMember
        })
    }
}

/// What [`Store::set_role`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum RoleChange {
    Changed,
    NotMember,
    /// The change would leave the workspace without an owner.
    LastOwner,
}

/// What [`Store::remove_member`] ended: the sockets riding on these close.
#[derive(Debug)]
pub struct Removed {
    pub sessions: Vec<String>,
    pub tokens: Vec<ApiTokenId>,
}

impl Store {
    /// Removes `user` from `workspace` (None: not one of its people). Their row stays, so what
    /// they wrote and did keeps their name; everything that let them in goes in the same
    /// transaction: sessions, API tokens, the password, and the email address (rewritten, so it
    /// can join again or sign up anew). Their private drafts, read marks and notification
    /// settings go; the leads they owned become unassigned, each a `leads_updated` for open tabs.
    pub async fn remove_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<Option<Removed>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let remove = format!(
            "UPDATE users SET removed_at = ?1, role = 'member', password_hash = '', \
             email = 'removed-' || {} || '@removed.invalid' \
             WHERE id = ?2 AND workspace_id = ?3 AND removed_at IS NULL",
            self.backend().id_hex("id")
        );
        let changed = on_conn!(tx, |c, sql| sqlx::query(sql(&remove))
            .bind(super::now())
            .bind(user)
            .bind(workspace)
            .execute(c)
            .await
            .map(super::db::Done::from))?
        .rows_affected();
        if changed == 0 {
            tx.commit(Vec::new()).await?;
            return Ok(None);
        }
        let sessions: Vec<(String,)> = on_conn!(tx, |c, sql| sqlx::query_as(sql(
            "DELETE FROM sessions WHERE user_id = ? RETURNING token_hash"
        ))
        .bind(user)
        .fetch_all(c)
        .await)?;
        let tokens: Vec<(ApiTokenId,)> = on_conn!(tx, |c, sql| sqlx::query_as(sql(
            "DELETE FROM api_tokens WHERE user_id = ? RETURNING id"
        ))
        .bind(user)
        .fetch_all(c)
        .await)?;
        for table in ["message_drafts", "lead_reads", "notification_prefs"] {
            on_conn!(tx, |c, sql| sqlx::query(sql(&format!(
                "DELETE FROM {table} WHERE user_id = ?"
            )))
            .bind(user)
            .execute(c)
            .await
            .map(super::db::Done::from))?;
        }
        let mut events = super::leads::unassign_in(tx.reborrow(), workspace, user).await?;
        events.push(team_changed(tx.reborrow(), workspace, user, None).await?);
        tx.commit(events).await?;
        Ok(Some(Removed {
            sessions: sessions.into_iter().map(|(s,)| s).collect(),
            tokens: tokens.into_iter().map(|(t,)| t).collect(),
        }))
    }
}

/// Logs `team_changed` for `user` (their role now; None: removed) in the writer's transaction:
/// teammates' open team lists and owner choices, and the member's own pages, follow it.
pub(super) async fn team_changed(
    tx: super::db::Conn<'_>,
    workspace: WorkspaceId,
    user: UserId,
    role: Option<Role>,
) -> Result<super::events::LoggedEvent, sqlx::Error> {
    super::events::append(tx, workspace, None, move |seq| ServerFrame::TeamChanged {
        seq,
        user_id: user,
        role,
    })
    .await
}
