//! Settings → Channels (owner only): each provider channel's Twilio or Meta connection and
//! sandbox switch. Tokens and app secrets are write-only: sealed on the server and never sent
//! back.
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
    /// Whether Meta can carry this channel (WhatsApp Cloud API, Instagram).
    pub meta_supported: bool,
    pub meta: Option<MetaView>,
    /// The sandbox stands in while there is no enabled connection.
    pub sandbox_on: bool,
    /// Where a new message on this channel goes now: `twilio`, `meta`, `sandbox` or None.
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

/// A saved Meta connection (everything but the access token and the app secret).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetaView {
    pub account_id: String,
    pub enabled: bool,
    /// To paste into the Meta App Dashboard as the webhook's callback URL.
    pub webhook_url: String,
    /// To paste beside it: Meta echoes it when it verifies the callback.
    pub verify_token: String,
    pub last_inbound_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<chrono::DateTime<chrono::Utc>>,
}

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
