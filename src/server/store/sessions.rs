//! Browser sessions, stored by the hash of their cookie value. Written through the writer, like
//! every write on SQLite (see `Store::open`: the readers' pool is read-only).
use super::db::{on_conn, on_db};
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

/// A page request's session, with the workspace's event-log head read in the same statement:
/// the page's socket resumes from `head` (see `page_guard`), and one query instead of two is
/// one round trip to SQLite's thread fewer on every page.
#[derive(sqlx::FromRow)]
pub struct PageSession {
    #[sqlx(flatten)]
    pub session: SessionRecord,
    pub head: i64,
}

/// The expired sessions' sweep.
const DELETE_EXPIRED: &str = "DELETE FROM sessions WHERE expires_at <= ?";

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)"))
            .bind(token_hash)
            .bind(user)
            .bind(now())
            .bind(expires_at)
            .execute(c)
            .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await
    }

    /// The user behind an unexpired session, and when it expires.
    pub async fn session_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRecord>, sqlx::Error> {
        // The head comes along (one index lookup); only pages use it.
        Ok(self
            .page_session(token_hash)
            .await?
            .map(|page| page.session))
    }

    /// The user behind an unexpired session, when it expires, and the head of the user's
    /// workspace's event log.
    pub async fn page_session(&self, token_hash: &str) -> Result<Option<PageSession>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as::<_, PageSession>(sql(
            concat!(
                "SELECT ",
                user_record_columns!(),
                ", s.expires_at AS session_expires_at, \
             COALESCE((SELECT h.head FROM workspace_event_heads h \
                       WHERE h.workspace_id = u.workspace_id), 0) AS head \
             FROM users u JOIN workspaces w ON w.id = u.workspace_id \
             JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = ? AND s.expires_at > ?"
            )
        ))
        .bind(token_hash)
        .bind(now())
        .fetch_optional(p)
        .await)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM sessions WHERE token_hash = ?"
        ))
        .bind(token_hash)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await
    }

    /// Deletes expired sessions (they are refused already; this keeps the table small). It runs
    /// on the pruning timer, not with every sign-in, and seeks by expiry (`sessions_by_expiry`):
    /// on SQLite it holds the writer, which every send waits for.
    pub async fn delete_expired_sessions(&self) -> Result<u64, sqlx::Error> {
        let mut tx = self.begin_unlogged_write().await?;
        let done = on_conn!(tx, |c, sql| sqlx::query(sql(DELETE_EXPIRED))
            .bind(now())
            .execute(c)
            .await
            .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use crate::server::store::query_plan::PlanDb;

    /// The sweep seeks the expired sessions by expiry instead of reading every session.
    #[tokio::test]
    async fn the_sweep_of_expired_sessions_seeks_by_expiry() {
        let plan = PlanDb::new().await.plan(super::DELETE_EXPIRED).await;
        assert!(
            plan.iter()
                .any(|step| step.contains("INDEX sessions_by_expiry (expires_at<?)")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "{plan:?}"
        );
    }
}
