//! Reads every request body whole (up to `max_body_bytes`) before any handler or guard looks at
//! the request. A handler that refuses a request without reading its body (no `Content-Type`, no
//! session, a foreign origin) left those bytes on the connection; hyper then closed it after the
//! response, and the client's next request on that keep-alive connection was lost. With the body
//! read first, a refusal leaves the connection clean. A body over the limit is refused with 413
//! and `Connection: close`; the rest of it is read and dropped first, up to [`DRAIN_FACTOR`]
//! times the limit within [`DRAIN_TIME`], because a server that stops reading mid-body makes the
//! client's write fail ("broken pipe") before it can read the 413.
use super::state::AppState;
use crate::model::error::AppError;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::time::Duration;

/// How much of a body over the limit is still read (and dropped) before the 413, in limits.
const DRAIN_FACTOR: usize = 8;
/// How long a body over the limit may take to be read and dropped before the 413.
const DRAIN_TIME: Duration = Duration::from_secs(5);

pub async fn read_body_first(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    // GETs, upgrades and other bodiless requests pass untouched (and are not buffered).
    if body.size_hint().exact() == Some(0) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let max = state.settings.max_body_bytes;
    read_then_run(parts, body, next, max, || {
        format!("The request body is larger than {max} bytes.")
    })
    .await
}

/// Runs the rest of the request with its body read whole, or answers 413 with `too_large`'s
/// words when the body is over `max` bytes.
pub async fn read_then_run(
    parts: axum::http::request::Parts,
    body: Body,
    next: Next,
    max: usize,
    too_large: impl FnOnce() -> String,
) -> Response {
    match read_within(body, max).await {
        Some(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        None => {
            let mut response = AppError::PayloadTooLarge {
                message: too_large(),
            }
            .into_response();
            // The unread rest of the body is still on the wire: the connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// The whole body when it is at most `max` bytes; `None` when it is larger (its rest drained as
/// far as the module comment says) or breaks off.
async fn read_within(body: Body, max: usize) -> Option<axum::body::Bytes> {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        seen += chunk.len();
        if seen > max {
            // Over the limit: nothing more is kept, the rest is drained for the client's sake.
            drop(kept);
            let _ = tokio::time::timeout(DRAIN_TIME, async {
                while let Some(Ok(chunk)) = stream.next().await {
                    seen += chunk.len();
                    if seen > max.saturating_mul(DRAIN_FACTOR) {
                        break;
                    }
                }
            })
            .await;
            return None;
        }
        kept.extend_from_slice(&chunk);
    }
    Some(kept.into())
}
