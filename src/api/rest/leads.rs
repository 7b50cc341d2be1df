//! `GET|POST /api/leads` and `GET|PATCH|DELETE /api/leads/{id}`.
use super::body::{member_as_text, JsonBody};
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use crate::model::lead::Lead;
use crate::model::lead_input::LeadInput;
use crate::server::auth::Caller;
use crate::server::leads;
use crate::server::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/leads", get(list).post(create))
        .route("/leads/{id}", get(show).patch(update).delete(remove))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    stage: String,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let Query(query) = query.map_err(|e| AppError::BadRequest {
        message: e.body_text(),
    })?;
    let leads = leads::list(&state, &caller, &query.q, &query.stage).await?;
    Ok(Json(serde_json::json!({ "leads": leads })))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<(StatusCode, Json<Lead>), AppError> {
    let mut input = LeadInput::default();
    // An integration that names no owner assigns the lead to whoever holds the token.
    if !body.contains_key("owner_id") {
        input.owner_id = caller.user.id.to_string();
    }
    overlay(&mut input, &body)?;
    let lead = leads::create(&state, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(lead)))
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Lead>, AppError> {
    let id = LeadId::parse(&id).ok_or(AppError::NotFound)?;
    Ok(Json(leads::get(&state, &caller, id).await?))
}

/// Partial update: members present in the body change, absent ones keep their value. With
/// `version`, a lead changed since that version is refused with 409 and the current lead.
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Json<Lead>, AppError> {
    let id = LeadId::parse(&id).ok_or(AppError::NotFound)?;
    let lead = leads::patch(&state, &caller, id, |input| overlay(input, &body)).await?;
    Ok(Json(lead))
}

/// Deletes the lead and everything recorded about it (owners only): 204, or 404.
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = LeadId::parse(&id).ok_or(AppError::NotFound)?;
    leads::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn overlay(input: &mut LeadInput, body: &Map<String, Value>) -> Result<(), AppError> {
    for (key, value) in body {
        let text = member_as_text(key, value)?;
        if !input.set(key, text) {
            return Err(AppError::validation(
                key,
                format!("`{key}` is not a lead field."),
            ));
        }
    }
    Ok(())
}
