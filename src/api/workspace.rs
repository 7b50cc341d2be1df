//! The workspace as a whole for the UI: its currency, and deleting it (owners).
use crate::model::error::AppError;
use leptos::prelude::*;

/// Sets the workspace's currency (owners; a code from `model::money::CURRENCIES`).
#[server(prefix = "/rpc", endpoint = "set_currency")]
pub async fn set_currency(currency: String) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::workspaces::set_currency(&state, &caller, &currency).await
}

/// Deletes the caller's workspace with everything in it (owners, signed in; `confirm` is the
/// workspace's name), signs this browser out and goes to sign-up.
#[server(prefix = "/rpc", endpoint = "delete_workspace")]
pub async fn delete_workspace(confirm: String) -> Result<(), AppError> {
    use crate::server::auth::cleared_session_cookie;
    let (state, caller) = super::caller().await?;
    crate::server::workspaces::delete(&state, &caller, &confirm).await?;
    super::set_cookie(cleared_session_cookie(&state));
    leptos_axum::redirect("/signup");
    Ok(())
}
