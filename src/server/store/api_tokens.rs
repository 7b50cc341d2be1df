//! Personal API tokens, stored hashed.
use super::db::{on_conn, on_db};
use super::users::{user_record_columns, UserRecord};
use super::{now, Store};
use crate::model::auth::{ApiScopes, ApiTokenInfo};
use crate::model::ids::{ApiTokenId, UserId};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: ApiTokenId,
    name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    scopes: String,
}

impl From<TokenRow> for ApiTokenInfo {
    fn from(r: TokenRow) -> Self {
        ApiTokenInfo {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            scopes: ApiScopes::from_db(&r.scopes),
        }
    }
}

/// A valid token: its user, its id (sockets it opened close when it is revoked) and scopes.
#[derive(sqlx::FromRow)]
pub struct TokenRecord {
    #[sqlx(flatten)]
    pub user: UserRecord,
    pub token_id: ApiTokenId,
    pub token_scopes: String,
    pub token_last_used_at: Option<DateTime<Utc>>,
}

/// `last_used_at` is written at most this often per token: a token used for every request of
/// a busy integration must not turn each read into a write (and an fsync).
const LAST_USED_RESOLUTION_SECS: i64 = 60;

impl Store {
    pub async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &str,
        scopes: ApiScopes,
    ) -> Result<ApiTokenInfo, sqlx::Error> {
        let info = ApiTokenInfo {
            id: ApiTokenId::new_random(),
            name: name.to_string(),
            created_at: now(),
            last_used_at: None,
            scopes,
        };
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, scopes) VALUES (?, ?, ?, ?, ?, ?)"))
            .bind(info.id)
            .bind(user)
            .bind(name)
            .bind(token_hash)
            .bind(info.created_at)
            .bind(scopes.to_db())
            .execute(c)
            .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await?;
        Ok(info)
    }

    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiTokenInfo>, sqlx::Error> {
        let rows = on_db!(self.db(), |p, sql| {
            sqlx::query_as::<_, TokenRow>(sql("SELECT id, name, created_at, last_used_at, scopes FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC",))
        .bind(user)
        .fetch_all(p)
        .await
        })?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Deletes the caller's own token; `false` when it is not theirs or does not exist.
    pub async fn revoke_api_token(
        &self,
        user: UserId,
        id: ApiTokenId,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_unlogged_write().await?;
        let done = on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM api_tokens WHERE id = ? AND user_id = ?"
        ))
        .bind(id)
        .bind(user)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// The user behind a token, marking it used (at most once a minute).
    pub async fn api_token_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<TokenRecord>, sqlx::Error> {
        let record = on_db!(self.db(), |p, sql| sqlx::query_as::<_, TokenRecord>(sql(
            concat!(
            "SELECT ",
            user_record_columns!(),
            ", t.id AS token_id, t.scopes AS token_scopes, t.last_used_at AS token_last_used_at \
             FROM users u JOIN workspaces w ON w.id = u.workspace_id \
             JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = ?"
        )
        ))
        .bind(token_hash)
        .fetch_optional(p)
        .await)?;
        if let Some(record) = &record {
            let now = now();
            let stale = record.token_last_used_at.is_none_or(|at| {
                now.signed_duration_since(at).num_seconds() >= LAST_USED_RESOLUTION_SECS
            });
            // Through the writer: on a pool connection it would wait out the writer's open
            // batch in SQLite's sleeping busy handler (see `Store::connection_failed`).
            if stale {
                let mut tx = self.begin_write().await?;
                on_conn!(tx, |c, sql| sqlx::query(sql(
                    "UPDATE api_tokens SET last_used_at = ? WHERE id = ?"
                ))
                .bind(now)
                .bind(record.token_id)
                .execute(c)
                .await
                .map(super::db::Done::from))?;
                tx.commit(Vec::new()).await?;
            }
        }
        Ok(record)
    }
}
