//! Personal API tokens: created and revoked by their owner in settings.
use super::auth::Caller;
use super::crypto::{random_token, token_hash};
use super::http_error::internal;
use super::state::AppState;
use crate::model::auth::{ApiTokenInfo, CreatedApiToken};
use crate::model::error::AppError;
use crate::model::ids::ApiTokenId;
use crate::model::text::bounded;

/// Prefix that makes a leaked token easy to recognise (and to scan for).
const TOKEN_PREFIX: &str = "lw_";

pub async fn create(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<CreatedApiToken, AppError> {
    let name = bounded("name", "Token name", name, 1, 100)?;
    let secret = format!("{TOKEN_PREFIX}{}", random_token());
    let info = state
        .store
        .create_api_token(caller.user.id, &name, &token_hash(&secret))
        .await
        .map_err(internal("creating API token"))?;
    Ok(CreatedApiToken { info, secret })
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<ApiTokenInfo>, AppError> {
    state
        .store
        .api_tokens(caller.user.id)
        .await
        .map_err(internal("listing API tokens"))
}

pub async fn revoke(state: &AppState, caller: &Caller, id: ApiTokenId) -> Result<(), AppError> {
    let revoked = state
        .store
        .revoke_api_token(caller.user.id, id)
        .await
        .map_err(internal("revoking API token"))?;
    if revoked {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
