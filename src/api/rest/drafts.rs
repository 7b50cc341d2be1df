//! `GET|POST|DELETE /api/drafts/{lead_id}`: the caller's own draft for a lead.
use super::body::JsonBody;
use crate::model::draft::{DraftInput, DraftSave};
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use crate::server::auth::Caller;
use crate::server::drafts;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new().route("/drafts/{lead_id}", get(show).post(save).delete(remove))
}

fn lead_id(raw: &str) -> Result<LeadId, AppError> {
    LeadId::parse(raw).ok_or(AppError::NotFound)
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let draft = drafts::get(&state, &caller, lead_id(&id)?).await?;
    Ok(Json(json!({ "draft": draft })))
}

/// 200 `{draft}` when saved; 409 with the stored `draft` when `version` was stale.
async fn save(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<DraftInput>,
) -> Result<Response, AppError> {
    Ok(
        match drafts::save(&state, &caller, lead_id(&id)?, &input).await? {
            DraftSave::Saved { draft } => Json(json!({ "draft": draft })).into_response(),
            DraftSave::Stale { current } => (
                StatusCode::CONFLICT,
                Json(json!({
                    "error": "conflict",
                    "message": "The draft changed since this version; nothing was saved.",
                    "draft": current,
                })),
            )
                .into_response(),
        },
    )
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    drafts::delete(&state, &caller, lead_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
