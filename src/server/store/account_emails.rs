//! Mail to people rather than leads (a teammate's invite) that went to the built-in outbox,
//! kept sealed (it holds the invite link) so the outbox can show it.
use super::db::{on_conn, on_db};
use super::{now, Store};
use crate::model::ids::WorkspaceId;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One kept mail.
#[derive(Debug, sqlx::FromRow)]
pub struct AccountEmailRow {
    pub to_address: String,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    /// The whole message, sealed with the server's key.
    pub raw_sealed: String,
}

impl Store {
    pub async fn insert_account_email(
        &self,
        workspace: WorkspaceId,
        to: &str,
        subject: &str,
        raw_sealed: &str,
    ) -> Result<Uuid, sqlx::Error> {
        let id = Uuid::new_v4();
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO account_emails (id, workspace_id, to_address, subject, raw_sealed, sent_at) \
             VALUES (?, ?, ?, ?, ?, ?)",))
        .bind(id)
        .bind(workspace)
        .bind(to)
        .bind(subject)
        .bind(raw_sealed)
        .bind(now())
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await?;
        Ok(id)
    }

    /// The workspace's kept mails, newest first.
    pub async fn account_emails(
        &self,
        workspace: WorkspaceId,
        limit: i64,
    ) -> Result<Vec<AccountEmailRow>, sqlx::Error> {
        on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql("SELECT to_address, subject, sent_at, raw_sealed FROM account_emails WHERE workspace_id = ? \
             ORDER BY sent_at DESC LIMIT ?",))
        .bind(workspace)
        .bind(limit)
        .fetch_all(p)
        .await
        })
    }
}
