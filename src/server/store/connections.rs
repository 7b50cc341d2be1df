//! Each workspace's channel connections (SMS and WhatsApp through Twilio, WhatsApp and
//! Instagram through Meta, or the sandbox): saved from Settings, found by webhook key, switched
//! on and off, their health. Secrets arrive and leave sealed (see `server::secrets`).
use super::db::{on_conn, on_db};
use super::{now, Store};
use crate::model::channel::Channel;
use crate::model::ids::WorkspaceId;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A workspace's connection of one channel to a provider (or to the sandbox).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Connection {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub channel: String,
    /// `twilio` or `sandbox`.
    pub provider: String,
    pub webhook_key: String,
    pub account_id: String,
    pub sender: String,
    pub secret_sealed: String,
    /// Meta: the app secret that signs its webhooks, sealed.
    pub app_secret_sealed: Option<String>,
    /// Meta: ours, echoed by its subscription handshake.
    pub verify_token: Option<String>,
    pub enabled: bool,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

pub(super) const CONNECTION_SELECT: &str =
    "SELECT id, workspace_id, channel, provider, webhook_key, account_id, sender, \
     secret_sealed, app_secret_sealed, verify_token, enabled, last_inbound_at, last_error, \
     last_error_at FROM channel_connections";

/// A connection as Settings saves it.
pub struct ConnectionInput<'a> {
    pub channel: Channel,
    pub provider: &'a str,
    pub account_id: &'a str,
    pub sender: &'a str,
    /// None keeps the stored secret (the form never shows it back).
    pub secret_sealed: Option<&'a str>,
    /// Meta's app secret, sealed; None keeps the stored one.
    pub app_secret_sealed: Option<&'a str>,
    /// Meta's verify token for a new connection (a saved one keeps its own).
    pub verify_token: Option<&'a str>,
    pub enabled: bool,
}

impl Store {
    pub async fn connections(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<Connection>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(&format!(
            "{CONNECTION_SELECT} WHERE workspace_id = ? ORDER BY channel, provider"
        )))
        .bind(workspace)
        .fetch_all(p)
        .await)
    }

    pub async fn connection_by_key(&self, key: &str) -> Result<Option<Connection>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(&format!(
            "{CONNECTION_SELECT} WHERE webhook_key = ?"
        )))
        .bind(key)
        .fetch_optional(p)
        .await)
    }

    /// Creates or changes the workspace's connection of `input.channel` to `input.provider`.
    /// `new_key` and a secret are needed only when it is new (or, the secret, when it moves to
    /// another account). Returns None when there is no secret to keep.
    pub async fn save_connection(
        &self,
        workspace: WorkspaceId,
        input: &ConnectionInput<'_>,
        new_key: &str,
    ) -> Result<Option<Connection>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let before: Option<Connection> = on_conn!(tx, |c, sql| sqlx::query_as(sql(&format!(
            "{CONNECTION_SELECT} WHERE workspace_id = ? AND channel = ? AND provider = ?"
        )))
        .bind(workspace)
        .bind(input.channel.as_str())
        .bind(input.provider)
        .fetch_optional(c)
        .await)?;
        // A token is kept only for the account it belongs to.
        let kept = before
            .as_ref()
            .filter(|b| b.account_id == input.account_id)
            .map(|b| b.secret_sealed.clone());
        let Some(secret) = input.secret_sealed.map(str::to_string).or(kept) else {
            tx.commit(Vec::new()).await?;
            return Ok(None);
        };
        let app_secret = input.app_secret_sealed.map(str::to_string).or_else(|| {
            before
                .as_ref()
                .filter(|b| b.account_id == input.account_id)
                .and_then(|b| b.app_secret_sealed.clone())
        });
        // The webhook's verify token stays what the provider's console was given.
        let verify_token = before
            .as_ref()
            .and_then(|b| b.verify_token.clone())
            .or(input.verify_token.map(str::to_string));
        let saved: Connection = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql("INSERT INTO channel_connections (id, workspace_id, channel, provider, webhook_key, \
             account_id, sender, secret_sealed, app_secret_sealed, verify_token, enabled, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (workspace_id, channel, provider) DO UPDATE SET account_id = excluded.account_id, \
             sender = excluded.sender, secret_sealed = excluded.secret_sealed, \
             app_secret_sealed = excluded.app_secret_sealed, verify_token = excluded.verify_token, \
             enabled = excluded.enabled, updated_at = excluded.updated_at, \
             last_error = CASE WHEN excluded.secret_sealed IS NOT DISTINCT FROM channel_connections.secret_sealed \
             THEN channel_connections.last_error END \
             RETURNING id, workspace_id, channel, provider, webhook_key, account_id, sender, \
             secret_sealed, app_secret_sealed, verify_token, enabled, last_inbound_at, last_error, \
             last_error_at",))
        .bind(Uuid::new_v4())
        .bind(workspace)
        .bind(input.channel.as_str())
        .bind(input.provider)
        .bind(new_key)
        .bind(input.account_id)
        .bind(input.sender)
        .bind(&secret)
        .bind(app_secret)
        .bind(verify_token)
        .bind(input.enabled)
        .bind(now())
        .fetch_one(c)
        .await
        })?;
        tx.commit(Vec::new()).await?;
        Ok(Some(saved))
    }

    /// The workspace's sandbox for `channel`, made with these values if it has none yet (two
    /// first sends at once make one).
    pub async fn ensure_sandbox(
        &self,
        workspace: WorkspaceId,
        channel: Channel,
        new: &ConnectionInput<'_>,
        new_key: &str,
    ) -> Result<Connection, sqlx::Error> {
        // Read first: every sandbox send comes here, and an insert (even one that does nothing)
        // needs SQLite's write lock, which the writer's batches hold back to back under load —
        // sends then waited out the busy timeout and failed.
        if let Some(existing) = self.sandbox(workspace, channel).await? {
            return Ok(existing);
        }
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO channel_connections (id, workspace_id, channel, provider, webhook_key, \
             account_id, sender, secret_sealed, enabled, updated_at) VALUES (?, ?, ?, 'sandbox', ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (workspace_id, channel, provider) DO NOTHING",))
        .bind(Uuid::new_v4())
        .bind(workspace)
        .bind(channel.as_str())
        .bind(new_key)
        .bind(new.account_id)
        .bind(new.sender)
        .bind(new.secret_sealed.unwrap_or_default())
        .bind(new.enabled)
        .bind(now())
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await?;
        self.sandbox(workspace, channel)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    async fn sandbox(
        &self,
        workspace: WorkspaceId,
        channel: Channel,
    ) -> Result<Option<Connection>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(&format!(
            "{CONNECTION_SELECT} WHERE workspace_id = ? AND channel = ? AND provider = 'sandbox'"
        )))
        .bind(workspace)
        .bind(channel.as_str())
        .fetch_optional(p)
        .await)
    }

    /// Turns a connection on or off (the sandbox's switch in Settings).
    pub async fn enable_connection(
        &self,
        workspace: WorkspaceId,
        id: Uuid,
        enabled: bool,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_unlogged_write().await?;
        let done = on_conn!(tx, |c, sql| {
            sqlx::query(sql("UPDATE channel_connections SET enabled = ?, updated_at = ? WHERE id = ? AND workspace_id = ?",))
        .bind(enabled)
        .bind(now())
        .bind(id)
        .bind(workspace)
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that a provider call on the connection failed (its health in Settings).
    ///
    /// Through the writer: a write on a pool connection would wait for the writer's open batch
    /// in SQLite's busy handler, which sleeps in steps of up to 100 ms (this was the webhook's
    /// p99 of 240–340 ms when its "last inbound" time was written so).
    pub async fn connection_failed(&self, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE channel_connections SET last_error = ?, last_error_at = ? WHERE id = ?",
        ))
        .bind(error)
        .bind(now())
        .bind(id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await
    }
}
