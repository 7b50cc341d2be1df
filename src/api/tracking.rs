//! The workspace's email tracking switch, for settings.
use crate::model::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "get_email_tracking")]
pub async fn get_email_tracking() -> Result<bool, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::tracking::enabled(&state, &caller).await
}

/// Only the workspace owner may switch it.
#[server(prefix = "/rpc", endpoint = "set_email_tracking")]
pub async fn set_email_tracking(enabled: bool) -> Result<bool, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::tracking::set_enabled(&state, &caller, enabled).await
}
