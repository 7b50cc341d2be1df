//! Browser sessions, stored by the hash of their cookie value.
use super::users::{user_record_columns, UserRecord};
use super::{now, Store};
use crate::model::ids::UserId;
use chrono::{DateTime, Utc};

/// A live session: its user and its end.
#[derive(sqlx::FromRow)]
pub struct SessionRecord {
    #[sqlx(flatten)]
    pub user: UserRecord,
    pub session_expires_at: DateTime<Utc>,
}

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user)
            .bind(now())
            .bind(expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The user behind an unexpired session, and when it expires.
    pub async fn session_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRecord>, sqlx::Error> {
        sqlx::query_as::<_, SessionRecord>(concat!(
            "SELECT ",
            user_record_columns!(),
            ", s.expires_at AS session_expires_at \
             FROM users u JOIN workspaces w ON w.id = u.workspace_id \
             JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = ? AND s.expires_at > ?"
        ))
        .bind(token_hash)
        .bind(now())
        .fetch_optional(self.pool())
        .await
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&self) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
