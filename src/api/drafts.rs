//! Draft saves for the UI's `use_draft` hook.
use crate::model::draft::{DraftInput, DraftSave};
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "save_draft")]
pub async fn save_draft(lead_id: LeadId, input: DraftInput) -> Result<DraftSave, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::drafts::save(&state, &caller, lead_id, &input).await
}
