//! Settings → Channels (owner only): each provider channel's Twilio connection and sandbox
//! switch. Auth tokens are write-only: sealed on the server and never sent back.
use crate::model::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What Settings shows of one channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelView {
    /// `sms`, `whatsapp` or `instagram`.
    pub channel: String,
    pub label: String,
    /// Whether Twilio can carry this channel (SMS and WhatsApp).
    pub twilio_supported: bool,
    pub twilio: Option<TwilioView>,
    /// The sandbox stands in while there is no enabled connection.
    pub sandbox_on: bool,
    /// Where a new message on this channel goes now: `twilio`, `sandbox` or None (nowhere).
    pub route: Option<String>,
}

/// A saved Twilio connection (everything but the auth token).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TwilioView {
    pub account_sid: String,
    pub sender: String,
    pub enabled: bool,
    /// To paste into Twilio's console as the number's "A message comes in" webhook.
    pub webhook_url: String,
    pub last_inbound_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<chrono::DateTime<chrono::Utc>>,
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

/// Switches the channel's sandbox on (`on` = "true") or off.
#[server(prefix = "/rpc", endpoint = "set_sandbox")]
pub async fn set_sandbox(channel: String, on: String) -> Result<Vec<ChannelView>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::settings::set_sandbox(&state, &caller, &channel, on == "true").await
}
