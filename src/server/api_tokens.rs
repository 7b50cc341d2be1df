//! Personal API tokens: created and revoked by their owner in settings.
use super::auth::Caller;
use super::crypto::{random_token, token_hash};
use super::revocations::Ended;
use super::state::AppState;
use crate::model::auth::{ApiScopes, ApiTokenInfo, CreatedApiToken};
use crate::model::error::AppError;
use crate::model::ids::ApiTokenId;
use crate::model::text::bounded;

/// Prefix that makes a leaked token easy to recognise (and to scan for).
const TOKEN_PREFIX: &str = "lw_";

pub async fn create(
    state: &AppState,
    caller: &Caller,
    name: &str,
    scopes: &str,
) -> Result<CreatedApiToken, AppError> {
    caller.require_session()?;
    let name = bounded("name", "Token name", name, 1, 100)?;
    let scopes = ApiScopes::parse("scopes", scopes)?;
    let secret = format!("{TOKEN_PREFIX}{}", random_token());
    let info = state
        .store
        .create_api_token(caller.user.id, &name, &token_hash(&secret), scopes)
        .await?;
    Ok(CreatedApiToken { info, secret })
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<ApiTokenInfo>, AppError> {
    caller.require_session()?;
    Ok(state.store.api_tokens(caller.user.id).await?)
}

/// Deletes the token and closes the sockets it opened.
pub async fn revoke(state: &AppState, caller: &Caller, id: ApiTokenId) -> Result<(), AppError> {
    caller.require_session()?;
    let revoked = state.store.revoke_api_token(caller.user.id, id).await?;
    if revoked {
        state.revocations.announce(Ended::Token(id)).await;
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
