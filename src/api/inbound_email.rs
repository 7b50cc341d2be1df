//! The workspace's inbound email endpoint, for settings (owner only: the secret signs mail in).
use crate::model::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundEndpoint {
    /// `POST` raw RFC 5322 messages here.
    pub url: String,
    /// The HMAC-SHA256 key of the `X-Leadwire-Signature: sha256=<hex>` header.
    pub secret: String,
}

/// None for teammates who are not the owner.
#[server(prefix = "/rpc", endpoint = "get_inbound_email")]
pub async fn get_inbound_email() -> Result<Option<InboundEndpoint>, AppError> {
    let (state, caller) = super::caller().await?;
    if caller.user.role != crate::model::auth::Role::Owner {
        return Ok(None);
    }
    let (url, secret) =
        crate::server::email::inbound_webhook::endpoint(&state, caller.user.workspace_id).await?;
    Ok(Some(InboundEndpoint { url, secret }))
}
