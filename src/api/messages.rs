//! The conversation thread for the UI: open it, page back, send.
use crate::model::error::AppError;
use crate::model::ids::{LeadId, MessageId};
use crate::model::message::{Message, MessageInput, MessagePage, ThreadData};
use leptos::prelude::*;

/// The newest page of a lead's thread, the viewer's draft and the autosave delay.
#[server(prefix = "/rpc", endpoint = "get_thread")]
pub async fn get_thread(lead_id: LeadId) -> Result<ThreadData, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::messages::thread(&state, &caller, lead_id).await
}

/// The page of messages before message `before`.
#[server(prefix = "/rpc", endpoint = "older_messages")]
pub async fn older_messages(lead_id: LeadId, before: MessageId) -> Result<MessagePage, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::messages::page(&state, &caller, lead_id, Some(before), None).await
}

/// Sends (records) a message; a retry with the same `client_id` returns the original.
#[server(prefix = "/rpc", endpoint = "send_message")]
pub async fn send_message(lead_id: LeadId, input: MessageInput) -> Result<Message, AppError> {
    let (state, caller) = super::caller().await?;
    let (message, _) = crate::server::messages::record(&state, &caller, lead_id, &input).await?;
    Ok(message)
}

/// Puts a failed email back in the delivery queue.
#[server(prefix = "/rpc", endpoint = "retry_message")]
pub async fn retry_message(lead_id: LeadId, message_id: MessageId) -> Result<Message, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::messages::retry(&state, &caller, lead_id, message_id).await
}

/// The caller has seen the lead's thread up to and including message `through`.
#[server(prefix = "/rpc", endpoint = "mark_read")]
pub async fn mark_read(lead_id: LeadId, through: MessageId) -> Result<i64, AppError> {
    use crate::server::store::reads::ReadMark;
    let (state, caller) = super::caller().await?;
    crate::server::messages::mark_read(&state, &caller, lead_id, ReadMark::Through(through)).await
}

/// The lead's newest inbound message becomes unread again for the caller.
#[server(prefix = "/rpc", endpoint = "mark_unread")]
pub async fn mark_unread(lead_id: LeadId) -> Result<i64, AppError> {
    use crate::server::store::reads::ReadMark;
    let (state, caller) = super::caller().await?;
    crate::server::messages::mark_read(&state, &caller, lead_id, ReadMark::LastUnread).await
}
