//! The workspace as a whole: its currency, and deleting it with everything in it (owners).
use super::auth::Caller;
use super::revocations::Ended;
use super::state::AppState;
use crate::model::error::AppError;
use crate::model::money::parse_currency;

/// Sets the currency every amount of the workspace is shown in (owners only). Amounts are
/// kept as they are: this changes how they read, not what they are.
pub async fn set_currency(state: &AppState, caller: &Caller, raw: &str) -> Result<(), AppError> {
    caller.require_session()?;
    caller.require_owner("the currency")?;
    let currency = parse_currency("currency", raw)?;
    Ok(state
        .store
        .set_currency(caller.user.workspace_id, currency)
        .await?)
}

/// Deletes the caller's workspace when `confirm` is its name (typed, so a stray click cannot).
/// Owners only, and only from a signed-in session (not with an API token). Every open socket of
/// the workspace closes as signed out; its mailbox watcher stops.
pub async fn delete(state: &AppState, caller: &Caller, confirm: &str) -> Result<(), AppError> {
    caller.require_session()?;
    caller.require_owner_to("delete the workspace")?;
    let name = &caller.user.workspace_name;
    if confirm.trim() != name.trim() {
        return Err(AppError::validation(
            "confirm",
            format!("Type the workspace's name, {name}, to confirm."),
        ));
    }
    let workspace = caller.user.workspace_id;
    let deleted = state.store.delete_workspace(workspace).await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    state
        .revocations
        .announce(Ended::Workspace(workspace))
        .await;
    super::email::imap::restart(state, workspace);
    Ok(())
}
