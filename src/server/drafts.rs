//! Draft services: private to their user, scoped to a lead of the caller's workspace.
use super::auth::Caller;
use super::state::AppState;
use crate::model::draft::{Draft, DraftInput, DraftSave};
use crate::model::error::AppError;
use crate::model::ids::LeadId;

pub async fn get(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
) -> Result<Option<Draft>, AppError> {
    super::leads::get(state, caller, lead).await?;
    Ok(state
        .store
        .draft(caller.user.workspace_id, caller.user.id, lead)
        .await?)
}

#[tracing::instrument(skip_all, fields(workspace = %caller.user.workspace_id, %lead))]
pub async fn save(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
    input: &DraftInput,
) -> Result<DraftSave, AppError> {
    super::leads::get(state, caller, lead).await?;
    let fields = input.parse()?;
    Ok(state
        .store
        .save_draft(caller.user.workspace_id, caller.user.id, lead, &fields)
        .await?)
}

pub async fn delete(state: &AppState, caller: &Caller, lead: LeadId) -> Result<(), AppError> {
    super::leads::get(state, caller, lead).await?;
    Ok(state
        .store
        .delete_draft(caller.user.workspace_id, caller.user.id, lead)
        .await?)
}
