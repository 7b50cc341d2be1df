//! `POST /webhooks/twilio/{key}`: what Twilio (or the sandbox, in Twilio's format) posts about a
//! connection — a message a lead sent, or a status report of one we sent (`MessageStatus`).
//! The signature is checked before anything else: missing or wrong is 403 and nothing is
//! stored; an unknown key is 404; a body without `MessageSid` (or a message without `From`) is
//! 400. A
//! message Twilio posts twice (it retries) is stored once and answered 200 both times.
use super::media;
use super::twilio::{self, SIGNATURE_HEADER};
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::model::ids::MessageId;
use crate::server::state::AppState;
use crate::server::store::channels::{Arrived, Incoming};
use crate::server::store::connections::Connection;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

/// Twilio's webhook bodies are small forms; a media message lists URLs, not bytes.
const MAX_BODY: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/twilio/{key}", post(receive))
}

async fn receive(
    State(state): State<AppState>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let body = match body_within(body, MAX_BODY).await {
        Ok(body) => body,
        Err(too_large) => return too_large,
    };
    // Twilio signs the URL it called: ours as configured (`public_url`), with its query.
    let mut url = format!("{}/webhooks/twilio/{key}", state.settings.public_url);
    if let Some(query) = &query {
        url.push('?');
        url.push_str(query);
    }
    let ours = query.as_deref().and_then(message_param);
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match take(&state, &key, &url, ours, signature, &body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// A provider's webhook body, whole, or 413 when it is larger than `max` (each provider has its
/// own bound, below the server's general one).
pub(super) async fn body_within(body: axum::body::Body, max: usize) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, max).await.map_err(|_| {
        AppError::PayloadTooLarge {
            message: format!("A webhook body is at most {max} bytes."),
        }
        .into_response()
    })
}

/// Stores a message a lead sent (once per provider message id), noting on the connection in the
/// same write that it heard from the provider: the part every provider's webhook shares.
pub(super) async fn store_received(
    state: &AppState,
    connection: &Connection,
    incoming: &Incoming<'_>,
) -> Result<(), AppError> {
    let arrived = state
        .store
        .receive_channel_message(connection, incoming)
        .await?;
    if let Arrived::Stored(message) = &arrived {
        tracing::info!(message = %message.id, channel = incoming.channel.as_str(), "channel message received");
    }
    Ok(())
}

/// Our message id in a status callback's URL (`?message=…`), which the signature covers.
fn message_param(query: &str) -> Option<MessageId> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "message")
        .and_then(|(_, v)| MessageId::parse(&v))
}

/// One webhook call, as received over HTTP or made by the sandbox.
#[tracing::instrument(name = "webhook", skip_all)]
pub async fn take(
    state: &AppState,
    key: &str,
    url: &str,
    ours: Option<MessageId>,
    signature: Option<&str>,
    body: &Bytes,
) -> Result<Response, AppError> {
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let connection = state
        .store
        .connection_by_key(key)
        .await?
        // A Meta connection's key is unknown here: its webhooks have their own path and scheme.
        .filter(|c| c.provider != "meta")
        .ok_or(AppError::NotFound)?;
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let token = state.secrets.open(&connection.secret_sealed).ok_or_else(|| {
        tracing::error!(connection = %connection.id, "a channel secret does not open with this server's key");
        AppError::Internal
    })?;
    let signed = signature.is_some_and(|s| twilio::signature_matches(&token, url, &params, s));
    if !signed {
        return Err(AppError::Forbidden {
            message: "The X-Twilio-Signature header is missing or does not match.".into(),
        });
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let required = |name: &str| {
        param(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AppError::BadRequest {
                message: format!("The webhook body has no {name}."),
            })
    };
    let sid = required("MessageSid")?;
    // Inbound messages may carry `SmsStatus`/`MessageStatus` = `received`: not a report.
    if let Some(status) = param("MessageStatus").filter(|s| *s != "received") {
        let Some(report) = twilio::report(status, param("ErrorCode"), chrono::Utc::now()) else {
            return Ok(StatusCode::NO_CONTENT.into_response());
        };
        state
            .store
            .delivery_report(&connection, sid, ours, &report)
            .await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let from = required("From")?;
    let channel = Channel::parse(&connection.channel).unwrap_or(Channel::Sms);
    let from = from
        .strip_prefix("whatsapp:")
        .or_else(|| from.strip_prefix("instagram:"))
        .unwrap_or(from);
    let media = param("NumMedia")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0)
        .min(media::MAX_FILES + 5);
    let mut fetched = media::Fetched::default();
    if media > 0 {
        for i in 0..media {
            let named = format!("attachment-{}", i + 1);
            let Some(url) = param(&format!("MediaUrl{i}")) else {
                continue;
            };
            // Twilio's media live under its API, behind the account's credentials.
            let file = if media::allowed(url, &state.settings.channels.twilio_api_base, false) {
                media::fetch(
                    &state.providers,
                    url,
                    media::Auth::Basic(&connection.account_id, &token),
                    &named,
                    param(&format!("MediaContentType{i}")),
                )
                .await
            } else {
                Err(format!("{named} not kept: not at Twilio's address"))
            };
            fetched.keep(file);
        }
    }
    let body = fetched.shown_with(channel, param("Body").unwrap_or_default());
    store_received(
        state,
        &connection,
        &Incoming {
            channel,
            provider_message_id: sid,
            from,
            profile_name: param("ProfileName"),
            body: &body,
            media: &fetched.files,
        },
    )
    .await?;
    // An empty TwiML answer: no automatic reply.
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response())
}
