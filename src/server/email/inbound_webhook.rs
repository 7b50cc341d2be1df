//! `POST /webhooks/email/{key}`: a raw RFC 5322 message from the team's own MTA or a provider's
//! inbound hook, signed with the workspace's secret:
//! `X-Leadwire-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
//! Answers 201 with the stored message (and how it found its lead), 200 for a Message-ID taken
//! before or for a bounce (the email it names, now `failed`, or null if this workspace sent no
//! such email), 401 for a missing or wrong signature, 404 for an unknown key, 413 above
//! `inbound_email_max_bytes`, 422 for what is not an email with a sender. Nothing is stored
//! unless the answer is 201.
use super::inbound::parse;
use crate::model::error::AppError;
use crate::model::ids::WorkspaceId;
use crate::server::state::AppState;
use crate::server::store::inbound_emails::Received;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-leadwire-signature";

pub fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/email/{key}", post(receive))
}

/// The owner-facing address and secret of the workspace's endpoint.
pub async fn endpoint(
    state: &AppState,
    workspace: WorkspaceId,
) -> Result<(String, String), AppError> {
    let (key, secret) = state.store.inbound_email_key(workspace).await?;
    Ok((
        format!("{}/webhooks/email/{key}", state.settings.public_url),
        secret,
    ))
}

async fn receive(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match take(&state, &key, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn take(
    state: &AppState,
    key: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let (workspace, secret) = state
        .store
        .inbound_key_owner(key)
        .await?
        .ok_or(AppError::NotFound)?;
    let limit = state.settings.mail.inbound_max_bytes;
    let raw = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge {
            message: format!("The message is larger than {limit} bytes (inbound_email_max_bytes)."),
        })?;
    if !signature_matches(&secret, &raw, headers) {
        return Err(AppError::Unauthorized);
    }
    let email = parse(&raw).map_err(|why| AppError::validation("message", why.to_string()))?;
    if let Some(bounce) = &email.bounce {
        let failed = state
            .store
            .email_bounced(workspace, &bounce.original, &bounce.reason)
            .await?;
        return Ok((
            StatusCode::OK,
            Json(json!({"bounce": true, "message": failed})),
        )
            .into_response());
    }
    let received = state.store.receive_email(workspace, &email).await?;
    Ok(match received {
        Received::Stored {
            message,
            matched_by,
        } => (
            StatusCode::CREATED,
            Json(json!({
                "message": message,
                "lead_id": message.lead_id,
                "matched_by": matched_by.as_str(),
            })),
        )
            .into_response(),
        Received::Duplicate { message_id } => (
            StatusCode::OK,
            Json(json!({"duplicate": true, "message_id": message_id})),
        )
            .into_response(),
    })
}

/// Checks `sha256=<hex>` against the HMAC of the body, in constant time.
fn signature_matches(secret: &str, body: &[u8], headers: &HeaderMap) -> bool {
    let Some(given) = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("sha256="))
        .and_then(crate::server::crypto::from_hex)
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The header value a sender puts on `body` (what the README's Postfix script computes; tests
/// sign with it).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!(
        "sha256={}",
        crate::server::crypto::hex(&mac.finalize().into_bytes())
    )
}
