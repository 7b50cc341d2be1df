//! The provider channels' part of the settings: where the providers' APIs are (tests and
//! on-premise proxies point them elsewhere) and how deliveries are retried.
use super::{Raw, SettingsError};

pub(super) const KEYS: &[&str] = &[
    "twilio_api_base",
    "meta_graph_base",
    "channel_max_attempts",
    "channel_retry_base_ms",
    "channel_send_timeout_ms",
];

#[derive(Debug, Clone)]
pub struct ChannelSettings {
    /// Twilio's REST API, without a trailing slash.
    pub twilio_api_base: String,
    /// Meta's Graph API (WhatsApp Cloud and Instagram), without a trailing slash.
    pub meta_graph_base: String,
    /// Delivery attempts on a transient error (timeout, 429, 5xx) before a message is failed.
    pub max_attempts: u32,
    /// The first retry waits this long; each further one twice as long (with jitter).
    pub retry_base_ms: u64,
    /// How long a send waits for the provider's answer before it counts as a transient error.
    pub send_timeout_ms: u64,
}

pub(super) fn parse(raw: &Raw) -> Result<ChannelSettings, SettingsError> {
    let twilio_api_base = raw
        .string("twilio_api_base", "https://api.twilio.com")
        .trim()
        .trim_end_matches('/')
        .to_string();
    if !(twilio_api_base.starts_with("https://") || twilio_api_base.starts_with("http://")) {
        return Err(raw.error("twilio_api_base", "must start with https:// or http://"));
    }
    let meta_graph_base = raw
        .string("meta_graph_base", "https://graph.facebook.com")
        .trim()
        .trim_end_matches('/')
        .to_string();
    if !(meta_graph_base.starts_with("https://") || meta_graph_base.starts_with("http://")) {
        return Err(raw.error("meta_graph_base", "must start with https:// or http://"));
    }
    let max_attempts = match raw.get("channel_max_attempts", 8, "a whole number")? {
        n @ 1..=50 => n,
        _ => return Err(raw.error("channel_max_attempts", "must be between 1 and 50")),
    };
    let retry_base_ms = match raw.get(
        "channel_retry_base_ms",
        30_000,
        "a whole number of milliseconds",
    )? {
        n @ 1..=86_400_000 => n,
        _ => return Err(raw.error("channel_retry_base_ms", "must be between 1 ms and a day")),
    };
    let send_timeout_ms = match raw.get(
        "channel_send_timeout_ms",
        30_000,
        "a whole number of milliseconds",
    )? {
        n @ 100..=300_000 => n,
        _ => {
            return Err(raw.error(
                "channel_send_timeout_ms",
                "must be between 100 ms and 5 minutes",
            ))
        }
    };
    Ok(ChannelSettings {
        twilio_api_base,
        meta_graph_base,
        max_attempts,
        retry_base_ms,
        send_timeout_ms,
    })
}
