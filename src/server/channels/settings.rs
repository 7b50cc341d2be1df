//! Settings → Channels (owner only): checking a Twilio or Meta connection as typed, sealing its
//! secrets, and the sandbox's switch.
use crate::model::auth::Role;
use crate::model::channel::Channel;
use crate::model::channel_settings::{ChannelView, MetaView, TwilioView};
use crate::model::error::AppError;
use crate::server::auth::Caller;
use crate::server::state::AppState;
use crate::server::store::connections::ConnectionInput;

/// The Twilio form as typed.
pub struct TwilioForm {
    pub channel: String,
    pub account_sid: String,
    pub auth_token: String,
    pub sender: String,
    pub enabled: bool,
}

pub(super) fn owner_only(caller: &Caller) -> Result<(), AppError> {
    caller.require_owner("the channels")
}

pub async fn view(state: &AppState, caller: &Caller) -> Result<Option<Vec<ChannelView>>, AppError> {
    if caller.user.role != Role::Owner {
        return Ok(None);
    }
    all(state, caller).await.map(Some)
}

async fn all(state: &AppState, caller: &Caller) -> Result<Vec<ChannelView>, AppError> {
    let connections = state.store.connections(caller.user.workspace_id).await?;
    Ok(super::PROVIDER_CHANNELS
        .iter()
        .map(|&channel| {
            let mine = || connections.iter().filter(|c| c.channel == channel.as_str());
            let twilio = mine().find(|c| c.provider == "twilio");
            let meta = mine().find(|c| c.provider == "meta");
            // No sandbox row yet: it will be made, switched on, by the first send.
            let sandbox_on = mine()
                .find(|c| c.provider == "sandbox")
                .is_none_or(|s| s.enabled);
            let route = match super::route_among(&connections, channel) {
                super::Route::Via(c) => Some(c.provider.clone()),
                super::Route::SandboxToCome => Some("sandbox".to_string()),
                super::Route::NotConnected => None,
            };
            ChannelView {
                channel: channel.as_str().to_string(),
                label: channel.label().to_string(),
                twilio_supported: channel != Channel::Instagram,
                twilio: twilio.map(|t| TwilioView {
                    account_sid: t.account_id.clone(),
                    sender: t.sender.clone(),
                    enabled: t.enabled,
                    webhook_url: super::webhook_url(state, t),
                    last_inbound_at: t.last_inbound_at,
                    last_error: t.last_error.clone(),
                    last_error_at: t.last_error_at,
                }),
                meta_supported: channel != Channel::Sms,
                meta: meta.map(|m| MetaView {
                    account_id: m.account_id.clone(),
                    enabled: m.enabled,
                    webhook_url: super::webhook_url(state, m),
                    verify_token: m.verify_token.clone().unwrap_or_default(),
                    last_inbound_at: m.last_inbound_at,
                    last_error: m.last_error.clone(),
                    last_error_at: m.last_error_at,
                }),
                sandbox_on,
                route,
            }
        })
        .collect())
}

fn provider_channel(raw: &str) -> Result<Channel, AppError> {
    Channel::parse(raw)
        .filter(|c| super::is_provider_channel(*c))
        .ok_or_else(|| AppError::validation("channel", "Choose SMS, WhatsApp or Instagram."))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn save_twilio(
    state: &AppState,
    caller: &Caller,
    form: TwilioForm,
) -> Result<Vec<ChannelView>, AppError> {
    owner_only(caller)?;
    let channel = provider_channel(&form.channel)?;
    if channel == Channel::Instagram {
        return Err(AppError::validation(
            "channel",
            "Twilio does not carry Instagram messages.",
        ));
    }
    let sid = form.account_sid.trim();
    if !(sid.starts_with("AC") && is_hex(&sid[2..], 32)) {
        return Err(AppError::validation(
            "account_sid",
            "An Account SID is AC followed by 32 hexadecimal digits (Twilio Console → Account info).",
        ));
    }
    let token = form.auth_token.trim();
    if !token.is_empty() && !is_hex(token, 32) {
        return Err(AppError::validation(
            "auth_token",
            "An Auth Token is 32 hexadecimal digits.",
        ));
    }
    let sender = sender(channel, &form.sender)?;
    let sealed = (!token.is_empty()).then(|| state.secrets.seal(token));
    let saved = state
        .store
        .save_connection(
            caller.user.workspace_id,
            &ConnectionInput {
                channel,
                provider: "twilio",
                account_id: sid,
                sender: &sender,
                secret_sealed: sealed.as_deref(),
                app_secret_sealed: None,
                verify_token: None,
                enabled: form.enabled,
            },
            &crate::server::crypto::random_hex(16),
        )
        .await?;
    if saved.is_none() {
        return Err(AppError::validation("auth_token", "Enter the Auth Token."));
    }
    state.delivery_wake.notify_one();
    all(state, caller).await
}

/// The Meta form as typed.
pub struct MetaForm {
    pub channel: String,
    /// WhatsApp: the phone number id; Instagram: the Instagram account id.
    pub account_id: String,
    pub access_token: String,
    pub app_secret: String,
    pub enabled: bool,
}

pub async fn save_meta(
    state: &AppState,
    caller: &Caller,
    form: MetaForm,
) -> Result<Vec<ChannelView>, AppError> {
    owner_only(caller)?;
    let channel = provider_channel(&form.channel)?;
    if channel == Channel::Sms {
        return Err(AppError::validation(
            "channel",
            "Meta carries WhatsApp and Instagram, not SMS.",
        ));
    }
    let account = form.account_id.trim();
    if !(5..=25).contains(&account.len()) || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(
            "account_id",
            if channel == Channel::Whatsapp {
                "The phone number ID is a number (Meta App Dashboard → WhatsApp → API Setup)."
            } else {
                "The Instagram account ID is a number (Meta App Dashboard → Instagram → API setup)."
            },
        ));
    }
    let token = form.access_token.trim();
    if token.len() > 2048 || token.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(AppError::validation(
            "access_token",
            "An access token is one word of letters and digits, as Meta shows it.",
        ));
    }
    let app_secret = form.app_secret.trim();
    if !app_secret.is_empty() && !is_hex(app_secret, 32) {
        return Err(AppError::validation(
            "app_secret",
            "An app secret is 32 hexadecimal digits (App Dashboard → App settings → Basic).",
        ));
    }
    // Blank secrets keep the stored ones, which belong to the account they were saved for.
    let stored = state
        .store
        .connections(caller.user.workspace_id)
        .await?
        .into_iter()
        .find(|c| c.provider == "meta" && c.channel == channel.as_str() && c.account_id == account);
    if token.is_empty() && stored.is_none() {
        return Err(AppError::validation(
            "access_token",
            "Enter the access token.",
        ));
    }
    if app_secret.is_empty()
        && stored
            .as_ref()
            .is_none_or(|c| c.app_secret_sealed.is_none())
    {
        return Err(AppError::validation("app_secret", "Enter the app secret."));
    }
    let sealed_token = (!token.is_empty()).then(|| state.secrets.seal(token));
    let sealed_secret = (!app_secret.is_empty()).then(|| state.secrets.seal(app_secret));
    let verify_token = crate::server::crypto::random_hex(16);
    state
        .store
        .save_connection(
            caller.user.workspace_id,
            &ConnectionInput {
                channel,
                provider: "meta",
                account_id: account,
                sender: "",
                secret_sealed: sealed_token.as_deref(),
                app_secret_sealed: sealed_secret.as_deref(),
                verify_token: Some(&verify_token),
                enabled: form.enabled,
            },
            &crate::server::crypto::random_hex(16),
        )
        .await?
        .ok_or_else(|| AppError::validation("access_token", "Enter the access token."))?;
    state.delivery_wake.notify_one();
    all(state, caller).await
}

/// `+15550100200` or a Messaging Service SID; WhatsApp senders get Twilio's `whatsapp:` prefix.
fn sender(channel: Channel, raw: &str) -> Result<String, AppError> {
    let raw = raw.trim();
    if raw.starts_with("MG") && is_hex(&raw[2..], 32) {
        return Ok(raw.to_string());
    }
    let number = crate::server::store::channels::normalise_phone(
        raw.strip_prefix("whatsapp:").unwrap_or(raw),
    );
    let digits = number.strip_prefix('+').unwrap_or("");
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(
            "sender",
            "Enter the sender as +15550100200 (with the country code) or a Messaging Service SID (MG…).",
        ));
    }
    Ok(match channel {
        Channel::Whatsapp => format!("whatsapp:{number}"),
        _ => number,
    })
}

pub async fn set_sandbox(
    state: &AppState,
    caller: &Caller,
    channel: &str,
    on: bool,
) -> Result<Vec<ChannelView>, AppError> {
    owner_only(caller)?;
    let channel = provider_channel(channel)?;
    let sandbox = super::sandbox::connection(state, caller.user.workspace_id, channel).await?;
    state
        .store
        .enable_connection(caller.user.workspace_id, sandbox.id, on)
        .await?;
    all(state, caller).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_are_numbers_with_a_country_code_or_a_service() {
        assert_eq!(
            sender(Channel::Sms, "+1 (555) 010-0200").unwrap(),
            "+15550100200"
        );
        assert_eq!(
            sender(Channel::Whatsapp, "+15550100200").unwrap(),
            "whatsapp:+15550100200"
        );
        assert_eq!(
            sender(Channel::Whatsapp, "whatsapp:+15550100200").unwrap(),
            "whatsapp:+15550100200"
        );
        let service = format!("MG{}", "a".repeat(32));
        assert_eq!(sender(Channel::Sms, &service).unwrap(), service);
        assert!(sender(Channel::Sms, "5550100").is_err());
        assert!(sender(Channel::Sms, "+1555abc0100").is_err());
    }
}
