//! What Settings shows of each channel's connections: everything but the secrets, which are
//! write-only.
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
