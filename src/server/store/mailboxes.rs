//! Each workspace's watched mailbox (IMAP): its connection settings, how far it was imported,
//! and its health. The password arrives and leaves sealed (see `server::secrets`).
use super::db::{on_conn, on_db};
use super::{now, Store};
use crate::model::ids::WorkspaceId;
use chrono::{DateTime, Utc};

/// How to reach a mailbox (everything but the password).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MailboxSettings {
    pub host: String,
    pub port: i64,
    /// `tls` (implicit, port 993), `starttls` (port 143, upgraded) or `none` (tests only).
    pub security: String,
    pub username: String,
    pub folder: String,
    pub address: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mailbox {
    pub workspace_id: WorkspaceId,
    #[sqlx(flatten)]
    pub settings: MailboxSettings,
    pub password_sealed: String,
    pub enabled: bool,
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

const SELECT: &str = "SELECT workspace_id, host, port, security, username, folder, address, \
     password_sealed, enabled, uid_validity, last_uid, last_sync_at, last_error FROM imap_mailboxes";

impl Store {
    pub async fn mailbox(&self, workspace: WorkspaceId) -> Result<Option<Mailbox>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(&format!(
            "{SELECT} WHERE workspace_id = ?"
        )))
        .bind(workspace)
        .fetch_optional(p)
        .await)
    }

    /// Every mailbox to watch.
    pub async fn enabled_mailboxes(&self) -> Result<Vec<Mailbox>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(&format!(
            "{SELECT} WHERE enabled = TRUE"
        )))
        .fetch_all(p)
        .await)
    }

    /// Sets the workspace's mailbox; `password_sealed` None keeps the stored one (the form
    /// never shows it back). Pointing it at another server, account or folder starts the import
    /// over (the Message-ID check keeps what was taken before from coming in twice). Returns
    /// false when there is no password to keep.
    pub async fn save_mailbox(
        &self,
        workspace: WorkspaceId,
        settings: &MailboxSettings,
        password_sealed: Option<&str>,
        enabled: bool,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let before = on_conn!(tx, |c, sql| sqlx::query_as::<_, Mailbox>(sql(&format!(
            "{SELECT} WHERE workspace_id = ?"
        )))
        .bind(workspace)
        .fetch_optional(c)
        .await)?;
        let Some(password) = password_sealed
            .map(str::to_string)
            .or_else(|| before.as_ref().map(|b| b.password_sealed.clone()))
        else {
            tx.commit(Vec::new()).await?;
            return Ok(false);
        };
        let same_source = before.as_ref().is_some_and(|b| {
            (
                &b.settings.host,
                b.settings.port,
                &b.settings.username,
                &b.settings.folder,
            ) == (
                &settings.host,
                settings.port,
                &settings.username,
                &settings.folder,
            )
        });
        let (validity, last_uid) = match (&before, same_source) {
            (Some(b), true) => (b.uid_validity, b.last_uid),
            _ => (None, 0),
        };
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO imap_mailboxes (workspace_id, host, port, security, username, password_sealed, \
             folder, address, enabled, uid_validity, last_uid, last_sync_at, last_error, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?) \
             ON CONFLICT (workspace_id) DO UPDATE SET host = excluded.host, port = excluded.port, \
             security = excluded.security, username = excluded.username, \
             password_sealed = excluded.password_sealed, folder = excluded.folder, \
             address = excluded.address, enabled = excluded.enabled, \
             uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, \
             last_error = NULL, updated_at = excluded.updated_at",))
        .bind(workspace)
        .bind(&settings.host)
        .bind(settings.port)
        .bind(&settings.security)
        .bind(&settings.username)
        .bind(password)
        .bind(&settings.folder)
        .bind(&settings.address)
        .bind(enabled)
        .bind(validity)
        .bind(last_uid)
        .bind(now())
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await?;
        Ok(true)
    }

    pub async fn delete_mailbox(&self, workspace: WorkspaceId) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM imap_mailboxes WHERE workspace_id = ?"
        ))
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await
    }

    /// The mailbox was imported up to `last_uid` of `uid_validity`.
    pub async fn mailbox_imported(
        &self,
        workspace: WorkspaceId,
        uid_validity: i64,
        last_uid: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE imap_mailboxes SET uid_validity = ?, last_uid = ? WHERE workspace_id = ?",
        ))
        .bind(uid_validity)
        .bind(last_uid)
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await
    }

    /// The connection's health: a completed sync (error None) or what went wrong.
    pub async fn mailbox_health(
        &self,
        workspace: WorkspaceId,
        error: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| {
            let query = match error {
                None => sqlx::query(sql(
                    "UPDATE imap_mailboxes SET last_sync_at = ?, last_error = NULL WHERE workspace_id = ?",
                ))
                .bind(now()),
                Some(error) => sqlx::query(sql(
                    "UPDATE imap_mailboxes SET last_error = ? WHERE workspace_id = ?",
                ))
                .bind(error),
            };
            query.bind(workspace).execute(c).await.map(|_| ())
        })?;
        tx.commit(Vec::new()).await
    }

    /// The mailbox address replies to the workspace's email should go to, if it has one.
    pub async fn reply_to_address(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<String>, sqlx::Error> {
        let row: Option<(String,)> = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT address FROM imap_mailboxes WHERE workspace_id = ? AND enabled = TRUE",
        ))
        .bind(workspace)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(a,)| a))
    }
}
