//! Users and their workspace membership.
use super::Store;
use crate::model::auth::{CurrentUser, Role, TeamMember};
use crate::model::ids::{UserId, WorkspaceId};

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
        }
    }
}

/// The columns of a [`UserRecord`] (for queries that select more beside them).
macro_rules! user_record_columns {
    () => {
        "u.id, u.workspace_id, w.name AS workspace_name, u.name, u.email, u.role, u.password_hash"
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
        sqlx::query_as::<_, UserRecord>(&format!("{USER_RECORD_SELECT} WHERE u.email = ?"))
            .bind(email)
            .fetch_optional(self.pool())
            .await
    }

    pub async fn email_taken(&self, email: &str) -> Result<bool, sqlx::Error> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    pub async fn team_members(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<TeamMember>, sqlx::Error> {
        let rows: Vec<(UserId, String, String, String)> = sqlx::query_as(
            "SELECT id, name, email, role FROM users WHERE workspace_id = ? ORDER BY name COLLATE NOCASE",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await?;
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

    /// Whether `user` belongs to `workspace` (lead owners must).
    pub async fn is_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<bool, sqlx::Error> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM users WHERE id = ? AND workspace_id = ?")
                .bind(user)
                .bind(workspace)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.is_some())
    }

    /// The user's stored password hash (a change must check the current password first).
    pub async fn password_hash(&self, user: UserId) -> Result<Option<String>, sqlx::Error> {
        let row: Option<(String,)> = sqlx::query_as("SELECT password_hash FROM users WHERE id = ?")
            .bind(user)
            .fetch_optional(self.pool())
            .await?;
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
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let ended: Vec<(String,)> = sqlx::query_as(
            "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS NOT ?2 RETURNING token_hash",
        )
        .bind(user)
        .bind(keep_session)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ended.into_iter().map(|(hash,)| hash).collect())
    }

    /// The name teammates see (owner column, presence, message authors).
    pub async fn rename_user(&self, user: UserId, name: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET name = ? WHERE id = ?")
            .bind(name)
            .bind(user)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Gives a member of `workspace` another role. The owner count is checked by the UPDATE
    /// itself, so two owners stepping down at once cannot leave the workspace without one.
    pub async fn set_role(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
    ) -> Result<RoleChange, sqlx::Error> {
        let changed = sqlx::query(
            "UPDATE users SET role = ?1 WHERE id = ?2 AND workspace_id = ?3 \
             AND (?1 = 'owner' OR role <> 'owner' \
                  OR (SELECT COUNT(*) FROM users WHERE workspace_id = ?3 AND role = 'owner') > 1)",
        )
        .bind(role.as_str())
        .bind(user)
        .bind(workspace)
        .execute(self.pool())
        .await?
        .rows_affected();
        if changed > 0 {
            return Ok(RoleChange::Changed);
        }
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
