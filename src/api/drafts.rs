//! Draft saves for the UI's `use_draft` hook.
use crate::model::draft::{DraftInput, DraftSave};
use crate::model::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "save_draft")]
pub async fn save_draft(lead_id: String, input: DraftInput) -> Result<DraftSave, AppError> {
    use crate::model::ids::LeadId;
    let (state, caller) = super::caller().await?;
    let lead = LeadId::parse(&lead_id).ok_or(AppError::NotFound)?;
    crate::server::drafts::save(&state, &caller, lead, &input).await
}
