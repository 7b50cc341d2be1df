//! The built-in outbox for the UI.
use crate::model::error::AppError;
use crate::model::ids::MessageId;
use crate::model::outbox::{OutboxMail, OutboxOverview};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "list_outbox")]
pub async fn list_outbox() -> Result<OutboxOverview, AppError> {
    let (state, caller) = super::caller().await?;
    let sandbox = crate::server::channels::sandbox::held(&state, &caller)
        .await?
        .into_iter()
        .map(|h| crate::model::outbox::SandboxEntry {
            message: h.message,
            lead_name: h.lead_name,
            to: h.to,
        })
        .collect();
    Ok(OutboxOverview {
        relay: state.settings.mail.relay.as_ref().map(|r| r.host.clone()),
        entries: crate::server::outbox::list(&state, &caller).await?,
        sandbox,
        team_mail: crate::server::outbox::team_mail(&state, &caller).await?,
    })
}

/// The sandbox's "Reply as the lead": the lead answers a message from their phone, through the
/// provider's signed webhook (see `server::channels::sandbox`).
#[server(prefix = "/rpc", endpoint = "sandbox_reply")]
pub async fn sandbox_reply(id: MessageId, body: String) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::sandbox::reply(&state, &caller, id, &body).await
}

/// The sandbox reports a message `delivered` or `read`, as the provider's status callback.
#[server(prefix = "/rpc", endpoint = "sandbox_report")]
pub async fn sandbox_report(id: MessageId, status: String) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::sandbox::report(&state, &caller, id, &status).await
}

#[server(prefix = "/rpc", endpoint = "get_outbox_mail")]
pub async fn get_outbox_mail(id: MessageId) -> Result<OutboxMail, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::outbox::get(&state, &caller, id).await
}

/// The outbox mail a URL names: a malformed id is not found, like an unknown one.
pub async fn outbox_mail_at(param: String) -> Result<OutboxMail, AppError> {
    match MessageId::parse(&param) {
        Some(id) => get_outbox_mail(id).await,
        None => Err(AppError::NotFound),
    }
}

/// The outbox's "Reply as the lead" (see `server::outbox::reply_as_lead`).
#[server(prefix = "/rpc", endpoint = "reply_as_lead")]
pub async fn reply_as_lead(
    id: MessageId,
    body: String,
) -> Result<crate::model::message::Message, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::outbox::reply_as_lead(&state, &caller, id, &body).await
}
