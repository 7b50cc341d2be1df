//! Dashboard services: KPIs, charts and the activity feed (all scoped to the caller's
//! workspace), lead actions that feed them, and notification preferences.
pub mod live;

use super::auth::Caller;
use super::state::AppState;
use crate::model::activity::{Activity, ActivityPage, MeetingInput};
use crate::model::analytics::Analytics;
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use crate::model::kpi::{DashboardQuery, Kpis};
use crate::model::notification::NotificationPrefs;

pub async fn kpis(
    state: &AppState,
    caller: &Caller,
    query: &DashboardQuery,
) -> Result<Kpis, AppError> {
    Ok(state
        .store
        .kpis(caller.user.workspace_id, query, chrono::Utc::now())
        .await?)
}

pub async fn analytics(
    state: &AppState,
    caller: &Caller,
    query: &DashboardQuery,
) -> Result<Analytics, AppError> {
    Ok(state
        .store
        .analytics(caller.user.workspace_id, query, chrono::Utc::now())
        .await?)
}

/// A page of the feed, newest first, older than entry `before`.
pub async fn activity(
    state: &AppState,
    caller: &Caller,
    before: Option<i64>,
    lead: Option<crate::model::ids::LeadId>,
) -> Result<ActivityPage, AppError> {
    Ok(state
        .store
        .activities(
            caller.user.workspace_id,
            lead,
            before,
            state.settings.activity_page_size,
        )
        .await?)
}

/// "Log meeting booked" on a lead of the caller's workspace.
pub async fn book_meeting(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
    input: &MeetingInput,
) -> Result<Activity, AppError> {
    // Existence first: another workspace's lead is 404 even when the time is also invalid.
    super::leads::get(state, caller, lead).await?;
    let at = input.parse(chrono::Utc::now())?;
    state
        .store
        .book_meeting(caller.user.workspace_id, caller.user.id, lead, at)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn prefs(state: &AppState, caller: &Caller) -> Result<NotificationPrefs, AppError> {
    Ok(state.store.notification_prefs(caller.user.id).await?)
}

pub async fn save_prefs(
    state: &AppState,
    caller: &Caller,
    prefs: &NotificationPrefs,
) -> Result<NotificationPrefs, AppError> {
    state
        .store
        .save_notification_prefs(caller.user.workspace_id, caller.user.id, prefs)
        .await?;
    Ok(*prefs)
}
