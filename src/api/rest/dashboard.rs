//! `GET /api/dashboard/kpis|analytics`, `GET /api/activity`, `POST /api/leads/{id}/meetings`,
//! `GET|PUT /api/notification-prefs`.
use super::body::JsonBody;
use crate::model::activity::{Activity, ActivityPage, MeetingInput};
use crate::model::analytics::Analytics;
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use crate::model::kpi::DashboardQuery;
use crate::model::notification::NotificationPrefs;
use crate::server::auth::Caller;
use crate::server::dashboard;
use crate::server::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard/kpis", get(kpis))
        .route("/dashboard/analytics", get(analytics))
        .route("/activity", get(activity))
        .route("/leads/{id}/meetings", post(book_meeting))
        .route("/notification-prefs", get(prefs).put(save_prefs))
}

#[derive(Deserialize)]
struct ViewQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    tz: String,
}

fn view(query: Result<Query<ViewQuery>, QueryRejection>) -> Result<DashboardQuery, AppError> {
    let Query(q) = query.map_err(|e| AppError::BadRequest {
        message: e.body_text(),
    })?;
    DashboardQuery::parse(&q.period, &q.channel, &q.tz)
}

/// The KPI figures and the rates derived from them (`null` where there is nothing to divide).
async fn kpis(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let query = view(query)?;
    let k = dashboard::kpis(&state, &caller, &query).await?;
    Ok(Json(json!({
        "period": query.period,
        "channel": query.channel,
        "rates": {
            "reply_rate": k.reply_rate(),
            "open_rate_human": k.open_rate_human(),
            "open_rate_any": k.open_rate_any(),
            "click_rate": k.click_rate(),
            "conversion_rate": k.conversion_rate(),
        },
        "kpis": k,
    })))
}

async fn analytics(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Json<Analytics>, AppError> {
    let query = view(query)?;
    Ok(Json(dashboard::analytics(&state, &caller, &query).await?))
}

#[derive(Deserialize)]
struct FeedQuery {
    before: Option<i64>,
    /// One lead's entries only.
    lead: Option<String>,
}

async fn activity(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<Json<ActivityPage>, AppError> {
    let Query(q) = query.map_err(|e| AppError::BadRequest {
        message: e.body_text(),
    })?;
    let lead = match q.lead.filter(|l| !l.is_empty()) {
        Some(l) => Some(crate::model::ids::LeadId::parse(&l).ok_or(AppError::NotFound)?),
        None => None,
    };
    Ok(Json(
        dashboard::activity(&state, &caller, q.before, lead).await?,
    ))
}

async fn book_meeting(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<MeetingInput>,
) -> Result<(StatusCode, Json<Activity>), AppError> {
    let lead = LeadId::parse(&id).ok_or(AppError::NotFound)?;
    let entry = dashboard::book_meeting(&state, &caller, lead, &input).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

async fn prefs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<NotificationPrefs>, AppError> {
    Ok(Json(dashboard::prefs(&state, &caller).await?))
}

async fn save_prefs(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(prefs): JsonBody<NotificationPrefs>,
) -> Result<Json<NotificationPrefs>, AppError> {
    Ok(Json(dashboard::save_prefs(&state, &caller, &prefs).await?))
}
