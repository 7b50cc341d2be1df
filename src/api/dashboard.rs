//! The dashboard's calls: KPIs, charts, the activity feed, lead actions (stage, meeting) and
//! notification preferences.
use crate::model::activity::{Activity, ActivityPage};
use crate::model::analytics::Analytics;
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use crate::model::kpi::Kpis;
use crate::model::lead::Lead;
use crate::model::notification::NotificationPrefs;
use leptos::prelude::*;

/// `period`: today | 7d | 30d; `channel`: empty for all; `tz`: minutes east of UTC.
#[server(prefix = "/rpc", endpoint = "dashboard_kpis")]
pub async fn get_kpis(period: String, channel: String, tz: String) -> Result<Kpis, AppError> {
    use crate::model::kpi::DashboardQuery;
    let (state, caller) = super::caller().await?;
    let query = DashboardQuery::parse(&period, &channel, &tz)?;
    crate::server::dashboard::kpis(&state, &caller, &query).await
}

#[server(prefix = "/rpc", endpoint = "dashboard_analytics")]
pub async fn get_analytics(
    period: String,
    channel: String,
    tz: String,
) -> Result<Analytics, AppError> {
    use crate::model::kpi::DashboardQuery;
    let (state, caller) = super::caller().await?;
    let query = DashboardQuery::parse(&period, &channel, &tz)?;
    crate::server::dashboard::analytics(&state, &caller, &query).await
}

/// The feed, newest first, of the workspace or (`lead_id`) of one lead; `before` pages back
/// ("load more").
#[server(prefix = "/rpc", endpoint = "activity")]
pub async fn get_activity(
    before: Option<i64>,
    lead_id: Option<String>,
) -> Result<ActivityPage, AppError> {
    let (state, caller) = super::caller().await?;
    let lead = match lead_id.filter(|l| !l.is_empty()) {
        Some(l) => Some(crate::model::ids::LeadId::parse(&l).ok_or(AppError::NotFound)?),
        None => None,
    };
    crate::server::dashboard::activity(&state, &caller, before, lead).await
}

/// Moves a lead to `stage` (won is a conversion).
#[server(prefix = "/rpc", endpoint = "set_lead_stage")]
pub async fn set_lead_stage(id: LeadId, stage: String) -> Result<Lead, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::leads::set_stage(&state, &caller, id, &stage).await
}

/// "Log meeting booked": `at` is RFC 3339.
#[server(prefix = "/rpc", endpoint = "book_meeting")]
pub async fn book_meeting(lead_id: LeadId, at: String) -> Result<Activity, AppError> {
    use crate::model::activity::MeetingInput;
    let (state, caller) = super::caller().await?;
    crate::server::dashboard::book_meeting(&state, &caller, lead_id, &MeetingInput { at }).await
}

#[server(prefix = "/rpc", endpoint = "notification_prefs")]
pub async fn get_notification_prefs() -> Result<NotificationPrefs, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::dashboard::prefs(&state, &caller).await
}

#[server(prefix = "/rpc", endpoint = "save_notification_prefs")]
pub async fn save_notification_prefs(
    prefs: NotificationPrefs,
) -> Result<NotificationPrefs, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::dashboard::save_prefs(&state, &caller, &prefs).await
}
