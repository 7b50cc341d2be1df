//! SMS, WhatsApp and Instagram: where a message on those channels goes (the workspace's provider
//! connection, else the built-in sandbox, else nowhere: "not connected"), the delivery worker,
//! the providers' webhooks, and the sandbox that stands in for a provider.
pub mod inbound_text;
pub mod media;
pub mod meta;
pub mod meta_templates;
pub mod meta_webhook;
pub mod sandbox;
pub mod send_error;
pub mod send_test;
pub mod settings;
pub mod templates;
pub mod twilio;
pub mod webhook;
pub mod worker;

use super::state::AppState;
use super::store::channels::normalise_phone;
use super::store::connections::Connection;
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::model::ids::WorkspaceId;
use crate::model::lead::Lead;

/// The channels a provider (or the sandbox) delivers; email and website chat have their own.
pub const PROVIDER_CHANNELS: [Channel; 3] = [Channel::Sms, Channel::Whatsapp, Channel::Instagram];

pub fn is_provider_channel(channel: Channel) -> bool {
    PROVIDER_CHANNELS.contains(&channel)
}

/// The connection a new message on `channel` leaves through: the workspace's enabled provider
/// connection, else its sandbox (made on first use, on unless the owner switched it off), else
/// None: the channel is not connected.
pub async fn route(
    state: &AppState,
    workspace: WorkspaceId,
    channel: Channel,
) -> Result<Option<Connection>, AppError> {
    let connections = state.store.connections(workspace).await?;
    match route_among(&connections, channel) {
        Route::Via(connection) => Ok(Some(connection.clone())),
        Route::SandboxToCome => sandbox::connection(state, workspace, channel)
            .await
            .map(Some),
        Route::NotConnected => Ok(None),
    }
}

/// Where a message on a channel goes, read from the workspace's connections.
pub enum Route<'a> {
    /// An enabled provider connection, else the enabled sandbox.
    Via(&'a Connection),
    /// No sandbox yet: the first send makes it, switched on.
    SandboxToCome,
    /// Neither a provider nor the sandbox.
    NotConnected,
}

/// The one rule for it: a provider connection that is on wins; else the sandbox, unless the
/// owner switched it off.
pub fn route_among(connections: &[Connection], channel: Channel) -> Route<'_> {
    let mine = || connections.iter().filter(|c| c.channel == channel.as_str());
    if let Some(real) = mine().find(|c| c.provider != "sandbox" && c.enabled) {
        return Route::Via(real);
    }
    match mine().find(|c| c.provider == "sandbox") {
        Some(sandbox) if sandbox.enabled => Route::Via(sandbox),
        Some(_) => Route::NotConnected,
        None => Route::SandboxToCome,
    }
}

/// The refusal of a send on a channel that is not connected.
pub fn not_connected(channel: Channel) -> AppError {
    AppError::validation(
        "channel",
        format!(
            "{} isn't connected — connect it in Settings → Channels.",
            channel.label()
        ),
    )
}

/// The provider channels a message cannot leave on now: neither an enabled connection nor
/// the sandbox (a workspace that never used a channel has its sandbox to come, on).
pub async fn unconnected(
    state: &AppState,
    workspace: WorkspaceId,
) -> Result<Vec<Channel>, AppError> {
    let connections = state.store.connections(workspace).await?;
    Ok(PROVIDER_CHANNELS
        .into_iter()
        .filter(|c| matches!(route_among(&connections, *c), Route::NotConnected))
        .collect())
}

/// The lead's address on `channel` as the provider wants it: `+15550100200` for SMS,
/// `whatsapp:+15550100200` for WhatsApp, the handle for Instagram.
pub fn address(channel: Channel, lead: &Lead) -> Option<String> {
    let phone = |p: &Option<String>| p.as_deref().map(normalise_phone).filter(|p| !p.is_empty());
    match channel {
        Channel::Sms => phone(&lead.phone),
        Channel::Whatsapp => phone(&lead.whatsapp).map(|p| format!("whatsapp:{p}")),
        Channel::Instagram => lead
            .instagram
            .as_deref()
            .map(|h| h.trim().trim_start_matches('@').to_string())
            .filter(|h| !h.is_empty()),
        Channel::Email | Channel::Chat => None,
    }
}

/// The URL a connection's provider posts to (messages and status reports). The sandbox speaks
/// Twilio's format.
pub fn webhook_url(state: &AppState, connection: &Connection) -> String {
    let path = if connection.provider == "meta" {
        "meta"
    } else {
        "twilio"
    };
    format!(
        "{}/webhooks/{path}/{}",
        state.settings.public_url, connection.webhook_key
    )
}
