//! The sandbox: stands in for SMS, WhatsApp and Instagram providers where the workspace has no
//! connection, as the outbox stands in for an SMTP relay. Messages "delivered" to it are listed
//! on `/outbox` (labelled as never having reached the lead). What the sandbox sends back — a
//! reply typed as the lead, a delivered or read report — is signed with the sandbox's own
//! secret in Twilio's format and taken through the very webhook path a provider's call takes
//! (`webhook::take`, signature check included), so trying the sandbox exercises the real code.
use super::webhook;
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::model::ids::{MessageId, WorkspaceId};
use crate::model::message::Message;
use crate::server::auth::Caller;
use crate::server::crypto::random_hex;
use crate::server::state::AppState;
use crate::server::store::connections::{Connection, ConnectionInput};
use axum::body::Bytes;

/// The workspace's sandbox for `channel` (made, switched on, on first use).
pub async fn connection(
    state: &AppState,
    workspace: WorkspaceId,
    channel: Channel,
) -> Result<Connection, AppError> {
    let secret = state.secrets.seal(&random_hex(32));
    let account = format!("AC{}", random_hex(16));
    // Twilio's test number: never a real subscriber.
    let sender = match channel {
        Channel::Whatsapp => "whatsapp:+15005550006",
        Channel::Instagram => "leadwire_sandbox",
        _ => "+15005550006",
    };
    Ok(state
        .store
        .ensure_sandbox(
            workspace,
            channel,
            &ConnectionInput {
                channel,
                provider: "sandbox",
                account_id: &account,
                sender,
                secret_sealed: Some(&secret),
                app_secret_sealed: None,
                verify_token: None,
                enabled: true,
            },
            &random_hex(16),
        )
        .await?)
}

/// A message the sandbox holds, as its page shows it.
pub struct Held {
    pub message: Message,
    pub lead_name: String,
    /// The lead's address it would have gone to.
    pub to: String,
}

pub async fn held(state: &AppState, caller: &Caller) -> Result<Vec<Held>, AppError> {
    let rows = state
        .store
        .sandbox_messages(caller.user.workspace_id, 200)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(message, lead_name, to)| Held {
            message,
            lead_name,
            to,
        })
        .collect())
}

/// The lead answers `message` from their phone: the sandbox posts the provider's inbound
/// webhook for it.
pub async fn reply(
    state: &AppState,
    caller: &Caller,
    message: MessageId,
    text: &str,
) -> Result<(), AppError> {
    if text.trim().is_empty() {
        return Err(AppError::validation("body", "Type the lead's reply first."));
    }
    let (_, connection, _, to) = find(state, caller, message).await?;
    let params = vec![
        ("MessageSid".to_string(), format!("SM{}", random_hex(16))),
        ("AccountSid".to_string(), connection.account_id.clone()),
        ("From".to_string(), to),
        ("To".to_string(), connection.sender.clone()),
        ("Body".to_string(), text.to_string()),
        ("NumMedia".to_string(), "0".to_string()),
    ];
    post(state, &connection, None, params).await
}

/// The lead's phone reports `message` delivered or read, or the carrier could not deliver it:
/// the sandbox posts the provider's status callback for it.
pub async fn report(
    state: &AppState,
    caller: &Caller,
    message: MessageId,
    status: &str,
) -> Result<(), AppError> {
    if !matches!(status, "delivered" | "read" | "undelivered") {
        return Err(AppError::validation(
            "status",
            "Report delivered, read or undelivered.",
        ));
    }
    let (held, connection, provider_id, to) = find(state, caller, message).await?;
    let Some(provider_id) = provider_id else {
        return Err(AppError::conflict(
            "The sandbox has not taken this message yet; try again in a moment.",
        ));
    };
    if held.channel == Channel::Sms && status == "read" {
        return Err(AppError::validation("status", "SMS has no read receipts."));
    }
    let mut params = vec![
        ("MessageSid".to_string(), provider_id),
        ("AccountSid".to_string(), connection.account_id.clone()),
        ("From".to_string(), connection.sender.clone()),
        ("To".to_string(), to),
        ("MessageStatus".to_string(), status.to_string()),
    ];
    if status == "undelivered" {
        // As a carrier reports a phone that is switched off or out of reach.
        params.push(("ErrorCode".to_string(), "30003".to_string()));
    }
    post(state, &connection, Some(message), params).await
}

async fn find(
    state: &AppState,
    caller: &Caller,
    message: MessageId,
) -> Result<(Message, Connection, Option<String>, String), AppError> {
    state
        .store
        .sandbox_delivery(caller.user.workspace_id, message)
        .await?
        .ok_or(AppError::NotFound)
}

/// Signs `params` as the provider would and hands them to the webhook.
async fn post(
    state: &AppState,
    connection: &Connection,
    ours: Option<MessageId>,
    params: Vec<(String, String)>,
) -> Result<(), AppError> {
    let mut url = super::webhook_url(state, connection);
    if let Some(id) = ours {
        url.push_str(&format!("?message={id}"));
    }
    let secret = state
        .secrets
        .open(&connection.secret_sealed)
        .ok_or(AppError::Internal)?;
    let signature = super::twilio::signature(&secret, &url, &params);
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    webhook::take(
        state,
        &connection.webhook_key,
        &url,
        ours,
        Some(&signature),
        &Bytes::from(body),
    )
    .await
    .map(|_| ())
}
