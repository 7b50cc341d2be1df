//! Personal API tokens for the settings page.
use crate::model::auth::{ApiTokenInfo, CreatedApiToken};
use crate::model::error::AppError;
use crate::model::ids::ApiTokenId;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::api_tokens::list(&state, &caller).await
}

#[server(prefix = "/rpc", endpoint = "create_api_token")]
pub async fn create_api_token(name: String, scopes: String) -> Result<CreatedApiToken, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::api_tokens::create(&state, &caller, &name, &scopes).await
}

#[server(prefix = "/rpc", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: ApiTokenId) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::api_tokens::revoke(&state, &caller, id).await
}
