//! Settings → Channels (owner only): each provider channel's Twilio or Meta connection and
//! sandbox switch. Tokens and app secrets are write-only: sealed on the server and never sent
//! back.
use crate::model::channel_settings::ChannelView;
use crate::model::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a test message came to: sent (with the provider's id in `detail`) or the provider's
/// refusal in its own words.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub sent: bool,
    pub detail: String,
}

/// Sends one test message through the channel's `provider` connection to `to` (not stored in
/// any thread).
#[server(prefix = "/rpc", endpoint = "send_test")]
pub async fn send_test(
    channel: String,
    provider: String,
    to: String,
) -> Result<TestOutcome, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::send_test::send_test(&state, &caller, &channel, &provider, &to).await
}

/// None for teammates who are not the owner.
#[server(prefix = "/rpc", endpoint = "get_channels")]
pub async fn get_channels() -> Result<Option<Vec<ChannelView>>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::settings::view(&state, &caller).await
}

/// Saves the channel's Twilio connection. An empty `auth_token` keeps the stored one.
#[server(prefix = "/rpc", endpoint = "save_twilio")]
pub async fn save_twilio(
    channel: String,
    account_sid: String,
    auth_token: String,
    sender: String,
    enabled: Option<String>,
) -> Result<Vec<ChannelView>, AppError> {
    let (state, caller) = super::caller().await?;
    let form = crate::server::channels::settings::TwilioForm {
        channel,
        account_sid,
        auth_token,
        sender,
        enabled: enabled.is_some(),
    };
    crate::server::channels::settings::save_twilio(&state, &caller, form).await
}

/// Saves the channel's Meta connection (WhatsApp Cloud API or Instagram). Empty secrets keep
/// the stored ones.
#[server(prefix = "/rpc", endpoint = "save_meta")]
pub async fn save_meta(
    channel: String,
    account_id: String,
    access_token: String,
    app_secret: String,
    enabled: Option<String>,
) -> Result<Vec<ChannelView>, AppError> {
    let (state, caller) = super::caller().await?;
    let form = crate::server::channels::settings::MetaForm {
        channel,
        account_id,
        access_token,
        app_secret,
        enabled: enabled.is_some(),
    };
    crate::server::channels::settings::save_meta(&state, &caller, form).await
}

/// Switches the channel's sandbox on (`on` = "true") or off.
#[server(prefix = "/rpc", endpoint = "set_sandbox")]
pub async fn set_sandbox(channel: String, on: String) -> Result<Vec<ChannelView>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::settings::set_sandbox(&state, &caller, &channel, on == "true").await
}
