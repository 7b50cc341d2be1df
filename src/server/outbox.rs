//! The built-in outbox: listing mail the workspace "sent" without a relay, and serving each
//! HTML part as the recipient's mail client would show it.
use super::auth::Caller;
use super::http_error::internal;
use super::state::AppState;
use crate::model::error::AppError;
use crate::model::ids::MessageId;
use crate::model::outbox::{display_headers, OutboxEntry, OutboxMail};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// How many outbox mails the list shows.
const LIST_LIMIT: i64 = 200;

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<OutboxEntry>, AppError> {
    let rows = state
        .store
        .outbox(caller.user.workspace_id, LIST_LIMIT)
        .await
        .map_err(internal("reading outbox"))?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxEntry {
            message_id: r.message_id,
            lead_id: r.lead_id,
            lead_name: r.lead_name,
            to: r.to_address,
            subject: r.subject,
            sent_at: r.sent_at,
            opened_at: r.opened_at,
        })
        .collect())
}

pub async fn get(state: &AppState, caller: &Caller, id: MessageId) -> Result<OutboxMail, AppError> {
    let mail = state
        .store
        .outbox_mail(caller.user.workspace_id, id)
        .await
        .map_err(internal("reading outbox mail"))?
        .ok_or(AppError::NotFound)?;
    Ok(OutboxMail {
        message_id: mail.message_id,
        lead_id: mail.lead_id,
        lead_name: mail.lead_name,
        subject: mail.subject,
        sent_at: mail.sent_at,
        headers: display_headers(&mail.raw_message),
        raw: mail.raw_message,
    })
}

/// `GET /outbox/{id}/html`: the HTML part, for the viewer's sandboxed iframe. The content
/// security policy allows images and inline styles only: no scripts, no forms, no frames.
pub async fn html(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = MessageId::parse(&id).ok_or(AppError::NotFound)?;
    let mail = state
        .store
        .outbox_mail(caller.user.workspace_id, id)
        .await
        .map_err(internal("reading outbox mail"))?
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
                ),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        mail.html_body,
    )
        .into_response())
}
