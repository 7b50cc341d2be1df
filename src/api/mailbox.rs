//! The workspace's watched mailbox (IMAP), for Settings → Email (owner only). The password is
//! write-only: it is sealed on the server and never sent back.
// One argument per form field (the server function macro's generated code carries them all).
#![allow(clippy::too_many_arguments)]
use crate::model::error::AppError;
use crate::model::mailbox::MailboxView;
use leptos::prelude::*;

/// None for teammates who are not the owner.
#[server(prefix = "/rpc", endpoint = "get_mailbox")]
pub async fn get_mailbox() -> Result<Option<MailboxView>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::mailbox::view(&state, &caller).await
}

/// Saves and (re)connects. An empty `password` keeps the stored one.
#[server(prefix = "/rpc", endpoint = "save_mailbox")]
pub async fn save_mailbox(
    host: String,
    port: String,
    security: String,
    username: String,
    password: String,
    folder: String,
    address: String,
    enabled: Option<String>,
) -> Result<MailboxView, AppError> {
    let (state, caller) = super::caller().await?;
    let form = crate::server::mailbox::Form {
        host,
        port,
        security,
        username,
        password,
        folder,
        address,
        enabled: enabled.is_some(),
    };
    crate::server::mailbox::save(&state, &caller, form).await
}

/// Stops watching and forgets the mailbox (its password included).
#[server(prefix = "/rpc", endpoint = "remove_mailbox")]
pub async fn remove_mailbox() -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::mailbox::remove(&state, &caller).await
}
