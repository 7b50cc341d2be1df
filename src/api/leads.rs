//! Leads and their conversations for the UI.
use crate::model::auth::TeamMember;
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use crate::model::lead::Lead;
use crate::model::lead_input::LeadInput;
use crate::model::message::ConversationSummary;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "list_leads")]
pub async fn list_leads(q: String, stage: String) -> Result<Vec<Lead>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::leads::list(&state, &caller, &q, &stage).await
}

/// The other leads at a lead's company (its sidebar's "Also at …").
#[server(prefix = "/rpc", endpoint = "same_company_leads")]
pub async fn same_company_leads(lead_id: LeadId) -> Result<Vec<Lead>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::leads::same_company(&state, &caller, lead_id).await
}

#[server(prefix = "/rpc", endpoint = "get_lead")]
pub async fn get_lead(id: LeadId) -> Result<Lead, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::leads::get(&state, &caller, id).await
}

/// The lead a URL names: a malformed id is not found, like an unknown one.
pub async fn lead_at(param: String) -> Result<Lead, AppError> {
    match LeadId::parse(&param) {
        Some(id) => get_lead(id).await,
        None => Err(AppError::NotFound),
    }
}

/// Creates the lead and opens its page.
#[server(prefix = "/rpc", endpoint = "create_lead")]
pub async fn create_lead(input: LeadInput) -> Result<Lead, AppError> {
    let (state, caller) = super::caller().await?;
    let lead = crate::server::leads::create(&state, &caller, &input).await?;
    leptos_axum::redirect(&format!("/leads/{}", lead.id));
    Ok(lead)
}

#[server(prefix = "/rpc", endpoint = "update_lead")]
pub async fn update_lead(id: LeadId, input: LeadInput) -> Result<Lead, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::leads::update(&state, &caller, id, &input).await
}

/// Deletes the lead with its conversation (owners only; the page asks first).
#[server(prefix = "/rpc", endpoint = "delete_lead")]
pub async fn delete_lead(id: LeadId) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::leads::delete(&state, &caller, id).await
}

/// The people a lead can be assigned to.
#[server(prefix = "/rpc", endpoint = "lead_owners")]
pub async fn lead_owners() -> Result<(Vec<TeamMember>, crate::model::ids::UserId), AppError> {
    let (state, caller) = super::caller().await?;
    let members = crate::server::team::members(&state, &caller).await?;
    Ok((members, caller.user.id))
}

#[server(prefix = "/rpc", endpoint = "conversations")]
pub async fn conversations() -> Result<Vec<ConversationSummary>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::leads::conversations(&state, &caller, 100).await
}

/// The inbox with filters and search (see `InboxFilter::parse` for the values).
#[server(prefix = "/rpc", endpoint = "inbox")]
pub async fn get_inbox(
    channel: String,
    unread: bool,
    owner: String,
    stage: String,
    q: String,
) -> Result<crate::model::inbox::InboxPage, AppError> {
    use crate::model::inbox::InboxFilter;
    // A page's render knows the workspace's head (read with its session), so its rows may come
    // from the inbox cache; a call from the browser reads them afresh.
    let (state, caller, head) = super::caller_and_head().await?;
    let filter = InboxFilter::parse(&channel, unread, &owner, &stage, &q)?;
    let page = crate::server::leads::inbox(&state, &caller, &filter, 50, head).await?;
    Ok(std::sync::Arc::unwrap_or_clone(page))
}
