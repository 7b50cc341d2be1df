//! `/webhooks/meta/{key}`: what Meta sends about a WhatsApp Cloud or Instagram connection.
//! `GET` is the subscription handshake: `hub.mode=subscribe` with our verify token is answered
//! with `hub.challenge`, anything else 403. `POST` carries messages and statuses as JSON; its
//! `X-Hub-Signature-256` is checked over the raw body with the app secret before anything else:
//! missing or wrong is 403 and nothing is stored; an unknown key is 404; a body that is not a
//! Meta webhook is 400. A message Meta delivers twice is stored once and answered 200 both
//! times.
use super::media;
use super::meta::{self, Item, SIGNATURE_HEADER};
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::server::state::AppState;
use crate::server::store::channels::Incoming;
use crate::server::store::connections::Connection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

/// Meta batches up to 1,000 updates per call; text only (media come as ids, not bytes).
const MAX_BODY: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/meta/{key}", get(handshake).post(receive))
}

/// The connection a key names, if it is a Meta one (a Twilio key here is as unknown as any).
async fn meta_connection(state: &AppState, key: &str) -> Result<Connection, AppError> {
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    state
        .store
        .connection_by_key(key)
        .await?
        .filter(|c| c.provider == "meta")
        .ok_or(AppError::NotFound)
}

async fn handshake(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let connection = meta_connection(&state, &key).await?;
    let expected = connection.verify_token.as_deref().unwrap_or_default();
    let given = query
        .get("hub.verify_token")
        .map(String::as_str)
        .unwrap_or_default();
    let subscribing = query.get("hub.mode").map(String::as_str) == Some("subscribe");
    if !(subscribing && !expected.is_empty() && constant_time_eq(given, expected)) {
        return Err(AppError::Forbidden {
            message: "hub.mode must be subscribe with this connection's verify token.".into(),
        });
    }
    let challenge = query.get("hub.challenge").cloned().unwrap_or_default();
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge,
    )
        .into_response())
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    // Equal-length digests compared byte by byte without an early exit.
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

async fn receive(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let body = match super::webhook::body_within(body, MAX_BODY).await {
        Ok(body) => body,
        Err(too_large) => return too_large,
    };
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match take(&state, &key, signature, &body).await {
        Ok(()) => (StatusCode::OK, "EVENT_RECEIVED").into_response(),
        Err(e) => e.into_response(),
    }
}

async fn take(
    state: &AppState,
    key: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Result<(), AppError> {
    let connection = meta_connection(state, key).await?;
    let app_secret = connection
        .app_secret_sealed
        .as_deref()
        .and_then(|sealed| state.secrets.open(sealed))
        .ok_or_else(|| {
            tracing::error!(connection = %connection.id, "a Meta app secret does not open with this server's key");
            AppError::Internal
        })?;
    if !signature.is_some_and(|s| meta::signature_matches(&app_secret, body, s)) {
        return Err(AppError::Forbidden {
            message: "The X-Hub-Signature-256 header is missing or does not match.".into(),
        });
    }
    let items = meta::items(body, chrono::Utc::now())
        .map_err(|message| AppError::BadRequest { message })?;
    let channel = Channel::parse(&connection.channel).unwrap_or(Channel::Whatsapp);
    for item in items {
        match item {
            Item::Message {
                id,
                from,
                profile_name,
                text,
                media,
            } => {
                let fetched = fetch_media(state, &connection, &media).await;
                let body = fetched.shown_with(channel, &text);
                super::webhook::store_received(
                    state,
                    &connection,
                    &Incoming {
                        channel,
                        provider_message_id: &id,
                        from: &from,
                        profile_name: profile_name.as_deref(),
                        body: &body,
                        media: &fetched.files,
                    },
                )
                .await?;
            }
            Item::Status { id, report } => {
                state
                    .store
                    .delivery_report(&connection, &id, None, &report)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Fetches a message's files: a WhatsApp media id through the Graph API, an Instagram CDN URL
/// directly; only from Meta's API or over https (see `media::allowed`).
async fn fetch_media(
    state: &AppState,
    connection: &Connection,
    specs: &[meta::MediaSpec],
) -> media::Fetched {
    let mut fetched = media::Fetched::default();
    if specs.is_empty() {
        return fetched;
    }
    let http = &state.providers;
    let base = &state.settings.channels.meta_graph_base;
    let token = state
        .secrets
        .open(&connection.secret_sealed)
        .unwrap_or_default();
    for (i, spec) in specs.iter().take(media::MAX_FILES + 5).enumerate() {
        let named = spec
            .filename
            .clone()
            .unwrap_or_else(|| format!("{}-{}", spec.kind, i + 1));
        let located = match (&spec.id, &spec.url) {
            (Some(id), _) => meta::media_url(http, base, &token, id)
                .await
                .map(|(url, mime)| (url, mime.or_else(|| spec.mime_type.clone()), true)),
            (None, Some(url)) => Ok((url.clone(), spec.mime_type.clone(), false)),
            (None, None) => Err(format!("{named} not kept: Meta named no file")),
        };
        let file = match located {
            Ok((url, mime, with_token)) if media::allowed(&url, base, true) => {
                let auth = if with_token {
                    media::Auth::Bearer(&token)
                } else {
                    media::Auth::None
                };
                media::fetch(http, &url, auth, &named, mime.as_deref()).await
            }
            Ok(_) => Err(format!("{named} not kept: not at one of Meta's addresses")),
            Err(why) => Err(why),
        };
        fetched.keep(file);
    }
    fetched
}
