//! Settings → Channels (owner only): checking a Twilio connection as typed, sealing its auth
//! token, and the sandbox's switch.
use crate::api::channels::{ChannelView, TwilioView};
use crate::model::auth::Role;
use crate::model::error::AppError;
use crate::model::message::Channel;
use crate::server::auth::Caller;
use crate::server::http_error::internal;
use crate::server::state::AppState;
use crate::server::store::channels::ConnectionInput;

/// The Twilio form as typed.
pub struct TwilioForm {
    pub channel: String,
    pub account_sid: String,
    pub auth_token: String,
    pub sender: String,
    pub enabled: bool,
}

fn owner_only(caller: &Caller) -> Result<(), AppError> {
    if caller.user.role == Role::Owner {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            message: "Only the workspace owner can change the channels.".into(),
        })
    }
}

pub async fn view(state: &AppState, caller: &Caller) -> Result<Option<Vec<ChannelView>>, AppError> {
    if caller.user.role != Role::Owner {
        return Ok(None);
    }
    all(state, caller).await.map(Some)
}

async fn all(state: &AppState, caller: &Caller) -> Result<Vec<ChannelView>, AppError> {
    let connections = state
        .store
        .connections(caller.user.workspace_id)
        .await
        .map_err(internal("reading channel connections"))?;
    Ok(super::PROVIDER_CHANNELS
        .iter()
        .map(|&channel| {
            let mine = || connections.iter().filter(|c| c.channel == channel.as_str());
            let twilio = mine().find(|c| c.provider == "twilio");
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
                enabled: form.enabled,
            },
            &crate::server::crypto::random_hex(16),
        )
        .await
        .map_err(internal("saving a Twilio connection"))?;
    if saved.is_none() {
        return Err(AppError::validation("auth_token", "Enter the Auth Token."));
    }
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
        .await
        .map_err(internal("switching the sandbox"))?;
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
