//! "Send test" in Settings → Channels (owner only): one message through a saved connection to a
//! number or account the owner names, straight to the provider — not queued, not stored in any
//! lead's thread — so a connection can be checked before a lead depends on it. The provider's
//! answer is shown as it came: its message id, or its error (which also becomes the connection's
//! health when it is about the connection).
use super::{meta, twilio};
use crate::api::channels::TestOutcome;
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::server::auth::Caller;
use crate::server::state::AppState;
use std::time::Duration;

pub async fn send_test(
    state: &AppState,
    caller: &Caller,
    channel: &str,
    provider: &str,
    to: &str,
) -> Result<TestOutcome, AppError> {
    super::settings::owner_only(caller)?;
    let channel = Channel::parse(channel)
        .filter(|c| super::is_provider_channel(*c))
        .ok_or_else(|| AppError::validation("channel", "Choose SMS, WhatsApp or Instagram."))?;
    let connection = state
        .store
        .connections(caller.user.workspace_id)
        .await?
        .into_iter()
        .find(|c| c.channel == channel.as_str() && c.provider == provider && provider != "sandbox")
        .ok_or(AppError::NotFound)?;
    let to = match channel {
        Channel::Instagram => {
            let id = to.trim();
            if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::validation(
                    "to",
                    "Enter the Instagram-scoped id of an account that has messaged yours (Meta only delivers to those).",
                ));
            }
            id.to_string()
        }
        _ => crate::model::lead_input::parse_phone("to", to)?
            .filter(|p| p.starts_with('+'))
            .ok_or_else(|| {
                AppError::validation(
                    "to",
                    "Enter a number with its country code, like +1 415 555 0100.",
                )
            })?,
    };
    let token = state
        .secrets
        .open(&connection.secret_sealed)
        .ok_or_else(|| {
            AppError::validation(
                "to",
                "The stored token does not open with this server's key; save it again.",
            )
        })?;
    let http = &state.providers;
    let timeout = Duration::from_millis(state.settings.channels.send_timeout_ms);
    let text = format!(
        "Test message from Leadwire: your {} connection works.",
        channel.label()
    );
    let sent = match provider {
        "twilio" => {
            let to = if channel == Channel::Whatsapp {
                format!("whatsapp:{to}")
            } else {
                to
            };
            twilio::send(
                http,
                &twilio::Account {
                    api_base: &state.settings.channels.twilio_api_base,
                    account_sid: &connection.account_id,
                    auth_token: &token,
                    sender: &connection.sender,
                    timeout,
                },
                &to,
                twilio::Content::Text(&text),
                &[],
                &super::webhook_url(state, &connection),
            )
            .await
        }
        _ => {
            // Outside a conversation WhatsApp takes only a template: `hello_world` is the one
            // Meta gives every WhatsApp Business account.
            let hello = crate::model::template::TemplateUse {
                name: "hello_world".into(),
                language: "en_US".into(),
                params: Vec::new(),
                twilio_content_sid: None,
            };
            meta::send(
                http,
                &meta::Account {
                    graph_base: &state.settings.channels.meta_graph_base,
                    account_id: &connection.account_id,
                    access_token: &token,
                    timeout,
                },
                channel == Channel::Whatsapp,
                &to,
                &text,
                (channel == Channel::Whatsapp).then_some(&hello),
                None,
            )
            .await
        }
    };
    Ok(match sent {
        Ok(id) => {
            tracing::info!(connection = %connection.id, "test message sent");
            TestOutcome {
                sent: true,
                detail: format!(
                    "Sent: {provider_name} took it as {id}.",
                    provider_name = provider_label(provider)
                ),
            }
        }
        Err(e) => {
            if e.of_connection {
                if let Err(err) = state
                    .store
                    .connection_failed(connection.id, &e.reason)
                    .await
                {
                    tracing::warn!(error = %err, "could not record a connection's error");
                }
            }
            TestOutcome {
                sent: false,
                detail: e.reason,
            }
        }
    })
}

fn provider_label(provider: &str) -> &'static str {
    match provider {
        "twilio" => "Twilio",
        _ => "Meta",
    }
}
