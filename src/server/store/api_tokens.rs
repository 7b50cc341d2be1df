//! Personal API tokens, stored hashed.
use super::users::{UserRecord, USER_RECORD_SELECT};
use super::{now, Store};
use crate::model::auth::ApiTokenInfo;
use crate::model::ids::{ApiTokenId, UserId};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: ApiTokenId,
    name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for ApiTokenInfo {
    fn from(r: TokenRow) -> Self {
        ApiTokenInfo {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

impl Store {
    pub async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiTokenInfo, sqlx::Error> {
        let info = ApiTokenInfo {
            id: ApiTokenId::new_random(),
            name: name.to_string(),
            created_at: now(),
            last_used_at: None,
        };
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(info.id)
            .bind(user)
            .bind(name)
            .bind(token_hash)
            .bind(info.created_at)
            .execute(self.pool())
            .await?;
        Ok(info)
    }

    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiTokenInfo>, sqlx::Error> {
        let rows = sqlx::query_as::<_, TokenRow>(
            "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC",
        )
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Deletes the caller's own token; `false` when it is not theirs or does not exist.
    pub async fn revoke_api_token(
        &self,
        user: UserId,
        id: ApiTokenId,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The user behind a token, marking it used.
    pub async fn api_token_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<UserRecord>, sqlx::Error> {
        let user = sqlx::query_as::<_, UserRecord>(&format!(
            "{USER_RECORD_SELECT} JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        if user.is_some() {
            sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?")
                .bind(now())
                .bind(token_hash)
                .execute(self.pool())
                .await?;
        }
        Ok(user)
    }
}
