//! `GET|POST /api/messages/{lead_id}`.
use super::body::JsonBody;
use crate::model::error::AppError;
use crate::model::ids::{LeadId, MessageId};
use crate::model::message::{Message, MessageInput, MessagePage};
use crate::server::auth::Caller;
use crate::server::messages;
use crate::server::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messages/{lead_id}", get(list).post(create))
        .route("/messages/{lead_id}/{message_id}/retry", post(retry))
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<i64>,
    before: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(lead_id): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<MessagePage>, AppError> {
    let lead = LeadId::parse(&lead_id).ok_or(AppError::NotFound)?;
    let Query(query) = query.map_err(|e| AppError::BadRequest {
        message: e.body_text(),
    })?;
    let before = match query.before.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            MessageId::parse(raw)
                .ok_or_else(|| AppError::validation("before", "before must be a message id."))?,
        ),
    };
    if query.limit.is_some_and(|l| l < 1) {
        return Err(AppError::validation("limit", "limit must be at least 1."));
    }
    Ok(Json(
        messages::page(&state, &caller, lead, before, query.limit).await?,
    ))
}

/// 201 with the message — also for a retry with the same `client_id`, which answers with the
/// same message as it stands now (its status may have moved on), so a client can retry blindly.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(lead_id): Path<String>,
    JsonBody(input): JsonBody<MessageInput>,
) -> Result<(StatusCode, Json<Message>), AppError> {
    let lead = LeadId::parse(&lead_id).ok_or(AppError::NotFound)?;
    let (message, _) = messages::record(&state, &caller, lead, &input).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// `POST /api/messages/{lead_id}/{message_id}/retry`: a failed message goes back in its queue
/// (an SMS, WhatsApp or Instagram message through the channel's connection as it is now).
async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path((lead_id, message_id)): Path<(String, String)>,
) -> Result<Json<Message>, AppError> {
    let lead = LeadId::parse(&lead_id).ok_or(AppError::NotFound)?;
    let message = MessageId::parse(&message_id).ok_or(AppError::NotFound)?;
    Ok(Json(messages::retry(&state, &caller, lead, message).await?))
}
