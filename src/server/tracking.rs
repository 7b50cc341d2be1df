//! The public tracking endpoints: `/t/o/{token}` (the pixel) and `/t/c/{token}` (a tracked
//! link). The pixel answers from memory and hands the hit to the recorder; nothing a client sends
//! here can make it fail, and an unknown token looks exactly like a known one.
pub mod recorder;

use super::state::AppState;
use crate::model::tracking::{clean_agent, is_token};
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use recorder::Hit;
use std::net::{IpAddr, SocketAddr};

/// A transparent 1x1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// Mounted outside the app's middleware: these are hit in bursts and need none of it.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/o/{token}", get(open))
        .route("/t/c/{token}", get(click))
}

async fn open(
    State(state): State<AppState>,
    method: Method,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    if let Ok(Path(token)) = token {
        let ip = client_ip(&state, peer, &headers);
        if is_token(&token) && admitted(&state, &token, ip) {
            state.tracker.record(Hit::Open {
                token,
                head: method == Method::HEAD,
                user_agent: agent(&headers),
                ip,
                at: crate::server::store::now(),
            });
        }
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/gif")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store, no-cache, must-revalidate, private"),
            ),
            (header::EXPIRES, HeaderValue::from_static("0")),
        ],
        PIXEL,
    )
        .into_response()
}

async fn click(
    State(state): State<AppState>,
    method: Method,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(token)) = token else {
        return not_found();
    };
    if !is_token(&token) {
        return not_found();
    }
    let target = match state.store.link_target(&token).await {
        Ok(Some(target)) => target,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "reading a tracked link");
            return (StatusCode::SERVICE_UNAVAILABLE, "Try again in a moment.").into_response();
        }
    };
    // The destination comes from our database, never from the request: no open redirect.
    let Ok(location) = HeaderValue::from_str(&target.url) else {
        return not_found();
    };
    let ip = client_ip(&state, peer, &headers);
    // Over the limit the visitor is still redirected at once; the hit is only not stored.
    if admitted(&state, &token, ip) {
        state.tracker.record(Hit::Click {
            target,
            head: method == Method::HEAD,
            user_agent: agent(&headers),
            ip,
            at: crate::server::store::now(),
        });
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
    )
        .into_response()
}

fn client_ip(
    state: &AppState,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
) -> Option<IpAddr> {
    super::client_ip::client_ip(
        peer.map(|Extension(ConnectInfo(addr))| addr),
        headers,
        &state.settings.limits.trusted_proxies,
    )
}

/// Whether this hit may be stored: at most `tracking_hits_per_token_per_minute` per pixel or
/// link token and `tracking_hits_per_ip_per_minute` per client address. The answer to the
/// request is the same either way, so a real reader is never slowed; a flood on one token only
/// stops adding rows (and is counted in the log).
fn admitted(state: &AppState, token: &str, ip: Option<IpAddr>) -> bool {
    let now = std::time::Instant::now();
    let Ok(key) = u128::from_str_radix(token, 16) else {
        return false;
    };
    let ok = state.tracking_per_token.take(&key, now).is_ok()
        && ip.is_none_or(|ip| state.tracking_per_ip.take(&ip, now).is_ok());
    if !ok {
        state.tracker.count_unrecorded();
    }
    ok
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found").into_response()
}

fn agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .map(|v| clean_agent(v.as_bytes()))
        .unwrap_or_default()
}

/// Whether the caller's workspace tracks email.
pub async fn enabled(
    state: &AppState,
    caller: &super::auth::Caller,
) -> Result<bool, crate::model::error::AppError> {
    Ok(state.store.email_tracking(caller.user.workspace_id).await?)
}

/// Switches tracking for the caller's workspace; owners only.
pub async fn set_enabled(
    state: &AppState,
    caller: &super::auth::Caller,
    on: bool,
) -> Result<bool, crate::model::error::AppError> {
    caller.require_owner("email tracking")?;
    state
        .store
        .set_email_tracking(caller.user.workspace_id, on)
        .await?;
    Ok(on)
}
